/*
 * test_msg_cluster_admin.c - unit tests of the CreatePartitions, ElectLeaders,
 * ControlledShutdown, AlterPartitionReassignments and
 * ListPartitionReassignments codecs: every version is filled with non-default
 * values, written, read back, compared field by field and written again
 * byte for byte; every truncation fails; known encodings and hostile counts.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "codec_roundtrip.h"
#include "msg_alter_partition_reassignments.h"
#include "msg_controlled_shutdown.h"
#include "msg_create_partitions.h"
#include "msg_elect_leaders.h"
#include "msg_list_partition_reassignments.h"
#include "protocol.h"

/* ---- CreatePartitions ---- */

static void cp_req_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_create_partitions_req_t *r = o;
	(void)ver;
	sm_create_partitions_req_init(r);
	r->topics_cnt = 2;
	r->topics = sm_arena_alloc_array(a, 2, sizeof(*r->topics));
	for (int i = 0; i < 2; i++) {
		sm_create_partitions_req_topic_t *t = &r->topics[i];
		t->name = S(a, "topic", i);
		t->count = 5 + i;
		if (variant == 0 && i == 0) {
			t->assignments_cnt = -1;
			continue;
		}
		t->assignments_cnt = 2;
		t->assignments = sm_arena_alloc_array(a, 2, sizeof(*t->assignments));
		for (int j = 0; j < 2; j++) {
			t->assignments[j].broker_ids_cnt = 3;
			t->assignments[j].broker_ids = i32s(a, 3, j + i);
		}
	}
	r->timeout_ms = 12345;
	r->validate_only = (int8_t)variant;
}

static void cp_req_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_create_partitions_req_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL_FATAL(x->topics_cnt, y->topics_cnt);
	for (int i = 0; i < x->topics_cnt; i++) {
		CK_STR(x->topics[i].name, y->topics[i].name);
		CU_ASSERT_EQUAL(x->topics[i].count, y->topics[i].count);
		CU_ASSERT_EQUAL_FATAL(x->topics[i].assignments_cnt, y->topics[i].assignments_cnt);
		for (int j = 0; j < x->topics[i].assignments_cnt; j++)
			ck_i32s(x->topics[i].assignments[j].broker_ids, x->topics[i].assignments[j].broker_ids_cnt,
				y->topics[i].assignments[j].broker_ids, y->topics[i].assignments[j].broker_ids_cnt);
	}
	CU_ASSERT_EQUAL(x->timeout_ms, y->timeout_ms);
	CU_ASSERT_EQUAL(x->validate_only, y->validate_only);
}

static void cp_resp_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_create_partitions_resp_t *r = o;
	(void)ver;
	sm_create_partitions_resp_init(r);
	r->throttle_time_ms = 77;
	r->results_cnt = 2;
	r->results = sm_arena_alloc_array(a, 2, sizeof(*r->results));
	for (int i = 0; i < 2; i++) {
		r->results[i].name = S(a, "t", i);
		r->results[i].error_code = (int16_t)(i ? 37 : 0);
		r->results[i].error_message = (i || variant) ? S(a, "msg", i) : NULL;
	}
}

static void cp_resp_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_create_partitions_resp_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->throttle_time_ms, y->throttle_time_ms);
	CU_ASSERT_EQUAL_FATAL(x->results_cnt, y->results_cnt);
	for (int i = 0; i < x->results_cnt; i++) {
		CK_STR(x->results[i].name, y->results[i].name);
		CU_ASSERT_EQUAL(x->results[i].error_code, y->results[i].error_code);
		CK_STR(x->results[i].error_message, y->results[i].error_message);
	}
}

/* ---- ElectLeaders ---- */

