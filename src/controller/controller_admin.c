/*
 * controller_admin.c - the controller's admin operations (parts of Kafka's
 * KafkaController): replica leader elections (ElectLeaders, the
 * /admin/preferred_replica_election znode, auto leader rebalance with
 * leader.imbalance.*), controlled shutdown (both the controller's handling
 * and the broker's request loop), and the hand-off between request handler
 * threads and the event thread (sm_ctrl_sync_t).
 *
 * Thread-safety: sm_controller_* entry points run on any thread and only
 * enqueue events and wait; sm_ctrl_do_* / sm_ctrl_on_* / sm_ctrl_auto_* run
 * on the controller event thread.
 */
#include "controller_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "logger.h"
#include "msg_controlled_shutdown.h"
#include "net_client.h"
#include "protocol.h"

#define SM_CTRLA_LOGGER "kafka.controller.KafkaController"

/* ---- request handler <-> event thread ---- */

static sm_ctrl_sync_t *sm_ctrl_sync_new(void)
{
	sm_ctrl_sync_t *s = sm_calloc(1, sizeof(*s));
	pthread_mutex_init(&s->m, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->refs = 2;
	return s;
}

static void sm_ctrl_sync_unref_locked(sm_ctrl_sync_t *s)
{
	if (--s->refs > 0) {
		pthread_mutex_unlock(&s->m);
		return;
	}
	pthread_mutex_unlock(&s->m);
	for (int i = 0; i < s->n_tps; i++) {
		free(s->tps[i].topic);
		if (s->targets)
			free(s->targets[i]);
	}
	free(s->tps);
	free(s->targets);
	free(s->n_targets);
	sm_controller_results_free(s->res, s->n_res);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->m);
	free(s);
}

void sm_ctrl_sync_add(sm_ctrl_sync_t *s, const char *topic, int32_t partition, int16_t error,
		      const char *message)
{
	if (s->n_res == s->cap_res) {
		s->cap_res = s->cap_res ? s->cap_res * 2 : 16;
		s->res = sm_realloc(s->res, sizeof(*s->res) * (size_t)s->cap_res);
	}
	s->res[s->n_res++] = (sm_ctrl_tp_result_t){ sm_strdup(topic), partition, error, message };
}

void sm_ctrl_sync_finish(sm_ctrl_sync_t *s, sm_err_t err)
{
	pthread_mutex_lock(&s->m);
	if (!s->done) {
		s->done = 1;
		if (!s->err)
			s->err = err;
		pthread_cond_broadcast(&s->cv);
	}
	sm_ctrl_sync_unref_locked(s);
}

/* Waits for the event; moves the results out on success. */
static sm_err_t sm_ctrl_sync_wait(sm_ctrl_sync_t *s, int timeout_ms, sm_ctrl_tp_result_t **res,
				  int *n_res)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t ns = ts.tv_nsec + (int64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000LL;
	ts.tv_sec += (time_t)(ns / 1000000000LL);
	ts.tv_nsec = (long)(ns % 1000000000LL);
	pthread_mutex_lock(&s->m);
	while (!s->done)
		if (pthread_cond_timedwait(&s->cv, &s->m, &ts) == ETIMEDOUT)
			break;
	sm_err_t e = s->done ? s->err : SM_ERR_REQUEST_TIMED_OUT;
	*res = NULL;
	*n_res = 0;
	if (s->done && !e) {
		*res = s->res;
		*n_res = s->n_res;
		s->res = NULL;
		s->n_res = 0;
	}
	sm_ctrl_sync_unref_locked(s);
	return e;
}

void sm_controller_results_free(sm_ctrl_tp_result_t *res, int n)
{
	for (int i = 0; i < n; i++)
		free(res[i].topic);
	free(res);
}

sm_err_t sm_controller_elect_leaders(sm_controller_t *c, int election_type,
				     const sm_zk_topic_partition_t *tps, int n_tps, int timeout_ms,
				     sm_ctrl_tp_result_t **res, int *n_res)
{
	*res = NULL;
	*n_res = 0;
	if (!sm_controller_is_active(c))
		return SM_ERR_NOT_CONTROLLER;
	sm_ctrl_sync_t *s = sm_ctrl_sync_new();
	s->election_type = election_type;
	if (tps) {
		s->tps = sm_calloc((size_t)n_tps + 1, sizeof(*s->tps));
		for (int i = 0; i < n_tps; i++)
			s->tps[i] = (sm_zk_topic_partition_t){ sm_strdup(tps[i].topic), tps[i].partition };
		s->n_tps = n_tps;
	} else {
		s->n_tps = -1;
	}
	sm_ctrl_enqueue_sync(c, SM_CTRL_SYNC_ELECT, s);
	return sm_ctrl_sync_wait(s, timeout_ms, res, n_res);
}

