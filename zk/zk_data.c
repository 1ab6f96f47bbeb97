/*
 * zk_data.c - znode paths and JSON shapes, one typed entry per znode
 * (Kafka's kafka.zk.ZkData), encoded and decoded with jansson.
 *
 * Thread-safety: pure functions over caller-owned structs.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "zk_data.h"

/* ---- UUID ---- */

static const char sm_zkd_b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void sm_zkd_random_bytes(uint8_t *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = getrandom(p + got, n - got, 0);
		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		break;
	}
	if (got == n)
		return;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		abort(); /* no entropy source at all: cannot make ids */
	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);
		if (r <= 0 && errno != EINTR)
			abort();
		if (r > 0)
			got += (size_t)r;
	}
	close(fd);
}

void sm_uuid_to_b64(const uint8_t id[16], char out[SM_UUID_B64_LEN + 1])
{
	int o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (int i = 0; i < 16; i++) {
		acc = (acc << 8) | id[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = sm_zkd_b64[(acc >> bits) & 0x3f];
		}
	}
	/* 128 = 21*6 + 2: the last char carries 2 bits, zero-filled. */
	out[o++] = sm_zkd_b64[(acc << (6 - bits)) & 0x3f];
	out[o] = '\0';
}

static int sm_zkd_b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int sm_uuid_from_b64(const char *s, uint8_t out[16])
{
	if (!s || strlen(s) != SM_UUID_B64_LEN)
		return -1;
	uint32_t acc = 0;
	int bits = 0, o = 0;
	for (int i = 0; i < SM_UUID_B64_LEN; i++) {
		int v = sm_zkd_b64_val(s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o < 16)
				out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o == 16 ? 0 : -1;
}

int sm_uuid_is_zero(const uint8_t id[16])
{
	for (int i = 0; i < 16; i++)
		if (id[i])
			return 0;
	return 1;
}

void sm_uuid_random(uint8_t out[16])
{
	char s[SM_UUID_B64_LEN + 1];
	for (;;) {
		sm_zkd_random_bytes(out, 16);
		/* RFC 4122 version 4 / IETF variant, as java.util.UUID. */
		out[6] = (uint8_t)((out[6] & 0x0f) | 0x40);
		out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);
		sm_uuid_to_b64(out, s);
		/* A leading '-' would read as a command-line option. */
		if (!sm_uuid_is_zero(out) && s[0] != '-')
			return;
	}
}

/* ---- paths ---- */

