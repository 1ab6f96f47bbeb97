/*
 * replica_manager.c - hosted partitions, leadership changes from the
 * controller, leader appends and the high watermark (Kafka's ReplicaManager
 * and Partition). See replica_manager.h.
 *
 * Partitions live in a chained hash table keyed by (topic, partition) under
 * rm->lock; each partition guards its leadership fields with its own mutex.
 */
#include "replica_manager.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checkpoint.h"
#include "compression.h"
#include "kafka_zk.h"
#include "logger.h"

#define SM_RM_BUCKETS 4096
#define SM_RM_LOGGER "kafka.server.ReplicaManager"
#define SM_SC_LOGGER "state.change.logger"

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
	sm_log_t *log;
	sm_topic_config_t tcfg;
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
};

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

static sm_partition_t *sm_partition_keep(sm_partition_t *p)
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
	pthread_mutex_destroy(&p->lock);
	free(p->replicas);
	free(p->isr);
	free(p->topic);
	free(p);
}

const char *sm_partition_topic(const sm_partition_t *p) { return p->topic; }
int32_t sm_partition_id(const sm_partition_t *p) { return p->partition; }
const sm_topic_config_t *sm_partition_config(const sm_partition_t *p) { return &p->tcfg; }
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

sm_err_t sm_replica_manager_leader_partition(sm_replica_manager_t *rm, const char *topic,
					     int32_t partition, sm_partition_t **out)
{
	*out = NULL;
	sm_partition_t *p = sm_replica_manager_partition(rm, topic, partition);
	if (!p)
		return SM_ERR_UNKNOWN_TOPIC_OR_PARTITION;
	pthread_mutex_lock(&p->lock);
	int leader = p->is_leader;
	pthread_mutex_unlock(&p->lock);
	if (!leader) {
		sm_partition_release(p);
		return SM_ERR_NOT_LEADER_OR_FOLLOWER;
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
	tc->log.max_message_bytes = cfg->message_max_bytes;
	tc->log.message_timestamp_type = cfg->timestamp_log_append ? SM_LOG_TIMESTAMP_LOG_APPEND_TIME
								   : SM_LOG_TIMESTAMP_CREATE_TIME;
	tc->max_message_bytes = cfg->message_max_bytes;
	tc->min_insync_replicas = cfg->min_insync_replicas;
	tc->compression_type = sm_rm_codec(cfg->compression_type);
	tc->compact = strstr(cfg->log_cleanup_policy, "compact") != NULL;
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
	else if (!strcmp(k, "max.message.bytes"))
		tc->log.max_message_bytes = tc->max_message_bytes = (int32_t)n;
	else if (!strcmp(k, "message.timestamp.type"))
		tc->log.message_timestamp_type = !strcmp(v, "LogAppendTime");
	else if (!strcmp(k, "min.insync.replicas"))
		tc->min_insync_replicas = (int32_t)n;
	else if (!strcmp(k, "compression.type"))
		tc->compression_type = sm_rm_codec(v);
	else if (!strcmp(k, "cleanup.policy"))
		tc->compact = strstr(v, "compact") != NULL;
	else if (!strcmp(k, "message.timestamp.difference.max.ms"))
		tc->timestamp_difference_max_ms = n;
	else if (!strcmp(k, "message.downconversion.enable"))
		tc->downconversion_enable = !strcmp(v, "true");
	else if (!strcmp(k, "unclean.leader.election.enable"))
		tc->unclean_leader_election_enable = !strcmp(v, "true");
}

static void sm_rm_topic_config(sm_replica_manager_t *rm, const char *topic, sm_topic_config_t *tc)
{
	sm_rm_default_config(rm->cfg, tc);
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
	p->tcfg = tc;
	p->rm = rm;
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

/* The leader's HW is the smallest LEO over the ISR; until followers report
 * their LEO (replication), only an ISR of the leader alone moves it. */
static void sm_partition_maybe_advance_hw(sm_partition_t *p)
{
	if (p->is_leader && p->n_isr <= 1) {
		int64_t leo = sm_log_end_offset(p->log);
		if (leo > p->hw)
			p->hw = leo;
	}
}

static sm_err_t sm_rm_apply_state(sm_replica_manager_t *rm, const sm_leader_and_isr_partition_t *st)
{
	int mine = 0;
	for (int i = 0; i < st->replicas_cnt; i++)
		mine |= st->replicas[i] == rm->broker_id;
	if (!mine)
		return SM_ERR_UNKNOWN_TOPIC_OR_PARTITION;
	sm_partition_t *p;
	sm_err_t e = sm_rm_get_or_create(rm, st->topic, st->partition, &p);
	if (e)
		return e == SM_ERR__IO || e == SM_ERR__FULL ? SM_ERR_KAFKA_STORAGE_ERROR : e;
	pthread_mutex_lock(&p->lock);
	if (st->leader_epoch <= p->leader_epoch) {
		int32_t cur = p->leader_epoch;
		pthread_mutex_unlock(&p->lock);
		sm_partition_release(p);
		sm_log(SM_LOGFILE_STATE_CHANGE, SM_LOG_INFO, NULL, SM_SC_LOGGER,
		       "[Broker id=%d] Ignoring LeaderAndIsr request for partition %s-%d: leader epoch %d is not newer than the current leader epoch %d",
		       rm->broker_id, st->topic, st->partition, st->leader_epoch, cur);
		return SM_ERR_STALE_CONTROLLER_EPOCH;
	}
	int was_leader = p->is_leader;
	p->is_leader = st->leader == rm->broker_id;
	p->leader_id = st->leader;
	p->leader_epoch = st->leader_epoch;
	p->zk_version = st->zk_version;
	p->controller_epoch = st->controller_epoch;
	sm_rm_set_i32s(&p->replicas, &p->n_replicas, st->replicas, st->replicas_cnt);
	sm_rm_set_i32s(&p->isr, &p->n_isr, st->isr, st->isr_cnt);
	int64_t leo = sm_log_end_offset(p->log);
	if (p->hw > leo)
		p->hw = leo;
	sm_partition_maybe_advance_hw(p);
	pthread_mutex_unlock(&p->lock);
	sm_log(SM_LOGFILE_STATE_CHANGE, SM_LOG_INFO, NULL, SM_SC_LOGGER,
	       "[Broker id=%d] %s partition %s-%d with leader %d, leader epoch %d, high watermark %lld",
	       rm->broker_id, p->is_leader ? (was_leader ? "Stayed leader of" : "Leader of") : "Follower of",
	       st->topic, st->partition, st->leader, st->leader_epoch, (long long)p->hw);
	sm_partition_release(p);
	return SM_ERR_NONE;
}

void sm_replica_manager_leader_and_isr(sm_replica_manager_t *rm, const sm_leader_and_isr_req_t *req,
				       sm_arena_t *a, sm_leader_and_isr_resp_t *resp)
{
	memset(resp, 0, sizeof(*resp));
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
	resp->partitions = sm_arena_alloc(a, sizeof(*resp->partitions) * (size_t)(req->partitions_cnt + 1));
	resp->partitions_cnt = req->partitions_cnt;
	for (int i = 0; i < req->partitions_cnt; i++) {
		const sm_leader_and_isr_partition_t *st = &req->partitions[i];
		sm_leader_and_isr_partition_err_t *pe = &resp->partitions[i];
		pe->topic = st->topic;
		pe->partition = st->partition;
		for (int t = 0; t < req->topic_ids_cnt; t++)
			if (!strcmp(req->topic_ids[t].topic, st->topic))
				memcpy(pe->topic_id, req->topic_ids[t].id, 16);
		pe->error_code = (int16_t)sm_rm_apply_state(rm, st);
	}
}

static sm_err_t sm_rm_stop_one(sm_replica_manager_t *rm, const sm_stop_replica_partition_t *sp,
			       int delete)
{
	pthread_mutex_lock(&rm->lock);
	unsigned h = sm_rm_hash(sp->topic, sp->partition);
	sm_partition_t **pp = &rm->buckets[h], *p = NULL;
	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->partition == sp->partition && !strcmp((*pp)->topic, sp->topic)) {
			p = *pp;
			*pp = p->next;
			rm->count--;
			break;
		}
	pthread_mutex_unlock(&rm->lock);
	if (p) {
		pthread_mutex_lock(&p->lock);
		p->is_leader = 0;
		pthread_mutex_unlock(&p->lock);
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

void sm_replica_manager_stop_replica(sm_replica_manager_t *rm, const sm_stop_replica_req_t *req,
				     sm_arena_t *a, sm_stop_replica_resp_t *resp)
{
	memset(resp, 0, sizeof(*resp));
	pthread_mutex_lock(&rm->lock);
	int stale = req->controller_epoch < rm->controller_epoch;
	if (!stale)
		rm->controller_epoch = req->controller_epoch;
	pthread_mutex_unlock(&rm->lock);
	if (stale) {
		resp->error_code = SM_ERR_STALE_CONTROLLER_EPOCH;
		return;
	}
	resp->partitions = sm_arena_alloc(a, sizeof(*resp->partitions) * (size_t)(req->partitions_cnt + 1));
	resp->partitions_cnt = req->partitions_cnt;
	for (int i = 0; i < req->partitions_cnt; i++) {
		const sm_stop_replica_partition_t *sp = &req->partitions[i];
		resp->partitions[i].topic = sp->topic;
		resp->partitions[i].partition = sp->partition;
		resp->partitions[i].error_code = (int16_t)sm_rm_stop_one(
			rm, sp, sp->delete_partition || req->delete_partitions);
	}
}

sm_err_t sm_partition_append_leader(sm_partition_t *p, uint8_t *batch, size_t len,
				    int16_t required_acks, sm_log_append_info_t *info)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	pthread_mutex_lock(&p->lock);
	if (!p->is_leader) {
		pthread_mutex_unlock(&p->lock);
		return SM_ERR_NOT_LEADER_OR_FOLLOWER;
	}
	if (required_acks == -1 && p->n_isr < p->tcfg.min_insync_replicas) {
		pthread_mutex_unlock(&p->lock);
		return SM_ERR_NOT_ENOUGH_REPLICAS;
	}
	int32_t epoch = p->leader_epoch;
	/* The partition lock orders appends with leadership changes; the log
	 * serializes appends itself. */
	sm_err_t e = sm_log_append_leader(p->log, batch, len, epoch, now, info);
	if (!e)
		sm_partition_maybe_advance_hw(p);
	pthread_mutex_unlock(&p->lock);
	if (e)
		return e == SM_ERR__IO || e == SM_ERR__FULL ? SM_ERR_KAFKA_STORAGE_ERROR : e;
	sm_replica_manager_t *rm = p->rm;
	sm_append_listener_t *cb = rm->listener;
	if (cb)
		cb(rm->listener_opaque, p);
	return SM_ERR_NONE;
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
	p->rm = rm;
	sm_rm_topic_config(rm, p->topic, &p->tcfg);
	sm_log_set_config(log, &p->tcfg.log);
	int64_t hw = sm_checkpoint_get(hws, p->topic, p->partition, 0);
	int64_t leo = sm_log_end_offset(log);
	p->hw = hw > leo ? leo : hw;
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
	for (int d = 0; d < rm->cfg->log_dir_cnt; d++) {
		char path[4096];
		sm_checkpoint_t one;
		snprintf(path, sizeof(path), "%s/%s", rm->cfg->log_dir_list[d], SM_RM_HW_FILE);
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
}

/* Writes replication-offset-checkpoint (high watermarks) in every log dir. */
void sm_replica_manager_checkpoint_hw(sm_replica_manager_t *rm)
{
	int nd = rm->cfg->log_dir_cnt;
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
				if (!strcmp(parent, rm->cfg->log_dir_list[d]))
					sm_checkpoint_add(&cps[d], p->topic, p->partition, hw);
		}
	pthread_mutex_unlock(&rm->lock);
	for (int d = 0; d < nd; d++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", rm->cfg->log_dir_list[d], SM_RM_HW_FILE);
		if (sm_checkpoint_write(path, &cps[d]))
			sm_log_error(NULL, SM_RM_LOGGER, "Error while writing %s", path);
		sm_checkpoint_clear(&cps[d]);
	}
	free(cps);
}

void sm_replica_manager_shutdown(sm_replica_manager_t *rm)
{
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
	pthread_mutex_destroy(&rm->lock);
	free(rm);
}
