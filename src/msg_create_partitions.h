/*
 * msg_create_partitions.h - CreatePartitions (key 37) request and response
 * bodies, versions 0-3 (Kafka's CreatePartitionsRequestData /
 * CreatePartitionsResponseData); flexible from 2.
 *
 * Quirks: assignments is nullable at every version (null = let the
 * controller assign the new partitions); assignments_cnt is -1 then.
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_CREATE_PARTITIONS_H
#define SM_MSG_CREATE_PARTITIONS_H

#include <stdint.h>

#include "buf.h"

typedef struct sm_create_partitions_assignment {
	int32_t *broker_ids;
	int32_t broker_ids_cnt;
} sm_create_partitions_assignment_t;

typedef struct sm_create_partitions_topic {
	char *name;
	int32_t count;                                 /* new total */
	sm_create_partitions_assignment_t *assignments; /* one per new partition */
	int32_t assignments_cnt;                       /* -1 = null */
} sm_create_partitions_topic_t;

typedef struct sm_create_partitions_req {
	sm_create_partitions_topic_t *topics;
	int32_t topics_cnt;
	int32_t timeout_ms;
	int8_t validate_only;
} sm_create_partitions_req_t;

typedef struct sm_create_partitions_result {
	char *name;
	int16_t error_code;
	char *error_message; /* nullable */
} sm_create_partitions_result_t;

typedef struct sm_create_partitions_resp {
	int32_t throttle_time_ms;
	sm_create_partitions_result_t *results;
	int32_t results_cnt;
} sm_create_partitions_resp_t;

void sm_create_partitions_req_init(sm_create_partitions_req_t *r);
void sm_create_partitions_resp_init(sm_create_partitions_resp_t *r);

int sm_create_partitions_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				  sm_create_partitions_req_t *out);
void sm_create_partitions_req_write(sm_wbuf_t *w, int16_t ver,
				    const sm_create_partitions_req_t *in);
int sm_create_partitions_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				   sm_create_partitions_resp_t *out);
void sm_create_partitions_resp_write(sm_wbuf_t *w, int16_t ver,
				     const sm_create_partitions_resp_t *in);

#endif /* SM_MSG_CREATE_PARTITIONS_H */
