/*
 * txn_marker_channel.c - the transaction coordinator's marker channel
 * (Kafka's TransactionMarkerChannelManager and
 * TransactionMarkerRequestCompletionHandler). See txn_marker_channel.h.
 *
 * DESIGN
 *   A transaction (sm_tm_txn_t) holds one entry per distinct partition, each
 *   in one state:
 *     UNROUTED  waiting for a leader, or for its retry time after an error
 *     QUEUED    assigned to the sender of broker 'dest'
 *     INFLIGHT  inside a WriteTxnMarkers request on the wire
 *     DONE      marker written, or dropped because the partition is gone
 *   sm_txn_marker_channel_send, on the caller's thread, and then the router
 *   thread ("txn-marker-route") look UNROUTED partitions up in the metadata
 *   cache: a partition the cache no longer has is DONE (Kafka:
 *   "likely deleted already and hence can be skipped"); one whose leader is
 *   unknown, not alive or has no endpoint on the inter-broker listener stays
 *   UNROUTED (Kafka's queue for unknown brokers) until metadata_changed or
 *   a periodic recheck; otherwise it is QUEUED for the leader's sender.
 *
 *   One sender thread per destination broker ("txn-marker-<id>", started
 *   the first time a partition is queued for that broker, so their number
 *   is bounded by the cluster's brokers) drains everything queued for it
 *   into one request -- oldest transaction first, at most one marker per
 *   producer id, at most SM_TM_MAX_REQ_PARTS partitions -- and sends it over
 *   a blocking net_client connection to the broker's inter-broker endpoint
 *   (TLS when that listener is SSL). Per-partition answers:
 *     NONE, UNSUPPORTED_FOR_MESSAGE_FORMAT, UNSUPPORTED_VERSION -> DONE
 *       (the latter two as Kafka: the producer could not have written
 *       there, so nothing waits for a marker);
 *     UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER,
 *     NOT_ENOUGH_REPLICAS(_AFTER_APPEND), REQUEST_TIMED_OUT,
 *     KAFKA_STORAGE_ERROR -> UNROUTED again, looked up afresh after
 *       SM_TM_RETRY_MS (a topic deleted meanwhile is then dropped);
 *     INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED -> the
 *       transaction ends with that error;
 *     anything else (Kafka throws IllegalStateException and the transaction
 *       is stuck until its coordinator moves) -> logged as an error and
 *       retried like a retriable error, so the markers still get written if
 *       the peer recovers.
 *   A network failure, a timeout or an unparsable response puts every
 *   partition of the request back to UNROUTED (Kafka re-enqueues them on a
 *   disconnect) and the sender backs off 100 ms .. 1 s before reconnecting.
 *
 *   When a transaction's last partition is DONE, or it ends early (fenced,
 *   drop_epoch), it moves from the active list to the finished list and the
 *   sender whose answer finished it (else the router) runs its callback with
 *   no lock held. A commit's path is thus caller -> sender -> callback, with
 *   no router hop: on a loaded host each extra thread wake-up delays the
 *   CompleteCommit, and clients' AddPartitionsToTxn for their next
 *   transaction get CONCURRENT_TRANSACTIONS until it is written. A transaction is
 *   refcounted: the channel's lists hold one reference and each request
 *   carrying some of its partitions another, so an answer arriving for a
 *   transaction that ended meanwhile is simply ignored.
 *
 * Thread-safety: one mutex (ch->lock) guards every list, state and counter;
 * the router and each sender wait on their own condition variable under
 * it. Network waits, metadata lookups' frees and callbacks run with it held
 * only where noted: callbacks and network waits never. The metadata cache's
 * own mutex is a leaf taken under ch->lock.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_setname_np, pipe2 */
#endif
#include "txn_marker_channel.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "logger.h"
#include "metadata_cache.h"
#include "msg_write_txn_markers.h"
#include "net_client.h"
#include "thread_role.h"

#define SM_TM_LOGGER "kafka.coordinator.transaction.TransactionMarkerChannelManager"
#define SM_TM_RESP_LOGGER "kafka.coordinator.transaction.TransactionMarkerRequestCompletionHandler"
#define SM_TM_API_KEY 27
/* A partition answered with a retriable error is looked up again after
 * this long, so a stale metadata cache does not make a hot loop. */
#define SM_TM_RETRY_MS 100
/* Partitions waiting for a leader are looked up again this often even
 * when nobody calls metadata_changed. */
#define SM_TM_RECHECK_MS 1000
#define SM_TM_BACKOFF_MIN_MS 100
#define SM_TM_BACKOFF_MAX_MS 1000
/* Kafka's connection.setup.timeout.ms default: a dead host must not hold
 * a sender for request.timeout.ms before its partitions move on. */
#define SM_TM_CONNECT_TIMEOUT_MS 10000
/* Bounds one request (and the scans answering it). */
#define SM_TM_MAX_REQ_PARTS 2000
/* Response arena budget per response byte, on top of a base. */
#define SM_TM_RESP_ARENA_BASE (64 * 1024)
#define SM_TM_RESP_ARENA_PER_BYTE 16

enum { SM_TM_UNROUTED, SM_TM_QUEUED, SM_TM_INFLIGHT, SM_TM_DONE };

