/*
 * test_authorizer.c - the AclAuthorizer's matching rules (authorizer.h)
 * over a fixed ACL set, the binding filters of DescribeAcls/DeleteAcls, and
 * the ACL znode codecs (zk_data.h) including hostile input.
 */
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "authorizer.h"
#include "buf.h"
#include "zk_data.h"

/* Adds one ACL to the resource (pattern, type, name) in res[0..*n). */
static void add(sm_acl_resource_t **res, int *n, int pattern, int type, const char *name,
		const char *principal, const char *host, int op, int perm)
{
	sm_acl_resource_t *r = NULL;
	for (int i = 0; i < *n; i++)
		if ((*res)[i].pattern == pattern && (*res)[i].res_type == type &&
		    !strcmp((*res)[i].name, name))
			r = &(*res)[i];
	if (!r) {
		*res = realloc(*res, (size_t)(*n + 1) * sizeof(**res));
		r = &(*res)[(*n)++];
		memset(r, 0, sizeof(*r));
		r->pattern = (int8_t)pattern;
		r->res_type = (int8_t)type;
		r->name = sm_strdup(name);
	}
	r->acls = realloc(r->acls, (size_t)(r->n + 1) * sizeof(*r->acls));
	r->acls[r->n++] = (sm_zk_acl_t){ sm_strdup(principal), sm_strdup(host), (int8_t)op,
					 (int8_t)perm };
}

#define L SM_ACL_PAT_LITERAL
#define P SM_ACL_PAT_PREFIXED
#define T SM_ACL_RES_TOPIC
#define G SM_ACL_RES_GROUP
#define ALLOW SM_ACL_PERM_ALLOW
#define DENY SM_ACL_PERM_DENY

static sm_authorizer_t *fixture(int allow_if_none)
{
	sm_acl_resource_t *r = NULL;
	int n = 0;
	add(&r, &n, L, T, "orders", "User:alice", "*", SM_ACL_OP_WRITE, ALLOW);
	add(&r, &n, L, T, "orders", "User:alice", "10.0.0.9", SM_ACL_OP_WRITE, DENY);
	add(&r, &n, P, T, "fam-", "User:bob", "*", SM_ACL_OP_READ, ALLOW);
	add(&r, &n, L, T, "fam-secret", "User:bob", "*", SM_ACL_OP_ALL, DENY);
	add(&r, &n, L, T, "*", "User:*", "*", SM_ACL_OP_DESCRIBE_CONFIGS, ALLOW);
	add(&r, &n, L, G, "g1", "User:carol", "127.0.0.1", SM_ACL_OP_READ, ALLOW);
	add(&r, &n, L, SM_ACL_RES_CLUSTER, SM_ACL_CLUSTER_NAME, "User:dave", "*",
	    SM_ACL_OP_ALTER_CONFIGS, ALLOW);
	add(&r, &n, L, T, "all-for-erin", "User:erin", "*", SM_ACL_OP_ALL, ALLOW);
	return sm_authorizer_new_static(allow_if_none, " User:root ; User:CN=b,O=x", r, n);
}

static int ok(sm_authorizer_t *a, const char *who, const char *host, int op, int type,
	      const char *name)
{
	return sm_authorizer_authorize(a, who, host, op, type, name, 0);
}

