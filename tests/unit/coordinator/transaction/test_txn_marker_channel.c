/*
 * test_txn_marker_channel.c - unit tests of the transaction marker channel
 * (src/coordinator/transaction/txn_marker_channel.c) against real TCP peers: small WriteTxnMarkers
 * servers running in threads of the test, one per "broker", that decode
 * each request with the generated codec, record every (producer, topic,
 * partition) they were asked for, and answer with scripted per-partition
 * errors (or misbehave on purpose: drop the connection, leave partitions
 * out, send garbage). The metadata cache is a real one fed UpdateMetadata
 * requests, so routing, leader moves and deleted topics go through the same
 * code as in the broker.
 */
#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../network/tcp_peer.h"
#include "buf.h"
#include "err.h"
#include "logger.h"
#include "metadata_cache.h"
#include "msg_update_metadata.h"
#include "msg_write_txn_markers.h"
#include "txn_marker_channel.h"

/* Generous bound on waits for the channel: failing, not pacing, the test. */
#define WAIT_MS 30000

/* ---- a WriteTxnMarkers server ---- */

enum { MODE_OK, MODE_CLOSE_FIRST, MODE_OMIT_FIRST, MODE_GARBAGE_FIRST, MODE_EXTRA_FIRST,
       MODE_SILENT };

#define SEEN_MAX 512
#define SCRIPT_MAX 8

typedef struct seen {
	int64_t pid;
	int16_t epoch;
	int32_t coord_epoch;
	int result;
	int16_t version;
	int hdr_ok;
	char topic[32];
	int32_t partition;
	int req_no;
} seen_t;

typedef struct script {
	char topic[32];
	int32_t partition;
	int16_t error;
	int count; /* answers left with error; -1 forever */
} script_t;

typedef struct srv {
	tp_peer_t peer; /* peer.lock also guards the rest */
	int mode;
	pthread_cond_t cond;
	int nreq;
	int dup_pid; /* a request carried one producer id twice */
	int nseen;
	seen_t seen[SEEN_MAX];
	int nscript;
	script_t script[SCRIPT_MAX];
} srv_t;

static void srv_send(int fd, sm_wbuf_t *w)
{
	ssize_t n = send(fd, w->p, w->len, MSG_NOSIGNAL);
	(void)n;
}

/* The scripted error for a partition (consuming one use). Lock held. */
static int16_t srv_error_for(srv_t *s, const char *topic, int32_t partition)
{
	for (int i = 0; i < s->nscript; i++) {
		script_t *sc = &s->script[i];
		if (sc->count == 0 || strcmp(sc->topic, topic) || sc->partition != partition)
			continue;
		if (sc->count > 0)
			sc->count--;
		return sc->error;
	}
	return 0;
}

