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
 * Decoding is streaming (sm_dstream_*): the decoded bytes go out in pieces
 * into a caller buffer and each decoder holds at most one block or window,
 * with the limits in compression.h, so a small hostile payload can neither
 * make the broker allocate without limit nor hold a whole decoded batch.
 * sm_decompress, for the paths that need the bytes whole, is a loop over
 * the stream with an output budget (max_out).
 *
 * Thread-safety: reentrant, no shared state.
 */
#include <limits.h>
#include <stdlib.h>
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

/* ---- gzip ---- */

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

/* ---- streaming decompression ---- */

/* zlib's allocations, counted so that mem_peak covers the inflate state. */
static void dstream_note(sm_dstream_t *d, size_t add, size_t sub)
{
	d->mem = d->mem + add - sub;
	if (d->mem > d->mem_peak)
		d->mem_peak = d->mem;
}

static voidpf dstream_zalloc(voidpf opaque, uInt items, uInt size)
{
	sm_dstream_t *d = opaque;
	size_t n = (size_t)items * size;
	size_t *p = malloc(n + sizeof(size_t));
	if (!p)
		return Z_NULL;
	*p = n;
	dstream_note(d, n, 0);
	return p + 1;
}

static void dstream_zfree(voidpf opaque, voidpf addr)
{
	if (!addr)
		return;
	size_t *p = (size_t *)addr - 1;
	dstream_note(opaque, 0, *p);
	free(p);
}

static uint8_t *dstream_block_buf(sm_dstream_t *d, size_t n)
{
	if (n > d->own_cap) {
		dstream_note(d, n, d->own_cap);
		free(d->own);
		d->own = sm_malloc(n);
		d->own_cap = n;
	}
	return d->own;
}

sm_err_t sm_dstream_init(sm_dstream_t *d, sm_codec_t codec, const uint8_t *in,
			 size_t len, int magic)
{
	memset(d, 0, sizeof(*d));
	d->codec = codec;
	d->magic = magic;
	d->in = in;
	d->len = len;
	d->err = SM_ERR_CORRUPT_MESSAGE; /* until set up */
	switch (codec) {
	case SM_CODEC_NONE:
		break;
	case SM_CODEC_GZIP: {
		if (len > UINT_MAX)
			return d->err;
		z_stream *zs = calloc(1, sizeof(*zs));
		if (!zs)
			return d->err;
		dstream_note(d, sizeof(*zs), 0);
		zs->zalloc = dstream_zalloc;
		zs->zfree = dstream_zfree;
		zs->opaque = d;
		if (inflateInit2(zs, 16 + MAX_WBITS) != Z_OK) {
			free(zs);
			return d->err;
		}
		zs->next_in = (Bytef *)in;
		zs->avail_in = (uInt)len;
		d->ctx = zs;
		break;
	}
	case SM_CODEC_SNAPPY:
		d->xerial = len >= 16 &&
			    !memcmp(in, sm_compression_xerial_magic, 8);
		d->pos = d->xerial ? 16 : 0;
		break;
	case SM_CODEC_LZ4:
		d->pos = compression_lz4_header(in, len, magic, &d->flg,
						&d->block_max);
		if (!d->pos)
			return d->err;
		break;
	case SM_CODEC_ZSTD: {
		if (len == 0)
			return d->err;
		ZSTD_DStream *ds = ZSTD_createDStream();
		if (!ds)
			return d->err;
		d->ctx = ds;
		/* Bounds the window a frame may ask the decoder to allocate. */
		if (ZSTD_isError(ZSTD_DCtx_setParameter(ds, ZSTD_d_windowLogMax,
							SM_DSTREAM_ZSTD_WINDOW_LOG_MAX)))
			return d->err;
		d->zrc = 1;
		dstream_note(d, ZSTD_sizeof_DStream(ds), 0);
		break;
	}
	default:
		return d->err = SM_ERR_UNSUPPORTED_COMPRESSION_TYPE;
	}
	return d->err = SM_ERR_NONE;
}

