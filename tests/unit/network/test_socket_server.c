/*
 * test_socket_server.c - unit tests for the network layer (socket_server.c,
 * request_channel.c): a real server on 127.0.0.1 with an ephemeral port, a
 * small echo handler pool standing in for KafkaApis, and blocking clients.
 *
 * Handler protocol (payload after the 8-byte api_key/api_version/corr id):
 *   "CLOSE"  -> the handler closes the connection
 *   "NORESP" -> no response (like acks=0), the connection is unmuted
 *   "HOLD"   -> the handler keeps the request (finished after shutdown)
 *   "SLOW.." -> echoed after 20 ms
 *   "FILE"   -> "head" + 150000 bytes of a file (zero-copy) + "tail"
 *   other    -> echoed: corr id + payload
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>

#include "buf.h"
#include "logger.h"
#include "request_channel.h"
#include "socket_server.h"
#include "tcp_peer.h"

#define MAX_HANDLERS 8
#define FILE_OFF 100
#define FILE_LEN 150000

typedef struct fixture {
	sm_request_channel_t *ch;
	sm_socket_server_t *ss;
	pthread_t handlers[MAX_HANDLERS];
	int nhandlers;
	int port;
} fixture_t;

static sm_fileref_t *test_file;
static uint8_t file_data[FILE_OFF + FILE_LEN + 100];
static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static sm_request_t *held[64];
static int nheld;
static int handled; /* atomic */

/* ---- the handler pool ---- */

static int payload_is(const sm_request_t *req, const char *magic)
{
	size_t n = strlen(magic);
	return req->len - 8 >= n && !memcmp(req->data + 8, magic, n);
}

static void handle(sm_request_channel_t *ch, sm_request_t *req)
{
	sm_wbuf_t *w;

	if (payload_is(req, "CLOSE")) {
		sm_request_channel_close(ch, req);
		return;
	}
	if (payload_is(req, "NORESP")) {
		sm_request_channel_send_response(ch, req, NULL);
		return;
	}
	if (payload_is(req, "HOLD")) {
		pthread_mutex_lock(&held_lock);
		held[nheld] = req;
		__atomic_add_fetch(&nheld, 1, __ATOMIC_SEQ_CST);
		pthread_mutex_unlock(&held_lock);
		return;
	}
	if (payload_is(req, "SLOW"))
		usleep(20000);
	w = sm_malloc(sizeof(*w));
	sm_wbuf_init(w, 64);
	sm_wbuf_append(w, req->data + 4, 4);
	if (payload_is(req, "FILE")) {
		sm_wbuf_append(w, "head", 4);
		sm_wbuf_add_file(w, test_file, FILE_OFF, FILE_LEN);
		sm_wbuf_append(w, "tail", 4);
	} else {
		sm_wbuf_append(w, req->data + 8, req->len - 8);
	}
	sm_request_channel_send_response(ch, req, w);
}

