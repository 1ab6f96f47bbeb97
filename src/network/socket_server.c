/*
 * socket_server.c - the network layer: listeners, one acceptor thread and
 * num.network.threads processor threads (Kafka's SocketServer, Acceptor and
 * Processor), built on libevent.
 *
 * DESIGN
 *
 * Acceptor ("net-acceptor"): one event_base watching every listening socket.
 * Each accepted socket gets TCP_NODELAY and the configured buffer sizes and is
 * handed round-robin to a processor: pushed on the processor's locked
 * new-connection queue, then the processor's "wake" event is activated
 * (event_active is thread-safe once evthread_use_pthreads() ran).
 *
 * Processor ("net-proc-N"): one event_base. The read path takes one
 * complete frame, puts it on the request channel without blocking and mutes
 * the connection until the response has been fully written to the socket,
 * or the handler said "no response"; then it unmutes and reads on. That is
 * Kafka's one-request-at-a-time rule: pipelined requests wait in the kernel
 * (or, on TLS connections, in the input buffer). If the channel is full the
 * frame is parked on the connection and a short timer retries, so the loop
 * never blocks. A response whose request carries a throttle time (client
 * quotas, KIP-219) is written at once, but the connection stays muted until
 * that time has passed too (a per-connection timer).
 *
 * Plaintext connections (PLAINTEXT, SASL_PLAINTEXT) have no bufferevent:
 * their socket has one read and one write event, both edge-triggered,
 * registered when the connection opens and removed when it closes. Muting
 * only stops the reader from reading (an edge seen meanwhile is kept in
 * rd_ready), so a request costs no epoll_ctl. The reader takes the 4-byte
 * size prefix, then reads the body straight into the granted request's
 * buffer with readv calls as large as the rest of the frame, the second
 * iovec taking the next frame's size prefix and nothing more; a request that
 * arrived whole is read with one readv. Responses go on an output evbuffer
 * that references the handler's buffer (no copy) after a 4-byte prefix, and
 * are written at once from the delivery: one writev for prefix and body,
 * sendfile(2) for file fragments; the write event is only needed when the
 * socket is full. TLS connections keep a libevent OpenSSL bufferevent each,
 * for the handshake and writing; once its input buffer is empty the reader
 * calls SSL_read itself, straight into the request's buffer, with OpenSSL
 * reading ahead (one read(2) per record or fewer). Their responses are
 * staged into reused 64 KB chunks that SSL_write encrypts in full 16 KB
 * records (sm_ss_tls_stage), a few hundred KB ahead of the socket, with
 * TCP_CORK set while a response of several records is written so that they
 * leave in full segments.
 *
 * Run to completion: before queueing a complete request the processor
 * offers it to the channel's inline handler (sm_request_channel_try_inline),
 * which the broker sets to handle small acks=0/1 Produce requests on the
 * processor itself; the answer comes back through the sink like a handler
 * thread's, onto this processor's own queue, with no cross-thread wake-up.
 *
 * Responses and closes come from handler threads through the channel's sink
 * (sm_ss_sink_send/close): they go on the processor's locked response queue;
 * the first one queued since the processor last emptied it wakes the
 * processor (wake_pending), the others ride along, so a burst of responses
 * costs one wake-up. The processor looks the connection up by id; a
 * connection that has gone since is not an error, the response is dropped.
 * File fragments of a response are added as libevent file segments, sent
 * with sendfile(2); each segment holds a reference on the sm_fileref_t that
 * libevent drops through the segment's cleanup callback. On TLS they stay
 * in the response (which holds the references) and are read with pread as
 * they are staged.
 *
 * Request memory (queued.max.request.bytes, Kafka's MemoryPool): nothing
 * beyond a frame's 4-byte size prefix is read before the prefix has been
 * checked against socket.request.max.bytes and the broker-wide pool granted
 * that many bytes. A connection refused a grant is muted (mem_wait) until a
 * release wakes the processors ("memwake"). A grant allocates the request and
 * its body at once (untouched pages cost nothing) and body bytes go into it
 * as they arrive, so a frame is in memory once. The request holds the grant
 * and returns it to the pool when it is freed: once its response is queued,
 * or the connection is gone.
 *
 * Connection bounds (Kafka's ConnectionQuotas.inc, in its order): the
 * acceptor holds the socket it accepted on its listener ("pending") and
 * stops watching that listener while max.connections (or the listener's
 * limit) is reached, until a processor closing a connection wakes it; then
 * while the listener's or the broker's creation rate is exceeded, until a
 * timer fires. Further connections wait in the kernel's accept backlog
 * meanwhile, as with Kafka's blocked acceptor. Then the address's
 * connection_creation_rate quota (/config/ips): over it, the socket is closed
 * after the throttle time, unserved; then max.connections.per.ip(.overrides):
 * over it, the socket is closed at once.
 *
 * Shutdown: stop the acceptor, detach the sink (the channel waits for sink
 * calls in progress, so no handler touches us afterwards), stop and join the
 * processors, then free what is left on their queues and connections.
 *
 * Thread-safety: a processor's connections and event_base are touched only on
 * its thread (and by shutdown after the thread is joined); its two queues
 * under proc->lock. Counters are atomics. Lock order: channel inline lock ->
 * channel sink lock -> proc->lock (sink calls enqueue); a processor takes the
 * inline and sink locks only while handling a request inline, never with
 * its proc->lock held.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "connection_quotas.h"
#include "metrics.h"
#include "clock.h"
#include "logger.h"
#include "resp_stage.h"
#include "socket_server.h"
#include "thread_role.h"
#include "tls.h"
#include "sasl.h"
#include "err.h"
#include "msg_sasl_authenticate.h"
#include "msg_sasl_handshake.h"

#define SM_SS_LOGGER "kafka.network.SocketServer"
#define SM_SS_ACC_LOGGER "kafka.network.Acceptor"
#define SM_SS_PROC_LOGGER "kafka.network.Processor"
#define SM_SS_HASH_SIZE 256
#define SM_SS_RETRY_MS 5
/* Smallest request: api_key + api_version + correlation_id. */
#define SM_SS_MIN_FRAME 8
/* Slots of the listener and processor tables. They are fixed so that a
 * thread holding a slot's pointer never sees the table move; dynamic
 * `listeners` and num.network.threads changes stay within them. */
#define SM_SS_MAX_LISTENERS 64
#define SM_SS_MAX_PROCS 1024

/* TLS responses are staged into chunks that SSL_write encrypts (see
 * sm_ss_tls_stage): 64 KB is four full 16 KB TLS records, so the records
 * leave packed; a connection keeps about SM_SS_TLS_AHEAD bytes staged ahead
 * of the socket and stages more once its output falls below
 * SM_SS_TLS_LOWAT; a processor keeps SM_SS_TLS_KEEP idle chunks for reuse
 * (warm memory, no page faults), frees the others. */
#define SM_SS_TLS_CHUNK (64 * 1024)
#define SM_SS_TLS_AHEAD (256 * 1024)
#define SM_SS_TLS_LOWAT (128 * 1024)
#define SM_SS_TLS_KEEP 16

/* At most SM_SS_LOG_BURST lines a second of a kind that a flood could
 * repeat; the next line after a quiet spell says how many were dropped. */
#define SM_SS_LOG_BURST 10
typedef struct sm_ss_loglim {
	int64_t window_ms;
	int lines;
	unsigned long long suppressed;
	char note[64];  /* " (N similar messages suppressed)" or "" */
} sm_ss_loglim_t;

typedef struct sm_ss_proc sm_ss_proc_t;

typedef struct sm_ss_listener {
	sm_listener_cfg_t cfg;
	sm_socket_server_t *ss;
	int fd;
	int bound_port;
	struct event *ev;
	int exempt;             /* inter-broker: broker-wide limits do not apply */
	int open_conns;         /* atomic */
	/* Acceptor thread only: */
	sm_rate_limiter_t rate; /* listener.name.X.max.connection.creation.rate */
	int64_t new_rate;       /* atomic: a rate for the acceptor to adopt, or -1 */
	struct event *timer;    /* end of a creation-rate delay */
	int paused;             /* ev removed while a connection is held */
	int pend_fd;            /* the held connection, -1: none */
	char pend_peer[64];
	char pend_ip[64];
	int pend_rated;         /* its creation has been recorded */
	int pend_blocked;       /* it waits for a connection slot */
	int removed;            /* closed by a dynamic `listeners` change */
	struct sm_ss_listener *retired_next;
} sm_ss_listener_t;

/* A listener to close the connections of, on its way to a processor. */
typedef struct sm_ss_drop {
	sm_ss_listener_t *listener;
	struct sm_ss_drop *next;
} sm_ss_drop_t;

/* A change of the listener set, run by the acceptor thread (the only one
 * that touches a listener's accept state) while the caller waits. */
typedef struct sm_ss_cmd {
	sm_ss_listener_t *add;    /* bound, to be served */
	const char *remove;       /* name of a listener to close */
	sm_ss_listener_t *closed; /* out: the listener removed */
	int ok;                   /* out: done (0: the acceptor had stopped) */
	int done;
	struct sm_ss_cmd *next;
} sm_ss_cmd_t;

typedef struct sm_ss_newconn {
	int fd;
	sm_ss_listener_t *listener;
	char peer[64];
	char ip[64];
	struct sm_ss_newconn *next;
} sm_ss_newconn_t;

/* A handler's verdict on a request, on its way to the owning processor. */
typedef struct sm_ss_item {
	sm_request_t *req;
	sm_wbuf_t *resp;  /* NULL: no response */
	int close;
	struct sm_ss_item *next;
} sm_ss_item_t;

/* Kafka's SaslServerAuthenticator states; OFF once authenticated and on
 * listeners without SASL. */
enum {
	SM_SS_SASL_OFF = 0,
	SM_SS_SASL_VERSIONS,  /* ApiVersions or SaslHandshake expected */
	SM_SS_SASL_HANDSHAKE, /* ApiVersions answered: SaslHandshake expected */
	SM_SS_SASL_RAW,       /* handshake v0: raw size-prefixed tokens */
	SM_SS_SASL_AUTH,      /* handshake v1: SaslAuthenticate requests */
	SM_SS_SASL_FAILED     /* the failure answer is on its way */
};

/* A staged piece of a TLS response, referenced (not copied) by the
 * bufferevent's output; back on its processor's free list once sent. */
typedef struct sm_ss_chunk {
	sm_ss_proc_t *proc;
	struct sm_ss_chunk *next;
	size_t used;
	uint8_t data[SM_SS_TLS_CHUNK];
} sm_ss_chunk_t;

typedef struct sm_ss_conn sm_ss_conn_t;
struct sm_ss_conn {
	uint64_t id;
	sm_ss_proc_t *proc;
	struct bufferevent *bev;
	sm_ss_listener_t *listener;
	char peer[64];
	char ip[64];           /* per-address count key */
	int inflight;          /* muted: a request is out, or its response unsent */
	int writing;           /* response queued; unmute once output drains */
	/* the request phases of the response being written (metrics.h),
	 * recorded when its last byte is; ph_api -1 when none */
	int16_t ph_api;
	int64_t ph_ms[SM_METRICS_PH__COUNT];
	int64_t throttle_until; /* client quota (KIP-219): stay muted until
	                           then (monotonic ms), even once the response
	                           is sent; 0: not throttled */
	struct event *throttle_ev; /* fires at throttle_until */
	sm_request_t *blocked; /* read while the request queue was full */
	int32_t frame_size;    /* size prefix read and checked; -1: none yet */
	int mem_wait;          /* muted until the pool can grant frame_size */
	sm_request_t *partial; /* granted frame being read (holds the grant) */
	size_t got;            /* body bytes of it read so far */
	int tls;               /* an SSL listener's connection */
	int handshaken;        /* its TLS handshake completed */
	char principal[256];   /* "User:..." once authenticated */
	int sasl_state;        /* SM_SS_SASL_*: where its SASL exchange is */
	sm_sasl_server_t *sasl; /* the mechanism's session during it */
	int close_after_write; /* a failure answer is queued: close once sent */
	char close_why[256];
	int sasl_mech;         /* the mechanism it authenticated with */
	int reauth_capable;    /* it sent a SaslAuthenticate v1+ (KIP-368) */
	int reauth;            /* re-authenticating: the principal must not change */
	char *reauth_bad;      /* a re-authentication handshake named another
	                          mechanism: the next token fails with this */
	/* TLS connections: the response being staged (sm_ss_tls_stage), NULL
	 * once all of it is in the output, and where its staging is */
	sm_wbuf_t *tls_resp;
	sm_resp_cursor_t tls_cur;
	int corked;            /* TCP_CORK set for the response being written */
	struct event *tls_wwait; /* a read that must write first waits for room */
	int64_t session_expiry_ms; /* 0: none (connections.max.reauth.ms unset) */
	int64_t last_reauth_ms;
	int64_t last_active_ms;
	/* Plaintext connections (bev NULL): the socket itself, read and
	 * written without a bufferevent (see sm_ss_conn_read_raw). */
	int fd;
	struct event *rev, *wev; /* edge-triggered, added once, never toggled */
	struct evbuffer *out;  /* response bytes not yet written */
	int rd_ready;          /* the socket may hold unread bytes */
	uint8_t hdr[4];        /* the next frame's size prefix as read so far */
	int hdr_got;
	sm_ss_conn_t *hnext;
	sm_ss_conn_t *prev, *next;
};

struct sm_ss_proc {
	sm_socket_server_t *ss;
	int id;
	pthread_t thread;
	int started;
	struct event_base *base;
	struct event *wake;
	struct event *retry;
	struct event *idle;
	struct event *memwake;
	pthread_mutex_t lock;
	int stopping;                       /* under lock */
	sm_ss_drop_t *drops;                /* under lock */
	sm_ss_proc_t *retired_next;         /* retired by a num.network.threads cut */
	sm_ss_newconn_t *newq, **newq_tail; /* under lock */
	sm_ss_item_t *respq, **respq_tail;  /* under lock */
	int wake_pending;                   /* under lock: wake is activated and
	                                       its callback has not yet taken the
	                                       queues */
	sm_ss_conn_t *buckets[SM_SS_HASH_SIZE];
	sm_ss_conn_t *conns;
	int nblocked;
	int nmemwait;
	sm_ss_loglim_t ll_tls;              /* failed handshakes */
	sm_ss_chunk_t *chunks;              /* idle TLS staging chunks */
	int nchunks;
	int chunks_closed;                  /* cleaned up: returned chunks are freed */
};

/* A connection refused by its address's creation rate, closed later. */
typedef struct sm_ss_delayed {
	int fd;
	int64_t close_at_ms;
	struct sm_ss_delayed *next;
} sm_ss_delayed_t;

struct sm_socket_server {
	sm_socket_server_config_t cfg;
	/* Slots written by the acceptor thread (and before startup), read
	 * with atomic loads elsewhere; a NULL slot is free. A listener or
	 * processor is never freed before sm_socket_server_destroy, so a
	 * pointer read from a slot stays valid. */
	sm_ss_listener_t *listeners[SM_SS_MAX_LISTENERS];
	int nlisteners;            /* atomic: slots in use so far */
	sm_ss_listener_t *retired_listeners;
	char ibl[64];              /* the inter-broker listener's name */
	sm_request_channel_t *ch;
	sm_ss_proc_t **procs;      /* SM_SS_MAX_PROCS slots */
	int nprocs;                /* atomic: slots 0..nprocs-1 take connections */
	sm_ss_proc_t *retired_procs;
	pthread_mutex_t resize_lock; /* serialises listener and processor changes */
	pthread_mutex_t cmd_lock;  /* the acceptor's command queue (a leaf lock) */
	pthread_cond_t cmd_cond;
	sm_ss_cmd_t *cmds;         /* under cmd_lock */
	int acc_gone;              /* under cmd_lock: the acceptor loop has ended */
	struct event *acc_cmd;
	unsigned next_proc;        /* acceptor thread only */
	struct event_base *acc_base;
	struct event *acc_stop;
	pthread_t acc_thread;
	int acc_started;
	int acc_stopped;
	int started;
	int shut;
	pthread_mutex_t state_lock;
	char comp[96];
	uint64_t next_conn_id;     /* atomic */
	int open_conns;            /* atomic */
	sm_socket_server_stats_t stats; /* atomic fields */
	sm_mempool_t *pool;        /* queued.max.request.bytes */
	char *overrides;           /* max.connections.per.ip.overrides */
	sm_ip_quotas_t *ipq;       /* max.connections.per.ip(.overrides) */
	/* Acceptor thread only: */
	sm_rate_limiter_t broker_rate; /* max.connection.creation.rate */
	int64_t new_broker_rate;       /* atomic: a rate for the acceptor to adopt, or -1 */
	sm_ss_loglim_t ll_ip, ll_blocked, ll_rate, ll_iprate;
	/* connection_creation_rate per address: used by the acceptor, changed
	 * by the config manager (/config/ips); a leaf lock, taken once per
	 * accepted connection */
	pthread_mutex_t ip_rates_lock;
	sm_ip_rates_t *ip_rates;
	sm_ss_delayed_t *delayed;  /* sorted by close_at_ms */
	struct event *delay_timer;
	struct event *acc_wake;    /* a slot freed up: retry held connections */
	int acc_blocked;           /* atomic: a held connection waits for a slot */
};

