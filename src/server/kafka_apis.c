/*
 * kafka_apis.c - request dispatch and ApiVersions (Kafka's KafkaApis).
 *
 * The handler table is also the advertised API list: an API is in ApiVersions
 * exactly when it has a handler here, at the version range of the generated
 * table (src/protocol/specs), so the broker never advertises what it cannot
 * do.
 */
#include "kafka_apis_int.h"
#include "clock.h"
#include "client_quota.h"
#include "metrics.h"

#include <pthread.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "logger.h"
#include "msg_alter_configs.h"
#include "msg_alter_partition_reassignments.h"
#include "msg_api_versions.h"
#include "thread_role.h"
#include "producer_id_manager.h"
#include "msg_controlled_shutdown.h"
#include "msg_create_acls.h"
#include "msg_create_partitions.h"
#include "msg_delete_acls.h"
#include "msg_describe_acls.h"
#include "msg_create_topics.h"
#include "msg_delete_groups.h"
#include "msg_delete_records.h"
#include "msg_delete_topics.h"
#include "msg_describe_cluster.h"
#include "msg_describe_configs.h"
#include "msg_describe_groups.h"
#include "msg_describe_log_dirs.h"
#include "msg_alter_replica_log_dirs.h"
#include "msg_elect_leaders.h"
#include "msg_fetch.h"
#include "msg_find_coordinator.h"
#include "msg_heartbeat.h"
#include "msg_incremental_alter_configs.h"
#include "msg_init_producer_id.h"
#include "msg_describe_client_quotas.h"
#include "msg_alter_client_quotas.h"
#include "msg_write_txn_markers.h"
#include "msg_add_partitions_to_txn.h"
#include "msg_add_offsets_to_txn.h"
#include "msg_end_txn.h"
#include "msg_sasl_handshake.h"
#include "msg_sasl_authenticate.h"
#include "msg_describe_user_scram_credentials.h"
#include "msg_alter_user_scram_credentials.h"
#include "msg_join_group.h"
#include "msg_leader_and_isr.h"
#include "msg_leave_group.h"
#include "msg_list_groups.h"
#include "msg_list_offsets.h"
#include "msg_list_partition_reassignments.h"
#include "msg_metadata.h"
#include "msg_offset_commit.h"
#include "msg_offset_delete.h"
#include "msg_offset_fetch.h"
#include "msg_offset_for_leader_epoch.h"
#include "msg_produce.h"
#include "msg_stop_replica.h"
#include "msg_sync_group.h"
#include "msg_txn_offset_commit.h"
#include "msg_update_metadata.h"
#include "proto_gen.h"

#define SM_APIS_LOGGER "kafka.server.KafkaApis"
#define SM_APIS_REQUEST_LOGGER "kafka.request.logger"

static sm_api_handler_t sm_api_api_versions;

typedef struct sm_api_entry {
	int16_t key;
	int16_t min;
	int16_t max;
	sm_api_handler_t *handler;
	const sm_proto_codec_t *codec;
} sm_api_entry_t;

/* The APIs Samsa serves. Their version ranges come from the generated
 * table (sm_proto_versions, from src/protocol/specs), so a served API is
 * always advertised at Kafka 2.8's full range and the ranges live in one
 * place. The handlers are strong references: a handler missing from the
 * build fails the link instead of silently dropping its API. */
