/*
 * controller_log_dir.c - how the controller reacts to a broker losing a log
 * dir (Kafka's KafkaController.processLogDirEventNotification,
 * onBrokerLogDirFailure, processLeaderAndIsrResponseReceived and
 * onReplicasBecomeOffline).
 *
 * The broker whose dir failed writes /log_dir_event_notification/
 * log_dir_event_<seq>. The controller deletes the notifications and re-sends
 * LeaderAndIsr for every replica of that broker; the broker answers
 * KAFKA_STORAGE_ERROR for the replicas in offline dirs. Those replicas join
 * the context's offline set (replicasOnOfflineDirs) and go OfflineReplica:
 * partitions they led get a new leader from the rest of the ISR, and they
 * leave the ISR. Until the broker fails or re-registers, elections and
 * UpdateMetadata treat them as offline although the broker is alive.
 *
 * At failover the notifications are deleted as well: the failover's
 * LeaderAndIsr to every replica reveals the offline replicas the same way.
 *
 * Thread-safety: controller event thread only.
 */
#include "controller_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logger.h"

/* ---- the offline replica set ---- */

static int sm_cld_find(const sm_controller_t *c, const char *topic, int32_t partition,
		       int32_t broker)
{
	for (int i = 0; i < c->ctx.n_offline; i++) {
		const sm_ctrl_offline_replica_t *o = &c->ctx.offline[i];
		if (o->broker == broker && o->partition == partition && !strcmp(o->topic, topic))
			return i;
	}
	return -1;
}

static void sm_cld_remove_at(sm_controller_t *c, int i)
{
	free(c->ctx.offline[i].topic);
	c->ctx.offline[i] = c->ctx.offline[--c->ctx.n_offline];
}

int sm_ctrl_replica_online(sm_controller_t *c, const char *topic, int32_t partition,
			   int32_t broker)
{
	if (!sm_ctrl_broker_alive(c, broker))
		return 0;
	return c->ctx.n_offline == 0 || sm_cld_find(c, topic, partition, broker) < 0;
}

void sm_ctrl_offline_forget_broker(sm_controller_t *c, int32_t broker)
{
	for (int i = 0; i < c->ctx.n_offline; i++)
		if (c->ctx.offline[i].broker == broker)
			sm_cld_remove_at(c, i--);
}

void sm_ctrl_offline_clear(sm_controller_t *c)
{
	for (int i = 0; i < c->ctx.n_offline; i++)
		free(c->ctx.offline[i].topic);
	free(c->ctx.offline);
	c->ctx.offline = NULL;
	c->ctx.n_offline = c->ctx.cap_offline = 0;
}

void sm_ctrl_lai_results_free(sm_ctrl_lai_result_t *results, int n)
{
	for (int i = 0; i < n; i++)
		free(results[i].topic);
	free(results);
}

/* ---- LogDirEventNotification ---- */

void sm_ctrl_on_log_dir_event(sm_controller_t *c)
{
	char **kids = NULL;
	int n = 0;
	if (sm_zk_get_children(c->zk, SM_ZKPATH_LOG_DIR_EVENT, 1, &kids, &n))
		n = 0;
	int32_t *brokers = sm_calloc((size_t)n + 1, sizeof(int32_t));
	int nb = 0;
	for (int i = 0; i < n; i++) {
		char path[512], err[256];
		snprintf(path, sizeof(path), "%s/%s", SM_ZKPATH_LOG_DIR_EVENT, kids[i]);
		char *data = NULL;
		size_t len = 0;
		int32_t b = -1;
		if (sm_zk_get(c->zk, path, 0, &data, &len, NULL) == SM_ERR_NONE) {
			if (sm_zk_log_dir_event_decode(data, len, &b, err, sizeof(err)) == SM_ERR_NONE) {
				int seen = 0;
				for (int k = 0; k < nb; k++)
					seen |= brokers[k] == b;
				if (!seen)
					brokers[nb++] = b;
			} else {
				CLOG(c, SM_LOG_WARN, "Ignoring malformed log dir event notification %s: %s",
				     path, err);
			}
		}
		free(data);
		sm_zk_delete(c->zk, path, -1);
	}
	sm_zk_strings_free(kids, n);
	for (int k = 0; k < nb; k++) {
		if (!sm_ctrl_broker_alive(c, brokers[k]))
			continue;
		/* onBrokerLogDirFailure: every replica of the broker ->
		 * OnlineReplica, which re-sends its LeaderAndIsr. */
		CLOG(c, SM_LOG_INFO, "Handling log directory failure for brokers %d", brokers[k]);
		for (int i = 0; i < c->ctx.n_topics; i++) {
			sm_ctrl_topic_t *t = c->ctx.topics[i];
			if (t->deleting)
				continue;
			for (int j = 0; j < t->n_partitions; j++) {
				sm_ctrl_partition_t *p = &t->partitions[j];
				for (int r = 0; r < p->n_replicas; r++) {
					if (p->replicas[r] != brokers[k] || !p->has_state)
						continue;
					if (sm_cld_find(c, t->name, p->id, brokers[k]) < 0 &&
					    p->rstate[r] != SM_RSM_ONLINE)
						(void)sm_rsm_transition(c, t, p, r, SM_RSM_ONLINE);
					sm_ctrl_batch_lai(c, brokers[k], t, p->id, 0);
				}
			}
		}
	}
	free(brokers);
}

