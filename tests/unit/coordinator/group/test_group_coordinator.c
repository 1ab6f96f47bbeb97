/*
 * test_group_coordinator.c - the group state machine, protocol selection,
 * offsets, and storage/reload through a fake __consumer_offsets partition,
 * whose acks=-1 writes can be held back (parked) and ended by the test as
 * the purgatory would.
 */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "group_coordinator.h"
#include "group_metadata.h"
#include "group_metadata_manager.h"
#include "group_records.h"
#include "record_batch.h"

static int64_t fake_now = 1000000;
static int64_t fake_clock(void)
{
	return fake_now;
}

/* Fake partition storage: every batch appended, concatenated. With park
 * set, acks=-1 writes wait (up to 8) until the test ends them; fail makes
 * the next append fail. */
typedef struct fake_log {
	sm_wbuf_t data;
	int appends;
	int64_t next_offset;
	int park;
	sm_err_t fail;
	int n_parked;
	sm_gmm_done_fn *done[8];
	void *arg[8];
} fake_log_t;

static int fake_append(void *opaque, int32_t partition, uint8_t *batch, size_t len,
		       sm_gmm_done_fn *done, void *arg, sm_err_t *err)
{
	(void)partition;
	fake_log_t *f = opaque;
	*err = f->fail;
	f->fail = SM_ERR_NONE;
	if (*err)
		return 0;
	/* Stamp the base offset like a leader would (first 8 bytes). */
	int64_t off = f->next_offset;
	for (int i = 0; i < 8; i++)
		batch[i] = (uint8_t)(off >> (56 - 8 * i));
	f->next_offset += 100;
	sm_wbuf_append(&f->data, batch, len);
	f->appends++;
	if (!done || !f->park || f->n_parked == 8)
		return 0;
	f->done[f->n_parked] = done;
	f->arg[f->n_parked++] = arg;
	return 1;
}

/* Ends parked write i with e (the purgatory's call). */
static void fake_end(fake_log_t *f, int i, sm_err_t e)
{
	sm_gmm_done_fn *done = f->done[i];
	void *arg = f->arg[i];
	f->done[i] = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(done);
	done(arg, e);
}

static sm_err_t fake_read(void *opaque, int32_t partition, sm_wbuf_t *out)
{
	(void)partition;
	fake_log_t *f = opaque;
	sm_wbuf_append(out, f->data.p, f->data.len);
	return SM_ERR_NONE;
}

/* Captured results. */
typedef struct join_out {
	int called;
	sm_err_t error;
	int32_t generation;
	char member_id[256];
	char leader[256];
	char protocol[64];
	int n_members;
} join_out_t;

static void join_cb(void *opaque, const sm_gc_join_result_t *r)
{
	join_out_t *o = opaque;
	o->called++;
	o->error = r->error;
	o->generation = r->generation_id;
	snprintf(o->member_id, sizeof(o->member_id), "%s", r->member_id ? r->member_id : "");
	snprintf(o->leader, sizeof(o->leader), "%s", r->leader ? r->leader : "");
	snprintf(o->protocol, sizeof(o->protocol), "%s", r->protocol_name ? r->protocol_name : "");
	o->n_members = r->n_members;
}

typedef struct commit_out {
	int called;
	sm_err_t error;
} commit_out_t;

static void commit_cb(void *opaque, sm_err_t e)
{
	commit_out_t *o = opaque;
	o->called++;
	o->error = e;
}

/* Commits e[0..n) and returns the group-level error (-1000 while parked). */
static int do_commit(sm_group_coordinator_t *gc, const char *group, int32_t gen, const char *member,
		     sm_gc_offset_t *e, int n, commit_out_t *o)
{
	memset(o, 0, sizeof(*o));
	sm_group_coordinator_commit_offsets(gc, group, gen, member, NULL, e, n, commit_cb, o);
	return o->called ? (int)o->error : -1000;
}

typedef struct sync_out {
	int called;
	sm_err_t error;
	char assignment[64];
} sync_out_t;

static void sync_cb(void *opaque, const sm_gc_sync_result_t *r)
{
	sync_out_t *o = opaque;
	o->called++;
	o->error = r->error;
	snprintf(o->assignment, sizeof(o->assignment), "%.*s", r->assignment_len,
		 r->assignment ? (const char *)r->assignment : "");
}

static sm_gc_config_t test_cfg(void)
{
	sm_gc_config_t c = {
		.broker_id = 0, .num_partitions = 1, .min_session_timeout_ms = 6000,
		.max_session_timeout_ms = 1800000, .initial_rebalance_delay_ms = 0,
		.max_size = 3, .offsets_retention_ms = 7LL * 24 * 3600 * 1000,
		.retention_check_ms = 1000,
	};
	return c;
}

/* The coordinator does not own its storage. */
static sm_group_metadata_manager_t *test_gmm;

static void destroy_gc(sm_group_coordinator_t *gc)
{
	sm_group_coordinator_destroy(gc);
	sm_gmm_destroy(test_gmm);
	test_gmm = NULL;
}

static sm_group_coordinator_t *new_gc(fake_log_t *f)
{
	sm_gc_config_t c = test_cfg();
	sm_group_metadata_manager_t *gmm = NULL;
	if (f) {
		sm_gmm_ops_t ops = { .append = fake_append, .read = fake_read, .opaque = f };
		gmm = sm_gmm_new_ops(&ops);
	}
	test_gmm = gmm;
	sm_group_coordinator_t *gc = sm_group_coordinator_new(&c, gmm);
	sm_group_coordinator_set_clock(gc, fake_clock, fake_clock);
	sm_group_coordinator_on_leadership(gc, SM_GC_OFFSETS_TOPIC, 0, 1);
	sm_group_coordinator_load_now(gc, 0);
	return gc;
}

static sm_group_protocol_t range_proto[] = { { .name = "range", .metadata = (uint8_t *)"m", .metadata_len = 1 },
					     { .name = "roundrobin", .metadata = (uint8_t *)"m", .metadata_len = 1 } };

static void do_join(sm_group_coordinator_t *gc, const char *member, int v4, const sm_group_protocol_t *p,
		    int n, join_out_t *o)
{
	sm_gc_join_req_t r = { .group_id = "g", .member_id = member, .client_id = "c",
			       .client_host = "/127.0.0.1", .session_timeout_ms = 10000,
			       .rebalance_timeout_ms = 20000, .protocol_type = "consumer",
			       .protocols = p, .n_protocols = n, .require_known_member_id = v4 };
	memset(o, 0, sizeof(*o));
	sm_group_coordinator_join(gc, &r, join_cb, o);
}

static void do_sync(sm_group_coordinator_t *gc, const char *member, int32_t gen,
		    const sm_gc_assignment_t *a, int n, sync_out_t *o)
{
	sm_gc_sync_req_t r = { .group_id = "g", .generation_id = gen, .member_id = member,
			       .assignments = a, .n_assignments = n };
	memset(o, 0, sizeof(*o));
	sm_group_coordinator_sync(gc, &r, sync_cb, o);
}

