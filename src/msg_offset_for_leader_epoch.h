/*
 * msg_offset_for_leader_epoch.h - OffsetForLeaderEpoch (API key 23) request
 * and response bodies, versions 0-4 (flexible from v4), as Kafka 2.8's
 * OffsetForLeaderEpochRequest / OffsetForLeaderEpochResponse.
 *
 * Decoded structures live in the caller's arena; strings are NUL-terminated.
 * Fields a version lacks read as the schema defaults (replica_id -2,
 * current_leader_epoch -1, response leader_epoch -1).
 *
 * Thread-safety: pure functions over caller-owned buffers.
 */
#ifndef SM_MSG_OFFSET_FOR_LEADER_EPOCH_H
#define SM_MSG_OFFSET_FOR_LEADER_EPOCH_H

#include <stdint.h>

#include "buf.h"

#define SM_OFFSET_FOR_LEADER_EPOCH_KEY 23
#define SM_OFFSET_FOR_LEADER_EPOCH_VMAX 4
#define SM_OFFSET_FOR_LEADER_EPOCH_FLEX 4

/* ReplicaId default when the version lacks it (v0-2). */
#define SM_OFLE_REPLICA_DEFAULT (-2)


typedef struct sm_ofle_req_partition {
	int32_t partition;
	int32_t current_leader_epoch; /* v2+ */
	int32_t leader_epoch;
} sm_ofle_req_partition_t;

typedef struct sm_ofle_req_topic {
	char *topic;
	sm_ofle_req_partition_t *partitions;
	int32_t partitions_cnt;
} sm_ofle_req_topic_t;

typedef struct sm_ofle_req {
	int32_t replica_id; /* v3+ */
	sm_ofle_req_topic_t *topics;
	int32_t topics_cnt;
} sm_ofle_req_t;

typedef struct sm_ofle_resp_partition {
	int16_t error_code;
	int32_t partition;
	int32_t leader_epoch; /* v1+ */
	int64_t end_offset;
} sm_ofle_resp_partition_t;

typedef struct sm_ofle_resp_topic {
	char *topic;
	sm_ofle_resp_partition_t *partitions;
	int32_t partitions_cnt;
} sm_ofle_resp_topic_t;

typedef struct sm_ofle_resp {
	int32_t throttle_time_ms; /* v2+ */
	sm_ofle_resp_topic_t *topics;
	int32_t topics_cnt;
} sm_ofle_resp_t;

/* Readers return 0, or -1 on malformed/truncated input or an unsupported
 * version (never reading outside rb). Writers write nothing for an
 * unsupported version and drop fields the version lacks. */
int sm_ofle_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_ofle_req_t *out);
void sm_ofle_req_write(sm_wbuf_t *w, int16_t ver, const sm_ofle_req_t *in);
int sm_ofle_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_ofle_resp_t *out);
void sm_ofle_resp_write(sm_wbuf_t *w, int16_t ver, const sm_ofle_resp_t *in);

#endif /* SM_MSG_OFFSET_FOR_LEADER_EPOCH_H */
