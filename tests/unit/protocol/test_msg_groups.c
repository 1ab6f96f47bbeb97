/*
 * test_msg_groups.c - unit tests of the group-coordination codecs
 * (FindCoordinator, JoinGroup, Heartbeat, LeaveGroup, SyncGroup,
 * DescribeGroups, ListGroups, OffsetCommit, OffsetFetch, DeleteGroups,
 * OffsetDelete): every version is filled with non-default values (variant 0)
 * and with nulls/empties (variant 1), written, read back, compared field by
 * field and written again byte for byte; every truncation must be refused;
 * plus known encodings, version quirks and hostile input.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "codec_roundtrip.h"
#include "msg_delete_groups.h"
#include "msg_describe_groups.h"
#include "msg_find_coordinator.h"
#include "msg_heartbeat.h"
#include "msg_join_group.h"
#include "msg_leave_group.h"
#include "msg_list_groups.h"
#include "msg_offset_commit.h"
#include "msg_offset_delete.h"
#include "msg_offset_fetch.h"
#include "msg_sync_group.h"
#include "protocol.h"

/* ---- generic harness ---- */

/* Opaque bytes whose content depends on i (length 3 + i). */
static sm_bytes_t B(sm_arena_t *a, int i)
{
	uint8_t *p = sm_arena_alloc(a, (size_t)(3 + i));
	for (int k = 0; k < 3 + i; k++)
		p[k] = (uint8_t)(0xa0 + i * 7 + k);
	return (sm_bytes_t){ p, 3 + i };
}

static sm_bytes_t EMPTY_BYTES(void)
{
	return (sm_bytes_t){ NULL, 0 };
}

static int bytes_eq(sm_bytes_t x, sm_bytes_t y)
{
	if (x.len != y.len)
		return 0;
	return x.len <= 0 || memcmp(x.ptr, y.ptr, (size_t)x.len) == 0;
}

#define CK_BYTES(x, y) CU_ASSERT(bytes_eq((x), (y)))

/* ---- FindCoordinator ---- */

static void fc_req_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_find_coordinator_req_t *r = o;
	sm_find_coordinator_req_init(r);
	r->key = variant ? sm_proto_empty_str(a) : "my-group";
	if (ver >= 1 && !variant)
		r->key_type = SM_COORDINATOR_TYPE_TRANSACTION;
}

static void fc_req_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_find_coordinator_req_t *x = xp, *y = yp;
	(void)ver;
	CK_STR(x->key, y->key);
	CU_ASSERT_EQUAL(x->key_type, y->key_type);
}

static void fc_resp_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_find_coordinator_resp_t *r = o;
	sm_find_coordinator_resp_init(r);
	if (ver >= 1) {
		r->throttle_time_ms = variant ? 0 : 321;
		r->error_message = variant ? NULL : "The coordinator is not available.";
	} else {
		/* Absent before v1: reads back as the schema default "". */
		r->error_message = "";
	}
	r->error_code = variant ? 0 : 15;
	r->node_id = variant ? -1 : 3;
	r->host = variant ? sm_proto_empty_str(a) : "broker-3.example";
	r->port = variant ? -1 : 9092;
}

static void fc_resp_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_find_coordinator_resp_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->throttle_time_ms, y->throttle_time_ms);
	CU_ASSERT_EQUAL(x->error_code, y->error_code);
	CK_STR(x->error_message, y->error_message);
	CU_ASSERT_EQUAL(x->node_id, y->node_id);
	CK_STR(x->host, y->host);
	CU_ASSERT_EQUAL(x->port, y->port);
}

/* ---- JoinGroup ---- */

static void jg_req_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_join_group_req_t *r = o;
	sm_join_group_req_init(r);
	r->group_id = "g1";
	r->session_timeout_ms = 10000;
	if (ver >= 1)
		r->rebalance_timeout_ms = variant ? -1 : 300000;
	r->member_id = variant ? sm_proto_empty_str(a) : "rdkafka-1234";
	if (ver >= 5 && !variant)
		r->group_instance_id = "instance-7";
	r->protocol_type = "consumer";
	r->protocols_cnt = variant ? 0 : 2;
	r->protocols = sm_arena_alloc_array(a, 2, sizeof(*r->protocols));
	for (int i = 0; i < r->protocols_cnt; i++) {
		r->protocols[i].name = S(a, "range", i);
		r->protocols[i].metadata = i ? EMPTY_BYTES() : B(a, i);
	}
}

static void jg_req_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_join_group_req_t *x = xp, *y = yp;
	(void)ver;
	CK_STR(x->group_id, y->group_id);
	CU_ASSERT_EQUAL(x->session_timeout_ms, y->session_timeout_ms);
	CU_ASSERT_EQUAL(x->rebalance_timeout_ms, y->rebalance_timeout_ms);
	CK_STR(x->member_id, y->member_id);
	CK_STR(x->group_instance_id, y->group_instance_id);
	CK_STR(x->protocol_type, y->protocol_type);
	CU_ASSERT_EQUAL_FATAL(x->protocols_cnt, y->protocols_cnt);
	for (int i = 0; i < x->protocols_cnt; i++) {
		CK_STR(x->protocols[i].name, y->protocols[i].name);
		CK_BYTES(x->protocols[i].metadata, y->protocols[i].metadata);
	}
}

static void jg_resp_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_join_group_resp_t *r = o;
	sm_join_group_resp_init(r);
	if (ver >= 2)
		r->throttle_time_ms = variant ? 0 : 55;
	r->error_code = variant ? 0 : 79;
	r->generation_id = variant ? -1 : 12;
	if (ver >= 7 && !variant)
		r->protocol_type = "consumer";
	r->protocol_name = (variant && ver >= 7) ? NULL : variant ? sm_proto_empty_str(a) : "range";
	r->leader = variant ? sm_proto_empty_str(a) : "m-0";
	r->member_id = variant ? sm_proto_empty_str(a) : "m-1";
	r->members_cnt = variant ? 0 : 3;
	r->members = sm_arena_alloc_array(a, 3, sizeof(*r->members));
	for (int i = 0; i < r->members_cnt; i++) {
		r->members[i].member_id = S(a, "m", i);
		if (ver >= 5 && i != 1)
			r->members[i].group_instance_id = S(a, "inst", i);
		r->members[i].metadata = i == 2 ? EMPTY_BYTES() : B(a, i);
	}
}

static void jg_resp_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_join_group_resp_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->throttle_time_ms, y->throttle_time_ms);
	CU_ASSERT_EQUAL(x->error_code, y->error_code);
	CU_ASSERT_EQUAL(x->generation_id, y->generation_id);
	CK_STR(x->protocol_type, y->protocol_type);
	CK_STR(x->protocol_name, y->protocol_name);
	CK_STR(x->leader, y->leader);
	CK_STR(x->member_id, y->member_id);
	CU_ASSERT_EQUAL_FATAL(x->members_cnt, y->members_cnt);
	for (int i = 0; i < x->members_cnt; i++) {
		CK_STR(x->members[i].member_id, y->members[i].member_id);
		CK_STR(x->members[i].group_instance_id, y->members[i].group_instance_id);
		CK_BYTES(x->members[i].metadata, y->members[i].metadata);
	}
}

