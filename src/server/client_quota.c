/*
 * client_quota.c - client quotas: the configured quotas, the precedence
 * that picks one for a (user, client id), and the windowed rates
 * ("sensors") they are checked against; see client_quota.h.
 */
#include "client_quota.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define SM_QUOTA_SHARDS 64
/* Sensors one shard holds at most: client ids are chosen by clients, so a
 * client cycling through them must not grow the table without bound. */
#define SM_QUOTA_SHARD_MAX 4096
/* A shard is swept for idle sensors every this many insertions. A sensor
 * idle for the whole quota window has only expired samples, so dropping it
 * changes no rate (Kafka keeps them an hour; the effect is the same). */
#define SM_QUOTA_SWEEP_EVERY 256
/* Hash buckets per shard (chains stay short up to SM_QUOTA_SHARD_MAX). */
#define SM_QUOTA_BUCKETS 256

typedef struct sm_quota_entity {
	char *user;   /* NULL: not part of the entity */
	char *client;
	double v[SM_QUOTA_TYPES];
	struct sm_quota_entity *next;
} sm_quota_entity_t;

typedef struct sm_quota_sample {
	int64_t start_ms;
	double value;
	/* throttle times given in this window (Kafka's throttle-time sensor,
	 * an Avg over the same windows): their sum and count */
	double tsum;
	int64_t tcount;
} sm_quota_sample_t;

typedef struct sm_quota_sensor {
	int type;
	char *user;   /* metric tags: "" when not part of the key */
	char *client;
	uint64_t hash;
	int wnum;     /* samples and their window: quota.window.*, or */
	int64_t wms;  /* controller.quota.window.* for controller_mutation_rate */
	int n, cur;   /* samples in use, the current one */
	int64_t last_ms;
	int64_t idle_ms; /* unused this long, it can be dropped unchanged */
	/* controller_mutation_rate's token bucket (Kafka's TokenBucket): the
	 * tokens at refill_ms and the bound it refills at (-1: unlimited,
	 * no bucket kept); the samples measure its mutation-rate */
	int bucket_init;
	double tokens, bucket_bound;
	int64_t refill_ms;
	struct sm_quota_sensor *next;
	sm_quota_sample_t s[];
} sm_quota_sensor_t;

typedef struct {
	pthread_mutex_t lock;
	sm_quota_sensor_t *b[SM_QUOTA_BUCKETS]; /* chains, newest first */
	unsigned inserts;
	int n;
} sm_quota_shard_t;

struct sm_client_quotas {
	int window_num;
	int64_t window_ms;
	int mut_window_num;     /* controller_mutation_rate's bucket */
	int64_t mut_window_ms;
	pthread_rwlock_t cfg_lock;
	sm_quota_entity_t *entities;
	atomic_int enabled[SM_QUOTA_TYPES]; /* entities with that type set */
	/* Kafka's quotaTypesEnabled: the shapes of every quota entity ever
	 * configured (SM_QUOTA_SHAPE_*), never cleared; sensors are kept for
	 * every client once it is not 0 */
	atomic_int shapes;
	sm_quota_shard_t shards[SM_QUOTA_SHARDS];
};

#define SM_QUOTA_SHAPE_CLIENT 1      /* /config/clients/.. */
#define SM_QUOTA_SHAPE_USER 2        /* /config/users/.. */
#define SM_QUOTA_SHAPE_USER_CLIENT 4 /* /config/users/../clients/.. */

static sm_client_quotas_t *sm_quota_global;

static const char *const sm_quota_keys[SM_QUOTA_TYPES] = {
	"producer_byte_rate", "consumer_byte_rate", "request_percentage",
	"controller_mutation_rate"
};

const char *sm_quota_key(sm_quota_type_t t)
{
	return (unsigned)t < SM_QUOTA_TYPES ? sm_quota_keys[t] : NULL;
}

int sm_quota_type_of(const char *key)
{
	for (int t = 0; t < SM_QUOTA_TYPES; t++)
		if (!strcmp(key, sm_quota_keys[t]))
			return t;
	return -1;
}

