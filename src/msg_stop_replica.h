/*
 * msg_stop_replica.h - StopReplica (api key 5) request and response codec,
 * versions 0-3 (flexible from 2), as Kafka 2.8's StopReplicaRequest /
 * StopReplicaResponse.
 *
 * The decoded form is the same for every version: one flat array of
 * partitions, each with its topic, leader_epoch and delete_partition. Before
 * v3 the wire has one delete_partitions flag for the whole request and no
 * epochs, so readers copy the flag into every partition and set leader_epoch
 * to -1 (what Kafka's StopReplicaRequest.partitionStates() does); v0-2
 * writers send req->delete_partitions. Writers of v1+ nest partitions by
 * topic in order of first appearance, so write -> read -> write is
 * byte-identical.
 *
 * Strings are NUL-terminated (NULL = null); arrays are pointer + count.
 * Decoded structures live in the caller's arena.
 *
 * Thread-safety: pure functions on caller-owned buffers.
 */
#ifndef SM_MSG_STOP_REPLICA_H
#define SM_MSG_STOP_REPLICA_H

#include <stdint.h>

#include "buf.h"

#define SM_STOP_REPLICA_KEY 5
#define SM_STOP_REPLICA_VMAX 3
#define SM_STOP_REPLICA_FLEX 2 /* first flexible version */

typedef struct sm_stop_replica_partition {
	char *topic;
	int32_t partition;
	int32_t leader_epoch; /* v3+, else -1 */
	int delete_partition; /* v3+, else the request's delete_partitions */
} sm_stop_replica_partition_t;

typedef struct sm_stop_replica_req {
	int32_t controller_id;
	int32_t controller_epoch;
	int64_t broker_epoch;  /* v1+, else -1 */
	int delete_partitions; /* v0-2 only; 0 when read from v3 */
	sm_stop_replica_partition_t *partitions;
	int32_t partitions_cnt;
} sm_stop_replica_req_t;

typedef struct sm_stop_replica_partition_err {
	char *topic;
	int32_t partition;
	int16_t error_code;
} sm_stop_replica_partition_err_t;

typedef struct sm_stop_replica_resp {
	int16_t error_code;
	sm_stop_replica_partition_err_t *partitions;
	int32_t partitions_cnt;
} sm_stop_replica_resp_t;

/* Readers return 0, or -1 on malformed or truncated input or an unsupported
 * version; out is zeroed first. Writers write nothing for an unsupported
 * version. */
int sm_stop_replica_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			     sm_stop_replica_req_t *out);
void sm_stop_replica_req_write(sm_wbuf_t *w, int16_t ver, const sm_stop_replica_req_t *in);
int sm_stop_replica_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_stop_replica_resp_t *out);
void sm_stop_replica_resp_write(sm_wbuf_t *w, int16_t ver, const sm_stop_replica_resp_t *in);

#endif /* SM_MSG_STOP_REPLICA_H */
