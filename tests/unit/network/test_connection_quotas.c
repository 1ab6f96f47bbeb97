/*
 * test_connection_quotas.c - unit tests for connection_quotas.c: the
 * queued.max.request.bytes pool, the connection creation rate limiter, the
 * max.connections.per.ip.overrides parser and per-address counting.
 */
#include <CUnit/Basic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connection_quotas.h"

static int wakes;

static void count_wake(void *arg)
{
	(void)arg;
	wakes++;
}

static void test_pool_non_strict(void)
{
	sm_mempool_t *mp = sm_mempool_new(100);

	wakes = 0;
	sm_mempool_set_callback(mp, count_wake, NULL);
	CU_ASSERT(sm_mempool_try_reserve(mp, 60));
	/* Not exhausted yet: granted even though it overshoots (Kafka's
	 * non-strict pool). */
	CU_ASSERT(sm_mempool_try_reserve(mp, 60));
	CU_ASSERT_EQUAL(sm_mempool_used(mp), 120);
	CU_ASSERT_FALSE(sm_mempool_try_reserve(mp, 1));
	/* A release that leaves it exhausted wakes nobody. */
	sm_mempool_release(mp, 10);
	CU_ASSERT_EQUAL(wakes, 0);
	CU_ASSERT_FALSE(sm_mempool_try_reserve(mp, 1));
	sm_mempool_release(mp, 60);
	CU_ASSERT_EQUAL(wakes, 1);
	CU_ASSERT_EQUAL(sm_mempool_used(mp), 50);
	/* No waiter since the last wake: no callback. */
	sm_mempool_release(mp, 50);
	CU_ASSERT_EQUAL(wakes, 1);
	CU_ASSERT_EQUAL(sm_mempool_used(mp), 0);
	sm_mempool_set_callback(mp, NULL, NULL);
	sm_mempool_unref(mp);
}

static void test_pool_unbounded_and_refs(void)
{
	sm_mempool_t *mp = sm_mempool_new(-1);

	for (int i = 0; i < 100; i++)
		CU_ASSERT(sm_mempool_try_reserve(mp, INT32_MAX));
	CU_ASSERT_EQUAL(sm_mempool_used(mp), 100LL * INT32_MAX);
	/* A request outliving the server keeps the pool alive. */
	sm_mempool_ref(mp);
	sm_mempool_unref(mp);
	sm_mempool_release(mp, 100LL * INT32_MAX);
	CU_ASSERT_EQUAL(sm_mempool_used(mp), 0);
	sm_mempool_unref(mp);
}

static void test_rate_limiter(void)
{
	sm_rate_limiter_t rl;
	int64_t now = 1000;

	sm_rate_limiter_init(&rl, 5, now);
	/* A second's worth passes at once. */
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(sm_rate_limiter_record(&rl, now), 0);
	/* Then one every 200 ms, each behind the previous. */
	CU_ASSERT_EQUAL(sm_rate_limiter_record(&rl, now), 201);
	CU_ASSERT_EQUAL(sm_rate_limiter_record(&rl, now), 401);
	/* Time pays the debt back. */
	now += 400;
	CU_ASSERT_EQUAL(sm_rate_limiter_record(&rl, now), 201);
	/* Idle time refills at most the burst. */
	now += 100000;
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(sm_rate_limiter_record(&rl, now), 0);
	CU_ASSERT(sm_rate_limiter_record(&rl, now) > 0);
	/* Unlimited (Kafka's default Int.MaxValue) never waits. */
	sm_rate_limiter_init(&rl, INT32_MAX, now);
	for (int i = 0; i < 10000; i++)
		CU_ASSERT_EQUAL(sm_rate_limiter_record(&rl, now), 0);
	/* Below one a second still lets one through, then spaces them. */
	sm_rate_limiter_init(&rl, 0.5, now);
	CU_ASSERT_EQUAL(sm_rate_limiter_record(&rl, now), 0);
	CU_ASSERT_EQUAL(sm_rate_limiter_record(&rl, now), 2001);
}

