/*
 * checkpoint.h - Kafka's offset checkpoint files (OffsetCheckpointFile /
 * CheckpointFile): recovery-point-offset-checkpoint,
 * log-start-offset-checkpoint, replication-offset-checkpoint. Text format:
 *     0                      version
 *     N                      entry count
 *     <topic> <partition> <offset>   N lines
 * Written atomically: <path>.tmp, fsync, rename, fsync of the directory.
 * Also the atomic-file helper meta.properties uses.
 *
 * Thread-safety: functions are reentrant; concurrent writers of the same path
 * must be serialized by the caller.
 */
#ifndef SM_CHECKPOINT_H
#define SM_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct sm_checkpoint_entry {
	char *topic;
	int32_t partition;
	int64_t offset;
} sm_checkpoint_entry_t;

typedef struct sm_checkpoint {
	sm_checkpoint_entry_t *entries;
	int cnt;
	int cap;
} sm_checkpoint_t;

void sm_checkpoint_init(sm_checkpoint_t *cp);
void sm_checkpoint_clear(sm_checkpoint_t *cp);
/* Copies topic. */
void sm_checkpoint_add(sm_checkpoint_t *cp, const char *topic, int32_t partition, int64_t offset);
/* The offset recorded for topic-partition, or dflt. */
int64_t sm_checkpoint_get(const sm_checkpoint_t *cp, const char *topic, int32_t partition,
			  int64_t dflt);

/* Reads path into cp (initialized by the call). A missing file gives an empty
 * cp and SM_ERR_NONE; a corrupt one is logged (naming the file and the
 * problem), gives an empty cp and SM_ERR__CORRUPT. */
sm_err_t sm_checkpoint_read(const char *path, sm_checkpoint_t *cp);
/* Writes cp to path atomically. */
sm_err_t sm_checkpoint_write(const char *path, const sm_checkpoint_t *cp);

/* Replaces path with data atomically (tmp file, fsync, rename, dir fsync). */
sm_err_t sm_checkpoint_write_file(const char *path, const void *data, size_t len);

/* Defers the syncing of the files this thread writes with
 * sm_checkpoint_write_file until the matching sm_checkpoint_defer_end
 * (nestable): each new file (one replacing an existing file is synced
 * at once, as always) is still written to a tmp file and renamed, and
 * sm_checkpoint_defer_end makes them all durable before it returns, with
 * one syncfs per filesystem when there are many (a LeaderAndIsr creating
 * thousands of partitions writes a leader-epoch-checkpoint for each)
 * instead of two fsyncs per file. SM_ERR__IO (logged per file) if some
 * could not be synced. */
void sm_checkpoint_defer_begin(void);
sm_err_t sm_checkpoint_defer_end(void);

#endif /* SM_CHECKPOINT_H */
