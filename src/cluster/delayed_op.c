/*
 * delayed_op.c - the purgatory of delayed operations (delayed_op.h).
 *
 * Under one mutex: a hash table from key to the operations watching it, a
 * FIFO run queue of operations to try, and a min-heap of deadlines
 * (gc_timer.h). An operation is in one of four states: WATCHING (parked),
 * QUEUED (waiting for the thread to try it), RUNNING (fn is running, lock
 * released) or gone. The thread takes one queued operation at a time, runs
 * it unlocked, and then frees it, queues it again (a check arrived while it
 * ran) or puts it back to watching. sm_purgatory_check_and_complete does
 * the same on the calling thread for the WATCHING operations of one key:
 * the RUNNING state is what keeps an operation on one thread at a time,
 * wherever it runs.
 */
#include "delayed_op.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "gc_timer.h"
#include "logger.h"
#include "thread_role.h"

enum { SM_OP_WATCHING, SM_OP_QUEUED, SM_OP_RUNNING };

typedef struct sm_op_watch sm_op_watch_t;

typedef struct sm_op {
	sm_delayed_op_fn *fn;
	void *arg;
	int64_t deadline;
	sm_gc_timer_t timer;
	int state;
	int again;   /* checked while running */
	int expired; /* deadline passed or stopping */
	struct sm_op *qnext;
	int nkeys;
	sm_op_watch_t **keys;
} sm_op_t;

/* One key and the operations watching it. */
struct sm_op_watch {
	sm_op_watch_t *next; /* hash chain */
	uint32_t hash;
	int32_t id;
	char *name;
	sm_op_t **ops;
	int n, cap;
};

struct sm_purgatory {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	char thread_name[16];
	int stopping;
	size_t nops;
	size_t nbusy; /* QUEUED or RUNNING */
	uint64_t tries;
	sm_op_t *qhead, *qtail;
	sm_gc_timer_heap_t timers;
	sm_op_watch_t **buckets;
	size_t nbuckets, nwatches;
};

static uint32_t sm_op_hash(const char *name, int32_t id)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	h = (h ^ (uint32_t)id) * 16777619u;
	return h;
}

static void sm_op_rehash_locked(sm_purgatory_t *pg, size_t nb)
{
	SM_ASSERT_HELD(&pg->lock);
	sm_op_watch_t **b = sm_calloc(nb, sizeof(*b));
	for (size_t i = 0; i < pg->nbuckets; i++)
		while (pg->buckets[i]) {
			sm_op_watch_t *w = pg->buckets[i];
			pg->buckets[i] = w->next;
			w->next = b[w->hash & (nb - 1)];
			b[w->hash & (nb - 1)] = w;
		}
	free(pg->buckets);
	pg->buckets = b;
	pg->nbuckets = nb;
}

static sm_op_watch_t *sm_op_find_locked(sm_purgatory_t *pg, const char *name, int32_t id,
					int create)
{
	SM_ASSERT_HELD(&pg->lock);
	uint32_t h = sm_op_hash(name, id);
	for (sm_op_watch_t *w = pg->buckets[h & (pg->nbuckets - 1)]; w; w = w->next)
		if (w->hash == h && w->id == id && !strcmp(w->name, name))
			return w;
	if (!create)
		return NULL;
	if (pg->nwatches >= pg->nbuckets * 2)
		sm_op_rehash_locked(pg, pg->nbuckets * 2);
	sm_op_watch_t *w = sm_calloc(1, sizeof(*w));
	w->hash = h;
	w->id = id;
	w->name = sm_strdup(name);
	w->next = pg->buckets[h & (pg->nbuckets - 1)];
	pg->buckets[h & (pg->nbuckets - 1)] = w;
	pg->nwatches++;
	return w;
}

