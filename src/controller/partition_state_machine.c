/*
 * partition_state_machine.c - Kafka's PartitionStateMachine (ZooKeeper mode).
 *
 *              +-------------+
 *              | NonExistent |<------------------------------+
 *              +-------------+                               |
 *                    | assignment known                      | topic deleted
 *                    v                                       |
 *              +-------------+   leader init   +--------+   +---------+
 *              |     New     |---------------->| Online |<->| Offline |
 *              +-------------+                 +--------+   +---------+
 *                    |         (no live replica)     ^ election  |  ^
 *                    +------------------------------>|-----------+  |
 *                                                   leader lost ----+
 *
 *   FROM -> TO                 function                side effects
 *   NonExistent -> New         sm_psm_transition       none (assignment in context)
 *   New -> Online              sm_psm_init_leader      create state znode: leader =
 *                                                      first live replica, ISR = live
 *                                                      replicas, epoch 0; LeaderAndIsr
 *                                                      to replicas, UpdateMetadata
 *   Online|Offline -> Online   sm_psm_elect_leader     offline election: first replica
 *                                                      in assignment order that is online
 *                                                      and in the ISR (unclean: first
 *                                                      online replica); leader epoch + 1;
 *                                                      conditional znode update
 *   ("online": live broker, and the replica is not on a log dir the broker
 *   reported offline -- sm_ctrl_replica_online)
 *   New|Online|Offline -> Offline  (state only)
 *   Offline -> NonExistent     (state only; deletion)
 *
 * Invariants: Online means the state znode names a live leader (as of the
 * last write); every state znode write is fenced by the controller epoch's
 * zkVersion and conditional on the partition's zkVersion.
 * Thread-safety: controller event thread only.
 */
#include "controller_int.h"

#include <stdlib.h>
#include <string.h>

#include "log_config.h"
#include "logger.h"
#include "thread_role.h"

static const char *const sm_psm_names[SM_PSM__CNT] = {
	"NonExistentPartition", "NewPartition", "OnlinePartition", "OfflinePartition",
};

/* Legal previous states per target, as a bit set over sm_psm_state_t. */
static const unsigned sm_psm_valid_from[SM_PSM__CNT] = {
	[SM_PSM_NONEXISTENT] = 1u << SM_PSM_OFFLINE,
	[SM_PSM_NEW] = 1u << SM_PSM_NONEXISTENT,
	[SM_PSM_ONLINE] = (1u << SM_PSM_NEW) | (1u << SM_PSM_ONLINE) | (1u << SM_PSM_OFFLINE),
	[SM_PSM_OFFLINE] = (1u << SM_PSM_NEW) | (1u << SM_PSM_ONLINE) | (1u << SM_PSM_OFFLINE),
};

const char *sm_psm_state_name(sm_psm_state_t s)
{
	return s < SM_PSM__CNT ? sm_psm_names[s] : "Unknown";
}

