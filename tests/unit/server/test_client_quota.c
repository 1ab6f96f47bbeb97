/* test_client_quota.c - client quotas (client_quota.h): Kafka's
 * precedence between user, client id and <default> entities, who shares
 * a measured rate, the windowed rate and the throttle time formula
 * (round((rate - bound) / bound * span)), the request quota's one-window
 * bound, taking a recording back, no throttling without quotas, a
 * bounded sensor table under a flood of client ids, and the
 * controller_mutation_rate token bucket with its strict and permissive
 * decisions, and the per-sensor metrics (rate, average throttle time,
 * the controller mutation rate and tokens), the sensors of clients no
 * quota applies to (Kafka's quotasEnabled), and the handler time a
 * request is charged (Kafka 2.8's requestThreadTimeNanos). */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_quota.h"

#define D SM_QUOTA_DEFAULT

static void set1(sm_client_quotas_t *q, const char *u, const char *c, int t, double v)
{
	double vals[SM_QUOTA_TYPES];
	for (int i = 0; i < SM_QUOTA_TYPES; i++)
		vals[i] = -1;
	vals[t] = v;
	sm_client_quotas_update(q, u, c, vals);
}

static double bound(sm_client_quotas_t *q, const char *u, const char *c)
{
	return sm_client_quotas_bound(q, SM_QUOTA_PRODUCE, u, c);
}

static void test_throttle_formula(void)
{
	CU_ASSERT_EQUAL(sm_quota_throttle_ms(1.5e6, 1e6, 11000), 5500);
	CU_ASSERT_EQUAL(sm_quota_throttle_ms(2e6, 1e6, 10000), 10000);
	CU_ASSERT_EQUAL(sm_quota_throttle_ms(1e6, 1e6, 10000), 0);
	CU_ASSERT_EQUAL(sm_quota_throttle_ms(5e5, 1e6, 10000), 0);
	/* rounded, not truncated */
	CU_ASSERT_EQUAL(sm_quota_throttle_ms(1000.16, 1000, 10000), 2);
}

static void test_precedence(void)
{
	sm_client_quotas_t *q = sm_client_quotas_new(11, 1000);
	CU_ASSERT_EQUAL(bound(q, "alice", "c1"), -1);
	set1(q, NULL, D, SM_QUOTA_PRODUCE, 10);
	CU_ASSERT_EQUAL(bound(q, "alice", "c1"), 10);
	set1(q, NULL, "c1", SM_QUOTA_PRODUCE, 20);
	CU_ASSERT_EQUAL(bound(q, "alice", "c1"), 20);
	CU_ASSERT_EQUAL(bound(q, "alice", "c2"), 10);
	set1(q, D, NULL, SM_QUOTA_PRODUCE, 30);
	CU_ASSERT_EQUAL(bound(q, "alice", "c1"), 30);
	set1(q, D, D, SM_QUOTA_PRODUCE, 40);
	CU_ASSERT_EQUAL(bound(q, "alice", "c1"), 40);
	set1(q, D, "c1", SM_QUOTA_PRODUCE, 50);
	CU_ASSERT_EQUAL(bound(q, "alice", "c1"), 50);
	CU_ASSERT_EQUAL(bound(q, "alice", "c2"), 40);
	set1(q, "alice", NULL, SM_QUOTA_PRODUCE, 60);
	CU_ASSERT_EQUAL(bound(q, "alice", "c1"), 60);
	CU_ASSERT_EQUAL(bound(q, "bob", "c1"), 50);
	set1(q, "alice", D, SM_QUOTA_PRODUCE, 70);
	CU_ASSERT_EQUAL(bound(q, "alice", "c1"), 70);
	set1(q, "alice", "c1", SM_QUOTA_PRODUCE, 80);
	CU_ASSERT_EQUAL(bound(q, "alice", "c1"), 80);
	CU_ASSERT_EQUAL(bound(q, "alice", "c2"), 70);
	CU_ASSERT_EQUAL(bound(q, "bob", "c2"), 40);
	/* other quota types are separate */
	CU_ASSERT_EQUAL(sm_client_quotas_bound(q, SM_QUOTA_FETCH, "alice", "c1"), -1);
	/* removing an entity falls back along the same order */
	set1(q, "alice", "c1", SM_QUOTA_PRODUCE, -1);
	CU_ASSERT_EQUAL(bound(q, "alice", "c1"), 70);
	set1(q, "alice", D, SM_QUOTA_PRODUCE, -1);
	CU_ASSERT_EQUAL(bound(q, "alice", "c1"), 60);
	set1(q, "alice", NULL, SM_QUOTA_PRODUCE, -1);
	set1(q, D, "c1", SM_QUOTA_PRODUCE, -1);
	set1(q, D, D, SM_QUOTA_PRODUCE, -1);
	set1(q, D, NULL, SM_QUOTA_PRODUCE, -1);
	CU_ASSERT_EQUAL(bound(q, "alice", "c1"), 20);
	set1(q, NULL, "c1", SM_QUOTA_PRODUCE, -1);
	set1(q, NULL, D, SM_QUOTA_PRODUCE, -1);
	CU_ASSERT_EQUAL(bound(q, "alice", "c1"), -1);
	sm_client_quotas_destroy(q);
}

