/*
 * api_admin.c - topic administration through ZooKeeper (Kafka's
 * ZkAdminManager + AdminZkClient): CreateTopics, DeleteTopics and topic
 * auto-creation. Both requests must reach the controller (NOT_CONTROLLER
 * otherwise); the handler writes ZooKeeper, the controller's watches pick the
 * change up, and the request waits in the purgatory until the metadata cache
 * shows the result or timeout_ms passes (Kafka's DelayedCreatePartitions /
 * DelayedDeleteTopics; sm_apis_admin_await, also used by CreatePartitions).
 *
 * Thread-safety: runs on request handler threads; parked requests complete
 * on the purgatory thread.
 */
#include "kafka_apis_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "controller.h"
#include "kafka_zk.h"
#include "log_config.h"
#include "logger.h"
#include "msg_create_topics.h"
#include "msg_delete_topics.h"

#define SM_ADMIN_LOGGER "kafka.server.ZkAdminManager"

static sm_err_t sm_admin_check_assignment(const int32_t *a, int np, int rf, const int32_t *brokers,
					  int nb, char *err, size_t errlen)
{
	for (int p = 0; p < np; p++) {
		for (int r = 0; r < rf; r++) {
			int32_t b = a[p * rf + r];
			int known = 0;
			for (int i = 0; i < nb; i++)
				known |= brokers[i] == b;
			if (!known) {
				snprintf(err, errlen, "Unknown broker(s) in replica assignment: %d.", b);
				return SM_ERR_INVALID_REPLICA_ASSIGNMENT;
			}
			for (int q = 0; q < r; q++)
				if (a[p * rf + q] == b) {
					snprintf(err, errlen, "Duplicate replica assignment found: %d", b);
					return SM_ERR_INVALID_REPLICA_ASSIGNMENT;
				}
		}
	}
	return SM_ERR_NONE;
}

sm_err_t sm_apis_create_topic(sm_kafka_apis_t *apis, const char *topic, int32_t partitions,
			      int16_t rf, const int32_t *assignment, int n_assigned_partitions,
			      int assignment_rf, char *const *cfg_keys, char *const *cfg_values,
			      int n_cfg, int validate_only, char *err, size_t errlen)
{
	sm_zk_t *zk = apis->d.zk;
	sm_err_t e = sm_kzk_validate_topic_name(topic, err, errlen);
	if (e)
		return e;
	char **topics = NULL;
	int n_topics = 0;
	if ((e = sm_kzk_get_topics(zk, 0, &topics, &n_topics))) {
		snprintf(err, errlen, "ZooKeeper error reading topics");
		return SM_ERR_UNKNOWN_SERVER_ERROR;
	}
	for (int i = 0; i < n_topics; i++)
		if (!strcmp(topics[i], topic)) {
			sm_zk_strings_free(topics, n_topics);
			snprintf(err, errlen, "Topic '%s' already exists.", topic);
			return SM_ERR_TOPIC_ALREADY_EXISTS;
		}
	e = sm_kzk_check_topic_collision(topic, topics, n_topics, err, errlen);
	sm_zk_strings_free(topics, n_topics);
	if (e)
		return e;
	int32_t *brokers = NULL;
	int nb = 0;
	if (sm_kzk_get_broker_ids(zk, 0, &brokers, &nb)) {
		snprintf(err, errlen, "ZooKeeper error reading brokers");
		return SM_ERR_UNKNOWN_SERVER_ERROR;
	}
	int32_t *a = NULL;
	int np = partitions, nrf = rf;
	if (assignment) {
		np = n_assigned_partitions;
		nrf = assignment_rf;
		e = sm_admin_check_assignment(assignment, np, nrf, brokers, nb, err, errlen);
	} else {
		e = sm_kzk_assign_replicas_live(zk, partitions, rf, -1, 0, &a, err, errlen);
	}
	free(brokers);
	/* AdminZkClient.validateTopicCreate ends with LogConfig.validate; its
	 * ConfigException becomes INVALID_CONFIG with the same message. */
	if (!e && (e = sm_log_config_validate_all(cfg_keys, cfg_values, n_cfg, err, errlen)) ==
			  SM_ERR__CONFIG)
		e = SM_ERR_INVALID_CONFIG;
	if (e || validate_only) {
		free(a);
		return e;
	}
	sm_zk_topic_assignment_t ta = { 0 };
	for (int p = 0; p < np; p++)
		sm_zk_topic_add_partition(&ta, p, (assignment ? assignment : a) + p * nrf, nrf);
	free(a);
	sm_zk_config_t zc = { 0 };
	for (int i = 0; i < n_cfg; i++)
		sm_zk_config_set(&zc, cfg_keys[i], cfg_values[i]);
	e = sm_kzk_create_topic(zk, topic, &ta, &zc, NULL);
	sm_zk_topic_clear(&ta);
	sm_zk_config_clear(&zc);
	if (e == SM_ERR_TOPIC_ALREADY_EXISTS)
		snprintf(err, errlen, "Topic '%s' already exists.", topic);
	else if (e)
		snprintf(err, errlen, "ZooKeeper error creating topic %s", topic);
	else
		sm_log_info(NULL, SM_ADMIN_LOGGER, "Created topic %s with %d partitions", topic, np);
	return e ? (e < 0 ? SM_ERR_UNKNOWN_SERVER_ERROR : e) : SM_ERR_NONE;
}

