/*
 * authorizer.c - Kafka's AclAuthorizer over the ACL znodes; see
 * authorizer.h.
 *
 * The cache is a flat array of resource patterns with their ACLs. Checks
 * walk it once, which keeps the matching rules in one obvious place; the
 * array holds one entry per resource pattern that has ACLs, which real
 * clusters keep in the hundreds (docs/deviations.md).
 */
#include "authorizer.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "kafka_zk.h"
#include "logger.h"
#include "thread_role.h"

#define SM_AUTH_LOGGER "kafka.security.authorizer.AclAuthorizer"
/* Decisions go to kafka-authorizer.log under this name, as in Kafka's
 * log4j.properties. */
#define SM_AUTH_DECISIONS "kafka.authorizer.logger"
#define SM_AUTH_POLL_MS 5000
#define SM_AUTH_RETRIES 10
/* Notifications older than this are deleted (Kafka's changeExpirationMs). */
#define SM_AUTH_CHANGE_EXPIRATION_MS (15 * 60 * 1000)

struct sm_authorizer {
	sm_zk_t *zk;
	int allow_if_no_acl;
	char **super_users;
	int n_super;
	pthread_rwlock_t rw;        /* res, n_res */
	sm_acl_resource_t *res;
	int n_res;
	pthread_mutex_t lock;       /* running, pending */
	pthread_cond_t cond;
	pthread_t thread;
	int started, running, pending;
	int64_t last_seq[2];        /* literal, extended (thread only) */
};

static const char *const sm_auth_classes[] = {
	"kafka.security.authorizer.AclAuthorizer",
	"kafka.security.auth.SimpleAclAuthorizer",
};

int sm_authorizer_configured(const sm_kafka_config_t *cfg, char *err, size_t errlen)
{
	const char *c = cfg->authorizer_class_name;
	if (!c || !*c)
		return 0;
	for (size_t i = 0; i < sizeof(sm_auth_classes) / sizeof(sm_auth_classes[0]); i++)
		if (!strcmp(c, sm_auth_classes[i]))
			return 1;
	snprintf(err, errlen, "authorizer.class.name %s is not supported (only %s)", c,
		 sm_auth_classes[0]);
	return -1;
}

void sm_acl_resources_free(sm_acl_resource_t *r, int n)
{
	for (int i = 0; r && i < n; i++) {
		free(r[i].name);
		sm_zk_acls_free(r[i].acls, r[i].n);
	}
	free(r);
}

void sm_acl_bindings_free(sm_acl_binding_t *b, int n)
{
	for (int i = 0; b && i < n; i++) {
		free(b[i].name);
		free(b[i].principal);
		free(b[i].host);
	}
	free(b);
}

/* ---- store ---- */

sm_err_t sm_acl_store_read(sm_zk_t *zk, int pattern, int res_type, const char *name,
			   sm_zk_acl_t **aclsp, int *np, int32_t *versionp)
{
	*aclsp = NULL;
	*np = 0;
	*versionp = -1;
	char *path = sm_zkpath_acl(pattern, res_type, name);
	if (!path)
		return SM_ERR_INVALID_REQUEST;
	char *data = NULL, err[256];
	size_t len = 0;
	sm_zk_stat_t st;
	sm_err_t e = sm_zk_get(zk, path, 0, &data, &len, &st);
	if (e == SM_ERR__NOENT) {
		e = SM_ERR_NONE;
	} else if (!e) {
		*versionp = st.version;
		if (sm_zk_acls_decode(data, len, aclsp, np, err, sizeof(err))) {
			/* Kafka fails on such a node too; here it counts as
			 * empty so one bad node does not disable the rest */
			sm_log_warn(NULL, SM_AUTH_LOGGER, "Ignoring ACLs of %s: %s", path, err);
		}
	}
	free(data);
	free(path);
	return e;
}

