/*
 * partition.c - one hosted partition (Kafka's Partition): leadership state,
 * leader appends, the high watermark, follower fetch state and the ISR, and
 * the follower side the replica fetcher drives. See partition.h.
 *
 * An ISR change is computed under the partition mutex, written through the
 * owner's write_isr hook without it (isr_inflight keeps a second change
 * from racing the first) and applied only if the leader epoch did not move
 * meanwhile. Every ISR write happens on the "isr-expiration" thread: a
 * follower fetch that qualifies a replica for the ISR (handled on a request
 * handler or completed on the fetch purgatory, which must not block on
 * ZooKeeper) only queues the partition for expansion (queue_expand hook).
 *
 * The topic config is an immutable refcounted snapshot: readers take a
 * reference under the leaf mutex cfg_lock (a pointer copy and an
 * increment), the config-change thread builds a new snapshot and swaps the
 * pointer; the old one is freed when its last reader drops it.
 */
#include "partition.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "logger.h"
#include "metrics.h"
#include "producer_state.h"
#include "thread_role.h"

#define SM_PARTITION_LOGGER "kafka.cluster.Partition"

/* One published topic config; cfg first so that a reader's pointer to it
 * leads back to the snapshot. */
typedef struct sm_tcfg_snap {
	sm_topic_config_t cfg;
	int refcnt;
} sm_tcfg_snap_t;

static sm_tcfg_snap_t *sm_tcfg_snap_new(const sm_topic_config_t *tc)
{
	sm_tcfg_snap_t *s = sm_calloc(1, sizeof(*s));
	s->cfg = *tc;
	s->refcnt = 1;
	return s;
}

void sm_topic_config_release(const sm_topic_config_t *tc)
{
	if (!tc)
		return;
	sm_tcfg_snap_t *s = (sm_tcfg_snap_t *)(void *)tc;
	if (__atomic_sub_fetch(&s->refcnt, 1, __ATOMIC_ACQ_REL) == 0)
		free(s);
}

struct sm_partition {
	int refcnt;
	char *topic;
	int32_t partition;
	pthread_mutex_t lock;
	int is_leader;
	int32_t leader_id;
	int32_t leader_epoch;       /* -1 until the controller says */
	int32_t zk_version;
	int32_t controller_epoch;
	int n_replicas;
	int32_t *replicas;
	int n_isr;
	int32_t *isr;
	/* replication throttles of this replica (topic configs
	 * *.replication.throttled.replicas naming it); relaxed atomics */
	int thr_leader, thr_follower;
	int64_t hw;                 /* guarded by lock */
	/* Leader's view of each replica, parallel to replicas[] (Kafka's
	 * Replica): LEO and log start offset (-1 unknown), when it was last
	 * caught up, and the leader's LEO and time at its previous fetch.
	 * Monotonic ms. */
	int64_t *r_leo;
	int64_t *r_log_start_offset;
	int64_t *r_caught_up_ms;
	int64_t *r_fetch_ms;
	int64_t *r_fetch_leader_leo;
	int64_t *r_sent_hw;         /* HW last answered to it (-1 none) */
	int64_t epoch_start_offset; /* leader LEO when this epoch began */
	int isr_inflight;           /* an ISR write is in progress */
	int isr_expand_queued;      /* handed to queue_expand, not yet looked at */
	int offline;                /* its log dir failed (HostedPartition.Offline);
				     * set once, under lock, after its log went offline */
	sm_lec_t *lec;
	sm_log_t *log;
	pthread_mutex_t cfg_lock;   /* leaf: guards the tcfg pointer only */
	sm_tcfg_snap_t *tcfg;       /* never NULL; immutable */
	int32_t broker_id;           /* this broker */
	const sm_partition_hooks_t *hooks;
	void *hooks_opaque;
};

sm_partition_t *sm_partition_new(const char *topic, int32_t partition, sm_log_t *log,
				 const sm_topic_config_t *tc, int32_t broker_id,
				 const sm_partition_hooks_t *hooks, void *opaque)
{
	sm_partition_t *p = sm_calloc(1, sizeof(*p));
	p->refcnt = 1;
	p->topic = sm_strdup(topic);
	p->partition = partition;
	pthread_mutex_init(&p->lock, NULL);
	p->leader_id = -1;
	p->leader_epoch = -1;
	p->log = log;
	p->lec = sm_lec_open(sm_log_dir(log));
	pthread_mutex_init(&p->cfg_lock, NULL);
	p->tcfg = sm_tcfg_snap_new(tc);
	p->broker_id = broker_id;
	p->hooks = hooks;
	p->hooks_opaque = opaque;
	p->hw = sm_log_high_watermark(log); /* a log kept from before keeps its HW */
	return p;
}

