/*
 * kafka_config.h - the broker configuration (Kafka's KafkaConfig): one table
 * of (Kafka key, type, default, validator, doc, offset into the struct), as
 * nginx's command tables and Kafka's ConfigDef are built. Values come from a
 * server.properties file plus --override key=value pairs; a bad value or a
 * missing required key is refused with a message naming the key.
 *
 * Thread-safety: a loaded sm_kafka_config_t is immutable and may be read from
 * any thread.
 */
#ifndef SM_KAFKA_CONFIG_H
#define SM_KAFKA_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "properties.h"

typedef enum sm_cfg_type {
	SM_CFG_INT,
	SM_CFG_LONG,
	SM_CFG_BOOL,
	SM_CFG_STRING,
	SM_CFG_LIST,
	SM_CFG_DOUBLE,
} sm_cfg_type_t;

/* replica.selector.class values. */
typedef enum {
	SM_REPLICA_SELECTOR_NONE = 0,  /* null (the default): the leader serves every fetch */
	SM_REPLICA_SELECTOR_RACK_AWARE /* org.apache.kafka.common.replica.RackAwareReplicaSelector */
} sm_replica_selector_t;

#define SM_RACK_AWARE_REPLICA_SELECTOR "org.apache.kafka.common.replica.RackAwareReplicaSelector"

/* Parses replica.selector.class (NULL or empty: none). Returns -1 for a
 * class this broker does not have. */
int sm_replica_selector_parse(const char *cls, sm_replica_selector_t *out);

typedef struct sm_kafka_config {
	/* identity, ZooKeeper, listeners */
	int32_t broker_id;
	int broker_id_generation_enable;
	int32_t reserved_broker_max_id;
	char *broker_rack;
	char *replica_selector_class;   /* KIP-392 (replica_selector.h) */
	char *zookeeper_connect;
	int32_t zookeeper_session_timeout_ms;
	int32_t zookeeper_connection_timeout_ms;
	int zookeeper_set_acl;
	int zookeeper_ssl_client_enable; /* refused at start-up: no TLS in the ZK C client */
	char *listeners;
	char *advertised_listeners;
	char *listener_security_protocol_map;
	char *inter_broker_listener_name;
	char *security_inter_broker_protocol;
	char *inter_broker_protocol_version;
	char *log_message_format_version;
	/* network and requests */
	int32_t num_network_threads;
	int32_t num_io_threads;
	int32_t background_threads;
	int32_t queued_max_requests;
	int32_t socket_send_buffer_bytes;
	int32_t socket_receive_buffer_bytes;
	int32_t socket_request_max_bytes;
	int32_t socket_listen_backlog_size;
	int64_t connections_max_idle_ms;
	int32_t max_connections;
	int32_t max_connections_per_ip;
	char *max_connections_per_ip_overrides;
	int32_t quota_window_num;         /* client quotas (client_quota.h) */
	int32_t quota_window_size_seconds;
	int32_t controller_quota_window_num; /* controller_mutation_rate */
	int32_t controller_quota_window_size_seconds;
	char *metrics_listener;          /* Samsa: "" or http://host:port */
	/* authorization (authorizer.h) */
	char *authorizer_class_name; /* super.users and
	                              * allow.everyone.if.no.acl.found are the
	                              * authorizer's keys, in given */
	int32_t max_connection_creation_rate;
	int64_t queued_max_request_bytes;
	int32_t request_timeout_ms;
	int32_t message_max_bytes;
	int32_t fetch_max_bytes;
	/* log */
	char *log_dirs;
	char *log_dir;
	int32_t num_partitions;
	int32_t default_replication_factor;
	int auto_create_topics_enable;
	int delete_topic_enable;
	int32_t log_segment_bytes;
	int64_t log_roll_ms;
	int32_t log_roll_hours;
	int64_t log_roll_jitter_ms;
	int32_t log_roll_jitter_hours;
	int64_t log_retention_ms;
	int32_t log_retention_minutes;
	int32_t log_retention_hours;
	int64_t log_retention_bytes;
	int64_t log_retention_check_interval_ms;
	int64_t log_segment_delete_delay_ms;
	char *log_cleanup_policy;
	int32_t log_index_size_max_bytes;
	int32_t log_index_interval_bytes;
	int64_t log_flush_interval_messages;
	int64_t log_flush_interval_ms;
	int64_t log_flush_scheduler_interval_ms;
	int32_t log_flush_offset_checkpoint_interval_ms;
	int32_t log_flush_start_offset_checkpoint_interval_ms;
	int log_preallocate;
	int32_t num_recovery_threads_per_data_dir;
	char *log_message_timestamp_type;
	int64_t log_message_timestamp_difference_max_ms;
	int log_message_downconversion_enable;
	char *compression_type;
	int32_t min_insync_replicas;
	int unclean_leader_election_enable;
	/* log cleaner */
	int log_cleaner_enable;
	int32_t log_cleaner_threads;
	int64_t log_cleaner_dedupe_buffer_size;
	int64_t log_cleaner_backoff_ms;
	double log_cleaner_min_cleanable_ratio;
	double log_cleaner_io_max_bytes_per_second;
	int64_t replica_alter_log_dirs_io_max_bytes_per_second;
	int64_t log_cleaner_delete_retention_ms;
	int64_t log_cleaner_min_compaction_lag_ms;
	int64_t log_cleaner_max_compaction_lag_ms;
	/* replication and controller */
	int32_t num_replica_fetchers;
	int32_t replica_fetch_max_bytes;
	int32_t replica_fetch_response_max_bytes;
	int32_t replica_fetch_min_bytes;
	int32_t replica_fetch_wait_max_ms;
	int32_t replica_fetch_backoff_ms;
	/* replication throttles: the rates are dynamic per-broker configs */
	int64_t leader_replication_throttled_rate;
	int64_t follower_replication_throttled_rate;
	int32_t replication_quota_window_num;
	int32_t replication_quota_window_size_seconds;
	int32_t replica_socket_timeout_ms;
	int64_t replica_lag_time_max_ms;
	int64_t replica_high_watermark_checkpoint_interval_ms;
	int32_t controller_socket_timeout_ms;
	int auto_leader_rebalance_enable;
	int32_t leader_imbalance_per_broker_percentage;
	int64_t leader_imbalance_check_interval_seconds;
	int controlled_shutdown_enable;
	int32_t controlled_shutdown_max_retries;
	int64_t controlled_shutdown_retry_backoff_ms;
	/* group coordinator and transactions (read now, used by later work) */
	int32_t group_min_session_timeout_ms;
	int32_t group_max_session_timeout_ms;
	int32_t group_initial_rebalance_delay_ms;
	int32_t group_max_size;
	int32_t offsets_topic_num_partitions;
	int32_t offsets_topic_replication_factor;
	int32_t offsets_topic_segment_bytes;
	int32_t offsets_retention_minutes;
	int32_t transactional_id_expiration_ms;
	int32_t offsets_commit_timeout_ms;
	int32_t offsets_commit_required_acks;
	int32_t transaction_state_log_num_partitions;
	int32_t transaction_state_log_replication_factor;
	int32_t transaction_state_log_min_isr;
	int32_t transaction_state_log_segment_bytes;
	int32_t transaction_max_timeout_ms;
	int32_t transaction_abort_timed_out_transaction_cleanup_interval_ms;
	int32_t transaction_remove_expired_transaction_cleanup_interval_ms;

	/* Derived at load time. */
	char **log_dir_list;   /* log.dirs (or log.dir) split on ',' */
	int log_dir_cnt;
	int64_t eff_retention_ms;  /* log.retention.ms > .minutes > .hours */
	int64_t eff_roll_ms;       /* log.roll.ms > log.roll.hours */
	int64_t eff_roll_jitter_ms;
	int timestamp_log_append;  /* log.message.timestamp.type == LogAppendTime */
	int replica_selector;      /* sm_replica_selector_t of replica.selector.class */

	/* Every key/value as given (file, then overrides), for DescribeConfigs. */
	sm_props_t given;
} sm_kafka_config_t;

