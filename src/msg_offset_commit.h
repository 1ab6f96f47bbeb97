/*
 * msg_offset_commit.h - OffsetCommit (key 8) request and response bodies,
 * versions 0-8 (Kafka's OffsetCommitRequestData / OffsetCommitResponseData);
 * flexible from 8.
 *
 * Quirks:
 *  - v0 has neither generation nor member id (a ZooKeeper-stored commit);
 *    they read as -1 and "".
 *  - Only v1 carries a per-partition commit_timestamp (default -1).
 *  - Only v2-4 carry retention_time_ms (default -1 = broker default,
 *    offsets.retention.minutes); v5+ dropped it (KIP-211).
 *  - committed_leader_epoch exists from v6 (KIP-320, default -1);
 *    group_instance_id from v7 (KIP-345).
 *  - committed_metadata is nullable at every version.
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_OFFSET_COMMIT_H
#define SM_MSG_OFFSET_COMMIT_H

#include <stdint.h>

#include "buf.h"

typedef struct sm_offset_commit_req_partition {
	int32_t partition_index;
	int64_t committed_offset;
	int32_t committed_leader_epoch; /* v6+, default -1 */
	int64_t commit_timestamp;       /* v1 only, default -1 */
	char *committed_metadata;       /* nullable */
} sm_offset_commit_req_partition_t;

typedef struct sm_offset_commit_req_topic {
	char *name;
	sm_offset_commit_req_partition_t *partitions;
	int32_t partitions_cnt;
} sm_offset_commit_req_topic_t;

typedef struct sm_offset_commit_req {
	char *group_id;
	int32_t generation_id;   /* v1+, default -1 */
	char *member_id;         /* v1+, "" before */
	char *group_instance_id; /* v7+, nullable, default null */
	int64_t retention_time_ms; /* v2-4, default -1 */
	sm_offset_commit_req_topic_t *topics;
	int32_t topics_cnt;
} sm_offset_commit_req_t;

typedef struct sm_offset_commit_resp_partition {
	int32_t partition_index;
	int16_t error_code;
} sm_offset_commit_resp_partition_t;

typedef struct sm_offset_commit_resp_topic {
	char *name;
	sm_offset_commit_resp_partition_t *partitions;
	int32_t partitions_cnt;
} sm_offset_commit_resp_topic_t;

typedef struct sm_offset_commit_resp {
	int32_t throttle_time_ms; /* v3+ */
	sm_offset_commit_resp_topic_t *topics;
	int32_t topics_cnt;
} sm_offset_commit_resp_t;

/* Schema defaults (generation -1, retention -1). */
void sm_offset_commit_req_init(sm_offset_commit_req_t *r);
/* committed_leader_epoch -1, commit_timestamp -1. */
void sm_offset_commit_req_partition_init(sm_offset_commit_req_partition_t *p);
void sm_offset_commit_resp_init(sm_offset_commit_resp_t *r);

int sm_offset_commit_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_offset_commit_req_t *out);
void sm_offset_commit_req_write(sm_wbuf_t *w, int16_t ver, const sm_offset_commit_req_t *in);
int sm_offset_commit_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			       sm_offset_commit_resp_t *out);
void sm_offset_commit_resp_write(sm_wbuf_t *w, int16_t ver, const sm_offset_commit_resp_t *in);

#endif /* SM_MSG_OFFSET_COMMIT_H */
