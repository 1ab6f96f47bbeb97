/*
 * metadata_cache.h - the broker's view of the cluster (Kafka's
 * ZkMetadataCache): live brokers with their endpoints, the controller, and
 * every partition's leader/ISR/replicas, built only from the UpdateMetadata
 * requests the controller sends. Metadata responses are answered from it.
 *
 * Readers take an immutable, refcounted snapshot; an update builds a new
 * snapshot and swaps it in, so readers never block writers or see a half
 * applied update.
 *
 * Thread-safety: all functions are thread-safe. A snapshot is immutable.
 */
#ifndef SM_METADATA_CACHE_H
#define SM_METADATA_CACHE_H

#include <stdint.h>

#include "err.h"
#include "msg_update_metadata.h"

typedef struct sm_mc_endpoint {
	char *listener;
	char *host;
	int32_t port;
	int16_t security_protocol;
} sm_mc_endpoint_t;

typedef struct sm_mc_broker {
	int32_t id;
	char *rack;
	int n_endpoints;
	sm_mc_endpoint_t *endpoints;
} sm_mc_broker_t;

typedef struct sm_mc_partition {
	int present;            /* slot holds a partition */
	int32_t leader;
	int32_t leader_epoch;
	int32_t controller_epoch;
	int32_t zk_version;
	int n_replicas;
	int32_t *replicas;
	int n_isr;
	int32_t *isr;
	int n_offline;
	int32_t *offline;
} sm_mc_partition_t;

typedef struct sm_mc_topic {
	char *name;
	uint8_t topic_id[16];
	int n_partitions;        /* slots, indexed by partition id */
	sm_mc_partition_t *partitions;
} sm_mc_topic_t;

typedef struct sm_mc_snapshot {
	int refcnt;
	int32_t controller_id;   /* -1 if unknown */
	int n_brokers;           /* sorted by id */
	sm_mc_broker_t *brokers;
	int n_topics;            /* sorted by name */
	sm_mc_topic_t *topics;
} sm_mc_snapshot_t;

typedef struct sm_metadata_cache sm_metadata_cache_t;

sm_metadata_cache_t *sm_metadata_cache_new(int32_t broker_id);
void sm_metadata_cache_destroy(sm_metadata_cache_t *mc);

/* The current snapshot, with a reference the caller releases. */
sm_mc_snapshot_t *sm_metadata_cache_get(sm_metadata_cache_t *mc);
void sm_mc_snapshot_release(sm_mc_snapshot_t *s);

/* Applies an UpdateMetadata request. Returns SM_ERR_STALE_CONTROLLER_EPOCH
 * (and changes nothing) if req->controller_epoch is older than the newest
 * seen. Partitions with leader -2 (LeaderDuringDelete) are removed. */
sm_err_t sm_metadata_cache_update(sm_metadata_cache_t *mc, const sm_update_metadata_req_t *req);

/* Lookups in a snapshot (NULL if absent). */
const sm_mc_topic_t *sm_mc_topic(const sm_mc_snapshot_t *s, const char *name);
const sm_mc_partition_t *sm_mc_partition(const sm_mc_topic_t *t, int32_t partition);
const sm_mc_broker_t *sm_mc_broker(const sm_mc_snapshot_t *s, int32_t id);
const sm_mc_endpoint_t *sm_mc_endpoint(const sm_mc_broker_t *b, const char *listener);
/* Number of present partitions of t. */
int sm_mc_partition_count(const sm_mc_topic_t *t);

#endif /* SM_METADATA_CACHE_H */
