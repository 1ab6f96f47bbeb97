/*
 * api_controller.c - the requests a broker receives from the controller:
 * LeaderAndIsr, UpdateMetadata and StopReplica (Kafka's
 * KafkaApis.handleLeaderAndIsrRequest / handleUpdateMetadataRequest /
 * handleStopReplicaRequest). The broker applies them to its replica manager
 * and metadata cache; a request naming an older registration of this broker
 * is refused with STALE_BROKER_EPOCH, one from a controller with a stale
 * epoch with STALE_CONTROLLER_EPOCH.
 *
 * Thread-safety: runs on request handler threads; the replica manager and the
 * metadata cache are thread-safe.
 */
#include "kafka_apis_int.h"

#include <string.h>

#include "logger.h"
#include "msg_leader_and_isr.h"
#include "msg_interbroker.h"
#include "msg_stop_replica.h"
#include "msg_update_metadata.h"
#include "txn_marker_channel.h"

/* Kafka's isBrokerEpochStale: a control request from a controller that
 * knew an older registration of this broker (KIP-380); -1 (a request
 * version without the field) is never stale. */
static int sm_apic_stale_broker_epoch(sm_req_ctx_t *ctx, const char *what, int64_t epoch)
{
	const int64_t *cur = ctx->apis->d.broker_epoch;
	if (epoch == -1 || !cur)
		return 0;
	int64_t mine = __atomic_load_n(cur, __ATOMIC_ACQUIRE);
	if (epoch >= mine)
		return 0;
	sm_apis_refused(ctx, "%s with broker epoch %lld, older than this broker's %lld", what,
			(long long)epoch, (long long)mine);
	return 1;
}

/* Kafka's LeaderAndIsrRequest.getErrorResponse for a refused request: the
 * error at the top and on every partition (nested by topic id for v5 by
 * sm_leader_and_isr_resp_nest, as the replica manager's answer is). */
static void sm_lai_refuse_all(sm_req_ctx_t *ctx, const sm_leader_and_isr_req_t *req,
			      sm_leader_and_isr_resp_t *resp, int16_t err)
{
	int32_t n = req->ungrouped_partition_states_cnt;
	resp->error_code = err;
	resp->partition_errors = sm_arena_alloc(&ctx->arena, sizeof(*resp->partition_errors) *
								     (size_t)(n + 1));
	resp->partition_errors_cnt = n;
	for (int32_t i = 0; i < n; i++) {
		const sm_leader_and_isr_req_partition_state_t *st = &req->ungrouped_partition_states[i];
		sm_leader_and_isr_resp_partition_error_t *pe = &resp->partition_errors[i];
		pe->topic_name = st->topic_name;
		pe->partition_index = st->partition_index;
		pe->error_code = err;
	}
}

