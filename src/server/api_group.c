/*
 * api_group.c - KafkaApis handlers of the group family: FindCoordinator,
 * JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch,
 * DescribeGroups, ListGroups, DeleteGroups, OffsetDelete, and the group
 * side of transactions, TxnOffsetCommit. They decode with
 * the msg_* codecs and call the group coordinator (group_coordinator.h).
 *
 * JoinGroup, SyncGroup, OffsetCommit and TxnOffsetCommit may be parked by the coordinator:
 * their ctx is finished from the coordinator's callback, possibly on the
 * "group-coord" or purgatory thread; the handler does not touch ctx after
 * handing it over.
 *
 * Thread-safety: handlers run concurrently on the request handler threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group_coordinator.h"
#include "clock.h"
#include "kafka_apis_int.h"
#include "logger.h"
#include "metadata_cache.h"
#include "msg_delete_groups.h"
#include "msg_describe_groups.h"
#include "msg_find_coordinator.h"
#include "msg_heartbeat.h"
#include "msg_join_group.h"
#include "msg_leave_group.h"
#include "msg_list_groups.h"
#include "msg_offset_commit.h"
#include "msg_offset_delete.h"
#include "msg_offset_fetch.h"
#include "msg_sync_group.h"
#include "msg_txn_offset_commit.h"

static sm_group_coordinator_t *sm_apig_gc(sm_req_ctx_t *ctx)
{
	return ctx->apis->d.group_coordinator;
}

/* Kafka reports the client's address as "/<ip>". */
static const char *sm_apig_client_host(sm_req_ctx_t *ctx)
{
	const char *peer = ctx->req ? ctx->req->peer : "";
	const char *colon = strrchr(peer, ':');
	size_t n = colon ? (size_t)(colon - peer) : strlen(peer);
	char *h = sm_arena_alloc(&ctx->arena, n + 2);
	h[0] = '/';
	memcpy(h + 1, peer, n);
	return h;
}

/* ---- FindCoordinator ---- */

/* Creates __consumer_offsets as Kafka does on first use. */
static void sm_apig_create_offsets_topic(sm_req_ctx_t *ctx)
{
	const sm_kafka_config_t *cfg = ctx->apis->d.cfg;
	char seg[32], err[256];
	snprintf(seg, sizeof(seg), "%d", cfg->offsets_topic_segment_bytes);
	char *keys[] = { "cleanup.policy", "compression.type", "segment.bytes" };
	char *vals[] = { "compact", "producer", seg };
	sm_err_t e = sm_apis_create_topic(ctx->apis, SM_GC_OFFSETS_TOPIC, cfg->offsets_topic_num_partitions,
					  (int16_t)cfg->offsets_topic_replication_factor, NULL, 0, 0,
					  keys, vals, 3, 0, err, sizeof(err));
	if (e == SM_ERR_NONE)
		sm_log_info(NULL, "kafka.server.ZkAdminManager",
			    "Created topic %s with %d partitions and replication factor %d",
			    SM_GC_OFFSETS_TOPIC, cfg->offsets_topic_num_partitions,
			    cfg->offsets_topic_replication_factor);
	else if (e != SM_ERR_TOPIC_ALREADY_EXISTS)
		sm_log_warn(NULL, "kafka.server.ZkAdminManager", "Could not create %s: %s",
			    SM_GC_OFFSETS_TOPIC, err);
}

static void sm_apig_find(sm_req_ctx_t *ctx, const sm_find_coordinator_req_t *req,
			 sm_find_coordinator_resp_t *resp)
{
	resp->node_id = -1;
	resp->host = "";
	resp->port = -1;
	sm_group_coordinator_t *gc = sm_apig_gc(ctx);
	if ((req->key_type == 0 || req->key_type == 1) &&
	    !sm_apis_authorized(ctx, SM_ACL_OP_DESCRIBE,
				req->key_type ? SM_ACL_RES_TXN_ID : SM_ACL_RES_GROUP, req->key)) {
		resp->error_code = req->key_type ? SM_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED
						 : SM_ERR_GROUP_AUTHORIZATION_FAILED;
		return;
	}
	if (req->key_type == 1) {
		const char *host = "";
		resp->error_code = (int16_t)sm_api_txn_coordinator_node(ctx, req->key ? req->key : "",
									 &resp->node_id, &host, &resp->port);
		resp->host = (char *)host;
		return;
	}
	if (req->key_type != 0 || !gc) {
		resp->error_code = req->key_type > 1 ? SM_ERR_INVALID_REQUEST : SM_ERR_COORDINATOR_NOT_AVAILABLE;
		return;
	}
	resp->error_code = SM_ERR_COORDINATOR_NOT_AVAILABLE;
	sm_mc_snapshot_t *s = sm_metadata_cache_get(ctx->apis->d.metadata_cache);
	const sm_mc_topic_t *t = sm_mc_topic(s, SM_GC_OFFSETS_TOPIC);
	if (!t) {
		sm_mc_snapshot_release(s);
		sm_apig_create_offsets_topic(ctx);
		return;
	}
	const sm_mc_partition_t *p =
		sm_mc_partition(t, sm_group_coordinator_partition_for(gc, req->key ? req->key : ""));
	const sm_mc_broker_t *b = p && p->leader >= 0 ? sm_mc_broker(s, p->leader) : NULL;
	const sm_mc_endpoint_t *ep = b ? sm_mc_endpoint(b, ctx->req->listener) : NULL;
	if (ep) {
		resp->error_code = SM_ERR_NONE;
		resp->node_id = b->id;
		resp->host = sm_arena_strndup(&ctx->arena, ep->host, strlen(ep->host));
		resp->port = ep->port;
	}
	sm_mc_snapshot_release(s);
}