sm_client_quotas_t *sm_client_quotas_global(void)
{
	return __atomic_load_n(&sm_quota_global, __ATOMIC_ACQUIRE);
}

void sm_client_quotas_set_global(sm_client_quotas_t *q)
{
	__atomic_store_n(&sm_quota_global, q, __ATOMIC_RELEASE);
}

sm_client_quotas_t *sm_client_quotas_new(int window_num, int64_t window_size_ms)
{
	sm_client_quotas_t *q = sm_calloc(1, sizeof(*q));
	q->window_num = window_num > 0 ? window_num : 11;
	q->window_ms = window_size_ms > 0 ? window_size_ms : 1000;
	q->mut_window_num = q->window_num;
	q->mut_window_ms = q->window_ms;
	pthread_rwlock_init(&q->cfg_lock, NULL);
	for (int i = 0; i < SM_QUOTA_SHARDS; i++)
		pthread_mutex_init(&q->shards[i].lock, NULL);
	return q;
}

static void sm_quota_sensor_free(sm_quota_sensor_t *s)
{
	free(s->user);
	free(s->client);
	free(s);
}

void sm_client_quotas_destroy(sm_client_quotas_t *q)
{
	if (!q)
		return;
	for (sm_quota_entity_t *e = q->entities, *n; e; e = n) {
		n = e->next;
		free(e->user);
		free(e->client);
		free(e);
	}
	for (int i = 0; i < SM_QUOTA_SHARDS; i++) {
		for (int j = 0; j < SM_QUOTA_BUCKETS; j++)
			for (sm_quota_sensor_t *s = q->shards[i].b[j], *n; s; s = n) {
				n = s->next;
				sm_quota_sensor_free(s);
			}
		pthread_mutex_destroy(&q->shards[i].lock);
	}
	pthread_rwlock_destroy(&q->cfg_lock);
	free(q);
}

static int sm_quota_streq(const char *a, const char *b)
{
	return a ? b && !strcmp(a, b) : !b;
}

/* Caller holds cfg_lock. */
static sm_quota_entity_t **sm_quota_entity_find(sm_client_quotas_t *q, const char *user,
						const char *client)
{
	sm_quota_entity_t **pp = &q->entities;
	while (*pp && !(sm_quota_streq((*pp)->user, user) && sm_quota_streq((*pp)->client, client)))
		pp = &(*pp)->next;
	return pp;
}

void sm_client_quotas_update(sm_client_quotas_t *q, const char *user, const char *client,
			     const double values[SM_QUOTA_TYPES])
{
	if (!user && !client)
		return;
	int any = 0;
	for (int t = 0; t < SM_QUOTA_TYPES; t++)
		any |= values[t] >= 0;
	/* Kafka's config handler updates every quota manager for each quota
	 * entity it reads, with or without quota values, and each marks the
	 * entity's shape enabled for good (until restart) */
	atomic_fetch_or(&q->shapes, !user ? SM_QUOTA_SHAPE_CLIENT :
				    !client ? SM_QUOTA_SHAPE_USER : SM_QUOTA_SHAPE_USER_CLIENT);
	pthread_rwlock_wrlock(&q->cfg_lock);
	sm_quota_entity_t **pp = sm_quota_entity_find(q, user, client), *e = *pp;
	if (e) {
		for (int t = 0; t < SM_QUOTA_TYPES; t++)
			if (e->v[t] >= 0)
				atomic_fetch_sub(&q->enabled[t], 1);
		if (!any) {
			*pp = e->next;
			free(e->user);
			free(e->client);
			free(e);
		}
	} else if (any) {
		e = sm_calloc(1, sizeof(*e));
		e->user = user ? sm_strdup(user) : NULL;
		e->client = client ? sm_strdup(client) : NULL;
		e->next = q->entities;
		q->entities = e;
	}
	if (any)
		for (int t = 0; t < SM_QUOTA_TYPES; t++) {
			e->v[t] = values[t];
			if (values[t] >= 0)
				atomic_fetch_add(&q->enabled[t], 1);
		}
	pthread_rwlock_unlock(&q->cfg_lock);
}

