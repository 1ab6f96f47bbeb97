/*
 * msg_write_txn_markers.h - WriteTxnMarkers (key 27) request and response
 * bodies, versions 0-1 (Kafka's WriteTxnMarkersRequestData /
 * WriteTxnMarkersResponseData); flexible from 1. Sent by a transaction
 * coordinator to partition leaders to end a transaction.
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_WRITE_TXN_MARKERS_H
#define SM_MSG_WRITE_TXN_MARKERS_H

#include <stdint.h>

#include "buf.h"

typedef struct sm_write_txn_markers_req_topic {
	char *name;
	int32_t *partition_indexes;
	int32_t partition_indexes_cnt;
} sm_write_txn_markers_req_topic_t;

typedef struct sm_write_txn_markers_req_marker {
	int64_t producer_id;
	int16_t producer_epoch;
	int8_t transaction_result; /* 1 commit, 0 abort */
	sm_write_txn_markers_req_topic_t *topics;
	int32_t topics_cnt;
	int32_t coordinator_epoch;
} sm_write_txn_markers_req_marker_t;

typedef struct sm_write_txn_markers_req {
	sm_write_txn_markers_req_marker_t *markers;
	int32_t markers_cnt;
} sm_write_txn_markers_req_t;

typedef struct sm_write_txn_markers_resp_partition {
	int32_t partition_index;
	int16_t error_code;
} sm_write_txn_markers_resp_partition_t;

typedef struct sm_write_txn_markers_resp_topic {
	char *name;
	sm_write_txn_markers_resp_partition_t *partitions;
	int32_t partitions_cnt;
} sm_write_txn_markers_resp_topic_t;

typedef struct sm_write_txn_markers_resp_marker {
	int64_t producer_id;
	sm_write_txn_markers_resp_topic_t *topics;
	int32_t topics_cnt;
} sm_write_txn_markers_resp_marker_t;

typedef struct sm_write_txn_markers_resp {
	sm_write_txn_markers_resp_marker_t *markers;
	int32_t markers_cnt;
} sm_write_txn_markers_resp_t;

int sm_write_txn_markers_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				  sm_write_txn_markers_req_t *out);
void sm_write_txn_markers_req_write(sm_wbuf_t *w, int16_t ver,
				    const sm_write_txn_markers_req_t *in);
int sm_write_txn_markers_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				   sm_write_txn_markers_resp_t *out);
void sm_write_txn_markers_resp_write(sm_wbuf_t *w, int16_t ver,
				     const sm_write_txn_markers_resp_t *in);

#endif /* SM_MSG_WRITE_TXN_MARKERS_H */
