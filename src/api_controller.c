/*
 * api_controller.c - the requests a broker receives from the controller:
 * LeaderAndIsr, UpdateMetadata and StopReplica (Kafka's
 * KafkaApis.handleLeaderAndIsrRequest / handleUpdateMetadataRequest /
 * handleStopReplicaRequest). The broker applies them to its replica manager
 * and metadata cache; a request from a controller with a stale epoch is
 * refused with STALE_CONTROLLER_EPOCH.
 *
 * Thread-safety: runs on request handler threads; the replica manager and the
 * metadata cache are thread-safe.
 */
#include "kafka_apis_int.h"

#include "logger.h"
#include "msg_leader_and_isr.h"
#include "msg_interbroker.h"
#include "msg_stop_replica.h"
#include "msg_update_metadata.h"

void sm_api_leader_and_isr(sm_req_ctx_t *ctx)
{
	sm_leader_and_isr_req_t req;
	if (sm_leader_and_isr_req_read(&ctx->body, ctx->hdr.api_version, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_leader_and_isr_resp_t resp = { 0 };
	/* controller requests need ClusterAction (brokers are super users) */
	if (!sm_apis_authorized(ctx, SM_ACL_OP_CLUSTER_ACTION, SM_ACL_RES_CLUSTER, NULL))
		resp.error_code = SM_ERR_CLUSTER_AUTHORIZATION_FAILED;
	else
		sm_replica_manager_leader_and_isr(ctx->apis->d.replica_manager, &req, &ctx->arena,
						  &resp);
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
	else
		resp.error_code =
			(int16_t)sm_metadata_cache_update(ctx->apis->d.metadata_cache, &req);
	/* Topic-admin requests parked until the metadata shows their result. */
	if (resp.error_code == SM_ERR_NONE)
		sm_fetch_purgatory_notify(ctx->apis->fetch_purgatory, NULL);
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
	if (!sm_apis_authorized(ctx, SM_ACL_OP_CLUSTER_ACTION, SM_ACL_RES_CLUSTER, NULL))
		resp.error_code = SM_ERR_CLUSTER_AUTHORIZATION_FAILED;
	else
		sm_replica_manager_stop_replica(ctx->apis->d.replica_manager, req.controller_epoch,
						parts, n, &ctx->arena, &resp);
	sm_stop_replica_resp_write(sm_apis_resp_begin(ctx), ctx->hdr.api_version, &resp);
	sm_apis_resp_send(ctx);
}
