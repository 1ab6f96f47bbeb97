/*
 * msg_update_metadata.h - UpdateMetadata (api key 6) request and response
 * codec, versions 0-7 (flexible from 6), as Kafka 2.8's UpdateMetadataRequest
 * / UpdateMetadataResponse.
 *
 * The decoded form is the same for every version: partitions are one flat
 * array carrying their topic (nested by topic on the wire from v5), and every
 * live broker has an endpoint array. As Kafka normalizes old requests, a v0
 * broker reads as one PLAINTEXT endpoint, and v0-2 endpoints get the listener
 * name of their security protocol ("PLAINTEXT", "SSL", ...). Absent fields
 * read as Kafka's defaults (broker_epoch -1, rack NULL, no offline replicas,
 * zero topic ids). Writers nest partitions by topic in order of first
 * appearance, so write -> read -> write is byte-identical.
 *
 * Strings are NUL-terminated (NULL = null); arrays are pointer + count.
 * Decoded structures live in the caller's arena.
 *
 * Thread-safety: pure functions on caller-owned buffers.
 */
#ifndef SM_MSG_UPDATE_METADATA_H
#define SM_MSG_UPDATE_METADATA_H

#include <stdint.h>

#include "buf.h"
#include "msg_interbroker.h"

#define SM_UPDATE_METADATA_KEY 6
#define SM_UPDATE_METADATA_VMAX 7
#define SM_UPDATE_METADATA_FLEX 6 /* first flexible version */

typedef struct sm_update_metadata_partition {
	char *topic;
	int32_t partition;
	int32_t controller_epoch;
	int32_t leader;
	int32_t leader_epoch;
	int32_t *isr;
	int32_t isr_cnt;
	int32_t zk_version;
	int32_t *replicas;
	int32_t replicas_cnt;
	int32_t *offline_replicas; /* v4+ */
	int32_t offline_replicas_cnt;
} sm_update_metadata_partition_t;

typedef struct sm_update_metadata_endpoint {
	int32_t port;
	char *host;
	char *listener;            /* v3+; derived from the protocol before */
	int16_t security_protocol; /* 0 PLAINTEXT, 1 SSL, 2 SASL_PLAINTEXT, 3 SASL_SSL */
} sm_update_metadata_endpoint_t;

typedef struct sm_update_metadata_broker {
	int32_t id;
	sm_update_metadata_endpoint_t *endpoints; /* v0: exactly one, PLAINTEXT */
	int32_t endpoints_cnt;
	char *rack;                               /* v2+, nullable */
} sm_update_metadata_broker_t;

typedef struct sm_update_metadata_req {
	int32_t controller_id;
	int32_t controller_epoch;
	int64_t broker_epoch; /* v5+, else -1 */
	sm_update_metadata_partition_t *partitions;
	int32_t partitions_cnt;
	sm_msg_topic_id_t *topic_ids; /* v7+: one per topic on the wire */
	int32_t topic_ids_cnt;
	sm_update_metadata_broker_t *live_brokers;
	int32_t live_brokers_cnt;
} sm_update_metadata_req_t;

typedef struct sm_update_metadata_resp {
	int16_t error_code;
} sm_update_metadata_resp_t;

/* Kafka's name of a security protocol id, or NULL if unknown. */
const char *sm_update_metadata_protocol_name(int16_t security_protocol);

/* Readers return 0, or -1 on malformed or truncated input or an unsupported
 * version; out is zeroed first. Writers write nothing for an unsupported
 * version. A v0 writer sends each broker's first PLAINTEXT endpoint (or its
 * first endpoint), since v0 has room for one host and port. */
int sm_update_metadata_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				sm_update_metadata_req_t *out);
void sm_update_metadata_req_write(sm_wbuf_t *w, int16_t ver, const sm_update_metadata_req_t *in);
int sm_update_metadata_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				 sm_update_metadata_resp_t *out);
void sm_update_metadata_resp_write(sm_wbuf_t *w, int16_t ver,
				   const sm_update_metadata_resp_t *in);

#endif /* SM_MSG_UPDATE_METADATA_H */
