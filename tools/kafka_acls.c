/*
 * kafka_acls.c - bin/kafka-acls.sh (Kafka's AclCommand): add, remove and
 * list ACLs with Kafka's flags and output.
 *
 * Two ways to reach the ACLs, as in Kafka: --bootstrap-server sends
 * CreateAcls / DescribeAcls / DeleteAcls to a broker (which needs Alter /
 * Describe on the cluster for the caller), and --authorizer-properties
 * zookeeper.connect=... edits the znodes directly with the same store code
 * the brokers use (authorizer.h), change notifications included.
 *
 * The resources and ACLs are built as AclCommand builds them: every
 * --topic/--group/--transactional-id/--delegation-token (and --cluster)
 * with --resource-pattern-type (default LITERAL); every allowed principal x
 * operation x --allow-host (default "*"), then the denied ones;
 * --producer gives Write, Describe, Create on topics, Write, Describe on
 * transactional ids and IdempotentWrite on the cluster with --idempotent;
 * --consumer Read, Describe on topics and Read on groups.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authorizer.h"
#include "kafka_zk.h"
#include "msg_create_acls.h"
#include "msg_delete_acls.h"
#include "msg_describe_acls.h"
#include "properties.h"
#include "proto_admin.h"
#include "protocol.h"
#include "tls.h"
#include "zk_client.h"
#include "zk_login.h"

#define KA_MAX 64 /* values of one repeated flag */

typedef struct ka_list {
	const char *v[KA_MAX];
	int n;
} ka_list_t;

typedef struct ka_opts {
	const char *bootstrap, *command_config, *authorizer;
	ka_list_t authz_props, topics, groups, txn_ids, tokens, ops, allow_p, deny_p,
		allow_h, deny_h, list_p;
	int cluster, idempotent, add, remove, list, producer, consumer, force;
	int pattern;
} ka_opts_t;

/* One resource pattern (or filter) and its entries. */
typedef struct ka_entry {
	int8_t type, pattern;
	const char *name;
	sm_zk_acl_t aces[KA_MAX * 8];
	int n;
} ka_entry_t;

static const char *ka_usage_text =
	"This tool helps to manage acls on kafka.\n"
	"Option                                   Description\n"
	"------                                   -----------\n"
	"--add                                    Indicates you are trying to add ACLs.\n"
	"--allow-host <allow-host>                Host from which principals listed in --allow-\n"
	"                                           principal will have access.\n"
	"--allow-principal <allow-principal>      principal is in principalType:name format.\n"
	"--authorizer-properties <authorizer-     properties required to configure an instance of\n"
	"  properties>                              Authorizer (zookeeper.connect=localhost:2181).\n"
	"--bootstrap-server <server to connect    A list of host/port pairs to use for establishing\n"
	"  to>                                      the connection to the Kafka cluster.\n"
	"--cluster                                Add/Remove cluster ACLs.\n"
	"--consumer                               Convenience option to add/remove ACLs for consumer\n"
	"                                           role.\n"
	"--delegation-token <delegation-token>    Delegation token to which ACLs should be added or\n"
	"                                           removed.\n"
	"--deny-host <deny-host>                  Host from which principals listed in --deny-\n"
	"                                           principal will be denied access.\n"
	"--deny-principal <deny-principal>        principal is in principalType:name format.\n"
	"--force                                  Assume Yes to all queries and do not prompt.\n"
	"--group <group>                          Consumer Group to which the ACLs should be added\n"
	"                                           or removed.\n"
	"--idempotent                             Enable idempotence for the producer.\n"
	"--list                                   List ACLs for the specified resource.\n"
	"--operation <operation>                  Operation that is being allowed or denied.\n"
	"                                           (default: All)\n"
	"--principal <principal>                  List ACLs for the specified principal.\n"
	"--producer                               Convenience option to add/remove ACLs for producer\n"
	"                                           role.\n"
	"--remove                                 Indicates you are trying to remove ACLs.\n"
	"--resource-pattern-type <ANY|MATCH|      The type of the resource pattern or pattern\n"
	"  LITERAL|PREFIXED>                        filter. (default: LITERAL)\n"
	"--topic <topic>                          topic to which ACLs should be added or removed.\n"
	"--transactional-id <transactional-id>    The transactionalId to which ACLs should be added\n"
	"                                           or removed.\n";

