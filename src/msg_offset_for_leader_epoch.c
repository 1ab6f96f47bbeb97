/*
 * msg_offset_for_leader_epoch.c - OffsetForLeaderEpoch codec, versions 0-4
 * (Kafka's OffsetForLeaderEpochRequest/Response); see the header.
 *
 * Thread-safety: pure functions.
 */
#include "msg_offset_for_leader_epoch.h"

#include "protocol.h"

static void sm_ofle_tags_end(sm_wbuf_t *w, int flex)
{
	if (flex)
		sm_wbuf_tags_empty(w);
}

static void sm_ofle_tags_skip(sm_rbuf_t *rb, int flex)
{
	if (flex)
		sm_rbuf_skip_tags(rb);
}

/* ---- request ---- */

static int sm_ofle_req_topic_read(sm_rbuf_t *rb, int16_t ver, int flex, sm_arena_t *a,
				  sm_ofle_req_topic_t *t)
{
	size_t min = 8 + (ver >= 2 ? 4 : 0) + (flex ? 1 : 0);
	t->topic = sm_proto_str_read(rb, flex, 0, a);
	t->partitions_cnt = sm_proto_array_read(rb, flex, 0, min);
	SM_RBUF_CHECK(rb);
	t->partitions = sm_proto_array_ralloc(rb, a, t->partitions_cnt, sizeof(*t->partitions));
	for (int32_t i = 0; i < t->partitions_cnt && !rb->err; i++) {
		sm_ofle_req_partition_t *p = &t->partitions[i];
		p->partition = sm_rbuf_i32(rb);
		p->current_leader_epoch = ver >= 2 ? sm_rbuf_i32(rb) : -1;
		p->leader_epoch = sm_rbuf_i32(rb);
		sm_ofle_tags_skip(rb, flex);
		SM_RBUF_CHECK(rb);
	}
	sm_ofle_tags_skip(rb, flex);
	SM_RBUF_CHECK(rb);
	return 0;
err_parse:
	return -1;
}

int sm_ofle_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_ofle_req_t *out)
{
	int flex = ver >= SM_OFFSET_FOR_LEADER_EPOCH_FLEX;
	*out = (sm_ofle_req_t){ .replica_id = SM_OFLE_REPLICA_DEFAULT };
	if (ver < 0 || ver > SM_OFFSET_FOR_LEADER_EPOCH_VMAX)
		return -1;
	if (ver >= 3)
		out->replica_id = sm_rbuf_i32(rb);
	out->topics_cnt = sm_proto_array_read(rb, flex, 0, flex ? 3 : 6);
	SM_RBUF_CHECK(rb);
	out->topics = sm_proto_array_ralloc(rb, a, out->topics_cnt, sizeof(*out->topics));
	for (int32_t i = 0; i < out->topics_cnt && !rb->err; i++)
		if (sm_ofle_req_topic_read(rb, ver, flex, a, &out->topics[i]))
			goto err_parse;
	sm_ofle_tags_skip(rb, flex);
	SM_RBUF_CHECK(rb);
	return 0;
err_parse:
	return -1;
}

void sm_ofle_req_write(sm_wbuf_t *w, int16_t ver, const sm_ofle_req_t *in)
{
	int flex = ver >= SM_OFFSET_FOR_LEADER_EPOCH_FLEX;
	if (ver < 0 || ver > SM_OFFSET_FOR_LEADER_EPOCH_VMAX)
		return;
	if (ver >= 3)
		sm_wbuf_i32(w, in->replica_id);
	sm_proto_array_write(w, in->topics_cnt, flex, 0);
	for (int32_t i = 0; i < in->topics_cnt; i++) {
		const sm_ofle_req_topic_t *t = &in->topics[i];
		sm_proto_str_write(w, t->topic, flex, 0);
		sm_proto_array_write(w, t->partitions_cnt, flex, 0);
		for (int32_t j = 0; j < t->partitions_cnt; j++) {
			const sm_ofle_req_partition_t *p = &t->partitions[j];
			sm_wbuf_i32(w, p->partition);
			if (ver >= 2)
				sm_wbuf_i32(w, p->current_leader_epoch);
			sm_wbuf_i32(w, p->leader_epoch);
			sm_ofle_tags_end(w, flex);
		}
		sm_ofle_tags_end(w, flex);
	}
	sm_ofle_tags_end(w, flex);
}

