/*
 * metadata_cache.c - copy-on-write metadata snapshots (see metadata_cache.h).
 *
 * An update copies the topic table (sharing nothing with the old snapshot),
 * applies the request's partition states and broker list, and swaps the
 * pointer under a mutex. Updates are rare (controller events), reads are per
 * request, so copying on write is the cheap side.
 */
#include "metadata_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "logger.h"

struct sm_metadata_cache {
	pthread_mutex_t lock;
	sm_mc_snapshot_t *cur;
	int32_t broker_id;
	int32_t controller_epoch; /* newest seen */
};

static int32_t *sm_mc_dup_i32(const int32_t *v, int n)
{
	if (n <= 0)
		return NULL;
	int32_t *d = sm_malloc(sizeof(*d) * (size_t)n);
	memcpy(d, v, sizeof(*d) * (size_t)n);
	return d;
}

static void sm_mc_partition_clear(sm_mc_partition_t *p)
{
	free(p->replicas);
	free(p->isr);
	free(p->offline);
	memset(p, 0, sizeof(*p));
}

static void sm_mc_partition_copy(sm_mc_partition_t *d, const sm_mc_partition_t *s)
{
	*d = *s;
	d->replicas = sm_mc_dup_i32(s->replicas, s->n_replicas);
	d->isr = sm_mc_dup_i32(s->isr, s->n_isr);
	d->offline = sm_mc_dup_i32(s->offline, s->n_offline);
}

static void sm_mc_topic_clear(sm_mc_topic_t *t)
{
	for (int i = 0; i < t->n_partitions; i++)
		sm_mc_partition_clear(&t->partitions[i]);
	free(t->partitions);
	free(t->name);
	memset(t, 0, sizeof(*t));
}

static void sm_mc_broker_clear(sm_mc_broker_t *b)
{
	for (int i = 0; i < b->n_endpoints; i++) {
		free(b->endpoints[i].listener);
		free(b->endpoints[i].host);
	}
	free(b->endpoints);
	free(b->rack);
}

static void sm_mc_snapshot_free(sm_mc_snapshot_t *s)
{
	for (int i = 0; i < s->n_topics; i++)
		sm_mc_topic_clear(&s->topics[i]);
	free(s->topics);
	for (int i = 0; i < s->n_brokers; i++)
		sm_mc_broker_clear(&s->brokers[i]);
	free(s->brokers);
	free(s);
}

void sm_mc_snapshot_release(sm_mc_snapshot_t *s)
{
	if (s && __atomic_sub_fetch(&s->refcnt, 1, __ATOMIC_ACQ_REL) == 0)
		sm_mc_snapshot_free(s);
}

sm_metadata_cache_t *sm_metadata_cache_new(int32_t broker_id)
{
	sm_metadata_cache_t *mc = sm_calloc(1, sizeof(*mc));
	pthread_mutex_init(&mc->lock, NULL);
	mc->broker_id = broker_id;
	mc->controller_epoch = -1;
	mc->cur = sm_calloc(1, sizeof(*mc->cur));
	mc->cur->refcnt = 1;
	mc->cur->controller_id = -1;
	return mc;
}

void sm_metadata_cache_destroy(sm_metadata_cache_t *mc)
{
	if (!mc)
		return;
	sm_mc_snapshot_release(mc->cur);
	pthread_mutex_destroy(&mc->lock);
	free(mc);
}

sm_mc_snapshot_t *sm_metadata_cache_get(sm_metadata_cache_t *mc)
{
	pthread_mutex_lock(&mc->lock);
	sm_mc_snapshot_t *s = mc->cur;
	__atomic_add_fetch(&s->refcnt, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&mc->lock);
	return s;
}

static int sm_mc_topic_cmp(const void *a, const void *b)
{
	return strcmp(((const sm_mc_topic_t *)a)->name, ((const sm_mc_topic_t *)b)->name);
}

static int sm_mc_broker_cmp(const void *a, const void *b)
{
	int32_t x = ((const sm_mc_broker_t *)a)->id, y = ((const sm_mc_broker_t *)b)->id;
	return x < y ? -1 : x > y;
}

