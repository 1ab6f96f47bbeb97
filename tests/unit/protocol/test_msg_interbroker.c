/*
 * test_msg_interbroker.c - unit tests of the controller-to-broker messages:
 * LeaderAndIsr 0-5, UpdateMetadata 0-7, StopReplica 0-3, requests and
 * responses, through the generated codecs and the normalized forms of
 * msg_interbroker.h. Every version is written, read back, compared field by
 * field and rewritten byte-identically; every truncation must fail cleanly.
 */
#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msg_interbroker.h"
#include "msg_leader_and_isr.h"
#include "protocol.h"
#include "msg_stop_replica.h"
#include "msg_update_metadata.h"

/* Read function adapter: every codec reader has this shape once cast. */
typedef int (*rd_fn)(sm_rbuf_t *, int16_t, sm_arena_t *, void *);
typedef void (*wr_fn)(sm_wbuf_t *, int16_t, const void *);

/* Writes in, reads it back into out (arena a), rewrites and compares bytes,
 * then checks that every strict prefix fails to parse. */
static void roundtrip(wr_fn wr, rd_fn rd, int16_t ver, const void *in, void *out, sm_arena_t *a)
{
	sm_wbuf_t w1, w2;
	sm_rbuf_t rb;

	sm_wbuf_init(&w1, 64);
	sm_wbuf_init(&w2, 64);
	wr(&w1, ver, in);
	CU_ASSERT_FATAL(w1.len > 0);
	sm_rbuf_init(&rb, w1.p, w1.len);
	CU_ASSERT_EQUAL_FATAL(rd(&rb, ver, a, out), 0);
	CU_ASSERT_EQUAL(rb.pos, w1.len);
	wr(&w2, ver, out);
	CU_ASSERT_EQUAL(w2.len, w1.len);
	CU_ASSERT(w2.len == w1.len && memcmp(w1.p, w2.p, w1.len) == 0);

	/* Every truncation fails; a heap copy lets ASan catch an over-read. */
	for (size_t n = 0; n < w1.len; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, w1.p, n);
		sm_arena_t ta;
		sm_arena_init(&ta);
		union {
			sm_leader_and_isr_req_t a;
			sm_update_metadata_req_t b;
			sm_stop_replica_req_t c;
			sm_leader_and_isr_resp_t d;
			sm_stop_replica_resp_t e;
		} junk;
		sm_rbuf_init(&rb, copy, n);
		CU_ASSERT_EQUAL(rd(&rb, ver, &ta, &junk), -1);
		sm_arena_destroy(&ta);
		free(copy);
	}
	sm_wbuf_free(&w1);
	sm_wbuf_free(&w2);
}

static int i32s_eq(const int32_t *a, int32_t na, const int32_t *b, int32_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, (size_t)na * sizeof(*a)) == 0);
}

static int str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/* ---- LeaderAndIsr ---- */

static int32_t isr1[] = { 1, 2 }, reps1[] = { 1, 2, 3 }, add1[] = { 3 }, rem1[] = { 4, 5 };
static int32_t isr2[] = { 2 }, reps2[] = { 2, 7 };

static sm_leader_and_isr_req_partition_state_t lai_parts[] = {
	{ "alpha", 0, 7, 1, 11, isr1, 2, 33, reps1, 3, add1, 1, rem1, 2, 1 },
	{ "alpha", 3, 8, 2, 12, isr2, 1, 34, reps2, 2, NULL, 0, NULL, 0, 0 },
	{ "beta", 1, 9, 2, 13, isr2, 1, 35, reps2, 2, rem1, 2, add1, 1, 1 },
};
static sm_msg_topic_id_t lai_ids[] = {
	{ "alpha", { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 } },
	{ "beta", { 0xff, 0xee, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0x42 } },
};
static sm_leader_and_isr_req_live_leader_t lai_leaders[] = {
	{ 1, "broker-1.example", 9092 },
	{ 2, "b2", 19092 },
};

