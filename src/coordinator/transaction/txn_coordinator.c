/*
 * txn_coordinator.c - the transaction coordinator and its state in
 * __transaction_state (Kafka 2.8's TransactionCoordinator,
 * TransactionStateManager and TransactionMetadata); see the header.
 *
 * Every transition follows Kafka's pattern: it is checked under the lock,
 * the transactional id is marked pending (further requests get
 * CONCURRENT_TRANSACTIONS), the new state is written to the id's
 * __transaction_state partition with acks=-1, and only once the write is
 * acknowledged is the new state taken in memory and the client answered.
 * A write whose partition changed coordinator epoch in the meantime (the
 * partition was unloaded or reloaded) is answered NOT_COORDINATOR and
 * changes nothing.
 *
 * What must run without the lock (replies, which send responses; marker
 * sends, whose callback may run at once) is queued on the operation and
 * done by sm_txn_op_post after unlocking.
 */
#include "txn_coordinator.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "group_metadata_manager.h"
#include "group_records.h"
#include "logger.h"
#include "msg_transaction_state.h"
#include "record_batch.h"
#include "replica_manager.h"
#include "thread_role.h"

#define SM_TXN_LOGGER "kafka.coordinator.transaction.TransactionCoordinator"
#define SM_TXN_SM_LOGGER "kafka.coordinator.transaction.TransactionStateManager"
/* Kafka's TransactionMetadata.isEpochExhausted: an epoch this high cannot
 * be bumped once more (a fence needs one spare value). */
#define SM_TXN_EPOCH_EXHAUSTED (INT16_MAX - 1)

enum { SM_TXN_P_NONE, SM_TXN_P_LOADING, SM_TXN_P_LOADED };

typedef struct sm_txn_meta {
	char *tid;
	int64_t pid, last_pid;
	int16_t epoch, last_epoch;
	int32_t timeout_ms;
	int8_t state;
	sm_txn_tp_t *tps; /* topics owned */
	int n_tps;
	int64_t start_ms, update_ms;
	int pending; /* a write or the markers are in flight */
	struct sm_txn_meta *next;
} sm_txn_meta_t;

enum sm_txn_op_kind {
	SM_TXN_OP_INIT,     /* InitProducerId: Empty with a new epoch */
	SM_TXN_OP_ADD,      /* AddPartitionsToTxn: Ongoing */
	SM_TXN_OP_PREPARE,  /* EndTxn / fence / timeout: PrepareCommit/Abort */
	SM_TXN_OP_COMPLETE, /* markers written: CompleteCommit/Abort */
	SM_TXN_OP_REMOVE,   /* expired id: tombstone */
};

/* Why a PrepareAbort was written: a client's EndTxn, an InitProducerId
 * fencing an ongoing transaction, or its timeout. */
enum { SM_TXN_WHY_CLIENT, SM_TXN_WHY_FENCE, SM_TXN_WHY_TIMEOUT };

typedef struct sm_txn_op {
	sm_txn_coordinator_t *tc;
	int kind, why;
	char *tid;
	int32_t partition, coord_epoch;
	sm_txn_meta_t target; /* the state written (tps owned, tid unused) */
	sm_txn_reply_fn *reply;
	void *arg;
	/* set under the lock, done by sm_txn_op_post */
	int do_reply;
	sm_err_t reply_err;
	int do_markers;
	struct sm_txn_op *next_post;
} sm_txn_op_t;

struct sm_txn_coordinator {
	sm_txn_config_t cfg;
	sm_group_metadata_manager_t *log;
	sm_txn_marker_channel_t *ch;
	sm_replica_manager_t *rm;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	int started, stop;
	int *pstate;           /* SM_TXN_P_* per partition */
	int32_t *pepoch;       /* coordinator epoch of a loading/loaded partition */
	sm_txn_meta_t **metas; /* per partition */
	int load_wanted;
	char comp[64];
};

static const char *sm_txn_state_name(int8_t s)
{
	static const char *const n[] = { "Empty", "Ongoing", "PrepareCommit", "PrepareAbort",
					 "CompleteCommit", "CompleteAbort", "Dead",
					 "PrepareEpochFence" };
	return s >= 0 && s <= 7 ? n[s] : "Unknown";
}

/* ---- partition sets ---- */

static void sm_txn_tps_free(sm_txn_tp_t *tps, int n)
{
	for (int i = 0; i < n; i++)
		free((char *)tps[i].topic);
	free(tps);
}

static sm_txn_tp_t *sm_txn_tps_copy(const sm_txn_tp_t *tps, int n)
{
	sm_txn_tp_t *c = sm_calloc((size_t)(n > 0 ? n : 1), sizeof(*c));
	for (int i = 0; i < n; i++) {
		c[i].topic = sm_strdup(tps[i].topic);
		c[i].partition = tps[i].partition;
	}
	return c;
}

/* qsort order of (topic, partition) pointers. */
static int sm_txn_tp_cmp(const void *a, const void *b)
{
	const sm_txn_tp_t *x = *(const sm_txn_tp_t *const *)a, *y = *(const sm_txn_tp_t *const *)b;
	int c = strcmp(x->topic, y->topic);
	return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

/* A set of (topic, partition) over borrowed entries, open addressing: a
 * request may name every partition of the cluster, so merging it into a
 * transaction must not cost n * m comparisons. */
typedef struct sm_txn_tpset {
	const sm_txn_tp_t **slot;
	size_t mask;
} sm_txn_tpset_t;

static size_t sm_txn_tp_hash(const char *topic, int32_t partition)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (const unsigned char *c = (const unsigned char *)topic; *c; c++)
		h = (h ^ *c) * 1099511628211ull;
	h = (h ^ (uint32_t)partition) * 1099511628211ull;
	return (size_t)(h ^ (h >> 29));
}

static void sm_txn_tpset_init(sm_txn_tpset_t *s, size_t n)
{
	size_t cap = 16;
	while (cap < 2 * n + 2)
		cap <<= 1;
	s->slot = sm_calloc(cap, sizeof(*s->slot));
	s->mask = cap - 1;
}

/* 1 when tp was added, 0 when an equal entry is there already. */
static int sm_txn_tpset_add(sm_txn_tpset_t *s, const sm_txn_tp_t *tp)
{
	size_t h = sm_txn_tp_hash(tp->topic, tp->partition) & s->mask;
	while (s->slot[h]) {
		if (s->slot[h]->partition == tp->partition && !strcmp(s->slot[h]->topic, tp->topic))
			return 0;
		h = (h + 1) & s->mask;
	}
	s->slot[h] = tp;
	return 1;
}

/* ---- metadata ---- */

static void sm_txn_meta_free(sm_txn_meta_t *m)
{
	free(m->tid);
	sm_txn_tps_free(m->tps, m->n_tps);
	free(m);
}

