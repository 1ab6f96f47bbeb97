/*
 * api_client_quotas.c - DescribeClientQuotas (48) and AlterClientQuotas
 * (49), as Kafka 2.8's ZkAdminManager serves them: quotas live in
 * /config/users/<user>, /config/clients/<client-id> and
 * /config/users/<user>/clients/<client-id> (sanitized names, "<default>"
 * for the default entity), next to users' SCRAM credentials, which an
 * alteration keeps. A change is written with its /config/changes
 * notification, so every broker (config_manager.c) applies it.
 *
 * IP entities (KIP-612) live in /config/ips/<ip> (sanitized, as Kafka's
 * ZkAdminManager writes them; "<default>" for the default), hold only
 * connection_creation_rate, and are never combined with a user or client
 * id; a filter without any component describes them along with the rest.
 *
 * Client-visible errors follow Kafka: a bad filter or alteration is
 * INVALID_REQUEST with Kafka's message, an unknown entity type in a filter
 * UNSUPPORTED_VERSION.
 */
#include "kafka_apis_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connection_quotas.h"
#include "kafka_zk.h"
#include "log_config.h"
#include "logger.h"
#include "msg_alter_client_quotas.h"
#include "msg_describe_client_quotas.h"
#include "sasl.h"

#define SM_CQ_USER "user"
#define SM_CQ_CLIENT "client-id"
#define SM_CQ_IP "ip"
#define SM_CQ_DEFAULT "<default>"

/* QuotaConfigs: the quota keys and whether each is a LONG (else DOUBLE). */
static const struct {
	const char *key;
	int is_long;
} sm_cq_keys[] = {
	{ "producer_byte_rate", 1 },
	{ "consumer_byte_rate", 1 },
	{ "request_percentage", 0 },
	{ "controller_mutation_rate", 0 },
};
#define SM_CQ_NKEYS ((int)(sizeof(sm_cq_keys) / sizeof(sm_cq_keys[0])))

/* DynamicConfig.Ip: the one key of an ip entity, an INT. */
#define SM_CQ_IP_KEY "connection_creation_rate"

static int sm_cq_key(const char *k)
{
	for (int i = 0; i < SM_CQ_NKEYS; i++)
		if (!strcmp(k, sm_cq_keys[i].key))
			return i;
	return -1;
}

/* ---- DescribeClientQuotas ---- */

/* One filter component: absent, or matching an exact name, the default
 * entity, or any named entity (Kafka's ClientQuotaFilterComponent). */
typedef struct {
	int present;
	int kind; /* 0 exact, 1 default, 2 any specified */
	const char *name;
} sm_cq_filter_t;

/* Kafka's matches(): name is the entity's desanitized name ("<default>"
 * for the default entity) or NULL when the entity has no such part. */
static int sm_cq_matches(const sm_cq_filter_t *f, const char *name, int strict)
{
	if (!f->present)
		return !name || !strict;
	if (f->kind == 2)
		return name != NULL;
	if (f->kind == 1)
		return name && !strcmp(name, SM_CQ_DEFAULT);
	return name && !strcmp(name, f->name);
}

typedef struct {
	sm_req_ctx_t *ctx;
	sm_describe_client_quotas_resp_t *resp;
	int cap;
	const sm_cq_filter_t *user, *client;
	int strict;
	int failed;
} sm_cq_desc_t;

/* The name of an entity part as the response carries it: desanitized,
 * NULL for the default. */
static char *sm_cq_out_name(sm_arena_t *a, const char *sanitized)
{
	if (!strcmp(sanitized, SM_CQ_DEFAULT))
		return NULL;
	char *d = sm_sasl_desanitize(sanitized);
	char *r = sm_arena_strndup(a, d, strlen(d));
	free(d);
	return r;
}

/* A new, initialised response entry (the array grows in the arena), or
 * NULL with d->failed set. */
