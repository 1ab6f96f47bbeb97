/*
 * kafka_apis.c - request dispatch and ApiVersions (Kafka's KafkaApis).
 *
 * The handler table is also the advertised API list: an API is in ApiVersions
 * exactly when it has a handler here, with the version range that handler
 * serves, so the broker never advertises what it cannot do.
 */
#include "kafka_apis_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "logger.h"
#include "msg_api_versions.h"
#include "thread_role.h"
#include "producer_id_manager.h"

#define SM_APIS_LOGGER "kafka.server.KafkaApis"

static sm_api_handler_t sm_api_api_versions;

typedef struct sm_api_entry {
	int16_t key;
	int16_t min;
	int16_t max;
	sm_api_handler_t *handler;
} sm_api_entry_t;

/* Kafka 2.8's ranges for every API Samsa serves or will serve. An entry
 * whose handler is not linked in (weak, NULL) is neither advertised nor
 * accepted, so the broker never advertises what it cannot do. */
static const sm_api_entry_t sm_api_table[] = {
	{ SM_API_PRODUCE, 0, 9, sm_api_produce },
	{ SM_API_FETCH, 0, 12, sm_api_fetch },
	{ SM_API_LIST_OFFSETS, 0, 6, sm_api_list_offsets },
	{ SM_API_METADATA, 0, 11, sm_api_metadata },
	{ SM_API_LEADER_AND_ISR, 0, 5, sm_api_leader_and_isr },
	{ SM_API_STOP_REPLICA, 0, 3, sm_api_stop_replica },
	{ SM_API_UPDATE_METADATA, 0, 7, sm_api_update_metadata },
	{ SM_API_CONTROLLED_SHUTDOWN, 0, 3, sm_api_controlled_shutdown },
	{ SM_API_OFFSET_COMMIT, 0, 8, sm_api_offset_commit },
	{ SM_API_OFFSET_FETCH, 0, 7, sm_api_offset_fetch },
	{ SM_API_FIND_COORDINATOR, 0, 3, sm_api_find_coordinator },
	{ SM_API_JOIN_GROUP, 0, 7, sm_api_join_group },
	{ SM_API_HEARTBEAT, 0, 4, sm_api_heartbeat },
	{ SM_API_LEAVE_GROUP, 0, 4, sm_api_leave_group },
	{ SM_API_SYNC_GROUP, 0, 5, sm_api_sync_group },
	{ SM_API_DESCRIBE_GROUPS, 0, 5, sm_api_describe_groups },
	{ SM_API_LIST_GROUPS, 0, 4, sm_api_list_groups },
	{ SM_API_API_VERSIONS, 0, 3, sm_api_api_versions },
	{ SM_API_CREATE_TOPICS, 0, 7, sm_api_create_topics },
	{ SM_API_DELETE_TOPICS, 0, 6, sm_api_delete_topics },
	{ SM_API_DELETE_RECORDS, 0, 2, sm_api_delete_records },
	{ SM_API_INIT_PRODUCER_ID, 0, 4, sm_api_init_producer_id },
	{ SM_API_WRITE_TXN_MARKERS, 0, 1, sm_api_write_txn_markers },
	{ SM_API_OFFSET_FOR_LEADER_EPOCH, 0, 4, sm_api_offset_for_leader_epoch },
	{ SM_API_DESCRIBE_CONFIGS, 0, 4, sm_api_describe_configs },
	{ SM_API_ALTER_CONFIGS, 0, 2, sm_api_alter_configs },
	{ SM_API_DESCRIBE_LOG_DIRS, 0, 2, sm_api_describe_log_dirs },
	{ SM_API_CREATE_PARTITIONS, 0, 3, sm_api_create_partitions },
	{ SM_API_DELETE_GROUPS, 0, 2, sm_api_delete_groups },
	{ SM_API_ELECT_LEADERS, 0, 2, sm_api_elect_leaders },
	{ SM_API_INCREMENTAL_ALTER_CONFIGS, 0, 1, sm_api_incremental_alter_configs },
	{ SM_API_ALTER_PARTITION_REASSIGNMENTS, 0, 0, sm_api_alter_partition_reassignments },
	{ SM_API_LIST_PARTITION_REASSIGNMENTS, 0, 0, sm_api_list_partition_reassignments },
	{ SM_API_OFFSET_DELETE, 0, 0, sm_api_offset_delete },
};

