/*
 * api_acls.c - the authorization check every handler makes
 * (sm_apis_authorized, Kafka's AuthHelper) and CreateAcls, DescribeAcls and
 * DeleteAcls (KafkaApis.handleCreateAcls / handleDescribeAcls /
 * handleDeleteAcls), versions 0-2.
 *
 * Without an authorizer every check passes and the three ACL APIs answer
 * SECURITY_DISABLED, as Kafka does. A request naming an UNKNOWN resource
 * type, pattern type, operation or permission (or a non-literal pattern at
 * version 0) closes the connection: Kafka refuses it while parsing. CreateAcls and DeleteAcls need Alter on
 * the cluster, DescribeAcls Describe on it (CLUSTER_AUTHORIZATION_FAILED
 * otherwise). Changes are written to ZooKeeper by the handler (handlers may
 * call ZooKeeper) and this broker's cache is refreshed at once; the other
 * brokers follow the change notifications.
 *
 * Thread-safety: request handler threads.
 */
#include "kafka_apis_int.h"

#include <stdlib.h>
#include <string.h>

#include "authorizer.h"
#include "logger.h"
#include "msg_create_acls.h"
#include "msg_delete_acls.h"
#include "msg_describe_acls.h"

#define SM_ACLS_NO_AUTHORIZER "No Authorizer is configured on the broker."
#define SM_ACLS_DUP(ctx, s) sm_arena_strndup(&(ctx)->arena, (s), strlen(s))

/* The client's address from "host:port" / "[v6]:port" (ACL hosts are
 * addresses). */
static void sm_apis_host(const sm_req_ctx_t *ctx, char *out, size_t outlen)
{
	const char *p = ctx->req->peer;
	size_t l;
	if (*p == '[') {
		const char *e = strchr(p, ']');
		p++;
		l = e ? (size_t)(e - p) : strlen(p);
	} else {
		const char *c = strrchr(p, ':');
		l = c ? (size_t)(c - p) : strlen(p);
	}
	if (l >= outlen)
		l = outlen - 1;
	memcpy(out, p, l);
	out[l] = 0;
}

static int sm_apis_check(sm_req_ctx_t *ctx, int op, int res_type, const char *name, int log)
{
	sm_authorizer_t *a = ctx->apis->d.authorizer;
	if (!a)
		return 1;
	char host[64];
	sm_apis_host(ctx, host, sizeof(host));
	return sm_authorizer_authorize(a, ctx->req->principal, host, op, res_type,
				       res_type == SM_ACL_RES_CLUSTER ? SM_ACL_CLUSTER_NAME : name, log);
}

int sm_apis_authorized(sm_req_ctx_t *ctx, int op, int res_type, const char *name)
{
	return sm_apis_check(ctx, op, res_type, name, 1);
}

int sm_apis_authorized_quiet(sm_req_ctx_t *ctx, int op, int res_type, const char *name)
{
	return sm_apis_check(ctx, op, res_type, name, 0);
}

int sm_apis_authorized_any(sm_req_ctx_t *ctx, int op, int res_type)
{
	sm_authorizer_t *a = ctx->apis->d.authorizer;
	if (!a)
		return 1;
	char host[64];
	sm_apis_host(ctx, host, sizeof(host));
	return sm_authorizer_authorize_any(a, ctx->req->principal, host, op, res_type);
}

int32_t sm_apis_authorized_ops(sm_req_ctx_t *ctx, int res_type, const char *name)
{
	char host[64];
	sm_apis_host(ctx, host, sizeof(host));
	return sm_authorizer_ops(ctx->apis->d.authorizer, ctx->req->principal, host, res_type,
				 res_type == SM_ACL_RES_CLUSTER ? SM_ACL_CLUSTER_NAME : name);
}

/* A filter's codes are all known (Kafka refuses UNKNOWN elements). */
static int sm_acls_filter_known(int res, int pat, int op, int perm)
{
	return res > SM_ACL_RES_UNKNOWN && res <= SM_ACL_RES_DELEGATION_TOKEN &&
	       pat > SM_ACL_PAT_UNKNOWN && pat <= SM_ACL_PAT_PREFIXED && op > SM_ACL_OP_UNKNOWN &&
	       op <= SM_ACL_OP_IDEMPOTENT_WRITE && perm > SM_ACL_PERM_UNKNOWN &&
	       perm <= SM_ACL_PERM_ALLOW;
}

