/*
 * api_list_offsets.c - ListOffsets (Kafka's KafkaApis.handleListOffsetRequest):
 * earliest (-2), latest (-1: the high watermark for consumers, the log end for
 * replicas) and by timestamp through the time index. v0 answers with the
 * old-style offsets array.
 *
 * Thread-safety: runs on request handler threads.
 */
#include "kafka_apis_int.h"

#include <stdlib.h>
#include <string.h>

#include "msg_list_offsets.h"

static void sm_list_offsets_partition(sm_req_ctx_t *ctx, const sm_list_offsets_req_t *req,
				      const char *topic, const sm_list_offsets_req_partition_t *rp,
				      sm_list_offsets_resp_partition_t *op)
{
	int16_t ver = ctx->hdr.api_version;
	op->partition_index = rp->partition_index;
	op->timestamp = -1;
	op->offset = -1;
	op->leader_epoch = -1;
	sm_partition_t *p;
	sm_err_t e = sm_replica_manager_leader_partition(ctx->apis->d.replica_manager, topic,
							 rp->partition_index, &p);
	if (e) {
		op->error_code = (int16_t)e;
		return;
	}
	int32_t epoch = sm_partition_leader_epoch(p);
	if (rp->current_leader_epoch >= 0 && rp->current_leader_epoch != epoch) {
		op->error_code = rp->current_leader_epoch < epoch ? SM_ERR_FENCED_LEADER_EPOCH
								  : SM_ERR_UNKNOWN_LEADER_EPOCH;
		sm_partition_release(p);
		return;
	}
	sm_log_t *log = sm_partition_log(p);
	int64_t off = -1, ts = -1;
	if (rp->timestamp == SM_LIST_OFFSETS_EARLIEST_TIMESTAMP) {
		off = sm_log_start_offset(log);
	} else if (rp->timestamp == SM_LIST_OFFSETS_LATEST_TIMESTAMP) {
		off = req->replica_id >= 0 ? sm_log_end_offset(log) : sm_partition_high_watermark(p);
		if (req->replica_id < 0 && req->isolation_level == 1 && ver >= 2) {
			/* read_committed: the last stable offset */
			int64_t lso = sm_log_last_stable_offset(log);
			off = lso < off ? lso : off;
		}
	} else if (rp->timestamp < 0) {
		op->error_code = SM_ERR_INVALID_REQUEST;
	} else {
		e = sm_log_offset_for_timestamp(log, rp->timestamp, &off, &ts);
		int64_t hw = sm_partition_high_watermark(p);
		if (req->isolation_level == 1 && ver >= 2 && sm_log_last_stable_offset(log) < hw)
			hw = sm_log_last_stable_offset(log);
		if (e || (req->replica_id < 0 && off >= hw)) {
			off = -1;
			ts = -1;
		}
	}
	if (!op->error_code) {
		op->offset = off;
		op->timestamp = ts;
		if (off >= 0 && ver >= 4)
			op->leader_epoch = epoch;
		if (ver == 0) {
			/* v0: up to max_num_offsets segment-boundary offsets,
			 * newest first; the log end alone answers "latest". */
			op->old_style_offsets = sm_arena_alloc(&ctx->arena, sizeof(int64_t));
			op->old_style_offsets_cnt = 0;
			if (off >= 0 && rp->max_num_offsets > 0)
				op->old_style_offsets[op->old_style_offsets_cnt++] = off;
		}
	}
	sm_partition_release(p);
}

typedef struct {
	const char *topic;
	int32_t partition;
	int32_t t, i; /* where the request names it */
} sm_lo_entry_t;

static int sm_lo_entry_cmp(const void *a, const void *b)
{
	const sm_lo_entry_t *x = a, *y = b;
	int c = strcmp(x->topic, y->topic);
	return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

/* Marks dup[t][i] for every entry whose partition the request names more
 * than once (Kafka's ListOffsetsRequest.duplicatePartitions): from v1 on,
 * each such entry is answered INVALID_REQUEST. One sort, O(n log n). */
static char **sm_lo_duplicates(sm_req_ctx_t *ctx, const sm_list_offsets_req_t *req)
{
	size_t n = 0;
	for (int t = 0; t < req->topics_cnt; t++)
		n += (size_t)req->topics[t].partitions_cnt;
	char **dup = sm_arena_alloc(&ctx->arena, sizeof(*dup) * (size_t)(req->topics_cnt + 1));
	for (int t = 0; t < req->topics_cnt; t++)
		dup[t] = sm_arena_alloc(&ctx->arena, (size_t)req->topics[t].partitions_cnt + 1);
	if (n < 2)
		return dup;
	sm_lo_entry_t *v = sm_arena_alloc(&ctx->arena, sizeof(*v) * n);
	size_t k = 0;
	for (int t = 0; t < req->topics_cnt; t++)
		for (int i = 0; i < req->topics[t].partitions_cnt; i++)
			v[k++] = (sm_lo_entry_t){ req->topics[t].name ? req->topics[t].name : "",
						  req->topics[t].partitions[i].partition_index, t, i };
	qsort(v, n, sizeof(*v), sm_lo_entry_cmp);
	for (size_t j = 1; j < n; j++)
		if (!sm_lo_entry_cmp(&v[j - 1], &v[j]))
			dup[v[j - 1].t][v[j - 1].i] = dup[v[j].t][v[j].i] = 1;
	return dup;
}

void sm_api_list_offsets(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_list_offsets_req_t req;
	if (sm_list_offsets_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_list_offsets_resp_t resp;
	sm_list_offsets_resp_init(&resp);
	resp.topics_cnt = req.topics_cnt;
	resp.topics = sm_arena_alloc(&ctx->arena, sizeof(*resp.topics) * (size_t)(req.topics_cnt + 1));
	char **dup = ver >= 1 ? sm_lo_duplicates(ctx, &req) : NULL;
	for (int t = 0; t < req.topics_cnt; t++) {
		const sm_list_offsets_req_topic_t *rt = &req.topics[t];
		sm_list_offsets_resp_topic_t *ot = &resp.topics[t];
		ot->name = rt->name;
		ot->partitions_cnt = rt->partitions_cnt;
		ot->partitions = sm_arena_alloc(&ctx->arena, sizeof(*ot->partitions) * (size_t)(rt->partitions_cnt + 1));
		int allowed = sm_apis_authorized(ctx, SM_ACL_OP_DESCRIBE, SM_ACL_RES_TOPIC, rt->name);
		for (int i = 0; i < rt->partitions_cnt; i++) {
			if (!allowed || (dup && dup[t][i])) {
				sm_list_offsets_resp_partition_t *op = &ot->partitions[i];
				memset(op, 0, sizeof(*op));
				op->partition_index = rt->partitions[i].partition_index;
				op->timestamp = op->offset = -1;
				op->leader_epoch = -1;
				op->error_code = allowed ? SM_ERR_INVALID_REQUEST
							 : SM_ERR_TOPIC_AUTHORIZATION_FAILED;
				if (allowed)
					sm_apis_refused(ctx, "ListOffsets names %s-%d more than once",
							rt->name ? rt->name : "", op->partition_index);
				continue;
			}
			sm_list_offsets_partition(ctx, &req, rt->name, &rt->partitions[i], &ot->partitions[i]);
		}
	}
	sm_list_offsets_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}