/* ---- Heartbeat ---- */

static void hb_req_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_heartbeat_req_t *r = o;
	sm_heartbeat_req_init(r);
	r->group_id = variant ? sm_proto_empty_str(a) : "g1";
	r->generation_id = variant ? -1 : 4;
	r->member_id = variant ? sm_proto_empty_str(a) : "m-1";
	if (ver >= 3 && !variant)
		r->group_instance_id = "inst";
}

static void hb_req_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_heartbeat_req_t *x = xp, *y = yp;
	(void)ver;
	CK_STR(x->group_id, y->group_id);
	CU_ASSERT_EQUAL(x->generation_id, y->generation_id);
	CK_STR(x->member_id, y->member_id);
	CK_STR(x->group_instance_id, y->group_instance_id);
}

static void hb_resp_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_heartbeat_resp_t *r = o;
	(void)a;
	sm_heartbeat_resp_init(r);
	if (ver >= 1 && !variant)
		r->throttle_time_ms = 9;
	r->error_code = variant ? 0 : 27;
}

static void hb_resp_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_heartbeat_resp_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->throttle_time_ms, y->throttle_time_ms);
	CU_ASSERT_EQUAL(x->error_code, y->error_code);
}

/* ---- LeaveGroup ---- */

static void lg_req_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_leave_group_req_t *r = o;
	sm_leave_group_req_init(r);
	r->group_id = "g1";
	/* Before v3 a single member id, from v3 the batch. */
	if (ver < 3) {
		r->member_id = variant ? sm_proto_empty_str(a) : "m-0";
		return;
	}
	r->members_cnt = variant ? 0 : 3;
	r->members = sm_arena_alloc_array(a, 3, sizeof(*r->members));
	for (int i = 0; i < r->members_cnt; i++) {
		r->members[i].member_id = S(a, "m", i);
		if (i != 1)
			r->members[i].group_instance_id = S(a, "inst", i);
	}
}

static void lg_req_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_leave_group_req_t *x = xp, *y = yp;
	(void)ver;
	CK_STR(x->group_id, y->group_id);
	if (ver < 3)
		CK_STR(x->member_id, y->member_id);
	CU_ASSERT_EQUAL_FATAL(x->members_cnt, y->members_cnt);
	for (int i = 0; i < x->members_cnt; i++) {
		CK_STR(x->members[i].member_id, y->members[i].member_id);
		CK_STR(x->members[i].group_instance_id, y->members[i].group_instance_id);
	}
}

static void lg_resp_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_leave_group_resp_t *r = o;
	sm_leave_group_resp_init(r);
	if (ver >= 1 && !variant)
		r->throttle_time_ms = 17;
	r->error_code = variant ? 0 : 25;
	if (ver < 3 || variant)
		return;
	r->members_cnt = 2;
	r->members = sm_arena_alloc_array(a, 2, sizeof(*r->members));
	for (int i = 0; i < 2; i++) {
		r->members[i].member_id = S(a, "m", i);
		r->members[i].group_instance_id = i ? NULL : "inst";
		r->members[i].error_code = (int16_t)(i ? 82 : 0);
	}
}

static void lg_resp_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_leave_group_resp_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->throttle_time_ms, y->throttle_time_ms);
	CU_ASSERT_EQUAL(x->error_code, y->error_code);
	CU_ASSERT_EQUAL_FATAL(x->members_cnt, y->members_cnt);
	for (int i = 0; i < x->members_cnt; i++) {
		CK_STR(x->members[i].member_id, y->members[i].member_id);
		CK_STR(x->members[i].group_instance_id, y->members[i].group_instance_id);
		CU_ASSERT_EQUAL(x->members[i].error_code, y->members[i].error_code);
	}
}

/* ---- SyncGroup ---- */

static void sg_req_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_sync_group_req_t *r = o;
	sm_sync_group_req_init(r);
	r->group_id = "g1";
	r->generation_id = variant ? 0 : 8;
	r->member_id = variant ? sm_proto_empty_str(a) : "m-0";
	if (ver >= 3 && !variant)
		r->group_instance_id = "inst";
	if (ver >= 5 && !variant) {
		r->protocol_type = "consumer";
		r->protocol_name = "roundrobin";
	}
	r->assignments_cnt = variant ? 0 : 2;
	r->assignments = sm_arena_alloc_array(a, 2, sizeof(*r->assignments));
	for (int i = 0; i < r->assignments_cnt; i++) {
		r->assignments[i].member_id = S(a, "m", i);
		r->assignments[i].assignment = i ? EMPTY_BYTES() : B(a, 4);
	}
}

static void sg_req_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_sync_group_req_t *x = xp, *y = yp;
	(void)ver;
	CK_STR(x->group_id, y->group_id);
	CU_ASSERT_EQUAL(x->generation_id, y->generation_id);
	CK_STR(x->member_id, y->member_id);
	CK_STR(x->group_instance_id, y->group_instance_id);
	CK_STR(x->protocol_type, y->protocol_type);
	CK_STR(x->protocol_name, y->protocol_name);
	CU_ASSERT_EQUAL_FATAL(x->assignments_cnt, y->assignments_cnt);
	for (int i = 0; i < x->assignments_cnt; i++) {
		CK_STR(x->assignments[i].member_id, y->assignments[i].member_id);
		CK_BYTES(x->assignments[i].assignment, y->assignments[i].assignment);
	}
}

static void sg_resp_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_sync_group_resp_t *r = o;
	sm_sync_group_resp_init(r);
	if (ver >= 1 && !variant)
		r->throttle_time_ms = 3;
	r->error_code = variant ? 0 : 22;
	if (ver >= 5 && !variant) {
		r->protocol_type = "consumer";
		r->protocol_name = "range";
	}
	r->assignment = variant ? EMPTY_BYTES() : B(a, 9);
}

static void sg_resp_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_sync_group_resp_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->throttle_time_ms, y->throttle_time_ms);
	CU_ASSERT_EQUAL(x->error_code, y->error_code);
	CK_STR(x->protocol_type, y->protocol_type);
	CK_STR(x->protocol_name, y->protocol_name);
	CK_BYTES(x->assignment, y->assignment);
}

/* ---- DescribeGroups ---- */

static void dg_req_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_describe_groups_req_t *r = o;
	sm_describe_groups_req_init(r);
	r->groups_cnt = variant ? 0 : 3;
	r->groups = sm_arena_alloc_array(a, 3, sizeof(*r->groups));
	for (int i = 0; i < r->groups_cnt; i++)
		r->groups[i] = i == 1 ? sm_proto_empty_str(a) : S(a, "group", i);
	if (ver >= 3 && !variant)
		r->include_authorized_operations = 1;
}

