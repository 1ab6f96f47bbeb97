/*
 * api_metadata.c - Metadata (Kafka's KafkaApis.handleTopicMetadataRequest in
 * ZooKeeper mode): answered from the metadata cache, auto-creating unknown
 * topics when both the client and auto.create.topics.enable allow it; and
 * DescribeCluster (KIP-700, handleDescribeCluster), the same broker list,
 * cluster id and controller without the topics.
 *
 * Thread-safety: runs on request handler threads over an immutable metadata
 * snapshot.
 */
#include "kafka_apis_int.h"

#include <string.h>

#include "kafka_zk.h"
#include "logger.h"
#include "msg_describe_cluster.h"
#include "msg_metadata.h"

/* Kafka: the cluster's allowed operations when the client may Describe
 * the cluster, none otherwise (all of them without an authorizer). */
static int32_t sm_metadata_cluster_ops(sm_req_ctx_t *ctx)
{
	if (!sm_apis_authorized(ctx, SM_ACL_OP_DESCRIBE, SM_ACL_RES_CLUSTER, NULL))
		return 0;
	return sm_apis_authorized_ops(ctx, SM_ACL_RES_CLUSTER, NULL);
}

static int sm_metadata_is_internal(const char *topic)
{
	return !strcmp(topic, "__consumer_offsets") || !strcmp(topic, "__transaction_state");
}

/* Brokers alive on the request's listener. */
static void sm_metadata_brokers(sm_req_ctx_t *ctx, const sm_mc_snapshot_t *s,
				sm_metadata_resp_t *resp)
{
	resp->brokers = sm_arena_alloc(&ctx->arena, sizeof(*resp->brokers) * (size_t)(s->n_brokers + 1));
	resp->brokers_cnt = 0;
	for (int i = 0; i < s->n_brokers; i++) {
		const sm_mc_endpoint_t *ep = sm_mc_endpoint(&s->brokers[i], ctx->req->listener);
		if (!ep)
			continue;
		sm_metadata_resp_broker_t *b = &resp->brokers[resp->brokers_cnt++];
		b->node_id = s->brokers[i].id;
		b->host = ep->host;
		b->port = ep->port;
		b->rack = s->brokers[i].rack;
	}
}

static int sm_metadata_alive(const sm_mc_snapshot_t *s, int32_t id, const char *listener)
{
	const sm_mc_broker_t *b = sm_mc_broker(s, id);
	return b && sm_mc_endpoint(b, listener);
}

/* Kafka's MetadataCache.getPartitionMetadata: leader not alive on this
 * listener -> LEADER_NOT_AVAILABLE with leader -1; v0 also reports missing
 * replicas as REPLICA_NOT_AVAILABLE. */
static void sm_metadata_fill_topic(sm_req_ctx_t *ctx, const sm_mc_snapshot_t *s,
				   const sm_mc_topic_t *t, int16_t ver, int authz,
				   sm_metadata_resp_topic_t *rt)
{
	sm_metadata_resp_topic_init(rt);
	rt->name = t->name;
	memcpy(rt->topic_id, t->topic_id, 16);
	rt->is_internal = sm_metadata_is_internal(t->name);
	if (authz)
		rt->topic_authorized_operations = sm_apis_authorized_ops(ctx, SM_ACL_RES_TOPIC, t->name);
	int n = sm_mc_partition_count(t);
	rt->partitions = sm_arena_alloc(&ctx->arena, sizeof(*rt->partitions) * (size_t)(n + 1));
	rt->partitions_cnt = 0;
	for (int p = 0; p < t->n_partitions; p++) {
		const sm_mc_partition_t *mp = sm_mc_partition(t, p);
		if (!mp)
			continue;
		sm_metadata_resp_partition_t *rp = &rt->partitions[rt->partitions_cnt++];
		sm_metadata_resp_partition_init(rp);
		rp->partition_index = p;
		rp->leader_id = mp->leader;
		rp->leader_epoch = mp->leader_epoch;
		rp->replica_nodes = mp->replicas;
		rp->replica_nodes_cnt = mp->n_replicas;
		rp->isr_nodes = mp->isr;
		rp->isr_nodes_cnt = mp->n_isr;
		rp->offline_replicas = mp->offline;
		rp->offline_replicas_cnt = mp->n_offline;
		if (mp->leader < 0 || !sm_metadata_alive(s, mp->leader, ctx->req->listener)) {
			rp->error_code = SM_ERR_LEADER_NOT_AVAILABLE;
			rp->leader_id = -1;
		} else if (ver == 0) {
			for (int i = 0; i < mp->n_replicas; i++)
				if (!sm_metadata_alive(s, mp->replicas[i], ctx->req->listener))
					rp->error_code = SM_ERR_REPLICA_NOT_AVAILABLE;
		}
	}
}

