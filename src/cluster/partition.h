/*
 * partition.h - one partition hosted by this broker (Kafka's Partition):
 * its log and leader epoch cache, leadership state from the controller,
 * leader appends, the high watermark, and on leaders every follower's
 * fetch state, the ISR (shrunk for followers that lag longer than
 * replica.lag.time.max.ms, expanded for those that catch up) and the
 * acks=-1 checks. The replica manager (replica_manager.h) owns the table of
 * partitions and creates each one with its hooks (sm_partition_hooks_t).
 *
 * A partition never talks to ZooKeeper: an ISR change is written through
 * the hooks' write_isr (the conditional partition-state znode write), and
 * the hooks queue it for /isr_change_notification and the ISR expansions
 * for the "isr-expiration" thread.
 *
 * Thread-safety: all functions are thread-safe. Partitions are refcounted;
 * the leadership fields and the high watermark are guarded by the
 * partition's mutex, the topic config pointer by its leaf cfg_lock, the log
 * by the log's own locks. Lock order: partition -> log. No partition lock is
 * held across a hook call.
 */
#ifndef SM_PARTITION_H
#define SM_PARTITION_H

#include <stdint.h>

#include "err.h"
#include "leader_epoch_cache.h"
#include "log.h"
#include "log_config.h"
#include "metrics.h"
#include "msg_leader_and_isr.h"
#include "replica_selector.h"

/* sm_topic_config_t, a topic's effective settings, is log_config.h's. */

typedef struct sm_partition sm_partition_t;

/* What a partition needs from its owner; each is called with no partition
 * lock held. */
typedef struct sm_partition_hooks {
	/* Conditional write of the partition state znode with leader (this
	 * broker), leader_epoch, controller_epoch and isr[n], expected at
	 * zk_version; *new_zk_version on success. Called on the
	 * "isr-expiration" thread only. */
	sm_err_t (*write_isr)(void *opaque, const sm_partition_t *p, int32_t leader_epoch,
			      int32_t zk_version, int32_t controller_epoch, int32_t *isr, int n,
			      int32_t *new_zk_version);
	/* The ISR of p changed (after a successful write_isr): queue it for
	 * the next ISR change notification. */
	void (*isr_changed)(void *opaque, const sm_partition_t *p);
	/* A follower of p qualifies for the ISR: hand p (take a reference)
	 * to the thread that calls sm_partition_maybe_expand_isr. */
	void (*queue_expand)(void *opaque, sm_partition_t *p);
	/* An append, HW move, ISR change or leadership change on p (wakes
	 * delayed operations). */
	void (*changed)(void *opaque, sm_partition_t *p);
} sm_partition_hooks_t;

/* A partition of log (takes the caller's reference to it), with topic
 * config tc, owned by broker broker_id, as a follower without a leader
 * until sm_partition_make_leader_or_follower. Its HW is the log's. hooks
 * must outlive the partition. */
sm_partition_t *sm_partition_new(const char *topic, int32_t partition, sm_log_t *log,
				 const sm_topic_config_t *tc, int32_t broker_id,
				 const sm_partition_hooks_t *hooks, void *opaque);
/* Restores the HW from replication-offset-checkpoint, capped at the log end
 * offset (before the partition is shared). */
void sm_partition_restore_hw(sm_partition_t *p, int64_t hw);

sm_partition_t *sm_partition_keep(sm_partition_t *p); /* new reference */
void sm_partition_release(sm_partition_t *p);
const char *sm_partition_topic(const sm_partition_t *p);
int32_t sm_partition_id(const sm_partition_t *p);
/* The topic config in force now: an immutable snapshot the caller holds a
 * reference to, valid until sm_topic_config_release(). Never blocks on a
 * config change (the config-change thread publishes a new snapshot). */
const sm_topic_config_t *sm_partition_config_acquire(sm_partition_t *p);
void sm_topic_config_release(const sm_topic_config_t *tc);
/* Publishes tc as the partition's topic config and hands its log part to
 * the log. */
void sm_partition_set_config(sm_partition_t *p, const sm_topic_config_t *tc);
int64_t sm_partition_high_watermark(sm_partition_t *p);
int32_t sm_partition_leader_epoch(sm_partition_t *p);
int sm_partition_isr_size(sm_partition_t *p);
sm_log_t *sm_partition_log(sm_partition_t *p); /* borrowed */
sm_lec_t *sm_partition_epoch_cache(sm_partition_t *p); /* borrowed */
/* Current ISR copied into out (at most max); returns its size. */
int sm_partition_isr(sm_partition_t *p, int32_t *out, int max);

/* ---- leadership (from the replica manager) ---- */

/* Applies a LeaderAndIsr partition state (Partition.makeLeader /
 * makeFollower): SM_ERR_STALE_CONTROLLER_EPOCH (and *cur_epoch) when its
 * leader epoch is not newer than the current one. *was_leader and
 * *is_leader tell the change. */
sm_err_t sm_partition_make_leader_or_follower(sm_partition_t *p,
					      const sm_leader_and_isr_req_partition_state_t *st,
					      int *was_leader, int *is_leader, int32_t *cur_epoch);
/* No longer leader (StopReplica): later appends get NOT_LEADER_OR_FOLLOWER. */
void sm_partition_stop(sm_partition_t *p);
/* Its log dir failed: it stops leading for good (HostedPartition.Offline).
 * Returns 1 the first time, with *was_leader. */
