/*
 * test_tls.c - unit tests for tls.c: ssl.principal.mapping.rules (DEFAULT,
 * RULE with groups and case flags, no match), per-listener key lookup, and
 * the settings refused at startup (JKS stores, unknown protocols and cipher
 * suites, bad client auth) with the key named in the message.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

#include "properties.h"
#include "tls.h"

#define DN "CN=client1,OU=Clients,O=Samsa"

static void test_default_rule(void)
{
	char out[256];

	CU_ASSERT_EQUAL(sm_tls_map_principal(NULL, DN, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, DN);
	CU_ASSERT_EQUAL(sm_tls_map_principal("DEFAULT", DN, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, DN);
}

static void test_rules(void)
{
	char out[256];
	const char *rules = "RULE:^CN=(.*?),OU=Servers,O=(.*)$/$1@$2/L,"
			    "RULE:^CN=([a-z0-9]+),OU=Clients.*$/$1/U,DEFAULT";

	CU_ASSERT_EQUAL(sm_tls_rules_check(rules, out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(sm_tls_map_principal(rules, DN, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "CLIENT1");
	CU_ASSERT_EQUAL(sm_tls_map_principal(rules, "CN=Kafka1,OU=Servers,O=ACME", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "kafka1@acme");
	CU_ASSERT_EQUAL(sm_tls_map_principal(rules, "CN=other", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "CN=other");
	/* Without DEFAULT a subject no rule matches is refused. */
	CU_ASSERT_EQUAL(sm_tls_map_principal("RULE:^CN=x$/x/", "CN=y", out, sizeof(out)), -1);
	/* Only a match of the whole name counts, as Java's matches(). */
	CU_ASSERT_EQUAL(sm_tls_map_principal("RULE:CN=([a-z]+)/$1/", "CN=abc,O=x", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(sm_tls_map_principal("RULE:CN=([a-z]+),O=x/$1/", "CN=abc,O=x", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "abc");
	CU_ASSERT_EQUAL(sm_tls_rules_check("RULE:^CN=x$/x", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(sm_tls_rules_check("NOPE", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(sm_tls_rules_check("RULE:^CN=(x$/x/", out, sizeof(out)), -1);
}

static void test_listener_lookup(void)
{
	sm_props_t p;

	sm_props_init(&p);
	sm_props_set(&p, "ssl.client.auth", "none");
	sm_props_set(&p, "listener.name.internal.ssl.client.auth", "required");
	CU_ASSERT_STRING_EQUAL(sm_tls_get(&p, "INTERNAL", "ssl.client.auth"), "required");
	CU_ASSERT_STRING_EQUAL(sm_tls_get(&p, "SSL", "ssl.client.auth"), "none");
	CU_ASSERT_PTR_NULL(sm_tls_get(&p, "SSL", "ssl.cipher.suites"));
	sm_props_free(&p);
}

/* Each bad setting is refused, naming its key. */
static void refused(const char *key, const char *value, const char *expect)
{
	sm_props_t p;
	char err[768] = "";

	sm_props_init(&p);
	sm_props_set(&p, "ssl.keystore.location", "/nonexistent/keystore");
	sm_props_set(&p, "ssl.keystore.type", "PEM");
	sm_props_set(&p, key, value);
	SSL_CTX *ctx = sm_tls_server_ctx_new(&p, "SSL", err, sizeof(err));
	CU_ASSERT_PTR_NULL(ctx);
	if (ctx)
		SSL_CTX_free(ctx);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, expect));
	if (!strstr(err, expect))
		fprintf(stderr, "\n%s: %s\n", key, err);
	sm_props_free(&p);
}

static void test_refused(void)
{
	refused("ssl.keystore.type", "JKS", "ssl.keystore.type");
	refused("ssl.client.auth", "sometimes", "ssl.client.auth");
	refused("ssl.enabled.protocols", "TLSv1.2,SSLv3", "ssl.enabled.protocols");
	refused("ssl.protocol", "SSLv2", "ssl.protocol");
	refused("ssl.cipher.suites", "TLS_NOT_A_SUITE", "ssl.cipher.suites");
	refused("ssl.keystore.password", "x", "/nonexistent/keystore");
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("tls", NULL, NULL);
	CU_add_test(s, "DEFAULT principal mapping", test_default_rule);
	CU_add_test(s, "RULE principal mapping", test_rules);
	CU_add_test(s, "listener-prefixed keys", test_listener_lookup);
	CU_add_test(s, "bad settings refused naming the key", test_refused);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
