/*
 * msg_update_metadata.c - UpdateMetadata request/response codec, versions
 * 0-7 (Kafka 2.8's UpdateMetadataRequest/Response). See
 * msg_update_metadata.h.
 *
 * Thread-safety: pure functions on caller-owned buffers.
 */
#include "msg_update_metadata.h"

#include <string.h>

#include "protocol.h"

#define SM_UM_FLEX(ver) ((ver) >= SM_UPDATE_METADATA_FLEX)

const char *sm_update_metadata_protocol_name(int16_t security_protocol)
{
	static const char *const names[] = { "PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL" };

	if (security_protocol < 0 || security_protocol > 3)
		return NULL;
	return names[security_protocol];
}

static void sm_um_pstate_read(sm_rbuf_t *rb, int16_t ver, int has_topic, sm_arena_t *a,
			      sm_update_metadata_partition_t *p)
{
	int flex = SM_UM_FLEX(ver);

	if (has_topic)
		p->topic = sm_msg_str_read(rb, flex, a);
	p->partition = sm_rbuf_i32(rb);
	p->controller_epoch = sm_rbuf_i32(rb);
	p->leader = sm_rbuf_i32(rb);
	p->leader_epoch = sm_rbuf_i32(rb);
	p->isr = sm_msg_i32s_read(rb, flex, a, &p->isr_cnt);
	p->zk_version = sm_rbuf_i32(rb);
	p->replicas = sm_msg_i32s_read(rb, flex, a, &p->replicas_cnt);
	if (ver >= 4)
		p->offline_replicas = sm_msg_i32s_read(rb, flex, a, &p->offline_replicas_cnt);
	if (flex)
		sm_rbuf_skip_tags(rb);
}

static void sm_um_pstate_write(sm_wbuf_t *w, int16_t ver, int has_topic,
			       const sm_update_metadata_partition_t *p)
{
	int flex = SM_UM_FLEX(ver);

	if (has_topic)
		sm_msg_str_write(w, p->topic, flex);
	sm_wbuf_i32(w, p->partition);
	sm_wbuf_i32(w, p->controller_epoch);
	sm_wbuf_i32(w, p->leader);
	sm_wbuf_i32(w, p->leader_epoch);
	sm_msg_i32s_write(w, p->isr, p->isr_cnt, flex);
	sm_wbuf_i32(w, p->zk_version);
	sm_msg_i32s_write(w, p->replicas, p->replicas_cnt, flex);
	if (ver >= 4)
		sm_msg_i32s_write(w, p->offline_replicas, p->offline_replicas_cnt, flex);
	if (flex)
		sm_wbuf_tags_empty(w);
}

#define SM_UM_PSTATE_MIN 22

static void sm_um_topics_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_update_metadata_req_t *out)
{
	int flex = SM_UM_FLEX(ver);
	int32_t ntopics = sm_proto_array_read(rb, flex, 0, 2);
	int32_t cap = 0;

	if (rb->err)
		return;
	if (ver >= 7) {
		out->topic_ids = sm_proto_array_ralloc(rb, a, ntopics, sizeof(*out->topic_ids));
		out->topic_ids_cnt = ntopics;
	}
	for (int32_t t = 0; t < ntopics && !rb->err; t++) {
		char *topic = sm_msg_str_read(rb, flex, a);
		if (ver >= 7) {
			out->topic_ids[t].topic = topic;
			sm_rbuf_uuid(rb, out->topic_ids[t].id);
		}
		int32_t np = sm_proto_array_read(rb, flex, 0, SM_UM_PSTATE_MIN);
		for (int32_t i = 0; i < np && !rb->err; i++) {
			out->partitions = sm_msg_grow(a, out->partitions, out->partitions_cnt, &cap,
						      sizeof(*out->partitions));
			sm_update_metadata_partition_t *p = &out->partitions[out->partitions_cnt++];
			p->topic = topic;
			sm_um_pstate_read(rb, ver, 0, a, p);
		}
		if (flex)
			sm_rbuf_skip_tags(rb);
	}
}

