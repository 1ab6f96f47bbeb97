/*
 * test_controller_channel.c - unit tests of the blocking protocol client
 * (net_client) and the controller-to-broker channel, against a tiny Kafka-ish
 * TCP server running in a thread of the test: it parses each request frame
 * and header, records them, and answers (or misbehaves on purpose).
 */
#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../network/tcp_peer.h"
#include "buf.h"
#include "clock.h"
#include "controller_channel.h"
#include "err.h"
#include "logger.h"
#include "net_client.h"

/* ---- the test server ---- */

enum { SRV_ECHO, SRV_SILENT, SRV_CLOSE_FIRST, SRV_BAD_CORR };

#define SRV_MAX 256

typedef struct srv_req {
	int16_t api_key, api_version;
	int32_t corr;
	char client_id[32];
	int hdr_ok; /* header version matched what the key/version require */
	uint8_t body[64];
	size_t body_len;
} srv_req_t;

typedef struct srv {
	tp_peer_t peer; /* peer.lock also guards nreq and reqs */
	atomic_int mode;
	int nreq;
	srv_req_t reqs[SRV_MAX];
} srv_t;

static int req_flexible(int16_t key, int16_t ver)
{
	return (key == 4 && ver >= 4) || (key == 5 && ver >= 2) || (key == 6 && ver >= 6) ||
	       (key == 18 && ver >= 3);
}

/* Parses and records one request frame; returns its index or -1. */
static int srv_read_request(srv_t *s, int fd)
{
	uint32_t size;
	uint8_t *frame = tp_read_frame(&s->peer.stop, fd, &size);
	if (!frame)
		return -1;
	srv_req_t q;
	memset(&q, 0, sizeof(q));
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, frame, size);
	q.api_key = sm_rbuf_i16(&rb);
	q.api_version = sm_rbuf_i16(&rb);
	q.corr = sm_rbuf_i32(&rb);
	int16_t cl = sm_rbuf_i16(&rb);
	const uint8_t *cp = sm_rbuf_raw(&rb, cl > 0 ? (size_t)cl : 0);
	if (cp && cl > 0 && cl < (int)sizeof(q.client_id))
		memcpy(q.client_id, cp, (size_t)cl);
	q.hdr_ok = !rb.err;
	if (req_flexible(q.api_key, q.api_version))
		q.hdr_ok = q.hdr_ok && sm_rbuf_i8(&rb) == 0 && !rb.err;
	q.body_len = sm_rbuf_remaining(&rb);
	if (q.body_len > sizeof(q.body))
		q.body_len = sizeof(q.body);
	memcpy(q.body, frame + rb.pos, q.body_len);
	free(frame);
	pthread_mutex_lock(&s->peer.lock);
	int idx = s->nreq < SRV_MAX ? s->nreq++ : -1;
	if (idx >= 0)
		s->reqs[idx] = q;
	pthread_mutex_unlock(&s->peer.lock);
	return idx;
}

/* Answers with "R:" + the request body. */
static void srv_respond(srv_t *s, int fd, const srv_req_t *q)
{
	sm_wbuf_t w;
	sm_wbuf_init(&w, 64);
	size_t at = sm_wbuf_reserve(&w, 4);
	sm_wbuf_i32(&w, atomic_load(&s->mode) == SRV_BAD_CORR ? q->corr + 1 : q->corr);
	if (req_flexible(q->api_key, q->api_version) && q->api_key != 18)
		sm_wbuf_i8(&w, 0);
	sm_wbuf_append(&w, "R:", 2);
	sm_wbuf_append(&w, q->body, q->body_len);
	sm_wbuf_patch_i32(&w, at, (int32_t)(w.len - 4));
	ssize_t n = send(fd, w.p, w.len, MSG_NOSIGNAL);
	(void)n;
	sm_wbuf_free(&w);
}

static void srv_serve_conn(srv_t *s, int fd)
{
	for (;;) {
		int idx = srv_read_request(s, fd);
		if (idx < 0)
			return;
		int mode = atomic_load(&s->mode);
		if (mode == SRV_SILENT)
			continue;
		if (mode == SRV_CLOSE_FIRST && idx == 0)
			return;
		srv_req_t q;
		pthread_mutex_lock(&s->peer.lock);
		q = s->reqs[idx];
		pthread_mutex_unlock(&s->peer.lock);
		srv_respond(s, fd, &q);
	}
}

