/*
 * api_sasl.c - SaslHandshake (versions 0-1) and SaslAuthenticate (0-2) as
 * request handlers see them (Kafka's KafkaApis.handleSaslHandshakeRequest
 * and handleSaslAuthenticateRequest).
 *
 * The exchange itself runs on the processor before a SASL connection is
 * authenticated (socket_server.c, sasl.c); a request that reaches a handler
 * comes from a connection that is already authenticated or from a listener
 * without SASL, and Kafka answers it ILLEGAL_SASL_STATE.
 *
 * Also DescribeUserScramCredentials and AlterUserScramCredentials (version
 * 0), on the credentials in /config/users as Kafka's ZkAdminManager keeps
 * them; an alteration is written with its change notification, so every
 * broker's credential store picks it up, and only the active controller
 * accepts it (NOT_CONTROLLER elsewhere), as in Kafka 2.8.
 *
 * Thread-safety: runs on request handler threads.
 */
#include "kafka_apis_int.h"

#include <stdlib.h>
#include <string.h>

#include "controller.h"
#include "kafka_zk.h"
#include "logger.h"
#include "msg_alter_user_scram_credentials.h"
#include "msg_describe_user_scram_credentials.h"
#include "msg_sasl_authenticate.h"
#include "msg_sasl_handshake.h"
#include "sasl.h"

