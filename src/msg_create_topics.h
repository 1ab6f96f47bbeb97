/*
 * msg_create_topics.h - CreateTopics (key 19) request and response bodies,
 * versions 0-7 (Kafka's CreateTopicsRequestData / CreateTopicsResponseData);
 * flexible from 5.
 *
 * Quirks:
 *  - num_partitions / replication_factor of -1 ask for the broker defaults
 *    (v4+, KIP-464) or go with a manual assignment.
 *  - validate_only exists from v1; it is not ignorable, so a v0 request simply
 *    cannot ask for validation.
 *  - The v5+ response returns the created topic's partitions, replication
 *    factor and configs (KIP-525); configs may be null, and when they are not
 *    returned the reason travels in tagged field 0 TopicConfigErrorCode
 *    (written only when non-zero).
 *  - v7 responses carry the new topic id (KIP-516).
 *  - error_message is absent before v1 and then reads as "".
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_CREATE_TOPICS_H
#define SM_MSG_CREATE_TOPICS_H

#include <stdint.h>

#include "buf.h"

typedef struct sm_create_topics_req_assignment {
	int32_t partition_index;
	int32_t *broker_ids;
	int32_t broker_ids_cnt;
} sm_create_topics_req_assignment_t;

typedef struct sm_create_topics_req_config {
	char *name;
	char *value; /* nullable */
} sm_create_topics_req_config_t;

typedef struct sm_create_topics_req_topic {
	char *name;
	int32_t num_partitions;
	int16_t replication_factor;
	sm_create_topics_req_assignment_t *assignments;
	int32_t assignments_cnt;
	sm_create_topics_req_config_t *configs;
	int32_t configs_cnt;
} sm_create_topics_req_topic_t;

typedef struct sm_create_topics_req {
	sm_create_topics_req_topic_t *topics;
	int32_t topics_cnt;
	int32_t timeout_ms; /* default 60000 */
	int validate_only;  /* v1+ */
} sm_create_topics_req_t;

typedef struct sm_create_topics_resp_config {
	char *name;
	char *value; /* nullable */
	int read_only;
	int8_t config_source; /* default -1 */
	int is_sensitive;
} sm_create_topics_resp_config_t;

typedef struct sm_create_topics_resp_topic {
	char *name;
	uint8_t topic_id[16];            /* v7+ */
	int16_t error_code;
	char *error_message;             /* v1+, nullable */
	int16_t topic_config_error_code; /* v5+, tag 0 */
	int32_t num_partitions;          /* v5+, default -1 */
	int16_t replication_factor;      /* v5+, default -1 */
	sm_create_topics_resp_config_t *configs; /* v5+ */
	int32_t configs_cnt;             /* -1 = null */
} sm_create_topics_resp_topic_t;

typedef struct sm_create_topics_resp {
	int32_t throttle_time_ms; /* v2+ */
	sm_create_topics_resp_topic_t *topics;
	int32_t topics_cnt;
} sm_create_topics_resp_t;

/* Schema defaults (timeout 60000; per-topic result: -1 partitions and
 * replication factor; per-config source -1). */
void sm_create_topics_req_init(sm_create_topics_req_t *r);
void sm_create_topics_resp_init(sm_create_topics_resp_t *r);
void sm_create_topics_resp_topic_init(sm_create_topics_resp_topic_t *t);
void sm_create_topics_resp_config_init(sm_create_topics_resp_config_t *c);

int sm_create_topics_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_create_topics_req_t *out);
void sm_create_topics_req_write(sm_wbuf_t *w, int16_t ver, const sm_create_topics_req_t *in);
int sm_create_topics_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			       sm_create_topics_resp_t *out);
void sm_create_topics_resp_write(sm_wbuf_t *w, int16_t ver, const sm_create_topics_resp_t *in);

#endif /* SM_MSG_CREATE_TOPICS_H */
