/*
 * test_protocol.c - unit tests of the Kafka 2.8 API table, request/response
 * headers and the shared encoding helpers.
 */
#include <CUnit/Basic.h>
#include <string.h>

#include "buf.h"
#include "msg_describe_groups.h"
#include "protocol.h"
#include "proto_gen.h"

static void test_table(void)
{
	int zk = 0;

	for (int16_t k = 0; k < SM_API__COUNT; k++) {
		const sm_api_info_t *api = sm_proto_api(k);
		CU_ASSERT_PTR_NOT_NULL_FATAL(api);
		CU_ASSERT_EQUAL(api->key, k);
		CU_ASSERT(api->name && api->name[0]);
		CU_ASSERT(api->min_ver == 0 && api->max_ver >= api->min_ver);
		CU_ASSERT(api->flex_ver >= -1 && api->flex_ver <= api->max_ver);
		zk += api->zk_broker;
	}
	/* PROTOCOL.md 8: a 2.8 ZK broker advertises 56 APIs. */
	CU_ASSERT_EQUAL(zk, 56);
	CU_ASSERT_PTR_NULL(sm_proto_api(-1));
	CU_ASSERT_PTR_NULL(sm_proto_api(SM_API__COUNT));
	CU_ASSERT_PTR_NULL(sm_proto_api(1000));
	CU_ASSERT_STRING_EQUAL(sm_proto_api_name(SM_API_PRODUCE), "Produce");
	CU_ASSERT_STRING_EQUAL(sm_proto_api_name(SM_API_API_VERSIONS), "ApiVersions");
	CU_ASSERT_STRING_EQUAL(sm_proto_api_name(SM_API_ALTER_ISR), "AlterIsr");
	CU_ASSERT_STRING_EQUAL(sm_proto_api_name(SM_API_DESCRIBE_PRODUCERS), "DescribeProducers");
	CU_ASSERT_STRING_EQUAL(sm_proto_api_name(99), "Unknown");

	const sm_api_info_t *p = sm_proto_api(SM_API_PRODUCE);
	CU_ASSERT(p->max_ver == 9 && p->flex_ver == 9);
	p = sm_proto_api(SM_API_FETCH);
	CU_ASSERT(p->max_ver == 12 && p->flex_ver == 12);
	p = sm_proto_api(SM_API_METADATA);
	CU_ASSERT(p->max_ver == 11 && p->flex_ver == 9);
	p = sm_proto_api(SM_API_CREATE_TOPICS);
	CU_ASSERT(p->max_ver == 7 && p->flex_ver == 5);
	p = sm_proto_api(SM_API_DELETE_TOPICS);
	CU_ASSERT(p->max_ver == 6 && p->flex_ver == 4);
	p = sm_proto_api(SM_API_SASL_HANDSHAKE);
	CU_ASSERT(p->max_ver == 1 && p->flex_ver == -1);
	p = sm_proto_api(SM_API_OFFSET_DELETE);
	CU_ASSERT(p->max_ver == 0 && p->flex_ver == -1);
	CU_ASSERT(!sm_proto_api(52 /* Vote, KRaft only */)->zk_broker);
	CU_ASSERT(!sm_proto_api(SM_API_ENVELOPE)->zk_broker);
	CU_ASSERT(sm_proto_api(SM_API_ALTER_ISR)->zk_broker);
}