static void sm_op_watch_remove_locked(sm_purgatory_t *pg, sm_op_watch_t *w, sm_op_t *op)
{
	SM_ASSERT_HELD(&pg->lock);
	for (int i = 0; i < w->n; i++)
		if (w->ops[i] == op) {
			w->ops[i] = w->ops[--w->n];
			break;
		}
	if (w->n)
		return;
	sm_op_watch_t **pp = &pg->buckets[w->hash & (pg->nbuckets - 1)];
	while (*pp != w)
		pp = &(*pp)->next;
	*pp = w->next;
	pg->nwatches--;
	free(w->ops);
	free(w->name);
	free(w);
}

static void sm_op_enqueue_locked(sm_purgatory_t *pg, sm_op_t *op)
{
	SM_ASSERT_HELD(&pg->lock);
	if (op->state == SM_OP_WATCHING)
		pg->nbusy++;
	op->state = SM_OP_QUEUED;
	op->qnext = NULL;
	if (pg->qtail)
		pg->qtail->qnext = op;
	else
		pg->qhead = op;
	pg->qtail = op;
	pthread_cond_signal(&pg->cond);
}

/* A check or a deadline for op: try it (again). */
static void sm_op_poke_locked(sm_purgatory_t *pg, sm_op_t *op)
{
	SM_ASSERT_HELD(&pg->lock);
	if (op->state == SM_OP_WATCHING)
		sm_op_enqueue_locked(pg, op);
	else if (op->state == SM_OP_RUNNING)
		op->again = 1;
}

static void sm_op_free_locked(sm_purgatory_t *pg, sm_op_t *op)
{
	SM_ASSERT_HELD(&pg->lock);
	if (op->state != SM_OP_WATCHING)
		pg->nbusy--;
	for (int i = 0; i < op->nkeys; i++)
		sm_op_watch_remove_locked(pg, op->keys[i], op);
	sm_gc_timer_cancel(&pg->timers, &op->timer);
	free(op->keys);
	free(op);
	pg->nops--;
}

/* Runs op (taken out of WATCHING by the caller, now RUNNING) on this thread
 * and settles it as the purgatory thread does. */
static void sm_op_run_here(sm_purgatory_t *pg, sm_op_t *op)
{
	int done = op->fn(op->arg, 0);
	pthread_mutex_lock(&pg->lock);
	if (done) {
		sm_op_free_locked(pg, op);
		if (pg->stopping) /* the thread waits for the last one */
			pthread_cond_signal(&pg->cond);
	} else if (op->again || op->expired || pg->stopping) {
		/* a check or its deadline came while it ran here: the
		 * purgatory thread tries it again */
		sm_op_enqueue_locked(pg, op);
	} else {
		op->state = SM_OP_WATCHING;
		pg->nbusy--;
	}
	pthread_mutex_unlock(&pg->lock);
}

/* Registers op under its keys and arms its deadline; the caller holds
 * pg->lock and sets its state. */
static void sm_op_register_locked(sm_purgatory_t *pg, sm_op_t *op, const sm_op_key_t *keys,
				  int nkeys)
{
	SM_ASSERT_HELD(&pg->lock);
	for (int i = 0; i < nkeys; i++) {
		sm_op_watch_t *w = sm_op_find_locked(pg, keys[i].name ? keys[i].name : "", keys[i].id, 1);
		int dup = 0;
		for (int j = 0; j < op->nkeys; j++)
			dup |= op->keys[j] == w;
		if (dup)
			continue; /* a key named twice is watched once */
		if (w->n == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 4;
			w->ops = sm_realloc(w->ops, (size_t)w->cap * sizeof(*w->ops));
		}
		w->ops[w->n++] = op;
		op->keys[op->nkeys++] = w;
	}
	sm_gc_timer_arm(&pg->timers, &op->timer, op->deadline);
	pg->nops++;
}