sm_err_t sm_acl_store_load(sm_zk_t *zk, sm_acl_resource_t **outp, int *np)
{
	static const struct {
		int pattern;
		const char *root;
	} roots[] = { { SM_ACL_PAT_LITERAL, SM_ZKPATH_ACL },
		      { SM_ACL_PAT_PREFIXED, SM_ZKPATH_ACL_PREFIXED } };
	sm_acl_resource_t *res = NULL;
	int n = 0, cap = 0;
	sm_err_t e = SM_ERR_NONE;
	for (size_t r = 0; r < 2 && !e; r++) {
		char **types = NULL;
		int nt = 0;
		e = sm_zk_get_children(zk, roots[r].root, 0, &types, &nt);
		if (e == SM_ERR__NOENT) {
			e = SM_ERR_NONE;
			continue;
		}
		for (int t = 0; t < nt && !e; t++) {
			int type = sm_acl_res_parse(types[t]);
			if (type <= SM_ACL_RES_ANY)
				continue;
			char path[512], **names = NULL;
			int nn = 0;
			snprintf(path, sizeof(path), "%s/%s", roots[r].root, types[t]);
			if (sm_zk_get_children(zk, path, 0, &names, &nn))
				continue;
			for (int i = 0; i < nn && !e; i++) {
				sm_zk_acl_t *acls;
				int na;
				int32_t ver;
				e = sm_acl_store_read(zk, roots[r].pattern, type, names[i], &acls, &na, &ver);
				if (e == SM_ERR_INVALID_REQUEST)
					e = SM_ERR_NONE;
				if (e || !na) {
					sm_zk_acls_free(acls, na);
					continue;
				}
				if (n == cap) {
					cap = cap ? cap * 2 : 16;
					res = sm_realloc(res, (size_t)cap * sizeof(*res));
				}
				res[n].pattern = (int8_t)roots[r].pattern;
				res[n].res_type = (int8_t)type;
				res[n].name = sm_strdup(names[i]);
				res[n].acls = acls;
				res[n].n = na;
				n++;
			}
			sm_zk_strings_free(names, nn);
		}
		sm_zk_strings_free(types, nt);
	}
	if (e) {
		sm_acl_resources_free(res, n);
		return e;
	}
	*outp = res;
	*np = n;
	return SM_ERR_NONE;
}

static int sm_acl_same(const sm_zk_acl_t *x, const sm_zk_acl_t *y)
{
	return x->op == y->op && x->perm == y->perm && !strcmp(x->principal, y->principal) &&
	       !strcmp(x->host, y->host);
}

/* Writes a resource's new ACL list conditionally on the version read (a
 * missing node is created, an empty list deletes it) and announces it.
 * SM_ERR__BADVERSION / __EXISTS / __NOENT mean "read again". */
static sm_err_t sm_acl_store_write(sm_zk_t *zk, int pattern, int res_type, const char *name,
				   const sm_zk_acl_t *acls, int n, int32_t version)
{
	char *path = sm_zkpath_acl(pattern, res_type, name);
	if (!path)
		return SM_ERR_INVALID_REQUEST;
	sm_err_t e;
	if (!n) {
		e = version < 0 ? SM_ERR_NONE : sm_zk_delete(zk, path, version);
	} else {
		char *json = sm_zk_acls_encode(acls, n);
		if (version < 0)
			e = sm_zk_create_recursive(zk, path, json, strlen(json), SM_ZK_PERSISTENT);
		else
			e = sm_zk_set(zk, path, json, strlen(json), version, NULL);
		free(json);
	}
	free(path);
	if (!e)
		e = sm_kzk_write_acl_change(zk, pattern, res_type, name);
	return e;
}

static int sm_acl_retry(sm_err_t e)
{
	return e == SM_ERR__BADVERSION || e == SM_ERR__EXISTS || e == SM_ERR__NOENT;
}

