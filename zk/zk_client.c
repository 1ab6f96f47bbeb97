/*
 * zk_client.c - a ZooKeeper session over libzookeeper_mt with synchronous
 * wrappers (Kafka's ZooKeeperClient).
 *
 * Thread-safety: the handle pointer and session state are guarded by
 * zk->lock; libzookeeper_mt serialises the calls themselves. The global
 * watcher runs on libzookeeper's completion thread and only updates the
 * state and forwards events to the registered callback. sm_zk_reconnect()
 * and sm_zk_destroy() require that no other thread is using the handle.
 * The synchronous entry points assert that the caller's thread role may
 * block on ZooKeeper (SM_ROLES_ZK_CALLERS, docs/design/threads.md); the
 * watcher callback runs in the zk-callback role, so it cannot call them.
 *
 * Security (zookeeper.set.acl): a handle opened with sm_zk_new_auth() adds
 * digest credentials to every session it opens (the chroot-creating one,
 * the main one and each re-connection) before any request, and with
 * secure_acls creates every znode with Kafka's ZkData.defaultAcls: all
 * rights for the creator's authenticated identity (ZooKeeper's "auth"
 * scheme) plus world READ, except that Kafka's sensitive paths get no world
 * access and /consumers stays open to all.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The synchronous API of libzookeeper_mt is only declared with THREADED. */
#ifndef THREADED
#define THREADED 1
#endif
#include <zookeeper/zookeeper.h>

#include "buf.h"
#include "clock.h"
#include "logger.h"
#include "thread_role.h"
#include "zk_client.h"

#define SM_ZK_LOGGER "kafka.zookeeper.ZooKeeperClient"
#define SM_ZK_COMP "ZooKeeperClient Kafka server"

struct sm_zk {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	zhandle_t *zh;
	char *hosts;  /* "h:p,h:p" */
	char *chroot; /* "" or "/x" */
	char *full;   /* hosts + chroot: what libzookeeper is given */
	int session_timeout_ms;
	int connection_timeout_ms;
	int state;    /* SM_ZK_SESSION_* */
	sm_zk_watcher_cb_t *cb;
	void *opaque;
	uint64_t round_trips; /* atomic: requests sent (benchmarks count them) */
	char *auth;           /* "user:password" for the digest scheme, or NULL */
	int secure_acls;      /* create znodes with Kafka's secure ACLs */
	int auth_rc;          /* result of zoo_add_auth; INT_MIN while waiting */
};

static sm_zk_observer_fn *sm_zk_observer;

void sm_zk_set_observer(sm_zk_observer_fn *fn)
{
	__atomic_store_n(&sm_zk_observer, fn, __ATOMIC_RELEASE);
}

static void sm_zk_observe(int what, int64_t ms)
{
	sm_zk_observer_fn *fn = __atomic_load_n(&sm_zk_observer, __ATOMIC_ACQUIRE);
	if (fn)
		fn(what, ms);
}

/* Counts a request about to be sent; returns its start time for
 * sm_zk_done (0 without an observer: no clock read then). */
static int64_t sm_zk_begin(sm_zk_t *zk)
{
	__atomic_add_fetch(&zk->round_trips, 1, __ATOMIC_RELAXED);
	return __atomic_load_n(&sm_zk_observer, __ATOMIC_ACQUIRE) ? sm_clock_mono_ms() : 0;
}

/* The request begun at t0 has its answer (or failed). */
static void sm_zk_done(int64_t t0)
{
	if (t0)
		sm_zk_observe(SM_ZK_OBS_REQUEST, sm_clock_mono_ms() - t0);
}

uint64_t sm_zk_round_trips(sm_zk_t *zk)
{
	return __atomic_load_n(&zk->round_trips, __ATOMIC_RELAXED);
}

/* ---- connect string ---- */

int sm_zk_parse_connect(const char *connect, char **hostsp, char **chrootp)
{
	if (!connect)
		return -1;
	const char *slash = strchr(connect, '/');
	size_t hlen = slash ? (size_t)(slash - connect) : strlen(connect);
	if (hlen == 0)
		return -1;
	/* Every host entry must be non-empty. */
	for (size_t i = 0; i < hlen; i++) {
		if (connect[i] == ',' && (i == 0 || i + 1 == hlen ||
					  connect[i + 1] == ','))
			return -1;
		if (connect[i] == ' ')
			return -1;
	}
	char *chroot;
	if (slash) {
		size_t clen = strlen(slash);
		while (clen > 1 && slash[clen - 1] == '/')
			clen--;
		if (clen == 1)
			chroot = sm_strdup(""); /* "host:2181/" means no chroot */
		else
			chroot = sm_strndup(slash, clen);
		if (strstr(chroot, "//")) {
			free(chroot);
			return -1;
		}
	} else {
		chroot = sm_strdup("");
	}
	*hostsp = sm_strndup(connect, hlen);
	*chrootp = chroot;
	return 0;
}

/* ---- errors ---- */

