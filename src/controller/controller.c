/*
 * controller.c - Kafka's KafkaController + ControllerEventManager: election,
 * failover, and the handlers of every controller event. See controller.h.
 *
 * Events are queued by ZooKeeper watches (any thread) and processed in FIFO
 * order by the one "controller-event-thread". Each handler runs the state
 * machines against the context, collects requests in c->batch and sends them
 * at the end of the event.
 */
#include "controller_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "logger.h"
#include "thread_role.h"


typedef enum sm_ctrl_event_type {
	SM_EV_STARTUP,
	SM_EV_CONTROLLER_CHANGE,
	SM_EV_REELECT,
	SM_EV_BROKER_CHANGE,
	SM_EV_TOPIC_CHANGE,
	SM_EV_PARTITION_MODIFICATIONS,
	SM_EV_TOPIC_DELETION,
	SM_EV_ISR_CHANGE_NOTIFICATION,
	SM_EV_STOP_REPLICA_RESULT,
	SM_EV_SESSION_REESTABLISHED,
	SM_EV_SHUTDOWN,
	SM_EV_ELECT_LEADERS,
	SM_EV_CONTROLLED_SHUTDOWN,
	SM_EV_PREFERRED_ELECTION,
	SM_EV_AUTO_REBALANCE,
	SM_EV_ALTER_REASSIGNMENTS,
	SM_EV_REASSIGN_ZNODE,
	SM_EV_BROKER_MODIFICATIONS,
	SM_EV_LOG_DIR_EVENT,
	SM_EV_LAI_RESPONSE,
} sm_ctrl_event_type_t;

static const char *const sm_ctrl_event_names[] = {
	"Startup", "ControllerChange", "Reelect", "BrokerChange", "TopicChange",
	"PartitionModifications", "TopicDeletion", "IsrChangeNotification",
	"TopicDeletionStopReplicaResponseReceived", "RegisterBrokerAndReelect", "Shutdown",
	"ReplicaLeaderElection", "ControlledShutdown", "ReplicaLeaderElection(znode)",
	"AutoPreferredReplicaLeaderElection", "ApiPartitionReassignment", "ZkPartitionReassignment", "BrokerModifications",
	"LogDirEventNotification", "LeaderAndIsrResponseReceived",
};

typedef struct sm_ctrl_event {
	struct sm_ctrl_event *next;
	sm_ctrl_event_type_t type;
	char *topic;
	int32_t partition;
	int32_t broker;
	int16_t error;
	sm_ctrl_sync_t *sync;
	sm_ctrl_lai_result_t *results; /* LeaderAndIsrResponseReceived */
	int n_results;
} sm_ctrl_event_t;

static void sm_ctrl_event_free(sm_ctrl_event_t *ev)
{
	if (ev->sync)
		sm_ctrl_sync_finish(ev->sync, SM_ERR_NOT_CONTROLLER);
	sm_ctrl_lai_results_free(ev->results, ev->n_results);
	free(ev->topic);
	free(ev);
}

void sm_ctrl_state_log(sm_controller_t *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sm_logv(SM_LOGFILE_STATE_CHANGE, SM_LOG_INFO, NULL, "state.change.logger", fmt, ap);
	va_end(ap);
	(void)c;
}

