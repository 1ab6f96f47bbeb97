/*
 * group_metadata_manager.h - Kafka's GroupMetadataManager storage half:
 * writes offset commits, group metadata and their tombstones as record
 * batches to the group's __consumer_offsets partition, and reads a
 * partition back (from log start to the high watermark) when this broker
 * becomes its leader. The in-memory cache is the group coordinator's.
 *
 * The partition I/O goes through an ops table: the broker's uses the
 * replica manager (leader append, log read); tests use a fake.
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
typedef struct sm_group_metadata_manager sm_group_metadata_manager_t;

typedef struct sm_gmm_ops {
	/* Appends one v2 batch (modified in place) to the partition as leader. */
	sm_err_t (*append)(void *opaque, int32_t partition, uint8_t *batch, size_t len);
	/* Appends the partition's batches from log start to the high watermark
	 * to out (flat bytes). */
	sm_err_t (*read)(void *opaque, int32_t partition, sm_wbuf_t *out);
	void *opaque;
} sm_gmm_ops_t;

/* Over the replica manager's partitions of topic (borrowed). */
sm_group_metadata_manager_t *sm_gmm_new(sm_replica_manager_t *rm, const char *topic);
sm_group_metadata_manager_t *sm_gmm_new_ops(const sm_gmm_ops_t *ops);
void sm_gmm_destroy(sm_group_metadata_manager_t *gmm);

/* OffsetCommitKey/Value records for o[0..n) of group, as one batch. */
sm_err_t sm_gmm_store_offsets(sm_group_metadata_manager_t *gmm, int32_t partition,
			      const char *group, const sm_group_offset_t *o, int n);
/* The group's GroupMetadataKey/Value (v3) as of now. */
sm_err_t sm_gmm_store_group(sm_group_metadata_manager_t *gmm, const sm_group_t *g, int64_t now_ms);
/* Tombstones for the offsets o[0..n) (only topic/partition used) and, when
 * with_group, for the group metadata key. */
sm_err_t sm_gmm_store_tombstones(sm_group_metadata_manager_t *gmm, int32_t partition,
				 const char *group, const sm_group_offset_t *o, int n,
				 int with_group);

/* What loading yields, in log order; a NULL value is a tombstone. */
typedef struct sm_gmm_loader {
	void (*offset)(void *opaque, const char *group, const char *topic, int32_t partition,
		       const sm_group_offset_value_t *v);
	void (*group)(void *opaque, const char *group, const sm_group_metadata_value_t *v);
	void *opaque;
} sm_gmm_loader_t;

/* Reads the partition and replays every record into l. Records that do not
 * decode are skipped (and counted in *skipped when non-NULL). */
sm_err_t sm_gmm_load(sm_group_metadata_manager_t *gmm, int32_t partition,
		     const sm_gmm_loader_t *l, int *skipped);
/* Same over batches already in memory. */
sm_err_t sm_gmm_replay(const uint8_t *p, size_t len, const sm_gmm_loader_t *l, int *skipped);

#endif /* SM_GROUP_METADATA_MANAGER_H */
