/*
 * test_msg_storage.c - unit tests of the DeleteRecords and DescribeLogDirs
 * codecs: every version round-trips field by field and byte for byte, a
 * known v0 encoding, and every truncation of a valid body fails cleanly.
 */
#include <CUnit/Basic.h>
#include <string.h>

#include "buf.h"
#include "msg_delete_records.h"
#include "msg_describe_log_dirs.h"
#include "protocol.h"

static void dr_fill(sm_arena_t *a, sm_delete_records_req_t *r)
{
	memset(r, 0, sizeof(*r));
	r->topics_cnt = 2;
	r->topics = sm_arena_alloc(a, 2 * sizeof(*r->topics));
	r->topics[0].name = sm_arena_strndup(a, "alpha", 5);
	r->topics[1].name = sm_arena_strndup(a, "beta", 4);
	r->topics[0].partitions_cnt = 2;
	r->topics[0].partitions = sm_arena_alloc(a, 2 * sizeof(*r->topics[0].partitions));
	r->topics[0].partitions[0].partition_index = 0;
	r->topics[0].partitions[0].offset = 12345678901LL;
	r->topics[0].partitions[1].partition_index = 7;
	r->topics[0].partitions[1].offset = SM_DELETE_RECORDS_HIGH_WATERMARK;
	r->timeout_ms = 30000;
}

static void test_delete_records(void)
{
	for (int16_t ver = 0; ver <= 2; ver++) {
		sm_arena_t a;
		sm_arena_init(&a);
		sm_delete_records_req_t q, q2;
		dr_fill(&a, &q);
		sm_wbuf_t w, w2;
		sm_wbuf_init(&w, 64);
		sm_delete_records_req_write(&w, ver, &q);
		sm_rbuf_t rb;
		sm_rbuf_init(&rb, w.p, w.len);
		CU_ASSERT_EQUAL_FATAL(sm_delete_records_req_read(&rb, ver, &a, &q2), 0);
		CU_ASSERT_EQUAL(rb.len - rb.pos, 0);
		CU_ASSERT_EQUAL(q2.topics_cnt, 2);
		CU_ASSERT_STRING_EQUAL(q2.topics[1].name, "beta");
		CU_ASSERT_EQUAL(q2.topics[1].partitions_cnt, 0);
		CU_ASSERT_EQUAL(q2.topics[0].partitions[0].offset, 12345678901LL);
		CU_ASSERT_EQUAL(q2.topics[0].partitions[1].partition_index, 7);
		CU_ASSERT_EQUAL(q2.topics[0].partitions[1].offset, -1);
		CU_ASSERT_EQUAL(q2.timeout_ms, 30000);
		sm_wbuf_init(&w2, 64);
		sm_delete_records_req_write(&w2, ver, &q2);
		CU_ASSERT(w.len == w2.len && !memcmp(w.p, w2.p, w.len));
		for (size_t cut = 0; cut < w.len; cut++) {
			sm_rbuf_init(&rb, w.p, cut);
			CU_ASSERT_EQUAL(sm_delete_records_req_read(&rb, ver, &a, &q2), -1);
		}
		sm_wbuf_free(&w2);
		sm_wbuf_free(&w);

		sm_delete_records_resp_t p, p2;
		memset(&p, 0, sizeof(p));
		p.throttle_time_ms = 9;
		p.topics_cnt = 1;
		p.topics = sm_arena_alloc(&a, sizeof(*p.topics));
		p.topics[0].name = sm_arena_strndup(&a, "alpha", 5);
		p.topics[0].partitions_cnt = 1;
		p.topics[0].partitions = sm_arena_alloc(&a, sizeof(*p.topics[0].partitions));
		p.topics[0].partitions[0].partition_index = 3;
		p.topics[0].partitions[0].low_watermark = 77;
		p.topics[0].partitions[0].error_code = 1;
		sm_wbuf_init(&w, 64);
		sm_delete_records_resp_write(&w, ver, &p);
		sm_rbuf_init(&rb, w.p, w.len);
		CU_ASSERT_EQUAL_FATAL(sm_delete_records_resp_read(&rb, ver, &a, &p2), 0);
		CU_ASSERT_EQUAL(p2.throttle_time_ms, 9);
		CU_ASSERT_EQUAL(p2.topics[0].partitions[0].partition_index, 3);
		CU_ASSERT_EQUAL(p2.topics[0].partitions[0].low_watermark, 77);
		CU_ASSERT_EQUAL(p2.topics[0].partitions[0].error_code, 1);
		sm_wbuf_init(&w2, 64);
		sm_delete_records_resp_write(&w2, ver, &p2);
		CU_ASSERT(w.len == w2.len && !memcmp(w.p, w2.p, w.len));
		for (size_t cut = 0; cut < w.len; cut++) {
			sm_rbuf_init(&rb, w.p, cut);
			CU_ASSERT_EQUAL(sm_delete_records_resp_read(&rb, ver, &a, &p2), -1);
		}
		sm_wbuf_free(&w2);
		sm_wbuf_free(&w);
		sm_arena_destroy(&a);
	}
}

static void test_delete_records_known_v0(void)
{
	/* topics=[{"t",[{p=1, offset=5}]}], timeout=100 */
	static const uint8_t want[] = { 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 0, 0, 1,
					0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 100 };
	sm_arena_t a;
	sm_arena_init(&a);
	sm_delete_records_req_t q;
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, want, sizeof(want));
	CU_ASSERT_EQUAL_FATAL(sm_delete_records_req_read(&rb, 0, &a, &q), 0);
	CU_ASSERT_STRING_EQUAL(q.topics[0].name, "t");
	CU_ASSERT_EQUAL(q.topics[0].partitions[0].partition_index, 1);
	CU_ASSERT_EQUAL(q.topics[0].partitions[0].offset, 5);
	CU_ASSERT_EQUAL(q.timeout_ms, 100);
	/* a hostile partition count fails before allocating */
	uint8_t bad[sizeof(want)];
	memcpy(bad, want, sizeof(want));
	bad[7] = 0x7f;
	sm_rbuf_init(&rb, bad, sizeof(bad));
	CU_ASSERT_EQUAL(sm_delete_records_req_read(&rb, 0, &a, &q), -1);
	sm_arena_destroy(&a);
}