static void ka_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void ka_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", ka_usage_text);
	exit(1);
}

static void ka_push(ka_list_t *l, const char *flag, const char *v)
{
	if (l->n == KA_MAX)
		ka_die("Too many %s options (at most %d)", flag, KA_MAX);
	l->v[l->n++] = v;
}

/* ---- output (Kafka's ResourcePattern / AccessControlEntry toString) ---- */

static void ka_print_pattern(int type, const char *name, int pattern)
{
	printf("ResourcePattern(resourceType=%s, name=%s, patternType=%s)", sm_acl_res_enum(type),
	       name ? name : "<any>", sm_acl_pat_enum(pattern));
}

static void ka_print_block(const char *head, const ka_entry_t *e)
{
	printf("%s `", head);
	ka_print_pattern(e->type, e->name, e->pattern);
	printf("`: \n ");
	for (int i = 0; i < e->n; i++)
		printf("%s\t(principal=%s, host=%s, operation=%s, permissionType=%s)", i ? "\n" : "",
		       e->aces[i].principal, e->aces[i].host, sm_acl_op_enum(e->aces[i].op),
		       sm_acl_perm_enum(e->aces[i].perm));
	printf(" \n\n");
}

/* ---- building resources and ACLs ---- */

static void ka_add_ace(ka_entry_t *e, const char *principal, const char *host, int op, int perm)
{
	for (int i = 0; i < e->n; i++)
		if (e->aces[i].op == op && e->aces[i].perm == perm &&
		    !strcmp(e->aces[i].principal, principal) && !strcmp(e->aces[i].host, host))
			return;
	if (e->n == (int)(sizeof(e->aces) / sizeof(e->aces[0])))
		ka_die("Too many ACLs for one resource");
	e->aces[e->n++] = (sm_zk_acl_t){ (char *)principal, (char *)host, (int8_t)op, (int8_t)perm };
}

/* Kafka's getAcl: principals x operations x hosts, allowed then denied. */
static void ka_acls(const ka_opts_t *o, ka_entry_t *e, const int *ops, int nops)
{
	static const char *const star[] = { "*" };
	const char *const *ah = o->allow_h.n ? o->allow_h.v : star;
	const char *const *dh = o->deny_h.n ? o->deny_h.v : star;
	int nah = o->allow_h.n ? o->allow_h.n : 1, ndh = o->deny_h.n ? o->deny_h.n : 1;
	for (int p = 0; p < o->allow_p.n; p++)
		for (int k = 0; k < nops; k++)
			for (int h = 0; h < nah; h++)
				ka_add_ace(e, o->allow_p.v[p], ah[h], ops[k], SM_ACL_PERM_ALLOW);
	for (int p = 0; p < o->deny_p.n; p++)
		for (int k = 0; k < nops; k++)
			for (int h = 0; h < ndh; h++)
				ka_add_ace(e, o->deny_p.v[p], dh[h], ops[k], SM_ACL_PERM_DENY);
}

static ka_entry_t *ka_entry(ka_entry_t *v, int *n, int type, const char *name, int pattern)
{
	for (int i = 0; i < *n; i++)
		if (v[i].type == type && v[i].pattern == pattern && !strcmp(v[i].name, name))
			return &v[i];
	if (*n == KA_MAX * 4)
		ka_die("Too many resources");
	ka_entry_t *e = &v[(*n)++];
	memset(e, 0, sizeof(*e));
	e->type = (int8_t)type;
	e->name = name;
	e->pattern = (int8_t)pattern;
	return e;
}

/* Kafka's getResourceFilter: the resources the flags name. */
static int ka_resources(const ka_opts_t *o, ka_entry_t *v, int die_if_none)
{
	int n = 0;
	for (int i = 0; i < o->topics.n; i++)
		ka_entry(v, &n, SM_ACL_RES_TOPIC, o->topics.v[i], o->pattern);
	if (o->pattern == SM_ACL_PAT_LITERAL && (o->cluster || o->idempotent))
		ka_entry(v, &n, SM_ACL_RES_CLUSTER, SM_ACL_CLUSTER_NAME, SM_ACL_PAT_LITERAL);
	for (int i = 0; i < o->groups.n; i++)
		ka_entry(v, &n, SM_ACL_RES_GROUP, o->groups.v[i], o->pattern);
	for (int i = 0; i < o->txn_ids.n; i++)
		ka_entry(v, &n, SM_ACL_RES_TXN_ID, o->txn_ids.v[i], o->pattern);
	for (int i = 0; i < o->tokens.n; i++)
		ka_entry(v, &n, SM_ACL_RES_DELEGATION_TOKEN, o->tokens.v[i], o->pattern);
	if (!n && die_if_none)
		ka_die("You must provide at least one resource: --topic <topic> or --cluster or --group <group> or --delegation-token <Delegation Token ID>");
	return n;
}