int sm_partition_mark_offline(sm_partition_t *p, int *was_leader);
/* SM_ERR_NONE if this broker leads p, else KAFKA_STORAGE_ERROR (offline)
 * or NOT_LEADER_OR_FOLLOWER. */
sm_err_t sm_partition_leader_status(sm_partition_t *p);
/* Adds p to the ReplicaManager gauges (partition, leader, under-replicated,
 * under/at-min-ISR and offline counts). */
void sm_partition_add_gauges(sm_partition_t *p, sm_metrics_gauges_t *g);

/* ---- leader side ---- */

/* Appends one validated v2 batch as leader (offsets assigned here) and
 * advances the high watermark as far as the ISR allows. */
sm_err_t sm_partition_append_leader(sm_partition_t *p, uint8_t *batch, size_t len,
				    int16_t required_acks, sm_log_append_info_t *info);
/* The same for the group coordinator's writes (sm_log_append_coordinator). */
sm_err_t sm_partition_append_coordinator(sm_partition_t *p, uint8_t *batch, size_t len,
					 int16_t required_acks, sm_log_append_info_t *info);
struct sm_ps_marker;
/* WriteTxnMarkers on the leader: appends an end-transaction marker
 * (sm_log_append_marker) under the acks=-1 rules (min.insync.replicas);
 * SM_ERR_NOT_LEADER_OR_FOLLOWER when not the leader. */
sm_err_t sm_partition_append_marker(sm_partition_t *p, const struct sm_ps_marker *marker,
				    sm_log_append_info_t *info);
/* acks=-1: returns 1 when the request for offsets < required_offset can be
 * answered, with *err NONE, NOT_ENOUGH_REPLICAS_AFTER_APPEND (the high
 * watermark passed but the ISR is below min.insync.replicas) or
 * NOT_LEADER_OR_FOLLOWER; 0 while it must wait. */
int sm_partition_check_acks(sm_partition_t *p, int64_t required_offset, sm_err_t *err);

/* Leader side of a follower's fetch: fetch_offset is the follower's log end
 * offset, log_start_offset its log start offset (-1 before Fetch v5).
 * Updates its caught-up time, may advance the high watermark and may queue
 * the partition for an ISR expansion (hooks' queue_expand). Ignored for
 * non-replicas and on non-leaders. */
void sm_partition_update_follower(sm_partition_t *p, int32_t replica_id, int64_t fetch_offset,
				  int64_t log_start_offset);
/* Partition.maybeExpandIsr: adds every follower that is caught up to the
 * high watermark of this leader epoch, through the hooks' write_isr. On the
 * "isr-expiration" thread only. */
void sm_partition_maybe_expand_isr(sm_partition_t *p);
/* Partition.maybeShrinkIsr: drops ISR followers not caught up within lag_ms
 * (monotonic now), through the hooks' write_isr. On the "isr-expiration"
 * thread only. */
void sm_partition_maybe_shrink_isr(sm_partition_t *p, int64_t now, int64_t lag_ms);

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
sm_err_t sm_partition_epoch_end_offset(sm_partition_t *p, int32_t current_leader_epoch,
				       int32_t requested, int32_t *epoch_out,
				       int64_t *end_offset_out);

/* ---- fetching from the closest replica (KIP-392) ---- */

/* Leader: 1 if hw is newer than the HW last answered to follower
 * replica_id in this leader epoch, and records hw as answered. With a
 * replica selector, a follower's fetch with such news is answered at once,
 * so the follower's HW (and the consumers reading from it) trail the
 * leader's by one round trip. */
int sm_partition_follower_hw_news(sm_partition_t *p, int32_t replica_id, int64_t hw);
/* Leader's view of its followers (Kafka's remoteReplicas): id, log start
 * and log end offsets (-1 unknown) and time since last caught up, into out
 * (at most max; rack and alive are left for the caller); *leader_leo is the
 * local log end offset. Returns the count, or -1 when this broker does not
 * lead p. */
int sm_partition_follower_views(sm_partition_t *p, sm_replica_view_t *out, int max,
				int64_t *leader_leo);

/* ---- follower side (replica fetcher) ---- */

/* 1 if this broker follows leader in leader_epoch. */
int sm_partition_is_follower_of(sm_partition_t *p, int32_t leader, int32_t leader_epoch);
/* Replication throttles (replication_quota.h): whether this replica is
 * listed in its topic's leader / follower throttled-replica configs. Set by
 * the replica manager, read without a lock. */
void sm_partition_set_throttled(sm_partition_t *p, int leader, int follower);
int sm_partition_leader_throttled(const sm_partition_t *p);
int sm_partition_follower_throttled(const sm_partition_t *p);
/* 1 if replica is in the partition's ISR. */
int sm_partition_replica_in_isr(sm_partition_t *p, int32_t replica);
/* Appends fetched batches, recording new leader epochs in the cache. */
sm_err_t sm_partition_append_follower(sm_partition_t *p, const uint8_t *batches, size_t len);
/* Truncates the log and the epoch cache to offset; the HW follows. */
sm_err_t sm_partition_truncate_to(sm_partition_t *p, int64_t offset);
/* HW learned from the leader, capped at the local log end offset; a move
 * wakes the purgatory (consumers fetching from this follower). */
void sm_partition_follower_set_hw(sm_partition_t *p, int64_t leader_hw);
/* Follows the leader's log start offset (ReplicaFetcherThread's
 * maybeIncrementLogStartOffset), never past this replica's HW. */
void sm_partition_follower_set_log_start(sm_partition_t *p, int64_t leader_log_start_offset);

#endif /* SM_PARTITION_H */
