/*
 * msg_list_offsets.c - ListOffsets (API key 2) body codec, versions 0-6.
 * Mirrors Kafka's generated ListOffsetsRequestData/ListOffsetsResponseData
 * (flexible from v6; no tagged fields are defined in this range).
 *
 * Thread-safety: pure functions over caller-owned buffers and arenas.
 */
#include "msg_list_offsets.h"

#include "protocol.h"

/* ---- helpers ---- */

static void sm_list_offsets_tags_end(sm_wbuf_t *w, int flex)
{
	if (flex)
		sm_wbuf_tags_empty(w);
}

/* ---- request ---- */

static int sm_list_offsets_req_topic_read(sm_rbuf_t *rb, int16_t ver, int flex,
					  sm_arena_t *a, sm_list_offsets_req_topic_t *t)
{
	size_t min = 4 + 8 + (ver >= 4 ? 4 : 0) + (ver == 0 ? 4 : 0) + (flex ? 1 : 0);
	t->name = sm_proto_str_read(rb, flex, 0, a);
	t->partition_count = sm_proto_array_read(rb, flex, 0, min);
	SM_RBUF_CHECK(rb);
	t->partitions = sm_proto_array_ralloc(rb, a, t->partition_count, sizeof(*t->partitions));
	for (int32_t j = 0; j < t->partition_count && !rb->err; j++) {
		sm_list_offsets_req_partition_t *p = &t->partitions[j];
		p->partition_index = sm_rbuf_i32(rb);
		p->current_leader_epoch = ver >= 4 ? sm_rbuf_i32(rb) : -1;
		p->timestamp = sm_rbuf_i64(rb);
		p->max_num_offsets = ver == 0 ? sm_rbuf_i32(rb) : 1;
		if (flex)
			sm_rbuf_skip_tags(rb);
		SM_RBUF_CHECK(rb);
	}
	if (flex)
		sm_rbuf_skip_tags(rb);
	SM_RBUF_CHECK(rb);
	return 0;
err_parse:
	return -1;
}

int sm_list_offsets_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			     sm_list_offsets_req_t *out)
{
	int flex = ver >= SM_LIST_OFFSETS_FLEXIBLE_VERSION;
	*out = (sm_list_offsets_req_t){ 0 };
	if (ver < SM_LIST_OFFSETS_MIN_VERSION || ver > SM_LIST_OFFSETS_MAX_VERSION)
		return -1;
	out->replica_id = sm_rbuf_i32(rb);
	if (ver >= 2)
		out->isolation_level = sm_rbuf_i8(rb);
	out->topic_count = sm_proto_array_read(rb, flex, 0, flex ? 3 : 6);
	SM_RBUF_CHECK(rb);
	out->topics = sm_proto_array_ralloc(rb, a, out->topic_count, sizeof(*out->topics));
	for (int32_t i = 0; i < out->topic_count && !rb->err; i++)
		if (sm_list_offsets_req_topic_read(rb, ver, flex, a, &out->topics[i]) < 0)
			goto err_parse;
	if (flex)
		sm_rbuf_skip_tags(rb);
	SM_RBUF_CHECK(rb);
	return 0;
err_parse:
	out->topic_count = 0;
	return -1;
}

void sm_list_offsets_req_write(sm_wbuf_t *w, int16_t ver, const sm_list_offsets_req_t *in)
{
	int flex = ver >= SM_LIST_OFFSETS_FLEXIBLE_VERSION;
	sm_wbuf_i32(w, in->replica_id);
	if (ver >= 2)
		sm_wbuf_i8(w, in->isolation_level);
	sm_proto_array_write(w, in->topic_count, flex, 0);
	for (int32_t i = 0; i < in->topic_count; i++) {
		const sm_list_offsets_req_topic_t *t = &in->topics[i];
		sm_proto_str_write(w, t->name, flex, 0);
		sm_proto_array_write(w, t->partition_count, flex, 0);
		for (int32_t j = 0; j < t->partition_count; j++) {
			const sm_list_offsets_req_partition_t *p = &t->partitions[j];
			sm_wbuf_i32(w, p->partition_index);
			if (ver >= 4)
				sm_wbuf_i32(w, p->current_leader_epoch);
			sm_wbuf_i64(w, p->timestamp);
			if (ver == 0)
				sm_wbuf_i32(w, p->max_num_offsets);
			sm_list_offsets_tags_end(w, flex);
		}
		sm_list_offsets_tags_end(w, flex);
	}
	sm_list_offsets_tags_end(w, flex);
}

/* ---- response ---- */

