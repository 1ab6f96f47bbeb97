/*
 * msg_offset_fetch.c - OffsetFetch request/response codec, versions 0-7
 * (Kafka's generated OffsetFetchRequestData / OffsetFetchResponseData).
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_offset_fetch.h"
#include "protocol.h"

#define SM_OFFSET_FETCH_FLEX(ver) ((ver) >= 6)
#define SM_OFFSET_FETCH_STR_MIN(flex) ((size_t)((flex) ? 1 : 2))
#define SM_OFFSET_FETCH_ARR_MIN(flex) ((size_t)((flex) ? 1 : 4))
#define SM_OFFSET_FETCH_TAGS_MIN(flex) ((size_t)((flex) ? 1 : 0))

void sm_offset_fetch_req_init(sm_offset_fetch_req_t *r)
{
	memset(r, 0, sizeof(*r));
}

void sm_offset_fetch_resp_init(sm_offset_fetch_resp_t *r)
{
	memset(r, 0, sizeof(*r));
}

void sm_offset_fetch_resp_partition_init(sm_offset_fetch_resp_partition_t *p)
{
	memset(p, 0, sizeof(*p));
	p->committed_leader_epoch = -1;
}

/* ---- request ---- */

int sm_offset_fetch_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			     sm_offset_fetch_req_t *out)
{
	int flex = SM_OFFSET_FETCH_FLEX(ver);

	sm_offset_fetch_req_init(out);
	out->group_id = sm_proto_str_read(rb, flex, 0, a);
	int32_t n = sm_proto_array_read(rb, flex, ver >= 2,
					SM_OFFSET_FETCH_STR_MIN(flex) +
						SM_OFFSET_FETCH_ARR_MIN(flex) +
						SM_OFFSET_FETCH_TAGS_MIN(flex));
	out->topics = sm_proto_array_ralloc(rb, a, n, sizeof(*out->topics));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_offset_fetch_req_topic_t *t = &out->topics[i];
		t->name = sm_proto_str_read(rb, flex, 0, a);
		t->partition_indexes =
			sm_proto_i32s_read(rb, flex, 0, a, &t->partition_indexes_cnt);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	SM_RBUF_CHECK(rb);
	out->topics_cnt = n;
	if (ver >= 7)
		out->require_stable = sm_rbuf_bool(rb);
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_offset_fetch_req_write(sm_wbuf_t *w, int16_t ver, const sm_offset_fetch_req_t *in)
{
	int flex = SM_OFFSET_FETCH_FLEX(ver);

	sm_proto_str_write(w, in->group_id, flex, 0);
	sm_proto_array_write(w, in->topics_cnt, flex, ver >= 2);
	for (int32_t i = 0; i < in->topics_cnt; i++) {
		const sm_offset_fetch_req_topic_t *t = &in->topics[i];
		sm_proto_str_write(w, t->name, flex, 0);
		sm_proto_i32s_write(w, t->partition_indexes, t->partition_indexes_cnt, flex, 0);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (ver >= 7)
		sm_wbuf_bool(w, in->require_stable);
	if (flex)
		sm_wbuf_tags_empty(w);
}

/* ---- response ---- */

static void sm_offset_fetch_resp_topic_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
					    sm_offset_fetch_resp_topic_t *t)
{
	int flex = SM_OFFSET_FETCH_FLEX(ver);
	size_t min = 4 + 8 + (ver >= 5 ? 4 : 0) + SM_OFFSET_FETCH_STR_MIN(flex) + 2 +
		     SM_OFFSET_FETCH_TAGS_MIN(flex);

	t->name = sm_proto_str_read(rb, flex, 0, a);
	int32_t n = sm_proto_array_read(rb, flex, 0, min);
	t->partitions = sm_proto_array_ralloc(rb, a, n, sizeof(*t->partitions));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_offset_fetch_resp_partition_t *p = &t->partitions[i];
		sm_offset_fetch_resp_partition_init(p);
		p->partition_index = sm_rbuf_i32(rb);
		p->committed_offset = sm_rbuf_i64(rb);
		if (ver >= 5)
			p->committed_leader_epoch = sm_rbuf_i32(rb);
		p->metadata = sm_proto_str_read(rb, flex, 1, a);
		p->error_code = sm_rbuf_i16(rb);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	t->partitions_cnt = rb->err ? 0 : n;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
}

int sm_offset_fetch_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_offset_fetch_resp_t *out)
{
	int flex = SM_OFFSET_FETCH_FLEX(ver);

	sm_offset_fetch_resp_init(out);
	if (ver >= 3)
		out->throttle_time_ms = sm_rbuf_i32(rb);
	int32_t n = sm_proto_array_read(rb, flex, 0,
					SM_OFFSET_FETCH_STR_MIN(flex) + SM_OFFSET_FETCH_ARR_MIN(flex) +
						SM_OFFSET_FETCH_TAGS_MIN(flex));
	out->topics = sm_proto_array_ralloc(rb, a, n, sizeof(*out->topics));
	for (int32_t i = 0; i < n && !rb->err; i++)
		sm_offset_fetch_resp_topic_read(rb, ver, a, &out->topics[i]);
	SM_RBUF_CHECK(rb);
	out->topics_cnt = n;
	if (ver >= 2)
		out->error_code = sm_rbuf_i16(rb);
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_offset_fetch_resp_write(sm_wbuf_t *w, int16_t ver, const sm_offset_fetch_resp_t *in)
{
	int flex = SM_OFFSET_FETCH_FLEX(ver);

	if (ver >= 3)
		sm_wbuf_i32(w, in->throttle_time_ms);
	sm_proto_array_write(w, in->topics_cnt, flex, 0);
	for (int32_t i = 0; i < in->topics_cnt; i++) {
		const sm_offset_fetch_resp_topic_t *t = &in->topics[i];
		sm_proto_str_write(w, t->name, flex, 0);
		sm_proto_array_write(w, t->partitions_cnt, flex, 0);
		for (int32_t j = 0; j < t->partitions_cnt; j++) {
			const sm_offset_fetch_resp_partition_t *p = &t->partitions[j];
			sm_wbuf_i32(w, p->partition_index);
			sm_wbuf_i64(w, p->committed_offset);
			if (ver >= 5)
				sm_wbuf_i32(w, p->committed_leader_epoch);
			sm_proto_str_write(w, p->metadata, flex, 1);
			sm_wbuf_i16(w, p->error_code);
			if (flex)
				sm_wbuf_tags_empty(w);
		}
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (ver >= 2)
		sm_wbuf_i16(w, in->error_code);
	if (flex)
		sm_wbuf_tags_empty(w);
}
