/* test_compression.c - codec round trips, foreign-encoder vectors (zlib,
 * raw snappy, liblz4 frames, zstd streaming), Kafka's lz4 rules, corrupt
 * input and the output bound. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "compression.h"

static const size_t test_sizes[] = { 0, 1, 100, 32768, 32769, 65536, 65537, 300000 };

static uint8_t *test_data(size_t n, int compressible, unsigned seed)
{
	uint8_t *p = malloc(n ? n : 1);
	srand(seed);
	for (size_t i = 0; i < n; i++)
		p[i] = compressible ? (uint8_t)("kafka-samsa "[i % 12] + (i / 4096) % 3) :
				      (uint8_t)rand();
	return p;
}

static void test_roundtrip(void)
{
	for (int codec = SM_CODEC_NONE; codec <= SM_CODEC_ZSTD; codec++)
	for (int magic = 0; magic <= 2; magic++)
	for (size_t s = 0; s < sizeof(test_sizes) / sizeof(test_sizes[0]); s++)
	for (int comp = 0; comp <= 1; comp++) {
		size_t n = test_sizes[s];
		uint8_t *in = test_data(n, comp, (unsigned)(n + comp));
		sm_wbuf_t z, out;
		sm_wbuf_init(&z, 0);
		sm_wbuf_init(&out, 0);
		sm_wbuf_append(&out, "xyz", 3); /* decoders append */
		CU_ASSERT_EQUAL_FATAL(sm_compress(codec, in, n, &z, magic), SM_ERR_NONE);
		if (comp && n >= 32768 && codec != SM_CODEC_NONE)
			CU_ASSERT(z.len < n / 2);
		sm_err_t err = sm_decompress(codec, z.p, z.len, &out, n, magic);
		if (err)
			fprintf(stderr, "codec %d magic %d size %zu: %d\n",
				codec, magic, n, err);
		CU_ASSERT_EQUAL(err, SM_ERR_NONE);
		CU_ASSERT_EQUAL(out.len, n + 3);
		CU_ASSERT(out.len == n + 3 && memcmp(out.p + 3, in, n) == 0);
		CU_ASSERT_EQUAL(memcmp(out.p, "xyz", 3), 0);
		if (n > 0) {
			/* One byte short of the budget fails and leaves out alone. */
			out.len = 3;
			CU_ASSERT_EQUAL(sm_decompress(codec, z.p, z.len, &out,
						      n - 1, magic),
					SM_ERR_CORRUPT_MESSAGE);
			CU_ASSERT_EQUAL(out.len, 3);
		}
		sm_wbuf_free(&z);
		sm_wbuf_free(&out);
		free(in);
	}
}

static void test_xxh32(void)
{
	CU_ASSERT_EQUAL(sm_xxh32("", 0, 0), 0x02CC5D05u);
	CU_ASSERT_EQUAL(sm_xxh32("abc", 3, 0), 0x32D153FFu);
	/* Long input against liblz4's content checksum (xxh32 of the data). */
	size_t n = 100003;
	uint8_t *in = test_data(n, 0, 7);
	LZ4F_preferences_t prefs;
	memset(&prefs, 0, sizeof(prefs));
	prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
	size_t cap = LZ4F_compressFrameBound(n, &prefs);
	uint8_t *f = malloc(cap);
	size_t flen = LZ4F_compressFrame(f, cap, in, n, &prefs);
	CU_ASSERT_FATAL(!LZ4F_isError(flen));
	const uint8_t *t = f + flen - 4;
	uint32_t want = t[0] | (t[1] << 8) | (t[2] << 16) | ((uint32_t)t[3] << 24);
	CU_ASSERT_EQUAL(sm_xxh32(in, n, 0), want);
	free(f);
	free(in);
}