/* A request in the normalized form over parts (n of them). */
static void lai_req_fill(sm_leader_and_isr_req_t *in, sm_leader_and_isr_req_partition_state_t *parts,
			 int32_t n)
{
	sm_leader_and_isr_req_init(in);
	in->controller_id = 3;
	in->controller_epoch = 42;
	in->broker_epoch = 0x123456789LL;
	in->type = SM_LEADER_AND_ISR_TYPE_FULL;
	in->ungrouped_partition_states = parts;
	in->ungrouped_partition_states_cnt = n;
	in->live_leaders = lai_leaders;
	in->live_leaders_cnt = 2;
}

static void lai_req_check(int16_t ver, const sm_leader_and_isr_req_t *in,
			  const sm_leader_and_isr_req_t *o)
{
	CU_ASSERT_EQUAL(o->controller_id, in->controller_id);
	CU_ASSERT_EQUAL(o->controller_epoch, in->controller_epoch);
	CU_ASSERT_EQUAL(o->broker_epoch, ver >= 2 ? in->broker_epoch : -1);
	CU_ASSERT_EQUAL(o->type, ver >= 5 ? in->type : 0);
	CU_ASSERT_EQUAL_FATAL(o->ungrouped_partition_states_cnt, in->ungrouped_partition_states_cnt);
	for (int32_t i = 0; i < o->ungrouped_partition_states_cnt; i++) {
		const sm_leader_and_isr_req_partition_state_t *p = &in->ungrouped_partition_states[i];
		const sm_leader_and_isr_req_partition_state_t *q = &o->ungrouped_partition_states[i];
		CU_ASSERT(str_eq(p->topic_name, q->topic_name));
		CU_ASSERT_EQUAL(q->partition_index, p->partition_index);
		CU_ASSERT_EQUAL(q->controller_epoch, p->controller_epoch);
		CU_ASSERT_EQUAL(q->leader, p->leader);
		CU_ASSERT_EQUAL(q->leader_epoch, p->leader_epoch);
		CU_ASSERT(i32s_eq(q->isr, q->isr_cnt, p->isr, p->isr_cnt));
		CU_ASSERT_EQUAL(q->partition_epoch, p->partition_epoch);
		CU_ASSERT(i32s_eq(q->replicas, q->replicas_cnt, p->replicas, p->replicas_cnt));
		if (ver >= 3) {
			CU_ASSERT(i32s_eq(q->adding_replicas, q->adding_replicas_cnt,
					  p->adding_replicas, p->adding_replicas_cnt));
			CU_ASSERT(i32s_eq(q->removing_replicas, q->removing_replicas_cnt,
					  p->removing_replicas, p->removing_replicas_cnt));
		} else {
			CU_ASSERT_EQUAL(q->adding_replicas_cnt + q->removing_replicas_cnt, 0);
		}
		CU_ASSERT_EQUAL(q->is_new, ver >= 1 ? p->is_new : 0);
	}
	/* v2+ nest by topic; from v5 each topic carries its id. */
	CU_ASSERT_EQUAL_FATAL(o->topic_states_cnt, ver >= 2 ? 2 : 0);
	if (ver >= 2)
		CU_ASSERT(str_eq(o->topic_states[1].topic_name, "beta"));
	if (ver >= 5) {
		CU_ASSERT(memcmp(o->topic_states[1].topic_id, lai_ids[1].id, 16) == 0);
		CU_ASSERT(memcmp(o->topic_states[0].topic_id, lai_ids[0].id, 16) == 0);
	}
	CU_ASSERT_EQUAL_FATAL(o->live_leaders_cnt, in->live_leaders_cnt);
	for (int32_t i = 0; i < o->live_leaders_cnt; i++) {
		CU_ASSERT_EQUAL(o->live_leaders[i].broker_id, in->live_leaders[i].broker_id);
		CU_ASSERT(str_eq(o->live_leaders[i].host_name, in->live_leaders[i].host_name));
		CU_ASSERT_EQUAL(o->live_leaders[i].port, in->live_leaders[i].port);
	}
}