static sm_txn_meta_t *sm_txn_find(sm_txn_coordinator_t *tc, int32_t partition, const char *tid)
{
	SM_ASSERT_HELD(&tc->lock);
	for (sm_txn_meta_t *m = tc->metas[partition]; m; m = m->next)
		if (!strcmp(m->tid, tid))
			return m;
	return NULL;
}

static void sm_txn_unlink(sm_txn_coordinator_t *tc, int32_t partition, sm_txn_meta_t *m)
{
	SM_ASSERT_HELD(&tc->lock);
	for (sm_txn_meta_t **pp = &tc->metas[partition]; *pp; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			return;
		}
}

/* Takes the target's fields (its partition set moves into m). */
static void sm_txn_meta_apply(sm_txn_meta_t *m, sm_txn_meta_t *t)
{
	m->pid = t->pid;
	m->last_pid = t->last_pid;
	m->epoch = t->epoch;
	m->last_epoch = t->last_epoch;
	m->timeout_ms = t->timeout_ms;
	m->state = t->state;
	sm_txn_tps_free(m->tps, m->n_tps);
	m->tps = t->tps;
	m->n_tps = t->n_tps;
	t->tps = NULL;
	t->n_tps = 0;
	m->start_ms = t->start_ms;
	m->update_ms = t->update_ms;
}

/* A target that starts as a copy of m. */
static void sm_txn_target_from(sm_txn_meta_t *t, const sm_txn_meta_t *m)
{
	*t = *m;
	t->tid = NULL;
	t->next = NULL;
	t->tps = sm_txn_tps_copy(m->tps, m->n_tps);
}

static void sm_txn_op_free(sm_txn_op_t *op)
{
	free(op->tid);
	sm_txn_tps_free(op->target.tps, op->target.n_tps);
	free(op);
}

static sm_txn_op_t *sm_txn_op_new(sm_txn_coordinator_t *tc, int kind, const sm_txn_meta_t *m,
				  int32_t partition, sm_txn_reply_fn *reply, void *arg)
{
	sm_txn_op_t *op = sm_calloc(1, sizeof(*op));
	op->tc = tc;
	op->kind = kind;
	op->tid = sm_strdup(m->tid);
	op->partition = partition;
	op->coord_epoch = tc->pepoch[partition];
	sm_txn_target_from(&op->target, m);
	op->reply = reply;
	op->arg = arg;
	return op;
}

/* ---- records ---- */

/* Kafka's TransactionStateManager.appendTransactionToLog error mapping. */
static sm_err_t sm_txn_append_err(sm_err_t e)
{
	switch (e) {
	case SM_ERR_NONE:
		return SM_ERR_NONE;
	case SM_ERR_UNKNOWN_TOPIC_OR_PARTITION:
	case SM_ERR_NOT_ENOUGH_REPLICAS:
	case SM_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
	case SM_ERR_REQUEST_TIMED_OUT:
		return SM_ERR_COORDINATOR_NOT_AVAILABLE;
	case SM_ERR_NOT_LEADER_OR_FOLLOWER:
	case SM_ERR_KAFKA_STORAGE_ERROR:
		return SM_ERR_NOT_COORDINATOR;
	case SM_ERR_MESSAGE_TOO_LARGE:
	case SM_ERR_RECORD_LIST_TOO_LARGE:
		return SM_ERR_UNKNOWN_SERVER_ERROR;
	default:
		return e;
	}
}

/* One record (key and value version-prefixed, value NULL for a
 * tombstone) as an uncompressed v2 batch appended to out. */
static void sm_txn_build_batch(sm_wbuf_t *out, const char *tid, const sm_txn_meta_t *t, int tomb)
{
	sm_wbuf_t kv;
	sm_wbuf_init(&kv, 256);
	sm_rec_transaction_log_key_t k = { .transactional_id = (char *)tid };
	sm_wbuf_i16(&kv, 0);
	sm_rec_transaction_log_key_write(&kv, 0, &k);
	size_t klen = kv.len;
	size_t cap = (size_t)(t->n_tps > 0 ? t->n_tps : 1);
	sm_rec_transaction_log_value_transaction_partition_t *parts = sm_calloc(cap, sizeof(*parts));
	int32_t *ids = sm_calloc(cap, sizeof(int32_t));
	const sm_txn_tp_t **sorted = sm_calloc(cap, sizeof(*sorted));
	if (!tomb) {
		sm_rec_transaction_log_value_t v;
		sm_rec_transaction_log_value_init(&v);
		v.producer_id = t->pid;
		v.producer_epoch = t->epoch;
		v.transaction_timeout_ms = t->timeout_ms;
		v.transaction_status = t->state;
		v.transaction_last_update_timestamp_ms = t->update_ms;
		v.transaction_start_timestamp_ms = t->start_ms;
		/* Kafka writes null partitions for Empty, else the set grouped
		 * by topic. */
		if (t->state == SM_TXN_EMPTY) {
			v.transaction_partitions = NULL;
			v.transaction_partitions_cnt = -1;
		} else {
			/* sorted by topic, so each topic's partitions are
			 * adjacent (n log n for any number of topics) */
			for (int i = 0; i < t->n_tps; i++)
				sorted[i] = &t->tps[i];
			qsort(sorted, (size_t)t->n_tps, sizeof(*sorted), sm_txn_tp_cmp);
			int np = 0;
			for (int i = 0; i < t->n_tps; i++) {
				if (!np || strcmp(parts[np - 1].topic, sorted[i]->topic)) {
					parts[np].topic = (char *)sorted[i]->topic;
					parts[np].partition_ids = ids + i;
					np++;
				}
				ids[i] = sorted[i]->partition;
				parts[np - 1].partition_ids_cnt++;
			}
			v.transaction_partitions = parts;
			v.transaction_partitions_cnt = np;
		}
		sm_wbuf_i16(&kv, 0);
		sm_rec_transaction_log_value_write(&kv, 0, &v);
	}
	int64_t now = sm_clock_wall_ms();
	sm_record_t r = { 0 };
	r.timestamp = now;
	r.key = kv.p;
	r.key_len = (int32_t)klen;
	r.value = tomb ? NULL : kv.p + klen;
	r.value_len = tomb ? -1 : (int32_t)(kv.len - klen);
	sm_batch_build(out, SM_CODEC_NONE, 0, now, &r, 1);
	free(sorted);
	free(ids);
	free(parts);
	sm_wbuf_free(&kv);
}

static void sm_txn_coordinator_leadership(sm_txn_coordinator_t *tc, int32_t partition,
					  int is_leader, int32_t epoch);
static void sm_txn_write_done(void *arg, sm_err_t e);
static void sm_txn_finish_locked(sm_txn_op_t *op, sm_err_t e);

/* Writes op's target for its id (lock held); m is marked pending. When
 * the outcome is known at once it is applied here and op is left for the
 * caller to post; returns 1 when the purgatory will finish it. */