/* 1 when every partition of topic has a leader in the metadata cache
 * (want_present) or the topic is gone from it (!want_present). */
static int sm_admin_topic_settled(sm_kafka_apis_t *apis, const char *topic, int want_present)
{
	sm_mc_snapshot_t *s = sm_metadata_cache_get(apis->d.metadata_cache);
	const sm_mc_topic_t *t = sm_mc_topic(s, topic);
	int done;
	if (!want_present) {
		done = t == NULL;
	} else {
		done = t && sm_mc_partition_count(t) > 0;
		for (int p = 0; done && p < t->n_partitions; p++)
			if (t->partitions[p].present && t->partitions[p].leader < 0)
				done = 0;
	}
	sm_mc_snapshot_release(s);
	return done;
}

/* sm_delayed_op_fn of a parked topic-admin request. */
/* Answers: items still waiting are marked timed out. */
static void sm_admin_await_finish(sm_admin_delayed_t *d)
{
	for (int i = 0; i < d->n; i++)
		if (d->waiting[i])
			d->timed_out(d, i);
	d->respond(d);
	free(d->waiting);
	free(d);
}

/* sm_delayed_op_fn of a parked topic-admin request; at the deadline the
 * items are checked once more, as Kafka's onComplete does. */
static int sm_admin_await_try(void *arg, int expired)
{
	sm_admin_delayed_t *d = arg;
	int pending = 0;
	for (int i = 0; i < d->n; i++) {
		if (d->waiting[i] && d->settled(d, i))
			d->waiting[i] = 0;
		pending |= d->waiting[i];
	}
	if (pending && !expired)
		return 0;
	sm_admin_await_finish(d);
	return 1;
}

void sm_apis_admin_await(sm_admin_delayed_t *d, int32_t timeout_ms)
{
	/* Kafka answers at once when the request allows no time: what was
	 * started is REQUEST_TIMED_OUT (clients know it is under way). */
	if (timeout_ms <= 0)
		sm_admin_await_finish(d);
	else if (!sm_admin_await_try(d, 0))
		sm_purgatory_watch(d->ctx->apis->purgatory, sm_clock_mono_ms() + timeout_ms,
				   sm_admin_await_try, d, &SM_OP_KEY_METADATA, 1);
}

static int sm_admin_is_controller(sm_kafka_apis_t *apis)
{
	return apis->d.controller && sm_controller_is_active(apis->d.controller);
}

/* ZkAdminManager.createTopics' checks before the assignment: the topic is
 * not in the metadata cache, and no config value is null. */
static sm_err_t sm_admin_check_request(sm_kafka_apis_t *apis,
				       const sm_create_topics_req_topic_t *t, char *err,
				       size_t errlen)
{
	sm_mc_snapshot_t *s = sm_metadata_cache_get(apis->d.metadata_cache);
	int exists = sm_mc_topic(s, t->name) != NULL;
	sm_mc_snapshot_release(s);
	if (exists) {
		snprintf(err, errlen, "Topic '%s' already exists.", t->name);
		return SM_ERR_TOPIC_ALREADY_EXISTS;
	}
	size_t len = 0;
	for (int i = 0; i < t->configs_cnt; i++) {
		if (t->configs[i].value)
			continue;
		if (!len)
			len = (size_t)snprintf(err, errlen, "Null value not supported for topic configs : ");
		else if (len < errlen)
			len += (size_t)snprintf(err + len, errlen - len, ",");
		if (len < errlen)
			len += (size_t)snprintf(err + len, errlen - len, "%s", t->configs[i].name);
	}
	return len ? SM_ERR_INVALID_REQUEST : SM_ERR_NONE;
}

