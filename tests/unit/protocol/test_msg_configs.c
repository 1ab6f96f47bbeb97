/*
 * test_msg_configs.c - unit tests of the DescribeConfigs, AlterConfigs and
 * IncrementalAlterConfigs codecs (every version round-trips field by field
 * and byte for byte, a known v0 encoding, every truncation of a valid body
 * fails cleanly, a hostile count is refused) and of the topic config table's
 * validation (log_config.h).
 */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log_config.h"
#include "msg_alter_configs.h"
#include "msg_describe_configs.h"
#include "msg_incremental_alter_configs.h"
#include "protocol.h"

static char *dup(sm_arena_t *a, const char *s)
{
	return sm_arena_strndup(a, s, strlen(s));
}

/* Every strict prefix of w must fail to parse with rd. */
#define CHECK_TRUNCATIONS(w, rd, ver, a, out)                                  \
	do {                                                                   \
		for (size_t cut = 0; cut < (w).len; cut++) {                   \
			sm_rbuf_t trb;                                         \
			sm_rbuf_init(&trb, (w).p, cut);                        \
			CU_ASSERT_EQUAL(rd(&trb, ver, a, out), -1);            \
		}                                                              \
	} while (0)

static void dc_req_fill(sm_arena_t *a, sm_describe_configs_req_t *r)
{
	memset(r, 0, sizeof(*r));
	r->resources_cnt = 2;
	r->resources = sm_arena_alloc(a, 2 * sizeof(*r->resources));
	r->resources[0].resource_type = SM_CONFIG_RESOURCE_TOPIC;
	r->resources[0].resource_name = dup(a, "orders");
	r->resources[0].configuration_keys_cnt = 2;
	r->resources[0].configuration_keys = sm_arena_alloc(a, 2 * sizeof(char *));
	r->resources[0].configuration_keys[0] = dup(a, "retention.ms");
	r->resources[0].configuration_keys[1] = dup(a, "cleanup.policy");
	r->resources[1].resource_type = SM_CONFIG_RESOURCE_BROKER;
	r->resources[1].resource_name = dup(a, "0");
	r->resources[1].configuration_keys_cnt = -1;
	r->include_synonyms = 1;
	r->include_documentation = 1;
}

static void test_describe_configs_req(void)
{
	for (int16_t ver = 0; ver <= 4; ver++) {
		sm_arena_t a;
		sm_arena_init(&a);
		sm_describe_configs_req_t q, q2;
		dc_req_fill(&a, &q);
		sm_wbuf_t w, w2;
		sm_wbuf_init(&w, 64);
		sm_describe_configs_req_write(&w, ver, &q);
		sm_rbuf_t rb;
		sm_rbuf_init(&rb, w.p, w.len);
		CU_ASSERT_EQUAL_FATAL(sm_describe_configs_req_read(&rb, ver, &a, &q2), 0);
		CU_ASSERT_EQUAL(rb.len - rb.pos, 0);
		CU_ASSERT_EQUAL(q2.resources_cnt, 2);
		CU_ASSERT_EQUAL(q2.resources[0].resource_type, SM_CONFIG_RESOURCE_TOPIC);
		CU_ASSERT_STRING_EQUAL(q2.resources[0].resource_name, "orders");
		CU_ASSERT_EQUAL(q2.resources[0].configuration_keys_cnt, 2);
		CU_ASSERT_STRING_EQUAL(q2.resources[0].configuration_keys[1], "cleanup.policy");
		CU_ASSERT_EQUAL(q2.resources[1].configuration_keys_cnt, -1);
		CU_ASSERT_PTR_NULL(q2.resources[1].configuration_keys);
		CU_ASSERT_EQUAL(q2.include_synonyms, ver >= 1);
		CU_ASSERT_EQUAL(q2.include_documentation, ver >= 3);
		sm_wbuf_init(&w2, 64);
		sm_describe_configs_req_write(&w2, ver, &q2);
		CU_ASSERT(w.len == w2.len && !memcmp(w.p, w2.p, w.len));
		CHECK_TRUNCATIONS(w, sm_describe_configs_req_read, ver, &a, &q2);
		sm_wbuf_free(&w2);
		sm_wbuf_free(&w);
		sm_arena_destroy(&a);
	}
}

