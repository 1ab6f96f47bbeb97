/*
 * api_txn.c - the transaction coordinator's requests (Kafka's
 * KafkaApis.handleAddPartitionToTxnRequest, handleAddOffsetsToTxnRequest,
 * handleEndTxnRequest, the transactional half of
 * handleInitProducerIdRequest and FindCoordinator with key type 1), versions
 * 0-3 (InitProducerId 0-4). The coordinator (txn_coordinator.h) answers
 * through a callback, possibly later from fetch-purgatory once its
 * __transaction_state write is replicated; the request context waits for it.
 *
 * Authorization is KafkaApis': Write on the transactional id for all
 * three, then Write on each topic (AddPartitionsToTxn) or Read on the
 * group (AddOffsetsToTxn); the transactional InitProducerId is checked in
 * api_init_producer_id.c.
 *
 * Since KIP-588 (2.7) the coordinator says PRODUCER_FENCED for a stale
 * epoch; requests older than the version that knows that code get
 * INVALID_PRODUCER_EPOCH instead, as Kafka maps it.
 *
 * Thread-safety: runs on request handler threads; answers may be sent from
 * fetch-purgatory, a marker channel thread or txn-coord.
 */
#include "kafka_apis_int.h"

#include <inttypes.h>
#include <string.h>

#include "group_records.h"
#include "logger.h"
#include "metadata_cache.h"
#include "msg_add_offsets_to_txn.h"
#include "msg_add_partitions_to_txn.h"
#include "msg_end_txn.h"
#include "msg_init_producer_id.h"
#include "producer_id_manager.h"
#include "txn_coordinator.h"

#define SM_TXN_OFFSETS_TOPIC "__consumer_offsets"

static sm_txn_coordinator_t *sm_apit_tc(sm_req_ctx_t *ctx)
{
	return ctx->apis->d.txn_coordinator;
}

/* PRODUCER_FENCED is new in these versions (KIP-588). */
static int16_t sm_apit_fenced(sm_err_t e, int16_t ver, int16_t first_ver)
{
	return (int16_t)(e == SM_ERR_PRODUCER_FENCED && ver < first_ver ? SM_ERR_INVALID_PRODUCER_EPOCH
									 : e);
}

/* ---- FindCoordinator key type 1 ---- */

/* Creates __transaction_state as Kafka's TransactionStateManager asks. */
static void sm_apit_create_state_topic(sm_req_ctx_t *ctx)
{
	const sm_kafka_config_t *cfg = ctx->apis->d.cfg;
	char seg[32], isr[32], err[256];
	snprintf(seg, sizeof(seg), "%d", cfg->transaction_state_log_segment_bytes);
	snprintf(isr, sizeof(isr), "%d", cfg->transaction_state_log_min_isr);
	char *keys[] = { "cleanup.policy", "compression.type", "segment.bytes",
			 "min.insync.replicas", "unclean.leader.election.enable" };
	char *vals[] = { "compact", "uncompressed", seg, isr, "false" };
	sm_err_t e = sm_apis_create_topic(ctx->apis, SM_TXN_STATE_TOPIC,
					  cfg->transaction_state_log_num_partitions,
					  (int16_t)cfg->transaction_state_log_replication_factor, NULL, 0,
					  0, keys, vals, 5, 0, err, sizeof(err));
	if (e == SM_ERR_NONE)
		sm_log_info(NULL, "kafka.server.ZkAdminManager",
			    "Created topic %s with %d partitions and replication factor %d",
			    SM_TXN_STATE_TOPIC, cfg->transaction_state_log_num_partitions,
			    cfg->transaction_state_log_replication_factor);
	else if (e != SM_ERR_TOPIC_ALREADY_EXISTS)
		sm_log_warn(NULL, "kafka.server.ZkAdminManager", "Could not create %s: %s",
			    SM_TXN_STATE_TOPIC, err);
}

sm_err_t sm_api_txn_coordinator_node(sm_req_ctx_t *ctx, const char *tid, int32_t *node,
				     const char **host, int32_t *port)
{
	sm_txn_coordinator_t *tc = sm_apit_tc(ctx);
	if (!tc)
		return SM_ERR_COORDINATOR_NOT_AVAILABLE;
	sm_mc_snapshot_t *s = sm_metadata_cache_get(ctx->apis->d.metadata_cache);
	const sm_mc_topic_t *t = sm_mc_topic(s, SM_TXN_STATE_TOPIC);
	if (!t) {
		sm_mc_snapshot_release(s);
		sm_apit_create_state_topic(ctx);
		return SM_ERR_COORDINATOR_NOT_AVAILABLE;
	}
	const sm_mc_partition_t *p = sm_mc_partition(t, sm_txn_coordinator_partition_for(tc, tid));
	const sm_mc_broker_t *b = p && p->leader >= 0 ? sm_mc_broker(s, p->leader) : NULL;
	const sm_mc_endpoint_t *ep = b ? sm_mc_endpoint(b, ctx->req->listener) : NULL;
	sm_err_t e = SM_ERR_COORDINATOR_NOT_AVAILABLE;
	if (ep) {
		e = SM_ERR_NONE;
		*node = b->id;
		*host = sm_arena_strndup(&ctx->arena, ep->host, strlen(ep->host));
		*port = ep->port;
	}
	sm_mc_snapshot_release(s);
	return e;
}

