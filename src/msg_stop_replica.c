/*
 * msg_stop_replica.c - StopReplica request/response codec, versions 0-3
 * (Kafka 2.8's StopReplicaRequest/Response). See msg_stop_replica.h.
 *
 * Thread-safety: pure functions on caller-owned buffers.
 */
#include "msg_stop_replica.h"

#include <string.h>

#include "msg_interbroker.h"
#include "protocol.h"

#define SM_SR_FLEX(ver) ((ver) >= SM_STOP_REPLICA_FLEX)

static void sm_sr_v0_read(sm_rbuf_t *rb, sm_arena_t *a, sm_stop_replica_req_t *out)
{
	int32_t n = sm_proto_array_read(rb, 0, 0, 6);

	out->partitions = sm_proto_array_ralloc(rb, a, n, sizeof(*out->partitions));
	out->partitions_cnt = n;
	for (int32_t i = 0; i < n && !rb->err; i++) {
		out->partitions[i].topic = sm_msg_str_read(rb, 0, a);
		out->partitions[i].partition = sm_rbuf_i32(rb);
	}
}

/* v1+: topics, each with bare partition indexes (v1-2) or states (v3). */
static void sm_sr_topics_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_stop_replica_req_t *out)
{
	int flex = SM_SR_FLEX(ver);
	int32_t ntopics = sm_proto_array_read(rb, flex, 0, 2);
	int32_t cap = 0;

	for (int32_t t = 0; t < ntopics && !rb->err; t++) {
		char *topic = sm_msg_str_read(rb, flex, a);
		int32_t np = sm_proto_array_read(rb, flex, 0, 4);
		for (int32_t i = 0; i < np && !rb->err; i++) {
			out->partitions = sm_msg_grow(a, out->partitions, out->partitions_cnt, &cap,
						      sizeof(*out->partitions));
			sm_stop_replica_partition_t *p = &out->partitions[out->partitions_cnt++];
			p->topic = topic;
			p->partition = sm_rbuf_i32(rb);
			if (ver >= 3) {
				p->leader_epoch = sm_rbuf_i32(rb);
				p->delete_partition = sm_rbuf_bool(rb);
				sm_rbuf_skip_tags(rb);
			}
		}
		if (flex)
			sm_rbuf_skip_tags(rb);
	}
}

int sm_stop_replica_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			     sm_stop_replica_req_t *out)
{
	memset(out, 0, sizeof(*out));
	out->broker_epoch = -1;
	if (ver < 0 || ver > SM_STOP_REPLICA_VMAX)
		return -1;
	out->controller_id = sm_rbuf_i32(rb);
	out->controller_epoch = sm_rbuf_i32(rb);
	if (ver >= 1)
		out->broker_epoch = sm_rbuf_i64(rb);
	if (ver <= 2)
		out->delete_partitions = sm_rbuf_bool(rb);
	if (ver == 0)
		sm_sr_v0_read(rb, a, out);
	else
		sm_sr_topics_read(rb, ver, a, out);
	if (SM_SR_FLEX(ver))
		sm_rbuf_skip_tags(rb);
	SM_RBUF_CHECK(rb);
	if (ver <= 2) {
		for (int32_t i = 0; i < out->partitions_cnt; i++) {
			out->partitions[i].leader_epoch = -1;
			out->partitions[i].delete_partition = out->delete_partitions;
		}
	}
	return 0;

err_parse:
	return -1;
}

static int sm_sr_topic_cmp(const void *x, const void *y)
{
	const sm_stop_replica_partition_t *a = x, *b = y;
	return sm_msg_strcmp0(a->topic, b->topic);
}

static void sm_sr_topics_write(sm_wbuf_t *w, int16_t ver, const sm_stop_replica_req_t *in)
{
	int flex = SM_SR_FLEX(ver);
	sm_msg_groups_t g;

	sm_msg_groups_build(&g, in->partitions, sizeof(*in->partitions), in->partitions_cnt,
			    sm_sr_topic_cmp);
	sm_wbuf_array(w, g.ngroups, flex);
	for (int32_t t = 0; t < g.ngroups; t++) {
		sm_msg_str_write(w, in->partitions[g.order[g.start[t]]].topic, flex);
		sm_wbuf_array(w, g.start[t + 1] - g.start[t], flex);
		for (int32_t i = g.start[t]; i < g.start[t + 1]; i++) {
			const sm_stop_replica_partition_t *p = &in->partitions[g.order[i]];
			sm_wbuf_i32(w, p->partition);
			if (ver >= 3) {
				sm_wbuf_i32(w, p->leader_epoch);
				sm_wbuf_bool(w, p->delete_partition);
				sm_wbuf_tags_empty(w);
			}
		}
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	sm_msg_groups_free(&g);
}

void sm_stop_replica_req_write(sm_wbuf_t *w, int16_t ver, const sm_stop_replica_req_t *in)
{
	if (ver < 0 || ver > SM_STOP_REPLICA_VMAX)
		return;
	sm_wbuf_i32(w, in->controller_id);
	sm_wbuf_i32(w, in->controller_epoch);
	if (ver >= 1)
		sm_wbuf_i64(w, in->broker_epoch);
	if (ver <= 2)
		sm_wbuf_bool(w, in->delete_partitions);
	if (ver == 0) {
		sm_wbuf_array(w, in->partitions_cnt, 0);
		for (int32_t i = 0; i < in->partitions_cnt; i++) {
			sm_msg_str_write(w, in->partitions[i].topic, 0);
			sm_wbuf_i32(w, in->partitions[i].partition);
		}
	} else {
		sm_sr_topics_write(w, ver, in);
	}
	if (SM_SR_FLEX(ver))
		sm_wbuf_tags_empty(w);
}

int sm_stop_replica_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_stop_replica_resp_t *out)
{
	int flex = SM_SR_FLEX(ver);

	memset(out, 0, sizeof(*out));
	if (ver < 0 || ver > SM_STOP_REPLICA_VMAX)
		return -1;
	out->error_code = sm_rbuf_i16(rb);
	int32_t n = sm_proto_array_read(rb, flex, 0, 7);
	SM_RBUF_CHECK(rb);
	out->partitions = sm_proto_array_ralloc(rb, a, n, sizeof(*out->partitions));
	out->partitions_cnt = n;
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_stop_replica_partition_err_t *e = &out->partitions[i];
		e->topic = sm_msg_str_read(rb, flex, a);
		e->partition = sm_rbuf_i32(rb);
		e->error_code = sm_rbuf_i16(rb);
		if (flex)
			sm_rbuf_skip_tags(rb);
	}
	if (flex)
		sm_rbuf_skip_tags(rb);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_stop_replica_resp_write(sm_wbuf_t *w, int16_t ver, const sm_stop_replica_resp_t *in)
{
	int flex = SM_SR_FLEX(ver);

	if (ver < 0 || ver > SM_STOP_REPLICA_VMAX)
		return;
	sm_wbuf_i16(w, in->error_code);
	sm_wbuf_array(w, in->partitions_cnt, flex);
	for (int32_t i = 0; i < in->partitions_cnt; i++) {
		const sm_stop_replica_partition_err_t *e = &in->partitions[i];
		sm_msg_str_write(w, e->topic, flex);
		sm_wbuf_i32(w, e->partition);
		sm_wbuf_i16(w, e->error_code);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}
