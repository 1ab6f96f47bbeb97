/*
 * connection_quotas.c - request memory pool, connection creation rate
 * limiter and per-address connection counts (see connection_quotas.h).
 *
 * The per-address table is a small chained hash of the addresses that have
 * connections open right now; an entry goes away with its last connection,
 * so the table is bounded by the number of open connections.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "connection_quotas.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"

/* ---- request memory pool ---- */

struct sm_mempool {
	pthread_mutex_t lock;
	int refs;          /* atomic */
	int64_t capacity;  /* <= 0: unbounded */
	int64_t used;      /* under lock */
	int waiting;       /* under lock: a reservation failed since the last wake */
	void (*cb)(void *arg); /* under lock */
	void *cb_arg;
};

sm_mempool_t *sm_mempool_new(int64_t capacity)
{
	sm_mempool_t *mp = sm_calloc(1, sizeof(*mp));

	pthread_mutex_init(&mp->lock, NULL);
	mp->refs = 1;
	mp->capacity = capacity;
	return mp;
}

sm_mempool_t *sm_mempool_ref(sm_mempool_t *mp)
{
	__atomic_add_fetch(&mp->refs, 1, __ATOMIC_RELAXED);
	return mp;
}

void sm_mempool_unref(sm_mempool_t *mp)
{
	if (!mp || __atomic_sub_fetch(&mp->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	pthread_mutex_destroy(&mp->lock);
	free(mp);
}

void sm_mempool_set_callback(sm_mempool_t *mp, void (*cb)(void *arg), void *arg)
{
	pthread_mutex_lock(&mp->lock);
	mp->cb = cb;
	mp->cb_arg = arg;
	pthread_mutex_unlock(&mp->lock);
}

int sm_mempool_try_reserve(sm_mempool_t *mp, int64_t n)
{
	int ok;

	pthread_mutex_lock(&mp->lock);
	ok = mp->capacity <= 0 || mp->used < mp->capacity;
	if (ok)
		mp->used += n;
	else
		mp->waiting = 1;
	pthread_mutex_unlock(&mp->lock);
	return ok;
}

void sm_mempool_release(sm_mempool_t *mp, int64_t n)
{
	pthread_mutex_lock(&mp->lock);
	mp->used -= n;
	if (mp->used < 0)
		mp->used = 0;   /* never: a release without its grant */
	if (mp->waiting && (mp->capacity <= 0 || mp->used < mp->capacity)) {
		mp->waiting = 0;
		/* Under the lock, so set_callback(NULL) is a clean cut-off. */
		if (mp->cb)
			mp->cb(mp->cb_arg);
	}
	pthread_mutex_unlock(&mp->lock);
}

int64_t sm_mempool_used(sm_mempool_t *mp)
{
	int64_t u;

	pthread_mutex_lock(&mp->lock);
	u = mp->used;
	pthread_mutex_unlock(&mp->lock);
	return u;
}

/* ---- connection creation rate ---- */

void sm_rate_limiter_init(sm_rate_limiter_t *rl, double rate_per_sec, int64_t now_ms)
{
	memset(rl, 0, sizeof(*rl));
	rl->rate = rate_per_sec > 0 && rate_per_sec < (double)INT32_MAX ? rate_per_sec : 0;
	rl->burst = rl->rate > 1 ? rl->rate : 1;
	rl->tokens = rl->burst;
	rl->last_ms = now_ms;
}

int64_t sm_rate_limiter_record(sm_rate_limiter_t *rl, int64_t now_ms)
{
	if (rl->rate <= 0)
		return 0;
	if (now_ms > rl->last_ms) {
		rl->tokens += (double)(now_ms - rl->last_ms) * rl->rate / 1000.0;
		if (rl->tokens > rl->burst)
			rl->tokens = rl->burst;
		rl->last_ms = now_ms;
	}
	rl->tokens -= 1;
	if (rl->tokens >= 0)
		return 0;
	/* Rounded up: waking early would find the bucket still short. */
	return (int64_t)(-rl->tokens * 1000.0 / rl->rate) + 1;
}

void sm_rate_limiter_unrecord(sm_rate_limiter_t *rl)
{
	if (rl->rate <= 0)
		return;
	rl->tokens += 1;
	if (rl->tokens > rl->burst)
		rl->tokens = rl->burst;
}

int64_t sm_rate_limiter_try(sm_rate_limiter_t *rl, int64_t now_ms)
{
	if (rl->rate <= 0)
		return 0;
	if (now_ms > rl->last_ms) {
		rl->tokens += (double)(now_ms - rl->last_ms) * rl->rate / 1000.0;
		if (rl->tokens > rl->burst)
			rl->tokens = rl->burst;
		rl->last_ms = now_ms;
	}
	if (rl->tokens >= 1) {
		rl->tokens -= 1;
		return 0;
	}
	return (int64_t)((1 - rl->tokens) * 1000.0 / rl->rate) + 1;
}

/* ---- per-address connection creation rate ---- */

#define SM_IPR_BUCKETS 256

typedef struct sm_ipr_entry {
	char ip[64];
	sm_rate_limiter_t rl;
	int configured;   /* its own quota, not the default's */
	int deny;         /* a quota of 0: every connection is throttled */
	struct sm_ipr_entry *next;
} sm_ipr_entry_t;

struct sm_ip_rates {
	double dflt;      /* < 0: none */
	int64_t created_ms;
	int ndynamic;     /* entries made for the default quota */
	sm_ipr_entry_t *buckets[SM_IPR_BUCKETS];
};

static unsigned sm_ipr_hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % SM_IPR_BUCKETS;
}

static sm_ipr_entry_t *sm_ipr_find(sm_ip_rates_t *q, const char *ip)
{
	for (sm_ipr_entry_t *e = q->buckets[sm_ipr_hash(ip)]; e; e = e->next)
		if (!strcmp(e->ip, ip))
			return e;
	return NULL;
}

static sm_ipr_entry_t *sm_ipr_add(sm_ip_rates_t *q, const char *ip, double rate, int64_t now)
{
	sm_ipr_entry_t *e = sm_calloc(1, sizeof(*e));
	unsigned b = sm_ipr_hash(ip);

	snprintf(e->ip, sizeof(e->ip), "%s", ip);
	sm_rate_limiter_init(&e->rl, rate, now);
	e->deny = rate <= 0;
	e->next = q->buckets[b];
	q->buckets[b] = e;
	return e;
}

sm_ip_rates_t *sm_ip_rates_new(const sm_ip_rate_t *r, int n, int64_t now_ms)
{
	sm_ip_rates_t *q;

	if (!r || n <= 0)
		return NULL;
	q = sm_calloc(1, sizeof(*q));
	q->created_ms = now_ms;
	q->dflt = -1;
	for (int i = 0; i < n; i++) {
		if (!strcmp(r[i].ip, "<default>")) {
			q->dflt = r[i].rate >= (double)INT32_MAX ? -1 : r[i].rate;
		} else if (!sm_ipr_find(q, r[i].ip)) {
			sm_ipr_add(q, r[i].ip, r[i].rate, now_ms)->configured = 1;
		}
	}
	return q;
}

void sm_ip_rates_free(sm_ip_rates_t *q)
{
	if (!q)
		return;
	for (int i = 0; i < SM_IPR_BUCKETS; i++) {
		while (q->buckets[i]) {
			sm_ipr_entry_t *e = q->buckets[i];
			q->buckets[i] = e->next;
			free(e);
		}
	}
	free(q);
}

/* Drops default-quota entries whose bucket is full again: they hold nothing
 * a fresh entry would not, and this keeps the table bounded by the addresses
 * seen within about a second. */
static void sm_ipr_prune(sm_ip_rates_t *q, int64_t now)
{
	for (int i = 0; i < SM_IPR_BUCKETS; i++) {
		sm_ipr_entry_t **pp = &q->buckets[i], *e;
		while ((e = *pp) != NULL) {
			double refill = (double)(now - e->rl.last_ms) * e->rl.rate / 1000.0;
			if (!e->configured && !e->deny && e->rl.tokens + refill >= e->rl.burst) {
				*pp = e->next;
				free(e);
				q->ndynamic--;
			} else {
				pp = &e->next;
			}
		}
	}
}

int64_t sm_ip_rates_record(sm_ip_rates_t *q, const char *ip, int64_t now_ms)
{
	sm_ipr_entry_t *e;

	if (!q)
		return 0;
	e = sm_ipr_find(q, ip);
	if (!e) {
		if (q->dflt < 0)
			return 0;
		if (q->ndynamic >= 4096)
			sm_ipr_prune(q, now_ms);
		e = sm_ipr_add(q, ip, q->dflt, now_ms);
		q->ndynamic++;
	}
	if (e->deny)
		return 1000;  /* Kafka's one-second quota window */
	return sm_rate_limiter_try(&e->rl, now_ms);
}

/* ---- per-address overrides ---- */

static char *sm_cq_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Numeric form of a socket address, IPv4-mapped IPv6 written as IPv4 (the
 * form the acceptor uses for peers). */
static void sm_cq_numeric(const struct sockaddr *sa, char *out, size_t outlen)
{
	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out,
			  (socklen_t)outlen);
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], out, (socklen_t)outlen);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, out, (socklen_t)outlen);
	}
}