static long dstream_gzip(sm_dstream_t *d, uint8_t *buf, size_t n)
{
	z_stream *zs = d->ctx;
	if (n > UINT_MAX)
		n = UINT_MAX;
	for (;;) {
		zs->next_out = buf;
		zs->avail_out = (uInt)n;
		int rc = inflate(zs, Z_NO_FLUSH);
		size_t got = n - zs->avail_out;
		if (rc == Z_STREAM_END) {
			/* GZIPInputStream reads on when another member follows
			 * and ignores anything else after the trailer. */
			if (zs->avail_in >= 2 && zs->next_in[0] == 0x1f &&
			    zs->next_in[1] == 0x8b) {
				if (inflateReset(zs) != Z_OK)
					return -1;
			} else {
				d->done = 1;
			}
		} else if (rc != Z_OK) {
			return -1; /* corrupt, or truncated (Z_BUF_ERROR) */
		}
		if (got || d->done)
			return (long)got;
	}
}

static long dstream_zstd(sm_dstream_t *d, uint8_t *buf, size_t n)
{
	ZSTD_DStream *ds = d->ctx;
	ZSTD_inBuffer ib = { d->in, d->len, d->pos };
	for (;;) {
		/* A frame ended exactly at the end of the input: complete
		 * (frames may follow one another, as zstd-jni reads them). */
		if (d->zrc == 0 && ib.pos == ib.size) {
			d->done = 1;
			return 0;
		}
		ZSTD_outBuffer ob = { buf, n, 0 };
		size_t before = ib.pos;
		size_t rc = ZSTD_decompressStream(ds, &ob, &ib);
		d->pos = ib.pos;
		if (ZSTD_isError(rc))
			return -1;
		d->zrc = rc;
		size_t sz = ZSTD_sizeof_DStream(ds);
		if (sz > d->mem)
			dstream_note(d, sz, d->mem);
		if (ob.pos)
			return (long)ob.pos;
		if (rc != 0 && (ib.pos == ib.size || ib.pos == before))
			return -1; /* truncated frame, or no progress */
	}
}

/* Decodes the next lz4 block into d->blk; 0 at the end mark, -1 if bad. */
static int dstream_lz4_block(sm_dstream_t *d)
{
	const uint8_t *in = d->in;
	size_t len = d->len, pos = d->pos;
	if (len - pos < 4)
		return -1;
	uint32_t bsize = compression_le32(in + pos);
	pos += 4;
	if (bsize == 0) {
		/* A flagged content checksum follows; Kafka skips it. */
		if ((d->flg & 0x04) && len - pos < 4)
			return -1;
		d->pos = pos;
		return 0;
	}
	int raw = (bsize & 0x80000000u) != 0;
	bsize &= 0x7fffffffu;
	size_t trailer = (d->flg & 0x10) ? 4 : 0;
	if (bsize > d->block_max || bsize > len - pos ||
	    trailer > len - pos - bsize)
		return -1;
	if (trailer && sm_xxh32(in + pos, bsize, 0) !=
			       compression_le32(in + pos + bsize))
		return -1;
	if (raw) {
		d->blk = in + pos;
		d->blk_len = bsize;
	} else {
		uint8_t *dst = dstream_block_buf(d, d->block_max);
		int got = LZ4_decompress_safe((const char *)in + pos, (char *)dst,
					      (int)bsize, (int)d->block_max);
		if (got < 0)
			return -1;
		d->blk = dst;
		d->blk_len = (size_t)got;
	}
	d->blk_pos = 0;
	d->pos = pos + bsize + trailer;
	return 1;
}

