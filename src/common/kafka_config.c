/*
 * kafka_config.c - the broker config table and its loader (Kafka's
 * KafkaConfig / ConfigDef). Defaults are Kafka 2.8's.
 */
#include "kafka_config.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "logger.h"

#define SM_CFG_LOGGER "kafka.server.KafkaConfig"
#define OFF(f) offsetof(sm_kafka_config_t, f)
#define LMAX INT64_MAX
#define IMAX INT32_MAX

static const char *const sm_cfg_ts_types[] = { "CreateTime", "LogAppendTime", NULL };
static const char *const sm_cfg_codecs[] = { "producer", "uncompressed", "gzip", "snappy",
					      "lz4", "zstd", NULL };
static const char *const sm_cfg_policies[] = { "compact", "delete", NULL };
static const char *const sm_cfg_protocols[] = { "PLAINTEXT", "SSL", "SASL_PLAINTEXT",
						 "SASL_SSL", NULL };

/* Kafka's ValidList: every comma-separated element one of the choices. */
static int sm_cfg_check_list(const sm_cfg_def_t *d, const char *v, char *err, size_t errlen)
{
	const char *p = v;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		while (n && (*p == ' ' || *p == '\t'))
			p++, n--;
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		int ok = n == 0 && !end && p == v; /* an empty list is allowed */
		for (const char *const *c = d->choices; !ok && *c; c++)
			ok = strlen(*c) == n && !strncmp(*c, p, n);
		if (!ok) {
			char allowed[128] = "";
			size_t len = 0;
			for (const char *const *c = d->choices; *c && len < sizeof(allowed); c++)
				len += (size_t)snprintf(allowed + len, sizeof(allowed) - len, "%s%s",
							c == d->choices ? "" : ", ", *c);
			snprintf(err, errlen, "Invalid value %s for configuration %s: String must be one of: %s",
				 v, d->name, allowed);
			return -1;
		}
		if (!end)
			return 0;
		p = end + 1;
	}
}

#define INT(n, f, d, lo, hi, doc) { n, SM_CFG_INT, d, 0, lo, hi, NULL, OFF(f), doc }
#define LONG(n, f, d, lo, hi, doc) { n, SM_CFG_LONG, d, 0, lo, hi, NULL, OFF(f), doc }
#define BOOL(n, f, d, doc) { n, SM_CFG_BOOL, d, 0, 0, 1, NULL, OFF(f), doc }
#define STR(n, f, d, doc) { n, SM_CFG_STRING, d, 0, 0, 0, NULL, OFF(f), doc }
#define ENUM(n, f, d, ch, doc) { n, SM_CFG_STRING, d, 0, 0, 0, ch, OFF(f), doc }
#define LIST(n, f, d, doc) { n, SM_CFG_LIST, d, 0, 0, 0, NULL, OFF(f), doc }
#define DBL(n, f, d, doc) { n, SM_CFG_DOUBLE, d, 0, 0, 0, NULL, OFF(f), doc }

