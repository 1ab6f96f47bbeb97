/*
 * api_storage.c - request handlers for the storage admin APIs (Kafka's
 * KafkaApis.handleDeleteRecordsRequest / handleDescribeLogDirsRequest /
 * handleAlterReplicaLogDirsRequest):
 * DeleteRecords moves a leader's log start offset and answers once every
 * live replica's log start offset has followed (DelayedDeleteRecords);
 * DescribeLogDirs lists every log dir with its partitions' sizes, future
 * replicas (moving there) included; AlterReplicaLogDirs starts moving
 * replicas between this broker's log dirs (log_manager.h).
 *
 * Thread-safety: handlers run on any request handler thread; they touch only
 * the request context, the replica manager, the metadata cache and the log
 * manager, which are thread-safe. Delayed DeleteRecords complete on the
 * purgatory thread.
 */
#include <stdlib.h>
#include <string.h>

#include "kafka_apis_int.h"
#include "clock.h"
#include "log.h"
#include "log_manager.h"
#include "logger.h"
#include "metadata_cache.h"
#include "msg_delete_records.h"
#include "msg_describe_log_dirs.h"
#include "msg_alter_replica_log_dirs.h"
#include "replica_manager.h"

/* One partition a DeleteRecords request still waits for. */
typedef struct sm_dr_wait {
	const char *topic;      /* in the request's arena; NULL once settled */
	int64_t required;       /* the offset deleted up to */
	sm_delete_records_resp_partition_t *rp;
} sm_dr_wait_t;

/* DelayedDeleteRecords: answered once every partition's low watermark has
 * reached its offset, it failed, or timeout_ms passed. */
typedef struct sm_delayed_delete_records {
	sm_req_ctx_t *ctx;
	sm_delete_records_resp_t resp;
	sm_dr_wait_t *w;
	int n;
} sm_delayed_delete_records_t;

static int sm_api_dr_alive(void *opaque, int32_t broker_id)
{
	return sm_mc_broker(opaque, broker_id) != NULL;
}

/* Low watermark of a partition this broker leads, looked up afresh as
 * Kafka's DelayedDeleteRecords does (leadership may have moved). */
static sm_err_t sm_api_dr_low_watermark(sm_req_ctx_t *ctx, sm_mc_snapshot_t *s, const char *topic,
					int32_t partition, int64_t *lw)
{
	sm_partition_t *p;
	*lw = -1;
	sm_err_t e = sm_replica_manager_leader_partition(ctx->apis->d.replica_manager, topic,
							 partition, &p);
	if (e)
		return e;
	e = sm_partition_low_watermark(p, sm_api_dr_alive, s, lw);
	sm_partition_release(p);
	return e;
}

/* One partition of DeleteRecords: offset -1 is the high watermark; nothing
 * beyond the high watermark may be deleted (a consumer could not have read
 * it yet). On success *required is the offset to wait for and *low the
 * partition's low watermark now. */
static int16_t sm_api_delete_records_one(sm_req_ctx_t *ctx, sm_mc_snapshot_t *s, const char *topic,
					 int32_t partition, int64_t offset, int64_t *required,
					 int64_t *low)
{
	sm_partition_t *p = NULL;
	*low = -1;
	if (!strcmp(topic, "__consumer_offsets") || !strcmp(topic, "__transaction_state"))
		return SM_ERR_INVALID_TOPIC_EXCEPTION; /* Kafka refuses internal topics */
	sm_err_t err = sm_replica_manager_leader_partition(ctx->apis->d.replica_manager, topic,
							   partition, &p);
	if (err)
		return (int16_t)sm_err_to_wire(err);
	int64_t hw = sm_partition_high_watermark(p);
	if (offset == SM_DELETE_RECORDS_HIGH_WATERMARK)
		offset = hw;
	if (offset < 0 || offset > hw)
		err = SM_ERR_OFFSET_OUT_OF_RANGE;
	else
		err = sm_log_delete_records(sm_partition_log(p), offset, NULL);
	if (!err)
		err = sm_partition_low_watermark(p, sm_api_dr_alive, s, low);
	if (err)
		*low = -1;
	*required = offset;
	sm_partition_release(p);
	return (int16_t)sm_err_to_wire(err);
}

/* Settles what can be settled; answers when nothing is left or the
 * deadline passed (sm_delayed_op_fn). A partition still waiting at the
 * deadline answers REQUEST_TIMED_OUT with the low watermark it had when
 * its records were deleted. */
