/* test_record_batch.c - v2 batches (build, validate, stamp, recompress,
 * iterate, corruption) and legacy message sets (up- and down-conversion). */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "message_set.h"
#include "record_batch.h"

#define TEST_N 20
#define TEST_NOW 1600000000000LL

static char test_keys[TEST_N][16], test_vals[TEST_N][64];
static sm_record_header_t test_hdr = { (const uint8_t *)"h", 1,
				       (const uint8_t *)"hv", 2 };

static void test_records(sm_record_t *r, int n, int64_t ts)
{
	for (int i = 0; i < n; i++) {
		snprintf(test_keys[i], sizeof(test_keys[i]), "key-%d", i);
		snprintf(test_vals[i], sizeof(test_vals[i]), "value %d value %d", i, i);
		memset(&r[i], 0, sizeof(r[i]));
		r[i].timestamp = ts + (i % 5) * 10;
		r[i].key = (const uint8_t *)test_keys[i];
		r[i].key_len = (int32_t)strlen(test_keys[i]);
		r[i].value = i == 3 ? NULL : (const uint8_t *)test_vals[i];
		r[i].value_len = i == 3 ? -1 : (int32_t)strlen(test_vals[i]);
		r[i].headers = i % 2 ? &test_hdr : NULL;
		r[i].header_count = i % 2;
	}
}

static sm_batch_validate_opts_t test_opts(void)
{
	sm_batch_validate_opts_t o;
	memset(&o, 0, sizeof(o));
	o.now = TEST_NOW;
	o.max_timestamp_diff_ms = INT64_MAX;
	o.max_message_bytes = 1000012;
	o.allow_zstd = 1;
	return o;
}

/* Checks the batch's records against test_records(). */
static void test_check_records(const uint8_t *p, size_t len, int64_t base,
			       int64_t lat_ts)
{
	sm_batch_iter_t it;
	sm_record_t rec, want[TEST_N];
	test_records(want, TEST_N, TEST_NOW);
	CU_ASSERT_EQUAL_FATAL(sm_batch_iter_init(&it, p, len, 0), SM_ERR_NONE);
	int i = 0, rc;
	while ((rc = sm_batch_iter_next(&it, &rec)) > 0) {
		CU_ASSERT_EQUAL(rec.offset, base + i);
		CU_ASSERT_EQUAL(rec.timestamp, lat_ts >= 0 ? lat_ts : want[i].timestamp);
		CU_ASSERT_EQUAL(rec.key_len, want[i].key_len);
		CU_ASSERT(rec.key && memcmp(rec.key, want[i].key, (size_t)rec.key_len) == 0);
		CU_ASSERT_EQUAL(rec.value_len, want[i].value_len);
		CU_ASSERT(rec.value_len < 0 ||
			  memcmp(rec.value, want[i].value, (size_t)rec.value_len) == 0);
		CU_ASSERT_EQUAL(rec.header_count, want[i].header_count);
		if (rec.header_count == 1)
			CU_ASSERT(rec.headers[0].key_len == 1 && rec.headers[0].value_len == 2 &&
				  memcmp(rec.headers[0].value, "hv", 2) == 0);
		i++;
	}
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(i, TEST_N);
	sm_batch_iter_destroy(&it);
}

static void test_build_validate_stamp(void)
{
	sm_record_t recs[TEST_N];
	test_records(recs, TEST_N, TEST_NOW);
	for (int codec = SM_CODEC_NONE; codec <= SM_CODEC_ZSTD; codec++) {
		sm_wbuf_t w;
		sm_wbuf_init(&w, 0);
		sm_batch_build(&w, codec, 0, TEST_NOW, recs, TEST_N);
		sm_batch_validate_opts_t o = test_opts();
		sm_batch_info_t info;
		CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, &info), SM_ERR_NONE);
		CU_ASSERT_EQUAL(info.count, TEST_N);
		CU_ASSERT_EQUAL(info.codec, codec);
		CU_ASSERT_EQUAL(info.max_timestamp, TEST_NOW + 40);
		CU_ASSERT_EQUAL(info.offset_delta_of_max_timestamp, 4);
		CU_ASSERT_EQUAL(info.producer_id, -1);
		CU_ASSERT_EQUAL(info.size, w.len);
		sm_batch_stamp(w.p, w.len, 1000, 7, 0, 0);
		CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_NONE);
		CU_ASSERT_EQUAL(sm_batch_verify(w.p, w.len), SM_ERR_NONE);
		sm_batch_hdr_t h;
		CU_ASSERT_EQUAL(sm_batch_hdr_parse(w.p, w.len, &h), 0);
		CU_ASSERT_EQUAL(h.base_offset, 1000);
		CU_ASSERT_EQUAL(h.partition_leader_epoch, 7);
		CU_ASSERT_EQUAL(sm_batch_last_offset(&h), 1000 + TEST_N - 1);
		test_check_records(w.p, w.len, 1000, -1);
		/* LogAppendTime: new maxTimestamp, bit 3, CRC that validates. */
		sm_batch_stamp(w.p, w.len, 2000, 8, 1, TEST_NOW + 5);
		sm_batch_hdr_parse(w.p, w.len, &h);
		CU_ASSERT(sm_batch_is_log_append_time(&h));
		CU_ASSERT_EQUAL(h.max_timestamp, TEST_NOW + 5);
		CU_ASSERT_EQUAL(sm_batch_verify(w.p, w.len), SM_ERR_NONE);
		CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, &info), SM_ERR_NONE);
		CU_ASSERT(info.log_append_time);
		test_check_records(w.p, w.len, 2000, TEST_NOW + 5);
		sm_wbuf_free(&w);
	}
}

