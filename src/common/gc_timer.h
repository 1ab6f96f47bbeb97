/*
 * gc_timer.h - deadlines for the group coordinator: an intrusive binary
 * min-heap of timers ordered by their (monotonic ms) deadline.
 *
 * Kafka runs a delayed operation per member heartbeat, per rebalance and
 * per pending member id; the coordinator keeps one heap of such timers so
 * that its thread sleeps exactly until the earliest deadline and any
 * request can first fire whatever is already due (O(1) to look, O(log n)
 * to arm, re-arm, cancel or fire one).
 *
 * A timer is embedded in the object it times (member, group, pending
 * member id); its owner must cancel it before freeing that object.
 *
 * Thread-safety: none; the coordinator uses it under its lock.
 */
#ifndef SM_GC_TIMER_H
#define SM_GC_TIMER_H

#include <stdint.h>

typedef struct sm_gc_timer {
	int64_t deadline;
	int idx;     /* position in the heap, -1 when not armed */
	int kind;    /* the owner's tag, not interpreted here */
	void *owner; /* the owner's pointer, not interpreted here */
	void *ctx;
} sm_gc_timer_t;

typedef struct sm_gc_timer_heap {
	sm_gc_timer_t **v;
	int n, cap;
} sm_gc_timer_heap_t;

void sm_gc_timer_init(sm_gc_timer_t *t, int kind, void *owner, void *ctx);
static inline int sm_gc_timer_armed(const sm_gc_timer_t *t)
{
	return t->idx >= 0;
}

void sm_gc_timer_heap_init(sm_gc_timer_heap_t *h);
void sm_gc_timer_heap_destroy(sm_gc_timer_heap_t *h);
/* Arms t at deadline, or moves it there if already armed. */
void sm_gc_timer_arm(sm_gc_timer_heap_t *h, sm_gc_timer_t *t, int64_t deadline);
/* Disarms t; a no-op when not armed. */
void sm_gc_timer_cancel(sm_gc_timer_heap_t *h, sm_gc_timer_t *t);
/* The earliest timer, NULL when none. */
sm_gc_timer_t *sm_gc_timer_peek(const sm_gc_timer_heap_t *h);
/* Removes and returns the earliest timer if its deadline <= now. */
sm_gc_timer_t *sm_gc_timer_pop_due(sm_gc_timer_heap_t *h, int64_t now);

#endif /* SM_GC_TIMER_H */