#define SM_SS_COUNT(ss, field) __atomic_add_fetch(&(ss)->stats.field, 1, __ATOMIC_RELAXED)

static pthread_once_t sm_ss_once = PTHREAD_ONCE_INIT;

static void sm_ss_global_init(void)
{
	evthread_use_pthreads();
	/* Writes to a peer that went away must fail with EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
}

/* 1 when a line of this kind may be logged now (then ll->note is the
 * suffix to append). Owner thread only. */
static int sm_ss_loglim_ok(sm_ss_loglim_t *ll)
{
	int64_t now = sm_clock_mono_ms();

	if (now - ll->window_ms >= 1000) {
		ll->window_ms = now;
		ll->lines = 0;
	}
	if (ll->lines >= SM_SS_LOG_BURST) {
		ll->suppressed++;
		return 0;
	}
	ll->lines++;
	if (ll->suppressed)
		snprintf(ll->note, sizeof(ll->note), " (%llu similar messages suppressed)",
			 ll->suppressed);
	else
		ll->note[0] = '\0';
	ll->suppressed = 0;
	return 1;
}

/* ---- listeners config ---- */

static int sm_listeners_parse_one(char *e, sm_listener_cfg_t *l, char *err, size_t errlen)
{
	char *sep = strstr(e, "://");
	char *host, *port, *end;
	long pv;

	if (!sep || sep == e || (size_t)(sep - e) >= sizeof(l->name))
		goto bad;
	memset(l, 0, sizeof(*l));
	for (size_t i = 0; e + i < sep; i++) {
		unsigned char c = (unsigned char)e[i];
		if (!isalnum(c) && c != '_' && c != '-')
			goto bad;
		l->name[i] = (char)toupper(c);
	}
	host = sep + 3;
	if (*host == '[') {
		char *close = strchr(host, ']');
		if (!close || close[1] != ':')
			goto bad;
		host++;
		*close = '\0';
		port = close + 2;
	} else {
		char *colon = strrchr(host, ':');
		if (!colon)
			goto bad;
		*colon = '\0';
		port = colon + 1;
	}
	if (strlen(host) >= sizeof(l->host) ||
	    strspn(host, "0123456789abcdefghijklmnopqrstuvwxyz"
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZ-%._:") != strlen(host))
		goto bad;
	strcpy(l->host, host);
	errno = 0;
	pv = strtol(port, &end, 10);
	if (!*port || *end || errno || pv < 0 || pv > 65535) {
		snprintf(err, errlen, "Invalid port '%s' in listener %s", port, l->name);
		return -1;
	}
	l->port = (int)pv;
	return 0;
bad:
	snprintf(err, errlen, "Unable to parse %s to a broker endpoint", e);
	return -1;
}

static int sm_listeners_check_unique(const sm_listener_cfg_t *ls, int n, const char *spec,
				     char *err, size_t errlen)
{
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < i; j++) {
			if (!strcmp(ls[i].name, ls[j].name)) {
				snprintf(err, errlen, "Each listener must have a different "
					 "name, listeners: %s (%s appears twice)",
					 spec, ls[i].name);
				return -1;
			}
			if (ls[i].port && ls[i].port == ls[j].port) {
				snprintf(err, errlen, "Each listener must have a different "
					 "port, listeners: %s (port %d appears twice)",
					 spec, ls[i].port);
				return -1;
			}
		}
	}
	return 0;
}

int sm_listeners_parse(const char *spec, sm_listener_cfg_t **out, int *n,
		       char *err, size_t errlen)
{
	sm_listener_cfg_t *ls = NULL;
	int cnt = 0;
	char *copy, *save = NULL, *tok;

	*out = NULL;
	*n = 0;
	if (!spec)
		spec = "";
	copy = sm_strdup(spec);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*tok))
			tok++;
		char *e = tok + strlen(tok);
		while (e > tok && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (!*tok)
			continue;
		ls = sm_realloc(ls, sizeof(*ls) * (size_t)(cnt + 1));
		if (sm_listeners_parse_one(tok, &ls[cnt], err, errlen) < 0)
			goto fail;
		cnt++;
	}
	if (cnt == 0) {
		snprintf(err, errlen, "No listeners in '%s': expected NAME://host:port", spec);
		goto fail;
	}
	if (sm_listeners_check_unique(ls, cnt, spec, err, errlen) < 0)
		goto fail;
	free(copy);
	*out = ls;
	*n = cnt;
	return 0;
fail:
	free(copy);
	free(ls);
	return -1;
}

void sm_socket_server_config_defaults(sm_socket_server_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->broker_id = -1;
	cfg->num_network_threads = 3;
	cfg->socket_request_max_bytes = 104857600;
	cfg->socket_send_buffer_bytes = 102400;
	cfg->socket_receive_buffer_bytes = 102400;
	cfg->connections_max_idle_ms = 600000;
	cfg->socket_listen_backlog_size = 50;
	cfg->max_connections = 0;
	cfg->max_connections_per_ip = INT32_MAX;
	cfg->max_connection_creation_rate = INT32_MAX;
	cfg->queued_max_request_bytes = -1;
}

/* ---- connections (processor thread) ---- */

static void sm_ss_format_peer(const struct sockaddr_storage *sa, char *out, size_t outlen)
{
	char addr[INET6_ADDRSTRLEN] = "?";

	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
		snprintf(out, outlen, "%s:%u", addr, ntohs(s4->sin_port));
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], addr, sizeof(addr));
			snprintf(out, outlen, "%s:%u", addr, ntohs(s6->sin6_port));
		} else {
			inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
			snprintf(out, outlen, "[%s]:%u", addr, ntohs(s6->sin6_port));
		}
	} else {
		snprintf(out, outlen, "unknown");
	}
}

/* The address alone, in the form max.connections.per.ip.overrides entries
 * are resolved to (IPv4-mapped IPv6 as IPv4). */
static void sm_ss_format_ip(const struct sockaddr_storage *sa, char *out, size_t outlen)
{
	snprintf(out, outlen, "?");
	if (sa->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out,
			  (socklen_t)outlen);
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], out, (socklen_t)outlen);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, out, (socklen_t)outlen);
	}
}

static sm_ss_conn_t **sm_ss_bucket(sm_ss_proc_t *p, uint64_t id)
{
	return &p->buckets[(id * 0x9E3779B97F4A7C15ull) >> 56 & (SM_SS_HASH_SIZE - 1)];
}

static sm_ss_conn_t *sm_ss_conn_find(sm_ss_proc_t *p, uint64_t id)
{
	for (sm_ss_conn_t *c = *sm_ss_bucket(p, id); c; c = c->hnext)
		if (c->id == id)
			return c;
	return NULL;
}

/* A connection counted by the acceptor is gone: give back its address's and
 * listener's slots and wake the acceptor if it holds a connection for one.
 * Any thread. */
static void sm_ss_conn_gone(sm_socket_server_t *ss, sm_ss_listener_t *l, const char *ip)
{
	sm_ip_quotas_dec(ss->ipq, ip);
	__atomic_sub_fetch(&l->open_conns, 1, __ATOMIC_SEQ_CST);
	__atomic_sub_fetch(&ss->open_conns, 1, __ATOMIC_SEQ_CST);
	SM_SS_COUNT(ss, connections_closed);
	/* Pairs with the acceptor setting acc_blocked before it re-checks the
	 * counts (both seq_cst), so a wake-up cannot be lost. */
	if (__atomic_load_n(&ss->acc_blocked, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&ss->state_lock);
		if (ss->acc_wake && !ss->acc_stopped)
			event_active(ss->acc_wake, EV_READ, 0);
		pthread_mutex_unlock(&ss->state_lock);
	}
}

static void sm_ss_free_resp(sm_wbuf_t *resp);

static void sm_ss_conn_free(sm_ss_conn_t *c)
{
	sm_ss_proc_t *p = c->proc;
	sm_ss_conn_t **pp = sm_ss_bucket(p, c->id);

	while (*pp != c)
		pp = &(*pp)->hnext;
	*pp = c->hnext;
	if (c->prev)
		c->prev->next = c->next;
	else
		p->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->blocked) {
		sm_request_free(c->blocked);
		p->nblocked--;
	}
	if (c->mem_wait)
		p->nmemwait--;
	if (c->throttle_ev)
		event_free(c->throttle_ev);
	if (c->tls_wwait)
		event_free(c->tls_wwait);
	if (c->bev) {
		bufferevent_free(c->bev);
	} else {
		event_free(c->rev);
		event_free(c->wev);
		evbuffer_free(c->out);
		close(c->fd);
	}
	sm_request_free(c->partial);
	sm_ss_free_resp(c->tls_resp);
	sm_sasl_server_free(c->sasl);
	free(c->reauth_bad);
	sm_ss_conn_gone(p->ss, c->listener, c->ip);
	free(c);
}

static void sm_ss_conn_close(sm_ss_conn_t *c, const char *why)
{
	sm_log_debug(NULL, SM_SS_PROC_LOGGER,
		     "Closing connection %s (listener %s, connection id %llu): %s",
		     c->peer, c->listener->cfg.name, (unsigned long long)c->id, why);
	sm_ss_conn_free(c);
}

/* A protocol problem: the peer gets no answer, the operator a WARN line. */
static void sm_ss_conn_reject(sm_ss_conn_t *c, const char *why)
{
	sm_log_warn(NULL, SM_SS_PROC_LOGGER, "Closing connection from %s: %s", c->peer, why);
	sm_ss_conn_close(c, why);
}

static void sm_ss_arm_retry(sm_ss_proc_t *p)
{
	struct timeval tv = { 0, SM_SS_RETRY_MS * 1000 };

	if (!evtimer_pending(p->retry, NULL))
		evtimer_add(p->retry, &tv);
}

static void sm_ss_conn_submit(sm_ss_conn_t *c, sm_request_t *req)
{
	/* Run to completion: a request the server handles on this thread
	 * (a small Produce with acks 0 or 1) is answered through the sink
	 * like any other; the connection stays muted until then. */
	if (sm_request_channel_try_inline(c->proc->ss->ch, req)) {
		SM_SS_COUNT(c->proc->ss, requests_inline);
		return;
	}
	if (sm_request_channel_put(c->proc->ss->ch, req, 1) == 0)
		return;
	/* Queue full: keep the frame and stay muted; the retry timer puts it. */
	c->blocked = req;
	c->proc->nblocked++;
	SM_SS_COUNT(c->proc->ss, requests_parked);
	sm_ss_arm_retry(c->proc);
}

/* Muting. A TLS connection's bufferevent stops reading; a plaintext
 * connection keeps its edge-triggered read event registered (no epoll_ctl
 * per request): while muted its reader simply does not read, and an edge
 * that arrives meanwhile is remembered in rd_ready. */
static void sm_ss_read_off(sm_ss_conn_t *c)
{
	if (c->bev)
		bufferevent_disable(c->bev, EV_READ);
}

static void sm_ss_read_on(sm_ss_conn_t *c)
{
	if (c->bev)
		bufferevent_enable(c->bev, EV_READ);
}

/* The pool granted c's frame: allocate its body (pages are touched only as
 * bytes arrive), which is read straight into it. On TLS connections the
 * bufferevent's input buffer may hold up to a record more (it reads whole
 * records when the socket becomes readable) and OpenSSL its read-ahead
 * buffer; both are taken first by the next read (sm_ss_conn_read_bev), and
 * nothing is read while the connection is muted. */
static void sm_ss_conn_granted(sm_ss_conn_t *c)
{
	sm_socket_server_t *ss = c->proc->ss;
	sm_request_t *req = sm_calloc(1, sizeof(*req));

	req->data = sm_malloc((size_t)c->frame_size);
	/* The grant travels with the request and returns when it is freed. */
	req->pool = sm_mempool_ref(ss->pool);
	req->pool_bytes = c->frame_size;
	c->partial = req;
	c->got = 0;
}

/* Asks the pool for the frame announced by c's size prefix; mutes c until a
 * release when the pool is exhausted. Returns 1 when granted. */
static int sm_ss_conn_reserve(sm_ss_conn_t *c)
{
	if (sm_mempool_try_reserve(c->proc->ss->pool, c->frame_size)) {
		sm_ss_conn_granted(c);
		return 1;
	}
	c->mem_wait = 1;
	c->proc->nmemwait++;
	sm_ss_read_off(c);
	SM_SS_COUNT(c->proc->ss, memory_waits);
	sm_log_debug(NULL, SM_SS_PROC_LOGGER, "Muting connection %s: queued.max.request.bytes "
		     "%lld exhausted, its %d-byte request waits for memory", c->peer,
		     (long long)c->proc->ss->cfg.queued_max_request_bytes, (int)c->frame_size);
	return 0;
}

static int sm_ss_sasl_frame(sm_ss_conn_t *c, sm_request_t *req);
static int sm_ss_sasl_session_check(sm_ss_conn_t *c, sm_request_t *req);

/* Checks a size prefix before anything is allocated for its body; takes it
 * (frame_size) and asks the pool for it. Returns 1 when granted, 0 when c
 * waits for memory, -1 when c was closed (freed). */
static int sm_ss_conn_take_size(sm_ss_conn_t *c, int32_t size)
{
	sm_socket_server_t *ss = c->proc->ss;
	char why[128];

	if (size < 0 || size > ss->cfg.socket_request_max_bytes) {
		snprintf(why, sizeof(why), "request size %d exceeds "
			 "socket.request.max.bytes %d", size,
			 ss->cfg.socket_request_max_bytes);
		sm_ss_conn_reject(c, why);
		return -1;
	}
	if (c->sasl_state != SM_SS_SASL_OFF && size > SM_SASL_MAX_RECEIVE) {
		snprintf(why, sizeof(why), "Failing SASL authentication due to invalid "
			 "receive size: %d bytes before authentication (at most %d)", size,
			 SM_SASL_MAX_RECEIVE);
		sm_ss_conn_reject(c, why);
		return -1;
	}
	if (size < (c->sasl_state == SM_SS_SASL_RAW ? 1 : SM_SS_MIN_FRAME)) {
		snprintf(why, sizeof(why), "request size %d is smaller than a request "
			 "header (%d bytes)", size, SM_SS_MIN_FRAME);
		sm_ss_conn_reject(c, why);
		return -1;
	}
	c->frame_size = size;
	return sm_ss_conn_reserve(c);
}

/* c->partial is complete: mute c and hand the request on (to the SASL
 * exchange or the request channel). May free c. */
static void sm_ss_conn_frame_done(sm_ss_conn_t *c)
{
	sm_socket_server_t *ss = c->proc->ss;
	sm_request_t *req = c->partial;

	c->partial = NULL;
	c->got = 0;
	c->frame_size = -1;
	req->len = (size_t)req->pool_bytes;
	req->conn_id = c->id;
	req->processor = c->proc->id;
	snprintf(req->peer, sizeof(req->peer), "%s", c->peer);
	req->listener = c->listener->cfg.name;
	req->recv_time_ms = sm_clock_mono_ms();
	req->api_key = -1;
	/* File fragments stay file references on every listener: plaintext
	 * ones leave with sendfile, TLS ones are read into the processor's
	 * reused staging chunks as the socket takes them (sm_ss_tls_stage),
	 * so the handler never copies record bytes. */
	req->zero_copy_ok = 1;
	snprintf(req->principal, sizeof(req->principal), "%s", c->principal);
	SM_SS_COUNT(ss, requests_received);
	c->inflight = 1;
	sm_ss_read_off(c);
	if (c->sasl_state == SM_SS_SASL_OFF && c->session_expiry_ms &&
	    sm_ss_sasl_session_check(c, req))
		return;
	if (c->sasl_state != SM_SS_SASL_OFF && sm_ss_sasl_frame(c, req))
		return;
	sm_ss_conn_submit(c, req);
}