void sm_ip_rates_set(sm_ip_rates_t *q, const char *ip, double rate, int64_t now_ms)
{
	if (!strcmp(ip, "<default>")) {
		/* Entries made for the old default are dropped: the next
		 * connection from their address starts a bucket at the new one. */
		q->dflt = rate < 0 || rate >= (double)INT32_MAX ? -1 : rate;
		for (int i = 0; i < SM_IPR_BUCKETS; i++) {
			sm_ipr_entry_t **pp = &q->buckets[i], *e;
			while ((e = *pp) != NULL) {
				if (!e->configured) {
					*pp = e->next;
					free(e);
					q->ndynamic--;
				} else {
					pp = &e->next;
				}
			}
		}
		return;
	}
	unsigned b = sm_ipr_hash(ip);
	for (sm_ipr_entry_t **pp = &q->buckets[b]; *pp; pp = &(*pp)->next) {
		sm_ipr_entry_t *e = *pp;
		if (strcmp(e->ip, ip))
			continue;
		if (!e->configured)
			q->ndynamic--;
		*pp = e->next;
		free(e);
		break;
	}
	/* removed: the address falls back to the default (a fresh entry on
	 * its next connection) */
	if (rate >= 0)
		sm_ipr_add(q, ip, rate, now_ms)->configured = 1;
}

