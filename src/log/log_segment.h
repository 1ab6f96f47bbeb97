/*
 * log_segment.h - one segment of a partition log (kafka.log.LogSegment): the
 * <base>.log data file holding v2 record batches as sent on the wire, plus its
 * <base>.index and <base>.timeindex.
 *
 * Thread-safety: the owning log serializes every mutation under its append
 * lock and takes its exclusive segment lock for remapping operations
 * (roll, truncate, recover). 'size' is published with release semantics after
 * the bytes are written, so readers holding the shared lock see whole batches.
 * The data file is an sm_fileref_t: a reader keeps the file readable after the
 * segment is deleted.
 */
#ifndef SM_LOG_SEGMENT_H
#define SM_LOG_SEGMENT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"
#include "offset_index.h"
#include "time_index.h"

/* Record batch v2 header layout (PROTOCOL.md section 5). */
#define SM_BATCH_HEADER_SIZE 61
#define SM_BATCH_LOG_OVERHEAD 12 /* baseOffset + batchLength */
#define SM_BATCH_MIN_LENGTH 49   /* smallest legal batchLength */
#define SM_BATCH_OFF_LENGTH 8
#define SM_BATCH_OFF_EPOCH 12
#define SM_BATCH_OFF_MAGIC 16
#define SM_BATCH_OFF_CRC 17
#define SM_BATCH_OFF_ATTRIBUTES 21
#define SM_BATCH_OFF_LAST_DELTA 23
#define SM_BATCH_OFF_BASE_TS 27
#define SM_BATCH_OFF_MAX_TS 35
#define SM_BATCH_OFF_RECORD_COUNT 57
#define SM_BATCH_ATTR_LOG_APPEND_TIME 0x08
#define SM_BATCH_ATTR_COMPRESSION_MASK 0x07

/* What the log needs from a batch header. */
typedef struct sm_seg_batch {
	int64_t base_offset;
	int64_t last_offset;
	int64_t size; /* whole batch, framing included */
	int64_t base_timestamp;
	int64_t max_timestamp;
	int16_t attributes;
	int8_t magic;
} sm_seg_batch_t;

/* Header-level validation of the batch at p[0..avail): framing, magic 2,
 * length, CRC-32C (check_crc). Fills *bi. Returns NULL on success or a static
 * reason. */
const char *sm_seg_batch_parse(const uint8_t *p, size_t avail, int check_crc, sm_seg_batch_t *bi);

typedef struct sm_log_segment {
	int64_t base_offset;
	char *log_path;
	sm_fileref_t *file;
	int64_t size; /* atomic: valid bytes in the .log */
	sm_index_t oidx;
	sm_index_t tidx;
	int32_t index_interval_bytes;
	int64_t bytes_since_last_index_entry;
	int64_t max_timestamp_so_far;
	int64_t offset_of_max_timestamp;
	int64_t rolling_based_timestamp; /* first batch's max timestamp, -1 none */
	int rolling_based_loaded;
	int64_t created_ms;
	int64_t roll_jitter_ms;
	char *txn_path; /* <base>.txnindex; the file exists only once a
			 * transaction was aborted in this segment */
} sm_log_segment_t;

/* SM_ERR__NOSPACE for a write that found no space (ENOSPC, EDQUOT: the
 * log dir becomes "full", docs/design/disk-full.md), else SM_ERR__IO. */
static inline sm_err_t sm_seg_io_err(int errnum)
{
	return errnum == ENOSPC || errnum == EDQUOT ? SM_ERR__NOSPACE : SM_ERR__IO;
}

/* Test-only fault injection: when set, segment data writes go through it
 * instead of pwrite(2) (tests/unit/log/test_log.c makes a write fail half-way
 * with ENOSPC). NULL in the broker. */
extern ssize_t (*sm_log_segment_pwrite_hook)(int fd, const void *buf, size_t len, off_t pos);

/* "<dir>/<20-digit base><suffix>" into buf. */
void sm_log_segment_file_name(char *buf, size_t size, const char *dir, int64_t base_offset,
			      const char *suffix);

/* How sm_log_segment_open treats the files it finds. */
enum {
	SM_SEG_OPEN_EXISTING = 0, /* data and indexes as left on disk */
	SM_SEG_OPEN_CREATE = 1,   /* a new, empty segment (any old files go) */
	SM_SEG_OPEN_REBUILD = 2,  /* data swapped in by the cleaner: its indexes
				   * are rebuilt by sm_log_segment_recover, so
				   * their absence is expected, not reported */
};

/* Opens (or creates, create == SM_SEG_OPEN_CREATE) the segment with
 * base_offset in dir. *needs_recovery is set when an index is missing or
 * fails its sanity check, and always with SM_SEG_OPEN_REBUILD (the index is
 * then emptied and must be rebuilt by sm_log_segment_recover). */
