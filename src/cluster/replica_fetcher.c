/*
 * replica_fetcher.c - follower fetcher threads (Kafka's ReplicaFetcherManager
 * and ReplicaFetcherThread); see replica_fetcher.h.
 *
 * A round of a thread: under its lock, snapshot the partitions that are
 * ready (not backing off); without the lock, talk to the leader; under the
 * lock again, apply the answer to the partitions still followed in the same
 * leader epoch. The next round starts as soon as the answer is applied;
 * an idle follower waits at the leader (replica.fetch.wait.max.ms), never
 * here. Adding a partition cuts short a round parked at the leader, so a
 * new partition is fetched at once. Lock order: manager lock -> thread
 * lock -> partition -> log.
 */
#include "replica_fetcher.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "logger.h"
#include "msg_fetch.h"
#include "msg_offset_for_leader_epoch.h"
#include "net_client.h"
#include "protocol.h"
#include "replica_manager.h"
#include "thread_role.h"

#define SM_RF_LOGGER "kafka.server.ReplicaFetcherThread"
#define SM_RF_FETCH_VERSION 12
#define SM_RF_OFLE_VERSION 3

typedef struct sm_rf_part {
	struct sm_rf_part *next, *prev;
	struct sm_rf_part *hnext; /* its chain in the thread's index */
	sm_partition_t *p;
	int32_t leader_epoch;
	int truncating;
	int64_t delay_until; /* monotonic ms */
	/* caught up with the leader's high watermark at the last fetch
	 * (Kafka's PartitionFetchState.isReplicaInSync): never throttled */
	int in_sync;
	/* answers from this leader in this epoch without a "leader not there
	 * yet" error (0: none so far), and short retries spent waiting for it */
	int answered, early_retries;
} sm_rf_part_t;

typedef struct sm_rf_thread {
	struct sm_rf_thread *next;
	sm_fetcher_manager_t *fm;
	int32_t leader;
	int fetcher_id;
	char name[64];
	char comp[96];
	char *host;
	int port;
	int endpoint_changed;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	sm_rf_part_t *parts;
	/* parts by topic-partition (chained through hnext): a fetch round
	 * looks up each partition of a response, and a LeaderAndIsr each
	 * partition it adds, without walking every part */
	sm_rf_part_t **hbuckets;
	int nbuckets, nparts; /* nbuckets: 0 or a power of two >= nparts */
	int running;
	/* a fetch round is in flight / was cut short to add partitions */
	int in_fetch, interrupted;
	/* earliest end of a partition's short retry (sm_rf_backoff_error) */
	int64_t early_until;
	int cancel[2];
	sm_net_client_t *client;
} sm_rf_thread_t;

struct sm_fetcher_manager {
	pthread_mutex_t lock;
	const sm_kafka_config_t *cfg;
	int32_t broker_id;
	int num_fetchers;   /* num.replica.fetchers in effect (dynamic); under lock */
	sm_repl_quota_t *quota; /* follower throttle; set before the first add */
	sm_rf_thread_t *threads;
	int shut;
};

/* One partition of an in-flight round (the snapshot). */
typedef struct sm_rf_snap {
	sm_partition_t *p;
	int32_t leader_epoch;
	int64_t offset;      /* fetch offset (LEO) at snapshot time */
	int32_t last_epoch;  /* latest epoch in the cache */
} sm_rf_snap_t;

int sm_fetcher_id(const char *topic, int32_t partition, int num_fetchers)
{
	uint32_t h = 0;
	for (const unsigned char *c = (const unsigned char *)topic; *c; c++)
		h = h * 31u + *c;
	int32_t v = (int32_t)(31u * h + (uint32_t)partition);
	if (v == INT32_MIN)
		v = 0;
	if (v < 0)
		v = -v;
	return num_fetchers > 0 ? v % num_fetchers : 0;
}

static unsigned sm_rf_hash(const char *topic, int32_t partition)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const unsigned char *c = (const unsigned char *)topic; *c; c++)
		h = (h ^ *c) * 16777619u;
	return (h ^ (uint32_t)partition) * 16777619u;
}

static void sm_rf_index(sm_rf_thread_t *t, sm_rf_part_t *x)
{
	unsigned b = sm_rf_hash(sm_partition_topic(x->p), sm_partition_id(x->p)) & (unsigned)(t->nbuckets - 1);
	x->hnext = t->hbuckets[b];
	t->hbuckets[b] = x;
}

/* Adds x at the head of t's parts. Caller holds t->lock. */
static void sm_rf_link(sm_rf_thread_t *t, sm_rf_part_t *x)
{
	SM_ASSERT_HELD(&t->lock);
	x->prev = NULL;
	x->next = t->parts;
	if (t->parts)
		t->parts->prev = x;
	t->parts = x;
	t->nparts++;
	if (t->nparts > t->nbuckets) {
		int nb = t->nbuckets ? t->nbuckets : 64;
		while (nb < 2 * t->nparts)
			nb *= 2;
		free(t->hbuckets);
		t->hbuckets = sm_calloc((size_t)nb, sizeof(*t->hbuckets));
		t->nbuckets = nb;
		for (sm_rf_part_t *y = t->parts; y; y = y->next)
			sm_rf_index(t, y);
	} else {
		sm_rf_index(t, x);
	}
}

