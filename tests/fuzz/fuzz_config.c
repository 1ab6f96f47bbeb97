/*
 * fuzz_config.c - libFuzzer harness for the properties parser
 * (properties.c) and broker config validation (kafka_config.c): the text of
 * a server.properties file goes through the same two steps as at startup.
 * Also each parsed key/value pair through the topic-config validator
 * (log_config.c), the path of CreateTopics / AlterConfigs overrides.
 *
 * Input: the properties text.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kafka_config.h"
#include "log_config.h"
#include "logger.h"
#include "properties.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	char err[512];
	sm_props_t props;
	if (!quiet) {
		/* Validation warns about odd values; thousands of lines a
		 * second would drown the fuzzer's own output. */
		sm_logger_set_level(SM_LOG_FATAL);
		quiet = 1;
	}
	sm_props_init(&props);
	if (sm_props_parse(&props, (const char *)data, size, err, sizeof(err)) == 0) {
		sm_kafka_config_t cfg;
		if (sm_kafka_config_from_props(&cfg, &props, err, sizeof(err)) == 0) {
			int n;
			const sm_cfg_def_t *defs = sm_kafka_config_defs(&n);
			for (int i = 0; i < n; i++)
				free(sm_kafka_config_value_string(&cfg, &defs[i]));
		}
		sm_kafka_config_free(&cfg);
		for (int i = 0; i < props.cnt; i++) {
			char *canon = NULL;
			if (sm_log_config_validate(props.v[i].key, props.v[i].value, &canon, err,
						   sizeof(err)) == SM_ERR_NONE)
				free(canon);
		}
	}
	sm_props_free(&props);
	return 0;
}