static void test_crc_corruption(void)
{
	sm_record_t recs[TEST_N];
	test_records(recs, TEST_N, TEST_NOW);
	for (int codec = SM_CODEC_NONE; codec <= SM_CODEC_GZIP; codec++) {
		sm_wbuf_t w;
		sm_wbuf_init(&w, 0);
		sm_batch_build(&w, codec, 0, TEST_NOW, recs, TEST_N);
		sm_batch_validate_opts_t o = test_opts();
		for (size_t i = SM_BATCH_CRC_OFFSET; i < w.len; i++) {
			w.p[i] ^= 0x10;
			CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL),
					SM_ERR_CORRUPT_MESSAGE);
			CU_ASSERT_EQUAL(sm_batch_verify(w.p, w.len), SM_ERR_CORRUPT_MESSAGE);
			w.p[i] ^= 0x10;
		}
		/* The leader epoch is outside the CRC. */
		w.p[13] ^= 0x10;
		CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_NONE);
		sm_wbuf_free(&w);
	}
}

static void test_fix_crc(sm_wbuf_t *w)
{
	sm_put_be32(w->p + SM_BATCH_CRC_OFFSET,
		    sm_crc32c(0, w->p + SM_BATCH_ATTR_OFFSET, w->len - SM_BATCH_ATTR_OFFSET));
}

static void test_bad_framing(void)
{
	sm_record_t recs[TEST_N];
	test_records(recs, TEST_N, TEST_NOW);
	sm_batch_validate_opts_t o = test_opts();
	sm_wbuf_t w, two;
	sm_wbuf_init(&w, 0);
	sm_wbuf_init(&two, 0);
	sm_batch_build(&w, SM_CODEC_NONE, 0, TEST_NOW, recs, TEST_N);
	CU_ASSERT_EQUAL(sm_batch_validate(w.p, 0, &o, NULL), SM_ERR_INVALID_RECORD);
	CU_ASSERT_EQUAL(sm_batch_validate(w.p, 11, &o, NULL), SM_ERR_INVALID_RECORD);
	CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len - 1, &o, NULL), SM_ERR_INVALID_RECORD);
	/* Two batches, or one plus trailing bytes. */
	sm_wbuf_append(&two, w.p, w.len);
	sm_wbuf_append(&two, w.p, w.len);
	CU_ASSERT_EQUAL(sm_batch_validate(two.p, two.len, &o, NULL), SM_ERR_INVALID_RECORD);
	CU_ASSERT_EQUAL(sm_batch_validate(two.p, w.len + 5, &o, NULL), SM_ERR_INVALID_RECORD);
	/* Too large for max.message.bytes. */
	o.max_message_bytes = (int32_t)w.len - 1;
	CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_MESSAGE_TOO_LARGE);
	o = test_opts();
	/* Magic 1 where a v2 batch is required. */
	w.p[16] = 1;
	CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_INVALID_RECORD);
	w.p[16] = 2;
	/* batchLength too small for the v2 header. */
	uint8_t small[32];
	memset(small, 0, sizeof(small));
	sm_put_be32(small + 8, 20);
	small[16] = 2;
	CU_ASSERT_EQUAL(sm_batch_validate(small, sizeof(small), &o, NULL),
			SM_ERR_CORRUPT_MESSAGE);
	sm_put_be32(small + 8, 3);
	CU_ASSERT_EQUAL(sm_batch_validate(small, 15, &o, NULL), SM_ERR_CORRUPT_MESSAGE);
	/* Record count disagreeing with lastOffsetDelta / the records. */
	sm_put_be32(w.p + 57, TEST_N + 1);
	test_fix_crc(&w);
	CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_INVALID_RECORD);
	sm_put_be32(w.p + 23, TEST_N);
	test_fix_crc(&w);
	CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_INVALID_RECORD);
	sm_put_be32(w.p + 57, TEST_N - 1);
	sm_put_be32(w.p + 23, TEST_N - 2);
	test_fix_crc(&w);
	CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_INVALID_RECORD);
	sm_put_be32(w.p + 57, 0);
	sm_put_be32(w.p + 23, -1);
	test_fix_crc(&w);
	CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_INVALID_RECORD);
	/* Unknown codec bits (covered by a good CRC). */
	sm_put_be32(w.p + 57, TEST_N);
	sm_put_be32(w.p + 23, TEST_N - 1);
	w.p[22] |= 0x07;
	test_fix_crc(&w);
	CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL),
			SM_ERR_UNSUPPORTED_COMPRESSION_TYPE);
	sm_wbuf_free(&w);
	sm_wbuf_free(&two);
}

