/*
 * bench_log.c - storage benchmarks of the log layer alone (no broker):
 *   append: throughput of sm_log_append_leader for 100 B and 1 KiB records
 *     in 16 KiB and 1 MiB batches, fsync'd at the end, as a ratio to dd's
 *     sequential write of the same volume on the same disk in the same run;
 *   recovery: MB/s of sm_log_open(clean_shutdown=0) over an unclean log.
 * Printed figures, never assertions. Environment: SM_BENCH_DIR (scratch
 * directory, default ./bench-tmp), SM_BENCH_MB (append volume per case,
 * default 256), SM_BENCH_RECOVERY_MB (default 1024).
 *
 * Thread-safety: single-threaded program.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "logger.h"
#include "record_batch.h"

static double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void bench_rmtree(const char *path)
{
	nftw(path, bench_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static long bench_env(const char *name, long dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtol(v, NULL, 10) : dflt;
}

/* dd's rate in MB/s for mb MiB written bs_kib KiB at a time, fdatasync'd at
 * the end. */
static double bench_dd(const char *dir, long mb, long bs_kib)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "dd if=/dev/zero of=%s/dd.bin bs=%ldk count=%ld conv=fdatasync status=none", dir,
		 bs_kib, mb * 1024 / bs_kib);
	double t0 = bench_now();
	if (system(cmd) != 0) {
		fprintf(stderr, "bench: dd failed\n");
		return 0;
	}
	double secs = bench_now() - t0;
	snprintf(cmd, sizeof(cmd), "%s/dd.bin", dir);
	unlink(cmd);
	return (double)mb / secs;
}

/* One batch of about batch_bytes made of records with rec_bytes values. */
static void bench_make_batch(sm_wbuf_t *w, size_t rec_bytes, size_t batch_bytes)
{
	int n = (int)(batch_bytes / (rec_bytes + 12));
	if (n < 1)
		n = 1;
	uint8_t *val = malloc(rec_bytes);
	for (size_t i = 0; i < rec_bytes; i++)
		val[i] = (uint8_t)('a' + i % 26);
	sm_record_t *recs = calloc((size_t)n, sizeof(*recs));
	for (int i = 0; i < n; i++) {
		recs[i].timestamp = 1700000000000LL;
		recs[i].key_len = -1;
		recs[i].value = val;
		recs[i].value_len = (int32_t)rec_bytes;
	}
	sm_batch_build(w, SM_CODEC_NONE, 0, 1700000000000LL, recs, n);
	free(recs);
	free(val);
}

static sm_log_t *bench_open(const char *path, int clean, int64_t recovery_point)
{
	sm_log_config_t cfg;
	sm_log_config_defaults(&cfg);
	cfg.max_message_bytes = 64 << 20;
	sm_log_t *log = NULL;
	if (sm_log_open(path, "bench", 0, &cfg, recovery_point, -1, clean, &log)) {
		fprintf(stderr, "bench: cannot open log in %s\n", path);
		exit(1);
	}
	return log;
}

/* Appends mb MiB of copies of the batch; returns MB/s including the final
 * flush (fsync), as dd's conv=fdatasync is timed. */
static double bench_append(const char *dir, long mb, size_t rec_bytes, size_t batch_bytes)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/bench-0", dir);
	bench_rmtree(path);
	sm_log_t *log = bench_open(path, 1, 0);
	sm_wbuf_t w;
	sm_wbuf_init(&w, batch_bytes + 4096);
	bench_make_batch(&w, rec_bytes, batch_bytes);
	uint8_t *copy = malloc(w.len);
	int64_t total = (int64_t)mb << 20, done = 0;
	double t0 = bench_now();
	while (done < total) {
		memcpy(copy, w.p, w.len);
		if (sm_log_append_leader(log, copy, w.len, 0, 1700000000000LL, NULL)) {
			fprintf(stderr, "bench: append failed\n");
			exit(1);
		}
		done += (int64_t)w.len;
	}
	sm_log_flush(log);
	double secs = bench_now() - t0;
	sm_log_close(log);
	sm_log_release(log);
	bench_rmtree(path);
	free(copy);
	sm_wbuf_free(&w);
	return (double)done / 1048576.0 / secs;
}

/* Writes mb MiB in 1 MiB batches, drops the log without closing it (as a
 * crash would leave it, no clean-shutdown marker), and times the reopen
 * that validates every batch. Returns MB/s. */
static double bench_recovery(const char *dir, long mb)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/bench-0", dir);
	bench_rmtree(path);
	sm_log_t *log = bench_open(path, 1, 0);
	sm_wbuf_t w;
	sm_wbuf_init(&w, (1 << 20) + 4096);
	bench_make_batch(&w, 1024, 1 << 20);
	uint8_t *copy = malloc(w.len);
	int64_t total = (int64_t)mb << 20, done = 0;
	while (done < total) {
		memcpy(copy, w.p, w.len);
		sm_log_append_leader(log, copy, w.len, 0, 1700000000000LL, NULL);
		done += (int64_t)w.len;
	}
	int64_t size = sm_log_size_bytes(log);
	sm_log_release(log); /* no close: the recovery point stays at 0 */
	double t0 = bench_now();
	log = bench_open(path, 0, 0);
	double secs = bench_now() - t0;
	sm_log_close(log);
	sm_log_release(log);
	bench_rmtree(path);
	free(copy);
	sm_wbuf_free(&w);
	return (double)size / 1048576.0 / secs;
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	const char *dir = getenv("SM_BENCH_DIR");
	dir = dir && *dir ? dir : "bench-tmp";
	long mb = bench_env("SM_BENCH_MB", 256), rmb = bench_env("SM_BENCH_RECOVERY_MB", 1024);
	mkdir(dir, 0755);
	sm_logger_init(NULL, SM_LOG_ERROR, 0);
	static const struct {
		size_t rec, batch;
		const char *label;
	} cases[] = {
		{ 100, 16 << 10, "100 B records, 16 KiB batches" },
		{ 100, 1 << 20, "100 B records, 1 MiB batches" },
		{ 1024, 16 << 10, "1 KiB records, 16 KiB batches" },
		{ 1024, 1 << 20, "1 KiB records, 1 MiB batches" },
	};
	/* The ratio is to dd's sequential write in 1 MiB blocks; dd writing
	 * blocks of the batch size is printed beside it, since the kernel's
	 * fixed cost per write(2) is what separates small batches from it. */
	printf("# log append vs dd (%ld MiB per case, dir %s)\n", mb, dir);
	printf("%-34s %10s %10s %7s %-11s %12s\n", "case", "MB/s", "dd MB/s", "ratio",
	       "target>=0.8", "dd bs=batch");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* dd right before each case so both see the same disk state. */
		double dd = bench_dd(dir, mb, 1024);
		double dd_batch = bench_dd(dir, mb, (long)(cases[i].batch >> 10));
		double ours = bench_append(dir, mb, cases[i].rec, cases[i].batch);
		double ratio = dd > 0 ? ours / dd : 0;
		printf("%-34s %10.1f %10.1f %7.2f %-11s %12.1f\n", cases[i].label, ours, dd, ratio,
		       ratio >= 0.8 ? "met" : "MISSED", dd_batch);
		fflush(stdout);
	}
	double rec = bench_recovery(dir, rmb);
	printf("# recovery of an unclean %ld MiB log (page cache warm)\n", rmb);
	printf("%-34s %10.1f MB/s\n", "recovery (validate every batch)", rec);
	rmdir(dir);
	sm_logger_close();
	return 0;
}