void sm_api_leader_and_isr(sm_req_ctx_t *ctx)
{
	sm_leader_and_isr_req_t req;
	if (sm_leader_and_isr_req_read(&ctx->body, ctx->hdr.api_version, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	/* The replica manager reads the normalized form (msg_interbroker.h). */
	sm_leader_and_isr_normalize(&req, ctx->hdr.api_version, &ctx->arena);
	sm_leader_and_isr_resp_t resp;
	sm_leader_and_isr_resp_init(&resp);
	/* controller requests need ClusterAction (brokers are super users) */
	if (!sm_apis_authorized(ctx, SM_ACL_OP_CLUSTER_ACTION, SM_ACL_RES_CLUSTER, NULL))
		sm_lai_refuse_all(ctx, &req, &resp, SM_ERR_CLUSTER_AUTHORIZATION_FAILED);
	else if (sm_apic_stale_broker_epoch(ctx, "LeaderAndIsr", req.broker_epoch))
		sm_lai_refuse_all(ctx, &req, &resp, SM_ERR_STALE_BROKER_EPOCH);
	else
		sm_replica_manager_leader_and_isr(ctx->apis->d.replica_manager, &req, &ctx->arena,
						  &resp);
	sm_leader_and_isr_resp_nest(&resp, ctx->hdr.api_version, &req, &ctx->arena);
	sm_leader_and_isr_resp_write(sm_apis_resp_begin(ctx), ctx->hdr.api_version, &resp);
	sm_apis_resp_send(ctx);
}

void sm_api_update_metadata(sm_req_ctx_t *ctx)
{
	sm_update_metadata_req_t req;
	/* The cache reads the normalized form (msg_interbroker.h). */
	if (sm_update_metadata_req_read(&ctx->body, ctx->hdr.api_version, &ctx->arena, &req) ||
	    sm_update_metadata_normalize(&req, ctx->hdr.api_version, &ctx->arena)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_update_metadata_resp_t resp;
	sm_update_metadata_resp_init(&resp);
	if (!sm_apis_authorized(ctx, SM_ACL_OP_CLUSTER_ACTION, SM_ACL_RES_CLUSTER, NULL))
		resp.error_code = SM_ERR_CLUSTER_AUTHORIZATION_FAILED;
	else if (sm_apic_stale_broker_epoch(ctx, "UpdateMetadata", req.broker_epoch))
		resp.error_code = SM_ERR_STALE_BROKER_EPOCH;
	else
		resp.error_code =
			(int16_t)sm_metadata_cache_update(ctx->apis->d.metadata_cache, &req);
	/* Topic-admin requests parked until the metadata shows their result. */
	if (resp.error_code == SM_ERR_NONE)
		sm_purgatory_check(ctx->apis->purgatory, SM_OP_KEY_METADATA.name, SM_OP_KEY_METADATA.id);
	/* Markers waiting for a partition's new leader go out now. */
	if (resp.error_code == SM_ERR_NONE && ctx->apis->d.txn_markers)
		sm_txn_marker_channel_metadata_changed(ctx->apis->d.txn_markers);
	if (resp.error_code == SM_ERR_NONE)
		sm_log(SM_LOGFILE_STATE_CHANGE, SM_LOG_TRACE, NULL, "state.change.logger",
		       "Cached metadata of %d partitions and %d live brokers from controller %d epoch %d",
		       req.ungrouped_partition_states_cnt, req.live_brokers_cnt, req.controller_id, req.controller_epoch);
	sm_update_metadata_resp_write(sm_apis_resp_begin(ctx), ctx->hdr.api_version, &resp);
	sm_apis_resp_send(ctx);
}

void sm_api_stop_replica(sm_req_ctx_t *ctx)
{
	sm_stop_replica_req_t req;
	if (sm_stop_replica_req_read(&ctx->body, ctx->hdr.api_version, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	/* One flat partition list whatever the version's layout. */
	int32_t n;
	sm_stop_replica_partition_t *parts = sm_stop_replica_flatten(&req, ctx->hdr.api_version,
								     &ctx->arena, &n);
	sm_stop_replica_resp_t resp;
	sm_stop_replica_resp_init(&resp);
	int16_t refused = 0;
	if (!sm_apis_authorized(ctx, SM_ACL_OP_CLUSTER_ACTION, SM_ACL_RES_CLUSTER, NULL))
		refused = SM_ERR_CLUSTER_AUTHORIZATION_FAILED;
	else if (sm_apic_stale_broker_epoch(ctx, "StopReplica", req.broker_epoch))
		refused = SM_ERR_STALE_BROKER_EPOCH;
	if (refused) {
		/* Kafka's getErrorResponse: the error on every partition too */
		resp.error_code = refused;
		resp.partition_errors = sm_arena_alloc(&ctx->arena, sizeof(*resp.partition_errors) *
									    (size_t)(n + 1));
		for (int32_t i = 0; i < n; i++) {
			sm_stop_replica_resp_partition_error_t *e = &resp.partition_errors[i];
			e->topic_name = parts[i].topic;
			e->partition_index = parts[i].partition;
			e->error_code = refused;
		}
		resp.partition_errors_cnt = n;
	} else {
		sm_replica_manager_stop_replica(ctx->apis->d.replica_manager, req.controller_epoch,
						parts, n, &ctx->arena, &resp);
	}
	sm_stop_replica_resp_write(sm_apis_resp_begin(ctx), ctx->hdr.api_version, &resp);
	sm_apis_resp_send(ctx);
}