static sm_err_t sm_zk_map(int rc, const char *op, const char *path)
{
	if (rc == ZOK)
		return SM_ERR_NONE;
	if (rc == ZNONODE)
		return SM_ERR__NOENT;
	if (rc == ZNODEEXISTS)
		return SM_ERR__EXISTS;
	if (rc == ZBADVERSION)
		return SM_ERR__BADVERSION;
	sm_log_warn(SM_ZK_COMP, SM_ZK_LOGGER, "%s of %s failed: %s", op,
		    path ? path : "(multi)", zerror(rc));
	return SM_ERR__ZK;
}

static void sm_zk_stat_copy(sm_zk_stat_t *dst, const struct Stat *src)
{
	if (!dst)
		return;
	dst->czxid = src->czxid;
	dst->mzxid = src->mzxid;
	dst->ctime = src->ctime;
	dst->mtime = src->mtime;
	dst->version = src->version;
	dst->cversion = src->cversion;
	dst->ephemeral_owner = src->ephemeralOwner;
	dst->data_length = src->dataLength;
	dst->num_children = src->numChildren;
}

/* ---- session ---- */

/* libzookeeper logs every connection attempt to stderr at INFO; Samsa's own
 * logger reports what matters. */
static void sm_zk_quiet(void)
{
	zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
	/* Even ERROR repeats every refused connect 20 times a second; the
	 * library's log goes to /dev/null unless SAMSA_ZK_DEBUG is set. */
	if (!getenv("SAMSA_ZK_DEBUG")) {
		FILE *null = fopen("/dev/null", "w");
		if (null)
			zoo_set_log_stream(null);
	}
}

static int sm_zk_state_of(int zstate)
{
	if (zstate == ZOO_CONNECTED_STATE || zstate == ZOO_READONLY_STATE)
		return SM_ZK_SESSION_CONNECTED;
	if (zstate == ZOO_EXPIRED_SESSION_STATE)
		return SM_ZK_SESSION_EXPIRED;
	if (zstate == ZOO_AUTH_FAILED_STATE)
		return SM_ZK_SESSION_AUTH_FAILED;
	return SM_ZK_SESSION_CONNECTING;
}

/* libzookeeper's global watcher: runs on its completion thread. */
static void sm_zk_global_watcher(zhandle_t *zh, int type, int zstate,
				 const char *path, void *ctx)
{
	sm_zk_t *zk = ctx;
	int ev = 0, obs = -1;
	(void)zh;

	pthread_mutex_lock(&zk->lock);
	if (type == ZOO_SESSION_EVENT) {
		/* Expiry is sticky until sm_zk_reconnect(). */
		if (zk->state != SM_ZK_SESSION_EXPIRED &&
		    zk->state != SM_ZK_SESSION_CLOSED) {
			int to = sm_zk_state_of(zstate);
			if (to == SM_ZK_SESSION_EXPIRED)
				obs = SM_ZK_OBS_EXPIRED;
			else if (to == SM_ZK_SESSION_CONNECTING &&
				 zk->state == SM_ZK_SESSION_CONNECTED)
				obs = SM_ZK_OBS_DISCONNECTED;
			zk->state = to;
		}
		pthread_cond_broadcast(&zk->cond);
		ev = SM_ZK_EVENT_SESSION;
		path = NULL;
	} else if (type == ZOO_CREATED_EVENT) {
		ev = SM_ZK_EVENT_CREATED;
	} else if (type == ZOO_DELETED_EVENT) {
		ev = SM_ZK_EVENT_DELETED;
	} else if (type == ZOO_CHANGED_EVENT) {
		ev = SM_ZK_EVENT_CHANGED;
	} else if (type == ZOO_CHILD_EVENT) {
		ev = SM_ZK_EVENT_CHILD;
	}
	sm_zk_watcher_cb_t *cb = zk->cb;
	void *opaque = zk->opaque;
	pthread_mutex_unlock(&zk->lock);
	if (obs >= 0)
		sm_zk_observe(obs, 0);

	if (ev && cb) {
		unsigned prev = sm_thread_role_set(SM_ROLE_ZK_CALLBACK);
		cb(opaque, ev, path);
		sm_thread_role_set(prev);
	}
}

static void sm_zk_auth_done(int rc, const void *data)
{
	sm_zk_t *zk = (sm_zk_t *)data;
	pthread_mutex_lock(&zk->lock);
	zk->auth_rc = rc;
	pthread_cond_broadcast(&zk->cond);
	pthread_mutex_unlock(&zk->lock);
}

/* Adds the digest credentials to a connected session and waits for the
 * answer: requests sent before it would run unauthenticated. ZooKeeper
 * answers a refused authentication by closing the session (AUTH_FAILED). */
static int sm_zk_add_auth(sm_zk_t *zk, zhandle_t *zh, const char *conn, char *err,
			  size_t errlen)
{
	pthread_mutex_lock(&zk->lock);
	zk->auth_rc = INT_MIN;
	pthread_mutex_unlock(&zk->lock);
	int rc = zoo_add_auth(zh, "digest", zk->auth, (int)strlen(zk->auth), sm_zk_auth_done,
			      zk);
	if (rc == ZOK) {
		struct timespec deadline;
		sm_clock_deadline_ts(CLOCK_REALTIME, zk->connection_timeout_ms, &deadline);
		int w = 0;
		pthread_mutex_lock(&zk->lock);
		while (zk->auth_rc == INT_MIN && w != ETIMEDOUT)
			w = pthread_cond_timedwait(&zk->cond, &zk->lock, &deadline);
		rc = zk->auth_rc == INT_MIN ? ZOPERATIONTIMEOUT : zk->auth_rc;
		if (zk->state == SM_ZK_SESSION_AUTH_FAILED)
			rc = ZAUTHFAILED;
		pthread_mutex_unlock(&zk->lock);
	}
	if (rc != ZOK) {
		snprintf(err, errlen, "Authentication (digest scheme) to zookeeper server "
			 "'%s' failed: %s", conn, zerror(rc));
		return -1;
	}
	return 0;
}