static void test_single_member_flow(void)
{
	sm_group_coordinator_t *gc = new_gc(NULL);
	join_out_t j;
	do_join(gc, "", 1, range_proto, 2, &j);
	CU_ASSERT_EQUAL(j.called, 1);
	CU_ASSERT_EQUAL(j.error, SM_ERR_MEMBER_ID_REQUIRED);
	CU_ASSERT(strncmp(j.member_id, "c-", 2) == 0);
	char id[256];
	strcpy(id, j.member_id);
	do_join(gc, id, 1, range_proto, 2, &j);
	CU_ASSERT_EQUAL(j.called, 1);
	CU_ASSERT_EQUAL(j.error, SM_ERR_NONE);
	CU_ASSERT_EQUAL(j.generation, 1);
	CU_ASSERT_STRING_EQUAL(j.leader, id);
	CU_ASSERT_STRING_EQUAL(j.protocol, "range");
	CU_ASSERT_EQUAL(j.n_members, 1);
	sync_out_t s;
	sm_gc_assignment_t a = { .member_id = id, .assignment = (const uint8_t *)"A0", .len = 2 };
	do_sync(gc, id, 1, &a, 1, &s);
	CU_ASSERT_EQUAL(s.called, 1);
	CU_ASSERT_EQUAL(s.error, SM_ERR_NONE);
	CU_ASSERT_STRING_EQUAL(s.assignment, "A0");
	CU_ASSERT_EQUAL(sm_group_coordinator_heartbeat(gc, "g", id, NULL, 1), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_group_coordinator_heartbeat(gc, "g", id, NULL, 7), SM_ERR_ILLEGAL_GENERATION);
	CU_ASSERT_EQUAL(sm_group_coordinator_heartbeat(gc, "g", "nobody", NULL, 1), SM_ERR_UNKNOWN_MEMBER_ID);
	sm_arena_t ar;
	sm_arena_init(&ar);
	sm_gc_group_desc_t d;
	sm_group_coordinator_describe(gc, "g", &ar, &d);
	CU_ASSERT_STRING_EQUAL(d.state, "Stable");
	CU_ASSERT_STRING_EQUAL(d.protocol, "range");
	CU_ASSERT_EQUAL(d.n_members, 1);
	CU_ASSERT_EQUAL(d.members[0].assignment_len, 2);
	sm_arena_destroy(&ar);
	destroy_gc(gc);
}

static void test_second_member_rebalance(void)
{
	sm_group_coordinator_t *gc = new_gc(NULL);
	join_out_t j1, j2;
	do_join(gc, "", 0, range_proto, 2, &j1);
	CU_ASSERT_EQUAL(j1.error, SM_ERR_NONE); /* v<4: no MEMBER_ID_REQUIRED */
	char id1[256];
	strcpy(id1, j1.member_id);
	sync_out_t s1;
	do_sync(gc, id1, 1, NULL, 0, &s1);
	CU_ASSERT_EQUAL(s1.error, SM_ERR_NONE);
	do_join(gc, "", 0, range_proto + 1, 1, &j2);
	CU_ASSERT_EQUAL(j2.called, 0); /* parked until member 1 rejoins */
	CU_ASSERT_EQUAL(sm_group_coordinator_heartbeat(gc, "g", id1, NULL, 1), SM_ERR_REBALANCE_IN_PROGRESS);
	do_join(gc, id1, 0, range_proto, 2, &j1);
	CU_ASSERT_EQUAL(j1.called, 1);
	CU_ASSERT_EQUAL(j2.called, 1);
	CU_ASSERT_EQUAL(j1.generation, 2);
	/* Only roundrobin is common to both. */
	CU_ASSERT_STRING_EQUAL(j1.protocol, "roundrobin");
	CU_ASSERT_EQUAL(j1.n_members, 2);
	CU_ASSERT_EQUAL(j2.n_members, 0);
	/* The follower's SyncGroup waits for the leader's. */
	sync_out_t s2;
	do_sync(gc, j2.member_id, 2, NULL, 0, &s2);
	CU_ASSERT_EQUAL(s2.called, 0);
	sm_gc_assignment_t a[2] = { { .member_id = id1, .assignment = (const uint8_t *)"x", .len = 1 },
				    { .member_id = j2.member_id, .assignment = (const uint8_t *)"y", .len = 1 } };
	do_sync(gc, id1, 2, a, 2, &s1);
	CU_ASSERT_EQUAL(s1.called, 1);
	CU_ASSERT_EQUAL(s2.called, 1);
	CU_ASSERT_STRING_EQUAL(s1.assignment, "x");
	CU_ASSERT_STRING_EQUAL(s2.assignment, "y");
	/* A kafkajs-style protocol cannot join. */
	sm_group_protocol_t rr = { .name = "RoundRobinAssigner", .metadata = (uint8_t *)"m", .metadata_len = 1 };
	join_out_t j3;
	do_join(gc, "", 0, &rr, 1, &j3);
	CU_ASSERT_EQUAL(j3.error, SM_ERR_INCONSISTENT_GROUP_PROTOCOL);
	/* Session expiry of member 2 triggers a rebalance that member 1 completes. */
	fake_now += 5000;
	CU_ASSERT_EQUAL(sm_group_coordinator_heartbeat(gc, "g", id1, NULL, 2), SM_ERR_NONE);
	fake_now += 6000;
	sm_group_coordinator_tick(gc);
	CU_ASSERT_EQUAL(sm_group_coordinator_heartbeat(gc, "g", id1, NULL, 2), SM_ERR_REBALANCE_IN_PROGRESS);
	do_join(gc, id1, 0, range_proto, 2, &j1);
	CU_ASSERT_EQUAL(j1.called, 1);
	CU_ASSERT_EQUAL(j1.generation, 3);
	CU_ASSERT_EQUAL(j1.n_members, 1);
	CU_ASSERT_STRING_EQUAL(j1.protocol, "range");
	destroy_gc(gc);
}

static void test_errors_and_leave(void)
{
	sm_group_coordinator_t *gc = new_gc(NULL);
	sm_gc_join_req_t r = { .group_id = "g", .member_id = "", .client_id = "c",
			       .session_timeout_ms = 10, .protocol_type = "consumer",
			       .protocols = range_proto, .n_protocols = 2 };
	join_out_t j;
	memset(&j, 0, sizeof(j));
	sm_group_coordinator_join(gc, &r, join_cb, &j);
	CU_ASSERT_EQUAL(j.error, SM_ERR_INVALID_SESSION_TIMEOUT);
	do_join(gc, "ghost", 0, range_proto, 2, &j);
	CU_ASSERT_EQUAL(j.error, SM_ERR_UNKNOWN_MEMBER_ID);
	do_join(gc, "", 0, range_proto, 2, &j);
	char id[256];
	strcpy(id, j.member_id);
	CU_ASSERT_EQUAL(sm_group_coordinator_delete_group(gc, "g"), SM_ERR_NON_EMPTY_GROUP);
	sm_gc_leave_member_t lm[2] = { { .member_id = id }, { .member_id = "ghost" } };
	CU_ASSERT_EQUAL(sm_group_coordinator_leave(gc, "g", lm, 2), SM_ERR_NONE);
	CU_ASSERT_EQUAL(lm[0].error, SM_ERR_NONE);
	CU_ASSERT_EQUAL(lm[1].error, SM_ERR_UNKNOWN_MEMBER_ID);
	sm_arena_t ar;
	sm_arena_init(&ar);
	sm_gc_group_listing_t *l;
	int n;
	CU_ASSERT_EQUAL(sm_group_coordinator_list(gc, NULL, 0, &ar, &l, &n), SM_ERR_NONE);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_STRING_EQUAL(l[0].state, "Empty");
	const char *st[] = { "Stable" };
	sm_group_coordinator_list(gc, st, 1, &ar, &l, &n);
	CU_ASSERT_EQUAL(n, 0);
	sm_arena_destroy(&ar);
	CU_ASSERT_EQUAL(sm_group_coordinator_delete_group(gc, "g"), SM_ERR_NONE);
	CU_ASSERT_EQUAL(sm_group_coordinator_delete_group(gc, "g"), SM_ERR_GROUP_ID_NOT_FOUND);
	/* A partition this broker does not lead. */
	sm_group_coordinator_on_leadership(gc, SM_GC_OFFSETS_TOPIC, 0, 0);
	CU_ASSERT_EQUAL(sm_group_coordinator_check(gc, "g"), SM_ERR_NOT_COORDINATOR);
	sm_group_coordinator_on_leadership(gc, SM_GC_OFFSETS_TOPIC, 0, 1);
	CU_ASSERT_EQUAL(sm_group_coordinator_check(gc, "g"), SM_ERR_COORDINATOR_LOAD_IN_PROGRESS);
	sm_group_coordinator_tick(gc);
	CU_ASSERT_EQUAL(sm_group_coordinator_check(gc, "g"), SM_ERR_NONE);
	destroy_gc(gc);
}