static int sm_api_dr_try_complete(void *arg, int expired)
{
	sm_delayed_delete_records_t *dd = arg;
	sm_mc_snapshot_t *s = sm_metadata_cache_get(dd->ctx->apis->d.metadata_cache);
	int pending = 0;
	for (int i = 0; i < dd->n; i++) {
		sm_dr_wait_t *w = &dd->w[i];
		if (!w->topic)
			continue;
		int64_t lw;
		sm_err_t e = sm_api_dr_low_watermark(dd->ctx, s, w->topic, w->rp->partition_index, &lw);
		if (e) {
			w->rp->error_code = (int16_t)sm_err_to_wire(e);
			w->rp->low_watermark = -1;
		} else if (lw >= w->required) {
			w->rp->error_code = SM_ERR_NONE;
			w->rp->low_watermark = lw;
		} else if (expired) {
			w->rp->error_code = SM_ERR_REQUEST_TIMED_OUT;
		} else {
			pending = 1;
			continue;
		}
		w->topic = NULL;
	}
	sm_mc_snapshot_release(s);
	if (pending)
		return 0;
	sm_delete_records_resp_write(sm_apis_resp_begin(dd->ctx), dd->ctx->hdr.api_version,
				     &dd->resp);
	sm_apis_resp_send(dd->ctx);
	free(dd->w);
	free(dd);
	return 1;
}

