/*
 * msg_fetch.c - Fetch (API key 1) body codec, versions 0-12. Mirrors Kafka's
 * generated FetchRequestData/FetchResponseData. v12 is flexible and carries
 * tagged fields: ClusterId (request, tag 0) and DivergingEpoch (0),
 * CurrentLeader (1), SnapshotId (2) per response partition (KIP-595/630).
 *
 * Response records are written with sm_proto_records_write(), so file-backed
 * records go out by sendfile and never pass through this code.
 *
 * Thread-safety: pure functions over caller-owned buffers and arenas.
 */
#include "msg_fetch.h"

#include "protocol.h"

/* ---- request ---- */

static int sm_fetch_req_tag(void *ctx, uint32_t tag, sm_rbuf_t *sub, sm_arena_t *a)
{
	sm_fetch_req_t *r = ctx;
	if (tag == 0)
		r->cluster_id = sm_rbuf_str(sub, 1, a);
	return 0;
}

static size_t sm_fetch_req_part_min(int16_t ver, int flex)
{
	size_t n = 4 + 8 + 4;
	if (ver >= 9)
		n += 4;
	if (ver >= 12)
		n += 4;
	if (ver >= 5)
		n += 8;
	return n + (flex ? 1 : 0);
}

/*
 * Reads a non-nullable array of elem_size items, each by fn. The count comes
 * back as 0 after a failure, so nobody walks a partly read array; a failure
 * shows in rb->err (readers never stop on their own).
 */
typedef void (*sm_fetch_elem_fn)(sm_rbuf_t *rb, int16_t ver, int flex, sm_arena_t *a,
				 void *elem);

static void *sm_fetch_list_read(sm_rbuf_t *rb, int16_t ver, int flex, sm_arena_t *a,
				size_t min_elem, size_t elem_size, sm_fetch_elem_fn fn,
				int32_t *cnt)
{
	int32_t n = sm_proto_array_read(rb, flex, 0, min_elem);
	uint8_t *arr = sm_proto_array_ralloc(rb, a, n, elem_size);

	for (int32_t i = 0; i < n && !rb->err; i++)
		fn(rb, ver, flex, a, arr + (size_t)i * elem_size);
	*cnt = rb->err ? 0 : n;
	return arr;
}

static void sm_fetch_req_part_read(sm_rbuf_t *rb, int16_t ver, int flex, sm_arena_t *a,
				   void *elem)
{
	sm_fetch_req_partition_t *p = elem;

	(void)a;
	p->partition = sm_rbuf_i32(rb);
	p->current_leader_epoch = ver >= 9 ? sm_rbuf_i32(rb) : -1;
	p->fetch_offset = sm_rbuf_i64(rb);
	p->last_fetched_epoch = ver >= 12 ? sm_rbuf_i32(rb) : -1;
	p->log_start_offset = ver >= 5 ? sm_rbuf_i64(rb) : -1;
	p->partition_max_bytes = sm_rbuf_i32(rb);
	if (flex)
		sm_rbuf_skip_tags(rb);
}

static void sm_fetch_req_topic_read(sm_rbuf_t *rb, int16_t ver, int flex, sm_arena_t *a,
				    void *elem)
{
	sm_fetch_req_topic_t *t = elem;

	t->topic = sm_proto_str_read(rb, flex, 0, a);
	t->partitions = sm_fetch_list_read(rb, ver, flex, a, sm_fetch_req_part_min(ver, flex),
					   sizeof(*t->partitions), sm_fetch_req_part_read,
					   &t->partition_count);
	if (flex)
		sm_rbuf_skip_tags(rb);
}

static void sm_fetch_forgotten_read(sm_rbuf_t *rb, int16_t ver, int flex, sm_arena_t *a,
				    void *elem)
{
	sm_fetch_forgotten_topic_t *f = elem;

	(void)ver;
	f->topic = sm_proto_str_read(rb, flex, 0, a);
	f->partitions = sm_proto_i32s_read(rb, flex, 0, a, &f->partition_count);
	if (flex)
		sm_rbuf_skip_tags(rb);
}

