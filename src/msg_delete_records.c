/*
 * msg_delete_records.c - DeleteRecords request/response codec, versions 0-2
 * (Kafka's generated DeleteRecordsRequestData / DeleteRecordsResponseData).
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_delete_records.h"
#include "protocol.h"

#define SM_DR_FLEX(ver) ((ver) >= 2)
#define SM_DR_STR_MIN(flex) ((size_t)((flex) ? 1 : 2))
#define SM_DR_ARR_MIN(flex) ((size_t)((flex) ? 1 : 4))
#define SM_DR_TAGS_MIN(flex) ((size_t)((flex) ? 1 : 0))

int sm_delete_records_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			       sm_delete_records_req_t *out)
{
	int flex = SM_DR_FLEX(ver);
	memset(out, 0, sizeof(*out));
	int32_t n = sm_proto_array_read(rb, flex, 0, SM_DR_STR_MIN(flex) + SM_DR_ARR_MIN(flex) +
							     SM_DR_TAGS_MIN(flex));
	out->topics = sm_proto_array_ralloc(rb, a, n, sizeof(*out->topics));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_delete_records_req_topic_t *t = &out->topics[i];
		t->name = sm_proto_str_read(rb, flex, 0, a);
		int32_t m = sm_proto_array_read(rb, flex, 0, 12 + SM_DR_TAGS_MIN(flex));
		t->partitions = sm_proto_array_ralloc(rb, a, m, sizeof(*t->partitions));
		for (int32_t j = 0; j < m && !rb->err; j++) {
			t->partitions[j].partition_index = sm_rbuf_i32(rb);
			t->partitions[j].offset = sm_rbuf_i64(rb);
			if (flex)
				sm_proto_tags_read(rb, a, NULL, NULL);
		}
		t->partitions_cnt = m > 0 ? m : 0;
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	SM_RBUF_CHECK(rb);
	out->topics_cnt = n;
	out->timeout_ms = sm_rbuf_i32(rb);
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_delete_records_req_write(sm_wbuf_t *w, int16_t ver, const sm_delete_records_req_t *in)
{
	int flex = SM_DR_FLEX(ver);
	sm_proto_array_write(w, in->topics_cnt, flex, 0);
	for (int32_t i = 0; i < in->topics_cnt; i++) {
		const sm_delete_records_req_topic_t *t = &in->topics[i];
		sm_proto_str_write(w, t->name, flex, 0);
		sm_proto_array_write(w, t->partitions_cnt, flex, 0);
		for (int32_t j = 0; j < t->partitions_cnt; j++) {
			sm_wbuf_i32(w, t->partitions[j].partition_index);
			sm_wbuf_i64(w, t->partitions[j].offset);
			if (flex)
				sm_wbuf_tags_empty(w);
		}
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	sm_wbuf_i32(w, in->timeout_ms);
	if (flex)
		sm_wbuf_tags_empty(w);
}

int sm_delete_records_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				sm_delete_records_resp_t *out)
{
	int flex = SM_DR_FLEX(ver);
	memset(out, 0, sizeof(*out));
	out->throttle_time_ms = sm_rbuf_i32(rb);
	int32_t n = sm_proto_array_read(rb, flex, 0, SM_DR_STR_MIN(flex) + SM_DR_ARR_MIN(flex) +
							     SM_DR_TAGS_MIN(flex));
	out->topics = sm_proto_array_ralloc(rb, a, n, sizeof(*out->topics));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_delete_records_resp_topic_t *t = &out->topics[i];
		t->name = sm_proto_str_read(rb, flex, 0, a);
		int32_t m = sm_proto_array_read(rb, flex, 0, 14 + SM_DR_TAGS_MIN(flex));
		t->partitions = sm_proto_array_ralloc(rb, a, m, sizeof(*t->partitions));
		for (int32_t j = 0; j < m && !rb->err; j++) {
			t->partitions[j].partition_index = sm_rbuf_i32(rb);
			t->partitions[j].low_watermark = sm_rbuf_i64(rb);
			t->partitions[j].error_code = sm_rbuf_i16(rb);
			if (flex)
				sm_proto_tags_read(rb, a, NULL, NULL);
		}
		t->partitions_cnt = m > 0 ? m : 0;
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	SM_RBUF_CHECK(rb);
	out->topics_cnt = n;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_delete_records_resp_write(sm_wbuf_t *w, int16_t ver, const sm_delete_records_resp_t *in)
{
	int flex = SM_DR_FLEX(ver);
	sm_wbuf_i32(w, in->throttle_time_ms);
	sm_proto_array_write(w, in->topics_cnt, flex, 0);
	for (int32_t i = 0; i < in->topics_cnt; i++) {
		const sm_delete_records_resp_topic_t *t = &in->topics[i];
		sm_proto_str_write(w, t->name, flex, 0);
		sm_proto_array_write(w, t->partitions_cnt, flex, 0);
		for (int32_t j = 0; j < t->partitions_cnt; j++) {
			sm_wbuf_i32(w, t->partitions[j].partition_index);
			sm_wbuf_i64(w, t->partitions[j].low_watermark);
			sm_wbuf_i16(w, t->partitions[j].error_code);
			if (flex)
				sm_wbuf_tags_empty(w);
		}
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}
