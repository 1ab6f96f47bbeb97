/*
 * msg_leader_and_isr.c - LeaderAndIsr request/response codec, versions 0-5
 * (Kafka 2.8's LeaderAndIsrRequest/Response). See msg_leader_and_isr.h.
 *
 * Thread-safety: pure functions on caller-owned buffers.
 */
#include "msg_leader_and_isr.h"

#include <string.h>

#include "protocol.h"

/* Partition state. has_topic: v0-1 carry the topic inside each state. */
static void sm_lai_pstate_read(sm_rbuf_t *rb, int16_t ver, int has_topic, sm_arena_t *a,
			       sm_leader_and_isr_partition_t *p)
{
	int flex = ver >= SM_LEADER_AND_ISR_FLEX;

	if (has_topic)
		p->topic = sm_msg_str_read(rb, flex, a);
	p->partition = sm_rbuf_i32(rb);
	p->controller_epoch = sm_rbuf_i32(rb);
	p->leader = sm_rbuf_i32(rb);
	p->leader_epoch = sm_rbuf_i32(rb);
	p->isr = sm_msg_i32s_read(rb, flex, a, &p->isr_cnt);
	p->zk_version = sm_rbuf_i32(rb);
	p->replicas = sm_msg_i32s_read(rb, flex, a, &p->replicas_cnt);
	if (ver >= 3) {
		p->adding_replicas = sm_msg_i32s_read(rb, flex, a, &p->adding_replicas_cnt);
		p->removing_replicas = sm_msg_i32s_read(rb, flex, a, &p->removing_replicas_cnt);
	}
	if (ver >= 1)
		p->is_new = sm_rbuf_bool(rb);
	if (flex)
		sm_rbuf_skip_tags(rb);
}

static void sm_lai_pstate_write(sm_wbuf_t *w, int16_t ver, int has_topic,
				const sm_leader_and_isr_partition_t *p)
{
	int flex = ver >= SM_LEADER_AND_ISR_FLEX;

	if (has_topic)
		sm_msg_str_write(w, p->topic, flex);
	sm_wbuf_i32(w, p->partition);
	sm_wbuf_i32(w, p->controller_epoch);
	sm_wbuf_i32(w, p->leader);
	sm_wbuf_i32(w, p->leader_epoch);
	sm_msg_i32s_write(w, p->isr, p->isr_cnt, flex);
	sm_wbuf_i32(w, p->zk_version);
	sm_msg_i32s_write(w, p->replicas, p->replicas_cnt, flex);
	if (ver >= 3) {
		sm_msg_i32s_write(w, p->adding_replicas, p->adding_replicas_cnt, flex);
		sm_msg_i32s_write(w, p->removing_replicas, p->removing_replicas_cnt, flex);
	}
	if (ver >= 1)
		sm_wbuf_bool(w, p->is_new);
	if (flex)
		sm_wbuf_tags_empty(w);
}

/* Smallest encoding of a partition state: five int32s and two arrays. */
#define SM_LAI_PSTATE_MIN 22

static void sm_lai_topics_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			       sm_leader_and_isr_req_t *out)
{
	int flex = ver >= SM_LEADER_AND_ISR_FLEX;
	int32_t ntopics = sm_proto_array_read(rb, flex, 0, 2);
	int32_t cap = 0;

	if (rb->err)
		return;
	if (ver >= 5) {
		out->topic_ids = sm_proto_array_ralloc(rb, a, ntopics, sizeof(*out->topic_ids));
		out->topic_ids_cnt = ntopics;
	}
	for (int32_t t = 0; t < ntopics && !rb->err; t++) {
		char *topic = sm_msg_str_read(rb, flex, a);
		if (ver >= 5) {
			out->topic_ids[t].topic = topic;
			sm_rbuf_uuid(rb, out->topic_ids[t].id);
		}
		int32_t np = sm_proto_array_read(rb, flex, 0, SM_LAI_PSTATE_MIN);
		for (int32_t i = 0; i < np && !rb->err; i++) {
			out->partitions = sm_msg_grow(a, out->partitions, out->partitions_cnt, &cap,
						      sizeof(*out->partitions));
			sm_leader_and_isr_partition_t *p = &out->partitions[out->partitions_cnt++];
			p->topic = topic;
			sm_lai_pstate_read(rb, ver, 0, a, p);
		}
		if (flex)
			sm_rbuf_skip_tags(rb);
	}
}