static void el_req_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_elect_leaders_req_t *r = o;
	sm_elect_leaders_req_init(r);
	if (ver >= 1)
		r->election_type = (int8_t)(variant ? SM_ELECTION_UNCLEAN : SM_ELECTION_PREFERRED);
	if (variant == 0) {
		r->topic_partitions_cnt = -1;
	} else {
		r->topic_partitions_cnt = 2;
		r->topic_partitions = sm_arena_alloc_array(a, 2, sizeof(*r->topic_partitions));
		for (int i = 0; i < 2; i++) {
			r->topic_partitions[i].topic = S(a, "el", i);
			r->topic_partitions[i].partitions_cnt = 3;
			r->topic_partitions[i].partitions = i32s(a, 3, i);
		}
	}
	r->timeout_ms = 999;
}

static void el_req_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_elect_leaders_req_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->election_type, y->election_type);
	CU_ASSERT_EQUAL_FATAL(x->topic_partitions_cnt, y->topic_partitions_cnt);
	for (int i = 0; i < x->topic_partitions_cnt; i++) {
		CK_STR(x->topic_partitions[i].topic, y->topic_partitions[i].topic);
		ck_i32s(x->topic_partitions[i].partitions, x->topic_partitions[i].partitions_cnt,
			y->topic_partitions[i].partitions, y->topic_partitions[i].partitions_cnt);
	}
	CU_ASSERT_EQUAL(x->timeout_ms, y->timeout_ms);
}

static void el_resp_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_elect_leaders_resp_t *r = o;
	sm_elect_leaders_resp_init(r);
	r->throttle_time_ms = 5;
	if (ver >= 1)
		r->error_code = (int16_t)(variant ? 0 : 29);
	r->replica_election_results_cnt = variant ? 2 : 0;
	r->replica_election_results = sm_arena_alloc_array(a, r->replica_election_results_cnt, sizeof(*r->replica_election_results));
	for (int i = 0; i < r->replica_election_results_cnt; i++) {
		sm_elect_leaders_resp_replica_election_result_t *t = &r->replica_election_results[i];
		t->topic = S(a, "r", i);
		t->partition_result_cnt = 2;
		t->partition_result = sm_arena_alloc_array(a, 2, sizeof(*t->partition_result));
		for (int j = 0; j < 2; j++) {
			t->partition_result[j].partition_id = j * 3;
			t->partition_result[j].error_code = (int16_t)(j ? 84 : 0);
			t->partition_result[j].error_message = j ? S(a, "why", j) : NULL;
		}
	}
}

static void el_resp_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_elect_leaders_resp_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->throttle_time_ms, y->throttle_time_ms);
	CU_ASSERT_EQUAL(x->error_code, y->error_code);
	CU_ASSERT_EQUAL_FATAL(x->replica_election_results_cnt, y->replica_election_results_cnt);
	for (int i = 0; i < x->replica_election_results_cnt; i++) {
		CK_STR(x->replica_election_results[i].topic, y->replica_election_results[i].topic);
		CU_ASSERT_EQUAL_FATAL(x->replica_election_results[i].partition_result_cnt, y->replica_election_results[i].partition_result_cnt);
		for (int j = 0; j < x->replica_election_results[i].partition_result_cnt; j++) {
			const sm_elect_leaders_resp_partition_result_t *p = &x->replica_election_results[i].partition_result[j];
			const sm_elect_leaders_resp_partition_result_t *q = &y->replica_election_results[i].partition_result[j];
			CU_ASSERT_EQUAL(p->partition_id, q->partition_id);
			CU_ASSERT_EQUAL(p->error_code, q->error_code);
			CK_STR(p->error_message, q->error_message);
		}
	}
}

/* ---- ControlledShutdown ---- */

static void cs_req_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_controlled_shutdown_req_t *r = o;
	(void)a;
	sm_controlled_shutdown_req_init(r);
	r->broker_id = 3 + variant;
	if (ver >= 2)
		r->broker_epoch = 0x123456789LL + variant;
}

static void cs_req_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_controlled_shutdown_req_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->broker_id, y->broker_id);
	CU_ASSERT_EQUAL(x->broker_epoch, y->broker_epoch);
}