static sm_describe_client_quotas_resp_entry_t *sm_cq_desc_entry(sm_cq_desc_t *d)
{
	if (d->resp->entries_cnt == d->cap) {
		int ncap = d->cap ? d->cap * 2 : 16;
		sm_describe_client_quotas_resp_entry_t *n =
			sm_arena_alloc_array(&d->ctx->arena, ncap, sizeof(*n));
		if (!n) {
			d->failed = 1;
			return NULL;
		}
		if (d->cap)
			memcpy(n, d->resp->entries, sizeof(*n) * (size_t)d->cap);
		d->resp->entries = n;
		d->cap = ncap;
	}
	sm_describe_client_quotas_resp_entry_t *e = &d->resp->entries[d->resp->entries_cnt++];
	sm_describe_client_quotas_resp_entry_init(e);
	return e;
}

/* Reads /config/<type>/<path> and adds an entry for (user, client)
 * (sanitized names or NULL) if it holds quotas and matches the filter. */
static void sm_cq_desc_add(sm_cq_desc_t *d, const char *type, const char *path, const char *user,
			   const char *client)
{
	if (d->failed)
		return;
	sm_arena_t *a = &d->ctx->arena;
	char *du = user ? sm_sasl_desanitize(user) : NULL;
	char *dc = client ? sm_sasl_desanitize(client) : NULL;
	int ok = sm_cq_matches(d->user, du, d->strict) && sm_cq_matches(d->client, dc, d->strict);
	free(du);
	free(dc);
	if (!ok)
		return;
	sm_zk_config_t cfg = { 0 };
	if (sm_kzk_get_entity_config(d->ctx->apis->d.zk, type, path, &cfg) != SM_ERR_NONE) {
		d->failed = 1;
		return;
	}
	int nq = 0;
	for (int i = 0; i < cfg.n; i++)
		nq += sm_cq_key(cfg.keys[i]) >= 0;
	if (nq == 0) {
		sm_zk_config_clear(&cfg);
		return;
	}
	sm_describe_client_quotas_resp_entry_t *e = sm_cq_desc_entry(d);
	if (!e) {
		sm_zk_config_clear(&cfg);
		return;
	}
	e->entity = sm_arena_alloc(a, sizeof(*e->entity) * 2);
	if (user) {
		e->entity[e->entity_cnt].entity_type = SM_CQ_USER;
		e->entity[e->entity_cnt++].entity_name = sm_cq_out_name(a, user);
	}
	if (client) {
		e->entity[e->entity_cnt].entity_type = SM_CQ_CLIENT;
		e->entity[e->entity_cnt++].entity_name = sm_cq_out_name(a, client);
	}
	e->values = sm_arena_alloc(a, sizeof(*e->values) * (size_t)nq);
	for (int i = 0; i < cfg.n; i++) {
		int k = sm_cq_key(cfg.keys[i]);
		if (k < 0)
			continue;
		e->values[e->values_cnt].key = (char *)sm_cq_keys[k].key;
		e->values[e->values_cnt++].value = strtod(cfg.values[i], NULL);
	}
	sm_zk_config_clear(&cfg);
}

/* Every /config/<type> child (sanitized names). */
static int sm_cq_children(sm_zk_t *zk, const char *path, char ***kids, int *n)
{
	*kids = NULL;
	*n = 0;
	sm_err_t e = sm_zk_get_children(zk, path, 0, kids, n);
	return e && e != SM_ERR__NOENT ? -1 : 0;
}

static void sm_cq_desc_users(sm_cq_desc_t *d)
{
	char **kids;
	int n;
	if (sm_cq_children(d->ctx->apis->d.zk, "/config/users", &kids, &n)) {
		d->failed = 1;
		return;
	}
	for (int i = 0; i < n; i++)
		sm_cq_desc_add(d, "users", kids[i], kids[i], NULL);
	sm_zk_strings_free(kids, n);
}

static void sm_cq_desc_clients(sm_cq_desc_t *d)
{
	char **kids;
	int n;
	if (sm_cq_children(d->ctx->apis->d.zk, "/config/clients", &kids, &n)) {
		d->failed = 1;
		return;
	}
	for (int i = 0; i < n; i++)
		sm_cq_desc_add(d, "clients", kids[i], NULL, kids[i]);
	sm_zk_strings_free(kids, n);
}

