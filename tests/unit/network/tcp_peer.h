/*
 * tcp_peer.h - the plumbing of the Kafka-ish TCP peers that unit tests run
 * in a thread against a client under test (test_controller_channel's
 * echoing broker, test_txn_marker_channel's WriteTxnMarkers brokers): a
 * loopback listener on a free port, a thread accepting and serving
 * connections whose reads notice a stop flag within one poll tick, the read
 * of one size-prefixed request frame, and a wait on a condition with a
 * deadline (no fixed sleeps).
 *
 * What a peer answers stays in its test; everything here is static inline
 * so a program that does not use a helper compiles without a warning.
 */
#ifndef SM_TEST_TCP_PEER_H
#define SM_TEST_TCP_PEER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"

/* A TCP socket bound to 127.0.0.1 on a free port (*port), not listening
 * (connects to it are refused); -1 when none could be had. */
static inline int tp_bind(int *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A listening TCP socket on 127.0.0.1 and a free port (*port); aborts the
 * test program when the machine has none. */
static inline int tp_listen(int *port)
{
	int fd = tp_bind(port);
	if (fd < 0 || listen(fd, 16) < 0)
		abort();
	return fd;
}

/* Reads exactly n bytes. Before each recv, ready(ctx, fd) (when given)
 * waits for data and returns 0, or -1 to give up. 0, or -1 on EOF, an
 * error (a receive timeout of the socket included) or giving up. */
static inline int tp_recv_all(int fd, void *buf, size_t n, int (*ready)(void *ctx, int fd),
			      void *ctx)
{
	uint8_t *p = buf;
	while (n > 0) {
		if (ready && ready(ctx, fd) < 0)
			return -1;
		ssize_t r = recv(fd, p, n, 0);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Waits for data on fd in poll ticks of 20 ms; -1 once *stop is set. */
static inline int tp_ready_unless_stopped(void *stop, int fd)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	while (poll(&pfd, 1, 20) <= 0)
		if (atomic_load((atomic_int *)stop))
			return -1;
	return atomic_load((atomic_int *)stop) ? -1 : 0;
}

/* Reads n bytes, polling so that stop is noticed. 0, or -1 on EOF/stop. */
static inline int tp_read(atomic_int *stop, int fd, uint8_t *p, size_t n)
{
	return tp_recv_all(fd, p, n, tp_ready_unless_stopped, stop);
}

/* One request frame (what follows its 4-byte size, at most 1 MiB), malloc'd;
 * *sizep its size. NULL on EOF, stop or an oversized frame. */
static inline uint8_t *tp_read_frame(atomic_int *stop, int fd, uint32_t *sizep)
{
	uint8_t szb[4];
	if (tp_read(stop, fd, szb, 4) < 0)
		return NULL;
	uint32_t size = sm_be32(szb);
	if (size > 1 << 20)
		return NULL;
	uint8_t *frame = malloc(size ? size : 1);
	if (tp_read(stop, fd, frame, size) < 0) {
		free(frame);
		return NULL;
	}
	*sizep = size;
	return frame;
}

/* A peer: its listener, its thread and what the thread shares with the
 * test. lock guards nconn and whatever the test records about requests. */
typedef struct tp_peer {
	int lfd;
	int port;
	pthread_t th;
	atomic_int stop;
	pthread_mutex_t lock;
	int nconn;
	void (*conn)(void *ctx, int fd); /* serves one connection until it returns */
	void *ctx;
} tp_peer_t;

/* The peer's thread: accepts connections one at a time until stop is set,
 * counts them, serves each with conn and closes it. */
static inline void *tp_peer_main(void *arg)
{
	tp_peer_t *p = arg;
	while (!atomic_load(&p->stop)) {
		struct pollfd pfd = { p->lfd, POLLIN, 0 };
		if (poll(&pfd, 1, 20) <= 0)
			continue;
		int fd = accept(p->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		pthread_mutex_lock(&p->lock);
		p->nconn++;
		pthread_mutex_unlock(&p->lock);
		p->conn(p->ctx, fd);
		close(fd);
	}
	return NULL;
}

/* Listens on a free loopback port and starts the thread; the test's own
 * state must be ready, the thread may serve at once. */
static inline void tp_peer_start(tp_peer_t *p, void (*conn)(void *ctx, int fd), void *ctx)
{
	p->lfd = tp_listen(&p->port);
	atomic_init(&p->stop, 0);
	pthread_mutex_init(&p->lock, NULL);
	p->nconn = 0;
	p->conn = conn;
	p->ctx = ctx;
	pthread_create(&p->th, NULL, tp_peer_main, p);
}

/* Stops the thread (within one poll tick of the read it is in) and closes
 * the listener. */
static inline void tp_peer_stop(tp_peer_t *p)
{
	atomic_store(&p->stop, 1);
	pthread_join(p->th, NULL);
	close(p->lfd);
	pthread_mutex_destroy(&p->lock);
}

/* Polls cond(arg) until true (1) or timeout_ms passed (0). */
static inline int tp_wait_until(int (*cond)(void *), void *arg, int timeout_ms)
{
	int64_t end = sm_clock_mono_ms() + timeout_ms;
	while (!cond(arg)) {
		if (sm_clock_mono_ms() > end)
			return 0;
		usleep(2000);
	}
	return 1;
}

#endif /* SM_TEST_TCP_PEER_H */
