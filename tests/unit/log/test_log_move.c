/*
 * test_log_move.c - unit tests for moving a replica between log dirs
 * (AlterReplicaLogDirs): the copy into a future log and the swap in log.c,
 * the log manager's future logs (errors, preferred dirs, the mover pass,
 * DescribeLogDirs' view) and a restart in the middle of a move.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <CUnit/Basic.h>
#include <dirent.h>
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
#include "log_manager.h"

/* An empty directory test_root/name. */
static void tmpdir(char *out, size_t size, const char *name)
{
	lf_tmpdir(out, size, name);
	mkdir(out, 0755);
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* A v2 batch of n 40-byte records whose first value byte is tag. */
static uint8_t *make_batch(int n, char tag, size_t *lenp)
{
	uint8_t v[40];
	memset(v, 'v', sizeof(v));
	v[0] = (uint8_t)tag;
	lf_batch_t b = LF_BATCH(n, 1000, 1000, 0, v, sizeof(v));
	return lf_make_batch(&b, lenp);
}

static void append(sm_log_t *log, int batches)
{
	for (int i = 0; i < batches; i++) {
		size_t len;
		uint8_t *b = make_batch(3, (char)('a' + i % 26), &len);
		CU_ASSERT_EQUAL(sm_log_append_leader(log, b, len, 0, 1000, NULL), SM_ERR_NONE);
		free(b);
	}
}

/* Every offset from 0 to the log end can be read back. */
static void check_readable(sm_log_t *log)
{
	int64_t leo = sm_log_end_offset(log), off = 0;
	while (off < leo) {
		sm_log_read_t rd;
		CU_ASSERT_EQUAL_FATAL(sm_log_read(log, off, 1, 1, INT64_MAX, &rd), SM_ERR_NONE);
		CU_ASSERT_FATAL(rd.file != NULL && rd.len >= 61);
		uint8_t hdr[61];
		CU_ASSERT_EQUAL_FATAL(pread(rd.file->fd, hdr, sizeof(hdr), rd.pos), (ssize_t)sizeof(hdr));
		int64_t base = (int64_t)sm_be64(hdr);
		CU_ASSERT_EQUAL(base, off);
		off = base + (int32_t)sm_be32(hdr + 23) + 1;
		sm_fileref_release(rd.file);
	}
	CU_ASSERT_EQUAL(off, leo);
}

/* Both logs hold the same batches (headers: offsets, lengths, CRCs). */
static int same_batches(sm_log_t *x, sm_log_t *y)
{
	int64_t leo = sm_log_end_offset(x), off = 0;
	if (sm_log_end_offset(y) != leo)
		return 0;
	while (off < leo) {
		uint8_t hx[61], hy[61];
		sm_log_read_t rx, ry;
		if (sm_log_read(x, off, 1, 1, INT64_MAX, &rx) || sm_log_read(y, off, 1, 1, INT64_MAX, &ry))
			return 0;
		int ok = rx.file && ry.file && pread(rx.file->fd, hx, 61, rx.pos) == 61 &&
			 pread(ry.file->fd, hy, 61, ry.pos) == 61 && !memcmp(hx, hy, 12) &&
			 !memcmp(hx + 17, hy + 17, 10);
		sm_fileref_release(rx.file);
		sm_fileref_release(ry.file);
		if (!ok)
			return 0;
		off = (int64_t)sm_be64(hx) + (int32_t)sm_be32(hx + 23) + 1;
	}
	return 1;
}

static void test_copy_and_swap(void)
{
	char a[512], b[512], cur_dir[600], fut_dir[600], final_dir[600], del_dir[600];
	sm_log_config_t cfg;
	sm_log_t *log, *fut;
	tmpdir(a, sizeof(a), "cs-a");
	tmpdir(b, sizeof(b), "cs-b");
	snprintf(cur_dir, sizeof(cur_dir), "%s/mv-0", a);
	snprintf(fut_dir, sizeof(fut_dir), "%s/mv-0.00ff-future", b);
	snprintf(final_dir, sizeof(final_dir), "%s/mv-0", b);
	snprintf(del_dir, sizeof(del_dir), "%s/mv-0.00ee-delete", a);
	lf_small_config(&cfg, 600, 100); /* a few batches a segment */
	CU_ASSERT_EQUAL_FATAL(sm_log_open(cur_dir, "mv", 0, &cfg, 0, -1, 1, &log), SM_ERR_NONE);
	append(log, 20);
	CU_ASSERT_FATAL(sm_log_segment_count(log) > 3);
	CU_ASSERT_EQUAL_FATAL(sm_log_open(fut_dir, "mv", 0, &cfg, 0, 0, 1, &fut), SM_ERR_NONE);
	/* one batch a step (max_bytes 1), appends go on in between */
	int64_t copied;
	int steps = 0;
	do {
		CU_ASSERT_EQUAL_FATAL(sm_log_copy_to(log, fut, 1, &copied), SM_ERR_NONE);
		if (steps++ == 5)
			append(log, 4);
	} while (copied);
	CU_ASSERT_EQUAL(steps, 25); /* 24 batches and the step that finds none */
	CU_ASSERT_EQUAL(sm_log_end_offset(fut), sm_log_end_offset(log));
	append(log, 3); /* behind again: the swap copies the rest itself */
	int64_t leo = sm_log_end_offset(log);
	CU_ASSERT_EQUAL(leo, 27 * 3);
	sm_log_set_high_watermark(log, leo);
	CU_ASSERT_EQUAL_FATAL(sm_log_swap_future(log, fut, final_dir, del_dir), SM_ERR_NONE);
	sm_log_release(fut);
	CU_ASSERT_STRING_EQUAL(sm_log_dir(log), final_dir);
	CU_ASSERT_EQUAL(sm_log_end_offset(log), leo);
	CU_ASSERT_EQUAL(sm_log_high_watermark(log), leo);
	CU_ASSERT(!exists(fut_dir));
	CU_ASSERT(!exists(cur_dir));
	CU_ASSERT(exists(del_dir)); /* the caller removes it */
	CU_ASSERT(lf_count_suffix(final_dir, ".log") == sm_log_segment_count(log));
	check_readable(log);
	/* appends after the swap go to the new dir */
	append(log, 5);
	CU_ASSERT_EQUAL(sm_log_end_offset(log), leo + 15);
	check_readable(log);
	sm_log_close(log);
	sm_log_release(log);
	/* and the files reload as the log */
	CU_ASSERT_EQUAL_FATAL(sm_log_open(final_dir, "mv", 0, &cfg, 0, -1, 1, &log), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_end_offset(log), leo + 15);
	check_readable(log);
	sm_log_release(log);
}

/* The copy follows a current log truncated below it. */
static void test_copy_follows_truncation(void)
{
	char a[512], d1[600], d2[600];
	sm_log_config_t cfg;
	sm_log_t *log, *fut;
	tmpdir(a, sizeof(a), "tr");
	snprintf(d1, sizeof(d1), "%s/tr-0", a);
	snprintf(d2, sizeof(d2), "%s/tr-0.01-future", a);
	lf_small_config(&cfg, 600, 100); /* a few batches a segment */
	CU_ASSERT_EQUAL_FATAL(sm_log_open(d1, "tr", 0, &cfg, 0, -1, 1, &log), SM_ERR_NONE);
	CU_ASSERT_EQUAL_FATAL(sm_log_open(d2, "tr", 0, &cfg, 0, 0, 1, &fut), SM_ERR_NONE);
	append(log, 10);
	int64_t copied;
	do {
		CU_ASSERT_EQUAL_FATAL(sm_log_copy_to(log, fut, 1 << 20, &copied), SM_ERR_NONE);
	} while (copied);
	CU_ASSERT_EQUAL(sm_log_end_offset(fut), 30);
	CU_ASSERT_EQUAL(sm_log_truncate_to(log, 12), SM_ERR_NONE);
	append(log, 2);
	do {
		CU_ASSERT_EQUAL_FATAL(sm_log_copy_to(log, fut, 1 << 20, &copied), SM_ERR_NONE);
	} while (copied);
	CU_ASSERT_EQUAL(sm_log_end_offset(fut), 18);
	check_readable(fut);
	CU_ASSERT(same_batches(log, fut));
	/* truncated and written past the copy again: the copy notices the
	 * batches differ and starts over */
	CU_ASSERT_EQUAL(sm_log_truncate_to(log, 9), SM_ERR_NONE);
	for (int i = 0; i < 12; i++) {
		size_t len;
		uint8_t *bt = make_batch(3, 'Z', &len);
		CU_ASSERT_EQUAL(sm_log_append_leader(log, bt, len, 1, 2000, NULL), SM_ERR_NONE);
		free(bt);
	}
	CU_ASSERT_EQUAL(sm_log_end_offset(log), 45);
	do {
		CU_ASSERT_EQUAL_FATAL(sm_log_copy_to(log, fut, 1 << 20, &copied), SM_ERR_NONE);
	} while (copied);
	CU_ASSERT_EQUAL(sm_log_end_offset(fut), 45);
	check_readable(fut);
	CU_ASSERT(same_batches(log, fut));
	sm_log_release(fut);
	sm_log_release(log);
}

static sm_log_manager_t *manager(const char *a, const char *b)
{
	const char *dirs[2] = { a, b };
	sm_log_config_t cfg;
	lf_small_config(&cfg, 600, 100); /* a few batches a segment */
	sm_log_manager_t *lm = sm_log_manager_new(dirs, 2, &cfg);
	CU_ASSERT_EQUAL_FATAL(sm_log_manager_startup(lm, "cluster", 1), SM_ERR_NONE);
	return lm;
}

static int in_dir(sm_log_manager_t *lm, int dir, const char *topic)
{
	sm_log_t **logs;
	int n = sm_log_manager_list_dir(lm, dir, &logs), found = 0;
	for (int i = 0; i < n; i++) {
		found |= !strcmp(sm_log_topic(logs[i]), topic);
		sm_log_release(logs[i]);
	}
	free(logs);
	return found;
}

static int run_moves(sm_log_manager_t *lm)
{
	int progress, left, passes = 0;
	do {
		left = sm_log_manager_move_once(lm, &progress);
		passes++;
	} while (left && progress && passes < 100000);
	return left;
}

static void test_manager_move(void)
{
	char a[512], b[512], rel[64];
	tmpdir(a, sizeof(a), "lm-a");
	tmpdir(b, sizeof(b), "lm-b");
	sm_log_manager_t *lm = manager(a, b);
	sm_log_t *log = sm_log_manager_get_or_create(lm, "mt", 0, NULL);
	CU_ASSERT_FATAL(log != NULL);
	append(log, 12);
	int src = in_dir(lm, 0, "mt") ? 0 : 1, dst = 1 - src;
	const char *dst_path = sm_log_manager_dir_path(lm, dst);
	/* Kafka's errors */
	snprintf(rel, sizeof(rel), "lm-b");
	CU_ASSERT_EQUAL(sm_log_manager_alter_dir(lm, "mt", 0, rel), SM_ERR_LOG_DIR_NOT_FOUND);
	CU_ASSERT_EQUAL(sm_log_manager_alter_dir(lm, "mt", 0, "/nonexistent/dir"),
			SM_ERR_LOG_DIR_NOT_FOUND);
	CU_ASSERT_EQUAL(sm_log_manager_alter_dir(lm, "bad/name", 0, dst_path),
			SM_ERR_INVALID_TOPIC_EXCEPTION);
	/* not hosted: remembered, and the log is created there later */
	CU_ASSERT_EQUAL(sm_log_manager_alter_dir(lm, "later", 2, sm_log_manager_dir_path(lm, src)),
			SM_ERR_REPLICA_NOT_AVAILABLE);
	sm_log_t *later = sm_log_manager_get_or_create(lm, "later", 2, NULL);
	CU_ASSERT_FATAL(later != NULL);
	CU_ASSERT(in_dir(lm, src, "later"));
	sm_log_release(later);
	/* already there: nothing to do */
	CU_ASSERT_EQUAL(sm_log_manager_alter_dir(lm, "mt", 0, sm_log_manager_dir_path(lm, src)),
			SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_manager_future_count(lm), 0);
	/* a trailing slash names the same dir */
	char slash[600];
	snprintf(slash, sizeof(slash), "%s/", dst_path);
	CU_ASSERT_EQUAL(sm_log_manager_alter_dir(lm, "mt", 0, slash), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_manager_alter_dir(lm, "mt", 0, dst_path), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_manager_future_count(lm), 1);
	CU_ASSERT_EQUAL(lf_count_suffix(dst_path, "-future"), 1);
	/* no cleaning of a moving log (Kafka's abortAndPauseCleaning) */
	CU_ASSERT(sm_log_cleaning_paused(log));
	sm_log_t **futs;
	int64_t *lags;
	CU_ASSERT_EQUAL(sm_log_manager_list_future_dir(lm, dst, &futs, &lags), 1);
	CU_ASSERT_EQUAL(lags[0], 36);
	sm_log_release(futs[0]);
	free(futs);
	free(lags);
	CU_ASSERT_EQUAL(run_moves(lm), 0);
	CU_ASSERT_EQUAL(sm_log_manager_future_count(lm), 0);
	CU_ASSERT(!sm_log_cleaning_paused(log));
	CU_ASSERT(in_dir(lm, dst, "mt"));
	CU_ASSERT(!in_dir(lm, src, "mt"));
	CU_ASSERT_EQUAL(lf_count_suffix(dst_path, "-future"), 0);
	CU_ASSERT_EQUAL(lf_count_suffix(sm_log_manager_dir_path(lm, src), "-delete"), 0);
	char path[600];
	snprintf(path, sizeof(path), "%s/mt-0", sm_log_manager_dir_path(lm, src));
	CU_ASSERT(!exists(path));
	/* the same log object goes on */
	CU_ASSERT_EQUAL(sm_log_end_offset(log), 36);
	append(log, 1);
	check_readable(log);
	/* moving back and cancelling: a move to the current dir drops the future */
	CU_ASSERT_EQUAL(sm_log_manager_alter_dir(lm, "mt", 0, sm_log_manager_dir_path(lm, src)),
			SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_manager_future_count(lm), 1);
	CU_ASSERT(sm_log_cleaning_paused(log));
	CU_ASSERT_EQUAL(sm_log_manager_alter_dir(lm, "mt", 0, dst_path), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_manager_future_count(lm), 0);
	CU_ASSERT(!sm_log_cleaning_paused(log));
	CU_ASSERT_EQUAL(lf_count_suffix(sm_log_manager_dir_path(lm, src), "-future"), 0);
	/* an offline dir: no future log anywhere */
	sm_log_manager_fail_dir(lm, src);
	sm_log_manager_run_once(lm, 0, 0);
	CU_ASSERT_EQUAL(sm_log_manager_alter_dir(lm, "mt", 0, sm_log_manager_dir_path(lm, src)),
			SM_ERR_KAFKA_STORAGE_ERROR);
	sm_log_release(log);
	sm_log_manager_shutdown(lm);
	sm_log_manager_destroy(lm);
}

/* A crash in the middle of a move: the future dir is resumed at startup
 * and the move finishes with every offset; a future dir without its
 * current log (a crash between the swap's renames) becomes the log. */
static void test_restart_mid_move(void)
{
	char a[512], b[512];
	tmpdir(a, sizeof(a), "rs-a");
	tmpdir(b, sizeof(b), "rs-b");
	sm_log_manager_t *lm = manager(a, b);
	sm_log_t *log = sm_log_manager_get_or_create(lm, "rs", 0, NULL);
	CU_ASSERT_FATAL(log != NULL);
	append(log, 15);
	int src = in_dir(lm, 0, "rs") ? 0 : 1, dst = 1 - src;
	sm_log_manager_set_move_options(lm, 1, NULL, NULL);
	CU_ASSERT_EQUAL(sm_log_manager_alter_dir(lm, "rs", 0, sm_log_manager_dir_path(lm, dst)),
			SM_ERR_NONE);
	int progress;
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(sm_log_manager_move_once(lm, &progress), 1);
	sm_log_flush(log);
	sm_log_release(log);
	sm_log_manager_destroy(lm); /* no shutdown: a crash */

	lm = manager(a, b);
	CU_ASSERT_EQUAL(sm_log_manager_future_count(lm), 1);
	CU_ASSERT_EQUAL(run_moves(lm), 0);
	CU_ASSERT(in_dir(lm, dst, "rs"));
	CU_ASSERT(!in_dir(lm, src, "rs"));
	log = sm_log_manager_get(lm, "rs", 0);
	CU_ASSERT_FATAL(log != NULL);
	CU_ASSERT_EQUAL(sm_log_end_offset(log), 45);
	check_readable(log);
	/* a lone future dir is promoted */
	char lone[600];
	snprintf(lone, sizeof(lone), "%s/lone-1.0123-future", sm_log_manager_dir_path(lm, src));
	sm_log_config_t cfg;
	lf_small_config(&cfg, 600, 100); /* a few batches a segment */
	sm_log_t *f;
	CU_ASSERT_EQUAL_FATAL(sm_log_open(lone, "lone", 1, &cfg, 0, -1, 1, &f), SM_ERR_NONE);
	append(f, 2);
	sm_log_close(f);
	sm_log_release(f);
	sm_log_release(log);
	sm_log_manager_shutdown(lm);
	sm_log_manager_destroy(lm);
	lm = manager(a, b);
	CU_ASSERT_EQUAL(sm_log_manager_future_count(lm), 0);
	CU_ASSERT(in_dir(lm, src, "lone"));
	log = sm_log_manager_get(lm, "lone", 1);
	CU_ASSERT_FATAL(log != NULL);
	CU_ASSERT_EQUAL(sm_log_end_offset(log), 6);
	sm_log_release(log);
	sm_log_manager_shutdown(lm);
	sm_log_manager_destroy(lm);
}

static const lf_test_t tests[] = {
	{ "copy into a future log and swap it in", test_copy_and_swap },
	{ "the copy follows truncation", test_copy_follows_truncation },
	{ "log manager: errors, preferred dir, move, cancel", test_manager_move },
	{ "restart in the middle of a move", test_restart_mid_move },
};

int main(void)
{
	return lf_run("/tmp/samsa-test-logmove", "log_move", tests,
		      sizeof(tests) / sizeof(tests[0]));
}
