/*
 * net_client.c - blocking Kafka protocol client (see net_client.h).
 *
 * The socket stays non-blocking and every wait is a poll(2) on the socket
 * and the optional cancel fd, bounded by one deadline per call, so a dead
 * peer or an unroutable address never blocks a thread past its timeout.
 *
 * With TLS (the inter-broker listener's protocol is SSL) the same waits
 * drive OpenSSL on the non-blocking socket: the handshake right after the
 * TCP connect, SSL_write/SSL_read afterwards (WANT_READ/WANT_WRITE become
 * polls). The leader's certificate is verified against the truststore, and
 * its name against the host when ssl.endpoint.identification.algorithm is
 * https.
 *
 * Thread-safety: one thread at a time per client.
 */
#include "net_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "clock.h"
#include "tls.h"
#include "sasl.h"
#include "protocol.h"
#include "msg_sasl_authenticate.h"
#include "msg_sasl_handshake.h"

#define SM_NET_CLIENT_API_VERSIONS 18

struct sm_net_client {
	char *host;
	int port;
	char *client_id;
	int fd;
	int cancel_fd;
	int32_t next_corr_id;
	char errstr[512];
	SSL_CTX *tls_ctx;  /* NULL: plaintext */
	int verify_host;
	SSL *ssl;          /* the connection's, while connected over TLS */
	int sasl_mech;     /* SASL mechanism bit (sasl.h); 0: none */
	char *sasl_user;
	char *sasl_password;
};

sm_net_client_t *sm_net_client_new(const char *host, int port)
{
	sm_net_client_t *c = sm_calloc(1, sizeof(*c));
	c->host = sm_strdup(host);
	c->port = port;
	c->client_id = sm_strdup("samsa");
	c->fd = -1;
	c->cancel_fd = -1;
	return c;
}

void sm_net_client_destroy(sm_net_client_t *c)
{
	if (!c)
		return;
	sm_net_client_close(c);
	free(c->sasl_user);
	free(c->sasl_password);
	free(c->host);
	free(c->client_id);
	free(c);
}

void sm_net_client_set_client_id(sm_net_client_t *c, const char *client_id)
{
	free(c->client_id);
	c->client_id = client_id ? sm_strdup(client_id) : NULL;
}

void sm_net_client_set_cancel_fd(sm_net_client_t *c, int fd)
{
	c->cancel_fd = fd;
}

int sm_net_client_is_connected(const sm_net_client_t *c)
{
	return c->fd >= 0;
}

void sm_net_client_use_interbroker_tls(sm_net_client_t *c)
{
	const char *user, *password;

	c->tls_ctx = sm_tls_interbroker_ctx(&c->verify_host);
	c->sasl_mech = sm_sasl_interbroker(&user, &password);
	if (c->sasl_mech)
		sm_net_client_use_sasl(c, c->sasl_mech, user, password);
}

void sm_net_client_use_sasl(sm_net_client_t *c, int mech, const char *user, const char *password)
{
	free(c->sasl_user);
	free(c->sasl_password);
	c->sasl_mech = mech;
	c->sasl_user = user ? sm_strdup(user) : NULL;
	c->sasl_password = password ? sm_strdup(password) : NULL;
}

void sm_net_client_close(sm_net_client_t *c)
{
	if (c->ssl) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
}

const char *sm_net_client_last_error(const sm_net_client_t *c)
{
	return c->errstr;
}

/* Records why the call failed, closes the connection, returns err. */
static int sm_net_client_fail(sm_net_client_t *c, int err, const char *what, int sys_errno)
{
	if (sys_errno)
		snprintf(c->errstr, sizeof(c->errstr), "%s %s:%d: %s", what, c->host, c->port,
			 strerror(sys_errno));
	else
		snprintf(c->errstr, sizeof(c->errstr), "%s %s:%d", what, c->host, c->port);
	sm_net_client_close(c);
	return err;
}

