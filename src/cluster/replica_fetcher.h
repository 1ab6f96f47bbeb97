/*
 * replica_fetcher.h - followers' fetching from partition leaders (Kafka's
 * ReplicaFetcherManager and ReplicaFetcherThread).
 *
 * Each followed partition is handled by thread "ReplicaFetcherThread-<f>-<l>"
 * for leader l, with f = abs(31 * hash(topic) + partition) mod
 * num.replica.fetchers. A partition first truncates by leader epoch
 * (OffsetForLeaderEpoch v3 to the leader; to the high watermark when it has
 * no epochs), then fetches with Fetch v12 (replica_id = this broker, fetch
 * offset = its log end offset, current_leader_epoch, last_fetched_epoch),
 * appends what comes back and takes the leader's high watermark. A
 * diverging_epoch in a response, or OFFSET_OUT_OF_RANGE, sends the
 * partition back to truncation. Errors back off replica.fetch.backoff.ms.
 *
 * Thread-safety: all functions are thread-safe. A thread holds its own lock
 * while it applies a response, so once sm_fetcher_manager_remove returns the
 * partition's log is no longer written by any fetcher.
 */
#ifndef SM_REPLICA_FETCHER_H
#define SM_REPLICA_FETCHER_H

#include <stdint.h>

#include "kafka_config.h"
#include "replication_quota.h"

typedef struct sm_fetcher_manager sm_fetcher_manager_t;
struct sm_partition;

sm_fetcher_manager_t *sm_fetcher_manager_new(const sm_kafka_config_t *cfg, int32_t broker_id);
/* The follower replication throttle (follower.replication.throttled.rate);
 * set once, before any partition is added. */
void sm_fetcher_manager_set_quota(sm_fetcher_manager_t *fm, sm_repl_quota_t *q);
/* Follows p's leader from now on (a new leader epoch restarts truncation);
 * moves it between threads if the leader changed. */
void sm_fetcher_manager_add(sm_fetcher_manager_t *fm, struct sm_partition *p, int32_t leader,
			    int32_t leader_epoch, const char *host, int port);
void sm_fetcher_manager_remove(sm_fetcher_manager_t *fm, const char *topic, int32_t partition);
/* num.replica.fetchers changed (dynamic broker configs): every partition
 * whose fetcher id changes moves to its new thread (and truncates first, as
 * after any add). Threads left without partitions stay idle. */
void sm_fetcher_manager_resize(sm_fetcher_manager_t *fm, int num_fetchers);
/* Number of partitions being fetched (all threads). */
int sm_fetcher_manager_count(sm_fetcher_manager_t *fm);
/* Stops and joins every thread; later adds are ignored. */
void sm_fetcher_manager_shutdown(sm_fetcher_manager_t *fm);
void sm_fetcher_manager_destroy(sm_fetcher_manager_t *fm);

/* Kafka's fetcher id for a partition (Java String.hashCode of the topic). */
int sm_fetcher_id(const char *topic, int32_t partition, int num_fetchers);

#endif /* SM_REPLICA_FETCHER_H */
