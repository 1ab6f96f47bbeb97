/*
 * api_replication.c - OffsetForLeaderEpoch (Kafka's
 * KafkaApis.handleOffsetForLeaderEpochRequest): for each partition this
 * broker leads, the largest leader epoch <= the requested one and the
 * offset where it ends (the next epoch's start, or the log end offset for
 * the current epoch), from the partition's leader epoch cache. Followers
 * use it to truncate by epoch; consumers to detect log truncation.
 *
 * Thread-safety: runs on request handler threads.
 */
#include "kafka_apis_int.h"

#include "msg_offset_for_leader_epoch.h"

void sm_api_offset_for_leader_epoch(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_offset_for_leader_epoch_req_t req;
	if (sm_offset_for_leader_epoch_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_offset_for_leader_epoch_resp_t resp = { 0 };
	resp.topics_cnt = req.topics_cnt;
	resp.topics = sm_arena_alloc(&ctx->arena, sizeof(*resp.topics) * (size_t)(req.topics_cnt + 1));
	/* followers need ClusterAction, consumers (KIP-320) Describe on the
	 * topic */
	int cluster = sm_apis_authorized_quiet(ctx, SM_ACL_OP_CLUSTER_ACTION, SM_ACL_RES_CLUSTER,
					       NULL);
	for (int32_t i = 0; i < req.topics_cnt; i++) {
		const sm_offset_for_leader_epoch_req_topic_t *rt = &req.topics[i];
		int allowed = cluster || sm_apis_authorized(ctx, SM_ACL_OP_DESCRIBE, SM_ACL_RES_TOPIC,
							    rt->topic);
		sm_offset_for_leader_epoch_resp_topic_t *ot = &resp.topics[i];
		ot->topic = rt->topic;
		ot->partitions_cnt = rt->partitions_cnt;
		ot->partitions = sm_arena_alloc(&ctx->arena,
						sizeof(*ot->partitions) * (size_t)(rt->partitions_cnt + 1));
		for (int32_t j = 0; j < rt->partitions_cnt; j++) {
			const sm_offset_for_leader_epoch_req_partition_t *rp = &rt->partitions[j];
			sm_offset_for_leader_epoch_resp_partition_t *op = &ot->partitions[j];
			op->partition = rp->partition;
			if (!allowed) {
				op->error_code = SM_ERR_TOPIC_AUTHORIZATION_FAILED;
				op->leader_epoch = -1;
				op->end_offset = -1;
				continue;
			}
			sm_err_t e = sm_replica_manager_epoch_end_offset(
				ctx->apis->d.replica_manager, rt->topic, rp->partition,
				rp->current_leader_epoch, rp->leader_epoch, &op->leader_epoch,
				&op->end_offset);
			op->error_code = (int16_t)sm_err_to_wire(e);
		}
	}
	sm_offset_for_leader_epoch_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}
