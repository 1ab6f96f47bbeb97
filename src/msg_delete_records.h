/*
 * msg_delete_records.h - DeleteRecords (key 21) request and response bodies,
 * versions 0-2 (Kafka's DeleteRecordsRequestData / DeleteRecordsResponseData);
 * flexible from 2. An offset of -1 in the request means "the high watermark".
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_DELETE_RECORDS_H
#define SM_MSG_DELETE_RECORDS_H

#include <stdint.h>

#include "buf.h"

#define SM_DELETE_RECORDS_HIGH_WATERMARK (-1)

typedef struct sm_delete_records_req_part {
	int32_t partition_index;
	int64_t offset;
} sm_delete_records_req_part_t;

typedef struct sm_delete_records_req_topic {
	char *name;
	sm_delete_records_req_part_t *partitions;
	int32_t partitions_cnt;
} sm_delete_records_req_topic_t;

typedef struct sm_delete_records_req {
	sm_delete_records_req_topic_t *topics;
	int32_t topics_cnt;
	int32_t timeout_ms;
} sm_delete_records_req_t;

typedef struct sm_delete_records_resp_part {
	int32_t partition_index;
	int64_t low_watermark;
	int16_t error_code;
} sm_delete_records_resp_part_t;

typedef struct sm_delete_records_resp_topic {
	char *name;
	sm_delete_records_resp_part_t *partitions;
	int32_t partitions_cnt;
} sm_delete_records_resp_topic_t;

typedef struct sm_delete_records_resp {
	int32_t throttle_time_ms;
	sm_delete_records_resp_topic_t *topics;
	int32_t topics_cnt;
} sm_delete_records_resp_t;

int sm_delete_records_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			       sm_delete_records_req_t *out);
void sm_delete_records_req_write(sm_wbuf_t *w, int16_t ver, const sm_delete_records_req_t *in);
int sm_delete_records_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				sm_delete_records_resp_t *out);
void sm_delete_records_resp_write(sm_wbuf_t *w, int16_t ver,
				  const sm_delete_records_resp_t *in);

#endif /* SM_MSG_DELETE_RECORDS_H */
