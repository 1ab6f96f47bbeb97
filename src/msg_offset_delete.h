/*
 * msg_offset_delete.h - OffsetDelete (key 47) request and response bodies,
 * version 0 (Kafka's OffsetDeleteRequestData / OffsetDeleteResponseData,
 * KIP-496); never flexible.
 *
 * Quirk: the response puts its top-level error_code before throttle_time_ms.
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_OFFSET_DELETE_H
#define SM_MSG_OFFSET_DELETE_H

#include <stdint.h>

#include "buf.h"

typedef struct sm_offset_delete_req_partition {
	int32_t partition_index;
} sm_offset_delete_req_partition_t;

typedef struct sm_offset_delete_req_topic {
	char *name;
	sm_offset_delete_req_partition_t *partitions;
	int32_t partitions_cnt;
} sm_offset_delete_req_topic_t;

typedef struct sm_offset_delete_req {
	char *group_id;
	sm_offset_delete_req_topic_t *topics;
	int32_t topics_cnt;
} sm_offset_delete_req_t;

typedef struct sm_offset_delete_resp_partition {
	int32_t partition_index;
	int16_t error_code;
} sm_offset_delete_resp_partition_t;

typedef struct sm_offset_delete_resp_topic {
	char *name;
	sm_offset_delete_resp_partition_t *partitions;
	int32_t partitions_cnt;
} sm_offset_delete_resp_topic_t;

typedef struct sm_offset_delete_resp {
	int16_t error_code;
	int32_t throttle_time_ms;
	sm_offset_delete_resp_topic_t *topics;
	int32_t topics_cnt;
} sm_offset_delete_resp_t;

void sm_offset_delete_req_init(sm_offset_delete_req_t *r);
void sm_offset_delete_resp_init(sm_offset_delete_resp_t *r);

int sm_offset_delete_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_offset_delete_req_t *out);
void sm_offset_delete_req_write(sm_wbuf_t *w, int16_t ver, const sm_offset_delete_req_t *in);
int sm_offset_delete_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			       sm_offset_delete_resp_t *out);
void sm_offset_delete_resp_write(sm_wbuf_t *w, int16_t ver, const sm_offset_delete_resp_t *in);

#endif /* SM_MSG_OFFSET_DELETE_H */
