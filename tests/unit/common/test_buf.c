/* test_buf.c - reader/writer primitives: round trips, bounds, hostile counts. */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "crc32c.h"
#include "protocol.h"

static void test_ints_roundtrip(void)
{
	sm_wbuf_t w;
	sm_wbuf_init(&w, 4);
	sm_wbuf_i8(&w, -5);
	sm_wbuf_i16(&w, -12345);
	sm_wbuf_i32(&w, 0x7abbccdd);
	sm_wbuf_i64(&w, -1234567890123LL);
	sm_wbuf_uvarint(&w, 300);
	sm_wbuf_varint(&w, -1);
	sm_wbuf_varlong(&w, -9000000000LL);
	sm_wbuf_f64(&w, 2.5);
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, w.p, w.len);
	CU_ASSERT_EQUAL(sm_rbuf_i8(&rb), -5);
	CU_ASSERT_EQUAL(sm_rbuf_i16(&rb), -12345);
	CU_ASSERT_EQUAL(sm_rbuf_i32(&rb), 0x7abbccdd);
	CU_ASSERT_EQUAL(sm_rbuf_i64(&rb), -1234567890123LL);
	CU_ASSERT_EQUAL(sm_rbuf_uvarint(&rb), 300);
	CU_ASSERT_EQUAL(sm_rbuf_varint(&rb), -1);
	CU_ASSERT_EQUAL(sm_rbuf_varlong(&rb), -9000000000LL);
	CU_ASSERT_EQUAL(sm_rbuf_f64(&rb), 2.5);
	CU_ASSERT_EQUAL(rb.err, 0);
	CU_ASSERT_EQUAL(sm_rbuf_remaining(&rb), 0);
	CU_ASSERT_EQUAL(sm_rbuf_i8(&rb), 0);
	CU_ASSERT_NOT_EQUAL(rb.err, 0);
	sm_wbuf_free(&w);
}

static void test_varint_encoding(void)
{
	/* -1 zig-zags to the single byte 0x01; 300 is ac 02. */
	sm_wbuf_t w;
	sm_wbuf_init(&w, 0);
	sm_wbuf_varint(&w, -1);
	sm_wbuf_uvarint(&w, 300);
	CU_ASSERT_EQUAL(w.len, 3);
	CU_ASSERT_EQUAL(w.p[0], 0x01);
	CU_ASSERT_EQUAL(w.p[1], 0xac);
	CU_ASSERT_EQUAL(w.p[2], 0x02);
	sm_wbuf_free(&w);
	/* An over-long uvarint fails the reader. */
	static const uint8_t bad[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, bad, sizeof(bad));
	(void)sm_rbuf_uvarint(&rb);
	CU_ASSERT_NOT_EQUAL(rb.err, 0);
}

/* The one- and two-byte fast paths of the readers against the loop: every
 * value around the 7/14/21-bit edges round-trips, wherever it sits
 * relative to the end of the buffer (a value at the very end takes the
 * loop), and a varint cut short or too long fails the reader. */