static void sm_ss_tls_wwait_cb(evutil_socket_t fd, short what, void *arg);

/* One SSL_read on a TLS connection straight into buf, past the
 * bufferevent's input buffer (see sm_ss_conn_read_bev). Returns the bytes
 * read (> 0); 0 when OpenSSL needs more from the socket (the bufferevent's
 * read event brings the reader back; after a WANT_WRITE, c->tls_wwait once
 * the socket takes bytes); -1 when c was closed (freed). */
static ssize_t sm_ss_tls_recv(sm_ss_conn_t *c, void *buf, size_t len)
{
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	char why[400];
	unsigned long e;
	int n, err;

	if (len > INT32_MAX)
		len = INT32_MAX;
	ERR_clear_error();
	errno = 0;
	n = SSL_read(ssl, buf, (int)len);
	if (n > 0)
		return n;
	err = SSL_get_error(ssl, n);
	if (err == SSL_ERROR_WANT_READ)
		return 0;
	if (err == SSL_ERROR_WANT_WRITE) {
		/* OpenSSL has a post-handshake message to send first and the
		 * socket is full */
		if (!c->tls_wwait)
			c->tls_wwait = event_new(c->proc->base, c->fd, EV_WRITE,
						 sm_ss_tls_wwait_cb, c);
		if (c->tls_wwait && event_add(c->tls_wwait, NULL) == 0)
			return 0;
		snprintf(why, sizeof(why), "cannot wait for the socket to take bytes");
		sm_ss_conn_close(c, why);
		return -1;
	}
	e = ERR_peek_error();
	if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && e == 0 && errno == 0) ||
	    (err == SSL_ERROR_SSL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
		/* close_notify, or a peer closing without it: no error */
		if (c->frame_size < 0 && c->hdr_got == 0)
			snprintf(why, sizeof(why), "peer closed the connection");
		else if (c->frame_size < 0)
			snprintf(why, sizeof(why), "peer closed the connection after %d bytes of "
				 "a request's size prefix", c->hdr_got);
		else
			snprintf(why, sizeof(why), "peer closed the connection after %zu of the "
				 "%d bytes of a request", c->got, (int)c->frame_size);
	} else if (err == SSL_ERROR_SYSCALL && e == 0) {
		snprintf(why, sizeof(why), "%s while reading", strerror(errno));
	} else {
		size_t l = (size_t)snprintf(why, sizeof(why), "TLS error while reading:");
		while ((e = ERR_get_error()) != 0 && l < sizeof(why) - 2) {
			why[l++] = ' ';
			ERR_error_string_n(e, why + l, sizeof(why) - l);
			l += strlen(why + l);
		}
	}
	ERR_clear_error();
	sm_ss_conn_close(c, why);
	return -1;
}

/* TLS connections: at most one complete frame, as on plaintext ones: the
 * 4-byte size prefix, then the body straight into the granted request.
 * Bytes the bufferevent already decrypted into its input buffer (it reads
 * when the socket becomes readable) come first; then SSL_read goes
 * straight into the request with reads as large as the rest of the frame,
 * until OpenSSL needs more from the socket. OpenSSL reads ahead (set once
 * the handshake is done), so a record's header and body, and often the
 * next records, come in one read(2); whatever it holds beyond this frame
 * is taken by the next call (after unmuting, a grant, or the next read
 * event), never left waiting for bytes that may not come. May free c. */
static void sm_ss_conn_read_bev(sm_ss_conn_t *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	ssize_t n;

	while (!c->inflight && !c->mem_wait) {
		uint8_t *to;
		size_t want;
		if (c->frame_size < 0 && c->hdr_got == 4) {
			c->hdr_got = 0;
			if (sm_ss_conn_take_size(c, (int32_t)sm_be32(c->hdr)) <= 0)
				return;
			continue;
		}
		if (c->frame_size < 0) {
			to = c->hdr + c->hdr_got;
			want = 4 - (size_t)c->hdr_got;
		} else if (c->got < (size_t)c->frame_size) {
			to = c->partial->data + c->got;
			want = (size_t)c->frame_size - c->got;
		} else {
			sm_ss_conn_frame_done(c); /* c may be gone; it is muted */
			return;
		}
		if (evbuffer_get_length(in) > 0)
			n = evbuffer_remove(in, to, want);
		else if (c->handshaken)
			n = sm_ss_tls_recv(c, to, want);
		else
			return;
		if (n <= 0)
			return;
		if (c->frame_size < 0)
			c->hdr_got += (int)n;
		else
			c->got += (size_t)n;
	}
}

/* One readv on a plaintext connection into a, then b (blen may be 0).
 * Returns the bytes read (> 0); 0 when the socket has nothing now
 * (rd_ready cleared: the next edge sets it); -1 when c was closed (freed):
 * end of stream, or an error. Only EAGAIN clears rd_ready, not a short
 * read: the peer's close or reset may have come with the last bytes, in the
 * same edge, and no other edge follows it. */
static ssize_t sm_ss_raw_recv(sm_ss_conn_t *c, void *a, size_t alen, void *b, size_t blen)
{
	struct iovec iov[2] = { { a, alen }, { b, blen } };
	char why[200];
	ssize_t n;

	do
		n = readv(c->fd, iov, blen ? 2 : 1);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		return n;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		c->rd_ready = 0;
		return 0;
	}
	if (n == 0 && c->frame_size < 0 && c->hdr_got == 0)
		snprintf(why, sizeof(why), "peer closed the connection");
	else if (n == 0 && c->frame_size < 0)
		snprintf(why, sizeof(why), "peer closed the connection after %d bytes of "
			 "a request's size prefix", c->hdr_got);
	else if (n == 0)
		snprintf(why, sizeof(why), "peer closed the connection after %zu of the "
			 "%d bytes of a request", c->got, (int)c->frame_size);
	else
		snprintf(why, sizeof(why), "%s while reading", strerror(errno));
	sm_ss_conn_close(c, why);
	return -1;
}

/* Plaintext connections: the 4-byte size prefix, then the body straight
 * into the granted request's buffer with as large a read as the socket
 * holds. The body's read also takes the next frame's size prefix (iov[1])
 * but nothing beyond it, so a frame the pool has not granted is never
 * buffered: pipelined requests wait in the kernel as they do in Kafka.
 * At most one complete frame is taken, then c is muted. May free c. */
static void sm_ss_conn_read_raw(sm_ss_conn_t *c)
{
	ssize_t n;

	while (!c->inflight && !c->mem_wait) {
		if (c->frame_size < 0) {
			if (c->hdr_got < 4) {
				if (!c->rd_ready)
					return;
				n = sm_ss_raw_recv(c, c->hdr + c->hdr_got,
						   4 - (size_t)c->hdr_got, NULL, 0);
				if (n <= 0)
					return;
				c->hdr_got += (int)n;
				continue;
			}
			c->hdr_got = 0;
			if (sm_ss_conn_take_size(c, (int32_t)sm_be32(c->hdr)) <= 0)
				return;
		}
		if (c->got < (size_t)c->frame_size) {
			size_t want = (size_t)c->frame_size - c->got;
			if (!c->rd_ready)
				return;
			n = sm_ss_raw_recv(c, c->partial->data + c->got, want, c->hdr, 4);
			if (n <= 0)
				return;
			if ((size_t)n > want) {
				c->hdr_got = (int)((size_t)n - want);
				n = (ssize_t)want;
			}
			c->got += (size_t)n;
			if (c->got < (size_t)c->frame_size)
				continue;
		}
		/* c may be gone afterwards; it is muted in any case. */
		sm_ss_conn_frame_done(c);
		return;
	}
}

/* Takes at most one complete frame. May free c. */
static void sm_ss_conn_read(sm_ss_conn_t *c)
{
	if (c->bev)
		sm_ss_conn_read_bev(c);
	else
		sm_ss_conn_read_raw(c);
}

static void sm_ss_throttle_cb(evutil_socket_t fd, short what, void *arg);

/* The response being written is all out: its send time ends now. */
static void sm_ss_phases_done(sm_ss_conn_t *c)
{
	if (c->ph_api < 0)
		return;
	c->ph_ms[SM_METRICS_PH_RESPONSE_SEND] = sm_clock_mono_ms() - c->ph_ms[SM_METRICS_PH_RESPONSE_SEND];
	sm_metrics_request_phases(c->ph_api, c->ph_ms);
	c->ph_api = -1;
}

static void sm_ss_conn_unmute(sm_ss_conn_t *c)
{
	/* A throttled client's response went out at once; its next request is
	 * not read before the throttle time ends (Kafka's channel muting for
	 * quotas). */
	int64_t left = c->throttle_until ? c->throttle_until - sm_clock_mono_ms() : 0;
	if (left > 0) {
		struct timeval tv = { (time_t)(left / 1000), (suseconds_t)(left % 1000) * 1000 };
		if (!c->throttle_ev)
			c->throttle_ev = evtimer_new(c->proc->base, sm_ss_throttle_cb, c);
		c->writing = 0;
		evtimer_add(c->throttle_ev, &tv);
		return;
	}
	c->throttle_until = 0;
	c->inflight = 0;
	c->writing = 0;
	sm_ss_read_on(c);
	sm_ss_conn_read(c);
}

static void sm_ss_throttle_cb(evutil_socket_t fd, short what, void *arg)
{
	sm_ss_conn_t *c = arg;

	(void)fd;
	(void)what;
	c->throttle_until = 0;
	sm_ss_conn_unmute(c);
}

static void sm_ss_tls_wwait_cb(evutil_socket_t fd, short what, void *arg)
{
	sm_ss_conn_t *c = arg;

	(void)fd;
	(void)what;
	sm_ss_conn_read(c);
}

static void sm_ss_read_cb(struct bufferevent *bev, void *arg)
{
	sm_ss_conn_t *c = arg;

	(void)bev;
	c->last_active_ms = sm_clock_mono_ms();
	sm_ss_conn_read(c);
}

static int sm_ss_tls_stage(sm_ss_conn_t *c, size_t ahead, char *why, size_t whylen);

/* Also called (deferred) each time the output falls to SM_SS_TLS_LOWAT or
 * below: the rest of a large response is staged then. */
static void sm_ss_write_cb(struct bufferevent *bev, void *arg)
{
	sm_ss_conn_t *c = arg;
	char why[200];

	c->last_active_ms = sm_clock_mono_ms();
	if (c->tls_resp && sm_ss_tls_stage(c, SM_SS_TLS_AHEAD, why, sizeof(why)) < 0) {
		sm_log_warn(NULL, SM_SS_PROC_LOGGER, "Closing connection from %s: %s",
			    c->peer, why);
		sm_ss_conn_close(c, why);
		return;
	}
	if (c->writing && !c->tls_resp && evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		if (c->corked) { /* the response's last record leaves now */
			int off = 0;
			setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &off, sizeof(off));
			c->corked = 0;
		}
		sm_ss_phases_done(c);
		if (c->close_after_write)
			sm_ss_conn_close(c, c->close_why);
		else
			sm_ss_conn_unmute(c);
	}
}

/* Plaintext connections: writes what c->out holds (memory with writev,
 * file segments with sendfile, both inside evbuffer_write) until it is
 * empty or the socket is full; the edge-triggered write event calls again
 * once there is room. A response fully written unmutes c. Returns -1 when
 * c was closed (freed). */
static int sm_ss_raw_flush(sm_ss_conn_t *c)
{
	char why[200];

	while (evbuffer_get_length(c->out) > 0) {
		int n;
		errno = 0;
		n = evbuffer_write(c->out, c->fd);
		if (n > 0) {
			c->last_active_ms = sm_clock_mono_ms();
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* evbuffer_write returns 0 when sendfile would block */
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (n == 0)
			snprintf(why, sizeof(why), "a file fragment of a response ended early");
		else
			snprintf(why, sizeof(why), "%s while writing", strerror(errno));
		sm_ss_conn_close(c, why);
		return -1;
	}
	if (c->writing) {
		sm_ss_phases_done(c);
		if (c->close_after_write) {
			sm_ss_conn_close(c, c->close_why);
			return -1;
		}
		sm_ss_conn_unmute(c);
	}
	return 0;
}

static void sm_ss_raw_read_cb(evutil_socket_t fd, short what, void *arg)
{
	sm_ss_conn_t *c = arg;

	(void)fd;
	(void)what;
	c->rd_ready = 1;
	c->last_active_ms = sm_clock_mono_ms();
	sm_ss_conn_read_raw(c);
}

static void sm_ss_raw_write_cb(evutil_socket_t fd, short what, void *arg)
{
	sm_ss_conn_t *c = arg;

	(void)fd;
	(void)what;
	/* Also reached with nothing to write: epoll reports the write edge
	 * with read edges, and once when the event is added. */
	if (evbuffer_get_length(c->out) > 0 || c->writing)
		sm_ss_raw_flush(c);
}

/* The TLS handshake completed: the principal of the client certificate
 * (for the authorizer) or ANONYMOUS. Returns -1 (c freed) when the
 * principal mapping rules reject the subject. */
static int sm_ss_tls_connected(sm_ss_conn_t *c)
{
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	char p[256];

	c->handshaken = 1;
	if (sm_tls_peer_principal(ssl, c->listener->cfg.principal_rules, p, sizeof(p)) < 0) {
		char why[400];
		snprintf(why, sizeof(why), "no ssl.principal.mapping.rules rule matches the "
			 "certificate subject %s", p);
		sm_ss_conn_reject(c, why);
		return -1;
	}
	snprintf(c->principal, sizeof(c->principal), "%s", p);
	sm_log_debug(NULL, SM_SS_PROC_LOGGER, "SSL handshake with %s on listener %s completed "
		     "(%s, %s), principal %s (connection id %llu)", c->peer,
		     c->listener->cfg.name, SSL_get_version(ssl), SSL_get_cipher_name(ssl),
		     c->principal, (unsigned long long)c->id);
	return 0;
}

/* OpenSSL's reasons for the failure of c, for the log line. */
static void sm_ss_tls_reason(sm_ss_conn_t *c, char *out, size_t outlen)
{
	unsigned long e;
	size_t len = 0;

	out[0] = '\0';
	while ((e = bufferevent_get_openssl_error(c->bev)) != 0 && len < outlen) {
		char one[200];
		if (ERR_GET_LIB(e) == 0) /* libevent's own marker, no OpenSSL reason */
			continue;
		ERR_error_string_n(e, one, sizeof(one));
		len += (size_t)snprintf(out + len, outlen - len, "%s%s", len ? "; " : "", one);
	}
	if (!out[0])
		snprintf(out, outlen, "connection closed during the handshake");
}

static void sm_ss_event_cb(struct bufferevent *bev, short what, void *arg)
{
	sm_ss_conn_t *c = arg;
	char why[512];

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		if (c->tls && !c->handshaken && sm_ss_tls_connected(c) == 0) {
			/* Read ahead from now on (not during the handshake,
			 * where a client's first request could be read with
			 * its Finished message while no read event follows):
			 * the reader takes what OpenSSL holds. */
			SSL_set_read_ahead(bufferevent_openssl_get_ssl(c->bev), 1);
			sm_ss_conn_read(c);
		}
		return;
	}
	if (c->tls && !c->handshaken && (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))) {
		/* Kafka's Selector line for a failed handshake; a flood of
		 * them (garbage on the port) is rate-limited. */
		char reason[400];
		sm_ss_tls_reason(c, reason, sizeof(reason));
		if (sm_ss_loglim_ok(&c->proc->ll_tls))
			sm_log_info(NULL, SM_SS_PROC_LOGGER, "Failed authentication with %s "
				    "(SSL handshake failed) on listener %s: %s%s", c->peer,
				    c->listener->cfg.name, reason, c->proc->ll_tls.note);
		snprintf(why, sizeof(why), "SSL handshake failed: %s", reason);
		sm_ss_conn_close(c, why);
		return;
	}
	if (what & BEV_EVENT_EOF)
		snprintf(why, sizeof(why), "peer closed the connection");
	else if (what & BEV_EVENT_ERROR && c->tls) {
		char reason[400];
		sm_ss_tls_reason(c, reason, sizeof(reason));
		snprintf(why, sizeof(why), "%s while %s (%s)", strerror(errno),
			 (what & BEV_EVENT_READING) ? "reading" : "writing", reason);
	} else if (what & BEV_EVENT_ERROR)
		snprintf(why, sizeof(why), "%s while %s", strerror(errno),
			 (what & BEV_EVENT_READING) ? "reading" : "writing");
	else
		return;
	sm_ss_conn_close(c, why);
}

