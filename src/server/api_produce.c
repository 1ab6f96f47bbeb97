/*
 * api_produce.c - Produce (Kafka's KafkaApis.handleProduceRequest +
 * ReplicaManager.appendRecords + LogValidator): validates each partition's
 * records, converts legacy message sets (Produce v0-2) to one v2 batch as a
 * broker with message format v2 does, recompresses when the topic's
 * compression.type asks for another codec, and appends on the leader.
 *
 * acks=0 gets no response; if any partition failed the connection is closed
 * instead, the only signal such a producer gets (as Kafka does). acks=1 is
 * answered after the leader's append. acks=-1 waits (DelayedProduce in the
 * purgatory, delayed_op.h) until the high watermark passes every appended
 * batch, i.e. every ISR member has it, or the request's timeout_ms passes
 * (REQUEST_TIMED_OUT); an ISR that shrank below min.insync.replicas meanwhile
 * gives NOT_ENOUGH_REPLICAS_AFTER_APPEND.
 *
 * Thread-safety: runs on request handler threads; a delayed produce
 * completes on the handler whose follower fetch moved the high watermark
 * (after that request is handled), or on the purgatory thread (its first
 * try, its deadline, changes made by other threads).
 */
#include "client_quota.h"
#include "kafka_apis_int.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "logger.h"
#include "message_set.h"
#include "metrics.h"
#include "msg_produce.h"
#include "record_batch.h"

typedef struct sm_delayed_produce {
	sm_req_ctx_t *ctx;
	sm_produce_resp_t resp;
	sm_acks_wait_t *w;
	int n;
} sm_delayed_produce_t;

static int sm_produce_internal_topic(const char *t)
{
	return !strcmp(t, "__consumer_offsets") || !strcmp(t, "__transaction_state");
}

/* Where a v0/v1 message set and a v2 batch keep their magic byte. */
#define SM_PRODUCE_MAGIC_OFFSET 16

/* Whether a refused partition answers its log start offset: Kafka's
 * ReplicaManager gives -1 for the errors it expects (too large, corrupt,
 * storage) and the partition's log start offset for every other failure of
 * an append (invalid records, timestamps, producer state). zstd before v7
 * is refused while the request is parsed, before any log: -1 too. */
static int sm_produce_error_has_log_start(sm_err_t e)
{
	return e != SM_ERR_CORRUPT_MESSAGE && e != SM_ERR_MESSAGE_TOO_LARGE &&
	       e != SM_ERR_RECORD_LIST_TOO_LARGE && e != SM_ERR_KAFKA_STORAGE_ERROR &&
	       e != SM_ERR_UNSUPPORTED_COMPRESSION_TYPE;
}

/* Whether the records of Produce v3+ are one whole v2 batch: what Kafka's
 * ProduceRequest checks while parsing (no batch, a partial one, several, or
 * an older magic fail the partition there, before any log is involved, so
 * with log start offset -1). */