static void dg_req_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_describe_groups_req_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL_FATAL(x->groups_cnt, y->groups_cnt);
	for (int i = 0; i < x->groups_cnt; i++)
		CK_STR(x->groups[i], y->groups[i]);
	CU_ASSERT_EQUAL(x->include_authorized_operations, y->include_authorized_operations);
}

static void dg_group_fill(sm_arena_t *a, int16_t ver, int i, sm_describe_groups_resp_group_t *g)
{
	sm_describe_groups_resp_group_init(g);
	g->error_code = (int16_t)(i ? 16 : 0);
	g->group_id = S(a, "group", i);
	g->group_state = i ? "Dead" : "Stable";
	g->protocol_type = i ? sm_proto_empty_str(a) : "consumer";
	g->protocol_data = i ? sm_proto_empty_str(a) : "range";
	g->members_cnt = i ? 0 : 2;
	g->members = sm_arena_alloc_array(a, 2, sizeof(*g->members));
	for (int k = 0; k < g->members_cnt; k++) {
		sm_describe_groups_resp_member_t *m = &g->members[k];
		m->member_id = S(a, "m", k);
		if (ver >= 4 && k == 0)
			m->group_instance_id = "inst-0";
		m->client_id = S(a, "client", k);
		m->client_host = "/127.0.0.1";
		m->member_metadata = B(a, k);
		m->member_assignment = k ? EMPTY_BYTES() : B(a, 5);
	}
	if (ver >= 3)
		g->authorized_operations = i ? SM_DESCRIBE_GROUPS_AUTHZ_OPS_NONE : 0x2f8;
}

static void dg_resp_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_describe_groups_resp_t *r = o;
	sm_describe_groups_resp_init(r);
	if (ver >= 1 && !variant)
		r->throttle_time_ms = 100;
	r->groups_cnt = variant ? 0 : 2;
	r->groups = sm_arena_alloc_array(a, 2, sizeof(*r->groups));
	for (int i = 0; i < r->groups_cnt; i++)
		dg_group_fill(a, ver, i, &r->groups[i]);
}

static void dg_resp_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_describe_groups_resp_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->throttle_time_ms, y->throttle_time_ms);
	CU_ASSERT_EQUAL_FATAL(x->groups_cnt, y->groups_cnt);
	for (int i = 0; i < x->groups_cnt; i++) {
		const sm_describe_groups_resp_group_t *gx = &x->groups[i], *gy = &y->groups[i];
		CU_ASSERT_EQUAL(gx->error_code, gy->error_code);
		CK_STR(gx->group_id, gy->group_id);
		CK_STR(gx->group_state, gy->group_state);
		CK_STR(gx->protocol_type, gy->protocol_type);
		CK_STR(gx->protocol_data, gy->protocol_data);
		CU_ASSERT_EQUAL(gx->authorized_operations, gy->authorized_operations);
		CU_ASSERT_EQUAL_FATAL(gx->members_cnt, gy->members_cnt);
		for (int k = 0; k < gx->members_cnt; k++) {
			const sm_describe_groups_resp_member_t *mx = &gx->members[k];
			const sm_describe_groups_resp_member_t *my = &gy->members[k];
			CK_STR(mx->member_id, my->member_id);
			CK_STR(mx->group_instance_id, my->group_instance_id);
			CK_STR(mx->client_id, my->client_id);
			CK_STR(mx->client_host, my->client_host);
			CK_BYTES(mx->member_metadata, my->member_metadata);
			CK_BYTES(mx->member_assignment, my->member_assignment);
		}
	}
}

/* ---- ListGroups ---- */

static void lsg_req_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_list_groups_req_t *r = o;
	sm_list_groups_req_init(r);
	if (ver < 4 || variant)
		return;
	r->states_filter_cnt = 2;
	r->states_filter = sm_arena_alloc_array(a, 2, sizeof(*r->states_filter));
	r->states_filter[0] = "Stable";
	r->states_filter[1] = "PreparingRebalance";
}

static void lsg_req_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_list_groups_req_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL_FATAL(x->states_filter_cnt, y->states_filter_cnt);
	for (int i = 0; i < x->states_filter_cnt; i++)
		CK_STR(x->states_filter[i], y->states_filter[i]);
}

static void lsg_resp_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_list_groups_resp_t *r = o;
	sm_list_groups_resp_init(r);
	if (ver >= 1 && !variant)
		r->throttle_time_ms = 8;
	r->error_code = variant ? 0 : 15;
	r->groups_cnt = variant ? 0 : 2;
	r->groups = sm_arena_alloc_array(a, 2, sizeof(*r->groups));
	for (int i = 0; i < r->groups_cnt; i++) {
		r->groups[i].group_id = S(a, "g", i);
		r->groups[i].protocol_type = i ? sm_proto_empty_str(a) : "consumer";
		r->groups[i].group_state = ver >= 4 ? (i ? "Empty" : "Stable") : "";
	}
}

static void lsg_resp_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_list_groups_resp_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->throttle_time_ms, y->throttle_time_ms);
	CU_ASSERT_EQUAL(x->error_code, y->error_code);
	CU_ASSERT_EQUAL_FATAL(x->groups_cnt, y->groups_cnt);
	for (int i = 0; i < x->groups_cnt; i++) {
		CK_STR(x->groups[i].group_id, y->groups[i].group_id);
		CK_STR(x->groups[i].protocol_type, y->groups[i].protocol_type);
		CK_STR(x->groups[i].group_state, y->groups[i].group_state);
	}
}

/* ---- OffsetCommit ---- */

static void oc_req_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_offset_commit_req_t *r = o;
	sm_offset_commit_req_init(r);
	r->group_id = "g1";
	r->member_id = sm_proto_empty_str(a);
	if (ver >= 1 && !variant) {
		r->generation_id = 6;
		r->member_id = "m-0";
	}
	if (ver >= 7 && !variant)
		r->group_instance_id = "inst";
	if (ver >= 2 && ver <= 4 && !variant)
		r->retention_time_ms = 86400000;
	r->topics_cnt = variant ? 0 : 2;
	r->topics = sm_arena_alloc_array(a, 2, sizeof(*r->topics));
	for (int i = 0; i < r->topics_cnt; i++) {
		sm_offset_commit_req_topic_t *t = &r->topics[i];
		t->name = S(a, "topic", i);
		t->partitions_cnt = i ? 0 : 2;
		t->partitions = sm_arena_alloc_array(a, 2, sizeof(*t->partitions));
		for (int k = 0; k < t->partitions_cnt; k++) {
			sm_offset_commit_req_partition_t *p = &t->partitions[k];
			sm_offset_commit_req_partition_init(p);
			p->partition_index = k + 4;
			p->committed_offset = 1000000000000LL + k;
			if (ver >= 6)
				p->committed_leader_epoch = 5 + k;
			if (ver == 1)
				p->commit_timestamp = 1700000000000LL + k;
			p->committed_metadata = k ? NULL : "meta";
		}
	}
}

