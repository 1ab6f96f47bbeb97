/*
 * msg_metadata.h - Metadata (key 3) request and response bodies, versions
 * 0-11 (Kafka's MetadataRequestData / MetadataResponseData); flexible from 9.
 *
 * Quirks:
 *  - Which topics a request asks for depends on the version: in v0 an EMPTY
 *    topic array means "all topics" (v0 cannot send null); from v1 a NULL
 *    array (topics_cnt == -1) means all topics and an empty one means none.
 *    sm_metadata_req_all_topics() applies the rule. Writing a null array at
 *    v0 produces the empty array, which keeps the "all topics" meaning.
 *  - AllowAutoTopicCreation exists from v4; older requests read as true.
 *  - v10 and v11 carry a topic id per requested topic and allow a null name,
 *    but a 2.8 broker only looks topics up by name.
 *  - IncludeClusterAuthorizedOperations / ClusterAuthorizedOperations exist
 *    only in v8-10 (KIP-700 moved them to DescribeCluster).
 *  - Authorized-operation bitfields default to INT32_MIN ("not provided").
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_METADATA_H
#define SM_MSG_METADATA_H

#include <stdint.h>

#include "buf.h"

/* Default of the authorized-operations bitfields. */
#define SM_METADATA_AUTHZ_OPS_UNSET INT32_MIN

typedef struct sm_metadata_req_topic {
	uint8_t topic_id[16]; /* v10+ */
	char *name;           /* nullable v10+ */
} sm_metadata_req_topic_t;

typedef struct sm_metadata_req {
	sm_metadata_req_topic_t *topics;
	int32_t topics_cnt;                        /* -1 = null (v1+) */
	int allow_auto_topic_creation;             /* v4+, default true */
	int include_cluster_authorized_operations; /* v8-10 */
	int include_topic_authorized_operations;   /* v8+ */
} sm_metadata_req_t;

typedef struct sm_metadata_resp_broker {
	int32_t node_id;
	char *host;
	int32_t port;
	char *rack; /* v1+, nullable, default null */
} sm_metadata_resp_broker_t;

typedef struct sm_metadata_resp_partition {
	int16_t error_code;
	int32_t partition_index;
	int32_t leader_id;
	int32_t leader_epoch; /* v7+, default -1 */
	int32_t *replica_nodes;
	int32_t replica_nodes_cnt;
	int32_t *isr_nodes;
	int32_t isr_nodes_cnt;
	int32_t *offline_replicas; /* v5+ */
	int32_t offline_replicas_cnt;
} sm_metadata_resp_partition_t;

typedef struct sm_metadata_resp_topic {
	int16_t error_code;
	char *name;
	uint8_t topic_id[16]; /* v10+ */
	int is_internal;      /* v1+ */
	sm_metadata_resp_partition_t *partitions;
	int32_t partitions_cnt;
	int32_t topic_authorized_operations; /* v8+, default INT32_MIN */
} sm_metadata_resp_topic_t;

typedef struct sm_metadata_resp {
	int32_t throttle_time_ms; /* v3+ */
	sm_metadata_resp_broker_t *brokers;
	int32_t brokers_cnt;
	char *cluster_id;      /* v2+, nullable, default null */
	int32_t controller_id; /* v1+, default -1 */
	sm_metadata_resp_topic_t *topics;
	int32_t topics_cnt;
	int32_t cluster_authorized_operations; /* v8-10, default INT32_MIN */
} sm_metadata_resp_t;

/* Schema defaults. Element defaults: rack NULL, leader_epoch -1,
 * topic_authorized_operations INT32_MIN (see the _init helpers below). */
void sm_metadata_req_init(sm_metadata_req_t *r);
void sm_metadata_resp_init(sm_metadata_resp_t *r);
void sm_metadata_resp_topic_init(sm_metadata_resp_topic_t *t);
void sm_metadata_resp_partition_init(sm_metadata_resp_partition_t *p);

/* 1 if the request (read at ver) asks for every topic. */
int sm_metadata_req_all_topics(const sm_metadata_req_t *r, int16_t ver);

int sm_metadata_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_metadata_req_t *out);
void sm_metadata_req_write(sm_wbuf_t *w, int16_t ver, const sm_metadata_req_t *in);
int sm_metadata_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_metadata_resp_t *out);
void sm_metadata_resp_write(sm_wbuf_t *w, int16_t ver, const sm_metadata_resp_t *in);

#endif /* SM_MSG_METADATA_H */