static void test_lai_req_all_versions(void)
{
	/* The topic id table in reverse order exercises the lookup. */
	sm_msg_topic_id_t ids[] = { lai_ids[1], lai_ids[0] };
	for (int16_t v = 0; v <= 5; v++) {
		sm_arena_t a;
		sm_leader_and_isr_req_t in, out;
		sm_arena_init(&a);
		lai_req_fill(&in, lai_parts, 3);
		sm_leader_and_isr_nest(&in, v, ids, 2, &a);
		roundtrip((wr_fn)sm_leader_and_isr_req_write, (rd_fn)sm_leader_and_isr_req_read, v,
			  &in, &out, &a);
		sm_leader_and_isr_normalize(&out, v, &a);
		lai_req_check(v, &in, &out);
		sm_arena_destroy(&a);
	}
}

/* Interleaved topics are nested in order of first appearance. */
static void test_lai_req_grouping(void)
{
	sm_leader_and_isr_req_partition_state_t parts[] = { lai_parts[2], lai_parts[0], lai_parts[2],
							    lai_parts[1] };
	parts[2].partition_index = 9;
	sm_leader_and_isr_req_t in, out;
	sm_arena_t a;
	sm_arena_init(&a);
	lai_req_fill(&in, parts, 4);
	sm_leader_and_isr_nest(&in, 4, NULL, 0, &a);
	roundtrip((wr_fn)sm_leader_and_isr_req_write, (rd_fn)sm_leader_and_isr_req_read, 4, &in,
		  &out, &a);
	sm_leader_and_isr_normalize(&out, 4, &a);
	const sm_leader_and_isr_req_partition_state_t *o = out.ungrouped_partition_states;
	CU_ASSERT_EQUAL_FATAL(out.ungrouped_partition_states_cnt, 4);
	CU_ASSERT(str_eq(o[0].topic_name, "beta"));
	CU_ASSERT_EQUAL(o[0].partition_index, 1);
	CU_ASSERT(str_eq(o[1].topic_name, "beta"));
	CU_ASSERT_EQUAL(o[1].partition_index, 9);
	CU_ASSERT(str_eq(o[2].topic_name, "alpha"));
	CU_ASSERT_EQUAL(o[2].partition_index, 0);
	CU_ASSERT_EQUAL(o[3].partition_index, 3);
	/* v0 keeps the flat order untouched. */
	lai_req_fill(&in, parts, 4);
	roundtrip((wr_fn)sm_leader_and_isr_req_write, (rd_fn)sm_leader_and_isr_req_read, 0, &in,
		  &out, &a);
	CU_ASSERT_EQUAL(out.ungrouped_partition_states[1].partition_index, 0);
	CU_ASSERT_EQUAL(out.ungrouped_partition_states[2].partition_index, 9);
	sm_arena_destroy(&a);
}

/* Hand-encoded v4 (flexible) request: checks the wire layout itself. */
static void test_lai_req_v4_bytes(void)
{
	static const uint8_t wire[] = {
		0, 0, 0, 1,             /* controller_id */
		0, 0, 0, 2,             /* controller_epoch */
		0, 0, 0, 0, 0, 0, 0, 9, /* broker_epoch */
		2,                      /* 1 topic */
		2, 't',                 /* "t" */
		2,                      /* 1 partition */
		0, 0, 0, 0,             /* partition */
		0, 0, 0, 2,             /* controller_epoch */
		0, 0, 0, 1,             /* leader */
		0, 0, 0, 5,             /* leader_epoch */
		2, 0, 0, 0, 1,          /* isr [1] */
		0, 0, 0, 6,             /* partition epoch (zk_version) */
		2, 0, 0, 0, 1,          /* replicas [1] */
		1, 1,                   /* adding, removing: empty */
		1,                      /* is_new */
		0,                      /* partition tags */
		0,                      /* topic tags */
		2,                      /* 1 live leader */
		0, 0, 0, 1, 2, 'h', 0, 0, 0x23, 0x84, 0,
		0,                      /* top-level tags */
	};
	sm_arena_t a;
	sm_rbuf_t rb;
	sm_leader_and_isr_req_t r;
	sm_wbuf_t w;

	sm_arena_init(&a);
	sm_rbuf_init(&rb, wire, sizeof(wire));
	CU_ASSERT_EQUAL_FATAL(sm_leader_and_isr_req_read(&rb, 4, &a, &r), 0);
	sm_leader_and_isr_normalize(&r, 4, &a);
	CU_ASSERT_EQUAL(r.broker_epoch, 9);
	CU_ASSERT_EQUAL_FATAL(r.ungrouped_partition_states_cnt, 1);
	CU_ASSERT(str_eq(r.ungrouped_partition_states[0].topic_name, "t"));
	CU_ASSERT_EQUAL(r.ungrouped_partition_states[0].partition_epoch, 6);
	CU_ASSERT_EQUAL(r.ungrouped_partition_states[0].is_new, 1);
	CU_ASSERT_EQUAL(r.live_leaders[0].port, 9092);
	sm_wbuf_init(&w, 16);
	sm_leader_and_isr_nest(&r, 4, NULL, 0, &a);
	sm_leader_and_isr_req_write(&w, 4, &r);
	CU_ASSERT(w.len == sizeof(wire) && memcmp(w.p, wire, w.len) == 0);
	sm_wbuf_free(&w);
	sm_arena_destroy(&a);
}