sm_err_t sm_acl_store_add(sm_zk_t *zk, const sm_acl_binding_t *b, int n, char *err, size_t errlen)
{
	/* All of b names b[0]'s resource: one conditional write and one change
	 * notification for the lot, as Kafka's AclAuthorizer updates each
	 * resource of a request once; nothing is written when every ACL is
	 * already there. */
	sm_err_t e = SM_ERR_NONE;
	for (int attempt = 0; n > 0 && attempt < SM_AUTH_RETRIES; attempt++) {
		sm_zk_acl_t *acls;
		int na;
		int32_t ver;
		e = sm_acl_store_read(zk, b[0].pattern, b[0].res_type, b[0].name, &acls, &na, &ver);
		if (e) {
			sm_zk_acls_free(acls, na);
			break;
		}
		int before = na;
		for (int i = 0; i < n; i++) {
			sm_zk_acl_t add = { b[i].principal, b[i].host, b[i].op, b[i].perm };
			int have = 0;
			for (int j = 0; j < na && !have; j++)
				have = sm_acl_same(&acls[j], &add);
			if (have)
				continue;
			acls = sm_realloc(acls, (size_t)(na + 1) * sizeof(*acls));
			acls[na].principal = sm_strdup(add.principal);
			acls[na].host = sm_strdup(add.host);
			acls[na].op = add.op;
			acls[na].perm = add.perm;
			na++;
		}
		if (na == before) {
			sm_zk_acls_free(acls, na);
			break;
		}
		e = sm_acl_store_write(zk, b[0].pattern, b[0].res_type, b[0].name, acls, na, ver);
		sm_zk_acls_free(acls, na);
		if (!sm_acl_retry(e))
			break;
	}
	if (e) {
		snprintf(err, errlen, "Failed to update ACLs of %s %s: %s",
			 sm_acl_res_enum(b[0].res_type), b[0].name, sm_err_name(e));
		return e;
	}
	return SM_ERR_NONE;
}

static void sm_acl_binding_push(sm_acl_binding_t **out, int *n, int *cap, int pattern,
				int res_type, const char *name, const sm_zk_acl_t *acl)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*out = sm_realloc(*out, (size_t)*cap * sizeof(**out));
	}
	sm_acl_binding_t *b = &(*out)[(*n)++];
	b->pattern = (int8_t)pattern;
	b->res_type = (int8_t)res_type;
	b->name = sm_strdup(name);
	b->principal = sm_strdup(acl->principal);
	b->host = sm_strdup(acl->host);
	b->op = acl->op;
	b->perm = acl->perm;
}

sm_err_t sm_acl_store_remove(sm_zk_t *zk, const sm_acl_binding_t *filter,
			     const sm_acl_resource_t *cand, int ncand, sm_acl_binding_t **outp,
			     int *np, char *err, size_t errlen)
{
	sm_acl_resource_t *res = NULL;
	int nres = 0, n = 0, cap = 0;
	sm_acl_binding_t *out = NULL;
	*outp = NULL;
	*np = 0;
	sm_err_t e = SM_ERR_NONE;
	if (!cand)
		e = sm_acl_store_load(zk, &res, &nres);
	else
		nres = ncand;
	for (int r = 0; !e && r < nres; r++) {
		const sm_acl_resource_t *rs = cand ? &cand[r] : &res[r];
		for (int attempt = 0; attempt < SM_AUTH_RETRIES; attempt++) {
			sm_zk_acl_t *acls;
			int na, kept = 0, first = n;
			int32_t ver;
			e = sm_acl_store_read(zk, rs->pattern, rs->res_type, rs->name, &acls, &na, &ver);
			if (e) {
				sm_zk_acls_free(acls, na);
				break;
			}
			for (int j = 0; j < na; j++) {
				if (sm_acl_filter_matches(filter, rs->pattern, rs->res_type, rs->name,
							  &acls[j])) {
					sm_acl_binding_push(&out, &n, &cap, rs->pattern, rs->res_type,
							    rs->name, &acls[j]);
					free(acls[j].principal);
					free(acls[j].host);
				} else {
					acls[kept++] = acls[j];
				}
			}
			if (kept == na) {
				sm_zk_acls_free(acls, na);
				break;
			}
			e = sm_acl_store_write(zk, rs->pattern, rs->res_type, rs->name, acls, kept, ver);
			sm_zk_acls_free(acls, kept);
			if (!sm_acl_retry(e))
				break;
			/* read again: drop what this attempt collected */
			while (n > first) {
				n--;
				free(out[n].name);
				free(out[n].principal);
				free(out[n].host);
			}
		}
		if (e)
			snprintf(err, errlen, "Failed to update ACLs of %s %s: %s",
				 sm_acl_res_enum(rs->res_type), rs->name, sm_err_name(e));
	}
	sm_acl_resources_free(res, nres);
	if (e && !*err)
		snprintf(err, errlen, "Failed to read ACLs: %s", sm_err_name(e));
	*outp = out;
	*np = n;
	return e;
}