static void sm_ss_conn_open(sm_ss_proc_t *p, sm_ss_newconn_t *nc)
{
	sm_ss_conn_t *c;
	struct bufferevent *bev = NULL;
	struct event *rev = NULL, *wev = NULL;
	struct evbuffer *out = NULL;
	sm_ss_conn_t **b;

	/* the context may be replaced at run time (a keystore reload); the old
	 * one stays valid, and SSL_new takes its own reference */
	SSL_CTX *ssl_ctx = __atomic_load_n(&nc->listener->cfg.ssl_ctx, __ATOMIC_ACQUIRE);
	if (ssl_ctx) {
		SSL *ssl = SSL_new(ssl_ctx);
		bev = ssl ? bufferevent_openssl_socket_new(p->base, nc->fd, ssl,
							 BUFFEREVENT_SSL_ACCEPTING,
							 BEV_OPT_CLOSE_ON_FREE) : NULL;
		if (!bev && ssl)
			SSL_free(ssl);
		if (bev) { /* a peer closing without close_notify is no error */
			bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
			/* the write callback stages more of a response
			 * before the output runs dry */
			bufferevent_setwatermark(bev, EV_WRITE, SM_SS_TLS_LOWAT, 0);
		}
	} else {
		/* Plaintext: no bufferevent. Both events are edge-triggered
		 * and stay registered for the connection's life, so muting
		 * costs no epoll_ctl (see sm_ss_conn_read_raw). */
		out = evbuffer_new();
		rev = event_new(p->base, nc->fd, EV_READ | EV_PERSIST | EV_ET, NULL, NULL);
		wev = event_new(p->base, nc->fd, EV_WRITE | EV_PERSIST | EV_ET, NULL, NULL);
	}
	if (ssl_ctx ? !bev : (!out || !rev || !wev)) {
		sm_log_warn(NULL, SM_SS_PROC_LOGGER, "Closing connection from %s: "
			    "cannot set up its buffers", nc->peer);
		if (out)
			evbuffer_free(out);
		if (rev)
			event_free(rev);
		if (wev)
			event_free(wev);
		close(nc->fd);
		sm_ss_conn_gone(p->ss, nc->listener, nc->ip);
		return;
	}
	c = sm_calloc(1, sizeof(*c));
	c->ph_api = -1;
	c->id = __atomic_add_fetch(&p->ss->next_conn_id, 1, __ATOMIC_RELAXED);
	c->proc = p;
	c->bev = bev;
	c->fd = nc->fd;
	c->rev = rev;
	c->wev = wev;
	c->out = out;
	c->listener = nc->listener;
	c->tls = ssl_ctx != NULL;
	snprintf(c->principal, sizeof(c->principal), "User:ANONYMOUS");
	if (nc->listener->cfg.sasl)
		c->sasl_state = SM_SS_SASL_VERSIONS;
	memcpy(c->peer, nc->peer, sizeof(c->peer));
	memcpy(c->ip, nc->ip, sizeof(c->ip));
	c->frame_size = -1;
	c->last_active_ms = sm_clock_mono_ms();
	b = sm_ss_bucket(p, c->id);
	c->hnext = *b;
	*b = c;
	c->next = p->conns;
	if (p->conns)
		p->conns->prev = c;
	p->conns = c;
	if (bev) {
		bufferevent_setcb(bev, sm_ss_read_cb, sm_ss_write_cb, sm_ss_event_cb, c);
		bufferevent_enable(bev, EV_READ | EV_WRITE);
	} else {
		event_assign(rev, p->base, c->fd, EV_READ | EV_PERSIST | EV_ET,
			     sm_ss_raw_read_cb, c);
		event_assign(wev, p->base, c->fd, EV_WRITE | EV_PERSIST | EV_ET,
			     sm_ss_raw_write_cb, c);
		event_add(rev, NULL);
		event_add(wev, NULL);
	}
	sm_log_debug(NULL, SM_SS_PROC_LOGGER, "Processor %d listening to new connection "
		     "from %s on %s (connection id %llu)", p->id, c->peer,
		     c->listener->cfg.name, (unsigned long long)c->id);
}

/* ---- responses (processor thread) ---- */

static void sm_ss_seg_cleanup(struct evbuffer_file_segment const *seg, int flags, void *arg)
{
	(void)seg;
	(void)flags;
	sm_fileref_release(arg);
}

static int sm_ss_add_file(struct evbuffer *out, const sm_wfrag_t *f)
{
	struct evbuffer_file_segment *seg;
	uint8_t *tmp;
	size_t done = 0;

	if (f->len == 0)
		return 0;
	seg = evbuffer_file_segment_new(f->file->fd, f->offset, (ev_off_t)f->len, 0);
	if (seg) {
		int rc;
		evbuffer_file_segment_add_cleanup_cb(seg, sm_ss_seg_cleanup,
						     sm_fileref_keep(f->file));
		rc = evbuffer_add_file_segment(out, seg, 0, (ev_off_t)f->len);
		evbuffer_file_segment_free(seg); /* the buffer keeps its own ref */
		return rc;
	}
	/* No segment support for this fd: copy the bytes instead. */
	tmp = sm_malloc(f->len);
	while (done < f->len) {
		ssize_t r = pread(f->file->fd, tmp + done, f->len - done,
				  f->offset + (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(tmp);
			return -1;
		}
		done += (size_t)r;
	}
	evbuffer_add(out, tmp, f->len);
	free(tmp);
	return 0;
}

static void sm_ss_free_resp(sm_wbuf_t *resp)
{
	if (!resp)
		return;
	sm_wbuf_free(resp);
	free(resp);
}

/* A response whose memory parts the output buffer references instead of
 * copying; freed when the buffer lets go of the last part (processor
 * thread: the buffer is drained and freed only there). */
typedef struct sm_ss_outref {
	sm_wbuf_t *w;
	int refs;
} sm_ss_outref_t;

static void sm_ss_outref_cleanup(const void *data, size_t len, void *arg)
{
	sm_ss_outref_t *r = arg;

	(void)data;
	(void)len;
	if (--r->refs == 0) {
		sm_ss_free_resp(r->w);
		free(r);
	}
}

static int sm_ss_add_ref(struct evbuffer *out, sm_ss_outref_t *r, size_t from, size_t to)
{
	if (to <= from)
		return 0;
	r->refs++;
	if (evbuffer_add_reference(out, r->w->p + from, to - from, sm_ss_outref_cleanup, r) < 0) {
		r->refs--;
		return -1;
	}
	return 0;
}

/* ---- TLS response staging (processor thread) ----
 *
 * SSL_write needs the plaintext in memory. A TLS response is copied, in
 * order (size prefix, memory parts, file fragments read with pread: the
 * cursor of resp_stage.h), into 64 KB chunks that the output references:
 * SSL_write then cuts each chunk into full 16 KB records
 * (bufferevent_openssl writes at most 16 KB per SSL_write, one record).
 * Only about SM_SS_TLS_AHEAD bytes of a response are staged ahead of the
 * socket, the rest as the output drains, so a large fetch response costs
 * the connection no more memory than that and its bytes are encrypted
 * while still in cache. The chunks come from a
 * per-processor free list: reused memory, no malloc, no page faults on
 * fresh pages. pread also means a log segment truncated meanwhile only
 * shortens the read (the connection is closed), where a mapping would
 * fault. */

static sm_ss_chunk_t *sm_ss_chunk_get(sm_ss_proc_t *p)
{
	sm_ss_chunk_t *ch = p->chunks;

	if (ch) {
		p->chunks = ch->next;
		p->nchunks--;
	} else {
		ch = sm_malloc(sizeof(*ch));
		ch->proc = p;
	}
	ch->next = NULL;
	ch->used = 0;
	return ch;
}

/* Runs on the processor thread (its output buffers are drained and freed
 * only there), or at shutdown once the thread has stopped. */
static void sm_ss_chunk_put(sm_ss_chunk_t *ch)
{
	sm_ss_proc_t *p = ch->proc;

	if (p->chunks_closed || p->nchunks >= SM_SS_TLS_KEEP) {
		free(ch);
		return;
	}
	ch->next = p->chunks;
	p->chunks = ch;
	p->nchunks++;
}

static void sm_ss_chunk_cleanup(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	sm_ss_chunk_put(arg);
}

/* Stages c's response until its output holds at least ahead bytes or all
 * of the response is in it (then frees the response and clears
 * c->tls_resp). Returns -1 on a failed read (why says which; the response
 * is freed; the caller closes c). */
static int sm_ss_tls_stage(sm_ss_conn_t *c, size_t ahead, char *why, size_t whylen)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	while (c->tls_resp && evbuffer_get_length(out) < ahead) {
		sm_ss_chunk_t *ch = sm_ss_chunk_get(c->proc);
		int done = sm_resp_cursor_fill(&c->tls_cur, ch->data, SM_SS_TLS_CHUNK, &ch->used,
					       why, whylen);
		if (done >= 0 && ch->used > 0) {
			if (evbuffer_add_reference(out, ch->data, ch->used,
						   sm_ss_chunk_cleanup, ch) < 0) {
				snprintf(why, whylen, "no memory to queue a response");
				sm_ss_chunk_put(ch);
				done = -1;
			}
		} else {
			sm_ss_chunk_put(ch);
		}
		if (done != 0) {
			sm_ss_free_resp(c->tls_resp);
			c->tls_resp = NULL;
		}
		if (done < 0)
			return -1;
	}
	return 0;
}

/* Queues "int32 size" + resp (memory parts and file fragments in order) on
 * c's output, taking resp (a heap sm_wbuf_t, freed in every case). The
 * memory parts are referenced, not copied, so the size prefix and the body
 * leave in one writev; file fragments go with sendfile (plaintext). TLS
 * connections stage the response instead (sm_ss_tls_stage). */
static int sm_ss_write_response(sm_ss_conn_t *c, sm_wbuf_t *resp)
{
	struct evbuffer *out = c->bev ? bufferevent_get_output(c->bev) : c->out;
	size_t total = sm_wbuf_size(resp), pos = 0;
	sm_ss_outref_t *r;
	uint8_t hdr[4];
	int rc = 0;

	if (total > INT32_MAX) {
		sm_ss_free_resp(resp);
		return -1;
	}
	if (c->bev) {
		char why[200];
		/* One response at a time: one still being staged goes out
		 * whole first, so the order holds. */
		if (c->tls_resp && sm_ss_tls_stage(c, SIZE_MAX, why, sizeof(why)) < 0) {
			sm_log_warn(NULL, SM_SS_PROC_LOGGER, "Connection from %s: %s",
				    c->peer, why);
			sm_ss_free_resp(resp);
			return -1;
		}
		/* bufferevent_openssl hands the kernel one 16 KB record per
		 * write(2); with TCP_NODELAY each would leave as a segment of
		 * its own. Corked, a response of several records leaves in
		 * full segments, and the last partial one when the write
		 * callback finds the output empty and uncorks. */
		if (total > 16 * 1024 && !c->corked) {
			int on = 1;
			if (setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) == 0)
				c->corked = 1;
		}
		c->tls_resp = resp;
		sm_resp_cursor_init(&c->tls_cur, resp);
		if (sm_ss_tls_stage(c, SM_SS_TLS_AHEAD, why, sizeof(why)) < 0) {
			sm_log_warn(NULL, SM_SS_PROC_LOGGER, "Connection from %s: %s",
				    c->peer, why);
			return -1;
		}
		return 0;
	}
	r = sm_calloc(1, sizeof(*r));
	r->w = resp;
	r->refs = 1; /* ours, until everything is queued */
	sm_put_be32(hdr, (uint32_t)total);
	evbuffer_add(out, hdr, 4);
	for (int i = 0; i < resp->nfrags && rc == 0; i++) {
		const sm_wfrag_t *f = &resp->frags[i];
		if (f->at > pos) {
			rc = sm_ss_add_ref(out, r, pos, f->at);
			pos = f->at;
		}
		if (rc == 0)
			rc = sm_ss_add_file(out, f);
	}
	if (rc == 0)
		rc = sm_ss_add_ref(out, r, pos, resp->len);
	sm_ss_outref_cleanup(NULL, 0, r);
	return rc;
}

static void sm_ss_deliver(sm_ss_proc_t *p, sm_ss_item_t *it)
{
	sm_ss_conn_t *c = sm_ss_conn_find(p, it->req->conn_id);

	if (c && it->req->throttle_ms > 0 && !it->close)
		c->throttle_until = sm_clock_mono_ms() + it->req->throttle_ms;
	if (c && !it->close && it->req->api_key >= 0) {
		/* Response queue time ends here; the send time starts (and
		 * ends at once when there is nothing to send). */
		int64_t now = sm_clock_mono_ms();
		c->ph_api = it->req->api_key;
		c->ph_ms[SM_METRICS_PH_REQUEST_QUEUE] = it->req->taken_ms - it->req->recv_time_ms;
		c->ph_ms[SM_METRICS_PH_LOCAL] = it->req->local_ms;
		c->ph_ms[SM_METRICS_PH_REMOTE] = it->req->remote_ms;
		c->ph_ms[SM_METRICS_PH_RESPONSE_QUEUE] = now - it->req->resp_queued_ms;
		c->ph_ms[SM_METRICS_PH_RESPONSE_SEND] = now;
		if (!it->resp)
			sm_ss_phases_done(c);
	}
	/* The request's grant goes back before its response is written (at
	 * once, below): a client that has its answer finds the memory free. */
	sm_request_free(it->req);
	it->req = NULL;
	if (!c) {
		/* The peer left while the request was being handled. */
	} else if (it->close) {
		sm_ss_conn_close(c, "closed by the request handler");
	} else if (!it->resp) {
		sm_ss_conn_unmute(c);
	} else {
		size_t size = sm_wbuf_size(it->resp);
		sm_wbuf_t *resp = it->resp;
		it->resp = NULL; /* the output buffer owns it now */
		if (sm_ss_write_response(c, resp) < 0) {
			sm_log_warn(NULL, SM_SS_PROC_LOGGER, "Closing connection from %s: "
				    "failed to queue a %zu-byte response", c->peer, size);
			sm_ss_conn_close(c, "response could not be queued");
		} else {
			SM_SS_COUNT(p->ss, responses_sent);
			c->writing = 1;
			/* Written at once: usually the socket takes it all and
			 * no write event is needed (may free c). */
			if (!c->bev)
				sm_ss_raw_flush(c);
		}
	}
	sm_ss_free_resp(it->resp);
	free(it);
}

/* ---- SASL authentication (processor thread) ---- */

#define SM_SS_SASL_LOGGER "org.apache.kafka.common.network.Selector"

/* Queues an answer written by the processor itself (w: heap, taken); c
 * stays muted until it is sent, then unmutes (or closes, after a failure).
 * A plaintext connection writes it from its write callback, made active
 * here, so c is still there when this returns. */
static void sm_ss_sasl_send(sm_ss_conn_t *c, sm_wbuf_t *w)
{
	if (sm_ss_write_response(c, w) < 0) {
		sm_ss_conn_close(c, "SASL response could not be queued");
		return;
	}
	SM_SS_COUNT(c->proc->ss, responses_sent);
	c->writing = 1;
	if (!c->bev)
		event_active(c->wev, EV_WRITE, 1);
}

/* The exchange failed: Kafka's INFO line, then the answer (if any) and the
 * close. */
