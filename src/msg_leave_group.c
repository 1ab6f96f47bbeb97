/*
 * msg_leave_group.c - LeaveGroup request/response codec, versions 0-4
 * (Kafka's generated LeaveGroupRequestData / LeaveGroupResponseData).
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_leave_group.h"
#include "protocol.h"

#define SM_LEAVE_GROUP_FLEX(ver) ((ver) >= 4)
#define SM_LEAVE_GROUP_STR_MIN(flex) ((size_t)((flex) ? 1 : 2))
#define SM_LEAVE_GROUP_TAGS_MIN(flex) ((size_t)((flex) ? 1 : 0))

void sm_leave_group_req_init(sm_leave_group_req_t *r)
{
	memset(r, 0, sizeof(*r));
}

void sm_leave_group_resp_init(sm_leave_group_resp_t *r)
{
	memset(r, 0, sizeof(*r));
}

/* ---- request ---- */

int sm_leave_group_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			    sm_leave_group_req_t *out)
{
	int flex = SM_LEAVE_GROUP_FLEX(ver);

	sm_leave_group_req_init(out);
	out->group_id = sm_proto_str_read(rb, flex, 0, a);
	if (ver < 3) {
		/* The single-member form becomes a one-element batch so that
		 * the coordinator has one code path. */
		out->members = sm_arena_alloc(a, sizeof(*out->members));
		out->members[0].member_id = sm_proto_str_read(rb, flex, 0, a);
		out->members_cnt = 1;
		SM_RBUF_CHECK(rb);
		return 0;
	}
	size_t smin = SM_LEAVE_GROUP_STR_MIN(flex);
	int32_t n = sm_proto_array_read(rb, flex, 0, 2 * smin + SM_LEAVE_GROUP_TAGS_MIN(flex));
	out->members = sm_proto_array_ralloc(rb, a, n, sizeof(*out->members));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		out->members[i].member_id = sm_proto_str_read(rb, flex, 0, a);
		out->members[i].group_instance_id = sm_proto_str_read(rb, flex, 1, a);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	SM_RBUF_CHECK(rb);
	out->members_cnt = n;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_leave_group_req_write(sm_wbuf_t *w, int16_t ver, const sm_leave_group_req_t *in)
{
	int flex = SM_LEAVE_GROUP_FLEX(ver);

	sm_proto_str_write(w, in->group_id, flex, 0);
	if (ver < 3) {
		sm_proto_str_write(w, in->members_cnt > 0 ? in->members[0].member_id : "", flex, 0);
		return;
	}
	sm_proto_array_write(w, in->members_cnt, flex, 0);
	for (int32_t i = 0; i < in->members_cnt; i++) {
		sm_proto_str_write(w, in->members[i].member_id, flex, 0);
		sm_proto_str_write(w, in->members[i].group_instance_id, flex, 1);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}

/* ---- response ---- */

int sm_leave_group_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			     sm_leave_group_resp_t *out)
{
	int flex = SM_LEAVE_GROUP_FLEX(ver);

	sm_leave_group_resp_init(out);
	if (ver >= 1)
		out->throttle_time_ms = sm_rbuf_i32(rb);
	out->error_code = sm_rbuf_i16(rb);
	if (ver >= 3) {
		size_t smin = SM_LEAVE_GROUP_STR_MIN(flex);
		int32_t n = sm_proto_array_read(rb, flex, 0,
						2 * smin + 2 + SM_LEAVE_GROUP_TAGS_MIN(flex));
		out->members = sm_proto_array_ralloc(rb, a, n, sizeof(*out->members));
		for (int32_t i = 0; i < n && !rb->err; i++) {
			sm_leave_group_resp_member_t *m = &out->members[i];
			m->member_id = sm_proto_str_read(rb, flex, 0, a);
			m->group_instance_id = sm_proto_str_read(rb, flex, 1, a);
			m->error_code = sm_rbuf_i16(rb);
			if (flex)
				sm_proto_tags_read(rb, a, NULL, NULL);
		}
		SM_RBUF_CHECK(rb);
		out->members_cnt = n;
	}
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_leave_group_resp_write(sm_wbuf_t *w, int16_t ver, const sm_leave_group_resp_t *in)
{
	int flex = SM_LEAVE_GROUP_FLEX(ver);

	if (ver >= 1)
		sm_wbuf_i32(w, in->throttle_time_ms);
	sm_wbuf_i16(w, in->error_code);
	if (ver >= 3) {
		sm_proto_array_write(w, in->members_cnt, flex, 0);
		for (int32_t i = 0; i < in->members_cnt; i++) {
			sm_proto_str_write(w, in->members[i].member_id, flex, 0);
			sm_proto_str_write(w, in->members[i].group_instance_id, flex, 1);
			sm_wbuf_i16(w, in->members[i].error_code);
			if (flex)
				sm_wbuf_tags_empty(w);
		}
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}