static void test_versions_and_flex(void)
{
	CU_ASSERT(sm_proto_version_supported(SM_API_API_VERSIONS, 3));
	CU_ASSERT(!sm_proto_version_supported(SM_API_API_VERSIONS, 4));
	CU_ASSERT(!sm_proto_version_supported(SM_API_API_VERSIONS, -1));
	CU_ASSERT(!sm_proto_version_supported(52 /* Vote, KRaft only */, 0));
	CU_ASSERT(!sm_proto_version_supported(77, 0));
	CU_ASSERT(sm_proto_version_supported(SM_API_METADATA, 11));
	CU_ASSERT(!sm_proto_version_supported(SM_API_METADATA, 12));

	CU_ASSERT(!sm_proto_is_flexible(SM_API_METADATA, 8));
	CU_ASSERT(sm_proto_is_flexible(SM_API_METADATA, 9));
	CU_ASSERT(sm_proto_is_flexible(SM_API_API_VERSIONS, 4));
	CU_ASSERT(!sm_proto_is_flexible(SM_API_SASL_HANDSHAKE, 1));
	CU_ASSERT(!sm_proto_is_flexible(-3, 9));

	CU_ASSERT_EQUAL(sm_proto_req_header_version(SM_API_CONTROLLED_SHUTDOWN, 0), 0);
	CU_ASSERT_EQUAL(sm_proto_req_header_version(SM_API_CONTROLLED_SHUTDOWN, 1), 1);
	CU_ASSERT_EQUAL(sm_proto_req_header_version(SM_API_CONTROLLED_SHUTDOWN, 3), 2);
	CU_ASSERT_EQUAL(sm_proto_req_header_version(SM_API_PRODUCE, 8), 1);
	CU_ASSERT_EQUAL(sm_proto_req_header_version(SM_API_PRODUCE, 9), 2);
	CU_ASSERT_EQUAL(sm_proto_req_header_version(SM_API_API_VERSIONS, 3), 2);
	CU_ASSERT_EQUAL(sm_proto_req_header_version(SM_API_API_VERSIONS, 7), 2);
	CU_ASSERT_EQUAL(sm_proto_req_header_version(SM_API_OFFSET_DELETE, 0), 1);
	CU_ASSERT_EQUAL(sm_proto_req_header_version(-1, 0), -1);

	CU_ASSERT_EQUAL(sm_proto_resp_header_version(SM_API_API_VERSIONS, 3), 0);
	CU_ASSERT_EQUAL(sm_proto_resp_header_version(SM_API_METADATA, 9), 1);
	CU_ASSERT_EQUAL(sm_proto_resp_header_version(SM_API_METADATA, 8), 0);
	CU_ASSERT_EQUAL(sm_proto_resp_header_version(SM_API_CONTROLLED_SHUTDOWN, 0), 0);
	CU_ASSERT_EQUAL(sm_proto_resp_header_version(SM_API__COUNT, 0), -1);
}

/* The request header of the librdkafka ApiVersions v3 example. */
static void test_req_header_known(void)
{
	static const uint8_t hdr[] = { 0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x07,
				       'r', 'd', 'k', 'a', 'f', 'k', 'a', 0x00, 0xaa };
	static const uint8_t v0[] = { 0x00, 0x07, 0x00, 0x00, 0x12, 0x34, 0x56, 0x78 };
	sm_arena_t a;
	sm_rbuf_t rb;
	sm_req_header_t h;
	sm_wbuf_t w;

	sm_arena_init(&a);
	sm_rbuf_init(&rb, hdr, sizeof(hdr));
	CU_ASSERT_EQUAL_FATAL(sm_proto_req_header_read(&rb, &a, &h), 0);
	CU_ASSERT_EQUAL(h.api_key, 18);
	CU_ASSERT_EQUAL(h.api_version, 3);
	CU_ASSERT_EQUAL(h.correlation_id, 1);
	CU_ASSERT_EQUAL(h.header_version, 2);
	CU_ASSERT_STRING_EQUAL(h.client_id, "rdkafka");
	CU_ASSERT_EQUAL(rb.pos, sizeof(hdr) - 1); /* at the body */
	sm_wbuf_init(&w, 8);
	sm_proto_req_header_write(&w, &h);
	CU_ASSERT(w.len == sizeof(hdr) - 1 && memcmp(w.p, hdr, w.len) == 0);

	/* ControlledShutdown v0: no client id at all. */
	sm_rbuf_init(&rb, v0, sizeof(v0));
	CU_ASSERT_EQUAL_FATAL(sm_proto_req_header_read(&rb, &a, &h), 0);
	CU_ASSERT_EQUAL(h.header_version, 0);
	CU_ASSERT_EQUAL(h.correlation_id, 0x12345678);
	CU_ASSERT_STRING_EQUAL(h.client_id, "");
	CU_ASSERT_EQUAL(sm_rbuf_remaining(&rb), 0);
	sm_wbuf_reset(&w);
	sm_proto_req_header_write(&w, &h);
	CU_ASSERT(w.len == sizeof(v0) && memcmp(w.p, v0, w.len) == 0);
	sm_wbuf_free(&w);
	sm_arena_destroy(&a);
}

