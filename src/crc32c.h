/*
 * crc32c.h - CRC-32C (Castagnoli), the checksum of record batch v2, producer
 * state snapshots and Samsa's own checks. Uses the SSE4.2 instruction when the
 * CPU has it, a slicing-by-8 table otherwise. Thread-safe (tables are built
 * once, under pthread_once).
 */
#ifndef SM_CRC32C_H
#define SM_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues crc over p[0..n); start with crc = 0. */
uint32_t sm_crc32c(uint32_t crc, const void *p, size_t n);

#endif /* SM_CRC32C_H */