/* Waits for events on fd until the deadline. Returns 0 when ready, else an
 * sm_err_t (timeout, cancel, poll failure). */
static int sm_net_client_wait(sm_net_client_t *c, int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd[2] = { { fd, events, 0 }, { c->cancel_fd, POLLIN, 0 } };
		int64_t left = deadline - sm_clock_mono_ms();
		if (left <= 0)
			return SM_ERR_REQUEST_TIMED_OUT;
		int n = poll(pfd, c->cancel_fd >= 0 ? 2 : 1, (int)(left > 1000000 ? 1000000 : left));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return SM_ERR_NETWORK_EXCEPTION;
		if (c->cancel_fd >= 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			return SM_ERR__STATE;
		if (pfd[0].revents)
			return 0;
	}
}

/* One non-blocking connect attempt to ai, within the deadline. */
static int sm_net_client_try_addr(sm_net_client_t *c, const struct addrinfo *ai, int64_t deadline)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			ai->ai_protocol);
	if (fd < 0)
		return sm_net_client_fail(c, SM_ERR_NETWORK_EXCEPTION, "socket for", errno);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			int e = errno;
			close(fd);
			return sm_net_client_fail(c, SM_ERR_NETWORK_EXCEPTION, "connect to", e);
		}
		int err = sm_net_client_wait(c, fd, POLLOUT, deadline);
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (!err && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (err || soerr) {
			close(fd);
			if (err)
				return sm_net_client_fail(c, err, err == SM_ERR__STATE ?
							  "cancelled connect to" :
							  "timed out connecting to", 0);
			return sm_net_client_fail(c, SM_ERR_NETWORK_EXCEPTION, "connect to", soerr);
		}
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	return 0;
}

/* Waits for what the last SSL call on c asked for. 0: retry it. */
static int sm_net_client_tls_wait(sm_net_client_t *c, int rc, int64_t deadline, const char *what)
{
	int e = SSL_get_error(c->ssl, rc);
	int err;
	char reason[300];

	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		err = sm_net_client_wait(c, c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
					 deadline);
		if (!err)
			return 0;
		snprintf(reason, sizeof(reason), "%s %s", err == SM_ERR__STATE ? "cancelled" : "timed out", what);
		return sm_net_client_fail(c, err, reason, 0);
	}
	if (e == SSL_ERROR_ZERO_RETURN)
		return sm_net_client_fail(c, SM_ERR_NETWORK_EXCEPTION, "connection closed by", 0);
	if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
		return sm_net_client_fail(c, SM_ERR_NETWORK_EXCEPTION, what, errno ? errno : ECONNRESET);
	sm_tls_errors(reason, sizeof(reason));
	long vr = SSL_get_verify_result(c->ssl);
	char msg[400];
	snprintf(msg, sizeof(msg), "%s (%s%s%s)", what, reason, vr != X509_V_OK ? ": " : "",
		 vr != X509_V_OK ? X509_verify_cert_error_string(vr) : "");
	return sm_net_client_fail(c, SM_ERR_NETWORK_EXCEPTION, msg, 0);
}

static int sm_net_client_tls_handshake(sm_net_client_t *c, int64_t deadline)
{
	struct in6_addr a6;
	struct in_addr a4;
	int ip = inet_pton(AF_INET, c->host, &a4) == 1 || inet_pton(AF_INET6, c->host, &a6) == 1;

	c->ssl = SSL_new(c->tls_ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
		return sm_net_client_fail(c, SM_ERR_NETWORK_EXCEPTION, "SSL setup for", 0);
	if (!ip)
		SSL_set_tlsext_host_name(c->ssl, c->host);
	if (c->verify_host) {
		/* Kafka's https endpoint identification: the certificate must
		 * name the address connected to (an IP SAN for an IP). */
		int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), c->host)
			    : SSL_set1_host(c->ssl, c->host);
		if (ok != 1)
			return sm_net_client_fail(c, SM_ERR_NETWORK_EXCEPTION, "SSL host check setup for", 0);
	}
	ERR_clear_error();
	for (;;) {
		int rc = SSL_connect(c->ssl);
		if (rc == 1)
			return 0;
		int err = sm_net_client_tls_wait(c, rc, deadline, "SSL handshake with");
		if (err)
			return err;
	}
}