/* Kafka's getResourceFilterToAcls. */
static int ka_resource_acls(const ka_opts_t *o, ka_entry_t *v)
{
	int n = ka_resources(o, v, 1);
	if (!o->producer && !o->consumer) {
		int ops[KA_MAX], nops = 0;
		for (int i = 0; i < o->ops.n; i++) {
			ops[nops] = sm_acl_op_parse(o->ops.v[i]);
			if (ops[nops] <= SM_ACL_OP_ANY)
				ka_die("Invalid operation: %s", o->ops.v[i]);
			nops++;
		}
		if (!nops)
			ops[nops++] = SM_ACL_OP_ALL;
		for (int i = 0; i < n; i++)
			ka_acls(o, &v[i], ops, nops);
	}
	if (o->producer) {
		static const int topic_ops[] = { SM_ACL_OP_WRITE, SM_ACL_OP_DESCRIBE, SM_ACL_OP_CREATE };
		static const int txn_ops[] = { SM_ACL_OP_WRITE, SM_ACL_OP_DESCRIBE };
		static const int cl_ops[] = { SM_ACL_OP_IDEMPOTENT_WRITE };
		for (int i = 0; i < n; i++) {
			if (v[i].type == SM_ACL_RES_TOPIC)
				ka_acls(o, &v[i], topic_ops, 3);
			else if (v[i].type == SM_ACL_RES_TXN_ID)
				ka_acls(o, &v[i], txn_ops, 2);
			else if (v[i].type == SM_ACL_RES_CLUSTER && o->idempotent)
				ka_acls(o, &v[i], cl_ops, 1);
		}
	}
	if (o->consumer) {
		static const int topic_ops[] = { SM_ACL_OP_READ, SM_ACL_OP_DESCRIBE };
		static const int group_ops[] = { SM_ACL_OP_READ };
		for (int i = 0; i < n; i++) {
			if (v[i].type == SM_ACL_RES_TOPIC)
				ka_acls(o, &v[i], topic_ops, 2);
			else if (v[i].type == SM_ACL_RES_GROUP)
				ka_acls(o, &v[i], group_ops, 1);
		}
	}
	/* Kafka's validateOperation */
	for (int i = 0; i < n; i++) {
		int32_t valid = sm_acl_valid_ops(v[i].type) | (1 << SM_ACL_OP_ALL);
		for (int k = 0; k < v[i].n; k++)
			if (!(valid & (1 << v[i].aces[k].op))) {
				char ops[256] = "";
				for (int op = SM_ACL_OP_ALL; op <= SM_ACL_OP_IDEMPOTENT_WRITE; op++)
					if (valid & (1 << op))
						snprintf(ops + strlen(ops), sizeof(ops) - strlen(ops),
							 "%s%s", *ops ? "," : "", sm_acl_op_enum(op));
				ka_die("ResourceType %s only supports operations %s",
				       sm_acl_res_enum(v[i].type), ops);
			}
	}
	return n;
}

/* ---- backends ---- */

typedef struct ka_backend {
	sm_zk_t *zk;              /* --authorizer-properties */
	sm_net_client_t *client;  /* --bootstrap-server */
	sm_arena_t arena;
} ka_backend_t;

static void ka_fail(const char *msg)
{
	printf("Error while executing ACL command: %s\n", msg);
	exit(1);
}