void sm_api_delete_records(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_delete_records_req_t req;
	if (sm_delete_records_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_delayed_delete_records_t *dd = sm_calloc(1, sizeof(*dd));
	dd->ctx = ctx;
	sm_delete_records_resp_t *resp = &dd->resp;
	resp->topics_cnt = req.topics_cnt > 0 ? req.topics_cnt : 0;
	resp->topics = sm_arena_alloc(&ctx->arena, sizeof(*resp->topics) * (size_t)(resp->topics_cnt + 1));
	int nw = 0;
	for (int32_t i = 0; i < resp->topics_cnt; i++)
		nw += req.topics[i].partitions_cnt > 0 ? req.topics[i].partitions_cnt : 0;
	dd->w = sm_calloc((size_t)nw + 1, sizeof(*dd->w));
	sm_mc_snapshot_t *s = sm_metadata_cache_get(ctx->apis->d.metadata_cache);
	for (int32_t i = 0; i < resp->topics_cnt; i++) {
		const sm_delete_records_req_topic_t *qt = &req.topics[i];
		sm_delete_records_resp_topic_t *rt = &resp->topics[i];
		rt->name = qt->name;
		rt->partitions_cnt = qt->partitions_cnt;
		rt->partitions = sm_arena_alloc(&ctx->arena, sizeof(*rt->partitions) *
							     (size_t)(qt->partitions_cnt + 1));
		int allowed = sm_apis_authorized(ctx, SM_ACL_OP_DELETE, SM_ACL_RES_TOPIC, qt->name);
		for (int32_t j = 0; j < qt->partitions_cnt; j++) {
			sm_delete_records_resp_partition_t *rp = &rt->partitions[j];
			int64_t required = -1;
			rp->partition_index = qt->partitions[j].partition_index;
			rp->low_watermark = -1;
			rp->error_code = !allowed ? SM_ERR_TOPIC_AUTHORIZATION_FAILED
						  : sm_api_delete_records_one(ctx, s, qt->name, rp->partition_index,
								   qt->partitions[j].offset, &required,
								   &rp->low_watermark);
			if (rp->error_code)
				continue;
			dd->w[dd->n].topic = qt->name;
			dd->w[dd->n].required = required;
			dd->w[dd->n].rp = rp;
			dd->n++;
		}
	}
	sm_mc_snapshot_release(s);
	if (sm_api_dr_try_complete(dd, 0))
		return;
	/* Park until the followers' log start offsets catch up, re-checked on
	 * every follower fetch that moves one (ReplicaManager.deleteRecords). */
	int64_t timeout = req.timeout_ms > 0 ? req.timeout_ms : 0;
	sm_op_key_t *keys = sm_calloc((size_t)dd->n + 1, sizeof(*keys));
	int k = 0;
	for (int i = 0; i < dd->n; i++)
		if (dd->w[i].topic)
			keys[k++] = (sm_op_key_t){ dd->w[i].topic, dd->w[i].rp->partition_index };
	sm_purgatory_watch(ctx->apis->purgatory, sm_clock_mono_ms() + timeout, sm_api_dr_try_complete,
			   dd, keys, k);
	free(keys);
}

/* ---- DescribeLogDirs ---- */

static int sm_api_dld_wanted(const sm_describe_log_dirs_req_t *req, const char *topic,
			     int32_t partition)
{
	if (req->topics_cnt < 0)
		return 1;
	for (int32_t i = 0; i < req->topics_cnt; i++) {
		if (strcmp(req->topics[i].topic, topic))
			continue;
		for (int32_t j = 0; j < req->topics[i].partitions_cnt; j++)
			if (req->topics[i].partitions[j] == partition)
				return 1;
	}
	return 0;
}

static sm_describe_log_dirs_resp_topic_t *sm_api_dld_topic(sm_arena_t *a,
						      sm_describe_log_dirs_resp_result_t *r,
						      const char *name, int max)
{
	for (int32_t i = 0; i < r->topics_cnt; i++)
		if (!strcmp(r->topics[i].name, name))
			return &r->topics[i];
	sm_describe_log_dirs_resp_topic_t *t = &r->topics[r->topics_cnt++];
	t->name = sm_arena_strndup(a, name, strlen(name));
	t->partitions = sm_arena_alloc(a, sizeof(*t->partitions) * (size_t)max);
	return t;
}

static void sm_api_dld_fill(sm_req_ctx_t *ctx, sm_log_manager_t *lm, int dir,
			    const sm_describe_log_dirs_req_t *req, sm_describe_log_dirs_resp_result_t *r)
{
	const char *path = sm_log_manager_dir_path(lm, dir);
	r->log_dir = sm_arena_strndup(&ctx->arena, path, strlen(path));
	if (sm_log_manager_dir_offline(lm, dir)) {
		r->error_code = SM_ERR_KAFKA_STORAGE_ERROR;
		return;
	}
	sm_log_t **logs, **futs;
	int64_t *lags;
	/* the current logs, then the future logs of replicas moving into this
	 * dir with how far they are behind (Kafka lists both, isFutureKey
	 * telling them apart) */
	int n = sm_log_manager_list_dir(lm, dir, &logs);
	int nf = sm_log_manager_list_future_dir(lm, dir, &futs, &lags);
	int max = n + nf;
	r->topics = sm_arena_alloc(&ctx->arena, sizeof(*r->topics) * (size_t)(max + 1));
	for (int i = 0; i < max; i++) {
		sm_log_t *log = i < n ? logs[i] : futs[i - n];
		const char *topic = sm_log_topic(log);
		int32_t part = sm_log_partition(log);
		if (sm_api_dld_wanted(req, topic, part)) {
			sm_describe_log_dirs_resp_topic_t *t = sm_api_dld_topic(&ctx->arena, r, topic, max);
			sm_describe_log_dirs_resp_partition_t *p = &t->partitions[t->partitions_cnt++];
			p->partition_index = part;
			p->partition_size = sm_log_size_bytes(log);
			/* max(HW - LEO, 0) for a current log; the current log's
			 * LEO - the future's for a future log */
			p->offset_lag = i < n ? 0 : lags[i - n];
			p->is_future_key = i >= n;
		}
		sm_log_release(log);
	}
	free(logs);
	free(futs);
	free(lags);
}

void sm_api_describe_log_dirs(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_describe_log_dirs_req_t req;
	if (sm_describe_log_dirs_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_log_manager_t *lm = sm_replica_manager_log_manager(ctx->apis->d.replica_manager);
	sm_describe_log_dirs_resp_t resp;
	sm_describe_log_dirs_resp_init(&resp);
	/* Kafka: without Describe on the cluster the answer lists no dir */
	resp.results_cnt = sm_apis_authorized(ctx, SM_ACL_OP_DESCRIBE, SM_ACL_RES_CLUSTER, NULL)
				   ? sm_log_manager_dir_count(lm) : 0;
	resp.results = sm_arena_alloc(&ctx->arena,
				      sizeof(*resp.results) * (size_t)(resp.results_cnt + 1));
	for (int d = 0; d < resp.results_cnt; d++)
		sm_api_dld_fill(ctx, lm, d, &req, &resp.results[d]);
	sm_describe_log_dirs_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}

/* ---- AlterReplicaLogDirs ---- */

/* One (topic, partition, dir) of the request; a partition named twice keeps
 * its last dir, as Kafka's partitionDirs map does. */
typedef struct sm_ard_item {
	const char *topic;
	const char *path;
	int32_t partition;
	int32_t seq;
} sm_ard_item_t;

static int sm_ard_cmp(const void *a, const void *b)
{
	const sm_ard_item_t *x = a, *y = b;
	int c = strcmp(x->topic, y->topic);
	if (c)
		return c;
	if (x->partition != y->partition)
		return x->partition < y->partition ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void sm_api_alter_replica_log_dirs(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_alter_replica_log_dirs_req_t req;
	if (sm_alter_replica_log_dirs_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	/* the codec bounded every count by the bytes sent (4 bytes a
	 * partition), so the sum fits in int64; the array is checked against
	 * the request's budget like any count a client chose */
	int64_t total = 0;
	for (int32_t d = 0; d < req.dirs_cnt; d++)
		for (int32_t t = 0; t < req.dirs[d].topics_cnt; t++)
			total += req.dirs[d].topics[t].partitions_cnt > 0
					 ? req.dirs[d].topics[t].partitions_cnt : 0;
	sm_ard_item_t *it = sm_arena_alloc_array(&ctx->arena, total, sizeof(*it));
	if (!it) {
		sm_apis_close(ctx, "AlterReplicaLogDirs with %lld partitions is over the request budget",
			      (long long)total);
		return;
	}
	size_t n = (size_t)total;
	size_t k = 0;
	for (int32_t d = 0; d < req.dirs_cnt; d++)
		for (int32_t t = 0; t < req.dirs[d].topics_cnt; t++)
			for (int32_t p = 0; p < req.dirs[d].topics[t].partitions_cnt; p++) {
				it[k].topic = req.dirs[d].topics[t].name ? req.dirs[d].topics[t].name : "";
				it[k].path = req.dirs[d].path ? req.dirs[d].path : "";
				it[k].partition = req.dirs[d].topics[t].partitions[p];
				it[k].seq = (int32_t)k;
				k++;
			}
	qsort(it, n, sizeof(*it), sm_ard_cmp);
	/* keep the last of each partition, count the topics */
	size_t m = 0;
	int32_t ntopics = 0;
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && it[i + 1].partition == it[i].partition &&
		    !strcmp(it[i + 1].topic, it[i].topic))
			continue;
		if (!m || strcmp(it[m - 1].topic, it[i].topic))
			ntopics++;
		it[m++] = it[i];
	}
	sm_alter_replica_log_dirs_resp_t resp;
	sm_alter_replica_log_dirs_resp_init(&resp);
	resp.results = sm_arena_alloc(&ctx->arena, sizeof(*resp.results) * (size_t)(ntopics + 1));
	/* Kafka: Alter on the cluster, else every partition fails */
	int allowed = sm_apis_authorized(ctx, SM_ACL_OP_ALTER, SM_ACL_RES_CLUSTER, NULL);
	sm_log_manager_t *lm = sm_replica_manager_log_manager(ctx->apis->d.replica_manager);
	for (size_t i = 0; i < m;) {
		size_t j = i;
		while (j < m && !strcmp(it[j].topic, it[i].topic))
			j++;
		sm_alter_replica_log_dirs_resp_result_t *r = &resp.results[resp.results_cnt++];
		r->topic_name = (char *)it[i].topic;
		r->partitions = sm_arena_alloc(&ctx->arena, sizeof(*r->partitions) * (j - i));
		for (size_t q = i; q < j; q++) {
			sm_alter_replica_log_dirs_resp_partition_t *rp = &r->partitions[r->partitions_cnt++];
			rp->partition_index = it[q].partition;
			if (!allowed) {
				rp->error_code = SM_ERR_CLUSTER_AUTHORIZATION_FAILED;
				continue;
			}
			sm_err_t e = it[q].partition < 0 ? SM_ERR_REPLICA_NOT_AVAILABLE
				   : sm_log_manager_alter_dir(lm, it[q].topic, it[q].partition, it[q].path);
			rp->error_code = (int16_t)e;
			if (e)
				sm_apis_refused(ctx, "cannot move %.255s-%d to log dir %.1024s: %s",
						it[q].topic, (int)it[q].partition, it[q].path,
						sm_err_name(e));
			else
				sm_log_info(NULL, "kafka.server.ReplicaManager",
					    "Moving %.255s-%d to log dir %.1024s (requested by %s)",
					    it[q].topic, (int)it[q].partition, it[q].path,
					    ctx->req->peer);
		}
		i = j;
	}
	sm_alter_replica_log_dirs_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}