/* ---- matching ---- */

int32_t sm_acl_valid_ops(int res_type)
{
#define B(op) (1 << SM_ACL_OP_##op)
	switch (res_type) {
	case SM_ACL_RES_TOPIC:
		return B(READ) | B(WRITE) | B(CREATE) | B(DESCRIBE) | B(DELETE) | B(ALTER) |
		       B(DESCRIBE_CONFIGS) | B(ALTER_CONFIGS);
	case SM_ACL_RES_GROUP:
		return B(READ) | B(DESCRIBE) | B(DELETE);
	case SM_ACL_RES_CLUSTER:
		return B(CREATE) | B(CLUSTER_ACTION) | B(DESCRIBE_CONFIGS) | B(ALTER_CONFIGS) |
		       B(IDEMPOTENT_WRITE) | B(ALTER) | B(DESCRIBE);
	case SM_ACL_RES_TXN_ID:
		return B(DESCRIBE) | B(WRITE);
	case SM_ACL_RES_DELEGATION_TOKEN:
		return B(DESCRIBE);
	}
	return 0;
#undef B
}

int sm_acl_filter_matches(const sm_acl_binding_t *f, int pattern, int res_type, const char *name,
			  const sm_zk_acl_t *acl)
{
	if (f->res_type != SM_ACL_RES_ANY && f->res_type != res_type)
		return 0;
	if (f->pattern != SM_ACL_PAT_ANY && f->pattern != SM_ACL_PAT_MATCH && f->pattern != pattern)
		return 0;
	if (f->name) {
		if (f->pattern == SM_ACL_PAT_ANY || f->pattern == pattern) {
			if (strcmp(f->name, name))
				return 0;
		} else if (pattern == SM_ACL_PAT_LITERAL) {
			if (strcmp(f->name, name) && strcmp(name, "*"))
				return 0;
		} else if (pattern == SM_ACL_PAT_PREFIXED) {
			if (strncmp(f->name, name, strlen(name)))
				return 0;
		} else {
			return 0;
		}
	}
	if (!acl)
		return 1;
	if (f->principal && strcmp(f->principal, acl->principal))
		return 0;
	if (f->host && strcmp(f->host, acl->host))
		return 0;
	if (f->op != SM_ACL_OP_ANY && f->op != acl->op)
		return 0;
	if (f->perm != SM_ACL_PERM_ANY && f->perm != acl->perm)
		return 0;
	return 1;
}

static int sm_auth_super(const sm_authorizer_t *a, const char *principal)
{
	for (int i = 0; i < a->n_super; i++)
		if (!strcmp(a->super_users[i], principal))
			return 1;
	return 0;
}

static int sm_auth_pattern_covers(const sm_acl_resource_t *r, int res_type, const char *name)
{
	if (r->res_type != res_type)
		return 0;
	if (r->pattern == SM_ACL_PAT_LITERAL)
		return !strcmp(r->name, name) || !strcmp(r->name, "*");
	return r->pattern == SM_ACL_PAT_PREFIXED && !strncmp(name, r->name, strlen(r->name));
}

static int sm_auth_entry_applies(const sm_zk_acl_t *acl, const char *principal, const char *host)
{
	return (!strcmp(acl->principal, principal) || !strcmp(acl->principal, "User:*")) &&
	       (!strcmp(acl->host, "*") || !strcmp(acl->host, host));
}

/* The operations whose Allow grants op (AclAuthorizer's implied ops). */
static int sm_auth_allow_grants(int acl_op, int op)
{
	if (acl_op == op || acl_op == SM_ACL_OP_ALL)
		return 1;
	if (op == SM_ACL_OP_DESCRIBE)
		return acl_op == SM_ACL_OP_READ || acl_op == SM_ACL_OP_WRITE ||
		       acl_op == SM_ACL_OP_DELETE || acl_op == SM_ACL_OP_ALTER;
	if (op == SM_ACL_OP_DESCRIBE_CONFIGS)
		return acl_op == SM_ACL_OP_ALTER_CONFIGS;
	return 0;
}