static char *sm_zkd_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sm_zkd_fmt(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *s = sm_malloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

char *sm_zkpath_broker(int32_t id)
{
	return sm_zkd_fmt("/brokers/ids/%" PRId32, id);
}

char *sm_zkpath_topic(const char *topic)
{
	return sm_zkd_fmt("/brokers/topics/%s", topic);
}

char *sm_zkpath_topic_partitions(const char *topic)
{
	return sm_zkd_fmt("/brokers/topics/%s/partitions", topic);
}

char *sm_zkpath_partition(const char *topic, int32_t p)
{
	return sm_zkd_fmt("/brokers/topics/%s/partitions/%" PRId32, topic, p);
}

char *sm_zkpath_partition_state(const char *topic, int32_t p)
{
	return sm_zkd_fmt("/brokers/topics/%s/partitions/%" PRId32 "/state",
			  topic, p);
}

char *sm_zkpath_topic_config(const char *topic)
{
	return sm_zkd_fmt("/config/topics/%s", topic);
}

char *sm_zkpath_entity_config(const char *type, const char *name)
{
	return sm_zkd_fmt("/config/%s/%s", type, name);
}

char *sm_zkpath_delete_topic(const char *topic)
{
	return sm_zkd_fmt("/admin/delete_topics/%s", topic);
}

/* ---- JSON helpers ---- */

static char *sm_zkd_dump(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		abort(); /* jansson only fails on allocation */
	char *r = sm_strdup(s);
	free(s);
	return r;
}

static void sm_zkd_seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void sm_zkd_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Parses an object; NULL (and err) for anything else. */
static json_t *sm_zkd_load(const char *json, size_t len, const char *what,
			   char *err, size_t errlen)
{
	json_error_t je;
	if (!json) {
		sm_zkd_seterr(err, errlen, "%s: no data", what);
		return NULL;
	}
	json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (!o) {
		sm_zkd_seterr(err, errlen, "%s: invalid JSON: %s", what, je.text);
		return NULL;
	}
	if (!json_is_object(o)) {
		sm_zkd_seterr(err, errlen, "%s: JSON is not an object", what);
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Reads an int32 field. required: missing is an error; otherwise *out is
 * left unchanged. Returns -1 on error. */
static int sm_zkd_int(json_t *o, const char *key, int required, int32_t *out,
		      const char *what, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	if (!v) {
		if (required)
			sm_zkd_seterr(err, errlen, "%s: missing \"%s\"", what, key);
		return required ? -1 : 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN ||
	    json_integer_value(v) > INT32_MAX) {
		sm_zkd_seterr(err, errlen, "%s: \"%s\" is not a 32-bit integer",
			      what, key);
		return -1;
	}
	*out = (int32_t)json_integer_value(v);
	return 0;
}

/* A decimal number written as a string (Kafka's timestamps), also accepted
 * as a JSON integer. */
static int sm_zkd_strnum(json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	const char *s = json_string_value(v);
	char *end;
	errno = 0;
	long long n = strtoll(s, &end, 10);
	if (!*s || *end || errno)
		return -1;
	*out = n;
	return 0;
}

/* Array of int32 -> malloc'd array (NULL when empty). */
static int sm_zkd_int_array(json_t *a, int32_t **outp, int *np)
{
	if (!json_is_array(a))
		return -1;
	size_t n = json_array_size(a);
	int32_t *out = n ? sm_malloc(n * sizeof(*out)) : NULL;
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(a, i);
		if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN ||
		    json_integer_value(v) > INT32_MAX) {
			free(out);
			return -1;
		}
		out[i] = (int32_t)json_integer_value(v);
	}
	*outp = out;
	*np = (int)n;
	return 0;
}

static json_t *sm_zkd_int_array_new(const int32_t *v, int n)
{
	json_t *a = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

static int32_t *sm_zkd_dup_ints(const int32_t *v, int n)
{
	if (n <= 0)
		return NULL;
	int32_t *r = sm_malloc((size_t)n * sizeof(*r));
	memcpy(r, v, (size_t)n * sizeof(*r));
	return r;
}

/* ---- broker registration ---- */

void sm_zk_broker_add_endpoint(sm_zk_broker_info_t *info, const char *listener,
			       const char *host, int32_t port,
			       const char *security_protocol)
{
	info->endpoints = sm_realloc(info->endpoints,
				     (size_t)(info->n_endpoints + 1) *
					     sizeof(*info->endpoints));
	sm_zk_endpoint_t *ep = &info->endpoints[info->n_endpoints++];
	ep->listener = sm_strdup(listener);
	ep->host = sm_strdup(host ? host : "");
	ep->port = port;
	ep->security_protocol = sm_strdup(security_protocol ? security_protocol
							    : listener);
}

void sm_zk_broker_clear(sm_zk_broker_info_t *info)
{
	for (int i = 0; i < info->n_endpoints; i++) {
		free(info->endpoints[i].listener);
		free(info->endpoints[i].host);
		free(info->endpoints[i].security_protocol);
	}
	free(info->endpoints);
	free(info->host);
	free(info->rack);
	info->endpoints = NULL;
	info->n_endpoints = 0;
	info->host = NULL;
	info->rack = NULL;
}

int sm_zk_parse_endpoint(const char *s, char **listener, char **host,
			 int32_t *port)
{
	const char *sep = strstr(s, "://");
	if (!sep || sep == s)
		return -1;
	const char *h = sep + 3, *colon;
	size_t hlen;
	if (*h == '[') {
		const char *rb = strchr(h, ']');
		if (!rb || rb[1] != ':')
			return -1;
		colon = rb + 1;
		hlen = (size_t)(colon - h); /* keep the brackets, as Kafka */
	} else {
		colon = strrchr(h, ':');
		if (!colon)
			return -1;
		hlen = (size_t)(colon - h);
	}
	char *end;
	errno = 0;
	long p = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || p < 0 || p > 65535)
		return -1;
	*listener = sm_strndup(s, (size_t)(sep - s));
	*host = sm_strndup(h, hlen);
	*port = (int32_t)p;
	return 0;
}

char *sm_zk_broker_encode(const sm_zk_broker_info_t *info)
{
	json_t *o = json_object();
	json_t *map = json_object();
	json_t *eps = json_array();
	const sm_zk_endpoint_t *plain = NULL;
	for (int i = 0; i < info->n_endpoints; i++) {
		const sm_zk_endpoint_t *ep = &info->endpoints[i];
		json_object_set_new(map, ep->listener,
				    json_string(ep->security_protocol));
		char *s = sm_zkd_fmt("%s://%s:%" PRId32, ep->listener, ep->host,
				     ep->port);
		json_array_append_new(eps, json_string(s));
		free(s);
		if (!plain && !strcmp(ep->security_protocol, "PLAINTEXT"))
			plain = ep;
	}
	json_object_set_new(o, "listener_security_protocol_map", map);
	json_object_set_new(o, "endpoints", eps);
	json_object_set_new(o, "jmx_port", json_integer(info->jmx_port));
	json_object_set_new(o, "features", json_object());
	json_object_set_new(o, "host", plain ? json_string(plain->host)
					     : json_null());
	char *ts = sm_zkd_fmt("%" PRId64, info->timestamp);
	json_object_set_new(o, "timestamp", json_string(ts));
	free(ts);
	json_object_set_new(o, "port", json_integer(plain ? plain->port : -1));
	if (info->rack)
		json_object_set_new(o, "rack", json_string(info->rack));
	json_object_set_new(o, "version", json_integer(5));
	return sm_zkd_dump(o);
}

static int sm_zkd_is_secproto(const char *s)
{
	return !strcmp(s, "PLAINTEXT") || !strcmp(s, "SSL") ||
	       !strcmp(s, "SASL_PLAINTEXT") || !strcmp(s, "SASL_SSL");
}

/* The endpoints list (v2+) with its listener -> protocol map (v4+). */
static int sm_zkd_broker_endpoints(json_t *o, sm_zk_broker_info_t *out,
				   char *err, size_t errlen)
{
	const char *what = "broker registration";
	json_t *eps = json_object_get(o, "endpoints");
	json_t *map = json_object_get(o, "listener_security_protocol_map");
	if (map && !json_is_null(map) && !json_is_object(map)) {
		sm_zkd_seterr(err, errlen, "%s: listener_security_protocol_map "
			      "is not an object", what);
		return -1;
	}
	if (!json_is_array(eps)) {
		sm_zkd_seterr(err, errlen, "%s: \"endpoints\" is not a list", what);
		return -1;
	}
	for (size_t i = 0; i < json_array_size(eps); i++) {
		json_t *v = json_array_get(eps, i);
		char *l, *h;
		int32_t port;
		if (!json_is_string(v) ||
		    sm_zk_parse_endpoint(json_string_value(v), &l, &h, &port)) {
			sm_zkd_seterr(err, errlen, "%s: invalid endpoint #%zu",
				      what, i);
			return -1;
		}
		const char *proto = l;
		json_t *pv = json_is_object(map) ? json_object_get(map, l) : NULL;
		if (pv && json_is_string(pv))
			proto = json_string_value(pv);
		if (!sm_zkd_is_secproto(proto)) {
			sm_zkd_seterr(err, errlen, "%s: no security protocol "
				      "for listener %s", what, l);
			free(l);
			free(h);
			return -1;
		}
		sm_zk_broker_add_endpoint(out, l, h, port, proto);
		free(l);
		free(h);
	}
	return 0;
}

sm_err_t sm_zk_broker_decode(const char *json, size_t len,
			     sm_zk_broker_info_t *out, char *err, size_t errlen)
{
	const char *what = "broker registration";
	json_t *o = sm_zkd_load(json, len, what, err, errlen);
	if (!o)
		return SM_ERR__PARSE;
	int32_t id = out->id;
	int64_t epoch = out->epoch;
	memset(out, 0, sizeof(*out));
	out->id = id;
	out->epoch = epoch;
	out->port = -1;
	out->jmx_port = -1;

	int32_t version = 0;
	if (sm_zkd_int(o, "version", 1, &version, what, err, errlen) ||
	    sm_zkd_int(o, "jmx_port", 0, &out->jmx_port, what, err, errlen) ||
	    sm_zkd_int(o, "port", 0, &out->port, what, err, errlen))
		goto fail;
	if (version < 1 || version > 5) {
		sm_zkd_seterr(err, errlen, "%s: unsupported version %d", what,
			      (int)version);
		goto fail;
	}
	out->version = version;
	json_t *v = json_object_get(o, "host");
	if (v && json_is_string(v))
		out->host = sm_strdup(json_string_value(v));
	else if (v && !json_is_null(v)) {
		sm_zkd_seterr(err, errlen, "%s: \"host\" is not a string", what);
		goto fail;
	}
	v = json_object_get(o, "timestamp");
	if (v && sm_zkd_strnum(v, &out->timestamp)) {
		sm_zkd_seterr(err, errlen, "%s: invalid \"timestamp\"", what);
		goto fail;
	}
	v = json_object_get(o, "rack");
	if (v && json_is_string(v))
		out->rack = sm_strdup(json_string_value(v));
	else if (v && !json_is_null(v)) {
		sm_zkd_seterr(err, errlen, "%s: \"rack\" is not a string", what);
		goto fail;
	}
	if (version == 1) {
		if (!out->host || out->port < 0) {
			sm_zkd_seterr(err, errlen, "%s: v1 without host/port", what);
			goto fail;
		}
		/* The endpoint this stands for must pass the same checks
		 * as a v2+ "endpoints" entry (port range, bracketed host):
		 * the broker re-encodes it in that form. */
		char *ep = sm_zkd_fmt("PLAINTEXT://%s:%" PRId32, out->host, out->port);
		char *l, *h;
		int32_t port;
		int bad = sm_zk_parse_endpoint(ep, &l, &h, &port);
		free(ep);
		if (bad) {
			sm_zkd_seterr(err, errlen, "%s: invalid v1 host/port", what);
			goto fail;
		}
		sm_zk_broker_add_endpoint(out, l, h, port, "PLAINTEXT");
		free(l);
		free(h);
	} else if (sm_zkd_broker_endpoints(o, out, err, errlen)) {
		goto fail;
	}
	json_decref(o);
	return SM_ERR_NONE;
fail:
	json_decref(o);
	sm_zk_broker_clear(out);
	return SM_ERR__PARSE;
}

/* ---- controller ---- */

char *sm_zk_controller_encode(int32_t broker_id, int64_t timestamp_ms)
{
	json_t *o = json_object();
	json_object_set_new(o, "version", json_integer(1));
	json_object_set_new(o, "brokerid", json_integer(broker_id));
	char *ts = sm_zkd_fmt("%" PRId64, timestamp_ms);
	json_object_set_new(o, "timestamp", json_string(ts));
	free(ts);
	return sm_zkd_dump(o);
}

sm_err_t sm_zk_controller_decode(const char *json, size_t len,
				 int32_t *broker_id, char *err, size_t errlen)
{
	json_t *o = sm_zkd_load(json, len, "controller", err, errlen);
	if (!o)
		return SM_ERR__PARSE;
	int r = sm_zkd_int(o, "brokerid", 1, broker_id, "controller", err,
			   errlen);
	json_decref(o);
	return r ? SM_ERR__PARSE : SM_ERR_NONE;
}

char *sm_zk_controller_epoch_encode(int32_t epoch)
{
	return sm_zkd_fmt("%" PRId32, epoch);
}

sm_err_t sm_zk_controller_epoch_decode(const char *data, size_t len,
				       int32_t *epoch, char *err, size_t errlen)
{
	char buf[32];
	if (!data || len == 0 || len >= sizeof(buf)) {
		sm_zkd_seterr(err, errlen, "controller epoch: invalid data");
		return SM_ERR__PARSE;
	}
	memcpy(buf, data, len);
	buf[len] = '\0';
	char *end;
	errno = 0;
	long v = strtol(buf, &end, 10);
	while (*end == ' ' || *end == '\n' || *end == '\r')
		end++;
	if (end == buf || *end || errno || v < INT32_MIN || v > INT32_MAX) {
		sm_zkd_seterr(err, errlen, "controller epoch: \"%s\" is not a "
			      "number", buf);
		return SM_ERR__PARSE;
	}
	*epoch = (int32_t)v;
	return SM_ERR_NONE;
}

/* ---- topic assignment ---- */

sm_zk_partition_assignment_t *
sm_zk_topic_add_partition(sm_zk_topic_assignment_t *a, int32_t partition,
			  const int32_t *replicas, int n)
{
	a->partitions = sm_realloc(a->partitions,
				   (size_t)(a->n_partitions + 1) *
					   sizeof(*a->partitions));
	sm_zk_partition_assignment_t *p = &a->partitions[a->n_partitions++];
	memset(p, 0, sizeof(*p));
	p->partition = partition;
	p->replicas = sm_zkd_dup_ints(replicas, n);
	p->n_replicas = n;
	return p;
}

const sm_zk_partition_assignment_t *
sm_zk_topic_find(const sm_zk_topic_assignment_t *a, int32_t partition)
{
	for (int i = 0; i < a->n_partitions; i++)
		if (a->partitions[i].partition == partition)
			return &a->partitions[i];
	return NULL;
}

void sm_zk_topic_clear(sm_zk_topic_assignment_t *a)
{
	for (int i = 0; i < a->n_partitions; i++) {
		free(a->partitions[i].replicas);
		free(a->partitions[i].adding);
		free(a->partitions[i].removing);
	}
	free(a->partitions);
	a->partitions = NULL;
	a->n_partitions = 0;
}

char *sm_zk_topic_encode(const sm_zk_topic_assignment_t *a)
{
	json_t *o = json_object();
	json_t *parts = json_object(), *adding = json_object(),
	       *removing = json_object();
	for (int i = 0; i < a->n_partitions; i++) {
		const sm_zk_partition_assignment_t *p = &a->partitions[i];
		char key[16];
		snprintf(key, sizeof(key), "%" PRId32, p->partition);
		json_object_set_new(parts, key, sm_zkd_int_array_new(
						       p->replicas, p->n_replicas));
		if (p->n_adding)
			json_object_set_new(adding, key, sm_zkd_int_array_new(
							p->adding, p->n_adding));
		if (p->n_removing)
			json_object_set_new(removing, key, sm_zkd_int_array_new(
							p->removing, p->n_removing));
	}
	json_object_set_new(o, "version", json_integer(3));
	if (a->has_topic_id) {
		char id[SM_UUID_B64_LEN + 1];
		sm_uuid_to_b64(a->topic_id, id);
		json_object_set_new(o, "topic_id", json_string(id));
	}
	json_object_set_new(o, "partitions", parts);
	json_object_set_new(o, "adding_replicas", adding);
	json_object_set_new(o, "removing_replicas", removing);
	return sm_zkd_dump(o);
}

static int sm_zkd_partition_key(const char *k, int32_t *p)
{
	char *end;
	errno = 0;
	long v = strtol(k, &end, 10);
	if (!*k || *end || errno || v < 0 || v > INT32_MAX)
		return -1;
	*p = (int32_t)v;
	return 0;
}

/* adding_replicas / removing_replicas: partition -> list. */
static int sm_zkd_topic_overlay(json_t *o, const char *key, int adding,
				sm_zk_topic_assignment_t *out, char *err,
				size_t errlen)
{
	json_t *m = json_object_get(o, key);
	if (!m || json_is_null(m))
		return 0;
	if (!json_is_object(m)) {
		sm_zkd_seterr(err, errlen, "topic assignment: \"%s\" is not an "
			      "object", key);
		return -1;
	}
	const char *k;
	json_t *v;
	json_object_foreach(m, k, v) {
		int32_t p;
		sm_zk_partition_assignment_t *pa = NULL;
		if (!sm_zkd_partition_key(k, &p))
			pa = (sm_zk_partition_assignment_t *)sm_zk_topic_find(out, p);
		int32_t *arr;
		int n;
		if (!pa || sm_zkd_int_array(v, &arr, &n)) {
			sm_zkd_seterr(err, errlen, "topic assignment: bad \"%s\" "
				      "entry \"%s\"", key, k);
			return -1;
		}
		if (adding) {
			free(pa->adding);
			pa->adding = arr;
			pa->n_adding = n;
		} else {
			free(pa->removing);
			pa->removing = arr;
			pa->n_removing = n;
		}
	}
	return 0;
}

static int sm_zkd_pa_cmp(const void *a, const void *b)
{
	const sm_zk_partition_assignment_t *x = a, *y = b;
	return (x->partition > y->partition) - (x->partition < y->partition);
}

static int sm_zkd_topic_id(json_t *o, sm_zk_topic_assignment_t *out,
			   char *err, size_t errlen)
{
	json_t *v = json_object_get(o, "topic_id");
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) ||
	    sm_uuid_from_b64(json_string_value(v), out->topic_id)) {
		sm_zkd_seterr(err, errlen, "topic assignment: invalid topic_id");
		return -1;
	}
	out->has_topic_id = 1;
	return 0;
}