static void sm_ctrl_enqueue_ev_results(sm_controller_t *c, sm_ctrl_event_type_t type,
				       const char *topic, int32_t partition, int32_t broker,
				       int16_t error, sm_ctrl_sync_t *sync,
				       sm_ctrl_lai_result_t *results, int n_results)
{
	sm_ctrl_event_t *ev = sm_calloc(1, sizeof(*ev));
	ev->type = type;
	ev->results = results;
	ev->n_results = n_results;
	ev->sync = sync;
	ev->topic = topic ? sm_strdup(topic) : NULL;
	ev->partition = partition;
	ev->broker = broker;
	ev->error = error;
	pthread_mutex_lock(&c->lock);
	if (c->stopping && type != SM_EV_SHUTDOWN) {
		pthread_mutex_unlock(&c->lock);
		sm_ctrl_event_free(ev);
		return;
	}
	if (c->tail)
		c->tail->next = ev;
	else
		c->head = ev;
	c->tail = ev;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

static void sm_ctrl_enqueue_ev(sm_controller_t *c, sm_ctrl_event_type_t type, const char *topic,
			       int32_t partition, int32_t broker, int16_t error, sm_ctrl_sync_t *sync)
{
	sm_ctrl_enqueue_ev_results(c, type, topic, partition, broker, error, sync, NULL, 0);
}

static void sm_ctrl_enqueue(sm_controller_t *c, sm_ctrl_event_type_t type, const char *topic,
			    int32_t partition, int32_t broker, int16_t error)
{
	sm_ctrl_enqueue_ev(c, type, topic, partition, broker, error, NULL);
}

void sm_ctrl_enqueue_sync(sm_controller_t *c, int kind, sm_ctrl_sync_t *s)
{
	/* The caller then waits for the controller thread: never the
	 * controller itself (it would wait for itself) nor a thread that must
	 * not block. */
	SM_ASSERT_NOT_ROLE(SM_ROLE_CONTROLLER | SM_ROLE_PURGATORY | SM_ROLE_PROCESSOR |
			   SM_ROLE_ACCEPTOR | SM_ROLE_ZK_CALLBACK);
	sm_ctrl_event_type_t type = kind == SM_CTRL_SYNC_ELECT      ? SM_EV_ELECT_LEADERS
				    : kind == SM_CTRL_SYNC_SHUTDOWN ? SM_EV_CONTROLLED_SHUTDOWN
								    : SM_EV_ALTER_REASSIGNMENTS;
	sm_ctrl_enqueue_ev(c, type, NULL, -1, -1, 0, s);
}

void sm_ctrl_enqueue_lai_response(sm_controller_t *c, int32_t broker, int16_t error,
				  sm_ctrl_lai_result_t *results, int n)
{
	sm_ctrl_enqueue_ev_results(c, SM_EV_LAI_RESPONSE, NULL, -1, broker, error, NULL, results, n);
}

void sm_ctrl_enqueue_stop_replica_result(sm_controller_t *c, int32_t broker, const char *topic,
					 int32_t partition, int16_t error)
{
	sm_ctrl_enqueue(c, SM_EV_STOP_REPLICA_RESULT, topic, partition, broker, error);
}

/* ---- context ---- */

sm_ctrl_broker_t *sm_ctrl_broker(sm_controller_t *c, int32_t id)
{
	for (int i = 0; i < c->ctx.n_brokers; i++)
		if (c->ctx.brokers[i].id == id)
			return &c->ctx.brokers[i];
	return NULL;
}

int sm_ctrl_broker_alive(sm_controller_t *c, int32_t id)
{
	return sm_ctrl_broker(c, id) != NULL;
}

sm_ctrl_topic_t *sm_ctrl_topic(sm_controller_t *c, const char *name)
{
	for (int i = 0; i < c->ctx.n_topics; i++)
		if (!strcmp(c->ctx.topics[i]->name, name))
			return c->ctx.topics[i];
	return NULL;
}

static void sm_ctrl_partition_free(sm_ctrl_partition_t *p)
{
	free(p->adding);
	free(p->removing);
	free(p->replicas);
	free(p->rstate);
	sm_zk_partition_state_clear(&p->st);
}

static void sm_ctrl_topic_free(sm_ctrl_topic_t *t)
{
	for (int i = 0; i < t->n_partitions; i++)
		sm_ctrl_partition_free(&t->partitions[i]);
	free(t->partitions);
	free(t->name);
	free(t);
}

static void sm_ctrl_remove_topic(sm_controller_t *c, sm_ctrl_topic_t *t)
{
	for (int i = 0; i < c->ctx.n_topics; i++)
		if (c->ctx.topics[i] == t) {
			c->ctx.topics[i] = c->ctx.topics[--c->ctx.n_topics];
			break;
		}
	sm_ctrl_topic_free(t);
}

static void sm_ctrl_ctx_clear(sm_controller_t *c)
{
	for (int i = 0; i < c->ctx.n_brokers; i++)
		sm_zk_broker_clear(&c->ctx.brokers[i].info);
	free(c->ctx.brokers);
	for (int i = 0; i < c->ctx.n_topics; i++)
		sm_ctrl_topic_free(c->ctx.topics[i]);
	free(c->ctx.topics);
	sm_ctrl_offline_clear(c);
	memset(&c->ctx, 0, sizeof(c->ctx));
}

static void sm_ctrl_add_broker(sm_controller_t *c, sm_zk_broker_info_t *info)
{
	c->ctx.brokers = sm_realloc(c->ctx.brokers, sizeof(*c->ctx.brokers) * (size_t)(c->ctx.n_brokers + 1));
	sm_ctrl_broker_t *b = &c->ctx.brokers[c->ctx.n_brokers++];
	b->id = info->id;
	b->epoch = info->epoch;
	b->info = *info;
	memset(info, 0, sizeof(*info));
	const char *host = NULL;
	int port = 0;
	for (int i = 0; i < b->info.n_endpoints; i++)
		if (!strcmp(b->info.endpoints[i].listener, c->listener)) {
			host = b->info.endpoints[i].host;
			port = b->info.endpoints[i].port;
		}
	if (!host && b->info.n_endpoints > 0) {
		host = b->info.endpoints[0].host;
		port = b->info.endpoints[0].port;
	}
	if (host)
		sm_controller_channel_add_broker(c->channel, b->id, *host ? host : "localhost", port);
}

static void sm_ctrl_drop_broker(sm_controller_t *c, int32_t id)
{
	for (int i = 0; i < c->ctx.n_brokers; i++)
		if (c->ctx.brokers[i].id == id) {
			sm_controller_channel_remove_broker(c->channel, id);
			sm_zk_broker_clear(&c->ctx.brokers[i].info);
			c->ctx.brokers[i] = c->ctx.brokers[--c->ctx.n_brokers];
			return;
		}
}

/* Reads a topic's assignment (with a data watch) into a new context entry,
 * giving it a topic id if it has none (IBP >= 2.8). NULL on failure. */
static sm_ctrl_topic_t *sm_ctrl_load_topic(sm_controller_t *c, const char *name)
{
	sm_zk_topic_assignment_t a = { 0 };
	int32_t zkv;
	sm_err_t e = sm_kzk_get_topic_assignment(c->zk, name, 1, &a, &zkv);
	if (e) {
		if (e != SM_ERR__NOENT)
			CLOG(c, SM_LOG_ERROR, "Ignoring topic %s: cannot read its assignment (%s)", name, sm_err_name(e));
		sm_zk_topic_clear(&a);
		return NULL;
	}
	if (!a.has_topic_id) {
		sm_uuid_random(a.topic_id);
		a.has_topic_id = 1;
		e = sm_kzk_set_topic_assignment(c->zk, name, &a, zkv, c->ctx.epoch_zkv, NULL);
		if (e == SM_ERR_NOT_CONTROLLER) {
			sm_zk_topic_clear(&a);
			sm_ctrl_fenced(c);
			return NULL;
		}
	}
	sm_ctrl_topic_t *t = sm_calloc(1, sizeof(*t));
	t->name = sm_strdup(name);
	memcpy(t->id, a.topic_id, 16);
	int maxp = -1;
	for (int i = 0; i < a.n_partitions; i++)
		if (a.partitions[i].partition > maxp)
			maxp = a.partitions[i].partition;
	t->n_partitions = maxp + 1;
	t->partitions = sm_calloc((size_t)(t->n_partitions + 1), sizeof(*t->partitions));
	for (int i = 0; i < t->n_partitions; i++)
		t->partitions[i].id = i;
	for (int i = 0; i < a.n_partitions; i++) {
		const sm_zk_partition_assignment_t *pa = &a.partitions[i];
		if (pa->partition < 0)
			continue;
		sm_ctrl_partition_t *p = &t->partitions[pa->partition];
		p->n_replicas = pa->n_replicas;
		p->replicas = sm_calloc((size_t)(pa->n_replicas + 1), sizeof(int32_t));
		memcpy(p->replicas, pa->replicas, sizeof(int32_t) * (size_t)pa->n_replicas);
		p->rstate = sm_calloc((size_t)(pa->n_replicas + 1), sizeof(sm_rsm_state_t));
		if (pa->n_adding || pa->n_removing) {
			p->adding = sm_calloc((size_t)pa->n_adding + 1, sizeof(int32_t));
			p->removing = sm_calloc((size_t)pa->n_removing + 1, sizeof(int32_t));
			if (pa->n_adding)
				memcpy(p->adding, pa->adding, sizeof(int32_t) * (size_t)pa->n_adding);
			if (pa->n_removing)
				memcpy(p->removing, pa->removing, sizeof(int32_t) * (size_t)pa->n_removing);
			p->n_adding = pa->n_adding;
			p->n_removing = pa->n_removing;
		}
	}
	sm_zk_topic_clear(&a);
	c->ctx.topics = sm_realloc(c->ctx.topics, sizeof(*c->ctx.topics) * (size_t)(c->ctx.n_topics + 1));
	c->ctx.topics[c->ctx.n_topics++] = t;
	return t;
}

/* Reads existing partition state znodes; sets the initial partition and
 * replica states as Kafka's state machine startup does. */
static void sm_ctrl_init_partition_states(sm_controller_t *c, sm_ctrl_topic_t *t, int from)
{
	int n = t->n_partitions - from;
	if (n <= 0)
		return;
	/* One pipelined batch of reads for the whole topic. */
	sm_kzk_tp_ref_t *tps = sm_calloc((size_t)n, sizeof(*tps));
	sm_zk_partition_state_t *sts = sm_calloc((size_t)n, sizeof(*sts));
	sm_err_t *errs = sm_calloc((size_t)n, sizeof(sm_err_t));
	for (int j = from; j < t->n_partitions; j++)
		tps[j - from] = (sm_kzk_tp_ref_t){ t->name, t->partitions[j].id };
	sm_kzk_get_partition_states(c->zk, n, tps, sts, errs);
	for (int j = from; j < t->n_partitions; j++) {
		sm_ctrl_partition_t *p = &t->partitions[j];
		sm_zk_partition_state_t st = sts[j - from];
		sm_err_t e = errs[j - from];
		if (e == SM_ERR_NONE) {
			p->st = st;
			p->has_state = 1;
			p->pstate = st.leader >= 0 && sm_ctrl_broker_alive(c, st.leader) ? SM_PSM_ONLINE
											: SM_PSM_OFFLINE;
		} else {
			sm_zk_partition_state_clear(&st);
			p->pstate = SM_PSM_NEW;
		}
		for (int r = 0; r < p->n_replicas; r++)
			p->rstate[r] = sm_ctrl_broker_alive(c, p->replicas[r]) ? SM_RSM_ONLINE : SM_RSM_OFFLINE;
	}
	free(tps);
	free(sts);
	free(errs);
}

/* The initial states of partitions the controller sees appear (a new
 * topic, partitions added to one): NewPartition, as Kafka's
 * onNewPartitionCreation starts them, with no read of their state znodes.
 * None can exist: an earlier controller only writes them behind the epoch
 * check, before this controller's election, and this controller's startup
 * read every topic there was then with its states. Should one exist all
 * the same, creating it fails with NODEEXISTS and the state machine adopts
 * it (sm_psm_prepare_new). */
static void sm_ctrl_init_new_partition_states(sm_controller_t *c, sm_ctrl_topic_t *t, int from)
{
	for (int j = from; j < t->n_partitions; j++) {
		sm_ctrl_partition_t *p = &t->partitions[j];
		p->pstate = SM_PSM_NEW;
		for (int r = 0; r < p->n_replicas; r++)
			p->rstate[r] = sm_ctrl_broker_alive(c, p->replicas[r]) ? SM_RSM_ONLINE : SM_RSM_OFFLINE;
	}
}

/* ---- election and failover ---- */

void sm_ctrl_fenced(sm_controller_t *c)
{
	if (!c->active)
		return;
	CLOG(c, SM_LOG_WARN, "Controller moved to another broker (epoch check failed); resigning");
	sm_ctrl_enqueue(c, SM_EV_CONTROLLER_CHANGE, NULL, -1, -1, 0);
	__atomic_store_n(&c->active, 0, __ATOMIC_RELEASE);
}

static void sm_ctrl_resign(sm_controller_t *c)
{
	int was = c->active || c->channel;
	__atomic_store_n(&c->active, 0, __ATOMIC_RELEASE);
	if (c->channel) {
		sm_controller_channel_destroy(c->channel);
		c->channel = NULL;
	}
	sm_ctrl_batch_clear(&c->batch);
	sm_psm_discard(c);
	sm_ctrl_ctx_clear(c);
	c->n_shutting_down = 0;
	c->next_rebalance_ms = 0;
	if (was)
		CLOG(c, SM_LOG_INFO, "Resigned as the controller");
}

static void sm_ctrl_delete_isr_notifications(sm_controller_t *c, int watch, char ***out, int *n_out)
{
	char **kids = NULL;
	int n = 0;
	if (sm_zk_get_children(c->zk, SM_ZKPATH_ISR_CHANGE, watch, &kids, &n))
		n = 0;
	if (out) {
		*out = kids;
		*n_out = n;
		return;
	}
	for (int i = 0; i < n; i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", SM_ZKPATH_ISR_CHANGE, kids[i]);
		sm_zk_delete(c->zk, path, -1);
	}
	sm_zk_strings_free(kids, n);
}

static void sm_ctrl_process_deletions(sm_controller_t *c);

static void sm_ctrl_on_failover(sm_controller_t *c)
{
	CLOG(c, SM_LOG_INFO, "Starting become controller state transition (epoch %d)", c->ctx.epoch);
	int64_t t0 = sm_clock_mono_ms();
	uint64_t rt0 = sm_zk_round_trips(c->zk);
	c->channel = sm_controller_channel_new(c->broker_id);
	sm_controller_channel_set_timeout(c->channel, c->cfg->controller_socket_timeout_ms);
	int32_t *ids = NULL;
	int n = 0;
	sm_kzk_get_broker_ids(c->zk, 1, &ids, &n);
	free(ids);
	sm_zk_broker_info_t *brokers = NULL;
	int nb = 0;
	sm_kzk_get_all_brokers(c->zk, &brokers, &nb);
	for (int i = 0; i < nb; i++) {
		/* A data watch per registration (BrokerModifications). */
		sm_zk_broker_info_t w = { 0 };
		(void)sm_kzk_get_broker(c->zk, brokers[i].id, 1, &w);
		sm_zk_broker_clear(&w);
		sm_ctrl_add_broker(c, &brokers[i]);
	}
	sm_kzk_brokers_free(brokers, nb);
	char **dels = NULL;
	int nd = 0;
	sm_kzk_get_delete_topics(c->zk, 1, &dels, &nd);
	sm_zk_strings_free(dels, nd);
	sm_ctrl_delete_isr_notifications(c, 1, NULL, NULL);
	char **topics = NULL;
	int nt = 0;
	sm_kzk_get_topics(c->zk, 1, &topics, &nt);
	for (int i = 0; i < nt && c->active; i++) {
		sm_ctrl_topic_t *t = sm_ctrl_load_topic(c, topics[i]);
		if (t)
			sm_ctrl_init_partition_states(c, t, 0);
	}
	sm_zk_strings_free(topics, nt);
	if (!c->active)
		return;
	/* ReplicaStateMachine startup: replicas on dead brokers go Offline,
	 * which takes them out of the ISR (a dead leader leaves none). The
	 * state writes of the whole failover go out pipelined. */
	c->defer = 1;
	for (int i = 0; i < c->ctx.n_topics && c->active; i++) {
		sm_ctrl_topic_t *t = c->ctx.topics[i];
		for (int j = 0; j < t->n_partitions && c->active && !t->deleting; j++) {
			sm_ctrl_partition_t *p = &t->partitions[j];
			for (int r = 0; r < p->n_replicas && c->active; r++)
				if (!sm_ctrl_broker_alive(c, p->replicas[r]))
					sm_psm_remove_from_isr(c, t, p, p->replicas[r]);
		}
	}
	if (!c->active)
		return;
	/* Every broker learns the full picture, then leaders are (re)elected
	 * and every replica is told its role. */
	sm_ctrl_batch_um_all(c);
	for (int i = 0; i < c->ctx.n_topics; i++) {
		sm_ctrl_topic_t *t = c->ctx.topics[i];
		for (int j = 0; j < t->n_partitions; j++)
			if (t->partitions[j].pstate == SM_PSM_ONLINE)
				sm_ctrl_batch_lai_all_replicas(c, t, &t->partitions[j], 0);
	}
	sm_psm_trigger_online(c);
	sm_psm_flush(c);
	/* Log dir failures announced before this failover: the LeaderAndIsr
	 * just queued for every replica reveals the offline ones. */
	sm_ctrl_on_log_dir_event(c);
	sm_ctrl_process_deletions(c);
	sm_ctrl_on_preferred_znode(c);
	sm_ctrl_reassign_resume(c);
	sm_ctrl_on_reassign_znode(c);
	if (c->cfg->auto_leader_rebalance_enable)
		c->next_rebalance_ms = sm_clock_mono_ms() + 5000;
	int np = 0;
	for (int i = 0; i < c->ctx.n_topics; i++)
		np += c->ctx.topics[i]->n_partitions;
	/* The figures the failover benchmark reads. */
	CLOG(c, SM_LOG_INFO, "Ready to serve as the new controller with epoch %d (%d partitions, %lld ms, %llu ZooKeeper requests)",
	     c->ctx.epoch, np, (long long)(sm_clock_mono_ms() - t0),
	     (unsigned long long)(sm_zk_round_trips(c->zk) - rt0));
}

static void sm_ctrl_elect(sm_controller_t *c)
{
	int32_t id = -1;
	if (sm_kzk_get_controller_id(c->zk, 1, &id) == SM_ERR_NONE) {
		c->active_controller_id = id;
		if (id != c->broker_id)
			return;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	int32_t epoch, zkv, winner = -1;
	sm_err_t e = sm_kzk_elect_controller(c->zk, c->broker_id, now, &epoch, &zkv, &winner);
	if (e) {
		c->active_controller_id = winner;
		if (e != SM_ERR__EXISTS)
			CLOG(c, SM_LOG_ERROR, "Error while electing or becoming controller: %s", sm_err_name(e));
		else
			CLOG(c, SM_LOG_INFO, "Broker %d has been elected as the controller, so stopping the election process.", winner);
		/* Re-arm the watch now that /controller exists (or vanished). */
		(void)sm_kzk_get_controller_id(c->zk, 1, &id);
		return;
	}
	c->active_controller_id = c->broker_id;
	c->ctx.epoch = epoch;
	c->ctx.epoch_zkv = zkv;
	__atomic_store_n(&c->active_epoch, epoch, __ATOMIC_RELEASE);
	__atomic_store_n(&c->active, 1, __ATOMIC_RELEASE);
	CLOG(c, SM_LOG_INFO, "%d successfully elected as the controller. Epoch incremented to %d and epoch zk version is now %d",
	     c->broker_id, epoch, zkv);
	sm_ctrl_on_failover(c);
}

/* ---- event handlers ---- */

/* Rereads, in one pipelined batch, the state znodes of every partition with
 * a replica on one of the brokers: leaders change ISRs themselves and the
 * controller hears of it only through /isr_change_notification, so before
 * taking failed brokers out of ISRs (a deferred, conditional write) the
 * controller starts from ZooKeeper's copy, as Kafka's removeReplicasFromIsr
 * does. A leader may even have added a broker back after the controlled
 * shutdown took it out (its last fetch was answered after the
 * LeaderAndIsr): without this the ISR would keep a dead broker for good. */
static void sm_ctrl_refresh_states_on(sm_controller_t *c, const int32_t *brokers, int nb)
{
	int n = 0, cap = 0;
	sm_kzk_tp_ref_t *tps = NULL;
	sm_ctrl_partition_t **ps = NULL;
	for (int i = 0; i < c->ctx.n_topics; i++) {
		sm_ctrl_topic_t *t = c->ctx.topics[i];
		for (int j = 0; j < t->n_partitions; j++) {
			sm_ctrl_partition_t *p = &t->partitions[j];
			int hit = 0;
			for (int r = 0; r < p->n_replicas && !hit; r++)
				for (int b = 0; b < nb && !hit; b++)
					hit = p->replicas[r] == brokers[b];
			if (!hit || !p->has_state)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				tps = sm_realloc(tps, sizeof(*tps) * (size_t)cap);
				ps = sm_realloc(ps, sizeof(*ps) * (size_t)cap);
			}
			tps[n] = (sm_kzk_tp_ref_t){ t->name, p->id };
			ps[n++] = p;
		}
	}
	if (n > 0) {
		sm_zk_partition_state_t *sts = sm_calloc((size_t)n, sizeof(*sts));
		sm_err_t *errs = sm_calloc((size_t)n, sizeof(sm_err_t));
		sm_kzk_get_partition_states(c->zk, n, tps, sts, errs);
		for (int i = 0; i < n; i++) {
			if (errs[i] == SM_ERR_NONE) {
				sm_zk_partition_state_clear(&ps[i]->st);
				ps[i]->st = sts[i];
			} else {
				sm_zk_partition_state_clear(&sts[i]);
			}
		}
		free(sts);
		free(errs);
	}
	free(tps);
	free(ps);
}


static void sm_ctrl_on_broker_change(sm_controller_t *c)
{
	int64_t t0 = sm_clock_mono_ms();
	uint64_t rt0 = sm_zk_round_trips(c->zk);
	int32_t *ids = NULL;
	int n = 0;
	if (sm_kzk_get_broker_ids(c->zk, 1, &ids, &n))
		return;
	/* Dead (or bounced: re-registered with a new czxid) brokers. */
	int32_t *dead = sm_calloc((size_t)(c->ctx.n_brokers + 1), sizeof(int32_t));
	int ndead = 0;
	for (int i = 0; i < c->ctx.n_brokers; i++) {
		int found = 0;
		for (int k = 0; k < n; k++)
			found |= ids[k] == c->ctx.brokers[i].id;
		sm_zk_broker_info_t info = { 0 };
		if (found && sm_kzk_get_broker(c->zk, c->ctx.brokers[i].id, 0, &info) == SM_ERR_NONE &&
		    info.epoch != c->ctx.brokers[i].epoch)
			found = 0;
		sm_zk_broker_clear(&info);
		if (!found)
			dead[ndead++] = c->ctx.brokers[i].id;
	}
	for (int i = 0; i < ndead; i++) {
		CLOG(c, SM_LOG_INFO, "Broker %d failed or bounced", dead[i]);
		sm_ctrl_drop_broker(c, dead[i]);
		sm_ctrl_offline_forget_broker(c, dead[i]);
		for (int k = 0; k < c->n_shutting_down; k++)
			if (c->shutting_down[k] == dead[i])
				c->shutting_down[k--] = c->shutting_down[--c->n_shutting_down];
	}
	int32_t *added = sm_calloc((size_t)(n + 1), sizeof(int32_t));
	int nadded = 0;
	for (int k = 0; k < n; k++) {
		if (sm_ctrl_broker_alive(c, ids[k]))
			continue;
		sm_zk_broker_info_t info = { 0 };
		if (sm_kzk_get_broker(c->zk, ids[k], 1, &info) == SM_ERR_NONE) {
			CLOG(c, SM_LOG_INFO, "Newly added broker %d (epoch %lld)", ids[k], (long long)info.epoch);
			sm_ctrl_add_broker(c, &info);
			sm_ctrl_offline_forget_broker(c, ids[k]);
			added[nadded++] = ids[k];
		}
		sm_zk_broker_clear(&info);
	}
	free(ids);
	/* onBrokerFailure: replicas offline, leaders re-elected, ISRs shrunk;
	 * the state writes go out pipelined. */
	if (ndead)
		sm_ctrl_refresh_states_on(c, dead, ndead);
	c->defer = 1;
	for (int i = 0; i < c->ctx.n_topics && c->active; i++) {
		sm_ctrl_topic_t *t = c->ctx.topics[i];
		for (int j = 0; j < t->n_partitions && c->active; j++) {
			sm_ctrl_partition_t *p = &t->partitions[j];
			for (int r = 0; r < p->n_replicas; r++) {
				int32_t b = p->replicas[r];
				int is_dead = 0, is_new = 0;
				for (int d = 0; d < ndead; d++)
					is_dead |= dead[d] == b;
				for (int d = 0; d < nadded; d++)
					is_new |= added[d] == b;
				if (is_dead) {
					/* Already offline after a controlled shutdown:
					 * still taken out of the ISR (OfflineReplica to
					 * OfflineReplica, as Kafka's replica state machine
					 * does), should a leader have added it back. */
					if (p->rstate[r] != SM_RSM_OFFLINE) {
						sm_rsm_transition(c, t, p, r, SM_RSM_OFFLINE);
						if (p->st.leader == b && p->pstate == SM_PSM_ONLINE)
							sm_psm_transition(c, t, p, SM_PSM_OFFLINE);
					}
					sm_psm_remove_from_isr(c, t, p, b);
				}
				if (is_new) {
					if (p->rstate[r] == SM_RSM_DELETION_INELIGIBLE || p->rstate[r] == SM_RSM_OFFLINE ||
					    p->rstate[r] == SM_RSM_NEW || p->rstate[r] == SM_RSM_NONEXISTENT) {
						if (p->rstate[r] == SM_RSM_NONEXISTENT)
							sm_rsm_transition(c, t, p, r, SM_RSM_NEW);
						if (!t->deleting)
							sm_rsm_transition(c, t, p, r, SM_RSM_ONLINE);
					}
					if (p->has_state && !t->deleting)
						sm_ctrl_batch_lai(c, b, t, p->id, 0);
				}
			}
		}
	}
	if (ndead || nadded) {
		sm_ctrl_batch_um_all(c);
		sm_psm_trigger_online(c);
		sm_psm_flush(c);
		if (nadded)
			sm_ctrl_reassign_on_brokers_added(c, added, nadded);
		sm_ctrl_process_deletions(c);
		CLOG(c, SM_LOG_INFO, "Handled broker change (%d failed, %d new) in %lld ms with %llu ZooKeeper requests",
		     ndead, nadded, (long long)(sm_clock_mono_ms() - t0),
		     (unsigned long long)(sm_zk_round_trips(c->zk) - rt0));
	}
	free(dead);
	free(added);
}

/* A live broker rewrote its registration (same session, e.g. new
 * endpoints or features): every broker learns it through UpdateMetadata.
 * A new session (czxid) is a bounce, which BrokerChange handles. */
static void sm_ctrl_on_broker_modifications(sm_controller_t *c, int32_t id)
{
	sm_ctrl_broker_t *b = sm_ctrl_broker(c, id);
	sm_zk_broker_info_t info = { 0 };
	if (!b || sm_kzk_get_broker(c->zk, id, 1, &info) != SM_ERR_NONE || info.epoch != b->epoch) {
		sm_zk_broker_clear(&info);
		return;
	}
	CLOG(c, SM_LOG_INFO, "Updated broker %d's registration (epoch %lld)", id, (long long)info.epoch);
	sm_ctrl_drop_broker(c, id);
	sm_ctrl_add_broker(c, &info);
	sm_zk_broker_clear(&info);
	sm_ctrl_batch_um_all(c);
}

static void sm_ctrl_new_partitions(sm_controller_t *c, sm_ctrl_topic_t *t, int from)
{
	int64_t t0 = sm_clock_mono_ms();
	uint64_t rt0 = sm_zk_round_trips(c->zk);
	sm_ctrl_init_new_partition_states(c, t, from);
	sm_psm_prepare_new(c, t, from);
	for (int j = from; j < t->n_partitions && c->active; j++) {
		sm_ctrl_partition_t *p = &t->partitions[j];
		if (p->pstate == SM_PSM_NEW) {
			for (int r = 0; r < p->n_replicas; r++)
				p->rstate[r] = sm_ctrl_broker_alive(c, p->replicas[r]) ? SM_RSM_NEW : SM_RSM_OFFLINE;
			sm_psm_transition(c, t, p, SM_PSM_ONLINE);
			for (int r = 0; r < p->n_replicas; r++)
				if (p->rstate[r] == SM_RSM_NEW && p->pstate == SM_PSM_ONLINE)
					sm_rsm_transition(c, t, p, r, SM_RSM_ONLINE);
		} else {
			sm_ctrl_batch_lai_all_replicas(c, t, p, 0);
			sm_ctrl_batch_um_partition(c, t, p->id, 0);
		}
	}
	/* The figures the topic creation benchmark reads (the requests to
	 * the brokers go out when the event ends). */
	CLOG(c, SM_LOG_INFO, "Started %d new partitions of topic %s in %lld ms with %llu ZooKeeper requests",
	     t->n_partitions - from, t->name, (long long)(sm_clock_mono_ms() - t0),
	     (unsigned long long)(sm_zk_round_trips(c->zk) - rt0));
}

static void sm_ctrl_on_topic_change(sm_controller_t *c)
{
	char **topics = NULL;
	int nt = 0;
	if (sm_kzk_get_topics(c->zk, 1, &topics, &nt))
		return;
	for (int i = 0; i < c->ctx.n_topics;) {
		int found = 0;
		for (int k = 0; k < nt; k++)
			found |= !strcmp(topics[k], c->ctx.topics[i]->name);
		if (!found) {
			CLOG(c, SM_LOG_INFO, "Topic %s vanished from ZooKeeper", c->ctx.topics[i]->name);
			sm_ctrl_remove_topic(c, c->ctx.topics[i]);
			continue;
		}
		i++;
	}
	for (int k = 0; k < nt && c->active; k++) {
		if (sm_ctrl_topic(c, topics[k]))
			continue;
		sm_ctrl_topic_t *t = sm_ctrl_load_topic(c, topics[k]);
		if (!t)
			continue;
		CLOG(c, SM_LOG_INFO, "New topics: [%s], with %d partitions", t->name, t->n_partitions);
		sm_ctrl_new_partitions(c, t, 0);
	}
	sm_zk_strings_free(topics, nt);
}

static void sm_ctrl_on_partition_modifications(sm_controller_t *c, const char *topic)
{
	sm_ctrl_topic_t *t = sm_ctrl_topic(c, topic);
	if (!t)
		return;
	sm_zk_topic_assignment_t a = { 0 };
	if (sm_kzk_get_topic_assignment(c->zk, topic, 1, &a, NULL)) {
		sm_zk_topic_clear(&a);
		return;
	}
	int maxp = t->n_partitions - 1;
	for (int i = 0; i < a.n_partitions; i++)
		if (a.partitions[i].partition > maxp)
			maxp = a.partitions[i].partition;
	if (t->deleting || maxp < t->n_partitions) {
		sm_zk_topic_clear(&a);
		return;
	}
	int from = t->n_partitions;
	t->partitions = sm_realloc(t->partitions, sizeof(*t->partitions) * (size_t)(maxp + 1));
	memset(t->partitions + from, 0, sizeof(*t->partitions) * (size_t)(maxp + 1 - from));
	t->n_partitions = maxp + 1;
	for (int i = from; i < t->n_partitions; i++)
		t->partitions[i].id = i;
	for (int i = 0; i < a.n_partitions; i++) {
		const sm_zk_partition_assignment_t *pa = &a.partitions[i];
		if (pa->partition < from)
			continue;
		sm_ctrl_partition_t *p = &t->partitions[pa->partition];
		p->n_replicas = pa->n_replicas;
		p->replicas = sm_calloc((size_t)(pa->n_replicas + 1), sizeof(int32_t));
		memcpy(p->replicas, pa->replicas, sizeof(int32_t) * (size_t)pa->n_replicas);
		p->rstate = sm_calloc((size_t)(pa->n_replicas + 1), sizeof(sm_rsm_state_t));
	}
	sm_zk_topic_clear(&a);
	CLOG(c, SM_LOG_INFO, "New partitions of topic %s: %d..%d", topic, from, t->n_partitions - 1);
	sm_ctrl_new_partitions(c, t, from);
}

/* Topic deletion (Kafka's TopicDeletionManager, simplified): partitions go
 * Offline -> NonExistent, every live replica gets StopReplica(delete), and
 * once all replicas confirmed the topic's znodes are removed. Replicas on
 * dead brokers make the deletion wait until they come back. */
static void sm_ctrl_start_deletion(sm_controller_t *c, sm_ctrl_topic_t *t)
{
	t->deleting = 1;
	for (int j = 0; j < t->n_partitions; j++) {
		sm_ctrl_partition_t *p = &t->partitions[j];
		if (p->pstate != SM_PSM_OFFLINE && p->pstate != SM_PSM_NONEXISTENT)
			sm_psm_transition(c, t, p, SM_PSM_OFFLINE);
		sm_ctrl_batch_um_partition(c, t, p->id, 1);
	}
}

static int sm_ctrl_try_finish_deletion(sm_controller_t *c, sm_ctrl_topic_t *t)
{
	for (int j = 0; j < t->n_partitions; j++) {
		sm_ctrl_partition_t *p = &t->partitions[j];
		for (int r = 0; r < p->n_replicas; r++) {
			if (p->rstate[r] == SM_RSM_DELETION_SUCCESSFUL)
				continue;
			if (!sm_ctrl_broker_alive(c, p->replicas[r])) {
				if (p->rstate[r] != SM_RSM_DELETION_INELIGIBLE) {
					if (p->rstate[r] != SM_RSM_OFFLINE && p->rstate[r] != SM_RSM_DELETION_STARTED)
						p->rstate[r] = SM_RSM_OFFLINE;
					sm_rsm_transition(c, t, p, r, SM_RSM_DELETION_INELIGIBLE);
				}
				continue;
			}
			if (p->rstate[r] != SM_RSM_DELETION_STARTED) {
				if (p->rstate[r] != SM_RSM_OFFLINE)
					p->rstate[r] = SM_RSM_OFFLINE;
				sm_rsm_transition(c, t, p, r, SM_RSM_DELETION_STARTED);
				sm_ctrl_batch_sr(c, p->replicas[r], t->name, p->id, 1);
			}
		}
	}
	for (int j = 0; j < t->n_partitions; j++)
		for (int r = 0; r < t->partitions[j].n_replicas; r++)
			if (t->partitions[j].rstate[r] != SM_RSM_DELETION_SUCCESSFUL)
				return 0;
	sm_err_t e = sm_kzk_delete_topic(c->zk, t->name, c->ctx.epoch_zkv);
	if (e == SM_ERR_NOT_CONTROLLER) {
		sm_ctrl_fenced(c);
		return 0;
	}
	CLOG(c, SM_LOG_INFO, "Deletion of topic %s successfully completed", t->name);
	sm_ctrl_remove_topic(c, t);
	return 1;
}

static void sm_ctrl_process_deletions(sm_controller_t *c)
{
	char **names = NULL;
	int n = 0;
	if (sm_kzk_get_delete_topics(c->zk, 0, &names, &n))
		return;
	for (int i = 0; i < n && c->active; i++) {
		sm_ctrl_topic_t *t = sm_ctrl_topic(c, names[i]);
		if (!t || !c->cfg->delete_topic_enable) {
			CLOG(c, SM_LOG_INFO, "Removing deletion marker of topic %s (%s)", names[i],
			     t ? "delete.topic.enable is false" : "unknown topic");
			if (sm_kzk_delete_topic_marker(c->zk, names[i], c->ctx.epoch_zkv) == SM_ERR_NOT_CONTROLLER)
				sm_ctrl_fenced(c);
			continue;
		}
		if (!t->deleting) {
			CLOG(c, SM_LOG_INFO, "Starting deletion of topic %s", t->name);
			sm_ctrl_start_deletion(c, t);
		}
		sm_ctrl_try_finish_deletion(c, t);
	}
	sm_zk_strings_free(names, n);
}

static void sm_ctrl_on_stop_replica_result(sm_controller_t *c, const sm_ctrl_event_t *ev)
{
	sm_ctrl_topic_t *t = sm_ctrl_topic(c, ev->topic);
	if (!t || !t->deleting || ev->partition < 0 || ev->partition >= t->n_partitions)
		return;
	sm_ctrl_partition_t *p = &t->partitions[ev->partition];
	for (int r = 0; r < p->n_replicas; r++)
		if (p->replicas[r] == ev->broker && p->rstate[r] == SM_RSM_DELETION_STARTED)
			sm_rsm_transition(c, t, p, r, ev->error ? SM_RSM_DELETION_INELIGIBLE
								: SM_RSM_DELETION_SUCCESSFUL);
	sm_ctrl_try_finish_deletion(c, t);
}

static void sm_ctrl_on_isr_change(sm_controller_t *c)
{
	char **kids = NULL;
	int n = 0;
	sm_ctrl_delete_isr_notifications(c, 1, &kids, &n);
	for (int i = 0; i < n; i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", SM_ZKPATH_ISR_CHANGE, kids[i]);
		char *data = NULL;
		size_t len = 0;
		if (sm_zk_get(c->zk, path, 0, &data, &len, NULL) == SM_ERR_NONE) {
			sm_zk_topic_partition_t *tps = NULL;
			int ntp = 0;
			char err[256];
			if (sm_zk_isr_change_decode(data, len, &tps, &ntp, err, sizeof(err)) == SM_ERR_NONE) {
				for (int k = 0; k < ntp; k++) {
					sm_ctrl_topic_t *t = sm_ctrl_topic(c, tps[k].topic);
					if (!t || tps[k].partition < 0 || tps[k].partition >= t->n_partitions)
						continue;
					sm_ctrl_partition_t *p = &t->partitions[tps[k].partition];
					sm_zk_partition_state_t st = { 0 };
					if (sm_kzk_get_partition_state(c->zk, t->name, p->id, 0, &st) == SM_ERR_NONE) {
						sm_zk_partition_state_clear(&p->st);
						p->st = st;
						p->has_state = 1;
						sm_ctrl_batch_um_partition(c, t, p->id, 0);
						if (p->n_adding || p->n_removing)
							sm_ctrl_reassign_check(c, t, p);
					}
				}
				sm_zk_topic_partitions_free(tps, ntp);
			} else {
				CLOG(c, SM_LOG_WARN, "Ignoring malformed ISR change notification %s: %s", path, err);
			}
		}
		free(data);
		sm_zk_delete(c->zk, path, -1);
	}
	sm_zk_strings_free(kids, n);
}

static void sm_ctrl_process(sm_controller_t *c, sm_ctrl_event_t *ev)
{
	SM_ASSERT_ROLE(SM_ROLE_CONTROLLER);
	switch (ev->type) {
	case SM_EV_STARTUP:
		sm_ctrl_elect(c);
		break;
	case SM_EV_SESSION_REESTABLISHED:
		sm_ctrl_resign(c);
		sm_ctrl_elect(c);
		break;
	case SM_EV_CONTROLLER_CHANGE: {
		int32_t id = -1;
		sm_err_t e = sm_kzk_get_controller_id(c->zk, 1, &id);
		int was_ours = c->channel != NULL;
		c->active_controller_id = e ? -1 : id;
		if (was_ours && (e || id != c->broker_id))
			sm_ctrl_resign(c);
		if (e == SM_ERR__NOENT)
			sm_ctrl_elect(c);
		break;
	}
	case SM_EV_REELECT:
		if (c->channel)
			sm_ctrl_resign(c);
		sm_ctrl_elect(c);
		break;
	default:
		if (!c->active)
			break;
		switch (ev->type) {
		case SM_EV_BROKER_CHANGE: {
			/* Kafka times BrokerChange events as its
			 * LeaderElectionRateAndTimeMs (the name predates
			 * ControllerState). */
			int64_t t0 = sm_clock_mono_ms();
			sm_ctrl_on_broker_change(c);
			__atomic_store_n(&c->m_election_ms,
					 c->m_election_ms + (sm_clock_mono_ms() - t0), __ATOMIC_RELAXED);
			__atomic_store_n(&c->m_elections, c->m_elections + 1, __ATOMIC_RELAXED);
			break;
		}
		case SM_EV_TOPIC_CHANGE: sm_ctrl_on_topic_change(c); break;
		case SM_EV_PARTITION_MODIFICATIONS: sm_ctrl_on_partition_modifications(c, ev->topic); break;
		case SM_EV_TOPIC_DELETION: {
			char **n = NULL;
			int k = 0;
			sm_kzk_get_delete_topics(c->zk, 1, &n, &k); /* re-arm the watch */
			sm_zk_strings_free(n, k);
			sm_ctrl_process_deletions(c);
			break;
		}
		case SM_EV_ISR_CHANGE_NOTIFICATION: sm_ctrl_on_isr_change(c); break;
		case SM_EV_STOP_REPLICA_RESULT: sm_ctrl_on_stop_replica_result(c, ev); break;
		case SM_EV_ELECT_LEADERS:
			sm_ctrl_do_elect_leaders(c, ev->sync);
			ev->sync = NULL;
			break;
		case SM_EV_CONTROLLED_SHUTDOWN:
			sm_ctrl_do_controlled_shutdown(c, ev->sync);
			ev->sync = NULL;
			break;
		case SM_EV_ALTER_REASSIGNMENTS:
			sm_ctrl_do_alter_reassignments(c, ev->sync);
			ev->sync = NULL;
			break;
		case SM_EV_REASSIGN_ZNODE: sm_ctrl_on_reassign_znode(c); break;
		case SM_EV_BROKER_MODIFICATIONS: sm_ctrl_on_broker_modifications(c, ev->broker); break;
		case SM_EV_PREFERRED_ELECTION: sm_ctrl_on_preferred_znode(c); break;
		case SM_EV_AUTO_REBALANCE: sm_ctrl_auto_rebalance(c); break;
		case SM_EV_LOG_DIR_EVENT: sm_ctrl_on_log_dir_event(c); break;
		case SM_EV_LAI_RESPONSE:
			sm_ctrl_on_lai_response(c, ev->broker, ev->error, ev->results, ev->n_results);
			break;
		default: break;
		}
	}
	/* Nothing queued may outlive its event (nor be sent after a resign). */
	if (c->defer || c->n_pw) {
		if (c->active)
			sm_psm_flush(c);
		else
			sm_psm_discard(c);
	}
	if (c->active)
		sm_ctrl_batch_send(c);
	else
		sm_ctrl_batch_clear(&c->batch);
	if (!c->active && c->channel)
		sm_ctrl_resign(c);
}

/* Kafka's offlinePartitionCount skips topics queued for deletion. */
static void sm_ctrl_publish_metrics(sm_controller_t *c)
{
	SM_ASSERT_ROLE(SM_ROLE_CONTROLLER);
	int64_t offline = 0, topics = 0, partitions = 0, imbalance = 0;
	if (__atomic_load_n(&c->active, __ATOMIC_ACQUIRE)) {
		topics = c->ctx.n_topics;
		for (int t = 0; t < c->ctx.n_topics; t++) {
			const sm_ctrl_topic_t *tp = c->ctx.topics[t];
			partitions += tp->n_partitions;
			if (tp->deleting)
				continue;
			for (int i = 0; i < tp->n_partitions; i++) {
				const sm_ctrl_partition_t *p = &tp->partitions[i];
				if (p->pstate == SM_PSM_OFFLINE)
					offline++;
				/* Kafka's preferredReplicaImbalanceCount: the
				 * leader is not the first assigned replica */
				if (p->has_state && p->n_replicas > 0 &&
				    p->st.leader != p->replicas[0])
					imbalance++;
			}
		}
	}
	__atomic_store_n(&c->m_imbalance, imbalance, __ATOMIC_RELAXED);
	__atomic_store_n(&c->m_offline_partitions, offline, __ATOMIC_RELAXED);
	__atomic_store_n(&c->m_topics, topics, __ATOMIC_RELAXED);
	__atomic_store_n(&c->m_partitions, partitions, __ATOMIC_RELAXED);
}

void sm_controller_metrics(sm_controller_t *c, sm_metrics_gauges_t *g)
{
	if (!sm_controller_is_active(c))
		return;
	g->active_controller = 1;
	g->offline_partitions = __atomic_load_n(&c->m_offline_partitions, __ATOMIC_RELAXED);
	g->global_topic_count = __atomic_load_n(&c->m_topics, __ATOMIC_RELAXED);
	g->global_partition_count = __atomic_load_n(&c->m_partitions, __ATOMIC_RELAXED);
	g->preferred_imbalance = __atomic_load_n(&c->m_imbalance, __ATOMIC_RELAXED);
}

void sm_controller_stats(sm_controller_t *c, sm_metrics_gauges_t *g)
{
	g->election_count = __atomic_load_n(&c->m_elections, __ATOMIC_RELAXED);
	g->election_ms_sum = __atomic_load_n(&c->m_election_ms, __ATOMIC_RELAXED);
	g->unclean_elections = __atomic_load_n(&c->m_unclean, __ATOMIC_RELAXED);
}

static void *sm_ctrl_main(void *arg)
{
	sm_controller_t *c = arg;
	pthread_setname_np(pthread_self(), "ctrl-event");
	sm_thread_role_set(SM_ROLE_CONTROLLER);
	for (;;) {
		pthread_mutex_lock(&c->lock);
		while (!c->head) {
			/* next_rebalance_ms is written only by this thread. */
			int64_t due = c->next_rebalance_ms;
			if (!due) {
				pthread_cond_wait(&c->cond, &c->lock);
				continue;
			}
			int64_t now = sm_clock_mono_ms();
			if (now >= due) {
				c->next_rebalance_ms = 0;
				pthread_mutex_unlock(&c->lock);
				sm_ctrl_enqueue(c, SM_EV_AUTO_REBALANCE, NULL, -1, -1, 0);
				pthread_mutex_lock(&c->lock);
				continue;
			}
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			int64_t ns = ts.tv_nsec + (due - now) * 1000000LL;
			ts.tv_sec += (time_t)(ns / 1000000000LL);
			ts.tv_nsec = (long)(ns % 1000000000LL);
			pthread_cond_timedwait(&c->cond, &c->lock, &ts);
		}
		sm_ctrl_event_t *ev = c->head;
		c->head = ev->next;
		if (!c->head)
			c->tail = NULL;
		pthread_mutex_unlock(&c->lock);
		int stop = ev->type == SM_EV_SHUTDOWN;
		if (stop) {
			if (c->active)
				sm_kzk_delete_controller(c->zk, c->broker_id);
			sm_ctrl_resign(c);
		} else {
			sm_log_debug(NULL, SM_CTRL_LOGGER, "Processing controller event %s",
				     sm_ctrl_event_names[ev->type]);
			sm_ctrl_process(c, ev);
		}
		sm_ctrl_publish_metrics(c);
		sm_ctrl_event_free(ev);
		if (stop)
			break;
	}
	return NULL;
}

/* ---- public API ---- */

sm_controller_t *sm_controller_new(const sm_kafka_config_t *cfg, int32_t broker_id, sm_zk_t *zk,
				   const char *inter_broker_listener)
{
	sm_controller_t *c = sm_calloc(1, sizeof(*c));
	c->cfg = cfg;
	c->eff_cfg = cfg;
	c->broker_id = broker_id;
	c->zk = zk;
	c->listener = sm_strdup(inter_broker_listener);
	c->active_controller_id = -1;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	return c;
}

void sm_controller_startup(sm_controller_t *c)
{
	pthread_create(&c->thread, NULL, sm_ctrl_main, c);
	c->thread_started = 1;
	sm_ctrl_enqueue(c, SM_EV_STARTUP, NULL, -1, -1, 0);
}

void sm_controller_session_reestablished(sm_controller_t *c)
{
	sm_ctrl_enqueue(c, SM_EV_SESSION_REESTABLISHED, NULL, -1, -1, 0);
}

void sm_controller_zk_event(sm_controller_t *c, int type, const char *path)
{
	if (!path)
		return;
	if (!strcmp(path, SM_ZKPATH_CONTROLLER)) {
		sm_ctrl_enqueue(c, type == SM_ZK_EVENT_DELETED ? SM_EV_REELECT : SM_EV_CONTROLLER_CHANGE,
				NULL, -1, -1, 0);
	} else if (!strcmp(path, SM_ZKPATH_BROKER_IDS)) {
		sm_ctrl_enqueue(c, SM_EV_BROKER_CHANGE, NULL, -1, -1, 0);
	} else if (!strncmp(path, SM_ZKPATH_BROKER_IDS "/", sizeof(SM_ZKPATH_BROKER_IDS)) &&
		   type == SM_ZK_EVENT_CHANGED) {
		char *end;
		long id = strtol(path + sizeof(SM_ZKPATH_BROKER_IDS), &end, 10);
		if (!*end && id >= 0 && id <= INT32_MAX)
			sm_ctrl_enqueue(c, SM_EV_BROKER_MODIFICATIONS, NULL, -1, (int32_t)id, 0);
	} else if (!strcmp(path, SM_ZKPATH_TOPICS)) {
		sm_ctrl_enqueue(c, SM_EV_TOPIC_CHANGE, NULL, -1, -1, 0);
	} else if (!strncmp(path, SM_ZKPATH_TOPICS "/", sizeof(SM_ZKPATH_TOPICS)) &&
		   !strchr(path + sizeof(SM_ZKPATH_TOPICS), '/') && type == SM_ZK_EVENT_CHANGED) {
		sm_ctrl_enqueue(c, SM_EV_PARTITION_MODIFICATIONS, path + sizeof(SM_ZKPATH_TOPICS), -1, -1, 0);
	} else if (!strcmp(path, SM_ZKPATH_DELETE_TOPICS)) {
		sm_ctrl_enqueue(c, SM_EV_TOPIC_DELETION, NULL, -1, -1, 0);
	} else if (!strcmp(path, SM_ZKPATH_ISR_CHANGE)) {
		sm_ctrl_enqueue(c, SM_EV_ISR_CHANGE_NOTIFICATION, NULL, -1, -1, 0);
	} else if (!strcmp(path, SM_ZKPATH_LOG_DIR_EVENT)) {
		sm_ctrl_enqueue(c, SM_EV_LOG_DIR_EVENT, NULL, -1, -1, 0);
	} else if (!strcmp(path, SM_ZKPATH_REASSIGN_PARTITIONS)) {
		sm_ctrl_enqueue(c, SM_EV_REASSIGN_ZNODE, NULL, -1, -1, 0);
	} else if (!strcmp(path, SM_ZKPATH_PREFERRED_ELECTION)) {
		sm_ctrl_enqueue(c, SM_EV_PREFERRED_ELECTION, NULL, -1, -1, 0);
	}
}

void sm_controller_broker_config_changed(sm_controller_t *c, const sm_kafka_config_t *cfg)
{
	/* only the unclean election default is read from the dynamic config */
	__atomic_store_n(&c->eff_cfg, cfg, __ATOMIC_RELEASE);
}

int sm_controller_is_active(sm_controller_t *c)
{
	return __atomic_load_n(&c->active, __ATOMIC_ACQUIRE);
}

int32_t sm_controller_epoch(sm_controller_t *c)
{
	return __atomic_load_n(&c->active_epoch, __ATOMIC_ACQUIRE);
}

void sm_controller_shutdown(sm_controller_t *c)
{
	if (!c->thread_started)
		return;
	sm_ctrl_enqueue(c, SM_EV_SHUTDOWN, NULL, -1, -1, 0);
	pthread_mutex_lock(&c->lock);
	c->stopping = 1;
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	c->thread_started = 0;
}

void sm_controller_destroy(sm_controller_t *c)
{
	if (!c)
		return;
	sm_controller_shutdown(c);
	while (c->head) {
		sm_ctrl_event_t *ev = c->head;
		c->head = ev->next;
		sm_ctrl_event_free(ev);
	}
	free(c->shutting_down);
	sm_psm_discard(c);
	free(c->pw);
	sm_ctrl_ctx_clear(c);
	free(c->batch.lai);
	free(c->batch.sr);
	free(c->batch.um);
	free(c->batch.lai_idx);
	free(c->batch.um_idx);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c->listener);
	free(c);
}
