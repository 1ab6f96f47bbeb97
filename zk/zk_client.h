/*
 * zk_client.h - a ZooKeeper session over libzookeeper_mt with synchronous,
 * sm_err_t-returning wrappers (the role of Kafka's ZooKeeperClient).
 *
 * Connect strings are "host:port[,host:port...][/chroot]". When a chroot is
 * given, sm_zk_new() first connects without it and creates the chroot path
 * (persistent, empty) so the broker can start against a fresh ensemble.
 *
 * Errors: 0 (SM_ERR_NONE), SM_ERR__NOENT (ZNONODE), SM_ERR__EXISTS
 * (ZNODEEXISTS), SM_ERR__BADVERSION (ZBADVERSION), SM_ERR__ZK (anything else,
 * logged with ZooKeeper's own error text).
 *
 * Watches: one callback per session (sm_zk_set_watcher). Operations that take
 * a 'watch' flag leave a one-shot watch that reports through that callback.
 * Session expiry and re-connection are reported through it too.
 *
 * Thread-safety: all calls are safe from any thread (libzookeeper_mt
 * serialises them) except sm_zk_reconnect() and sm_zk_destroy(), which the
 * owner calls while no other thread uses the handle. The watcher callback runs
 * on libzookeeper's event thread: it must only enqueue work (never call back
 * into ZooKeeper synchronously, never block).
 */
#ifndef SM_ZK_CLIENT_H
#define SM_ZK_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct sm_zk sm_zk_t;

/* Event types passed to the watcher. */
#define SM_ZK_EVENT_CREATED 1
#define SM_ZK_EVENT_DELETED 2
#define SM_ZK_EVENT_CHANGED 3
#define SM_ZK_EVENT_CHILD 4
#define SM_ZK_EVENT_SESSION 5 /* path is NULL; see sm_zk_session_state() */

/* Session events carry no state argument: the consumer reads
 * sm_zk_session_state() when it processes the event. Expiry is sticky (the
 * state stays SM_ZK_SESSION_EXPIRED until sm_zk_reconnect()), so it is never
 * missed; connect/disconnect flaps may be coalesced. */

/* Session states, as reported by sm_zk_session_state(). */
#define SM_ZK_SESSION_CONNECTING 0
#define SM_ZK_SESSION_CONNECTED 1
#define SM_ZK_SESSION_EXPIRED 2
#define SM_ZK_SESSION_AUTH_FAILED 3
#define SM_ZK_SESSION_CLOSED 4

/* Node creation modes (may be OR'ed: EPHEMERAL|SEQUENTIAL). */
#define SM_ZK_PERSISTENT 0
#define SM_ZK_EPHEMERAL 1
#define SM_ZK_SEQUENTIAL 2

/* The fields of ZooKeeper's Stat that Kafka uses. */
typedef struct sm_zk_stat {
	int64_t czxid;           /* creation zxid (broker epoch) */
	int64_t mzxid;
	int64_t ctime;           /* ms */
	int64_t mtime;           /* ms */
	int32_t version;         /* data version = zkVersion */
	int32_t cversion;
	int64_t ephemeral_owner; /* session id, 0 if persistent */
	int32_t data_length;
	int32_t num_children;
} sm_zk_stat_t;

/* Called on libzookeeper's event thread: ONLY enqueue work here (copy path;
 * it is only valid during the call). type is SM_ZK_EVENT_*. */
typedef void (sm_zk_watcher_cb_t)(void *opaque, int type, const char *path);

/* Connects (creating the chroot first if any) and waits up to
 * connection_timeout_ms for the session. NULL on failure with a message in
 * err naming the connect string. */
sm_zk_t *sm_zk_new(const char *connect, int session_timeout_ms,
		   int connection_timeout_ms, char *err, size_t errlen);

/* Credentials and ACL policy of a handle (zookeeper.set.acl). ZooKeeper's C
 * client has no SASL, so the identity is proven with the digest scheme. */
typedef struct sm_zk_auth {
	const char *digest_user;     /* NULL: an unauthenticated session */
	const char *digest_password;
	int secure_acls;             /* create znodes with Kafka's secure ACLs
				      * (needs digest_user) */
} sm_zk_auth_t;

