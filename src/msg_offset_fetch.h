/*
 * msg_offset_fetch.h - OffsetFetch (key 9) request and response bodies,
 * versions 0-7 (Kafka's OffsetFetchRequestData / OffsetFetchResponseData);
 * flexible from 6.
 *
 * Quirks:
 *  - topics may be null from v2: "every topic the group has offsets for"
 *    (KIP-88); topics_cnt is then -1.
 *  - require_stable exists from v7 (KIP-447).
 *  - The response has a top-level error_code from v2, throttle_time_ms from
 *    v3, and a per-partition committed_leader_epoch (default -1) from v5.
 *  - The multi-group form (v8+) is newer than Kafka 2.8.
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_OFFSET_FETCH_H
#define SM_MSG_OFFSET_FETCH_H

#include <stdint.h>

#include "buf.h"

typedef struct sm_offset_fetch_req_topic {
	char *name;
	int32_t *partition_indexes;
	int32_t partition_indexes_cnt;
} sm_offset_fetch_req_topic_t;

typedef struct sm_offset_fetch_req {
	char *group_id;
	sm_offset_fetch_req_topic_t *topics;
	int32_t topics_cnt; /* -1 = null = all topics (v2+) */
	int require_stable; /* v7+ */
} sm_offset_fetch_req_t;

typedef struct sm_offset_fetch_resp_partition {
	int32_t partition_index;
	int64_t committed_offset;
	int32_t committed_leader_epoch; /* v5+, default -1 */
	char *metadata;                 /* nullable */
	int16_t error_code;
} sm_offset_fetch_resp_partition_t;

typedef struct sm_offset_fetch_resp_topic {
	char *name;
	sm_offset_fetch_resp_partition_t *partitions;
	int32_t partitions_cnt;
} sm_offset_fetch_resp_topic_t;

typedef struct sm_offset_fetch_resp {
	int32_t throttle_time_ms; /* v3+ */
	sm_offset_fetch_resp_topic_t *topics;
	int32_t topics_cnt;
	int16_t error_code;       /* v2+ */
} sm_offset_fetch_resp_t;

void sm_offset_fetch_req_init(sm_offset_fetch_req_t *r);
void sm_offset_fetch_resp_init(sm_offset_fetch_resp_t *r);
/* committed_leader_epoch -1, everything else zero/NULL. */
void sm_offset_fetch_resp_partition_init(sm_offset_fetch_resp_partition_t *p);

int sm_offset_fetch_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			     sm_offset_fetch_req_t *out);
void sm_offset_fetch_req_write(sm_wbuf_t *w, int16_t ver, const sm_offset_fetch_req_t *in);
int sm_offset_fetch_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_offset_fetch_resp_t *out);
void sm_offset_fetch_resp_write(sm_wbuf_t *w, int16_t ver, const sm_offset_fetch_resp_t *in);

#endif /* SM_MSG_OFFSET_FETCH_H */