sm_err_t sm_zk_topic_decode(const char *json, size_t len,
			    sm_zk_topic_assignment_t *out, char *err,
			    size_t errlen)
{
	const char *what = "topic assignment";
	memset(out, 0, sizeof(*out));
	json_t *o = sm_zkd_load(json, len, what, err, errlen);
	if (!o)
		return SM_ERR__PARSE;
	int32_t version = 1;
	if (sm_zkd_int(o, "version", 0, &version, what, err, errlen))
		goto fail;
	out->version = version;
	json_t *parts = json_object_get(o, "partitions");
	if (!json_is_object(parts)) {
		sm_zkd_seterr(err, errlen, "%s: \"partitions\" is missing or "
			      "not an object", what);
		goto fail;
	}
	const char *k;
	json_t *v;
	json_object_foreach(parts, k, v) {
		int32_t p, *arr;
		int n;
		/* The duplicate check ("0" and "-0" are one partition) comes
		 * before the replica list is allocated, or that would leak. */
		if (sm_zkd_partition_key(k, &p) || sm_zk_topic_find(out, p) ||
		    sm_zkd_int_array(v, &arr, &n)) {
			sm_zkd_seterr(err, errlen, "%s: bad partition entry "
				      "\"%s\"", what, k);
			goto fail;
		}
		sm_zk_partition_assignment_t *pa =
			sm_zk_topic_add_partition(out, p, NULL, 0);
		pa->replicas = arr;
		pa->n_replicas = n;
	}
	if (sm_zkd_topic_overlay(o, "adding_replicas", 1, out, err, errlen) ||
	    sm_zkd_topic_overlay(o, "removing_replicas", 0, out, err, errlen) ||
	    sm_zkd_topic_id(o, out, err, errlen))
		goto fail;
	if (out->n_partitions > 1)
		qsort(out->partitions, (size_t)out->n_partitions,
		      sizeof(*out->partitions), sm_zkd_pa_cmp);
	json_decref(o);
	return SM_ERR_NONE;
fail:
	json_decref(o);
	sm_zk_topic_clear(out);
	return SM_ERR__PARSE;
}

