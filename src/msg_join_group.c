/*
 * msg_join_group.c - JoinGroup request/response codec, versions 0-7 (Kafka's
 * generated JoinGroupRequestData / JoinGroupResponseData).
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_join_group.h"
#include "protocol.h"

#define SM_JOIN_GROUP_FLEX(ver) ((ver) >= 6)
#define SM_JOIN_GROUP_STR_MIN(flex) ((size_t)((flex) ? 1 : 2))
#define SM_JOIN_GROUP_BYTES_MIN(flex) ((size_t)((flex) ? 1 : 4))
#define SM_JOIN_GROUP_TAGS_MIN(flex) ((size_t)((flex) ? 1 : 0))

void sm_join_group_req_init(sm_join_group_req_t *r)
{
	memset(r, 0, sizeof(*r));
	r->rebalance_timeout_ms = -1;
}

void sm_join_group_resp_init(sm_join_group_resp_t *r)
{
	memset(r, 0, sizeof(*r));
	r->generation_id = -1;
}

/* Protocol metadata is never null in the schema. */
static sm_bytes_t sm_join_group_bytes_read(sm_rbuf_t *rb, int flex)
{
	sm_bytes_t b = sm_rbuf_bytes(rb, flex);

	if (b.len < 0 && !rb->err)
		sm_rbuf_fail(rb);
	return b;
}

static void sm_join_group_bytes_write(sm_wbuf_t *w, sm_bytes_t b, int flex)
{
	sm_wbuf_bytes(w, b.ptr, b.len < 0 ? 0 : b.len, flex);
}

/* ---- request ---- */

int sm_join_group_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_join_group_req_t *out)
{
	int flex = SM_JOIN_GROUP_FLEX(ver);

	sm_join_group_req_init(out);
	out->group_id = sm_proto_str_read(rb, flex, 0, a);
	out->session_timeout_ms = sm_rbuf_i32(rb);
	if (ver >= 1)
		out->rebalance_timeout_ms = sm_rbuf_i32(rb);
	out->member_id = sm_proto_str_read(rb, flex, 0, a);
	if (ver >= 5)
		out->group_instance_id = sm_proto_str_read(rb, flex, 1, a);
	out->protocol_type = sm_proto_str_read(rb, flex, 0, a);
	int32_t n = sm_proto_array_read(rb, flex, 0,
					SM_JOIN_GROUP_STR_MIN(flex) + SM_JOIN_GROUP_BYTES_MIN(flex) +
						SM_JOIN_GROUP_TAGS_MIN(flex));
	out->protocols = sm_proto_array_ralloc(rb, a, n, sizeof(*out->protocols));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		out->protocols[i].name = sm_proto_str_read(rb, flex, 0, a);
		out->protocols[i].metadata = sm_join_group_bytes_read(rb, flex);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	SM_RBUF_CHECK(rb);
	out->protocols_cnt = n;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_join_group_req_write(sm_wbuf_t *w, int16_t ver, const sm_join_group_req_t *in)
{
	int flex = SM_JOIN_GROUP_FLEX(ver);

	sm_proto_str_write(w, in->group_id, flex, 0);
	sm_wbuf_i32(w, in->session_timeout_ms);
	if (ver >= 1)
		sm_wbuf_i32(w, in->rebalance_timeout_ms);
	sm_proto_str_write(w, in->member_id, flex, 0);
	if (ver >= 5)
		sm_proto_str_write(w, in->group_instance_id, flex, 1);
	sm_proto_str_write(w, in->protocol_type, flex, 0);
	sm_proto_array_write(w, in->protocols_cnt, flex, 0);
	for (int32_t i = 0; i < in->protocols_cnt; i++) {
		sm_proto_str_write(w, in->protocols[i].name, flex, 0);
		sm_join_group_bytes_write(w, in->protocols[i].metadata, flex);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}

/* ---- response ---- */

static void sm_join_group_resp_members_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
					    sm_join_group_resp_t *out)
{
	int flex = SM_JOIN_GROUP_FLEX(ver);
	size_t smin = SM_JOIN_GROUP_STR_MIN(flex);
	size_t min = smin + (ver >= 5 ? smin : 0) + SM_JOIN_GROUP_BYTES_MIN(flex) +
		     SM_JOIN_GROUP_TAGS_MIN(flex);
	int32_t n = sm_proto_array_read(rb, flex, 0, min);

	out->members = sm_proto_array_ralloc(rb, a, n, sizeof(*out->members));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_join_group_resp_member_t *m = &out->members[i];
		m->member_id = sm_proto_str_read(rb, flex, 0, a);
		if (ver >= 5)
			m->group_instance_id = sm_proto_str_read(rb, flex, 1, a);
		m->metadata = sm_join_group_bytes_read(rb, flex);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	out->members_cnt = rb->err ? 0 : n;
}

int sm_join_group_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			    sm_join_group_resp_t *out)
{
	int flex = SM_JOIN_GROUP_FLEX(ver);

	sm_join_group_resp_init(out);
	if (ver >= 2)
		out->throttle_time_ms = sm_rbuf_i32(rb);
	out->error_code = sm_rbuf_i16(rb);
	out->generation_id = sm_rbuf_i32(rb);
	if (ver >= 7)
		out->protocol_type = sm_proto_str_read(rb, flex, 1, a);
	out->protocol_name = sm_proto_str_read(rb, flex, ver >= 7, a);
	out->leader = sm_proto_str_read(rb, flex, 0, a);
	out->member_id = sm_proto_str_read(rb, flex, 0, a);
	sm_join_group_resp_members_read(rb, ver, a, out);
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_join_group_resp_write(sm_wbuf_t *w, int16_t ver, const sm_join_group_resp_t *in)
{
	int flex = SM_JOIN_GROUP_FLEX(ver);

	if (ver >= 2)
		sm_wbuf_i32(w, in->throttle_time_ms);
	sm_wbuf_i16(w, in->error_code);
	sm_wbuf_i32(w, in->generation_id);
	if (ver >= 7)
		sm_proto_str_write(w, in->protocol_type, flex, 1);
	sm_proto_str_write(w, in->protocol_name, flex, ver >= 7);
	sm_proto_str_write(w, in->leader, flex, 0);
	sm_proto_str_write(w, in->member_id, flex, 0);
	sm_proto_array_write(w, in->members_cnt, flex, 0);
	for (int32_t i = 0; i < in->members_cnt; i++) {
		const sm_join_group_resp_member_t *m = &in->members[i];
		sm_proto_str_write(w, m->member_id, flex, 0);
		if (ver >= 5)
			sm_proto_str_write(w, m->group_instance_id, flex, 1);
		sm_join_group_bytes_write(w, m->metadata, flex);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}
