/*
 * test_zk_login.c - the ZooKeeper client login (zk_login.h): JAAS file
 * sections and comments, the KAFKA_OPTS system properties, hostile and
 * malformed files; and the ACL kinds Kafka gives znodes (zk_client.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "zk_client.h"
#include "zk_login.h"

static int parse(const char *text, const char *section, char **u, char **p)
{
	char err[256];
	return sm_zk_login_parse(text, strlen(text), section, u, p, err, sizeof(err));
}

static void test_parse(void)
{
	char *u, *p;
	const char *file =
		"/* brokers */ KafkaServer {\n"
		"  org.apache.kafka.common.security.plain.PlainLoginModule required\n"
		"  username=\"admin\" password=\"x}y\";\n"
		"};\n"
		"// the ZooKeeper client\n"
		"Client {\n"
		"  org.apache.zookeeper.server.auth.DigestLoginModule required\n"
		"  username=\"kafka\" /* inline */ password=\"p//w\\\"d\";\n"
		"};\n";
	CU_ASSERT_EQUAL(parse(file, "Client", &u, &p), 1);
	CU_ASSERT_STRING_EQUAL(u, "kafka");
	CU_ASSERT_STRING_EQUAL(p, "p//w\"d");
	free(u);
	free(p);
	CU_ASSERT_EQUAL(parse(file, "KafkaServer", &u, &p), 1);
	CU_ASSERT_STRING_EQUAL(p, "x}y");
	free(u);
	free(p);
	CU_ASSERT_EQUAL(parse(file, "Other", &u, &p), 0);
	CU_ASSERT_PTR_NULL(u);
	CU_ASSERT_EQUAL(parse("", "Client", &u, &p), 0);

	/* Malformed or unusable. */
	CU_ASSERT_EQUAL(parse("Client { X required username=a password=b; }", "Client", &u, &p), -1);
	CU_ASSERT_EQUAL(parse("Client { X required username=a password=b;", "Client", &u, &p), -1);
	CU_ASSERT_EQUAL(parse("Client X required;", "Client", &u, &p), -1);
	CU_ASSERT_EQUAL(parse("{ X required; };", "Client", &u, &p), -1);
	CU_ASSERT_EQUAL(parse("Client { X required username=\"a; };", "Client", &u, &p), -1);
	/* Kerberos: no username/password to use. */
	CU_ASSERT_EQUAL(parse("Client { com.sun.security.auth.module.Krb5LoginModule required "
			      "useKeyTab=true; };", "Client", &u, &p), -1);
	CU_ASSERT_EQUAL(parse("Client { X required username=\"\" password=b; };", "Client", &u, &p), -1);
	/* An unterminated comment blanks the rest: no section. */
	CU_ASSERT_EQUAL(parse("/* Client { X required username=a password=b; };", "Client", &u, &p), 0);
	/* NUL bytes inside the text do not end it early. */
	const char bin[] = "A { X required a=b; };\0Client { X required username=u password=p; };";
	char err[256];
	CU_ASSERT_EQUAL(sm_zk_login_parse(bin, sizeof(bin) - 1, "Client", &u, &p, err, sizeof(err)), 1);
	free(u);
	free(p);
}

static void test_load(void)
{
	sm_zk_login_t l;
	char err[512];
	char path[] = "/tmp/test_zk_login_XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	const char *text = "Client { M required username=\"kafka\" password=\"s\"; };\n"
			   "Other { M required username=\"o\" password=\"t\"; };\n";
	CU_ASSERT_EQUAL(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	char opts[512];

	/* No login configured: not an error, no user. */
	CU_ASSERT_EQUAL(sm_zk_login_load(NULL, &l, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NULL(l.username);
	CU_ASSERT_PTR_NOT_NULL(strstr(l.desc, "java.security.auth.login.config=null"));
	CU_ASSERT_PTR_NOT_NULL(strstr(l.desc, "zookeeper.sasl.clientconfig=default:Client"));
	CU_ASSERT_EQUAL(sm_zk_login_load("-Xmx1G -Dother=1", &l, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NULL(l.username);

	snprintf(opts, sizeof(opts), "-Xmx1G -Djava.security.auth.login.config=%s", path);
	CU_ASSERT_EQUAL(sm_zk_login_load(opts, &l, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(l.username, "kafka");
	CU_ASSERT_STRING_EQUAL(l.password, "s");
	sm_zk_login_clear(&l);

	snprintf(opts, sizeof(opts), "-Djava.security.auth.login.config=%s "
		 "-Dzookeeper.sasl.clientconfig=Other", path);
	CU_ASSERT_EQUAL(sm_zk_login_load(opts, &l, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(l.username, "o");
	sm_zk_login_clear(&l);

	/* zookeeper.sasl.client=false turns the login off. */
	snprintf(opts, sizeof(opts), "-Djava.security.auth.login.config=%s "
		 "-Dzookeeper.sasl.client=false", path);
	CU_ASSERT_EQUAL(sm_zk_login_load(opts, &l, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NULL(l.username);

	/* A named section that is missing, a missing file. */
	snprintf(opts, sizeof(opts), "-Djava.security.auth.login.config=%s "
		 "-Dzookeeper.sasl.clientconfig=Nope", path);
	CU_ASSERT_EQUAL(sm_zk_login_load(opts, &l, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "Nope"));
	CU_ASSERT_EQUAL(sm_zk_login_load("-Djava.security.auth.login.config=/nonexistent/jaas",
					 &l, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NULL(l.username);
	unlink(path);
}

static void test_acl_kind(void)
{
	CU_ASSERT_EQUAL(sm_zk_acl_kind(0, "/config/users/alice"), SM_ZK_ACL_OPEN);
	CU_ASSERT_EQUAL(sm_zk_acl_kind(1, "/brokers/topics/t"), SM_ZK_ACL_PUBLIC);
	CU_ASSERT_EQUAL(sm_zk_acl_kind(1, "/config/topics/t"), SM_ZK_ACL_PUBLIC);
	CU_ASSERT_EQUAL(sm_zk_acl_kind(1, "/config"), SM_ZK_ACL_PUBLIC);
	CU_ASSERT_EQUAL(sm_zk_acl_kind(1, "/config/users"), SM_ZK_ACL_PRIVATE);
	CU_ASSERT_EQUAL(sm_zk_acl_kind(1, "/config/users/alice"), SM_ZK_ACL_PRIVATE);
	CU_ASSERT_EQUAL(sm_zk_acl_kind(1, "/config/brokers/<default>"), SM_ZK_ACL_PRIVATE);
	CU_ASSERT_EQUAL(sm_zk_acl_kind(1, "/delegation_token/tokens/x"), SM_ZK_ACL_PRIVATE);
	CU_ASSERT_EQUAL(sm_zk_acl_kind(1, "/delegation_token"), SM_ZK_ACL_PUBLIC);
	CU_ASSERT_EQUAL(sm_zk_acl_kind(1, "/consumers"), SM_ZK_ACL_OPEN);
	CU_ASSERT_EQUAL(sm_zk_acl_kind(1, "/consumers/g"), SM_ZK_ACL_PUBLIC);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("zk_login", NULL, NULL);
	CU_add_test(s, "JAAS file parsing", test_parse);
	CU_add_test(s, "login from KAFKA_OPTS", test_load);
	CU_add_test(s, "znode ACL kinds", test_acl_kind);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