/* ---- partition state ---- */

void sm_zk_partition_state_set_isr(sm_zk_partition_state_t *st,
				   const int32_t *isr, int n)
{
	int32_t *copy = sm_zkd_dup_ints(isr, n);
	free(st->isr);
	st->isr = copy;
	st->n_isr = n;
}

void sm_zk_partition_state_clear(sm_zk_partition_state_t *st)
{
	free(st->isr);
	st->isr = NULL;
	st->n_isr = 0;
}

char *sm_zk_partition_state_encode(const sm_zk_partition_state_t *st)
{
	json_t *o = json_object();
	json_object_set_new(o, "controller_epoch",
			    json_integer(st->controller_epoch));
	json_object_set_new(o, "leader", json_integer(st->leader));
	json_object_set_new(o, "version", json_integer(1));
	json_object_set_new(o, "leader_epoch", json_integer(st->leader_epoch));
	json_object_set_new(o, "isr", sm_zkd_int_array_new(st->isr, st->n_isr));
	if (st->leader_recovery_state)
		json_object_set_new(o, "leader_recovery_state",
				    json_integer(st->leader_recovery_state));
	return sm_zkd_dump(o);
}

sm_err_t sm_zk_partition_state_decode(const char *json, size_t len,
				      sm_zk_partition_state_t *out, char *err,
				      size_t errlen)
{
	const char *what = "partition state";
	int32_t zkv = out->zk_version;
	memset(out, 0, sizeof(*out));
	out->zk_version = zkv;
	json_t *o = sm_zkd_load(json, len, what, err, errlen);
	if (!o)
		return SM_ERR__PARSE;
	if (sm_zkd_int(o, "leader", 1, &out->leader, what, err, errlen) ||
	    sm_zkd_int(o, "leader_epoch", 1, &out->leader_epoch, what, err,
		       errlen) ||
	    sm_zkd_int(o, "controller_epoch", 1, &out->controller_epoch, what,
		       err, errlen) ||
	    sm_zkd_int(o, "leader_recovery_state", 0,
		       &out->leader_recovery_state, what, err, errlen))
		goto fail;
	if (sm_zkd_int_array(json_object_get(o, "isr"), &out->isr,
			     &out->n_isr)) {
		sm_zkd_seterr(err, errlen, "%s: \"isr\" is missing or not a "
			      "list of integers", what);
		goto fail;
	}
	json_decref(o);
	return SM_ERR_NONE;
fail:
	json_decref(o);
	sm_zk_partition_state_clear(out);
	return SM_ERR__PARSE;
}

