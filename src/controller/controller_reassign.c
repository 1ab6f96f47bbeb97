/*
 * controller_reassign.c - partition reassignment (Kafka's
 * KafkaController.onPartitionReassignment, KIP-455 in ZooKeeper mode).
 *
 * With ORS the original replicas and TRS the target:
 *  start:    replicas := TRS ++ (ORS - TRS), adding_replicas := TRS - ORS,
 *            removing_replicas := ORS - TRS written to /brokers/topics/<t>;
 *            leader epoch + 1 and LeaderAndIsr to every replica, so new
 *            replicas start following.
 *  complete: (every TRS member in the ISR, learned from ISR change
 *            notifications) leader moved into TRS if needed, ISR := ISR
 *            within TRS, StopReplica(delete) to removed replicas, topic
 *            znode := TRS with no adding/removing, the partition dropped
 *            from /admin/reassign_partitions (deleted when empty).
 *  cancel:   replicas := ORS, adding replicas stopped and deleted.
 *
 * Thread-safety: controller event thread only.
 */
#include "controller_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logger.h"

#define SM_RA_LOGGER "kafka.controller.KafkaController"

static int sm_ra_in(const int32_t *v, int n, int32_t x)
{
	for (int i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

/* Rewrites /brokers/topics/<t> from the context (fenced). */
static int sm_ra_write_topic(sm_controller_t *c, sm_ctrl_topic_t *t)
{
	sm_zk_topic_assignment_t a = { 0 };
	a.has_topic_id = 1;
	memcpy(a.topic_id, t->id, 16);
	for (int j = 0; j < t->n_partitions; j++) {
		sm_ctrl_partition_t *p = &t->partitions[j];
		sm_zk_partition_assignment_t *pa = sm_zk_topic_add_partition(&a, p->id, p->replicas,
									     p->n_replicas);
		if (p->n_adding) {
			pa->adding = sm_calloc((size_t)p->n_adding, sizeof(int32_t));
			memcpy(pa->adding, p->adding, sizeof(int32_t) * (size_t)p->n_adding);
			pa->n_adding = p->n_adding;
		}
		if (p->n_removing) {
			pa->removing = sm_calloc((size_t)p->n_removing, sizeof(int32_t));
			memcpy(pa->removing, p->removing, sizeof(int32_t) * (size_t)p->n_removing);
			pa->n_removing = p->n_removing;
		}
	}
	sm_err_t e = sm_kzk_set_topic_assignment(c->zk, t->name, &a, -1, c->ctx.epoch_zkv, NULL);
	sm_zk_topic_clear(&a);
	if (e == SM_ERR_NOT_CONTROLLER)
		sm_ctrl_fenced(c);
	else if (e)
		sm_log(SM_LOGFILE_CONTROLLER, SM_LOG_ERROR, NULL, SM_RA_LOGGER,
		       "Failed to write the assignment of topic %s: %s", t->name, sm_err_name(e));
	return e ? -1 : 0;
}

/* Replaces p's replica list, keeping the state of replicas that stay and
 * making new ones NewReplica -> OnlineReplica (when live). */
static void sm_ra_set_replicas(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p,
			       const int32_t *reps, int n)
{
	sm_rsm_state_t *rs = sm_calloc((size_t)n + 1, sizeof(*rs));
	int32_t *old = p->replicas;
	sm_rsm_state_t *olds = p->rstate;
	int nold = p->n_replicas;
	p->replicas = sm_calloc((size_t)n + 1, sizeof(int32_t));
	memcpy(p->replicas, reps, sizeof(int32_t) * (size_t)n);
	p->rstate = rs;
	p->n_replicas = n;
	for (int i = 0; i < n; i++) {
		int found = -1;
		for (int k = 0; k < nold; k++)
			if (old[k] == reps[i])
				found = k;
		if (found >= 0) {
			rs[i] = olds[found];
			continue;
		}
		rs[i] = SM_RSM_NONEXISTENT;
		sm_rsm_transition(c, t, p, i, SM_RSM_NEW);
		if (sm_ctrl_broker_alive(c, reps[i]))
			sm_rsm_transition(c, t, p, i, SM_RSM_ONLINE);
	}
	free(old);
	free(olds);
}

static void sm_ra_set_list(int32_t **dst, int *n, const int32_t *src, int cnt)
{
	free(*dst);
	*dst = NULL;
	*n = 0;
	if (cnt <= 0)
		return;
	*dst = sm_calloc((size_t)cnt, sizeof(int32_t));
	memcpy(*dst, src, sizeof(int32_t) * (size_t)cnt);
	*n = cnt;
}

/* The original replica set: replicas minus those being added. */
static int sm_ra_original(const sm_ctrl_partition_t *p, int32_t *out)
{
	int n = 0;
	for (int i = 0; i < p->n_replicas; i++)
		if (!sm_ra_in(p->adding, p->n_adding, p->replicas[i]))
			out[n++] = p->replicas[i];
	return n;
}

static void sm_ra_refresh(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p)
{
	sm_zk_partition_state_t st = { 0 };
	if (sm_kzk_get_partition_state(c->zk, t->name, p->id, 0, &st) == SM_ERR_NONE) {
		sm_zk_partition_state_clear(&p->st);
		p->st = st;
	} else {
		sm_zk_partition_state_clear(&st);
	}
}

/* Drops p from /admin/reassign_partitions (deleting it when empty). */
static void sm_ra_remove_from_znode(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p)
{
	char *data = NULL;
	size_t len = 0;
	p->zk_reassign = 0;
	if (sm_zk_get(c->zk, SM_ZKPATH_REASSIGN_PARTITIONS, 0, &data, &len, NULL) != SM_ERR_NONE)
		return;
	sm_kzk_reassignment_t *r = NULL;
	int n = 0, k = 0;
	char err[256];
	if (sm_kzk_reassignment_decode(data, len, &r, &n, err, sizeof(err)) == SM_ERR_NONE) {
		for (int i = 0; i < n; i++) {
			if (!strcmp(r[i].topic, t->name) && r[i].partition == p->id) {
				free(r[i].topic);
				free(r[i].replicas);
				continue;
			}
			r[k++] = r[i];
		}
	}
	if (k == 0) {
		sm_zk_delete(c->zk, SM_ZKPATH_REASSIGN_PARTITIONS, -1);
	} else {
		char *js = sm_kzk_reassignment_encode(r, k, 0);
		sm_zk_set(c->zk, SM_ZKPATH_REASSIGN_PARTITIONS, js, strlen(js), -1, NULL);
		free(js);
	}
	sm_kzk_reassignments_free(r, k);
	free(data);
}

/* Removed replicas: Offline -> deletion started -> successful ->
 * NonExistent, with StopReplica(delete) to the live ones. */
static void sm_ra_drop_replicas(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p,
				const int32_t *gone, int n)
{
	for (int i = 0; i < n; i++) {
		if (sm_ctrl_broker_alive(c, gone[i]))
			sm_ctrl_batch_sr(c, gone[i], t->name, p->id, 1);
		sm_ctrl_state_log(c, "Controller %d epoch %d changed state of replica %d for partition %s-%d to NonExistentReplica (reassigned away)",
				  c->broker_id, c->ctx.epoch, gone[i], t->name, p->id);
	}
}

void sm_ctrl_reassign_check(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p)
{
	if (!p->n_adding && !p->n_removing && !p->reassigning)
		return;
	sm_ra_refresh(c, t, p);
	int32_t *trs = sm_calloc((size_t)p->n_replicas + 1, sizeof(int32_t));
	int ntrs = 0;
	for (int i = 0; i < p->n_replicas; i++)
		if (!sm_ra_in(p->removing, p->n_removing, p->replicas[i]))
			trs[ntrs++] = p->replicas[i];
	for (int i = 0; i < ntrs; i++)
		if (!sm_ra_in(p->st.isr, p->st.n_isr, trs[i])) {
			free(trs);
			return; /* still catching up */
		}
	int32_t *isr = sm_calloc((size_t)p->st.n_isr + 1, sizeof(int32_t));
	int nisr = 0;
	for (int i = 0; i < p->st.n_isr; i++)
		if (sm_ra_in(trs, ntrs, p->st.isr[i]))
			isr[nisr++] = p->st.isr[i];
	int32_t leader = p->st.leader;
	if (!sm_ra_in(trs, ntrs, leader) || !sm_ctrl_broker_alive(c, leader)) {
		/* ReassignPartitionLeaderElectionStrategy. */
		leader = -1;
		for (int i = 0; i < ntrs && leader < 0; i++)
			if (sm_ctrl_broker_alive(c, trs[i]) && sm_ra_in(isr, nisr, trs[i]))
				leader = trs[i];
	}
	int32_t *gone = sm_calloc((size_t)p->n_removing + 1, sizeof(int32_t));
	int ngone = p->n_removing;
	if (ngone)
		memcpy(gone, p->removing, sizeof(int32_t) * (size_t)ngone);
	sm_ra_set_replicas(c, t, p, trs, ntrs);
	sm_ra_set_list(&p->adding, &p->n_adding, NULL, 0);
	sm_ra_set_list(&p->removing, &p->n_removing, NULL, 0);
	if (leader >= 0)
		sm_psm_move_leader(c, t, p, leader, isr, nisr, "reassignment");
	sm_ra_drop_replicas(c, t, p, gone, ngone);
	if (c->active && sm_ra_write_topic(c, t) == 0) {
		p->reassigning = 0;
		sm_log(SM_LOGFILE_CONTROLLER, SM_LOG_INFO, NULL, SM_RA_LOGGER,
		       "Completed reassignment of partition %s-%d", t->name, p->id);
		if (p->zk_reassign)
			sm_ra_remove_from_znode(c, t, p);
	}
	free(gone);
	free(isr);
	free(trs);
}

/*
 * Checks a target replica list. As Kafka 2.8's validateReplicas, only the
 * replicas a reassignment adds must be alive, and only for
 * AlterPartitionReassignments: a reassignment written to
 * /admin/reassign_partitions starts whatever brokers are up (the new
 * replicas join once they come back), so zk_triggered skips that check.
 * Empty and duplicate lists are refused on both paths (the znode is as
 * untrusted as a request).
 */
static sm_err_t sm_ra_validate(sm_controller_t *c, const int32_t *target, int n,
			       const int32_t *current, int ncurrent, int zk_triggered, const char **msg)
{
	if (n <= 0) {
		*msg = "The replica set cannot be empty.";
		return SM_ERR_INVALID_REPLICA_ASSIGNMENT;
	}
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < i; k++)
			if (target[k] == target[i]) {
				*msg = "The proposed assignment contains duplicate replicas.";
				return SM_ERR_INVALID_REPLICA_ASSIGNMENT;
			}
		if (target[i] < 0) {
			*msg = "Invalid broker id in replica list.";
			return SM_ERR_INVALID_REPLICA_ASSIGNMENT;
		}
		if (!zk_triggered && !sm_ra_in(current, ncurrent, target[i]) &&
		    !sm_ctrl_broker_alive(c, target[i])) {
			*msg = "Replica assignment has brokers that are not alive.";
			return SM_ERR_INVALID_REPLICA_ASSIGNMENT;
		}
	}
	return SM_ERR_NONE;
}