static void test_varint_fast_paths(void)
{
	static const int64_t vals[] = {
		0, 1, -1, 63, -64, 64, -65, 127, 128, 8191, -8192, 8192, 16383,
		16384, 1048575, -1048576, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN
	};
	const size_t nv = sizeof(vals) / sizeof(vals[0]);
	for (size_t i = 0; i < nv; i++) {
		for (int tail = 0; tail <= 2; tail++) {
			sm_wbuf_t w;
			sm_wbuf_init(&w, 0);
			int32_t v32 = (int32_t)vals[i];
			uint32_t u32 = (uint32_t)vals[i];
			sm_wbuf_varint(&w, v32);
			sm_wbuf_varlong(&w, vals[i]);
			sm_wbuf_uvarint(&w, u32);
			for (int t = 0; t < tail; t++)
				sm_wbuf_i8(&w, 0x7f);
			sm_rbuf_t rb;
			sm_rbuf_init(&rb, w.p, w.len);
			CU_ASSERT_EQUAL(sm_rbuf_varint(&rb), v32);
			CU_ASSERT_EQUAL(sm_rbuf_varlong(&rb), vals[i]);
			CU_ASSERT_EQUAL(sm_rbuf_uvarint(&rb), u32);
			CU_ASSERT_EQUAL(rb.err, 0);
			CU_ASSERT_EQUAL(rb.pos, w.len - (size_t)tail);
			sm_wbuf_free(&w);
		}
	}
	/* Non-minimal encodings decode as Kafka's reader does. */
	static const uint8_t zero2[] = { 0x80, 0x00 }, one3[] = { 0x81, 0x80, 0x00 };
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, zero2, sizeof(zero2));
	CU_ASSERT_EQUAL(sm_rbuf_uvarint(&rb), 0);
	CU_ASSERT(rb.err == 0 && rb.pos == 2);
	sm_rbuf_init(&rb, one3, sizeof(one3));
	CU_ASSERT_EQUAL(sm_rbuf_uvarint(&rb), 1);
	CU_ASSERT(rb.err == 0 && rb.pos == 3);
	/* Cut after a continuation byte, with one or two bytes left. */
	static const uint8_t cut1[] = { 0x80 }, cut2[] = { 0x80, 0x80 };
	sm_rbuf_init(&rb, cut1, sizeof(cut1));
	(void)sm_rbuf_varint(&rb);
	CU_ASSERT_NOT_EQUAL(rb.err, 0);
	sm_rbuf_init(&rb, cut2, sizeof(cut2));
	(void)sm_rbuf_varlong(&rb);
	CU_ASSERT_NOT_EQUAL(rb.err, 0);
	/* A reader that already failed stays failed and reads nothing. */
	static const uint8_t ok[] = { 0x02, 0x02 };
	sm_rbuf_init(&rb, ok, sizeof(ok));
	rb.err = 1;
	CU_ASSERT_EQUAL(sm_rbuf_varint(&rb), 0);
	CU_ASSERT_EQUAL(rb.pos, 0);
	/* Ten continuation bytes: too long for a varlong. */
	static const uint8_t long11[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
					  0x80, 0x80, 0x80, 0x80, 0x01 };
	sm_rbuf_init(&rb, long11, sizeof(long11));
	(void)sm_rbuf_varlong(&rb);
	CU_ASSERT_NOT_EQUAL(rb.err, 0);
}

static void test_strings(void)
{
	sm_arena_t a;
	sm_arena_init(&a);
	for (int compact = 0; compact <= 1; compact++) {
		sm_wbuf_t w;
		sm_wbuf_init(&w, 0);
		sm_wbuf_str(&w, "hello", compact);
		sm_wbuf_str(&w, NULL, compact);
		sm_wbuf_str(&w, "", compact);
		sm_wbuf_bytes(&w, "ab", 2, compact);
		sm_wbuf_bytes(&w, NULL, -1, compact);
		sm_wbuf_array(&w, -1, compact);
		sm_wbuf_array(&w, 0, compact);
		sm_rbuf_t rb;
		sm_rbuf_init(&rb, w.p, w.len);
		char *s = sm_rbuf_str(&rb, compact, &a);
		CU_ASSERT_STRING_EQUAL(s, "hello");
		CU_ASSERT_PTR_NULL(sm_rbuf_str(&rb, compact, &a));
		s = sm_rbuf_str(&rb, compact, &a);
		CU_ASSERT_PTR_NOT_NULL(s);
		CU_ASSERT_STRING_EQUAL(s, "");
		sm_bytes_t b = sm_rbuf_bytes(&rb, compact);
		CU_ASSERT_EQUAL(b.len, 2);
		CU_ASSERT_EQUAL(memcmp(b.ptr, "ab", 2), 0);
		b = sm_rbuf_bytes(&rb, compact);
		CU_ASSERT_EQUAL(b.len, -1);
		CU_ASSERT_EQUAL(sm_rbuf_array(&rb, compact, 1), -1);
		CU_ASSERT_EQUAL(sm_rbuf_array(&rb, compact, 1), 0);
		CU_ASSERT_EQUAL(rb.err, 0);
		sm_wbuf_free(&w);
	}
	sm_arena_destroy(&a);
}