/* ---- LeaderAndIsr responses ---- */

static sm_ctrl_topic_t *sm_cld_topic(sm_controller_t *c, const sm_ctrl_lai_result_t *r)
{
	if (r->topic)
		return sm_ctrl_topic(c, r->topic);
	for (int i = 0; i < c->ctx.n_topics; i++)
		if (!memcmp(c->ctx.topics[i]->id, r->topic_id, 16))
			return c->ctx.topics[i];
	return NULL;
}

static int sm_cld_replica_index(const sm_ctrl_partition_t *p, int32_t broker)
{
	for (int r = 0; r < p->n_replicas; r++)
		if (p->replicas[r] == broker)
			return r;
	return -1;
}

/* onReplicasBecomeOffline for broker's replicas of the n partitions. */
static void sm_cld_replicas_become_offline(sm_controller_t *c, int32_t broker,
					   sm_ctrl_topic_t **ts, const int32_t *ps, int n)
{
	for (int i = 0; i < n && c->active; i++) {
		sm_ctrl_topic_t *t = ts[i];
		sm_ctrl_partition_t *p = &t->partitions[ps[i]];
		if (t->deleting || !p->has_state)
			continue;
		/* Leaders change ISRs themselves: elect from ZooKeeper's copy. */
		sm_zk_partition_state_t cur = { 0 };
		if (sm_kzk_get_partition_state(c->zk, t->name, p->id, 0, &cur) == SM_ERR_NONE) {
			sm_zk_partition_state_clear(&p->st);
			p->st = cur;
		} else {
			sm_zk_partition_state_clear(&cur);
		}
		if (p->st.leader == broker && p->pstate == SM_PSM_ONLINE)
			(void)sm_psm_transition(c, t, p, SM_PSM_OFFLINE);
	}
	if (!c->active)
		return;
	sm_psm_trigger_online(c);
	for (int i = 0; i < n && c->active; i++) {
		sm_ctrl_topic_t *t = ts[i];
		sm_ctrl_partition_t *p = &t->partitions[ps[i]];
		int r = sm_cld_replica_index(p, broker);
		if (r < 0 || t->deleting)
			continue;
		if (sm_rsm_transition(c, t, p, r, SM_RSM_OFFLINE))
			continue;
		/* OfflineReplica: StopReplica (no deletion) to the replica,
		 * out of the ISR, LeaderAndIsr to the other replicas. */
		sm_ctrl_batch_sr(c, broker, t->name, p->id, 0);
		sm_psm_remove_from_isr(c, t, p, broker);
		sm_ctrl_batch_um_partition(c, t, p->id, 0);
	}
}

void sm_ctrl_on_lai_response(sm_controller_t *c, int32_t broker, int16_t error,
			     const sm_ctrl_lai_result_t *results, int n)
{
	if (error) {
		sm_log(SM_LOGFILE_STATE_CHANGE, SM_LOG_ERROR, NULL, "state.change.logger",
		       "Received error %s in LeaderAndIsr response from broker %d",
		       sm_err_name(error), broker);
		return;
	}
	if (!sm_ctrl_broker_alive(c, broker))
		return;
	sm_ctrl_topic_t **ts = sm_calloc((size_t)n + 1, sizeof(*ts));
	int32_t *ps = sm_calloc((size_t)n + 1, sizeof(int32_t));
	int nnew = 0;
	char names[1024];
	size_t used = 0;
	names[0] = '\0';
	for (int i = 0; i < n; i++) {
		const sm_ctrl_lai_result_t *r = &results[i];
		if (r->error != SM_ERR_KAFKA_STORAGE_ERROR &&
		    (r->error != SM_ERR_NONE || c->ctx.n_offline == 0))
			continue;
		sm_ctrl_topic_t *t = sm_cld_topic(c, r);
		if (!t || r->partition < 0 || r->partition >= t->n_partitions)
			continue;
		int at = sm_cld_find(c, t->name, r->partition, broker);
		if (r->error == SM_ERR_NONE) {
			if (at >= 0)
				sm_cld_remove_at(c, at);
			continue;
		}
		if (at >= 0)
			continue;
		sm_ctrl_ctx_t *x = &c->ctx;
		if (x->n_offline == x->cap_offline) {
			x->cap_offline = x->cap_offline ? x->cap_offline * 2 : 16;
			x->offline = sm_realloc(x->offline, sizeof(*x->offline) * (size_t)x->cap_offline);
		}
		x->offline[x->n_offline++] = (sm_ctrl_offline_replica_t){ broker, sm_strdup(t->name),
									  r->partition };
		ts[nnew] = t;
		ps[nnew++] = r->partition;
		if (used + 2 < sizeof(names))
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s[%s,%d,%d]",
						 used ? "," : "", t->name, (int)r->partition, broker);
	}
	if (nnew) {
		sm_ctrl_state_log(c, "Mark replicas %s on broker %d as offline", names, broker);
		CLOG(c, SM_LOG_INFO, "Replicas %s on broker %d are offline (log dir failure); moving their leadership",
		     names, broker);
		sm_cld_replicas_become_offline(c, broker, ts, ps, nnew);
	}
	free(ts);
	free(ps);
}
