/*
 * msg_interbroker.h - the one shape the controller and the broker use for
 * each controller-to-broker message (LeaderAndIsr, UpdateMetadata,
 * StopReplica) whatever its version, mapped to and from the generated
 * codecs' per-version layouts, and the topic grouping the nested versions
 * need.
 *
 * Thread-safety: pure functions on caller-owned buffers.
 */
#ifndef SM_MSG_INTERBROKER_H
#define SM_MSG_INTERBROKER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "msg_leader_and_isr.h"
#include "msg_stop_replica.h"
#include "msg_update_metadata.h"

/* A topic name and its 16-byte topic id (KIP-516), as carried by
 * LeaderAndIsr v5+ and UpdateMetadata v7+. */
typedef struct sm_msg_topic_id {
	char *topic;
	uint8_t id[16];
} sm_msg_topic_id_t;

/* The order in which a writer emits n items of a flat array nested by key:
 * equal keys are adjacent, groups come in the order of their first item, and
 * items keep their relative order inside a group, so write -> read -> write
 * reproduces the same bytes. Group g is order[start[g] .. start[g+1]). */
typedef struct sm_msg_groups {
	int32_t *order;
	int32_t *start;
	int32_t ngroups;
} sm_msg_groups_t;

/* cmp compares the keys of two items (pointers into base). */
void sm_msg_groups_build(sm_msg_groups_t *g, const void *base, size_t stride, int32_t n,
			 int (*cmp)(const void *a, const void *b));
void sm_msg_groups_free(sm_msg_groups_t *g);

/* ---- StopReplica flat view ----
 * The generated StopReplica request keeps Kafka's three layouts (v0
 * ungrouped partitions, v1-2 partitions nested by topic with one
 * delete_partitions flag, v3 partition states nested by topic). The
 * controller and the replica manager work on one flat list instead. After
 * the topic, the fields mirror the v3 partition state (asserted). */
typedef struct sm_stop_replica_partition {
	char *topic;
	int32_t partition;
	int32_t leader_epoch; /* v3+, else -1 */
	int delete_partition; /* v3+, else the request's delete_partitions */
} sm_stop_replica_partition_t;

/* The partitions of a decoded request of version ver, in wire order, as an
 * arena array of *cnt entries (what Kafka's
 * StopReplicaRequest.partitionStates() yields). */
sm_stop_replica_partition_t *sm_stop_replica_flatten(const sm_stop_replica_req_t *req, int16_t ver,
						     sm_arena_t *a, int32_t *cnt);
/* Sets the partition layout of ver in req from n flat partitions, nested by
 * topic in order of first appearance (v1+); v0-2 carry no epochs or
 * per-partition flags, req->delete_partitions stands for all. Arrays live
 * in a. */
void sm_stop_replica_nest(sm_stop_replica_req_t *req, int16_t ver,
			  const sm_stop_replica_partition_t *p, int32_t n, sm_arena_t *a);

/* ---- UpdateMetadata normalized form ----
 * The metadata cache reads one shape whatever the version: every partition
 * state in ungrouped_partition_states with its topic_name, every live
 * broker with its endpoints and their listener names, topic ids in
 * topic_states (v7+). */

/* Kafka's name of a security protocol id, or NULL if unknown. */
const char *sm_update_metadata_protocol_name(int16_t security_protocol);

/* Brings a decoded request of version ver to the normalized form: v5+
 * partition states are listed ungrouped with their topic, a v0 broker gets
 * one PLAINTEXT endpoint from its host and port, v0-2 endpoints get their
 * protocol's name as listener. -1 when an endpoint's protocol id has no
 * name (no listener to give it), else 0. Arrays live in a. */
int sm_update_metadata_normalize(sm_update_metadata_req_t *req, int16_t ver, sm_arena_t *a);
/* The inverse before writing version ver: v5+ nest the ungrouped partition
 * states by topic in order of first appearance, with the topic's id from
 * ids (all zero when absent); v0 brokers send their PLAINTEXT endpoint (or
 * their first). Arrays live in a. */
void sm_update_metadata_nest(sm_update_metadata_req_t *req, int16_t ver, const sm_msg_topic_id_t *ids,
			     int32_t nids, sm_arena_t *a);

/* ---- LeaderAndIsr normalized form ----
 * The replica manager reads every partition state in
 * ungrouped_partition_states with its topic_name whatever the version, and
 * answers in the flat partition_errors. */

/* Lists a decoded v2+ request's partition states ungrouped with their
 * topic (arrays in a); v0-1 already are. */
void sm_leader_and_isr_normalize(sm_leader_and_isr_req_t *req, int16_t ver, sm_arena_t *a);
/* The inverse before writing version ver: v2+ nest the ungrouped partition
 * states by topic in order of first appearance, each topic with its id
 * from ids (all zero when absent). Arrays live in a. */
void sm_leader_and_isr_nest(sm_leader_and_isr_req_t *req, int16_t ver, const sm_msg_topic_id_t *ids,
			    int32_t nids, sm_arena_t *a);
/* Before writing a v5+ response: nests the flat partition_errors by topic,
 * each with the id the (normalized) request gave its topic. */
void sm_leader_and_isr_resp_nest(sm_leader_and_isr_resp_t *resp, int16_t ver,
				 const sm_leader_and_isr_req_t *req, sm_arena_t *a);

#endif /* SM_MSG_INTERBROKER_H */
