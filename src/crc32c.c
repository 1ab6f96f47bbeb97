/*
 * crc32c.c - CRC-32C, reflected polynomial 0x82F63B78 (see crc32c.h).
 */
#include "crc32c.h"

#include <pthread.h>
#include <string.h>

static uint32_t sm_crc32c_table[8][256];
static pthread_once_t sm_crc32c_once = PTHREAD_ONCE_INIT;
static int sm_crc32c_hw;

static void sm_crc32c_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		sm_crc32c_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			sm_crc32c_table[t][i] = (sm_crc32c_table[t - 1][i] >> 8) ^
						sm_crc32c_table[0][sm_crc32c_table[t - 1][i] & 0xff];
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
__attribute__((target("sse4.2")))
static uint32_t sm_crc32c_sse42(uint32_t c, const uint8_t *p, size_t n)
{
	uint64_t c64 = c;
	while (n >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		c64 = __builtin_ia32_crc32di(c64, v);
		p += 8;
		n -= 8;
	}
	c = (uint32_t)c64;
	while (n--)
		c = __builtin_ia32_crc32qi(c, *p++);
	return c;
}
#endif

uint32_t sm_crc32c(uint32_t crc, const void *p, size_t n)
{
	pthread_once(&sm_crc32c_once, sm_crc32c_init);
	uint32_t c = ~crc;
#if defined(__x86_64__)
	if (sm_crc32c_hw)
		return ~sm_crc32c_sse42(c, p, n);
#endif
	return ~sm_crc32c_sw(c, p, n);
}
