/*
 * log_config.c - the topic config table, its validators and the builder of
 * a topic's effective config (Kafka's LogConfig); see log_config.h.
 * Messages are ConfigDef's.
 */
#include "log_config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "logger.h"

#define LMAXS "9223372036854775807"

static const char *const sm_lc_policies[] = { "compact", "delete", NULL };
static const char *const sm_lc_codecs[] = { "uncompressed", "zstd", "lz4", "snappy", "gzip",
					    "producer", NULL };
static const char *const sm_lc_ts_types[] = { "CreateTime", "LogAppendTime", NULL };

static int sm_lc_codec(const char *s)
{
	static const char *const names[] = { "uncompressed", "gzip", "snappy", "lz4", "zstd" };
	for (int i = 0; i < 5; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1; /* producer */
}

/* cleanup.policy: a list of "compact" and "delete". */
static void sm_lc_apply_policy(sm_topic_config_t *tc, const char *v)
{
	tc->compact = tc->log.cleanup_compact = strstr(v, "compact") != NULL;
	tc->log.cleanup_delete = strstr(v, "delete") != NULL;
}

static void sm_lc_apply_codec(sm_topic_config_t *tc, const char *v)
{
	tc->compression_type = sm_lc_codec(v);
}

static void sm_lc_apply_ts_type(sm_topic_config_t *tc, const char *v)
{
	tc->log.message_timestamp_type = !strcmp(v, "LogAppendTime")
						 ? SM_LOG_TIMESTAMP_LOG_APPEND_TIME
						 : SM_LOG_TIMESTAMP_CREATE_TIME;
}

/* The produce path and the log both check the batch size. */
static void sm_lc_apply_max_message(sm_topic_config_t *tc, const char *v)
{
	tc->log.max_message_bytes = tc->max_message_bytes = (int32_t)strtol(v, NULL, 10);
}

/* Only record batch v2 versions pass validation: kept for DescribeConfigs'
 * sake, nothing to convert. */
static void sm_lc_apply_format_version(sm_topic_config_t *tc, const char *v)
{
	snprintf(tc->log.message_format_version, sizeof(tc->log.message_format_version), "%s", v);
}

/* Where a row's value goes (the last member group of a row). */
#define TO(kind, field) SM_LC_APPLY_##kind, offsetof(sm_topic_config_t, field), NULL
#define FN(fn) SM_LC_APPLY_FN, 0, fn
/* Samsa does not throttle replication: the lists are stored and
 * described, and nothing applies them. */
#define PER_REPLICA SM_LC_APPLY_REPLICA, 0, NULL

#define NUM(n, t, lo, syn, doc, to) { n, t, 1, 0, lo, 0, NULL, syn, NULL, doc, to }
#define NUMD(n, t, lo, syn, d, doc, to) { n, t, 1, 0, lo, 0, NULL, syn, d, doc, to }
#define PLAIN(n, t, syn, doc, to) { n, t, 0, 0, 0, 0, NULL, syn, NULL, doc, to }
#define CHOICE(n, t, ch, syn, doc, to) { n, t, 0, 0, 0, 0, ch, syn, NULL, doc, to }
#define SYN(...) { __VA_ARGS__, NULL }

static const sm_log_config_def_t sm_lc_defs[] = {
	CHOICE("cleanup.policy", SM_CFG_LIST, sm_lc_policies, SYN("log.cleanup.policy"),
	       "Retention policy of old segments: \"delete\" removes them by time or size, \"compact\" keeps the latest value of each key; both may be given.",
	       FN(sm_lc_apply_policy)),
	CHOICE("compression.type", SM_CFG_STRING, sm_lc_codecs, SYN("compression.type"),
	       "Codec the topic's batches are stored with; \"producer\" keeps the producer's codec, \"uncompressed\" none.",
	       FN(sm_lc_apply_codec)),
	NUM("delete.retention.ms", SM_CFG_LONG, 0, SYN("log.cleaner.delete.retention.ms"),
	    "How long tombstones are kept in a compacted topic after cleaning.",
	    TO(I64, log.delete_retention_ms)),
	NUM("file.delete.delay.ms", SM_CFG_LONG, 0, SYN("log.segment.delete.delay.ms"),
	    "Delay before the files of a deleted segment are removed.",
	    TO(I64, log.file_delete_delay_ms)),
	NUM("flush.messages", SM_CFG_LONG, 0, SYN("log.flush.interval.messages"),
	    "Number of messages after which the log is forced to disk.",
	    TO(I64, log.flush_messages)),
	NUM("flush.ms", SM_CFG_LONG, 0, SYN("log.flush.interval.ms", "log.flush.scheduler.interval.ms"),
	    "Time after which the log is forced to disk.",
	    TO(I64, log.flush_ms)),
	{ "follower.replication.throttled.replicas", SM_CFG_LIST, 0, 0, 0, 0, NULL, SYN(NULL), "",
	  "Replicas whose follower-side replication is throttled: partitionId:brokerId pairs, or * for all.",
	  PER_REPLICA },
	NUM("index.interval.bytes", SM_CFG_INT, 0, SYN("log.index.interval.bytes"),
	    "Bytes of messages between two offset index entries.",
	    TO(I32, log.index_interval_bytes)),
	{ "leader.replication.throttled.replicas", SM_CFG_LIST, 0, 0, 0, 0, NULL, SYN(NULL), "",
	  "Replicas whose leader-side replication is throttled: partitionId:brokerId pairs, or * for all.",
	  PER_REPLICA },
	NUMD("max.compaction.lag.ms", SM_CFG_LONG, 1, SYN("log.cleaner.max.compaction.lag.ms"), LMAXS,
	     "Longest time a message stays ineligible for compaction.",
	     TO(I64, log.max_compaction_lag_ms)),
	NUM("max.message.bytes", SM_CFG_INT, 0, SYN("message.max.bytes"),
	    "Largest record batch size the topic accepts, after compression.",
	    FN(sm_lc_apply_max_message)),
	PLAIN("message.downconversion.enable", SM_CFG_BOOL, SYN("log.message.downconversion.enable"),
	      "Whether batches are down-converted for consumers of older fetch versions.",
	      TO(BOOL, downconversion_enable)),
	PLAIN("message.format.version", SM_CFG_STRING, SYN("log.message.format.version"),
	      "Message format version the broker appends to the log with.",
	      FN(sm_lc_apply_format_version)),
	NUM("message.timestamp.difference.max.ms", SM_CFG_LONG, 0,
	    SYN("log.message.timestamp.difference.max.ms"),
	    "Largest allowed distance between a CreateTime timestamp and the broker's clock.",
	    TO(I64, timestamp_difference_max_ms)),
	CHOICE("message.timestamp.type", SM_CFG_STRING, sm_lc_ts_types,
	       SYN("log.message.timestamp.type"),
	       "Whether record timestamps are the producer's (CreateTime) or the broker's (LogAppendTime).",
	       FN(sm_lc_apply_ts_type)),
	{ "min.cleanable.dirty.ratio", SM_CFG_DOUBLE, 1, 1, 0, 1, NULL,
	  SYN("log.cleaner.min.cleanable.ratio"), NULL,
	  "Dirty share of the log above which the cleaner compacts it.",
	  TO(DOUBLE, log.min_cleanable_ratio) },
	NUM("min.compaction.lag.ms", SM_CFG_LONG, 0, SYN("log.cleaner.min.compaction.lag.ms"),
	    "Shortest time a message stays uncompacted in the log.",
	    TO(I64, log.min_compaction_lag_ms)),
	NUM("min.insync.replicas", SM_CFG_INT, 1, SYN("min.insync.replicas"),
	    "Fewest in-sync replicas that must acknowledge an acks=all write.",
	    TO(I32, min_insync_replicas)),
	PLAIN("preallocate", SM_CFG_BOOL, SYN("log.preallocate"),
	      "Whether segment files are preallocated on disk.",
	      TO(BOOL, log.preallocate)),
	PLAIN("retention.bytes", SM_CFG_LONG, SYN("log.retention.bytes"),
	      "Size a partition may grow to before old segments are deleted; -1 for no limit.",
	      TO(I64, log.retention_bytes)),
	NUM("retention.ms", SM_CFG_LONG, -1,
	    SYN("log.retention.ms", "log.retention.minutes", "log.retention.hours"),
	    "Time a segment is kept before it is deleted; -1 for no limit.",
	    TO(I64, log.retention_ms)),
	NUM("segment.bytes", SM_CFG_INT, 14, SYN("log.segment.bytes"),
	    "Size of one segment file.",
	    TO(I64, log.segment_bytes)),
	NUM("segment.index.bytes", SM_CFG_INT, 0, SYN("log.index.size.max.bytes"),
	    "Size of the index that maps offsets to file positions.",
	    TO(I32, log.segment_index_bytes)),
	NUM("segment.jitter.ms", SM_CFG_LONG, 0, SYN("log.roll.jitter.ms", "log.roll.jitter.hours"),
	    "Largest random jitter subtracted from segment.ms.",
	    TO(I64, log.segment_jitter_ms)),
	NUM("segment.ms", SM_CFG_LONG, 1, SYN("log.roll.ms", "log.roll.hours"),
	    "Time after which a segment is rolled even if it is not full.",
	    TO(I64, log.segment_ms)),
	PLAIN("unclean.leader.election.enable", SM_CFG_BOOL, SYN("unclean.leader.election.enable"),
	      "Whether an out-of-sync replica may become leader as a last resort, at the risk of data loss.",
	      TO(BOOL, unclean_leader_election_enable)),
};

#define SM_LC_CNT ((int)(sizeof(sm_lc_defs) / sizeof(sm_lc_defs[0])))

const sm_log_config_def_t *sm_log_config_defs(int *cnt)
{
	*cnt = SM_LC_CNT;
	return sm_lc_defs;
}

const sm_log_config_def_t *sm_log_config_def(const char *name)
{
	for (int i = 0; name && i < SM_LC_CNT; i++)
		if (!strcmp(sm_lc_defs[i].name, name))
			return &sm_lc_defs[i];
	return NULL;
}

void sm_log_config_format_double(double v, char *buf, size_t len)
{
	double m = fabs(v);
	if (isfinite(v) && (m >= 1e7 || (m > 0 && m < 1e-3))) {
		/* Java's Double.toString: "1.7976931348623157E308", "1.0E-4" */
		char e[64];
		for (int prec = 0; prec <= 16; prec++) {
			snprintf(e, sizeof(e), "%.*e", prec, v);
			if (strtod(e, NULL) == v)
				break;
		}
		char *x = strchr(e, 'e');
		*x++ = '\0';
		int exp = atoi(x);
		snprintf(buf, len, "%s%sE%d", e, strchr(e, '.') ? "" : ".0", exp);
		return;
	}
	if (!isfinite(v)) {
		snprintf(buf, len, "%s", isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
		return;
	}
	/* between 1e-3 and 1e7 Java prints plain decimals: "1000000.0" */
	for (int prec = 1; prec <= 20; prec++) {
		snprintf(buf, len, "%.*f", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
}

static char *sm_lc_trim(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return sm_strndup(s, n);
}

static int sm_lc_in(const char *const *choices, const char *v)
{
	for (; *choices; choices++)
		if (!strcmp(*choices, v))
			return 1;
	return 0;
}

/* ConfigDef's "String must be one of: a, b" (ValidString.in). */
static void sm_lc_choices_msg(const char *const *choices, char *out, size_t len)
{
	snprintf(out, len, "String must be one of: ");
	for (const char *const *c = choices; *c; c++)
		snprintf(out + strlen(out), len - strlen(out), "%s%s", c == choices ? "" : ", ", *c);
}

/* Kafka's ApiVersion keys (message.format.version): "0.x.y" or "x.y",
 * optionally with an inter-broker protocol suffix. */
static int sm_lc_valid_format_version(const char *v)
{
	static const char *const keys[] = {
		"0.8.0", "0.8.1", "0.8.2", "0.9.0", "0.10.0", "0.10.0-IV0", "0.10.0-IV1",
		"0.10.1", "0.10.1-IV0", "0.10.1-IV1", "0.10.1-IV2", "0.10.2", "0.10.2-IV0",
		"0.11.0", "0.11.0-IV0", "0.11.0-IV1", "0.11.0-IV2", "1.0", "1.0-IV0", "1.1",
		"1.1-IV0", "2.0", "2.0-IV0", "2.0-IV1", "2.1", "2.1-IV0", "2.1-IV1", "2.1-IV2",
		"2.2", "2.2-IV0", "2.2-IV1", "2.3", "2.3-IV0", "2.3-IV1", "2.4", "2.4-IV0",
		"2.4-IV1", "2.5", "2.5-IV0", "2.6", "2.6-IV0", "2.7", "2.7-IV0", "2.7-IV1",
		"2.7-IV2", "2.8", "2.8-IV0", "2.8-IV1", NULL,
	};
	int segs = strncmp(v, "0.", 2) ? 2 : 3;
	size_t n = 0;
	for (int s = 0; v[n] && s < segs; n++)
		if (v[n] == '.' && ++s == segs)
			break;
	char key[32];
	if (n >= sizeof(key))
		return 0;
	memcpy(key, v, n);
	key[n] = '\0';
	return sm_lc_in(keys, key);
}

static int sm_lc_valid_throttled(const char *list)
{
	if (!strcmp(list, "*"))
		return 1;
	char *copy = sm_strdup(list), *save = NULL;
	int ok = 1;
	for (char *t = strtok_r(copy, ",", &save); t && ok; t = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(t, ':');
		ok = colon && colon > t && colon[1] && strspn(t, "0123456789") == (size_t)(colon - t) &&
		     strspn(colon + 1, "0123456789") == strlen(colon + 1);
	}
	free(copy);
	return ok;
}

/* LIST: elements split on commas and trimmed, each checked against the
 * choices; the canonical form joins them with ",". */
static int sm_lc_check_list(const sm_log_config_def_t *d, const char *v, char **canon, char *msg,
			    size_t msglen)
{
	sm_wbuf_t w;
	sm_wbuf_init(&w, 64);
	char *copy = sm_strdup(v);
	int ok = 1, first = 1;
	for (char *p = copy; *v && ok;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		char *e = sm_lc_trim(p);
		if (d->choices && !sm_lc_in(d->choices, e)) {
			sm_lc_choices_msg(d->choices, msg, msglen);
			ok = 0;
		}
		sm_wbuf_append(&w, first ? "" : ",", first ? 0 : 1);
		sm_wbuf_append(&w, e, strlen(e));
		first = 0;
		free(e);
		if (!comma)
			break;
		p = comma + 1;
	}
	free(copy);
	sm_wbuf_append(&w, "", 1);
	/* the only lists without choices are the throttled-replica lists */
	if (ok && !d->choices && !sm_lc_valid_throttled((char *)w.p)) {
		snprintf(msg, msglen, "%s must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...", d->name);
		ok = 0;
	}
	*canon = ok ? sm_strdup((char *)w.p) : NULL;
	sm_wbuf_free(&w);
	return ok;
}

static int sm_lc_check_number(const sm_log_config_def_t *d, const char *v, char **canon, char *msg,
			      size_t msglen)
{
	char *end, buf[64];
	double x;
	errno = 0;
	if (d->type == SM_CFG_DOUBLE) {
		x = strtod(v, &end);
		if (!*v || *end || errno) {
			snprintf(msg, msglen, "Not a number of type DOUBLE");
			return 0;
		}
		sm_log_config_format_double(x, buf, sizeof(buf));
	} else {
		long long n = strtoll(v, &end, 10);
		int is_int = d->type == SM_CFG_INT;
		if (!*v || *end || errno || (is_int && (n < INT32_MIN || n > INT32_MAX))) {
			snprintf(msg, msglen, "Not a number of type %s", is_int ? "INT" : "LONG");
			return 0;
		}
		x = (double)n;
		snprintf(buf, sizeof(buf), "%lld", n);
	}
	if (d->has_min && x < d->min) {
		snprintf(msg, msglen, "Value must be at least %.0f", d->min);
		return 0;
	}
	if (d->has_max && x > d->max) {
		snprintf(msg, msglen, "Value must be no more than %.0f", d->max);
		return 0;
	}
	*canon = sm_strdup(buf);
	return 1;
}

static int sm_lc_check(const sm_log_config_def_t *d, const char *v, char **canon, char *msg,
		       size_t msglen)
{
	switch (d->type) {
	case SM_CFG_LIST:
		return sm_lc_check_list(d, v, canon, msg, msglen);
	case SM_CFG_BOOL:
		if (strcasecmp(v, "true") && strcasecmp(v, "false")) {
			snprintf(msg, msglen, "Expected value to be either true or false");
			return 0;
		}
		*canon = sm_strdup(strcasecmp(v, "true") ? "false" : "true");
		return 1;
	case SM_CFG_STRING:
		if (d->choices && !sm_lc_in(d->choices, v)) {
			sm_lc_choices_msg(d->choices, msg, msglen);
			return 0;
		}
		if (!strcmp(d->name, "message.format.version") && !sm_lc_valid_format_version(v)) {
			snprintf(msg, msglen, "Version `%s` is not a valid version", v);
			return 0;
		}
		*canon = sm_strdup(v);
		return 1;
	default:
		return sm_lc_check_number(d, v, canon, msg, msglen);
	}
}

sm_err_t sm_log_config_validate(const char *name, const char *value, char **canon, char *err,
				size_t errlen)
{
	const sm_log_config_def_t *d = sm_log_config_def(name);
	if (!d) {
		snprintf(err, errlen, "Unknown topic config name: %s", name);
		return SM_ERR_INVALID_CONFIG;
	}
	if (!value) {
		snprintf(err, errlen, "Null value not supported for topic configs: %s", name);
		return SM_ERR__CONFIG;
	}
	char msg[512] = "", *c = NULL;
	char *v = sm_lc_trim(value);
	int ok = sm_lc_check(d, v, &c, msg, sizeof(msg));
	sm_err_t e = ok ? SM_ERR_NONE : SM_ERR__CONFIG;
	/* Kafka accepts a pre-0.11.0 format and appends converted batches;
	 * Samsa stores record batch v2 only, so it refuses such a value as a
	 * config the broker cannot apply (docs/deviations.md) */
	if (ok && !strcmp(name, "message.format.version") && sm_kafka_message_format_before_v2(c)) {
		snprintf(msg, sizeof(msg),
			 "Samsa stores record batch v2 only (message format 0.11.0 and later)");
		ok = 0;
		e = SM_ERR_INVALID_CONFIG;
	}
	if (!ok)
		snprintf(err, errlen, "Invalid value %s for configuration %s: %s", value, name, msg);
	free(v);
	if (ok && canon)
		*canon = c;
	else
		free(c);
	return e;
}

/* 1 when names[i] is repeated later (a Properties keeps the last value). */
static int sm_lc_overridden(char *const *names, int n, int i)
{
	for (int j = i + 1; j < n; j++)
		if (!strcmp(names[i], names[j]))
			return 1;
	return 0;
}

sm_err_t sm_log_config_validate_all(char *const *names, char *const *values, int n, char *err,
				    size_t errlen)
{
	for (int i = 0; i < n; i++)
		if (!sm_log_config_def(names[i])) {
			snprintf(err, errlen, "Unknown topic config name: %s", names[i]);
			return SM_ERR_INVALID_CONFIG;
		}
	long long min_lag = 0, max_lag = INT64_MAX; /* LogConfig's defaults */
	for (int i = 0; i < n; i++) {
		if (sm_lc_overridden(names, n, i))
			continue;
		char *canon = NULL;
		sm_err_t e = sm_log_config_validate(names[i], values[i], &canon, err, errlen);
		if (e)
			return e;
		if (!strcmp(names[i], "min.compaction.lag.ms"))
			min_lag = strtoll(canon, NULL, 10);
		else if (!strcmp(names[i], "max.compaction.lag.ms"))
			max_lag = strtoll(canon, NULL, 10);
		free(canon);
	}
	if (min_lag > max_lag) {
		snprintf(err, errlen, "conflict topic config setting min.compaction.lag.ms (%lld) > max.compaction.lag.ms (%lld)",
			 min_lag, max_lag);
		return SM_ERR_INVALID_CONFIG;
	}
	return SM_ERR_NONE;
}

static char *sm_lc_i64(int64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return sm_strdup(buf);
}

char *sm_log_config_broker_value(const sm_kafka_config_t *cfg, const sm_log_config_def_t *d)
{
	if (!strcmp(d->name, "retention.ms"))
		return sm_lc_i64(cfg->eff_retention_ms);
	if (!strcmp(d->name, "segment.ms"))
		return sm_lc_i64(cfg->eff_roll_ms);
	if (!strcmp(d->name, "segment.jitter.ms"))
		return sm_lc_i64(cfg->eff_roll_jitter_ms);
	if (!strcmp(d->name, "flush.ms"))
		return sm_lc_i64(sm_props_get(&cfg->given, "log.flush.interval.ms")
					 ? cfg->log_flush_interval_ms
					 : cfg->log_flush_scheduler_interval_ms);
	const sm_cfg_def_t *bd = d->synonyms[0] ? sm_kafka_config_def(d->synonyms[0]) : NULL;
	if (!bd)
		return sm_strdup(d->dflt ? d->dflt : "");
	if (bd->type == SM_CFG_DOUBLE) {
		char buf[64];
		sm_log_config_format_double(*(const double *)((const char *)cfg + bd->offset), buf,
					    sizeof(buf));
		return sm_strdup(buf);
	}
	char *v = sm_kafka_config_value_string(cfg, bd);
	return v ? v : sm_strdup(d->dflt ? d->dflt : "");
}

/* Writes one row's value (validated, or the broker's rendering) into tc. */
static void sm_lc_apply(const sm_log_config_def_t *d, sm_topic_config_t *tc, const char *v)
{
	char *field = (char *)tc + d->offset;
	switch (d->apply_kind) {
	case SM_LC_APPLY_I32: {
		int32_t x = (int32_t)strtol(v, NULL, 10);
		memcpy(field, &x, sizeof(x));
		break;
	}
	case SM_LC_APPLY_I64: {
		int64_t x = strtoll(v, NULL, 10);
		memcpy(field, &x, sizeof(x));
		break;
	}
	case SM_LC_APPLY_BOOL: {
		int x = !strcasecmp(v, "true");
		memcpy(field, &x, sizeof(x));
		break;
	}
	case SM_LC_APPLY_DOUBLE: {
		double x = strtod(v, NULL);
		memcpy(field, &x, sizeof(x));
		break;
	}
	case SM_LC_APPLY_FN:
		d->apply(tc, v);
		break;
	case SM_LC_APPLY_UNSET:
	case SM_LC_APPLY_REPLICA:
		break;
	}
}

/* Resolves and applies row d: the topic's last valid override, else the
 * broker's value. */
static void sm_lc_resolve(const sm_log_config_def_t *d, sm_topic_config_t *tc,
			  const sm_kafka_config_t *cfg, const char *topic, char *const *keys,
			  char *const *values, int n)
{
	if (d->apply_kind == SM_LC_APPLY_UNSET || d->apply_kind == SM_LC_APPLY_REPLICA)
		return;
	char *v = NULL;
	for (int i = n - 1; i >= 0 && !v; i--) {
		if (!keys[i] || strcmp(keys[i], d->name))
			continue;
		char err[512];
		if (sm_log_config_validate(d->name, values[i], &v, err, sizeof(err)) != SM_ERR_NONE) {
			/* only a hand-written znode gets here: the Alter APIs,
			 * CreateTopics and kafka-configs validate first */
			sm_log_warn(NULL, "kafka.log.LogConfig",
				    "Ignoring the override of %s for topic %s, using the broker's value: %s",
				    d->name, topic ? topic : "?", err);
			v = NULL;
			break;
		}
	}
	if (!v) /* no broker config: Kafka's default, as LogConfig's own */
		v = cfg ? sm_log_config_broker_value(cfg, d) : sm_strdup(d->dflt ? d->dflt : "");
	sm_lc_apply(d, tc, v);
	free(v);
}

void sm_topic_config_build(sm_topic_config_t *tc, const sm_kafka_config_t *cfg, const char *topic,
			   char *const *keys, char *const *values, int n)
{
	for (int i = 0; i < SM_LC_CNT; i++)
		sm_lc_resolve(&sm_lc_defs[i], tc, cfg, topic, keys, values, n);
}

int sm_topic_config_unclean_election(const sm_kafka_config_t *cfg, const char *topic,
				     char *const *keys, char *const *values, int n)
{
	sm_topic_config_t tc;
	memset(&tc, 0, sizeof(tc));
	sm_lc_resolve(sm_log_config_def("unclean.leader.election.enable"), &tc, cfg, topic, keys,
		      values, n);
	return tc.unclean_leader_election_enable;
}
