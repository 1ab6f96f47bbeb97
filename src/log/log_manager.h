/*
 * log_manager.h - the broker's set of partition logs across its log.dirs
 * (kafka.log.LogManager): directory locking, meta.properties, recovery-point
 * and log-start-offset checkpoints, loading at startup (with recovery after an
 * unclean shutdown), creation, deletion and clean shutdown.
 *
 * A "kafka-scheduler" thread (sm_log_manager_start_scheduler) enforces
 * retention every log.retention.check.interval.ms, removes *.deleted files
 * once file.delete.delay.ms has passed, flushes logs whose flush.ms is due,
 * and takes a log dir offline after an I/O error in it: its logs answer
 * KAFKA_STORAGE_ERROR, new logs go elsewhere, and the scheduler tells its
 * owner through a callback (the broker then writes a
 * /log_dir_event_notification/log_dir_event_<seq> znode: this layer knows
 * nothing of ZooKeeper). A write that finds
 * no space (ENOSPC/EDQUOT) makes the dir "full" instead: its logs refuse
 * appends until the scheduler's probe (a small file written and fsynced
 * every few seconds) succeeds, and nothing is taken offline.
 *
 * Thread-safety: every function may be called from any thread; the manager's
 * map of logs is guarded by one mutex that is never held while calling into
 * another module that could call back. Lock order: manager, then log. A log
 * reports a failure with its own lock held, so that path only sets a flag and
 * wakes the scheduler (whose mutex is a leaf).
 */
#ifndef SM_LOG_MANAGER_H
#define SM_LOG_MANAGER_H

#include <stdint.h>

#include "err.h"
#include "log.h"

typedef struct sm_log_manager sm_log_manager_t;

/* Copies dirs and defaults; nothing touches the disk until startup. */
sm_log_manager_t *sm_log_manager_new(const char *const *dirs, int ndirs,
				     const sm_log_config_t *defaults);
/* For every dir: create it if missing, lock .lock, validate and write
 * meta.properties (cluster_id may be NULL to keep the stored one), read the
 * checkpoints, consume .kafka_cleanshutdown and load every
 * <topic>-<partition> directory. SM_ERR_INCONSISTENT_CLUSTER_ID or
 * SM_ERR__CONFIG (broker.id) on an identity mismatch, SM_ERR__STATE when a
 * dir is locked by another process. */
sm_err_t sm_log_manager_startup(sm_log_manager_t *lm, const char *cluster_id, int32_t broker_id);

/* New reference to the log, or NULL. */
sm_log_t *sm_log_manager_get(sm_log_manager_t *lm, const char *topic, int32_t partition);
/* Existing log, or a new one (cfg, or the defaults when NULL) in the dir with
 * the fewest logs. New reference, or NULL (invalid topic name, I/O error). */
sm_log_t *sm_log_manager_get_or_create(sm_log_manager_t *lm, const char *topic,
				       int32_t partition, const sm_log_config_t *cfg);
/* Closes the log, renames its dir to <topic>-<partition>.<uuid>-delete,
 * removes it, and rewrites the checkpoints. SM_ERR__NOENT if not hosted. */
sm_err_t sm_log_manager_delete(sm_log_manager_t *lm, const char *topic, int32_t partition);

/* New references to every loaded log in *logsp (caller releases each and
 * frees the array); returns the count. */
int sm_log_manager_list(sm_log_manager_t *lm, sm_log_t ***logsp);

/* Writes recovery-point-offset-checkpoint and log-start-offset-checkpoint
 * in every dir. */
void sm_log_manager_checkpoint(sm_log_manager_t *lm);
/* Flushes and closes every log, writes checkpoints, creates
 * .kafka_cleanshutdown in every dir and releases the dir locks. */
void sm_log_manager_shutdown(sm_log_manager_t *lm);
/* Frees everything (after shutdown, or in place of it to model a crash). */
void sm_log_manager_destroy(sm_log_manager_t *lm);

/* Told once a scheduler pass has taken one or more log dirs offline; online
 * is the number of dirs still serving. Runs on the kafka-scheduler thread
 * with no manager lock held. */
typedef void (sm_log_dir_failure_fn)(void *opaque, int online);

/* Starts the kafka-scheduler thread. Intervals in ms; flush_check_ms <= 0 or
 * INT64_MAX disables the flush.ms check. on_failure (may be NULL) hears of
 * dirs taken offline. Stopped by shutdown/destroy. */
void sm_log_manager_start_scheduler(sm_log_manager_t *lm, int64_t retention_check_ms,
				    int64_t flush_check_ms, sm_log_dir_failure_fn *on_failure,
				    void *opaque);
