/*
 * msg_metadata.c - Metadata request/response codec, versions 0-11 (Kafka's
 * generated MetadataRequestData / MetadataResponseData).
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_metadata.h"
#include "protocol.h"

#define SM_METADATA_FLEX(ver) ((ver) >= 9)
/* Smallest encodings, for bounding hostile array counts. */
#define SM_METADATA_STR_MIN(flex) ((size_t)((flex) ? 1 : 2))
#define SM_METADATA_ARR_MIN(flex) ((size_t)((flex) ? 1 : 4))
#define SM_METADATA_TAGS_MIN(flex) ((size_t)((flex) ? 1 : 0))

void sm_metadata_req_init(sm_metadata_req_t *r)
{
	memset(r, 0, sizeof(*r));
	r->allow_auto_topic_creation = 1;
}

void sm_metadata_resp_init(sm_metadata_resp_t *r)
{
	memset(r, 0, sizeof(*r));
	r->controller_id = -1;
	r->cluster_authorized_operations = SM_METADATA_AUTHZ_OPS_UNSET;
}

void sm_metadata_resp_topic_init(sm_metadata_resp_topic_t *t)
{
	memset(t, 0, sizeof(*t));
	t->topic_authorized_operations = SM_METADATA_AUTHZ_OPS_UNSET;
}

void sm_metadata_resp_partition_init(sm_metadata_resp_partition_t *p)
{
	memset(p, 0, sizeof(*p));
	p->leader_epoch = -1;
}

int sm_metadata_req_all_topics(const sm_metadata_req_t *r, int16_t ver)
{
	if (ver == 0)
		return r->topics_cnt <= 0;
	return r->topics_cnt < 0;
}

/* ---- request ---- */

int sm_metadata_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_metadata_req_t *out)
{
	int flex = SM_METADATA_FLEX(ver);
	size_t min = (ver >= 10 ? 16 : 0) + SM_METADATA_STR_MIN(flex) + SM_METADATA_TAGS_MIN(flex);

	sm_metadata_req_init(out);
	int32_t n = sm_proto_array_read(rb, flex, ver >= 1, min);
	out->topics = sm_proto_array_ralloc(rb, a, n, sizeof(*out->topics));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		if (ver >= 10)
			sm_rbuf_uuid(rb, out->topics[i].topic_id);
		out->topics[i].name = sm_proto_str_read(rb, flex, ver >= 10, a);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	SM_RBUF_CHECK(rb);
	out->topics_cnt = n;
	if (ver >= 4)
		out->allow_auto_topic_creation = sm_rbuf_bool(rb);
	if (ver >= 8 && ver <= 10)
		out->include_cluster_authorized_operations = sm_rbuf_bool(rb);
	if (ver >= 8)
		out->include_topic_authorized_operations = sm_rbuf_bool(rb);
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_metadata_req_write(sm_wbuf_t *w, int16_t ver, const sm_metadata_req_t *in)
{
	int flex = SM_METADATA_FLEX(ver);

	sm_proto_array_write(w, in->topics_cnt, flex, ver >= 1);
	for (int32_t i = 0; i < in->topics_cnt; i++) {
		if (ver >= 10)
			sm_wbuf_uuid(w, in->topics[i].topic_id);
		sm_proto_str_write(w, in->topics[i].name, flex, ver >= 10);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (ver >= 4)
		sm_wbuf_bool(w, in->allow_auto_topic_creation);
	if (ver >= 8 && ver <= 10)
		sm_wbuf_bool(w, in->include_cluster_authorized_operations);
	if (ver >= 8)
		sm_wbuf_bool(w, in->include_topic_authorized_operations);
	if (flex)
		sm_wbuf_tags_empty(w);
}

/* ---- response ---- */

static void sm_metadata_brokers_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				     sm_metadata_resp_t *out)
{
	int flex = SM_METADATA_FLEX(ver);
	size_t min = 4 + SM_METADATA_STR_MIN(flex) + 4 + (ver >= 1 ? SM_METADATA_STR_MIN(flex) : 0) +
		     SM_METADATA_TAGS_MIN(flex);
	int32_t n = sm_proto_array_read(rb, flex, 0, min);
	sm_metadata_resp_broker_t *b = sm_proto_array_ralloc(rb, a, n, sizeof(*b));

	for (int32_t i = 0; i < n && !rb->err; i++) {
		b[i].node_id = sm_rbuf_i32(rb);
		b[i].host = sm_proto_str_read(rb, flex, 0, a);
		b[i].port = sm_rbuf_i32(rb);
		if (ver >= 1)
			b[i].rack = sm_proto_str_read(rb, flex, 1, a);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	out->brokers = b;
	out->brokers_cnt = rb->err ? 0 : n;
}

static void sm_metadata_partition_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				       sm_metadata_resp_partition_t *p)
{
	int flex = SM_METADATA_FLEX(ver);

	sm_metadata_resp_partition_init(p);
	p->error_code = sm_rbuf_i16(rb);
	p->partition_index = sm_rbuf_i32(rb);
	p->leader_id = sm_rbuf_i32(rb);
	if (ver >= 7)
		p->leader_epoch = sm_rbuf_i32(rb);
	p->replica_nodes = sm_proto_i32s_read(rb, flex, 0, a, &p->replica_nodes_cnt);
	p->isr_nodes = sm_proto_i32s_read(rb, flex, 0, a, &p->isr_nodes_cnt);
	if (ver >= 5)
		p->offline_replicas = sm_proto_i32s_read(rb, flex, 0, a, &p->offline_replicas_cnt);
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
}

static void sm_metadata_topic_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				   sm_metadata_resp_topic_t *t)
{
	int flex = SM_METADATA_FLEX(ver);
	size_t pmin = 2 + 4 + 4 + (ver >= 7 ? 4 : 0) + SM_METADATA_ARR_MIN(flex) * (ver >= 5 ? 3 : 2) +
		      SM_METADATA_TAGS_MIN(flex);

	sm_metadata_resp_topic_init(t);
	t->error_code = sm_rbuf_i16(rb);
	t->name = sm_proto_str_read(rb, flex, ver >= 12, a);
	if (ver >= 10)
		sm_rbuf_uuid(rb, t->topic_id);
	if (ver >= 1)
		t->is_internal = sm_rbuf_bool(rb);
	int32_t n = sm_proto_array_read(rb, flex, 0, pmin);
	t->partitions = sm_proto_array_ralloc(rb, a, n, sizeof(*t->partitions));
	for (int32_t i = 0; i < n && !rb->err; i++)
		sm_metadata_partition_read(rb, ver, a, &t->partitions[i]);
	t->partitions_cnt = rb->err ? 0 : n;
	if (ver >= 8)
		t->topic_authorized_operations = sm_rbuf_i32(rb);
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
}

