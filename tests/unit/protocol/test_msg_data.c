/*
 * test_msg_data.c - Produce, Fetch and ListOffsets body codecs: every version
 * round-trips field by field and byte for byte, file-backed records flatten
 * to the same bytes as memory-backed ones, tagged fields are read, skipped
 * and written only when set, and hostile bodies fail cleanly.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "msg_fetch.h"
#include "msg_list_offsets.h"
#include "msg_produce.h"

/* ---- shared fixtures ---- */

static uint8_t rec_small[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x31, 0xff, 0xff, 0xff, 0xff, 2 };
static uint8_t rec_big[300]; /* long enough for a two-byte compact length */

static void str_eq(const char *exp, const char *got)
{
	if (!exp) {
		CU_ASSERT_PTR_NULL(got);
		return;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(exp, got);
}

static void records_eq(const sm_records_t *exp, const sm_records_t *got)
{
	CU_ASSERT_EQUAL(exp->len, got->len);
	CU_ASSERT_PTR_NULL(got->file);
	if (exp->len > 0 && exp->len == got->len)
		CU_ASSERT(memcmp(exp->ptr, got->ptr, (size_t)exp->len) == 0);
	if (exp->len < 0)
		CU_ASSERT_PTR_NULL(got->ptr);
}

static sm_records_t recs(int which)
{
	sm_records_t r = { NULL, -1, NULL, 0 };
	if (which == 1) {
		r.ptr = rec_small;
		r.len = sizeof(rec_small);
	} else if (which == 2) {
		r.ptr = rec_big;
		r.len = sizeof(rec_big);
	} else if (which == 3) {
		r.ptr = rec_small;
		r.len = 0;
	}
	return r;
}

/* A codec under test, with untyped adapters so one driver runs them all. */
typedef struct codec {
	const char *name;
	int16_t min_ver, max_ver;
	size_t size;
	int (*read)(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, void *out);
	void (*write)(sm_wbuf_t *w, int16_t ver, const void *in);
	/* Fills every field the version has with a non-default value (variant 1
	 * uses nulls and empties where allowed) and the rest with defaults. */
	void (*fill)(sm_arena_t *a, int16_t ver, int variant, void *out);
	void (*check)(int16_t ver, const void *exp, const void *got);
} codec_t;

#define CODEC_ADAPT(msg, kind)                                                    \
	static int msg##_##kind##_read_v(sm_rbuf_t *rb, int16_t v, sm_arena_t *a, \
					 void *o)                                 \
	{                                                                         \
		return sm_##msg##_##kind##_read(rb, v, a, o);                     \
	}                                                                         \
	static void msg##_##kind##_write_v(sm_wbuf_t *w, int16_t v, const void *i) \
	{                                                                         \
		sm_##msg##_##kind##_write(w, v, i);                               \
	}

CODEC_ADAPT(produce, req)
CODEC_ADAPT(produce, resp)
CODEC_ADAPT(fetch, req)
CODEC_ADAPT(fetch, resp)
CODEC_ADAPT(list_offsets, req)
CODEC_ADAPT(list_offsets, resp)

static void *arr(sm_arena_t *a, int32_t n, size_t size)
{
	return sm_arena_alloc(a, (size_t)(n > 0 ? n : 1) * size);
}

/* ---- Produce ---- */

static void produce_req_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_produce_req_t *r = o;
	r->transactional_id = ver >= 3 && !variant ? "txn-éé" : NULL;
	r->acks = variant ? 0 : -1;
	r->timeout_ms = 30000 + ver;
	r->topic_data_cnt = 2;
	r->topic_data = arr(a, 2, sizeof(*r->topic_data));
	r->topic_data[0].name = "orders";
	r->topic_data[0].partition_data_cnt = 3;
	r->topic_data[0].partition_data = arr(a, 3, sizeof(sm_produce_req_partition_data_t));
	for (int i = 0; i < 3; i++) {
		r->topic_data[0].partition_data[i].index = i * 7;
		r->topic_data[0].partition_data[i].records = recs(variant ? 3 - i : i + 1);
	}
	r->topic_data[1].name = variant ? "" : "x";
	r->topic_data[1].partition_data_cnt = variant ? 0 : 1;
	r->topic_data[1].partition_data = arr(a, 1, sizeof(sm_produce_req_partition_data_t));
	r->topic_data[1].partition_data[0].index = 65536;
	r->topic_data[1].partition_data[0].records = recs(2);
}

static void produce_req_check(int16_t ver, const void *e, const void *g)
{
	const sm_produce_req_t *exp = e, *got = g;
	(void)ver;
	str_eq(exp->transactional_id, got->transactional_id);
	CU_ASSERT_EQUAL(exp->acks, got->acks);
	CU_ASSERT_EQUAL(exp->timeout_ms, got->timeout_ms);
	CU_ASSERT_EQUAL_FATAL(exp->topic_data_cnt, got->topic_data_cnt);
	for (int32_t i = 0; i < exp->topic_data_cnt; i++) {
		const sm_produce_req_topic_data_t *et = &exp->topic_data[i], *gt = &got->topic_data[i];
		str_eq(et->name, gt->name);
		CU_ASSERT_EQUAL_FATAL(et->partition_data_cnt, gt->partition_data_cnt);
		for (int32_t j = 0; j < et->partition_data_cnt; j++) {
			CU_ASSERT_EQUAL(et->partition_data[j].index, gt->partition_data[j].index);
			records_eq(&et->partition_data[j].records, &gt->partition_data[j].records);
		}
	}
}

