/*
 * msg_join_group.h - JoinGroup (key 11) request and response bodies,
 * versions 0-7 (Kafka's JoinGroupRequestData / JoinGroupResponseData);
 * flexible from 6.
 *
 * Quirks:
 *  - rebalance_timeout_ms exists from v1; a v0 request reads as -1 and the
 *    coordinator uses the session timeout instead, as Kafka does.
 *  - group_instance_id (static membership, KIP-345) exists from v5, in the
 *    request and in each response member.
 *  - The v7 response carries protocol_type (KIP-559), and protocol_name
 *    becomes nullable there; before v7 a null protocol_name is written as "".
 *  - Protocol metadata and member metadata are opaque bytes (never null).
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_JOIN_GROUP_H
#define SM_MSG_JOIN_GROUP_H

#include <stdint.h>

#include "buf.h"

typedef struct sm_join_group_req_protocol {
	char *name;
	sm_bytes_t metadata;
} sm_join_group_req_protocol_t;

typedef struct sm_join_group_req {
	char *group_id;
	int32_t session_timeout_ms;
	int32_t rebalance_timeout_ms; /* v1+, default -1 */
	char *member_id;
	char *group_instance_id;      /* v5+, nullable, default null */
	char *protocol_type;
	sm_join_group_req_protocol_t *protocols;
	int32_t protocols_cnt;
} sm_join_group_req_t;

typedef struct sm_join_group_resp_member {
	char *member_id;
	char *group_instance_id; /* v5+, nullable, default null */
	sm_bytes_t metadata;
} sm_join_group_resp_member_t;

typedef struct sm_join_group_resp {
	int32_t throttle_time_ms; /* v2+ */
	int16_t error_code;
	int32_t generation_id;    /* default -1 */
	char *protocol_type;      /* v7+, nullable, default null */
	char *protocol_name;      /* nullable v7+ */
	char *leader;
	char *member_id;
	sm_join_group_resp_member_t *members;
	int32_t members_cnt;
} sm_join_group_resp_t;

/* Schema defaults (rebalance timeout -1; generation -1). */
void sm_join_group_req_init(sm_join_group_req_t *r);
void sm_join_group_resp_init(sm_join_group_resp_t *r);

int sm_join_group_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_join_group_req_t *out);
void sm_join_group_req_write(sm_wbuf_t *w, int16_t ver, const sm_join_group_req_t *in);
int sm_join_group_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			    sm_join_group_resp_t *out);
void sm_join_group_resp_write(sm_wbuf_t *w, int16_t ver, const sm_join_group_resp_t *in);

#endif /* SM_MSG_JOIN_GROUP_H */