static const struct {
	int16_t key;
	sm_api_handler_t *handler;
	/* The generated request codec, for the request log; NULL while the
	 * API's codec is still hand-written. */
	const sm_proto_codec_t *codec;
} sm_api_handlers[] = {
	{ SM_API_PRODUCE, sm_api_produce, &sm_produce_req_codec },
	{ SM_API_FETCH, sm_api_fetch, &sm_fetch_req_codec },
	{ SM_API_LIST_OFFSETS, sm_api_list_offsets, &sm_list_offsets_req_codec },
	{ SM_API_METADATA, sm_api_metadata, &sm_metadata_req_codec },
	{ SM_API_LEADER_AND_ISR, sm_api_leader_and_isr, &sm_leader_and_isr_req_codec },
	{ SM_API_STOP_REPLICA, sm_api_stop_replica, &sm_stop_replica_req_codec },
	{ SM_API_UPDATE_METADATA, sm_api_update_metadata, &sm_update_metadata_req_codec },
	{ SM_API_CONTROLLED_SHUTDOWN, sm_api_controlled_shutdown, &sm_controlled_shutdown_req_codec },
	{ SM_API_OFFSET_COMMIT, sm_api_offset_commit, &sm_offset_commit_req_codec },
	{ SM_API_OFFSET_FETCH, sm_api_offset_fetch, &sm_offset_fetch_req_codec },
	{ SM_API_FIND_COORDINATOR, sm_api_find_coordinator, &sm_find_coordinator_req_codec },
	{ SM_API_JOIN_GROUP, sm_api_join_group, &sm_join_group_req_codec },
	{ SM_API_HEARTBEAT, sm_api_heartbeat, &sm_heartbeat_req_codec },
	{ SM_API_LEAVE_GROUP, sm_api_leave_group, &sm_leave_group_req_codec },
	{ SM_API_SYNC_GROUP, sm_api_sync_group, &sm_sync_group_req_codec },
	{ SM_API_DESCRIBE_GROUPS, sm_api_describe_groups, &sm_describe_groups_req_codec },
	{ SM_API_LIST_GROUPS, sm_api_list_groups, &sm_list_groups_req_codec },
	{ SM_API_API_VERSIONS, sm_api_api_versions, &sm_api_versions_req_codec },
	{ SM_API_CREATE_TOPICS, sm_api_create_topics, &sm_create_topics_req_codec },
	{ SM_API_DELETE_TOPICS, sm_api_delete_topics, &sm_delete_topics_req_codec },
	{ SM_API_DELETE_RECORDS, sm_api_delete_records, &sm_delete_records_req_codec },
	{ SM_API_INIT_PRODUCER_ID, sm_api_init_producer_id, &sm_init_producer_id_req_codec },
	{ SM_API_WRITE_TXN_MARKERS, sm_api_write_txn_markers, &sm_write_txn_markers_req_codec },
	{ SM_API_ADD_PARTITIONS_TO_TXN, sm_api_add_partitions_to_txn, &sm_add_partitions_to_txn_req_codec },
	{ SM_API_ADD_OFFSETS_TO_TXN, sm_api_add_offsets_to_txn, &sm_add_offsets_to_txn_req_codec },
	{ SM_API_END_TXN, sm_api_end_txn, &sm_end_txn_req_codec },
	{ SM_API_TXN_OFFSET_COMMIT, sm_api_txn_offset_commit, &sm_txn_offset_commit_req_codec },
	{ SM_API_SASL_HANDSHAKE, sm_api_sasl_handshake, &sm_sasl_handshake_req_codec },
	{ SM_API_SASL_AUTHENTICATE, sm_api_sasl_authenticate, &sm_sasl_authenticate_req_codec },
	{ SM_API_DESCRIBE_USER_SCRAM_CREDENTIALS, sm_api_describe_user_scram_credentials, &sm_describe_user_scram_credentials_req_codec },
	{ SM_API_ALTER_USER_SCRAM_CREDENTIALS, sm_api_alter_user_scram_credentials, &sm_alter_user_scram_credentials_req_codec },
	{ SM_API_OFFSET_FOR_LEADER_EPOCH, sm_api_offset_for_leader_epoch, &sm_offset_for_leader_epoch_req_codec },
	{ SM_API_DESCRIBE_CONFIGS, sm_api_describe_configs, &sm_describe_configs_req_codec },
	{ SM_API_ALTER_CONFIGS, sm_api_alter_configs, &sm_alter_configs_req_codec },
	{ SM_API_DESCRIBE_LOG_DIRS, sm_api_describe_log_dirs, &sm_describe_log_dirs_req_codec },
	{ SM_API_ALTER_REPLICA_LOG_DIRS, sm_api_alter_replica_log_dirs,
	  &sm_alter_replica_log_dirs_req_codec },
	{ SM_API_CREATE_PARTITIONS, sm_api_create_partitions, &sm_create_partitions_req_codec },
	{ SM_API_DELETE_GROUPS, sm_api_delete_groups, &sm_delete_groups_req_codec },
	{ SM_API_ELECT_LEADERS, sm_api_elect_leaders, &sm_elect_leaders_req_codec },
	{ SM_API_INCREMENTAL_ALTER_CONFIGS, sm_api_incremental_alter_configs,
	  &sm_incremental_alter_configs_req_codec },
	{ SM_API_ALTER_PARTITION_REASSIGNMENTS, sm_api_alter_partition_reassignments, &sm_alter_partition_reassignments_req_codec },
	{ SM_API_LIST_PARTITION_REASSIGNMENTS, sm_api_list_partition_reassignments, &sm_list_partition_reassignments_req_codec },
	{ SM_API_OFFSET_DELETE, sm_api_offset_delete, &sm_offset_delete_req_codec },
	{ SM_API_DESCRIBE_CLUSTER, sm_api_describe_cluster, &sm_describe_cluster_req_codec },
	{ SM_API_DESCRIBE_ACLS, sm_api_describe_acls, &sm_describe_acls_req_codec },
	{ SM_API_CREATE_ACLS, sm_api_create_acls, &sm_create_acls_req_codec },
	{ SM_API_DELETE_ACLS, sm_api_delete_acls, &sm_delete_acls_req_codec },
	{ SM_API_DESCRIBE_CLIENT_QUOTAS, sm_api_describe_client_quotas,
	  &sm_describe_client_quotas_req_codec },
	{ SM_API_ALTER_CLIENT_QUOTAS, sm_api_alter_client_quotas, &sm_alter_client_quotas_req_codec },
};

