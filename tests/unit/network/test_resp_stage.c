/*
 * test_resp_stage.c - unit tests for resp_stage.c, the cursor that copies a
 * response (size prefix, memory parts, file fragments) into the TLS staging
 * chunks: the bytes come out as sm_wbuf_flatten gives them, whatever the
 * buffer size (1 byte to more than all of it), with fragments at the start,
 * at the end, next to one another and empty; an empty response is its
 * prefix alone; a file truncated after the response was built ends the copy
 * with an error naming the short fragment.
 */
#include <CUnit/Basic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "resp_stage.h"

#define FILE_LEN 300000

static sm_fileref_t *temp_file(void)
{
	char path[] = "/tmp/test_resp_stage.XXXXXX";
	int fd = mkstemp(path);
	uint8_t *b = malloc(FILE_LEN);

	CU_ASSERT_FATAL(fd >= 0);
	unlink(path);
	for (size_t i = 0; i < FILE_LEN; i++)
		b[i] = (uint8_t)(i * 7 + i / 251);
	CU_ASSERT_FATAL(write(fd, b, FILE_LEN) == FILE_LEN);
	free(b);
	return sm_fileref_new(fd);
}

/* Memory, fragments at 0, adjacent, empty and last, memory between. */
static void build(sm_wbuf_t *w, sm_fileref_t *f)
{
	sm_wbuf_init(w, 64);
	sm_wbuf_add_file(w, f, 5, 70000);
	sm_wbuf_add_file(w, f, 100000, 3);
	sm_wbuf_append(w, "head-of-partition", 17);
	sm_wbuf_add_file(w, f, 0, 0);
	sm_wbuf_i32(w, 123456);
	sm_wbuf_add_file(w, f, 200000, 65536);
	sm_wbuf_add_file(w, f, 1, 16385);
	sm_wbuf_append(w, "tail", 4);
	sm_wbuf_add_file(w, f, FILE_LEN - 10, 10);
}

/* Copies all of w through buffers of cap bytes; returns the bytes. */
static uint8_t *copy_all(const sm_wbuf_t *w, size_t cap, size_t *len)
{
	sm_resp_cursor_t cur;
	size_t total = 4 + sm_wbuf_size(w), got = 0;
	uint8_t *out = malloc(total + cap), *buf = malloc(cap);
	char why[200];
	int rc = 0, rounds = 0;

	sm_resp_cursor_init(&cur, w);
	while (rc == 0) {
		size_t used = 0;
		rc = sm_resp_cursor_fill(&cur, buf, cap, &used, why, sizeof(why));
		CU_ASSERT(rc >= 0);
		CU_ASSERT(used <= cap);
		/* only the last buffer may be short */
		if (rc == 0)
			CU_ASSERT_EQUAL(used, cap);
		CU_ASSERT_FATAL(got + used <= total);
		memcpy(out + got, buf, used);
		got += used;
		CU_ASSERT_FATAL(++rounds <= (int)(total / cap) + 2);
	}
	free(buf);
	*len = got;
	return out;
}

static void test_any_buffer_size(void)
{
	static const size_t caps[] = { 1, 3, 4, 5, 7, 4096, 16384, 65536, 1 << 20 };
	sm_fileref_t *f = temp_file();
	sm_wbuf_t w;
	size_t flen, len;
	uint8_t *flat;

	build(&w, f);
	flat = sm_wbuf_flatten(&w, &flen);
	CU_ASSERT_FATAL(flat != NULL);
	CU_ASSERT_EQUAL(flen, sm_wbuf_size(&w));
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		uint8_t *out = copy_all(&w, caps[i], &len);
		CU_ASSERT_EQUAL(len, 4 + flen);
		CU_ASSERT_EQUAL(sm_be32(out), (uint32_t)flen);
		CU_ASSERT(memcmp(out + 4, flat, flen) == 0);
		free(out);
	}
	free(flat);
	sm_wbuf_free(&w);
	sm_fileref_release(f);
}

static void test_empty_and_memory_only(void)
{
	sm_wbuf_t w;
	size_t len;
	uint8_t *out;

	sm_wbuf_init(&w, 16);
	out = copy_all(&w, 2, &len);
	CU_ASSERT_EQUAL(len, 4);
	CU_ASSERT_EQUAL(sm_be32(out), 0);
	free(out);
	sm_wbuf_append(&w, "abcdefgh", 8);
	out = copy_all(&w, 12, &len); /* exactly fills: done on the first call */
	CU_ASSERT_EQUAL(len, 12);
	CU_ASSERT_EQUAL(sm_be32(out), 8);
	CU_ASSERT(memcmp(out + 4, "abcdefgh", 8) == 0);
	free(out);
	sm_wbuf_free(&w);
}

static void test_truncated_file(void)
{
	sm_fileref_t *f = temp_file();
	sm_resp_cursor_t cur;
	sm_wbuf_t w;
	uint8_t buf[4096];
	char why[200] = "";
	int rc = 0;

	sm_wbuf_init(&w, 16);
	sm_wbuf_append(&w, "x", 1);
	sm_wbuf_add_file(&w, f, 250000, 40000);
	sm_resp_cursor_init(&cur, &w);
	/* the segment is cut after the response announced its bytes */
	CU_ASSERT_FATAL(ftruncate(f->fd, 260000) == 0);
	while (rc == 0) {
		size_t used = 0;
		rc = sm_resp_cursor_fill(&cur, buf, sizeof(buf), &used, why, sizeof(why));
	}
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT(strstr(why, "ended early (10000 of its 40000 bytes read)") != NULL);
	sm_wbuf_free(&w);
	sm_fileref_release(f);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("resp_stage", NULL, NULL);
	CU_add_test(s, "bytes as flattened, any buffer size", test_any_buffer_size);
	CU_add_test(s, "empty and memory-only responses", test_empty_and_memory_only);
	CU_add_test(s, "file truncated under a response", test_truncated_file);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
