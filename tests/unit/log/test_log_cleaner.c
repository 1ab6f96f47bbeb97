/*
 * test_log_cleaner.c - unit tests for log compaction: MD5, the offset map,
 * and cleaning real logs built in a temporary directory (overwritten keys,
 * tombstones and the delete horizon, compressed batches, segment grouping,
 * producer batch headers, cleaner-offset-checkpoint) and the choice of
 * cleanable logs (min.cleanable.dirty.ratio, max.compaction.lag.ms).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <CUnit/Basic.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "checkpoint.h"
#include "log.h"
#include "log_cleaner.h"
#include "log_fixture.h"
#include "logger.h"
#include "producer_state.h"
#include "record_batch.h"

/* ---- helpers ---- */

typedef struct kv {
	char key[32];
	char value[64];
	int64_t offset;
	int tombstone;
} kv_t;

typedef struct readback {
	kv_t *recs;
	int n;
	int batches;
	int empty_batches;
	int codec_seen[8];
	int64_t next_offset;
} readback_t;

static sm_log_t *open_log(const char *name, int64_t segment_bytes)
{
	char dir[512];
	char sub[128];
	snprintf(sub, sizeof(sub), "%s-0", name);
	lf_tmpdir(dir, sizeof(dir), sub);
	sm_log_config_t cfg;
	lf_small_config(&cfg, segment_bytes, 256);
	cfg.cleanup_compact = 1;
	cfg.delete_retention_ms = 0;
	sm_log_t *log = NULL;
	CU_ASSERT_FATAL(sm_log_open(dir, name, 0, &cfg, 0, -1, 1, &log) == SM_ERR_NONE);
	return log;
}

/* set: append_batch writes transactional batches */
static int append_transactional;

/* Appends one batch with n records key-<(first+i) % nkeys> = v<round>; value
 * NULL for tombstones. */
static void append_batch(sm_log_t *log, sm_codec_t codec, int nkeys, int first, int n,
			 int round, int tombstone, int64_t producer_id)
{
	sm_record_t *recs = calloc((size_t)n, sizeof(*recs));
	char (*keys)[32] = calloc((size_t)n, 32);
	char (*vals)[64] = calloc((size_t)n, 64);
	for (int i = 0; i < n; i++) {
		snprintf(keys[i], 32, "key-%d", (first + i) % nkeys);
		snprintf(vals[i], 64, "value-%d-of-%s", round, keys[i]);
		recs[i].timestamp = 1700000000000LL + i;
		recs[i].key = (const uint8_t *)keys[i];
		recs[i].key_len = (int32_t)strlen(keys[i]);
		recs[i].value = tombstone ? NULL : (const uint8_t *)vals[i];
		recs[i].value_len = tombstone ? -1 : (int32_t)strlen(vals[i]);
	}
	sm_batch_build_opts_t o;
	sm_batch_build_opts_init(&o);
	o.codec = codec;
	o.base_timestamp = 1700000000000LL;
	if (producer_id >= 0) {
		o.producer_id = producer_id;
		o.producer_epoch = 0;
		o.base_sequence = round * n;
		o.transactional = append_transactional;
	}
	sm_wbuf_t w;
	sm_wbuf_init(&w, 1024);
	sm_batch_build_ex(&w, &o, recs, n);
	sm_log_append_info_t info;
	CU_ASSERT_EQUAL(sm_log_append_leader(log, w.p, w.len, 0, 1700000000000LL, &info),
			SM_ERR_NONE);
	sm_wbuf_free(&w);
	free(recs);
	free(keys);
	free(vals);
}