static void sm_lai_ungrouped_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				  sm_leader_and_isr_req_t *out)
{
	int32_t n = sm_proto_array_read(rb, 0, 0, SM_LAI_PSTATE_MIN + 2);

	out->partitions = sm_proto_array_ralloc(rb, a, n, sizeof(*out->partitions));
	for (int32_t i = 0; i < n && !rb->err; i++)
		sm_lai_pstate_read(rb, ver, 1, a, &out->partitions[i]);
	out->partitions_cnt = n;
}

int sm_leader_and_isr_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			       sm_leader_and_isr_req_t *out)
{
	int flex = ver >= SM_LEADER_AND_ISR_FLEX;

	memset(out, 0, sizeof(*out));
	out->broker_epoch = -1;
	if (ver < 0 || ver > SM_LEADER_AND_ISR_VMAX)
		return -1;
	out->controller_id = sm_rbuf_i32(rb);
	out->controller_epoch = sm_rbuf_i32(rb);
	if (ver >= 2)
		out->broker_epoch = sm_rbuf_i64(rb);
	if (ver >= 5)
		out->type = sm_rbuf_i8(rb);
	if (ver >= 2)
		sm_lai_topics_read(rb, ver, a, out);
	else
		sm_lai_ungrouped_read(rb, ver, a, out);
	SM_RBUF_CHECK(rb);

	int32_t n = sm_proto_array_read(rb, flex, 0, 9);
	SM_RBUF_CHECK(rb);
	out->live_leaders = sm_proto_array_ralloc(rb, a, n, sizeof(*out->live_leaders));
	out->live_leaders_cnt = n;
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_leader_and_isr_leader_t *l = &out->live_leaders[i];
		l->broker_id = sm_rbuf_i32(rb);
		l->host = sm_msg_str_read(rb, flex, a);
		l->port = sm_rbuf_i32(rb);
		if (flex)
			sm_rbuf_skip_tags(rb);
		SM_RBUF_CHECK(rb);
	}
	if (flex)
		sm_rbuf_skip_tags(rb);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

static int sm_lai_topic_cmp(const void *x, const void *y)
{
	const sm_leader_and_isr_partition_t *a = x, *b = y;
	return sm_msg_strcmp0(a->topic, b->topic);
}

static void sm_lai_topics_write(sm_wbuf_t *w, int16_t ver, const sm_leader_and_isr_req_t *in)
{
	int flex = ver >= SM_LEADER_AND_ISR_FLEX;
	sm_msg_groups_t g;

	sm_msg_groups_build(&g, in->partitions, sizeof(*in->partitions), in->partitions_cnt,
			    sm_lai_topic_cmp);
	sm_wbuf_array(w, g.ngroups, flex);
	for (int32_t t = 0; t < g.ngroups; t++) {
		const char *topic = in->partitions[g.order[g.start[t]]].topic;
		sm_msg_str_write(w, topic, flex);
		if (ver >= 5) {
			uint8_t id[16];
			sm_msg_topic_id_find(in->topic_ids, in->topic_ids_cnt, topic, t, id);
			sm_wbuf_uuid(w, id);
		}
		sm_wbuf_array(w, g.start[t + 1] - g.start[t], flex);
		for (int32_t i = g.start[t]; i < g.start[t + 1]; i++)
			sm_lai_pstate_write(w, ver, 0, &in->partitions[g.order[i]]);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	sm_msg_groups_free(&g);
}

void sm_leader_and_isr_req_write(sm_wbuf_t *w, int16_t ver, const sm_leader_and_isr_req_t *in)
{
	int flex = ver >= SM_LEADER_AND_ISR_FLEX;

	if (ver < 0 || ver > SM_LEADER_AND_ISR_VMAX)
		return;
	sm_wbuf_i32(w, in->controller_id);
	sm_wbuf_i32(w, in->controller_epoch);
	if (ver >= 2)
		sm_wbuf_i64(w, in->broker_epoch);
	if (ver >= 5)
		sm_wbuf_i8(w, in->type);
	if (ver >= 2) {
		sm_lai_topics_write(w, ver, in);
	} else {
		sm_wbuf_array(w, in->partitions_cnt, 0);
		for (int32_t i = 0; i < in->partitions_cnt; i++)
			sm_lai_pstate_write(w, ver, 1, &in->partitions[i]);
	}
	sm_wbuf_array(w, in->live_leaders_cnt, flex);
	for (int32_t i = 0; i < in->live_leaders_cnt; i++) {
		const sm_leader_and_isr_leader_t *l = &in->live_leaders[i];
		sm_wbuf_i32(w, l->broker_id);
		sm_msg_str_write(w, l->host, flex);
		sm_wbuf_i32(w, l->port);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}

/* ---- response ---- */

static void sm_lai_perr_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			     sm_leader_and_isr_partition_err_t *e)
{
	int flex = ver >= SM_LEADER_AND_ISR_FLEX;

	if (ver < 5)
		e->topic = sm_msg_str_read(rb, flex, a);
	e->partition = sm_rbuf_i32(rb);
	e->error_code = sm_rbuf_i16(rb);
	if (flex)
		sm_rbuf_skip_tags(rb);
}

static void sm_lai_perr_write(sm_wbuf_t *w, int16_t ver, const sm_leader_and_isr_partition_err_t *e)
{
	int flex = ver >= SM_LEADER_AND_ISR_FLEX;

	if (ver < 5)
		sm_msg_str_write(w, e->topic, flex);
	sm_wbuf_i32(w, e->partition);
	sm_wbuf_i16(w, e->error_code);
	if (flex)
		sm_wbuf_tags_empty(w);
}

static void sm_lai_resp_topics_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				    sm_leader_and_isr_resp_t *out)
{
	int32_t ntopics = sm_proto_array_read(rb, 1, 0, 18);
	int32_t cap = 0;

	for (int32_t t = 0; t < ntopics && !rb->err; t++) {
		uint8_t id[16];
		sm_rbuf_uuid(rb, id);
		int32_t np = sm_proto_array_read(rb, 1, 0, 7);
		for (int32_t i = 0; i < np && !rb->err; i++) {
			out->partitions = sm_msg_grow(a, out->partitions, out->partitions_cnt, &cap,
						      sizeof(*out->partitions));
			sm_leader_and_isr_partition_err_t *e = &out->partitions[out->partitions_cnt++];
			memcpy(e->topic_id, id, 16);
			sm_lai_perr_read(rb, ver, a, e);
		}
		sm_rbuf_skip_tags(rb);
	}
}