static sm_op_t *sm_op_new(int64_t deadline, sm_delayed_op_fn *fn, void *arg, int nkeys)
{
	sm_op_t *op = sm_calloc(1, sizeof(*op));
	op->fn = fn;
	op->arg = arg;
	op->deadline = deadline;
	sm_gc_timer_init(&op->timer, 0, op, NULL);
	op->keys = sm_calloc((size_t)(nkeys > 0 ? nkeys : 0) + 1, sizeof(*op->keys));
	return op;
}

void sm_purgatory_watch(sm_purgatory_t *pg, int64_t deadline, sm_delayed_op_fn *fn, void *arg,
			const sm_op_key_t *keys, int nkeys)
{
	if (nkeys < 0)
		nkeys = 0;
	sm_op_t *op = sm_op_new(deadline, fn, arg, nkeys);
	pthread_mutex_lock(&pg->lock);
	sm_op_register_locked(pg, op, keys, nkeys);
	/* The caller looked before parking; whatever changed since is seen
	 * by this first try (DelayedOperation's tryComplete after watch). */
	sm_op_enqueue_locked(pg, op);
	pthread_mutex_unlock(&pg->lock);
}

void sm_purgatory_watch_here(sm_purgatory_t *pg, int64_t deadline, sm_delayed_op_fn *fn, void *arg,
			     const sm_op_key_t *keys, int nkeys)
{
	SM_ASSERT_ROLE(SM_ROLE_HANDLER);
	if (nkeys < 0)
		nkeys = 0;
	sm_op_t *op = sm_op_new(deadline, fn, arg, nkeys);
	pthread_mutex_lock(&pg->lock);
	sm_op_register_locked(pg, op, keys, nkeys);
	/* running here from the start: a check from now on makes it run
	 * again, so nothing between the caller's look and this try is lost */
	op->state = SM_OP_RUNNING;
	pg->nbusy++;
	pg->tries++;
	/* the thread sleeps until the earliest deadline it knew of */
	if (sm_gc_timer_peek(&pg->timers) == &op->timer)
		pthread_cond_signal(&pg->cond);
	int stopping = pg->stopping;
	pthread_mutex_unlock(&pg->lock);
	if (stopping) {
		pthread_mutex_lock(&pg->lock);
		sm_op_enqueue_locked(pg, op);
		pthread_mutex_unlock(&pg->lock);
		return;
	}
	sm_op_run_here(pg, op);
}

void sm_purgatory_check(sm_purgatory_t *pg, const char *name, int32_t id)
{
	pthread_mutex_lock(&pg->lock);
	sm_op_watch_t *w = sm_op_find_locked(pg, name ? name : "", id, 0);
	for (int i = 0; w && i < w->n; i++)
		sm_op_poke_locked(pg, w->ops[i]);
	pthread_mutex_unlock(&pg->lock);
}

void sm_purgatory_check_and_complete(sm_purgatory_t *pg, const char *name, int32_t id)
{
	SM_ASSERT_ROLE(SM_ROLE_HANDLER);
	sm_op_t *mine[16];
	sm_op_t **run = mine;
	int n = 0;
	pthread_mutex_lock(&pg->lock);
	sm_op_watch_t *w = sm_op_find_locked(pg, name ? name : "", id, 0);
	if (w && w->n > (int)(sizeof(mine) / sizeof(mine[0])))
		run = sm_malloc(sizeof(*run) * (size_t)w->n);
	for (int i = 0; w && i < w->n; i++) {
		sm_op_t *op = w->ops[i];
		if (op->state == SM_OP_WATCHING && !pg->stopping) {
			/* ours until settled: no other thread runs it meanwhile */
			op->state = SM_OP_RUNNING;
			op->again = 0;
			pg->nbusy++;
			pg->tries++;
			run[n++] = op;
		} else {
			/* queued for, or running on, another thread: it sees
			 * the change there */
			sm_op_poke_locked(pg, op);
		}
	}
	pthread_mutex_unlock(&pg->lock);
	for (int i = 0; i < n; i++)
		sm_op_run_here(pg, run[i]);
	if (run != mine)
		free(run);
}