static void test_offsets_store_and_reload(void)
{
	fake_log_t f = { .next_offset = 0 };
	sm_wbuf_init(&f.data, 64);
	sm_group_coordinator_t *gc = new_gc(&f);
	sm_gc_offset_t e[3] = {
		{ .topic = "t", .partition = 0, .offset = 42, .leader_epoch = -1, .metadata = "meta", .commit_ts = -1, .expire_ts = -1 },
		{ .topic = "t", .partition = 1, .offset = 7, .leader_epoch = 3, .metadata = NULL, .commit_ts = -1, .expire_ts = -1 },
		{ .topic = "u", .partition = 0, .offset = 1, .leader_epoch = -1, .metadata = NULL, .commit_ts = -1, .expire_ts = -1 },
	};
	commit_out_t co;
	/* A group-less commit needs generation -1. */
	CU_ASSERT_EQUAL(do_commit(gc, "g", 5, "m", e, 3, &co), SM_ERR_ILLEGAL_GENERATION);
	CU_ASSERT_EQUAL(e[0].error, SM_ERR_ILLEGAL_GENERATION);
	CU_ASSERT_EQUAL(do_commit(gc, "g", -1, "", e, 3, &co), SM_ERR_NONE);
	CU_ASSERT_EQUAL(co.called, 1);
	CU_ASSERT_EQUAL(e[0].error, SM_ERR_NONE);
	CU_ASSERT_EQUAL(f.appends, 1);
	char big[SM_GC_OFFSET_METADATA_MAX_BYTES + 2];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	sm_gc_offset_t too = { .topic = "t", .partition = 2, .offset = 1, .metadata = big, .commit_ts = -1, .expire_ts = -1 };
	do_commit(gc, "g", -1, "", &too, 1, &co);
	CU_ASSERT_EQUAL(co.called, 1);
	CU_ASSERT_EQUAL(too.error, SM_ERR_OFFSET_METADATA_TOO_LARGE);
	CU_ASSERT_EQUAL(f.appends, 1);
	/* OffsetDelete of u-0 writes a tombstone. */
	sm_gc_offset_t del = { .topic = "u", .partition = 0 };
	CU_ASSERT_EQUAL(sm_group_coordinator_delete_offsets(gc, "g", &del, 1), SM_ERR_NONE);
	/* A second group with members, so group metadata is written. */
	sm_gc_join_req_t r = { .group_id = "h", .member_id = "", .client_id = "c", .session_timeout_ms = 10000,
			       .protocol_type = "consumer", .protocols = range_proto, .n_protocols = 1 };
	join_out_t j;
	memset(&j, 0, sizeof(j));
	sm_group_coordinator_join(gc, &r, join_cb, &j);
	sm_gc_sync_req_t sr = { .group_id = "h", .generation_id = 1, .member_id = j.member_id };
	sync_out_t s;
	memset(&s, 0, sizeof(s));
	sm_group_coordinator_sync(gc, &sr, sync_cb, &s);
	CU_ASSERT_EQUAL(s.error, SM_ERR_NONE);
	destroy_gc(gc);

	/* A new coordinator (say, after failover) loads everything back. */
	gc = new_gc(&f);
	sm_arena_t ar;
	sm_arena_init(&ar);
	sm_gc_offset_t q[3] = { { .topic = "t", .partition = 0 }, { .topic = "t", .partition = 1 },
				{ .topic = "u", .partition = 0 } };
	CU_ASSERT_EQUAL(sm_group_coordinator_fetch_offsets(gc, "g", q, 3, 0, &ar), SM_ERR_NONE);
	CU_ASSERT_EQUAL(q[0].offset, 42);
	CU_ASSERT_STRING_EQUAL(q[0].metadata, "meta");
	CU_ASSERT_EQUAL(q[1].offset, 7);
	CU_ASSERT_EQUAL(q[1].leader_epoch, 3);
	CU_ASSERT_EQUAL(q[2].offset, -1);
	sm_gc_offset_t *all;
	int n;
	sm_group_coordinator_fetch_all_offsets(gc, "g", 0, &ar, &all, &n);
	CU_ASSERT_EQUAL(n, 2);
	sm_gc_group_desc_t d;
	sm_group_coordinator_describe(gc, "h", &ar, &d);
	CU_ASSERT_STRING_EQUAL(d.state, "Stable");
	CU_ASSERT_EQUAL(d.n_members, 1);
	/* DeleteGroups writes tombstones; a reload finds nothing. */
	CU_ASSERT_EQUAL(sm_group_coordinator_delete_group(gc, "g"), SM_ERR_NONE);
	destroy_gc(gc);
	gc = new_gc(&f);
	sm_group_coordinator_fetch_all_offsets(gc, "g", 0, &ar, &all, &n);
	CU_ASSERT_EQUAL(n, 0);
	sm_group_coordinator_describe(gc, "g", &ar, &d);
	CU_ASSERT_STRING_EQUAL(d.state, "Dead");
	sm_arena_destroy(&ar);
	destroy_gc(gc);
	sm_wbuf_free(&f.data);
}

static void test_offsets_expire(void)
{
	fake_log_t f = { .next_offset = 0 };
	sm_wbuf_init(&f.data, 64);
	sm_group_coordinator_t *gc = new_gc(&f);
	sm_gc_offset_t e = { .topic = "t", .partition = 0, .offset = 5, .leader_epoch = -1, .commit_ts = -1, .expire_ts = -1 };
	commit_out_t co;
	CU_ASSERT_EQUAL(do_commit(gc, "g", -1, "", &e, 1, &co), SM_ERR_NONE);
	fake_now += 7LL * 24 * 3600 * 1000 + 5000;
	sm_group_coordinator_tick(gc);
	sm_arena_t ar;
	sm_arena_init(&ar);
	sm_gc_offset_t q = { .topic = "t", .partition = 0 };
	sm_group_coordinator_fetch_offsets(gc, "g", &q, 1, 0, &ar);
	CU_ASSERT_EQUAL(q.offset, -1);
	sm_arena_destroy(&ar);
	destroy_gc(gc);
	sm_wbuf_free(&f.data);
}

static int64_t fetch_one(sm_group_coordinator_t *gc, const char *group, const char *topic, int32_t partition)
{
	sm_arena_t ar;
	sm_arena_init(&ar);
	sm_gc_offset_t q = { .topic = topic, .partition = partition };
	sm_group_coordinator_fetch_offsets(gc, group, &q, 1, 0, &ar);
	sm_arena_destroy(&ar);
	return q.offset;
}

static const char *state_of(sm_group_coordinator_t *gc, const char *group, char *buf, size_t len)
{
	sm_arena_t ar;
	sm_arena_init(&ar);
	sm_gc_group_desc_t d;
	sm_group_coordinator_describe(gc, group, &ar, &d);
	snprintf(buf, len, "%s", d.state);
	sm_arena_destroy(&ar);
	return buf;
}

/* An offset commit is answered, and its offsets become visible, only once
 * the write reached the ISR; failures map as Kafka's storeOffsets. */