static void test_bad_records(void)
{
	sm_batch_validate_opts_t o = test_opts();
	sm_batch_build_opts_t bo;
	sm_batch_build_opts_init(&bo);
	bo.base_timestamp = TEST_NOW;
	sm_wbuf_t recs, w;
	sm_wbuf_init(&recs, 0);
	sm_wbuf_init(&w, 0);
	/* Offset deltas 0, 2: not 0..n-1. */
	sm_batch_record_write(&recs, 0, 0, (const uint8_t *)"k", 1, NULL, -1, NULL, 0);
	sm_batch_record_write(&recs, 2, 0, (const uint8_t *)"k", 1, NULL, -1, NULL, 0);
	sm_batch_write(&w, &bo, recs.p, recs.len, 2, 1, TEST_NOW);
	CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_INVALID_RECORD);
	/* A record whose length prefix claims one byte more than its fields. */
	sm_wbuf_reset(&recs);
	sm_wbuf_reset(&w);
	sm_batch_record_write(&recs, 0, 0, (const uint8_t *)"k", 1, NULL, -1, NULL, 0);
	recs.p[0] += 2; /* zig-zag: +1 */
	sm_wbuf_i8(&recs, 0);
	sm_batch_write(&w, &bo, recs.p, recs.len, 1, 0, TEST_NOW);
	CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_INVALID_RECORD);
	/* Bytes left over after the last record. */
	sm_wbuf_reset(&recs);
	sm_wbuf_reset(&w);
	sm_batch_record_write(&recs, 0, 0, (const uint8_t *)"k", 1, NULL, -1, NULL, 0);
	sm_wbuf_i8(&recs, 0);
	sm_batch_write(&w, &bo, recs.p, recs.len, 1, 0, TEST_NOW);
	CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_INVALID_RECORD);
	/* Null key on a compacted topic; timestamp too far from now. */
	sm_wbuf_reset(&recs);
	sm_wbuf_reset(&w);
	sm_batch_record_write(&recs, 0, -100000, NULL, -1, (const uint8_t *)"v", 1, NULL, 0);
	sm_batch_write(&w, &bo, recs.p, recs.len, 1, 0, TEST_NOW);
	CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_NONE);
	o.compacted = 1;
	CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_INVALID_RECORD);
	o.compacted = 0;
	o.max_timestamp_diff_ms = 99999;
	CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_INVALID_TIMESTAMP);
	o.log_append_time = 1;
	CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_NONE);
	o = test_opts();
	/* zstd needs Produce v7; control batches come only from coordinators. */
	sm_record_t r[TEST_N];
	test_records(r, TEST_N, TEST_NOW);
	sm_wbuf_reset(&w);
	sm_batch_build(&w, SM_CODEC_ZSTD, 0, TEST_NOW, r, TEST_N);
	o.allow_zstd = 0;
	CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL),
			SM_ERR_UNSUPPORTED_COMPRESSION_TYPE);
	o = test_opts();
	sm_wbuf_reset(&w);
	sm_batch_build_control(&w, 0, TEST_NOW, 4000, 3, 12, 1);
	CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_INVALID_RECORD);
	o.allow_control = 1;
	sm_batch_info_t info;
	CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, &info), SM_ERR_NONE);
	CU_ASSERT(info.is_control && info.is_transactional);
	CU_ASSERT_EQUAL(info.producer_id, 4000);
	CU_ASSERT_EQUAL(info.producer_epoch, 3);
	/* A producer id needs a base sequence. */
	o = test_opts();
	sm_wbuf_reset(&w);
	bo.producer_id = 5;
	bo.producer_epoch = 0;
	sm_batch_build_ex(&w, &bo, r, 2);
	CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_INVALID_RECORD);
	sm_wbuf_reset(&w);
	bo.base_sequence = 0;
	sm_batch_build_ex(&w, &bo, r, 2);
	CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, &info), SM_ERR_NONE);
	CU_ASSERT_EQUAL(info.base_sequence, 0);
	sm_wbuf_free(&recs);
	sm_wbuf_free(&w);
}

static void test_recompress(void)
{
	sm_record_t recs[TEST_N];
	test_records(recs, TEST_N, TEST_NOW);
	sm_batch_validate_opts_t o = test_opts();
	for (int from = SM_CODEC_NONE; from <= SM_CODEC_ZSTD; from++)
	for (int to = SM_CODEC_NONE; to <= SM_CODEC_ZSTD; to++) {
		sm_wbuf_t w, out;
		sm_wbuf_init(&w, 0);
		sm_wbuf_init(&out, 0);
		sm_batch_build(&w, from, 0, TEST_NOW, recs, TEST_N);
		sm_batch_stamp(w.p, w.len, 500, 2, 1, TEST_NOW + 9);
		CU_ASSERT_EQUAL(sm_batch_recompress(w.p, w.len, to, 0, &out), SM_ERR_NONE);
		sm_batch_info_t info;
		CU_ASSERT_EQUAL(sm_batch_validate(out.p, out.len, &o, &info), SM_ERR_NONE);
		CU_ASSERT_EQUAL(info.codec, to);
		CU_ASSERT(info.log_append_time);
		test_check_records(out.p, out.len, 500, TEST_NOW + 9);
		sm_wbuf_free(&w);
		sm_wbuf_free(&out);
	}
}

/* ---- legacy ---- */

/* A message set of TEST_N messages: plain, or in wrappers of 7. */
static void test_legacy_set(sm_wbuf_t *w, int magic, sm_codec_t codec)
{
	sm_record_t r[TEST_N];
	test_records(r, TEST_N, TEST_NOW);
	sm_wbuf_t inner;
	sm_wbuf_init(&inner, 0);
	int first = 0;
	for (int i = 0; i < TEST_N; i++) {
		int64_t off = codec && magic == 1 ? i - first : 100 + i;
		sm_msgset_append(codec ? &inner : w, off, magic, 0, r[i].timestamp,
				 r[i].key, r[i].key_len, r[i].value, r[i].value_len);
		if (codec && (i % 7 == 6 || i == TEST_N - 1)) {
			CU_ASSERT_EQUAL(sm_msgset_append_wrapper(w, 100 + i, magic, codec,
								 r[i].timestamp, 0, inner.p,
								 inner.len), SM_ERR_NONE);
			sm_wbuf_reset(&inner);
			first = i + 1;
		}
	}
	sm_wbuf_free(&inner);
}