static void test_rate_and_throttle(void)
{
	sm_client_quotas_t *q = sm_client_quotas_new(11, 1000);
	/* no quota: nothing is throttled */
	CU_ASSERT_EQUAL(sm_client_quotas_record(q, SM_QUOTA_PRODUCE, "u", "c", 1e9, 1000), 0);
	set1(q, NULL, "c", SM_QUOTA_PRODUCE, 1000);
	/* one sample: the span counts as 10 full windows, 10000 B in 10 s is
	 * exactly the bound */
	CU_ASSERT_EQUAL(sm_client_quotas_record(q, SM_QUOTA_PRODUCE, "u", "c", 10000, 1000), 0);
	/* 10001 B: 0.1 B/s over, 0.1/1000 * 10000 ms = 1 ms */
	CU_ASSERT_EQUAL(sm_client_quotas_record(q, SM_QUOTA_PRODUCE, "u", "c", 1, 1000), 1);
	/* 20001 B in 10 s: 2000.1 B/s, (1000.1 / 1000) * 10000 = 10001 ms */
	CU_ASSERT_EQUAL(sm_client_quotas_record(q, SM_QUOTA_PRODUCE, "u", "c", 10000, 1000), 10001);
	/* taken back: within quota again */
	sm_client_quotas_unrecord(q, SM_QUOTA_PRODUCE, "u", "c", 10001, 1000);
	CU_ASSERT_EQUAL(sm_client_quotas_record(q, SM_QUOTA_PRODUCE, "u", "c", 0, 1000), 0);
	/* 16 s later every sample is past the 11 s window: a fresh start */
	CU_ASSERT_EQUAL(sm_client_quotas_record(q, SM_QUOTA_PRODUCE, "u", "c", 10000, 17000), 0);
	/* the span grows with the samples: 11 samples 1 s apart span 10 s+ */
	sm_client_quotas_t *r = sm_client_quotas_new(11, 1000);
	set1(r, NULL, "c", SM_QUOTA_PRODUCE, 1000);
	int32_t ms = 0;
	for (int i = 0; i < 15; i++)
		ms = sm_client_quotas_record(r, SM_QUOTA_PRODUCE, "u", "c", 1000, 1000 + i * 1000);
	/* steady at the bound: 11 samples of 1000 B over 10 s is 1100 B/s:
	 * 100/1000 * 10000 = 1000 ms */
	CU_ASSERT_EQUAL(ms, 1000);
	sm_client_quotas_destroy(r);
	sm_client_quotas_destroy(q);
}

