/*
 * replica_manager.h - the partitions this broker hosts (Kafka's
 * ReplicaManager + Partition): applies LeaderAndIsr and StopReplica from the
 * controller, appends produced batches on leaders, tracks the high watermark,
 * and serves reads. On leaders it tracks every follower's log end offset
 * (from their fetches), the ISR (shrinking followers that lag longer than
 * replica.lag.time.max.ms, expanding those that catch up; each change is
 * written to the partition state znode and announced under
 * /isr_change_notification) and the high watermark = min LEO over the ISR.
 * On followers the replica fetcher (replica_fetcher.h) keeps the log in
 * step with the leader. Every partition has a leader epoch cache
 * (leader_epoch_cache.h).
 *
 * Threads: "isr-expiration" (ISR shrink checks and ISR change propagation)
 * and the fetcher threads, started by sm_replica_manager_startup.
 *
 * Thread-safety: all functions are thread-safe. Partitions are refcounted;
 * a partition's leadership fields are guarded by its own mutex, its log by the
 * log's own lock. Lock order: fetcher thread -> replica manager -> partition
 * -> log. No lock is held across a ZooKeeper call.
 */
#ifndef SM_REPLICA_MANAGER_H
#define SM_REPLICA_MANAGER_H

#include <stdint.h>

#include "err.h"
#include "kafka_config.h"
#include "leader_epoch_cache.h"
#include "log.h"
#include "log_manager.h"
#include "metrics.h"
#include "msg_leader_and_isr.h"
#include "msg_interbroker.h"
#include "msg_stop_replica.h"
#include "replica_selector.h"
#include "zk_client.h"

/* Effective per-topic settings: broker defaults overlaid with
 * /config/topics/<t> overrides (Kafka's LogConfig). */
typedef struct sm_topic_config {
	sm_log_config_t log;
	int32_t max_message_bytes;
	int32_t min_insync_replicas;
	int compression_type;           /* -1 producer, else sm_codec_t */
	int compact;                    /* cleanup.policy contains compact */
	int64_t timestamp_difference_max_ms;
	int downconversion_enable;
	int unclean_leader_election_enable;
} sm_topic_config_t;

typedef struct sm_partition sm_partition_t;
typedef struct sm_replica_manager sm_replica_manager_t;

/* Called after every successful append and every high watermark advance or
 * ISR change (to wake delayed fetches and produces). */
typedef void (sm_append_listener_t)(void *opaque, sm_partition_t *p);

/* Called after each LeaderAndIsr partition state is applied (is_leader says
 * whether this broker now leads it) and after StopReplica (is_leader 0),
 * with no replica manager lock held. */
typedef void (sm_leadership_listener_t)(void *opaque, const char *topic, int32_t partition,
					int is_leader);

sm_replica_manager_t *sm_replica_manager_new(const sm_kafka_config_t *cfg, sm_log_manager_t *lm,
					     sm_zk_t *zk, int32_t broker_id);
void sm_replica_manager_set_append_listener(sm_replica_manager_t *rm, sm_append_listener_t *cb,
					    void *opaque);
/* Up to SM_RM_LEAD_LISTENERS listeners (the group and the transaction
 * coordinators); -1 when the list is full. */
#define SM_RM_LEAD_LISTENERS 4
int sm_replica_manager_add_leadership_listener(sm_replica_manager_t *rm,
					       sm_leadership_listener_t *cb, void *opaque);
/* Removes every listener (at shutdown, before they are destroyed). */
void sm_replica_manager_clear_leadership_listeners(sm_replica_manager_t *rm);
/* Re-creates partitions for every log found on disk (as followers without a
 * leader, until the controller's LeaderAndIsr says otherwise) and restores
 * high watermarks from replication-offset-checkpoint. */
void sm_replica_manager_startup(sm_replica_manager_t *rm);
/* Writes replication-offset-checkpoint (HW of every partition). */
void sm_replica_manager_checkpoint_hw(sm_replica_manager_t *rm);
/* Stops the replica fetchers for good (after a controlled shutdown). */
void sm_replica_manager_stop_fetchers(sm_replica_manager_t *rm);
void sm_replica_manager_shutdown(sm_replica_manager_t *rm);
void sm_replica_manager_destroy(sm_replica_manager_t *rm);

/* LeaderAndIsr of a normalized request (msg_interbroker.h): fills resp's
 * flat partition errors, allocated in a. */