sm_err_t sm_controller_alter_reassignments(sm_controller_t *c, const sm_zk_topic_partition_t *tps,
					   int32_t *const *targets, const int *n_targets, int n,
					   int timeout_ms, sm_ctrl_tp_result_t **res, int *n_res)
{
	*res = NULL;
	*n_res = 0;
	if (!sm_controller_is_active(c))
		return SM_ERR_NOT_CONTROLLER;
	sm_ctrl_sync_t *s = sm_ctrl_sync_new();
	s->tps = sm_calloc((size_t)n + 1, sizeof(*s->tps));
	s->targets = sm_calloc((size_t)n + 1, sizeof(*s->targets));
	s->n_targets = sm_calloc((size_t)n + 1, sizeof(*s->n_targets));
	for (int i = 0; i < n; i++) {
		s->tps[i] = (sm_zk_topic_partition_t){ sm_strdup(tps[i].topic), tps[i].partition };
		if (targets[i]) {
			s->targets[i] = sm_calloc((size_t)n_targets[i] + 1, sizeof(int32_t));
			memcpy(s->targets[i], targets[i], sizeof(int32_t) * (size_t)n_targets[i]);
			s->n_targets[i] = n_targets[i];
		}
	}
	s->n_tps = n;
	sm_ctrl_enqueue_sync(c, SM_CTRL_SYNC_REASSIGN, s);
	return sm_ctrl_sync_wait(s, timeout_ms, res, n_res);
}

sm_err_t sm_controller_controlled_shutdown(sm_controller_t *c, int32_t broker_id,
					   int64_t broker_epoch, int timeout_ms,
					   sm_ctrl_tp_result_t **remaining, int *n_remaining)
{
	*remaining = NULL;
	*n_remaining = 0;
	if (!sm_controller_is_active(c))
		return SM_ERR_NOT_CONTROLLER;
	sm_ctrl_sync_t *s = sm_ctrl_sync_new();
	s->broker = broker_id;
	s->broker_epoch = broker_epoch;
	sm_ctrl_enqueue_sync(c, SM_CTRL_SYNC_SHUTDOWN, s);
	return sm_ctrl_sync_wait(s, timeout_ms, remaining, n_remaining);
}

/* ---- elections (event thread) ---- */

