/*
 * controller_channel.h - the controller's channel to every live broker
 * (Kafka's ControllerChannelManager and its RequestSendThreads).
 *
 * Each broker added gets a FIFO queue and a sender thread ("ctrl-send-<id>")
 * that owns one blocking connection (net_client). The thread sends the
 * queued requests one at a time, in order, and retries each one --
 * reconnecting with a 100-500 ms backoff -- until it gets a response or the
 * broker is removed, as Kafka's RequestSendThread does. Requests use header
 * v2 when their version is flexible and carry the controller id as client id.
 *
 * Callbacks run on the broker's sender thread: with SM_ERR_NONE and the
 * response body (header stripped) once the response arrives, or with
 * SM_ERR_BROKER_NOT_AVAILABLE and no body for a request dropped because its
 * broker was removed or the channel destroyed (so opaque can always be
 * released). A callback must not call back into the channel to remove or
 * destroy, nor wait for anything the thread calling remove/destroy holds:
 * those calls join the sender thread.
 *
 * Thread-safety: all functions are thread-safe. Lock order: channel lock,
 * then a broker's queue lock; no lock is held across network waits or
 * callbacks.
 */
#ifndef SM_CONTROLLER_CHANNEL_H
#define SM_CONTROLLER_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

typedef struct sm_controller_channel sm_controller_channel_t;

typedef void (*sm_controller_channel_cb_t)(void *opaque, int32_t broker_id, int16_t api_key,
					   int16_t api_version, sm_err_t err,
					   const uint8_t *resp_body, size_t len);

/* Kafka's controller.socket.timeout.ms default. */
#define SM_CONTROLLER_CHANNEL_TIMEOUT_MS 30000

sm_controller_channel_t *sm_controller_channel_new(int32_t controller_id);
/* Stops every sender thread; queued requests are dropped (callbacks get
 * SM_ERR_BROKER_NOT_AVAILABLE). */
void sm_controller_channel_destroy(sm_controller_channel_t *ch);

/* Connect and request timeout for brokers added after this call. */
void sm_controller_channel_set_timeout(sm_controller_channel_t *ch, int timeout_ms);

/* Starts the broker's sender thread. A broker already present is left as
 * is (remove it first to change its address). */
void sm_controller_channel_add_broker(sm_controller_channel_t *ch, int32_t broker_id,
				      const char *host, int port);
/* Stops the broker's thread (cutting short any connect or wait) and drops
 * its queued requests. No-op for an unknown broker. */
void sm_controller_channel_remove_broker(sm_controller_channel_t *ch, int32_t broker_id);
int sm_controller_channel_has_broker(sm_controller_channel_t *ch, int32_t broker_id);

/* Queues a request (body = the request body, without size or header) for
 * broker_id. body is consumed on every path: its contents move into the
 * queue and *body is left empty (freeing it again is harmless). For an
 * unknown broker the request is dropped with a warning and cb (if any) is
 * called at once, on the calling thread, with SM_ERR_BROKER_NOT_AVAILABLE. */
void sm_controller_channel_send(sm_controller_channel_t *ch, int32_t broker_id, int16_t api_key,
				int16_t api_version, sm_wbuf_t *body,
				sm_controller_channel_cb_t cb, void *opaque);

/* Number of requests queued or in flight for broker_id (-1: unknown). */
int sm_controller_channel_queue_size(sm_controller_channel_t *ch, int32_t broker_id);

#endif /* SM_CONTROLLER_CHANNEL_H */