static void test_lai_resp_all_versions(void)
{
	sm_leader_and_isr_resp_partition_error_t errs[] = {
		{ "alpha", 0, 6 },
		{ "beta", 4, 0 },
		{ "alpha", 1, 75 },
	};
	for (int16_t v = 0; v <= 5; v++) {
		sm_arena_t a;
		sm_leader_and_isr_req_t req;
		sm_leader_and_isr_resp_t in, o;
		sm_arena_init(&a);
		/* The request the response answers gives the topic ids. */
		lai_req_fill(&req, lai_parts, 3);
		sm_leader_and_isr_nest(&req, 5, lai_ids, 2, &a);
		sm_leader_and_isr_resp_init(&in);
		in.error_code = 11;
		in.partition_errors = errs;
		in.partition_errors_cnt = 3;
		sm_leader_and_isr_resp_nest(&in, v, &req, &a);
		roundtrip((wr_fn)sm_leader_and_isr_resp_write, (rd_fn)sm_leader_and_isr_resp_read, v,
			  &in, &o, &a);
		CU_ASSERT_EQUAL(o.error_code, 11);
		if (v < 5) {
			CU_ASSERT_EQUAL_FATAL(o.partition_errors_cnt, 3);
			for (int i = 0; i < 3; i++) {
				CU_ASSERT(str_eq(o.partition_errors[i].topic_name, errs[i].topic_name));
				CU_ASSERT_EQUAL(o.partition_errors[i].partition_index, errs[i].partition_index);
				CU_ASSERT_EQUAL(o.partition_errors[i].error_code, errs[i].error_code);
			}
		} else {
			/* Nested by topic id: alpha's two partitions first. */
			CU_ASSERT_EQUAL_FATAL(o.topics_cnt, 2);
			CU_ASSERT(memcmp(o.topics[0].topic_id, lai_ids[0].id, 16) == 0);
			CU_ASSERT_EQUAL_FATAL(o.topics[0].partition_errors_cnt, 2);
			CU_ASSERT_EQUAL(o.topics[0].partition_errors[1].partition_index, 1);
			CU_ASSERT_EQUAL(o.topics[0].partition_errors[1].error_code, 75);
			CU_ASSERT(memcmp(o.topics[1].topic_id, lai_ids[1].id, 16) == 0);
			CU_ASSERT_EQUAL(o.topics[1].partition_errors[0].partition_index, 4);
		}
		sm_arena_destroy(&a);
	}
}

/* ---- UpdateMetadata ---- */

