/*
 * api_fetch.c - Fetch and its purgatory (Kafka's KafkaApis.handleFetchRequest,
 * ReplicaManager.fetchMessages and DelayedFetch).
 *
 * A fetch reads every requested partition once; if the result holds at least
 * min_bytes (or an error, or max_wait is 0) it is answered at once, otherwise
 * it is parked until new data arrives on one of its partitions or max_wait_ms
 * passes. Record data is sent straight from the segment files (sendfile) for
 * Fetch v4+; older versions get the data down-converted to magic 0/1.
 *
 * A fetch from a follower (replica_id >= 0) reads up to the log end offset
 * instead of the high watermark, records the follower's log end offset (its
 * fetch offset) on the partition, which may advance the high watermark or
 * grow the ISR, and gets a diverging_epoch (v12) when its last fetched
 * epoch ends before its fetch offset on this leader. With a replica
 * selector, a follower's fetch is also answered at once when the leader's
 * high watermark moved past what it last told that follower, so followers
 * (and the consumers reading from them) learn it within one round trip.
 * A parked fetch watches its partitions in the broker's purgatory
 * (delayed_op.h): an append, a high watermark advance (on leaders and
 * followers) or an ISR change on one of them tries it again.
 *
 * Fetching from the closest replica (KIP-392): with replica.selector.class
 * set, a consumer's Fetch v11+ carrying a rack id gets, from the leader, the
 * id of a follower in its rack as preferred_read_replica and no records
 * (ReplicaManager.findPreferredReadReplica, replica_selector.h); a
 * consumer's Fetch v11+ is served by a follower too, up to that follower's
 * high watermark, with the same leader epoch checks as on the leader.
 *
 * Thread-safety: handlers run on request handler threads; a parked fetch
 * is completed, with no purgatory lock held, on the handler whose append
 * or follower fetch changed one of its partitions (after that request is
 * handled) or on the purgatory thread ("fetch-purgatory": its first try,
 * max_wait_ms, changes made by other threads).
 */
#include "client_quota.h"
#include "kafka_apis_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "compression.h"
#include "logger.h"
#include "message_set.h"
#include "metrics.h"
#include "msg_fetch.h"
#include "record_batch.h"
#include "replica_selector.h"
#include "thread_role.h"

typedef struct sm_delayed_fetch {
	sm_req_ctx_t *ctx;
	sm_fetch_req_t req;
} sm_delayed_fetch_t;

/* Kafka's DebuggingConsumerId. */
#define SM_FETCH_DEBUG_REPLICA (-2)


/* Releases the file references a fetch response holds. */
static void sm_fetch_release_files(sm_fetch_resp_t *resp)
{
	for (int t = 0; t < resp->responses_cnt; t++)
		for (int i = 0; i < resp->responses[t].partitions_cnt; i++) {
			sm_records_t *r = &resp->responses[t].partitions[i].records;
			if (r->file)
				sm_fileref_release(r->file);
			r->file = NULL;
		}
}

