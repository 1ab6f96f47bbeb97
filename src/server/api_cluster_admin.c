/*
 * api_cluster_admin.c - cluster administration requests that the controller
 * carries out (Kafka's KafkaApis handlers + ZkAdminManager.createPartitions):
 * ControlledShutdown, ElectLeaders, CreatePartitions,
 * AlterPartitionReassignments and ListPartitionReassignments. Shutdown,
 * elections and reassignments are handed to the controller's event thread
 * and waited for; CreatePartitions writes the new assignment to ZooKeeper
 * (the controller's watch creates the partitions) and answers once the
 * metadata cache shows them led; the reassignment list is read from the
 * adding/removing replicas of the topic znodes.
 *
 * Thread-safety: runs on request handler threads; blocks only on ZooKeeper
 * and on the controller's answer, never holding a lock.
 */
#include "kafka_apis_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller.h"
#include "kafka_zk.h"
#include "logger.h"
#include "msg_alter_partition_reassignments.h"
#include "msg_controlled_shutdown.h"
#include "msg_create_partitions.h"
#include "msg_elect_leaders.h"
#include "msg_list_partition_reassignments.h"

#define SM_CA_LOGGER "kafka.server.ZkAdminManager"

static int sm_ca_is_controller(sm_kafka_apis_t *apis)
{
	return apis->d.controller && sm_controller_is_active(apis->d.controller);
}

/* ---- ControlledShutdown ---- */