static const sm_cfg_def_t sm_cfg_defs[] = {
	INT("broker.id", broker_id, "-1", -1, IMAX, "The broker id; -1 takes it from meta.properties or generates one"),
	BOOL("broker.id.generation.enable", broker_id_generation_enable, "true", "Allow automatic broker id generation"),
	INT("reserved.broker.max.id", reserved_broker_max_id, "1000", 0, IMAX, "Generated broker ids start above this"),
	STR("broker.rack", broker_rack, NULL, "Rack of the broker"),
	STR("replica.selector.class", replica_selector_class, NULL, "Preferred read replica selector (null: the leader serves all fetches)"),
	{ "zookeeper.connect", SM_CFG_STRING, NULL, 1, 0, 0, NULL, OFF(zookeeper_connect), "ZooKeeper connect string host:port[,host:port...][/chroot]" },
	INT("zookeeper.session.timeout.ms", zookeeper_session_timeout_ms, "18000", 1, IMAX, "ZooKeeper session timeout"),
	INT("zookeeper.connection.timeout.ms", zookeeper_connection_timeout_ms, NULL, 1, IMAX, "Max wait for the ZooKeeper connection (default: the session timeout)"),
	BOOL("zookeeper.set.acl", zookeeper_set_acl, "false", "Create znodes with secure ACLs"),
	BOOL("zookeeper.ssl.client.enable", zookeeper_ssl_client_enable, "false", "TLS to ZooKeeper (true is refused: the ZooKeeper C client has no TLS)"),
	STR("listeners", listeners, "PLAINTEXT://:9092", "Listeners NAME://host:port, comma separated"),
	STR("advertised.listeners", advertised_listeners, NULL, "Listeners published in ZooKeeper (default: listeners)"),
	STR("listener.security.protocol.map", listener_security_protocol_map, "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL", "Listener name to security protocol"),
	STR("inter.broker.listener.name", inter_broker_listener_name, NULL, "Listener used between brokers"),
	ENUM("security.inter.broker.protocol", security_inter_broker_protocol, "PLAINTEXT", sm_cfg_protocols, "Security protocol between brokers"),
	STR("inter.broker.protocol.version", inter_broker_protocol_version, "2.8-IV1", "Inter-broker protocol version"),
	STR("log.message.format.version", log_message_format_version, "2.8-IV1", "Message format version for new data"),
	INT("num.network.threads", num_network_threads, "3", 1, IMAX, "Socket processor threads"),
	INT("num.io.threads", num_io_threads, "8", 1, IMAX, "Request handler threads"),
	INT("background.threads", background_threads, "10", 1, IMAX, "Background task threads"),
	INT("queued.max.requests", queued_max_requests, "500", 1, IMAX, "Request queue size before network threads stop reading"),
	INT("socket.send.buffer.bytes", socket_send_buffer_bytes, "102400", -1, IMAX, "SO_SNDBUF (-1: OS default)"),
	INT("socket.receive.buffer.bytes", socket_receive_buffer_bytes, "102400", -1, IMAX, "SO_RCVBUF (-1: OS default)"),
	INT("socket.request.max.bytes", socket_request_max_bytes, "104857600", 1, IMAX, "Largest request accepted"),
	INT("socket.listen.backlog.size", socket_listen_backlog_size, "50", 1, IMAX, "Accept backlog"),
	LONG("connections.max.idle.ms", connections_max_idle_ms, "600000", -1, LMAX, "Idle connections are closed after this"),
	INT("max.connections", max_connections, "2147483647", 0, IMAX, "Broker-wide connection limit; the acceptor waits for a free slot (listener.name.X.max.connections per listener)"),
	INT("max.connections.per.ip", max_connections_per_ip, "2147483647", 0, IMAX, "Connections allowed from one address; more are closed at once"),
	STR("max.connections.per.ip.overrides", max_connections_per_ip_overrides, "", "Per-address limits host:count,host:count"),
	INT("quota.window.num", quota_window_num, "11", 1, 10000, "Samples a client quota rate is measured over (at most 10000: each measured client holds them)"),
	INT("quota.window.size.seconds", quota_window_size_seconds, "1", 1, 86400, "Length of one client quota sample (at most a day)"),
	INT("controller.quota.window.num", controller_quota_window_num, "11", 1, IMAX, "controller_mutation_rate: the bucket holds the rate times window.num - 1 windows"),
	INT("controller.quota.window.size.seconds", controller_quota_window_size_seconds, "1", 1, IMAX, "controller_mutation_rate: length of one window"),
	/* Samsa only (docs/metrics.md): empty serves no metrics endpoint. */
	STR("metrics.listener", metrics_listener, "", "Prometheus endpoint http://host:port serving GET /metrics; empty disables it"),
	STR("authorizer.class.name", authorizer_class_name, "", "kafka.security.authorizer.AclAuthorizer turns ACL authorization on"),
	INT("max.connection.creation.rate", max_connection_creation_rate, "2147483647", 0, IMAX, "New connections per second, broker-wide (listener.name.X.max.connection.creation.rate per listener)"),
	LONG("queued.max.request.bytes", queued_max_request_bytes, "536870912", -1, LMAX, "Bytes of requests read but not yet answered before processors stop reading (-1: unbounded)"),
	INT("request.timeout.ms", request_timeout_ms, "30000", 0, IMAX, "Timeout of the broker's own requests"),
	INT("message.max.bytes", message_max_bytes, "1048588", 0, IMAX, "Largest record batch accepted"),
	INT("fetch.max.bytes", fetch_max_bytes, "57671680", 1024, IMAX, "Largest fetch response for consumers"),
	STR("log.dirs", log_dirs, NULL, "Data directories, comma separated (default: log.dir)"),
	STR("log.dir", log_dir, "/tmp/kafka-logs", "Data directory used when log.dirs is unset"),
	INT("num.partitions", num_partitions, "1", 1, IMAX, "Partitions of auto-created topics"),
	INT("default.replication.factor", default_replication_factor, "1", 1, IMAX, "Replication factor of auto-created topics"),
	BOOL("auto.create.topics.enable", auto_create_topics_enable, "true", "Create unknown topics on Metadata requests"),
	BOOL("delete.topic.enable", delete_topic_enable, "true", "Allow topic deletion"),
	INT("log.segment.bytes", log_segment_bytes, "1073741824", 14, IMAX, "Segment size"),
	LONG("log.roll.ms", log_roll_ms, NULL, 1, LMAX, "Max segment age in ms (overrides log.roll.hours)"),
	INT("log.roll.hours", log_roll_hours, "168", 1, IMAX, "Max segment age in hours"),
	LONG("log.roll.jitter.ms", log_roll_jitter_ms, NULL, 0, LMAX, "Roll jitter in ms"),
	INT("log.roll.jitter.hours", log_roll_jitter_hours, "0", 0, IMAX, "Roll jitter in hours"),
	LONG("log.retention.ms", log_retention_ms, NULL, -1, LMAX, "Retention time in ms (-1: unlimited)"),
	INT("log.retention.minutes", log_retention_minutes, NULL, -1, IMAX, "Retention time in minutes"),
	INT("log.retention.hours", log_retention_hours, "168", -1, IMAX, "Retention time in hours"),
	LONG("log.retention.bytes", log_retention_bytes, "-1", -1, LMAX, "Retention size per partition"),
	LONG("log.retention.check.interval.ms", log_retention_check_interval_ms, "300000", 1, LMAX, "How often retention runs"),
	LONG("log.segment.delete.delay.ms", log_segment_delete_delay_ms, "60000", 0, LMAX, "Delay before deleted files are removed"),
	{ "log.cleanup.policy", SM_CFG_LIST, "delete", 0, 0, 0, sm_cfg_policies, OFF(log_cleanup_policy), "delete, compact, or both" },
	INT("log.index.size.max.bytes", log_index_size_max_bytes, "10485760", 4, IMAX, "Index preallocation size"),
	INT("log.index.interval.bytes", log_index_interval_bytes, "4096", 0, IMAX, "Bytes between index entries"),
	LONG("log.flush.interval.messages", log_flush_interval_messages, "9223372036854775807", 1, LMAX, "fsync after this many messages"),
	LONG("log.flush.interval.ms", log_flush_interval_ms, NULL, 0, LMAX, "fsync interval"),
	LONG("log.flush.scheduler.interval.ms", log_flush_scheduler_interval_ms, "9223372036854775807", 0, LMAX, "How often the flusher checks"),
	INT("log.flush.offset.checkpoint.interval.ms", log_flush_offset_checkpoint_interval_ms, "60000", 0, IMAX, "Recovery-point checkpoint interval"),
	INT("log.flush.start.offset.checkpoint.interval.ms", log_flush_start_offset_checkpoint_interval_ms, "60000", 0, IMAX, "Log-start-offset checkpoint interval"),
	BOOL("log.preallocate", log_preallocate, "false", "Preallocate segment files"),
	INT("num.recovery.threads.per.data.dir", num_recovery_threads_per_data_dir, "1", 1, IMAX, "Log recovery threads per directory"),
	ENUM("log.message.timestamp.type", log_message_timestamp_type, "CreateTime", sm_cfg_ts_types, "CreateTime or LogAppendTime"),
	LONG("log.message.timestamp.difference.max.ms", log_message_timestamp_difference_max_ms, "9223372036854775807", 0, LMAX, "Max record timestamp distance from now"),
	BOOL("log.message.downconversion.enable", log_message_downconversion_enable, "true", "Allow down-conversion for old fetchers"),
	ENUM("compression.type", compression_type, "producer", sm_cfg_codecs, "Codec of stored batches"),
	INT("min.insync.replicas", min_insync_replicas, "1", 1, IMAX, "Minimum ISR size for acks=-1"),
	BOOL("unclean.leader.election.enable", unclean_leader_election_enable, "false", "Allow out-of-sync leaders"),
	BOOL("log.cleaner.enable", log_cleaner_enable, "true", "Run the log cleaner"),
	INT("log.cleaner.threads", log_cleaner_threads, "1", 0, IMAX, "Cleaner threads"),
	LONG("log.cleaner.dedupe.buffer.size", log_cleaner_dedupe_buffer_size, "134217728", 0, LMAX, "Cleaner offset map memory"),
	LONG("log.cleaner.backoff.ms", log_cleaner_backoff_ms, "15000", 0, LMAX, "Cleaner sleep when idle"),
	DBL("log.cleaner.io.max.bytes.per.second", log_cleaner_io_max_bytes_per_second, "1.7976931348623157E308", "Bytes/s the log cleaner reads and writes, all threads together (dynamic)"),
	DBL("log.cleaner.min.cleanable.ratio", log_cleaner_min_cleanable_ratio, "0.5", "Dirty ratio that triggers cleaning"),
	LONG("log.cleaner.delete.retention.ms", log_cleaner_delete_retention_ms, "86400000", 0, LMAX, "Tombstone retention"),
	LONG("log.cleaner.min.compaction.lag.ms", log_cleaner_min_compaction_lag_ms, "0", 0, LMAX, "Min age before compaction"),
	LONG("log.cleaner.max.compaction.lag.ms", log_cleaner_max_compaction_lag_ms, "9223372036854775807", INT64_MIN, LMAX, "Max age before a dirty record must be compacted"),
	INT("num.replica.fetchers", num_replica_fetchers, "1", 1, IMAX, "Fetcher threads per source broker"),
	INT("replica.fetch.max.bytes", replica_fetch_max_bytes, "1048576", 0, IMAX, "Follower per-partition fetch size"),
	INT("replica.fetch.response.max.bytes", replica_fetch_response_max_bytes, "10485760", 0, IMAX, "Follower fetch response cap"),
	INT("replica.fetch.min.bytes", replica_fetch_min_bytes, "1", 1, IMAX, "Follower fetch min bytes"),
	INT("replica.fetch.wait.max.ms", replica_fetch_wait_max_ms, "500", 0, IMAX, "Follower fetch max wait"),
	INT("replica.fetch.backoff.ms", replica_fetch_backoff_ms, "1000", 0, IMAX, "Back-off after a fetch error"),
	LONG("leader.replication.throttled.rate", leader_replication_throttled_rate, "9223372036854775807", 0, LMAX, "Bytes/s a leader sends for throttled replicas (dynamic, per broker)"),
	LONG("follower.replication.throttled.rate", follower_replication_throttled_rate, "9223372036854775807", 0, LMAX, "Bytes/s a follower fetches for throttled replicas (dynamic, per broker)"),
	LONG("replica.alter.log.dirs.io.max.bytes.per.second", replica_alter_log_dirs_io_max_bytes_per_second, "9223372036854775807", 0, LMAX, "Bytes/s copied when moving replicas between log dirs (dynamic)"),
	INT("replication.quota.window.num", replication_quota_window_num, "11", 1, IMAX, "Samples the replication throttles keep"),
	INT("replication.quota.window.size.seconds", replication_quota_window_size_seconds, "1", 1, IMAX, "Length of one replication throttle sample"),
	INT("replica.socket.timeout.ms", replica_socket_timeout_ms, "30000", 1, IMAX, "Follower socket timeout"),
	LONG("replica.lag.time.max.ms", replica_lag_time_max_ms, "30000", 1, LMAX, "Followers behind longer than this leave the ISR"),
	LONG("replica.high.watermark.checkpoint.interval.ms", replica_high_watermark_checkpoint_interval_ms, "5000", 1, LMAX, "HW checkpoint interval"),
	INT("controller.socket.timeout.ms", controller_socket_timeout_ms, "30000", 1, IMAX, "Controller-to-broker socket timeout"),
	BOOL("auto.leader.rebalance.enable", auto_leader_rebalance_enable, "true", "Move leadership back to preferred replicas"),
	INT("leader.imbalance.per.broker.percentage", leader_imbalance_per_broker_percentage, "10", 0, 100, "Imbalance that triggers a rebalance"),
	LONG("leader.imbalance.check.interval.seconds", leader_imbalance_check_interval_seconds, "300", 1, LMAX, "Rebalance check period"),
	BOOL("controlled.shutdown.enable", controlled_shutdown_enable, "true", "Move leadership away before shutdown"),
	INT("controlled.shutdown.max.retries", controlled_shutdown_max_retries, "3", 0, IMAX, "Controlled shutdown attempts"),
	LONG("controlled.shutdown.retry.backoff.ms", controlled_shutdown_retry_backoff_ms, "5000", 0, LMAX, "Back-off between attempts"),
	INT("group.min.session.timeout.ms", group_min_session_timeout_ms, "6000", 0, IMAX, "Lowest group session timeout"),
	INT("group.max.session.timeout.ms", group_max_session_timeout_ms, "1800000", 0, IMAX, "Highest group session timeout"),
	INT("group.initial.rebalance.delay.ms", group_initial_rebalance_delay_ms, "3000", 0, IMAX, "Delay of an empty group's first rebalance"),
	INT("group.max.size", group_max_size, "2147483647", 1, IMAX, "Members per group"),
	INT("offsets.topic.num.partitions", offsets_topic_num_partitions, "50", 1, IMAX, "Partitions of __consumer_offsets"),
	INT("offsets.topic.replication.factor", offsets_topic_replication_factor, "3", 1, 32767, "Replication factor of __consumer_offsets"),
	INT("offsets.topic.segment.bytes", offsets_topic_segment_bytes, "104857600", 1, IMAX, "Segment size of __consumer_offsets"),
	INT("offsets.retention.minutes", offsets_retention_minutes, "10080", 1, IMAX, "Committed offset retention"),
	INT("transactional.id.expiration.ms", transactional_id_expiration_ms, "604800000", 1, IMAX, "Idle time after which producer state is expired"),
	INT("offsets.commit.timeout.ms", offsets_commit_timeout_ms, "5000", 1, IMAX, "Offset commits wait this long for the __consumer_offsets ISR"),
	INT("offsets.commit.required.acks", offsets_commit_required_acks, "-1", -1, 32767, "Acks an offset commit waits for (-1: the ISR)"),
	INT("transaction.state.log.num.partitions", transaction_state_log_num_partitions, "50", 1, IMAX, "Partitions of __transaction_state"),
	INT("transaction.state.log.replication.factor", transaction_state_log_replication_factor, "3", 1, 32767, "Replication factor of __transaction_state"),
	INT("transaction.state.log.min.isr", transaction_state_log_min_isr, "2", 1, IMAX, "min.insync.replicas of __transaction_state"),
	INT("transaction.state.log.segment.bytes", transaction_state_log_segment_bytes, "104857600", 1, IMAX, "Segment size of __transaction_state"),
	INT("transaction.max.timeout.ms", transaction_max_timeout_ms, "900000", 1, IMAX, "Largest transaction timeout a producer may ask for"),
	INT("transaction.abort.timed.out.transaction.cleanup.interval.ms", transaction_abort_timed_out_transaction_cleanup_interval_ms, "10000", 1, IMAX, "How often transactions past their timeout are looked for and aborted"),
	INT("transaction.remove.expired.transaction.cleanup.interval.ms", transaction_remove_expired_transaction_cleanup_interval_ms, "3600000", 1, IMAX, "How often transactional ids idle past transactional.id.expiration.ms are removed"),
};

