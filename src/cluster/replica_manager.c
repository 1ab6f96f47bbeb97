/*
 * replica_manager.c - the partitions this broker hosts (Kafka's
 * ReplicaManager): the partition table, LeaderAndIsr and StopReplica from
 * the controller, the "isr-expiration" thread, the replica fetchers, topic
 * configs and the HW checkpoint. One partition's state is partition.c's.
 * See replica_manager.h.
 *
 * Partitions live in a chained hash table keyed by (topic, partition) under
 * rm->lock. Each partition is created with this file's hooks: the ISR write
 * to the partition state znode (the only ZooKeeper write a partition
 * causes), the queue of /isr_change_notification entries, the queue of ISR
 * expansions for the "isr-expiration" thread (the only thread that writes
 * an ISR: a follower fetch that qualifies a replica for the ISR is handled
 * on a request handler or completed on the fetch purgatory, which must not
 * block on ZooKeeper) and the append listener.
 */
#include "replica_manager.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "clock.h"
#include "kafka_zk.h"
#include "logger.h"
#include "replica_fetcher.h"
#include "replication_quota.h"
#include "thread_role.h"

#define SM_RM_BUCKETS 4096
#define SM_RM_LOGGER "kafka.server.ReplicaManager"
#define SM_SC_LOGGER "state.change.logger"

/* A hash chain link of the partition table (holds one reference). */
typedef struct sm_rm_entry {
	struct sm_rm_entry *next;
	sm_partition_t *p;
} sm_rm_entry_t;

struct sm_replica_manager {
	pthread_mutex_t lock;
	sm_rm_entry_t *buckets[SM_RM_BUCKETS];
	int count;
	int32_t controller_epoch;
	const sm_kafka_config_t *cfg;
	sm_log_manager_t *lm;
	sm_zk_t *zk;
	int32_t broker_id;
	sm_append_listener_t *listener;
	void *listener_opaque;
	/* group coordinator, transaction coordinator */
	sm_leadership_listener_t *lead_listener[SM_RM_LEAD_LISTENERS];
	void *lead_listener_opaque[SM_RM_LEAD_LISTENERS];
	int n_lead_listeners;
	sm_fetcher_manager_t *fetchers;
	/* leader.replication.throttled.rate and follower.replication.throttled.rate
	 * (Kafka's quotaManagers.leader / .follower) */
	sm_repl_quota_t *leader_quota, *follower_quota;
	/* "isr-expiration" thread and pending ISR change notifications,
	 * guarded by sched_lock. */
	pthread_mutex_t sched_lock;
	pthread_cond_t sched_cond;
	pthread_t sched;
	int sched_running;
	int offline_dirs;           /* offline log dirs seen (scheduler thread) */
	sm_zk_topic_partition_t *isr_changes;
	int n_isr_changes;
	int cap_isr_changes;
	/* Partitions (references) with a follower to add to the ISR. */
	sm_partition_t **isr_expand;
	int n_isr_expand;
	int cap_isr_expand;
};

static int sm_rm_leaders(sm_replica_manager_t *rm, sm_partition_t ***out);
static const sm_partition_hooks_t sm_rm_partition_hooks;

/* The broker config in effect: dynamic broker configs replace the pointer
 * (sm_replica_manager_broker_config_changed); both configs stay valid. */
static const sm_kafka_config_t *sm_rm_cfg(const sm_replica_manager_t *rm)
{
	return __atomic_load_n(&rm->cfg, __ATOMIC_ACQUIRE);
}

static unsigned sm_rm_hash(const char *topic, int32_t partition)
{
	unsigned h = 2166136261u;
	for (const char *p = topic; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ (unsigned)partition) * 16777619u;
	return h % SM_RM_BUCKETS;
}

sm_replica_manager_t *sm_replica_manager_new(const sm_kafka_config_t *cfg, sm_log_manager_t *lm,
					     sm_zk_t *zk, int32_t broker_id)
{
	sm_replica_manager_t *rm = sm_calloc(1, sizeof(*rm));
	pthread_mutex_init(&rm->lock, NULL);
	rm->cfg = cfg;
	rm->lm = lm;
	rm->zk = zk;
	rm->broker_id = broker_id;
	rm->controller_epoch = -1;
	pthread_mutex_init(&rm->sched_lock, NULL);
	pthread_cond_init(&rm->sched_cond, NULL);
	rm->fetchers = sm_fetcher_manager_new(cfg, broker_id);
	rm->leader_quota = sm_repl_quota_new(cfg->replication_quota_window_num,
					     cfg->replication_quota_window_size_seconds);
	rm->follower_quota = sm_repl_quota_new(cfg->replication_quota_window_num,
					       cfg->replication_quota_window_size_seconds);
	sm_repl_quota_set_rate(rm->leader_quota, cfg->leader_replication_throttled_rate);
	sm_repl_quota_set_rate(rm->follower_quota, cfg->follower_replication_throttled_rate);
	sm_fetcher_manager_set_quota(rm->fetchers, rm->follower_quota);
	return rm;
}

void sm_replica_manager_set_append_listener(sm_replica_manager_t *rm, sm_append_listener_t *cb,
					    void *opaque)
{
	pthread_mutex_lock(&rm->lock);
	rm->listener = cb;
	rm->listener_opaque = opaque;
	pthread_mutex_unlock(&rm->lock);
}

int sm_replica_manager_add_leadership_listener(sm_replica_manager_t *rm,
					       sm_leadership_listener_t *cb, void *opaque)
{
	int rc = -1;
	pthread_mutex_lock(&rm->lock);
	if (rm->n_lead_listeners < SM_RM_LEAD_LISTENERS) {
		rm->lead_listener[rm->n_lead_listeners] = cb;
		rm->lead_listener_opaque[rm->n_lead_listeners] = opaque;
		rm->n_lead_listeners++;
		rc = 0;
	}
	pthread_mutex_unlock(&rm->lock);
	return rc;
}

void sm_replica_manager_clear_leadership_listeners(sm_replica_manager_t *rm)
{
	pthread_mutex_lock(&rm->lock);
	rm->n_lead_listeners = 0;
	pthread_mutex_unlock(&rm->lock);
}

/* Tells the leadership listeners, in the order they were added, with no
 * lock held (a copy of the list is taken first). */
