/*
 * api_init_producer_id.c - InitProducerId (Kafka's
 * KafkaApis.handleInitProducerIdRequest and
 * TransactionCoordinator.handleInitProducerId), versions 0-4.
 *
 * An idempotent producer (null transactional id) gets a fresh producer id
 * from this broker's block (producer_id_manager.h) and epoch 0, from any
 * broker, as in Kafka. A request with a transactional id passes Kafka's
 * request checks (empty id, transaction.max.timeout.ms) and goes to the
 * transaction coordinator (api_txn.c, txn_coordinator.h), which answers it.
 *
 * Thread-safety: runs on request handler threads.
 */
#include "kafka_apis_int.h"

#include <inttypes.h>

#include "logger.h"
#include "msg_init_producer_id.h"
#include "producer_id_manager.h"

void sm_api_init_producer_id(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_init_producer_id_req_t req;
	if (sm_init_producer_id_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_init_producer_id_resp_t resp;
	sm_init_producer_id_resp_init(&resp);
	/* An error answer carries no producer: id and epoch -1, as Kafka's
	 * InitProducerIdRequest.getErrorResponse */
	resp.producer_id = -1;
	resp.producer_epoch = -1;
	/* Kafka's order: a half-set producer id/epoch pair first (KafkaApis),
	 * then the coordinator's checks of a transactional request */
	int half_set = ver >= 3 && ((req.producer_id == -1) != (req.producer_epoch == -1));
	if (half_set) {
		resp.error_code = SM_ERR_INVALID_REQUEST;
		sm_apis_refused(ctx, "producer id %" PRId64 " with epoch %d", req.producer_id,
				req.producer_epoch);
	} else if (req.transactional_id && *req.transactional_id &&
		   !sm_apis_authorized(ctx, SM_ACL_OP_WRITE, SM_ACL_RES_TXN_ID, req.transactional_id)) {
		resp.error_code = SM_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
	} else if (!req.transactional_id &&
		   !sm_apis_authorized_quiet(ctx, SM_ACL_OP_IDEMPOTENT_WRITE, SM_ACL_RES_CLUSTER, NULL) &&
		   !sm_apis_authorized_any(ctx, SM_ACL_OP_WRITE, SM_ACL_RES_TOPIC)) {
		/* Kafka: IdempotentWrite on the cluster, or Write on some topic */
		resp.error_code = SM_ERR_CLUSTER_AUTHORIZATION_FAILED;
	} else if (req.transactional_id) {
		if (!*req.transactional_id) {
			resp.error_code = SM_ERR_INVALID_REQUEST;
			sm_apis_refused(ctx, "empty transactional id");
		} else if (req.transaction_timeout_ms <= 0 ||
			   req.transaction_timeout_ms > ctx->apis->d.cfg->transaction_max_timeout_ms) {
			resp.error_code = SM_ERR_INVALID_TRANSACTION_TIMEOUT;
			sm_apis_refused(ctx, "transaction timeout %d ms outside 1..%d",
					req.transaction_timeout_ms,
					ctx->apis->d.cfg->transaction_max_timeout_ms);
		} else {
			/* the transaction coordinator answers (api_txn.c) */
			sm_api_txn_init_producer_id(ctx, req.transactional_id,
						    req.transaction_timeout_ms,
						    ver >= 3 ? req.producer_id : -1,
						    ver >= 3 ? req.producer_epoch : -1);
			return;
		}
	} else if (!ctx->apis->pid_manager) {
		resp.error_code = SM_ERR_COORDINATOR_NOT_AVAILABLE;
	} else {
		int64_t pid;
		sm_err_t e = sm_pid_manager_next(ctx->apis->pid_manager, &pid);
		if (e) {
			resp.error_code = (int16_t)e;
			sm_apis_refused(ctx, "no producer id available (%s)", sm_err_name(e));
		} else {
			/* the transaction timeout is not checked for an
			 * idempotent producer (clients send -1 or INT32_MAX) */
			resp.producer_id = pid;
			resp.producer_epoch = 0;
			sm_log_debug(NULL, "kafka.server.KafkaApis",
				     "Assigned producer id %" PRId64 " to %s", pid, ctx->req->peer);
		}
	}
	sm_init_producer_id_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}