static int sm_txn_write(sm_txn_coordinator_t *tc, sm_txn_meta_t *m, sm_txn_op_t *op)
{
	SM_ASSERT_HELD(&tc->lock);
	m->pending = 1;
	sm_wbuf_t b;
	sm_wbuf_init(&b, 256);
	sm_txn_build_batch(&b, op->tid, &op->target, op->kind == SM_TXN_OP_REMOVE);
	sm_err_t e = SM_ERR_NONE;
	int parked = sm_gmm_append_batch(tc->log, op->partition, b.p, b.len, sm_txn_write_done, op, &e);
	sm_wbuf_free(&b);
	if (!parked)
		sm_txn_finish_locked(op, e);
	return parked;
}

/* ---- after the lock ---- */

typedef struct sm_txn_markers_op {
	sm_txn_coordinator_t *tc;
	char *tid;
	int32_t partition, coord_epoch;
} sm_txn_markers_op_t;

static void sm_txn_markers_done(void *opaque, sm_err_t e);

/* Replies and sends markers for op, then frees it (no lock held). */
static void sm_txn_op_post(sm_txn_op_t *op)
{
	if (op->do_reply && op->reply)
		op->reply(op->arg, op->reply_err, op->target.pid, op->target.epoch);
	if (op->do_markers) {
		sm_txn_markers_op_t *mo = sm_calloc(1, sizeof(*mo));
		mo->tc = op->tc;
		mo->tid = sm_strdup(op->tid);
		mo->partition = op->partition;
		mo->coord_epoch = op->coord_epoch;
		sm_txn_marker_channel_send(op->tc->ch, op->target.pid, op->target.epoch,
					   op->coord_epoch, op->partition,
					   op->target.state == SM_TXN_PREPARE_COMMIT, op->target.tps,
					   (size_t)op->target.n_tps, sm_txn_markers_done, mo);
	}
	sm_txn_op_free(op);
}

static void sm_txn_post_list(sm_txn_op_t *l)
{
	while (l) {
		sm_txn_op_t *n = l->next_post;
		sm_txn_op_post(l);
		l = n;
	}
}

static void sm_txn_write_done(void *arg, sm_err_t e)
{
	sm_txn_op_t *op = arg;
	sm_txn_coordinator_t *tc = op->tc;
	pthread_mutex_lock(&tc->lock);
	sm_txn_finish_locked(op, e);
	pthread_mutex_unlock(&tc->lock);
	sm_txn_op_post(op);
}

static int sm_txn_epoch_current(sm_txn_coordinator_t *tc, int32_t partition, int32_t epoch)
{
	SM_ASSERT_HELD(&tc->lock);
	return tc->pstate[partition] == SM_TXN_P_LOADED && tc->pepoch[partition] == epoch;
}

/* Starts writing CompleteCommit/CompleteAbort for m (lock held); a
 * synchronous outcome is queued on *post. */
static void sm_txn_complete(sm_txn_coordinator_t *tc, sm_txn_meta_t *m, int32_t partition,
			    sm_txn_op_t **post)
{
	sm_txn_op_t *op = sm_txn_op_new(tc, SM_TXN_OP_COMPLETE, m, partition, NULL, NULL);
	op->target.state = m->state == SM_TXN_PREPARE_COMMIT ? SM_TXN_COMPLETE_COMMIT
							     : SM_TXN_COMPLETE_ABORT;
	sm_txn_tps_free(op->target.tps, op->target.n_tps);
	op->target.tps = NULL;
	op->target.n_tps = 0;
	op->target.update_ms = sm_clock_wall_ms();
	if (!sm_txn_write(tc, m, op)) {
		op->next_post = *post;
		*post = op;
	}
}

/* sm_txn_markers_done_t: every marker of the transaction is written (or
 * the coordinator epoch was dropped). */
static void sm_txn_markers_done(void *opaque, sm_err_t e)
{
	sm_txn_markers_op_t *mo = opaque;
	sm_txn_coordinator_t *tc = mo->tc;
	sm_txn_op_t *post = NULL;
	pthread_mutex_lock(&tc->lock);
	sm_txn_meta_t *m = sm_txn_epoch_current(tc, mo->partition, mo->coord_epoch)
		? sm_txn_find(tc, mo->partition, mo->tid) : NULL;
	if (m && (m->state == SM_TXN_PREPARE_COMMIT || m->state == SM_TXN_PREPARE_ABORT)) {
		if (e) {
			/* retried by txn-coord */
			m->pending = 0;
			sm_log_warn(tc->comp, SM_TXN_LOGGER,
				    "Markers of transactional id %s were not all written (%s); retrying",
				    m->tid, sm_err_name(e));
		} else {
			sm_txn_complete(tc, m, mo->partition, &post);
		}
	}
	pthread_mutex_unlock(&tc->lock);
	sm_txn_post_list(post);
	free(mo->tid);
	free(mo);
}

/* A write ended (lock held): apply it or undo the pending mark, and
 * queue the reply and markers on op. */
static void sm_txn_finish_locked(sm_txn_op_t *op, sm_err_t e)
{
	sm_txn_coordinator_t *tc = op->tc;
	SM_ASSERT_HELD(&tc->lock);
	e = sm_txn_append_err(e);
	sm_txn_meta_t *m = NULL;
	/* The partition moved (or was reloaded) while the write waited: its
	 * new coordinator owns the id now. */
	if (!sm_txn_epoch_current(tc, op->partition, op->coord_epoch))
		e = SM_ERR_NOT_COORDINATOR;
	else
		m = sm_txn_find(tc, op->partition, op->tid);
	if (!m && !e)
		e = SM_ERR_NOT_COORDINATOR;
	op->do_reply = 1;
	if (e) {
		if (m) {
			m->pending = 0;
			/* A new id whose first write failed is forgotten. */
			if (m->epoch < 0 && op->kind == SM_TXN_OP_INIT) {
				sm_txn_unlink(tc, op->partition, m);
				sm_txn_meta_free(m);
			}
		}
		sm_log_warn(tc->comp, SM_TXN_SM_LOGGER,
			    "Appending %s for transactional id %s to %s-%d failed: %s",
			    sm_txn_state_name(op->target.state), op->tid, SM_TXN_STATE_TOPIC,
			    op->partition, sm_err_name(e));
		op->reply_err = e;
		return;
	}
	switch (op->kind) {
	case SM_TXN_OP_REMOVE:
		sm_log_info(tc->comp, SM_TXN_SM_LOGGER, "Removed expired transactional id %s", m->tid);
		sm_txn_unlink(tc, op->partition, m);
		sm_txn_meta_free(m);
		return;
	case SM_TXN_OP_PREPARE: {
		/* the markers go out with the written state; m keeps a copy */
		sm_txn_meta_t keep;
		sm_txn_target_from(&keep, &op->target);
		sm_txn_meta_apply(m, &keep);
		m->pending = 1;
		/* once shut down the channel is gone: the next coordinator
		 * of the partition sends the markers */
		op->do_markers = !tc->stop;
		op->reply_err = op->why == SM_TXN_WHY_FENCE ? SM_ERR_CONCURRENT_TRANSACTIONS : SM_ERR_NONE;
		sm_log_info(tc->comp, SM_TXN_LOGGER,
			    "Transactional id %s (producer id %" PRId64 ", epoch %d): %s with %d partitions",
			    m->tid, m->pid, m->epoch, sm_txn_state_name(m->state), m->n_tps);
		return;
	}
	case SM_TXN_OP_COMPLETE:
		sm_txn_meta_apply(m, &op->target);
		m->pending = 0;
		return;
	default:
		sm_txn_meta_apply(m, &op->target);
		m->pending = 0;
		op->reply_err = SM_ERR_NONE;
		return;
	}
}

