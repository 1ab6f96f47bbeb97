/*
 * msg_incremental_alter_configs.h - IncrementalAlterConfigs (key 44) request
 * and response bodies, versions 0-1 (Kafka's
 * IncrementalAlterConfigsRequestData / IncrementalAlterConfigsResponseData,
 * KIP-339); flexible from 1. Each config carries its own operation
 * (AlterConfigOp.OpType). The response has AlterConfigs' shape and reuses its
 * structures.
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_INCREMENTAL_ALTER_CONFIGS_H
#define SM_MSG_INCREMENTAL_ALTER_CONFIGS_H

#include <stdint.h>

#include "buf.h"
#include "msg_alter_configs.h"

/* AlterConfigOp.OpType */
#define SM_CONFIG_OP_SET 0
#define SM_CONFIG_OP_DELETE 1
#define SM_CONFIG_OP_APPEND 2
#define SM_CONFIG_OP_SUBTRACT 3

typedef struct sm_incr_alter_configs_req_config {
	char *name;
	int8_t config_operation; /* SM_CONFIG_OP_* */
	char *value;             /* nullable */
} sm_incr_alter_configs_req_config_t;

typedef struct sm_incr_alter_configs_req_resource {
	int8_t resource_type;
	char *resource_name;
	sm_incr_alter_configs_req_config_t *configs;
	int32_t configs_cnt;
} sm_incr_alter_configs_req_resource_t;

typedef struct sm_incr_alter_configs_req {
	sm_incr_alter_configs_req_resource_t *resources;
	int32_t resources_cnt;
	int validate_only;
} sm_incr_alter_configs_req_t;

typedef sm_alter_configs_resp_t sm_incr_alter_configs_resp_t;

int sm_incr_alter_configs_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				   sm_incr_alter_configs_req_t *out);
void sm_incr_alter_configs_req_write(sm_wbuf_t *w, int16_t ver,
				     const sm_incr_alter_configs_req_t *in);
int sm_incr_alter_configs_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				    sm_incr_alter_configs_resp_t *out);
void sm_incr_alter_configs_resp_write(sm_wbuf_t *w, int16_t ver,
				      const sm_incr_alter_configs_resp_t *in);

#endif /* SM_MSG_INCREMENTAL_ALTER_CONFIGS_H */
