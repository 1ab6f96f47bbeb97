/* test_produce_inline.c - which requests a network thread runs to
 * completion (sm_kafka_apis_runs_inline): Produce v3-v9 (both header
 * forms) with acks 0 or 1, no transactional id and at most
 * SM_APIS_INLINE_MAX_BYTES; acks=-1, a transactional id, an older or newer
 * version, another API, a larger frame and bytes cut anywhere go to the
 * handler threads. The requests are written by the generated codec, as a
 * client would send them. */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "kafka_apis.h"
#include "msg_produce.h"
#include "protocol.h"

/* A Produce frame (without its size prefix) of one topic, one partition
 * and `records` bytes of (unparsed) record data. */
static void produce_frame(sm_wbuf_t *w, int16_t ver, int16_t acks, const char *txn_id,
			  const char *client_id, size_t records)
{
	sm_req_header_t h = { .api_key = SM_API_PRODUCE, .api_version = ver, .correlation_id = 7,
			      .client_id = (char *)client_id };
	sm_produce_req_t req;
	sm_produce_req_topic_data_t td;
	sm_produce_req_partition_data_t pd;
	uint8_t *data = calloc(1, records ? records : 1);

	sm_produce_req_init(&req);
	sm_produce_req_topic_data_init(&td);
	sm_produce_req_partition_data_init(&pd);
	pd.index = 0;
	pd.records.ptr = data;
	pd.records.len = (int32_t)records;
	td.name = (char *)"t";
	td.partition_data = &pd;
	td.partition_data_cnt = 1;
	req.transactional_id = (char *)txn_id;
	req.acks = acks;
	req.timeout_ms = 30000;
	req.topic_data = &td;
	req.topic_data_cnt = 1;
	sm_wbuf_init(w, 64);
	sm_proto_req_header_write(w, &h);
	sm_produce_req_write(w, ver, &req);
	free(data);
}

static int runs_inline(const sm_wbuf_t *w, size_t len)
{
	sm_request_t r;
	memset(&r, 0, sizeof(r));
	r.data = w->p;
	r.len = len;
	return sm_kafka_apis_runs_inline(&r);
}

static void test_accepted(void)
{
	for (int16_t ver = 3; ver <= 9; ver++)
		for (int16_t acks = 0; acks <= 1; acks++) {
			sm_wbuf_t w;
			produce_frame(&w, ver, acks, NULL, "producer-1", 1000);
			CU_ASSERT(runs_inline(&w, w.len));
			sm_wbuf_free(&w);
			/* a null client id (v1/v2 headers allow it) too */
			produce_frame(&w, ver, acks, NULL, NULL, 10);
			CU_ASSERT(runs_inline(&w, w.len));
			sm_wbuf_free(&w);
		}
}

static void test_refused(void)
{
	sm_wbuf_t w;

	for (int16_t ver = 3; ver <= 9; ver++) {
		produce_frame(&w, ver, -1, NULL, "p", 1000);
		CU_ASSERT_FALSE(runs_inline(&w, w.len));
		sm_wbuf_free(&w);
		produce_frame(&w, ver, 1, "txn-1", "p", 1000);
		CU_ASSERT_FALSE(runs_inline(&w, w.len));
		sm_wbuf_free(&w);
		/* an empty transactional id is still one */
		produce_frame(&w, ver, 1, "", "p", 1000);
		CU_ASSERT_FALSE(runs_inline(&w, w.len));
		sm_wbuf_free(&w);
		/* an acks value Kafka refuses goes to the handler, which says so */
		produce_frame(&w, ver, 2, NULL, "p", 1000);
		CU_ASSERT_FALSE(runs_inline(&w, w.len));
		sm_wbuf_free(&w);
	}
	/* versions without a transactional id field, and unknown ones */
	for (int16_t ver = 0; ver <= 2; ver++) {
		sm_wbuf_init(&w, 32);
		sm_wbuf_i16(&w, SM_API_PRODUCE);
		sm_wbuf_i16(&w, ver);
		sm_wbuf_i32(&w, 1);
		sm_wbuf_i16(&w, -1);
		sm_wbuf_i16(&w, 1);
		CU_ASSERT_FALSE(runs_inline(&w, w.len));
		sm_wbuf_free(&w);
	}
	produce_frame(&w, 9, 1, NULL, "p", 10);
	w.p[3] = 10; /* version 10 */
	CU_ASSERT_FALSE(runs_inline(&w, w.len));
	w.p[3] = 9;
	w.p[1] = 1; /* Fetch */
	CU_ASSERT_FALSE(runs_inline(&w, w.len));
	sm_wbuf_free(&w);
	/* the size bound */
	produce_frame(&w, 8, 1, NULL, "p", SM_APIS_INLINE_MAX_BYTES);
	CU_ASSERT(w.len > SM_APIS_INLINE_MAX_BYTES);
	CU_ASSERT_FALSE(runs_inline(&w, w.len));
	sm_wbuf_free(&w);
}

/* Every prefix of a valid frame up to the acks field is refused, never
 * read past (the sanitizer build checks the reads). */
static void test_truncated(void)
{
	for (int16_t ver = 3; ver <= 9; ver++) {
		sm_wbuf_t w;
		produce_frame(&w, ver, 1, NULL, "a-client-id", 0);
		size_t full = w.len;
		int accepted_at = -1;
		for (size_t n = 0; n <= full; n++) {
			uint8_t *copy = malloc(n ? n : 1);
			memcpy(copy, w.p, n);
			sm_request_t r;
			memset(&r, 0, sizeof(r));
			r.data = copy;
			r.len = n;
			if (sm_kafka_apis_runs_inline(&r) && accepted_at < 0)
				accepted_at = (int)n;
			free(copy);
		}
		/* accepted only once the acks field is whole: the rest of the
		 * body is the handler's to check */
		CU_ASSERT(accepted_at > 0 && (size_t)accepted_at < full);
		sm_wbuf_free(&w);
	}
	/* a hostile client id length */
	sm_wbuf_t w;
	sm_wbuf_init(&w, 32);
	sm_wbuf_i16(&w, SM_API_PRODUCE);
	sm_wbuf_i16(&w, 7);
	sm_wbuf_i32(&w, 1);
	sm_wbuf_i16(&w, 32000);
	sm_wbuf_i16(&w, -1);
	sm_wbuf_i16(&w, 1);
	CU_ASSERT_FALSE(runs_inline(&w, w.len));
	sm_wbuf_free(&w);
	/* v9: a compact transactional id length at the top of the uvarint
	 * range (no arithmetic on it may overflow) */
	static const uint8_t lens[][5] = { { 0x80, 0x80, 0x80, 0x80, 0x08 },
					   { 0xff, 0xff, 0xff, 0xff, 0x0f },
					   { 0x81, 0x80, 0x80, 0x80, 0x08 } };
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		sm_wbuf_init(&w, 32);
		sm_wbuf_i16(&w, SM_API_PRODUCE);
		sm_wbuf_i16(&w, 9);
		sm_wbuf_i32(&w, 1);
		sm_wbuf_i16(&w, -1);
		sm_wbuf_append(&w, "\0", 1); /* no tagged fields */
		sm_wbuf_append(&w, lens[i], 5);
		sm_wbuf_i16(&w, 1);
		CU_ASSERT_FALSE(runs_inline(&w, w.len));
		sm_wbuf_free(&w);
	}
}

int main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("produce_inline", NULL, NULL);
	CU_add_test(s, "small acks=0/1 produces run inline", test_accepted);
	CU_add_test(s, "everything else goes to the handlers", test_refused);
	CU_add_test(s, "truncated and hostile headers", test_truncated);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