static void oc_req_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_offset_commit_req_t *x = xp, *y = yp;
	(void)ver;
	CK_STR(x->group_id, y->group_id);
	CU_ASSERT_EQUAL(x->generation_id, y->generation_id);
	CK_STR(x->member_id, y->member_id);
	CK_STR(x->group_instance_id, y->group_instance_id);
	CU_ASSERT_EQUAL(x->retention_time_ms, y->retention_time_ms);
	CU_ASSERT_EQUAL_FATAL(x->topics_cnt, y->topics_cnt);
	for (int i = 0; i < x->topics_cnt; i++) {
		CK_STR(x->topics[i].name, y->topics[i].name);
		CU_ASSERT_EQUAL_FATAL(x->topics[i].partitions_cnt, y->topics[i].partitions_cnt);
		for (int k = 0; k < x->topics[i].partitions_cnt; k++) {
			const sm_offset_commit_req_partition_t *px = &x->topics[i].partitions[k];
			const sm_offset_commit_req_partition_t *py = &y->topics[i].partitions[k];
			CU_ASSERT_EQUAL(px->partition_index, py->partition_index);
			CU_ASSERT_EQUAL(px->committed_offset, py->committed_offset);
			CU_ASSERT_EQUAL(px->committed_leader_epoch, py->committed_leader_epoch);
			CU_ASSERT_EQUAL(px->commit_timestamp, py->commit_timestamp);
			CK_STR(px->committed_metadata, py->committed_metadata);
		}
	}
}

static void oc_resp_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_offset_commit_resp_t *r = o;
	sm_offset_commit_resp_init(r);
	if (ver >= 3 && !variant)
		r->throttle_time_ms = 44;
	r->topics_cnt = variant ? 0 : 2;
	r->topics = sm_arena_alloc_array(a, 2, sizeof(*r->topics));
	for (int i = 0; i < r->topics_cnt; i++) {
		sm_offset_commit_resp_topic_t *t = &r->topics[i];
		t->name = S(a, "topic", i);
		t->partitions_cnt = i ? 0 : 3;
		t->partitions = sm_arena_alloc_array(a, 3, sizeof(*t->partitions));
		for (int k = 0; k < t->partitions_cnt; k++) {
			t->partitions[k].partition_index = k;
			t->partitions[k].error_code = (int16_t)(k * 11);
		}
	}
}

static void oc_resp_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_offset_commit_resp_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->throttle_time_ms, y->throttle_time_ms);
	CU_ASSERT_EQUAL_FATAL(x->topics_cnt, y->topics_cnt);
	for (int i = 0; i < x->topics_cnt; i++) {
		CK_STR(x->topics[i].name, y->topics[i].name);
		CU_ASSERT_EQUAL_FATAL(x->topics[i].partitions_cnt, y->topics[i].partitions_cnt);
		for (int k = 0; k < x->topics[i].partitions_cnt; k++) {
			CU_ASSERT_EQUAL(x->topics[i].partitions[k].partition_index,
					y->topics[i].partitions[k].partition_index);
			CU_ASSERT_EQUAL(x->topics[i].partitions[k].error_code,
					y->topics[i].partitions[k].error_code);
		}
	}
}

/* ---- OffsetFetch ---- */

static void of_req_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_offset_fetch_req_t *r = o;
	sm_offset_fetch_req_init(r);
	r->group_id = "g1";
	if (variant) {
		r->topics_cnt = ver >= 2 ? -1 : 0;
		return;
	}
	r->topics_cnt = 2;
	r->topics = sm_arena_alloc_array(a, 2, sizeof(*r->topics));
	for (int i = 0; i < 2; i++) {
		r->topics[i].name = S(a, "topic", i);
		r->topics[i].partition_indexes_cnt = i ? 0 : 3;
		r->topics[i].partition_indexes = sm_arena_alloc_array(a, 3, sizeof(int32_t));
		for (int k = 0; k < r->topics[i].partition_indexes_cnt; k++)
			r->topics[i].partition_indexes[k] = k * 2 + 1;
	}
	if (ver >= 7)
		r->require_stable = 1;
}

static void of_req_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_offset_fetch_req_t *x = xp, *y = yp;
	(void)ver;
	CK_STR(x->group_id, y->group_id);
	CU_ASSERT_EQUAL(x->require_stable, y->require_stable);
	CU_ASSERT_EQUAL_FATAL(x->topics_cnt, y->topics_cnt);
	for (int i = 0; i < x->topics_cnt; i++) {
		const sm_offset_fetch_req_topic_t *tx = &x->topics[i], *ty = &y->topics[i];
		CK_STR(tx->name, ty->name);
		CU_ASSERT_EQUAL_FATAL(tx->partition_indexes_cnt, ty->partition_indexes_cnt);
		for (int k = 0; k < tx->partition_indexes_cnt; k++)
			CU_ASSERT_EQUAL(tx->partition_indexes[k], ty->partition_indexes[k]);
	}
}

static void of_resp_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_offset_fetch_resp_t *r = o;
	sm_offset_fetch_resp_init(r);
	if (ver >= 3 && !variant)
		r->throttle_time_ms = 12;
	if (ver >= 2 && !variant)
		r->error_code = 14;
	r->topics_cnt = variant ? 0 : 2;
	r->topics = sm_arena_alloc_array(a, 2, sizeof(*r->topics));
	for (int i = 0; i < r->topics_cnt; i++) {
		sm_offset_fetch_resp_topic_t *t = &r->topics[i];
		t->name = S(a, "topic", i);
		t->partitions_cnt = i ? 0 : 2;
		t->partitions = sm_arena_alloc_array(a, 2, sizeof(*t->partitions));
		for (int k = 0; k < t->partitions_cnt; k++) {
			sm_offset_fetch_resp_partition_t *p = &t->partitions[k];
			sm_offset_fetch_resp_partition_init(p);
			p->partition_index = k;
			p->committed_offset = k ? -1 : 123456789012LL;
			if (ver >= 5)
				p->committed_leader_epoch = k ? -1 : 9;
			p->metadata = k ? NULL : "meta";
			p->error_code = (int16_t)(k ? 3 : 0);
		}
	}
}

static void of_resp_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_offset_fetch_resp_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->throttle_time_ms, y->throttle_time_ms);
	CU_ASSERT_EQUAL(x->error_code, y->error_code);
	CU_ASSERT_EQUAL_FATAL(x->topics_cnt, y->topics_cnt);
	for (int i = 0; i < x->topics_cnt; i++) {
		CK_STR(x->topics[i].name, y->topics[i].name);
		CU_ASSERT_EQUAL_FATAL(x->topics[i].partitions_cnt, y->topics[i].partitions_cnt);
		for (int k = 0; k < x->topics[i].partitions_cnt; k++) {
			const sm_offset_fetch_resp_partition_t *px = &x->topics[i].partitions[k];
			const sm_offset_fetch_resp_partition_t *py = &y->topics[i].partitions[k];
			CU_ASSERT_EQUAL(px->partition_index, py->partition_index);
			CU_ASSERT_EQUAL(px->committed_offset, py->committed_offset);
			CU_ASSERT_EQUAL(px->committed_leader_epoch, py->committed_leader_epoch);
			CK_STR(px->metadata, py->metadata);
			CU_ASSERT_EQUAL(px->error_code, py->error_code);
		}
	}
}