static void sm_ss_sasl_failed(sm_ss_conn_t *c, sm_wbuf_t *answer, const char *why)
{
	if (sm_ss_loglim_ok(&c->proc->ll_tls))
		sm_log_info(NULL, SM_SS_SASL_LOGGER, "[SocketServer listenerType=ZK_BROKER, "
			    "nodeId=%d] Failed authentication with %s on listener %s (%s)%s",
			    c->proc->ss->cfg.broker_id, c->peer, c->listener->cfg.name, why,
			    c->proc->ll_tls.note);
	c->sasl_state = SM_SS_SASL_FAILED;
	sm_sasl_server_free(c->sasl);
	c->sasl = NULL;
	if (!answer) {
		sm_ss_conn_close(c, why);
		return;
	}
	c->close_after_write = 1;
	snprintf(c->close_why, sizeof(c->close_why), "SASL authentication failed: %s", why);
	sm_ss_sasl_send(c, answer);
}

static void sm_ss_sasl_authenticated(sm_ss_conn_t *c)
{
	const char *user = sm_sasl_server_user(c->sasl);
	int64_t reauth = c->listener->cfg.sasl->reauth_ms;
	snprintf(c->principal, sizeof(c->principal), "User:%s", user);
	/* KIP-368: the session ends after connections.max.reauth.ms; a
	 * request after that closes the connection unless it re-authenticates */
	c->session_expiry_ms = reauth > 0 ? sm_clock_mono_ms() + reauth : 0;
	c->reauth = 0;
	sm_log_debug(NULL, SM_SS_SASL_LOGGER, "Successfully authenticated with %s on listener "
		     "%s as %s (connection id %llu)", c->peer, c->listener->cfg.name,
		     c->principal, (unsigned long long)c->id);
	c->sasl_state = SM_SS_SASL_OFF;
	sm_sasl_server_free(c->sasl);
	c->sasl = NULL;
}

/* One token of the exchange. hdr NULL: a raw token (handshake v0), answered
 * with a raw size-prefixed token; else a SaslAuthenticate request. */
static void sm_ss_sasl_token(sm_ss_conn_t *c, const sm_req_header_t *hdr,
			     const uint8_t *tok, size_t len)
{
	uint8_t *out = NULL;
	size_t outlen = 0;
	char msg[256], why[256];
	sm_wbuf_t *w = sm_malloc(sizeof(*w));

	sm_wbuf_init(w, 256);
	int rc;
	if (c->reauth_bad) {
		snprintf(msg, sizeof(msg), "%s", c->reauth_bad);
		snprintf(why, sizeof(why), "%s", c->reauth_bad);
		rc = SM_SASL_FAIL;
	} else {
		rc = sm_sasl_server_step(c->sasl, tok, len, &out, &outlen, msg, sizeof(msg),
					 why, sizeof(why));
	}
	if (hdr && hdr->api_version > 0)
		c->reauth_capable = 1;
	if (rc == SM_SASL_DONE && c->reauth) {
		char p[300];
		snprintf(p, sizeof(p), "User:%s", sm_sasl_server_user(c->sasl));
		if (strcmp(p, c->principal)) {
			snprintf(msg, sizeof(msg), "Cannot change principals during re-authentication "
				 "from User.%.80s: User.%.80s", c->principal + 5, p + 5);
			snprintf(why, sizeof(why), "%s", msg);
			rc = SM_SASL_FAIL;
		}
	}
	if (!hdr) {
		if (rc == SM_SASL_FAIL) {
			/* v0 framing has no error answer: the peer sees the close */
			sm_wbuf_free(w);
			free(w);
			sm_ss_sasl_failed(c, NULL, why);
			return;
		}
		if (outlen)
			sm_wbuf_append(w, out, outlen);
	} else {
		sm_sasl_authenticate_resp_t resp;
		sm_sasl_authenticate_resp_init(&resp);
		sm_proto_resp_header_write(w, SM_API_SASL_AUTHENTICATE, hdr->api_version,
					   hdr->correlation_id);
		if (rc == SM_SASL_FAIL) {
			resp.error_code = SM_ERR_SASL_AUTHENTICATION_FAILED;
			resp.error_message = msg;
		} else {
			resp.auth_bytes.ptr = out;
			resp.auth_bytes.len = (int32_t)outlen;
			if (rc == SM_SASL_DONE && c->reauth_capable)
				resp.session_lifetime_ms = c->listener->cfg.sasl->reauth_ms;
		}
		sm_sasl_authenticate_resp_write(w, hdr->api_version, &resp);
	}
	free(out);
	if (rc == SM_SASL_FAIL) {
		sm_ss_sasl_failed(c, w, why);
		return;
	}
	if (rc == SM_SASL_DONE)
		sm_ss_sasl_authenticated(c);
	sm_ss_sasl_send(c, w);
}

static void sm_ss_sasl_handshake(sm_ss_conn_t *c, const sm_req_header_t *hdr, sm_rbuf_t *rb,
				 sm_arena_t *a)
{
	const sm_sasl_listener_t *l = c->listener->cfg.sasl;
	sm_sasl_handshake_req_t req;
	sm_sasl_handshake_resp_t resp;
	char why[256];
	int16_t ver = hdr->api_version;
	sm_wbuf_t *w;

	if (ver < 0 || ver > 1) {
		snprintf(why, sizeof(why), "Version %d is not supported for apiKey "
			 "SASL_HANDSHAKE", ver);
		sm_ss_sasl_failed(c, NULL, why);
		return;
	}
	if (sm_sasl_handshake_req_read(rb, ver, a, &req) || !req.mechanism) {
		sm_ss_sasl_failed(c, NULL, "malformed SaslHandshake request");
		return;
	}
	w = sm_malloc(sizeof(*w));
	sm_wbuf_init(w, 128);
	sm_sasl_handshake_resp_init(&resp);
	resp.mechanisms = (char **)l->names;
	resp.mechanisms_cnt = l->n_names;
	sm_proto_resp_header_write(w, SM_API_SASL_HANDSHAKE, ver, hdr->correlation_id);
	int mech = sm_sasl_mech_from_name(req.mechanism);
	if (!(mech & l->mechs)) {
		resp.error_code = SM_ERR_UNSUPPORTED_SASL_MECHANISM;
		sm_sasl_handshake_resp_write(w, ver, &resp);
		snprintf(why, sizeof(why), "Unsupported SASL mechanism %.100s", req.mechanism);
		sm_ss_sasl_failed(c, w, why);
		return;
	}
	sm_sasl_handshake_resp_write(w, ver, &resp);
	if (c->reauth && mech != c->sasl_mech) {
		/* Kafka accepts the handshake and fails the next token */
		char bad[256];
		snprintf(bad, sizeof(bad), "SASL mechanism '%s' requested by client is not "
			 "supported for re-authentication of mechanism '%s'", req.mechanism,
			 sm_sasl_mech_name(c->sasl_mech));
		free(c->reauth_bad);
		c->reauth_bad = sm_strdup(bad);
	}
	c->sasl_mech = mech;
	c->sasl = sm_sasl_server_new(l, mech);
	c->sasl_state = ver == 0 ? SM_SS_SASL_RAW : SM_SS_SASL_AUTH;
	sm_log_debug(NULL, SM_SS_SASL_LOGGER, "Using SASL mechanism '%s' provided by client %s",
		     req.mechanism, c->peer);
	sm_ss_sasl_send(c, w);
}

static const char *sm_ss_api_name(int16_t key)
{
	const char *n = sm_proto_api_name(key);
	return n ? n : "UNKNOWN";
}

/* A frame of a connection that has not authenticated yet. Returns 1 when
 * it was consumed here (answered, or c closed and freed), 0 when it goes to
 * the handlers (ApiVersions). */
static int sm_ss_sasl_frame(sm_ss_conn_t *c, sm_request_t *req)
{
	sm_rbuf_t rb;
	sm_arena_t a;
	sm_req_header_t hdr;
	char why[256];

	if (c->sasl_state == SM_SS_SASL_RAW) {
		sm_ss_sasl_token(c, NULL, req->data, req->len);
		sm_request_free(req);
		return 1;
	}
	if (c->sasl_state == SM_SS_SASL_FAILED) {
		sm_request_free(req);
		return 1;
	}
	sm_arena_init(&a);
	sm_arena_set_budget(&a, (size_t)SM_SASL_MAX_RECEIVE * 4);
	sm_rbuf_init(&rb, req->data, req->len);
	if (sm_proto_req_header_read(&rb, &a, &hdr) < 0) {
		/* Kafka falls back to GSSAPI here, which is never enabled */
		sm_ss_sasl_failed(c, NULL, "Exception handling first SASL packet from client, "
				  "GSSAPI is not supported by server (not a Kafka request header)");
		goto consumed;
	}
	switch (hdr.api_key) {
	case SM_API_API_VERSIONS:
		if (c->sasl_state != SM_SS_SASL_VERSIONS) {
			snprintf(why, sizeof(why), "Unexpected ApiVersions request received during "
				 "SASL authentication state %s", c->sasl_state == SM_SS_SASL_AUTH ?
				 "AUTHENTICATE" : "HANDSHAKE_REQUEST");
			sm_ss_sasl_failed(c, NULL, why);
			goto consumed;
		}
		/* Answered by the handlers; a supported version moves on to
		 * the handshake, an unsupported one is answered and may retry. */
		if (hdr.api_version >= 0 && hdr.api_version <= 3)
			c->sasl_state = SM_SS_SASL_HANDSHAKE;
		sm_arena_destroy(&a);
		return 0;
	case SM_API_SASL_HANDSHAKE:
		if (c->sasl_state == SM_SS_SASL_AUTH) {
			snprintf(why, sizeof(why), "Unexpected Kafka request of type "
				 "SASL_HANDSHAKE during SASL authentication.");
			sm_ss_sasl_failed(c, NULL, why);
			goto consumed;
		}
		sm_ss_sasl_handshake(c, &hdr, &rb, &a);
		goto consumed;
	case SM_API_SASL_AUTHENTICATE:
		if (c->sasl_state != SM_SS_SASL_AUTH) {
			sm_ss_sasl_failed(c, NULL, "Unexpected Kafka request of type "
					  "SASL_AUTHENTICATE during SASL handshake.");
			goto consumed;
		}
		if (hdr.api_version < 0 || hdr.api_version > 2) {
			snprintf(why, sizeof(why), "Version %d is not supported for apiKey "
				 "SASL_AUTHENTICATE", hdr.api_version);
			sm_ss_sasl_failed(c, NULL, why);
			goto consumed;
		}
		{
			sm_sasl_authenticate_req_t ar;
			if (sm_sasl_authenticate_req_read(&rb, hdr.api_version, &a, &ar) ||
			    ar.auth_bytes.len < 0) {
				sm_ss_sasl_failed(c, NULL, "malformed SaslAuthenticate request");
				goto consumed;
			}
			sm_ss_sasl_token(c, &hdr, ar.auth_bytes.ptr, (size_t)ar.auth_bytes.len);
		}
		goto consumed;
	default:
		snprintf(why, sizeof(why), "Unexpected Kafka request of type %s during SASL %s.",
			 sm_ss_api_name(hdr.api_key),
			 c->sasl_state == SM_SS_SASL_AUTH ? "authentication" : "handshake");
		sm_ss_sasl_failed(c, NULL, why);
		goto consumed;
	}
consumed:
	sm_arena_destroy(&a);
	sm_request_free(req);
	return 1;
}

/* A request on an authenticated connection whose session can expire
 * (KIP-368, Kafka's SocketServer and KafkaChannel): a SaslHandshake from a
 * client that re-authenticates starts the exchange again (at most once a
 * second); any other request after the session ended closes the
 * connection. Returns 1 when req was consumed (c may be freed). */
static int sm_ss_sasl_session_check(sm_ss_conn_t *c, sm_request_t *req)
{
	int64_t now = sm_clock_mono_ms();
	int16_t key = req->len >= 2 ? (int16_t)sm_be16(req->data) : -1;

	if (key == SM_API_SASL_HANDSHAKE && c->reauth_capable &&
	    (c->last_reauth_ms == 0 || now - c->last_reauth_ms >= 1000)) {
		c->last_reauth_ms = now;
		c->reauth = 1;
		c->sasl_state = SM_SS_SASL_HANDSHAKE;
		sm_log_debug(NULL, SM_SS_SASL_LOGGER, "Begin re-authentication of %s (%s) on "
			     "listener %s", c->peer, c->principal, c->listener->cfg.name);
		return sm_ss_sasl_frame(c, req);
	}
	if (now > c->session_expiry_ms) {
		sm_log_debug(NULL, SM_SS_PROC_LOGGER, "Disconnecting expired channel %s (%s, "
			     "listener %s): its SASL session ended", c->peer, c->principal,
			     c->listener->cfg.name);
		sm_request_free(req);
		sm_ss_conn_close(c, "SASL session expired (connections.max.reauth.ms)");
		return 1;
	}
	return 0;
}

/* ---- processor thread ---- */

static void sm_ss_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	sm_ss_proc_t *p = arg;
	sm_ss_newconn_t *nq;
	sm_ss_item_t *rq;
	sm_ss_drop_t *dq;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&p->lock);
	if (p->stopping) {
		pthread_mutex_unlock(&p->lock);
		event_base_loopbreak(p->base);
		return;
	}
	nq = p->newq;
	p->newq = NULL;
	p->newq_tail = &p->newq;
	p->wake_pending = 0;
	rq = p->respq;
	p->respq = NULL;
	p->respq_tail = &p->respq;
	dq = p->drops;
	p->drops = NULL;
	pthread_mutex_unlock(&p->lock);
	while (nq) {
		sm_ss_newconn_t *next = nq->next;
		sm_ss_conn_open(p, nq);
		free(nq);
		nq = next;
	}
	while (rq) {
		sm_ss_item_t *next = rq->next;
		sm_ss_deliver(p, rq);
		rq = next;
	}
	/* After the new connections: one handed off before its listener was
	 * removed is opened above and closed here. */
	while (dq) {
		sm_ss_drop_t *next = dq->next;
		sm_ss_conn_t *c = p->conns, *cn;
		for (; c; c = cn) {
			cn = c->next;
			if (c->listener == dq->listener)
				sm_ss_conn_close(c, "its listener was removed");
		}
		free(dq);
		dq = next;
	}
}

static void sm_ss_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	sm_ss_proc_t *p = arg;

	(void)fd;
	(void)what;
	for (sm_ss_conn_t *c = p->conns; c && p->nblocked > 0; c = c->next) {
		if (!c->blocked)
			continue;
		if (sm_request_channel_put(p->ss->ch, c->blocked, 1) < 0)
			break;
		c->blocked = NULL;
		p->nblocked--;
	}
	if (p->nblocked > 0)
		sm_ss_arm_retry(p);
}

/* The pool has room again: grant waiting connections in list order until it
 * runs out (then the pool calls us again on the next release). */
static void sm_ss_memwake_cb(evutil_socket_t fd, short what, void *arg)
{
	sm_ss_proc_t *p = arg;
	sm_ss_conn_t *c, *next;

	(void)fd;
	(void)what;
	for (c = p->conns; c && p->nmemwait > 0; c = next) {
		next = c->next;
		if (!c->mem_wait)
			continue;
		if (!sm_mempool_try_reserve(p->ss->pool, c->frame_size))
			break;
		c->mem_wait = 0;
		p->nmemwait--;
		sm_ss_conn_granted(c);
		sm_ss_read_on(c);
		sm_ss_conn_read(c);
	}
}

/* Pool callback (any thread, pool lock held): wake every processor in the
 * rotation (one leaving it has its connections closed). A processor's lock
 * is taken under the pool's (never the other way round) so that a retired
 * one's event is not used after it is freed. */
static void sm_ss_mem_available(void *arg)
{
	sm_socket_server_t *ss = arg;
	int n = __atomic_load_n(&ss->nprocs, __ATOMIC_ACQUIRE);

	for (int i = 0; i < n; i++) {
		sm_ss_proc_t *p = __atomic_load_n(&ss->procs[i], __ATOMIC_ACQUIRE);
		if (!p)
			continue;
		pthread_mutex_lock(&p->lock);
		if (p->memwake && !p->stopping)
			event_active(p->memwake, EV_READ, 0);
		pthread_mutex_unlock(&p->lock);
	}
}

