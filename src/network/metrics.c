/*
 * metrics.c - the metric registry and its Prometheus text rendering
 * (metrics.h, docs/metrics.md).
 *
 * Counters are plain uint64_t updated with relaxed atomic adds: a scrape
 * may see one counter a little ahead of another, which Prometheus
 * tolerates, and the hot path pays one uncontended-in-the-common-case
 * atomic add per update, never a lock.
 */
#include "metrics.h"

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "protocol.h"

#include <event2/buffer.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <dirent.h>
#include <unistd.h>
#include <stdio.h>
#include <stddef.h>

#define SM_METRICS_APIS SM_API__COUNT
#define SM_METRICS_VERS 32

/* Request total time buckets, milliseconds (Kafka's TotalTimeMs unit). */
static const int64_t sm_metrics_le_ms[] = { 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500,
					    5000, 10000, 30000 };
#define SM_METRICS_NLE (int)(sizeof(sm_metrics_le_ms) / sizeof(sm_metrics_le_ms[0]))

typedef struct sm_metrics_topic {
	struct sm_metrics_topic *next; /* published with a release store */
	char *name;
	uint64_t messages_in, bytes_in, bytes_out, bytes_rejected;
	uint64_t produce_reqs, produce_failed, fetch_reqs, fetch_failed;
} sm_metrics_topic_t;

#define SM_METRICS_TOPIC_BUCKETS 1024

/* A histogram per API with TotalTimeMs's buckets. */
typedef struct sm_metrics_hist {
	uint64_t bucket[SM_METRICS_APIS][SM_METRICS_NLE]; /* not cumulative */
	uint64_t count[SM_METRICS_APIS];
	uint64_t sum_ms[SM_METRICS_APIS];
} sm_metrics_hist_t;

static struct {
	uint64_t requests[SM_METRICS_APIS][SM_METRICS_VERS];
	sm_metrics_hist_t total; /* TotalTimeMs */
	/* broker-wide totals (the label-less series) */
	sm_metrics_topic_t all;
	sm_metrics_topic_t *topics[SM_METRICS_TOPIC_BUCKETS];
	uint64_t n_topics;
	pthread_mutex_t insert_lock;
	pthread_mutex_t gauge_lock;
	sm_metrics_gauge_fn *gauge_fn;
	void *gauge_opaque;
	uint64_t isr_shrinks, isr_expands;
	uint64_t zk_bucket[SM_METRICS_NLE]; /* not cumulative */
	uint64_t zk_count, zk_sum_ms, zk_expires, zk_disconnects;
} sm_m = { .insert_lock = PTHREAD_MUTEX_INITIALIZER, .gauge_lock = PTHREAD_MUTEX_INITIALIZER };

#define ADD(var, n) __atomic_fetch_add(&(var), (uint64_t)(n), __ATOMIC_RELAXED)
#define GET(var) __atomic_load_n(&(var), __ATOMIC_RELAXED)

void sm_metrics_set_gauge_source(sm_metrics_gauge_fn *fn, void *opaque)
{
	pthread_mutex_lock(&sm_m.gauge_lock);
	sm_m.gauge_fn = fn;
	sm_m.gauge_opaque = opaque;
	pthread_mutex_unlock(&sm_m.gauge_lock);
}

void sm_metrics_request(int16_t api_key, int16_t ver)
{
	if (api_key < 0 || api_key >= SM_METRICS_APIS || ver < 0 || ver >= SM_METRICS_VERS)
		return;
	ADD(sm_m.requests[api_key][ver], 1);
}

static void sm_metrics_hist_add(sm_metrics_hist_t *h, int k, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	int b = 0;
	while (b < SM_METRICS_NLE && ms > sm_metrics_le_ms[b])
		b++;
	if (b < SM_METRICS_NLE)
		ADD(h->bucket[k][b], 1);
	ADD(h->sum_ms[k], ms);
	/* Last, so that a scrape never sees a count above its +Inf bucket
	 * by more than the requests finishing right now. */
	ADD(h->count[k], 1);
}

void sm_metrics_request_done(int16_t api_key, int64_t total_ms)
{
	if (api_key < 0 || api_key >= SM_METRICS_APIS)
		return;
	sm_metrics_hist_add(&sm_m.total, api_key, total_ms);
}

/* ---- request phase histograms (RequestQueueTimeMs ... ResponseSendTimeMs) ----
 * One histogram per phase and API with TotalTimeMs's buckets: five bucket
 * adds, five sums and five counts per request, all relaxed, made by the
 * network thread that finished the request. */
static sm_metrics_hist_t sm_metrics_phase[SM_METRICS_PH__COUNT];

static const struct {
	const char *name, *help;
} sm_metrics_phase_names[SM_METRICS_PH__COUNT] = {
	{ "kafka_network_requestmetrics_requestqueuetimems",
	  "Milliseconds a request waited in the request queue for a handler thread (RequestQueueTimeMs)" },
	{ "kafka_network_requestmetrics_localtimems",
	  "Milliseconds a request was processed by its handler thread (LocalTimeMs)" },
	{ "kafka_network_requestmetrics_remotetimems",
	  "Milliseconds a request waited in a purgatory, 0 if it was answered at once (RemoteTimeMs)" },
	{ "kafka_network_requestmetrics_responsequeuetimems",
	  "Milliseconds a response waited for its network thread (ResponseQueueTimeMs)" },
	{ "kafka_network_requestmetrics_responsesendtimems",
	  "Milliseconds from a network thread taking a response to its last byte being written (ResponseSendTimeMs)" },
};


