/*
 * test_producer_state.c - unit tests for the idempotent producer state
 * (producer_state.c) and its use by the log: Kafka 2.8's sequence rules,
 * duplicates of the last five batches, epoch bumps, the version-1 .snapshot
 * format byte for byte, and recovery from a snapshot plus the log after it
 * (clean close, unclean open, truncation).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <CUnit/Basic.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "crc32c.h"
#include "log.h"
#include "log_fixture.h"
#include "msg_init_producer_id.h"
#include "producer_state.h"
#include "zk_data.h"

static sm_ps_append_t ap(int64_t pid, int16_t epoch, int32_t seq, int n, int64_t off)
{
	sm_ps_append_t a = { pid, epoch, seq, sm_ps_last_seq(seq, n - 1), off, off + n - 1,
			     1000 + off, 0 };
	return a;
}

/* check, then record when accepted and new; returns the error, *dup_off the
 * original offset of a duplicate (-1 otherwise) */
static sm_err_t leader(sm_producer_state_t *ps, sm_ps_append_t a, int64_t *dup_off)
{
	const sm_ps_batch_t *dup;
	sm_err_t e = sm_ps_check(ps, &a, &dup);
	*dup_off = dup ? dup->first_off : -1;
	if (!e && !dup)
		sm_ps_update(ps, &a);
	return e;
}