typedef struct sm_tm_part {
	char *topic;
	int32_t partition;
	int state;
	int32_t dest;     /* broker id while QUEUED or INFLIGHT */
	int64_t retry_at; /* monotonic ms; UNROUTED is not looked up before */
} sm_tm_part_t;

typedef struct sm_tm_txn {
	struct sm_tm_txn *next, *prev; /* active list (doubly), finished list (next) */
	int refcnt;
	int ended;
	sm_err_t err;
	int64_t pid;
	int16_t epoch;
	int32_t coord_epoch;
	int32_t txn_partition;
	int commit;
	size_t n_parts;
	size_t n_left; /* parts not DONE */
	sm_tm_part_t *parts;
	sm_txn_markers_done_t *done;
	void *opaque;
} sm_tm_txn_t;

typedef struct sm_tm_dest {
	struct sm_tm_dest *next;
	sm_txn_marker_channel_t *ch;
	int32_t id;
	char *host;
	int port;
	int endpoint_changed;
	size_t n_queued; /* parts QUEUED for this broker */
	pthread_cond_t cond;
	pthread_t thread;
	int cancel[2]; /* pipe: [0] the client's cancel fd, [1] written on stop */
} sm_tm_dest_t;

struct sm_txn_marker_channel {
	int32_t broker_id;
	sm_metadata_cache_t *mc;
	char *listener;
	int16_t version;
	int timeout_ms;
	char comp[64];

	pthread_mutex_t lock;
	pthread_cond_t cond; /* the router's */
	int kick;
	int stop;
	int router_started;
	pthread_t router;
	sm_tm_txn_t *head, *tail;         /* active, oldest first */
	sm_tm_txn_t *fin_head, *fin_tail; /* ended, callback not run yet */
	size_t n_active, n_finished, n_unrouted;
	sm_tm_dest_t *dests;
};

/* One transaction's share of a request. */
typedef struct sm_tm_item {
	sm_tm_txn_t *txn;
	size_t *idx; /* indexes into txn->parts */
	size_t n;
} sm_tm_item_t;

static void sm_tm_abstime(int64_t mono_ms, struct timespec *ts)
{
	ts->tv_sec = (time_t)(mono_ms / 1000);
	ts->tv_nsec = (long)(mono_ms % 1000) * 1000000L;
}

static void sm_tm_cond_init(pthread_cond_t *c)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(c, &ca);
	pthread_condattr_destroy(&ca);
}

int16_t sm_txn_marker_request_version(const char *ibp)
{
	int major = 0, minor = 0;
	/* "2.8", "2.8-IV1", "3.0", "0.11.0-IV2": v1 needs KAFKA_2_8_IV0. */
	if (!ibp || sscanf(ibp, "%d.%d", &major, &minor) != 2)
		return 1;
	return (major > 2 || (major == 2 && minor >= 8)) ? 1 : 0;
}

static const char *sm_tm_result(const sm_tm_txn_t *t)
{
	return t->commit ? "COMMIT" : "ABORT";
}

/* ---- transactions (ch->lock held) ---- */

static void sm_tm_txn_free(sm_tm_txn_t *t)
{
	for (size_t i = 0; i < t->n_parts; i++)
		free(t->parts[i].topic);
	free(t->parts);
	free(t);
}

static void sm_tm_txn_release(sm_tm_txn_t *t)
{
	if (--t->refcnt == 0)
		sm_tm_txn_free(t);
}

static sm_tm_dest_t *sm_tm_dest_find(sm_txn_marker_channel_t *ch, int32_t id)
{
	for (sm_tm_dest_t *d = ch->dests; d; d = d->next)
		if (d->id == id)
			return d;
	return NULL;
}

/* Moves t from the active to the finished list; its QUEUED partitions
 * leave their senders' queues, INFLIGHT ones are ignored when answered. */
static void sm_tm_end(sm_txn_marker_channel_t *ch, sm_tm_txn_t *t, sm_err_t err)
{
	if (t->ended)
		return;
	t->ended = 1;
	t->err = err;
	for (size_t i = 0; i < t->n_parts; i++) {
		sm_tm_part_t *p = &t->parts[i];
		if (p->state == SM_TM_QUEUED) {
			sm_tm_dest_t *d = sm_tm_dest_find(ch, p->dest);
			if (d)
				d->n_queued--;
		} else if (p->state == SM_TM_UNROUTED) {
			ch->n_unrouted--;
		}
		p->state = SM_TM_DONE;
	}
	if (t->prev)
		t->prev->next = t->next;
	else
		ch->head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	else
		ch->tail = t->prev;
	ch->n_active--;
	t->next = t->prev = NULL;
	if (ch->fin_tail)
		ch->fin_tail->next = t;
	else
		ch->fin_head = t;
	ch->fin_tail = t;
	ch->n_finished++;
	ch->kick = 1;
	pthread_cond_signal(&ch->cond);
}

/* A partition of t is DONE; ends t when it was the last. */
static void sm_tm_part_done(sm_txn_marker_channel_t *ch, sm_tm_txn_t *t, sm_tm_part_t *p)
{
	p->state = SM_TM_DONE;
	if (--t->n_left == 0)
		sm_tm_end(ch, t, SM_ERR_NONE);
}