/* ---- cluster id ---- */

char *sm_zk_cluster_id_encode(const char *id)
{
	json_t *o = json_object();
	json_object_set_new(o, "version", json_string("1"));
	json_object_set_new(o, "id", json_string(id));
	return sm_zkd_dump(o);
}

sm_err_t sm_zk_cluster_id_decode(const char *json, size_t len, char **idp,
				 char *err, size_t errlen)
{
	json_t *o = sm_zkd_load(json, len, "cluster id", err, errlen);
	if (!o)
		return SM_ERR__PARSE;
	json_t *v = json_object_get(o, "id");
	if (!json_is_string(v) || !*json_string_value(v)) {
		sm_zkd_seterr(err, errlen, "cluster id: \"id\" is missing or "
			      "not a string");
		json_decref(o);
		return SM_ERR__PARSE;
	}
	*idp = sm_strdup(json_string_value(v));
	json_decref(o);
	return SM_ERR_NONE;
}

/* ---- entity config ---- */

void sm_zk_config_set(sm_zk_config_t *cfg, const char *key, const char *value)
{
	for (int i = 0; i < cfg->n; i++) {
		if (!strcmp(cfg->keys[i], key)) {
			free(cfg->values[i]);
			cfg->values[i] = sm_strdup(value);
			return;
		}
	}
	cfg->keys = sm_realloc(cfg->keys, (size_t)(cfg->n + 1) * sizeof(char *));
	cfg->values = sm_realloc(cfg->values,
				 (size_t)(cfg->n + 1) * sizeof(char *));
	cfg->keys[cfg->n] = sm_strdup(key);
	cfg->values[cfg->n] = sm_strdup(value);
	cfg->n++;
}

void sm_zk_config_remove(sm_zk_config_t *cfg, const char *key)
{
	for (int i = 0; i < cfg->n; i++) {
		if (strcmp(cfg->keys[i], key))
			continue;
		free(cfg->keys[i]);
		free(cfg->values[i]);
		memmove(&cfg->keys[i], &cfg->keys[i + 1], (size_t)(cfg->n - i - 1) * sizeof(char *));
		memmove(&cfg->values[i], &cfg->values[i + 1], (size_t)(cfg->n - i - 1) * sizeof(char *));
		cfg->n--;
		return;
	}
}

const char *sm_zk_config_get(const sm_zk_config_t *cfg, const char *key)
{
	for (int i = 0; i < cfg->n; i++)
		if (!strcmp(cfg->keys[i], key))
			return cfg->values[i];
	return NULL;
}

void sm_zk_config_clear(sm_zk_config_t *cfg)
{
	for (int i = 0; i < cfg->n; i++) {
		free(cfg->keys[i]);
		free(cfg->values[i]);
	}
	free(cfg->keys);
	free(cfg->values);
	memset(cfg, 0, sizeof(*cfg));
}

char *sm_zk_config_encode(const sm_zk_config_t *cfg)
{
	json_t *o = json_object();
	json_t *c = json_object();
	for (int i = 0; cfg && i < cfg->n; i++)
		json_object_set_new(c, cfg->keys[i], json_string(cfg->values[i]));
	json_object_set_new(o, "version", json_integer(1));
	json_object_set_new(o, "config", c);
	return sm_zkd_dump(o);
}

sm_err_t sm_zk_config_decode(const char *json, size_t len, sm_zk_config_t *out,
			     char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	json_t *o = sm_zkd_load(json, len, "entity config", err, errlen);
	if (!o)
		return SM_ERR__PARSE;
	json_t *c = json_object_get(o, "config");
	if (!json_is_object(c)) {
		sm_zkd_seterr(err, errlen, "entity config: \"config\" is missing "
			      "or not an object");
		goto fail;
	}
	const char *k;
	json_t *v;
	json_object_foreach(c, k, v) {
		if (!json_is_string(v)) {
			sm_zkd_seterr(err, errlen, "entity config: value of \"%s\" "
				      "is not a string", k);
			goto fail;
		}
		sm_zk_config_set(out, k, json_string_value(v));
	}
	json_decref(o);
	return SM_ERR_NONE;
fail:
	json_decref(o);
	sm_zk_config_clear(out);
	return SM_ERR__PARSE;
}

/* ---- config change notification ---- */

char *sm_zk_config_change_encode(const char *entity_path)
{
	json_t *o = json_object();
	json_object_set_new(o, "version", json_integer(2));
	json_object_set_new(o, "entity_path", json_string(entity_path));
	return sm_zkd_dump(o);
}

