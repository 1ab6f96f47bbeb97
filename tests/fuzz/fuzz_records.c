/*
 * fuzz_records.c - libFuzzer harness for record data: v2 batch validation
 * and iteration (record_batch.c), legacy message sets (message_set.c), and
 * every compression codec (compression.c).
 *
 * Input: one mode byte, then the data. Mode bits 0-2 pick the path:
 *   0 Produce v3+ validation with the batch CRC recomputed first (so the
 *     mutator reaches the record parser instead of failing the CRC), then
 *     iteration of every record;
 *   1 the same without fixing the CRC (the CRC check itself);
 *   2 Produce v0-v2: legacy message set up-conversion, then validation;
 *   3 a stored log walk (entry sizes, batch CRC, record iteration, legacy
 *     messages) as recovery and a follower do;
 *   4, 5 down-conversion to magic 0 / 1 (Fetch v0-v3);
 *   6 recompression of a validated batch to the codec in bits 6-7;
 *   7 raw decompression with the codec in bits 6-7 (gzip, snappy, lz4,
 *     zstd), magic from bit 3.
 * Bit 3: compacted topic (keys required); bit 4: LogAppendTime; bit 5:
 * zstd allowed (Produce v7+).
 */
#include <stdlib.h>
#include <string.h>

#include "compression.h"
#include "crc32c.h"
#include "fuzz.h"
#include "message_set.h"
#include "record_batch.h"

/* Writes the CRC-32C the batch at p claims to have, bounded by len. */
static void sm_fuzz_fix_crc(uint8_t *p, size_t len)
{
	if (len < SM_BATCH_HEADER_SIZE)
		return;
	uint32_t blen = ((uint32_t)p[8] << 24) | ((uint32_t)p[9] << 16) |
			((uint32_t)p[10] << 8) | p[11];
	size_t end = (size_t)blen + SM_LOG_OVERHEAD;
	if (blen > len || end > len)
		end = len;
	if (end < SM_BATCH_ATTR_OFFSET)
		return;
	uint32_t crc = sm_crc32c(0, p + SM_BATCH_ATTR_OFFSET, end - SM_BATCH_ATTR_OFFSET);
	p[SM_BATCH_CRC_OFFSET] = (uint8_t)(crc >> 24);
	p[SM_BATCH_CRC_OFFSET + 1] = (uint8_t)(crc >> 16);
	p[SM_BATCH_CRC_OFFSET + 2] = (uint8_t)(crc >> 8);
	p[SM_BATCH_CRC_OFFSET + 3] = (uint8_t)crc;
}

static void sm_fuzz_iter(const uint8_t *p, size_t len)
{
	sm_fuzz_walk_log(p, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	size_t len = size - 1;
	/* A private copy: the CRC fix writes, and an exact-size heap block
	 * lets ASan flag a read one byte past the data. */
	uint8_t *p = malloc(len ? len : 1);
	memcpy(p, data + 1, len);
	sm_codec_t codec = (sm_codec_t)(((mode >> 6) & 3) + 1);
	sm_batch_validate_opts_t o = {
		.now = 1700000000000LL,
		.max_timestamp_diff_ms = INT64_MAX,
		.log_append_time = (mode >> 4) & 1,
		.compacted = (mode >> 3) & 1,
		.max_message_bytes = 1048588,
		.allow_zstd = (mode >> 5) & 1,
		.max_uncompressed = SM_FUZZ_MAX_UNCOMPRESSED,
	};
	sm_batch_info_t info;
	sm_wbuf_t out;
	sm_wbuf_init(&out, 0);
	switch (mode & 7) {
	case 0:
		sm_fuzz_fix_crc(p, len);
		/* fall through */
	case 1:
		if (sm_batch_validate(p, len, &o, &info) == SM_ERR_NONE)
			sm_fuzz_iter(p, len);
		break;
	case 2:
		if (sm_msgset_to_batch(p, len, o.now, &out, &info) == SM_ERR_NONE && info.count > 0 &&
		    sm_batch_validate(out.p, out.len, &o, &info) == SM_ERR_NONE)
			sm_fuzz_iter(out.p, out.len);
		break;
	case 3:
		sm_fuzz_walk_log(p, len);
		break;
	case 4:
	case 5:
		if (sm_batch_down_convert(p, len, (mode & 7) - 4, &out) == SM_ERR_NONE)
			sm_fuzz_walk_log(out.p, out.len);
		break;
	case 6:
		sm_fuzz_fix_crc(p, len);
		if (sm_batch_validate(p, len, &o, &info) == SM_ERR_NONE &&
		    sm_batch_recompress(p, len, codec, SM_FUZZ_MAX_UNCOMPRESSED, &out) == SM_ERR_NONE)
			sm_fuzz_iter(out.p, out.len);
		break;
	case 7:
		(void)sm_decompress(codec, p, len, &out, SM_FUZZ_MAX_UNCOMPRESSED, (mode >> 3) & 1 ? 0 : 2);
		break;
	}
	sm_wbuf_free(&out);
	free(p);
	return 0;
}