sm_err_t sm_ctrl_reassign(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p,
			  const int32_t *target, int n_target, int zk_triggered, const char **msg)
{
	*msg = NULL;
	int ongoing = p->n_adding || p->n_removing || p->reassigning;
	if (!target && !ongoing) {
		*msg = "No reassignment in progress for this partition.";
		return SM_ERR_NO_REASSIGNMENT_IN_PROGRESS;
	}
	int32_t *ors = sm_calloc((size_t)p->n_replicas + 1, sizeof(int32_t));
	int nors = sm_ra_original(p, ors);
	sm_err_t e = SM_ERR_NONE;
	if (!target) {
		/* Cancel: back to the original replicas. */
		target = ors;
		n_target = nors;
	} else if ((e = sm_ra_validate(c, target, n_target, ors, nors,
				       zk_triggered, msg))) {
		free(ors);
		return e;
	}
	int32_t *rs = sm_calloc((size_t)(n_target + nors) + 1, sizeof(int32_t));
	int32_t *add = sm_calloc((size_t)n_target + 1, sizeof(int32_t));
	int32_t *rem = sm_calloc((size_t)nors + 1, sizeof(int32_t));
	int nrs = 0, nadd = 0, nrem = 0;
	for (int i = 0; i < n_target; i++) {
		rs[nrs++] = target[i];
		if (!sm_ra_in(ors, nors, target[i]))
			add[nadd++] = target[i];
	}
	for (int i = 0; i < nors; i++)
		if (!sm_ra_in(target, n_target, ors[i]))
			rs[nrs++] = rem[nrem++] = ors[i];
	/* Replicas that were being added and are not wanted any more. */
	int32_t *dropped = sm_calloc((size_t)p->n_adding + 1, sizeof(int32_t));
	int ndropped = 0;
	for (int i = 0; i < p->n_adding; i++)
		if (!sm_ra_in(rs, nrs, p->adding[i]))
			dropped[ndropped++] = p->adding[i];
	sm_log(SM_LOGFILE_CONTROLLER, SM_LOG_INFO, NULL, SM_RA_LOGGER,
	       "Handling reassignment of partition %s-%d: %d target replicas, adding %d, removing %d",
	       t->name, p->id, n_target, nadd, nrem);
	sm_ra_set_replicas(c, t, p, rs, nrs);
	sm_ra_set_list(&p->adding, &p->n_adding, add, nadd);
	sm_ra_set_list(&p->removing, &p->n_removing, rem, nrem);
	p->zk_reassign = zk_triggered;
	p->reassigning = 1;
	if (sm_ra_write_topic(c, t) == 0) {
		/* A new leader epoch makes every replica (new ones included)
		 * act on the new replica set. */
		sm_ra_refresh(c, t, p);
		int32_t *isr = sm_calloc((size_t)p->st.n_isr + 1, sizeof(int32_t));
		int nisr = 0;
		for (int i = 0; i < p->st.n_isr; i++)
			if (sm_ra_in(rs, nrs, p->st.isr[i]))
				isr[nisr++] = p->st.isr[i];
		/* Kafka's onPartitionReassignment: a reassignment complete from
		 * the start (every target replica in the ISR) skips the first
		 * epoch bump and only gets the completion's. */
		int complete = 1;
		for (int i = 0; i < n_target && complete; i++)
			complete = sm_ra_in(p->st.isr, p->st.n_isr, target[i]);
		if (p->has_state && p->st.leader >= 0 && !complete)
			sm_psm_move_leader(c, t, p, p->st.leader, isr, nisr, "reassignment start");
		free(isr);
		sm_ra_drop_replicas(c, t, p, dropped, ndropped);
		sm_ctrl_reassign_check(c, t, p);
	} else {
		e = SM_ERR_UNKNOWN_SERVER_ERROR;
		*msg = "Failed to write the reassignment to ZooKeeper.";
	}
	free(dropped);
	free(rs);
	free(add);
	free(rem);
	free(ors);
	return e;
}

