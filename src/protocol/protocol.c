/*
 * protocol.c - the Kafka 2.8 API table (built from the generated version
 * table of src/protocol/specs), request/response headers and the shared
 * encoding helpers of the message codecs (Kafka's ApiKeys, ApiMessageType,
 * RequestHeader, ResponseHeader and the generated readers'/writers'
 * primitive handling, read budget, JSON rendering).
 *
 * Thread-safety: the table is built once (pthread_once) and then constant;
 * everything else works only on the caller's reader, writer and arena.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "protocol.h"
#include "msg_header.h"
#include "msg_metadata.h"
#include "proto_gen.h"

/* protocol.h: the response error tally of this thread. Its members are
 * reached directly and the tally is handed out as a copy: a pointer to it
 * taken in an inline header function failed UBSan's null check under GCC
 * (--enable-sanitizers). */
static __thread sm_proto_err_tally_t sm_proto_err_tally;

void sm_proto_err_seen(int16_t code)
{
	if (!sm_proto_err_tally.active)
		return;
	int n = sm_proto_err_tally.n;
	for (int i = 0; i < n; i++)
		if (sm_proto_err_tally.code[i] == code) {
			sm_proto_err_tally.count[i]++;
			return;
		}
	if (n < SM_PROTO_ERR_TALLY_MAX) {
		sm_proto_err_tally.code[n] = code;
		sm_proto_err_tally.count[n] = 1;
		sm_proto_err_tally.n = n + 1;
	}
}

void sm_proto_err_tally_begin(void)
{
	sm_proto_err_tally.active = 1;
	sm_proto_err_tally.n = 0;
}

void sm_proto_err_tally_end(sm_proto_err_tally_t *out)
{
	if (!sm_proto_err_tally.active)
		sm_proto_err_tally.n = 0;
	sm_proto_err_tally.active = 0;
	*out = sm_proto_err_tally;
}

/* Kafka 2.8 API keys a ZooKeeper-mode broker never serves, so they have no
 * message spec: validVersions / flexibleVersions of their 2.8 schemas. */
static const sm_api_info_t sm_proto_kraft_apis[] = {
	{ 52, "Vote", 0, 0, 0, 0 },
	{ 53, "BeginQuorumEpoch", 0, 0, -1, 0 },
	{ 54, "EndQuorumEpoch", 0, 0, -1, 0 },
	{ 55, "DescribeQuorum", 0, 0, 0, 0 },
	{ 59, "FetchSnapshot", 0, 0, 0, 0 },
};

/* Every key, built once from the generated version table (the specs) and
 * the rows above. */
static sm_api_info_t sm_proto_apis[SM_API__COUNT];
static pthread_once_t sm_proto_apis_once = PTHREAD_ONCE_INIT;

static void sm_proto_apis_build(void)
{
	for (int i = 0; i < SM_PROTO_VERSIONS_CNT; i++) {
		const sm_proto_version_t *v = &sm_proto_versions[i];
		if (v->key < 0 || v->key >= SM_API__COUNT)
			continue;
		sm_api_info_t *a = &sm_proto_apis[v->key];
		a->key = v->key;
		a->name = v->name;
		a->min_ver = v->min_ver;
		a->max_ver = v->max_ver;
		a->flex_ver = v->flex_ver;
		/* 2.8 advertises Envelope only with an internal forwarding
		 * switch. */
		a->zk_broker = v->key != SM_API_ENVELOPE;
	}
	for (size_t i = 0; i < sizeof(sm_proto_kraft_apis) / sizeof(sm_proto_kraft_apis[0]); i++)
		sm_proto_apis[sm_proto_kraft_apis[i].key] = sm_proto_kraft_apis[i];
}

const sm_api_info_t *sm_proto_api(int16_t api_key)
{
	if (api_key < 0 || api_key >= SM_API__COUNT)
		return NULL;
	pthread_once(&sm_proto_apis_once, sm_proto_apis_build);
	return sm_proto_apis[api_key].name ? &sm_proto_apis[api_key] : NULL;
}

const char *sm_proto_api_name(int16_t api_key)
{
	const sm_api_info_t *api = sm_proto_api(api_key);
	return api ? api->name : "Unknown";
}

int sm_proto_version_supported(int16_t api_key, int16_t ver)
{
	const sm_api_info_t *api = sm_proto_api(api_key);
	return api && api->zk_broker && ver >= api->min_ver && ver <= api->max_ver;
}