/* A requested topic the cache does not know. */
static void sm_metadata_missing_topic(sm_req_ctx_t *ctx, const char *name, int allow_create,
				      sm_metadata_resp_topic_t *rt)
{
	const sm_kafka_config_t *cfg = ctx->apis->d.cfg;
	char err[256];
	sm_metadata_resp_topic_init(rt);
	rt->name = (char *)name;
	rt->is_internal = sm_metadata_is_internal(name);
	if (sm_kzk_validate_topic_name(name, err, sizeof(err)) != SM_ERR_NONE) {
		rt->error_code = SM_ERR_INVALID_TOPIC_EXCEPTION;
		return;
	}
	if (!allow_create || !cfg->auto_create_topics_enable || rt->is_internal) {
		rt->error_code = SM_ERR_UNKNOWN_TOPIC_OR_PARTITION;
		return;
	}
	/* Kafka: auto-creation needs Create on the cluster or the topic */
	if (!sm_apis_authorized_quiet(ctx, SM_ACL_OP_CREATE, SM_ACL_RES_CLUSTER, NULL) &&
	    !sm_apis_authorized(ctx, SM_ACL_OP_CREATE, SM_ACL_RES_TOPIC, name)) {
		rt->error_code = SM_ERR_TOPIC_AUTHORIZATION_FAILED;
		return;
	}
	sm_err_t e = sm_apis_create_topic(ctx->apis, name, cfg->num_partitions,
					  (int16_t)cfg->default_replication_factor, NULL, 0, 0, NULL,
					  NULL, 0, 0, err, sizeof(err));
	if (e == SM_ERR_NONE || e == SM_ERR_TOPIC_ALREADY_EXISTS) {
		if (e == SM_ERR_NONE)
			sm_log_info(NULL, "kafka.server.ZkAdminManager",
				    "Auto-created topic %s with %d partitions and replication factor %d",
				    name, cfg->num_partitions, cfg->default_replication_factor);
		rt->error_code = SM_ERR_LEADER_NOT_AVAILABLE;
	} else {
		sm_log_warn(NULL, "kafka.server.ZkAdminManager", "Auto-creation of topic %s failed: %s",
			    name, err);
		rt->error_code = e == SM_ERR_INVALID_REPLICATION_FACTOR ? SM_ERR_INVALID_REPLICATION_FACTOR
									 : SM_ERR_LEADER_NOT_AVAILABLE;
	}
}

static const sm_mc_topic_t *sm_metadata_topic_by_id(const sm_mc_snapshot_t *s, const uint8_t id[16])
{
	for (int i = 0; i < s->n_topics; i++)
		if (!memcmp(s->topics[i].topic_id, id, 16))
			return &s->topics[i];
	return NULL;
}

