/*
 * test_replication_quota.c - the replication throttles: which replicas a
 * throttled-replica list names, and the sampled rate (Kafka's Rate over
 * replication.quota.window.num windows) against the bound, with time moved
 * through the clock's test seam.
 */
#include <CUnit/Basic.h>
#include <stdint.h>

#include "clock.h"
#include "replication_quota.h"

static void test_listed(void)
{
	CU_ASSERT(sm_repl_quota_listed("*", 7, 3));
	CU_ASSERT(sm_repl_quota_listed("0:1,1:2", 0, 1));
	CU_ASSERT(sm_repl_quota_listed("0:1,1:2", 1, 2));
	CU_ASSERT(!sm_repl_quota_listed("0:1,1:2", 1, 1));
	CU_ASSERT(!sm_repl_quota_listed("0:1,1:2", 2, 2));
	CU_ASSERT(sm_repl_quota_listed("0:1, 10:2", 10, 2));
	CU_ASSERT(!sm_repl_quota_listed("10:2", 1, 2));
	CU_ASSERT(!sm_repl_quota_listed("", 0, 0));
	CU_ASSERT(!sm_repl_quota_listed(NULL, 0, 0));
	/* a malformed list (only a hand-written znode) throttles nothing
	 * past the bad element */
	CU_ASSERT(!sm_repl_quota_listed("x:1", 0, 1));
	CU_ASSERT(!sm_repl_quota_listed("0:", 0, 0));
	CU_ASSERT(!sm_repl_quota_listed("**", 0, 0));
}

static void test_unbounded(void)
{
	sm_repl_quota_t *q = sm_repl_quota_new(11, 1);
	CU_ASSERT_EQUAL(sm_repl_quota_rate(q), INT64_MAX);
	sm_repl_quota_record(q, INT64_MAX);
	sm_repl_quota_record(q, INT64_MAX); /* saturates, never wraps */
	CU_ASSERT(!sm_repl_quota_exceeded(q));
	CU_ASSERT(sm_repl_quota_measure(q) > 0);
	sm_repl_quota_set_rate(q, -5); /* negative: unbounded */
	CU_ASSERT_EQUAL(sm_repl_quota_rate(q), INT64_MAX);
	sm_repl_quota_destroy(q);
}

static void test_rate(void)
{
	/* time is given explicitly: the checks do not depend on how fast
	 * the test runs */
	int64_t t = 1000000;
	/* 11 windows of 1 s: the rate divides by at least 10 s */
	sm_repl_quota_t *q = sm_repl_quota_new(11, 1);
	sm_repl_quota_set_rate(q, 1000);
	sm_repl_quota_record_at(q, 9000, t);
	CU_ASSERT(!sm_repl_quota_exceeded_at(q, t)); /* 900 B/s */
	sm_repl_quota_record_at(q, 2000, t);
	CU_ASSERT(sm_repl_quota_exceeded_at(q, t)); /* 1100 B/s */
	/* live change of the bound */
	sm_repl_quota_set_rate(q, 2000);
	CU_ASSERT(!sm_repl_quota_exceeded_at(q, t));
	sm_repl_quota_set_rate(q, 1000);
	/* the samples age out after 11 windows */
	CU_ASSERT(!sm_repl_quota_exceeded_at(q, t + 11000));
	CU_ASSERT_DOUBLE_EQUAL(sm_repl_quota_measure_at(q, t + 11000), 0.0, 0.001);
	sm_repl_quota_destroy(q);

	/* 2 windows of 1 s: bytes over the time since the oldest kept
	 * sample started, at least 1 s */
	q = sm_repl_quota_new(2, 1);
	sm_repl_quota_set_rate(q, 1500);
	sm_repl_quota_record_at(q, 1000, t);
	CU_ASSERT_DOUBLE_EQUAL(sm_repl_quota_measure_at(q, t), 1000.0, 0.01);
	CU_ASSERT_DOUBLE_EQUAL(sm_repl_quota_measure_at(q, t + 1000), 1000.0, 0.01);
	sm_repl_quota_record_at(q, 1000, t + 1000); /* a second sample: 2000 B over 1 s */
	CU_ASSERT(sm_repl_quota_exceeded_at(q, t + 1000));
	/* 2000 B over 2 s */
	CU_ASSERT_DOUBLE_EQUAL(sm_repl_quota_measure_at(q, t + 2000), 1000.0, 0.01);
	CU_ASSERT(!sm_repl_quota_exceeded_at(q, t + 2000));
	/* the first sample aged out: 1000 B over 1.5 s */
	CU_ASSERT_DOUBLE_EQUAL(sm_repl_quota_measure_at(q, t + 2500), 1000.0 * 1000 / 1500, 0.01);
	sm_repl_quota_destroy(q);

	/* the public calls read the broker's clock */
	q = sm_repl_quota_new(11, 1);
	sm_repl_quota_set_rate(q, 1);
	sm_repl_quota_record(q, 1000000);
	CU_ASSERT(sm_repl_quota_exceeded(q));
	sm_clock_advance_for_test(11000);
	CU_ASSERT(!sm_repl_quota_exceeded(q));
	sm_repl_quota_destroy(q);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("replication_quota", NULL, NULL);
	CU_add_test(s, "throttled-replica lists", test_listed);
	CU_add_test(s, "no bound set", test_unbounded);
	CU_add_test(s, "sampled rate against the bound", test_rate);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