/* Keys a request handler changed while handling its current request, run
 * by sm_purgatory_complete_deferred once it holds no lock. */
typedef struct sm_op_deferred {
	sm_purgatory_t *pg;
	int32_t id;
	char *name;
} sm_op_deferred_t;

static __thread int sm_op_defer_open;
static __thread sm_op_deferred_t *sm_op_defer_v;
static __thread int sm_op_defer_n, sm_op_defer_cap;

/* Most keys one handler completes inline per request; the rest (a chain of
 * changes that keeps growing) go to the purgatory thread. */
#define SM_OP_DEFER_MAX 1024

void sm_purgatory_defer_begin(void)
{
	SM_ASSERT_ROLE(SM_ROLE_HANDLER);
	sm_op_defer_open = 1;
}

void sm_purgatory_check_or_defer(sm_purgatory_t *pg, const char *name, int32_t id)
{
	if (!sm_op_defer_open) {
		sm_purgatory_check(pg, name, id);
		return;
	}
	name = name ? name : "";
	for (int i = 0; i < sm_op_defer_n; i++)
		if (sm_op_defer_v[i].pg == pg && sm_op_defer_v[i].id == id &&
		    sm_op_defer_v[i].name && !strcmp(sm_op_defer_v[i].name, name))
			return; /* not run yet: it will see this change too */
	if (sm_op_defer_n >= SM_OP_DEFER_MAX) {
		sm_purgatory_check(pg, name, id);
		return;
	}
	if (sm_op_defer_n == sm_op_defer_cap) {
		sm_op_defer_cap = sm_op_defer_cap ? sm_op_defer_cap * 2 : 8;
		sm_op_defer_v = sm_realloc(sm_op_defer_v, sizeof(*sm_op_defer_v) * (size_t)sm_op_defer_cap);
	}
	sm_op_defer_v[sm_op_defer_n++] = (sm_op_deferred_t){ pg, id, sm_strdup(name) };
}

void sm_purgatory_complete_deferred(void)
{
	SM_ASSERT_ROLE(SM_ROLE_HANDLER);
	/* The scope stays open while the operations run, so the changes they
	 * make (a completed follower fetch moving the high watermark) are
	 * added to the list and run by this loop, never by recursion. A key
	 * run once has its name freed and is not deduplicated any more. */
	for (int i = 0; i < sm_op_defer_n; i++) {
		char *name = sm_op_defer_v[i].name;
		sm_op_defer_v[i].name = NULL;
		sm_purgatory_check_and_complete(sm_op_defer_v[i].pg, name, sm_op_defer_v[i].id);
		free(name);
	}
	sm_op_defer_n = 0;
	sm_op_defer_open = 0;
	/* nothing stays behind in a thread that may exit (a pool shrink) */
	free(sm_op_defer_v);
	sm_op_defer_v = NULL;
	sm_op_defer_cap = 0;
}

size_t sm_purgatory_size(sm_purgatory_t *pg)
{
	return SM_LOCKED_READ(&pg->lock, size_t, pg->nops);
}

size_t sm_purgatory_busy(sm_purgatory_t *pg)
{
	return SM_LOCKED_READ(&pg->lock, size_t, pg->nbusy);
}

uint64_t sm_purgatory_tries(sm_purgatory_t *pg)
{
	return SM_LOCKED_READ(&pg->lock, uint64_t, pg->tries);
}

/* Queues every operation whose deadline passed (every one when stopping). */
static void sm_op_expire_locked(sm_purgatory_t *pg, int64_t now)
{
	SM_ASSERT_HELD(&pg->lock);
	sm_gc_timer_t *t;
	while ((t = sm_gc_timer_pop_due(&pg->timers, pg->stopping ? INT64_MAX : now))) {
		sm_op_t *op = t->owner;
		op->expired = 1;
		sm_op_poke_locked(pg, op);
	}
}

