/*
 * txn_coordinator.h - the transaction coordinator (Kafka 2.8's
 * TransactionCoordinator with its TransactionStateManager): the state of
 * every transactional id whose __transaction_state partition this broker
 * leads, kept in memory and written to that partition (TransactionLogKey /
 * TransactionLogValue v0 records, acks=-1) before any transition is
 * answered.
 *
 * States: Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit,
 * CompleteAbort, Dead, PrepareEpochFence (Kafka's TransactionState and its
 * record codes). EndTxn writes PrepareCommit/PrepareAbort, answers the
 * client, hands the markers to the marker channel (txn_marker_channel.h)
 * and, once every partition has its marker, writes CompleteCommit /
 * CompleteAbort. An InitProducerId that finds an ongoing transaction bumps
 * the epoch (fencing the previous producer), aborts the transaction and
 * answers CONCURRENT_TRANSACTIONS so the client retries; a transaction open
 * past its timeout is aborted the same way by the coordinator's own thread.
 *
 * A partition of __transaction_state is loaded (replayed from the log) when
 * this broker becomes its leader, with the partition's leader epoch as the
 * coordinator epoch; transactions found in a Prepare* state have their
 * markers sent again. It is unloaded when leadership moves away, and the
 * marker channel drops what it still holds for it.
 *
 * Thread-safety: one mutex (tc->lock) guards every transactional id and
 * partition state; it is held while appending to __transaction_state
 * (coordinator -> replica manager) and never across a ZooKeeper call or a
 * call into the marker channel. Replies run with no coordinator lock held,
 * on the calling handler thread, on fetch-purgatory (an acks=-1 write that
 * waited for the ISR), on a marker channel thread or on txn-coord.
 */
#ifndef SM_TXN_COORDINATOR_H
#define SM_TXN_COORDINATOR_H

#include <stdint.h>

#include "err.h"
#include "txn_marker_channel.h"

#define SM_TXN_STATE_TOPIC "__transaction_state"

typedef struct sm_txn_coordinator sm_txn_coordinator_t;
typedef struct sm_group_metadata_manager sm_group_metadata_manager_t;
typedef struct sm_replica_manager sm_replica_manager_t;

/* Kafka's TransactionState codes, as written in TransactionLogValue. */
enum sm_txn_state {
	SM_TXN_EMPTY = 0,
	SM_TXN_ONGOING = 1,
	SM_TXN_PREPARE_COMMIT = 2,
	SM_TXN_PREPARE_ABORT = 3,
	SM_TXN_COMPLETE_COMMIT = 4,
	SM_TXN_COMPLETE_ABORT = 5,
	SM_TXN_DEAD = 6,
	SM_TXN_PREPARE_EPOCH_FENCE = 7,
};

typedef struct sm_txn_config {
	int32_t broker_id;
	int32_t num_partitions;          /* transaction.state.log.num.partitions */
	int32_t abort_interval_ms;       /* transaction.abort.timed.out.transaction.cleanup.interval.ms */
	int32_t remove_interval_ms;      /* transaction.remove.expired.transaction.cleanup.interval.ms */
	int64_t id_expiration_ms;        /* transactional.id.expiration.ms */
} sm_txn_config_t;

/* How a request ended: the error and, for InitProducerId, the producer id
 * and epoch handed out. Called exactly once per request. */
typedef void (sm_txn_reply_fn)(void *arg, sm_err_t e, int64_t producer_id, int16_t epoch);
/* Hands out a new producer id (the producer id manager; may block on
 * ZooKeeper, so it is only called with no coordinator lock held). */
typedef sm_err_t (sm_txn_pid_fn)(void *opaque, int64_t *pid);

/* log: the __transaction_state writer/reader (borrowed); ch: the marker
 * channel (borrowed); rm: for the partitions' leader epochs (borrowed). */
sm_txn_coordinator_t *sm_txn_coordinator_new(const sm_txn_config_t *cfg,
					     sm_group_metadata_manager_t *log,
					     sm_txn_marker_channel_t *ch, sm_replica_manager_t *rm);
/* Starts the txn-coord thread (loading, timeouts, id expiration). */
void sm_txn_coordinator_start(sm_txn_coordinator_t *tc);
/* Stops the thread; from then on no markers are handed to the channel (it
 * is destroyed next) and transactions left in Prepare* are completed by
 * the partition's next coordinator. Requests still waiting are answered by
 * their writes' and markers' owners (purgatory, channel) as those are
 * destroyed. */
void sm_txn_coordinator_shutdown(sm_txn_coordinator_t *tc);
void sm_txn_coordinator_destroy(sm_txn_coordinator_t *tc);

/* sm_leadership_listener_t for the replica manager. */
void sm_txn_coordinator_on_leadership(void *tc, const char *topic, int32_t partition,
				      int is_leader);

/* What the listener does once it knows the partition's leader epoch:
 * load (a newer epoch unloads first) or unload a partition. */
void sm_txn_coordinator_load(sm_txn_coordinator_t *tc, int32_t partition, int32_t epoch);
void sm_txn_coordinator_unload(sm_txn_coordinator_t *tc, int32_t partition);

/* A transactional id's state: 1 and its fields; 0 unknown; -1 when its
 * partition is not loaded here. *state is -1 while a write other than a
 * Prepare* one is in flight. */
int sm_txn_coordinator_describe(sm_txn_coordinator_t *tc, const char *tid, int8_t *state,
				int64_t *pid, int16_t *epoch, int *n_partitions);

/* The __transaction_state partition of a transactional id. */
int32_t sm_txn_coordinator_partition_for(const sm_txn_coordinator_t *tc, const char *tid);

/* InitProducerId with a transactional id (checked non-empty, timeout
 * checked by the caller). expected_pid/epoch: -1 unless the request (v3+)
 * carries them. */
void sm_txn_coordinator_init_pid(sm_txn_coordinator_t *tc, const char *tid, int32_t timeout_ms,
				 int64_t expected_pid, int16_t expected_epoch, sm_txn_pid_fn *pid_fn,
				 void *pid_opaque, sm_txn_reply_fn *reply, void *arg);
/* AddPartitionsToTxn (and AddOffsetsToTxn with the group's
 * __consumer_offsets partition). */
void sm_txn_coordinator_add_partitions(sm_txn_coordinator_t *tc, const char *tid, int64_t pid,
				       int16_t epoch, const sm_txn_tp_t *tps, int n,
				       sm_txn_reply_fn *reply, void *arg);
/* EndTxn. */
void sm_txn_coordinator_end(sm_txn_coordinator_t *tc, const char *tid, int64_t pid, int16_t epoch,
			    int commit, sm_txn_reply_fn *reply, void *arg);

/* Replays __transaction_state batches (flat v2 batches) into callbacks:
 * value NULL for a tombstone. Records that do not decode are counted in
 * *skipped. Also used by tools. */
typedef struct sm_txn_log_entry {
	int64_t producer_id;
	int16_t producer_epoch;
	int32_t timeout_ms;
	int8_t state;
	sm_txn_tp_t *tps;
	int n_tps;
	int64_t last_update_ms;
	int64_t start_ms;
} sm_txn_log_entry_t;
typedef void (sm_txn_replay_fn)(void *opaque, const char *tid, const sm_txn_log_entry_t *v);
void sm_txn_log_replay(const uint8_t *p, size_t len, sm_txn_replay_fn *fn, void *opaque,
		       int *skipped);

#endif /* SM_TXN_COORDINATOR_H */