/* Caller holds a->rw (read). */
static int sm_auth_check(const sm_authorizer_t *a, const char *principal, const char *host,
			 int op, int res_type, const char *name)
{
	int any = 0, allowed = 0;
	for (int i = 0; i < a->n_res; i++) {
		const sm_acl_resource_t *r = &a->res[i];
		if (!sm_auth_pattern_covers(r, res_type, name))
			continue;
		any |= r->n > 0;
		for (int j = 0; j < r->n; j++) {
			const sm_zk_acl_t *acl = &r->acls[j];
			if (!sm_auth_entry_applies(acl, principal, host))
				continue;
			if (acl->perm == SM_ACL_PERM_DENY &&
			    (acl->op == op || acl->op == SM_ACL_OP_ALL))
				return 0;
			if (acl->perm == SM_ACL_PERM_ALLOW && sm_auth_allow_grants(acl->op, op))
				allowed = 1;
		}
	}
	return any ? allowed : a->allow_if_no_acl;
}

int sm_authorizer_authorize(sm_authorizer_t *a, const char *principal, const char *host, int op,
			    int res_type, const char *name, int log_denied)
{
	if (!a || sm_auth_super(a, principal))
		return 1;
	if (!name)
		name = "";
	pthread_rwlock_rdlock(&a->rw);
	int ok = sm_auth_check(a, principal, host, op, res_type, name);
	pthread_rwlock_unlock(&a->rw);
	if (!ok && log_denied)
		sm_log(SM_LOGFILE_AUTHORIZER, SM_LOG_INFO, NULL, SM_AUTH_DECISIONS,
			    "Principal = %s is Denied Operation = %s from host = %s on resource = %s:LITERAL:%s",
			    principal, sm_acl_op_name(op), host, sm_acl_res_name(res_type), name);
	return ok;
}

int32_t sm_authorizer_ops(sm_authorizer_t *a, const char *principal, const char *host,
			  int res_type, const char *name)
{
	int32_t valid = sm_acl_valid_ops(res_type), out = 0;
	if (!a || sm_auth_super(a, principal))
		return valid;
	pthread_rwlock_rdlock(&a->rw);
	for (int op = SM_ACL_OP_READ; op <= SM_ACL_OP_IDEMPOTENT_WRITE; op++)
		if ((valid & (1 << op)) && sm_auth_check(a, principal, host, op, res_type, name))
			out |= 1 << op;
	pthread_rwlock_unlock(&a->rw);
	return out;
}

/* An entry of r that counts for authorizeByResourceType: the principal or
 * User:*, the host or "*", the operation itself or All (no implied
 * operations), with the permission. */
static int sm_auth_entry_exact(const sm_acl_resource_t *r, const char *principal,
			       const char *host, int op, int perm)
{
	for (int j = 0; j < r->n; j++)
		if (r->acls[j].perm == perm && (r->acls[j].op == op || r->acls[j].op == SM_ACL_OP_ALL) &&
		    sm_auth_entry_applies(&r->acls[j], principal, host))
			return 1;
	return 0;
}

/* Caller holds a->rw: a prefixed deny (for the principal) that is a prefix
 * of name, or name itself (Kafka's hasDominantPrefixedDeny). */
static int sm_auth_prefix_denied(const sm_authorizer_t *a, const char *principal,
				 const char *host, int op, int res_type, const char *name)
{
	for (int i = 0; i < a->n_res; i++) {
		const sm_acl_resource_t *r = &a->res[i];
		if (r->res_type == res_type && r->pattern == SM_ACL_PAT_PREFIXED &&
		    !strncmp(name, r->name, strlen(r->name)) &&
		    sm_auth_entry_exact(r, principal, host, op, SM_ACL_PERM_DENY))
			return 1;
	}
	return 0;
}