void sm_api_controlled_shutdown(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_controlled_shutdown_req_t req;
	if (sm_controlled_shutdown_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_controlled_shutdown_resp_t resp;
	sm_controlled_shutdown_resp_init(&resp);
	sm_ctrl_tp_result_t *rem = NULL;
	int n = 0;
	sm_err_t e = SM_ERR_NOT_CONTROLLER;
	if (!sm_apis_authorized(ctx, SM_ACL_OP_CLUSTER_ACTION, SM_ACL_RES_CLUSTER, NULL))
		e = SM_ERR_CLUSTER_AUTHORIZATION_FAILED;
	else if (sm_ca_is_controller(ctx->apis))
		e = sm_controller_controlled_shutdown(ctx->apis->d.controller, req.broker_id,
						      req.broker_epoch,
						      ctx->apis->d.cfg->controller_socket_timeout_ms,
						      &rem, &n);
	resp.error_code = (int16_t)(e < 0 ? SM_ERR_UNKNOWN_SERVER_ERROR : e);
	resp.remaining_partitions_cnt = n;
	resp.remaining_partitions = sm_arena_alloc(&ctx->arena, sizeof(*resp.remaining_partitions) * (size_t)(n + 1));
	for (int i = 0; i < n; i++) {
		resp.remaining_partitions[i].topic_name = sm_arena_strndup(&ctx->arena, rem[i].topic, strlen(rem[i].topic));
		resp.remaining_partitions[i].partition_index = rem[i].partition;
	}
	sm_controller_results_free(rem, n);
	sm_controlled_shutdown_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}

/* ---- ElectLeaders ---- */

/* One partition's outcome before it is grouped under its topic. */
typedef struct {
	const char *topic;
	int seq; /* keeps the request's order within a topic */
	sm_elect_leaders_resp_partition_result_t r;
} sm_ca_el_entry_t;

static int sm_ca_el_cmp(const void *a, const void *b)
{
	const sm_ca_el_entry_t *x = a, *y = b;
	int c = strcmp(x->topic, y->topic);
	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* Groups n outcomes by topic with one sort: a request naming many topics or
 * many partitions of one topic costs O(n log n), not a search and a copy per
 * partition. */
static void sm_ca_el_group(sm_req_ctx_t *ctx, sm_ca_el_entry_t *v, int n,
			   sm_elect_leaders_resp_t *resp)
{
	qsort(v, (size_t)n, sizeof(*v), sm_ca_el_cmp);
	int nt = 0;
	for (int i = 0; i < n; i++)
		nt += i == 0 || strcmp(v[i].topic, v[i - 1].topic);
	resp->replica_election_results = sm_arena_alloc(&ctx->arena, sizeof(*resp->replica_election_results) * (size_t)(nt + 1));
	resp->replica_election_results_cnt = 0;
	for (int i = 0; i < n;) {
		int j = i;
		while (j < n && !strcmp(v[j].topic, v[i].topic))
			j++;
		sm_elect_leaders_resp_replica_election_result_t *r = &resp->replica_election_results[resp->replica_election_results_cnt++];
		memset(r, 0, sizeof(*r));
		r->topic = sm_arena_strndup(&ctx->arena, v[i].topic, strlen(v[i].topic));
		r->partition_result = sm_arena_alloc(&ctx->arena,
						      sizeof(*r->partition_result) * (size_t)(j - i));
		for (int k = i; k < j; k++)
			r->partition_result[r->partition_result_cnt++] = v[k].r;
		i = j;
	}
}

void sm_api_elect_leaders(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_elect_leaders_req_t req;
	if (sm_elect_leaders_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_elect_leaders_resp_t resp;
	sm_elect_leaders_resp_init(&resp);
	int ntp = 0;
	for (int i = 0; i < req.topic_partitions_cnt; i++)
		ntp += req.topic_partitions[i].partitions_cnt;
	sm_zk_topic_partition_t *tps = sm_arena_alloc(&ctx->arena, sizeof(*tps) * (size_t)(ntp + 1));
	int k = 0;
	for (int i = 0; i < req.topic_partitions_cnt; i++)
		for (int j = 0; j < req.topic_partitions[i].partitions_cnt; j++)
			tps[k++] = (sm_zk_topic_partition_t){ req.topic_partitions[i].topic,
							      req.topic_partitions[i].partitions[j] };
	sm_ctrl_tp_result_t *res = NULL;
	int nres = 0;
	sm_err_t e = SM_ERR_NOT_CONTROLLER;
	if (!sm_apis_authorized(ctx, SM_ACL_OP_ALTER, SM_ACL_RES_CLUSTER, NULL)) {
		e = SM_ERR_CLUSTER_AUTHORIZATION_FAILED;
	} else if (ver >= 1 && req.election_type != 0 && req.election_type != 1) {
		/* Kafka 2.8's ElectionType.valueOf throws: the request fails
		 * unhandled, UNKNOWN_SERVER_ERROR at the top and on every
		 * partition (ElectLeadersRequest.getErrorResponse) */
		sm_apis_refused(ctx, "ElectLeaders with unknown election type %d", req.election_type);
		e = SM_ERR_UNKNOWN_SERVER_ERROR;
		resp.error_code = SM_ERR_UNKNOWN_SERVER_ERROR;
	} else if (sm_ca_is_controller(ctx->apis))
		e = sm_controller_elect_leaders(ctx->apis->d.controller, ver >= 1 ? req.election_type : 0,
						req.topic_partitions_cnt < 0 ? NULL : tps, ntp,
						req.timeout_ms, &res, &nres);
	int n = (e ? ntp : 0) + nres, m = 0;
	sm_ca_el_entry_t *v = sm_arena_alloc(&ctx->arena, sizeof(*v) * (size_t)(n + 1));
	/* on failure every requested partition carries it */
	for (int i = 0; e && i < ntp; i++, m++)
		v[m] = (sm_ca_el_entry_t){ tps[i].topic, m,
					   { .partition_id = tps[i].partition,
					     .error_code = (int16_t)(e < 0 ? SM_ERR_UNKNOWN_SERVER_ERROR : e) } };
	for (int i = 0; i < nres; i++, m++)
		v[m] = (sm_ca_el_entry_t){ res[i].topic, m,
					   { .partition_id = res[i].partition, .error_code = res[i].error,
					     .error_message = (char *)res[i].message } };
	sm_ca_el_group(ctx, v, m, &resp);
	sm_elect_leaders_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_controller_results_free(res, nres);
	sm_apis_resp_send(ctx);
}

/* ---- CreatePartitions ---- */

/* 1 once the metadata cache shows count partitions of topic, all led. */
static int sm_ca_partitions_led(sm_kafka_apis_t *apis, const char *topic, int count)
{
	sm_mc_snapshot_t *s = sm_metadata_cache_get(apis->d.metadata_cache);
	const sm_mc_topic_t *t = sm_mc_topic(s, topic);
	int ok = t && sm_mc_partition_count(t) >= count;
	for (int p = 0; ok && p < count; p++) {
		const sm_mc_partition_t *mp = sm_mc_partition(t, p);
		ok = mp && mp->leader >= 0;
	}
	sm_mc_snapshot_release(s);
	return ok;
}

static sm_err_t sm_ca_check_assignments(const sm_create_partitions_req_topic_t *t, int added, int rf,
					const int32_t *brokers, int nb, char *err, size_t errlen)
{
	if (t->assignments_cnt != added) {
		snprintf(err, errlen, "Increasing the number of partitions by %d but %d assignments provided.",
			 added, t->assignments_cnt);
		return SM_ERR_INVALID_REPLICA_ASSIGNMENT;
	}
	for (int i = 0; i < added; i++) {
		const sm_create_partitions_req_assignment_t *as = &t->assignments[i];
		if (as->broker_ids_cnt != rf) {
			snprintf(err, errlen, "Inconsistent replication factor between partitions, partition 0 has %d while partitions [%d] have replication factors [%d], respectively.",
				 rf, i, as->broker_ids_cnt);
			return SM_ERR_INVALID_REPLICA_ASSIGNMENT;
		}
		for (int r = 0; r < as->broker_ids_cnt; r++) {
			int known = 0;
			for (int b = 0; b < nb; b++)
				known |= brokers[b] == as->broker_ids[r];
			if (!known) {
				snprintf(err, errlen, "Unknown broker(s) in replica assignment: %d.", as->broker_ids[r]);
				return SM_ERR_INVALID_REPLICA_ASSIGNMENT;
			}
			for (int q = 0; q < r; q++)
				if (as->broker_ids[q] == as->broker_ids[r]) {
					snprintf(err, errlen, "Duplicate brokers not allowed in replica assignment: %d",
						 as->broker_ids[r]);
					return SM_ERR_INVALID_REPLICA_ASSIGNMENT;
				}
		}
	}
	return SM_ERR_NONE;
}

/* New assignment rows for partitions old..count-1 appended to cur. */
static sm_err_t sm_ca_extend(sm_zk_t *zk, const sm_create_partitions_req_topic_t *t,
			     sm_zk_topic_assignment_t *cur, int old, char *err, size_t errlen)
{
	int rf = old ? cur->partitions[0].n_replicas : 1;
	int added = t->count - old;
	int32_t *brokers = NULL;
	int nb = 0;
	if (sm_kzk_get_broker_ids(zk, 0, &brokers, &nb)) {
		snprintf(err, errlen, "ZooKeeper error reading brokers");
		return SM_ERR_UNKNOWN_SERVER_ERROR;
	}
	sm_err_t e;
	if (t->assignments_cnt >= 0) {
		e = sm_ca_check_assignments(t, added, rf, brokers, nb, err, errlen);
		for (int i = 0; !e && i < added; i++)
			sm_zk_topic_add_partition(cur, old + i, t->assignments[i].broker_ids,
						  t->assignments[i].broker_ids_cnt);
	} else {
		/* AdminZkClient.addPartitions: the start index is the first
		 * broker (by id) not below partition 0's preferred replica. */
		int start = 0, below = 0;
		for (int i = 0; old && cur->partitions[0].n_replicas && i < nb; i++)
			below += brokers[i] < cur->partitions[0].replicas[0];
		start = below < nb ? below : 0;
		int32_t *a = NULL;
		e = sm_kzk_assign_replicas_live(zk, added, rf, start, old, &a, err, errlen);
		for (int i = 0; !e && i < added; i++)
			sm_zk_topic_add_partition(cur, old + i, a + i * rf, rf);
		free(a);
	}
	free(brokers);
	return e;
}

static sm_err_t sm_ca_create_partitions_one(sm_req_ctx_t *ctx, const sm_create_partitions_req_topic_t *t,
					    int validate_only, int64_t *budget, char *err, size_t errlen)
{
	sm_zk_t *zk = ctx->apis->d.zk;
	sm_zk_topic_assignment_t cur = { 0 };
	int32_t zkv = -1;
	sm_err_t e = sm_kzk_get_topic_assignment(zk, t->name, 0, &cur, &zkv);
	if (e) {
		sm_zk_topic_clear(&cur);
		snprintf(err, errlen, "The topic '%s' does not exist.", t->name);
		return SM_ERR_UNKNOWN_TOPIC_OR_PARTITION;
	}
	int old = cur.n_partitions;
	if (sm_kzk_is_marked_for_deletion(zk, t->name) == 1) {
		snprintf(err, errlen, "The topic '%s' is queued for deletion.", t->name);
		e = SM_ERR_INVALID_TOPIC_EXCEPTION;
	} else if (t->count == old) {
		snprintf(err, errlen, "Topic already has %d partitions.", old);
		e = SM_ERR_INVALID_PARTITIONS;
	} else if (t->count < old) {
		snprintf(err, errlen, "Topic currently has %d partitions, %d would not be an increase.", old,
			 t->count);
		e = SM_ERR_INVALID_PARTITIONS;
	} else if ((int64_t)(t->count - old) * (old ? cur.partitions[0].n_replicas : 1) > *budget) {
		/* checked before the assignment is allocated (see deviations.md) */
		snprintf(err, errlen, "Increasing the partitions of '%s' from %d to %d exceeds the broker's "
			 "limit of %d new replicas per request.", t->name, old, t->count,
			 SM_ADMIN_MAX_REQUEST_REPLICAS);
		e = SM_ERR_INVALID_PARTITIONS;
	} else {
		*budget -= (int64_t)(t->count - old) * (old ? cur.partitions[0].n_replicas : 1);
		e = sm_ca_extend(zk, t, &cur, old, err, errlen);
	}
	if (!e && !validate_only)
		e = sm_apis_mutation_record(ctx, ctx->hdr.api_version >= 3, t->count - old, err,
					    errlen);
	if (!e && !validate_only) {
		e = sm_kzk_set_topic_assignment(zk, t->name, &cur, zkv, -1, NULL);
		if (e == SM_ERR__BADVERSION) {
			snprintf(err, errlen, "The topic '%s' changed concurrently; retry.", t->name);
			e = SM_ERR_UNKNOWN_SERVER_ERROR;
		} else if (e) {
			snprintf(err, errlen, "ZooKeeper error writing the assignment of %s", t->name);
			e = SM_ERR_UNKNOWN_SERVER_ERROR;
		} else {
			sm_log_info(NULL, SM_CA_LOGGER, "Creating %d partitions for '%s'", t->count - old, t->name);
		}
	}
	sm_zk_topic_clear(&cur);
	return e;
}

static int sm_ca_create_settled(sm_admin_delayed_t *d, int i)
{
	const sm_create_partitions_req_t *req = d->req;
	sm_create_partitions_resp_t *resp = d->resp;
	return sm_ca_partitions_led(d->ctx->apis, resp->results[i].name, req->topics[i].count);
}

static void sm_ca_create_timed_out(sm_admin_delayed_t *d, int i)
{
	((sm_create_partitions_resp_t *)d->resp)->results[i].error_code = SM_ERR_REQUEST_TIMED_OUT;
}

static void sm_ca_create_respond(sm_admin_delayed_t *d)
{
	((sm_create_partitions_resp_t *)d->resp)->throttle_time_ms = sm_apis_mutation_throttle(d->ctx);
	sm_create_partitions_resp_write(sm_apis_resp_begin(d->ctx), d->ctx->hdr.api_version, d->resp);
	sm_apis_resp_send(d->ctx);
}

void sm_api_create_partitions(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_create_partitions_req_t *req = sm_arena_alloc(&ctx->arena, sizeof(*req));
	if (sm_create_partitions_req_read(&ctx->body, ver, &ctx->arena, req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_create_partitions_resp_t *resp = sm_arena_alloc(&ctx->arena, sizeof(*resp));
	sm_create_partitions_resp_init(resp);
	resp->results_cnt = req->topics_cnt;
	resp->results = sm_arena_alloc(&ctx->arena, sizeof(*resp->results) * (size_t)(req->topics_cnt + 1));
	int controller = sm_ca_is_controller(ctx->apis);
	const char **names = sm_arena_alloc_array(&ctx->arena, req->topics_cnt, sizeof(*names));
	for (int i = 0; names && i < req->topics_cnt; i++)
		names[i] = req->topics[i].name;
	uint8_t *dup = names ? sm_apis_duplicates(&ctx->arena, names, req->topics_cnt) : NULL;
	if (!dup) {
		sm_apis_close(ctx, "CreatePartitions with %d topics exceeds the request budget",
			      req->topics_cnt);
		return;
	}
	int64_t budget = SM_ADMIN_MAX_REQUEST_REPLICAS;
	sm_admin_delayed_t *d = sm_calloc(1, sizeof(*d));
	d->waiting = sm_calloc((size_t)req->topics_cnt + 1, 1);
	for (int i = 0; i < req->topics_cnt; i++) {
		const sm_create_partitions_req_topic_t *t = &req->topics[i];
		sm_create_partitions_resp_result_t *r = &resp->results[i];
		memset(r, 0, sizeof(*r));
		r->name = t->name;
		char err[512] = "";
		sm_err_t e;
		if (!controller)
			e = SM_ERR_NOT_CONTROLLER;
		else if (dup[i])
			e = SM_ERR_INVALID_REQUEST, snprintf(err, sizeof(err), "Duplicate topic in request.");
		else if (!sm_apis_authorized(ctx, SM_ACL_OP_ALTER, SM_ACL_RES_TOPIC, t->name))
			e = SM_ERR_TOPIC_AUTHORIZATION_FAILED;
		else
			e = sm_ca_create_partitions_one(ctx, t, req->validate_only, &budget, err, sizeof(err));
		r->error_code = (int16_t)e;
		if (*err)
			r->error_message = sm_arena_strndup(&ctx->arena, err, strlen(err));
		if (e && *err)
			sm_apis_refused(ctx, "topic %s: %s (error %d)", t->name, err, e);
		d->waiting[i] = !req->validate_only && !e;
	}
	d->ctx = ctx;
	d->n = req->topics_cnt;
	d->req = req;
	d->resp = resp;
	d->settled = sm_ca_create_settled;
	d->timed_out = sm_ca_create_timed_out;
	d->respond = sm_ca_create_respond;
	sm_apis_admin_await(d, req->timeout_ms);
}

/* ---- AlterPartitionReassignments ---- */

void sm_api_alter_partition_reassignments(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_alter_partition_reassignments_req_t req;
	if (sm_alter_partition_reassignments_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	int n = 0;
	for (int i = 0; i < req.topics_cnt; i++)
		n += req.topics[i].partitions_cnt;
	sm_zk_topic_partition_t *tps = sm_arena_alloc(&ctx->arena, sizeof(*tps) * (size_t)(n + 1));
	int32_t **targets = sm_arena_alloc(&ctx->arena, sizeof(*targets) * (size_t)(n + 1));
	int *ntargets = sm_arena_alloc(&ctx->arena, sizeof(*ntargets) * (size_t)(n + 1));
	/* null replicas cancel; an empty list is a (refused) empty target. */
	static int32_t empty[1];
	int k = 0;
	for (int i = 0; i < req.topics_cnt; i++)
		for (int j = 0; j < req.topics[i].partitions_cnt; j++, k++) {
			const sm_alter_partition_reassignments_req_partition_t *rp = &req.topics[i].partitions[j];
			tps[k] = (sm_zk_topic_partition_t){ req.topics[i].name, rp->partition_index };
			targets[k] = rp->replicas_cnt < 0 ? NULL : rp->replicas_cnt ? rp->replicas : empty;
			ntargets[k] = rp->replicas_cnt < 0 ? 0 : rp->replicas_cnt;
		}
	sm_alter_partition_reassignments_resp_t resp;
	sm_alter_partition_reassignments_resp_init(&resp);
	sm_ctrl_tp_result_t *res = NULL;
	int nres = 0;
	sm_err_t e = SM_ERR_NOT_CONTROLLER;
	if (!sm_apis_authorized(ctx, SM_ACL_OP_ALTER, SM_ACL_RES_CLUSTER, NULL))
		e = SM_ERR_CLUSTER_AUTHORIZATION_FAILED;
	else if (sm_ca_is_controller(ctx->apis))
		e = sm_controller_alter_reassignments(ctx->apis->d.controller, tps, targets, ntargets, n,
						      req.timeout_ms, &res, &nres);
	resp.error_code = (int16_t)(e < 0 ? SM_ERR_UNKNOWN_SERVER_ERROR : e);
	resp.responses_cnt = req.topics_cnt;
	resp.responses = sm_arena_alloc(&ctx->arena, sizeof(*resp.responses) * (size_t)(req.topics_cnt + 1));
	k = 0;
	for (int i = 0; i < req.topics_cnt; i++) {
		sm_alter_partition_reassignments_resp_response_t *rt = &resp.responses[i];
		rt->name = req.topics[i].name;
		rt->partitions_cnt = req.topics[i].partitions_cnt;
		rt->partitions = sm_arena_alloc(&ctx->arena, sizeof(*rt->partitions) * (size_t)(rt->partitions_cnt + 1));
		for (int j = 0; j < rt->partitions_cnt; j++, k++) {
			sm_alter_partition_reassignments_resp_partition_t *rp = &rt->partitions[j];
			memset(rp, 0, sizeof(*rp));
			rp->partition_index = req.topics[i].partitions[j].partition_index;
			rp->error_code = (int16_t)(e ? resp.error_code : SM_ERR_REQUEST_TIMED_OUT);
			if (!e && k < nres) {
				rp->error_code = res[k].error;
				rp->error_message = (char *)res[k].message;
			}
		}
	}
	sm_alter_partition_reassignments_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_controller_results_free(res, nres);
	sm_apis_resp_send(ctx);
}

/* ---- ListPartitionReassignments ---- */

static int sm_ca_wanted(const sm_list_partition_reassignments_req_t *req, const char *topic, int32_t partition)
{
	if (req->topics_cnt < 0)
		return 1;
	for (int i = 0; i < req->topics_cnt; i++)
		if (!strcmp(req->topics[i].name, topic))
			for (int j = 0; j < req->topics[i].partition_indexes_cnt; j++)
				if (req->topics[i].partition_indexes[j] == partition)
					return 1;
	return 0;
}

static int32_t *sm_ca_i32dup(sm_req_ctx_t *ctx, const int32_t *v, int n)
{
	int32_t *o = sm_arena_alloc(&ctx->arena, sizeof(int32_t) * (size_t)(n + 1));
	if (n > 0)
		memcpy(o, v, sizeof(int32_t) * (size_t)n);
	return o;
}

static void sm_ca_list_topic(sm_req_ctx_t *ctx, const sm_list_partition_reassignments_req_t *req, const char *name,
			     sm_list_partition_reassignments_resp_t *resp)
{
	sm_zk_topic_assignment_t a = { 0 };
	if (sm_kzk_get_topic_assignment(ctx->apis->d.zk, name, 0, &a, NULL) == SM_ERR_NONE) {
		sm_list_partition_reassignments_resp_topic_t *t = NULL;
		for (int p = 0; p < a.n_partitions; p++) {
			const sm_zk_partition_assignment_t *pa = &a.partitions[p];
			if ((!pa->n_adding && !pa->n_removing) || !sm_ca_wanted(req, name, pa->partition))
				continue;
			if (!t) {
				t = &resp->topics[resp->topics_cnt++];
				t->name = sm_arena_strndup(&ctx->arena, name, strlen(name));
				t->partitions = sm_arena_alloc(&ctx->arena,
							       sizeof(*t->partitions) * (size_t)(a.n_partitions + 1));
			}
			sm_list_partition_reassignments_resp_partition_t *rp = &t->partitions[t->partitions_cnt++];
			rp->partition_index = pa->partition;
			rp->replicas = sm_ca_i32dup(ctx, pa->replicas, pa->n_replicas);
			rp->replicas_cnt = pa->n_replicas;
			rp->adding_replicas = sm_ca_i32dup(ctx, pa->adding, pa->n_adding);
			rp->adding_replicas_cnt = pa->n_adding;
			rp->removing_replicas = sm_ca_i32dup(ctx, pa->removing, pa->n_removing);
			rp->removing_replicas_cnt = pa->n_removing;
		}
	}
	sm_zk_topic_clear(&a);
}

void sm_api_list_partition_reassignments(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_list_partition_reassignments_req_t req;
	if (sm_list_partition_reassignments_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_list_partition_reassignments_resp_t resp;
	sm_list_partition_reassignments_resp_init(&resp);
	char **topics = NULL;
	int nt = 0;
	if (!sm_apis_authorized(ctx, SM_ACL_OP_DESCRIBE, SM_ACL_RES_CLUSTER, NULL)) {
		resp.error_code = SM_ERR_CLUSTER_AUTHORIZATION_FAILED;
	} else if (!sm_ca_is_controller(ctx->apis)) {
		resp.error_code = SM_ERR_NOT_CONTROLLER;
	} else if (sm_kzk_get_topics(ctx->apis->d.zk, 0, &topics, &nt)) {
		resp.error_code = SM_ERR_UNKNOWN_SERVER_ERROR;
	} else {
		resp.topics = sm_arena_alloc(&ctx->arena, sizeof(*resp.topics) * (size_t)(nt + 1));
		memset(resp.topics, 0, sizeof(*resp.topics) * (size_t)(nt + 1));
		for (int i = 0; i < nt; i++)
			sm_ca_list_topic(ctx, &req, topics[i], &resp);
	}
	sm_zk_strings_free(topics, nt);
	sm_list_partition_reassignments_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}
