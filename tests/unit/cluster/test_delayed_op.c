/* test_delayed_op.c - the purgatory of delayed operations: an operation is
 * tried once when parked and then only when one of its own keys is checked
 * (a check of another key does not run it), completes at its deadline with
 * expired=1, is re-run when checked while running, may park operations from
 * inside its function, and every parked one completes when the purgatory is
 * destroyed. A request handler completes the watchers of a key on its own
 * thread (sm_purgatory_check_and_complete), or notes keys while handling a
 * request and completes them, and those their completion changes, at its
 * end (sm_purgatory_complete_deferred); operations queued for or running
 * on another thread stay there. Waits poll with a generous bound; nothing
 * asserts on timing. */
#include <CUnit/Basic.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "delayed_op.h"
#include "thread_role.h"

typedef struct op {
	int ready;      /* complete when tried (atomic) */
	int runs;       /* atomic */
	int done;       /* atomic: 1 completed, 2 completed expired */
	int self_check; /* on the first run, check its own key and stay parked */
	sm_purgatory_t *pg;
	struct op *child; /* parked from inside fn on the first run */
} op_t;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int load(const int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* Polls for up to 10 s. */
static int wait_for(const int *p, int want)
{
	for (int i = 0; i < 2000 && load(p) != want; i++)
		usleep(5000);
	return load(p) == want;
}

static int op_fn(void *arg, int expired)
{
	op_t *o = arg;
	CU_ASSERT_TRUE(sm_thread_role() & SM_ROLE_PURGATORY);
	int run = __atomic_add_fetch(&o->runs, 1, __ATOMIC_ACQ_REL);
	if (run == 1 && o->self_check) {
		sm_purgatory_check(o->pg, "t", 9);
		return 0;
	}
	if (run == 1 && o->child) {
		sm_op_key_t k = { "child", 0 };
		sm_purgatory_watch(o->pg, mono_ms() + 600000, op_fn, o->child, &k, 1);
		return 0;
	}
	if (expired || load(&o->ready)) {
		__atomic_store_n(&o->done, expired ? 2 : 1, __ATOMIC_RELEASE);
		return 1;
	}
	return 0;
}

/* The first try happens; the op then sleeps until its own key is checked. */
static void test_keyed(void)
{
	sm_purgatory_t *pg = sm_purgatory_new("test-purg");
	op_t a = { 0 }, b = { 0 };
	sm_op_key_t ka[] = { { "t", 0 }, { "t", 1 } }, kb[] = { { "u", 0 } };
	sm_purgatory_watch(pg, mono_ms() + 600000, op_fn, &a, ka, 2);
	sm_purgatory_watch(pg, mono_ms() + 600000, op_fn, &b, kb, 1);
	CU_ASSERT_TRUE(wait_for(&a.runs, 1));
	CU_ASSERT_TRUE(wait_for(&b.runs, 1));
	/* another key, another id of the same name: a is not tried */
	__atomic_store_n(&a.ready, 1, __ATOMIC_RELEASE);
	sm_purgatory_check(pg, "u", 0);
	sm_purgatory_check(pg, "t", 2);
	CU_ASSERT_TRUE(wait_for(&b.runs, 2));
	usleep(50000);
	CU_ASSERT_EQUAL(load(&a.runs), 1);
	CU_ASSERT_EQUAL(load(&a.done), 0);
	/* its second key completes it */
	sm_purgatory_check(pg, "t", 1);
	CU_ASSERT_TRUE(wait_for(&a.done, 1));
	CU_ASSERT_EQUAL(load(&a.runs), 2);
	CU_ASSERT_EQUAL(sm_purgatory_size(pg), 1);
	sm_purgatory_destroy(pg);
	CU_ASSERT_EQUAL(load(&b.done), 2); /* completed, expired, at destroy */
}

static void test_deadline(void)
{
	sm_purgatory_t *pg = sm_purgatory_new("test-purg");
	op_t a = { 0 };
	sm_op_key_t k = { "t", 0 };
	sm_purgatory_watch(pg, mono_ms() + 50, op_fn, &a, &k, 1);
	CU_ASSERT_TRUE(wait_for(&a.done, 2));
	CU_ASSERT_EQUAL(sm_purgatory_size(pg), 0);
	/* no keys: tried once, then only its deadline */
	op_t c = { 0 };
	sm_purgatory_watch(pg, mono_ms() + 50, op_fn, &c, NULL, 0);
	CU_ASSERT_TRUE(wait_for(&c.done, 2));
	CU_ASSERT_EQUAL(load(&c.runs), 2);
	sm_purgatory_destroy(pg);
}

/* A check that arrives while the op runs makes it run once more. */
static void test_check_while_running(void)
{
	sm_purgatory_t *pg = sm_purgatory_new("test-purg");
	op_t a = { .self_check = 1, .pg = pg };
	sm_op_key_t k = { "t", 9 };
	sm_purgatory_watch(pg, mono_ms() + 600000, op_fn, &a, &k, 1);
	CU_ASSERT_TRUE(wait_for(&a.runs, 2));
	usleep(50000);
	CU_ASSERT_EQUAL(load(&a.runs), 2);
	CU_ASSERT_EQUAL(load(&a.done), 0);
	sm_purgatory_destroy(pg);
	CU_ASSERT_EQUAL(load(&a.done), 2);
}

/* fn may park another operation; destroy completes both. */
static void test_park_from_fn(void)
{
	sm_purgatory_t *pg = sm_purgatory_new("test-purg");
	op_t child = { 0 };
	op_t a = { .pg = pg, .child = &child };
	sm_op_key_t k = { "t", 0 };
	sm_purgatory_watch(pg, mono_ms() + 600000, op_fn, &a, &k, 1);
	CU_ASSERT_TRUE(wait_for(&child.runs, 1));
	CU_ASSERT_EQUAL(sm_purgatory_size(pg), 2);
	__atomic_store_n(&child.ready, 1, __ATOMIC_RELEASE);
	sm_purgatory_check(pg, "child", 0);
	CU_ASSERT_TRUE(wait_for(&child.done, 1));
	sm_purgatory_destroy(pg);
	CU_ASSERT_EQUAL(load(&a.done), 2);
}

/* Many keys and operations: the table grows, and each check reaches only
 * its watchers. */
static void test_many(void)
{
	enum { N = 2000 };
	sm_purgatory_t *pg = sm_purgatory_new("test-purg");
	op_t *ops = calloc(N, sizeof(*ops));
	for (int i = 0; i < N; i++) {
		sm_op_key_t k[] = { { "many", i }, { "many", (i + 1) % N } };
		sm_purgatory_watch(pg, mono_ms() + 600000, op_fn, &ops[i], k, 2);
	}
	for (int i = 0; i < N; i++)
		CU_ASSERT_TRUE_FATAL(wait_for(&ops[i].runs, 1));
	uint64_t before = sm_purgatory_tries(pg);
	for (int i = 0; i < N; i += 2)
		__atomic_store_n(&ops[i].ready, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < N; i += 2)
		sm_purgatory_check(pg, "many", i);
	for (int i = 0; i < N; i += 2)
		CU_ASSERT_TRUE_FATAL(wait_for(&ops[i].done, 1));
	/* key i reaches ops i and i-1: at most two tries per check */
	CU_ASSERT_TRUE(sm_purgatory_tries(pg) - before <= N);
	CU_ASSERT_EQUAL(sm_purgatory_size(pg), N / 2);
	sm_purgatory_destroy(pg);
	for (int i = 1; i < N; i += 2)
		CU_ASSERT_EQUAL(load(&ops[i].done), 2);
	free(ops);
}

/* An operation that records where it ran; on completion it may change
 * another key (chain), on its second run check its own key (self_check). */
typedef struct iop {
	int ready, runs, done, on_purgatory; /* atomic */
	int self_check;
	pthread_t ran_on;
	sm_purgatory_t *pg;
	const char *chain;
} iop_t;

static int iop_fn(void *arg, int expired)
{
	iop_t *o = arg;
	int run = __atomic_add_fetch(&o->runs, 1, __ATOMIC_ACQ_REL);
	o->ran_on = pthread_self();
	__atomic_store_n(&o->on_purgatory, (sm_thread_role() & SM_ROLE_PURGATORY) != 0,
			 __ATOMIC_RELEASE);
	if (run == 2 && o->self_check) {
		sm_purgatory_check(o->pg, "s", 0);
		return 0;
	}
	if (expired || load(&o->ready)) {
		if (o->chain)
			sm_purgatory_check_or_defer(o->pg, o->chain, 0);
		__atomic_store_n(&o->done, expired ? 2 : 1, __ATOMIC_RELEASE);
		return 1;
	}
	return 0;
}

/* Parks o on (name, 0) and waits for its first try (on the purgatory
 * thread) to be over. */
static void iop_park(sm_purgatory_t *pg, iop_t *o, const char *name)
{
	sm_op_key_t k = { name, 0 };
	o->pg = pg;
	sm_purgatory_watch(pg, mono_ms() + 600000, iop_fn, o, &k, 1);
	CU_ASSERT_TRUE_FATAL(wait_for(&o->runs, 1));
	for (int i = 0; i < 2000 && sm_purgatory_busy(pg); i++)
		usleep(5000);
	CU_ASSERT_EQUAL_FATAL(sm_purgatory_busy(pg), 0);
}

/* check_and_complete runs the watchers on the caller's thread, at once. */
static void test_complete_here(void)
{
	sm_thread_role_set(SM_ROLE_HANDLER);
	sm_purgatory_t *pg = sm_purgatory_new("test-purg");
	iop_t a = { 0 }, b = { 0 };
	iop_park(pg, &a, "h");
	iop_park(pg, &b, "other");
	__atomic_store_n(&a.ready, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&b.ready, 1, __ATOMIC_RELEASE);
	sm_purgatory_check_and_complete(pg, "h", 0);
	/* no wait: it completed inside the call, on this thread */
	CU_ASSERT_EQUAL(load(&a.done), 1);
	CU_ASSERT_EQUAL(load(&a.runs), 2);
	CU_ASSERT_TRUE(pthread_equal(a.ran_on, pthread_self()));
	CU_ASSERT_EQUAL(load(&a.on_purgatory), 0);
	/* only that key's watchers */
	CU_ASSERT_EQUAL(load(&b.runs), 1);
	CU_ASSERT_EQUAL(sm_purgatory_size(pg), 1);
	sm_purgatory_destroy(pg);
	CU_ASSERT_EQUAL(load(&b.done), 2);
}

/* Keys noted while a request is handled are completed at its end, on the
 * handler's thread, with the keys their completion changes; outside a
 * request a note is an ordinary check. */
static void test_deferred(void)
{
	sm_thread_role_set(SM_ROLE_HANDLER);
	sm_purgatory_t *pg = sm_purgatory_new("test-purg");
	iop_t a = { .chain = "d2" }, b = { 0 };
	iop_park(pg, &a, "d1");
	iop_park(pg, &b, "d2");
	__atomic_store_n(&a.ready, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&b.ready, 1, __ATOMIC_RELEASE);
	sm_purgatory_defer_begin();
	sm_purgatory_check_or_defer(pg, "d1", 0);
	sm_purgatory_check_or_defer(pg, "d1", 0);
	usleep(50000);
	CU_ASSERT_EQUAL(load(&a.runs), 1); /* noted, not run */
	sm_purgatory_complete_deferred();
	CU_ASSERT_EQUAL(load(&a.done), 1);
	CU_ASSERT_EQUAL(load(&a.runs), 2); /* once for both notes */
	CU_ASSERT_TRUE(pthread_equal(a.ran_on, pthread_self()));
	CU_ASSERT_EQUAL(load(&b.done), 1); /* a's change, in the same loop */
	CU_ASSERT_TRUE(pthread_equal(b.ran_on, pthread_self()));
	CU_ASSERT_EQUAL(sm_purgatory_size(pg), 0);
	/* the scope is closed: a note goes to the purgatory thread */
	iop_t c = { 0 };
	iop_park(pg, &c, "d3");
	__atomic_store_n(&c.ready, 1, __ATOMIC_RELEASE);
	sm_purgatory_check_or_defer(pg, "d3", 0);
	CU_ASSERT_TRUE(wait_for(&c.done, 1));
	CU_ASSERT_EQUAL(load(&c.on_purgatory), 1);
	sm_purgatory_destroy(pg);
}

/* A check that arrives while an operation runs on a handler makes it run
 * again, on the purgatory thread: no change is lost. */
static void test_check_while_running_here(void)
{
	sm_thread_role_set(SM_ROLE_HANDLER);
	sm_purgatory_t *pg = sm_purgatory_new("test-purg");
	iop_t a = { .self_check = 1 };
	iop_park(pg, &a, "s");
	sm_purgatory_check_and_complete(pg, "s", 0); /* run 2 checks "s" */
	CU_ASSERT_TRUE(wait_for(&a.runs, 3));
	CU_ASSERT_EQUAL(load(&a.on_purgatory), 1);
	CU_ASSERT_EQUAL(load(&a.done), 0);
	__atomic_store_n(&a.ready, 1, __ATOMIC_RELEASE);
	sm_purgatory_check_and_complete(pg, "s", 0);
	CU_ASSERT_TRUE(wait_for(&a.done, 1));
	sm_purgatory_destroy(pg);
}

/* watch_here: the try after parking runs on the caller; a parked op that
 * cannot complete yet stays parked for its key. */
static void test_watch_here(void)
{
	sm_thread_role_set(SM_ROLE_HANDLER);
	sm_purgatory_t *pg = sm_purgatory_new("test-purg");
	iop_t a = { .pg = pg }, b = { .pg = pg, .ready = 1 };
	sm_op_key_t ka = { "w", 0 }, kb = { "w", 1 };
	sm_purgatory_watch_here(pg, mono_ms() + 600000, iop_fn, &a, &ka, 1);
	CU_ASSERT_EQUAL(load(&a.runs), 1);
	CU_ASSERT_TRUE(pthread_equal(a.ran_on, pthread_self()));
	CU_ASSERT_EQUAL(sm_purgatory_busy(pg), 0);
	CU_ASSERT_EQUAL(sm_purgatory_size(pg), 1);
	sm_purgatory_watch_here(pg, mono_ms() + 600000, iop_fn, &b, &kb, 1);
	CU_ASSERT_EQUAL(load(&b.done), 1); /* completed inside the call */
	CU_ASSERT_EQUAL(sm_purgatory_size(pg), 1);
	__atomic_store_n(&a.ready, 1, __ATOMIC_RELEASE);
	sm_purgatory_check(pg, "w", 0);
	CU_ASSERT_TRUE(wait_for(&a.done, 1));
	CU_ASSERT_EQUAL(load(&a.on_purgatory), 1);
	/* a deadline already past: completed expired on the purgatory thread */
	iop_t c = { .pg = pg };
	sm_purgatory_watch_here(pg, mono_ms() - 1, iop_fn, &c, &ka, 1);
	CU_ASSERT_TRUE(wait_for(&c.done, 2));
	sm_purgatory_destroy(pg);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("delayed_op", NULL, NULL);
	CU_add_test(s, "keyed watchers", test_keyed);
	CU_add_test(s, "deadlines", test_deadline);
	CU_add_test(s, "check while running", test_check_while_running);
	CU_add_test(s, "park from fn", test_park_from_fn);
	CU_add_test(s, "many keys", test_many);
	CU_add_test(s, "complete on the caller's thread", test_complete_here);
	CU_add_test(s, "deferred to the end of a request", test_deferred);
	CU_add_test(s, "check while running on a handler", test_check_while_running_here);
	CU_add_test(s, "first try on the caller", test_watch_here);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