int sm_authorizer_authorize_any(sm_authorizer_t *a, const char *principal, const char *host,
				int op, int res_type)
{
	if (!a || sm_auth_super(a, principal))
		return 1;
	int deny_all = 0, any_deny = 0, ok = 0;
	pthread_rwlock_rdlock(&a->rw);
	for (int i = 0; i < a->n_res; i++) {
		const sm_acl_resource_t *r = &a->res[i];
		if (r->res_type != res_type ||
		    !sm_auth_entry_exact(r, principal, host, op, SM_ACL_PERM_DENY))
			continue;
		any_deny = 1;
		deny_all |= r->pattern == SM_ACL_PAT_LITERAL && !strcmp(r->name, "*");
	}
	if (deny_all) {
		ok = 0;
	} else if (a->allow_if_no_acl) {
		ok = 1;
	} else {
		/* Kafka's allowAny: an allowed prefix no prefixed deny dominates,
		 * or an allowed literal neither denied as such nor under a
		 * prefixed deny (the wildcard always counts) */
		for (int i = 0; i < a->n_res && !ok; i++) {
			const sm_acl_resource_t *r = &a->res[i];
			if (r->res_type != res_type ||
			    !sm_auth_entry_exact(r, principal, host, op, SM_ACL_PERM_ALLOW))
				continue;
			if (!any_deny || (r->pattern == SM_ACL_PAT_LITERAL && !strcmp(r->name, "*"))) {
				ok = 1;
				continue;
			}
			if (sm_auth_prefix_denied(a, principal, host, op, res_type, r->name))
				continue;
			ok = 1;
			if (r->pattern == SM_ACL_PAT_LITERAL)
				for (int k = 0; k < a->n_res && ok; k++)
					if (a->res[k].res_type == res_type &&
					    a->res[k].pattern == SM_ACL_PAT_LITERAL &&
					    !strcmp(a->res[k].name, r->name) &&
					    sm_auth_entry_exact(&a->res[k], principal, host, op,
								SM_ACL_PERM_DENY))
						ok = 0;
		}
	}
	pthread_rwlock_unlock(&a->rw);
	return ok;
}

int sm_authorizer_patterns(sm_authorizer_t *a, const sm_acl_binding_t *filter,
			   sm_acl_resource_t **outp)
{
	int n = 0;
	pthread_rwlock_rdlock(&a->rw);
	sm_acl_resource_t *out = sm_calloc((size_t)a->n_res + 1, sizeof(*out));
	for (int i = 0; i < a->n_res; i++)
		if (sm_acl_filter_matches(filter, a->res[i].pattern, a->res[i].res_type,
					  a->res[i].name, NULL)) {
			out[n].pattern = a->res[i].pattern;
			out[n].res_type = a->res[i].res_type;
			out[n].name = sm_strdup(a->res[i].name);
			n++;
		}
	pthread_rwlock_unlock(&a->rw);
	*outp = out;
	return n;
}

int sm_authorizer_describe(sm_authorizer_t *a, const sm_acl_binding_t *filter,
			   sm_acl_binding_t **outp)
{
	sm_acl_binding_t *out = NULL;
	int n = 0, cap = 0;
	pthread_rwlock_rdlock(&a->rw);
	for (int i = 0; i < a->n_res; i++) {
		const sm_acl_resource_t *r = &a->res[i];
		for (int j = 0; j < r->n; j++)
			if (sm_acl_filter_matches(filter, r->pattern, r->res_type, r->name, &r->acls[j]))
				sm_acl_binding_push(&out, &n, &cap, r->pattern, r->res_type, r->name,
						    &r->acls[j]);
	}
	pthread_rwlock_unlock(&a->rw);
	*outp = out;
	return n;
}

/* ---- cache ---- */

void sm_authorizer_refresh(sm_authorizer_t *a, int pattern, int res_type, const char *name)
{
	sm_zk_acl_t *acls;
	int na;
	int32_t ver;
	if (sm_acl_store_read(a->zk, pattern, res_type, name, &acls, &na, &ver))
		return;
	pthread_rwlock_wrlock(&a->rw);
	int i;
	for (i = 0; i < a->n_res; i++)
		if (a->res[i].pattern == pattern && a->res[i].res_type == res_type &&
		    !strcmp(a->res[i].name, name))
			break;
	if (i == a->n_res && na) {
		a->res = sm_realloc(a->res, (size_t)(a->n_res + 1) * sizeof(*a->res));
		a->res[i].pattern = (int8_t)pattern;
		a->res[i].res_type = (int8_t)res_type;
		a->res[i].name = sm_strdup(name);
		a->res[i].acls = NULL;
		a->res[i].n = 0;
		a->n_res++;
	}
	if (i < a->n_res) {
		sm_zk_acls_free(a->res[i].acls, a->res[i].n);
		a->res[i].acls = acls;
		a->res[i].n = na;
		acls = NULL;
		if (!na) {
			free(a->res[i].acls);
			free(a->res[i].name);
			a->res[i] = a->res[--a->n_res];
		}
	}
	pthread_rwlock_unlock(&a->rw);
	sm_zk_acls_free(acls, 0);
	sm_log_info(NULL, SM_AUTH_LOGGER, "Processing Acl change notification for "
		    "ResourcePattern(resourceType=%s, name=%s, patternType=%s), %d ACLs",
		    sm_acl_res_enum(res_type), name, sm_acl_pat_enum(pattern), na);
}

