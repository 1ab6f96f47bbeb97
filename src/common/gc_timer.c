/*
 * gc_timer.c - the group coordinator's min-heap of deadlines (see
 * gc_timer.h). Each timer records its heap index so that re-arming (every
 * heartbeat) and cancelling (a member leaves) are O(log n) without a
 * search.
 */
#include "gc_timer.h"

#include <stdlib.h>

#include "buf.h"

void sm_gc_timer_init(sm_gc_timer_t *t, int kind, void *owner, void *ctx)
{
	t->deadline = 0;
	t->idx = -1;
	t->kind = kind;
	t->owner = owner;
	t->ctx = ctx;
}

void sm_gc_timer_heap_init(sm_gc_timer_heap_t *h)
{
	h->v = NULL;
	h->n = h->cap = 0;
}

void sm_gc_timer_heap_destroy(sm_gc_timer_heap_t *h)
{
	for (int i = 0; i < h->n; i++)
		h->v[i]->idx = -1;
	free(h->v);
	sm_gc_timer_heap_init(h);
}

static void sm_gc_timer_place(sm_gc_timer_heap_t *h, sm_gc_timer_t *t, int i)
{
	h->v[i] = t;
	t->idx = i;
}

static void sm_gc_timer_up(sm_gc_timer_heap_t *h, int i)
{
	sm_gc_timer_t *t = h->v[i];
	while (i > 0) {
		int parent = (i - 1) / 2;
		if (h->v[parent]->deadline <= t->deadline)
			break;
		sm_gc_timer_place(h, h->v[parent], i);
		i = parent;
	}
	sm_gc_timer_place(h, t, i);
}

static void sm_gc_timer_down(sm_gc_timer_heap_t *h, int i)
{
	sm_gc_timer_t *t = h->v[i];
	for (;;) {
		int c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1]->deadline < h->v[c]->deadline)
			c++;
		if (t->deadline <= h->v[c]->deadline)
			break;
		sm_gc_timer_place(h, h->v[c], i);
		i = c;
	}
	sm_gc_timer_place(h, t, i);
}

void sm_gc_timer_arm(sm_gc_timer_heap_t *h, sm_gc_timer_t *t, int64_t deadline)
{
	if (t->idx >= 0) {
		int64_t old = t->deadline;
		t->deadline = deadline;
		if (deadline < old)
			sm_gc_timer_up(h, t->idx);
		else
			sm_gc_timer_down(h, t->idx);
		return;
	}
	if (h->n == h->cap) {
		int cap = h->cap ? h->cap * 2 : 64;
		h->v = sm_realloc(h->v, (size_t)cap * sizeof(*h->v));
		h->cap = cap;
	}
	t->deadline = deadline;
	sm_gc_timer_place(h, t, h->n++);
	sm_gc_timer_up(h, t->idx);
}

void sm_gc_timer_cancel(sm_gc_timer_heap_t *h, sm_gc_timer_t *t)
{
	int i = t->idx;
	if (i < 0 || i >= h->n || h->v[i] != t)
		return;
	t->idx = -1;
	h->n--;
	if (i == h->n)
		return;
	/* The last timer fills the hole and moves whichever way it must. */
	sm_gc_timer_t *last = h->v[h->n];
	sm_gc_timer_place(h, last, i);
	sm_gc_timer_up(h, i);
	sm_gc_timer_down(h, last->idx);
}

sm_gc_timer_t *sm_gc_timer_peek(const sm_gc_timer_heap_t *h)
{
	return h->n ? h->v[0] : NULL;
}

sm_gc_timer_t *sm_gc_timer_pop_due(sm_gc_timer_heap_t *h, int64_t now)
{
	sm_gc_timer_t *t = sm_gc_timer_peek(h);
	if (!t || t->deadline > now)
		return NULL;
	sm_gc_timer_cancel(h, t);
	return t;
}
