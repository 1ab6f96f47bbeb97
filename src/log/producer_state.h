/*
 * producer_state.h - per-partition idempotent producer state (Kafka's
 * ProducerStateManager): for every producer id that wrote to the partition,
 * its epoch and the last five batches it appended (sequence range and the
 * offsets they got), so the leader can answer a retried batch with its
 * original offsets, refuse gaps and fenced epochs, and a new leader can do the
 * same for batches it received by replication.
 *
 * The state is kept in memory by the log (log.c), updated on every append,
 * and saved as <20-digit offset>.snapshot files in Kafka's format (version 1,
 * CRC-32C) so that it survives restarts: on load the newest valid snapshot
 * is read and the batches after it are replayed.
 *
 * Thread-safety: none; the owning log serialises access with its append lock.
 */
#ifndef SM_PRODUCER_STATE_H
#define SM_PRODUCER_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define SM_PS_KEEP_BATCHES 5 /* Kafka's ProducerStateEntry.NumBatchesToRetain */
#define SM_PS_SNAPSHOT_VERSION 1
#define SM_PS_SNAPSHOT_HEADER 10 /* version, crc, count */
#define SM_PS_SNAPSHOT_ENTRY 46
/* Kafka's ProducerIdExpirationCheckIntervalMs (hard-coded in 2.8). */
#define SM_PS_EXPIRATION_CHECK_MS 600000
/* transactional.id.expiration.ms default: 2.8 expires producer state with it. */
#define SM_PS_DEFAULT_EXPIRATION_MS 604800000LL

typedef struct sm_ps_batch {
	int32_t first_seq, last_seq;
	int64_t first_off, last_off;
	int64_t max_ts;
} sm_ps_batch_t;

typedef struct sm_ps_entry {
	int64_t pid;
	int16_t epoch;                /* -1 until the first batch */
	sm_ps_batch_t recent[SM_PS_KEEP_BATCHES]; /* oldest first */
	int n_recent;
	int32_t coord_epoch;          /* -1: no transaction marker seen */
	int64_t last_ts;              /* max timestamp of the last batch: expiry */
	int64_t txn_first_off;        /* -1: no open transaction */
} sm_ps_entry_t;

/* One v2 batch as the producer state sees it (from its header). */
typedef struct sm_ps_append {
	int64_t pid;
	int16_t epoch;
	int32_t first_seq;
	int32_t last_seq;  /* first_seq + lastOffsetDelta, mod 2^31 */
	int64_t first_off, last_off;
	int64_t max_ts;
	int is_txn;        /* transactional attribute bit */
} sm_ps_append_t;

/* A transaction closed by a COMMIT/ABORT marker (Kafka's CompletedTxn). */
typedef struct sm_ps_completed {
	int64_t pid;
	int64_t first_off;  /* first offset of the transaction (the marker's
			     * own offset when it had no data here) */
	int64_t last_off;   /* offset of the marker */
	int aborted;
} sm_ps_completed_t;

/* One end-transaction marker (a control batch) as the producer state sees it. */
typedef struct sm_ps_marker {
	int64_t pid;
	int16_t epoch;
	int32_t coord_epoch;
	int64_t offset;
	int64_t ts;
	int aborted;
} sm_ps_marker_t;

typedef struct sm_producer_state sm_producer_state_t;

sm_producer_state_t *sm_ps_new(void);
void sm_ps_free(sm_producer_state_t *ps);
/* Forgets every producer; the map end offset becomes end_offset. */
void sm_ps_clear(sm_producer_state_t *ps, int64_t end_offset);
int sm_ps_count(const sm_producer_state_t *ps);
const sm_ps_entry_t *sm_ps_get(const sm_producer_state_t *ps, int64_t pid);
/* Offset up to which the state reflects the log (exclusive). */
int64_t sm_ps_map_end(const sm_producer_state_t *ps);
void sm_ps_set_map_end(sm_producer_state_t *ps, int64_t offset);

/* The last sequence of a batch starting at first_seq with the given
 * lastOffsetDelta (sequences wrap at INT32_MAX to 0). */
int32_t sm_ps_last_seq(int32_t first_seq, int32_t last_delta);
/* Fills a from the header of the v2 batch at hdr (at least 61 bytes); 0 when
 * the batch has no producer id or is a control batch, 1 otherwise. */
int sm_ps_append_from_header(const uint8_t *hdr, sm_ps_append_t *a);

/*
 * Leader validation of a client batch (Kafka 2.8's
 * ProducerAppendInfo.append with origin Client), before it is written:
 *   SM_ERR_NONE with *dup NULL: append it;
 *   SM_ERR_NONE with *dup set: a retry of the cached batch *dup (same epoch,
 *     same first and last sequence); the caller answers with its offsets
 *     and writes nothing;
 *   SM_ERR_INVALID_PRODUCER_EPOCH: an epoch older than the producer's;
 *   SM_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER: a gap, a new epoch not starting at
 *     sequence 0, or a retry older than the five cached batches;
 *   SM_ERR_INVALID_TXN_STATE: a non-transactional batch from a producer
 *     with an open transaction.
 * A producer the partition does not know is accepted with any sequence
 * (KIP-360, 2.5+).
 */