static void ka_open(const ka_opts_t *o, ka_backend_t *b)
{
	memset(b, 0, sizeof(*b));
	sm_arena_init(&b->arena);
	if (o->bootstrap) {
		sm_metadata_resp_t md;
		if (sm_pa_metadata(o->bootstrap, NULL, 0, &b->arena, &md) || md.brokers_cnt < 1)
			ka_fail("no broker of the bootstrap servers answered");
		b->client = sm_pa_broker_client(&md, md.brokers[0].node_id);
		if (!b->client)
			ka_fail("no broker to send the request to");
		return;
	}
	const char *connect = NULL;
	int secure = 0;
	for (int i = 0; i < o->authz_props.n; i++) {
		if (!strncmp(o->authz_props.v[i], "zookeeper.connect=", 18))
			connect = o->authz_props.v[i] + 18;
		/* AclAuthorizer creates its znodes with the secure ACLs when
		 * its zookeeper.set.acl is true. */
		if (!strncmp(o->authz_props.v[i], "zookeeper.set.acl=", 18))
			secure = !strcasecmp(o->authz_props.v[i] + 18, "true");
	}
	if (!connect)
		ka_die("Missing required argument \"[authorizer-properties]\" with zookeeper.connect");
	char err[512];
	b->zk = sm_zk_login_connect(connect, secure, err, sizeof(err));
	if (!b->zk)
		ka_fail(err);
	if (sm_kzk_create_acl_paths(b->zk))
		ka_fail("cannot create the ACL paths in ZooKeeper");
}

/* Sends a version 1 request (non-flexible; prefixed patterns from v1). */
static sm_rbuf_t ka_request(ka_backend_t *b, int16_t key, sm_wbuf_t *body)
{
	static sm_wbuf_t resp;
	sm_wbuf_free(&resp);
	sm_wbuf_init(&resp, 1024);
	int rc = sm_net_client_request(b->client, key, 1, body, 0, &resp, SM_PA_TIMEOUT_MS);
	if (rc)
		ka_fail(sm_net_client_last_error(b->client));
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, resp.p, resp.len);
	return rb;
}

static void ka_backend_add(ka_backend_t *b, const ka_entry_t *e)
{
	if (b->zk) {
		char err[512] = "";
		for (int i = 0; i < e->n; i++) {
			sm_acl_binding_t bd = { e->type, e->pattern, (char *)e->name, e->aces[i].principal,
						e->aces[i].host, e->aces[i].op, e->aces[i].perm };
			if (sm_acl_store_add(b->zk, &bd, 1, err, sizeof(err))) {
				printf("Error while adding ACLs: %s\n", err);
				exit(1);
			}
		}
		return;
	}
	sm_create_acls_req_t req;
	sm_create_acls_req_init(&req);
	req.creations_cnt = e->n;
	req.creations = sm_arena_alloc(&b->arena, sizeof(*req.creations) * (size_t)(e->n + 1));
	for (int i = 0; i < e->n; i++) {
		sm_create_acls_req_creation_t *c = &req.creations[i];
		c->resource_type = e->type;
		c->resource_name = (char *)e->name;
		c->resource_pattern_type = e->pattern;
		c->principal = e->aces[i].principal;
		c->host = e->aces[i].host;
		c->operation = e->aces[i].op;
		c->permission_type = e->aces[i].perm;
	}
	sm_wbuf_t body;
	sm_wbuf_init(&body, 256);
	sm_create_acls_req_write(&body, 1, &req);
	sm_rbuf_t rb = ka_request(b, SM_API_CREATE_ACLS, &body);
	sm_wbuf_free(&body);
	sm_create_acls_resp_t r;
	if (sm_create_acls_resp_read(&rb, 1, &b->arena, &r))
		ka_fail("malformed CreateAcls response");
	for (int i = 0; i < r.results_cnt; i++)
		if (r.results[i].error_code) {
			printf("Error while adding ACLs: %s\n",
			       r.results[i].error_message ? r.results[i].error_message
							  : sm_pa_error_message(r.results[i].error_code));
			exit(1);
		}
}