static void srv_conn(void *arg, int fd)
{
	srv_serve_conn(arg, fd);
}

static srv_t *srv_start(int mode)
{
	srv_t *s = calloc(1, sizeof(*s));
	atomic_init(&s->mode, mode);
	tp_peer_start(&s->peer, srv_conn, s);
	return s;
}

static void srv_stop(srv_t *s)
{
	tp_peer_stop(&s->peer);
	free(s);
}

static int srv_count(srv_t *s, int *nconn)
{
	pthread_mutex_lock(&s->peer.lock);
	int n = s->nreq;
	if (nconn)
		*nconn = s->peer.nconn;
	pthread_mutex_unlock(&s->peer.lock);
	return n;
}

/* A port nothing listens on (bound, then released). */
static int closed_port(void)
{
	int port;
	close(tp_listen(&port));
	return port;
}

/* ---- callback sink ---- */

typedef struct sink_ent {
	int32_t broker_id;
	int16_t api_key, api_version;
	sm_err_t err;
	char body[80];
	size_t len;
	long opaque;
} sink_ent_t;

static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static sink_ent_t sink[SRV_MAX];
static int sink_n;

static void sink_reset(void)
{
	pthread_mutex_lock(&sink_lock);
	sink_n = 0;
	pthread_mutex_unlock(&sink_lock);
}

static int sink_count(void)
{
	pthread_mutex_lock(&sink_lock);
	int n = sink_n;
	pthread_mutex_unlock(&sink_lock);
	return n;
}

static void sink_cb(void *opaque, int32_t broker_id, int16_t api_key, int16_t api_version,
		    sm_err_t err, const uint8_t *resp, size_t len)
{
	pthread_mutex_lock(&sink_lock);
	if (sink_n < SRV_MAX) {
		sink_ent_t *e = &sink[sink_n++];
		e->broker_id = broker_id;
		e->api_key = api_key;
		e->api_version = api_version;
		e->err = err;
		e->len = len;
		if (len)
			memcpy(e->body, resp, len < sizeof(e->body) ? len : sizeof(e->body));
		e->opaque = (long)(intptr_t)opaque;
	}
	pthread_mutex_unlock(&sink_lock);
}

/* An opaque that must be freed exactly once, whatever happens. */
static void free_cb(void *opaque, int32_t broker_id, int16_t api_key, int16_t api_version,
		    sm_err_t err, const uint8_t *resp, size_t len)
{
	sink_cb(NULL, broker_id, api_key, api_version, err, resp, len);
	free(opaque);
}

static int sink_has(void *arg)
{
	return sink_count() >= (int)(intptr_t)arg;
}

static int srv_has(void *arg)
{
	srv_t **sp = arg;
	return srv_count(sp[0], NULL) >= 1;
}

static void body_of(sm_wbuf_t *w, const char *s)
{
	sm_wbuf_init(w, 16);
	sm_wbuf_append(w, s, strlen(s));
}

/* ---- net_client ---- */

static void test_net_client_request(void)
{
	srv_t *s = srv_start(SRV_ECHO);
	sm_net_client_t *c = sm_net_client_new("127.0.0.1", s->peer.port);
	sm_wbuf_t body, resp;

	sm_net_client_set_client_id(c, "tester");
	sm_wbuf_init(&resp, 16);
	body_of(&body, "hello");
	/* Flexible UpdateMetadata v6: request header v2, response header v1. */
	CU_ASSERT_EQUAL(sm_net_client_request(c, 6, 6, &body, 1, &resp, 2000), 0);
	CU_ASSERT(resp.len == 7 && memcmp(resp.p, "R:hello", 7) == 0);
	/* ApiVersions v3: header v2 out, but the response header is v0. */
	CU_ASSERT_EQUAL(sm_net_client_request(c, 18, 3, &body, 1, &resp, 2000), 0);
	CU_ASSERT(resp.len == 7 && memcmp(resp.p, "R:hello", 7) == 0);
	/* Classic StopReplica v0 with an empty body. */
	CU_ASSERT_EQUAL(sm_net_client_request(c, 5, 0, NULL, 0, &resp, 2000), 0);
	CU_ASSERT(resp.len == 2 && memcmp(resp.p, "R:", 2) == 0);
	int nconn;
	CU_ASSERT_EQUAL_FATAL(srv_count(s, &nconn), 3);
	CU_ASSERT_EQUAL(nconn, 1);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT(s->reqs[i].hdr_ok);
		CU_ASSERT_STRING_EQUAL(s->reqs[i].client_id, "tester");
		CU_ASSERT_EQUAL(s->reqs[i].corr, s->reqs[0].corr + i);
	}
	CU_ASSERT_EQUAL(s->reqs[1].api_key, 18);
	CU_ASSERT_EQUAL(s->reqs[1].api_version, 3);
	CU_ASSERT(s->reqs[0].body_len == 5 && memcmp(s->reqs[0].body, "hello", 5) == 0);
	sm_wbuf_free(&body);
	sm_wbuf_free(&resp);
	sm_net_client_destroy(c);
	srv_stop(s);
}