static void test_upconvert(void)
{
	sm_batch_validate_opts_t o = test_opts();
	for (int magic = 0; magic <= 1; magic++)
	for (int codec = SM_CODEC_NONE; codec <= SM_CODEC_LZ4; codec++) {
		sm_wbuf_t set, out;
		sm_wbuf_init(&set, 0);
		sm_wbuf_init(&out, 0);
		test_legacy_set(&set, magic, codec);
		/* The iterator sees absolute offsets either way. */
		sm_msgset_iter_t it;
		sm_legacy_msg_t m;
		sm_msgset_iter_init(&it, set.p, set.len, 0);
		int n = 0;
		while (sm_msgset_iter_next(&it, &m) > 0) {
			CU_ASSERT_EQUAL(m.offset, 100 + n);
			CU_ASSERT_EQUAL(m.wrapper_codec, codec);
			n++;
		}
		CU_ASSERT_EQUAL(it.err, SM_ERR_NONE);
		CU_ASSERT_EQUAL(n, TEST_N);
		sm_msgset_iter_destroy(&it);

		sm_batch_info_t info;
		CU_ASSERT_EQUAL(sm_msgset_to_batch(set.p, set.len, TEST_NOW, &out, &info),
				SM_ERR_NONE);
		CU_ASSERT_EQUAL(info.count, TEST_N);
		CU_ASSERT_EQUAL(info.codec, codec);
		CU_ASSERT_EQUAL(info.size, out.len);
		CU_ASSERT_EQUAL(info.max_timestamp, magic ? TEST_NOW + 40 : -1);
		CU_ASSERT_EQUAL(sm_batch_validate(out.p, out.len, &o, NULL), SM_ERR_NONE);
		sm_batch_iter_t bi;
		sm_record_t rec, want[TEST_N];
		test_records(want, TEST_N, TEST_NOW);
		CU_ASSERT_EQUAL(sm_batch_iter_init(&bi, out.p, out.len, 0), SM_ERR_NONE);
		CU_ASSERT_EQUAL(sm_batch_codec(&bi.hdr), codec);
		n = 0;
		while (sm_batch_iter_next(&bi, &rec) > 0) {
			CU_ASSERT_EQUAL(rec.offset, n);
			CU_ASSERT_EQUAL(rec.timestamp, magic ? want[n].timestamp : -1);
			CU_ASSERT(rec.key_len == want[n].key_len &&
				  memcmp(rec.key, want[n].key, (size_t)rec.key_len) == 0);
			CU_ASSERT_EQUAL(rec.value_len, want[n].value_len);
			n++;
		}
		CU_ASSERT_EQUAL(n, TEST_N);
		sm_batch_iter_destroy(&bi);
		/* Any damaged message is caught by its CRC-32. */
		set.p[set.len - 3] ^= 1;
		out.len = 0;
		CU_ASSERT_EQUAL(sm_msgset_to_batch(set.p, set.len, TEST_NOW, &out, NULL),
				SM_ERR_CORRUPT_MESSAGE);
		sm_wbuf_free(&set);
		sm_wbuf_free(&out);
	}
}

static void test_legacy_bad(void)
{
	sm_wbuf_t set, out;
	sm_wbuf_init(&set, 0);
	sm_wbuf_init(&out, 0);
	/* Mixed magic. */
	sm_msgset_append(&set, 0, 0, 0, -1, NULL, -1, (const uint8_t *)"a", 1);
	sm_msgset_append(&set, 1, 1, 0, TEST_NOW, NULL, -1, (const uint8_t *)"b", 1);
	CU_ASSERT_EQUAL(sm_msgset_to_batch(set.p, set.len, TEST_NOW, &out, NULL),
			SM_ERR_INVALID_RECORD);
	/* A zstd wrapper is not allowed below magic 2. */
	sm_wbuf_reset(&set);
	sm_wbuf_t inner, z;
	sm_wbuf_init(&inner, 0);
	sm_wbuf_init(&z, 0);
	sm_msgset_append(&inner, 0, 1, 0, TEST_NOW, NULL, -1, (const uint8_t *)"a", 1);
	sm_compress(SM_CODEC_ZSTD, inner.p, inner.len, &z, 1);
	sm_msgset_append(&set, 0, 1, SM_CODEC_ZSTD, TEST_NOW, NULL, -1, z.p, (int32_t)z.len);
	CU_ASSERT_EQUAL(sm_msgset_to_batch(set.p, set.len, TEST_NOW, &out, NULL),
			SM_ERR_UNSUPPORTED_COMPRESSION_TYPE);
	/* Undecodable wrapper value; messageSize below the minimum. */
	sm_wbuf_reset(&set);
	sm_msgset_append(&set, 0, 1, SM_CODEC_GZIP, TEST_NOW, NULL, -1,
			 (const uint8_t *)"notgzip", 7);
	CU_ASSERT_EQUAL(sm_msgset_to_batch(set.p, set.len, TEST_NOW, &out, NULL),
			SM_ERR_CORRUPT_MESSAGE);
	sm_put_be32(set.p + 8, 13);
	CU_ASSERT_EQUAL(sm_msgset_to_batch(set.p, set.len, TEST_NOW, &out, NULL),
			SM_ERR_CORRUPT_MESSAGE);
	/* Nothing complete: no batch. */
	sm_batch_info_t info;
	CU_ASSERT_EQUAL(sm_msgset_to_batch(set.p, 10, TEST_NOW, &out, &info), SM_ERR_NONE);
	CU_ASSERT_EQUAL(info.count, 0);
	CU_ASSERT_EQUAL(out.len, 0);
	sm_wbuf_free(&inner);
	sm_wbuf_free(&z);
	sm_wbuf_free(&set);
	sm_wbuf_free(&out);
}

