/*
 * log_fixture.h - the shared fixture of the log unit programs (test_log,
 * test_log_retention, test_log_move, test_producer_state, test_log_cleaner):
 * a per-process temporary root under /tmp with directories below it removed
 * and recreated per test, hand-built v2 record batches, the small log
 * configuration that makes a few batches roll a segment, and main's run of
 * a table of tests. tests/unit/cluster/test_replication uses the root and
 * the run too.
 *
 * Everything is static (inline) so each program gets its own copy and a
 * program that does not use a helper compiles without an unused warning.
 */
#ifndef SM_TEST_LOG_FIXTURE_H
#define SM_TEST_LOG_FIXTURE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "buf.h"
#include "clock.h"
#include "crc32c.h"
#include "log.h"

/* The program's temporary root, set by lf_root_create. */
static char test_root[256] __attribute__((unused));

static inline int lf_rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes path and everything below it; 0, or -1 when something stayed. */
static inline int lf_rmtree(const char *path)
{
	return nftw(path, lf_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* test_root = "<prefix>-<pid>", emptied of a previous run's leftovers and
 * created. */
static inline void lf_root_create(const char *prefix)
{
	snprintf(test_root, sizeof(test_root), "%s-%d", prefix, (int)getpid());
	lf_rmtree(test_root);
	mkdir(test_root, 0755);
}

/* out = test_root/name, with whatever a previous test left there removed
 * (the log creates the directory itself). */
static inline void lf_tmpdir(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", test_root, name);
	lf_rmtree(out);
}

/* Number of entries of dir whose name ends with suffix. */
static inline int lf_count_suffix(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	size_t sl = strlen(suffix);
	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len >= sl && !strcmp(de->d_name + len - sl, suffix))
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* What lf_make_batch writes: records uncompressed records, record i at
 * offset delta i with timestamp delta i * ts_step, a null key and the value
 * value/value_len; the batch header's first and max timestamps, producer
 * fields and attributes as given. */
typedef struct lf_batch {
	int records;
	int64_t first_ts, max_ts;
	int ts_step;
	int16_t attributes;
	int64_t producer_id;
	int16_t producer_epoch;
	int32_t base_sequence;
	const uint8_t *value;
	size_t value_len;
} lf_batch_t;

/* A batch without a producer: producer id -1, epoch -1, sequence -1. */
#define LF_BATCH(n, first, max, step, v, vlen)                                             \
	((lf_batch_t){ .records = (n), .first_ts = (first), .max_ts = (max), .ts_step = (step), \
		       .producer_id = -1, .producer_epoch = -1, .base_sequence = -1,        \
		       .value = (v), .value_len = (vlen) })

/* The v2 batch b (base offset 0, length and CRC filled in), malloc'ed;
 * *lenp its size. */
static inline uint8_t *lf_make_batch(const lf_batch_t *b, size_t *lenp)
{
	sm_wbuf_t w;
	sm_wbuf_init(&w, 256);
	sm_wbuf_i64(&w, 0);
	sm_wbuf_i32(&w, 0);
	sm_wbuf_i32(&w, -1);
	sm_wbuf_i8(&w, 2);
	sm_wbuf_u32(&w, 0);
	sm_wbuf_i16(&w, b->attributes);
	sm_wbuf_i32(&w, b->records - 1);
	sm_wbuf_i64(&w, b->first_ts);
	sm_wbuf_i64(&w, b->max_ts);
	sm_wbuf_i64(&w, b->producer_id);
	sm_wbuf_i16(&w, b->producer_epoch);
	sm_wbuf_i32(&w, b->base_sequence);
	sm_wbuf_i32(&w, b->records);
	for (int i = 0; i < b->records; i++) {
		sm_wbuf_t r;
		sm_wbuf_init(&r, 64 + b->value_len);
		sm_wbuf_i8(&r, 0);
		sm_wbuf_varlong(&r, (int64_t)i * b->ts_step);
		sm_wbuf_varint(&r, i);
		sm_wbuf_varint(&r, -1);
		sm_wbuf_varint(&r, (int32_t)b->value_len);
		sm_wbuf_append(&r, b->value, b->value_len);
		sm_wbuf_varint(&r, 0);
		sm_wbuf_varint(&w, (int32_t)r.len);
		sm_wbuf_append(&w, r.p, r.len);
		sm_wbuf_free(&r);
	}
	sm_put_be32(w.p + 8, (uint32_t)(w.len - 12));
	sm_put_be32(w.p + 17, sm_crc32c(0, w.p + 21, w.len - 21));
	*lenp = w.len;
	return w.p;
}

/* Defaults with small segments: segment_bytes and index_interval_bytes as
 * the test needs them, a 4 KiB index. */
static inline void lf_small_config(sm_log_config_t *cfg, int64_t segment_bytes,
				   int32_t index_interval_bytes)
{
	sm_log_config_defaults(cfg);
	cfg->segment_bytes = segment_bytes;
	cfg->segment_index_bytes = 4096;
	cfg->index_interval_bytes = index_interval_bytes;
}

/* One CUnit test of a program's table. */
typedef struct lf_test {
	const char *name;
	void (*fn)(void);
} lf_test_t;

/* The program: creates test_root ("<root_prefix>-<pid>"), runs the tests
 * as one verbose suite, removes test_root; 0 when every test passed. */
static inline int lf_run(const char *root_prefix, const char *suite, const lf_test_t *tests,
			 size_t n)
{
	lf_root_create(root_prefix);
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite(suite, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		CU_add_test(s, tests[i].name, tests[i].fn);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	lf_rmtree(test_root);
	return failed ? 1 : 0;
}

#endif /* SM_TEST_LOG_FIXTURE_H */