static void sm_rm_notify_leadership(sm_replica_manager_t *rm, const char *topic, int32_t partition,
				    int is_leader)
{
	sm_leadership_listener_t *cb[SM_RM_LEAD_LISTENERS];
	void *opaque[SM_RM_LEAD_LISTENERS];
	pthread_mutex_lock(&rm->lock);
	int n = rm->n_lead_listeners;
	for (int i = 0; i < n; i++) {
		cb[i] = rm->lead_listener[i];
		opaque[i] = rm->lead_listener_opaque[i];
	}
	pthread_mutex_unlock(&rm->lock);
	for (int i = 0; i < n; i++)
		cb[i](opaque[i], topic, partition, is_leader);
}

/* Caller holds rm->lock. */
static sm_partition_t *sm_rm_find(sm_replica_manager_t *rm, const char *topic, int32_t partition)
{
	SM_ASSERT_HELD(&rm->lock);
	for (sm_rm_entry_t *e = rm->buckets[sm_rm_hash(topic, partition)]; e; e = e->next)
		if (sm_partition_id(e->p) == partition && !strcmp(sm_partition_topic(e->p), topic))
			return e->p;
	return NULL;
}

/* Adds p to the table, which takes over the caller's reference. Caller
 * holds rm->lock. */
static void sm_rm_insert(sm_replica_manager_t *rm, sm_partition_t *p)
{
	SM_ASSERT_HELD(&rm->lock);
	unsigned h = sm_rm_hash(sm_partition_topic(p), sm_partition_id(p));
	sm_rm_entry_t *e = sm_malloc(sizeof(*e));
	e->p = p;
	e->next = rm->buckets[h];
	rm->buckets[h] = e;
	rm->count++;
}

sm_partition_t *sm_replica_manager_partition(sm_replica_manager_t *rm, const char *topic,
					     int32_t partition)
{
	pthread_mutex_lock(&rm->lock);
	sm_partition_t *p = sm_rm_find(rm, topic, partition);
	if (p)
		sm_partition_keep(p);
	pthread_mutex_unlock(&rm->lock);
	return p;
}

int sm_replica_manager_partition_count(sm_replica_manager_t *rm)
{
	return SM_LOCKED_READ(&rm->lock, int, rm->count);
}

void sm_replica_manager_metrics(sm_replica_manager_t *rm, sm_metrics_gauges_t *g)
{
	/* rm -> partition; the topic config (a leaf lock) is read before the
	 * partition lock, as everywhere. A scrape walks every partition once. */
	pthread_mutex_lock(&rm->lock);
	for (int b = 0; b < SM_RM_BUCKETS; b++)
		for (sm_rm_entry_t *e = rm->buckets[b]; e; e = e->next)
			sm_partition_add_gauges(e->p, g);
	pthread_mutex_unlock(&rm->lock);
}

sm_log_manager_t *sm_replica_manager_log_manager(sm_replica_manager_t *rm)
{
	return rm->lm;
}

sm_err_t sm_replica_manager_leader_partition(sm_replica_manager_t *rm, const char *topic,
					     int32_t partition, sm_partition_t **out)
{
	*out = NULL;
	sm_partition_t *p = sm_replica_manager_partition(rm, topic, partition);
	if (!p)
		return SM_ERR_UNKNOWN_TOPIC_OR_PARTITION;
	sm_err_t e = sm_partition_leader_status(p);
	if (e) {
		sm_partition_release(p);
		return e;
	}
	*out = p;
	return SM_ERR_NONE;
}

/* ---- topic configuration (LogConfig) ---- */

/* A topic's throttled-replica lists (the topic configs
 * leader/follower.replication.throttled.replicas; NULL when not set). */
typedef struct sm_rm_thr {
	char *leader, *follower;
} sm_rm_thr_t;

static void sm_rm_thr_clear(sm_rm_thr_t *t)
{
	free(t->leader);
	free(t->follower);
	t->leader = t->follower = NULL;
}

/* Marks p throttled as its topic's lists say for this broker (Kafka's
 * ConfigHandler: the pairs naming this broker id, or "*"). */
static void sm_rm_set_throttled(sm_replica_manager_t *rm, sm_partition_t *p, const sm_rm_thr_t *t)
{
	int32_t id = sm_partition_id(p);
	sm_partition_set_throttled(p, sm_repl_quota_listed(t->leader, id, rm->broker_id),
				   sm_repl_quota_listed(t->follower, id, rm->broker_id));
}

static void sm_rm_topic_config(sm_replica_manager_t *rm, const char *topic, sm_topic_config_t *tc,
			       sm_rm_thr_t *thr)
{
	/* the log layer's defaults for what no table row sets */
	memset(tc, 0, sizeof(*tc));
	sm_log_config_defaults(&tc->log);
	sm_zk_config_t zc = { 0 };
	if (rm->zk && sm_kzk_get_topic_config(rm->zk, topic, &zc) != SM_ERR_NONE)
		sm_zk_config_clear(&zc);
	sm_topic_config_build(tc, sm_rm_cfg(rm), topic, zc.keys, zc.values, zc.n);
	if (thr) {
		/* per replica, not per topic: read here rather than through
		 * sm_topic_config_t (SM_LC_APPLY_REPLICA rows) */
		const char *l = sm_zk_config_get(&zc, "leader.replication.throttled.replicas");
		const char *f = sm_zk_config_get(&zc, "follower.replication.throttled.replicas");
		thr->leader = l ? sm_strdup(l) : NULL;
		thr->follower = f ? sm_strdup(f) : NULL;
	}
	sm_zk_config_clear(&zc);
}

/* The config of the last topic read within one LeaderAndIsr request: a
 * request creating a topic's thousand partitions reads its znode once, as
 * Kafka fetches the configs of a request's topics together. */
typedef struct sm_rm_tc_cache {
	const char *topic; /* NULL: empty; points into the request */
	sm_topic_config_t tc;
	sm_rm_thr_t thr;   /* owned; sm_rm_thr_clear when done */
	/* The request's log creation figures (its log line; the topic
	 * creation benchmark reads them). */
	int n_created;
	int64_t create_ns;
} sm_rm_tc_cache_t;

/* Makes cache hold topic's config (read once per run of its partitions). */
static void sm_rm_cached_config(sm_replica_manager_t *rm, sm_rm_tc_cache_t *cache, const char *topic)
{
	if (cache->topic && !strcmp(cache->topic, topic))
		return;
	sm_rm_thr_clear(&cache->thr);
	sm_rm_topic_config(rm, topic, &cache->tc, &cache->thr);
	cache->topic = topic;
}

