/*
 * msg_alter_partition_reassignments.h - AlterPartitionReassignments (key 45)
 * request and response bodies, version 0 (Kafka's
 * AlterPartitionReassignmentsRequestData / ...ResponseData); flexible.
 *
 * Quirks: a partition's replicas is nullable (null = cancel its
 * reassignment; replicas_cnt -1).
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_ALTER_PARTITION_REASSIGNMENTS_H
#define SM_MSG_ALTER_PARTITION_REASSIGNMENTS_H

#include <stdint.h>

#include "buf.h"

typedef struct sm_apr_req_partition {
	int32_t partition_index;
	int32_t *replicas;
	int32_t replicas_cnt; /* -1 = null */
} sm_apr_req_partition_t;

typedef struct sm_apr_req_topic {
	char *name;
	sm_apr_req_partition_t *partitions;
	int32_t partitions_cnt;
} sm_apr_req_topic_t;

typedef struct sm_apr_req {
	int32_t timeout_ms;
	sm_apr_req_topic_t *topics;
	int32_t topics_cnt;
} sm_apr_req_t;

typedef struct sm_apr_resp_partition {
	int32_t partition_index;
	int16_t error_code;
	char *error_message; /* nullable */
} sm_apr_resp_partition_t;

typedef struct sm_apr_resp_topic {
	char *name;
	sm_apr_resp_partition_t *partitions;
	int32_t partitions_cnt;
} sm_apr_resp_topic_t;

typedef struct sm_apr_resp {
	int32_t throttle_time_ms;
	int16_t error_code;
	char *error_message; /* nullable */
	sm_apr_resp_topic_t *responses;
	int32_t responses_cnt;
} sm_apr_resp_t;

void sm_apr_req_init(sm_apr_req_t *r);
void sm_apr_resp_init(sm_apr_resp_t *r);
int sm_apr_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_apr_req_t *out);
void sm_apr_req_write(sm_wbuf_t *w, int16_t ver, const sm_apr_req_t *in);
int sm_apr_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_apr_resp_t *out);
void sm_apr_resp_write(sm_wbuf_t *w, int16_t ver, const sm_apr_resp_t *in);

#endif /* SM_MSG_ALTER_PARTITION_REASSIGNMENTS_H */
