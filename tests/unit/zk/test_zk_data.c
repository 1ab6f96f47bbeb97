/* test_zk_data.c - znode JSON shapes and round trips, older versions, garbage
 * rejection, UUIDs, topic name rules and replica assignment. */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_zk.h"
#include "zk_client.h"
#include "zk_data.h"

#define S(x) (x), strlen(x)

static char err[512];

static void test_uuid(void)
{
	uint8_t id[16], back[16];
	char s[SM_UUID_B64_LEN + 1];
	for (int i = 0; i < 100; i++) {
		sm_uuid_random(id);
		CU_ASSERT_FALSE(sm_uuid_is_zero(id));
		sm_uuid_to_b64(id, s);
		CU_ASSERT_EQUAL(strlen(s), 22);
		CU_ASSERT_NOT_EQUAL(s[0], '-');
		CU_ASSERT_EQUAL(sm_uuid_from_b64(s, back), 0);
		CU_ASSERT_EQUAL(memcmp(id, back, 16), 0);
	}
	/* All-ones: 21 '_' then the final char carrying 2 bits ("w"). */
	memset(id, 0xff, 16);
	sm_uuid_to_b64(id, s);
	CU_ASSERT_STRING_EQUAL(s, "_____________________w");
	memset(id, 0, 16);
	sm_uuid_to_b64(id, s);
	CU_ASSERT_STRING_EQUAL(s, "AAAAAAAAAAAAAAAAAAAAAA");
	CU_ASSERT_EQUAL(sm_uuid_from_b64("short", back), -1);
	CU_ASSERT_EQUAL(sm_uuid_from_b64("AAAAAAAAAAAAAAAAAAAAA=", back), -1);
	CU_ASSERT_EQUAL(sm_uuid_from_b64("AAAAAAAAAAAAAAAAAAAAAAA", back), -1);
	CU_ASSERT_EQUAL(sm_uuid_from_b64(NULL, back), -1);
}

static void test_paths(void)
{
	char *p = sm_zkpath_partition_state("foo", 3);
	CU_ASSERT_STRING_EQUAL(p, "/brokers/topics/foo/partitions/3/state");
	free(p);
	p = sm_zkpath_broker(7);
	CU_ASSERT_STRING_EQUAL(p, "/brokers/ids/7");
	free(p);
	p = sm_zkpath_delete_topic("x");
	CU_ASSERT_STRING_EQUAL(p, "/admin/delete_topics/x");
	free(p);
	p = sm_zkpath_topic_config("x");
	CU_ASSERT_STRING_EQUAL(p, "/config/topics/x");
	free(p);
}