/* ---- partitions ---- */

/* Finds or creates the partition and its log; cache may be NULL. Caller
 * holds nothing. */
static sm_err_t sm_rm_get_or_create(sm_replica_manager_t *rm, const char *topic, int32_t partition,
				    sm_rm_tc_cache_t *cache, sm_partition_t **out)
{
	sm_partition_t *p = sm_replica_manager_partition(rm, topic, partition);
	if (p) {
		*out = p;
		return SM_ERR_NONE;
	}
	sm_topic_config_t tc;
	sm_rm_thr_t own = { 0 }, *thr = &own;
	if (cache) {
		sm_rm_cached_config(rm, cache, topic);
		tc = cache->tc;
		thr = &cache->thr;
	} else {
		sm_rm_topic_config(rm, topic, &tc, &own);
	}
	int64_t t0 = sm_clock_mono_ns();
	sm_log_t *log = sm_log_manager_get_or_create(rm->lm, topic, partition, &tc.log);
	if (cache) {
		cache->n_created++;
		cache->create_ns += sm_clock_mono_ns() - t0;
	}
	if (!log) {
		sm_rm_thr_clear(&own);
		return SM_ERR_KAFKA_STORAGE_ERROR;
	}
	p = sm_partition_new(topic, partition, log, &tc, rm->broker_id, &sm_rm_partition_hooks, rm);
	sm_rm_set_throttled(rm, p, thr);
	sm_rm_thr_clear(&own);
	pthread_mutex_lock(&rm->lock);
	sm_partition_t *raced = sm_rm_find(rm, topic, partition);
	if (raced) {
		sm_partition_keep(raced);
		pthread_mutex_unlock(&rm->lock);
		sm_partition_release(p);
		*out = raced;
		return SM_ERR_NONE;
	}
	sm_rm_insert(rm, sm_partition_keep(p));
	pthread_mutex_unlock(&rm->lock);
	*out = p;
	return SM_ERR_NONE;
}

/* The listener runs under rm->lock so that once
 * sm_replica_manager_set_append_listener(NULL) returns no call is still in
 * flight (the listener only signals a condition variable). */
static void sm_rm_notify(sm_replica_manager_t *rm, sm_partition_t *p)
{
	pthread_mutex_lock(&rm->lock);
	if (rm->listener)
		rm->listener(rm->listener_opaque, p);
	pthread_mutex_unlock(&rm->lock);
}

/* Queues p for the next /isr_change_notification. */
static void sm_rm_record_isr_change(void *opaque, const sm_partition_t *p)
{
	sm_replica_manager_t *rm = opaque;
	pthread_mutex_lock(&rm->sched_lock);
	for (int i = 0; i < rm->n_isr_changes; i++)
		if (rm->isr_changes[i].partition == sm_partition_id(p) &&
		    !strcmp(rm->isr_changes[i].topic, sm_partition_topic(p))) {
			pthread_mutex_unlock(&rm->sched_lock);
			return;
		}
	if (rm->n_isr_changes == rm->cap_isr_changes) {
		rm->cap_isr_changes = rm->cap_isr_changes ? rm->cap_isr_changes * 2 : 16;
		rm->isr_changes = sm_realloc(rm->isr_changes,
					     sizeof(*rm->isr_changes) * (size_t)rm->cap_isr_changes);
	}
	rm->isr_changes[rm->n_isr_changes].topic = sm_strdup(sm_partition_topic(p));
	rm->isr_changes[rm->n_isr_changes].partition = sm_partition_id(p);
	rm->n_isr_changes++;
	pthread_mutex_unlock(&rm->sched_lock);
}

/* The partitions' write_isr hook: the conditional write of the state znode
 * with a new ISR (the classic path of
 * a leader at inter.broker.protocol.version < 2.7-IV2). On BADVERSION the
 * node is re-read: if it already holds exactly this state (a retried write
 * that did land) its version is adopted, otherwise the controller changed
 * the partition and the leader gives up until the next LeaderAndIsr. */
static sm_err_t sm_rm_write_isr(void *opaque, const sm_partition_t *p, int32_t epoch,
				int32_t zkv, int32_t ctrl_epoch, int32_t *isr, int n, int32_t *new_zkv)
{
	SM_ASSERT_ROLE(SM_ROLE_ISR_EXPIRATION);
	sm_replica_manager_t *rm = opaque;
	*new_zkv = zkv + 1;
	if (!rm->zk)
		return SM_ERR_NONE;
	sm_zk_partition_state_t st = { .leader = rm->broker_id, .leader_epoch = epoch,
				       .controller_epoch = ctrl_epoch, .n_isr = n, .isr = isr };
	const char *topic = sm_partition_topic(p);
	int32_t partition = sm_partition_id(p);
	sm_err_t e = sm_kzk_update_partition_state(rm->zk, topic, partition, &st, zkv, -1, new_zkv);
	if (e != SM_ERR__BADVERSION)
		return e;
	sm_zk_partition_state_t cur = { 0 };
	if (sm_kzk_get_partition_state(rm->zk, topic, partition, 0, &cur) == SM_ERR_NONE &&
	    cur.leader == rm->broker_id && cur.leader_epoch == epoch && cur.n_isr == n &&
	    !memcmp(cur.isr, isr, sizeof(int32_t) * (size_t)n)) {
		*new_zkv = cur.zk_version;
		e = SM_ERR_NONE;
	}
	sm_zk_partition_state_clear(&cur);
	return e;
}

/* Hands p to the "isr-expiration" thread for an ISR expansion (the only
 * thread that writes ISRs to ZooKeeper) and wakes it. */
static void sm_rm_queue_expand(void *opaque, sm_partition_t *p)
{
	sm_replica_manager_t *rm = opaque;
	pthread_mutex_lock(&rm->sched_lock);
	if (rm->n_isr_expand == rm->cap_isr_expand) {
		rm->cap_isr_expand = rm->cap_isr_expand ? rm->cap_isr_expand * 2 : 16;
		rm->isr_expand = sm_realloc(rm->isr_expand,
					    sizeof(*rm->isr_expand) * (size_t)rm->cap_isr_expand);
	}
	rm->isr_expand[rm->n_isr_expand++] = sm_partition_keep(p);
	pthread_cond_signal(&rm->sched_cond);
	pthread_mutex_unlock(&rm->sched_lock);
}