static void sm_ss_idle_cb(evutil_socket_t fd, short what, void *arg)
{
	sm_ss_proc_t *p = arg;
	int64_t now = sm_clock_mono_ms(), limit = p->ss->cfg.connections_max_idle_ms;
	sm_ss_conn_t *c = p->conns, *next;

	(void)fd;
	(void)what;
	for (; c; c = next) {
		next = c->next;
		/* A muted connection waits for us, not for the client. */
		if (c->inflight || c->mem_wait || now - c->last_active_ms <= limit)
			continue;
		sm_ss_conn_close(c, "idle for longer than connections.max.idle.ms");
	}
}

static void *sm_ss_proc_main(void *arg)
{
	sm_ss_proc_t *p = arg;
	char name[16];

	snprintf(name, sizeof(name), "net-proc-%d", p->id);
	pthread_setname_np(pthread_self(), name);
	sm_thread_role_set(SM_ROLE_PROCESSOR);
	sm_metrics_thread_register(SM_METRICS_POOL_NETWORK, p->id);
	event_base_loop(p->base, EVLOOP_NO_EXIT_ON_EMPTY);
	sm_metrics_thread_unregister(SM_METRICS_POOL_NETWORK, p->id);
	return NULL;
}

/* A processor's event base: plaintext connections rely on edge-triggered
 * events (a muted connection's pending bytes must not wake the loop again
 * and again), so a backend without them (EVENT_NOEPOLL set) is refused. */
static struct event_base *sm_ss_proc_base_new(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	if (!cfg)
		return NULL;
	event_config_require_features(cfg, EV_FEATURE_ET);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (!base)
		sm_log_error(NULL, SM_SS_LOGGER, "No event backend with edge-triggered events "
			     "(epoll) is available to the network threads");
	return base;
}

static void sm_ss_proc_init(sm_socket_server_t *ss, sm_ss_proc_t *p, int id)
{
	int64_t idle = ss->cfg.connections_max_idle_ms;

	p->ss = ss;
	p->id = id;
	pthread_mutex_init(&p->lock, NULL);
	p->newq_tail = &p->newq;
	p->respq_tail = &p->respq;
	p->base = sm_ss_proc_base_new();
	if (!p->base)
		abort();
	p->wake = event_new(p->base, -1, 0, sm_ss_wake_cb, p);
	p->retry = evtimer_new(p->base, sm_ss_retry_cb, p);
	p->memwake = event_new(p->base, -1, 0, sm_ss_memwake_cb, p);
	if (idle > 0) {
		/* Check a few times per idle period, at most once a second. */
		int64_t every = idle / 4 < 10 ? 10 : idle / 4 > 1000 ? 1000 : idle / 4;
		struct timeval tv = { (time_t)(every / 1000), (suseconds_t)(every % 1000) * 1000 };
		p->idle = event_new(p->base, -1, EV_PERSIST, sm_ss_idle_cb, p);
		event_add(p->idle, &tv);
	}
}

/* After the thread is joined: drop everything still owned by p. Its lock
 * stays (other threads may still look at a retired processor's stopping
 * flag); sm_socket_server_destroy destroys it. */
static void sm_ss_proc_cleanup(sm_ss_proc_t *p)
{
	while (p->conns)
		sm_ss_conn_free(p->conns);
	while (p->newq) {
		sm_ss_newconn_t *n = p->newq;
		p->newq = n->next;
		close(n->fd);
		sm_ss_conn_gone(p->ss, n->listener, n->ip);
		free(n);
	}
	while (p->respq) {
		sm_ss_item_t *it = p->respq;
		p->respq = it->next;
		sm_request_free(it->req);
		sm_ss_free_resp(it->resp);
		free(it);
	}
	if (p->idle)
		event_free(p->idle);
	if (p->retry)
		event_free(p->retry);
	while (p->drops) {
		sm_ss_drop_t *d = p->drops;
		p->drops = d->next;
		free(d);
	}
	pthread_mutex_lock(&p->lock);
	if (p->memwake)
		event_free(p->memwake);
	p->memwake = NULL;
	pthread_mutex_unlock(&p->lock);
	if (p->wake)
		event_free(p->wake);
	p->wake = NULL;
	/* A TLS bufferevent runs its write callback deferred, holding a
	 * reference until the loop gets to it; a connection that has just
	 * written when the loop stopped would otherwise never be finalized
	 * (event_base_free cancels that callback without dropping the
	 * reference). With our own events gone, one more pass over the active
	 * queue runs those callbacks (the connections' callbacks are cleared)
	 * and the finalizers they leave. */
	if (p->base)
		event_base_loop(p->base, EVLOOP_NONBLOCK);
	if (p->base)
		event_base_free(p->base);
	p->base = NULL;
	/* every output buffer is gone and gave its chunks back */
	p->chunks_closed = 1;
	while (p->chunks) {
		sm_ss_chunk_t *ch = p->chunks;
		p->chunks = ch->next;
		free(ch);
	}
	p->nchunks = 0;
}

/* The wake-up is signalled under p->lock: a processor retired by a
 * num.network.threads cut is stopping before its events are freed, and
 * what is queued for it then is dropped (its connections are closed).
 * One wake-up per batch: only the first item queued since the processor
 * last took its queues activates the wake event (each activation from
 * another thread takes the event base's lock and writes its notification
 * fd); later ones ride along. */
static void sm_ss_proc_enqueue(sm_ss_proc_t *p, sm_ss_item_t *it)
{
	pthread_mutex_lock(&p->lock);
	if (p->stopping) {
		pthread_mutex_unlock(&p->lock);
		sm_request_free(it->req);
		sm_ss_free_resp(it->resp);
		free(it);
		return;
	}
	*p->respq_tail = it;
	p->respq_tail = &it->next;
	if (!p->wake_pending) {
		p->wake_pending = 1;
		event_active(p->wake, EV_READ, 0);
	}
	pthread_mutex_unlock(&p->lock);
}

/* ---- response sink (any thread) ---- */

static void sm_ss_sink_item(sm_socket_server_t *ss, sm_request_t *req, sm_wbuf_t *resp,
			    int close_conn)
{
	sm_ss_item_t *it;
	sm_ss_proc_t *p = req->processor >= 0 && req->processor < SM_SS_MAX_PROCS ?
		__atomic_load_n(&ss->procs[req->processor], __ATOMIC_ACQUIRE) : NULL;

	/* A slot refilled after a cut holds another processor: it does not
	 * know the connection id and drops the answer. */
	if (!p) {
		sm_request_free(req);
		sm_ss_free_resp(resp);
		return;
	}
	it = sm_calloc(1, sizeof(*it));
	it->req = req;
	it->resp = resp;
	it->close = close_conn;
	sm_ss_proc_enqueue(p, it);
}

static void sm_ss_sink_send(void *opaque, sm_request_t *req, sm_wbuf_t *resp)
{
	sm_ss_sink_item(opaque, req, resp, 0);
}

static void sm_ss_sink_close(void *opaque, sm_request_t *req)
{
	sm_ss_sink_item(opaque, req, NULL, 1);
}

/* ---- acceptor ---- */

static void sm_ss_tune_socket(sm_socket_server_t *ss, int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (ss->cfg.socket_send_buffer_bytes > 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &ss->cfg.socket_send_buffer_bytes,
			   sizeof(int));
	if (ss->cfg.socket_receive_buffer_bytes > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &ss->cfg.socket_receive_buffer_bytes,
			   sizeof(int));
}

static void sm_ss_hand_off(sm_socket_server_t *ss, sm_ss_listener_t *l, int fd,
			   const char *peer, const char *ip)
{
	unsigned n = (unsigned)__atomic_load_n(&ss->nprocs, __ATOMIC_ACQUIRE);
	sm_ss_proc_t *p = __atomic_load_n(&ss->procs[ss->next_proc++ % n], __ATOMIC_ACQUIRE);
	sm_ss_newconn_t *nc = sm_calloc(1, sizeof(*nc));

	nc->fd = fd;
	nc->listener = l;
	snprintf(nc->peer, sizeof(nc->peer), "%s", peer);
	snprintf(nc->ip, sizeof(nc->ip), "%s", ip);
	if (p) {
		pthread_mutex_lock(&p->lock);
		if (!p->stopping) {
			*p->newq_tail = nc;
			p->newq_tail = &nc->next;
			event_active(p->wake, EV_READ, 0);
			nc = NULL;
		}
		pthread_mutex_unlock(&p->lock);
	}
	if (nc) {
		/* Its processor is being retired by a num.network.threads cut:
		 * the first one is never retired. */
		p = __atomic_load_n(&ss->procs[0], __ATOMIC_ACQUIRE);
		pthread_mutex_lock(&p->lock);
		*p->newq_tail = nc;
		p->newq_tail = &nc->next;
		event_active(p->wake, EV_READ, 0);
		pthread_mutex_unlock(&p->lock);
	}
}

static void sm_ss_delay_timer_arm(sm_socket_server_t *ss)
{
	int64_t d;
	struct timeval tv;

	if (!ss->delayed)
		return;
	d = ss->delayed->close_at_ms - sm_clock_mono_ms();
	if (d < 0)
		d = 0;
	tv.tv_sec = (time_t)(d / 1000);
	tv.tv_usec = (suseconds_t)(d % 1000) * 1000;
	evtimer_add(ss->delay_timer, &tv);
}

static void sm_ss_delay_cb(evutil_socket_t fd, short what, void *arg)
{
	sm_socket_server_t *ss = arg;
	int64_t now = sm_clock_mono_ms();

	(void)fd;
	(void)what;
	while (ss->delayed && ss->delayed->close_at_ms <= now) {
		sm_ss_delayed_t *d = ss->delayed;
		ss->delayed = d->next;
		close(d->fd);
		free(d);
	}
	sm_ss_delay_timer_arm(ss);
}

/* Kafka keeps a connection throttled by its address's quota open for the
 * throttle time before closing it, so a reconnecting client backs off. */
static void sm_ss_close_later(sm_socket_server_t *ss, int fd, int64_t delay_ms)
{
	sm_ss_delayed_t *d = sm_calloc(1, sizeof(*d)), **pp = &ss->delayed;

	d->fd = fd;
	d->close_at_ms = sm_clock_mono_ms() + delay_ms;
	while (*pp && (*pp)->close_at_ms <= d->close_at_ms)
		pp = &(*pp)->next;
	d->next = *pp;
	*pp = d;
	sm_ss_delay_timer_arm(ss);
}

/* The per-address checks, in Kafka's order (after the slot and the listener
 * and broker rates): the address's creation rate quota, then
 * max.connections.per.ip. Returns 1 when fd may be served; otherwise fd is
 * closed (now or after the throttle time) and 0 returned. */
static int sm_ss_admit_ip(sm_socket_server_t *ss, sm_ss_listener_t *l, int fd)
{
	int64_t delay;
	int limit;

	pthread_mutex_lock(&ss->ip_rates_lock);
	delay = sm_ip_rates_record(ss->ip_rates, l->pend_ip, sm_clock_mono_ms());
	pthread_mutex_unlock(&ss->ip_rates_lock);

	if (delay > 0) {
		/* Not counted against the listener and broker rates either. */
		sm_rate_limiter_unrecord(&l->rate);
		if (!l->exempt)
			sm_rate_limiter_unrecord(&ss->broker_rate);
		SM_SS_COUNT(ss, connections_ip_throttled);
		if (sm_ss_loglim_ok(&ss->ll_iprate))
			sm_log_info(ss->comp, SM_SS_ACC_LOGGER, "Throttled connection from "
				    "%s on listener %s: address %s is over its "
				    "connection_creation_rate quota; closing it in %lld ms%s",
				    l->pend_peer, l->cfg.name, l->pend_ip, (long long)delay,
				    ss->ll_iprate.note);
		sm_ss_close_later(ss, fd, delay);
		return 0;
	}
	if (!sm_ip_quotas_inc(ss->ipq, l->pend_ip, &limit)) {
		/* Kafka closes it at once (TooManyConnectionsException). */
		SM_SS_COUNT(ss, connections_rejected);
		if (sm_ss_loglim_ok(&ss->ll_ip))
			sm_log_info(ss->comp, SM_SS_ACC_LOGGER, "Rejected connection from %s "
				    "on listener %s, address %s has reached the maximum "
				    "number of connections %d (max.connections.per.ip)%s",
				    l->pend_peer, l->cfg.name, l->pend_ip, limit, ss->ll_ip.note);
		close(fd);
		return 0;
	}
	return 1;
}

/* The listener's max.connections (0: none); changed at run time. */
static int32_t sm_ss_listener_max(const sm_ss_listener_t *l)
{
	return __atomic_load_n(&l->cfg.max_connections, __ATOMIC_RELAXED);
}

static int sm_ss_slot_free(sm_socket_server_t *ss, sm_ss_listener_t *l)
{
	int32_t lmax = sm_ss_listener_max(l);
	if (lmax > 0 && __atomic_load_n(&l->open_conns, __ATOMIC_SEQ_CST) >= lmax)
		return 0;
	int32_t max = __atomic_load_n(&ss->cfg.max_connections, __ATOMIC_RELAXED);
	if (!l->exempt && max > 0 && __atomic_load_n(&ss->open_conns, __ATOMIC_SEQ_CST) >= max)
		return 0;
	return 1;
}

/* Wakes the acceptor so that a held connection is looked at again. */
static void sm_ss_wake_acceptor(sm_socket_server_t *ss)
{
	pthread_mutex_lock(&ss->state_lock);
	if (ss->acc_wake && !ss->acc_stopped)
		event_active(ss->acc_wake, EV_READ, 0);
	pthread_mutex_unlock(&ss->state_lock);
}

int sm_socket_server_set_ssl_ctx(sm_socket_server_t *ss, const char *listener, void *ssl_ctx)
{
	int n = __atomic_load_n(&ss->nlisteners, __ATOMIC_ACQUIRE);
	for (int i = 0; i < n; i++) {
		sm_ss_listener_t *l = __atomic_load_n(&ss->listeners[i], __ATOMIC_ACQUIRE);
		if (!l || strcasecmp(l->cfg.name, listener) || !l->cfg.ssl_ctx)
			continue;
		__atomic_store_n(&l->cfg.ssl_ctx, ssl_ctx, __ATOMIC_RELEASE);
		return 0;
	}
	return -1;
}

int sm_socket_server_set_connection_limits(sm_socket_server_t *ss, int32_t max_connections,
					   int32_t per_ip, const char *overrides,
					   int32_t creation_rate, char *err, size_t errlen)
{
	sm_ip_override_t *ov = NULL;
	int nov = 0;

	if (sm_ip_overrides_parse(overrides ? overrides : "", &ov, &nov, err, errlen) < 0)
		return -1;
	if (ss->ipq)
		sm_ip_quotas_set_limits(ss->ipq, per_ip, ov, nov);
	free(ov);
	__atomic_store_n(&ss->cfg.max_connections,
			 max_connections == INT32_MAX ? 0 : max_connections, __ATOMIC_RELAXED);
	/* the acceptor thread owns the bucket; it re-initialises it */
	__atomic_store_n(&ss->new_broker_rate, (int64_t)creation_rate, __ATOMIC_RELEASE);
	sm_ss_wake_acceptor(ss);
	return 0;
}

int sm_socket_server_set_listener_limits(sm_socket_server_t *ss, const char *listener,
					 int32_t max_connections, int32_t creation_rate)
{
	int n = __atomic_load_n(&ss->nlisteners, __ATOMIC_ACQUIRE), found = 0;
	/* every slot of that name: a removed listener's slot stays, and its
	 * name may have been added again in a later one */
	for (int i = 0; i < n; i++) {
		sm_ss_listener_t *l = __atomic_load_n(&ss->listeners[i], __ATOMIC_ACQUIRE);
		if (!l || strcasecmp(l->cfg.name, listener))
			continue;
		__atomic_store_n(&l->cfg.max_connections,
				 max_connections == INT32_MAX ? 0 : max_connections, __ATOMIC_RELAXED);
		/* the acceptor thread owns the bucket; it re-initialises it */
		__atomic_store_n(&l->new_rate, (int64_t)creation_rate, __ATOMIC_RELEASE);
		found = 1;
	}
	if (found)
		sm_ss_wake_acceptor(ss);
	return found ? 0 : -1;
}