static void test_downconvert(void)
{
	sm_record_t recs[TEST_N];
	test_records(recs, TEST_N, TEST_NOW);
	sm_wbuf_t log;
	sm_wbuf_init(&log, 0);
	/* Stored data: plain, gzip, a txn marker, snappy (LogAppendTime), lz4. */
	int64_t base = 0;
	for (int codec = SM_CODEC_NONE; codec <= SM_CODEC_LZ4; codec++) {
		size_t at = log.len;
		sm_batch_build(&log, codec, base, TEST_NOW, recs, TEST_N);
		if (codec == SM_CODEC_SNAPPY)
			sm_batch_stamp(log.p + at, log.len - at, base, 0, 1, TEST_NOW + 77);
		base += TEST_N;
		if (codec == SM_CODEC_GZIP) {
			sm_batch_build_control(&log, base, TEST_NOW, 9, 0, 1, 1);
			base++;
		}
	}
	size_t whole = log.len;
	sm_wbuf_t tail;
	sm_wbuf_init(&tail, 0);
	sm_batch_build(&tail, SM_CODEC_NONE, base, TEST_NOW, recs, TEST_N);
	sm_wbuf_append(&log, tail.p, tail.len / 2); /* truncated by max_bytes */
	for (int magic = 0; magic <= 1; magic++) {
		sm_wbuf_t out;
		sm_wbuf_init(&out, 0);
		CU_ASSERT_EQUAL(sm_batch_down_convert(log.p, log.len, magic, &out), SM_ERR_NONE);
		sm_msgset_iter_t it;
		sm_legacy_msg_t m;
		sm_msgset_iter_init(&it, out.p, out.len, 0);
		int n = 0;
		while (sm_msgset_iter_next(&it, &m) > 0) {
			int b = n / TEST_N, i = n % TEST_N;
			int64_t want_off = n + (b >= 2 ? 1 : 0); /* marker skipped */
			CU_ASSERT_EQUAL(m.offset, want_off);
			CU_ASSERT_EQUAL(m.magic, magic);
			CU_ASSERT_EQUAL(m.wrapper_codec, b);
			int64_t ts = b == SM_CODEC_SNAPPY ? TEST_NOW + 77 : recs[i].timestamp;
			CU_ASSERT_EQUAL(m.timestamp, magic ? ts : -1);
			CU_ASSERT(m.key_len == recs[i].key_len &&
				  memcmp(m.key, recs[i].key, (size_t)m.key_len) == 0);
			CU_ASSERT_EQUAL(m.value_len, recs[i].value_len);
			n++;
		}
		CU_ASSERT_EQUAL(it.err, SM_ERR_NONE);
		CU_ASSERT_EQUAL(n, 4 * TEST_N);
		sm_msgset_iter_destroy(&it);
		/* Round trip back up. */
		sm_wbuf_t up;
		sm_wbuf_init(&up, 0);
		sm_batch_info_t info;
		CU_ASSERT_EQUAL(sm_msgset_to_batch(out.p, out.len, 0, &up, &info), SM_ERR_NONE);
		CU_ASSERT_EQUAL(info.count, 4 * TEST_N);
		sm_wbuf_free(&up);
		/* A partial first batch gives an empty set. */
		out.len = 0;
		CU_ASSERT_EQUAL(sm_batch_down_convert(log.p, 40, magic, &out), SM_ERR_NONE);
		CU_ASSERT_EQUAL(out.len, 0);
		sm_wbuf_free(&out);
	}
	/* zstd cannot go below magic 2; the output is left as it was. */
	sm_wbuf_t z, out;
	sm_wbuf_init(&z, 0);
	sm_wbuf_init(&out, 0);
	sm_wbuf_append(&z, log.p, whole);
	sm_batch_build(&z, SM_CODEC_ZSTD, base, TEST_NOW, recs, TEST_N);
	sm_wbuf_append(&out, "x", 1);
	CU_ASSERT_EQUAL(sm_batch_down_convert(z.p, z.len, 1, &out),
			SM_ERR_UNSUPPORTED_COMPRESSION_TYPE);
	CU_ASSERT_EQUAL(out.len, 1);
	sm_wbuf_free(&z);
	sm_wbuf_free(&out);
	sm_wbuf_free(&tail);
	sm_wbuf_free(&log);
}

static void test_entry_size(void)
{
	uint8_t b[30];
	memset(b, 0, sizeof(b));
	CU_ASSERT_EQUAL(sm_batch_entry_size(b, 11), 0);
	sm_put_be32(b + 8, 18);
	CU_ASSERT_EQUAL(sm_batch_entry_size(b, 30), 30);
	CU_ASSERT_EQUAL(sm_batch_entry_size(b, 29), 0);
	sm_put_be32(b + 8, 13);
	CU_ASSERT_EQUAL(sm_batch_entry_size(b, 30), -1);
	sm_put_be32(b + 8, 0x80000000u);
	CU_ASSERT_EQUAL(sm_batch_entry_size(b, 30), -1);
}

/* ---- compressed batches: streaming validation ---- */

static const sm_codec_t test_codecs[] = { SM_CODEC_GZIP, SM_CODEC_SNAPPY,
					  SM_CODEC_LZ4, SM_CODEC_ZSTD };

/* A batch of count records (offset deltas 0..count-1) already encoded in
 * recs, compressed with codec. */
static void test_raw_batch(sm_wbuf_t *out, sm_codec_t codec, const uint8_t *recs,
			   size_t rlen, int32_t count, int32_t lod)
{
	sm_batch_build_opts_t o;
	sm_batch_build_opts_init(&o);
	o.codec = codec;
	o.base_timestamp = TEST_NOW;
	sm_batch_write(out, &o, recs, rlen, count, lod, TEST_NOW);
}

/* One record whose value is n zero bytes: a few KiB once compressed. */
static void test_bomb(sm_wbuf_t *out, sm_codec_t codec, size_t n)
{
	uint8_t *zero = calloc(1, n);
	sm_wbuf_t rec;
	sm_wbuf_init(&rec, n + 64);
	sm_batch_record_write(&rec, 0, 0, (const uint8_t *)"k", 1, zero,
			      (int32_t)n, NULL, 0);
	free(zero);
	test_raw_batch(out, codec, rec.p, rec.len, 1, 0);
	sm_wbuf_free(&rec);
}

static void test_compressed_bombs(void)
{
	size_t n = 48u * 1024 * 1024; /* over the iterator's record bound */
	for (size_t c = 0; c < 4; c++) {
		sm_codec_t codec = test_codecs[c];
		sm_wbuf_t w;
		sm_wbuf_init(&w, 0);
		test_bomb(&w, codec, n);
		CU_ASSERT(w.len < n / 16);
		sm_batch_validate_opts_t o = test_opts();
		o.max_message_bytes = 0; /* snappy only reaches about 21:1 */
		sm_batch_info_t info;
		/* Accepted, as Kafka accepts it (only the batch's own size is
		 * held against max.message.bytes), without holding it: the
		 * decoder held at most its bounded state. */
		CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, &info), SM_ERR_NONE);
		CU_ASSERT(info.uncompressed > n);
		CU_ASSERT(info.stream_mem <= SM_DSTREAM_MAX_MEM);
		CU_ASSERT(info.stream_mem < n / 8);
		CU_ASSERT_EQUAL(info.count, 1);
		/* A caller bound on the decoded size is honoured. */
		o.max_uncompressed = n / 2;
		CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL),
				SM_ERR_CORRUPT_MESSAGE);
		/* The iterator refuses the record rather than allocate it. */
		sm_batch_iter_t it;
		sm_record_t rec;
		CU_ASSERT_EQUAL(sm_batch_iter_init(&it, w.p, w.len, 0), SM_ERR_NONE);
		CU_ASSERT_EQUAL(sm_batch_iter_next(&it, &rec), -1);
		CU_ASSERT_EQUAL(it.err, SM_ERR_MESSAGE_TOO_LARGE);
		CU_ASSERT(it.scratch.cap < 1024 * 1024);
		sm_batch_iter_destroy(&it);
		/* Passing over values, the record is read without holding it. */
		CU_ASSERT_EQUAL(sm_batch_iter_init(&it, w.p, w.len, 0), SM_ERR_NONE);
		it.skip_values = 1;
		CU_ASSERT_EQUAL(sm_batch_iter_next(&it, &rec), 1);
		CU_ASSERT(rec.key_len == 1 && rec.key && rec.key[0] == 'k');
		CU_ASSERT(rec.value == NULL && rec.value_len == (int32_t)n);
		CU_ASSERT_EQUAL(sm_batch_iter_next(&it, &rec), 0);
		CU_ASSERT(it.scratch.cap < 1024 * 1024);
		sm_batch_iter_destroy(&it);
		/* So does recompression, whose bound is the same. */
		sm_wbuf_t re;
		sm_wbuf_init(&re, 0);
		CU_ASSERT_EQUAL(sm_batch_recompress(w.p, w.len, SM_CODEC_NONE, 0, &re),
				SM_ERR_MESSAGE_TOO_LARGE);
		sm_wbuf_free(&re);
		sm_wbuf_free(&w);
	}
}