#define SM_CFG_CNT ((int)(sizeof(sm_cfg_defs) / sizeof(sm_cfg_defs[0])))

const sm_cfg_def_t *sm_kafka_config_defs(int *cnt)
{
	*cnt = SM_CFG_CNT;
	return sm_cfg_defs;
}

const sm_cfg_def_t *sm_kafka_config_def(const char *name)
{
	for (int i = 0; i < SM_CFG_CNT; i++)
		if (!strcmp(sm_cfg_defs[i].name, name))
			return &sm_cfg_defs[i];
	return NULL;
}

static char *sm_cfg_trim(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	return sm_strndup(s, n);
}

/* Parses and validates one value into its field. NULL value = default null. */
static int sm_cfg_set(sm_kafka_config_t *cfg, const sm_cfg_def_t *d, const char *raw, char *err,
		      size_t errlen)
{
	void *field = (char *)cfg + d->offset;
	if (d->type == SM_CFG_STRING || d->type == SM_CFG_LIST) {
		char **sp = field;
		free(*sp);
		*sp = raw ? sm_cfg_trim(raw) : NULL;
		if (*sp && d->choices && d->type == SM_CFG_LIST)
			return sm_cfg_check_list(d, *sp, err, errlen);
		if (*sp && d->choices) {
			for (const char *const *c = d->choices; *c; c++)
				if (!strcmp(*c, *sp))
					return 0;
			snprintf(err, errlen, "Invalid value %s for configuration %s: String must be one of the allowed values", *sp, d->name);
			return -1;
		}
		return 0;
	}
	if (!raw) {
		/* Null numeric default: 0 here, resolved through synonyms later. */
		if (d->type == SM_CFG_INT || d->type == SM_CFG_BOOL)
			*(int32_t *)field = 0;
		else if (d->type == SM_CFG_LONG)
			*(int64_t *)field = 0;
		else
			*(double *)field = 0;
		return 0;
	}
	char *v = sm_cfg_trim(raw);
	int rc = 0;
	if (d->type == SM_CFG_BOOL) {
		if (!strcasecmp(v, "true"))
			*(int *)field = 1;
		else if (!strcasecmp(v, "false"))
			*(int *)field = 0;
		else {
			snprintf(err, errlen, "Invalid value %s for configuration %s: Expected value to be either true or false", v, d->name);
			rc = -1;
		}
	} else if (d->type == SM_CFG_DOUBLE) {
		char *end;
		errno = 0;
		double x = strtod(v, &end);
		if (!*v || *end || errno) {
			snprintf(err, errlen, "Invalid value %s for configuration %s: Not a number of type DOUBLE", v, d->name);
			rc = -1;
		} else {
			*(double *)field = x;
		}
	} else {
		char *end;
		errno = 0;
		long long x = strtoll(v, &end, 10);
		int is_int = d->type == SM_CFG_INT;
		if (!*v || *end || errno || (is_int && (x < INT32_MIN || x > INT32_MAX))) {
			snprintf(err, errlen, "Invalid value %s for configuration %s: Not a number of type %s", v, d->name, is_int ? "INT" : "LONG");
			rc = -1;
		} else if (x < d->min || x > d->max) {
			if (d->max == (is_int ? IMAX : LMAX))
				snprintf(err, errlen, "Invalid value %s for configuration %s: Value must be at least %" PRId64, v, d->name, d->min);
			else
				snprintf(err, errlen, "Invalid value %s for configuration %s: Value must be between %" PRId64 " and %" PRId64, v, d->name, d->min, d->max);
			rc = -1;
		} else if (is_int) {
			*(int32_t *)field = (int32_t)x;
		} else {
			*(int64_t *)field = x;
		}
	}
	free(v);
	return rc;
}