#define SM_API_TABLE_CNT ((int)(sizeof(sm_api_handlers) / sizeof(sm_api_handlers[0])))

/* Handlers joined with their generated version ranges, in handler order;
 * built once. */
static sm_api_entry_t sm_api_table[SM_API_TABLE_CNT];
static pthread_once_t sm_api_table_once = PTHREAD_ONCE_INIT;

static void sm_api_table_build(void)
{
	for (int i = 0; i < SM_API_TABLE_CNT; i++) {
		const sm_proto_version_t *v = NULL;
		for (int j = 0; j < SM_PROTO_VERSIONS_CNT; j++)
			if (sm_proto_versions[j].key == sm_api_handlers[i].key)
				v = &sm_proto_versions[j];
		/* Start-up check: a handler for an API the specs do not
		 * describe would be advertised with no versions. */
		if (!v) {
			sm_log_error(NULL, SM_APIS_LOGGER,
				     "API key %d has a handler but no message spec",
				     sm_api_handlers[i].key);
			abort();
		}
		sm_api_table[i].key = v->key;
		sm_api_table[i].min = v->min_ver;
		sm_api_table[i].max = v->max_ver;
		sm_api_table[i].handler = sm_api_handlers[i].handler;
		sm_api_table[i].codec = sm_api_handlers[i].codec;
	}
}

static const sm_api_entry_t *sm_apis_entry(int16_t key)
{
	pthread_once(&sm_api_table_once, sm_api_table_build);
	for (int i = 0; i < SM_API_TABLE_CNT; i++)
		if (sm_api_table[i].key == key)
			return &sm_api_table[i];
	return NULL;
}

int sm_kafka_apis_supported(sm_api_range_t *out, int max)
{
	int n = 0;

	pthread_once(&sm_api_table_once, sm_api_table_build);
	for (int i = 0; i < SM_API_TABLE_CNT && n < max; i++) {
		out[n].key = sm_api_table[i].key;
		out[n].min = sm_api_table[i].min;
		out[n].max = sm_api_table[i].max;
		n++;
	}
	return n;
}

/* ---- frame capture (fuzz seed corpus, tests only) ----
 *
 * With SM_REQUEST_CAPTURE_DIR set, the first request frame of each
 * (API, version, client id) and the first in-memory response to it are
 * written there: req-KK-vVV-<client> holds the frame as received (no size
 * prefix), resp-KK-vVV-<client> the api key and version (int16 each) and
 * the response frame, the formats of tests/fuzz's request and response
 * harnesses. O_EXCL keeps the first one, so the directory stays small. */

static void sm_apis_capture(const sm_req_ctx_t *ctx, const char *kind, const uint8_t *pre,
			    size_t pre_len, const uint8_t *p, size_t len)
{
	char client[33], path[4096];
	const char *cid = ctx->hdr.client_id ? ctx->hdr.client_id : "";
	size_t n = 0;
	for (; cid[n] && n < sizeof(client) - 1; n++) {
		char c = cid[n];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			 c == '-' || c == '_' || c == '.';
		client[n] = ok ? c : '_';
	}
	client[n] = 0;
	snprintf(path, sizeof(path), "%s/%s-%02d-v%02d-%s", ctx->apis->capture_dir, kind,
		 ctx->hdr.api_key, ctx->hdr.api_version, n ? client : "none");
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if ((pre_len && write(fd, pre, pre_len) != (ssize_t)pre_len) ||
	    write(fd, p, len) != (ssize_t)len)
		sm_log_warn(NULL, SM_APIS_LOGGER, "Could not write captured frame %s", path);
	close(fd);
}

sm_kafka_apis_t *sm_kafka_apis_new(const sm_kafka_apis_deps_t *deps)
{
	sm_kafka_apis_t *apis = sm_calloc(1, sizeof(*apis));

	/* Checks the handler table against the specs at start-up. */
	pthread_once(&sm_api_table_once, sm_api_table_build);
	apis->d = *deps;
	apis->capture_dir = getenv("SM_REQUEST_CAPTURE_DIR");
	if (apis->capture_dir && !*apis->capture_dir)
		apis->capture_dir = NULL;
	if (apis->capture_dir)
		sm_log_warn(NULL, SM_APIS_LOGGER,
			    "SM_REQUEST_CAPTURE_DIR is set: writing request and response frames to %s "
			    "(a test setting, never for production)",
			    apis->capture_dir);
	apis->purgatory = sm_purgatory_new("fetch-purgatory");
	/* Kafka's transaction coordinator claims its first producer id block
	 * at startup; the idempotent path needs nothing else from it */
	if (deps->zk)
		apis->pid_manager = sm_pid_manager_new(deps->zk, deps->broker_id);
	if (deps->cfg)
		sm_log_set_producer_expiration_ms(deps->cfg->transactional_id_expiration_ms);
	if (deps->replica_manager)
		sm_replica_manager_set_append_listener(deps->replica_manager,
						       sm_apis_partition_changed,
						       apis->purgatory);
	return apis;
}