sm_err_t sm_zk_config_change_decode(const char *json, size_t len,
				    char **entity_pathp, char *err,
				    size_t errlen)
{
	const char *what = "config change notification";
	json_t *o = sm_zkd_load(json, len, what, err, errlen);
	if (!o)
		return SM_ERR__PARSE;
	int32_t version = 0;
	sm_err_t r = SM_ERR__PARSE;
	if (sm_zkd_int(o, "version", 1, &version, what, err, errlen))
		goto out;
	if (version == 2) {
		json_t *p = json_object_get(o, "entity_path");
		if (!json_is_string(p) || !strchr(json_string_value(p), '/')) {
			sm_zkd_seterr(err, errlen, "%s: invalid entity_path", what);
			goto out;
		}
		*entity_pathp = sm_strdup(json_string_value(p));
	} else if (version == 1) {
		json_t *t = json_object_get(o, "entity_type");
		json_t *n = json_object_get(o, "entity_name");
		if (!json_is_string(t) || !json_is_string(n)) {
			sm_zkd_seterr(err, errlen, "%s: v1 needs entity_type and "
				      "entity_name strings", what);
			goto out;
		}
		*entity_pathp = sm_zkd_fmt("%s/%s", json_string_value(t),
					   json_string_value(n));
	} else {
		sm_zkd_seterr(err, errlen, "%s: unsupported version %d", what,
			      (int)version);
		goto out;
	}
	r = SM_ERR_NONE;
out:
	json_decref(o);
	return r;
}

/* ---- ISR change notification ---- */

char *sm_zk_isr_change_encode(const sm_zk_topic_partition_t *tps, int n)
{
	json_t *o = json_object();
	json_t *a = json_array();
	for (int i = 0; i < n; i++) {
		json_t *e = json_object();
		json_object_set_new(e, "topic", json_string(tps[i].topic));
		json_object_set_new(e, "partition", json_integer(tps[i].partition));
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "version", json_integer(1));
	json_object_set_new(o, "partitions", a);
	return sm_zkd_dump(o);
}

void sm_zk_topic_partitions_free(sm_zk_topic_partition_t *tps, int n)
{
	for (int i = 0; tps && i < n; i++)
		free(tps[i].topic);
	free(tps);
}

sm_err_t sm_zk_isr_change_decode(const char *json, size_t len,
				 sm_zk_topic_partition_t **tpsp, int *np,
				 char *err, size_t errlen)
{
	return sm_zk_partitions_list_decode(json, len, "isr change notification", tpsp, np, err,
					    errlen);
}

sm_err_t sm_zk_partitions_list_decode(const char *json, size_t len, const char *what,
				      sm_zk_topic_partition_t **tpsp, int *np,
				      char *err, size_t errlen)
{
	json_t *o = sm_zkd_load(json, len, what, err, errlen);
	if (!o)
		return SM_ERR__PARSE;
	json_t *a = json_object_get(o, "partitions");
	if (!json_is_array(a)) {
		sm_zkd_seterr(err, errlen, "%s: \"partitions\" is not a list", what);
		json_decref(o);
		return SM_ERR__PARSE;
	}
	size_t n = json_array_size(a);
	sm_zk_topic_partition_t *tps = sm_calloc(n ? n : 1, sizeof(*tps));
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(a, i);
		json_t *t = json_is_object(e) ? json_object_get(e, "topic") : NULL;
		int32_t p = -1;
		if (!json_is_string(t) ||
		    sm_zkd_int(e, "partition", 1, &p, what, err, errlen)) {
			sm_zkd_seterr(err, errlen, "%s: bad entry #%zu", what, i);
			sm_zk_topic_partitions_free(tps, (int)i);
			json_decref(o);
			return SM_ERR__PARSE;
		}
		tps[i].topic = sm_strdup(json_string_value(t));
		tps[i].partition = p;
	}
	json_decref(o);
	*tpsp = tps;
	*np = (int)n;
	return SM_ERR_NONE;
}

/* ---- /log_dir_event_notification/log_dir_event_<seq> ---- */

char *sm_zk_log_dir_event_encode(int32_t broker)
{
	json_t *o = json_pack("{s:i, s:i, s:i}", "version", 1, "broker", (int)broker,
			      "event", SM_ZK_LOG_DIR_FAILURE);
	return sm_zkd_dump(o);
}

sm_err_t sm_zk_log_dir_event_decode(const char *json, size_t len, int32_t *brokerp,
				    char *err, size_t errlen)
{
	const char *what = "log dir event notification";
	json_t *o = sm_zkd_load(json, len, what, err, errlen);
	if (!o)
		return SM_ERR__PARSE;
	int32_t broker = -1, event = SM_ZK_LOG_DIR_FAILURE;
	int r = sm_zkd_int(o, "broker", 1, &broker, what, err, errlen);
	if (!r)
		r = sm_zkd_int(o, "event", 0, &event, what, err, errlen);
	json_decref(o);
	if (r)
		return SM_ERR__PARSE;
	if (event != SM_ZK_LOG_DIR_FAILURE) {
		sm_zkd_seterr(err, errlen, "%s: unknown event %d", what, (int)event);
		return SM_ERR__PARSE;
	}
	*brokerp = broker;
	return SM_ERR_NONE;
}

/* ---- /latest_producer_id_block ---- */

char *sm_zk_producer_id_block_encode(int32_t broker, int64_t start, int64_t end)
{
	char a[24], b[24];
	snprintf(a, sizeof(a), "%" PRId64, start);
	snprintf(b, sizeof(b), "%" PRId64, end);
	json_t *o = json_object();
	json_object_set_new(o, "version", json_integer(1));
	json_object_set_new(o, "broker", json_integer(broker));
	json_object_set_new(o, "block_start", json_string(a));
	json_object_set_new(o, "block_end", json_string(b));
	return sm_zkd_dump(o);
}