static int sm_net_client_sasl(sm_net_client_t *c, int64_t deadline);

int sm_net_client_connect(sm_net_client_t *c, int timeout_ms)
{
	struct addrinfo hints, *res = NULL;
	char port[16];
	int64_t deadline = sm_clock_mono_ms() + timeout_ms;
	int err = SM_ERR_NETWORK_EXCEPTION;

	if (c->fd >= 0)
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", c->port);
	int rc = getaddrinfo(c->host, port, &hints, &res);
	if (rc != 0) {
		snprintf(c->errstr, sizeof(c->errstr), "resolve %s: %s", c->host, gai_strerror(rc));
		return SM_ERR_NETWORK_EXCEPTION;
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		err = sm_net_client_try_addr(c, ai, deadline);
		if (!err || err == SM_ERR__STATE || err == SM_ERR_REQUEST_TIMED_OUT)
			break;
	}
	freeaddrinfo(res);
	if (!err && c->tls_ctx)
		err = sm_net_client_tls_handshake(c, deadline);
	if (!err && c->sasl_mech)
		err = sm_net_client_sasl(c, deadline);
	return err;
}

static int sm_net_client_send_all(sm_net_client_t *c, struct iovec *iov, int iovcnt,
				  int64_t deadline)
{
	while (c->ssl && iovcnt > 0) {
		if (iov->iov_len == 0) {
			iov++;
			iovcnt--;
			continue;
		}
		ERR_clear_error();
		int n = SSL_write(c->ssl, iov->iov_base,
				  (int)(iov->iov_len > INT32_MAX ? INT32_MAX : iov->iov_len));
		if (n <= 0) {
			int err = sm_net_client_tls_wait(c, n, deadline, "send to");
			if (err)
				return err;
			continue;
		}
		iov->iov_base = (uint8_t *)iov->iov_base + n;
		iov->iov_len -= (size_t)n;
	}
	while (iovcnt > 0) {
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)iovcnt };
		ssize_t n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return sm_net_client_fail(c, SM_ERR_NETWORK_EXCEPTION, "send to", errno);
			int err = sm_net_client_wait(c, c->fd, POLLOUT, deadline);
			if (err)
				return sm_net_client_fail(c, err, "send wait for", 0);
			continue;
		}
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