static int32_t offl[] = { 3 };
static sm_update_metadata_req_partition_state_t um_parts[] = {
	{ "alpha", 0, 7, 1, 11, isr1, 2, 33, reps1, 3, offl, 1 },
	{ "alpha", 1, 8, 2, 12, isr2, 1, 34, reps2, 2, NULL, 0 },
	{ "beta", 5, 9, -1, 13, isr2, 1, 35, reps2, 2, reps1, 3 },
};
static sm_update_metadata_req_endpoint_t um_eps1[] = {
	{ 9092, "h1", "PLAINTEXT", 0 },
	{ 9093, "h1s", "PLAINTEXT", 1 }, /* listener name unlike its protocol (v3+) */
};
static sm_update_metadata_req_endpoint_t um_eps2[] = { { 19094, "h2", "INTERNAL", 2 } };
static sm_update_metadata_req_live_broker_t um_brokers[] = {
	{ .id = 1, .endpoints = um_eps1, .endpoints_cnt = 2, .rack = "rack-a" },
	{ .id = 2, .endpoints = um_eps2, .endpoints_cnt = 1, .rack = NULL },
};

static void um_check_brokers(int16_t ver, const sm_update_metadata_req_t *in,
			     const sm_update_metadata_req_t *o)
{
	CU_ASSERT_EQUAL_FATAL(o->live_brokers_cnt, in->live_brokers_cnt);
	for (int32_t i = 0; i < o->live_brokers_cnt; i++) {
		const sm_update_metadata_req_live_broker_t *b = &in->live_brokers[i], *c = &o->live_brokers[i];
		CU_ASSERT_EQUAL(c->id, b->id);
		/* Before v2 the rack reads as the schema default "", as in Kafka. */
		CU_ASSERT(str_eq(c->rack, ver >= 2 ? b->rack : ""));
		if (ver == 0) {
			/* The PLAINTEXT endpoint, or the first one. */
			CU_ASSERT_EQUAL_FATAL(c->endpoints_cnt, 1);
			CU_ASSERT_EQUAL(c->endpoints[0].port, b->endpoints[0].port);
			CU_ASSERT(str_eq(c->endpoints[0].host, b->endpoints[0].host));
			CU_ASSERT_EQUAL(c->endpoints[0].security_protocol, 0);
			CU_ASSERT(str_eq(c->endpoints[0].listener, "PLAINTEXT"));
			continue;
		}
		CU_ASSERT_EQUAL_FATAL(c->endpoints_cnt, b->endpoints_cnt);
		for (int32_t j = 0; j < c->endpoints_cnt; j++) {
			const sm_update_metadata_req_endpoint_t *e = &b->endpoints[j], *f = &c->endpoints[j];
			CU_ASSERT_EQUAL(f->port, e->port);
			CU_ASSERT(str_eq(f->host, e->host));
			CU_ASSERT_EQUAL(f->security_protocol, e->security_protocol);
			CU_ASSERT(str_eq(f->listener, ver >= 3 ? e->listener
							      : sm_update_metadata_protocol_name(
									e->security_protocol)));
		}
	}
}

static void um_check(int16_t ver, const sm_update_metadata_req_t *in,
		     const sm_update_metadata_req_t *o)
{
	CU_ASSERT_EQUAL(o->controller_id, in->controller_id);
	CU_ASSERT_EQUAL(o->controller_epoch, in->controller_epoch);
	CU_ASSERT_EQUAL(o->broker_epoch, ver >= 5 ? in->broker_epoch : -1);
	CU_ASSERT_EQUAL_FATAL(o->ungrouped_partition_states_cnt, in->ungrouped_partition_states_cnt);
	for (int32_t i = 0; i < o->ungrouped_partition_states_cnt; i++) {
		const sm_update_metadata_req_partition_state_t *p = &in->ungrouped_partition_states[i];
		const sm_update_metadata_req_partition_state_t *q = &o->ungrouped_partition_states[i];
		CU_ASSERT(str_eq(q->topic_name, p->topic_name));
		CU_ASSERT_EQUAL(q->partition_index, p->partition_index);
		CU_ASSERT_EQUAL(q->controller_epoch, p->controller_epoch);
		CU_ASSERT_EQUAL(q->leader, p->leader);
		CU_ASSERT_EQUAL(q->leader_epoch, p->leader_epoch);
		CU_ASSERT(i32s_eq(q->isr, q->isr_cnt, p->isr, p->isr_cnt));
		CU_ASSERT_EQUAL(q->zk_version, p->zk_version);
		CU_ASSERT(i32s_eq(q->replicas, q->replicas_cnt, p->replicas, p->replicas_cnt));
		if (ver >= 4) {
			CU_ASSERT(i32s_eq(q->offline_replicas, q->offline_replicas_cnt,
					  p->offline_replicas, p->offline_replicas_cnt));
		} else {
			CU_ASSERT_EQUAL(q->offline_replicas_cnt, 0);
		}
	}
	/* v5+ nest by topic; from v7 each topic carries its id. */
	CU_ASSERT_EQUAL_FATAL(o->topic_states_cnt, ver >= 5 ? 2 : 0);
	if (ver >= 5)
		CU_ASSERT(str_eq(o->topic_states[0].topic_name, "alpha"));
	if (ver >= 7) {
		CU_ASSERT(memcmp(o->topic_states[0].topic_id, lai_ids[0].id, 16) == 0);
		CU_ASSERT(memcmp(o->topic_states[1].topic_id, lai_ids[1].id, 16) == 0);
	}
	um_check_brokers(ver, in, o);
}

