/*
 * group_coordinator.c - Kafka's GroupCoordinator (kafka.coordinator.group):
 * the group state machine, rebalances, heartbeats, committed offsets, and
 * the groups cache of the __consumer_offsets partitions this broker leads.
 *
 * Group states (GroupMetadata.scala):
 *
 *                 +-------------------------------------------+
 *                 v                                           |
 *   Empty --join--> PreparingRebalance --all joined--> CompletingRebalance
 *     ^               ^    |   ^                           |       |
 *     |  last member  |    |   +----- join/leave/expiry ---+       |
 *     +---left--------+    |                                       |
 *                          +<------ join/leave/expiry -- Stable <--+ leader's SyncGroup
 *
 *   any state --DeleteGroups / offsets expired / partition unloaded--> Dead
 *
 *   FROM                 TO                   function               side effects
 *   Empty                PreparingRebalance   sm_gc_prepare_rebalance initial delay armed
 *   Stable               PreparingRebalance   sm_gc_prepare_rebalance deadline = max rebalance timeout
 *   CompletingRebalance  PreparingRebalance   sm_gc_prepare_rebalance parked syncs: REBALANCE_IN_PROGRESS
 *   PreparingRebalance   CompletingRebalance  sm_gc_complete_join    generation+1, protocol chosen, joins answered
 *   PreparingRebalance   Empty                sm_gc_complete_join    generation+1, GroupMetadata stored
 *   CompletingRebalance  Stable               sm_gc_sync_stored      GroupMetadata replicated, syncs answered
 *   CompletingRebalance  PreparingRebalance   sm_gc_sync_stored      GroupMetadata write failed, syncs get its error
 *   Empty                Dead                 delete/expiry          tombstones written
 *
 * Invariants: Empty has no members; PreparingRebalance has a rebalance
 * deadline; CompletingRebalance and Stable have a protocol and a leader that
 * is a member; a parked JoinGroup exists only in PreparingRebalance, a parked
 * SyncGroup only in CompletingRebalance. The transition table itself lives
 * in group_metadata.c (sm_group_can_transition) and is checked on every
 * change.
 *
 * Writes to __consumer_offsets (group_metadata_manager.h) are acks=-1, as
 * Kafka's: the leader's SyncGroup assignment and an OffsetCommit are answered
 * when the write ends (every ISR member has it, or it failed or timed out),
 * which with a multi-replica ISR is later, on the purgatory thread. Until
 * then the group stays in CompletingRebalance and committed offsets stay
 * pending (group->pending, invisible to OffsetFetch, as Kafka's
 * pendingOffsetCommits). A write names its group by id and incarnation
 * (uid): one that ends after the group was unloaded, deleted or re-created
 * changes nothing but its own answer.
 *
 * Transactional offset commits (TxnOffsetCommit, KIP-98/447) are written
 * as a transactional batch of their producer and kept per producer id in
 * the group (group->txn, Kafka's pendingTransactionalOffsetCommits) until
 * a COMMIT or ABORT marker of that producer reaches the group's partition
 * (sm_group_coordinator_txn_completion, called by WriteTxnMarkers, or the
 * marker met while loading): COMMIT makes them the committed offsets unless
 * a commit written later in the log is there (write_seq orders writes and
 * loaded records alike), ABORT drops them. Until then OffsetFetch with
 * require_stable answers UNSTABLE_OFFSET_COMMIT for their partitions.
 *
 * Deadlines (Kafka's delayed heartbeat, join and pending-member
 * operations) are timers on one min-heap (gc_timer.h): each member's
 * session deadline, each PreparingRebalance group's initial delay or
 * rebalance timeout, each pending member id's expiry. The "group-coord"
 * thread sleeps until the earliest, and every public call that reads or
 * changes groups first fires whatever is due (sm_gc_run_due), so the state
 * a request sees always follows the deadlines, whether or not the thread
 * has woken yet. A timer is cancelled before its member, group or pending
 * id is freed.
 *
 * Thread-safety: one mutex (gc->lock) guards all groups, members, pending
 * member ids and partition states; it is held while callbacks run and while
 * records are appended to __consumer_offsets (lock order: coordinator ->
 * replica manager). The replica manager's leadership listener only flips
 * partition states; loading runs on the "group-coord" thread without the
 * lock while it reads the log. Writes end (sm_gc_write_done) on the
 * purgatory thread, which takes the lock holding no other.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_setname_np */
#endif
#include "group_coordinator.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "clock.h"
#include "group_records.h"
#include "logger.h"
#include "thread_role.h"

#define SM_GC_LOGGER "kafka.coordinator.group.GroupCoordinator"
/* Longest sleep of the coordinator thread with nothing due: only bounds
 * the effect of a missed wake-up. */
#define SM_GC_MAX_WAIT_MS 60000

enum { SM_GC_P_NONE = 0, SM_GC_P_LOADING, SM_GC_P_LOADED };

/* A member id handed out with MEMBER_ID_REQUIRED (KIP-394), valid for one
 * session timeout. */
typedef struct sm_gc_pending {
	char *group_id;
	char *member_id;
	sm_gc_timer_t timer;  /* its expiry (one session timeout) */
	struct sm_gc_pending *next;
} sm_gc_pending_t;

struct sm_group_coordinator {
	sm_gc_config_t cfg;
	sm_group_metadata_manager_t *gmm;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	int started, stop;
	sm_group_t *groups;
	sm_gc_pending_t *pending;
	uint8_t *pstate;  /* per offsets partition: SM_GC_P_* */
	uint8_t *pload;   /* load requested */
	sm_gc_clock_t *mono, *wall;
	/* Every heartbeat, rebalance and pending member id deadline; the
	 * thread sleeps until the earliest (wait_until, monotonic ms). */
	sm_gc_timer_heap_t timers;
	int64_t wait_until;
	int64_t last_expiry;
	uint64_t next_uid;        /* group incarnations */
	uint64_t next_write_seq;  /* offset commit writes, in log order */
	char comp[48];
};

/* One write to __consumer_offsets in flight. */
enum { SM_GC_W_COMMIT, SM_GC_W_SYNC, SM_GC_W_EMPTY, SM_GC_W_STATIC };

typedef struct sm_gc_write {
	sm_group_coordinator_t *gc;
	int kind;                 /* SM_GC_W_* */
	char *group_id;
	uint64_t group_uid;
	int32_t generation;       /* of the group when written */
	/* SM_GC_W_COMMIT: the caller's entries (valid until cb) and the
	 * records written, whose strings point into them; pid >= 0 for a
	 * transactional commit (TxnOffsetCommit) of that producer. */
	uint64_t write_seq;
	int64_t pid;
	sm_gc_offset_t *e;
	int n;
	sm_group_offset_t *recs;
	int nrec;
	sm_gc_commit_cb_t *cb;
	void *opaque;
	/* SM_GC_W_STATIC: the replacement of a static member's id, to be
	 * answered (or undone) when the write ends. */
	char *new_member_id;
	char *old_member_id;
	char *old_leader_id;
	sm_group_member_t *old_protocols; /* holds only the protocols */
} sm_gc_write_t;

sm_group_coordinator_t *sm_group_coordinator_new(const sm_gc_config_t *cfg,
						 sm_group_metadata_manager_t *gmm)
{
	sm_group_coordinator_t *gc = sm_calloc(1, sizeof(*gc));
	gc->cfg = *cfg;
	if (gc->cfg.num_partitions <= 0)
		gc->cfg.num_partitions = 1;
	if (gc->cfg.retention_check_ms <= 0)
		gc->cfg.retention_check_ms = 600000;
	gc->gmm = gmm;
	pthread_mutex_init(&gc->lock, NULL);
	/* Timers are monotonic deadlines: the thread waits on that clock. */
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&gc->cond, &ca);
	pthread_condattr_destroy(&ca);
	sm_gc_timer_heap_init(&gc->timers);
	gc->wait_until = INT64_MIN; /* the thread is not waiting */
	gc->pstate = sm_calloc((size_t)gc->cfg.num_partitions, 1);
	gc->pload = sm_calloc((size_t)gc->cfg.num_partitions, 1);
	gc->mono = sm_clock_mono_ms;
	gc->wall = sm_clock_wall_ms;
	snprintf(gc->comp, sizeof(gc->comp), "GroupCoordinator %d", cfg->broker_id);
	return gc;
}

void sm_group_coordinator_set_clock(sm_group_coordinator_t *gc, sm_gc_clock_t *mono,
				    sm_gc_clock_t *wall)
{
	gc->mono = mono ? mono : sm_clock_mono_ms;
	gc->wall = wall ? wall : sm_clock_wall_ms;
}

int32_t sm_group_coordinator_partition_for(const sm_group_coordinator_t *gc, const char *group_id)
{
	return sm_group_partition_for(group_id, gc->cfg.num_partitions);
}

/* ---- small helpers (lock held) ---- */

static sm_group_t *sm_gc_find(sm_group_coordinator_t *gc, const char *group_id)
{
	SM_ASSERT_HELD(&gc->lock);
	for (sm_group_t *g = gc->groups; g; g = g->next)
		if (!strcmp(g->group_id, group_id))
			return g;
	return NULL;
}

/* Kafka's isStaticMemberFenced: the instance id names a static member of
 * g whose current member id is another one (a newer instance took over).
 * Checked before the member id is looked up, so that an old instance gets
 * FENCED_INSTANCE_ID and stops instead of UNKNOWN_MEMBER_ID, on which it
 * would rejoin and fence the new instance in turn. */
static int sm_gc_fenced(sm_group_coordinator_t *gc, const sm_group_t *g, const char *member_id,
			const char *instance_id, const char *op)
{
	if (!instance_id)
		return 0;
	const sm_group_member_t *s = sm_group_find_static(g, instance_id);
	if (!s || !strcmp(s->member_id, member_id ? member_id : ""))
		return 0;
	sm_log_error(gc->comp, SM_GC_LOGGER, "given member.id %s is identified as a known static member %s, but not matching the expected member.id %s during %s, will respond with instance fenced error",
		     member_id ? member_id : "", instance_id, s->member_id, op);
	return 1;
}

static sm_err_t sm_gc_owner_err(sm_group_coordinator_t *gc, const char *group_id)
{
	if (!group_id)
		return SM_ERR_INVALID_GROUP_ID;
	int32_t p = sm_group_coordinator_partition_for(gc, group_id);
	if (gc->pstate[p] == SM_GC_P_LOADED)
		return SM_ERR_NONE;
	return gc->pstate[p] == SM_GC_P_LOADING ? SM_ERR_COORDINATOR_LOAD_IN_PROGRESS
						: SM_ERR_NOT_COORDINATOR;
}

sm_err_t sm_group_coordinator_check(sm_group_coordinator_t *gc, const char *group_id)
{
	pthread_mutex_lock(&gc->lock);
	sm_err_t e = sm_gc_owner_err(gc, group_id);
	pthread_mutex_unlock(&gc->lock);
	return e;
}

static sm_group_t *sm_gc_create(sm_group_coordinator_t *gc, const char *group_id)
{
	sm_group_t *g = sm_group_new(group_id, sm_group_coordinator_partition_for(gc, group_id),
				     gc->wall());
	g->uid = ++gc->next_uid;
	g->next = gc->groups;
	gc->groups = g;
	return g;
}

static void sm_gc_unlink(sm_group_coordinator_t *gc, sm_group_t *g)
{
	for (sm_group_t **pp = &gc->groups; *pp; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			return;
		}
	}
}

/* ---- timers (lock held) ---- */

/* Arms t; wakes the thread when t is now the earliest deadline. */
static void sm_gc_arm(sm_group_coordinator_t *gc, sm_gc_timer_t *t, int64_t deadline)
{
	sm_gc_timer_arm(&gc->timers, t, deadline);
	if (deadline < gc->wait_until)
		pthread_cond_signal(&gc->cond);
}

/* A heartbeat (or anything Kafka counts as one) from m: its session
 * deadline moves to now + session timeout (Kafka's
 * completeAndScheduleNextHeartbeatExpiration). */