static void test_gzip_vectors(void)
{
	/* Two gzip members written by zlib: the Java reader reads both. */
	const char *a = "first member ", *b = "second member";
	sm_wbuf_t z, out;
	sm_wbuf_init(&z, 0);
	sm_wbuf_init(&out, 0);
	for (int i = 0; i < 2; i++) {
		const char *s = i ? b : a;
		z_stream zs;
		memset(&zs, 0, sizeof(zs));
		CU_ASSERT_EQUAL_FATAL(deflateInit2(&zs, 9, Z_DEFLATED, 31, 9,
						   Z_DEFAULT_STRATEGY), Z_OK);
		uint8_t buf[256];
		zs.next_in = (Bytef *)s;
		zs.avail_in = (uInt)strlen(s);
		zs.next_out = buf;
		zs.avail_out = sizeof(buf);
		CU_ASSERT_EQUAL(deflate(&zs, Z_FINISH), Z_STREAM_END);
		sm_wbuf_append(&z, buf, sizeof(buf) - zs.avail_out);
		deflateEnd(&zs);
	}
	CU_ASSERT_EQUAL(sm_decompress(SM_CODEC_GZIP, z.p, z.len, &out, 1000, 2),
			SM_ERR_NONE);
	CU_ASSERT_EQUAL(out.len, 26);
	CU_ASSERT(out.len == 26 && memcmp(out.p, "first member second member", 26) == 0);
	/* A zlib (not gzip) stream is refused, as GZIPInputStream does. */
	uint8_t zl[64];
	uLongf zlen = sizeof(zl);
	compress2(zl, &zlen, (const Bytef *)a, strlen(a), 6);
	out.len = 0;
	CU_ASSERT_EQUAL(sm_decompress(SM_CODEC_GZIP, zl, zlen, &out, 1000, 2),
			SM_ERR_CORRUPT_MESSAGE);
	sm_wbuf_free(&z);
	sm_wbuf_free(&out);
}

static void test_snappy_vectors(void)
{
	const char *text = "snappy snappy snappy raw block of text";
	size_t n = strlen(text);
	char raw[128];
	size_t rlen = sizeof(raw);
	CU_ASSERT_EQUAL_FATAL(snappy_compress(text, n, raw, &rlen), SNAPPY_OK);
	sm_wbuf_t out, x;
	sm_wbuf_init(&out, 0);
	CU_ASSERT_EQUAL(sm_decompress(SM_CODEC_SNAPPY, (uint8_t *)raw, rlen, &out,
				      1000, 2), SM_ERR_NONE);
	CU_ASSERT(out.len == n && memcmp(out.p, text, n) == 0);
	/* xerial framing by hand: magic, version 1, compatible 1, two chunks. */
	static const uint8_t magic[8] = { 0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0 };
	sm_wbuf_init(&x, 0);
	sm_wbuf_append(&x, magic, 8);
	sm_wbuf_i32(&x, 1);
	sm_wbuf_i32(&x, 1);
	for (int i = 0; i < 2; i++) {
		sm_wbuf_i32(&x, (int32_t)rlen);
		sm_wbuf_append(&x, raw, rlen);
	}
	out.len = 0;
	CU_ASSERT_EQUAL(sm_decompress(SM_CODEC_SNAPPY, x.p, x.len, &out, 1000, 2),
			SM_ERR_NONE);
	CU_ASSERT(out.len == 2 * n && memcmp(out.p + n, text, n) == 0);
	/* Our writer's framing starts with the same 16 bytes. */
	sm_wbuf_t w;
	sm_wbuf_init(&w, 0);
	sm_compress(SM_CODEC_SNAPPY, (const uint8_t *)text, n, &w, 2);
	CU_ASSERT_EQUAL(memcmp(w.p, x.p, 16), 0);
	/* A chunk length past the end fails. */
	sm_put_be32(x.p + 16, 1000);
	out.len = 0;
	CU_ASSERT_EQUAL(sm_decompress(SM_CODEC_SNAPPY, x.p, x.len, &out, 1000, 2),
			SM_ERR_CORRUPT_MESSAGE);
	sm_wbuf_free(&w);
	sm_wbuf_free(&x);
	sm_wbuf_free(&out);
}