/* KIP-525: a v5+ answer carries every topic config of the new topic with its
 * effective value and source (maybePopulateMetadataAndConfigs), as
 * DescribeConfigs would describe it once the topic exists. */
static void sm_admin_resp_configs(sm_req_ctx_t *ctx, char *const *keys, char *const *vals, int n,
				  sm_create_topics_resp_topic_t *rt)
{
	sm_zk_config_t over = { 0 };
	for (int i = 0; i < n; i++)
		sm_zk_config_set(&over, keys[i], vals[i]);
	sm_apis_topic_config_t *tc;
	int cnt = sm_apis_topic_configs(ctx->apis->d.cfg, ctx->apis->d.dyn_config, &over,
					&ctx->arena, &tc);
	sm_zk_config_clear(&over);
	rt->configs_cnt = cnt;
	rt->configs = sm_arena_alloc(&ctx->arena, sizeof(*rt->configs) * (size_t)(cnt + 1));
	for (int i = 0; i < cnt; i++) {
		sm_create_topics_resp_config_t *c = &rt->configs[i];
		sm_create_topics_resp_config_init(c);
		c->name = (char *)tc[i].name;
		c->value = (char *)tc[i].value;
		c->read_only = tc[i].read_only;
		c->config_source = tc[i].source;
		c->is_sensitive = tc[i].is_sensitive;
	}
}

static int sm_admin_i32cmp(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return x < y ? -1 : x > y;
}

/* A manual assignment checked as AdminZkClient.validateTopicCreate does,
 * before anything sized by it is allocated: every list as long as the first
 * (so n x rf is bounded by the ids the request actually carries), no
 * duplicate broker in a list, partition ids a permutation of 0..n-1. The
 * lists are copied into *out in partition order. Duplicates are found by
 * sorting a copy, so a single huge list costs O(rf log rf), not O(rf^2). */
static sm_err_t sm_admin_manual_assignment(sm_req_ctx_t *ctx, const sm_create_topics_req_topic_t *t,
					   int64_t *budget, int32_t **out, char *err, size_t errlen)
{
	int n = t->assignments_cnt;
	int arf = t->assignments[0].broker_ids_cnt;
	for (int p = 0; p < n; p++)
		if (t->assignments[p].broker_ids_cnt != arf) {
			snprintf(err, errlen, "All partitions should have the same number of replicas");
			return SM_ERR_INVALID_REPLICA_ASSIGNMENT;
		}
	if (arf <= 0) {
		snprintf(err, errlen, "Replication factor must be larger than 0.");
		return SM_ERR_INVALID_REPLICATION_FACTOR;
	}
	if ((int64_t)n * arf > *budget) {
		snprintf(err, errlen, "Replica assignment of %d partitions x %d replicas exceeds the "
			 "broker's limit of %d replicas per request.", n, arf, SM_ADMIN_MAX_REQUEST_REPLICAS);
		return SM_ERR_INVALID_REPLICA_ASSIGNMENT;
	}
	int32_t *a = sm_arena_alloc_array(&ctx->arena, (int64_t)n * arf, sizeof(int32_t));
	int32_t *sorted = sm_arena_alloc_array(&ctx->arena, arf, sizeof(int32_t));
	uint8_t *seen = sm_arena_alloc_array(&ctx->arena, n, 1);
	if (!a || !sorted || !seen) {
		snprintf(err, errlen, "Replica assignment too large for the request's memory budget.");
		return SM_ERR_INVALID_REPLICA_ASSIGNMENT;
	}
	for (int i = 0; i < n; i++) {
		const sm_create_topics_req_assignment_t *as = &t->assignments[i];
		int32_t p = as->partition_index;
		if (p < 0 || p >= n || seen[p]) {
			snprintf(err, errlen, "partitions should be a consecutive 0-based integer sequence");
			return SM_ERR_INVALID_REPLICA_ASSIGNMENT;
		}
		seen[p] = 1;
		memcpy(sorted, as->broker_ids, sizeof(int32_t) * (size_t)arf);
		qsort(sorted, (size_t)arf, sizeof(int32_t), sm_admin_i32cmp);
		for (int r = 1; r < arf; r++)
			if (sorted[r] == sorted[r - 1]) {
				snprintf(err, errlen, "Duplicate replica assignment found: %d", sorted[r]);
				return SM_ERR_INVALID_REPLICA_ASSIGNMENT;
			}
		memcpy(a + (size_t)p * (size_t)arf, as->broker_ids, sizeof(int32_t) * (size_t)arf);
	}
	*budget -= (int64_t)n * arf;
	*out = a;
	return SM_ERR_NONE;
}