void sm_ctrl_do_alter_reassignments(sm_controller_t *c, sm_ctrl_sync_t *s)
{
	for (int i = 0; i < s->n_tps && c->active; i++) {
		sm_ctrl_topic_t *t = sm_ctrl_topic(c, s->tps[i].topic);
		int32_t part = s->tps[i].partition;
		if (!t || t->deleting || part < 0 || part >= t->n_partitions ||
		    !t->partitions[part].n_replicas) {
			sm_ctrl_sync_add(s, s->tps[i].topic, part, SM_ERR_UNKNOWN_TOPIC_OR_PARTITION,
					 "The partition does not exist.");
			continue;
		}
		const char *msg = NULL;
		sm_err_t e = sm_ctrl_reassign(c, t, &t->partitions[part], s->targets[i], s->n_targets[i], 0,
					      &msg);
		sm_ctrl_sync_add(s, s->tps[i].topic, part, (int16_t)e, msg);
	}
	sm_ctrl_sync_finish(s, c->active ? SM_ERR_NONE : SM_ERR_NOT_CONTROLLER);
}

void sm_ctrl_reassign_resume(sm_controller_t *c)
{
	for (int i = 0; i < c->ctx.n_topics && c->active; i++) {
		sm_ctrl_topic_t *t = c->ctx.topics[i];
		for (int j = 0; j < t->n_partitions && c->active; j++)
			if (t->partitions[j].n_adding || t->partitions[j].n_removing)
				sm_ctrl_reassign_check(c, t, &t->partitions[j]);
	}
}

