/*
 * log_manager.h - the broker's set of partition logs across its log.dirs
 * (kafka.log.LogManager): directory locking, meta.properties, recovery-point
 * and log-start-offset checkpoints, loading at startup (with recovery after an
 * unclean shutdown), creation, deletion and clean shutdown.
 *
 * Thread-safety: every function may be called from any thread; the manager's
 * map of logs is guarded by one mutex that is never held while calling into
 * another module that could call back. Lock order: manager, then log.
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

/* Validates a Kafka topic name: 1..249 of [a-zA-Z0-9._-], not "." or "..". */
int sm_log_manager_valid_topic(const char *topic);

#endif /* SM_LOG_MANAGER_H */