static void sm_cfg_split_dirs(sm_kafka_config_t *cfg)
{
	const char *src = cfg->log_dirs ? cfg->log_dirs : cfg->log_dir;
	char *copy = sm_strdup(src ? src : "");
	char *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *t = sm_cfg_trim(tok);
		if (!*t) {
			free(t);
			continue;
		}
		cfg->log_dir_list = sm_realloc(cfg->log_dir_list, sizeof(char *) * (size_t)(cfg->log_dir_cnt + 1));
		cfg->log_dir_list[cfg->log_dir_cnt++] = t;
	}
	free(copy);
}

int sm_kafka_message_format_before_v2(const char *version)
{
	/* "0.8.x", "0.9.0", "0.10.x" (with any -IVn suffix); "0.11.0" and the
	 * two-part versions ("1.0" .. "2.8") store record batch v2 */
	if (strncmp(version, "0.", 2))
		return 0;
	char *end;
	long minor = strtol(version + 2, &end, 10);
	return end != version + 2 && minor < 11;
}

/* Synonyms and cross-key rules, as KafkaConfig resolves them. */
int sm_replica_selector_parse(const char *cls, sm_replica_selector_t *out)
{
	if (!cls || !*cls) {
		*out = SM_REPLICA_SELECTOR_NONE;
		return 0;
	}
	if (!strcmp(cls, SM_RACK_AWARE_REPLICA_SELECTOR)) {
		*out = SM_REPLICA_SELECTOR_RACK_AWARE;
		return 0;
	}
	return -1;
}

