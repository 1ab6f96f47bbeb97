/*
 * codec_roundtrip.h - the shared harness of the hand-written codec tests
 * (test_msg_admin.c, test_msg_cluster_admin.c, test_msg_groups.c): a codec
 * table entry (fill, write, read and compare one message type through void
 * pointers), string helpers, and the round trip of one entry at every
 * version: fill with non-default values (variant 0) or with nulls and
 * empties (variant 1), write, read back, compare field by field, write again
 * byte for byte, and refuse every truncation of the body.
 *
 * Everything is static inline so that a program which does not use a
 * helper compiles without an unused-function warning.
 */
#ifndef SM_TEST_CODEC_ROUNDTRIP_H
#define SM_TEST_CODEC_ROUNDTRIP_H

#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "buf.h"
#include "protocol.h"

/* One message type. api_key is set only by tables that check the version
 * range against the API table; tables use designated initializers. */
typedef struct codec {
	const char *name;
	int16_t api_key;
	int16_t max_ver;
	size_t size;
	void (*fill)(sm_arena_t *a, int16_t ver, int variant, void *out);
	void (*write)(sm_wbuf_t *w, int16_t ver, const void *in);
	int (*read)(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, void *out);
	void (*cmp)(int16_t ver, const void *x, const void *y);
} codec_t;

/* The write and read of generated codec fn (sm_X_req / sm_X_resp) through
 * void pointers, as pfx_write and pfx_read, for a codec_t entry. */
#define CODEC_GLUE(pfx, fn, type)                                                          \
	static void pfx##_write(sm_wbuf_t *w, int16_t ver, const void *in)                 \
	{                                                                                   \
		fn##_write(w, ver, (const type *)in);                                       \
	}                                                                                   \
	static int pfx##_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, void *out)        \
	{                                                                                   \
		return fn##_read(rb, ver, a, (type *)out);                                  \
	}

/* "<prefix>-<i>", in the arena. */
static inline char *S(sm_arena_t *a, const char *prefix, int i)
{
	char tmp[64];
	int n = snprintf(tmp, sizeof(tmp), "%s-%d", prefix, i);
	return sm_arena_strndup(a, tmp, (size_t)n);
}

/* Equal strings, where NULL equals only NULL. */
static inline int str_eq(const char *x, const char *y)
{
	if (!x || !y)
		return x == y;
	return strcmp(x, y) == 0;
}

#define CK_STR(x, y) CU_ASSERT(str_eq((x), (y)))
#define CK_UUID(x, y) CU_ASSERT(memcmp((x), (y), 16) == 0)

/* Equal int32 arrays (counts first, then the elements). */
static inline void ck_i32s(const int32_t *x, int32_t xn, const int32_t *y, int32_t yn)
{
	CU_ASSERT_EQUAL(xn, yn);
	if (xn == yn && xn > 0)
		CU_ASSERT(memcmp(x, y, sizeof(*x) * (size_t)xn) == 0);
}

/* n int32s base, base + 7, ..., in the arena. */
static inline int32_t *i32s(sm_arena_t *a, int n, int base)
{
	int32_t *v = sm_arena_alloc_array(a, n, sizeof(*v));
	for (int i = 0; i < n; i++)
		v[i] = base + i * 7;
	return v;
}

static inline void roundtrip_one(const codec_t *c, int16_t ver, int variant)
{
	sm_arena_t a;
	sm_wbuf_t w1, w2;
	sm_rbuf_t rb;
	uint8_t in[512], out[512];

	CU_ASSERT_FATAL(c->size <= sizeof(in));
	memset(in, 0, sizeof(in));
	sm_arena_init(&a);
	sm_wbuf_init(&w1, 64);
	sm_wbuf_init(&w2, 64);
	c->fill(&a, ver, variant, in);
	c->write(&w1, ver, in);

	sm_rbuf_init(&rb, w1.p, w1.len);
	int rc = c->read(&rb, ver, &a, out);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(rb.pos, w1.len);
	if (rc != 0)
		fprintf(stderr, "\n%s v%d variant %d: read failed\n", c->name, ver, variant);
	if (rc == 0) {
		c->cmp(ver, in, out);
		c->write(&w2, ver, out);
		CU_ASSERT_EQUAL(w1.len, w2.len);
		CU_ASSERT(w1.len == w2.len && memcmp(w1.p, w2.p, w1.len) == 0);
	}

	/* Every truncation must fail cleanly: the last field of every body
	 * (a count, an int, a string or the tag section) is never empty, so
	 * no prefix is a complete body. */
	for (size_t len = 0; len < w1.len; len++) {
		sm_rbuf_init(&rb, w1.p, len);
		if (c->read(&rb, ver, &a, out) != -1) {
			fprintf(stderr, "\n%s v%d: truncation at %zu/%zu accepted\n", c->name, ver,
				len, w1.len);
			CU_FAIL("truncated body accepted");
		}
	}
	sm_wbuf_free(&w1);
	sm_wbuf_free(&w2);
	sm_arena_destroy(&a);
}

/* Every version from 0 to max_ver, both variants. */
static inline void roundtrip_all(const codec_t *c)
{
	for (int16_t v = 0; v <= c->max_ver; v++)
		for (int variant = 0; variant < 2; variant++)
			roundtrip_one(c, v, variant);
}

#endif /* SM_TEST_CODEC_ROUNDTRIP_H */