sm_purgatory_t *sm_kafka_apis_purgatory(sm_kafka_apis_t *apis)
{
	return apis->purgatory;
}

void sm_apis_partition_changed(void *opaque, sm_partition_t *p)
{
	/* Called under rm->lock (and maybe a coordinator's mutex): a handler
	 * completes the watchers once its request is handled, any other
	 * thread leaves them to the purgatory thread. */
	sm_purgatory_check_or_defer(opaque, sm_partition_topic(p), sm_partition_id(p));
}

void sm_apis_park_acks(sm_req_ctx_t *ctx, int64_t deadline, sm_delayed_op_fn *fn, void *arg,
		       const sm_acks_wait_t *w, int n)
{
	sm_op_key_t *keys = sm_calloc((size_t)n + 1, sizeof(*keys));
	int k = 0;
	for (int i = 0; i < n; i++)
		if (w[i].p)
			keys[k++] = (sm_op_key_t){ sm_partition_topic(w[i].p), sm_partition_id(w[i].p) };
	/* the handler holds no lock: the try after parking runs here rather
	 * than waking the purgatory thread for it */
	sm_purgatory_watch_here(ctx->apis->purgatory, deadline, fn, arg, keys, k);
	free(keys);
}

void sm_kafka_apis_destroy(sm_kafka_apis_t *apis)
{
	if (!apis)
		return;
	if (apis->d.replica_manager)
		sm_replica_manager_set_append_listener(apis->d.replica_manager, NULL, NULL);
	sm_purgatory_destroy(apis->purgatory);
	sm_pid_manager_destroy(apis->pid_manager);
	free(apis);
}

static void sm_apis_ctx_unref(sm_req_ctx_t *ctx)
{
	if (atomic_fetch_sub_explicit(&ctx->refs, 1, memory_order_acq_rel) == 1)
		free(ctx);
}

void sm_apis_ctx_free(sm_req_ctx_t *ctx)
{
	/* the request's memory goes now; the struct itself may still be held
	 * by the handler that parked it, which ends its thread time */
	sm_arena_destroy(&ctx->arena);
	sm_wbuf_free(&ctx->resp);
	sm_apis_ctx_unref(ctx);
}

sm_wbuf_t *sm_apis_resp_begin(sm_req_ctx_t *ctx)
{
	sm_wbuf_reset(&ctx->resp);
	sm_proto_resp_header_write(&ctx->resp, ctx->hdr.api_key, ctx->hdr.api_version,
				   ctx->hdr.correlation_id);
	/* the response writer that follows tallies its error codes */
	sm_proto_err_tally_begin();
	return &ctx->resp;
}

/* Cluster actions (controller and inter-broker requests) are exempt from
 * the request quota, as Kafka exempts ClusterAction-authorized requests. */
static int sm_apis_request_quota_exempt(const sm_req_ctx_t *ctx)
{
	switch (ctx->hdr.api_key) {
	case SM_API_LEADER_AND_ISR:
	case SM_API_STOP_REPLICA:
	case SM_API_UPDATE_METADATA:
	case SM_API_CONTROLLED_SHUTDOWN:
	case SM_API_WRITE_TXN_MARKERS:
		return 1;
	default:
		return ctx->quota_exempt;
	}
}

/* request_percentage: the request's handler time (Kafka's
 * requestThreadTimeNanos, client_quota.h), as a percentage of one second,
 * recorded once, just before the response goes out -- on the handler that
 * took the request or on the thread answering it later. Recorded for every
 * client once quotas are enabled, as Kafka's maybeRecordAndGetThrottleTimeMs
 * does, so unquoted clients have their request-time too. */
int32_t sm_apis_request_quota_now(sm_req_ctx_t *ctx)
{
	if (ctx->request_quota_done || sm_apis_request_quota_exempt(ctx))
		return 0;
	ctx->request_quota_done = 1;
	int64_t ns = sm_req_thread_time_ns(&ctx->thread_time, sm_clock_mono_ns());
	if (!sm_client_quotas_enabled(sm_client_quotas_global()))
		return 0;
	return sm_apis_quota_record(ctx, SM_QUOTA_REQUEST, (double)ns * 100.0 / 1e9);
}