static void produce_resp_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_produce_resp_t *r = o;
	r->throttle_time_ms = ver >= 1 ? 250 : 0;
	r->responses_cnt = 2;
	r->responses = arr(a, 2, sizeof(*r->responses));
	for (int t = 0; t < 2; t++) {
		sm_produce_resp_response_t *tp = &r->responses[t];
		tp->name = t ? "second" : "first";
		tp->partition_responses_cnt = t + 1;
		tp->partition_responses = arr(a, t + 1, sizeof(*tp->partition_responses));
		for (int i = 0; i <= t; i++) {
			sm_produce_resp_partition_response_t *p = &tp->partition_responses[i];
			p->index = i + 1;
			p->error_code = (int16_t)(variant ? 6 : 0);
			p->base_offset = 1000000000000LL + i;
			p->log_append_time_ms = ver >= 2 ? 1600000000000LL : -1;
			p->log_start_offset = ver >= 5 ? 42 : -1;
			if (ver >= 8 && !variant) {
				p->record_errors_cnt = 2;
				p->record_errors = arr(a, 2, sizeof(*p->record_errors));
				p->record_errors[0].batch_index = 3;
				p->record_errors[0].batch_index_error_message = "bad record";
				p->record_errors[1].batch_index = 9;
				p->record_errors[1].batch_index_error_message = NULL;
				p->error_message = "batch dropped";
			}
		}
	}
}

static void produce_resp_check(int16_t ver, const void *e, const void *g)
{
	const sm_produce_resp_t *exp = e, *got = g;
	(void)ver;
	CU_ASSERT_EQUAL(exp->throttle_time_ms, got->throttle_time_ms);
	CU_ASSERT_EQUAL_FATAL(exp->responses_cnt, got->responses_cnt);
	for (int32_t i = 0; i < exp->responses_cnt; i++) {
		const sm_produce_resp_response_t *et = &exp->responses[i], *gt = &got->responses[i];
		str_eq(et->name, gt->name);
		CU_ASSERT_EQUAL_FATAL(et->partition_responses_cnt, gt->partition_responses_cnt);
		for (int32_t j = 0; j < et->partition_responses_cnt; j++) {
			const sm_produce_resp_partition_response_t *ep = &et->partition_responses[j];
			const sm_produce_resp_partition_response_t *gp = &gt->partition_responses[j];
			CU_ASSERT_EQUAL(ep->index, gp->index);
			CU_ASSERT_EQUAL(ep->error_code, gp->error_code);
			CU_ASSERT_EQUAL(ep->base_offset, gp->base_offset);
			CU_ASSERT_EQUAL(ep->log_append_time_ms, gp->log_append_time_ms);
			CU_ASSERT_EQUAL(ep->log_start_offset, gp->log_start_offset);
			str_eq(ep->error_message, gp->error_message);
			CU_ASSERT_EQUAL_FATAL(ep->record_errors_cnt, gp->record_errors_cnt);
			for (int32_t k = 0; k < ep->record_errors_cnt; k++) {
				CU_ASSERT_EQUAL(ep->record_errors[k].batch_index,
						gp->record_errors[k].batch_index);
				str_eq(ep->record_errors[k].batch_index_error_message,
				       gp->record_errors[k].batch_index_error_message);
			}
		}
	}
}

/* ---- Fetch ---- */

static void fetch_req_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_fetch_req_t *r = o;
	r->cluster_id = ver >= 12 && !variant ? "lkc-Zx9_aQ" : NULL;
	r->replica_id = variant ? -1 : 2;
	r->max_wait_ms = 500;
	r->min_bytes = 1;
	r->max_bytes = ver >= 3 ? 52428800 : INT32_MAX;
	r->isolation_level = ver >= 4 ? 1 : 0;
	r->session_id = ver >= 7 ? 123456 : 0;
	r->session_epoch = ver >= 7 ? 7 : -1;
	r->rack_id = ver >= 11 && !variant ? "rack-1" : "";
	r->topics_cnt = variant ? 1 : 2;
	r->topics = arr(a, 2, sizeof(*r->topics));
	for (int t = 0; t < 2; t++) {
		sm_fetch_req_topic_t *tp = &r->topics[t];
		tp->topic = t ? "beta" : "alpha";
		tp->partitions_cnt = 2;
		tp->partitions = arr(a, 2, sizeof(*tp->partitions));
		for (int i = 0; i < 2; i++) {
			sm_fetch_req_partition_t *p = &tp->partitions[i];
			p->partition = i;
			p->current_leader_epoch = ver >= 9 ? 5 + i : -1;
			p->fetch_offset = 1234567890123LL + i;
			p->last_fetched_epoch = ver >= 12 ? 4 : -1;
			p->log_start_offset = ver >= 5 ? 17 : -1;
			p->partition_max_bytes = 1048576;
		}
	}
	if (ver >= 7 && !variant) {
		r->forgotten_topics_data_cnt = 2;
		r->forgotten_topics_data = arr(a, 2, sizeof(*r->forgotten_topics_data));
		r->forgotten_topics_data[0].topic = "gone";
		r->forgotten_topics_data[0].partitions_cnt = 3;
		r->forgotten_topics_data[0].partitions = arr(a, 3, sizeof(int32_t));
		for (int i = 0; i < 3; i++)
			r->forgotten_topics_data[0].partitions[i] = i * 2;
		r->forgotten_topics_data[1].topic = "also-gone";
		r->forgotten_topics_data[1].partitions_cnt = 0;
	}
}

