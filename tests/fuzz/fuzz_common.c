/*
 * fuzz_common.c - the stored-log walk shared by the records and response
 * harnesses: what log recovery, the cleaner and a follower applying a Fetch
 * response do with bytes that claim to be log entries.
 */
#include <string.h>

#include "fuzz.h"
#include "message_set.h"
#include "record_batch.h"

static void sm_fuzz_iter_batch(const uint8_t *p, size_t len)
{
	sm_batch_iter_t it;
	sm_record_t rec;
	if (sm_batch_iter_init(&it, p, len, SM_FUZZ_MAX_UNCOMPRESSED) == SM_ERR_NONE) {
		/* Touch every byte a record points at, so ASan sees any
		 * pointer that escaped the batch. */
		volatile uint8_t sink = 0;
		while (sm_batch_iter_next(&it, &rec) == 1) {
			for (int32_t i = 0; i < rec.key_len; i++)
				sink ^= rec.key[i];
			for (int32_t i = 0; i < rec.value_len; i++)
				sink ^= rec.value[i];
			for (int32_t h = 0; h < rec.header_count; h++) {
				const sm_record_header_t *rh = &rec.headers[h];
				for (int32_t i = 0; i < rh->key_len; i++)
					sink ^= rh->key[i];
				for (int32_t i = 0; i < rh->value_len; i++)
					sink ^= rh->value[i];
			}
		}
		(void)sink;
	}
	sm_batch_iter_destroy(&it);
}

void sm_fuzz_walk_log(const uint8_t *p, size_t len)
{
	size_t pos = 0;
	int64_t sz;
	while (pos < len && (sz = sm_batch_entry_size(p + pos, len - pos)) > 0) {
		sm_batch_hdr_t h;
		if (sm_batch_hdr_parse(p + pos, (size_t)sz, &h) == 0 && h.magic == SM_BATCH_MAGIC) {
			(void)sm_batch_verify(p + pos, (size_t)sz);
			sm_fuzz_iter_batch(p + pos, (size_t)sz);
		} else {
			sm_msgset_iter_t it;
			sm_legacy_msg_t m;
			sm_msgset_iter_init(&it, p + pos, (size_t)sz, SM_FUZZ_MAX_UNCOMPRESSED);
			while (sm_msgset_iter_next(&it, &m) == 1)
				;
			sm_msgset_iter_destroy(&it);
		}
		pos += (size_t)sz;
	}
}
