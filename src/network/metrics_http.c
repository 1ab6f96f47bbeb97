/*
 * metrics_http.c - the Prometheus scrape endpoint (metrics.listener).
 *
 * libevent's evhttp on its own event base and its own thread
 * ("metrics-http", role metrics), so a slow scraper never delays a Kafka
 * request and the Kafka network threads never run HTTP code. GET (or HEAD)
 * /metrics answers the text exposition format 0.0.4; any other path is 404,
 * any other method 405. evhttp bounds what a client may send (header and
 * body size limits below) and closes idle connections after a timeout.
 */
#include "metrics.h"

#include "buf.h"
#include "logger.h"
#include "thread_role.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#define SM_METRICS_LOGGER "kafka.metrics.PrometheusEndpoint"

struct sm_metrics_http {
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	pthread_t thread;
	int port;
};

int sm_metrics_parse_listener(const char *listener, char *host, size_t hostlen, int *port,
			      char *err, size_t errlen)
{
	static const char scheme[] = "http://";
	if (!listener || strncmp(listener, scheme, sizeof(scheme) - 1)) {
		snprintf(err, errlen, "metrics.listener must look like http://host:port, got '%s'",
			 listener ? listener : "");
		return -1;
	}
	const char *hp = listener + sizeof(scheme) - 1;
	const char *colon = strrchr(hp, ':');
	if (!colon) {
		snprintf(err, errlen, "metrics.listener '%s' has no port", listener);
		return -1;
	}
	size_t hl = (size_t)(colon - hp);
	/* [::1]:9404 */
	if (hl >= 2 && hp[0] == '[' && hp[hl - 1] == ']') {
		hp++;
		hl -= 2;
	}
	if (hl >= hostlen) {
		snprintf(err, errlen, "metrics.listener '%s': host too long", listener);
		return -1;
	}
	memcpy(host, hp, hl);
	host[hl] = 0;
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || p < 0 || p > 65535) {
		snprintf(err, errlen, "metrics.listener '%s': invalid port", listener);
		return -1;
	}
	*port = (int)p;
	return 0;
}

/* Names the peer of a refused request in the log. */
static void sm_metrics_http_refuse(struct evhttp_request *req, int code, const char *why)
{
	char *addr = NULL;
	ev_uint16_t port = 0;
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	if (conn)
		evhttp_connection_get_peer(conn, &addr, &port);
	const char *uri = evhttp_request_get_uri(req);
	sm_log_info(NULL, SM_METRICS_LOGGER, "Refused HTTP request from %s:%u for %.200s: %s (%d)",
		    addr ? addr : "?", (unsigned)port, uri ? uri : "?", why, code);
	evhttp_send_error(req, code, NULL);
}

static void sm_metrics_http_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	const char *uri = evhttp_request_get_uri(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *path_end = uri ? uri + strcspn(uri, "?") : NULL;
	if (!uri || (size_t)(path_end - uri) != strlen("/metrics") || strncmp(uri, "/metrics", 8)) {
		sm_metrics_http_refuse(req, HTTP_NOTFOUND, "only /metrics is served");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		sm_metrics_http_refuse(req, HTTP_BADMETHOD, "only GET and HEAD are served");
		return;
	}
	struct evbuffer *out = evbuffer_new();
	if (!out) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	sm_metrics_render(out);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", out);
	evbuffer_free(out);
}

static void *sm_metrics_http_main(void *arg)
{
	sm_metrics_http_t *h = arg;
	pthread_setname_np(pthread_self(), "metrics-http");
	sm_thread_role_set(SM_ROLE_METRICS);
	event_base_dispatch(h->base);
	return NULL;
}

sm_metrics_http_t *sm_metrics_http_start(const char *listener, char *err, size_t errlen)
{
	char host[256];
	int port;
	if (sm_metrics_parse_listener(listener, host, sizeof(host), &port, err, errlen))
		return NULL;
	/* Stopping the loop from the main thread needs libevent's locking. */
	evthread_use_pthreads();
	sm_metrics_http_t *h = sm_calloc(1, sizeof(*h));
	h->base = event_base_new();
	h->http = h->base ? evhttp_new(h->base) : NULL;
	if (!h->http) {
		snprintf(err, errlen, "metrics.listener: cannot create the HTTP server");
		goto fail;
	}
	/* A scrape request is a GET line and a few headers: refuse anything
	 * larger, and drop connections idle for 30 s. */
	evhttp_set_max_headers_size(h->http, 8192);
	evhttp_set_max_body_size(h->http, 4096);
	evhttp_set_timeout(h->http, 30);
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
					    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_gencb(h->http, sm_metrics_http_cb, h);
	h->sock = evhttp_bind_socket_with_handle(h->http, *host ? host : "0.0.0.0", (uint16_t)port);
	if (!h->sock) {
		snprintf(err, errlen, "metrics.listener %s: cannot bind %s:%d", listener,
			 *host ? host : "0.0.0.0", port);
		goto fail;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	evutil_socket_t fd = evhttp_bound_socket_get_fd(h->sock);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			h->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			h->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	if (pthread_create(&h->thread, NULL, sm_metrics_http_main, h)) {
		snprintf(err, errlen, "metrics.listener: cannot start its thread");
		goto fail;
	}
	sm_log_info(NULL, SM_METRICS_LOGGER, "Serving Prometheus metrics on http://%s:%d/metrics",
		    *host ? host : "0.0.0.0", h->port);
	return h;
fail:
	if (h->http)
		evhttp_free(h->http);
	if (h->base)
		event_base_free(h->base);
	free(h);
	return NULL;
}

int sm_metrics_http_port(const sm_metrics_http_t *h)
{
	return h ? h->port : -1;
}

void sm_metrics_http_stop(sm_metrics_http_t *h)
{
	if (!h)
		return;
	event_base_loopbreak(h->base);
	pthread_join(h->thread, NULL);
	evhttp_free(h->http);
	event_base_free(h->base);
	free(h);
}
