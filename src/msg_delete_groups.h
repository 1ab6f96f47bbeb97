/*
 * msg_delete_groups.h - DeleteGroups (key 42) request and response bodies,
 * versions 0-2 (Kafka's DeleteGroupsRequestData / DeleteGroupsResponseData);
 * flexible from 2.
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_DELETE_GROUPS_H
#define SM_MSG_DELETE_GROUPS_H

#include <stdint.h>

#include "buf.h"

typedef struct sm_delete_groups_req {
	char **groups_names;
	int32_t groups_names_cnt;
} sm_delete_groups_req_t;

typedef struct sm_delete_groups_resp_result {
	char *group_id;
	int16_t error_code;
} sm_delete_groups_resp_result_t;

typedef struct sm_delete_groups_resp {
	int32_t throttle_time_ms;
	sm_delete_groups_resp_result_t *results;
	int32_t results_cnt;
} sm_delete_groups_resp_t;

void sm_delete_groups_req_init(sm_delete_groups_req_t *r);
void sm_delete_groups_resp_init(sm_delete_groups_resp_t *r);

int sm_delete_groups_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_delete_groups_req_t *out);
void sm_delete_groups_req_write(sm_wbuf_t *w, int16_t ver, const sm_delete_groups_req_t *in);
int sm_delete_groups_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			       sm_delete_groups_resp_t *out);
void sm_delete_groups_resp_write(sm_wbuf_t *w, int16_t ver, const sm_delete_groups_resp_t *in);

#endif /* SM_MSG_DELETE_GROUPS_H */