static size_t test_lz4f(uint8_t *dst, size_t cap, const uint8_t *in, size_t n,
			int linked)
{
	LZ4F_preferences_t prefs;
	memset(&prefs, 0, sizeof(prefs));
	prefs.frameInfo.blockSizeID = LZ4F_max64KB;
	prefs.frameInfo.blockMode = linked ? LZ4F_blockLinked : LZ4F_blockIndependent;
	prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
	prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
	prefs.frameInfo.contentSize = n;
	size_t r = LZ4F_compressFrame(dst, cap, in, n, &prefs);
	CU_ASSERT_FATAL(!LZ4F_isError(r));
	return r;
}

static void test_lz4_vectors(void)
{
	size_t n = 200000;
	uint8_t *in = test_data(n, 1, 3);
	size_t cap = n + 4096;
	uint8_t *f = malloc(cap);
	sm_wbuf_t out;
	sm_wbuf_init(&out, 0);
	/* liblz4 frame with content size, content and block checksums. */
	size_t flen = test_lz4f(f, cap, in, n, 0);
	CU_ASSERT_EQUAL(f[4] & 0x0c, 0x0c);
	CU_ASSERT_EQUAL(sm_decompress(SM_CODEC_LZ4, f, flen, &out, n, 2), SM_ERR_NONE);
	CU_ASSERT(out.len == n && memcmp(out.p, in, n) == 0);
	/* A flipped header checksum fails for magic 1/2, passes for magic 0. */
	f[4 + 2 + 8] ^= 0x5a;
	out.len = 0;
	CU_ASSERT_EQUAL(sm_decompress(SM_CODEC_LZ4, f, flen, &out, n, 1),
			SM_ERR_CORRUPT_MESSAGE);
	CU_ASSERT_EQUAL(sm_decompress(SM_CODEC_LZ4, f, flen, &out, n, 0), SM_ERR_NONE);
	/* A damaged block fails its block checksum. */
	f[40] ^= 0x01;
	out.len = 0;
	CU_ASSERT_EQUAL(sm_decompress(SM_CODEC_LZ4, f, flen, &out, n, 0),
			SM_ERR_CORRUPT_MESSAGE);
	/* Dependent blocks are refused. */
	flen = test_lz4f(f, cap, in, n, 1);
	CU_ASSERT_EQUAL(sm_decompress(SM_CODEC_LZ4, f, flen, &out, n, 2),
			SM_ERR_CORRUPT_MESSAGE);
	free(f);
	free(in);
	sm_wbuf_free(&out);
}

/* Our frames decode with liblz4; magic 0 carries Kafka's old checksum. */
static void test_lz4_writer(void)
{
	size_t n = 150000;
	uint8_t *in = test_data(n, 1, 5);
	uint8_t *dec = malloc(n);
	for (int magic = 0; magic <= 2; magic++) {
		sm_wbuf_t z, out;
		sm_wbuf_init(&z, 0);
		sm_wbuf_init(&out, 0);
		sm_compress(SM_CODEC_LZ4, in, n, &z, magic);
		CU_ASSERT_EQUAL(z.p[4], 0x60);
		CU_ASSERT_EQUAL(z.p[5], 0x40);
		uint8_t good = (uint8_t)(sm_xxh32(z.p + 4, 2, 0) >> 8);
		uint8_t old = (uint8_t)(sm_xxh32(z.p, 6, 0) >> 8);
		CU_ASSERT_NOT_EQUAL(good, old);
		CU_ASSERT_EQUAL(z.p[6], magic == 0 ? old : good);
		if (magic) {
			LZ4F_dctx *d;
			LZ4F_createDecompressionContext(&d, LZ4F_VERSION);
			size_t dl = n, sl = z.len;
			size_t r = LZ4F_decompress(d, dec, &dl, z.p, &sl, NULL);
			CU_ASSERT_EQUAL(r, 0);
			CU_ASSERT(dl == n && memcmp(dec, in, n) == 0);
			LZ4F_freeDecompressionContext(d);
		} else {
			CU_ASSERT_EQUAL(sm_decompress(SM_CODEC_LZ4, z.p, z.len,
						      &out, n, 1),
					SM_ERR_CORRUPT_MESSAGE);
		}
		sm_wbuf_free(&z);
		sm_wbuf_free(&out);
	}
	free(dec);
	free(in);
}

