/*
 * replica_manager.h - the partitions this broker hosts (Kafka's
 * ReplicaManager + Partition): applies LeaderAndIsr and StopReplica from the
 * controller, appends produced batches on leaders, tracks the high watermark,
 * and serves reads. Replication (followers fetching, ISR changes) builds on
 * this.
 *
 * Thread-safety: all functions are thread-safe. Partitions are refcounted;
 * a partition's leadership fields are guarded by its own mutex, its log by the
 * log's own lock. Lock order: replica manager -> partition -> log.
 */
#ifndef SM_REPLICA_MANAGER_H
#define SM_REPLICA_MANAGER_H

#include <stdint.h>

#include "err.h"
#include "kafka_config.h"
#include "log.h"
#include "log_manager.h"
#include "msg_leader_and_isr.h"
#include "msg_stop_replica.h"
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

/* Called after every successful append (to wake delayed fetches). */
typedef void (sm_append_listener_t)(void *opaque, sm_partition_t *p);

sm_replica_manager_t *sm_replica_manager_new(const sm_kafka_config_t *cfg, sm_log_manager_t *lm,
					     sm_zk_t *zk, int32_t broker_id);
void sm_replica_manager_set_append_listener(sm_replica_manager_t *rm, sm_append_listener_t *cb,
					    void *opaque);
/* Re-creates partitions for every log found on disk (as followers without a
 * leader, until the controller's LeaderAndIsr says otherwise) and restores
 * high watermarks from replication-offset-checkpoint. */
void sm_replica_manager_startup(sm_replica_manager_t *rm);
/* Writes replication-offset-checkpoint (HW of every partition). */
void sm_replica_manager_checkpoint_hw(sm_replica_manager_t *rm);
void sm_replica_manager_shutdown(sm_replica_manager_t *rm);
void sm_replica_manager_destroy(sm_replica_manager_t *rm);

/* LeaderAndIsr: fills resp (partition errors, allocated in a). */
void sm_replica_manager_leader_and_isr(sm_replica_manager_t *rm, const sm_leader_and_isr_req_t *req,
				       sm_arena_t *a, sm_leader_and_isr_resp_t *resp);
/* StopReplica: fills resp. */
void sm_replica_manager_stop_replica(sm_replica_manager_t *rm, const sm_stop_replica_req_t *req,
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

void sm_partition_release(sm_partition_t *p);
const char *sm_partition_topic(const sm_partition_t *p);
int32_t sm_partition_id(const sm_partition_t *p);
const sm_topic_config_t *sm_partition_config(const sm_partition_t *p);
int64_t sm_partition_high_watermark(sm_partition_t *p);
int32_t sm_partition_leader_epoch(sm_partition_t *p);
int sm_partition_isr_size(sm_partition_t *p);
sm_log_t *sm_partition_log(sm_partition_t *p); /* borrowed */

/* Appends one validated v2 batch as leader (offsets assigned here) and
 * advances the high watermark as far as the ISR allows. */
sm_err_t sm_partition_append_leader(sm_partition_t *p, uint8_t *batch, size_t len,
				    int16_t required_acks, sm_log_append_info_t *info);

#endif /* SM_REPLICA_MANAGER_H */
