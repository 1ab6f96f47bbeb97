/*
 * kafka_apis.h - request dispatch (Kafka's KafkaApis): parses the request
 * header, checks the API and version against what this broker advertises,
 * and hands the request to the handler of its family (api_*.c).
 *
 * A request that cannot be parsed, or names an API or version the broker does
 * not serve, closes its connection (as Kafka does) with a log line naming the
 * peer and the problem; an ApiVersions request at a too-new version gets the
 * v0 "UNSUPPORTED_VERSION" answer instead (KIP-511).
 *
 * Thread-safety: sm_kafka_apis_handle is called concurrently by the request
 * handler threads (and, through sm_kafka_apis_handle_inline, by network
 * threads for small acks=0/1 produces); everything it touches is
 * thread-safe.
 */
#ifndef SM_KAFKA_APIS_H
#define SM_KAFKA_APIS_H

#include "dynamic_config.h"
#include <stdint.h>

#include "kafka_config.h"
#include "metadata_cache.h"
#include "replica_manager.h"
#include "request_channel.h"
#include "zk_client.h"

typedef struct sm_kafka_apis sm_kafka_apis_t;
typedef struct sm_controller sm_controller_t;
typedef struct sm_group_coordinator sm_group_coordinator_t;
typedef struct sm_txn_coordinator sm_txn_coordinator_t;
typedef struct sm_txn_marker_channel sm_txn_marker_channel_t;
typedef struct sm_purgatory sm_purgatory_t;

typedef struct sm_kafka_apis_deps {
	const sm_kafka_config_t *cfg;
	int32_t broker_id;
	const char *cluster_id;
	sm_request_channel_t *channel;
	sm_metadata_cache_t *metadata_cache;
	sm_replica_manager_t *replica_manager;
	sm_zk_t *zk;
	sm_controller_t *controller;
	sm_group_coordinator_t *group_coordinator;
	sm_txn_coordinator_t *txn_coordinator; /* NULL: transactions refused */
	sm_txn_marker_channel_t *txn_markers;  /* told of metadata updates */
	struct sm_authorizer *authorizer; /* NULL: every request is allowed */
	sm_dyn_config_t *dyn_config; /* dynamic broker configs; NULL: static only */
	/* This broker's epoch (registration czxid), read atomically: control
	 * requests naming an older one are refused; NULL: not checked. */
	const int64_t *broker_epoch;
} sm_kafka_apis_deps_t;

sm_kafka_apis_t *sm_kafka_apis_new(const sm_kafka_apis_deps_t *deps);
/* Completes every parked (delayed) request and frees everything. */
void sm_kafka_apis_destroy(sm_kafka_apis_t *apis);
/* Handles one request; consumes it (answers, parks it, or closes it). */
void sm_kafka_apis_handle(sm_kafka_apis_t *apis, sm_request_t *req);
/* Largest request a network thread handles itself (run to completion). */
#define SM_APIS_INLINE_MAX_BYTES (64 * 1024)
/* 1 if req may be handled to completion on the network thread that read
 * it: a Produce of at most SM_APIS_INLINE_MAX_BYTES with acks 0 or 1 and
 * no transactional id, which appends to the page cache and never waits
 * for another broker, ZooKeeper or a coordinator. Reads only the request's
 * bytes (header and the first fields of the body); 0 for anything it
 * cannot read, which then goes to the handler threads as usual. */
int sm_kafka_apis_runs_inline(const sm_request_t *req);
/* Handles req on the calling network thread (docs/design/threads.md, run
 * to completion): the thread takes the request handler's role on top of
 * its own for the call, so every handler-only rule holds and every rule
 * that forbids network threads still does. */
void sm_kafka_apis_handle_inline(sm_kafka_apis_t *apis, sm_request_t *req);
/* The purgatory of delayed operations (delayed_op.h), for the coordinators'
 * acks=-1 writes; valid until sm_kafka_apis_destroy. */
sm_purgatory_t *sm_kafka_apis_purgatory(sm_kafka_apis_t *apis);

/* Advertised APIs for ApiVersions (and tests): fills up to max entries. */
typedef struct sm_api_range {
	int16_t key;
	int16_t min;
	int16_t max;
} sm_api_range_t;
int sm_kafka_apis_supported(sm_api_range_t *out, int max);

#endif /* SM_KAFKA_APIS_H */