/* Copies a file range into the arena (for down-conversion). */
static const uint8_t *sm_fetch_pread(sm_arena_t *a, const sm_log_read_t *rd)
{
	uint8_t *buf = sm_arena_alloc(a, rd->len);
	size_t done = 0;
	while (done < rd->len) {
		ssize_t r = pread(rd->file->fd, buf + done, rd->len - done, rd->pos + (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return NULL;
		done += (size_t)r;
	}
	return buf;
}

/* A follower's fetch: answers a diverging epoch (returns 1, rp filled) or,
 * when the fetch has just arrived, records the follower's log end and log
 * start offsets (returns 0). A parked fetch tried again records nothing:
 * as in Kafka, the follower's position and its last caught-up time come
 * from its fetches as they arrive, so a fetch parked at a follower's
 * controlled shutdown cannot bring it back into the ISR after the
 * controller took it out. */
static int sm_fetch_follower(sm_partition_t *p, int32_t replica_id,
			     const sm_fetch_req_partition_t *fp, sm_fetch_resp_partition_t *rp,
			     int arrival)
{
	int32_t de;
	int64_t dend;
	if (sm_partition_diverging(p, fp->last_fetched_epoch, fp->fetch_offset, &de, &dend)) {
		rp->diverging_epoch.epoch = de;
		rp->diverging_epoch.end_offset = dend;
		rp->high_watermark = rp->last_stable_offset = sm_partition_high_watermark(p);
		rp->log_start_offset = sm_log_start_offset(sm_partition_log(p));
		return 1;
	}
	if (arrival)
		sm_partition_update_follower(p, replica_id, fp->fetch_offset, fp->log_start_offset);
	return 0;
}

/* Most replicas a partition is described with to the selector. */
#define SM_FETCH_MAX_VIEWS 64

/* The leader's choice of a follower for a consumer's fetch (KIP-392), or
 * -1 to serve it here. Only consumers sending Fetch v11+ with a rack id and
 * only when replica.selector.class is set. */
static int32_t sm_fetch_preferred_replica(sm_req_ctx_t *ctx, const sm_fetch_req_t *req,
					  sm_partition_t *p, int64_t fetch_offset)
{
	const sm_kafka_config_t *cfg = ctx->apis->d.cfg;
	if (cfg->replica_selector == SM_REPLICA_SELECTOR_NONE || ctx->hdr.api_version < 11 ||
	    req->replica_id >= 0 || !req->rack_id || !*req->rack_id)
		return -1;
	sm_replica_view_t views[SM_FETCH_MAX_VIEWS];
	int64_t leader_leo;
	int n = sm_partition_follower_views(p, views, SM_FETCH_MAX_VIEWS, &leader_leo);
	if (n < 0)
		return -1;
	sm_replica_view_t leader = { .id = cfg->broker_id, .log_end_offset = leader_leo };
	/* Racks and liveness as the metadata cache has them: a broker
	 * without an endpoint on the client's listener is not a choice
	 * (Kafka's getPartitionReplicaEndpoints). */
	sm_mc_snapshot_t *snap = sm_metadata_cache_get(ctx->apis->d.metadata_cache);
	const sm_mc_broker_t *b = sm_mc_broker(snap, leader.id);
	leader.alive = b && sm_mc_endpoint(b, ctx->req->listener);
	leader.rack = b ? b->rack : NULL;
	for (int i = 0; i < n; i++) {
		b = sm_mc_broker(snap, views[i].id);
		views[i].alive = b && sm_mc_endpoint(b, ctx->req->listener);
		views[i].rack = b ? b->rack : NULL;
	}
	int32_t id = sm_replica_select((sm_replica_selector_t)cfg->replica_selector, req->rack_id,
				       fetch_offset, &leader, views, n);
	sm_mc_snapshot_release(snap);
	return id;
}

/* Reads one partition into rp; returns the bytes of record data. *urgent
 * is set when the fetch must be answered at once although it may have no
 * data (a preferred read replica, a diverging epoch, high watermark news for
 * a follower). */
static size_t sm_fetch_partition(sm_req_ctx_t *ctx, const sm_fetch_req_t *req, const char *topic,
				 const sm_fetch_req_partition_t *fp, int32_t limit, int min_one,
				 sm_fetch_resp_partition_t *rp, int *urgent, int64_t *throttled,
				 int arrival)
{
	int16_t ver = ctx->hdr.api_version;
	sm_fetch_resp_partition_init(rp);
	rp->partition_index = fp->partition;
	rp->high_watermark = -1;
	/* An error partition carries an empty record set, never a null one:
	 * Kafka sends MemoryRecords.EMPTY, and librdkafka refuses a whole
	 * response with "invalid MessageSetSize -1". */
	rp->records.len = 0;
	/* null unless a read_committed read succeeds (Kafka sends null for
	 * read_uncommitted and for every error partition) */
	rp->aborted_transactions_cnt = -1;
	/* Kafka's checks: a follower needs ClusterAction, a consumer Read on
	 * the topic */
	if (req->replica_id >= 0
		    ? !sm_apis_authorized(ctx, SM_ACL_OP_CLUSTER_ACTION, SM_ACL_RES_CLUSTER, NULL)
		    : !sm_apis_authorized(ctx, SM_ACL_OP_READ, SM_ACL_RES_TOPIC, topic)) {
		rp->error_code = SM_ERR_TOPIC_AUTHORIZATION_FAILED;
		return 0;
	}
	sm_partition_t *p;
	sm_err_t e = sm_replica_manager_leader_partition(ctx->apis->d.replica_manager, topic,
							 fp->partition, &p);
	if (e == SM_ERR_NOT_LEADER_OR_FOLLOWER &&
	    (req->replica_id == SM_FETCH_DEBUG_REPLICA || (req->replica_id < 0 && ver >= 11))) {
		/* The debug consumer (replica verification) reads any replica,
		 * and so does a consumer from Fetch v11 on (KIP-392: it carries
		 * client metadata), up to that replica's high watermark. */
		p = sm_replica_manager_partition(ctx->apis->d.replica_manager, topic, fp->partition);
		e = p ? SM_ERR_NONE : SM_ERR_UNKNOWN_TOPIC_OR_PARTITION;
	}
	if (e) {
		rp->error_code = (int16_t)e;
		return 0;
	}
	int32_t epoch = sm_partition_leader_epoch(p);
	if (fp->current_leader_epoch >= 0 && fp->current_leader_epoch != epoch) {
		rp->error_code = fp->current_leader_epoch < epoch ? SM_ERR_FENCED_LEADER_EPOCH
								 : SM_ERR_UNKNOWN_LEADER_EPOCH;
		sm_partition_release(p);
		return 0;
	}
	sm_log_t *log = sm_partition_log(p);
	if (req->replica_id >= 0 && sm_fetch_follower(p, req->replica_id, fp, rp, arrival)) {
		*urgent = 1;
		sm_partition_release(p);
		return 0;
	}
	int32_t preferred = sm_fetch_preferred_replica(ctx, req, p, fp->fetch_offset);
	if (preferred >= 0) {
		/* No read: the client goes to the preferred replica. */
		rp->preferred_read_replica = preferred;
		rp->high_watermark = rp->last_stable_offset = sm_partition_high_watermark(p);
		rp->log_start_offset = sm_log_start_offset(log);
		*urgent = 1;
		sm_log_debug(NULL, "kafka.server.ReplicaManager",
			     "Replica selector RackAwareReplicaSelector returned preferred replica %d for "
			     "%s-%d (client %s, rack %s)", preferred, topic, fp->partition,
			     ctx->req->peer, req->rack_id);
		sm_partition_release(p);
		return 0;
	}
	int64_t hw = sm_partition_high_watermark(p);
	/* With a replica selector, consumers read from followers up to the
	 * follower's HW, so a follower's fetch is answered as soon as the HW
	 * moved. Without one (Kafka's default) it waits for data or
	 * max_wait_ms as Kafka 2.8's does: answering each HW move would cost
	 * every acks=all write a second fetch round trip per follower. */
	if (req->replica_id >= 0 && ctx->apis->d.cfg->replica_selector != SM_REPLICA_SELECTOR_NONE &&
	    sm_partition_follower_hw_news(p, req->replica_id, hw))
		*urgent = 1;
	int64_t lso = sm_log_last_stable_offset(log);
	if (lso > hw)
		lso = hw; /* the log's copy of the HW may lag the partition's */
	/* read_committed (v4+) stops at the last stable offset */
	int committed = req->isolation_level == 1 && ver >= 4 && req->replica_id < 0;
	int64_t max_offset = req->replica_id >= 0 ? sm_log_end_offset(log) : committed ? lso : hw;
	int leader_thr = req->replica_id >= 0 && sm_partition_leader_throttled(p);
	sm_repl_quota_t *lq = sm_replica_manager_leader_quota(ctx->apis->d.replica_manager);
	/* no lock at all while no leader rate is set */
	if (leader_thr && sm_repl_quota_rate(lq) != INT64_MAX &&
	    !sm_partition_replica_in_isr(p, req->replica_id) && sm_repl_quota_exceeded(lq)) {
		/* Kafka's shouldLeaderThrottle: a throttled replica outside the
		 * ISR gets no data while the leader quota is exceeded, only
		 * the offsets (and the fetch waits for max_wait_ms) */
		rp->high_watermark = hw;
		rp->last_stable_offset = lso;
		rp->log_start_offset = sm_log_start_offset(log);
		sm_partition_release(p);
		return 0;
	}
	sm_log_read_t rd = { 0 };
	e = sm_log_read(log, fp->fetch_offset, limit, min_one, max_offset, &rd);
	rp->high_watermark = hw;
	rp->last_stable_offset = lso;
	if (!e && committed && rd.len > 0) {
		/* the aborted transactions the fetched range may hold (Kafka's
		 * collectAbortedTransactions, bounded by the LSO rather than the
		 * end of the fetched bytes: a superset clients filter by offset) */
		sm_log_aborted_txn_t *ab;
		int na = sm_log_collect_aborted(log, fp->fetch_offset, lso, &ab);
		if (na > 0) {
			rp->aborted_transactions =
				sm_arena_alloc(&ctx->arena, sizeof(*rp->aborted_transactions) * (size_t)na);
			for (int i = 0; i < na; i++) {
				rp->aborted_transactions[i].producer_id = ab[i].pid;
				rp->aborted_transactions[i].first_offset = ab[i].first_offset;
			}
			rp->aborted_transactions_cnt = na;
		}
		free(ab);
	}
	if (e) {
		/* A failed read (OFFSET_OUT_OF_RANGE, a storage error) answers no
		 * offsets, as Kafka's LogReadResult for an exception does. */
		rp->error_code = (int16_t)sm_err_to_wire(e);
		rp->high_watermark = rp->last_stable_offset = rp->log_start_offset = -1;
		rp->aborted_transactions_cnt = -1;
		sm_partition_release(p);
		return 0;
	}
	if (req->isolation_level == 1 && rp->aborted_transactions_cnt < 0)
		rp->aborted_transactions_cnt = 0; /* read_committed: a list, maybe empty */
	rp->log_start_offset = rd.log_start_offset;
	size_t n = rd.len;
	if (n > 0 && ver >= 4) {
		rp->records.file = rd.file; /* reference moves to the response */
		rp->records.file_pos = rd.pos;
		rp->records.len = (int32_t)n;
		rd.file = NULL;
	} else if (n > 0) {
		const uint8_t *data = sm_fetch_pread(&ctx->arena, &rd);
		sm_wbuf_t out;
		sm_wbuf_init(&out, n);
		const sm_topic_config_t *tc = sm_partition_config_acquire(p);
		int downconvert = tc->downconversion_enable;
		sm_topic_config_release(tc);
		if (!downconvert)
			e = SM_ERR_UNSUPPORTED_VERSION;
		else if (!data)
			e = SM_ERR_KAFKA_STORAGE_ERROR;
		else
			e = sm_batch_down_convert(data, n, ver >= 2 ? 1 : 0, &out);
		if (e) {
			rp->error_code = (int16_t)sm_err_to_wire(e);
			n = 0;
		} else {
			uint8_t *copy = sm_arena_alloc(&ctx->arena, out.len);
			memcpy(copy, out.p, out.len);
			rp->records.ptr = copy;
			rp->records.len = (int32_t)out.len;
			n = out.len;
		}
		sm_wbuf_free(&out);
	}
	if (rd.file)
		sm_fileref_release(rd.file);
	if (leader_thr)
		*throttled += (int64_t)n; /* counted once the response is sent */
	sm_partition_release(p);
	return n;
}

/* One full pass over the request. Returns the bytes read; *errors is set if
 * any partition failed or must be answered at once anyway. arrival: the
 * first pass, as the request arrived (not a parked fetch tried again). */
static size_t sm_fetch_run(sm_req_ctx_t *ctx, const sm_fetch_req_t *req, sm_fetch_resp_t *resp,
			   int *errors, int64_t *throttled, int arrival)
{
	int16_t ver = ctx->hdr.api_version;
	int64_t budget = ver >= 3 ? req->max_bytes : INT32_MAX;
	if (budget > ctx->apis->d.cfg->fetch_max_bytes && req->replica_id < 0)
		budget = ctx->apis->d.cfg->fetch_max_bytes;
	if (req->replica_id < 0) {
		/* Kafka's getMaxValueInQuotaWindow: one response never holds more
		 * than the consumer quota allows over the quota window. */
		double qmax = sm_client_quotas_max_in_window(sm_client_quotas_global(),
							     SM_QUOTA_FETCH,
							     sm_apis_quota_user(ctx),
							     ctx->hdr.client_id);
		if (qmax >= 0 && qmax < (double)budget)
			budget = (int64_t)qmax;
	}
	int min_one = ver >= 3;
	size_t total = 0;
	*errors = 0;
	*throttled = 0;
	memset(resp, 0, sizeof(*resp));
	resp->responses_cnt = req->topics_cnt;
	resp->responses = sm_arena_alloc(&ctx->arena, sizeof(*resp->responses) * (size_t)(req->topics_cnt + 1));
	for (int t = 0; t < req->topics_cnt; t++) {
		const sm_fetch_req_topic_t *rt = &req->topics[t];
		sm_fetch_resp_response_t *ot = &resp->responses[t];
		ot->topic = rt->topic;
		ot->partitions_cnt = rt->partitions_cnt;
		ot->partitions = sm_arena_alloc(&ctx->arena, sizeof(*ot->partitions) * (size_t)(rt->partitions_cnt + 1));
		for (int i = 0; i < rt->partitions_cnt; i++) {
			const sm_fetch_req_partition_t *fp = &rt->partitions[i];
			int64_t limit = fp->partition_max_bytes;
			if (limit > budget)
				limit = budget;
			if (limit < 0)
				limit = 0;
			size_t n = sm_fetch_partition(ctx, req, rt->topic, fp, (int32_t)limit, min_one,
						      &ot->partitions[i], errors, throttled, arrival);
			if (ot->partitions[i].error_code)
				*errors = 1;
			if (n > 0)
				min_one = 0;
			total += n;
			budget -= (int64_t)n;
			if (budget < 0)
				budget = 0;
		}
	}
	return total;
}

/* Kafka's maybeConvertFetchedData: a client older than Fetch v10 cannot
 * read zstd (KIP-110), so every partition hosted here whose topic has
 * compression.type=zstd is answered UNSUPPORTED_COMPRESSION_TYPE, whatever
 * the read gave. Like Kafka this goes by the topic's configuration, not by the
 * batches (zstd batches in a compression.type=producer topic are sent). */
static void sm_fetch_refuse_zstd(sm_req_ctx_t *ctx, sm_fetch_resp_t *resp)
{
	sm_replica_manager_t *rm = ctx->apis->d.replica_manager;
	for (int t = 0; t < resp->responses_cnt; t++) {
		sm_fetch_resp_response_t *ot = &resp->responses[t];
		for (int i = 0; i < ot->partitions_cnt; i++) {
			sm_fetch_resp_partition_t *rp = &ot->partitions[i];
			sm_partition_t *p = sm_replica_manager_partition(rm, ot->topic,
									 rp->partition_index);
			if (!p)
				continue;
			const sm_topic_config_t *tc = sm_partition_config_acquire(p);
			int zstd = tc->compression_type == SM_CODEC_ZSTD;
			sm_topic_config_release(tc);
			sm_partition_release(p);
			if (!zstd)
				continue;
			if (rp->records.file)
				sm_fileref_release(rp->records.file);
			int32_t idx = rp->partition_index;
			sm_fetch_resp_partition_init(rp);
			rp->partition_index = idx;
			rp->error_code = SM_ERR_UNSUPPORTED_COMPRESSION_TYPE;
			rp->high_watermark = -1;
			rp->aborted_transactions_cnt = -1;
			rp->records.len = 0; /* empty, never null (see sm_fetch_partition) */
		}
	}
}

/* throttled: the record bytes of leader-throttled partitions in resp, which
 * the leader quota counts (Kafka's sizeOfThrottledPartitions). */
static void sm_fetch_respond(sm_req_ctx_t *ctx, sm_fetch_resp_t *resp, int consumer,
			     int64_t throttled)
{
	if (throttled > 0)
		sm_repl_quota_record(sm_replica_manager_leader_quota(ctx->apis->d.replica_manager),
				     throttled);
	if (ctx->hdr.api_version < 10)
		sm_fetch_refuse_zstd(ctx, resp);
	/* BytesOutPerSec counts what consumers are sent, not followers. */
	for (int t = 0; t < resp->responses_cnt; t++)
		for (int i = 0; i < resp->responses[t].partitions_cnt; i++) {
			const sm_fetch_resp_partition_t *rp = &resp->responses[t].partitions[i];
			sm_metrics_fetch_partition(resp->responses[t].topic, rp->error_code != 0);
			if (consumer)
				sm_metrics_fetch_out(resp->responses[t].topic, rp->records.len);
		}
	if (!ctx->req->zero_copy_ok)
		for (int t = 0; t < resp->responses_cnt; t++)
			for (int i = 0; i < resp->responses[t].partitions_cnt; i++) {
				sm_records_t *r = &resp->responses[t].partitions[i].records;
				if (!r->file)
					continue;
				sm_log_read_t rd = { .file = r->file, .pos = r->file_pos, .len = (size_t)r->len };
				r->ptr = sm_fetch_pread(&ctx->arena, &rd);
				if (!r->ptr)
					r->len = 0;
				sm_fileref_release(r->file);
				r->file = NULL;
			}
	if (consumer) {
		/* Consumer fetches count against consumer_byte_rate, replication
		 * never does. Over quota, the bytes are taken back and the answer
		 * is empty, carrying only the throttle time (Kafka's
		 * getThrottledResponse). */
		double size = (double)sm_fetch_resp_size(ctx->hdr.api_version, resp);
		int32_t rq = sm_apis_request_quota_now(ctx);
		int32_t ms = sm_apis_quota_record(ctx, SM_QUOTA_FETCH, size);
		sm_apis_quota_throttled(ctx, ms > rq ? SM_QUOTA_FETCH : SM_QUOTA_REQUEST,
					ms > rq ? ms : rq);
		if (rq > ms)
			ms = rq;
		if (ms > 0) {
			sm_client_quotas_unrecord(sm_client_quotas_global(), SM_QUOTA_FETCH,
						  sm_apis_quota_user(ctx), ctx->hdr.client_id,
						  size, sm_clock_mono_ms());
			sm_fetch_release_files(resp);
			resp->responses_cnt = 0;
			resp->error_code = 0;
			resp->throttle_time_ms = ms;
		}
	}
	sm_fetch_resp_write(sm_apis_resp_begin(ctx), ctx->hdr.api_version, resp);
	sm_fetch_release_files(resp);
	sm_apis_resp_send(ctx);
}

/* Completes a parked fetch if it can (or must, when expired); a
 * sm_delayed_op_fn. */
static int sm_fetch_try_complete(void *arg, int expired)
{
	sm_delayed_fetch_t *df = arg;
	sm_fetch_resp_t resp;
	int errors;
	int64_t throttled;
	size_t n = sm_fetch_run(df->ctx, &df->req, &resp, &errors, &throttled, 0);
	if (!expired && !errors && (int64_t)n < df->req.min_bytes) {
		sm_fetch_release_files(&resp);
		return 0;
	}
	sm_fetch_respond(df->ctx, &resp, df->req.replica_id < 0, throttled);
	free(df);
	return 1;
}

void sm_api_fetch(sm_req_ctx_t *ctx)
{
	sm_delayed_fetch_t *df = sm_calloc(1, sizeof(*df));
	if (sm_fetch_req_read(&ctx->body, ctx->hdr.api_version, &ctx->arena, &df->req)) {
		free(df);
		sm_apis_parse_error(ctx);
		return;
	}
	/* Replication is never held by client quotas. */
	ctx->quota_exempt = df->req.replica_id >= 0;
	if (!ctx->quota_exempt) {
		/* Kafka's fetchMinBytes: never more than one response may hold
		 * under the consumer quota (sm_fetch_run caps the size). */
		double qmax = sm_client_quotas_max_in_window(sm_client_quotas_global(),
							     SM_QUOTA_FETCH, sm_apis_quota_user(ctx),
							     ctx->hdr.client_id);
		if (qmax >= 0 && (double)df->req.min_bytes > qmax)
			df->req.min_bytes = (int32_t)qmax;
	}
	sm_fetch_resp_t resp;
	if (ctx->hdr.api_version >= 7 && df->req.session_epoch > 0) {
		/* An incremental fetch names a session; Samsa creates none (it
		 * answers session id 0), so the session is unknown: Kafka's
		 * FetchManager answers FETCH_SESSION_ID_NOT_FOUND and no
		 * partitions, and the client starts over with a full fetch. */
		sm_apis_refused(ctx, "Fetch names session %d epoch %d, which does not exist",
				df->req.session_id, df->req.session_epoch);
		free(df);
		sm_fetch_resp_init(&resp);
		resp.error_code = SM_ERR_FETCH_SESSION_ID_NOT_FOUND;
		sm_fetch_respond(ctx, &resp, 0, 0);
		return;
	}
	int errors;
	int64_t throttled;
	size_t n = sm_fetch_run(ctx, &df->req, &resp, &errors, &throttled, 1);
	if (errors || df->req.max_wait_ms <= 0 || (int64_t)n >= df->req.min_bytes ||
	    df->req.topics_cnt == 0) {
		int consumer = df->req.replica_id < 0;
		free(df);
		sm_fetch_respond(ctx, &resp, consumer, throttled);
		return;
	}
	sm_fetch_release_files(&resp);
	df->ctx = ctx;
	/* Parked until data arrives on one of its partitions (their appends,
	 * high watermark and ISR changes check them) or max_wait_ms passes;
	 * tried once more right away on this handler, for data that arrived
	 * between the read above and parking (DelayedOperation's tryComplete
	 * after watching). */
	int nkeys = 0;
	for (int t = 0; t < df->req.topics_cnt; t++)
		nkeys += df->req.topics[t].partitions_cnt;
	sm_op_key_t *keys = sm_calloc((size_t)nkeys + 1, sizeof(*keys));
	nkeys = 0;
	for (int t = 0; t < df->req.topics_cnt; t++)
		for (int i = 0; i < df->req.topics[t].partitions_cnt; i++)
			keys[nkeys++] = (sm_op_key_t){ df->req.topics[t].topic,
						       df->req.topics[t].partitions[i].partition };
	sm_purgatory_watch_here(ctx->apis->purgatory, sm_clock_mono_ms() + df->req.max_wait_ms,
				sm_fetch_try_complete, df, keys, nkeys);
	free(keys);
}