/* The part for topic-partition in t, or NULL. Caller holds t->lock. */
static sm_rf_part_t *sm_rf_find(sm_rf_thread_t *t, const char *topic, int32_t partition)
{
	if (!t->nbuckets)
		return NULL;
	unsigned b = sm_rf_hash(topic, partition) & (unsigned)(t->nbuckets - 1);
	for (sm_rf_part_t *x = t->hbuckets[b]; x; x = x->hnext)
		if (sm_partition_id(x->p) == partition && !strcmp(sm_partition_topic(x->p), topic))
			return x;
	return NULL;
}

static void sm_rf_backoff(sm_rf_thread_t *t, sm_rf_part_t *part)
{
	part->delay_until = sm_clock_mono_ms() + t->fm->cfg->replica_fetch_backoff_ms;
}

/* A follower learns of a new leader (LeaderAndIsr) about when the leader
 * does, and often first: its first requests may find the leader without
 * the partition (UNKNOWN_TOPIC_OR_PARTITION), not leading it yet
 * (NOT_LEADER_OR_FOLLOWER) or in an older epoch (UNKNOWN_LEADER_EPOCH).
 * Until the leader has answered once, those are retried every
 * SM_RF_EARLY_RETRY_MS, at most SM_RF_EARLY_RETRIES times, rather than
 * after replica.fetch.backoff.ms: the first acks=all records of a new
 * topic or after a leader change then wait a few milliseconds for the
 * followers, not a second. Any other error, or one after the leader
 * answered, backs off in full. */
#define SM_RF_EARLY_RETRY_MS 20
#define SM_RF_EARLY_RETRIES 50

static void sm_rf_backoff_error(sm_rf_thread_t *t, sm_rf_part_t *part, int16_t error_code)
{
	int behind = error_code == SM_ERR_UNKNOWN_TOPIC_OR_PARTITION ||
		     error_code == SM_ERR_NOT_LEADER_OR_FOLLOWER ||
		     error_code == SM_ERR_UNKNOWN_LEADER_EPOCH;
	if (behind && !part->answered && part->early_retries < SM_RF_EARLY_RETRIES &&
	    t->fm->cfg->replica_fetch_backoff_ms > SM_RF_EARLY_RETRY_MS) {
		part->early_retries++;
		part->delay_until = sm_clock_mono_ms() + SM_RF_EARLY_RETRY_MS;
		return;
	}
	sm_rf_backoff(t, part);
}

/* The part for a snapshot entry if it is still followed in the same epoch
 * and in the expected phase. Caller holds t->lock. */
static sm_rf_part_t *sm_rf_current(sm_rf_thread_t *t, const sm_rf_snap_t *s, int truncating)
{
	SM_ASSERT_HELD(&t->lock);
	sm_rf_part_t *x = sm_rf_find(t, sm_partition_topic(s->p), sm_partition_id(s->p));
	if (!x || x->p != s->p || x->leader_epoch != s->leader_epoch || x->truncating != truncating)
		return NULL;
	return x;
}

/* ---- truncation by leader epoch ---- */

/* Where to truncate after the leader said (epoch, end) for our latest
 * epoch (AbstractFetcherThread.getOffsetTruncationState). *done is 0 when
 * the follower must ask again with an older epoch. */
static int64_t sm_rf_truncation_offset(sm_partition_t *p, int32_t leader_epoch, int64_t end,
				       int *done)
{
	int64_t leo = sm_log_end_offset(sm_partition_log(p));
	*done = 1;
	if (end < 0)
		return sm_partition_high_watermark(p);
	if (leader_epoch < 0)
		return end < leo ? end : leo;
	int32_t fe;
	int64_t fend;
	sm_lec_end_offset_for(sm_partition_epoch_cache(p), leader_epoch, leo, &fe, &fend);
	if (fe < 0)
		return end < leo ? end : leo;
	int64_t off = fend < leo ? fend : leo;
	if (fe != leader_epoch) {
		*done = 0;
		return off;
	}
	return end < off ? end : off;
}

static void sm_rf_apply_truncation(sm_rf_thread_t *t, sm_rf_part_t *part, int32_t epoch,
				   int64_t end)
{
	int done;
	int64_t off = sm_rf_truncation_offset(part->p, epoch, end, &done);
	sm_log_info(t->comp, SM_RF_LOGGER,
		    "Truncating partition %s-%d with TruncationState(offset=%lld, completed=%s) due to leader epoch and offset EpochEndOffset(errorCode=0, partition=%s-%d, leaderEpoch=%d, endOffset=%lld)",
		    sm_partition_topic(part->p), sm_partition_id(part->p), (long long)off,
		    done ? "true" : "false", sm_partition_topic(part->p), sm_partition_id(part->p),
		    epoch, (long long)end);
	sm_err_t e = sm_partition_truncate_to(part->p, off);
	if (e) {
		sm_log_error(t->comp, SM_RF_LOGGER, "Truncation of %s-%d failed: %s",
			     sm_partition_topic(part->p), sm_partition_id(part->p), sm_err_name(e));
		sm_rf_backoff(t, part);
		return;
	}
	part->truncating = !done;
}