#define SM_API_TABLE_CNT ((int)(sizeof(sm_api_table) / sizeof(sm_api_table[0])))

static const sm_api_entry_t *sm_apis_entry(int16_t key)
{
	for (int i = 0; i < SM_API_TABLE_CNT; i++)
		if (sm_api_table[i].key == key && sm_api_table[i].handler)
			return &sm_api_table[i];
	return NULL;
}

int sm_kafka_apis_supported(sm_api_range_t *out, int max)
{
	int n = 0;
	for (int i = 0; i < SM_API_TABLE_CNT && n < max; i++) {
		if (!sm_api_table[i].handler)
			continue;
		out[n].key = sm_api_table[i].key;
		out[n].min = sm_api_table[i].min;
		out[n].max = sm_api_table[i].max;
		n++;
	}
	return n;
}

int64_t sm_apis_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sm_apis_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

sm_kafka_apis_t *sm_kafka_apis_new(const sm_kafka_apis_deps_t *deps)
{
	sm_kafka_apis_t *apis = sm_calloc(1, sizeof(*apis));
	apis->d = *deps;
	apis->fetch_purgatory = sm_fetch_purgatory_new(apis);
	/* Kafka's transaction coordinator claims its first producer id block
	 * at startup; the idempotent path needs nothing else from it */
	if (deps->zk)
		apis->pid_manager = sm_pid_manager_new(deps->zk, deps->broker_id);
	if (deps->cfg)
		sm_log_set_producer_expiration_ms(deps->cfg->transactional_id_expiration_ms);
	if (deps->replica_manager)
		sm_replica_manager_set_append_listener(deps->replica_manager,
						       sm_fetch_purgatory_notify,
						       apis->fetch_purgatory);
	return apis;
}

sm_fetch_purgatory_t *sm_kafka_apis_purgatory(sm_kafka_apis_t *apis)
{
	return apis->fetch_purgatory;
}

void sm_kafka_apis_destroy(sm_kafka_apis_t *apis)
{
	if (!apis)
		return;
	if (apis->d.replica_manager)
		sm_replica_manager_set_append_listener(apis->d.replica_manager, NULL, NULL);
	sm_fetch_purgatory_destroy(apis->fetch_purgatory);
	sm_pid_manager_destroy(apis->pid_manager);
	free(apis);
}

void sm_apis_ctx_free(sm_req_ctx_t *ctx)
{
	sm_arena_destroy(&ctx->arena);
	sm_wbuf_free(&ctx->resp);
	free(ctx);
}

sm_wbuf_t *sm_apis_resp_begin(sm_req_ctx_t *ctx)
{
	sm_wbuf_reset(&ctx->resp);
	sm_proto_resp_header_write(&ctx->resp, ctx->hdr.api_key, ctx->hdr.api_version,
				   ctx->hdr.correlation_id);
	return &ctx->resp;
}

void sm_apis_resp_send(sm_req_ctx_t *ctx)
{
	sm_wbuf_t *w = sm_malloc(sizeof(*w));
	*w = ctx->resp;
	memset(&ctx->resp, 0, sizeof(ctx->resp));
	sm_request_channel_send_response(ctx->apis->d.channel, ctx->req, w);
	ctx->req = NULL;
	sm_apis_ctx_free(ctx);
}

void sm_apis_resp_none(sm_req_ctx_t *ctx)
{
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
	sm_api_versions_resp_key_t keys[SM_API_TABLE_CNT];
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

void sm_kafka_apis_handle(sm_kafka_apis_t *apis, sm_request_t *req)
{
	SM_ASSERT_ROLE(SM_ROLE_HANDLER);
	sm_req_ctx_t *ctx = sm_calloc(1, sizeof(*ctx));
	ctx->apis = apis;
	ctx->req = req;
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
	e->handler(ctx);
}
