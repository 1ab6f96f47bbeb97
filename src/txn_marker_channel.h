/*
 * txn_marker_channel.h - Kafka's TransactionMarkerChannelManager: the
 * transaction coordinator's way of writing COMMIT/ABORT markers to the
 * leaders of a transaction's partitions.
 *
 * The coordinator hands the channel one completed transaction at a time
 * (producer id and epoch, its coordinator epoch, commit or abort, the
 * partitions). The channel groups pending markers by the partition's
 * current leader (from the metadata cache), sends WriteTxnMarkers requests
 * over the inter-broker listener, one sender per destination broker, and
 * retries a partition whose leader is unknown or answered a retriable error
 * (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT, network
 * errors, ...) once the metadata changes or after a back-off. A partition
 * whose topic no longer exists is dropped, as Kafka drops it. When every
 * partition has its marker the transaction's done callback runs once.
 *
 * Markers of a coordinator epoch that was superseded (the coordinator
 * unloaded the __transaction_state partition, see
 * sm_txn_marker_channel_drop_epoch) are dropped: their callback runs with
 * SM_ERR_NOT_COORDINATOR, so its owner frees what it passed and writes no
 * completion record; the next coordinator resends them on load.
 *
 * Thread-safety: every function may be called from any thread; callbacks
 * run on a channel thread with no channel lock held and may call
 * sm_txn_marker_channel_send again.
 */
#ifndef SM_TXN_MARKER_CHANNEL_H
#define SM_TXN_MARKER_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct sm_txn_marker_channel sm_txn_marker_channel_t;
typedef struct sm_metadata_cache sm_metadata_cache_t;

/* One partition of a transaction. The channel copies what it keeps. */
typedef struct sm_txn_tp {
	const char *topic;
	int32_t partition;
} sm_txn_tp_t;

/* e: SM_ERR_NONE once every partition has its marker (or was dropped
 * because its topic is gone); SM_ERR_NOT_COORDINATOR when the coordinator
 * epoch was dropped first. Runs exactly once per send. */
typedef void (sm_txn_markers_done_t)(void *opaque, sm_err_t e);

/* broker_id: this broker (its own leaderships are reached through the
 * network too, as Kafka does). The channel starts its threads lazily. */
sm_txn_marker_channel_t *sm_txn_marker_channel_new(int32_t broker_id, sm_metadata_cache_t *mc);
/* Stops the senders; pending transactions get SM_ERR_NOT_COORDINATOR. */
void sm_txn_marker_channel_destroy(sm_txn_marker_channel_t *ch);

/* Queues the markers of one transaction (result: 1 commit, 0 abort).
 * tps may be empty (n == 0): done then runs at once. */
void sm_txn_marker_channel_send(sm_txn_marker_channel_t *ch, int64_t producer_id,
				int16_t producer_epoch, int32_t coordinator_epoch,
				int32_t txn_partition, int commit, const sm_txn_tp_t *tps,
				size_t n, sm_txn_markers_done_t *done, void *opaque);

/* The coordinator lost (or reloaded) __transaction_state partition
 * txn_partition: every pending transaction queued for it with an epoch
 * below or equal to coordinator_epoch ends with SM_ERR_NOT_COORDINATOR. */
void sm_txn_marker_channel_drop_epoch(sm_txn_marker_channel_t *ch, int32_t txn_partition,
				      int32_t coordinator_epoch);

/* Wakes senders waiting for a leader (called on metadata updates). */
void sm_txn_marker_channel_metadata_changed(sm_txn_marker_channel_t *ch);

#endif /* SM_TXN_MARKER_CHANNEL_H */