/* Records bigger than the validator's buffer, with headers, in every
 * codec: validated and iterated back intact. */
static void test_compressed_roundtrip(void)
{
	enum { NREC = 40, VLEN = 40000 };
	uint8_t *val = malloc(VLEN);
	for (int i = 0; i < VLEN; i++)
		val[i] = (uint8_t)(i * 7 + i / 100);
	sm_record_header_t hdrs[2] = {
		{ (const uint8_t *)"a", 1, val, 20000 },
		{ (const uint8_t *)"b", 1, NULL, -1 },
	};
	sm_wbuf_t recs;
	sm_wbuf_init(&recs, 0);
	for (int i = 0; i < NREC; i++)
		sm_batch_record_write(&recs, i, i, i % 3 ? val : NULL,
				      i % 3 ? 17 : -1, val + i, VLEN - i,
				      hdrs, i % 3);
	for (size_t c = 0; c < 4; c++) {
		sm_wbuf_t w;
		sm_wbuf_init(&w, 0);
		test_raw_batch(&w, test_codecs[c], recs.p, recs.len, NREC, NREC - 1);
		sm_batch_validate_opts_t o = test_opts();
		o.max_message_bytes = 0;
		sm_batch_info_t info;
		CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, &info), SM_ERR_NONE);
		CU_ASSERT_EQUAL(info.uncompressed, recs.len);
		CU_ASSERT_EQUAL(info.max_timestamp, TEST_NOW + NREC - 1);
		CU_ASSERT_EQUAL(info.offset_delta_of_max_timestamp, NREC - 1);
		o.compacted = 1; /* null keys */
		CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL),
				SM_ERR_INVALID_RECORD);
		sm_batch_iter_t it;
		sm_record_t rec;
		int i = 0, rc;
		CU_ASSERT_EQUAL_FATAL(sm_batch_iter_init(&it, w.p, w.len, 0), SM_ERR_NONE);
		while ((rc = sm_batch_iter_next(&it, &rec)) > 0) {
			CU_ASSERT_EQUAL(rec.offset, i);
			CU_ASSERT_EQUAL(rec.key_len, i % 3 ? 17 : -1);
			CU_ASSERT_EQUAL(rec.value_len, VLEN - i);
			CU_ASSERT(rec.value_len == VLEN - i &&
				  !memcmp(rec.value, val + i, (size_t)(VLEN - i)));
			CU_ASSERT_EQUAL(rec.header_count, i % 3);
			if (rec.header_count >= 1)
				CU_ASSERT(rec.headers[0].value_len == 20000 &&
					  !memcmp(rec.headers[0].value, val, 20000));
			if (rec.header_count == 2)
				CU_ASSERT(rec.headers[1].value == NULL);
			i++;
		}
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_EQUAL(i, NREC);
		sm_batch_iter_destroy(&it);
		/* Keys and headers without the values. */
		CU_ASSERT_EQUAL_FATAL(sm_batch_iter_init(&it, w.p, w.len, 0), SM_ERR_NONE);
		it.skip_values = 1;
		for (i = 0; (rc = sm_batch_iter_next(&it, &rec)) > 0; i++) {
			CU_ASSERT_EQUAL(rec.offset, i);
			CU_ASSERT(rec.key_len == (i % 3 ? 17 : -1));
			CU_ASSERT(rec.key_len < 0 || !memcmp(rec.key, val, 17));
			CU_ASSERT(rec.value == NULL && rec.value_len == VLEN - i);
			CU_ASSERT_EQUAL(rec.header_count, i % 3);
			if (rec.header_count >= 1)
				CU_ASSERT(rec.headers[0].value_len == 20000 &&
					  !memcmp(rec.headers[0].value, val, 20000));
		}
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_EQUAL(i, NREC);
		sm_batch_iter_destroy(&it);
		sm_wbuf_free(&w);
	}
	sm_wbuf_free(&recs);
	free(val);
}

/* Rewrites batchLength, count and lastOffsetDelta and fixes the CRC. */
static void test_patch(sm_wbuf_t *w, size_t len, int32_t count)
{
	w->len = len;
	sm_put_be32(w->p + 8, (uint32_t)(len - SM_LOG_OVERHEAD));
	sm_put_be32(w->p + 23, (uint32_t)(count - 1));
	sm_put_be32(w->p + 57, (uint32_t)count);
	test_fix_crc(w);
}

