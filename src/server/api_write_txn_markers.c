/*
 * api_write_txn_markers.c - WriteTxnMarkers (Kafka's
 * KafkaApis.handleWriteTxnMarkersRequest), versions 0-1: a transaction
 * coordinator asks the leader of each partition of a transaction to append
 * the COMMIT or ABORT marker. Each marker becomes a control batch appended
 * with acks=-1 semantics (sm_partition_append_marker): the answer waits in
 * the purgatory until the high watermark passes every marker, or
 * request.timeout.ms passes (REQUEST_TIMED_OUT), as Kafka's appendRecords
 * with requiredAcks -1 and the broker's request timeout. Appending the
 * marker completes the producer's transaction on that partition (LSO,
 * .txnindex for aborts); older producer epochs get INVALID_PRODUCER_EPOCH,
 * older coordinator epochs TRANSACTION_COORDINATOR_FENCED.
 *
 * A marker that reached a __consumer_offsets partition also ends the
 * producer's transactional offset commits there: once the answer is
 * settled, each such partition whose marker succeeded is handed to the
 * group coordinator (Kafka's scheduleHandleTxnCompletion), which commits
 * or drops the producer's pending offsets of that partition's groups.
 *
 * Thread-safety: runs on request handler threads; delayed answers complete
 * on the purgatory thread.
 */
#include "kafka_apis_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "group_coordinator.h"
#include "logger.h"
#include "msg_write_txn_markers.h"
#include "producer_state.h"

/* A marker appended to an offsets partition, for the group coordinator. */
typedef struct sm_wtm_offsets {
	int32_t partition;
	int64_t pid;
	int commit;
	const int16_t *error_code; /* the partition's answer */
} sm_wtm_offsets_t;

typedef struct sm_delayed_wtm {
	sm_req_ctx_t *ctx;
	sm_write_txn_markers_resp_t resp;
	sm_acks_wait_t *w;
	int n;
	sm_wtm_offsets_t *off;
	int n_off;
} sm_delayed_wtm_t;

static void sm_wtm_partition(sm_req_ctx_t *ctx, const sm_write_txn_markers_req_marker_t *m,
			     const char *topic, int32_t partition,
			     sm_write_txn_markers_resp_partition_t *rp, sm_acks_wait_t *w)
{
	rp->partition_index = partition;
	sm_partition_t *p;
	sm_err_t e = sm_replica_manager_leader_partition(ctx->apis->d.replica_manager, topic,
							 partition, &p);
	if (!e) {
		sm_ps_marker_t mk = { .pid = m->producer_id, .epoch = m->producer_epoch,
				      .coord_epoch = m->coordinator_epoch,
				      .aborted = m->transaction_result == 0 };
		sm_log_append_info_t ai;
		e = sm_partition_append_marker(p, &mk, &ai);
		if (!e) {
			w->p = p;
			w->required = ai.last_offset + 1;
			w->error_code = &rp->error_code;
		} else {
			sm_partition_release(p);
		}
	}
	if (e == SM_ERR_INVALID_PRODUCER_EPOCH || e == SM_ERR_TRANSACTION_COORDINATOR_FENCED)
		sm_log_info(NULL, "kafka.server.ReplicaManager",
			    "%s marker for producer %" PRId64 " (epoch %d, coordinator epoch %d) "
			    "to %s-%d from %s refused: %s",
			    m->transaction_result ? "COMMIT" : "ABORT", m->producer_id,
			    m->producer_epoch, m->coordinator_epoch, topic, partition,
			    ctx->req->peer, sm_err_name(e));
	else if (e)
		sm_log_debug(NULL, "kafka.server.ReplicaManager",
			     "Marker for producer %" PRId64 " to %s-%d from %s failed: %s",
			     m->producer_id, topic, partition, ctx->req->peer, sm_err_name(e));
	rp->error_code = (int16_t)(e ? sm_err_to_wire(e) : 0);
}