/* Decodes one snappy block of clen bytes at d->pos into d->blk. */
static int dstream_snappy_decode(sm_dstream_t *d, size_t clen)
{
	const char *src = (const char *)d->in + d->pos;
	size_t ulen;
	if (snappy_uncompressed_length(src, clen, &ulen) != SNAPPY_OK ||
	    ulen > SM_DSTREAM_SNAPPY_MAX_BLOCK)
		return -1;
	uint8_t *dst = dstream_block_buf(d, ulen ? ulen : 1);
	size_t got = ulen;
	if (snappy_uncompress(src, clen, (char *)dst, &got) != SNAPPY_OK ||
	    got != ulen)
		return -1;
	d->blk = dst;
	d->blk_len = got;
	d->blk_pos = 0;
	d->pos += clen;
	return 1;
}

/* Next snappy block: xerial framing is magic, version, compatible version,
 * then sized blocks; without it the payload is one raw block. */
static int dstream_snappy_block(sm_dstream_t *d)
{
	if (d->pos >= d->len && (d->xerial || d->pos > 0))
		return 0;
	if (!d->xerial)
		return dstream_snappy_decode(d, d->len);
	if (d->len - d->pos < 4)
		return -1;
	uint32_t clen = sm_be32(d->in + d->pos);
	d->pos += 4;
	if (clen > d->len - d->pos)
		return -1;
	return dstream_snappy_decode(d, clen);
}

long sm_dstream_read(sm_dstream_t *d, uint8_t *buf, size_t n)
{
	if (d->err)
		return -1;
	if (d->done || n == 0)
		return 0;
	long got;
	switch (d->codec) {
	case SM_CODEC_NONE: {
		size_t left = d->len - d->pos;
		got = (long)(left < n ? left : n);
		memcpy(buf, d->in + d->pos, (size_t)got);
		d->pos += (size_t)got;
		d->done = got == 0;
		return got;
	}
	case SM_CODEC_GZIP:
		got = dstream_gzip(d, buf, n);
		break;
	case SM_CODEC_ZSTD:
		got = dstream_zstd(d, buf, n);
		break;
	case SM_CODEC_LZ4:
	case SM_CODEC_SNAPPY:
		got = 0;
		while (d->blk_pos == d->blk_len) {
			int rc = d->codec == SM_CODEC_LZ4 ? dstream_lz4_block(d) :
							    dstream_snappy_block(d);
			if (rc <= 0) {
				got = rc;
				d->done = rc == 0;
				break;
			}
		}
		if (got == 0 && !d->done) {
			size_t left = d->blk_len - d->blk_pos;
			got = (long)(left < n ? left : n);
			memcpy(buf, d->blk + d->blk_pos, (size_t)got);
			d->blk_pos += (size_t)got;
		}
		break;
	default:
		got = -1;
	}
	if (got < 0)
		d->err = SM_ERR_CORRUPT_MESSAGE;
	return got;
}

void sm_dstream_end(sm_dstream_t *d)
{
	if (d->codec == SM_CODEC_GZIP && d->ctx) {
		inflateEnd(d->ctx);
		free(d->ctx);
	} else if (d->codec == SM_CODEC_ZSTD && d->ctx) {
		ZSTD_freeDStream(d->ctx);
	}
	d->ctx = NULL;
	free(d->own);
	d->own = NULL;
	d->own_cap = 0;
}

/* ---- dispatch ---- */

sm_err_t sm_decompress(sm_codec_t codec, const uint8_t *in, size_t len,
		       sm_wbuf_t *out, size_t max_out, int magic)
{
	size_t start = out->len;
	sm_dstream_t d;
	sm_err_t err = sm_dstream_init(&d, codec, in, len, magic);
	while (!err) {
		/* One byte past the budget, so that overflowing it shows. */
		size_t left = max_out - (out->len - start);
		size_t room = left >= SM_COMPRESSION_CHUNK ? SM_COMPRESSION_CHUNK :
							    left + 1;
		long got = sm_dstream_read(&d, compression_room(out, room), room);
		if (got < 0)
			err = d.err;
		else if (got == 0)
			break;
		else if ((out->len += (size_t)got) - start > max_out)
			err = SM_ERR_CORRUPT_MESSAGE;
	}
	sm_dstream_end(&d);
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
