/* test_kafka_config.c - properties syntax, config defaults, validation errors
 * that name the key, overrides and synonyms. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_fixture.h"
#include "kafka_config.h"
#include "properties.h"

static void test_props_syntax(void)
{
	const char *text =
		"# comment\n"
		"! also a comment\n"
		"a=1\n"
		"b : two words  \n"
		"c three\n"
		"  d=con\\\n"
		"     tinued\n"
		"e=tab\\there\n"
		"f=\\u0041\\u00e9\n"
		"a=override\n"
		"empty=\n";
	sm_props_t p;
	char err[256];
	sm_props_init(&p);
	CU_ASSERT_EQUAL(sm_props_parse(&p, text, strlen(text), err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(sm_props_get(&p, "a"), "override");
	CU_ASSERT_STRING_EQUAL(sm_props_get(&p, "b"), "two words  ");
	CU_ASSERT_STRING_EQUAL(sm_props_get(&p, "c"), "three");
	CU_ASSERT_STRING_EQUAL(sm_props_get(&p, "d"), "continued");
	CU_ASSERT_STRING_EQUAL(sm_props_get(&p, "e"), "tab\there");
	CU_ASSERT_STRING_EQUAL(sm_props_get(&p, "f"), "A\xc3\xa9");
	CU_ASSERT_STRING_EQUAL(sm_props_get(&p, "empty"), "");
	CU_ASSERT_PTR_NULL(sm_props_get(&p, "missing"));
	sm_props_free(&p);
}

static void test_defaults(void)
{
	sm_kafka_config_t cfg;
	char err[256] = "";
	CU_ASSERT_EQUAL_FATAL(cf_load(&cfg, "zookeeper.connect=localhost:2181\n", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.broker_id, -1);
	CU_ASSERT_EQUAL(cfg.num_network_threads, 3);
	CU_ASSERT_EQUAL(cfg.num_io_threads, 8);
	CU_ASSERT_EQUAL(cfg.socket_request_max_bytes, 104857600);
	CU_ASSERT_EQUAL(cfg.message_max_bytes, 1048588);
	CU_ASSERT_EQUAL(cfg.log_segment_bytes, 1073741824);
	CU_ASSERT_EQUAL(cfg.eff_retention_ms, 168LL * 3600000);
	CU_ASSERT_EQUAL(cfg.eff_roll_ms, 168LL * 3600000);
	CU_ASSERT_EQUAL(cfg.zookeeper_connection_timeout_ms, 18000);
	CU_ASSERT_STRING_EQUAL(cfg.listeners, "PLAINTEXT://:9092");
	CU_ASSERT_EQUAL(cfg.log_dir_cnt, 1);
	CU_ASSERT_STRING_EQUAL(cfg.log_dir_list[0], "/tmp/kafka-logs");
	CU_ASSERT_EQUAL(cfg.auto_create_topics_enable, 1);
	CU_ASSERT_EQUAL(cfg.offsets_topic_replication_factor, 3);
	sm_kafka_config_free(&cfg);
}

static void test_errors_name_the_key(void)
{
	sm_kafka_config_t cfg;
	char err[256] = "";
	CU_ASSERT_EQUAL(cf_load(&cfg, "broker.id=0\n", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "zookeeper.connect"));
	sm_kafka_config_free(&cfg);
	CU_ASSERT_EQUAL(cf_load(&cfg, "zookeeper.connect=x:1\nnum.io.threads=zero\n", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "num.io.threads"));
	sm_kafka_config_free(&cfg);
	CU_ASSERT_EQUAL(cf_load(&cfg, "zookeeper.connect=x:1\nnum.io.threads=0\n", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "at least 1"));
	sm_kafka_config_free(&cfg);
	CU_ASSERT_EQUAL(cf_load(&cfg, "zookeeper.connect=x:1\nauto.create.topics.enable=maybe\n", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "auto.create.topics.enable"));
	sm_kafka_config_free(&cfg);
	CU_ASSERT_EQUAL(cf_load(&cfg, "zookeeper.connect=x:1\ncompression.type=brotli\n", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "compression.type"));
	sm_kafka_config_free(&cfg);
	/* log.cleanup.policy is a list of known policies, like Kafka's ValidList */
	CU_ASSERT_EQUAL(cf_load(&cfg, "zookeeper.connect=x:1\nlog.cleanup.policy=nonsense\n", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "log.cleanup.policy"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "compact, delete"));
	sm_kafka_config_free(&cfg);
	CU_ASSERT_EQUAL(cf_load(&cfg, "zookeeper.connect=x:1\nlog.cleanup.policy=compact,bogus\n", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "log.cleanup.policy"));
	sm_kafka_config_free(&cfg);
	CU_ASSERT_EQUAL(cf_load(&cfg, "zookeeper.connect=x:1\nlog.cleanup.policy=compact, delete\n", err, sizeof(err)), 0);
	sm_kafka_config_free(&cfg);
	CU_ASSERT_EQUAL(cf_load(&cfg, "zookeeper.connect=x:1\nlog.cleanup.policy=compact,\n", err, sizeof(err)), -1);
	sm_kafka_config_free(&cfg);
	CU_ASSERT_EQUAL(cf_load(&cfg, "zookeeper.connect=x:1\nbroker.id=99999999999\n", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "broker.id"));
	sm_kafka_config_free(&cfg);
	/* record batch v2 only: message formats before 0.11.0 are refused */
	CU_ASSERT_EQUAL(cf_load(&cfg, "zookeeper.connect=x:1\nlog.message.format.version=0.10.2-IV0\n", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "log.message.format.version"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "record batch v2 only"));
	sm_kafka_config_free(&cfg);
	CU_ASSERT_EQUAL(cf_load(&cfg, "zookeeper.connect=x:1\nlog.message.format.version=0.11.0\n", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.log_cleaner_max_compaction_lag_ms, INT64_MAX);
	sm_kafka_config_free(&cfg);
	CU_ASSERT(sm_kafka_message_format_before_v2("0.8.0"));
	CU_ASSERT(sm_kafka_message_format_before_v2("0.9.0"));
	CU_ASSERT(sm_kafka_message_format_before_v2("0.10.1-IV2"));
	CU_ASSERT(!sm_kafka_message_format_before_v2("0.11.0-IV0"));
	CU_ASSERT(!sm_kafka_message_format_before_v2("1.0"));
	CU_ASSERT(!sm_kafka_message_format_before_v2("2.8-IV1"));
}