int sm_leader_and_isr_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				sm_leader_and_isr_resp_t *out)
{
	int flex = ver >= SM_LEADER_AND_ISR_FLEX;

	memset(out, 0, sizeof(*out));
	if (ver < 0 || ver > SM_LEADER_AND_ISR_VMAX)
		return -1;
	out->error_code = sm_rbuf_i16(rb);
	if (ver >= 5) {
		sm_lai_resp_topics_read(rb, ver, a, out);
	} else {
		int32_t n = sm_proto_array_read(rb, flex, 0, 8);
		SM_RBUF_CHECK(rb);
		out->partitions = sm_proto_array_ralloc(rb, a, n, sizeof(*out->partitions));
		out->partitions_cnt = n;
		for (int32_t i = 0; i < n && !rb->err; i++)
			sm_lai_perr_read(rb, ver, a, &out->partitions[i]);
	}
	if (flex)
		sm_rbuf_skip_tags(rb);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

static int sm_lai_topic_id_cmp(const void *x, const void *y)
{
	const sm_leader_and_isr_partition_err_t *a = x, *b = y;
	return memcmp(a->topic_id, b->topic_id, 16);
}

void sm_leader_and_isr_resp_write(sm_wbuf_t *w, int16_t ver, const sm_leader_and_isr_resp_t *in)
{
	int flex = ver >= SM_LEADER_AND_ISR_FLEX;

	if (ver < 0 || ver > SM_LEADER_AND_ISR_VMAX)
		return;
	sm_wbuf_i16(w, in->error_code);
	if (ver >= 5) {
		sm_msg_groups_t g;
		sm_msg_groups_build(&g, in->partitions, sizeof(*in->partitions),
				    in->partitions_cnt, sm_lai_topic_id_cmp);
		sm_wbuf_array(w, g.ngroups, 1);
		for (int32_t t = 0; t < g.ngroups; t++) {
			sm_wbuf_uuid(w, in->partitions[g.order[g.start[t]]].topic_id);
			sm_wbuf_array(w, g.start[t + 1] - g.start[t], 1);
			for (int32_t i = g.start[t]; i < g.start[t + 1]; i++)
				sm_lai_perr_write(w, ver, &in->partitions[g.order[i]]);
			sm_wbuf_tags_empty(w);
		}
		sm_msg_groups_free(&g);
	} else {
		sm_wbuf_array(w, in->partitions_cnt, flex);
		for (int32_t i = 0; i < in->partitions_cnt; i++)
			sm_lai_perr_write(w, ver, &in->partitions[i]);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}