sm_err_t sm_zk_producer_id_block_decode(const char *json, size_t len, int32_t *brokerp,
					int64_t *startp, int64_t *endp, char *err,
					size_t errlen)
{
	const char *what = "producer id block";
	json_t *o = sm_zkd_load(json, len, what, err, errlen);
	if (!o)
		return SM_ERR__PARSE;
	int32_t broker = -1;
	int64_t start, end;
	sm_err_t e = SM_ERR_NONE;
	if (sm_zkd_int(o, "broker", 0, &broker, what, err, errlen)) {
		e = SM_ERR__PARSE;
	} else if (sm_zkd_strnum(json_object_get(o, "block_start"), &start) ||
		   sm_zkd_strnum(json_object_get(o, "block_end"), &end) || start < 0 ||
		   end < start) {
		sm_zkd_seterr(err, errlen, "%s: \"block_start\"/\"block_end\" missing or invalid",
			      what);
		e = SM_ERR__PARSE;
	} else {
		*brokerp = broker;
		*startp = start;
		*endp = end;
	}
	json_decref(o);
	return e;
}

/* ---- ACLs ---- */

typedef struct sm_acl_name {
	int code;
	const char *name; /* znode / JSON form */
	const char *en;   /* Java enum form */
} sm_acl_name_t;

static const sm_acl_name_t sm_acl_res_names[] = {
	{ SM_ACL_RES_ANY, "Any", "ANY" },
	{ SM_ACL_RES_TOPIC, "Topic", "TOPIC" },
	{ SM_ACL_RES_GROUP, "Group", "GROUP" },
	{ SM_ACL_RES_CLUSTER, "Cluster", "CLUSTER" },
	{ SM_ACL_RES_TXN_ID, "TransactionalId", "TRANSACTIONAL_ID" },
	{ SM_ACL_RES_DELEGATION_TOKEN, "DelegationToken", "DELEGATION_TOKEN" },
	{ 0, NULL, NULL },
};
static const sm_acl_name_t sm_acl_op_names[] = {
	{ SM_ACL_OP_ANY, "Any", "ANY" },
	{ SM_ACL_OP_ALL, "All", "ALL" },
	{ SM_ACL_OP_READ, "Read", "READ" },
	{ SM_ACL_OP_WRITE, "Write", "WRITE" },
	{ SM_ACL_OP_CREATE, "Create", "CREATE" },
	{ SM_ACL_OP_DELETE, "Delete", "DELETE" },
	{ SM_ACL_OP_ALTER, "Alter", "ALTER" },
	{ SM_ACL_OP_DESCRIBE, "Describe", "DESCRIBE" },
	{ SM_ACL_OP_CLUSTER_ACTION, "ClusterAction", "CLUSTER_ACTION" },
	{ SM_ACL_OP_DESCRIBE_CONFIGS, "DescribeConfigs", "DESCRIBE_CONFIGS" },
	{ SM_ACL_OP_ALTER_CONFIGS, "AlterConfigs", "ALTER_CONFIGS" },
	{ SM_ACL_OP_IDEMPOTENT_WRITE, "IdempotentWrite", "IDEMPOTENT_WRITE" },
	{ 0, NULL, NULL },
};
static const sm_acl_name_t sm_acl_perm_names[] = {
	{ SM_ACL_PERM_ANY, "Any", "ANY" },
	{ SM_ACL_PERM_DENY, "Deny", "DENY" },
	{ SM_ACL_PERM_ALLOW, "Allow", "ALLOW" },
	{ 0, NULL, NULL },
};
static const sm_acl_name_t sm_acl_pat_names[] = {
	{ SM_ACL_PAT_ANY, "Any", "ANY" },
	{ SM_ACL_PAT_MATCH, "Match", "MATCH" },
	{ SM_ACL_PAT_LITERAL, "Literal", "LITERAL" },
	{ SM_ACL_PAT_PREFIXED, "Prefixed", "PREFIXED" },
	{ 0, NULL, NULL },
};

static const sm_acl_name_t *sm_acl_find(const sm_acl_name_t *t, int code)
{
	for (; t->name; t++)
		if (t->code == code)
			return t;
	return NULL;
}

/* Compares ignoring case, '-' and '_'. */
static int sm_acl_name_eq(const char *a, const char *b)
{
	for (;;) {
		while (*a == '-' || *a == '_')
			a++;
		while (*b == '-' || *b == '_')
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		if ((*a | 0x20) != (*b | 0x20))
			return 0;
		a++, b++;
	}
}

static int sm_acl_parse(const sm_acl_name_t *t, const char *s)
{
	if (!s)
		return 0;
	for (; t->name; t++)
		if (sm_acl_name_eq(s, t->name))
			return t->code;
	return 0;
}

#define SM_ACL_NAMER(fn, table, field) \
	const char *fn(int code) \
	{ \
		const sm_acl_name_t *e = sm_acl_find(table, code); \
		return e ? e->field : "UNKNOWN"; \
	}
SM_ACL_NAMER(sm_acl_res_name, sm_acl_res_names, name)
SM_ACL_NAMER(sm_acl_res_enum, sm_acl_res_names, en)
SM_ACL_NAMER(sm_acl_op_name, sm_acl_op_names, name)
SM_ACL_NAMER(sm_acl_op_enum, sm_acl_op_names, en)
SM_ACL_NAMER(sm_acl_perm_name, sm_acl_perm_names, name)
SM_ACL_NAMER(sm_acl_perm_enum, sm_acl_perm_names, en)
SM_ACL_NAMER(sm_acl_pat_enum, sm_acl_pat_names, en)

int sm_acl_res_parse(const char *s) { return sm_acl_parse(sm_acl_res_names, s); }
int sm_acl_op_parse(const char *s) { return sm_acl_parse(sm_acl_op_names, s); }
int sm_acl_perm_parse(const char *s) { return sm_acl_parse(sm_acl_perm_names, s); }
int sm_acl_pat_parse(const char *s) { return sm_acl_parse(sm_acl_pat_names, s); }

