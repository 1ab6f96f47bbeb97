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
#include "log_config.h"

/* ListOffsets sentinels. */
#define SM_LOG_LATEST_TIMESTAMP (-1)
#define SM_LOG_EARLIEST_TIMESTAMP (-2)

/* sm_log_config_t, the per-log settings, is defined with the topic config
 * table in log_config.h. */

/* Kafka's defaults (1 GiB segments, 7 days, 10 MiB indexes, 4096 interval,
 * never flush on count/time, CreateTime, deleted files kept one minute). */
void sm_log_config_defaults(sm_log_config_t *cfg);

typedef struct sm_log sm_log_t;

typedef struct sm_log_append_info {
	int64_t base_offset;
	int64_t last_offset;
	int64_t log_append_time; /* -1 unless LogAppendTime */
	int64_t log_start_offset;
	int duplicate;           /* a retried idempotent batch: nothing written,
				  * the offsets are those of the original */
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
 * partitionLeaderEpoch, and for LogAppendTime attributes/maxTimestamp/crc).
 * A batch with a producer id is checked against the partition's producer
 * state (producer_state.h) first: SM_ERR_INVALID_PRODUCER_EPOCH,
 * SM_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, or for a retried duplicate success
 * with info->duplicate set and the original offsets. */
sm_err_t sm_log_append_leader(sm_log_t *log, uint8_t *batch, size_t len, int32_t leader_epoch,
			      int64_t now_ms, sm_log_append_info_t *info);
/* The same for a batch written by the group coordinator (Kafka's origin
 * Coordinator): its producer id is checked for epoch and transaction
 * state only (sm_ps_check_coordinator), never deduplicated. */
sm_err_t sm_log_append_coordinator(sm_log_t *log, uint8_t *batch, size_t len,
				   int32_t leader_epoch, int64_t now_ms,
				   sm_log_append_info_t *info);
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

/* Removes everything at offsets >= offset (follower truncation); the
 * producer state is reloaded from the surviving snapshots and batches. */
sm_err_t sm_log_truncate_to(sm_log_t *log, int64_t offset);
/* Starts a new active segment at the log end offset (no-op when empty). */
sm_err_t sm_log_roll(sm_log_t *log, int64_t now_ms);
/* fsyncs everything and advances the recovery point to the log end. */
sm_err_t sm_log_flush(sm_log_t *log);
/* Replaces the per-log configuration (takes effect for later appends/rolls). */
void sm_log_set_config(sm_log_t *log, const sm_log_config_t *cfg);

int64_t sm_log_end_offset(sm_log_t *log);
/* The partition's high watermark, of which the log keeps a copy (as Kafka's
 * Log holds highWatermark) so that retention and DeleteRecords stay below
 * it. The partition sets it on every change; the log bounds it by its start
 * and end offsets and lowers it on truncation. It starts at the log start
 * offset, so nothing is deleted by retention before it is set. */
void sm_log_set_high_watermark(sm_log_t *log, int64_t hw);
int64_t sm_log_high_watermark(sm_log_t *log);
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

/* ---- retention, log start offset, deletion ---- */

/* One retention pass (Kafka's deleteOldSegments): leading segments whose
 * largest timestamp is older than retention.ms, then those that bring the
 * size down to retention.bytes (those two only with cleanup.policy delete),
 * then those wholly below the log start offset;
 * in every case only segments wholly below the high watermark
 * (sm_log_set_high_watermark). The active segment is rolled first when it
 * has to go too (only possible when the HW is at the log end). Deleted segments
 * are renamed to *.deleted and their files removed by sm_log_delete_pending
 * once file.delete.delay.ms has passed. Returns how many were deleted. */
int sm_log_delete_old_segments(sm_log_t *log, int64_t now_ms);
/* DeleteRecords: raises the log start offset to offset (never lowers it) and
 * deletes the segments wholly below it. *low_watermark (may be NULL) gets the
 * resulting log start offset. SM_ERR_OFFSET_OUT_OF_RANGE beyond the high
 * watermark. */