static void test_req_header_null_and_tags(void)
{
	/* Metadata v9 (header v2), null client id, one unknown header tag. */
	static const uint8_t hdr[] = { 0x00, 0x03, 0x00, 0x09, 0x00, 0x00, 0x00, 0x05, 0xff, 0xff,
				       0x01, 0x03, 0x02, 0xbe, 0xef };
	sm_arena_t a;
	sm_rbuf_t rb;
	sm_req_header_t h;

	sm_arena_init(&a);
	sm_rbuf_init(&rb, hdr, sizeof(hdr));
	CU_ASSERT_EQUAL_FATAL(sm_proto_req_header_read(&rb, &a, &h), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h.client_id);
	CU_ASSERT_STRING_EQUAL(h.client_id, "");
	CU_ASSERT_EQUAL(sm_rbuf_remaining(&rb), 0);
	for (size_t len = 0; len < sizeof(hdr); len++) {
		sm_rbuf_init(&rb, hdr, len);
		CU_ASSERT_EQUAL(sm_proto_req_header_read(&rb, &a, &h), -1);
	}
	sm_arena_destroy(&a);
}

static void test_req_header_unknown_key(void)
{
	static const uint8_t hdr[] = { 0x00, 0x63, 0x00, 0x02, 0x00, 0x00, 0x00, 0x2a };
	sm_arena_t a;
	sm_rbuf_t rb;
	sm_req_header_t h;

	sm_arena_init(&a);
	sm_rbuf_init(&rb, hdr, sizeof(hdr));
	CU_ASSERT_EQUAL(sm_proto_req_header_read(&rb, &a, &h), -1);
	CU_ASSERT_EQUAL(h.api_key, 99);
	CU_ASSERT_EQUAL(h.api_version, 2);
	CU_ASSERT_EQUAL(h.correlation_id, 42);
	CU_ASSERT_EQUAL(h.header_version, -1);
	sm_arena_destroy(&a);
}

/* Every known key at every version: write, read, compare, truncate. */
static void test_req_header_roundtrip_all(void)
{
	sm_arena_t a;
	sm_wbuf_t w;
	sm_rbuf_t rb;

	sm_arena_init(&a);
	sm_wbuf_init(&w, 32);
	for (int16_t k = 0; k < SM_API__COUNT; k++) {
		const sm_api_info_t *api = sm_proto_api(k);
		for (int16_t v = api->min_ver; v <= api->max_ver; v++) {
			sm_req_header_t in = { k, v, 1000 + k * 100 + v, "client-1", 0 }, out;
			sm_wbuf_reset(&w);
			sm_proto_req_header_write(&w, &in);
			sm_rbuf_init(&rb, w.p, w.len);
			CU_ASSERT_EQUAL_FATAL(sm_proto_req_header_read(&rb, &a, &out), 0);
			CU_ASSERT_EQUAL(out.api_key, k);
			CU_ASSERT_EQUAL(out.api_version, v);
			CU_ASSERT_EQUAL(out.correlation_id, in.correlation_id);
			CU_ASSERT_EQUAL(out.header_version, sm_proto_req_header_version(k, v));
			CU_ASSERT_STRING_EQUAL(out.client_id, out.header_version ? "client-1" : "");
			CU_ASSERT_EQUAL(sm_rbuf_remaining(&rb), 0);
			for (size_t len = 0; len < w.len; len++) {
				sm_rbuf_init(&rb, w.p, len);
				CU_ASSERT_EQUAL(sm_proto_req_header_read(&rb, &a, &out), -1);
			}
		}
	}
	sm_wbuf_free(&w);
	sm_arena_destroy(&a);
}

static void test_resp_header(void)
{
	static const uint8_t v0[] = { 0x00, 0x00, 0x01, 0x02 };
	static const uint8_t v1[] = { 0x00, 0x00, 0x01, 0x02, 0x00 };
	static const uint8_t v1_tags[] = { 0x00, 0x00, 0x01, 0x02, 0x01, 0x00, 0x01, 0x07 };
	sm_wbuf_t w;
	sm_rbuf_t rb;
	int32_t corr = 0;

	sm_wbuf_init(&w, 8);
	sm_proto_resp_header_write(&w, SM_API_METADATA, 8, 258);
	CU_ASSERT(w.len == sizeof(v0) && memcmp(w.p, v0, w.len) == 0);
	sm_wbuf_reset(&w);
	sm_proto_resp_header_write(&w, SM_API_METADATA, 9, 258);
	CU_ASSERT(w.len == sizeof(v1) && memcmp(w.p, v1, w.len) == 0);
	sm_wbuf_reset(&w);
	sm_proto_resp_header_write(&w, SM_API_API_VERSIONS, 3, 258);
	CU_ASSERT(w.len == sizeof(v0) && memcmp(w.p, v0, w.len) == 0);
	sm_wbuf_free(&w);

	sm_rbuf_init(&rb, v1_tags, sizeof(v1_tags));
	CU_ASSERT_EQUAL(sm_proto_resp_header_read(&rb, SM_API_METADATA, 9, &corr), 0);
	CU_ASSERT_EQUAL(corr, 258);
	CU_ASSERT_EQUAL(sm_rbuf_remaining(&rb), 0);
	sm_rbuf_init(&rb, v0, sizeof(v0));
	CU_ASSERT_EQUAL(sm_proto_resp_header_read(&rb, SM_API_API_VERSIONS, 3, &corr), 0);
	CU_ASSERT_EQUAL(sm_rbuf_remaining(&rb), 0);
	sm_rbuf_init(&rb, v0, sizeof(v0));
	CU_ASSERT_EQUAL(sm_proto_resp_header_read(&rb, SM_API_METADATA, 9, &corr), -1);
	sm_rbuf_init(&rb, v0, 3);
	CU_ASSERT_EQUAL(sm_proto_resp_header_read(&rb, SM_API_METADATA, 0, &corr), -1);
	CU_ASSERT_EQUAL(sm_proto_resp_header_read(&rb, -5, 0, &corr), -1);
}