static void test_compressed_bad(void)
{
	sm_record_t r[TEST_N];
	test_records(r, TEST_N, TEST_NOW);
	sm_batch_validate_opts_t o = test_opts();
	for (size_t c = 0; c < 4; c++) {
		sm_codec_t codec = test_codecs[c];
		sm_wbuf_t w;
		sm_wbuf_init(&w, 0);
		sm_batch_build(&w, codec, 0, TEST_NOW, r, TEST_N);
		size_t full = w.len;
		CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_NONE);
		/* Record count below and above what the stream holds. */
		test_patch(&w, full, TEST_N - 1);
		CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_INVALID_RECORD);
		test_patch(&w, full, TEST_N + 1);
		CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_INVALID_RECORD);
		/* Truncated compressed stream, at several points. */
		size_t body = full - SM_BATCH_HEADER_SIZE;
		size_t cuts[] = { 1, 4, body / 2, body - 1 };
		for (size_t k = 0; k < 4; k++) {
			sm_wbuf_reset(&w);
			sm_batch_build(&w, codec, 0, TEST_NOW, r, TEST_N);
			test_patch(&w, full - cuts[k], TEST_N);
			sm_err_t e = sm_batch_validate(w.p, w.len, &o, NULL);
			if (e != SM_ERR_CORRUPT_MESSAGE && e != SM_ERR_INVALID_RECORD)
				fprintf(stderr, "codec %d cut %zu: %d\n", codec, cuts[k], e);
			CU_ASSERT(e == SM_ERR_CORRUPT_MESSAGE || e == SM_ERR_INVALID_RECORD);
			sm_batch_iter_t it;
			sm_record_t rec;
			int rc = 0;
			if (sm_batch_iter_init(&it, w.p, w.len, 0) == SM_ERR_NONE)
				while ((rc = sm_batch_iter_next(&it, &rec)) > 0)
					;
			CU_ASSERT(it.err != SM_ERR_NONE);
			sm_batch_iter_destroy(&it);
		}
		/* Garbage instead of the compressed stream. */
		sm_wbuf_reset(&w);
		sm_batch_build(&w, codec, 0, TEST_NOW, r, TEST_N);
		memset(w.p + SM_BATCH_HEADER_SIZE, 0xab, full - SM_BATCH_HEADER_SIZE);
		test_patch(&w, full, TEST_N);
		CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_CORRUPT_MESSAGE);
		sm_wbuf_free(&w);
	}
	/* Inside a compressed batch: a key length far beyond the record's own
	 * length fails at once, without decoding on; a record shorter than
	 * its declared length and trailing bytes after the last record fail. */
	for (size_t c = 0; c < 4; c++) {
		sm_wbuf_t recs, w;
		sm_wbuf_init(&recs, 0);
		sm_wbuf_init(&w, 0);
		sm_wbuf_varint(&recs, 6);
		sm_wbuf_i8(&recs, 0);
		sm_wbuf_varlong(&recs, 0);
		sm_wbuf_varint(&recs, 0);
		sm_wbuf_varint(&recs, 0x3fffffff); /* key length */
		sm_wbuf_append(&recs, "xx", 2);
		test_raw_batch(&w, test_codecs[c], recs.p, recs.len, 1, 0);
		CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_INVALID_RECORD);
		sm_wbuf_reset(&recs);
		sm_wbuf_reset(&w);
		sm_batch_record_write(&recs, 0, 0, NULL, -1, (const uint8_t *)"v", 1, NULL, 0);
		sm_wbuf_append(&recs, "\0", 1); /* trailing byte */
		test_raw_batch(&w, test_codecs[c], recs.p, recs.len, 1, 0);
		CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_INVALID_RECORD);
		sm_wbuf_reset(&recs);
		sm_wbuf_reset(&w);
		sm_batch_record_write(&recs, 0, 0, NULL, -1, (const uint8_t *)"v", 1, NULL, 0);
		recs.p[0] = 40; /* varint 20: longer than the record */
		test_raw_batch(&w, test_codecs[c], recs.p, recs.len, 1, 0);
		CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_INVALID_RECORD);
		sm_wbuf_reset(&recs);
		sm_wbuf_reset(&w);
		sm_batch_record_write(&recs, 5, 0, NULL, -1, (const uint8_t *)"v", 1, NULL, 0);
		test_raw_batch(&w, test_codecs[c], recs.p, recs.len, 1, 0);
		CU_ASSERT_EQUAL(sm_batch_validate(w.p, w.len, &o, NULL), SM_ERR_INVALID_RECORD);
		sm_wbuf_free(&recs);
		sm_wbuf_free(&w);
	}
}

/* Random damage to compressed batches (CRC fixed so the records are read):
 * every outcome is a clean error or success, never a crash or overread
 * (run under the sanitizers). */
static void test_compressed_mutations(void)
{
	sm_record_t r[TEST_N];
	test_records(r, TEST_N, TEST_NOW);
	sm_batch_validate_opts_t o = test_opts();
	srand(4242);
	for (size_t c = 0; c < 4; c++) {
		sm_wbuf_t good, w;
		sm_wbuf_init(&good, 0);
		sm_wbuf_init(&w, 0);
		sm_batch_build(&good, test_codecs[c], 0, TEST_NOW, r, TEST_N);
		size_t body = good.len - SM_BATCH_HEADER_SIZE;
		for (int i = 0; i < 1500; i++) {
			sm_wbuf_reset(&w);
			sm_wbuf_append(&w, good.p, good.len);
			int flips = 1 + rand() % 4;
			for (int f = 0; f < flips; f++)
				w.p[SM_BATCH_HEADER_SIZE + (size_t)rand() % body] ^=
					(uint8_t)(1 + rand() % 255);
			size_t len = i % 3 ? w.len : w.len - (size_t)rand() % body;
			test_patch(&w, len, TEST_N);
			sm_err_t e = sm_batch_validate(w.p, w.len, &o, NULL);
			CU_ASSERT(e == SM_ERR_NONE || e == SM_ERR_CORRUPT_MESSAGE ||
				  e == SM_ERR_INVALID_RECORD);
			for (int skip = 0; skip <= 1; skip++) {
				sm_batch_iter_t it;
				sm_record_t rec;
				int n = 0, rc = 0;
				if (sm_batch_iter_init(&it, w.p, w.len, 1 << 20) == SM_ERR_NONE) {
					it.skip_values = skip;
					while ((rc = sm_batch_iter_next(&it, &rec)) > 0)
						n++;
				}
				/* What validation accepts, the iterator reads. */
				if (e == SM_ERR_NONE)
					CU_ASSERT(rc == 0 && n == TEST_N);
				sm_batch_iter_destroy(&it);
			}
		}
		sm_wbuf_free(&good);
		sm_wbuf_free(&w);
	}
}