static void sm_apis_request_quota(sm_req_ctx_t *ctx)
{
	sm_apis_quota_throttled(ctx, SM_QUOTA_REQUEST, sm_apis_request_quota_now(ctx));
}

void sm_apis_quota_throttled(sm_req_ctx_t *ctx, int t, int32_t ms)
{
	if (ms <= 0)
		return; /* the common case: nothing to charge, no clock read */
	sm_client_quotas_throttled(sm_client_quotas_global(), (sm_quota_type_t)t,
				   sm_apis_quota_user(ctx), ctx->hdr.client_id, ms, sm_clock_mono_ms());
}

/* The request its handler thread is handling right now (the handler and
 * the completions run after it), for the remote time. */
static __thread sm_req_ctx_t *sm_apis_inline;

/* TotalTimeMs, and the handler's part of the request phases (metrics.h):
 * local is the handler's thread time, remote the rest since the request was
 * taken (its time parked in a purgatory). */
static void sm_apis_phases(sm_req_ctx_t *ctx)
{
	int64_t now = sm_clock_mono_ms();
	sm_request_t *r = ctx->req;
	sm_metrics_request_done(ctx->hdr.api_key, now - r->recv_time_ms);
	int64_t now_ns = sm_clock_mono_ns();
	int64_t local_ns = sm_req_thread_time_ns(&ctx->thread_time, now_ns);
	/* Answered by its own handler (or by the completions run right after
	 * it): no remote time, as Kafka, whose local completion is then the
	 * response's. Otherwise remote is from the local completion to now. */
	int64_t remote_ns = sm_apis_inline == ctx ? 0 :
			    now_ns - atomic_load(&ctx->thread_time.end_ns);
	r->local_ms = local_ns / 1000000;
	r->remote_ms = remote_ns > 0 ? remote_ns / 1000000 : 0;
	r->resp_queued_ms = now;
}

void sm_apis_resp_send(sm_req_ctx_t *ctx)
{
	sm_proto_err_tally_t t;
	sm_proto_err_tally_end(&t);
	sm_metrics_request_errors(ctx->hdr.api_key, t.code, t.count, t.n);
	sm_apis_request_quota(ctx);
	if (ctx->apis->capture_dir && !ctx->resp.nfrags) {
		uint8_t kv[4] = { (uint8_t)(ctx->hdr.api_key >> 8), (uint8_t)ctx->hdr.api_key,
				  (uint8_t)(ctx->hdr.api_version >> 8), (uint8_t)ctx->hdr.api_version };
		sm_apis_capture(ctx, "resp", kv, sizeof(kv), ctx->resp.p, ctx->resp.len);
	}
	sm_apis_phases(ctx);
	sm_wbuf_t *w = sm_malloc(sizeof(*w));
	*w = ctx->resp;
	memset(&ctx->resp, 0, sizeof(ctx->resp));
	sm_request_channel_send_response(ctx->apis->d.channel, ctx->req, w);
	ctx->req = NULL;
	sm_apis_ctx_free(ctx);
}

const char *sm_apis_quota_user(const sm_req_ctx_t *ctx)
{
	const char *p = ctx->req->principal;
	const char *colon = strchr(p, ':');
	return colon ? colon + 1 : p;
}

int32_t sm_apis_quota_record(sm_req_ctx_t *ctx, int t, double value)
{
	sm_client_quotas_t *q = sm_client_quotas_global();
	if (!q)
		return 0;
	int32_t ms = sm_client_quotas_record(q, (sm_quota_type_t)t, sm_apis_quota_user(ctx),
					     ctx->hdr.client_id, value, sm_clock_mono_ms());
	if (ms > ctx->req->throttle_ms)
		ctx->req->throttle_ms = ms;
	if (ms > 0)
		sm_log_debug(NULL, "kafka.server.ClientQuotaManager",
			     "Quota violated for %s by %s (client id %s, %s): throttling %d ms",
			     sm_quota_key((sm_quota_type_t)t), ctx->req->principal,
			     ctx->hdr.client_id, ctx->req->peer, (int)ms);
	return ms;
}

int sm_apis_mutation_quota_applies(sm_req_ctx_t *ctx)
{
	/* Kafka's newStrictQuotaFor / newPermissiveQuotaFor: a sensor for
	 * every client once quotas are enabled (its mutation-rate is measured
	 * without a quota too), unbounded before */
	(void)ctx;
	return sm_client_quotas_enabled(sm_client_quotas_global());
}