/* ---- DeleteGroups ---- */

static void dlg_req_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_delete_groups_req_t *r = o;
	(void)ver;
	sm_delete_groups_req_init(r);
	r->groups_names_cnt = variant ? 0 : 2;
	r->groups_names = sm_arena_alloc_array(a, 2, sizeof(*r->groups_names));
	for (int i = 0; i < r->groups_names_cnt; i++)
		r->groups_names[i] = S(a, "g", i);
}

static void dlg_req_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_delete_groups_req_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL_FATAL(x->groups_names_cnt, y->groups_names_cnt);
	for (int i = 0; i < x->groups_names_cnt; i++)
		CK_STR(x->groups_names[i], y->groups_names[i]);
}

static void dlg_resp_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_delete_groups_resp_t *r = o;
	(void)ver;
	sm_delete_groups_resp_init(r);
	r->throttle_time_ms = variant ? 0 : 7;
	r->results_cnt = variant ? 0 : 2;
	r->results = sm_arena_alloc_array(a, 2, sizeof(*r->results));
	for (int i = 0; i < r->results_cnt; i++) {
		r->results[i].group_id = S(a, "g", i);
		r->results[i].error_code = (int16_t)(i ? 68 : 0);
	}
}

static void dlg_resp_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_delete_groups_resp_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->throttle_time_ms, y->throttle_time_ms);
	CU_ASSERT_EQUAL_FATAL(x->results_cnt, y->results_cnt);
	for (int i = 0; i < x->results_cnt; i++) {
		CK_STR(x->results[i].group_id, y->results[i].group_id);
		CU_ASSERT_EQUAL(x->results[i].error_code, y->results[i].error_code);
	}
}

/* ---- OffsetDelete ---- */

static void od_req_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_offset_delete_req_t *r = o;
	(void)ver;
	sm_offset_delete_req_init(r);
	r->group_id = variant ? sm_proto_empty_str(a) : "g1";
	r->topics_cnt = variant ? 0 : 2;
	r->topics = sm_arena_alloc_array(a, 2, sizeof(*r->topics));
	for (int i = 0; i < r->topics_cnt; i++) {
		r->topics[i].name = S(a, "topic", i);
		r->topics[i].partitions_cnt = i ? 0 : 2;
		r->topics[i].partitions = sm_arena_alloc_array(a, 2, sizeof(int32_t));
		for (int k = 0; k < r->topics[i].partitions_cnt; k++)
			r->topics[i].partitions[k].partition_index = 10 + k;
	}
}

static void od_req_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_offset_delete_req_t *x = xp, *y = yp;
	(void)ver;
	CK_STR(x->group_id, y->group_id);
	CU_ASSERT_EQUAL_FATAL(x->topics_cnt, y->topics_cnt);
	for (int i = 0; i < x->topics_cnt; i++) {
		CK_STR(x->topics[i].name, y->topics[i].name);
		CU_ASSERT_EQUAL_FATAL(x->topics[i].partitions_cnt, y->topics[i].partitions_cnt);
		for (int k = 0; k < x->topics[i].partitions_cnt; k++)
			CU_ASSERT_EQUAL(x->topics[i].partitions[k].partition_index,
					y->topics[i].partitions[k].partition_index);
	}
}

static void od_resp_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_offset_delete_resp_t *r = o;
	(void)ver;
	sm_offset_delete_resp_init(r);
	r->error_code = variant ? 0 : 69;
	r->throttle_time_ms = variant ? 0 : 5;
	r->topics_cnt = variant ? 0 : 2;
	r->topics = sm_arena_alloc_array(a, 2, sizeof(*r->topics));
	for (int i = 0; i < r->topics_cnt; i++) {
		r->topics[i].name = S(a, "topic", i);
		r->topics[i].partitions_cnt = i ? 0 : 2;
		r->topics[i].partitions = sm_arena_alloc_array(a, 2, sizeof(*r->topics[i].partitions));
		for (int k = 0; k < r->topics[i].partitions_cnt; k++) {
			r->topics[i].partitions[k].partition_index = k;
			r->topics[i].partitions[k].error_code = (int16_t)(k ? 86 : 0);
		}
	}
}

static void od_resp_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_offset_delete_resp_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->error_code, y->error_code);
	CU_ASSERT_EQUAL(x->throttle_time_ms, y->throttle_time_ms);
	CU_ASSERT_EQUAL_FATAL(x->topics_cnt, y->topics_cnt);
	for (int i = 0; i < x->topics_cnt; i++) {
		CK_STR(x->topics[i].name, y->topics[i].name);
		CU_ASSERT_EQUAL_FATAL(x->topics[i].partitions_cnt, y->topics[i].partitions_cnt);
		for (int k = 0; k < x->topics[i].partitions_cnt; k++) {
			CU_ASSERT_EQUAL(x->topics[i].partitions[k].partition_index,
					y->topics[i].partitions[k].partition_index);
			CU_ASSERT_EQUAL(x->topics[i].partitions[k].error_code,
					y->topics[i].partitions[k].error_code);
		}
	}
}

/* Typed codec functions adapted to the harness's void * signatures. */
CODEC_GLUE(fc_req, sm_find_coordinator_req, sm_find_coordinator_req_t)
CODEC_GLUE(fc_resp, sm_find_coordinator_resp, sm_find_coordinator_resp_t)
CODEC_GLUE(jg_req, sm_join_group_req, sm_join_group_req_t)
CODEC_GLUE(jg_resp, sm_join_group_resp, sm_join_group_resp_t)
CODEC_GLUE(hb_req, sm_heartbeat_req, sm_heartbeat_req_t)
CODEC_GLUE(hb_resp, sm_heartbeat_resp, sm_heartbeat_resp_t)
CODEC_GLUE(lg_req, sm_leave_group_req, sm_leave_group_req_t)
CODEC_GLUE(lg_resp, sm_leave_group_resp, sm_leave_group_resp_t)
CODEC_GLUE(sg_req, sm_sync_group_req, sm_sync_group_req_t)
CODEC_GLUE(sg_resp, sm_sync_group_resp, sm_sync_group_resp_t)
CODEC_GLUE(dg_req, sm_describe_groups_req, sm_describe_groups_req_t)
CODEC_GLUE(dg_resp, sm_describe_groups_resp, sm_describe_groups_resp_t)
CODEC_GLUE(lsg_req, sm_list_groups_req, sm_list_groups_req_t)
CODEC_GLUE(lsg_resp, sm_list_groups_resp, sm_list_groups_resp_t)
CODEC_GLUE(oc_req, sm_offset_commit_req, sm_offset_commit_req_t)
CODEC_GLUE(oc_resp, sm_offset_commit_resp, sm_offset_commit_resp_t)
CODEC_GLUE(of_req, sm_offset_fetch_req, sm_offset_fetch_req_t)
CODEC_GLUE(of_resp, sm_offset_fetch_resp, sm_offset_fetch_resp_t)
CODEC_GLUE(dlg_req, sm_delete_groups_req, sm_delete_groups_req_t)
CODEC_GLUE(dlg_resp, sm_delete_groups_resp, sm_delete_groups_resp_t)
CODEC_GLUE(od_req, sm_offset_delete_req, sm_offset_delete_req_t)
CODEC_GLUE(od_resp, sm_offset_delete_resp, sm_offset_delete_resp_t)

