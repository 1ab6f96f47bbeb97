/*
 * msg_list_partition_reassignments.h - ListPartitionReassignments (key 46)
 * request and response bodies, version 0 (Kafka's
 * ListPartitionReassignmentsRequestData / ...ResponseData); flexible.
 *
 * Quirks: the request's topics is nullable (null = every ongoing
 * reassignment; topics_cnt -1).
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_LIST_PARTITION_REASSIGNMENTS_H
#define SM_MSG_LIST_PARTITION_REASSIGNMENTS_H

#include <stdint.h>

#include "buf.h"

typedef struct sm_lpr_req_topic {
	char *name;
	int32_t *partition_indexes;
	int32_t partition_indexes_cnt;
} sm_lpr_req_topic_t;

typedef struct sm_lpr_req {
	int32_t timeout_ms;
	sm_lpr_req_topic_t *topics;
	int32_t topics_cnt; /* -1 = null */
} sm_lpr_req_t;

typedef struct sm_lpr_resp_partition {
	int32_t partition_index;
	int32_t *replicas;
	int32_t replicas_cnt;
	int32_t *adding_replicas;
	int32_t adding_replicas_cnt;
	int32_t *removing_replicas;
	int32_t removing_replicas_cnt;
} sm_lpr_resp_partition_t;

typedef struct sm_lpr_resp_topic {
	char *name;
	sm_lpr_resp_partition_t *partitions;
	int32_t partitions_cnt;
} sm_lpr_resp_topic_t;

typedef struct sm_lpr_resp {
	int32_t throttle_time_ms;
	int16_t error_code;
	char *error_message; /* nullable */
	sm_lpr_resp_topic_t *topics;
	int32_t topics_cnt;
} sm_lpr_resp_t;

void sm_lpr_req_init(sm_lpr_req_t *r);
void sm_lpr_resp_init(sm_lpr_resp_t *r);
int sm_lpr_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_lpr_req_t *out);
void sm_lpr_req_write(sm_wbuf_t *w, int16_t ver, const sm_lpr_req_t *in);
int sm_lpr_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_lpr_resp_t *out);
void sm_lpr_resp_write(sm_wbuf_t *w, int16_t ver, const sm_lpr_resp_t *in);

#endif /* SM_MSG_LIST_PARTITION_REASSIGNMENTS_H */