static void test_um_req_all_versions(void)
{
	/* The topic id table in reverse order exercises the lookup. */
	sm_msg_topic_id_t ids[] = { lai_ids[1], lai_ids[0] };
	for (int16_t v = 0; v <= 7; v++) {
		sm_arena_t a;
		sm_update_metadata_req_t in, o;
		sm_arena_init(&a);
		sm_update_metadata_req_init(&in);
		in.controller_id = 2;
		in.controller_epoch = 17;
		in.broker_epoch = 4242;
		in.ungrouped_partition_states = um_parts;
		in.ungrouped_partition_states_cnt = 3;
		in.live_brokers = um_brokers;
		in.live_brokers_cnt = 2;
		/* v0 carries PLAINTEXT only: give broker 2 a PLAINTEXT endpoint. */
		um_eps2[0].security_protocol = v == 0 ? 0 : 2;
		sm_update_metadata_nest(&in, v, ids, 2, &a);
		roundtrip((wr_fn)sm_update_metadata_req_write, (rd_fn)sm_update_metadata_req_read, v,
			  &in, &o, &a);
		CU_ASSERT_EQUAL_FATAL(sm_update_metadata_normalize(&o, v, &a), 0);
		um_check(v, &in, &o);
		sm_arena_destroy(&a);
	}
	um_eps2[0].security_protocol = 2;
}

static void test_um_resp_all_versions(void)
{
	sm_update_metadata_resp_t in = { 11 };
	for (int16_t v = 0; v <= 7; v++) {
		sm_arena_t a;
		sm_update_metadata_resp_t o;
		sm_arena_init(&a);
		roundtrip((wr_fn)sm_update_metadata_resp_write, (rd_fn)sm_update_metadata_resp_read, v,
			  &in, &o, &a);
		CU_ASSERT_EQUAL(o.error_code, 11);
		sm_arena_destroy(&a);
	}
}

