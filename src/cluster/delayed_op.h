/*
 * delayed_op.h - Kafka's DelayedOperationPurgatory: operations that wait for
 * something to happen on a partition (or in the metadata cache) or for their
 * deadline, whichever comes first.
 *
 * An operation is parked with the keys it watches: the partitions a fetch
 * reads or a produce waits on, the __consumer_offsets partition of a group
 * write, or SM_OP_KEY_METADATA for admin requests waiting for the metadata
 * cache. A change is announced for one key (sm_purgatory_check), and only
 * the operations watching that key are tried again -- an append to one
 * partition no longer re-runs every parked fetch of the broker. Every
 * operation is tried once right after being parked (a change between the
 * caller's own check and parking is never missed), again whenever one of
 * its keys is checked, and is completed with expired=1 at its deadline or
 * when the purgatory is destroyed.
 *
 * Operations run without any purgatory lock held, so fn may park further
 * operations, and on one thread at a time: either the purgatory's own
 * thread (role SM_ROLE_PURGATORY), which runs first tries (but those of
 * sm_purgatory_watch_here), deadlines and the checks of callers that may
 * hold locks (sm_purgatory_check), or a request handler that changed the
 * key and holds no lock (sm_purgatory_check_and_complete, Kafka's
 * checkAndComplete on the caller's thread). A handler does not run them where the change happens
 * -- that may be under rm->lock, a partition's or a coordinator's mutex --
 * but notes the key (sm_purgatory_check_or_defer) and runs its watchers
 * when the request is handled (sm_purgatory_complete_deferred, Kafka's
 * tryCompleteActions): the follower fetch that moves the high watermark
 * answers the acks=-1 produce it unblocked, and the append answers the
 * fetches parked on its partition, without a hop to the purgatory thread.
 * A check that arrives while an operation is running (on any thread) makes
 * it run again afterwards on the purgatory thread, so no change is lost.
 *
 * Thread-safety: every function but destroy may be called from any thread,
 * also from fn; sm_purgatory_watch_here, sm_purgatory_check_and_complete,
 * sm_purgatory_defer_begin and sm_purgatory_complete_deferred only from
 * request handlers (asserted).
 */
#ifndef SM_DELAYED_OP_H
#define SM_DELAYED_OP_H

#include <stddef.h>
#include <stdint.h>

typedef struct sm_purgatory sm_purgatory_t;

/* Tries to complete the operation; expired is 1 once its deadline passed
 * (or the purgatory is being destroyed) and the operation must complete now.
 * Returns 1 when it completed (and freed arg), else 0. */
typedef int (sm_delayed_op_fn)(void *arg, int expired);

/* What an operation watches: a topic partition, or a named event with
 * id -1. The purgatory copies the names. */
typedef struct sm_op_key {
	const char *name;
	int32_t id;
} sm_op_key_t;

/* The metadata cache changed (UpdateMetadata). */
#define SM_OP_KEY_METADATA ((sm_op_key_t){ "<metadata>", -1 })

/* Starts the purgatory thread (its name at most 15 characters). */
sm_purgatory_t *sm_purgatory_new(const char *thread_name);
/* Completes every parked operation with expired=1, then stops the thread. */
void sm_purgatory_destroy(sm_purgatory_t *pg);

/* Parks an operation until fn completes it or deadline (monotonic ms),
 * watching nkeys keys (nkeys 0: only the first try and the deadline). */
void sm_purgatory_watch(sm_purgatory_t *pg, int64_t deadline, sm_delayed_op_fn *fn, void *arg,
			const sm_op_key_t *keys, int nkeys);

/* sm_purgatory_watch whose first try runs on the calling request handler,
 * at once, rather than on the purgatory thread (Kafka's
 * tryCompleteElseWatch): for a caller holding no lock fn might take. fn
 * may complete (and free arg) before this returns. */
void sm_purgatory_watch_here(sm_purgatory_t *pg, int64_t deadline, sm_delayed_op_fn *fn, void *arg,
			     const sm_op_key_t *keys, int nkeys);

/* Something changed for key (name, id): its watchers are tried again. */
void sm_purgatory_check(sm_purgatory_t *pg, const char *name, int32_t id);

/* Tries the operations watching (name, id) on this thread, now; those
 * queued for or running on another thread are left to it (and told of the
 * change). The caller holds no lock that fn might take. */
void sm_purgatory_check_and_complete(sm_purgatory_t *pg, const char *name, int32_t id);

/* A request handler starts handling a request: from now on its
 * sm_purgatory_check_or_defer calls are noted, not run. */
void sm_purgatory_defer_begin(void);
/* sm_purgatory_check, or, between sm_purgatory_defer_begin and
 * sm_purgatory_complete_deferred on this thread, notes the key (once) for
 * the latter. Safe under any lock. */
void sm_purgatory_check_or_defer(sm_purgatory_t *pg, const char *name, int32_t id);
/* Runs sm_purgatory_check_and_complete for every noted key, those noted
 * meanwhile included, and ends the scope. The caller holds no lock. */
void sm_purgatory_complete_deferred(void);

/* Parked operations (for tests and metrics). */
size_t sm_purgatory_size(sm_purgatory_t *pg);
/* Operations queued or running, on any thread (for tests: 0 once every
 * parked operation is back to watching). */
size_t sm_purgatory_busy(sm_purgatory_t *pg);
/* Operations tried since start, first tries included (for tests). */
uint64_t sm_purgatory_tries(sm_purgatory_t *pg);

#endif /* SM_DELAYED_OP_H */