void sm_api_sasl_handshake(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_sasl_handshake_req_t req;
	if (sm_sasl_handshake_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_sasl_handshake_resp_t resp;
	sm_sasl_handshake_resp_init(&resp);
	resp.error_code = SM_ERR_ILLEGAL_SASL_STATE;
	sm_apis_refused(ctx, "SaslHandshake (mechanism %.64s) on an authenticated or non-SASL "
			"connection", req.mechanism ? req.mechanism : "null");
	sm_sasl_handshake_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}

void sm_api_sasl_authenticate(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_sasl_authenticate_req_t req;
	if (sm_sasl_authenticate_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_sasl_authenticate_resp_t resp;
	sm_sasl_authenticate_resp_init(&resp);
	resp.error_code = SM_ERR_ILLEGAL_SASL_STATE;
	resp.error_message = "SaslAuthenticate request received after successful authentication";
	sm_apis_refused(ctx, "SaslAuthenticate on an authenticated or non-SASL connection");
	sm_sasl_authenticate_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}

/* ---- DescribeUserScramCredentials / AlterUserScramCredentials (Kafka's
 * ZkAdminManager): credentials in /config/users/<sanitized user> ---- */

#define SM_SCRAM_EMPTY_USER "Username must not be empty"

/* Kafka's ScramMechanism type bytes. */
static int sm_scram_mech_of_type(int8_t t)
{
	return t == 1 ? SM_SASL_SCRAM_SHA_256 : t == 2 ? SM_SASL_SCRAM_SHA_512 : 0;
}

/* Fills r with the user's mechanisms and iterations from cfg; 0 when it
 * has no SCRAM credential. */
static int sm_scram_describe_cfg(sm_req_ctx_t *ctx, const sm_zk_config_t *cfg,
				 sm_describe_user_scram_credentials_resp_result_t *r)
{
	int n = 0;
	r->credential_infos = sm_arena_alloc(&ctx->arena, 2 * sizeof(*r->credential_infos));
	for (int t = 1; t <= 2; t++) {
		int mech = sm_scram_mech_of_type((int8_t)t);
		const char *v = sm_zk_config_get(cfg, sm_sasl_mech_name(mech));
		sm_scram_cred_t c;
		char err[128];
		if (!v)
			continue;
		if (sm_scram_cred_parse(v, mech, &c, err, sizeof(err))) {
			r->error_code = SM_ERR_UNKNOWN_SERVER_ERROR;
			r->error_message = "Error processing describe user SCRAM credential configs request";
			return 1;
		}
		r->credential_infos[n].mechanism = (int8_t)t;
		r->credential_infos[n].iterations = c.iterations;
		n++;
	}
	r->credential_infos_cnt = n;
	return n > 0;
}

static int sm_scram_result_cmp(const void *a, const void *b)
{
	const sm_describe_user_scram_credentials_resp_result_t *x = a, *y = b;
	return strcmp(x->user, y->user);
}

void sm_api_describe_user_scram_credentials(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_describe_user_scram_credentials_req_t req;
	if (sm_describe_user_scram_credentials_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_describe_user_scram_credentials_resp_t resp;
	sm_describe_user_scram_credentials_resp_init(&resp);
	sm_zk_t *zk = ctx->apis->d.zk;
	if (!zk) {
		resp.error_code = SM_ERR_UNKNOWN_SERVER_ERROR;
	} else if (!req.users || req.users_cnt == 0) {
		char **kids = NULL;
		int nkids = 0;
		sm_err_t e = sm_zk_get_children(zk, "/config/users", 0, &kids, &nkids);
		if (e && e != SM_ERR__NOENT) {
			resp.error_code = SM_ERR_UNKNOWN_SERVER_ERROR;
			resp.error_message = "Error processing describe user SCRAM credential configs request";
		}
		resp.results = sm_arena_alloc_array(&ctx->arena, nkids, sizeof(*resp.results));
		for (int i = 0; resp.results && i < nkids; i++) {
			sm_zk_config_t cfg = { 0 };
			sm_describe_user_scram_credentials_resp_result_t *r = &resp.results[resp.results_cnt];
			if (sm_kzk_get_entity_config(zk, "users", kids[i], &cfg) == SM_ERR_NONE &&
			    sm_scram_describe_cfg(ctx, &cfg, r)) {
				char *u = sm_sasl_desanitize(kids[i]);
				r->user = sm_arena_strndup(&ctx->arena, u, strlen(u));
				free(u);
				resp.results_cnt++;
			}
			sm_zk_config_clear(&cfg);
		}
		if (resp.results_cnt > 1)
			qsort(resp.results, (size_t)resp.results_cnt, sizeof(*resp.results),
			      sm_scram_result_cmp);
		sm_zk_strings_free(kids, nkids);
	} else {
		const char **names = sm_arena_alloc_array(&ctx->arena, req.users_cnt, sizeof(char *));
		resp.results = sm_arena_alloc_array(&ctx->arena, req.users_cnt, sizeof(*resp.results));
		if (!names || !resp.results) {
			sm_apis_parse_error(ctx);
			return;
		}
		for (int i = 0; i < req.users_cnt; i++)
			names[i] = req.users[i].name;
		uint8_t *dup = sm_apis_duplicates(&ctx->arena, names, req.users_cnt);
		if (!dup) {
			sm_apis_parse_error(ctx);
			return;
		}
		for (int i = 0; i < req.users_cnt; i++) {
			const char *u = names[i] ? names[i] : "";
			int seen = 0;
			for (int j = 0; j < i && !seen; j++)
				seen = names[j] && !strcmp(names[j], u);
			if (seen)
				continue; /* one result per distinct user */
			sm_describe_user_scram_credentials_resp_result_t *r = &resp.results[resp.results_cnt++];
			r->user = (char *)u;
			if (!*u) {
				r->error_code = SM_ERR_RESOURCE_NOT_FOUND;
				r->error_message = SM_SCRAM_EMPTY_USER;
				continue;
			}
			if (dup[i]) {
				r->error_code = SM_ERR_DUPLICATE_RESOURCE;
				size_t ml = strlen(u) + 96;
				r->error_message = sm_arena_alloc(&ctx->arena, ml);
				snprintf(r->error_message, ml, "Cannot describe SCRAM credentials for the "
					 "same user twice in a single request: %s", u);
				continue;
			}
			char *san = sm_sasl_sanitize(u);
			sm_zk_config_t cfg = { 0 };
			sm_err_t e = sm_kzk_get_entity_config(zk, "users", san, &cfg);
			free(san);
			if (e) {
				r->error_code = SM_ERR_UNKNOWN_SERVER_ERROR;
				r->error_message = "Error processing describe user SCRAM credential configs request";
			} else if (!sm_scram_describe_cfg(ctx, &cfg, r)) {
				r->error_code = SM_ERR_RESOURCE_NOT_FOUND;
				size_t ml = strlen(u) + 80;
				r->error_message = sm_arena_alloc(&ctx->arena, ml);
				snprintf(r->error_message, ml, "Attempt to describe a user credential that "
					 "does not exist: %s", u);
			}
			sm_zk_config_clear(&cfg);
		}
	}
	sm_describe_user_scram_credentials_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}

/* One user of an AlterUserScramCredentials request. */
typedef struct sm_scram_alter_user {
	const char *name;
	const char *error;  /* NULL: still valid */
	int16_t code;
} sm_scram_alter_user_t;

static sm_scram_alter_user_t *sm_scram_alter_find(sm_scram_alter_user_t *u, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(u[i].name, name))
			return &u[i];
	return NULL;
}

void sm_api_alter_user_scram_credentials(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_alter_user_scram_credentials_req_t req;
	if (sm_alter_user_scram_credentials_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	int64_t total = (int64_t)req.deletions_cnt + req.upsertions_cnt;
	sm_scram_alter_user_t *users = sm_arena_alloc_array(&ctx->arena, total, sizeof(*users));
	sm_alter_user_scram_credentials_resp_t resp;
	sm_alter_user_scram_credentials_resp_init(&resp);
	resp.results = sm_arena_alloc_array(&ctx->arena, total, sizeof(*resp.results));
	if (!users || !resp.results) {
		sm_apis_parse_error(ctx);
		return;
	}
	int nu = 0;
	/* the distinct users, in request order */
	for (int64_t i = 0; i < total; i++) {
		const char *name = i < req.deletions_cnt ? req.deletions[i].name
							 : req.upsertions[i - req.deletions_cnt].name;
		if (!name)
			name = "";
		if (!sm_scram_alter_find(users, nu, name))
			users[nu++].name = name;
	}
	int active = ctx->apis->d.controller && sm_controller_is_active(ctx->apis->d.controller);
	for (int i = 0; i < nu && (!active || !ctx->apis->d.zk); i++) {
		users[i].code = SM_ERR_NOT_CONTROLLER;
		users[i].error = "This is not the correct controller for this cluster.";
	}
	if (active && ctx->apis->d.zk) {
		/* Kafka's order of checks: illegal names, mechanisms and
		 * iterations; a credential named twice; deleting a missing one */
		for (int i = 0; i < req.deletions_cnt; i++) {
			sm_scram_alter_user_t *u = sm_scram_alter_find(users, nu, req.deletions[i].name ?
								       req.deletions[i].name : "");
			if (!*u->name) {
				u->code = SM_ERR_UNACCEPTABLE_CREDENTIAL;
				u->error = SM_SCRAM_EMPTY_USER;
			} else if (!sm_scram_mech_of_type(req.deletions[i].mechanism)) {
				u->code = SM_ERR_UNSUPPORTED_SASL_MECHANISM;
				u->error = "Unknown SCRAM mechanism";
			}
		}
		for (int i = 0; i < req.upsertions_cnt; i++) {
			const sm_alter_user_scram_credentials_req_upsertion_t *up = &req.upsertions[i];
			sm_scram_alter_user_t *u = sm_scram_alter_find(users, nu, up->name ? up->name : "");
			if (!*u->name) {
				u->code = SM_ERR_UNACCEPTABLE_CREDENTIAL;
				u->error = SM_SCRAM_EMPTY_USER;
			} else if (!sm_scram_mech_of_type(up->mechanism)) {
				u->code = SM_ERR_UNSUPPORTED_SASL_MECHANISM;
				u->error = "Unknown SCRAM mechanism";
			} else if (up->iterations < SM_SCRAM_MIN_ITERATIONS) {
				u->code = SM_ERR_UNACCEPTABLE_CREDENTIAL;
				u->error = "Too few iterations";
			} else if (up->iterations > SM_SCRAM_MAX_ITERATIONS) {
				u->code = SM_ERR_UNACCEPTABLE_CREDENTIAL;
				u->error = "Too many iterations";
			} else if (up->salt.len <= 0 || up->salt.len > 128 || up->salted_password.len <= 0) {
				u->code = SM_ERR_UNACCEPTABLE_CREDENTIAL;
				u->error = "Invalid salt or salted password";
			}
		}
		for (int64_t i = 0; i < total; i++) {
			const char *name = i < req.deletions_cnt ? req.deletions[i].name
								 : req.upsertions[i - req.deletions_cnt].name;
			int8_t mech = i < req.deletions_cnt ? req.deletions[i].mechanism
							    : req.upsertions[i - req.deletions_cnt].mechanism;
			sm_scram_alter_user_t *u = sm_scram_alter_find(users, nu, name ? name : "");
			if (u->error)
				continue;
			for (int64_t j = 0; j < i; j++) {
				const char *n2 = j < req.deletions_cnt ? req.deletions[j].name
								       : req.upsertions[j - req.deletions_cnt].name;
				int8_t m2 = j < req.deletions_cnt ? req.deletions[j].mechanism
								  : req.upsertions[j - req.deletions_cnt].mechanism;
				if (n2 && name && !strcmp(n2, name) && m2 == mech) {
					u->code = SM_ERR_DUPLICATE_RESOURCE;
					u->error = "A user credential cannot be altered twice in the same request";
				}
			}
		}
		for (int i = 0; i < nu; i++) {
			sm_scram_alter_user_t *u = &users[i];
			if (u->error)
				continue;
			char *san = sm_sasl_sanitize(u->name);
			sm_zk_config_t cfg = { 0 };
			sm_err_t e = sm_kzk_get_entity_config(ctx->apis->d.zk, "users", san, &cfg);
			for (int k = 0; !e && k < req.deletions_cnt && !u->error; k++) {
				const char *mn = sm_sasl_mech_name(sm_scram_mech_of_type(req.deletions[k].mechanism));
				if (strcmp(req.deletions[k].name, u->name))
					continue;
				if (!sm_zk_config_get(&cfg, mn)) {
					u->code = SM_ERR_RESOURCE_NOT_FOUND;
					u->error = "Attempt to delete a user credential that does not exist";
					break;
				}
				/* removes the key: the last entry takes its place */
				for (int c = 0; c < cfg.n; c++) {
					if (strcmp(cfg.keys[c], mn))
						continue;
					free(cfg.keys[c]);
					free(cfg.values[c]);
					cfg.keys[c] = cfg.keys[cfg.n - 1];
					cfg.values[c] = cfg.values[cfg.n - 1];
					cfg.n--;
					break;
				}
			}
			for (int k = 0; !e && !u->error && k < req.upsertions_cnt; k++) {
				const sm_alter_user_scram_credentials_req_upsertion_t *up = &req.upsertions[k];
				if (strcmp(up->name, u->name))
					continue;
				int mech = sm_scram_mech_of_type(up->mechanism);
				sm_scram_cred_t c;
				if (sm_scram_cred_from_salted(mech, up->salt.ptr, (size_t)up->salt.len,
							      up->salted_password.ptr,
							      (size_t)up->salted_password.len,
							      up->iterations, &c)) {
					u->code = SM_ERR_UNACCEPTABLE_CREDENTIAL;
					u->error = "Invalid salt or salted password";
					break;
				}
				char *v = sm_scram_cred_format(&c);
				sm_zk_config_set(&cfg, sm_sasl_mech_name(mech), v);
				free(v);
			}
			if (!e && !u->error)
				e = sm_kzk_set_entity_config(ctx->apis->d.zk, "users", san, &cfg);
			if (e && !u->error) {
				u->code = SM_ERR_UNKNOWN_SERVER_ERROR;
				u->error = "The server experienced an unexpected error when processing the request.";
			}
			if (!u->error)
				sm_log_info(NULL, "kafka.server.ZkAdminManager", "Altered the SCRAM "
					    "credentials of user %s (request from %s)", u->name,
					    ctx->req->peer);
			sm_zk_config_clear(&cfg);
			free(san);
		}
	}
	for (int i = 0; i < nu; i++) {
		sm_alter_user_scram_credentials_resp_result_t *r = &resp.results[resp.results_cnt++];
		r->user = (char *)users[i].name;
		r->error_code = users[i].error ? users[i].code : 0;
		r->error_message = (char *)users[i].error;
		if (users[i].error)
			sm_apis_refused(ctx, "SCRAM credentials of user %.100s: %s", users[i].name,
					users[i].error);
	}
	sm_alter_user_scram_credentials_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}
