/*
 * msg_heartbeat.h - Heartbeat (key 12) request and response bodies, versions
 * 0-4 (Kafka's HeartbeatRequestData / HeartbeatResponseData); flexible from 4.
 *
 * Quirks: group_instance_id exists from v3 (KIP-345); throttle_time_ms in the
 * response from v1.
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_HEARTBEAT_H
#define SM_MSG_HEARTBEAT_H

#include <stdint.h>

#include "buf.h"

typedef struct sm_heartbeat_req {
	char *group_id;
	int32_t generation_id;
	char *member_id;
	char *group_instance_id; /* v3+, nullable, default null */
} sm_heartbeat_req_t;

typedef struct sm_heartbeat_resp {
	int32_t throttle_time_ms; /* v1+ */
	int16_t error_code;
} sm_heartbeat_resp_t;

void sm_heartbeat_req_init(sm_heartbeat_req_t *r);
void sm_heartbeat_resp_init(sm_heartbeat_resp_t *r);

int sm_heartbeat_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_heartbeat_req_t *out);
void sm_heartbeat_req_write(sm_wbuf_t *w, int16_t ver, const sm_heartbeat_req_t *in);
int sm_heartbeat_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_heartbeat_resp_t *out);
void sm_heartbeat_resp_write(sm_wbuf_t *w, int16_t ver, const sm_heartbeat_resp_t *in);

#endif /* SM_MSG_HEARTBEAT_H */
