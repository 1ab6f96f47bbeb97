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
 * run on a channel thread (the sender whose answer finished the
 * transaction, or the router) with no channel lock held and may call
 * sm_txn_marker_channel_send again; callbacks of different transactions
 * may run at once on different channel threads. Such a thread (role
 * txn-marker, see docs/design/threads.md) runs its callbacks in turn, and
 * send queues markers from the calling thread: a callback must not
 * wait for long (e.g. for an acks=-1 append to be replicated: start it and
 * complete it elsewhere) and may not call ZooKeeper.
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
 * epoch was dropped first; SM_ERR_INVALID_PRODUCER_EPOCH or
 * SM_ERR_TRANSACTION_COORDINATOR_FENCED when a partition leader refused the
 * marker because a newer producer epoch or coordinator epoch exists (Kafka
 * then stops sending this transaction's markers and writes no completion
 * record: the owner does the same). Runs exactly once per send. */
typedef void (sm_txn_markers_done_t)(void *opaque, sm_err_t e);

/* broker_id: this broker (its own leaderships are reached through the
 * network too, as Kafka does). The channel starts its threads lazily. */
sm_txn_marker_channel_t *sm_txn_marker_channel_new(int32_t broker_id, sm_metadata_cache_t *mc);
/* Stops the senders; pending transactions get SM_ERR_NOT_COORDINATOR (their
 * callbacks run on the calling thread). It joins the channel's threads, one
 * of which may be inside a callback: call it holding no lock a callback
 * takes. */
void sm_txn_marker_channel_destroy(sm_txn_marker_channel_t *ch);

/* What Kafka's channel takes from KafkaConfig: the inter-broker listener
 * whose endpoints (in the metadata cache) it connects to (default
 * "PLAINTEXT"), inter.broker.protocol.version (WriteTxnMarkers v1 from 2.8
 * on, v0 before; default v1) and request.timeout.ms (default 30000). NULL
 * or <= 0 keeps a setting. Call before the first send. */
void sm_txn_marker_channel_configure(sm_txn_marker_channel_t *ch, const char *listener,
				     const char *inter_broker_protocol_version,
				     int request_timeout_ms);

/* The WriteTxnMarkers version an inter.broker.protocol.version implies. */
int16_t sm_txn_marker_request_version(const char *inter_broker_protocol_version);

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

/* Wakes senders waiting for a leader (called on metadata updates). Without
 * it, partitions waiting for a leader are looked up again every second. */
void sm_txn_marker_channel_metadata_changed(sm_txn_marker_channel_t *ch);

/* Gauges (Kafka's UnknownDestinationQueueSize and the number of
 * transactions with pending markers): partitions waiting for a leader or a
 * retry, and transactions whose callback has not started yet. */
size_t sm_txn_marker_channel_unknown_dest_count(sm_txn_marker_channel_t *ch);
size_t sm_txn_marker_channel_pending_count(sm_txn_marker_channel_t *ch);

#endif /* SM_TXN_MARKER_CHANNEL_H */
