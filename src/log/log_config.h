/*
 * log_config.h - the topic-level config definitions (Kafka's LogConfig
 * ConfigDef plus TopicConfigSynonyms): every topic config Kafka 2.8 knows,
 * with its type, validator, broker-level synonyms and documentation.
 * DescribeConfigs, AlterConfigs, IncrementalAlterConfigs and kafka-configs
 * validate and describe topic overrides through this one table.
 *
 * Validation follows LogConfig.validate: an unknown name is
 * SM_ERR_INVALID_CONFIG ("Unknown topic config name: k"); a value that does
 * not parse or fails its validator is SM_ERR__CONFIG with ConfigException's
 * text ("Invalid value v for configuration k: ..."), which the Alter APIs
 * answer as INVALID_REQUEST, as Kafka does. A message.format.version before
 * 0.11.0 is valid in Kafka but refused by Samsa, which stores record batch
 * v2 only: SM_ERR_INVALID_CONFIG with the same "Invalid value" text.
 *
 * Thread-safety: the table is immutable; all functions are reentrant.
 */
#ifndef SM_LOG_CONFIG_H
#define SM_LOG_CONFIG_H

#include <stddef.h>

#include "err.h"
#include "kafka_config.h"

typedef struct sm_log_config_def {
	const char *name;
	sm_cfg_type_t type;
	int has_min, has_max;
	double min, max;
	const char *const *choices; /* allowed strings (each element of a list) */
	/* Broker configs that supply the value when the topic has no override,
	 * most specific first (Kafka's brokerConfigSynonyms of the topic
	 * config's synonym); NULL-terminated, empty for none. */
	const char *synonyms[4];
	const char *dflt; /* LogConfig's default, for a synonym Samsa lacks */
	const char *doc;
} sm_log_config_def_t;

/* The table, sorted by name. */
const sm_log_config_def_t *sm_log_config_defs(int *cnt);
/* NULL for a name that is not a topic config. */
const sm_log_config_def_t *sm_log_config_def(const char *name);

/* Validates one override (value NULL is refused). On success returns
 * SM_ERR_NONE and, if canon is not NULL, a malloc'd canonical rendering
 * (Kafka's ConfigDef.convertToString of the parsed value) in *canon. */
sm_err_t sm_log_config_validate(const char *name, const char *value, char **canon, char *err,
				size_t errlen);

/* LogConfig.validate over one topic's overrides (CreateTopics): every name
 * first (SM_ERR_INVALID_CONFIG, "Unknown topic config name: k"), then every
 * value (SM_ERR__CONFIG with ConfigException's text), then
 * LogConfig.validateValues (SM_ERR_INVALID_CONFIG when min.compaction.lag.ms
 * exceeds max.compaction.lag.ms). As with a Properties, a repeated name
 * counts with its last value only. Values must not be NULL. */
sm_err_t sm_log_config_validate_all(char *const *names, char *const *values, int n, char *err,
				    size_t errlen);

/* The value a topic without an override gets from the broker config
 * (malloc'd, as Kafka renders it). */
char *sm_log_config_broker_value(const sm_kafka_config_t *cfg, const sm_log_config_def_t *d);

/* Kafka's rendering of a double (Double.toString for ordinary magnitudes):
 * "0.5", "1.0". Writes into buf. */
void sm_log_config_format_double(double v, char *buf, size_t len);

#endif /* SM_LOG_CONFIG_H */