static void sm_gc_touch(sm_group_coordinator_t *gc, sm_group_t *g, sm_group_member_t *m, int64_t now)
{
	m->last_heartbeat_ms = now;
	m->hb_timer.ctx = g;
	sm_gc_arm(gc, &m->hb_timer, sm_i64_sat_add(now, m->session_timeout_ms));
}

/* PreparingRebalance ends at the initial delay (while it runs) or at the
 * rebalance deadline; no other state has a group timer. */
static void sm_gc_arm_group(sm_group_coordinator_t *gc, sm_group_t *g)
{
	if (g->state != SM_GROUP_PREPARING_REBALANCE) {
		sm_gc_timer_cancel(&gc->timers, &g->rb_timer);
		return;
	}
	int64_t d = g->rebalance_deadline;
	if (g->initial_delay_end > 0 && g->initial_delay_end < d)
		d = g->initial_delay_end;
	sm_gc_arm(gc, &g->rb_timer, d);
}

static void sm_gc_run_due(sm_group_coordinator_t *gc);

static void sm_gc_member_free(sm_group_coordinator_t *gc, sm_group_member_t *m)
{
	sm_gc_timer_cancel(&gc->timers, &m->hb_timer);
	sm_group_member_destroy(m);
}

static void sm_gc_group_free(sm_group_coordinator_t *gc, sm_group_t *g)
{
	sm_gc_timer_cancel(&gc->timers, &g->rb_timer);
	for (sm_group_member_t *m = g->members; m; m = m->next)
		sm_gc_timer_cancel(&gc->timers, &m->hb_timer);
	sm_group_destroy(g);
}

static void sm_gc_set_state(sm_group_coordinator_t *gc, sm_group_t *g, sm_group_state_t to)
{
	SM_ASSERT_HELD(&gc->lock);
	if (!sm_group_can_transition(g->state, to))
		sm_log_error(gc->comp, SM_GC_LOGGER, "Group %s should be in one of the valid previous states of %s, but is in %s",
			     g->group_id, sm_group_state_name(to), sm_group_state_name(g->state));
	g->state = to;
	g->state_ts = gc->wall();
	sm_gc_arm_group(gc, g);
}

