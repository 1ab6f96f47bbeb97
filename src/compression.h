/*
 * compression.h - the record compression codecs (gzip, snappy, lz4, zstd) in
 * the exact stream formats Kafka writes and accepts; mirrors
 * org.apache.kafka.common.record.CompressionType and the
 * org.apache.kafka.common.compress streams (KafkaLZ4BlockInputStream /
 * OutputStream, snappy-java's xerial framing).
 *
 * Thread-safety: every function is reentrant; no shared state.
 */
#ifndef SM_COMPRESSION_H
#define SM_COMPRESSION_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

/* Codec ids as carried in the low three attribute bits (v0, v1 and v2). */
typedef enum {
	SM_CODEC_NONE = 0,
	SM_CODEC_GZIP = 1,
	SM_CODEC_SNAPPY = 2,
	SM_CODEC_LZ4 = 3,
	SM_CODEC_ZSTD = 4,
} sm_codec_t;

#define SM_CODEC_MAX SM_CODEC_ZSTD

/* Kafka's name of a codec ("gzip", "none"...), "unknown" otherwise. */
const char *sm_codec_name(sm_codec_t codec);

/* Parses a compression.type value. Returns 0 and sets *codec for
 * "uncompressed"/"gzip"/"snappy"/"lz4"/"zstd"; returns 1 for "producer"
 * (keep the producer's codec); -1 for anything else. */
int sm_codec_from_config(const char *s, sm_codec_t *codec);

/*
 * Decompresses in[0..len) and appends the result to out. At most max_out
 * bytes are appended: a stream that would produce more fails. magic is the
 * message format of the enclosing data (0, 1 or 2); it matters only for lz4,
 * whose header checksum is not verified for magic 0.
 * Returns SM_ERR_NONE, SM_ERR_CORRUPT_MESSAGE (bad data, truncated stream, or
 * over max_out; out is left as it was) or SM_ERR_UNSUPPORTED_COMPRESSION_TYPE
 * for an unknown codec. SM_CODEC_NONE copies.
 */
sm_err_t sm_decompress(sm_codec_t codec, const uint8_t *in, size_t len,
		       sm_wbuf_t *out, size_t max_out, int magic);

/*
 * Compresses in[0..len) and appends the stream to out, in the format a Java
 * producer writes: gzip stream; snappy in xerial framing with 32 KiB blocks;
 * lz4 frame with FLG 0x60, BD 0x40 (with magic 0 the header checksum is
 * Kafka's historical one over magic+descriptor); zstd at level 3.
 */
sm_err_t sm_compress(sm_codec_t codec, const uint8_t *in, size_t len,
		     sm_wbuf_t *out, int magic);

/* xxHash32 (as used by the lz4 frame format). */
uint32_t sm_xxh32(const void *p, size_t len, uint32_t seed);

#endif /* SM_COMPRESSION_H */