static int sm_wtm_try_complete(void *arg, int expired)
{
	sm_delayed_wtm_t *dw = arg;
	if (!sm_apis_acks_settle(dw->w, dw->n, expired))
		return 0;
	/* before the answer, so that the transaction's offsets are visible
	 * to OffsetFetch by the time the coordinator hears the marker is in */
	sm_group_coordinator_t *gc = dw->ctx->apis->d.group_coordinator;
	for (int i = 0; gc && i < dw->n_off; i++)
		if (*dw->off[i].error_code == 0)
			sm_group_coordinator_txn_completion(gc, dw->off[i].partition, dw->off[i].pid,
							    dw->off[i].commit);
	sm_write_txn_markers_resp_write(sm_apis_resp_begin(dw->ctx), dw->ctx->hdr.api_version,
					&dw->resp);
	sm_apis_resp_send(dw->ctx);
	free(dw->w);
	free(dw->off);
	free(dw);
	return 1;
}

void sm_api_write_txn_markers(sm_req_ctx_t *ctx)
{
	sm_write_txn_markers_req_t req;
	if (sm_write_txn_markers_req_read(&ctx->body, ctx->hdr.api_version, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_delayed_wtm_t *dw = sm_calloc(1, sizeof(*dw));
	dw->ctx = ctx;
	sm_write_txn_markers_resp_t *resp = &dw->resp;
	resp->markers_cnt = req.markers_cnt;
	resp->markers = sm_arena_alloc(&ctx->arena,
				       sizeof(*resp->markers) * (size_t)(req.markers_cnt + 1));
	/* counts are bounded by the request's bytes (the codec checks them) */
	size_t nw = 0;
	for (int32_t i = 0; i < req.markers_cnt; i++)
		for (int32_t j = 0; j < req.markers[i].topics_cnt; j++)
			nw += (size_t)req.markers[i].topics[j].partition_indexes_cnt;
	dw->w = sm_calloc(nw + 1, sizeof(*dw->w));
	dw->off = sm_calloc(nw + 1, sizeof(*dw->off));
	/* sent by transaction coordinators only (Kafka: ClusterAction) */
	int allowed = sm_apis_authorized(ctx, SM_ACL_OP_CLUSTER_ACTION, SM_ACL_RES_CLUSTER, NULL);
	for (int32_t i = 0; i < req.markers_cnt; i++) {
		const sm_write_txn_markers_req_marker_t *m = &req.markers[i];
		sm_write_txn_markers_resp_marker_t *om = &resp->markers[i];
		om->producer_id = m->producer_id;
		om->topics_cnt = m->topics_cnt;
		om->topics = sm_arena_alloc(&ctx->arena,
					    sizeof(*om->topics) * (size_t)(m->topics_cnt + 1));
		for (int32_t j = 0; j < m->topics_cnt; j++) {
			const sm_write_txn_markers_req_topic_t *t = &m->topics[j];
			sm_write_txn_markers_resp_topic_t *ot = &om->topics[j];
			ot->name = t->name;
			ot->partitions_cnt = t->partition_indexes_cnt;
			ot->partitions = sm_arena_alloc(&ctx->arena, sizeof(*ot->partitions) *
								     (size_t)(t->partition_indexes_cnt + 1));
			for (int32_t k = 0; k < t->partition_indexes_cnt; k++) {
				if (!allowed) {
					ot->partitions[k].partition_index = t->partition_indexes[k];
					ot->partitions[k].error_code = SM_ERR_CLUSTER_AUTHORIZATION_FAILED;
					continue;
				}
				sm_wtm_partition(ctx, m, t->name, t->partition_indexes[k],
						 &ot->partitions[k], &dw->w[dw->n]);
				if (dw->w[dw->n].p && !strcmp(t->name, SM_GC_OFFSETS_TOPIC)) {
					sm_wtm_offsets_t *o = &dw->off[dw->n_off++];
					o->partition = t->partition_indexes[k];
					o->pid = m->producer_id;
					o->commit = m->transaction_result != 0;
					o->error_code = &ot->partitions[k].error_code;
				}
				dw->n += dw->w[dw->n].p != NULL;
			}
		}
	}
	if (sm_wtm_try_complete(dw, 0))
		return;
	int64_t timeout = ctx->apis->d.cfg ? ctx->apis->d.cfg->request_timeout_ms : 30000;
	sm_apis_park_acks(ctx, sm_clock_mono_ms() + timeout, sm_wtm_try_complete, dw, dw->w, dw->n);
}