/* Kafka's member id: client id, a dash and a random UUID. */
static char *sm_gc_member_id(const char *client_id)
{
	uint8_t u[16];
	if (getrandom(u, sizeof(u), 0) != (ssize_t)sizeof(u)) {
		static unsigned seq;
		uint64_t t = (uint64_t)sm_clock_mono_ms() + __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
		memset(u, 0, sizeof(u));
		memcpy(u, &t, sizeof(t));
	}
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	char buf[512];
	snprintf(buf, sizeof(buf),
		 "%.400s-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 client_id ? client_id : "", u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8],
		 u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	return sm_strdup(buf);
}

/* ---- answering parked requests (lock held) ---- */

static void sm_gc_join_error(sm_gc_join_cb_t *cb, void *opaque, sm_err_t e, const char *member_id)
{
	sm_gc_join_result_t r = { .error = e, .generation_id = -1, .member_id = member_id ? member_id : "",
				  .leader = "" };
	cb(opaque, &r);
}

static void sm_gc_sync_error(sm_gc_sync_cb_t *cb, void *opaque, sm_err_t e)
{
	sm_gc_sync_result_t r = { .error = e };
	cb(opaque, &r);
}

static void sm_gc_fail_member(sm_group_member_t *m, sm_err_t e)
{
	if (m->join_cb) {
		sm_gc_join_cb_t *cb = m->join_cb;
		m->join_cb = NULL;
		sm_gc_join_error(cb, m->join_opaque, e, m->member_id);
	}
	if (m->sync_cb) {
		sm_gc_sync_cb_t *cb = m->sync_cb;
		m->sync_cb = NULL;
		sm_gc_sync_error(cb, m->sync_opaque, e);
	}
}

/* Answers m's JoinGroup with the current generation; the leader gets every
 * member's metadata for the chosen protocol. */
static void sm_gc_join_reply(sm_group_t *g, sm_group_member_t *m, sm_gc_join_cb_t *cb, void *opaque)
{
	int is_leader = g->leader_id && !strcmp(g->leader_id, m->member_id);
	sm_gc_join_member_t *mem = NULL;
	int n = 0;
	if (is_leader) {
		mem = sm_calloc((size_t)(g->n_members ? g->n_members : 1), sizeof(*mem));
		for (sm_group_member_t *o = g->members; o; o = o->next, n++) {
			const sm_group_protocol_t *p = sm_group_member_protocol(o, g->protocol_name);
			mem[n].member_id = o->member_id;
			mem[n].group_instance_id = o->group_instance_id;
			mem[n].metadata = p ? p->metadata : NULL;
			mem[n].metadata_len = p ? p->metadata_len : 0;
		}
	}
	sm_gc_join_result_t r = {
		.error = SM_ERR_NONE, .generation_id = g->generation,
		.protocol_type = g->protocol_type, .protocol_name = g->protocol_name,
		.leader = g->leader_id ? g->leader_id : "", .member_id = m->member_id,
		.n_members = n, .members = mem,
	};
	cb(opaque, &r);
	free(mem);
}

/* ---- rebalancing (lock held) ---- */

static int32_t sm_gc_max_rebalance_timeout(const sm_group_t *g)
{
	int32_t t = 0;
	for (const sm_group_member_t *m = g->members; m; m = m->next)
		if (m->rebalance_timeout_ms > t)
			t = m->rebalance_timeout_ms;
	return t;
}

static void sm_gc_prepare_rebalance(sm_group_coordinator_t *gc, sm_group_t *g, const char *reason)
{
	SM_ASSERT_HELD(&gc->lock);
	if (g->state == SM_GROUP_COMPLETING_REBALANCE) {
		for (sm_group_member_t *m = g->members; m; m = m->next) {
			sm_group_member_set_assignment(m, NULL, 0);
			if (m->sync_cb) {
				sm_gc_sync_cb_t *cb = m->sync_cb;
				m->sync_cb = NULL;
				sm_gc_sync_error(cb, m->sync_opaque, SM_ERR_REBALANCE_IN_PROGRESS);
			}
		}
	}
	int64_t now = gc->mono();
	int32_t rt = sm_gc_max_rebalance_timeout(g);
	g->initial_delay_end = 0;
	g->new_member_added = 0;
	/* The first rebalance of an empty group waits for more members
	 * (group.initial.rebalance.delay.ms, KIP-134). */
	if (g->state == SM_GROUP_EMPTY && gc->cfg.initial_rebalance_delay_ms > 0) {
		int32_t d = gc->cfg.initial_rebalance_delay_ms < rt ? gc->cfg.initial_rebalance_delay_ms : rt;
		g->initial_delay_end = now + d;
		g->initial_delay_cap = now + rt;
	}
	g->rebalance_deadline = now + rt;
	sm_log_info(gc->comp, SM_GC_LOGGER,
		    "Preparing to rebalance group %s in state PreparingRebalance with old generation %d (%s-%d) (reason: %s)",
		    g->group_id, g->generation, SM_GC_OFFSETS_TOPIC, g->partition, reason);
	sm_gc_set_state(gc, g, SM_GROUP_PREPARING_REBALANCE);
}

static int sm_gc_pending_in_group(const sm_group_coordinator_t *gc, const sm_group_t *g)
{
	for (const sm_gc_pending_t *p = gc->pending; p; p = p->next)
		if (!strcmp(p->group_id, g->group_id))
			return 1;
	return 0;
}

/* ---- writes to __consumer_offsets (lock held unless said) ---- */

static void sm_gc_sync_stored(sm_group_coordinator_t *gc, sm_group_t *g, sm_err_t se);
static void sm_gc_commit_stored(sm_group_coordinator_t *gc, sm_gc_write_t *w, sm_err_t se);
static void sm_gc_static_stored(sm_group_coordinator_t *gc, sm_group_t *g, sm_gc_write_t *w, sm_err_t se);

static sm_gc_write_t *sm_gc_write_new(sm_group_coordinator_t *gc, int kind, const sm_group_t *g)
{
	sm_gc_write_t *w = sm_calloc(1, sizeof(*w));
	w->gc = gc;
	w->kind = kind;
	w->group_id = sm_strdup(g->group_id);
	w->group_uid = g->uid;
	w->generation = g->generation;
	w->pid = -1;
	return w;
}

static void sm_gc_write_free(sm_gc_write_t *w)
{
	free(w->recs);
	free(w->group_id);
	free(w->new_member_id);
	free(w->old_member_id);
	free(w->old_leader_id);
	sm_group_member_destroy(w->old_protocols);
	free(w);
}

/* The group a write was for, if it is still that incarnation and this
 * broker still coordinates it. */
static sm_group_t *sm_gc_write_group(sm_group_coordinator_t *gc, const sm_gc_write_t *w)
{
	sm_group_t *g = sm_gc_find(gc, w->group_id);
	if (!g || g->uid != w->group_uid || g->state == SM_GROUP_DEAD ||
	    gc->pstate[g->partition] != SM_GC_P_LOADED)
		return NULL;
	return g;
}

static void sm_gc_write_end(sm_group_coordinator_t *gc, sm_gc_write_t *w, sm_err_t se)
{
	sm_group_t *g = sm_gc_write_group(gc, w);
	switch (w->kind) {
	case SM_GC_W_COMMIT:
		sm_gc_commit_stored(gc, w, se);
		break;
	case SM_GC_W_SYNC:
		/* Kafka's storeGroup callback acts only on the rebalance it
		 * was written for. */
		if (g && g->state == SM_GROUP_COMPLETING_REBALANCE && g->generation == w->generation)
			sm_gc_sync_stored(gc, g, se);
		break;
	case SM_GC_W_STATIC:
		sm_gc_static_stored(gc, g, w, se);
		break;
	default:
		if (se)
			sm_log_warn(gc->comp, SM_GC_LOGGER, "Failed to write empty metadata for group %s: %s",
				    w->group_id, sm_err_name(se));
		break;
	}
}

/* sm_gmm_done_fn: a parked write ended (purgatory thread, no lock held). */
static void sm_gc_write_done(void *arg, sm_err_t se)
{
	sm_gc_write_t *w = arg;
	sm_group_coordinator_t *gc = w->gc;
	pthread_mutex_lock(&gc->lock);
	sm_gc_write_end(gc, w, se);
	pthread_mutex_unlock(&gc->lock);
	sm_gc_write_free(w);
}

/* Writes g's metadata; w (consumed) says what to do when the write ends. */
static void sm_gc_write_group_metadata(sm_group_coordinator_t *gc, sm_group_t *g, sm_gc_write_t *w)
{
	SM_ASSERT_HELD(&gc->lock);
	sm_err_t se = SM_ERR_NONE;
	if (gc->gmm && sm_gmm_store_group(gc->gmm, g, gc->wall(), sm_gc_write_done, w, &se))
		return;
	sm_gc_write_end(gc, w, se);
	sm_gc_write_free(w);
}

/* Kafka's GroupMetadataManager.storeGroup mapping of a write error. */
static sm_err_t sm_gc_group_store_error(sm_group_coordinator_t *gc, const sm_group_t *g, sm_err_t se)
{
	switch (se) {
	case SM_ERR_NONE:
		return SM_ERR_NONE;
	case SM_ERR_UNKNOWN_TOPIC_OR_PARTITION:
	case SM_ERR_NOT_ENOUGH_REPLICAS:
	case SM_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
		return SM_ERR_COORDINATOR_NOT_AVAILABLE;
	case SM_ERR_NOT_LEADER_OR_FOLLOWER:
	case SM_ERR_KAFKA_STORAGE_ERROR:
		return SM_ERR_NOT_COORDINATOR;
	case SM_ERR_REQUEST_TIMED_OUT:
		return SM_ERR_REBALANCE_IN_PROGRESS;
	case SM_ERR_MESSAGE_TOO_LARGE:
	case SM_ERR_RECORD_LIST_TOO_LARGE:
	case SM_ERR_INVALID_FETCH_SIZE:
		sm_log_error(gc->comp, SM_GC_LOGGER, "Appending metadata message for group %s generation %d failed due to %s, returning UNKNOWN error code to the client",
			     g->group_id, g->generation, sm_err_name(se));
		return SM_ERR_UNKNOWN_SERVER_ERROR;
	default:
		sm_log_error(gc->comp, SM_GC_LOGGER, "Appending metadata message for group %s generation %d failed due to unexpected error: %s",
			     g->group_id, g->generation, sm_err_name(se));
		return (sm_err_t)sm_err_to_wire(se);
	}
}

/* Kafka's GroupMetadataManager.storeOffsets mapping of a write error
 * (REQUEST_TIMED_OUT passes through, as in Kafka 2.8). */
static sm_err_t sm_gc_commit_error(sm_err_t se)
{
	switch (se) {
	case SM_ERR_NONE:
		return SM_ERR_NONE;
	case SM_ERR_UNKNOWN_TOPIC_OR_PARTITION:
	case SM_ERR_NOT_ENOUGH_REPLICAS:
	case SM_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
		return SM_ERR_COORDINATOR_NOT_AVAILABLE;
	case SM_ERR_NOT_LEADER_OR_FOLLOWER:
	case SM_ERR_KAFKA_STORAGE_ERROR:
		return SM_ERR_NOT_COORDINATOR;
	case SM_ERR_MESSAGE_TOO_LARGE:
	case SM_ERR_RECORD_LIST_TOO_LARGE:
	case SM_ERR_INVALID_FETCH_SIZE:
		return SM_ERR_INVALID_COMMIT_OFFSET_SIZE;
	default:
		return (sm_err_t)sm_err_to_wire(se);
	}
}

/* An Empty group's metadata after a rebalance; only logged if it fails. */
static void sm_gc_store_empty_group(sm_group_coordinator_t *gc, sm_group_t *g)
{
	sm_gc_write_group_metadata(gc, g, sm_gc_write_new(gc, SM_GC_W_EMPTY, g));
}

static void sm_gc_complete_join(sm_group_coordinator_t *gc, sm_group_t *g)
{
	SM_ASSERT_HELD(&gc->lock);
	sm_group_member_t *m = g->members;
	while (m) {
		sm_group_member_t *next = m->next;
		if (!m->join_cb) {
			sm_log_info(gc->comp, SM_GC_LOGGER, "Member %s in group %s has failed, removing it from the group",
				    m->member_id, g->group_id);
			sm_gc_fail_member(m, SM_ERR_UNKNOWN_MEMBER_ID);
			sm_group_remove_member(g, m);
			sm_gc_member_free(gc, m);
		}
		m = next;
	}
	g->initial_delay_end = 0;
	g->generation++;
	free(g->protocol_name);
	g->protocol_name = NULL;
	if (!g->members) {
		sm_gc_set_state(gc, g, SM_GROUP_EMPTY);
		sm_log_info(gc->comp, SM_GC_LOGGER, "Group %s with generation %d is now empty (%s-%d)",
			    g->group_id, g->generation, SM_GC_OFFSETS_TOPIC, g->partition);
		sm_gc_store_empty_group(gc, g);
		return;
	}
	const char *proto = sm_group_select_protocol(g);
	g->protocol_name = proto ? sm_strdup(proto) : NULL;
	if (!g->leader_id || !sm_group_find_member(g, g->leader_id)) {
		free(g->leader_id);
		g->leader_id = sm_strdup(g->members->member_id);
	}
	sm_gc_set_state(gc, g, SM_GROUP_COMPLETING_REBALANCE);
	sm_log_info(gc->comp, SM_GC_LOGGER, "Stabilized group %s generation %d (%s-%d) with %d members",
		    g->group_id, g->generation, SM_GC_OFFSETS_TOPIC, g->partition, g->n_members);
	int64_t now = gc->mono();
	for (m = g->members; m; m = m->next) {
		sm_gc_touch(gc, g, m, now);
		m->is_new = 0;
		if (m->join_cb) {
			sm_gc_join_cb_t *cb = m->join_cb;
			m->join_cb = NULL;
			sm_gc_join_reply(g, m, cb, m->join_opaque);
		}
	}
}

static void sm_gc_try_complete_join(sm_group_coordinator_t *gc, sm_group_t *g)
{
	SM_ASSERT_HELD(&gc->lock);
	if (g->state != SM_GROUP_PREPARING_REBALANCE || g->initial_delay_end > 0)
		return;
	for (sm_group_member_t *m = g->members; m; m = m->next)
		if (!m->join_cb)
			return;
	if (sm_gc_pending_in_group(gc, g))
		return;
	sm_gc_complete_join(gc, g);
}

/* Removes m after LeaveGroup or session expiry and moves the group on. */
static void sm_gc_remove_and_update(sm_group_coordinator_t *gc, sm_group_t *g, sm_group_member_t *m,
				    const char *reason)
{
	sm_gc_fail_member(m, SM_ERR_UNKNOWN_MEMBER_ID);
	sm_group_remove_member(g, m);
	sm_gc_member_free(gc, m);
	switch (g->state) {
	case SM_GROUP_STABLE:
	case SM_GROUP_COMPLETING_REBALANCE:
		sm_gc_prepare_rebalance(gc, g, reason);
		sm_gc_try_complete_join(gc, g);
		break;
	case SM_GROUP_PREPARING_REBALANCE:
		sm_gc_try_complete_join(gc, g);
		break;
	default:
		break;
	}
}

/* ---- JoinGroup ---- */

static void sm_gc_member_update(sm_group_coordinator_t *gc, sm_group_t *g, sm_group_member_t *m,
				const sm_gc_join_req_t *req)
{
	sm_group_member_set_protocols(m, req->protocols, req->n_protocols);
	m->session_timeout_ms = req->session_timeout_ms;
	m->rebalance_timeout_ms = req->rebalance_timeout_ms > 0 ? req->rebalance_timeout_ms
								  : req->session_timeout_ms;
	sm_gc_touch(gc, g, m, gc->mono());
}

/* Parks m's JoinGroup (a previous one is answered first). */
static void sm_gc_park_join(sm_group_member_t *m, sm_gc_join_cb_t *cb, void *opaque)
{
	if (m->join_cb)
		sm_gc_join_error(m->join_cb, m->join_opaque, SM_ERR_REBALANCE_IN_PROGRESS, m->member_id);
	m->join_cb = cb;
	m->join_opaque = opaque;
}

static void sm_gc_add_member(sm_group_coordinator_t *gc, sm_group_t *g, const sm_gc_join_req_t *req,
			     char *member_id, sm_gc_join_cb_t *cb, void *opaque)
{
	sm_group_member_t *m = sm_group_member_new(member_id, req->group_instance_id, req->client_id,
						   req->client_host);
	free(member_id);
	sm_gc_member_update(gc, g, m, req);
	m->is_new = 1;
	if (!g->members) {
		free(g->protocol_type);
		g->protocol_type = sm_strdup(req->protocol_type);
	}
	sm_group_add_member(g, m);
	sm_gc_park_join(m, cb, opaque);
	if (g->state == SM_GROUP_PREPARING_REBALANCE) {
		g->new_member_added = 1;
		sm_gc_try_complete_join(gc, g);
	} else {
		char reason[300];
		snprintf(reason, sizeof(reason), "Adding new member %.200s", m->member_id);
		sm_gc_prepare_rebalance(gc, g, reason);
		sm_gc_try_complete_join(gc, g);
	}
}

/* Replaces the member id of static member m (Kafka's
 * replaceGroupInstance): whatever the old instance has parked is fenced,
 * and the leader id follows the member. */
static void sm_gc_rename_member(sm_group_t *g, sm_group_member_t *m, const char *id)
{
	sm_gc_fail_member(m, SM_ERR_FENCED_INSTANCE_ID);
	int was_leader = g->leader_id && !strcmp(g->leader_id, m->member_id);
	free(m->member_id);
	m->member_id = sm_strdup(id);
	if (was_leader) {
		free(g->leader_id);
		g->leader_id = sm_strdup(id);
	}
}

/* A static member (KIP-345) rejoining with an empty member id, i.e. a
 * restarted instance, takes over its old self under a fresh id (Kafka's
 * updateStaticMemberAndRebalance). It keeps its session and rebalance
 * timeouts and assignment; only its protocols are updated. Whether the
 * group rebalances depends only on the group's state:
 * - Stable: no rebalance unless the protocol the group would now select
 *   differs from the current one. Being the leader does not matter: the
 *   answer names the previous leader id, which is no longer any member's,
 *   so the returning instance does not run an assignment that a Stable
 *   group would never distribute. The group is written first (the new
 *   member id must survive a coordinator move) and the JoinGroup is
 *   answered when the write ends (sm_gc_static_stored).
 * - CompletingRebalance: rebalance, since the leader may be assigning to
 *   the old member id.
 * - PreparingRebalance: the member simply counts as joined. */
static void sm_gc_replace_static(sm_group_coordinator_t *gc, sm_group_t *g, sm_group_member_t *m,
				 const sm_gc_join_req_t *req, sm_gc_join_cb_t *cb, void *opaque)
{
	char *id = sm_gc_member_id(req->client_id);
	sm_log_info(gc->comp, SM_GC_LOGGER, "Static member %s of group %s with unknown member id rejoins, assigning new member id %s, while old member id %s will be removed.",
		    m->group_instance_id, g->group_id, id, m->member_id);
	sm_gc_write_t *w = sm_gc_write_new(gc, SM_GC_W_STATIC, g);
	w->new_member_id = id;
	w->old_member_id = sm_strdup(m->member_id);
	w->old_leader_id = g->leader_id ? sm_strdup(g->leader_id) : NULL;
	w->old_protocols = sm_group_member_new("", NULL, NULL, NULL);
	sm_group_member_set_protocols(w->old_protocols, m->protocols, m->n_protocols);
	sm_gc_rename_member(g, m, id);
	sm_gc_touch(gc, g, m, gc->mono());
	sm_group_member_set_protocols(m, req->protocols, req->n_protocols);
	sm_gc_park_join(m, cb, opaque);
	switch (g->state) {
	case SM_GROUP_STABLE: {
		const char *next = sm_group_select_protocol(g);
		if (next && g->protocol_name && !strcmp(next, g->protocol_name)) {
			sm_gc_write_group_metadata(gc, g, w);
			return;
		}
		char reason[512];
		snprintf(reason, sizeof(reason), "Group's selectedProtocol will change because static member %.200s with instance id %.100s joined with change of protocol",
			 m->member_id, m->group_instance_id);
		sm_gc_prepare_rebalance(gc, g, reason);
		break;
	}
	case SM_GROUP_COMPLETING_REBALANCE: {
		char reason[512];
		snprintf(reason, sizeof(reason), "Updating metadata for static member %.200s with instance id %.100s",
			 m->member_id, m->group_instance_id);
		sm_gc_prepare_rebalance(gc, g, reason);
		break;
	}
	default:
		break;
	}
	sm_gc_write_free(w);
	sm_gc_try_complete_join(gc, g);
}

/* The write of a Stable group after a static member's id was replaced
 * ended: answer the new instance with the current generation (and the
 * leader id from before the replacement), or on failure undo the
 * replacement and answer the error. */
static void sm_gc_static_stored(sm_group_coordinator_t *gc, sm_group_t *g, sm_gc_write_t *w, sm_err_t se)
{
	sm_group_member_t *m = g ? sm_group_find_member(g, w->new_member_id) : NULL;
	if (!m || !m->join_cb)
		return;
	sm_gc_join_cb_t *cb = m->join_cb;
	void *opaque = m->join_opaque;
	m->join_cb = NULL;
	if (se) {
		sm_err_t err = sm_gc_group_store_error(gc, g, se);
		sm_log_warn(gc->comp, SM_GC_LOGGER, "Failed to persist metadata for group %s: %s",
			    g->group_id, sm_err_name(err));
		sm_group_member_set_protocols(m, w->old_protocols->protocols, w->old_protocols->n_protocols);
		sm_gc_rename_member(g, m, w->old_member_id);
		sm_gc_touch(gc, g, m, gc->mono());
		sm_gc_join_result_t r = { .error = err, .generation_id = g->generation,
					  .protocol_type = g->protocol_type, .protocol_name = g->protocol_name,
					  .leader = w->old_leader_id ? w->old_leader_id : "", .member_id = "" };
		cb(opaque, &r);
		return;
	}
	sm_gc_join_result_t r = { .error = SM_ERR_NONE, .generation_id = g->generation,
				  .protocol_type = g->protocol_type, .protocol_name = g->protocol_name,
				  .leader = w->old_leader_id ? w->old_leader_id : "",
				  .member_id = m->member_id };
	cb(opaque, &r);
}

static void sm_gc_join_new(sm_group_coordinator_t *gc, sm_group_t *g, const sm_gc_join_req_t *req,
			   sm_gc_join_cb_t *cb, void *opaque)
{
	if (req->group_instance_id) {
		sm_group_member_t *old = sm_group_find_static(g, req->group_instance_id);
		if (old) {
			sm_gc_replace_static(gc, g, old, req, cb, opaque);
			return;
		}
	}
	if (gc->cfg.max_size > 0 && g->n_members >= gc->cfg.max_size) {
		sm_gc_join_error(cb, opaque, SM_ERR_GROUP_MAX_SIZE_REACHED, "");
		return;
	}
	char *id = sm_gc_member_id(req->client_id);
	if (req->require_known_member_id && !req->group_instance_id) {
		sm_gc_pending_t *p = sm_calloc(1, sizeof(*p));
		p->group_id = sm_strdup(g->group_id);
		p->member_id = id;
		sm_gc_timer_init(&p->timer, SM_GROUP_TIMER_PENDING, p, NULL);
		sm_gc_arm(gc, &p->timer, sm_i64_sat_add(gc->mono(), req->session_timeout_ms));
		p->next = gc->pending;
		gc->pending = p;
		sm_gc_join_error(cb, opaque, SM_ERR_MEMBER_ID_REQUIRED, id);
		return;
	}
	sm_gc_add_member(gc, g, req, id, cb, opaque);
}

/* Takes the pending id out of the list; 1 if it was there. */
static int sm_gc_take_pending(sm_group_coordinator_t *gc, const char *group_id, const char *member_id)
{
	for (sm_gc_pending_t **pp = &gc->pending; *pp; pp = &(*pp)->next) {
		sm_gc_pending_t *p = *pp;
		if (strcmp(p->group_id, group_id) || strcmp(p->member_id, member_id))
			continue;
		*pp = p->next;
		sm_gc_timer_cancel(&gc->timers, &p->timer);
		free(p->group_id);
		free(p->member_id);
		free(p);
		return 1;
	}
	return 0;
}

static void sm_gc_join_known(sm_group_coordinator_t *gc, sm_group_t *g, const sm_gc_join_req_t *req,
			     sm_gc_join_cb_t *cb, void *opaque)
{
	sm_group_member_t *m = sm_group_find_member(g, req->member_id);
	if (!m && sm_gc_take_pending(gc, g->group_id, req->member_id)) {
		if (gc->cfg.max_size > 0 && g->n_members >= gc->cfg.max_size)
			sm_gc_join_error(cb, opaque, SM_ERR_GROUP_MAX_SIZE_REACHED, req->member_id);
		else
			sm_gc_add_member(gc, g, req, sm_strdup(req->member_id), cb, opaque);
		return;
	}
	if (sm_gc_fenced(gc, g, req->member_id, req->group_instance_id, "join-group")) {
		sm_gc_join_error(cb, opaque, SM_ERR_FENCED_INSTANCE_ID, req->member_id);
		return;
	}
	/* An unknown id, or a static instance id the group does not know:
	 * the member resets its id and joins anew. */
	if (!m || (req->group_instance_id && !sm_group_find_static(g, req->group_instance_id))) {
		sm_gc_join_error(cb, opaque, SM_ERR_UNKNOWN_MEMBER_ID, req->member_id);
		return;
	}
	int same = sm_group_member_same_protocols(m, req->protocols, req->n_protocols);
	int is_leader = g->leader_id && !strcmp(g->leader_id, m->member_id);
	switch (g->state) {
	case SM_GROUP_PREPARING_REBALANCE:
		sm_gc_member_update(gc, g, m, req);
		sm_gc_park_join(m, cb, opaque);
		sm_gc_try_complete_join(gc, g);
		return;
	case SM_GROUP_COMPLETING_REBALANCE:
	case SM_GROUP_STABLE:
		if (same && (g->state == SM_GROUP_COMPLETING_REBALANCE || !is_leader)) {
			sm_gc_touch(gc, g, m, gc->mono());
			sm_gc_join_reply(g, m, cb, opaque);
			return;
		}
		sm_gc_member_update(gc, g, m, req);
		sm_gc_park_join(m, cb, opaque);
		sm_gc_prepare_rebalance(gc, g, is_leader ? "leader rejoined" : "member changed its protocols");
		sm_gc_try_complete_join(gc, g);
		return;
	default:
		sm_gc_join_error(cb, opaque, SM_ERR_UNKNOWN_MEMBER_ID, req->member_id);
		return;
	}
}

void sm_group_coordinator_join(sm_group_coordinator_t *gc, const sm_gc_join_req_t *req,
			       sm_gc_join_cb_t *cb, void *opaque)
{
	pthread_mutex_lock(&gc->lock);
	sm_gc_run_due(gc);
	const char *mid = req->member_id ? req->member_id : "";
	sm_err_t e = SM_ERR_NONE;
	if (!req->group_id || !*req->group_id)
		e = SM_ERR_INVALID_GROUP_ID;
	else
		e = sm_gc_owner_err(gc, req->group_id);
	if (!e && (req->session_timeout_ms < gc->cfg.min_session_timeout_ms ||
		   req->session_timeout_ms > gc->cfg.max_session_timeout_ms))
		e = SM_ERR_INVALID_SESSION_TIMEOUT;
	sm_group_t *g = e ? NULL : sm_gc_find(gc, req->group_id);
	if (!e && !g && *mid)
		e = SM_ERR_UNKNOWN_MEMBER_ID;
	if (!e && !g)
		g = sm_gc_create(gc, req->group_id);
	if (!e && g->state == SM_GROUP_DEAD)
		e = SM_ERR_COORDINATOR_NOT_AVAILABLE;
	if (!e && !sm_group_supports_protocols(g, req->protocol_type, req->protocols, req->n_protocols))
		e = SM_ERR_INCONSISTENT_GROUP_PROTOCOL;
	if (e) {
		sm_gc_join_error(cb, opaque, e, mid);
	} else {
		sm_gc_join_req_t r = *req;
		r.member_id = mid;
		if (*mid)
			sm_gc_join_known(gc, g, &r, cb, opaque);
		else
			sm_gc_join_new(gc, g, &r, cb, opaque);
	}
	pthread_mutex_unlock(&gc->lock);
}

/* ---- SyncGroup ---- */

/* The leader's assignment is written; the group becomes Stable once the
 * write ends well (sm_gc_sync_stored). */
static void sm_gc_sync_leader(sm_group_coordinator_t *gc, sm_group_t *g, const sm_gc_sync_req_t *req)
{
	sm_log_info(gc->comp, SM_GC_LOGGER, "Assignment received from leader for group %s for generation %d",
		    g->group_id, g->generation);
	for (sm_group_member_t *m = g->members; m; m = m->next) {
		sm_group_member_set_assignment(m, NULL, 0);
		for (int i = 0; i < req->n_assignments; i++)
			if (req->assignments[i].member_id &&
			    !strcmp(req->assignments[i].member_id, m->member_id))
				sm_group_member_set_assignment(m, req->assignments[i].assignment,
							       req->assignments[i].len);
	}
	sm_gc_write_group_metadata(gc, g, sm_gc_write_new(gc, SM_GC_W_SYNC, g));
}

/* The write of the assignment of g's current generation ended: propagate
 * the assignment, or the error followed by a new rebalance (Kafka's
 * setAndPropagateAssignment / resetAndPropagateAssignmentError). */
static void sm_gc_sync_stored(sm_group_coordinator_t *gc, sm_group_t *g, sm_err_t se)
{
	if (se) {
		sm_err_t err = sm_gc_group_store_error(gc, g, se);
		for (sm_group_member_t *m = g->members; m; m = m->next) {
			sm_group_member_set_assignment(m, NULL, 0);
			if (m->sync_cb) {
				sm_gc_sync_cb_t *cb = m->sync_cb;
				m->sync_cb = NULL;
				sm_gc_sync_error(cb, m->sync_opaque, err);
			}
		}
		char reason[300];
		snprintf(reason, sizeof(reason), "error when storing group assignment during SyncGroup (member: %.200s)",
			 g->leader_id ? g->leader_id : "");
		sm_gc_prepare_rebalance(gc, g, reason);
		sm_gc_try_complete_join(gc, g);
		return;
	}
	sm_gc_set_state(gc, g, SM_GROUP_STABLE);
	for (sm_group_member_t *m = g->members; m; m = m->next) {
		if (!m->sync_cb)
			continue;
		sm_gc_sync_cb_t *cb = m->sync_cb;
		m->sync_cb = NULL;
		sm_gc_sync_result_t r = { .protocol_type = g->protocol_type, .protocol_name = g->protocol_name,
					  .assignment = m->assignment, .assignment_len = m->assignment_len };
		cb(m->sync_opaque, &r);
		sm_gc_touch(gc, g, m, gc->mono());
	}
}

static sm_err_t sm_gc_sync_check(sm_group_coordinator_t *gc, const sm_gc_sync_req_t *req,
				 sm_group_t **gp, sm_group_member_t **mp)
{
	sm_err_t e = sm_gc_owner_err(gc, req->group_id);
	if (e)
		return e;
	sm_group_t *g = sm_gc_find(gc, req->group_id);
	if (!g)
		return SM_ERR_UNKNOWN_MEMBER_ID;
	if (g->state == SM_GROUP_DEAD)
		return SM_ERR_COORDINATOR_NOT_AVAILABLE;
	if (sm_gc_fenced(gc, g, req->member_id, req->group_instance_id, "sync-group"))
		return SM_ERR_FENCED_INSTANCE_ID;
	sm_group_member_t *m = req->member_id ? sm_group_find_member(g, req->member_id) : NULL;
	if (!m)
		return SM_ERR_UNKNOWN_MEMBER_ID;
	if (req->generation_id != g->generation)
		return SM_ERR_ILLEGAL_GENERATION;
	if ((req->protocol_type && g->protocol_type && strcmp(req->protocol_type, g->protocol_type)) ||
	    (req->protocol_name && g->protocol_name && strcmp(req->protocol_name, g->protocol_name)))
		return SM_ERR_INCONSISTENT_GROUP_PROTOCOL;
	*gp = g;
	*mp = m;
	return SM_ERR_NONE;
}

void sm_group_coordinator_sync(sm_group_coordinator_t *gc, const sm_gc_sync_req_t *req,
			       sm_gc_sync_cb_t *cb, void *opaque)
{
	pthread_mutex_lock(&gc->lock);
	sm_gc_run_due(gc);
	sm_group_t *g = NULL;
	sm_group_member_t *m = NULL;
	sm_err_t e = sm_gc_sync_check(gc, req, &g, &m);
	if (e) {
		sm_gc_sync_error(cb, opaque, e);
	} else if (g->state == SM_GROUP_PREPARING_REBALANCE) {
		sm_gc_sync_error(cb, opaque, SM_ERR_REBALANCE_IN_PROGRESS);
	} else if (g->state == SM_GROUP_COMPLETING_REBALANCE) {
		if (m->sync_cb)
			sm_gc_sync_error(m->sync_cb, m->sync_opaque, SM_ERR_REBALANCE_IN_PROGRESS);
		m->sync_cb = cb;
		m->sync_opaque = opaque;
		sm_gc_touch(gc, g, m, gc->mono());
		if (g->leader_id && !strcmp(g->leader_id, m->member_id))
			sm_gc_sync_leader(gc, g, req);
	} else if (g->state == SM_GROUP_STABLE) {
		sm_gc_touch(gc, g, m, gc->mono());
		sm_gc_sync_result_t r = { .protocol_type = g->protocol_type, .protocol_name = g->protocol_name,
					  .assignment = m->assignment, .assignment_len = m->assignment_len };
		cb(opaque, &r);
	} else {
		sm_gc_sync_error(cb, opaque, SM_ERR_UNKNOWN_MEMBER_ID);
	}
	pthread_mutex_unlock(&gc->lock);
}

/* ---- Heartbeat / LeaveGroup ---- */

sm_err_t sm_group_coordinator_heartbeat(sm_group_coordinator_t *gc, const char *group_id,
					const char *member_id, const char *group_instance_id,
					int32_t generation_id)
{
	pthread_mutex_lock(&gc->lock);
	sm_gc_run_due(gc);
	sm_err_t e = sm_gc_owner_err(gc, group_id);
	sm_group_t *g = e ? NULL : sm_gc_find(gc, group_id);
	sm_group_member_t *m = NULL;
	if (!e && !g)
		e = SM_ERR_UNKNOWN_MEMBER_ID;
	else if (!e && g->state == SM_GROUP_DEAD)
		e = SM_ERR_COORDINATOR_NOT_AVAILABLE;
	if (!e && sm_gc_fenced(gc, g, member_id, group_instance_id, "heartbeat"))
		e = SM_ERR_FENCED_INSTANCE_ID;
	if (!e && !(m = sm_group_find_member(g, member_id ? member_id : "")))
		e = SM_ERR_UNKNOWN_MEMBER_ID;
	if (!e && generation_id != g->generation)
		e = SM_ERR_ILLEGAL_GENERATION;
	if (!e) {
		sm_gc_touch(gc, g, m, gc->mono());
		if (g->state == SM_GROUP_PREPARING_REBALANCE)
			e = SM_ERR_REBALANCE_IN_PROGRESS;
	}
	pthread_mutex_unlock(&gc->lock);
	return e;
}

sm_err_t sm_group_coordinator_leave(sm_group_coordinator_t *gc, const char *group_id,
				    sm_gc_leave_member_t *lm, int n)
{
	pthread_mutex_lock(&gc->lock);
	sm_gc_run_due(gc);
	sm_err_t e = sm_gc_owner_err(gc, group_id);
	sm_group_t *g = e ? NULL : sm_gc_find(gc, group_id);
	if (!e && g && g->state == SM_GROUP_DEAD)
		e = SM_ERR_COORDINATOR_NOT_AVAILABLE;
	for (int i = 0; !e && i < n; i++) {
		const char *mid = lm[i].member_id ? lm[i].member_id : "";
		const char *iid = lm[i].group_instance_id;
		/* Kafka's handleLeaveGroup: a member id that is not the
		 * instance's current one is fenced; otherwise the static
		 * instance (KIP-345 admin removal by instance id) or the
		 * member id names who leaves. */
		if (g && *mid && sm_gc_fenced(gc, g, mid, iid, "leave-group")) {
			lm[i].error = SM_ERR_FENCED_INSTANCE_ID;
			continue;
		}
		sm_group_member_t *m = NULL;
		if (g && iid)
			m = sm_group_find_static(g, iid);
		if (g && !m)
			m = sm_group_find_member(g, mid);
		if (!m && g && *mid && sm_gc_take_pending(gc, g->group_id, mid)) {
			lm[i].error = SM_ERR_NONE;
			sm_gc_try_complete_join(gc, g);
			continue;
		}
		if (!m) {
			lm[i].error = SM_ERR_UNKNOWN_MEMBER_ID;
			continue;
		}
		lm[i].error = SM_ERR_NONE;
		char reason[300];
		snprintf(reason, sizeof(reason), "removing member %.200s on LeaveGroup", m->member_id);
		sm_log_info(gc->comp, SM_GC_LOGGER, "Member %s has left group %s through explicit LeaveGroup request",
			    m->member_id, g->group_id);
		sm_gc_remove_and_update(gc, g, m, reason);
	}
	pthread_mutex_unlock(&gc->lock);
	return e;
}

/* ---- offsets ---- */

static sm_err_t sm_gc_commit_check(sm_group_coordinator_t *gc, const char *group_id,
				   int32_t generation_id, const char *member_id,
				   const char *instance_id, sm_group_t **gp)
{
	sm_err_t e = sm_gc_owner_err(gc, group_id);
	if (e)
		return e;
	sm_group_t *g = sm_gc_find(gc, group_id);
	if (!g) {
		/* A group-less (simple) consumer commits with generation -1. */
		if (generation_id >= 0)
			return SM_ERR_ILLEGAL_GENERATION;
		*gp = sm_gc_create(gc, group_id);
		return SM_ERR_NONE;
	}
	if (g->state == SM_GROUP_DEAD)
		return SM_ERR_COORDINATOR_NOT_AVAILABLE;
	*gp = g;
	if (sm_gc_fenced(gc, g, member_id, instance_id, "commit-offsets"))
		return SM_ERR_FENCED_INSTANCE_ID;
	if (generation_id < 0 && g->state == SM_GROUP_EMPTY)
		return SM_ERR_NONE;
	sm_group_member_t *m = member_id ? sm_group_find_member(g, member_id) : NULL;
	if (!m)
		return SM_ERR_UNKNOWN_MEMBER_ID;
	if (generation_id != g->generation)
		return SM_ERR_ILLEGAL_GENERATION;
	/* Kafka checks the state last: a valid member of the current
	 * generation that has not synced yet retries after the rebalance. */
	if (g->state == SM_GROUP_COMPLETING_REBALANCE)
		return SM_ERR_REBALANCE_IN_PROGRESS;
	sm_gc_touch(gc, g, m, gc->mono());
	return SM_ERR_NONE;
}

/* The offset commit w ended: the offsets enter the cache if the write
 * succeeded and they are still pending and newer than what is there
 * (Kafka's onOffsetCommitAppend / failPendingOffsetWrite); then the
 * request is answered. */
static void sm_gc_commit_stored(sm_group_coordinator_t *gc, sm_gc_write_t *w, sm_err_t se)
{
	sm_group_t *g = sm_gc_write_group(gc, w);
	for (int j = 0; g && w->pid >= 0 && j < w->nrec; j++) {
		/* A transactional offset stays pending until its producer's
		 * marker; its write only tells whether it may be committed
		 * (Kafka's onTxnOffsetCommitAppend / failPendingTxnOffsetCommit).
		 * A newer commit of the same producer replaced it if the
		 * write_seq differs. */
		const sm_group_offset_t *r = &w->recs[j];
		sm_group_txn_offset_t *t = sm_group_txn_find(g, w->pid, r->topic, r->partition);
		if (!t || t->o.write_seq != w->write_seq)
			continue;
		if (se)
			sm_group_txn_remove(g, w->pid, r->topic, r->partition);
		else
			t->appended = 1;
	}
	for (int j = 0; g && w->pid < 0 && j < w->nrec; j++) {
		const sm_group_offset_t *r = &w->recs[j];
		uint64_t pending = sm_group_pending_seq(g, r->topic, r->partition);
		if (!se && pending) {
			sm_group_offset_t *o = sm_group_offset_find(g, r->topic, r->partition);
			if (!o || o->write_seq < w->write_seq) {
				o = sm_group_offset_put(g, r->topic, r->partition, r->offset, r->leader_epoch,
							r->metadata, r->commit_ts, r->expire_ts);
				o->write_seq = w->write_seq;
			}
		}
		if (pending == w->write_seq)
			sm_group_pending_remove(g, r->topic, r->partition);
	}
	sm_err_t err = sm_gc_commit_error(se);
	if (se)
		sm_log_debug(gc->comp, SM_GC_LOGGER, "Offset commit of %d partitions from group %s with generation %d failed when appending to log due to %s",
			     w->nrec, w->group_id, w->generation, sm_err_name(se));
	for (int i = 0; i < w->n; i++)
		if (!w->e[i].error)
			w->e[i].error = err;
	w->cb(w->opaque, SM_ERR_NONE);
}

/* Validates e[] into records; entries with too large metadata get
 * OFFSET_METADATA_TOO_LARGE and are not written. Returns the count. */
static int sm_gc_commit_records(sm_group_coordinator_t *gc, sm_gc_offset_t *e, int n,
				sm_group_offset_t *recs)
{
	int64_t now = gc->wall();
	int nrec = 0;
	for (int i = 0; i < n; i++) {
		e[i].error = SM_ERR_NONE;
		if (e[i].metadata && strlen(e[i].metadata) > SM_GC_OFFSET_METADATA_MAX_BYTES) {
			e[i].error = SM_ERR_OFFSET_METADATA_TOO_LARGE;
			continue;
		}
		sm_group_offset_t *r = &recs[nrec++];
		r->topic = (char *)e[i].topic;
		r->partition = e[i].partition;
		r->offset = e[i].offset;
		r->leader_epoch = e[i].leader_epoch;
		r->metadata = (char *)(e[i].metadata ? e[i].metadata : "");
		r->commit_ts = e[i].commit_ts >= 0 ? e[i].commit_ts : now;
		r->expire_ts = e[i].expire_ts;
	}
	return nrec;
}

void sm_group_coordinator_commit_offsets(sm_group_coordinator_t *gc, const char *group_id,
					 int32_t generation_id, const char *member_id,
					 const char *group_instance_id, sm_gc_offset_t *e, int n,
					 sm_gc_commit_cb_t *cb, void *opaque)
{
	pthread_mutex_lock(&gc->lock);
	sm_gc_run_due(gc);
	sm_group_t *g = NULL;
	sm_err_t err = sm_gc_commit_check(gc, group_id, generation_id, member_id, group_instance_id, &g);
	if (err || n <= 0) {
		for (int i = 0; i < n; i++)
			e[i].error = err;
		cb(opaque, err);
		pthread_mutex_unlock(&gc->lock);
		return;
	}
	sm_gc_write_t *w = sm_gc_write_new(gc, SM_GC_W_COMMIT, g);
	w->recs = sm_calloc((size_t)n, sizeof(*w->recs));
	w->nrec = sm_gc_commit_records(gc, e, n, w->recs);
	w->write_seq = ++gc->next_write_seq;
	w->e = e;
	w->n = n;
	w->cb = cb;
	w->opaque = opaque;
	for (int j = 0; j < w->nrec; j++)
		sm_group_pending_add(g, w->recs[j].topic, w->recs[j].partition, w->write_seq);
	sm_err_t se = SM_ERR_NONE;
	if (!w->nrec || !gc->gmm ||
	    !sm_gmm_store_offsets(gc->gmm, g->partition, group_id, w->recs, w->nrec,
				  sm_gc_write_done, w, &se)) {
		sm_gc_commit_stored(gc, w, se);
		sm_gc_write_free(w);
	}
	pthread_mutex_unlock(&gc->lock);
}

/* Kafka's doTxnCommitOffsets checks: only what the producer sends is
 * enforced (a member id when set, a generation when >= 0). */
static sm_err_t sm_gc_txn_commit_check(sm_group_coordinator_t *gc, const char *group_id,
				       int32_t generation_id, const char *member_id,
				       const char *instance_id, sm_group_t **gp)
{
	if (!group_id || !*group_id)
		return SM_ERR_INVALID_GROUP_ID;
	sm_err_t e = sm_gc_owner_err(gc, group_id);
	if (e)
		return e;
	sm_group_t *g = sm_gc_find(gc, group_id);
	if (!g)
		g = sm_gc_create(gc, group_id);
	*gp = g;
	if (g->state == SM_GROUP_DEAD)
		return SM_ERR_COORDINATOR_NOT_AVAILABLE;
	if (sm_gc_fenced(gc, g, member_id, instance_id, "txn-commit-offsets"))
		return SM_ERR_FENCED_INSTANCE_ID;
	if (member_id && *member_id && !sm_group_find_member(g, member_id))
		return SM_ERR_UNKNOWN_MEMBER_ID;
	if (generation_id >= 0 && generation_id != g->generation)
		return SM_ERR_ILLEGAL_GENERATION;
	return SM_ERR_NONE;
}

void sm_group_coordinator_txn_commit_offsets(sm_group_coordinator_t *gc, const char *group_id,
					     int64_t producer_id, int16_t producer_epoch,
					     int32_t generation_id, const char *member_id,
					     const char *group_instance_id, sm_gc_offset_t *e, int n,
					     sm_gc_commit_cb_t *cb, void *opaque)
{
	pthread_mutex_lock(&gc->lock);
	sm_gc_run_due(gc);
	sm_group_t *g = NULL;
	sm_err_t err = sm_gc_txn_commit_check(gc, group_id, generation_id, member_id,
					      group_instance_id, &g);
	if (err || n <= 0) {
		for (int i = 0; i < n; i++)
			e[i].error = err;
		cb(opaque, err);
		pthread_mutex_unlock(&gc->lock);
		return;
	}
	sm_gc_write_t *w = sm_gc_write_new(gc, SM_GC_W_COMMIT, g);
	w->recs = sm_calloc((size_t)n, sizeof(*w->recs));
	w->nrec = sm_gc_commit_records(gc, e, n, w->recs);
	w->write_seq = ++gc->next_write_seq;
	w->pid = producer_id;
	w->e = e;
	w->n = n;
	w->cb = cb;
	w->opaque = opaque;
	/* Pending from now on (Kafka's prepareTxnOffsetCommit): OffsetFetch
	 * with require_stable answers UNSTABLE_OFFSET_COMMIT for them. Without
	 * a producer id (-1) Kafka stores a plain commit. */
	for (int j = 0; j < w->nrec; j++) {
		const sm_group_offset_t *r = &w->recs[j];
		if (producer_id < 0)
			sm_group_pending_add(g, r->topic, r->partition, w->write_seq);
		else
			sm_group_txn_put(g, producer_id, r->topic, r->partition, r->offset,
					 r->leader_epoch, r->metadata, r->commit_ts, r->expire_ts,
					 w->write_seq);
	}
	sm_err_t se = SM_ERR_NONE;
	if (!w->nrec || !gc->gmm ||
	    !sm_gmm_store_txn_offsets(gc->gmm, g->partition, group_id, producer_id,
				      producer_epoch, w->recs, w->nrec, sm_gc_write_done, w, &se)) {
		sm_gc_commit_stored(gc, w, se);
		sm_gc_write_free(w);
	}
	pthread_mutex_unlock(&gc->lock);
}

/* Kafka's handleTxnCompletion for one offsets partition: every group of
 * it forgets pid's pending offsets, committing them first on COMMIT. */
static void sm_gc_txn_complete_locked(sm_group_coordinator_t *gc, int32_t partition, int64_t pid,
				      int commit)
{
	SM_ASSERT_HELD(&gc->lock);
	for (sm_group_t *g = gc->groups; g; g = g->next) {
		if (g->partition != partition || g->state == SM_GROUP_DEAD || !g->n_txn)
			continue;
		int k = sm_group_txn_complete(g, pid, commit);
		if (k)
			sm_log_debug(gc->comp, SM_GC_LOGGER, "%s of %d transactional offsets of producer %lld in group %s",
				     commit ? "Commit" : "Abort", k, (long long)pid, g->group_id);
	}
}

void sm_group_coordinator_txn_completion(sm_group_coordinator_t *gc, int32_t partition,
					 int64_t producer_id, int commit)
{
	if (partition < 0 || partition >= gc->cfg.num_partitions)
		return;
	pthread_mutex_lock(&gc->lock);
	if (gc->pstate[partition] == SM_GC_P_LOADED) {
		sm_gc_txn_complete_locked(gc, partition, producer_id, commit);
	} else if (gc->pstate[partition] == SM_GC_P_LOADING) {
		/* The load may have read the log before this marker: it
		 * starts over and replays the marker itself. */
		gc->pload[partition] = 1;
		pthread_cond_signal(&gc->cond);
	}
	pthread_mutex_unlock(&gc->lock);
}

/* Kafka's hasPendingOffsetCommitsForTopicPartition. */
static int sm_gc_unstable(const sm_group_t *g, const char *topic, int32_t partition)
{
	return sm_group_pending_seq(g, topic, partition) || sm_group_txn_pending_tp(g, topic, partition);
}

static void sm_gc_offset_copy(sm_gc_offset_t *dst, const sm_group_offset_t *o, sm_arena_t *a)
{
	dst->offset = o->offset;
	dst->leader_epoch = o->leader_epoch;
	dst->metadata = sm_arena_strndup(a, o->metadata, strlen(o->metadata));
	dst->commit_ts = o->commit_ts;
	dst->error = SM_ERR_NONE;
}

sm_err_t sm_group_coordinator_fetch_offsets(sm_group_coordinator_t *gc, const char *group_id,
					    sm_gc_offset_t *e, int n, int require_stable, sm_arena_t *a)
{
	pthread_mutex_lock(&gc->lock);
	sm_gc_run_due(gc);
	sm_err_t err = sm_gc_owner_err(gc, group_id);
	sm_group_t *g = err ? NULL : sm_gc_find(gc, group_id);
	for (int i = 0; i < n; i++) {
		sm_group_offset_t *o = g && e[i].topic ? sm_group_offset_find(g, e[i].topic, e[i].partition) : NULL;
		if (require_stable && g && e[i].topic && sm_gc_unstable(g, e[i].topic, e[i].partition)) {
			/* KIP-447: a commit still being written, or one of an
			 * open transaction, makes the offset unstable. */
			e[i].offset = -1;
			e[i].leader_epoch = -1;
			e[i].metadata = "";
			e[i].error = SM_ERR_UNSTABLE_OFFSET_COMMIT;
		} else if (o) {
			sm_gc_offset_copy(&e[i], o, a);
		} else {
			e[i].offset = -1;
			e[i].leader_epoch = -1;
			e[i].metadata = "";
			e[i].error = err;
		}
	}
	pthread_mutex_unlock(&gc->lock);
	return err;
}

sm_err_t sm_group_coordinator_fetch_all_offsets(sm_group_coordinator_t *gc, const char *group_id,
						int require_stable, sm_arena_t *a,
						sm_gc_offset_t **out, int *n)
{
	pthread_mutex_lock(&gc->lock);
	sm_gc_run_due(gc);
	*out = NULL;
	*n = 0;
	sm_err_t err = sm_gc_owner_err(gc, group_id);
	sm_group_t *g = err ? NULL : sm_gc_find(gc, group_id);
	if (g && g->n_offsets) {
		*out = sm_arena_alloc(a, (size_t)g->n_offsets * sizeof(**out));
		for (int i = 0; i < g->n_offsets; i++) {
			sm_gc_offset_t *d = &(*out)[i];
			d->topic = sm_arena_strndup(a, g->offsets[i].topic, strlen(g->offsets[i].topic));
			d->partition = g->offsets[i].partition;
			sm_gc_offset_copy(d, &g->offsets[i], a);
			if (require_stable && sm_gc_unstable(g, d->topic, d->partition)) {
				d->offset = -1;
				d->leader_epoch = -1;
				d->metadata = "";
				d->error = SM_ERR_UNSTABLE_OFFSET_COMMIT;
			}
		}
		*n = g->n_offsets;
	}
	pthread_mutex_unlock(&gc->lock);
	return err;
}

/* Whether a member's ConsumerProtocolSubscription (int16 version, then an
 * array of topic strings) names topic. */
static int sm_gc_subscribes(const sm_group_protocol_t *p, const char *topic)
{
	if (!p || p->metadata_len < 6)
		return 0;
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, p->metadata, (size_t)p->metadata_len);
	sm_arena_t a;
	sm_arena_init(&a);
	int found = 0;
	(void)sm_rbuf_i16(&rb);
	int32_t cnt = sm_rbuf_i32(&rb);
	for (int32_t i = 0; !rb.err && i < cnt && !found; i++) {
		char *t = sm_rbuf_str(&rb, 0, &a);
		if (t && !strcmp(t, topic))
			found = 1;
	}
	sm_arena_destroy(&a);
	return found;
}