static void test_sequence_rules(void)
{
	sm_producer_state_t *ps = sm_ps_new();
	int64_t d, off = 0;
	/* unknown producer: any first sequence (KIP-360) */
	CU_ASSERT_EQUAL(leader(ps, ap(7, 0, 17, 3, off), &d), SM_ERR_NONE);
	CU_ASSERT_EQUAL(d, -1);
	off += 3;
	CU_ASSERT_EQUAL(leader(ps, ap(7, 0, 20, 5, off), &d), SM_ERR_NONE);
	off += 5;
	/* gap, repeat of a sequence with another range */
	CU_ASSERT_EQUAL(leader(ps, ap(7, 0, 26, 1, off), &d), SM_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
	CU_ASSERT_EQUAL(leader(ps, ap(7, 0, 20, 2, off), &d), SM_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
	/* duplicate: same epoch and range -> original offset */
	CU_ASSERT_EQUAL(leader(ps, ap(7, 0, 17, 3, off), &d), SM_ERR_NONE);
	CU_ASSERT_EQUAL(d, 0);
	CU_ASSERT_EQUAL(leader(ps, ap(7, 0, 20, 5, off), &d), SM_ERR_NONE);
	CU_ASSERT_EQUAL(d, 3);
	/* five more batches push the first two out of the cache */
	for (int i = 0; i < 5; i++, off += 2)
		CU_ASSERT_EQUAL(leader(ps, ap(7, 0, 25 + 2 * i, 2, off), &d), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_ps_get(ps, 7)->n_recent, SM_PS_KEEP_BATCHES);
	CU_ASSERT_EQUAL(leader(ps, ap(7, 0, 20, 5, off), &d), SM_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
	CU_ASSERT_EQUAL(leader(ps, ap(7, 0, 25, 2, off), &d), SM_ERR_NONE);
	CU_ASSERT_EQUAL(d, 8);
	/* epoch bump must start at 0; older epochs are fenced */
	CU_ASSERT_EQUAL(leader(ps, ap(7, 1, 5, 1, off), &d), SM_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
	CU_ASSERT_EQUAL(leader(ps, ap(7, 1, 0, 1, off), &d), SM_ERR_NONE);
	off++;
	CU_ASSERT_EQUAL(sm_ps_get(ps, 7)->n_recent, 1);
	CU_ASSERT_EQUAL(leader(ps, ap(7, 0, 35, 1, off), &d), SM_ERR_INVALID_PRODUCER_EPOCH);
	/* a retry of an old-epoch batch is no longer a duplicate */
	CU_ASSERT_EQUAL(leader(ps, ap(7, 0, 25, 2, off), &d), SM_ERR_INVALID_PRODUCER_EPOCH);
	/* wrap-around: last sequence INT32_MAX, next 0 */
	CU_ASSERT_EQUAL(leader(ps, ap(9, 0, INT32_MAX - 7, 8, off), &d), SM_ERR_NONE);
	off += 8;
	CU_ASSERT_EQUAL(sm_ps_get(ps, 9)->recent[0].last_seq, INT32_MAX);
	CU_ASSERT_EQUAL(leader(ps, ap(9, 0, 0, 4, off), &d), SM_ERR_NONE);
	off += 4;
	/* a batch crossing the wrap: last sequence mod 2^31 */
	CU_ASSERT_EQUAL(sm_ps_last_seq(INT32_MAX - 1, 3), 1);
	CU_ASSERT_EQUAL(sm_ps_map_end(ps), off);
	/* replication never refuses and takes the batch's epoch */
	sm_ps_append_t old = ap(7, 0, 99, 1, off);
	sm_ps_update(ps, &old);
	CU_ASSERT_EQUAL(sm_ps_get(ps, 7)->epoch, 0);
	/* expiry by the last timestamp */
	CU_ASSERT_EQUAL(sm_ps_expire(ps, 1000 + off, 2), 1);
	CU_ASSERT_EQUAL(sm_ps_expire(ps, 1001 + off, 1), 1);
	CU_ASSERT_EQUAL(sm_ps_count(ps), 0);
	sm_ps_free(ps);
}

/* The group coordinator's transactional offset batches all start at
 * sequence 0: never duplicates or out of order, only the epoch counts. */
static void test_coordinator_origin(void)
{
	sm_producer_state_t *ps = sm_ps_new();
	sm_ps_append_t a = ap(9, 1, 0, 2, 0);
	a.is_txn = 1;
	CU_ASSERT_EQUAL(sm_ps_check_coordinator(ps, &a), SM_ERR_NONE);
	sm_ps_update(ps, &a);
	CU_ASSERT_EQUAL(sm_ps_get(ps, 9)->txn_first_off, 0);
	sm_ps_append_t b = ap(9, 1, 0, 2, 2);
	b.is_txn = 1;
	const sm_ps_batch_t *dup;
	/* a client batch like it would be a duplicate */
	CU_ASSERT_EQUAL(sm_ps_check(ps, &b, &dup), SM_ERR_NONE);
	CU_ASSERT_PTR_NOT_NULL(dup);
	CU_ASSERT_EQUAL(sm_ps_check_coordinator(ps, &b), SM_ERR_NONE);
	sm_ps_update(ps, &b);
	sm_ps_append_t c = ap(9, 1, 0, 5, 4);
	c.is_txn = 1;
	CU_ASSERT_EQUAL(sm_ps_check_coordinator(ps, &c), SM_ERR_NONE);
	sm_ps_append_t old = ap(9, 0, 0, 1, 4);
	old.is_txn = 1;
	CU_ASSERT_EQUAL(sm_ps_check_coordinator(ps, &old), SM_ERR_INVALID_PRODUCER_EPOCH);
	sm_ps_append_t plain = ap(9, 1, 0, 1, 4);
	CU_ASSERT_EQUAL(sm_ps_check_coordinator(ps, &plain), SM_ERR_INVALID_TXN_STATE);
	sm_ps_free(ps);
}

static void test_snapshot_format(void)
{
	sm_producer_state_t *ps = sm_ps_new();
	sm_ps_append_t a = { 5, 2, 10, 14, 100, 104, 1700000000123LL, 0 };
	sm_ps_update(ps, &a);
	sm_ps_append_t b = { 3, 0, 0, 0, 105, 105, 1700000000200LL, 0 };
	sm_ps_update(ps, &b);
	sm_wbuf_t w;
	sm_wbuf_init(&w, 64);
	sm_ps_snapshot_encode(ps, &w);
	CU_ASSERT_EQUAL_FATAL(w.len, 10 + 2 * 46);
	/* expected bytes built field by field from the documented layout */
	uint8_t want[102];
	uint8_t *q = want;
	sm_put_be16(q, 1);
	sm_put_be32(q + 6, 2);
	q += 10;
	const struct { int64_t pid; int16_t ep; int32_t ls; int64_t lo; int32_t d; int64_t ts; } e[2] = {
		{ 3, 0, 0, 105, 0, 1700000000200LL }, { 5, 2, 14, 104, 4, 1700000000123LL }
	};
	for (int i = 0; i < 2; i++, q += 46) {
		sm_put_be64(q, (uint64_t)e[i].pid);
		sm_put_be16(q + 8, (uint16_t)e[i].ep);
		sm_put_be32(q + 10, (uint32_t)e[i].ls);
		sm_put_be64(q + 14, (uint64_t)e[i].lo);
		sm_put_be32(q + 22, (uint32_t)e[i].d);
		sm_put_be64(q + 26, (uint64_t)e[i].ts);
		sm_put_be32(q + 34, (uint32_t)-1);
		sm_put_be64(q + 38, (uint64_t)-1);
	}
	sm_put_be32(want + 2, sm_crc32c(0, want + 6, sizeof(want) - 6));
	CU_ASSERT_EQUAL(memcmp(w.p, want, sizeof(want)), 0);

	/* round trip: the newest batch of each producer comes back */
	sm_producer_state_t *back = sm_ps_new();
	CU_ASSERT_EQUAL_FATAL(sm_ps_snapshot_decode(back, w.p, w.len, 106, 0, 0), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_ps_map_end(back), 106);
	const sm_ps_entry_t *en = sm_ps_get(back, 5);
	CU_ASSERT_FATAL(en != NULL);
	CU_ASSERT_EQUAL(en->epoch, 2);
	CU_ASSERT_EQUAL(en->n_recent, 1);
	CU_ASSERT_EQUAL(en->recent[0].first_seq, 10);
	CU_ASSERT_EQUAL(en->recent[0].last_seq, 14);
	CU_ASSERT_EQUAL(en->recent[0].first_off, 100);
	CU_ASSERT_EQUAL(en->last_ts, 1700000000123LL);
	sm_wbuf_t w2;
	sm_wbuf_init(&w2, 64);
	sm_ps_snapshot_encode(back, &w2);
	CU_ASSERT(w2.len == w.len && !memcmp(w2.p, w.p, w.len));
	/* expired producers are dropped while loading */
	CU_ASSERT_EQUAL(sm_ps_snapshot_decode(back, w.p, w.len, 106, 1700000000200LL, 50),
			SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_ps_count(back), 1);
	CU_ASSERT_PTR_NOT_NULL(sm_ps_get(back, 3));
	/* damaged: CRC, version, count, truncation */
	w.p[20] ^= 1;
	CU_ASSERT_EQUAL(sm_ps_snapshot_decode(back, w.p, w.len, 1, 0, 0), SM_ERR_CORRUPT_MESSAGE);
	w.p[20] ^= 1;
	w.p[1] = 2;
	CU_ASSERT_EQUAL(sm_ps_snapshot_decode(back, w.p, w.len, 1, 0, 0), SM_ERR_CORRUPT_MESSAGE);
	w.p[1] = 1;
	CU_ASSERT_EQUAL(sm_ps_snapshot_decode(back, w.p, w.len - 1, 1, 0, 0), SM_ERR_CORRUPT_MESSAGE);
	CU_ASSERT_EQUAL(sm_ps_snapshot_decode(back, w.p, 5, 1, 0, 0), SM_ERR_CORRUPT_MESSAGE);
	CU_ASSERT_EQUAL(sm_ps_count(back), 1); /* unchanged by failures */
	sm_wbuf_free(&w);
	sm_wbuf_free(&w2);
	sm_ps_free(back);
	sm_ps_free(ps);
}

/* A v2 batch of n records from producer pid (epoch, base sequence seq). */
static uint8_t *pbatch(int64_t pid, int16_t epoch, int32_t seq, int n, size_t *lenp)
{
	int64_t ts = sm_clock_wall_ms();
	lf_batch_t b = { .records = n, .first_ts = ts, .max_ts = ts, .producer_id = pid,
			 .producer_epoch = epoch, .base_sequence = seq,
			 .value = (const uint8_t *)"x", .value_len = 1 };
	return lf_make_batch(&b, lenp);
}

static sm_err_t append(sm_log_t *log, int64_t pid, int16_t epoch, int32_t seq, int n,
		       sm_log_append_info_t *ai)
{
	size_t len;
	uint8_t *b = pbatch(pid, epoch, seq, n, &len);
	sm_err_t e = sm_log_append_leader(log, b, len, 0, sm_clock_wall_ms(), ai);
	free(b);
	return e;
}

/* A transactional batch (attribute bit 0x10) from producer pid. */
static sm_err_t append_txn(sm_log_t *log, int64_t pid, int16_t epoch, int32_t seq, int n,
			   sm_log_append_info_t *ai)
{
	size_t len;
	uint8_t *b = pbatch(pid, epoch, seq, n, &len);
	sm_put_be16(b + 21, 0x10);
	sm_put_be32(b + 17, sm_crc32c(0, b + 21, len - 21));
	sm_err_t e = sm_log_append_leader(log, b, len, 0, sm_clock_wall_ms(), ai);
	free(b);
	return e;
}

static sm_err_t marker(sm_log_t *log, int64_t pid, int16_t epoch, int32_t coord, int abort,
		       int64_t *off)
{
	sm_ps_marker_t m = { .pid = pid, .epoch = epoch, .coord_epoch = coord, .aborted = abort };
	sm_log_append_info_t ai;
	sm_err_t e = sm_log_append_marker(log, &m, 0, sm_clock_wall_ms(), &ai);
	*off = ai.base_offset;
	return e;
}

/* the partition moves its HW to the log end (all replicas caught up) */
static int64_t lso_at(sm_log_t *log, int64_t hw)
{
	sm_log_set_high_watermark(log, hw);
	return sm_log_last_stable_offset(log);
}

static int count_aborted(sm_log_t *log, int64_t start, int64_t upper, sm_log_aborted_txn_t *first)
{
	sm_log_aborted_txn_t *v;
	int n = sm_log_collect_aborted(log, start, upper, &v);
	if (n > 0 && first)
		*first = v[0];
	free(v);
	return n;
}

static void test_txn_lso_and_index(void)
{
	char dir[512], path[600];
	snprintf(dir, sizeof(dir), "%s/txn-0", test_root);
	snprintf(path, sizeof(path), "%s/00000000000000000000.txnindex", dir);
	sm_log_config_t cfg;
	sm_log_config_defaults(&cfg);
	sm_log_t *log;
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "txn", 0, &cfg, 0, -1, 1, &log), SM_ERR_NONE);
	sm_log_append_info_t ai;
	int64_t off;
	CU_ASSERT_EQUAL(append(log, 1, 0, 0, 3, &ai), SM_ERR_NONE);          /* 0-2 */
	CU_ASSERT_EQUAL(lso_at(log, 3), 3);
	CU_ASSERT_EQUAL(append_txn(log, 10, 0, 0, 2, &ai), SM_ERR_NONE);      /* 3-4 */
	CU_ASSERT_EQUAL(sm_log_txn_first_offset(log, 10), 3);
	CU_ASSERT_EQUAL(lso_at(log, 5), 3);
	CU_ASSERT_EQUAL(append_txn(log, 20, 3, 0, 2, &ai), SM_ERR_NONE);      /* 5-6 */
	CU_ASSERT_EQUAL(lso_at(log, 7), 3);
	/* plain data from a producer with an open transaction: 48 */
	CU_ASSERT_EQUAL(append(log, 10, 0, 2, 1, &ai), SM_ERR_INVALID_TXN_STATE);
	/* COMMIT pid 10 at 7: stable only once the marker is replicated */
	CU_ASSERT_EQUAL(marker(log, 10, 0, 5, 0, &off), SM_ERR_NONE);
	CU_ASSERT_EQUAL(off, 7);
	CU_ASSERT_EQUAL(lso_at(log, 7), 3);
	CU_ASSERT_EQUAL(lso_at(log, 8), 5);
	/* fencing: an older coordinator epoch, an older producer epoch */
	CU_ASSERT_EQUAL(marker(log, 10, 0, 4, 0, &off), SM_ERR_TRANSACTION_COORDINATOR_FENCED);
	CU_ASSERT_EQUAL(marker(log, 20, 2, 5, 1, &off), SM_ERR_INVALID_PRODUCER_EPOCH);
	CU_ASSERT_EQUAL(sm_log_end_offset(log), 8);
	/* ABORT pid 20 at 8 -> one .txnindex entry */
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	CU_ASSERT_EQUAL(marker(log, 20, 3, 5, 1, &off), SM_ERR_NONE);
	CU_ASSERT_EQUAL(off, 8);
	CU_ASSERT_EQUAL(lso_at(log, 8), 5);
	CU_ASSERT_EQUAL(lso_at(log, 9), 9);
	size_t len = 0;
	uint8_t *p = sm_ps_read_file(path, &len);
	static const uint8_t want[34] = { 0, 0,  0, 0, 0, 0, 0, 0, 0, 20,
					  0, 0, 0, 0, 0, 0, 0, 5,  0, 0, 0, 0, 0, 0, 0, 8,
					  0, 0, 0, 0, 0, 0, 0, 9 };
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_EQUAL(len, 34);
	CU_ASSERT(len == 34 && !memcmp(p, want, 34));
	free(p);
	sm_log_aborted_txn_t t = { -1, -1, -1, -1 };
	CU_ASSERT_EQUAL(count_aborted(log, 0, 9, &t), 1);
	CU_ASSERT(t.pid == 20 && t.first_offset == 5 && t.last_offset == 8 &&
		  t.last_stable_offset == 9);
	CU_ASSERT_EQUAL(count_aborted(log, 5, 6, NULL), 1);
	CU_ASSERT_EQUAL(count_aborted(log, 0, 5, NULL), 0); /* starts at the bound */
	CU_ASSERT_EQUAL(count_aborted(log, 9, 100, NULL), 0); /* ended before */
	/* an open transaction at 9, then an unclean restart: the .txnindex is
	 * reloaded and the open transaction holds the LSO again (replay) */
	CU_ASSERT_EQUAL(append_txn(log, 40, 0, 0, 1, &ai), SM_ERR_NONE);      /* 9 */
	CU_ASSERT_EQUAL(append(log, 1, 0, 3, 2, &ai), SM_ERR_NONE);           /* 10-11 */
	CU_ASSERT_EQUAL(lso_at(log, 12), 9);
	sm_log_release(log);
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "txn", 0, &cfg, 0, -1, 0, &log), SM_ERR_NONE);
	CU_ASSERT_EQUAL(lso_at(log, 12), 9);
	CU_ASSERT_EQUAL(count_aborted(log, 0, 12, &t), 1);
	CU_ASSERT(t.pid == 20 && t.first_offset == 5 && t.last_stable_offset == 9);
	/* a clean restart: the snapshot carries the open transaction */
	sm_log_close(log);
	sm_log_release(log);
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "txn", 0, &cfg, 12, -1, 1, &log), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_txn_first_offset(log, 40), 9);
	CU_ASSERT_EQUAL(lso_at(log, 12), 9);
	/* a lost .txnindex is rebuilt by replay after an unclean restart */
	sm_log_release(log);
	unlink(path);
	char snap[600];
	snprintf(snap, sizeof(snap), "%s/00000000000000000012.snapshot", dir);
	unlink(snap);
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "txn", 0, &cfg, 0, -1, 0, &log), SM_ERR_NONE);
	CU_ASSERT_EQUAL(count_aborted(log, 0, 12, &t), 1);
	CU_ASSERT(t.pid == 20 && t.first_offset == 5 && t.last_offset == 8);
	CU_ASSERT_EQUAL(access(path, F_OK), 0);
	/* truncation below the ABORT marker: the entry goes, pid 20's
	 * transaction is open again */
	CU_ASSERT_EQUAL(sm_log_truncate_to(log, 8), SM_ERR_NONE);
	CU_ASSERT_EQUAL(count_aborted(log, 0, 12, NULL), 0);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	CU_ASSERT_EQUAL(lso_at(log, 8), 5);
	sm_log_close(log);
	sm_log_release(log);
}

