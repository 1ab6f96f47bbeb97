/*
 * msg_delete_topics.c - DeleteTopics request/response codec, versions 0-6
 * (Kafka's generated DeleteTopicsRequestData / DeleteTopicsResponseData).
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_delete_topics.h"
#include "protocol.h"

#define SM_DELETE_TOPICS_FLEX(ver) ((ver) >= 4)
#define SM_DELETE_TOPICS_STR_MIN(flex) ((size_t)((flex) ? 1 : 2))
#define SM_DELETE_TOPICS_TAGS_MIN(flex) ((size_t)((flex) ? 1 : 0))

void sm_delete_topics_req_init(sm_delete_topics_req_t *r)
{
	memset(r, 0, sizeof(*r));
}

void sm_delete_topics_resp_init(sm_delete_topics_resp_t *r)
{
	memset(r, 0, sizeof(*r));
}

int sm_delete_topics_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_delete_topics_req_t *out)
{
	int flex = SM_DELETE_TOPICS_FLEX(ver);
	int32_t n;

	sm_delete_topics_req_init(out);
	if (ver >= 6) {
		n = sm_proto_array_read(rb, flex, 0, 1 + 16 + 1);
		out->topics = sm_proto_array_ralloc(rb, a, n, sizeof(*out->topics));
		for (int32_t i = 0; i < n && !rb->err; i++) {
			out->topics[i].name = sm_proto_str_read(rb, flex, 1, a);
			sm_rbuf_uuid(rb, out->topics[i].topic_id);
			sm_proto_tags_read(rb, a, NULL, NULL);
		}
		SM_RBUF_CHECK(rb);
		out->topics_cnt = n;
	} else {
		n = sm_proto_array_read(rb, flex, 0, SM_DELETE_TOPICS_STR_MIN(flex));
		out->topic_names = sm_proto_array_ralloc(rb, a, n, sizeof(*out->topic_names));
		for (int32_t i = 0; i < n && !rb->err; i++)
			out->topic_names[i] = sm_proto_str_read(rb, flex, 0, a);
		SM_RBUF_CHECK(rb);
		out->topic_names_cnt = n;
	}
	out->timeout_ms = sm_rbuf_i32(rb);
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_delete_topics_req_write(sm_wbuf_t *w, int16_t ver, const sm_delete_topics_req_t *in)
{
	int flex = SM_DELETE_TOPICS_FLEX(ver);

	if (ver >= 6) {
		sm_proto_array_write(w, in->topics_cnt, flex, 0);
		for (int32_t i = 0; i < in->topics_cnt; i++) {
			sm_proto_str_write(w, in->topics[i].name, flex, 1);
			sm_wbuf_uuid(w, in->topics[i].topic_id);
			sm_wbuf_tags_empty(w);
		}
	} else {
		sm_proto_array_write(w, in->topic_names_cnt, flex, 0);
		for (int32_t i = 0; i < in->topic_names_cnt; i++)
			sm_proto_str_write(w, in->topic_names[i], flex, 0);
	}
	sm_wbuf_i32(w, in->timeout_ms);
	if (flex)
		sm_wbuf_tags_empty(w);
}

int sm_delete_topics_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			       sm_delete_topics_resp_t *out)
{
	int flex = SM_DELETE_TOPICS_FLEX(ver);
	size_t min = SM_DELETE_TOPICS_STR_MIN(flex) + (ver >= 6 ? 16 : 0) + 2 +
		     (ver >= 5 ? SM_DELETE_TOPICS_STR_MIN(flex) : 0) + SM_DELETE_TOPICS_TAGS_MIN(flex);

	sm_delete_topics_resp_init(out);
	if (ver >= 1)
		out->throttle_time_ms = sm_rbuf_i32(rb);
	int32_t n = sm_proto_array_read(rb, flex, 0, min);
	out->responses = sm_proto_array_ralloc(rb, a, n, sizeof(*out->responses));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_delete_topics_resp_topic_t *t = &out->responses[i];
		t->name = sm_proto_str_read(rb, flex, ver >= 6, a);
		if (ver >= 6)
			sm_rbuf_uuid(rb, t->topic_id);
		t->error_code = sm_rbuf_i16(rb);
		if (ver >= 5)
			t->error_message = sm_proto_str_read(rb, flex, 1, a);
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

void sm_delete_topics_resp_write(sm_wbuf_t *w, int16_t ver, const sm_delete_topics_resp_t *in)
{
	int flex = SM_DELETE_TOPICS_FLEX(ver);

	if (ver >= 1)
		sm_wbuf_i32(w, in->throttle_time_ms);
	sm_proto_array_write(w, in->responses_cnt, flex, 0);
	for (int32_t i = 0; i < in->responses_cnt; i++) {
		const sm_delete_topics_resp_topic_t *t = &in->responses[i];
		sm_proto_str_write(w, t->name, flex, ver >= 6);
		if (ver >= 6)
			sm_wbuf_uuid(w, t->topic_id);
		sm_wbuf_i16(w, t->error_code);
		if (ver >= 5)
			sm_proto_str_write(w, t->error_message, flex, 1);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}