static void test_net_client_errors(void)
{
	sm_wbuf_t body, resp;
	sm_wbuf_init(&resp, 16);
	body_of(&body, "x");

	/* Nothing listening. */
	sm_net_client_t *c = sm_net_client_new("127.0.0.1", closed_port());
	CU_ASSERT_EQUAL(sm_net_client_request(c, 6, 0, &body, 0, &resp, 1000),
			SM_ERR_NETWORK_EXCEPTION);
	CU_ASSERT_PTR_NOT_NULL(strstr(sm_net_client_last_error(c), "refused"));
	sm_net_client_destroy(c);

	/* Unresolvable host. */
	c = sm_net_client_new("no-such-host.invalid", 9092);
	CU_ASSERT_EQUAL(sm_net_client_connect(c, 1000), SM_ERR_NETWORK_EXCEPTION);
	sm_net_client_destroy(c);

	/* A peer that never answers: the deadline holds. */
	srv_t *s = srv_start(SRV_SILENT);
	c = sm_net_client_new("127.0.0.1", s->peer.port);
	int64_t t0 = sm_clock_mono_ms();
	CU_ASSERT_EQUAL(sm_net_client_request(c, 6, 0, &body, 0, &resp, 150),
			SM_ERR_REQUEST_TIMED_OUT);
	CU_ASSERT(sm_clock_mono_ms() - t0 < 1000);
	CU_ASSERT_FALSE(sm_net_client_is_connected(c));

	/* A wrong correlation id is a parse error and drops the connection;
	 * the next request reconnects. */
	atomic_store(&s->mode, SRV_BAD_CORR);
	CU_ASSERT_EQUAL(sm_net_client_request(c, 6, 0, &body, 0, &resp, 2000), SM_ERR__PARSE);
	CU_ASSERT_FALSE(sm_net_client_is_connected(c));
	atomic_store(&s->mode, SRV_ECHO);
	CU_ASSERT_EQUAL(sm_net_client_request(c, 6, 0, &body, 0, &resp, 2000), 0);
	CU_ASSERT(resp.len == 3 && memcmp(resp.p, "R:x", 3) == 0);

	/* A readable cancel fd cuts a wait short. */
	int pfd[2];
	CU_ASSERT_EQUAL_FATAL(pipe(pfd), 0);
	atomic_store(&s->mode, SRV_SILENT);
	sm_net_client_set_cancel_fd(c, pfd[0]);
	CU_ASSERT_EQUAL(write(pfd[1], "x", 1), 1);
	t0 = sm_clock_mono_ms();
	CU_ASSERT_EQUAL(sm_net_client_request(c, 6, 0, &body, 0, &resp, 5000), SM_ERR__STATE);
	CU_ASSERT(sm_clock_mono_ms() - t0 < 1000);
	close(pfd[0]);
	close(pfd[1]);

	sm_net_client_destroy(c);
	srv_stop(s);
	sm_wbuf_free(&body);
	sm_wbuf_free(&resp);
}

/* ---- controller channel ---- */