static int count_snapshots(const char *dir)
{
	int64_t *v;
	int n = sm_ps_snapshot_list(dir, &v);
	free(v);
	return n;
}

static void test_log_recovery(void)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/idem-0", test_root);
	sm_log_config_t cfg;
	sm_log_config_defaults(&cfg);
	cfg.segment_bytes = 300;
	sm_log_t *log;
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "idem", 0, &cfg, 0, -1, 1, &log), SM_ERR_NONE);
	sm_log_append_info_t ai;
	int64_t first_of[12];
	for (int i = 0; i < 12; i++) {
		CU_ASSERT_EQUAL_FATAL(append(log, 42, 0, 3 * i, 3, &ai), SM_ERR_NONE);
		CU_ASSERT_EQUAL(ai.duplicate, 0);
		first_of[i] = ai.base_offset;
	}
	CU_ASSERT(sm_log_segment_count(log) > 2);
	CU_ASSERT(count_snapshots(dir) >= 2); /* one per roll */
	CU_ASSERT_EQUAL(append(log, 42, 0, 33, 3, &ai), SM_ERR_NONE);
	CU_ASSERT(ai.duplicate && ai.base_offset == first_of[11]);
	CU_ASSERT_EQUAL(sm_log_end_offset(log), 36);
	/* unclean: no close; state = newest snapshot (the newest batch before
	 * it) + replay of the batches after it, as in Kafka */
	sm_log_release(log);
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "idem", 0, &cfg, 0, -1, 0, &log), SM_ERR_NONE);
	for (int i = 9; i < 12; i++) {
		CU_ASSERT_EQUAL(append(log, 42, 0, 3 * i, 3, &ai), SM_ERR_NONE);
		CU_ASSERT(ai.duplicate && ai.base_offset == first_of[i]);
	}
	CU_ASSERT_EQUAL(sm_log_end_offset(log), 36);
	/* clean close writes <LEO>.snapshot; loading it alone restores state */
	sm_log_close(log);
	sm_log_release(log);
	char path[600];
	sm_ps_snapshot_path(path, sizeof(path), dir, 36);
	CU_ASSERT_EQUAL(access(path, F_OK), 0);
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "idem", 0, &cfg, 36, -1, 1, &log), SM_ERR_NONE);
	CU_ASSERT_EQUAL(append(log, 42, 0, 33, 3, &ai), SM_ERR_NONE);
	CU_ASSERT(ai.duplicate && ai.base_offset == first_of[11]);
	CU_ASSERT_EQUAL(append(log, 42, 0, 37, 1, &ai), SM_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
	/* truncation forgets the truncated batches */
	CU_ASSERT_EQUAL(sm_log_truncate_to(log, first_of[11]), SM_ERR_NONE);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	CU_ASSERT_EQUAL(append(log, 42, 0, 33, 3, &ai), SM_ERR_NONE);
	CU_ASSERT(!ai.duplicate && ai.base_offset == first_of[11]);
	CU_ASSERT_EQUAL(append(log, 42, 0, 30, 3, &ai), SM_ERR_NONE);
	CU_ASSERT(ai.duplicate && ai.base_offset == first_of[10]);
	/* a corrupt newest snapshot is deleted and an older one (or the log)
	 * used instead */
	sm_log_close(log);
	sm_log_release(log);
	FILE *f = fopen(path, "r+b");
	CU_ASSERT_FATAL(f != NULL);
	fseek(f, 12, SEEK_SET);
	fputc(0x5a, f);
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "idem", 0, &cfg, 36, -1, 1, &log), SM_ERR_NONE);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	CU_ASSERT_EQUAL(append(log, 42, 0, 33, 3, &ai), SM_ERR_NONE);
	CU_ASSERT(ai.duplicate && ai.base_offset == first_of[11]);
	/* the follower path records state without checks */
	sm_log_close(log);
	sm_log_release(log);
	snprintf(dir, sizeof(dir), "%s/idem-1", test_root);
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "idem", 1, &cfg, 0, -1, 1, &log), SM_ERR_NONE);
	size_t len;
	uint8_t *b = pbatch(77, 3, 500, 2, &len);
	CU_ASSERT_EQUAL(sm_log_append_follower(log, b, len, sm_clock_wall_ms(), NULL), SM_ERR_NONE);
	free(b);
	CU_ASSERT_EQUAL(append(log, 77, 3, 500, 2, &ai), SM_ERR_NONE);
	CU_ASSERT(ai.duplicate && ai.base_offset == 0);
	CU_ASSERT_EQUAL(append(log, 77, 2, 502, 1, &ai), SM_ERR_INVALID_PRODUCER_EPOCH);
	sm_log_close(log);
	sm_log_release(log);
}