static void test_rules(void)
{
	sm_authorizer_t *a = fixture(0);
	const char *h = "127.0.0.1";
	/* literal allow; other principals and operations refused */
	CU_ASSERT(ok(a, "User:alice", h, SM_ACL_OP_WRITE, T, "orders"));
	CU_ASSERT(!ok(a, "User:bob", h, SM_ACL_OP_WRITE, T, "orders"));
	CU_ASSERT(!ok(a, "User:alice", h, SM_ACL_OP_READ, T, "orders"));
	/* deny wins, for its host only */
	CU_ASSERT(!ok(a, "User:alice", "10.0.0.9", SM_ACL_OP_WRITE, T, "orders"));
	/* implied: Write gives Describe; Describe is not denied by a Write
	 * deny */
	CU_ASSERT(ok(a, "User:alice", h, SM_ACL_OP_DESCRIBE, T, "orders"));
	CU_ASSERT(ok(a, "User:alice", "10.0.0.9", SM_ACL_OP_DESCRIBE, T, "orders"));
	/* prefixed */
	CU_ASSERT(ok(a, "User:bob", h, SM_ACL_OP_READ, T, "fam-a"));
	CU_ASSERT(ok(a, "User:bob", h, SM_ACL_OP_DESCRIBE, T, "fam-b"));
	CU_ASSERT(!ok(a, "User:bob", h, SM_ACL_OP_READ, T, "fam"));
	CU_ASSERT(!ok(a, "User:bob", h, SM_ACL_OP_READ, T, "other"));
	/* a deny of All refuses every operation */
	CU_ASSERT(!ok(a, "User:bob", h, SM_ACL_OP_READ, T, "fam-secret"));
	CU_ASSERT(!ok(a, "User:bob", h, SM_ACL_OP_DESCRIBE, T, "fam-secret"));
	/* the literal wildcard and User:* apply to every topic and principal */
	CU_ASSERT(ok(a, "User:zed", h, SM_ACL_OP_DESCRIBE_CONFIGS, T, "anything"));
	CU_ASSERT(!ok(a, "User:zed", h, SM_ACL_OP_ALTER_CONFIGS, T, "anything"));
	/* AlterConfigs gives DescribeConfigs */
	CU_ASSERT(ok(a, "User:dave", h, SM_ACL_OP_DESCRIBE_CONFIGS, SM_ACL_RES_CLUSTER,
		     SM_ACL_CLUSTER_NAME));
	/* All gives everything */
	CU_ASSERT(ok(a, "User:erin", h, SM_ACL_OP_DELETE, T, "all-for-erin"));
	/* host match */
	CU_ASSERT(ok(a, "User:carol", "127.0.0.1", SM_ACL_OP_READ, G, "g1"));
	CU_ASSERT(!ok(a, "User:carol", "127.0.0.2", SM_ACL_OP_READ, G, "g1"));
	/* resource type matters */
	CU_ASSERT(!ok(a, "User:carol", "127.0.0.1", SM_ACL_OP_READ, T, "g1"));
	/* super users, trimmed, with commas in the name */
	CU_ASSERT(ok(a, "User:root", h, SM_ACL_OP_DELETE, T, "orders"));
	CU_ASSERT(ok(a, "User:CN=b,O=x", h, SM_ACL_OP_CLUSTER_ACTION, SM_ACL_RES_CLUSTER,
		     SM_ACL_CLUSTER_NAME));
	/* no ACL on a group: refused unless allow.everyone.if.no.acl.found */
	CU_ASSERT(!ok(a, "User:alice", h, SM_ACL_OP_READ, G, "nobody"));
	sm_authorizer_destroy(a);
	a = fixture(1);
	CU_ASSERT(ok(a, "User:alice", h, SM_ACL_OP_READ, G, "nobody"));
	/* ... but a resource with ACLs still follows them */
	CU_ASSERT(!ok(a, "User:bob", h, SM_ACL_OP_WRITE, T, "orders"));
	sm_authorizer_destroy(a);
}

