/*
 * controller_channel.c - the controller-to-broker channel (Kafka's
 * ControllerChannelManager + RequestSendThread). See controller_channel.h.
 *
 * DESIGN
 *   One sm_cc_broker_t per broker: a FIFO of requests, a sender thread and a
 *   pipe whose read end is the net_client's cancel fd. The sender thread is
 *   the only one that takes requests off the queue; it keeps the head in the
 *   queue until its response arrives, so queue_size counts the in-flight one.
 *   Removal unlinks the broker from the channel (so nothing more can be
 *   queued), sets 'stop', writes the pipe to cut short any connect/poll, and
 *   joins the thread, which fails the remaining requests on its way out.
 *
 * Thread-safety: ch->lock guards the broker list; b->lock guards b's queue
 * and stop flag. Order: ch->lock before b->lock. Network waits and callbacks
 * run with no lock held.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_setname_np, pipe2 */
#endif
#include "controller_channel.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "logger.h"
#include "net_client.h"
#include "thread_role.h"

#define SM_CC_LOGGER "kafka.controller.RequestSendThread"
#define SM_CC_BACKOFF_MIN_MS 100
#define SM_CC_BACKOFF_MAX_MS 500

typedef struct sm_cc_req {
	struct sm_cc_req *next;
	int16_t api_key;
	int16_t api_version;
	sm_wbuf_t body;
	sm_controller_channel_cb_t cb;
	void *opaque;
} sm_cc_req_t;

typedef struct sm_cc_broker {
	struct sm_cc_broker *next;
	int32_t id;
	int32_t controller_id;
	char *host;
	int port;
	int timeout_ms;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	sm_cc_req_t *head, *tail;
	int queued;
	int stop;
	int cancel[2]; /* pipe: [0] polled by the client, [1] written on stop */
} sm_cc_broker_t;

struct sm_controller_channel {
	int32_t controller_id;
	int timeout_ms;
	pthread_mutex_t lock;
	sm_cc_broker_t *brokers;
};

/* Kafka's first flexible version of the APIs the controller sends. */
static int sm_cc_flexible(int16_t api_key, int16_t api_version)
{
	switch (api_key) {
	case 4: /* LeaderAndIsr */
		return api_version >= 4;
	case 5: /* StopReplica */
		return api_version >= 2;
	case 6: /* UpdateMetadata */
		return api_version >= 6;
	default:
		return 0;
	}
}

static void sm_cc_req_finish(sm_cc_req_t *r, int32_t broker_id, sm_err_t err,
			     const uint8_t *resp, size_t len)
{
	if (r->cb)
		r->cb(r->opaque, broker_id, r->api_key, r->api_version, err, resp, len);
	sm_wbuf_free(&r->body);
	free(r);
}

sm_controller_channel_t *sm_controller_channel_new(int32_t controller_id)
{
	sm_controller_channel_t *ch = sm_calloc(1, sizeof(*ch));
	ch->controller_id = controller_id;
	ch->timeout_ms = SM_CONTROLLER_CHANNEL_TIMEOUT_MS;
	pthread_mutex_init(&ch->lock, NULL);
	return ch;
}

void sm_controller_channel_set_timeout(sm_controller_channel_t *ch, int timeout_ms)
{
	pthread_mutex_lock(&ch->lock);
	ch->timeout_ms = timeout_ms > 0 ? timeout_ms : SM_CONTROLLER_CHANNEL_TIMEOUT_MS;
	pthread_mutex_unlock(&ch->lock);
}

/* Sleeps up to ms unless the broker is being stopped; returns b->stop. */
static int sm_cc_backoff(sm_cc_broker_t *b, int ms)
{
	struct timespec ts;
	sm_clock_deadline_ts(CLOCK_MONOTONIC, ms, &ts);
	pthread_mutex_lock(&b->lock);
	while (!b->stop && pthread_cond_timedwait(&b->cond, &b->lock, &ts) != ETIMEDOUT)
		;
	int stop = b->stop;
	pthread_mutex_unlock(&b->lock);
	return stop;
}

static int sm_cc_stopping(sm_cc_broker_t *b)
{
	pthread_mutex_lock(&b->lock);
	int stop = b->stop;
	pthread_mutex_unlock(&b->lock);
	return stop;
}

/* Sends r until a response arrives (0, body in resp) or the broker is being
 * stopped (-1). */