static void dld_fill_resp(sm_arena_t *a, sm_describe_log_dirs_resp_t *r)
{
	memset(r, 0, sizeof(*r));
	r->throttle_time_ms = 4;
	r->results_cnt = 2;
	r->results = sm_arena_alloc(a, 2 * sizeof(*r->results));
	r->results[0].log_dir = sm_arena_strndup(a, "/data/a", 7);
	r->results[1].log_dir = sm_arena_strndup(a, "/data/b", 7);
	r->results[1].error_code = 56;
	r->results[0].topics_cnt = 1;
	r->results[0].topics = sm_arena_alloc(a, sizeof(*r->results[0].topics));
	sm_describe_log_dirs_resp_topic_t *t = &r->results[0].topics[0];
	t->name = sm_arena_strndup(a, "tt", 2);
	t->partitions_cnt = 2;
	t->partitions = sm_arena_alloc(a, 2 * sizeof(*t->partitions));
	t->partitions[0].partition_index = 0;
	t->partitions[0].partition_size = 4096;
	t->partitions[1].partition_index = 1;
	t->partitions[1].partition_size = 99;
	t->partitions[1].offset_lag = 3;
	t->partitions[1].is_future_key = 1;
}

static void test_describe_log_dirs(void)
{
	for (int16_t ver = 0; ver <= 2; ver++) {
		sm_arena_t a;
		sm_arena_init(&a);
		sm_describe_log_dirs_req_t q, q2;
		int32_t parts[2] = { 4, 9 };
		sm_describe_log_dirs_req_topic_t qt = { .topic = "x", .partitions = parts,
							 .partitions_cnt = 2 };
		q.topics = &qt;
		q.topics_cnt = 1;
		sm_wbuf_t w, w2;
		sm_rbuf_t rb;
		sm_wbuf_init(&w, 64);
		sm_describe_log_dirs_req_write(&w, ver, &q);
		sm_rbuf_init(&rb, w.p, w.len);
		CU_ASSERT_EQUAL_FATAL(sm_describe_log_dirs_req_read(&rb, ver, &a, &q2), 0);
		CU_ASSERT_EQUAL(q2.topics_cnt, 1);
		CU_ASSERT_STRING_EQUAL(q2.topics[0].topic, "x");
		CU_ASSERT_EQUAL(q2.topics[0].partitions_cnt, 2);
		CU_ASSERT_EQUAL(q2.topics[0].partitions[1], 9);
		sm_wbuf_free(&w);
		/* null topics = every partition */
		q.topics = NULL;
		q.topics_cnt = -1;
		sm_wbuf_init(&w, 64);
		sm_describe_log_dirs_req_write(&w, ver, &q);
		sm_rbuf_init(&rb, w.p, w.len);
		CU_ASSERT_EQUAL_FATAL(sm_describe_log_dirs_req_read(&rb, ver, &a, &q2), 0);
		CU_ASSERT_EQUAL(q2.topics_cnt, -1);
		sm_wbuf_free(&w);

		sm_describe_log_dirs_resp_t p, p2;
		dld_fill_resp(&a, &p);
		sm_wbuf_init(&w, 64);
		sm_describe_log_dirs_resp_write(&w, ver, &p);
		sm_rbuf_init(&rb, w.p, w.len);
		CU_ASSERT_EQUAL_FATAL(sm_describe_log_dirs_resp_read(&rb, ver, &a, &p2), 0);
		CU_ASSERT_EQUAL(rb.len - rb.pos, 0);
		CU_ASSERT_EQUAL(p2.throttle_time_ms, 4);
		CU_ASSERT_EQUAL(p2.results_cnt, 2);
		CU_ASSERT_STRING_EQUAL(p2.results[1].log_dir, "/data/b");
		CU_ASSERT_EQUAL(p2.results[1].error_code, 56);
		sm_describe_log_dirs_resp_partition_t *pp = &p2.results[0].topics[0].partitions[1];
		CU_ASSERT_EQUAL(pp->partition_index, 1);
		CU_ASSERT_EQUAL(pp->partition_size, 99);
		CU_ASSERT_EQUAL(pp->offset_lag, 3);
		CU_ASSERT_EQUAL(pp->is_future_key, 1);
		sm_wbuf_init(&w2, 64);
		sm_describe_log_dirs_resp_write(&w2, ver, &p2);
		CU_ASSERT(w.len == w2.len && !memcmp(w.p, w2.p, w.len));
		sm_wbuf_free(&w2);
		for (size_t cut = 0; cut < w.len; cut++) {
			sm_rbuf_init(&rb, w.p, cut);
			CU_ASSERT_EQUAL(sm_describe_log_dirs_resp_read(&rb, ver, &a, &p2), -1);
		}
		sm_wbuf_free(&w);
		sm_arena_destroy(&a);
	}
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("msg_storage", NULL, NULL);
	CU_add_test(s, "DeleteRecords v0-2 round trip and truncation", test_delete_records);
	CU_add_test(s, "DeleteRecords known v0 bytes, hostile count", test_delete_records_known_v0);
	CU_add_test(s, "DescribeLogDirs v0-2 round trip and truncation", test_describe_log_dirs);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
