/*
 * compression.c - gzip, snappy, lz4 and zstd in Kafka's stream formats;
 * mirrors org.apache.kafka.common.record.CompressionType and the
 * org.apache.kafka.common.compress streams.
 *
 * The lz4 frame is handled here rather than by liblz4's frame API because
 * Kafka's rules differ from the reference implementation: dependent blocks
 * are refused, the optional content size and content checksum are skipped
 * unverified, and for magic 0 the header checksum is neither verified on
 * read nor computed correctly on write (KAFKA-3160 kept the 0.8/0.9 bug for
 * old message formats). Only liblz4's block functions are used.
 *
 * Snappy is written in snappy-java's xerial framing (what the Java client
 * and broker write); on read a payload without the xerial magic is one raw
 * snappy block, as snappy-java and librdkafka producers send.
 *
 * Every decoder bounds its output (max_out) so a small hostile payload
 * cannot make the broker allocate without limit.
 *
 * Thread-safety: reentrant, no shared state.
 */
#include <limits.h>
#include <string.h>

#include <lz4.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "compression.h"

#define SM_COMPRESSION_CHUNK (64 * 1024)
#define SM_SNAPPY_BLOCK (32 * 1024)
#define SM_LZ4_BLOCK (64 * 1024)
#define SM_LZ4_MAGIC 0x184D2204u

static const uint8_t sm_compression_xerial_magic[8] = {
	0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0x00
};

const char *sm_codec_name(sm_codec_t codec)
{
	switch (codec) {
	case SM_CODEC_NONE: return "none";
	case SM_CODEC_GZIP: return "gzip";
	case SM_CODEC_SNAPPY: return "snappy";
	case SM_CODEC_LZ4: return "lz4";
	case SM_CODEC_ZSTD: return "zstd";
	}
	return "unknown";
}

int sm_codec_from_config(const char *s, sm_codec_t *codec)
{
	static const char *const names[] = { "uncompressed", "gzip", "snappy",
					     "lz4", "zstd" };
	if (!s)
		return -1;
	if (!strcmp(s, "producer"))
		return 1;
	for (int i = 0; i <= SM_CODEC_MAX; i++) {
		if (!strcmp(s, names[i])) {
			*codec = (sm_codec_t)i;
			return 0;
		}
	}
	return -1;
}

/* ---- xxHash32 ---- */

#define SM_XXH_P1 2654435761u
#define SM_XXH_P2 2246822519u
#define SM_XXH_P3 3266489917u
#define SM_XXH_P4 668265263u
#define SM_XXH_P5 374761393u

static inline uint32_t compression_rotl(uint32_t x, int r)
{
	return (x << r) | (x >> (32 - r));
}

static inline uint32_t compression_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static inline void compression_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t compression_xxh_round(uint32_t acc, uint32_t in)
{
	acc += in * SM_XXH_P2;
	return compression_rotl(acc, 13) * SM_XXH_P1;
}

uint32_t sm_xxh32(const void *in, size_t len, uint32_t seed)
{
	const uint8_t *p = in, *end = p + len;
	uint32_t h;

	if (len >= 16) {
		uint32_t v1 = seed + SM_XXH_P1 + SM_XXH_P2, v2 = seed + SM_XXH_P2;
		uint32_t v3 = seed, v4 = seed - SM_XXH_P1;
		do {
			v1 = compression_xxh_round(v1, compression_le32(p));
			v2 = compression_xxh_round(v2, compression_le32(p + 4));
			v3 = compression_xxh_round(v3, compression_le32(p + 8));
			v4 = compression_xxh_round(v4, compression_le32(p + 12));
			p += 16;
		} while ((size_t)(end - p) >= 16);
		h = compression_rotl(v1, 1) + compression_rotl(v2, 7) +
		    compression_rotl(v3, 12) + compression_rotl(v4, 18);
	} else {
		h = seed + SM_XXH_P5;
	}
	h += (uint32_t)len;
	for (; (size_t)(end - p) >= 4; p += 4)
		h = compression_rotl(h + compression_le32(p) * SM_XXH_P3, 17) * SM_XXH_P4;
	for (; p < end; p++)
		h = compression_rotl(h + *p * SM_XXH_P5, 11) * SM_XXH_P1;
	h ^= h >> 15;
	h *= SM_XXH_P2;
	h ^= h >> 13;
	h *= SM_XXH_P3;
	h ^= h >> 16;
	return h;
}

/* ---- output helpers ---- */