static void sm_rf_handle_ofle_resp(sm_rf_thread_t *t, const sm_offset_for_leader_epoch_resp_t *resp,
				   const sm_rf_snap_t *snap, int n)
{
	for (int i = 0; i < resp->topics_cnt; i++)
		for (int j = 0; j < resp->topics[i].partitions_cnt; j++) {
			const sm_offset_for_leader_epoch_resp_partition_t *rp = &resp->topics[i].partitions[j];
			for (int k = 0; k < n; k++) {
				if (sm_partition_id(snap[k].p) != rp->partition ||
				    strcmp(sm_partition_topic(snap[k].p), resp->topics[i].topic))
					continue;
				sm_rf_part_t *part = sm_rf_current(t, &snap[k], 1);
				if (!part)
					break;
				if (rp->error_code) {
					sm_log_warn(t->comp, SM_RF_LOGGER,
						    "Error getting the end offset of %s-%d's leader epoch: %s",
						    resp->topics[i].topic, rp->partition,
						    sm_err_name(rp->error_code));
					sm_rf_backoff_error(t, part, rp->error_code);
				} else {
					part->answered = 1;
					sm_rf_apply_truncation(t, part, rp->leader_epoch, rp->end_offset);
				}
				break;
			}
		}
}

/* Topic-grouped request parts: writes the topic array of either request. */
static int sm_rf_group(const sm_rf_snap_t *snap, int n, int *order)
{
	int k = 0;
	char *done = sm_calloc((size_t)n + 1, 1);
	for (int i = 0; i < n; i++) {
		if (done[i])
			continue;
		for (int j = i; j < n; j++)
			if (!done[j] && !strcmp(sm_partition_topic(snap[i].p), sm_partition_topic(snap[j].p))) {
				done[j] = 1;
				order[k++] = j;
			}
	}
	free(done);
	return k;
}

static void sm_rf_truncate_round(sm_rf_thread_t *t, sm_rf_snap_t *snap, int n)
{
	sm_arena_t a;
	sm_arena_init(&a);
	int *order = sm_calloc((size_t)n + 1, sizeof(int));
	sm_rf_group(snap, n, order);
	sm_offset_for_leader_epoch_req_t req = { .replica_id = t->fm->broker_id };
	req.topics = sm_arena_alloc(&a, sizeof(*req.topics) * (size_t)n);
	for (int i = 0; i < n; i++) {
		const sm_rf_snap_t *s = &snap[order[i]];
		sm_offset_for_leader_epoch_req_topic_t *tp = req.topics_cnt ? &req.topics[req.topics_cnt - 1] : NULL;
		if (!tp || strcmp(tp->topic, sm_partition_topic(s->p))) {
			tp = &req.topics[req.topics_cnt++];
			tp->topic = (char *)sm_partition_topic(s->p);
			tp->partitions = sm_arena_alloc(&a, sizeof(*tp->partitions) * (size_t)n);
		}
		sm_offset_for_leader_epoch_req_partition_t *rp = &tp->partitions[tp->partitions_cnt++];
		rp->partition = sm_partition_id(s->p);
		rp->current_leader_epoch = s->leader_epoch;
		rp->leader_epoch = s->last_epoch;
	}
	free(order);
	sm_wbuf_t body, out;
	sm_wbuf_init(&body, 256);
	sm_wbuf_init(&out, 256);
	sm_offset_for_leader_epoch_req_write(&body, SM_RF_OFLE_VERSION, &req);
	int e = sm_net_client_request(t->client, SM_API_OFFSET_FOR_LEADER_EPOCH, SM_RF_OFLE_VERSION,
				      &body, 0, &out, t->fm->cfg->replica_socket_timeout_ms);
	sm_offset_for_leader_epoch_resp_t resp;
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, out.p, out.len);
	pthread_mutex_lock(&t->lock);
	if (!e && sm_offset_for_leader_epoch_resp_read(&rb, SM_RF_OFLE_VERSION, &a, &resp) == 0) {
		sm_rf_handle_ofle_resp(t, &resp, snap, n);
	} else {
		sm_log_warn(t->comp, SM_RF_LOGGER, "Error sending leader epoch request to broker %d: %s",
			    t->leader, e ? sm_net_client_last_error(t->client) : "malformed response");
		for (int i = 0; i < n; i++) {
			sm_rf_part_t *part = sm_rf_current(t, &snap[i], 1);
			if (part)
				sm_rf_backoff(t, part);
		}
	}
	pthread_mutex_unlock(&t->lock);
	sm_wbuf_free(&body);
	sm_wbuf_free(&out);
	sm_arena_destroy(&a);
}

/* ---- fetching ---- */