/* ---- requests ---- */

/* Whether this broker coordinates tid now (lock held). */
static sm_err_t sm_txn_check(sm_txn_coordinator_t *tc, const char *tid, int32_t *partition)
{
	SM_ASSERT_HELD(&tc->lock);
	int32_t p = sm_txn_coordinator_partition_for(tc, tid);
	*partition = p;
	if (tc->pstate[p] == SM_TXN_P_LOADED)
		return SM_ERR_NONE;
	return tc->pstate[p] == SM_TXN_P_LOADING ? SM_ERR_COORDINATOR_LOAD_IN_PROGRESS
						 : SM_ERR_NOT_COORDINATOR;
}

static void sm_txn_reply_now(sm_txn_reply_fn *reply, void *arg, sm_err_t e)
{
	if (reply)
		reply(arg, e, -1, -1);
}

/* Starts the PrepareCommit/PrepareAbort write of m's ongoing transaction
 * with epoch (lock held). */
static sm_txn_op_t *sm_txn_prepare(sm_txn_coordinator_t *tc, sm_txn_meta_t *m, int32_t partition,
				   int commit, int16_t epoch, int why, sm_txn_reply_fn *reply,
				   void *arg, int *parked)
{
	sm_txn_op_t *op = sm_txn_op_new(tc, SM_TXN_OP_PREPARE, m, partition, reply, arg);
	op->why = why;
	op->target.state = commit ? SM_TXN_PREPARE_COMMIT : SM_TXN_PREPARE_ABORT;
	if (epoch != m->epoch) {
		/* a fence: 2.8 forgets the last epoch here, so the fenced
		 * producer cannot pass as a retry */
		op->target.last_epoch = -1;
		op->target.epoch = epoch;
	}
	op->target.update_ms = sm_clock_wall_ms();
	*parked = sm_txn_write(tc, m, op);
	return op;
}

/* Kafka's prepareFenceProducerEpoch: the epoch after a fence. */
static int16_t sm_txn_fence_epoch(const sm_txn_meta_t *m)
{
	return m->epoch < INT16_MAX ? (int16_t)(m->epoch + 1) : m->epoch;
}

void sm_txn_coordinator_init_pid(sm_txn_coordinator_t *tc, const char *tid, int32_t timeout_ms,
				 int64_t expected_pid, int16_t expected_epoch, sm_txn_pid_fn *pid_fn,
				 void *pid_opaque, sm_txn_reply_fn *reply, void *arg)
{
	int64_t fresh = -1; /* a producer id claimed with no lock held */
	for (int round = 0; round < 2; round++) {
		int32_t partition;
		pthread_mutex_lock(&tc->lock);
		sm_err_t e = sm_txn_check(tc, tid, &partition);
		sm_txn_meta_t *m = e ? NULL : sm_txn_find(tc, partition, tid);
		int need_pid = !e && (!m || (m->epoch >= SM_TXN_EPOCH_EXHAUSTED &&
					     m->state != SM_TXN_ONGOING && !m->pending &&
					     (expected_pid < 0 || expected_pid == m->pid)));
		if (need_pid && fresh < 0) {
			pthread_mutex_unlock(&tc->lock);
			e = pid_fn(pid_opaque, &fresh);
			if (e) {
				sm_txn_reply_now(reply, arg, e);
				return;
			}
			continue;
		}
		if (e) {
			pthread_mutex_unlock(&tc->lock);
			sm_txn_reply_now(reply, arg, e);
			return;
		}
		if (!m) {
			m = sm_calloc(1, sizeof(*m));
			m->tid = sm_strdup(tid);
			m->pid = m->last_pid = fresh;
			m->epoch = m->last_epoch = -1;
			m->timeout_ms = timeout_ms;
			m->state = SM_TXN_EMPTY;
			m->start_ms = -1;
			m->update_ms = sm_clock_wall_ms();
			m->tps = sm_calloc(1, sizeof(*m->tps));
			m->next = tc->metas[partition];
			tc->metas[partition] = m;
			fresh = -1;
		}
		/* Kafka's isValidProducerId: a request that names its
		 * producer must be the current one (or retry a rotation). */
		if (expected_pid >= 0 && m->epoch >= 0 && expected_pid != m->pid &&
		    !(expected_pid == m->last_pid && expected_epoch >= SM_TXN_EPOCH_EXHAUSTED))
			e = SM_ERR_PRODUCER_FENCED;
		else if (m->pending || m->state == SM_TXN_PREPARE_COMMIT ||
			 m->state == SM_TXN_PREPARE_ABORT || m->state == SM_TXN_PREPARE_EPOCH_FENCE)
			e = SM_ERR_CONCURRENT_TRANSACTIONS;
		if (e) {
			pthread_mutex_unlock(&tc->lock);
			sm_txn_reply_now(reply, arg, e);
			return;
		}
		if (m->state == SM_TXN_ONGOING) {
			/* Fence the producer of the ongoing transaction and
			 * abort it; the client retries. */
			sm_log_info(tc->comp, SM_TXN_LOGGER,
				    "Fencing producer id %" PRId64 " epoch %d of transactional id %s: "
				    "aborting its ongoing transaction", m->pid, m->epoch, m->tid);
			int parked;
			sm_txn_op_t *op = sm_txn_prepare(tc, m, partition, 0, sm_txn_fence_epoch(m),
							 SM_TXN_WHY_FENCE, reply, arg, &parked);
			pthread_mutex_unlock(&tc->lock);
			if (!parked)
				sm_txn_op_post(op);
			return;
		}
		/* Empty, CompleteCommit, CompleteAbort: a new epoch. */
		sm_txn_op_t *op = sm_txn_op_new(tc, SM_TXN_OP_INIT, m, partition, reply, arg);
		sm_txn_meta_t *t = &op->target;
		if (m->epoch >= SM_TXN_EPOCH_EXHAUSTED &&
		    (expected_pid < 0 || expected_pid == m->pid)) {
			/* Kafka's prepareProducerIdRotation */
			t->last_pid = m->pid;
			t->pid = fresh;
			t->last_epoch = expected_pid >= 0 ? m->epoch : -1;
			t->epoch = 0;
			fresh = -1;
		} else if (m->epoch >= SM_TXN_EPOCH_EXHAUSTED) {
			/* a stale producer naming the previous id while the
			 * current one is exhausted: no epoch is left to give */
			pthread_mutex_unlock(&tc->lock);
			sm_txn_op_free(op);
			sm_txn_reply_now(reply, arg, SM_ERR_PRODUCER_FENCED);
			return;
		} else if (expected_epoch < 0 || m->epoch < 0 || expected_epoch == m->epoch) {
			/* Kafka's prepareIncrementProducerEpoch */
			t->last_epoch = expected_epoch < 0 ? -1 : m->epoch;
			t->epoch = (int16_t)(m->epoch + 1);
		} else if (expected_epoch == m->last_epoch) {
			/* a retry of the bump whose answer was lost */
		} else {
			pthread_mutex_unlock(&tc->lock);
			sm_txn_op_free(op);
			sm_txn_reply_now(reply, arg, SM_ERR_PRODUCER_FENCED);
			return;
		}
		t->timeout_ms = timeout_ms;
		t->state = SM_TXN_EMPTY;
		sm_txn_tps_free(t->tps, t->n_tps);
		t->tps = NULL;
		t->n_tps = 0;
		t->start_ms = -1;
		t->update_ms = sm_clock_wall_ms();
		int parked = sm_txn_write(tc, m, op);
		pthread_mutex_unlock(&tc->lock);
		if (!parked)
			sm_txn_op_post(op);
		return;
	}
	/* Two rounds only when the id appeared and exhausted its epoch in
	 * between: let the client retry. */
	sm_txn_reply_now(reply, arg, SM_ERR_CONCURRENT_TRANSACTIONS);
}