/* Serves one request; -1 closes the connection. */
static int srv_serve_one(srv_t *s, int fd)
{
	uint32_t size;
	uint8_t *frame = tp_read_frame(&s->peer.stop, fd, &size);
	if (!frame)
		return -1;
	sm_rbuf_t rb;
	sm_arena_t a;
	sm_write_txn_markers_req_t req;
	sm_rbuf_init(&rb, frame, size);
	sm_arena_init(&a);
	int16_t key = sm_rbuf_i16(&rb);
	int16_t ver = sm_rbuf_i16(&rb);
	int32_t corr = sm_rbuf_i32(&rb);
	int16_t cl = sm_rbuf_i16(&rb);
	sm_rbuf_skip(&rb, cl > 0 ? (size_t)cl : 0);
	int hdr_ok = !rb.err && key == 27 && (ver == 0 || ver == 1);
	if (ver >= 1)
		hdr_ok = hdr_ok && sm_rbuf_i8(&rb) == 0 && !rb.err;
	int bad = !hdr_ok || sm_write_txn_markers_req_read(&rb, ver, &a, &req) < 0 ||
		  sm_rbuf_remaining(&rb) != 0;

	pthread_mutex_lock(&s->peer.lock);
	int req_no = s->nreq++;
	int mode = s->mode;
	sm_write_txn_markers_resp_t resp;
	sm_write_txn_markers_resp_init(&resp);
	if (!bad) {
		resp.markers_cnt = req.markers_cnt;
		resp.markers = sm_arena_alloc(&a, (size_t)req.markers_cnt * sizeof(*resp.markers) + 1);
	}
	for (int32_t i = 0; !bad && i < req.markers_cnt; i++) {
		const sm_write_txn_markers_req_marker_t *m = &req.markers[i];
		sm_write_txn_markers_resp_marker_t *rm = &resp.markers[i];
		for (int32_t j = 0; j < i; j++)
			if (req.markers[j].producer_id == m->producer_id)
				s->dup_pid = 1;
		rm->producer_id = m->producer_id;
		rm->topics_cnt = m->topics_cnt;
		rm->topics = sm_arena_alloc(&a, (size_t)m->topics_cnt * sizeof(*rm->topics) + 1);
		for (int32_t j = 0; j < m->topics_cnt; j++) {
			const sm_write_txn_markers_req_topic_t *t = &m->topics[j];
			sm_write_txn_markers_resp_topic_t *rt = &rm->topics[j];
			rt->name = t->name;
			rt->partitions_cnt = t->partition_indexes_cnt;
			/* Room for each partition twice (MODE_EXTRA_FIRST). */
			rt->partitions = sm_arena_alloc(&a, 2 * (size_t)t->partition_indexes_cnt *
								   sizeof(*rt->partitions) + 1);
			for (int32_t k = 0; k < t->partition_indexes_cnt; k++) {
				int32_t p = t->partition_indexes[k];
				rt->partitions[k].partition_index = p;
				rt->partitions[k].error_code = srv_error_for(s, t->name, p);
				if (s->nseen < SEEN_MAX) {
					seen_t *e = &s->seen[s->nseen++];
					e->pid = m->producer_id;
					e->epoch = m->producer_epoch;
					e->coord_epoch = m->coordinator_epoch;
					e->result = m->transaction_result;
					e->version = ver;
					e->hdr_ok = hdr_ok;
					snprintf(e->topic, sizeof(e->topic), "%s", t->name);
					e->partition = p;
					e->req_no = req_no;
				}
			}
			/* The first request answers every partition twice. */
			if (mode == MODE_EXTRA_FIRST && req_no == 0) {
				memcpy(rt->partitions + rt->partitions_cnt, rt->partitions,
				       (size_t)rt->partitions_cnt * sizeof(*rt->partitions));
				rt->partitions_cnt *= 2;
			}
			/* The first request's last partition goes unanswered. */
			if (mode == MODE_OMIT_FIRST && req_no == 0 && j == m->topics_cnt - 1)
				rt->partitions_cnt--;
		}
	}
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->peer.lock);
	free(frame);
	if (bad || (mode == MODE_CLOSE_FIRST && req_no == 0)) {
		sm_arena_destroy(&a);
		return -1;
	}
	if (mode == MODE_SILENT) { /* keeps the connection, never answers */
		sm_arena_destroy(&a);
		return 0;
	}
	sm_wbuf_t w;
	sm_wbuf_init(&w, 128);
	size_t at = sm_wbuf_reserve(&w, 4);
	sm_wbuf_i32(&w, corr);
	if (ver >= 1)
		sm_wbuf_i8(&w, 0);
	if (mode == MODE_GARBAGE_FIRST && req_no == 0)
		sm_wbuf_i32(&w, 0x7fffffff); /* a marker count no body can hold */
	else
		sm_write_txn_markers_resp_write(&w, ver, &resp);
	sm_wbuf_patch_i32(&w, at, (int32_t)(w.len - 4));
	srv_send(fd, &w);
	sm_wbuf_free(&w);
	sm_arena_destroy(&a);
	return 0;
}

static void srv_conn(void *arg, int fd)
{
	while (srv_serve_one(arg, fd) == 0)
		;
}

static srv_t *srv_start(int mode)
{
	srv_t *s = calloc(1, sizeof(*s));
	s->mode = mode;
	pthread_cond_init(&s->cond, NULL);
	tp_peer_start(&s->peer, srv_conn, s);
	return s;
}

static void srv_stop(srv_t *s)
{
	tp_peer_stop(&s->peer);
	pthread_cond_destroy(&s->cond);
	free(s);
}

static void srv_script(srv_t *s, const char *topic, int32_t partition, int16_t error, int count)
{
	pthread_mutex_lock(&s->peer.lock);
	script_t *sc = &s->script[s->nscript++];
	snprintf(sc->topic, sizeof(sc->topic), "%s", topic);
	sc->partition = partition;
	sc->error = error;
	sc->count = count;
	pthread_mutex_unlock(&s->peer.lock);
}

/* How many times s was asked for pid's topic-partition. */
static int srv_seen(srv_t *s, int64_t pid, const char *topic, int32_t partition)
{
	int n = 0;
	pthread_mutex_lock(&s->peer.lock);
	for (int i = 0; i < s->nseen; i++)
		if (s->seen[i].pid == pid && !strcmp(s->seen[i].topic, topic) &&
		    s->seen[i].partition == partition)
			n++;
	pthread_mutex_unlock(&s->peer.lock);
	return n;
}

typedef struct seen_q {
	srv_t *s;
	int64_t pid;
	const char *topic;
	int32_t partition;
	int n;
} seen_q_t;

static int seen_enough(void *arg)
{
	const seen_q_t *q = arg;
	return srv_seen(q->s, q->pid, q->topic, q->partition) >= q->n;
}

/* Waits until s was asked for the partition at least n times. */
static int srv_wait_seen(srv_t *s, int64_t pid, const char *topic, int32_t partition, int n)
{
	seen_q_t q = { s, pid, topic, partition, n };
	return tp_wait_until(seen_enough, &q, WAIT_MS);
}

/* ---- metadata ---- */