static void test_commit_waits_for_isr(void)
{
	fake_log_t f = { .next_offset = 0, .park = 1 };
	sm_wbuf_init(&f.data, 64);
	sm_group_coordinator_t *gc = new_gc(&f);
	commit_out_t co;
	sm_gc_offset_t e = { .topic = "t", .partition = 0, .offset = 10, .leader_epoch = -1, .commit_ts = -1, .expire_ts = -1 };
	CU_ASSERT_EQUAL(do_commit(gc, "g", -1, "", &e, 1, &co), -1000);
	CU_ASSERT_EQUAL(fetch_one(gc, "g", "t", 0), -1); /* pending: invisible */
	sm_arena_t ar;
	sm_arena_init(&ar);
	sm_gc_offset_t q = { .topic = "t", .partition = 0 };
	CU_ASSERT_EQUAL(sm_group_coordinator_fetch_offsets(gc, "g", &q, 1, 1, &ar), SM_ERR_NONE);
	CU_ASSERT_EQUAL(q.error, SM_ERR_UNSTABLE_OFFSET_COMMIT);
	sm_arena_destroy(&ar);
	fake_end(&f, 0, SM_ERR_NONE);
	CU_ASSERT_EQUAL(co.called, 1);
	CU_ASSERT_EQUAL(e.error, SM_ERR_NONE);
	CU_ASSERT_EQUAL(fetch_one(gc, "g", "t", 0), 10);

	/* Parked writes that fail: the cache keeps the last good offset. */
	struct { sm_err_t append, want; } m[] = {
		{ SM_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, SM_ERR_COORDINATOR_NOT_AVAILABLE },
		{ SM_ERR_REQUEST_TIMED_OUT, SM_ERR_REQUEST_TIMED_OUT },
		{ SM_ERR_NOT_LEADER_OR_FOLLOWER, SM_ERR_NOT_COORDINATOR },
		{ SM_ERR_KAFKA_STORAGE_ERROR, SM_ERR_NOT_COORDINATOR },
	};
	for (int i = 0; i < 4; i++) {
		e.offset = 100 + i;
		CU_ASSERT_EQUAL(do_commit(gc, "g", -1, "", &e, 1, &co), -1000);
		fake_end(&f, 1 + i, m[i].append);
		CU_ASSERT_EQUAL(co.called, 1);
		CU_ASSERT_EQUAL(e.error, m[i].want);
		CU_ASSERT_EQUAL(fetch_one(gc, "g", "t", 0), 10);
	}
	/* Appends that fail at once. */
	struct { sm_err_t append, want; } now[] = {
		{ SM_ERR_NOT_ENOUGH_REPLICAS, SM_ERR_COORDINATOR_NOT_AVAILABLE },
		{ SM_ERR_MESSAGE_TOO_LARGE, SM_ERR_INVALID_COMMIT_OFFSET_SIZE },
		{ SM_ERR_RECORD_LIST_TOO_LARGE, SM_ERR_INVALID_COMMIT_OFFSET_SIZE },
		{ SM_ERR_UNKNOWN_TOPIC_OR_PARTITION, SM_ERR_COORDINATOR_NOT_AVAILABLE },
	};
	for (int i = 0; i < 4; i++) {
		f.fail = now[i].append;
		CU_ASSERT_EQUAL(do_commit(gc, "g", -1, "", &e, 1, &co), SM_ERR_NONE);
		CU_ASSERT_EQUAL(e.error, now[i].want);
	}
	CU_ASSERT_EQUAL(fetch_one(gc, "g", "t", 0), 10);

	/* Two commits in flight ending out of order: the later write wins. */
	commit_out_t c2;
	sm_gc_offset_t e2 = e;
	e.offset = 20;
	e2.offset = 30;
	CU_ASSERT_EQUAL(do_commit(gc, "g", -1, "", &e, 1, &co), -1000);
	CU_ASSERT_EQUAL(do_commit(gc, "g", -1, "", &e2, 1, &c2), -1000);
	fake_end(&f, 6, SM_ERR_NONE);
	CU_ASSERT_EQUAL(c2.called, 1);
	CU_ASSERT_EQUAL(fetch_one(gc, "g", "t", 0), 30);
	fake_end(&f, 5, SM_ERR_NONE);
	CU_ASSERT_EQUAL(co.called, 1);
	CU_ASSERT_EQUAL(fetch_one(gc, "g", "t", 0), 30);

	/* A write that ends after the partition moved away is still answered. */
	e.offset = 40;
	CU_ASSERT_EQUAL(do_commit(gc, "g", -1, "", &e, 1, &co), -1000);
	sm_group_coordinator_on_leadership(gc, SM_GC_OFFSETS_TOPIC, 0, 0);
	fake_end(&f, 7, SM_ERR_NOT_LEADER_OR_FOLLOWER);
	CU_ASSERT_EQUAL(co.called, 1);
	CU_ASSERT_EQUAL(e.error, SM_ERR_NOT_COORDINATOR);
	destroy_gc(gc);
	sm_wbuf_free(&f.data);
}

/* The leader's SyncGroup: Stable and answered once the group metadata is
 * replicated; a failed write sends everyone back to rebalance. */
static void test_sync_waits_for_isr(void)
{
	fake_log_t f = { .next_offset = 0, .park = 1 };
	sm_wbuf_init(&f.data, 64);
	sm_group_coordinator_t *gc = new_gc(&f);
	char st[32];
	join_out_t j;
	do_join(gc, "", 0, range_proto, 2, &j);
	CU_ASSERT_EQUAL_FATAL(j.error, SM_ERR_NONE);
	char id[256];
	strcpy(id, j.member_id);
	sync_out_t s;
	sm_gc_assignment_t a = { .member_id = id, .assignment = (const uint8_t *)"A0", .len = 2 };
	do_sync(gc, id, 1, &a, 1, &s);
	CU_ASSERT_EQUAL(s.called, 0);
	CU_ASSERT_STRING_EQUAL(state_of(gc, "g", st, sizeof(st)), "CompletingRebalance");
	CU_ASSERT_EQUAL(sm_group_coordinator_heartbeat(gc, "g", id, NULL, 1), SM_ERR_NONE);
	fake_end(&f, 0, SM_ERR_NONE);
	CU_ASSERT_EQUAL(s.called, 1);
	CU_ASSERT_EQUAL(s.error, SM_ERR_NONE);
	CU_ASSERT_STRING_EQUAL(s.assignment, "A0");
	CU_ASSERT_STRING_EQUAL(state_of(gc, "g", st, sizeof(st)), "Stable");

	/* The group's offsets, committed by the member (answered at once). */
	f.park = 0;
	commit_out_t co;
	sm_gc_offset_t e = { .topic = "t", .partition = 3, .offset = 77, .leader_epoch = -1, .commit_ts = -1, .expire_ts = -1 };
	CU_ASSERT_EQUAL(do_commit(gc, "g", 1, id, &e, 1, &co), SM_ERR_NONE);
	CU_ASSERT_EQUAL(e.error, SM_ERR_NONE);
	f.park = 1;

	/* The leader rejoins: generation 2, whose assignment write times out. */
	do_join(gc, id, 0, range_proto, 2, &j);
	CU_ASSERT_EQUAL(j.generation, 2);
	do_sync(gc, id, 2, &a, 1, &s);
	CU_ASSERT_EQUAL(s.called, 0);
	fake_end(&f, 1, SM_ERR_REQUEST_TIMED_OUT);
	CU_ASSERT_EQUAL(s.called, 1);
	CU_ASSERT_EQUAL(s.error, SM_ERR_REBALANCE_IN_PROGRESS);
	CU_ASSERT_STRING_EQUAL(state_of(gc, "g", st, sizeof(st)), "PreparingRebalance");

	/* It leaves: the Empty group's metadata is the last record, after
	 * the offsets; a reload keeps both. */
	sm_gc_leave_member_t lm = { .member_id = id };
	CU_ASSERT_EQUAL(sm_group_coordinator_leave(gc, "g", &lm, 1), SM_ERR_NONE);
	CU_ASSERT_STRING_EQUAL(state_of(gc, "g", st, sizeof(st)), "Empty");
	fake_end(&f, 2, SM_ERR_NONE);
	destroy_gc(gc);
	gc = new_gc(&f);
	CU_ASSERT_STRING_EQUAL(state_of(gc, "g", st, sizeof(st)), "Empty");
	CU_ASSERT_EQUAL(fetch_one(gc, "g", "t", 3), 77);
	destroy_gc(gc);
	sm_wbuf_free(&f.data);
}

/* While its offsets partition loads, the coordinator answers
 * COORDINATOR_LOAD_IN_PROGRESS. */
