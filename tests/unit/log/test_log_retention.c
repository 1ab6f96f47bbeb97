/*
 * test_log_retention.c - unit tests for retention (time, size, log start
 * offset), DeleteRecords on the log, asynchronous .deleted file removal,
 * flush.ms, and log dir failure handling in the log manager.
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
#include "checkpoint.h"
#include "crc32c.h"
#include "log.h"
#include "log_fixture.h"
#include "log_manager.h"
#include "log_segment.h"

/* One 5-record batch (about 650 bytes) per segment. */
#define SEGMENT_BYTES 1200

/* Appends a v2 batch of records uncompressed 100-byte records with
 * timestamp ts. */
static sm_err_t append(sm_log_t *log, int records, int64_t ts)
{
	uint8_t v[100];
	memset(v, 'v', sizeof(v));
	lf_batch_t lb = LF_BATCH(records, ts, ts, 0, v, sizeof(v));
	size_t len;
	uint8_t *b = lf_make_batch(&lb, &len);
	sm_err_t err = sm_log_append_leader(log, b, len, 0, ts, NULL);
	free(b);
	return err;
}

static void test_retention_time(void)
{
	char dir[512];
	sm_log_config_t cfg;
	sm_log_t *log;
	int64_t now = sm_clock_wall_ms(), old = now - 10 * 3600 * 1000;
	lf_tmpdir(dir, sizeof(dir), "rt-0");
	lf_small_config(&cfg, SEGMENT_BYTES, 300);
	cfg.retention_ms = 3600 * 1000;
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "rt", 0, &cfg, 0, -1, 1, &log), SM_ERR_NONE);
	for (int i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(append(log, 5, old), SM_ERR_NONE);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(append(log, 5, now), SM_ERR_NONE);
	int before = sm_log_segment_count(log);
	CU_ASSERT(before >= 4);
	sm_log_set_high_watermark(log, sm_log_end_offset(log)); /* all replicated */
	/* only the old segments go: the recent ones are within retention */
	int n = sm_log_delete_old_segments(log, now);
	CU_ASSERT_EQUAL(n, 6); /* one 5-record batch per segment */
	CU_ASSERT_EQUAL(sm_log_start_offset(log), 30);
	CU_ASSERT_EQUAL(sm_log_first_segment_base(log), 30);
	CU_ASSERT_EQUAL(lf_count_suffix(dir, ".log.deleted"), 6);
	CU_ASSERT_EQUAL(lf_count_suffix(dir, ".index.deleted"), 6);
	CU_ASSERT_EQUAL(lf_count_suffix(dir, ".timeindex.deleted"), 6);
	sm_log_read_t rd;
	CU_ASSERT_EQUAL(sm_log_read(log, 29, 1 << 20, 1, INT64_MAX, &rd),
			SM_ERR_OFFSET_OUT_OF_RANGE);
	CU_ASSERT_EQUAL(sm_log_read(log, 30, 1 << 20, 1, INT64_MAX, &rd), SM_ERR_NONE);
	CU_ASSERT(rd.len > 0);
	sm_fileref_release(rd.file);
	/* files stay until file.delete.delay.ms (60 s by default) has passed */
	sm_log_delete_pending(log, now, 0);
	CU_ASSERT_EQUAL(sm_log_pending_deletes(log), 6);
	sm_log_delete_pending(log, now + 120000, 0);
	CU_ASSERT_EQUAL(sm_log_pending_deletes(log), 0);
	CU_ASSERT_EQUAL(lf_count_suffix(dir, ".deleted"), 0);
	/* everything expired: the active segment is rolled and deleted too */
	n = sm_log_delete_old_segments(log, now + 2 * 3600 * 1000);
	CU_ASSERT(n >= 2);
	CU_ASSERT_EQUAL(sm_log_segment_count(log), 1);
	CU_ASSERT_EQUAL(sm_log_start_offset(log), 50);
	CU_ASSERT_EQUAL(sm_log_end_offset(log), 50);
	CU_ASSERT_EQUAL(append(log, 1, now), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_end_offset(log), 51);
	/* an empty active segment is never deleted */
	CU_ASSERT_EQUAL(sm_log_delete_old_segments(log, now), 0);
	sm_log_close(log);
	sm_log_release(log);
	CU_ASSERT_EQUAL(lf_count_suffix(dir, ".deleted"), 0);
}