sm_err_t sm_ps_check(const sm_producer_state_t *ps, const sm_ps_append_t *a,
		     const sm_ps_batch_t **dup);
/* The same for a batch the group coordinator writes (origin Coordinator:
 * TxnOffsetCommit's transactional offsets): no sequence or duplicate
 * checks, only SM_ERR_INVALID_PRODUCER_EPOCH and SM_ERR_INVALID_TXN_STATE. */
sm_err_t sm_ps_check_coordinator(const sm_producer_state_t *ps, const sm_ps_append_t *a);
/* Reads an end-transaction marker from the v2 control batch at hdr (whole
 * batch of len bytes); 0 when it is not one (or malformed), 1 otherwise. */
int sm_ps_marker_from_batch(const uint8_t *batch, size_t len, sm_ps_marker_t *m);
/* Records an appended batch (leader after sm_ps_check, follower and replay
 * without it; Kafka's replication semantics: nothing is refused). Advances
 * the map end offset to a->last_off + 1. */
void sm_ps_update(sm_producer_state_t *ps, const sm_ps_append_t *a);
/* Leader check of an end-transaction marker (Kafka's appendEndTxnMarker with
 * origin Coordinator): SM_ERR_INVALID_PRODUCER_EPOCH for an epoch older than
 * the producer's, SM_ERR_TRANSACTION_COORDINATOR_FENCED for a coordinator
 * epoch older than the last marker's. */
sm_err_t sm_ps_check_marker(const sm_producer_state_t *ps, const sm_ps_marker_t *m);
/* Records a marker (any origin): the producer's open transaction, if any,
 * is closed, described in *out and kept as unreplicated until the high
 * watermark passes the marker (sm_ps_on_high_watermark). Advances the map
 * end offset past the marker. */
void sm_ps_complete(sm_producer_state_t *ps, const sm_ps_marker_t *m, sm_ps_completed_t *out);
/* Kafka's lastStableOffset(completedTxn), before sm_ps_complete: the first
 * offset of the earliest other open transaction, else the marker offset + 1. */
int64_t sm_ps_lso_after(const sm_producer_state_t *ps, const sm_ps_completed_t *c);
/* Forgets the completed transactions whose marker is below hw. */
void sm_ps_on_high_watermark(sm_producer_state_t *ps, int64_t hw);
/* Number of completed transactions whose marker is not below the HW yet. */
int sm_ps_unreplicated(const sm_producer_state_t *ps);
/* First offset of the earliest open or unreplicated transaction, INT64_MAX
 * when none (Kafka's firstUnstableOffset). */
int64_t sm_ps_first_unstable(const sm_producer_state_t *ps);
/* Drops producers with no open transaction whose last timestamp is at
 * least expiration_ms before now; returns how many. */
int sm_ps_expire(sm_producer_state_t *ps, int64_t now_ms, int64_t expiration_ms);

/* ---- snapshots (<20-digit offset>.snapshot, version 1) ---- */

/* Serialises the state as a version-1 snapshot: int16 version, uint32
 * CRC-32C of the rest, int32 count, 46 bytes per producer (newest batch
 * only), producers in ascending id order. */
void sm_ps_snapshot_encode(const sm_producer_state_t *ps, sm_wbuf_t *w);
/* Replaces the state by a snapshot's content (map end = offset); producers
 * expired at now_ms are skipped (expiration_ms <= 0: none).
 * SM_ERR_CORRUPT_MESSAGE on a short file, a wrong version, a count that does
 * not match the size, or a CRC mismatch; the state is then unchanged. */
sm_err_t sm_ps_snapshot_decode(sm_producer_state_t *ps, const uint8_t *p, size_t len,
			       int64_t offset, int64_t now_ms, int64_t expiration_ms);
void sm_ps_snapshot_path(char *buf, size_t size, const char *dir, int64_t offset);
/* Writes <dir>/<map end>.snapshot (create, write, fsync). */
sm_err_t sm_ps_snapshot_write(const sm_producer_state_t *ps, const char *dir);
/* Offsets of the snapshot files in dir, ascending; returns the count
 * (malloc'd *out, NULL when none). */
int sm_ps_snapshot_list(const char *dir, int64_t **out);
/* Removes the snapshot files whose offset is in [from, to). */
void sm_ps_snapshot_delete_range(const char *dir, int64_t from, int64_t to);
/* Reads a whole file (a snapshot) into a malloc'd buffer; NULL on failure. */
uint8_t *sm_ps_read_file(const char *path, size_t *len);

#endif /* SM_PRODUCER_STATE_H */