static void test_load_in_progress(void)
{
	sm_group_coordinator_t *gc = new_gc(NULL);
	sm_group_coordinator_on_leadership(gc, SM_GC_OFFSETS_TOPIC, 0, 0);
	sm_group_coordinator_on_leadership(gc, SM_GC_OFFSETS_TOPIC, 0, 1);
	join_out_t j;
	do_join(gc, "", 0, range_proto, 2, &j);
	CU_ASSERT_EQUAL(j.error, SM_ERR_COORDINATOR_LOAD_IN_PROGRESS);
	commit_out_t co;
	sm_gc_offset_t e = { .topic = "t", .partition = 0, .offset = 1, .leader_epoch = -1, .commit_ts = -1, .expire_ts = -1 };
	CU_ASSERT_EQUAL(do_commit(gc, "g", -1, "", &e, 1, &co), SM_ERR_COORDINATOR_LOAD_IN_PROGRESS);
	CU_ASSERT_EQUAL(e.error, SM_ERR_COORDINATOR_LOAD_IN_PROGRESS);
	sm_arena_t ar;
	sm_arena_init(&ar);
	sm_gc_offset_t q = { .topic = "t", .partition = 0 };
	CU_ASSERT_EQUAL(sm_group_coordinator_fetch_offsets(gc, "g", &q, 1, 0, &ar), SM_ERR_COORDINATOR_LOAD_IN_PROGRESS);
	CU_ASSERT_EQUAL(sm_group_coordinator_heartbeat(gc, "g", "m", NULL, 1), SM_ERR_COORDINATOR_LOAD_IN_PROGRESS);
	sm_gc_group_desc_t d;
	sm_group_coordinator_describe(gc, "g", &ar, &d);
	CU_ASSERT_EQUAL(d.error, SM_ERR_COORDINATOR_LOAD_IN_PROGRESS);
	sm_gc_group_listing_t *l;
	int n;
	CU_ASSERT_EQUAL(sm_group_coordinator_list(gc, NULL, 0, &ar, &l, &n), SM_ERR_COORDINATOR_LOAD_IN_PROGRESS);
	memset(&co, 0, sizeof(co));
	sm_group_coordinator_txn_commit_offsets(gc, "g", 5, 0, -1, "", NULL, &e, 1, commit_cb, &co);
	CU_ASSERT_EQUAL(e.error, SM_ERR_COORDINATOR_LOAD_IN_PROGRESS);
	/* a marker while loading: the load (re)starts and replays it */
	sm_group_coordinator_txn_completion(gc, 0, 5, 1);
	sm_group_coordinator_tick(gc);
	CU_ASSERT_EQUAL(sm_group_coordinator_fetch_offsets(gc, "g", &q, 1, 0, &ar), SM_ERR_NONE);
	CU_ASSERT_EQUAL(do_commit(gc, "g", -1, "", &e, 1, &co), SM_ERR_NONE);
	sm_arena_destroy(&ar);
	destroy_gc(gc);
}

static void test_state_table_and_vote(void)
{
	CU_ASSERT(sm_group_can_transition(SM_GROUP_EMPTY, SM_GROUP_PREPARING_REBALANCE));
	CU_ASSERT(sm_group_can_transition(SM_GROUP_COMPLETING_REBALANCE, SM_GROUP_STABLE));
	CU_ASSERT(!sm_group_can_transition(SM_GROUP_EMPTY, SM_GROUP_STABLE));
	CU_ASSERT(!sm_group_can_transition(SM_GROUP_STABLE, SM_GROUP_EMPTY));
	CU_ASSERT_EQUAL(sm_group_state_parse("stable"), SM_GROUP_STABLE);
	sm_group_t *g = sm_group_new("g", 0, 0);
	sm_group_protocol_t p1[] = { { .name = "a" }, { .name = "b" } };
	sm_group_protocol_t p2[] = { { .name = "b" }, { .name = "a" } };
	sm_group_member_t *m1 = sm_group_member_new("m1", NULL, "c", "h");
	sm_group_member_t *m2 = sm_group_member_new("m2", NULL, "c", "h");
	sm_group_member_t *m3 = sm_group_member_new("m3", NULL, "c", "h");
	sm_group_member_set_protocols(m1, p1, 2);
	sm_group_member_set_protocols(m2, p2, 2);
	sm_group_member_set_protocols(m3, p2, 2);
	sm_group_add_member(g, m1);
	sm_group_add_member(g, m2);
	sm_group_add_member(g, m3);
	CU_ASSERT_STRING_EQUAL(sm_group_select_protocol(g), "b");
	sm_group_protocol_t only_c = { .name = "c" };
	CU_ASSERT(!sm_group_supports_protocols(g, "consumer", &only_c, 1));
	CU_ASSERT_STRING_EQUAL(g->leader_id, "m1");
	sm_group_remove_member(g, m1);
	sm_group_member_destroy(m1);
	CU_ASSERT_STRING_EQUAL(g->leader_id, "m2");
	sm_group_destroy(g);
}

/* The timer heap keeps the earliest deadline on top through arming,
 * re-arming (both ways) and cancelling, and pops in deadline order. */
static void test_timer_heap(void)
{
	enum { N = 200 };
	sm_gc_timer_heap_t h;
	sm_gc_timer_heap_init(&h);
	static sm_gc_timer_t t[N];
	srand(7);
	for (int i = 0; i < N; i++) {
		sm_gc_timer_init(&t[i], 1, &t[i], NULL);
		CU_ASSERT(!sm_gc_timer_armed(&t[i]));
		sm_gc_timer_arm(&h, &t[i], rand() % 1000);
	}
	for (int i = 0; i < N; i += 3)
		sm_gc_timer_arm(&h, &t[i], rand() % 2000); /* re-arm, up or down */
	for (int i = 1; i < N; i += 5)
		sm_gc_timer_cancel(&h, &t[i]);
	sm_gc_timer_cancel(&h, &t[1]); /* twice: a no-op */
	int armed = 0;
	for (int i = 0; i < N; i++)
		armed += sm_gc_timer_armed(&t[i]);
	CU_ASSERT_EQUAL(h.n, armed);
	CU_ASSERT_PTR_NULL(sm_gc_timer_pop_due(&h, -1));
	int64_t last = -1;
	int popped = 0;
	sm_gc_timer_t *x;
	while ((x = sm_gc_timer_pop_due(&h, 5000))) {
		CU_ASSERT(x->deadline >= last);
		CU_ASSERT(!sm_gc_timer_armed(x));
		last = x->deadline;
		popped++;
	}
	CU_ASSERT_EQUAL(popped, armed);
	CU_ASSERT_PTR_NULL(sm_gc_timer_peek(&h));
	/* Only what is due pops. */
	sm_gc_timer_arm(&h, &t[0], 10);
	sm_gc_timer_arm(&h, &t[1], 20);
	CU_ASSERT_PTR_EQUAL(sm_gc_timer_pop_due(&h, 15), &t[0]);
	CU_ASSERT_PTR_NULL(sm_gc_timer_pop_due(&h, 15));
	CU_ASSERT_PTR_EQUAL(sm_gc_timer_peek(&h), &t[1]);
	sm_gc_timer_heap_destroy(&h);
	CU_ASSERT(!sm_gc_timer_armed(&t[1]));
}

static void do_join_static(sm_group_coordinator_t *gc, const char *member, const char *instance,
			   const sm_group_protocol_t *p, int n, join_out_t *o)
{
	sm_gc_join_req_t r = { .group_id = "g", .member_id = member, .group_instance_id = instance,
			       .client_id = "c", .client_host = "/127.0.0.1",
			       .session_timeout_ms = 10000, .rebalance_timeout_ms = 20000,
			       .protocol_type = "consumer", .protocols = p, .n_protocols = n,
			       .require_known_member_id = 1 };
	memset(o, 0, sizeof(*o));
	sm_group_coordinator_join(gc, &r, join_cb, o);
}

/* Three static members a, b, c in a Stable group of generation 1; ids[i]
 * are their member ids, a leads. */
static sm_group_coordinator_t *static_group(fake_log_t *f, char ids[3][256])
{
	sm_group_coordinator_t *gc = new_gc(f);
	const char *inst[3] = { "a", "b", "c" };
	join_out_t j[3];
	do_join_static(gc, "", inst[0], range_proto, 2, &j[0]);
	CU_ASSERT_EQUAL(j[0].error, SM_ERR_NONE); /* static: no MEMBER_ID_REQUIRED */
	strcpy(ids[0], j[0].member_id);
	do_join_static(gc, "", inst[1], range_proto, 2, &j[1]);
	do_join_static(gc, "", inst[2], range_proto, 2, &j[2]);
	CU_ASSERT_EQUAL(j[1].called, 0); /* parked until a rejoins */
	do_join_static(gc, ids[0], inst[0], range_proto, 2, &j[0]);
	strcpy(ids[1], j[1].member_id);
	strcpy(ids[2], j[2].member_id);
	CU_ASSERT_EQUAL(j[0].generation, 2);
	CU_ASSERT_EQUAL(j[1].generation, 2);
	CU_ASSERT_EQUAL(j[2].generation, 2);
	CU_ASSERT_STRING_EQUAL(j[0].leader, ids[0]);
	sync_out_t s[3];
	do_sync(gc, ids[1], 2, NULL, 0, &s[1]);
	do_sync(gc, ids[2], 2, NULL, 0, &s[2]);
	sm_gc_assignment_t a[3] = { { .member_id = ids[0], .assignment = (const uint8_t *)"A", .len = 1 },
				    { .member_id = ids[1], .assignment = (const uint8_t *)"B", .len = 1 },
				    { .member_id = ids[2], .assignment = (const uint8_t *)"C", .len = 1 } };
	do_sync(gc, ids[0], 2, a, 3, &s[0]);
	CU_ASSERT_STRING_EQUAL(s[1].assignment, "B");
	return gc;
}