void sm_socket_server_set_ip_rate(sm_socket_server_t *ss, const char *ip, double rate)
{
	pthread_mutex_lock(&ss->ip_rates_lock);
	sm_ip_rates_set(ss->ip_rates, ip, rate, sm_clock_mono_ms());
	pthread_mutex_unlock(&ss->ip_rates_lock);
}

/* Tries to pass l's held connection to a processor: 1 when done, 0 while it
 * must wait for a slot (acc_wake) or for its creation-rate delay (l->timer).
 * Kafka's Acceptor blocks in ConnectionQuotas.inc the same way. */
static int sm_ss_admit_pending(sm_socket_server_t *ss, sm_ss_listener_t *l)
{
	int fd;

	/* Announce the wait before the re-check, so a close in between is
	 * either seen here or wakes us (sm_ss_conn_gone). */
	if (!sm_ss_slot_free(ss, l))
		__atomic_store_n(&ss->acc_blocked, 1, __ATOMIC_SEQ_CST);
	if (!sm_ss_slot_free(ss, l)) {
		if (!l->pend_blocked) {
			l->pend_blocked = 1;
			SM_SS_COUNT(ss, connections_blocked);
			if (sm_ss_loglim_ok(&ss->ll_blocked))
				sm_log_info(ss->comp, SM_SS_ACC_LOGGER, "Connection from %s on "
					    "listener %s waits for a slot: %s reached; not "
					    "accepting on %s until a connection closes%s",
					    l->pend_peer, l->cfg.name, sm_ss_listener_max(l) > 0 &&
					    __atomic_load_n(&l->open_conns, __ATOMIC_SEQ_CST) >=
					    sm_ss_listener_max(l) ? "the listener's max.connections"
					    : "max.connections", l->cfg.name, ss->ll_blocked.note);
		}
		return 0;
	}
	if (!l->pend_rated) {
		int64_t now = sm_clock_mono_ms();
		int64_t nr = __atomic_exchange_n(&ss->new_broker_rate, -1, __ATOMIC_ACQ_REL);
		if (nr >= 0)
			sm_rate_limiter_init(&ss->broker_rate, (double)nr, now);
		nr = __atomic_exchange_n(&l->new_rate, -1, __ATOMIC_ACQ_REL);
		if (nr >= 0)
			sm_rate_limiter_init(&l->rate, (double)nr, now);
		int64_t delay = sm_rate_limiter_record(&l->rate, now);

		if (!l->exempt) {
			int64_t bd = sm_rate_limiter_record(&ss->broker_rate, now);
			if (bd > delay)
				delay = bd;
		}
		l->pend_rated = 1;
		if (delay > 0) {
			struct timeval tv = { (time_t)(delay / 1000),
					      (suseconds_t)(delay % 1000) * 1000 };
			SM_SS_COUNT(ss, connections_throttled);
			if (sm_ss_loglim_ok(&ss->ll_rate))
				sm_log_info(ss->comp, SM_SS_ACC_LOGGER, "Throttling connection "
					    "from %s on listener %s for %lld ms: connection "
					    "creation rate over max.connection.creation.rate%s",
					    l->pend_peer, l->cfg.name, (long long)delay,
					    ss->ll_rate.note);
			evtimer_add(l->timer, &tv);
			return 0;
		}
	}
	fd = l->pend_fd;
	l->pend_fd = -1;   /* from here on it is accepted or closed */
	if (!sm_ss_admit_ip(ss, l, fd))
		return 1;
	sm_ss_tune_socket(ss, fd);
	__atomic_add_fetch(&ss->open_conns, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&l->open_conns, 1, __ATOMIC_SEQ_CST);
	SM_SS_COUNT(ss, connections_accepted);
	sm_ss_hand_off(ss, l, fd, l->pend_peer, l->pend_ip);
	return 1;
}

static void sm_ss_pause(sm_ss_listener_t *l)
{
	if (!l->paused) {
		event_del(l->ev);
		l->paused = 1;
	}
}

static void sm_ss_resume(sm_ss_listener_t *l)
{
	if (l->paused) {
		/* Level-triggered: connections waiting in the backlog fire it. */
		event_add(l->ev, NULL);
		l->paused = 0;
	}
}

static void sm_ss_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	sm_ss_listener_t *l = arg;
	sm_socket_server_t *ss = l->ss;

	(void)what;
	for (;;) {
		struct sockaddr_storage sa;
		socklen_t sl = sizeof(sa);
		char peer[64], ip[64];
		int fd;

		if (l->pend_fd >= 0 && !sm_ss_admit_pending(ss, l)) {
			sm_ss_pause(l);
			return;
		}
		fd = accept4(lfd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				sm_log_warn(ss->comp, SM_SS_ACC_LOGGER, "Error accepting "
					    "connection on %s: %s", l->cfg.name, strerror(errno));
			return;
		}
		sm_ss_format_peer(&sa, peer, sizeof(peer));
		sm_ss_format_ip(&sa, ip, sizeof(ip));
		l->pend_fd = fd;
		snprintf(l->pend_peer, sizeof(l->pend_peer), "%s", peer);
		snprintf(l->pend_ip, sizeof(l->pend_ip), "%s", ip);
		l->pend_rated = 0;
		l->pend_blocked = 0;
	}
}

/* A slot freed up or a creation-rate delay ended: retry held connections. */
static void sm_ss_acc_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	sm_socket_server_t *ss = arg;

	(void)fd;
	(void)what;
	__atomic_store_n(&ss->acc_blocked, 0, __ATOMIC_SEQ_CST);
	for (int i = 0; i < ss->nlisteners; i++) {
		sm_ss_listener_t *l = ss->listeners[i];
		if (!l || l->pend_fd < 0 || evtimer_pending(l->timer, NULL))
			continue;
		if (sm_ss_admit_pending(ss, l))
			sm_ss_resume(l);
	}
}

static void sm_ss_acc_stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static void *sm_ss_acc_main(void *arg)
{
	sm_socket_server_t *ss = arg;

	pthread_setname_np(pthread_self(), "net-acceptor");
	sm_thread_role_set(SM_ROLE_ACCEPTOR);
	event_base_loop(ss->acc_base, EVLOOP_NO_EXIT_ON_EMPTY);
	/* Commands still queued fail: their callers stop waiting. */
	pthread_mutex_lock(&ss->cmd_lock);
	ss->acc_gone = 1;
	for (sm_ss_cmd_t *c = ss->cmds; c; c = c->next)
		c->done = 1;
	ss->cmds = NULL;
	pthread_cond_broadcast(&ss->cmd_cond);
	pthread_mutex_unlock(&ss->cmd_lock);
	return NULL;
}

/* ---- binding ---- */

static int sm_ss_listen_on(sm_socket_server_t *ss, const struct sockaddr *sa, socklen_t salen,
			   int v6any)
{
	int one = 1, zero = 0, saved;
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (v6any)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	/* Set before listen() so accepted sockets negotiate a matching window. */
	if (ss->cfg.socket_receive_buffer_bytes > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &ss->cfg.socket_receive_buffer_bytes,
			   sizeof(int));
	if (bind(fd, sa, salen) < 0 ||
	    listen(fd, ss->cfg.socket_listen_backlog_size > 0 ?
		   ss->cfg.socket_listen_backlog_size : 50) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static int sm_ss_bind_any(sm_socket_server_t *ss, int port)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	int fd;

	/* Empty host: every interface, IPv6 and IPv4 alike when possible. */
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_addr = in6addr_any;
	s6.sin6_port = htons((uint16_t)port);
	fd = sm_ss_listen_on(ss, (struct sockaddr *)&s6, sizeof(s6), 1);
	if (fd >= 0 || (errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL))
		return fd;
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_addr.s_addr = htonl(INADDR_ANY);
	s4.sin_port = htons((uint16_t)port);
	return sm_ss_listen_on(ss, (struct sockaddr *)&s4, sizeof(s4), 0);
}

static int sm_ss_bind(sm_socket_server_t *ss, sm_ss_listener_t *l, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage sa;
	socklen_t sl = sizeof(sa);
	char port[16];
	int rc, fd = -1, saved = 0;

	if (!l->cfg.host[0]) {
		fd = sm_ss_bind_any(ss, l->cfg.port);
		saved = errno;
	} else {
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
		snprintf(port, sizeof(port), "%d", l->cfg.port);
		rc = getaddrinfo(l->cfg.host, port, &hints, &res);
		if (rc != 0) {
			snprintf(err, errlen, "Cannot resolve host '%s' of listener %s: %s",
				 l->cfg.host, l->cfg.name, gai_strerror(rc));
			return -1;
		}
		for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
			fd = sm_ss_listen_on(ss, ai->ai_addr, ai->ai_addrlen, 0);
			saved = errno;
		}
		freeaddrinfo(res);
	}
	if (fd < 0) {
		snprintf(err, errlen, "Socket server failed to bind to %s:%d: %s.",
			 l->cfg.host, l->cfg.port, strerror(saved));
		return -1;
	}
	l->fd = fd;
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	l->bound_port = ntohs(sa.ss_family == AF_INET6 ?
			      ((struct sockaddr_in6 *)&sa)->sin6_port :
			      ((struct sockaddr_in *)&sa)->sin_port);
	return 0;
}

/* ---- lifecycle ---- */

static sm_ss_listener_t *sm_ss_listener_new(sm_socket_server_t *ss, const sm_listener_cfg_t *cfg)
{
	sm_ss_listener_t *l = sm_calloc(1, sizeof(*l));

	l->cfg = *cfg;
	l->ss = ss;
	l->fd = -1;
	l->pend_fd = -1;
	l->new_rate = -1;
	sm_rate_limiter_init(&l->rate, cfg->max_connection_creation_rate, sm_clock_mono_ms());
	return l;
}

/* Kafka protects the inter-broker listener only when there are others to
 * starve it. Before startup, or on the acceptor thread (the flag is read
 * only there). */
static void sm_ss_update_exempt(sm_socket_server_t *ss)
{
	int live = 0;

	for (int i = 0; i < ss->nlisteners; i++)
		live += ss->listeners[i] != NULL;
	for (int i = 0; i < ss->nlisteners; i++) {
		sm_ss_listener_t *l = ss->listeners[i];
		if (l)
			l->exempt = ss->ibl[0] && live > 1 && !strcasecmp(ss->ibl, l->cfg.name);
	}
}

sm_socket_server_t *sm_socket_server_new(const sm_socket_server_config_t *cfg,
					 sm_request_channel_t *ch)
{
	sm_socket_server_t *ss = sm_calloc(1, sizeof(*ss));
	int nl = cfg->num_listeners < SM_SS_MAX_LISTENERS ? cfg->num_listeners : SM_SS_MAX_LISTENERS;

	ss->cfg = *cfg;
	ss->cfg.listeners = NULL;
	ss->ch = ch;
	if (cfg->inter_broker_listener)
		snprintf(ss->ibl, sizeof(ss->ibl), "%s", cfg->inter_broker_listener);
	for (int i = 0; i < nl; i++)
		ss->listeners[i] = sm_ss_listener_new(ss, &cfg->listeners[i]);
	ss->nlisteners = nl;
	sm_ss_update_exempt(ss);
	ss->cfg.max_connections_per_ip_overrides = NULL;
	ss->cfg.inter_broker_listener = NULL;
	ss->overrides = sm_strdup(cfg->max_connections_per_ip_overrides ?
				  cfg->max_connections_per_ip_overrides : "");
	ss->pool = sm_mempool_new(cfg->queued_max_request_bytes);
	ss->ip_rates = sm_ip_rates_new(cfg->ip_rates, cfg->num_ip_rates, sm_clock_mono_ms());
	if (!ss->ip_rates)
		ss->ip_rates = sm_ip_rates_empty(sm_clock_mono_ms());
	pthread_mutex_init(&ss->ip_rates_lock, NULL);
	ss->cfg.ip_rates = NULL;
	ss->cfg.num_ip_rates = 0;
	sm_rate_limiter_init(&ss->broker_rate, cfg->max_connection_creation_rate, sm_clock_mono_ms());
	ss->new_broker_rate = -1;
	ss->nprocs = cfg->num_network_threads < 1 ? 1 :
		     cfg->num_network_threads > SM_SS_MAX_PROCS ? SM_SS_MAX_PROCS :
		     cfg->num_network_threads;
	ss->procs = sm_calloc(SM_SS_MAX_PROCS, sizeof(*ss->procs));
	pthread_mutex_init(&ss->state_lock, NULL);
	pthread_mutex_init(&ss->resize_lock, NULL);
	pthread_mutex_init(&ss->cmd_lock, NULL);
	pthread_cond_init(&ss->cmd_cond, NULL);
	snprintf(ss->comp, sizeof(ss->comp), "SocketServer listenerType=ZK_BROKER, nodeId=%d",
		 cfg->broker_id);
	return ss;
}

/* Acceptor thread (or before it starts): l watched for connections. */
static void sm_ss_acc_serve(sm_socket_server_t *ss, sm_ss_listener_t *l)
{
	l->ev = event_new(ss->acc_base, l->fd, EV_READ | EV_PERSIST, sm_ss_accept_cb, l);
	l->timer = evtimer_new(ss->acc_base, sm_ss_acc_retry_cb, ss);
	event_add(l->ev, NULL);
}

/* Acceptor thread, or after it is joined: l's socket and held connection
 * closed. Its served connections are the processors' business. */
static void sm_ss_acc_close(sm_ss_listener_t *l)
{
	if (l->ev)
		event_free(l->ev);
	l->ev = NULL;
	if (l->timer)
		event_free(l->timer);
	l->timer = NULL;
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	if (l->pend_fd >= 0)
		close(l->pend_fd);  /* not yet counted: it was never admitted */
	l->pend_fd = -1;
}

/* Runs the queued listener-set changes (Kafka's addListeners and
 * removeListeners, whose Acceptor threads are ours). */
static void sm_ss_acc_cmd_cb(evutil_socket_t fd, short what, void *arg)
{
	sm_socket_server_t *ss = arg;
	sm_ss_cmd_t *cmds;

	(void)fd;
	(void)what;
	SM_ASSERT_ROLE(SM_ROLE_ACCEPTOR);
	pthread_mutex_lock(&ss->cmd_lock);
	cmds = ss->cmds;
	ss->cmds = NULL;
	pthread_mutex_unlock(&ss->cmd_lock);
	for (sm_ss_cmd_t *c = cmds; c; c = c->next) {
		if (c->add) {
			int slot = -1;
			for (int i = 0; i < ss->nlisteners && slot < 0; i++)
				if (!ss->listeners[i])
					slot = i;
			if (slot < 0 && ss->nlisteners < SM_SS_MAX_LISTENERS)
				slot = ss->nlisteners;
			if (slot < 0)
				continue;
			sm_ss_acc_serve(ss, c->add);
			__atomic_store_n(&ss->listeners[slot], c->add, __ATOMIC_RELEASE);
			if (slot == ss->nlisteners)
				__atomic_store_n(&ss->nlisteners, slot + 1, __ATOMIC_RELEASE);
			c->ok = 1;
		} else {
			for (int i = 0; i < ss->nlisteners; i++) {
				sm_ss_listener_t *l = ss->listeners[i];
				if (!l || strcasecmp(l->cfg.name, c->remove))
					continue;
				sm_ss_acc_close(l);
				l->removed = 1;
				__atomic_store_n(&ss->listeners[i], NULL, __ATOMIC_RELEASE);
				c->closed = l;
				break;
			}
			c->ok = 1;
		}
	}
	sm_ss_update_exempt(ss);
	pthread_mutex_lock(&ss->cmd_lock);
	for (sm_ss_cmd_t *c = cmds; c; c = c->next)
		c->done = 1;
	pthread_cond_broadcast(&ss->cmd_cond);
	pthread_mutex_unlock(&ss->cmd_lock);
}

/* Hands c to the acceptor and waits until it ran (or the acceptor ended). */
static void sm_ss_acc_run(sm_socket_server_t *ss, sm_ss_cmd_t *c)
{
	pthread_mutex_lock(&ss->cmd_lock);
	if (ss->acc_gone || !ss->acc_cmd) {
		pthread_mutex_unlock(&ss->cmd_lock);
		return;
	}
	c->next = ss->cmds;
	ss->cmds = c;
	event_active(ss->acc_cmd, EV_READ, 0);
	while (!c->done)
		pthread_cond_wait(&ss->cmd_cond, &ss->cmd_lock);
	pthread_mutex_unlock(&ss->cmd_lock);
}

