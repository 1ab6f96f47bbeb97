/*
 * msg_describe_log_dirs.c - DescribeLogDirs request/response codec, versions
 * 0-4 (Kafka's generated DescribeLogDirsRequestData /
 * DescribeLogDirsResponseData).
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_describe_log_dirs.h"
#include "protocol.h"

#define SM_DLD_FLEX(ver) ((ver) >= 2)
#define SM_DLD_STR_MIN(flex) ((size_t)((flex) ? 1 : 2))
#define SM_DLD_ARR_MIN(flex) ((size_t)((flex) ? 1 : 4))
#define SM_DLD_TAGS_MIN(flex) ((size_t)((flex) ? 1 : 0))

int sm_describe_log_dirs_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				  sm_describe_log_dirs_req_t *out)
{
	int flex = SM_DLD_FLEX(ver);
	memset(out, 0, sizeof(*out));
	int32_t n = sm_proto_array_read(rb, flex, 1, SM_DLD_STR_MIN(flex) + SM_DLD_ARR_MIN(flex) +
							     SM_DLD_TAGS_MIN(flex));
	out->topics = sm_proto_array_ralloc(rb, a, n, sizeof(*out->topics));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_describe_log_dirs_req_topic_t *t = &out->topics[i];
		t->topic = sm_proto_str_read(rb, flex, 0, a);
		t->partitions = sm_proto_i32s_read(rb, flex, 0, a, &t->partitions_cnt);
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

void sm_describe_log_dirs_req_write(sm_wbuf_t *w, int16_t ver,
				    const sm_describe_log_dirs_req_t *in)
{
	int flex = SM_DLD_FLEX(ver);
	sm_proto_array_write(w, in->topics_cnt, flex, 1);
	for (int32_t i = 0; i < in->topics_cnt; i++) {
		sm_proto_str_write(w, in->topics[i].topic, flex, 0);
		sm_proto_i32s_write(w, in->topics[i].partitions, in->topics[i].partitions_cnt, flex,
				    0);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}

static void sm_dld_topic_read(sm_rbuf_t *rb, int flex, sm_arena_t *a,
			      sm_describe_log_dirs_topic_t *t)
{
	t->name = sm_proto_str_read(rb, flex, 0, a);
	int32_t m = sm_proto_array_read(rb, flex, 0, 21 + SM_DLD_TAGS_MIN(flex));
	t->partitions = sm_proto_array_ralloc(rb, a, m, sizeof(*t->partitions));
	for (int32_t k = 0; k < m && !rb->err; k++) {
		sm_describe_log_dirs_part_t *p = &t->partitions[k];
		p->partition_index = sm_rbuf_i32(rb);
		p->partition_size = sm_rbuf_i64(rb);
		p->offset_lag = sm_rbuf_i64(rb);
		p->is_future_key = sm_rbuf_bool(rb);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	t->partitions_cnt = m > 0 ? m : 0;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
}

int sm_describe_log_dirs_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				   sm_describe_log_dirs_resp_t *out)
{
	int flex = SM_DLD_FLEX(ver);
	memset(out, 0, sizeof(*out));
	out->throttle_time_ms = sm_rbuf_i32(rb);
	if (ver >= 3)
		out->error_code = sm_rbuf_i16(rb);
	int32_t n = sm_proto_array_read(rb, flex, 0, 2 + SM_DLD_STR_MIN(flex) +
							     SM_DLD_ARR_MIN(flex) +
							     (ver >= 4 ? 16 : 0) + SM_DLD_TAGS_MIN(flex));
	out->results = sm_proto_array_ralloc(rb, a, n, sizeof(*out->results));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_describe_log_dirs_result_t *r = &out->results[i];
		r->error_code = sm_rbuf_i16(rb);
		r->log_dir = sm_proto_str_read(rb, flex, 0, a);
		int32_t m = sm_proto_array_read(rb, flex, 0, SM_DLD_STR_MIN(flex) +
								     SM_DLD_ARR_MIN(flex) +
								     SM_DLD_TAGS_MIN(flex));
		r->topics = sm_proto_array_ralloc(rb, a, m, sizeof(*r->topics));
		for (int32_t j = 0; j < m && !rb->err; j++)
			sm_dld_topic_read(rb, flex, a, &r->topics[j]);
		r->topics_cnt = m > 0 ? m : 0;
		r->total_bytes = r->usable_bytes = -1;
		if (ver >= 4) {
			r->total_bytes = sm_rbuf_i64(rb);
			r->usable_bytes = sm_rbuf_i64(rb);
		}
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

void sm_describe_log_dirs_resp_write(sm_wbuf_t *w, int16_t ver,
				     const sm_describe_log_dirs_resp_t *in)
{
	int flex = SM_DLD_FLEX(ver);
	sm_wbuf_i32(w, in->throttle_time_ms);
	if (ver >= 3)
		sm_wbuf_i16(w, in->error_code);
	sm_proto_array_write(w, in->results_cnt, flex, 0);
	for (int32_t i = 0; i < in->results_cnt; i++) {
		const sm_describe_log_dirs_result_t *r = &in->results[i];
		sm_wbuf_i16(w, r->error_code);
		sm_proto_str_write(w, r->log_dir, flex, 0);
		sm_proto_array_write(w, r->topics_cnt, flex, 0);
		for (int32_t j = 0; j < r->topics_cnt; j++) {
			const sm_describe_log_dirs_topic_t *t = &r->topics[j];
			sm_proto_str_write(w, t->name, flex, 0);
			sm_proto_array_write(w, t->partitions_cnt, flex, 0);
			for (int32_t k = 0; k < t->partitions_cnt; k++) {
				const sm_describe_log_dirs_part_t *p = &t->partitions[k];
				sm_wbuf_i32(w, p->partition_index);
				sm_wbuf_i64(w, p->partition_size);
				sm_wbuf_i64(w, p->offset_lag);
				sm_wbuf_bool(w, p->is_future_key);
				if (flex)
					sm_wbuf_tags_empty(w);
			}
			if (flex)
				sm_wbuf_tags_empty(w);
		}
		if (ver >= 4) {
			sm_wbuf_i64(w, r->total_bytes);
			sm_wbuf_i64(w, r->usable_bytes);
		}
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}