int sm_metadata_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_metadata_resp_t *out)
{
	int flex = SM_METADATA_FLEX(ver);
	size_t tmin = 2 + SM_METADATA_STR_MIN(flex) + (ver >= 10 ? 16 : 0) + (ver >= 1 ? 1 : 0) +
		      SM_METADATA_ARR_MIN(flex) + (ver >= 8 ? 4 : 0) + SM_METADATA_TAGS_MIN(flex);

	sm_metadata_resp_init(out);
	if (ver >= 3)
		out->throttle_time_ms = sm_rbuf_i32(rb);
	sm_metadata_brokers_read(rb, ver, a, out);
	if (ver >= 2)
		out->cluster_id = sm_proto_str_read(rb, flex, 1, a);
	if (ver >= 1)
		out->controller_id = sm_rbuf_i32(rb);
	int32_t n = sm_proto_array_read(rb, flex, 0, tmin);
	out->topics = sm_proto_array_ralloc(rb, a, n, sizeof(*out->topics));
	for (int32_t i = 0; i < n && !rb->err; i++)
		sm_metadata_topic_read(rb, ver, a, &out->topics[i]);
	SM_RBUF_CHECK(rb);
	out->topics_cnt = n;
	if (ver >= 8 && ver <= 10)
		out->cluster_authorized_operations = sm_rbuf_i32(rb);
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

static void sm_metadata_partition_write(sm_wbuf_t *w, int16_t ver,
					const sm_metadata_resp_partition_t *p)
{
	int flex = SM_METADATA_FLEX(ver);

	sm_wbuf_i16(w, p->error_code);
	sm_wbuf_i32(w, p->partition_index);
	sm_wbuf_i32(w, p->leader_id);
	if (ver >= 7)
		sm_wbuf_i32(w, p->leader_epoch);
	sm_proto_i32s_write(w, p->replica_nodes, p->replica_nodes_cnt, flex, 0);
	sm_proto_i32s_write(w, p->isr_nodes, p->isr_nodes_cnt, flex, 0);
	if (ver >= 5)
		sm_proto_i32s_write(w, p->offline_replicas, p->offline_replicas_cnt, flex, 0);
	if (flex)
		sm_wbuf_tags_empty(w);
}

static void sm_metadata_topic_write(sm_wbuf_t *w, int16_t ver, const sm_metadata_resp_topic_t *t)
{
	int flex = SM_METADATA_FLEX(ver);

	sm_wbuf_i16(w, t->error_code);
	sm_proto_str_write(w, t->name, flex, ver >= 12);
	if (ver >= 10)
		sm_wbuf_uuid(w, t->topic_id);
	if (ver >= 1)
		sm_wbuf_bool(w, t->is_internal);
	sm_proto_array_write(w, t->partitions_cnt, flex, 0);
	for (int32_t i = 0; i < t->partitions_cnt; i++)
		sm_metadata_partition_write(w, ver, &t->partitions[i]);
	if (ver >= 8)
		sm_wbuf_i32(w, t->topic_authorized_operations);
	if (flex)
		sm_wbuf_tags_empty(w);
}

void sm_metadata_resp_write(sm_wbuf_t *w, int16_t ver, const sm_metadata_resp_t *in)
{
	int flex = SM_METADATA_FLEX(ver);

	if (ver >= 3)
		sm_wbuf_i32(w, in->throttle_time_ms);
	sm_proto_array_write(w, in->brokers_cnt, flex, 0);
	for (int32_t i = 0; i < in->brokers_cnt; i++) {
		const sm_metadata_resp_broker_t *b = &in->brokers[i];
		sm_wbuf_i32(w, b->node_id);
		sm_proto_str_write(w, b->host, flex, 0);
		sm_wbuf_i32(w, b->port);
		if (ver >= 1)
			sm_proto_str_write(w, b->rack, flex, 1);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (ver >= 2)
		sm_proto_str_write(w, in->cluster_id, flex, 1);
	if (ver >= 1)
		sm_wbuf_i32(w, in->controller_id);
	sm_proto_array_write(w, in->topics_cnt, flex, 0);
	for (int32_t i = 0; i < in->topics_cnt; i++)
		sm_metadata_topic_write(w, ver, &in->topics[i]);
	if (ver >= 8 && ver <= 10)
		sm_wbuf_i32(w, in->cluster_authorized_operations);
	if (flex)
		sm_wbuf_tags_empty(w);
}
