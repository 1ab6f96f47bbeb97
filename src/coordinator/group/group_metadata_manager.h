/*
 * group_metadata_manager.h - Kafka's GroupMetadataManager storage half:
 * writes offset commits, group metadata and their tombstones as record
 * batches to the group's __consumer_offsets partition, and reads a
 * partition back (from log start to the log end, as Kafka's loader) when
 * this broker becomes its leader. The in-memory cache is the group coordinator's.
 *
 * Offset commits and group metadata are written as Kafka's appendForGroup
 * does: acks=-1 (offsets.commit.required.acks) with offsets.commit.timeout.ms,
 * so a write ends once every ISR member has the batch (the high watermark
 * passed it), the ISR fell below min.insync.replicas, leadership moved, or
 * the timeout passed. The wait is a delayed operation in the broker's
 * purgatory (delayed_op.h): nothing blocks. Tombstones end with the leader
 * append, as Kafka's cleanup writes do.
 *
 * The partition I/O goes through an ops table: the broker's uses the
 * replica manager (leader append, log read, purgatory); tests use a fake.
 *
 * Thread-safety: the functions are thread-safe as far as the ops are (the
 * replica manager's are).
 */
#ifndef SM_GROUP_METADATA_MANAGER_H
#define SM_GROUP_METADATA_MANAGER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "group_metadata.h"
#include "group_records.h"

typedef struct sm_replica_manager sm_replica_manager_t;
typedef struct sm_purgatory sm_purgatory_t;
typedef struct sm_group_metadata_manager sm_group_metadata_manager_t;

/* How a parked write ended: e is the replica manager's error (NONE once the
 * ISR has the batch, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS_AFTER_APPEND,
 * NOT_LEADER_OR_FOLLOWER, ...). Runs once, on another thread, with no lock
 * held. */
typedef void (sm_gmm_done_fn)(void *arg, sm_err_t e);

typedef struct sm_gmm_ops {
	/* Appends one v2 batch (modified in place) to the partition as leader.
	 * done == NULL: the write ends with the leader append; returns 0 and
	 * its error in *err. Otherwise acks=-1: returns 0 with the outcome in
	 * *err when it is known at once (failed, or already replicated), or 1
	 * when done(arg, e) will report it later. */
	int (*append)(void *opaque, int32_t partition, uint8_t *batch, size_t len,
		      sm_gmm_done_fn *done, void *arg, sm_err_t *err);
	/* Appends the partition's batches from log start to the log end to
	 * out (flat bytes). */
	sm_err_t (*read)(void *opaque, int32_t partition, sm_wbuf_t *out);
	void *opaque;
} sm_gmm_ops_t;

/* Over the replica manager's partitions of topic (borrowed).
 * required_acks is offsets.commit.required.acks (-1 waits for the ISR; 0 or
 * 1 end with the leader append), timeout_ms offsets.commit.timeout.ms. */
sm_group_metadata_manager_t *sm_gmm_new(sm_replica_manager_t *rm, const char *topic,
					int16_t required_acks, int32_t timeout_ms);
sm_group_metadata_manager_t *sm_gmm_new_ops(const sm_gmm_ops_t *ops);
void sm_gmm_destroy(sm_group_metadata_manager_t *gmm);
/* The purgatory acks=-1 writes wait in (borrowed; NULL before it exists and
 * once it is being destroyed: a write that would wait then ends at once
 * with REQUEST_TIMED_OUT). */
void sm_gmm_set_purgatory(sm_group_metadata_manager_t *gmm, sm_purgatory_t *fp);

/* The stores below follow the ops' append contract: 0 and *err when the
 * write ended at once, 1 when done(arg, e) reports it later; done == NULL
 * ends the write with the leader append. */

/* OffsetCommitKey/Value records for o[0..n) of group, as one batch. */
int sm_gmm_store_offsets(sm_group_metadata_manager_t *gmm, int32_t partition, const char *group,
			 const sm_group_offset_t *o, int n, sm_gmm_done_fn *done, void *arg,
			 sm_err_t *err);
/* The same as a transactional batch of producer pid/epoch (TxnOffsetCommit,
 * Kafka's storeOffsets with a producer id): base sequence 0, appended with
 * the coordinator's origin (epoch checked, no sequence checks), so the
 * partition's producer state opens the producer's transaction and the last
 * stable offset stops there until its marker. */
int sm_gmm_store_txn_offsets(sm_group_metadata_manager_t *gmm, int32_t partition,
			     const char *group, int64_t pid, int16_t epoch,
			     const sm_group_offset_t *o, int n, sm_gmm_done_fn *done, void *arg,
			     sm_err_t *err);
/* The group's GroupMetadataKey/Value (v3) as of now. */
int sm_gmm_store_group(sm_group_metadata_manager_t *gmm, const sm_group_t *g, int64_t now_ms,
		       sm_gmm_done_fn *done, void *arg, sm_err_t *err);
/* Tombstones for the offsets o[0..n) (only topic/partition used) and, when
 * with_group, for the group metadata key. */
sm_err_t sm_gmm_store_tombstones(sm_group_metadata_manager_t *gmm, int32_t partition,
				 const char *group, const sm_group_offset_t *o, int n,
				 int with_group);

/* The ops themselves, for another internal topic written the same way
 * (__transaction_state, txn_state_manager.c). */
int sm_gmm_append_batch(sm_group_metadata_manager_t *gmm, int32_t partition, uint8_t *batch,
			size_t len, sm_gmm_done_fn *done, void *arg, sm_err_t *err);
sm_err_t sm_gmm_read_all(sm_group_metadata_manager_t *gmm, int32_t partition, sm_wbuf_t *out);

/* What loading yields, in log order; a NULL value is a tombstone. An offset
 * record of a transactional batch goes to txn_offset with the batch's
 * producer id, and each COMMIT/ABORT marker to txn_end (Kafka's loader
 * keeps such offsets pending until the marker); a loader without
 * txn_offset gets them as plain offsets and no markers. */
typedef struct sm_gmm_loader {
	void (*offset)(void *opaque, const char *group, const char *topic, int32_t partition,
		       const sm_group_offset_value_t *v);
	void (*group)(void *opaque, const char *group, const sm_group_metadata_value_t *v);
	void (*txn_offset)(void *opaque, int64_t pid, const char *group, const char *topic,
			   int32_t partition, const sm_group_offset_value_t *v);
	void (*txn_end)(void *opaque, int64_t pid, int commit);
	void *opaque;
} sm_gmm_loader_t;

/* Reads the partition and replays every record into l. Records that do not
 * decode are skipped (and counted in *skipped when non-NULL). */
sm_err_t sm_gmm_load(sm_group_metadata_manager_t *gmm, int32_t partition,
		     const sm_gmm_loader_t *l, int *skipped);
/* Same over batches already in memory. */
sm_err_t sm_gmm_replay(const uint8_t *p, size_t len, const sm_gmm_loader_t *l, int *skipped);

#endif /* SM_GROUP_METADATA_MANAGER_H */