static void sm_tm_part_retry(sm_txn_marker_channel_t *ch, sm_tm_part_t *p, int64_t at)
{
	p->state = SM_TM_UNROUTED;
	p->retry_at = at;
	ch->n_unrouted++;
	ch->kick = 1;
	pthread_cond_signal(&ch->cond);
}

/* ---- senders ---- */

static void *sm_tm_sender_main(void *arg);
static void sm_tm_run_finished(sm_txn_marker_channel_t *ch);
static int64_t sm_tm_route(sm_txn_marker_channel_t *ch, const sm_mc_snapshot_t *s, int64_t now);

static void sm_tm_dest_wake(sm_tm_dest_t *d)
{
	pthread_cond_signal(&d->cond);
	if (d->cancel[1] >= 0) {
		ssize_t n;
		do
			n = write(d->cancel[1], "x", 1);
		while (n < 0 && errno == EINTR);
	}
}

/* The sender for broker id at host:port, started if new; NULL if its
 * thread cannot be started (the partition then waits for a recheck). */
static sm_tm_dest_t *sm_tm_dest_get(sm_txn_marker_channel_t *ch, int32_t id, const char *host,
				    int port)
{
	sm_tm_dest_t *d = sm_tm_dest_find(ch, id);
	if (d) {
		if (d->port != port || strcmp(d->host, host)) {
			free(d->host);
			d->host = sm_strdup(host);
			d->port = port;
			d->endpoint_changed = 1;
		}
		return d;
	}
	d = sm_calloc(1, sizeof(*d));
	d->ch = ch;
	d->id = id;
	d->host = sm_strdup(host);
	d->port = port;
	d->endpoint_changed = 1;
	sm_tm_cond_init(&d->cond);
	if (pipe2(d->cancel, O_CLOEXEC | O_NONBLOCK) < 0) {
		/* Still works; stopping then waits out a request's timeout. */
		sm_log_warn(ch->comp, SM_TM_LOGGER, "Cannot create the wakeup pipe for broker %d: %s",
			    id, strerror(errno));
		d->cancel[0] = d->cancel[1] = -1;
	}
	int rc = pthread_create(&d->thread, NULL, sm_tm_sender_main, d);
	if (rc) {
		sm_log_error(ch->comp, SM_TM_LOGGER,
			     "Cannot start the transaction marker sender for broker %d: %s", id,
			     strerror(rc));
		if (d->cancel[0] >= 0) {
			close(d->cancel[0]);
			close(d->cancel[1]);
		}
		pthread_cond_destroy(&d->cond);
		free(d->host);
		free(d);
		return NULL;
	}
	d->next = ch->dests;
	ch->dests = d;
	return d;
}

/* Takes what is queued for d into a request: items[] (one per transaction,
 * oldest first, one per producer id). Marks those parts INFLIGHT and takes
 * a reference on each transaction. Caller holds ch->lock. */
static size_t sm_tm_collect(sm_txn_marker_channel_t *ch, sm_tm_dest_t *d, sm_tm_item_t **itemsp)
{
	SM_ASSERT_HELD(&ch->lock);
	size_t n_items = 0, cap = 0, n_parts = 0;
	sm_tm_item_t *items = NULL;

	for (sm_tm_txn_t *t = ch->head; t && d->n_queued > 0 && n_parts < SM_TM_MAX_REQ_PARTS;
	     t = t->next) {
		size_t mine = 0;
		for (size_t i = 0; i < t->n_parts; i++)
			if (t->parts[i].state == SM_TM_QUEUED && t->parts[i].dest == d->id)
				mine++;
		if (!mine)
			continue;
		/* The answer is keyed by producer id: a second transaction of the
		 * same producer (a resend after a coordinator move) waits for the
		 * next request. */
		int dup = 0;
		for (size_t k = 0; k < n_items && !dup; k++)
			dup = items[k].txn->pid == t->pid;
		if (dup)
			continue;
		if (mine > SM_TM_MAX_REQ_PARTS - n_parts)
			mine = SM_TM_MAX_REQ_PARTS - n_parts;
		if (n_items == cap) {
			cap = cap ? cap * 2 : 8;
			items = sm_realloc(items, cap * sizeof(*items));
		}
		sm_tm_item_t *it = &items[n_items++];
		it->txn = t;
		it->idx = sm_calloc(mine, sizeof(size_t));
		it->n = 0;
		for (size_t i = 0; i < t->n_parts && it->n < mine; i++) {
			sm_tm_part_t *p = &t->parts[i];
			if (p->state != SM_TM_QUEUED || p->dest != d->id)
				continue;
			p->state = SM_TM_INFLIGHT;
			d->n_queued--;
			it->idx[it->n++] = i;
		}
		n_parts += it->n;
		t->refcnt++;
	}
	*itemsp = items;
	return n_items;
}

/* Encodes the request for items (no lock needed: the fields read never
 * change after send, and the parts are INFLIGHT, which only this thread
 * changes). */
