/*
 * request_channel.h - the queue between the network processors and the
 * request handler threads (Kafka's RequestChannel).
 *
 * A processor reads one complete frame (the 4-byte size prefix stripped),
 * wraps it in an sm_request_t and puts it on the bounded request queue
 * (queued.max.requests); while the queue is full, processors stop reading.
 * As in Kafka, a connection is muted after a request is read and unmuted when
 * that request's response has been sent (or dropped, for acks=0), so requests
 * of one connection are handled strictly one at a time and responses go out in
 * request order even when clients pipeline.
 *
 * A handler thread takes a request, and must finish it exactly once with
 * sm_request_channel_send_response (a response, or NULL for "no response") or
 * sm_request_channel_close (protocol error: the connection is closed). Either
 * call consumes the request and may be made from any thread, at any later
 * time (delayed operations do this from purgatory).
 *
 * Thread-safety: all functions are thread-safe.
 */
#ifndef SM_REQUEST_CHANNEL_H
#define SM_REQUEST_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "connection_quotas.h"

typedef struct sm_request_channel sm_request_channel_t;

typedef struct sm_request {
	uint64_t conn_id;           /* unique per connection, never reused */
	int processor;              /* index of the owning processor */
	uint8_t *data;              /* the frame after the size prefix (owned) */
	size_t len;
	char peer[64];              /* "127.0.0.1:53211" for log lines */
	const char *listener;       /* listener name, e.g. "PLAINTEXT" */
	int64_t recv_time_ms;       /* monotonic clock when fully read */
	int zero_copy_ok;           /* the sink takes file fragments (every
	                               listener: sendfile(2) on plaintext,
	                               pread + SSL_write on TLS); 0: copy
	                               record bytes into the response */
	char principal[256];        /* authenticated principal of the
	                               connection, "User:ANONYMOUS" if none */
	sm_mempool_t *pool;         /* queued.max.request.bytes grant (a
	                               reference), returned by sm_request_free */
	int64_t pool_bytes;
	/* Request phases (metrics.h), in ms: api_key is -1 until the header
	 * is parsed; the handler fills the first three and resp_queued_ms when
	 * it hands the response over, the network thread the rest. */
	int16_t api_key;
	int64_t taken_ms;           /* taken by a handler thread */
	int64_t local_ms, remote_ms;
	int64_t resp_queued_ms;
	int32_t throttle_ms;        /* set by the handler: after its response
	                               is sent the connection stays muted this
	                               long (client quotas, KIP-219) */
} sm_request_t;

sm_request_channel_t *sm_request_channel_new(int queue_size);
void sm_request_channel_destroy(sm_request_channel_t *ch);

/* Processor side: blocks while the queue is full unless nonblock; returns 0,
 * or -1 when nonblock and full, or when the channel is shut down. Consumes req
 * on success only. */
int sm_request_channel_put(sm_request_channel_t *ch, sm_request_t *req, int nonblock);

/* Handler side: waits up to timeout_ms (-1 forever); NULL on timeout or after
 * shutdown. */
sm_request_t *sm_request_channel_receive(sm_request_channel_t *ch, int timeout_ms);

/* Wakes every waiting handler; later receives return NULL at once. */
void sm_request_channel_shutdown(sm_request_channel_t *ch);

/* Response delivery, implemented by the socket server, which registers itself
 * with sm_request_channel_set_sink() at startup.
 * resp: the response frame without its size prefix (response header + body),
 * consumed (freed) in every case; NULL means "send nothing, unmute" (acks=0).
 * resp must be heap-allocated (sm_malloc + sm_wbuf_init): both its contents
 * and the struct itself are freed. With no sink registered (before startup or
 * after the server shut down) both calls just free req and resp. */
void sm_request_channel_send_response(sm_request_channel_t *ch, sm_request_t *req,
				      sm_wbuf_t *resp);
/* Closes the request's connection (after logging why at the caller). */
void sm_request_channel_close(sm_request_channel_t *ch, sm_request_t *req);

typedef struct sm_response_sink {
	/* Both consume req (and resp). */
	void (*send)(void *opaque, sm_request_t *req, sm_wbuf_t *resp);
	void (*close)(void *opaque, sm_request_t *req);
	void *opaque;
} sm_response_sink_t;

/* The sink is copied. NULL detaches it; detaching waits for every sink call
 * already in progress, so the sink's owner may be freed afterwards. */
void sm_request_channel_set_sink(sm_request_channel_t *ch, const sm_response_sink_t *sink);

/* Run to completion (docs/design/threads.md): before queueing a complete
 * request a processor offers it to the inline handler, which returns 1 when
 * it handled the request on the calling thread (finishing it through the
 * sink, as a handler thread does) and 0 when the request is to be queued.
 * NULL detaches the handler; detaching waits for every inline call already
 * in progress, so the handler's owner may be freed afterwards. */
typedef int sm_request_inline_fn(void *opaque, sm_request_t *req);
void sm_request_channel_set_inline(sm_request_channel_t *ch, sm_request_inline_fn *fn, void *opaque);
/* 1 if the inline handler (if any) took req. */
int sm_request_channel_try_inline(sm_request_channel_t *ch, sm_request_t *req);

/* Frees a request's memory (for the processor / sink implementations). */
void sm_request_free(sm_request_t *req);

#endif /* SM_REQUEST_CHANNEL_H */