/* The checks AddPartitionsToTxn and EndTxn share (lock held). */
static sm_err_t sm_txn_check_producer(sm_txn_coordinator_t *tc, const char *tid, int64_t pid,
				      int16_t epoch, int32_t *partition, sm_txn_meta_t **out)
{
	sm_err_t e = sm_txn_check(tc, tid, partition);
	if (e)
		return e;
	sm_txn_meta_t *m = sm_txn_find(tc, *partition, tid);
	if (!m || m->pid != pid)
		return SM_ERR_INVALID_PRODUCER_ID_MAPPING;
	if (m->epoch != epoch)
		return SM_ERR_PRODUCER_FENCED;
	*out = m;
	return SM_ERR_NONE;
}

void sm_txn_coordinator_add_partitions(sm_txn_coordinator_t *tc, const char *tid, int64_t pid,
				       int16_t epoch, const sm_txn_tp_t *tps, int n,
				       sm_txn_reply_fn *reply, void *arg)
{
	int32_t partition;
	sm_txn_meta_t *m = NULL;
	pthread_mutex_lock(&tc->lock);
	sm_err_t e = sm_txn_check_producer(tc, tid, pid, epoch, &partition, &m);
	if (!e && (m->pending || m->state == SM_TXN_PREPARE_COMMIT ||
		   m->state == SM_TXN_PREPARE_ABORT || m->state == SM_TXN_PREPARE_EPOCH_FENCE))
		e = SM_ERR_CONCURRENT_TRANSACTIONS;
	else if (!e && m->state == SM_TXN_DEAD)
		e = SM_ERR_INVALID_PRODUCER_ID_MAPPING;
	int missing = 0, ongoing = !e && m->state == SM_TXN_ONGOING;
	uint8_t *fresh = NULL; /* request entries that join the set */
	if (!e) {
		/* a new transaction starts from an empty set: the last one's
		 * partitions are done */
		sm_txn_tpset_t set;
		sm_txn_tpset_init(&set, (size_t)(ongoing ? m->n_tps : 0) + (size_t)n);
		for (int i = 0; ongoing && i < m->n_tps; i++)
			(void)sm_txn_tpset_add(&set, &m->tps[i]);
		fresh = sm_calloc((size_t)(n > 0 ? n : 1), 1);
		for (int i = 0; i < n; i++)
			if (sm_txn_tpset_add(&set, &tps[i])) {
				fresh[i] = 1;
				missing++;
			}
		free(set.slot);
	}
	if (e || (ongoing && !missing)) {
		pthread_mutex_unlock(&tc->lock);
		free(fresh);
		sm_txn_reply_now(reply, arg, e);
		return;
	}
	sm_txn_op_t *op = sm_txn_op_new(tc, SM_TXN_OP_ADD, m, partition, reply, arg);
	sm_txn_meta_t *t = &op->target;
	if (m->state != SM_TXN_ONGOING) {
		/* a new transaction: the last one's partitions are done */
		sm_txn_tps_free(t->tps, t->n_tps);
		t->tps = NULL;
		t->n_tps = 0;
	}
	t->tps = sm_realloc(t->tps, (size_t)(t->n_tps + missing + 1) * sizeof(*t->tps));
	for (int i = 0; i < n; i++)
		if (fresh[i]) {
			t->tps[t->n_tps].topic = sm_strdup(tps[i].topic);
			t->tps[t->n_tps].partition = tps[i].partition;
			t->n_tps++;
		}
	free(fresh);
	t->update_ms = sm_clock_wall_ms();
	if (m->state != SM_TXN_ONGOING)
		t->start_ms = t->update_ms;
	t->state = SM_TXN_ONGOING;
	int parked = sm_txn_write(tc, m, op);
	pthread_mutex_unlock(&tc->lock);
	if (!parked)
		sm_txn_op_post(op);
}

void sm_txn_coordinator_end(sm_txn_coordinator_t *tc, const char *tid, int64_t pid, int16_t epoch,
			    int commit, sm_txn_reply_fn *reply, void *arg)
{
	int32_t partition;
	sm_txn_meta_t *m = NULL;
	pthread_mutex_lock(&tc->lock);
	sm_err_t e = sm_txn_check_producer(tc, tid, pid, epoch, &partition, &m);
	if (!e && m->pending)
		e = SM_ERR_CONCURRENT_TRANSACTIONS;
	if (!e) {
		/* Kafka's TransactionCoordinator.endTransaction by state */
		switch (m->state) {
		case SM_TXN_ONGOING:
			break;
		case SM_TXN_COMPLETE_COMMIT:
			e = commit ? SM_ERR_NONE : SM_ERR_INVALID_TXN_STATE;
			goto answer;
		case SM_TXN_COMPLETE_ABORT:
			e = commit ? SM_ERR_INVALID_TXN_STATE : SM_ERR_NONE;
			goto answer;
		case SM_TXN_PREPARE_COMMIT:
			e = commit ? SM_ERR_CONCURRENT_TRANSACTIONS : SM_ERR_INVALID_TXN_STATE;
			goto answer;
		case SM_TXN_PREPARE_ABORT:
			e = commit ? SM_ERR_INVALID_TXN_STATE : SM_ERR_CONCURRENT_TRANSACTIONS;
			goto answer;
		case SM_TXN_DEAD:
		case SM_TXN_PREPARE_EPOCH_FENCE:
		case SM_TXN_EMPTY:
		default:
			e = SM_ERR_INVALID_TXN_STATE;
			goto answer;
		}
		int parked;
		sm_txn_op_t *op = sm_txn_prepare(tc, m, partition, commit, m->epoch,
						 SM_TXN_WHY_CLIENT, reply, arg, &parked);
		pthread_mutex_unlock(&tc->lock);
		if (!parked)
			sm_txn_op_post(op);
		return;
	}
answer:
	pthread_mutex_unlock(&tc->lock);
	sm_txn_reply_now(reply, arg, e);
}