/* Opens a handle on conn and waits for SyncConnected (and, with
 * credentials, for their acceptance). */
static zhandle_t *sm_zk_open(sm_zk_t *zk, const char *conn, char *err,
			     size_t errlen)
{
	pthread_mutex_lock(&zk->lock);
	zk->state = SM_ZK_SESSION_CONNECTING;
	pthread_mutex_unlock(&zk->lock);

	zhandle_t *zh = zookeeper_init(conn, sm_zk_global_watcher,
				       zk->session_timeout_ms, NULL, zk, 0);
	if (!zh) {
		snprintf(err, errlen, "Unable to connect to zookeeper server "
			 "'%s': %s", conn, strerror(errno));
		return NULL;
	}
	/* The C client resolves the server list again each time it polls
	 * its socket (a getaddrinfo, with its netlink round trip, per
	 * request); resolve on (re)connection only, as the Java client's
	 * StaticHostProvider does. */
	zoo_set_servers_resolution_delay(zh, -1);

	struct timespec deadline;
	sm_clock_deadline_ts(CLOCK_REALTIME, zk->connection_timeout_ms, &deadline);
	pthread_mutex_lock(&zk->lock);
	int rc = 0;
	while (zk->state == SM_ZK_SESSION_CONNECTING && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&zk->cond, &zk->lock, &deadline);
	int state = zk->state;
	pthread_mutex_unlock(&zk->lock);

	if (state != SM_ZK_SESSION_CONNECTED) {
		snprintf(err, errlen, "Timed out waiting for connection to "
			 "zookeeper server '%s' (%d ms)", conn,
			 zk->connection_timeout_ms);
		zookeeper_close(zh);
		return NULL;
	}
	if (zk->auth && sm_zk_add_auth(zk, zh, conn, err, errlen) == -1) {
		zookeeper_close(zh);
		return NULL;
	}
	return zh;
}

/* Creates the chroot path through a chroot-less session. */
static int sm_zk_make_chroot(sm_zk_t *zk, char *err, size_t errlen)
{
	zhandle_t *zh = sm_zk_open(zk, zk->hosts, err, errlen);
	if (!zh)
		return -1;
	zk->zh = zh;
	sm_err_t e = sm_zk_create_recursive(zk, zk->chroot, NULL, 0,
					    SM_ZK_PERSISTENT);
	zk->zh = NULL;
	zookeeper_close(zh);
	if (e && e != SM_ERR__EXISTS) {
		snprintf(err, errlen, "Could not create chroot path %s on "
			 "zookeeper server '%s'", zk->chroot, zk->hosts);
		return -1;
	}
	if (e == SM_ERR_NONE)
		sm_log_info(SM_ZK_COMP, SM_ZK_LOGGER,
			    "Created zookeeper path %s", zk->chroot);
	return 0;
}

sm_zk_t *sm_zk_new(const char *connect, int session_timeout_ms,
		   int connection_timeout_ms, char *err, size_t errlen)
{
	return sm_zk_new_auth(connect, session_timeout_ms, connection_timeout_ms, NULL, err,
			      errlen);
}

sm_zk_t *sm_zk_new_auth(const char *connect, int session_timeout_ms,
			int connection_timeout_ms, const sm_zk_auth_t *auth, char *err,
			size_t errlen)
{
	if (auth && auth->secure_acls && !auth->digest_user) {
		/* Creator-only ACLs need an authenticated identity. */
		snprintf(err, errlen, "Secure znode ACLs need zookeeper credentials");
		return NULL;
	}
	if (auth && auth->digest_user && (!auth->digest_password ||
					  strchr(auth->digest_user, ':'))) {
		/* The digest scheme splits "user:password" at the first ':'. */
		snprintf(err, errlen, "Invalid zookeeper credentials: the user name must not "
			 "contain ':' and a password is required");
		return NULL;
	}
	char *hosts, *chroot;
	if (sm_zk_parse_connect(connect, &hosts, &chroot) == -1) {
		snprintf(err, errlen, "Invalid zookeeper connect string '%s'",
			 connect ? connect : "");
		return NULL;
	}
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sm_zk_quiet);

	sm_zk_t *zk = sm_calloc(1, sizeof(*zk));
	pthread_mutex_init(&zk->lock, NULL);
	pthread_cond_init(&zk->cond, NULL);
	zk->hosts = hosts;
	zk->chroot = chroot;
	size_t n = strlen(hosts) + strlen(chroot) + 1;
	zk->full = sm_malloc(n);
	snprintf(zk->full, n, "%s%s", hosts, chroot);
	zk->session_timeout_ms = session_timeout_ms > 0 ? session_timeout_ms
							: 18000;
	zk->connection_timeout_ms = connection_timeout_ms > 0
					    ? connection_timeout_ms
					    : zk->session_timeout_ms;
	if (auth && auth->digest_user) {
		size_t an = strlen(auth->digest_user) + strlen(auth->digest_password) + 2;
		zk->auth = sm_malloc(an);
		snprintf(zk->auth, an, "%s:%s", auth->digest_user, auth->digest_password);
		zk->secure_acls = auth->secure_acls;
	}

	sm_log_info(SM_ZK_COMP, SM_ZK_LOGGER, "Initializing a new session to %s.",
		    zk->full);
	if (*chroot && sm_zk_make_chroot(zk, err, errlen) == -1)
		goto fail;
	zk->zh = sm_zk_open(zk, zk->full, err, errlen);
	if (!zk->zh)
		goto fail;
	sm_log_info(SM_ZK_COMP, SM_ZK_LOGGER, "Connected.");
	return zk;