#define CODEC(pfx, label, key, maxv, type) \
	{ label, key, maxv, sizeof(type), pfx##_fill, pfx##_write, pfx##_read, pfx##_cmp }

static const codec_t codecs[] = {
	CODEC(fc_req, "FindCoordinatorRequest", SM_API_FIND_COORDINATOR, 3,
	      sm_find_coordinator_req_t),
	CODEC(fc_resp, "FindCoordinatorResponse", SM_API_FIND_COORDINATOR, 3,
	      sm_find_coordinator_resp_t),
	CODEC(jg_req, "JoinGroupRequest", SM_API_JOIN_GROUP, 7, sm_join_group_req_t),
	CODEC(jg_resp, "JoinGroupResponse", SM_API_JOIN_GROUP, 7, sm_join_group_resp_t),
	CODEC(hb_req, "HeartbeatRequest", SM_API_HEARTBEAT, 4, sm_heartbeat_req_t),
	CODEC(hb_resp, "HeartbeatResponse", SM_API_HEARTBEAT, 4, sm_heartbeat_resp_t),
	CODEC(lg_req, "LeaveGroupRequest", SM_API_LEAVE_GROUP, 4, sm_leave_group_req_t),
	CODEC(lg_resp, "LeaveGroupResponse", SM_API_LEAVE_GROUP, 4, sm_leave_group_resp_t),
	CODEC(sg_req, "SyncGroupRequest", SM_API_SYNC_GROUP, 5, sm_sync_group_req_t),
	CODEC(sg_resp, "SyncGroupResponse", SM_API_SYNC_GROUP, 5, sm_sync_group_resp_t),
	CODEC(dg_req, "DescribeGroupsRequest", SM_API_DESCRIBE_GROUPS, 5,
	      sm_describe_groups_req_t),
	CODEC(dg_resp, "DescribeGroupsResponse", SM_API_DESCRIBE_GROUPS, 5,
	      sm_describe_groups_resp_t),
	CODEC(lsg_req, "ListGroupsRequest", SM_API_LIST_GROUPS, 4, sm_list_groups_req_t),
	CODEC(lsg_resp, "ListGroupsResponse", SM_API_LIST_GROUPS, 4, sm_list_groups_resp_t),
	CODEC(oc_req, "OffsetCommitRequest", SM_API_OFFSET_COMMIT, 8, sm_offset_commit_req_t),
	CODEC(oc_resp, "OffsetCommitResponse", SM_API_OFFSET_COMMIT, 8, sm_offset_commit_resp_t),
	CODEC(of_req, "OffsetFetchRequest", SM_API_OFFSET_FETCH, 7, sm_offset_fetch_req_t),
	CODEC(of_resp, "OffsetFetchResponse", SM_API_OFFSET_FETCH, 7, sm_offset_fetch_resp_t),
	CODEC(dlg_req, "DeleteGroupsRequest", SM_API_DELETE_GROUPS, 2, sm_delete_groups_req_t),
	CODEC(dlg_resp, "DeleteGroupsResponse", SM_API_DELETE_GROUPS, 2, sm_delete_groups_resp_t),
	CODEC(od_req, "OffsetDeleteRequest", SM_API_OFFSET_DELETE, 0, sm_offset_delete_req_t),
	CODEC(od_resp, "OffsetDeleteResponse", SM_API_OFFSET_DELETE, 0, sm_offset_delete_resp_t),
};
#define NCODECS (sizeof(codecs) / sizeof(codecs[0]))

static void test_roundtrip_all(void)
{
	for (size_t i = 0; i < NCODECS; i++)
		roundtrip_all(&codecs[i]);
}

/* Each codec covers exactly the 2.8 range and flips to compact encodings at
 * the version the API table says. */
static void test_versions_match_table(void)
{
	for (size_t i = 0; i < NCODECS; i++) {
		const sm_api_info_t *info = sm_proto_api(codecs[i].api_key);
		CU_ASSERT_PTR_NOT_NULL_FATAL(info);
		CU_ASSERT_EQUAL(codecs[i].max_ver, info->max_ver);
		CU_ASSERT_EQUAL(info->min_ver, 0);
	}
}

/* ---- known encodings ---- */

static void ck_wbuf(const sm_wbuf_t *w, const uint8_t *exp, size_t n)
{
	CU_ASSERT_EQUAL(w->len, n);
	CU_ASSERT(w->len == n && memcmp(w->p, exp, n) == 0);
}

static void test_known_find_coordinator(void)
{
	sm_arena_t a;
	sm_wbuf_t w;
	sm_rbuf_t rb;
	sm_find_coordinator_req_t q;
	sm_find_coordinator_resp_t r;

	sm_arena_init(&a);
	/* v0: just the key. */
	static const uint8_t v0[] = { 0, 2, 'g', '1' };
	sm_rbuf_init(&rb, v0, sizeof(v0));
	CU_ASSERT_EQUAL_FATAL(sm_find_coordinator_req_read(&rb, 0, &a, &q), 0);
	CU_ASSERT_STRING_EQUAL(q.key, "g1");
	CU_ASSERT_EQUAL(q.key_type, SM_COORDINATOR_TYPE_GROUP);
	/* v3: compact key, key type, empty tags. */
	static const uint8_t v3[] = { 3, 'g', '1', 1, 0 };
	sm_rbuf_init(&rb, v3, sizeof(v3));
	CU_ASSERT_EQUAL_FATAL(sm_find_coordinator_req_read(&rb, 3, &a, &q), 0);
	CU_ASSERT_EQUAL(q.key_type, SM_COORDINATOR_TYPE_TRANSACTION);

	/* v3 response: throttle, error, null message, node, host, port, tags. */
	sm_find_coordinator_resp_init(&r);
	r.node_id = 1;
	r.host = "h";
	r.port = 9092;
	sm_wbuf_init(&w, 32);
	sm_find_coordinator_resp_write(&w, 3, &r);
	static const uint8_t exp[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 'h',
				       0, 0, 0x23, 0x84, 0 };
	ck_wbuf(&w, exp, sizeof(exp));
	sm_wbuf_free(&w);
	sm_arena_destroy(&a);
}

/* LeaveGroup v0-2 carry one member id and no batch; the batch (v3+) is not
 * written before v3. The handler folds the single id into a batch. */
static void test_leave_group_single_member(void)
{
	sm_arena_t a;
	sm_wbuf_t w;
	sm_rbuf_t rb;
	sm_leave_group_req_t q;
	static const uint8_t v1[] = { 0, 2, 'g', '1', 0, 3, 'm', '-', '1' };

	sm_arena_init(&a);
	sm_rbuf_init(&rb, v1, sizeof(v1));
	CU_ASSERT_EQUAL_FATAL(sm_leave_group_req_read(&rb, 1, &a, &q), 0);
	CU_ASSERT_STRING_EQUAL(q.member_id, "m-1");
	CU_ASSERT_EQUAL(q.members_cnt, 0);

	/* A batch set at v2 is not on the wire. */
	sm_leave_group_req_member_t two[2] = { { "m-2", NULL }, { "m-3", "i" } };
	q.members = two;
	q.members_cnt = 2;
	sm_wbuf_init(&w, 32);
	sm_leave_group_req_write(&w, 2, &q);
	ck_wbuf(&w, v1, sizeof(v1));
	sm_wbuf_free(&w);
	sm_arena_destroy(&a);
}

/* Absent fields read as their schema defaults. */
static void test_defaults_of_absent_fields(void)
{
	sm_arena_t a;
	sm_rbuf_t rb;

	sm_arena_init(&a);
	/* JoinGroup v0: no rebalance timeout, no instance id. */
	static const uint8_t jg0[] = { 0, 1, 'g', 0, 0, 0x27, 0x10, 0, 0, 0, 8, 'c', 'o', 'n', 's',
				       'u', 'm', 'e', 'r', 0, 0, 0, 0 };
	sm_join_group_req_t jq;
	sm_rbuf_init(&rb, jg0, sizeof(jg0));
	CU_ASSERT_EQUAL_FATAL(sm_join_group_req_read(&rb, 0, &a, &jq), 0);
	CU_ASSERT_EQUAL(jq.session_timeout_ms, 10000);
	CU_ASSERT_EQUAL(jq.rebalance_timeout_ms, -1);
	CU_ASSERT_STRING_EQUAL(jq.member_id, "");
	CU_ASSERT_PTR_NULL(jq.group_instance_id);
	CU_ASSERT_STRING_EQUAL(jq.protocol_type, "consumer");
	CU_ASSERT_EQUAL(jq.protocols_cnt, 0);

	/* OffsetCommit v0: no generation/member, no retention; partition
	 * without leader epoch or timestamp. */
	static const uint8_t oc0[] = { 0, 1, 'g', 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1,
				       0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 42, 0xff, 0xff };
	sm_offset_commit_req_t oq;
	sm_rbuf_init(&rb, oc0, sizeof(oc0));
	CU_ASSERT_EQUAL_FATAL(sm_offset_commit_req_read(&rb, 0, &a, &oq), 0);
	CU_ASSERT_EQUAL(oq.generation_id, -1);
	CU_ASSERT_STRING_EQUAL(oq.member_id, "");
	CU_ASSERT_EQUAL(oq.retention_time_ms, -1);
	CU_ASSERT_EQUAL_FATAL(oq.topics_cnt, 1);
	CU_ASSERT_EQUAL_FATAL(oq.topics[0].partitions_cnt, 1);
	CU_ASSERT_EQUAL(oq.topics[0].partitions[0].partition_index, 2);
	CU_ASSERT_EQUAL(oq.topics[0].partitions[0].committed_offset, 42);
	CU_ASSERT_EQUAL(oq.topics[0].partitions[0].committed_leader_epoch, -1);
	CU_ASSERT_EQUAL(oq.topics[0].partitions[0].commit_timestamp, -1);
	CU_ASSERT_PTR_NULL(oq.topics[0].partitions[0].committed_metadata);

	/* OffsetFetch v1 response: no top-level error, no leader epoch. */
	static const uint8_t of1[] = { 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 0, 0, 0,
				       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				       0, 0, 0, 0 };
	sm_offset_fetch_resp_t fr;
	sm_rbuf_init(&rb, of1, sizeof(of1));
	CU_ASSERT_EQUAL_FATAL(sm_offset_fetch_resp_read(&rb, 1, &a, &fr), 0);
	CU_ASSERT_EQUAL(fr.error_code, 0);
	CU_ASSERT_EQUAL_FATAL(fr.topics_cnt, 1);
	CU_ASSERT_EQUAL(fr.topics[0].partitions[0].committed_offset, -1);
	CU_ASSERT_EQUAL(fr.topics[0].partitions[0].committed_leader_epoch, -1);
	CU_ASSERT_STRING_EQUAL(fr.topics[0].partitions[0].metadata, "");

	/* DescribeGroups v2 group: authorized operations not requested. */
	static const uint8_t dg2[] = { 0, 0, 0, 0, 0, 0, 0, 1, 0, 16, 0, 1, 'g',
				       0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	sm_describe_groups_resp_t dr;
	sm_rbuf_init(&rb, dg2, sizeof(dg2));
	CU_ASSERT_EQUAL_FATAL(sm_describe_groups_resp_read(&rb, 2, &a, &dr), 0);
	CU_ASSERT_EQUAL_FATAL(dr.groups_cnt, 1);
	CU_ASSERT_EQUAL(dr.groups[0].error_code, 16);
	CU_ASSERT_EQUAL(dr.groups[0].authorized_operations, INT32_MIN);

	/* ListGroups v3 group: state absent reads as "". */
	static const uint8_t lg3[] = { 0, 0, 0, 0, 0, 0, 2, 2, 'g', 9, 'c', 'o', 'n', 's', 'u',
				       'm', 'e', 'r', 0, 0 };
	sm_list_groups_resp_t lr;
	sm_rbuf_init(&rb, lg3, sizeof(lg3));
	CU_ASSERT_EQUAL_FATAL(sm_list_groups_resp_read(&rb, 3, &a, &lr), 0);
	CU_ASSERT_EQUAL_FATAL(lr.groups_cnt, 1);
	CU_ASSERT_STRING_EQUAL(lr.groups[0].protocol_type, "consumer");
	CU_ASSERT_STRING_EQUAL(lr.groups[0].group_state, "");
	sm_arena_destroy(&a);
}

/* Fields whose nullability depends on the version. */
static void test_version_nullability(void)
{
	sm_arena_t a;
	sm_rbuf_t rb;

	sm_arena_init(&a);
	/* OffsetFetch topics null: refused at v1, "all topics" at v2. */
	static const uint8_t ofnull[] = { 0, 1, 'g', 0xff, 0xff, 0xff, 0xff };
	sm_offset_fetch_req_t fq;
	sm_rbuf_init(&rb, ofnull, sizeof(ofnull));
	CU_ASSERT_EQUAL(sm_offset_fetch_req_read(&rb, 1, &a, &fq), -1);
	sm_rbuf_init(&rb, ofnull, sizeof(ofnull));
	CU_ASSERT_EQUAL(sm_offset_fetch_req_read(&rb, 2, &a, &fq), 0);
	CU_ASSERT_EQUAL(fq.topics_cnt, -1);
	/* Compact null (0) at v6. */
	static const uint8_t ofnull6[] = { 2, 'g', 0, 0 };
	sm_rbuf_init(&rb, ofnull6, sizeof(ofnull6));
	CU_ASSERT_EQUAL(sm_offset_fetch_req_read(&rb, 6, &a, &fq), 0);
	CU_ASSERT_EQUAL(fq.topics_cnt, -1);

	/* JoinGroup response protocol_name null: only from v7. */
	static const uint8_t jg6[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 0 };
	static const uint8_t jg7[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 0 };
	sm_join_group_resp_t jr;
	sm_rbuf_init(&rb, jg6, sizeof(jg6));
	CU_ASSERT_EQUAL(sm_join_group_resp_read(&rb, 6, &a, &jr), -1);
	sm_rbuf_init(&rb, jg7, sizeof(jg7));
	CU_ASSERT_EQUAL_FATAL(sm_join_group_resp_read(&rb, 7, &a, &jr), 0);
	CU_ASSERT_PTR_NULL(jr.protocol_type);
	CU_ASSERT_PTR_NULL(jr.protocol_name);
	CU_ASSERT_EQUAL(jr.generation_id, 1);

	/* Null bytes in a non-nullable field are refused. */
	static const uint8_t sgnull[] = { 0, 0, 0xff, 0xff, 0xff, 0xff };
	sm_sync_group_resp_t sr;
	sm_rbuf_init(&rb, sgnull, sizeof(sgnull));
	CU_ASSERT_EQUAL(sm_sync_group_resp_read(&rb, 0, &a, &sr), -1);
	sm_arena_destroy(&a);
}

static void test_unknown_tags_skipped(void)
{
	/* Heartbeat v4 request with an unknown tag 7 (2 bytes) at the end. */
	static const uint8_t hb[] = { 2, 'g', 0, 0, 0, 5, 2, 'm', 0, 1, 7, 2, 0xaa, 0xbb };
	sm_arena_t a;
	sm_rbuf_t rb;
	sm_heartbeat_req_t q;

	sm_arena_init(&a);
	sm_rbuf_init(&rb, hb, sizeof(hb));
	CU_ASSERT_EQUAL_FATAL(sm_heartbeat_req_read(&rb, 4, &a, &q), 0);
	CU_ASSERT_EQUAL(sm_rbuf_remaining(&rb), 0);
	CU_ASSERT_STRING_EQUAL(q.group_id, "g");
	CU_ASSERT_EQUAL(q.generation_id, 5);
	CU_ASSERT_STRING_EQUAL(q.member_id, "m");
	CU_ASSERT_PTR_NULL(q.group_instance_id);
	sm_arena_destroy(&a);
}

/* ---- hostile input ---- */

static void test_hostile_counts(void)
{
	static const uint8_t huge_classic[] = { 0x7f, 0xff, 0xff, 0xff, 0, 0 };
	static const uint8_t huge_compact[] = { 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0 };
	static const uint8_t neg[] = { 0xff, 0xff, 0xff, 0xfe, 0, 0 };
	sm_arena_t a;
	sm_rbuf_t rb;
	sm_describe_groups_req_t dq;
	sm_delete_groups_req_t xq;
	sm_offset_commit_req_t oq;
	sm_join_group_req_t jq;

	sm_arena_init(&a);
	sm_rbuf_init(&rb, huge_classic, sizeof(huge_classic));
	CU_ASSERT_EQUAL(sm_describe_groups_req_read(&rb, 0, &a, &dq), -1);
	sm_rbuf_init(&rb, huge_compact, sizeof(huge_compact));
	CU_ASSERT_EQUAL(sm_describe_groups_req_read(&rb, 5, &a, &dq), -1);
	sm_rbuf_init(&rb, huge_compact, sizeof(huge_compact));
	CU_ASSERT_EQUAL(sm_delete_groups_req_read(&rb, 2, &a, &xq), -1);
	sm_rbuf_init(&rb, neg, sizeof(neg));
	CU_ASSERT_EQUAL(sm_delete_groups_req_read(&rb, 0, &a, &xq), -1);
	/* A huge partition count nested inside an OffsetCommit topic. */
	static const uint8_t nested[] = { 0, 1, 'g', 0, 0, 0, 1, 0, 1, 't',
					  0x7f, 0xff, 0xff, 0xff };
	sm_rbuf_init(&rb, nested, sizeof(nested));
	CU_ASSERT_EQUAL(sm_offset_commit_req_read(&rb, 0, &a, &oq), -1);
	/* A protocol metadata length past the end. */
	static const uint8_t meta[] = { 0, 1, 'g', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,
					0, 1, 'r', 0x7f, 0, 0, 0, 1 };
	sm_rbuf_init(&rb, meta, sizeof(meta));
	CU_ASSERT_EQUAL(sm_join_group_req_read(&rb, 0, &a, &jq), -1);
	/* The same body with an honest length parses. */
	uint8_t fixed[sizeof(meta)];
	memcpy(fixed, meta, sizeof(meta));
	fixed[18] = 0;
	fixed[21] = 1;
	sm_rbuf_init(&rb, fixed, sizeof(fixed));
	CU_ASSERT_EQUAL_FATAL(sm_join_group_req_read(&rb, 0, &a, &jq), 0);
	CU_ASSERT_EQUAL_FATAL(jq.protocols_cnt, 1);
	CU_ASSERT_EQUAL(jq.protocols[0].metadata.len, 1);
	sm_arena_destroy(&a);
}

/* Random bytes must never crash a reader (run under the sanitizers). */
static void test_random_bytes(void)
{
	uint32_t seed = 4242;
	uint8_t buf[64];
	uint8_t out[512];
	sm_arena_t a;
	sm_rbuf_t rb;

	sm_arena_init(&a);
	for (int iter = 0; iter < 4000; iter++) {
		for (size_t i = 0; i < sizeof(buf); i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (uint8_t)(seed >> 16);
		}
		/* Small counts make deep parses likely. */
		if (iter & 1)
			buf[0] = buf[1] = buf[2] = 0;
		const codec_t *c = &codecs[(size_t)iter % NCODECS];
		for (int16_t v = 0; v <= c->max_ver; v++) {
			sm_rbuf_init(&rb, buf, (size_t)(seed % sizeof(buf)));
			(void)c->read(&rb, v, &a, out);
			CU_ASSERT(rb.pos <= rb.len);
		}
	}
	sm_arena_destroy(&a);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("msg_groups", NULL, NULL);
	CU_add_test(s, "round trip, every codec and version", test_roundtrip_all);
	CU_add_test(s, "codec ranges match the API table", test_versions_match_table);
	CU_add_test(s, "FindCoordinator encodings", test_known_find_coordinator);
	CU_add_test(s, "LeaveGroup v0-2 single member id", test_leave_group_single_member);
	CU_add_test(s, "defaults of absent fields", test_defaults_of_absent_fields);
	CU_add_test(s, "version-dependent nullability", test_version_nullability);
	CU_add_test(s, "unknown tags skipped", test_unknown_tags_skipped);
	CU_add_test(s, "hostile counts", test_hostile_counts);
	CU_add_test(s, "random bytes", test_random_bytes);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
