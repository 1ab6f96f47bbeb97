/*
 * msg_leave_group.h - LeaveGroup (key 13) request and response bodies,
 * versions 0-4 (Kafka's LeaveGroupRequestData / LeaveGroupResponseData);
 * flexible from 4.
 *
 * Quirks:
 *  - v0-2 name a single member_id; v3+ carry a members array with optional
 *    group instance ids (KIP-345 batch leave). The codec normalizes both to
 *    the array form: reading v0-2 yields a one-element members array (its
 *    group_instance_id null), and writing v0-2 sends the first member's id
 *    ("" when the array is empty).
 *  - The per-member results of the response exist from v3 only; a v0-2
 *    response reads as members_cnt 0.
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_LEAVE_GROUP_H
#define SM_MSG_LEAVE_GROUP_H

#include <stdint.h>

#include "buf.h"

typedef struct sm_leave_group_req_member {
	char *member_id;
	char *group_instance_id; /* nullable, default null */
} sm_leave_group_req_member_t;

typedef struct sm_leave_group_req {
	char *group_id;
	sm_leave_group_req_member_t *members;
	int32_t members_cnt;
} sm_leave_group_req_t;

typedef struct sm_leave_group_resp_member {
	char *member_id;
	char *group_instance_id; /* nullable */
	int16_t error_code;
} sm_leave_group_resp_member_t;

typedef struct sm_leave_group_resp {
	int32_t throttle_time_ms; /* v1+ */
	int16_t error_code;
	sm_leave_group_resp_member_t *members; /* v3+ */
	int32_t members_cnt;
} sm_leave_group_resp_t;

void sm_leave_group_req_init(sm_leave_group_req_t *r);
void sm_leave_group_resp_init(sm_leave_group_resp_t *r);

int sm_leave_group_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			    sm_leave_group_req_t *out);
void sm_leave_group_req_write(sm_wbuf_t *w, int16_t ver, const sm_leave_group_req_t *in);
int sm_leave_group_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			     sm_leave_group_resp_t *out);
void sm_leave_group_resp_write(sm_wbuf_t *w, int16_t ver, const sm_leave_group_resp_t *in);

#endif /* SM_MSG_LEAVE_GROUP_H */