static void dc_resp_fill(sm_arena_t *a, sm_describe_configs_resp_t *p)
{
	memset(p, 0, sizeof(*p));
	p->throttle_time_ms = 5;
	p->results_cnt = 2;
	p->results = sm_arena_alloc(a, 2 * sizeof(*p->results));
	sm_describe_configs_resp_result_t *r = &p->results[0];
	memset(r, 0, 2 * sizeof(*r));
	r->resource_type = SM_CONFIG_RESOURCE_TOPIC;
	r->resource_name = dup(a, "orders");
	r->configs_cnt = 2;
	r->configs = sm_arena_alloc(a, 2 * sizeof(*r->configs));
	memset(r->configs, 0, 2 * sizeof(*r->configs));
	sm_describe_configs_resp_config_t *e = &r->configs[0];
	e->name = dup(a, "cleanup.policy");
	e->value = dup(a, "compact");
	e->config_source = SM_CONFIG_SOURCE_DYNAMIC_TOPIC;
	e->synonyms_cnt = 2;
	e->synonyms = sm_arena_alloc(a, 2 * sizeof(*e->synonyms));
	e->synonyms[0] = (sm_describe_configs_resp_synonym_t){ e->name, e->value, 1 };
	e->synonyms[1] = (sm_describe_configs_resp_synonym_t){ dup(a, "log.cleanup.policy"), NULL, 5 };
	e->config_type = SM_CONFIG_TYPE_LIST;
	e->documentation = dup(a, "policy");
	e = &r->configs[1];
	e->name = dup(a, "secret");
	e->value = NULL;
	e->read_only = 1;
	e->is_default = 1;
	e->config_source = SM_CONFIG_SOURCE_DEFAULT;
	e->is_sensitive = 1;
	r = &p->results[1];
	r->error_code = 3;
	r->error_message = dup(a, "nope");
	r->resource_type = SM_CONFIG_RESOURCE_TOPIC;
	r->resource_name = dup(a, "missing");
}

static void dc_resp_check(int16_t ver, const sm_describe_configs_resp_t *p)
{
	CU_ASSERT_EQUAL(p->throttle_time_ms, 5);
	CU_ASSERT_EQUAL_FATAL(p->results_cnt, 2);
	const sm_describe_configs_resp_result_t *r = &p->results[0];
	CU_ASSERT_PTR_NULL(r->error_message);
	CU_ASSERT_STRING_EQUAL(r->resource_name, "orders");
	CU_ASSERT_EQUAL_FATAL(r->configs_cnt, 2);
	const sm_describe_configs_resp_config_t *e = &r->configs[0];
	CU_ASSERT_STRING_EQUAL(e->name, "cleanup.policy");
	CU_ASSERT_STRING_EQUAL(e->value, "compact");
	CU_ASSERT_EQUAL(e->config_source, ver >= 1 ? SM_CONFIG_SOURCE_DYNAMIC_TOPIC : -1);
	CU_ASSERT_EQUAL(e->synonyms_cnt, ver >= 1 ? 2 : 0);
	if (ver >= 1) {
		CU_ASSERT_STRING_EQUAL(e->synonyms[1].name, "log.cleanup.policy");
		CU_ASSERT_PTR_NULL(e->synonyms[1].value);
		CU_ASSERT_EQUAL(e->synonyms[1].source, 5);
	}
	CU_ASSERT_EQUAL(e->config_type, ver >= 3 ? SM_CONFIG_TYPE_LIST : 0);
	if (ver >= 3)
		CU_ASSERT_STRING_EQUAL(e->documentation, "policy");
	e = &r->configs[1];
	CU_ASSERT_PTR_NULL(e->value);
	CU_ASSERT(e->read_only && e->is_sensitive);
	CU_ASSERT_EQUAL(e->is_default, ver == 0);
	/* Null from v3; absent before it, so the schema default "". */
	if (ver >= 3) {
		CU_ASSERT_PTR_NULL(e->documentation);
	} else {
		CU_ASSERT_STRING_EQUAL(e->documentation, "");
	}
	CU_ASSERT_EQUAL(p->results[1].error_code, 3);
	CU_ASSERT_STRING_EQUAL(p->results[1].error_message, "nope");
	CU_ASSERT_EQUAL(p->results[1].configs_cnt, 0);
}