static void cs_resp_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_controlled_shutdown_resp_t *r = o;
	(void)ver;
	sm_controlled_shutdown_resp_init(r);
	r->error_code = (int16_t)(variant ? 0 : 41);
	r->remaining_partitions_cnt = variant ? 3 : 0;
	r->remaining_partitions = sm_arena_alloc_array(a, r->remaining_partitions_cnt, sizeof(*r->remaining_partitions));
	for (int i = 0; i < r->remaining_partitions_cnt; i++) {
		r->remaining_partitions[i].topic_name = S(a, "left", i);
		r->remaining_partitions[i].partition_index = i * 2;
	}
}

static void cs_resp_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_controlled_shutdown_resp_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->error_code, y->error_code);
	CU_ASSERT_EQUAL_FATAL(x->remaining_partitions_cnt, y->remaining_partitions_cnt);
	for (int i = 0; i < x->remaining_partitions_cnt; i++) {
		CK_STR(x->remaining_partitions[i].topic_name, y->remaining_partitions[i].topic_name);
		CU_ASSERT_EQUAL(x->remaining_partitions[i].partition_index, y->remaining_partitions[i].partition_index);
	}
}

/* ---- AlterPartitionReassignments / ListPartitionReassignments ---- */

static void apr_req_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_alter_partition_reassignments_req_t *r = o;
	(void)ver;
	sm_alter_partition_reassignments_req_init(r);
	r->timeout_ms = 4321;
	r->topics_cnt = 2;
	r->topics = sm_arena_alloc_array(a, 2, sizeof(*r->topics));
	for (int i = 0; i < 2; i++) {
		r->topics[i].name = S(a, "ra", i);
		r->topics[i].partitions_cnt = 2;
		r->topics[i].partitions = sm_arena_alloc_array(a, 2, sizeof(*r->topics[i].partitions));
		for (int j = 0; j < 2; j++) {
			sm_alter_partition_reassignments_req_partition_t *p = &r->topics[i].partitions[j];
			p->partition_index = j + 10 * i;
			if (variant && j == 1) {
				p->replicas_cnt = -1; /* cancel */
			} else {
				p->replicas_cnt = 3;
				p->replicas = i32s(a, 3, j);
			}
		}
	}
}

static void apr_req_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_alter_partition_reassignments_req_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->timeout_ms, y->timeout_ms);
	CU_ASSERT_EQUAL_FATAL(x->topics_cnt, y->topics_cnt);
	for (int i = 0; i < x->topics_cnt; i++) {
		CK_STR(x->topics[i].name, y->topics[i].name);
		CU_ASSERT_EQUAL_FATAL(x->topics[i].partitions_cnt, y->topics[i].partitions_cnt);
		for (int j = 0; j < x->topics[i].partitions_cnt; j++) {
			const sm_alter_partition_reassignments_req_partition_t *p = &x->topics[i].partitions[j], *q = &y->topics[i].partitions[j];
			CU_ASSERT_EQUAL(p->partition_index, q->partition_index);
			ck_i32s(p->replicas, p->replicas_cnt, q->replicas, q->replicas_cnt);
		}
	}
}

static void apr_resp_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_alter_partition_reassignments_resp_t *r = o;
	(void)ver;
	sm_alter_partition_reassignments_resp_init(r);
	r->throttle_time_ms = 3;
	r->error_code = (int16_t)(variant ? 0 : 41);
	r->error_message = variant ? NULL : S(a, "top", 0);
	r->responses_cnt = variant ? 2 : 0;
	r->responses = sm_arena_alloc_array(a, r->responses_cnt, sizeof(*r->responses));
	for (int i = 0; i < r->responses_cnt; i++) {
		r->responses[i].name = S(a, "rr", i);
		r->responses[i].partitions_cnt = 2;
		r->responses[i].partitions = sm_arena_alloc_array(a, 2, sizeof(*r->responses[i].partitions));
		for (int j = 0; j < 2; j++) {
			r->responses[i].partitions[j].partition_index = j;
			r->responses[i].partitions[j].error_code = (int16_t)(j ? 85 : 0);
			r->responses[i].partitions[j].error_message = j ? S(a, "no", j) : NULL;
		}
	}
}