static void fetch_req_check(int16_t ver, const void *e, const void *g)
{
	const sm_fetch_req_t *exp = e, *got = g;
	(void)ver;
	str_eq(exp->cluster_id, got->cluster_id);
	CU_ASSERT_EQUAL(exp->replica_id, got->replica_id);
	CU_ASSERT_EQUAL(exp->max_wait_ms, got->max_wait_ms);
	CU_ASSERT_EQUAL(exp->min_bytes, got->min_bytes);
	CU_ASSERT_EQUAL(exp->max_bytes, got->max_bytes);
	CU_ASSERT_EQUAL(exp->isolation_level, got->isolation_level);
	CU_ASSERT_EQUAL(exp->session_id, got->session_id);
	CU_ASSERT_EQUAL(exp->session_epoch, got->session_epoch);
	str_eq(exp->rack_id, got->rack_id);
	CU_ASSERT_EQUAL_FATAL(exp->topics_cnt, got->topics_cnt);
	for (int32_t i = 0; i < exp->topics_cnt; i++) {
		const sm_fetch_req_topic_t *et = &exp->topics[i], *gt = &got->topics[i];
		str_eq(et->topic, gt->topic);
		CU_ASSERT_EQUAL_FATAL(et->partitions_cnt, gt->partitions_cnt);
		for (int32_t j = 0; j < et->partitions_cnt; j++) {
			const sm_fetch_req_partition_t *ep = &et->partitions[j];
			const sm_fetch_req_partition_t *gp = &gt->partitions[j];
			CU_ASSERT_EQUAL(ep->partition, gp->partition);
			CU_ASSERT_EQUAL(ep->current_leader_epoch, gp->current_leader_epoch);
			CU_ASSERT_EQUAL(ep->fetch_offset, gp->fetch_offset);
			CU_ASSERT_EQUAL(ep->last_fetched_epoch, gp->last_fetched_epoch);
			CU_ASSERT_EQUAL(ep->log_start_offset, gp->log_start_offset);
			CU_ASSERT_EQUAL(ep->partition_max_bytes, gp->partition_max_bytes);
		}
	}
	CU_ASSERT_EQUAL_FATAL(exp->forgotten_topics_data_cnt, got->forgotten_topics_data_cnt);
	for (int32_t i = 0; i < exp->forgotten_topics_data_cnt; i++) {
		const sm_fetch_req_forgotten_topics_data_t *ef = &exp->forgotten_topics_data[i];
		const sm_fetch_req_forgotten_topics_data_t *gf = &got->forgotten_topics_data[i];
		str_eq(ef->topic, gf->topic);
		CU_ASSERT_EQUAL_FATAL(ef->partitions_cnt, gf->partitions_cnt);
		for (int32_t j = 0; j < ef->partitions_cnt; j++)
			CU_ASSERT_EQUAL(ef->partitions[j], gf->partitions[j]);
	}
}

static void fetch_resp_part_fill(sm_arena_t *a, int16_t ver, int variant, int i,
				 sm_fetch_resp_partition_t *p)
{
	sm_fetch_resp_partition_init(p);
	p->partition_index = i;
	p->error_code = (int16_t)(i == 2 ? 1 : 0);
	p->high_watermark = 99999 + i;
	if (ver >= 4)
		p->last_stable_offset = 99990 + i;
	if (ver >= 5)
		p->log_start_offset = 100 + i;
	if (ver >= 12) {
		if (!variant) {
			p->diverging_epoch.epoch = 3;
			p->diverging_epoch.end_offset = 5000;
			p->snapshot_id.end_offset = 4000;
			p->snapshot_id.epoch = 2;
		}
		p->current_leader.leader_id = 1;
		p->current_leader.leader_epoch = i == 0 ? -1 : 8; /* partly default */
	}
	if (ver >= 4 && variant) {
		p->aborted_transactions_cnt = -1;
	} else if (ver >= 4) {
		p->aborted_transactions_cnt = 2;
		p->aborted_transactions = arr(a, 2, sizeof(*p->aborted_transactions));
		p->aborted_transactions[0] = (sm_fetch_resp_aborted_transaction_t){ 4000, 99000 };
		p->aborted_transactions[1] = (sm_fetch_resp_aborted_transaction_t){ -5, 99500 };
	}
	if (ver >= 11)
		p->preferred_read_replica = 3;
	p->records = recs(i == 2 ? 0 : i + 1);
}

static void fetch_resp_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_fetch_resp_t *r = o;
	r->throttle_time_ms = ver >= 1 ? 10 : 0;
	r->error_code = ver >= 7 && variant ? 70 : 0;
	r->session_id = ver >= 7 ? 777 : 0;
	r->responses_cnt = 2;
	r->responses = arr(a, 2, sizeof(*r->responses));
	r->responses[0].topic = "alpha";
	r->responses[0].partitions_cnt = 3;
	r->responses[0].partitions = arr(a, 3, sizeof(sm_fetch_resp_partition_t));
	for (int i = 0; i < 3; i++)
		fetch_resp_part_fill(a, ver, variant, i, &r->responses[0].partitions[i]);
	r->responses[1].topic = "beta";
	r->responses[1].partitions_cnt = 0;
}

static void fetch_resp_part_check(const sm_fetch_resp_partition_t *ep,
				  const sm_fetch_resp_partition_t *gp)
{
	CU_ASSERT_EQUAL(ep->partition_index, gp->partition_index);
	CU_ASSERT_EQUAL(ep->error_code, gp->error_code);
	CU_ASSERT_EQUAL(ep->high_watermark, gp->high_watermark);
	CU_ASSERT_EQUAL(ep->last_stable_offset, gp->last_stable_offset);
	CU_ASSERT_EQUAL(ep->log_start_offset, gp->log_start_offset);
	CU_ASSERT_EQUAL(ep->diverging_epoch.epoch, gp->diverging_epoch.epoch);
	CU_ASSERT_EQUAL(ep->diverging_epoch.end_offset, gp->diverging_epoch.end_offset);
	CU_ASSERT_EQUAL(ep->current_leader.leader_id, gp->current_leader.leader_id);
	CU_ASSERT_EQUAL(ep->current_leader.leader_epoch, gp->current_leader.leader_epoch);
	CU_ASSERT_EQUAL(ep->snapshot_id.end_offset, gp->snapshot_id.end_offset);
	CU_ASSERT_EQUAL(ep->snapshot_id.epoch, gp->snapshot_id.epoch);
	CU_ASSERT_EQUAL(ep->preferred_read_replica, gp->preferred_read_replica);
	CU_ASSERT_EQUAL_FATAL(ep->aborted_transactions_cnt, gp->aborted_transactions_cnt);
	for (int32_t k = 0; k < ep->aborted_transactions_cnt; k++) {
		CU_ASSERT_EQUAL(ep->aborted_transactions[k].producer_id,
				gp->aborted_transactions[k].producer_id);
		CU_ASSERT_EQUAL(ep->aborted_transactions[k].first_offset,
				gp->aborted_transactions[k].first_offset);
	}
	records_eq(&ep->records, &gp->records);
}