void sm_metrics_request_phases(int16_t api_key, const int64_t ms[SM_METRICS_PH__COUNT])
{
	if (api_key < 0 || api_key >= SM_METRICS_APIS)
		return;
	for (int p = 0; p < SM_METRICS_PH__COUNT; p++)
		sm_metrics_hist_add(&sm_metrics_phase[p], api_key, ms[p]);
}

/* ---- ErrorsPerSec ----
 * Per API and error code (-1 .. SM_METRICS_ERRS - 2; a code Samsa does not
 * know counts as UNKNOWN_SERVER_ERROR, as Kafka's Errors.forCode maps it):
 * one relaxed add per distinct code in a response. */
#define SM_METRICS_ERRS 128
static uint64_t sm_metrics_errors[SM_METRICS_APIS][SM_METRICS_ERRS];

void sm_metrics_request_errors(int16_t api_key, const int16_t *codes, const uint32_t *counts, int n)
{
	if (api_key < 0 || api_key >= SM_METRICS_APIS)
		return;
	for (int i = 0; i < n; i++) {
		int c = codes[i];
		if (c < -1 || c > SM_METRICS_ERRS - 2 || !strcmp(sm_err_name((sm_err_t)c), "UNKNOWN"))
			c = SM_ERR_UNKNOWN_SERVER_ERROR;
		ADD(sm_metrics_errors[api_key][c + 1], counts[i]);
	}
}

/* ---- thread idle ratios ----
 * A request handler's idle time is its time blocked waiting for a request:
 * two stores per request, no lock. The scrape adds a wait in progress, so a
 * thread idle for a whole interval counts as idle at once. A network
 * thread blocks inside libevent, which (2.1) has no hook around its poll,
 * so its busy time is its CPU time (CLOCK_THREAD_CPUTIME_ID read from the
 * scraping thread through the thread's CPU clock id): idle is 1 - cpu/wall,
 * with nothing added to the network loop. */
typedef struct sm_metrics_idle_slot {
	int live;
	pthread_t owner;    /* a retiring thread leaves a slot its successor
			     * may already hold: only the owner clears it */
	int64_t start_ns;   /* when this thread registered */
	clockid_t cid;      /* network: the thread's CPU clock */
	int64_t idle_ns;    /* handler: finished waits */
	int64_t wait_since; /* handler: start of the wait in progress, or 0 */
	/* scrape side, under sm_metrics_idle_lock */
	int64_t seen_start, prev_at, prev_val;
	double prev_frac;
} sm_metrics_idle_slot_t;

static sm_metrics_idle_slot_t sm_metrics_idle[SM_METRICS_POOL__COUNT][SM_METRICS_IDLE_SLOTS];
static pthread_mutex_t sm_metrics_idle_lock = PTHREAD_MUTEX_INITIALIZER;