static void test_ops_and_any(void)
{
	sm_authorizer_t *a = fixture(0);
	const char *h = "127.0.0.1";
	int32_t ops = sm_authorizer_ops(a, "User:alice", h, T, "orders");
	CU_ASSERT_EQUAL(ops, (1 << SM_ACL_OP_WRITE) | (1 << SM_ACL_OP_DESCRIBE) |
				     (1 << SM_ACL_OP_DESCRIBE_CONFIGS));
	CU_ASSERT_EQUAL(sm_authorizer_ops(a, "User:root", h, T, "x"), 3576);
	CU_ASSERT_EQUAL(sm_authorizer_ops(NULL, "User:x", h, SM_ACL_RES_CLUSTER, NULL), 8096);
	CU_ASSERT_EQUAL(sm_authorizer_ops(a, "User:carol", h, G, "g1"),
			(1 << SM_ACL_OP_READ) | (1 << SM_ACL_OP_DESCRIBE));
	/* authorizeByResourceType */
	CU_ASSERT(sm_authorizer_authorize_any(a, "User:alice", h, SM_ACL_OP_WRITE, T));
	CU_ASSERT(!sm_authorizer_authorize_any(a, "User:alice", "10.0.0.9", SM_ACL_OP_WRITE, T));
	CU_ASSERT(!sm_authorizer_authorize_any(a, "User:bob", h, SM_ACL_OP_WRITE, T));
	CU_ASSERT(sm_authorizer_authorize_any(a, "User:root", h, SM_ACL_OP_WRITE, T));
	sm_authorizer_destroy(a);
	/* a prefixed deny dominates the literals and prefixes under it, a
	 * wildcard deny everything; implied operations do not count */
	sm_acl_resource_t *r = NULL;
	int n = 0;
	add(&r, &n, L, T, "x-1", "User:frank", "*", SM_ACL_OP_WRITE, ALLOW);
	add(&r, &n, P, T, "x-1-", "User:frank", "*", SM_ACL_OP_WRITE, ALLOW);
	add(&r, &n, P, T, "x-", "User:frank", "*", SM_ACL_OP_ALL, DENY);
	add(&r, &n, L, T, "t", "User:gina", "*", SM_ACL_OP_WRITE, ALLOW);
	add(&r, &n, L, T, "*", "User:gina", "*", SM_ACL_OP_WRITE, DENY);
	add(&r, &n, L, T, "t", "User:hank", "*", SM_ACL_OP_WRITE, ALLOW);
	add(&r, &n, L, T, "u", "User:hank", "*", SM_ACL_OP_WRITE, DENY);
	add(&r, &n, L, T, "t", "User:ivy", "*", SM_ACL_OP_READ, ALLOW);
	a = sm_authorizer_new_static(0, NULL, r, n);
	CU_ASSERT(!sm_authorizer_authorize_any(a, "User:frank", h, SM_ACL_OP_WRITE, T));
	CU_ASSERT(!sm_authorizer_authorize_any(a, "User:gina", h, SM_ACL_OP_WRITE, T));
	CU_ASSERT(sm_authorizer_authorize_any(a, "User:hank", h, SM_ACL_OP_WRITE, T));
	CU_ASSERT(!sm_authorizer_authorize_any(a, "User:ivy", h, SM_ACL_OP_DESCRIBE, T));
	CU_ASSERT(sm_authorizer_authorize_any(a, "User:ivy", h, SM_ACL_OP_READ, T));
	sm_authorizer_destroy(a);
	a = sm_authorizer_new_static(1, NULL, NULL, 0);
	CU_ASSERT(sm_authorizer_authorize_any(a, "User:anyone", h, SM_ACL_OP_WRITE, T));
	sm_authorizer_destroy(a);
}