sm_err_t sm_log_segment_open(const char *dir, int64_t base_offset, int32_t max_index_bytes,
			     int32_t index_interval_bytes, int create, int64_t now_ms,
			     int64_t roll_jitter_ms, sm_log_segment_t **out, int *needs_recovery);

static inline int64_t sm_log_segment_size(const sm_log_segment_t *seg)
{
	return __atomic_load_n(&seg->size, __ATOMIC_ACQUIRE);
}

/* Appends data (whole batches) whose last offset is largest_offset. */
sm_err_t sm_log_segment_append(sm_log_segment_t *seg, int64_t largest_offset,
			       int64_t largest_timestamp, int64_t offset_of_max_timestamp,
			       const uint8_t *data, size_t len);

/* Reads the batch header at pos (pos < limit); NULL on success, else reason. */
const char *sm_log_segment_read_batch(const sm_log_segment_t *seg, int64_t pos, int64_t limit,
				      int check_crc, sm_seg_batch_t *bi);

/* Position of the first batch whose last offset >= offset, searching from
 * the index; SM_ERR__NOENT if there is none below limit. */
sm_err_t sm_log_segment_translate_offset(const sm_log_segment_t *seg, int64_t offset,
					 int64_t limit, int64_t *pos_out, sm_seg_batch_t *bi);

/* Whole batches starting at the batch holding offset: at most max_bytes
 * (unless min_one_batch and the first is bigger), only batches with last
 * offset < max_offset. SM_ERR__NOENT when offset is beyond the segment's data. */
sm_err_t sm_log_segment_read(const sm_log_segment_t *seg, int64_t offset, int32_t max_bytes,
			     int min_one_batch, int64_t max_offset, off_t *pos_out, size_t *len_out);

/* Offset after the last batch, or base_offset when empty. */
int64_t sm_log_segment_next_offset(const sm_log_segment_t *seg);

/* Kafka's LogSegment.shouldRoll. */
int sm_log_segment_should_roll(sm_log_segment_t *seg, int64_t segment_bytes, int64_t segment_ms,
			       size_t incoming_bytes, int64_t max_timestamp,
			       int64_t max_offset, int64_t now_ms);

/* Rebuilds both indexes by scanning, validating every batch; truncates the
 * file at the first invalid batch. *truncated_bytes gets the bytes removed. */
sm_err_t sm_log_segment_recover(sm_log_segment_t *seg, int32_t max_index_bytes,
				int64_t *truncated_bytes);

/* Drops everything at offsets >= offset (cut at the start of the batch holding
 * it). Returns bytes removed, or -1 on I/O error. */
int64_t sm_log_segment_truncate_to(sm_log_segment_t *seg, int64_t offset);

/* Segment stops being active: final time-index entry, trimmed indexes, and
 * the .log file cut to its valid bytes (a preallocated file's tail goes). */
void sm_log_segment_on_become_inactive(sm_log_segment_t *seg);
/* preallocate: gives the (new, empty) segment's .log file bytes on disk up
 * front, as Kafka's FileRecords.openChannel does with preallocate=true.
 * The segment's size stays 0; the zero tail is never read (reads stop at
 * the size) and recovery cuts it (the zeros are not a valid batch). */
void sm_log_segment_preallocate(sm_log_segment_t *seg, int64_t bytes);

/* First (offset, timestamp) with timestamp >= ts and offset >= start_offset. */
sm_err_t sm_log_segment_find_offset_by_timestamp(const sm_log_segment_t *seg, int64_t ts,
						 int64_t start_offset, int64_t *offset_out,
						 int64_t *ts_out);

sm_err_t sm_log_segment_flush(sm_log_segment_t *seg);
/* Frees memory and closes files; the file ref lives on while readers hold it. */
void sm_log_segment_close(sm_log_segment_t *seg);
/* Appends raw .txnindex entries (creating the file); SM_ERR__IO or
 * SM_ERR__NOSPACE on failure. */
sm_err_t sm_log_segment_txn_append(sm_log_segment_t *seg, const void *p, size_t len);
/* Unlinks the segment's files, then closes. */
void sm_log_segment_delete(sm_log_segment_t *seg);
/* Renames the .log, .index and .timeindex files to <name>.deleted (Kafka's
 * asynchronous deletion); the segment keeps its open descriptors, so readers
 * in flight are unaffected. Returns SM_ERR__IO if a rename fails. */
sm_err_t sm_log_segment_rename_deleted(sm_log_segment_t *seg);
/* Kafka's LogSegment.largestTimestamp: the greatest batch timestamp, or the
 * file's modification time when no batch carries one. */
int64_t sm_log_segment_largest_timestamp(const sm_log_segment_t *seg);

#endif /* SM_LOG_SEGMENT_H */