/* Uncompressed records are validated where they lie, compressed ones
 * through the decoder's window: the same record bytes, damaged at random
 * (varints cut, lengths grown, bytes added or dropped), must get the same
 * verdict and the same figures both ways. Records have 1-, 2- and 3-byte
 * varints (keys of 0..199 bytes, values up to 9000) to cover the fast
 * paths and the loop. */
static void test_uncompressed_direct_matches_stream(void)
{
	sm_batch_validate_opts_t o = test_opts();
	srand(5151);
	uint8_t *big = malloc(9000);
	CU_ASSERT_FATAL(big != NULL);
	memset(big, 'v', 9000);
	sm_wbuf_t good, recs, a, b;
	sm_wbuf_init(&good, 0);
	sm_wbuf_init(&recs, 0);
	sm_wbuf_init(&a, 0);
	sm_wbuf_init(&b, 0);
	const int n = 12;
	for (int i = 0; i < n; i++) {
		int32_t klen = (i * 37) % 200, vlen = i % 4 == 3 ? 9000 : i * 11;
		sm_batch_record_write(&good, i, (int64_t)i * 100 - 300, big, klen,
				      i == 5 ? NULL : big, i == 5 ? -1 : vlen,
				      i % 2 ? &test_hdr : NULL, i % 2);
	}
	int agreed = 0, total = 0, accepted = 0;
	for (int round = 0; round < 3000; round++) {
		sm_wbuf_reset(&recs);
		sm_wbuf_append(&recs, good.p, good.len);
		int count = n;
		if (round > 0) {
			int flips = 1 + rand() % 3;
			for (int f = 0; f < flips; f++)
				recs.p[(size_t)rand() % recs.len] ^= (uint8_t)(1 + rand() % 255);
			if (round % 5 == 0)
				recs.len -= (size_t)rand() % 40; /* cut short */
			if (round % 7 == 0)
				sm_wbuf_i8(&recs, 0); /* trailing byte */
			if (round % 11 == 0)
				count = n - 1 + rand() % 3;
		}
		sm_wbuf_reset(&a);
		sm_wbuf_reset(&b);
		test_raw_batch(&a, SM_CODEC_NONE, recs.p, recs.len, count, count - 1);
		test_raw_batch(&b, SM_CODEC_GZIP, recs.p, recs.len, count, count - 1);
		sm_batch_info_t ia, ib;
		sm_err_t ea = sm_batch_validate(a.p, a.len, &o, &ia);
		sm_err_t eb = sm_batch_validate(b.p, b.len, &o, &ib);
		total++;
		if (ea == eb && (ea != SM_ERR_NONE ||
				 (ia.max_timestamp == ib.max_timestamp &&
				  ia.offset_delta_of_max_timestamp ==
					  ib.offset_delta_of_max_timestamp &&
				  ia.first_timestamp == ib.first_timestamp &&
				  ia.uncompressed == ib.uncompressed &&
				  ia.count == ib.count)))
			agreed++;
		if (ea == SM_ERR_NONE)
			accepted++;
		if (round == 0) {
			CU_ASSERT_EQUAL(ea, SM_ERR_NONE);
			CU_ASSERT_EQUAL(ia.count, n);
			CU_ASSERT_EQUAL(ia.uncompressed, good.len);
			CU_ASSERT_EQUAL(ia.stream_mem, 0);
			CU_ASSERT_EQUAL(ia.max_timestamp, TEST_NOW + 800);
			CU_ASSERT_EQUAL(ia.offset_delta_of_max_timestamp, 11);
		}
	}
	CU_ASSERT_EQUAL(agreed, total);
	CU_ASSERT(accepted > 0 && accepted < total); /* both verdicts seen */
	/* The decoded-size budget still applies to uncompressed records. */
	sm_wbuf_reset(&a);
	test_raw_batch(&a, SM_CODEC_NONE, good.p, good.len, n, n - 1);
	o.max_uncompressed = good.len;
	CU_ASSERT_EQUAL(sm_batch_validate(a.p, a.len, &o, NULL), SM_ERR_NONE);
	o.max_uncompressed = good.len - 1;
	CU_ASSERT_EQUAL(sm_batch_validate(a.p, a.len, &o, NULL), SM_ERR_CORRUPT_MESSAGE);
	free(big);
	sm_wbuf_free(&good);
	sm_wbuf_free(&recs);
	sm_wbuf_free(&a);
	sm_wbuf_free(&b);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("record_batch", NULL, NULL);
	CU_add_test(s, "build, validate, stamp", test_build_validate_stamp);
	CU_add_test(s, "crc corruption", test_crc_corruption);
	CU_add_test(s, "bad framing and counts", test_bad_framing);
	CU_add_test(s, "bad records", test_bad_records);
	CU_add_test(s, "recompress", test_recompress);
	CU_add_test(s, "entry size", test_entry_size);
	CU_add_test(s, "compressed bombs streamed", test_compressed_bombs);
	CU_add_test(s, "compressed round trip", test_compressed_roundtrip);
	CU_add_test(s, "compressed corrupt, truncated, miscounted", test_compressed_bad);
	CU_add_test(s, "compressed batches damaged at random", test_compressed_mutations);
	CU_add_test(s, "uncompressed validated in place, as the stream does",
		    test_uncompressed_direct_matches_stream);
	CU_pSuite l = CU_add_suite("message_set", NULL, NULL);
	CU_add_test(l, "up-convert magic 0/1", test_upconvert);
	CU_add_test(l, "bad legacy sets", test_legacy_bad);
	CU_add_test(l, "down-convert", test_downconvert);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