static void sm_rm_partition_changed(void *opaque, sm_partition_t *p)
{
	sm_rm_notify(opaque, p);
}

static const sm_partition_hooks_t sm_rm_partition_hooks = {
	.write_isr = sm_rm_write_isr,
	.isr_changed = sm_rm_record_isr_change,
	.queue_expand = sm_rm_queue_expand,
	.changed = sm_rm_partition_changed,
};

/* A partition whose log dir failed stops fetching and leading, and stays
 * so until the broker restarts (ReplicaManager.handleLogDirFailure marks it
 * HostedPartition.Offline). Returns 1 the first time. */
static int sm_rm_mark_offline(sm_replica_manager_t *rm, sm_partition_t *p)
{
	int was_leader;
	if (!sm_partition_mark_offline(p, &was_leader))
		return 0;
	sm_fetcher_manager_remove(rm->fetchers, sm_partition_topic(p), sm_partition_id(p));
	if (was_leader)
		sm_rm_notify_leadership(rm, sm_partition_topic(p), sm_partition_id(p), 0);
	sm_rm_notify(rm, p);
	return 1;
}

/* Host and port of leader in the request's live leaders, or NULL. */
static const sm_leader_and_isr_req_live_leader_t *sm_rm_live_leader(const sm_leader_and_isr_req_t *req,
								    int32_t leader)
{
	for (int i = 0; i < req->live_leaders_cnt; i++)
		if (req->live_leaders[i].broker_id == leader)
			return &req->live_leaders[i];
	return NULL;
}

/* Starts or stops fetching for p after a leadership change. */
static void sm_rm_update_fetcher(sm_replica_manager_t *rm, sm_partition_t *p,
				 const sm_leader_and_isr_req_t *req,
				 const sm_leader_and_isr_req_partition_state_t *st)
{
	const char *topic = sm_partition_topic(p);
	int32_t partition = sm_partition_id(p);
	if (st->leader == rm->broker_id || st->leader < 0) {
		sm_fetcher_manager_remove(rm->fetchers, topic, partition);
		return;
	}
	const sm_leader_and_isr_req_live_leader_t *ll = sm_rm_live_leader(req, st->leader);
	if (!ll || !ll->host_name) {
		sm_log_warn(NULL, SM_RM_LOGGER,
			    "[ReplicaManager broker=%d] No endpoint for leader %d of %s-%d; not fetching",
			    rm->broker_id, st->leader, topic, partition);
		sm_fetcher_manager_remove(rm->fetchers, topic, partition);
		return;
	}
	sm_fetcher_manager_add(rm->fetchers, p, st->leader, st->leader_epoch, ll->host_name, ll->port);
}

static sm_err_t sm_rm_apply_state(sm_replica_manager_t *rm, const sm_leader_and_isr_req_t *req,
				  const sm_leader_and_isr_req_partition_state_t *st,
				  sm_rm_tc_cache_t *cache)
{
	int mine = 0;
	for (int i = 0; i < st->replicas_cnt; i++)
		mine |= st->replicas[i] == rm->broker_id;
	if (!mine)
		return SM_ERR_UNKNOWN_TOPIC_OR_PARTITION;
	sm_partition_t *p;
	sm_err_t e = sm_rm_get_or_create(rm, st->topic_name, st->partition_index, cache, &p);
	if (e)
		return e == SM_ERR__IO || e == SM_ERR__FULL ? SM_ERR_KAFKA_STORAGE_ERROR : e;
	if (sm_log_is_offline(sm_partition_log(p))) { /* never comes back online */
		sm_rm_mark_offline(rm, p);
		sm_partition_release(p);
		sm_log(SM_LOGFILE_STATE_CHANGE, SM_LOG_WARN, NULL, SM_SC_LOGGER,
		       "[Broker id=%d] Ignoring LeaderAndIsr request from controller %d epoch %d for partition %s-%d as the local replica for the partition is in an offline log directory",
		       rm->broker_id, req->controller_id, req->controller_epoch, st->topic_name, st->partition_index);
		return SM_ERR_KAFKA_STORAGE_ERROR;
	}
	/* A new leader stops fetching before it takes appends, so no
	 * follower append lands after its epoch's start offset. */
	if (st->leader == rm->broker_id && st->leader_epoch > sm_partition_leader_epoch(p))
		sm_fetcher_manager_remove(rm->fetchers, st->topic_name, st->partition_index);
	int was_leader = 0, is_leader = 0;
	int32_t cur;
	if (sm_partition_make_leader_or_follower(p, st, &was_leader, &is_leader, &cur)) {
		sm_partition_release(p);
		sm_log(SM_LOGFILE_STATE_CHANGE, SM_LOG_INFO, NULL, SM_SC_LOGGER,
		       "[Broker id=%d] Ignoring LeaderAndIsr request for partition %s-%d: leader epoch %d is not newer than the current leader epoch %d",
		       rm->broker_id, st->topic_name, st->partition_index, st->leader_epoch, cur);
		return SM_ERR_STALE_CONTROLLER_EPOCH;
	}
	sm_rm_update_fetcher(rm, p, req, st);
	sm_log(SM_LOGFILE_STATE_CHANGE, SM_LOG_INFO, NULL, SM_SC_LOGGER,
	       "[Broker id=%d] %s partition %s-%d with leader %d, leader epoch %d, high watermark %lld",
	       rm->broker_id, is_leader ? (was_leader ? "Stayed leader of" : "Leader of") : "Follower of",
	       st->topic_name, st->partition_index, st->leader, st->leader_epoch, (long long)sm_partition_high_watermark(p));
	sm_rm_notify(rm, p);
	sm_partition_release(p);
	return SM_ERR_NONE;
}

/* ---- new logs of a LeaderAndIsr created on several threads ----
 *
 * Creating a partition's directory and files is nearly all kernel time
 * (ext4's inode allocation), spent one partition after the other on the
 * request handler. A request bringing at least SM_RM_PAR_MIN new logs of
 * one topic has them created first by the handler and up to
 * SM_RM_PAR_THREADS - 1 short-lived helper threads (one per online CPU at
 * most); the loop applying the states then finds the logs made. Each
 * thread defers the syncing of the checkpoint files it writes and makes
 * them durable before it ends, and all have ended before the request is
 * answered, so a creation is as durable when acknowledged as before. A
 * log that fails here is simply absent and fails again, reported, in the
 * loop. */