static void test_channel_callback(void)
{
	srv_t *s = srv_start(SRV_ECHO);
	sm_controller_channel_t *ch = sm_controller_channel_new(7);
	sm_wbuf_t body;

	sink_reset();
	sm_controller_channel_add_broker(ch, 1, "127.0.0.1", s->peer.port);
	CU_ASSERT(sm_controller_channel_has_broker(ch, 1));
	CU_ASSERT_FALSE(sm_controller_channel_has_broker(ch, 2));
	body_of(&body, "lai-v5");
	sm_controller_channel_send(ch, 1, 4, 5, &body, sink_cb, (void *)(intptr_t)42);
	CU_ASSERT_PTR_NULL(body.p); /* consumed */
	sm_wbuf_free(&body);        /* harmless */
	CU_ASSERT_FATAL(tp_wait_until(sink_has, (void *)1, 5000));
	CU_ASSERT_EQUAL(sink[0].broker_id, 1);
	CU_ASSERT_EQUAL(sink[0].api_key, 4);
	CU_ASSERT_EQUAL(sink[0].api_version, 5);
	CU_ASSERT_EQUAL(sink[0].err, SM_ERR_NONE);
	CU_ASSERT_EQUAL(sink[0].opaque, 42);
	CU_ASSERT(sink[0].len == 8 && memcmp(sink[0].body, "R:lai-v5", 8) == 0);
	CU_ASSERT_EQUAL_FATAL(srv_count(s, NULL), 1);
	CU_ASSERT(s->reqs[0].hdr_ok); /* header v2 for the flexible version */
	CU_ASSERT_STRING_EQUAL(s->reqs[0].client_id, "7");
	CU_ASSERT_EQUAL(sm_controller_channel_queue_size(ch, 1), 0);
	CU_ASSERT_EQUAL(sm_controller_channel_queue_size(ch, 9), -1);
	sm_controller_channel_destroy(ch);
	srv_stop(s);
}

static void test_channel_order(void)
{
	srv_t *s = srv_start(SRV_ECHO);
	sm_controller_channel_t *ch = sm_controller_channel_new(0);
	enum { N = 100 };

	sink_reset();
	sm_controller_channel_add_broker(ch, 3, "127.0.0.1", s->peer.port);
	for (int i = 0; i < N; i++) {
		char buf[16];
		sm_wbuf_t body;
		snprintf(buf, sizeof(buf), "n=%03d", i);
		body_of(&body, buf);
		sm_controller_channel_send(ch, 3, 6, (int16_t)(i % 8), &body, sink_cb,
					   (void *)(intptr_t)i);
	}
	CU_ASSERT_FATAL(tp_wait_until(sink_has, (void *)N, 10000));
	CU_ASSERT_EQUAL_FATAL(srv_count(s, NULL), N);
	for (int i = 0; i < N; i++) {
		char want[16];
		snprintf(want, sizeof(want), "R:n=%03d", i);
		CU_ASSERT_EQUAL(sink[i].opaque, i);
		CU_ASSERT(sink[i].len == 7 && memcmp(sink[i].body, want, 7) == 0);
		CU_ASSERT(s->reqs[i].body_len == 5 && memcmp(s->reqs[i].body, want + 2, 5) == 0);
		CU_ASSERT(s->reqs[i].hdr_ok);
	}
	sm_controller_channel_destroy(ch);
	srv_stop(s);
}

/* The broker drops the connection after reading the first request: the
 * sender reconnects and sends it again. */
static void test_channel_retry(void)
{
	srv_t *s = srv_start(SRV_CLOSE_FIRST);
	sm_controller_channel_t *ch = sm_controller_channel_new(0);
	sm_wbuf_t body;

	sink_reset();
	sm_controller_channel_add_broker(ch, 1, "127.0.0.1", s->peer.port);
	body_of(&body, "again");
	sm_controller_channel_send(ch, 1, 5, 3, &body, sink_cb, NULL);
	CU_ASSERT_FATAL(tp_wait_until(sink_has, (void *)1, 5000));
	CU_ASSERT_EQUAL(sink[0].err, SM_ERR_NONE);
	CU_ASSERT(sink[0].len == 7 && memcmp(sink[0].body, "R:again", 7) == 0);
	int nconn;
	CU_ASSERT_EQUAL(srv_count(s, &nconn), 2);
	CU_ASSERT_EQUAL(nconn, 2);
	sm_controller_channel_destroy(ch);
	srv_stop(s);
}

