/*
 * bench_records.c - per-record CPU work of the produce path, no I/O:
 *   crc: MB/s of CRC-32C with the slicing-by-8 table, the SSE4.2 crc32
 *     instruction in one stream, and three interleaved streams (what
 *     sm_crc32c uses), over buffers of 100 B, 16 KiB and 1 MiB;
 *   validate: MB/s and records/s of sm_batch_validate over uncompressed
 *     batches of records with 100-byte values (16 KiB and 1 MiB batches), as a leader
 *     runs it on every produced batch (CRC included), and the same batches
 *     through the iterator.
 * Printed figures, never assertions. Environment: SM_BENCH_CRC_MB (bytes
 * summed per CRC case, default 1024), SM_BENCH_VALIDATE_MB (bytes validated
 * per case, default 1024).
 *
 * Thread-safety: single-threaded program.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "crc32c.h"
#include "record_batch.h"

#define BENCH_NOW 1600000000000LL

static double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long bench_env(const char *name, long dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtol(v, NULL, 10) : dflt;
}

/* Keeps results alive so the compiler cannot drop the work. */
static volatile uint32_t bench_sink;

static double bench_crc(sm_crc32c_impl_t impl, const uint8_t *buf, size_t len,
			long mb)
{
	uint64_t total = (uint64_t)mb << 20, done = 0;
	uint32_t c = 0;
	double t0 = bench_now();
	while (done < total) {
		c = sm_crc32c_with(impl, c, buf, len);
		done += len;
	}
	double dt = bench_now() - t0;
	bench_sink ^= c;
	return (double)done / (1 << 20) / dt;
}

/* An uncompressed batch of about batch_bytes of records with 100-byte
 * values and no key (what kafka-producer-perf-test --record-size 100
 * sends; 106-107 bytes each with the record framing). */
static void bench_batch(sm_wbuf_t *out, size_t batch_bytes, int32_t *count)
{
	uint8_t val[100];
	memset(val, 'v', sizeof(val));
	sm_wbuf_t recs;
	sm_wbuf_init(&recs, batch_bytes + 256);
	int32_t n = 0;
	while (recs.len + 110 + SM_BATCH_HEADER_SIZE <= batch_bytes) {
		sm_batch_record_write(&recs, n, n % 50, NULL, -1, val,
				      sizeof(val), NULL, 0);
		n++;
	}
	sm_batch_build_opts_t o;
	sm_batch_build_opts_init(&o);
	o.base_timestamp = BENCH_NOW;
	sm_batch_write(out, &o, recs.p, recs.len, n, n - 1, BENCH_NOW + 49);
	sm_wbuf_free(&recs);
	*count = n;
}

static void bench_validate(size_t batch_bytes, long mb)
{
	sm_wbuf_t w;
	sm_wbuf_init(&w, batch_bytes);
	int32_t n;
	bench_batch(&w, batch_bytes, &n);
	sm_batch_validate_opts_t o;
	memset(&o, 0, sizeof(o));
	o.now = BENCH_NOW;
	o.max_timestamp_diff_ms = INT64_MAX;
	o.max_message_bytes = INT32_MAX;
	o.allow_zstd = 1;
	sm_batch_info_t info;
	if (sm_batch_validate(w.p, w.len, &o, &info) != SM_ERR_NONE) {
		fprintf(stderr, "bench batch does not validate\n");
		exit(1);
	}
	uint64_t total = (uint64_t)mb << 20, done = 0, recs = 0;
	double t0 = bench_now();
	while (done < total) {
		bench_sink ^= (uint32_t)sm_batch_validate(w.p, w.len, &o, &info);
		done += w.len;
		recs += (uint64_t)n;
	}
	double dt = bench_now() - t0;
	double crc = bench_crc(SM_CRC32C_SSE42_3WAY, w.p + 21, w.len - 21, mb);
	printf("validate  %4zu KiB batch, %6" PRId32 " x 100 B: %8.0f MB/s  %6.2f M records/s"
	       "  (CRC alone %8.0f MB/s)\n",
	       batch_bytes >> 10, n, (double)done / (1 << 20) / dt,
	       (double)recs / dt / 1e6, crc);

	/* The same batch read record by record, as the log cleaner and
	 * down-conversion do. */
	sm_batch_iter_t it;
	sm_record_t rec;
	done = recs = 0;
	t0 = bench_now();
	while (done < total) {
		if (sm_batch_iter_init(&it, w.p, w.len, 0) == SM_ERR_NONE)
			while (sm_batch_iter_next(&it, &rec) > 0)
				recs++;
		sm_batch_iter_destroy(&it);
		done += w.len;
	}
	dt = bench_now() - t0;
	printf("iterate   %4zu KiB batch, %6" PRId32 " x 100 B: %8.0f MB/s  %6.2f M records/s\n",
	       batch_bytes >> 10, n, (double)done / (1 << 20) / dt,
	       (double)recs / dt / 1e6);
	sm_wbuf_free(&w);
}

int main(void)
{
	long crc_mb = bench_env("SM_BENCH_CRC_MB", 1024);
	long val_mb = bench_env("SM_BENCH_VALIDATE_MB", 1024);
	static const struct {
		sm_crc32c_impl_t impl;
		const char *name;
	} impls[] = {
		{ SM_CRC32C_TABLE, "table (slicing-by-8)" },
		{ SM_CRC32C_SSE42, "sse4.2, 1 stream" },
		{ SM_CRC32C_SSE42_3WAY, "sse4.2, 3 streams" },
	};
	static const size_t sizes[] = { 100, 16 << 10, 1 << 20 };
	uint8_t *buf = malloc(1 << 20);
	if (!buf)
		return 1;
	for (size_t i = 0; i < (1 << 20); i++)
		buf[i] = (uint8_t)(i * 2654435761u >> 13);
	printf("CRC-32C, %ld MiB per case; SSE4.2 %s\n", crc_mb,
	       sm_crc32c_hw_available() ? "available" :
					  "not available (all rows are the table)");
	printf("%-22s %12s %12s %12s\n", "implementation", "100 B", "16 KiB", "1 MiB");
	for (size_t k = 0; k < sizeof(impls) / sizeof(impls[0]); k++) {
		printf("%-22s", impls[k].name);
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
			printf(" %7.0f MB/s", bench_crc(impls[k].impl, buf, sizes[s], crc_mb));
		printf("\n");
		fflush(stdout);
	}
	free(buf);
	printf("\nrecord batch v2, uncompressed, %ld MiB per case\n", val_mb);
	bench_validate(16 << 10, val_mb);
	bench_validate(1 << 20, val_mb);
	printf("\nrerun: SM_BENCH_CRC_MB=%ld SM_BENCH_VALIDATE_MB=%ld bench/bench_records"
	       " (in the build directory)\n", crc_mb, val_mb);
	return 0;
}
