/*
 * msg_elect_leaders.c - ElectLeaders request/response codec, versions 0-2
 * (Kafka's generated ElectLeadersRequestData / ElectLeadersResponseData).
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_elect_leaders.h"
#include "protocol.h"

#define SM_EL_FLEX(ver) ((ver) >= 2)
#define SM_EL_STR_MIN(flex) ((size_t)((flex) ? 1 : 2))
#define SM_EL_ARR_MIN(flex) ((size_t)((flex) ? 1 : 4))
#define SM_EL_TAGS_MIN(flex) ((size_t)((flex) ? 1 : 0))

void sm_elect_leaders_req_init(sm_elect_leaders_req_t *r)
{
	memset(r, 0, sizeof(*r));
	r->timeout_ms = 60000;
}

void sm_elect_leaders_resp_init(sm_elect_leaders_resp_t *r)
{
	memset(r, 0, sizeof(*r));
}

int sm_elect_leaders_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_elect_leaders_req_t *out)
{
	int flex = SM_EL_FLEX(ver);

	sm_elect_leaders_req_init(out);
	if (ver >= 1)
		out->election_type = sm_rbuf_i8(rb);
	int32_t n = sm_proto_array_read(rb, flex, 1,
					SM_EL_STR_MIN(flex) + SM_EL_ARR_MIN(flex) + SM_EL_TAGS_MIN(flex));
	out->topic_partitions = sm_proto_array_ralloc(rb, a, n, sizeof(*out->topic_partitions));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_elect_leaders_tp_t *tp = &out->topic_partitions[i];
		tp->topic = sm_proto_str_read(rb, flex, 0, a);
		tp->partitions = sm_proto_i32s_read(rb, flex, 0, a, &tp->partitions_cnt);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	SM_RBUF_CHECK(rb);
	out->topic_partitions_cnt = n;
	out->timeout_ms = sm_rbuf_i32(rb);
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_elect_leaders_req_write(sm_wbuf_t *w, int16_t ver, const sm_elect_leaders_req_t *in)
{
	int flex = SM_EL_FLEX(ver);

	if (ver >= 1)
		sm_wbuf_i8(w, in->election_type);
	sm_proto_array_write(w, in->topic_partitions_cnt, flex, 1);
	for (int32_t i = 0; i < in->topic_partitions_cnt; i++) {
		const sm_elect_leaders_tp_t *tp = &in->topic_partitions[i];
		sm_proto_str_write(w, tp->topic, flex, 0);
		sm_proto_i32s_write(w, tp->partitions, tp->partitions_cnt, flex, 0);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	sm_wbuf_i32(w, in->timeout_ms);
	if (flex)
		sm_wbuf_tags_empty(w);
}

static void sm_el_result_read(sm_rbuf_t *rb, int flex, sm_arena_t *a, sm_elect_leaders_result_t *r)
{
	r->topic = sm_proto_str_read(rb, flex, 0, a);
	int32_t n = sm_proto_array_read(rb, flex, 0, 4 + 2 + SM_EL_STR_MIN(flex) + SM_EL_TAGS_MIN(flex));
	r->partition_results = sm_proto_array_ralloc(rb, a, n, sizeof(*r->partition_results));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_elect_leaders_presult_t *p = &r->partition_results[i];
		p->partition_id = sm_rbuf_i32(rb);
		p->error_code = sm_rbuf_i16(rb);
		p->error_message = sm_proto_str_read(rb, flex, 1, a);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	r->partition_results_cnt = n < 0 ? 0 : n;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
}

int sm_elect_leaders_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			       sm_elect_leaders_resp_t *out)
{
	int flex = SM_EL_FLEX(ver);

	sm_elect_leaders_resp_init(out);
	out->throttle_time_ms = sm_rbuf_i32(rb);
	if (ver >= 1)
		out->error_code = sm_rbuf_i16(rb);
	int32_t n = sm_proto_array_read(rb, flex, 0,
					SM_EL_STR_MIN(flex) + SM_EL_ARR_MIN(flex) + SM_EL_TAGS_MIN(flex));
	out->results = sm_proto_array_ralloc(rb, a, n, sizeof(*out->results));
	for (int32_t i = 0; i < n && !rb->err; i++)
		sm_el_result_read(rb, flex, a, &out->results[i]);
	SM_RBUF_CHECK(rb);
	out->results_cnt = n;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_elect_leaders_resp_write(sm_wbuf_t *w, int16_t ver, const sm_elect_leaders_resp_t *in)
{
	int flex = SM_EL_FLEX(ver);

	sm_wbuf_i32(w, in->throttle_time_ms);
	if (ver >= 1)
		sm_wbuf_i16(w, in->error_code);
	sm_proto_array_write(w, in->results_cnt, flex, 0);
	for (int32_t i = 0; i < in->results_cnt; i++) {
		const sm_elect_leaders_result_t *r = &in->results[i];
		sm_proto_str_write(w, r->topic, flex, 0);
		sm_proto_array_write(w, r->partition_results_cnt, flex, 0);
		for (int32_t j = 0; j < r->partition_results_cnt; j++) {
			const sm_elect_leaders_presult_t *p = &r->partition_results[j];
			sm_wbuf_i32(w, p->partition_id);
			sm_wbuf_i16(w, p->error_code);
			sm_proto_str_write(w, p->error_message, flex, 1);
			if (flex)
				sm_wbuf_tags_empty(w);
		}
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}
