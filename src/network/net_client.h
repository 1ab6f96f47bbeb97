/*
 * net_client.h - a small blocking Kafka protocol client over one TCP
 * connection: the role Kafka's NetworkClient plays for the controller's
 * request send threads (and, in Samsa, for tests and tools), reduced to one
 * request in flight at a time.
 *
 * A request is framed as int32 size + request header + body. Header v1 is
 * api_key, api_version, correlation_id, client_id (int16-length string);
 * v2 adds an empty tagged-field section and is used for flexible versions;
 * v0 (ControlledShutdown v0 only) has no client_id. The response header is
 * v0 (correlation_id) or v1 (plus tagged fields); the correlation id is
 * checked and the header stripped, so callers see only the response body.
 *
 * Any failure closes the connection; the next request reconnects. Waits can
 * be cut short from another thread through a cancel fd (see
 * sm_net_client_set_cancel_fd).
 *
 * Errors: SM_ERR_NETWORK_EXCEPTION (resolve/connect/send/receive failure or
 * peer closed), SM_ERR_REQUEST_TIMED_OUT (deadline passed), SM_ERR__PARSE
 * (bad frame size, correlation id mismatch, bad response header),
 * SM_ERR__STATE (cancelled).
 *
 * Thread-safety: a client belongs to one thread at a time; only the cancel
 * fd is meant to be written from elsewhere.
 */
#ifndef SM_NET_CLIENT_H
#define SM_NET_CLIENT_H

#include <stdint.h>

#include "buf.h"
#include "err.h"

typedef struct sm_net_client sm_net_client_t;

/* Largest response frame accepted (a sanity bound against garbage sizes). */
#define SM_NET_CLIENT_MAX_RESPONSE (256 * 1024 * 1024)

/* Does not connect yet: the first request (or sm_net_client_connect) does. */
sm_net_client_t *sm_net_client_new(const char *host, int port);
void sm_net_client_destroy(sm_net_client_t *c);

/* client_id sent in request headers v1/v2; NULL sends a null string.
 * The default is "samsa". */
void sm_net_client_set_client_id(sm_net_client_t *c, const char *client_id);

/* While fd is readable every wait returns SM_ERR__STATE at once. The client
 * never reads or closes fd; -1 (the default) disables this. */
void sm_net_client_set_cancel_fd(sm_net_client_t *c, int fd);

/* Connects over TLS from now on when the inter-broker listener's protocol
 * is SSL (the context tls.c holds); plaintext otherwise. */
void sm_net_client_use_interbroker_tls(sm_net_client_t *c);
/* Authenticates every new connection with SASL (mech: a sasl.h bit) before
 * its first request: SaslHandshake v1, then SaslAuthenticate v1. The
 * inter-broker call above does this too when the inter-broker listener is
 * SASL_PLAINTEXT or SASL_SSL (sasl.mechanism.inter.broker.protocol and the
 * listener's JAAS username/password). A refusal fails the connect with
 * SASL_AUTHENTICATION_FAILED (or the handshake's error) and the reason. */
void sm_net_client_use_sasl(sm_net_client_t *c, int mech, const char *user, const char *password);

/* Connects if not connected. Returns 0 or an sm_err_t. */
int sm_net_client_connect(sm_net_client_t *c, int timeout_ms);
int sm_net_client_is_connected(const sm_net_client_t *c);
void sm_net_client_close(sm_net_client_t *c);

/* A description of the last failure ("connect to h:9092: Connection
 * refused"), for log lines. Valid until the next call on c. */
const char *sm_net_client_last_error(const sm_net_client_t *c);

/*
 * Sends one request and waits for its response, all within timeout_ms
 * (connecting first if needed). flexible_header selects request header v2
 * and response header v1 (except for ApiVersions, whose response header is
 * always v0), else v1 / v0. On success resp_body_out is reset and receives
 * the response body. Returns 0 or an sm_err_t.
 */
int sm_net_client_request(sm_net_client_t *c, int16_t api_key, int16_t api_version,
			  const sm_wbuf_t *body, int flexible_header, sm_wbuf_t *resp_body_out,
			  int timeout_ms);

/* The same with explicit header versions: req_hdr_ver 0/1/2, resp_hdr_ver
 * 0/1. */
int sm_net_client_request_hdr(sm_net_client_t *c, int16_t api_key, int16_t api_version,
			      const sm_wbuf_t *body, int req_hdr_ver, int resp_hdr_ver,
			      sm_wbuf_t *resp_body_out, int timeout_ms);

#endif /* SM_NET_CLIENT_H */
