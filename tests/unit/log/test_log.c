/*
 * test_log.c - unit tests for the log storage engine: offset/time indexes,
 * segments, the partition log (append, read, roll, recovery, truncation,
 * timestamps) and the log manager (meta.properties, checkpoints, clean and
 * unclean restarts).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <CUnit/Basic.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "checkpoint.h"
#include "crc32c.h"
#include "log.h"
#include "log_fixture.h"
#include "log_manager.h"
#include "log_segment.h"
#include "logger.h"

/* A v2 batch of n uncompressed records, timestamps base_ts + i, values of
 * vlen letters. */
static uint8_t *make_batch(int n, int64_t base_ts, size_t vlen, size_t *lenp)
{
	uint8_t *v = malloc(vlen ? vlen : 1);
	for (size_t k = 0; k < vlen; k++)
		v[k] = (uint8_t)('a' + k % 26);
	lf_batch_t b = LF_BATCH(n, base_ts, base_ts + n - 1, 1, v, vlen);
	uint8_t *p = lf_make_batch(&b, lenp);
	free(v);
	return p;
}

static sm_err_t append_n(sm_log_t *log, int records, int64_t ts, size_t vlen,
			 sm_log_append_info_t *info)
{
	size_t len;
	uint8_t *b = make_batch(records, ts, vlen, &len);
	sm_err_t err = sm_log_append_leader(log, b, len, 5, ts, info);
	free(b);
	return err;
}

/* Reads the whole returned range and checks it is whole batches starting at
 * the batch that holds offset. Returns the number of batches. */
static int check_read(sm_log_read_t *rd, int64_t offset)
{
	uint8_t *buf = sm_malloc(rd->len ? rd->len : 1);
	CU_ASSERT_EQUAL_FATAL(pread(rd->file->fd, buf, rd->len, rd->pos), (ssize_t)rd->len);
	size_t pos = 0;
	int n = 0;
	while (pos < rd->len) {
		sm_seg_batch_t bi;
		CU_ASSERT_PTR_NULL_FATAL(sm_seg_batch_parse(buf + pos, rd->len - pos, 1, &bi));
		if (n == 0) {
			CU_ASSERT(bi.base_offset <= offset && offset <= bi.last_offset);
		}
		pos += (size_t)bi.size;
		n++;
	}
	CU_ASSERT_EQUAL(pos, rd->len);
	free(buf);
	return n;
}

static void test_append_read(void)
{
	char dir[512];
	sm_log_config_t cfg;
	sm_log_t *log;
	lf_tmpdir(dir, sizeof(dir), "ar-0");
	lf_small_config(&cfg, 4000, 300);
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "ar", 0, &cfg, 0, -1, 1, &log), SM_ERR_NONE);
	for (int i = 0; i < 200; i++) {
		sm_log_append_info_t info;
		CU_ASSERT_EQUAL_FATAL(append_n(log, 3, 1000 + i * 10, 20, &info), SM_ERR_NONE);
		CU_ASSERT_EQUAL(info.base_offset, i * 3);
		CU_ASSERT_EQUAL(info.last_offset, i * 3 + 2);
		CU_ASSERT_EQUAL(info.log_append_time, -1);
	}
	CU_ASSERT_EQUAL(sm_log_end_offset(log), 600);
	CU_ASSERT(sm_log_segment_count(log) > 3);
	for (int64_t off = 0; off < 600; off++) {
		sm_log_read_t rd;
		CU_ASSERT_EQUAL_FATAL(sm_log_read(log, off, 1 << 20, 1, INT64_MAX, &rd), SM_ERR_NONE);
		CU_ASSERT_PTR_NOT_NULL_FATAL(rd.file);
		CU_ASSERT(check_read(&rd, off) >= 1);
		CU_ASSERT_EQUAL(rd.log_end_offset, 600);
		sm_fileref_release(rd.file);
	}
	sm_log_read_t rd;
	/* max_bytes smaller than one batch: nothing, unless min_one_batch. */
	CU_ASSERT_EQUAL(sm_log_read(log, 301, 10, 0, INT64_MAX, &rd), SM_ERR_NONE);
	CU_ASSERT_EQUAL(rd.len, 0);
	CU_ASSERT_EQUAL(sm_log_read(log, 301, 10, 1, INT64_MAX, &rd), SM_ERR_NONE);
	CU_ASSERT_EQUAL(check_read(&rd, 301), 1);
	size_t one = rd.len;
	sm_fileref_release(rd.file);
	CU_ASSERT_EQUAL(sm_log_read(log, 300, (int32_t)(one * 2 + 1), 0, INT64_MAX, &rd), 0);
	CU_ASSERT_EQUAL(check_read(&rd, 300), 2);
	sm_fileref_release(rd.file);
	/* max_offset: only batches whose last offset is below it. */
	CU_ASSERT_EQUAL(sm_log_read(log, 300, 1 << 20, 1, 306, &rd), 0);
	CU_ASSERT_EQUAL(check_read(&rd, 300), 2);
	sm_fileref_release(rd.file);
	CU_ASSERT_EQUAL(sm_log_read(log, 300, 1 << 20, 1, 302, &rd), 0);
	CU_ASSERT_EQUAL(rd.len, 0);
	CU_ASSERT_PTR_NULL(rd.file);
	/* end of log: empty; beyond: out of range */
	CU_ASSERT_EQUAL(sm_log_read(log, 600, 1000, 1, INT64_MAX, &rd), SM_ERR_NONE);
	CU_ASSERT_EQUAL(rd.len, 0);
	CU_ASSERT_EQUAL(sm_log_read(log, 601, 1000, 1, INT64_MAX, &rd), SM_ERR_OFFSET_OUT_OF_RANGE);
	CU_ASSERT_EQUAL(sm_log_read(log, -1, 1000, 1, INT64_MAX, &rd), SM_ERR_OFFSET_OUT_OF_RANGE);
	sm_log_close(log);
	sm_log_release(log);
}