static void sm_um_ungrouped_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				 sm_update_metadata_req_t *out)
{
	int32_t n = sm_proto_array_read(rb, 0, 0, SM_UM_PSTATE_MIN + 2);

	out->partitions = sm_proto_array_ralloc(rb, a, n, sizeof(*out->partitions));
	for (int32_t i = 0; i < n && !rb->err; i++)
		sm_um_pstate_read(rb, ver, 1, a, &out->partitions[i]);
	out->partitions_cnt = n;
}

static void sm_um_endpoints_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				 sm_update_metadata_broker_t *b)
{
	int flex = SM_UM_FLEX(ver);
	int32_t n = sm_proto_array_read(rb, flex, 0, 7);

	b->endpoints = sm_proto_array_ralloc(rb, a, n, sizeof(*b->endpoints));
	b->endpoints_cnt = n;
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_update_metadata_endpoint_t *e = &b->endpoints[i];
		e->port = sm_rbuf_i32(rb);
		e->host = sm_msg_str_read(rb, flex, a);
		if (ver >= 3)
			e->listener = sm_msg_str_read(rb, flex, a);
		e->security_protocol = sm_rbuf_i16(rb);
		if (flex)
			sm_rbuf_skip_tags(rb);
		if (ver < 3 && !rb->err) {
			const char *name = sm_update_metadata_protocol_name(e->security_protocol);
			if (!name)
				sm_rbuf_fail(rb); /* no listener name to give it */
			else
				e->listener = sm_arena_strndup(a, name, strlen(name));
		}
	}
}

static void sm_um_broker_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_update_metadata_broker_t *b)
{
	b->id = sm_rbuf_i32(rb);
	if (ver == 0) {
		sm_update_metadata_endpoint_t *e = sm_arena_alloc(a, sizeof(*e));
		e->host = sm_msg_str_read(rb, 0, a);
		e->port = sm_rbuf_i32(rb);
		e->security_protocol = 0;
		e->listener = sm_arena_strndup(a, "PLAINTEXT", 9);
		b->endpoints = e;
		b->endpoints_cnt = 1;
	} else {
		sm_um_endpoints_read(rb, ver, a, b);
	}
	if (ver >= 2)
		b->rack = sm_rbuf_str(rb, SM_UM_FLEX(ver), a);
	if (SM_UM_FLEX(ver))
		sm_rbuf_skip_tags(rb);
}