static void test_hostile_lengths(void)
{
	sm_arena_t a;
	sm_arena_init(&a);
	/* String length beyond the buffer. */
	static const uint8_t s1[] = { 0x00, 0x10, 'a', 'b' };
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, s1, sizeof(s1));
	CU_ASSERT_PTR_NULL(sm_rbuf_str(&rb, 0, &a));
	CU_ASSERT_NOT_EQUAL(rb.err, 0);
	/* Negative length other than -1. */
	static const uint8_t s2[] = { 0xff, 0xfe };
	sm_rbuf_init(&rb, s2, sizeof(s2));
	CU_ASSERT_PTR_NULL(sm_rbuf_str(&rb, 0, &a));
	CU_ASSERT_NOT_EQUAL(rb.err, 0);
	/* Array count of two billion with four bytes left. */
	static const uint8_t s3[] = { 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0 };
	sm_rbuf_init(&rb, s3, sizeof(s3));
	CU_ASSERT_EQUAL(sm_rbuf_array(&rb, 0, 4), 0);
	CU_ASSERT_NOT_EQUAL(rb.err, 0);
	/* Tagged field whose size runs off the end. */
	static const uint8_t s4[] = { 0x01, 0x05, 0x7f, 0x00 };
	sm_rbuf_init(&rb, s4, sizeof(s4));
	sm_rbuf_skip_tags(&rb);
	CU_ASSERT_NOT_EQUAL(rb.err, 0);
	sm_arena_destroy(&a);
}

/* The checked allocation every client-sized array goes through. */
static void test_checked_array_alloc(void)
{
	size_t n = 0;
	CU_ASSERT_EQUAL(sm_size_mul(3, 4, &n), 0);
	CU_ASSERT_EQUAL(n, 12);
	CU_ASSERT_EQUAL(sm_size_mul(SIZE_MAX / 2, 3, &n), -1);
	CU_ASSERT_EQUAL(n, 12);
	CU_ASSERT_EQUAL(sm_i64_sat_add(INT64_MAX - 5, 10), INT64_MAX);
	CU_ASSERT_EQUAL(sm_i64_sat_add(INT64_MIN + 5, -10), INT64_MIN);
	CU_ASSERT_EQUAL(sm_i64_sat_add(1700000000000LL, INT64_MAX), INT64_MAX);
	CU_ASSERT_EQUAL(sm_i64_sat_add(-3, 5), 2);

	sm_arena_t a;
	sm_arena_init(&a);
	sm_arena_set_budget(&a, 1 << 20);
	/* 4,097 x 2^20 int32s: the CreateTopics product that wrapped in int */
	CU_ASSERT_PTR_NULL(sm_arena_alloc_array(&a, (int64_t)4097 << 20, sizeof(int32_t)));
	CU_ASSERT_PTR_NULL(sm_arena_alloc_array(&a, -1, 4));
	CU_ASSERT_PTR_NULL(sm_arena_alloc_array(&a, INT64_MAX, 8));         /* overflows */
	CU_ASSERT_PTR_NULL(sm_arena_alloc_array(&a, 1, SIZE_MAX));
	CU_ASSERT_PTR_NOT_NULL(sm_arena_alloc_array(&a, 0, 16));           /* empty is valid */
	int32_t *v = sm_arena_alloc_array(&a, 1000, sizeof(int32_t));
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	for (int i = 0; i < 1000; i++)
		CU_ASSERT_EQUAL(v[i], 0);
	/* the budget is for the whole arena: two halves fit, a third does not */
	CU_ASSERT_PTR_NOT_NULL(sm_arena_alloc_array(&a, 100, 4096));
	CU_ASSERT_PTR_NOT_NULL(sm_arena_alloc_array(&a, 100, 4096));
	CU_ASSERT_PTR_NULL(sm_arena_alloc_array(&a, 100, 4096));
	CU_ASSERT(a.total <= (size_t)1 << 20);
	sm_arena_destroy(&a);

	/* no budget: only overflow is refused */
	sm_arena_init(&a);
	CU_ASSERT_PTR_NOT_NULL(sm_arena_alloc_array(&a, 3 << 20, 1));
	CU_ASSERT_PTR_NULL(sm_arena_alloc_array(&a, INT64_MAX / 2, 4));
	sm_arena_destroy(&a);

	int32_t *h = sm_alloc_array(16, sizeof(int32_t), 64);
	CU_ASSERT_PTR_NOT_NULL(h);
	free(h);
	CU_ASSERT_PTR_NULL(sm_alloc_array(17, sizeof(int32_t), 64));
	CU_ASSERT_PTR_NULL(sm_alloc_array((int64_t)INT32_MAX * 32767, sizeof(int32_t), (size_t)1 << 30));
	CU_ASSERT_PTR_NULL(sm_alloc_array(-5, 4, 1024));

	/* a decoder's array over the request budget fails the reader, so the
	 * request is refused as malformed instead of allocated */
	uint8_t frame[4 + 4 * 1000];
	sm_put_be32(frame, 1000);
	memset(frame + 4, 0, sizeof(frame) - 4);
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, frame, sizeof(frame));
	sm_arena_init(&a);
	sm_arena_set_budget(&a, 1024);
	int32_t cnt = sm_proto_array_read(&rb, 0, 0, 4);
	CU_ASSERT_EQUAL(cnt, 1000);
	CU_ASSERT_PTR_NULL(sm_proto_array_ralloc(&rb, &a, cnt, sizeof(int32_t)));
	CU_ASSERT(rb.err != 0);
	sm_arena_destroy(&a);
	sm_rbuf_init(&rb, frame, sizeof(frame));
	sm_arena_init(&a);
	sm_arena_set_budget(&a, 1 << 20);
	cnt = sm_proto_array_read(&rb, 0, 0, 4);
	CU_ASSERT_PTR_NOT_NULL(sm_proto_array_ralloc(&rb, &a, cnt, sizeof(int32_t)));
	CU_ASSERT_EQUAL(rb.err, 0);
	CU_ASSERT_EQUAL(cnt, 1000);
	sm_arena_destroy(&a);
}