static void test_rate_try_and_ip_rates(void)
{
	sm_rate_limiter_t rl;
	sm_ip_rate_t r[3] = { { "10.0.0.1", 2 }, { "<default>", 1 }, { "10.0.0.3", 0 } };
	sm_ip_rates_t *q;
	int64_t now = 5000;

	/* try never goes into debt: a refusal records nothing. */
	sm_rate_limiter_init(&rl, 2, now);
	CU_ASSERT_EQUAL(sm_rate_limiter_try(&rl, now), 0);
	CU_ASSERT_EQUAL(sm_rate_limiter_try(&rl, now), 0);
	CU_ASSERT_EQUAL(sm_rate_limiter_try(&rl, now), 501);
	CU_ASSERT_EQUAL(sm_rate_limiter_try(&rl, now), 501);
	CU_ASSERT_EQUAL(sm_rate_limiter_try(&rl, now + 501), 0);
	/* unrecord gives one back, never above the burst. */
	sm_rate_limiter_unrecord(&rl);
	CU_ASSERT_EQUAL(sm_rate_limiter_try(&rl, now + 501), 0);
	sm_rate_limiter_unrecord(&rl);
	sm_rate_limiter_unrecord(&rl);
	sm_rate_limiter_unrecord(&rl);
	CU_ASSERT_EQUAL(sm_rate_limiter_try(&rl, now + 501), 0);
	CU_ASSERT_EQUAL(sm_rate_limiter_try(&rl, now + 501), 0);
	CU_ASSERT(sm_rate_limiter_try(&rl, now + 501) > 0);

	CU_ASSERT_PTR_NULL(sm_ip_rates_new(NULL, 0, now));
	CU_ASSERT_EQUAL(sm_ip_rates_record(NULL, "10.0.0.1", now), 0);
	q = sm_ip_rates_new(r, 3, now);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	/* Its own quota: two at once, then refused. */
	CU_ASSERT_EQUAL(sm_ip_rates_record(q, "10.0.0.1", now), 0);
	CU_ASSERT_EQUAL(sm_ip_rates_record(q, "10.0.0.1", now), 0);
	CU_ASSERT(sm_ip_rates_record(q, "10.0.0.1", now) > 0);
	/* The default quota, separately per address. */
	CU_ASSERT_EQUAL(sm_ip_rates_record(q, "10.0.0.2", now), 0);
	CU_ASSERT_EQUAL(sm_ip_rates_record(q, "10.0.0.2", now), 1001);
	CU_ASSERT_EQUAL(sm_ip_rates_record(q, "10.0.0.9", now), 0);
	/* 0: every connection from that address is throttled. */
	CU_ASSERT_EQUAL(sm_ip_rates_record(q, "10.0.0.3", now), 1000);
	CU_ASSERT_EQUAL(sm_ip_rates_record(q, "10.0.0.3", now + 5000), 1000);
	/* Many addresses under the default stay bounded (pruned once idle). */
	for (int i = 0; i < 20000; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 250, i % 250);
		CU_ASSERT_EQUAL(sm_ip_rates_record(q, ip, now + 2000 + i), 0);
	}
	CU_ASSERT(sm_ip_rates_record(q, "10.0.0.1", now + 100000) == 0);
	sm_ip_rates_free(q);
	/* Kafka's unlimited default (Int.MaxValue) limits nobody. */
	{
		sm_ip_rate_t u[1] = { { "<default>", INT32_MAX } };
		q = sm_ip_rates_new(u, 1, now);
		for (int i = 0; i < 100; i++)
			CU_ASSERT_EQUAL(sm_ip_rates_record(q, "10.0.0.4", now), 0);
		sm_ip_rates_free(q);
	}
}