/* ---- InitProducerId with a transactional id ---- */

static sm_err_t sm_apit_new_pid(void *opaque, int64_t *pid)
{
	sm_req_ctx_t *ctx = opaque;
	if (!ctx->apis->pid_manager)
		return SM_ERR_COORDINATOR_NOT_AVAILABLE;
	return sm_pid_manager_next(ctx->apis->pid_manager, pid);
}

static void sm_apit_init_done(void *arg, sm_err_t e, int64_t pid, int16_t epoch)
{
	sm_req_ctx_t *ctx = arg;
	int16_t ver = ctx->hdr.api_version;
	sm_init_producer_id_resp_t resp;
	sm_init_producer_id_resp_init(&resp);
	resp.error_code = sm_apit_fenced(e, ver, 4);
	resp.producer_id = e ? -1 : pid;
	resp.producer_epoch = e ? -1 : epoch;
	if (e && e != SM_ERR_CONCURRENT_TRANSACTIONS && e != SM_ERR_COORDINATOR_LOAD_IN_PROGRESS)
		sm_apis_refused(ctx, "InitProducerId: %s", sm_err_name(e));
	sm_init_producer_id_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}

void sm_api_txn_init_producer_id(sm_req_ctx_t *ctx, const char *tid, int32_t timeout_ms,
				 int64_t expected_pid, int16_t expected_epoch)
{
	sm_txn_coordinator_t *tc = sm_apit_tc(ctx);
	if (!tc) {
		sm_apit_init_done(ctx, SM_ERR_COORDINATOR_NOT_AVAILABLE, -1, -1);
		return;
	}
	/* A client that skipped FindCoordinator still gets the topic created
	 * (it is answered NOT_COORDINATOR until its partition is loaded). */
	sm_mc_snapshot_t *s = sm_metadata_cache_get(ctx->apis->d.metadata_cache);
	int exists = sm_mc_topic(s, SM_TXN_STATE_TOPIC) != NULL;
	sm_mc_snapshot_release(s);
	if (!exists)
		sm_apit_create_state_topic(ctx);
	sm_txn_coordinator_init_pid(tc, tid, timeout_ms, expected_pid, expected_epoch,
				    sm_apit_new_pid, ctx, sm_apit_init_done, ctx);
}

/* ---- AddPartitionsToTxn ---- */

typedef struct sm_apit_add {
	sm_req_ctx_t *ctx;
	sm_add_partitions_to_txn_req_t req;
	int16_t *errs; /* per request partition, flattened; -1: coordinator's */
} sm_apit_add_t;

static void sm_apit_add_respond(sm_apit_add_t *a, int16_t coordinator_err)
{
	sm_req_ctx_t *ctx = a->ctx;
	int16_t ver = ctx->hdr.api_version;
	sm_add_partitions_to_txn_resp_t resp;
	sm_add_partitions_to_txn_resp_init(&resp);
	int nt = a->req.v3_and_below_topics_cnt;
	resp.results_by_topic_v3_and_below =
		sm_arena_alloc_array(&ctx->arena, nt > 0 ? nt : 1, sizeof(*resp.results_by_topic_v3_and_below));
	resp.results_by_topic_v3_and_below_cnt = nt;
	int k = 0;
	for (int i = 0; i < nt; i++) {
		const sm_add_partitions_to_txn_req_topic_t *t = &a->req.v3_and_below_topics[i];
		sm_add_partitions_to_txn_resp_topic_result_t *rt = &resp.results_by_topic_v3_and_below[i];
		sm_add_partitions_to_txn_resp_topic_result_init(rt);
		rt->name = t->name;
		rt->results_by_partition = sm_arena_alloc_array(
			&ctx->arena, t->partitions_cnt > 0 ? t->partitions_cnt : 1,
			sizeof(*rt->results_by_partition));
		rt->results_by_partition_cnt = t->partitions_cnt;
		for (int j = 0; j < t->partitions_cnt; j++, k++) {
			rt->results_by_partition[j].partition_index = t->partitions[j];
			rt->results_by_partition[j].partition_error_code =
				a->errs[k] >= 0 ? a->errs[k] : coordinator_err;
		}
	}
	sm_add_partitions_to_txn_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}

