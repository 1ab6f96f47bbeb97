/* test_log_config.c - the topic config table builds a topic's effective
 * config: every row's value lands in sm_topic_config_t, broker defaults come
 * through the synonyms (and agree with what DescribeConfigs renders), the
 * topic's overrides win, and unclean.leader.election.enable resolves topic,
 * then broker. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_fixture.h"
#include "kafka_config.h"
#include "log_config.h"
#include "properties.h"

static int load(sm_kafka_config_t *cfg, const char *text)
{
	char err[256] = "";
	int r = cf_load(cfg, text, err, sizeof(err));
	if (r)
		fprintf(stderr, "config: %s\n", err);
	return r;
}

/* Zeroed first, so that two builds compare with memcmp. */
static void build(sm_topic_config_t *tc, const sm_kafka_config_t *cfg, const char *k,
		  const char *v)
{
	char *keys[1] = { (char *)k }, *values[1] = { (char *)v };
	memset(tc, 0, sizeof(*tc));
	sm_topic_config_build(tc, cfg, "t", keys, values, k ? 1 : 0);
}

/* A valid value for d other than the broker's (canonical, malloc'd). */
static char *other_value(const sm_log_config_def_t *d, const char *broker)
{
	static const char *const numbers[] = { "12345", "23456", NULL };
	static const char *const doubles[] = { "0.25", "0.75", NULL };
	static const char *const bools[] = { "true", "false", NULL };
	static const char *const formats[] = { "2.0", "2.8", NULL };
	const char *const *cands = d->choices;
	if (!strcmp(d->name, "message.format.version"))
		cands = formats;
	else if (d->type == SM_CFG_BOOL)
		cands = bools;
	else if (d->type == SM_CFG_DOUBLE)
		cands = doubles;
	else if (d->type == SM_CFG_INT || d->type == SM_CFG_LONG)
		cands = numbers;
	for (int i = 0; cands && cands[i]; i++) {
		char *canon = NULL, err[256];
		if (sm_log_config_validate(d->name, cands[i], &canon, err, sizeof(err)))
			continue;
		if (strcmp(canon, broker))
			return canon;
		free(canon);
	}
	return NULL;
}

/* The field a row with an offset writes holds value (as the row parses it). */
static int field_holds(const sm_log_config_def_t *d, const sm_topic_config_t *tc, const char *v)
{
	const char *f = (const char *)tc + d->offset;
	int32_t i32;
	int64_t i64;
	int b;
	double x;
	switch (d->apply_kind) {
	case SM_LC_APPLY_I32:
		memcpy(&i32, f, sizeof(i32));
		return i32 == strtol(v, NULL, 10);
	case SM_LC_APPLY_I64:
		memcpy(&i64, f, sizeof(i64));
		return i64 == strtoll(v, NULL, 10);
	case SM_LC_APPLY_BOOL:
		memcpy(&b, f, sizeof(b));
		return b == !strcmp(v, "true");
	case SM_LC_APPLY_DOUBLE:
		memcpy(&x, f, sizeof(x));
		return x == strtod(v, NULL);
	default:
		return 0;
	}
}

/* Walks the table: a non-default value set as a topic override lands in
 * the effective config for every row, so a row added without an apply
 * fails here. */
/* Doubles read back as Java's Double.toString prints them. */
static void test_format_double(void)
{
	static const struct { double v; const char *want; } cases[] = {
		{ 0.5, "0.5" }, { 1.0, "1.0" }, { 1000000.0, "1000000.0" },
		{ 1e7, "1.0E7" }, { 1.7976931348623157e308, "1.7976931348623157E308" },
		{ 1e-4, "1.0E-4" }, { 0.001, "0.001" }, { 2.5e-5, "2.5E-5" },
	};
	char buf[64];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sm_log_config_format_double(cases[i].v, buf, sizeof(buf));
		CU_ASSERT_STRING_EQUAL(buf, cases[i].want);
	}
}

