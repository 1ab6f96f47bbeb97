/*
 * log.h - one partition's commit log (kafka.log.Log): the ordered segments
 * of the directory <log.dir>/<topic>-<partition>, offset assignment, reads by
 * offset or timestamp, roll, flush, recovery and truncation. Only record
 * batch v2 is stored.
 *
 * Thread-safety: a log is refcounted (sm_log_keep/sm_log_release). Appends,
 * rolls, truncation and flushes are serialized by the log's append lock.
 * Reads take a shared lock on the segment list and may run concurrently with
 * appends: an append publishes a segment's size and the log end offset only
 * after the batch bytes and index entries are written, so a read never sees a
 * partially written batch. Structural changes (roll, truncate, close) take
 * the segment list exclusively. Lock order: append lock, then segment lock.
 */
#ifndef SM_LOG_H
#define SM_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"

#define SM_LOG_TIMESTAMP_CREATE_TIME 0
#define SM_LOG_TIMESTAMP_LOG_APPEND_TIME 1

/* ListOffsets sentinels. */
#define SM_LOG_LATEST_TIMESTAMP (-1)
#define SM_LOG_EARLIEST_TIMESTAMP (-2)

/* Per-log settings (topic-level names in comments). */
typedef struct sm_log_config {
	int64_t segment_bytes;        /* segment.bytes */
	int64_t segment_ms;           /* segment.ms */
	int64_t segment_jitter_ms;    /* segment.jitter.ms */
	int32_t segment_index_bytes;  /* segment.index.bytes */
	int32_t index_interval_bytes; /* index.interval.bytes */
	int64_t flush_messages;       /* flush.messages */
	int64_t flush_ms;             /* flush.ms */
	int64_t retention_bytes;      /* retention.bytes (not enforced yet) */
	int64_t retention_ms;         /* retention.ms (not enforced yet) */
	int32_t max_message_bytes;    /* max.message.bytes */
	int message_timestamp_type;   /* message.timestamp.type: SM_LOG_TIMESTAMP_* */
} sm_log_config_t;

/* Kafka's defaults (1 GiB segments, 7 days, 10 MiB indexes, 4096 interval,
 * never flush on count/time, CreateTime). */
void sm_log_config_defaults(sm_log_config_t *cfg);

typedef struct sm_log sm_log_t;

typedef struct sm_log_append_info {
	int64_t base_offset;
	int64_t last_offset;
	int64_t log_append_time; /* -1 unless LogAppendTime */
	int64_t log_start_offset;
} sm_log_append_info_t;

typedef struct sm_log_read {
	sm_fileref_t *file; /* own reference (caller releases), NULL if len == 0 */
	off_t pos;
	size_t len;
	int64_t log_start_offset;
	int64_t log_end_offset;
} sm_log_read_t;

/* Opens (creating the directory if needed) and loads the log in dir.
 * clean_shutdown: skip validating segments (indexes are still checked);
 * otherwise segments from the one holding recovery_point on are recovered.
 * log_start_offset: checkpointed value or -1. Returns a log with one reference. */
sm_err_t sm_log_open(const char *dir, const char *topic, int32_t partition,
		     const sm_log_config_t *cfg, int64_t recovery_point,
		     int64_t log_start_offset, int clean_shutdown, sm_log_t **out);
sm_log_t *sm_log_keep(sm_log_t *log);
/* Last reference frees memory and closes files without flushing or trimming
 * (call sm_log_close first for an orderly close). */
void sm_log_release(sm_log_t *log);
/* Flushes, writes the final time-index entry and trims the active segment's
 * indexes; further appends fail with SM_ERR__STATE. */
void sm_log_close(sm_log_t *log);

/* Leader append of one validated v2 batch (modified in place: baseOffset,
 * partitionLeaderEpoch, and for LogAppendTime attributes/maxTimestamp/crc). */
sm_err_t sm_log_append_leader(sm_log_t *log, uint8_t *batch, size_t len, int32_t leader_epoch,
			      int64_t now_ms, sm_log_append_info_t *info);
/* Follower append of offset-assigned batches; the first must start at the log
 * end offset and offsets must increase. Each batch header is checked (magic,
 * framing, CRC-32C). info may be NULL. */
sm_err_t sm_log_append_follower(sm_log_t *log, const uint8_t *batches, size_t len,
				int64_t now_ms, sm_log_append_info_t *info);

/* Fetch read; see sm_log_read_t. max_offset: exclusive bound on a batch's
 * last offset (e.g. the high watermark), INT64_MAX for none. */
sm_err_t sm_log_read(sm_log_t *log, int64_t offset, int32_t max_bytes, int min_one_batch,
		     int64_t max_offset, sm_log_read_t *out);

/* ListOffsets: first offset whose timestamp >= ts (or the sentinels above). */
sm_err_t sm_log_offset_for_timestamp(sm_log_t *log, int64_t ts, int64_t *offset_out,
				     int64_t *ts_out);

/* Removes everything at offsets >= offset (follower truncation). */
sm_err_t sm_log_truncate_to(sm_log_t *log, int64_t offset);
/* Starts a new active segment at the log end offset (no-op when empty). */
sm_err_t sm_log_roll(sm_log_t *log, int64_t now_ms);
/* fsyncs everything and advances the recovery point to the log end. */
sm_err_t sm_log_flush(sm_log_t *log);
/* Replaces the per-log configuration (takes effect for later appends/rolls). */
void sm_log_set_config(sm_log_t *log, const sm_log_config_t *cfg);

int64_t sm_log_end_offset(sm_log_t *log);
int64_t sm_log_start_offset(sm_log_t *log);
int64_t sm_log_recovery_point(sm_log_t *log);
int64_t sm_log_size_bytes(sm_log_t *log);
int sm_log_segment_count(sm_log_t *log);
/* Base offset of the first segment (what log-start-offset-checkpoint compares
 * against). */
int64_t sm_log_first_segment_base(sm_log_t *log);
const char *sm_log_topic(const sm_log_t *log);
int32_t sm_log_partition(const sm_log_t *log);
const char *sm_log_dir(const sm_log_t *log);

#endif /* SM_LOG_H */
