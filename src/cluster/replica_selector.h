/*
 * replica_selector.h - choosing the replica a consumer should fetch from
 * (KIP-392, Kafka's ReplicaSelector with replica.selector.class).
 *
 * The leader describes every replica it could send a consumer to (Kafka's
 * ReplicaView: broker id, rack, log end offset, time since it was last caught
 * up) and the configured selector picks one. Pure logic: no locks, no
 * allocation, so it is unit-tested on its own (tests/unit/cluster/test_replica_selector.c).
 *
 * Thread-safety: all functions are pure and thread-safe.
 */
#ifndef SM_REPLICA_SELECTOR_H
#define SM_REPLICA_SELECTOR_H

#include <stdint.h>

#include "kafka_config.h" /* sm_replica_selector_t: replica.selector.class */

typedef struct sm_replica_view {
	int32_t id;
	const char *rack;               /* NULL: no rack */
	int alive;                      /* has an endpoint on the client's listener */
	int64_t log_start_offset;       /* -1 unknown */
	int64_t log_end_offset;         /* -1 unknown */
	int64_t time_since_caught_up_ms;
} sm_replica_view_t;

/* The preferred read replica for a consumer in client_rack fetching at
 * fetch_offset, given the leader and the other replicas (leader excluded):
 * a follower's id, or -1 when the leader should serve the fetch itself.
 * Followers are candidates only when alive and fetch_offset lies in their
 * [log start, log end] range (ReplicaManager.findPreferredReadReplica). The
 * rack-aware rule: no client rack, or the leader in the client's rack, or no
 * candidate there -> the leader; otherwise the candidate in that rack with
 * the highest log end offset, then the shortest time since caught up, then
 * the highest broker id (ReplicaView.comparator). */
int32_t sm_replica_select(sm_replica_selector_t sel, const char *client_rack, int64_t fetch_offset,
			  const sm_replica_view_t *leader, const sm_replica_view_t *replicas, int n);

#endif /* SM_REPLICA_SELECTOR_H */