/* Every binding matching the filter (with any entry). */
static int ka_backend_describe(ka_backend_t *b, const sm_acl_binding_t *f, sm_acl_binding_t **out)
{
	int n = 0, cap = 0;
	*out = NULL;
	if (b->zk) {
		sm_acl_resource_t *res;
		int nres;
		if (sm_acl_store_load(b->zk, &res, &nres))
			ka_fail("cannot read the ACLs from ZooKeeper");
		for (int r = 0; r < nres; r++)
			for (int i = 0; i < res[r].n; i++) {
				if (!sm_acl_filter_matches(f, res[r].pattern, res[r].res_type, res[r].name,
							   &res[r].acls[i]))
					continue;
				if (n == cap) {
					cap = cap ? cap * 2 : 16;
					*out = realloc(*out, (size_t)cap * sizeof(**out));
				}
				(*out)[n++] = (sm_acl_binding_t){
					res[r].res_type, res[r].pattern, sm_strdup(res[r].name),
					sm_strdup(res[r].acls[i].principal),
					sm_strdup(res[r].acls[i].host), res[r].acls[i].op,
					res[r].acls[i].perm };
			}
		sm_acl_resources_free(res, nres);
		return n;
	}
	sm_describe_acls_req_t req;
	sm_describe_acls_req_init(&req);
	req.resource_type_filter = f->res_type;
	req.resource_name_filter = f->name;
	req.pattern_type_filter = f->pattern;
	req.principal_filter = f->principal;
	req.host_filter = f->host;
	req.operation = f->op;
	req.permission_type = f->perm;
	sm_wbuf_t body;
	sm_wbuf_init(&body, 128);
	sm_describe_acls_req_write(&body, 1, &req);
	sm_rbuf_t rb = ka_request(b, SM_API_DESCRIBE_ACLS, &body);
	sm_wbuf_free(&body);
	sm_describe_acls_resp_t r;
	if (sm_describe_acls_resp_read(&rb, 1, &b->arena, &r))
		ka_fail("malformed DescribeAcls response");
	if (r.error_code)
		ka_fail(r.error_message ? r.error_message : sm_pa_error_message(r.error_code));
	for (int i = 0; i < r.resources_cnt; i++)
		for (int k = 0; k < r.resources[i].acls_cnt; k++) {
			const sm_describe_acls_resp_acl_t *a = &r.resources[i].acls[k];
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				*out = realloc(*out, (size_t)cap * sizeof(**out));
			}
			(*out)[n++] = (sm_acl_binding_t){
				r.resources[i].resource_type, r.resources[i].pattern_type,
				sm_strdup(r.resources[i].resource_name), sm_strdup(a->principal),
				sm_strdup(a->host), a->operation, a->permission_type };
		}
	return n;
}

static void ka_backend_remove(ka_backend_t *b, const sm_acl_binding_t *f)
{
	if (b->zk) {
		sm_acl_binding_t *gone;
		int n;
		char err[512] = "";
		if (sm_acl_store_remove(b->zk, f, NULL, 0, &gone, &n, err, sizeof(err))) {
			printf("Error while removing ACLs: %s\n", err);
			exit(1);
		}
		sm_acl_bindings_free(gone, n);
		return;
	}
	sm_delete_acls_req_t req;
	sm_delete_acls_req_init(&req);
	sm_delete_acls_req_filter_t q;
	sm_delete_acls_req_filter_init(&q);
	q.resource_type_filter = f->res_type;
	q.resource_name_filter = f->name;
	q.pattern_type_filter = f->pattern;
	q.principal_filter = f->principal;
	q.host_filter = f->host;
	q.operation = f->op;
	q.permission_type = f->perm;
	req.filters = &q;
	req.filters_cnt = 1;
	sm_wbuf_t body;
	sm_wbuf_init(&body, 128);
	sm_delete_acls_req_write(&body, 1, &req);
	sm_rbuf_t rb = ka_request(b, SM_API_DELETE_ACLS, &body);
	sm_wbuf_free(&body);
	sm_delete_acls_resp_t r;
	if (sm_delete_acls_resp_read(&rb, 1, &b->arena, &r))
		ka_fail("malformed DeleteAcls response");
	for (int i = 0; i < r.filter_results_cnt; i++)
		if (r.filter_results[i].error_code) {
			printf("Error while removing ACLs: %s\n",
			       r.filter_results[i].error_message
				       ? r.filter_results[i].error_message
				       : sm_pa_error_message(r.filter_results[i].error_code));
			exit(1);
		}
}

/* ---- actions ---- */