static void test_describe_configs_resp(void)
{
	for (int16_t ver = 0; ver <= 4; ver++) {
		sm_arena_t a;
		sm_arena_init(&a);
		sm_describe_configs_resp_t p, p2;
		dc_resp_fill(&a, &p);
		sm_wbuf_t w, w2;
		sm_wbuf_init(&w, 256);
		sm_describe_configs_resp_write(&w, ver, &p);
		sm_rbuf_t rb;
		sm_rbuf_init(&rb, w.p, w.len);
		CU_ASSERT_EQUAL_FATAL(sm_describe_configs_resp_read(&rb, ver, &a, &p2), 0);
		CU_ASSERT_EQUAL(rb.len - rb.pos, 0);
		dc_resp_check(ver, &p2);
		sm_wbuf_init(&w2, 256);
		sm_describe_configs_resp_write(&w2, ver, &p2);
		CU_ASSERT(w.len == w2.len && !memcmp(w.p, w2.p, w.len));
		CHECK_TRUNCATIONS(w, sm_describe_configs_resp_read, ver, &a, &p2);
		sm_wbuf_free(&w2);
		sm_wbuf_free(&w);
		sm_arena_destroy(&a);
	}
}

/* DescribeConfigs v0 for topic "t", all keys: built by hand. */
static void test_describe_configs_known_v0(void)
{
	static const uint8_t v0[] = { 0, 0, 0, 1, 2, 0, 1, 't', 0xff, 0xff, 0xff, 0xff };
	sm_arena_t a;
	sm_arena_init(&a);
	sm_describe_configs_req_t q;
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, v0, sizeof(v0));
	CU_ASSERT_EQUAL_FATAL(sm_describe_configs_req_read(&rb, 0, &a, &q), 0);
	CU_ASSERT_EQUAL(q.resources_cnt, 1);
	CU_ASSERT_EQUAL(q.resources[0].resource_type, 2);
	CU_ASSERT_STRING_EQUAL(q.resources[0].resource_name, "t");
	CU_ASSERT_EQUAL(q.resources[0].configuration_keys_cnt, -1);
	/* a count far beyond the bytes present fails before allocating */
	static const uint8_t hostile[] = { 0x7f, 0xff, 0xff, 0xff, 2, 0, 1, 't' };
	sm_rbuf_init(&rb, hostile, sizeof(hostile));
	CU_ASSERT_EQUAL(sm_describe_configs_req_read(&rb, 0, &a, &q), -1);
	sm_arena_destroy(&a);
}