void sm_ctrl_reassign_on_brokers_added(sm_controller_t *c, const int32_t *added, int n)
{
	for (int i = 0; i < c->ctx.n_topics && c->active; i++) {
		sm_ctrl_topic_t *t = c->ctx.topics[i];
		for (int j = 0; j < t->n_partitions && c->active; j++) {
			sm_ctrl_partition_t *p = &t->partitions[j];
			if (!p->n_adding && !p->n_removing)
				continue;
			int hit = 0, complete = 1;
			for (int r = 0; r < p->n_replicas; r++)
				if (!sm_ra_in(p->removing, p->n_removing, p->replicas[r]))
					hit |= sm_ra_in(added, n, p->replicas[r]);
			if (!hit)
				continue;
			/* As Kafka's onPartitionReassignment run again: while a
			 * target replica is missing from the ISR the leader gets a
			 * new epoch (so the returning replica acts on the current
			 * replica set), then the completion is checked. */
			sm_ra_refresh(c, t, p);
			for (int r = 0; r < p->n_replicas; r++)
				if (!sm_ra_in(p->removing, p->n_removing, p->replicas[r]))
					complete &= sm_ra_in(p->st.isr, p->st.n_isr, p->replicas[r]);
			if (!complete && p->has_state && p->st.leader >= 0) {
				int32_t *isr = sm_calloc((size_t)p->st.n_isr + 1, sizeof(int32_t));
				int nisr = p->st.n_isr;
				memcpy(isr, p->st.isr, sizeof(int32_t) * (size_t)nisr);
				sm_psm_move_leader(c, t, p, p->st.leader, isr, nisr, "reassignment resumed");
				free(isr);
			}
			sm_ctrl_reassign_check(c, t, p);
		}
	}
}

