/*
 * msg_api_versions.c - ApiVersions request/response codec, versions 0-3
 * (Kafka's generated ApiVersionsRequestData / ApiVersionsResponseData).
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_api_versions.h"
#include "protocol.h"

#define SM_API_VERSIONS_FLEX(ver) ((ver) >= 3)

void sm_api_versions_req_init(sm_api_versions_req_t *r)
{
	memset(r, 0, sizeof(*r));
}

void sm_api_versions_resp_init(sm_api_versions_resp_t *r)
{
	memset(r, 0, sizeof(*r));
	r->finalized_features_epoch = -1;
}

int sm_api_versions_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			     sm_api_versions_req_t *out)
{
	sm_api_versions_req_init(out);
	if (ver >= 3) {
		out->client_software_name = sm_proto_str_read(rb, 1, 0, a);
		out->client_software_version = sm_proto_str_read(rb, 1, 0, a);
		sm_proto_tags_read(rb, a, NULL, NULL);
	} else {
		out->client_software_name = sm_proto_empty_str(a);
		out->client_software_version = sm_proto_empty_str(a);
	}
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_api_versions_req_write(sm_wbuf_t *w, int16_t ver, const sm_api_versions_req_t *in)
{
	if (ver < 3)
		return;
	sm_proto_str_write(w, in->client_software_name, 1, 0);
	sm_proto_str_write(w, in->client_software_version, 1, 0);
	sm_wbuf_tags_empty(w);
}

static sm_api_versions_supported_feature_t *
sm_api_versions_sfeats_read(sm_rbuf_t *rb, sm_arena_t *a, int32_t *cnt)
{
	int32_t n = sm_proto_array_read(rb, 1, 0, 1 + 2 + 2 + 1);
	sm_api_versions_supported_feature_t *f = sm_proto_array_ralloc(rb, a, n, sizeof(*f));

	for (int32_t i = 0; i < n && !rb->err; i++) {
		f[i].name = sm_proto_str_read(rb, 1, 0, a);
		f[i].min_version = sm_rbuf_i16(rb);
		f[i].max_version = sm_rbuf_i16(rb);
		sm_proto_tags_read(rb, a, NULL, NULL);
	}
	*cnt = rb->err ? 0 : n;
	return f;
}

static sm_api_versions_finalized_feature_t *
sm_api_versions_ffeats_read(sm_rbuf_t *rb, sm_arena_t *a, int32_t *cnt)
{
	int32_t n = sm_proto_array_read(rb, 1, 0, 1 + 2 + 2 + 1);
	sm_api_versions_finalized_feature_t *f = sm_proto_array_ralloc(rb, a, n, sizeof(*f));

	for (int32_t i = 0; i < n && !rb->err; i++) {
		f[i].name = sm_proto_str_read(rb, 1, 0, a);
		f[i].max_version_level = sm_rbuf_i16(rb);
		f[i].min_version_level = sm_rbuf_i16(rb);
		sm_proto_tags_read(rb, a, NULL, NULL);
	}
	*cnt = rb->err ? 0 : n;
	return f;
}

/* One feature element: name then two int16s, each struct tag-terminated. */
static void sm_api_versions_feat_write(sm_wbuf_t *w, const char *name, int16_t x, int16_t y)
{
	sm_proto_str_write(w, name, 1, 0);
	sm_wbuf_i16(w, x);
	sm_wbuf_i16(w, y);
	sm_wbuf_tags_empty(w);
}

static int sm_api_versions_resp_tag(void *arg, uint32_t tag, sm_rbuf_t *val, sm_arena_t *a)
{
	sm_api_versions_resp_t *r = arg;
	int32_t cnt;

	switch (tag) {
	case 0:
		r->supported_features = sm_api_versions_sfeats_read(val, a, &cnt);
		r->supported_features_cnt = cnt;
		break;
	case 1:
		r->finalized_features_epoch = sm_rbuf_i64(val);
		break;
	case 2:
		r->finalized_features = sm_api_versions_ffeats_read(val, a, &cnt);
		r->finalized_features_cnt = cnt;
		break;
	case 3:
		r->zk_migration_ready = sm_rbuf_bool(val);
		break;
	default:
		break;
	}
	return val->err ? -1 : 0;
}