void sm_replica_manager_leader_and_isr(sm_replica_manager_t *rm, const sm_leader_and_isr_req_t *req,
				       sm_arena_t *a, sm_leader_and_isr_resp_t *resp);
/* StopReplica of n partitions (the request's flat view) from a controller
 * of controller_epoch: fills resp (partition errors, allocated in a). */
void sm_replica_manager_stop_replica(sm_replica_manager_t *rm, int32_t controller_epoch,
				     const sm_stop_replica_partition_t *parts, int32_t n,
				     sm_arena_t *a, sm_stop_replica_resp_t *resp);

/* The partition if this broker leads it (new reference in *out), else
 * SM_ERR_NOT_LEADER_OR_FOLLOWER (hosted, not leader) or
 * SM_ERR_UNKNOWN_TOPIC_OR_PARTITION. */
sm_err_t sm_replica_manager_leader_partition(sm_replica_manager_t *rm, const char *topic,
					     int32_t partition, sm_partition_t **out);
/* Any hosted partition (new reference) or NULL. */
sm_partition_t *sm_replica_manager_partition(sm_replica_manager_t *rm, const char *topic,
					     int32_t partition);
/* Number of hosted partitions. */
int sm_replica_manager_partition_count(sm_replica_manager_t *rm);
/* The log manager the partitions' logs live in (borrowed). */
/* Adds this broker's ReplicaManager gauges (partition, leader,
 * under-replicated, under/at-min-ISR and offline counts) to g. */
void sm_replica_manager_metrics(sm_replica_manager_t *rm, sm_metrics_gauges_t *g);
sm_log_manager_t *sm_replica_manager_log_manager(sm_replica_manager_t *rm);

sm_partition_t *sm_partition_keep(sm_partition_t *p); /* new reference */
void sm_partition_release(sm_partition_t *p);
const char *sm_partition_topic(const sm_partition_t *p);
int32_t sm_partition_id(const sm_partition_t *p);
/* The topic config in force now: an immutable snapshot the caller holds a
 * reference to, valid until sm_topic_config_release(). Never blocks on a
 * config change (the config-change thread publishes a new snapshot). */
const sm_topic_config_t *sm_partition_config_acquire(sm_partition_t *p);
void sm_topic_config_release(const sm_topic_config_t *tc);
int64_t sm_partition_high_watermark(sm_partition_t *p);
int32_t sm_partition_leader_epoch(sm_partition_t *p);
int sm_partition_isr_size(sm_partition_t *p);
sm_log_t *sm_partition_log(sm_partition_t *p); /* borrowed */

/* Appends one validated v2 batch as leader (offsets assigned here) and
 * advances the high watermark as far as the ISR allows. */
sm_err_t sm_partition_append_leader(sm_partition_t *p, uint8_t *batch, size_t len,
				    int16_t required_acks, sm_log_append_info_t *info);
/* The same for the group coordinator's writes (sm_log_append_coordinator). */
sm_err_t sm_partition_append_coordinator(sm_partition_t *p, uint8_t *batch, size_t len,
					 int16_t required_acks, sm_log_append_info_t *info);

/* ---- replication ---- */

/* Re-reads /config/topics/<topic> and applies it to the hosted partitions
 * of topic (a ZooKeeper read: call without locks). */
void sm_replica_manager_topic_config_changed(sm_replica_manager_t *rm, const char *topic);
/* A new effective broker config (dynamic_config.h): later reads of the
 * broker config use it and every hosted partition gets its topic config
 * recomputed, so logs without a topic override follow the new log.*
 * defaults. cfg must stay valid until the replica manager is destroyed. */
void sm_replica_manager_broker_config_changed(sm_replica_manager_t *rm,
					      const sm_kafka_config_t *cfg);

int32_t sm_replica_manager_broker_id(const sm_replica_manager_t *rm);
sm_lec_t *sm_partition_epoch_cache(sm_partition_t *p); /* borrowed */
/* Current ISR copied into out (at most max); returns its size. */
int sm_partition_isr(sm_partition_t *p, int32_t *out, int max);

/* Leader side of a follower's fetch: fetch_offset is the follower's log end
 * offset, log_start_offset its log start offset (-1 before Fetch v5).
 * Updates its caught-up time, may advance the high watermark and may add
 * the follower back to the ISR (a ZooKeeper write, so never call with a
 * lock held). Ignored for non-replicas and on non-leaders. */