/* The network bounds' keys: defaults and Kafka's cross-key rules. */
static void test_network_bounds(void)
{
	sm_kafka_config_t cfg;
	char err[256] = "";
	CU_ASSERT_EQUAL_FATAL(cf_load(&cfg, "zookeeper.connect=x:1\n", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.max_connections_per_ip, 2147483647);
	CU_ASSERT_STRING_EQUAL(cfg.max_connections_per_ip_overrides, "");
	CU_ASSERT_EQUAL(cfg.max_connection_creation_rate, 2147483647);
	CU_ASSERT_EQUAL(cfg.queued_max_request_bytes, 536870912);
	CU_ASSERT_EQUAL(cfg.connections_max_idle_ms, 600000);
	sm_kafka_config_free(&cfg);
	CU_ASSERT_EQUAL(cf_load(&cfg, "zookeeper.connect=x:1\nqueued.max.request.bytes=1000\n", err,
			     sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "queued.max.request.bytes must be larger or equal to "
				      "socket.request.max.bytes"));
	sm_kafka_config_free(&cfg);
	CU_ASSERT_EQUAL(cf_load(&cfg, "zookeeper.connect=x:1\nqueued.max.request.bytes=-1\n"
			     "socket.request.max.bytes=2000000000\n", err, sizeof(err)), 0);
	sm_kafka_config_free(&cfg);
	CU_ASSERT_EQUAL(cf_load(&cfg, "zookeeper.connect=x:1\nqueued.max.request.bytes=-2\n", err,
			     sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "queued.max.request.bytes"));
	sm_kafka_config_free(&cfg);
	CU_ASSERT_EQUAL(cf_load(&cfg, "zookeeper.connect=x:1\nmax.connections.per.ip=0\n", err,
			     sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "max.connections.per.ip.overrides"));
	sm_kafka_config_free(&cfg);
	CU_ASSERT_EQUAL(cf_load(&cfg, "zookeeper.connect=x:1\nmax.connections.per.ip=0\n"
			     "max.connections.per.ip.overrides=127.0.0.1:5\n", err, sizeof(err)), 0);
	sm_kafka_config_free(&cfg);
	CU_ASSERT(sm_kafka_config_is_listener_key("listener.name.external.max.connections"));
	CU_ASSERT(sm_kafka_config_is_listener_key("listener.name.a.max.connection.creation.rate"));
	CU_ASSERT_FALSE(sm_kafka_config_is_listener_key("listener.name..max.connections"));
	CU_ASSERT_FALSE(sm_kafka_config_is_listener_key("listener.name.a.max.connections.x"));
	CU_ASSERT_FALSE(sm_kafka_config_is_listener_key("max.connections"));
	CU_ASSERT_EQUAL(cf_load(&cfg, "zookeeper.connect=x:1\nmax.connection.creation.rate=-1\n", err,
			     sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "max.connection.creation.rate"));
	sm_kafka_config_free(&cfg);
}

static void test_synonyms_and_overrides(void)
{
	char path[] = "/tmp/sm-test-cfg-XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	const char *text = "zookeeper.connect=zk:2181/kafka\nlog.retention.hours=1\n"
			   "log.retention.minutes=3\nlog.dirs=/a, /b\nbroker.id=4\n";
	CU_ASSERT_EQUAL(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	char *overrides[] = { "broker.id=7", "log.roll.ms=1000" };
	sm_kafka_config_t cfg;
	char err[256] = "";
	CU_ASSERT_EQUAL_FATAL(sm_kafka_config_load(&cfg, path, overrides, 2, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.broker_id, 7);
	CU_ASSERT_EQUAL(cfg.eff_retention_ms, 3 * 60000);
	CU_ASSERT_EQUAL(cfg.eff_roll_ms, 1000);
	CU_ASSERT_EQUAL(cfg.log_dir_cnt, 2);
	CU_ASSERT_STRING_EQUAL(cfg.log_dir_list[1], "/b");
	CU_ASSERT_STRING_EQUAL(cfg.zookeeper_connect, "zk:2181/kafka");
	sm_kafka_config_free(&cfg);
	char *bad[] = { "noequals" };
	CU_ASSERT_EQUAL(sm_kafka_config_load(&cfg, path, bad, 1, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "noequals"));
	sm_kafka_config_free(&cfg);
	unlink(path);
	CU_ASSERT_EQUAL(sm_kafka_config_load(&cfg, "/nonexistent/server.properties", NULL, 0, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/server.properties"));
	sm_kafka_config_free(&cfg);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("kafka_config", NULL, NULL);
	CU_add_test(s, "properties syntax", test_props_syntax);
	CU_add_test(s, "defaults", test_defaults);
	CU_add_test(s, "errors name the key", test_errors_name_the_key);
	CU_add_test(s, "synonyms and overrides", test_synonyms_and_overrides);
	CU_add_test(s, "network bounds keys", test_network_bounds);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