fail:
	zk->state = SM_ZK_SESSION_CLOSED;
	sm_zk_destroy(zk);
	return NULL;
}

void sm_zk_destroy(sm_zk_t *zk)
{
	if (!zk)
		return;
	if (zk->zh)
		zookeeper_close(zk->zh);
	pthread_mutex_destroy(&zk->lock);
	pthread_cond_destroy(&zk->cond);
	free(zk->hosts);
	free(zk->chroot);
	free(zk->full);
	if (zk->auth) {
		/* The password should not linger in freed memory. */
		volatile char *a = zk->auth;
		while (*a)
			*a++ = '\0';
		free(zk->auth);
	}
	free(zk);
}

sm_err_t sm_zk_reconnect(sm_zk_t *zk)
{
	SM_ASSERT_ZK_CALLER();
	char err[512];
	if (zk->zh) {
		zookeeper_close(zk->zh);
		zk->zh = NULL;
	}
	sm_log_info(SM_ZK_COMP, SM_ZK_LOGGER, "Initializing a new session to %s.",
		    zk->full);
	zk->zh = sm_zk_open(zk, zk->full, err, sizeof(err));
	if (!zk->zh) {
		sm_log_error(SM_ZK_COMP, SM_ZK_LOGGER, "%s", err);
		return SM_ERR__ZK;
	}
	return SM_ERR_NONE;
}

void sm_zk_set_watcher(sm_zk_t *zk, sm_zk_watcher_cb_t *cb, void *opaque)
{
	pthread_mutex_lock(&zk->lock);
	zk->cb = cb;
	zk->opaque = opaque;
	pthread_mutex_unlock(&zk->lock);
}

int sm_zk_session_state(sm_zk_t *zk)
{
	pthread_mutex_lock(&zk->lock);
	int s = zk->state;
	pthread_mutex_unlock(&zk->lock);
	return s;
}

int64_t sm_zk_session_id(sm_zk_t *zk)
{
	if (!zk->zh)
		return 0;
	const clientid_t *cid = zoo_client_id(zk->zh);
	return cid ? cid->client_id : 0;
}

const char *sm_zk_hosts(const sm_zk_t *zk)
{
	return zk->hosts;
}

const char *sm_zk_chroot(const sm_zk_t *zk)
{
	return zk->chroot;
}

int sm_zk_secure_acls(const sm_zk_t *zk)
{
	return zk->secure_acls;
}

/* ---- ACLs (Kafka's ZkData.defaultAcls) ---- */

/* Paths below these carry credentials or broker secrets: no world READ
 * (ZkData.SensitiveRootPaths; a prefix match, as Kafka's startsWith). */
static const char *const sm_zk_sensitive_roots[] = {
	"/config/users", "/config/brokers", "/delegation_token/tokens",
};

int sm_zk_sensitive_path(const char *path)
{
	for (size_t i = 0; path && i < sizeof(sm_zk_sensitive_roots) / sizeof(char *); i++)
		if (!strncmp(path, sm_zk_sensitive_roots[i], strlen(sm_zk_sensitive_roots[i])))
			return 1;
	return 0;
}

static char sm_zk_s_auth[] = "auth", sm_zk_s_empty[] = "", sm_zk_s_world[] = "world",
	    sm_zk_s_anyone[] = "anyone";
/* ZooKeeper's permission bits (ZooDefs.Perms); libzookeeper exports them
 * only as variables, which a static initialiser cannot use. */
#define SM_ZK_PERM_READ 1
#define SM_ZK_PERM_ALL 31
static struct ACL sm_zk_acl_secure[] = {
	{ SM_ZK_PERM_ALL, { sm_zk_s_auth, sm_zk_s_empty } },
	{ SM_ZK_PERM_READ, { sm_zk_s_world, sm_zk_s_anyone } },
};
static struct ACL sm_zk_acl_open[] = {
	{ SM_ZK_PERM_ALL, { sm_zk_s_world, sm_zk_s_anyone } },
};
/* Creator-all + world-read, creator-all alone, and world-all: libzookeeper
 * keeps a pointer to the vector until a multi is sent, so they are static. */