static void sm_apit_add_done(void *arg, sm_err_t e, int64_t pid, int16_t epoch)
{
	(void)pid;
	(void)epoch;
	sm_apit_add_t *a = arg;
	if (e && e != SM_ERR_CONCURRENT_TRANSACTIONS)
		sm_apis_refused(a->ctx, "AddPartitionsToTxn for \"%.100s\": %s",
				a->req.v3_and_below_transactional_id, sm_err_name(e));
	sm_apit_add_respond(a, sm_apit_fenced(e, a->ctx->hdr.api_version, 2));
}

void sm_api_add_partitions_to_txn(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_apit_add_t *a = sm_arena_alloc(&ctx->arena, sizeof(*a));
	memset(a, 0, sizeof(*a));
	a->ctx = ctx;
	if (sm_add_partitions_to_txn_req_read(&ctx->body, ver, &ctx->arena, &a->req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	const sm_add_partitions_to_txn_req_t *r = &a->req;
	/* counts were checked against the bytes by the decoder; their sum
	 * cannot overflow an int64 */
	int64_t n = 0;
	for (int i = 0; i < r->v3_and_below_topics_cnt; i++)
		n += r->v3_and_below_topics[i].partitions_cnt;
	a->errs = sm_arena_alloc_array(&ctx->arena, n > 0 ? n : 1, sizeof(*a->errs));
	sm_txn_tp_t *tps = sm_arena_alloc_array(&ctx->arena, n > 0 ? n : 1, sizeof(*tps));
	if (!a->errs || !tps) {
		sm_apis_close(ctx, "AddPartitionsToTxn with %" PRId64 " partitions over budget", n);
		return;
	}
	const char *tid = r->v3_and_below_transactional_id;
	/* Kafka's order: Write on the transactional id fails every
	 * partition; then Write on each topic and the metadata, where any
	 * failed partition fails the request before the coordinator sees
	 * it (the others get OPERATION_NOT_ATTEMPTED). */
	if (!sm_apis_authorized(ctx, SM_ACL_OP_WRITE, SM_ACL_RES_TXN_ID, tid ? tid : "")) {
		for (int64_t i = 0; i < n; i++)
			a->errs[i] = -1;
		sm_apit_add_respond(a, SM_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
		return;
	}
	int unknown = 0, k = 0;
	sm_mc_snapshot_t *s = sm_metadata_cache_get(ctx->apis->d.metadata_cache);
	for (int i = 0; i < r->v3_and_below_topics_cnt; i++) {
		const sm_add_partitions_to_txn_req_topic_t *t = &r->v3_and_below_topics[i];
		const sm_mc_topic_t *mt = t->name ? sm_mc_topic(s, t->name) : NULL;
		/* internal topics are never authorised for a producer's
		 * writes; the others need Write (asked once per topic) */
		int internal = t->name && (!strcmp(t->name, SM_TXN_OFFSETS_TOPIC) ||
					   !strcmp(t->name, SM_TXN_STATE_TOPIC));
		int allowed = !internal && t->partitions_cnt > 0 &&
			      sm_apis_authorized(ctx, SM_ACL_OP_WRITE, SM_ACL_RES_TOPIC,
						 t->name ? t->name : "");
		for (int j = 0; j < t->partitions_cnt; j++, k++) {
			const sm_mc_partition_t *mp = mt ? sm_mc_partition(mt, t->partitions[j]) : NULL;
			a->errs[k] = -1;
			tps[k].topic = t->name;
			tps[k].partition = t->partitions[j];
			if (!allowed) {
				a->errs[k] = SM_ERR_TOPIC_AUTHORIZATION_FAILED;
				unknown++;
			} else if (!mp) {
				a->errs[k] = SM_ERR_UNKNOWN_TOPIC_OR_PARTITION;
				unknown++;
			}
		}
	}
	sm_mc_snapshot_release(s);
	if (unknown) {
		sm_apis_refused(ctx, "AddPartitionsToTxn for \"%.100s\": %d unknown or unauthorized partitions",
				tid ? tid : "", unknown);
		sm_apit_add_respond(a, SM_ERR_OPERATION_NOT_ATTEMPTED);
		return;
	}
	if (!tid || !*tid) {
		sm_apis_refused(ctx, "AddPartitionsToTxn without a transactional id");
		sm_apit_add_respond(a, SM_ERR_INVALID_REQUEST);
		return;
	}
	if (!sm_apit_tc(ctx)) {
		sm_apit_add_respond(a, SM_ERR_COORDINATOR_NOT_AVAILABLE);
		return;
	}
	sm_txn_coordinator_add_partitions(sm_apit_tc(ctx), tid, r->v3_and_below_producer_id,
					  r->v3_and_below_producer_epoch, tps, (int)n,
					  sm_apit_add_done, a);
}

/* ---- AddOffsetsToTxn ---- */

static void sm_apit_offsets_respond(sm_req_ctx_t *ctx, sm_err_t e)
{
	int16_t ver = ctx->hdr.api_version;
	sm_add_offsets_to_txn_resp_t resp;
	sm_add_offsets_to_txn_resp_init(&resp);
	resp.error_code = sm_apit_fenced(e, ver, 2);
	sm_add_offsets_to_txn_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}

/* sm_txn_reply_fn: the coordinator's answer. */
static void sm_apit_offsets_done(void *arg, sm_err_t e, int64_t pid, int16_t epoch)
{
	(void)pid;
	(void)epoch;
	sm_req_ctx_t *ctx = arg;
	if (e && e != SM_ERR_CONCURRENT_TRANSACTIONS)
		sm_apis_refused(ctx, "AddOffsetsToTxn: %s", sm_err_name(e));
	sm_apit_offsets_respond(ctx, e);
}

void sm_api_add_offsets_to_txn(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_add_offsets_to_txn_req_t req;
	if (sm_add_offsets_to_txn_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	/* Kafka: Write on the transactional id, then Read on the group */
	if (!sm_apis_authorized(ctx, SM_ACL_OP_WRITE, SM_ACL_RES_TXN_ID,
				req.transactional_id ? req.transactional_id : "")) {
		sm_apit_offsets_respond(ctx, SM_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
		return;
	}
	if (!sm_apis_authorized(ctx, SM_ACL_OP_READ, SM_ACL_RES_GROUP,
				req.group_id ? req.group_id : "")) {
		sm_apit_offsets_respond(ctx, SM_ERR_GROUP_AUTHORIZATION_FAILED);
		return;
	}
	if (!req.transactional_id || !*req.transactional_id || !req.group_id) {
		sm_apis_refused(ctx, "AddOffsetsToTxn without a transactional id or group");
		sm_apit_offsets_respond(ctx, SM_ERR_INVALID_REQUEST);
		return;
	}
	if (!sm_apit_tc(ctx)) {
		sm_apit_offsets_respond(ctx, SM_ERR_COORDINATOR_NOT_AVAILABLE);
		return;
	}
	/* The group's offsets partition joins the transaction, so the
	 * markers reach the group coordinator too. */
	sm_txn_tp_t tp = {
		.topic = SM_TXN_OFFSETS_TOPIC,
		.partition = sm_group_partition_for(req.group_id,
						    ctx->apis->d.cfg->offsets_topic_num_partitions),
	};
	sm_txn_coordinator_add_partitions(sm_apit_tc(ctx), req.transactional_id, req.producer_id,
					  req.producer_epoch, &tp, 1, sm_apit_offsets_done, ctx);
}

/* ---- EndTxn ---- */

static void sm_apit_end_respond(sm_req_ctx_t *ctx, sm_err_t e)
{
	int16_t ver = ctx->hdr.api_version;
	sm_end_txn_resp_t resp;
	sm_end_txn_resp_init(&resp);
	resp.error_code = sm_apit_fenced(e, ver, 2);
	sm_end_txn_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}

/* sm_txn_reply_fn: the coordinator's answer. */
static void sm_apit_end_done(void *arg, sm_err_t e, int64_t pid, int16_t epoch)
{
	(void)pid;
	(void)epoch;
	sm_req_ctx_t *ctx = arg;
	if (e && e != SM_ERR_CONCURRENT_TRANSACTIONS)
		sm_apis_refused(ctx, "EndTxn: %s", sm_err_name(e));
	sm_apit_end_respond(ctx, e);
}

void sm_api_end_txn(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_end_txn_req_t req;
	if (sm_end_txn_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	if (!sm_apis_authorized(ctx, SM_ACL_OP_WRITE, SM_ACL_RES_TXN_ID,
				req.transactional_id ? req.transactional_id : "")) {
		sm_apit_end_respond(ctx, SM_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
		return;
	}
	if (!req.transactional_id || !*req.transactional_id) {
		sm_apis_refused(ctx, "EndTxn without a transactional id");
		sm_apit_end_respond(ctx, SM_ERR_INVALID_REQUEST);
		return;
	}
	if (!sm_apit_tc(ctx)) {
		sm_apit_end_respond(ctx, SM_ERR_COORDINATOR_NOT_AVAILABLE);
		return;
	}
	sm_txn_coordinator_end(sm_apit_tc(ctx), req.transactional_id, req.producer_id,
			       req.producer_epoch, req.committed, sm_apit_end_done, ctx);
}