static int64_t sm_metrics_ns(clockid_t c)
{
	struct timespec ts;
	if (clock_gettime(c, &ts) != 0)
		return -1;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void sm_metrics_thread_register(int pool, int slot)
{
	if (pool < 0 || pool >= SM_METRICS_POOL__COUNT || slot < 0 || slot >= SM_METRICS_IDLE_SLOTS)
		return;
	sm_metrics_idle_slot_t *t = &sm_metrics_idle[pool][slot];
	clockid_t cid = CLOCK_THREAD_CPUTIME_ID;
	if (pool == SM_METRICS_POOL_NETWORK && pthread_getcpuclockid(pthread_self(), &cid) != 0)
		return;
	pthread_mutex_lock(&sm_metrics_idle_lock);
	t->cid = cid;
	t->owner = pthread_self();
	t->start_ns = sm_clock_mono_ns();
	__atomic_store_n(&t->idle_ns, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&t->wait_since, 0, __ATOMIC_RELAXED);
	t->live = 1;
	pthread_mutex_unlock(&sm_metrics_idle_lock);
}

void sm_metrics_thread_unregister(int pool, int slot)
{
	if (pool < 0 || pool >= SM_METRICS_POOL__COUNT || slot < 0 || slot >= SM_METRICS_IDLE_SLOTS)
		return;
	sm_metrics_idle_slot_t *t = &sm_metrics_idle[pool][slot];
	pthread_mutex_lock(&sm_metrics_idle_lock);
	if (t->live && pthread_equal(t->owner, pthread_self()))
		t->live = 0;
	pthread_mutex_unlock(&sm_metrics_idle_lock);
}

void sm_metrics_handler_wait(int slot, int waiting, int64_t now_ns)
{
	if (slot < 0 || slot >= SM_METRICS_IDLE_SLOTS)
		return;
	sm_metrics_idle_slot_t *t = &sm_metrics_idle[SM_METRICS_POOL_HANDLER][slot];
	if (waiting) {
		/* still waiting after a receive timeout: the wait goes on */
		if (__atomic_load_n(&t->wait_since, __ATOMIC_RELAXED))
			return;
		__atomic_store_n(&t->wait_since, now_ns > 0 ? now_ns : 1, __ATOMIC_RELEASE);
		return;
	}
	int64_t since = __atomic_load_n(&t->wait_since, __ATOMIC_RELAXED);
	if (!since)
		return;
	/* Cleared before the total grows: a scrape that sees the new total
	 * sees no wait in progress, so a wait is never counted twice. */
	__atomic_store_n(&t->wait_since, 0, __ATOMIC_RELAXED);
	__atomic_fetch_add(&t->idle_ns, now_ns > since ? now_ns - since : 0, __ATOMIC_RELEASE);
}

/* The pool's average idle fraction since the previous scrape, or -1 when
 * no thread of it is live. */
static double sm_metrics_pool_idle(int pool)
{
	double sum = 0;
	int n = 0;
	pthread_mutex_lock(&sm_metrics_idle_lock);
	int64_t now = sm_clock_mono_ns();
	for (int i = 0; i < SM_METRICS_IDLE_SLOTS; i++) {
		sm_metrics_idle_slot_t *t = &sm_metrics_idle[pool][i];
		if (!t->live)
			continue;
		int64_t val; /* idle ns (handler) or CPU ns (network) */
		if (pool == SM_METRICS_POOL_HANDLER) {
			val = __atomic_load_n(&t->idle_ns, __ATOMIC_ACQUIRE);
			int64_t since = __atomic_load_n(&t->wait_since, __ATOMIC_ACQUIRE);
			if (since && now > since)
				val += now - since;
		} else {
			val = sm_metrics_ns(t->cid);
			if (val < 0)
				continue; /* the thread is leaving */
		}
		if (t->seen_start != t->start_ns) {
			/* a thread new in this slot: measured from its start */
			t->seen_start = t->start_ns;
			t->prev_at = t->start_ns;
			t->prev_val = 0;
			t->prev_frac = 1;
		}
		int64_t wall = now - t->prev_at, d = val - t->prev_val;
		if (wall > 0) {
			double f = (double)d / (double)wall;
			if (pool == SM_METRICS_POOL_NETWORK)
				f = 1 - f;
			t->prev_frac = f < 0 ? 0 : f > 1 ? 1 : f;
			t->prev_at = now;
			t->prev_val = val;
		}
		sum += t->prev_frac;
		n++;
	}
	pthread_mutex_unlock(&sm_metrics_idle_lock);
	return n ? sum / n : -1;
}

void sm_metrics_isr_change(int shrink)
{
	if (shrink)
		ADD(sm_m.isr_shrinks, 1);
	else
		ADD(sm_m.isr_expands, 1);
}

void sm_metrics_zk_request(int64_t ms)
{
	if (ms < 0)
		ms = 0;
	int b = 0;
	while (b < SM_METRICS_NLE && ms > sm_metrics_le_ms[b])
		b++;
	if (b < SM_METRICS_NLE)
		ADD(sm_m.zk_bucket[b], 1);
	ADD(sm_m.zk_sum_ms, ms);
	ADD(sm_m.zk_count, 1); /* last, as in sm_metrics_request_done */
}

void sm_metrics_zk_session(int expired)
{
	if (expired)
		ADD(sm_m.zk_expires, 1);
	else
		ADD(sm_m.zk_disconnects, 1);
}

void sm_metrics_add_log(sm_metrics_gauges_t *g, const char *topic, int32_t partition,
			int64_t size, int64_t start_offset, int64_t end_offset, int64_t segments)
{
	if (g->nlogs == g->logs_cap) {
		g->logs_cap = g->logs_cap ? g->logs_cap * 2 : 64;
		g->logs = sm_realloc(g->logs, (size_t)g->logs_cap * sizeof(*g->logs));
	}
	sm_metrics_log_t *lg = &g->logs[g->nlogs++];
	lg->topic = sm_strdup(topic);
	lg->partition = partition;
	lg->size = size;
	lg->start_offset = start_offset;
	lg->end_offset = end_offset;
	lg->segments = segments;
}

static uint32_t sm_metrics_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* The entry of a topic already seen, or NULL; lock-free. */
static sm_metrics_topic_t *sm_metrics_topic_find(const char *name)
{
	if (!name)
		return NULL;
	uint32_t b = sm_metrics_hash(name) % SM_METRICS_TOPIC_BUCKETS;
	for (sm_metrics_topic_t *t = __atomic_load_n(&sm_m.topics[b], __ATOMIC_ACQUIRE); t;
	     t = __atomic_load_n(&t->next, __ATOMIC_ACQUIRE))
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

/* Finds or creates; lock-free on every call but a topic's first. Only
 * called for partitions this broker served without error, so the table
 * holds topics hosted here, never names a client made up. */
static sm_metrics_topic_t *sm_metrics_topic(const char *name)
{
	if (!name)
		return NULL;
	sm_metrics_topic_t *found = sm_metrics_topic_find(name);
	if (found)
		return found;
	uint32_t b = sm_metrics_hash(name) % SM_METRICS_TOPIC_BUCKETS;
	pthread_mutex_lock(&sm_m.insert_lock);
	sm_metrics_topic_t *t = sm_m.topics[b];
	for (; t; t = t->next)
		if (!strcmp(t->name, name))
			break;
	if (!t) {
		t = sm_calloc(1, sizeof(*t));
		t->name = sm_strdup(name);
		t->next = sm_m.topics[b];
		__atomic_store_n(&sm_m.topics[b], t, __ATOMIC_RELEASE);
		sm_m.n_topics++;
	}
	pthread_mutex_unlock(&sm_m.insert_lock);
	return t;
}

void sm_metrics_produce(const char *topic, int64_t messages, int64_t bytes)
{
	sm_metrics_topic_t *t = sm_metrics_topic(topic);
	if (messages < 0)
		messages = 0;
	if (bytes < 0)
		bytes = 0;
	ADD(sm_m.all.messages_in, messages);
	ADD(sm_m.all.bytes_in, bytes);
	if (t) {
		ADD(t->messages_in, messages);
		ADD(t->bytes_in, bytes);
	}
}

void sm_metrics_bytes_rejected(const char *topic, int64_t bytes)
{
	if (bytes <= 0)
		return;
	sm_metrics_topic_t *t = sm_metrics_topic(topic);
	ADD(sm_m.all.bytes_rejected, bytes);
	if (t)
		ADD(t->bytes_rejected, bytes);
}

void sm_metrics_fetch_out(const char *topic, int64_t bytes)
{
	if (bytes <= 0)
		return;
	sm_metrics_topic_t *t = sm_metrics_topic(topic);
	ADD(sm_m.all.bytes_out, bytes);
	if (t)
		ADD(t->bytes_out, bytes);
}

/* A failed partition may name a topic that does not exist: it is counted
 * per topic only if the topic is already known. */
void sm_metrics_produce_partition(const char *topic, int failed)
{
	sm_metrics_topic_t *t = failed ? sm_metrics_topic_find(topic) : sm_metrics_topic(topic);
	ADD(sm_m.all.produce_reqs, 1);
	if (failed)
		ADD(sm_m.all.produce_failed, 1);
	if (t) {
		ADD(t->produce_reqs, 1);
		if (failed)
			ADD(t->produce_failed, 1);
	}
}

void sm_metrics_fetch_partition(const char *topic, int failed)
{
	sm_metrics_topic_t *t = failed ? sm_metrics_topic_find(topic) : sm_metrics_topic(topic);
	ADD(sm_m.all.fetch_reqs, 1);
	if (failed)
		ADD(sm_m.all.fetch_failed, 1);
	if (t) {
		ADD(t->fetch_reqs, 1);
		if (failed)
			ADD(t->fetch_failed, 1);
	}
}

/* ---- rendering ---- */

/* The text is built line by line in a local buffer and handed to the
 * evbuffer once per line, with the numbers converted by hand: a scrape
 * formats a few hundred lines, and evbuffer_add_printf (vsnprintf plus an
 * evbuffer call for every piece) was most of its cost. */
typedef struct sm_mx_line {
	struct evbuffer *o;
	size_t n;
	char b[1024];
} sm_mx_line_t;

static void sm_mx_flush(sm_mx_line_t *l)
{
	if (l->n)
		evbuffer_add(l->o, l->b, l->n);
	l->n = 0;
}

static void sm_mx_mem(sm_mx_line_t *l, const char *s, size_t k)
{
	if (k > sizeof(l->b) - l->n) {
		/* only an oversized label (a client's topic name) gets here */
		sm_mx_flush(l);
		if (k > sizeof(l->b)) {
			evbuffer_add(l->o, s, k);
			return;
		}
	}
	memcpy(l->b + l->n, s, k);
	l->n += k;
}

static void sm_mx_str(sm_mx_line_t *l, const char *s)
{
	sm_mx_mem(l, s, strlen(s));
}

static void sm_mx_u64(sm_mx_line_t *l, uint64_t v)
{
	char d[24];
	size_t i = sizeof(d);
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sm_mx_mem(l, d + i, sizeof(d) - i);
}

static void sm_mx_i64(sm_mx_line_t *l, int64_t v)
{
	if (v < 0) {
		sm_mx_mem(l, "-", 1);
		sm_mx_u64(l, (uint64_t)0 - (uint64_t)v);
	} else {
		sm_mx_u64(l, (uint64_t)v);
	}
}

/* "name value\n" */
static void sm_mx_sample(sm_mx_line_t *l, const char *name, uint64_t v)
{
	sm_mx_str(l, name);
	sm_mx_mem(l, " ", 1);
	sm_mx_u64(l, v);
	sm_mx_mem(l, "\n", 1);
	sm_mx_flush(l);
}

static void sm_metrics_head(sm_mx_line_t *l, const char *name, const char *type, const char *help)
{
	sm_mx_str(l, "# HELP ");
	sm_mx_str(l, name);
	sm_mx_mem(l, " ", 1);
	sm_mx_str(l, help);
	sm_mx_str(l, "\n# TYPE ");
	sm_mx_str(l, name);
	sm_mx_mem(l, " ", 1);
	sm_mx_str(l, type);
	sm_mx_mem(l, "\n", 1);
	sm_mx_flush(l);
}

/* Label values escaped as the text format requires. */
static void sm_metrics_label(sm_mx_line_t *l, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"') {
			char e[2] = { '\\', *v };
			sm_mx_mem(l, e, 2);
		} else if (*v == '\n') {
			sm_mx_mem(l, "\\n", 2);
		} else {
			sm_mx_mem(l, v, 1);
		}
	}
}