static void test_every_row_applies(void)
{
	sm_kafka_config_t cfg;
	CU_ASSERT_EQUAL_FATAL(load(&cfg, "zookeeper.connect=localhost:2181\n"), 0);
	sm_topic_config_t base, tc;
	build(&base, &cfg, NULL, NULL);
	int cnt, applied = 0, stored = 0;
	const sm_log_config_def_t *defs = sm_log_config_defs(&cnt);
	for (int i = 0; i < cnt; i++) {
		const sm_log_config_def_t *d = &defs[i];
		if (d->apply_kind == SM_LC_APPLY_UNSET)
			fprintf(stderr, "row %s has no apply\n", d->name);
		CU_ASSERT_NOT_EQUAL(d->apply_kind, SM_LC_APPLY_UNSET);
		if (d->apply_kind == SM_LC_APPLY_REPLICA) {
			/* the two throttled-replica lists name partition:broker
			 * pairs: the replica manager applies them per replica */
			CU_ASSERT_PTR_NOT_NULL(strstr(d->name, ".replication.throttled.replicas"));
			stored++;
			continue;
		}
		char *broker = sm_log_config_broker_value(&cfg, d);
		char *v = other_value(d, broker);
		CU_ASSERT_PTR_NOT_NULL_FATAL(v);
		build(&tc, &cfg, d->name, v);
		if (d->apply_kind == SM_LC_APPLY_FN) {
			if (!memcmp(&tc, &base, sizeof(tc)))
				fprintf(stderr, "row %s: %s did not land\n", d->name, v);
			CU_ASSERT(memcmp(&tc, &base, sizeof(tc)) != 0);
		} else {
			if (!field_holds(d, &tc, v))
				fprintf(stderr, "row %s: %s did not land\n", d->name, v);
			CU_ASSERT(field_holds(d, &tc, v));
			CU_ASSERT(field_holds(d, &base, broker));
		}
		applied++;
		free(v);
		free(broker);
	}
	CU_ASSERT_EQUAL(applied + stored, cnt);
	CU_ASSERT_EQUAL(stored, 2);

	/* the rows with an apply function, field by field */
	build(&tc, &cfg, "cleanup.policy", "compact");
	CU_ASSERT_EQUAL(tc.compact, 1);
	CU_ASSERT_EQUAL(tc.log.cleanup_compact, 1);
	CU_ASSERT_EQUAL(tc.log.cleanup_delete, 0);
	build(&tc, &cfg, "cleanup.policy", "compact, delete");
	CU_ASSERT(tc.compact && tc.log.cleanup_compact && tc.log.cleanup_delete);
	CU_ASSERT(!base.compact && !base.log.cleanup_compact && base.log.cleanup_delete);
	build(&tc, &cfg, "compression.type", "gzip");
	CU_ASSERT_EQUAL(tc.compression_type, 1);
	build(&tc, &cfg, "compression.type", "zstd");
	CU_ASSERT_EQUAL(tc.compression_type, 4);
	build(&tc, &cfg, "compression.type", "uncompressed");
	CU_ASSERT_EQUAL(tc.compression_type, 0);
	CU_ASSERT_EQUAL(base.compression_type, -1); /* producer */
	build(&tc, &cfg, "message.timestamp.type", "LogAppendTime");
	CU_ASSERT_EQUAL(tc.log.message_timestamp_type, SM_LOG_TIMESTAMP_LOG_APPEND_TIME);
	CU_ASSERT_EQUAL(base.log.message_timestamp_type, SM_LOG_TIMESTAMP_CREATE_TIME);
	build(&tc, &cfg, "max.message.bytes", "5000");
	CU_ASSERT_EQUAL(tc.max_message_bytes, 5000);
	CU_ASSERT_EQUAL(tc.log.max_message_bytes, 5000);
	CU_ASSERT_EQUAL(base.max_message_bytes, 1048588);
	CU_ASSERT_EQUAL(base.log.max_message_bytes, 1048588);
	sm_kafka_config_free(&cfg);
}

/* Topic defaults come from the broker keys Kafka maps them to, the most
 * specific synonym first, and agree with sm_log_config_broker_value (what
 * DescribeConfigs shows for a topic without an override). */
static void test_broker_synonyms(void)
{
	sm_kafka_config_t cfg;
	CU_ASSERT_EQUAL_FATAL(load(&cfg, "zookeeper.connect=localhost:2181\n"
					 "log.retention.hours=5\n"
					 "log.roll.hours=3\n"
					 "log.cleanup.policy=compact\n"
					 "message.max.bytes=2000\n"
					 "log.cleaner.min.cleanable.ratio=0.3\n"
					 "log.flush.scheduler.interval.ms=7000\n"
					 "unclean.leader.election.enable=true\n"
					 "compression.type=lz4\n"
					 "log.message.timestamp.type=LogAppendTime\n"
					 "min.insync.replicas=2\n"),
			      0);
	sm_topic_config_t tc;
	build(&tc, &cfg, NULL, NULL);
	CU_ASSERT_EQUAL(tc.log.retention_ms, 5LL * 3600000);
	CU_ASSERT_EQUAL(tc.log.segment_ms, 3LL * 3600000);
	CU_ASSERT_EQUAL(tc.compact, 1);
	CU_ASSERT_EQUAL(tc.log.cleanup_compact, 1);
	CU_ASSERT_EQUAL(tc.log.cleanup_delete, 0);
	CU_ASSERT_EQUAL(tc.max_message_bytes, 2000);
	CU_ASSERT_EQUAL(tc.log.max_message_bytes, 2000);
	CU_ASSERT(tc.log.min_cleanable_ratio > 0.299 && tc.log.min_cleanable_ratio < 0.301);
	/* flush.ms: log.flush.interval.ms, else the scheduler interval */
	CU_ASSERT_EQUAL(tc.log.flush_ms, 7000);
	CU_ASSERT_EQUAL(tc.unclean_leader_election_enable, 1);
	CU_ASSERT_EQUAL(tc.compression_type, 3);
	CU_ASSERT_EQUAL(tc.log.message_timestamp_type, SM_LOG_TIMESTAMP_LOG_APPEND_TIME);
	CU_ASSERT_EQUAL(tc.min_insync_replicas, 2);
	int cnt;
	const sm_log_config_def_t *defs = sm_log_config_defs(&cnt);
	for (int i = 0; i < cnt; i++) {
		const sm_log_config_def_t *d = &defs[i];
		if (d->apply_kind == SM_LC_APPLY_FN || d->apply_kind == SM_LC_APPLY_REPLICA ||
		    d->apply_kind == SM_LC_APPLY_UNSET)
			continue;
		char *v = sm_log_config_broker_value(&cfg, d);
		if (!field_holds(d, &tc, v))
			fprintf(stderr, "row %s: the broker's %s did not land\n", d->name, v);
		CU_ASSERT(field_holds(d, &tc, v));
		free(v);
	}
	/* log.retention.ms is more specific than log.retention.hours */
	sm_kafka_config_free(&cfg);
	CU_ASSERT_EQUAL_FATAL(load(&cfg, "zookeeper.connect=localhost:2181\n"
					 "log.retention.hours=5\n"
					 "log.retention.ms=1234\n"
					 "log.flush.interval.ms=10\n"
					 "log.flush.scheduler.interval.ms=7000\n"),
			      0);
	build(&tc, &cfg, NULL, NULL);
	CU_ASSERT_EQUAL(tc.log.retention_ms, 1234);
	CU_ASSERT_EQUAL(tc.log.flush_ms, 10);
	/* an override beats the broker's value */
	build(&tc, &cfg, "retention.ms", "99");
	CU_ASSERT_EQUAL(tc.log.retention_ms, 99);
	sm_kafka_config_free(&cfg);
}