static void sm_tm_encode(const sm_tm_item_t *items, size_t n_items, int16_t ver, sm_wbuf_t *w)
{
	sm_arena_t a;
	sm_write_txn_markers_req_t req;

	sm_arena_init(&a);
	sm_write_txn_markers_req_init(&req);
	req.markers = sm_arena_alloc(&a, n_items * sizeof(*req.markers));
	req.markers_cnt = (int32_t)n_items;
	for (size_t k = 0; k < n_items; k++) {
		const sm_tm_item_t *it = &items[k];
		const sm_tm_txn_t *t = it->txn;
		sm_write_txn_markers_req_marker_t *m = &req.markers[k];
		sm_write_txn_markers_req_marker_init(m);
		m->producer_id = t->pid;
		m->producer_epoch = t->epoch;
		m->transaction_result = t->commit;
		m->coordinator_epoch = t->coord_epoch;
		/* Parts are sorted by topic, so a topic's partitions are adjacent. */
		m->topics = sm_arena_alloc(&a, it->n * sizeof(*m->topics));
		m->topics_cnt = 0;
		for (size_t j = 0; j < it->n;) {
			const char *topic = t->parts[it->idx[j]].topic;
			size_t e = j;
			while (e < it->n && !strcmp(t->parts[it->idx[e]].topic, topic))
				e++;
			sm_write_txn_markers_req_topic_t *tp = &m->topics[m->topics_cnt++];
			sm_write_txn_markers_req_topic_init(tp);
			tp->name = (char *)topic;
			tp->partition_indexes = sm_arena_alloc(&a, (e - j) * sizeof(int32_t));
			tp->partition_indexes_cnt = (int32_t)(e - j);
			for (size_t q = j; q < e; q++)
				tp->partition_indexes[q - j] = t->parts[it->idx[q]].partition;
			j = e;
		}
	}
	sm_write_txn_markers_req_write(w, ver, &req);
	sm_arena_destroy(&a);
}

/* The response does not mention a partition (-1 is UNKNOWN_SERVER_ERROR). */
#define SM_TM_NO_RESULT 0x10000

/* The error the response gives for pid's topic-partition, or
 * SM_TM_NO_RESULT. */
static int sm_tm_find_error(const sm_write_txn_markers_resp_t *r, int64_t pid, const char *topic,
			    int32_t partition)
{
	for (int32_t i = 0; i < r->markers_cnt; i++) {
		const sm_write_txn_markers_resp_marker_t *m = &r->markers[i];
		if (m->producer_id != pid)
			continue;
		for (int32_t j = 0; j < m->topics_cnt; j++) {
			const sm_write_txn_markers_resp_topic_t *t = &m->topics[j];
			if (!t->name || strcmp(t->name, topic))
				continue;
			for (int32_t k = 0; k < t->partitions_cnt; k++)
				if (t->partitions[k].partition_index == partition)
					return t->partitions[k].error_code;
		}
	}
	return SM_TM_NO_RESULT;
}

static size_t sm_tm_resp_parts(const sm_write_txn_markers_resp_t *r)
{
	size_t n = 0;
	for (int32_t i = 0; i < r->markers_cnt; i++)
		for (int32_t j = 0; j < r->markers[i].topics_cnt; j++)
			n += (size_t)r->markers[i].topics[j].partitions_cnt;
	return n;
}

static size_t sm_tm_items_parts(const sm_tm_item_t *items, size_t n_items)
{
	size_t n = 0;
	for (size_t k = 0; k < n_items; k++)
		n += items[k].n;
	return n;
}

/* Every non-ended partition of the request back to UNROUTED. */
static void sm_tm_requeue_all(sm_txn_marker_channel_t *ch, sm_tm_item_t *items, size_t n_items,
			      int64_t at)
{
	for (size_t k = 0; k < n_items; k++) {
		sm_tm_txn_t *t = items[k].txn;
		if (t->ended)
			continue;
		for (size_t j = 0; j < items[k].n; j++)
			sm_tm_part_retry(ch, &t->parts[items[k].idx[j]], at);
	}
}