static void test_ip_rates_set(void)
{
	int64_t now = 1000;
	char ip[64];
	sm_ip_rates_t *q = sm_ip_rates_empty(now);
	/* no quota anywhere */
	CU_ASSERT_EQUAL(sm_ip_rates_record(q, "10.0.0.1", now), 0);
	CU_ASSERT_EQUAL(sm_ip_rates_record(q, "10.0.0.1", now), 0);
	/* an address's own quota: one a second */
	sm_ip_rates_set(q, "10.0.0.1", 1, now);
	CU_ASSERT_EQUAL(sm_ip_rates_record(q, "10.0.0.1", now), 0);
	CU_ASSERT(sm_ip_rates_record(q, "10.0.0.1", now) > 0);
	CU_ASSERT_EQUAL(sm_ip_rates_record(q, "10.0.0.2", now), 0);
	/* a default: the others share nothing but the rate */
	sm_ip_rates_set(q, "<default>", 0, now);
	CU_ASSERT_EQUAL(sm_ip_rates_record(q, "10.0.0.2", now), 1000);
	CU_ASSERT(sm_ip_rates_record(q, "10.0.0.1", now) > 0);
	/* the address's quota removed: it falls back to the default (0) */
	sm_ip_rates_set(q, "10.0.0.1", -1, now);
	CU_ASSERT_EQUAL(sm_ip_rates_record(q, "10.0.0.1", now), 1000);
	/* a new default replaces the entries made for the old one */
	sm_ip_rates_set(q, "<default>", 1000, now);
	CU_ASSERT_EQUAL(sm_ip_rates_record(q, "10.0.0.1", now), 0);
	CU_ASSERT_EQUAL(sm_ip_rates_record(q, "10.0.0.2", now), 0);
	/* no default: unlimited again, Kafka's INT32_MAX too */
	sm_ip_rates_set(q, "<default>", 2147483647.0, now);
	for (int i = 0; i < 5000; i++)
		CU_ASSERT_EQUAL(sm_ip_rates_record(q, "10.0.0.3", now), 0);
	sm_ip_rates_set(q, "<default>", -1, now);
	sm_ip_rates_free(q);

	CU_ASSERT_EQUAL(sm_ip_entity_address("10.1.2.3", 0, ip, sizeof(ip)), 0);
	CU_ASSERT_STRING_EQUAL(ip, "10.1.2.3");
	CU_ASSERT_EQUAL(sm_ip_entity_address("::FFFF:10.1.2.3", 0, ip, sizeof(ip)), 0);
	CU_ASSERT_STRING_EQUAL(ip, "10.1.2.3");
	CU_ASSERT_EQUAL(sm_ip_entity_address("0:0::1", 0, ip, sizeof(ip)), 0);
	CU_ASSERT_STRING_EQUAL(ip, "::1");
	CU_ASSERT_EQUAL(sm_ip_entity_address("localhost", 0, ip, sizeof(ip)), -1);
	CU_ASSERT_EQUAL(sm_ip_entity_address("localhost", 1, ip, sizeof(ip)), 0);
	/* no lookup for what no resolver takes */
	CU_ASSERT_EQUAL(sm_ip_entity_address("no%20such", 1, ip, sizeof(ip)), -1);
	CU_ASSERT_EQUAL(sm_ip_entity_address("", 1, ip, sizeof(ip)), -1);
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CU_ASSERT_EQUAL(sm_ip_entity_address(longname, 1, ip, sizeof(ip)), -1);
}

