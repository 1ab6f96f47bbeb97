/*
 * replica_manager.h - the partitions this broker hosts (Kafka's
 * ReplicaManager): the table of partitions (one partition's state, appends,
 * high watermark and ISR are partition.h's), LeaderAndIsr and StopReplica
 * from the controller, topic configs, the replication-offset-checkpoint, and
 * the partitions' ZooKeeper side: each ISR change a partition computes is
 * written here to the partition state znode and announced under
 * /isr_change_notification. On followers the replica fetcher
 * (replica_fetcher.h) keeps the log in step with the leader.
 *
 * Threads: "isr-expiration" (ISR shrink checks and expansions, ISR change
 * propagation, offline log dirs) and the fetcher threads, started by
 * sm_replica_manager_startup.
 *
 * Thread-safety: all functions are thread-safe. The table is guarded by
 * rm->lock. Lock order: fetcher thread -> replica manager -> partition ->
 * log. No lock is held across a ZooKeeper call.
 */
#ifndef SM_REPLICA_MANAGER_H
#define SM_REPLICA_MANAGER_H

#include <stdint.h>

#include "err.h"
#include "kafka_config.h"
#include "log.h"
#include "log_manager.h"
#include "metrics.h"
#include "msg_leader_and_isr.h"
#include "msg_interbroker.h"
#include "msg_stop_replica.h"
#include "partition.h"
#include "replication_quota.h"
#include "zk_client.h"

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
/* The leader replication throttle (leader.replication.throttled.rate). */
sm_repl_quota_t *sm_replica_manager_leader_quota(sm_replica_manager_t *rm);
/* OffsetForLeaderEpoch on the leader: epoch/end offset for requested.
 * current_leader_epoch (-1 = unchecked) fences stale callers. */
sm_err_t sm_replica_manager_epoch_end_offset(sm_replica_manager_t *rm, const char *topic,
					     int32_t partition, int32_t current_leader_epoch,
					     int32_t requested, int32_t *epoch_out,
					     int64_t *end_offset_out);

#endif /* SM_REPLICA_MANAGER_H */
