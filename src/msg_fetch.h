/*
 * msg_fetch.h - Fetch (API key 1) request/response bodies, versions 0-12
 * (flexible from v12). Mirrors Kafka's generated FetchRequestData and
 * FetchResponseData as of 2.8; topic ids (v13+), ReplicaState (v15+) and
 * NodeEndpoints (v16+) are outside that range and not represented.
 *
 * A response's records may be file-backed (sm_records_t.file), in which
 * case writing it splices the segment range instead of copying it.
 *
 * Thread-safety: pure functions over caller-owned buffers and arenas.
 */
#ifndef SM_MSG_FETCH_H
#define SM_MSG_FETCH_H

#include <stdint.h>

#include "buf.h"
#include "protocol.h"

#define SM_FETCH_MIN_VERSION 0
#define SM_FETCH_MAX_VERSION 12
#define SM_FETCH_FLEXIBLE_VERSION 12

/* ---- request ---- */

typedef struct sm_fetch_req_partition {
	int32_t partition;
	int32_t current_leader_epoch; /* v9+, default -1 */
	int64_t fetch_offset;
	int32_t last_fetched_epoch;   /* v12+, default -1 */
	int64_t log_start_offset;     /* v5+, default -1 */
	int32_t partition_max_bytes;
} sm_fetch_req_partition_t;

typedef struct sm_fetch_req_topic {
	char *topic;
	sm_fetch_req_partition_t *partitions;
	int32_t partition_count;
} sm_fetch_req_topic_t;

typedef struct sm_fetch_forgotten_topic {
	char *topic;
	int32_t *partitions;
	int32_t partition_count;
} sm_fetch_forgotten_topic_t;

typedef struct sm_fetch_req {
	char *cluster_id;        /* v12+ tag 0, nullable, default null */
	int32_t replica_id;      /* -1 for consumers */
	int32_t max_wait_ms;
	int32_t min_bytes;
	int32_t max_bytes;       /* v3+, default 0x7fffffff */
	int8_t isolation_level;  /* v4+, default 0 */
	int32_t session_id;      /* v7+, default 0 */
	int32_t session_epoch;   /* v7+, default -1 */
	sm_fetch_req_topic_t *topics;
	int32_t topic_count;
	sm_fetch_forgotten_topic_t *forgotten_topics; /* v7+ */
	int32_t forgotten_topic_count;
	char *rack_id;           /* v11+, default "" */
} sm_fetch_req_t;

/* ---- response ---- */

typedef struct sm_fetch_aborted_txn {
	int64_t producer_id;
	int64_t first_offset;
} sm_fetch_aborted_txn_t;

typedef struct sm_fetch_resp_partition {
	int32_t partition_index;
	int16_t error_code;
	int64_t high_watermark;
	int64_t last_stable_offset; /* v4+, default -1 */
	int64_t log_start_offset;   /* v5+, default -1 */
	struct {                    /* v12+ tag 0; all -1 = absent */
		int32_t epoch;
		int64_t end_offset;
	} diverging_epoch;
	struct {                    /* v12+ tag 1; all -1 = absent */
		int32_t leader_id;
		int32_t leader_epoch;
	} current_leader;
	struct {                    /* v12+ tag 2; all -1 = absent */
		int64_t end_offset;
		int32_t epoch;
	} snapshot_id;
	sm_fetch_aborted_txn_t *aborted_transactions; /* v4+ */
	int32_t aborted_transaction_count;            /* -1 = null */
	int32_t preferred_read_replica;               /* v11+, default -1 */
	sm_records_t records;
} sm_fetch_resp_partition_t;

typedef struct sm_fetch_resp_topic {
	char *topic;
	sm_fetch_resp_partition_t *partitions;
	int32_t partition_count;
} sm_fetch_resp_topic_t;

typedef struct sm_fetch_resp {
	int32_t throttle_time_ms; /* v1+ */
	int16_t error_code;       /* v7+ */
	int32_t session_id;       /* v7+, default 0 */
	sm_fetch_resp_topic_t *topics;
	int32_t topic_count;
} sm_fetch_resp_t;

/* Sets every field of a partition to its schema default (records null). */
void sm_fetch_resp_partition_init(sm_fetch_resp_partition_t *p);

/*
 * Readers return 0, or -1 on malformed input; fields a version lacks get
 * their schema defaults, unknown tagged fields are skipped. Writers drop
 * fields the version lacks and emit tagged fields only when non-default.
 */
int sm_fetch_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_fetch_req_t *out);
void sm_fetch_req_write(sm_wbuf_t *w, int16_t ver, const sm_fetch_req_t *in);
int sm_fetch_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_fetch_resp_t *out);
void sm_fetch_resp_write(sm_wbuf_t *w, int16_t ver, const sm_fetch_resp_t *in);

#endif /* SM_MSG_FETCH_H */