/* One scheduler pass, as the thread runs it (tests call it directly):
 * offline-dir handling, retention when force_retention or due, pending file
 * deletions, flush.ms. Returns the number of segments deleted. */
int sm_log_manager_run_once(sm_log_manager_t *lm, int64_t now_ms, int force_retention);

/* Log dirs, in configuration order (DescribeLogDirs). */
int sm_log_manager_dir_count(sm_log_manager_t *lm);
const char *sm_log_manager_dir_path(sm_log_manager_t *lm, int dir);
int sm_log_manager_dir_offline(sm_log_manager_t *lm, int dir);
/* 1 while the dir is full: a write in it found no space (ENOSPC/EDQUOT) and
 * the scheduler's probe has not yet found space again; its logs refuse
 * appends but stay online (docs/design/disk-full.md). */
int sm_log_manager_dir_full(sm_log_manager_t *lm, int dir);
/* Like sm_log_manager_list, for the logs in one dir. */
int sm_log_manager_list_dir(sm_log_manager_t *lm, int dir, sm_log_t ***logsp);
/* Marks a dir offline as an I/O error in it would (tests, operators). */
void sm_log_manager_fail_dir(sm_log_manager_t *lm, int dir);

/* ---- moving replicas between log dirs (AlterReplicaLogDirs) ----
 *
 * Kafka's future logs: a replica moving to another dir gets a future log
 * <dir>/<topic>-<partition>.<uuid>-future, which the "alter-log-dirs"
 * thread (started with the scheduler) fills from the current log while
 * appends go on, as Kafka's ReplicaAlterLogDirsThread does; once caught up
 * the current log's append lock is taken, the last batches copied and the
 * future log's files take the current log's place (sm_log_swap_future):
 * the old dir is renamed <topic>-<partition>.<uuid>-delete and removed. A
 * -future dir found at startup resumes its move (or becomes the log when
 * no current log is left). */

/* Index of the configured dir path names (a string comparison only), or -1. */
int sm_log_manager_dir_index(sm_log_manager_t *lm, const char *path);
/* Starts moving topic-partition's replica to the log dir path. Kafka's
 * answers: SM_ERR_LOG_DIR_NOT_FOUND (not absolute, not a configured dir),
 * SM_ERR_KAFKA_STORAGE_ERROR (that dir, the replica or any dir offline),
 * SM_ERR_REPLICA_NOT_AVAILABLE (not hosted: the dir is remembered and the
 * replica created there later), SM_ERR_INVALID_TOPIC_EXCEPTION (the future
 * dir name would be too long). A replica already there, or already moving
 * there, is SM_ERR_NONE; a move to another dir is cancelled first. */
sm_err_t sm_log_manager_alter_dir(sm_log_manager_t *lm, const char *topic, int32_t partition,
				  const char *path);
/* The future logs in one dir (new references in *logsp, and in *lagsp how
 * far each is behind its current log); caller frees both arrays. */
int sm_log_manager_list_future_dir(sm_log_manager_t *lm, int dir, sm_log_t ***logsp,
				   int64_t **lagsp);
int sm_log_manager_future_count(sm_log_manager_t *lm);
/* Told after a move, on the alter-log-dirs thread with no manager or log
 * lock held: log (the same object as before) now lives in sm_log_dir(log). */
typedef void (sm_log_moved_fn)(void *opaque, sm_log_t *log);
/* max_bytes per copy step (replica.fetch.max.bytes, as Kafka's future
 * replica fetches); on_moved may be NULL. Set before the scheduler starts. */
void sm_log_manager_set_move_options(sm_log_manager_t *lm, int32_t max_bytes,
				     sm_log_moved_fn *on_moved, void *opaque);
/* replica.alter.log.dirs.io.max.bytes.per.second: the copy steps of every
 * move together proceed at most at this rate, from the next step on (the
 * alter-log-dirs thread sleeps between steps). Any time, any thread. */
void sm_log_manager_set_move_rate(sm_log_manager_t *lm, int64_t bytes_per_second);
/* One pass of the alter-log-dirs thread (tests call it directly): a copy
 * step for every moving replica, the swap for those caught up. *progress is
 * set when anything was copied or swapped; returns the moves still going. */
int sm_log_manager_move_once(sm_log_manager_t *lm, int *progress);

/* Validates a Kafka topic name: 1..249 of [a-zA-Z0-9._-], not "." or "..". */
int sm_log_manager_valid_topic(const char *topic);

#endif /* SM_LOG_MANAGER_H */