/* Room for n bytes after out->len; out->len itself does not move. */
static uint8_t *compression_room(sm_wbuf_t *w, size_t n)
{
	size_t at = sm_wbuf_reserve(w, n);
	w->len = at;
	return w->p + at;
}

/* How much a streaming decoder may write next: one chunk, or one byte past
 * the budget so that overflowing it is detected. */
static size_t compression_step(const sm_wbuf_t *w, size_t start, size_t max_out)
{
	size_t left = max_out - (w->len - start);
	return left >= SM_COMPRESSION_CHUNK ? SM_COMPRESSION_CHUNK : left + 1;
}

/* ---- gzip ---- */

static sm_err_t compression_gunzip(const uint8_t *in, size_t len,
				   sm_wbuf_t *out, size_t start, size_t max_out)
{
	z_stream zs;
	sm_err_t err = SM_ERR_CORRUPT_MESSAGE;

	if (len > UINT_MAX)
		return err;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return err;
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	for (;;) {
		size_t room = compression_step(out, start, max_out);
		zs.next_out = compression_room(out, room);
		zs.avail_out = (uInt)room;
		int rc = inflate(&zs, Z_NO_FLUSH);
		out->len += room - zs.avail_out;
		if (out->len - start > max_out)
			break;
		if (rc == Z_STREAM_END) {
			/* GZIPInputStream reads on when another member follows
			 * and ignores anything else after the trailer. */
			if (zs.avail_in >= 2 && zs.next_in[0] == 0x1f &&
			    zs.next_in[1] == 0x8b) {
				if (inflateReset(&zs) != Z_OK)
					break;
				continue;
			}
			err = SM_ERR_NONE;
			break;
		}
		if (rc != Z_OK)
			break; /* corrupt, or truncated (Z_BUF_ERROR) */
	}
	inflateEnd(&zs);
	return err;
}

static sm_err_t compression_gzip(const uint8_t *in, size_t len, sm_wbuf_t *out)
{
	z_stream zs;
	sm_err_t err = SM_ERR_CORRUPT_MESSAGE;

	if (len > UINT_MAX / 2)
		return err;
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS,
			 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return err;
	size_t bound = deflateBound(&zs, (uLong)len);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = compression_room(out, bound);
	zs.avail_out = (uInt)bound;
	if (deflate(&zs, Z_FINISH) == Z_STREAM_END) {
		out->len += bound - zs.avail_out;
		err = SM_ERR_NONE;
	}
	deflateEnd(&zs);
	return err;
}

/* ---- snappy ---- */

static sm_err_t compression_unsnappy_block(const uint8_t *in, size_t len,
					   sm_wbuf_t *out, size_t start,
					   size_t max_out)
{
	size_t ulen;
	if (snappy_uncompressed_length((const char *)in, len, &ulen) != SNAPPY_OK)
		return SM_ERR_CORRUPT_MESSAGE;
	if (ulen > max_out - (out->len - start))
		return SM_ERR_CORRUPT_MESSAGE;
	char *dst = (char *)compression_room(out, ulen);
	size_t n = ulen;
	if (snappy_uncompress((const char *)in, len, dst, &n) != SNAPPY_OK ||
	    n != ulen)
		return SM_ERR_CORRUPT_MESSAGE;
	out->len += n;
	return SM_ERR_NONE;
}

static sm_err_t compression_unsnappy(const uint8_t *in, size_t len,
				     sm_wbuf_t *out, size_t start, size_t max_out)
{
	if (len < 16 || memcmp(in, sm_compression_xerial_magic, 8) != 0)
		return compression_unsnappy_block(in, len, out, start, max_out);
	/* xerial: magic, version, compatible version, then sized blocks. */
	size_t pos = 16;
	while (pos < len) {
		if (len - pos < 4)
			return SM_ERR_CORRUPT_MESSAGE;
		uint32_t clen = sm_be32(in + pos);
		pos += 4;
		if (clen > len - pos)
			return SM_ERR_CORRUPT_MESSAGE;
		sm_err_t err = compression_unsnappy_block(in + pos, clen, out,
							  start, max_out);
		if (err)
			return err;
		pos += clen;
	}
	return SM_ERR_NONE;
}