/* sm_zk_new() whose sessions authenticate with auth (may be NULL) before
 * any request; a refused authentication fails like a refused connection.
 * The strings are copied. */
sm_zk_t *sm_zk_new_auth(const char *connect, int session_timeout_ms,
			int connection_timeout_ms, const sm_zk_auth_t *auth, char *err,
			size_t errlen);
/* Whether znodes are created with secure ACLs. */
int sm_zk_secure_acls(const sm_zk_t *zk);

/* The ACLs Kafka gives a znode (ZkData.defaultAcls): */
#define SM_ZK_ACL_OPEN 0    /* world: all (unsecured, and /consumers) */
#define SM_ZK_ACL_PUBLIC 1  /* creator: all, world: read */
#define SM_ZK_ACL_PRIVATE 2 /* creator: all (sensitive paths) */
/* The kind for path (relative to the chroot) under secure or open ACLs. */
int sm_zk_acl_kind(int secure, const char *path);
/* 1 if path is under one of Kafka's sensitive roots (/config/users,
 * /config/brokers, /delegation_token/tokens). */
int sm_zk_sensitive_path(const char *path);
/* Sets path's ACL to kind (any version). "creator" means the identities
 * this session authenticated as. */
sm_err_t sm_zk_set_acl_kind(sm_zk_t *zk, const char *path, int kind);

/* Closes the session (ephemeral nodes vanish) and frees everything. */
void sm_zk_destroy(sm_zk_t *zk);
/* Requests sent to ZooKeeper so far on this handle (benchmarks). */
uint64_t sm_zk_round_trips(sm_zk_t *zk);

/* What the client reports to its observer (the broker's metrics: Kafka's
 * ZooKeeperClientMetrics and SessionExpireListener meters). */
enum {
	SM_ZK_OBS_REQUEST = 0,   /* a request's round trip took ms */
	SM_ZK_OBS_EXPIRED,       /* a session expired */
	SM_ZK_OBS_DISCONNECTED   /* a connected session lost its connection */
};
typedef void sm_zk_observer_fn(int what, int64_t ms);
/* One process-wide observer (NULL removes it); called from the requesting
 * thread or libzookeeper's completion thread, so it must be cheap and
 * thread-safe. */
void sm_zk_set_observer(sm_zk_observer_fn *fn);

/* Installs the single watcher callback (cb NULL removes it). */
void sm_zk_set_watcher(sm_zk_t *zk, sm_zk_watcher_cb_t *cb, void *opaque);

/* Current session state (SM_ZK_SESSION_*). */
int sm_zk_session_state(sm_zk_t *zk);
/* Session id of the current session (0 if none). */
int64_t sm_zk_session_id(sm_zk_t *zk);
/* The connect string without the chroot, and the chroot ("" if none). */
const char *sm_zk_hosts(const sm_zk_t *zk);
const char *sm_zk_chroot(const sm_zk_t *zk);

/* Opens a new session after expiry (re-creating the handle) and waits for it
 * like sm_zk_new(). Ephemeral nodes and watches of the old session are gone:
 * the caller re-registers them. */
sm_err_t sm_zk_reconnect(sm_zk_t *zk);

/* Reads a node. *datap receives malloc'd data, NUL-terminated (the NUL is not
 * counted in *lenp); an empty/null node gives "" and 0. datap, lenp and stat
 * may be NULL. */
sm_err_t sm_zk_get(sm_zk_t *zk, const char *path, int watch, char **datap,
		   size_t *lenp, sm_zk_stat_t *stat);
/* Children names, sorted (strcmp). *childrenp is a malloc'd array of malloc'd
 * strings; free with sm_zk_strings_free(). */
sm_err_t sm_zk_get_children(sm_zk_t *zk, const char *path, int watch,
			    char ***childrenp, int *countp);
void sm_zk_strings_free(char **strs, int count);
/* 0 if it exists, SM_ERR__NOENT if not (with watch, the watch is set in both
 * cases and fires on creation). stat may be NULL. */
sm_err_t sm_zk_exists(sm_zk_t *zk, const char *path, int watch,
		      sm_zk_stat_t *stat);