sm_err_t sm_log_delete_records(sm_log_t *log, int64_t offset, int64_t *low_watermark);
/* Why a log start offset moved (Kafka's LogStartOffsetIncrementReason). */
typedef enum sm_log_start_reason {
	SM_LOG_START_CLIENT_DELETE,     /* DeleteRecords on the leader */
	SM_LOG_START_LEADER_INCREMENT,  /* a follower following its leader */
} sm_log_start_reason_t;
/* sm_log_delete_records with the reason logged. */
sm_err_t sm_log_increment_log_start_offset(sm_log_t *log, int64_t offset,
					   sm_log_start_reason_t reason);
/* Removes the files of segments deleted at least file.delete.delay.ms before
 * now_ms (every pending one when force). */
void sm_log_delete_pending(sm_log_t *log, int64_t now_ms, int force);
/* Number of deleted segments whose files still wait for removal. */
int sm_log_pending_deletes(sm_log_t *log);
/* flush.ms: flushes when the last flush is at least flush.ms old and there is
 * unflushed data. */
sm_err_t sm_log_flush_if_due(sm_log_t *log, int64_t now_ms);
/* Kafka's "flush-log" task after a roll: flushes the segments below the
 * newest roll's base offset and moves the recovery point there, with the
 * fsyncs made while no lock is held (appends go on meanwhile). Does
 * nothing when nothing rolled since the last flush. Called by the log
 * manager's scheduler after the roll hook asked for it. */
sm_err_t sm_log_flush_rolled(sm_log_t *log);
/* Called under the log's append lock when a segment rolled; returns 1 if
 * sm_log_flush_rolled will be called for the log soon (the hook only
 * records that and wakes its thread), 0 to have the roll flush at once.
 * Without a hook (tools, tests) the roll flushes at once. */
typedef int (sm_log_roll_cb_t)(void *opaque, sm_log_t *log);
void sm_log_set_roll_handler(sm_log_t *log, sm_log_roll_cb_t *cb, void *opaque);

/* transactional.id.expiration.ms: producers idle this long (and with no
 * open transaction) are forgotten by every log, as Kafka 2.8 does. */
void sm_log_set_producer_expiration_ms(int64_t ms);

/* ---- transactions ---- */

/* One .txnindex entry (Kafka's AbortedTxn, 34 bytes on disk: int16 version
 * 0, producer id, first offset, last offset = the ABORT marker's offset, the
 * LSO when the marker was appended). */
#define SM_TXN_INDEX_VERSION 0
#define SM_TXN_INDEX_ENTRY 34
typedef struct sm_log_aborted_txn {
	int64_t pid;
	int64_t first_offset;
	int64_t last_offset;
	int64_t last_stable_offset;
} sm_log_aborted_txn_t;
/* Decodes one 34-byte entry; -1 for an unknown version. */
int sm_log_txn_decode(const uint8_t *b, sm_log_aborted_txn_t *a);

struct sm_ps_marker;
/* Leader append of an end-transaction marker (WriteTxnMarkers): checks the
 * producer and coordinator epochs (SM_ERR_INVALID_PRODUCER_EPOCH,
 * SM_ERR_TRANSACTION_COORDINATOR_FENCED), appends a COMMIT/ABORT control
 * batch at the log end, completes the producer's transaction and, for an
 * abort, adds the .txnindex entry. marker->offset and ts are ignored. */
sm_err_t sm_log_append_marker(sm_log_t *log, const struct sm_ps_marker *marker,
			      int32_t leader_epoch, int64_t now_ms, sm_log_append_info_t *info);
/* Last stable offset: min(HW, first offset of any open transaction or of a
 * completed one whose marker is not below the HW yet). */
int64_t sm_log_last_stable_offset(sm_log_t *log);
/* First offset of the earliest open or unreplicated transaction,
 * INT64_MAX when none (Kafka's firstUnstableOffset; the cleaner stops there). */
int64_t sm_log_first_unstable_offset(sm_log_t *log);
/* First offset of producer pid's open transaction, -1 when none. */
int64_t sm_log_txn_first_offset(sm_log_t *log, int64_t pid);
/* Kafka's collectAbortedTransactions: the aborted transactions with
 * last offset >= start and first offset < upper, in marker order
 * (malloc'd *out, NULL when none); returns the count. */
int sm_log_collect_aborted(sm_log_t *log, int64_t start, int64_t upper,
			   sm_log_aborted_txn_t **out);

