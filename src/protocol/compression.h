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
 * Streaming decompression: the decoded bytes are handed out in pieces into a
 * buffer the caller owns, so a small stream that expands enormously (a
 * "compression bomb") never exists decoded in memory at once. What the
 * decoder itself holds is bounded per codec:
 *   gzip:   zlib's inflate state (about 44 KiB, 32 KiB window);
 *   zstd:   the frame's window, refused above 2^SM_DSTREAM_ZSTD_WINDOW_LOG_MAX;
 *   lz4:    one block (the frame's declared block size, at most 4 MiB);
 *   snappy: one block (xerial block or one raw snappy payload) whose declared
 *           length is refused above SM_DSTREAM_SNAPPY_MAX_BLOCK.
 * SM_DSTREAM_MAX_MEM bounds them all; mem_peak records what one stream
 * actually held (zlib and zstd allocations counted), for tests and logs.
 */
#define SM_DSTREAM_ZSTD_WINDOW_LOG_MAX 23           /* 8 MiB: zstd -19 */
#define SM_DSTREAM_SNAPPY_MAX_BLOCK (8u * 1024 * 1024)
#define SM_DSTREAM_MAX_MEM (9u * 1024 * 1024)

typedef struct sm_dstream {
	sm_codec_t codec;
	int magic;
	const uint8_t *in;
	size_t len;
	size_t pos;         /* next unread input byte (block codecs, none) */
	int done;           /* end of stream reached */
	sm_err_t err;       /* sticky */
	void *ctx;          /* z_stream * or ZSTD_DStream * */
	size_t zrc;         /* zstd: last ZSTD_decompressStream hint */
	const uint8_t *blk; /* lz4/snappy: decoded block being handed out */
	size_t blk_len, blk_pos;
	uint8_t *own;       /* allocation behind blk when decoded */
	size_t own_cap;
	int flg;            /* lz4 FLG byte */
	size_t block_max;   /* lz4 block size */
	int xerial;         /* snappy: xerial framing, else one raw block */
	size_t mem;         /* bytes the decoder holds now */
	size_t mem_peak;    /* and at most */
} sm_dstream_t;

/* Sets up d over in[0..len) (which must stay valid until sm_dstream_end).
 * magic as for sm_decompress. SM_ERR_NONE, SM_ERR_CORRUPT_MESSAGE (bad lz4
 * header, snappy/zstd limits) or SM_ERR_UNSUPPORTED_COMPRESSION_TYPE; in all
 * cases d must be ended with sm_dstream_end. */
sm_err_t sm_dstream_init(sm_dstream_t *d, sm_codec_t codec, const uint8_t *in,
			 size_t len, int magic);

/* Decodes up to n (> 0) bytes into buf. Returns how many (0: the stream is
 * complete), or -1 with d->err = SM_ERR_CORRUPT_MESSAGE for corrupt or
 * truncated data or a decoder limit. */
long sm_dstream_read(sm_dstream_t *d, uint8_t *buf, size_t n);

void sm_dstream_end(sm_dstream_t *d);

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
