/*
 * msg_interbroker.h - helpers shared by the controller-to-broker message
 * codecs (msg_leader_and_isr, msg_update_metadata; the flat view of the
 * generated StopReplica request): int32
 * arrays, non-nullable strings, arena arrays that grow while a nested message
 * is flattened, and the topic grouping the writers of nested versions need.
 * Kafka generates the equivalent code per message; Samsa shares it here.
 *
 * Thread-safety: pure functions on caller-owned buffers.
 */
#ifndef SM_MSG_INTERBROKER_H
#define SM_MSG_INTERBROKER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "msg_stop_replica.h"
#include "msg_update_metadata.h"

/* A topic name and its 16-byte topic id (KIP-516), as carried by
 * LeaderAndIsr v5+ and UpdateMetadata v7+. */
typedef struct sm_msg_topic_id {
	char *topic;
	uint8_t id[16];
} sm_msg_topic_id_t;

/* Non-nullable int32 array: a null count fails the reader. Returns the arena
 * copy (NULL when empty) and its length in *cnt. */
int32_t *sm_msg_i32s_read(sm_rbuf_t *rb, int compact, sm_arena_t *a, int32_t *cnt);
void sm_msg_i32s_write(sm_wbuf_t *w, const int32_t *v, int32_t cnt, int compact);

/* Non-nullable string: null fails the reader; NULL is written as "". */
char *sm_msg_str_read(sm_rbuf_t *rb, int compact, sm_arena_t *a);
void sm_msg_str_write(sm_wbuf_t *w, const char *s, int compact);

/* Makes room for element number cnt in an arena array of elem-sized items
 * with capacity *cap, doubling it when full; returns the (possibly moved)
 * array. The arena keeps the old copy, so growth costs at most twice the
 * final size. */
void *sm_msg_grow(sm_arena_t *a, void *arr, int32_t cnt, int32_t *cap, size_t elem);

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

/* strcmp that orders NULL like "". */
int sm_msg_strcmp0(const char *a, const char *b);

/* Topic id lookup in a table of n entries; all-zero id when absent. Entry
 * 'hint' is tried first: writers pass the group number, which matches the
 * table order whenever the table was built from the same message. */
void sm_msg_topic_id_find(const sm_msg_topic_id_t *tab, int32_t n, const char *topic,
			  int32_t hint, uint8_t out[16]);

/* ---- StopReplica flat view ----
 * The generated StopReplica request keeps Kafka's three layouts (v0
 * ungrouped partitions, v1-2 partitions nested by topic with one
 * delete_partitions flag, v3 partition states nested by topic). The
 * controller and the replica manager work on one flat list instead. */
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

#endif /* SM_MSG_INTERBROKER_H */