static void test_retention_size(void)
{
	char dir[512];
	sm_log_config_t cfg;
	sm_log_t *log;
	int64_t now = sm_clock_wall_ms();
	lf_tmpdir(dir, sizeof(dir), "rs-0");
	lf_small_config(&cfg, SEGMENT_BYTES, 300);
	cfg.file_delete_delay_ms = 0;
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "rs", 0, &cfg, 0, -1, 1, &log), SM_ERR_NONE);
	for (int i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(append(log, 5, now), SM_ERR_NONE);
	int64_t size = sm_log_size_bytes(log);
	int segs = sm_log_segment_count(log);
	sm_log_set_high_watermark(log, sm_log_end_offset(log));
	CU_ASSERT_EQUAL(sm_log_delete_old_segments(log, now), 0); /* unlimited */
	cfg.retention_bytes = size / 2;
	sm_log_set_config(log, &cfg);
	int n = sm_log_delete_old_segments(log, now);
	CU_ASSERT(n > 0);
	CU_ASSERT_EQUAL(sm_log_segment_count(log), segs - n);
	CU_ASSERT(sm_log_size_bytes(log) <= size / 2 + 1200);
	CU_ASSERT(sm_log_size_bytes(log) >= size / 2);
	CU_ASSERT_EQUAL(sm_log_start_offset(log), sm_log_first_segment_base(log));
	CU_ASSERT(sm_log_start_offset(log) > 0);
	sm_log_delete_pending(log, sm_clock_wall_ms(), 0); /* delay 0: gone now */
	CU_ASSERT_EQUAL(lf_count_suffix(dir, ".deleted"), 0);
	sm_log_close(log);
	sm_log_release(log);
}

static void test_delete_records(void)
{
	char dir[512];
	sm_log_config_t cfg;
	sm_log_t *log;
	int64_t now = sm_clock_wall_ms(), low = -1, off = -1, ts;
	lf_tmpdir(dir, sizeof(dir), "dr-0");
	lf_small_config(&cfg, SEGMENT_BYTES, 300);
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "dr", 0, &cfg, 0, -1, 1, &log), SM_ERR_NONE);
	for (int i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(append(log, 5, now), SM_ERR_NONE);
	/* never past the high watermark (Kafka's maybeIncrementLogStartOffset) */
	CU_ASSERT_EQUAL(sm_log_delete_records(log, 1, &low), SM_ERR_OFFSET_OUT_OF_RANGE);
	CU_ASSERT_EQUAL(sm_log_start_offset(log), 0);
	sm_log_set_high_watermark(log, sm_log_end_offset(log));
	CU_ASSERT_EQUAL(sm_log_delete_records(log, 41, &low), SM_ERR_OFFSET_OUT_OF_RANGE);
	CU_ASSERT_EQUAL(sm_log_delete_records(log, 12, &low), SM_ERR_NONE);
	CU_ASSERT_EQUAL(low, 12);
	CU_ASSERT_EQUAL(sm_log_start_offset(log), 12);
	CU_ASSERT_EQUAL(sm_log_first_segment_base(log), 10); /* 10..19 still holds 12 */
	CU_ASSERT_EQUAL(sm_log_delete_records(log, 3, &low), SM_ERR_NONE); /* never lowers */
	CU_ASSERT_EQUAL(low, 12);
	sm_log_read_t rd;
	CU_ASSERT_EQUAL(sm_log_read(log, 11, 1 << 20, 1, INT64_MAX, &rd),
			SM_ERR_OFFSET_OUT_OF_RANGE);
	CU_ASSERT_EQUAL(sm_log_offset_for_timestamp(log, SM_LOG_EARLIEST_TIMESTAMP, &off, &ts),
			SM_ERR_NONE);
	CU_ASSERT_EQUAL(off, 12);
	CU_ASSERT_EQUAL(sm_log_delete_records(log, 40, &low), SM_ERR_NONE);
	CU_ASSERT_EQUAL(low, 40);
	CU_ASSERT_EQUAL(sm_log_segment_count(log), 1);
	CU_ASSERT_EQUAL(append(log, 1, now), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_end_offset(log), 41);
	sm_log_close(log);
	sm_log_release(log);
}