/* Retention and DeleteRecords: the snapshot of a deleted segment goes with
 * it; the producer state stays (Kafka 2.5+), so a retry is still a
 * duplicate. */
static void test_snapshots_follow_segments(void)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/idem-2", test_root);
	sm_log_config_t cfg;
	sm_log_config_defaults(&cfg);
	cfg.segment_bytes = 300;
	cfg.file_delete_delay_ms = 0;
	sm_log_t *log;
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "idem", 2, &cfg, 0, -1, 1, &log), SM_ERR_NONE);
	sm_log_append_info_t ai;
	for (int i = 0; i < 12; i++)
		CU_ASSERT_EQUAL_FATAL(append(log, 5, 0, 3 * i, 3, &ai), SM_ERR_NONE);
	int64_t last_base = ai.base_offset;
	int before = count_snapshots(dir);
	CU_ASSERT(before >= 3);
	sm_log_set_high_watermark(log, sm_log_end_offset(log));
	int64_t low;
	CU_ASSERT_EQUAL(sm_log_delete_records(log, last_base, &low), SM_ERR_NONE);
	int64_t *v;
	int n = sm_ps_snapshot_list(dir, &v);
	CU_ASSERT(n < before);
	for (int i = 0; i < n; i++)
		CU_ASSERT(v[i] >= sm_log_first_segment_base(log));
	free(v);
	CU_ASSERT_EQUAL(append(log, 5, 0, 33, 3, &ai), SM_ERR_NONE);
	CU_ASSERT(ai.duplicate && ai.base_offset == last_base);
	sm_log_close(log);
	sm_log_release(log);
}