sm_ip_rates_t *sm_ip_rates_empty(int64_t now_ms)
{
	sm_ip_rates_t *q = sm_calloc(1, sizeof(*q));
	q->created_ms = now_ms;
	q->dflt = -1;
	return q;
}

int sm_ip_entity_address(const char *name, int resolve, char *out, size_t outlen)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, name, &a4) == 1)
		return inet_ntop(AF_INET, &a4, out, (socklen_t)outlen) ? 0 : -1;
	if (inet_pton(AF_INET6, name, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6))
			return inet_ntop(AF_INET, &a6.s6_addr[12], out, (socklen_t)outlen) ? 0 : -1;
		return inet_ntop(AF_INET6, &a6, out, (socklen_t)outlen) ? 0 : -1;
	}
	if (!resolve || !*name || strlen(name) > 253)
		return -1;
	/* a host name: only what DNS can carry, so no lookup is made for
	 * bytes no resolver would accept */
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_')
			return -1;
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(name, NULL, &hints, &res) != 0 || !res)
		return -1;
	char tmp[64];
	sm_cq_numeric(res->ai_addr, tmp, sizeof(tmp));
	freeaddrinfo(res);
	snprintf(out, outlen, "%s", tmp);
	return 0;
}

static int sm_cq_add_host(const char *host, int limit, sm_ip_override_t **ov, int *n,
			  char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "Invalid value for configuration "
			 "max.connections.per.ip.overrides: cannot resolve host '%s': %s",
			 host, gai_strerror(rc));
		return -1;
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		char ip[64] = "";
		int dup = 0;

		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		sm_cq_numeric(ai->ai_addr, ip, sizeof(ip));
		for (int i = 0; i < *n; i++)
			if (!strcmp((*ov)[i].ip, ip)) {
				(*ov)[i].limit = limit;  /* a later entry wins */
				dup = 1;
			}
		if (dup)
			continue;
		*ov = sm_realloc(*ov, sizeof(**ov) * (size_t)(*n + 1));
		memset(&(*ov)[*n], 0, sizeof(**ov));
		snprintf((*ov)[*n].ip, sizeof((*ov)[*n].ip), "%s", ip);
		(*ov)[*n].limit = limit;
		(*n)++;
	}
	freeaddrinfo(res);
	return 0;
}

int sm_ip_overrides_parse(const char *spec, sm_ip_override_t **out, int *n,
			  char *err, size_t errlen)
{
	sm_ip_override_t *ov = NULL;
	int cnt = 0;
	char *copy = sm_strdup(spec ? spec : ""), *save = NULL, *tok;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *e = sm_cq_trim(tok), *colon, *host, *num, *end;
		long v;

		if (!*e)
			continue;
		colon = strrchr(e, ':');
		if (!colon) {
			snprintf(err, errlen, "Invalid value %s for configuration "
				 "max.connections.per.ip.overrides: expected host:count", e);
			goto fail;
		}
		*colon = '\0';
		host = sm_cq_trim(e);
		num = sm_cq_trim(colon + 1);
		/* "[v6]:n" is accepted too. */
		if (*host == '[' && host[strlen(host) - 1] == ']') {
			host[strlen(host) - 1] = '\0';
			host++;
		}
		errno = 0;
		v = strtol(num, &end, 10);
		if (!*host || !*num || *end || errno || v < 0 || v > INT32_MAX) {
			snprintf(err, errlen, "Invalid value %s:%s for configuration "
				 "max.connections.per.ip.overrides: the count must be an "
				 "integer between 0 and %d", host, num, INT32_MAX);
			goto fail;
		}
		if (sm_cq_add_host(host, (int)v, &ov, &cnt, err, errlen) < 0)
			goto fail;
	}
	free(copy);
	*out = ov;
	*n = cnt;
	return 0;