static void *handler_main(void *arg)
{
	sm_request_channel_t *ch = arg;
	sm_request_t *req;

	while ((req = sm_request_channel_receive(ch, -1)) != NULL) {
		handle(ch, req);
		__atomic_add_fetch(&handled, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* ---- fixture ---- */

/* Extra settings for the next fx_start (reset by it). */
static void (*fx_tweak)(sm_socket_server_config_t *cfg);

static int fx_start(fixture_t *fx, int queue_size, int nhandlers, int nprocs,
		    int64_t idle_ms, int max_conns)
{
	sm_socket_server_config_t cfg;
	sm_listener_cfg_t *ls;
	int nls;
	char err[256];

	memset(fx, 0, sizeof(*fx));
	if (sm_listeners_parse("PLAINTEXT://127.0.0.1:0", &ls, &nls, err, sizeof(err)) < 0)
		return -1;
	sm_socket_server_config_defaults(&cfg);
	cfg.broker_id = 0;
	cfg.listeners = ls;
	cfg.num_listeners = nls;
	cfg.num_network_threads = nprocs;
	cfg.socket_request_max_bytes = 65536;
	cfg.connections_max_idle_ms = idle_ms;
	cfg.max_connections = max_conns;
	if (fx_tweak)
		fx_tweak(&cfg);
	fx_tweak = NULL;
	fx->ch = sm_request_channel_new(queue_size);
	fx->ss = sm_socket_server_new(&cfg, fx->ch);
	free(ls);
	if (sm_socket_server_startup(fx->ss, err, sizeof(err)) < 0) {
		fprintf(stderr, "startup: %s\n", err);
		return -1;
	}
	fx->port = sm_socket_server_bound_port(fx->ss, "PLAINTEXT");
	fx->nhandlers = nhandlers;
	for (int i = 0; i < nhandlers; i++)
		pthread_create(&fx->handlers[i], NULL, handler_main, fx->ch);
	return 0;
}

static void fx_stop(fixture_t *fx)
{
	sm_socket_server_shutdown(fx->ss);
	sm_request_channel_shutdown(fx->ch);
	for (int i = 0; i < fx->nhandlers; i++)
		pthread_join(fx->handlers[i], NULL);
	sm_socket_server_destroy(fx->ss);
	sm_request_channel_destroy(fx->ch);
}

static sm_socket_server_stats_t fx_stats(fixture_t *fx)
{
	sm_socket_server_stats_t st;
	sm_socket_server_stats(fx->ss, &st);
	return st;
}

/* Polls (never a fixed sleep) until *p >= want, up to 5 s. */
static int wait_u64(fixture_t *fx, size_t field_off, uint64_t want)
{
	for (int i = 0; i < 1000; i++) {
		sm_socket_server_stats_t st = fx_stats(fx);
		if (*(uint64_t *)((char *)&st + field_off) >= want)
			return 1;
		usleep(5000);
	}
	return 0;
}

#define WAIT_STAT(fx, field, want) \
	wait_u64(fx, offsetof(sm_socket_server_stats_t, field), want)

/* ---- blocking client ---- */

static int cli_connect(int port)
{
	struct sockaddr_in sa;
	struct timeval tv = { 5, 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n > 0) {
		ssize_t r = send(fd, b, n, MSG_NOSIGNAL);
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One write per frame, so Nagle plus delayed ACKs cannot stall the test. */
static int cli_send(int fd, int32_t corr, const void *payload, size_t plen)
{
	uint8_t frame[12 + 256];

	if (plen > 256)
		return -1;
	sm_put_be32(frame, (uint32_t)(8 + plen));
	sm_put_be16(frame + 4, 18); /* api_key */
	sm_put_be16(frame + 6, 0);  /* api_version */
	sm_put_be32(frame + 8, (uint32_t)corr);
	memcpy(frame + 12, payload, plen);
	return write_all(fd, frame, 12 + plen);
}

/* Reads one response; returns its payload length (after the corr id) or -1. */
static long cli_recv(int fd, int32_t *corr, uint8_t *buf, size_t cap)
{
	uint8_t hdr[8];
	uint32_t size;

	if (tp_recv_all(fd, hdr, 8, NULL, NULL) < 0)
		return -1;
	size = sm_be32(hdr);
	*corr = (int32_t)sm_be32(hdr + 4);
	if (size < 4 || size - 4 > cap)
		return -1;
	if (tp_recv_all(fd, buf, size - 4, NULL, NULL) < 0)
		return -1;
	return (long)(size - 4);
}

/* 1 if the server closed the connection (EOF or reset) within 5 s. */
static int cli_closed(int fd)
{
	uint8_t b[64];
	for (;;) {
		ssize_t r = recv(fd, b, sizeof(b), 0);
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return 1;
		if (r < 0)
			return 0; /* timeout */
	}
}

static int cli_echo(int fd, int32_t corr, const char *msg)
{
	uint8_t buf[256];
	int32_t rc_corr = -1;
	long n;

	if (cli_send(fd, corr, msg, strlen(msg)) < 0)
		return 0;
	n = cli_recv(fd, &rc_corr, buf, sizeof(buf));
	return n == (long)strlen(msg) && rc_corr == corr && !memcmp(buf, msg, (size_t)n);
}

/* ---- tests ---- */

static void test_listeners_parse(void)
{
	sm_listener_cfg_t *ls;
	int n;
	char err[256];

	CU_ASSERT_EQUAL(sm_listeners_parse(" plaintext://:9092 , SSL://[::1]:0,"
					   "INTERNAL://broker-1.example.com:19092",
					   &ls, &n, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_STRING_EQUAL(ls[0].name, "PLAINTEXT");
	CU_ASSERT_STRING_EQUAL(ls[0].host, "");
	CU_ASSERT_EQUAL(ls[0].port, 9092);
	CU_ASSERT_STRING_EQUAL(ls[1].name, "SSL");
	CU_ASSERT_STRING_EQUAL(ls[1].host, "::1");
	CU_ASSERT_EQUAL(ls[1].port, 0);
	CU_ASSERT_STRING_EQUAL(ls[2].host, "broker-1.example.com");
	CU_ASSERT_EQUAL(ls[2].port, 19092);
	free(ls);

	CU_ASSERT_EQUAL(sm_listeners_parse("A://:1,a://:2", &ls, &n, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "different name"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "A appears twice"));
	CU_ASSERT_EQUAL(sm_listeners_parse("A://:1,B://h:1", &ls, &n, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "different port"));
	CU_ASSERT_EQUAL(sm_listeners_parse("PLAINTEXT:/:9092", &ls, &n, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "Unable to parse PLAINTEXT:/:9092"));
	CU_ASSERT_EQUAL(sm_listeners_parse("P://:65536", &ls, &n, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "Invalid port"));
	CU_ASSERT_EQUAL(sm_listeners_parse("P://host", &ls, &n, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(sm_listeners_parse("P://[::1:9092", &ls, &n, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(sm_listeners_parse("P://h:-1", &ls, &n, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(sm_listeners_parse("P://h/x:1", &ls, &n, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(sm_listeners_parse(" , ", &ls, &n, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "No listeners"));
	CU_ASSERT_EQUAL(sm_listeners_parse(NULL, &ls, &n, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NULL(ls);
}

static void test_channel_basics(void)
{
	sm_request_channel_t *ch = sm_request_channel_new(2);
	sm_request_t *a = sm_calloc(1, sizeof(*a)), *b = sm_calloc(1, sizeof(*b));
	sm_request_t *c = sm_calloc(1, sizeof(*c));
	sm_wbuf_t *w = sm_malloc(sizeof(*w));

	a->conn_id = 1;
	b->conn_id = 2;
	CU_ASSERT_EQUAL(sm_request_channel_put(ch, a, 1), 0);
	CU_ASSERT_EQUAL(sm_request_channel_put(ch, b, 1), 0);
	CU_ASSERT_EQUAL(sm_request_channel_put(ch, c, 1), -1); /* full */
	CU_ASSERT_PTR_EQUAL(sm_request_channel_receive(ch, 0), a); /* FIFO */
	CU_ASSERT_EQUAL(sm_request_channel_put(ch, c, 1), 0);
	CU_ASSERT_PTR_EQUAL(sm_request_channel_receive(ch, 10), b);
	/* No sink: finishing a request just frees it (and the response). */
	sm_wbuf_init(w, 16);
	sm_wbuf_i32(w, 7);
	sm_request_channel_send_response(ch, a, w);
	sm_request_channel_close(ch, b);
	sm_request_channel_shutdown(ch);
	CU_ASSERT_PTR_NULL(sm_request_channel_receive(ch, -1));
	/* After shutdown puts fail and leave the request with the caller. */
	sm_request_t *d = sm_calloc(1, sizeof(*d));
	CU_ASSERT_EQUAL(sm_request_channel_put(ch, d, 0), -1);
	sm_request_free(d);
	sm_request_channel_destroy(ch); /* frees c, still queued */
}

static void test_echo_and_stats(void)
{
	fixture_t fx;
	int fd;

	CU_ASSERT_FATAL(fx_start(&fx, 16, 2, 2, 600000, 0) == 0);
	CU_ASSERT(fx.port > 0);
	CU_ASSERT_EQUAL(sm_socket_server_bound_port(fx.ss, "plaintext"), fx.port);
	CU_ASSERT_EQUAL(sm_socket_server_bound_port(fx.ss, "SSL"), -1);
	fd = cli_connect(fx.port);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(cli_echo(fd, 1, "hello"));
	CU_ASSERT(cli_echo(fd, 2, ""));
	CU_ASSERT(cli_echo(fd, 3, "world"));
	close(fd);
	CU_ASSERT(WAIT_STAT(&fx, connections_closed, 1));
	sm_socket_server_stats_t st = fx_stats(&fx);
	CU_ASSERT_EQUAL(st.connections_accepted, 1);
	CU_ASSERT_EQUAL(st.requests_received, 3);
	CU_ASSERT_EQUAL(st.responses_sent, 3);
	fx_stop(&fx);
}

static int many_port;
static int many_ok; /* atomic */

static void *many_client(void *arg)
{
	int id = (int)(intptr_t)arg, fd = cli_connect(many_port), good = 1;
	char msg[64];

	if (fd < 0)
		return NULL;
	for (int i = 0; i < 100 && good; i++) {
		snprintf(msg, sizeof(msg), "client %d message %d", id, i);
		good = cli_echo(fd, id * 1000 + i, msg);
	}
	close(fd);
	if (good)
		__atomic_add_fetch(&many_ok, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void run_clients(int port, int n)
{
	pthread_t t[16];

	many_port = port;
	many_ok = 0;
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, many_client, (void *)(intptr_t)i);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

static void test_many_clients(void)
{
	fixture_t fx;

	CU_ASSERT_FATAL(fx_start(&fx, 64, 4, 2, 600000, 0) == 0);
	run_clients(fx.port, 12);
	CU_ASSERT_EQUAL(many_ok, 12);
	CU_ASSERT(WAIT_STAT(&fx, connections_closed, 12));
	CU_ASSERT_EQUAL(fx_stats(&fx).requests_received, 1200);
	fx_stop(&fx);
}

static void test_pipelined_in_order(void)
{
	fixture_t fx;
	uint8_t buf[64];
	char msg[32];
	int fd, in_order = 1;

	CU_ASSERT_FATAL(fx_start(&fx, 64, 4, 2, 600000, 0) == 0);
	fd = cli_connect(fx.port);
	CU_ASSERT_FATAL(fd >= 0);
	/* Slow and fast requests interleaved, all sent before reading. */
	for (int i = 0; i < 20; i++) {
		snprintf(msg, sizeof(msg), "%s%d", i % 3 == 0 ? "SLOW" : "fast", i);
		CU_ASSERT_EQUAL(cli_send(fd, 100 + i, msg, strlen(msg)), 0);
	}
	for (int i = 0; i < 20; i++) {
		int32_t corr;
		long n = cli_recv(fd, &corr, buf, sizeof(buf));
		snprintf(msg, sizeof(msg), "%s%d", i % 3 == 0 ? "SLOW" : "fast", i);
		if (corr != 100 + i || n != (long)strlen(msg) || memcmp(buf, msg, (size_t)n))
			in_order = 0;
	}
	CU_ASSERT(in_order);
	close(fd);
	fx_stop(&fx);
}

/* Run to completion: the channel's inline handler takes requests whose
 * payload starts with "INL" on the processor that read them (answering
 * through the sink, as a handler thread does) and leaves the rest to the
 * handler pool. Pipelined mixes come back whole and in request order, the
 * inline ones never reach a handler thread, and none is taken once the
 * inline handler is detached. */
static int inline_taken; /* atomic */

static int inline_take(void *opaque, sm_request_t *req)
{
	sm_request_channel_t *ch = opaque;

	if (!payload_is(req, "INL"))
		return 0;
	__atomic_add_fetch(&inline_taken, 1, __ATOMIC_RELAXED);
	if (payload_is(req, "INLNORESP"))
		sm_request_channel_send_response(ch, req, NULL);
	else
		handle(ch, req);
	return 1;
}

static void test_inline_requests(void)
{
	fixture_t fx;
	uint8_t buf[64];
	char msg[32];
	int fd, in_order = 1;

	CU_ASSERT_FATAL(fx_start(&fx, 64, 2, 2, 600000, 0) == 0);
	__atomic_store_n(&inline_taken, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&handled, 0, __ATOMIC_RELAXED);
	sm_request_channel_set_inline(fx.ch, inline_take, fx.ch);
	fd = cli_connect(fx.port);
	CU_ASSERT_FATAL(fd >= 0);
	for (int i = 0; i < 30; i++) {
		snprintf(msg, sizeof(msg), "%s%d", i % 3 ? "INL" : i % 2 ? "SLOW" : "queue", i);
		CU_ASSERT_EQUAL(cli_send(fd, 300 + i, msg, strlen(msg)), 0);
	}
	for (int i = 0; i < 30; i++) {
		int32_t corr;
		long n = cli_recv(fd, &corr, buf, sizeof(buf));
		snprintf(msg, sizeof(msg), "%s%d", i % 3 ? "INL" : i % 2 ? "SLOW" : "queue", i);
		if (corr != 300 + i || n != (long)strlen(msg) || memcmp(buf, msg, (size_t)n))
			in_order = 0;
	}
	CU_ASSERT(in_order);
	CU_ASSERT_EQUAL(__atomic_load_n(&inline_taken, __ATOMIC_RELAXED), 20);
	CU_ASSERT_EQUAL(__atomic_load_n(&handled, __ATOMIC_RELAXED), 10);
	CU_ASSERT_EQUAL(fx_stats(&fx).requests_inline, 20);
	/* an inline request with no response unmutes the connection too */
	CU_ASSERT_EQUAL(cli_send(fd, 400, "INLNORESP", 9), 0);
	CU_ASSERT(cli_echo(fd, 401, "INL after"));
	/* detached: everything goes to the handler threads */
	sm_request_channel_set_inline(fx.ch, NULL, NULL);
	CU_ASSERT(cli_echo(fd, 402, "INL detached"));
	CU_ASSERT_EQUAL(__atomic_load_n(&inline_taken, __ATOMIC_RELAXED), 22);
	CU_ASSERT_EQUAL(fx_stats(&fx).requests_inline, 22);
	close(fd);
	fx_stop(&fx);
}

/* Frames larger than one read turn (the body is read straight from the
 * socket, at most 1 MiB a turn), sent back to back with a small one behind
 * them from a writer thread: each arrives whole and alone, in order, and
 * nothing of the next frame is taken into the one before. */
#define BIG_BODY (3 * 1024 * 1024 + 5)

typedef struct big_writer {
	int fd;
	int ok;
} big_writer_t;

static uint8_t big_byte(int frame, size_t i)
{
	return (uint8_t)((i * 131u + (size_t)frame * 7u) >> 3);
}

static void *big_writer_main(void *arg)
{
	big_writer_t *w = arg;
	uint8_t *f = sm_malloc(12 + BIG_BODY);

	w->ok = 1;
	for (int k = 0; k < 2; k++) {
		sm_put_be32(f, (uint32_t)(8 + BIG_BODY));
		sm_put_be16(f + 4, 18);
		sm_put_be16(f + 6, 0);
		sm_put_be32(f + 8, (uint32_t)(200 + k));
		for (size_t i = 0; i < BIG_BODY; i++)
			f[12 + i] = big_byte(k, i);
		if (write_all(w->fd, f, 12 + BIG_BODY) < 0)
			w->ok = 0;
	}
	free(f);
	if (cli_send(w->fd, 202, "small", 5) < 0)
		w->ok = 0;
	return NULL;
}

static void tweak_big_frames(sm_socket_server_config_t *cfg)
{
	cfg->socket_request_max_bytes = 8 + BIG_BODY;
}

static void test_big_frames_pipelined(void)
{
	fixture_t fx;
	big_writer_t w;
	pthread_t th;
	uint8_t *buf = sm_malloc(BIG_BODY);
	int fd;

	fx_tweak = tweak_big_frames;
	CU_ASSERT_FATAL(fx_start(&fx, 16, 2, 1, 600000, 0) == 0);
	fd = cli_connect(fx.port);
	CU_ASSERT_FATAL(fd >= 0);
	w.fd = fd;
	pthread_create(&th, NULL, big_writer_main, &w);
	for (int k = 0; k < 2; k++) {
		int32_t corr = -1;
		long n = cli_recv(fd, &corr, buf, BIG_BODY);
		CU_ASSERT_EQUAL(n, BIG_BODY);
		CU_ASSERT_EQUAL(corr, 200 + k);
		size_t bad = 0;
		for (size_t i = 0; n == BIG_BODY && i < BIG_BODY; i++)
			bad += buf[i] != big_byte(k, i);
		CU_ASSERT_EQUAL(bad, 0);
	}
	int32_t corr = -1;
	CU_ASSERT_EQUAL(cli_recv(fd, &corr, buf, BIG_BODY), 5);
	CU_ASSERT_EQUAL(corr, 202);
	CU_ASSERT(!memcmp(buf, "small", 5));
	pthread_join(th, NULL);
	CU_ASSERT(w.ok);
	CU_ASSERT_EQUAL(fx_stats(&fx).requests_received, 3);
	close(fd);
	fx_stop(&fx);
	free(buf);
}

static void test_bad_sizes(void)
{
	fixture_t fx;
	uint8_t hdr[4];
	int good, big, neg, tiny;

	CU_ASSERT_FATAL(fx_start(&fx, 16, 2, 2, 600000, 0) == 0);
	good = cli_connect(fx.port);
	big = cli_connect(fx.port);
	neg = cli_connect(fx.port);
	tiny = cli_connect(fx.port);
	CU_ASSERT_FATAL(good >= 0 && big >= 0 && neg >= 0 && tiny >= 0);
	CU_ASSERT(cli_echo(good, 1, "before"));

	sm_put_be32(hdr, 0x7fffffff); /* > socket.request.max.bytes */
	write_all(big, hdr, 4);
	CU_ASSERT(cli_closed(big));
	CU_ASSERT(cli_echo(good, 2, "between"));

	sm_put_be32(hdr, 0xfffffffe); /* -2 */
	write_all(neg, hdr, 4);
	CU_ASSERT(cli_closed(neg));

	sm_put_be32(hdr, 3); /* cannot hold a request header */
	write_all(tiny, hdr, 4);
	write_all(tiny, "abc", 3);
	CU_ASSERT(cli_closed(tiny));

	CU_ASSERT(cli_echo(good, 3, "after"));
	CU_ASSERT(WAIT_STAT(&fx, connections_closed, 3));
	CU_ASSERT_EQUAL(fx_stats(&fx).requests_received, 3);
	close(good);
	close(big);
	close(neg);
	close(tiny);
	fx_stop(&fx);
}

static void test_truncated_frame(void)
{
	fixture_t fx;
	uint8_t frame[4 + 10];
	int fd;

	CU_ASSERT_FATAL(fx_start(&fx, 16, 2, 2, 600000, 0) == 0);
	fd = cli_connect(fx.port);
	CU_ASSERT_FATAL(fd >= 0);
	memset(frame, 'x', sizeof(frame));
	sm_put_be32(frame, 100); /* promises 100 bytes, sends 10 */
	write_all(fd, frame, sizeof(frame));
	close(fd);
	CU_ASSERT(WAIT_STAT(&fx, connections_closed, 1));
	CU_ASSERT_EQUAL(fx_stats(&fx).requests_received, 0);
	fd = cli_connect(fx.port);
	CU_ASSERT(cli_echo(fd, 9, "still serving"));
	close(fd);
	fx_stop(&fx);
}

static void test_file_fragment_response(void)
{
	fixture_t fx;
	uint8_t *buf = sm_malloc(FILE_LEN + 64);
	int32_t corr = 0;
	long n;
	int fd;

	CU_ASSERT_FATAL(fx_start(&fx, 16, 2, 2, 600000, 0) == 0);
	fd = cli_connect(fx.port);
	CU_ASSERT_FATAL(fd >= 0);
	for (int round = 0; round < 3; round++) {
		CU_ASSERT_EQUAL(cli_send(fd, 77 + round, "FILE", 4), 0);
		n = cli_recv(fd, &corr, buf, FILE_LEN + 64);
		CU_ASSERT_EQUAL(n, 4 + FILE_LEN + 4);
		CU_ASSERT_EQUAL(corr, 77 + round);
		if (n == 4 + FILE_LEN + 4) {
			CU_ASSERT_EQUAL(memcmp(buf, "head", 4), 0);
			CU_ASSERT_EQUAL(memcmp(buf + 4, file_data + FILE_OFF, FILE_LEN), 0);
			CU_ASSERT_EQUAL(memcmp(buf + 4 + FILE_LEN, "tail", 4), 0);
		}
	}
	/* The connection is unmuted after a file response. */
	CU_ASSERT(cli_echo(fd, 80, "next"));
	close(fd);
	free(buf);
	fx_stop(&fx);
}

static void test_close_and_no_response(void)
{
	fixture_t fx;
	int a, b;

	sm_logger_set_level(SM_LOG_DEBUG); /* exercise the DEBUG close lines */
	CU_ASSERT_FATAL(fx_start(&fx, 16, 2, 2, 600000, 0) == 0);
	a = cli_connect(fx.port);
	b = cli_connect(fx.port);
	CU_ASSERT_FATAL(a >= 0 && b >= 0);
	/* No response, then the next request on the same connection is served. */
	CU_ASSERT_EQUAL(cli_send(a, 5, "NORESP", 6), 0);
	CU_ASSERT(cli_echo(a, 6, "after-noresp"));
	/* A handler-initiated close affects that connection only. */
	CU_ASSERT_EQUAL(cli_send(b, 7, "CLOSE", 5), 0);
	CU_ASSERT(cli_closed(b));
	CU_ASSERT(cli_echo(a, 8, "a-still-open"));
	close(a);
	close(b);
	fx_stop(&fx);
	sm_logger_set_level(SM_LOG_INFO);
}

static void test_response_after_disconnect(void)
{
	fixture_t fx;
	int fd;

	CU_ASSERT_FATAL(fx_start(&fx, 16, 2, 2, 600000, 0) == 0);
	__atomic_store_n(&handled, 0, __ATOMIC_RELAXED);
	fd = cli_connect(fx.port);
	CU_ASSERT_EQUAL(cli_send(fd, 1, "SLOW", 4), 0);
	CU_ASSERT(WAIT_STAT(&fx, requests_received, 1));
	close(fd); /* gone before the handler answers */
	for (int i = 0; i < 1000 && __atomic_load_n(&handled, __ATOMIC_RELAXED) < 1; i++)
		usleep(5000);
	CU_ASSERT_EQUAL(__atomic_load_n(&handled, __ATOMIC_RELAXED), 1);
	CU_ASSERT(WAIT_STAT(&fx, connections_closed, 1));
	fd = cli_connect(fx.port);
	CU_ASSERT(cli_echo(fd, 2, "fine"));
	close(fd);
	fx_stop(&fx);
}

static void test_queue_full_backpressure(void)
{
	fixture_t fx;

	/* One queue slot, one handler, many clients: processors must park
	 * frames and retry instead of blocking or dropping them. */
	CU_ASSERT_FATAL(fx_start(&fx, 1, 1, 2, 600000, 0) == 0);
	run_clients(fx.port, 8);
	CU_ASSERT_EQUAL(many_ok, 8);
	CU_ASSERT_EQUAL(fx_stats(&fx).requests_received, 800);
	CU_ASSERT(fx_stats(&fx).requests_parked > 0); /* the full path ran */
	fx_stop(&fx);
}

static void test_idle_close(void)
{
	fixture_t fx;
	int idle, busy;

	CU_ASSERT_FATAL(fx_start(&fx, 16, 2, 1, 200, 0) == 0);
	idle = cli_connect(fx.port);
	busy = cli_connect(fx.port);
	CU_ASSERT_FATAL(idle >= 0 && busy >= 0);
	CU_ASSERT(cli_echo(busy, 1, "x"));
	CU_ASSERT(cli_closed(idle));
	CU_ASSERT(cli_closed(busy)); /* goes idle too once it stops talking */
	CU_ASSERT(WAIT_STAT(&fx, connections_closed, 2));
	close(idle);
	close(busy);
	fx_stop(&fx);
}

static void test_max_connections(void)
{
	fixture_t fx;
	int a, b, c;
	uint8_t buf[256];
	int32_t corr = -1;

	CU_ASSERT_FATAL(fx_start(&fx, 16, 2, 2, 600000, 2) == 0);
	a = cli_connect(fx.port);
	b = cli_connect(fx.port);
	CU_ASSERT(WAIT_STAT(&fx, connections_accepted, 2));
	/* Kafka's acceptor waits for a slot instead of refusing: the third
	 * connection is held, its request unanswered, until one closes. */
	c = cli_connect(fx.port);
	CU_ASSERT_FATAL(c >= 0);
	CU_ASSERT(cli_send(c, 3, "c", 1) == 0);
	CU_ASSERT(WAIT_STAT(&fx, connections_blocked, 1));
	CU_ASSERT_EQUAL(fx_stats(&fx).connections_accepted, 2);
	CU_ASSERT_EQUAL(fx_stats(&fx).connections_rejected, 0);
	CU_ASSERT(cli_echo(a, 1, "a"));
	CU_ASSERT(cli_echo(b, 2, "b"));
	close(a);
	CU_ASSERT_EQUAL(cli_recv(c, &corr, buf, sizeof(buf)), 1);
	CU_ASSERT_EQUAL(corr, 3);
	CU_ASSERT_EQUAL(fx_stats(&fx).connections_accepted, 3);
	close(b);
	close(c);
	fx_stop(&fx);
}

static void tweak_listener_limit(sm_socket_server_config_t *cfg)
{
	/* The fixture's listener array is its own malloc'd copy. */
	((sm_listener_cfg_t *)cfg->listeners)[0].max_connections = 1;
	cfg->inter_broker_listener = "PLAINTEXT"; /* the listener limit still applies */
	cfg->max_connections = 1;
}

/* With one connection allowed (tweak sets the limit), a second connection
 * is held, its request unanswered, until the first closes; check_corr also
 * checks the correlation id of the late answer. */
static void check_second_held(void (*tweak)(sm_socket_server_config_t *), int check_corr)
{
	fixture_t fx;
	int a, b;
	uint8_t buf[256];
	int32_t corr = -1;

	fx_tweak = tweak;
	CU_ASSERT_FATAL(fx_start(&fx, 16, 2, 1, 600000, 1) == 0);
	a = cli_connect(fx.port);
	CU_ASSERT(cli_echo(a, 1, "a"));
	b = cli_connect(fx.port);
	CU_ASSERT(cli_send(b, 2, "b", 1) == 0);
	CU_ASSERT(WAIT_STAT(&fx, connections_blocked, 1));
	close(a);
	CU_ASSERT_EQUAL(cli_recv(b, &corr, buf, sizeof(buf)), 1);
	if (check_corr)
		CU_ASSERT_EQUAL(corr, 2);
	close(b);
	fx_stop(&fx);
}

static void test_listener_max_connections(void)
{
	check_second_held(tweak_listener_limit, 1);
}

static void tweak_inter_broker(sm_socket_server_config_t *cfg)
{
	cfg->inter_broker_listener = "plaintext";
}

/* The only listener is not protected even if it is the inter-broker one
 * (Kafka protects it only when other listeners could starve it):
 * max.connections=1 holds the second connection. */
static void test_inter_broker_exempt(void)
{
	check_second_held(tweak_inter_broker, 0);
}

static void tweak_per_ip(sm_socket_server_config_t *cfg)
{
	cfg->max_connections_per_ip = 2;
}

static void test_max_connections_per_ip(void)
{
	fixture_t fx;
	int fds[3];

	fx_tweak = tweak_per_ip;
	CU_ASSERT_FATAL(fx_start(&fx, 16, 2, 2, 600000, 0) == 0);
	for (int i = 0; i < 3; i++)
		fds[i] = cli_connect(fx.port);
	/* The third from 127.0.0.1 is closed at once. */
	CU_ASSERT(cli_closed(fds[2]));
	CU_ASSERT(WAIT_STAT(&fx, connections_rejected, 1));
	CU_ASSERT(cli_echo(fds[0], 1, "a"));
	CU_ASSERT(cli_echo(fds[1], 2, "b"));
	close(fds[2]);
	close(fds[0]);
	/* Its slot frees once the broker saw the close. */
	CU_ASSERT(WAIT_STAT(&fx, connections_closed, 1));
	fds[2] = cli_connect(fx.port);
	CU_ASSERT(cli_echo(fds[2], 3, "again"));
	close(fds[1]);
	close(fds[2]);
	fx_stop(&fx);
}

static void tweak_overrides(sm_socket_server_config_t *cfg)
{
	cfg->max_connections_per_ip = 0;
	cfg->max_connections_per_ip_overrides = "localhost:1,127.0.0.1:3";
}

static void test_per_ip_overrides(void)
{
	fixture_t fx;
	int fds[4];

	fx_tweak = tweak_overrides;
	CU_ASSERT_FATAL(fx_start(&fx, 16, 2, 1, 600000, 0) == 0);
	for (int i = 0; i < 4; i++)
		fds[i] = cli_connect(fx.port);
	CU_ASSERT(cli_closed(fds[3]));
	for (int i = 0; i < 3; i++)
		CU_ASSERT(cli_echo(fds[i], i, "ok"));
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	fx_stop(&fx);

	fx_tweak = tweak_overrides;
	{
		sm_socket_server_config_t cfg;
		sm_listener_cfg_t l = { "PLAINTEXT", "127.0.0.1", 0, 0, 0, NULL, NULL, NULL };
		sm_request_channel_t *ch = sm_request_channel_new(4);
		sm_socket_server_t *ss;
		char err[256] = "";

		fx_tweak = NULL;
		sm_socket_server_config_defaults(&cfg);
		cfg.listeners = &l;
		cfg.num_listeners = 1;
		cfg.max_connections_per_ip_overrides = "127.0.0.1:x";
		ss = sm_socket_server_new(&cfg, ch);
		CU_ASSERT_EQUAL(sm_socket_server_startup(ss, err, sizeof(err)), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "max.connections.per.ip.overrides"));
		sm_socket_server_destroy(ss);
		sm_request_channel_destroy(ch);
	}
}

static void tweak_rate(sm_socket_server_config_t *cfg)
{
	cfg->max_connection_creation_rate = 20;
}

static void test_creation_rate(void)
{
	fixture_t fx;
	int fds[30];

	fx_tweak = tweak_rate;
	CU_ASSERT_FATAL(fx_start(&fx, 16, 2, 2, 600000, 0) == 0);
	for (int i = 0; i < 30; i++)
		fds[i] = cli_connect(fx.port);
	/* Slowed down, never refused: everyone is served in the end. */
	for (int i = 0; i < 30; i++)
		CU_ASSERT(cli_echo(fds[i], i, "rate"));
	CU_ASSERT(fx_stats(&fx).connections_throttled > 0);
	CU_ASSERT_EQUAL(fx_stats(&fx).connections_rejected, 0);
	for (int i = 0; i < 30; i++)
		close(fds[i]);
	fx_stop(&fx);
}

static void tweak_listener_rate(sm_socket_server_config_t *cfg)
{
	((sm_listener_cfg_t *)cfg->listeners)[0].max_connection_creation_rate = 20;
}

static void test_listener_creation_rate(void)
{
	fixture_t fx;
	int fds[30];

	fx_tweak = tweak_listener_rate;
	CU_ASSERT_FATAL(fx_start(&fx, 16, 2, 2, 600000, 0) == 0);
	for (int i = 0; i < 30; i++)
		fds[i] = cli_connect(fx.port);
	for (int i = 0; i < 30; i++)
		CU_ASSERT(cli_echo(fds[i], i, "listener rate"));
	CU_ASSERT(fx_stats(&fx).connections_throttled > 0);
	for (int i = 0; i < 30; i++)
		close(fds[i]);
	fx_stop(&fx);
}

static const sm_ip_rate_t one_a_second[1] = { { "127.0.0.1", 1 } };

static void tweak_ip_rate(sm_socket_server_config_t *cfg)
{
	cfg->ip_rates = one_a_second;
	cfg->num_ip_rates = 1;
}

static void test_ip_creation_rate(void)
{
	fixture_t fx;
	int a, b;

	fx_tweak = tweak_ip_rate;
	CU_ASSERT_FATAL(fx_start(&fx, 16, 2, 1, 600000, 0) == 0);
	a = cli_connect(fx.port);
	b = cli_connect(fx.port);
	CU_ASSERT(cli_echo(a, 1, "first"));
	/* Over the address's quota: closed unserved after the throttle time. */
	CU_ASSERT(cli_closed(b));
	CU_ASSERT_EQUAL(fx_stats(&fx).connections_ip_throttled, 1);
	CU_ASSERT_EQUAL(fx_stats(&fx).connections_accepted, 1);
	close(a);
	close(b);
	fx_stop(&fx);
}

static void tweak_memory(sm_socket_server_config_t *cfg)
{
	cfg->queued_max_request_bytes = 100;
}

static void test_request_memory_bound(void)
{
	fixture_t fx;
	char big[220];
	int a, b;
	uint8_t buf[256];
	int32_t corr = -1;
	sm_wbuf_t *w;

	nheld = 0;
	memset(big, 'x', sizeof(big));
	memcpy(big, "HOLD", 4);
	fx_tweak = tweak_memory;
	CU_ASSERT_FATAL(fx_start(&fx, 16, 2, 2, 600000, 0) == 0);
	a = cli_connect(fx.port);
	b = cli_connect(fx.port);
	/* Granted (the pool was not exhausted), overshoots, and is held. */
	CU_ASSERT(cli_send(a, 1, big, sizeof(big)) == 0);
	for (int i = 0; i < 1000 && __atomic_load_n(&nheld, __ATOMIC_SEQ_CST) < 1; i++)
		usleep(5000);
	CU_ASSERT_FATAL(nheld == 1);
	CU_ASSERT_EQUAL(sm_socket_server_queued_bytes(fx.ss), 8 + (int64_t)sizeof(big));
	/* The next frame waits: only its size prefix is read. */
	CU_ASSERT(cli_send(b, 2, "waits", 5) == 0);
	CU_ASSERT(WAIT_STAT(&fx, memory_waits, 1));
	CU_ASSERT_EQUAL(fx_stats(&fx).requests_received, 1);
	/* Answering the held request returns its bytes and wakes the reader. */
	w = sm_malloc(sizeof(*w));
	sm_wbuf_init(w, 16);
	sm_wbuf_append(w, held[0]->data + 4, 4);
	sm_request_channel_send_response(fx.ch, held[0], w);
	nheld = 0;
	CU_ASSERT_EQUAL(cli_recv(b, &corr, buf, sizeof(buf)), 5);
	CU_ASSERT_EQUAL(corr, 2);
	CU_ASSERT_EQUAL(cli_recv(a, &corr, buf, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(corr, 1);
	CU_ASSERT_EQUAL(sm_socket_server_queued_bytes(fx.ss), 0);
	/* A peer leaving mid-frame gives its grant back. */
	{
		uint8_t part[4 + 20];
		memset(part, 0, sizeof(part));
		sm_put_be32(part, 50);
		CU_ASSERT(write_all(b, part, sizeof(part)) == 0);
		for (int i = 0; i < 1000 && sm_socket_server_queued_bytes(fx.ss) != 50; i++)
			usleep(5000);
		CU_ASSERT_EQUAL(sm_socket_server_queued_bytes(fx.ss), 50);
		close(b);
		for (int i = 0; i < 1000 && sm_socket_server_queued_bytes(fx.ss) != 0; i++)
			usleep(5000);
		CU_ASSERT_EQUAL(sm_socket_server_queued_bytes(fx.ss), 0);
	}
	close(a);
	fx_stop(&fx);
}

/* ---- how frame bytes arrive (plaintext read path) ---- */

/* A whole frame (size prefix included) echoing payload as corr. */
static size_t mk_frame(uint8_t *out, int32_t corr, const uint8_t *payload, size_t plen)
{
	sm_put_be32(out, (uint32_t)(8 + plen));
	sm_put_be16(out + 4, 18);
	sm_put_be16(out + 6, 0);
	sm_put_be32(out + 8, (uint32_t)corr);
	memcpy(out + 12, payload, plen);
	return 12 + plen;
}

static void fill_pattern(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)('a' + (i * 7 + seed) % 26);
}

static void test_split_writes(void)
{
	fixture_t fx;
	static uint8_t payload[3000], frame[12 + 3000], back[3000];
	size_t len, pos = 0;
	int32_t corr = -1;
	int fd, one = 1;

	fill_pattern(payload, sizeof(payload), 1);
	len = mk_frame(frame, 77, payload, sizeof(payload));
	CU_ASSERT_FATAL(fx_start(&fx, 16, 2, 1, 600000, 0) == 0);
	fd = cli_connect(fx.port);
	CU_ASSERT_FATAL(fd >= 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* the size prefix byte by byte, then pieces of growing size */
	for (size_t step = 1; pos < len; step = step < 1024 ? step * 2 + 1 : step) {
		size_t n = pos < 4 ? 1 : step;
		if (n > len - pos)
			n = len - pos;
		CU_ASSERT_FATAL(write_all(fd, frame + pos, n) == 0);
		pos += n;
		if (pos < 16)
			usleep(1000); /* lets the broker read the prefix in pieces */
	}
	CU_ASSERT_EQUAL(cli_recv(fd, &corr, back, sizeof(back)), (long)sizeof(payload));
	CU_ASSERT_EQUAL(corr, 77);
	CU_ASSERT(!memcmp(back, payload, sizeof(payload)));
	CU_ASSERT(cli_echo(fd, 78, "next"));
	close(fd);
	fx_stop(&fx);
}

static void test_many_in_one_write(void)
{
	fixture_t fx;
	enum { N = 200 };
	static uint8_t buf[N * (12 + 300)], payload[300], back[300];
	size_t len = 0;
	int fd, ok = 1;

	CU_ASSERT_FATAL(fx_start(&fx, 16, 3, 2, 600000, 0) == 0);
	fd = cli_connect(fx.port);
	CU_ASSERT_FATAL(fd >= 0);
	for (int i = 0; i < N; i++) {
		fill_pattern(payload, (size_t)(i % 300), (unsigned)i);
		len += mk_frame(buf + len, 1000 + i, payload, (size_t)(i % 300));
	}
	CU_ASSERT_FATAL(write_all(fd, buf, len) == 0);
	for (int i = 0; i < N && ok; i++) {
		int32_t corr = -1;
		long n = cli_recv(fd, &corr, back, sizeof(back));
		fill_pattern(payload, (size_t)(i % 300), (unsigned)i);
		ok = corr == 1000 + i && n == i % 300 && !memcmp(back, payload, (size_t)n);
	}
	CU_ASSERT(ok);
	CU_ASSERT_EQUAL(fx_stats(&fx).requests_received, N);
	close(fd);
	fx_stop(&fx);
}

static void tweak_small_max(sm_socket_server_config_t *cfg)
{
	cfg->socket_request_max_bytes = 4096;
}

static void test_frame_at_max(void)
{
	fixture_t fx;
	static uint8_t payload[4096], frame[4 + 4096 + 1], back[4096];
	int32_t corr = -1;
	int fd;

	fill_pattern(payload, sizeof(payload), 3);
	fx_tweak = tweak_small_max;
	CU_ASSERT_FATAL(fx_start(&fx, 16, 2, 1, 600000, 0) == 0);
	fd = cli_connect(fx.port);
	CU_ASSERT_FATAL(fd >= 0);
	/* exactly socket.request.max.bytes: served */
	CU_ASSERT_FATAL(write_all(fd, frame, mk_frame(frame, 5, payload, 4096 - 8)) == 0);
	CU_ASSERT_EQUAL(cli_recv(fd, &corr, back, sizeof(back)), 4096 - 8);
	CU_ASSERT_EQUAL(corr, 5);
	CU_ASSERT(!memcmp(back, payload, 4096 - 8));
	/* one byte more: closed, nothing read beyond the prefix (the write
	 * may fail once the close is there) */
	(void)write_all(fd, frame, mk_frame(frame, 6, payload, 4096 - 7));
	CU_ASSERT(cli_closed(fd));
	CU_ASSERT_EQUAL(fx_stats(&fx).requests_received, 1);
	close(fd);
	fx_stop(&fx);
}

static int wait_queued(fixture_t *fx, int64_t want)
{
	for (int i = 0; i < 1000 && sm_socket_server_queued_bytes(fx->ss) != want; i++)
		usleep(5000);
	return sm_socket_server_queued_bytes(fx->ss) == want;
}

/* A peer gone in the middle of a frame gives its grant back, also when its
 * close or reset arrived together with its last bytes. */
static void test_close_mid_frame(void)
{
	fixture_t fx;
	uint8_t part[4 + 20];
	struct linger lg = { 1, 0 };
	int fd;

	memset(part, 'z', sizeof(part));
	sm_put_be32(part, 50);
	fx_tweak = tweak_memory;
	CU_ASSERT_FATAL(fx_start(&fx, 16, 2, 1, 600000, 0) == 0);
	for (int round = 0; round < 20; round++) {
		fd = cli_connect(fx.port);
		CU_ASSERT_FATAL(fd >= 0);
		if (round % 2)
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)); /* reset */
		/* prefix, 2 bytes of it, or prefix and part of the body */
		CU_ASSERT(write_all(fd, part, round % 3 == 0 ? 4 : round % 3 == 1 ? 2 :
				    sizeof(part)) == 0);
		close(fd);
	}
	CU_ASSERT(WAIT_STAT(&fx, connections_closed, 20));
	CU_ASSERT(wait_queued(&fx, 0));
	fd = cli_connect(fx.port);
	CU_ASSERT(cli_echo(fd, 9, "still granted"));
	close(fd);
	fx_stop(&fx);
}

static void test_bind_conflict(void)
{
	fixture_t fx;
	sm_socket_server_config_t cfg;
	sm_listener_cfg_t l = { "PLAINTEXT", "127.0.0.1", 0, 0, 0, NULL, NULL, NULL };
	sm_request_channel_t *ch2 = sm_request_channel_new(4);
	sm_socket_server_t *ss2;
	char err[256] = "";

	CU_ASSERT_FATAL(fx_start(&fx, 16, 1, 1, 600000, 0) == 0);
	l.port = fx.port;
	sm_socket_server_config_defaults(&cfg);
	cfg.listeners = &l;
	cfg.num_listeners = 1;
	ss2 = sm_socket_server_new(&cfg, ch2);
	CU_ASSERT_EQUAL(sm_socket_server_startup(ss2, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "failed to bind"));
	sm_socket_server_destroy(ss2);
	sm_request_channel_destroy(ch2);
	fx_stop(&fx);
}

static void test_stop_accepting(void)
{
	fixture_t fx;
	int a, b;

	CU_ASSERT_FATAL(fx_start(&fx, 16, 1, 1, 600000, 0) == 0);
	a = cli_connect(fx.port);
	CU_ASSERT(cli_echo(a, 1, "one"));
	sm_socket_server_stop_accepting(fx.ss);
	sm_socket_server_stop_accepting(fx.ss);
	b = cli_connect(fx.port);
	CU_ASSERT_EQUAL(b, -1); /* nothing listens any more */
	CU_ASSERT(cli_echo(a, 2, "existing connection still served"));
	close(a);
	fx_stop(&fx);
}

static void test_shutdown_with_outstanding(void)
{
	fixture_t fx;
	int fds[6];

	nheld = 0;
	CU_ASSERT_FATAL(fx_start(&fx, 16, 3, 2, 600000, 0) == 0);
	for (int i = 0; i < 6; i++) {
		fds[i] = cli_connect(fx.port);
		CU_ASSERT_FATAL(fds[i] >= 0);
		cli_send(fds[i], i, i < 3 ? "HOLD" : "SLOW", 4);
		/* Pipelined behind the held request; never read by the server. */
		cli_send(fds[i], 100 + i, "queued", 6);
	}
	for (int i = 0; i < 1000 && __atomic_load_n(&nheld, __ATOMIC_SEQ_CST) < 3; i++)
		usleep(5000);
	CU_ASSERT_EQUAL(__atomic_load_n(&nheld, __ATOMIC_SEQ_CST), 3);
	/* SLOW handlers may be mid-response while the server goes away. */
	sm_socket_server_shutdown(fx.ss);
	sm_socket_server_shutdown(fx.ss);
	sm_socket_server_destroy(fx.ss);
	fx.ss = NULL;
	for (int i = 0; i < 6; i++)
		CU_ASSERT(cli_closed(fds[i]));
	/* Finishing held requests after the server is gone only frees them. */
	pthread_mutex_lock(&held_lock);
	for (int i = 0; i < nheld; i++) {
		sm_wbuf_t *w;
		if (i == 0) {
			sm_request_channel_close(fx.ch, held[i]);
			continue;
		}
		w = sm_malloc(sizeof(*w));
		sm_wbuf_init(w, 8);
		sm_wbuf_add_file(w, test_file, 0, 10);
		sm_request_channel_send_response(fx.ch, held[i], w);
	}
	nheld = 0;
	pthread_mutex_unlock(&held_lock);
	sm_request_channel_shutdown(fx.ch);
	for (int i = 0; i < fx.nhandlers; i++)
		pthread_join(fx.handlers[i], NULL);
	sm_request_channel_destroy(fx.ch);
	for (int i = 0; i < 6; i++)
		close(fds[i]);
}

static void test_two_listeners_any_host(void)
{
	sm_socket_server_config_t cfg;
	sm_listener_cfg_t *ls;
	sm_request_channel_t *ch = sm_request_channel_new(8);
	sm_socket_server_t *ss;
	pthread_t h;
	char err[256];
	int nls, p1, p2, fd;

	/* Empty host binds every interface; each listener gets its own port. */
	CU_ASSERT_FATAL(sm_listeners_parse("PLAINTEXT://:0,INTERNAL://127.0.0.1:0",
					   &ls, &nls, err, sizeof(err)) == 0);
	sm_socket_server_config_defaults(&cfg);
	cfg.listeners = ls;
	cfg.num_listeners = nls;
	cfg.num_network_threads = 1;
	ss = sm_socket_server_new(&cfg, ch);
	free(ls);
	CU_ASSERT_FATAL(sm_socket_server_startup(ss, err, sizeof(err)) == 0);
	pthread_create(&h, NULL, handler_main, ch);
	p1 = sm_socket_server_bound_port(ss, "PLAINTEXT");
	p2 = sm_socket_server_bound_port(ss, "INTERNAL");
	CU_ASSERT(p1 > 0 && p2 > 0 && p1 != p2);
	fd = cli_connect(p1);
	CU_ASSERT(cli_echo(fd, 1, "any"));
	close(fd);
	fd = cli_connect(p2);
	CU_ASSERT(cli_echo(fd, 2, "internal"));
	close(fd);
	sm_socket_server_destroy(ss);
	sm_request_channel_shutdown(ch);
	pthread_join(h, NULL);
	sm_request_channel_destroy(ch);
}

/* num.network.threads at run time: connections made before and after a
 * grow and a cut are served; a cut closes the retired processors'
 * connections (some of the three below land on them) and never the
 * surviving ones. */
static void test_resize_processors(void)
{
	fixture_t fx;
	char err[256];
	int fds[6];

	CU_ASSERT_FATAL(fx_start(&fx, 16, 2, 1, 600000, 0) == 0);
	CU_ASSERT_EQUAL(sm_socket_server_num_processors(fx.ss), 1);
	CU_ASSERT_EQUAL(sm_socket_server_resize_processors(fx.ss, 0, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(sm_socket_server_resize_processors(fx.ss, 1025, err, sizeof(err)), -1);
	fds[0] = cli_connect(fx.port);
	CU_ASSERT_FATAL(fds[0] >= 0);
	CU_ASSERT(cli_echo(fds[0], 1, "before"));
	CU_ASSERT_EQUAL(sm_socket_server_resize_processors(fx.ss, 3, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(sm_socket_server_num_processors(fx.ss), 3);
	/* round-robin: the next connections reach the new processors too */
	for (int i = 1; i < 6; i++) {
		fds[i] = cli_connect(fx.port);
		CU_ASSERT_FATAL(fds[i] >= 0);
		CU_ASSERT(cli_echo(fds[i], 10 + i, "grown"));
	}
	CU_ASSERT(cli_echo(fds[0], 2, "still"));
	CU_ASSERT_EQUAL(sm_socket_server_resize_processors(fx.ss, 1, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(sm_socket_server_num_processors(fx.ss), 1);
	/* the first connection was on processor 0, which stays */
	CU_ASSERT(cli_echo(fds[0], 3, "after cut"));
	int closed = 0;
	for (int i = 1; i < 6; i++) {
		if (!cli_echo(fds[i], 20 + i, "x"))
			closed++;
		close(fds[i]);
	}
	CU_ASSERT(closed >= 3);
	int fd = cli_connect(fx.port);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(cli_echo(fd, 30, "new after cut"));
	close(fd);
	close(fds[0]);
	fx_stop(&fx);
}

/* Dynamic listeners: one added is served, one removed refuses new
 * connections and its open connection is closed; the first one is not
 * touched; a duplicate name and an unknown one are refused. */
static void test_add_remove_listener(void)
{
	fixture_t fx;
	char err[256];
	sm_listener_cfg_t *ls;
	int n;

	CU_ASSERT_FATAL(fx_start(&fx, 16, 2, 2, 600000, 0) == 0);
	CU_ASSERT_FATAL(sm_listeners_parse("EXTERNAL://127.0.0.1:0", &ls, &n, err, sizeof(err)) == 0);
	CU_ASSERT_EQUAL(sm_socket_server_add_listener(fx.ss, ls, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(sm_socket_server_add_listener(fx.ss, ls, err, sizeof(err)), -1);
	CU_ASSERT(strstr(err, "already exists") != NULL);
	free(ls);
	int ext = sm_socket_server_bound_port(fx.ss, "EXTERNAL");
	CU_ASSERT_FATAL(ext > 0);
	int a = cli_connect(fx.port), b = cli_connect(ext);
	CU_ASSERT_FATAL(a >= 0 && b >= 0);
	CU_ASSERT(cli_echo(a, 1, "old"));
	CU_ASSERT(cli_echo(b, 2, "new"));
	CU_ASSERT_EQUAL(sm_socket_server_remove_listener(fx.ss, "NOPE"), -1);
	CU_ASSERT_EQUAL(sm_socket_server_remove_listener(fx.ss, "EXTERNAL"), 0);
	CU_ASSERT_EQUAL(sm_socket_server_bound_port(fx.ss, "EXTERNAL"), -1);
	CU_ASSERT(cli_closed(b));
	close(b);
	CU_ASSERT(cli_connect(ext) < 0);
	CU_ASSERT(cli_echo(a, 3, "old still"));
	close(a);
	/* the name can come back */
	CU_ASSERT_FATAL(sm_listeners_parse("EXTERNAL://127.0.0.1:0", &ls, &n, err, sizeof(err)) == 0);
	CU_ASSERT_EQUAL(sm_socket_server_add_listener(fx.ss, ls, err, sizeof(err)), 0);
	free(ls);
	b = cli_connect(sm_socket_server_bound_port(fx.ss, "EXTERNAL"));
	CU_ASSERT_FATAL(b >= 0);
	CU_ASSERT(cli_echo(b, 4, "again"));
	close(b);
	fx_stop(&fx);
}

static int make_test_file(void)
{
	char path[] = "/tmp/test_socket_server_XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	unlink(path);
	for (size_t i = 0; i < sizeof(file_data); i++)
		file_data[i] = (uint8_t)(i * 131 + (i >> 8));
	if (write(fd, file_data, sizeof(file_data)) != (ssize_t)sizeof(file_data)) {
		close(fd);
		return -1;
	}
	test_file = sm_fileref_new(fd);
	return 0;
}

int main(void)
{
	sm_logger_init(NULL, SM_LOG_INFO, 0);
	if (make_test_file() < 0) {
		perror("test file");
		return 1;
	}
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("socket_server", NULL, NULL);
	CU_add_test(s, "listeners parse", test_listeners_parse);
	CU_add_test(s, "request channel basics", test_channel_basics);
	CU_add_test(s, "echo and stats", test_echo_and_stats);
	CU_add_test(s, "processors resized at run time", test_resize_processors);
	CU_add_test(s, "listeners added and removed at run time", test_add_remove_listener);
	CU_add_test(s, "many concurrent clients", test_many_clients);
	CU_add_test(s, "pipelined requests answered in order", test_pipelined_in_order);
	CU_add_test(s, "requests run to completion on the processor", test_inline_requests);
	CU_add_test(s, "big frames pipelined, read whole and alone", test_big_frames_pipelined);
	CU_add_test(s, "bad sizes close only that connection", test_bad_sizes);
	CU_add_test(s, "truncated frame then disconnect", test_truncated_frame);
	CU_add_test(s, "file fragment response", test_file_fragment_response);
	CU_add_test(s, "handler close and no-response", test_close_and_no_response);
	CU_add_test(s, "response after client disconnect", test_response_after_disconnect);
	CU_add_test(s, "queue-full backpressure", test_queue_full_backpressure);
	CU_add_test(s, "idle connections closed", test_idle_close);
	CU_add_test(s, "max.connections", test_max_connections);
	CU_add_test(s, "listener max.connections", test_listener_max_connections);
	CU_add_test(s, "single inter-broker listener not exempt", test_inter_broker_exempt);
	CU_add_test(s, "max.connections.per.ip", test_max_connections_per_ip);
	CU_add_test(s, "max.connections.per.ip.overrides", test_per_ip_overrides);
	CU_add_test(s, "max.connection.creation.rate", test_creation_rate);
	CU_add_test(s, "listener max.connection.creation.rate", test_listener_creation_rate);
	CU_add_test(s, "per-address connection_creation_rate", test_ip_creation_rate);
	CU_add_test(s, "queued.max.request.bytes", test_request_memory_bound);
	CU_add_test(s, "bind conflict reported", test_bind_conflict);
	CU_add_test(s, "a frame split into many writes", test_split_writes);
	CU_add_test(s, "200 frames in one write", test_many_in_one_write);
	CU_add_test(s, "a frame at socket.request.max.bytes", test_frame_at_max);
	CU_add_test(s, "closes and resets mid-frame return the grant", test_close_mid_frame);
	CU_add_test(s, "stop accepting", test_stop_accepting);
	CU_add_test(s, "two listeners, any host", test_two_listeners_any_host);
	CU_add_test(s, "shutdown with outstanding requests", test_shutdown_with_outstanding);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	sm_fileref_release(test_file);
	libevent_global_shutdown();
	return failed ? 1 : 0;
}
