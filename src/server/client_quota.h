/*
 * client_quota.h - client quotas (Kafka's ClientQuotaManager and
 * ClientRequestQuotaManager with the default quota callback, KIP-13,
 * KIP-55, KIP-124, KIP-219).
 *
 * Quota values come from /config/users/<user>, /config/clients/<client-id>
 * and /config/users/<user>/clients/<client-id> (each side may be
 * "<default>"): producer_byte_rate, consumer_byte_rate (bytes/s) and
 * request_percentage (percent of one handler thread). For a (user,
 * client-id) pair the entity that applies is the first that exists of
 *   user+client, user+<default> client, user, <default> user+client,
 *   <default> user+<default> client, <default> user, client,
 *   <default> client
 * and it also decides who shares the measured rate: a quota from a user
 * entity alone is shared by every client id of that user, one from a
 * client entity alone by every user of that client id, and the others
 * are per (user, client id), as Kafka's metric tags do.
 *
 * A rate is the sum of the values recorded in the last quota.window.num
 * windows of quota.window.size.seconds, divided by the time they span
 * (counted as at least window.num - 1 full windows, Kafka's Rate). A
 * recording that takes the rate over the bound asks for
 *   round((rate - bound) / bound * span_ms)
 * of throttle (bounded by one window for request_percentage).
 *
 * controller_mutation_rate (KIP-599) is measured differently, as Kafka's
 * ControllerMutationQuotaManager does: a token bucket per entity holding at
 * most rate * (controller.quota.window.num - 1) *
 * controller.quota.window.size.seconds partitions, full when first used,
 * refilled at the rate. Each partition created or deleted takes one token;
 * the bucket may go negative. A strict request (CreateTopics v6+,
 * CreatePartitions v3+, DeleteTopics v5+) is refused a mutation while the
 * bucket is below zero; a permissive one is never refused. Either way a
 * bucket below zero asks for the time it takes to refill to zero.
 *
 * Each rate's sensor also keeps the throttle times charged to it, so the metrics
 * endpoint can show Kafka's per-entity byte-rate / request-time /
 * mutation-rate, tokens and throttle-time (sm_client_quotas_metrics).
 *
 * Thread-safety: all functions are thread-safe. The configured quotas are
 * under a rwlock taken for reading per recording only once a quota entity
 * was ever configured (an atomic is checked first, so brokers that never
 * had one pay one load); the sensors are in hash shards, each with its own
 * mutex (leaf locks).
 */
#ifndef SM_CLIENT_QUOTA_H
#define SM_CLIENT_QUOTA_H

#include <stdatomic.h>
#include <stdint.h>

typedef enum {
	SM_QUOTA_PRODUCE = 0, /* producer_byte_rate */
	SM_QUOTA_FETCH,       /* consumer_byte_rate */
	SM_QUOTA_REQUEST,     /* request_percentage */
	SM_QUOTA_MUTATION,    /* controller_mutation_rate (partitions/s) */
	SM_QUOTA_TYPES
} sm_quota_type_t;

/* The entity name meaning "every user / client id without its own". */
#define SM_QUOTA_DEFAULT "<default>"

typedef struct sm_client_quotas sm_client_quotas_t;

sm_client_quotas_t *sm_client_quotas_new(int window_num, int64_t window_size_ms);
void sm_client_quotas_destroy(sm_client_quotas_t *q);

/* The process-wide instance the request handlers and the config manager
 * use (created by the server at startup; NULL before). */
sm_client_quotas_t *sm_client_quotas_global(void);
void sm_client_quotas_set_global(sm_client_quotas_t *q);

/* The quota config key of a type ("producer_byte_rate", ...), or the type
 * of a key (-1 when it is not a quota key). */
const char *sm_quota_key(sm_quota_type_t t);
int sm_quota_type_of(const char *key);

/* Replaces the quotas of one entity: user and client are names,
 * SM_QUOTA_DEFAULT or NULL (that side not part of the entity; not both).
 * values[t] < 0 means "not set". */
void sm_client_quotas_update(sm_client_quotas_t *q, const char *user, const char *client,
			     const double values[SM_QUOTA_TYPES]);

/* Kafka's quotasEnabled: once any quota entity was configured (quota
 * values or not, also a user's SCRAM credentials node, as Kafka's config
 * handler passes every entity to every quota manager), until the broker
 * restarts, every client is measured: rates and throttle times are kept
 * for clients no quota applies to as well, tagged by client id (or by
 * user when only user entities exist), for the metrics. */
int sm_client_quotas_enabled(sm_client_quotas_t *q);

/* The bound for a (user, client id) pair, or -1 when unlimited. */
double sm_client_quotas_bound(sm_client_quotas_t *q, sm_quota_type_t t, const char *user,
			      const char *client);