const sm_mc_topic_t *sm_mc_topic(const sm_mc_snapshot_t *s, const char *name)
{
	sm_mc_topic_t key = { .name = (char *)name };
	/* an empty cache has no array: bsearch on NULL is undefined */
	if (!s || !s->topics || s->n_topics <= 0 || !name)
		return NULL;
	return bsearch(&key, s->topics, (size_t)s->n_topics, sizeof(key), sm_mc_topic_cmp);
}

const sm_mc_partition_t *sm_mc_partition(const sm_mc_topic_t *t, int32_t partition)
{
	if (!t || partition < 0 || partition >= t->n_partitions || !t->partitions[partition].present)
		return NULL;
	return &t->partitions[partition];
}

const sm_mc_broker_t *sm_mc_broker(const sm_mc_snapshot_t *s, int32_t id)
{
	sm_mc_broker_t key = { .id = id };
	if (!s || !s->brokers || s->n_brokers <= 0)
		return NULL;
	return bsearch(&key, s->brokers, (size_t)s->n_brokers, sizeof(key), sm_mc_broker_cmp);
}

const sm_mc_endpoint_t *sm_mc_endpoint(const sm_mc_broker_t *b, const char *listener)
{
	for (int i = 0; b && i < b->n_endpoints; i++)
		if (!strcmp(b->endpoints[i].listener, listener))
			return &b->endpoints[i];
	return NULL;
}

int sm_mc_partition_count(const sm_mc_topic_t *t)
{
	int n = 0;
	for (int i = 0; i < t->n_partitions; i++)
		n += t->partitions[i].present;
	return n;
}

/* Deep copy of the topic table of s, with room for 'extra' more topics. */
static sm_mc_topic_t *sm_mc_copy_topics(const sm_mc_snapshot_t *s, int extra)
{
	sm_mc_topic_t *t = sm_calloc((size_t)(s->n_topics + extra), sizeof(*t));
	for (int i = 0; i < s->n_topics; i++) {
		const sm_mc_topic_t *o = &s->topics[i];
		t[i].name = sm_strdup(o->name);
		memcpy(t[i].topic_id, o->topic_id, 16);
		t[i].n_partitions = o->n_partitions;
		t[i].partitions = sm_calloc((size_t)(o->n_partitions ? o->n_partitions : 1), sizeof(sm_mc_partition_t));
		for (int p = 0; p < o->n_partitions; p++)
			if (o->partitions[p].present)
				sm_mc_partition_copy(&t[i].partitions[p], &o->partitions[p]);
	}
	return t;
}

static sm_mc_topic_t *sm_mc_find_or_add(sm_mc_snapshot_t *s, const char *name)
{
	for (int i = 0; i < s->n_topics; i++)
		if (!strcmp(s->topics[i].name, name))
			return &s->topics[i];
	/* The caller allocated room for every topic of the request. */
	sm_mc_topic_t *t = &s->topics[s->n_topics++];
	memset(t, 0, sizeof(*t));
	t->name = sm_strdup(name);
	return t;
}

static void sm_mc_apply_partition(sm_mc_topic_t *t, const sm_update_metadata_req_partition_state_t *up)
{
	if (up->partition_index < 0)
		return;
	if (up->partition_index >= t->n_partitions) {
		int n = up->partition_index + 1;
		t->partitions = sm_realloc(t->partitions, sizeof(*t->partitions) * (size_t)n);
		memset(t->partitions + t->n_partitions, 0,
		       sizeof(*t->partitions) * (size_t)(n - t->n_partitions));
		t->n_partitions = n;
	}
	sm_mc_partition_t *p = &t->partitions[up->partition_index];
	sm_mc_partition_clear(p);
	if (up->leader == -2) /* LeaderDuringDelete: the topic is being deleted */
		return;
	p->present = 1;
	p->leader = up->leader;
	p->leader_epoch = up->leader_epoch;
	p->controller_epoch = up->controller_epoch;
	p->zk_version = up->zk_version;
	p->n_replicas = up->replicas_cnt;
	p->replicas = sm_mc_dup_i32(up->replicas, up->replicas_cnt);
	p->n_isr = up->isr_cnt;
	p->isr = sm_mc_dup_i32(up->isr, up->isr_cnt);
	p->n_offline = up->offline_replicas_cnt;
	p->offline = sm_mc_dup_i32(up->offline_replicas, up->offline_replicas_cnt);
}