static int sm_metrics_topic_cmp(const void *a, const void *b)
{
	return strcmp((*(sm_metrics_topic_t *const *)a)->name, (*(sm_metrics_topic_t *const *)b)->name);
}

typedef struct {
	const char *name, *help;
	size_t off;
} sm_metrics_topic_counter_t;

#define TOFF(f) offsetof(sm_metrics_topic_t, f)
static const sm_metrics_topic_counter_t sm_metrics_topic_counters[] = {
	{ "kafka_server_brokertopicmetrics_messagesin_total",
	  "Records appended as leader from client produce requests (MessagesInPerSec)", TOFF(messages_in) },
	{ "kafka_server_brokertopicmetrics_bytesin_total",
	  "Bytes of record batches appended from client produce requests (BytesInPerSec)", TOFF(bytes_in) },
	{ "kafka_server_brokertopicmetrics_bytesrejected_total",
	  "Bytes of produce requests refused for a batch over max.message.bytes (BytesRejectedPerSec)",
	  TOFF(bytes_rejected) },
	{ "kafka_server_brokertopicmetrics_bytesout_total",
	  "Record bytes sent in consumer fetch responses (BytesOutPerSec)", TOFF(bytes_out) },
	{ "kafka_server_brokertopicmetrics_totalproducerequests_total",
	  "Partitions in produce requests (TotalProduceRequestsPerSec)", TOFF(produce_reqs) },
	{ "kafka_server_brokertopicmetrics_failedproducerequests_total",
	  "Partitions in produce requests that failed (FailedProduceRequestsPerSec)", TOFF(produce_failed) },
	{ "kafka_server_brokertopicmetrics_totalfetchrequests_total",
	  "Partitions in consumer fetch requests (TotalFetchRequestsPerSec)", TOFF(fetch_reqs) },
	{ "kafka_server_brokertopicmetrics_failedfetchrequests_total",
	  "Partitions in consumer fetch requests that failed (FailedFetchRequestsPerSec)", TOFF(fetch_failed) },
};

