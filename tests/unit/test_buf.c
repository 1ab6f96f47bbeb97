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
	int32_t cnt = -1;
	CU_ASSERT_PTR_NULL(sm_proto_i32s_read(&rb, 0, 0, &a, &cnt));
	CU_ASSERT(rb.err != 0);
	CU_ASSERT_EQUAL(cnt, 0);
	sm_arena_destroy(&a);
	sm_rbuf_init(&rb, frame, sizeof(frame));
	sm_arena_init(&a);
	sm_arena_set_budget(&a, 1 << 20);
	int32_t *ids = sm_proto_i32s_read(&rb, 0, 0, &a, &cnt);
	CU_ASSERT_PTR_NOT_NULL(ids);
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

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("buf", NULL, NULL);
	CU_add_test(s, "ints round trip", test_ints_roundtrip);
	CU_add_test(s, "varint encoding", test_varint_encoding);
	CU_add_test(s, "strings, bytes, arrays", test_strings);
	CU_add_test(s, "hostile lengths", test_hostile_lengths);
	CU_add_test(s, "checked array allocation", test_checked_array_alloc);
	CU_add_test(s, "file fragments", test_file_fragments);
	CU_add_test(s, "crc32c", test_crc32c);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
