/*
 * msg_produce.c - Produce (API key 0) body codec, versions 0-9, plus the
 * shared `records` field. Mirrors Kafka's generated ProduceRequestData and
 * ProduceResponseData (flexible from v9; no tagged fields exist before v10).
 *
 * Produce v0-2 carry legacy message sets and v3+ record batches; the codec
 * treats both as opaque bytes (batch validation happens in the log layer).
 *
 * Thread-safety: pure functions over caller-owned buffers and arenas.
 */
#include "msg_produce.h"

#include "protocol.h"

/* ---- records ---- */

sm_records_t sm_records_read(sm_rbuf_t *rb, int compact)
{
	sm_records_t r = { NULL, -1, NULL, 0 };
	sm_bytes_t b = sm_rbuf_bytes(rb, compact);
	if (rb->err)
		return r;
	r.ptr = b.ptr;
	r.len = b.len;
	return r;
}

void sm_records_write(sm_wbuf_t *w, const sm_records_t *r, int compact)
{
	if (r->len < 0 || !r->file) {
		sm_wbuf_bytes(w, r->ptr, r->len < 0 ? -1 : r->len, compact);
		return;
	}
	/* Only the length goes into memory; the bytes stay in the segment
	 * file until the socket layer sends them. */
	if (compact)
		sm_wbuf_uvarint(w, (uint32_t)r->len + 1);
	else
		sm_wbuf_i32(w, r->len);
	sm_wbuf_add_file(w, r->file, r->file_pos, (size_t)r->len);
}

/* ---- helpers ---- */

static void sm_produce_tags_end(sm_wbuf_t *w, int flex)
{
	if (flex)
		sm_wbuf_tags_empty(w);
}

/* ---- request ---- */

static int sm_produce_req_topic_read(sm_rbuf_t *rb, int flex, sm_arena_t *a,
				     sm_produce_req_topic_t *t)
{
	t->name = sm_proto_str_read(rb, flex, 0, a);
	t->partition_count = sm_proto_array_read(rb, flex, 0, flex ? 6 : 8);
	SM_RBUF_CHECK(rb);
	t->partitions = sm_proto_array_ralloc(rb, a, t->partition_count, sizeof(*t->partitions));
	for (int32_t i = 0; i < t->partition_count && !rb->err; i++) {
		sm_produce_req_partition_t *p = &t->partitions[i];
		p->index = sm_rbuf_i32(rb);
		p->records = sm_records_read(rb, flex);
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

int sm_produce_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_produce_req_t *out)
{
	int flex = ver >= SM_PRODUCE_FLEXIBLE_VERSION;
	*out = (sm_produce_req_t){ 0 };
	if (ver < SM_PRODUCE_MIN_VERSION || ver > SM_PRODUCE_MAX_VERSION)
		return -1;
	if (ver >= 3)
		out->transactional_id = sm_rbuf_str(rb, flex, a);
	out->acks = sm_rbuf_i16(rb);
	out->timeout_ms = sm_rbuf_i32(rb);
	out->topic_count = sm_proto_array_read(rb, flex, 0, flex ? 3 : 6);
	SM_RBUF_CHECK(rb);
	out->topics = sm_proto_array_ralloc(rb, a, out->topic_count, sizeof(*out->topics));
	for (int32_t i = 0; i < out->topic_count && !rb->err; i++)
		if (sm_produce_req_topic_read(rb, flex, a, &out->topics[i]) < 0)
			goto err_parse;
	if (flex)
		sm_rbuf_skip_tags(rb);
	SM_RBUF_CHECK(rb);
	return 0;
err_parse:
	out->topic_count = 0;
	return -1;
}

void sm_produce_req_write(sm_wbuf_t *w, int16_t ver, const sm_produce_req_t *in)
{
	int flex = ver >= SM_PRODUCE_FLEXIBLE_VERSION;
	if (ver >= 3)
		sm_wbuf_str(w, in->transactional_id, flex);
	sm_wbuf_i16(w, in->acks);
	sm_wbuf_i32(w, in->timeout_ms);
	sm_proto_array_write(w, in->topic_count, flex, 0);
	for (int32_t i = 0; i < in->topic_count; i++) {
		const sm_produce_req_topic_t *t = &in->topics[i];
		sm_proto_str_write(w, t->name, flex, 0);
		sm_proto_array_write(w, t->partition_count, flex, 0);
		for (int32_t j = 0; j < t->partition_count; j++) {
			sm_wbuf_i32(w, t->partitions[j].index);
			sm_records_write(w, &t->partitions[j].records, flex);
			sm_produce_tags_end(w, flex);
		}
		sm_produce_tags_end(w, flex);
	}
	sm_produce_tags_end(w, flex);
}

/* ---- response ---- */

static size_t sm_produce_resp_part_min(int16_t ver, int flex)
{
	size_t n = 4 + 2 + 8;
	if (ver >= 2)
		n += 8;
	if (ver >= 5)
		n += 8;
	if (ver >= 8)
		n += flex ? 2 : 6;
	if (flex)
		n += 1;
	return n;
}

static int sm_produce_resp_part_read(sm_rbuf_t *rb, int16_t ver, int flex, sm_arena_t *a,
				     sm_produce_resp_partition_t *p)
{
	p->index = sm_rbuf_i32(rb);
	p->error_code = sm_rbuf_i16(rb);
	p->base_offset = sm_rbuf_i64(rb);
	p->log_append_time_ms = ver >= 2 ? sm_rbuf_i64(rb) : -1;
	p->log_start_offset = ver >= 5 ? sm_rbuf_i64(rb) : -1;
	if (ver >= 8) {
		p->record_error_count = sm_proto_array_read(rb, flex, 0, 6);
		SM_RBUF_CHECK(rb);
		p->record_errors = sm_proto_array_ralloc(rb, a, p->record_error_count,
						    sizeof(*p->record_errors));
		for (int32_t k = 0; k < p->record_error_count && !rb->err; k++) {
			sm_produce_record_error_t *e = &p->record_errors[k];
			e->batch_index = sm_rbuf_i32(rb);
			e->batch_index_error_message = sm_rbuf_str(rb, flex, a);
			if (flex)
				sm_rbuf_skip_tags(rb);
			SM_RBUF_CHECK(rb);
		}
		p->error_message = sm_rbuf_str(rb, flex, a);
	}
	if (flex)
		sm_rbuf_skip_tags(rb);
	SM_RBUF_CHECK(rb);
	return 0;
err_parse:
	return -1;
}

static int sm_produce_resp_topic_read(sm_rbuf_t *rb, int16_t ver, int flex, sm_arena_t *a,
				      sm_produce_resp_topic_t *t)
{
	t->name = sm_proto_str_read(rb, flex, 0, a);
	t->partition_count = sm_proto_array_read(rb, flex, 0, sm_produce_resp_part_min(ver, flex));
	SM_RBUF_CHECK(rb);
	t->partitions = sm_proto_array_ralloc(rb, a, t->partition_count, sizeof(*t->partitions));
	for (int32_t j = 0; j < t->partition_count && !rb->err; j++)
		if (sm_produce_resp_part_read(rb, ver, flex, a, &t->partitions[j]) < 0)
			goto err_parse;
	if (flex)
		sm_rbuf_skip_tags(rb);
	SM_RBUF_CHECK(rb);
	return 0;
err_parse:
	return -1;
}

int sm_produce_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_produce_resp_t *out)
{
	int flex = ver >= SM_PRODUCE_FLEXIBLE_VERSION;
	*out = (sm_produce_resp_t){ 0 };
	if (ver < SM_PRODUCE_MIN_VERSION || ver > SM_PRODUCE_MAX_VERSION)
		return -1;
	out->topic_count = sm_proto_array_read(rb, flex, 0, flex ? 3 : 6);
	SM_RBUF_CHECK(rb);
	out->topics = sm_proto_array_ralloc(rb, a, out->topic_count, sizeof(*out->topics));
	for (int32_t i = 0; i < out->topic_count && !rb->err; i++)
		if (sm_produce_resp_topic_read(rb, ver, flex, a, &out->topics[i]) < 0)
			goto err_parse;
	if (ver >= 1)
		out->throttle_time_ms = sm_rbuf_i32(rb);
	if (flex)
		sm_rbuf_skip_tags(rb);
	SM_RBUF_CHECK(rb);
	return 0;
err_parse:
	out->topic_count = 0;
	return -1;
}