/* Length of the complete v2 batches at the start of data. */
static size_t sm_rf_whole_batches(const uint8_t *data, size_t len)
{
	size_t pos = 0;
	while (pos + 12 <= len) {
		sm_rbuf_t rb;
		sm_rbuf_init(&rb, data + pos + 8, 4);
		int32_t blen = sm_rbuf_i32(&rb);
		if (blen <= 0 || (size_t)blen > len - pos - 12)
			break;
		pos += 12 + (size_t)blen;
	}
	return pos;
}

/* *throttled accumulates the record bytes of follower-throttled partitions. */
static void sm_rf_apply_partition(sm_rf_thread_t *t, sm_rf_part_t *part, const sm_rf_snap_t *s,
				  const sm_fetch_resp_partition_t *rp, int64_t *throttled)
{
	sm_partition_t *p = part->p;
	if (rp->error_code == SM_ERR_OFFSET_OUT_OF_RANGE ||
	    (!rp->error_code && (rp->diverging_epoch.epoch >= 0 || rp->diverging_epoch.end_offset >= 0))) {
		sm_log_info(t->comp, SM_RF_LOGGER, "Partition %s-%d %s at offset %lld; truncating by leader epoch",
			    sm_partition_topic(p), sm_partition_id(p),
			    rp->error_code ? "is out of range" : "diverged from the leader",
			    (long long)s->offset);
		part->truncating = 1;
		return;
	}
	if (rp->error_code) {
		sm_log_warn(t->comp, SM_RF_LOGGER, "Error in response for fetch of %s-%d: %s",
			    sm_partition_topic(p), sm_partition_id(p), sm_err_name(rp->error_code));
		sm_rf_backoff_error(t, part, rp->error_code);
		return;
	}
	part->answered = 1;
	if (!sm_partition_is_follower_of(p, t->leader, part->leader_epoch))
		return; /* a LeaderAndIsr is about to remove it */
	/* Kafka counts what a throttled replica fetched, in sync or not */
	if (sm_partition_follower_throttled(p) && rp->records.len > 0)
		*throttled += rp->records.len;
	if (rp->records.ptr && rp->records.len > 0) {
		if (sm_log_end_offset(sm_partition_log(p)) != s->offset)
			return; /* the log moved meanwhile: fetch again */
		size_t n = sm_rf_whole_batches(rp->records.ptr, (size_t)rp->records.len);
		sm_err_t e = n ? sm_partition_append_follower(p, rp->records.ptr, n) : SM_ERR_NONE;
		if (e) {
			sm_log_error(t->comp, SM_RF_LOGGER, "Follower append to %s-%d at offset %lld failed: %s",
				     sm_partition_topic(p), sm_partition_id(p), (long long)s->offset,
				     sm_err_name(e));
			part->truncating = e == SM_ERR_OFFSET_OUT_OF_RANGE;
			if (!part->truncating)
				sm_rf_backoff(t, part);
			return;
		}
	}
	if (rp->high_watermark >= 0) {
		sm_partition_follower_set_hw(p, rp->high_watermark);
		part->in_sync = sm_log_end_offset(sm_partition_log(p)) >= rp->high_watermark;
	}
	/* After the HW: the leader's log start offset (DeleteRecords, retention)
	 * moves this replica's too, which the leader learns from the next fetch
	 * and counts in its low watermark. */
	sm_partition_follower_set_log_start(p, rp->log_start_offset);
}

static void sm_rf_handle_fetch_resp(sm_rf_thread_t *t, const sm_fetch_resp_t *resp,
				    const sm_rf_snap_t *snap, int n)
{
	int64_t throttled = 0;
	for (int i = 0; i < resp->responses_cnt; i++)
		for (int j = 0; j < resp->responses[i].partitions_cnt; j++) {
			const sm_fetch_resp_partition_t *rp = &resp->responses[i].partitions[j];
			for (int k = 0; k < n; k++) {
				if (sm_partition_id(snap[k].p) != rp->partition_index ||
				    strcmp(sm_partition_topic(snap[k].p), resp->responses[i].topic))
					continue;
				sm_rf_part_t *part = sm_rf_current(t, &snap[k], 0);
				if (part)
					sm_rf_apply_partition(t, part, &snap[k], rp, &throttled);
				break;
			}
		}
	/* one quota update per response, never per partition or record */
	if (throttled > 0 && t->fm->quota)
		sm_repl_quota_record(t->fm->quota, throttled);
}