static void test_filters(void)
{
	sm_zk_acl_t e = { (char *)"User:a", (char *)"*", SM_ACL_OP_READ, ALLOW };
	sm_acl_binding_t f = { SM_ACL_RES_ANY, SM_ACL_PAT_ANY, NULL, NULL, NULL, SM_ACL_OP_ANY,
			       SM_ACL_PERM_ANY };
	CU_ASSERT(sm_acl_filter_matches(&f, L, T, "t", &e));
	f.name = (char *)"t";
	CU_ASSERT(sm_acl_filter_matches(&f, P, T, "t", &e));
	CU_ASSERT(!sm_acl_filter_matches(&f, P, T, "t-", &e));
	/* MATCH: the literal name, the wildcard and covering prefixes */
	f.pattern = SM_ACL_PAT_MATCH;
	f.res_type = T;
	f.name = (char *)"topic-1";
	CU_ASSERT(sm_acl_filter_matches(&f, L, T, "topic-1", &e));
	CU_ASSERT(sm_acl_filter_matches(&f, L, T, "*", &e));
	CU_ASSERT(sm_acl_filter_matches(&f, P, T, "top", &e));
	CU_ASSERT(!sm_acl_filter_matches(&f, P, T, "topic-12", &e));
	CU_ASSERT(!sm_acl_filter_matches(&f, L, G, "topic-1", &e));
	/* exact pattern type */
	f.pattern = L;
	CU_ASSERT(!sm_acl_filter_matches(&f, P, T, "topic-1", &e));
	/* entry fields */
	f.pattern = SM_ACL_PAT_ANY;
	f.principal = (char *)"User:b";
	CU_ASSERT(!sm_acl_filter_matches(&f, L, T, "topic-1", &e));
	f.principal = NULL;
	f.op = SM_ACL_OP_WRITE;
	CU_ASSERT(!sm_acl_filter_matches(&f, L, T, "topic-1", &e));
	f.op = SM_ACL_OP_READ;
	f.perm = DENY;
	CU_ASSERT(!sm_acl_filter_matches(&f, L, T, "topic-1", &e));
	/* the cache's patterns a filter selects (DeleteAcls) */
	sm_authorizer_t *a = fixture(0);
	sm_acl_binding_t m = { T, SM_ACL_PAT_MATCH, (char *)"fam-x", NULL, NULL, SM_ACL_OP_ANY,
			       SM_ACL_PERM_ANY };
	sm_acl_resource_t *pats;
	int n = sm_authorizer_patterns(a, &m, &pats);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT(pats[0].n == 0 && pats[1].n == 0);
	CU_ASSERT((!strcmp(pats[0].name, "fam-") && !strcmp(pats[1].name, "*")) ||
		  (!strcmp(pats[0].name, "*") && !strcmp(pats[1].name, "fam-")));
	sm_acl_resources_free(pats, n);
	sm_authorizer_destroy(a);
}