static void fetch_resp_check(int16_t ver, const void *e, const void *g)
{
	const sm_fetch_resp_t *exp = e, *got = g;
	(void)ver;
	CU_ASSERT_EQUAL(exp->throttle_time_ms, got->throttle_time_ms);
	CU_ASSERT_EQUAL(exp->error_code, got->error_code);
	CU_ASSERT_EQUAL(exp->session_id, got->session_id);
	CU_ASSERT_EQUAL_FATAL(exp->responses_cnt, got->responses_cnt);
	for (int32_t i = 0; i < exp->responses_cnt; i++) {
		const sm_fetch_resp_response_t *et = &exp->responses[i], *gt = &got->responses[i];
		str_eq(et->topic, gt->topic);
		CU_ASSERT_EQUAL_FATAL(et->partitions_cnt, gt->partitions_cnt);
		for (int32_t j = 0; j < et->partitions_cnt; j++)
			fetch_resp_part_check(&et->partitions[j], &gt->partitions[j]);
	}
}

/* ---- ListOffsets ---- */

static void lo_req_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_list_offsets_req_t *r = o;
	static const int64_t ts[] = { SM_LIST_OFFSETS_LATEST_TIMESTAMP,
				      SM_LIST_OFFSETS_EARLIEST_TIMESTAMP, 1600000000123LL };
	r->replica_id = variant ? 4 : -1;
	r->isolation_level = ver >= 2 ? 1 : 0;
	r->topics_cnt = 2;
	r->topics = arr(a, 2, sizeof(*r->topics));
	for (int t = 0; t < 2; t++) {
		sm_list_offsets_req_topic_t *tp = &r->topics[t];
		tp->name = t ? "b" : "topic-a";
		tp->partitions_cnt = variant ? t : 3;
		tp->partitions = arr(a, 3, sizeof(*tp->partitions));
		for (int i = 0; i < 3; i++) {
			sm_list_offsets_req_partition_t *p = &tp->partitions[i];
			p->partition_index = i + 10 * t;
			p->current_leader_epoch = ver >= 4 ? 6 : -1;
			p->timestamp = ts[i];
			p->max_num_offsets = ver == 0 ? 5 : 1;
		}
	}
}

static void lo_req_check(int16_t ver, const void *e, const void *g)
{
	const sm_list_offsets_req_t *exp = e, *got = g;
	(void)ver;
	CU_ASSERT_EQUAL(exp->replica_id, got->replica_id);
	CU_ASSERT_EQUAL(exp->isolation_level, got->isolation_level);
	CU_ASSERT_EQUAL_FATAL(exp->topics_cnt, got->topics_cnt);
	for (int32_t i = 0; i < exp->topics_cnt; i++) {
		const sm_list_offsets_req_topic_t *et = &exp->topics[i], *gt = &got->topics[i];
		str_eq(et->name, gt->name);
		CU_ASSERT_EQUAL_FATAL(et->partitions_cnt, gt->partitions_cnt);
		for (int32_t j = 0; j < et->partitions_cnt; j++) {
			const sm_list_offsets_req_partition_t *ep = &et->partitions[j];
			const sm_list_offsets_req_partition_t *gp = &gt->partitions[j];
			CU_ASSERT_EQUAL(ep->partition_index, gp->partition_index);
			CU_ASSERT_EQUAL(ep->current_leader_epoch, gp->current_leader_epoch);
			CU_ASSERT_EQUAL(ep->timestamp, gp->timestamp);
			CU_ASSERT_EQUAL(ep->max_num_offsets, gp->max_num_offsets);
		}
	}
}

static void lo_resp_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_list_offsets_resp_t *r = o;
	r->throttle_time_ms = ver >= 2 ? 33 : 0;
	r->topics_cnt = 2;
	r->topics = arr(a, 2, sizeof(*r->topics));
	for (int t = 0; t < 2; t++) {
		sm_list_offsets_resp_topic_t *tp = &r->topics[t];
		tp->name = t ? "b" : "topic-a";
		tp->partitions_cnt = 2;
		tp->partitions = arr(a, 2, sizeof(*tp->partitions));
		for (int i = 0; i < 2; i++) {
			sm_list_offsets_resp_partition_t *p = &tp->partitions[i];
			p->partition_index = i;
			p->error_code = (int16_t)(i ? 78 : 0);
			p->timestamp = ver >= 1 ? 1600000000999LL : -1;
			p->offset = ver >= 1 ? 4242 + i : -1;
			p->leader_epoch = ver >= 4 ? 12 : -1;
			if (ver == 0 && !(variant && i)) {
				p->old_style_offsets_cnt = 3;
				p->old_style_offsets = arr(a, 3, sizeof(int64_t));
				p->old_style_offsets[0] = 500;
				p->old_style_offsets[1] = 250;
				p->old_style_offsets[2] = 0;
			}
		}
	}
}

static void lo_resp_check(int16_t ver, const void *e, const void *g)
{
	const sm_list_offsets_resp_t *exp = e, *got = g;
	(void)ver;
	CU_ASSERT_EQUAL(exp->throttle_time_ms, got->throttle_time_ms);
	CU_ASSERT_EQUAL_FATAL(exp->topics_cnt, got->topics_cnt);
	for (int32_t i = 0; i < exp->topics_cnt; i++) {
		const sm_list_offsets_resp_topic_t *et = &exp->topics[i], *gt = &got->topics[i];
		str_eq(et->name, gt->name);
		CU_ASSERT_EQUAL_FATAL(et->partitions_cnt, gt->partitions_cnt);
		for (int32_t j = 0; j < et->partitions_cnt; j++) {
			const sm_list_offsets_resp_partition_t *ep = &et->partitions[j];
			const sm_list_offsets_resp_partition_t *gp = &gt->partitions[j];
			CU_ASSERT_EQUAL(ep->partition_index, gp->partition_index);
			CU_ASSERT_EQUAL(ep->error_code, gp->error_code);
			CU_ASSERT_EQUAL(ep->timestamp, gp->timestamp);
			CU_ASSERT_EQUAL(ep->offset, gp->offset);
			CU_ASSERT_EQUAL(ep->leader_epoch, gp->leader_epoch);
			CU_ASSERT_EQUAL_FATAL(ep->old_style_offsets_cnt, gp->old_style_offsets_cnt);
			for (int32_t k = 0; k < ep->old_style_offsets_cnt; k++)
				CU_ASSERT_EQUAL(ep->old_style_offsets[k], gp->old_style_offsets[k]);
		}
	}
}