static void test_file_fragments(void)
{
	char path[] = "/tmp/sm-test-buf-XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	unlink(path);
	CU_ASSERT_EQUAL(write(fd, "0123456789", 10), 10);
	sm_fileref_t *f = sm_fileref_new(fd);
	sm_wbuf_t w;
	sm_wbuf_init(&w, 0);
	sm_wbuf_append(&w, "ab", 2);
	sm_wbuf_add_file(&w, f, 3, 4);
	sm_wbuf_append(&w, "cd", 2);
	sm_fileref_release(f); /* the writer keeps its own reference */
	CU_ASSERT_EQUAL(sm_wbuf_size(&w), 8);
	size_t n;
	uint8_t *flat = sm_wbuf_flatten(&w, &n);
	CU_ASSERT_EQUAL(n, 8);
	CU_ASSERT_EQUAL(memcmp(flat, "ab3456cd", 8), 0);
	free(flat);
	sm_wbuf_free(&w);
}

static void test_crc32c(void)
{
	/* The standard check value of CRC-32C over "123456789". */
	CU_ASSERT_EQUAL(sm_crc32c(0, "123456789", 9), 0xE3069283u);
	/* Incremental equals one-shot, across the 8-byte fast path. */
	const char *s = "The quick brown fox jumps over the lazy dog";
	uint32_t one = sm_crc32c(0, s, strlen(s));
	uint32_t inc = sm_crc32c(sm_crc32c(0, s, 13), s + 13, strlen(s) - 13);
	CU_ASSERT_EQUAL(one, inc);
}

/* Known values, checked against every implementation: Kafka's own test
 * vector (Crc32CTest: "Some String") and RFC 3720's (iSCSI, B.4). */
