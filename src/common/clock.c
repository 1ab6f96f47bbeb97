/*
 * clock.c - the broker's one clock (clock.h).
 */
#include "clock.h"

#include <time.h>

static int64_t sm_clock_offset_ms; /* atomic; tests only */

static int64_t sm_clock_read(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	       __atomic_load_n(&sm_clock_offset_ms, __ATOMIC_RELAXED);
}

int64_t sm_clock_mono_ms(void)
{
	return sm_clock_read(CLOCK_MONOTONIC);
}

int64_t sm_clock_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t sm_clock_wall_ms(void)
{
	return sm_clock_read(CLOCK_REALTIME);
}

void sm_clock_advance_for_test(int64_t ms)
{
	__atomic_add_fetch(&sm_clock_offset_ms, ms, __ATOMIC_RELAXED);
}

void sm_clock_deadline_ts(clockid_t id, int64_t ms, struct timespec *ts)
{
	if (ms < 0)
		ms = 0;
	clock_gettime(id, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}
