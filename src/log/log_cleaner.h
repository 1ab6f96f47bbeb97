/*
 * log_cleaner.h - log compaction for cleanup.policy=compact (and
 * compact,delete): Kafka's kafka.log.LogCleaner, Cleaner, LogCleanerManager
 * and SkimpyOffsetMap. The cleaner keeps the latest record of every key,
 * drops tombstones once delete.retention.ms has passed (Kafka 2.8's rule: a
 * segment keeps its tombstones while its last-modified time is later than
 * the last clean segment's last-modified time minus delete.retention.ms),
 * never touches the active segment and records the first dirty offset of
 * each compacted partition in <log.dir>/cleaner-offset-checkpoint.
 *
 * Thread-safety: an offset map belongs to one thread. The cleaner object is
 * shared: its checkpoint table and in-progress set are guarded by one mutex
 * that is never held while cleaning or calling into a log. Two cleaner
 * threads never clean the same log at once. Lock order: cleaner, then log.
 */
#ifndef SM_LOG_CLEANER_H
#define SM_LOG_CLEANER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "log.h"
#include "log_manager.h"

/* ---- offset map (SkimpyOffsetMap) ---- */

/* Key hash -> latest offset, open addressing over a fixed block of memory.
 * Keys are identified by their full 16-byte MD5 digest, as in Kafka, so two
 * keys that share a slot never overwrite each other. */
typedef struct sm_offset_map sm_offset_map_t;

/* Uses about `memory` bytes (24 per slot, at least 1024 slots) and accepts
 * new keys until load_factor of the slots are taken. */
sm_offset_map_t *sm_offset_map_new(size_t memory, double load_factor);
void sm_offset_map_destroy(sm_offset_map_t *m);
void sm_offset_map_clear(sm_offset_map_t *m);
/* Records offset for key (replacing an older one). Returns 0, or -1 when the
 * key is new and the map is at its load factor. */
int sm_offset_map_put(sm_offset_map_t *m, const void *key, size_t len, int64_t offset);
/* Latest offset stored for key, or -1. */
int64_t sm_offset_map_get(const sm_offset_map_t *m, const void *key, size_t len);
int sm_offset_map_size(const sm_offset_map_t *m);
/* Entries the map accepts before it is full. */
int sm_offset_map_capacity(const sm_offset_map_t *m);

/* MD5 digest (RFC 1321) of p[0..len). */
void sm_md5(const void *p, size_t len, uint8_t out[16]);

/* ---- the cleaner ---- */

typedef struct sm_log_cleaner_config {
	int enable;                 /* log.cleaner.enable */
	int threads;                /* log.cleaner.threads */
	int64_t dedupe_buffer_size; /* log.cleaner.dedupe.buffer.size (all threads) */
	double io_buffer_load_factor; /* log.cleaner.io.buffer.load.factor */
	int64_t backoff_ms;         /* log.cleaner.backoff.ms */
	double io_max_bytes_per_second; /* log.cleaner.io.max.bytes.per.second */
} sm_log_cleaner_config_t;

/* Kafka's defaults: enabled, 1 thread, 128 MiB, 0.9, 15 s, no I/O limit
 * (Double.MaxValue). */
void sm_log_cleaner_config_defaults(sm_log_cleaner_config_t *cfg);

typedef struct sm_log_clean_stats {
	int64_t first_dirty;      /* dirty section [first_dirty, end_offset) */
	int64_t end_offset;
	int64_t bytes_read;
	int64_t bytes_written;
	int64_t records_read;
	int64_t records_retained;
	int segments_in;
	int segments_out;
} sm_log_clean_stats_t;

typedef struct sm_log_cleaner sm_log_cleaner_t;

/* lm may be NULL (tests drive sm_log_cleaner_clean directly). */
sm_log_cleaner_t *sm_log_cleaner_new(const sm_log_cleaner_config_t *cfg, sm_log_manager_t *lm);
/* Starts the "kafka-log-cleaner-thread-N" threads when enabled. */
void sm_log_cleaner_startup(sm_log_cleaner_t *lc);
/* Stops and joins the threads (a cleaning in progress finishes its current
 * segment group first). */
/* log.cleaner.io.max.bytes.per.second changed: the cleaner threads share
 * one throttle over the bytes they read and write, and a cleaning in
 * progress uses the new rate from its next check on (no restart). */
void sm_log_cleaner_set_io_rate(sm_log_cleaner_t *lc, double bytes_per_second);

void sm_log_cleaner_shutdown(sm_log_cleaner_t *lc);
/* New threads / dedupe buffer / backoff (dynamic broker configs), as
 * Kafka's LogCleaner.reconfigure: the threads stop after their current
 * cleaning and start again with the new config. Not concurrently with
 * startup or shutdown. */
void sm_log_cleaner_reconfigure(sm_log_cleaner_t *lc, const sm_log_cleaner_config_t *cfg);
void sm_log_cleaner_destroy(sm_log_cleaner_t *lc);

/* Cleans one compacted log once, whatever its dirty ratio, as cleaner
 * thread cleaner_id would, and advances its checkpointed first dirty offset.
 * SM_ERR__NOENT when the log is not compacted or has nothing cleanable;
 * SM_ERR__STATE when the log changed underneath (retry later);
 * SM_ERR_CORRUPT_MESSAGE on a corrupt batch. st may be NULL. */
sm_err_t sm_log_cleaner_clean(sm_log_cleaner_t *lc, int cleaner_id, sm_log_t *log,
			      int64_t now_ms, sm_log_clean_stats_t *st);
/* LogCleanerManager's test for one log: 1 when it is compacted and its
 * dirty ratio (*ratio, may be NULL) reaches min.cleanable.dirty.ratio, or
 * when it has cleanable bytes and the first batch of its dirty section is
 * older than max.compaction.lag.ms (*delay_ms, may be NULL: by how much;
 * Kafka's maxCompactionDelay). */
int sm_log_cleaner_is_cleanable(sm_log_cleaner_t *lc, sm_log_t *log, int64_t now_ms,
				double *ratio, int64_t *delay_ms);
/* LogCleanerManager.grabFilthiestCompactedLog + clean: picks, among the
 * cleanable logs (sm_log_cleaner_is_cleanable), the one with the highest
 * dirty ratio and cleans it. Returns 1 if a log was cleaned. */
int sm_log_cleaner_clean_dirtiest(sm_log_cleaner_t *lc, int cleaner_id, int64_t now_ms);
/* Checkpointed first dirty offset of a log, or -1. */
int64_t sm_log_cleaner_first_dirty(sm_log_cleaner_t *lc, sm_log_t *log);

#endif /* SM_LOG_CLEANER_H */