/* ---- loading ---- */

static int sm_txn_rbuf_str(const uint8_t *p, size_t len, sm_arena_t *a, int16_t *ver,
			   sm_rbuf_t *rb)
{
	(void)a;
	sm_rbuf_init(rb, p, len);
	*ver = sm_rbuf_i16(rb);
	return rb->err ? -1 : 0;
}

/* Replays one record; -1 if it does not decode. */
static int sm_txn_replay_record(const sm_record_t *r, sm_txn_replay_fn *fn, void *opaque)
{
	if (r->key_len <= 0)
		return -1;
	sm_arena_t a;
	sm_arena_init(&a);
	int rc = -1;
	sm_rbuf_t kb, vb;
	int16_t kv, vv;
	sm_rec_transaction_log_key_t k;
	if (sm_txn_rbuf_str(r->key, (size_t)r->key_len, &a, &kv, &kb) || kv != 0 ||
	    sm_rec_transaction_log_key_read(&kb, 0, &a, &k) || !k.transactional_id)
		goto out;
	if (r->value_len < 0) {
		fn(opaque, k.transactional_id, NULL);
		rc = 0;
		goto out;
	}
	sm_rec_transaction_log_value_t v;
	if (sm_txn_rbuf_str(r->value, (size_t)r->value_len, &a, &vv, &vb) || vv != 0 ||
	    sm_rec_transaction_log_value_read(&vb, 0, &a, &v) || v.transaction_status < 0 ||
	    v.transaction_status > SM_TXN_PREPARE_EPOCH_FENCE)
		goto out;
	int n = 0;
	for (int i = 0; i < v.transaction_partitions_cnt; i++)
		n += v.transaction_partitions[i].partition_ids_cnt;
	sm_txn_log_entry_t en = {
		.producer_id = v.producer_id, .producer_epoch = v.producer_epoch,
		.timeout_ms = v.transaction_timeout_ms, .state = v.transaction_status,
		.last_update_ms = v.transaction_last_update_timestamp_ms,
		.start_ms = v.transaction_start_timestamp_ms,
	};
	/* counts come from the decoder, bounded by the record's bytes */
	en.tps = sm_arena_alloc_array(&a, n > 0 ? n : 1, sizeof(*en.tps));
	for (int i = 0; en.tps && i < v.transaction_partitions_cnt; i++)
		for (int j = 0; j < v.transaction_partitions[i].partition_ids_cnt; j++) {
			en.tps[en.n_tps].topic = v.transaction_partitions[i].topic;
			en.tps[en.n_tps].partition = v.transaction_partitions[i].partition_ids[j];
			en.n_tps++;
		}
	if (!en.tps)
		goto out;
	fn(opaque, k.transactional_id, &en);
	rc = 0;
out:
	sm_arena_destroy(&a);
	return rc;
}

void sm_txn_log_replay(const uint8_t *p, size_t len, sm_txn_replay_fn *fn, void *opaque,
		       int *skipped)
{
	size_t pos = 0;
	int bad = 0;
	while (pos < len) {
		int64_t sz = sm_batch_entry_size(p + pos, len - pos);
		if (sz <= 0)
			break;
		sm_batch_hdr_t h;
		if (sm_batch_hdr_parse(p + pos, (size_t)sz, &h) == 0 && h.magic == 2 &&
		    !sm_batch_is_control(&h)) {
			sm_batch_iter_t it;
			if (sm_batch_iter_init(&it, p + pos, (size_t)sz, 0) == SM_ERR_NONE) {
				sm_record_t r;
				int k;
				while ((k = sm_batch_iter_next(&it, &r)) == 1)
					if (sm_txn_replay_record(&r, fn, opaque))
						bad++;
				if (k < 0)
					bad++;
			} else {
				bad++;
			}
			sm_batch_iter_destroy(&it);
		}
		pos += (size_t)sz;
	}
	if (skipped)
		*skipped = bad;
}

typedef struct sm_txn_loader {
	sm_txn_coordinator_t *tc;
	int32_t partition;
	int n;
} sm_txn_loader_t;

/* sm_txn_replay_fn while loading (lock held): the last record of an id
 * wins; a tombstone removes it. */
static void sm_txn_load_one(void *opaque, const char *tid, const sm_txn_log_entry_t *v)
{
	sm_txn_loader_t *l = opaque;
	sm_txn_coordinator_t *tc = l->tc;
	sm_txn_meta_t *m = sm_txn_find(tc, l->partition, tid);
	if (!v) {
		if (m) {
			sm_txn_unlink(tc, l->partition, m);
			sm_txn_meta_free(m);
		}
		return;
	}
	if (!m) {
		m = sm_calloc(1, sizeof(*m));
		m->tid = sm_strdup(tid);
		m->next = tc->metas[l->partition];
		tc->metas[l->partition] = m;
		l->n++;
	}
	m->pid = m->last_pid = v->producer_id;
	m->epoch = v->producer_epoch;
	m->last_epoch = -1;
	m->timeout_ms = v->timeout_ms;
	m->state = v->state;
	sm_txn_tps_free(m->tps, m->n_tps);
	m->tps = sm_txn_tps_copy(v->tps, v->n_tps);
	m->n_tps = v->n_tps;
	m->start_ms = v->start_ms;
	m->update_ms = v->last_update_ms;
}

static void sm_txn_unload_locked(sm_txn_coordinator_t *tc, int32_t partition)
{
	SM_ASSERT_HELD(&tc->lock);
	sm_txn_meta_t *m = tc->metas[partition];
	while (m) {
		sm_txn_meta_t *n = m->next;
		sm_txn_meta_free(m);
		m = n;
	}
	tc->metas[partition] = NULL;
	tc->pstate[partition] = SM_TXN_P_NONE;
}

/* Markers again for every transaction of the partition left in Prepare*
 * with nothing in flight (lock held); the sends are queued on *post. */