/* Records value for (user, client id) at now_ms (monotonic) and returns the
 * throttle time in ms (0 when within quota or none applies). */
int32_t sm_client_quotas_record(sm_client_quotas_t *q, sm_quota_type_t t, const char *user,
				const char *client, double value, int64_t now_ms);

/* Takes back a recorded value (a throttled fetch is answered empty). */
void sm_client_quotas_unrecord(sm_client_quotas_t *q, sm_quota_type_t t, const char *user,
			       const char *client, double value, int64_t now_ms);

/* Kafka's getMaxValueInQuotaWindow: what the quota allows over
 * window.num - 1 windows; -1 when unlimited. */
double sm_client_quotas_max_in_window(sm_client_quotas_t *q, sm_quota_type_t t,
				      const char *user, const char *client);

/* Rates being measured (for tests): bounded however many client ids come
 * and go. */
int sm_client_quotas_sensor_count(sm_client_quotas_t *q);

/* The token bucket of controller_mutation_rate is sized by these (Kafka's
 * controller.quota.window.num and .size.seconds); call before use. */
void sm_client_quotas_set_mutation_window(sm_client_quotas_t *q, int window_num,
					  int64_t window_size_ms);

/* controller_mutation_rate: takes permits (partitions) from the bucket of
 * (user, client id) at now_ms. Strict: when the bucket is already below
 * zero nothing is taken, *refused is set and the throttle time returned;
 * otherwise 0 is returned even when the bucket goes below zero (Kafka's
 * StrictControllerMutationQuota). Permissive: always taken, and the time
 * until the bucket is back at zero returned. 0 and not refused when no
 * quota applies. */
int32_t sm_client_quotas_mutation_record(sm_client_quotas_t *q, const char *user,
					 const char *client, double permits, int strict,
					 int64_t now_ms, int *refused);

/* A response of (user, client id) was throttled ms because of quota type t
 * (Kafka's ClientQuotaManager.throttle, the controller mutation quota
 * included): counted in that sensor's throttle-time. Kafka charges only the quota that asked for the longer
 * time (the request quota on a tie); callers do the same. */
void sm_client_quotas_throttled(sm_client_quotas_t *q, sm_quota_type_t t, const char *user,
				const char *client, int32_t ms, int64_t now_ms);

/* What Kafka exposes per quota sensor (kafka.server:type=Produce|Fetch|
 * Request|ControllerMutation,user=..,client-id=..): the measured rate
 * (byte-rate, request-time in percent of a thread, or mutation-rate in
 * partitions per second over the controller quota window), the tokens left
 * in a controller mutation bucket, and the average throttle time given
 * within the quota window (NaN when none, as Kafka's Avg). */
typedef struct sm_quota_metric {
	sm_quota_type_t type;
	char *user;           /* metric tags: "" when not part of the key */
	char *client;
	double rate;
	double tokens;        /* MUTATION with a quota; else NaN */
	double throttle_ms;
} sm_quota_metric_t;

/* Every sensor measured now, sorted
 * by type, user, client id; bounded as the sensors are. Takes each shard
 * lock in turn, briefly. Returns the count; *out is malloc'd. */
int sm_client_quotas_metrics(sm_client_quotas_t *q, int64_t now_ms, sm_quota_metric_t **out);
void sm_client_quotas_metrics_free(sm_quota_metric_t *m, int n);

/* Kafka's requestThreadTimeNanos (2.8): the handler time a request is
 * charged for request_percentage runs from a handler taking it to its
 * local completion, which is the end of its handling (the parked
 * operations completed after it included, Kafka's tryCompleteActions) or
 * its response, whichever comes first. A request answered later (a parked
 * fetch, an acks=-1 produce, a group join) is charged that handler time
 * when its response goes out, on whichever thread completes it; neither
 * its wait in the purgatory nor the completion itself is counted.
 * begin is called by the handler before anything else can see t; end and
 * ns may race (the first to run decides the end). */
typedef struct sm_req_thread_time {
	int64_t start_ns;
	_Atomic int64_t end_ns; /* -1 until the local completion */
} sm_req_thread_time_t;

void sm_req_thread_time_begin(sm_req_thread_time_t *t, int64_t now_ns);
/* The local completion at now_ns, unless it already happened. */
void sm_req_thread_time_end(sm_req_thread_time_t *t, int64_t now_ns);
/* The handler time in ns, the local completion set to now_ns first when it
 * has not happened yet (as Kafka's requestThreadTimeNanos does). */
int64_t sm_req_thread_time_ns(sm_req_thread_time_t *t, int64_t now_ns);

/* Kafka's throttle time for a rate over its bound measured over span_ms. */
int64_t sm_quota_throttle_ms(double rate, double bound, int64_t span_ms);

#endif /* SM_CLIENT_QUOTA_H */