/* ---- response ---- */

static int sm_ofle_resp_topic_read(sm_rbuf_t *rb, int16_t ver, int flex, sm_arena_t *a,
				   sm_ofle_resp_topic_t *t)
{
	size_t min = 2 + 4 + 8 + (ver >= 1 ? 4 : 0) + (flex ? 1 : 0);
	t->topic = sm_proto_str_read(rb, flex, 0, a);
	t->partitions_cnt = sm_proto_array_read(rb, flex, 0, min);
	SM_RBUF_CHECK(rb);
	t->partitions = sm_proto_array_ralloc(rb, a, t->partitions_cnt, sizeof(*t->partitions));
	for (int32_t i = 0; i < t->partitions_cnt && !rb->err; i++) {
		sm_ofle_resp_partition_t *p = &t->partitions[i];
		p->error_code = sm_rbuf_i16(rb);
		p->partition = sm_rbuf_i32(rb);
		p->leader_epoch = ver >= 1 ? sm_rbuf_i32(rb) : -1;
		p->end_offset = sm_rbuf_i64(rb);
		sm_ofle_tags_skip(rb, flex);
		SM_RBUF_CHECK(rb);
	}
	sm_ofle_tags_skip(rb, flex);
	SM_RBUF_CHECK(rb);
	return 0;
err_parse:
	return -1;
}

int sm_ofle_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_ofle_resp_t *out)
{
	int flex = ver >= SM_OFFSET_FOR_LEADER_EPOCH_FLEX;
	*out = (sm_ofle_resp_t){ 0 };
	if (ver < 0 || ver > SM_OFFSET_FOR_LEADER_EPOCH_VMAX)
		return -1;
	if (ver >= 2)
		out->throttle_time_ms = sm_rbuf_i32(rb);
	out->topics_cnt = sm_proto_array_read(rb, flex, 0, flex ? 3 : 6);
	SM_RBUF_CHECK(rb);
	out->topics = sm_proto_array_ralloc(rb, a, out->topics_cnt, sizeof(*out->topics));
	for (int32_t i = 0; i < out->topics_cnt && !rb->err; i++)
		if (sm_ofle_resp_topic_read(rb, ver, flex, a, &out->topics[i]))
			goto err_parse;
	sm_ofle_tags_skip(rb, flex);
	SM_RBUF_CHECK(rb);
	return 0;
err_parse:
	return -1;
}

void sm_ofle_resp_write(sm_wbuf_t *w, int16_t ver, const sm_ofle_resp_t *in)
{
	int flex = ver >= SM_OFFSET_FOR_LEADER_EPOCH_FLEX;
	if (ver < 0 || ver > SM_OFFSET_FOR_LEADER_EPOCH_VMAX)
		return;
	if (ver >= 2)
		sm_wbuf_i32(w, in->throttle_time_ms);
	sm_proto_array_write(w, in->topics_cnt, flex, 0);
	for (int32_t i = 0; i < in->topics_cnt; i++) {
		const sm_ofle_resp_topic_t *t = &in->topics[i];
		sm_proto_str_write(w, t->topic, flex, 0);
		sm_proto_array_write(w, t->partitions_cnt, flex, 0);
		for (int32_t j = 0; j < t->partitions_cnt; j++) {
			const sm_ofle_resp_partition_t *p = &t->partitions[j];
			sm_wbuf_i16(w, p->error_code);
			sm_wbuf_i32(w, p->partition);
			if (ver >= 1)
				sm_wbuf_i32(w, p->leader_epoch);
			sm_wbuf_i64(w, p->end_offset);
			sm_ofle_tags_end(w, flex);
		}
		sm_ofle_tags_end(w, flex);
	}
	sm_ofle_tags_end(w, flex);
}