static void sm_txn_resend_prepared(sm_txn_coordinator_t *tc, int32_t partition,
				   sm_txn_op_t **post)
{
	SM_ASSERT_HELD(&tc->lock);
	for (sm_txn_meta_t *m = tc->metas[partition]; m; m = m->next) {
		if (m->pending ||
		    (m->state != SM_TXN_PREPARE_COMMIT && m->state != SM_TXN_PREPARE_ABORT))
			continue;
		if (tc->stop)
			return;
		sm_log_info(tc->comp, SM_TXN_LOGGER,
			    "Sending %s markers of transactional id %s (producer id %" PRId64
			    ", epoch %d) to %d partitions", m->state == SM_TXN_PREPARE_COMMIT ? "COMMIT" : "ABORT",
			    m->tid, m->pid, m->epoch, m->n_tps);
		sm_txn_op_t *op = sm_txn_op_new(tc, SM_TXN_OP_PREPARE, m, partition, NULL, NULL);
		op->do_markers = 1;
		m->pending = 1;
		op->next_post = *post;
		*post = op;
	}
}

/* Loads one partition (txn-coord, lock held on entry and exit; dropped
 * while the log is read). */
static void sm_txn_load(sm_txn_coordinator_t *tc, int32_t partition, sm_txn_op_t **post)
{
	int32_t epoch = tc->pepoch[partition];
	int64_t t0 = sm_clock_mono_ms();
	sm_log_info(tc->comp, SM_TXN_SM_LOGGER,
		    "Loading transaction metadata from %s-%d at coordinator epoch %d",
		    SM_TXN_STATE_TOPIC, partition, epoch);
	pthread_mutex_unlock(&tc->lock);
	sm_wbuf_t buf;
	sm_wbuf_init(&buf, 4096);
	sm_err_t e = sm_gmm_read_all(tc->log, partition, &buf);
	pthread_mutex_lock(&tc->lock);
	if (tc->pstate[partition] != SM_TXN_P_LOADING || tc->pepoch[partition] != epoch) {
		sm_wbuf_free(&buf);
		return;
	}
	if (e) {
		sm_log_warn(tc->comp, SM_TXN_SM_LOGGER, "Error loading %s-%d: %s",
			    SM_TXN_STATE_TOPIC, partition, sm_err_name(e));
		sm_wbuf_free(&buf);
		tc->pstate[partition] = SM_TXN_P_NONE;
		return;
	}
	sm_txn_loader_t l = { .tc = tc, .partition = partition };
	int skipped = 0;
	sm_txn_log_replay(buf.p, buf.len, sm_txn_load_one, &l, &skipped);
	sm_wbuf_free(&buf);
	if (skipped)
		sm_log_warn(tc->comp, SM_TXN_SM_LOGGER, "Skipped %d undecodable records of %s-%d",
			    skipped, SM_TXN_STATE_TOPIC, partition);
	tc->pstate[partition] = SM_TXN_P_LOADED;
	sm_txn_resend_prepared(tc, partition, post);
	sm_log_info(tc->comp, SM_TXN_SM_LOGGER,
		    "Finished loading %d transaction metadata from %s-%d in %lld milliseconds",
		    l.n, SM_TXN_STATE_TOPIC, partition, (long long)(sm_clock_mono_ms() - t0));
}

void sm_txn_coordinator_on_leadership(void *opaque, const char *topic, int32_t partition,
				      int is_leader)
{
	sm_txn_coordinator_t *tc = opaque;
	if (!topic || strcmp(topic, SM_TXN_STATE_TOPIC) || partition < 0 ||
	    partition >= tc->cfg.num_partitions)
		return;
	if (!is_leader) {
		sm_txn_coordinator_unload(tc, partition);
		return;
	}
	sm_partition_t *p = tc->rm ? sm_replica_manager_partition(tc->rm, topic, partition) : NULL;
	if (!p)
		return;
	int32_t epoch = sm_partition_leader_epoch(p);
	sm_partition_release(p);
	sm_txn_coordinator_load(tc, partition, epoch);
}

void sm_txn_coordinator_load(sm_txn_coordinator_t *tc, int32_t partition, int32_t epoch)
{
	sm_txn_coordinator_leadership(tc, partition, 1, epoch);
}

void sm_txn_coordinator_unload(sm_txn_coordinator_t *tc, int32_t partition)
{
	sm_txn_coordinator_leadership(tc, partition, 0, -1);
}

static void sm_txn_coordinator_leadership(sm_txn_coordinator_t *tc, int32_t partition,
					  int is_leader, int32_t epoch)
{
	if (partition < 0 || partition >= tc->cfg.num_partitions)
		return;
	int32_t dropped = -1;
	pthread_mutex_lock(&tc->lock);
	sm_txn_marker_channel_t *ch = tc->stop ? NULL : tc->ch;
	if (tc->pstate[partition] != SM_TXN_P_NONE && (!is_leader || epoch > tc->pepoch[partition])) {
		sm_log_info(tc->comp, SM_TXN_SM_LOGGER,
			    "Unloading transaction metadata from %s-%d (coordinator epoch %d)",
			    SM_TXN_STATE_TOPIC, partition, tc->pepoch[partition]);
		dropped = tc->pepoch[partition];
		sm_txn_unload_locked(tc, partition);
	}
	if (is_leader && tc->pstate[partition] == SM_TXN_P_NONE) {
		tc->pstate[partition] = SM_TXN_P_LOADING;
		tc->pepoch[partition] = epoch;
		tc->load_wanted = 1;
		pthread_cond_signal(&tc->cond);
	}
	pthread_mutex_unlock(&tc->lock);
	if (dropped >= 0 && ch)
		sm_txn_marker_channel_drop_epoch(ch, partition, dropped);
}

int sm_txn_coordinator_describe(sm_txn_coordinator_t *tc, const char *tid, int8_t *state,
				int64_t *pid, int16_t *epoch, int *n_partitions)
{
	int32_t partition = sm_txn_coordinator_partition_for(tc, tid);
	pthread_mutex_lock(&tc->lock);
	int rc = tc->pstate[partition] == SM_TXN_P_LOADED ? 0 : -1;
	if (!rc) {
		const sm_txn_meta_t *m = sm_txn_find(tc, partition, tid);
		if (m) {
			*state = m->pending && m->state != SM_TXN_PREPARE_COMMIT &&
					 m->state != SM_TXN_PREPARE_ABORT ? -1 : m->state;
			*pid = m->pid;
			*epoch = m->epoch;
			*n_partitions = m->n_tps;
			rc = 1;
		}
	}
	pthread_mutex_unlock(&tc->lock);
	return rc;
}

/* ---- txn-coord: timeouts and expiration ---- */

/* Aborts transactions open past their timeout, retries stuck Prepare*
 * transactions (lock held). */
