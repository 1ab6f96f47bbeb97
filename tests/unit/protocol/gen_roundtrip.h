/*
 * gen_roundtrip.h - the fixed part of the generated round-trip test
 * (<build>/tests/unit/test_gen_roundtrip.c, written by src/protocol/gen.py):
 * value makers for the variable-length field types, the round trip of one
 * message at one version, and main.
 *
 * For every version of every message in src/protocol/specs the generated
 * part fills a value with every field present at that version set to a
 * non-default value; RT_CASE writes it, checks the size function, reads it
 * back, compares (through the JSON rendering, which covers every field
 * present at the version), writes it again byte-identically, parses the JSON
 * with jansson and checks that every cut of the bytes fails to read.
 *
 * Included once, by the generated test only.
 */
#ifndef SM_TEST_GEN_ROUNDTRIP_H
#define SM_TEST_GEN_ROUNDTRIP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <jansson.h>

#include "buf.h"
#include "protocol.h"

/* A string that needs JSON escaping (a quote and a backslash). */
static char *fill_str(sm_arena_t *a, int *seed)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "s\"%d\\x", (*seed)++);

	return sm_arena_strndup(a, tmp, (size_t)n);
}

static sm_bytes_t fill_bytes(sm_arena_t *a, int *seed)
{
	uint8_t *p = sm_arena_alloc(a, 5);
	sm_bytes_t b;

	for (int i = 0; i < 5; i++)
		p[i] = (uint8_t)((*seed) + i);
	(*seed)++;
	b.ptr = p;
	b.len = 5;
	return b;
}

static sm_records_t fill_records(sm_arena_t *a, int *seed)
{
	sm_bytes_t b = fill_bytes(a, seed);
	sm_records_t r = { b.ptr, b.len, NULL, 0 };

	return r;
}

static void fill_uuid(uint8_t id[16], int *seed)
{
	for (int i = 0; i < 16; i++)
		id[i] = (uint8_t)((*seed) * 7 + i + 1);
	(*seed)++;
}

static char *json_of(const sm_wbuf_t *w)
{
	char *s = malloc(w->len + 1);

	memcpy(s, w->p, w->len);
	s[w->len] = 0;
	return s;
}

/* The round trip of message type T (its generated T_write, T_size, T_read,
 * T_json and the generated fill_T) at version ver. A macro: every message
 * has its own types. */
#define RT_CASE(T, ver)                                                       \
	do {                                                                  \
		sm_arena_t a;                                                 \
		sm_wbuf_t w1, w2, j1, j2;                                     \
		sm_rbuf_t rb;                                                 \
		T##_t v, back;                                                \
		int seed = 1;                                                 \
		sm_arena_init(&a);                                            \
		sm_wbuf_init(&w1, 64);                                        \
		sm_wbuf_init(&w2, 64);                                        \
		sm_wbuf_init(&j1, 64);                                        \
		sm_wbuf_init(&j2, 64);                                        \
		fill_##T(&v, ver, &a, &seed);                                 \
		T##_write(&w1, ver, &v);                                      \
		CU_ASSERT_EQUAL(T##_size(ver, &v), w1.len);                   \
		sm_rbuf_init(&rb, w1.p, w1.len);                              \
		CU_ASSERT_EQUAL_FATAL(T##_read(&rb, ver, &a, &back), 0);      \
		CU_ASSERT_EQUAL(rb.pos, rb.len);                              \
		T##_write(&w2, ver, &back);                                   \
		CU_ASSERT_EQUAL(w1.len, w2.len);                              \
		CU_ASSERT(w1.len == w2.len && memcmp(w1.p, w2.p, w1.len) == 0); \
		T##_json(&j1, ver, &v);                                       \
		T##_json(&j2, ver, &back);                                    \
		char *s1 = json_of(&j1), *s2 = json_of(&j2);                  \
		CU_ASSERT_STRING_EQUAL(s1, s2);                               \
		json_error_t jerr;                                            \
		json_t *doc = json_loads(s1, 0, &jerr);                       \
		if (!doc)                                                     \
			fprintf(stderr, "%s v%d: bad JSON: %s\n", #T, ver, s1); \
		CU_ASSERT_PTR_NOT_NULL(doc);                                  \
		CU_ASSERT(doc && json_is_object(doc));                        \
		json_decref(doc);                                             \
		for (size_t cut = 0; w1.len && cut < w1.len; cut += 1 + w1.len / 16) { \
			sm_rbuf_init(&rb, w1.p, cut);                         \
			CU_ASSERT_EQUAL(T##_read(&rb, ver, &a, &back), -1);   \
		}                                                             \
		free(s1);                                                     \
		free(s2);                                                     \
		sm_wbuf_free(&w1);                                            \
		sm_wbuf_free(&w2);                                            \
		sm_wbuf_free(&j1);                                            \
		sm_wbuf_free(&j2);                                            \
		sm_arena_destroy(&a);                                         \
	} while (0)

/* One generated test: a message's name and version range, and the function
 * that round-trips every version. */
typedef struct rt_case {
	const char *name;
	void (*fn)(void);
} rt_case_t;

static int rt_main(const rt_case_t *cases, size_t n)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("gen_roundtrip", NULL, NULL);
	for (size_t i = 0; i < n; i++)
		CU_add_test(s, cases[i].name, cases[i].fn);
	CU_basic_set_mode(CU_BRM_NORMAL);
	CU_basic_run_tests();
	unsigned int fails = CU_get_number_of_failures();

	CU_cleanup_registry();
	return fails ? 1 : 0;
}

#endif /* SM_TEST_GEN_ROUNDTRIP_H */