static int sm_cfg_derive(sm_kafka_config_t *cfg, char *err, size_t errlen)
{
	const sm_props_t *g = &cfg->given;
	if (sm_props_get(g, "log.retention.ms"))
		cfg->eff_retention_ms = cfg->log_retention_ms;
	else if (sm_props_get(g, "log.retention.minutes"))
		cfg->eff_retention_ms = cfg->log_retention_minutes < 0 ? -1 : (int64_t)cfg->log_retention_minutes * 60000;
	else
		cfg->eff_retention_ms = cfg->log_retention_hours < 0 ? -1 : (int64_t)cfg->log_retention_hours * 3600000;
	cfg->eff_roll_ms = sm_props_get(g, "log.roll.ms") ? cfg->log_roll_ms : (int64_t)cfg->log_roll_hours * 3600000;
	cfg->eff_roll_jitter_ms = sm_props_get(g, "log.roll.jitter.ms") ? cfg->log_roll_jitter_ms
									 : (int64_t)cfg->log_roll_jitter_hours * 3600000;
	if (!sm_props_get(g, "zookeeper.connection.timeout.ms"))
		cfg->zookeeper_connection_timeout_ms = cfg->zookeeper_session_timeout_ms;
	cfg->timestamp_log_append = !strcmp(cfg->log_message_timestamp_type, "LogAppendTime");
	sm_cfg_split_dirs(cfg);
	if (cfg->log_dir_cnt == 0) {
		snprintf(err, errlen, "Invalid value for configuration log.dirs: at least one log directory is required");
		return -1;
	}
	if (cfg->inter_broker_listener_name && sm_props_get(g, "security.inter.broker.protocol")) {
		snprintf(err, errlen, "Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.");
		return -1;
	}
	if (!*cfg->zookeeper_connect) {
		snprintf(err, errlen, "Invalid value for configuration zookeeper.connect: must not be empty");
		return -1;
	}
	if (cfg->replica_fetch_wait_max_ms >= cfg->replica_lag_time_max_ms) {
		snprintf(err, errlen, "replica.fetch.wait.max.ms should always be less than or equal to replica.lag.time.max.ms to prevent frequent changes in ISR");
		return -1;
	}
	if (cfg->queued_max_request_bytes > 0 &&
	    cfg->queued_max_request_bytes < cfg->socket_request_max_bytes) {
		snprintf(err, errlen, "queued.max.request.bytes must be larger or equal to socket.request.max.bytes");
		return -1;
	}
	if (cfg->max_connections_per_ip == 0 && (!cfg->max_connections_per_ip_overrides ||
	    !cfg->max_connections_per_ip_overrides[strspn(cfg->max_connections_per_ip_overrides, " \t,")])) {
		snprintf(err, errlen, "max.connections.per.ip can be set to zero only if max.connections.per.ip.overrides property is set.");
		return -1;
	}
	/* Kafka instantiates the class at start and fails on one it cannot
	 * find; the only selector Kafka 2.8 ships is the rack-aware one. */
	sm_replica_selector_t sel;
	if (sm_replica_selector_parse(cfg->replica_selector_class, &sel)) {
		snprintf(err, errlen, "Invalid value %s for configuration replica.selector.class: Class %s cannot be found (supported: %s)",
			 cfg->replica_selector_class, cfg->replica_selector_class, SM_RACK_AWARE_REPLICA_SELECTOR);
		return -1;
	}
	cfg->replica_selector = (int)sel;
	/* Kafka would append batches converted to magic 0/1; Samsa stores
	 * record batch v2 only (docs/deviations.md) */
	if (sm_kafka_message_format_before_v2(cfg->log_message_format_version)) {
		snprintf(err, errlen, "Invalid value %s for configuration log.message.format.version: Samsa stores record batch v2 only (message format 0.11.0 and later)",
			 cfg->log_message_format_version);
		return -1;
	}
	if (cfg->offsets_commit_required_acks > cfg->offsets_topic_replication_factor) {
		snprintf(err, errlen, "offsets.commit.required.acks must be greater or equal -1 and less or equal to offsets.topic.replication.factor");
		return -1;
	}
	return 0;
}