/* /latest_producer_id_block: Kafka's exact JSON; garbage is refused. */
static void test_pid_block_json(void)
{
	char *s = sm_zk_producer_id_block_encode(3, 5000, 5999);
	CU_ASSERT_STRING_EQUAL(s, "{\"version\":1,\"broker\":3,\"block_start\":\"5000\","
			       "\"block_end\":\"5999\"}");
	int32_t b;
	int64_t st, en;
	char err[128];
	CU_ASSERT_EQUAL(sm_zk_producer_id_block_decode(s, strlen(s), &b, &st, &en, err,
						       sizeof(err)), SM_ERR_NONE);
	CU_ASSERT(b == 3 && st == 5000 && en == 5999);
	free(s);
	const char *bad[] = { "", "[]", "{\"block_start\":\"x\",\"block_end\":\"1\"}",
			      "{\"block_start\":\"10\",\"block_end\":\"9\"}",
			      "{\"block_start\":\"-5\",\"block_end\":\"9\"}",
			      "{\"block_start\":\"1\",\"block_end\":\"99999999999999999999\"}",
			      "{\"broker\":\"x\",\"block_start\":\"0\",\"block_end\":\"9\"}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(sm_zk_producer_id_block_decode(bad[i], strlen(bad[i]), &b, &st, &en,
							       err, sizeof(err)), SM_ERR__PARSE);
}