sm_err_t sm_apis_mutation_record(sm_req_ctx_t *ctx, int strict, double partitions, char *errmsg,
				 size_t errlen)
{
	int refused = 0;
	int64_t now = sm_clock_mono_ms();
	int32_t ms = sm_client_quotas_mutation_record(sm_client_quotas_global(),
						      sm_apis_quota_user(ctx), ctx->hdr.client_id,
						      partitions, strict, now, &refused);
	if (ms > 0) {
		/* Kafka keeps the last violation's throttle, not the largest */
		ctx->mutation_throttle_ms = ms;
		ctx->mutation_throttle_at = now;
		sm_log_debug(NULL, "kafka.server.ControllerMutationQuotaManager",
			     "Quota violated for controller_mutation_rate by %s (client id %s, %s): "
			     "throttling %d ms", ctx->req->principal, ctx->hdr.client_id,
			     ctx->req->peer, (int)ms);
	}
	if (!refused)
		return SM_ERR_NONE;
	if (errmsg)
		snprintf(errmsg, errlen, "The throttling quota has been exceeded.");
	return SM_ERR_THROTTLING_QUOTA_EXCEEDED;
}

int32_t sm_apis_mutation_throttle(sm_req_ctx_t *ctx)
{
	int64_t left = 0;
	if (ctx->mutation_throttle_ms > 0) {
		left = ctx->mutation_throttle_ms - (sm_clock_mono_ms() - ctx->mutation_throttle_at);
		if (left < 0)
			left = 0;
	}
	int32_t rq = sm_apis_request_quota_now(ctx);
	int32_t ms = left > rq ? (int32_t)left : rq;
	/* charged to the quota asking the longer time, the request quota on
	 * a tie (Kafka's sendResponseMaybeThrottleWithControllerQuota) */
	if (left <= rq)
		sm_apis_quota_throttled(ctx, SM_QUOTA_REQUEST, rq);
	else
		sm_apis_quota_throttled(ctx, SM_QUOTA_MUTATION, (int32_t)left);
	if (ms > ctx->req->throttle_ms)
		ctx->req->throttle_ms = ms;
	return ms;
}

void sm_apis_resp_none(sm_req_ctx_t *ctx)
{
	sm_apis_request_quota(ctx);
	sm_apis_phases(ctx);
	sm_request_channel_send_response(ctx->apis->d.channel, ctx->req, NULL);
	ctx->req = NULL;
	sm_apis_ctx_free(ctx);
}

typedef struct {
	const char *name;
	int i;
} sm_apis_named_t;