static void test_helpers(void)
{
	static const uint8_t null16[] = { 0xff, 0xff };
	static const uint8_t null_compact[] = { 0x00 };
	sm_arena_t a;
	sm_rbuf_t rb;
	sm_wbuf_t w;

	sm_arena_init(&a);
	sm_rbuf_init(&rb, null16, sizeof(null16));
	CU_ASSERT_PTR_NULL(sm_proto_str_read(&rb, 0, 1, &a));
	CU_ASSERT_EQUAL(rb.err, 0);
	sm_rbuf_init(&rb, null16, sizeof(null16));
	(void)sm_proto_str_read(&rb, 0, 0, &a);
	CU_ASSERT_NOT_EQUAL(rb.err, 0);
	sm_rbuf_init(&rb, null_compact, sizeof(null_compact));
	CU_ASSERT_EQUAL(sm_proto_array_read(&rb, 1, 1, 4), -1);
	CU_ASSERT_EQUAL(rb.err, 0);
	sm_rbuf_init(&rb, null_compact, sizeof(null_compact));
	(void)sm_proto_array_read(&rb, 1, 0, 4);
	CU_ASSERT_NOT_EQUAL(rb.err, 0);

	sm_wbuf_init(&w, 8);
	sm_proto_str_write(&w, NULL, 1, 0);  /* non-nullable null -> "" */
	sm_proto_str_write(&w, NULL, 1, 1);  /* nullable null */
	sm_proto_array_write(&w, -1, 0, 0);  /* non-nullable null -> empty */
	static const uint8_t exp[] = { 0x01, 0x00, 0, 0, 0, 0 };
	CU_ASSERT(w.len == sizeof(exp) && memcmp(w.p, exp, w.len) == 0);
	sm_wbuf_free(&w);
	sm_arena_destroy(&a);
}

static int tag_cb(void *arg, uint32_t tag, sm_rbuf_t *val, sm_arena_t *a)
{
	int64_t *seen = arg;
	(void)a;
	if (tag == 1)
		seen[0] = sm_rbuf_i32(val);
	else if (tag == 2)
		return -1;
	else
		seen[1]++;
	return 0;
}

static void test_tags(void)
{
	static const uint8_t ok[] = { 0x03, 0x00, 0x01, 0xaa, 0x01, 0x04, 0, 0, 0, 9,
				      0x85, 0x01, 0x00 };
	static const uint8_t reject[] = { 0x01, 0x02, 0x00 };
	static const uint8_t short_val[] = { 0x01, 0x01, 0x02, 0, 0 };
	static const uint8_t overrun[] = { 0x01, 0x05, 0x10, 0 };
	int64_t seen[2] = { 0, 0 };
	sm_arena_t a;
	sm_rbuf_t rb;

	sm_arena_init(&a);
	sm_rbuf_init(&rb, ok, sizeof(ok));
	sm_proto_tags_read(&rb, &a, tag_cb, seen);
	CU_ASSERT_EQUAL(rb.err, 0);
	CU_ASSERT_EQUAL(seen[0], 9);
	CU_ASSERT_EQUAL(seen[1], 2); /* tags 0 and 133 */
	CU_ASSERT_EQUAL(sm_rbuf_remaining(&rb), 0);
	sm_rbuf_init(&rb, reject, sizeof(reject));
	sm_proto_tags_read(&rb, &a, tag_cb, seen);
	CU_ASSERT_NOT_EQUAL(rb.err, 0);
	sm_rbuf_init(&rb, short_val, sizeof(short_val));
	sm_proto_tags_read(&rb, &a, tag_cb, seen);
	CU_ASSERT_NOT_EQUAL(rb.err, 0);
	sm_rbuf_init(&rb, overrun, sizeof(overrun));
	sm_proto_tags_read(&rb, &a, NULL, NULL);
	CU_ASSERT_NOT_EQUAL(rb.err, 0);
	sm_arena_destroy(&a);
}