int sm_fetch_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_fetch_req_t *out)
{
	int flex = ver >= SM_FETCH_FLEXIBLE_VERSION;
	*out = (sm_fetch_req_t){ .max_bytes = INT32_MAX, .session_epoch = -1 };
	if (ver < SM_FETCH_MIN_VERSION || ver > SM_FETCH_MAX_VERSION)
		return -1;
	out->replica_id = sm_rbuf_i32(rb);
	out->max_wait_ms = sm_rbuf_i32(rb);
	out->min_bytes = sm_rbuf_i32(rb);
	if (ver >= 3)
		out->max_bytes = sm_rbuf_i32(rb);
	if (ver >= 4)
		out->isolation_level = sm_rbuf_i8(rb);
	if (ver >= 7) {
		out->session_id = sm_rbuf_i32(rb);
		out->session_epoch = sm_rbuf_i32(rb);
	}
	out->topics = sm_fetch_list_read(rb, ver, flex, a, flex ? 3 : 6, sizeof(*out->topics),
					 sm_fetch_req_topic_read, &out->topic_count);
	if (ver >= 7)
		out->forgotten_topics = sm_fetch_list_read(rb, ver, flex, a, flex ? 3 : 6,
							   sizeof(*out->forgotten_topics),
							   sm_fetch_forgotten_read,
							   &out->forgotten_topic_count);
	SM_RBUF_CHECK(rb);
	if (ver >= 11)
		out->rack_id = sm_proto_str_read(rb, flex, 0, a);
	else
		out->rack_id = sm_proto_empty_str(a);
	if (flex)
		sm_proto_tags_read(rb, a, sm_fetch_req_tag, out);
	SM_RBUF_CHECK(rb);
	return 0;
err_parse:
	out->topic_count = 0;
	out->forgotten_topic_count = 0;
	return -1;
}

static void sm_fetch_req_topics_write(sm_wbuf_t *w, int16_t ver, int flex,
				      const sm_fetch_req_t *in)
{
	sm_proto_array_write(w, in->topic_count, flex, 0);
	for (int32_t i = 0; i < in->topic_count; i++) {
		const sm_fetch_req_topic_t *t = &in->topics[i];
		sm_proto_str_write(w, t->topic, flex, 0);
		sm_proto_array_write(w, t->partition_count, flex, 0);
		for (int32_t j = 0; j < t->partition_count; j++) {
			const sm_fetch_req_partition_t *p = &t->partitions[j];
			sm_wbuf_i32(w, p->partition);
			if (ver >= 9)
				sm_wbuf_i32(w, p->current_leader_epoch);
			sm_wbuf_i64(w, p->fetch_offset);
			if (ver >= 12)
				sm_wbuf_i32(w, p->last_fetched_epoch);
			if (ver >= 5)
				sm_wbuf_i64(w, p->log_start_offset);
			sm_wbuf_i32(w, p->partition_max_bytes);
			if (flex)
				sm_wbuf_tags_empty(w);
		}
		if (flex)
			sm_wbuf_tags_empty(w);
	}
}