void sm_api_create_acls(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_create_acls_req_t req;
	if (sm_create_acls_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_create_acls_resp_t resp;
	sm_create_acls_resp_init(&resp);
	resp.results_cnt = req.creations_cnt;
	resp.results = sm_arena_alloc_array(&ctx->arena, req.creations_cnt, sizeof(*resp.results));
	if (req.creations_cnt && !resp.results) {
		sm_apis_close(ctx, "CreateAcls with %d creations is over the request budget",
			      req.creations_cnt);
		return;
	}
	/* Kafka refuses these while parsing the request, closing the
	 * connection */
	for (int i = 0; i < req.creations_cnt; i++) {
		const sm_create_acls_req_creation_t *c = &req.creations[i];
		if (!sm_acls_filter_known(c->resource_type, c->resource_pattern_type, c->operation,
					  c->permission_type)) {
			sm_apis_close(ctx, "CreateAcls creation %d contains UNKNOWN elements", i);
			return;
		}
		if (ver == 0 && c->resource_pattern_type != SM_ACL_PAT_LITERAL) {
			sm_apis_close(ctx, "CreateAcls version 0 only supports literal resource pattern types");
			return;
		}
	}
	int16_t all_err = 0;
	const char *all_msg = NULL;
	/* valid[i]: entry i still to be stored; group/members: one resource's
	 * entries at a time */
	char *valid = sm_arena_alloc_array(&ctx->arena, req.creations_cnt, 1);
	sm_acl_binding_t *group = sm_arena_alloc_array(&ctx->arena, req.creations_cnt, sizeof(*group));
	int *members = sm_arena_alloc_array(&ctx->arena, req.creations_cnt, sizeof(*members));
	if (req.creations_cnt && (!valid || !group || !members)) {
		sm_apis_close(ctx, "CreateAcls with %d creations is over the request budget",
			      req.creations_cnt);
		return;
	}
	if (valid)
		memset(valid, 0, (size_t)req.creations_cnt);
	if (!sm_apis_authorized(ctx, SM_ACL_OP_ALTER, SM_ACL_RES_CLUSTER, NULL)) {
		all_err = SM_ERR_CLUSTER_AUTHORIZATION_FAILED;
	} else if (!ctx->apis->d.authorizer) {
		all_err = SM_ERR_SECURITY_DISABLED;
		all_msg = SM_ACLS_NO_AUTHORIZER;
	} else {
		/* Kafka builds every binding first: a filter-only value (ANY,
		 * MATCH) fails the whole request with its exception */
		for (int i = 0; i < req.creations_cnt && !all_err; i++) {
			const sm_create_acls_req_creation_t *c = &req.creations[i];
			if (c->resource_type == SM_ACL_RES_ANY)
				all_msg = "resourceType must not be ANY";
			else if (c->resource_pattern_type == SM_ACL_PAT_ANY)
				all_msg = "patternType must not be ANY";
			else if (c->resource_pattern_type == SM_ACL_PAT_MATCH)
				all_msg = "patternType must not be MATCH";
			else if (c->operation == SM_ACL_OP_ANY)
				all_msg = "operation must not be ANY";
			else if (c->permission_type == SM_ACL_PERM_ANY)
				all_msg = "permissionType must not be ANY";
			if (all_msg) {
				all_err = SM_ERR_UNKNOWN_SERVER_ERROR;
				sm_apis_refused(ctx, "CreateAcls creation %d: %s", i, all_msg);
			}
		}
	}
	for (int i = 0; i < req.creations_cnt; i++) {
		sm_create_acls_req_creation_t *c = &req.creations[i];
		sm_create_acls_resp_result_t *r = &resp.results[i];
		r->error_code = all_err;
		r->error_message = (char *)all_msg;
		if (all_err)
			continue;
		const char *bad = NULL;
		if (c->resource_type == SM_ACL_RES_CLUSTER &&
			 strcmp(c->resource_name ? c->resource_name : "", SM_ACL_CLUSTER_NAME))
			bad = "The only valid name for the CLUSTER resource is " SM_ACL_CLUSTER_NAME;
		else if (!c->resource_name || !*c->resource_name)
			bad = "Invalid empty resource name";
		else if (!c->principal || !strchr(c->principal, ':') || !c->host ||
			 strchr(c->resource_name, '/') || !strcmp(c->resource_name, ".") ||
			 !strcmp(c->resource_name, ".."))
			/* Kafka's authorizer: a principal without its type does
			 * not parse; a name that is no znode name fails in
			 * ZooKeeper */
			bad = "Failed to create ACL";
		if (bad) {
			r->error_code = SM_ERR_INVALID_REQUEST;
			r->error_message = (char *)bad;
			sm_apis_refused(ctx, "CreateAcls entry %d: %s", i, bad);
			continue;
		}
		valid[i] = 1;
	}
	/* Kafka's AclAuthorizer groups a request's ACLs by resource and updates
	 * each resource once (one write, one change notification). */
	for (int i = 0; i < req.creations_cnt; i++) {
		if (!valid[i])
			continue;
		const sm_create_acls_req_creation_t *ci = &req.creations[i];
		int k = 0;
		for (int j = i; j < req.creations_cnt; j++) {
			const sm_create_acls_req_creation_t *c = &req.creations[j];
			if (!valid[j] || c->resource_type != ci->resource_type ||
			    c->resource_pattern_type != ci->resource_pattern_type ||
			    strcmp(c->resource_name, ci->resource_name))
				continue;
			valid[j] = 0;
			members[k] = j;
			group[k++] = (sm_acl_binding_t){
				.res_type = c->resource_type, .pattern = c->resource_pattern_type,
				.name = c->resource_name, .principal = c->principal, .host = c->host,
				.op = c->operation, .perm = c->permission_type,
			};
		}
		char err[256] = "";
		if (sm_acl_store_add(ctx->apis->d.zk, group, k, err, sizeof(err))) {
			for (int m = 0; m < k; m++) {
				resp.results[members[m]].error_code = SM_ERR_UNKNOWN_SERVER_ERROR;
				resp.results[members[m]].error_message = SM_ACLS_DUP(ctx, err);
			}
			sm_apis_refused(ctx, "CreateAcls entry %d: %s", i, err);
			continue;
		}
		sm_authorizer_refresh(ctx->apis->d.authorizer, group[0].pattern, group[0].res_type,
				      group[0].name);
		for (int m = 0; m < k; m++) {
			const sm_acl_binding_t *b = &group[m];
			sm_log_info(NULL, "kafka.security.authorizer.AclAuthorizer",
				    "Added ACL (principal=%s, host=%s, operation=%s, permissionType=%s) for "
				    "ResourcePattern(resourceType=%s, name=%s, patternType=%s) from %s (%s)",
				    b->principal, b->host, sm_acl_op_enum(b->op), sm_acl_perm_enum(b->perm),
				    sm_acl_res_enum(b->res_type), b->name, sm_acl_pat_enum(b->pattern),
				    ctx->req->peer, ctx->req->principal);
		}
	}
	sm_create_acls_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}

/* Orders bindings by resource pattern only. */
static int sm_acls_binding_cmp(const void *x, const void *y)
{
	const sm_acl_binding_t *a = x, *b = y;
	if (a->res_type != b->res_type)
		return a->res_type - b->res_type;
	if (a->pattern != b->pattern)
		return a->pattern - b->pattern;
	return strcmp(a->name, b->name);
}

void sm_api_describe_acls(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_describe_acls_req_t req;
	if (sm_describe_acls_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_describe_acls_resp_t resp;
	sm_describe_acls_resp_init(&resp);
	sm_acl_binding_t *found = NULL;
	int n = 0;
	/* Kafka refuses these while parsing, closing the connection */
	if (!sm_acls_filter_known(req.resource_type_filter, req.pattern_type_filter, req.operation,
				  req.permission_type) ||
	    (ver == 0 && req.pattern_type_filter != SM_ACL_PAT_LITERAL)) {
		sm_apis_close(ctx, "DescribeAcls filter contains UNKNOWN elements or a pattern type "
			      "version %d cannot carry", ver);
		return;
	}
	if (!sm_apis_authorized(ctx, SM_ACL_OP_DESCRIBE, SM_ACL_RES_CLUSTER, NULL)) {
		resp.error_code = SM_ERR_CLUSTER_AUTHORIZATION_FAILED;
	} else if (!ctx->apis->d.authorizer) {
		resp.error_code = SM_ERR_SECURITY_DISABLED;
		resp.error_message = SM_ACLS_NO_AUTHORIZER;
	} else {
		sm_acl_binding_t f = {
			.res_type = req.resource_type_filter, .pattern = req.pattern_type_filter,
			.name = req.resource_name_filter, .principal = req.principal_filter,
			.host = req.host_filter, .op = req.operation, .perm = req.permission_type,
		};
		n = sm_authorizer_describe(ctx->apis->d.authorizer, &f, &found);
		/* grouped by resource pattern: sorted so each group is a run */
		if (n > 1)
			qsort(found, (size_t)n, sizeof(*found), sm_acls_binding_cmp);
		int groups = 0;
		for (int i = 0; i < n; i++)
			groups += !i || sm_acls_binding_cmp(&found[i - 1], &found[i]);
		resp.resources = sm_arena_alloc_array(&ctx->arena, groups, sizeof(*resp.resources));
		sm_describe_acls_resp_acl_t *acls =
			sm_arena_alloc_array(&ctx->arena, n, sizeof(*acls));
		if (!resp.resources || !acls) {
			resp.error_code = SM_ERR_UNKNOWN_SERVER_ERROR;
			resp.error_message = "Too many ACLs to describe";
			resp.resources = NULL;
			n = 0;
		}
		sm_describe_acls_resp_resource_t *r = NULL;
		for (int i = 0; i < n; i++) {
			if (!i || sm_acls_binding_cmp(&found[i - 1], &found[i])) {
				r = &resp.resources[resp.resources_cnt++];
				sm_describe_acls_resp_resource_init(r);
				r->resource_type = found[i].res_type;
				r->pattern_type = found[i].pattern;
				r->resource_name = SM_ACLS_DUP(ctx, found[i].name);
				r->acls = &acls[i];
			}
			sm_describe_acls_resp_acl_t *acl = &r->acls[r->acls_cnt++];
			acl->principal = SM_ACLS_DUP(ctx, found[i].principal);
			acl->host = SM_ACLS_DUP(ctx, found[i].host);
			acl->operation = found[i].op;
			acl->permission_type = found[i].perm;
		}
	}
	sm_describe_acls_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_acl_bindings_free(found, n);
	sm_apis_resp_send(ctx);
}

void sm_api_delete_acls(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_delete_acls_req_t req;
	if (sm_delete_acls_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_delete_acls_resp_t resp;
	sm_delete_acls_resp_init(&resp);
	resp.filter_results_cnt = req.filters_cnt;
	resp.filter_results = sm_arena_alloc_array(&ctx->arena, req.filters_cnt,
						   sizeof(*resp.filter_results));
	if (req.filters_cnt && !resp.filter_results) {
		sm_apis_close(ctx, "DeleteAcls with %d filters is over the request budget",
			      req.filters_cnt);
		return;
	}
	/* Kafka refuses these while parsing, closing the connection */
	for (int i = 0; i < req.filters_cnt; i++) {
		const sm_delete_acls_req_filter_t *q = &req.filters[i];
		if (!sm_acls_filter_known(q->resource_type_filter, q->pattern_type_filter,
					  q->operation, q->permission_type) ||
		    (ver == 0 && q->pattern_type_filter != SM_ACL_PAT_LITERAL)) {
			sm_apis_close(ctx, "DeleteAcls filter %d contains UNKNOWN elements or a "
				      "pattern type version %d cannot carry", i, ver);
			return;
		}
	}
	int16_t all_err = 0;
	const char *all_msg = NULL;
	if (!sm_apis_authorized(ctx, SM_ACL_OP_ALTER, SM_ACL_RES_CLUSTER, NULL)) {
		all_err = SM_ERR_CLUSTER_AUTHORIZATION_FAILED;
	} else if (!ctx->apis->d.authorizer) {
		all_err = SM_ERR_SECURITY_DISABLED;
		all_msg = SM_ACLS_NO_AUTHORIZER;
	}
	for (int i = 0; i < req.filters_cnt; i++) {
		sm_delete_acls_req_filter_t *q = &req.filters[i];
		sm_delete_acls_resp_filter_result_t *r = &resp.filter_results[i];
		sm_delete_acls_resp_filter_result_init(r);
		r->error_code = all_err;
		r->error_message = (char *)all_msg;
		if (all_err)
			continue;
		sm_acl_binding_t f = {
			.res_type = q->resource_type_filter, .pattern = q->pattern_type_filter,
			.name = q->resource_name_filter, .principal = q->principal_filter,
			.host = q->host_filter, .op = q->operation, .perm = q->permission_type,
		};
		sm_acl_binding_t *gone = NULL;
		int n = 0;
		char err[256] = "";
		/* the cache says which resources to look at (Kafka too) */
		sm_acl_resource_t *cand;
		int ncand = sm_authorizer_patterns(ctx->apis->d.authorizer, &f, &cand);
		sm_err_t e = sm_acl_store_remove(ctx->apis->d.zk, &f, cand, ncand, &gone, &n, err,
						 sizeof(err));
		sm_acl_resources_free(cand, ncand);
		if (e) {
			r->error_code = SM_ERR_UNKNOWN_SERVER_ERROR;
			r->error_message = SM_ACLS_DUP(ctx, err);
			sm_apis_refused(ctx, "DeleteAcls filter %d: %s", i, err);
		}
		r->matching_acls = sm_arena_alloc_array(&ctx->arena, n, sizeof(*r->matching_acls));
		for (int k = 0; k < n && r->matching_acls; k++) {
			sm_delete_acls_resp_matching_acl_t *m = &r->matching_acls[r->matching_acls_cnt++];
			sm_delete_acls_resp_matching_acl_init(m);
			m->resource_type = gone[k].res_type;
			m->resource_name = SM_ACLS_DUP(ctx, gone[k].name);
			m->pattern_type = gone[k].pattern;
			m->principal = SM_ACLS_DUP(ctx, gone[k].principal);
			m->host = SM_ACLS_DUP(ctx, gone[k].host);
			m->operation = gone[k].op;
			m->permission_type = gone[k].perm;
			sm_authorizer_refresh(ctx->apis->d.authorizer, gone[k].pattern,
					      gone[k].res_type, gone[k].name);
		}
		sm_acl_bindings_free(gone, n);
	}
	sm_delete_acls_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}