static void sm_rf_build_fetch(sm_rf_thread_t *t, sm_rf_snap_t *snap, int n, int32_t max_wait, sm_arena_t *a,
			      sm_fetch_req_t *req)
{
	const sm_kafka_config_t *cfg = t->fm->cfg;
	memset(req, 0, sizeof(*req));
	req->replica_id = t->fm->broker_id;
	req->max_wait_ms = max_wait;
	req->min_bytes = cfg->replica_fetch_min_bytes;
	req->max_bytes = cfg->replica_fetch_response_max_bytes;
	req->session_epoch = -1;
	req->rack_id = (char *)"";
	int *order = sm_calloc((size_t)n + 1, sizeof(int));
	sm_rf_group(snap, n, order);
	req->topics = sm_arena_alloc(a, sizeof(*req->topics) * (size_t)n);
	for (int i = 0; i < n; i++) {
		const sm_rf_snap_t *s = &snap[order[i]];
		sm_fetch_req_topic_t *tp = req->topics_cnt ? &req->topics[req->topics_cnt - 1] : NULL;
		if (!tp || strcmp(tp->topic, sm_partition_topic(s->p))) {
			tp = &req->topics[req->topics_cnt++];
			tp->topic = (char *)sm_partition_topic(s->p);
			tp->partitions = sm_arena_alloc(a, sizeof(*tp->partitions) * (size_t)n);
		}
		sm_fetch_req_partition_t *fp = &tp->partitions[tp->partitions_cnt++];
		fp->partition = sm_partition_id(s->p);
		fp->current_leader_epoch = s->leader_epoch;
		fp->fetch_offset = s->offset;
		fp->last_fetched_epoch = s->last_epoch;
		fp->log_start_offset = sm_log_start_offset(sm_partition_log(s->p));
		fp->partition_max_bytes = cfg->replica_fetch_max_bytes;
	}
	free(order);
}

static void sm_rf_fetch_round(sm_rf_thread_t *t, sm_rf_snap_t *snap, int n, int32_t max_wait)
{
	sm_arena_t a;
	sm_arena_init(&a);
	sm_fetch_req_t req;
	sm_rf_build_fetch(t, snap, n, max_wait, &a, &req);
	sm_wbuf_t body, out;
	sm_wbuf_init(&body, 256);
	sm_wbuf_init(&out, 4096);
	sm_fetch_req_write(&body, SM_RF_FETCH_VERSION, &req);
	int e = sm_net_client_request(t->client, 1, SM_RF_FETCH_VERSION, &body, 1, &out,
				      t->fm->cfg->replica_socket_timeout_ms + req.max_wait_ms);
	sm_fetch_resp_t resp;
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, out.p, out.len);
	pthread_mutex_lock(&t->lock);
	int interrupted = t->interrupted && t->running;
	t->in_fetch = t->interrupted = 0;
	if (interrupted) {
		/* empty the pipe the add wrote to, or the next request would
		 * be cancelled too (a shutdown writes only once running is 0) */
		char drain[16];
		while (read(t->cancel[0], drain, sizeof(drain)) > 0)
			;
	}
	if (!e && sm_fetch_resp_read(&rb, SM_RF_FETCH_VERSION, &a, &resp) == 0 && !resp.error_code) {
		sm_rf_handle_fetch_resp(t, &resp, snap, n);
	} else if (interrupted && e) {
		sm_log_info(t->comp, SM_RF_LOGGER,
			    "Fetch from broker %d cut short to add partitions; fetching again", t->leader);
	} else if (t->running) {
		sm_log_warn(t->comp, SM_RF_LOGGER, "Error sending fetch request to broker %d at %s:%d: %s",
			    t->leader, t->host, t->port,
			    e ? sm_net_client_last_error(t->client) : "malformed or failed response");
		for (int i = 0; i < n; i++) {
			sm_rf_part_t *part = sm_rf_current(t, &snap[i], 0);
			if (part)
				sm_rf_backoff(t, part);
		}
	}
	pthread_mutex_unlock(&t->lock);
	sm_wbuf_free(&body);
	sm_wbuf_free(&out);
	sm_arena_destroy(&a);
}

/* ---- thread ---- */

/* Snapshots the ready partitions of one phase. Caller holds t->lock.
 * Returns the count; *next_ms receives the earliest back-off end. */
static int sm_rf_snapshot(sm_rf_thread_t *t, int truncating, sm_rf_snap_t **out, int64_t *next_ms)
{
	SM_ASSERT_HELD(&t->lock);
	int64_t now = sm_clock_mono_ms();
	int cnt = 0;
	for (sm_rf_part_t *x = t->parts; x; x = x->next)
		cnt++;
	/* Kafka's shouldFollowerThrottle: a throttled replica out of sync is
	 * left out of the fetch while the follower quota is exceeded (the
	 * quota is measured once per round, not per partition) */
	int exceeded = -1;
	sm_rf_snap_t *v = sm_calloc((size_t)cnt + 1, sizeof(*v));
	int n = 0;
	for (sm_rf_part_t *x = t->parts; x; x = x->next) {
		if (x->delay_until > now) {
			if (x->delay_until < *next_ms)
				*next_ms = x->delay_until;
			if (x->early_retries && !x->answered && x->delay_until < t->early_until)
				t->early_until = x->delay_until;
			continue;
		}
		if (x->truncating != truncating)
			continue;
		if (!truncating && !x->in_sync && t->fm->quota && sm_partition_follower_throttled(x->p)) {
			if (exceeded < 0)
				exceeded = sm_repl_quota_exceeded(t->fm->quota);
			if (exceeded) {
				int64_t retry = now + t->fm->cfg->replica_fetch_backoff_ms;
				if (retry < *next_ms)
					*next_ms = retry;
				continue;
			}
		}
		v[n].p = sm_partition_keep(x->p);
		v[n].leader_epoch = x->leader_epoch;
		v[n].offset = sm_log_end_offset(sm_partition_log(x->p));
		v[n].last_epoch = sm_lec_latest_epoch(sm_partition_epoch_cache(x->p));
		n++;
	}
	*out = v;
	return n;
}