/* Kafka's deletableSegments: retention only takes segments wholly below the
 * high watermark (next segment's base, or the log end for the active one). */
static void test_retention_waits_for_hw(void)
{
	char dir[512];
	sm_log_config_t cfg;
	sm_log_t *log;
	int64_t now = sm_clock_wall_ms(), old = now - 10 * 3600 * 1000;
	lf_tmpdir(dir, sizeof(dir), "hw-0");
	lf_small_config(&cfg, SEGMENT_BYTES, 300);
	cfg.retention_ms = 3600 * 1000;
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "hw", 0, &cfg, 0, -1, 1, &log), SM_ERR_NONE);
	for (int i = 0; i < 6; i++) /* segments 0, 5, .., 25, all expired */
		CU_ASSERT_EQUAL(append(log, 5, old), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_segment_count(log), 6);
	/* HW not set yet: it is the log start offset, nothing goes */
	CU_ASSERT_EQUAL(sm_log_high_watermark(log), 0);
	CU_ASSERT_EQUAL(sm_log_delete_old_segments(log, now), 0);
	/* cleanup.policy=compact alone: retention.ms does not apply */
	sm_log_set_high_watermark(log, 30);
	cfg.cleanup_delete = 0;
	cfg.cleanup_compact = 1;
	sm_log_set_config(log, &cfg);
	CU_ASSERT_EQUAL(sm_log_delete_old_segments(log, now), 0);
	cfg.cleanup_delete = 1;
	cfg.cleanup_compact = 0;
	sm_log_set_config(log, &cfg);
	/* HW 12 lies in segment 10: only 0 and 5 are wholly below it */
	sm_log_set_high_watermark(log, 12);
	CU_ASSERT_EQUAL(sm_log_delete_old_segments(log, now), 2);
	CU_ASSERT_EQUAL(sm_log_start_offset(log), 10);
	/* HW exactly at a segment's base: the one before it may go */
	sm_log_set_high_watermark(log, 15);
	CU_ASSERT_EQUAL(sm_log_delete_old_segments(log, now), 1);
	CU_ASSERT_EQUAL(sm_log_start_offset(log), 15);
	/* HW below the log end: the active segment (25) stays */
	sm_log_set_high_watermark(log, 29);
	CU_ASSERT_EQUAL(sm_log_delete_old_segments(log, now), 2);
	CU_ASSERT_EQUAL(sm_log_start_offset(log), 25);
	CU_ASSERT_EQUAL(sm_log_segment_count(log), 1);
	/* HW at the log end: the active segment is rolled and deleted */
	sm_log_set_high_watermark(log, 30);
	CU_ASSERT_EQUAL(sm_log_delete_old_segments(log, now), 1);
	CU_ASSERT_EQUAL(sm_log_start_offset(log), 30);
	CU_ASSERT_EQUAL(sm_log_end_offset(log), 30);

	/* retention.bytes waits for the HW the same way */
	for (int i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(append(log, 5, now), SM_ERR_NONE);
	cfg.retention_ms = -1;
	cfg.retention_bytes = 1;
	sm_log_set_config(log, &cfg);
	CU_ASSERT_EQUAL(sm_log_delete_old_segments(log, now), 0); /* HW still 30 */
	sm_log_set_high_watermark(log, 45);
	CU_ASSERT_EQUAL(sm_log_delete_old_segments(log, now), 3);
	CU_ASSERT_EQUAL(sm_log_start_offset(log), 45);

	/* the HW is bounded by the log end and lowered by truncation */
	sm_log_set_high_watermark(log, 1000);
	CU_ASSERT_EQUAL(sm_log_high_watermark(log), 60);
	CU_ASSERT_EQUAL(sm_log_truncate_to(log, 55), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_high_watermark(log), 55);
	sm_log_close(log);
	sm_log_release(log);
}

