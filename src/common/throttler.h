/*
 * throttler.h - a byte-rate throttle for background I/O (Kafka's
 * kafka.utils.Throttler): the log cleaner and the alter-log-dirs thread
 * report the bytes they read and write, and once a check interval has passed
 * (or once the bytes exceed one interval's worth at the rate) the
 * throttler says how long to sleep so that the bytes of the interval
 * average out at the wanted rate. The rate can change at any time (dynamic
 * broker configs); the next check uses it.
 *
 * The arithmetic takes the time as an argument so unit tests can drive it;
 * sm_throttler_maybe_throttle reads sm_clock_mono_ms and sleeps.
 *
 * Thread-safety: all functions are thread-safe (one mutex, never held while
 * sleeping); several threads may share one throttler, as the cleaner threads
 * share theirs in Kafka.
 */
#ifndef SM_THROTTLER_H
#define SM_THROTTLER_H

#include <pthread.h>
#include <stdint.h>

typedef struct sm_throttler {
	pthread_mutex_t lock;
	double rate;          /* bytes per second; not finite or <= 0: no throttle */
	int64_t check_ms;     /* how often the rate is checked */
	int64_t period_start; /* ms */
	double observed;      /* bytes since period_start */
} sm_throttler_t;

void sm_throttler_init(sm_throttler_t *t, double rate, int64_t check_ms, int64_t now_ms);
void sm_throttler_destroy(sm_throttler_t *t);
/* A new rate, used from the next check on. */
void sm_throttler_set_rate(sm_throttler_t *t, double rate);
double sm_throttler_rate(sm_throttler_t *t);
/* Whether the rate limits anything (finite and positive). */
int sm_throttler_active(sm_throttler_t *t);

/* Records bytes observed at now_ms and returns the milliseconds the caller
 * must sleep before going on (0: none). When it returns a sleep, the next
 * period starts at now_ms + that sleep. */
int64_t sm_throttler_note(sm_throttler_t *t, double bytes, int64_t now_ms);

/* sm_throttler_note at the current time, then the sleep, cut into slices
 * of at most 100 ms so that *stop (read without a lock: a flag set by a
 * stopping owner) ends it early. stop may be NULL. Returns the ms slept. */
int64_t sm_throttler_maybe_throttle(sm_throttler_t *t, double bytes, const volatile int *stop);

#endif /* SM_THROTTLER_H */
