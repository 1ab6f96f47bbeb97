/*
 * msg_controlled_shutdown.h - ControlledShutdown (key 7) request and
 * response bodies, versions 0-3 (Kafka's ControlledShutdownRequestData /
 * ControlledShutdownResponseData); flexible from 3.
 *
 * Quirks: broker_epoch exists from v2 (default -1); v0 requests carry a
 * header without client id (protocol.c handles that, not this codec).
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_CONTROLLED_SHUTDOWN_H
#define SM_MSG_CONTROLLED_SHUTDOWN_H

#include <stdint.h>

#include "buf.h"

typedef struct sm_controlled_shutdown_req {
	int32_t broker_id;
	int64_t broker_epoch; /* v2+, default -1 */
} sm_controlled_shutdown_req_t;

typedef struct sm_controlled_shutdown_tp {
	char *topic_name;
	int32_t partition_index;
} sm_controlled_shutdown_tp_t;

typedef struct sm_controlled_shutdown_resp {
	int16_t error_code;
	sm_controlled_shutdown_tp_t *remaining;
	int32_t remaining_cnt;
} sm_controlled_shutdown_resp_t;

void sm_controlled_shutdown_req_init(sm_controlled_shutdown_req_t *r);
void sm_controlled_shutdown_resp_init(sm_controlled_shutdown_resp_t *r);

int sm_controlled_shutdown_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				    sm_controlled_shutdown_req_t *out);
void sm_controlled_shutdown_req_write(sm_wbuf_t *w, int16_t ver,
				      const sm_controlled_shutdown_req_t *in);
int sm_controlled_shutdown_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				     sm_controlled_shutdown_resp_t *out);
void sm_controlled_shutdown_resp_write(sm_wbuf_t *w, int16_t ver,
				       const sm_controlled_shutdown_resp_t *in);

#endif /* SM_MSG_CONTROLLED_SHUTDOWN_H */
