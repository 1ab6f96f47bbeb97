/*
 * msg_create_partitions.c - CreatePartitions request/response codec,
 * versions 0-3 (Kafka's generated CreatePartitionsRequestData /
 * CreatePartitionsResponseData).
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_create_partitions.h"
#include "protocol.h"

#define SM_CP_FLEX(ver) ((ver) >= 2)
#define SM_CP_STR_MIN(flex) ((size_t)((flex) ? 1 : 2))
#define SM_CP_ARR_MIN(flex) ((size_t)((flex) ? 1 : 4))
#define SM_CP_TAGS_MIN(flex) ((size_t)((flex) ? 1 : 0))

void sm_create_partitions_req_init(sm_create_partitions_req_t *r)
{
	memset(r, 0, sizeof(*r));
}

void sm_create_partitions_resp_init(sm_create_partitions_resp_t *r)
{
	memset(r, 0, sizeof(*r));
}

static void sm_cp_topic_read(sm_rbuf_t *rb, int flex, sm_arena_t *a, sm_create_partitions_topic_t *t)
{
	t->name = sm_proto_str_read(rb, flex, 0, a);
	t->count = sm_rbuf_i32(rb);
	int32_t n = sm_proto_array_read(rb, flex, 1, SM_CP_ARR_MIN(flex) + SM_CP_TAGS_MIN(flex));
	t->assignments = sm_proto_array_ralloc(rb, a, n, sizeof(*t->assignments));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		t->assignments[i].broker_ids = sm_proto_i32s_read(rb, flex, 0, a,
								  &t->assignments[i].broker_ids_cnt);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	t->assignments_cnt = n;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
}

int sm_create_partitions_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				  sm_create_partitions_req_t *out)
{
	int flex = SM_CP_FLEX(ver);

	sm_create_partitions_req_init(out);
	int32_t n = sm_proto_array_read(rb, flex, 0, SM_CP_STR_MIN(flex) + 4 + SM_CP_ARR_MIN(flex));
	out->topics = sm_proto_array_ralloc(rb, a, n, sizeof(*out->topics));
	for (int32_t i = 0; i < n && !rb->err; i++)
		sm_cp_topic_read(rb, flex, a, &out->topics[i]);
	SM_RBUF_CHECK(rb);
	out->topics_cnt = n;
	out->timeout_ms = sm_rbuf_i32(rb);
	out->validate_only = sm_rbuf_i8(rb);
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_create_partitions_req_write(sm_wbuf_t *w, int16_t ver,
				    const sm_create_partitions_req_t *in)
{
	int flex = SM_CP_FLEX(ver);

	sm_proto_array_write(w, in->topics_cnt, flex, 0);
	for (int32_t i = 0; i < in->topics_cnt; i++) {
		const sm_create_partitions_topic_t *t = &in->topics[i];
		sm_proto_str_write(w, t->name, flex, 0);
		sm_wbuf_i32(w, t->count);
		sm_proto_array_write(w, t->assignments_cnt, flex, 1);
		for (int32_t j = 0; j < t->assignments_cnt; j++) {
			sm_proto_i32s_write(w, t->assignments[j].broker_ids,
					    t->assignments[j].broker_ids_cnt, flex, 0);
			if (flex)
				sm_wbuf_tags_empty(w);
		}
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	sm_wbuf_i32(w, in->timeout_ms);
	sm_wbuf_i8(w, in->validate_only);
	if (flex)
		sm_wbuf_tags_empty(w);
}

int sm_create_partitions_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				   sm_create_partitions_resp_t *out)
{
	int flex = SM_CP_FLEX(ver);

	sm_create_partitions_resp_init(out);
	out->throttle_time_ms = sm_rbuf_i32(rb);
	int32_t n = sm_proto_array_read(rb, flex, 0,
					SM_CP_STR_MIN(flex) * 2 + 2 + SM_CP_TAGS_MIN(flex));
	out->results = sm_proto_array_ralloc(rb, a, n, sizeof(*out->results));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_create_partitions_result_t *r = &out->results[i];
		r->name = sm_proto_str_read(rb, flex, 0, a);
		r->error_code = sm_rbuf_i16(rb);
		r->error_message = sm_proto_str_read(rb, flex, 1, a);
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

void sm_create_partitions_resp_write(sm_wbuf_t *w, int16_t ver,
				     const sm_create_partitions_resp_t *in)
{
	int flex = SM_CP_FLEX(ver);

	sm_wbuf_i32(w, in->throttle_time_ms);
	sm_proto_array_write(w, in->results_cnt, flex, 0);
	for (int32_t i = 0; i < in->results_cnt; i++) {
		const sm_create_partitions_result_t *r = &in->results[i];
		sm_proto_str_write(w, r->name, flex, 0);
		sm_wbuf_i16(w, r->error_code);
		sm_proto_str_write(w, r->error_message, flex, 1);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}