static void sm_fetch_forgotten_write(sm_wbuf_t *w, int flex, const sm_fetch_req_t *in)
{
	sm_proto_array_write(w, in->forgotten_topic_count, flex, 0);
	for (int32_t i = 0; i < in->forgotten_topic_count; i++) {
		const sm_fetch_forgotten_topic_t *f = &in->forgotten_topics[i];
		sm_proto_str_write(w, f->topic, flex, 0);
		sm_proto_i32s_write(w, f->partitions, f->partition_count, flex, 0);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
}

/* ClusterId (tag 0) is the only request tag, and only sent when set. */
static void sm_fetch_req_tags_write(sm_wbuf_t *w, const sm_fetch_req_t *in)
{
	if (!in->cluster_id) {
		sm_wbuf_tags_empty(w);
		return;
	}
	sm_wbuf_t val;
	sm_wbuf_init(&val, 0);
	sm_wbuf_str(&val, in->cluster_id, 1);
	sm_wbuf_uvarint(w, 1);
	sm_proto_tag_write(w, 0, &val);
	sm_wbuf_free(&val);
}

void sm_fetch_req_write(sm_wbuf_t *w, int16_t ver, const sm_fetch_req_t *in)
{
	int flex = ver >= SM_FETCH_FLEXIBLE_VERSION;
	sm_wbuf_i32(w, in->replica_id);
	sm_wbuf_i32(w, in->max_wait_ms);
	sm_wbuf_i32(w, in->min_bytes);
	if (ver >= 3)
		sm_wbuf_i32(w, in->max_bytes);
	if (ver >= 4)
		sm_wbuf_i8(w, in->isolation_level);
	if (ver >= 7) {
		sm_wbuf_i32(w, in->session_id);
		sm_wbuf_i32(w, in->session_epoch);
	}
	sm_fetch_req_topics_write(w, ver, flex, in);
	if (ver >= 7)
		sm_fetch_forgotten_write(w, flex, in);
	if (ver >= 11)
		sm_proto_str_write(w, in->rack_id, flex, 0);
	if (flex)
		sm_fetch_req_tags_write(w, in);
}

/* ---- response ---- */

void sm_fetch_resp_partition_init(sm_fetch_resp_partition_t *p)
{
	*p = (sm_fetch_resp_partition_t){
		.last_stable_offset = -1,
		.log_start_offset = -1,
		.diverging_epoch = { -1, -1 },
		.current_leader = { -1, -1 },
		.snapshot_id = { -1, -1 },
		.preferred_read_replica = -1,
		.records = { NULL, -1, NULL, 0 },
	};
}

static int sm_fetch_resp_part_tag(void *ctx, uint32_t tag, sm_rbuf_t *sub, sm_arena_t *a)
{
	sm_fetch_resp_partition_t *p = ctx;
	(void)a;
	switch (tag) {
	case 0:
		p->diverging_epoch.epoch = sm_rbuf_i32(sub);
		p->diverging_epoch.end_offset = sm_rbuf_i64(sub);
		break;
	case 1:
		p->current_leader.leader_id = sm_rbuf_i32(sub);
		p->current_leader.leader_epoch = sm_rbuf_i32(sub);
		break;
	case 2:
		p->snapshot_id.end_offset = sm_rbuf_i64(sub);
		p->snapshot_id.epoch = sm_rbuf_i32(sub);
		break;
	default:
		return 0;
	}
	sm_rbuf_skip_tags(sub);
	return 0;
}

static size_t sm_fetch_resp_part_min(int16_t ver, int flex)
{
	size_t n = 4 + 2 + 8;
	if (ver >= 4)
		n += 8 + (flex ? 1 : 4);
	if (ver >= 5)
		n += 8;
	if (ver >= 11)
		n += 4;
	return n + (flex ? 2 : 4);
}

static void sm_fetch_resp_part_read(sm_rbuf_t *rb, int16_t ver, int flex, sm_arena_t *a,
				    void *elem)
{
	sm_fetch_resp_partition_t *p = elem;

	sm_fetch_resp_partition_init(p);
	p->partition_index = sm_rbuf_i32(rb);
	p->error_code = sm_rbuf_i16(rb);
	p->high_watermark = sm_rbuf_i64(rb);
	if (ver >= 4)
		p->last_stable_offset = sm_rbuf_i64(rb);
	if (ver >= 5)
		p->log_start_offset = sm_rbuf_i64(rb);
	if (ver >= 4) {
		p->aborted_transaction_count = sm_proto_array_read(rb, flex, 1, flex ? 17 : 16);
		p->aborted_transactions = sm_proto_array_ralloc(rb, a, p->aborted_transaction_count,
							       sizeof(*p->aborted_transactions));
		for (int32_t k = 0; k < p->aborted_transaction_count && !rb->err; k++) {
			p->aborted_transactions[k].producer_id = sm_rbuf_i64(rb);
			p->aborted_transactions[k].first_offset = sm_rbuf_i64(rb);
			if (flex)
				sm_rbuf_skip_tags(rb);
		}
	}
	if (ver >= 11)
		p->preferred_read_replica = sm_rbuf_i32(rb);
	p->records = sm_proto_records_read(rb, flex, 1);
	if (flex)
		sm_proto_tags_read(rb, a, sm_fetch_resp_part_tag, p);
	if (rb->err)
		p->aborted_transaction_count = 0;
}

static void sm_fetch_resp_topic_read(sm_rbuf_t *rb, int16_t ver, int flex, sm_arena_t *a,
				     void *elem)
{
	sm_fetch_resp_topic_t *t = elem;

	t->topic = sm_proto_str_read(rb, flex, 0, a);
	t->partitions = sm_fetch_list_read(rb, ver, flex, a, sm_fetch_resp_part_min(ver, flex),
					   sizeof(*t->partitions), sm_fetch_resp_part_read,
					   &t->partition_count);
	if (flex)
		sm_rbuf_skip_tags(rb);
}

int sm_fetch_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_fetch_resp_t *out)
{
	int flex = ver >= SM_FETCH_FLEXIBLE_VERSION;
	*out = (sm_fetch_resp_t){ 0 };
	if (ver < SM_FETCH_MIN_VERSION || ver > SM_FETCH_MAX_VERSION)
		return -1;
	if (ver >= 1)
		out->throttle_time_ms = sm_rbuf_i32(rb);
	if (ver >= 7) {
		out->error_code = sm_rbuf_i16(rb);
		out->session_id = sm_rbuf_i32(rb);
	}
	out->topics = sm_fetch_list_read(rb, ver, flex, a, flex ? 3 : 6, sizeof(*out->topics),
					 sm_fetch_resp_topic_read, &out->topic_count);
	if (flex)
		sm_rbuf_skip_tags(rb);
	if (!rb->err)
		return 0;
	out->topic_count = 0;
	return -1;
}