static void apr_resp_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_alter_partition_reassignments_resp_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->throttle_time_ms, y->throttle_time_ms);
	CU_ASSERT_EQUAL(x->error_code, y->error_code);
	CK_STR(x->error_message, y->error_message);
	CU_ASSERT_EQUAL_FATAL(x->responses_cnt, y->responses_cnt);
	for (int i = 0; i < x->responses_cnt; i++) {
		CK_STR(x->responses[i].name, y->responses[i].name);
		CU_ASSERT_EQUAL_FATAL(x->responses[i].partitions_cnt, y->responses[i].partitions_cnt);
		for (int j = 0; j < x->responses[i].partitions_cnt; j++) {
			CU_ASSERT_EQUAL(x->responses[i].partitions[j].partition_index,
					y->responses[i].partitions[j].partition_index);
			CU_ASSERT_EQUAL(x->responses[i].partitions[j].error_code,
					y->responses[i].partitions[j].error_code);
			CK_STR(x->responses[i].partitions[j].error_message,
			       y->responses[i].partitions[j].error_message);
		}
	}
}

static void lpr_req_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_list_partition_reassignments_req_t *r = o;
	(void)ver;
	sm_list_partition_reassignments_req_init(r);
	r->timeout_ms = 77;
	if (!variant)
		return; /* null topics: every reassignment */
	r->topics_cnt = 2;
	r->topics = sm_arena_alloc_array(a, 2, sizeof(*r->topics));
	for (int i = 0; i < 2; i++) {
		r->topics[i].name = S(a, "l", i);
		r->topics[i].partition_indexes_cnt = 2;
		r->topics[i].partition_indexes = i32s(a, 2, i);
	}
}

static void lpr_req_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_list_partition_reassignments_req_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->timeout_ms, y->timeout_ms);
	CU_ASSERT_EQUAL_FATAL(x->topics_cnt, y->topics_cnt);
	for (int i = 0; i < x->topics_cnt; i++) {
		CK_STR(x->topics[i].name, y->topics[i].name);
		ck_i32s(x->topics[i].partition_indexes, x->topics[i].partition_indexes_cnt,
			y->topics[i].partition_indexes, y->topics[i].partition_indexes_cnt);
	}
}

static void lpr_resp_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_list_partition_reassignments_resp_t *r = o;
	(void)ver;
	sm_list_partition_reassignments_resp_init(r);
	r->throttle_time_ms = 9;
	r->error_code = (int16_t)(variant ? 0 : 41);
	r->topics_cnt = variant ? 1 : 0;
	r->topics = sm_arena_alloc_array(a, r->topics_cnt, sizeof(*r->topics));
	for (int i = 0; i < r->topics_cnt; i++) {
		r->topics[i].name = S(a, "o", i);
		r->topics[i].partitions_cnt = 2;
		r->topics[i].partitions = sm_arena_alloc_array(a, 2, sizeof(*r->topics[i].partitions));
		for (int j = 0; j < 2; j++) {
			sm_list_partition_reassignments_resp_partition_t *p = &r->topics[i].partitions[j];
			p->partition_index = j;
			p->replicas = i32s(a, 3, j);
			p->replicas_cnt = 3;
			p->adding_replicas = i32s(a, 1, 100);
			p->adding_replicas_cnt = 1;
			p->removing_replicas_cnt = j;
			p->removing_replicas = i32s(a, j, 200);
		}
	}
}

