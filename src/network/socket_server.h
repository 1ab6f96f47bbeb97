/*
 * socket_server.h - the broker's network layer (Kafka's SocketServer with its
 * Acceptor and Processor threads), on libevent.
 *
 * One acceptor thread ("net-acceptor") accepts on every listener and hands
 * sockets round-robin to num.network.threads processor threads
 * ("net-proc-N"), each running its own event_base. A processor reads
 * size-prefixed frames, puts each complete one on the request channel and
 * mutes the connection until that request's response has been written, then
 * writes responses (file fragments with sendfile(2)) as they come back through
 * the channel's response sink.
 *
 * An SSL listener (ssl_ctx set) runs each connection through a libevent
 * OpenSSL bufferevent: the handshake happens before the first frame is read,
 * the peer's principal (tls.h) is taken when it completes and travels with
 * every request, and file fragments are read (pread) into the processor's
 * reused staging chunks as the socket drains and encrypted by SSL_write
 * instead of going out with sendfile; the handler leaves them file
 * references as on plaintext listeners (zero_copy_ok = 1 on both).
 *
 * On a SASL listener (sasl set) the processor runs Kafka's
 * SaslServerAuthenticator state machine before any request reaches a
 * handler: ApiVersions (passed to the handlers) and SaslHandshake first,
 * then SaslAuthenticate requests (handshake v1) or raw size-prefixed tokens
 * (handshake v0); any other request closes the connection. The principal
 * becomes "User:<name>" once the mechanism (sasl.h) accepts the client; a
 * failure is answered with Kafka's error and the connection is closed once
 * the answer is written. Frames larger than sasl.server.max.receive.size
 * (512 KiB) are refused until then.
 *
 * Bounds (Kafka's ConnectionQuotas and request MemoryPool): a frame body is
 * read only after queued.max.request.bytes granted its size (until then the
 * connection is muted and only its 4-byte size prefix has been read); the
 * acceptor closes a connection over max.connections.per.ip at once, holds a
 * connection (stops accepting on that listener) while max.connections or the
 * listener's limit is reached, and delays accepting to keep to
 * max.connection.creation.rate. With more than one listener, the
 * inter-broker listener is exempt from the broker-wide connection count and
 * rate limits, as in Kafka. A connection
 * over its address's connection_creation_rate quota (/config/ips) is closed
 * once the time it would have had to wait has passed (Kafka's delayed
 * close), without being served.
 *
 * Listeners and processors can be added and removed at run time (dynamic
 * `listeners` and num.network.threads); their tables have fixed slots and
 * an entry is freed only by destroy, so the threads that look one up
 * (response sink, memory pool wake-ups) never see it go away.
 *
 * Thread-safety: new/startup/shutdown/destroy are called by the owner thread;
 * bound_port, stats and stop_accepting from any thread after startup.
 */
#ifndef SM_SOCKET_SERVER_H
#define SM_SOCKET_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "connection_quotas.h"
#include "request_channel.h"

/* One entry of the `listeners` config: NAME://host:port. */
typedef struct sm_listener_cfg {
	char name[64];   /* upper-cased listener name, e.g. "PLAINTEXT" */
	char host[256];  /* "" = all interfaces; IPv6 without brackets */
	int port;        /* 0 = ephemeral */
	int max_connections;              /* listener.name.X.max.connections; 0 = none */
	int max_connection_creation_rate; /* listener.name.X.max.connection.creation.rate;
	                                     0 = none */
	void *ssl_ctx;                    /* SSL_CTX of an SSL listener (owned by the
	                                     caller, outlives the server); NULL:
	                                     plaintext */
	const char *principal_rules;      /* ssl.principal.mapping.rules (caller's);
	                                     NULL = DEFAULT */
	const struct sm_sasl_listener *sasl; /* SASL_PLAINTEXT/SASL_SSL listener's
	                                     mechanisms (caller's, outlives the
	                                     server); NULL: no SASL */
} sm_listener_cfg_t;

/* Parses Kafka's listeners syntax `NAME://host:port[,NAME://host:port...]`
 * (whitespace around entries ignored, `[v6addr]` for IPv6 hosts). On success
 * *out is a malloc'd array of *n entries (free() it) and 0 is returned; on
 * error -1 with a message naming the problem in err. */
int sm_listeners_parse(const char *spec, sm_listener_cfg_t **out, int *n,
		       char *err, size_t errlen);

typedef struct sm_socket_server_config {
	int broker_id;                    /* for log lines only */
	const sm_listener_cfg_t *listeners; /* copied by sm_socket_server_new */
	int num_listeners;
	int num_network_threads;          /* num.network.threads */
	int socket_request_max_bytes;     /* socket.request.max.bytes */
	int socket_send_buffer_bytes;     /* -1 = OS default */
	int socket_receive_buffer_bytes;  /* -1 = OS default */
	int64_t connections_max_idle_ms;  /* <= 0 disables idle closing */
	int socket_listen_backlog_size;   /* socket.listen.backlog.size */
	int max_connections;              /* <= 0 = unlimited */
	int max_connections_per_ip;       /* INT32_MAX = unlimited */
	const char *max_connections_per_ip_overrides; /* "host:count,..."; NULL = none */
	int max_connection_creation_rate; /* per second; <= 0 or INT32_MAX = unlimited */
	int64_t queued_max_request_bytes; /* <= 0 = unbounded */
	const char *inter_broker_listener; /* exempt from broker-wide limits when
	                                      there are other listeners; may be NULL */
	const sm_ip_rate_t *ip_rates;     /* /config/ips quotas (copied); may be NULL */
	int num_ip_rates;
} sm_socket_server_config_t;

