/*
 * replica_manager.c - hosted partitions, leadership changes from the
 * controller, leader appends, follower tracking, the ISR and the high
 * watermark (Kafka's ReplicaManager and Partition). See replica_manager.h.
 *
 * Partitions live in a chained hash table keyed by (topic, partition) under
 * rm->lock; each partition guards its leadership fields with its own mutex.
 * An ISR change is computed under the partition mutex, written to ZooKeeper
 * without it (isr_inflight keeps a second change from racing the first) and
 * applied only if the leader epoch did not move meanwhile. Every ISR write
 * happens on the "isr-expiration" thread: a follower fetch that qualifies a
 * replica for the ISR (handled on a request handler or completed on the
 * fetch purgatory, which must not block on ZooKeeper) only queues the
 * partition for expansion and wakes that thread.
 *
 * A partition's topic config is an immutable refcounted snapshot: readers
 * take a reference under the leaf mutex cfg_lock (a pointer copy and an
 * increment), the config-change thread builds a new snapshot and swaps the
 * pointer; the old one is freed when its last reader drops it.
 */
#include "replica_manager.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checkpoint.h"
#include "clock.h"
#include "compression.h"
#include "kafka_zk.h"
#include "producer_state.h"
#include "logger.h"
#include "replica_fetcher.h"
#include "thread_role.h"

#define SM_RM_BUCKETS 4096
#define SM_RM_LOGGER "kafka.server.ReplicaManager"
#define SM_SC_LOGGER "state.change.logger"

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
	sm_partition_t *next; /* hash chain */
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
	int isr_expand_queued;      /* on rm->isr_expand, not yet looked at */
	int offline;                /* its log dir failed (HostedPartition.Offline);
				     * set once, under lock, after its log went offline */
	sm_lec_t *lec;
	sm_log_t *log;
	pthread_mutex_t cfg_lock;   /* leaf: guards the tcfg pointer only */
	sm_tcfg_snap_t *tcfg;       /* never NULL; immutable */
	sm_replica_manager_t *rm;
};