/* Creates a node; data NULL means null/empty data. mode: SM_ZK_* flags.
 * created_path (may be NULL) receives a malloc'd copy of the actual path
 * (with the sequence suffix for sequential nodes). */
sm_err_t sm_zk_create(sm_zk_t *zk, const char *path, const char *data,
		      size_t len, int mode, char **created_path);
/* Creates path and any missing parents (parents persistent and empty);
 * NODEEXISTS on parents is ignored, on path itself it is returned. */
sm_err_t sm_zk_create_recursive(sm_zk_t *zk, const char *path,
				const char *data, size_t len, int mode);
/* Conditional setData: version -1 means any. stat (may be NULL) receives the
 * new Stat. */
sm_err_t sm_zk_set(sm_zk_t *zk, const char *path, const char *data,
		   size_t len, int32_t version, sm_zk_stat_t *stat);
/* Deletes a node (version -1 = any). */
sm_err_t sm_zk_delete(sm_zk_t *zk, const char *path, int32_t version);
/* Deletes a node and everything below it; a missing node is success. */
sm_err_t sm_zk_delete_recursive(sm_zk_t *zk, const char *path);

/* ---- multi: an atomic batch of create/set/delete/check ---- */

typedef struct sm_zk_multi sm_zk_multi_t;

sm_zk_multi_t *sm_zk_multi_new(void);
void sm_zk_multi_destroy(sm_zk_multi_t *m);
/* Each adder copies its arguments. Returns the op's index. */
int sm_zk_multi_create(sm_zk_multi_t *m, const char *path, const char *data,
		       size_t len, int mode);
int sm_zk_multi_set(sm_zk_multi_t *m, const char *path, const char *data,
		    size_t len, int32_t version);
int sm_zk_multi_delete(sm_zk_multi_t *m, const char *path, int32_t version);
int sm_zk_multi_check(sm_zk_multi_t *m, const char *path, int32_t version);
int sm_zk_multi_count(const sm_zk_multi_t *m);

/* Runs the batch. On failure returns the error of the first failing op (as
 * the single-op wrappers would) and, if failed_op is not NULL, its index.
 * After sm_zk_multi_run, per-op results are available below. */
sm_err_t sm_zk_multi_run(sm_zk_t *zk, sm_zk_multi_t *m, int *failed_op);
/* Result of op i after a run: its error, the Stat of a set op, the path
 * created by a create op (owned by m; NULL if none). When the batch failed
 * nothing was applied, whatever the per-op results say: ops before the
 * failing one report 0, ops after it SM_ERR__ZK. */
sm_err_t sm_zk_multi_result(const sm_zk_multi_t *m, int i);

/* Pipelined requests (what Kafka's asynchronous ZooKeeper client does for
 * the controller): every request is sent without waiting for the previous
 * answer (a bounded number in flight), then all answers are awaited.
 * sm_zk_multi_run_many: errs[i] / failed_ops[i] (may be NULL) as
 * sm_zk_multi_run returns them for ms[i]. sm_zk_get_many: no watches;
 * datas[i] malloc'd and NUL-terminated (NULL on error), lens/stats may be
 * NULL. */
void sm_zk_multi_run_many(sm_zk_t *zk, sm_zk_multi_t *const *ms, int n, sm_err_t *errs,
			  int *failed_ops);
void sm_zk_get_many(sm_zk_t *zk, char *const *paths, int n, char **datas, size_t *lens,
		    sm_zk_stat_t *stats, sm_err_t *errs);
const sm_zk_stat_t *sm_zk_multi_stat(const sm_zk_multi_t *m, int i);
const char *sm_zk_multi_created_path(const sm_zk_multi_t *m, int i);

/* Parses "h1:p1,h2:p2/chroot" into malloc'd hosts ("h1:p1,h2:p2") and
 * chroot ("" or "/chroot" without a trailing '/'). -1 on a malformed string
 * (empty host list, chroot not starting with '/'). Exposed for tests. */
int sm_zk_parse_connect(const char *connect, char **hostsp, char **chrootp);

#endif /* SM_ZK_CLIENT_H */
