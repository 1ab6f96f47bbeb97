/*
 * msg_offset_commit.c - OffsetCommit request/response codec, versions 0-8
 * (Kafka's generated OffsetCommitRequestData / OffsetCommitResponseData).
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_offset_commit.h"
#include "protocol.h"

#define SM_OFFSET_COMMIT_FLEX(ver) ((ver) >= 8)
#define SM_OFFSET_COMMIT_STR_MIN(flex) ((size_t)((flex) ? 1 : 2))
#define SM_OFFSET_COMMIT_ARR_MIN(flex) ((size_t)((flex) ? 1 : 4))
#define SM_OFFSET_COMMIT_TAGS_MIN(flex) ((size_t)((flex) ? 1 : 0))

void sm_offset_commit_req_init(sm_offset_commit_req_t *r)
{
	memset(r, 0, sizeof(*r));
	r->generation_id = -1;
	r->retention_time_ms = -1;
}

void sm_offset_commit_req_partition_init(sm_offset_commit_req_partition_t *p)
{
	memset(p, 0, sizeof(*p));
	p->committed_leader_epoch = -1;
	p->commit_timestamp = -1;
}

void sm_offset_commit_resp_init(sm_offset_commit_resp_t *r)
{
	memset(r, 0, sizeof(*r));
}

/* ---- request ---- */

static void sm_offset_commit_req_topic_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
					    sm_offset_commit_req_topic_t *t)
{
	int flex = SM_OFFSET_COMMIT_FLEX(ver);
	size_t min = 4 + 8 + (ver >= 6 ? 4 : 0) + (ver == 1 ? 8 : 0) +
		     SM_OFFSET_COMMIT_STR_MIN(flex) + SM_OFFSET_COMMIT_TAGS_MIN(flex);

	t->name = sm_proto_str_read(rb, flex, 0, a);
	int32_t n = sm_proto_array_read(rb, flex, 0, min);
	t->partitions = sm_proto_array_ralloc(rb, a, n, sizeof(*t->partitions));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_offset_commit_req_partition_t *p = &t->partitions[i];
		sm_offset_commit_req_partition_init(p);
		p->partition_index = sm_rbuf_i32(rb);
		p->committed_offset = sm_rbuf_i64(rb);
		if (ver >= 6)
			p->committed_leader_epoch = sm_rbuf_i32(rb);
		if (ver == 1)
			p->commit_timestamp = sm_rbuf_i64(rb);
		p->committed_metadata = sm_proto_str_read(rb, flex, 1, a);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	t->partitions_cnt = rb->err ? 0 : n;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
}