int sm_update_metadata_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				sm_update_metadata_req_t *out)
{
	int flex = SM_UM_FLEX(ver);

	memset(out, 0, sizeof(*out));
	out->broker_epoch = -1;
	if (ver < 0 || ver > SM_UPDATE_METADATA_VMAX)
		return -1;
	out->controller_id = sm_rbuf_i32(rb);
	out->controller_epoch = sm_rbuf_i32(rb);
	if (ver >= 5) {
		out->broker_epoch = sm_rbuf_i64(rb);
		sm_um_topics_read(rb, ver, a, out);
	} else {
		sm_um_ungrouped_read(rb, ver, a, out);
	}
	SM_RBUF_CHECK(rb);

	int32_t n = sm_proto_array_read(rb, flex, 0, 5);
	SM_RBUF_CHECK(rb);
	out->live_brokers = sm_proto_array_ralloc(rb, a, n, sizeof(*out->live_brokers));
	out->live_brokers_cnt = n;
	for (int32_t i = 0; i < n && !rb->err; i++)
		sm_um_broker_read(rb, ver, a, &out->live_brokers[i]);
	if (flex)
		sm_rbuf_skip_tags(rb);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

static int sm_um_topic_cmp(const void *x, const void *y)
{
	const sm_update_metadata_partition_t *a = x, *b = y;
	return sm_msg_strcmp0(a->topic, b->topic);
}

static void sm_um_topics_write(sm_wbuf_t *w, int16_t ver, const sm_update_metadata_req_t *in)
{
	int flex = SM_UM_FLEX(ver);
	sm_msg_groups_t g;

	sm_msg_groups_build(&g, in->partitions, sizeof(*in->partitions), in->partitions_cnt,
			    sm_um_topic_cmp);
	sm_wbuf_array(w, g.ngroups, flex);
	for (int32_t t = 0; t < g.ngroups; t++) {
		const char *topic = in->partitions[g.order[g.start[t]]].topic;
		sm_msg_str_write(w, topic, flex);
		if (ver >= 7) {
			uint8_t id[16];
			sm_msg_topic_id_find(in->topic_ids, in->topic_ids_cnt, topic, t, id);
			sm_wbuf_uuid(w, id);
		}
		sm_wbuf_array(w, g.start[t + 1] - g.start[t], flex);
		for (int32_t i = g.start[t]; i < g.start[t + 1]; i++)
			sm_um_pstate_write(w, ver, 0, &in->partitions[g.order[i]]);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	sm_msg_groups_free(&g);
}

/* v0 has one host/port per broker and it must be the PLAINTEXT one. */
static void sm_um_v0_endpoint_write(sm_wbuf_t *w, const sm_update_metadata_broker_t *b)
{
	const sm_update_metadata_endpoint_t *e = NULL;

	for (int32_t i = 0; i < b->endpoints_cnt && !e; i++)
		if (b->endpoints[i].security_protocol == 0)
			e = &b->endpoints[i];
	if (!e && b->endpoints_cnt > 0)
		e = &b->endpoints[0];
	sm_msg_str_write(w, e ? e->host : "", 0);
	sm_wbuf_i32(w, e ? e->port : -1);
}

static void sm_um_broker_write(sm_wbuf_t *w, int16_t ver, const sm_update_metadata_broker_t *b)
{
	int flex = SM_UM_FLEX(ver);

	sm_wbuf_i32(w, b->id);
	if (ver == 0) {
		sm_um_v0_endpoint_write(w, b);
		return;
	}
	sm_wbuf_array(w, b->endpoints_cnt, flex);
	for (int32_t i = 0; i < b->endpoints_cnt; i++) {
		const sm_update_metadata_endpoint_t *e = &b->endpoints[i];
		sm_wbuf_i32(w, e->port);
		sm_msg_str_write(w, e->host, flex);
		if (ver >= 3)
			sm_msg_str_write(w, e->listener, flex);
		sm_wbuf_i16(w, e->security_protocol);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (ver >= 2)
		sm_wbuf_str(w, b->rack, flex);
	if (flex)
		sm_wbuf_tags_empty(w);
}

void sm_update_metadata_req_write(sm_wbuf_t *w, int16_t ver, const sm_update_metadata_req_t *in)
{
	int flex = SM_UM_FLEX(ver);

	if (ver < 0 || ver > SM_UPDATE_METADATA_VMAX)
		return;
	sm_wbuf_i32(w, in->controller_id);
	sm_wbuf_i32(w, in->controller_epoch);
	if (ver >= 5) {
		sm_wbuf_i64(w, in->broker_epoch);
		sm_um_topics_write(w, ver, in);
	} else {
		sm_wbuf_array(w, in->partitions_cnt, 0);
		for (int32_t i = 0; i < in->partitions_cnt; i++)
			sm_um_pstate_write(w, ver, 1, &in->partitions[i]);
	}
	sm_wbuf_array(w, in->live_brokers_cnt, flex);
	for (int32_t i = 0; i < in->live_brokers_cnt; i++)
		sm_um_broker_write(w, ver, &in->live_brokers[i]);
	if (flex)
		sm_wbuf_tags_empty(w);
}

int sm_update_metadata_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				 sm_update_metadata_resp_t *out)
{
	(void)a;
	memset(out, 0, sizeof(*out));
	if (ver < 0 || ver > SM_UPDATE_METADATA_VMAX)
		return -1;
	out->error_code = sm_rbuf_i16(rb);
	if (SM_UM_FLEX(ver))
		sm_rbuf_skip_tags(rb);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_update_metadata_resp_write(sm_wbuf_t *w, int16_t ver,
				   const sm_update_metadata_resp_t *in)
{
	if (ver < 0 || ver > SM_UPDATE_METADATA_VMAX)
		return;
	sm_wbuf_i16(w, in->error_code);
	if (SM_UM_FLEX(ver))
		sm_wbuf_tags_empty(w);
}
