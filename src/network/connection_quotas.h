/*
 * connection_quotas.h - the bookkeeping behind the network layer's bounds
 * (Kafka's ConnectionQuotas and the broker's request MemoryPool):
 *
 *  - sm_mempool_t: the budget of queued.max.request.bytes for request bytes
 *    read but not yet answered. A frame body is allocated only after the
 *    pool granted its size.
 *  - sm_rate_limiter_t: a token bucket for max.connection.creation.rate.
 *  - sm_ip_quotas_t: open connections per client address against
 *    max.connections.per.ip and max.connections.per.ip.overrides.
 *
 * Pure logic with no sockets, so it is unit-tested on its own.
 *
 * Thread-safety: the pool and the per-address table lock internally (the
 * acceptor and every processor use them); a rate limiter belongs to one
 * thread (the acceptor).
 */
#ifndef SM_CONNECTION_QUOTAS_H
#define SM_CONNECTION_QUOTAS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* ---- request memory pool ---- */

typedef struct sm_mempool sm_mempool_t;

/* A pool with one reference (capacity <= 0: unbounded). Requests holding a
 * grant keep a reference, so the pool outlives the socket server when a
 * handler finishes a request after shutdown. */
sm_mempool_t *sm_mempool_new(int64_t capacity);
sm_mempool_t *sm_mempool_ref(sm_mempool_t *mp);
void sm_mempool_unref(sm_mempool_t *mp);
/* cb runs with the pool's lock held (keep it short: it only wakes threads)
 * whenever a release ends a shortage that made a reservation fail. NULL
 * detaches it; once this returns, the old callback is not running and will
 * not run again. */
void sm_mempool_set_callback(sm_mempool_t *mp, void (*cb)(void *arg), void *arg);
/* Grants n bytes while the pool is not exhausted (used < capacity), as
 * Kafka's non-strict SimpleMemoryPool does: one grant may overshoot the
 * capacity by at most its own size, so used < capacity + largest grant.
 * Returns 1 when granted; 0 otherwise, and the callback runs once a release
 * brings used back under the capacity. */
int sm_mempool_try_reserve(sm_mempool_t *mp, int64_t n);
void sm_mempool_release(sm_mempool_t *mp, int64_t n);
int64_t sm_mempool_used(sm_mempool_t *mp);

/* ---- connection creation rate ---- */

typedef struct sm_rate_limiter {
	double rate;     /* events per second; <= 0: unlimited */
	double burst;    /* bucket size: one second's worth, at least 1 */
	double tokens;   /* may go negative: debt of already admitted events */
	int64_t last_ms;
} sm_rate_limiter_t;

void sm_rate_limiter_init(sm_rate_limiter_t *rl, double rate_per_sec, int64_t now_ms);
/* Records one event at now_ms; returns how many ms it must wait before it
 * may proceed (0: at once). Waiting events keep their place: the next
 * record waits behind them. */
int64_t sm_rate_limiter_record(sm_rate_limiter_t *rl, int64_t now_ms);

/* Gives back one recorded event (a connection refused after recording). */
void sm_rate_limiter_unrecord(sm_rate_limiter_t *rl);
/* Takes one event only if it may proceed at once: returns 0 (recorded), or
 * the ms until it could, recording nothing (Kafka un-records a connection
 * it throttles by address). */
int64_t sm_rate_limiter_try(sm_rate_limiter_t *rl, int64_t now_ms);

/* ---- per-address connection creation rate (KIP-612 IP quotas) ---- */

typedef struct sm_ip_rate {
	char ip[64];  /* numeric; "<default>" for the default entity */
	double rate;  /* connection_creation_rate, per second */
} sm_ip_rate_t;

typedef struct sm_ip_rates sm_ip_rates_t;

/* Quotas from /config/ips/<ip> (a "<default>" entry applies to addresses
 * without their own; a rate of INT32_MAX is Kafka's "unlimited", 0 throttles
 * every connection). NULL or n == 0: no per-address rate limits. */
sm_ip_rates_t *sm_ip_rates_new(const sm_ip_rate_t *r, int n, int64_t now_ms);
void sm_ip_rates_free(sm_ip_rates_t *q);
/* A new connection from ip at now_ms: 0 when within the address's quota (it
 * is recorded), else the ms it would have to wait (nothing recorded: the
 * caller closes it). Acceptor thread only. */
int64_t sm_ip_rates_record(sm_ip_rates_t *q, const char *ip, int64_t now_ms);
/* A table with no quota yet (for quotas set later). */
sm_ip_rates_t *sm_ip_rates_empty(int64_t now_ms);
/* Sets the connection_creation_rate of ip (numeric, or "<default>");
 * rate < 0 removes it (the address falls back to the default). The caller
 * serialises this with sm_ip_rates_record. */
void sm_ip_rates_set(sm_ip_rates_t *q, const char *ip, double rate, int64_t now_ms);

/* The address an ip quota entity names, in the numeric form the acceptor
 * uses for peers (IPv4-mapped IPv6 as IPv4): a numeric IPv4 or IPv6
 * address, or, when resolve is set, a host name's first address (Kafka's
 * InetAddress.getByName; this blocks on the resolver). 0 on success, -1
 * for a name that is neither. */
int sm_ip_entity_address(const char *name, int resolve, char *out, size_t outlen);

/* ---- per-address connection counts ---- */

typedef struct sm_ip_override {
	char ip[64];  /* numeric, as inet_ntop writes it (IPv4-mapped as IPv4) */
	int limit;
} sm_ip_override_t;

/* Parses max.connections.per.ip.overrides ("host:count,host:count"; the
 * last ':' separates the count, so IPv6 addresses work; whitespace around
 * entries ignored). Each host is resolved to its addresses (as Kafka does
 * at startup). On success *out is a malloc'd array of *n entries and 0 is
 * returned; otherwise -1 with a message in err. An empty spec gives 0
 * entries. */
int sm_ip_overrides_parse(const char *spec, sm_ip_override_t **out, int *n,
			  char *err, size_t errlen);

typedef struct sm_ip_quotas sm_ip_quotas_t;

/* per_ip: max.connections.per.ip for addresses without an override (< 0 or
 * INT32_MAX: unlimited; 0 refuses them). The overrides are copied. */
sm_ip_quotas_t *sm_ip_quotas_new(int per_ip, const sm_ip_override_t *ov, int nov);
void sm_ip_quotas_free(sm_ip_quotas_t *q);
/* Replaces the limits (dynamic broker configs); the counts are kept, so an
 * address already over a lowered limit keeps its connections but gets no
 * new one. Any thread. */
void sm_ip_quotas_set_limits(sm_ip_quotas_t *q, int per_ip, const sm_ip_override_t *ov, int nov);
/* The limit for one address (INT32_MAX: unlimited); not synchronised with
 * sm_ip_quotas_set_limits. */
int sm_ip_quotas_limit(const sm_ip_quotas_t *q, const char *ip);
/* Counts a new connection from ip; returns 1, or 0 without counting it when
 * ip already has its limit (*limit gets the limit). */
int sm_ip_quotas_inc(sm_ip_quotas_t *q, const char *ip, int *limit);
void sm_ip_quotas_dec(sm_ip_quotas_t *q, const char *ip);
int sm_ip_quotas_count(sm_ip_quotas_t *q, const char *ip);

#endif /* SM_CONNECTION_QUOTAS_H */