#define SM_RM_PAR_MIN 64
#define SM_RM_PAR_THREADS 4

typedef struct sm_rm_par {
	sm_replica_manager_t *rm;
	const char *topic;
	const sm_leader_and_isr_req_partition_state_t *const *sts; /* topic's, to create */
	int n;
	int next; /* atomic: the next entry of sts to create */
	const sm_log_config_t *cfg;
} sm_rm_par_t;

static void sm_rm_par_run(sm_rm_par_t *job)
{
	sm_checkpoint_defer_begin();
	int i;
	while ((i = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED)) < job->n) {
		const sm_leader_and_isr_req_partition_state_t *st = job->sts[i];
		sm_log_t *log = sm_log_manager_get_or_create(job->rm->lm, job->topic, st->partition_index,
							     job->cfg);
		if (!log)
			continue;
		if (st->leader == job->rm->broker_id) {
			/* The leader-epoch-checkpoint the partition's becoming
			 * leader writes (sm_partition_make_leader_or_follower:
			 * the epoch starting at the log end), written here with
			 * the log's other files: the partition reads it back
			 * and finds the epoch assigned. Nothing appends to
			 * the log before, as it is not hosted yet. */
			sm_lec_t *lec = sm_lec_open(sm_log_dir(log));
			sm_lec_assign(lec, st->leader_epoch, sm_log_end_offset(log));
			sm_lec_destroy(lec);
		}
		sm_log_release(log);
	}
	sm_checkpoint_defer_end();
}

static void *sm_rm_par_main(void *arg)
{
	/* works for the request handler that waits for it */
	sm_thread_role_set(SM_ROLE_HANDLER);
	sm_rm_par_run(arg);
	return NULL;
}

/* Creates the logs of sts (n of them, topic's) on several threads. */
static void sm_rm_par_create(sm_replica_manager_t *rm, const char *topic,
			     const sm_leader_and_isr_req_partition_state_t *const *sts, int n,
			     const sm_log_config_t *cfg)
{
	sm_rm_par_t job = { rm, topic, sts, n, 0, cfg };
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int nthr = cpus < SM_RM_PAR_THREADS ? (int)(cpus > 1 ? cpus : 1) : SM_RM_PAR_THREADS;
	pthread_t th[SM_RM_PAR_THREADS];
	int started = 0;
	for (int t = 0; t < nthr - 1; t++) {
		if (pthread_create(&th[started], NULL, sm_rm_par_main, &job) != 0)
			break; /* fewer helpers: the handler does the rest */
		char name[16];
		snprintf(name, sizeof(name), "lai-create-%d", t);
		pthread_setname_np(th[started], name);
		started++;
	}
	sm_rm_par_run(&job);
	for (int t = 0; t < started; t++)
		pthread_join(th[t], NULL);
}

/* Finds the runs of one topic's partitions in req that are this broker's
 * and have no log yet, and creates the runs of at least SM_RM_PAR_MIN on
 * several threads. */
static void sm_rm_precreate_logs(sm_replica_manager_t *rm, const sm_leader_and_isr_req_t *req,
				 sm_rm_tc_cache_t *cache)
{
	int32_t n = req->ungrouped_partition_states_cnt;
	if (n < SM_RM_PAR_MIN)
		return;
	const sm_leader_and_isr_req_partition_state_t **sts = sm_calloc((size_t)n + 1, sizeof(*sts));
	for (int32_t i = 0; i < n;) {
		const char *topic = req->ungrouped_partition_states[i].topic_name;
		int k = 0;
		for (; i < n && !strcmp(req->ungrouped_partition_states[i].topic_name, topic); i++) {
			const sm_leader_and_isr_req_partition_state_t *st = &req->ungrouped_partition_states[i];
			int mine = 0;
			for (int r = 0; r < st->replicas_cnt; r++)
				mine |= st->replicas[r] == rm->broker_id;
			if (!mine || st->partition_index < 0)
				continue;
			sm_partition_t *p = sm_replica_manager_partition(rm, topic, st->partition_index);
			if (p) {
				sm_partition_release(p);
				continue;
			}
			sm_log_t *log = sm_log_manager_get(rm->lm, topic, st->partition_index);
			if (log) {
				sm_log_release(log);
				continue;
			}
			sts[k++] = st;
		}
		if (k < SM_RM_PAR_MIN)
			continue;
		sm_rm_cached_config(rm, cache, topic);
		int64_t t0 = sm_clock_mono_ns();
		sm_rm_par_create(rm, topic, sts, k, &cache->tc.log);
		cache->create_ns += sm_clock_mono_ns() - t0;
	}
	free(sts);
}

void sm_replica_manager_leader_and_isr(sm_replica_manager_t *rm, const sm_leader_and_isr_req_t *req,
				       sm_arena_t *a, sm_leader_and_isr_resp_t *resp)
{
	sm_leader_and_isr_resp_init(resp);
	pthread_mutex_lock(&rm->lock);
	int stale = req->controller_epoch < rm->controller_epoch;
	if (!stale)
		rm->controller_epoch = req->controller_epoch;
	pthread_mutex_unlock(&rm->lock);
	if (stale) {
		sm_log(SM_LOGFILE_STATE_CHANGE, SM_LOG_WARN, NULL, SM_SC_LOGGER,
		       "[Broker id=%d] Ignoring LeaderAndIsr request from controller %d with stale controller epoch %d",
		       rm->broker_id, req->controller_id, req->controller_epoch);
		resp->error_code = SM_ERR_STALE_CONTROLLER_EPOCH;
		return;
	}
	int32_t n = req->ungrouped_partition_states_cnt;
	resp->partition_errors = sm_arena_alloc(a, sizeof(*resp->partition_errors) * (size_t)(n + 1));
	resp->partition_errors_cnt = n;
	sm_rm_tc_cache_t cache = { 0 };
	int64_t t0 = sm_clock_mono_ns();
	/* New partitions' leader-epoch-checkpoint files are made durable
	 * together before the response, not with two fsyncs each. */
	sm_checkpoint_defer_begin();
	sm_rm_precreate_logs(rm, req, &cache);
	for (int i = 0; i < n; i++) {
		const sm_leader_and_isr_req_partition_state_t *st = &req->ungrouped_partition_states[i];
		sm_leader_and_isr_resp_partition_error_t *pe = &resp->partition_errors[i];
		pe->topic_name = st->topic_name;
		pe->partition_index = st->partition_index;
		pe->error_code = (int16_t)sm_rm_apply_state(rm, req, st, &cache);
		if (pe->error_code == SM_ERR_NONE)
			sm_rm_notify_leadership(rm, st->topic_name, st->partition_index,
						st->leader == rm->broker_id);
	}
	sm_checkpoint_defer_end();
	sm_rm_thr_clear(&cache.thr);
	/* Per request, not per partition: what a topic creation costs here. */
	sm_log_info(NULL, SM_RM_LOGGER, "[ReplicaManager broker=%d] Handled LeaderAndIsr request from controller %d epoch %d for %d partitions in %lld ms (%d logs created in %lld ms)",
		    rm->broker_id, req->controller_id, req->controller_epoch, n,
		    (long long)((sm_clock_mono_ns() - t0) / 1000000), cache.n_created,
		    (long long)(cache.create_ns / 1000000));
}

