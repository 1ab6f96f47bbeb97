/*
 * msg_describe_configs.c - DescribeConfigs request/response codec, versions
 * 0-4 (Kafka's generated DescribeConfigsRequestData /
 * DescribeConfigsResponseData).
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_describe_configs.h"
#include "protocol.h"

#define SM_DC_FLEX(ver) ((ver) >= 4)
#define SM_DC_STR_MIN(flex) ((size_t)((flex) ? 1 : 2))
#define SM_DC_ARR_MIN(flex) ((size_t)((flex) ? 1 : 4))
#define SM_DC_TAGS_MIN(flex) ((size_t)((flex) ? 1 : 0))

/* []string configuration_keys, nullable. */
static char **sm_dc_keys_read(sm_rbuf_t *rb, int flex, sm_arena_t *a, int32_t *cnt)
{
	int32_t n = sm_proto_array_read(rb, flex, 1, SM_DC_STR_MIN(flex));
	char **v = sm_proto_array_ralloc(rb, a, n, sizeof(*v));
	for (int32_t i = 0; i < n && !rb->err; i++)
		v[i] = sm_proto_str_read(rb, flex, 0, a);
	*cnt = rb->err ? 0 : n;
	return v;
}

int sm_describe_configs_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				 sm_describe_configs_req_t *out)
{
	int flex = SM_DC_FLEX(ver);
	memset(out, 0, sizeof(*out));
	int32_t n = sm_proto_array_read(rb, flex, 0, 1 + SM_DC_STR_MIN(flex) +
							     SM_DC_ARR_MIN(flex) + SM_DC_TAGS_MIN(flex));
	out->resources = sm_proto_array_ralloc(rb, a, n, sizeof(*out->resources));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_describe_configs_req_resource_t *r = &out->resources[i];
		r->resource_type = sm_rbuf_i8(rb);
		r->resource_name = sm_proto_str_read(rb, flex, 0, a);
		r->configuration_keys = sm_dc_keys_read(rb, flex, a, &r->configuration_keys_cnt);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	SM_RBUF_CHECK(rb);
	out->resources_cnt = n;
	if (ver >= 1)
		out->include_synonyms = sm_rbuf_bool(rb);
	if (ver >= 3)
		out->include_documentation = sm_rbuf_bool(rb);
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_describe_configs_req_write(sm_wbuf_t *w, int16_t ver, const sm_describe_configs_req_t *in)
{
	int flex = SM_DC_FLEX(ver);
	sm_proto_array_write(w, in->resources_cnt, flex, 0);
	for (int32_t i = 0; i < in->resources_cnt; i++) {
		const sm_describe_configs_req_resource_t *r = &in->resources[i];
		sm_wbuf_i8(w, r->resource_type);
		sm_proto_str_write(w, r->resource_name, flex, 0);
		sm_proto_array_write(w, r->configuration_keys_cnt, flex, 1);
		for (int32_t k = 0; k < r->configuration_keys_cnt; k++)
			sm_proto_str_write(w, r->configuration_keys[k], flex, 0);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (ver >= 1)
		sm_wbuf_bool(w, in->include_synonyms);
	if (ver >= 3)
		sm_wbuf_bool(w, in->include_documentation);
	if (flex)
		sm_wbuf_tags_empty(w);
}

static void sm_dc_entry_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			     sm_describe_configs_entry_t *e)
{
	int flex = SM_DC_FLEX(ver);
	e->name = sm_proto_str_read(rb, flex, 0, a);
	e->value = sm_proto_str_read(rb, flex, 1, a);
	e->read_only = sm_rbuf_bool(rb);
	e->config_source = -1;
	if (ver == 0)
		e->is_default = sm_rbuf_bool(rb);
	else
		e->config_source = sm_rbuf_i8(rb);
	e->is_sensitive = sm_rbuf_bool(rb);
	if (ver >= 1) {
		int32_t m = sm_proto_array_read(rb, flex, 0, 2 * SM_DC_STR_MIN(flex) + 1 +
								     SM_DC_TAGS_MIN(flex));
		e->synonyms = sm_proto_array_ralloc(rb, a, m, sizeof(*e->synonyms));
		for (int32_t k = 0; k < m && !rb->err; k++) {
			e->synonyms[k].name = sm_proto_str_read(rb, flex, 0, a);
			e->synonyms[k].value = sm_proto_str_read(rb, flex, 1, a);
			e->synonyms[k].source = sm_rbuf_i8(rb);
			if (flex)
				sm_proto_tags_read(rb, a, NULL, NULL);
		}
		e->synonyms_cnt = rb->err ? 0 : m;
	}
	if (ver >= 3) {
		e->config_type = sm_rbuf_i8(rb);
		e->documentation = sm_proto_str_read(rb, flex, 1, a);
	}
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
}

int sm_describe_configs_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				  sm_describe_configs_resp_t *out)
{
	int flex = SM_DC_FLEX(ver);
	size_t smin = SM_DC_STR_MIN(flex), tmin = SM_DC_TAGS_MIN(flex);
	size_t entry_min = 2 * smin + 3 + (ver >= 1 ? SM_DC_ARR_MIN(flex) : 0) +
			   (ver >= 3 ? 1 + smin : 0) + tmin;
	memset(out, 0, sizeof(*out));
	out->throttle_time_ms = sm_rbuf_i32(rb);
	int32_t n = sm_proto_array_read(rb, flex, 0, 3 + 2 * smin + SM_DC_ARR_MIN(flex) + tmin);
	out->results = sm_proto_array_ralloc(rb, a, n, sizeof(*out->results));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_describe_configs_result_t *r = &out->results[i];
		r->error_code = sm_rbuf_i16(rb);
		r->error_message = sm_proto_str_read(rb, flex, 1, a);
		r->resource_type = sm_rbuf_i8(rb);
		r->resource_name = sm_proto_str_read(rb, flex, 0, a);
		int32_t m = sm_proto_array_read(rb, flex, 0, entry_min);
		r->configs = sm_proto_array_ralloc(rb, a, m, sizeof(*r->configs));
		for (int32_t j = 0; j < m && !rb->err; j++)
			sm_dc_entry_read(rb, ver, a, &r->configs[j]);
		r->configs_cnt = rb->err ? 0 : m;
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	SM_RBUF_CHECK(rb);
	out->results_cnt = n;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

static void sm_dc_entry_write(sm_wbuf_t *w, int16_t ver, const sm_describe_configs_entry_t *e)
{
	int flex = SM_DC_FLEX(ver);
	sm_proto_str_write(w, e->name, flex, 0);
	sm_proto_str_write(w, e->value, flex, 1);
	sm_wbuf_bool(w, e->read_only);
	if (ver == 0)
		sm_wbuf_bool(w, e->is_default);
	else
		sm_wbuf_i8(w, e->config_source);
	sm_wbuf_bool(w, e->is_sensitive);
	if (ver >= 1) {
		sm_proto_array_write(w, e->synonyms_cnt, flex, 0);
		for (int32_t k = 0; k < e->synonyms_cnt; k++) {
			sm_proto_str_write(w, e->synonyms[k].name, flex, 0);
			sm_proto_str_write(w, e->synonyms[k].value, flex, 1);
			sm_wbuf_i8(w, e->synonyms[k].source);
			if (flex)
				sm_wbuf_tags_empty(w);
		}
	}
	if (ver >= 3) {
		sm_wbuf_i8(w, e->config_type);
		sm_proto_str_write(w, e->documentation, flex, 1);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}

void sm_describe_configs_resp_write(sm_wbuf_t *w, int16_t ver,
				    const sm_describe_configs_resp_t *in)
{
	int flex = SM_DC_FLEX(ver);
	sm_wbuf_i32(w, in->throttle_time_ms);
	sm_proto_array_write(w, in->results_cnt, flex, 0);
	for (int32_t i = 0; i < in->results_cnt; i++) {
		const sm_describe_configs_result_t *r = &in->results[i];
		sm_wbuf_i16(w, r->error_code);
		sm_proto_str_write(w, r->error_message, flex, 1);
		sm_wbuf_i8(w, r->resource_type);
		sm_proto_str_write(w, r->resource_name, flex, 0);
		sm_proto_array_write(w, r->configs_cnt, flex, 0);
		for (int32_t j = 0; j < r->configs_cnt; j++)
			sm_dc_entry_write(w, ver, &r->configs[j]);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}