/* Caller holds cfg_lock. The value of type t set on (user, client), or -1. */
static double sm_quota_get(sm_client_quotas_t *q, int t, const char *user, const char *client)
{
	sm_quota_entity_t *e = *sm_quota_entity_find(q, user, client);
	return e ? e->v[t] : -1;
}

/* Caller holds cfg_lock. Kafka's DefaultQuotaCallback.quotaMetricTags:
 * which entity applies, expressed as the metric tags (*tu, *tc) that key
 * the shared rate ("" for a side that is not part of the key). With one
 * shape of entity enabled the tags follow from it; otherwise the first
 * entity of the precedence that exists decides, and a client none applies
 * to is measured by its client id (Kafka's last case). */
static void sm_quota_tags(sm_client_quotas_t *q, int t, const char *user, const char *client,
			  const char **tu, const char **tc)
{
	const char *D = SM_QUOTA_DEFAULT;
	int shapes = atomic_load(&q->shapes);
	if (shapes == 0 || shapes == SM_QUOTA_SHAPE_CLIENT) {
		*tu = "", *tc = client;
	} else if (shapes == SM_QUOTA_SHAPE_USER) {
		*tu = user, *tc = "";
	} else if (shapes == SM_QUOTA_SHAPE_USER_CLIENT) {
		*tu = user, *tc = client;
	} else if (sm_quota_get(q, t, user, client) >= 0 || sm_quota_get(q, t, user, D) >= 0) {
		*tu = user, *tc = client;
	} else if (sm_quota_get(q, t, user, NULL) >= 0) {
		*tu = user, *tc = "";
	} else if (sm_quota_get(q, t, D, client) >= 0 || sm_quota_get(q, t, D, D) >= 0) {
		*tu = user, *tc = client;
	} else if (sm_quota_get(q, t, D, NULL) >= 0) {
		*tu = user, *tc = "";
	} else {
		*tu = "", *tc = client;
	}
}

/* Caller holds cfg_lock. Kafka's DefaultQuotaCallback.quotaLimit: the
 * bound for the metric tags, or -1 (unlimited). */
static double sm_quota_limit(sm_client_quotas_t *q, int t, const char *tu, const char *tc)
{
	const char *D = SM_QUOTA_DEFAULT;
	double v = -1;
	if (*tu && *tc) {
		if ((v = sm_quota_get(q, t, tu, tc)) < 0 && (v = sm_quota_get(q, t, tu, D)) < 0 &&
		    (v = sm_quota_get(q, t, D, tc)) < 0)
			v = sm_quota_get(q, t, D, D);
	} else if (*tu) {
		if ((v = sm_quota_get(q, t, tu, NULL)) < 0)
			v = sm_quota_get(q, t, D, NULL);
	} else if (*tc) {
		if ((v = sm_quota_get(q, t, NULL, tc)) < 0)
			v = sm_quota_get(q, t, NULL, D);
	}
	return v;
}

double sm_client_quotas_bound(sm_client_quotas_t *q, sm_quota_type_t t, const char *user,
			      const char *client)
{
	if (!q || (unsigned)t >= SM_QUOTA_TYPES || !atomic_load(&q->enabled[t]))
		return -1;
	const char *tu, *tc;
	pthread_rwlock_rdlock(&q->cfg_lock);
	sm_quota_tags(q, t, user, client, &tu, &tc);
	double b = sm_quota_limit(q, t, tu, tc);
	pthread_rwlock_unlock(&q->cfg_lock);
	return b;
}

double sm_client_quotas_max_in_window(sm_client_quotas_t *q, sm_quota_type_t t,
				      const char *user, const char *client)
{
	double b = sm_client_quotas_bound(q, t, user, client);
	if (b < 0)
		return -1;
	return b * (q->window_num - 1) * ((double)q->window_ms / 1000.0);
}

