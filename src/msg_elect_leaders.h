/*
 * msg_elect_leaders.h - ElectLeaders (key 43) request and response bodies,
 * versions 0-2 (Kafka's ElectLeadersRequestData / ElectLeadersResponseData);
 * flexible from 2.
 *
 * Quirks: election_type exists from v1 (v0 always elects the preferred
 * replica: type 0); topic_partitions is nullable (null = every partition,
 * topic_partitions_cnt -1); the response's top-level error_code exists from
 * v1.
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_ELECT_LEADERS_H
#define SM_MSG_ELECT_LEADERS_H

#include <stdint.h>

#include "buf.h"

#define SM_ELECTION_PREFERRED 0
#define SM_ELECTION_UNCLEAN 1

typedef struct sm_elect_leaders_tp {
	char *topic;
	int32_t *partitions;
	int32_t partitions_cnt;
} sm_elect_leaders_tp_t;

typedef struct sm_elect_leaders_req {
	int8_t election_type;                /* v1+ */
	sm_elect_leaders_tp_t *topic_partitions;
	int32_t topic_partitions_cnt;        /* -1 = null */
	int32_t timeout_ms;
} sm_elect_leaders_req_t;

typedef struct sm_elect_leaders_presult {
	int32_t partition_id;
	int16_t error_code;
	char *error_message; /* nullable */
} sm_elect_leaders_presult_t;

typedef struct sm_elect_leaders_result {
	char *topic;
	sm_elect_leaders_presult_t *partition_results;
	int32_t partition_results_cnt;
} sm_elect_leaders_result_t;

typedef struct sm_elect_leaders_resp {
	int32_t throttle_time_ms;
	int16_t error_code;                  /* v1+ */
	sm_elect_leaders_result_t *results;
	int32_t results_cnt;
} sm_elect_leaders_resp_t;

void sm_elect_leaders_req_init(sm_elect_leaders_req_t *r);
void sm_elect_leaders_resp_init(sm_elect_leaders_resp_t *r);

int sm_elect_leaders_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_elect_leaders_req_t *out);
void sm_elect_leaders_req_write(sm_wbuf_t *w, int16_t ver, const sm_elect_leaders_req_t *in);
int sm_elect_leaders_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			       sm_elect_leaders_resp_t *out);
void sm_elect_leaders_resp_write(sm_wbuf_t *w, int16_t ver, const sm_elect_leaders_resp_t *in);

#endif /* SM_MSG_ELECT_LEADERS_H */