static void test_sharing(void)
{
	sm_client_quotas_t *q = sm_client_quotas_new(11, 1000);
	/* a user quota is shared by the user's client ids */
	set1(q, "alice", NULL, SM_QUOTA_PRODUCE, 1000);
	CU_ASSERT_EQUAL(sm_client_quotas_record(q, SM_QUOTA_PRODUCE, "alice", "c1", 10000, 1000), 0);
	CU_ASSERT(sm_client_quotas_record(q, SM_QUOTA_PRODUCE, "alice", "c2", 5000, 1000) > 0);
	/* but not by another user */
	CU_ASSERT_EQUAL(sm_client_quotas_record(q, SM_QUOTA_PRODUCE, "bob", "c2", 5000, 1000), 0);
	/* a <default> client quota is per client id */
	set1(q, NULL, D, SM_QUOTA_FETCH, 1000);
	CU_ASSERT_EQUAL(sm_client_quotas_record(q, SM_QUOTA_FETCH, "bob", "c1", 10000, 1000), 0);
	CU_ASSERT_EQUAL(sm_client_quotas_record(q, SM_QUOTA_FETCH, "bob", "c2", 10000, 1000), 0);
	CU_ASSERT(sm_client_quotas_record(q, SM_QUOTA_FETCH, "bob", "c2", 10000, 1000) > 0);
	/* a client quota is shared by the users of that client id */
	set1(q, NULL, "c9", SM_QUOTA_FETCH, 1000);
	CU_ASSERT_EQUAL(sm_client_quotas_record(q, SM_QUOTA_FETCH, "bob", "c9", 10000, 1000), 0);
	CU_ASSERT(sm_client_quotas_record(q, SM_QUOTA_FETCH, "carol", "c9", 10000, 1000) > 0);
	/* the window cap for a fetch: bound over window.num - 1 windows */
	CU_ASSERT_EQUAL(sm_client_quotas_max_in_window(q, SM_QUOTA_FETCH, "x", "c9"), 10000);
	CU_ASSERT_EQUAL(sm_client_quotas_max_in_window(q, SM_QUOTA_REQUEST, "x", "c9"), -1);
	sm_client_quotas_destroy(q);
}

/* A client cycling through client ids under a <default> client quota: the
 * sensors stay bounded, idle ones go once their samples have expired, and
 * a sensor still in use keeps its rate. */
static void test_sensor_bound(void)
{
	sm_client_quotas_t *q = sm_client_quotas_new(11, 1000);
	set1(q, NULL, D, SM_QUOTA_PRODUCE, 1000);
	char id[32];
	for (int i = 0; i < 400000; i++) {
		snprintf(id, sizeof(id), "c%d", i);
		(void)sm_client_quotas_record(q, SM_QUOTA_PRODUCE, "u", id, 1, 1000);
	}
	CU_ASSERT(sm_client_quotas_sensor_count(q) <= 64 * 4096);
	/* a busy client over its quota */
	CU_ASSERT(sm_client_quotas_record(q, SM_QUOTA_PRODUCE, "u", "busy", 20000, 5000) > 0);
	/* 11.5 s after the flood its sensors are idle: new insertions sweep
	 * them, the busy one stays and is still over its quota */
	for (int i = 0; i < 64 * 256; i++) {
		snprintf(id, sizeof(id), "n%d", i);
		(void)sm_client_quotas_record(q, SM_QUOTA_PRODUCE, "u", id, 1, 12500);
	}
	CU_ASSERT(sm_client_quotas_sensor_count(q) < 64 * 4096 / 2);
	CU_ASSERT(sm_client_quotas_record(q, SM_QUOTA_PRODUCE, "u", "busy", 1, 12500) > 0);
	sm_client_quotas_destroy(q);
}

static void test_request_bounded(void)
{
	sm_client_quotas_t *q = sm_client_quotas_new(11, 1000);
	set1(q, D, NULL, SM_QUOTA_REQUEST, 1);
	/* far over: throttled for at most one window */
	CU_ASSERT_EQUAL(sm_client_quotas_record(q, SM_QUOTA_REQUEST, "u", "c", 500, 1000), 1000);
	CU_ASSERT_EQUAL(sm_quota_type_of("request_percentage"), SM_QUOTA_REQUEST);
	CU_ASSERT_EQUAL(sm_quota_type_of("SCRAM-SHA-256"), -1);
	sm_client_quotas_destroy(q);
}

/* controller_mutation_rate with 2 windows of 1 s: the bucket holds
 * rate * 1 s. */
static int32_t mut(sm_client_quotas_t *q, const char *c, double n, int strict, int64_t now,
		   int *refused)
{
	return sm_client_quotas_mutation_record(q, "alice", c, n, strict, now, refused);
}

