/*
 * clock.h - the broker's one clock: monotonic milliseconds for deadlines and
 * intervals, wall-clock milliseconds for timestamps (record times, retention,
 * offset expiry). Every layer reads time through here, so tests have one seam
 * to move it.
 *
 * Thread-safety: all functions are thread-safe.
 */
#ifndef SM_CLOCK_H
#define SM_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in ms (plus the test offset). */
int64_t sm_clock_mono_ms(void);
/* CLOCK_MONOTONIC in ns, for measuring short intervals (request handler
 * time for client request quotas); the test offset is not applied. */
int64_t sm_clock_mono_ns(void);
/* CLOCK_REALTIME in ms since the epoch (plus the test offset). */
int64_t sm_clock_wall_ms(void);

/* The absolute time ms from now on clock id (CLOCK_MONOTONIC or
 * CLOCK_REALTIME, whichever the condition variable waits on), for
 * pthread_cond_timedwait. Real time: the test seam does not move it. */
void sm_clock_deadline_ts(clockid_t id, int64_t ms, struct timespec *ts);

/* Test seam: moves both clocks forward by ms from now on (cumulative), so
 * a test can pass a deadline or age a segment without sleeping. Never
 * called by the broker. */
void sm_clock_advance_for_test(int64_t ms);

#endif /* SM_CLOCK_H */