static void sm_txn_abort_timed_out(sm_txn_coordinator_t *tc, sm_txn_op_t **post)
{
	SM_ASSERT_HELD(&tc->lock);
	int64_t now = sm_clock_wall_ms();
	for (int32_t p = 0; p < tc->cfg.num_partitions; p++) {
		if (tc->pstate[p] != SM_TXN_P_LOADED)
			continue;
		sm_txn_resend_prepared(tc, p, post);
		for (sm_txn_meta_t *m = tc->metas[p]; m; m = m->next) {
			if (m->pending || m->state != SM_TXN_ONGOING ||
			    m->start_ms + m->timeout_ms >= now)
				continue;
			sm_log_info(tc->comp, SM_TXN_LOGGER,
				    "Aborting transaction of transactional id %s (producer id %" PRId64
				    ", epoch %d): open past its timeout of %d ms",
				    m->tid, m->pid, m->epoch, m->timeout_ms);
			int parked;
			sm_txn_op_t *op = sm_txn_prepare(tc, m, p, 0, sm_txn_fence_epoch(m),
							 SM_TXN_WHY_TIMEOUT, NULL, NULL, &parked);
			if (!parked) {
				op->next_post = *post;
				*post = op;
			}
		}
	}
}

/* Removes ids idle past transactional.id.expiration.ms (lock held). */
static void sm_txn_remove_expired(sm_txn_coordinator_t *tc, sm_txn_op_t **post)
{
	SM_ASSERT_HELD(&tc->lock);
	int64_t now = sm_clock_wall_ms();
	for (int32_t p = 0; p < tc->cfg.num_partitions; p++) {
		if (tc->pstate[p] != SM_TXN_P_LOADED)
			continue;
		sm_txn_meta_t *next;
		/* a tombstone acknowledged at once frees m: take next first */
		for (sm_txn_meta_t *m = tc->metas[p]; m; m = next) {
			next = m->next;
			if (m->pending || (m->state != SM_TXN_EMPTY &&
					   m->state != SM_TXN_COMPLETE_COMMIT &&
					   m->state != SM_TXN_COMPLETE_ABORT) ||
			    m->update_ms + tc->cfg.id_expiration_ms > now)
				continue;
			sm_txn_op_t *op = sm_txn_op_new(tc, SM_TXN_OP_REMOVE, m, p, NULL, NULL);
			op->target.state = SM_TXN_DEAD;
			if (!sm_txn_write(tc, m, op)) {
				op->next_post = *post;
				*post = op;
			}
		}
	}
}

static void *sm_txn_thread_main(void *arg)
{
	sm_txn_coordinator_t *tc = arg;
	sm_thread_role_set(SM_ROLE_TXN_COORD);
	pthread_setname_np(pthread_self(), "txn-coord");
	int64_t next_abort = sm_clock_mono_ms() + tc->cfg.abort_interval_ms;
	int64_t next_remove = sm_clock_mono_ms() + tc->cfg.remove_interval_ms;
	pthread_mutex_lock(&tc->lock);
	while (!tc->stop) {
		sm_txn_op_t *post = NULL;
		if (tc->load_wanted) {
			tc->load_wanted = 0;
			for (int32_t p = 0; p < tc->cfg.num_partitions && !tc->stop; p++)
				if (tc->pstate[p] == SM_TXN_P_LOADING)
					sm_txn_load(tc, p, &post);
		}
		int64_t now = sm_clock_mono_ms();
		if (now >= next_abort) {
			sm_txn_abort_timed_out(tc, &post);
			next_abort = now + tc->cfg.abort_interval_ms;
		}
		if (now >= next_remove) {
			sm_txn_remove_expired(tc, &post);
			next_remove = now + tc->cfg.remove_interval_ms;
		}
		if (post) {
			pthread_mutex_unlock(&tc->lock);
			sm_txn_post_list(post);
			pthread_mutex_lock(&tc->lock);
			continue;
		}
		if (tc->load_wanted || tc->stop)
			continue;
		int64_t until = next_abort < next_remove ? next_abort : next_remove;
		struct timespec ts;
		int64_t wait = until - now;
		if (wait < 1)
			wait = 1;
		sm_clock_deadline_ts(CLOCK_MONOTONIC, wait, &ts);
		pthread_cond_timedwait(&tc->cond, &tc->lock, &ts);
	}
	pthread_mutex_unlock(&tc->lock);
	return NULL;
}

/* ---- lifecycle ---- */

int32_t sm_txn_coordinator_partition_for(const sm_txn_coordinator_t *tc, const char *tid)
{
	/* Kafka's partitionFor: abs(hashCode) % partitions, as for groups */
	return sm_group_partition_for(tid, tc->cfg.num_partitions);
}

sm_txn_coordinator_t *sm_txn_coordinator_new(const sm_txn_config_t *cfg,
					     sm_group_metadata_manager_t *log,
					     sm_txn_marker_channel_t *ch, sm_replica_manager_t *rm)
{
	sm_txn_coordinator_t *tc = sm_calloc(1, sizeof(*tc));
	tc->cfg = *cfg;
	if (tc->cfg.num_partitions < 1)
		tc->cfg.num_partitions = 1;
	if (tc->cfg.abort_interval_ms < 1)
		tc->cfg.abort_interval_ms = 1;
	if (tc->cfg.remove_interval_ms < 1)
		tc->cfg.remove_interval_ms = 1;
	tc->log = log;
	tc->ch = ch;
	tc->rm = rm;
	pthread_mutex_init(&tc->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&tc->cond, &ca);
	pthread_condattr_destroy(&ca);
	size_t n = (size_t)tc->cfg.num_partitions;
	tc->pstate = sm_calloc(n, sizeof(*tc->pstate));
	tc->pepoch = sm_calloc(n, sizeof(*tc->pepoch));
	tc->metas = sm_calloc(n, sizeof(*tc->metas));
	snprintf(tc->comp, sizeof(tc->comp), "Transaction Coordinator %d", cfg->broker_id);
	return tc;
}

void sm_txn_coordinator_start(sm_txn_coordinator_t *tc)
{
	if (pthread_create(&tc->thread, NULL, sm_txn_thread_main, tc) == 0)
		tc->started = 1;
}

void sm_txn_coordinator_shutdown(sm_txn_coordinator_t *tc)
{
	if (!tc)
		return;
	pthread_mutex_lock(&tc->lock);
	tc->stop = 1;
	pthread_cond_signal(&tc->cond);
	pthread_mutex_unlock(&tc->lock);
	if (tc->started)
		pthread_join(tc->thread, NULL);
	tc->started = 0;
}

void sm_txn_coordinator_destroy(sm_txn_coordinator_t *tc)
{
	if (!tc)
		return;
	sm_txn_coordinator_shutdown(tc);
	pthread_mutex_lock(&tc->lock);
	for (int32_t p = 0; p < tc->cfg.num_partitions; p++)
		sm_txn_unload_locked(tc, p);
	pthread_mutex_unlock(&tc->lock);
	free(tc->pstate);
	free(tc->pepoch);
	free(tc->metas);
	pthread_cond_destroy(&tc->cond);
	pthread_mutex_destroy(&tc->lock);
	free(tc);
}