void sm_api_metadata(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_metadata_req_t req;
	if (sm_metadata_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_mc_snapshot_t *s = sm_metadata_cache_get(ctx->apis->d.metadata_cache);
	sm_metadata_resp_t resp;
	sm_metadata_resp_init(&resp);
	sm_metadata_brokers(ctx, s, &resp);
	resp.cluster_id = (char *)ctx->apis->d.cluster_id;
	resp.controller_id = sm_mc_broker(s, s->controller_id) ? s->controller_id : -1;
	if (ver >= 8 && ver <= 10 && req.include_cluster_authorized_operations)
		resp.cluster_authorized_operations = sm_metadata_cluster_ops(ctx);
	int authz = ver >= 8 && req.include_topic_authorized_operations;
	int allow_create = ver < 4 || req.allow_auto_topic_creation;

	if (sm_metadata_req_all_topics(&req, ver)) {
		resp.topics = sm_arena_alloc(&ctx->arena, sizeof(*resp.topics) * (size_t)(s->n_topics + 1));
		/* topics the client may not Describe are left out */
		for (int i = 0; i < s->n_topics; i++)
			if (sm_apis_authorized_quiet(ctx, SM_ACL_OP_DESCRIBE, SM_ACL_RES_TOPIC,
						     s->topics[i].name))
				sm_metadata_fill_topic(ctx, s, &s->topics[i], ver, authz,
						       &resp.topics[resp.topics_cnt++]);
	} else {
		int n = req.topics_cnt > 0 ? req.topics_cnt : 0;
		resp.topics = sm_arena_alloc(&ctx->arena, sizeof(*resp.topics) * (size_t)(n + 1));
		for (int i = 0; i < n; i++) {
			const sm_metadata_req_topic_t *rq = &req.topics[i];
			sm_metadata_resp_topic_t *rt = &resp.topics[resp.topics_cnt++];
			const sm_mc_topic_t *t = rq->name ? sm_mc_topic(s, rq->name)
							  : sm_metadata_topic_by_id(s, rq->topic_id);
			if (rq->name && !sm_apis_authorized(ctx, SM_ACL_OP_DESCRIBE, SM_ACL_RES_TOPIC,
							    rq->name)) {
				/* existence is not disclosed */
				sm_metadata_resp_topic_init(rt);
				rt->name = rq->name;
				rt->error_code = SM_ERR_TOPIC_AUTHORIZATION_FAILED;
			} else if (t && !rq->name &&
				   !sm_apis_authorized(ctx, SM_ACL_OP_DESCRIBE, SM_ACL_RES_TOPIC, t->name)) {
				sm_metadata_resp_topic_init(rt);
				memcpy(rt->topic_id, rq->topic_id, 16);
				rt->error_code = SM_ERR_TOPIC_AUTHORIZATION_FAILED;
			} else if (t)
				sm_metadata_fill_topic(ctx, s, t, ver, authz, rt);
			else if (!rq->name) {
				sm_metadata_resp_topic_init(rt);
				memcpy(rt->topic_id, rq->topic_id, 16);
				rt->error_code = SM_ERR_UNKNOWN_TOPIC_ID;
			} else
				sm_metadata_missing_topic(ctx, rq->name, allow_create, rt);
		}
	}
	sm_metadata_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_mc_snapshot_release(s);
	sm_apis_resp_send(ctx);
}

/* Kafka's handleDescribeCluster: the brokers alive on the request's listener,
 * the cluster id and the controller (-1 when none is known). Without an
 * authorizer every cluster operation is allowed, so an asked-for bitfield is
 * all of them; unasked it stays at Integer.MIN_VALUE. */
void sm_api_describe_cluster(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_describe_cluster_req_t req;
	if (sm_describe_cluster_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_mc_snapshot_t *s = sm_metadata_cache_get(ctx->apis->d.metadata_cache);
	sm_describe_cluster_resp_t resp;
	sm_describe_cluster_resp_init(&resp);
	resp.cluster_id = (char *)(ctx->apis->d.cluster_id ? ctx->apis->d.cluster_id : "");
	resp.controller_id = sm_mc_broker(s, s->controller_id) ? s->controller_id : -1;
	if (req.include_cluster_authorized_operations)
		resp.cluster_authorized_operations = sm_metadata_cluster_ops(ctx);
	resp.brokers = sm_arena_alloc(&ctx->arena, sizeof(*resp.brokers) * (size_t)(s->n_brokers + 1));
	resp.brokers_cnt = 0;
	for (int i = 0; i < s->n_brokers; i++) {
		const sm_mc_endpoint_t *ep = sm_mc_endpoint(&s->brokers[i], ctx->req->listener);
		if (!ep)
			continue;
		sm_describe_cluster_resp_broker_t *b = &resp.brokers[resp.brokers_cnt++];
		b->broker_id = s->brokers[i].id;
		b->host = ep->host;
		b->port = ep->port;
		b->rack = s->brokers[i].rack;
	}
	sm_describe_cluster_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_mc_snapshot_release(s);
	sm_apis_resp_send(ctx);
}
