/*
 * msg_create_topics.c - CreateTopics request/response codec, versions 0-7
 * (Kafka's generated CreateTopicsRequestData / CreateTopicsResponseData).
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_create_topics.h"
#include "protocol.h"

#define SM_CREATE_TOPICS_FLEX(ver) ((ver) >= 5)
#define SM_CREATE_TOPICS_STR_MIN(flex) ((size_t)((flex) ? 1 : 2))
#define SM_CREATE_TOPICS_ARR_MIN(flex) ((size_t)((flex) ? 1 : 4))
#define SM_CREATE_TOPICS_TAGS_MIN(flex) ((size_t)((flex) ? 1 : 0))

void sm_create_topics_req_init(sm_create_topics_req_t *r)
{
	memset(r, 0, sizeof(*r));
	r->timeout_ms = 60000;
}

void sm_create_topics_resp_init(sm_create_topics_resp_t *r)
{
	memset(r, 0, sizeof(*r));
}

void sm_create_topics_resp_topic_init(sm_create_topics_resp_topic_t *t)
{
	memset(t, 0, sizeof(*t));
	t->num_partitions = -1;
	t->replication_factor = -1;
}

void sm_create_topics_resp_config_init(sm_create_topics_resp_config_t *c)
{
	memset(c, 0, sizeof(*c));
	c->config_source = -1;
}

/* ---- request ---- */

static void sm_create_topics_req_topic_read(sm_rbuf_t *rb, int flex, sm_arena_t *a,
					    sm_create_topics_req_topic_t *t)
{
	size_t smin = SM_CREATE_TOPICS_STR_MIN(flex), tmin = SM_CREATE_TOPICS_TAGS_MIN(flex);

	t->name = sm_proto_str_read(rb, flex, 0, a);
	t->num_partitions = sm_rbuf_i32(rb);
	t->replication_factor = sm_rbuf_i16(rb);
	int32_t n = sm_proto_array_read(rb, flex, 0, 4 + SM_CREATE_TOPICS_ARR_MIN(flex) + tmin);
	t->assignments = sm_proto_array_ralloc(rb, a, n, sizeof(*t->assignments));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_create_topics_req_assignment_t *as = &t->assignments[i];
		as->partition_index = sm_rbuf_i32(rb);
		as->broker_ids = sm_proto_i32s_read(rb, flex, 0, a, &as->broker_ids_cnt);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	t->assignments_cnt = rb->err ? 0 : n;
	n = sm_proto_array_read(rb, flex, 0, 2 * smin + tmin);
	t->configs = sm_proto_array_ralloc(rb, a, n, sizeof(*t->configs));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		t->configs[i].name = sm_proto_str_read(rb, flex, 0, a);
		t->configs[i].value = sm_proto_str_read(rb, flex, 1, a);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	t->configs_cnt = rb->err ? 0 : n;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
}

