/*
 * thread_role.c - per-thread role and the failure path of the thread and
 * lock asserts (see thread_role.h).
 */
#include "thread_role.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

__thread unsigned sm_thread_role_cur;
static __thread int sm_thread_tid_cached;

static const char *const sm_role_names[] = {
	"main", "acceptor", "processor", "handler", "scheduler", "purgatory",
	"group-coord", "fetcher", "isr-expiration", "config-change", "cleaner",
	"controller", "controller-sender", "zk-callback", "metrics",
	"txn-marker", "txn-coord", "acl-change", "alter-log-dirs",
};

unsigned sm_thread_role_set(unsigned role)
{
	unsigned prev = sm_thread_role_cur;
	sm_thread_role_cur = role;
	return prev;
}

const char *sm_thread_role_name(unsigned role)
{
	if (!role)
		return "none";
	for (size_t i = 0; i < sizeof(sm_role_names) / sizeof(sm_role_names[0]); i++)
		if (role == 1u << i)
			return sm_role_names[i];
	return "?";
}

int sm_thread_tid(void)
{
	if (!sm_thread_tid_cached)
		sm_thread_tid_cached = (int)syscall(SYS_gettid);
	return sm_thread_tid_cached;
}

/* "handler|controller" for a mask. */
static void sm_role_mask_fmt(unsigned mask, char *out, size_t len)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof(sm_role_names) / sizeof(sm_role_names[0]); i++)
		if ((mask & (1u << i)) && o + strlen(sm_role_names[i]) + 2 < len)
			o += (size_t)snprintf(out + o, len - o, "%s%s", o ? "|" : "", sm_role_names[i]);
}

void sm_thread_role_fail(const char *func, const char *what, unsigned mask)
{
	char roles[256], cur[256];
	sm_role_mask_fmt(mask, roles, sizeof(roles));
	/* a network thread running a request to completion is "processor|handler" */
	sm_role_mask_fmt(sm_thread_role_cur, cur, sizeof(cur));
	fprintf(stderr, "samsa: thread rule violated: %s() called on a %s thread (%s: %s)\n",
		func, cur[0] ? cur : "none", what, roles);
	fflush(stderr);
	abort();
}

void sm_thread_lock_fail(const char *func, const char *lock)
{
	fprintf(stderr, "samsa: lock rule violated: %s() called without holding %s (thread role %s)\n",
		func, lock, sm_thread_role_name(sm_thread_role_cur));
	fflush(stderr);
	abort();
}
