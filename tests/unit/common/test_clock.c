/* test_clock.c - the broker's one clock: monotonic and wall milliseconds
 * agree with the system clocks, and the test seam moves both forward. */
#include <CUnit/Basic.h>
#include <time.h>

#include "clock.h"

static int64_t sys_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_clocks(void)
{
	int64_t m0 = sys_ms(CLOCK_MONOTONIC), w0 = sys_ms(CLOCK_REALTIME);
	int64_t m = sm_clock_mono_ms(), w = sm_clock_wall_ms();
	int64_t m1 = sys_ms(CLOCK_MONOTONIC), w1 = sys_ms(CLOCK_REALTIME);
	CU_ASSERT_TRUE(m0 <= m && m <= m1);
	CU_ASSERT_TRUE(w0 <= w && w <= w1);
	CU_ASSERT_TRUE(sm_clock_mono_ms() >= m);
}

static void test_advance(void)
{
	int64_t m = sm_clock_mono_ms(), w = sm_clock_wall_ms();
	sm_clock_advance_for_test(3600000);
	CU_ASSERT_TRUE(sm_clock_mono_ms() >= m + 3600000);
	CU_ASSERT_TRUE(sm_clock_wall_ms() >= w + 3600000);
	CU_ASSERT_TRUE(sm_clock_wall_ms() >= sys_ms(CLOCK_REALTIME) + 3600000 - 1000);
	sm_clock_advance_for_test(-3600000);
	CU_ASSERT_TRUE(sm_clock_wall_ms() <= sys_ms(CLOCK_REALTIME));
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("clock", NULL, NULL);
	CU_add_test(s, "system clocks", test_clocks);
	CU_add_test(s, "test seam", test_advance);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
