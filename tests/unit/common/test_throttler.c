/* test_throttler.c - the byte-rate throttle's arithmetic, driven with
 * explicit times: no sleep before the check interval (unless the bytes
 * exceed one interval's worth), a sleep that brings
 * the period's average down to the rate, no sleep under the rate or when
 * unthrottled, a new rate used at the next check, and the sleep bounded. */
#include <CUnit/Basic.h>
#include <float.h>
#include <math.h>

#include "throttler.h"

static void test_sleep_to_rate(void)
{
	sm_throttler_t t;
	/* 10000 B/s checked every 100 ms: one interval allows 1000 bytes */
	sm_throttler_init(&t, 10000.0, 100, 0);
	CU_ASSERT_TRUE(sm_throttler_active(&t));
	/* before the interval and under its bytes: only counted */
	CU_ASSERT_EQUAL(sm_throttler_note(&t, 500, 10), 0);
	/* the interval passed: 900 bytes take 90 ms at the rate, 100 passed */
	CU_ASSERT_EQUAL(sm_throttler_note(&t, 400, 100), 0);
	CU_ASSERT_EQUAL(sm_throttler_note(&t, 900, 150), 0);
	/* a burst over one interval's bytes is checked at once: 1500 bytes
	 * take 150 ms, 60 passed */
	CU_ASSERT_EQUAL(sm_throttler_note(&t, 600, 160), 90);
	/* the next period starts after the sleep */
	CU_ASSERT_EQUAL(sm_throttler_note(&t, 100, 260), 0);
	CU_ASSERT_EQUAL(sm_throttler_note(&t, 1000, 270), 90);
	sm_throttler_destroy(&t);
}

static void test_bytes_during_sleep(void)
{
	sm_throttler_t t;
	sm_throttler_init(&t, 1000.0, 100, 0);
	CU_ASSERT_EQUAL(sm_throttler_note(&t, 2000, 200), 1800);
	/* another thread reports while the first sleeps: counted into the
	 * period that starts at 2000 */
	CU_ASSERT_EQUAL(sm_throttler_note(&t, 300, 500), 0);
	CU_ASSERT_EQUAL(sm_throttler_note(&t, 0, 2100), 200);
	sm_throttler_destroy(&t);
}

static void test_unthrottled(void)
{
	sm_throttler_t t;
	sm_throttler_init(&t, INFINITY, 100, 0);
	CU_ASSERT_FALSE(sm_throttler_active(&t));
	CU_ASSERT_EQUAL(sm_throttler_note(&t, 1e12, 200), 0);
	sm_throttler_set_rate(&t, DBL_MAX);
	CU_ASSERT_TRUE(sm_throttler_active(&t));
	CU_ASSERT_EQUAL(sm_throttler_note(&t, 1e12, 400), 0);
	sm_throttler_set_rate(&t, 0);
	CU_ASSERT_FALSE(sm_throttler_active(&t));
	CU_ASSERT_EQUAL(sm_throttler_note(&t, 1e12, 600), 0);
	sm_throttler_destroy(&t);
}

static void test_rate_change(void)
{
	sm_throttler_t t;
	sm_throttler_init(&t, 1e9, 100, 0);
	CU_ASSERT_EQUAL(sm_throttler_note(&t, 1e6, 100), 0);
	sm_throttler_set_rate(&t, 1e6);
	CU_ASSERT_TRUE(fabs(sm_throttler_rate(&t) - 1e6) < 1);
	/* 1 MB in 100 ms at 1 MB/s: 900 ms more */
	CU_ASSERT_EQUAL(sm_throttler_note(&t, 1e6, 200), 900);
	/* a tiny rate after a burst: the sleep is capped at a minute */
	sm_throttler_set_rate(&t, 1.0);
	CU_ASSERT_EQUAL(sm_throttler_note(&t, 1e9, 1300), 60000);
	sm_throttler_destroy(&t);
}

static void test_maybe_throttle(void)
{
	sm_throttler_t t;
	volatile int stop = 1;
	sm_throttler_init(&t, 1.0, 1, 0);
	/* a stopping owner is not held by the sleep */
	CU_ASSERT_EQUAL(sm_throttler_maybe_throttle(&t, 1e6, &stop), 0);
	sm_throttler_destroy(&t);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("throttler", NULL, NULL);
	CU_add_test(s, "sleep down to the rate", test_sleep_to_rate);
	CU_add_test(s, "bytes reported during a sleep", test_bytes_during_sleep);
	CU_add_test(s, "unthrottled", test_unthrottled);
	CU_add_test(s, "rate change", test_rate_change);
	CU_add_test(s, "stop ends the sleep", test_maybe_throttle);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