static int sm_psm_in(const int32_t *v, int n, int32_t x)
{
	for (int i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

struct sm_ctrl_pending_write {
	sm_ctrl_topic_t *t;
	int32_t partition;
	int32_t expected;
	sm_zk_partition_state_t st;
};

/* Takes st as p's state now, predicting the version the write will give
 * (a setData bumps it by one; writes of one session apply in order), and
 * queues the write for sm_psm_flush. */
static void sm_psm_defer(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p,
			 const sm_zk_partition_state_t *st)
{
	if (c->n_pw == c->cap_pw) {
		c->cap_pw = c->cap_pw ? c->cap_pw * 2 : 256;
		c->pw = sm_realloc(c->pw, sizeof(*c->pw) * (size_t)c->cap_pw);
	}
	struct sm_ctrl_pending_write *w = &c->pw[c->n_pw++];
	memset(w, 0, sizeof(*w));
	w->t = t;
	w->partition = p->id;
	w->expected = p->st.zk_version;
	w->st = *st;
	w->st.isr = NULL;
	sm_zk_partition_state_set_isr(&w->st, st->isr, st->n_isr);
	int32_t nv = p->st.zk_version + 1;
	sm_zk_partition_state_clear(&p->st);
	p->st = *st;
	p->st.isr = NULL;
	sm_zk_partition_state_set_isr(&p->st, st->isr, st->n_isr);
	p->st.zk_version = nv;
	p->has_state = 1;
}

void sm_psm_discard(sm_controller_t *c)
{
	for (int i = 0; i < c->n_pw; i++)
		sm_zk_partition_state_clear(&c->pw[i].st);
	c->n_pw = 0;
	c->defer = 0;
}

void sm_psm_flush(sm_controller_t *c)
{
	SM_ASSERT_ROLE(SM_ROLE_CONTROLLER);
	int n = c->n_pw;
	c->defer = 0;
	if (n == 0)
		return;
	sm_kzk_tp_ref_t *tps = sm_calloc((size_t)n, sizeof(*tps));
	sm_zk_partition_state_t *sts = sm_calloc((size_t)n, sizeof(*sts));
	int32_t *exp = sm_calloc((size_t)n, sizeof(int32_t));
	sm_err_t *errs = sm_calloc((size_t)n, sizeof(sm_err_t));
	for (int i = 0; i < n; i++) {
		tps[i] = (sm_kzk_tp_ref_t){ c->pw[i].t->name, c->pw[i].partition };
		sts[i] = c->pw[i].st;
		exp[i] = c->pw[i].expected;
	}
	sm_kzk_update_partition_states(c->zk, n, tps, sts, exp, c->ctx.epoch_zkv, NULL, errs);
	int fenced = 0;
	for (int i = 0; i < n; i++) {
		struct sm_ctrl_pending_write *w = &c->pw[i];
		fenced |= errs[i] == SM_ERR_NOT_CONTROLLER;
		if (errs[i] && errs[i] != SM_ERR_NOT_CONTROLLER && w->partition < w->t->n_partitions) {
			sm_ctrl_partition_t *p = &w->t->partitions[w->partition];
			sm_ctrl_state_log(c, "Failed to update state of partition %s-%d: %s", w->t->name,
					  w->partition, sm_err_name(errs[i]));
			sm_zk_partition_state_t cur = { 0 };
			if (sm_kzk_get_partition_state(c->zk, w->t->name, p->id, 0, &cur) == SM_ERR_NONE) {
				sm_zk_partition_state_clear(&p->st);
				p->st = cur;
			} else {
				sm_zk_partition_state_clear(&cur);
			}
		}
		sm_zk_partition_state_clear(&w->st);
	}
	c->n_pw = 0;
	free(tps);
	free(sts);
	free(exp);
	free(errs);
	if (fenced)
		sm_ctrl_fenced(c);
}

/* Writes st as the partition's new state (conditional + fenced), retrying
 * on a concurrent change by re-reading. Returns 0 or -1. */
static int sm_psm_write(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p,
			sm_zk_partition_state_t *st)
{
	if (c->defer) {
		sm_psm_defer(c, t, p, st);
		return 0;
	}
	int32_t nv;
	sm_err_t e = sm_kzk_update_partition_state(c->zk, t->name, p->id, st, p->st.zk_version,
						   c->ctx.epoch_zkv, &nv);
	if (e == SM_ERR_NOT_CONTROLLER) {
		sm_ctrl_fenced(c);
		return -1;
	}
	if (e) {
		sm_ctrl_state_log(c, "Failed to update state of partition %s-%d: %s", t->name, p->id,
				  sm_err_name(e));
		/* Refresh our copy so the next attempt starts from ZooKeeper. */
		sm_zk_partition_state_t cur = { 0 };
		if (sm_kzk_get_partition_state(c->zk, t->name, p->id, 0, &cur) == SM_ERR_NONE) {
			sm_zk_partition_state_clear(&p->st);
			p->st = cur;
		}
		return -1;
	}
	sm_zk_partition_state_clear(&p->st);
	p->st = *st;
	p->st.isr = NULL;
	sm_zk_partition_state_set_isr(&p->st, st->isr, st->n_isr);
	p->st.zk_version = nv;
	p->has_state = 1;
	return 0;
}

/* The first state of a NewPartition: leader = first live replica, ISR =
 * the live replicas, epoch 0. Returns -1 (logged) when none is alive. */
static int sm_psm_initial_state(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p,
				sm_zk_partition_state_t *st, int quiet)
{
	int32_t *live = sm_calloc((size_t)(p->n_replicas + 1), sizeof(int32_t));
	int n = 0;
	for (int i = 0; i < p->n_replicas; i++)
		if (sm_ctrl_replica_online(c, t->name, p->id, p->replicas[i]))
			live[n++] = p->replicas[i];
	if (n == 0) {
		free(live);
		if (!quiet)
			sm_ctrl_state_log(c, "Controller %d epoch %d failed to change state for partition %s-%d from NewPartition to OnlinePartition: no assigned replica is alive",
				  c->broker_id, c->ctx.epoch, t->name, p->id);
		return -1;
	}
	memset(st, 0, sizeof(*st));
	st->leader = live[0];
	st->leader_epoch = 0;
	st->controller_epoch = c->ctx.epoch;
	sm_zk_partition_state_set_isr(st, live, n);
	free(live);
	return 0;
}

/* Takes the outcome e of creating p's first state st (consumed): the
 * state itself, or the one an earlier controller wrote. Returns 0 or -1. */
static int sm_psm_init_created(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p,
			       sm_zk_partition_state_t st, sm_err_t e)
{
	int32_t zkv = 0;
	if (e == SM_ERR_NOT_CONTROLLER) {
		sm_zk_partition_state_clear(&st);
		sm_ctrl_fenced(c);
		return -1;
	}
	if (e == SM_ERR__EXISTS) {
		/* Written by an earlier controller: adopt it. */
		sm_zk_partition_state_clear(&st);
		if (sm_kzk_get_partition_state(c->zk, t->name, p->id, 0, &st))
			return -1;
		zkv = st.zk_version;
	} else if (e) {
		sm_zk_partition_state_clear(&st);
		sm_ctrl_state_log(c, "Failed to create state of partition %s-%d: %s", t->name, p->id, sm_err_name(e));
		return -1;
	}
	sm_zk_partition_state_clear(&p->st);
	p->st = st;
	p->st.zk_version = zkv;
	p->has_state = 1;
	return 0;
}

static int sm_psm_init_leader(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p)
{
	if (p->init_done) {
		p->init_done = 0;
		return 0;
	}
	sm_zk_partition_state_t st;
	if (sm_psm_initial_state(c, t, p, &st, 0))
		return -1;
	sm_err_t e = sm_kzk_create_partition_state(c->zk, t->name, p->id, &st, c->ctx.epoch_zkv, NULL);
	return sm_psm_init_created(c, t, p, st, e);
}

void sm_psm_prepare_new(sm_controller_t *c, sm_ctrl_topic_t *t, int from)
{
	SM_ASSERT_ROLE(SM_ROLE_CONTROLLER);
	int n = t->n_partitions - from;
	if (n <= 1)
		return; /* one partition: the transition writes it itself */
	sm_kzk_tp_ref_t *tps = sm_calloc((size_t)n, sizeof(*tps));
	sm_zk_partition_state_t *sts = sm_calloc((size_t)n, sizeof(*sts));
	sm_ctrl_partition_t **ps = sm_calloc((size_t)n, sizeof(*ps));
	sm_err_t *errs = sm_calloc((size_t)n, sizeof(sm_err_t));
	int k = 0;
	for (int j = from; j < t->n_partitions; j++) {
		sm_ctrl_partition_t *p = &t->partitions[j];
		p->init_done = 0;
		/* no live replica: left to the transition, which logs it */
		if (p->pstate != SM_PSM_NEW || sm_psm_initial_state(c, t, p, &sts[k], 1))
			continue;
		tps[k] = (sm_kzk_tp_ref_t){ t->name, p->id };
		ps[k++] = p;
	}
	sm_kzk_create_partition_states(c->zk, k, tps, sts, c->ctx.epoch_zkv, errs);
	for (int i = 0; i < k; i++) {
		if (errs[i] == SM_ERR_NOT_CONTROLLER || !c->active) {
			sm_zk_partition_state_clear(&sts[i]);
			continue;
		}
		/* the earlier-controller case reads its znode here, one by
		 * one: rare, and only after a failover in mid-creation */
		if (sm_psm_init_created(c, t, ps[i], sts[i], errs[i]) == 0)
			ps[i]->init_done = 1;
	}
	int fenced = 0;
	for (int i = 0; i < k; i++)
		fenced |= errs[i] == SM_ERR_NOT_CONTROLLER;
	free(tps);
	free(sts);
	free(ps);
	free(errs);
	if (fenced && c->active)
		sm_ctrl_fenced(c);
}

/* Offline partition election (Kafka's offlinePartitionLeaderElection). */
static int sm_psm_elect_leader(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p)
{
	int32_t leader = -1;
	for (int i = 0; i < p->n_replicas && leader < 0; i++)
		if (sm_ctrl_replica_online(c, t->name, p->id, p->replicas[i]) &&
		    sm_psm_in(p->st.isr, p->st.n_isr, p->replicas[i]))
			leader = p->replicas[i];
	int unclean = 0;
	if (leader < 0) {
		/* the topic's override, else the broker's effective value */
		sm_zk_config_t zc = { 0 };
		if (sm_kzk_get_topic_config(c->zk, t->name, &zc) != SM_ERR_NONE)
			sm_zk_config_clear(&zc);
		int enabled = sm_topic_config_unclean_election(
			__atomic_load_n(&c->eff_cfg, __ATOMIC_ACQUIRE), t->name, zc.keys, zc.values,
			zc.n);
		sm_zk_config_clear(&zc);
		for (int i = 0; enabled && i < p->n_replicas && leader < 0; i++)
			if (sm_ctrl_replica_online(c, t->name, p->id, p->replicas[i]))
				leader = p->replicas[i];
		unclean = leader >= 0;
	}
	if (leader < 0) {
		sm_ctrl_state_log(c, "Controller %d epoch %d failed to change state for partition %s-%d to OnlinePartition: no replica in ISR [%d members] is alive and unclean leader election is disabled",
				  c->broker_id, c->ctx.epoch, t->name, p->id, p->st.n_isr);
		return -1;
	}
	sm_zk_partition_state_t st = { 0 };
	st.leader = leader;
	st.leader_epoch = p->st.leader_epoch + 1;
	st.controller_epoch = c->ctx.epoch;
	if (unclean) {
		sm_zk_partition_state_set_isr(&st, &leader, 1);
		sm_log(SM_LOGFILE_CONTROLLER, SM_LOG_WARN, NULL, "kafka.controller.KafkaController",
		       "Unclean leader election for partition %s-%d: broker %d becomes leader; data not replicated to it may be lost",
		       t->name, p->id, leader);
	} else {
		/* OfflinePartitionLeaderElectionStrategy: the new ISR is the
		 * live part of the old one. */
		int32_t *isr = sm_calloc((size_t)p->st.n_isr + 1, sizeof(int32_t));
		int n = 0;
		for (int i = 0; i < p->st.n_isr; i++)
			if (sm_ctrl_replica_online(c, t->name, p->id, p->st.isr[i]))
				isr[n++] = p->st.isr[i];
		sm_zk_partition_state_set_isr(&st, isr, n);
		free(isr);
	}
	int r = sm_psm_write(c, t, p, &st);
	sm_zk_partition_state_clear(&st);
	if (!r && unclean)
		sm_ctrl_count_unclean(c);
	return r;
}

int sm_psm_transition(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p,
		      sm_psm_state_t target)
{
	SM_ASSERT_ROLE(SM_ROLE_CONTROLLER);
	sm_psm_state_t from = p->pstate;
	if (!(sm_psm_valid_from[target] & (1u << from))) {
		sm_ctrl_state_log(c, "Controller %d epoch %d: illegal state transition of partition %s-%d from %s to %s",
				  c->broker_id, c->ctx.epoch, t->name, p->id, sm_psm_state_name(from),
				  sm_psm_state_name(target));
		return -1;
	}
	if (target == SM_PSM_ONLINE) {
		int r = from == SM_PSM_NEW ? sm_psm_init_leader(c, t, p) : sm_psm_elect_leader(c, t, p);
		if (r)
			return -1;
		sm_ctrl_batch_lai_all_replicas(c, t, p, from == SM_PSM_NEW);
		sm_ctrl_batch_um_partition(c, t, p->id, 0);
	}
	p->pstate = target;
	sm_ctrl_state_log(c, "Controller %d epoch %d changed partition %s-%d from %s to %s (leader %d, leader epoch %d)",
			  c->broker_id, c->ctx.epoch, t->name, p->id, sm_psm_state_name(from),
			  sm_psm_state_name(target), p->st.leader, p->st.leader_epoch);
	return 0;
}

void sm_psm_trigger_online(sm_controller_t *c)
{
	for (int i = 0; i < c->ctx.n_topics; i++) {
		sm_ctrl_topic_t *t = c->ctx.topics[i];
		if (t->deleting)
			continue;
		for (int j = 0; j < t->n_partitions; j++) {
			sm_ctrl_partition_t *p = &t->partitions[j];
			if (p->pstate == SM_PSM_NEW || p->pstate == SM_PSM_OFFLINE)
				(void)sm_psm_transition(c, t, p, SM_PSM_ONLINE);
			if (!c->active)
				return;
		}
	}
}

int sm_psm_move_leader(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p,
		       int32_t leader, const int32_t *isr, int n_isr, const char *why)
{
	if (!p->has_state)
		return -1;
	sm_zk_partition_state_t st = { 0 };
	int32_t old = p->st.leader;
	st.leader = leader;
	st.leader_epoch = p->st.leader_epoch + 1;
	st.controller_epoch = c->ctx.epoch;
	sm_zk_partition_state_set_isr(&st, isr, n_isr);
	int r = sm_psm_write(c, t, p, &st);
	sm_zk_partition_state_clear(&st);
	if (r)
		return -1;
	sm_ctrl_batch_lai_all_replicas(c, t, p, 0);
	sm_ctrl_batch_um_partition(c, t, p->id, 0);
	if (leader >= 0)
		p->pstate = SM_PSM_ONLINE;
	sm_ctrl_state_log(c, "Controller %d epoch %d elected leader %d for partition %s-%d (was %d, leader epoch %d) by %s",
			  c->broker_id, c->ctx.epoch, leader, t->name, p->id, old, p->st.leader_epoch, why);
	return 0;
}

#define SM_PSM_ISR_ATTEMPTS 5

void sm_psm_remove_from_isr(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p,
			    int32_t broker)
{
	/* Leaders change ISRs themselves and announce it only later through
	 * /isr_change_notification: start from ZooKeeper's copy (as Kafka's
	 * removeReplicasFromIsr reads the state), or a broker a leader just
	 * added back would stay in the ISR after it died. */
	sm_zk_partition_state_t cur = { 0 };
	if (p->has_state && !c->defer &&
	    sm_kzk_get_partition_state(c->zk, t->name, p->id, 0, &cur) == SM_ERR_NONE) {
		sm_zk_partition_state_clear(&p->st);
		p->st = cur;
	} else {
		sm_zk_partition_state_clear(&cur);
	}
	/* A write that loses its race with the leader's own ISR write re-reads
	 * (sm_psm_write) and tries again, as Kafka's removeReplicasFromIsr
	 * loops until the broker is out; bounded, since a leader cannot keep
	 * adding a broker that no longer fetches. */
	for (int attempt = 0; attempt < SM_PSM_ISR_ATTEMPTS; attempt++) {
		if (!p->has_state || !sm_psm_in(p->st.isr, p->st.n_isr, broker))
			return;
		sm_zk_partition_state_t st = { 0 };
		st.leader = p->st.leader == broker ? -1 : p->st.leader;
		st.leader_epoch = p->st.leader_epoch + 1;
		st.controller_epoch = c->ctx.epoch;
		if (p->st.n_isr == 1 && p->st.leader == broker) {
			/* Keep the last ISR member: it is the only replica known
			 * to hold everything, and clean election will wait for it. */
			sm_zk_partition_state_set_isr(&st, p->st.isr, p->st.n_isr);
		} else {
			int32_t *isr = sm_calloc((size_t)p->st.n_isr, sizeof(int32_t));
			int n = 0;
			for (int i = 0; i < p->st.n_isr; i++)
				if (p->st.isr[i] != broker)
					isr[n++] = p->st.isr[i];
			sm_zk_partition_state_set_isr(&st, isr, n);
			free(isr);
		}
		int rc = sm_psm_write(c, t, p, &st);
		if (rc == 0) {
			/* To the other replicas only, as Kafka's OfflineReplica
			 * transition does: the broker taken out gets StopReplica
			 * (a live one: controlled shutdown, a failed log dir). A
			 * LeaderAndIsr would restart its fetcher at the new leader
			 * epoch until the StopReplica came, and a fetch sent in
			 * between puts it back into the ISR. */
			for (int i = 0; i < p->n_replicas; i++)
				if (p->replicas[i] != broker &&
				    sm_ctrl_replica_online(c, t->name, p->id, p->replicas[i]))
					sm_ctrl_batch_lai(c, p->replicas[i], t, p->id, 0);
			sm_ctrl_batch_um_partition(c, t, p->id, 0);
			if (st.leader < 0)
				p->pstate = SM_PSM_OFFLINE;
		}
		sm_zk_partition_state_clear(&st);
		if (rc == 0 || !c->active || c->defer)
			return;
	}
}
