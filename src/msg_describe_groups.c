/*
 * msg_describe_groups.c - DescribeGroups request/response codec, versions
 * 0-5 (Kafka's generated DescribeGroupsRequestData /
 * DescribeGroupsResponseData).
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_describe_groups.h"
#include "protocol.h"

#define SM_DESCRIBE_GROUPS_FLEX(ver) ((ver) >= 5)
#define SM_DESCRIBE_GROUPS_STR_MIN(flex) ((size_t)((flex) ? 1 : 2))
#define SM_DESCRIBE_GROUPS_BYTES_MIN(flex) ((size_t)((flex) ? 1 : 4))
#define SM_DESCRIBE_GROUPS_TAGS_MIN(flex) ((size_t)((flex) ? 1 : 0))

void sm_describe_groups_req_init(sm_describe_groups_req_t *r)
{
	memset(r, 0, sizeof(*r));
}

void sm_describe_groups_resp_init(sm_describe_groups_resp_t *r)
{
	memset(r, 0, sizeof(*r));
}

void sm_describe_groups_resp_group_init(sm_describe_groups_resp_group_t *g)
{
	memset(g, 0, sizeof(*g));
	g->authorized_operations = SM_DESCRIBE_GROUPS_AUTHZ_OPS_NONE;
}

/* Member metadata and assignment are never null in the schema. */
static sm_bytes_t sm_describe_groups_bytes_read(sm_rbuf_t *rb, int flex)
{
	sm_bytes_t b = sm_rbuf_bytes(rb, flex);

	if (b.len < 0 && !rb->err)
		sm_rbuf_fail(rb);
	return b;
}

static void sm_describe_groups_bytes_write(sm_wbuf_t *w, sm_bytes_t b, int flex)
{
	sm_wbuf_bytes(w, b.ptr, b.len < 0 ? 0 : b.len, flex);
}

/* ---- request ---- */

int sm_describe_groups_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				sm_describe_groups_req_t *out)
{
	int flex = SM_DESCRIBE_GROUPS_FLEX(ver);

	sm_describe_groups_req_init(out);
	int32_t n = sm_proto_array_read(rb, flex, 0, SM_DESCRIBE_GROUPS_STR_MIN(flex));
	out->groups = sm_proto_array_ralloc(rb, a, n, sizeof(*out->groups));
	for (int32_t i = 0; i < n && !rb->err; i++)
		out->groups[i] = sm_proto_str_read(rb, flex, 0, a);
	SM_RBUF_CHECK(rb);
	out->groups_cnt = n;
	if (ver >= 3)
		out->include_authorized_operations = sm_rbuf_bool(rb);
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_describe_groups_req_write(sm_wbuf_t *w, int16_t ver, const sm_describe_groups_req_t *in)
{
	int flex = SM_DESCRIBE_GROUPS_FLEX(ver);

	sm_proto_array_write(w, in->groups_cnt, flex, 0);
	for (int32_t i = 0; i < in->groups_cnt; i++)
		sm_proto_str_write(w, in->groups[i], flex, 0);
	if (ver >= 3)
		sm_wbuf_bool(w, in->include_authorized_operations);
	if (flex)
		sm_wbuf_tags_empty(w);
}

/* ---- response ---- */

static void sm_describe_groups_members_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
					    sm_describe_groups_resp_group_t *g)
{
	int flex = SM_DESCRIBE_GROUPS_FLEX(ver);
	size_t smin = SM_DESCRIBE_GROUPS_STR_MIN(flex);
	size_t min = (ver >= 4 ? 4 : 3) * smin + 2 * SM_DESCRIBE_GROUPS_BYTES_MIN(flex) +
		     SM_DESCRIBE_GROUPS_TAGS_MIN(flex);
	int32_t n = sm_proto_array_read(rb, flex, 0, min);

	g->members = sm_proto_array_ralloc(rb, a, n, sizeof(*g->members));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_describe_groups_resp_member_t *m = &g->members[i];
		m->member_id = sm_proto_str_read(rb, flex, 0, a);
		if (ver >= 4)
			m->group_instance_id = sm_proto_str_read(rb, flex, 1, a);
		m->client_id = sm_proto_str_read(rb, flex, 0, a);
		m->client_host = sm_proto_str_read(rb, flex, 0, a);
		m->member_metadata = sm_describe_groups_bytes_read(rb, flex);
		m->member_assignment = sm_describe_groups_bytes_read(rb, flex);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	g->members_cnt = rb->err ? 0 : n;
}