static sm_err_t compression_snappy(const uint8_t *in, size_t len, sm_wbuf_t *out)
{
	sm_wbuf_append(out, sm_compression_xerial_magic, 8);
	sm_wbuf_i32(out, 1);
	sm_wbuf_i32(out, 1);
	size_t bound = snappy_max_compressed_length(SM_SNAPPY_BLOCK);
	for (size_t pos = 0; pos < len; pos += SM_SNAPPY_BLOCK) {
		size_t n = len - pos < SM_SNAPPY_BLOCK ? len - pos : SM_SNAPPY_BLOCK;
		size_t at = sm_wbuf_reserve(out, 4);
		char *dst = (char *)compression_room(out, bound);
		size_t clen = bound;
		if (snappy_compress((const char *)in + pos, n, dst, &clen) !=
		    SNAPPY_OK)
			return SM_ERR_CORRUPT_MESSAGE;
		out->len += clen;
		sm_wbuf_patch_u32(out, at, (uint32_t)clen);
	}
	return SM_ERR_NONE;
}

/* ---- lz4 frame ---- */

/* Parses and checks the frame header; returns its length or 0 if bad. */
static size_t compression_lz4_header(const uint8_t *in, size_t len, int magic,
				     int *flg, size_t *block_max)
{
	if (len < 7 || compression_le32(in) != SM_LZ4_MAGIC)
		return 0;
	int f = in[4], bd = in[5];
	if ((f >> 6) != 1 || (f & 0x03) || !(f & 0x20))
		return 0; /* version 01, reserved bits 0, independent blocks */
	if ((bd & 0x8f) || ((bd >> 4) & 7) < 4)
		return 0;
	size_t hlen = (f & 0x08) ? 15 : 7;
	if (len < hlen)
		return 0;
	uint8_t hc = (uint8_t)(sm_xxh32(in + 4, hlen - 5, 0) >> 8);
	if (magic != 0 && hc != in[hlen - 1])
		return 0;
	*flg = f;
	*block_max = (size_t)1 << (8 + 2 * ((bd >> 4) & 7));
	return hlen;
}

static sm_err_t compression_unlz4(const uint8_t *in, size_t len, sm_wbuf_t *out,
				  size_t start, size_t max_out, int magic)
{
	int flg;
	size_t block_max;
	size_t pos = compression_lz4_header(in, len, magic, &flg, &block_max);
	if (!pos)
		return SM_ERR_CORRUPT_MESSAGE;
	for (;;) {
		if (len - pos < 4)
			return SM_ERR_CORRUPT_MESSAGE;
		uint32_t bsize = compression_le32(in + pos);
		pos += 4;
		if (bsize == 0)
			break; /* end mark */
		int raw = (bsize & 0x80000000u) != 0;
		bsize &= 0x7fffffffu;
		size_t trailer = (flg & 0x10) ? 4 : 0;
		if (bsize > block_max || bsize > len - pos ||
		    trailer > len - pos - bsize)
			return SM_ERR_CORRUPT_MESSAGE;
		if (trailer && sm_xxh32(in + pos, bsize, 0) !=
				       compression_le32(in + pos + bsize))
			return SM_ERR_CORRUPT_MESSAGE;
		size_t left = max_out - (out->len - start);
		if (raw) {
			if (bsize > left)
				return SM_ERR_CORRUPT_MESSAGE;
			sm_wbuf_append(out, in + pos, bsize);
		} else {
			size_t cap = block_max < left ? block_max : left;
			char *dst = (char *)compression_room(out, cap);
			int n = LZ4_decompress_safe((const char *)in + pos, dst,
						    (int)bsize, (int)cap);
			if (n < 0)
				return SM_ERR_CORRUPT_MESSAGE;
			out->len += (size_t)n;
		}
		pos += bsize + trailer;
	}
	/* A flagged content checksum follows the end mark; Kafka skips it. */
	if ((flg & 0x04) && len - pos < 4)
		return SM_ERR_CORRUPT_MESSAGE;
	return SM_ERR_NONE;
}

static sm_err_t compression_lz4(const uint8_t *in, size_t len, sm_wbuf_t *out,
				int magic)
{
	uint8_t hdr[7];
	compression_put_le32(hdr, SM_LZ4_MAGIC);
	hdr[4] = 0x60;
	hdr[5] = 0x40;
	/* Magic 0 keeps Kafka 0.8's checksum over magic + descriptor. */
	if (magic == 0)
		hdr[6] = (uint8_t)(sm_xxh32(hdr, 6, 0) >> 8);
	else
		hdr[6] = (uint8_t)(sm_xxh32(hdr + 4, 2, 0) >> 8);
	sm_wbuf_append(out, hdr, sizeof(hdr));
	int bound = LZ4_compressBound(SM_LZ4_BLOCK);
	for (size_t pos = 0; pos < len; pos += SM_LZ4_BLOCK) {
		int n = (int)(len - pos < SM_LZ4_BLOCK ? len - pos : SM_LZ4_BLOCK);
		size_t at = sm_wbuf_reserve(out, 4);
		char *dst = (char *)compression_room(out, (size_t)bound);
		int c = LZ4_compress_default((const char *)in + pos, dst, n, bound);
		if (c > 0 && c < n) {
			out->len += (size_t)c;
			compression_put_le32(out->p + at, (uint32_t)c);
		} else {
			/* Incompressible: stored, flagged by the high bit. */
			sm_wbuf_append(out, in + pos, (size_t)n);
			compression_put_le32(out->p + at, (uint32_t)n | 0x80000000u);
		}
	}
	sm_wbuf_i32(out, 0);
	return SM_ERR_NONE;
}

