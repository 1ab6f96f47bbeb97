/*
 * msg_offset_delete.c - OffsetDelete request/response codec, version 0
 * (Kafka's generated OffsetDeleteRequestData / OffsetDeleteResponseData).
 * Not flexible, so ver is only checked for range by the caller.
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_offset_delete.h"
#include "protocol.h"

void sm_offset_delete_req_init(sm_offset_delete_req_t *r)
{
	memset(r, 0, sizeof(*r));
}

void sm_offset_delete_resp_init(sm_offset_delete_resp_t *r)
{
	memset(r, 0, sizeof(*r));
}

int sm_offset_delete_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_offset_delete_req_t *out)
{
	(void)ver;
	sm_offset_delete_req_init(out);
	out->group_id = sm_proto_str_read(rb, 0, 0, a);
	int32_t n = sm_proto_array_read(rb, 0, 0, 2 + 4);
	out->topics = sm_proto_array_ralloc(rb, a, n, sizeof(*out->topics));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_offset_delete_req_topic_t *t = &out->topics[i];
		t->name = sm_proto_str_read(rb, 0, 0, a);
		int32_t m = sm_proto_array_read(rb, 0, 0, 4);
		t->partitions = sm_proto_array_ralloc(rb, a, m, sizeof(*t->partitions));
		for (int32_t j = 0; j < m && !rb->err; j++)
			t->partitions[j].partition_index = sm_rbuf_i32(rb);
		t->partitions_cnt = rb->err ? 0 : m;
	}
	SM_RBUF_CHECK(rb);
	out->topics_cnt = n;
	return 0;

err_parse:
	return -1;
}

void sm_offset_delete_req_write(sm_wbuf_t *w, int16_t ver, const sm_offset_delete_req_t *in)
{
	(void)ver;
	sm_proto_str_write(w, in->group_id, 0, 0);
	sm_proto_array_write(w, in->topics_cnt, 0, 0);
	for (int32_t i = 0; i < in->topics_cnt; i++) {
		const sm_offset_delete_req_topic_t *t = &in->topics[i];
		sm_proto_str_write(w, t->name, 0, 0);
		sm_proto_array_write(w, t->partitions_cnt, 0, 0);
		for (int32_t j = 0; j < t->partitions_cnt; j++)
			sm_wbuf_i32(w, t->partitions[j].partition_index);
	}
}

int sm_offset_delete_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			       sm_offset_delete_resp_t *out)
{
	(void)ver;
	sm_offset_delete_resp_init(out);
	out->error_code = sm_rbuf_i16(rb);
	out->throttle_time_ms = sm_rbuf_i32(rb);
	int32_t n = sm_proto_array_read(rb, 0, 0, 2 + 4);
	out->topics = sm_proto_array_ralloc(rb, a, n, sizeof(*out->topics));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_offset_delete_resp_topic_t *t = &out->topics[i];
		t->name = sm_proto_str_read(rb, 0, 0, a);
		int32_t m = sm_proto_array_read(rb, 0, 0, 4 + 2);
		t->partitions = sm_proto_array_ralloc(rb, a, m, sizeof(*t->partitions));
		for (int32_t j = 0; j < m && !rb->err; j++) {
			t->partitions[j].partition_index = sm_rbuf_i32(rb);
			t->partitions[j].error_code = sm_rbuf_i16(rb);
		}
		t->partitions_cnt = rb->err ? 0 : m;
	}
	SM_RBUF_CHECK(rb);
	out->topics_cnt = n;
	return 0;

err_parse:
	return -1;
}

void sm_offset_delete_resp_write(sm_wbuf_t *w, int16_t ver, const sm_offset_delete_resp_t *in)
{
	(void)ver;
	sm_wbuf_i16(w, in->error_code);
	sm_wbuf_i32(w, in->throttle_time_ms);
	sm_proto_array_write(w, in->topics_cnt, 0, 0);
	for (int32_t i = 0; i < in->topics_cnt; i++) {
		const sm_offset_delete_resp_topic_t *t = &in->topics[i];
		sm_proto_str_write(w, t->name, 0, 0);
		sm_proto_array_write(w, t->partitions_cnt, 0, 0);
		for (int32_t j = 0; j < t->partitions_cnt; j++) {
			sm_wbuf_i32(w, t->partitions[j].partition_index);
			sm_wbuf_i16(w, t->partitions[j].error_code);
		}
	}
}
