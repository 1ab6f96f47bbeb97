/*
 * offset_index.h - memory-mapped, preallocated index files (Kafka's
 * AbstractIndex) and the offset index on top of them (kafka.log.OffsetIndex):
 * 8-byte entries (int32 offset relative to the segment base, int32 byte
 * position in the .log file), big-endian, sparse, strictly increasing.
 *
 * The file is created with length segment.index.bytes rounded down to the
 * entry size and trimmed to the valid entries when the segment stops being
 * active. An existing file is assumed trimmed: entries = length / entry size.
 *
 * The file descriptor is open only while the index is being written (from
 * the first sm_index_write_entry to the next resize, trim or close); the map
 * alone serves reads, so an idle segment holds no descriptor for its
 * indexes (as Kafka, which closes an index file once mapped).
 *
 * Thread-safety: one writer (the log's append lock) at a time. The entry count
 * is published with release semantics after the entry bytes are written, so
 * lookups may run concurrently with appends. Resize/trim/truncate need the
 * owner's exclusive lock (they remap the file).
 */
#ifndef SM_OFFSET_INDEX_H
#define SM_OFFSET_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SM_OFFSET_INDEX_ENTRY_SIZE 8

typedef struct sm_index {
	char *path;
	int fd;              /* -1 unless being written (see above) */
	uint8_t *map;        /* NULL when the file is empty */
	size_t map_len;      /* == file length */
	int entry_size;
	int32_t entries;     /* atomic */
	int32_t max_entries; /* map_len / entry_size */
	int64_t base_offset;
} sm_index_t;

/* ---- shared index-file primitives (AbstractIndex) ---- */

/* Opens or creates path. A file that does not exist (or is empty and
 * create_new is set) is created with max_index_bytes rounded down to the entry
 * size and no entries; an existing file keeps its length and
 * entries = length / entry_size. *created (may be NULL) tells which. */
sm_err_t sm_index_open(sm_index_t *idx, const char *path, int64_t base_offset,
		       int entry_size, int32_t max_index_bytes, int *created);
/* Sets the file length to max_index_bytes rounded down to the entry size and
 * remaps; entries beyond the new size are dropped. */
sm_err_t sm_index_resize(sm_index_t *idx, int64_t max_index_bytes);
/* Shrinks the file to exactly the valid entries (segment becoming inactive). */
sm_err_t sm_index_trim(sm_index_t *idx);
/* Drops every entry (the file keeps its length). */
void sm_index_reset(sm_index_t *idx);
sm_err_t sm_index_flush(sm_index_t *idx);
/* Writes entry n (entry_size bytes) with pwrite rather than through the map:
 * a sparse index file on a full disk then fails with SM_ERR__IO (ENOSPC)
 * instead of killing the process with SIGBUS when the page is touched. The
 * shared map sees the bytes at once. Does not change the entry count. */
sm_err_t sm_index_write_entry(sm_index_t *idx, int32_t n, const uint8_t *entry);
/* Unmaps and closes; the file stays. */
void sm_index_close(sm_index_t *idx);
/* Closes and unlinks the file. */
void sm_index_delete(sm_index_t *idx);
static inline int32_t sm_index_entries(const sm_index_t *idx)
{
	return __atomic_load_n(&idx->entries, __ATOMIC_ACQUIRE);
}

/* ---- offset index ---- */

sm_err_t sm_offset_index_open(sm_index_t *idx, const char *path, int64_t base_offset,
			      int32_t max_index_bytes, int *created);
int sm_offset_index_is_full(const sm_index_t *idx);
/* Appends (offset, position); offset must exceed the last entry's offset.
 * SM_ERR__FULL if full, SM_ERR__STATE if not increasing. */
sm_err_t sm_offset_index_append(sm_index_t *idx, int64_t offset, int32_t position);
/* Entry i (absolute offset, position). */
void sm_offset_index_entry(const sm_index_t *idx, int32_t i, int64_t *offset, int32_t *position);
/* Last entry's offset, or the base offset when empty. */
int64_t sm_offset_index_last_offset(const sm_index_t *idx);
/* Greatest entry with offset <= target; (base_offset, 0) if none. */
void sm_offset_index_lookup(const sm_index_t *idx, int64_t target, int64_t *offset,
			    int32_t *position);
/* Removes every entry with offset >= offset. */
void sm_offset_index_truncate_to(sm_index_t *idx, int64_t offset);
/* Kafka's load-time checks: length a multiple of 8, last offset >= base,
 * and (ours) entries increasing with positions <= log_size. */
sm_err_t sm_offset_index_sanity_check(const sm_index_t *idx, int64_t log_size);

#endif /* SM_OFFSET_INDEX_H */