int sm_kafka_config_from_props(sm_kafka_config_t *cfg, const sm_props_t *props, char *err,
			       size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	sm_props_init(&cfg->given);
	for (int i = 0; i < props->cnt; i++)
		sm_props_set(&cfg->given, props->v[i].key, props->v[i].value);
	for (int i = 0; i < SM_CFG_CNT; i++) {
		const sm_cfg_def_t *d = &sm_cfg_defs[i];
		const char *v = sm_props_get(props, d->name);
		if (!v && d->required) {
			snprintf(err, errlen, "Missing required configuration \"%s\" which has no default value.", d->name);
			return -1;
		}
		if (sm_cfg_set(cfg, d, v ? v : d->dflt, err, errlen))
			return -1;
	}
	return sm_cfg_derive(cfg, err, errlen);
}

int sm_kafka_config_load(sm_kafka_config_t *cfg, const char *path, char *const *overrides,
			 int n_overrides, char *err, size_t errlen)
{
	sm_props_t props;
	sm_props_init(&props);
	memset(cfg, 0, sizeof(*cfg));
	if (path && sm_props_load(&props, path, err, errlen)) {
		sm_props_free(&props);
		return -1;
	}
	for (int i = 0; i < n_overrides; i++) {
		const char *eq = strchr(overrides[i], '=');
		if (!eq || eq == overrides[i]) {
			snprintf(err, errlen, "Invalid override \"%s\": expected key=value", overrides[i]);
			sm_props_free(&props);
			return -1;
		}
		char *k = sm_strndup(overrides[i], (size_t)(eq - overrides[i]));
		sm_props_set(&props, k, eq + 1);
		free(k);
	}
	int r = sm_kafka_config_from_props(cfg, &props, err, errlen);
	sm_props_free(&props);
	return r;
}