static void test_alter_configs(void)
{
	for (int16_t ver = 0; ver <= 2; ver++) {
		sm_arena_t a;
		sm_arena_init(&a);
		sm_alter_configs_req_t q, q2;
		memset(&q, 0, sizeof(q));
		q.resources_cnt = 1;
		q.resources = sm_arena_alloc(&a, sizeof(*q.resources));
		q.resources[0].resource_type = SM_CONFIG_RESOURCE_TOPIC;
		q.resources[0].resource_name = dup(&a, "orders");
		q.resources[0].configs_cnt = 2;
		q.resources[0].configs = sm_arena_alloc(&a, 2 * sizeof(*q.resources[0].configs));
		q.resources[0].configs[0] = (sm_alter_configs_req_config_t){ dup(&a, "retention.ms"), dup(&a, "1000") };
		q.resources[0].configs[1] = (sm_alter_configs_req_config_t){ dup(&a, "x"), NULL };
		q.validate_only = 1;
		sm_wbuf_t w, w2;
		sm_wbuf_init(&w, 64);
		sm_alter_configs_req_write(&w, ver, &q);
		sm_rbuf_t rb;
		sm_rbuf_init(&rb, w.p, w.len);
		CU_ASSERT_EQUAL_FATAL(sm_alter_configs_req_read(&rb, ver, &a, &q2), 0);
		CU_ASSERT_EQUAL(rb.len - rb.pos, 0);
		CU_ASSERT_EQUAL_FATAL(q2.resources_cnt, 1);
		CU_ASSERT_EQUAL(q2.resources[0].configs_cnt, 2);
		CU_ASSERT_STRING_EQUAL(q2.resources[0].configs[0].value, "1000");
		CU_ASSERT_PTR_NULL(q2.resources[0].configs[1].value);
		CU_ASSERT_EQUAL(q2.validate_only, 1);
		sm_wbuf_init(&w2, 64);
		sm_alter_configs_req_write(&w2, ver, &q2);
		CU_ASSERT(w.len == w2.len && !memcmp(w.p, w2.p, w.len));
		CHECK_TRUNCATIONS(w, sm_alter_configs_req_read, ver, &a, &q2);
		sm_wbuf_free(&w2);
		sm_wbuf_free(&w);

		sm_alter_configs_resp_t p, p2;
		memset(&p, 0, sizeof(p));
		p.throttle_time_ms = 7;
		p.responses_cnt = 2;
		p.responses = sm_arena_alloc(&a, 2 * sizeof(*p.responses));
		p.responses[0] = (sm_alter_configs_resp_response_t){ 0, NULL, 2, dup(&a, "orders") };
		p.responses[1] = (sm_alter_configs_resp_response_t){ 42, dup(&a, "bad"), 4, dup(&a, "0") };
		sm_wbuf_init(&w, 64);
		sm_alter_configs_resp_write(&w, ver, &p);
		sm_rbuf_init(&rb, w.p, w.len);
		CU_ASSERT_EQUAL_FATAL(sm_alter_configs_resp_read(&rb, ver, &a, &p2), 0);
		CU_ASSERT_EQUAL(rb.len - rb.pos, 0);
		CU_ASSERT_EQUAL(p2.throttle_time_ms, 7);
		CU_ASSERT_EQUAL_FATAL(p2.responses_cnt, 2);
		CU_ASSERT_PTR_NULL(p2.responses[0].error_message);
		CU_ASSERT_EQUAL(p2.responses[1].error_code, 42);
		CU_ASSERT_STRING_EQUAL(p2.responses[1].error_message, "bad");
		CU_ASSERT_EQUAL(p2.responses[1].resource_type, 4);
		sm_wbuf_init(&w2, 64);
		sm_alter_configs_resp_write(&w2, ver, &p2);
		CU_ASSERT(w.len == w2.len && !memcmp(w.p, w2.p, w.len));
		CHECK_TRUNCATIONS(w, sm_alter_configs_resp_read, ver, &a, &p2);
		sm_wbuf_free(&w2);
		sm_wbuf_free(&w);
		sm_arena_destroy(&a);
	}
}

static void test_incremental_alter_configs(void)
{
	for (int16_t ver = 0; ver <= 1; ver++) {
		sm_arena_t a;
		sm_arena_init(&a);
		sm_incremental_alter_configs_req_t q, q2;
		memset(&q, 0, sizeof(q));
		q.resources_cnt = 2;
		q.resources = sm_arena_alloc(&a, 2 * sizeof(*q.resources));
		memset(q.resources, 0, 2 * sizeof(*q.resources));
		q.resources[0].resource_type = SM_CONFIG_RESOURCE_TOPIC;
		q.resources[0].resource_name = dup(&a, "orders");
		q.resources[0].configs_cnt = 2;
		q.resources[0].configs = sm_arena_alloc(&a, 2 * sizeof(*q.resources[0].configs));
		q.resources[0].configs[0] = (sm_incremental_alter_configs_req_config_t){
			dup(&a, "cleanup.policy"), SM_CONFIG_OP_APPEND, dup(&a, "compact") };
		q.resources[0].configs[1] = (sm_incremental_alter_configs_req_config_t){
			dup(&a, "retention.ms"), SM_CONFIG_OP_DELETE, NULL };
		q.resources[1].resource_type = SM_CONFIG_RESOURCE_BROKER;
		q.resources[1].resource_name = dup(&a, "");
		sm_wbuf_t w, w2;
		sm_wbuf_init(&w, 64);
		sm_incremental_alter_configs_req_write(&w, ver, &q);
		sm_rbuf_t rb;
		sm_rbuf_init(&rb, w.p, w.len);
		CU_ASSERT_EQUAL_FATAL(sm_incremental_alter_configs_req_read(&rb, ver, &a, &q2), 0);
		CU_ASSERT_EQUAL(rb.len - rb.pos, 0);
		CU_ASSERT_EQUAL_FATAL(q2.resources_cnt, 2);
		CU_ASSERT_EQUAL(q2.resources[0].configs[0].config_operation, SM_CONFIG_OP_APPEND);
		CU_ASSERT_STRING_EQUAL(q2.resources[0].configs[0].value, "compact");
		CU_ASSERT_EQUAL(q2.resources[0].configs[1].config_operation, SM_CONFIG_OP_DELETE);
		CU_ASSERT_PTR_NULL(q2.resources[0].configs[1].value);
		CU_ASSERT_STRING_EQUAL(q2.resources[1].resource_name, "");
		CU_ASSERT_EQUAL(q2.resources[1].configs_cnt, 0);
		CU_ASSERT_EQUAL(q2.validate_only, 0);
		sm_wbuf_init(&w2, 64);
		sm_incremental_alter_configs_req_write(&w2, ver, &q2);
		CU_ASSERT(w.len == w2.len && !memcmp(w.p, w2.p, w.len));
		CHECK_TRUNCATIONS(w, sm_incremental_alter_configs_req_read, ver, &a, &q2);
		sm_wbuf_free(&w2);
		sm_wbuf_free(&w);

		sm_incremental_alter_configs_resp_t p, p2;
		memset(&p, 0, sizeof(p));
		p.responses_cnt = 1;
		p.responses = sm_arena_alloc(&a, sizeof(*p.responses));
		p.responses[0] = (sm_incremental_alter_configs_resp_response_t){ 40, dup(&a, "Unknown"), 2, dup(&a, "t") };
		sm_wbuf_init(&w, 64);
		sm_incremental_alter_configs_resp_write(&w, ver, &p);
		/* v1 is flexible: compact strings and tagged-field sections */
		CU_ASSERT_EQUAL(w.len, ver ? 4 + 1 + 2 + 8 + 1 + 2 + 1 + 1 : 4 + 4 + 2 + 9 + 1 + 3);
		sm_rbuf_init(&rb, w.p, w.len);
		CU_ASSERT_EQUAL_FATAL(sm_incremental_alter_configs_resp_read(&rb, ver, &a, &p2), 0);
		CU_ASSERT_EQUAL(p2.responses[0].error_code, 40);
		CU_ASSERT_STRING_EQUAL(p2.responses[0].error_message, "Unknown");
		CU_ASSERT_STRING_EQUAL(p2.responses[0].resource_name, "t");
		CHECK_TRUNCATIONS(w, sm_incremental_alter_configs_resp_read, ver, &a, &p2);
		sm_wbuf_free(&w);
		sm_arena_destroy(&a);
	}
}

