/*
 * msg_find_coordinator.h - FindCoordinator (key 10) request and response
 * bodies, versions 0-3 (Kafka's FindCoordinatorRequestData /
 * FindCoordinatorResponseData); flexible from 3.
 *
 * Quirks:
 *  - key_type (0 group, 1 transaction) exists from v1; a v0 request always
 *    asks for a group coordinator.
 *  - error_message is absent before v1 and then reads as null.
 *  - The batched form (coordinator_keys, v4+) is newer than Kafka 2.8.
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_FIND_COORDINATOR_H
#define SM_MSG_FIND_COORDINATOR_H

#include <stdint.h>

#include "buf.h"

#define SM_COORDINATOR_TYPE_GROUP 0
#define SM_COORDINATOR_TYPE_TRANSACTION 1

typedef struct sm_find_coordinator_req {
	char *key;
	int8_t key_type; /* v1+, default 0 (group) */
} sm_find_coordinator_req_t;

typedef struct sm_find_coordinator_resp {
	int32_t throttle_time_ms; /* v1+ */
	int16_t error_code;
	char *error_message;      /* v1+, nullable */
	int32_t node_id;
	char *host;
	int32_t port;
} sm_find_coordinator_resp_t;

void sm_find_coordinator_req_init(sm_find_coordinator_req_t *r);
void sm_find_coordinator_resp_init(sm_find_coordinator_resp_t *r);

int sm_find_coordinator_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				 sm_find_coordinator_req_t *out);
void sm_find_coordinator_req_write(sm_wbuf_t *w, int16_t ver,
				   const sm_find_coordinator_req_t *in);
int sm_find_coordinator_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				  sm_find_coordinator_resp_t *out);
void sm_find_coordinator_resp_write(sm_wbuf_t *w, int16_t ver,
				    const sm_find_coordinator_resp_t *in);

#endif /* SM_MSG_FIND_COORDINATOR_H */
