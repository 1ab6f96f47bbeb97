/*
 * msg_list_groups.c - ListGroups request/response codec, versions 0-4
 * (Kafka's generated ListGroupsRequestData / ListGroupsResponseData).
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_list_groups.h"
#include "protocol.h"

#define SM_LIST_GROUPS_FLEX(ver) ((ver) >= 3)
#define SM_LIST_GROUPS_STR_MIN(flex) ((size_t)((flex) ? 1 : 2))

void sm_list_groups_req_init(sm_list_groups_req_t *r)
{
	memset(r, 0, sizeof(*r));
}

void sm_list_groups_resp_init(sm_list_groups_resp_t *r)
{
	memset(r, 0, sizeof(*r));
}

int sm_list_groups_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			    sm_list_groups_req_t *out)
{
	int flex = SM_LIST_GROUPS_FLEX(ver);

	sm_list_groups_req_init(out);
	if (ver >= 4) {
		int32_t n = sm_proto_array_read(rb, flex, 0, SM_LIST_GROUPS_STR_MIN(flex));
		out->states_filter = sm_proto_array_ralloc(rb, a, n, sizeof(*out->states_filter));
		for (int32_t i = 0; i < n && !rb->err; i++)
			out->states_filter[i] = sm_proto_str_read(rb, flex, 0, a);
		SM_RBUF_CHECK(rb);
		out->states_filter_cnt = n;
	}
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_list_groups_req_write(sm_wbuf_t *w, int16_t ver, const sm_list_groups_req_t *in)
{
	int flex = SM_LIST_GROUPS_FLEX(ver);

	if (ver >= 4) {
		sm_proto_array_write(w, in->states_filter_cnt, flex, 0);
		for (int32_t i = 0; i < in->states_filter_cnt; i++)
			sm_proto_str_write(w, in->states_filter[i], flex, 0);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}

int sm_list_groups_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			     sm_list_groups_resp_t *out)
{
	int flex = SM_LIST_GROUPS_FLEX(ver);
	size_t smin = SM_LIST_GROUPS_STR_MIN(flex);

	sm_list_groups_resp_init(out);
	if (ver >= 1)
		out->throttle_time_ms = sm_rbuf_i32(rb);
	out->error_code = sm_rbuf_i16(rb);
	int32_t n = sm_proto_array_read(rb, flex, 0, (ver >= 4 ? 3 : 2) * smin + (flex ? 1 : 0));
	out->groups = sm_proto_array_ralloc(rb, a, n, sizeof(*out->groups));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_list_groups_resp_group_t *g = &out->groups[i];
		g->group_id = sm_proto_str_read(rb, flex, 0, a);
		g->protocol_type = sm_proto_str_read(rb, flex, 0, a);
		if (ver >= 4)
			g->group_state = sm_proto_str_read(rb, flex, 0, a);
		else
			g->group_state = sm_proto_empty_str(a);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	SM_RBUF_CHECK(rb);
	out->groups_cnt = n;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_list_groups_resp_write(sm_wbuf_t *w, int16_t ver, const sm_list_groups_resp_t *in)
{
	int flex = SM_LIST_GROUPS_FLEX(ver);

	if (ver >= 1)
		sm_wbuf_i32(w, in->throttle_time_ms);
	sm_wbuf_i16(w, in->error_code);
	sm_proto_array_write(w, in->groups_cnt, flex, 0);
	for (int32_t i = 0; i < in->groups_cnt; i++) {
		sm_proto_str_write(w, in->groups[i].group_id, flex, 0);
		sm_proto_str_write(w, in->groups[i].protocol_type, flex, 0);
		if (ver >= 4)
			sm_proto_str_write(w, in->groups[i].group_state, flex, 0);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}
