/*
 * crc32c.h - CRC-32C (Castagnoli), the checksum of record batch v2, producer
 * state snapshots and Samsa's own checks. Uses the SSE4.2 crc32 instruction
 * when the CPU has it (checked at run time, so the build needs no -msse4.2),
 * three streams interleaved on long buffers; a slicing-by-8 table otherwise.
 * Thread-safe (tables are built once, under pthread_once).
 */
#ifndef SM_CRC32C_H
#define SM_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues crc over p[0..n); start with crc = 0. */
uint32_t sm_crc32c(uint32_t crc, const void *p, size_t n);

/* The implementations behind sm_crc32c, for tests and benchmarks: all give
 * the same result. One the CPU lacks falls back to the table. */
typedef enum sm_crc32c_impl {
	SM_CRC32C_TABLE,	/* slicing-by-8, any CPU */
	SM_CRC32C_SSE42,	/* crc32 instruction, one stream */
	SM_CRC32C_SSE42_3WAY,	/* three streams, what sm_crc32c uses */
} sm_crc32c_impl_t;

uint32_t sm_crc32c_with(sm_crc32c_impl_t impl, uint32_t crc, const void *p,
			size_t n);

/* 1 if this CPU runs the SSE4.2 implementations. */
int sm_crc32c_hw_available(void);

#endif /* SM_CRC32C_H */