/* Reads a whole small file. */
static uint8_t *slurp(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *buf = sm_malloc(1 << 20);
	*lenp = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static void test_segment_files(void)
{
	char dir[512], path[700];
	sm_log_config_t cfg;
	sm_log_t *log;
	lf_tmpdir(dir, sizeof(dir), "files-3");
	lf_small_config(&cfg, 4000, 300);
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "files", 3, &cfg, 0, -1, 1, &log), SM_ERR_NONE);
	for (int i = 0; i < 60; i++)
		CU_ASSERT_EQUAL_FATAL(append_n(log, 2, 5000 + i, 30, NULL), SM_ERR_NONE);
	snprintf(path, sizeof(path), "%s/00000000000000000000.log", dir);
	CU_ASSERT_EQUAL(access(path, F_OK), 0);
	/* The active index is preallocated to segment.index.bytes. */
	int nseg = sm_log_segment_count(log);
	CU_ASSERT_FATAL(nseg >= 2);
	sm_log_close(log);
	sm_log_release(log);

	size_t llen = 0, ilen = 0, tlen = 0;
	snprintf(path, sizeof(path), "%s/00000000000000000000.log", dir);
	uint8_t *lg = slurp(path, &llen);
	snprintf(path, sizeof(path), "%s/00000000000000000000.index", dir);
	uint8_t *ix = slurp(path, &ilen);
	snprintf(path, sizeof(path), "%s/00000000000000000000.timeindex", dir);
	uint8_t *tx = slurp(path, &tlen);
	CU_ASSERT_FATAL(lg && ix && tx);
	CU_ASSERT(llen <= 4000);
	CU_ASSERT(ilen > 0 && ilen % 8 == 0);
	CU_ASSERT(tlen > 0 && tlen % 12 == 0);
	/* Every offset-index entry points at the batch ending at that offset. */
	for (size_t e = 0; e < ilen; e += 8) {
		uint32_t rel = sm_be32(ix + e), pos = sm_be32(ix + e + 4);
		sm_seg_batch_t bi;
		CU_ASSERT_FATAL(pos < llen);
		CU_ASSERT_PTR_NULL(sm_seg_batch_parse(lg + pos, llen - pos, 1, &bi));
		CU_ASSERT_EQUAL(bi.last_offset, (int64_t)rel);
	}
	/* Time-index: increasing; last entry is the segment's max timestamp. */
	int64_t prev = -1, last_off = 0, last_ts = 0;
	for (size_t e = 0; e < tlen; e += 12) {
		last_ts = (int64_t)sm_be64(tx + e);
		last_off = sm_be32(tx + e + 8);
		CU_ASSERT(last_ts > prev);
		prev = last_ts;
	}
	/* Scan the segment to find its last batch. */
	size_t pos = 0;
	sm_seg_batch_t bi = {0};
	while (pos < llen && !sm_seg_batch_parse(lg + pos, llen - pos, 1, &bi))
		pos += (size_t)bi.size;
	CU_ASSERT_EQUAL(pos, llen);
	CU_ASSERT_EQUAL(last_ts, bi.max_timestamp);
	CU_ASSERT_EQUAL(last_off, bi.last_offset);
	snprintf(path, sizeof(path), "%s/%020lld.log", dir, (long long)bi.last_offset + 1);
	CU_ASSERT_EQUAL(access(path, F_OK), 0);
	free(lg);
	free(ix);
	free(tx);
}

static void test_roll_full_index(void)
{
	char dir[512];
	sm_log_config_t cfg;
	sm_log_t *log;
	lf_tmpdir(dir, sizeof(dir), "full-0");
	sm_log_config_defaults(&cfg);
	cfg.segment_index_bytes = 36; /* 4 offset entries, 3 time entries */
	cfg.index_interval_bytes = 1;
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "full", 0, &cfg, 0, -1, 1, &log), SM_ERR_NONE);
	for (int i = 0; i < 12; i++)
		CU_ASSERT_EQUAL_FATAL(append_n(log, 1, 100 + i, 5, NULL), SM_ERR_NONE);
	/* time index holds 2 usable entries: a segment takes 3 batches. */
	CU_ASSERT_EQUAL(sm_log_segment_count(log), 4);
	char path[700];
	snprintf(path, sizeof(path), "%s/00000000000000000003.log", dir);
	CU_ASSERT_EQUAL(access(path, F_OK), 0);
	struct stat st;
	snprintf(path, sizeof(path), "%s/00000000000000000000.index", dir);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_size, 16); /* trimmed to its 2 entries */
	snprintf(path, sizeof(path), "%s/00000000000000000009.index", dir);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_size, 32); /* active: preallocated */
	sm_log_close(log);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_size, 16); /* trimmed on close */
	sm_log_release(log);
}

static void test_roll_time_and_timestamps(void)
{
	char dir[512];
	sm_log_config_t cfg;
	sm_log_t *log;
	lf_tmpdir(dir, sizeof(dir), "ts-0");
	sm_log_config_defaults(&cfg);
	cfg.segment_ms = 1000;
	cfg.index_interval_bytes = 1;
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "ts", 0, &cfg, 0, -1, 1, &log), SM_ERR_NONE);
	/* batch i holds 4 records with timestamps 10000 + 400*i + 0..3 */
	for (int i = 0; i < 10; i++)
		CU_ASSERT_EQUAL_FATAL(append_n(log, 4, 10000 + 400 * i, 8, NULL), SM_ERR_NONE);
	/* segment.ms = 1000 against record timestamps: 3 batches per segment */
	CU_ASSERT_EQUAL(sm_log_segment_count(log), 4);
	int64_t off, ts;
	CU_ASSERT_EQUAL(sm_log_offset_for_timestamp(log, 10802, &off, &ts), SM_ERR_NONE);
	CU_ASSERT_EQUAL(off, 10);
	CU_ASSERT_EQUAL(ts, 10802);
	CU_ASSERT_EQUAL(sm_log_offset_for_timestamp(log, 10404, &off, &ts), SM_ERR_NONE);
	CU_ASSERT_EQUAL(off, 8);
	CU_ASSERT_EQUAL(ts, 10800);
	CU_ASSERT_EQUAL(sm_log_offset_for_timestamp(log, 0, &off, &ts), SM_ERR_NONE);
	CU_ASSERT_EQUAL(off, 0);
	CU_ASSERT_EQUAL(sm_log_offset_for_timestamp(log, 99999, &off, &ts), SM_ERR__NOENT);
	CU_ASSERT_EQUAL(sm_log_offset_for_timestamp(log, SM_LOG_LATEST_TIMESTAMP, &off, &ts), 0);
	CU_ASSERT_EQUAL(off, 40);
	sm_log_close(log);
	sm_log_release(log);
}

/* max.compaction.lag.ms rolls a compacted log's active segment like a
 * shorter segment.ms (Kafka's LogConfig.maxSegmentMs), and only a compacted
 * one. */
static void test_roll_max_compaction_lag(void)
{
	char dir[512];
	sm_log_config_t cfg;
	sm_log_t *log;
	for (int compact = 0; compact <= 1; compact++) {
		lf_tmpdir(dir, sizeof(dir), "maxlag-0");
		sm_log_config_defaults(&cfg);
		cfg.cleanup_compact = compact;
		cfg.max_compaction_lag_ms = 1000;
		CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "maxlag", 0, &cfg, 0, -1, 1, &log),
				      SM_ERR_NONE);
		for (int i = 0; i < 10; i++)
			CU_ASSERT_EQUAL_FATAL(append_n(log, 4, 10000 + 400 * i, 8, NULL),
					      SM_ERR_NONE);
		/* as segment.ms = 1000 in test_roll_time_and_timestamps */
		CU_ASSERT_EQUAL(sm_log_segment_count(log), compact ? 4 : 1);
		sm_log_close(log);
		sm_log_release(log);
	}
}

static int64_t seg_file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

/* Bytes of whole valid batches at the start of the file. */
static int64_t valid_bytes(const char *path)
{
	size_t len = 0, pos = 0;
	uint8_t *p = slurp(path, &len);
	sm_seg_batch_t bi;
	while (p && pos < len && !sm_seg_batch_parse(p + pos, len - pos, 1, &bi))
		pos += (size_t)bi.size;
	free(p);
	return (int64_t)pos;
}

/* preallocate: the active segment file has segment.bytes from its creation,
 * a rolled or closed segment is cut to its data, and a log whose active file
 * still has its zero tail (a crash) recovers to its last whole batch. */