static void test_broker(void)
{
	sm_zk_broker_info_t b = { .id = 1, .jmx_port = -1,
				  .timestamp = 1700000000000LL };
	sm_zk_broker_add_endpoint(&b, "REPLICATION", "kafka1", 9093, "SSL");
	sm_zk_broker_add_endpoint(&b, "PLAINTEXT", "kafka1", 9092, "PLAINTEXT");
	char *j = sm_zk_broker_encode(&b);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"version\":5"));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"timestamp\":\"1700000000000\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"features\":{}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"jmx_port\":-1"));
	/* host/port come from the first PLAINTEXT endpoint. */
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"host\":\"kafka1\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"port\":9092"));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"endpoints\":[\"REPLICATION://kafka1:9093\","
					 "\"PLAINTEXT://kafka1:9092\"]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"REPLICATION\":\"SSL\""));
	CU_ASSERT_PTR_NULL(strstr(j, "rack"));

	sm_zk_broker_info_t d = { .id = 1 };
	CU_ASSERT_EQUAL(sm_zk_broker_decode(S(j), &d, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(d.version, 5);
	CU_ASSERT_EQUAL(d.id, 1);
	CU_ASSERT_EQUAL(d.port, 9092);
	CU_ASSERT_EQUAL(d.timestamp, 1700000000000LL);
	CU_ASSERT_EQUAL(d.n_endpoints, 2);
	CU_ASSERT_STRING_EQUAL(d.endpoints[0].security_protocol, "SSL");
	CU_ASSERT_EQUAL(d.endpoints[1].port, 9092);
	CU_ASSERT_PTR_NULL(d.rack);
	sm_zk_broker_clear(&d);
	free(j);

	/* No PLAINTEXT endpoint: host null, port -1; rack present when set. */
	sm_zk_broker_clear(&b);
	sm_zk_broker_add_endpoint(&b, "SSL", "h", 9093, "SSL");
	b.rack = strdup("r1");
	j = sm_zk_broker_encode(&b);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"host\":null"));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"port\":-1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"rack\":\"r1\""));
	CU_ASSERT_EQUAL(sm_zk_broker_decode(S(j), &d, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(d.rack, "r1");
	CU_ASSERT_PTR_NULL(d.host);
	sm_zk_broker_clear(&d);
	sm_zk_broker_clear(&b);
	free(j);
}

static void test_broker_old_versions(void)
{
	sm_zk_broker_info_t d = { 0 };
	const char *v1 = "{\"version\":1,\"host\":\"h\",\"port\":9092,"
			 "\"jmx_port\":-1,\"timestamp\":\"5\"}";
	CU_ASSERT_EQUAL(sm_zk_broker_decode(S(v1), &d, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(d.n_endpoints, 1);
	CU_ASSERT_STRING_EQUAL(d.endpoints[0].listener, "PLAINTEXT");
	CU_ASSERT_STRING_EQUAL(d.endpoints[0].host, "h");
	sm_zk_broker_clear(&d);

	/* v2 without a protocol map: listener names are protocols. */
	const char *v2 = "{\"version\":2,\"host\":\"h\",\"port\":9092,"
			 "\"jmx_port\":9999,\"timestamp\":\"5\",\"endpoints\":"
			 "[\"SSL://[::1]:9093\",\"PLAINTEXT://:9092\"]}";
	CU_ASSERT_EQUAL(sm_zk_broker_decode(S(v2), &d, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(d.jmx_port, 9999);
	CU_ASSERT_STRING_EQUAL(d.endpoints[0].host, "[::1]");
	CU_ASSERT_EQUAL(d.endpoints[0].port, 9093);
	CU_ASSERT_STRING_EQUAL(d.endpoints[1].host, "");
	sm_zk_broker_clear(&d);

	const char *v2bad = "{\"version\":2,\"endpoints\":[\"INTERNAL://h:1\"]}";
	CU_ASSERT_EQUAL(sm_zk_broker_decode(S(v2bad), &d, err, sizeof(err)),
			SM_ERR__PARSE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "INTERNAL"));
}

static void test_broker_garbage(void)
{
	const char *bad[] = {
		"", "null", "[1,2]", "{", "{\"version\":\"5\"}",
		"{\"version\":9,\"endpoints\":[]}",
		"{\"version\":5,\"endpoints\":\"x\"}",
		"{\"version\":5,\"endpoints\":[1]}",
		"{\"version\":5,\"endpoints\":[\"PLAINTEXT//h:1\"]}",
		"{\"version\":5,\"endpoints\":[\"PLAINTEXT://h:99999\"]}",
		"{\"version\":5,\"endpoints\":[],\"timestamp\":\"12x\"}",
		"{\"version\":5,\"endpoints\":[],\"host\":5}",
		"{\"version\":5,\"endpoints\":[],\"jmx_port\":\"a\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sm_zk_broker_info_t d = { 0 };
		err[0] = '\0';
		CU_ASSERT_EQUAL(sm_zk_broker_decode(S(bad[i]), &d, err,
						    sizeof(err)), SM_ERR__PARSE);
		CU_ASSERT(strlen(err) > 0);
		CU_ASSERT_EQUAL(d.n_endpoints, 0);
	}
	sm_zk_broker_info_t d = { 0 };
	CU_ASSERT_EQUAL(sm_zk_broker_decode(NULL, 0, &d, err, sizeof(err)),
			SM_ERR__PARSE);
	/* Embedded NUL in otherwise valid bytes. */
	CU_ASSERT_EQUAL(sm_zk_broker_decode("{\"version\"\0:1}", 14, &d, err,
					    sizeof(err)), SM_ERR__PARSE);
}

static void test_controller(void)
{
	char *j = sm_zk_controller_encode(3, 1700000000123LL);
	CU_ASSERT_STRING_EQUAL(j, "{\"version\":1,\"brokerid\":3,"
				  "\"timestamp\":\"1700000000123\"}");
	int32_t id = -1;
	CU_ASSERT_EQUAL(sm_zk_controller_decode(S(j), &id, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(id, 3);
	free(j);
	/* 3.x writes version 2 with an extra key: still readable. */
	const char *v2 = "{\"version\":2,\"brokerid\":4,\"timestamp\":\"1\","
			 "\"kraftControllerEpoch\":-1}";
	CU_ASSERT_EQUAL(sm_zk_controller_decode(S(v2), &id, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(id, 4);
	CU_ASSERT_EQUAL(sm_zk_controller_decode(S("{\"brokerid\":\"4\"}"), &id,
						err, sizeof(err)), SM_ERR__PARSE);
	CU_ASSERT_EQUAL(sm_zk_controller_decode(S("{}"), &id, err, sizeof(err)),
			SM_ERR__PARSE);

	j = sm_zk_controller_epoch_encode(5);
	CU_ASSERT_STRING_EQUAL(j, "5");
	int32_t e = 0;
	CU_ASSERT_EQUAL(sm_zk_controller_epoch_decode(S(j), &e, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(e, 5);
	free(j);
	CU_ASSERT_EQUAL(sm_zk_controller_epoch_decode(S("x"), &e, err,
						      sizeof(err)), SM_ERR__PARSE);
	CU_ASSERT_EQUAL(sm_zk_controller_epoch_decode(S(""), &e, err,
						      sizeof(err)), SM_ERR__PARSE);
	CU_ASSERT_EQUAL(sm_zk_controller_epoch_decode(S("99999999999"), &e, err,
						      sizeof(err)), SM_ERR__PARSE);
}

static void test_topic(void)
{
	sm_zk_topic_assignment_t a = { 0 };
	int32_t r0[] = { 1, 2, 3 }, r1[] = { 2, 3, 1 };
	sm_zk_topic_add_partition(&a, 0, r0, 3);
	sm_zk_partition_assignment_t *p1 = sm_zk_topic_add_partition(&a, 1, r1, 3);
	p1->adding = malloc(sizeof(int32_t));
	p1->adding[0] = 4;
	p1->n_adding = 1;
	CU_ASSERT_EQUAL(sm_uuid_from_b64("pjZ0VsXpR9mG5ZfT1cGl1g", a.topic_id), 0);
	a.has_topic_id = 1;
	char *j = sm_zk_topic_encode(&a);
	CU_ASSERT_STRING_EQUAL(j, "{\"version\":3,\"topic_id\":\"pjZ0VsXpR9mG5ZfT1cGl1g\","
				  "\"partitions\":{\"0\":[1,2,3],\"1\":[2,3,1]},"
				  "\"adding_replicas\":{\"1\":[4]},"
				  "\"removing_replicas\":{}}");
	sm_zk_topic_assignment_t d;
	CU_ASSERT_EQUAL(sm_zk_topic_decode(S(j), &d, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(d.version, 3);
	CU_ASSERT_EQUAL(d.has_topic_id, 1);
	CU_ASSERT_EQUAL(memcmp(d.topic_id, a.topic_id, 16), 0);
	CU_ASSERT_EQUAL(d.n_partitions, 2);
	const sm_zk_partition_assignment_t *q = sm_zk_topic_find(&d, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_EQUAL(q->n_replicas, 3);
	CU_ASSERT_EQUAL(q->replicas[0], 2);
	CU_ASSERT_EQUAL(q->n_adding, 1);
	CU_ASSERT_EQUAL(q->n_removing, 0);
	sm_zk_topic_clear(&d);
	free(j);
	sm_zk_topic_clear(&a);

	/* v1: no topic id, no adding/removing; keys out of order are sorted. */
	const char *v1 = "{\"version\":1,\"partitions\":{\"10\":[1],\"2\":[2],\"0\":[0]}}";
	CU_ASSERT_EQUAL(sm_zk_topic_decode(S(v1), &d, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(d.has_topic_id, 0);
	CU_ASSERT_EQUAL(d.n_partitions, 3);
	CU_ASSERT_EQUAL(d.partitions[0].partition, 0);
	CU_ASSERT_EQUAL(d.partitions[1].partition, 2);
	CU_ASSERT_EQUAL(d.partitions[2].partition, 10);
	sm_zk_topic_clear(&d);
	/* v2 */
	const char *v2 = "{\"version\":2,\"partitions\":{\"0\":[0,1]},"
			 "\"adding_replicas\":{},\"removing_replicas\":{\"0\":[1]}}";
	CU_ASSERT_EQUAL(sm_zk_topic_decode(S(v2), &d, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(d.partitions[0].n_removing, 1);
	sm_zk_topic_clear(&d);

	const char *bad[] = {
		"{}", "{\"partitions\":[]}", "{\"partitions\":{\"x\":[1]}}",
		"{\"partitions\":{\"-1\":[1]}}", "{\"partitions\":{\"0\":[\"1\"]}}",
		"{\"partitions\":{\"0\":1}}",
		"{\"partitions\":{\"0\":[1]},\"topic_id\":\"short\"}",
		"{\"partitions\":{\"0\":[1]},\"topic_id\":7}",
		"{\"partitions\":{\"0\":[1]},\"adding_replicas\":{\"5\":[1]}}",
		"{\"partitions\":{\"0\":[1]},\"removing_replicas\":[]}",
		"{\"version\":\"3\",\"partitions\":{}}",
		"{\"partitions\":{\"0\":[1],\"0\":[2]}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(sm_zk_topic_decode(S(bad[i]), &d, err, sizeof(err)),
				SM_ERR__PARSE);
		CU_ASSERT(strlen(err) > 0);
		CU_ASSERT_EQUAL(d.n_partitions, 0);
	}
}

static void test_partition_state(void)
{
	int32_t isr[] = { 1, 3 };
	sm_zk_partition_state_t st = { .leader = 1, .leader_epoch = 12,
				       .controller_epoch = 7 };
	sm_zk_partition_state_set_isr(&st, isr, 2);
	char *j = sm_zk_partition_state_encode(&st);
	CU_ASSERT_STRING_EQUAL(j, "{\"controller_epoch\":7,\"leader\":1,"
				  "\"version\":1,\"leader_epoch\":12,\"isr\":[1,3]}");
	sm_zk_partition_state_t d = { .zk_version = 9 };
	CU_ASSERT_EQUAL(sm_zk_partition_state_decode(S(j), &d, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(d.zk_version, 9);
	CU_ASSERT_EQUAL(d.leader, 1);
	CU_ASSERT_EQUAL(d.leader_epoch, 12);
	CU_ASSERT_EQUAL(d.controller_epoch, 7);
	CU_ASSERT_EQUAL(d.n_isr, 2);
	CU_ASSERT_EQUAL(d.isr[1], 3);
	CU_ASSERT_EQUAL(d.leader_recovery_state, 0);
	sm_zk_partition_state_clear(&d);
	free(j);
	st.leader_recovery_state = 1;
	j = sm_zk_partition_state_encode(&st);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"leader_recovery_state\":1"));
	free(j);
	sm_zk_partition_state_clear(&st);

	const char *bad[] = {
		"{\"leader\":1,\"leader_epoch\":0,\"controller_epoch\":1}",
		"{\"leader\":\"1\",\"leader_epoch\":0,\"controller_epoch\":1,\"isr\":[]}",
		"{\"leader\":1,\"leader_epoch\":0,\"controller_epoch\":1,\"isr\":[1.5]}",
		"{\"leader\":1,\"controller_epoch\":1,\"isr\":[1]}",
		"not json",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(sm_zk_partition_state_decode(S(bad[i]), &d, err,
							     sizeof(err)),
				SM_ERR__PARSE);
}

static void test_cluster_id_and_config(void)
{
	char *j = sm_zk_cluster_id_encode("Wq4Wm2dZR1i3F0c8xZ1HkA");
	CU_ASSERT_STRING_EQUAL(j, "{\"version\":\"1\",\"id\":\"Wq4Wm2dZR1i3F0c8xZ1HkA\"}");
	char *id = NULL;
	CU_ASSERT_EQUAL(sm_zk_cluster_id_decode(S(j), &id, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(id, "Wq4Wm2dZR1i3F0c8xZ1HkA");
	free(id);
	free(j);
	CU_ASSERT_EQUAL(sm_zk_cluster_id_decode(S("{\"id\":5}"), &id, err,
						sizeof(err)), SM_ERR__PARSE);

	j = sm_zk_config_encode(NULL);
	CU_ASSERT_STRING_EQUAL(j, "{\"version\":1,\"config\":{}}");
	free(j);
	sm_zk_config_t c = { 0 };
	sm_zk_config_set(&c, "cleanup.policy", "compact");
	sm_zk_config_set(&c, "retention.ms", "1");
	sm_zk_config_set(&c, "retention.ms", "86400000");
	j = sm_zk_config_encode(&c);
	CU_ASSERT_STRING_EQUAL(j, "{\"version\":1,\"config\":{\"cleanup.policy\":"
				  "\"compact\",\"retention.ms\":\"86400000\"}}");
	sm_zk_config_clear(&c);
	CU_ASSERT_EQUAL(sm_zk_config_decode(S(j), &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.n, 2);
	CU_ASSERT_STRING_EQUAL(sm_zk_config_get(&c, "retention.ms"), "86400000");
	CU_ASSERT_PTR_NULL(sm_zk_config_get(&c, "nope"));
	sm_zk_config_set(&c, "segment.ms", "5");
	sm_zk_config_remove(&c, "retention.ms");
	sm_zk_config_remove(&c, "nope");
	CU_ASSERT_EQUAL(c.n, 2);
	CU_ASSERT_PTR_NULL(sm_zk_config_get(&c, "retention.ms"));
	CU_ASSERT_STRING_EQUAL(c.keys[0], "cleanup.policy");
	CU_ASSERT_STRING_EQUAL(c.keys[1], "segment.ms");
	sm_zk_config_clear(&c);
	free(j);
	CU_ASSERT_EQUAL(sm_zk_config_decode(S("{\"version\":1,\"config\":{\"a\":1}}"),
					    &c, err, sizeof(err)), SM_ERR__PARSE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "\"a\""));
	CU_ASSERT_EQUAL(sm_zk_config_decode(S("{\"version\":1}"), &c, err,
					    sizeof(err)), SM_ERR__PARSE);
}

static void test_notifications(void)
{
	char *j = sm_zk_config_change_encode("topics/foo");
	CU_ASSERT_STRING_EQUAL(j, "{\"version\":2,\"entity_path\":\"topics/foo\"}");
	char *ep = NULL;
	CU_ASSERT_EQUAL(sm_zk_config_change_decode(S(j), &ep, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(ep, "topics/foo");
	free(ep);
	free(j);
	const char *v1 = "{\"version\":1,\"entity_type\":\"clients\","
			 "\"entity_name\":\"app\"}";
	CU_ASSERT_EQUAL(sm_zk_config_change_decode(S(v1), &ep, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(ep, "clients/app");
	free(ep);
	CU_ASSERT_EQUAL(sm_zk_config_change_decode(S("{\"version\":3}"), &ep, err,
						   sizeof(err)), SM_ERR__PARSE);

	sm_zk_topic_partition_t tps[2] = { { "foo", 0 }, { "bar", 1 } };
	j = sm_zk_isr_change_encode(tps, 2);
	CU_ASSERT_STRING_EQUAL(j, "{\"version\":1,\"partitions\":[{\"topic\":\"foo\","
				  "\"partition\":0},{\"topic\":\"bar\",\"partition\":1}]}");
	sm_zk_topic_partition_t *out = NULL;
	int n = 0;
	CU_ASSERT_EQUAL(sm_zk_isr_change_decode(S(j), &out, &n, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_STRING_EQUAL(out[1].topic, "bar");
	CU_ASSERT_EQUAL(out[1].partition, 1);
	sm_zk_topic_partitions_free(out, n);
	free(j);
	CU_ASSERT_EQUAL(sm_zk_isr_change_decode(S("{\"partitions\":[{\"topic\":\"a\"},1]}"),
						&out, &n, err, sizeof(err)),
			SM_ERR__PARSE);

	j = sm_zk_log_dir_event_encode(2);
	CU_ASSERT_STRING_EQUAL(j, "{\"version\":1,\"broker\":2,\"event\":1}");
	int32_t b = -1;
	CU_ASSERT_EQUAL(sm_zk_log_dir_event_decode(S(j), &b, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(b, 2);
	free(j);
	CU_ASSERT_EQUAL(sm_zk_log_dir_event_decode(S("{\"version\":1,\"event\":1}"), &b, err,
						   sizeof(err)), SM_ERR__PARSE);
	CU_ASSERT_EQUAL(sm_zk_log_dir_event_decode(S("{\"version\":1,\"broker\":1,\"event\":2}"),
						   &b, err, sizeof(err)), SM_ERR__PARSE);
}

static void test_topic_names(void)
{
	CU_ASSERT_EQUAL(sm_kzk_validate_topic_name("foo.bar-baz_1", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(sm_kzk_validate_topic_name("", err, sizeof(err)),
			SM_ERR_INVALID_TOPIC_EXCEPTION);
	CU_ASSERT_EQUAL(sm_kzk_validate_topic_name(".", err, sizeof(err)),
			SM_ERR_INVALID_TOPIC_EXCEPTION);
	CU_ASSERT_EQUAL(sm_kzk_validate_topic_name("..", err, sizeof(err)),
			SM_ERR_INVALID_TOPIC_EXCEPTION);
	CU_ASSERT_EQUAL(sm_kzk_validate_topic_name("a b", err, sizeof(err)),
			SM_ERR_INVALID_TOPIC_EXCEPTION);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is illegal, it contains a character"));
	char name[251];
	memset(name, 'a', 250);
	name[250] = '\0';
	CU_ASSERT_EQUAL(sm_kzk_validate_topic_name(name, err, sizeof(err)),
			SM_ERR_INVALID_TOPIC_EXCEPTION);
	name[249] = '\0';
	CU_ASSERT_EQUAL(sm_kzk_validate_topic_name(name, err, sizeof(err)), 0);

	char *existing[] = { "a_b", "x", "a.b" };
	CU_ASSERT_EQUAL(sm_kzk_check_topic_collision("a.b", existing, 3, err,
						     sizeof(err)),
			SM_ERR_INVALID_TOPIC_EXCEPTION);
	CU_ASSERT_STRING_EQUAL(err, "Topic 'a.b' collides with existing topics: a_b");
	CU_ASSERT_EQUAL(sm_kzk_check_topic_collision("x", existing, 3, err,
						     sizeof(err)), 0);
	CU_ASSERT_EQUAL(sm_kzk_check_topic_collision("a_c", existing, 3, err,
						     sizeof(err)), 0);
	CU_ASSERT_TRUE(sm_kzk_topic_has_collision_chars("a.b"));
	CU_ASSERT_FALSE(sm_kzk_topic_has_collision_chars("ab"));
}

static void test_assignment(void)
{
	/*
	 * 5 brokers 0..4, start 0, shift 0. Partition p's leader is broker
	 * p % 5; follower j is 1 + (shift + j) % 4 places further. The shift
	 * becomes 1 at p = 5, so the second round places followers 2 and 3
	 * places after the leader instead of 1 and 2.
	 */
	static const int32_t expect[10][3] = {
		{ 0, 1, 2 }, { 1, 2, 3 }, { 2, 3, 4 }, { 3, 4, 0 }, { 4, 0, 1 },
		{ 0, 2, 3 }, { 1, 3, 4 }, { 2, 4, 0 }, { 3, 0, 1 }, { 4, 1, 2 },
	};
	int32_t brokers[] = { 4, 2, 0, 3, 1 }; /* unsorted on purpose */
	int32_t *out = NULL;
	CU_ASSERT_EQUAL_FATAL(sm_kzk_assign_replicas(brokers, 5, 10, 3, 0, 0, 0,
						     &out, err, sizeof(err)), 0);
	for (int p = 0; p < 10; p++)
		for (int r = 0; r < 3; r++)
			CU_ASSERT_EQUAL(out[p * 3 + r], expect[p][r]);
	free(out);

	/* Adding partitions from 10: the given shift is bumped once on
	 * entering p = 10 (a multiple of 5), as in the second round above. */
	CU_ASSERT_EQUAL(sm_kzk_assign_replicas(brokers, 5, 1, 3, 0, 0, 10, &out,
					       err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(out[0], 0);
	CU_ASSERT_EQUAL(out[1], 2);
	CU_ASSERT_EQUAL(out[2], 3);
	free(out);

	/* Random start: every partition still has distinct replicas. */
	int32_t ids[] = { 10, 20, 30 };
	CU_ASSERT_EQUAL(sm_kzk_assign_replicas(ids, 3, 6, 3, -1, -1, 0, &out,
					       err, sizeof(err)), 0);
	for (int p = 0; p < 6; p++) {
		CU_ASSERT_NOT_EQUAL(out[p * 3], out[p * 3 + 1]);
		CU_ASSERT_NOT_EQUAL(out[p * 3], out[p * 3 + 2]);
		CU_ASSERT_NOT_EQUAL(out[p * 3 + 1], out[p * 3 + 2]);
	}
	free(out);

	CU_ASSERT_EQUAL(sm_kzk_assign_replicas(ids, 3, 1, 4, 0, 0, 0, &out, err,
					       sizeof(err)),
			SM_ERR_INVALID_REPLICATION_FACTOR);
	CU_ASSERT_STRING_EQUAL(err, "Replication factor: 4 larger than available "
				    "brokers: 3.");
	CU_ASSERT_EQUAL(sm_kzk_assign_replicas(ids, 3, 0, 1, 0, 0, 0, &out, err,
					       sizeof(err)),
			SM_ERR_INVALID_PARTITIONS);
	CU_ASSERT_EQUAL(sm_kzk_assign_replicas(ids, 3, 1, 0, 0, 0, 0, &out, err,
					       sizeof(err)),
			SM_ERR_INVALID_REPLICATION_FACTOR);
	CU_ASSERT_EQUAL(sm_kzk_assign_replicas(ids, 0, 1, 1, 0, 0, 0, &out, err,
					       sizeof(err)),
			SM_ERR_INVALID_REPLICATION_FACTOR);
}

static void test_connect_string(void)
{
	char *h, *c;
	CU_ASSERT_EQUAL(sm_zk_parse_connect("a:1,b:2/kafka/x", &h, &c), 0);
	CU_ASSERT_STRING_EQUAL(h, "a:1,b:2");
	CU_ASSERT_STRING_EQUAL(c, "/kafka/x");
	free(h);
	free(c);
	CU_ASSERT_EQUAL(sm_zk_parse_connect("a:1/kafka/", &h, &c), 0);
	CU_ASSERT_STRING_EQUAL(c, "/kafka");
	free(h);
	free(c);
	CU_ASSERT_EQUAL(sm_zk_parse_connect("a:1", &h, &c), 0);
	CU_ASSERT_STRING_EQUAL(c, "");
	free(h);
	free(c);
	CU_ASSERT_EQUAL(sm_zk_parse_connect("/kafka", &h, &c), -1);
	CU_ASSERT_EQUAL(sm_zk_parse_connect("a:1,,b:2", &h, &c), -1);
	CU_ASSERT_EQUAL(sm_zk_parse_connect("a:1//x", &h, &c), -1);
	CU_ASSERT_EQUAL(sm_zk_parse_connect("", &h, &c), -1);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("zk_data", NULL, NULL);
	CU_add_test(s, "uuid base64url", test_uuid);
	CU_add_test(s, "paths", test_paths);
	CU_add_test(s, "broker registration v5", test_broker);
	CU_add_test(s, "broker registration v1/v2", test_broker_old_versions);
	CU_add_test(s, "broker registration garbage", test_broker_garbage);
	CU_add_test(s, "controller and epoch", test_controller);
	CU_add_test(s, "topic assignment", test_topic);
	CU_add_test(s, "partition state", test_partition_state);
	CU_add_test(s, "cluster id and config", test_cluster_id_and_config);
	CU_add_test(s, "notifications", test_notifications);
	CU_add_test(s, "topic names", test_topic_names);
	CU_add_test(s, "replica assignment", test_assignment);
	CU_add_test(s, "connect string", test_connect_string);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
