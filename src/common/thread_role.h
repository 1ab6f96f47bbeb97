/*
 * thread_role.h - executable thread and lock rules (docs/design/threads.md).
 *
 * Every thread the broker starts declares its role once, first thing, with
 * sm_thread_role_set(); the role lives in a thread-local. Code whose rules
 * say "only on thread X" or "never on thread Y" states them with
 * SM_ASSERT_ROLE(mask) / SM_ASSERT_NOT_ROLE(mask); a violation prints the
 * function, the thread's actual role and the allowed or forbidden roles to
 * stderr and aborts. A check costs one TLS load and a mask test, so the
 * asserts stay on in every build.
 *
 * A thread that never declared a role (SM_ROLE_NONE: the tools, the unit
 * test programs, library-owned threads outside our callbacks) passes every
 * role check: the rules are the broker's, and the broker declares all of
 * its threads.
 *
 * SM_ASSERT_HELD(&mutex) checks that the calling thread owns a pthread
 * mutex ("caller holds ..." rules). It reads the owner thread id that
 * glibc records in every locked mutex, so the lock and unlock paths cost
 * nothing extra; without glibc it checks nothing.
 */
#ifndef SM_THREAD_ROLE_H
#define SM_THREAD_ROLE_H

#include <pthread.h>

typedef enum sm_thread_role {
	SM_ROLE_NONE              = 0,
	SM_ROLE_MAIN              = 1 << 0,  /* samsa-server */
	SM_ROLE_ACCEPTOR          = 1 << 1,  /* net-acceptor */
	SM_ROLE_PROCESSOR         = 1 << 2,  /* net-proc-N */
	SM_ROLE_HANDLER           = 1 << 3,  /* req-handler-N */
	SM_ROLE_SCHEDULER         = 1 << 4,  /* kafka-scheduler */
	SM_ROLE_PURGATORY         = 1 << 5,  /* fetch-purgatory */
	SM_ROLE_GROUP_COORD       = 1 << 6,  /* group-coord */
	SM_ROLE_FETCHER           = 1 << 7,  /* fetcher-<f>-<leader> */
	SM_ROLE_ISR_EXPIRATION    = 1 << 8,  /* isr-expiration */
	SM_ROLE_CONFIG_CHANGE     = 1 << 9,  /* config-change */
	SM_ROLE_CLEANER           = 1 << 10, /* log-cleaner-N */
	SM_ROLE_CONTROLLER        = 1 << 11, /* ctrl-event */
	SM_ROLE_CONTROLLER_SENDER = 1 << 12, /* ctrl-send-<id> */
	SM_ROLE_ZK_CALLBACK       = 1 << 13, /* libzookeeper_mt, inside our callbacks */
	SM_ROLE_METRICS           = 1 << 14, /* metrics-http */
	SM_ROLE_TXN_MARKER        = 1 << 15, /* txn-marker-route, txn-marker-<id> */
	SM_ROLE_TXN_COORD         = 1 << 16, /* txn-coord */
	SM_ROLE_ACL_CHANGE        = 1 << 17, /* acl-change */
	SM_ROLE_ALTER_LOG_DIRS    = 1 << 18, /* alter-log-dirs */
} sm_thread_role_t;

/* Threads that may make synchronous ZooKeeper calls (threads.md). */
#define SM_ROLES_ZK_CALLERS (SM_ROLE_MAIN | SM_ROLE_HANDLER | SM_ROLE_SCHEDULER | \
			     SM_ROLE_ISR_EXPIRATION | SM_ROLE_CONFIG_CHANGE | SM_ROLE_CONTROLLER | \
			     SM_ROLE_ACL_CHANGE)

/* Threads that never call ZooKeeper (threads.md), checked besides
 * SM_ROLES_ZK_CALLERS so that a network thread running a request to
 * completion (role "processor|handler") is refused too. */
#define SM_ROLES_NEVER_ZK (SM_ROLE_ACCEPTOR | SM_ROLE_PROCESSOR | SM_ROLE_PURGATORY | \
			   SM_ROLE_GROUP_COORD | SM_ROLE_TXN_COORD | SM_ROLE_FETCHER | \
			   SM_ROLE_CLEANER | SM_ROLE_CONTROLLER_SENDER | SM_ROLE_TXN_MARKER | \
			   SM_ROLE_ZK_CALLBACK)

extern __thread unsigned sm_thread_role_cur;

/* Declares the calling thread's role; returns the previous one (so that a
 * library thread entering one of our callbacks can put it back). */
unsigned sm_thread_role_set(unsigned role);

static inline unsigned sm_thread_role(void) { return sm_thread_role_cur; }

/* "handler", "purgatory", ... ("none" for 0, "?" for an unknown bit). */
const char *sm_thread_role_name(unsigned role);

/* Reports the violation on stderr and aborts. */
void sm_thread_role_fail(const char *func, const char *what, unsigned mask)
	__attribute__((noreturn, cold));
void sm_thread_lock_fail(const char *func, const char *lock) __attribute__((noreturn, cold));

/* The calling thread's kernel id, cached in a thread-local. */
int sm_thread_tid(void);

#define SM_ASSERT_ROLE(mask)							\
	do {									\
		unsigned sm_r_ = sm_thread_role_cur;				\
		if (sm_r_ && !(sm_r_ & (unsigned)(mask)))			\
			sm_thread_role_fail(__func__, "allowed", (mask));	\
	} while (0)

#define SM_ASSERT_NOT_ROLE(mask)						\
	do {									\
		if (sm_thread_role_cur & (unsigned)(mask))			\
			sm_thread_role_fail(__func__, "forbidden", (mask));	\
	} while (0)

/* A synchronous ZooKeeper call is allowed here. */
#define SM_ASSERT_ZK_CALLER()							\
	do {									\
		SM_ASSERT_ROLE(SM_ROLES_ZK_CALLERS);				\
		SM_ASSERT_NOT_ROLE(SM_ROLES_NEVER_ZK);				\
	} while (0)

#if defined(__GLIBC__)
#define SM_MUTEX_HELD(m) (__atomic_load_n(&(m)->__data.__owner, __ATOMIC_RELAXED) == sm_thread_tid())
#else
#define SM_MUTEX_HELD(m) 1
#endif

#define SM_ASSERT_HELD(m)							\
	do {									\
		if (!SM_MUTEX_HELD(m))						\
			sm_thread_lock_fail(__func__, #m);			\
	} while (0)

/* The value of expr (of type type) read with mutex m held: the short
 * getters of lock-guarded fields. */
#define SM_LOCKED_READ(m, type, expr)                                          \
	({                                                                    \
		pthread_mutex_lock(m);                                        \
		type sm_locked_v_ = (expr);                                   \
		pthread_mutex_unlock(m);                                      \
		sm_locked_v_;                                                 \
	})

#endif
