/*
 * fuzz_response.c - libFuzzer harness for the response decoders the broker's
 * own clients use: the replica fetcher (Fetch, OffsetForLeaderEpoch), the
 * controller channel (LeaderAndIsr, StopReplica, UpdateMetadata,
 * ControlledShutdown) and the admin tools (proto_admin and friends).
 *
 * Input: api_key (int16 BE), api_version (int16 BE), then the response frame
 * without its size: response header and body, as read after a request of
 * that key and version. Fetch responses also have their records walked as a
 * follower appending them would.
 */
#include <string.h>

#include "fuzz.h"

#define SM_FUZZ_RESP_DECODE(key, pfx)                                          \
	case key: {                                                            \
		sm_##pfx##_resp_t r;                                           \
		memset(&r, 0, sizeof(r));                                      \
		return sm_##pfx##_resp_read(rb, ver, a, &r);                   \
	}

static int sm_fuzz_decode(int16_t key, int16_t ver, sm_rbuf_t *rb, sm_arena_t *a)
{
	switch (key) {
		SM_FUZZ_APIS(SM_FUZZ_RESP_DECODE)
	default:
		return -1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sm_arena_t a;
	sm_rbuf_t rb;
	int32_t corr;
	if (size < 4)
		return 0;
	int16_t key = (int16_t)((data[0] << 8) | data[1]);
	int16_t ver = (int16_t)((data[2] << 8) | data[3]);
	if (!sm_proto_version_supported(key, ver))
		return 0;
	sm_arena_init(&a);
	sm_rbuf_init(&rb, data + 4, size - 4);
	if (sm_proto_resp_header_read(&rb, key, ver, &corr) == 0) {
		if (key == SM_API_FETCH) {
			sm_fetch_resp_t r;
			memset(&r, 0, sizeof(r));
			if (sm_fetch_resp_read(&rb, ver, &a, &r) == 0)
				for (int32_t t = 0; t < r.responses_cnt; t++)
					for (int32_t p = 0; p < r.responses[t].partitions_cnt; p++) {
						const sm_records_t *rec =
							&r.responses[t].partitions[p].records;
						if (rec->len > 0)
							sm_fuzz_walk_log(rec->ptr, (size_t)rec->len);
					}
		} else {
			(void)sm_fuzz_decode(key, ver, &rb, &a);
		}
	}
	sm_arena_destroy(&a);
	return 0;
}