/* Applies one partition's answer. Caller holds ch->lock. */
static void sm_tm_apply(sm_txn_marker_channel_t *ch, sm_tm_dest_t *d, sm_tm_txn_t *t,
			sm_tm_part_t *p, int code, int64_t now)
{
	switch (code) {
	case SM_ERR_NONE:
		sm_tm_part_done(ch, t, p);
		break;
	case SM_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
	case SM_ERR_UNSUPPORTED_VERSION:
		sm_log_info(ch->comp, SM_TM_RESP_LOGGER,
			    "Sending producer %" PRId64 "'s transaction marker for partition %s-%d has "
			    "failed with %s. This partition will be removed from the set of partitions "
			    "waiting for completion", t->pid, p->topic, p->partition,
			    sm_err_name((sm_err_t)code));
		sm_tm_part_done(ch, t, p);
		break;
	case SM_ERR_UNKNOWN_TOPIC_OR_PARTITION:
	case SM_ERR_NOT_LEADER_OR_FOLLOWER:
	case SM_ERR_NOT_ENOUGH_REPLICAS:
	case SM_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
	case SM_ERR_REQUEST_TIMED_OUT:
	case SM_ERR_KAFKA_STORAGE_ERROR:
		sm_log_info(ch->comp, SM_TM_RESP_LOGGER,
			    "Sending producer %" PRId64 "'s transaction marker for partition %s-%d has "
			    "failed with error %s, retrying with current coordinator epoch %d", t->pid,
			    p->topic, p->partition, sm_err_name((sm_err_t)code), t->coord_epoch);
		sm_tm_part_retry(ch, p, now + SM_TM_RETRY_MS);
		break;
	case SM_ERR_INVALID_PRODUCER_EPOCH:
	case SM_ERR_TRANSACTION_COORDINATOR_FENCED:
		sm_log_info(ch->comp, SM_TM_RESP_LOGGER,
			    "Sending producer %" PRId64 "'s transaction marker for partition %s-%d has "
			    "permanently failed with error %s with the current coordinator epoch %d; "
			    "cancel sending any more transaction markers %s to the brokers", t->pid,
			    p->topic, p->partition, sm_err_name((sm_err_t)code), t->coord_epoch,
			    sm_tm_result(t));
		p->state = SM_TM_DONE;
		t->n_left--;
		sm_tm_end(ch, t, (sm_err_t)code);
		break;
	case SM_TM_NO_RESULT:
		sm_log_warn(ch->comp, SM_TM_RESP_LOGGER,
			    "WriteTxnMarkers response from broker %d has no result for producer %" PRId64
			    " partition %s-%d; retrying", d->id, t->pid, p->topic, p->partition);
		sm_tm_part_retry(ch, p, now + SM_TM_RETRY_MS);
		break;
	default:
		sm_log_error(ch->comp, SM_TM_RESP_LOGGER,
			     "Unexpected error %s (%d) from broker %d while sending producer %" PRId64
			     "'s transaction marker for partition %s-%d; retrying",
			     sm_err_name((sm_err_t)code), code, d->id, t->pid, p->topic, p->partition);
		sm_tm_part_retry(ch, p, now + SM_TM_BACKOFF_MAX_MS);
		break;
	}
}

/* Waits on d->cond until mono deadline or stop. Caller holds ch->lock. */
static void sm_tm_sleep(sm_txn_marker_channel_t *ch, sm_tm_dest_t *d, int64_t until)
{
	struct timespec ts;
	sm_tm_abstime(until, &ts);
	while (!ch->stop && sm_clock_mono_ms() < until &&
	       pthread_cond_timedwait(&d->cond, &ch->lock, &ts) != ETIMEDOUT)
		;
}

static void sm_tm_items_free(sm_txn_marker_channel_t *ch, sm_tm_item_t *items, size_t n)
{
	SM_ASSERT_HELD(&ch->lock);
	for (size_t k = 0; k < n; k++) {
		free(items[k].idx);
		sm_tm_txn_release(items[k].txn);
	}
	free(items);
}