typedef struct mpart {
	const char *topic;
	int32_t partition;
	int32_t leader; /* -1 none, -2 deleted */
} mpart_t;

static int32_t mc_epoch;

/* Feeds mc an UpdateMetadata with the given live brokers (ids and ports
 * on 127.0.0.1, listener name listener) and partition states. */
static void mc_update(sm_metadata_cache_t *mc, const char *listener, const int32_t *ids,
		      const int *ports, int nb, const mpart_t *parts, int np)
{
	sm_update_metadata_req_t req;
	sm_update_metadata_req_live_broker_t lb[4];
	sm_update_metadata_req_endpoint_t ep[4];
	sm_update_metadata_req_partition_state_t ps[16];
	int32_t replicas[16];

	memset(&req, 0, sizeof(req));
	memset(lb, 0, sizeof(lb));
	memset(ep, 0, sizeof(ep));
	memset(ps, 0, sizeof(ps));
	req.controller_id = 1;
	req.controller_epoch = ++mc_epoch;
	for (int i = 0; i < nb; i++) {
		ep[i].host = "127.0.0.1";
		ep[i].port = ports[i];
		ep[i].listener = (char *)listener;
		lb[i].id = ids[i];
		lb[i].endpoints = &ep[i];
		lb[i].endpoints_cnt = 1;
	}
	req.live_brokers = lb;
	req.live_brokers_cnt = nb;
	for (int i = 0; i < np; i++) {
		replicas[i] = parts[i].leader;
		ps[i].topic_name = (char *)parts[i].topic;
		ps[i].partition_index = parts[i].partition;
		ps[i].controller_epoch = mc_epoch;
		ps[i].leader = parts[i].leader;
		ps[i].leader_epoch = mc_epoch;
		ps[i].isr = &replicas[i];
		ps[i].isr_cnt = parts[i].leader >= 0;
		ps[i].replicas = &replicas[i];
		ps[i].replicas_cnt = parts[i].leader >= 0;
	}
	req.ungrouped_partition_states = ps;
	req.ungrouped_partition_states_cnt = np;
	CU_ASSERT_EQUAL(sm_metadata_cache_update(mc, &req), SM_ERR_NONE);
}

/* ---- completion sink ---- */

typedef struct done {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int calls;
	sm_err_t err;
	char thread[16]; /* name of the thread the last call ran on */
} done_t;

static void done_init(done_t *d)
{
	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	d->err = (sm_err_t)-12345;
}

static void done_cb(void *opaque, sm_err_t e)
{
	done_t *d = opaque;
	char name[16] = "";
	pthread_getname_np(pthread_self(), name, sizeof(name));
	pthread_mutex_lock(&d->lock);
	d->calls++;
	d->err = e;
	memcpy(d->thread, name, sizeof(name));
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

static int done_calls(done_t *d)
{
	pthread_mutex_lock(&d->lock);
	int n = d->calls;
	pthread_mutex_unlock(&d->lock);
	return n;
}

/* Waits for the callback; returns its error, or -12345 if it never ran. */
static sm_err_t done_wait(done_t *d)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += WAIT_MS / 1000;
	pthread_mutex_lock(&d->lock);
	while (!d->calls && pthread_cond_timedwait(&d->cond, &d->lock, &ts) == 0)
		;
	sm_err_t e = d->err;
	pthread_mutex_unlock(&d->lock);
	return e;
}

static void done_destroy(done_t *d)
{
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
}

/* ---- fixture: brokers 1 and 2 ---- */

typedef struct fx {
	srv_t *a, *b;
	sm_metadata_cache_t *mc;
	sm_txn_marker_channel_t *ch;
	int32_t ids[2];
	int ports[2];
} fx_t;

static void fx_init(fx_t *f, int mode_a, int mode_b)
{
	f->a = srv_start(mode_a);
	f->b = srv_start(mode_b);
	f->ids[0] = 1;
	f->ids[1] = 2;
	f->ports[0] = f->a->peer.port;
	f->ports[1] = f->b->peer.port;
	f->mc = sm_metadata_cache_new(1);
	f->ch = sm_txn_marker_channel_new(1, f->mc);
}

static void fx_meta(fx_t *f, const mpart_t *parts, int np)
{
	mc_update(f->mc, "PLAINTEXT", f->ids, f->ports, 2, parts, np);
	sm_txn_marker_channel_metadata_changed(f->ch);
}

static void fx_destroy(fx_t *f)
{
	sm_txn_marker_channel_destroy(f->ch);
	sm_metadata_cache_destroy(f->mc);
	srv_stop(f->a);
	srv_stop(f->b);
}

static const mpart_t std_parts[] = {
	{ "t", 0, 1 }, { "t", 1, 2 }, { "t", 2, 1 }, { "u", 0, 2 },
};

/* ---- tests ---- */