void sm_ctrl_on_reassign_znode(sm_controller_t *c)
{
	char *data = NULL;
	size_t len = 0;
	if (sm_zk_exists(c->zk, SM_ZKPATH_REASSIGN_PARTITIONS, 1, NULL) != SM_ERR_NONE)
		return;
	if (sm_zk_get(c->zk, SM_ZKPATH_REASSIGN_PARTITIONS, 1, &data, &len, NULL) != SM_ERR_NONE)
		return;
	sm_kzk_reassignment_t *r = NULL;
	int n = 0;
	char err[256];
	if (sm_kzk_reassignment_decode(data, len, &r, &n, err, sizeof(err)) != SM_ERR_NONE) {
		sm_log(SM_LOGFILE_CONTROLLER, SM_LOG_WARN, NULL, SM_RA_LOGGER,
		       "Deleting malformed %s: %s", SM_ZKPATH_REASSIGN_PARTITIONS, err);
		sm_zk_delete(c->zk, SM_ZKPATH_REASSIGN_PARTITIONS, -1);
		free(data);
		return;
	}
	free(data);
	for (int i = 0; i < n && c->active; i++) {
		sm_ctrl_topic_t *t = sm_ctrl_topic(c, r[i].topic);
		sm_ctrl_partition_t *p = NULL;
		if (t && !t->deleting && r[i].partition < t->n_partitions &&
		    t->partitions[r[i].partition].n_replicas)
			p = &t->partitions[r[i].partition];
		if (p && p->zk_reassign)
			continue; /* already running: the event is our own rewrite */
		const char *msg = "The partition does not exist.";
		sm_err_t e = p ? sm_ctrl_reassign(c, t, p, r[i].replicas, r[i].n_replicas, 1, &msg)
			       : SM_ERR_UNKNOWN_TOPIC_OR_PARTITION;
		if (e) {
			sm_log(SM_LOGFILE_CONTROLLER, SM_LOG_WARN, NULL, SM_RA_LOGGER,
			       "Dropping reassignment of %s-%d: %s", r[i].topic, r[i].partition,
			       msg ? msg : sm_err_name(e));
			if (t && p)
				sm_ra_remove_from_znode(c, t, p);
			else if (n == 1)
				sm_zk_delete(c->zk, SM_ZKPATH_REASSIGN_PARTITIONS, -1);
		}
	}
	sm_kzk_reassignments_free(r, n);
}