static int sm_cc_send_until_done(sm_cc_broker_t *b, sm_net_client_t *nc, sm_cc_req_t *r,
				 sm_wbuf_t *resp)
{
	char comp[64];
	int backoff = SM_CC_BACKOFF_MIN_MS;

	snprintf(comp, sizeof(comp), "RequestSendThread controllerId=%d", b->controller_id);
	while (!sm_cc_stopping(b)) {
		if (!sm_net_client_is_connected(nc)) {
			int err = sm_net_client_connect(nc, b->timeout_ms);
			if (err == SM_ERR__STATE)
				return -1;
			if (err) {
				sm_log(SM_LOGFILE_CONTROLLER, SM_LOG_WARN, comp, SM_CC_LOGGER,
				       "Controller %d's connection to broker %s:%d (id: %d rack: null) "
				       "was unsuccessful: %s", b->controller_id, b->host, b->port,
				       b->id, sm_net_client_last_error(nc));
				if (sm_cc_backoff(b, backoff))
					return -1;
				backoff = backoff * 2 > SM_CC_BACKOFF_MAX_MS ? SM_CC_BACKOFF_MAX_MS
									     : backoff * 2;
				continue;
			}
			sm_log(SM_LOGFILE_CONTROLLER, SM_LOG_INFO, comp, SM_CC_LOGGER,
			       "Controller %d connected to %s:%d (id: %d rack: null) for sending "
			       "state change requests", b->controller_id, b->host, b->port, b->id);
		}
		int flex = sm_cc_flexible(r->api_key, r->api_version);
		int err = sm_net_client_request(nc, r->api_key, r->api_version, &r->body, flex, resp,
						b->timeout_ms);
		if (!err)
			return 0;
		if (err == SM_ERR__STATE)
			return -1;
		sm_log(SM_LOGFILE_CONTROLLER, SM_LOG_WARN, comp, SM_CC_LOGGER,
		       "Controller %d fails to send a request (api key %d, version %d) to broker "
		       "%s:%d (id: %d rack: null): %s (%s). Reconnecting to broker.",
		       b->controller_id, r->api_key, r->api_version, b->host, b->port, b->id,
		       sm_net_client_last_error(nc), sm_err_name(err));
		sm_net_client_close(nc);
		if (sm_cc_backoff(b, backoff))
			return -1;
		backoff = backoff * 2 > SM_CC_BACKOFF_MAX_MS ? SM_CC_BACKOFF_MAX_MS : backoff * 2;
	}
	return -1;
}

/* Fails every queued request; called by the sender thread as it exits. */
static void sm_cc_drain(sm_cc_broker_t *b)
{
	pthread_mutex_lock(&b->lock);
	sm_cc_req_t *r = b->head;
	b->head = b->tail = NULL;
	b->queued = 0;
	pthread_mutex_unlock(&b->lock);
	while (r) {
		sm_cc_req_t *next = r->next;
		sm_cc_req_finish(r, b->id, SM_ERR_BROKER_NOT_AVAILABLE, NULL, 0);
		r = next;
	}
}

static void *sm_cc_thread_main(void *arg)
{
	sm_cc_broker_t *b = arg;
	char name[16], cid[16];
	sm_wbuf_t resp;

	snprintf(name, sizeof(name), "ctrl-send-%d", b->id);
	pthread_setname_np(pthread_self(), name);
	sm_thread_role_set(SM_ROLE_CONTROLLER_SENDER);
	snprintf(cid, sizeof(cid), "%d", b->controller_id);
	sm_net_client_t *nc = sm_net_client_new(b->host, b->port);
	sm_net_client_use_interbroker_tls(nc);
	sm_net_client_set_client_id(nc, cid);
	sm_net_client_set_cancel_fd(nc, b->cancel[0]);
	sm_wbuf_init(&resp, 256);
	for (;;) {
		pthread_mutex_lock(&b->lock);
		while (!b->head && !b->stop)
			pthread_cond_wait(&b->cond, &b->lock);
		sm_cc_req_t *r = b->stop ? NULL : b->head;
		pthread_mutex_unlock(&b->lock);
		if (!r || sm_cc_send_until_done(b, nc, r, &resp) < 0)
			break;
		pthread_mutex_lock(&b->lock);
		b->head = r->next;
		if (!b->head)
			b->tail = NULL;
		b->queued--;
		pthread_mutex_unlock(&b->lock);
		sm_cc_req_finish(r, b->id, SM_ERR_NONE, resp.p, resp.len);
	}
	sm_cc_drain(b);
	sm_wbuf_free(&resp);
	sm_net_client_destroy(nc);
	return NULL;
}

static sm_cc_broker_t *sm_cc_find(sm_controller_channel_t *ch, int32_t broker_id)
{
	for (sm_cc_broker_t *b = ch->brokers; b; b = b->next)
		if (b->id == broker_id)
			return b;
	return NULL;
}

static sm_cc_broker_t *sm_cc_broker_new(sm_controller_channel_t *ch, int32_t broker_id,
					const char *host, int port)
{
	sm_cc_broker_t *b = sm_calloc(1, sizeof(*b));
	pthread_condattr_t ca;

	b->id = broker_id;
	b->controller_id = ch->controller_id;
	b->host = sm_strdup(host);
	b->port = port;
	b->timeout_ms = ch->timeout_ms;
	pthread_mutex_init(&b->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (pipe2(b->cancel, O_CLOEXEC | O_NONBLOCK) < 0) {
		/* Still works; removal then waits out a blocked request's timeout. */
		sm_log(SM_LOGFILE_CONTROLLER, SM_LOG_WARN, NULL, "kafka.controller.ControllerChannelManager",
		       "Cannot create the wakeup pipe for broker %d: %s", broker_id, strerror(errno));
		b->cancel[0] = b->cancel[1] = -1;
	}
	return b;
}

static void sm_cc_broker_free(sm_cc_broker_t *b)
{
	if (b->cancel[0] >= 0) {
		close(b->cancel[0]);
		close(b->cancel[1]);
	}
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->cond);
	free(b->host);
	free(b);
}