static struct ACL_vector sm_zk_aclv_public = { 2, sm_zk_acl_secure };
static struct ACL_vector sm_zk_aclv_private = { 1, sm_zk_acl_secure };
static struct ACL_vector sm_zk_aclv_open = { 1, sm_zk_acl_open };

int sm_zk_acl_kind(int secure, const char *path)
{
	/* The old consumers' path stays open: consumers of any identity wrote
	 * under it. */
	if (!secure || !strcmp(path, "/consumers"))
		return SM_ZK_ACL_OPEN;
	return sm_zk_sensitive_path(path) ? SM_ZK_ACL_PRIVATE : SM_ZK_ACL_PUBLIC;
}

static struct ACL_vector *sm_zk_acls_for(const sm_zk_t *zk, const char *path)
{
	switch (sm_zk_acl_kind(zk->secure_acls, path)) {
	case SM_ZK_ACL_PUBLIC:
		return &sm_zk_aclv_public;
	case SM_ZK_ACL_PRIVATE:
		return &sm_zk_aclv_private;
	default:
		return &sm_zk_aclv_open;
	}
}

sm_err_t sm_zk_set_acl_kind(sm_zk_t *zk, const char *path, int kind)
{
	SM_ASSERT_ZK_CALLER();
	struct ACL_vector *v = kind == SM_ZK_ACL_PUBLIC	 ? &sm_zk_aclv_public
			       : kind == SM_ZK_ACL_PRIVATE ? &sm_zk_aclv_private
							   : &sm_zk_aclv_open;
	int64_t t0 = sm_zk_begin(zk);
	int rc = zoo_set_acl(zk->zh, path, -1, v);
	sm_zk_done(t0);
	return sm_zk_map(rc, "setAcl", path);
}

/* ---- operations ---- */

static int sm_zk_zmode(int mode)
{
	int eph = mode & SM_ZK_EPHEMERAL, seq = mode & SM_ZK_SEQUENTIAL;
	if (eph && seq)
		return ZOO_EPHEMERAL_SEQUENTIAL;
	if (eph)
		return ZOO_EPHEMERAL;
	if (seq)
		return ZOO_PERSISTENT_SEQUENTIAL;
	return ZOO_PERSISTENT;
}

sm_err_t sm_zk_get(sm_zk_t *zk, const char *path, int watch, char **datap,
		   size_t *lenp, sm_zk_stat_t *stat)
{
	SM_ASSERT_ZK_CALLER();
	struct Stat st;
	int cap = 1024;

	/* The node may grow between calls: retry until the buffer holds it. */
	for (;;) {
		char *buf = sm_malloc((size_t)cap + 1);
		int len = cap;
		int64_t t0 = sm_zk_begin(zk);
		int rc = zoo_get(zk->zh, path, watch, buf, &len, &st);
		sm_zk_done(t0);
		if (rc != ZOK) {
			free(buf);
			return sm_zk_map(rc, "get", path);
		}
		if (st.dataLength > cap) {
			free(buf);
			cap = st.dataLength;
			continue;
		}
		if (len < 0)
			len = 0; /* null data */
		buf[len] = '\0';
		if (lenp)
			*lenp = (size_t)len;
		if (datap)
			*datap = buf;
		else
			free(buf);
		sm_zk_stat_copy(stat, &st);
		return SM_ERR_NONE;
	}
}

static int sm_zk_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

sm_err_t sm_zk_get_children(sm_zk_t *zk, const char *path, int watch,
			    char ***childrenp, int *countp)
{
	SM_ASSERT_ZK_CALLER();
	struct String_vector sv = { 0, NULL };
	int64_t t0 = sm_zk_begin(zk);
	int rc = zoo_get_children(zk->zh, path, watch, &sv);
	sm_zk_done(t0);
	if (rc != ZOK)
		return sm_zk_map(rc, "getChildren", path);
	char **out = sm_calloc((size_t)sv.count + 1, sizeof(*out));
	for (int i = 0; i < sv.count; i++)
		out[i] = sm_strdup(sv.data[i]);
	deallocate_String_vector(&sv);
	qsort(out, (size_t)sv.count, sizeof(*out), sm_zk_strcmp);
	if (childrenp)
		*childrenp = out;
	else
		sm_zk_strings_free(out, sv.count);
	if (countp)
		*countp = sv.count;
	return SM_ERR_NONE;
}

void sm_zk_strings_free(char **strs, int count)
{
	if (!strs)
		return;
	for (int i = 0; i < count; i++)
		free(strs[i]);
	free(strs);
}

sm_err_t sm_zk_exists(sm_zk_t *zk, const char *path, int watch,
		      sm_zk_stat_t *stat)
{
	SM_ASSERT_ZK_CALLER();
	struct Stat st;
	int64_t t0 = sm_zk_begin(zk);
	int rc = zoo_exists(zk->zh, path, watch, &st);
	sm_zk_done(t0);
	if (rc == ZOK)
		sm_zk_stat_copy(stat, &st);
	return sm_zk_map(rc, "exists", path);
}