static int sm_produce_one_batch(const sm_produce_req_partition_data_t *pp)
{
	const uint8_t *b = (const uint8_t *)pp->records.ptr;
	if (pp->records.len <= SM_PRODUCE_MAGIC_OFFSET || b[SM_PRODUCE_MAGIC_OFFSET] != 2)
		return 0;
	uint32_t blen = (uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 | (uint32_t)b[10] << 8 | b[11];
	return (uint64_t)blen + 12 == (uint64_t)pp->records.len;
}

/* Validates and appends one partition's records; fills rp. */
static void sm_produce_partition(sm_req_ctx_t *ctx, const sm_produce_req_t *req, const char *topic,
				 const sm_produce_req_partition_data_t *pp,
				 sm_produce_resp_partition_response_t *rp, sm_acks_wait_t *wait)
{
	int16_t ver = ctx->hdr.api_version;
	rp->index = pp->index;
	rp->base_offset = -1;
	rp->log_append_time_ms = -1;
	rp->log_start_offset = -1;
	if (sm_produce_internal_topic(topic)) {
		rp->error_code = SM_ERR_INVALID_TOPIC_EXCEPTION;
		return;
	}
	sm_partition_t *p;
	sm_err_t e = sm_replica_manager_leader_partition(ctx->apis->d.replica_manager, topic,
							 pp->index, &p);
	if (e) {
		rp->error_code = (int16_t)e;
		return;
	}
	const sm_topic_config_t *tc = sm_partition_config_acquire(p);
	sm_wbuf_t conv;
	sm_wbuf_init(&conv, 0);
	uint8_t *batch = (uint8_t *)pp->records.ptr;
	size_t len = pp->records.len > 0 ? (size_t)pp->records.len : 0;
	sm_batch_info_t info = { 0 };
	sm_batch_validate_opts_t o = {
		.now = sm_clock_wall_ms(),
		.max_timestamp_diff_ms = tc->timestamp_difference_max_ms,
		.log_append_time = tc->log.message_timestamp_type == SM_LOG_TIMESTAMP_LOG_APPEND_TIME,
		.compacted = tc->compact,
		.max_message_bytes = tc->max_message_bytes,
		.allow_zstd = ver >= 7,
	};
	if (len == 0) {
		e = SM_ERR_INVALID_RECORD;
	} else if (ver < 3 && !(len > SM_PRODUCE_MAGIC_OFFSET && batch[SM_PRODUCE_MAGIC_OFFSET] >= 2)) {
		/* Legacy message set: up-convert to one v2 batch, then hold it
		 * to the same rules as a batch a new client sends. A v2 batch
		 * in Produce v0-v2 is taken as it is, as Kafka 2.8 does (its
		 * ProduceRequest checks the magic only from v3 on). */
		e = sm_msgset_to_batch(batch, len, o.now, &conv, &info);
		if (!e && info.count == 0)
			e = SM_ERR_INVALID_RECORD;
		batch = conv.p;
		len = conv.len;
		if (!e)
			e = sm_batch_validate(batch, len, &o, &info);
	} else {
		e = sm_batch_validate(batch, len, &o, &info);
	}
	if (!e && info.is_transactional && !req->transactional_id)
		/* Kafka authorizes the transactional id of a request carrying
		 * transactional batches; a null one fails that (53). As 2.8,
		 * nothing checks that the partition was added to a transaction:
		 * the batch opens (or continues) its producer's transaction */
		e = SM_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
	if (!e && tc->compression_type >= 0 && (sm_codec_t)tc->compression_type != info.codec) {
		sm_wbuf_t re;
		sm_wbuf_init(&re, len);
		e = sm_batch_recompress(batch, len, (sm_codec_t)tc->compression_type, 0, &re);
		sm_wbuf_free(&conv);
		conv = re;
		batch = conv.p;
		len = conv.len;
	}
	if (!e) {
		sm_log_append_info_t ai;
		e = sm_partition_append_leader(p, batch, len, req->acks, &ai);
		if (!e && ai.duplicate)
			sm_log_debug(NULL, "kafka.server.ReplicaManager",
				     "Produce to %s-%d from %s: duplicate of the batch at offset %lld "
				     "(producer %lld), answered with its offsets", topic, pp->index,
				     ctx->req->peer, (long long)ai.base_offset,
				     (long long)info.producer_id);
		if (!e) {
			/* Kafka's bytesIn: the records as the client sent them. */
			sm_metrics_produce(topic, ai.last_offset - ai.base_offset + 1,
					   pp->records.len);
			rp->base_offset = ai.base_offset;
			rp->log_append_time_ms = ai.log_append_time;
			rp->log_start_offset = ai.log_start_offset;
			if (req->acks == -1) {
				wait->p = sm_partition_keep(p);
				wait->required = ai.last_offset + 1;
				wait->error_code = &rp->error_code;
			}
		}
	}
	if (e && sm_produce_error_has_log_start(e) && (ver < 3 || sm_produce_one_batch(pp)))
		rp->log_start_offset = sm_log_start_offset(sm_partition_log(p));
	if (e == SM_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER || e == SM_ERR_INVALID_PRODUCER_EPOCH ||
	    e == SM_ERR_INVALID_TXN_STATE || e == SM_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
		sm_log_info(NULL, "kafka.server.ReplicaManager",
			    "Produce to %s-%d from %s refused: %s (producer %lld, epoch %d, first "
			    "sequence %d)", topic, pp->index, ctx->req->peer, sm_err_name(e),
			    (long long)info.producer_id, info.producer_epoch, info.base_sequence);
	else if (e == SM_ERR_CORRUPT_MESSAGE || e == SM_ERR_INVALID_RECORD)
		/* Bad data from the client: worth a line naming it. */
		sm_log_info(NULL, "kafka.server.ReplicaManager",
			    "Produce to %s-%d from %s refused: %s (%zu bytes)", topic,
			    pp->index, ctx->req->peer, sm_err_name(e), len);
	else if (e)
		sm_log_debug(NULL, "kafka.server.ReplicaManager",
			     "Produce to %s-%d from %s failed: %s", topic, pp->index,
			     ctx->req->peer, sm_err_name(e));
	rp->error_code = (int16_t)(e ? sm_err_to_wire(e) : 0);
	if (e == SM_ERR_MESSAGE_TOO_LARGE)
		sm_metrics_bytes_rejected(topic, (int64_t)pp->records.len);
	sm_metrics_produce_partition(topic, e != SM_ERR_NONE);
	sm_wbuf_free(&conv);
	sm_topic_config_release(tc);
	sm_partition_release(p);
}

/* Kafka's produce response callback records the produce quota on the whole
 * request's size, throttled or not, and (but for acks=0) the request quota,
 * when the response is ready: for acks=-1 after the wait, the request then
 * charged its handler time only (sm_apis_request_quota_now). */
static void sm_produce_quota(sm_req_ctx_t *ctx, int16_t acks, sm_produce_resp_t *resp)
{
	int32_t bw = sm_apis_quota_record(ctx, SM_QUOTA_PRODUCE, (double)ctx->req->len);
	if (acks == 0)
		ctx->request_quota_done = 1;
	int32_t rq = sm_apis_request_quota_now(ctx);
	resp->throttle_time_ms = bw > rq ? bw : rq;
	sm_apis_quota_throttled(ctx, bw > rq ? SM_QUOTA_PRODUCE : SM_QUOTA_REQUEST,
				resp->throttle_time_ms);
}

/* Settles what can be settled; answers when nothing is left or the
 * deadline passed (sm_delayed_op_fn). */
static int sm_produce_try_complete(void *arg, int expired)
{
	sm_delayed_produce_t *dp = arg;
	if (!sm_apis_acks_settle(dp->w, dp->n, expired))
		return 0;
	sm_produce_quota(dp->ctx, -1, &dp->resp);
	sm_produce_resp_write(sm_apis_resp_begin(dp->ctx), dp->ctx->hdr.api_version, &dp->resp);
	sm_apis_resp_send(dp->ctx);
	free(dp->w);
	free(dp);
	return 1;
}

/* acks=-1: answers now if every partition is settled, else parks. */
static void sm_produce_await(sm_req_ctx_t *ctx, const sm_produce_req_t *req,
			     const sm_produce_resp_t *resp, sm_acks_wait_t *w, int n)
{
	sm_delayed_produce_t *dp = sm_calloc(1, sizeof(*dp));
	dp->ctx = ctx;
	dp->resp = *resp;
	dp->w = w;
	dp->n = n;
	if (sm_produce_try_complete(dp, 0))
		return;
	int64_t timeout = req->timeout_ms > 0 ? req->timeout_ms : 0;
	sm_apis_park_acks(ctx, sm_clock_mono_ms() + timeout, sm_produce_try_complete, dp, w, n);
}

void sm_api_produce(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_produce_req_t req;
	if (sm_produce_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_produce_resp_t resp;
	sm_produce_resp_init(&resp);
	resp.responses_cnt = req.topic_data_cnt;
	resp.responses = sm_arena_alloc(&ctx->arena, sizeof(*resp.responses) * (size_t)(req.topic_data_cnt + 1));
	int failed = 0, nw = 0;
	int16_t all_err = req.acks == 0 || req.acks == 1 || req.acks == -1 ? 0 :
			  SM_ERR_INVALID_REQUIRED_ACKS;
	if (!all_err && req.transactional_id &&
	    !sm_apis_authorized(ctx, SM_ACL_OP_WRITE, SM_ACL_RES_TXN_ID, req.transactional_id))
		all_err = SM_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
	for (int t = 0; t < req.topic_data_cnt; t++)
		nw += req.topic_data[t].partition_data_cnt;
	sm_acks_wait_t *waits = sm_calloc((size_t)nw + 1, sizeof(*waits));
	nw = 0;
	for (int t = 0; t < req.topic_data_cnt; t++) {
		const sm_produce_req_topic_data_t *rt = &req.topic_data[t];
		sm_produce_resp_response_t *ot = &resp.responses[t];
		ot->name = rt->name;
		ot->partition_responses_cnt = rt->partition_data_cnt;
		ot->partition_responses = sm_arena_alloc(&ctx->arena, sizeof(*ot->partition_responses) *
								      (size_t)(rt->partition_data_cnt + 1));
		int16_t topic_err = all_err;
		if (!topic_err && !sm_apis_authorized(ctx, SM_ACL_OP_WRITE, SM_ACL_RES_TOPIC, rt->name))
			topic_err = SM_ERR_TOPIC_AUTHORIZATION_FAILED;
		for (int i = 0; i < rt->partition_data_cnt; i++) {
			sm_produce_resp_partition_response_t *rp = &ot->partition_responses[i];
			sm_produce_resp_partition_response_init(rp);
			if (topic_err) {
				rp->index = rt->partition_data[i].index;
				rp->error_code = topic_err;
				rp->base_offset = rp->log_append_time_ms = rp->log_start_offset = -1;
			} else {
				sm_produce_partition(ctx, &req, rt->name, &rt->partition_data[i], rp,
						     &waits[nw]);
				nw += waits[nw].p != NULL;
			}
			failed |= rp->error_code != 0;
		}
	}
	if (req.acks == -1) {
		sm_produce_await(ctx, &req, &resp, waits, nw);
		return;
	}
	free(waits);
	sm_produce_quota(ctx, req.acks, &resp);
	if (req.acks == 0) {
		if (failed)
			sm_apis_close(ctx, "acks=0 produce request failed for at least one partition");
		else
			sm_apis_resp_none(ctx);
		return;
	}
	sm_produce_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}