static sm_err_t sm_rm_stop_one(sm_replica_manager_t *rm, const sm_stop_replica_partition_t *sp,
			       int delete)
{
	pthread_mutex_lock(&rm->lock);
	unsigned h = sm_rm_hash(sp->topic, sp->partition);
	sm_rm_entry_t **pp = &rm->buckets[h], *ent = NULL;
	sm_partition_t *found = sm_rm_find(rm, sp->topic, sp->partition), *p = NULL;
	if (found && sm_log_is_offline(sm_partition_log(found))) {
		/* An offline replica stays known (and offline): its files
		 * cannot be touched until the broker restarts. */
		sm_partition_keep(found);
		pthread_mutex_unlock(&rm->lock);
		sm_rm_mark_offline(rm, found);
		sm_partition_release(found);
		return SM_ERR_KAFKA_STORAGE_ERROR;
	}
	for (; *pp; pp = &(*pp)->next)
		if (sm_partition_id((*pp)->p) == sp->partition &&
		    !strcmp(sm_partition_topic((*pp)->p), sp->topic)) {
			ent = *pp;
			*pp = ent->next;
			p = ent->p; /* the table's reference */
			free(ent);
			rm->count--;
			break;
		}
	pthread_mutex_unlock(&rm->lock);
	/* The fetcher must let go before the log may be deleted. */
	sm_fetcher_manager_remove(rm->fetchers, sp->topic, sp->partition);
	if (p) {
		sm_partition_stop(p);
		/* operations parked on it end now (NOT_LEADER_OR_FOLLOWER) */
		sm_rm_notify(rm, p);
		sm_partition_release(p);
	}
	if (delete) {
		sm_err_t e = sm_log_manager_delete(rm->lm, sp->topic, sp->partition);
		if (e && e != SM_ERR__NOENT)
			return SM_ERR_KAFKA_STORAGE_ERROR;
	}
	sm_log(SM_LOGFILE_STATE_CHANGE, SM_LOG_INFO, NULL, SM_SC_LOGGER,
	       "[Broker id=%d] Stopped replica %s-%d (delete=%s)", rm->broker_id, sp->topic,
	       sp->partition, delete ? "true" : "false");
	return SM_ERR_NONE;
}

void sm_replica_manager_stop_replica(sm_replica_manager_t *rm, int32_t controller_epoch,
				     const sm_stop_replica_partition_t *parts, int32_t n,
				     sm_arena_t *a, sm_stop_replica_resp_t *resp)
{
	sm_stop_replica_resp_init(resp);
	pthread_mutex_lock(&rm->lock);
	int stale = controller_epoch < rm->controller_epoch;
	if (!stale)
		rm->controller_epoch = controller_epoch;
	pthread_mutex_unlock(&rm->lock);
	if (stale) {
		resp->error_code = SM_ERR_STALE_CONTROLLER_EPOCH;
		return;
	}
	resp->partition_errors = sm_arena_alloc(a, sizeof(*resp->partition_errors) * (size_t)(n + 1));
	resp->partition_errors_cnt = n;
	for (int i = 0; i < n; i++) {
		const sm_stop_replica_partition_t *sp = &parts[i];
		resp->partition_errors[i].topic_name = sp->topic;
		resp->partition_errors[i].partition_index = sp->partition;
		resp->partition_errors[i].error_code = (int16_t)sm_rm_stop_one(rm, sp, sp->delete_partition);
		sm_rm_notify_leadership(rm, sp->topic, sp->partition, 0);
	}
}

/* ---- dynamic topic configs ---- */

void sm_replica_manager_topic_config_changed(sm_replica_manager_t *rm, const char *topic)
{
	sm_topic_config_t tc;
	sm_rm_thr_t thr = { 0 };
	sm_rm_topic_config(rm, topic, &tc, &thr);
	sm_partition_t **v;
	int n = sm_rm_leaders(rm, &v);
	for (int i = 0; i < n; i++) {
		sm_partition_t *p = v[i];
		if (!strcmp(sm_partition_topic(p), topic)) {
			sm_partition_set_config(p, &tc);
			sm_rm_set_throttled(rm, p, &thr);
		}
		sm_partition_release(p);
	}
	sm_rm_thr_clear(&thr);
	free(v);
}

void sm_replica_manager_broker_config_changed(sm_replica_manager_t *rm,
					      const sm_kafka_config_t *cfg)
{
	/* a pointer store: readers see the old or the new config, both live */
	__atomic_store_n(&rm->cfg, cfg, __ATOMIC_RELEASE);
	sm_fetcher_manager_resize(rm->fetchers, cfg->num_replica_fetchers);
	/* Kafka's BrokerConfigHandler: the throttle rates apply at once */
	sm_repl_quota_set_rate(rm->leader_quota, cfg->leader_replication_throttled_rate);
	sm_repl_quota_set_rate(rm->follower_quota, cfg->follower_replication_throttled_rate);
	sm_partition_t **v;
	int n = sm_rm_leaders(rm, &v);
	sm_topic_config_t tc;
	const char *last = NULL;
	for (int i = 0; i < n; i++) {
		sm_partition_t *p = v[i];
		/* one ZooKeeper read per topic when partitions come in topic runs */
		if (!last || strcmp(last, sm_partition_topic(p)))
			sm_rm_topic_config(rm, sm_partition_topic(p), &tc, NULL);
		last = sm_partition_topic(p);
		sm_partition_set_config(p, &tc);
	}
	for (int i = 0; i < n; i++)
		sm_partition_release(v[i]);
	free(v);
}