static int sm_ss_start_acceptor(sm_socket_server_t *ss)
{
	ss->acc_base = event_base_new();
	if (!ss->acc_base)
		abort();
	ss->acc_stop = event_new(ss->acc_base, -1, 0, sm_ss_acc_stop_cb, ss->acc_base);
	for (int i = 0; i < ss->nlisteners; i++)
		sm_ss_acc_serve(ss, ss->listeners[i]);
	pthread_mutex_lock(&ss->state_lock);
	ss->acc_wake = event_new(ss->acc_base, -1, 0, sm_ss_acc_retry_cb, ss);
	ss->delay_timer = evtimer_new(ss->acc_base, sm_ss_delay_cb, ss);
	pthread_mutex_unlock(&ss->state_lock);
	pthread_mutex_lock(&ss->cmd_lock);
	ss->acc_cmd = event_new(ss->acc_base, -1, 0, sm_ss_acc_cmd_cb, ss);
	pthread_mutex_unlock(&ss->cmd_lock);
	if (pthread_create(&ss->acc_thread, NULL, sm_ss_acc_main, ss) != 0)
		return -1;
	ss->acc_started = 1;
	return 0;
}

/* A processor in slot id, its thread running; NULL when it cannot start. */
static sm_ss_proc_t *sm_ss_proc_start(sm_socket_server_t *ss, int id)
{
	sm_ss_proc_t *p = sm_calloc(1, sizeof(*p));

	sm_ss_proc_init(ss, p, id);
	if (pthread_create(&p->thread, NULL, sm_ss_proc_main, p) != 0) {
		sm_ss_proc_cleanup(p);
		pthread_mutex_destroy(&p->lock);
		free(p);
		return NULL;
	}
	p->started = 1;
	return p;
}

/* Stops p's thread and closes its connections (the caller has taken it out
 * of the acceptor's rotation). */
static void sm_ss_proc_stop(sm_ss_proc_t *p)
{
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	if (p->wake)
		event_active(p->wake, EV_READ, 0);
	pthread_mutex_unlock(&p->lock);
	if (p->started)
		pthread_join(p->thread, NULL);
	p->started = 0;
}

int sm_socket_server_startup(sm_socket_server_t *ss, char *err, size_t errlen)
{
	sm_response_sink_t sink = { sm_ss_sink_send, sm_ss_sink_close, ss };

	pthread_once(&sm_ss_once, sm_ss_global_init);
	if (ss->started) {
		snprintf(err, errlen, "Socket server already started");
		return -1;
	}
	if (ss->nlisteners < 1) {
		snprintf(err, errlen, "Socket server has no listeners");
		return -1;
	}
	if (!ss->ipq) {
		sm_ip_override_t *ov;
		int nov;

		if (sm_ip_overrides_parse(ss->overrides, &ov, &nov, err, errlen) < 0)
			return -1;
		ss->ipq = sm_ip_quotas_new(ss->cfg.max_connections_per_ip, ov, nov);
		free(ov);
	}
	for (int i = 0; i < ss->nlisteners; i++) {
		if (sm_ss_bind(ss, ss->listeners[i], err, errlen) < 0) {
			for (int j = 0; j < i; j++) {
				close(ss->listeners[j]->fd);
				ss->listeners[j]->fd = -1;
			}
			return -1;
		}
	}
	ss->started = 1;
	sm_mempool_set_callback(ss->pool, sm_ss_mem_available, ss);
	for (int i = 0; i < ss->nprocs; i++) {
		sm_ss_proc_t *p = sm_ss_proc_start(ss, i);
		if (!p)
			goto fail;
		__atomic_store_n(&ss->procs[i], p, __ATOMIC_RELEASE);
	}
	sm_request_channel_set_sink(ss->ch, &sink);
	if (sm_ss_start_acceptor(ss) < 0)
		goto fail;
	for (int i = 0; i < ss->nlisteners; i++)
		sm_log_info(ss->comp, SM_SS_LOGGER, "Started data-plane acceptor and "
			    "processor(s) for endpoint : ListenerName(%s) on port %d",
			    ss->listeners[i]->cfg.name, ss->listeners[i]->bound_port);
	sm_log_info(ss->comp, SM_SS_LOGGER, "Started socket server acceptors and processors");
	return 0;
fail:
	snprintf(err, errlen, "Socket server could not start its threads: %s", strerror(errno));
	sm_socket_server_shutdown(ss);
	return -1;
}

int sm_socket_server_add_listener(sm_socket_server_t *ss, const sm_listener_cfg_t *cfg,
				  char *err, size_t errlen)
{
	sm_ss_cmd_t cmd = { 0 };
	sm_ss_listener_t *l;
	int rc = -1;

	SM_ASSERT_ROLE(SM_ROLE_MAIN | SM_ROLE_CONFIG_CHANGE);
	pthread_mutex_lock(&ss->resize_lock);
	if (!ss->started || ss->shut || ss->acc_stopped) {
		snprintf(err, errlen, "Socket server is not accepting connections");
		goto out;
	}
	if (sm_socket_server_bound_port(ss, cfg->name) >= 0) {
		snprintf(err, errlen, "Listener %s already exists", cfg->name);
		goto out;
	}
	l = sm_ss_listener_new(ss, cfg);
	if (sm_ss_bind(ss, l, err, errlen) < 0) {
		free(l);
		goto out;
	}
	cmd.add = l;
	sm_ss_acc_run(ss, &cmd);
	if (!cmd.ok) {
		snprintf(err, errlen, "Listener %s not added: at most %d listeners, or the "
			 "socket server is stopping", cfg->name, SM_SS_MAX_LISTENERS);
		close(l->fd);
		free(l);
		goto out;
	}
	sm_log_info(ss->comp, SM_SS_LOGGER, "Started data-plane acceptor and processor(s) for "
		    "endpoint : ListenerName(%s) on port %d", l->cfg.name, l->bound_port);
	rc = 0;
out:
	pthread_mutex_unlock(&ss->resize_lock);
	return rc;
}

int sm_socket_server_remove_listener(sm_socket_server_t *ss, const char *name)
{
	sm_ss_cmd_t cmd = { 0 };
	int rc = -1;

	SM_ASSERT_ROLE(SM_ROLE_MAIN | SM_ROLE_CONFIG_CHANGE);
	pthread_mutex_lock(&ss->resize_lock);
	if (!ss->started || ss->shut)
		goto out;
	cmd.remove = name;
	sm_ss_acc_run(ss, &cmd);
	if (!cmd.closed)
		goto out;
	/* The acceptor hands it nothing more: every processor now closes the
	 * connections it has on it. */
	for (int i = 0; i < SM_SS_MAX_PROCS; i++) {
		sm_ss_proc_t *p = __atomic_load_n(&ss->procs[i], __ATOMIC_ACQUIRE);
		if (!p)
			continue;
		sm_ss_drop_t *d = sm_calloc(1, sizeof(*d));
		d->listener = cmd.closed;
		pthread_mutex_lock(&p->lock);
		if (!p->stopping) {
			d->next = p->drops;
			p->drops = d;
			event_active(p->wake, EV_READ, 0);
			d = NULL;
		}
		pthread_mutex_unlock(&p->lock);
		free(d);
	}
	cmd.closed->retired_next = ss->retired_listeners;
	ss->retired_listeners = cmd.closed;
	sm_log_info(ss->comp, SM_SS_LOGGER, "Stopped data-plane acceptor and processor(s) for "
		    "endpoint : ListenerName(%s)", name);
	rc = 0;
out:
	pthread_mutex_unlock(&ss->resize_lock);
	return rc;
}

int sm_socket_server_resize_processors(sm_socket_server_t *ss, int n, char *err, size_t errlen)
{
	int rc = -1, old, failed = 0;

	SM_ASSERT_ROLE(SM_ROLE_MAIN | SM_ROLE_CONFIG_CHANGE);
	if (n < 1 || n > SM_SS_MAX_PROCS) {
		snprintf(err, errlen, "num.network.threads must be between 1 and %d", SM_SS_MAX_PROCS);
		return -1;
	}
	pthread_mutex_lock(&ss->resize_lock);
	if (!ss->started || ss->shut) {
		snprintf(err, errlen, "Socket server is not running");
		goto out;
	}
	old = ss->nprocs;
	if (n > old) {
		for (int i = old; i < n; i++) {
			sm_ss_proc_t *p = sm_ss_proc_start(ss, i);
			if (!p) {
				snprintf(err, errlen, "Cannot start processor %d: %s", i,
					 strerror(errno));
				n = i;
				failed = 1;
				break;
			}
			__atomic_store_n(&ss->procs[i], p, __ATOMIC_RELEASE);
		}
		/* published after the slots: the acceptor's rotation grows */
		__atomic_store_n(&ss->nprocs, n, __ATOMIC_RELEASE);
	} else if (n < old) {
		/* Out of the rotation first; a connection the acceptor was
		 * handing to one of them goes to the first processor. */
		__atomic_store_n(&ss->nprocs, n, __ATOMIC_RELEASE);
		for (int i = n; i < old; i++) {
			sm_ss_proc_t *p = ss->procs[i];
			sm_ss_proc_stop(p);
			__atomic_store_n(&ss->procs[i], NULL, __ATOMIC_RELEASE);
			sm_ss_proc_cleanup(p); /* closes its connections, as Kafka does */
			p->retired_next = ss->retired_procs;
			ss->retired_procs = p;
		}
	}
	if (n != old)
		sm_log_info(ss->comp, SM_SS_LOGGER, "Resized the network processors from %d to %d "
			    "(num.network.threads)", old, n);
	rc = failed ? -1 : 0;
out:
	pthread_mutex_unlock(&ss->resize_lock);
	return rc;
}

int sm_socket_server_num_processors(sm_socket_server_t *ss)
{
	return __atomic_load_n(&ss->nprocs, __ATOMIC_ACQUIRE);
}

int sm_socket_server_bound_port(sm_socket_server_t *ss, const char *listener_name)
{
	int n = __atomic_load_n(&ss->nlisteners, __ATOMIC_ACQUIRE);

	for (int i = 0; i < n; i++) {
		sm_ss_listener_t *l = __atomic_load_n(&ss->listeners[i], __ATOMIC_ACQUIRE);
		if (l && !strcasecmp(l->cfg.name, listener_name))
			return l->bound_port > 0 ? l->bound_port : -1;
	}
	return -1;
}

void sm_socket_server_stop_accepting(sm_socket_server_t *ss)
{
	pthread_mutex_lock(&ss->state_lock);
	if (ss->acc_stopped || !ss->started) {
		pthread_mutex_unlock(&ss->state_lock);
		return;
	}
	ss->acc_stopped = 1;
	if (ss->acc_started) {
		event_active(ss->acc_stop, EV_READ, 0);
		pthread_join(ss->acc_thread, NULL);
	}
	for (int i = 0; i < ss->nlisteners; i++)
		if (ss->listeners[i])
			sm_ss_acc_close(ss->listeners[i]);
	if (ss->acc_wake)
		event_free(ss->acc_wake);
	ss->acc_wake = NULL;
	if (ss->delay_timer)
		event_free(ss->delay_timer);
	ss->delay_timer = NULL;
	while (ss->delayed) {
		sm_ss_delayed_t *d = ss->delayed;
		ss->delayed = d->next;
		close(d->fd);
		free(d);
	}
	pthread_mutex_lock(&ss->cmd_lock);
	ss->acc_gone = 1;
	if (ss->acc_cmd)
		event_free(ss->acc_cmd);
	ss->acc_cmd = NULL;
	pthread_mutex_unlock(&ss->cmd_lock);
	if (ss->acc_stop)
		event_free(ss->acc_stop);
	if (ss->acc_base)
		event_base_free(ss->acc_base);
	ss->acc_stop = NULL;
	ss->acc_base = NULL;
	pthread_mutex_unlock(&ss->state_lock);
}

void sm_socket_server_shutdown(sm_socket_server_t *ss)
{
	int n;

	if (!ss->started || ss->shut)
		return;
	/* no listener or processor change runs past this point */
	pthread_mutex_lock(&ss->resize_lock);
	ss->shut = 1;
	pthread_mutex_unlock(&ss->resize_lock);
	sm_log_info(ss->comp, SM_SS_LOGGER, "Shutting down socket server");
	sm_socket_server_stop_accepting(ss);
	/* From here on handlers finishing requests only free them. */
	sm_request_channel_set_sink(ss->ch, NULL);
	n = ss->nprocs;
	for (int i = 0; i < n; i++) {
		sm_ss_proc_t *p = ss->procs[i];
		if (!p || !p->started)
			continue;
		pthread_mutex_lock(&p->lock);
		p->stopping = 1;
		event_active(p->wake, EV_READ, 0);
		pthread_mutex_unlock(&p->lock);
	}
	for (int i = 0; i < n; i++)
		if (ss->procs[i] && ss->procs[i]->started)
			pthread_join(ss->procs[i]->thread, NULL);
	/* Handlers may still free requests (and their grants): no more wakes. */
	sm_mempool_set_callback(ss->pool, NULL, NULL);
	for (int i = 0; i < n; i++)
		if (ss->procs[i])
			sm_ss_proc_cleanup(ss->procs[i]);
	sm_log_info(ss->comp, SM_SS_LOGGER, "Shutdown completed");
}

void sm_socket_server_destroy(sm_socket_server_t *ss)
{
	if (!ss)
		return;
	sm_socket_server_shutdown(ss);
	for (int i = 0; i < SM_SS_MAX_PROCS; i++) {
		if (!ss->procs[i])
			continue;
		pthread_mutex_destroy(&ss->procs[i]->lock);
		free(ss->procs[i]);
	}
	while (ss->retired_procs) {
		sm_ss_proc_t *p = ss->retired_procs;
		ss->retired_procs = p->retired_next;
		pthread_mutex_destroy(&p->lock);
		free(p);
	}
	free(ss->procs);
	for (int i = 0; i < ss->nlisteners; i++)
		free(ss->listeners[i]);
	while (ss->retired_listeners) {
		sm_ss_listener_t *l = ss->retired_listeners;
		ss->retired_listeners = l->retired_next;
		free(l);
	}
	free(ss->overrides);
	sm_ip_quotas_free(ss->ipq);
	sm_ip_rates_free(ss->ip_rates);
	pthread_mutex_destroy(&ss->ip_rates_lock);
	sm_mempool_unref(ss->pool);
	pthread_cond_destroy(&ss->cmd_cond);
	pthread_mutex_destroy(&ss->cmd_lock);
	pthread_mutex_destroy(&ss->resize_lock);
	pthread_mutex_destroy(&ss->state_lock);
	free(ss);
}

void sm_socket_server_stats(sm_socket_server_t *ss, sm_socket_server_stats_t *out)
{
	out->connections_accepted = __atomic_load_n(&ss->stats.connections_accepted, __ATOMIC_RELAXED);
	out->connections_closed = __atomic_load_n(&ss->stats.connections_closed, __ATOMIC_RELAXED);
	out->connections_rejected = __atomic_load_n(&ss->stats.connections_rejected, __ATOMIC_RELAXED);
	out->requests_received = __atomic_load_n(&ss->stats.requests_received, __ATOMIC_RELAXED);
	out->responses_sent = __atomic_load_n(&ss->stats.responses_sent, __ATOMIC_RELAXED);
	out->requests_parked = __atomic_load_n(&ss->stats.requests_parked, __ATOMIC_RELAXED);
	out->requests_inline = __atomic_load_n(&ss->stats.requests_inline, __ATOMIC_RELAXED);
	out->connections_blocked = __atomic_load_n(&ss->stats.connections_blocked, __ATOMIC_RELAXED);
	out->connections_throttled = __atomic_load_n(&ss->stats.connections_throttled,
						     __ATOMIC_RELAXED);
	out->memory_waits = __atomic_load_n(&ss->stats.memory_waits, __ATOMIC_RELAXED);
	out->connections_ip_throttled = __atomic_load_n(&ss->stats.connections_ip_throttled,
							__ATOMIC_RELAXED);
}

int64_t sm_socket_server_queued_bytes(sm_socket_server_t *ss)
{
	return sm_mempool_used(ss->pool);
}