static void test_overrides_parse(void)
{
	sm_ip_override_t *ov = NULL;
	int n = -1;
	char err[256] = "";

	CU_ASSERT_EQUAL(sm_ip_overrides_parse(" 127.0.0.1 : 5 , 10.1.2.3:0,::1:7,[fe80::1]:2 ",
					      &ov, &n, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_STRING_EQUAL(ov[0].ip, "127.0.0.1");
	CU_ASSERT_EQUAL(ov[0].limit, 5);
	CU_ASSERT_STRING_EQUAL(ov[1].ip, "10.1.2.3");
	CU_ASSERT_EQUAL(ov[1].limit, 0);
	CU_ASSERT_STRING_EQUAL(ov[2].ip, "::1");
	CU_ASSERT_EQUAL(ov[2].limit, 7);
	CU_ASSERT_STRING_EQUAL(ov[3].ip, "fe80::1");
	free(ov);

	/* A later entry for the same address wins. */
	CU_ASSERT_EQUAL(sm_ip_overrides_parse("127.0.0.1:5,127.0.0.1:9", &ov, &n, err,
					      sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(ov[0].limit, 9);
	free(ov);

	CU_ASSERT_EQUAL(sm_ip_overrides_parse("", &ov, &n, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_PTR_NULL(ov);

	const char *bad[] = { "127.0.0.1", "127.0.0.1:", ":5", "127.0.0.1:-1",
			      "127.0.0.1:x", "127.0.0.1:99999999999", "no-such-host.invalid:3" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(sm_ip_overrides_parse(bad[i], &ov, &n, err, sizeof(err)), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "max.connections.per.ip.overrides"));
		CU_ASSERT_PTR_NULL(ov);
	}
}

static void test_ip_counts(void)
{
	sm_ip_override_t ov[2] = { { "10.0.0.1", 3 }, { "10.0.0.2", 0 } };
	sm_ip_quotas_t *q = sm_ip_quotas_new(2, ov, 2);
	int limit = -1;

	CU_ASSERT_EQUAL(sm_ip_quotas_limit(q, "10.0.0.9"), 2);
	CU_ASSERT_EQUAL(sm_ip_quotas_limit(q, "10.0.0.1"), 3);
	CU_ASSERT(sm_ip_quotas_inc(q, "10.0.0.9", &limit));
	CU_ASSERT(sm_ip_quotas_inc(q, "10.0.0.9", &limit));
	CU_ASSERT_FALSE(sm_ip_quotas_inc(q, "10.0.0.9", &limit));
	CU_ASSERT_EQUAL(limit, 2);
	CU_ASSERT_EQUAL(sm_ip_quotas_count(q, "10.0.0.9"), 2);
	for (int i = 0; i < 3; i++)
		CU_ASSERT(sm_ip_quotas_inc(q, "10.0.0.1", NULL));
	CU_ASSERT_FALSE(sm_ip_quotas_inc(q, "10.0.0.1", NULL));
	CU_ASSERT_FALSE(sm_ip_quotas_inc(q, "10.0.0.2", &limit));
	CU_ASSERT_EQUAL(limit, 0);
	CU_ASSERT_EQUAL(sm_ip_quotas_count(q, "10.0.0.2"), 0);
	sm_ip_quotas_dec(q, "10.0.0.9");
	CU_ASSERT(sm_ip_quotas_inc(q, "10.0.0.9", NULL));
	/* Entries go with their last connection. */
	for (int i = 0; i < 2; i++)
		sm_ip_quotas_dec(q, "10.0.0.9");
	CU_ASSERT_EQUAL(sm_ip_quotas_count(q, "10.0.0.9"), 0);
	sm_ip_quotas_dec(q, "10.0.0.77"); /* unknown: harmless */
	sm_ip_quotas_free(q);

	/* Default unlimited. */
	q = sm_ip_quotas_new(INT32_MAX, NULL, 0);
	for (int i = 0; i < 1000; i++)
		CU_ASSERT(sm_ip_quotas_inc(q, "192.168.0.1", NULL));
	CU_ASSERT_EQUAL(sm_ip_quotas_count(q, "192.168.0.1"), 1000);
	sm_ip_quotas_free(q); /* frees live entries too */
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("connection_quotas", NULL, NULL);
	CU_add_test(s, "pool is non-strict and wakes on shortage end", test_pool_non_strict);
	CU_add_test(s, "pool unbounded, references", test_pool_unbounded_and_refs);
	CU_add_test(s, "creation rate token bucket", test_rate_limiter);
	CU_add_test(s, "creation rate try, per-address quotas", test_rate_try_and_ip_rates);
	CU_add_test(s, "per-address quotas set at run time", test_ip_rates_set);
	CU_add_test(s, "per-ip overrides parse", test_overrides_parse);
	CU_add_test(s, "per-ip counting", test_ip_counts);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
