/*
 * crc32c.c - CRC-32C, reflected polynomial 0x82F63B78 (see crc32c.h).
 *
 * Every produced batch and every batch read back at recovery is summed
 * here, so this is per-byte work on the hot path. On x86-64 with SSE4.2 the
 * crc32 instruction folds 8 bytes per call; it has a latency of 3 cycles but
 * can start one per cycle, so a long buffer is cut into three equal lanes
 * summed side by side and the lane results are joined with a precomputed
 * "advance over LEN zero bytes" operator (CRC is linear over GF(2):
 * crc(A || B) = shift(crc(A), |B|) ^ crc0(B), where crc0 starts from 0).
 * The functions with the target attribute are only called after
 * __builtin_cpu_supports("sse4.2") said yes, so the rest of the build
 * stays baseline x86-64. Other CPUs use a slicing-by-8 table.
 */
#include "crc32c.h"

#include <pthread.h>
#include <string.h>

#define SM_CRC32C_POLY 0x82F63B78u

/* Lane lengths of the interleaved loop, in bytes (multiples of 8): long
 * buffers take 3 x LONG at a time, the rest 3 x SHORT, the tail goes
 * through the single stream. */
#define SM_CRC32C_LONG 4096
#define SM_CRC32C_SHORT 256

static uint32_t sm_crc32c_table[8][256];
/* shift operators: register advanced over LONG / SHORT zero bytes, one
 * table per byte of the register. */
static uint32_t sm_crc32c_long[4][256];
static uint32_t sm_crc32c_short[4][256];
static pthread_once_t sm_crc32c_once = PTHREAD_ONCE_INIT;
static int sm_crc32c_hw;

/* The raw register advanced over n zero bytes, bit by bit of the table. */
static uint32_t sm_crc32c_zeros(uint32_t c, size_t n)
{
	while (n--)
		c = (c >> 8) ^ sm_crc32c_table[0][c & 0xff];
	return c;
}

static void sm_crc32c_shift_init(uint32_t t[4][256], size_t n)
{
	/* The operator is linear: its value on each of the 32 single-bit
	 * registers gives every entry by XOR. */
	uint32_t basis[32];
	for (int b = 0; b < 32; b++)
		basis[b] = sm_crc32c_zeros(1u << b, n);
	for (int k = 0; k < 4; k++)
		for (uint32_t v = 0; v < 256; v++) {
			uint32_t r = 0;
			for (int i = 0; i < 8; i++)
				if (v & (1u << i))
					r ^= basis[8 * k + i];
			t[k][v] = r;
		}
}

static inline uint32_t sm_crc32c_shift(const uint32_t t[4][256], uint32_t c)
{
	return t[0][c & 0xff] ^ t[1][(c >> 8) & 0xff] ^ t[2][(c >> 16) & 0xff] ^
	       t[3][c >> 24];
}

static void sm_crc32c_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ SM_CRC32C_POLY : c >> 1;
		sm_crc32c_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			sm_crc32c_table[t][i] = (sm_crc32c_table[t - 1][i] >> 8) ^
						sm_crc32c_table[0][sm_crc32c_table[t - 1][i] & 0xff];
	sm_crc32c_shift_init(sm_crc32c_long, SM_CRC32C_LONG);
	sm_crc32c_shift_init(sm_crc32c_short, SM_CRC32C_SHORT);
#if defined(__x86_64__)
	__builtin_cpu_init();
	sm_crc32c_hw = __builtin_cpu_supports("sse4.2");
#endif
}

static uint32_t sm_crc32c_sw(uint32_t c, const uint8_t *p, size_t n)
{
	while (n >= 8) {
		uint32_t lo, hi;
		memcpy(&lo, p, 4);
		memcpy(&hi, p + 4, 4);
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
		lo = __builtin_bswap32(lo);
		hi = __builtin_bswap32(hi);
#endif
		lo ^= c;
		c = sm_crc32c_table[7][lo & 0xff] ^ sm_crc32c_table[6][(lo >> 8) & 0xff] ^
		    sm_crc32c_table[5][(lo >> 16) & 0xff] ^ sm_crc32c_table[4][lo >> 24] ^
		    sm_crc32c_table[3][hi & 0xff] ^ sm_crc32c_table[2][(hi >> 8) & 0xff] ^
		    sm_crc32c_table[1][(hi >> 16) & 0xff] ^ sm_crc32c_table[0][hi >> 24];
		p += 8;
		n -= 8;
	}
	while (n--)
		c = (c >> 8) ^ sm_crc32c_table[0][(c ^ *p++) & 0xff];
	return c;
}