static void test_preallocate(void)
{
	char dir[512], p0[700], p1[700];
	sm_log_config_t cfg;
	sm_log_t *log;
	lf_tmpdir(dir, sizeof(dir), "prealloc-0");
	lf_small_config(&cfg, 4000, 300);
	cfg.preallocate = 1;
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "prealloc", 0, &cfg, 0, -1, 1, &log), SM_ERR_NONE);
	snprintf(p0, sizeof(p0), "%s/00000000000000000000.log", dir);
	CU_ASSERT_EQUAL(seg_file_size(p0), 4000);
	CU_ASSERT_EQUAL(sm_log_size_bytes(log), 0);
	/* a crash with the empty preallocated segment */
	sm_log_release(log);
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "prealloc", 0, &cfg, 0, -1, 0, &log), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_end_offset(log), 0);
	for (int i = 0; i < 30; i++)
		CU_ASSERT_EQUAL_FATAL(append_n(log, 2, 5000 + i, 30, NULL), SM_ERR_NONE);
	CU_ASSERT_FATAL(sm_log_segment_count(log) >= 2);
	int64_t leo = sm_log_end_offset(log), size = sm_log_size_bytes(log);
	/* the first segment was rolled: cut to its batches */
	CU_ASSERT(seg_file_size(p0) > 0 && seg_file_size(p0) < 4000);
	CU_ASSERT_EQUAL(seg_file_size(p0), valid_bytes(p0));
	int64_t rp = sm_log_recovery_point(log);
	CU_ASSERT(rp > 0 && rp < leo);
	snprintf(p1, sizeof(p1), "%s/%020lld.log", dir, (long long)rp);
	CU_ASSERT_EQUAL(seg_file_size(p1), 4000);
	CU_ASSERT(valid_bytes(p1) > 0 && valid_bytes(p1) < 4000);
	sm_log_read_t rd;
	CU_ASSERT_EQUAL_FATAL(sm_log_read(log, rp, 1 << 20, 1, INT64_MAX, &rd), SM_ERR_NONE);
	CU_ASSERT_EQUAL(rd.len, (size_t)valid_bytes(p1)); /* never the zero tail */
	check_read(&rd, rp);
	sm_fileref_release(rd.file);
	/* kill -9: no flush, no trim; recovery from the recovery point */
	sm_log_release(log);
	CU_ASSERT_EQUAL(seg_file_size(p1), 4000);
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "prealloc", 0, &cfg, rp, -1, 0, &log), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_end_offset(log), leo);
	CU_ASSERT_EQUAL(sm_log_size_bytes(log), size);
	CU_ASSERT_EQUAL(seg_file_size(p1), valid_bytes(p1));
	CU_ASSERT_EQUAL(append_n(log, 2, 6000, 30, NULL), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_end_offset(log), leo + 2);
	for (int64_t off = 0; off < leo + 2; off++) {
		CU_ASSERT_EQUAL_FATAL(sm_log_read(log, off, 1 << 20, 1, INT64_MAX, &rd),
				      SM_ERR_NONE);
		CU_ASSERT(rd.len > 0);
		check_read(&rd, off);
		sm_fileref_release(rd.file);
	}
	/* a clean close trims the active segment too */
	for (int i = 0; i < 100 && sm_log_segment_count(log) < 4; i++)
		CU_ASSERT_EQUAL_FATAL(append_n(log, 2, 7000 + i, 30, NULL), SM_ERR_NONE);
	int nseg = sm_log_segment_count(log);
	CU_ASSERT(nseg >= 4);
	sm_log_close(log);
	sm_log_release(log);
	DIR *d = opendir(dir);
	struct dirent *de;
	int logs = 0;
	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n < 4 || strcmp(de->d_name + n - 4, ".log"))
			continue;
		char path[1200];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		CU_ASSERT_EQUAL(seg_file_size(path), valid_bytes(path));
		logs++;
	}
	if (d)
		closedir(d);
	CU_ASSERT_EQUAL(logs, nseg);
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "prealloc", 0, &cfg, 0, -1, 1, &log), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_segment_count(log), nseg);
	sm_log_close(log);
	sm_log_release(log);
}

/* A roll with a roll hook that queues the flush leaves the recovery point
 * alone; sm_log_flush_rolled then moves it to the newest roll's base
 * offset, never past the log end after a truncation; a hook that declines
 * (no scheduler running) has the roll flush at once, as without a hook. */
static int roll_calls, roll_queues;

static int roll_hook(void *opaque, sm_log_t *log)
{
	(void)opaque;
	(void)log;
	roll_calls++;
	return roll_queues;
}

static void test_roll_flush_deferred(void)
{
	char dir[512];
	sm_log_config_t cfg;
	sm_log_t *log;
	lf_tmpdir(dir, sizeof(dir), "rollflush-0");
	lf_small_config(&cfg, 4000, 300);
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "rollflush", 0, &cfg, 0, -1, 1, &log), SM_ERR_NONE);
	roll_calls = 0;
	roll_queues = 1;
	sm_log_set_roll_handler(log, roll_hook, NULL);
	for (int i = 0; i < 100 && sm_log_segment_count(log) < 3; i++)
		CU_ASSERT_EQUAL_FATAL(append_n(log, 2, 5000 + i, 30, NULL), SM_ERR_NONE);
	CU_ASSERT_FATAL(sm_log_segment_count(log) >= 3);
	CU_ASSERT_EQUAL(roll_calls, sm_log_segment_count(log) - 1);
	CU_ASSERT_EQUAL(sm_log_recovery_point(log), 0);
	int64_t leo = sm_log_end_offset(log);
	CU_ASSERT_EQUAL(sm_log_flush_rolled(log), SM_ERR_NONE);
	int64_t rp = sm_log_recovery_point(log);
	CU_ASSERT(rp > 0 && rp < leo);
	/* rp is the active segment's base: a read there starts a segment */
	sm_log_read_t rd;
	CU_ASSERT_EQUAL_FATAL(sm_log_read(log, rp, 1 << 20, 1, INT64_MAX, &rd), SM_ERR_NONE);
	CU_ASSERT_EQUAL(rd.pos, 0);
	sm_fileref_release(rd.file);
	/* nothing rolled since: nothing to do */
	CU_ASSERT_EQUAL(append_n(log, 2, 6000, 30, NULL), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_flush_rolled(log), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_recovery_point(log), rp);
	/* roll again, then truncate below that roll before the flush runs */
	int64_t segs = sm_log_segment_count(log);
	for (int i = 0; i < 100 && sm_log_segment_count(log) == segs; i++)
		CU_ASSERT_EQUAL_FATAL(append_n(log, 2, 6100 + i, 30, NULL), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_recovery_point(log), rp);
	CU_ASSERT_EQUAL(sm_log_truncate_to(log, rp + 1), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_flush_rolled(log), SM_ERR_NONE);
	CU_ASSERT(sm_log_recovery_point(log) <= sm_log_end_offset(log));
	CU_ASSERT(sm_log_recovery_point(log) >= rp);
	/* a declining hook: the roll flushes at once */
	roll_queues = 0;
	segs = sm_log_segment_count(log);
	for (int i = 0; i < 100 && sm_log_segment_count(log) == segs; i++)
		CU_ASSERT_EQUAL_FATAL(append_n(log, 2, 7000 + i, 30, NULL), SM_ERR_NONE);
	CU_ASSERT(sm_log_recovery_point(log) > rp);
	CU_ASSERT_EQUAL(sm_log_flush_rolled(log), SM_ERR_NONE);
	sm_log_close(log);
	sm_log_release(log);
}