/* Reads the whole log through sm_log_read, as a fetch would. */
static void read_all(sm_log_t *log, readback_t *rb)
{
	memset(rb, 0, sizeof(*rb));
	int64_t off = sm_log_start_offset(log);
	for (;;) {
		sm_log_read_t r;
		CU_ASSERT_FATAL(sm_log_read(log, off, 1 << 20, 1, INT64_MAX, &r) == SM_ERR_NONE);
		if (r.len == 0)
			break;
		uint8_t *buf = malloc(r.len);
		CU_ASSERT_FATAL(pread(r.file->fd, buf, r.len, r.pos) == (ssize_t)r.len);
		sm_fileref_release(r.file);
		for (size_t pos = 0; pos < r.len;) {
			int64_t sz = sm_batch_entry_size(buf + pos, r.len - pos);
			CU_ASSERT_FATAL(sz > 0);
			CU_ASSERT_EQUAL(sm_batch_verify(buf + pos, (size_t)sz), SM_ERR_NONE);
			sm_batch_iter_t it;
			sm_record_t rec;
			CU_ASSERT_FATAL(sm_batch_iter_init(&it, buf + pos, (size_t)sz, 0) == SM_ERR_NONE);
			rb->batches++;
			rb->codec_seen[sm_batch_codec(&it.hdr)]++;
			if (it.hdr.record_count == 0)
				rb->empty_batches++;
			while (sm_batch_iter_next(&it, &rec) > 0) {
				rb->recs = realloc(rb->recs, sizeof(*rb->recs) * (size_t)(rb->n + 1));
				kv_t *e = &rb->recs[rb->n++];
				memset(e, 0, sizeof(*e));
				snprintf(e->key, sizeof(e->key), "%.*s", (int)rec.key_len, rec.key);
				if (rec.value_len >= 0)
					snprintf(e->value, sizeof(e->value), "%.*s", (int)rec.value_len,
						 rec.value);
				e->tombstone = rec.value_len < 0;
				e->offset = rec.offset;
				CU_ASSERT(rec.offset >= off);
			}
			off = sm_batch_last_offset(&it.hdr) + 1;
			sm_batch_iter_destroy(&it);
			pos += (size_t)sz;
		}
		free(buf);
	}
	rb->next_offset = off;
}

static int count_key(const readback_t *rb, const char *key, int64_t below)
{
	int n = 0;
	for (int i = 0; i < rb->n; i++)
		if (rb->recs[i].offset < below && !strcmp(rb->recs[i].key, key))
			n++;
	return n;
}

static const kv_t *last_of(const readback_t *rb, const char *key)
{
	const kv_t *found = NULL;
	for (int i = 0; i < rb->n; i++)
		if (!strcmp(rb->recs[i].key, key))
			found = &rb->recs[i];
	return found;
}

static sm_log_cleaner_t *new_cleaner(size_t dedupe)
{
	sm_log_cleaner_config_t cfg;
	sm_log_cleaner_config_defaults(&cfg);
	cfg.dedupe_buffer_size = (int64_t)dedupe;
	return sm_log_cleaner_new(&cfg, NULL);
}

/* ---- MD5 and the offset map ---- */