sm_partition_t *sm_partition_keep(sm_partition_t *p)
{
	__atomic_add_fetch(&p->refcnt, 1, __ATOMIC_RELAXED);
	return p;
}

void sm_partition_release(sm_partition_t *p)
{
	if (!p || __atomic_sub_fetch(&p->refcnt, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (p->log)
		sm_log_release(p->log);
	sm_lec_destroy(p->lec);
	pthread_mutex_destroy(&p->lock);
	pthread_mutex_destroy(&p->cfg_lock);
	if (p->tcfg)
		sm_topic_config_release(&p->tcfg->cfg);
	free(p->r_leo);
	free(p->r_log_start_offset);
	free(p->r_caught_up_ms);
	free(p->r_fetch_ms);
	free(p->r_fetch_leader_leo);
	free(p->r_sent_hw);
	free(p->replicas);
	free(p->isr);
	free(p->topic);
	free(p);
}

const char *sm_partition_topic(const sm_partition_t *p) { return p->topic; }
int32_t sm_partition_id(const sm_partition_t *p) { return p->partition; }
const sm_topic_config_t *sm_partition_config_acquire(sm_partition_t *p)
{
	pthread_mutex_lock(&p->cfg_lock);
	sm_tcfg_snap_t *s = p->tcfg;
	__atomic_add_fetch(&s->refcnt, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&p->cfg_lock);
	return &s->cfg;
}

/* Publishes a new snapshot; the previous one lives on until its last
 * reader releases it. */
static void sm_partition_config_publish(sm_partition_t *p, const sm_topic_config_t *tc)
{
	sm_tcfg_snap_t *s = sm_tcfg_snap_new(tc), *old;
	pthread_mutex_lock(&p->cfg_lock);
	old = p->tcfg;
	p->tcfg = s;
	pthread_mutex_unlock(&p->cfg_lock);
	if (old)
		sm_topic_config_release(&old->cfg);
}

/* min.insync.replicas of the current snapshot. */
static int32_t sm_partition_min_isr(sm_partition_t *p)
{
	const sm_topic_config_t *tc = sm_partition_config_acquire(p);
	int32_t v = tc->min_insync_replicas;
	sm_topic_config_release(tc);
	return v;
}
void sm_partition_set_config(sm_partition_t *p, const sm_topic_config_t *tc)
{
	sm_partition_config_publish(p, tc);
	sm_log_set_config(p->log, &tc->log);
}

sm_log_t *sm_partition_log(sm_partition_t *p) { return p->log; }

int64_t sm_partition_high_watermark(sm_partition_t *p)
{
	return SM_LOCKED_READ(&p->lock, int64_t, p->hw);
}

int32_t sm_partition_leader_epoch(sm_partition_t *p)
{
	return SM_LOCKED_READ(&p->lock, int32_t, p->leader_epoch);
}

int sm_partition_isr_size(sm_partition_t *p)
{
	return SM_LOCKED_READ(&p->lock, int, p->n_isr);
}

static void sm_partition_set_i32s(int32_t **dst, int *n, const int32_t *src, int cnt)
{
	free(*dst);
	*dst = cnt > 0 ? sm_malloc(sizeof(int32_t) * (size_t)cnt) : NULL;
	if (cnt > 0)
		memcpy(*dst, src, sizeof(int32_t) * (size_t)cnt);
	*n = cnt;
}

/* Index of broker in p->replicas, or -1. Caller holds p->lock. */
static int sm_partition_replica_index(const sm_partition_t *p, int32_t broker)
{
	SM_ASSERT_HELD(&p->lock);
	for (int i = 0; i < p->n_replicas; i++)
		if (p->replicas[i] == broker)
			return i;
	return -1;
}

static int sm_partition_in_isr(const sm_partition_t *p, int32_t broker)
{
	for (int i = 0; i < p->n_isr; i++)
		if (p->isr[i] == broker)
			return 1;
	return 0;
}

/* Fresh follower state for a new leader epoch: LEOs unknown, ISR members
 * count as caught up now so they get a full lag period (Kafka's makeLeader).
 * Caller holds p->lock. */
static void sm_partition_reset_followers(sm_partition_t *p, int64_t now)
{
	SM_ASSERT_HELD(&p->lock);
	size_t n = (size_t)(p->n_replicas > 0 ? p->n_replicas : 1);
	p->r_leo = sm_realloc(p->r_leo, n * sizeof(int64_t));
	p->r_log_start_offset = sm_realloc(p->r_log_start_offset, n * sizeof(int64_t));
	p->r_caught_up_ms = sm_realloc(p->r_caught_up_ms, n * sizeof(int64_t));
	p->r_fetch_ms = sm_realloc(p->r_fetch_ms, n * sizeof(int64_t));
	p->r_fetch_leader_leo = sm_realloc(p->r_fetch_leader_leo, n * sizeof(int64_t));
	p->r_sent_hw = sm_realloc(p->r_sent_hw, n * sizeof(int64_t));
	for (int i = 0; i < p->n_replicas; i++) {
		p->r_leo[i] = -1;
		p->r_log_start_offset[i] = -1;
		p->r_caught_up_ms[i] = sm_partition_in_isr(p, p->replicas[i]) ? now : 0;
		p->r_fetch_ms[i] = 0;
		p->r_fetch_leader_leo[i] = -1;
		p->r_sent_hw[i] = -1;
	}
}

/* Every HW change goes through here: the log keeps a copy for retention and
 * DeleteRecords (Kafka's Log.highWatermark). Caller holds p->lock, or owns p
 * alone. */
static void sm_partition_set_hw(sm_partition_t *p, int64_t hw)
{
	p->hw = hw;
	sm_log_set_high_watermark(p->log, hw);
}

/* The leader's HW is the smallest LEO over the ISR; a follower whose LEO is
 * not known yet holds it where it is. It never moves back. Caller holds
 * p->lock. Returns 1 if it moved. */
static int sm_partition_maybe_advance_hw(sm_partition_t *p)
{
	SM_ASSERT_HELD(&p->lock);
	if (!p->is_leader)
		return 0;
	int64_t hw = sm_log_end_offset(p->log);
	for (int i = 0; i < p->n_isr; i++) {
		if (p->isr[i] == p->broker_id)
			continue;
		int idx = sm_partition_replica_index(p, p->isr[i]);
		if (idx < 0 || !p->r_leo || p->r_leo[idx] < 0)
			return 0;
		if (p->r_leo[idx] < hw)
			hw = p->r_leo[idx];
	}
	if (hw <= p->hw)
		return 0;
	sm_partition_set_hw(p, hw);
	return 1;
}

/* Tells the owner of an append, HW move, ISR or leadership change, with no
 * partition lock held. */
static void sm_partition_changed(sm_partition_t *p)
{
	p->hooks->changed(p->hooks_opaque, p);
}

void sm_partition_restore_hw(sm_partition_t *p, int64_t hw)
{
	int64_t leo = sm_log_end_offset(p->log);
	sm_partition_set_hw(p, hw > leo ? leo : hw);
}

static void sm_partition_fmt_isr(char *out, size_t len, const int32_t *isr, int n)
{
	size_t o = 0;
	out[0] = '\0';
	for (int i = 0; i < n && o + 12 < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%d", i ? "," : "", isr[i]);
}

/* Replaces the ISR of a partition this broker leads (Partition.shrinkIsr /
 * expandIsr). what: "Shrinking" or "Expanding" (logged, and picks the
 * IsrShrinks / IsrExpands meter). */
static void sm_partition_update_isr(sm_partition_t *p, int32_t *isr, int n, const char *what)
{
	SM_ASSERT_ROLE(SM_ROLE_ISR_EXPIRATION);
	pthread_mutex_lock(&p->lock);
	if (!p->is_leader || p->isr_inflight) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	p->isr_inflight = 1;
	int32_t epoch = p->leader_epoch, zkv = p->zk_version, cepoch = p->controller_epoch;
	char from[256], to[256];
	sm_partition_fmt_isr(from, sizeof(from), p->isr, p->n_isr);
	pthread_mutex_unlock(&p->lock);
	sm_partition_fmt_isr(to, sizeof(to), isr, n);
	int32_t new_zkv;
	sm_err_t e = p->hooks->write_isr(p->hooks_opaque, p, epoch, zkv, cepoch, isr, n, &new_zkv);
	int applied = 0;
	pthread_mutex_lock(&p->lock);
	p->isr_inflight = 0;
	if (!e && p->is_leader && p->leader_epoch == epoch) {
		sm_partition_set_i32s(&p->isr, &p->n_isr, isr, n);
		p->zk_version = new_zkv;
		sm_partition_maybe_advance_hw(p);
		applied = 1;
	}
	pthread_mutex_unlock(&p->lock);
	if (!applied) {
		sm_log_info(NULL, SM_PARTITION_LOGGER,
			    "[Partition %s-%d broker=%d] Cached zkVersion %d not equal to that in zookeeper, skip updating ISR (%s)",
			    p->topic, p->partition, p->broker_id, zkv, e ? sm_err_name(e) : "leader changed");
		return;
	}
	/* Counted once ZooKeeper took the new ISR, as Kafka marks the
	 * meter after its write succeeds. */
	sm_metrics_isr_change(what[0] == 'S');
	sm_log_info(NULL, SM_PARTITION_LOGGER,
		    "[Partition %s-%d broker=%d] %s ISR from %s to %s. Leader: (highWatermark: %lld, endOffset: %lld). Out of sync replicas: see above.",
		    p->topic, p->partition, p->broker_id, what, from, to,
		    (long long)sm_partition_high_watermark(p), (long long)sm_log_end_offset(p->log));
	p->hooks->isr_changed(p->hooks_opaque, p);
	sm_partition_changed(p);
}

/* Whether replicas[idx], a follower outside the ISR, has caught up to the
 * high watermark and to the start of this leader epoch (Kafka's
 * isFollowerInSync). Caller holds p->lock. */
static int sm_partition_can_join_isr(const sm_partition_t *p, int idx)
{
	SM_ASSERT_HELD(&p->lock);
	int32_t r = p->replicas[idx];
	int64_t leo = p->r_leo ? p->r_leo[idx] : -1;
	return r != p->broker_id && !sm_partition_in_isr(p, r) && leo >= 0 && leo >= p->hw &&
	       leo >= p->epoch_start_offset;
}

void sm_partition_update_follower(sm_partition_t *p, int32_t replica_id, int64_t fetch_offset,
				  int64_t log_start_offset)
{
	int64_t now = sm_clock_mono_ms();
	pthread_mutex_lock(&p->lock);
	int idx = sm_partition_replica_index(p, replica_id);
	int64_t leo = sm_log_end_offset(p->log);
	if (!p->is_leader || idx < 0 || replica_id == p->broker_id || !p->r_leo ||
	    fetch_offset < 0 || fetch_offset > leo) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	if (fetch_offset >= leo)
		p->r_caught_up_ms[idx] = now;
	else if (p->r_fetch_leader_leo[idx] >= 0 && fetch_offset >= p->r_fetch_leader_leo[idx])
		p->r_caught_up_ms[idx] = p->r_fetch_ms[idx];
	p->r_fetch_leader_leo[idx] = leo;
	p->r_fetch_ms[idx] = now;
	p->r_leo[idx] = fetch_offset;
	/* A follower's log start offset can raise the low watermark that a
	 * parked DeleteRecords waits for (Partition.updateFollowerFetchState). */
	int lso_moved = p->r_log_start_offset[idx] != log_start_offset;
	p->r_log_start_offset[idx] = log_start_offset;
	int moved = sm_partition_maybe_advance_hw(p);
	int expand = 0;
	if (!p->isr_expand_queued && sm_partition_can_join_isr(p, idx)) {
		p->isr_expand_queued = 1;
		expand = 1;
	}
	pthread_mutex_unlock(&p->lock);
	if (moved || lso_moved)
		sm_partition_changed(p);
	if (expand)
		p->hooks->queue_expand(p->hooks_opaque, p);
}

/* Partition.maybeExpandIsr on the "isr-expiration" thread: adds every
 * follower that is (still) caught up to the high watermark of this leader
 * epoch, writes the new ISR to ZooKeeper and only then uses it. */
void sm_partition_maybe_expand_isr(sm_partition_t *p)
{
	pthread_mutex_lock(&p->lock);
	p->isr_expand_queued = 0;
	if (!p->is_leader || p->isr_inflight || !p->r_leo) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	int32_t *isr = sm_malloc(sizeof(int32_t) * (size_t)(p->n_isr + p->n_replicas + 1));
	int n = 0, added = 0;
	for (int i = 0; i < p->n_isr; i++)
		isr[n++] = p->isr[i];
	for (int i = 0; i < p->n_replicas; i++)
		if (sm_partition_can_join_isr(p, i)) {
			isr[n++] = p->replicas[i];
			added = 1;
		}
	pthread_mutex_unlock(&p->lock);
	if (added)
		sm_partition_update_isr(p, isr, n, "Expanding");
	free(isr);
}

sm_err_t sm_partition_low_watermark(sm_partition_t *p, sm_broker_alive_fn *alive, void *opaque,
				     int64_t *out)
{
	*out = -1;
	pthread_mutex_lock(&p->lock);
	if (p->offline || !p->is_leader) {
		sm_err_t e = p->offline ? SM_ERR_KAFKA_STORAGE_ERROR : SM_ERR_NOT_LEADER_OR_FOLLOWER;
		pthread_mutex_unlock(&p->lock);
		return e;
	}
	/* Partition.lowWatermarkIfLeader: every assigned replica on a live
	 * broker counts, in the ISR or not; one not heard from yet (-1) holds
	 * the low watermark at -1. */
	int64_t lw = sm_log_start_offset(p->log);
	for (int i = 0; i < p->n_replicas && p->r_log_start_offset; i++) {
		if (p->replicas[i] == p->broker_id || !alive(opaque, p->replicas[i]))
			continue;
		if (p->r_log_start_offset[i] < lw)
			lw = p->r_log_start_offset[i];
	}
	pthread_mutex_unlock(&p->lock);
	*out = lw;
	return SM_ERR_NONE;
}

/* Drops ISR followers that have not caught up within lag_ms
 * (Partition.maybeShrinkIsr); a follower at the leader's LEO is never out
 * of sync, even if it stopped fetching. */
void sm_partition_maybe_shrink_isr(sm_partition_t *p, int64_t now, int64_t lag_ms)
{
	pthread_mutex_lock(&p->lock);
	if (!p->is_leader || p->isr_inflight || !p->r_leo) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	int64_t leo = sm_log_end_offset(p->log);
	int32_t *isr = sm_malloc(sizeof(int32_t) * (size_t)(p->n_isr + 1));
	int n = 0, removed = 0;
	for (int i = 0; i < p->n_isr; i++) {
		int idx = sm_partition_replica_index(p, p->isr[i]);
		if (p->isr[i] != p->broker_id && idx >= 0 && p->r_leo[idx] != leo &&
		    now - p->r_caught_up_ms[idx] > lag_ms) {
			sm_log_info(NULL, SM_PARTITION_LOGGER,
				    "[Partition %s-%d broker=%d] Shrinking ISR: replica %d is out of sync (end offset %lld, leader end offset %lld, last caught up %lld ms ago)",
				    p->topic, p->partition, p->broker_id, p->isr[i],
				    (long long)p->r_leo[idx], (long long)leo,
				    (long long)(now - p->r_caught_up_ms[idx]));
			removed = 1;
			continue;
		}
		isr[n++] = p->isr[i];
	}
	pthread_mutex_unlock(&p->lock);
	if (removed)
		sm_partition_update_isr(p, isr, n, "Shrinking");
	free(isr);
}

/* ---- leadership ---- */

sm_err_t sm_partition_make_leader_or_follower(sm_partition_t *p,
					      const sm_leader_and_isr_req_partition_state_t *st,
					      int *was_leader, int *is_leader, int32_t *cur_epoch)
{
	pthread_mutex_lock(&p->lock);
	*cur_epoch = p->leader_epoch;
	if (st->leader_epoch <= p->leader_epoch) {
		pthread_mutex_unlock(&p->lock);
		return SM_ERR_STALE_CONTROLLER_EPOCH;
	}
	*was_leader = p->is_leader;
	p->is_leader = st->leader == p->broker_id;
	*is_leader = p->is_leader;
	p->leader_id = st->leader;
	p->leader_epoch = st->leader_epoch;
	p->zk_version = st->partition_epoch;
	p->controller_epoch = st->controller_epoch;
	sm_partition_set_i32s(&p->replicas, &p->n_replicas, st->replicas, st->replicas_cnt);
	sm_partition_set_i32s(&p->isr, &p->n_isr, st->isr, st->isr_cnt);
	int64_t leo = sm_log_end_offset(p->log);
	if (p->hw > leo)
		sm_partition_set_hw(p, leo);
	sm_partition_reset_followers(p, sm_clock_mono_ms());
	if (p->is_leader) {
		/* The new epoch starts at the current end: followers truncate to
		 * it, and OffsetForLeaderEpoch answers from it. */
		p->epoch_start_offset = leo;
		sm_lec_assign(p->lec, st->leader_epoch, leo);
	}
	sm_partition_maybe_advance_hw(p);
	pthread_mutex_unlock(&p->lock);
	return SM_ERR_NONE;
}

void sm_partition_stop(sm_partition_t *p)
{
	pthread_mutex_lock(&p->lock);
	p->is_leader = 0;
	pthread_mutex_unlock(&p->lock);
}

int sm_partition_mark_offline(sm_partition_t *p, int *was_leader)
{
	pthread_mutex_lock(&p->lock);
	int newly = !p->offline;
	*was_leader = p->is_leader;
	p->offline = 1;
	p->is_leader = 0;
	pthread_mutex_unlock(&p->lock);
	return newly;
}

sm_err_t sm_partition_leader_status(sm_partition_t *p)
{
	pthread_mutex_lock(&p->lock);
	int leader = p->is_leader, offline = p->offline;
	pthread_mutex_unlock(&p->lock);
	if (offline)
		return SM_ERR_KAFKA_STORAGE_ERROR;
	return leader ? SM_ERR_NONE : SM_ERR_NOT_LEADER_OR_FOLLOWER;
}

void sm_partition_add_gauges(sm_partition_t *p, sm_metrics_gauges_t *g)
{
	/* the topic config (a leaf lock) is read before the partition lock,
	 * as everywhere */
	int32_t min_isr = sm_partition_min_isr(p);
	pthread_mutex_lock(&p->lock);
	g->partition_count++;
	if (p->offline)
		g->offline_replicas++;
	else if (p->is_leader) {
		g->leader_count++;
		if (p->n_isr < p->n_replicas)
			g->under_replicated++;
		if (p->n_isr < min_isr)
			g->under_min_isr++;
		else if (p->n_isr == min_isr)
			g->at_min_isr++;
	}
	/* Kafka's per-Log gauges, for every hosted log that is online; the
	 * log's segment lock nests inside the partition lock as in appends. */
	if (!p->offline && p->log)
		sm_metrics_add_log(g, p->topic, p->partition, sm_log_size_bytes(p->log),
				   sm_log_start_offset(p->log), sm_log_end_offset(p->log),
				   sm_log_segment_count(p->log));
	pthread_mutex_unlock(&p->lock);
}

/* ---- appends ---- */

static sm_err_t sm_partition_append_origin(sm_partition_t *p, uint8_t *batch, size_t len,
					   int16_t required_acks, int coordinator,
					   sm_log_append_info_t *info)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	int32_t min_isr = sm_partition_min_isr(p);
	pthread_mutex_lock(&p->lock);
	if (!p->is_leader) {
		pthread_mutex_unlock(&p->lock);
		return SM_ERR_NOT_LEADER_OR_FOLLOWER;
	}
	if (required_acks == -1 && p->n_isr < min_isr) {
		pthread_mutex_unlock(&p->lock);
		return SM_ERR_NOT_ENOUGH_REPLICAS;
	}
	int32_t epoch = p->leader_epoch;
	/* The partition lock orders appends with leadership changes; the log
	 * serializes appends itself. */
	sm_err_t e = coordinator ? sm_log_append_coordinator(p->log, batch, len, epoch, now, info)
				 : sm_log_append_leader(p->log, batch, len, epoch, now, info);
	if (!e)
		sm_partition_maybe_advance_hw(p);
	pthread_mutex_unlock(&p->lock);
	if (e)
		return e == SM_ERR__IO || e == SM_ERR__FULL ? SM_ERR_KAFKA_STORAGE_ERROR : e;
	sm_partition_changed(p);
	return SM_ERR_NONE;
}

sm_err_t sm_partition_append_leader(sm_partition_t *p, uint8_t *batch, size_t len,
				    int16_t required_acks, sm_log_append_info_t *info)
{
	return sm_partition_append_origin(p, batch, len, required_acks, 0, info);
}

sm_err_t sm_partition_append_coordinator(sm_partition_t *p, uint8_t *batch, size_t len,
					 int16_t required_acks, sm_log_append_info_t *info)
{
	return sm_partition_append_origin(p, batch, len, required_acks, 1, info);
}

sm_err_t sm_partition_append_marker(sm_partition_t *p, const sm_ps_marker_t *marker,
				    sm_log_append_info_t *info)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	int32_t min_isr = sm_partition_min_isr(p);
	pthread_mutex_lock(&p->lock);
	if (!p->is_leader) {
		pthread_mutex_unlock(&p->lock);
		return SM_ERR_NOT_LEADER_OR_FOLLOWER;
	}
	/* markers are written with acks=-1, so min.insync.replicas applies */
	if (p->n_isr < min_isr) {
		pthread_mutex_unlock(&p->lock);
		return SM_ERR_NOT_ENOUGH_REPLICAS;
	}
	sm_err_t e = sm_log_append_marker(p->log, marker, p->leader_epoch, now, info);
	if (!e)
		sm_partition_maybe_advance_hw(p);
	pthread_mutex_unlock(&p->lock);
	if (e)
		return e == SM_ERR__IO || e == SM_ERR__FULL ? SM_ERR_KAFKA_STORAGE_ERROR : e;
	sm_partition_changed(p);
	return SM_ERR_NONE;
}

/* ---- replication accessors ---- */

sm_lec_t *sm_partition_epoch_cache(sm_partition_t *p) { return p->lec; }

int sm_partition_isr(sm_partition_t *p, int32_t *out, int max)
{
	pthread_mutex_lock(&p->lock);
	int n = p->n_isr;
	for (int i = 0; i < n && i < max; i++)
		out[i] = p->isr[i];
	pthread_mutex_unlock(&p->lock);
	return n;
}

int sm_partition_diverging(sm_partition_t *p, int32_t last_fetched_epoch, int64_t fetch_offset,
			   int32_t *epoch, int64_t *end_offset)
{
	if (last_fetched_epoch < 0)
		return 0;
	sm_lec_end_offset_for(p->lec, last_fetched_epoch, sm_log_end_offset(p->log), epoch, end_offset);
	return *epoch < last_fetched_epoch || *end_offset < fetch_offset;
}

sm_err_t sm_partition_epoch_end_offset(sm_partition_t *p, int32_t current_leader_epoch,
				       int32_t requested, int32_t *epoch_out,
				       int64_t *end_offset_out)
{
	*epoch_out = -1;
	*end_offset_out = -1;
	int32_t cur = sm_partition_leader_epoch(p);
	if (current_leader_epoch >= 0 && current_leader_epoch != cur)
		return current_leader_epoch < cur ? SM_ERR_FENCED_LEADER_EPOCH
						  : SM_ERR_UNKNOWN_LEADER_EPOCH;
	sm_lec_end_offset_for(p->lec, requested, sm_log_end_offset(p->log), epoch_out,
			      end_offset_out);
	return SM_ERR_NONE;
}

int sm_partition_check_acks(sm_partition_t *p, int64_t required_offset, sm_err_t *err)
{
	int32_t min_isr = sm_partition_min_isr(p);
	pthread_mutex_lock(&p->lock);
	int done = 1;
	*err = SM_ERR_NONE;
	if (!p->is_leader)
		*err = SM_ERR_NOT_LEADER_OR_FOLLOWER;
	else if (p->hw < required_offset)
		done = 0;
	else if (p->n_isr < min_isr)
		*err = SM_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND;
	pthread_mutex_unlock(&p->lock);
	return done;
}

/* ---- follower side ---- */

void sm_partition_set_throttled(sm_partition_t *p, int leader, int follower)
{
	__atomic_store_n(&p->thr_leader, leader, __ATOMIC_RELAXED);
	__atomic_store_n(&p->thr_follower, follower, __ATOMIC_RELAXED);
}

int sm_partition_leader_throttled(const sm_partition_t *p)
{
	return __atomic_load_n(&p->thr_leader, __ATOMIC_RELAXED);
}

int sm_partition_follower_throttled(const sm_partition_t *p)
{
	return __atomic_load_n(&p->thr_follower, __ATOMIC_RELAXED);
}

int sm_partition_replica_in_isr(sm_partition_t *p, int32_t replica)
{
	return SM_LOCKED_READ(&p->lock, int, sm_partition_in_isr(p, replica));
}

int sm_partition_is_follower_of(sm_partition_t *p, int32_t leader, int32_t leader_epoch)
{
	return SM_LOCKED_READ(&p->lock, int, !p->is_leader && p->leader_id == leader && p->leader_epoch == leader_epoch);
}

sm_err_t sm_partition_append_follower(sm_partition_t *p, const uint8_t *batches, size_t len)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	sm_err_t e = sm_log_append_follower(p->log, batches, len, now, NULL);
	if (e)
		return e;
	/* v2 batch header: baseOffset(8) batchLength(4) partitionLeaderEpoch(4)
	 * magic(1); the log has validated the framing. */
	for (size_t pos = 0; pos + 17 <= len;) {
		sm_rbuf_t rb;
		sm_rbuf_init(&rb, batches + pos, len - pos);
		int64_t base = sm_rbuf_i64(&rb);
		int32_t blen = sm_rbuf_i32(&rb);
		int32_t epoch = sm_rbuf_i32(&rb);
		if (rb.err || blen <= 0 || (size_t)blen + 12 > len - pos)
			break;
		sm_lec_assign(p->lec, epoch, base);
		pos += (size_t)blen + 12;
	}
	return SM_ERR_NONE;
}