int sm_offset_commit_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_offset_commit_req_t *out)
{
	int flex = SM_OFFSET_COMMIT_FLEX(ver);

	sm_offset_commit_req_init(out);
	out->group_id = sm_proto_str_read(rb, flex, 0, a);
	if (ver >= 1) {
		out->generation_id = sm_rbuf_i32(rb);
		out->member_id = sm_proto_str_read(rb, flex, 0, a);
	} else {
		out->member_id = sm_proto_empty_str(a);
	}
	if (ver >= 7)
		out->group_instance_id = sm_proto_str_read(rb, flex, 1, a);
	if (ver >= 2 && ver <= 4)
		out->retention_time_ms = sm_rbuf_i64(rb);
	int32_t n = sm_proto_array_read(rb, flex, 0,
					SM_OFFSET_COMMIT_STR_MIN(flex) +
						SM_OFFSET_COMMIT_ARR_MIN(flex) +
						SM_OFFSET_COMMIT_TAGS_MIN(flex));
	out->topics = sm_proto_array_ralloc(rb, a, n, sizeof(*out->topics));
	for (int32_t i = 0; i < n && !rb->err; i++)
		sm_offset_commit_req_topic_read(rb, ver, a, &out->topics[i]);
	SM_RBUF_CHECK(rb);
	out->topics_cnt = n;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_offset_commit_req_write(sm_wbuf_t *w, int16_t ver, const sm_offset_commit_req_t *in)
{
	int flex = SM_OFFSET_COMMIT_FLEX(ver);

	sm_proto_str_write(w, in->group_id, flex, 0);
	if (ver >= 1) {
		sm_wbuf_i32(w, in->generation_id);
		sm_proto_str_write(w, in->member_id, flex, 0);
	}
	if (ver >= 7)
		sm_proto_str_write(w, in->group_instance_id, flex, 1);
	if (ver >= 2 && ver <= 4)
		sm_wbuf_i64(w, in->retention_time_ms);
	sm_proto_array_write(w, in->topics_cnt, flex, 0);
	for (int32_t i = 0; i < in->topics_cnt; i++) {
		const sm_offset_commit_req_topic_t *t = &in->topics[i];
		sm_proto_str_write(w, t->name, flex, 0);
		sm_proto_array_write(w, t->partitions_cnt, flex, 0);
		for (int32_t j = 0; j < t->partitions_cnt; j++) {
			const sm_offset_commit_req_partition_t *p = &t->partitions[j];
			sm_wbuf_i32(w, p->partition_index);
			sm_wbuf_i64(w, p->committed_offset);
			if (ver >= 6)
				sm_wbuf_i32(w, p->committed_leader_epoch);
			if (ver == 1)
				sm_wbuf_i64(w, p->commit_timestamp);
			sm_proto_str_write(w, p->committed_metadata, flex, 1);
			if (flex)
				sm_wbuf_tags_empty(w);
		}
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}

/* ---- response ---- */

static void sm_offset_commit_resp_topic_read(sm_rbuf_t *rb, int flex, sm_arena_t *a,
					     sm_offset_commit_resp_topic_t *t)
{
	t->name = sm_proto_str_read(rb, flex, 0, a);
	int32_t n = sm_proto_array_read(rb, flex, 0, 4 + 2 + SM_OFFSET_COMMIT_TAGS_MIN(flex));
	t->partitions = sm_proto_array_ralloc(rb, a, n, sizeof(*t->partitions));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		t->partitions[i].partition_index = sm_rbuf_i32(rb);
		t->partitions[i].error_code = sm_rbuf_i16(rb);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	t->partitions_cnt = rb->err ? 0 : n;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
}

int sm_offset_commit_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			       sm_offset_commit_resp_t *out)
{
	int flex = SM_OFFSET_COMMIT_FLEX(ver);

	sm_offset_commit_resp_init(out);
	if (ver >= 3)
		out->throttle_time_ms = sm_rbuf_i32(rb);
	int32_t n = sm_proto_array_read(rb, flex, 0,
					SM_OFFSET_COMMIT_STR_MIN(flex) +
						SM_OFFSET_COMMIT_ARR_MIN(flex) +
						SM_OFFSET_COMMIT_TAGS_MIN(flex));
	out->topics = sm_proto_array_ralloc(rb, a, n, sizeof(*out->topics));
	for (int32_t i = 0; i < n && !rb->err; i++)
		sm_offset_commit_resp_topic_read(rb, flex, a, &out->topics[i]);
	SM_RBUF_CHECK(rb);
	out->topics_cnt = n;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_offset_commit_resp_write(sm_wbuf_t *w, int16_t ver, const sm_offset_commit_resp_t *in)
{
	int flex = SM_OFFSET_COMMIT_FLEX(ver);

	if (ver >= 3)
		sm_wbuf_i32(w, in->throttle_time_ms);
	sm_proto_array_write(w, in->topics_cnt, flex, 0);
	for (int32_t i = 0; i < in->topics_cnt; i++) {
		const sm_offset_commit_resp_topic_t *t = &in->topics[i];
		sm_proto_str_write(w, t->name, flex, 0);
		sm_proto_array_write(w, t->partitions_cnt, flex, 0);
		for (int32_t j = 0; j < t->partitions_cnt; j++) {
			sm_wbuf_i32(w, t->partitions[j].partition_index);
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