static void test_log_append_time_and_follower(void)
{
	char dir[512];
	sm_log_config_t cfg;
	sm_log_t *log;
	lf_tmpdir(dir, sizeof(dir), "lat-0");
	sm_log_config_defaults(&cfg);
	cfg.message_timestamp_type = SM_LOG_TIMESTAMP_LOG_APPEND_TIME;
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "lat", 0, &cfg, 0, -1, 1, &log), SM_ERR_NONE);
	size_t len;
	uint8_t *b = make_batch(2, 50, 4, &len);
	sm_log_append_info_t info;
	CU_ASSERT_EQUAL(sm_log_append_leader(log, b, len, 7, 123456, &info), SM_ERR_NONE);
	CU_ASSERT_EQUAL(info.log_append_time, 123456);
	sm_seg_batch_t bi;
	CU_ASSERT_PTR_NULL(sm_seg_batch_parse(b, len, 1, &bi)); /* CRC recomputed */
	CU_ASSERT_EQUAL(bi.max_timestamp, 123456);
	CU_ASSERT(bi.attributes & 0x08);
	CU_ASSERT_EQUAL(sm_be32(b + 12), 7);
	free(b);
	/* Follower: offsets must continue at the log end. */
	b = make_batch(3, 60, 4, &len);
	CU_ASSERT_EQUAL(sm_log_append_follower(log, b, len, 0, NULL), SM_ERR_OFFSET_OUT_OF_RANGE);
	sm_put_be64(b, 2);
	sm_put_be32(b + 17, sm_crc32c(0, b + 21, len - 21)); /* crc excludes the offset anyway */
	CU_ASSERT_EQUAL(sm_log_append_follower(log, b, len, 0, &info), SM_ERR_NONE);
	CU_ASSERT_EQUAL(info.last_offset, 4);
	sm_put_be64(b, 5);
	b[30] ^= 1; /* corrupt */
	CU_ASSERT_EQUAL(sm_log_append_follower(log, b, len, 0, NULL), SM_ERR_CORRUPT_MESSAGE);
	CU_ASSERT_EQUAL(sm_log_end_offset(log), 5);
	/* truncation */
	CU_ASSERT_EQUAL(sm_log_truncate_to(log, 3), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_end_offset(log), 2); /* cut at the start of batch 2..4 */
	CU_ASSERT_EQUAL(append_n(log, 1, 70, 4, &info), SM_ERR_NONE);
	CU_ASSERT_EQUAL(info.base_offset, 2);
	free(b);
	sm_log_close(log);
	sm_log_release(log);
}

static sm_log_manager_t *start_lm(const char *d1, const char *d2, const char *cluster,
				  sm_err_t *errp)
{
	const char *dirs[2] = {d1, d2};
	sm_log_config_t cfg;
	lf_small_config(&cfg, 4000, 300);
	sm_log_manager_t *lm = sm_log_manager_new(dirs, d2 ? 2 : 1, &cfg);
	*errp = sm_log_manager_startup(lm, cluster, 1);
	return lm;
}

static char *read_text(const char *path)
{
	size_t n = 0;
	uint8_t *b = slurp(path, &n);
	if (!b)
		return NULL;
	b[n] = 0;
	return (char *)b;
}

/* Several threads creating overlapping sets of logs at once (the log
 * manager drops its lock while it creates one): each partition is created
 * once, every caller gets that log, and the logs spread over both dirs. */
#define CC_THREADS 4
#define CC_PARTS 48
typedef struct cc_arg {
	sm_log_manager_t *lm;
	int first;
	sm_log_t *got[CC_PARTS];
} cc_arg_t;

static void *cc_main(void *arg)
{
	cc_arg_t *a = arg;
	for (int i = 0; i < CC_PARTS; i++) {
		int part = (a->first + i) % CC_PARTS;
		a->got[part] = sm_log_manager_get_or_create(a->lm, "concurrent", part, NULL);
	}
	return NULL;
}

static void test_manager_concurrent_create(void)
{
	char d1[512], d2[512];
	sm_err_t err;
	lf_tmpdir(d1, sizeof(d1), "lm-cc-a");
	lf_tmpdir(d2, sizeof(d2), "lm-cc-b");
	sm_log_manager_t *lm = start_lm(d1, d2, "Wq4Wm2dZR1i3F0c8xZ1HkA", &err);
	CU_ASSERT_EQUAL_FATAL(err, SM_ERR_NONE);
	cc_arg_t args[CC_THREADS];
	pthread_t th[CC_THREADS];
	for (int t = 0; t < CC_THREADS; t++) {
		memset(&args[t], 0, sizeof(args[t]));
		args[t].lm = lm;
		args[t].first = t * CC_PARTS / CC_THREADS / 2; /* overlapping orders */
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[t], NULL, cc_main, &args[t]), 0);
	}
	for (int t = 0; t < CC_THREADS; t++)
		pthread_join(th[t], NULL);
	int in_d1 = 0;
	for (int i = 0; i < CC_PARTS; i++) {
		sm_log_t *log = args[0].got[i];
		CU_ASSERT_PTR_NOT_NULL_FATAL(log);
		for (int t = 1; t < CC_THREADS; t++)
			CU_ASSERT_PTR_EQUAL(args[t].got[i], log);
		in_d1 += !strncmp(sm_log_dir(log), d1, strlen(d1)) && sm_log_dir(log)[strlen(d1)] == '/';
		CU_ASSERT_EQUAL(append_n(log, 1, 1000 + i, 10, NULL), SM_ERR_NONE);
	}
	CU_ASSERT_EQUAL(in_d1, CC_PARTS / 2);
	for (int t = 0; t < CC_THREADS; t++)
		for (int i = 0; i < CC_PARTS; i++)
			sm_log_release(args[t].got[i]);
	sm_log_manager_shutdown(lm);
	sm_log_manager_destroy(lm);
}