static int sm_admin_live_brokers(sm_req_ctx_t *ctx)
{
	sm_mc_snapshot_t *s = sm_metadata_cache_get(ctx->apis->d.metadata_cache);
	int n = s->n_brokers;
	sm_mc_snapshot_release(s);
	return n;
}

/* budget: replicas the rest of the request may still ask for. */
static void sm_admin_create_one(sm_req_ctx_t *ctx, const sm_create_topics_req_t *req,
				const sm_create_topics_req_topic_t *t, sm_create_topics_resp_topic_t *rt,
				int64_t *budget)
{
	const sm_kafka_config_t *cfg = ctx->apis->d.cfg;
	char err[512] = "";
	int32_t np = t->num_partitions == -1 ? cfg->num_partitions : t->num_partitions;
	int16_t rf = t->replication_factor == -1 ? (int16_t)cfg->default_replication_factor
						 : t->replication_factor;
	int32_t *assign = NULL;
	int arf = 0;
	sm_err_t e = sm_admin_check_request(ctx->apis, t, err, sizeof(err));
	if (e) {
		/* answered below */
	} else if (t->assignments_cnt > 0) {
		if (t->num_partitions != -1 || t->replication_factor != -1) {
			e = SM_ERR_INVALID_REQUEST;
			snprintf(err, sizeof(err), "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.");
		} else if (!(e = sm_admin_manual_assignment(ctx, t, budget, &assign, err, sizeof(err)))) {
			arf = t->assignments[0].broker_ids_cnt;
			np = t->assignments_cnt;
			rf = (int16_t)(arf > INT16_MAX ? INT16_MAX : arf);
		}
	} else if (np <= 0) {
		e = SM_ERR_INVALID_PARTITIONS;
		snprintf(err, sizeof(err), "Number of partitions must be larger than 0.");
	} else if (rf <= 0) {
		e = SM_ERR_INVALID_REPLICATION_FACTOR;
		snprintf(err, sizeof(err), "Replication factor must be larger than 0.");
	} else if (rf <= sm_admin_live_brokers(ctx) && (int64_t)np * rf > *budget) {
		/* rf above the live brokers is left to the assignment, which
		 * answers INVALID_REPLICATION_FACTOR as Kafka does */
		e = SM_ERR_INVALID_PARTITIONS;
		snprintf(err, sizeof(err), "Number of partitions %d with replication factor %d exceeds "
			 "the broker's limit of %d replicas per request.", np, rf,
			 SM_ADMIN_MAX_REQUEST_REPLICAS);
	} else {
		*budget -= (int64_t)np * rf;
	}
	char **keys = sm_arena_alloc(&ctx->arena, sizeof(char *) * (size_t)(t->configs_cnt + 1));
	char **vals = sm_arena_alloc(&ctx->arena, sizeof(char *) * (size_t)(t->configs_cnt + 1));
	for (int i = 0; i < t->configs_cnt; i++) {
		keys[i] = t->configs[i].name;
		vals[i] = t->configs[i].value;
	}
	if (!e && !req->validate_only && sm_apis_mutation_quota_applies(ctx)) {
		/* Kafka validates, takes the partitions from the
		 * controller_mutation_rate bucket, and only then creates */
		e = sm_apis_create_topic(ctx->apis, t->name, np, rf, assign, np, arf, keys, vals,
					 t->configs_cnt, 1, err, sizeof(err));
		if (!e)
			e = sm_apis_mutation_record(ctx, ctx->hdr.api_version >= 6, np, err,
						    sizeof(err));
	}
	if (!e)
		e = sm_apis_create_topic(ctx->apis, t->name, np, rf, assign, np, arf, keys, vals,
					 t->configs_cnt, req->validate_only, err, sizeof(err));
	rt->error_code = (int16_t)e;
	if (e) {
		rt->error_message = sm_arena_strndup(&ctx->arena, err, strlen(err));
		sm_apis_refused(ctx, "topic %s: %s (error %d)", t->name, err, e);
		return;
	}
	rt->num_partitions = np;
	rt->replication_factor = rf;
	if (ctx->hdr.api_version >= 5)
		sm_admin_resp_configs(ctx, keys, vals, t->configs_cnt, rt);
}