static int ka_binding_cmp(const void *x, const void *y)
{
	const sm_acl_binding_t *a = x, *b = y;
	int c;
	if (a->res_type != b->res_type)
		return a->res_type - b->res_type;
	if ((c = strcmp(a->name, b->name)))
		return c;
	if (a->pattern != b->pattern)
		return a->pattern - b->pattern;
	if ((c = strcmp(a->principal, b->principal)))
		return c;
	if ((c = strcmp(a->host, b->host)))
		return c;
	if (a->perm != b->perm)
		return b->perm - a->perm;
	return a->op - b->op;
}

static void ka_list(const ka_opts_t *o, ka_backend_t *b)
{
	ka_entry_t *res = calloc(KA_MAX * 4, sizeof(*res));
	int nres = ka_resources(o, res, 0);
	sm_acl_binding_t *all = NULL;
	int n = 0;
	sm_acl_binding_t any = { SM_ACL_RES_ANY, SM_ACL_PAT_ANY, NULL, NULL, NULL, SM_ACL_OP_ANY,
				 SM_ACL_PERM_ANY };
	for (int i = 0; i < (nres ? nres : 1); i++) {
		sm_acl_binding_t f = any;
		if (nres) {
			f.res_type = res[i].type;
			f.pattern = res[i].pattern;
			f.name = (char *)res[i].name;
		}
		sm_acl_binding_t *got;
		int ng = ka_backend_describe(b, &f, &got);
		all = realloc(all, (size_t)(n + ng + 1) * sizeof(*all));
		if (ng)
			memcpy(all + n, got, (size_t)ng * sizeof(*got));
		n += ng;
		free(got);
	}
	if (n > 1)
		qsort(all, (size_t)n, sizeof(*all), ka_binding_cmp);
	int np = o->list_p.n ? o->list_p.n : 1;
	for (int p = 0; p < np; p++) {
		const char *who = o->list_p.n ? o->list_p.v[p] : NULL;
		if (who)
			printf("ACLs for principal `%s`\n", who);
		ka_entry_t *e = NULL;
		for (int i = 0; i < n; i++) {
			if (i && !ka_binding_cmp(&all[i - 1], &all[i]))
				continue; /* named by two filters */
			if (who && strcmp(who, all[i].principal))
				continue;
			if (e && (e->type != all[i].res_type || e->pattern != all[i].pattern ||
				  strcmp(e->name, all[i].name))) {
				ka_print_block("Current ACLs for resource", e);
				free(e);
				e = NULL;
			}
			if (!e) {
				e = calloc(1, sizeof(*e));
				e->type = all[i].res_type;
				e->pattern = all[i].pattern;
				e->name = all[i].name;
			}
			if (e->n < (int)(sizeof(e->aces) / sizeof(e->aces[0])))
				e->aces[e->n++] = (sm_zk_acl_t){ all[i].principal, all[i].host,
								 all[i].op, all[i].perm };
		}
		if (e)
			ka_print_block("Current ACLs for resource", e);
		free(e);
	}
	sm_acl_bindings_free(all, n);
	free(res);
}

static int ka_confirm(const ka_opts_t *o, const ka_entry_t *e)
{
	if (o->force)
		return 1;
	if (!e->n) {
		printf("Are you sure you want to delete all ACLs for resource filter `");
		ka_print_pattern(e->type, e->name, e->pattern);
		printf("`? (y/n)\n");
	} else {
		printf("Are you sure you want to remove ACLs: \n ");
		for (int i = 0; i < e->n; i++)
			printf("%s\t(principal=%s, host=%s, operation=%s, permissionType=%s)",
			       i ? "\n" : "", e->aces[i].principal, e->aces[i].host,
			       sm_acl_op_enum(e->aces[i].op), sm_acl_perm_enum(e->aces[i].perm));
		printf(" \n from resource filter `");
		ka_print_pattern(e->type, e->name, e->pattern);
		printf("`? (y/n)\n");
	}
	fflush(stdout);
	char line[64];
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	return (line[0] == 'y' || line[0] == 'Y') && (line[1] == '\n' || !line[1]);
}

/* --command-config: PLAINTEXT, or SSL with Kafka's ssl.* client keys
 * (truststore, keystore for a client certificate, endpoint
 * identification). */