sm_err_t sm_group_coordinator_delete_offsets(sm_group_coordinator_t *gc, const char *group_id,
					     sm_gc_offset_t *e, int n)
{
	pthread_mutex_lock(&gc->lock);
	sm_gc_run_due(gc);
	sm_err_t err = sm_gc_owner_err(gc, group_id);
	sm_group_t *g = err ? NULL : sm_gc_find(gc, group_id);
	if (!err && (!g || g->state == SM_GROUP_DEAD))
		err = SM_ERR_GROUP_ID_NOT_FOUND;
	if (!err && g->members && (!g->protocol_type || strcmp(g->protocol_type, "consumer")))
		err = SM_ERR_NON_EMPTY_GROUP;
	if (!err) {
		sm_group_offset_t *tomb = sm_calloc((size_t)(n ? n : 1), sizeof(*tomb));
		int nt = 0;
		for (int i = 0; i < n; i++) {
			e[i].error = SM_ERR_NONE;
			for (sm_group_member_t *m = g->members; m && g->protocol_name; m = m->next)
				if (sm_gc_subscribes(sm_group_member_protocol(m, g->protocol_name), e[i].topic))
					e[i].error = SM_ERR_GROUP_SUBSCRIBED_TO_TOPIC;
			if (e[i].error)
				continue;
			/* Kafka's removeOffsets also drops a pending commit,
			 * transactional ones included. */
			sm_group_pending_remove(g, e[i].topic, e[i].partition);
			sm_group_txn_remove_tp(g, e[i].topic, e[i].partition);
			if (!sm_group_offset_find(g, e[i].topic, e[i].partition))
				continue;
			tomb[nt].topic = (char *)e[i].topic;
			tomb[nt++].partition = e[i].partition;
		}
		if (gc->gmm && nt)
			sm_gmm_store_tombstones(gc->gmm, g->partition, g->group_id, tomb, nt, 0);
		for (int i = 0; i < nt; i++)
			sm_group_offset_remove(g, tomb[i].topic, tomb[i].partition);
		free(tomb);
	}
	pthread_mutex_unlock(&gc->lock);
	return err;
}