/* Lists one change path (re-arming its watch) and applies new
 * notifications; the first pass only records where the history ends. */
static void sm_auth_process(sm_authorizer_t *a, int extended, int first)
{
	const char *dir = extended ? SM_ZKPATH_ACL_EXT_CHANGES : SM_ZKPATH_ACL_CHANGES;
	size_t plen = sizeof(SM_ZK_ACL_CHANGE_PREFIX) - 1;
	char **kids = NULL;
	int n = 0;
	if (sm_zk_get_children(a->zk, dir, 1, &kids, &n))
		return;
	int64_t now_ms = sm_clock_wall_ms();
	for (int i = 0; i < n; i++) {
		if (strncmp(kids[i], SM_ZK_ACL_CHANGE_PREFIX, plen))
			continue;
		char *end;
		long long seq = strtoll(kids[i] + plen, &end, 10);
		if (*end)
			continue;
		if (seq <= a->last_seq[extended]) {
			/* seen: purge it once expired, as Kafka's listener does
			 * (every broker tries; a lost race is harmless) */
			char path[512];
			sm_zk_stat_t st;
			snprintf(path, sizeof(path), "%s/%s", dir, kids[i]);
			if (!sm_zk_exists(a->zk, path, 0, &st) &&
			    now_ms - st.ctime > SM_AUTH_CHANGE_EXPIRATION_MS)
				(void)sm_zk_delete(a->zk, path, -1);
			continue;
		}
		a->last_seq[extended] = seq;
		if (first)
			continue;
		char path[512], err[256], *data = NULL, *name = NULL;
		size_t len = 0;
		int pattern, type;
		snprintf(path, sizeof(path), "%s/%s", dir, kids[i]);
		if (sm_zk_get(a->zk, path, 0, &data, &len, NULL)) {
			free(data);
			continue;
		}
		if (sm_zk_acl_change_decode(extended, data, len, &pattern, &type, &name, err,
					    sizeof(err)))
			sm_log_warn(NULL, SM_AUTH_LOGGER, "Ignoring malformed ACL change %s: %s", path,
				    err);
		else
			sm_authorizer_refresh(a, pattern, type, name);
		free(name);
		free(data);
	}
	sm_zk_strings_free(kids, n);
}