int sm_create_topics_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_create_topics_req_t *out)
{
	int flex = SM_CREATE_TOPICS_FLEX(ver);
	size_t min = SM_CREATE_TOPICS_STR_MIN(flex) + 4 + 2 + 2 * SM_CREATE_TOPICS_ARR_MIN(flex) +
		     SM_CREATE_TOPICS_TAGS_MIN(flex);

	sm_create_topics_req_init(out);
	int32_t n = sm_proto_array_read(rb, flex, 0, min);
	out->topics = sm_proto_array_ralloc(rb, a, n, sizeof(*out->topics));
	for (int32_t i = 0; i < n && !rb->err; i++)
		sm_create_topics_req_topic_read(rb, flex, a, &out->topics[i]);
	SM_RBUF_CHECK(rb);
	out->topics_cnt = n;
	out->timeout_ms = sm_rbuf_i32(rb);
	if (ver >= 1)
		out->validate_only = sm_rbuf_bool(rb);
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

static void sm_create_topics_req_topic_write(sm_wbuf_t *w, int flex,
					     const sm_create_topics_req_topic_t *t)
{
	sm_proto_str_write(w, t->name, flex, 0);
	sm_wbuf_i32(w, t->num_partitions);
	sm_wbuf_i16(w, t->replication_factor);
	sm_proto_array_write(w, t->assignments_cnt, flex, 0);
	for (int32_t i = 0; i < t->assignments_cnt; i++) {
		sm_wbuf_i32(w, t->assignments[i].partition_index);
		sm_proto_i32s_write(w, t->assignments[i].broker_ids,
				    t->assignments[i].broker_ids_cnt, flex, 0);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	sm_proto_array_write(w, t->configs_cnt, flex, 0);
	for (int32_t i = 0; i < t->configs_cnt; i++) {
		sm_proto_str_write(w, t->configs[i].name, flex, 0);
		sm_proto_str_write(w, t->configs[i].value, flex, 1);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}

void sm_create_topics_req_write(sm_wbuf_t *w, int16_t ver, const sm_create_topics_req_t *in)
{
	int flex = SM_CREATE_TOPICS_FLEX(ver);

	sm_proto_array_write(w, in->topics_cnt, flex, 0);
	for (int32_t i = 0; i < in->topics_cnt; i++)
		sm_create_topics_req_topic_write(w, flex, &in->topics[i]);
	sm_wbuf_i32(w, in->timeout_ms);
	if (ver >= 1)
		sm_wbuf_bool(w, in->validate_only);
	if (flex)
		sm_wbuf_tags_empty(w);
}

/* ---- response ---- */

static sm_create_topics_resp_config_t *sm_create_topics_resp_configs_read(sm_rbuf_t *rb,
									  sm_arena_t *a,
									  int32_t *cnt)
{
	/* Only flexible versions carry configs. */
	int32_t n = sm_proto_array_read(rb, 1, 1, 1 + 1 + 1 + 1 + 1 + 1);
	sm_create_topics_resp_config_t *c = sm_proto_array_ralloc(rb, a, n, sizeof(*c));

	for (int32_t i = 0; i < n && !rb->err; i++) {
		c[i].name = sm_proto_str_read(rb, 1, 0, a);
		c[i].value = sm_proto_str_read(rb, 1, 1, a);
		c[i].read_only = sm_rbuf_bool(rb);
		c[i].config_source = sm_rbuf_i8(rb);
		c[i].is_sensitive = sm_rbuf_bool(rb);
		sm_proto_tags_read(rb, a, NULL, NULL);
	}
	*cnt = rb->err ? 0 : n;
	return c;
}

static int sm_create_topics_resp_topic_tag(void *arg, uint32_t tag, sm_rbuf_t *val,
					   sm_arena_t *a)
{
	sm_create_topics_resp_topic_t *t = arg;

	(void)a;
	if (tag == 0)
		t->topic_config_error_code = sm_rbuf_i16(val);
	return val->err ? -1 : 0;
}

static void sm_create_topics_resp_topic_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
					     sm_create_topics_resp_topic_t *t)
{
	int flex = SM_CREATE_TOPICS_FLEX(ver);

	sm_create_topics_resp_topic_init(t);
	t->name = sm_proto_str_read(rb, flex, 0, a);
	if (ver >= 7)
		sm_rbuf_uuid(rb, t->topic_id);
	t->error_code = sm_rbuf_i16(rb);
	if (ver >= 1)
		t->error_message = sm_proto_str_read(rb, flex, 1, a);
	else
		t->error_message = sm_proto_empty_str(a);
	if (ver >= 5) {
		t->num_partitions = sm_rbuf_i32(rb);
		t->replication_factor = sm_rbuf_i16(rb);
		t->configs = sm_create_topics_resp_configs_read(rb, a, &t->configs_cnt);
	}
	if (flex)
		sm_proto_tags_read(rb, a, sm_create_topics_resp_topic_tag, t);
}

int sm_create_topics_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			       sm_create_topics_resp_t *out)
{
	int flex = SM_CREATE_TOPICS_FLEX(ver);
	size_t min = SM_CREATE_TOPICS_STR_MIN(flex) + (ver >= 7 ? 16 : 0) + 2 +
		     (ver >= 1 ? SM_CREATE_TOPICS_STR_MIN(flex) : 0) + (ver >= 5 ? 4 + 2 + 1 : 0) +
		     SM_CREATE_TOPICS_TAGS_MIN(flex);

	sm_create_topics_resp_init(out);
	if (ver >= 2)
		out->throttle_time_ms = sm_rbuf_i32(rb);
	int32_t n = sm_proto_array_read(rb, flex, 0, min);
	out->topics = sm_proto_array_ralloc(rb, a, n, sizeof(*out->topics));
	for (int32_t i = 0; i < n && !rb->err; i++)
		sm_create_topics_resp_topic_read(rb, ver, a, &out->topics[i]);
	SM_RBUF_CHECK(rb);
	out->topics_cnt = n;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

static void sm_create_topics_resp_topic_write(sm_wbuf_t *w, int16_t ver,
					      const sm_create_topics_resp_topic_t *t)
{
	int flex = SM_CREATE_TOPICS_FLEX(ver);

	sm_proto_str_write(w, t->name, flex, 0);
	if (ver >= 7)
		sm_wbuf_uuid(w, t->topic_id);
	sm_wbuf_i16(w, t->error_code);
	if (ver >= 1)
		sm_proto_str_write(w, t->error_message, flex, 1);
	if (ver >= 5) {
		sm_wbuf_i32(w, t->num_partitions);
		sm_wbuf_i16(w, t->replication_factor);
		sm_proto_array_write(w, t->configs_cnt, 1, 1);
		for (int32_t i = 0; i < t->configs_cnt; i++) {
			const sm_create_topics_resp_config_t *c = &t->configs[i];
			sm_proto_str_write(w, c->name, 1, 0);
			sm_proto_str_write(w, c->value, 1, 1);
			sm_wbuf_bool(w, c->read_only);
			sm_wbuf_i8(w, c->config_source);
			sm_wbuf_bool(w, c->is_sensitive);
			sm_wbuf_tags_empty(w);
		}
	}
	if (!flex)
		return;
	if (t->topic_config_error_code == 0) {
		sm_wbuf_tags_empty(w);
		return;
	}
	sm_wbuf_uvarint(w, 1);
	sm_wbuf_uvarint(w, 0); /* tag */
	sm_wbuf_uvarint(w, 2); /* size */
	sm_wbuf_i16(w, t->topic_config_error_code);
}

void sm_create_topics_resp_write(sm_wbuf_t *w, int16_t ver, const sm_create_topics_resp_t *in)
{
	int flex = SM_CREATE_TOPICS_FLEX(ver);

	if (ver >= 2)
		sm_wbuf_i32(w, in->throttle_time_ms);
	sm_proto_array_write(w, in->topics_cnt, flex, 0);
	for (int32_t i = 0; i < in->topics_cnt; i++)
		sm_create_topics_resp_topic_write(w, ver, &in->topics[i]);
	if (flex)
		sm_wbuf_tags_empty(w);
}