static void expect_valid(const char *k, const char *v, const char *canon)
{
	char err[512] = "", *c = NULL;
	CU_ASSERT_EQUAL(sm_log_config_validate(k, v, &c, err, sizeof(err)), SM_ERR_NONE);
	if (c)
		CU_ASSERT_STRING_EQUAL(c, canon);
	free(c);
}

static void expect_invalid(const char *k, const char *v, sm_err_t code, const char *msg)
{
	char err[512] = "", *c = NULL;
	CU_ASSERT_EQUAL(sm_log_config_validate(k, v, &c, err, sizeof(err)), code);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_STRING_EQUAL(err, msg);
}

static void test_log_config_validate(void)
{
	expect_valid("retention.ms", " 1000 ", "1000");
	expect_valid("retention.ms", "-1", "-1");
	expect_valid("cleanup.policy", "compact , delete", "compact,delete");
	expect_valid("preallocate", "TRUE", "true");
	expect_valid("min.cleanable.dirty.ratio", "1", "1.0");
	expect_valid("message.format.version", "2.8-IV1", "2.8-IV1");
	expect_valid("message.format.version", "0.11.0", "0.11.0");
	expect_valid("message.format.version", "2.0", "2.0");
	expect_valid("max.compaction.lag.ms", "1", "1");
	expect_valid("leader.replication.throttled.replicas", "0:1,1:2", "0:1,1:2");
	expect_valid("follower.replication.throttled.replicas", "*", "*");
	expect_invalid("retention.msx", "1", SM_ERR_INVALID_CONFIG,
		       "Unknown topic config name: retention.msx");
	expect_invalid("retention.ms", "abc", SM_ERR__CONFIG,
		       "Invalid value abc for configuration retention.ms: Not a number of type LONG");
	expect_invalid("min.insync.replicas", "0", SM_ERR__CONFIG,
		       "Invalid value 0 for configuration min.insync.replicas: Value must be at least 1");
	expect_invalid("segment.bytes", "99999999999", SM_ERR__CONFIG,
		       "Invalid value 99999999999 for configuration segment.bytes: Not a number of type INT");
	expect_invalid("min.cleanable.dirty.ratio", "1.1", SM_ERR__CONFIG,
		       "Invalid value 1.1 for configuration min.cleanable.dirty.ratio: Value must be no more than 1");
	expect_invalid("cleanup.policy", "compact,purge", SM_ERR__CONFIG,
		       "Invalid value compact,purge for configuration cleanup.policy: String must be one of: compact, delete");
	expect_invalid("unclean.leader.election.enable", "yes", SM_ERR__CONFIG,
		       "Invalid value yes for configuration unclean.leader.election.enable: Expected value to be either true or false");
	expect_invalid("message.format.version", "9.9", SM_ERR__CONFIG,
		       "Invalid value 9.9 for configuration message.format.version: Version `9.9` is not a valid version");
	/* Samsa stores record batch v2 only */
	expect_invalid("message.format.version", "0.10.2", SM_ERR_INVALID_CONFIG,
		       "Invalid value 0.10.2 for configuration message.format.version: Samsa stores record batch v2 only (message format 0.11.0 and later)");
	expect_invalid("message.format.version", "0.8.2", SM_ERR_INVALID_CONFIG,
		       "Invalid value 0.8.2 for configuration message.format.version: Samsa stores record batch v2 only (message format 0.11.0 and later)");
	int n;
	const sm_log_config_def_t *defs = sm_log_config_defs(&n);
	CU_ASSERT_EQUAL(n, 26);
	for (int i = 1; i < n; i++)
		CU_ASSERT(strcmp(defs[i - 1].name, defs[i].name) < 0);
	char buf[32];
	sm_log_config_format_double(0.5, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "0.5");
}