static void hex(const uint8_t d[16], char out[33])
{
	for (int i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_md5(void)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "", "d41d8cd98f00b204e9800998ecf8427e" },
		{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
		{ "The quick brown fox jumps over the lazy dog",
		  "9e107d9d372bb6826bd81d3542a419d6" },
		{ "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
		  "57edf4a22be3c955ac49da2e2107b67a" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t d[16];
		char h[33];
		sm_md5(v[i].in, strlen(v[i].in), d);
		hex(d, h);
		CU_ASSERT_STRING_EQUAL(h, v[i].out);
	}
}

static void test_offset_map(void)
{
	sm_offset_map_t *m = sm_offset_map_new(0, 0.5); /* 1024 slots, 512 entries */
	CU_ASSERT_EQUAL(sm_offset_map_capacity(m), 512);
	CU_ASSERT_EQUAL(sm_offset_map_get(m, "a", 1), -1);
	CU_ASSERT_EQUAL(sm_offset_map_put(m, "a", 1, 5), 0);
	CU_ASSERT_EQUAL(sm_offset_map_put(m, "a", 1, 9), 0);
	CU_ASSERT_EQUAL(sm_offset_map_put(m, "a", 1, 7), 0); /* older offset never wins */
	CU_ASSERT_EQUAL(sm_offset_map_get(m, "a", 1), 9);
	CU_ASSERT_EQUAL(sm_offset_map_get(m, "", 0), -1);
	CU_ASSERT_EQUAL(sm_offset_map_put(m, "", 0, 3), 0); /* empty key is a key */
	CU_ASSERT_EQUAL(sm_offset_map_get(m, "", 0), 3);
	CU_ASSERT_EQUAL(sm_offset_map_size(m), 2);
	/* Fill to the load factor: many keys share slots, none loses its value. */
	char k[32];
	int i;
	for (i = 0; i < 510; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		CU_ASSERT_EQUAL_FATAL(sm_offset_map_put(m, k, strlen(k), 100 + i), 0);
	}
	CU_ASSERT_EQUAL(sm_offset_map_size(m), 512);
	CU_ASSERT_EQUAL(sm_offset_map_put(m, "new", 3, 1), -1);
	CU_ASSERT_EQUAL(sm_offset_map_put(m, "k7", 2, 9999), 0); /* existing keys still update */
	for (i = 0; i < 510; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		CU_ASSERT_EQUAL(sm_offset_map_get(m, k, strlen(k)), i == 7 ? 9999 : 100 + i);
	}
	sm_offset_map_clear(m);
	CU_ASSERT_EQUAL(sm_offset_map_size(m), 0);
	CU_ASSERT_EQUAL(sm_offset_map_get(m, "k1", 2), -1);
	sm_offset_map_destroy(m);
}

/* ---- cleaning ---- */

/* 10 keys overwritten 20 times over many small segments: after cleaning,
 * the cleaned part holds each key once with its latest value, offsets are
 * preserved, the segments were merged and the checkpoint moved. */
static void test_clean_overwritten_keys(void)
{
	sm_log_t *log = open_log("overwrite", 1024);
	for (int round = 0; round < 20; round++)
		append_batch(log, SM_CODEC_NONE, 10, 0, 10, round, 0, -1);
	int segs_before = sm_log_segment_count(log);
	CU_ASSERT(segs_before > 5);
	int64_t leo = sm_log_end_offset(log);
	/* Groups are bounded by segment.bytes over the original sizes (Kafka's
	 * groupSegmentsBySize): a larger limit lets the small segments merge. */
	sm_log_config_t cfg;
	sm_log_get_config(log, &cfg);
	cfg.segment_bytes = 1 << 20;
	sm_log_set_config(log, &cfg);
	sm_log_cleaner_t *lc = new_cleaner(1 << 20);
	sm_log_clean_stats_t st;
	CU_ASSERT_EQUAL(sm_log_cleaner_clean(lc, 0, log, 1700000000000LL, &st), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_segment_count(log), 2); /* one cleaned + the active */
	CU_ASSERT_EQUAL(st.segments_out, 1);
	CU_ASSERT_EQUAL(st.first_dirty, 0);
	CU_ASSERT(st.end_offset > 0 && st.end_offset < leo);
	CU_ASSERT(sm_log_segment_count(log) < segs_before);
	CU_ASSERT_EQUAL(sm_log_end_offset(log), leo);
	readback_t rb;
	read_all(log, &rb);
	CU_ASSERT_EQUAL(rb.next_offset, leo);
	for (int k = 0; k < 10; k++) {
		char key[32], want[64];
		snprintf(key, sizeof(key), "key-%d", k);
		snprintf(want, sizeof(want), "value-19-of-%s", key);
		CU_ASSERT(count_key(&rb, key, st.end_offset) <= 1);
		const kv_t *e = last_of(&rb, key);
		CU_ASSERT_PTR_NOT_NULL_FATAL(e);
		CU_ASSERT_STRING_EQUAL(e->value, want);
		CU_ASSERT_EQUAL(e->offset, 190 + k); /* offsets survive cleaning */
	}
	CU_ASSERT_EQUAL(sm_log_cleaner_first_dirty(lc, log), st.end_offset);
	char path[512];
	snprintf(path, sizeof(path), "%s/cleaner-offset-checkpoint", test_root);
	sm_checkpoint_t cp;
	CU_ASSERT_EQUAL(sm_checkpoint_read(path, &cp), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_checkpoint_get(&cp, "overwrite", 0, -1), st.end_offset);
	sm_checkpoint_clear(&cp);
	/* Nothing new is dirty: a second pass has nothing to do. */
	CU_ASSERT_EQUAL(sm_log_cleaner_clean(lc, 0, log, 1700000000000LL, NULL), SM_ERR__NOENT);
	/* Appends continue after the swap. */
	append_batch(log, SM_CODEC_NONE, 10, 0, 1, 99, 0, -1);
	CU_ASSERT_EQUAL(sm_log_end_offset(log), leo + 1);
	free(rb.recs);
	sm_log_cleaner_destroy(lc);
	sm_log_close(log);
	sm_log_release(log);
}

/* A tombstone survives the cleaning that first sees it and is dropped by a
 * later one once delete.retention.ms (0 here) has passed since the cleaned
 * segment's last modification. */
static void test_tombstones(void)
{
	sm_log_t *log = open_log("tomb", 1024);
	for (int round = 0; round < 4; round++)
		append_batch(log, SM_CODEC_NONE, 4, 0, 4, round, 0, -1);
	append_batch(log, SM_CODEC_NONE, 4, 1, 1, 9, 1, -1); /* key-1 deleted */
	for (int round = 4; round < 10; round++)
		append_batch(log, SM_CODEC_NONE, 4, 2, 1, round, 0, -1); /* key-2 only */
	sm_log_cleaner_t *lc = new_cleaner(1 << 20);
	sm_log_clean_stats_t st;
	CU_ASSERT_EQUAL(sm_log_cleaner_clean(lc, 0, log, 1700000000000LL, &st), SM_ERR_NONE);
	readback_t rb;
	read_all(log, &rb);
	const kv_t *e = last_of(&rb, "key-1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT(e->tombstone);
	CU_ASSERT_EQUAL(count_key(&rb, "key-1", INT64_MAX), 1);
	free(rb.recs);
	/* More traffic makes new dirty segments; the next cleaning is past the
	 * horizon for the segment holding the tombstone. */
	for (int round = 10; round < 30; round++)
		append_batch(log, SM_CODEC_NONE, 4, 3, 1, round, 0, -1);
	CU_ASSERT_EQUAL(sm_log_cleaner_clean(lc, 0, log, 1700000000000LL, &st), SM_ERR_NONE);
	read_all(log, &rb);
	CU_ASSERT_EQUAL(count_key(&rb, "key-1", INT64_MAX), 0);
	CU_ASSERT_EQUAL(count_key(&rb, "key-0", INT64_MAX), 1);
	CU_ASSERT_STRING_EQUAL(last_of(&rb, "key-0")->value, "value-3-of-key-0");
	free(rb.recs);
	sm_log_cleaner_destroy(lc);
	sm_log_close(log);
	sm_log_release(log);
}

/* Compressed batches are decompressed, filtered and recompressed with the
 * same codec. */
static void test_compressed(void)
{
	static const sm_codec_t codecs[] = { SM_CODEC_GZIP, SM_CODEC_SNAPPY, SM_CODEC_LZ4,
					     SM_CODEC_ZSTD };
	for (size_t c = 0; c < 4; c++) {
		char name[32];
		snprintf(name, sizeof(name), "codec%d", (int)codecs[c]);
		sm_log_t *log = open_log(name, 1500);
		for (int round = 0; round < 12; round++)
			append_batch(log, codecs[c], 5, 0, 8, round, 0, -1); /* 8 over 5 keys */
		sm_log_cleaner_t *lc = new_cleaner(1 << 20);
		sm_log_clean_stats_t st;
		CU_ASSERT_EQUAL(sm_log_cleaner_clean(lc, 0, log, 1700000000000LL, &st),
				SM_ERR_NONE);
		CU_ASSERT(st.records_retained < st.records_read);
		readback_t rb;
		read_all(log, &rb);
		CU_ASSERT_EQUAL(rb.codec_seen[codecs[c]], rb.batches);
		for (int k = 0; k < 5; k++) {
			char key[32], want[64];
			snprintf(key, sizeof(key), "key-%d", k);
			snprintf(want, sizeof(want), "value-11-of-%s", key);
			CU_ASSERT(count_key(&rb, key, st.end_offset) <= 1);
			CU_ASSERT_STRING_EQUAL(last_of(&rb, key)->value, want);
		}
		free(rb.recs);
		sm_log_cleaner_destroy(lc);
		sm_log_close(log);
		sm_log_release(log);
	}
}

/* An idempotent producer's batches whose records are all superseded: only
 * the producer's last such batch keeps its (empty) header, with its offsets. */
static void test_producer_empty_batch(void)
{
	sm_log_t *log = open_log("pid", 1024);
	append_batch(log, SM_CODEC_NONE, 2, 0, 2, 0, 0, 77); /* offsets 0-1 */
	append_batch(log, SM_CODEC_NONE, 2, 0, 2, 1, 0, 77); /* offsets 2-3 */
	for (int round = 2; round < 40; round++)
		append_batch(log, SM_CODEC_NONE, 2, 0, 2, round, 0, -1);
	sm_log_cleaner_t *lc = new_cleaner(1 << 20);
	CU_ASSERT_EQUAL(sm_log_cleaner_clean(lc, 0, log, 1700000000000LL, NULL), SM_ERR_NONE);
	readback_t rb;
	read_all(log, &rb);
	CU_ASSERT_EQUAL(rb.empty_batches, 1);
	CU_ASSERT_EQUAL(rb.next_offset, sm_log_end_offset(log));
	free(rb.recs);
	sm_log_cleaner_destroy(lc);
	sm_log_close(log);
	sm_log_release(log);
}

/* Kafka's rules for transactions: an aborted transaction's records neither
 * shadow older values nor survive, its marker and .txnindex entry stay;
 * nothing from the first unstable offset on is cleaned. */
static void test_aborted_transactions(void)
{
	sm_log_t *log = open_log("txn", 1024);
	append_batch(log, SM_CODEC_NONE, 100, 0, 4, 0, 0, -1); /* 0-3 committed */
	append_transactional = 1;
	append_batch(log, SM_CODEC_NONE, 100, 0, 4, 1, 0, 50); /* 4-7 aborted */
	append_transactional = 0;
	sm_ps_marker_t m = { .pid = 50, .epoch = 0, .coord_epoch = 1, .aborted = 1 };
	sm_log_append_info_t ai;
	CU_ASSERT_EQUAL(sm_log_append_marker(log, &m, 0, 1700000000000LL, &ai), SM_ERR_NONE);
	CU_ASSERT_EQUAL(ai.base_offset, 8);
	/* an open transaction later on: the cleaner stops before its segment */
	for (int round = 2; round < 30; round++)
		append_batch(log, SM_CODEC_NONE, 100, 10, 2, round, 0, -1);
	append_transactional = 1;
	append_batch(log, SM_CODEC_NONE, 100, 20, 2, 0, 0, 60);
	append_transactional = 0;
	int64_t open_at = sm_log_end_offset(log) - 2;
	for (int round = 30; round < 60; round++)
		append_batch(log, SM_CODEC_NONE, 100, 10, 2, round, 0, -1);
	sm_log_set_high_watermark(log, sm_log_end_offset(log));
	CU_ASSERT_EQUAL(sm_log_first_unstable_offset(log), open_at);
	sm_log_cleaner_t *lc = new_cleaner(1 << 20);
	CU_ASSERT_EQUAL(sm_log_cleaner_clean(lc, 0, log, 1700000000000LL, NULL), SM_ERR_NONE);
	readback_t rb;
	read_all(log, &rb);
	for (int k = 0; k < 4; k++) {
		char key[16];
		snprintf(key, sizeof(key), "key-%d", k);
		const kv_t *e = last_of(&rb, key);
		CU_ASSERT_FATAL(e != NULL);
		CU_ASSERT_EQUAL(e->offset, k); /* the committed value, not the aborted one */
	}
	/* both values of key-10 around the open transaction are still there:
	 * nothing past it was cleaned */
	CU_ASSERT(count_key(&rb, "key-10", INT64_MAX) >= 2);
	CU_ASSERT_EQUAL(last_of(&rb, "key-20")->offset, open_at);
	sm_log_aborted_txn_t *ab;
	CU_ASSERT_EQUAL(sm_log_collect_aborted(log, 0, INT64_MAX, &ab), 1);
	free(ab);
	free(rb.recs);
	sm_log_cleaner_destroy(lc);
	sm_log_close(log);
	sm_log_release(log);
}

/* A map too small for the dirty section stops at the last mapped offset;
 * the rest is cleaned by the following passes; a non-compacted log is
 * left alone. */
static void test_small_map_and_policy(void)
{
	sm_log_t *log = open_log("bigkeys", 64 * 1024);
	for (int round = 0; round < 3; round++)
		for (int b = 0; b < 30; b++)
			append_batch(log, SM_CODEC_NONE, 3000, b * 100, 100, round, 0, -1);
	sm_log_roll(log, 1700000000000LL);
	sm_log_cleaner_t *lc = new_cleaner(1); /* minimum map: 921 entries */
	sm_log_clean_stats_t st;
	CU_ASSERT_EQUAL(sm_log_cleaner_clean(lc, 0, log, 1700000000000LL, &st), SM_ERR_NONE);
	CU_ASSERT(st.end_offset > 0 && st.end_offset < sm_log_end_offset(log));
	int passes = 1;
	while (sm_log_cleaner_clean(lc, 0, log, 1700000000000LL, &st) == SM_ERR_NONE)
		passes++;
	CU_ASSERT(passes >= 3);
	readback_t rb;
	read_all(log, &rb);
	CU_ASSERT_EQUAL(rb.next_offset, 9000);
	CU_ASSERT_EQUAL(rb.n, 3000 + 0 /* latest of every key, nothing else */);
	free(rb.recs);
	sm_log_config_t cfg;
	sm_log_get_config(log, &cfg);
	cfg.cleanup_compact = 0;
	sm_log_set_config(log, &cfg);
	CU_ASSERT_EQUAL(sm_log_cleaner_clean(lc, 0, log, 1700000000000LL, NULL), SM_ERR__NOENT);
	sm_log_cleaner_destroy(lc);
	sm_log_close(log);
	sm_log_release(log);
}

/* Cleaned segments survive a restart: the log reloads them (indexes and
 * all) and a read in the middle finds the right record. */
static void test_reopen_after_clean(void)
{
	sm_log_t *log = open_log("reopen", 1024);
	for (int round = 0; round < 20; round++)
		append_batch(log, SM_CODEC_NONE, 10, 0, 10, round, 0, -1);
	sm_log_cleaner_t *lc = new_cleaner(1 << 20);
	CU_ASSERT_EQUAL(sm_log_cleaner_clean(lc, 0, log, 1700000000000LL, NULL), SM_ERR_NONE);
	readback_t before, after;
	read_all(log, &before);
	char dir[512];
	snprintf(dir, sizeof(dir), "%s", sm_log_dir(log));
	sm_log_config_t cfg;
	sm_log_get_config(log, &cfg);
	sm_log_close(log);
	sm_log_release(log);
	CU_ASSERT_FATAL(sm_log_open(dir, "reopen", 0, &cfg, 0, -1, 0, &log) == SM_ERR_NONE);
	read_all(log, &after);
	CU_ASSERT_EQUAL(before.n, after.n);
	CU_ASSERT_EQUAL(after.next_offset, 200);
	for (int i = 0; i < before.n && i < after.n; i++)
		CU_ASSERT_EQUAL(before.recs[i].offset, after.recs[i].offset);
	free(before.recs);
	free(after.recs);
	sm_log_cleaner_destroy(lc);
	sm_log_close(log);
	sm_log_release(log);
}

/* max.compaction.lag.ms: a log below min.cleanable.dirty.ratio becomes
 * cleanable once the first batch of its dirty section is older than the lag
 * (Kafka's maxCompactionDelay), and only then. */
static void test_max_compaction_lag(void)
{
	const int64_t t0 = 1700000000000LL;
	sm_log_t *log = open_log("maxlag", 1024);
	for (int round = 0; round < 20; round++)
		append_batch(log, SM_CODEC_NONE, 10, 0, 10, round, 0, -1);
	sm_log_cleaner_t *lc = new_cleaner(1 << 20);
	CU_ASSERT_EQUAL(sm_log_cleaner_clean(lc, 0, log, t0, NULL), SM_ERR_NONE);
	/* new duplicates, some of them in inactive segments */
	for (int round = 20; round < 26; round++)
		append_batch(log, SM_CODEC_NONE, 10, 0, 10, round, 0, -1);
	sm_log_config_t cfg;
	sm_log_get_config(log, &cfg);
	cfg.min_cleanable_ratio = 0.99;
	sm_log_set_config(log, &cfg);
	double ratio = -1;
	int64_t delay = -1;
	/* default lag (Long.MaxValue): the ratio alone decides */
	CU_ASSERT_EQUAL(sm_log_cleaner_is_cleanable(lc, log, t0 + 5000, &ratio, &delay), 0);
	CU_ASSERT(ratio > 0 && ratio < 0.99);
	CU_ASSERT_EQUAL(delay, 0);
	cfg.max_compaction_lag_ms = 1000;
	sm_log_set_config(log, &cfg);
	/* the dirty batches' timestamps are t0 + 9: not yet past the lag */
	CU_ASSERT_EQUAL(sm_log_cleaner_is_cleanable(lc, log, t0 + 1009, NULL, &delay), 0);
	CU_ASSERT_EQUAL(delay, 0);
	CU_ASSERT_EQUAL(sm_log_cleaner_is_cleanable(lc, log, t0 + 5000, NULL, &delay), 1);
	CU_ASSERT_EQUAL(delay, 5000 - 1000 - 9);
	/* not compacted: never cleanable */
	cfg.cleanup_compact = 0;
	sm_log_set_config(log, &cfg);
	CU_ASSERT_EQUAL(sm_log_cleaner_is_cleanable(lc, log, t0 + 5000, NULL, NULL), 0);
	cfg.cleanup_compact = 1;
	sm_log_set_config(log, &cfg);
	sm_log_clean_stats_t st;
	CU_ASSERT_EQUAL(sm_log_cleaner_clean(lc, 0, log, t0 + 5000, &st), SM_ERR_NONE);
	CU_ASSERT(st.records_retained < st.records_read);
	/* everything inactive is clean now */
	CU_ASSERT_EQUAL(sm_log_cleaner_is_cleanable(lc, log, t0 + 5000, NULL, &delay), 0);
	readback_t rb;
	read_all(log, &rb);
	for (int k = 0; k < 10; k++) {
		char key[32], want[64];
		snprintf(key, sizeof(key), "key-%d", k);
		snprintf(want, sizeof(want), "value-25-of-%s", key);
		const kv_t *e = last_of(&rb, key);
		CU_ASSERT_PTR_NOT_NULL_FATAL(e);
		CU_ASSERT_STRING_EQUAL(e->value, want);
		CU_ASSERT(count_key(&rb, key, st.end_offset) <= 1);
	}
	free(rb.recs);
	sm_log_cleaner_destroy(lc);
	sm_log_close(log);
	sm_log_release(log);
}

static const lf_test_t tests[] = {
	{ "md5", test_md5 },
	{ "offset map", test_offset_map },
	{ "overwritten keys", test_clean_overwritten_keys },
	{ "tombstones and delete horizon", test_tombstones },
	{ "compressed batches", test_compressed },
	{ "producer empty batch", test_producer_empty_batch },
	{ "small map, policy", test_small_map_and_policy },
	{ "aborted transactions, first unstable offset", test_aborted_transactions },
	{ "reopen after clean", test_reopen_after_clean },
	{ "max.compaction.lag.ms", test_max_compaction_lag },
};

int main(void)
{
	sm_logger_init(NULL, SM_LOG_ERROR, 0);
	int rc = lf_run("/tmp/sm-test-log-cleaner", "log_cleaner", tests,
			sizeof(tests) / sizeof(tests[0]));
	sm_logger_close();
	return rc;
}