/* ---- log directory failure ---- */

/* Called (with the log's append lock held: it must only record the event and
 * return) when an I/O error takes the log offline, or when a write finds no
 * space and the log becomes full (sm_log_is_full tells which). */
typedef void (sm_log_failure_cb_t)(void *opaque, sm_log_t *log);
void sm_log_set_failure_handler(sm_log_t *log, sm_log_failure_cb_t *cb, void *opaque);
/* Once offline, appends, reads, rolls, flushes and truncation answer
 * SM_ERR_KAFKA_STORAGE_ERROR and nothing touches the files again. */
void sm_log_set_offline(sm_log_t *log);
int sm_log_is_offline(sm_log_t *log);
/* A full log (a write found ENOSPC/EDQUOT, docs/design/disk-full.md) refuses
 * appends with SM_ERR_KAFKA_STORAGE_ERROR before touching its files; reads,
 * truncation, retention and flushes go on. The log manager sets and clears
 * it for every log of a dir (entering on the first failed write, leaving
 * when its probe finds space). */
void sm_log_set_full(sm_log_t *log, int full);
int sm_log_is_full(sm_log_t *log);

/* ---- log cleaner hooks (kafka.log.Log's view for the LogCleaner) ---- */

/* One inactive segment as the cleaner sees it. */
typedef struct sm_log_seg_view {
	int64_t base_offset;
	int64_t next_base;         /* base offset of the following segment */
	int64_t size;
	int64_t largest_timestamp; /* greatest batch timestamp, else mtime */
	int64_t last_modified_ms;  /* the .log file's mtime */
	int64_t first_batch_timestamp; /* max timestamp of its first batch, -1
					* none (Kafka's getFirstBatchTimestamp) */
	sm_fileref_t *file;        /* own reference */
} sm_log_seg_view_t;

/* Snapshot of every segment but the active one, ascending; returns the
 * count. Free with sm_log_seg_views_free. */
int sm_log_cleanable_segments(sm_log_t *log, sm_log_seg_view_t **out);
void sm_log_seg_views_free(sm_log_seg_view_t *v, int n);
/* Copy of the log's current configuration. */
void sm_log_get_config(sm_log_t *log, sm_log_config_t *out);
/* Kafka's replaceSegments: the n consecutive inactive segments with base
 * offsets bases[] are replaced by the cleaned file swap_path, which becomes
 * <bases[0]>.log (indexes rebuilt); the others are renamed *.deleted and
 * removed. SM_ERR__STATE when those segments are no longer in the log
 * (truncated or deleted meanwhile): the caller discards swap_path. */
sm_err_t sm_log_replace_segments(sm_log_t *log, const int64_t *bases, int n,
				 const char *swap_path);

/* ---- moving a log between log dirs (AlterReplicaLogDirs) ---- */

/* One step of the copy into a future log (Kafka's ReplicaAlterLogDirsThread
 * fetching from the local current log): whole batches from dst's log end
 * on, at most max_bytes (at least one batch), appended to dst with their
 * offsets. dst first follows src's truncation or a log start offset that
 * passed it. *copied: bytes appended (0 when dst has caught up). */
sm_err_t sm_log_copy_to(sm_log_t *src, sm_log_t *dst, int32_t max_bytes, int64_t *copied);
/* Kafka's abortAndPauseCleaning while a log moves: the cleaner skips a
 * paused log, and sm_log_replace_segments refuses (SM_ERR__STATE) a
 * cleaning pass that was already running, so the copy is never rewritten
 * under it. */
void sm_log_set_cleaning_paused(sm_log_t *log, int paused);
int sm_log_cleaning_paused(sm_log_t *log);
/* Kafka's replaceCurrentWithFutureLog: under log's append lock (appends
 * wait) copies what fut still lacks, closes fut, renames log's dir to
 * delete_dir and fut's to final_dir, and from then on log (the same object:
 * partitions and readers keep their references) serves the files in
 * final_dir. fut is left closed; the caller releases it and removes
 * delete_dir. On error nothing has moved and log goes on as before. */
sm_err_t sm_log_swap_future(sm_log_t *log, sm_log_t *fut, const char *final_dir,
			    const char *delete_dir);

#endif /* SM_LOG_H */