/* InitProducerId codec: every version round-trips; v3+ carries the
 * producer id and epoch, v2+ is flexible; truncated input fails. */
static void test_init_producer_id_codec(void)
{
	for (int16_t ver = 0; ver <= 4; ver++) {
		sm_init_producer_id_req_t req, got;
		sm_init_producer_id_req_init(&req);
		req.transactional_id = ver % 2 ? "txn" : NULL;
		req.transaction_timeout_ms = 60000;
		req.producer_id = 77;
		req.producer_epoch = 3;
		sm_wbuf_t w;
		sm_wbuf_init(&w, 64);
		sm_init_producer_id_req_write(&w, ver, &req);
		size_t want = (ver >= 2 ? 1 : 2) + (req.transactional_id ? 3 : 0) + 4 +
			      (ver >= 3 ? 10 : 0) + (ver >= 2 ? 1 : 0);
		CU_ASSERT_EQUAL(w.len, want);
		sm_arena_t a;
		sm_arena_init(&a);
		sm_rbuf_t rb;
		sm_rbuf_init(&rb, w.p, w.len);
		CU_ASSERT_EQUAL_FATAL(sm_init_producer_id_req_read(&rb, ver, &a, &got), 0);
		CU_ASSERT((got.transactional_id == NULL) == (req.transactional_id == NULL));
		CU_ASSERT_EQUAL(got.transaction_timeout_ms, 60000);
		CU_ASSERT_EQUAL(got.producer_id, ver >= 3 ? 77 : -1);
		CU_ASSERT_EQUAL(got.producer_epoch, ver >= 3 ? 3 : -1);
		sm_rbuf_init(&rb, w.p, w.len - 1);
		CU_ASSERT_EQUAL(sm_init_producer_id_req_read(&rb, ver, &a, &got), -1);
		sm_init_producer_id_resp_t resp = { 0, 15, -1, -1 }, rgot;
		sm_wbuf_reset(&w);
		sm_init_producer_id_resp_write(&w, ver, &resp);
		CU_ASSERT_EQUAL(w.len, (size_t)(16 + (ver >= 2)));
		sm_rbuf_init(&rb, w.p, w.len);
		CU_ASSERT_EQUAL(sm_init_producer_id_resp_read(&rb, ver, &a, &rgot), 0);
		CU_ASSERT(rgot.error_code == 15 && rgot.producer_id == -1 && rgot.producer_epoch == -1);
		sm_arena_destroy(&a);
		sm_wbuf_free(&w);
	}
}

static const lf_test_t tests[] = {
	{ "sequence rules, duplicates, epochs, wrap, expiry", test_sequence_rules },
	{ "coordinator origin: epoch only", test_coordinator_origin },
	{ "snapshot format byte-exact, round trip, damage", test_snapshot_format },
	{ "log: roll snapshots, recovery, truncation, follower", test_log_recovery },
	{ "log: snapshots deleted with their segments", test_snapshots_follow_segments },
	{ "log: LSO, end markers, fencing, .txnindex, recovery", test_txn_lso_and_index },
	{ "producer id block JSON", test_pid_block_json },
	{ "InitProducerId codec, versions 0-4", test_init_producer_id_codec },
};

int main(void)
{
	return lf_run("/tmp/samsa-test-ps", "producer_state", tests,
		      sizeof(tests) / sizeof(tests[0]));
}
