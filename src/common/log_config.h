/*
 * log_config.h - the topic-level config definitions (Kafka's LogConfig
 * ConfigDef plus TopicConfigSynonyms): every topic config Kafka 2.8 knows,
 * with its type, validator, broker-level synonyms, documentation and where
 * its value goes in a topic's effective config (sm_topic_config_t).
 * DescribeConfigs, AlterConfigs, IncrementalAlterConfigs and kafka-configs
 * validate and describe topic overrides through this one table, and the
 * replica manager and the controller build a topic's effective config
 * through it (sm_topic_config_build): broker defaults, the static config
 * overlaid with the dynamic cluster-wide and per-broker ones, overlaid with
 * the topic's overrides, as Kafka's LogConfig.fromProps does.
 *
 * Validation follows LogConfig.validate: an unknown name is
 * SM_ERR_INVALID_CONFIG ("Unknown topic config name: k"); a value that does
 * not parse or fails its validator is SM_ERR__CONFIG with ConfigException's
 * text ("Invalid value v for configuration k: ..."), which the Alter APIs
 * answer as INVALID_REQUEST, as Kafka does. A message.format.version before
 * 0.11.0 is valid in Kafka but refused by Samsa, which stores record batch
 * v2 only: SM_ERR_INVALID_CONFIG with the same "Invalid value" text.
 *
 * The table lives in common because the controller (unclean leader
 * election) reads it as well as the log and cluster layers.
 *
 * Thread-safety: the table is immutable; all functions are reentrant.
 */
#ifndef SM_LOG_CONFIG_H
#define SM_LOG_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "kafka_config.h"

#define SM_LOG_TIMESTAMP_CREATE_TIME 0
#define SM_LOG_TIMESTAMP_LOG_APPEND_TIME 1

/* Per-log settings (topic-level names in comments); the log layer's view
 * of a topic's config. */
typedef struct sm_log_config {
	int64_t segment_bytes;        /* segment.bytes */
	int64_t segment_ms;           /* segment.ms */
	int64_t segment_jitter_ms;    /* segment.jitter.ms */
	int32_t segment_index_bytes;  /* segment.index.bytes */
	int32_t index_interval_bytes; /* index.interval.bytes */
	int64_t flush_messages;       /* flush.messages */
	int64_t flush_ms;             /* flush.ms */
	int64_t retention_bytes;      /* retention.bytes, -1 unlimited */
	int64_t retention_ms;         /* retention.ms, -1 unlimited */
	int64_t file_delete_delay_ms; /* file.delete.delay.ms */
	int32_t max_message_bytes;    /* max.message.bytes */
	int message_timestamp_type;   /* message.timestamp.type: SM_LOG_TIMESTAMP_* */
	/* cleanup.policy and the log cleaner's per-topic settings */
	int cleanup_compact;          /* cleanup.policy has "compact" */
	int cleanup_delete;           /* cleanup.policy has "delete" */
	int64_t delete_retention_ms;  /* delete.retention.ms */
	int64_t min_compaction_lag_ms;/* min.compaction.lag.ms */
	double min_cleanable_ratio;   /* min.cleanable.dirty.ratio */
	/* max.compaction.lag.ms: a compacted log whose dirty section holds a
	 * batch older than this is cleaned whatever its dirty ratio, and its
	 * active segment is rolled after this long (Kafka's maxSegmentMs) */
	int64_t max_compaction_lag_ms;
	int preallocate;              /* preallocate: new segment files get
				       * segment.bytes up front, trimmed on roll */
	/* message.format.version; only 0.11.0 and later (record batch v2) are
	 * accepted, so the value needs no conversion */
	char message_format_version[16];
} sm_log_config_t;

/* Effective per-topic settings: broker defaults overlaid with
 * /config/topics/<t> overrides (Kafka's LogConfig). */
typedef struct sm_topic_config {
	sm_log_config_t log;
	int32_t max_message_bytes;
	int32_t min_insync_replicas;
	int compression_type;           /* -1 producer, else sm_codec_t */
	int compact;                    /* cleanup.policy contains compact */
	int64_t timestamp_difference_max_ms;
	int downconversion_enable;
	int unclean_leader_election_enable;
} sm_topic_config_t;

/* How a row's value lands in sm_topic_config_t. A row left at
 * SM_LC_APPLY_UNSET has no effect on a topic (and fails the table's unit
 * test): each row says where its value goes. */
typedef enum sm_lc_apply_kind {
	SM_LC_APPLY_UNSET = 0,
	SM_LC_APPLY_I32,    /* int32_t field at offset */
	SM_LC_APPLY_I64,    /* int64_t field at offset */
	SM_LC_APPLY_BOOL,   /* int field at offset: 1 for "true" */
	SM_LC_APPLY_DOUBLE, /* double field at offset */
	SM_LC_APPLY_FN,     /* apply() */
	SM_LC_APPLY_REPLICA, /* per replica, not per topic: the replica manager reads
			      * the override and flags each hosted partition (the
			      * replication throttles' partition:broker lists) */
} sm_lc_apply_kind_t;

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
	/* Where the value goes: a field of sm_topic_config_t, or apply(),
	 * which gets the value as rendered by sm_log_config_validate (or by
	 * sm_log_config_broker_value for the default). */
	sm_lc_apply_kind_t apply_kind;
	size_t offset;
	void (*apply)(sm_topic_config_t *tc, const char *value);
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

/* A topic's effective config, through the table: every row's value is the
 * topic's override (the last of keys[0..n) naming it) when it validates,
 * else the broker's (sm_log_config_broker_value of cfg, the effective
 * broker config: static overlaid with the dynamic ones). An override that
 * does not validate is logged and ignored; keys that are not topic configs
 * are ignored. Fields no row applies keep what tc held, so the caller
 * starts tc from sm_log_config_defaults (log.h) or zeros. topic names the
 * topic in log lines (may be NULL). */
void sm_topic_config_build(sm_topic_config_t *tc, const sm_kafka_config_t *cfg, const char *topic,
			   char *const *keys, char *const *values, int n);

/* unclean.leader.election.enable in effect for a topic with overrides
 * keys/values[0..n): the topic's override, else the dynamic cluster-wide
 * default, else the static config (cfg is the effective broker config;
 * NULL stands for Kafka's default, false). The same resolution
 * sm_topic_config_build does for the row. */
int sm_topic_config_unclean_election(const sm_kafka_config_t *cfg, const char *topic,
				     char *const *keys, char *const *values, int n);

/* Kafka's rendering of a double (Double.toString for ordinary magnitudes):
 * "0.5", "1.0". Writes into buf. */
void sm_log_config_format_double(double v, char *buf, size_t len);

#endif /* SM_LOG_CONFIG_H */
