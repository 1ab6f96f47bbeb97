/*
 * msg_init_producer_id.c - InitProducerId request/response codec, versions
 * 0-4 (Kafka's generated InitProducerIdRequestData /
 * InitProducerIdResponseData).
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_init_producer_id.h"
#include "protocol.h"

#define SM_INIT_PRODUCER_ID_FLEX(ver) ((ver) >= 2)

void sm_init_producer_id_req_init(sm_init_producer_id_req_t *r)
{
	memset(r, 0, sizeof(*r));
	r->producer_id = -1;
	r->producer_epoch = -1;
}

void sm_init_producer_id_resp_init(sm_init_producer_id_resp_t *r)
{
	memset(r, 0, sizeof(*r));
	r->producer_id = -1;
	r->producer_epoch = -1;
}

int sm_init_producer_id_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				 sm_init_producer_id_req_t *out)
{
	int flex = SM_INIT_PRODUCER_ID_FLEX(ver);

	sm_init_producer_id_req_init(out);
	out->transactional_id = sm_proto_str_read(rb, flex, 1, a);
	out->transaction_timeout_ms = sm_rbuf_i32(rb);
	if (ver >= 3) {
		out->producer_id = sm_rbuf_i64(rb);
		out->producer_epoch = sm_rbuf_i16(rb);
	}
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_init_producer_id_req_write(sm_wbuf_t *w, int16_t ver,
				   const sm_init_producer_id_req_t *in)
{
	int flex = SM_INIT_PRODUCER_ID_FLEX(ver);

	sm_proto_str_write(w, in->transactional_id, flex, 1);
	sm_wbuf_i32(w, in->transaction_timeout_ms);
	if (ver >= 3) {
		sm_wbuf_i64(w, in->producer_id);
		sm_wbuf_i16(w, in->producer_epoch);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}

int sm_init_producer_id_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				  sm_init_producer_id_resp_t *out)
{
	int flex = SM_INIT_PRODUCER_ID_FLEX(ver);

	sm_init_producer_id_resp_init(out);
	out->throttle_time_ms = sm_rbuf_i32(rb);
	out->error_code = sm_rbuf_i16(rb);
	out->producer_id = sm_rbuf_i64(rb);
	out->producer_epoch = sm_rbuf_i16(rb);
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_init_producer_id_resp_write(sm_wbuf_t *w, int16_t ver,
				    const sm_init_producer_id_resp_t *in)
{
	int flex = SM_INIT_PRODUCER_ID_FLEX(ver);

	sm_wbuf_i32(w, in->throttle_time_ms);
	sm_wbuf_i16(w, in->error_code);
	sm_wbuf_i64(w, in->producer_id);
	sm_wbuf_i16(w, in->producer_epoch);
	if (flex)
		sm_wbuf_tags_empty(w);
}