/* KIP-345 as Kafka 2.8: a restarted static member takes over its old
 * member without a rebalance, even when it led; the old id is fenced in
 * every request that names the instance. */
static void test_static_member_rejoin(void)
{
	fake_log_t f = { .next_offset = 0 };
	sm_wbuf_init(&f.data, 64);
	char ids[3][256];
	sm_group_coordinator_t *gc = static_group(&f, ids);
	char buf[32];
	CU_ASSERT_STRING_EQUAL(state_of(gc, "g", buf, sizeof(buf)), "Stable");
	int writes = f.appends;
	join_out_t j;
	do_join_static(gc, "", "b", range_proto, 2, &j);
	CU_ASSERT_EQUAL(j.called, 1);
	CU_ASSERT_EQUAL(j.error, SM_ERR_NONE);
	CU_ASSERT_EQUAL(j.generation, 2);
	CU_ASSERT_STRING_EQUAL(j.leader, ids[0]);
	CU_ASSERT_EQUAL(j.n_members, 0);
	CU_ASSERT_STRING_NOT_EQUAL(j.member_id, ids[1]);
	CU_ASSERT_EQUAL(f.appends, writes + 1); /* the new member id is stored */
	CU_ASSERT_STRING_EQUAL(state_of(gc, "g", buf, sizeof(buf)), "Stable");
	char nb[256];
	strcpy(nb, j.member_id);
	/* It gets its previous assignment. */
	sync_out_t s;
	do_sync(gc, nb, 2, NULL, 0, &s);
	CU_ASSERT_EQUAL(s.error, SM_ERR_NONE);
	CU_ASSERT_STRING_EQUAL(s.assignment, "B");
	/* The old instance is fenced, not unknown. */
	CU_ASSERT_EQUAL(sm_group_coordinator_heartbeat(gc, "g", ids[1], "b", 2), SM_ERR_FENCED_INSTANCE_ID);
	CU_ASSERT_EQUAL(sm_group_coordinator_heartbeat(gc, "g", ids[1], NULL, 2), SM_ERR_UNKNOWN_MEMBER_ID);
	CU_ASSERT_EQUAL(sm_group_coordinator_heartbeat(gc, "g", nb, "b", 2), SM_ERR_NONE);
	sm_gc_sync_req_t sr = { .group_id = "g", .generation_id = 2, .member_id = ids[1], .group_instance_id = "b" };
	memset(&s, 0, sizeof(s));
	sm_group_coordinator_sync(gc, &sr, sync_cb, &s);
	CU_ASSERT_EQUAL(s.error, SM_ERR_FENCED_INSTANCE_ID);
	do_join_static(gc, ids[1], "b", range_proto, 2, &j);
	CU_ASSERT_EQUAL(j.error, SM_ERR_FENCED_INSTANCE_ID);
	sm_gc_offset_t e = { .topic = "t", .partition = 0, .offset = 5, .leader_epoch = -1,
			     .commit_ts = -1, .expire_ts = -1 };
	commit_out_t co;
	memset(&co, 0, sizeof(co));
	sm_group_coordinator_commit_offsets(gc, "g", 2, ids[1], "b", &e, 1, commit_cb, &co);
	CU_ASSERT_EQUAL(co.error, SM_ERR_FENCED_INSTANCE_ID);
	CU_ASSERT_EQUAL(e.error, SM_ERR_FENCED_INSTANCE_ID);
	/* TxnOffsetCommit v3 of the old instance too; the new one commits */
	memset(&co, 0, sizeof(co));
	sm_group_coordinator_txn_commit_offsets(gc, "g", 5, 0, 2, ids[1], "b", &e, 1, commit_cb, &co);
	CU_ASSERT_EQUAL(e.error, SM_ERR_FENCED_INSTANCE_ID);
	sm_group_coordinator_txn_commit_offsets(gc, "g", 5, 0, 2, nb, "b", &e, 1, commit_cb, &co);
	CU_ASSERT_EQUAL(e.error, SM_ERR_NONE);
	sm_group_coordinator_txn_commit_offsets(gc, "g", 5, 0, 1, nb, "b", &e, 1, commit_cb, &co);
	CU_ASSERT_EQUAL(e.error, SM_ERR_ILLEGAL_GENERATION);
	sm_gc_leave_member_t lm = { .member_id = ids[1], .group_instance_id = "b" };
	CU_ASSERT_EQUAL(sm_group_coordinator_leave(gc, "g", &lm, 1), SM_ERR_NONE);
	CU_ASSERT_EQUAL(lm.error, SM_ERR_FENCED_INSTANCE_ID);
	CU_ASSERT_STRING_EQUAL(state_of(gc, "g", buf, sizeof(buf)), "Stable");

	/* The leader restarting does not rebalance either; it is answered
	 * with the old leader id so that it does not assign. */
	do_join_static(gc, "", "a", range_proto, 2, &j);
	CU_ASSERT_EQUAL(j.error, SM_ERR_NONE);
	CU_ASSERT_EQUAL(j.generation, 2);
	CU_ASSERT_STRING_EQUAL(j.leader, ids[0]);
	CU_ASSERT_EQUAL(j.n_members, 0);
	CU_ASSERT_STRING_EQUAL(state_of(gc, "g", buf, sizeof(buf)), "Stable");
	char na[256];
	strcpy(na, j.member_id);
	do_sync(gc, na, 2, NULL, 0, &s);
	CU_ASSERT_STRING_EQUAL(s.assignment, "A");
	/* The new leader id is the member's: its JoinGroup rebalances. */
	do_join_static(gc, na, "a", range_proto, 2, &j);
	CU_ASSERT_EQUAL(j.called, 0);
	CU_ASSERT_STRING_EQUAL(state_of(gc, "g", buf, sizeof(buf)), "PreparingRebalance");
	destroy_gc(gc);
	sm_wbuf_free(&f.data);
}

/* A static rejoin rebalances only when the selected protocol would change
 * or the group is completing a rebalance; a failed write undoes it. */
