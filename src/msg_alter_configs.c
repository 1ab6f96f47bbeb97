/*
 * msg_alter_configs.c - AlterConfigs request/response codec, versions 0-2
 * (Kafka's generated AlterConfigsRequestData / AlterConfigsResponseData).
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_alter_configs.h"
#include "protocol.h"

#define SM_AC_FLEX(ver) ((ver) >= 2)
#define SM_AC_STR_MIN(flex) ((size_t)((flex) ? 1 : 2))
#define SM_AC_ARR_MIN(flex) ((size_t)((flex) ? 1 : 4))
#define SM_AC_TAGS_MIN(flex) ((size_t)((flex) ? 1 : 0))

static void sm_ac_configs_read(sm_rbuf_t *rb, int flex, sm_arena_t *a,
			       sm_alter_configs_req_resource_t *r)
{
	int32_t m = sm_proto_array_read(rb, flex, 0, 2 * SM_AC_STR_MIN(flex) + SM_AC_TAGS_MIN(flex));
	r->configs = sm_proto_array_ralloc(rb, a, m, sizeof(*r->configs));
	for (int32_t k = 0; k < m && !rb->err; k++) {
		r->configs[k].name = sm_proto_str_read(rb, flex, 0, a);
		r->configs[k].value = sm_proto_str_read(rb, flex, 1, a);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	r->configs_cnt = rb->err ? 0 : m;
}

int sm_alter_configs_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_alter_configs_req_t *out)
{
	int flex = SM_AC_FLEX(ver);
	memset(out, 0, sizeof(*out));
	int32_t n = sm_proto_array_read(rb, flex, 0, 1 + SM_AC_STR_MIN(flex) +
							     SM_AC_ARR_MIN(flex) + SM_AC_TAGS_MIN(flex));
	out->resources = sm_proto_array_ralloc(rb, a, n, sizeof(*out->resources));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_alter_configs_req_resource_t *r = &out->resources[i];
		r->resource_type = sm_rbuf_i8(rb);
		r->resource_name = sm_proto_str_read(rb, flex, 0, a);
		sm_ac_configs_read(rb, flex, a, r);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	SM_RBUF_CHECK(rb);
	out->resources_cnt = n;
	out->validate_only = sm_rbuf_bool(rb);
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_alter_configs_req_write(sm_wbuf_t *w, int16_t ver, const sm_alter_configs_req_t *in)
{
	int flex = SM_AC_FLEX(ver);
	sm_proto_array_write(w, in->resources_cnt, flex, 0);
	for (int32_t i = 0; i < in->resources_cnt; i++) {
		const sm_alter_configs_req_resource_t *r = &in->resources[i];
		sm_wbuf_i8(w, r->resource_type);
		sm_proto_str_write(w, r->resource_name, flex, 0);
		sm_proto_array_write(w, r->configs_cnt, flex, 0);
		for (int32_t k = 0; k < r->configs_cnt; k++) {
			sm_proto_str_write(w, r->configs[k].name, flex, 0);
			sm_proto_str_write(w, r->configs[k].value, flex, 1);
			if (flex)
				sm_wbuf_tags_empty(w);
		}
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	sm_wbuf_bool(w, in->validate_only);
	if (flex)
		sm_wbuf_tags_empty(w);
}

int sm_alter_configs_resp_read_flex(sm_rbuf_t *rb, int flex, sm_arena_t *a,
				    sm_alter_configs_resp_t *out)
{
	memset(out, 0, sizeof(*out));
	out->throttle_time_ms = sm_rbuf_i32(rb);
	int32_t n = sm_proto_array_read(rb, flex, 0, 3 + 2 * SM_AC_STR_MIN(flex) +
							     SM_AC_TAGS_MIN(flex));
	out->responses = sm_proto_array_ralloc(rb, a, n, sizeof(*out->responses));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_alter_configs_resource_resp_t *r = &out->responses[i];
		r->error_code = sm_rbuf_i16(rb);
		r->error_message = sm_proto_str_read(rb, flex, 1, a);
		r->resource_type = sm_rbuf_i8(rb);
		r->resource_name = sm_proto_str_read(rb, flex, 0, a);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	SM_RBUF_CHECK(rb);
	out->responses_cnt = n;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_alter_configs_resp_write_flex(sm_wbuf_t *w, int flex, const sm_alter_configs_resp_t *in)
{
	sm_wbuf_i32(w, in->throttle_time_ms);
	sm_proto_array_write(w, in->responses_cnt, flex, 0);
	for (int32_t i = 0; i < in->responses_cnt; i++) {
		const sm_alter_configs_resource_resp_t *r = &in->responses[i];
		sm_wbuf_i16(w, r->error_code);
		sm_proto_str_write(w, r->error_message, flex, 1);
		sm_wbuf_i8(w, r->resource_type);
		sm_proto_str_write(w, r->resource_name, flex, 0);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}

int sm_alter_configs_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			       sm_alter_configs_resp_t *out)
{
	return sm_alter_configs_resp_read_flex(rb, SM_AC_FLEX(ver), a, out);
}

void sm_alter_configs_resp_write(sm_wbuf_t *w, int16_t ver, const sm_alter_configs_resp_t *in)
{
	sm_alter_configs_resp_write_flex(w, SM_AC_FLEX(ver), in);
}