sm_err_t sm_zk_create(sm_zk_t *zk, const char *path, const char *data,
		      size_t len, int mode, char **created_path)
{
	SM_ASSERT_ZK_CALLER();
	size_t plen = strlen(path) + 16;
	char *out = sm_malloc(plen);
	int64_t t0 = sm_zk_begin(zk);
	int rc = zoo_create(zk->zh, path, data, data ? (int)len : -1,
			    sm_zk_acls_for(zk, path), sm_zk_zmode(mode), out,
			    (int)plen);
	sm_zk_done(t0);
	if (rc == ZOK && created_path)
		*created_path = out;
	else
		free(out);
	return sm_zk_map(rc, "create", path);
}

sm_err_t sm_zk_create_recursive(sm_zk_t *zk, const char *path,
				const char *data, size_t len, int mode)
{
	SM_ASSERT_ZK_CALLER();
	sm_err_t e = sm_zk_create(zk, path, data, len, mode, NULL);
	if (e != SM_ERR__NOENT)
		return e;
	/* A parent is missing: create every ancestor, then retry. */
	char *p = sm_strdup(path);
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		sm_err_t pe = sm_zk_create(zk, p, NULL, 0, SM_ZK_PERSISTENT,
					   NULL);
		*s = '/';
		if (pe && pe != SM_ERR__EXISTS) {
			free(p);
			return pe;
		}
	}
	free(p);
	return sm_zk_create(zk, path, data, len, mode, NULL);
}

sm_err_t sm_zk_set(sm_zk_t *zk, const char *path, const char *data,
		   size_t len, int32_t version, sm_zk_stat_t *stat)
{
	SM_ASSERT_ZK_CALLER();
	struct Stat st;
	int64_t t0 = sm_zk_begin(zk);
	int rc = zoo_set2(zk->zh, path, data, data ? (int)len : -1, version,
			  &st);
	sm_zk_done(t0);
	if (rc == ZOK)
		sm_zk_stat_copy(stat, &st);
	return sm_zk_map(rc, "setData", path);
}

sm_err_t sm_zk_delete(sm_zk_t *zk, const char *path, int32_t version)
{
	SM_ASSERT_ZK_CALLER();
	int64_t t0 = sm_zk_begin(zk);
	int rc = zoo_delete(zk->zh, path, version);
	sm_zk_done(t0);
	return sm_zk_map(rc, "delete", path);
}

sm_err_t sm_zk_delete_recursive(sm_zk_t *zk, const char *path)
{
	SM_ASSERT_ZK_CALLER();
	char **kids;
	int n;
	sm_err_t e = sm_zk_get_children(zk, path, 0, &kids, &n);
	if (e == SM_ERR__NOENT)
		return SM_ERR_NONE;
	if (e)
		return e;
	size_t plen = strlen(path);
	for (int i = 0; i < n && !e; i++) {
		size_t cl = plen + strlen(kids[i]) + 2;
		char *child = sm_malloc(cl);
		snprintf(child, cl, "%s%s%s", path,
			 (plen && path[plen - 1] == '/') ? "" : "/", kids[i]);
		e = sm_zk_delete_recursive(zk, child);
		free(child);
	}
	sm_zk_strings_free(kids, n);
	if (e)
		return e;
	e = sm_zk_delete(zk, path, -1);
	return e == SM_ERR__NOENT ? SM_ERR_NONE : e;
}

/* ---- multi ---- */

typedef struct sm_zk_mop {
	int type; /* ZOO_*_OP */
	char *path;
	char *data; /* NULL = null data */
	size_t len;
	int mode;
	int32_t version;
	char *created; /* result path buffer */
	struct Stat stat;
	sm_zk_stat_t out_stat;
	sm_err_t err;
} sm_zk_mop_t;

struct sm_zk_multi {
	sm_zk_mop_t *ops;
	int n;
	int cap;
};

sm_zk_multi_t *sm_zk_multi_new(void)
{
	return sm_calloc(1, sizeof(sm_zk_multi_t));
}

void sm_zk_multi_destroy(sm_zk_multi_t *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->n; i++) {
		free(m->ops[i].path);
		free(m->ops[i].data);
		free(m->ops[i].created);
	}
	free(m->ops);
	free(m);
}

static sm_zk_mop_t *sm_zk_multi_add(sm_zk_multi_t *m, int type,
				    const char *path, const char *data,
				    size_t len)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 4;
		m->ops = sm_realloc(m->ops, (size_t)m->cap * sizeof(*m->ops));
	}
	sm_zk_mop_t *op = &m->ops[m->n++];
	memset(op, 0, sizeof(*op));
	op->type = type;
	op->path = sm_strdup(path);
	if (data) {
		op->data = sm_malloc(len + 1);
		memcpy(op->data, data, len);
		op->data[len] = '\0';
		op->len = len;
	}
	return op;
}

int sm_zk_multi_create(sm_zk_multi_t *m, const char *path, const char *data,
		       size_t len, int mode)
{
	sm_zk_mop_t *op = sm_zk_multi_add(m, ZOO_CREATE_OP, path, data, len);
	op->mode = mode;
	op->created = sm_calloc(1, strlen(path) + 16);
	return m->n - 1;
}