int sm_api_versions_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_api_versions_resp_t *out)
{
	int flex = SM_API_VERSIONS_FLEX(ver);

	sm_api_versions_resp_init(out);
	out->error_code = sm_rbuf_i16(rb);
	int32_t n = sm_proto_array_read(rb, flex, 0, 6 + (flex ? 1 : 0));
	out->api_keys = sm_proto_array_ralloc(rb, a, n, sizeof(*out->api_keys));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		out->api_keys[i].api_key = sm_rbuf_i16(rb);
		out->api_keys[i].min_version = sm_rbuf_i16(rb);
		out->api_keys[i].max_version = sm_rbuf_i16(rb);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	SM_RBUF_CHECK(rb);
	out->api_keys_cnt = n;
	if (ver >= 1)
		out->throttle_time_ms = sm_rbuf_i32(rb);
	if (flex)
		sm_proto_tags_read(rb, a, sm_api_versions_resp_tag, out);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

static void sm_api_versions_resp_tags_write(sm_wbuf_t *w, const sm_api_versions_resp_t *in)
{
	int n = (in->supported_features_cnt > 0) + (in->finalized_features_epoch != -1) +
		(in->finalized_features_cnt > 0) + (in->zk_migration_ready != 0);
	sm_wbuf_t v;

	sm_wbuf_uvarint(w, (uint32_t)n);
	if (!n)
		return;
	sm_wbuf_init(&v, 64);
	if (in->supported_features_cnt > 0) {
		sm_proto_array_write(&v, in->supported_features_cnt, 1, 0);
		for (int32_t i = 0; i < in->supported_features_cnt; i++)
			sm_api_versions_feat_write(&v, in->supported_features[i].name,
						   in->supported_features[i].min_version,
						   in->supported_features[i].max_version);
		sm_proto_tag_write(w, 0, &v);
	}
	if (in->finalized_features_epoch != -1) {
		sm_wbuf_reset(&v);
		sm_wbuf_i64(&v, in->finalized_features_epoch);
		sm_proto_tag_write(w, 1, &v);
	}
	if (in->finalized_features_cnt > 0) {
		sm_wbuf_reset(&v);
		sm_proto_array_write(&v, in->finalized_features_cnt, 1, 0);
		for (int32_t i = 0; i < in->finalized_features_cnt; i++)
			sm_api_versions_feat_write(&v, in->finalized_features[i].name,
						   in->finalized_features[i].max_version_level,
						   in->finalized_features[i].min_version_level);
		sm_proto_tag_write(w, 2, &v);
	}
	if (in->zk_migration_ready) {
		sm_wbuf_reset(&v);
		sm_wbuf_bool(&v, 1);
		sm_proto_tag_write(w, 3, &v);
	}
	sm_wbuf_free(&v);
}

void sm_api_versions_resp_write(sm_wbuf_t *w, int16_t ver, const sm_api_versions_resp_t *in)
{
	int flex = SM_API_VERSIONS_FLEX(ver);

	sm_wbuf_i16(w, in->error_code);
	sm_proto_array_write(w, in->api_keys_cnt, flex, 0);
	for (int32_t i = 0; i < in->api_keys_cnt; i++) {
		sm_wbuf_i16(w, in->api_keys[i].api_key);
		sm_wbuf_i16(w, in->api_keys[i].min_version);
		sm_wbuf_i16(w, in->api_keys[i].max_version);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (ver >= 1)
		sm_wbuf_i32(w, in->throttle_time_ms);
	if (flex)
		sm_api_versions_resp_tags_write(w, in);
}

static int sm_api_versions_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int sm_api_versions_valid_software(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || !sm_api_versions_alnum(s[0]) || !sm_api_versions_alnum(s[n - 1]))
		return 0;
	for (size_t i = 1; i + 1 < n; i++)
		if (!sm_api_versions_alnum(s[i]) && s[i] != '-' && s[i] != '.')
			return 0;
	return 1;
}