static const codec_t codecs[] = {
	{ "ProduceRequest", 0, 9, sizeof(sm_produce_req_t), produce_req_read_v,
	  produce_req_write_v, produce_req_fill, produce_req_check },
	{ "ProduceResponse", 0, 9, sizeof(sm_produce_resp_t), produce_resp_read_v,
	  produce_resp_write_v, produce_resp_fill, produce_resp_check },
	{ "FetchRequest", 0, 12, sizeof(sm_fetch_req_t), fetch_req_read_v, fetch_req_write_v,
	  fetch_req_fill, fetch_req_check },
	{ "FetchResponse", 0, 12, sizeof(sm_fetch_resp_t), fetch_resp_read_v,
	  fetch_resp_write_v, fetch_resp_fill, fetch_resp_check },
	{ "ListOffsetsRequest", 0, 6, sizeof(sm_list_offsets_req_t), list_offsets_req_read_v,
	  list_offsets_req_write_v, lo_req_fill, lo_req_check },
	{ "ListOffsetsResponse", 0, 6, sizeof(sm_list_offsets_resp_t),
	  list_offsets_resp_read_v, list_offsets_resp_write_v, lo_resp_fill, lo_resp_check },
};

/* ---- the driver ---- */

/* write -> read -> compare -> write again -> same bytes; then every strict
 * prefix of the body must fail to parse. */
static void roundtrip_one(const codec_t *c, int16_t ver, int variant)
{
	sm_arena_t a;
	sm_arena_init(&a);
	void *exp = sm_arena_alloc(&a, c->size);
	void *got = sm_arena_alloc(&a, c->size);
	c->fill(&a, ver, variant, exp);

	sm_wbuf_t w1, w2;
	sm_wbuf_init(&w1, 0);
	sm_wbuf_init(&w2, 0);
	c->write(&w1, ver, exp);
	CU_ASSERT_EQUAL(w1.nfrags, 0);

	sm_rbuf_t rb;
	sm_rbuf_init(&rb, w1.p, w1.len);
	int rc = c->read(&rb, ver, &a, got);
	if (rc != 0 || sm_rbuf_remaining(&rb) != 0)
		fprintf(stderr, "\n%s v%d variant %d: rc %d, %zu left\n", c->name, ver,
			variant, rc, sm_rbuf_remaining(&rb));
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(sm_rbuf_remaining(&rb), 0);
	c->check(ver, exp, got);

	c->write(&w2, ver, got);
	CU_ASSERT_EQUAL_FATAL(w1.len, w2.len);
	CU_ASSERT(memcmp(w1.p, w2.p, w1.len) == 0);

	for (size_t cut = 0; cut < w1.len; cut++) {
		sm_arena_t ta;
		sm_arena_init(&ta);
		/* A private copy of just the prefix, so a read past it is caught by
		 * the sanitizers and valgrind as well as by the return code. */
		uint8_t *copy = sm_malloc(cut ? cut : 1);
		memcpy(copy, w1.p, cut);
		sm_rbuf_init(&rb, copy, cut);
		void *tmp = sm_arena_alloc(&ta, c->size);
		rc = c->read(&rb, ver, &ta, tmp);
		if (rc != -1)
			fprintf(stderr, "\n%s v%d: prefix %zu/%zu parsed\n", c->name, ver, cut,
				w1.len);
		CU_ASSERT_EQUAL(rc, -1);
		free(copy);
		sm_arena_destroy(&ta);
	}
	sm_wbuf_free(&w1);
	sm_wbuf_free(&w2);
	sm_arena_destroy(&a);
}

static void run_codec(const codec_t *c)
{
	for (int16_t v = c->min_ver; v <= c->max_ver; v++)
		for (int variant = 0; variant < 2; variant++)
			roundtrip_one(c, v, variant);
}

static void test_produce_req(void) { run_codec(&codecs[0]); }
static void test_produce_resp(void) { run_codec(&codecs[1]); }
static void test_fetch_req(void) { run_codec(&codecs[2]); }
static void test_fetch_resp(void) { run_codec(&codecs[3]); }
static void test_lo_req(void) { run_codec(&codecs[4]); }
static void test_lo_resp(void) { run_codec(&codecs[5]); }

/* ---- file-backed records ---- */