static int sm_admin_create_settled(sm_admin_delayed_t *d, int i)
{
	sm_create_topics_resp_t *resp = d->resp;
	return sm_admin_topic_settled(d->ctx->apis, resp->topics[i].name, 1);
}

static void sm_admin_create_timed_out(sm_admin_delayed_t *d, int i)
{
	sm_create_topics_resp_topic_t *rt = &((sm_create_topics_resp_t *)d->resp)->topics[i];
	/* a create that did not finish answers without metadata or configs */
	rt->error_code = SM_ERR_REQUEST_TIMED_OUT;
	rt->num_partitions = -1;
	rt->replication_factor = -1;
	rt->configs_cnt = 0;
}

static void sm_admin_create_respond(sm_admin_delayed_t *d)
{
	sm_create_topics_resp_t *resp = d->resp;
	sm_mc_snapshot_t *s = sm_metadata_cache_get(d->ctx->apis->d.metadata_cache);
	for (int i = 0; i < resp->topics_cnt; i++) {
		const sm_mc_topic_t *t = sm_mc_topic(s, resp->topics[i].name);
		if (t && !resp->topics[i].error_code)
			memcpy(resp->topics[i].topic_id, t->topic_id, 16);
	}
	sm_mc_snapshot_release(s);
	resp->throttle_time_ms = sm_apis_mutation_throttle(d->ctx);
	sm_create_topics_resp_write(sm_apis_resp_begin(d->ctx), d->ctx->hdr.api_version, resp);
	sm_apis_resp_send(d->ctx);
}