/* Loads path (may be NULL: defaults only) then applies overrides
 * ("key=value" strings). Returns 0, or -1 with err naming the key/problem.
 * Unknown keys are kept in cfg->given and reported by sm_kafka_config_warn_unknown. */
int sm_kafka_config_load(sm_kafka_config_t *cfg, const char *path, char *const *overrides,
			 int n_overrides, char *err, size_t errlen);
/* Same, from an already parsed property set. */
int sm_kafka_config_from_props(sm_kafka_config_t *cfg, const sm_props_t *props, char *err,
			       size_t errlen);
void sm_kafka_config_free(sm_kafka_config_t *cfg);
/* 1 for a listener-prefixed key Samsa reads (listener.name.<l>.max.connections,
 * listener.name.<l>.max.connection.creation.rate). */
int sm_kafka_config_is_listener_key(const char *key);
/* 1 when a message.format.version / log.message.format.version value
 * names a format before 0.11.0 (magic 0 or 1): Samsa stores record batch v2
 * only and refuses those values. */
int sm_kafka_message_format_before_v2(const char *version);
/* Logs a WARN for every supplied key Samsa does not know (as Kafka does). */
void sm_kafka_config_warn_unknown(const sm_kafka_config_t *cfg);
/* Logs every config value at INFO ("KafkaConfig values:" block). */
void sm_kafka_config_log(const sm_kafka_config_t *cfg);

/* Table access (DescribeConfigs, tools). */
typedef struct sm_cfg_def {
	const char *name;
	sm_cfg_type_t type;
	const char *dflt;   /* NULL = no default (null) */
	int required;
	int64_t min, max;   /* numeric range (inclusive) */
	const char *const *choices; /* NULL-terminated allowed strings, or NULL */
	size_t offset;
	const char *doc;
} sm_cfg_def_t;

const sm_cfg_def_t *sm_kafka_config_defs(int *cnt);
const sm_cfg_def_t *sm_kafka_config_def(const char *name);
/* Current value of a key rendered as Kafka prints it (NULL for null). The
 * returned string is malloc'd. */
char *sm_kafka_config_value_string(const sm_kafka_config_t *cfg, const sm_cfg_def_t *def);

#endif /* SM_KAFKA_CONFIG_H */