static void fetch_file_backed(int16_t ver)
{
	char path[] = "/tmp/test_msg_data_XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	unlink(path);
	/* Records live at an odd offset after some unrelated segment bytes. */
	static const uint8_t junk[] = "segment-prefix!";
	CU_ASSERT_EQUAL(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	CU_ASSERT_EQUAL(write(fd, rec_big, sizeof(rec_big)), (ssize_t)sizeof(rec_big));
	CU_ASSERT_EQUAL(write(fd, rec_small, sizeof(rec_small)), (ssize_t)sizeof(rec_small));
	sm_fileref_t *f = sm_fileref_new(fd);

	sm_arena_t a;
	sm_arena_init(&a);
	sm_fetch_resp_t mem;
	fetch_resp_fill(&a, ver, 0, &mem);
	/* partition 1 carries rec_big, partition 0 rec_small */
	sm_fetch_resp_t filed = mem;
	filed.responses = arr(&a, 2, sizeof(*filed.responses));
	memcpy(filed.responses, mem.responses, 2 * sizeof(*filed.responses));
	filed.responses[0].partitions = arr(&a, 3, sizeof(sm_fetch_resp_partition_t));
	memcpy(filed.responses[0].partitions, mem.responses[0].partitions,
	       3 * sizeof(sm_fetch_resp_partition_t));
	sm_records_t *r0 = &filed.responses[0].partitions[0].records;
	sm_records_t *r1 = &filed.responses[0].partitions[1].records;
	*r0 = (sm_records_t){ NULL, sizeof(rec_small), f,
			      (off_t)(sizeof(junk) + sizeof(rec_big)) };
	*r1 = (sm_records_t){ NULL, sizeof(rec_big), f, (off_t)sizeof(junk) };

	sm_wbuf_t wm, wf;
	sm_wbuf_init(&wm, 0);
	sm_wbuf_init(&wf, 0);
	sm_fetch_resp_write(&wm, ver, &mem);
	sm_fetch_resp_write(&wf, ver, &filed);
	CU_ASSERT_EQUAL(wf.nfrags, 2);
	CU_ASSERT_EQUAL(wf.len + sizeof(rec_big) + sizeof(rec_small), wm.len);
	CU_ASSERT_EQUAL(sm_wbuf_size(&wf), wm.len);
	size_t flen = 0;
	uint8_t *flat = sm_wbuf_flatten(&wf, &flen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(flat);
	CU_ASSERT_EQUAL_FATAL(flen, wm.len);
	CU_ASSERT(memcmp(flat, wm.p, flen) == 0);

	/* The flattened bytes read back as the memory-backed response. */
	sm_fetch_resp_t got;
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, flat, flen);
	CU_ASSERT_EQUAL_FATAL(sm_fetch_resp_read(&rb, ver, &a, &got), 0);
	fetch_resp_check(ver, &mem, &got);

	free(flat);
	sm_wbuf_free(&wm);
	sm_wbuf_free(&wf);
	sm_arena_destroy(&a);
	sm_fileref_release(f); /* the writer's references are gone already */
}

static void test_fetch_file_backed(void)
{
	for (int16_t v = 0; v <= 12; v++)
		fetch_file_backed(v);
}

/* ---- exact encodings ---- */

static void test_fetch_v12_default_tags(void)
{
	/* A v12 response partition whose tagged fields are all default writes
	 * an empty tag section; the exact body is fixed by the schema. */
	sm_fetch_resp_partition_t p;
	sm_fetch_resp_partition_init(&p);
	p.partition_index = 1;
	p.high_watermark = 2;
	p.aborted_transactions_cnt = -1;
	sm_fetch_resp_response_t t = { "t", &p, 1 };
	sm_fetch_resp_t r = { 0, 0, 0, &t, 1 };
	static const uint8_t exp[] = {
		0, 0, 0, 0,             /* throttle_time_ms */
		0, 0,                   /* error_code */
		0, 0, 0, 0,             /* session_id */
		2, 2, 't', 2,           /* 1 topic "t", 1 partition */
		0, 0, 0, 1, 0, 0,       /* partition_index, error_code */
		0, 0, 0, 0, 0, 0, 0, 2, /* high_watermark */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* lso -1 */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* log start -1 */
		0,                      /* aborted_transactions: null */
		0xff, 0xff, 0xff, 0xff, /* preferred_read_replica -1 */
		0,                      /* records: null */
		0, 0, 0,                /* partition, topic, body tag sections */
	};
	sm_wbuf_t w;
	sm_wbuf_init(&w, 0);
	sm_fetch_resp_write(&w, 12, &r);
	CU_ASSERT_EQUAL_FATAL(w.len, sizeof(exp));
	CU_ASSERT(memcmp(w.p, exp, sizeof(exp)) == 0);

	/* CurrentLeader alone: one tag, number 1, 9 bytes. */
	p.current_leader.leader_id = 5;
	sm_wbuf_reset(&w);
	sm_fetch_resp_write(&w, 12, &r);
	CU_ASSERT_EQUAL_FATAL(w.len, sizeof(exp) + 11);
	static const uint8_t tag[] = { 1, 1, 9, 0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0 };
	CU_ASSERT(memcmp(w.p + sizeof(exp) - 3, tag, sizeof(tag)) == 0);
	sm_wbuf_free(&w);
}

static void test_produce_v3_exact(void)
{
	sm_produce_req_partition_data_t p = { 4, { rec_small, 3, NULL, 0 } };
	sm_produce_req_topic_data_t t = { "ab", &p, 1 };
	sm_produce_req_t r = { NULL, 1, 1000, &t, 1 };
	static const uint8_t exp[] = {
		0xff, 0xff, 0, 1, 0, 0, 0x03, 0xe8, /* null txn id, acks 1, timeout */
		0, 0, 0, 1, 0, 2, 'a', 'b', 0, 0, 0, 1, /* 1 topic "ab", 1 partition */
		0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0, /* index 4, 3 record bytes */
	};
	sm_wbuf_t w;
	sm_wbuf_init(&w, 0);
	sm_produce_req_write(&w, 3, &r);
	CU_ASSERT_EQUAL_FATAL(w.len, sizeof(exp));
	CU_ASSERT(memcmp(w.p, exp, sizeof(exp)) == 0);
	/* Records are not copied on read: they point into the request. */
	sm_arena_t a;
	sm_arena_init(&a);
	sm_produce_req_t got;
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, w.p, w.len);
	CU_ASSERT_EQUAL_FATAL(sm_produce_req_read(&rb, 3, &a, &got), 0);
	CU_ASSERT_PTR_EQUAL(got.topic_data[0].partition_data[0].records.ptr, w.p + sizeof(exp) - 3);
	sm_arena_destroy(&a);
	sm_wbuf_free(&w);
}

