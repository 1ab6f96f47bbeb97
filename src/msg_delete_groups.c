/*
 * msg_delete_groups.c - DeleteGroups request/response codec, versions 0-2
 * (Kafka's generated DeleteGroupsRequestData / DeleteGroupsResponseData).
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_delete_groups.h"
#include "protocol.h"

#define SM_DELETE_GROUPS_FLEX(ver) ((ver) >= 2)
#define SM_DELETE_GROUPS_STR_MIN(flex) ((size_t)((flex) ? 1 : 2))

void sm_delete_groups_req_init(sm_delete_groups_req_t *r)
{
	memset(r, 0, sizeof(*r));
}

void sm_delete_groups_resp_init(sm_delete_groups_resp_t *r)
{
	memset(r, 0, sizeof(*r));
}

int sm_delete_groups_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_delete_groups_req_t *out)
{
	int flex = SM_DELETE_GROUPS_FLEX(ver);

	sm_delete_groups_req_init(out);
	int32_t n = sm_proto_array_read(rb, flex, 0, SM_DELETE_GROUPS_STR_MIN(flex));
	out->groups_names = sm_proto_array_ralloc(rb, a, n, sizeof(*out->groups_names));
	for (int32_t i = 0; i < n && !rb->err; i++)
		out->groups_names[i] = sm_proto_str_read(rb, flex, 0, a);
	SM_RBUF_CHECK(rb);
	out->groups_names_cnt = n;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_delete_groups_req_write(sm_wbuf_t *w, int16_t ver, const sm_delete_groups_req_t *in)
{
	int flex = SM_DELETE_GROUPS_FLEX(ver);

	sm_proto_array_write(w, in->groups_names_cnt, flex, 0);
	for (int32_t i = 0; i < in->groups_names_cnt; i++)
		sm_proto_str_write(w, in->groups_names[i], flex, 0);
	if (flex)
		sm_wbuf_tags_empty(w);
}

int sm_delete_groups_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			       sm_delete_groups_resp_t *out)
{
	int flex = SM_DELETE_GROUPS_FLEX(ver);

	sm_delete_groups_resp_init(out);
	out->throttle_time_ms = sm_rbuf_i32(rb);
	int32_t n = sm_proto_array_read(rb, flex, 0,
					SM_DELETE_GROUPS_STR_MIN(flex) + 2 + (flex ? 1 : 0));
	out->results = sm_proto_array_ralloc(rb, a, n, sizeof(*out->results));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		out->results[i].group_id = sm_proto_str_read(rb, flex, 0, a);
		out->results[i].error_code = sm_rbuf_i16(rb);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	SM_RBUF_CHECK(rb);
	out->results_cnt = n;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_delete_groups_resp_write(sm_wbuf_t *w, int16_t ver, const sm_delete_groups_resp_t *in)
{
	int flex = SM_DELETE_GROUPS_FLEX(ver);

	sm_wbuf_i32(w, in->throttle_time_ms);
	sm_proto_array_write(w, in->results_cnt, flex, 0);
	for (int32_t i = 0; i < in->results_cnt; i++) {
		sm_proto_str_write(w, in->results[i].group_id, flex, 0);
		sm_wbuf_i16(w, in->results[i].error_code);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}