static void test_request_version(void)
{
	CU_ASSERT_EQUAL(sm_txn_marker_request_version("2.8-IV1"), 1);
	CU_ASSERT_EQUAL(sm_txn_marker_request_version("2.8"), 1);
	CU_ASSERT_EQUAL(sm_txn_marker_request_version("3.0-IV0"), 1);
	CU_ASSERT_EQUAL(sm_txn_marker_request_version("2.7-IV2"), 0);
	CU_ASSERT_EQUAL(sm_txn_marker_request_version("0.11.0"), 0);
	CU_ASSERT_EQUAL(sm_txn_marker_request_version("1.1"), 0);
	CU_ASSERT_EQUAL(sm_txn_marker_request_version(NULL), 1);
}

/* Partitions go to their leaders, each once, duplicates merged; v1 with
 * the flexible header by default. */
static void test_grouping(void)
{
	fx_t f;
	done_t d;
	fx_init(&f, MODE_OK, MODE_OK);
	done_init(&d);
	fx_meta(&f, std_parts, 4);
	sm_txn_tp_t tps[] = { { "t", 0 }, { "u", 0 }, { "t", 1 }, { "t", 2 }, { "t", 0 } };
	sm_txn_marker_channel_send(f.ch, 1000, 7, 3, 11, 1, tps, 5, done_cb, &d);
	CU_ASSERT_EQUAL(done_wait(&d), SM_ERR_NONE);
	CU_ASSERT_EQUAL(done_calls(&d), 1);
	CU_ASSERT_EQUAL(srv_seen(f.a, 1000, "t", 0), 1);
	CU_ASSERT_EQUAL(srv_seen(f.a, 1000, "t", 2), 1);
	CU_ASSERT_EQUAL(srv_seen(f.a, 1000, "t", 1), 0);
	CU_ASSERT_EQUAL(srv_seen(f.a, 1000, "u", 0), 0);
	CU_ASSERT_EQUAL(srv_seen(f.b, 1000, "t", 1), 1);
	CU_ASSERT_EQUAL(srv_seen(f.b, 1000, "u", 0), 1);
	CU_ASSERT_EQUAL(srv_seen(f.b, 1000, "t", 0), 0);
	pthread_mutex_lock(&f.a->peer.lock);
	/* Both of broker 1's partitions in one request. */
	CU_ASSERT_EQUAL(f.a->nreq, 1);
	for (int i = 0; i < f.a->nseen; i++) {
		CU_ASSERT_EQUAL(f.a->seen[i].epoch, 7);
		CU_ASSERT_EQUAL(f.a->seen[i].coord_epoch, 3);
		CU_ASSERT_EQUAL(f.a->seen[i].result, 1);
		CU_ASSERT_EQUAL(f.a->seen[i].version, 1);
		CU_ASSERT(f.a->seen[i].hdr_ok);
	}
	pthread_mutex_unlock(&f.a->peer.lock);
	CU_ASSERT_EQUAL(sm_txn_marker_channel_pending_count(f.ch), 0);
	fx_destroy(&f);
	done_destroy(&d);
}

/* A finished transaction's callback runs on the sender that got its last
 * answer, not after a hop through the router thread: with one leader, on
 * that leader's sender; with two, on one of theirs. */
static void test_completes_on_sender(void)
{
	fx_t f;
	done_t d1, d2;
	fx_init(&f, MODE_OK, MODE_OK);
	done_init(&d1);
	done_init(&d2);
	fx_meta(&f, std_parts, 4);
	sm_txn_tp_t one[] = { { "t", 0 }, { "t", 2 } };
	sm_txn_marker_channel_send(f.ch, 1000, 0, 0, 0, 1, one, 2, done_cb, &d1);
	CU_ASSERT_EQUAL(done_wait(&d1), SM_ERR_NONE);
	CU_ASSERT_STRING_EQUAL(d1.thread, "txn-marker-1");
	sm_txn_tp_t two[] = { { "t", 0 }, { "t", 1 } };
	sm_txn_marker_channel_send(f.ch, 1001, 0, 0, 0, 1, two, 2, done_cb, &d2);
	CU_ASSERT_EQUAL(done_wait(&d2), SM_ERR_NONE);
	CU_ASSERT(!strcmp(d2.thread, "txn-marker-1") || !strcmp(d2.thread, "txn-marker-2"));
	CU_ASSERT_EQUAL(done_calls(&d1), 1);
	CU_ASSERT_EQUAL(done_calls(&d2), 1);
	fx_destroy(&f);
	done_destroy(&d1);
	done_destroy(&d2);
}

/* An empty transaction completes at once, on the caller's thread. */
static void test_empty(void)
{
	fx_t f;
	done_t d;
	fx_init(&f, MODE_OK, MODE_OK);
	done_init(&d);
	sm_txn_marker_channel_send(f.ch, 1, 0, 0, 0, 0, NULL, 0, done_cb, &d);
	CU_ASSERT_EQUAL(done_calls(&d), 1);
	CU_ASSERT_EQUAL(d.err, SM_ERR_NONE);
	fx_destroy(&f);
	done_destroy(&d);
}