sm_err_t sm_partition_truncate_to(sm_partition_t *p, int64_t offset)
{
	sm_err_t e = SM_ERR_NONE;
	if (offset < sm_log_end_offset(p->log))
		e = sm_log_truncate_to(p->log, offset);
	sm_lec_truncate_from_end(p->lec, offset);
	pthread_mutex_lock(&p->lock);
	if (p->hw > offset)
		sm_partition_set_hw(p, offset);
	pthread_mutex_unlock(&p->lock);
	return e;
}

void sm_partition_follower_set_hw(sm_partition_t *p, int64_t leader_hw)
{
	int64_t leo = sm_log_end_offset(p->log);
	int64_t hw = leader_hw < leo ? leader_hw : leo;
	pthread_mutex_lock(&p->lock);
	int moved = !p->is_leader && hw != p->hw;
	if (moved)
		sm_partition_set_hw(p, hw);
	pthread_mutex_unlock(&p->lock);
	/* Consumers fetching from this follower (KIP-392) read up to its HW:
	 * wake those parked in the purgatory. */
	if (moved)
		sm_partition_changed(p);
}

int sm_partition_follower_hw_news(sm_partition_t *p, int32_t replica_id, int64_t hw)
{
	pthread_mutex_lock(&p->lock);
	int idx = sm_partition_replica_index(p, replica_id);
	int news = p->is_leader && idx >= 0 && p->r_sent_hw && hw > p->r_sent_hw[idx];
	if (news)
		p->r_sent_hw[idx] = hw;
	pthread_mutex_unlock(&p->lock);
	return news;
}