/* ---- replication accessors ---- */

int32_t sm_replica_manager_broker_id(const sm_replica_manager_t *rm) { return rm->broker_id; }
sm_repl_quota_t *sm_replica_manager_leader_quota(sm_replica_manager_t *rm) { return rm->leader_quota; }
sm_err_t sm_replica_manager_epoch_end_offset(sm_replica_manager_t *rm, const char *topic,
					     int32_t partition, int32_t current_leader_epoch,
					     int32_t requested, int32_t *epoch_out,
					     int64_t *end_offset_out)
{
	*epoch_out = -1;
	*end_offset_out = -1;
	sm_partition_t *p;
	sm_err_t e = sm_replica_manager_leader_partition(rm, topic, partition, &p);
	if (e)
		return e;
	e = sm_partition_epoch_end_offset(p, current_leader_epoch, requested, epoch_out,
					  end_offset_out);
	sm_partition_release(p);
	return e;
}

/* ---- "isr-expiration": ISR shrink checks and change propagation ---- */

#define SM_RM_TICK_MS 250
#define SM_RM_ISR_PROPAGATE_MS 2500

/* Every hosted partition (new references) into *out; returns the count. */
static int sm_rm_leaders(sm_replica_manager_t *rm, sm_partition_t ***out)
{
	pthread_mutex_lock(&rm->lock);
	sm_partition_t **v = sm_calloc((size_t)rm->count + 1, sizeof(*v));
	int n = 0;
	for (int b = 0; b < SM_RM_BUCKETS; b++)
		for (sm_rm_entry_t *e = rm->buckets[b]; e; e = e->next)
			if (n < rm->count)
				v[n++] = sm_partition_keep(e->p);
	pthread_mutex_unlock(&rm->lock);
	*out = v;
	return n;
}

/* The replica manager's part of a log dir failure: once the log manager
 * has taken a dir offline, the partitions in it stop fetching and leading
 * (the controller moves their leadership when it hears of the failure). */
static void sm_rm_handle_offline_logs(sm_replica_manager_t *rm)
{
	int nd = rm->lm ? sm_log_manager_dir_count(rm->lm) : 0, off = 0;
	for (int d = 0; d < nd; d++)
		off += sm_log_manager_dir_offline(rm->lm, d) != 0;
	if (off == rm->offline_dirs)
		return;
	rm->offline_dirs = off;
	sm_partition_t **v;
	int n = sm_rm_leaders(rm, &v);
	char names[1024];
	size_t used = 0;
	names[0] = '\0';
	for (int i = 0; i < n; i++) {
		sm_partition_t *p = v[i];
		if (sm_log_is_offline(sm_partition_log(p)) && sm_rm_mark_offline(rm, p) &&
		    used + 2 < sizeof(names))
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s-%d",
						 used ? "," : "", sm_partition_topic(p),
						 (int)sm_partition_id(p));
		sm_partition_release(p);
	}
	free(v);
	if (used)
		sm_log_warn(NULL, SM_RM_LOGGER,
			    "[ReplicaManager broker=%d] Stopped fetcher for partitions %s because they are in a failed log directory",
			    rm->broker_id, names);
}

/* Writes /isr_change_notification/isr_change_<seq> for what is pending. */
static void sm_rm_propagate_isr_changes(sm_replica_manager_t *rm)
{
	pthread_mutex_lock(&rm->sched_lock);
	sm_zk_topic_partition_t *tps = rm->isr_changes;
	int n = rm->n_isr_changes;
	rm->isr_changes = NULL;
	rm->n_isr_changes = rm->cap_isr_changes = 0;
	pthread_mutex_unlock(&rm->sched_lock);
	if (n == 0)
		return;
	char *json = sm_zk_isr_change_encode(tps, n);
	sm_err_t e = rm->zk ? sm_zk_create(rm->zk, SM_ZKPATH_ISR_CHANGE_PREFIX, json, strlen(json),
					   SM_ZK_PERSISTENT | SM_ZK_SEQUENTIAL, NULL)
			    : SM_ERR_NONE;
	if (e)
		sm_log_warn(NULL, SM_RM_LOGGER, "Failed to write ISR change notification: %s", sm_err_name(e));
	free(json);
	sm_zk_topic_partitions_free(tps, n);
}

static void *sm_rm_sched_main(void *arg)
{
	sm_replica_manager_t *rm = arg;
	pthread_setname_np(pthread_self(), "isr-expiration");
	sm_thread_role_set(SM_ROLE_ISR_EXPIRATION);
	int64_t lag = sm_rm_cfg(rm)->replica_lag_time_max_ms;
	int64_t last_shrink = sm_clock_mono_ms(), last_prop = 0;
	pthread_mutex_lock(&rm->sched_lock);
	while (rm->sched_running) {
		struct timespec ts;
		sm_clock_deadline_ts(CLOCK_REALTIME, SM_RM_TICK_MS, &ts);
		if (!rm->n_isr_expand)
			pthread_cond_timedwait(&rm->sched_cond, &rm->sched_lock, &ts);
		if (!rm->sched_running)
			break;
		sm_partition_t **expand = rm->isr_expand;
		int n_expand = rm->n_isr_expand;
		rm->isr_expand = NULL;
		rm->n_isr_expand = rm->cap_isr_expand = 0;
		pthread_mutex_unlock(&rm->sched_lock);
		for (int i = 0; i < n_expand; i++) {
			sm_partition_maybe_expand_isr(expand[i]);
			sm_partition_release(expand[i]);
		}
		free(expand);
		pthread_mutex_lock(&rm->sched_lock);
		int pending = rm->n_isr_changes > 0;
		pthread_mutex_unlock(&rm->sched_lock);
		sm_rm_handle_offline_logs(rm);
		int64_t now = sm_clock_mono_ms();
		if (now - last_shrink >= lag / 2) {
			last_shrink = now;
			sm_partition_t **v;
			int n = sm_rm_leaders(rm, &v);
			for (int i = 0; i < n; i++) {
				sm_partition_maybe_shrink_isr(v[i], now, lag);
				sm_partition_release(v[i]);
			}
			free(v);
		}
		if (pending && now - last_prop >= SM_RM_ISR_PROPAGATE_MS) {
			sm_rm_propagate_isr_changes(rm);
			last_prop = now;
		}
		pthread_mutex_lock(&rm->sched_lock);
	}
	pthread_mutex_unlock(&rm->sched_lock);
	return NULL;
}