static void sm_op_wait_locked(sm_purgatory_t *pg, int64_t now)
{
	SM_ASSERT_HELD(&pg->lock);
	sm_gc_timer_t *t = sm_gc_timer_peek(&pg->timers);
	if (!t) {
		pthread_cond_wait(&pg->cond, &pg->lock);
		return;
	}
	int64_t wait = t->deadline - now;
	if (wait <= 0)
		return;
	if (wait > 60000)
		wait = 60000;
	struct timespec ts;
	sm_clock_deadline_ts(CLOCK_REALTIME, wait, &ts);
	pthread_cond_timedwait(&pg->cond, &pg->lock, &ts);
}

static void *sm_purgatory_main(void *arg)
{
	sm_purgatory_t *pg = arg;
	pthread_setname_np(pthread_self(), pg->thread_name);
	sm_thread_role_set(SM_ROLE_PURGATORY);
	pthread_mutex_lock(&pg->lock);
	for (;;) {
		int64_t now = sm_clock_mono_ms();
		sm_op_expire_locked(pg, now);
		sm_op_t *op = pg->qhead;
		if (!op) {
			if (pg->stopping && pg->nops == 0)
				break;
			sm_op_wait_locked(pg, now);
			continue;
		}
		pg->qhead = op->qnext;
		if (!pg->qhead)
			pg->qtail = NULL;
		op->state = SM_OP_RUNNING;
		op->again = 0;
		int expired = op->expired || op->deadline <= now || pg->stopping;
		pg->tries++;
		pthread_mutex_unlock(&pg->lock);
		int done = op->fn(op->arg, expired);
		pthread_mutex_lock(&pg->lock);
		if (done) {
			sm_op_free_locked(pg, op);
		} else if (expired) {
			/* fn must complete an expired operation; one that does
			 * not is tried again shortly rather than spun on */
			sm_log_error(NULL, "kafka.server.DelayedOperationPurgatory",
				     "%s: an expired operation did not complete; retrying in 100 ms",
				     pg->thread_name);
			op->state = SM_OP_WATCHING;
			pg->nbusy--;
			op->expired = 0;
			sm_gc_timer_arm(&pg->timers, &op->timer, now + 100);
		} else if (op->again) {
			sm_op_enqueue_locked(pg, op);
		} else {
			op->state = SM_OP_WATCHING;
			pg->nbusy--;
		}
	}
	pthread_mutex_unlock(&pg->lock);
	return NULL;
}

sm_purgatory_t *sm_purgatory_new(const char *thread_name)
{
	sm_purgatory_t *pg = sm_calloc(1, sizeof(*pg));
	pthread_mutex_init(&pg->lock, NULL);
	pthread_cond_init(&pg->cond, NULL);
	snprintf(pg->thread_name, sizeof(pg->thread_name), "%s", thread_name);
	sm_gc_timer_heap_init(&pg->timers);
	pg->nbuckets = 256;
	pg->buckets = sm_calloc(pg->nbuckets, sizeof(*pg->buckets));
	if (pthread_create(&pg->thread, NULL, sm_purgatory_main, pg)) {
		sm_log(SM_LOGFILE_SERVER, SM_LOG_FATAL, NULL, "kafka.server.DelayedOperationPurgatory",
		       "cannot start the %s thread", thread_name);
		abort();
	}
	return pg;
}

void sm_purgatory_destroy(sm_purgatory_t *pg)
{
	if (!pg)
		return;
	pthread_mutex_lock(&pg->lock);
	pg->stopping = 1;
	pthread_cond_signal(&pg->cond);
	pthread_mutex_unlock(&pg->lock);
	pthread_join(pg->thread, NULL);
	sm_gc_timer_heap_destroy(&pg->timers);
	free(pg->buckets);
	pthread_cond_destroy(&pg->cond);
	pthread_mutex_destroy(&pg->lock);
	free(pg);
}