static void test_fetch_v11_lo_exact(void)
{
	sm_fetch_req_partition_t fp = { 1, 2, 3, -1, 4, 5 };
	sm_fetch_req_topic_t ft = { "t", &fp, 1 };
	int32_t gone = 7;
	sm_fetch_req_forgotten_topics_data_t fg = { "g", &gone, 1 };
	sm_fetch_req_t fr = { NULL, -1, 100, 1, 9, 1, 11, 12, &ft, 1, &fg, 1, "r" };
	static const uint8_t fexp[] = {
		0xff, 0xff, 0xff, 0xff, 0, 0, 0, 100, 0, 0, 0, 1, 0, 0, 0, 9, /* ..max_bytes */
		1, 0, 0, 0, 11, 0, 0, 0, 12,                  /* isolation, session */
		0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1,            /* 1 topic, 1 partition */
		0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, /* partition, epoch, offset */
		0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 5,           /* log start, max bytes */
		0, 0, 0, 1, 0, 1, 'g', 0, 0, 0, 1, 0, 0, 0, 7, /* forgotten */
		0, 1, 'r',                                    /* rack_id */
	};
	sm_wbuf_t w;
	sm_wbuf_init(&w, 0);
	sm_fetch_req_write(&w, 11, &fr);
	CU_ASSERT_EQUAL_FATAL(w.len, sizeof(fexp));
	CU_ASSERT(memcmp(w.p, fexp, sizeof(fexp)) == 0);

	/* ListOffsets v6 request: flexible, compact lengths, tag sections. */
	sm_list_offsets_req_partition_t lp = { 3, 4, -2, 1 };
	sm_list_offsets_req_topic_t lt = { "ab", &lp, 1 };
	sm_list_offsets_req_t lr = { -1, 1, &lt, 1 };
	static const uint8_t lexp[] = {
		0xff, 0xff, 0xff, 0xff, 1, 2, 3, 'a', 'b', 2,
		0, 0, 0, 3, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
		0, 0, 0,
	};
	sm_wbuf_reset(&w);
	sm_list_offsets_req_write(&w, 6, &lr);
	CU_ASSERT_EQUAL_FATAL(w.len, sizeof(lexp));
	CU_ASSERT(memcmp(w.p, lexp, sizeof(lexp)) == 0);

	/* ListOffsets v0 response: old-style offsets array. */
	int64_t offs[] = { 8 };
	sm_list_offsets_resp_partition_t rp = { 0, 0, offs, 1, -1, -1, -1 };
	sm_list_offsets_resp_topic_t rt = { "x", &rp, 1 };
	sm_list_offsets_resp_t rr = { 0, &rt, 1 };
	static const uint8_t rexp[] = {
		0, 0, 0, 1, 0, 1, 'x', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 8,
	};
	sm_wbuf_reset(&w);
	sm_list_offsets_resp_write(&w, 0, &rr);
	CU_ASSERT_EQUAL_FATAL(w.len, sizeof(rexp));
	CU_ASSERT(memcmp(w.p, rexp, sizeof(rexp)) == 0);
	sm_wbuf_free(&w);
}

/* ---- tagged fields ---- */

static sm_fetch_req_t one_topic_req(void)
{
	static sm_fetch_req_partition_t p = { 0, -1, 5, -1, -1, 1024 };
	static sm_fetch_req_topic_t t = { "t", &p, 1 };
	return (sm_fetch_req_t){ .replica_id = -1, .max_bytes = 1000, .session_epoch = -1,
				 .topics = &t, .topics_cnt = 1, .rack_id = "" };
}

static int parse_fetch_req_with_tags(const uint8_t *tags, size_t tlen, sm_arena_t *a,
				     sm_fetch_req_t *out)
{
	sm_fetch_req_t r = one_topic_req();
	sm_wbuf_t w;
	sm_wbuf_init(&w, 0);
	sm_fetch_req_write(&w, 12, &r);
	w.len--; /* drop the empty top-level tag section */
	sm_wbuf_append(&w, tags, tlen);
	uint8_t *copy = sm_malloc(w.len);
	memcpy(copy, w.p, w.len);
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, copy, w.len);
	int rc = sm_fetch_req_read(&rb, 12, a, out);
	if (rc == 0 && sm_rbuf_remaining(&rb) != 0)
		rc = -2;
	free(copy);
	sm_wbuf_free(&w);
	return rc;
}

static void test_fetch_tags(void)
{
	sm_arena_t a;
	sm_arena_init(&a);
	sm_fetch_req_t got;
	/* Known tag 0 (ClusterId "abc") followed by an unknown tag 9. */
	static const uint8_t t1[] = { 2, 0, 4, 4, 'a', 'b', 'c', 9, 3, 1, 2, 3 };
	CU_ASSERT_EQUAL(parse_fetch_req_with_tags(t1, sizeof(t1), &a, &got), 0);
	str_eq("abc", got.cluster_id);
	/* Only unknown tags: skipped, cluster id stays null. */
	static const uint8_t t2[] = { 1, 30, 2, 0xaa, 0xbb };
	CU_ASSERT_EQUAL(parse_fetch_req_with_tags(t2, sizeof(t2), &a, &got), 0);
	CU_ASSERT_PTR_NULL(got.cluster_id);
	CU_ASSERT_EQUAL(got.topics_cnt, 1);
	/* A value longer than its declared size must not run into what follows. */
	static const uint8_t t3[] = { 2, 0, 2, 4, 'a', 9, 1, 'c' };
	CU_ASSERT_EQUAL(parse_fetch_req_with_tags(t3, sizeof(t3), &a, &got), -1);
	/* A size past the end of the body. */
	static const uint8_t t4[] = { 1, 9, 0x7f, 1, 2 };
	CU_ASSERT_EQUAL(parse_fetch_req_with_tags(t4, sizeof(t4), &a, &got), -1);
	/* A tag count with nothing behind it. */
	static const uint8_t t5[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
	CU_ASSERT_EQUAL(parse_fetch_req_with_tags(t5, sizeof(t5), &a, &got), -1);

	/* The writer emits ClusterId as tag 0 only when it is set. */
	sm_fetch_req_t r = one_topic_req();
	r.cluster_id = "abc";
	sm_wbuf_t w;
	sm_wbuf_init(&w, 0);
	sm_fetch_req_write(&w, 12, &r);
	static const uint8_t tail[] = { 1, 0, 4, 4, 'a', 'b', 'c' };
	CU_ASSERT_FATAL(w.len > sizeof(tail));
	CU_ASSERT(memcmp(w.p + w.len - sizeof(tail), tail, sizeof(tail)) == 0);
	sm_wbuf_free(&w);
	sm_arena_destroy(&a);
}

/* ---- hostile input ---- */

static int read_raw(int api, int resp, int16_t ver, const uint8_t *p, size_t len)
{
	const codec_t *c = &codecs[api * 2 + resp];
	sm_arena_t a;
	sm_arena_init(&a);
	uint8_t *copy = sm_malloc(len ? len : 1);
	if (len)
		memcpy(copy, p, len);
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, copy, len);
	void *out = sm_arena_alloc(&a, c->size);
	int rc = c->read(&rb, ver, &a, out);
	free(copy);
	sm_arena_destroy(&a);
	return rc;
}