static void ka_command_config(const char *path)
{
	sm_props_t props;
	char err[512];
	sm_props_init(&props);
	if (sm_props_load(&props, path, err, sizeof(err)))
		ka_fail(err);
	const char *proto = sm_props_get(&props, "security.protocol");
	if (proto && !strcasecmp(proto, "SSL")) {
		int verify_host = 0;
		SSL_CTX *ctx = sm_tls_client_ctx_new(&props, "client", &verify_host, err, sizeof(err));
		if (!ctx)
			ka_fail(err);
		sm_tls_interbroker_set(ctx, verify_host);
		sm_pa_use_tls(1);
	} else if (proto && strcasecmp(proto, "PLAINTEXT")) {
		snprintf(err, sizeof(err), "security.protocol=%s is not supported (PLAINTEXT or SSL)",
			 proto);
		ka_fail(err);
	}
	sm_props_free(&props);
}

static const char *ka_arg(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		ka_die("Option %s requires an argument", argv[*i]);
	return argv[++*i];
}

int main(int argc, char **argv)
{
	ka_opts_t o;
	memset(&o, 0, sizeof(o));
	o.pattern = SM_ACL_PAT_LITERAL;
	const char *pattern_arg = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--bootstrap-server"))
			o.bootstrap = ka_arg(argc, argv, &i);
		else if (!strcmp(a, "--command-config"))
			o.command_config = ka_arg(argc, argv, &i);
		else if (!strcmp(a, "--authorizer"))
			o.authorizer = ka_arg(argc, argv, &i);
		else if (!strcmp(a, "--authorizer-properties"))
			ka_push(&o.authz_props, a, ka_arg(argc, argv, &i));
		else if (!strcmp(a, "--topic"))
			ka_push(&o.topics, a, ka_arg(argc, argv, &i));
		else if (!strcmp(a, "--group"))
			ka_push(&o.groups, a, ka_arg(argc, argv, &i));
		else if (!strcmp(a, "--transactional-id"))
			ka_push(&o.txn_ids, a, ka_arg(argc, argv, &i));
		else if (!strcmp(a, "--delegation-token"))
			ka_push(&o.tokens, a, ka_arg(argc, argv, &i));
		else if (!strcmp(a, "--operation"))
			ka_push(&o.ops, a, ka_arg(argc, argv, &i));
		else if (!strcmp(a, "--allow-principal"))
			ka_push(&o.allow_p, a, ka_arg(argc, argv, &i));
		else if (!strcmp(a, "--deny-principal"))
			ka_push(&o.deny_p, a, ka_arg(argc, argv, &i));
		else if (!strcmp(a, "--allow-host"))
			ka_push(&o.allow_h, a, ka_arg(argc, argv, &i));
		else if (!strcmp(a, "--deny-host"))
			ka_push(&o.deny_h, a, ka_arg(argc, argv, &i));
		else if (!strcmp(a, "--principal"))
			ka_push(&o.list_p, a, ka_arg(argc, argv, &i));
		else if (!strcmp(a, "--resource-pattern-type"))
			pattern_arg = ka_arg(argc, argv, &i);
		else if (!strcmp(a, "--cluster"))
			o.cluster = 1;
		else if (!strcmp(a, "--idempotent"))
			o.idempotent = 1;
		else if (!strcmp(a, "--add"))
			o.add = 1;
		else if (!strcmp(a, "--remove"))
			o.remove = 1;
		else if (!strcmp(a, "--list"))
			o.list = 1;
		else if (!strcmp(a, "--producer"))
			o.producer = 1;
		else if (!strcmp(a, "--consumer"))
			o.consumer = 1;
		else if (!strcmp(a, "--force"))
			o.force = 1;
		else if (!strcmp(a, "--help")) {
			fputs(ka_usage_text, stdout);
			return 0;
		} else if (!strcmp(a, "--version")) {
			puts("2.8.0 (Samsa)");
			return 0;
		} else
			ka_die("%s is not a recognized option", a);
	}
	if (pattern_arg) {
		o.pattern = sm_acl_pat_parse(pattern_arg);
		if (!o.pattern)
			ka_die("Invalid resource pattern type: %s", pattern_arg);
	}
	/* Kafka's checkArgs */
	if (o.bootstrap && o.authorizer)
		ka_die("Only one of --bootstrap-server or --authorizer must be specified");
	if (!o.bootstrap && !o.authz_props.n)
		ka_die("Missing required argument \"[authorizer-properties]\"");
	if (o.command_config && !o.bootstrap)
		ka_die("The --command-config option can only be used with --bootstrap-server option");
	if (o.authz_props.n && o.bootstrap)
		ka_die("The --authorizer-properties option can only be used with --authorizer option");
	if (o.command_config)
		ka_command_config(o.command_config);
	if (o.authorizer && strcmp(o.authorizer, "kafka.security.authorizer.AclAuthorizer") &&
	    strcmp(o.authorizer, "kafka.security.auth.SimpleAclAuthorizer"))
		ka_die("Unsupported authorizer %s", o.authorizer);
	if (o.add + o.remove + o.list != 1)
		ka_die("Command must include exactly one action: --list, --add, --remove. ");
	if (o.list && (o.producer || o.consumer || o.allow_h.n || o.allow_p.n || o.deny_h.n ||
		       o.deny_p.n))
		ka_die("Option \"[list]\" can't be used with option \"[producer],[consumer],[allow-host],[allow-principal],[deny-host],[deny-principal]\"");
	if ((o.producer || o.consumer) && (o.ops.n || o.deny_p.n || o.deny_h.n))
		ka_die("Option \"[%s]\" can't be used with option \"[operation],[deny-principal],[deny-host]\"",
		       o.producer ? "producer" : "consumer");
	if (o.list_p.n && !o.list)
		ka_die("The --principal option is only available if --list is set");
	if (o.producer && !o.topics.n)
		ka_die("With --producer you must specify a --topic");
	if (o.idempotent && !o.producer)
		ka_die("The --idempotent option is only available if --producer is set");
	if (o.consumer && (!o.topics.n || !o.groups.n ||
			   (!o.producer && (o.cluster || o.txn_ids.n))))
		ka_die("With --consumer you must specify a --topic and a --group and no --cluster or --transactional-id option should be specified.");
	for (int i = 0; i < o.allow_p.n; i++)
		if (!strchr(o.allow_p.v[i], ':'))
			ka_die("expected a string in format principalType:principalName but got %s",
			       o.allow_p.v[i]);
	for (int i = 0; i < o.deny_p.n; i++)
		if (!strchr(o.deny_p.v[i], ':'))
			ka_die("expected a string in format principalType:principalName but got %s",
			       o.deny_p.v[i]);

	ka_backend_t b;
	if (o.add) {
		if (o.pattern != SM_ACL_PAT_LITERAL && o.pattern != SM_ACL_PAT_PREFIXED)
			ka_die("A '--resource-pattern-type' value of '%s' is not valid when adding acls.",
			       sm_acl_pat_enum(o.pattern));
		ka_entry_t *v = calloc(KA_MAX * 4, sizeof(*v));
		int n = ka_resource_acls(&o, v);
		for (int i = 0; i < n; i++)
			if (!v[i].n)
				ka_die("You must specify one of: --allow-principal, --deny-principal when trying to add ACLs.");
		ka_open(&o, &b);
		for (int i = 0; i < n; i++) {
			ka_print_block("Adding ACLs for resource", &v[i]);
			ka_backend_add(&b, &v[i]);
		}
		free(v);
		ka_list(&o, &b);
	} else if (o.remove) {
		ka_entry_t *v = calloc(KA_MAX * 4, sizeof(*v));
		int n = ka_resource_acls(&o, v);
		ka_open(&o, &b);
		for (int i = 0; i < n; i++) {
			if (!ka_confirm(&o, &v[i]))
				continue;
			sm_acl_binding_t f = { v[i].type, v[i].pattern, (char *)v[i].name, NULL, NULL,
					       SM_ACL_OP_ANY, SM_ACL_PERM_ANY };
			if (!v[i].n)
				ka_backend_remove(&b, &f);
			for (int k = 0; k < v[i].n; k++) {
				f.principal = v[i].aces[k].principal;
				f.host = v[i].aces[k].host;
				f.op = v[i].aces[k].op;
				f.perm = v[i].aces[k].perm;
				ka_backend_remove(&b, &f);
			}
		}
		free(v);
		ka_list(&o, &b);
	} else {
		ka_open(&o, &b);
		ka_list(&o, &b);
	}
	if (b.zk)
		sm_zk_destroy(b.zk);
	if (b.client)
		sm_net_client_destroy(b.client);
	sm_arena_destroy(&b.arena);
	return 0;
}