static void test_deleted_files_removed_on_open(void)
{
	char dir[512], path[700];
	sm_log_config_t cfg;
	sm_log_t *log;
	lf_tmpdir(dir, sizeof(dir), "do-0");
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/00000000000000000000.log.deleted", dir);
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("junk", f);
	fclose(f);
	lf_small_config(&cfg, SEGMENT_BYTES, 300);
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "do", 0, &cfg, 0, -1, 0, &log), SM_ERR_NONE);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	sm_log_close(log);
	sm_log_release(log);
}

static void test_flush_ms(void)
{
	char dir[512];
	sm_log_config_t cfg;
	sm_log_t *log;
	int64_t now = sm_clock_wall_ms();
	lf_tmpdir(dir, sizeof(dir), "fl-0");
	lf_small_config(&cfg, SEGMENT_BYTES, 300);
	cfg.segment_bytes = 1 << 20;
	cfg.flush_ms = 1000;
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "fl", 0, &cfg, 0, -1, 1, &log), SM_ERR_NONE);
	CU_ASSERT_EQUAL(append(log, 5, now), SM_ERR_NONE);
	CU_ASSERT_EQUAL(append(log, 5, now), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_recovery_point(log), 0);
	CU_ASSERT_EQUAL(sm_log_flush_if_due(log, now), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_recovery_point(log), 0);
	CU_ASSERT_EQUAL(sm_log_flush_if_due(log, now + 5000), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_recovery_point(log), 10);
	sm_log_close(log);
	sm_log_release(log);
}