static void test_static_member_rebalance_rules(void)
{
	fake_log_t f = { .next_offset = 0 }, f2 = { .next_offset = 0 };
	sm_wbuf_init(&f.data, 64);
	sm_wbuf_init(&f2.data, 64);
	char ids[3][256];
	char buf[32];
	join_out_t j;
	sm_group_coordinator_t *gc = static_group(&f, ids);
	/* Only roundrobin offered: the vote changes from range. */
	do_join_static(gc, "", "c", range_proto + 1, 1, &j);
	CU_ASSERT_EQUAL(j.called, 0);
	CU_ASSERT_STRING_EQUAL(state_of(gc, "g", buf, sizeof(buf)), "PreparingRebalance");
	destroy_gc(gc);

	gc = static_group(&f2, ids);
	/* Different metadata, same selected protocol: no rebalance. */
	sm_group_protocol_t p2[] = { { .name = "range", .metadata = (uint8_t *)"other", .metadata_len = 5 } };
	do_join_static(gc, "", "c", p2, 1, &j);
	CU_ASSERT_EQUAL(j.error, SM_ERR_NONE);
	CU_ASSERT_STRING_EQUAL(state_of(gc, "g", buf, sizeof(buf)), "Stable");
	/* A dynamic join starts a rebalance; members rejoin, CompletingRebalance. */
	join_out_t d;
	do_join(gc, "", 0, range_proto, 2, &d);
	CU_ASSERT_EQUAL(d.error, SM_ERR_GROUP_MAX_SIZE_REACHED);
	sm_gc_leave_member_t lm = { .member_id = "", .group_instance_id = "c" };
	CU_ASSERT_EQUAL(sm_group_coordinator_leave(gc, "g", &lm, 1), SM_ERR_NONE);
	CU_ASSERT_EQUAL(lm.error, SM_ERR_NONE);
	CU_ASSERT_STRING_EQUAL(state_of(gc, "g", buf, sizeof(buf)), "PreparingRebalance");
	join_out_t ja, jb;
	do_join_static(gc, ids[0], "a", range_proto, 2, &ja);
	do_join_static(gc, ids[1], "b", range_proto, 2, &jb);
	CU_ASSERT_EQUAL(jb.generation, 3);
	CU_ASSERT_STRING_EQUAL(state_of(gc, "g", buf, sizeof(buf)), "CompletingRebalance");
	/* b restarts before the leader synced: rebalance, the old b's parked
	 * SyncGroup is fenced. */
	sync_out_t sb;
	do_sync(gc, ids[1], 3, NULL, 0, &sb);
	CU_ASSERT_EQUAL(sb.called, 0);
	do_join_static(gc, "", "b", range_proto, 2, &j);
	CU_ASSERT_EQUAL(sb.called, 1);
	CU_ASSERT_EQUAL(sb.error, SM_ERR_FENCED_INSTANCE_ID);
	CU_ASSERT_STRING_EQUAL(state_of(gc, "g", buf, sizeof(buf)), "PreparingRebalance");
	CU_ASSERT_EQUAL(j.called, 0);
	do_join_static(gc, ids[0], "a", range_proto, 2, &ja);
	CU_ASSERT_EQUAL(j.called, 1);
	CU_ASSERT_EQUAL(j.generation, 4);
	destroy_gc(gc);

	/* The write of the new member id fails: the old id stays. */
	fake_log_t pf = { .next_offset = 0 };
	sm_wbuf_init(&pf.data, 64);
	gc = static_group(&pf, ids);
	pf.park = 1;
	int w = pf.n_parked;
	do_join_static(gc, "", "b", range_proto, 2, &j);
	CU_ASSERT_EQUAL(j.called, 0);
	fake_end(&pf, w, SM_ERR_NOT_LEADER_OR_FOLLOWER);
	CU_ASSERT_EQUAL(j.called, 1);
	CU_ASSERT_EQUAL(j.error, SM_ERR_NOT_COORDINATOR);
	CU_ASSERT_EQUAL(sm_group_coordinator_heartbeat(gc, "g", ids[1], "b", 2), SM_ERR_NONE);
	destroy_gc(gc);
	sm_wbuf_free(&f.data);
	sm_wbuf_free(&f2.data);
	sm_wbuf_free(&pf.data);
}

/* Deadlines are kept exactly, whether or not the thread has run: a
 * request after a member's session deadline never sees it. */
static void test_deadlines_on_observe(void)
{
	sm_group_coordinator_t *gc = new_gc(NULL);
	join_out_t j;
	do_join(gc, "", 0, range_proto, 2, &j);
	char id[256];
	strcpy(id, j.member_id);
	sync_out_t s;
	do_sync(gc, id, 1, NULL, 0, &s);
	fake_now += 9999;
	CU_ASSERT_EQUAL(sm_group_coordinator_delete_group(gc, "g"), SM_ERR_NON_EMPTY_GROUP);
	fake_now += 1; /* exactly the session timeout: expired, no tick needed */
	char buf[32];
	CU_ASSERT_STRING_EQUAL(state_of(gc, "g", buf, sizeof(buf)), "Empty");
	CU_ASSERT_EQUAL(sm_group_coordinator_delete_group(gc, "g"), SM_ERR_NONE);

	/* A pending member id (KIP-394) lasts one session timeout. */
	do_join(gc, "", 1, range_proto, 2, &j);
	CU_ASSERT_EQUAL(j.error, SM_ERR_MEMBER_ID_REQUIRED);
	strcpy(id, j.member_id);
	fake_now += 10000;
	do_join(gc, id, 1, range_proto, 2, &j);
	CU_ASSERT_EQUAL(j.error, SM_ERR_UNKNOWN_MEMBER_ID);

	/* The rebalance timeout removes a member that did not rejoin. */
	do_join(gc, "", 0, range_proto, 2, &j);
	strcpy(id, j.member_id);
	do_sync(gc, id, j.generation, NULL, 0, &s);
	join_out_t j2;
	do_join(gc, "", 0, range_proto, 2, &j2);
	CU_ASSERT_EQUAL(j2.called, 0);
	fake_now += 5000;
	CU_ASSERT_EQUAL(sm_group_coordinator_heartbeat(gc, "g", id, NULL, j.generation), SM_ERR_REBALANCE_IN_PROGRESS);
	fake_now += 15000; /* 20 s rebalance timeout since the rebalance began */
	CU_ASSERT_STRING_EQUAL(state_of(gc, "g", buf, sizeof(buf)), "CompletingRebalance");
	CU_ASSERT_EQUAL(j2.called, 1);
	CU_ASSERT_EQUAL(j2.n_members, 1);
	CU_ASSERT_STRING_EQUAL(j2.leader, j2.member_id);
	destroy_gc(gc);
}

/* Fetches t-0 and t-1 of g; each entry's offset, or -88 when unstable. */
static void fetch_two(sm_group_coordinator_t *gc, int stable, int64_t out[2])
{
	sm_arena_t ar;
	sm_arena_init(&ar);
	sm_gc_offset_t q[2] = { { .topic = "t", .partition = 0 }, { .topic = "t", .partition = 1 } };
	CU_ASSERT_EQUAL(sm_group_coordinator_fetch_offsets(gc, "g", q, 2, stable, &ar), SM_ERR_NONE);
	for (int i = 0; i < 2; i++)
		out[i] = q[i].error == SM_ERR_UNSTABLE_OFFSET_COMMIT ? -88 : q[i].offset;
	sm_arena_destroy(&ar);
}

static int do_txn_commit(sm_group_coordinator_t *gc, int64_t pid, int16_t epoch,
			 sm_gc_offset_t *e, int n, commit_out_t *o)
{
	memset(o, 0, sizeof(*o));
	sm_group_coordinator_txn_commit_offsets(gc, "g", pid, epoch, -1, "", NULL, e, n, commit_cb, o);
	return o->called ? (int)o->error : -1000;
}

/* The marker WriteTxnMarkers would append to the offsets partition. */
static void fake_marker(fake_log_t *f, int64_t pid, int commit)
{
	sm_batch_build_control(&f->data, f->next_offset, fake_now, pid, 0, 0, commit);
	f->next_offset += 1;
}

/* Each transactional batch's header: transactional, with the producer. */
static int count_txn_batches(const fake_log_t *f, int64_t pid)
{
	int n = 0;
	size_t pos = 0;
	while (pos < f->data.len) {
		int64_t sz = sm_batch_entry_size(f->data.p + pos, f->data.len - pos);
		sm_batch_hdr_t h;
		if (sz <= 0 || sm_batch_hdr_parse(f->data.p + pos, (size_t)sz, &h))
			break;
		if (sm_batch_is_transactional(&h) && !sm_batch_is_control(&h) && h.producer_id == pid)
			n++;
		pos += (size_t)sz;
	}
	return n;
}