static void test_hostile(void)
{
	/* Produce v3: null txn id, acks, timeout, then 2^31-1 topics. */
	static const uint8_t huge_topics[] = { 0xff, 0xff, 0, 1, 0, 0, 0, 1,
					       0x7f, 0xff, 0xff, 0xff, 0, 1, 'a' };
	CU_ASSERT_EQUAL(read_raw(0, 0, 3, huge_topics, sizeof(huge_topics)), -1);
	/* Produce v9 (compact): a five-byte uvarint count near 2^32. */
	static const uint8_t huge_compact[] = { 0, 0, 1, 0, 0, 0, 1,
						0xfe, 0xff, 0xff, 0xff, 0x0f, 0 };
	CU_ASSERT_EQUAL(read_raw(0, 0, 9, huge_compact, sizeof(huge_compact)), -1);
	/* Produce v0: a null (non-nullable) topic name. */
	static const uint8_t null_name[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0xff,
					     0, 0, 0, 0 };
	CU_ASSERT_EQUAL(read_raw(0, 0, 0, null_name, sizeof(null_name)), -1);
	/* Produce v0: a null topic array. */
	static const uint8_t null_arr[] = { 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff };
	CU_ASSERT_EQUAL(read_raw(0, 0, 0, null_arr, sizeof(null_arr)), -1);
	/* Produce v0: records length -2 and records longer than the body. */
	static const uint8_t bad_rec[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 'a',
					   0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xfe };
	CU_ASSERT_EQUAL(read_raw(0, 0, 0, bad_rec, sizeof(bad_rec)), -1);
	static const uint8_t long_rec[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 'a',
					    0, 0, 0, 1, 0, 0, 0, 0, 0x10, 0, 0, 0, 1, 2 };
	CU_ASSERT_EQUAL(read_raw(0, 0, 0, long_rec, sizeof(long_rec)), -1);
	/* Produce v0: negative string length other than -1. */
	static const uint8_t neg_str[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x80, 0 };
	CU_ASSERT_EQUAL(read_raw(0, 0, 0, neg_str, sizeof(neg_str)), -1);
	/* Fetch v4 response: 2^31-1 aborted transactions. */
	static const uint8_t huge_aborted[] = {
		0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, /* topic, 1 partition */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,      /* index, err, hw */
		0, 0, 0, 0, 0, 0, 0, 0,                        /* lso */
		0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	CU_ASSERT_EQUAL(read_raw(1, 1, 4, huge_aborted, sizeof(huge_aborted)), -1);
	/* Fetch v7 request: 2^31-1 forgotten partitions. */
	static const uint8_t huge_forgot[] = {
		0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* ..isolation */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* session, 0 topics */
		0, 0, 0, 1, 0, 1, 'g', 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0,
	};
	CU_ASSERT_EQUAL(read_raw(1, 0, 7, huge_forgot, sizeof(huge_forgot)), -1);
	/* ListOffsets v0 response: 2^31-1 old-style offsets. */
	static const uint8_t huge_old[] = { 0, 0, 0, 1, 0, 1, 'x', 0, 0, 0, 1, 0, 0, 0, 0,
					    0, 0, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0 };
	CU_ASSERT_EQUAL(read_raw(2, 1, 0, huge_old, sizeof(huge_old)), -1);
	/* Empty bodies. */
	for (int api = 0; api < 3; api++)
		for (int resp = 0; resp < 2; resp++)
			CU_ASSERT_EQUAL(read_raw(api, resp, 0, NULL, 0), -1);
}

/* Random byte flips of valid bodies must never crash or leak. */
static void test_fuzz_flips(void)
{
	srand(12345);
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
		const codec_t *c = &codecs[i];
		for (int16_t v = c->min_ver; v <= c->max_ver; v++) {
			sm_arena_t a;
			sm_arena_init(&a);
			void *in = sm_arena_alloc(&a, c->size);
			c->fill(&a, v, 0, in);
			sm_wbuf_t w;
			sm_wbuf_init(&w, 0);
			c->write(&w, v, in);
			for (int n = 0; n < 200; n++) {
				uint8_t *copy = sm_malloc(w.len);
				memcpy(copy, w.p, w.len);
				for (int k = 0; k < 3; k++)
					copy[(size_t)rand() % w.len] = (uint8_t)rand();
				sm_arena_t ta;
				sm_arena_init(&ta);
				sm_rbuf_t rb;
				sm_rbuf_init(&rb, copy, w.len);
				void *out = sm_arena_alloc(&ta, c->size);
				int rc = c->read(&rb, v, &ta, out);
				CU_ASSERT(rc == 0 || rc == -1);
				sm_arena_destroy(&ta);
				free(copy);
			}
			sm_wbuf_free(&w);
			sm_arena_destroy(&a);
		}
	}
}

int main(void)
{
	for (size_t i = 0; i < sizeof(rec_big); i++)
		rec_big[i] = (uint8_t)(i * 31 + 7);
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("msg_data", NULL, NULL);
	CU_add_test(s, "Produce request v0-9 round trip", test_produce_req);
	CU_add_test(s, "Produce response v0-9 round trip", test_produce_resp);
	CU_add_test(s, "Fetch request v0-12 round trip", test_fetch_req);
	CU_add_test(s, "Fetch response v0-12 round trip", test_fetch_resp);
	CU_add_test(s, "ListOffsets request v0-6 round trip", test_lo_req);
	CU_add_test(s, "ListOffsets response v0-6 round trip", test_lo_resp);
	CU_add_test(s, "Fetch file-backed records", test_fetch_file_backed);
	CU_add_test(s, "Fetch v12 exact bytes and tags", test_fetch_v12_default_tags);
	CU_add_test(s, "Produce v3 exact bytes", test_produce_v3_exact);
	CU_add_test(s, "Fetch v11, ListOffsets v6/v0 exact bytes", test_fetch_v11_lo_exact);
	CU_add_test(s, "Fetch tagged fields", test_fetch_tags);
	CU_add_test(s, "hostile input", test_hostile);
	CU_add_test(s, "random byte flips", test_fuzz_flips);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