static void sm_metrics_render_topics(sm_mx_line_t *l)
{
	pthread_mutex_lock(&sm_m.insert_lock);
	size_t n = (size_t)sm_m.n_topics, i = 0;
	sm_metrics_topic_t **v = sm_calloc(n ? n : 1, sizeof(*v));
	for (int b = 0; b < SM_METRICS_TOPIC_BUCKETS; b++)
		for (sm_metrics_topic_t *t = sm_m.topics[b]; t && i < n; t = t->next)
			v[i++] = t;
	pthread_mutex_unlock(&sm_m.insert_lock);
	/* Entries are never freed, so they are safe to read unlocked. */
	qsort(v, i, sizeof(*v), sm_metrics_topic_cmp);
	for (size_t c = 0; c < sizeof(sm_metrics_topic_counters) / sizeof(sm_metrics_topic_counters[0]); c++) {
		const sm_metrics_topic_counter_t *tc = &sm_metrics_topic_counters[c];
		sm_metrics_head(l, tc->name, "counter", tc->help);
		sm_mx_sample(l, tc->name, GET(*(uint64_t *)((char *)&sm_m.all + tc->off)));
		for (size_t k = 0; k < i; k++) {
			sm_mx_str(l, tc->name);
			sm_mx_str(l, "{topic=\"");
			sm_metrics_label(l, v[k]->name);
			sm_mx_str(l, "\"} ");
			sm_mx_u64(l, GET(*(uint64_t *)((char *)v[k] + tc->off)));
			sm_mx_mem(l, "\n", 1);
			sm_mx_flush(l);
		}
	}
	free(v);
}

/* name_suffix{request="r"<more>} */
static void sm_mx_request(sm_mx_line_t *l, const char *n, const char *suffix, const char *r)
{
	sm_mx_str(l, n);
	sm_mx_str(l, suffix);
	sm_mx_str(l, "{request=\"");
	sm_mx_str(l, r);
	sm_mx_mem(l, "\"", 1);
}

static void sm_metrics_render_hist(sm_mx_line_t *l, const char *n, const char *help,
				   const sm_metrics_hist_t *h);

static void sm_metrics_render_requests(sm_mx_line_t *l)
{
	const char *n = "kafka_network_requestmetrics_requests_total";
	sm_metrics_head(l, n, "counter", "Requests received, by API and version (RequestsPerSec)");
	for (int k = 0; k < SM_METRICS_APIS; k++)
		for (int v = 0; v < SM_METRICS_VERS; v++) {
			uint64_t c = GET(sm_m.requests[k][v]);
			if (!c)
				continue;
			sm_mx_request(l, n, "", sm_proto_api_name((int16_t)k));
			sm_mx_str(l, ",version=\"");
			sm_mx_i64(l, v);
			sm_mx_str(l, "\"} ");
			sm_mx_u64(l, c);
			sm_mx_mem(l, "\n", 1);
			sm_mx_flush(l);
		}
	sm_metrics_render_hist(l, "kafka_network_requestmetrics_totaltimems",
			       "Milliseconds from a request's arrival to its response being queued for sending (TotalTimeMs)",
			       &sm_m.total);
}

static void sm_metrics_render_hist(sm_mx_line_t *l, const char *n, const char *help,
				   const sm_metrics_hist_t *h)
{
	sm_metrics_head(l, n, "histogram", help);
	for (int k = 0; k < SM_METRICS_APIS; k++) {
		uint64_t count = GET(h->count[k]);
		if (!count)
			continue;
		const char *r = sm_proto_api_name((int16_t)k);
		uint64_t cum = 0;
		for (int b = 0; b < SM_METRICS_NLE; b++) {
			cum += GET(h->bucket[k][b]);
			sm_mx_request(l, n, "_bucket", r);
			sm_mx_str(l, ",le=\"");
			sm_mx_i64(l, sm_metrics_le_ms[b]);
			sm_mx_str(l, "\"} ");
			sm_mx_u64(l, cum);
			sm_mx_mem(l, "\n", 1);
			sm_mx_flush(l);
		}
		if (count < cum)
			count = cum;
		sm_mx_request(l, n, "_bucket", r);
		sm_mx_str(l, ",le=\"+Inf\"} ");
		sm_mx_u64(l, count);
		sm_mx_mem(l, "\n", 1);
		sm_mx_request(l, n, "_sum", r);
		sm_mx_str(l, "} ");
		sm_mx_u64(l, GET(h->sum_ms[k]));
		sm_mx_mem(l, "\n", 1);
		sm_mx_request(l, n, "_count", r);
		sm_mx_str(l, "} ");
		sm_mx_u64(l, count);
		sm_mx_mem(l, "\n", 1);
		sm_mx_flush(l);
	}
}

static void sm_mx_double(sm_mx_line_t *l, double v);

