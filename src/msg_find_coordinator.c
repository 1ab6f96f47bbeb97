/*
 * msg_find_coordinator.c - FindCoordinator request/response codec, versions
 * 0-3 (Kafka's generated FindCoordinatorRequestData /
 * FindCoordinatorResponseData).
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_find_coordinator.h"
#include "protocol.h"

#define SM_FIND_COORDINATOR_FLEX(ver) ((ver) >= 3)

void sm_find_coordinator_req_init(sm_find_coordinator_req_t *r)
{
	memset(r, 0, sizeof(*r));
}

void sm_find_coordinator_resp_init(sm_find_coordinator_resp_t *r)
{
	memset(r, 0, sizeof(*r));
}

int sm_find_coordinator_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				 sm_find_coordinator_req_t *out)
{
	int flex = SM_FIND_COORDINATOR_FLEX(ver);

	sm_find_coordinator_req_init(out);
	out->key = sm_proto_str_read(rb, flex, 0, a);
	if (ver >= 1)
		out->key_type = sm_rbuf_i8(rb);
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_find_coordinator_req_write(sm_wbuf_t *w, int16_t ver,
				   const sm_find_coordinator_req_t *in)
{
	int flex = SM_FIND_COORDINATOR_FLEX(ver);

	sm_proto_str_write(w, in->key, flex, 0);
	if (ver >= 1)
		sm_wbuf_i8(w, in->key_type);
	if (flex)
		sm_wbuf_tags_empty(w);
}

int sm_find_coordinator_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				  sm_find_coordinator_resp_t *out)
{
	int flex = SM_FIND_COORDINATOR_FLEX(ver);

	sm_find_coordinator_resp_init(out);
	if (ver >= 1)
		out->throttle_time_ms = sm_rbuf_i32(rb);
	out->error_code = sm_rbuf_i16(rb);
	if (ver >= 1)
		out->error_message = sm_proto_str_read(rb, flex, 1, a);
	out->node_id = sm_rbuf_i32(rb);
	out->host = sm_proto_str_read(rb, flex, 0, a);
	out->port = sm_rbuf_i32(rb);
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_find_coordinator_resp_write(sm_wbuf_t *w, int16_t ver,
				    const sm_find_coordinator_resp_t *in)
{
	int flex = SM_FIND_COORDINATOR_FLEX(ver);

	if (ver >= 1)
		sm_wbuf_i32(w, in->throttle_time_ms);
	sm_wbuf_i16(w, in->error_code);
	if (ver >= 1)
		sm_proto_str_write(w, in->error_message, flex, 1);
	sm_wbuf_i32(w, in->node_id);
	sm_proto_str_write(w, in->host, flex, 0);
	sm_wbuf_i32(w, in->port);
	if (flex)
		sm_wbuf_tags_empty(w);
}