/* ---- DescribeGroups / ListGroups / DeleteGroups ---- */

static const char *sm_gc_adup(sm_arena_t *a, const char *s)
{
	return s ? sm_arena_strndup(a, s, strlen(s)) : NULL;
}

static const uint8_t *sm_gc_abytes(sm_arena_t *a, const uint8_t *p, int32_t len)
{
	if (len <= 0)
		return NULL;
	uint8_t *c = sm_arena_alloc(a, (size_t)len);
	memcpy(c, p, (size_t)len);
	return c;
}

void sm_group_coordinator_describe(sm_group_coordinator_t *gc, const char *group_id,
				   sm_arena_t *a, sm_gc_group_desc_t *out)
{
	memset(out, 0, sizeof(*out));
	out->state = "Dead";
	out->protocol_type = "";
	out->protocol = "";
	pthread_mutex_lock(&gc->lock);
	sm_gc_run_due(gc);
	out->error = sm_gc_owner_err(gc, group_id);
	sm_group_t *g = out->error ? NULL : sm_gc_find(gc, group_id);
	if (g) {
		out->state = sm_group_state_name(g->state);
		out->protocol_type = sm_gc_adup(a, g->protocol_type ? g->protocol_type : "");
		int stable = g->state == SM_GROUP_STABLE;
		out->protocol = sm_gc_adup(a, stable && g->protocol_name ? g->protocol_name : "");
		out->n_members = g->n_members;
		out->members = sm_arena_alloc(a, (size_t)(g->n_members + 1) * sizeof(*out->members));
		int i = 0;
		for (sm_group_member_t *m = g->members; m; m = m->next, i++) {
			sm_gc_member_desc_t *d = &out->members[i];
			d->member_id = sm_gc_adup(a, m->member_id);
			d->group_instance_id = sm_gc_adup(a, m->group_instance_id);
			d->client_id = sm_gc_adup(a, m->client_id);
			d->client_host = sm_gc_adup(a, m->client_host);
			if (!stable)
				continue;
			const sm_group_protocol_t *p = sm_group_member_protocol(m, g->protocol_name);
			if (p) {
				d->metadata = sm_gc_abytes(a, p->metadata, p->metadata_len);
				d->metadata_len = p->metadata_len;
			}
			d->assignment = sm_gc_abytes(a, m->assignment, m->assignment_len);
			d->assignment_len = m->assignment_len;
		}
	}
	pthread_mutex_unlock(&gc->lock);
}