static void test_mutation_strict(void)
{
	sm_client_quotas_t *q = sm_client_quotas_new(11, 1000);
	sm_client_quotas_set_mutation_window(q, 2, 1000);
	int refused = -1;
	/* no quota: never refused, never throttled */
	CU_ASSERT_EQUAL(mut(q, "c1", 100, 1, 1000, &refused), 0);
	CU_ASSERT_EQUAL(refused, 0);
	set1(q, NULL, "c1", SM_QUOTA_MUTATION, 2);
	/* a full bucket (2) admits 5 and goes to -3, without a throttle */
	CU_ASSERT_EQUAL(mut(q, "c1", 5, 1, 1000, &refused), 0);
	CU_ASSERT_EQUAL(refused, 0);
	/* below zero: refused, throttled for the refill to zero */
	CU_ASSERT_EQUAL(mut(q, "c1", 5, 1, 1000, &refused), 1500);
	CU_ASSERT_EQUAL(refused, 1);
	/* refusing took nothing: 1 s later 1000 ms are left */
	CU_ASSERT_EQUAL(mut(q, "c1", 5, 1, 2000, &refused), 500);
	CU_ASSERT_EQUAL(refused, 1);
	/* back at zero: admitted again */
	CU_ASSERT_EQUAL(mut(q, "c1", 1, 1, 2500, &refused), 0);
	CU_ASSERT_EQUAL(refused, 0);
	CU_ASSERT_EQUAL(mut(q, "c1", 1, 1, 2500, &refused), 500);
	CU_ASSERT_EQUAL(refused, 1);
	/* another client id has no quota */
	CU_ASSERT_EQUAL(mut(q, "c2", 50, 1, 2500, &refused), 0);
	CU_ASSERT_EQUAL(refused, 0);
	/* refilled, but never above the bucket's size (2) */
	CU_ASSERT_EQUAL(mut(q, "c1", 2, 1, 100000, &refused), 0);
	CU_ASSERT_EQUAL(mut(q, "c1", 1, 1, 100000, &refused), 0);
	CU_ASSERT_EQUAL(refused, 0);
	CU_ASSERT_EQUAL(mut(q, "c1", 1, 1, 100000, &refused), 500);
	CU_ASSERT_EQUAL(refused, 1);
	/* the windowed-rate entry point leaves the bucket alone */
	CU_ASSERT_EQUAL(sm_client_quotas_record(q, SM_QUOTA_MUTATION, "alice", "c1", 1000, 100000), 0);
	CU_ASSERT_EQUAL(mut(q, "c1", 1, 1, 100000, &refused), 500);
	sm_client_quotas_destroy(q);
}

static void test_mutation_permissive(void)
{
	sm_client_quotas_t *q = sm_client_quotas_new(11, 1000);
	sm_client_quotas_set_mutation_window(q, 2, 1000);
	set1(q, "alice", NULL, SM_QUOTA_MUTATION, 2);
	int refused = -1;
	CU_ASSERT_EQUAL(mut(q, "c1", 2, 0, 1000, &refused), 0);
	CU_ASSERT_EQUAL(refused, 0);
	/* never refused; throttled for the time back to zero */
	CU_ASSERT_EQUAL(mut(q, "c1", 5, 0, 1000, &refused), 2500);
	CU_ASSERT_EQUAL(refused, 0);
	/* a user quota: every client id of the user shares the bucket */
	CU_ASSERT_EQUAL(mut(q, "c2", 1, 0, 1000, &refused), 3000);
	CU_ASSERT_EQUAL(refused, 0);
	CU_ASSERT_EQUAL(mut(q, "c2", 1, 1, 1000, &refused), 3000);
	CU_ASSERT_EQUAL(refused, 1);
	/* the default window: 11 windows of 1 s hold 10 s worth */
	sm_client_quotas_t *q2 = sm_client_quotas_new(11, 1000);
	set1(q2, NULL, D, SM_QUOTA_MUTATION, 2);
	CU_ASSERT_EQUAL(mut(q2, "x", 20, 1, 0, &refused), 0);
	CU_ASSERT_EQUAL(mut(q2, "x", 1, 1, 0, &refused), 0);
	CU_ASSERT_EQUAL(refused, 0);
	CU_ASSERT_EQUAL(mut(q2, "x", 1, 1, 0, &refused), 500);
	CU_ASSERT_EQUAL(refused, 1);
	/* a quota of 0 never refills: throttled one whole window (11 s) */
	set1(q2, NULL, "zero", SM_QUOTA_MUTATION, 0);
	CU_ASSERT_EQUAL(mut(q2, "zero", 1, 1, 0, &refused), 0);
	CU_ASSERT_EQUAL(mut(q2, "zero", 1, 1, 5000, &refused), 11000);
	CU_ASSERT_EQUAL(refused, 1);
	sm_client_quotas_destroy(q2);
	sm_client_quotas_destroy(q);
}

