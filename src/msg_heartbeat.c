/*
 * msg_heartbeat.c - Heartbeat request/response codec, versions 0-4 (Kafka's
 * generated HeartbeatRequestData / HeartbeatResponseData).
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_heartbeat.h"
#include "protocol.h"

#define SM_HEARTBEAT_FLEX(ver) ((ver) >= 4)

void sm_heartbeat_req_init(sm_heartbeat_req_t *r)
{
	memset(r, 0, sizeof(*r));
}

void sm_heartbeat_resp_init(sm_heartbeat_resp_t *r)
{
	memset(r, 0, sizeof(*r));
}

int sm_heartbeat_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_heartbeat_req_t *out)
{
	int flex = SM_HEARTBEAT_FLEX(ver);

	sm_heartbeat_req_init(out);
	out->group_id = sm_proto_str_read(rb, flex, 0, a);
	out->generation_id = sm_rbuf_i32(rb);
	out->member_id = sm_proto_str_read(rb, flex, 0, a);
	if (ver >= 3)
		out->group_instance_id = sm_proto_str_read(rb, flex, 1, a);
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_heartbeat_req_write(sm_wbuf_t *w, int16_t ver, const sm_heartbeat_req_t *in)
{
	int flex = SM_HEARTBEAT_FLEX(ver);

	sm_proto_str_write(w, in->group_id, flex, 0);
	sm_wbuf_i32(w, in->generation_id);
	sm_proto_str_write(w, in->member_id, flex, 0);
	if (ver >= 3)
		sm_proto_str_write(w, in->group_instance_id, flex, 1);
	if (flex)
		sm_wbuf_tags_empty(w);
}

int sm_heartbeat_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_heartbeat_resp_t *out)
{
	int flex = SM_HEARTBEAT_FLEX(ver);

	sm_heartbeat_resp_init(out);
	if (ver >= 1)
		out->throttle_time_ms = sm_rbuf_i32(rb);
	out->error_code = sm_rbuf_i16(rb);
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_heartbeat_resp_write(sm_wbuf_t *w, int16_t ver, const sm_heartbeat_resp_t *in)
{
	if (ver >= 1)
		sm_wbuf_i32(w, in->throttle_time_ms);
	sm_wbuf_i16(w, in->error_code);
	if (SM_HEARTBEAT_FLEX(ver))
		sm_wbuf_tags_empty(w);
}