char *sm_zkpath_acl(int pattern, int res_type, const char *name)
{
	if (res_type <= SM_ACL_RES_ANY || !sm_acl_find(sm_acl_res_names, res_type) || !name ||
	    !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return NULL;
	if (pattern == SM_ACL_PAT_LITERAL)
		return sm_zkd_fmt("%s/%s/%s", SM_ZKPATH_ACL, sm_acl_res_name(res_type), name);
	if (pattern == SM_ACL_PAT_PREFIXED)
		return sm_zkd_fmt("%s/%s/%s", SM_ZKPATH_ACL_PREFIXED, sm_acl_res_name(res_type), name);
	return NULL;
}

char *sm_zk_acls_encode(const sm_zk_acl_t *acls, int n)
{
	json_t *o = json_object();
	json_t *arr = json_array();
	json_object_set_new(o, "version", json_integer(1));
	for (int i = 0; i < n; i++) {
		json_t *e = json_object();
		json_object_set_new(e, "principal", json_string(acls[i].principal));
		json_object_set_new(e, "permissionType", json_string(sm_acl_perm_name(acls[i].perm)));
		json_object_set_new(e, "operation", json_string(sm_acl_op_name(acls[i].op)));
		json_object_set_new(e, "host", json_string(acls[i].host));
		json_array_append_new(arr, e);
	}
	json_object_set_new(o, "acls", arr);
	return sm_zkd_dump(o);
}

void sm_zk_acls_free(sm_zk_acl_t *acls, int n)
{
	for (int i = 0; acls && i < n; i++) {
		free(acls[i].principal);
		free(acls[i].host);
	}
	free(acls);
}

sm_err_t sm_zk_acls_decode(const char *json, size_t len, sm_zk_acl_t **outp, int *np,
			   char *err, size_t errlen)
{
	const char *what = "ACL znode";
	*outp = NULL;
	*np = 0;
	json_t *o = sm_zkd_load(json, len, what, err, errlen);
	if (!o)
		return SM_ERR__PARSE;
	int32_t version = 0;
	sm_err_t r = SM_ERR__PARSE;
	json_t *arr = json_object_get(o, "acls");
	if (sm_zkd_int(o, "version", 1, &version, what, err, errlen))
		goto out;
	if (version != 1 || !json_is_array(arr)) {
		sm_zkd_seterr(err, errlen, "%s: version %d or \"acls\" not an array", what, version);
		goto out;
	}
	size_t cnt = json_array_size(arr);
	sm_zk_acl_t *acls = sm_calloc(cnt + 1, sizeof(*acls));
	int n = 0;
	for (size_t i = 0; i < cnt; i++) {
		json_t *e = json_array_get(arr, i);
		json_t *pr = json_object_get(e, "principal"), *h = json_object_get(e, "host");
		json_t *op = json_object_get(e, "operation"), *pt = json_object_get(e, "permissionType");
		int opc = json_is_string(op) ? sm_acl_op_parse(json_string_value(op)) : 0;
		int ptc = json_is_string(pt) ? sm_acl_perm_parse(json_string_value(pt)) : 0;
		const char *prs = json_is_string(pr) ? json_string_value(pr) : NULL;
		if (!prs || !strchr(prs, ':') || !json_is_string(h) || opc <= SM_ACL_OP_ANY ||
		    ptc <= SM_ACL_PERM_ANY) {
			sm_zkd_seterr(err, errlen, "%s: entry %zu is not a valid ACL", what, i);
			sm_zk_acls_free(acls, n);
			goto out;
		}
		acls[n].principal = sm_strdup(prs);
		acls[n].host = sm_strdup(json_string_value(h));
		acls[n].op = (int8_t)opc;
		acls[n].perm = (int8_t)ptc;
		n++;
	}
	*outp = acls;
	*np = n;
	r = SM_ERR_NONE;
out:
	json_decref(o);
	return r;
}

char *sm_zk_acl_change_encode(int pattern, int res_type, const char *name)
{
	if (pattern == SM_ACL_PAT_LITERAL)
		return sm_zkd_fmt("%s:%s", sm_acl_res_enum(res_type), name);
	json_t *o = json_object();
	json_object_set_new(o, "version", json_integer(1));
	json_object_set_new(o, "resourceType", json_string(sm_acl_res_enum(res_type)));
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "patternType", json_string(sm_acl_pat_enum(pattern)));
	return sm_zkd_dump(o);
}

sm_err_t sm_zk_acl_change_decode(int extended, const char *data, size_t len, int *patternp,
				 int *res_typep, char **namep, char *err, size_t errlen)
{
	const char *what = "ACL change notification";
	*namep = NULL;
	if (!extended) {
		const char *colon = data ? memchr(data, ':', len) : NULL;
		if (!colon) {
			sm_zkd_seterr(err, errlen, "%s: expected ResourceType:ResourceName", what);
			return SM_ERR__PARSE;
		}
		char type[32];
		size_t tl = (size_t)(colon - data);
		if (tl >= sizeof(type) || memchr(colon + 1, 0, len - tl - 1)) {
			sm_zkd_seterr(err, errlen, "%s: bad resource type", what);
			return SM_ERR__PARSE;
		}
		memcpy(type, data, tl);
		type[tl] = 0;
		*res_typep = sm_acl_res_parse(type);
		if (*res_typep <= SM_ACL_RES_ANY) {
			sm_zkd_seterr(err, errlen, "%s: unknown resource type %s", what, type);
			return SM_ERR__PARSE;
		}
		*patternp = SM_ACL_PAT_LITERAL;
		*namep = sm_strndup(colon + 1, len - tl - 1);
		return SM_ERR_NONE;
	}
	json_t *o = sm_zkd_load(data, len, what, err, errlen);
	if (!o)
		return SM_ERR__PARSE;
	int32_t version = 0;
	sm_err_t r = SM_ERR__PARSE;
	json_t *t = json_object_get(o, "resourceType"), *n = json_object_get(o, "name");
	json_t *p = json_object_get(o, "patternType");
	if (sm_zkd_int(o, "version", 1, &version, what, err, errlen))
		goto out;
	if (version != 1 || !json_is_string(t) || !json_is_string(n) || !json_is_string(p)) {
		sm_zkd_seterr(err, errlen, "%s: version 1 with resourceType, name and patternType expected", what);
		goto out;
	}
	*res_typep = sm_acl_res_parse(json_string_value(t));
	*patternp = sm_acl_pat_parse(json_string_value(p));
	if (*res_typep <= SM_ACL_RES_ANY || *patternp < SM_ACL_PAT_LITERAL) {
		sm_zkd_seterr(err, errlen, "%s: unknown resource or pattern type", what);
		goto out;
	}
	*namep = sm_strdup(json_string_value(n));
	r = SM_ERR_NONE;
out:
	json_decref(o);
	return r;
}