void sm_api_create_topics(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_create_topics_req_t req;
	if (sm_create_topics_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_create_topics_resp_t *resp = sm_arena_alloc(&ctx->arena, sizeof(*resp));
	sm_create_topics_resp_init(resp);
	resp->topics_cnt = req.topics_cnt;
	resp->topics = sm_arena_alloc(&ctx->arena, sizeof(*resp->topics) * (size_t)(req.topics_cnt + 1));
	int controller = sm_admin_is_controller(ctx->apis);
	const char **names = sm_arena_alloc_array(&ctx->arena, req.topics_cnt, sizeof(*names));
	for (int i = 0; names && i < req.topics_cnt; i++)
		names[i] = req.topics[i].name;
	uint8_t *dup = names ? sm_apis_duplicates(&ctx->arena, names, req.topics_cnt) : NULL;
	if (!dup) {
		sm_apis_close(ctx, "CreateTopics with %d topics exceeds the request budget", req.topics_cnt);
		return;
	}
	int64_t budget = SM_ADMIN_MAX_REQUEST_REPLICAS;
	int ndup = 0;
	sm_admin_delayed_t *d = sm_calloc(1, sizeof(*d));
	d->waiting = sm_calloc((size_t)req.topics_cnt + 1, 1);
	/* Kafka: Create on the cluster, or else on each topic */
	int cluster_create = sm_apis_authorized_quiet(ctx, SM_ACL_OP_CREATE, SM_ACL_RES_CLUSTER, NULL);
	for (int i = 0; i < req.topics_cnt; i++) {
		sm_create_topics_resp_topic_t *rt = &resp->topics[i];
		sm_create_topics_resp_topic_init(rt);
		rt->name = req.topics[i].name;
		if (!controller) {
			rt->error_code = SM_ERR_NOT_CONTROLLER;
		} else if (dup[i]) {
			rt->error_code = SM_ERR_INVALID_REQUEST;
			rt->error_message = "Create topics request from client contains a duplicate topic.";
			ndup++;
		} else if (!cluster_create && !sm_apis_authorized(ctx, SM_ACL_OP_CREATE, SM_ACL_RES_TOPIC,
								   rt->name)) {
			rt->error_code = SM_ERR_TOPIC_AUTHORIZATION_FAILED;
			rt->error_message = "Authorization failed.";
		} else {
			sm_admin_create_one(ctx, &req, &req.topics[i], rt, &budget);
		}
		/* KIP-525's configs and metadata only for a client that may
		 * DescribeConfigs the topic (Kafka) */
		if (ctx->hdr.api_version >= 5 && rt->name &&
		    !sm_apis_authorized_quiet(ctx, SM_ACL_OP_DESCRIBE_CONFIGS, SM_ACL_RES_TOPIC,
					      rt->name)) {
			rt->topic_config_error_code = SM_ERR_TOPIC_AUTHORIZATION_FAILED;
			rt->num_partitions = -1;
			rt->replication_factor = -1;
			rt->configs_cnt = 0;
		}
		d->waiting[i] = !req.validate_only && !rt->error_code;
	}
	if (ndup)
		sm_apis_refused(ctx, "%d of %d topics are duplicates", ndup, req.topics_cnt);
	d->ctx = ctx;
	d->n = req.topics_cnt;
	d->resp = resp;
	d->settled = sm_admin_create_settled;
	d->timed_out = sm_admin_create_timed_out;
	d->respond = sm_admin_create_respond;
	sm_apis_admin_await(d, req.timeout_ms);
}

static sm_err_t sm_admin_delete_one(sm_req_ctx_t *ctx, const char *name)
{
	if (!ctx->apis->d.cfg->delete_topic_enable)
		return SM_ERR_TOPIC_DELETION_DISABLED;
	sm_err_t e = sm_kzk_mark_topic_for_deletion(ctx->apis->d.zk, name);
	if (e == SM_ERR__EXISTS)
		return SM_ERR_NONE; /* already marked: deletion in progress */
	if (e == SM_ERR_UNKNOWN_TOPIC_OR_PARTITION || e == SM_ERR__NOENT)
		return SM_ERR_UNKNOWN_TOPIC_OR_PARTITION;
	if (e == SM_ERR_NONE)
		sm_log_info(NULL, SM_ADMIN_LOGGER, "Topic %s marked for deletion", name);
	return e < 0 ? SM_ERR_UNKNOWN_SERVER_ERROR : e;
}

static int sm_admin_delete_settled(sm_admin_delayed_t *d, int i)
{
	sm_delete_topics_resp_t *resp = d->resp;
	return sm_admin_topic_settled(d->ctx->apis, resp->responses[i].name, 0);
}

static void sm_admin_delete_timed_out(sm_admin_delayed_t *d, int i)
{
	((sm_delete_topics_resp_t *)d->resp)->responses[i].error_code = SM_ERR_REQUEST_TIMED_OUT;
}

static void sm_admin_delete_respond(sm_admin_delayed_t *d)
{
	((sm_delete_topics_resp_t *)d->resp)->throttle_time_ms = sm_apis_mutation_throttle(d->ctx);
	sm_delete_topics_resp_write(sm_apis_resp_begin(d->ctx), d->ctx->hdr.api_version, d->resp);
	sm_apis_resp_send(d->ctx);
}

/* bsearch key: a pointer to a 16-byte topic id; elements: topic pointers. */
static int sm_admin_id_cmp(const void *a, const void *b)
{
	const uint8_t *x = *(const uint8_t *const *)a;
	const sm_mc_topic_t *y = *(const sm_mc_topic_t *const *)b;
	return memcmp(x, y->topic_id, 16);
}

static int sm_admin_id_sort_cmp(const void *a, const void *b)
{
	const sm_mc_topic_t *x = *(const sm_mc_topic_t *const *)a;
	const sm_mc_topic_t *y = *(const sm_mc_topic_t *const *)b;
	return memcmp(x->topic_id, y->topic_id, 16);
}

/* The snapshot's topics sorted by id, so a DeleteTopics naming many ids
 * costs a search each instead of a scan of every topic. */
static const sm_mc_topic_t **sm_admin_topics_by_id(sm_req_ctx_t *ctx, const sm_mc_snapshot_t *s)
{
	if (s->n_topics <= 0)
		return NULL;
	const sm_mc_topic_t **v = sm_arena_alloc(&ctx->arena, sizeof(*v) * (size_t)s->n_topics);
	for (int t = 0; t < s->n_topics; t++)
		v[t] = &s->topics[t];
	qsort(v, (size_t)s->n_topics, sizeof(*v), sm_admin_id_sort_cmp);
	return v;
}

void sm_api_delete_topics(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_delete_topics_req_t req;
	if (sm_delete_topics_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	int n = ver >= 6 ? req.topics_cnt : req.topic_names_cnt;
	if (n < 0)
		n = 0;
	sm_delete_topics_resp_t *resp = sm_arena_alloc(&ctx->arena, sizeof(*resp));
	sm_delete_topics_resp_init(resp);
	resp->responses_cnt = n;
	resp->responses = sm_arena_alloc(&ctx->arena, sizeof(*resp->responses) * (size_t)(n + 1));
	int controller = sm_admin_is_controller(ctx->apis);
	sm_mc_snapshot_t *s = sm_metadata_cache_get(ctx->apis->d.metadata_cache);
	const sm_mc_topic_t **by_id = NULL;
	for (int i = 0; i < n; i++) {
		sm_delete_topics_resp_response_t *rt = &resp->responses[i];
		const char *name = ver >= 6 ? req.topics[i].name : req.topic_names[i];
		if (ver >= 6) {
			memcpy(rt->topic_id, req.topics[i].topic_id, 16);
			if (!name) {
				if (!by_id)
					by_id = sm_admin_topics_by_id(ctx, s);
				const uint8_t *key = req.topics[i].topic_id;
				const sm_mc_topic_t **hit =
					by_id ? bsearch(&key, by_id, (size_t)s->n_topics, sizeof(*by_id),
							sm_admin_id_cmp) : NULL;
				if (hit)
					name = sm_arena_strndup(&ctx->arena, (*hit)->name, strlen((*hit)->name));
				if (!name) {
					rt->error_code = SM_ERR_UNKNOWN_TOPIC_ID;
					continue;
				}
			}
		}
		rt->name = (char *)name;
		if (!controller) {
			rt->error_code = SM_ERR_NOT_CONTROLLER;
		} else if (ver >= 6 && !req.topics[i].name &&
			   !sm_apis_authorized(ctx, SM_ACL_OP_DESCRIBE, SM_ACL_RES_TOPIC, name)) {
			/* named by id and not describable: the name is not told */
			rt->name = NULL;
			rt->error_code = SM_ERR_TOPIC_AUTHORIZATION_FAILED;
		} else if (!sm_apis_authorized(ctx, SM_ACL_OP_DELETE, SM_ACL_RES_TOPIC, name)) {
			rt->error_code = SM_ERR_TOPIC_AUTHORIZATION_FAILED;
		} else {
			/* controller_mutation_rate counts the topic's partitions
			 * (a topic the cache does not know costs nothing) */
			const sm_mc_topic_t *mt = ctx->apis->d.cfg->delete_topic_enable &&
						  sm_apis_mutation_quota_applies(ctx) ?
						  sm_mc_topic(s, name) : NULL;
			sm_err_t e = mt ? sm_apis_mutation_record(ctx, ver >= 5,
								  sm_mc_partition_count(mt), NULL, 0)
					: SM_ERR_NONE;
			if (e) {
				rt->error_code = (int16_t)e;
				if (ver >= 5)
					rt->error_message = "The throttling quota has been exceeded.";
				sm_apis_refused(ctx, "topic %s: controller mutation quota exceeded "
						"(error %d)", name, e);
			} else {
				rt->error_code = (int16_t)sm_admin_delete_one(ctx, name);
			}
		}
	}
	sm_mc_snapshot_release(s);
	sm_admin_delayed_t *d = sm_calloc(1, sizeof(*d));
	d->waiting = sm_calloc((size_t)n + 1, 1);
	for (int i = 0; i < n; i++)
		d->waiting[i] = !resp->responses[i].error_code && resp->responses[i].name;
	d->ctx = ctx;
	d->n = n;
	d->resp = resp;
	d->settled = sm_admin_delete_settled;
	d->timed_out = sm_admin_delete_timed_out;
	d->respond = sm_admin_delete_respond;
	sm_apis_admin_await(d, req.timeout_ms);
}