void sm_req_thread_time_begin(sm_req_thread_time_t *t, int64_t now_ns)
{
	t->start_ns = now_ns;
	atomic_init(&t->end_ns, -1);
}

void sm_req_thread_time_end(sm_req_thread_time_t *t, int64_t now_ns)
{
	int64_t unset = -1;
	atomic_compare_exchange_strong(&t->end_ns, &unset, now_ns);
}

int64_t sm_req_thread_time_ns(sm_req_thread_time_t *t, int64_t now_ns)
{
	sm_req_thread_time_end(t, now_ns);
	int64_t ns = atomic_load(&t->end_ns) - t->start_ns;
	return ns > 0 ? ns : 0;
}

int64_t sm_quota_throttle_ms(double rate, double bound, int64_t span_ms)
{
	if (bound <= 0)
		return span_ms;
	if (rate <= bound)
		return 0;
	return llround((rate - bound) / bound * (double)span_ms);
}

static uint64_t sm_quota_hash(int t, const char *u, const char *c)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)t;
	for (const char *p = u; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (const char *p = c; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ULL;
	return h;
}

int sm_client_quotas_enabled(sm_client_quotas_t *q)
{
	return q && atomic_load(&q->shapes) != 0;
}

/* Kafka's SampledStat.purgeObsoleteSamples: samples older than the whole
 * window restart at now. */
static void sm_quota_purge(sm_quota_sensor_t *s, int64_t now)
{
	int64_t expire = s->wms * s->wnum;
	for (int i = 0; i < s->n; i++)
		if (now - s->s[i].start_ms >= expire) {
			s->s[i].start_ms = now;
			s->s[i].value = 0;
			s->s[i].tsum = 0;
			s->s[i].tcount = 0;
		}
}

/* Kafka's Rate: the windowed sum over the time the samples span, that
 * span counted as at least window_num - 1 full windows. *span gets it. */
static double sm_quota_rate(sm_quota_sensor_t *s, int64_t now, int64_t *span)
{
	sm_quota_purge(s, now);
	double total = 0;
	int64_t oldest = now;
	for (int i = 0; i < s->n; i++) {
		total += s->s[i].value;
		if (s->s[i].start_ms < oldest)
			oldest = s->s[i].start_ms;
	}
	int64_t elapsed = now - oldest;
	int64_t full = elapsed / s->wms, min_full = s->wnum - 1;
	if (full < min_full)
		elapsed += (min_full - full) * s->wms;
	*span = elapsed;
	return elapsed > 0 ? total / ((double)elapsed / 1000.0) : 0;
}

/* Kafka's SampledStat.record: a new sample once the current one is a
 * window old, reusing the oldest when all are in use. */
static void sm_quota_add(sm_quota_sensor_t *s, double v, int64_t now)
{
	if (s->n == 0) {
		s->n = 1;
		s->cur = 0;
		s->s[0].start_ms = now;
		s->s[0].value = 0;
	} else if (now - s->s[s->cur].start_ms >= s->wms) {
		s->cur = (s->cur + 1) % s->wnum;
		if (s->cur >= s->n)
			s->n = s->cur + 1;
		s->s[s->cur].start_ms = now;
		s->s[s->cur].value = 0;
		s->s[s->cur].tsum = 0;
		s->s[s->cur].tcount = 0;
	}
	s->s[s->cur].value += v;
}

/* Caller holds the shard lock: drops the sensors idle for the whole
 * window; when the shard is full, also those created longest ago beyond
 * (SM_QUOTA_SHARD_MAX - SM_QUOTA_SWEEP_EVERY) / SM_QUOTA_BUCKETS per chain
 * (their clients start afresh, as with a new client id), so a flood of
 * client ids costs one walk per SM_QUOTA_SWEEP_EVERY insertions. */
static void sm_quota_sweep(const sm_client_quotas_t *q, sm_quota_shard_t *sh, int64_t now)
{
	int keep = sh->n >= SM_QUOTA_SHARD_MAX ?
		   (SM_QUOTA_SHARD_MAX - SM_QUOTA_SWEEP_EVERY) / SM_QUOTA_BUCKETS : SM_QUOTA_SHARD_MAX;
	for (int j = 0; j < SM_QUOTA_BUCKETS; j++) {
		int i = 0;
		for (sm_quota_sensor_t **pp = &sh->b[j]; *pp;) {
			sm_quota_sensor_t *s = *pp;
			int64_t idle = s->wms * s->wnum;
			if (now - s->last_ms >= (s->idle_ms > idle ? s->idle_ms : idle) || i >= keep) {
				*pp = s->next;
				sm_quota_sensor_free(s);
				sh->n--;
			} else {
				i++;
				pp = &s->next;
			}
		}
	}
}

int sm_client_quotas_sensor_count(sm_client_quotas_t *q)
{
	int n = 0;
	for (int i = 0; i < SM_QUOTA_SHARDS; i++) {
		pthread_mutex_lock(&q->shards[i].lock);
		n += q->shards[i].n;
		pthread_mutex_unlock(&q->shards[i].lock);
	}
	return n;
}

/* Caller holds the shard lock. */
static sm_quota_sensor_t *sm_quota_sensor(sm_client_quotas_t *q, sm_quota_shard_t *sh, int t,
					  const char *tu, const char *tc, uint64_t h, int64_t now)
{
	sm_quota_sensor_t **head = &sh->b[(h / SM_QUOTA_SHARDS) % SM_QUOTA_BUCKETS];
	for (sm_quota_sensor_t *s = *head; s; s = s->next)
		if (s->hash == h && s->type == t && !strcmp(s->user, tu) && !strcmp(s->client, tc))
			return s;
	if (++sh->inserts % SM_QUOTA_SWEEP_EVERY == 0 || sh->n >= SM_QUOTA_SHARD_MAX)
		sm_quota_sweep(q, sh, now);
	int wnum = t == SM_QUOTA_MUTATION ? q->mut_window_num : q->window_num;
	sm_quota_sensor_t *s = sm_calloc(1, sizeof(*s) + sizeof(s->s[0]) * (size_t)wnum);
	s->type = t;
	s->wnum = wnum;
	s->wms = t == SM_QUOTA_MUTATION ? q->mut_window_ms : q->window_ms;
	s->user = sm_strdup(tu);
	s->client = sm_strdup(tc);
	s->hash = h;
	s->next = *head;
	*head = s;
	sh->n++;
	return s;
}

/* The sensor of (user, client id) for type t, returned with its shard
 * locked (*shp), and the bound that applies (-1: none). NULL while no
 * quota entity was ever configured (Kafka's quotasEnabled). */
static sm_quota_sensor_t *sm_quota_lookup(sm_client_quotas_t *q, sm_quota_type_t t, const char *user,
					  const char *client, int64_t now, double *bound,
					  sm_quota_shard_t **shp)
{
	if (!q || (unsigned)t >= SM_QUOTA_TYPES || !atomic_load(&q->shapes))
		return NULL;
	if (!user)
		user = "";
	if (!client)
		client = "";
	const char *tu, *tc;
	pthread_rwlock_rdlock(&q->cfg_lock);
	sm_quota_tags(q, t, user, client, &tu, &tc);
	*bound = sm_quota_limit(q, t, tu, tc);
	/* tu and tc point into user and client, never into the table */
	pthread_rwlock_unlock(&q->cfg_lock);
	uint64_t h = sm_quota_hash(t, tu, tc);
	sm_quota_shard_t *sh = &q->shards[h % SM_QUOTA_SHARDS];
	pthread_mutex_lock(&sh->lock);
	sm_quota_sensor_t *s = sm_quota_sensor(q, sh, t, tu, tc, h, now);
	s->last_ms = now;
	*shp = sh;
	return s;
}

static int32_t sm_quota_apply(sm_client_quotas_t *q, sm_quota_type_t t, const char *user,
			      const char *client, double value, int64_t now, int unrecord)
{
	double bound;
	sm_quota_shard_t *sh;
	if (t == SM_QUOTA_MUTATION)
		return 0; /* a token bucket: sm_client_quotas_mutation_record */
	sm_quota_sensor_t *s = sm_quota_lookup(q, t, user, client, now, &bound, &sh);
	if (!s)
		return 0;
	int32_t throttle = 0;
	if (unrecord) {
		sm_quota_add(s, -value, now);
	} else {
		sm_quota_add(s, value, now);
		int64_t span;
		double rate = sm_quota_rate(s, now, &span);
		if (bound >= 0 && rate > bound) {
			int64_t ms = sm_quota_throttle_ms(rate, bound, span);
			/* ClientRequestQuotaManager bounds its throttle by one
			 * window (QuotaUtils.boundedThrottleTime). */
			if (t == SM_QUOTA_REQUEST && ms > q->window_ms)
				ms = q->window_ms;
			throttle = ms > INT32_MAX ? INT32_MAX : (int32_t)ms;
		}
	}
	pthread_mutex_unlock(&sh->lock);
	return throttle;
}

void sm_client_quotas_throttled(sm_client_quotas_t *q, sm_quota_type_t t, const char *user,
				const char *client, int32_t ms, int64_t now_ms)
{
	double bound;
	sm_quota_shard_t *sh;
	if (ms <= 0)
		return;
	sm_quota_sensor_t *s = sm_quota_lookup(q, t, user, client, now_ms, &bound, &sh);
	if (!s)
		return;
	sm_quota_add(s, 0, now_ms); /* the sample of the current window */
	s->s[s->cur].tsum += (double)ms;
	s->s[s->cur].tcount++;
	pthread_mutex_unlock(&sh->lock);
}

void sm_client_quotas_set_mutation_window(sm_client_quotas_t *q, int window_num,
					  int64_t window_size_ms)
{
	q->mut_window_num = window_num > 0 ? window_num : 11;
	q->mut_window_ms = window_size_ms > 0 ? window_size_ms : 1000;
}

/* Kafka's controller mutation throttle: the time the bucket needs to
 * refill from tokens (< 0) to zero at bound per second. With a quota of 0
 * it never refills; the throttle is then one whole window, so a client is
 * slowed down without its connection being muted for ever. */
static int32_t sm_quota_bucket_throttle(const sm_client_quotas_t *q, double tokens, double bound)
{
	if (tokens >= 0)
		return 0;
	double ms = bound > 0 ? -tokens / bound * 1000.0
			      : (double)q->mut_window_ms * q->mut_window_num;
	return ms >= INT32_MAX ? INT32_MAX : (int32_t)llround(ms);
}

/* Caller holds the shard lock. Kafka's TokenBucket brought to now: the
 * tokens refilled at the bound since the last refill, at most the burst. */
static double sm_quota_bucket_now(const sm_client_quotas_t *q, sm_quota_sensor_t *s, int64_t now)
{
	double burst = s->bucket_bound * (q->mut_window_num - 1) * ((double)q->mut_window_ms / 1000.0);
	double tokens = s->tokens;
	if (now > s->refill_ms)
		tokens += s->bucket_bound * (double)(now - s->refill_ms) / 1000.0;
	return tokens > burst ? burst : tokens;
}

int32_t sm_client_quotas_mutation_record(sm_client_quotas_t *q, const char *user,
					 const char *client, double permits, int strict,
					 int64_t now_ms, int *refused)
{
	double bound;
	sm_quota_shard_t *sh;
	*refused = 0;
	sm_quota_sensor_t *s = sm_quota_lookup(q, SM_QUOTA_MUTATION, user, client, now_ms, &bound,
					       &sh);
	if (!s)
		return 0;
	if (bound < 0) {
		/* no quota applies: only its mutation-rate is measured, as
		 * Kafka's unlimited sensor does */
		s->bucket_init = 0;
		s->bucket_bound = -1;
		sm_quota_add(s, permits, now_ms);
		pthread_mutex_unlock(&sh->lock);
		return 0;
	}
	/* a new bucket starts full; a changed bound refills it from now on
	 * (Kafka's TokenBucket reads the quota from its current config) */
	double burst = bound * (q->mut_window_num - 1) * ((double)q->mut_window_ms / 1000.0);
	s->bucket_bound = bound;
	if (!s->bucket_init) {
		s->bucket_init = 1;
		s->tokens = burst;
	} else {
		s->tokens = sm_quota_bucket_now(q, s, now_ms);
	}
	s->refill_ms = now_ms;
	int32_t throttle = 0;
	if (strict && s->tokens < 0) {
		/* checked before recording: the mutation is refused (and not
		 * counted in the mutation-rate either, as in Kafka) */
		*refused = 1;
		throttle = sm_quota_bucket_throttle(q, s->tokens, bound);
	} else {
		s->tokens -= permits;
		if (s->tokens > burst)
			s->tokens = burst;
		sm_quota_add(s, permits, now_ms);
		if (!strict)
			throttle = sm_quota_bucket_throttle(q, s->tokens, bound);
	}
	/* dropped once idle long enough to be full again (as a new one is) */
	double refill = bound > 0 ? (burst - s->tokens) / bound * 1000.0 + 1 : (double)(INT64_MAX / 4);
	s->idle_ms = refill < (double)(INT64_MAX / 4) ? (int64_t)refill : INT64_MAX / 4;
	pthread_mutex_unlock(&sh->lock);
	return throttle;
}

int32_t sm_client_quotas_record(sm_client_quotas_t *q, sm_quota_type_t t, const char *user,
				const char *client, double value, int64_t now_ms)
{
	return sm_quota_apply(q, t, user, client, value, now_ms, 0);
}

void sm_client_quotas_unrecord(sm_client_quotas_t *q, sm_quota_type_t t, const char *user,
			       const char *client, double value, int64_t now_ms)
{
	(void)sm_quota_apply(q, t, user, client, value, now_ms, 1);
}

static int sm_quota_metric_cmp(const void *a, const void *b)
{
	const sm_quota_metric_t *x = a, *y = b;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	int c = strcmp(x->user, y->user);
	return c ? c : strcmp(x->client, y->client);
}

int sm_client_quotas_metrics(sm_client_quotas_t *q, int64_t now_ms, sm_quota_metric_t **out)
{
	int n = 0, cap = 0;
	*out = NULL;
	if (!q)
		return 0;
	for (int i = 0; i < SM_QUOTA_SHARDS; i++) {
		sm_quota_shard_t *sh = &q->shards[i];
		pthread_mutex_lock(&sh->lock);
		for (int j = 0; j < SM_QUOTA_BUCKETS; j++)
			for (sm_quota_sensor_t *s = sh->b[j]; s; s = s->next) {
				if (s->n == 0)
					continue;
				if (n == cap) {
					cap = cap ? cap * 2 : 16;
					*out = sm_realloc(*out, sizeof(**out) * (size_t)cap);
				}
				sm_quota_metric_t *m = &(*out)[n++];
				int64_t span;
				m->type = (sm_quota_type_t)s->type;
				m->user = sm_strdup(s->user);
				m->client = sm_strdup(s->client);
				m->rate = sm_quota_rate(s, now_ms, &span);
				m->tokens = s->type == SM_QUOTA_MUTATION && s->bucket_init ?
					    sm_quota_bucket_now(q, s, now_ms) : NAN;
				double sum = 0;
				int64_t cnt = 0;
				for (int k = 0; k < s->n; k++) {
					sum += s->s[k].tsum;
					cnt += s->s[k].tcount;
				}
				m->throttle_ms = cnt ? sum / (double)cnt : NAN;
			}
		pthread_mutex_unlock(&sh->lock);
	}
	if (n > 1)
		qsort(*out, (size_t)n, sizeof(**out), sm_quota_metric_cmp);
	return n;
}

void sm_client_quotas_metrics_free(sm_quota_metric_t *m, int n)
{
	for (int i = 0; i < n; i++) {
		free(m[i].user);
		free(m[i].client);
	}
	free(m);
}