/* Errors.message() of the errors FindCoordinator answers. */
static const char *sm_apig_find_message(int16_t err)
{
	switch (err) {
	case SM_ERR_NONE:
		return "NONE";
	case SM_ERR_COORDINATOR_NOT_AVAILABLE:
		return "The coordinator is not available.";
	case SM_ERR_INVALID_REQUEST:
		return "This most likely occurs because of a request being malformed by the client "
		       "library or the message was sent to an incompatible broker. See the broker "
		       "logs for more details.";
	case SM_ERR_GROUP_AUTHORIZATION_FAILED:
		return "Group authorization failed.";
	case SM_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
		return "Transactional Id authorization failed.";
	default:
		return NULL;
	}
}

void sm_api_find_coordinator(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_find_coordinator_req_t req;
	if (sm_find_coordinator_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_find_coordinator_resp_t resp;
	sm_find_coordinator_resp_init(&resp);
	sm_apig_find(ctx, &req, &resp);
	/* v1+: Kafka 2.8 always sets the message, to its Errors.message():
	 * the error's default exception text, or "NONE" on success. */
	if (ver >= 1)
		resp.error_message = (char *)sm_apig_find_message(resp.error_code);
	sm_find_coordinator_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}

/* ---- JoinGroup ---- */

static void sm_apig_join_done(void *opaque, const sm_gc_join_result_t *r)
{
	sm_req_ctx_t *ctx = opaque;
	int16_t ver = ctx->hdr.api_version;
	sm_join_group_resp_t resp;
	sm_join_group_resp_init(&resp);
	resp.error_code = (int16_t)r->error;
	resp.generation_id = r->generation_id;
	resp.protocol_type = (char *)r->protocol_type;
	resp.protocol_name = (char *)(r->protocol_name ? r->protocol_name : (ver >= 7 ? NULL : ""));
	resp.leader = (char *)(r->leader ? r->leader : "");
	resp.member_id = (char *)(r->member_id ? r->member_id : "");
	resp.members_cnt = r->n_members;
	resp.members = sm_arena_alloc(&ctx->arena, sizeof(*resp.members) * (size_t)(r->n_members + 1));
	for (int i = 0; i < r->n_members; i++) {
		resp.members[i].member_id = (char *)r->members[i].member_id;
		resp.members[i].group_instance_id = (char *)r->members[i].group_instance_id;
		resp.members[i].metadata.ptr = r->members[i].metadata;
		resp.members[i].metadata.len = r->members[i].metadata_len;
	}
	sm_join_group_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}

void sm_api_join_group(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_join_group_req_t req;
	if (sm_join_group_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_group_protocol_t *protos =
		sm_arena_alloc(&ctx->arena, sizeof(*protos) * (size_t)(req.protocols_cnt + 1));
	for (int i = 0; i < req.protocols_cnt; i++) {
		protos[i].name = req.protocols[i].name;
		protos[i].metadata = (uint8_t *)req.protocols[i].metadata.ptr;
		protos[i].metadata_len = req.protocols[i].metadata.len;
	}
	sm_gc_join_req_t jr = {
		.group_id = req.group_id, .member_id = req.member_id,
		.group_instance_id = req.group_instance_id, .client_id = ctx->hdr.client_id,
		.client_host = sm_apig_client_host(ctx), .session_timeout_ms = req.session_timeout_ms,
		.rebalance_timeout_ms = req.rebalance_timeout_ms, .protocol_type = req.protocol_type,
		.protocols = protos, .n_protocols = req.protocols_cnt,
		.require_known_member_id = ver >= 4,
	};
	if (!sm_apis_authorized(ctx, SM_ACL_OP_READ, SM_ACL_RES_GROUP, req.group_id)) {
		sm_gc_join_result_t r = { .error = SM_ERR_GROUP_AUTHORIZATION_FAILED,
					  .generation_id = -1 };
		sm_apig_join_done(ctx, &r);
		return;
	}
	if (!sm_apig_gc(ctx)) {
		sm_gc_join_result_t r = { .error = SM_ERR_NOT_COORDINATOR, .generation_id = -1 };
		sm_apig_join_done(ctx, &r);
		return;
	}
	sm_group_coordinator_join(sm_apig_gc(ctx), &jr, sm_apig_join_done, ctx);
}

/* ---- SyncGroup ---- */

static void sm_apig_sync_done(void *opaque, const sm_gc_sync_result_t *r)
{
	sm_req_ctx_t *ctx = opaque;
	sm_sync_group_resp_t resp;
	sm_sync_group_resp_init(&resp);
	resp.error_code = (int16_t)r->error;
	resp.protocol_type = (char *)r->protocol_type;
	resp.protocol_name = (char *)r->protocol_name;
	resp.assignment.ptr = r->assignment;
	resp.assignment.len = r->assignment_len;
	sm_sync_group_resp_write(sm_apis_resp_begin(ctx), ctx->hdr.api_version, &resp);
	sm_apis_resp_send(ctx);
}

void sm_api_sync_group(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_sync_group_req_t req;
	if (sm_sync_group_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_gc_assignment_t *as =
		sm_arena_alloc(&ctx->arena, sizeof(*as) * (size_t)(req.assignments_cnt + 1));
	for (int i = 0; i < req.assignments_cnt; i++) {
		as[i].member_id = req.assignments[i].member_id;
		as[i].assignment = req.assignments[i].assignment.ptr;
		as[i].len = req.assignments[i].assignment.len;
	}
	sm_gc_sync_req_t sr = {
		.group_id = req.group_id, .generation_id = req.generation_id,
		.member_id = req.member_id, .group_instance_id = req.group_instance_id,
		.protocol_type = req.protocol_type, .protocol_name = req.protocol_name,
		.assignments = as, .n_assignments = req.assignments_cnt,
	};
	if (!sm_apis_authorized(ctx, SM_ACL_OP_READ, SM_ACL_RES_GROUP, req.group_id)) {
		sm_gc_sync_result_t r = { .error = SM_ERR_GROUP_AUTHORIZATION_FAILED };
		sm_apig_sync_done(ctx, &r);
		return;
	}
	if (!sm_apig_gc(ctx)) {
		sm_gc_sync_result_t r = { .error = SM_ERR_NOT_COORDINATOR };
		sm_apig_sync_done(ctx, &r);
		return;
	}
	sm_group_coordinator_sync(sm_apig_gc(ctx), &sr, sm_apig_sync_done, ctx);
}

/* ---- Heartbeat / LeaveGroup ---- */

void sm_api_heartbeat(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_heartbeat_req_t req;
	if (sm_heartbeat_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_heartbeat_resp_t resp;
	sm_heartbeat_resp_init(&resp);
	resp.error_code =
		!sm_apis_authorized(ctx, SM_ACL_OP_READ, SM_ACL_RES_GROUP, req.group_id)
		? SM_ERR_GROUP_AUTHORIZATION_FAILED
		: sm_apig_gc(ctx)
		? (int16_t)sm_group_coordinator_heartbeat(sm_apig_gc(ctx), req.group_id, req.member_id,
							  req.group_instance_id, req.generation_id)
		: SM_ERR_NOT_COORDINATOR;
	sm_heartbeat_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}

void sm_api_leave_group(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_leave_group_req_t req;
	if (sm_leave_group_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	/* v0-2 name a single member; it becomes a one-element batch so that
	 * the coordinator has one code path (Kafka's LeaveGroupRequest.members). */
	sm_leave_group_req_member_t single;
	if (ver < 3) {
		sm_leave_group_req_member_init(&single);
		single.member_id = req.member_id;
		req.members = &single;
		req.members_cnt = 1;
	}
	int n = req.members_cnt;
	sm_gc_leave_member_t *lm = sm_arena_alloc(&ctx->arena, sizeof(*lm) * (size_t)(n + 1));
	for (int i = 0; i < n; i++) {
		lm[i].member_id = req.members[i].member_id;
		lm[i].group_instance_id = req.members[i].group_instance_id;
	}
	sm_leave_group_resp_t resp;
	sm_leave_group_resp_init(&resp);
	sm_err_t e = !sm_apis_authorized(ctx, SM_ACL_OP_READ, SM_ACL_RES_GROUP, req.group_id)
		? SM_ERR_GROUP_AUTHORIZATION_FAILED
		: sm_apig_gc(ctx) ? sm_group_coordinator_leave(sm_apig_gc(ctx), req.group_id, lm, n)
				     : SM_ERR_NOT_COORDINATOR;
	resp.error_code = (int16_t)e;
	if (ver < 3) {
		/* One member: its error is the answer. */
		if (!e && n > 0)
			resp.error_code = (int16_t)lm[0].error;
	} else if (!e) {
		resp.members_cnt = n;
		resp.members = sm_arena_alloc(&ctx->arena, sizeof(*resp.members) * (size_t)(n + 1));
		for (int i = 0; i < n; i++) {
			resp.members[i].member_id = req.members[i].member_id;
			resp.members[i].group_instance_id = req.members[i].group_instance_id;
			resp.members[i].error_code = (int16_t)lm[i].error;
		}
	}
	sm_leave_group_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}

/* ---- OffsetCommit / OffsetFetch / OffsetDelete ---- */

/* Whether topic-partition exists in the metadata cache (Kafka's
 * metadataCache.contains). */
static int sm_apig_tp_exists(const sm_mc_snapshot_t *s, const char *topic, int32_t partition)
{
	const sm_mc_topic_t *t = topic ? sm_mc_topic(s, topic) : NULL;
	return t && sm_mc_partition(t, partition) != NULL;
}

/* Kafka's OffsetCommit and OffsetDelete answer a partition the metadata
 * cache does not know with UNKNOWN_TOPIC_OR_PARTITION and leave it out of
 * what the coordinator sees (so it is neither stored nor subject to the
 * group's errors). Marks those entries of e[0..n) and returns in *known
 * (arena) the indexes of the others; the count of them. */
static int sm_apig_split_unknown(sm_req_ctx_t *ctx, const char *what, sm_gc_offset_t *e, int n,
				 int **known)
{
	*known = sm_arena_alloc(&ctx->arena, sizeof(**known) * (size_t)(n + 1));
	sm_mc_snapshot_t *s = sm_metadata_cache_get(ctx->apis->d.metadata_cache);
	int nk = 0;
	for (int i = 0; i < n; i++) {
		e[i].error = SM_ERR_NONE;
		/* both need Read on the topic (Kafka) */
		if (!sm_apis_authorized(ctx, SM_ACL_OP_READ, SM_ACL_RES_TOPIC, e[i].topic)) {
			e[i].error = SM_ERR_TOPIC_AUTHORIZATION_FAILED;
			continue;
		}
		if (sm_apig_tp_exists(s, e[i].topic, e[i].partition)) {
			(*known)[nk++] = i;
			continue;
		}
		e[i].error = SM_ERR_UNKNOWN_TOPIC_OR_PARTITION;
		sm_apis_refused(ctx, "%s for unknown partition %.200s-%d: UNKNOWN_TOPIC_OR_PARTITION", what,
				e[i].topic ? e[i].topic : "", e[i].partition);
	}
	sm_mc_snapshot_release(s);
	return nk;
}

/* An OffsetCommit waiting for its write (in ctx->arena): e[] are all the
 * request's partitions, ek[] the nk existing ones handed to the
 * coordinator (ek[j] is e[known[j]]). */
typedef struct sm_apig_commit {
	sm_req_ctx_t *ctx;
	sm_offset_commit_req_t req;
	sm_gc_offset_t *e;
	sm_gc_offset_t *ek;
	int *known;
	int nk;
} sm_apig_commit_t;

/* sm_gc_commit_cb_t: answers from e[].error. */
static void sm_apig_commit_done(void *opaque, sm_err_t error)
{
	(void)error; /* already in every entry */
	sm_apig_commit_t *oc = opaque;
	sm_req_ctx_t *ctx = oc->ctx;
	const sm_offset_commit_req_t *req = &oc->req;
	for (int j = 0; j < oc->nk; j++)
		oc->e[oc->known[j]].error = oc->ek[j].error;
	sm_offset_commit_resp_t resp;
	sm_offset_commit_resp_init(&resp);
	resp.topics_cnt = req->topics_cnt;
	resp.topics = sm_arena_alloc(&ctx->arena, sizeof(*resp.topics) * (size_t)(req->topics_cnt + 1));
	int k = 0;
	for (int t = 0; t < req->topics_cnt; t++) {
		sm_offset_commit_resp_topic_t *rt = &resp.topics[t];
		rt->name = req->topics[t].name;
		rt->partitions_cnt = req->topics[t].partitions_cnt;
		rt->partitions = sm_arena_alloc(&ctx->arena, sizeof(*rt->partitions) * (size_t)(rt->partitions_cnt + 1));
		for (int i = 0; i < rt->partitions_cnt; i++, k++) {
			rt->partitions[i].partition_index = oc->e[k].partition;
			rt->partitions[i].error_code = (int16_t)oc->e[k].error;
		}
	}
	sm_offset_commit_resp_write(sm_apis_resp_begin(ctx), ctx->hdr.api_version, &resp);
	sm_apis_resp_send(ctx);
}

void sm_api_offset_commit(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_apig_commit_t *oc = sm_arena_alloc(&ctx->arena, sizeof(*oc));
	oc->ctx = ctx;
	sm_offset_commit_req_t *req = &oc->req;
	if (sm_offset_commit_req_read(&ctx->body, ver, &ctx->arena, req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	int n = 0;
	for (int t = 0; t < req->topics_cnt; t++)
		n += req->topics[t].partitions_cnt;
	sm_gc_offset_t *e = sm_arena_alloc(&ctx->arena, sizeof(*e) * (size_t)(n + 1));
	oc->e = e;
	int64_t expire = -1;
	if (req->retention_time_ms >= 0)
		expire = sm_i64_sat_add(sm_clock_wall_ms(), req->retention_time_ms);
	int k = 0;
	for (int t = 0; t < req->topics_cnt; t++) {
		for (int i = 0; i < req->topics[t].partitions_cnt; i++, k++) {
			const sm_offset_commit_req_partition_t *p = &req->topics[t].partitions[i];
			e[k].topic = req->topics[t].name;
			e[k].partition = p->partition_index;
			e[k].offset = p->committed_offset;
			e[k].leader_epoch = p->committed_leader_epoch;
			e[k].metadata = p->committed_metadata;
			e[k].commit_ts = p->commit_timestamp;
			e[k].expire_ts = expire;
		}
	}
	if (!sm_apis_authorized(ctx, SM_ACL_OP_READ, SM_ACL_RES_GROUP, req->group_id)) {
		for (k = 0; k < n; k++)
			e[k].error = SM_ERR_GROUP_AUTHORIZATION_FAILED;
		sm_apig_commit_done(oc, SM_ERR_GROUP_AUTHORIZATION_FAILED);
		return;
	}
	oc->nk = sm_apig_split_unknown(ctx, "OffsetCommit", e, n, &oc->known);
	oc->ek = sm_arena_alloc(&ctx->arena, sizeof(*oc->ek) * (size_t)(oc->nk + 1));
	for (int j = 0; j < oc->nk; j++)
		oc->ek[j] = e[oc->known[j]];
	if (!oc->nk) {
		/* Nothing left for the coordinator: Kafka answers at once,
		 * without looking at the group. */
		sm_apig_commit_done(oc, SM_ERR_NONE);
		return;
	}
	if (!sm_apig_gc(ctx)) {
		for (int j = 0; j < oc->nk; j++)
			oc->ek[j].error = SM_ERR_NOT_COORDINATOR;
		sm_apig_commit_done(oc, SM_ERR_NOT_COORDINATOR);
		return;
	}
	sm_group_coordinator_commit_offsets(sm_apig_gc(ctx), req->group_id, req->generation_id,
					    req->member_id, req->group_instance_id, oc->ek, oc->nk,
					    sm_apig_commit_done, oc);
}

/* A TxnOffsetCommit waiting for its write (in ctx->arena), as
 * sm_apig_commit_t. */
typedef struct sm_apig_txn_commit {
	sm_req_ctx_t *ctx;
	sm_txn_offset_commit_req_t req;
	sm_gc_offset_t *e;
	sm_gc_offset_t *ek;
	int *known;
	int nk;
} sm_apig_txn_commit_t;

/* sm_gc_commit_cb_t: answers from e[].error. */
static void sm_apig_txn_commit_done(void *opaque, sm_err_t error)
{
	(void)error; /* already in every entry */
	sm_apig_txn_commit_t *oc = opaque;
	sm_req_ctx_t *ctx = oc->ctx;
	int16_t ver = ctx->hdr.api_version;
	const sm_txn_offset_commit_req_t *req = &oc->req;
	for (int j = 0; j < oc->nk; j++)
		oc->e[oc->known[j]].error = oc->ek[j].error;
	sm_txn_offset_commit_resp_t resp;
	sm_txn_offset_commit_resp_init(&resp);
	resp.topics_cnt = req->topics_cnt;
	resp.topics = sm_arena_alloc(&ctx->arena, sizeof(*resp.topics) * (size_t)(req->topics_cnt + 1));
	int k = 0;
	for (int t = 0; t < req->topics_cnt; t++) {
		sm_txn_offset_commit_resp_topic_t *rt = &resp.topics[t];
		rt->name = req->topics[t].name;
		rt->partitions_cnt = req->topics[t].partitions_cnt;
		rt->partitions = sm_arena_alloc(&ctx->arena, sizeof(*rt->partitions) * (size_t)(rt->partitions_cnt + 1));
		for (int i = 0; i < rt->partitions_cnt; i++, k++) {
			sm_err_t pe = oc->e[k].error;
			/* Kafka hides COORDINATOR_LOAD_IN_PROGRESS from v0-1
			 * clients (KAFKA-7296): they would not retry it. */
			if (ver < 2 && pe == SM_ERR_COORDINATOR_LOAD_IN_PROGRESS)
				pe = SM_ERR_COORDINATOR_NOT_AVAILABLE;
			rt->partitions[i].partition_index = oc->e[k].partition;
			rt->partitions[i].error_code = (int16_t)pe;
		}
	}
	sm_txn_offset_commit_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}

/* TxnOffsetCommit (Kafka's handleTxnOffsetCommitRequest), versions 0-3:
 * unknown partitions get UNKNOWN_TOPIC_OR_PARTITION, the rest go to the
 * coordinator, which writes them as the producer's transactional batch
 * and keeps them pending until its marker (group_coordinator.h). */
void sm_api_txn_offset_commit(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_apig_txn_commit_t *oc = sm_arena_alloc(&ctx->arena, sizeof(*oc));
	oc->ctx = ctx;
	sm_txn_offset_commit_req_t *req = &oc->req;
	if (sm_txn_offset_commit_req_read(&ctx->body, ver, &ctx->arena, req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	/* counts are bounded by the request's bytes (the codec checks them) */
	int n = 0;
	for (int t = 0; t < req->topics_cnt; t++)
		n += req->topics[t].partitions_cnt;
	sm_gc_offset_t *e = sm_arena_alloc(&ctx->arena, sizeof(*e) * (size_t)(n + 1));
	oc->e = e;
	int k = 0;
	for (int t = 0; t < req->topics_cnt; t++) {
		for (int i = 0; i < req->topics[t].partitions_cnt; i++, k++) {
			const sm_txn_offset_commit_req_partition_t *p = &req->topics[t].partitions[i];
			e[k].topic = req->topics[t].name;
			e[k].partition = p->partition_index;
			e[k].offset = p->committed_offset;
			e[k].leader_epoch = p->committed_leader_epoch;
			e[k].metadata = p->committed_metadata;
			e[k].commit_ts = -1;
			e[k].expire_ts = -1;
		}
	}
	/* Kafka: Write on the transactional id, then Read on the group,
	 * each failing every partition; then Read on each topic */
	sm_err_t denied = SM_ERR_NONE;
	if (!sm_apis_authorized(ctx, SM_ACL_OP_WRITE, SM_ACL_RES_TXN_ID,
				req->transactional_id ? req->transactional_id : ""))
		denied = SM_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
	else if (!sm_apis_authorized(ctx, SM_ACL_OP_READ, SM_ACL_RES_GROUP,
				     req->group_id ? req->group_id : ""))
		denied = SM_ERR_GROUP_AUTHORIZATION_FAILED;
	if (denied) {
		for (k = 0; k < n; k++)
			e[k].error = denied;
		oc->nk = 0;
		sm_apig_txn_commit_done(oc, denied);
		return;
	}
	oc->nk = sm_apig_split_unknown(ctx, "TxnOffsetCommit", e, n, &oc->known);
	oc->ek = sm_arena_alloc(&ctx->arena, sizeof(*oc->ek) * (size_t)(oc->nk + 1));
	for (int j = 0; j < oc->nk; j++)
		oc->ek[j] = e[oc->known[j]];
	if (!oc->nk) {
		sm_apig_txn_commit_done(oc, SM_ERR_NONE);
		return;
	}
	sm_err_t early = SM_ERR_NONE;
	if (req->producer_id < -1) {
		/* -1 is Kafka's "no producer": a plain commit; other negative
		 * ids name no producer a marker could ever end. */
		early = SM_ERR_UNKNOWN_SERVER_ERROR;
		sm_apis_refused(ctx, "TxnOffsetCommit with producer id %lld",
				(long long)req->producer_id);
	} else if (!sm_apig_gc(ctx)) {
		early = SM_ERR_NOT_COORDINATOR;
	}
	if (early) {
		for (int j = 0; j < oc->nk; j++)
			oc->ek[j].error = early;
		sm_apig_txn_commit_done(oc, early);
		return;
	}
	sm_group_coordinator_txn_commit_offsets(sm_apig_gc(ctx), req->group_id, req->producer_id,
						req->producer_epoch, req->generation_id,
						req->member_id, req->group_instance_id, oc->ek,
						oc->nk, sm_apig_txn_commit_done, oc);
}

static void sm_apig_fetch_part(sm_offset_fetch_resp_partition_t *rp, const sm_gc_offset_t *o)
{
	sm_offset_fetch_resp_partition_init(rp);
	rp->partition_index = o->partition;
	rp->committed_offset = o->offset;
	rp->committed_leader_epoch = o->leader_epoch;
	rp->metadata = (char *)(o->metadata ? o->metadata : "");
	rp->error_code = (int16_t)o->error;
}

/* Groups the flat list into topics (in first-seen order). */
static void sm_apig_fetch_all(sm_req_ctx_t *ctx, const sm_gc_offset_t *o, int n,
			      sm_offset_fetch_resp_t *resp)
{
	resp->topics = sm_arena_alloc(&ctx->arena, sizeof(*resp->topics) * (size_t)(n + 1));
	for (int i = 0; i < n; i++) {
		sm_offset_fetch_resp_topic_t *rt = NULL;
		for (int t = 0; t < resp->topics_cnt && !rt; t++)
			if (!strcmp(resp->topics[t].name, o[i].topic))
				rt = &resp->topics[t];
		if (!rt) {
			rt = &resp->topics[resp->topics_cnt++];
			rt->name = (char *)o[i].topic;
			rt->partitions = sm_arena_alloc(&ctx->arena, sizeof(*rt->partitions) * (size_t)(n + 1));
		}
		sm_apig_fetch_part(&rt->partitions[rt->partitions_cnt++], &o[i]);
	}
}

void sm_api_offset_fetch(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_offset_fetch_req_t req;
	if (sm_offset_fetch_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_group_coordinator_t *gc = sm_apig_gc(ctx);
	sm_offset_fetch_resp_t resp;
	sm_offset_fetch_resp_init(&resp);
	sm_err_t err = SM_ERR_NOT_COORDINATOR;
	if (!sm_apis_authorized(ctx, SM_ACL_OP_DESCRIBE, SM_ACL_RES_GROUP, req.group_id)) {
		err = SM_ERR_GROUP_AUTHORIZATION_FAILED;
		gc = NULL;
	}
	if (req.topics_cnt < 0) {
		sm_gc_offset_t *all = NULL;
		int n = 0;
		if (gc)
			err = sm_group_coordinator_fetch_all_offsets(gc, req.group_id,
								     ver >= 7 && req.require_stable,
								     &ctx->arena, &all, &n);
		/* topics the client may not Describe are left out */
		int kept = 0;
		for (int i = 0; i < n; i++)
			if (sm_apis_authorized_quiet(ctx, SM_ACL_OP_DESCRIBE, SM_ACL_RES_TOPIC,
						     all[i].topic))
				all[kept++] = all[i];
		n = kept;
		sm_apig_fetch_all(ctx, all, n, &resp);
	} else {
		int n = 0;
		for (int t = 0; t < req.topics_cnt; t++)
			n += req.topics[t].partition_indexes_cnt;
		sm_gc_offset_t *e = sm_arena_alloc(&ctx->arena, sizeof(*e) * (size_t)(n + 1));
		int k = 0;
		for (int t = 0; t < req.topics_cnt; t++)
			for (int i = 0; i < req.topics[t].partition_indexes_cnt; i++, k++) {
				e[k].topic = req.topics[t].name;
				e[k].partition = req.topics[t].partition_indexes[i];
			}
		if (gc)
			err = sm_group_coordinator_fetch_offsets(gc, req.group_id, e, n,
								 ver >= 7 && req.require_stable, &ctx->arena);
		for (int i = 0; i < n; i++) {
			int denied = !err && !sm_apis_authorized(ctx, SM_ACL_OP_DESCRIBE,
								 SM_ACL_RES_TOPIC, e[i].topic);
			if (!err && !denied)
				continue;
			e[i].error = err ? err : SM_ERR_TOPIC_AUTHORIZATION_FAILED;
			e[i].offset = -1;
			e[i].leader_epoch = -1;
			e[i].metadata = "";
		}
		resp.topics_cnt = 0;
		sm_apig_fetch_all(ctx, e, n, &resp);
		/* v2+ report group errors once, at the top; a partition's own
		 * error (UNSTABLE_OFFSET_COMMIT) stays with it. */
		for (int t = 0; ver >= 2 && err && t < resp.topics_cnt; t++)
			for (int i = 0; i < resp.topics[t].partitions_cnt; i++)
				resp.topics[t].partitions[i].error_code = 0;
	}
	resp.error_code = ver >= 2 ? (int16_t)err : 0;
	sm_offset_fetch_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}

void sm_api_offset_delete(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_offset_delete_req_t req;
	if (sm_offset_delete_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	int n = 0;
	for (int t = 0; t < req.topics_cnt; t++)
		n += req.topics[t].partitions_cnt;
	sm_gc_offset_t *e = sm_arena_alloc(&ctx->arena, sizeof(*e) * (size_t)(n + 1));
	int k = 0;
	for (int t = 0; t < req.topics_cnt; t++)
		for (int i = 0; i < req.topics[t].partitions_cnt; i++, k++) {
			e[k].topic = req.topics[t].name;
			e[k].partition = req.topics[t].partitions[i].partition_index;
		}
	int *known;
	int nk = sm_apig_split_unknown(ctx, "OffsetDelete", e, n, &known);
	sm_gc_offset_t *ek = sm_arena_alloc(&ctx->arena, sizeof(*ek) * (size_t)(nk + 1));
	for (int j = 0; j < nk; j++)
		ek[j] = e[known[j]];
	/* The group is checked even when no partition is left (Kafka's
	 * handleDeleteOffsets with an empty set). */
	sm_err_t err = !sm_apis_authorized(ctx, SM_ACL_OP_DELETE, SM_ACL_RES_GROUP, req.group_id)
		? SM_ERR_GROUP_AUTHORIZATION_FAILED
		: sm_apig_gc(ctx) ? sm_group_coordinator_delete_offsets(sm_apig_gc(ctx), req.group_id, ek, nk)
				       : SM_ERR_NOT_COORDINATOR;
	for (int j = 0; j < nk; j++)
		e[known[j]].error = ek[j].error;
	sm_offset_delete_resp_t resp;
	sm_offset_delete_resp_init(&resp);
	resp.error_code = (int16_t)err;
	if (!err) {
		resp.topics_cnt = req.topics_cnt;
		resp.topics = sm_arena_alloc(&ctx->arena, sizeof(*resp.topics) * (size_t)(req.topics_cnt + 1));
		k = 0;
		for (int t = 0; t < req.topics_cnt; t++) {
			sm_offset_delete_resp_topic_t *rt = &resp.topics[t];
			rt->name = req.topics[t].name;
			rt->partitions_cnt = req.topics[t].partitions_cnt;
			rt->partitions = sm_arena_alloc(&ctx->arena, sizeof(*rt->partitions) * (size_t)(rt->partitions_cnt + 1));
			for (int i = 0; i < rt->partitions_cnt; i++, k++) {
				rt->partitions[i].partition_index = e[k].partition;
				rt->partitions[i].error_code = (int16_t)e[k].error;
			}
		}
	}
	sm_offset_delete_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}

/* ---- DescribeGroups / ListGroups / DeleteGroups ---- */

static void sm_apig_describe_one(sm_req_ctx_t *ctx, const char *group_id,
				 sm_describe_groups_resp_group_t *rg)
{
	sm_describe_groups_resp_group_init(rg);
	rg->group_id = (char *)group_id;
	sm_gc_group_desc_t d;
	int allowed = sm_apis_authorized(ctx, SM_ACL_OP_DESCRIBE, SM_ACL_RES_GROUP, group_id);
	if (!allowed || !sm_apig_gc(ctx)) {
		memset(&d, 0, sizeof(d));
		d.error = allowed ? SM_ERR_NOT_COORDINATOR : SM_ERR_GROUP_AUTHORIZATION_FAILED;
		d.state = d.protocol_type = d.protocol = "";
	} else {
		sm_group_coordinator_describe(sm_apig_gc(ctx), group_id, &ctx->arena, &d);
	}
	rg->error_code = (int16_t)d.error;
	rg->group_state = (char *)(d.error ? "" : d.state);
	rg->protocol_type = (char *)d.protocol_type;
	rg->protocol_data = (char *)d.protocol;
	rg->members_cnt = d.n_members;
	rg->members = sm_arena_alloc(&ctx->arena, sizeof(*rg->members) * (size_t)(d.n_members + 1));
	for (int i = 0; i < d.n_members; i++) {
		sm_describe_groups_resp_member_t *m = &rg->members[i];
		m->member_id = (char *)d.members[i].member_id;
		m->group_instance_id = (char *)d.members[i].group_instance_id;
		m->client_id = (char *)d.members[i].client_id;
		m->client_host = (char *)d.members[i].client_host;
		m->member_metadata.ptr = d.members[i].metadata;
		m->member_metadata.len = d.members[i].metadata_len;
		m->member_assignment.ptr = d.members[i].assignment;
		m->member_assignment.len = d.members[i].assignment_len;
	}
}

void sm_api_describe_groups(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_describe_groups_req_t req;
	if (sm_describe_groups_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_describe_groups_resp_t resp;
	sm_describe_groups_resp_init(&resp);
	resp.groups_cnt = req.groups_cnt;
	resp.groups = sm_arena_alloc(&ctx->arena, sizeof(*resp.groups) * (size_t)(req.groups_cnt + 1));
	for (int i = 0; i < req.groups_cnt; i++) {
		sm_apig_describe_one(ctx, req.groups[i] ? req.groups[i] : "", &resp.groups[i]);
		if (req.include_authorized_operations && !resp.groups[i].error_code)
			resp.groups[i].authorized_operations =
				sm_apis_authorized_ops(ctx, SM_ACL_RES_GROUP, resp.groups[i].group_id);
	}
	sm_describe_groups_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}

void sm_api_list_groups(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_list_groups_req_t req;
	if (sm_list_groups_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_list_groups_resp_t resp;
	sm_list_groups_resp_init(&resp);
	sm_gc_group_listing_t *l = NULL;
	int n = 0;
	sm_err_t e = SM_ERR_NONE;
	if (sm_apig_gc(ctx))
		e = sm_group_coordinator_list(sm_apig_gc(ctx), (const char *const *)req.states_filter,
					      req.states_filter_cnt > 0 ? req.states_filter_cnt : 0,
					      &ctx->arena, &l, &n);
	resp.error_code = (int16_t)e;
	resp.groups = sm_arena_alloc(&ctx->arena, sizeof(*resp.groups) * (size_t)(n + 1));
	/* Describe on the cluster lists every group, else those the client
	 * may Describe (Kafka) */
	int all = sm_apis_authorized_quiet(ctx, SM_ACL_OP_DESCRIBE, SM_ACL_RES_CLUSTER, NULL);
	for (int i = 0; !e && i < n; i++) {
		if (!all && !sm_apis_authorized_quiet(ctx, SM_ACL_OP_DESCRIBE, SM_ACL_RES_GROUP,
						      l[i].group_id))
			continue;
		int k = resp.groups_cnt++;
		resp.groups[k].group_id = (char *)l[i].group_id;
		resp.groups[k].protocol_type = (char *)l[i].protocol_type;
		resp.groups[k].group_state = (char *)l[i].state;
	}
	sm_list_groups_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}

void sm_api_delete_groups(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_delete_groups_req_t req;
	if (sm_delete_groups_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_delete_groups_resp_t resp;
	sm_delete_groups_resp_init(&resp);
	resp.results_cnt = req.groups_names_cnt;
	resp.results = sm_arena_alloc(&ctx->arena, sizeof(*resp.results) * (size_t)(req.groups_names_cnt + 1));
	for (int i = 0; i < req.groups_names_cnt; i++) {
		const char *g = req.groups_names[i] ? req.groups_names[i] : "";
		resp.results[i].group_id = (char *)g;
		resp.results[i].error_code =
			!sm_apis_authorized(ctx, SM_ACL_OP_DELETE, SM_ACL_RES_GROUP, g)
			? SM_ERR_GROUP_AUTHORIZATION_FAILED
			: sm_apig_gc(ctx)
			? (int16_t)sm_group_coordinator_delete_group(sm_apig_gc(ctx), g)
			: SM_ERR_NOT_COORDINATOR;
	}
	sm_delete_groups_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}
