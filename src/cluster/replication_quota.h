/*
 * replication_quota.h - the leader and follower replication throttles
 * (Kafka's ReplicationQuotaManager).
 *
 * One quota measures the bytes replicated for throttled replicas over
 * replication.quota.window.num windows of replication.quota.window.size.seconds
 * and says whether that rate is above the bound set by the dynamic broker
 * config leader.replication.throttled.rate or
 * follower.replication.throttled.rate. Which replicas are throttled is a
 * per-partition flag (sm_partition_set_throttled), set from the topic
 * configs *.replication.throttled.replicas.
 *
 * Thread-safety: the bound is an atomic; the windows are under the quota's
 * own mutex, a leaf lock taken once per fetch and only for throttled
 * partitions outside the ISR (never per record). With no bound set, a check
 * takes no lock.
 */
#ifndef SM_REPLICATION_QUOTA_H
#define SM_REPLICATION_QUOTA_H

#include <stdint.h>

typedef struct sm_repl_quota sm_repl_quota_t;

/* samples >= 1 windows of window_s >= 1 seconds (clamped). */
sm_repl_quota_t *sm_repl_quota_new(int samples, int window_s);
void sm_repl_quota_destroy(sm_repl_quota_t *q);

/* Bytes per second; INT64_MAX (Kafka's default) means unbounded. */
void sm_repl_quota_set_rate(sm_repl_quota_t *q, int64_t bytes_per_sec);
int64_t sm_repl_quota_rate(const sm_repl_quota_t *q);

/* Counts bytes sent (leader) or received (follower) for throttled replicas. */
void sm_repl_quota_record(sm_repl_quota_t *q, int64_t bytes);
/* 1 if the measured rate is above the bound (Kafka's checkQuotas). */
int sm_repl_quota_exceeded(sm_repl_quota_t *q);
/* The measured rate in bytes per second. */
double sm_repl_quota_measure(sm_repl_quota_t *q);

/* The same at a given sm_clock_mono_ms() time (unit tests). */
void sm_repl_quota_record_at(sm_repl_quota_t *q, int64_t bytes, int64_t now_ms);
double sm_repl_quota_measure_at(sm_repl_quota_t *q, int64_t now_ms);
int sm_repl_quota_exceeded_at(sm_repl_quota_t *q, int64_t now_ms);

/* 1 if the throttled-replica list (a topic config value: "*" or
 * "partition:broker,...") names this partition on this broker. */
int sm_repl_quota_listed(const char *list, int32_t partition, int32_t broker);

#endif