static void test_zstd_vectors(void)
{
	/* Streaming frames carry no content size; two frames back to back. */
	size_t n = 250000;
	uint8_t *in = test_data(n, 1, 9);
	size_t cap = ZSTD_compressBound(n) * 2 + 64;
	uint8_t *f = malloc(cap);
	size_t flen = 0;
	for (int i = 0; i < 2; i++) {
		ZSTD_CStream *cs = ZSTD_createCStream();
		ZSTD_initCStream(cs, 3);
		ZSTD_inBuffer ib = { in, n, 0 };
		ZSTD_outBuffer ob = { f + flen, cap - flen, 0 };
		ZSTD_compressStream(cs, &ob, &ib);
		CU_ASSERT_EQUAL(ZSTD_endStream(cs, &ob), 0);
		if (i == 0)
			CU_ASSERT_EQUAL(ZSTD_getFrameContentSize(f, ob.pos),
					ZSTD_CONTENTSIZE_UNKNOWN);
		flen += ob.pos;
		ZSTD_freeCStream(cs);
	}
	sm_wbuf_t out;
	sm_wbuf_init(&out, 0);
	CU_ASSERT_EQUAL(sm_decompress(SM_CODEC_ZSTD, f, flen, &out, 2 * n, 2),
			SM_ERR_NONE);
	CU_ASSERT(out.len == 2 * n && memcmp(out.p + n, in, n) == 0);
	out.len = 0;
	CU_ASSERT_EQUAL(sm_decompress(SM_CODEC_ZSTD, f, flen, &out, 2 * n - 1, 2),
			SM_ERR_CORRUPT_MESSAGE);
	sm_wbuf_free(&out);
	free(f);
	free(in);
}

static void test_corrupt(void)
{
	size_t n = 70000;
	uint8_t *in = test_data(n, 1, 11);
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x13 };
	for (int codec = SM_CODEC_GZIP; codec <= SM_CODEC_ZSTD; codec++) {
		sm_wbuf_t z, out;
		sm_wbuf_init(&z, 0);
		sm_wbuf_init(&out, 0);
		sm_compress(codec, in, n, &z, 2);
		/* Truncated streams fail. */
		size_t cuts[] = { 0, 1, 5, z.len / 2, z.len - 1 };
		for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
			out.len = 0;
			CU_ASSERT_EQUAL(sm_decompress(codec, z.p, cuts[i], &out, n, 2),
					SM_ERR_CORRUPT_MESSAGE);
			CU_ASSERT_EQUAL(out.len, 0);
		}
		CU_ASSERT_EQUAL(sm_decompress(codec, junk, sizeof(junk), &out, n, 2),
				SM_ERR_CORRUPT_MESSAGE);
		/* Flipped bytes never crash nor overrun the budget. */
		for (size_t i = 0; i < z.len; i += 97) {
			z.p[i] ^= 0xa5;
			out.len = 0;
			sm_err_t err = sm_decompress(codec, z.p, z.len, &out, n, 2);
			CU_ASSERT(err == SM_ERR_NONE || err == SM_ERR_CORRUPT_MESSAGE);
			CU_ASSERT(out.len <= n);
			z.p[i] ^= 0xa5;
		}
		sm_wbuf_free(&z);
		sm_wbuf_free(&out);
	}
	sm_wbuf_t out;
	sm_wbuf_init(&out, 0);
	CU_ASSERT_EQUAL(sm_decompress((sm_codec_t)7, junk, 4, &out, 10, 2),
			SM_ERR_UNSUPPORTED_COMPRESSION_TYPE);
	CU_ASSERT_EQUAL(sm_decompress(SM_CODEC_NONE, junk, 8, &out, 7, 2),
			SM_ERR_CORRUPT_MESSAGE);
	sm_wbuf_free(&out);
	free(in);
}