#if defined(__x86_64__)
#include <nmmintrin.h>

__attribute__((target("sse4.2")))
static uint32_t sm_crc32c_sse42(uint32_t c, const uint8_t *p, size_t n)
{
	uint64_t c64 = c;
	while (n >= 8) {
		uint64_t v;
		memcpy(&v, p, 8); /* unaligned load; the instruction takes any */
		c64 = _mm_crc32_u64(c64, v);
		p += 8;
		n -= 8;
	}
	c = (uint32_t)c64;
	while (n--)
		c = _mm_crc32_u8(c, *p++);
	return c;
}

/* Three lanes of len bytes each from p; returns the register after all
 * 3 * len bytes, joined with the shift operator t for len zero bytes. */
__attribute__((target("sse4.2")))
static inline uint32_t sm_crc32c_sse42_3lanes(uint32_t c, const uint8_t *p,
					      size_t len,
					      const uint32_t t[4][256])
{
	uint64_t c0 = c, c1 = 0, c2 = 0;
	const uint8_t *end = p + len;
	while (p < end) {
		uint64_t v0, v1, v2;
		memcpy(&v0, p, 8);
		memcpy(&v1, p + len, 8);
		memcpy(&v2, p + 2 * len, 8);
		c0 = _mm_crc32_u64(c0, v0);
		c1 = _mm_crc32_u64(c1, v1);
		c2 = _mm_crc32_u64(c2, v2);
		p += 8;
	}
	uint32_t r = sm_crc32c_shift(t, (uint32_t)c0) ^ (uint32_t)c1;
	return sm_crc32c_shift(t, r) ^ (uint32_t)c2;
}

__attribute__((target("sse4.2")))
static uint32_t sm_crc32c_sse42_3way(uint32_t c, const uint8_t *p, size_t n)
{
	if (n < 3 * SM_CRC32C_SHORT)
		return sm_crc32c_sse42(c, p, n); /* short: one stream is best */
	while (n >= 3 * SM_CRC32C_LONG) {
		c = sm_crc32c_sse42_3lanes(c, p, SM_CRC32C_LONG, sm_crc32c_long);
		p += 3 * SM_CRC32C_LONG;
		n -= 3 * SM_CRC32C_LONG;
	}
	while (n >= 3 * SM_CRC32C_SHORT) {
		c = sm_crc32c_sse42_3lanes(c, p, SM_CRC32C_SHORT, sm_crc32c_short);
		p += 3 * SM_CRC32C_SHORT;
		n -= 3 * SM_CRC32C_SHORT;
	}
	return sm_crc32c_sse42(c, p, n);
}
#endif

int sm_crc32c_hw_available(void)
{
	pthread_once(&sm_crc32c_once, sm_crc32c_init);
	return sm_crc32c_hw;
}

uint32_t sm_crc32c_with(sm_crc32c_impl_t impl, uint32_t crc, const void *p,
			size_t n)
{
	pthread_once(&sm_crc32c_once, sm_crc32c_init);
	uint32_t c = ~crc;
#if defined(__x86_64__)
	if (sm_crc32c_hw && impl == SM_CRC32C_SSE42)
		return ~sm_crc32c_sse42(c, p, n);
	if (sm_crc32c_hw && impl == SM_CRC32C_SSE42_3WAY)
		return ~sm_crc32c_sse42_3way(c, p, n);
#else
	(void)impl;
#endif
	return ~sm_crc32c_sw(c, p, n);
}

uint32_t sm_crc32c(uint32_t crc, const void *p, size_t n)
{
	return sm_crc32c_with(SM_CRC32C_SSE42_3WAY, crc, p, n);
}
