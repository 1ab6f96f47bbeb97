/*
 * msg_list_groups.h - ListGroups (key 16) request and response bodies,
 * versions 0-4 (Kafka's ListGroupsRequestData / ListGroupsResponseData);
 * flexible from 3.
 *
 * Quirks: the v4 request may filter by group state (KIP-518; empty = all)
 * and the v4 response then carries each group's state. The v5 type filter is
 * newer than Kafka 2.8.
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_LIST_GROUPS_H
#define SM_MSG_LIST_GROUPS_H

#include <stdint.h>

#include "buf.h"

typedef struct sm_list_groups_req {
	char **states_filter; /* v4+ */
	int32_t states_filter_cnt;
} sm_list_groups_req_t;

typedef struct sm_list_groups_resp_group {
	char *group_id;
	char *protocol_type;
	char *group_state; /* v4+ ("" before) */
} sm_list_groups_resp_group_t;

typedef struct sm_list_groups_resp {
	int32_t throttle_time_ms; /* v1+ */
	int16_t error_code;
	sm_list_groups_resp_group_t *groups;
	int32_t groups_cnt;
} sm_list_groups_resp_t;

void sm_list_groups_req_init(sm_list_groups_req_t *r);
void sm_list_groups_resp_init(sm_list_groups_resp_t *r);

int sm_list_groups_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			    sm_list_groups_req_t *out);
void sm_list_groups_req_write(sm_wbuf_t *w, int16_t ver, const sm_list_groups_req_t *in);
int sm_list_groups_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			     sm_list_groups_resp_t *out);
void sm_list_groups_resp_write(sm_wbuf_t *w, int16_t ver, const sm_list_groups_resp_t *in);

#endif /* SM_MSG_LIST_GROUPS_H */
