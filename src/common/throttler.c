/*
 * throttler.c - byte-rate throttle for background I/O; see throttler.h.
 */
#include "throttler.h"

#include <math.h>
#include <time.h>

#include "clock.h"

/* Longest sleep one check asks for: a rate lowered to a few bytes per
 * second after a large burst must not park a thread for hours; the next
 * check sleeps again if the average is still too high. */
#define SM_THROTTLER_MAX_SLEEP_MS 60000

static int sm_throttler_limits(double rate)
{
	return isfinite(rate) && rate > 0;
}

void sm_throttler_init(sm_throttler_t *t, double rate, int64_t check_ms, int64_t now_ms)
{
	pthread_mutex_init(&t->lock, NULL);
	t->rate = rate;
	t->check_ms = check_ms > 0 ? check_ms : 1;
	t->period_start = now_ms;
	t->observed = 0;
}

void sm_throttler_destroy(sm_throttler_t *t)
{
	pthread_mutex_destroy(&t->lock);
}

void sm_throttler_set_rate(sm_throttler_t *t, double rate)
{
	pthread_mutex_lock(&t->lock);
	t->rate = rate;
	pthread_mutex_unlock(&t->lock);
}

double sm_throttler_rate(sm_throttler_t *t)
{
	pthread_mutex_lock(&t->lock);
	double r = t->rate;
	pthread_mutex_unlock(&t->lock);
	return r;
}

int sm_throttler_active(sm_throttler_t *t)
{
	return sm_throttler_limits(sm_throttler_rate(t));
}

int64_t sm_throttler_note(sm_throttler_t *t, double bytes, int64_t now_ms)
{
	int64_t sleep_ms = 0;
	pthread_mutex_lock(&t->lock);
	if (bytes > 0)
		t->observed += bytes;
	int64_t elapsed = now_ms - t->period_start;
	if (elapsed < 0) {
		/* a period started by an earlier sleep that another thread
		 * is still serving: count the bytes into it */
		pthread_mutex_unlock(&t->lock);
		return 0;
	}
	/* Checked once the interval has passed (Kafka's rule) or, earlier,
	 * once the bytes exceed what the rate allows in one interval: a burst
	 * shorter than the interval (a small cleaning on a fast disk) is
	 * throttled too, where Kafka would let it through. */
	int limits = sm_throttler_limits(t->rate);
	if (elapsed >= t->check_ms ||
	    (limits && t->observed >= t->rate * (double)t->check_ms / 1000.0)) {
		if (limits) {
			/* time the observed bytes should have taken at the rate */
			double want = t->observed * 1000.0 / t->rate;
			if (want > (double)elapsed) {
				double s = ceil(want - (double)elapsed);
				sleep_ms = s > SM_THROTTLER_MAX_SLEEP_MS ? SM_THROTTLER_MAX_SLEEP_MS
									 : (int64_t)s;
			}
		}
		t->period_start = now_ms + sleep_ms;
		t->observed = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return sleep_ms;
}

int64_t sm_throttler_maybe_throttle(sm_throttler_t *t, double bytes, const volatile int *stop)
{
	int64_t ms = sm_throttler_note(t, bytes, sm_clock_mono_ms());
	int64_t left = ms;
	while (left > 0 && !(stop && *stop)) {
		int64_t slice = left < 100 ? left : 100;
		struct timespec ts = { (time_t)(slice / 1000), (long)(slice % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		left -= slice;
	}
	return ms - left;
}