int sm_proto_is_flexible(int16_t api_key, int16_t ver)
{
	const sm_api_info_t *api = sm_proto_api(api_key);
	return api && api->flex_ver >= 0 && ver >= api->flex_ver;
}

int sm_proto_req_header_version(int16_t api_key, int16_t ver)
{
	if (!sm_proto_api(api_key))
		return -1;
	if (sm_proto_is_flexible(api_key, ver))
		return 2;
	/* ControlledShutdown v0 predates client ids in the header. */
	if (api_key == SM_API_CONTROLLED_SHUTDOWN && ver == 0)
		return 0;
	return 1;
}

int sm_proto_resp_header_version(int16_t api_key, int16_t ver)
{
	if (!sm_proto_api(api_key))
		return -1;
	/* KIP-511: a client must parse it before it knows our versions. */
	if (api_key == SM_API_API_VERSIONS)
		return 0;
	return sm_proto_is_flexible(api_key, ver) ? 1 : 0;
}

/* ---- headers: the generated RequestHeader / ResponseHeader codecs at the
 * header version the key and version call for ---- */

int sm_proto_req_header_read(sm_rbuf_t *rb, sm_arena_t *a, sm_req_header_t *h)
{
	/* The key and version at the front pick the header's own version. */
	sm_rbuf_t peek = *rb;
	h->api_key = sm_rbuf_i16(&peek);
	h->api_version = sm_rbuf_i16(&peek);
	h->correlation_id = sm_rbuf_i32(&peek);
	h->client_id = NULL;
	h->header_version = peek.err ? -1 : sm_proto_req_header_version(h->api_key, h->api_version);
	sm_request_header_t g;
	if (h->header_version < 0 || sm_request_header_read(rb, (int16_t)h->header_version, a, &g))
		return -1;
	h->client_id = g.client_id ? g.client_id : sm_proto_empty_str(a);
	return 0;
}

void sm_proto_req_header_write(sm_wbuf_t *w, const sm_req_header_t *h)
{
	sm_request_header_t g = { h->api_key, h->api_version, h->correlation_id, h->client_id };

	sm_request_header_write(w, (int16_t)sm_proto_req_header_version(h->api_key, h->api_version), &g);
}

void sm_proto_resp_header_write(sm_wbuf_t *w, int16_t api_key, int16_t ver,
				int32_t correlation_id)
{
	sm_response_header_t g = { correlation_id };

	sm_response_header_write(w, (int16_t)sm_proto_resp_header_version(api_key, ver), &g);
}

int sm_proto_resp_header_read(sm_rbuf_t *rb, int16_t api_key, int16_t ver,
			      int32_t *correlation_id)
{
	int hv = sm_proto_resp_header_version(api_key, ver);
	sm_response_header_t g;

	if (hv < 0 || sm_response_header_read(rb, (int16_t)hv, NULL, &g))
		return -1;
	*correlation_id = g.correlation_id;
	return 0;
}

/* ---- encoding helpers ---- */

char *sm_proto_empty_str(sm_arena_t *a)
{
	return sm_arena_strndup(a, "", 0);
}

char *sm_proto_str_read(sm_rbuf_t *rb, int flex, int nullable, sm_arena_t *a)
{
	char *s = sm_rbuf_str(rb, flex, a);

	if (!s && !rb->err && !nullable)
		sm_rbuf_fail(rb);
	return s;
}

void sm_proto_str_write(sm_wbuf_t *w, const char *s, int flex, int nullable)
{
	if (!s && !nullable)
		s = "";
	sm_wbuf_str(w, s, flex);
}

int32_t sm_proto_array_read(sm_rbuf_t *rb, int flex, int nullable, size_t min_elem)
{
	int32_t n = sm_rbuf_array(rb, flex, min_elem);

	if (n < 0 && !nullable)
		sm_rbuf_fail(rb);
	return rb->err ? 0 : n;
}

void *sm_proto_array_ralloc(sm_rbuf_t *rb, sm_arena_t *a, int32_t cnt, size_t elem_size)
{
	if (cnt <= 0 || rb->err)
		return NULL;
	void *p = sm_arena_alloc_array(a, cnt, elem_size);
	if (!p)
		sm_rbuf_fail(rb);
	return p;
}

void sm_proto_array_write(sm_wbuf_t *w, int32_t cnt, int flex, int nullable)
{
	if (cnt < 0 && !nullable)
		cnt = 0;
	sm_wbuf_array(w, cnt < 0 ? -1 : cnt, flex);
}