static void sm_metrics_render_idle(sm_mx_line_t *l)
{
	static const char *const names[SM_METRICS_POOL__COUNT] = {
		"kafka_network_socketserver_networkprocessoravgidlepercent",
		"kafka_server_kafkarequesthandlerpool_requesthandleravgidlepercent",
	};
	static const char *const helps[SM_METRICS_POOL__COUNT] = {
		"Average fraction of time the network threads were idle since the previous scrape, 0..1 (NetworkProcessorAvgIdlePercent)",
		"Average fraction of time the request handler threads were idle since the previous scrape, 0..1 (RequestHandlerAvgIdlePercent)",
	};
	for (int p = 0; p < SM_METRICS_POOL__COUNT; p++) {
		double v = sm_metrics_pool_idle(p);
		if (v < 0)
			continue;
		sm_metrics_head(l, names[p], "gauge", helps[p]);
		sm_mx_str(l, names[p]);
		sm_mx_mem(l, " ", 1);
		sm_mx_double(l, v);
		sm_mx_mem(l, "\n", 1);
		sm_mx_flush(l);
	}
}

static void sm_metrics_render_errors(sm_mx_line_t *l)
{
	const char *n = "kafka_network_requestmetrics_errors_total";
	sm_metrics_head(l, n, "counter",
			"Error codes in responses, by API and error, NONE included (ErrorsPerSec)");
	for (int k = 0; k < SM_METRICS_APIS; k++)
		for (int e = 0; e < SM_METRICS_ERRS; e++) {
			uint64_t c = GET(sm_metrics_errors[k][e]);
			if (!c)
				continue;
			sm_mx_request(l, n, "", sm_proto_api_name((int16_t)k));
			sm_mx_str(l, ",error=\"");
			sm_mx_str(l, sm_err_name((sm_err_t)(e - 1)));
			sm_mx_str(l, "\"} ");
			sm_mx_u64(l, c);
			sm_mx_mem(l, "\n", 1);
			sm_mx_flush(l);
		}
}

static void sm_metrics_render_phases(sm_mx_line_t *l)
{
	for (int p = 0; p < SM_METRICS_PH__COUNT; p++)
		sm_metrics_render_hist(l, sm_metrics_phase_names[p].name, sm_metrics_phase_names[p].help,
				       &sm_metrics_phase[p]);
}

static void sm_metrics_gauge(sm_mx_line_t *l, const char *name, const char *help, int64_t v)
{
	sm_metrics_head(l, name, "gauge", help);
	sm_mx_str(l, name);
	sm_mx_mem(l, " ", 1);
	sm_mx_i64(l, v);
	sm_mx_mem(l, "\n", 1);
	sm_mx_flush(l);
}

/* A double as the text format writes it (NaN for Kafka's empty Avg). */
static void sm_mx_double(sm_mx_line_t *l, double v)
{
	char d[40];
	int k = isnan(v) ? snprintf(d, sizeof(d), "NaN") : snprintf(d, sizeof(d), "%.10g", v);
	sm_mx_mem(l, d, k > 0 && (size_t)k < sizeof(d) ? (size_t)k : 0);
}

/* Client quota sensors as the JMX exporter's quota rules name them:
 * kafka_server_quota_<attribute> with resource, user and clientId labels
 * (a tag Kafka leaves empty is absent from the MBean name, so its label
 * is absent too; a sensor with neither tag matches no quota rule and is
 * left out). which: 0 byte-rate (Produce, Fetch), 1 request-time
 * (Request), 2 mutation-rate and 3 tokens (ControllerMutation; tokens only
 * where a quota keeps a bucket), 4 throttle-time (all). */
#define SM_METRICS_QUOTA_FAMILIES 5
static void sm_metrics_render_quota_family(sm_mx_line_t *l, const sm_metrics_gauges_t *g,
					   int which)
{
	static const char *const names[SM_METRICS_QUOTA_FAMILIES] = {
		"kafka_server_quota_byte_rate", "kafka_server_quota_request_time",
		"kafka_server_quota_mutation_rate", "kafka_server_quota_tokens",
		"kafka_server_quota_throttle_time"
	};
	static const char *const helps[SM_METRICS_QUOTA_FAMILIES] = {
		"Bytes per second a quota entity produces or fetches, over the quota window",
		"Request handler time a quota entity uses, in percent of one thread",
		"Partitions per second a quota entity creates or deletes, over the controller quota window",
		"Tokens left in a quota entity's controller mutation token bucket",
		"Average throttle time given to a quota entity over the quota window, ms"
	};
	int head = 0;
	for (int i = 0; i < g->nquotas; i++) {
		const sm_metrics_quota_t *q = &g->quotas[i];
		int kind = !strcmp(q->resource, "Request") ? 1 :
			   !strcmp(q->resource, "ControllerMutation") ? 2 : 0;
		if (!*q->user && !*q->client)
			continue;
		if (which < 4 && kind != (which == 3 ? 2 : which))
			continue;
		if (which == 3 && isnan(q->tokens))
			continue;
		if (!head++)
			sm_metrics_head(l, names[which], "gauge", helps[which]);
		sm_mx_str(l, names[which]);
		sm_mx_str(l, "{resource=\"");
		sm_mx_str(l, q->resource);
		if (*q->user) {
			sm_mx_str(l, "\",user=\"");
			sm_metrics_label(l, q->user);
		}
		if (*q->client) {
			sm_mx_str(l, "\",clientId=\"");
			sm_metrics_label(l, q->client);
		}
		sm_mx_str(l, "\"} ");
		sm_mx_double(l, which == 4 ? q->throttle_ms : which == 3 ? q->tokens : q->value);
		sm_mx_mem(l, "\n", 1);
		sm_mx_flush(l);
	}
}

