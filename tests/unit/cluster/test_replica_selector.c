/*
 * test_replica_selector.c - the preferred read replica rule (KIP-392):
 * replica.selector.class parsing at start, and the rack-aware choice among
 * the replicas a leader describes (range, liveness, rack, ranking).
 */
#include <CUnit/Basic.h>
#include <string.h>

#include "../common/config_fixture.h"
#include "kafka_config.h"
#include "properties.h"
#include "replica_selector.h"

#define RA SM_REPLICA_SELECTOR_RACK_AWARE

static sm_replica_view_t view(int32_t id, const char *rack, int64_t lso, int64_t leo, int64_t lag)
{
	sm_replica_view_t v = { id, rack, 1, lso, leo, lag };
	return v;
}

static void test_parse(void)
{
	sm_replica_selector_t s = RA;
	CU_ASSERT_EQUAL(sm_replica_selector_parse(NULL, &s), 0);
	CU_ASSERT_EQUAL(s, SM_REPLICA_SELECTOR_NONE);
	CU_ASSERT_EQUAL(sm_replica_selector_parse("", &s), 0);
	CU_ASSERT_EQUAL(s, SM_REPLICA_SELECTOR_NONE);
	CU_ASSERT_EQUAL(sm_replica_selector_parse("org.apache.kafka.common.replica.RackAwareReplicaSelector", &s), 0);
	CU_ASSERT_EQUAL(s, RA);
	CU_ASSERT_EQUAL(sm_replica_selector_parse("RackAwareReplicaSelector", &s), -1);
	CU_ASSERT_EQUAL(sm_replica_selector_parse("com.example.Nearest", &s), -1);
}

static void test_config(void)
{
	sm_kafka_config_t cfg;
	char err[512] = "";
	CU_ASSERT_EQUAL_FATAL(cf_load(&cfg, "zookeeper.connect=x:1\n", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.replica_selector, SM_REPLICA_SELECTOR_NONE);
	sm_kafka_config_free(&cfg);
	CU_ASSERT_EQUAL_FATAL(cf_load(&cfg, "zookeeper.connect=x:1\nreplica.selector.class="
				  "org.apache.kafka.common.replica.RackAwareReplicaSelector\n", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.replica_selector, RA);
	sm_kafka_config_free(&cfg);
	CU_ASSERT_EQUAL(cf_load(&cfg, "zookeeper.connect=x:1\nreplica.selector.class=com.example.Nearest\n",
			     err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "replica.selector.class"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "com.example.Nearest"));
	sm_kafka_config_free(&cfg);
}

static void test_leader_cases(void)
{
	sm_replica_view_t l = view(1, "r1", 0, 100, 0);
	sm_replica_view_t f[2] = { view(2, "r2", 0, 100, 0), view(3, "r3", 0, 100, 0) };
	/* No selector, no client rack, empty rack: the leader. */
	CU_ASSERT_EQUAL(sm_replica_select(SM_REPLICA_SELECTOR_NONE, "r2", 10, &l, f, 2), -1);
	CU_ASSERT_EQUAL(sm_replica_select(RA, NULL, 10, &l, f, 2), -1);
	CU_ASSERT_EQUAL(sm_replica_select(RA, "", 10, &l, f, 2), -1);
	/* The client's rack has the follower. */
	CU_ASSERT_EQUAL(sm_replica_select(RA, "r2", 10, &l, f, 2), 2);
	CU_ASSERT_EQUAL(sm_replica_select(RA, "r3", 10, &l, f, 2), 3);
	/* The leader is in the client's rack: the leader, even with a
	 * follower there too. */
	f[1].rack = "r1";
	CU_ASSERT_EQUAL(sm_replica_select(RA, "r1", 10, &l, f, 2), -1);
	/* No replica in the client's rack. */
	CU_ASSERT_EQUAL(sm_replica_select(RA, "r9", 10, &l, f, 2), -1);
	/* A leader with no endpoint (no rack) does not match. */
	l.alive = 0;
	CU_ASSERT_EQUAL(sm_replica_select(RA, "r1", 10, &l, f, 2), 3);
}

static void test_candidates(void)
{
	sm_replica_view_t l = view(1, "r1", 0, 100, 0);
	sm_replica_view_t f[1] = { view(2, "r2", 20, 50, 0) };
	/* Only replicas holding the fetch offset: [log start, log end]. */
	CU_ASSERT_EQUAL(sm_replica_select(RA, "r2", 20, &l, f, 1), 2);
	CU_ASSERT_EQUAL(sm_replica_select(RA, "r2", 50, &l, f, 1), 2);
	CU_ASSERT_EQUAL(sm_replica_select(RA, "r2", 51, &l, f, 1), -1);
	CU_ASSERT_EQUAL(sm_replica_select(RA, "r2", 19, &l, f, 1), -1);
	/* Unknown log end offset (no fetch seen yet): not a candidate;
	 * unknown log start offset: one. */
	f[0].log_end_offset = -1;
	CU_ASSERT_EQUAL(sm_replica_select(RA, "r2", 0, &l, f, 1), -1);
	f[0].log_end_offset = 50;
	f[0].log_start_offset = -1;
	CU_ASSERT_EQUAL(sm_replica_select(RA, "r2", 0, &l, f, 1), 2);
	/* A dead broker (no endpoint on the listener) is never chosen. */
	f[0].alive = 0;
	CU_ASSERT_EQUAL(sm_replica_select(RA, "r2", 0, &l, f, 1), -1);
	/* A follower without a rack never matches. */
	f[0].alive = 1;
	f[0].rack = NULL;
	CU_ASSERT_EQUAL(sm_replica_select(RA, "r2", 0, &l, f, 1), -1);
}

static void test_ranking(void)
{
	sm_replica_view_t l = view(1, "r1", 0, 100, 0);
	sm_replica_view_t f[3] = { view(2, "r2", 0, 90, 0), view(3, "r2", 0, 95, 500), view(4, "r2", 0, 95, 100) };
	/* Highest log end offset first, then least time since caught up. */
	CU_ASSERT_EQUAL(sm_replica_select(RA, "r2", 10, &l, f, 3), 4);
	/* Equal on both: the highest id. */
	f[1].time_since_caught_up_ms = 100;
	CU_ASSERT_EQUAL(sm_replica_select(RA, "r2", 10, &l, f, 3), 4);
	f[0].log_end_offset = 99;
	CU_ASSERT_EQUAL(sm_replica_select(RA, "r2", 10, &l, f, 3), 2);
	/* The leader's own id among the followers is ignored. */
	f[0].id = 1;
	CU_ASSERT_EQUAL(sm_replica_select(RA, "r2", 10, &l, f, 3), 4);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("replica_selector", NULL, NULL);
	CU_add_test(s, "replica.selector.class parsing", test_parse);
	CU_add_test(s, "replica.selector.class in the broker config", test_config);
	CU_add_test(s, "leader or follower", test_leader_cases);
	CU_add_test(s, "candidates hold the offset and are alive", test_candidates);
	CU_add_test(s, "ranking of same-rack candidates", test_ranking);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