static void sm_rf_snap_free(sm_rf_snap_t *v, int n)
{
	for (int i = 0; i < n; i++)
		sm_partition_release(v[i].p);
	free(v);
}

/* Partitions without any epoch truncate to their high watermark at once
 * (there is nothing to ask the leader about). Caller holds t->lock. */
static void sm_rf_truncate_without_epochs(sm_rf_thread_t *t)
{
	SM_ASSERT_HELD(&t->lock);
	for (sm_rf_part_t *x = t->parts; x; x = x->next)
		if (x->truncating && sm_lec_latest_epoch(sm_partition_epoch_cache(x->p)) < 0)
			sm_rf_apply_truncation(t, x, -1, -1);
}

static void sm_rf_wait(sm_rf_thread_t *t, int64_t until)
{
	int64_t wait = until - sm_clock_mono_ms();
	if (wait <= 0)
		return;
	struct timespec ts;
	sm_clock_deadline_ts(CLOCK_REALTIME, wait, &ts);
	pthread_cond_timedwait(&t->cond, &t->lock, &ts);
}

static void *sm_rf_main(void *arg)
{
	sm_rf_thread_t *t = arg;
	char tname[16];
	snprintf(tname, sizeof(tname), "fetcher-%d-%d", t->fetcher_id, t->leader);
	pthread_setname_np(pthread_self(), tname);
	sm_thread_role_set(SM_ROLE_FETCHER);
	sm_log_info(t->comp, SM_RF_LOGGER, "Starting");
	pthread_mutex_lock(&t->lock);
	while (t->running) {
		if (t->endpoint_changed) {
			sm_net_client_destroy(t->client);
			t->client = sm_net_client_new(t->host, t->port);
			sm_net_client_use_interbroker_tls(t->client);
			sm_net_client_set_client_id(t->client, t->name);
			sm_net_client_set_cancel_fd(t->client, t->cancel[0]);
			t->endpoint_changed = 0;
		}
		sm_rf_truncate_without_epochs(t);
		int64_t next = sm_clock_mono_ms() + 1000;
		t->early_until = INT64_MAX;
		sm_rf_snap_t *snap;
		int truncating = 1;
		int n = sm_rf_snapshot(t, 1, &snap, &next);
		if (n == 0) {
			free(snap);
			truncating = 0;
			n = sm_rf_snapshot(t, 0, &snap, &next);
		}
		if (n == 0) {
			free(snap);
			sm_rf_wait(t, next);
			continue;
		}
		t->in_fetch = !truncating;
		t->interrupted = 0;
		/* a partition retrying shortly must not wait for a fetch of the
		 * others parked at the leader for replica.fetch.wait.max.ms */
		int32_t max_wait = t->fm->cfg->replica_fetch_wait_max_ms;
		if (t->early_until != INT64_MAX) {
			int64_t left = t->early_until - sm_clock_mono_ms();
			if (left < max_wait)
				max_wait = left > 0 ? (int32_t)left : 0;
		}
		pthread_mutex_unlock(&t->lock);
		if (truncating)
			sm_rf_truncate_round(t, snap, n);
		else
			sm_rf_fetch_round(t, snap, n, max_wait);
		sm_rf_snap_free(snap, n);
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	sm_log_info(t->comp, SM_RF_LOGGER, "Stopped");
	return NULL;
}

/* ---- manager ---- */

sm_fetcher_manager_t *sm_fetcher_manager_new(const sm_kafka_config_t *cfg, int32_t broker_id)
{
	sm_fetcher_manager_t *fm = sm_calloc(1, sizeof(*fm));
	pthread_mutex_init(&fm->lock, NULL);
	fm->cfg = cfg;
	fm->broker_id = broker_id;
	fm->num_fetchers = cfg->num_replica_fetchers > 0 ? cfg->num_replica_fetchers : 1;
	return fm;
}

void sm_fetcher_manager_set_quota(sm_fetcher_manager_t *fm, sm_repl_quota_t *q)
{
	fm->quota = q;
}

/* Caller holds fm->lock. */
static sm_rf_thread_t *sm_rf_thread_get(sm_fetcher_manager_t *fm, int32_t leader, int id,
					const char *host, int port)
{
	SM_ASSERT_HELD(&fm->lock);
	for (sm_rf_thread_t *t = fm->threads; t; t = t->next)
		if (t->leader == leader && t->fetcher_id == id) {
			pthread_mutex_lock(&t->lock);
			if (strcmp(t->host, host) || t->port != port) {
				free(t->host);
				t->host = sm_strdup(host);
				t->port = port;
				t->endpoint_changed = 1;
			}
			pthread_mutex_unlock(&t->lock);
			return t;
		}
	sm_rf_thread_t *t = sm_calloc(1, sizeof(*t));
	t->fm = fm;
	t->leader = leader;
	t->fetcher_id = id;
	snprintf(t->name, sizeof(t->name), "ReplicaFetcherThread-%d-%d", id, leader);
	snprintf(t->comp, sizeof(t->comp), "ReplicaFetcher replicaId=%d, leaderId=%d, fetcherId=%d",
		 fm->broker_id, leader, id);
	t->host = sm_strdup(host);
	t->port = port;
	t->endpoint_changed = 1;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	if (pipe2(t->cancel, O_CLOEXEC | O_NONBLOCK))
		t->cancel[0] = t->cancel[1] = -1;
	t->running = 1;
	t->next = fm->threads;
	fm->threads = t;
	pthread_create(&t->thread, NULL, sm_rf_main, t);
	return t;
}

/* Removes the partition from t; returns 1 if it was there. Caller holds
 * t->lock. */
static int sm_rf_take(sm_rf_thread_t *t, const char *topic, int32_t partition)
{
	SM_ASSERT_HELD(&t->lock);
	sm_rf_part_t *x = sm_rf_find(t, topic, partition);
	if (!x)
		return 0;
	unsigned b = sm_rf_hash(topic, partition) & (unsigned)(t->nbuckets - 1);
	sm_rf_part_t **hp = &t->hbuckets[b];
	while (*hp != x)
		hp = &(*hp)->hnext;
	*hp = x->hnext;
	if (x->prev)
		x->prev->next = x->next;
	else
		t->parts = x->next;
	if (x->next)
		x->next->prev = x->prev;
	t->nparts--;
	sm_partition_release(x->p);
	free(x);
	return 1;
}

/* A partition was added to t: a fetch round in flight may be parked at the
 * leader for up to replica.fetch.wait.max.ms without it, so it is cut short
 * (once per round; the connection is opened again) and the next round
 * includes the new partition -- the first acks=all records of a new topic
 * do not wait for the followers' previous fetch to time out. Caller holds
 * t->lock. */
static void sm_rf_interrupt_for_add(sm_rf_thread_t *t)
{
	SM_ASSERT_HELD(&t->lock);
	if (!t->in_fetch || t->interrupted || t->cancel[1] < 0)
		return;
	if (write(t->cancel[1], "x", 1) == 1)
		t->interrupted = 1;
}

void sm_fetcher_manager_add(sm_fetcher_manager_t *fm, sm_partition_t *p, int32_t leader,
			    int32_t leader_epoch, const char *host, int port)
{
	const char *topic = sm_partition_topic(p);
	int32_t partition = sm_partition_id(p);
	pthread_mutex_lock(&fm->lock);
	int id = sm_fetcher_id(topic, partition, fm->num_fetchers);
	if (fm->shut) {
		pthread_mutex_unlock(&fm->lock);
		return;
	}
	for (sm_rf_thread_t *t = fm->threads; t; t = t->next) {
		pthread_mutex_lock(&t->lock);
		sm_rf_take(t, topic, partition);
		pthread_mutex_unlock(&t->lock);
	}
	sm_rf_thread_t *t = sm_rf_thread_get(fm, leader, id, host, port);
	sm_rf_part_t *x = sm_calloc(1, sizeof(*x));
	x->p = sm_partition_keep(p);
	x->leader_epoch = leader_epoch;
	x->truncating = 1;
	pthread_mutex_lock(&t->lock);
	sm_rf_link(t, x);
	pthread_cond_signal(&t->cond);
	sm_rf_interrupt_for_add(t);
	pthread_mutex_unlock(&t->lock);
	pthread_mutex_unlock(&fm->lock);
	sm_log_info(NULL, "kafka.server.ReplicaFetcherManager",
		    "[ReplicaFetcherManager on broker %d] Added fetcher to broker %d for partitions %s-%d (leader epoch %d)",
		    fm->broker_id, leader, topic, partition, leader_epoch);
}

/* One partition on its way to another fetcher thread. */
typedef struct sm_rf_move {
	sm_partition_t *p;
	int32_t leader, leader_epoch;
	char *host;
	int port;
} sm_rf_move_t;

void sm_fetcher_manager_resize(sm_fetcher_manager_t *fm, int num_fetchers)
{
	if (num_fetchers < 1)
		return;
	pthread_mutex_lock(&fm->lock);
	if (fm->shut || num_fetchers == fm->num_fetchers) {
		pthread_mutex_unlock(&fm->lock);
		return;
	}
	int old = fm->num_fetchers, n = 0, cap = 0;
	fm->num_fetchers = num_fetchers;
	sm_rf_move_t *mv = NULL;
	/* take every partition whose fetcher id changes (as a remove would) */
	for (sm_rf_thread_t *t = fm->threads; t; t = t->next) {
		pthread_mutex_lock(&t->lock);
		for (sm_rf_part_t **pp = &t->parts; *pp;) {
			sm_rf_part_t *x = *pp;
			if (sm_fetcher_id(sm_partition_topic(x->p), sm_partition_id(x->p), num_fetchers) ==
			    t->fetcher_id) {
				pp = &x->next;
				continue;
			}
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				mv = sm_realloc(mv, sizeof(*mv) * (size_t)cap);
			}
			mv[n++] = (sm_rf_move_t){ sm_partition_keep(x->p), t->leader, x->leader_epoch,
						  sm_strdup(t->host), t->port };
			sm_rf_take(t, sm_partition_topic(x->p), sm_partition_id(x->p));
		}
		pthread_mutex_unlock(&t->lock);
	}
	/* and add it to its new thread, truncating first as after any add */
	for (int i = 0; i < n; i++) {
		int id = sm_fetcher_id(sm_partition_topic(mv[i].p), sm_partition_id(mv[i].p), num_fetchers);
		sm_rf_thread_t *t = sm_rf_thread_get(fm, mv[i].leader, id, mv[i].host, mv[i].port);
		sm_rf_part_t *x = sm_calloc(1, sizeof(*x));
		x->p = mv[i].p;
		x->leader_epoch = mv[i].leader_epoch;
		x->truncating = 1;
		pthread_mutex_lock(&t->lock);
		sm_rf_link(t, x);
		pthread_cond_signal(&t->cond);
		pthread_mutex_unlock(&t->lock);
		free(mv[i].host);
	}
	free(mv);
	pthread_mutex_unlock(&fm->lock);
	sm_log_info(NULL, "kafka.server.ReplicaFetcherManager",
		    "[ReplicaFetcherManager on broker %d] Resizing fetcher thread pool size from %d to %d (%d partitions moved)",
		    fm->broker_id, old, num_fetchers, n);
}