static void sm_metrics_counter(sm_mx_line_t *l, const char *name, const char *help, uint64_t v)
{
	sm_metrics_head(l, name, "counter", help);
	sm_mx_str(l, name);
	sm_mx_mem(l, " ", 1);
	sm_mx_u64(l, v);
	sm_mx_mem(l, "\n", 1);
	sm_mx_flush(l);
}

/* ReplicaManager ISR meters and the KafkaController / ControllerStats
 * series. LeaderElectionRateAndTimeMs is a Kafka timer; the exporter makes
 * its Count kafka_..._count, which Prometheus expects of a summary, so it
 * is one (no quantiles: _sum in ms and _count). */
static void sm_metrics_render_replica_controller(sm_mx_line_t *l, const sm_metrics_gauges_t *g)
{
	sm_metrics_counter(l, "kafka_server_replicamanager_isrshrinks_total",
			   "Times this broker as leader shrank a partition's ISR", GET(sm_m.isr_shrinks));
	sm_metrics_counter(l, "kafka_server_replicamanager_isrexpands_total",
			   "Times this broker as leader expanded a partition's ISR", GET(sm_m.isr_expands));
	sm_metrics_gauge(l, "kafka_controller_kafkacontroller_preferredreplicaimbalancecount",
			 "Partitions whose leader is not their preferred replica (controller only)",
			 g->preferred_imbalance);
	sm_metrics_counter(l, "kafka_controller_controllerstats_uncleanleaderelections_total",
			   "Unclean leader elections made by this broker as controller",
			   (uint64_t)g->unclean_elections);
	const char *n = "kafka_controller_controllerstats_leaderelectionrateandtimems";
	sm_metrics_head(l, n, "summary",
			"Broker change events handled by this broker as controller (leader elections), ms");
	sm_mx_str(l, n);
	sm_mx_str(l, "_sum ");
	sm_mx_i64(l, g->election_ms_sum);
	sm_mx_mem(l, "\n", 1);
	sm_mx_str(l, n);
	sm_mx_str(l, "_count ");
	sm_mx_i64(l, g->election_count);
	sm_mx_mem(l, "\n", 1);
	sm_mx_flush(l);
}

/* ZooKeeperRequestLatencyMs as a histogram with the request time's
 * buckets, and the session listener's meters. */
static void sm_metrics_render_zk(sm_mx_line_t *l)
{
	const char *n = "kafka_server_zookeeperclientmetrics_zookeeperrequestlatencyms";
	sm_metrics_head(l, n, "histogram", "ZooKeeper request round trips, ms");
	uint64_t count = GET(sm_m.zk_count), cum = 0;
	for (int b = 0; b < SM_METRICS_NLE; b++) {
		cum += GET(sm_m.zk_bucket[b]);
		sm_mx_str(l, n);
		sm_mx_str(l, "_bucket{le=\"");
		sm_mx_i64(l, sm_metrics_le_ms[b]);
		sm_mx_str(l, "\"} ");
		sm_mx_u64(l, cum);
		sm_mx_mem(l, "\n", 1);
		sm_mx_flush(l);
	}
	if (count < cum)
		count = cum;
	sm_mx_str(l, n);
	sm_mx_str(l, "_bucket{le=\"+Inf\"} ");
	sm_mx_u64(l, count);
	sm_mx_mem(l, "\n", 1);
	sm_mx_str(l, n);
	sm_mx_str(l, "_sum ");
	sm_mx_u64(l, GET(sm_m.zk_sum_ms));
	sm_mx_mem(l, "\n", 1);
	sm_mx_str(l, n);
	sm_mx_str(l, "_count ");
	sm_mx_u64(l, count);
	sm_mx_mem(l, "\n", 1);
	sm_mx_flush(l);
	sm_metrics_counter(l, "kafka_server_sessionexpirelistener_zookeeperexpires_total",
			   "ZooKeeper sessions of this broker that expired", GET(sm_m.zk_expires));
	sm_metrics_counter(l, "kafka_server_sessionexpirelistener_zookeeperdisconnects_total",
			   "Times a connected ZooKeeper session lost its connection",
			   GET(sm_m.zk_disconnects));
}

/* The group coordinator's GroupMetadataManager gauges. */
static void sm_metrics_render_groups(sm_mx_line_t *l, const sm_metrics_gauges_t *g)
{
	static const char *const states[5] = { "empty", "preparingrebalance",
						"completingrebalance", "stable", "dead" };
	static const char *const helps[5] = {
		"Groups in state Empty", "Groups in state PreparingRebalance",
		"Groups in state CompletingRebalance", "Groups in state Stable",
		"Groups in state Dead"
	};
	const char *p = "kafka_coordinator_group_groupmetadatamanager_";
	char n[96];
	snprintf(n, sizeof(n), "%snumgroups", p);
	sm_metrics_gauge(l, n, "Groups this broker coordinates", g->num_groups);
	snprintf(n, sizeof(n), "%snumoffsets", p);
	sm_metrics_gauge(l, n, "Committed offsets of the groups this broker coordinates",
			 g->num_offsets);
	for (int i = 0; i < 5; i++) {
		snprintf(n, sizeof(n), "%snumgroups%s", p, states[i]);
		sm_metrics_gauge(l, n, helps[i], g->groups_by_state[i]);
	}
}

/* kafka_log_log_<name>{topic,partition}, one family at a time as the
 * text format wants (which: 0 size, 1 start, 2 end offset, 3 segments). */