static void *sm_tm_sender_main(void *arg)
{
	sm_tm_dest_t *d = arg;
	sm_txn_marker_channel_t *ch = d->ch;
	char name[16], cid[48];
	sm_net_client_t *nc = NULL;
	char *host = NULL; /* this thread's copy: the router may change d->host */
	int port = 0;
	sm_wbuf_t req, resp;
	int backoff = SM_TM_BACKOFF_MIN_MS;

	snprintf(name, sizeof(name), "txn-marker-%d", d->id);
	pthread_setname_np(pthread_self(), name);
	sm_thread_role_set(SM_ROLE_TXN_MARKER);
	snprintf(cid, sizeof(cid), "broker-%d-txn-marker-sender", ch->broker_id);
	sm_wbuf_init(&req, 256);
	sm_wbuf_init(&resp, 256);

	pthread_mutex_lock(&ch->lock);
	for (;;) {
		while (!ch->stop && d->n_queued == 0)
			pthread_cond_wait(&d->cond, &ch->lock);
		if (ch->stop)
			break;
		int reconnect = d->endpoint_changed || !nc;
		if (reconnect) {
			free(host);
			host = sm_strdup(d->host);
			port = d->port;
			d->endpoint_changed = 0;
		}
		sm_tm_item_t *items;
		size_t n_items = sm_tm_collect(ch, d, &items);
		if (n_items == 0) {
			/* Cannot happen while n_queued is right; never spin on it. */
			sm_log_error(ch->comp, SM_TM_LOGGER,
				     "Sender for broker %d found nothing of its %zu queued partitions",
				     d->id, d->n_queued);
			d->n_queued = 0;
			free(items);
			continue;
		}
		int16_t ver = ch->version;
		int timeout = ch->timeout_ms;
		pthread_mutex_unlock(&ch->lock);

		if (reconnect) {
			sm_net_client_destroy(nc);
			nc = sm_net_client_new(host, port);
			sm_net_client_use_interbroker_tls(nc);
			sm_net_client_set_client_id(nc, cid);
			sm_net_client_set_cancel_fd(nc, d->cancel[0]);
		}
		sm_wbuf_reset(&req);
		sm_tm_encode(items, n_items, ver, &req);
		int err = SM_ERR_NONE;
		if (!sm_net_client_is_connected(nc))
			err = sm_net_client_connect(nc, timeout < SM_TM_CONNECT_TIMEOUT_MS
							     ? timeout
							     : SM_TM_CONNECT_TIMEOUT_MS);
		/* The broker answers REQUEST_TIMED_OUT itself after
		 * request.timeout.ms; wait a little longer to hear it. */
		if (!err)
			err = sm_net_client_request(nc, SM_TM_API_KEY, ver, &req, ver >= 1, &resp,
						    timeout > INT_MAX - 1000 ? INT_MAX
									     : timeout + 1000);
		sm_arena_t a;
		sm_write_txn_markers_resp_t r;
		sm_arena_init(&a);
		sm_arena_set_budget(&a, SM_TM_RESP_ARENA_BASE + SM_TM_RESP_ARENA_PER_BYTE * resp.len);
		if (!err) {
			sm_rbuf_t rb;
			sm_rbuf_init(&rb, resp.p, resp.len);
			if (sm_write_txn_markers_resp_read(&rb, ver, &a, &r) < 0) {
				sm_log_warn(ch->comp, SM_TM_LOGGER,
					    "Malformed WriteTxnMarkers v%d response (%zu bytes) from "
					    "broker %d (%s:%d); reconnecting", ver, resp.len, d->id,
					    host, port);
				err = SM_ERR__PARSE;
			} else if (sm_tm_resp_parts(&r) > sm_tm_items_parts(items, n_items)) {
				/* Answers are looked up per requested partition: more
				 * results than questions is a broken peer, and would
				 * only make those lookups slow. */
				sm_log_warn(ch->comp, SM_TM_LOGGER,
					    "WriteTxnMarkers response from broker %d (%s:%d) has %zu "
					    "partition results for %zu requested; reconnecting",
					    d->id, host, port, sm_tm_resp_parts(&r),
					    sm_tm_items_parts(items, n_items));
				err = SM_ERR__PARSE;
			}
		} else if (err != SM_ERR__STATE) {
			sm_log_warn(ch->comp, SM_TM_LOGGER,
				    "Sending WriteTxnMarkers to broker %d (%s:%d) failed: %s (%s); "
				    "its partitions are requeued", d->id, host, port,
				    sm_net_client_last_error(nc), sm_err_name((sm_err_t)err));
		}

		pthread_mutex_lock(&ch->lock);
		int64_t now = sm_clock_mono_ms();
		if (err) {
			sm_net_client_close(nc);
			sm_tm_requeue_all(ch, items, n_items, now + backoff);
			sm_tm_items_free(ch, items, n_items);
			sm_arena_destroy(&a);
			if (ch->stop)
				break;
			sm_tm_sleep(ch, d, now + backoff);
			backoff = backoff * 2 > SM_TM_BACKOFF_MAX_MS ? SM_TM_BACKOFF_MAX_MS : backoff * 2;
			continue;
		}
		backoff = SM_TM_BACKOFF_MIN_MS;
		for (size_t k = 0; k < n_items; k++) {
			sm_tm_txn_t *t = items[k].txn;
			for (size_t j = 0; j < items[k].n && !t->ended; j++) {
				sm_tm_part_t *p = &t->parts[items[k].idx[j]];
				sm_tm_apply(ch, d, t, p,
					    sm_tm_find_error(&r, t->pid, p->topic, p->partition), now);
			}
		}
		sm_tm_items_free(ch, items, n_items);
		sm_arena_destroy(&a);
		/* The transactions this answer finished complete here (their
		 * CompleteCommit/CompleteAbort is written from the callback)
		 * instead of after one more hop through the router thread. */
		sm_tm_run_finished(ch);
	}
	pthread_mutex_unlock(&ch->lock);
	sm_net_client_destroy(nc);
	free(host);
	sm_wbuf_free(&req);
	sm_wbuf_free(&resp);
	return NULL;
}

/* ---- router ---- */

static int sm_tm_part_cmp(const void *a, const void *b)
{
	const sm_tm_part_t *x = a, *y = b;
	int c = strcmp(x->topic, y->topic);
	if (c)
		return c;
	return (x->partition > y->partition) - (x->partition < y->partition);
}

/* Looks every due UNROUTED partition up in s. Returns the earliest time a
 * partition is due again (INT64_MAX: none waiting). Caller holds ch->lock. */
static int64_t sm_tm_route(sm_txn_marker_channel_t *ch, const sm_mc_snapshot_t *s, int64_t now)
{
	SM_ASSERT_HELD(&ch->lock);
	int64_t next = INT64_MAX;
	sm_tm_txn_t *t = ch->head;

	while (t) {
		sm_tm_txn_t *tn = t->next; /* t may end below */
		for (size_t i = 0; i < t->n_parts && !t->ended; i++) {
			sm_tm_part_t *p = &t->parts[i];
			if (p->state != SM_TM_UNROUTED)
				continue;
			if (p->retry_at > now) {
				if (p->retry_at < next)
					next = p->retry_at;
				continue;
			}
			const sm_mc_partition_t *mp = sm_mc_partition(sm_mc_topic(s, p->topic),
								      p->partition);
			if (!mp) {
				sm_log_info(ch->comp, SM_TM_LOGGER,
					    "Couldn't find leader endpoint for partition %s-%d while "
					    "trying to send transaction markers for producer %" PRId64
					    ", the partition is likely deleted already and hence can be "
					    "skipped", p->topic, p->partition, t->pid);
				ch->n_unrouted--;
				sm_tm_part_done(ch, t, p);
				continue;
			}
			const sm_mc_broker_t *b = mp->leader >= 0 ? sm_mc_broker(s, mp->leader) : NULL;
			const sm_mc_endpoint_t *ep = b ? sm_mc_endpoint(b, ch->listener) : NULL;
			sm_tm_dest_t *d = ep ? sm_tm_dest_get(ch, mp->leader, ep->host, ep->port) : NULL;
			if (!d) {
				if (now + SM_TM_RECHECK_MS < next)
					next = now + SM_TM_RECHECK_MS;
				continue;
			}
			ch->n_unrouted--;
			p->state = SM_TM_QUEUED;
			p->dest = d->id;
			d->n_queued++;
			pthread_cond_signal(&d->cond);
		}
		t = tn;
	}
	return next;
}