void sm_partition_update_follower(sm_partition_t *p, int32_t replica_id, int64_t fetch_offset,
				  int64_t log_start_offset);
/* 1 if broker_id is a live broker (the metadata cache's view). */
typedef int (sm_broker_alive_fn)(void *opaque, int32_t broker_id);
/* Leader's low watermark for DeleteRecords (Partition.lowWatermarkIfLeader):
 * the smallest log start offset of this replica and every replica on a live
 * broker, -1 while one of them has not reported its own. Errors:
 * NOT_LEADER_OR_FOLLOWER, KAFKA_STORAGE_ERROR. */
sm_err_t sm_partition_low_watermark(sm_partition_t *p, sm_broker_alive_fn *alive, void *opaque,
				     int64_t *out);
/* Fetch v12 divergence check (leader): 1 and (*epoch, *end_offset) if a
 * fetch at fetch_offset whose last batch has last_fetched_epoch runs past the
 * end of that epoch on this leader. */
int sm_partition_diverging(sm_partition_t *p, int32_t last_fetched_epoch, int64_t fetch_offset,
			   int32_t *epoch, int64_t *end_offset);
/* OffsetForLeaderEpoch on the leader: epoch/end offset for requested.
 * current_leader_epoch (-1 = unchecked) fences stale callers. */
sm_err_t sm_replica_manager_epoch_end_offset(sm_replica_manager_t *rm, const char *topic,
					     int32_t partition, int32_t current_leader_epoch,
					     int32_t requested, int32_t *epoch_out,
					     int64_t *end_offset_out);
/* acks=-1: returns 1 when the request for offsets < required_offset can be
 * answered, with *err NONE, NOT_ENOUGH_REPLICAS_AFTER_APPEND (the high
 * watermark passed but the ISR is below min.insync.replicas) or
 * NOT_LEADER_OR_FOLLOWER; 0 while it must wait. */
int sm_partition_check_acks(sm_partition_t *p, int64_t required_offset, sm_err_t *err);
struct sm_ps_marker;
/* WriteTxnMarkers on the leader: appends an end-transaction marker
 * (sm_log_append_marker) under the acks=-1 rules (min.insync.replicas);
 * SM_ERR_NOT_LEADER_OR_FOLLOWER when not the leader. */
sm_err_t sm_partition_append_marker(sm_partition_t *p, const struct sm_ps_marker *marker,
				    sm_log_append_info_t *info);

/* Follower side (replica fetcher). */
/* 1 if this broker follows leader in leader_epoch. */
int sm_partition_is_follower_of(sm_partition_t *p, int32_t leader, int32_t leader_epoch);
/* Appends fetched batches, recording new leader epochs in the cache. */
sm_err_t sm_partition_append_follower(sm_partition_t *p, const uint8_t *batches, size_t len);
/* Truncates the log and the epoch cache to offset; the HW follows. */
sm_err_t sm_partition_truncate_to(sm_partition_t *p, int64_t offset);
/* HW learned from the leader, capped at the local log end offset; a move
 * wakes the purgatory (consumers fetching from this follower). */
void sm_partition_follower_set_hw(sm_partition_t *p, int64_t leader_hw);

/* ---- fetching from the closest replica (KIP-392) ---- */

/* Leader: 1 if hw is newer than the HW last answered to follower
 * replica_id in this leader epoch, and records hw as answered. A follower's
 * fetch with such news is answered at once, so the follower's HW (and the
 * consumers reading from it) trail the leader's by one round trip. */
int sm_partition_follower_hw_news(sm_partition_t *p, int32_t replica_id, int64_t hw);
/* Leader's view of its followers (Kafka's remoteReplicas): id, log start
 * and log end offsets (-1 unknown) and time since last caught up, into out
 * (at most max; rack and alive are left for the caller); *leader_leo is the
 * local log end offset. Returns the count, or -1 when this broker does not
 * lead p. */
int sm_partition_follower_views(sm_partition_t *p, sm_replica_view_t *out, int max,
				int64_t *leader_leo);
/* Follows the leader's log start offset (ReplicaFetcherThread's
 * maybeIncrementLogStartOffset), never past this replica's HW. */
void sm_partition_follower_set_log_start(sm_partition_t *p, int64_t leader_log_start_offset);

#endif /* SM_REPLICA_MANAGER_H */