static void test_manager_clean_restart(void)
{
	char d1[512], d2[512], path[700];
	sm_err_t err;
	lf_tmpdir(d1, sizeof(d1), "lm-a");
	lf_tmpdir(d2, sizeof(d2), "lm-b");
	sm_log_manager_t *lm = start_lm(d1, d2, "Wq4Wm2dZR1i3F0c8xZ1HkA", &err);
	CU_ASSERT_EQUAL_FATAL(err, SM_ERR_NONE);
	sm_log_t *a = sm_log_manager_get_or_create(lm, "my-topic", 0, NULL);
	sm_log_t *b = sm_log_manager_get_or_create(lm, "my-topic", 1, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_STRING_NOT_EQUAL(sm_log_dir(a), sm_log_dir(b)); /* spread over dirs */
	CU_ASSERT_PTR_NULL(sm_log_manager_get_or_create(lm, "../evil", 0, NULL));
	for (int i = 0; i < 40; i++) {
		CU_ASSERT_EQUAL(append_n(a, 2, 1000 + i, 40, NULL), SM_ERR_NONE);
		CU_ASSERT_EQUAL(append_n(b, 1, 1000 + i, 40, NULL), SM_ERR_NONE);
	}
	sm_log_release(a);
	sm_log_release(b);
	/* A second manager cannot take the locked dirs. */
	sm_err_t err2;
	sm_log_manager_t *lm2 = start_lm(d1, NULL, NULL, &err2);
	CU_ASSERT_EQUAL(err2, SM_ERR__STATE);
	sm_log_manager_destroy(lm2);
	sm_log_manager_shutdown(lm);
	sm_log_manager_destroy(lm);

	snprintf(path, sizeof(path), "%s/.kafka_cleanshutdown", d1);
	CU_ASSERT_EQUAL(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/meta.properties", d1);
	char *meta = read_text(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(meta);
	CU_ASSERT_EQUAL(strncmp(meta, "#\n#", 3), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(meta, "\ncluster.id=Wq4Wm2dZR1i3F0c8xZ1HkA\nversion=0\nbroker.id=1\n"));
	free(meta);
	/* Each dir's recovery checkpoint lists its own partition at the log end. */
	char *c1, *c2;
	snprintf(path, sizeof(path), "%s/recovery-point-offset-checkpoint", d1);
	c1 = read_text(path);
	snprintf(path, sizeof(path), "%s/recovery-point-offset-checkpoint", d2);
	c2 = read_text(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c2);
	CU_ASSERT(!strcmp(c1, "0\n1\nmy-topic 0 80\n") || !strcmp(c2, "0\n1\nmy-topic 0 80\n"));
	CU_ASSERT(!strcmp(c1, "0\n1\nmy-topic 1 40\n") || !strcmp(c2, "0\n1\nmy-topic 1 40\n"));
	free(c1);
	free(c2);
	snprintf(path, sizeof(path), "%s/log-start-offset-checkpoint", d1);
	c1 = read_text(path);
	CU_ASSERT_STRING_EQUAL(c1 ? c1 : "", "0\n0\n");
	free(c1);

	/* Reopen: data and offsets are back; the clean-shutdown marker is consumed. */
	lm = start_lm(d1, d2, "Wq4Wm2dZR1i3F0c8xZ1HkA", &err);
	CU_ASSERT_EQUAL_FATAL(err, SM_ERR_NONE);
	snprintf(path, sizeof(path), "%s/.kafka_cleanshutdown", d1);
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
	sm_log_t **logs;
	int n = sm_log_manager_list(lm, &logs);
	CU_ASSERT_EQUAL(n, 2);
	for (int i = 0; i < n; i++)
		sm_log_release(logs[i]);
	free(logs);
	a = sm_log_manager_get(lm, "my-topic", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(sm_log_end_offset(a), 80);
	sm_log_read_t rd;
	CU_ASSERT_EQUAL(sm_log_read(a, 41, 100000, 1, INT64_MAX, &rd), SM_ERR_NONE);
	CU_ASSERT(check_read(&rd, 41) > 0);
	sm_fileref_release(rd.file);
	sm_log_append_info_t info;
	CU_ASSERT_EQUAL(append_n(a, 1, 5000, 5, &info), SM_ERR_NONE);
	CU_ASSERT_EQUAL(info.base_offset, 80);
	/* deletion renames then removes the directory */
	char adir[600];
	snprintf(adir, sizeof(adir), "%s", sm_log_dir(a));
	CU_ASSERT_EQUAL(sm_log_manager_delete(lm, "my-topic", 0), SM_ERR_NONE);
	CU_ASSERT_NOT_EQUAL(access(adir, F_OK), 0);
	CU_ASSERT_PTR_NULL(sm_log_manager_get(lm, "my-topic", 0));
	CU_ASSERT_EQUAL(sm_log_manager_delete(lm, "my-topic", 0), SM_ERR__NOENT);
	/* The in-flight reference still works for reads of already-open files. */
	CU_ASSERT_EQUAL(sm_log_end_offset(a), 81);
	sm_log_release(a);
	sm_log_manager_shutdown(lm);
	sm_log_manager_destroy(lm);
}

static void test_manager_crash_recovery(void)
{
	char d1[512], path[1200];
	sm_err_t err;
	lf_tmpdir(d1, sizeof(d1), "crash");
	sm_log_manager_t *lm = start_lm(d1, NULL, "cid", &err);
	CU_ASSERT_EQUAL_FATAL(err, SM_ERR_NONE);
	sm_log_t *log = sm_log_manager_get_or_create(lm, "orders.v2", 7, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	for (int i = 0; i < 100; i++)
		CU_ASSERT_EQUAL(append_n(log, 3, 2000 + i, 25, NULL), SM_ERR_NONE);
	int nseg = sm_log_segment_count(log);
	CU_ASSERT(nseg > 2);
	sm_log_release(log);
	/* Crash: no shutdown. */
	sm_log_manager_destroy(lm);

	char pdir[600];
	snprintf(pdir, sizeof(pdir), "%s/orders.v2-7", d1);
	/* Garbage after the last batch of the active segment. */
	DIR *dh = opendir(pdir);
	struct dirent *de;
	char last_log[300] = "";
	while ((de = readdir(dh))) {
		size_t n = strlen(de->d_name);
		if (n > 4 && !strcmp(de->d_name + n - 4, ".log") && strcmp(de->d_name, last_log) > 0)
			snprintf(last_log, sizeof(last_log), "%s", de->d_name);
		if (n > 6 && !strcmp(de->d_name + n - 6, ".index")) {
			snprintf(path, sizeof(path), "%s/%s", pdir, de->d_name);
			unlink(path);
		}
	}
	closedir(dh);
	snprintf(path, sizeof(path), "%s/%s", pdir, last_log);
	int fd = open(path, O_WRONLY | O_APPEND);
	CU_ASSERT_FATAL(fd >= 0);
	uint8_t junk[100];
	memset(junk, 0xAB, sizeof(junk));
	sm_put_be64(junk, 300);
	sm_put_be32(junk + 8, 88);
	CU_ASSERT_EQUAL(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	struct stat st0, st1;
	stat(path, &st0);

	lm = start_lm(d1, NULL, "cid", &err);
	CU_ASSERT_EQUAL_FATAL(err, SM_ERR_NONE);
	stat(path, &st1);
	CU_ASSERT_EQUAL(st1.st_size, st0.st_size - 100);
	log = sm_log_manager_get(lm, "orders.v2", 7);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(sm_log_end_offset(log), 300);
	CU_ASSERT_EQUAL(sm_log_segment_count(log), nseg);
	for (int64_t off = 0; off < 300; off += 7) {
		sm_log_read_t rd;
		CU_ASSERT_EQUAL_FATAL(sm_log_read(log, off, 200, 1, INT64_MAX, &rd), SM_ERR_NONE);
		CU_ASSERT_PTR_NOT_NULL_FATAL(rd.file);
		CU_ASSERT(check_read(&rd, off) >= 1);
		sm_fileref_release(rd.file);
	}
	/* Indexes were rebuilt with entries. */
	snprintf(path, sizeof(path), "%s/00000000000000000000.index", pdir);
	CU_ASSERT_EQUAL(stat(path, &st1), 0);
	CU_ASSERT(st1.st_size > 0 && st1.st_size % 8 == 0);
	sm_log_append_info_t info;
	CU_ASSERT_EQUAL(append_n(log, 1, 9000, 5, &info), SM_ERR_NONE);
	CU_ASSERT_EQUAL(info.base_offset, 300);
	sm_log_release(log);
	sm_log_manager_shutdown(lm);
	sm_log_manager_destroy(lm);
}

/* Fault injection for the segment write path: the first call writes half
 * of what it is given, every later call fails with ENOSPC, as a filling disk
 * does. */
static int nospace_calls;

static ssize_t pwrite_nospace(int fd, const void *buf, size_t len, off_t pos)
{
	if (nospace_calls++ == 0 && len > 1)
		return pwrite(fd, buf, len / 2, pos);
	errno = ENOSPC;
	return -1;
}

static off_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Every offset of [0, end) reads back as whole, CRC-valid batches. */
static void check_all_readable(sm_log_t *log, int64_t end)
{
	for (int64_t off = 0; off < end; off++) {
		sm_log_read_t rd;
		CU_ASSERT_EQUAL_FATAL(sm_log_read(log, off, 1 << 20, 1, INT64_MAX, &rd), SM_ERR_NONE);
		CU_ASSERT_PTR_NOT_NULL_FATAL(rd.file);
		CU_ASSERT(check_read(&rd, off) >= 1);
		sm_fileref_release(rd.file);
	}
}

static void test_no_space_rollback(void)
{
	char dir[512], seg[700];
	sm_log_config_t cfg;
	sm_log_t *log;
	sm_log_append_info_t info;
	lf_tmpdir(dir, sizeof(dir), "nospace-0");
	lf_small_config(&cfg, 4000, 300);
	cfg.segment_bytes = 1 << 20;
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "nospace", 0, &cfg, 0, -1, 1, &log), SM_ERR_NONE);
	for (int i = 0; i < 10; i++)
		CU_ASSERT_EQUAL_FATAL(append_n(log, 3, 1000 + i, 30, NULL), SM_ERR_NONE);
	snprintf(seg, sizeof(seg), "%s/00000000000000000000.log", dir);
	off_t before = file_size(seg);
	CU_ASSERT(before > 0);

	/* A write that lands half a batch and then finds no space: refused,
	 * the half batch is cut off, the log end offset stays, and the log is
	 * full, not offline. */
	nospace_calls = 0;
	sm_log_segment_pwrite_hook = pwrite_nospace;
	CU_ASSERT_EQUAL(append_n(log, 3, 2000, 30, &info), SM_ERR_KAFKA_STORAGE_ERROR);
	CU_ASSERT_EQUAL(nospace_calls, 2);
	sm_log_segment_pwrite_hook = NULL;
	CU_ASSERT_EQUAL(info.base_offset, -1);
	CU_ASSERT_EQUAL(file_size(seg), before);
	CU_ASSERT_EQUAL(sm_log_end_offset(log), 30);
	CU_ASSERT(sm_log_is_full(log));
	CU_ASSERT(!sm_log_is_offline(log));

	/* While full: appends are refused without touching the file (the hook
	 * would count a call), reads go on. */
	nospace_calls = 0;
	sm_log_segment_pwrite_hook = pwrite_nospace;
	CU_ASSERT_EQUAL(append_n(log, 1, 2001, 30, NULL), SM_ERR_KAFKA_STORAGE_ERROR);
	CU_ASSERT_EQUAL(nospace_calls, 0);
	sm_log_segment_pwrite_hook = NULL;
	check_all_readable(log, 30);

	/* Space returns: the next append takes the next offset. */
	sm_log_set_full(log, 0);
	CU_ASSERT_EQUAL(append_n(log, 3, 3000, 30, &info), SM_ERR_NONE);
	CU_ASSERT_EQUAL(info.base_offset, 30);
	CU_ASSERT_EQUAL(sm_log_end_offset(log), 33);
	check_all_readable(log, 33);
	off_t after = file_size(seg);
	sm_log_release(log);	/* a crash: no close, no flush */

	/* Recovery from offset 0 finds every batch valid: nothing to cut. */
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "nospace", 0, &cfg, 0, -1, 0, &log), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_log_end_offset(log), 33);
	CU_ASSERT_EQUAL(file_size(seg), after);
	check_all_readable(log, 33);
	sm_log_close(log);
	sm_log_release(log);
}

static ssize_t pwrite_eio(int fd, const void *buf, size_t len, off_t pos)
{
	(void)fd;
	(void)buf;
	(void)len;
	(void)pos;
	errno = EIO;
	return -1;
}

/* Any other write error keeps Kafka's rule: the log goes offline (and, in
 * the manager, its dir), never merely full. */
static void test_eio_offline(void)
{
	char d1[512];
	sm_err_t err;
	lf_tmpdir(d1, sizeof(d1), "eio");
	sm_log_manager_t *lm = start_lm(d1, NULL, "cid", &err);
	CU_ASSERT_EQUAL_FATAL(err, SM_ERR_NONE);
	sm_log_t *log = sm_log_manager_get_or_create(lm, "eio", 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(append_n(log, 2, 1000, 10, NULL), SM_ERR_NONE);
	sm_log_segment_pwrite_hook = pwrite_eio;
	CU_ASSERT_EQUAL(append_n(log, 2, 2000, 10, NULL), SM_ERR_KAFKA_STORAGE_ERROR);
	sm_log_segment_pwrite_hook = NULL;
	CU_ASSERT(sm_log_is_offline(log));
	CU_ASSERT(!sm_log_is_full(log));
	sm_log_manager_run_once(lm, 1000000, 0);
	CU_ASSERT(sm_log_manager_dir_offline(lm, 0));
	CU_ASSERT(!sm_log_manager_dir_full(lm, 0));
	sm_log_manager_run_once(lm, INT64_MAX / 2, 0); /* no probe brings it back */
	CU_ASSERT(sm_log_manager_dir_offline(lm, 0));
	CU_ASSERT_EQUAL(append_n(log, 2, 3000, 10, NULL), SM_ERR_KAFKA_STORAGE_ERROR);
	sm_log_release(log);
	sm_log_manager_shutdown(lm);
	sm_log_manager_destroy(lm);
}

/* The log manager side: a write that finds no space makes the whole dir
 * full (every log in it refuses appends, nothing goes offline), and the
 * scheduler's probe brings it back once the dir takes writes again. */
static void test_manager_dir_full(void)
{
	char d1[512];
	sm_err_t err;
	lf_tmpdir(d1, sizeof(d1), "dirfull");
	sm_log_manager_t *lm = start_lm(d1, NULL, "cid", &err);
	CU_ASSERT_EQUAL_FATAL(err, SM_ERR_NONE);
	sm_log_t *a = sm_log_manager_get_or_create(lm, "full", 0, NULL);
	sm_log_t *b = sm_log_manager_get_or_create(lm, "full", 1, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(append_n(a, 2, 1000, 10, NULL), SM_ERR_NONE);
	CU_ASSERT_EQUAL(append_n(b, 2, 1000, 10, NULL), SM_ERR_NONE);

	nospace_calls = 1; /* every write fails */
	sm_log_segment_pwrite_hook = pwrite_nospace;
	CU_ASSERT_EQUAL(append_n(a, 2, 2000, 10, NULL), SM_ERR_KAFKA_STORAGE_ERROR);
	sm_log_segment_pwrite_hook = NULL;
	int64_t now = 1000000;
	sm_log_manager_run_once(lm, now, 0);
	CU_ASSERT(sm_log_manager_dir_full(lm, 0));
	CU_ASSERT(!sm_log_manager_dir_offline(lm, 0));
	CU_ASSERT(sm_log_is_full(b));
	CU_ASSERT(!sm_log_is_offline(a) && !sm_log_is_offline(b));
	CU_ASSERT_EQUAL(append_n(b, 2, 2000, 10, NULL), SM_ERR_KAFKA_STORAGE_ERROR);

	/* The probe (a real write in the dir, which has room) clears it. The
	 * scheduler time is far ahead of the wall clock that set the first
	 * probe time, so the probe is due. */
	now = INT64_MAX / 2;
	sm_log_manager_run_once(lm, now, 0);
	CU_ASSERT(!sm_log_manager_dir_full(lm, 0));
	CU_ASSERT(!sm_log_is_full(a) && !sm_log_is_full(b));
	sm_log_append_info_t info;
	CU_ASSERT_EQUAL(append_n(a, 2, 3000, 10, &info), SM_ERR_NONE);
	CU_ASSERT_EQUAL(info.base_offset, 2);
	CU_ASSERT_EQUAL(append_n(b, 2, 3000, 10, &info), SM_ERR_NONE);
	CU_ASSERT_EQUAL(info.base_offset, 2);
	char probe[700];
	snprintf(probe, sizeof(probe), "%s/.log-dir-space-probe", d1);
	CU_ASSERT_EQUAL(access(probe, F_OK), -1); /* the probe file is gone */
	sm_log_release(a);
	sm_log_release(b);
	sm_log_manager_shutdown(lm);
	sm_log_manager_destroy(lm);
}

static void test_cluster_id_mismatch(void)
{
	char d1[512];
	sm_err_t err;
	lf_tmpdir(d1, sizeof(d1), "mismatch");
	sm_log_manager_t *lm = start_lm(d1, NULL, "clusterA", &err);
	CU_ASSERT_EQUAL(err, SM_ERR_NONE);
	sm_log_manager_shutdown(lm);
	sm_log_manager_destroy(lm);
	lm = start_lm(d1, NULL, "clusterB", &err);
	CU_ASSERT_EQUAL(err, SM_ERR_INCONSISTENT_CLUSTER_ID);
	sm_log_manager_destroy(lm);
	/* broker.id mismatch */
	const char *dirs[1] = {d1};
	sm_log_config_t cfg;
	sm_log_config_defaults(&cfg);
	lm = sm_log_manager_new(dirs, 1, &cfg);
	CU_ASSERT_EQUAL(sm_log_manager_startup(lm, "clusterA", 2), SM_ERR__CONFIG);
	sm_log_manager_destroy(lm);
}

static void test_checkpoint_file(void)
{
	char d[512], path[700];
	lf_tmpdir(d, sizeof(d), "ckpt");
	mkdir(d, 0755);
	snprintf(path, sizeof(path), "%s/replication-offset-checkpoint", d);
	sm_checkpoint_t cp;
	sm_checkpoint_init(&cp);
	sm_checkpoint_add(&cp, "orders", 0, 18234);
	sm_checkpoint_add(&cp, "__consumer_offsets", 12, 5);
	CU_ASSERT_EQUAL(sm_checkpoint_write(path, &cp), SM_ERR_NONE);
	sm_checkpoint_clear(&cp);
	char *t = read_text(path);
	CU_ASSERT_STRING_EQUAL(t ? t : "", "0\n2\norders 0 18234\n__consumer_offsets 12 5\n");
	free(t);
	CU_ASSERT_EQUAL(sm_checkpoint_read(path, &cp), SM_ERR_NONE);
	CU_ASSERT_EQUAL(cp.cnt, 2);
	CU_ASSERT_EQUAL(sm_checkpoint_get(&cp, "__consumer_offsets", 12, -1), 5);
	CU_ASSERT_EQUAL(sm_checkpoint_get(&cp, "orders", 1, -1), -1);
	sm_checkpoint_clear(&cp);
	const char *bad[] = {"1\n0\n", "0\n2\norders 0 1\n", "0\n1\norders x 1\n",
			     "0\n1\norders 0 1 9\n", "", "0\n1\norders 0 1\nextra 0 2\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(sm_checkpoint_write_file(path, bad[i], strlen(bad[i])), 0);
		CU_ASSERT_EQUAL(sm_checkpoint_read(path, &cp), SM_ERR__CORRUPT);
		CU_ASSERT_EQUAL(cp.cnt, 0);
		sm_checkpoint_clear(&cp);
	}
	snprintf(path, sizeof(path), "%s/missing", d);
	CU_ASSERT_EQUAL(sm_checkpoint_read(path, &cp), SM_ERR_NONE);
	CU_ASSERT_EQUAL(cp.cnt, 0);
}

static void test_index_primitives(void)
{
	char d[512], path[700];
	lf_tmpdir(d, sizeof(d), "idx");
	mkdir(d, 0755);
	snprintf(path, sizeof(path), "%s/00000000000000000100.index", d);
	sm_index_t ix;
	int created;
	CU_ASSERT_EQUAL_FATAL(sm_offset_index_open(&ix, path, 100, 1003, &created), 0);
	CU_ASSERT(created);
	CU_ASSERT_EQUAL(ix.max_entries, 125);
	CU_ASSERT_EQUAL(sm_offset_index_append(&ix, 110, 500), 0);
	CU_ASSERT_EQUAL(sm_offset_index_append(&ix, 110, 600), SM_ERR__STATE);
	CU_ASSERT_EQUAL(sm_offset_index_append(&ix, 130, 900), 0);
	int64_t off;
	int32_t pos;
	sm_offset_index_lookup(&ix, 120, &off, &pos);
	CU_ASSERT(off == 110 && pos == 500);
	sm_offset_index_lookup(&ix, 99, &off, &pos);
	CU_ASSERT(off == 100 && pos == 0);
	CU_ASSERT_EQUAL(sm_index_trim(&ix), 0);
	sm_index_close(&ix);
	size_t n = 0;
	uint8_t *b = slurp(path, &n);
	const uint8_t want[16] = {0, 0, 0, 10, 0, 0, 1, 0xf4, 0, 0, 0, 30, 0, 0, 3, 0x84};
	CU_ASSERT_EQUAL(n, 16);
	CU_ASSERT_EQUAL(memcmp(b, want, 16), 0);
	free(b);
	CU_ASSERT_EQUAL_FATAL(sm_offset_index_open(&ix, path, 100, 1003, &created), 0);
	CU_ASSERT(!created);
	CU_ASSERT_EQUAL(sm_index_entries(&ix), 2);
	CU_ASSERT_EQUAL(sm_offset_index_sanity_check(&ix, 1000), 0);
	CU_ASSERT_EQUAL(sm_offset_index_sanity_check(&ix, 800), SM_ERR__CORRUPT);
	sm_offset_index_truncate_to(&ix, 130);
	CU_ASSERT_EQUAL(sm_index_entries(&ix), 1);
	sm_index_close(&ix);

	snprintf(path, sizeof(path), "%s/00000000000000000100.timeindex", d);
	CU_ASSERT_EQUAL_FATAL(sm_time_index_open(&ix, path, 100, 36, &created), 0);
	CU_ASSERT_EQUAL(sm_time_index_maybe_append(&ix, 5000, 105, 0), 0);
	CU_ASSERT_EQUAL(sm_time_index_maybe_append(&ix, 5000, 106, 0), 0); /* not greater: skipped */
	CU_ASSERT_EQUAL(sm_index_entries(&ix), 1);
	CU_ASSERT_EQUAL(sm_time_index_maybe_append(&ix, 6000, 107, 0), 0);
	CU_ASSERT(sm_time_index_is_full(&ix));
	CU_ASSERT_EQUAL(sm_time_index_maybe_append(&ix, 7000, 108, 0), SM_ERR__FULL);
	CU_ASSERT_EQUAL(sm_time_index_maybe_append(&ix, 7000, 108, 1), 0);
	int64_t ts, toff;
	sm_time_index_lookup(&ix, 6500, &ts, &toff);
	CU_ASSERT(ts == 6000 && toff == 107);
	sm_index_close(&ix);
	b = slurp(path, &n);
	const uint8_t want_t[12] = {0, 0, 0, 0, 0, 0, 0x13, 0x88, 0, 0, 0, 5};
	CU_ASSERT_EQUAL(n, 36);
	CU_ASSERT_EQUAL(memcmp(b, want_t, 12), 0);
	free(b);
}

/* Descriptors this process holds on files whose names end in suffix under
 * dir. */
static int fds_on(const char *dir, const char *suffix)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		char link[300], target[1024];
		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		ssize_t len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		size_t sl = strlen(suffix);
		if (!strncmp(target, dir, strlen(dir)) && (size_t)len >= sl &&
		    !strcmp(target + len - sl, suffix))
			n++;
	}
	closedir(d);
	return n;
}

/* An index holds a descriptor only while written: a new or reopened log's
 * segments hold one each (the .log), the active segment's indexes get one
 * when written and drop it when the segment rolls; lookups work from the
 * map alone throughout. */
static void test_index_descriptors(void)
{
	char dir[512];
	sm_log_config_t cfg;
	sm_log_t *log;
	lf_tmpdir(dir, sizeof(dir), "fds-0");
	lf_small_config(&cfg, 4000, 300);
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "fds", 0, &cfg, 0, -1, 1, &log), SM_ERR_NONE);
	CU_ASSERT_EQUAL(fds_on(dir, ".index"), 0);
	CU_ASSERT_EQUAL(fds_on(dir, ".timeindex"), 0);
	CU_ASSERT_EQUAL(fds_on(dir, ".log"), 1);
	for (int i = 0; i < 60; i++)
		CU_ASSERT_EQUAL_FATAL(append_n(log, 2, 5000 + i, 30, NULL), SM_ERR_NONE);
	int nseg = sm_log_segment_count(log);
	CU_ASSERT_FATAL(nseg >= 2);
	/* at most the active segment's two indexes are open */
	CU_ASSERT(fds_on(dir, ".index") <= 1);
	CU_ASSERT(fds_on(dir, ".timeindex") <= 1);
	sm_log_close(log);
	sm_log_release(log);
	CU_ASSERT_EQUAL(fds_on(dir, ".index"), 0);
	CU_ASSERT_EQUAL_FATAL(sm_log_open(dir, "fds", 0, &cfg, 0, -1, 1, &log), SM_ERR_NONE);
	CU_ASSERT_EQUAL(fds_on(dir, ".index"), 0);
	CU_ASSERT_EQUAL(fds_on(dir, ".timeindex"), 0);
	CU_ASSERT_EQUAL(sm_log_segment_count(log), nseg);
	/* appends after the reopen write the reopened active indexes */
	for (int i = 0; i < 20; i++)
		CU_ASSERT_EQUAL_FATAL(append_n(log, 2, 6000 + i, 30, NULL), SM_ERR_NONE);
	sm_log_close(log);
	sm_log_release(log);
	CU_ASSERT_EQUAL(fds_on(dir, ".index"), 0);
}