static void sm_mc_set_brokers(sm_mc_snapshot_t *s, const sm_update_metadata_req_t *req)
{
	s->n_brokers = req->live_brokers_cnt;
	s->brokers = sm_calloc((size_t)(s->n_brokers ? s->n_brokers : 1), sizeof(*s->brokers));
	for (int i = 0; i < s->n_brokers; i++) {
		const sm_update_metadata_req_live_broker_t *ub = &req->live_brokers[i];
		sm_mc_broker_t *b = &s->brokers[i];
		b->id = ub->id;
		b->rack = ub->rack ? sm_strdup(ub->rack) : NULL;
		b->n_endpoints = ub->endpoints_cnt;
		b->endpoints = sm_calloc((size_t)(ub->endpoints_cnt ? ub->endpoints_cnt : 1), sizeof(*b->endpoints));
		for (int e = 0; e < ub->endpoints_cnt; e++) {
			const sm_update_metadata_req_endpoint_t *ue = &ub->endpoints[e];
			b->endpoints[e].listener = sm_strdup(ue->listener ? ue->listener : "PLAINTEXT");
			b->endpoints[e].host = sm_strdup(ue->host ? ue->host : "");
			b->endpoints[e].port = ue->port;
			b->endpoints[e].security_protocol = ue->security_protocol;
		}
	}
	qsort(s->brokers, (size_t)s->n_brokers, sizeof(*s->brokers), sm_mc_broker_cmp);
}

/* Drops topics left without partitions (deleted) and sorts by name. */
static void sm_mc_compact_topics(sm_mc_snapshot_t *s)
{
	int w = 0;
	for (int i = 0; i < s->n_topics; i++) {
		if (sm_mc_partition_count(&s->topics[i]) == 0) {
			sm_mc_topic_clear(&s->topics[i]);
			continue;
		}
		s->topics[w++] = s->topics[i];
	}
	s->n_topics = w;
	qsort(s->topics, (size_t)s->n_topics, sizeof(*s->topics), sm_mc_topic_cmp);
}

sm_err_t sm_metadata_cache_update(sm_metadata_cache_t *mc, const sm_update_metadata_req_t *req)
{
	pthread_mutex_lock(&mc->lock);
	if (req->controller_epoch < mc->controller_epoch) {
		int32_t cur = mc->controller_epoch;
		pthread_mutex_unlock(&mc->lock);
		sm_log(SM_LOGFILE_STATE_CHANGE, SM_LOG_WARN, NULL, "state.change.logger",
		       "Received UpdateMetadata request with stale controller epoch %d (current %d) from controller %d",
		       req->controller_epoch, cur, req->controller_id);
		return SM_ERR_STALE_CONTROLLER_EPOCH;
	}
	mc->controller_epoch = req->controller_epoch;
	const sm_mc_snapshot_t *old = mc->cur;
	sm_mc_snapshot_t *s = sm_calloc(1, sizeof(*s));
	s->refcnt = 1;
	s->controller_id = req->controller_id;
	s->n_topics = old->n_topics;
	s->topics = sm_mc_copy_topics(old, req->ungrouped_partition_states_cnt);
	for (int i = 0; i < req->ungrouped_partition_states_cnt; i++) {
		const sm_update_metadata_req_partition_state_t *up = &req->ungrouped_partition_states[i];
		sm_mc_topic_t *t = sm_mc_find_or_add(s, up->topic_name ? up->topic_name : "");
		sm_mc_apply_partition(t, up);
	}
	for (int i = 0; i < req->topic_states_cnt; i++)
		for (int j = 0; j < s->n_topics; j++)
			if (req->topic_states[i].topic_name &&
			    !strcmp(s->topics[j].name, req->topic_states[i].topic_name))
				memcpy(s->topics[j].topic_id, req->topic_states[i].topic_id, 16);
	sm_mc_set_brokers(s, req);
	sm_mc_compact_topics(s);
	sm_mc_snapshot_t *prev = mc->cur;
	mc->cur = s;
	pthread_mutex_unlock(&mc->lock);
	sm_mc_snapshot_release(prev);
	return SM_ERR_NONE;
}
