/*
 * test_controller_assign.c - unit tests of replica assignment at topic
 * creation (AdminUtils in Kafka): the rack-aware algorithm against a worked
 * example, its rack spreading and balance properties, the fallback to the
 * rack-unaware algorithm, and its refusals; and the reassignment JSON of
 * /admin/reassign_partitions and kafka-reassign-partitions.
 */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_zk.h"

/* Racks 1,3,3,2,2,1 for brokers 0-5 alternate as 0,3,1,5,4,2; with start
 * index and shift 0 seven partitions of RF 3 come out as below (the second
 * pass over the brokers shifts followers by the rack count). */
static void test_rack_worked_example(void)
{
	int32_t brokers[] = { 0, 1, 2, 3, 4, 5 };
	char *racks[] = { "rack1", "rack3", "rack3", "rack2", "rack2", "rack1" };
	int32_t *a = NULL;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(sm_kzk_assign_replicas_rack(brokers, racks, 6, 7, 3, 0, 0, 0, &a, err, sizeof(err)),
			      SM_ERR_NONE);
	static const int32_t want[7][3] = {
		{ 0, 3, 1 }, { 3, 1, 5 }, { 1, 5, 4 }, { 5, 4, 2 }, { 4, 2, 0 }, { 2, 0, 3 }, { 0, 4, 2 },
	};
	CU_ASSERT(memcmp(a, want, sizeof(want)) == 0);
	free(a);
}

/* Every partition spans min(rf, racks) racks; leaders spread evenly. */
static void test_rack_properties(void)
{
	int32_t brokers[] = { 10, 11, 12, 13, 14, 15, 16, 17, 18 };
	char *racks[] = { "a", "b", "c", "a", "b", "c", "a", "b", "c" };
	for (int round = 0; round < 20; round++) {
		int32_t *a = NULL;
		char err[256];
		int np = 27, rf = 3;
		CU_ASSERT_EQUAL_FATAL(sm_kzk_assign_replicas_rack(brokers, racks, 9, np, rf, -1, -1, 0, &a, err,
								  sizeof(err)),
				      SM_ERR_NONE);
		int leaders[9] = { 0 };
		for (int p = 0; p < np; p++) {
			char seen[3] = { 0 };
			for (int r = 0; r < rf; r++) {
				int idx = a[p * rf + r] - 10;
				CU_ASSERT_FATAL(idx >= 0 && idx < 9);
				seen[idx % 3] = 1;
				for (int q = 0; q < r; q++)
					CU_ASSERT(a[p * rf + q] != a[p * rf + r]);
			}
			CU_ASSERT(seen[0] && seen[1] && seen[2]);
			leaders[a[p * rf] - 10]++;
		}
		for (int b = 0; b < 9; b++)
			CU_ASSERT_EQUAL(leaders[b], 3);
		free(a);
	}
}

/* More replicas than racks: racks repeat only once all are used. */
static void test_rack_rf_above_racks(void)
{
	int32_t brokers[] = { 1, 2, 3, 4 };
	char *racks[] = { "x", "x", "y", "y" };
	int32_t *a = NULL;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(sm_kzk_assign_replicas_rack(brokers, racks, 4, 8, 3, -1, -1, 0, &a, err, sizeof(err)),
			      SM_ERR_NONE);
	for (int p = 0; p < 8; p++) {
		int x = 0, y = 0;
		for (int r = 0; r < 3; r++) {
			if (a[p * 3 + r] <= 2)
				x++;
			else
				y++;
		}
		CU_ASSERT(x >= 1 && y >= 1);
		CU_ASSERT(a[p * 3] != a[p * 3 + 1] && a[p * 3] != a[p * 3 + 2] && a[p * 3 + 1] != a[p * 3 + 2]);
	}
	free(a);
}