/* Files written between sm_checkpoint_defer_begin and _end are complete at
 * once (renamed into place), nesting defers to the outermost end, and a
 * file replaced while deferred is written as always. */
static void test_checkpoint_deferred(void)
{
	char d[512], path[700];
	lf_tmpdir(d, sizeof(d), "ckpt-defer");
	mkdir(d, 0755);
	snprintf(path, sizeof(path), "%s/existing", d);
	CU_ASSERT_EQUAL(sm_checkpoint_write_file(path, "0\n0\n", 4), SM_ERR_NONE);
	sm_checkpoint_defer_begin();
	sm_checkpoint_defer_begin();
	for (int i = 0; i < 100; i++) { /* past the syncfs threshold */
		char text[32];
		int n = snprintf(text, sizeof(text), "0\n1\n%d 0\n", i);
		snprintf(path, sizeof(path), "%s/p-%d", d, i);
		CU_ASSERT_EQUAL(sm_checkpoint_write_file(path, text, (size_t)n), SM_ERR_NONE);
		char *t = read_text(path);
		CU_ASSERT_STRING_EQUAL(t ? t : "", text);
		free(t);
	}
	snprintf(path, sizeof(path), "%s/existing", d);
	CU_ASSERT_EQUAL(sm_checkpoint_write_file(path, "0\n1\n3 7\n", 8), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_checkpoint_defer_end(), SM_ERR_NONE); /* inner */
	CU_ASSERT_EQUAL(sm_checkpoint_defer_end(), SM_ERR_NONE); /* syncs */
	CU_ASSERT_EQUAL(sm_checkpoint_defer_end(), SM_ERR_NONE); /* unbalanced: no-op */
	char *t = read_text(path);
	CU_ASSERT_STRING_EQUAL(t ? t : "", "0\n1\n3 7\n");
	free(t);
	snprintf(path, sizeof(path), "%s/p-99.tmp", d);
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
	/* a short batch is synced file by file */
	sm_checkpoint_defer_begin();
	snprintf(path, sizeof(path), "%s/short", d);
	CU_ASSERT_EQUAL(sm_checkpoint_write_file(path, "0\n0\n", 4), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_checkpoint_defer_end(), SM_ERR_NONE);
	t = read_text(path);
	CU_ASSERT_STRING_EQUAL(t ? t : "", "0\n0\n");
	free(t);
}