static int sm_list_offsets_resp_part_read(sm_rbuf_t *rb, int16_t ver, int flex,
					  sm_arena_t *a, sm_list_offsets_resp_partition_t *p)
{
	p->partition_index = sm_rbuf_i32(rb);
	p->error_code = sm_rbuf_i16(rb);
	p->timestamp = -1;
	p->offset = -1;
	p->leader_epoch = -1;
	if (ver == 0) {
		p->old_style_offset_count = sm_proto_array_read(rb, flex, 0, 8);
		SM_RBUF_CHECK(rb);
		p->old_style_offsets = sm_proto_array_ralloc(rb, a, p->old_style_offset_count,
							     sizeof(*p->old_style_offsets));
		for (int32_t k = 0; k < p->old_style_offset_count && !rb->err; k++)
			p->old_style_offsets[k] = sm_rbuf_i64(rb);
	} else {
		p->timestamp = sm_rbuf_i64(rb);
		p->offset = sm_rbuf_i64(rb);
	}
	if (ver >= 4)
		p->leader_epoch = sm_rbuf_i32(rb);
	if (flex)
		sm_rbuf_skip_tags(rb);
	SM_RBUF_CHECK(rb);
	return 0;
err_parse:
	p->old_style_offset_count = 0;
	return -1;
}

static int sm_list_offsets_resp_topic_read(sm_rbuf_t *rb, int16_t ver, int flex,
					   sm_arena_t *a, sm_list_offsets_resp_topic_t *t)
{
	size_t min = 4 + 2 + (ver == 0 ? 4 : 16) + (ver >= 4 ? 4 : 0) + (flex ? 1 : 0);
	t->name = sm_proto_str_read(rb, flex, 0, a);
	t->partition_count = sm_proto_array_read(rb, flex, 0, min);
	SM_RBUF_CHECK(rb);
	t->partitions = sm_proto_array_ralloc(rb, a, t->partition_count, sizeof(*t->partitions));
	for (int32_t j = 0; j < t->partition_count && !rb->err; j++)
		if (sm_list_offsets_resp_part_read(rb, ver, flex, a, &t->partitions[j]) < 0)
			goto err_parse;
	if (flex)
		sm_rbuf_skip_tags(rb);
	SM_RBUF_CHECK(rb);
	return 0;
err_parse:
	return -1;
}

int sm_list_offsets_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_list_offsets_resp_t *out)
{
	int flex = ver >= SM_LIST_OFFSETS_FLEXIBLE_VERSION;
	*out = (sm_list_offsets_resp_t){ 0 };
	if (ver < SM_LIST_OFFSETS_MIN_VERSION || ver > SM_LIST_OFFSETS_MAX_VERSION)
		return -1;
	if (ver >= 2)
		out->throttle_time_ms = sm_rbuf_i32(rb);
	out->topic_count = sm_proto_array_read(rb, flex, 0, flex ? 3 : 6);
	SM_RBUF_CHECK(rb);
	out->topics = sm_proto_array_ralloc(rb, a, out->topic_count, sizeof(*out->topics));
	for (int32_t i = 0; i < out->topic_count && !rb->err; i++)
		if (sm_list_offsets_resp_topic_read(rb, ver, flex, a, &out->topics[i]) < 0)
			goto err_parse;
	if (flex)
		sm_rbuf_skip_tags(rb);
	SM_RBUF_CHECK(rb);
	return 0;
err_parse:
	out->topic_count = 0;
	return -1;
}

static void sm_list_offsets_resp_part_write(sm_wbuf_t *w, int16_t ver, int flex,
					    const sm_list_offsets_resp_partition_t *p)
{
	sm_wbuf_i32(w, p->partition_index);
	sm_wbuf_i16(w, p->error_code);
	if (ver == 0) {
		sm_proto_array_write(w, p->old_style_offset_count, flex, 0);
		for (int32_t k = 0; k < p->old_style_offset_count; k++)
			sm_wbuf_i64(w, p->old_style_offsets[k]);
	} else {
		sm_wbuf_i64(w, p->timestamp);
		sm_wbuf_i64(w, p->offset);
	}
	if (ver >= 4)
		sm_wbuf_i32(w, p->leader_epoch);
	sm_list_offsets_tags_end(w, flex);
}

void sm_list_offsets_resp_write(sm_wbuf_t *w, int16_t ver, const sm_list_offsets_resp_t *in)
{
	int flex = ver >= SM_LIST_OFFSETS_FLEXIBLE_VERSION;
	if (ver >= 2)
		sm_wbuf_i32(w, in->throttle_time_ms);
	sm_proto_array_write(w, in->topic_count, flex, 0);
	for (int32_t i = 0; i < in->topic_count; i++) {
		const sm_list_offsets_resp_topic_t *t = &in->topics[i];
		sm_proto_str_write(w, t->name, flex, 0);
		sm_proto_array_write(w, t->partition_count, flex, 0);
		for (int32_t j = 0; j < t->partition_count; j++)
			sm_list_offsets_resp_part_write(w, ver, flex, &t->partitions[j]);
		sm_list_offsets_tags_end(w, flex);
	}
	sm_list_offsets_tags_end(w, flex);
}