static void lpr_resp_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_list_partition_reassignments_resp_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->throttle_time_ms, y->throttle_time_ms);
	CU_ASSERT_EQUAL(x->error_code, y->error_code);
	CU_ASSERT_EQUAL_FATAL(x->topics_cnt, y->topics_cnt);
	for (int i = 0; i < x->topics_cnt; i++) {
		CK_STR(x->topics[i].name, y->topics[i].name);
		CU_ASSERT_EQUAL_FATAL(x->topics[i].partitions_cnt, y->topics[i].partitions_cnt);
		for (int j = 0; j < x->topics[i].partitions_cnt; j++) {
			const sm_list_partition_reassignments_resp_partition_t *p = &x->topics[i].partitions[j], *q = &y->topics[i].partitions[j];
			CU_ASSERT_EQUAL(p->partition_index, q->partition_index);
			ck_i32s(p->replicas, p->replicas_cnt, q->replicas, q->replicas_cnt);
			ck_i32s(p->adding_replicas, p->adding_replicas_cnt, q->adding_replicas, q->adding_replicas_cnt);
			ck_i32s(p->removing_replicas, p->removing_replicas_cnt, q->removing_replicas,
				q->removing_replicas_cnt);
		}
	}
}

#define CODEC(nm, pfx, maxv, type, fn)                                                          \
	static const codec_t nm = {                                                              \
		.name = #fn, .max_ver = maxv, .size = sizeof(type), .fill = pfx##_fill,          \
		.write = (void (*)(sm_wbuf_t *, int16_t, const void *))sm_##fn##_write,          \
		.read = (int (*)(sm_rbuf_t *, int16_t, sm_arena_t *, void *))sm_##fn##_read,     \
		.cmp = pfx##_cmp }

CODEC(cp_req, cp_req, 3, sm_create_partitions_req_t, create_partitions_req);
CODEC(cp_resp, cp_resp, 3, sm_create_partitions_resp_t, create_partitions_resp);
CODEC(el_req, el_req, 2, sm_elect_leaders_req_t, elect_leaders_req);
CODEC(el_resp, el_resp, 2, sm_elect_leaders_resp_t, elect_leaders_resp);
CODEC(cs_req, cs_req, 3, sm_controlled_shutdown_req_t, controlled_shutdown_req);
CODEC(cs_resp, cs_resp, 3, sm_controlled_shutdown_resp_t, controlled_shutdown_resp);
CODEC(apr_req, apr_req, 0, sm_alter_partition_reassignments_req_t, alter_partition_reassignments_req);
CODEC(apr_resp, apr_resp, 0, sm_alter_partition_reassignments_resp_t, alter_partition_reassignments_resp);
CODEC(lpr_req, lpr_req, 0, sm_list_partition_reassignments_req_t, list_partition_reassignments_req);
CODEC(lpr_resp, lpr_resp, 0, sm_list_partition_reassignments_resp_t, list_partition_reassignments_resp);

static void test_rt_reassignments(void)
{
	roundtrip_all(&apr_req);
	roundtrip_all(&apr_resp);
	roundtrip_all(&lpr_req);
	roundtrip_all(&lpr_resp);
}

static void test_rt_create_partitions(void)
{
	roundtrip_all(&cp_req);
	roundtrip_all(&cp_resp);
}

static void test_rt_elect_leaders(void)
{
	roundtrip_all(&el_req);
	roundtrip_all(&el_resp);
}

static void test_rt_controlled_shutdown(void)
{
	roundtrip_all(&cs_req);
	roundtrip_all(&cs_resp);
}

/* The ranges above are the ones the dispatch table advertises. */
static void test_versions_match_table(void)
{
	CU_ASSERT(sm_proto_version_supported(SM_API_CREATE_PARTITIONS, 3));
	CU_ASSERT(!sm_proto_version_supported(SM_API_CREATE_PARTITIONS, 4));
	CU_ASSERT(sm_proto_version_supported(SM_API_ELECT_LEADERS, 2));
	CU_ASSERT(!sm_proto_version_supported(SM_API_ELECT_LEADERS, 3));
	CU_ASSERT(sm_proto_version_supported(SM_API_CONTROLLED_SHUTDOWN, 3));
	CU_ASSERT(!sm_proto_version_supported(SM_API_CONTROLLED_SHUTDOWN, 4));
	CU_ASSERT(sm_proto_is_flexible(SM_API_CREATE_PARTITIONS, 2));
	CU_ASSERT(!sm_proto_is_flexible(SM_API_CREATE_PARTITIONS, 1));
	CU_ASSERT(sm_proto_is_flexible(SM_API_ELECT_LEADERS, 2));
	CU_ASSERT(sm_proto_is_flexible(SM_API_CONTROLLED_SHUTDOWN, 3));
	CU_ASSERT(sm_proto_version_supported(SM_API_ALTER_PARTITION_REASSIGNMENTS, 0));
	CU_ASSERT(!sm_proto_version_supported(SM_API_ALTER_PARTITION_REASSIGNMENTS, 1));
	CU_ASSERT(sm_proto_is_flexible(SM_API_ALTER_PARTITION_REASSIGNMENTS, 0));
	CU_ASSERT(sm_proto_version_supported(SM_API_LIST_PARTITION_REASSIGNMENTS, 0));
	CU_ASSERT(!sm_proto_version_supported(SM_API_LIST_PARTITION_REASSIGNMENTS, 1));
	CU_ASSERT(sm_proto_is_flexible(SM_API_LIST_PARTITION_REASSIGNMENTS, 0));
}

/* Byte-exact encodings worked out from the schemas. */
static void test_known_encodings(void)
{
	sm_wbuf_t w;
	sm_arena_t a;
	sm_arena_init(&a);

	/* ElectLeaders v1, preferred, all partitions (null), timeout 1000. */
	sm_elect_leaders_req_t el;
	sm_elect_leaders_req_init(&el);
	el.topic_partitions_cnt = -1;
	el.timeout_ms = 1000;
	sm_wbuf_init(&w, 16);
	sm_elect_leaders_req_write(&w, 1, &el);
	static const uint8_t el1[] = { 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x03, 0xe8 };
	CU_ASSERT_EQUAL(w.len, sizeof(el1));
	CU_ASSERT(memcmp(w.p, el1, sizeof(el1)) == 0);
	sm_wbuf_free(&w);
	/* v2 (flexible): null compact array is varint 0, then tags. */
	sm_wbuf_init(&w, 16);
	sm_elect_leaders_req_write(&w, 2, &el);
	static const uint8_t el2[] = { 0, 0, 0, 0, 0x03, 0xe8, 0 };
	CU_ASSERT_EQUAL(w.len, sizeof(el2));
	CU_ASSERT(memcmp(w.p, el2, sizeof(el2)) == 0);
	sm_wbuf_free(&w);

	/* ControlledShutdown v3 request: id 2, epoch 5, empty tags. */
	static const uint8_t cs3[] = { 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 5, 0 };
	sm_rbuf_t rb;
	sm_controlled_shutdown_req_t cs;
	sm_rbuf_init(&rb, cs3, sizeof(cs3));
	CU_ASSERT_EQUAL(sm_controlled_shutdown_req_read(&rb, 3, &a, &cs), 0);
	CU_ASSERT_EQUAL(cs.broker_id, 2);
	CU_ASSERT_EQUAL(cs.broker_epoch, 5);
	/* v1 has no epoch: the default -1 stays. */
	sm_rbuf_init(&rb, cs3, 4);
	CU_ASSERT_EQUAL(sm_controlled_shutdown_req_read(&rb, 1, &a, &cs), 0);
	CU_ASSERT_EQUAL(cs.broker_epoch, -1);

	/* CreatePartitions v0: one topic "t" to 3 partitions, null assignments. */
	static const uint8_t cp0[] = { 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff,
				       0, 0, 0x75, 0x30, 1 };
	sm_create_partitions_req_t cp;
	sm_rbuf_init(&rb, cp0, sizeof(cp0));
	CU_ASSERT_EQUAL_FATAL(sm_create_partitions_req_read(&rb, 0, &a, &cp), 0);
	CU_ASSERT_EQUAL_FATAL(cp.topics_cnt, 1);
	CK_STR(cp.topics[0].name, "t");
	CU_ASSERT_EQUAL(cp.topics[0].count, 3);
	CU_ASSERT_EQUAL(cp.topics[0].assignments_cnt, -1);
	CU_ASSERT_EQUAL(cp.timeout_ms, 30000);
	CU_ASSERT_EQUAL(cp.validate_only, 1);
	/* AlterPartitionReassignments v0: timeout 1, topic "t", partition 2
	 * with null replicas (cancel); compact arrays count n+1. */
	static const uint8_t apr0[] = { 0, 0, 0, 1, 2, 2, 't', 2, 0, 0, 0, 2, 0, 0, 0, 0 };
	sm_alter_partition_reassignments_req_t apr;
	sm_rbuf_init(&rb, apr0, sizeof(apr0));
	CU_ASSERT_EQUAL_FATAL(sm_alter_partition_reassignments_req_read(&rb, 0, &a, &apr), 0);
	CU_ASSERT_EQUAL_FATAL(apr.topics_cnt, 1);
	CK_STR(apr.topics[0].name, "t");
	CU_ASSERT_EQUAL_FATAL(apr.topics[0].partitions_cnt, 1);
	CU_ASSERT_EQUAL(apr.topics[0].partitions[0].partition_index, 2);
	CU_ASSERT_EQUAL(apr.topics[0].partitions[0].replicas_cnt, -1);
	sm_arena_destroy(&a);
}

/* A count promising more elements than bytes remain fails before any
 * allocation; a null where the schema forbids it fails too. */
static void test_hostile_counts(void)
{
	sm_arena_t a;
	sm_rbuf_t rb;
	sm_arena_init(&a);
	static const uint8_t huge[] = { 0x7f, 0xff, 0xff, 0xff, 0, 0 };
	sm_create_partitions_req_t cp;
	sm_rbuf_init(&rb, huge, sizeof(huge));
	CU_ASSERT_EQUAL(sm_create_partitions_req_read(&rb, 0, &a, &cp), -1);
	sm_controlled_shutdown_resp_t cs;
	static const uint8_t cshuge[] = { 0, 0, 0x7f, 0xff, 0xff, 0xff };
	sm_rbuf_init(&rb, cshuge, sizeof(cshuge));
	CU_ASSERT_EQUAL(sm_controlled_shutdown_resp_read(&rb, 0, &a, &cs), -1);
	sm_elect_leaders_resp_t el;
	static const uint8_t elnull[] = { 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff };
	sm_rbuf_init(&rb, elnull, sizeof(elnull));
	CU_ASSERT_EQUAL(sm_elect_leaders_resp_read(&rb, 1, &a, &el), -1);
	static const uint8_t elneg[] = { 0, 0x80, 0, 0, 0, 0, 0, 0, 0 };
	sm_elect_leaders_req_t er;
	sm_rbuf_init(&rb, elneg, sizeof(elneg));
	CU_ASSERT_EQUAL(sm_elect_leaders_req_read(&rb, 1, &a, &er), -1);
	sm_arena_destroy(&a);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("msg_cluster_admin", NULL, NULL);
	CU_add_test(s, "CreatePartitions round trip, all versions", test_rt_create_partitions);
	CU_add_test(s, "ElectLeaders round trip, all versions", test_rt_elect_leaders);
	CU_add_test(s, "ControlledShutdown round trip, all versions", test_rt_controlled_shutdown);
	CU_add_test(s, "Alter/ListPartitionReassignments round trip", test_rt_reassignments);
	CU_add_test(s, "codec ranges match the API table", test_versions_match_table);
	CU_add_test(s, "known encodings", test_known_encodings);
	CU_add_test(s, "hostile counts", test_hostile_counts);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