void sm_fetcher_manager_remove(sm_fetcher_manager_t *fm, const char *topic, int32_t partition)
{
	int removed = 0;
	pthread_mutex_lock(&fm->lock);
	for (sm_rf_thread_t *t = fm->threads; t; t = t->next) {
		pthread_mutex_lock(&t->lock);
		removed |= sm_rf_take(t, topic, partition);
		pthread_mutex_unlock(&t->lock);
	}
	pthread_mutex_unlock(&fm->lock);
	if (removed)
		sm_log_info(NULL, "kafka.server.ReplicaFetcherManager",
			    "[ReplicaFetcherManager on broker %d] Removed fetcher for partitions %s-%d",
			    fm->broker_id, topic, partition);
}

int sm_fetcher_manager_count(sm_fetcher_manager_t *fm)
{
	int n = 0;
	pthread_mutex_lock(&fm->lock);
	for (sm_rf_thread_t *t = fm->threads; t; t = t->next) {
		pthread_mutex_lock(&t->lock);
		for (sm_rf_part_t *x = t->parts; x; x = x->next)
			n++;
		pthread_mutex_unlock(&t->lock);
	}
	pthread_mutex_unlock(&fm->lock);
	return n;
}

void sm_fetcher_manager_shutdown(sm_fetcher_manager_t *fm)
{
	if (!fm)
		return;
	pthread_mutex_lock(&fm->lock);
	fm->shut = 1;
	sm_rf_thread_t *list = fm->threads;
	pthread_mutex_unlock(&fm->lock);
	for (sm_rf_thread_t *t = list; t; t = t->next) {
		pthread_mutex_lock(&t->lock);
		t->running = 0;
		pthread_cond_signal(&t->cond);
		pthread_mutex_unlock(&t->lock);
		if (t->cancel[1] >= 0 && write(t->cancel[1], "x", 1) < 0 && errno != EAGAIN)
			sm_log_warn(t->comp, SM_RF_LOGGER, "Cannot wake the fetcher: %s", strerror(errno));
	}
	for (sm_rf_thread_t *t = list; t; t = t->next)
		if (t->thread) {
			pthread_join(t->thread, NULL);
			t->thread = 0;
		}
}

void sm_fetcher_manager_destroy(sm_fetcher_manager_t *fm)
{
	if (!fm)
		return;
	sm_fetcher_manager_shutdown(fm);
	sm_rf_thread_t *t = fm->threads;
	while (t) {
		sm_rf_thread_t *next = t->next;
		pthread_mutex_lock(&t->lock); /* its thread is gone; sm_rf_take asserts it */
		while (t->parts)
			sm_rf_take(t, sm_partition_topic(t->parts->p), sm_partition_id(t->parts->p));
		pthread_mutex_unlock(&t->lock);
		sm_net_client_destroy(t->client);
		if (t->cancel[0] >= 0) {
			close(t->cancel[0]);
			close(t->cancel[1]);
		}
		pthread_cond_destroy(&t->cond);
		pthread_mutex_destroy(&t->lock);
		free(t->hbuckets);
		free(t->host);
		free(t);
		t = next;
	}
	pthread_mutex_destroy(&fm->lock);
	free(fm);
}