static void test_manager_retention_and_failure(void)
{
	char d1[512], d2[512], path[700];
	const char *dirs[2] = { d1, d2 };
	sm_log_config_t cfg;
	int64_t now = sm_clock_wall_ms();
	lf_tmpdir(d1, sizeof(d1), "lm-a");
	lf_tmpdir(d2, sizeof(d2), "lm-b");
	lf_small_config(&cfg, SEGMENT_BYTES, 300);
	sm_log_manager_t *lm = sm_log_manager_new(dirs, 2, &cfg);
	CU_ASSERT_EQUAL_FATAL(sm_log_manager_startup(lm, "cid", 1), SM_ERR_NONE);
	sm_log_t *a = sm_log_manager_get_or_create(lm, "t", 0, NULL);
	sm_log_t *b = sm_log_manager_get_or_create(lm, "t", 1, NULL);
	sm_log_t *c = sm_log_manager_get_or_create(lm, "t", 2, NULL);
	CU_ASSERT_FATAL(a && b && c);
	/* fewest partitions first: 0 -> d1, 1 -> d2, 2 -> d1 */
	CU_ASSERT_EQUAL(strncmp(sm_log_dir(a), d1, strlen(d1)), 0);
	CU_ASSERT_EQUAL(strncmp(sm_log_dir(b), d2, strlen(d2)), 0);
	CU_ASSERT_EQUAL(strncmp(sm_log_dir(c), d1, strlen(d1)), 0);
	sm_log_t **logs;
	int n = sm_log_manager_list_dir(lm, 0, &logs);
	CU_ASSERT_EQUAL(n, 2);
	for (int i = 0; i < n; i++)
		sm_log_release(logs[i]);
	free(logs);

	/* DeleteRecords, then the scheduler pass checkpoints the start offset */
	for (int i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(append(a, 5, now), SM_ERR_NONE);
	sm_log_set_high_watermark(a, sm_log_end_offset(a));
	CU_ASSERT_EQUAL(sm_log_delete_records(a, 22, NULL), SM_ERR_NONE);
	sm_log_manager_run_once(lm, now, 1);
	sm_log_manager_checkpoint(lm);
	sm_checkpoint_t cp;
	snprintf(path, sizeof(path), "%s/log-start-offset-checkpoint", d1);
	CU_ASSERT_EQUAL(sm_checkpoint_read(path, &cp), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_checkpoint_get(&cp, "t", 0, -1), 22);
	CU_ASSERT_EQUAL(cp.cnt, 1); /* t-2 starts at its first segment: not listed */
	sm_checkpoint_clear(&cp);

	/* a partition dir that vanishes makes the roll fail: d1 goes offline */
	lf_rmtree(sm_log_dir(c));
	sm_err_t err = SM_ERR_NONE;
	for (int i = 0; i < 5 && !err; i++)
		err = append(c, 5, now);
	CU_ASSERT_EQUAL(err, SM_ERR_KAFKA_STORAGE_ERROR);
	CU_ASSERT(sm_log_is_offline(c));
	sm_log_manager_run_once(lm, now, 0);
	CU_ASSERT(sm_log_manager_dir_offline(lm, 0));
	CU_ASSERT(!sm_log_manager_dir_offline(lm, 1));
	CU_ASSERT(sm_log_is_offline(a));
	CU_ASSERT_EQUAL(append(a, 1, now), SM_ERR_KAFKA_STORAGE_ERROR);
	sm_log_read_t rd;
	CU_ASSERT_EQUAL(sm_log_read(a, 22, 1000, 1, INT64_MAX, &rd), SM_ERR_KAFKA_STORAGE_ERROR);
	/* the other dir keeps serving, and new logs go there */
	CU_ASSERT_EQUAL(append(b, 5, now), SM_ERR_NONE);
	sm_log_t *d = sm_log_manager_get_or_create(lm, "t", 3, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(strncmp(sm_log_dir(d), d2, strlen(d2)), 0);
	sm_log_release(a);
	sm_log_release(b);
	sm_log_release(c);
	sm_log_release(d);
	sm_log_manager_shutdown(lm);
	sm_log_manager_destroy(lm);
	/* no clean-shutdown marker for the failed dir: it is recovered next time */
	snprintf(path, sizeof(path), "%s/.kafka_cleanshutdown", d1);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/.kafka_cleanshutdown", d2);
	CU_ASSERT_EQUAL(access(path, F_OK), 0);
}

static void test_manager_scheduler_thread(void)
{
	char d1[512];
	const char *dirs[1] = { d1 };
	sm_log_config_t cfg;
	lf_tmpdir(d1, sizeof(d1), "sch");
	lf_small_config(&cfg, SEGMENT_BYTES, 300);
	cfg.retention_ms = 1000;
	cfg.file_delete_delay_ms = 0;
	sm_log_manager_t *lm = sm_log_manager_new(dirs, 1, &cfg);
	CU_ASSERT_EQUAL_FATAL(sm_log_manager_startup(lm, "cid", 1), SM_ERR_NONE);
	sm_log_t *a = sm_log_manager_get_or_create(lm, "s", 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(append(a, 5, sm_clock_wall_ms() - 5000), SM_ERR_NONE);
	sm_log_set_high_watermark(a, sm_log_end_offset(a));
	sm_log_manager_start_scheduler(lm, 50, 0, NULL, NULL);
	for (int i = 0; i < 100 && sm_log_start_offset(a) < 20; i++)
		usleep(20000);
	CU_ASSERT_EQUAL(sm_log_start_offset(a), 20);
	for (int i = 0; i < 100 && lf_count_suffix(sm_log_dir(a), ".deleted") > 0; i++)
		usleep(20000);
	CU_ASSERT_EQUAL(lf_count_suffix(sm_log_dir(a), ".deleted"), 0);
	sm_log_release(a);
	sm_log_manager_shutdown(lm);
	sm_log_manager_destroy(lm);
}

static const lf_test_t tests[] = {
	{ "retention by time, .deleted files and their delay", test_retention_time },
	{ "retention by size", test_retention_size },
	{ "DeleteRecords moves the log start offset", test_delete_records },
	{ "retention waits for the high watermark", test_retention_waits_for_hw },
	{ ".deleted files removed at load", test_deleted_files_removed_on_open },
	{ "flush.ms", test_flush_ms },
	{ "log manager: dirs, start checkpoint, dir failure", test_manager_retention_and_failure },
	{ "kafka-scheduler thread enforces retention", test_manager_scheduler_thread },
};

int main(void)
{
	return lf_run("/tmp/samsa-test-logret", "log retention", tests,
		      sizeof(tests) / sizeof(tests[0]));
}