struct sm_replica_manager {
	pthread_mutex_t lock;
	sm_partition_t *buckets[SM_RM_BUCKETS];
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
sm_log_t *sm_partition_log(sm_partition_t *p) { return p->log; }

int64_t sm_partition_high_watermark(sm_partition_t *p)
{
	pthread_mutex_lock(&p->lock);
	int64_t hw = p->hw;
	pthread_mutex_unlock(&p->lock);
	return hw;
}

int32_t sm_partition_leader_epoch(sm_partition_t *p)
{
	pthread_mutex_lock(&p->lock);
	int32_t e = p->leader_epoch;
	pthread_mutex_unlock(&p->lock);
	return e;
}

int sm_partition_isr_size(sm_partition_t *p)
{
	pthread_mutex_lock(&p->lock);
	int n = p->n_isr;
	pthread_mutex_unlock(&p->lock);
	return n;
}

/* Caller holds rm->lock. */
static sm_partition_t *sm_rm_find(sm_replica_manager_t *rm, const char *topic, int32_t partition)
{
	SM_ASSERT_HELD(&rm->lock);
	for (sm_partition_t *p = rm->buckets[sm_rm_hash(topic, partition)]; p; p = p->next)
		if (p->partition == partition && !strcmp(p->topic, topic))
			return p;
	return NULL;
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
	pthread_mutex_lock(&rm->lock);
	int n = rm->count;
	pthread_mutex_unlock(&rm->lock);
	return n;
}

void sm_replica_manager_metrics(sm_replica_manager_t *rm, sm_metrics_gauges_t *g)
{
	/* rm -> partition; the topic config (a leaf lock) is read before the
	 * partition lock, as everywhere. A scrape walks every partition once. */
	pthread_mutex_lock(&rm->lock);
	for (int b = 0; b < SM_RM_BUCKETS; b++)
		for (sm_partition_t *p = rm->buckets[b]; p; p = p->next) {
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
			pthread_mutex_unlock(&p->lock);
		}
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
	pthread_mutex_lock(&p->lock);
	int leader = p->is_leader, offline = p->offline;
	pthread_mutex_unlock(&p->lock);
	if (!leader || offline) {
		sm_partition_release(p);
		return offline ? SM_ERR_KAFKA_STORAGE_ERROR : SM_ERR_NOT_LEADER_OR_FOLLOWER;
	}
	*out = p;
	return SM_ERR_NONE;
}

/* ---- topic configuration (LogConfig) ---- */

static int sm_rm_codec(const char *s)
{
	static const char *const names[] = { "uncompressed", "gzip", "snappy", "lz4", "zstd" };
	for (int i = 0; i < 5; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1; /* producer */
}

static void sm_rm_default_config(const sm_kafka_config_t *cfg, sm_topic_config_t *tc)
{
	memset(tc, 0, sizeof(*tc));
	sm_log_config_defaults(&tc->log);
	tc->log.segment_bytes = cfg->log_segment_bytes;
	tc->log.segment_ms = cfg->eff_roll_ms;
	tc->log.segment_jitter_ms = cfg->eff_roll_jitter_ms;
	tc->log.segment_index_bytes = cfg->log_index_size_max_bytes;
	tc->log.index_interval_bytes = cfg->log_index_interval_bytes;
	tc->log.flush_messages = cfg->log_flush_interval_messages;
	tc->log.flush_ms = cfg->log_flush_interval_ms ? cfg->log_flush_interval_ms : INT64_MAX;
	tc->log.retention_bytes = cfg->log_retention_bytes;
	tc->log.retention_ms = cfg->eff_retention_ms;
	tc->log.file_delete_delay_ms = cfg->log_segment_delete_delay_ms;
	tc->log.max_message_bytes = cfg->message_max_bytes;
	tc->log.message_timestamp_type = cfg->timestamp_log_append ? SM_LOG_TIMESTAMP_LOG_APPEND_TIME
								   : SM_LOG_TIMESTAMP_CREATE_TIME;
	tc->max_message_bytes = cfg->message_max_bytes;
	tc->min_insync_replicas = cfg->min_insync_replicas;
	tc->compression_type = sm_rm_codec(cfg->compression_type);
	tc->compact = strstr(cfg->log_cleanup_policy, "compact") != NULL;
	tc->log.cleanup_compact = tc->compact;
	tc->log.cleanup_delete = strstr(cfg->log_cleanup_policy, "delete") != NULL;
	tc->log.delete_retention_ms = cfg->log_cleaner_delete_retention_ms;
	tc->log.min_compaction_lag_ms = cfg->log_cleaner_min_compaction_lag_ms;
	tc->log.min_cleanable_ratio = cfg->log_cleaner_min_cleanable_ratio;
	tc->timestamp_difference_max_ms = cfg->log_message_timestamp_difference_max_ms;
	tc->downconversion_enable = cfg->log_message_downconversion_enable;
	tc->unclean_leader_election_enable = cfg->unclean_leader_election_enable;
}

static void sm_rm_apply_override(sm_topic_config_t *tc, const char *k, const char *v)
{
	long long n = strtoll(v, NULL, 10);
	if (!strcmp(k, "segment.bytes"))
		tc->log.segment_bytes = n;
	else if (!strcmp(k, "segment.ms"))
		tc->log.segment_ms = n;
	else if (!strcmp(k, "segment.jitter.ms"))
		tc->log.segment_jitter_ms = n;
	else if (!strcmp(k, "segment.index.bytes"))
		tc->log.segment_index_bytes = (int32_t)n;
	else if (!strcmp(k, "index.interval.bytes"))
		tc->log.index_interval_bytes = (int32_t)n;
	else if (!strcmp(k, "flush.messages"))
		tc->log.flush_messages = n;
	else if (!strcmp(k, "flush.ms"))
		tc->log.flush_ms = n;
	else if (!strcmp(k, "retention.bytes"))
		tc->log.retention_bytes = n;
	else if (!strcmp(k, "retention.ms"))
		tc->log.retention_ms = n;
	else if (!strcmp(k, "file.delete.delay.ms"))
		tc->log.file_delete_delay_ms = n;
	else if (!strcmp(k, "max.message.bytes"))
		tc->log.max_message_bytes = tc->max_message_bytes = (int32_t)n;
	else if (!strcmp(k, "message.timestamp.type"))
		tc->log.message_timestamp_type = !strcmp(v, "LogAppendTime");
	else if (!strcmp(k, "min.insync.replicas"))
		tc->min_insync_replicas = (int32_t)n;
	else if (!strcmp(k, "compression.type"))
		tc->compression_type = sm_rm_codec(v);
	else if (!strcmp(k, "cleanup.policy")) {
		tc->compact = tc->log.cleanup_compact = strstr(v, "compact") != NULL;
		tc->log.cleanup_delete = strstr(v, "delete") != NULL;
	} else if (!strcmp(k, "delete.retention.ms"))
		tc->log.delete_retention_ms = n;
	else if (!strcmp(k, "min.compaction.lag.ms"))
		tc->log.min_compaction_lag_ms = n;
	else if (!strcmp(k, "min.cleanable.dirty.ratio"))
		tc->log.min_cleanable_ratio = strtod(v, NULL);
	else if (!strcmp(k, "message.timestamp.difference.max.ms"))
		tc->timestamp_difference_max_ms = n;
	else if (!strcmp(k, "message.downconversion.enable"))
		tc->downconversion_enable = !strcmp(v, "true");
	else if (!strcmp(k, "unclean.leader.election.enable"))
		tc->unclean_leader_election_enable = !strcmp(v, "true");
}

static void sm_rm_topic_config(sm_replica_manager_t *rm, const char *topic, sm_topic_config_t *tc)
{
	sm_rm_default_config(sm_rm_cfg(rm), tc);
	if (!rm->zk)
		return;
	sm_zk_config_t zc = { 0 };
	if (sm_kzk_get_topic_config(rm->zk, topic, &zc) == SM_ERR_NONE)
		for (int i = 0; i < zc.n; i++)
			sm_rm_apply_override(tc, zc.keys[i], zc.values[i]);
	sm_zk_config_clear(&zc);
}

/* ---- partitions ---- */

/* Finds or creates the partition and its log. Caller holds nothing. */
static sm_err_t sm_rm_get_or_create(sm_replica_manager_t *rm, const char *topic, int32_t partition,
				    sm_partition_t **out)
{
	sm_partition_t *p = sm_replica_manager_partition(rm, topic, partition);
	if (p) {
		*out = p;
		return SM_ERR_NONE;
	}
	sm_topic_config_t tc;
	sm_rm_topic_config(rm, topic, &tc);
	sm_log_t *log = sm_log_manager_get_or_create(rm->lm, topic, partition, &tc.log);
	if (!log)
		return SM_ERR_KAFKA_STORAGE_ERROR;
	p = sm_calloc(1, sizeof(*p));
	p->refcnt = 1;
	p->topic = sm_strdup(topic);
	p->partition = partition;
	pthread_mutex_init(&p->lock, NULL);
	p->leader_id = -1;
	p->leader_epoch = -1;
	p->log = log;
	p->lec = sm_lec_open(sm_log_dir(log));
	pthread_mutex_init(&p->cfg_lock, NULL);
	p->tcfg = sm_tcfg_snap_new(&tc);
	p->rm = rm;
	p->hw = sm_log_high_watermark(log); /* a log kept from before keeps its HW */
	pthread_mutex_lock(&rm->lock);
	sm_partition_t *raced = sm_rm_find(rm, topic, partition);
	if (raced) {
		sm_partition_keep(raced);
		pthread_mutex_unlock(&rm->lock);
		sm_partition_release(p);
		*out = raced;
		return SM_ERR_NONE;
	}
	unsigned h = sm_rm_hash(topic, partition);
	p->next = rm->buckets[h];
	rm->buckets[h] = sm_partition_keep(p);
	rm->count++;
	pthread_mutex_unlock(&rm->lock);
	*out = p;
	return SM_ERR_NONE;
}

static void sm_rm_set_i32s(int32_t **dst, int *n, const int32_t *src, int cnt)
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
		if (p->isr[i] == p->rm->broker_id)
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

/* The listener runs under rm->lock so that once
 * sm_replica_manager_set_append_listener(NULL) returns no call is still in
 * flight (the listener only signals a condition variable). */
static void sm_rm_notify(sm_partition_t *p)
{
	sm_replica_manager_t *rm = p->rm;
	pthread_mutex_lock(&rm->lock);
	if (rm->listener)
		rm->listener(rm->listener_opaque, p);
	pthread_mutex_unlock(&rm->lock);
}

/* Queues p for the next /isr_change_notification. */
static void sm_rm_record_isr_change(sm_replica_manager_t *rm, const sm_partition_t *p)
{
	pthread_mutex_lock(&rm->sched_lock);
	for (int i = 0; i < rm->n_isr_changes; i++)
		if (rm->isr_changes[i].partition == p->partition &&
		    !strcmp(rm->isr_changes[i].topic, p->topic)) {
			pthread_mutex_unlock(&rm->sched_lock);
			return;
		}
	if (rm->n_isr_changes == rm->cap_isr_changes) {
		rm->cap_isr_changes = rm->cap_isr_changes ? rm->cap_isr_changes * 2 : 16;
		rm->isr_changes = sm_realloc(rm->isr_changes,
					     sizeof(*rm->isr_changes) * (size_t)rm->cap_isr_changes);
	}
	rm->isr_changes[rm->n_isr_changes].topic = sm_strdup(p->topic);
	rm->isr_changes[rm->n_isr_changes].partition = p->partition;
	rm->n_isr_changes++;
	pthread_mutex_unlock(&rm->sched_lock);
}

static void sm_rm_fmt_isr(char *out, size_t len, const int32_t *isr, int n)
{
	size_t o = 0;
	out[0] = '\0';
	for (int i = 0; i < n && o + 12 < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%d", i ? "," : "", isr[i]);
}

/* Conditional write of the state znode with a new ISR (the classic path of
 * a leader at inter.broker.protocol.version < 2.7-IV2). On BADVERSION the
 * node is re-read: if it already holds exactly this state (a retried write
 * that did land) its version is adopted, otherwise the controller changed
 * the partition and the leader gives up until the next LeaderAndIsr. */
static sm_err_t sm_rm_write_isr(sm_replica_manager_t *rm, const sm_partition_t *p, int32_t epoch,
				int32_t zkv, int32_t ctrl_epoch, int32_t *isr, int n, int32_t *new_zkv)
{
	*new_zkv = zkv + 1;
	if (!rm->zk)
		return SM_ERR_NONE;
	sm_zk_partition_state_t st = { .leader = rm->broker_id, .leader_epoch = epoch,
				       .controller_epoch = ctrl_epoch, .n_isr = n, .isr = isr };
	sm_err_t e = sm_kzk_update_partition_state(rm->zk, p->topic, p->partition, &st, zkv, -1,
						   new_zkv);
	if (e != SM_ERR__BADVERSION)
		return e;
	sm_zk_partition_state_t cur = { 0 };
	if (sm_kzk_get_partition_state(rm->zk, p->topic, p->partition, 0, &cur) == SM_ERR_NONE &&
	    cur.leader == rm->broker_id && cur.leader_epoch == epoch && cur.n_isr == n &&
	    !memcmp(cur.isr, isr, sizeof(int32_t) * (size_t)n)) {
		*new_zkv = cur.zk_version;
		e = SM_ERR_NONE;
	}
	sm_zk_partition_state_clear(&cur);
	return e;
}

/* Replaces the ISR of a partition this broker leads (Partition.shrinkIsr /
 * expandIsr). */
static void sm_rm_update_isr(sm_partition_t *p, int32_t *isr, int n, const char *what)
{
	SM_ASSERT_ROLE(SM_ROLE_ISR_EXPIRATION);
	sm_replica_manager_t *rm = p->rm;
	pthread_mutex_lock(&p->lock);
	if (!p->is_leader || p->isr_inflight) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	p->isr_inflight = 1;
	int32_t epoch = p->leader_epoch, zkv = p->zk_version, cepoch = p->controller_epoch;
	char from[256], to[256];
	sm_rm_fmt_isr(from, sizeof(from), p->isr, p->n_isr);
	pthread_mutex_unlock(&p->lock);
	sm_rm_fmt_isr(to, sizeof(to), isr, n);
	int32_t new_zkv;
	sm_err_t e = sm_rm_write_isr(rm, p, epoch, zkv, cepoch, isr, n, &new_zkv);
	int applied = 0;
	pthread_mutex_lock(&p->lock);
	p->isr_inflight = 0;
	if (!e && p->is_leader && p->leader_epoch == epoch) {
		sm_rm_set_i32s(&p->isr, &p->n_isr, isr, n);
		p->zk_version = new_zkv;
		sm_partition_maybe_advance_hw(p);
		applied = 1;
	}
	pthread_mutex_unlock(&p->lock);
	if (!applied) {
		sm_log_info(NULL, "kafka.cluster.Partition",
			    "[Partition %s-%d broker=%d] Cached zkVersion %d not equal to that in zookeeper, skip updating ISR (%s)",
			    p->topic, p->partition, rm->broker_id, zkv, e ? sm_err_name(e) : "leader changed");
		return;
	}
	sm_log_info(NULL, "kafka.cluster.Partition",
		    "[Partition %s-%d broker=%d] %s ISR from %s to %s. Leader: (highWatermark: %lld, endOffset: %lld). Out of sync replicas: see above.",
		    p->topic, p->partition, rm->broker_id, what, from, to,
		    (long long)sm_partition_high_watermark(p), (long long)sm_log_end_offset(p->log));
	sm_rm_record_isr_change(rm, p);
	sm_rm_notify(p);
}

/* Whether replicas[idx], a follower outside the ISR, has caught up to the
 * high watermark and to the start of this leader epoch (Kafka's
 * isFollowerInSync). Caller holds p->lock. */
static int sm_partition_can_join_isr(const sm_partition_t *p, int idx)
{
	SM_ASSERT_HELD(&p->lock);
	int32_t r = p->replicas[idx];
	int64_t leo = p->r_leo ? p->r_leo[idx] : -1;
	return r != p->rm->broker_id && !sm_partition_in_isr(p, r) && leo >= 0 && leo >= p->hw &&
	       leo >= p->epoch_start_offset;
}

/* Hands p to the "isr-expiration" thread for an ISR expansion (the only
 * thread that writes ISRs to ZooKeeper) and wakes it. */
static void sm_rm_queue_expand(sm_partition_t *p)
{
	sm_replica_manager_t *rm = p->rm;
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

void sm_partition_update_follower(sm_partition_t *p, int32_t replica_id, int64_t fetch_offset,
				  int64_t log_start_offset)
{
	int64_t now = sm_clock_mono_ms();
	pthread_mutex_lock(&p->lock);
	int idx = sm_partition_replica_index(p, replica_id);
	int64_t leo = sm_log_end_offset(p->log);
	if (!p->is_leader || idx < 0 || replica_id == p->rm->broker_id || !p->r_leo ||
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
		sm_rm_notify(p);
	if (expand)
		sm_rm_queue_expand(p);
}

/* Partition.maybeExpandIsr on the "isr-expiration" thread: adds every
 * follower that is (still) caught up to the high watermark of this leader
 * epoch, writes the new ISR to ZooKeeper and only then uses it. */
static void sm_partition_maybe_expand_isr(sm_partition_t *p)
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
		sm_rm_update_isr(p, isr, n, "Expanding");
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
		if (p->replicas[i] == p->rm->broker_id || !alive(opaque, p->replicas[i]))
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
static void sm_partition_maybe_shrink_isr(sm_partition_t *p, int64_t now, int64_t lag_ms)
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
		if (p->isr[i] != p->rm->broker_id && idx >= 0 && p->r_leo[idx] != leo &&
		    now - p->r_caught_up_ms[idx] > lag_ms) {
			sm_log_info(NULL, "kafka.cluster.Partition",
				    "[Partition %s-%d broker=%d] Shrinking ISR: replica %d is out of sync (end offset %lld, leader end offset %lld, last caught up %lld ms ago)",
				    p->topic, p->partition, p->rm->broker_id, p->isr[i],
				    (long long)p->r_leo[idx], (long long)leo,
				    (long long)(now - p->r_caught_up_ms[idx]));
			removed = 1;
			continue;
		}
		isr[n++] = p->isr[i];
	}
	pthread_mutex_unlock(&p->lock);
	if (removed)
		sm_rm_update_isr(p, isr, n, "Shrinking");
	free(isr);
}

/* A partition whose log dir failed stops fetching and leading, and stays
 * so until the broker restarts (ReplicaManager.handleLogDirFailure marks it
 * HostedPartition.Offline). Returns 1 the first time. */
static int sm_rm_mark_offline(sm_replica_manager_t *rm, sm_partition_t *p)
{
	pthread_mutex_lock(&p->lock);
	int newly = !p->offline, was_leader = p->is_leader;
	p->offline = 1;
	p->is_leader = 0;
	pthread_mutex_unlock(&p->lock);
	if (!newly)
		return 0;
	sm_fetcher_manager_remove(rm->fetchers, p->topic, p->partition);
	if (was_leader)
		sm_rm_notify_leadership(rm, p->topic, p->partition, 0);
	sm_rm_notify(p);
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
	if (st->leader == rm->broker_id || st->leader < 0) {
		sm_fetcher_manager_remove(rm->fetchers, p->topic, p->partition);
		return;
	}
	const sm_leader_and_isr_req_live_leader_t *ll = sm_rm_live_leader(req, st->leader);
	if (!ll || !ll->host_name) {
		sm_log_warn(NULL, SM_RM_LOGGER,
			    "[ReplicaManager broker=%d] No endpoint for leader %d of %s-%d; not fetching",
			    rm->broker_id, st->leader, p->topic, p->partition);
		sm_fetcher_manager_remove(rm->fetchers, p->topic, p->partition);
		return;
	}
	sm_fetcher_manager_add(rm->fetchers, p, st->leader, st->leader_epoch, ll->host_name, ll->port);
}

static sm_err_t sm_rm_apply_state(sm_replica_manager_t *rm, const sm_leader_and_isr_req_t *req,
				  const sm_leader_and_isr_req_partition_state_t *st)
{
	int mine = 0;
	for (int i = 0; i < st->replicas_cnt; i++)
		mine |= st->replicas[i] == rm->broker_id;
	if (!mine)
		return SM_ERR_UNKNOWN_TOPIC_OR_PARTITION;
	sm_partition_t *p;
	sm_err_t e = sm_rm_get_or_create(rm, st->topic_name, st->partition_index, &p);
	if (e)
		return e == SM_ERR__IO || e == SM_ERR__FULL ? SM_ERR_KAFKA_STORAGE_ERROR : e;
	if (sm_log_is_offline(p->log)) { /* never comes back online */
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
	pthread_mutex_lock(&p->lock);
	if (st->leader_epoch <= p->leader_epoch) {
		int32_t cur = p->leader_epoch;
		pthread_mutex_unlock(&p->lock);
		sm_partition_release(p);
		sm_log(SM_LOGFILE_STATE_CHANGE, SM_LOG_INFO, NULL, SM_SC_LOGGER,
		       "[Broker id=%d] Ignoring LeaderAndIsr request for partition %s-%d: leader epoch %d is not newer than the current leader epoch %d",
		       rm->broker_id, st->topic_name, st->partition_index, st->leader_epoch, cur);
		return SM_ERR_STALE_CONTROLLER_EPOCH;
	}
	int was_leader = p->is_leader;
	p->is_leader = st->leader == rm->broker_id;
	p->leader_id = st->leader;
	p->leader_epoch = st->leader_epoch;
	p->zk_version = st->partition_epoch;
	p->controller_epoch = st->controller_epoch;
	sm_rm_set_i32s(&p->replicas, &p->n_replicas, st->replicas, st->replicas_cnt);
	sm_rm_set_i32s(&p->isr, &p->n_isr, st->isr, st->isr_cnt);
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
	sm_rm_update_fetcher(rm, p, req, st);
	sm_log(SM_LOGFILE_STATE_CHANGE, SM_LOG_INFO, NULL, SM_SC_LOGGER,
	       "[Broker id=%d] %s partition %s-%d with leader %d, leader epoch %d, high watermark %lld",
	       rm->broker_id, p->is_leader ? (was_leader ? "Stayed leader of" : "Leader of") : "Follower of",
	       st->topic_name, st->partition_index, st->leader, st->leader_epoch, (long long)sm_partition_high_watermark(p));
	sm_rm_notify(p);
	sm_partition_release(p);
	return SM_ERR_NONE;
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
	for (int i = 0; i < n; i++) {
		const sm_leader_and_isr_req_partition_state_t *st = &req->ungrouped_partition_states[i];
		sm_leader_and_isr_resp_partition_error_t *pe = &resp->partition_errors[i];
		pe->topic_name = st->topic_name;
		pe->partition_index = st->partition_index;
		pe->error_code = (int16_t)sm_rm_apply_state(rm, req, st);
		if (pe->error_code == SM_ERR_NONE)
			sm_rm_notify_leadership(rm, st->topic_name, st->partition_index,
						st->leader == rm->broker_id);
	}
}

static sm_err_t sm_rm_stop_one(sm_replica_manager_t *rm, const sm_stop_replica_partition_t *sp,
			       int delete)
{
	pthread_mutex_lock(&rm->lock);
	unsigned h = sm_rm_hash(sp->topic, sp->partition);
	sm_partition_t **pp = &rm->buckets[h], *p = NULL;
	sm_partition_t *found = sm_rm_find(rm, sp->topic, sp->partition);
	if (found && sm_log_is_offline(found->log)) {
		/* An offline replica stays known (and offline): its files
		 * cannot be touched until the broker restarts. */
		sm_partition_keep(found);
		pthread_mutex_unlock(&rm->lock);
		sm_rm_mark_offline(rm, found);
		sm_partition_release(found);
		return SM_ERR_KAFKA_STORAGE_ERROR;
	}
	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->partition == sp->partition && !strcmp((*pp)->topic, sp->topic)) {
			p = *pp;
			*pp = p->next;
			rm->count--;
			break;
		}
	pthread_mutex_unlock(&rm->lock);
	/* The fetcher must let go before the log may be deleted. */
	sm_fetcher_manager_remove(rm->fetchers, sp->topic, sp->partition);
	if (p) {
		pthread_mutex_lock(&p->lock);
		p->is_leader = 0;
		pthread_mutex_unlock(&p->lock);
		/* operations parked on it end now (NOT_LEADER_OR_FOLLOWER) */
		sm_rm_notify(p);
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
	sm_rm_notify(p);
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
	sm_rm_notify(p);
	return SM_ERR_NONE;
}

/* ---- dynamic topic configs ---- */

void sm_replica_manager_topic_config_changed(sm_replica_manager_t *rm, const char *topic)
{
	sm_topic_config_t tc;
	sm_rm_topic_config(rm, topic, &tc);
	sm_partition_t **v;
	int n = sm_rm_leaders(rm, &v);
	for (int i = 0; i < n; i++) {
		sm_partition_t *p = v[i];
		if (!strcmp(p->topic, topic)) {
			sm_partition_config_publish(p, &tc);
			sm_log_set_config(p->log, &tc.log);
		}
		sm_partition_release(p);
	}
	free(v);
}

void sm_replica_manager_broker_config_changed(sm_replica_manager_t *rm,
					      const sm_kafka_config_t *cfg)
{
	/* a pointer store: readers see the old or the new config, both live */
	__atomic_store_n(&rm->cfg, cfg, __ATOMIC_RELEASE);
	sm_fetcher_manager_resize(rm->fetchers, cfg->num_replica_fetchers);
	sm_partition_t **v;
	int n = sm_rm_leaders(rm, &v);
	sm_topic_config_t tc;
	const char *last = NULL;
	for (int i = 0; i < n; i++) {
		sm_partition_t *p = v[i];
		/* one ZooKeeper read per topic when partitions come in topic runs */
		if (!last || strcmp(last, p->topic))
			sm_rm_topic_config(rm, p->topic, &tc);
		last = p->topic;
		sm_partition_config_publish(p, &tc);
		sm_log_set_config(p->log, &tc.log);
	}
	for (int i = 0; i < n; i++)
		sm_partition_release(v[i]);
	free(v);
}

/* ---- replication accessors ---- */

int32_t sm_replica_manager_broker_id(const sm_replica_manager_t *rm) { return rm->broker_id; }
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
	int32_t cur = sm_partition_leader_epoch(p);
	if (current_leader_epoch >= 0 && current_leader_epoch != cur)
		e = current_leader_epoch < cur ? SM_ERR_FENCED_LEADER_EPOCH : SM_ERR_UNKNOWN_LEADER_EPOCH;
	else
		sm_lec_end_offset_for(p->lec, requested, sm_log_end_offset(p->log), epoch_out,
				      end_offset_out);
	sm_partition_release(p);
	return e;
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

int sm_partition_is_follower_of(sm_partition_t *p, int32_t leader, int32_t leader_epoch)
{
	pthread_mutex_lock(&p->lock);
	int r = !p->is_leader && p->leader_id == leader && p->leader_epoch == leader_epoch;
	pthread_mutex_unlock(&p->lock);
	return r;
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
		sm_rm_notify(p);
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
		if (p->replicas[i] == p->rm->broker_id)
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
		for (sm_partition_t *p = rm->buckets[b]; p; p = p->next)
			if (n < rm->count)
				v[n++] = sm_partition_keep(p);
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
		if (sm_log_is_offline(p->log) && sm_rm_mark_offline(rm, p) && used + 2 < sizeof(names))
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s-%d",
						 used ? "," : "", p->topic, (int)p->partition);
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
	sm_partition_t *p = sm_calloc(1, sizeof(*p));
	p->refcnt = 1;
	p->topic = sm_strdup(sm_log_topic(log));
	p->partition = sm_log_partition(log);
	pthread_mutex_init(&p->lock, NULL);
	p->leader_id = -1;
	p->leader_epoch = -1;
	p->log = log; /* takes the list's reference */
	p->lec = sm_lec_open(sm_log_dir(log));
	p->rm = rm;
	sm_topic_config_t tc;
	sm_rm_topic_config(rm, p->topic, &tc);
	pthread_mutex_init(&p->cfg_lock, NULL);
	p->tcfg = sm_tcfg_snap_new(&tc);
	sm_log_set_config(log, &tc.log);
	int64_t hw = sm_checkpoint_get(hws, p->topic, p->partition, 0);
	int64_t leo = sm_log_end_offset(log);
	sm_partition_set_hw(p, hw > leo ? leo : hw);
	unsigned h = sm_rm_hash(p->topic, p->partition);
	pthread_mutex_lock(&rm->lock);
	p->next = rm->buckets[h];
	rm->buckets[h] = p;
	rm->count++;
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
		for (sm_partition_t *p = rm->buckets[b]; p; p = p->next) {
			char parent[4096];
			sm_rm_parent_dir(p->log, parent, sizeof(parent));
			pthread_mutex_lock(&p->lock);
			int64_t hw = p->hw;
			pthread_mutex_unlock(&p->lock);
			for (int d = 0; d < nd; d++)
				if (!strcmp(parent, sm_rm_cfg(rm)->log_dir_list[d]))
					sm_checkpoint_add(&cps[d], p->topic, p->partition, hw);
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
		sm_partition_t *p = rm->buckets[b];
		while (p) {
			sm_partition_t *n = p->next;
			sm_partition_release(p);
			p = n;
		}
	}
	sm_fetcher_manager_destroy(rm->fetchers);
	sm_zk_topic_partitions_free(rm->isr_changes, rm->n_isr_changes);
	for (int i = 0; i < rm->n_isr_expand; i++)
		sm_partition_release(rm->isr_expand[i]);
	free(rm->isr_expand);
	pthread_cond_destroy(&rm->sched_cond);
	pthread_mutex_destroy(&rm->sched_lock);
	pthread_mutex_destroy(&rm->lock);
	free(rm);
}