int sm_zk_multi_set(sm_zk_multi_t *m, const char *path, const char *data,
		    size_t len, int32_t version)
{
	sm_zk_mop_t *op = sm_zk_multi_add(m, ZOO_SETDATA_OP, path, data, len);
	op->version = version;
	return m->n - 1;
}

int sm_zk_multi_delete(sm_zk_multi_t *m, const char *path, int32_t version)
{
	sm_zk_mop_t *op = sm_zk_multi_add(m, ZOO_DELETE_OP, path, NULL, 0);
	op->version = version;
	return m->n - 1;
}

int sm_zk_multi_check(sm_zk_multi_t *m, const char *path, int32_t version)
{
	sm_zk_mop_t *op = sm_zk_multi_add(m, ZOO_CHECK_OP, path, NULL, 0);
	op->version = version;
	return m->n - 1;
}

int sm_zk_multi_count(const sm_zk_multi_t *m)
{
	return m->n;
}

static void sm_zk_multi_init_op(const sm_zk_t *zk, zoo_op_t *zo, sm_zk_mop_t *op)
{
	int dlen = op->data ? (int)op->len : -1;
	switch (op->type) {
	case ZOO_CREATE_OP:
		zoo_create_op_init(zo, op->path, op->data, dlen,
				   sm_zk_acls_for(zk, op->path), sm_zk_zmode(op->mode),
				   op->created, (int)strlen(op->path) + 16);
		break;
	case ZOO_SETDATA_OP:
		zoo_set_op_init(zo, op->path, op->data, dlen, op->version,
				&op->stat);
		break;
	case ZOO_DELETE_OP:
		zoo_delete_op_init(zo, op->path, op->version);
		break;
	default:
		zoo_check_op_init(zo, op->path, op->version);
		break;
	}
}

/* Maps a finished multi's answer (rc, res[]) onto its ops. */
static sm_err_t sm_zk_multi_finish(sm_zk_multi_t *m, int rc, const zoo_op_result_t *res,
				   int *failed_op)
{
	sm_err_t first = SM_ERR_NONE;
	int first_i = -1;
	for (int i = 0; i < m->n; i++) {
		sm_zk_mop_t *op = &m->ops[i];
		/* Ops after the failing one report ZRUNTIMEINCONSISTENCY;
		 * the one that failed carries the real reason. */
		int r = rc == ZOK ? ZOK : res[i].err;
		op->err = (r == ZOK || r == ZRUNTIMEINCONSISTENCY)
				  ? (r == ZOK ? SM_ERR_NONE : SM_ERR__ZK)
				  : (r == ZNONODE ? SM_ERR__NOENT
				     : r == ZNODEEXISTS ? SM_ERR__EXISTS
				     : r == ZBADVERSION ? SM_ERR__BADVERSION
							: SM_ERR__ZK);
		if (rc == ZOK && op->type == ZOO_SETDATA_OP)
			sm_zk_stat_copy(&op->out_stat, &op->stat);
		if (rc != ZOK && first_i < 0 && r != ZOK &&
		    r != ZRUNTIMEINCONSISTENCY) {
			first_i = i;
			first = sm_zk_map(r, "multi", op->path);
		}
	}
	if (rc != ZOK && first_i < 0) /* connection-level failure */
		first = sm_zk_map(rc, "multi", NULL);
	if (failed_op)
		*failed_op = first_i;
	return first;
}

sm_err_t sm_zk_multi_run(sm_zk_t *zk, sm_zk_multi_t *m, int *failed_op)
{
	SM_ASSERT_ZK_CALLER();
	if (failed_op)
		*failed_op = -1;
	if (m->n == 0)
		return SM_ERR_NONE;
	zoo_op_t *zops = sm_calloc((size_t)m->n, sizeof(*zops));
	zoo_op_result_t *res = sm_calloc((size_t)m->n, sizeof(*res));
	for (int i = 0; i < m->n; i++)
		sm_zk_multi_init_op(zk, &zops[i], &m->ops[i]);
	int64_t t0 = sm_zk_begin(zk);
	int rc = zoo_multi(zk->zh, m->n, zops, res);
	sm_zk_done(t0);
	sm_err_t first = sm_zk_multi_finish(m, rc, res, failed_op);
	free(zops);
	free(res);
	return first;
}

/* ---- pipelined requests ---- */

/* Requests in flight at once: enough to hide the round trip, bounded so
 * a huge batch does not queue unboundedly in the client. */
#define SM_ZK_PIPELINE 512

typedef struct sm_zk_waiter {
	pthread_mutex_t m;
	pthread_cond_t cv;
	int pending;
} sm_zk_waiter_t;

typedef struct sm_zk_actx {
	sm_zk_waiter_t *w;
	int rc;
	zoo_op_t *zops;
	zoo_op_result_t *res;
	char *data;
	int len;
	struct Stat st;
	int64_t t0; /* sm_zk_begin */
} sm_zk_actx_t;

static void sm_zk_waiter_done(sm_zk_waiter_t *w)
{
	pthread_mutex_lock(&w->m);
	w->pending--;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->m);
}

/* Waits until at most max requests are in flight. */
static void sm_zk_waiter_wait(sm_zk_waiter_t *w, int max)
{
	pthread_mutex_lock(&w->m);
	while (w->pending > max)
		pthread_cond_wait(&w->cv, &w->m);
	pthread_mutex_unlock(&w->m);
}