static const lf_test_t tests[] = {
	{ "index primitives and byte formats", test_index_primitives },
	{ "append and read by offset", test_append_read },
	{ "segment file names and index contents", test_segment_files },
	{ "roll on full index", test_roll_full_index },
	{ "roll on segment.ms and offset for timestamp", test_roll_time_and_timestamps },
	{ "roll on max.compaction.lag.ms", test_roll_max_compaction_lag },
	{ "preallocate: full-size files, trim, zero-tail recovery", test_preallocate },
	{ "roll flush left to the roll hook", test_roll_flush_deferred },
	{ "LogAppendTime, follower append, truncation", test_log_append_time_and_follower },
	{ "checkpoint file format", test_checkpoint_file },
	{ "checkpoint files synced together", test_checkpoint_deferred },
	{ "index files hold no descriptor unless written", test_index_descriptors },
	{ "log manager clean restart", test_manager_clean_restart },
	{ "log manager: logs created by several threads at once", test_manager_concurrent_create },
	{ "log manager crash recovery", test_manager_crash_recovery },
	{ "meta.properties identity mismatch", test_cluster_id_mismatch },
	{ "no space: partial write rolled back, log full, then resumes", test_no_space_rollback },
	{ "no space: the dir is full until the probe finds space", test_manager_dir_full },
	{ "EIO on a write still takes the dir offline", test_eio_offline },
};

int main(void)
{
	return lf_run("/tmp/samsa-test-log", "log", tests,
		      sizeof(tests) / sizeof(tests[0]));
}