/* Kafka's defaults for the settings above (no listeners). */
void sm_socket_server_config_defaults(sm_socket_server_config_t *cfg);

typedef struct sm_socket_server sm_socket_server_t;

typedef struct sm_socket_server_stats {
	uint64_t connections_accepted;
	uint64_t connections_closed;
	uint64_t connections_rejected;  /* over max.connections.per.ip */
	uint64_t connections_blocked;   /* accepts held back by max.connections */
	uint64_t connections_throttled; /* accepts delayed by the creation rate */
	uint64_t connections_ip_throttled; /* closed over an address's creation rate */
	uint64_t memory_waits;          /* frames that waited for queued.max.request.bytes */
	uint64_t requests_received;     /* complete frames read */
	uint64_t responses_sent;        /* frames queued to a socket */
	uint64_t requests_parked;       /* frames held back: request queue full */
	uint64_t requests_inline;       /* handled on the processor (run to completion) */
} sm_socket_server_stats_t;

/* ch stays owned by the caller and must outlive the server. */
sm_socket_server_t *sm_socket_server_new(const sm_socket_server_config_t *cfg,
					 sm_request_channel_t *ch);
/* Binds every listener, starts the threads and registers the response sink.
 * Fails on an invalid max.connections.per.ip.overrides.
 * Ignores SIGPIPE process-wide (a peer closing mid-write must not kill the
 * broker). Returns 0, or -1 with a message in err (nothing left running). */
int sm_socket_server_startup(sm_socket_server_t *ss, char *err, size_t errlen);
/* Actual port of a bound listener (useful with port 0), or -1. */
int sm_socket_server_bound_port(sm_socket_server_t *ss, const char *listener_name);
/* Stops the acceptor and closes the listening sockets; existing connections
 * keep being served. Idempotent. */
void sm_socket_server_stop_accepting(sm_socket_server_t *ss);
/* Detaches the response sink, closes every connection and joins all threads.
 * Requests still held by handlers stay valid; finishing them later just frees
 * them. Idempotent. The request channel itself is not shut down. */
void sm_socket_server_shutdown(sm_socket_server_t *ss);
/* Shuts down if needed and frees the server. */
void sm_socket_server_destroy(sm_socket_server_t *ss);
void sm_socket_server_stats(sm_socket_server_t *ss, sm_socket_server_stats_t *out);
/* Sets the connection_creation_rate quota of an address (numeric, as
 * sm_ip_entity_address writes it, or "<default>"); rate < 0 removes it.
 * Any thread (the config manager applies /config/ips changes). */
void sm_socket_server_set_ip_rate(sm_socket_server_t *ss, const char *ip, double rate);

/* New connection limits (dynamic broker configs): max.connections (0: none),
 * max.connections.per.ip and its overrides (as in the config), and
 * max.connection.creation.rate. Connections over a lowered limit stay open;
 * held accepts are retried at once. Any thread, after startup. Returns 0,
 * or -1 with err when the overrides do not parse (nothing changed). */
int sm_socket_server_set_connection_limits(sm_socket_server_t *ss, int32_t max_connections,
					   int32_t per_ip, const char *overrides,
					   int32_t creation_rate, char *err, size_t errlen);
/* A listener's own limits (listener.name.X.max.connections, 0 or INT32_MAX:
 * none, and listener.name.X.max.connection.creation.rate), as
 * sm_socket_server_set_connection_limits does for the broker's. -1 when no
 * listener has that name. Any thread, after startup. */
int sm_socket_server_set_listener_limits(sm_socket_server_t *ss, const char *listener,
					 int32_t max_connections, int32_t creation_rate);
/* Replaces the SSL_CTX of an SSL listener (a keystore reload): new
 * connections use it, open ones keep theirs. The old context stays owned by
 * the caller and must stay valid until the server is destroyed. -1 when no
 * SSL listener has that name. Any thread. */
int sm_socket_server_set_ssl_ctx(sm_socket_server_t *ss, const char *listener, void *ssl_ctx);
/* Dynamic `listeners` (Kafka's SocketServer.addListeners/removeListeners).
 * Called by the config-change thread (or main); the change itself runs on
 * the acceptor thread while the caller waits.
 * add: binds cfg (copied; its ssl_ctx and sasl as in the config, owned by
 * the caller until destroy) and accepts on it; 0, or -1 with err (nothing
 * changed: the name exists, the bind failed, 64 listeners are in use).
 * remove: stops accepting on the listener and has every processor close the
 * connections made through it; -1 when no listener has that name. */
int sm_socket_server_add_listener(sm_socket_server_t *ss, const sm_listener_cfg_t *cfg,
				  char *err, size_t errlen);
int sm_socket_server_remove_listener(sm_socket_server_t *ss, const char *name);
/* num.network.threads at run time (Kafka's resizeThreadPool): new processors
 * join the acceptor's rotation; removed ones (the highest slots) leave it,
 * their threads stop and their connections are closed (clients reconnect).
 * Config-change thread (or main). 0, or -1 with err (n outside 1..1024, or a
 * thread could not start: the processors that did start stay). */
int sm_socket_server_resize_processors(sm_socket_server_t *ss, int n, char *err, size_t errlen);
int sm_socket_server_num_processors(sm_socket_server_t *ss);
/* Request bytes currently granted by queued.max.request.bytes. */
int64_t sm_socket_server_queued_bytes(sm_socket_server_t *ss);

#endif /* SM_SOCKET_SERVER_H */