static void test_znodes(void)
{
	sm_zk_acl_t in[2] = { { (char *)"User:CN=a,O=b", (char *)"*", SM_ACL_OP_CLUSTER_ACTION,
				ALLOW },
			      { (char *)"User:x", (char *)"10.1.1.1", SM_ACL_OP_IDEMPOTENT_WRITE,
				DENY } };
	char *json = sm_zk_acls_encode(in, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"operation\":\"ClusterAction\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"permissionType\":\"Deny\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"version\":1"));
	sm_zk_acl_t *out;
	int n;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(sm_zk_acls_decode(json, strlen(json), &out, &n, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(out[0].principal, "User:CN=a,O=b");
	CU_ASSERT_EQUAL(out[1].op, SM_ACL_OP_IDEMPOTENT_WRITE);
	CU_ASSERT_EQUAL(out[1].perm, DENY);
	sm_zk_acls_free(out, n);
	free(json);
	/* what Kafka wrote, key order and spacing of its own */
	const char *kafka = "{\"version\":1,\"acls\":[{\"principal\":\"User:alice\","
			    "\"permissionType\":\"Allow\",\"operation\":\"Read\",\"host\":\"*\"}]}";
	CU_ASSERT_EQUAL(sm_zk_acls_decode(kafka, strlen(kafka), &out, &n, err, sizeof(err)), 0);
	CU_ASSERT(n == 1 && out[0].op == SM_ACL_OP_READ && out[0].perm == ALLOW);
	sm_zk_acls_free(out, n);
	static const char *const bad[] = {
		"", "{", "[]", "{\"version\":2,\"acls\":[]}", "{\"version\":1}",
		"{\"version\":1,\"acls\":[{\"principal\":\"alice\",\"permissionType\":\"Allow\","
		"\"operation\":\"Read\",\"host\":\"*\"}]}",
		"{\"version\":1,\"acls\":[{\"principal\":\"User:a\",\"permissionType\":\"Maybe\","
		"\"operation\":\"Read\",\"host\":\"*\"}]}",
		"{\"version\":1,\"acls\":[{\"principal\":\"User:a\",\"permissionType\":\"Allow\","
		"\"operation\":\"Any\",\"host\":\"*\"}]}",
		"{\"version\":1,\"acls\":[7]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_NOT_EQUAL(sm_zk_acls_decode(bad[i], strlen(bad[i]), &out, &n, err,
						      sizeof(err)), 0);
		CU_ASSERT_PTR_NULL(out);
	}
	/* paths: Kafka's layout, and names that cannot be znodes */
	char *p = sm_zkpath_acl(L, T, "t");
	CU_ASSERT_STRING_EQUAL(p, "/kafka-acl/Topic/t");
	free(p);
	p = sm_zkpath_acl(P, SM_ACL_RES_TXN_ID, "tx");
	CU_ASSERT_STRING_EQUAL(p, "/kafka-acl-extended/prefixed/TransactionalId/tx");
	free(p);
	CU_ASSERT_PTR_NULL(sm_zkpath_acl(L, G, "a/b"));
	CU_ASSERT_PTR_NULL(sm_zkpath_acl(L, G, ".."));
	CU_ASSERT_PTR_NULL(sm_zkpath_acl(L, G, ""));
	CU_ASSERT_PTR_NULL(sm_zkpath_acl(SM_ACL_PAT_MATCH, G, "g"));
	CU_ASSERT_PTR_NULL(sm_zkpath_acl(L, SM_ACL_RES_ANY, "g"));
	/* change notifications, both stores */
	char *ch = sm_zk_acl_change_encode(L, G, "g:1");
	CU_ASSERT_STRING_EQUAL(ch, "GROUP:g:1");
	int pat, type;
	char *name;
	CU_ASSERT_EQUAL(sm_zk_acl_change_decode(0, ch, strlen(ch), &pat, &type, &name, err,
						sizeof(err)), 0);
	CU_ASSERT(pat == L && type == G && !strcmp(name, "g:1"));
	free(name);
	free(ch);
	CU_ASSERT_EQUAL(sm_zk_acl_change_decode(0, "Topic:x", 7, &pat, &type, &name, err,
						sizeof(err)), 0);
	CU_ASSERT(type == T && !strcmp(name, "x"));
	free(name);
	CU_ASSERT_NOT_EQUAL(sm_zk_acl_change_decode(0, "Nope:x", 6, &pat, &type, &name, err,
						    sizeof(err)), 0);
	CU_ASSERT_NOT_EQUAL(sm_zk_acl_change_decode(0, "Topic", 5, &pat, &type, &name, err,
						    sizeof(err)), 0);
	ch = sm_zk_acl_change_encode(P, T, "fam-");
	CU_ASSERT_STRING_EQUAL(ch, "{\"version\":1,\"resourceType\":\"TOPIC\",\"name\":\"fam-\","
			       "\"patternType\":\"PREFIXED\"}");
	CU_ASSERT_EQUAL(sm_zk_acl_change_decode(1, ch, strlen(ch), &pat, &type, &name, err,
						sizeof(err)), 0);
	CU_ASSERT(pat == P && type == T && !strcmp(name, "fam-"));
	free(name);
	free(ch);
	const char *bad_ev = "{\"version\":1,\"resourceType\":\"TOPIC\",\"name\":\"x\","
			     "\"patternType\":\"MATCH\"}";
	CU_ASSERT_NOT_EQUAL(sm_zk_acl_change_decode(1, bad_ev, strlen(bad_ev), &pat, &type,
						    &name, err, sizeof(err)), 0);
	/* names in both forms */
	CU_ASSERT_EQUAL(sm_acl_op_parse("cluster-action"), SM_ACL_OP_CLUSTER_ACTION);
	CU_ASSERT_EQUAL(sm_acl_op_parse("IdempotentWrite"), SM_ACL_OP_IDEMPOTENT_WRITE);
	CU_ASSERT_EQUAL(sm_acl_res_parse("TRANSACTIONAL_ID"), SM_ACL_RES_TXN_ID);
	CU_ASSERT_EQUAL(sm_acl_op_parse("Reads"), 0);
	CU_ASSERT_STRING_EQUAL(sm_acl_op_enum(99), "UNKNOWN");
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("authorizer", NULL, NULL);
	CU_add_test(s, "AclAuthorizer rules", test_rules);
	CU_add_test(s, "authorized operations and by-resource-type", test_ops_and_any);
	CU_add_test(s, "binding filters", test_filters);
	CU_add_test(s, "ACL znodes and change notifications", test_znodes);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