/* Removing a broker whose requests are stuck (peer silent, or nothing
 * listening) returns promptly and fails every queued request once. */
static void test_channel_remove_queued(void)
{
	srv_t *s = srv_start(SRV_SILENT);
	sm_controller_channel_t *ch = sm_controller_channel_new(0);

	sink_reset();
	sm_controller_channel_add_broker(ch, 1, "127.0.0.1", s->peer.port);
	sm_controller_channel_add_broker(ch, 2, "127.0.0.1", closed_port());
	for (int i = 0; i < 5; i++) {
		sm_wbuf_t b1, b2;
		body_of(&b1, "stuck");
		body_of(&b2, "refused");
		sm_controller_channel_send(ch, 1, 6, 7, &b1, free_cb, sm_malloc(32));
		sm_controller_channel_send(ch, 2, 6, 7, &b2, free_cb, sm_malloc(32));
	}
	CU_ASSERT_EQUAL(sm_controller_channel_queue_size(ch, 1), 5);
	srv_t *sp[1] = { s };
	CU_ASSERT(tp_wait_until(srv_has, sp, 5000)); /* first request in flight */
	usleep(150 * 1000); /* let broker 2 fail a connect and back off */

	int64_t t0 = sm_clock_mono_ms();
	sm_controller_channel_remove_broker(ch, 1);
	sm_controller_channel_remove_broker(ch, 2);
	CU_ASSERT(sm_clock_mono_ms() - t0 < 2000);
	CU_ASSERT_EQUAL_FATAL(sink_count(), 10);
	for (int i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(sink[i].err, SM_ERR_BROKER_NOT_AVAILABLE);
	CU_ASSERT_FALSE(sm_controller_channel_has_broker(ch, 1));
	sm_controller_channel_remove_broker(ch, 1); /* unknown now: no-op */

	/* Sending to a removed broker fails at once, on this thread. */
	sm_wbuf_t b;
	body_of(&b, "late");
	sm_controller_channel_send(ch, 1, 5, 0, &b, free_cb, sm_malloc(8));
	CU_ASSERT_EQUAL(sink_count(), 11);
	CU_ASSERT_EQUAL(sink[10].err, SM_ERR_BROKER_NOT_AVAILABLE);
	sm_controller_channel_destroy(ch);
	srv_stop(s);
}

/* Destroying the channel with work queued on several brokers. */
static void test_channel_destroy_busy(void)
{
	srv_t *s = srv_start(SRV_SILENT);
	sm_controller_channel_t *ch = sm_controller_channel_new(0);

	sink_reset();
	for (int id = 0; id < 3; id++) {
		sm_controller_channel_add_broker(ch, id, "127.0.0.1", s->peer.port);
		sm_controller_channel_add_broker(ch, id, "ignored", 1); /* duplicate: kept */
		for (int i = 0; i < 4; i++) {
			sm_wbuf_t b;
			body_of(&b, "q");
			sm_controller_channel_send(ch, id, 4, 4, &b, free_cb, sm_malloc(16));
		}
	}
	int64_t t0 = sm_clock_mono_ms();
	sm_controller_channel_destroy(ch);
	CU_ASSERT(sm_clock_mono_ms() - t0 < 2000);
	CU_ASSERT_EQUAL(sink_count(), 12);
	srv_stop(s);
}

int main(void)
{
	sm_logger_init(NULL, SM_LOG_ERROR, 0); /* keep expected warnings quiet */
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("controller_channel", NULL, NULL);
	CU_add_test(s, "net_client request and headers", test_net_client_request);
	CU_add_test(s, "net_client errors, timeout, cancel", test_net_client_errors);
	CU_add_test(s, "channel callback gets the response", test_channel_callback);
	CU_add_test(s, "channel keeps per-broker order", test_channel_order);
	CU_add_test(s, "channel retries after a disconnect", test_channel_retry);
	CU_add_test(s, "channel remove with queued requests", test_channel_remove_queued);
	CU_add_test(s, "channel destroy with queued requests", test_channel_destroy_busy);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	sm_logger_close();
	return failed ? 1 : 0;
}