fail:
	free(copy);
	free(ov);
	*out = NULL;
	*n = 0;
	return -1;
}

/* ---- per-address connection counts ---- */

#define SM_IPQ_BUCKETS 1024

typedef struct sm_ipq_entry {
	char ip[64];
	int count;
	struct sm_ipq_entry *next;
} sm_ipq_entry_t;

struct sm_ip_quotas {
	pthread_mutex_t lock;
	int per_ip;
	sm_ip_override_t *ov;
	int nov;
	sm_ipq_entry_t *buckets[SM_IPQ_BUCKETS];
};

static unsigned sm_ipq_hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % SM_IPQ_BUCKETS;
}

sm_ip_quotas_t *sm_ip_quotas_new(int per_ip, const sm_ip_override_t *ov, int nov)
{
	sm_ip_quotas_t *q = sm_calloc(1, sizeof(*q));

	pthread_mutex_init(&q->lock, NULL);
	q->per_ip = per_ip < 0 ? INT32_MAX : per_ip;
	if (nov > 0) {
		q->ov = sm_calloc((size_t)nov, sizeof(*ov));
		memcpy(q->ov, ov, sizeof(*ov) * (size_t)nov);
		q->nov = nov;
	}
	return q;
}

void sm_ip_quotas_free(sm_ip_quotas_t *q)
{
	if (!q)
		return;
	for (int i = 0; i < SM_IPQ_BUCKETS; i++) {
		while (q->buckets[i]) {
			sm_ipq_entry_t *e = q->buckets[i];
			q->buckets[i] = e->next;
			free(e);
		}
	}
	free(q->ov);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

int sm_ip_quotas_limit(const sm_ip_quotas_t *q, const char *ip)
{
	for (int i = 0; i < q->nov; i++)
		if (!strcmp(q->ov[i].ip, ip))
			return q->ov[i].limit;
	return q->per_ip;
}

void sm_ip_quotas_set_limits(sm_ip_quotas_t *q, int per_ip, const sm_ip_override_t *ov, int nov)
{
	sm_ip_override_t *copy = NULL;

	if (nov > 0) {
		copy = sm_calloc((size_t)nov, sizeof(*ov));
		memcpy(copy, ov, sizeof(*ov) * (size_t)nov);
	}
	pthread_mutex_lock(&q->lock);
	free(q->ov);
	q->ov = copy;
	q->nov = nov > 0 ? nov : 0;
	q->per_ip = per_ip < 0 ? INT32_MAX : per_ip;
	pthread_mutex_unlock(&q->lock);
}

int sm_ip_quotas_inc(sm_ip_quotas_t *q, const char *ip, int *limit)
{
	int lim, ok = 1;
	sm_ipq_entry_t **b = &q->buckets[sm_ipq_hash(ip)], *e;

	/* under the lock: the limits may change at run time */
	pthread_mutex_lock(&q->lock);
	lim = sm_ip_quotas_limit(q, ip);
	if (limit)
		*limit = lim;
	for (e = *b; e && strcmp(e->ip, ip); e = e->next)
		;
	if (e && e->count >= lim) {
		ok = 0;
	} else if (!e && lim <= 0) {
		ok = 0;
	} else {
		if (!e) {
			e = sm_calloc(1, sizeof(*e));
			snprintf(e->ip, sizeof(e->ip), "%s", ip);
			e->next = *b;
			*b = e;
		}
		e->count++;
	}
	pthread_mutex_unlock(&q->lock);
	return ok;
}

void sm_ip_quotas_dec(sm_ip_quotas_t *q, const char *ip)
{
	sm_ipq_entry_t **pp = &q->buckets[sm_ipq_hash(ip)], *e;

	pthread_mutex_lock(&q->lock);
	for (; (e = *pp) != NULL; pp = &e->next) {
		if (strcmp(e->ip, ip))
			continue;
		if (--e->count <= 0) {
			*pp = e->next;
			free(e);
		}
		break;
	}
	pthread_mutex_unlock(&q->lock);
}

int sm_ip_quotas_count(sm_ip_quotas_t *q, const char *ip)
{
	int n = 0;

	pthread_mutex_lock(&q->lock);
	for (sm_ipq_entry_t *e = q->buckets[sm_ipq_hash(ip)]; e; e = e->next)
		if (!strcmp(e->ip, ip)) {
			n = e->count;
			break;
		}
	pthread_mutex_unlock(&q->lock);
	return n;
}