static void test_names(void)
{
	sm_codec_t c = SM_CODEC_NONE;
	CU_ASSERT_STRING_EQUAL(sm_codec_name(SM_CODEC_LZ4), "lz4");
	CU_ASSERT_EQUAL(sm_codec_from_config("producer", &c), 1);
	CU_ASSERT_EQUAL(sm_codec_from_config("zstd", &c), 0);
	CU_ASSERT_EQUAL(c, SM_CODEC_ZSTD);
	CU_ASSERT_EQUAL(sm_codec_from_config("uncompressed", &c), 0);
	CU_ASSERT_EQUAL(c, SM_CODEC_NONE);
	CU_ASSERT_EQUAL(sm_codec_from_config("brotli", &c), -1);
}

/* Streams a whole stream through a small caller buffer; returns the decoded
 * size, or -1 on error. *peak gets what the decoder held at most. */
static long long test_stream(sm_codec_t codec, const uint8_t *in, size_t len,
			     size_t *peak)
{
	uint8_t buf[4096];
	sm_dstream_t d;
	long long total = 0;
	if (sm_dstream_init(&d, codec, in, len, 2)) {
		sm_dstream_end(&d);
		return -1;
	}
	for (;;) {
		long n = sm_dstream_read(&d, buf, sizeof(buf));
		if (n < 0) {
			total = -1;
			CU_ASSERT_EQUAL(d.err, SM_ERR_CORRUPT_MESSAGE);
			break;
		}
		if (n == 0)
			break;
		CU_ASSERT(n <= (long)sizeof(buf));
		for (long i = 0; i < n; i++)
			if (buf[i]) {
				total = -2; /* the bombs are all zeros */
				goto out;
			}
		total += n;
	}
out:
	if (peak)
		*peak = d.mem_peak;
	sm_dstream_end(&d);
	return total;
}

/* 64 MiB of zeros in each codec: decoded through a 4 KiB caller buffer with
 * the decoder's own memory bounded, whatever the ratio; cut short, the
 * stream fails. */
static void test_bombs(void)
{
	size_t n = 64u * 1024 * 1024;
	uint8_t *zero = calloc(1, n);
	for (int codec = SM_CODEC_GZIP; codec <= SM_CODEC_ZSTD; codec++) {
		sm_wbuf_t z;
		sm_wbuf_init(&z, 0);
		CU_ASSERT_EQUAL_FATAL(sm_compress(codec, zero, n, &z, 2), SM_ERR_NONE);
		size_t peak = 0;
		CU_ASSERT_EQUAL(test_stream(codec, z.p, z.len, &peak), (long long)n);
		CU_ASSERT(peak <= SM_DSTREAM_MAX_MEM);
		if (codec == SM_CODEC_GZIP)
			CU_ASSERT(peak < 64 * 1024);
		if (codec == SM_CODEC_LZ4 || codec == SM_CODEC_SNAPPY)
			CU_ASSERT(peak <= 64 * 1024); /* one block */
		CU_ASSERT_EQUAL(test_stream(codec, z.p, z.len - 1, NULL), -1);
		CU_ASSERT_EQUAL(test_stream(codec, z.p, z.len / 2, NULL), -1);
		/* The whole-buffer form stops at its budget. */
		sm_wbuf_t out;
		sm_wbuf_init(&out, 0);
		CU_ASSERT_EQUAL(sm_decompress(codec, z.p, z.len, &out, 1 << 20, 2),
				SM_ERR_CORRUPT_MESSAGE);
		CU_ASSERT(out.cap <= 4 << 20);
		sm_wbuf_free(&out);
		sm_wbuf_free(&z);
	}
	free(zero);
}

/* Decoder limits: a zstd frame asking for a window above the bound, snappy
 * blocks declaring more than the block bound, an lz4 block longer than the
 * frame's block size. */