/* Each retriable error puts the partition back until it succeeds. */
static void test_retriable(void)
{
	fx_t f;
	done_t d;
	fx_init(&f, MODE_OK, MODE_OK);
	done_init(&d);
	fx_meta(&f, std_parts, 4);
	srv_script(f.a, "t", 0, SM_ERR_NOT_LEADER_OR_FOLLOWER, 1);
	srv_script(f.a, "t", 0, SM_ERR_NOT_ENOUGH_REPLICAS, 1);
	srv_script(f.a, "t", 0, SM_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, 1);
	srv_script(f.a, "t", 2, SM_ERR_REQUEST_TIMED_OUT, 1);
	srv_script(f.a, "t", 2, SM_ERR_KAFKA_STORAGE_ERROR, 1);
	srv_script(f.b, "t", 1, SM_ERR_UNKNOWN_TOPIC_OR_PARTITION, 2);
	srv_script(f.b, "u", 0, -1 /* UNKNOWN_SERVER_ERROR: unexpected, retried */, 1);
	sm_txn_tp_t tps[] = { { "t", 0 }, { "t", 1 }, { "t", 2 }, { "u", 0 } };
	sm_txn_marker_channel_send(f.ch, 2000, 1, 0, 0, 0, tps, 4, done_cb, &d);
	CU_ASSERT_EQUAL(done_wait(&d), SM_ERR_NONE);
	CU_ASSERT_EQUAL(srv_seen(f.a, 2000, "t", 0), 4);
	CU_ASSERT_EQUAL(srv_seen(f.a, 2000, "t", 2), 3);
	CU_ASSERT_EQUAL(srv_seen(f.b, 2000, "t", 1), 3);
	CU_ASSERT_EQUAL(srv_seen(f.b, 2000, "u", 0), 2);
	pthread_mutex_lock(&f.a->peer.lock);
	for (int i = 0; i < f.a->nseen; i++)
		CU_ASSERT_EQUAL(f.a->seen[i].result, 0); /* abort */
	pthread_mutex_unlock(&f.a->peer.lock);
	fx_destroy(&f);
	done_destroy(&d);
}

/* NOT_LEADER_OR_FOLLOWER until the metadata names a new leader: the
 * partition then goes there. */
static void test_leader_moves(void)
{
	fx_t f;
	done_t d;
	fx_init(&f, MODE_OK, MODE_OK);
	done_init(&d);
	fx_meta(&f, std_parts, 4);
	srv_script(f.a, "t", 0, SM_ERR_NOT_LEADER_OR_FOLLOWER, -1);
	sm_txn_tp_t tps[] = { { "t", 0 } };
	sm_txn_marker_channel_send(f.ch, 3000, 1, 0, 0, 1, tps, 1, done_cb, &d);
	CU_ASSERT(srv_wait_seen(f.a, 3000, "t", 0, 2));
	CU_ASSERT_EQUAL(done_calls(&d), 0);
	mpart_t moved[] = { { "t", 0, 2 } };
	fx_meta(&f, moved, 1);
	CU_ASSERT_EQUAL(done_wait(&d), SM_ERR_NONE);
	CU_ASSERT_EQUAL(srv_seen(f.b, 3000, "t", 0), 1);
	fx_destroy(&f);
	done_destroy(&d);
}

/* No leader (or a leader without an endpoint on the inter-broker
 * listener): the partition waits, counted as unknown destination. */
static void test_unknown_leader(void)
{
	fx_t f;
	done_t d;
	fx_init(&f, MODE_OK, MODE_OK);
	done_init(&d);
	sm_txn_marker_channel_configure(f.ch, "INTERNAL", NULL, 0);
	mpart_t none[] = { { "t", 0, -1 }, { "t", 1, 2 } };
	mc_update(f.mc, "INTERNAL", f.ids, f.ports, 2, none, 2);
	sm_txn_tp_t tps[] = { { "t", 0 }, { "t", 1 } };
	sm_txn_marker_channel_send(f.ch, 4000, 1, 0, 0, 1, tps, 2, done_cb, &d);
	CU_ASSERT(srv_wait_seen(f.b, 4000, "t", 1, 1));
	CU_ASSERT_EQUAL(done_calls(&d), 0);
	CU_ASSERT_EQUAL(sm_txn_marker_channel_unknown_dest_count(f.ch), 1);
	CU_ASSERT_EQUAL(sm_txn_marker_channel_pending_count(f.ch), 1);
	/* A leader whose broker has no INTERNAL endpoint is no better. */
	mpart_t other_listener[] = { { "t", 0, 1 } };
	mc_update(f.mc, "PLAINTEXT", f.ids, f.ports, 2, other_listener, 1);
	sm_txn_marker_channel_metadata_changed(f.ch);
	CU_ASSERT_EQUAL(done_calls(&d), 0);
	mc_update(f.mc, "INTERNAL", f.ids, f.ports, 2, other_listener, 1);
	sm_txn_marker_channel_metadata_changed(f.ch);
	CU_ASSERT_EQUAL(done_wait(&d), SM_ERR_NONE);
	CU_ASSERT_EQUAL(srv_seen(f.a, 4000, "t", 0), 1);
	CU_ASSERT_EQUAL(sm_txn_marker_channel_unknown_dest_count(f.ch), 0);
	fx_destroy(&f);
	done_destroy(&d);
}

