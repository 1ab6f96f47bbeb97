/*
 * msg_delete_topics.h - DeleteTopics (key 20) request and response bodies,
 * versions 0-6 (Kafka's DeleteTopicsRequestData / DeleteTopicsResponseData);
 * flexible from 4.
 *
 * Quirks:
 *  - v0-5 name the topics in topic_names; v6 (KIP-516) replaces that with
 *    topics[], each giving a name or (name null) a topic id. A handler reads
 *    topic_names below v6 and topics from v6; the other array stays empty.
 *  - Response entries: name is nullable from v6 (a topic deleted by an
 *    unknown id), topic_id exists from v6, error_message from v5.
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_DELETE_TOPICS_H
#define SM_MSG_DELETE_TOPICS_H

#include <stdint.h>

#include "buf.h"

typedef struct sm_delete_topics_req_topic {
	char *name;           /* nullable, default null */
	uint8_t topic_id[16];
} sm_delete_topics_req_topic_t;

typedef struct sm_delete_topics_req {
	sm_delete_topics_req_topic_t *topics; /* v6+ */
	int32_t topics_cnt;
	char **topic_names;                   /* v0-5 */
	int32_t topic_names_cnt;
	int32_t timeout_ms;
} sm_delete_topics_req_t;

typedef struct sm_delete_topics_resp_topic {
	char *name;           /* nullable v6+ */
	uint8_t topic_id[16]; /* v6+ */
	int16_t error_code;
	char *error_message;  /* v5+, nullable, default null */
} sm_delete_topics_resp_topic_t;

typedef struct sm_delete_topics_resp {
	int32_t throttle_time_ms; /* v1+ */
	sm_delete_topics_resp_topic_t *responses;
	int32_t responses_cnt;
} sm_delete_topics_resp_t;

void sm_delete_topics_req_init(sm_delete_topics_req_t *r);
void sm_delete_topics_resp_init(sm_delete_topics_resp_t *r);

int sm_delete_topics_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_delete_topics_req_t *out);
void sm_delete_topics_req_write(sm_wbuf_t *w, int16_t ver, const sm_delete_topics_req_t *in);
int sm_delete_topics_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			       sm_delete_topics_resp_t *out);
void sm_delete_topics_resp_write(sm_wbuf_t *w, int16_t ver, const sm_delete_topics_resp_t *in);

#endif /* SM_MSG_DELETE_TOPICS_H */