void sm_group_coordinator_metrics(sm_group_coordinator_t *gc, sm_gc_metrics_t *out)
{
	_Static_assert(SM_GROUP_STATE_CNT == 5, "sm_gc_metrics_t.by_state has one slot per state");
	memset(out, 0, sizeof(*out));
	/* Kafka's cache holds the groups of loaded partitions only. */
	pthread_mutex_lock(&gc->lock);
	for (sm_group_t *g = gc->groups; g; g = g->next) {
		if (gc->pstate[g->partition] != SM_GC_P_LOADED)
			continue;
		out->groups++;
		out->offsets += g->n_offsets;
		out->by_state[g->state]++;
	}
	pthread_mutex_unlock(&gc->lock);
}

sm_err_t sm_group_coordinator_list(sm_group_coordinator_t *gc, const char *const *states,
				   int n_states, sm_arena_t *a, sm_gc_group_listing_t **out, int *n)
{
	pthread_mutex_lock(&gc->lock);
	sm_gc_run_due(gc);
	sm_err_t err = SM_ERR_NONE;
	for (int p = 0; p < gc->cfg.num_partitions; p++)
		if (gc->pstate[p] == SM_GC_P_LOADING)
			err = SM_ERR_COORDINATOR_LOAD_IN_PROGRESS;
	int cnt = 0;
	for (sm_group_t *g = gc->groups; g; g = g->next)
		cnt++;
	*out = sm_arena_alloc(a, (size_t)(cnt + 1) * sizeof(**out));
	*n = 0;
	for (sm_group_t *g = gc->groups; g; g = g->next) {
		if (gc->pstate[g->partition] != SM_GC_P_LOADED || g->state == SM_GROUP_DEAD)
			continue;
		const char *st = sm_group_state_name(g->state);
		int match = n_states == 0;
		for (int i = 0; i < n_states && !match; i++)
			match = states[i] && !strcasecmp(states[i], st);
		if (!match)
			continue;
		sm_gc_group_listing_t *l = &(*out)[(*n)++];
		l->group_id = sm_gc_adup(a, g->group_id);
		l->protocol_type = sm_gc_adup(a, g->protocol_type ? g->protocol_type : "");
		l->state = st;
	}
	pthread_mutex_unlock(&gc->lock);
	return err;
}

