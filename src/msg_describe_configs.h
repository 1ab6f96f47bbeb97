/*
 * msg_describe_configs.h - DescribeConfigs (key 32) request and response
 * bodies, versions 0-4 (Kafka's DescribeConfigsRequestData /
 * DescribeConfigsResponseData); flexible from 4. v1 adds include_synonyms,
 * the config source and synonyms (replacing v0's is_default); v3 adds
 * include_documentation, the config type and documentation.
 *
 * Also the resource type, config source and config type numbers of Kafka's
 * ConfigResource.Type, DescribeConfigsResponse.ConfigSource and
 * DescribeConfigsResponse.ConfigType, which the Alter APIs share.
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_DESCRIBE_CONFIGS_H
#define SM_MSG_DESCRIBE_CONFIGS_H

#include <stdint.h>

#include "buf.h"

/* ConfigResource.Type */
#define SM_CONFIG_RESOURCE_UNKNOWN 0
#define SM_CONFIG_RESOURCE_TOPIC 2
#define SM_CONFIG_RESOURCE_BROKER 4
#define SM_CONFIG_RESOURCE_BROKER_LOGGER 8

/* ConfigSource */
#define SM_CONFIG_SOURCE_UNKNOWN 0
#define SM_CONFIG_SOURCE_DYNAMIC_TOPIC 1
#define SM_CONFIG_SOURCE_DYNAMIC_BROKER 2
#define SM_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER 3
#define SM_CONFIG_SOURCE_STATIC_BROKER 4
#define SM_CONFIG_SOURCE_DEFAULT 5
#define SM_CONFIG_SOURCE_DYNAMIC_BROKER_LOGGER 6

/* ConfigType */
#define SM_CONFIG_TYPE_UNKNOWN 0
#define SM_CONFIG_TYPE_BOOLEAN 1
#define SM_CONFIG_TYPE_STRING 2
#define SM_CONFIG_TYPE_INT 3
#define SM_CONFIG_TYPE_SHORT 4
#define SM_CONFIG_TYPE_LONG 5
#define SM_CONFIG_TYPE_DOUBLE 6
#define SM_CONFIG_TYPE_LIST 7
#define SM_CONFIG_TYPE_CLASS 8
#define SM_CONFIG_TYPE_PASSWORD 9

typedef struct sm_describe_configs_req_resource {
	int8_t resource_type;
	char *resource_name;
	char **configuration_keys;      /* nullable */
	int32_t configuration_keys_cnt; /* -1 = null = every key */
} sm_describe_configs_req_resource_t;

typedef struct sm_describe_configs_req {
	sm_describe_configs_req_resource_t *resources;
	int32_t resources_cnt;
	int include_synonyms;      /* v1+ */
	int include_documentation; /* v3+ */
} sm_describe_configs_req_t;

typedef struct sm_describe_configs_synonym {
	char *name;
	char *value; /* nullable */
	int8_t source;
} sm_describe_configs_synonym_t;

typedef struct sm_describe_configs_entry {
	char *name;
	char *value; /* nullable */
	int read_only;
	int is_default;       /* v0 only */
	int8_t config_source; /* v1+, -1 when read at v0 */
	int is_sensitive;
	sm_describe_configs_synonym_t *synonyms; /* v1+ */
	int32_t synonyms_cnt;
	int8_t config_type;   /* v3+, 0 when absent */
	char *documentation;  /* v3+, nullable */
} sm_describe_configs_entry_t;

typedef struct sm_describe_configs_result {
	int16_t error_code;
	char *error_message; /* nullable */
	int8_t resource_type;
	char *resource_name;
	sm_describe_configs_entry_t *configs;
	int32_t configs_cnt;
} sm_describe_configs_result_t;

typedef struct sm_describe_configs_resp {
	int32_t throttle_time_ms;
	sm_describe_configs_result_t *results;
	int32_t results_cnt;
} sm_describe_configs_resp_t;

int sm_describe_configs_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				 sm_describe_configs_req_t *out);
void sm_describe_configs_req_write(sm_wbuf_t *w, int16_t ver,
				   const sm_describe_configs_req_t *in);
int sm_describe_configs_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				  sm_describe_configs_resp_t *out);
void sm_describe_configs_resp_write(sm_wbuf_t *w, int16_t ver,
				    const sm_describe_configs_resp_t *in);

#endif /* SM_MSG_DESCRIBE_CONFIGS_H */