/* Overrides: the last of a repeated key wins; one that does not validate
 * (a hand-written znode) leaves the broker's value; unknown keys do
 * nothing. */
static void test_overrides(void)
{
	sm_kafka_config_t cfg;
	CU_ASSERT_EQUAL_FATAL(load(&cfg, "zookeeper.connect=localhost:2181\n"), 0);
	char *keys[] = { "segment.bytes", "segment.bytes", "retention.ms", "no.such.config",
			 "min.insync.replicas" };
	char *values[] = { "100000", "200000", "ten days", "1", " 3 " };
	sm_topic_config_t tc, base;
	memset(&tc, 0, sizeof(tc));
	sm_topic_config_build(&tc, &cfg, "t", keys, values, 5);
	build(&base, &cfg, NULL, NULL);
	CU_ASSERT_EQUAL(tc.log.segment_bytes, 200000);
	CU_ASSERT_EQUAL(tc.log.retention_ms, base.log.retention_ms);
	CU_ASSERT_EQUAL(tc.log.retention_ms, 604800000);
	CU_ASSERT_EQUAL(tc.min_insync_replicas, 3);
	sm_kafka_config_free(&cfg);
}

/* unclean.leader.election.enable: the topic's override, else the broker's
 * effective value. */
static void test_unclean_resolution(void)
{
	sm_kafka_config_t off, on;
	CU_ASSERT_EQUAL_FATAL(load(&off, "zookeeper.connect=localhost:2181\n"), 0);
	CU_ASSERT_EQUAL_FATAL(load(&on, "zookeeper.connect=localhost:2181\n"
					"unclean.leader.election.enable=true\n"),
			      0);
	char *k[] = { "retention.ms", "unclean.leader.election.enable" };
	char *t[] = { "1000", "true" }, *f[] = { "1000", "false" }, *bad[] = { "1000", "yes" };
	CU_ASSERT_EQUAL(sm_topic_config_unclean_election(&off, "t", NULL, NULL, 0), 0);
	CU_ASSERT_EQUAL(sm_topic_config_unclean_election(&on, "t", NULL, NULL, 0), 1);
	CU_ASSERT_EQUAL(sm_topic_config_unclean_election(&on, "t", k, t, 1), 1);
	CU_ASSERT_EQUAL(sm_topic_config_unclean_election(&off, "t", k, t, 2), 1);
	CU_ASSERT_EQUAL(sm_topic_config_unclean_election(&on, "t", k, f, 2), 0);
	CU_ASSERT_EQUAL(sm_topic_config_unclean_election(&on, "t", k, bad, 2), 1);
	CU_ASSERT_EQUAL(sm_topic_config_unclean_election(&off, "t", k, bad, 2), 0);
	CU_ASSERT_EQUAL(sm_topic_config_unclean_election(NULL, "t", NULL, NULL, 0), 0);
	CU_ASSERT_EQUAL(sm_topic_config_unclean_election(NULL, "t", k, t, 2), 1);
	/* the builder agrees */
	sm_topic_config_t tc;
	memset(&tc, 0, sizeof(tc));
	sm_topic_config_build(&tc, &on, "t", k, f, 2);
	CU_ASSERT_EQUAL(tc.unclean_leader_election_enable, 0);
	sm_kafka_config_free(&off);
	sm_kafka_config_free(&on);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("log_config", NULL, NULL);
	CU_add_test(s, "every row applies", test_every_row_applies);
	CU_add_test(s, "doubles as Java prints them", test_format_double);
	CU_add_test(s, "broker defaults through synonyms", test_broker_synonyms);
	CU_add_test(s, "overrides", test_overrides);
	CU_add_test(s, "unclean election resolution", test_unclean_resolution);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