static void test_metrics(void)
{
	sm_client_quotas_t *q = sm_client_quotas_new(11, 1000);
	sm_quota_metric_t *m;
	/* nothing measured: no series */
	CU_ASSERT_EQUAL(sm_client_quotas_metrics(q, 1000, &m), 0);
	sm_client_quotas_metrics_free(m, 0);
	CU_ASSERT_EQUAL(sm_client_quotas_metrics(NULL, 1000, &m), 0);
	set1(q, NULL, "c", SM_QUOTA_PRODUCE, 1000);
	set1(q, "u", NULL, SM_QUOTA_REQUEST, 50);
	/* within quota: a rate, no throttle time (NaN, Kafka's empty Avg) */
	CU_ASSERT_EQUAL(sm_client_quotas_record(q, SM_QUOTA_PRODUCE, "u", "c", 5000, 1000), 0);
	CU_ASSERT_EQUAL(sm_client_quotas_record(q, SM_QUOTA_REQUEST, "u", "c", 1, 1000), 0);
	int n = sm_client_quotas_metrics(q, 1000, &m);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	/* sorted by type: Produce keyed by client id, Request by user */
	CU_ASSERT_EQUAL(m[0].type, SM_QUOTA_PRODUCE);
	CU_ASSERT_STRING_EQUAL(m[0].user, "");
	CU_ASSERT_STRING_EQUAL(m[0].client, "c");
	CU_ASSERT_DOUBLE_EQUAL(m[0].rate, 500, 1e-9); /* 5000 B over 10 s */
	CU_ASSERT(isnan(m[0].throttle_ms));
	CU_ASSERT_EQUAL(m[1].type, SM_QUOTA_REQUEST);
	CU_ASSERT_STRING_EQUAL(m[1].user, "u");
	CU_ASSERT_STRING_EQUAL(m[1].client, "");
	sm_client_quotas_metrics_free(m, n);
	/* two throttled recordings: the average of their throttle times */
	int32_t t1 = sm_client_quotas_record(q, SM_QUOTA_PRODUCE, "u", "c", 10000, 1000);
	int32_t t2 = sm_client_quotas_record(q, SM_QUOTA_PRODUCE, "u", "c", 10000, 1500);
	CU_ASSERT(t1 > 0 && t2 > t1);
	/* only throttles charged to the sensor count */
	n = sm_client_quotas_metrics(q, 1500, &m);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT(isnan(m[0].throttle_ms));
	sm_client_quotas_metrics_free(m, n);
	sm_client_quotas_throttled(q, SM_QUOTA_PRODUCE, "u", "c", t1, 1000);
	sm_client_quotas_throttled(q, SM_QUOTA_PRODUCE, "u", "c", t2, 1500);
	sm_client_quotas_throttled(q, SM_QUOTA_PRODUCE, "u", "c", 0, 1500);
	n = sm_client_quotas_metrics(q, 1500, &m);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_DOUBLE_EQUAL(m[0].throttle_ms, (t1 + t2) / 2.0, 1e-9);
	/* 25000 B over 0.5 s plus the 10 windows counted at least */
	CU_ASSERT_DOUBLE_EQUAL(m[0].rate, 25000 / 10.5, 1e-9);
	sm_client_quotas_metrics_free(m, n);
	/* past the whole window the samples are gone: rate 0, no throttle */
	n = sm_client_quotas_metrics(q, 30000, &m);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_DOUBLE_EQUAL(m[0].rate, 0, 1e-9);
	CU_ASSERT(isnan(m[0].throttle_ms));
	sm_client_quotas_metrics_free(m, n);
	sm_client_quotas_destroy(q);
}

/* Kafka's ControllerMutation sensor: mutation-rate over the controller
 * quota window, tokens, and the throttle-time charged to it. */