/* A partition the metadata no longer has is dropped: at once when
 * queued, and after UNKNOWN_TOPIC_OR_PARTITION once its topic is deleted. */
static void test_deleted_topic(void)
{
	fx_t f;
	done_t d;
	fx_init(&f, MODE_OK, MODE_OK);
	done_init(&d);
	fx_meta(&f, std_parts, 4);
	srv_script(f.b, "u", 0, SM_ERR_UNKNOWN_TOPIC_OR_PARTITION, -1);
	sm_txn_tp_t tps[] = { { "gone", 0 }, { "t", 0 }, { "t", 9 }, { "u", 0 } };
	sm_txn_marker_channel_send(f.ch, 5000, 1, 0, 0, 1, tps, 4, done_cb, &d);
	CU_ASSERT(srv_wait_seen(f.b, 5000, "u", 0, 2));
	CU_ASSERT(srv_wait_seen(f.a, 5000, "t", 0, 1));
	CU_ASSERT_EQUAL(done_calls(&d), 0);
	mpart_t del[] = { { "u", 0, -2 } };
	fx_meta(&f, del, 1);
	CU_ASSERT_EQUAL(done_wait(&d), SM_ERR_NONE);
	CU_ASSERT_EQUAL(srv_seen(f.a, 5000, "gone", 0) + srv_seen(f.b, 5000, "gone", 0), 0);
	CU_ASSERT_EQUAL(srv_seen(f.a, 5000, "t", 9) + srv_seen(f.b, 5000, "t", 9), 0);
	CU_ASSERT_EQUAL(srv_seen(f.a, 5000, "t", 0), 1);
	fx_destroy(&f);
	done_destroy(&d);
}

/* INVALID_PRODUCER_EPOCH / TRANSACTION_COORDINATOR_FENCED end the
 * transaction with that error; its callback runs once. */
static void test_fenced(void)
{
	static const int16_t codes[] = { SM_ERR_INVALID_PRODUCER_EPOCH,
					 SM_ERR_TRANSACTION_COORDINATOR_FENCED };
	for (int i = 0; i < 2; i++) {
		fx_t f;
		done_t d;
		fx_init(&f, MODE_OK, MODE_OK);
		done_init(&d);
		fx_meta(&f, std_parts, 4);
		srv_script(f.a, "t", 0, codes[i], -1);
		/* Broker 2 keeps refusing: only the fence can end it. */
		srv_script(f.b, "t", 1, SM_ERR_NOT_ENOUGH_REPLICAS, -1);
		sm_txn_tp_t tps[] = { { "t", 0 }, { "t", 1 } };
		sm_txn_marker_channel_send(f.ch, 6000 + i, 1, 0, 0, 1, tps, 2, done_cb, &d);
		CU_ASSERT_EQUAL(done_wait(&d), (sm_err_t)codes[i]);
		CU_ASSERT_EQUAL(srv_seen(f.a, 6000 + i, "t", 0), 1);
		CU_ASSERT_EQUAL(sm_txn_marker_channel_pending_count(f.ch), 0);
		CU_ASSERT_EQUAL(sm_txn_marker_channel_unknown_dest_count(f.ch), 0);
		fx_destroy(&f);
		CU_ASSERT_EQUAL(done_calls(&d), 1);
		done_destroy(&d);
	}
}

/* drop_epoch ends exactly the transactions of that __transaction_state
 * partition with a coordinator epoch up to the given one. */
static void test_drop_epoch(void)
{
	fx_t f;
	done_t d1, d2, d3;
	fx_init(&f, MODE_OK, MODE_OK);
	done_init(&d1);
	done_init(&d2);
	done_init(&d3);
	mpart_t none[] = { { "t", 0, -1 } };
	fx_meta(&f, none, 1);
	sm_txn_tp_t tps[] = { { "t", 0 } };
	sm_txn_marker_channel_send(f.ch, 7001, 1, 3, 7, 1, tps, 1, done_cb, &d1);
	sm_txn_marker_channel_send(f.ch, 7002, 1, 5, 7, 1, tps, 1, done_cb, &d2);
	sm_txn_marker_channel_send(f.ch, 7003, 1, 3, 8, 1, tps, 1, done_cb, &d3);
	sm_txn_marker_channel_drop_epoch(f.ch, 7, 2);
	sm_txn_marker_channel_drop_epoch(f.ch, 6, 9);
	CU_ASSERT_EQUAL(sm_txn_marker_channel_pending_count(f.ch), 3);
	sm_txn_marker_channel_drop_epoch(f.ch, 7, 4);
	CU_ASSERT_EQUAL(done_wait(&d1), SM_ERR_NOT_COORDINATOR);
	CU_ASSERT_EQUAL(done_calls(&d2), 0);
	CU_ASSERT_EQUAL(done_calls(&d3), 0);
	/* The others still complete once the leader is known. */
	fx_meta(&f, std_parts, 4);
	CU_ASSERT_EQUAL(done_wait(&d2), SM_ERR_NONE);
	CU_ASSERT_EQUAL(done_wait(&d3), SM_ERR_NONE);
	CU_ASSERT_EQUAL(srv_seen(f.a, 7001, "t", 0), 0);
	CU_ASSERT_EQUAL(done_calls(&d1), 1);
	fx_destroy(&f);
	done_destroy(&d1);
	done_destroy(&d2);
	done_destroy(&d3);
}