/* ---- zstd ---- */

static sm_err_t compression_unzstd(const uint8_t *in, size_t len,
				   sm_wbuf_t *out, size_t start, size_t max_out)
{
	sm_err_t err = SM_ERR_CORRUPT_MESSAGE;
	if (len == 0)
		return err;
	ZSTD_DStream *ds = ZSTD_createDStream();
	if (!ds)
		return err;
	ZSTD_initDStream(ds);
	ZSTD_inBuffer ib = { in, len, 0 };
	for (;;) {
		size_t room = compression_step(out, start, max_out);
		ZSTD_outBuffer ob = { compression_room(out, room), room, 0 };
		size_t before = ib.pos;
		size_t rc = ZSTD_decompressStream(ds, &ob, &ib);
		if (ZSTD_isError(rc))
			break;
		out->len += ob.pos;
		if (out->len - start > max_out)
			break;
		/* rc 0: frame fully decoded and flushed. */
		if (ib.pos == ib.size && (ob.pos < room || rc == 0)) {
			if (rc == 0)
				err = SM_ERR_NONE; /* else: truncated frame */
			break;
		}
		if (ob.pos == 0 && ib.pos == before)
			break; /* no progress */
	}
	ZSTD_freeDStream(ds);
	return err;
}

static sm_err_t compression_zstd(const uint8_t *in, size_t len, sm_wbuf_t *out)
{
	size_t bound = ZSTD_compressBound(len);
	void *dst = compression_room(out, bound);
	size_t n = ZSTD_compress(dst, bound, in, len, 3);
	if (ZSTD_isError(n))
		return SM_ERR_CORRUPT_MESSAGE;
	out->len += n;
	return SM_ERR_NONE;
}

/* ---- dispatch ---- */

sm_err_t sm_decompress(sm_codec_t codec, const uint8_t *in, size_t len,
		       sm_wbuf_t *out, size_t max_out, int magic)
{
	size_t start = out->len;
	sm_err_t err;

	switch (codec) {
	case SM_CODEC_NONE:
		if (len > max_out)
			return SM_ERR_CORRUPT_MESSAGE;
		sm_wbuf_append(out, in, len);
		return SM_ERR_NONE;
	case SM_CODEC_GZIP:
		err = compression_gunzip(in, len, out, start, max_out);
		break;
	case SM_CODEC_SNAPPY:
		err = compression_unsnappy(in, len, out, start, max_out);
		break;
	case SM_CODEC_LZ4:
		err = compression_unlz4(in, len, out, start, max_out, magic);
		break;
	case SM_CODEC_ZSTD:
		err = compression_unzstd(in, len, out, start, max_out);
		break;
	default:
		return SM_ERR_UNSUPPORTED_COMPRESSION_TYPE;
	}
	if (err)
		out->len = start;
	return err;
}

sm_err_t sm_compress(sm_codec_t codec, const uint8_t *in, size_t len,
		     sm_wbuf_t *out, int magic)
{
	size_t start = out->len;
	sm_err_t err;

	switch (codec) {
	case SM_CODEC_NONE:
		sm_wbuf_append(out, in, len);
		return SM_ERR_NONE;
	case SM_CODEC_GZIP:
		err = compression_gzip(in, len, out);
		break;
	case SM_CODEC_SNAPPY:
		err = compression_snappy(in, len, out);
		break;
	case SM_CODEC_LZ4:
		err = compression_lz4(in, len, out, magic);
		break;
	case SM_CODEC_ZSTD:
		err = compression_zstd(in, len, out);
		break;
	default:
		return SM_ERR_UNSUPPORTED_COMPRESSION_TYPE;
	}
	if (err)
		out->len = start;
	return err;
}