static void test_txn_offsets(void)
{
	fake_log_t f = { .next_offset = 0 };
	sm_wbuf_init(&f.data, 64);
	sm_group_coordinator_t *gc = new_gc(&f);
	CU_ASSERT_EQUAL(sm_group_coordinator_partition_for(gc, "g"), 0);
	commit_out_t co;
	sm_gc_offset_t plain = { .topic = "t", .partition = 0, .offset = 5, .leader_epoch = -1, .commit_ts = -1, .expire_ts = -1 };
	CU_ASSERT_EQUAL(do_commit(gc, "g", -1, "", &plain, 1, &co), SM_ERR_NONE);
	sm_gc_offset_t a[2] = {
		{ .topic = "t", .partition = 0, .offset = 10, .leader_epoch = -1, .commit_ts = -1, .expire_ts = -1 },
		{ .topic = "t", .partition = 1, .offset = 20, .leader_epoch = -1, .commit_ts = -1, .expire_ts = -1 },
	};
	CU_ASSERT_EQUAL(do_txn_commit(gc, 7, 0, a, 2, &co), SM_ERR_NONE);
	CU_ASSERT_EQUAL(a[0].error, SM_ERR_NONE);
	sm_gc_offset_t b = { .topic = "t", .partition = 0, .offset = 30, .leader_epoch = -1, .commit_ts = -1, .expire_ts = -1 };
	CU_ASSERT_EQUAL(do_txn_commit(gc, 8, 0, &b, 1, &co), SM_ERR_NONE);
	CU_ASSERT_EQUAL(count_txn_batches(&f, 7), 1);
	CU_ASSERT_EQUAL(count_txn_batches(&f, 8), 1);
	/* the checks: an empty group id, an unknown member, a generation */
	sm_gc_offset_t x = { .topic = "t", .partition = 0, .offset = 1, .leader_epoch = -1, .commit_ts = -1, .expire_ts = -1 };
	memset(&co, 0, sizeof(co));
	sm_group_coordinator_txn_commit_offsets(gc, "", 7, 0, -1, "", NULL, &x, 1, commit_cb, &co);
	CU_ASSERT_EQUAL(x.error, SM_ERR_INVALID_GROUP_ID);
	sm_group_coordinator_txn_commit_offsets(gc, "g", 7, 0, -1, "who", NULL, &x, 1, commit_cb, &co);
	CU_ASSERT_EQUAL(x.error, SM_ERR_UNKNOWN_MEMBER_ID);
	sm_group_coordinator_txn_commit_offsets(gc, "g", 7, 0, 3, "", NULL, &x, 1, commit_cb, &co);
	CU_ASSERT_EQUAL(x.error, SM_ERR_ILLEGAL_GENERATION);
	int64_t o[2];
	fetch_two(gc, 0, o);
	CU_ASSERT_EQUAL(o[0], 5);
	CU_ASSERT_EQUAL(o[1], -1);
	fetch_two(gc, 1, o);
	CU_ASSERT_EQUAL(o[0], -88);
	CU_ASSERT_EQUAL(o[1], -88);

	/* Retention removes the plain offset (as Kafka, which only spares
	 * offsets with a plain commit in flight) but not the pending ones. */
	fake_now += 8LL * 24 * 3600 * 1000;
	sm_group_coordinator_tick(gc);
	fetch_two(gc, 0, o);
	CU_ASSERT_EQUAL(o[0], -1);
	fetch_two(gc, 1, o);
	CU_ASSERT_EQUAL(o[0], -88);
	CU_ASSERT_EQUAL(o[1], -88);

	/* A reload keeps both producers' offsets pending. */
	destroy_gc(gc);
	gc = new_gc(&f);
	fetch_two(gc, 0, o);
	CU_ASSERT_EQUAL(o[0], -1);
	CU_ASSERT_EQUAL(o[1], -1);
	fetch_two(gc, 1, o);
	CU_ASSERT_EQUAL(o[0], -88);
	CU_ASSERT_EQUAL(o[1], -88);

	/* COMMIT of 7: its offsets become the committed ones; 8's t-0 is
	 * still open. ABORT of 8 drops it. A marker of a producer with
	 * nothing here, or of another partition, changes nothing. */
	fake_marker(&f, 7, 1);
	sm_group_coordinator_txn_completion(gc, 0, 7, 1);
	sm_group_coordinator_txn_completion(gc, 5, 8, 1);
	sm_group_coordinator_txn_completion(gc, 0, 99, 1);
	fetch_two(gc, 0, o);
	CU_ASSERT_EQUAL(o[0], 10);
	CU_ASSERT_EQUAL(o[1], 20);
	fetch_two(gc, 1, o);
	CU_ASSERT_EQUAL(o[0], -88);
	CU_ASSERT_EQUAL(o[1], 20);
	fake_marker(&f, 8, 0);
	sm_group_coordinator_txn_completion(gc, 0, 8, 0);
	fetch_two(gc, 1, o);
	CU_ASSERT_EQUAL(o[0], 10);
	CU_ASSERT_EQUAL(o[1], 20);

	/* A plain commit written after a transactional one it overlaps wins
	 * over it when the transaction commits later. */
	sm_gc_offset_t c1 = { .topic = "t", .partition = 1, .offset = 40, .leader_epoch = -1, .commit_ts = -1, .expire_ts = -1 };
	CU_ASSERT_EQUAL(do_txn_commit(gc, 7, 0, &c1, 1, &co), SM_ERR_NONE);
	sm_gc_offset_t p1 = { .topic = "t", .partition = 1, .offset = 41, .leader_epoch = -1, .commit_ts = -1, .expire_ts = -1 };
	CU_ASSERT_EQUAL(do_commit(gc, "g", -1, "", &p1, 1, &co), SM_ERR_NONE);
	fake_marker(&f, 7, 1);
	sm_group_coordinator_txn_completion(gc, 0, 7, 1);
	fetch_two(gc, 1, o);
	CU_ASSERT_EQUAL(o[0], 10);
	CU_ASSERT_EQUAL(o[1], 41);

	/* A failed write forgets the offset it was for. */
	f.fail = SM_ERR_NOT_LEADER_OR_FOLLOWER;
	sm_gc_offset_t c2 = { .topic = "t", .partition = 0, .offset = 50, .leader_epoch = -1, .commit_ts = -1, .expire_ts = -1 };
	do_txn_commit(gc, 9, 0, &c2, 1, &co);
	CU_ASSERT_EQUAL(c2.error, SM_ERR_NOT_COORDINATOR);
	fetch_two(gc, 1, o);
	CU_ASSERT_EQUAL(o[0], 10);

	/* Producer id -1 (none): a plain commit, visible at once. */
	sm_gc_offset_t c3 = { .topic = "t", .partition = 1, .offset = 60, .leader_epoch = -1, .commit_ts = -1, .expire_ts = -1 };
	CU_ASSERT_EQUAL(do_txn_commit(gc, -1, -1, &c3, 1, &co), SM_ERR_NONE);
	CU_ASSERT_EQUAL(count_txn_batches(&f, -1), 0);
	fetch_two(gc, 1, o);
	CU_ASSERT_EQUAL(o[1], 60);

	/* The reload replays the markers to the same result. */
	destroy_gc(gc);
	gc = new_gc(&f);
	fetch_two(gc, 1, o);
	CU_ASSERT_EQUAL(o[0], 10);
	CU_ASSERT_EQUAL(o[1], 60);
	destroy_gc(gc);
	sm_wbuf_free(&f.data);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("group_coordinator", NULL, NULL);
	CU_add_test(s, "single member join/sync/heartbeat", test_single_member_flow);
	CU_add_test(s, "second member rebalance, protocol vote, expiry", test_second_member_rebalance);
	CU_add_test(s, "errors, leave, list, delete, ownership", test_errors_and_leave);
	CU_add_test(s, "offsets stored and reloaded", test_offsets_store_and_reload);
	CU_add_test(s, "offsets retention", test_offsets_expire);
	CU_add_test(s, "offset commits wait for the ISR", test_commit_waits_for_isr);
	CU_add_test(s, "SyncGroup waits for the ISR", test_sync_waits_for_isr);
	CU_add_test(s, "COORDINATOR_LOAD_IN_PROGRESS while loading", test_load_in_progress);
	CU_add_test(s, "state table and protocol vote", test_state_table_and_vote);
	CU_add_test(s, "timer heap order, re-arm, cancel", test_timer_heap);
	CU_add_test(s, "static member rejoin and fencing", test_static_member_rejoin);
	CU_add_test(s, "static member rebalance rules", test_static_member_rebalance_rules);
	CU_add_test(s, "deadlines kept on observe", test_deadlines_on_observe);
	CU_add_test(s, "transactional offsets: pending, markers, reload", test_txn_offsets);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