static void sm_cq_desc_both(sm_cq_desc_t *d)
{
	char **users, **kids, path[1024];
	int nu, n;
	sm_zk_t *zk = d->ctx->apis->d.zk;
	if (sm_cq_children(zk, "/config/users", &users, &nu)) {
		d->failed = 1;
		return;
	}
	for (int i = 0; i < nu && !d->failed; i++) {
		snprintf(path, sizeof(path), "/config/users/%s/clients", users[i]);
		if (sm_cq_children(zk, path, &kids, &n)) {
			d->failed = 1;
			break;
		}
		for (int j = 0; j < n; j++) {
			snprintf(path, sizeof(path), "%s/clients/%s", users[i], kids[j]);
			sm_cq_desc_add(d, "users", path, users[i], kids[j]);
		}
		sm_zk_strings_free(kids, n);
	}
	sm_zk_strings_free(users, nu);
}

/* The znode name of a filter's exact or default match. */
static char *sm_cq_filter_sanitized(const sm_cq_filter_t *f)
{
	return f->kind == 1 ? sm_strdup(SM_CQ_DEFAULT) : sm_sasl_sanitize(f->name);
}

/* Adds the entry of /config/ips/<sanitized> if it holds the ip quota;
 * name is the entity name the response carries (NULL: the default). */
static void sm_cq_desc_ip(sm_cq_desc_t *d, const char *sanitized, const char *name)
{
	if (d->failed)
		return;
	sm_arena_t *a = &d->ctx->arena;
	sm_zk_config_t cfg = { 0 };
	if (sm_kzk_get_entity_config(d->ctx->apis->d.zk, "ips", sanitized, &cfg) != SM_ERR_NONE) {
		d->failed = 1;
		return;
	}
	const char *v = sm_zk_config_get(&cfg, SM_CQ_IP_KEY);
	if (!v) {
		sm_zk_config_clear(&cfg);
		return;
	}
	sm_describe_client_quotas_resp_entry_t *e = sm_cq_desc_entry(d);
	if (!e) {
		sm_zk_config_clear(&cfg);
		return;
	}
	e->entity = sm_arena_alloc(a, sizeof(*e->entity));
	e->entity[0].entity_type = SM_CQ_IP;
	e->entity[0].entity_name = name ? sm_arena_strndup(a, name, strlen(name)) : NULL;
	e->entity_cnt = 1;
	e->values = sm_arena_alloc(a, sizeof(*e->values));
	e->values[0].key = SM_CQ_IP_KEY;
	e->values[0].value = strtod(v, NULL);
	e->values_cnt = 1;
	sm_zk_config_clear(&cfg);
}

/* Kafka's handleDescribeIpQuotas: an exact or default component reads that
 * entity; "any" (or no component, unless strict) reads them all, the
 * default included. */
static void sm_cq_desc_ips(sm_cq_desc_t *d, const sm_cq_filter_t *ip, int strict)
{
	if (ip->present && ip->kind != 2) {
		char *san = sm_cq_filter_sanitized(ip);
		sm_cq_desc_ip(d, san, ip->kind == 1 ? NULL : ip->name);
		free(san);
		return;
	}
	if (!ip->present && strict)
		return;
	char **kids;
	int n;
	if (sm_cq_children(d->ctx->apis->d.zk, "/config/ips", &kids, &n)) {
		d->failed = 1;
		return;
	}
	for (int i = 0; i < n && !d->failed; i++) {
		if (!strcmp(kids[i], SM_CQ_DEFAULT)) {
			sm_cq_desc_ip(d, kids[i], NULL);
		} else {
			char *name = sm_sasl_desanitize(kids[i]);
			sm_cq_desc_ip(d, kids[i], name);
			free(name);
		}
	}
	sm_zk_strings_free(kids, n);
}