void sm_kafka_config_free(sm_kafka_config_t *cfg)
{
	for (int i = 0; i < SM_CFG_CNT; i++) {
		const sm_cfg_def_t *d = &sm_cfg_defs[i];
		if (d->type == SM_CFG_STRING || d->type == SM_CFG_LIST) {
			char **sp = (char **)((char *)cfg + d->offset);
			free(*sp);
			*sp = NULL;
		}
	}
	for (int i = 0; i < cfg->log_dir_cnt; i++)
		free(cfg->log_dir_list[i]);
	free(cfg->log_dir_list);
	cfg->log_dir_list = NULL;
	cfg->log_dir_cnt = 0;
	sm_props_free(&cfg->given);
}

/* listener.name.<listener>.<key> for the per-listener keys the socket server
 * reads at startup (kafka_server.c). */
int sm_kafka_config_is_listener_key(const char *key)
{
	static const char *const keys[] = { "max.connections", "max.connection.creation.rate" };
	const char *rest;

	if (strncmp(key, "listener.name.", 14) != 0)
		return 0;
	rest = strchr(key + 14, '.');
	if (!rest || rest == key + 14)
		return 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(rest + 1, keys[i]))
			return 1;
	return 0;
}

/* ssl.* keys, bare or per listener; read by tls.c, not in the table because
 * each may differ per listener. */