/* A dropped connection, a response leaving a partition out, a malformed
 * response and one with more results than partitions asked: each is
 * retried until answered. */
static void test_network_and_bad_responses(void)
{
	static const int modes[] = { MODE_CLOSE_FIRST, MODE_OMIT_FIRST, MODE_GARBAGE_FIRST,
				     MODE_EXTRA_FIRST };
	for (int i = 0; i < 4; i++) {
		fx_t f;
		done_t d;
		fx_init(&f, modes[i], MODE_OK);
		done_init(&d);
		fx_meta(&f, std_parts, 4);
		sm_txn_tp_t tps[] = { { "t", 0 }, { "t", 2 } };
		sm_txn_marker_channel_send(f.ch, 8000 + i, 1, 0, 0, 1, tps, 2, done_cb, &d);
		CU_ASSERT_EQUAL(done_wait(&d), SM_ERR_NONE);
		int a0 = srv_seen(f.a, 8000 + i, "t", 0), a2 = srv_seen(f.a, 8000 + i, "t", 2);
		if (modes[i] == MODE_OMIT_FIRST) {
			/* Only the unanswered partition (t-2, the last) is resent. */
			CU_ASSERT_EQUAL(a0, 1);
			CU_ASSERT_EQUAL(a2, 2);
		} else {
			CU_ASSERT_EQUAL(a0, 2);
			CU_ASSERT_EQUAL(a2, 2);
		}
		pthread_mutex_lock(&f.a->peer.lock);
		CU_ASSERT_EQUAL(f.a->peer.nconn, modes[i] == MODE_OMIT_FIRST ? 1 : 2);
		pthread_mutex_unlock(&f.a->peer.lock);
		fx_destroy(&f);
		done_destroy(&d);
	}
}

/* Nothing listening: the partition keeps being retried and the
 * transaction stays pending; destroy ends it with NOT_COORDINATOR. */
static void test_destroy_pending(void)
{
	fx_t f;
	done_t d1, d2;
	fx_init(&f, MODE_OK, MODE_OK);
	done_init(&d1);
	done_init(&d2);
	/* Broker 1's address: a port bound but never listening, so connects
	 * are refused and nothing else can take it meanwhile. */
	int hold = tp_bind(&f.ports[0]);
	CU_ASSERT_FATAL(hold >= 0);
	fx_meta(&f, std_parts, 4);
	sm_txn_tp_t tps1[] = { { "t", 0 } };
	sm_txn_tp_t tps2[] = { { "t", 1 } };
	srv_script(f.b, "t", 1, SM_ERR_NOT_ENOUGH_REPLICAS, -1);
	sm_txn_marker_channel_send(f.ch, 9001, 1, 0, 0, 1, tps1, 1, done_cb, &d1);
	sm_txn_marker_channel_send(f.ch, 9002, 1, 0, 0, 1, tps2, 1, done_cb, &d2);
	CU_ASSERT(srv_wait_seen(f.b, 9002, "t", 1, 2));
	CU_ASSERT_EQUAL(done_calls(&d1), 0);
	CU_ASSERT_EQUAL(done_calls(&d2), 0);
	sm_txn_marker_channel_destroy(f.ch);
	f.ch = sm_txn_marker_channel_new(1, f.mc);
	CU_ASSERT_EQUAL(done_calls(&d1), 1);
	CU_ASSERT_EQUAL(d1.err, SM_ERR_NOT_COORDINATOR);
	CU_ASSERT_EQUAL(done_calls(&d2), 1);
	CU_ASSERT_EQUAL(d2.err, SM_ERR_NOT_COORDINATOR);
	CU_ASSERT_EQUAL(srv_seen(f.a, 9001, "t", 0), 0);
	close(hold);
	fx_destroy(&f);
	done_destroy(&d1);
	done_destroy(&d2);
}

/* destroy cuts short a sender waiting for an answer that never comes
 * (with a 10-minute request timeout, only the cancel fd can end it). */