void sm_controller_channel_add_broker(sm_controller_channel_t *ch, int32_t broker_id,
				      const char *host, int port)
{
	pthread_mutex_lock(&ch->lock);
	if (sm_cc_find(ch, broker_id)) {
		pthread_mutex_unlock(&ch->lock);
		return;
	}
	sm_cc_broker_t *b = sm_cc_broker_new(ch, broker_id, host, port);
	int rc = pthread_create(&b->thread, NULL, sm_cc_thread_main, b);
	if (rc != 0) {
		pthread_mutex_unlock(&ch->lock);
		sm_log(SM_LOGFILE_CONTROLLER, SM_LOG_ERROR, NULL,
		       "kafka.controller.ControllerChannelManager",
		       "Cannot start the request send thread for broker %d: %s", broker_id,
		       strerror(rc));
		sm_cc_broker_free(b);
		return;
	}
	b->next = ch->brokers;
	ch->brokers = b;
	pthread_mutex_unlock(&ch->lock);
}

/* Signals b's thread to stop; b must already be unlinked. */
static void sm_cc_broker_stop(sm_cc_broker_t *b)
{
	pthread_mutex_lock(&b->lock);
	b->stop = 1;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
	if (b->cancel[1] >= 0) {
		ssize_t n;
		do
			n = write(b->cancel[1], "x", 1);
		while (n < 0 && errno == EINTR);
	}
}

static void sm_cc_broker_join(sm_cc_broker_t *b)
{
	pthread_join(b->thread, NULL);
	sm_cc_broker_free(b);
}

void sm_controller_channel_remove_broker(sm_controller_channel_t *ch, int32_t broker_id)
{
	sm_cc_broker_t **pp, *b = NULL;

	pthread_mutex_lock(&ch->lock);
	for (pp = &ch->brokers; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == broker_id) {
			b = *pp;
			*pp = b->next;
			break;
		}
	}
	pthread_mutex_unlock(&ch->lock);
	if (!b)
		return;
	sm_cc_broker_stop(b);
	sm_cc_broker_join(b);
}

int sm_controller_channel_has_broker(sm_controller_channel_t *ch, int32_t broker_id)
{
	pthread_mutex_lock(&ch->lock);
	int found = sm_cc_find(ch, broker_id) != NULL;
	pthread_mutex_unlock(&ch->lock);
	return found;
}

void sm_controller_channel_destroy(sm_controller_channel_t *ch)
{
	if (!ch)
		return;
	pthread_mutex_lock(&ch->lock);
	sm_cc_broker_t *list = ch->brokers;
	ch->brokers = NULL;
	pthread_mutex_unlock(&ch->lock);
	/* Stop them all first so the threads wind down in parallel. */
	for (sm_cc_broker_t *b = list; b; b = b->next)
		sm_cc_broker_stop(b);
	while (list) {
		sm_cc_broker_t *next = list->next;
		sm_cc_broker_join(list);
		list = next;
	}
	pthread_mutex_destroy(&ch->lock);
	free(ch);
}

void sm_controller_channel_send(sm_controller_channel_t *ch, int32_t broker_id, int16_t api_key,
				int16_t api_version, sm_wbuf_t *body,
				sm_controller_channel_cb_t cb, void *opaque)
{
	sm_cc_req_t *r = sm_calloc(1, sizeof(*r));

	r->api_key = api_key;
	r->api_version = api_version;
	r->body = *body;
	memset(body, 0, sizeof(*body));
	r->cb = cb;
	r->opaque = opaque;

	pthread_mutex_lock(&ch->lock);
	sm_cc_broker_t *b = sm_cc_find(ch, broker_id);
	if (b) {
		pthread_mutex_lock(&b->lock);
		if (b->tail)
			b->tail->next = r;
		else
			b->head = r;
		b->tail = r;
		b->queued++;
		pthread_cond_signal(&b->cond);
		pthread_mutex_unlock(&b->lock);
	}
	pthread_mutex_unlock(&ch->lock);
	if (b)
		return;
	sm_log(SM_LOGFILE_CONTROLLER, SM_LOG_WARN, NULL, "kafka.controller.ControllerChannelManager",
	       "Not sending request (api key %d, version %d) to broker %d, since it is offline.",
	       api_key, api_version, broker_id);
	sm_cc_req_finish(r, broker_id, SM_ERR_BROKER_NOT_AVAILABLE, NULL, 0);
}

int sm_controller_channel_queue_size(sm_controller_channel_t *ch, int32_t broker_id)
{
	int n = -1;

	pthread_mutex_lock(&ch->lock);
	sm_cc_broker_t *b = sm_cc_find(ch, broker_id);
	if (b) {
		pthread_mutex_lock(&b->lock);
		n = b->queued;
		pthread_mutex_unlock(&b->lock);
	}
	pthread_mutex_unlock(&ch->lock);
	return n;
}