int sm_partition_follower_views(sm_partition_t *p, sm_replica_view_t *out, int max,
				int64_t *leader_leo)
{
	int64_t now = sm_clock_mono_ms();
	pthread_mutex_lock(&p->lock);
	if (!p->is_leader || p->offline || !p->r_leo) {
		pthread_mutex_unlock(&p->lock);
		return -1;
	}
	*leader_leo = sm_log_end_offset(p->log);
	int n = 0;
	for (int i = 0; i < p->n_replicas && n < max; i++) {
		if (p->replicas[i] == p->broker_id)
			continue;
		sm_replica_view_t *v = &out[n++];
		memset(v, 0, sizeof(*v));
		v->id = p->replicas[i];
		v->log_start_offset = p->r_log_start_offset[i];
		v->log_end_offset = p->r_leo[i];
		/* Never caught up: as long ago as the clock goes. */
		v->time_since_caught_up_ms = now - p->r_caught_up_ms[i];
	}
	pthread_mutex_unlock(&p->lock);
	return n;
}

void sm_partition_follower_set_log_start(sm_partition_t *p, int64_t leader_log_start_offset)
{
	/* Most fetch responses bring no change: no lock taken for them. */
	if (leader_log_start_offset <= sm_log_start_offset(p->log))
		return;
	pthread_mutex_lock(&p->lock);
	int leader = p->is_leader;
	int64_t hw = p->hw;
	pthread_mutex_unlock(&p->lock);
	/* Never past this replica's own HW (Log.maybeIncrementLogStartOffset);
	 * a later fetch brings it the rest of the way. */
	if (!leader && leader_log_start_offset <= hw)
		sm_log_increment_log_start_offset(p->log, leader_log_start_offset,
						  SM_LOG_START_LEADER_INCREMENT);
}