static void test_crc32c_vectors(void)
{
	static const sm_crc32c_impl_t impls[] = {
		SM_CRC32C_TABLE, SM_CRC32C_SSE42, SM_CRC32C_SSE42_3WAY
	};
	uint8_t zeros[32], ones[32], inc[32], dec[32];
	memset(zeros, 0, sizeof(zeros));
	memset(ones, 0xff, sizeof(ones));
	for (int i = 0; i < 32; i++) {
		inc[i] = (uint8_t)i;
		dec[i] = (uint8_t)(31 - i);
	}
	for (size_t k = 0; k < sizeof(impls) / sizeof(impls[0]); k++) {
		sm_crc32c_impl_t m = impls[k];
		CU_ASSERT_EQUAL(sm_crc32c_with(m, 0, "Some String", 11), 608512271u);
		CU_ASSERT_EQUAL(sm_crc32c_with(m, 0, "123456789", 9), 0xE3069283u);
		CU_ASSERT_EQUAL(sm_crc32c_with(m, 0, zeros, 32), 0x8A9136AAu);
		CU_ASSERT_EQUAL(sm_crc32c_with(m, 0, ones, 32), 0x62A8AB43u);
		CU_ASSERT_EQUAL(sm_crc32c_with(m, 0, inc, 32), 0x46DD794Eu);
		CU_ASSERT_EQUAL(sm_crc32c_with(m, 0, dec, 32), 0x113FDB5Cu);
		CU_ASSERT_EQUAL(sm_crc32c_with(m, 0, "", 0), 0u);
	}
}

/* A bit-at-a-time CRC-32C straight from the polynomial: the reference the
 * fast implementations are held to. */
static uint32_t crc32c_bitwise(uint32_t crc, const uint8_t *p, size_t n)
{
	uint32_t c = ~crc;
	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
	}
	return ~c;
}

/* Random contents, lengths (across the 8-byte words and the 3-lane blocks
 * of 768 B and 12 KiB) and start alignments: all implementations agree
 * with the reference, one-shot and split in two at a random point. */
static void test_crc32c_random(void)
{
	enum { MAXLEN = 3 * 3 * 4096 + 100 };
	uint8_t *buf = malloc(MAXLEN + 16);
	CU_ASSERT_FATAL(buf != NULL);
	uint64_t x = 0x9E3779B97F4A7C15u; /* fixed seed: reproducible */
	for (size_t i = 0; i < MAXLEN + 16; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
	static const size_t edges[] = {
		0, 1, 7, 8, 9, 767, 768, 769, 1535, 1536, 1537, 12287, 12288,
		12289, 12288 + 768, 24576 + 767, MAXLEN
	};
	int mismatches = 0;
	for (int round = 0; round < 600; round++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		size_t align = (size_t)(x % 16);
		size_t len;
		if (round < (int)(sizeof(edges) / sizeof(edges[0])))
			len = edges[round];
		else if (round % 3)
			len = (size_t)((x >> 8) % 2048);
		else
			len = (size_t)((x >> 8) % (MAXLEN + 1));
		size_t cut = len ? (size_t)((x >> 40) % (len + 1)) : 0;
		const uint8_t *p = buf + align;
		uint32_t seed = round & 1 ? (uint32_t)(x >> 20) : 0;
		uint32_t want = crc32c_bitwise(seed, p, len);
		for (int m = SM_CRC32C_TABLE; m <= SM_CRC32C_SSE42_3WAY; m++) {
			uint32_t one = sm_crc32c_with((sm_crc32c_impl_t)m, seed, p, len);
			uint32_t two = sm_crc32c_with((sm_crc32c_impl_t)m, seed, p, cut);
			two = sm_crc32c_with((sm_crc32c_impl_t)m, two, p + cut, len - cut);
			if (one != want || two != want)
				mismatches++;
		}
		if (sm_crc32c(seed, p, len) != want)
			mismatches++;
	}
	CU_ASSERT_EQUAL(mismatches, 0);
	free(buf);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("buf", NULL, NULL);
	CU_add_test(s, "ints round trip", test_ints_roundtrip);
	CU_add_test(s, "varint encoding", test_varint_encoding);
	CU_add_test(s, "varint fast paths", test_varint_fast_paths);
	CU_add_test(s, "strings, bytes, arrays", test_strings);
	CU_add_test(s, "hostile lengths", test_hostile_lengths);
	CU_add_test(s, "checked array allocation", test_checked_array_alloc);
	CU_add_test(s, "file fragments", test_file_fragments);
	CU_add_test(s, "crc32c", test_crc32c);
	CU_add_test(s, "crc32c known vectors, every implementation", test_crc32c_vectors);
	CU_add_test(s, "crc32c random lengths and alignments", test_crc32c_random);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