static void sm_describe_groups_group_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
					  sm_describe_groups_resp_group_t *g)
{
	int flex = SM_DESCRIBE_GROUPS_FLEX(ver);

	sm_describe_groups_resp_group_init(g);
	g->error_code = sm_rbuf_i16(rb);
	g->group_id = sm_proto_str_read(rb, flex, 0, a);
	g->group_state = sm_proto_str_read(rb, flex, 0, a);
	g->protocol_type = sm_proto_str_read(rb, flex, 0, a);
	g->protocol_data = sm_proto_str_read(rb, flex, 0, a);
	sm_describe_groups_members_read(rb, ver, a, g);
	if (ver >= 3)
		g->authorized_operations = sm_rbuf_i32(rb);
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
}

int sm_describe_groups_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				 sm_describe_groups_resp_t *out)
{
	int flex = SM_DESCRIBE_GROUPS_FLEX(ver);
	size_t min = 2 + 4 * SM_DESCRIBE_GROUPS_STR_MIN(flex) + (flex ? 1 : 4) +
		     (ver >= 3 ? 4 : 0) + SM_DESCRIBE_GROUPS_TAGS_MIN(flex);

	sm_describe_groups_resp_init(out);
	if (ver >= 1)
		out->throttle_time_ms = sm_rbuf_i32(rb);
	int32_t n = sm_proto_array_read(rb, flex, 0, min);
	out->groups = sm_proto_array_ralloc(rb, a, n, sizeof(*out->groups));
	for (int32_t i = 0; i < n && !rb->err; i++)
		sm_describe_groups_group_read(rb, ver, a, &out->groups[i]);
	SM_RBUF_CHECK(rb);
	out->groups_cnt = n;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

static void sm_describe_groups_group_write(sm_wbuf_t *w, int16_t ver,
					   const sm_describe_groups_resp_group_t *g)
{
	int flex = SM_DESCRIBE_GROUPS_FLEX(ver);

	sm_wbuf_i16(w, g->error_code);
	sm_proto_str_write(w, g->group_id, flex, 0);
	sm_proto_str_write(w, g->group_state, flex, 0);
	sm_proto_str_write(w, g->protocol_type, flex, 0);
	sm_proto_str_write(w, g->protocol_data, flex, 0);
	sm_proto_array_write(w, g->members_cnt, flex, 0);
	for (int32_t i = 0; i < g->members_cnt; i++) {
		const sm_describe_groups_resp_member_t *m = &g->members[i];
		sm_proto_str_write(w, m->member_id, flex, 0);
		if (ver >= 4)
			sm_proto_str_write(w, m->group_instance_id, flex, 1);
		sm_proto_str_write(w, m->client_id, flex, 0);
		sm_proto_str_write(w, m->client_host, flex, 0);
		sm_describe_groups_bytes_write(w, m->member_metadata, flex);
		sm_describe_groups_bytes_write(w, m->member_assignment, flex);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (ver >= 3)
		sm_wbuf_i32(w, g->authorized_operations);
	if (flex)
		sm_wbuf_tags_empty(w);
}

void sm_describe_groups_resp_write(sm_wbuf_t *w, int16_t ver,
				   const sm_describe_groups_resp_t *in)
{
	int flex = SM_DESCRIBE_GROUPS_FLEX(ver);

	if (ver >= 1)
		sm_wbuf_i32(w, in->throttle_time_ms);
	sm_proto_array_write(w, in->groups_cnt, flex, 0);
	for (int32_t i = 0; i < in->groups_cnt; i++)
		sm_describe_groups_group_write(w, ver, &in->groups[i]);
	if (flex)
		sm_wbuf_tags_empty(w);
}