/* Tagged fields of a response partition, each only when non-default. */
static void sm_fetch_resp_part_tags_write(sm_wbuf_t *w, const sm_fetch_resp_partition_t *p)
{
	int de = p->diverging_epoch.epoch != -1 || p->diverging_epoch.end_offset != -1;
	int cl = p->current_leader.leader_id != -1 || p->current_leader.leader_epoch != -1;
	int si = p->snapshot_id.end_offset != -1 || p->snapshot_id.epoch != -1;
	sm_wbuf_uvarint(w, (uint32_t)(de + cl + si));
	if (de) {
		sm_wbuf_uvarint(w, 0);
		sm_wbuf_uvarint(w, 4 + 8 + 1);
		sm_wbuf_i32(w, p->diverging_epoch.epoch);
		sm_wbuf_i64(w, p->diverging_epoch.end_offset);
		sm_wbuf_tags_empty(w);
	}
	if (cl) {
		sm_wbuf_uvarint(w, 1);
		sm_wbuf_uvarint(w, 4 + 4 + 1);
		sm_wbuf_i32(w, p->current_leader.leader_id);
		sm_wbuf_i32(w, p->current_leader.leader_epoch);
		sm_wbuf_tags_empty(w);
	}
	if (si) {
		sm_wbuf_uvarint(w, 2);
		sm_wbuf_uvarint(w, 8 + 4 + 1);
		sm_wbuf_i64(w, p->snapshot_id.end_offset);
		sm_wbuf_i32(w, p->snapshot_id.epoch);
		sm_wbuf_tags_empty(w);
	}
}

static void sm_fetch_resp_part_write(sm_wbuf_t *w, int16_t ver, int flex,
				     const sm_fetch_resp_partition_t *p)
{
	sm_wbuf_i32(w, p->partition_index);
	sm_wbuf_i16(w, p->error_code);
	sm_wbuf_i64(w, p->high_watermark);
	if (ver >= 4)
		sm_wbuf_i64(w, p->last_stable_offset);
	if (ver >= 5)
		sm_wbuf_i64(w, p->log_start_offset);
	if (ver >= 4) {
		sm_proto_array_write(w, p->aborted_transaction_count, flex, 1);
		for (int32_t k = 0; k < p->aborted_transaction_count; k++) {
			sm_wbuf_i64(w, p->aborted_transactions[k].producer_id);
			sm_wbuf_i64(w, p->aborted_transactions[k].first_offset);
			if (flex)
				sm_wbuf_tags_empty(w);
		}
	}
	if (ver >= 11)
		sm_wbuf_i32(w, p->preferred_read_replica);
	sm_proto_records_write(w, &p->records, flex, 1);
	if (flex)
		sm_fetch_resp_part_tags_write(w, p);
}

void sm_fetch_resp_write(sm_wbuf_t *w, int16_t ver, const sm_fetch_resp_t *in)
{
	int flex = ver >= SM_FETCH_FLEXIBLE_VERSION;
	if (ver >= 1)
		sm_wbuf_i32(w, in->throttle_time_ms);
	if (ver >= 7) {
		sm_wbuf_i16(w, in->error_code);
		sm_wbuf_i32(w, in->session_id);
	}
	sm_proto_array_write(w, in->topic_count, flex, 0);
	for (int32_t i = 0; i < in->topic_count; i++) {
		const sm_fetch_resp_topic_t *t = &in->topics[i];
		sm_proto_str_write(w, t->topic, flex, 0);
		sm_proto_array_write(w, t->partition_count, flex, 0);
		for (int32_t j = 0; j < t->partition_count; j++)
			sm_fetch_resp_part_write(w, ver, flex, &t->partitions[j]);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}
