/*
 * msg_controlled_shutdown.c - ControlledShutdown request/response codec,
 * versions 0-3 (Kafka's generated ControlledShutdownRequestData /
 * ControlledShutdownResponseData).
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_controlled_shutdown.h"
#include "protocol.h"

#define SM_CS_FLEX(ver) ((ver) >= 3)

void sm_controlled_shutdown_req_init(sm_controlled_shutdown_req_t *r)
{
	memset(r, 0, sizeof(*r));
	r->broker_epoch = -1;
}

void sm_controlled_shutdown_resp_init(sm_controlled_shutdown_resp_t *r)
{
	memset(r, 0, sizeof(*r));
}

int sm_controlled_shutdown_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				    sm_controlled_shutdown_req_t *out)
{
	sm_controlled_shutdown_req_init(out);
	out->broker_id = sm_rbuf_i32(rb);
	if (ver >= 2)
		out->broker_epoch = sm_rbuf_i64(rb);
	if (SM_CS_FLEX(ver))
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_controlled_shutdown_req_write(sm_wbuf_t *w, int16_t ver,
				      const sm_controlled_shutdown_req_t *in)
{
	sm_wbuf_i32(w, in->broker_id);
	if (ver >= 2)
		sm_wbuf_i64(w, in->broker_epoch);
	if (SM_CS_FLEX(ver))
		sm_wbuf_tags_empty(w);
}

int sm_controlled_shutdown_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				     sm_controlled_shutdown_resp_t *out)
{
	int flex = SM_CS_FLEX(ver);

	sm_controlled_shutdown_resp_init(out);
	out->error_code = sm_rbuf_i16(rb);
	int32_t n = sm_proto_array_read(rb, flex, 0, (flex ? 1u : 2u) + 4 + (flex ? 1u : 0u));
	out->remaining = sm_proto_array_ralloc(rb, a, n, sizeof(*out->remaining));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		out->remaining[i].topic_name = sm_proto_str_read(rb, flex, 0, a);
		out->remaining[i].partition_index = sm_rbuf_i32(rb);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	SM_RBUF_CHECK(rb);
	out->remaining_cnt = n;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_controlled_shutdown_resp_write(sm_wbuf_t *w, int16_t ver,
				       const sm_controlled_shutdown_resp_t *in)
{
	int flex = SM_CS_FLEX(ver);

	sm_wbuf_i16(w, in->error_code);
	sm_proto_array_write(w, in->remaining_cnt, flex, 0);
	for (int32_t i = 0; i < in->remaining_cnt; i++) {
		sm_proto_str_write(w, in->remaining[i].topic_name, flex, 0);
		sm_wbuf_i32(w, in->remaining[i].partition_index);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}