static void test_rack_fallback_and_errors(void)
{
	int32_t brokers[] = { 3, 1, 2 };
	char *none[] = { NULL, NULL, NULL };
	char *some[] = { "r1", NULL, "r2" };
	int32_t *a = NULL, *b = NULL;
	char err[256] = "";
	/* No racks: exactly the rack-unaware assignment. */
	CU_ASSERT_EQUAL(sm_kzk_assign_replicas_rack(brokers, none, 3, 5, 2, 1, 1, 0, &a, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(sm_kzk_assign_replicas(brokers, 3, 5, 2, 1, 1, 0, &b, err, sizeof(err)), 0);
	CU_ASSERT(a && b && memcmp(a, b, sizeof(int32_t) * 10) == 0);
	free(a);
	free(b);
	a = NULL;
	CU_ASSERT_EQUAL(sm_kzk_assign_replicas_rack(brokers, some, 3, 5, 2, -1, -1, 0, &a, err, sizeof(err)),
			SM_ERR_UNKNOWN_SERVER_ERROR);
	CU_ASSERT(strstr(err, "Not all brokers have rack information") != NULL);
	CU_ASSERT_PTR_NULL(a);
	char *all[] = { "r1", "r1", "r2" };
	CU_ASSERT_EQUAL(sm_kzk_assign_replicas_rack(brokers, all, 3, 5, 4, -1, -1, 0, &a, err, sizeof(err)),
			SM_ERR_INVALID_REPLICATION_FACTOR);
	CU_ASSERT(strstr(err, "larger than available brokers: 3") != NULL);
	CU_ASSERT_EQUAL(sm_kzk_assign_replicas_rack(brokers, all, 3, 0, 1, -1, -1, 0, &a, err, sizeof(err)),
			SM_ERR_INVALID_PARTITIONS);
	CU_ASSERT_PTR_NULL(a);
}

/* Partitions added later continue the pattern (start_partition). */
static void test_rack_start_partition(void)
{
	int32_t brokers[] = { 0, 1, 2, 3, 4, 5 };
	char *racks[] = { "rack1", "rack3", "rack3", "rack2", "rack2", "rack1" };
	int32_t *a = NULL, *tail = NULL;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(sm_kzk_assign_replicas_rack(brokers, racks, 6, 7, 3, 0, 0, 0, &a, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(sm_kzk_assign_replicas_rack(brokers, racks, 6, 3, 3, 0, 0, 4, &tail, err, sizeof(err)), 0);
	CU_ASSERT(memcmp(a + 4 * 3, tail, sizeof(int32_t) * 9) == 0);
	free(a);
	free(tail);
}

/* Kafka's file format, log_dirs accepted; encode/decode round trip. */
static void test_reassignment_json(void)
{
	const char *js = "{\"version\":1,\"partitions\":[{\"topic\":\"foo\",\"partition\":0,"
			 "\"replicas\":[1,2],\"log_dirs\":[\"any\",\"any\"]},"
			 "{\"topic\":\"bar\",\"partition\":3,\"replicas\":[2,3,4]}]}";
	sm_kzk_reassignment_t *r = NULL;
	int n = 0;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(sm_kzk_reassignment_decode(js, strlen(js), &r, &n, err, sizeof(err)), SM_ERR_NONE);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(r[0].topic, "foo");
	CU_ASSERT_EQUAL(r[0].partition, 0);
	CU_ASSERT_EQUAL_FATAL(r[0].n_replicas, 2);
	CU_ASSERT(r[0].replicas[0] == 1 && r[0].replicas[1] == 2);
	CU_ASSERT_STRING_EQUAL(r[1].topic, "bar");
	CU_ASSERT_EQUAL(r[1].n_replicas, 3);
	char *out = sm_kzk_reassignment_encode(r, n, 0);
	CU_ASSERT_STRING_EQUAL(out, "{\"version\":1,\"partitions\":[{\"topic\":\"foo\",\"partition\":0,"
				    "\"replicas\":[1,2]},{\"topic\":\"bar\",\"partition\":3,\"replicas\":[2,3,4]}]}");
	free(out);
	out = sm_kzk_reassignment_encode(r, 1, 1);
	CU_ASSERT_STRING_EQUAL(out, "{\"version\":1,\"partitions\":[{\"topic\":\"foo\",\"partition\":0,"
				    "\"replicas\":[1,2],\"log_dirs\":[\"any\",\"any\"]}]}");
	free(out);
	sm_kzk_reassignments_free(r, n);
}

static void test_reassignment_json_garbage(void)
{
	static const char *bad[] = {
		"", "{", "[]", "{\"partitions\":{}}", "{\"partitions\":[1]}",
		"{\"partitions\":[{\"topic\":1,\"partition\":0,\"replicas\":[]}]}",
		"{\"partitions\":[{\"topic\":\"t\",\"partition\":-1,\"replicas\":[1]}]}",
		"{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"replicas\":[\"x\"]}]}",
		"{\"partitions\":[{\"topic\":\"t\",\"partition\":0}]}",
		"{\"partitions\":[{\"topic\":\"t\",\"partition\":99999999999,\"replicas\":[1]}]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sm_kzk_reassignment_t *r = (sm_kzk_reassignment_t *)1;
		int n = 7;
		char err[256] = "";
		CU_ASSERT_EQUAL(sm_kzk_reassignment_decode(bad[i], strlen(bad[i]), &r, &n, err, sizeof(err)),
				SM_ERR__PARSE);
		CU_ASSERT_PTR_NULL(r);
		CU_ASSERT_EQUAL(n, 0);
		CU_ASSERT(err[0] != 0);
	}
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("controller_assign", NULL, NULL);
	CU_add_test(s, "rack-aware worked example", test_rack_worked_example);
	CU_add_test(s, "rack-aware spreading and balance", test_rack_properties);
	CU_add_test(s, "replication factor above rack count", test_rack_rf_above_racks);
	CU_add_test(s, "fallback and refusals", test_rack_fallback_and_errors);
	CU_add_test(s, "added partitions continue the pattern", test_rack_start_partition);
	CU_add_test(s, "reassignment JSON", test_reassignment_json);
	CU_add_test(s, "reassignment JSON garbage refused", test_reassignment_json_garbage);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