void sm_proto_tags_read(sm_rbuf_t *rb, sm_arena_t *a, sm_proto_tag_fn fn, void *arg)
{
	uint32_t n = sm_rbuf_uvarint(rb);

	for (uint32_t i = 0; i < n && !rb->err; i++) {
		uint32_t tag = sm_rbuf_uvarint(rb);
		uint32_t size = sm_rbuf_uvarint(rb);
		const uint8_t *p = sm_rbuf_raw(rb, size);
		if (!p)
			return;
		sm_rbuf_t val;
		sm_rbuf_init(&val, p, size);
		if (fn && (fn(arg, tag, &val, a) < 0 || val.err))
			sm_rbuf_fail(rb);
	}
}

/* ---- helpers of the generated codecs ---- */

void sm_proto_rctx_init(sm_proto_rctx_t *cx, const sm_rbuf_t *rb, sm_arena_t *a)
{
	size_t left = sm_rbuf_remaining(rb);

	cx->a = a;
	if (left > (SIZE_MAX - SM_PROTO_READ_BUDGET_MIN) / SM_PROTO_READ_BUDGET_FACTOR)
		cx->budget = SIZE_MAX;
	else
		cx->budget = left * SM_PROTO_READ_BUDGET_FACTOR + SM_PROTO_READ_BUDGET_MIN;
}

void *sm_proto_array_alloc_checked(sm_rbuf_t *rb, sm_proto_rctx_t *cx, int32_t cnt,
				   size_t elem_size)
{
	if (cnt <= 0 || rb->err)
		return NULL;
	if (elem_size && (size_t)cnt > cx->budget / elem_size) {
		sm_rbuf_fail(rb);
		return NULL;
	}
	cx->budget -= (size_t)cnt * elem_size;
	return sm_arena_alloc(cx->a, (size_t)cnt * elem_size);
}

sm_bytes_t sm_proto_bytes_read(sm_rbuf_t *rb, int flex, int nullable)
{
	sm_bytes_t b = sm_rbuf_bytes(rb, flex);

	if (b.len < 0 && !rb->err && !nullable)
		sm_rbuf_fail(rb);
	return b;
}

void sm_proto_bytes_write(sm_wbuf_t *w, sm_bytes_t b, int flex, int nullable)
{
	if (b.len < 0 && !nullable)
		b.len = 0;
	sm_wbuf_bytes(w, b.ptr, b.len, flex);
}

sm_records_t sm_proto_records_read(sm_rbuf_t *rb, int flex, int nullable)
{
	sm_bytes_t b = sm_proto_bytes_read(rb, flex, nullable);
	sm_records_t r = { b.ptr, rb->err ? -1 : b.len, NULL, 0 };

	return r;
}

void sm_proto_records_write(sm_wbuf_t *w, const sm_records_t *r, int flex, int nullable)
{
	if (r->len < 0 || !r->file) {
		sm_proto_bytes_write(w, (sm_bytes_t){ r->ptr, r->len }, flex, nullable);
		return;
	}
	/* Only the length goes into memory; the bytes stay in the segment
	 * file until the socket layer sends them. */
	if (flex)
		sm_wbuf_uvarint(w, (uint32_t)r->len + 1);
	else
		sm_wbuf_i32(w, r->len);
	sm_wbuf_add_file(w, r->file, r->file_pos, (size_t)r->len);
}

size_t sm_proto_uvarint_size(uint32_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static size_t sm_proto_len_size(int64_t len, int flex, size_t fixed)
{
	if (!flex)
		return fixed + (len > 0 ? (size_t)len : 0);
	if (len < 0)
		return 1;
	return sm_proto_uvarint_size((uint32_t)len + 1) + (size_t)len;
}

size_t sm_proto_str_size(const char *s, int flex, int nullable)
{
	if (!s && !nullable)
		s = "";
	return sm_proto_len_size(s ? (int64_t)strlen(s) : -1, flex, 2);
}

size_t sm_proto_bytes_size(sm_bytes_t b, int flex, int nullable)
{
	if (b.len < 0 && !nullable)
		b.len = 0;
	return sm_proto_len_size(b.len, flex, 4);
}

size_t sm_proto_records_size(const sm_records_t *r, int flex, int nullable)
{
	return sm_proto_bytes_size((sm_bytes_t){ r->ptr, r->len }, flex, nullable);
}

size_t sm_proto_array_hdr_size(int32_t cnt, int flex, int nullable)
{
	if (cnt < 0 && !nullable)
		cnt = 0;
	if (!flex)
		return 4;
	return cnt < 0 ? 1 : sm_proto_uvarint_size((uint32_t)cnt + 1);
}

int sm_proto_uuid_is_zero(const uint8_t id[16])
{
	for (int i = 0; i < 16; i++)
		if (id[i])
			return 0;
	return 1;
}

void sm_proto_json_key(sm_wbuf_t *w, const char *name, int *first)
{
	if (!*first)
		sm_wbuf_append(w, ",", 1);
	*first = 0;
	sm_proto_json_str(w, name, 0);
	sm_wbuf_append(w, ":", 1);
}

void sm_proto_json_bool(sm_wbuf_t *w, int v)
{
	sm_wbuf_append(w, v ? "true" : "false", v ? 4 : 5);
}

void sm_proto_json_i64(sm_wbuf_t *w, int64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);

	sm_wbuf_append(w, tmp, (size_t)n);
}