static void sm_metrics_render_logs(sm_mx_line_t *l, const sm_metrics_gauges_t *g)
{
	static const char *const names[4] = {
		"kafka_log_log_size", "kafka_log_log_logstartoffset", "kafka_log_log_logendoffset",
		"kafka_log_log_numlogsegments"
	};
	static const char *const helps[4] = {
		"Bytes in a hosted partition's log segments", "A hosted partition's log start offset",
		"A hosted partition's log end offset", "Segments of a hosted partition's log"
	};
	if (!g->nlogs)
		return;
	for (int w = 0; w < 4; w++) {
		sm_metrics_head(l, names[w], "gauge", helps[w]);
		for (int i = 0; i < g->nlogs; i++) {
			const sm_metrics_log_t *lg = &g->logs[i];
			sm_mx_str(l, names[w]);
			sm_mx_str(l, "{topic=\"");
			sm_metrics_label(l, lg->topic);
			sm_mx_str(l, "\",partition=\"");
			sm_mx_i64(l, lg->partition);
			sm_mx_str(l, "\"} ");
			sm_mx_i64(l, w == 0 ? lg->size : w == 1 ? lg->start_offset :
				  w == 2 ? lg->end_offset : lg->segments);
			sm_mx_mem(l, "\n", 1);
			sm_mx_flush(l);
		}
	}
}

static void sm_metrics_render_gauges(sm_mx_line_t *l)
{
	sm_metrics_gauges_t g;
	memset(&g, 0, sizeof(g));
	pthread_mutex_lock(&sm_m.gauge_lock);
	if (sm_m.gauge_fn)
		sm_m.gauge_fn(sm_m.gauge_opaque, &g);
	pthread_mutex_unlock(&sm_m.gauge_lock);
	sm_metrics_gauge(l, "kafka_server_replicamanager_partitioncount",
			 "Partitions hosted by this broker", g.partition_count);
	sm_metrics_gauge(l, "kafka_server_replicamanager_leadercount",
			 "Partitions this broker leads", g.leader_count);
	sm_metrics_gauge(l, "kafka_server_replicamanager_underreplicatedpartitions",
			 "Led partitions whose ISR is smaller than their replica set", g.under_replicated);
	sm_metrics_gauge(l, "kafka_server_replicamanager_underminisrpartitioncount",
			 "Led partitions whose ISR is smaller than min.insync.replicas", g.under_min_isr);
	sm_metrics_gauge(l, "kafka_server_replicamanager_atminisrpartitioncount",
			 "Led partitions whose ISR size equals min.insync.replicas", g.at_min_isr);
	sm_metrics_gauge(l, "kafka_server_replicamanager_offlinereplicacount",
			 "Hosted partitions whose log directory is offline", g.offline_replicas);
	sm_metrics_gauge(l, "kafka_controller_kafkacontroller_activecontrollercount",
			 "1 on the active controller, 0 elsewhere", g.active_controller);
	sm_metrics_gauge(l, "kafka_controller_kafkacontroller_offlinepartitionscount",
			 "Partitions without an online leader (controller only)", g.offline_partitions);
	sm_metrics_gauge(l, "kafka_controller_kafkacontroller_globaltopiccount",
			 "Topics in the cluster (controller only)", g.global_topic_count);
	sm_metrics_gauge(l, "kafka_controller_kafkacontroller_globalpartitioncount",
			 "Partitions in the cluster (controller only)", g.global_partition_count);
	sm_metrics_render_replica_controller(l, &g);
	sm_metrics_render_groups(l, &g);
	for (int w = 0; w < SM_METRICS_QUOTA_FAMILIES; w++)
		sm_metrics_render_quota_family(l, &g, w);
	for (int i = 0; i < g.nquotas; i++) {
		free(g.quotas[i].user);
		free(g.quotas[i].client);
	}
	free(g.quotas);
	sm_metrics_render_logs(l, &g);
	for (int i = 0; i < g.nlogs; i++)
		free(g.logs[i].topic);
	free(g.logs);
}

/* process_* as the Prometheus client libraries define them, from /proc. */
static void sm_metrics_render_process(sm_mx_line_t *l)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		double s = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
			   ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
		sm_metrics_head(l, "process_cpu_seconds_total", "counter",
				"Total user and system CPU time spent in seconds.");
		char v[64];
		int k = snprintf(v, sizeof(v), "process_cpu_seconds_total %.6f\n", s);
		sm_mx_mem(l, v, k > 0 && (size_t)k < sizeof(v) ? (size_t)k : 0);
		sm_mx_flush(l);
	}
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		unsigned long long size, rss;
		if (fscanf(f, "%llu %llu", &size, &rss) == 2) {
			long page = sysconf(_SC_PAGESIZE);
			sm_metrics_gauge(l, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
					 (int64_t)(size * (unsigned long long)page));
			sm_metrics_gauge(l, "process_resident_memory_bytes", "Resident memory size in bytes.",
					 (int64_t)(rss * (unsigned long long)page));
		}
		fclose(f);
	}
	DIR *d = opendir("/proc/self/fd");
	if (d) {
		int64_t n = 0;
		struct dirent *de;
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				n++;
		closedir(d);
		/* The directory handle itself is one of them. */
		sm_metrics_gauge(l, "process_open_fds", "Number of open file descriptors.", n - 1);
	}
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		sm_metrics_gauge(l, "process_max_fds", "Maximum number of open file descriptors.",
				 (int64_t)rl.rlim_cur);
}

void sm_metrics_render(struct evbuffer *out)
{
	sm_mx_line_t *l = sm_malloc(sizeof(*l));
	l->o = out;
	l->n = 0;
	sm_metrics_render_topics(l);
	sm_metrics_render_requests(l);
	sm_metrics_render_phases(l);
	sm_metrics_render_idle(l);
	sm_metrics_render_errors(l);
	sm_metrics_render_gauges(l);
	sm_metrics_render_zk(l);
	sm_metrics_render_process(l);
	sm_mx_flush(l);
	free(l);
}