static sm_err_t validate_all(const char *k1, const char *v1, const char *k2, const char *v2,
			     char *err, size_t len)
{
	char *keys[2] = { (char *)k1, (char *)k2 }, *vals[2] = { (char *)v1, (char *)v2 };
	err[0] = '\0';
	return sm_log_config_validate_all(keys, vals, k2 ? 2 : 1, err, len);
}

static void test_log_config_validate_all(void)
{
	char err[512];
	CU_ASSERT_EQUAL(validate_all("retention.ms", "1000", "cleanup.policy", "compact", err,
				     sizeof(err)), SM_ERR_NONE);
	/* names first: the unknown name wins over an earlier bad value */
	CU_ASSERT_EQUAL(validate_all("retention.ms", "abc", "nope", "1", err, sizeof(err)),
			SM_ERR_INVALID_CONFIG);
	CU_ASSERT_STRING_EQUAL(err, "Unknown topic config name: nope");
	CU_ASSERT_EQUAL(validate_all("segment.bytes", "x", NULL, NULL, err, sizeof(err)),
			SM_ERR__CONFIG);
	CU_ASSERT_STRING_EQUAL(err, "Invalid value x for configuration segment.bytes: Not a number of type INT");
	/* a repeated name counts with its last value (Properties) */
	CU_ASSERT_EQUAL(validate_all("retention.ms", "abc", "retention.ms", "5", err, sizeof(err)),
			SM_ERR_NONE);
	CU_ASSERT_EQUAL(validate_all("min.compaction.lag.ms", "60000", "max.compaction.lag.ms", "1",
				     err, sizeof(err)), SM_ERR_INVALID_CONFIG);
	CU_ASSERT_STRING_EQUAL(err, "conflict topic config setting min.compaction.lag.ms (60000) > max.compaction.lag.ms (1)");
	CU_ASSERT_EQUAL(validate_all("min.compaction.lag.ms", "60000", NULL, NULL, err, sizeof(err)),
			SM_ERR_NONE);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("msg_configs", NULL, NULL);
	CU_add_test(s, "DescribeConfigs request v0-4 round trip and truncation", test_describe_configs_req);
	CU_add_test(s, "DescribeConfigs response v0-4 round trip and truncation", test_describe_configs_resp);
	CU_add_test(s, "DescribeConfigs known v0 bytes, hostile count", test_describe_configs_known_v0);
	CU_add_test(s, "AlterConfigs v0-2 round trip and truncation", test_alter_configs);
	CU_add_test(s, "IncrementalAlterConfigs v0-1 round trip and truncation", test_incremental_alter_configs);
	CU_add_test(s, "topic config validation (LogConfig)", test_log_config_validate);
	CU_add_test(s, "LogConfig.validate over a topic's overrides", test_log_config_validate_all);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