static int sm_ctrla_in(const int32_t *v, int n, int32_t x)
{
	for (int i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

int sm_ctrl_broker_shutting_down(sm_controller_t *c, int32_t id)
{
	return sm_ctrla_in(c->shutting_down, c->n_shutting_down, id);
}

/* Leaders change ISRs in ZooKeeper themselves and tell the controller
 * later (isr_change_notification): an election that depends on the ISR
 * reads the current state first. */
static void sm_ctrla_refresh(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p)
{
	sm_zk_partition_state_t st = { 0 };
	if (sm_kzk_get_partition_state(c->zk, t->name, p->id, 0, &st) == SM_ERR_NONE) {
		sm_zk_partition_state_clear(&p->st);
		p->st = st;
	} else {
		sm_zk_partition_state_clear(&st);
	}
}

/* Preferred replica election for one partition (Kafka's
 * PreferredReplicaPartitionLeaderElectionStrategy): the first assigned
 * replica, if it is live and in the ISR. */
static sm_err_t sm_ctrla_elect_preferred(sm_controller_t *c, sm_ctrl_topic_t *t,
					 sm_ctrl_partition_t *p, const char **msg)
{
	if (p->n_replicas == 0 || !p->has_state) {
		*msg = "The partition has no state yet.";
		return SM_ERR_PREFERRED_LEADER_NOT_AVAILABLE;
	}
	sm_ctrla_refresh(c, t, p);
	int32_t pref = p->replicas[0];
	if (p->st.leader == pref) {
		*msg = "Leader election not needed for topic partition.";
		return SM_ERR_ELECTION_NOT_NEEDED;
	}
	if (!sm_ctrl_broker_alive(c, pref) || sm_ctrl_broker_shutting_down(c, pref) ||
	    !sm_ctrla_in(p->st.isr, p->st.n_isr, pref)) {
		*msg = "Failed to elect leader for partition: the preferred replica is not alive or not in the ISR.";
		return SM_ERR_PREFERRED_LEADER_NOT_AVAILABLE;
	}
	if (sm_psm_move_leader(c, t, p, pref, p->st.isr, p->st.n_isr, "preferred replica election")) {
		*msg = "Failed to write the new leader to ZooKeeper.";
		return SM_ERR_PREFERRED_LEADER_NOT_AVAILABLE;
	}
	*msg = NULL;
	return SM_ERR_NONE;
}

/* Unclean election (ElectLeaders type 1): only for partitions without a
 * live leader; a live ISR member is preferred, else the first live replica
 * with the ISR reset to it. */
static sm_err_t sm_ctrla_elect_unclean(sm_controller_t *c, sm_ctrl_topic_t *t,
				       sm_ctrl_partition_t *p, const char **msg)
{
	if (p->has_state && p->st.leader >= 0 && sm_ctrl_broker_alive(c, p->st.leader)) {
		*msg = "Leader election not needed for topic partition.";
		return SM_ERR_ELECTION_NOT_NEEDED;
	}
	int32_t leader = -1;
	for (int i = 0; i < p->n_replicas && leader < 0; i++)
		if (sm_ctrl_broker_alive(c, p->replicas[i]) && sm_ctrla_in(p->st.isr, p->st.n_isr, p->replicas[i]))
			leader = p->replicas[i];
	int unclean = leader < 0;
	for (int i = 0; i < p->n_replicas && leader < 0; i++)
		if (sm_ctrl_broker_alive(c, p->replicas[i]))
			leader = p->replicas[i];
	if (leader < 0 || !p->has_state) {
		*msg = "No live replica to elect.";
		return SM_ERR_ELIGIBLE_LEADERS_NOT_AVAILABLE;
	}
	int r = unclean ? sm_psm_move_leader(c, t, p, leader, &leader, 1, "unclean leader election")
			: sm_psm_move_leader(c, t, p, leader, p->st.isr, p->st.n_isr, "offline leader election");
	if (r) {
		*msg = "Failed to write the new leader to ZooKeeper.";
		return SM_ERR_ELIGIBLE_LEADERS_NOT_AVAILABLE;
	}
	if (unclean)
		sm_ctrl_count_unclean(c);
	*msg = NULL;
	return SM_ERR_NONE;
}

static void sm_ctrla_elect_one(sm_controller_t *c, sm_ctrl_sync_t *s, const char *topic,
			       int32_t partition)
{
	sm_ctrl_topic_t *t = sm_ctrl_topic(c, topic);
	if (!t || t->deleting || partition < 0 || partition >= t->n_partitions ||
	    t->partitions[partition].n_replicas == 0) {
		sm_ctrl_sync_add(s, topic, partition, SM_ERR_UNKNOWN_TOPIC_OR_PARTITION,
				 "The partition does not exist.");
		return;
	}
	const char *msg = NULL;
	sm_ctrl_partition_t *p = &t->partitions[partition];
	sm_err_t e = s->election_type == 1 ? sm_ctrla_elect_unclean(c, t, p, &msg)
					   : sm_ctrla_elect_preferred(c, t, p, &msg);
	sm_ctrl_sync_add(s, topic, partition, (int16_t)e, msg);
}

void sm_ctrl_do_elect_leaders(sm_controller_t *c, sm_ctrl_sync_t *s)
{
	if (s->election_type != 0 && s->election_type != 1) {
		sm_ctrl_sync_finish(s, SM_ERR_INVALID_REQUEST);
		return;
	}
	sm_log(SM_LOGFILE_CONTROLLER, SM_LOG_INFO, NULL, SM_CTRLA_LOGGER,
	       "Starting replica leader election (%s) for %s", s->election_type ? "UNCLEAN" : "PREFERRED",
	       s->n_tps < 0 ? "all partitions" : "the requested partitions");
	if (s->n_tps < 0) {
		for (int i = 0; i < c->ctx.n_topics && c->active; i++) {
			sm_ctrl_topic_t *t = c->ctx.topics[i];
			for (int j = 0; j < t->n_partitions && !t->deleting && c->active; j++)
				sm_ctrla_elect_one(c, s, t->name, j);
		}
	} else {
		for (int i = 0; i < s->n_tps && c->active; i++)
			sm_ctrla_elect_one(c, s, s->tps[i].topic, s->tps[i].partition);
	}
	/* Finishing drops the event's reference (the caller clears ev->sync). */
	sm_ctrl_sync_finish(s, c->active ? SM_ERR_NONE : SM_ERR_NOT_CONTROLLER);
}

/* ---- /admin/preferred_replica_election ---- */

void sm_ctrl_on_preferred_znode(sm_controller_t *c)
{
	char *data = NULL;
	size_t len = 0;
	/* Re-arm first (exists watch fires on creation), then read. */
	if (sm_zk_exists(c->zk, SM_ZKPATH_PREFERRED_ELECTION, 1, NULL) != SM_ERR_NONE)
		return;
	if (sm_zk_get(c->zk, SM_ZKPATH_PREFERRED_ELECTION, 1, &data, &len, NULL) != SM_ERR_NONE)
		return;
	sm_zk_topic_partition_t *tps = NULL;
	int n = 0;
	char err[256];
	sm_ctrl_sync_t *s = sm_ctrl_sync_new();
	s->refs = 1;
	if (sm_zk_partitions_list_decode(data, len, SM_ZKPATH_PREFERRED_ELECTION, &tps, &n, err,
					 sizeof(err)) == SM_ERR_NONE) {
		sm_log(SM_LOGFILE_CONTROLLER, SM_LOG_INFO, NULL, SM_CTRLA_LOGGER,
		       "Starting preferred replica leader election for %d partitions (znode)", n);
		for (int i = 0; i < n && c->active; i++)
			sm_ctrla_elect_one(c, s, tps[i].topic, tps[i].partition);
		for (int i = 0; i < s->n_res; i++)
			if (s->res[i].error && s->res[i].error != SM_ERR_ELECTION_NOT_NEEDED)
				sm_log(SM_LOGFILE_CONTROLLER, SM_LOG_WARN, NULL, SM_CTRLA_LOGGER,
				       "Preferred replica election for %s-%d failed: %s", s->res[i].topic,
				       s->res[i].partition, sm_err_name(s->res[i].error));
		sm_zk_topic_partitions_free(tps, n);
	} else {
		sm_log(SM_LOGFILE_CONTROLLER, SM_LOG_WARN, NULL, SM_CTRLA_LOGGER,
		       "Ignoring malformed %s (deleting it): %s", SM_ZKPATH_PREFERRED_ELECTION, err);
	}
	sm_ctrl_sync_finish(s, SM_ERR_NONE);
	free(data);
	if (c->active)
		sm_zk_delete(c->zk, SM_ZKPATH_PREFERRED_ELECTION, -1);
	(void)sm_zk_exists(c->zk, SM_ZKPATH_PREFERRED_ELECTION, 1, NULL);
}

/* ---- auto leader rebalance ---- */

/* checkAndTriggerAutoLeaderRebalance: per preferred broker, the share of
 * its partitions led by someone else; above
 * leader.imbalance.per.broker.percentage, preferred elections for those
 * whose preferred replica can lead. */
void sm_ctrl_auto_rebalance(sm_controller_t *c)
{
	if (c->cfg->auto_leader_rebalance_enable)
		c->next_rebalance_ms = sm_clock_mono_ms() +
				       c->cfg->leader_imbalance_check_interval_seconds * 1000;
	sm_ctrl_sync_t *s = sm_ctrl_sync_new();
	s->refs = 1;
	for (int b = 0; b < c->ctx.n_brokers && c->active; b++) {
		int32_t id = c->ctx.brokers[b].id;
		int total = 0, off = 0;
		for (int i = 0; i < c->ctx.n_topics; i++) {
			sm_ctrl_topic_t *t = c->ctx.topics[i];
			for (int j = 0; j < t->n_partitions && !t->deleting; j++) {
				sm_ctrl_partition_t *p = &t->partitions[j];
				if (p->n_replicas == 0 || p->replicas[0] != id || !p->has_state)
					continue;
				total++;
				off += p->st.leader != id;
			}
		}
		if (!total || off * 100 <= total * c->cfg->leader_imbalance_per_broker_percentage)
			continue;
		sm_log(SM_LOGFILE_CONTROLLER, SM_LOG_INFO, NULL, SM_CTRLA_LOGGER,
		       "Leader imbalance ratio for broker %d is %.3f; starting preferred elections", id,
		       (double)off / total);
		if (sm_ctrl_broker_shutting_down(c, id))
			continue;
		for (int i = 0; i < c->ctx.n_topics && c->active; i++) {
			sm_ctrl_topic_t *t = c->ctx.topics[i];
			for (int j = 0; j < t->n_partitions && !t->deleting && c->active; j++) {
				sm_ctrl_partition_t *p = &t->partitions[j];
				if (p->n_replicas && p->replicas[0] == id && p->has_state && p->st.leader != id &&
				    sm_ctrla_in(p->st.isr, p->st.n_isr, id))
					sm_ctrla_elect_one(c, s, t->name, j);
			}
		}
	}
	sm_ctrl_sync_finish(s, SM_ERR_NONE);
}

/* ---- controlled shutdown, controller side ---- */

/* ControlledShutdownLeaderElectionStrategy: first replica in assignment
 * order that is live, in the ISR and not shutting down; the ISR loses the
 * departing broker. */
static void sm_ctrla_move_away(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p,
			       int32_t broker)
{
	int32_t leader = -1;
	sm_ctrla_refresh(c, t, p);
	for (int i = 0; i < p->n_replicas && leader < 0; i++) {
		int32_t r = p->replicas[i];
		if (r != broker && sm_ctrl_broker_alive(c, r) && !sm_ctrl_broker_shutting_down(c, r) &&
		    sm_ctrla_in(p->st.isr, p->st.n_isr, r))
			leader = r;
	}
	if (leader < 0)
		return;
	int32_t *isr = sm_calloc((size_t)p->st.n_isr + 1, sizeof(int32_t));
	int n = 0;
	for (int i = 0; i < p->st.n_isr; i++)
		if (p->st.isr[i] != broker)
			isr[n++] = p->st.isr[i];
	sm_psm_move_leader(c, t, p, leader, isr, n, "controlled shutdown");
	free(isr);
}

static void sm_ctrla_shutdown_partitions(sm_controller_t *c, int32_t broker)
{
	for (int i = 0; i < c->ctx.n_topics && c->active; i++) {
		sm_ctrl_topic_t *t = c->ctx.topics[i];
		if (t->deleting)
			continue;
		for (int j = 0; j < t->n_partitions && c->active; j++) {
			sm_ctrl_partition_t *p = &t->partitions[j];
			int idx = -1;
			for (int r = 0; r < p->n_replicas; r++)
				if (p->replicas[r] == broker)
					idx = r;
			if (idx < 0 || p->n_replicas < 2 || !p->has_state)
				continue;
			if (p->st.leader == broker) {
				sm_ctrla_move_away(c, t, p, broker);
			} else if (p->rstate[idx] != SM_RSM_OFFLINE) {
				/* A follower: stop fetching, leave the ISR. */
				sm_ctrl_batch_sr(c, broker, t->name, p->id, 0);
				sm_rsm_transition(c, t, p, idx, SM_RSM_OFFLINE);
				sm_psm_remove_from_isr(c, t, p, broker);
			}
		}
	}
}

void sm_ctrl_do_controlled_shutdown(sm_controller_t *c, sm_ctrl_sync_t *s)
{
	sm_ctrl_broker_t *b = sm_ctrl_broker(c, s->broker);
	sm_log(SM_LOGFILE_CONTROLLER, SM_LOG_INFO, NULL, SM_CTRLA_LOGGER,
	       "Shutting down broker %d", s->broker);
	if (!b) {
		/* Kafka 2.8 looks a given broker epoch up among the live brokers
		 * first, and that lookup of an unknown id fails unhandled
		 * (UNKNOWN_SERVER_ERROR); without an epoch (v0-v1) it answers
		 * BROKER_NOT_AVAILABLE */
		sm_ctrl_sync_finish(s, s->broker_epoch != -1 ? SM_ERR_UNKNOWN_SERVER_ERROR
							     : SM_ERR_BROKER_NOT_AVAILABLE);
		return;
	}
	if (s->broker_epoch != -1 && s->broker_epoch < b->epoch) {
		sm_ctrl_sync_finish(s, SM_ERR_STALE_BROKER_EPOCH);
		return;
	}
	if (!sm_ctrl_broker_shutting_down(c, s->broker)) {
		c->shutting_down = sm_realloc(c->shutting_down,
					      sizeof(int32_t) * (size_t)(c->n_shutting_down + 1));
		c->shutting_down[c->n_shutting_down++] = s->broker;
	}
	sm_ctrla_shutdown_partitions(c, s->broker);
	for (int i = 0; i < c->ctx.n_topics; i++) {
		sm_ctrl_topic_t *t = c->ctx.topics[i];
		for (int j = 0; j < t->n_partitions; j++) {
			sm_ctrl_partition_t *p = &t->partitions[j];
			if (p->has_state && p->st.leader == s->broker && p->n_replicas > 1)
				sm_ctrl_sync_add(s, t->name, p->id, 0, NULL);
		}
	}
	sm_log(SM_LOGFILE_CONTROLLER, SM_LOG_INFO, NULL, SM_CTRLA_LOGGER,
	       "Broker %d still leads %d replicated partitions after controlled shutdown", s->broker,
	       s->n_res);
	sm_ctrl_sync_finish(s, c->active ? SM_ERR_NONE : SM_ERR_NOT_CONTROLLER);
}
