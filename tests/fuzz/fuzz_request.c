/*
 * fuzz_request.c - libFuzzer harness for every request the broker parses.
 *
 * The input is one request frame without its 4-byte size, exactly what a
 * processor hands to sm_kafka_apis_handle(): the request header (which picks
 * the API and version) and the body. The harness takes the same path as the
 * dispatcher: header, then the API's decoder if the broker serves that
 * version (ApiVersions bodies past v3 are not parsed, as in kafka_apis.c),
 * then for Produce the per-partition record checks api_produce.c makes
 * (legacy up-conversion below v3, batch validation), with the CRC and the
 * rest of the batch as sent. Every input also goes through the network
 * thread's run-to-completion check (sm_kafka_apis_runs_inline), which
 * reads the header and the first body fields of any frame a client sends.
 */
#include <string.h>

#include "fuzz.h"
#include "kafka_apis.h"
#include "message_set.h"
#include "record_batch.h"

#define SM_FUZZ_REQ_DECODE(key, pfx)                                           \
	case key: {                                                            \
		sm_##pfx##_req_t r;                                            \
		memset(&r, 0, sizeof(r));                                      \
		return sm_##pfx##_req_read(rb, ver, a, &r);                    \
	}

static int sm_fuzz_decode(int16_t key, int16_t ver, sm_rbuf_t *rb, sm_arena_t *a)
{
	switch (key) {
		SM_FUZZ_APIS(SM_FUZZ_REQ_DECODE)
	default:
		return -1;
	}
}

/* api_produce.c's checks of one partition's records. */
static void sm_fuzz_produce_records(int16_t ver, const sm_records_t *recs)
{
	if (recs->len <= 0)
		return;
	sm_batch_validate_opts_t o = {
		.now = 1700000000000LL,
		.max_timestamp_diff_ms = INT64_MAX,
		.max_message_bytes = 1048588,
		.allow_zstd = ver >= 7,
		.max_uncompressed = SM_FUZZ_MAX_UNCOMPRESSED,
	};
	sm_batch_info_t info;
	sm_wbuf_t conv;
	sm_wbuf_init(&conv, 0);
	if (ver < 3) {
		sm_err_t e = sm_msgset_to_batch(recs->ptr, (size_t)recs->len, o.now, &conv, &info);
		if (!e && info.count > 0)
			(void)sm_batch_validate(conv.p, conv.len, &o, &info);
	} else {
		(void)sm_batch_validate(recs->ptr, (size_t)recs->len, &o, &info);
	}
	sm_wbuf_free(&conv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sm_arena_t a;
	sm_rbuf_t rb;
	sm_req_header_t h;
	sm_request_t req;
	memset(&req, 0, sizeof(req));
	req.data = (uint8_t *)data;
	req.len = size;
	(void)sm_kafka_apis_runs_inline(&req);
	sm_arena_init(&a);
	sm_rbuf_init(&rb, data, size);
	if (sm_proto_req_header_read(&rb, &a, &h) == 0 &&
	    sm_proto_version_supported(h.api_key, h.api_version) &&
	    !(h.api_key == SM_API_API_VERSIONS && h.api_version > 3)) {
		if (h.api_key == SM_API_PRODUCE) {
			sm_produce_req_t r;
			memset(&r, 0, sizeof(r));
			if (sm_produce_req_read(&rb, h.api_version, &a, &r) == 0)
				for (int32_t t = 0; t < r.topic_data_cnt; t++)
					for (int32_t p = 0; p < r.topic_data[t].partition_data_cnt; p++)
						sm_fuzz_produce_records(
							h.api_version,
							&r.topic_data[t].partition_data[p].records);
		} else {
			(void)sm_fuzz_decode(h.api_key, h.api_version, &rb, &a);
		}
	}
	sm_arena_destroy(&a);
	return 0;
}
