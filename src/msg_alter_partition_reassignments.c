/*
 * msg_alter_partition_reassignments.c - AlterPartitionReassignments
 * request/response codec, version 0 (flexible).
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_alter_partition_reassignments.h"
#include "protocol.h"

void sm_apr_req_init(sm_apr_req_t *r)
{
	memset(r, 0, sizeof(*r));
	r->timeout_ms = 60000;
}

void sm_apr_resp_init(sm_apr_resp_t *r)
{
	memset(r, 0, sizeof(*r));
}

int sm_apr_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_apr_req_t *out)
{
	(void)ver;
	sm_apr_req_init(out);
	out->timeout_ms = sm_rbuf_i32(rb);
	int32_t n = sm_proto_array_read(rb, 1, 0, 1 + 1 + 1);
	out->topics = sm_proto_array_ralloc(rb, a, n, sizeof(*out->topics));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_apr_req_topic_t *t = &out->topics[i];
		t->name = sm_proto_str_read(rb, 1, 0, a);
		int32_t np = sm_proto_array_read(rb, 1, 0, 4 + 1 + 1);
		t->partitions = sm_proto_array_ralloc(rb, a, np, sizeof(*t->partitions));
		for (int32_t j = 0; j < np && !rb->err; j++) {
			t->partitions[j].partition_index = sm_rbuf_i32(rb);
			t->partitions[j].replicas = sm_proto_i32s_read(rb, 1, 1, a, &t->partitions[j].replicas_cnt);
			sm_proto_tags_read(rb, a, NULL, NULL);
		}
		t->partitions_cnt = np < 0 ? 0 : np;
		sm_proto_tags_read(rb, a, NULL, NULL);
	}
	SM_RBUF_CHECK(rb);
	out->topics_cnt = n;
	sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_apr_req_write(sm_wbuf_t *w, int16_t ver, const sm_apr_req_t *in)
{
	(void)ver;
	sm_wbuf_i32(w, in->timeout_ms);
	sm_proto_array_write(w, in->topics_cnt, 1, 0);
	for (int32_t i = 0; i < in->topics_cnt; i++) {
		const sm_apr_req_topic_t *t = &in->topics[i];
		sm_proto_str_write(w, t->name, 1, 0);
		sm_proto_array_write(w, t->partitions_cnt, 1, 0);
		for (int32_t j = 0; j < t->partitions_cnt; j++) {
			sm_wbuf_i32(w, t->partitions[j].partition_index);
			sm_proto_i32s_write(w, t->partitions[j].replicas, t->partitions[j].replicas_cnt, 1, 1);
			sm_wbuf_tags_empty(w);
		}
		sm_wbuf_tags_empty(w);
	}
	sm_wbuf_tags_empty(w);
}

int sm_apr_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_apr_resp_t *out)
{
	(void)ver;
	sm_apr_resp_init(out);
	out->throttle_time_ms = sm_rbuf_i32(rb);
	out->error_code = sm_rbuf_i16(rb);
	out->error_message = sm_proto_str_read(rb, 1, 1, a);
	int32_t n = sm_proto_array_read(rb, 1, 0, 1 + 1 + 1);
	out->responses = sm_proto_array_ralloc(rb, a, n, sizeof(*out->responses));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_apr_resp_topic_t *t = &out->responses[i];
		t->name = sm_proto_str_read(rb, 1, 0, a);
		int32_t np = sm_proto_array_read(rb, 1, 0, 4 + 2 + 1 + 1);
		t->partitions = sm_proto_array_ralloc(rb, a, np, sizeof(*t->partitions));
		for (int32_t j = 0; j < np && !rb->err; j++) {
			t->partitions[j].partition_index = sm_rbuf_i32(rb);
			t->partitions[j].error_code = sm_rbuf_i16(rb);
			t->partitions[j].error_message = sm_proto_str_read(rb, 1, 1, a);
			sm_proto_tags_read(rb, a, NULL, NULL);
		}
		t->partitions_cnt = np < 0 ? 0 : np;
		sm_proto_tags_read(rb, a, NULL, NULL);
	}
	SM_RBUF_CHECK(rb);
	out->responses_cnt = n;
	sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_apr_resp_write(sm_wbuf_t *w, int16_t ver, const sm_apr_resp_t *in)
{
	(void)ver;
	sm_wbuf_i32(w, in->throttle_time_ms);
	sm_wbuf_i16(w, in->error_code);
	sm_proto_str_write(w, in->error_message, 1, 1);
	sm_proto_array_write(w, in->responses_cnt, 1, 0);
	for (int32_t i = 0; i < in->responses_cnt; i++) {
		const sm_apr_resp_topic_t *t = &in->responses[i];
		sm_proto_str_write(w, t->name, 1, 0);
		sm_proto_array_write(w, t->partitions_cnt, 1, 0);
		for (int32_t j = 0; j < t->partitions_cnt; j++) {
			sm_wbuf_i32(w, t->partitions[j].partition_index);
			sm_wbuf_i16(w, t->partitions[j].error_code);
			sm_proto_str_write(w, t->partitions[j].error_message, 1, 1);
			sm_wbuf_tags_empty(w);
		}
		sm_wbuf_tags_empty(w);
	}
	sm_wbuf_tags_empty(w);
}
