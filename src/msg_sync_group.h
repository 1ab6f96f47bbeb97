/*
 * msg_sync_group.h - SyncGroup (key 14) request and response bodies,
 * versions 0-5 (Kafka's SyncGroupRequestData / SyncGroupResponseData);
 * flexible from 4.
 *
 * Quirks:
 *  - group_instance_id exists from v3 (KIP-345).
 *  - v5 adds protocol_type and protocol_name to both request and response
 *    (KIP-559) so that the coordinator and the member can check each other.
 *  - Assignments are opaque bytes (never null).
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_SYNC_GROUP_H
#define SM_MSG_SYNC_GROUP_H

#include <stdint.h>

#include "buf.h"

typedef struct sm_sync_group_req_assignment {
	char *member_id;
	sm_bytes_t assignment;
} sm_sync_group_req_assignment_t;

typedef struct sm_sync_group_req {
	char *group_id;
	int32_t generation_id;
	char *member_id;
	char *group_instance_id; /* v3+, nullable, default null */
	char *protocol_type;     /* v5+, nullable, default null */
	char *protocol_name;     /* v5+, nullable, default null */
	sm_sync_group_req_assignment_t *assignments;
	int32_t assignments_cnt;
} sm_sync_group_req_t;

typedef struct sm_sync_group_resp {
	int32_t throttle_time_ms; /* v1+ */
	int16_t error_code;
	char *protocol_type;      /* v5+, nullable, default null */
	char *protocol_name;      /* v5+, nullable, default null */
	sm_bytes_t assignment;
} sm_sync_group_resp_t;

void sm_sync_group_req_init(sm_sync_group_req_t *r);
void sm_sync_group_resp_init(sm_sync_group_resp_t *r);

int sm_sync_group_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_sync_group_req_t *out);
void sm_sync_group_req_write(sm_wbuf_t *w, int16_t ver, const sm_sync_group_req_t *in);
int sm_sync_group_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			    sm_sync_group_resp_t *out);
void sm_sync_group_resp_write(sm_wbuf_t *w, int16_t ver, const sm_sync_group_resp_t *in);

#endif /* SM_MSG_SYNC_GROUP_H */