/* Writes tombstones for all of g's offsets and its metadata, then drops it. */
static void sm_gc_drop_group(sm_group_coordinator_t *gc, sm_group_t *g)
{
	if (gc->gmm)
		sm_gmm_store_tombstones(gc->gmm, g->partition, g->group_id, g->offsets, g->n_offsets, 1);
	sm_gc_set_state(gc, g, SM_GROUP_DEAD);
	sm_gc_unlink(gc, g);
	sm_gc_group_free(gc, g);
}

sm_err_t sm_group_coordinator_delete_group(sm_group_coordinator_t *gc, const char *group_id)
{
	pthread_mutex_lock(&gc->lock);
	sm_gc_run_due(gc);
	sm_err_t e = sm_gc_owner_err(gc, group_id);
	sm_group_t *g = e ? NULL : sm_gc_find(gc, group_id);
	if (!e && (!g || g->state == SM_GROUP_DEAD))
		e = SM_ERR_GROUP_ID_NOT_FOUND;
	else if (!e && g->state != SM_GROUP_EMPTY)
		e = SM_ERR_NON_EMPTY_GROUP;
	if (!e) {
		sm_log_info(gc->comp, SM_GC_LOGGER, "Group %s transitioned to Dead in generation %d",
			    g->group_id, g->generation);
		sm_gc_drop_group(gc, g);
	}
	pthread_mutex_unlock(&gc->lock);
	return e;
}


/* ---- loading and unloading offsets partitions ---- */

/* What a load's callbacks need: the coordinator and the partition read. */
typedef struct sm_gc_load_ctx {
	sm_group_coordinator_t *gc;
	int32_t partition;
} sm_gc_load_ctx_t;

/* Loaded offsets get write sequence numbers in log order, so that a
 * transaction committed later in the log replaces an offset only if that
 * one was written before the transaction's offset (Kafka compares the
 * batches' log offsets). */
static void sm_gc_load_offset(void *opaque, const char *group, const char *topic, int32_t partition,
			      const sm_group_offset_value_t *v)
{
	sm_group_coordinator_t *gc = ((sm_gc_load_ctx_t *)opaque)->gc;
	pthread_mutex_lock(&gc->lock);
	sm_group_t *g = sm_gc_find(gc, group);
	if (v) {
		if (!g)
			g = sm_gc_create(gc, group);
		sm_group_offset_t *o = sm_group_offset_put(g, topic, partition, v->offset,
							   v->leader_epoch, v->metadata,
							   v->commit_timestamp,
							   v->version == 1 ? v->expire_timestamp : -1);
		o->write_seq = ++gc->next_write_seq;
	} else if (g) {
		sm_group_offset_remove(g, topic, partition);
	}
	pthread_mutex_unlock(&gc->lock);
}

/* An offset of an open (so far) transaction: pending until its marker. */
static void sm_gc_load_txn_offset(void *opaque, int64_t pid, const char *group, const char *topic,
				  int32_t partition, const sm_group_offset_value_t *v)
{
	sm_group_coordinator_t *gc = ((sm_gc_load_ctx_t *)opaque)->gc;
	pthread_mutex_lock(&gc->lock);
	sm_group_t *g = sm_gc_find(gc, group);
	if (v) {
		if (!g)
			g = sm_gc_create(gc, group);
		sm_group_txn_offset_t *t =
			sm_group_txn_put(g, pid, topic, partition, v->offset, v->leader_epoch,
					 v->metadata, v->commit_timestamp,
					 v->version == 1 ? v->expire_timestamp : -1,
					 ++gc->next_write_seq);
		t->appended = 1;
	} else if (g) {
		sm_group_txn_remove(g, pid, topic, partition);
	}
	pthread_mutex_unlock(&gc->lock);
}

static void sm_gc_txn_complete_locked(sm_group_coordinator_t *gc, int32_t partition, int64_t pid,
				      int commit);

static void sm_gc_load_txn_end(void *opaque, int64_t pid, int commit)
{
	sm_gc_load_ctx_t *lc = opaque;
	pthread_mutex_lock(&lc->gc->lock);
	sm_gc_txn_complete_locked(lc->gc, lc->partition, pid, commit);
	pthread_mutex_unlock(&lc->gc->lock);
}

static void sm_gc_load_members(sm_group_coordinator_t *gc, sm_group_t *g, const sm_group_metadata_value_t *v)
{
	int64_t now = gc->mono();
	for (int32_t i = 0; i < v->members_cnt; i++) {
		const sm_group_member_metadata_t *mm = &v->members[i];
		sm_group_member_t *m = sm_group_member_new(mm->member_id ? mm->member_id : "",
							   mm->group_instance_id, mm->client_id,
							   mm->client_host);
		sm_group_protocol_t p = { .name = v->protocol ? v->protocol : "",
					  .metadata = (uint8_t *)mm->subscription.ptr,
					  .metadata_len = mm->subscription.len };
		sm_group_member_set_protocols(m, &p, 1);
		sm_group_member_set_assignment(m, mm->assignment.ptr, mm->assignment.len);
		m->session_timeout_ms = mm->session_timeout;
		m->rebalance_timeout_ms = mm->rebalance_timeout > 0 ? mm->rebalance_timeout : mm->session_timeout;
		m->last_heartbeat_ms = now;
		sm_group_add_member(g, m);
	}
}

static void sm_gc_load_group(void *opaque, const char *group, const sm_group_metadata_value_t *v)
{
	sm_group_coordinator_t *gc = ((sm_gc_load_ctx_t *)opaque)->gc;
	pthread_mutex_lock(&gc->lock);
	sm_group_t *g = sm_gc_find(gc, group);
	if (!g && v)
		g = sm_gc_create(gc, group);
	if (g) {
		/* The record replaces the membership; offsets read so far stay
		 * (Kafka merges offsets and groups once the partition is read). */
		while (g->members) {
			sm_group_member_t *m = g->members;
			sm_group_remove_member(g, m);
			sm_gc_member_free(gc, m);
		}
		free(g->protocol_type);
		free(g->protocol_name);
		free(g->leader_id);
		g->protocol_type = g->protocol_name = g->leader_id = NULL;
		g->generation = 0;
		g->state = SM_GROUP_EMPTY;
	}
	if (g && !v && !g->n_offsets && !g->n_txn) {
		sm_gc_unlink(gc, g);
		sm_gc_group_free(gc, g);
	} else if (v) {
		g->generation = v->generation;
		g->protocol_type = v->protocol_type && *v->protocol_type ? sm_strdup(v->protocol_type) : NULL;
		g->protocol_name = v->protocol ? sm_strdup(v->protocol) : NULL;
		sm_gc_load_members(gc, g, v);
		free(g->leader_id);
		g->leader_id = v->leader ? sm_strdup(v->leader) : NULL;
		g->state = g->members ? SM_GROUP_STABLE : SM_GROUP_EMPTY;
		if (v->current_state_timestamp > 0)
			g->state_ts = v->current_state_timestamp;
	}
	pthread_mutex_unlock(&gc->lock);
}

/* Drops the groups of partition p, answering parked requests (lock held). */
static void sm_gc_unload(sm_group_coordinator_t *gc, int32_t p)
{
	SM_ASSERT_HELD(&gc->lock);
	sm_group_t **pp = &gc->groups;
	while (*pp) {
		sm_group_t *g = *pp;
		if (g->partition != p) {
			pp = &g->next;
			continue;
		}
		*pp = g->next;
		for (sm_group_member_t *m = g->members; m; m = m->next)
			sm_gc_fail_member(m, SM_ERR_NOT_COORDINATOR);
		sm_gc_group_free(gc, g);
	}
}

void sm_group_coordinator_load_now(sm_group_coordinator_t *gc, int32_t partition)
{
	if (partition < 0 || partition >= gc->cfg.num_partitions)
		return;
	pthread_mutex_lock(&gc->lock);
	gc->pload[partition] = 0;
	gc->pstate[partition] = SM_GC_P_LOADING;
	sm_gc_unload(gc, partition);
	pthread_mutex_unlock(&gc->lock);
	int skipped = 0;
	int64_t t0 = gc->mono();
	sm_err_t e = SM_ERR_NONE;
	if (gc->gmm) {
		sm_gc_load_ctx_t lc = { .gc = gc, .partition = partition };
		sm_gmm_loader_t l = { .offset = sm_gc_load_offset, .group = sm_gc_load_group,
				      .txn_offset = sm_gc_load_txn_offset,
				      .txn_end = sm_gc_load_txn_end, .opaque = &lc };
		e = sm_gmm_load(gc->gmm, partition, &l, &skipped);
	}
	pthread_mutex_lock(&gc->lock);
	if (gc->pstate[partition] != SM_GC_P_LOADING || gc->pload[partition]) {
		/* Leadership changed while reading: start over or drop. */
		if (gc->pstate[partition] != SM_GC_P_LOADING)
			sm_gc_unload(gc, partition);
	} else {
		gc->pstate[partition] = SM_GC_P_LOADED;
		/* Loaded members get a full session from now (Kafka's
		 * onGroupLoaded schedules their heartbeats). */
		int64_t now = gc->mono();
		for (sm_group_t *g = gc->groups; g; g = g->next)
			if (g->partition == partition)
				for (sm_group_member_t *m = g->members; m; m = m->next)
					sm_gc_touch(gc, g, m, now);
		if (e)
			sm_log_warn(gc->comp, SM_GC_LOGGER, "Error loading offsets from %s-%d: %s",
				    SM_GC_OFFSETS_TOPIC, partition, sm_err_name(e));
		if (skipped)
			sm_log_warn(gc->comp, SM_GC_LOGGER, "Skipped %d undecodable records of %s-%d",
				    skipped, SM_GC_OFFSETS_TOPIC, partition);
		sm_log_info(gc->comp, SM_GC_LOGGER, "Finished loading offsets and group metadata from %s-%d in %lld milliseconds",
			    SM_GC_OFFSETS_TOPIC, partition, (long long)(gc->mono() - t0));
	}
	pthread_mutex_unlock(&gc->lock);
}