static void test_mutation_metrics(void)
{
	sm_client_quotas_t *q = sm_client_quotas_new(11, 1000);
	sm_client_quotas_set_mutation_window(q, 6, 2000);
	set1(q, "u", NULL, SM_QUOTA_MUTATION, 5);
	int refused;
	/* a full bucket of 5 * 5 * 2 = 50 tokens: 60 permissive permits leave
	 * -10, two seconds to refill at 5/s */
	CU_ASSERT_EQUAL(sm_client_quotas_mutation_record(q, "u", "c", 60, 0, 1000, &refused), 2000);
	CU_ASSERT_FALSE(refused);
	/* strict and below zero: refused, and not counted in the rate */
	CU_ASSERT(sm_client_quotas_mutation_record(q, "u", "c", 3, 1, 1000, &refused) > 0);
	CU_ASSERT_TRUE(refused);
	sm_client_quotas_throttled(q, SM_QUOTA_MUTATION, "u", "c", 2000, 1000);
	sm_quota_metric_t *m;
	int n = sm_client_quotas_metrics(q, 1000, &m);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(m[0].type, SM_QUOTA_MUTATION);
	CU_ASSERT_STRING_EQUAL(m[0].user, "u");
	CU_ASSERT_STRING_EQUAL(m[0].client, "");
	/* 60 partitions over at least 5 windows of 2 s */
	CU_ASSERT_DOUBLE_EQUAL(m[0].rate, 6, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(m[0].tokens, -10, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(m[0].throttle_ms, 2000, 1e-9);
	sm_client_quotas_metrics_free(m, n);
	/* tokens refill when read, as Kafka's TokenBucket measures them */
	n = sm_client_quotas_metrics(q, 3000, &m);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_DOUBLE_EQUAL(m[0].tokens, 0, 1e-9);
	sm_client_quotas_metrics_free(m, n);
	/* another user no quota applies to: a rate, no bucket (NaN tokens),
	 * never refused */
	CU_ASSERT_EQUAL(sm_client_quotas_mutation_record(q, "v", "c", 100, 1, 3000, &refused), 0);
	CU_ASSERT_FALSE(refused);
	n = sm_client_quotas_metrics(q, 3000, &m);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(m[1].user, "v");
	CU_ASSERT_DOUBLE_EQUAL(m[1].rate, 10, 1e-9);
	CU_ASSERT(isnan(m[1].tokens));
	sm_client_quotas_metrics_free(m, n);
	sm_client_quotas_destroy(q);
}

/* Kafka's quotasEnabled and the tags of clients no quota applies to:
 * nothing is measured before any quota entity exists; after, every client
 * is, by client id (only client entities, or mixed shapes) or by user
 * (only user entities), and that stays so when the quotas are deleted. */
static void test_unquoted_sensors(void)
{
	sm_client_quotas_t *q = sm_client_quotas_new(11, 1000);
	sm_quota_metric_t *m;
	CU_ASSERT_FALSE(sm_client_quotas_enabled(q));
	CU_ASSERT_EQUAL(sm_client_quotas_record(q, SM_QUOTA_PRODUCE, "u", "c", 100, 1000), 0);
	CU_ASSERT_EQUAL(sm_client_quotas_sensor_count(q), 0);
	/* a user's node without quota values (SCRAM credentials only) */
	double none[SM_QUOTA_TYPES] = { -1, -1, -1, -1 };
	sm_client_quotas_update(q, "alice", NULL, none);
	CU_ASSERT_TRUE(sm_client_quotas_enabled(q));
	CU_ASSERT_EQUAL(sm_client_quotas_record(q, SM_QUOTA_PRODUCE, "bob", "c1", 1000, 1000), 0);
	CU_ASSERT_EQUAL(sm_client_quotas_record(q, SM_QUOTA_REQUEST, "bob", "c1", 2, 1000), 0);
	int n = sm_client_quotas_metrics(q, 1000, &m);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	/* only user entities: tagged by user */
	CU_ASSERT_STRING_EQUAL(m[0].user, "bob");
	CU_ASSERT_STRING_EQUAL(m[0].client, "");
	CU_ASSERT_DOUBLE_EQUAL(m[0].rate, 100, 1e-9);
	CU_ASSERT(isnan(m[0].throttle_ms));
	CU_ASSERT_EQUAL(m[1].type, SM_QUOTA_REQUEST);
	sm_client_quotas_metrics_free(m, n);
	/* a client-id quota too: mixed shapes, the precedence decides, and a
	 * client none applies to is tagged by its client id */
	set1(q, NULL, "c2", SM_QUOTA_PRODUCE, 10);
	set1(q, NULL, "c2", SM_QUOTA_PRODUCE, -1); /* deleted: still enabled */
	CU_ASSERT_TRUE(sm_client_quotas_enabled(q));
	CU_ASSERT_EQUAL(sm_client_quotas_record(q, SM_QUOTA_PRODUCE, "bob", "c3", 1000, 1000), 0);
	n = sm_client_quotas_metrics(q, 1000, &m);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_STRING_EQUAL(m[0].user, "");
	CU_ASSERT_STRING_EQUAL(m[0].client, "c3");
	CU_ASSERT_EQUAL(m[2].type, SM_QUOTA_REQUEST);
	sm_client_quotas_metrics_free(m, n);
	/* bounded as quota'd clients are */
	char id[32];
	for (int i = 0; i < 300000; i++) {
		snprintf(id, sizeof(id), "x%d", i);
		(void)sm_client_quotas_record(q, SM_QUOTA_FETCH, "bob", id, 1, 2000);
	}
	CU_ASSERT(sm_client_quotas_sensor_count(q) <= 64 * 4096);
	sm_client_quotas_destroy(q);
}

/* Kafka 2.8's requestThreadTimeNanos: what request_percentage charges. */
static void test_request_thread_time(void)
{
	sm_req_thread_time_t t;
	/* answered by its handler: the time up to the response */
	sm_req_thread_time_begin(&t, 1000000);
	CU_ASSERT_EQUAL(sm_req_thread_time_ns(&t, 4000000), 3000000);
	sm_req_thread_time_end(&t, 9000000); /* the handler returns later */
	CU_ASSERT_EQUAL(sm_req_thread_time_ns(&t, 9000000), 3000000);
	/* parked: the handler's time up to its end (deferred completions
	 * included); the wait in the purgatory and the completion on another
	 * thread 5 s later are not counted */
	sm_req_thread_time_begin(&t, 1000000);
	sm_req_thread_time_end(&t, 3500000);
	CU_ASSERT_EQUAL(sm_req_thread_time_ns(&t, 5003500000), 2500000);
	/* answered by another thread before its handler returned: up to
	 * that response */
	sm_req_thread_time_begin(&t, 1000000);
	CU_ASSERT_EQUAL(sm_req_thread_time_ns(&t, 2000000), 1000000);
	sm_req_thread_time_end(&t, 7000000);
	CU_ASSERT_EQUAL(sm_req_thread_time_ns(&t, 7000000), 1000000);
	/* never negative */
	sm_req_thread_time_begin(&t, 1000000);
	CU_ASSERT_EQUAL(sm_req_thread_time_ns(&t, 500000), 0);
	/* charged as request_percentage: 2.5 ms of handler time is 0.25% of
	 * a second, over at least 10 s of windows */
	sm_client_quotas_t *q = sm_client_quotas_new(11, 1000);
	set1(q, "u", NULL, SM_QUOTA_REQUEST, 50);
	sm_req_thread_time_begin(&t, 0);
	sm_req_thread_time_end(&t, 2500000);
	double pct = (double)sm_req_thread_time_ns(&t, 60000000000) * 100.0 / 1e9;
	CU_ASSERT_EQUAL(sm_client_quotas_record(q, SM_QUOTA_REQUEST, "u", "c", pct, 60000), 0);
	sm_quota_metric_t *m;
	int n = sm_client_quotas_metrics(q, 60000, &m);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_DOUBLE_EQUAL(m[0].rate, 0.025, 1e-12);
	sm_client_quotas_metrics_free(m, n);
	sm_client_quotas_destroy(q);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("client_quota", NULL, NULL);
	CU_add_test(s, "throttle formula", test_throttle_formula);
	CU_add_test(s, "precedence", test_precedence);
	CU_add_test(s, "rate and throttle", test_rate_and_throttle);
	CU_add_test(s, "sharing", test_sharing);
	CU_add_test(s, "request quota bounded", test_request_bounded);
	CU_add_test(s, "sensor bound", test_sensor_bound);
	CU_add_test(s, "mutation strict", test_mutation_strict);
	CU_add_test(s, "mutation permissive", test_mutation_permissive);
	CU_add_test(s, "metrics", test_metrics);
	CU_add_test(s, "mutation metrics", test_mutation_metrics);
	CU_add_test(s, "unquoted sensors", test_unquoted_sensors);
	CU_add_test(s, "request thread time", test_request_thread_time);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