void sm_proto_json_f64(sm_wbuf_t *w, double v)
{
	char tmp[40];
	int n;

	/* JSON has no NaN or infinities. */
	if (v != v || v > 1.7976931348623157e308 || v < -1.7976931348623157e308)
		n = snprintf(tmp, sizeof(tmp), "null");
	else
		n = snprintf(tmp, sizeof(tmp), "%.17g", v);
	sm_wbuf_append(w, tmp, (size_t)n);
}

void sm_proto_json_str(sm_wbuf_t *w, const char *s, int nullable)
{
	if (!s) {
		if (nullable) {
			sm_wbuf_append(w, "null", 4);
			return;
		}
		s = "";
	}
	sm_wbuf_append(w, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8];
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			sm_wbuf_append(w, esc, 2);
		} else if (*p < 0x20 || *p >= 0x7f) {
			/* Control bytes; and since peers may send any bytes, the
			 * document stays valid UTF-8 by escaping non-ASCII bytes
			 * one by one. */
			int n = snprintf(esc, sizeof(esc), "\\u%04x", *p);
			sm_wbuf_append(w, esc, (size_t)n);
		} else {
			sm_wbuf_append(w, p, 1);
		}
	}
	sm_wbuf_append(w, "\"", 1);
}

static void sm_proto_base64(sm_wbuf_t *w, const uint8_t *p, size_t len, int url)
{
	/* Kafka's Uuid form: the URL-safe alphabet (-_ for +/). */
	const char *tab = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
			      : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		size_t n = len - i < 3 ? len - i : 3;
		char out[4];

		if (n > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (n > 2)
			v |= p[i + 2];
		out[0] = tab[(v >> 18) & 63];
		out[1] = tab[(v >> 12) & 63];
		out[2] = n > 1 ? tab[(v >> 6) & 63] : '=';
		out[3] = n > 2 ? tab[v & 63] : '=';
		/* Kafka's Uuid form has no padding. */
		sm_wbuf_append(w, out, url ? n + 1 : 4);
	}
}

void sm_proto_json_bytes(sm_wbuf_t *w, sm_bytes_t b)
{
	if (b.len < 0) {
		sm_wbuf_append(w, "null", 4);
		return;
	}
	sm_wbuf_append(w, "\"", 1);
	sm_proto_base64(w, b.ptr, (size_t)b.len, 0);
	sm_wbuf_append(w, "\"", 1);
}

void sm_proto_json_records(sm_wbuf_t *w, const sm_records_t *r)
{
	if (r->len < 0)
		sm_wbuf_append(w, "null", 4);
	else
		sm_proto_json_i64(w, r->len);
}

void sm_proto_json_uuid(sm_wbuf_t *w, const uint8_t id[16])
{
	sm_wbuf_append(w, "\"", 1);
	sm_proto_base64(w, id, 16, 1);
	sm_wbuf_append(w, "\"", 1);
}

/* ---- request rules beyond the wire format ---- */

int sm_metadata_req_all_topics(const sm_metadata_req_t *r, int16_t ver)
{
	if (ver == 0)
		return r->topics_cnt <= 0;
	return r->topics_cnt < 0;
}

static int sm_proto_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int sm_api_versions_valid_software(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || !sm_proto_alnum(s[0]) || !sm_proto_alnum(s[n - 1]))
		return 0;
	for (size_t i = 1; i + 1 < n; i++)
		if (!sm_proto_alnum(s[i]) && s[i] != '-' && s[i] != '.')
			return 0;
	return 1;
}
