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
 * Thread-safety: runs on request handler threads.
 */
#include "kafka_apis_int.h"

#include "msg_sasl_authenticate.h"
#include "msg_sasl_handshake.h"

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
