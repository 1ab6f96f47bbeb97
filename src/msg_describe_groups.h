/*
 * msg_describe_groups.h - DescribeGroups (key 15) request and response
 * bodies, versions 0-5 (Kafka's DescribeGroupsRequestData /
 * DescribeGroupsResponseData); flexible from 5.
 *
 * Quirks:
 *  - include_authorized_operations (request) and authorized_operations
 *    (response, default INT32_MIN = "not requested", KIP-430) exist from v3.
 *  - Each member's group_instance_id exists from v4.
 *  - Member metadata and assignment are opaque bytes (never null).
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_DESCRIBE_GROUPS_H
#define SM_MSG_DESCRIBE_GROUPS_H

#include <stdint.h>

#include "buf.h"

#define SM_DESCRIBE_GROUPS_AUTHZ_OPS_NONE INT32_MIN

typedef struct sm_describe_groups_req {
	char **groups;
	int32_t groups_cnt;
	int include_authorized_operations; /* v3+ */
} sm_describe_groups_req_t;

typedef struct sm_describe_groups_resp_member {
	char *member_id;
	char *group_instance_id; /* v4+, nullable, default null */
	char *client_id;
	char *client_host;
	sm_bytes_t member_metadata;
	sm_bytes_t member_assignment;
} sm_describe_groups_resp_member_t;

typedef struct sm_describe_groups_resp_group {
	int16_t error_code;
	char *group_id;
	char *group_state;
	char *protocol_type;
	char *protocol_data;
	sm_describe_groups_resp_member_t *members;
	int32_t members_cnt;
	int32_t authorized_operations; /* v3+, default INT32_MIN */
} sm_describe_groups_resp_group_t;

typedef struct sm_describe_groups_resp {
	int32_t throttle_time_ms; /* v1+ */
	sm_describe_groups_resp_group_t *groups;
	int32_t groups_cnt;
} sm_describe_groups_resp_t;

void sm_describe_groups_req_init(sm_describe_groups_req_t *r);
void sm_describe_groups_resp_init(sm_describe_groups_resp_t *r);
/* authorized_operations INT32_MIN, everything else zero/NULL. */
void sm_describe_groups_resp_group_init(sm_describe_groups_resp_group_t *g);

int sm_describe_groups_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				sm_describe_groups_req_t *out);
void sm_describe_groups_req_write(sm_wbuf_t *w, int16_t ver, const sm_describe_groups_req_t *in);
int sm_describe_groups_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				 sm_describe_groups_resp_t *out);
void sm_describe_groups_resp_write(sm_wbuf_t *w, int16_t ver,
				   const sm_describe_groups_resp_t *in);

#endif /* SM_MSG_DESCRIBE_GROUPS_H */