static int sm_apis_named_cmp(const void *a, const void *b)
{
	const sm_apis_named_t *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

uint8_t *sm_apis_duplicates(sm_arena_t *a, const char *const *names, int n)
{
	uint8_t *dup = sm_arena_alloc_array(a, n, 1);
	sm_apis_named_t *v = sm_arena_alloc_array(a, n, sizeof(*v));
	if (!dup || !v)
		return NULL;
	int m = 0;
	for (int i = 0; i < n; i++)
		if (names[i])
			v[m++] = (sm_apis_named_t){ names[i], i };
	qsort(v, (size_t)m, sizeof(*v), sm_apis_named_cmp);
	for (int k = 1; k < m; k++)
		if (!strcmp(v[k].name, v[k - 1].name))
			dup[v[k].i] = dup[v[k - 1].i] = 1;
	return dup;
}

#define SM_APIS_REFUSED_LOG_MAX 5

int sm_apis_acks_settle(sm_acks_wait_t *w, int n, int expired)
{
	int pending = 0;
	for (int i = 0; i < n; i++) {
		if (!w[i].p)
			continue;
		sm_err_t e;
		if (sm_partition_check_acks(w[i].p, w[i].required, &e)) {
			*w[i].error_code = (int16_t)e;
		} else if (expired) {
			*w[i].error_code = SM_ERR_REQUEST_TIMED_OUT;
		} else {
			pending = 1;
			continue;
		}
		sm_partition_release(w[i].p);
		w[i].p = NULL;
	}
	return !pending;
}

void sm_apis_refused(sm_req_ctx_t *ctx, const char *fmt, ...)
{
	if (ctx->n_refused++ > SM_APIS_REFUSED_LOG_MAX)
		return;
	if (ctx->n_refused > SM_APIS_REFUSED_LOG_MAX) {
		sm_log_info(NULL, "kafka.server.KafkaApis", "Further refusals in %s request from %s "
			    "(correlation id %d) are not logged", sm_proto_api_name(ctx->hdr.api_key),
			    ctx->req->peer, ctx->hdr.correlation_id);
		return;
	}
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sm_log_info(NULL, "kafka.server.KafkaApis", "Refused part of %s request from %s (correlation id %d): %s",
		    sm_proto_api_name(ctx->hdr.api_key), ctx->req->peer, ctx->hdr.correlation_id, msg);
}

void sm_apis_close(sm_req_ctx_t *ctx, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sm_log_warn(NULL, "kafka.network.Processor", "Closing connection from %s: %s",
		    ctx->req->peer, msg);
	sm_request_channel_close(ctx->apis->d.channel, ctx->req);
	ctx->req = NULL;
	sm_apis_ctx_free(ctx);
}

void sm_apis_parse_error(sm_req_ctx_t *ctx)
{
	sm_apis_close(ctx, "invalid %s request body (version %d, correlation id %d, %zu bytes)",
		      sm_proto_api_name(ctx->hdr.api_key), ctx->hdr.api_version,
		      ctx->hdr.correlation_id, ctx->req->len);
}

/* ApiVersions, all versions; the body of a too-new version is not parsed. */
static void sm_api_api_versions(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_api_versions_resp_t resp;
	sm_api_versions_resp_init(&resp);
	sm_api_range_t ranges[SM_API_TABLE_CNT];
	sm_api_versions_resp_api_key_t keys[SM_API_TABLE_CNT];
	int n = sm_kafka_apis_supported(ranges, SM_API_TABLE_CNT);
	for (int i = 0; i < n; i++) {
		keys[i].api_key = ranges[i].key;
		keys[i].min_version = ranges[i].min;
		keys[i].max_version = ranges[i].max;
	}
	resp.api_keys = keys;
	resp.api_keys_cnt = n;
	if (ver > 3) {
		/* KIP-511: answer in v0 with UNSUPPORTED_VERSION and the
		 * ApiVersions range, so the client can retry lower. */
		const sm_api_entry_t *e = sm_apis_entry(SM_API_API_VERSIONS);
		keys[0].api_key = e->key;
		keys[0].min_version = e->min;
		keys[0].max_version = e->max;
		resp.api_keys_cnt = 1;
		resp.error_code = SM_ERR_UNSUPPORTED_VERSION;
		sm_wbuf_reset(&ctx->resp);
		sm_wbuf_i32(&ctx->resp, ctx->hdr.correlation_id);
		sm_api_versions_resp_write(&ctx->resp, 0, &resp);
		sm_apis_resp_send(ctx);
		return;
	}
	sm_api_versions_req_t req;
	if (sm_api_versions_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	if (ver >= 3 && (!sm_api_versions_valid_software(req.client_software_name) ||
			 !sm_api_versions_valid_software(req.client_software_version))) {
		resp.error_code = SM_ERR_INVALID_REQUEST;
		resp.api_keys_cnt = 0;
	}
	sm_api_versions_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}

#define SM_APIS_LIT(w, lit) sm_wbuf_append((w), (lit), sizeof(lit) - 1)

/* At DEBUG, logs each request as JSON like Kafka's kafka.request.logger
 * (decoded a second time from a copy of the body reader, so the handler
 * still sees it untouched). */
static void sm_apis_log_request(sm_req_ctx_t *ctx, const sm_api_entry_t *e)
{
	if (!e->codec || !sm_logger_enabled(SM_LOG_DEBUG))
		return;
	sm_rbuf_t rb = ctx->body;
	void *msg = sm_arena_alloc(&ctx->arena, e->codec->size);
	sm_wbuf_t w;

	sm_wbuf_init(&w, 256);
	SM_APIS_LIT(&w, "{\"requestHeader\":{\"requestApiKey\":");
	sm_proto_json_i64(&w, ctx->hdr.api_key);
	SM_APIS_LIT(&w, ",\"requestApiVersion\":");
	sm_proto_json_i64(&w, ctx->hdr.api_version);
	SM_APIS_LIT(&w, ",\"correlationId\":");
	sm_proto_json_i64(&w, ctx->hdr.correlation_id);
	SM_APIS_LIT(&w, ",\"clientId\":");
	sm_proto_json_str(&w, ctx->hdr.client_id, 1);
	SM_APIS_LIT(&w, "},\"request\":");
	if (e->codec->read(&rb, ctx->hdr.api_version, &ctx->arena, msg) == 0)
		e->codec->json(&w, ctx->hdr.api_version, msg);
	else
		SM_APIS_LIT(&w, "null");
	SM_APIS_LIT(&w, ",\"connection\":");
	sm_proto_json_str(&w, ctx->req->peer, 0);
	SM_APIS_LIT(&w, ",\"listener\":");
	sm_proto_json_str(&w, ctx->req->listener, 0);
	SM_APIS_LIT(&w, ",\"principal\":");
	sm_proto_json_str(&w, ctx->req->principal[0] ? ctx->req->principal : "User:ANONYMOUS", 0);
	SM_APIS_LIT(&w, "}");
	sm_log(SM_LOGFILE_SERVER, SM_LOG_DEBUG, NULL, SM_APIS_REQUEST_LOGGER, "Received request:%.*s",
	       (int)w.len, (const char *)w.p);
	sm_wbuf_free(&w);
}

int sm_kafka_apis_runs_inline(const sm_request_t *req)
{
	sm_rbuf_t rb;
	int16_t key, ver;
	int32_t n;

	if (req->len > SM_APIS_INLINE_MAX_BYTES)
		return 0;
	sm_rbuf_init(&rb, req->data, req->len);
	key = sm_rbuf_i16(&rb);
	ver = sm_rbuf_i16(&rb);
	if (rb.err || key != SM_API_PRODUCE || ver < 3 || ver > 9)
		return 0;
	sm_rbuf_i32(&rb); /* correlation id */
	n = sm_rbuf_i16(&rb); /* client id, a nullable string in every header */
	if (n > 0)
		sm_rbuf_skip(&rb, (size_t)n);
	if (ver >= 9) /* flexible: header v2's tagged fields, compact strings */
		sm_rbuf_skip_tags(&rb);
	/* transactional_id: only requests without one (null: compact length
	 * 0, or int16 -1) */
	int null_txn = ver >= 9 ? sm_rbuf_uvarint(&rb) == 0 : sm_rbuf_i16(&rb) == -1;
	if (rb.err || !null_txn)
		return 0;
	int16_t acks = sm_rbuf_i16(&rb);
	return !rb.err && (acks == 0 || acks == 1);
}

void sm_kafka_apis_handle_inline(sm_kafka_apis_t *apis, sm_request_t *req)
{
	SM_ASSERT_ROLE(SM_ROLE_PROCESSOR);
	unsigned prev = sm_thread_role_set(sm_thread_role() | SM_ROLE_HANDLER);
	sm_kafka_apis_handle(apis, req);
	sm_thread_role_set(prev);
}

void sm_kafka_apis_handle(sm_kafka_apis_t *apis, sm_request_t *req)
{
	SM_ASSERT_ROLE(SM_ROLE_HANDLER);
	sm_req_ctx_t *ctx = sm_calloc(1, sizeof(*ctx));
	atomic_init(&ctx->refs, 1);
	ctx->apis = apis;
	ctx->req = req;
	req->taken_ms = sm_clock_mono_ms();
	sm_arena_init(&ctx->arena);
	sm_arena_set_budget(&ctx->arena, SM_REQ_ARENA_BASE + SM_REQ_ARENA_PER_BYTE * req->len);
	sm_wbuf_init(&ctx->resp, 256);
	sm_rbuf_init(&ctx->body, req->data, req->len);
	if (sm_proto_req_header_read(&ctx->body, &ctx->arena, &ctx->hdr)) {
		if (ctx->hdr.header_version == -1)
			sm_apis_close(ctx, "unknown API key %d (version %d, correlation id %d)",
				      ctx->hdr.api_key, ctx->hdr.api_version,
				      ctx->hdr.correlation_id);
		else
			sm_apis_close(ctx, "invalid request header (%zu bytes)", req->len);
		return;
	}
	if (apis->capture_dir)
		sm_apis_capture(ctx, "req", NULL, 0, req->data, req->len);
	const sm_api_entry_t *e = sm_apis_entry(ctx->hdr.api_key);
	if (!e) {
		sm_apis_close(ctx, "unsupported API %s (key %d)", sm_proto_api_name(ctx->hdr.api_key),
			      ctx->hdr.api_key);
		return;
	}
	if (ctx->hdr.api_version < e->min ||
	    (ctx->hdr.api_version > e->max && e->key != SM_API_API_VERSIONS)) {
		sm_apis_close(ctx, "unsupported version %d of %s (supported %d-%d)",
			      ctx->hdr.api_version, sm_proto_api_name(e->key), e->min, e->max);
		return;
	}
	sm_apis_log_request(ctx, e);
	sm_metrics_request(ctx->hdr.api_key, ctx->hdr.api_version);
	req->api_key = ctx->hdr.api_key;
	/* The handler holds ctx until it returns, even when it parks it and
	 * another thread answers meanwhile: its thread time ends here. */
	atomic_store_explicit(&ctx->refs, 2, memory_order_relaxed);
	sm_req_thread_time_begin(&ctx->thread_time, sm_clock_mono_ns());
	sm_purgatory_defer_begin();
	sm_apis_inline = ctx;
	e->handler(ctx);
	/* The handler holds no lock now: the operations parked on what it
	 * changed (acks=-1 produces a follower's fetch unblocked, fetches
	 * waiting for an append) are answered here rather than after a hop
	 * to the purgatory thread (Kafka's tryCompleteActions). */
	sm_purgatory_complete_deferred();
	sm_apis_inline = NULL;
	/* Kafka sets apiLocalCompleteTimeNanos after tryCompleteActions: a
	 * request still parked is charged its handling up to here. */
	sm_req_thread_time_end(&ctx->thread_time, sm_clock_mono_ns());
	sm_apis_ctx_unref(ctx);
}