static void sm_produce_resp_part_write(sm_wbuf_t *w, int16_t ver, int flex,
				       const sm_produce_resp_partition_t *p)
{
	sm_wbuf_i32(w, p->index);
	sm_wbuf_i16(w, p->error_code);
	sm_wbuf_i64(w, p->base_offset);
	if (ver >= 2)
		sm_wbuf_i64(w, p->log_append_time_ms);
	if (ver >= 5)
		sm_wbuf_i64(w, p->log_start_offset);
	if (ver >= 8) {
		sm_proto_array_write(w, p->record_error_count, flex, 0);
		for (int32_t k = 0; k < p->record_error_count; k++) {
			sm_wbuf_i32(w, p->record_errors[k].batch_index);
			sm_wbuf_str(w, p->record_errors[k].batch_index_error_message, flex);
			sm_produce_tags_end(w, flex);
		}
		sm_wbuf_str(w, p->error_message, flex);
	}
	sm_produce_tags_end(w, flex);
}

void sm_produce_resp_write(sm_wbuf_t *w, int16_t ver, const sm_produce_resp_t *in)
{
	int flex = ver >= SM_PRODUCE_FLEXIBLE_VERSION;
	sm_proto_array_write(w, in->topic_count, flex, 0);
	for (int32_t i = 0; i < in->topic_count; i++) {
		const sm_produce_resp_topic_t *t = &in->topics[i];
		sm_proto_str_write(w, t->name, flex, 0);
		sm_proto_array_write(w, t->partition_count, flex, 0);
		for (int32_t j = 0; j < t->partition_count; j++)
			sm_produce_resp_part_write(w, ver, flex, &t->partitions[j]);
		sm_produce_tags_end(w, flex);
	}
	if (ver >= 1)
		sm_wbuf_i32(w, in->throttle_time_ms);
	sm_produce_tags_end(w, flex);
}