static int sm_net_client_recv_all(sm_net_client_t *c, uint8_t *p, size_t len, int64_t deadline)
{
	while (c->ssl && len > 0) {
		ERR_clear_error();
		int n = SSL_read(c->ssl, p, (int)(len > INT32_MAX ? INT32_MAX : len));
		if (n <= 0) {
			int err = sm_net_client_tls_wait(c, n, deadline, "receive from");
			if (err)
				return err;
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
	while (len > 0) {
		ssize_t n = recv(c->fd, p, len, 0);
		if (n == 0)
			return sm_net_client_fail(c, SM_ERR_NETWORK_EXCEPTION,
						  "connection closed by", 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return sm_net_client_fail(c, SM_ERR_NETWORK_EXCEPTION, "receive from",
							  errno);
			int err = sm_net_client_wait(c, c->fd, POLLIN, deadline);
			if (err)
				return sm_net_client_fail(c, err, "receive wait for", 0);
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Size prefix + request header into hdr; returns the correlation id. */
static int32_t sm_net_client_header(sm_net_client_t *c, sm_wbuf_t *hdr, int16_t api_key,
				    int16_t api_version, int req_hdr_ver, size_t body_len)
{
	int32_t corr = c->next_corr_id++;
	if (c->next_corr_id < 0)
		c->next_corr_id = 0;
	size_t at = sm_wbuf_reserve(hdr, 4);
	sm_wbuf_i16(hdr, api_key);
	sm_wbuf_i16(hdr, api_version);
	sm_wbuf_i32(hdr, corr);
	if (req_hdr_ver >= 1)
		sm_wbuf_str(hdr, c->client_id, 0); /* never compact, even in v2 */
	if (req_hdr_ver >= 2)
		sm_wbuf_tags_empty(hdr);
	sm_wbuf_patch_i32(hdr, at, (int32_t)(hdr->len - 4 + body_len));
	return corr;
}

/* Reads one response frame and strips its header into out. */
static int sm_net_client_response(sm_net_client_t *c, int32_t corr, int resp_hdr_ver,
				  sm_wbuf_t *out, int64_t deadline)
{
	uint8_t szb[4];
	int err = sm_net_client_recv_all(c, szb, 4, deadline);
	if (err)
		return err;
	int32_t size = (int32_t)sm_be32(szb);
	if (size < 4 || size > SM_NET_CLIENT_MAX_RESPONSE)
		return sm_net_client_fail(c, SM_ERR__PARSE, "bad response size from", 0);
	uint8_t *frame = sm_malloc((size_t)size);
	err = sm_net_client_recv_all(c, frame, (size_t)size, deadline);
	if (err) {
		free(frame);
		return err;
	}
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, frame, (size_t)size);
	int32_t got = sm_rbuf_i32(&rb);
	if (resp_hdr_ver >= 1)
		sm_rbuf_skip_tags(&rb);
	if (rb.err || got != corr) {
		free(frame);
		return sm_net_client_fail(c, SM_ERR__PARSE, rb.err ? "bad response header from" :
					  "correlation id mismatch from", 0);
	}
	sm_wbuf_reset(out);
	sm_wbuf_append(out, frame + rb.pos, rb.len - rb.pos);
	free(frame);
	return 0;
}

int sm_net_client_request_hdr(sm_net_client_t *c, int16_t api_key, int16_t api_version,
			      const sm_wbuf_t *body, int req_hdr_ver, int resp_hdr_ver,
			      sm_wbuf_t *resp_body_out, int timeout_ms)
{
	int64_t deadline = sm_clock_mono_ms() + timeout_ms;
	uint8_t *flat = NULL;
	const uint8_t *bp = body ? body->p : NULL;
	size_t blen = body ? body->len : 0;
	sm_wbuf_t hdr;
	int err;

	err = sm_net_client_connect(c, timeout_ms);
	if (err)
		return err;
	if (body && body->nfrags > 0) {
		flat = sm_wbuf_flatten(body, &blen);
		if (!flat)
			return sm_net_client_fail(c, SM_ERR__IO, "reading request body for", 0);
		bp = flat;
	}
	sm_wbuf_init(&hdr, 64);
	int32_t corr = sm_net_client_header(c, &hdr, api_key, api_version, req_hdr_ver, blen);
	struct iovec iov[2] = { { hdr.p, hdr.len }, { (void *)bp, blen } };
	err = sm_net_client_send_all(c, iov, blen ? 2 : 1, deadline);
	sm_wbuf_free(&hdr);
	free(flat);
	if (err)
		return err;
	return sm_net_client_response(c, corr, resp_hdr_ver, resp_body_out, deadline);
}

int sm_net_client_request(sm_net_client_t *c, int16_t api_key, int16_t api_version,
			  const sm_wbuf_t *body, int flexible_header, sm_wbuf_t *resp_body_out,
			  int timeout_ms)
{
	int resp_hdr_ver = flexible_header && api_key != SM_NET_CLIENT_API_VERSIONS;
	return sm_net_client_request_hdr(c, api_key, api_version, body, flexible_header ? 2 : 1,
					 resp_hdr_ver, resp_body_out, timeout_ms);
}

/* SASL on a fresh connection: SaslHandshake v1, then SaslAuthenticate v1
 * requests until the mechanism is done (Kafka's SaslClientAuthenticator). */
static int sm_net_client_sasl(sm_net_client_t *c, int64_t deadline)
{
	const char *mech = sm_sasl_mech_name(c->sasl_mech);
	sm_wbuf_t body, resp;
	sm_arena_t a;
	sm_rbuf_t rb;
	int err = 0;
	char why[256];

	if (!c->sasl_user || !c->sasl_password)
		return sm_net_client_fail(c, SM_ERR_SASL_AUTHENTICATION_FAILED,
					  "no SASL username/password for", 0);
	sm_wbuf_init(&body, 64);
	sm_wbuf_init(&resp, 256);
	sm_arena_init(&a);
	sm_sasl_handshake_req_t hreq = { .mechanism = (char *)mech };
	sm_sasl_handshake_req_write(&body, 1, &hreq);
	int64_t left = deadline - sm_clock_mono_ms();
	err = sm_net_client_request(c, SM_API_SASL_HANDSHAKE, 1, &body, 0, &resp,
				    left > 0 ? (int)left : 1);
	if (!err) {
		sm_sasl_handshake_resp_t hresp;
		sm_rbuf_init(&rb, resp.p, resp.len);
		if (sm_sasl_handshake_resp_read(&rb, 1, &a, &hresp))
			err = sm_net_client_fail(c, SM_ERR__PARSE, "bad SaslHandshake response from", 0);
		else if (hresp.error_code) {
			snprintf(why, sizeof(why), "SASL mechanism %s refused (%s) by", mech,
				 sm_err_name(hresp.error_code));
			err = sm_net_client_fail(c, hresp.error_code, why, 0);
		}
	}
	sm_sasl_client_t *sc = err ? NULL : sm_sasl_client_new(c->sasl_mech, c->sasl_user,
								c->sasl_password);
	uint8_t *in = NULL;
	size_t inlen = 0;
	while (sc) {
		uint8_t *out = NULL;
		size_t outlen = 0;
		int rc = sm_sasl_client_step(sc, in, inlen, &out, &outlen, why, sizeof(why));
		free(in);
		in = NULL;
		if (rc == SM_SASL_DONE)
			break;
		if (rc == SM_SASL_FAIL) {
			char what[300];
			snprintf(what, sizeof(what), "SASL %s: %s with", mech, why);
			err = sm_net_client_fail(c, SM_ERR_SASL_AUTHENTICATION_FAILED, what, 0);
			break;
		}
		sm_wbuf_reset(&body);
		sm_sasl_authenticate_req_t areq = { .auth_bytes = { out, (int32_t)outlen } };
		sm_sasl_authenticate_req_write(&body, 1, &areq);
		free(out);
		left = deadline - sm_clock_mono_ms();
		err = sm_net_client_request(c, SM_API_SASL_AUTHENTICATE, 1, &body, 0, &resp,
					    left > 0 ? (int)left : 1);
		if (err)
			break;
		sm_sasl_authenticate_resp_t aresp;
		sm_rbuf_init(&rb, resp.p, resp.len);
		if (sm_sasl_authenticate_resp_read(&rb, 1, &a, &aresp) || aresp.auth_bytes.len < 0) {
			err = sm_net_client_fail(c, SM_ERR__PARSE, "bad SaslAuthenticate response from", 0);
			break;
		}
		if (aresp.error_code) {
			char what[400];
			snprintf(what, sizeof(what), "SASL authentication (%s: %.200s) failed with",
				 sm_err_name(aresp.error_code),
				 aresp.error_message ? aresp.error_message : "");
			err = sm_net_client_fail(c, aresp.error_code, what, 0);
			break;
		}
		inlen = (size_t)aresp.auth_bytes.len;
		in = sm_malloc(inlen + 1);
		if (inlen)
			memcpy(in, aresp.auth_bytes.ptr, inlen);
	}
	free(in);
	sm_sasl_client_free(sc);
	sm_arena_destroy(&a);
	sm_wbuf_free(&body);
	sm_wbuf_free(&resp);
	return err;
}