static void test_decoder_limits(void)
{
	uint8_t small[1000];
	memset(small, 'a', sizeof(small));
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, SM_DSTREAM_ZSTD_WINDOW_LOG_MAX + 2);
	uint8_t f[2048];
	ZSTD_outBuffer ob = { f, sizeof(f), 0 };
	ZSTD_inBuffer ib = { small, sizeof(small), 0 };
	/* Fed in two steps so the frame header cannot carry the size. */
	CU_ASSERT(!ZSTD_isError(ZSTD_compressStream2(cc, &ob, &ib, ZSTD_e_continue)));
	ZSTD_inBuffer none = { NULL, 0, 0 };
	CU_ASSERT(ZSTD_compressStream2(cc, &ob, &none, ZSTD_e_end) == 0);
	ZSTD_freeCCtx(cc);
	unsigned long long csize = ZSTD_getFrameContentSize(f, ob.pos);
	CU_ASSERT_EQUAL(csize, ZSTD_CONTENTSIZE_UNKNOWN);
	CU_ASSERT_EQUAL(test_stream(SM_CODEC_ZSTD, f, ob.pos, NULL), -1);

	/* Snappy: one raw block of 9 MiB, and the same in xerial framing. */
	size_t big = SM_DSTREAM_SNAPPY_MAX_BLOCK + 1024 * 1024;
	uint8_t *zero = calloc(1, big);
	size_t clen = snappy_max_compressed_length(big);
	uint8_t *raw = malloc(clen + 20);
	CU_ASSERT_FATAL(snappy_compress((const char *)zero, big, (char *)raw + 20,
					&clen) == SNAPPY_OK);
	CU_ASSERT_EQUAL(test_stream(SM_CODEC_SNAPPY, raw + 20, clen, NULL), -1);
	static const uint8_t xm[16] = { 0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0,
					0, 0, 0, 1, 0, 0, 0, 1 };
	memcpy(raw, xm, 16);
	sm_put_be32(raw + 16, (uint32_t)clen);
	CU_ASSERT_EQUAL(test_stream(SM_CODEC_SNAPPY, raw, clen + 20, NULL), -1);
	/* ... while a block within the bound decodes. */
	clen = snappy_max_compressed_length(big);
	CU_ASSERT_FATAL(snappy_compress((const char *)zero, 1 << 20, (char *)raw + 20,
					&clen) == SNAPPY_OK);
	sm_put_be32(raw + 16, (uint32_t)clen);
	CU_ASSERT_EQUAL(test_stream(SM_CODEC_SNAPPY, raw, clen + 20, NULL), 1 << 20);
	free(raw);
	free(zero);

	/* lz4: a 64 KiB-block frame whose block claims 64 KiB + 1. */
	sm_wbuf_t z;
	sm_wbuf_init(&z, 0);
	CU_ASSERT_EQUAL(sm_compress(SM_CODEC_LZ4, small, sizeof(small), &z, 2), SM_ERR_NONE);
	z.p[7] = 0x01; z.p[8] = 0x00; z.p[9] = 0x01; z.p[10] = 0x00;
	CU_ASSERT_EQUAL(test_stream(SM_CODEC_LZ4, z.p, z.len, NULL), -1);
	sm_wbuf_free(&z);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("compression", NULL, NULL);
	CU_add_test(s, "round trip all codecs", test_roundtrip);
	CU_add_test(s, "xxh32", test_xxh32);
	CU_add_test(s, "gzip vectors", test_gzip_vectors);
	CU_add_test(s, "snappy raw and xerial", test_snappy_vectors);
	CU_add_test(s, "lz4 frames from liblz4", test_lz4_vectors);
	CU_add_test(s, "lz4 writer and magic-0 checksum", test_lz4_writer);
	CU_add_test(s, "zstd without content size", test_zstd_vectors);
	CU_add_test(s, "corrupt input", test_corrupt);
	CU_add_test(s, "names", test_names);
	CU_add_test(s, "bombs streamed with bounded memory", test_bombs);
	CU_add_test(s, "decoder limits", test_decoder_limits);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
