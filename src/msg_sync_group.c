/*
 * msg_sync_group.c - SyncGroup request/response codec, versions 0-5 (Kafka's
 * generated SyncGroupRequestData / SyncGroupResponseData).
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_sync_group.h"
#include "protocol.h"

#define SM_SYNC_GROUP_FLEX(ver) ((ver) >= 4)
#define SM_SYNC_GROUP_STR_MIN(flex) ((size_t)((flex) ? 1 : 2))
#define SM_SYNC_GROUP_BYTES_MIN(flex) ((size_t)((flex) ? 1 : 4))
#define SM_SYNC_GROUP_TAGS_MIN(flex) ((size_t)((flex) ? 1 : 0))

void sm_sync_group_req_init(sm_sync_group_req_t *r)
{
	memset(r, 0, sizeof(*r));
}

void sm_sync_group_resp_init(sm_sync_group_resp_t *r)
{
	memset(r, 0, sizeof(*r));
}

/* Assignments are never null in the schema. */
static sm_bytes_t sm_sync_group_bytes_read(sm_rbuf_t *rb, int flex)
{
	sm_bytes_t b = sm_rbuf_bytes(rb, flex);

	if (b.len < 0 && !rb->err)
		sm_rbuf_fail(rb);
	return b;
}

static void sm_sync_group_bytes_write(sm_wbuf_t *w, sm_bytes_t b, int flex)
{
	sm_wbuf_bytes(w, b.ptr, b.len < 0 ? 0 : b.len, flex);
}

int sm_sync_group_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_sync_group_req_t *out)
{
	int flex = SM_SYNC_GROUP_FLEX(ver);

	sm_sync_group_req_init(out);
	out->group_id = sm_proto_str_read(rb, flex, 0, a);
	out->generation_id = sm_rbuf_i32(rb);
	out->member_id = sm_proto_str_read(rb, flex, 0, a);
	if (ver >= 3)
		out->group_instance_id = sm_proto_str_read(rb, flex, 1, a);
	if (ver >= 5) {
		out->protocol_type = sm_proto_str_read(rb, flex, 1, a);
		out->protocol_name = sm_proto_str_read(rb, flex, 1, a);
	}
	int32_t n = sm_proto_array_read(rb, flex, 0,
					SM_SYNC_GROUP_STR_MIN(flex) + SM_SYNC_GROUP_BYTES_MIN(flex) +
						SM_SYNC_GROUP_TAGS_MIN(flex));
	out->assignments = sm_proto_array_ralloc(rb, a, n, sizeof(*out->assignments));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		out->assignments[i].member_id = sm_proto_str_read(rb, flex, 0, a);
		out->assignments[i].assignment = sm_sync_group_bytes_read(rb, flex);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	SM_RBUF_CHECK(rb);
	out->assignments_cnt = n;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_sync_group_req_write(sm_wbuf_t *w, int16_t ver, const sm_sync_group_req_t *in)
{
	int flex = SM_SYNC_GROUP_FLEX(ver);

	sm_proto_str_write(w, in->group_id, flex, 0);
	sm_wbuf_i32(w, in->generation_id);
	sm_proto_str_write(w, in->member_id, flex, 0);
	if (ver >= 3)
		sm_proto_str_write(w, in->group_instance_id, flex, 1);
	if (ver >= 5) {
		sm_proto_str_write(w, in->protocol_type, flex, 1);
		sm_proto_str_write(w, in->protocol_name, flex, 1);
	}
	sm_proto_array_write(w, in->assignments_cnt, flex, 0);
	for (int32_t i = 0; i < in->assignments_cnt; i++) {
		sm_proto_str_write(w, in->assignments[i].member_id, flex, 0);
		sm_sync_group_bytes_write(w, in->assignments[i].assignment, flex);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}

int sm_sync_group_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			    sm_sync_group_resp_t *out)
{
	int flex = SM_SYNC_GROUP_FLEX(ver);

	sm_sync_group_resp_init(out);
	if (ver >= 1)
		out->throttle_time_ms = sm_rbuf_i32(rb);
	out->error_code = sm_rbuf_i16(rb);
	if (ver >= 5) {
		out->protocol_type = sm_proto_str_read(rb, flex, 1, a);
		out->protocol_name = sm_proto_str_read(rb, flex, 1, a);
	}
	out->assignment = sm_sync_group_bytes_read(rb, flex);
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_sync_group_resp_write(sm_wbuf_t *w, int16_t ver, const sm_sync_group_resp_t *in)
{
	int flex = SM_SYNC_GROUP_FLEX(ver);

	if (ver >= 1)
		sm_wbuf_i32(w, in->throttle_time_ms);
	sm_wbuf_i16(w, in->error_code);
	if (ver >= 5) {
		sm_proto_str_write(w, in->protocol_type, flex, 1);
		sm_proto_str_write(w, in->protocol_name, flex, 1);
	}
	sm_sync_group_bytes_write(w, in->assignment, flex);
	if (flex)
		sm_wbuf_tags_empty(w);
}