/* Runs the callbacks of ended transactions. Called and returns with
 * ch->lock held; drops it around the callbacks. */
static void sm_tm_run_finished(sm_txn_marker_channel_t *ch)
{
	SM_ASSERT_HELD(&ch->lock);
	while (ch->fin_head) {
		sm_tm_txn_t *list = ch->fin_head;
		ch->fin_head = ch->fin_tail = NULL;
		ch->n_finished = 0;
		pthread_mutex_unlock(&ch->lock);
		for (sm_tm_txn_t *t = list; t; t = t->next)
			t->done(t->opaque, t->err);
		pthread_mutex_lock(&ch->lock);
		while (list) {
			sm_tm_txn_t *n = list->next;
			sm_tm_txn_release(list);
			list = n;
		}
	}
}

static void *sm_tm_router_main(void *arg)
{
	sm_txn_marker_channel_t *ch = arg;

	pthread_setname_np(pthread_self(), "txn-marker-route");
	sm_thread_role_set(SM_ROLE_TXN_MARKER);
	pthread_mutex_lock(&ch->lock);
	while (!ch->stop) {
		sm_tm_run_finished(ch);
		if (ch->stop)
			break;
		ch->kick = 0;
		int64_t next = INT64_MAX;
		if (ch->n_unrouted > 0) {
			sm_mc_snapshot_t *s = sm_metadata_cache_get(ch->mc);
			next = sm_tm_route(ch, s, sm_clock_mono_ms());
			sm_mc_snapshot_release(s);
		}
		if (ch->fin_head || ch->kick)
			continue;
		if (next == INT64_MAX) {
			while (!ch->stop && !ch->kick)
				pthread_cond_wait(&ch->cond, &ch->lock);
		} else {
			struct timespec ts;
			sm_tm_abstime(next, &ts);
			while (!ch->stop && !ch->kick &&
			       pthread_cond_timedwait(&ch->cond, &ch->lock, &ts) != ETIMEDOUT)
				;
		}
	}
	pthread_mutex_unlock(&ch->lock);
	return NULL;
}

/* Caller holds ch->lock. */
static void sm_tm_kick(sm_txn_marker_channel_t *ch)
{
	SM_ASSERT_HELD(&ch->lock);
	ch->kick = 1;
	pthread_cond_signal(&ch->cond);
	if (!ch->router_started && !ch->stop) {
		int rc = pthread_create(&ch->router, NULL, sm_tm_router_main, ch);
		if (rc)
			sm_log_error(ch->comp, SM_TM_LOGGER,
				     "Cannot start the transaction marker router: %s; retrying on "
				     "the next send", strerror(rc));
		else
			ch->router_started = 1;
	}
}

/* ---- API ---- */

sm_txn_marker_channel_t *sm_txn_marker_channel_new(int32_t broker_id, sm_metadata_cache_t *mc)
{
	sm_txn_marker_channel_t *ch = sm_calloc(1, sizeof(*ch));
	ch->broker_id = broker_id;
	ch->mc = mc;
	ch->listener = sm_strdup("PLAINTEXT");
	ch->version = 1;
	ch->timeout_ms = 30000;
	snprintf(ch->comp, sizeof(ch->comp), "Transaction Marker Channel Manager %d", broker_id);
	pthread_mutex_init(&ch->lock, NULL);
	sm_tm_cond_init(&ch->cond);
	return ch;
}

void sm_txn_marker_channel_configure(sm_txn_marker_channel_t *ch, const char *listener,
				     const char *ibp, int request_timeout_ms)
{
	pthread_mutex_lock(&ch->lock);
	if (listener) {
		free(ch->listener);
		ch->listener = sm_strdup(listener);
	}
	if (ibp)
		ch->version = sm_txn_marker_request_version(ibp);
	if (request_timeout_ms > 0)
		ch->timeout_ms = request_timeout_ms;
	pthread_mutex_unlock(&ch->lock);
}