/* ---- startup, checkpoints, shutdown ---- */

#define SM_RM_HW_FILE "replication-offset-checkpoint"

/* The log directory holding a partition directory. */
static void sm_rm_parent_dir(const sm_log_t *log, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s", sm_log_dir(log));
	char *slash = strrchr(out, '/');
	if (slash && slash != out)
		*slash = '\0';
}

static void sm_rm_load_one(sm_replica_manager_t *rm, sm_log_t *log, const sm_checkpoint_t *hws)
{
	const char *topic = sm_log_topic(log);
	int32_t partition = sm_log_partition(log);
	sm_topic_config_t tc;
	sm_rm_thr_t thr = { 0 };
	sm_rm_topic_config(rm, topic, &tc, &thr);
	/* takes the list's reference to log */
	sm_partition_t *p = sm_partition_new(topic, partition, log, &tc, rm->broker_id,
					     &sm_rm_partition_hooks, rm);
	sm_rm_set_throttled(rm, p, &thr);
	sm_rm_thr_clear(&thr);
	sm_log_set_config(log, &tc.log);
	sm_partition_restore_hw(p, sm_checkpoint_get(hws, topic, partition, 0));
	pthread_mutex_lock(&rm->lock);
	sm_rm_insert(rm, p);
	pthread_mutex_unlock(&rm->lock);
}

void sm_replica_manager_startup(sm_replica_manager_t *rm)
{
	sm_checkpoint_t hws;
	sm_checkpoint_init(&hws);
	for (int d = 0; d < sm_rm_cfg(rm)->log_dir_cnt; d++) {
		char path[4096];
		sm_checkpoint_t one;
		snprintf(path, sizeof(path), "%s/%s", sm_rm_cfg(rm)->log_dir_list[d], SM_RM_HW_FILE);
		if (sm_checkpoint_read(path, &one) == SM_ERR_NONE)
			for (int i = 0; i < one.cnt; i++)
				sm_checkpoint_add(&hws, one.entries[i].topic, one.entries[i].partition,
						  one.entries[i].offset);
		sm_checkpoint_clear(&one);
	}
	sm_log_t **logs = NULL;
	int n = sm_log_manager_list(rm->lm, &logs);
	for (int i = 0; i < n; i++)
		sm_rm_load_one(rm, logs[i], &hws);
	free(logs);
	sm_checkpoint_clear(&hws);
	sm_log_info(NULL, SM_RM_LOGGER, "[ReplicaManager broker=%d] Loaded %d partitions", rm->broker_id, n);
	rm->sched_running = 1;
	pthread_create(&rm->sched, NULL, sm_rm_sched_main, rm);
}

/* Writes replication-offset-checkpoint (high watermarks) in every log dir. */
void sm_replica_manager_checkpoint_hw(sm_replica_manager_t *rm)
{
	int nd = sm_rm_cfg(rm)->log_dir_cnt;
	sm_checkpoint_t *cps = sm_calloc((size_t)nd, sizeof(*cps));
	for (int d = 0; d < nd; d++)
		sm_checkpoint_init(&cps[d]);
	pthread_mutex_lock(&rm->lock);
	for (int b = 0; b < SM_RM_BUCKETS; b++)
		for (sm_rm_entry_t *e = rm->buckets[b]; e; e = e->next) {
			sm_partition_t *p = e->p;
			char parent[4096];
			sm_rm_parent_dir(sm_partition_log(p), parent, sizeof(parent));
			int64_t hw = sm_partition_high_watermark(p);
			for (int d = 0; d < nd; d++)
				if (!strcmp(parent, sm_rm_cfg(rm)->log_dir_list[d]))
					sm_checkpoint_add(&cps[d], sm_partition_topic(p),
							  sm_partition_id(p), hw);
		}
	pthread_mutex_unlock(&rm->lock);
	for (int d = 0; d < nd; d++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", sm_rm_cfg(rm)->log_dir_list[d], SM_RM_HW_FILE);
		if (rm->lm && d < sm_log_manager_dir_count(rm->lm) &&
		    sm_log_manager_dir_offline(rm->lm, d)) {
			sm_checkpoint_clear(&cps[d]);
			continue; /* a failed dir is not written again */
		}
		if (sm_checkpoint_write(path, &cps[d]))
			sm_log_error(NULL, SM_RM_LOGGER, "Error while writing %s", path);
		sm_checkpoint_clear(&cps[d]);
	}
	free(cps);
}

void sm_replica_manager_stop_fetchers(sm_replica_manager_t *rm)
{
	sm_fetcher_manager_shutdown(rm->fetchers);
}

void sm_replica_manager_shutdown(sm_replica_manager_t *rm)
{
	pthread_mutex_lock(&rm->sched_lock);
	int running = rm->sched_running;
	rm->sched_running = 0;
	pthread_cond_signal(&rm->sched_cond);
	pthread_mutex_unlock(&rm->sched_lock);
	if (running)
		pthread_join(rm->sched, NULL);
	sm_fetcher_manager_shutdown(rm->fetchers);
	sm_replica_manager_checkpoint_hw(rm);
}

void sm_replica_manager_destroy(sm_replica_manager_t *rm)
{
	if (!rm)
		return;
	for (int b = 0; b < SM_RM_BUCKETS; b++) {
		sm_rm_entry_t *e = rm->buckets[b];
		while (e) {
			sm_rm_entry_t *n = e->next;
			sm_partition_release(e->p);
			free(e);
			e = n;
		}
	}
	sm_fetcher_manager_destroy(rm->fetchers);
	sm_repl_quota_destroy(rm->leader_quota);
	sm_repl_quota_destroy(rm->follower_quota);
	sm_zk_topic_partitions_free(rm->isr_changes, rm->n_isr_changes);
	for (int i = 0; i < rm->n_isr_expand; i++)
		sm_partition_release(rm->isr_expand[i]);
	free(rm->isr_expand);
	pthread_cond_destroy(&rm->sched_cond);
	pthread_mutex_destroy(&rm->sched_lock);
	pthread_mutex_destroy(&rm->lock);
	free(rm);
}
