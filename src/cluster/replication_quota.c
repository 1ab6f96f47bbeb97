/*
 * replication_quota.c - replication throttles (Kafka's
 * ReplicationQuotaManager over a sampled Rate); see replication_quota.h.
 *
 * The rate is Kafka's: the bytes of the samples still inside
 * samples x window, divided by the time since the oldest sample started,
 * but never by less than samples - 1 whole windows (so a quiet quota does
 * not read as a huge rate after its first fetch).
 */
#include "replication_quota.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"

#define SM_RQ_MAX_SAMPLES 1000

typedef struct sm_rq_sample {
	int64_t start_ms; /* 0: unused */
	int64_t bytes;
} sm_rq_sample_t;

struct sm_repl_quota {
	int64_t bound; /* atomic; INT64_MAX unbounded */
	pthread_mutex_t lock;
	int n;
	int64_t window_ms;
	int cur;
	sm_rq_sample_t *s;
};

sm_repl_quota_t *sm_repl_quota_new(int samples, int window_s)
{
	sm_repl_quota_t *q = sm_calloc(1, sizeof(*q));
	if (samples < 1)
		samples = 1;
	if (samples > SM_RQ_MAX_SAMPLES)
		samples = SM_RQ_MAX_SAMPLES;
	if (window_s < 1)
		window_s = 1;
	q->n = samples;
	q->window_ms = (int64_t)window_s * 1000;
	q->s = sm_calloc((size_t)samples, sizeof(*q->s));
	q->bound = INT64_MAX;
	pthread_mutex_init(&q->lock, NULL);
	return q;
}

void sm_repl_quota_destroy(sm_repl_quota_t *q)
{
	if (!q)
		return;
	pthread_mutex_destroy(&q->lock);
	free(q->s);
	free(q);
}

void sm_repl_quota_set_rate(sm_repl_quota_t *q, int64_t bytes_per_sec)
{
	__atomic_store_n(&q->bound, bytes_per_sec < 0 ? INT64_MAX : bytes_per_sec, __ATOMIC_RELAXED);
}

int64_t sm_repl_quota_rate(const sm_repl_quota_t *q)
{
	return __atomic_load_n(&q->bound, __ATOMIC_RELAXED);
}

/* Forgets samples that ended before samples x window ago. Lock held. */
static void sm_rq_purge(sm_repl_quota_t *q, int64_t now)
{
	for (int i = 0; i < q->n; i++)
		if (q->s[i].start_ms && now - q->s[i].start_ms >= q->n * q->window_ms)
			q->s[i] = (sm_rq_sample_t){ 0, 0 };
}

void sm_repl_quota_record_at(sm_repl_quota_t *q, int64_t bytes, int64_t now)
{
	if (bytes <= 0)
		return;
	pthread_mutex_lock(&q->lock);
	sm_rq_sample_t *c = &q->s[q->cur];
	if (!c->start_ms || now - c->start_ms >= q->window_ms) {
		if (c->start_ms)
			q->cur = (q->cur + 1) % q->n;
		c = &q->s[q->cur];
		c->start_ms = now ? now : 1;
		c->bytes = 0;
	}
	c->bytes = bytes > INT64_MAX - c->bytes ? INT64_MAX : c->bytes + bytes;
	pthread_mutex_unlock(&q->lock);
}

void sm_repl_quota_record(sm_repl_quota_t *q, int64_t bytes)
{
	sm_repl_quota_record_at(q, bytes, sm_clock_mono_ms());
}

double sm_repl_quota_measure_at(sm_repl_quota_t *q, int64_t now)
{
	pthread_mutex_lock(&q->lock);
	sm_rq_purge(q, now);
	double sum = 0;
	int64_t oldest = now;
	for (int i = 0; i < q->n; i++)
		if (q->s[i].start_ms) {
			sum += (double)q->s[i].bytes;
			if (q->s[i].start_ms < oldest)
				oldest = q->s[i].start_ms;
		}
	pthread_mutex_unlock(&q->lock);
	int64_t elapsed = now - oldest;
	int64_t full = elapsed / q->window_ms;
	if (full < q->n - 1)
		elapsed += (q->n - 1 - full) * q->window_ms;
	if (elapsed <= 0)
		elapsed = q->window_ms;
	return sum * 1000.0 / (double)elapsed;
}

double sm_repl_quota_measure(sm_repl_quota_t *q)
{
	return sm_repl_quota_measure_at(q, sm_clock_mono_ms());
}

int sm_repl_quota_exceeded_at(sm_repl_quota_t *q, int64_t now)
{
	int64_t bound = sm_repl_quota_rate(q);
	if (bound == INT64_MAX)
		return 0;
	return sm_repl_quota_measure_at(q, now) > (double)bound;
}

int sm_repl_quota_exceeded(sm_repl_quota_t *q)
{
	return sm_repl_quota_exceeded_at(q, sm_clock_mono_ms());
}

int sm_repl_quota_listed(const char *list, int32_t partition, int32_t broker)
{
	if (!list || !*list)
		return 0;
	const char *s = list;
	while (*s == ' ')
		s++;
	if (s[0] == '*' && (!s[1] || s[1] == ' '))
		return 1;
	while (*s) {
		while (*s == ' ' || *s == ',')
			s++;
		char *end;
		long p = strtol(s, &end, 10);
		if (end == s || *end != ':')
			return 0; /* validated on write; a hand-made znode stops here */
		s = end + 1;
		long b = strtol(s, &end, 10);
		if (end == s)
			return 0;
		s = end;
		if (p == partition && b == broker)
			return 1;
		while (*s == ' ')
			s++;
		if (*s && *s != ',')
			return 0;
	}
	return 0;
}