void sm_txn_marker_channel_destroy(sm_txn_marker_channel_t *ch)
{
	if (!ch)
		return;
	pthread_mutex_lock(&ch->lock);
	ch->stop = 1;
	pthread_cond_broadcast(&ch->cond);
	for (sm_tm_dest_t *d = ch->dests; d; d = d->next)
		sm_tm_dest_wake(d);
	int router = ch->router_started;
	pthread_mutex_unlock(&ch->lock);
	if (router)
		pthread_join(ch->router, NULL);
	/* No lock: only this thread touches ch->dests now (the router is
	 * gone, and sm_txn_marker_channel_send adds nothing once stop is
	 * set). */
	for (sm_tm_dest_t *d = ch->dests; d; d = d->next)
		pthread_join(d->thread, NULL);
	pthread_mutex_lock(&ch->lock);
	while (ch->head)
		sm_tm_end(ch, ch->head, SM_ERR_NOT_COORDINATOR);
	sm_tm_run_finished(ch);
	pthread_mutex_unlock(&ch->lock);
	while (ch->dests) {
		sm_tm_dest_t *d = ch->dests;
		ch->dests = d->next;
		if (d->cancel[0] >= 0) {
			close(d->cancel[0]);
			close(d->cancel[1]);
		}
		pthread_cond_destroy(&d->cond);
		free(d->host);
		free(d);
	}
	pthread_cond_destroy(&ch->cond);
	pthread_mutex_destroy(&ch->lock);
	free(ch->listener);
	free(ch);
}

void sm_txn_marker_channel_send(sm_txn_marker_channel_t *ch, int64_t producer_id,
				int16_t producer_epoch, int32_t coordinator_epoch,
				int32_t txn_partition, int commit, const sm_txn_tp_t *tps,
				size_t n, sm_txn_markers_done_t *done, void *opaque)
{
	if (n == 0 || !tps) {
		done(opaque, SM_ERR_NONE);
		return;
	}
	sm_tm_txn_t *t = sm_calloc(1, sizeof(*t));
	t->refcnt = 1;
	t->pid = producer_id;
	t->epoch = producer_epoch;
	t->coord_epoch = coordinator_epoch;
	t->txn_partition = txn_partition;
	t->commit = !!commit;
	t->done = done;
	t->opaque = opaque;
	t->parts = sm_calloc(n, sizeof(*t->parts));
	for (size_t i = 0; i < n; i++) {
		t->parts[i].topic = sm_strdup(tps[i].topic ? tps[i].topic : "");
		t->parts[i].partition = tps[i].partition;
	}
	/* Sorted: duplicates go (the coordinator's partition set is a set) and
	 * a topic's partitions are adjacent when encoded. */
	qsort(t->parts, n, sizeof(*t->parts), sm_tm_part_cmp);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && !sm_tm_part_cmp(&t->parts[m - 1], &t->parts[i])) {
			free(t->parts[i].topic);
			continue;
		}
		t->parts[m++] = t->parts[i];
	}
	t->n_parts = t->n_left = m;
	for (size_t i = 0; i < m; i++)
		t->parts[i].state = SM_TM_UNROUTED;

	sm_mc_snapshot_t *s = sm_metadata_cache_get(ch->mc);
	pthread_mutex_lock(&ch->lock);
	if (ch->stop) {
		pthread_mutex_unlock(&ch->lock);
		sm_mc_snapshot_release(s);
		sm_tm_txn_free(t);
		done(opaque, SM_ERR_NOT_COORDINATOR);
		return;
	}
	t->prev = ch->tail;
	if (ch->tail)
		ch->tail->next = t;
	else
		ch->head = t;
	ch->tail = t;
	ch->n_active++;
	ch->n_unrouted += m;
	/* Routed here rather than by the router thread: a commit's markers
	 * reach their senders without waiting for one more thread to be
	 * scheduled. What finds no leader waits for the router's recheck. */
	sm_tm_route(ch, s, sm_clock_mono_ms());
	if (ch->n_unrouted > 0 || !ch->router_started)
		sm_tm_kick(ch);
	pthread_mutex_unlock(&ch->lock);
	sm_mc_snapshot_release(s);
}

void sm_txn_marker_channel_drop_epoch(sm_txn_marker_channel_t *ch, int32_t txn_partition,
				      int32_t coordinator_epoch)
{
	size_t dropped = 0;

	pthread_mutex_lock(&ch->lock);
	sm_tm_txn_t *t = ch->head;
	while (t) {
		sm_tm_txn_t *n = t->next;
		if (t->txn_partition == txn_partition && t->coord_epoch <= coordinator_epoch) {
			sm_tm_end(ch, t, SM_ERR_NOT_COORDINATOR);
			dropped++;
		}
		t = n;
	}
	if (dropped)
		sm_tm_kick(ch);
	pthread_mutex_unlock(&ch->lock);
	if (dropped)
		sm_log_info(ch->comp, SM_TM_LOGGER,
			    "Cancelled sending the transaction markers of %zu transaction(s) of "
			    "__transaction_state-%d with coordinator epoch up to %d", dropped,
			    txn_partition, coordinator_epoch);
}

void sm_txn_marker_channel_metadata_changed(sm_txn_marker_channel_t *ch)
{
	pthread_mutex_lock(&ch->lock);
	if (ch->router_started) {
		ch->kick = 1;
		pthread_cond_signal(&ch->cond);
	}
	pthread_mutex_unlock(&ch->lock);
}

size_t sm_txn_marker_channel_unknown_dest_count(sm_txn_marker_channel_t *ch)
{
	return SM_LOCKED_READ(&ch->lock, size_t, ch->n_unrouted);
}

/* Counts a transaction until its callback is about to run. */
size_t sm_txn_marker_channel_pending_count(sm_txn_marker_channel_t *ch)
{
	return SM_LOCKED_READ(&ch->lock, size_t, ch->n_active + ch->n_finished);
}
