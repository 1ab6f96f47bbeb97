/*
 * request_channel.c - the bounded queue between network processors and
 * request handler threads, plus the response path back (Kafka's
 * RequestChannel).
 *
 * The request side is a fixed ring of queued.max.requests slots under one
 * mutex with two condition variables. The response side calls the sink the
 * socket server registered; a reader-writer lock (writer-preferring) guards
 * the sink so that detaching it at shutdown waits for every handler already
 * inside a sink call, after which responses are simply freed. That is what
 * lets handlers finish requests at any time, even after the server is gone.
 *
 * Thread-safety: every function may be called from any thread.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "request_channel.h"
#include "clock.h"

struct sm_request_channel {
	pthread_mutex_t lock;
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
	sm_request_t **ring;
	int cap;
	int head;  /* index of the oldest request */
	int count;
	int shutdown;

	pthread_rwlock_t sink_lock;
	sm_response_sink_t sink;
	int has_sink;

	/* the inline handler, read-locked by a processor for each call */
	pthread_rwlock_t inline_lock;
	sm_request_inline_fn *inline_fn;
	void *inline_opaque;
	int has_inline;  /* relaxed copy of inline_fn != NULL: no lock when unset */
};

void sm_request_free(sm_request_t *req)
{
	if (!req)
		return;
	free(req->data);
	if (req->pool) {
		sm_mempool_release(req->pool, req->pool_bytes);
		sm_mempool_unref(req->pool);
	}
	free(req);
}

static void sm_request_channel_free_resp(sm_wbuf_t *resp)
{
	if (!resp)
		return;
	sm_wbuf_free(resp);
	free(resp);
}

sm_request_channel_t *sm_request_channel_new(int queue_size)
{
	sm_request_channel_t *ch = sm_calloc(1, sizeof(*ch));
	pthread_rwlockattr_t ra;

	if (queue_size < 1)
		queue_size = 1;
	ch->cap = queue_size;
	ch->ring = sm_calloc((size_t)queue_size, sizeof(*ch->ring));
	pthread_mutex_init(&ch->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ch->not_empty, &ca);
	pthread_cond_init(&ch->not_full, &ca);
	pthread_condattr_destroy(&ca);
	/* Writer preference: a shutdown detaching the sink must not starve
	 * behind a steady stream of responses. */
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&ch->sink_lock, &ra);
	pthread_rwlock_init(&ch->inline_lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	return ch;
}

void sm_request_channel_destroy(sm_request_channel_t *ch)
{
	if (!ch)
		return;
	/* Requests nobody received any more are dropped with the channel. */
	for (int i = 0; i < ch->count; i++)
		sm_request_free(ch->ring[(ch->head + i) % ch->cap]);
	free(ch->ring);
	pthread_mutex_destroy(&ch->lock);
	pthread_cond_destroy(&ch->not_empty);
	pthread_cond_destroy(&ch->not_full);
	pthread_rwlock_destroy(&ch->sink_lock);
	pthread_rwlock_destroy(&ch->inline_lock);
	free(ch);
}

int sm_request_channel_put(sm_request_channel_t *ch, sm_request_t *req, int nonblock)
{
	pthread_mutex_lock(&ch->lock);
	while (!ch->shutdown && ch->count == ch->cap && !nonblock)
		pthread_cond_wait(&ch->not_full, &ch->lock);
	if (ch->shutdown || ch->count == ch->cap) {
		pthread_mutex_unlock(&ch->lock);
		return -1;
	}
	ch->ring[(ch->head + ch->count) % ch->cap] = req;
	ch->count++;
	pthread_cond_signal(&ch->not_empty);
	pthread_mutex_unlock(&ch->lock);
	return 0;
}

static void sm_request_channel_deadline(struct timespec *ts, int timeout_ms)
{
	sm_clock_deadline_ts(CLOCK_MONOTONIC, timeout_ms, ts);
}

sm_request_t *sm_request_channel_receive(sm_request_channel_t *ch, int timeout_ms)
{
	struct timespec deadline;
	sm_request_t *req = NULL;

	if (timeout_ms >= 0)
		sm_request_channel_deadline(&deadline, timeout_ms);
	pthread_mutex_lock(&ch->lock);
	while (!ch->shutdown && ch->count == 0) {
		if (timeout_ms < 0) {
			pthread_cond_wait(&ch->not_empty, &ch->lock);
		} else if (pthread_cond_timedwait(&ch->not_empty, &ch->lock,
						  &deadline) == ETIMEDOUT) {
			break;
		}
	}
	if (!ch->shutdown && ch->count > 0) {
		req = ch->ring[ch->head];
		ch->ring[ch->head] = NULL;
		ch->head = (ch->head + 1) % ch->cap;
		ch->count--;
		pthread_cond_signal(&ch->not_full);
	}
	pthread_mutex_unlock(&ch->lock);
	return req;
}

void sm_request_channel_shutdown(sm_request_channel_t *ch)
{
	pthread_mutex_lock(&ch->lock);
	ch->shutdown = 1;
	pthread_cond_broadcast(&ch->not_empty);
	pthread_cond_broadcast(&ch->not_full);
	pthread_mutex_unlock(&ch->lock);
}

void sm_request_channel_set_sink(sm_request_channel_t *ch, const sm_response_sink_t *sink)
{
	pthread_rwlock_wrlock(&ch->sink_lock);
	if (sink) {
		ch->sink = *sink;
		ch->has_sink = 1;
	} else {
		memset(&ch->sink, 0, sizeof(ch->sink));
		ch->has_sink = 0;
	}
	pthread_rwlock_unlock(&ch->sink_lock);
}

void sm_request_channel_set_inline(sm_request_channel_t *ch, sm_request_inline_fn *fn, void *opaque)
{
	pthread_rwlock_wrlock(&ch->inline_lock);
	ch->inline_fn = fn;
	ch->inline_opaque = opaque;
	__atomic_store_n(&ch->has_inline, fn != NULL, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&ch->inline_lock);
}

int sm_request_channel_try_inline(sm_request_channel_t *ch, sm_request_t *req)
{
	int took = 0;

	if (!__atomic_load_n(&ch->has_inline, __ATOMIC_RELAXED))
		return 0;
	pthread_rwlock_rdlock(&ch->inline_lock);
	if (ch->inline_fn)
		took = ch->inline_fn(ch->inline_opaque, req);
	pthread_rwlock_unlock(&ch->inline_lock);
	return took;
}

void sm_request_channel_send_response(sm_request_channel_t *ch, sm_request_t *req,
				      sm_wbuf_t *resp)
{
	pthread_rwlock_rdlock(&ch->sink_lock);
	if (ch->has_sink && ch->sink.send) {
		ch->sink.send(ch->sink.opaque, req, resp);
	} else {
		sm_request_free(req);
		sm_request_channel_free_resp(resp);
	}
	pthread_rwlock_unlock(&ch->sink_lock);
}

void sm_request_channel_close(sm_request_channel_t *ch, sm_request_t *req)
{
	pthread_rwlock_rdlock(&ch->sink_lock);
	if (ch->has_sink && ch->sink.close)
		ch->sink.close(ch->sink.opaque, req);
	else
		sm_request_free(req);
	pthread_rwlock_unlock(&ch->sink_lock);
}
