/*
 * leader_epoch_cache.h - a partition's leader epoch history (Kafka's
 * LeaderEpochFileCache + LeaderEpochCheckpointFile): the first offset written
 * in every leader epoch, persisted in <partition dir>/leader-epoch-checkpoint
 *     0                       version
 *     N                       entry count
 *     <epoch> <start offset>  N lines
 * Answers OffsetForLeaderEpoch and drives truncation by epoch, so that a
 * replica never keeps records the current leader does not have.
 *
 * Thread-safety: every function locks the cache's own mutex; the file is
 * rewritten (atomically) under it.
 */
#ifndef SM_LEADER_EPOCH_CACHE_H
#define SM_LEADER_EPOCH_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SM_LEC_FILE "leader-epoch-checkpoint"

typedef struct sm_lec sm_lec_t;

typedef struct sm_lec_entry {
	int32_t epoch;
	int64_t start_offset;
} sm_lec_entry_t;

/* Loads dir/leader-epoch-checkpoint (missing or empty file = no entries; a
 * corrupt one is logged and treated as empty). dir NULL keeps the cache in
 * memory only. Never NULL. */
sm_lec_t *sm_lec_open(const char *dir);
void sm_lec_destroy(sm_lec_t *c);
/* The partition's log moved to dir (AlterReplicaLogDirs): the checkpoint is
 * written there from now on, starting at once. No-op for a memory-only
 * cache. */
void sm_lec_move_dir(sm_lec_t *c, const char *dir);

/* Records that epoch starts at start_offset when epoch is newer than the
 * latest one (entries starting at or after start_offset are dropped first,
 * they can only be leftovers of a divergent history). Returns 1 if the cache
 * changed (and the file was rewritten), else 0. */
int sm_lec_assign(sm_lec_t *c, int32_t epoch, int64_t start_offset);
/* Latest epoch, -1 if none. */
int32_t sm_lec_latest_epoch(sm_lec_t *c);
/* Kafka's endOffsetFor: the largest epoch <= requested and the start offset
 * of the next epoch after it (log_end_offset when requested is the latest);
 * (-1, -1) when requested is -1 or newer than every known epoch. */
void sm_lec_end_offset_for(sm_lec_t *c, int32_t requested, int64_t log_end_offset,
			   int32_t *epoch_out, int64_t *end_offset_out);
/* Drops entries starting at or after end_offset (log truncation). */
void sm_lec_truncate_from_end(sm_lec_t *c, int64_t end_offset);
/* Copies at most max entries into out; returns the number of entries. */
int sm_lec_entries(sm_lec_t *c, sm_lec_entry_t *out, int max);

/* Parses the checkpoint text. Returns 0 with *out (malloc'd) and *n, or -1
 * with a reason in err. */
int sm_lec_parse(const char *text, size_t len, sm_lec_entry_t **out, int *n, char *err,
		 size_t errlen);

#endif /* SM_LEADER_EPOCH_CACHE_H */
