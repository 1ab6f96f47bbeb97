/*
 * msg_init_producer_id.h - InitProducerId (key 22) request and response
 * bodies, versions 0-4 (Kafka's InitProducerIdRequestData /
 * InitProducerIdResponseData); flexible from 2, producer_id and
 * producer_epoch in the request from 3.
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_INIT_PRODUCER_ID_H
#define SM_MSG_INIT_PRODUCER_ID_H

#include <stdint.h>

#include "buf.h"

typedef struct sm_init_producer_id_req {
	char *transactional_id; /* NULL: an idempotent producer */
	int32_t transaction_timeout_ms;
	int64_t producer_id;    /* v3+, default -1 */
	int16_t producer_epoch; /* v3+, default -1 */
} sm_init_producer_id_req_t;

typedef struct sm_init_producer_id_resp {
	int32_t throttle_time_ms;
	int16_t error_code;
	int64_t producer_id;
	int16_t producer_epoch;
} sm_init_producer_id_resp_t;

void sm_init_producer_id_req_init(sm_init_producer_id_req_t *r);
void sm_init_producer_id_resp_init(sm_init_producer_id_resp_t *r);

int sm_init_producer_id_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				 sm_init_producer_id_req_t *out);
void sm_init_producer_id_req_write(sm_wbuf_t *w, int16_t ver,
				   const sm_init_producer_id_req_t *in);
int sm_init_producer_id_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				  sm_init_producer_id_resp_t *out);
void sm_init_producer_id_resp_write(sm_wbuf_t *w, int16_t ver,
				    const sm_init_producer_id_resp_t *in);

#endif /* SM_MSG_INIT_PRODUCER_ID_H */