void sm_group_coordinator_on_leadership(void *opaque, const char *topic, int32_t partition,
					int is_leader)
{
	sm_group_coordinator_t *gc = opaque;
	if (!topic || strcmp(topic, SM_GC_OFFSETS_TOPIC) || partition < 0 ||
	    partition >= gc->cfg.num_partitions)
		return;
	pthread_mutex_lock(&gc->lock);
	if (is_leader) {
		if (gc->pstate[partition] == SM_GC_P_NONE) {
			gc->pstate[partition] = SM_GC_P_LOADING;
			gc->pload[partition] = 1;
			pthread_cond_signal(&gc->cond);
		}
	} else if (gc->pstate[partition] != SM_GC_P_NONE) {
		sm_log_info(gc->comp, SM_GC_LOGGER, "Unloading group metadata for %s-%d",
			    SM_GC_OFFSETS_TOPIC, partition);
		gc->pstate[partition] = SM_GC_P_NONE;
		gc->pload[partition] = 0;
		sm_gc_unload(gc, partition);
	}
	pthread_mutex_unlock(&gc->lock);
}

/* ---- timers (lock held) ---- */

static void sm_gc_rebalance_timers(sm_group_coordinator_t *gc, sm_group_t *g, int64_t now)
{
	SM_ASSERT_HELD(&gc->lock);
	if (g->state != SM_GROUP_PREPARING_REBALANCE)
		return;
	if (g->initial_delay_end > 0 && now >= g->initial_delay_end) {
		/* New members arrived during the delay: wait another delay,
		 * up to the rebalance timeout (Kafka's InitialDelayedJoin). */
		if (g->new_member_added && now < g->initial_delay_cap) {
			g->new_member_added = 0;
			int64_t end = now + gc->cfg.initial_rebalance_delay_ms;
			g->initial_delay_end = end < g->initial_delay_cap ? end : g->initial_delay_cap;
		} else {
			g->initial_delay_end = 0;
		}
	}
	if (g->initial_delay_end > 0)
		return;
	sm_gc_try_complete_join(gc, g);
	if (g->state == SM_GROUP_PREPARING_REBALANCE && now >= g->rebalance_deadline)
		sm_gc_complete_join(gc, g);
}

/* A member's session deadline passed. Kafka counts a member that waits
 * in JoinGroup or SyncGroup as having heartbeated (hasSatisfiedHeartbeat);
 * it is looked at again a session later, unless the rebalance answers it
 * first (which re-arms it). */
static void sm_gc_member_expired(sm_group_coordinator_t *gc, sm_group_t *g, sm_group_member_t *m,
				 int64_t now)
{
	SM_ASSERT_HELD(&gc->lock);
	if (m->join_cb || m->sync_cb) {
		sm_gc_arm(gc, &m->hb_timer, sm_i64_sat_add(now, m->session_timeout_ms));
		return;
	}
	sm_log_info(gc->comp, SM_GC_LOGGER, "Member %s in group %s has failed, removing it from the group",
		    m->member_id, g->group_id);
	char reason[300];
	snprintf(reason, sizeof(reason), "removing member %.200s on heartbeat expiration", m->member_id);
	sm_gc_remove_and_update(gc, g, m, reason);
}

/* A pending member id (KIP-394) was not used within its session timeout. */
static void sm_gc_pending_expired(sm_group_coordinator_t *gc, sm_gc_pending_t *p)
{
	SM_ASSERT_HELD(&gc->lock);
	for (sm_gc_pending_t **pp = &gc->pending; *pp; pp = &(*pp)->next) {
		if (*pp != p)
			continue;
		*pp = p->next;
		sm_group_t *g = sm_gc_find(gc, p->group_id);
		free(p->group_id);
		free(p->member_id);
		free(p);
		if (g)
			sm_gc_try_complete_join(gc, g);
		return;
	}
}

/* Fires every timer whose deadline has passed, earliest first. Each
 * request that reads or changes group state calls this first, so none sees
 * a member past its session deadline or a rebalance past its timeout, even
 * if the thread has not woken yet. */
static void sm_gc_run_due(sm_group_coordinator_t *gc)
{
	int64_t now = gc->mono();
	sm_gc_timer_t *t;
	while ((t = sm_gc_timer_pop_due(&gc->timers, now))) {
		switch (t->kind) {
		case SM_GROUP_TIMER_MEMBER:
			sm_gc_member_expired(gc, t->ctx, t->owner, now);
			break;
		case SM_GROUP_TIMER_REBALANCE: {
			sm_group_t *g = t->owner;
			sm_gc_rebalance_timers(gc, g, now);
			sm_gc_arm_group(gc, g);
			break;
		}
		case SM_GROUP_TIMER_PENDING:
			sm_gc_pending_expired(gc, t->owner);
			break;
		default:
			break;
		}
	}
}

/* offsets.retention.minutes (KIP-211): an Empty group's offsets expire a
 * retention period after the later of the commit and the group emptying. */
static void sm_gc_expire_offsets(sm_group_coordinator_t *gc, int64_t wall)
{
	sm_group_t *g = gc->groups;
	while (g) {
		sm_group_t *next = g->next;
		if (g->state != SM_GROUP_EMPTY || gc->pstate[g->partition] != SM_GC_P_LOADED) {
			g = next;
			continue;
		}
		sm_group_offset_t *dead = sm_calloc((size_t)(g->n_offsets + 1), sizeof(*dead));
		int nd = 0;
		for (int i = 0; i < g->n_offsets; i++) {
			const sm_group_offset_t *o = &g->offsets[i];
			if (sm_group_pending_seq(g, o->topic, o->partition))
				continue;
			int64_t base = o->commit_ts > g->state_ts ? o->commit_ts : g->state_ts;
			int expired = o->expire_ts >= 0 ? wall >= o->expire_ts
							 : wall >= sm_i64_sat_add(base, gc->cfg.offsets_retention_ms);
			if (expired)
				dead[nd++] = *o;
		}
		if (nd && gc->gmm)
			sm_gmm_store_tombstones(gc->gmm, g->partition, g->group_id, dead, nd, 0);
		for (int i = 0; i < nd; i++)
			sm_group_offset_remove(g, dead[i].topic, dead[i].partition);
		free(dead);
		if (nd)
			sm_log_info(gc->comp, SM_GC_LOGGER, "Removed %d expired offsets of group %s", nd, g->group_id);
		/* Kafka's hasOffsets: an open transaction's offsets keep the
		 * group (they may still be committed). */
		if (!g->n_offsets && !g->n_pending && !g->n_txn && g->generation > 0) {
			sm_log_info(gc->comp, SM_GC_LOGGER, "Group %s transitioned to Dead in generation %d",
				    g->group_id, g->generation);
			sm_gc_drop_group(gc, g);
		}
		g = next;
	}
}

static void sm_gc_tick_locked(sm_group_coordinator_t *gc)
{
	sm_gc_run_due(gc);
	int64_t now = gc->mono();
	if (now - gc->last_expiry >= gc->cfg.retention_check_ms) {
		gc->last_expiry = now;
		sm_gc_expire_offsets(gc, gc->wall());
	}
}

void sm_group_coordinator_tick(sm_group_coordinator_t *gc)
{
	for (int32_t p = 0; p < gc->cfg.num_partitions; p++) {
		pthread_mutex_lock(&gc->lock);
		int want = gc->pload[p];
		pthread_mutex_unlock(&gc->lock);
		if (want)
			sm_group_coordinator_load_now(gc, p);
	}
	pthread_mutex_lock(&gc->lock);
	sm_gc_tick_locked(gc);
	pthread_mutex_unlock(&gc->lock);
}

static void *sm_gc_main(void *arg)
{
	sm_group_coordinator_t *gc = arg;
	pthread_setname_np(pthread_self(), "group-coord");
	sm_thread_role_set(SM_ROLE_GROUP_COORD);
	pthread_mutex_lock(&gc->lock);
	while (!gc->stop) {
		pthread_mutex_unlock(&gc->lock);
		sm_group_coordinator_tick(gc);
		pthread_mutex_lock(&gc->lock);
		if (gc->stop)
			break;
		/* Sleep until the earliest timer or the next offsets expiry
		 * check; arming an earlier timer, a load or shutdown wakes us. */
		int64_t until = sm_i64_sat_add(gc->last_expiry, gc->cfg.retention_check_ms);
		const sm_gc_timer_t *t = sm_gc_timer_peek(&gc->timers);
		if (t && t->deadline < until)
			until = t->deadline;
		int64_t now = gc->mono();
		int64_t wait_ms = until > now ? until - now : 0;
		if (wait_ms > SM_GC_MAX_WAIT_MS)
			wait_ms = SM_GC_MAX_WAIT_MS;
		gc->wait_until = now + wait_ms;
		int load = 0;
		for (int32_t p = 0; p < gc->cfg.num_partitions && !load; p++)
			load = gc->pload[p];
		if (wait_ms > 0 && !load) {
			struct timespec ts;
			sm_clock_deadline_ts(CLOCK_MONOTONIC, wait_ms, &ts);
			pthread_cond_timedwait(&gc->cond, &gc->lock, &ts);
		}
		gc->wait_until = INT64_MIN;
	}
	pthread_mutex_unlock(&gc->lock);
	return NULL;
}

void sm_group_coordinator_start(sm_group_coordinator_t *gc)
{
	gc->last_expiry = gc->mono();
	if (pthread_create(&gc->thread, NULL, sm_gc_main, gc) == 0)
		gc->started = 1;
}

void sm_group_coordinator_shutdown(sm_group_coordinator_t *gc)
{
	if (!gc)
		return;
	pthread_mutex_lock(&gc->lock);
	gc->stop = 1;
	pthread_cond_signal(&gc->cond);
	pthread_mutex_unlock(&gc->lock);
	if (gc->started)
		pthread_join(gc->thread, NULL);
	gc->started = 0;
	pthread_mutex_lock(&gc->lock);
	for (int32_t p = 0; p < gc->cfg.num_partitions; p++) {
		gc->pstate[p] = SM_GC_P_NONE;
		sm_gc_unload(gc, p);
	}
	pthread_mutex_unlock(&gc->lock);
}

void sm_group_coordinator_destroy(sm_group_coordinator_t *gc)
{
	if (!gc)
		return;
	sm_group_coordinator_shutdown(gc);
	while (gc->pending) {
		sm_gc_pending_t *p = gc->pending;
		gc->pending = p->next;
		sm_gc_timer_cancel(&gc->timers, &p->timer);
		free(p->group_id);
		free(p->member_id);
		free(p);
	}
	while (gc->groups) {
		sm_group_t *g = gc->groups;
		gc->groups = g->next;
		sm_group_destroy(g);
	}
	sm_gc_timer_heap_destroy(&gc->timers);
	free(gc->pstate);
	free(gc->pload);
	pthread_mutex_destroy(&gc->lock);
	pthread_cond_destroy(&gc->cond);
	free(gc);
}