/* The generated readers bound hostile counts before allocating. */
static void test_read_budget(void)
{
	sm_arena_t a;
	sm_rbuf_t rb;
	sm_proto_rctx_t cx;
	uint8_t small[64] = { 0 };

	sm_arena_init(&a);
	/* A budget of 16 x 64 + 64 KiB: 100 KiB of array memory is refused,
	 * 1 KiB is granted and charged. */
	sm_rbuf_init(&rb, small, sizeof(small));
	sm_proto_rctx_init(&cx, &rb, &a);
	CU_ASSERT_EQUAL(cx.budget, 16 * 64 + 64 * 1024);
	CU_ASSERT_PTR_NOT_NULL(sm_proto_array_alloc_checked(&rb, &cx, 1024, 1));
	CU_ASSERT_EQUAL(cx.budget, 16 * 64 + 63 * 1024);
	CU_ASSERT_FALSE(rb.err);
	CU_ASSERT_PTR_NULL(sm_proto_array_alloc_checked(&rb, &cx, 100 * 1024, 1));
	CU_ASSERT(rb.err);
	/* count x size overflow fails too. */
	sm_rbuf_init(&rb, small, sizeof(small));
	sm_proto_rctx_init(&cx, &rb, &a);
	cx.budget = SIZE_MAX;
	CU_ASSERT_PTR_NULL(sm_proto_array_alloc_checked(&rb, &cx, INT32_MAX, SIZE_MAX / 2));
	CU_ASSERT(rb.err);

	/* DescribeGroups v5 request claiming 2^28 groups in 5 bytes: refused
	 * by the count check before anything is allocated. */
	uint8_t req[] = { 0x80, 0x80, 0x80, 0x80, 0x01, 0x00, 0x00 };
	sm_describe_groups_req_t dg;
	sm_rbuf_init(&rb, req, sizeof(req));
	CU_ASSERT_EQUAL(sm_describe_groups_req_read(&rb, 5, &a, &dg), -1);
	sm_arena_destroy(&a);
}

/* The generated version table and the API table agree. */
static void test_version_table(void)
{
	for (int i = 0; i < SM_PROTO_VERSIONS_CNT; i++) {
		const sm_proto_version_t *v = &sm_proto_versions[i];
		const sm_api_info_t *a = sm_proto_api(v->key);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_EQUAL(a->max_ver, v->max_ver);
		CU_ASSERT_EQUAL(a->flex_ver, v->flex_ver);
		CU_ASSERT_STRING_EQUAL(a->name, v->name);
	}
	/* 2.8: keys 0-51, 56-58, 60, 61 have specs. */
	CU_ASSERT_EQUAL(SM_PROTO_VERSIONS_CNT, 57);
	CU_ASSERT_PTR_NOT_NULL(sm_proto_api(52 /* Vote, KRaft only */));
	CU_ASSERT_FALSE(sm_proto_api(52 /* Vote, KRaft only */)->zk_broker);
	CU_ASSERT_FALSE(sm_proto_api(SM_API_ENVELOPE)->zk_broker);
	CU_ASSERT_PTR_NULL(sm_proto_api(62));
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("protocol", NULL, NULL);
	CU_add_test(s, "API table", test_table);
	CU_add_test(s, "versions, flexibility, header versions", test_versions_and_flex);
	CU_add_test(s, "request header known bytes", test_req_header_known);
	CU_add_test(s, "request header null client id and tags", test_req_header_null_and_tags);
	CU_add_test(s, "request header unknown key", test_req_header_unknown_key);
	CU_add_test(s, "request header round trip, all APIs", test_req_header_roundtrip_all);
	CU_add_test(s, "response header", test_resp_header);
	CU_add_test(s, "string/array helpers", test_helpers);
	CU_add_test(s, "tagged-field sections", test_tags);
	CU_add_test(s, "generated readers: array budget and hostile counts", test_read_budget);
	CU_add_test(s, "generated version table", test_version_table);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
