/*
 * msg_leader_and_isr.h - LeaderAndIsr (api key 4) request and response codec,
 * versions 0-5 (flexible from 4), as Kafka 2.8's LeaderAndIsrRequest /
 * LeaderAndIsrResponse.
 *
 * The decoded form is the same for every version so the broker's handler
 * never looks at the version: partitions are one flat array, each carrying
 * its topic name, whether the wire nests them under topics (v2+) or not.
 * Fields a version lacks read as Kafka's defaults (broker_epoch -1, type 0,
 * is_new false, empty adding/removing replicas, zero topic ids). Writers nest
 * partitions by topic in order of first appearance, so write -> read -> write
 * is byte-identical.
 *
 * Strings are NUL-terminated (NULL = null); arrays are pointer + count.
 * Decoded structures live in the caller's arena.
 *
 * Thread-safety: pure functions on caller-owned buffers.
 */
#ifndef SM_MSG_LEADER_AND_ISR_H
#define SM_MSG_LEADER_AND_ISR_H

#include <stdint.h>

#include "buf.h"
#include "msg_interbroker.h"

#define SM_LEADER_AND_ISR_KEY 4
#define SM_LEADER_AND_ISR_VMAX 5
#define SM_LEADER_AND_ISR_FLEX 4 /* first flexible version */

/* Request 'type' (v5+, KIP-516): whether the request lists every partition
 * the broker hosts. */
#define SM_LEADER_AND_ISR_TYPE_UNKNOWN 0
#define SM_LEADER_AND_ISR_TYPE_INCREMENTAL 1
#define SM_LEADER_AND_ISR_TYPE_FULL 2

typedef struct sm_leader_and_isr_partition {
	char *topic;
	int32_t partition;
	int32_t controller_epoch;
	int32_t leader;
	int32_t leader_epoch;
	int32_t *isr;
	int32_t isr_cnt;
	int32_t zk_version; /* "PartitionEpoch" in the schema */
	int32_t *replicas;
	int32_t replicas_cnt;
	int32_t *adding_replicas;   /* v3+ */
	int32_t adding_replicas_cnt;
	int32_t *removing_replicas; /* v3+ */
	int32_t removing_replicas_cnt;
	int is_new;                 /* v1+ */
} sm_leader_and_isr_partition_t;

typedef struct sm_leader_and_isr_leader {
	int32_t broker_id;
	char *host;
	int32_t port;
} sm_leader_and_isr_leader_t;

typedef struct sm_leader_and_isr_req {
	int32_t controller_id;
	int32_t controller_epoch;
	int64_t broker_epoch; /* v2+, else -1 */
	int8_t type;          /* v5+, else 0 */
	sm_leader_and_isr_partition_t *partitions;
	int32_t partitions_cnt;
	sm_msg_topic_id_t *topic_ids; /* v5+: one per topic on the wire */
	int32_t topic_ids_cnt;
	sm_leader_and_isr_leader_t *live_leaders;
	int32_t live_leaders_cnt;
} sm_leader_and_isr_req_t;

typedef struct sm_leader_and_isr_partition_err {
	char *topic;        /* v0-4; NULL when read from v5 */
	uint8_t topic_id[16]; /* v5 */
	int32_t partition;
	int16_t error_code;
} sm_leader_and_isr_partition_err_t;

typedef struct sm_leader_and_isr_resp {
	int16_t error_code;
	sm_leader_and_isr_partition_err_t *partitions;
	int32_t partitions_cnt;
} sm_leader_and_isr_resp_t;

/* Readers return 0, or -1 on malformed or truncated input (never reading
 * outside rb) or an unsupported version; out is zeroed first. Trailing bytes
 * are not an error. Writers write nothing for an unsupported version. */
int sm_leader_and_isr_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			       sm_leader_and_isr_req_t *out);
void sm_leader_and_isr_req_write(sm_wbuf_t *w, int16_t ver, const sm_leader_and_isr_req_t *in);
int sm_leader_and_isr_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				sm_leader_and_isr_resp_t *out);
/* v5 nests partition errors by topic_id; earlier versions use topic. */
void sm_leader_and_isr_resp_write(sm_wbuf_t *w, int16_t ver, const sm_leader_and_isr_resp_t *in);

#endif /* SM_MSG_LEADER_AND_ISR_H */