static void *sm_auth_main(void *arg)
{
	sm_authorizer_t *a = arg;
	pthread_setname_np(pthread_self(), "acl-change");
	sm_thread_role_set(SM_ROLE_ACL_CHANGE);
	pthread_mutex_lock(&a->lock);
	while (a->running) {
		if (!a->pending) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += SM_AUTH_POLL_MS / 1000;
			pthread_cond_timedwait(&a->cond, &a->lock, &ts);
		}
		if (!a->running)
			break;
		a->pending = 0;
		pthread_mutex_unlock(&a->lock);
		sm_auth_process(a, 0, 0);
		sm_auth_process(a, 1, 0);
		pthread_mutex_lock(&a->lock);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/* The authorizer's state without its ACLs. */
static sm_authorizer_t *sm_auth_alloc(int allow_if_no_acl, const char *super_users)
{
	sm_authorizer_t *a = sm_calloc(1, sizeof(*a));
	a->allow_if_no_acl = allow_if_no_acl;
	a->last_seq[0] = a->last_seq[1] = -1;
	pthread_rwlock_init(&a->rw, NULL);
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	/* super.users: principals separated by ';' (Kafka's format, since a
	 * principal may hold commas) */
	const char *s = super_users ? super_users : "";
	while (*s) {
		const char *semi = strchr(s, ';');
		size_t l = semi ? (size_t)(semi - s) : strlen(s);
		while (l && (*s == ' ' || *s == '\t'))
			s++, l--;
		while (l && (s[l - 1] == ' ' || s[l - 1] == '\t'))
			l--;
		if (l) {
			a->super_users = sm_realloc(a->super_users,
						    (size_t)(a->n_super + 1) * sizeof(char *));
			a->super_users[a->n_super++] = sm_strndup(s, l);
		}
		if (!semi)
			break;
		s = semi + 1;
	}
	return a;
}

sm_authorizer_t *sm_authorizer_new_static(int allow_if_no_acl, const char *super_users,
					  sm_acl_resource_t *res, int n)
{
	sm_authorizer_t *a = sm_auth_alloc(allow_if_no_acl, super_users);
	a->res = res;
	a->n_res = n;
	return a;
}

sm_authorizer_t *sm_authorizer_new(const sm_kafka_config_t *cfg, sm_zk_t *zk, char *err,
				   size_t errlen)
{
	if (sm_authorizer_configured(cfg, err, errlen) != 1)
		return NULL;
	sm_err_t e = sm_kzk_create_acl_paths(zk);
	if (e) {
		snprintf(err, errlen, "cannot create the ACL paths: %s", sm_err_name(e));
		return NULL;
	}
	/* the authorizer's own keys, as AclAuthorizer.configure reads them */
	const char *everyone = sm_props_get(&cfg->given, "allow.everyone.if.no.acl.found");
	int allow = 0;
	if (everyone && !strcasecmp(everyone, "true")) {
		allow = 1;
	} else if (everyone && strcasecmp(everyone, "false")) {
		snprintf(err, errlen, "Invalid value %s for configuration "
			 "allow.everyone.if.no.acl.found: Expected value to be either true or false",
			 everyone);
		return NULL;
	}
	sm_authorizer_t *a = sm_auth_alloc(allow, sm_props_get(&cfg->given, "super.users"));
	a->zk = zk;
	/* The change paths are listed (watches armed, history skipped) before
	 * the load, so a change made in between is seen by the thread. */
	sm_auth_process(a, 0, 1);
	sm_auth_process(a, 1, 1);
	e = sm_acl_store_load(zk, &a->res, &a->n_res);
	if (e) {
		snprintf(err, errlen, "cannot load the ACLs: %s", sm_err_name(e));
		sm_authorizer_destroy(a);
		return NULL;
	}
	sm_log_info(NULL, SM_AUTH_LOGGER, "Authorizer loaded %d resource patterns with ACLs, "
		    "%d super users, allow.everyone.if.no.acl.found=%s", a->n_res, a->n_super,
		    a->allow_if_no_acl ? "true" : "false");
	return a;
}

void sm_authorizer_startup(sm_authorizer_t *a)
{
	if (!a)
		return;
	a->running = 1;
	a->started = 1;
	pthread_create(&a->thread, NULL, sm_auth_main, a);
}

void sm_authorizer_zk_event(sm_authorizer_t *a, int type, const char *path)
{
	if (!a || type != SM_ZK_EVENT_CHILD || !path ||
	    (strcmp(path, SM_ZKPATH_ACL_CHANGES) && strcmp(path, SM_ZKPATH_ACL_EXT_CHANGES)))
		return;
	pthread_mutex_lock(&a->lock);
	a->pending = 1;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

void sm_authorizer_shutdown(sm_authorizer_t *a)
{
	if (!a || !a->started)
		return;
	pthread_mutex_lock(&a->lock);
	a->running = 0;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
	a->started = 0;
}

void sm_authorizer_destroy(sm_authorizer_t *a)
{
	if (!a)
		return;
	sm_authorizer_shutdown(a);
	sm_acl_resources_free(a->res, a->n_res);
	for (int i = 0; i < a->n_super; i++)
		free(a->super_users[i]);
	free(a->super_users);
	pthread_rwlock_destroy(&a->rw);
	pthread_cond_destroy(&a->cond);
	pthread_mutex_destroy(&a->lock);
	free(a);
}
