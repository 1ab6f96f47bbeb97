/*
 * msg_alter_configs.h - AlterConfigs (key 33) request and response bodies,
 * versions 0-2 (Kafka's AlterConfigsRequestData / AlterConfigsResponseData);
 * flexible from 2. The request replaces a resource's whole set of dynamic
 * overrides. The response shape is shared with IncrementalAlterConfigs
 * (msg_incremental_alter_configs.h), hence the *_flex helpers, which take
 * the flexible flag instead of a version.
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_ALTER_CONFIGS_H
#define SM_MSG_ALTER_CONFIGS_H

#include <stdint.h>

#include "buf.h"

typedef struct sm_alter_configs_req_config {
	char *name;
	char *value; /* nullable (Kafka refuses null values) */
} sm_alter_configs_req_config_t;

typedef struct sm_alter_configs_req_resource {
	int8_t resource_type;
	char *resource_name;
	sm_alter_configs_req_config_t *configs;
	int32_t configs_cnt;
} sm_alter_configs_req_resource_t;

typedef struct sm_alter_configs_req {
	sm_alter_configs_req_resource_t *resources;
	int32_t resources_cnt;
	int validate_only;
} sm_alter_configs_req_t;

typedef struct sm_alter_configs_resource_resp {
	int16_t error_code;
	char *error_message; /* nullable */
	int8_t resource_type;
	char *resource_name;
} sm_alter_configs_resource_resp_t;

typedef struct sm_alter_configs_resp {
	int32_t throttle_time_ms;
	sm_alter_configs_resource_resp_t *responses;
	int32_t responses_cnt;
} sm_alter_configs_resp_t;

int sm_alter_configs_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_alter_configs_req_t *out);
void sm_alter_configs_req_write(sm_wbuf_t *w, int16_t ver, const sm_alter_configs_req_t *in);
int sm_alter_configs_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			       sm_alter_configs_resp_t *out);
void sm_alter_configs_resp_write(sm_wbuf_t *w, int16_t ver, const sm_alter_configs_resp_t *in);

/* The response body in its non-flexible (flex 0) or flexible form. */
int sm_alter_configs_resp_read_flex(sm_rbuf_t *rb, int flex, sm_arena_t *a,
				    sm_alter_configs_resp_t *out);
void sm_alter_configs_resp_write_flex(sm_wbuf_t *w, int flex, const sm_alter_configs_resp_t *in);

#endif /* SM_MSG_ALTER_CONFIGS_H */