/* Bad bytes: hostile counts, null names, unknown protocols. */
static void test_um_bad_input(void)
{
	static const uint8_t huge[] = { 0, 0, 0, 1, 0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff };
	static const uint8_t null_topic[] = {
		0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0xff, /* topic null */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	static const uint8_t bad_proto[] = {
		0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, /* no partitions */
		0, 0, 0, 1, 0, 0, 0, 7,             /* broker 7 */
		0, 0, 0, 1, 0, 0, 0x23, 0x84, 0, 1, 'h', 0, 99, /* protocol 99 */
		0xff, 0xff,                          /* rack null */
	};
	sm_arena_t a;
	sm_rbuf_t rb;
	sm_update_metadata_req_t o;

	sm_arena_init(&a);
	sm_rbuf_init(&rb, huge, sizeof(huge));
	CU_ASSERT_EQUAL(sm_update_metadata_req_read(&rb, 1, &a, &o), -1);
	sm_rbuf_init(&rb, null_topic, sizeof(null_topic));
	CU_ASSERT_EQUAL(sm_update_metadata_req_read(&rb, 1, &a, &o), -1);
	/* An unknown protocol id reads, but has no listener name for v0-2. */
	sm_rbuf_init(&rb, bad_proto, sizeof(bad_proto));
	CU_ASSERT_EQUAL_FATAL(sm_update_metadata_req_read(&rb, 2, &a, &o), 0);
	CU_ASSERT_EQUAL(sm_update_metadata_normalize(&o, 2, &a), -1);
	/* The same bytes with a known protocol parse, and v2 derives the listener. */
	uint8_t ok_proto[sizeof(bad_proto)];
	memcpy(ok_proto, bad_proto, sizeof(ok_proto));
	ok_proto[32] = 1;
	sm_rbuf_init(&rb, ok_proto, sizeof(ok_proto));
	CU_ASSERT_EQUAL_FATAL(sm_update_metadata_req_read(&rb, 2, &a, &o), 0);
	CU_ASSERT_EQUAL_FATAL(sm_update_metadata_normalize(&o, 2, &a), 0);
	CU_ASSERT_EQUAL(o.live_brokers[0].id, 7);
	CU_ASSERT(str_eq(o.live_brokers[0].endpoints[0].listener, "SSL"));
	CU_ASSERT_PTR_NULL(o.live_brokers[0].rack);
	sm_arena_destroy(&a);
}

/* ---- StopReplica (generated codec, flat view in msg_interbroker) ---- */

static void test_sr_req_all_versions(void)
{
	sm_stop_replica_partition_t parts[] = {
		{ "alpha", 0, 5, 1 },
		{ "beta", 2, 6, 0 },
		{ "alpha", 7, 8, 1 },
	};
	for (int16_t v = 0; v <= 3; v++) {
		sm_arena_t a;
		sm_stop_replica_req_t in, o;
		sm_arena_init(&a);
		sm_stop_replica_req_init(&in);
		in.controller_id = 4;
		in.controller_epoch = 23;
		in.broker_epoch = 777;
		in.delete_partitions = 1;
		sm_stop_replica_nest(&in, v, parts, 3, &a);
		roundtrip((wr_fn)sm_stop_replica_req_write, (rd_fn)sm_stop_replica_req_read, v, &in,
			  &o, &a);
		CU_ASSERT_EQUAL(o.controller_id, 4);
		CU_ASSERT_EQUAL(o.controller_epoch, 23);
		CU_ASSERT_EQUAL(o.broker_epoch, v >= 1 ? 777 : -1);
		CU_ASSERT_EQUAL(o.delete_partitions, v <= 2 ? 1 : 0);
		int32_t n;
		sm_stop_replica_partition_t *f = sm_stop_replica_flatten(&o, v, &a, &n);
		CU_ASSERT_EQUAL_FATAL(n, 3);
		/* v0 is flat; v1+ nest alpha's partitions together. */
		static const int flat[] = { 0, 1, 2 }, nested[] = { 0, 2, 1 };
		const int *ord = v == 0 ? flat : nested;
		for (int i = 0; i < 3; i++) {
			const sm_stop_replica_partition_t *p = &parts[ord[i]];
			CU_ASSERT(str_eq(f[i].topic, p->topic));
			CU_ASSERT_EQUAL(f[i].partition, p->partition);
			CU_ASSERT_EQUAL(f[i].leader_epoch, v >= 3 ? p->leader_epoch : -1);
			CU_ASSERT_EQUAL(f[i].delete_partition, v >= 3 ? p->delete_partition : 1);
		}
		sm_arena_destroy(&a);
	}
}

/* Hand-encoded v0 request. */
static void test_sr_req_v0_bytes(void)
{
	sm_stop_replica_partition_t p = { "ab", 3, 0, 0 };
	sm_stop_replica_req_t in;
	sm_arena_t a;
	sm_arena_init(&a);
	sm_stop_replica_req_init(&in);
	in.controller_id = 1;
	in.controller_epoch = 2;
	in.delete_partitions = 1;
	sm_stop_replica_nest(&in, 0, &p, 1, &a);
	static const uint8_t wire[] = { 0, 0, 0, 1, 0, 0, 0, 2, 1, 0, 0, 0, 1,
					0, 2, 'a', 'b', 0, 0, 0, 3 };
	sm_wbuf_t w;
	sm_wbuf_init(&w, 8);
	sm_stop_replica_req_write(&w, 0, &in);
	CU_ASSERT(w.len == sizeof(wire) && memcmp(w.p, wire, w.len) == 0);
	sm_wbuf_free(&w);
	sm_arena_destroy(&a);
}

static void test_sr_resp_all_versions(void)
{
	sm_stop_replica_resp_partition_error_t errs[] = { { "alpha", 0, 0 }, { "beta", 9, 3 } };
	sm_stop_replica_resp_t in = { 41, errs, 2 };
	for (int16_t v = 0; v <= 3; v++) {
		sm_arena_t a;
		sm_stop_replica_resp_t o;
		sm_arena_init(&a);
		roundtrip((wr_fn)sm_stop_replica_resp_write, (rd_fn)sm_stop_replica_resp_read, v, &in,
			  &o, &a);
		CU_ASSERT_EQUAL(o.error_code, 41);
		CU_ASSERT_EQUAL_FATAL(o.partition_errors_cnt, 2);
		CU_ASSERT(str_eq(o.partition_errors[1].topic_name, "beta"));
		CU_ASSERT_EQUAL(o.partition_errors[1].partition_index, 9);
		CU_ASSERT_EQUAL(o.partition_errors[1].error_code, 3);
		sm_arena_destroy(&a);
	}
}

/* ---- shared helpers ---- */

static int int_cmp(const void *x, const void *y)
{
	int a = *(const int *)x, b = *(const int *)y;
	return (a > b) - (a < b);
}

static void test_groups(void)
{
	int keys[] = { 5, 1, 5, 3, 1, 1, 9 };
	sm_msg_groups_t g;
	sm_msg_groups_build(&g, keys, sizeof(int), 7, int_cmp);
	CU_ASSERT_EQUAL_FATAL(g.ngroups, 4);
	static const int32_t want[] = { 0, 2, 1, 4, 5, 3, 6 };
	CU_ASSERT(memcmp(g.order, want, sizeof(want)) == 0);
	CU_ASSERT_EQUAL(g.start[0], 0);
	CU_ASSERT_EQUAL(g.start[1], 2);
	CU_ASSERT_EQUAL(g.start[2], 5);
	CU_ASSERT_EQUAL(g.start[3], 6);
	CU_ASSERT_EQUAL(g.start[4], 7);
	sm_msg_groups_free(&g);
	sm_msg_groups_build(&g, NULL, sizeof(int), 0, int_cmp);
	CU_ASSERT_EQUAL(g.ngroups, 0);
	sm_msg_groups_free(&g);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("msg_interbroker", NULL, NULL);
	CU_add_test(s, "LeaderAndIsr request v0-5", test_lai_req_all_versions);
	CU_add_test(s, "LeaderAndIsr request grouping", test_lai_req_grouping);
	CU_add_test(s, "LeaderAndIsr request v4 wire bytes", test_lai_req_v4_bytes);
	CU_add_test(s, "LeaderAndIsr response v0-5", test_lai_resp_all_versions);
	CU_add_test(s, "UpdateMetadata request v0-7", test_um_req_all_versions);
	CU_add_test(s, "UpdateMetadata response v0-7", test_um_resp_all_versions);
	CU_add_test(s, "UpdateMetadata bad input", test_um_bad_input);
	CU_add_test(s, "StopReplica request v0-3", test_sr_req_all_versions);
	CU_add_test(s, "StopReplica request v0 wire bytes", test_sr_req_v0_bytes);
	CU_add_test(s, "StopReplica response v0-3", test_sr_resp_all_versions);
	CU_add_test(s, "topic grouping order", test_groups);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