void sm_api_describe_client_quotas(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_describe_client_quotas_req_t req;
	if (sm_describe_client_quotas_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_describe_client_quotas_resp_t resp;
	sm_describe_client_quotas_resp_init(&resp);
	sm_cq_filter_t user = { 0 }, client = { 0 }, ip = { 0 };
	const char *msg = NULL;
	char buf[512];
	if (!sm_apis_authorized(ctx, SM_ACL_OP_DESCRIBE_CONFIGS, SM_ACL_RES_CLUSTER, NULL)) {
		resp.error_code = SM_ERR_CLUSTER_AUTHORIZATION_FAILED;
		goto send;
	}
	if (!ctx->apis->d.zk) {
		resp.error_code = SM_ERR_UNKNOWN_SERVER_ERROR;
		goto send;
	}
	for (int i = 0; i < req.components_cnt && !resp.error_code; i++) {
		const sm_describe_client_quotas_req_component_t *c = &req.components[i];
		sm_cq_filter_t *f = NULL;
		if (c->match_type < 0 || c->match_type > 2) {
			snprintf(buf, sizeof(buf), "Unexpected match type: %d", c->match_type);
			resp.error_code = SM_ERR_UNKNOWN_SERVER_ERROR;
			msg = buf;
		} else if (c->match_type == 0 && !c->match) {
			resp.error_code = SM_ERR_UNKNOWN_SERVER_ERROR;
		} else if (!strcmp(c->entity_type, SM_CQ_USER)) {
			f = &user;
			msg = "Duplicate user filter component entity type";
		} else if (!strcmp(c->entity_type, SM_CQ_CLIENT)) {
			f = &client;
			msg = "Duplicate client filter component entity type";
		} else if (!strcmp(c->entity_type, SM_CQ_IP)) {
			f = &ip;
			msg = "Duplicate ip filter component entity type";
		} else if (!*c->entity_type) {
			resp.error_code = SM_ERR_INVALID_REQUEST;
			msg = "Unexpected empty filter component entity type";
		} else {
			snprintf(buf, sizeof(buf), "Custom entity type '%.400s' not supported",
				 c->entity_type);
			resp.error_code = SM_ERR_UNSUPPORTED_VERSION;
			msg = buf;
		}
		if (!f)
			continue;
		if (f->present) {
			resp.error_code = SM_ERR_INVALID_REQUEST;
			continue;
		}
		msg = NULL;
		f->present = 1;
		f->kind = c->match_type;
		f->name = c->match;
	}
	if (!resp.error_code && ip.present && (user.present || client.present)) {
		resp.error_code = SM_ERR_INVALID_REQUEST;
		msg = "Invalid entity filter component combination, IP filter component should not be "
		      "used with user or clientId filter component.";
	}
	if (resp.error_code)
		goto send;
	resp.error_message = NULL;
	resp.entries = sm_arena_alloc(&ctx->arena, sizeof(*resp.entries));
	sm_cq_desc_t d = { .ctx = ctx, .resp = &resp, .user = &user, .client = &client,
			   .strict = req.strict };
	if (!user.present && !client.present)
		sm_cq_desc_ips(&d, &ip, req.strict);
	if (ip.present)
		goto done;
	/* Kafka's handleDescribeClientQuotas: which znodes can match. */
	int exact_user = user.present && user.kind != 2, exact_client = client.present && client.kind != 2;
	int excl_user = req.strict && !user.present, excl_client = req.strict && !client.present;
	char *su = exact_user ? sm_cq_filter_sanitized(&user) : NULL;
	char *sc = exact_client ? sm_cq_filter_sanitized(&client) : NULL;
	if (exact_user && excl_client)
		sm_cq_desc_add(&d, "users", su, su, NULL);
	else if (!excl_user && !exact_client)
		sm_cq_desc_users(&d);
	if (excl_user && exact_client)
		sm_cq_desc_add(&d, "clients", sc, NULL, sc);
	else if (!excl_client && !exact_user)
		sm_cq_desc_clients(&d);
	if (exact_user && exact_client) {
		size_t l = strlen(su) + strlen(sc) + 10;
		char *p = sm_malloc(l);
		snprintf(p, l, "%s/clients/%s", su, sc);
		sm_cq_desc_add(&d, "users", p, su, sc);
		free(p);
	} else if (!excl_user && !excl_client) {
		sm_cq_desc_both(&d);
	}
	free(su);
	free(sc);
done:
	if (d.failed) {
		resp.error_code = SM_ERR_UNKNOWN_SERVER_ERROR;
		resp.entries = NULL;
		resp.entries_cnt = 0;
	}
send:
	if (resp.error_code) {
		/* Kafka answers a null entries array with an error */
		resp.error_message = (char *)msg;
		resp.entries = NULL;
		resp.entries_cnt = -1;
		sm_apis_refused(ctx, "DescribeClientQuotas answered %s%s%s", sm_err_name(resp.error_code),
				msg ? ": " : "", msg ? msg : "");
	}
	sm_describe_client_quotas_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}

/* ---- AlterClientQuotas ---- */

/* An ip entity (name NULL: the default): only connection_creation_rate, an
 * INT, in /config/ips/<sanitized ip> (Kafka's alterEntityQuotas and
 * AdminZkClient.changeIpConfig). */
static int16_t sm_cq_alter_ip(sm_req_ctx_t *ctx, const char *ip,
			      const sm_alter_client_quotas_req_entry_t *en, int validate_only,
			      char *msg, size_t msglen)
{
	char *san = ip ? sm_sasl_sanitize(ip) : sm_strdup(SM_CQ_DEFAULT);
	char addr[64];
	int16_t err = 0;
	sm_zk_config_t cfg = { 0 };
	/* Kafka checks the sanitized name: an IPv6 address ("%3A%3A1") is
	 * refused as it is there */
	if (ip && sm_ip_entity_address(san, 1, addr, sizeof(addr))) {
		snprintf(msg, msglen, "%.300s is not a valid IP or resolvable host.", san);
		err = SM_ERR_INVALID_REQUEST;
		goto out;
	}
	if (sm_kzk_get_entity_config(ctx->apis->d.zk, "ips", san, &cfg) != SM_ERR_NONE) {
		snprintf(msg, msglen, "Could not read the quotas of ips/%.300s", san);
		err = SM_ERR_UNKNOWN_SERVER_ERROR;
		goto out;
	}
	for (int i = 0; i < en->ops_cnt && !err; i++) {
		const sm_alter_client_quotas_req_op_t *op = &en->ops[i];
		if (op->remove) {
			sm_zk_config_remove(&cfg, op->key);
			continue;
		}
		if (strcmp(op->key, SM_CQ_IP_KEY)) {
			snprintf(msg, msglen, "Invalid configuration key %.400s", op->key);
			err = SM_ERR_INVALID_REQUEST;
			break;
		}
		/* Scala's (value + epsilon).toInt: NaN is 0, the rest saturates */
		const double eps = 1e-6;
		double t = op->value + eps;
		long long iv = isnan(t) ? 0 : t >= 2147483647.0 ? 2147483647LL
				  : t <= -2147483648.0 ? -2147483648LL : (long long)t;
		if (!(fabs((double)iv - op->value) <= eps)) {
			snprintf(msg, msglen, "Configuration %s must be a INT value", op->key);
			err = SM_ERR_INVALID_REQUEST;
			break;
		}
		char val[32];
		snprintf(val, sizeof(val), "%lld", iv);
		sm_zk_config_set(&cfg, op->key, val);
	}
	if (err || validate_only)
		goto out;
	/* DynamicConfig.Ip.validate, as changeIpConfig runs it before writing */
	const char *v = sm_zk_config_get(&cfg, SM_CQ_IP_KEY);
	for (int j = 0; j < cfg.n; j++) {
		if (strcmp(cfg.keys[j], SM_CQ_IP_KEY)) {
			snprintf(msg, msglen, "requirement failed: Unknown Dynamic Configuration: "
				 "Set(%.300s).", cfg.keys[j]);
			err = SM_ERR_UNKNOWN_SERVER_ERROR;
			goto out;
		}
	}
	if (v && v[0] == '-') {
		snprintf(msg, msglen, "Invalid value %.40s for configuration %s: Value must be at "
			 "least 0", v, SM_CQ_IP_KEY);
		err = SM_ERR_UNKNOWN_SERVER_ERROR;
		goto out;
	}
	if (sm_kzk_set_entity_config(ctx->apis->d.zk, "ips", san, &cfg) != SM_ERR_NONE) {
		snprintf(msg, msglen, "Could not write the quotas of ips/%.300s", san);
		err = SM_ERR_UNKNOWN_SERVER_ERROR;
	}
out:
	sm_zk_config_clear(&cfg);
	free(san);
	return err;
}

/* Applies one entry; returns the error code and sets *msg. */
static int16_t sm_cq_alter_one(sm_req_ctx_t *ctx, const sm_alter_client_quotas_req_entry_t *en,
			       int validate_only, char *msg, size_t msglen)
{
	const char *user = NULL, *client = NULL, *ip = NULL;
	int has_user = 0, has_client = 0, has_ip = 0;
	if (en->entity_cnt == 0) {
		snprintf(msg, msglen, "Invalid empty client quota entity");
		return SM_ERR_INVALID_REQUEST;
	}
	for (int i = 0; i < en->entity_cnt; i++) {
		const sm_alter_client_quotas_req_entity_t *e = &en->entity[i];
		if (!strcmp(e->entity_type, SM_CQ_USER)) {
			has_user = 1;
			user = e->entity_name;
		} else if (!strcmp(e->entity_type, SM_CQ_CLIENT)) {
			has_client = 1;
			client = e->entity_name;
		} else if (!strcmp(e->entity_type, SM_CQ_IP)) {
			has_ip = 1;
			ip = e->entity_name;
		} else {
			snprintf(msg, msglen, "Unhandled client quota entity type: %.400s",
				 e->entity_type);
			return SM_ERR_INVALID_REQUEST;
		}
		if (e->entity_name && !*e->entity_name) {
			snprintf(msg, msglen, "Empty %s not supported", e->entity_type);
			return SM_ERR_INVALID_REQUEST;
		}
	}
	if (has_ip && (has_user || has_client)) {
		snprintf(msg, msglen, "Invalid quota entity combination, IP entity should not be "
			 "used with user/client ID entity.");
		return SM_ERR_INVALID_REQUEST;
	}
	if (has_ip)
		return sm_cq_alter_ip(ctx, ip, en, validate_only, msg, msglen);
	char *su = has_user ? (user ? sm_sasl_sanitize(user) : sm_strdup(SM_CQ_DEFAULT)) : NULL;
	char *sc = has_client ? (client ? sm_sasl_sanitize(client) : sm_strdup(SM_CQ_DEFAULT)) : NULL;
	char *path;
	if (su && sc) {
		size_t l = strlen(su) + strlen(sc) + 10;
		path = sm_malloc(l);
		snprintf(path, l, "%s/clients/%s", su, sc);
	} else {
		path = sm_strdup(su ? su : sc);
	}
	const char *type = su ? "users" : "clients";
	/* a user alone may also hold SCRAM credentials (DynamicConfig.User) */
	int user_alone = su && !sc;
	int16_t err = 0;
	sm_zk_config_t cfg = { 0 };
	if (sm_kzk_get_entity_config(ctx->apis->d.zk, type, path, &cfg) != SM_ERR_NONE) {
		snprintf(msg, msglen, "Could not read the quotas of %s/%s", type, path);
		err = SM_ERR_UNKNOWN_SERVER_ERROR;
		goto out;
	}
	for (int i = 0; i < en->ops_cnt && !err; i++) {
		const sm_alter_client_quotas_req_op_t *op = &en->ops[i];
		int k = sm_cq_key(op->key);
		int scram = user_alone && (sm_sasl_mech_from_name(op->key) == SM_SASL_SCRAM_SHA_256 ||
					   sm_sasl_mech_from_name(op->key) == SM_SASL_SCRAM_SHA_512);
		if (op->remove) {
			/* Kafka removes whatever key is named */
			sm_zk_config_remove(&cfg, op->key);
			continue;
		}
		if (scram) {
			snprintf(msg, msglen, "Unexpected config type STRING");
			err = SM_ERR_UNKNOWN_SERVER_ERROR;
			break;
		}
		if (k < 0) {
			snprintf(msg, msglen, "Invalid configuration key %.400s", op->key);
			err = SM_ERR_INVALID_REQUEST;
			break;
		}
		char val[64];
		if (!isfinite(op->value)) {
			snprintf(msg, msglen, "Configuration %s must be a %s value", op->key,
				 sm_cq_keys[k].is_long ? "LONG" : "DOUBLE");
			err = SM_ERR_INVALID_REQUEST;
			break;
		}
		if (sm_cq_keys[k].is_long) {
			const double eps = 1e-6;
			double t = op->value + eps;
			if (t >= 9.2e18 || t <= -9.2e18 || fabs((double)(long long)t - op->value) > eps) {
				snprintf(msg, msglen, "Configuration %s must be a LONG value", op->key);
				err = SM_ERR_INVALID_REQUEST;
				break;
			}
			snprintf(val, sizeof(val), "%lld", (long long)t);
		} else {
			sm_log_config_format_double(op->value, val, sizeof(val));
		}
		sm_zk_config_set(&cfg, op->key, val);
	}
	if (!err && !validate_only &&
	    sm_kzk_set_entity_config(ctx->apis->d.zk, type, path, &cfg) != SM_ERR_NONE) {
		snprintf(msg, msglen, "Could not write the quotas of %s/%s", type, path);
		err = SM_ERR_UNKNOWN_SERVER_ERROR;
	}
out:
	sm_zk_config_clear(&cfg);
	free(path);
	free(su);
	free(sc);
	return err;
}

void sm_api_alter_client_quotas(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_alter_client_quotas_req_t req;
	if (sm_alter_client_quotas_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_alter_client_quotas_resp_t resp;
	sm_alter_client_quotas_resp_init(&resp);
	resp.entries = sm_arena_alloc_array(&ctx->arena, req.entries_cnt + 1, sizeof(*resp.entries));
	if (!resp.entries) {
		sm_apis_parse_error(ctx);
		return;
	}
	int authorized = sm_apis_authorized(ctx, SM_ACL_OP_ALTER_CONFIGS, SM_ACL_RES_CLUSTER, NULL);
	for (int i = 0; i < req.entries_cnt; i++) {
		const sm_alter_client_quotas_req_entry_t *en = &req.entries[i];
		sm_alter_client_quotas_resp_entry_t *out = &resp.entries[resp.entries_cnt++];
		sm_alter_client_quotas_resp_entry_init(out);
		out->entity = sm_arena_alloc_array(&ctx->arena, en->entity_cnt + 1, sizeof(*out->entity));
		if (!out->entity) {
			sm_apis_parse_error(ctx);
			return;
		}
		out->entity_cnt = en->entity_cnt;
		for (int j = 0; j < en->entity_cnt; j++) {
			out->entity[j].entity_type = en->entity[j].entity_type;
			out->entity[j].entity_name = en->entity[j].entity_name;
		}
		char msg[512] = "";
		if (!authorized)
			out->error_code = SM_ERR_CLUSTER_AUTHORIZATION_FAILED;
		else if (!ctx->apis->d.zk)
			out->error_code = SM_ERR_UNKNOWN_SERVER_ERROR;
		else
			out->error_code = sm_cq_alter_one(ctx, en, req.validate_only, msg, sizeof(msg));
		if (out->error_code) {
			out->error_message = *msg ? sm_arena_strndup(&ctx->arena, msg, strlen(msg)) : NULL;
			sm_apis_refused(ctx, "AlterClientQuotas entry %d answered %s%s%s", i,
					sm_err_name(out->error_code), *msg ? ": " : "", msg);
		}
	}
	sm_alter_client_quotas_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}