static void test_destroy_in_flight(void)
{
	fx_t f;
	done_t d;
	fx_init(&f, MODE_SILENT, MODE_OK);
	done_init(&d);
	sm_txn_marker_channel_configure(f.ch, NULL, NULL, 600000);
	fx_meta(&f, std_parts, 4);
	sm_txn_tp_t tps[] = { { "t", 0 } };
	sm_txn_marker_channel_send(f.ch, 9100, 1, 0, 0, 1, tps, 1, done_cb, &d);
	CU_ASSERT(srv_wait_seen(f.a, 9100, "t", 0, 1));
	sm_txn_marker_channel_destroy(f.ch);
	f.ch = sm_txn_marker_channel_new(1, f.mc);
	CU_ASSERT_EQUAL(done_calls(&d), 1);
	CU_ASSERT_EQUAL(d.err, SM_ERR_NOT_COORDINATOR);
	fx_destroy(&f);
	done_destroy(&d);
}

/* Many transactions, two of the same producer: all complete; a request
 * never carries one producer id twice; v0 when the IBP is below 2.8. */
static void test_many_and_v0(void)
{
	enum { N = 40 };
	fx_t f;
	done_t d[N];
	fx_init(&f, MODE_OK, MODE_OK);
	sm_txn_marker_channel_configure(f.ch, NULL, "2.7-IV2", 5000);
	fx_meta(&f, std_parts, 4);
	sm_txn_tp_t tps[] = { { "t", 0 }, { "t", 1 }, { "t", 2 }, { "u", 0 } };
	for (int i = 0; i < N; i++) {
		done_init(&d[i]);
		/* Producers 100..119, each twice. */
		sm_txn_marker_channel_send(f.ch, 100 + i % (N / 2), 1, 0, i % 3, i & 1, tps,
					   1 + (size_t)(i % 4), done_cb, &d[i]);
	}
	for (int i = 0; i < N; i++) {
		CU_ASSERT_EQUAL(done_wait(&d[i]), SM_ERR_NONE);
		CU_ASSERT_EQUAL(done_calls(&d[i]), 1);
	}
	pthread_mutex_lock(&f.a->peer.lock);
	CU_ASSERT_EQUAL(f.a->dup_pid, 0);
	for (int i = 0; i < f.a->nseen; i++) {
		CU_ASSERT_EQUAL(f.a->seen[i].version, 0);
		CU_ASSERT(f.a->seen[i].hdr_ok);
	}
	pthread_mutex_unlock(&f.a->peer.lock);
	pthread_mutex_lock(&f.b->peer.lock);
	CU_ASSERT_EQUAL(f.b->dup_pid, 0);
	pthread_mutex_unlock(&f.b->peer.lock);
	CU_ASSERT_EQUAL(sm_txn_marker_channel_pending_count(f.ch), 0);
	fx_destroy(&f);
	for (int i = 0; i < N; i++)
		done_destroy(&d[i]);
}

/* A callback may queue the next transaction (the coordinator resending). */
typedef struct chain {
	sm_txn_marker_channel_t *ch;
	done_t *next;
} chain_t;

static void chain_cb(void *opaque, sm_err_t e)
{
	chain_t *c = opaque;
	static sm_txn_tp_t tps[] = { { "u", 0 } };
	if (e == SM_ERR_NONE)
		sm_txn_marker_channel_send(c->ch, 11, 1, 0, 0, 1, tps, 1, done_cb, c->next);
}

static void test_callback_sends(void)
{
	fx_t f;
	done_t d;
	fx_init(&f, MODE_OK, MODE_OK);
	done_init(&d);
	fx_meta(&f, std_parts, 4);
	chain_t c = { f.ch, &d };
	sm_txn_tp_t tps[] = { { "t", 0 } };
	sm_txn_marker_channel_send(f.ch, 10, 1, 0, 0, 1, tps, 1, (sm_txn_markers_done_t *)chain_cb,
				   &c);
	CU_ASSERT_EQUAL(done_wait(&d), SM_ERR_NONE);
	CU_ASSERT_EQUAL(srv_seen(f.b, 11, "u", 0), 1);
	fx_destroy(&f);
	done_destroy(&d);
}

int main(void)
{
	sm_logger_init(NULL, SM_LOG_FATAL, 0); /* expected errors stay quiet */
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("txn_marker_channel", NULL, NULL);
	CU_add_test(s, "request version from IBP", test_request_version);
	CU_add_test(s, "partitions grouped by leader", test_grouping);
	CU_add_test(s, "completes on the sender", test_completes_on_sender);
	CU_add_test(s, "empty transaction", test_empty);
	CU_add_test(s, "retriable errors requeue", test_retriable);
	CU_add_test(s, "leader moves", test_leader_moves);
	CU_add_test(s, "unknown leader waits", test_unknown_leader);
	CU_add_test(s, "deleted topic dropped", test_deleted_topic);
	CU_add_test(s, "fenced ends the transaction", test_fenced);
	CU_add_test(s, "drop_epoch", test_drop_epoch);
	CU_add_test(s, "network and bad responses", test_network_and_bad_responses);
	CU_add_test(s, "destroy with pending", test_destroy_pending);
	CU_add_test(s, "destroy with a request in flight", test_destroy_in_flight);
	CU_add_test(s, "many transactions, v0", test_many_and_v0);
	CU_add_test(s, "callback sends again", test_callback_sends);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