static int sm_kafka_config_is_ssl_key(const char *key)
{
	static const char *const keys[] = {
		"ssl.keystore.type", "ssl.keystore.location", "ssl.keystore.password",
		"ssl.key.password", "ssl.keystore.certificate.chain", "ssl.keystore.key",
		"ssl.truststore.type", "ssl.truststore.location", "ssl.truststore.password",
		"ssl.truststore.certificates", "ssl.client.auth", "ssl.enabled.protocols",
		"ssl.protocol", "ssl.cipher.suites", "ssl.endpoint.identification.algorithm",
		"ssl.principal.mapping.rules",
	};
	if (!strncmp(key, "listener.name.", 14)) {
		const char *dot = strchr(key + 14, '.');
		if (!dot || dot == key + 14)
			return 0;
		key = dot + 1;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(key, keys[i]))
			return 1;
	return 0;
}

/* The AclAuthorizer's own keys: not KafkaConfig keys (so DescribeConfigs
 * lists them only when given, as Kafka does), read by authorizer.c. */
static int sm_kafka_config_is_authorizer_key(const char *key)
{
	return !strcmp(key, "super.users") || !strcmp(key, "allow.everyone.if.no.acl.found");
}

/* SASL keys, bare or per listener; read by sasl.c. */
static int sm_kafka_config_is_sasl_key(const char *key)
{
	static const char *const keys[] = {
		"sasl.enabled.mechanisms", "sasl.mechanism.inter.broker.protocol",
		"sasl.jaas.config", "plain.sasl.jaas.config", "scram-sha-256.sasl.jaas.config",
		"scram-sha-512.sasl.jaas.config", "connections.max.reauth.ms",
	};
	if (!strncmp(key, "listener.name.", 14)) {
		const char *dot = strchr(key + 14, '.');
		if (!dot || dot == key + 14)
			return 0;
		key = dot + 1;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(key, keys[i]))
			return 1;
	return 0;
}

void sm_kafka_config_warn_unknown(const sm_kafka_config_t *cfg)
{
	for (int i = 0; i < cfg->given.cnt; i++)
		if (!sm_kafka_config_def(cfg->given.v[i].key) &&
		    !sm_kafka_config_is_authorizer_key(cfg->given.v[i].key) &&
		    !sm_kafka_config_is_listener_key(cfg->given.v[i].key) &&
		    !sm_kafka_config_is_ssl_key(cfg->given.v[i].key) &&
		    !sm_kafka_config_is_sasl_key(cfg->given.v[i].key) &&
		    /* read by the dynamic broker configs (dynamic_config.c) */
		    strncmp(cfg->given.v[i].key, "password.encoder.", 17))
			sm_log_warn(NULL, "kafka.server.KafkaConfig",
				    "The configuration '%s' was supplied but isn't a known config.",
				    cfg->given.v[i].key);
}

char *sm_kafka_config_value_string(const sm_kafka_config_t *cfg, const sm_cfg_def_t *d)
{
	const void *field = (const char *)cfg + d->offset;
	char buf[64];
	switch (d->type) {
	case SM_CFG_STRING:
	case SM_CFG_LIST: {
		const char *s = *(char *const *)field;
		return s ? sm_strdup(s) : NULL;
	}
	case SM_CFG_BOOL:
		return sm_strdup(*(const int *)field ? "true" : "false");
	case SM_CFG_INT:
		if (!d->dflt && !sm_props_get(&cfg->given, d->name))
			return NULL;
		snprintf(buf, sizeof(buf), "%" PRId32, *(const int32_t *)field);
		return sm_strdup(buf);
	case SM_CFG_LONG:
		if (!d->dflt && !sm_props_get(&cfg->given, d->name))
			return NULL;
		snprintf(buf, sizeof(buf), "%" PRId64, *(const int64_t *)field);
		return sm_strdup(buf);
	case SM_CFG_DOUBLE:
		/* Double.MaxValue as Java prints it, so a default reads back */
		if (*(const double *)field == DBL_MAX)
			return sm_strdup("1.7976931348623157E308");
		snprintf(buf, sizeof(buf), "%g", *(const double *)field);
		return sm_strdup(buf);
	}
	return NULL;
}

void sm_kafka_config_log(const sm_kafka_config_t *cfg)
{
	sm_log_info(NULL, SM_CFG_LOGGER, "KafkaConfig values: ");
	for (int i = 0; i < SM_CFG_CNT; i++) {
		char *v = sm_kafka_config_value_string(cfg, &sm_cfg_defs[i]);
		sm_log_info(NULL, SM_CFG_LOGGER, "\t%s = %s", sm_cfg_defs[i].name, v ? v : "null");
		free(v);
	}
}