static void sm_zk_amulti_done(int rc, const void *data)
{
	sm_zk_actx_t *a = (sm_zk_actx_t *)data;
	sm_zk_done(a->t0);
	a->rc = rc;
	sm_zk_waiter_done(a->w);
}

static void sm_zk_aget_done(int rc, const char *value, int len, const struct Stat *st,
			    const void *data)
{
	sm_zk_actx_t *a = (sm_zk_actx_t *)data;
	sm_zk_done(a->t0);
	a->rc = rc;
	if (rc == ZOK) {
		a->len = len > 0 ? len : 0;
		a->data = sm_malloc((size_t)a->len + 1);
		if (a->len)
			memcpy(a->data, value, (size_t)a->len);
		a->data[a->len] = '\0';
		if (st)
			a->st = *st;
	}
	sm_zk_waiter_done(a->w);
}

void sm_zk_multi_run_many(sm_zk_t *zk, sm_zk_multi_t *const *ms, int n, sm_err_t *errs,
			  int *failed_ops)
{
	SM_ASSERT_ZK_CALLER();
	sm_zk_waiter_t w = { .pending = 0 };
	pthread_mutex_init(&w.m, NULL);
	pthread_cond_init(&w.cv, NULL);
	sm_zk_actx_t *ax = sm_calloc((size_t)n + 1, sizeof(*ax));
	for (int i = 0; i < n; i++) {
		sm_zk_multi_t *m = ms[i];
		ax[i].w = &w;
		ax[i].zops = sm_calloc((size_t)m->n + 1, sizeof(zoo_op_t));
		ax[i].res = sm_calloc((size_t)m->n + 1, sizeof(zoo_op_result_t));
		for (int k = 0; k < m->n; k++)
			sm_zk_multi_init_op(zk, &ax[i].zops[k], &m->ops[k]);
		sm_zk_waiter_wait(&w, SM_ZK_PIPELINE - 1);
		pthread_mutex_lock(&w.m);
		w.pending++;
		pthread_mutex_unlock(&w.m);
		ax[i].t0 = sm_zk_begin(zk);
		int rc = zoo_amulti(zk->zh, m->n, ax[i].zops, ax[i].res, sm_zk_amulti_done, &ax[i]);
		if (rc != ZOK) {
			ax[i].rc = rc;
			sm_zk_waiter_done(&w);
		}
	}
	sm_zk_waiter_wait(&w, 0);
	for (int i = 0; i < n; i++) {
		int f = -1;
		errs[i] = ms[i]->n ? sm_zk_multi_finish(ms[i], ax[i].rc, ax[i].res, &f) : SM_ERR_NONE;
		if (failed_ops)
			failed_ops[i] = f;
		free(ax[i].zops);
		free(ax[i].res);
	}
	free(ax);
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.m);
}

void sm_zk_get_many(sm_zk_t *zk, char *const *paths, int n, char **datas, size_t *lens,
		    sm_zk_stat_t *stats, sm_err_t *errs)
{
	SM_ASSERT_ZK_CALLER();
	sm_zk_waiter_t w = { .pending = 0 };
	pthread_mutex_init(&w.m, NULL);
	pthread_cond_init(&w.cv, NULL);
	sm_zk_actx_t *ax = sm_calloc((size_t)n + 1, sizeof(*ax));
	for (int i = 0; i < n; i++) {
		ax[i].w = &w;
		sm_zk_waiter_wait(&w, SM_ZK_PIPELINE - 1);
		pthread_mutex_lock(&w.m);
		w.pending++;
		pthread_mutex_unlock(&w.m);
		ax[i].t0 = sm_zk_begin(zk);
		int rc = zoo_aget(zk->zh, paths[i], 0, sm_zk_aget_done, &ax[i]);
		if (rc != ZOK) {
			ax[i].rc = rc;
			sm_zk_waiter_done(&w);
		}
	}
	sm_zk_waiter_wait(&w, 0);
	for (int i = 0; i < n; i++) {
		errs[i] = ax[i].rc == ZOK ? SM_ERR_NONE : sm_zk_map(ax[i].rc, "get", paths[i]);
		datas[i] = ax[i].data;
		if (lens)
			lens[i] = (size_t)ax[i].len;
		if (stats && ax[i].rc == ZOK)
			sm_zk_stat_copy(&stats[i], &ax[i].st);
	}
	free(ax);
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.m);
}

sm_err_t sm_zk_multi_result(const sm_zk_multi_t *m, int i)
{
	return (i >= 0 && i < m->n) ? m->ops[i].err : SM_ERR__STATE;
}

const sm_zk_stat_t *sm_zk_multi_stat(const sm_zk_multi_t *m, int i)
{
	return (i >= 0 && i < m->n) ? &m->ops[i].out_stat : NULL;
}

const char *sm_zk_multi_created_path(const sm_zk_multi_t *m, int i)
{
	if (i < 0 || i >= m->n || m->ops[i].type != ZOO_CREATE_OP ||
	    m->ops[i].err || !m->ops[i].created[0])
		return NULL;
	return m->ops[i].created;
}
