/* test_thread_role.c - the thread-role and lock-held asserts: a thread in
 * an allowed role passes, one in a forbidden role aborts with a message
 * naming the function and its role; ZooKeeper entry points refuse the
 * purgatory and processor threads. Violations run in a forked child. */
#include <CUnit/Basic.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "thread_role.h"
#include "zk_client.h"

/* Runs fn in a child; returns its termination signal (0 if it exited) and
 * its stderr in out. */
static int run_child(void (*fn)(void), char *out, size_t outlen)
{
	int pfd[2];
	if (pipe(pfd))
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 2);
		close(pfd[0]);
		fn();
		_exit(0);
	}
	close(pfd[1]);
	size_t got = 0;
	ssize_t r;
	while (got + 1 < outlen && (r = read(pfd[0], out + got, outlen - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = '\0';
	close(pfd[0]);
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

static void controller_only(void)
{
	SM_ASSERT_ROLE(SM_ROLE_CONTROLLER);
}

static void never_on_purgatory(void)
{
	SM_ASSERT_NOT_ROLE(SM_ROLE_PURGATORY | SM_ROLE_PROCESSOR);
}

static void as_handler_calls_controller_only(void)
{
	sm_thread_role_set(SM_ROLE_HANDLER);
	controller_only();
}

static void as_controller_calls_controller_only(void)
{
	sm_thread_role_set(SM_ROLE_CONTROLLER);
	controller_only();
	never_on_purgatory();
}

static void as_purgatory(void)
{
	sm_thread_role_set(SM_ROLE_PURGATORY);
	never_on_purgatory();
}

static void test_roles(void)
{
	char err[1024];
	CU_ASSERT_EQUAL(run_child(as_controller_calls_controller_only, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(run_child(as_handler_calls_controller_only, err, sizeof(err)), SIGABRT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "controller_only() called on a handler thread"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "allowed: controller"));
	CU_ASSERT_EQUAL(run_child(as_purgatory, err, sizeof(err)), SIGABRT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "never_on_purgatory() called on a purgatory thread"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "forbidden: processor|purgatory"));
	/* An undeclared thread (tools, tests) is not held to broker rules. */
	controller_only();
	CU_ASSERT_EQUAL(sm_thread_role_set(SM_ROLE_FETCHER), SM_ROLE_NONE);
	CU_ASSERT_STRING_EQUAL(sm_thread_role_name(sm_thread_role()), "fetcher");
	CU_ASSERT_EQUAL(sm_thread_role_set(SM_ROLE_NONE), SM_ROLE_FETCHER);
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void needs_lock(void)
{
	SM_ASSERT_HELD(&lock);
}

static void *hold_lock(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	return NULL; /* exits holding it: the owner is another thread */
}

static void held_elsewhere(void)
{
	pthread_t t;
	pthread_create(&t, NULL, hold_lock, NULL);
	pthread_join(t, NULL);
	needs_lock();
}

static void test_held(void)
{
	char err[1024];
	pthread_mutex_lock(&lock);
	needs_lock();
	pthread_mutex_unlock(&lock);
	CU_ASSERT_EQUAL(run_child(needs_lock, err, sizeof(err)), SIGABRT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "needs_lock() called without holding &lock"));
	CU_ASSERT_EQUAL(run_child(held_elsewhere, err, sizeof(err)), SIGABRT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "without holding &lock"));
}

static void zk_on_purgatory(void)
{
	sm_thread_role_set(SM_ROLE_PURGATORY);
	char *data = NULL;
	size_t len = 0;
	sm_zk_get(NULL, "/brokers/ids", 0, &data, &len, NULL);
}

static void zk_on_processor(void)
{
	sm_thread_role_set(SM_ROLE_PROCESSOR);
	sm_zk_create(NULL, "/x", "", 0, 0, NULL);
}

/* A network thread running a request to completion has both roles: it
 * passes the handler's rules and is still refused ZooKeeper. */
static void zk_on_inline_processor(void)
{
	sm_thread_role_set(SM_ROLE_PROCESSOR | SM_ROLE_HANDLER);
	SM_ASSERT_ROLE(SM_ROLE_HANDLER);
	sm_zk_create(NULL, "/x", "", 0, 0, NULL);
}

static void test_zk_callers(void)
{
	char err[1024];
	CU_ASSERT_EQUAL(run_child(zk_on_inline_processor, err, sizeof(err)), SIGABRT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "sm_zk_create() called on a processor|handler thread "
				      "(forbidden: "));
	CU_ASSERT_EQUAL(run_child(zk_on_purgatory, err, sizeof(err)), SIGABRT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "sm_zk_get() called on a purgatory thread"));
	CU_ASSERT_EQUAL(run_child(zk_on_processor, err, sizeof(err)), SIGABRT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "sm_zk_create() called on a processor thread"));
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("thread_role", NULL, NULL);
	CU_add_test(s, "role asserts", test_roles);
	CU_add_test(s, "lock-held asserts", test_held);
	CU_add_test(s, "ZooKeeper callers", test_zk_callers);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
