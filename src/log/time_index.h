/*
 * time_index.h - the time index (kafka.log.TimeIndex): 12-byte entries
 * (int64 timestamp ms, int32 offset relative to the segment base),
 * big-endian, on the mmap'd index file primitives of offset_index.h.
 *
 * Entry (T, O): the largest timestamp in the segment up to and including the
 * batch ending at offset O is T. Entries are appended only when T is strictly
 * greater than the last entry's, and one slot is always kept free so the final
 * entry written when the segment becomes inactive always fits.
 *
 * Thread-safety: as offset_index.h.
 */
#ifndef SM_TIME_INDEX_H
#define SM_TIME_INDEX_H

#include <stdint.h>

#include "err.h"
#include "offset_index.h"

#define SM_TIME_INDEX_ENTRY_SIZE 12

sm_err_t sm_time_index_open(sm_index_t *idx, const char *path, int64_t base_offset,
			    int32_t max_index_bytes, int *created);
int sm_time_index_is_full(const sm_index_t *idx);
void sm_time_index_entry(const sm_index_t *idx, int32_t i, int64_t *timestamp, int64_t *offset);
/* Last entry, or (-1, base_offset) when empty. */
void sm_time_index_last_entry(const sm_index_t *idx, int64_t *timestamp, int64_t *offset);
/* Appends (timestamp, offset) if timestamp is greater than the last entry's.
 * skip_full_check: the final entry on roll may use the reserved slot. */
sm_err_t sm_time_index_maybe_append(sm_index_t *idx, int64_t timestamp, int64_t offset,
				    int skip_full_check);
/* Entry with the greatest timestamp <= target; (-1, base_offset) if none. */
void sm_time_index_lookup(const sm_index_t *idx, int64_t target, int64_t *timestamp,
			  int64_t *offset);
/* Removes every entry with offset >= offset. */
void sm_time_index_truncate_to(sm_index_t *idx, int64_t offset);
sm_err_t sm_time_index_sanity_check(const sm_index_t *idx);

#endif /* SM_TIME_INDEX_H */
