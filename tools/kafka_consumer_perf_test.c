/*
 * kafka_consumer_perf_test.c - kafka-consumer-perf-test: Kafka 2.8's
 * kafka.tools.ConsumerPerformance over librdkafka's group consumer.
 * Subscribes to one topic in a consumer group (default
 * perf-consumer-NNNNN), consumes until --messages records were read or no
 * record arrived for --timeout ms, and prints Kafka's CSV header and
 * summary row (MB = 2^20 bytes of keys plus values; rebalance time from the
 * start to the first assignment; fetch time = the rest), or with
 * --show-detailed-stats a row per --reporting-interval instead. When it
 * gives up early it prints Kafka's "WARNING: Exiting before consuming the
 * expected number of messages" line.
 *
 * --threads and --num-fetch-threads are accepted and ignored (as in Kafka
 * 2.8); --print-metrics is refused (librdkafka has no Java metrics).
 *
 * Thread-safety: single-threaded; the rebalance callback runs inside
 * rd_kafka_consumer_poll on the main thread.
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "tool_common.h"

#define SM_CPT_POLL_MS 100

typedef struct sm_cpt_opts {
	const char *bootstrap, *broker_list, *topic, *group, *config, *date_format;
	long long messages, fetch_size, socket_buffer, reporting_interval, timeout;
	int have_messages, from_latest, detailed, hide_header;
} sm_cpt_opts_t;

/* What the consume loop measured (ConsumerPerformance's counters). */
typedef struct sm_cpt_run {
	const sm_cpt_opts_t *o;
	long long messages, bytes, last_messages, last_bytes;
	int64_t join_start, join_time, join_round;
} sm_cpt_run_t;

static int64_t sm_cpt_now_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* A count of pattern letter c starting at p. */
static int sm_cpt_run_len(const char *p, char c)
{
	int n = 0;
	while (p[n] == c)
		n++;
	return n;
}

/* Appends one SimpleDateFormat field (letter c repeated n times). */
static void sm_cpt_date_field(FILE *out, char c, int n, const struct tm *tm, int ms)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	static const char *const day[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	char z[16];
	switch (c) {
	case 'y': fprintf(out, "%0*d", n, n == 2 ? (tm->tm_year + 1900) % 100 : tm->tm_year + 1900);
		  break;
	case 'M':
		if (n >= 3)
			fputs(mon[tm->tm_mon], out);
		else
			fprintf(out, "%0*d", n, tm->tm_mon + 1);
		break;
	case 'd': fprintf(out, "%0*d", n, tm->tm_mday); break;
	case 'H': fprintf(out, "%0*d", n, tm->tm_hour); break;
	case 'k': fprintf(out, "%0*d", n, tm->tm_hour ? tm->tm_hour : 24); break;
	case 'h': fprintf(out, "%0*d", n, tm->tm_hour % 12 ? tm->tm_hour % 12 : 12); break;
	case 'm': fprintf(out, "%0*d", n, tm->tm_min); break;
	case 's': fprintf(out, "%0*d", n, tm->tm_sec); break;
	case 'S': fprintf(out, "%0*d", n, ms); break;
	case 'a': fputs(tm->tm_hour < 12 ? "AM" : "PM", out); break;
	case 'E': fputs(day[tm->tm_wday], out); break;
	case 'D': fprintf(out, "%0*d", n, tm->tm_yday + 1); break;
	case 'z': strftime(z, sizeof(z), "%Z", tm); fputs(z, out); break;
	case 'Z': strftime(z, sizeof(z), "%z", tm); fputs(z, out); break;
	default: for (int i = 0; i < n; i++) fputc(c, out); break;
	}
}

/* Formats ms (epoch, local time) with a java.text.SimpleDateFormat pattern:
 * the common letters y M d H k h m s S a E D z Z, and 'quoted' text. */
static void sm_cpt_format_date(FILE *out, const char *pat, int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&secs, &tm);
	for (const char *p = pat; *p;) {
		if (*p == '\'') {
			if (p[1] == '\'') {
				fputc('\'', out);
				p += 2;
				continue;
			}
			for (p++; *p && !(*p == '\'' && p[1] != '\''); p++) {
				fputc(*p, out);
				if (*p == '\'')
					p++;
			}
			if (*p)
				p++;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
			int n = sm_cpt_run_len(p, *p);
			sm_cpt_date_field(out, *p, n, &tm, (int)(ms % 1000));
			p += n;
		} else
			fputc(*p++, out);
	}
}

/* %.4f as Java's Formatter writes it (NaN and Infinity spelled out). */
static void sm_cpt_f4(FILE *out, double v)
{
	if (isnan(v))
		fputs("NaN", out);
	else if (isinf(v))
		fputs(v < 0 ? "-Infinity" : "Infinity", out);
	else
		fprintf(out, "%.4f", v);
}

static void sm_cpt_header(int detailed)
{
	printf("%s, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, "
	       "fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n",
	       detailed ? "time, threadId" : "start.time, end.time");
	fflush(stdout);
}

/* One --show-detailed-stats row for the interval [start, end]. */
static void sm_cpt_progress(sm_cpt_run_t *r, int64_t start, int64_t end)
{
	double elapsed = (double)(end - start);
	double total_mb = (double)r->bytes / (1024.0 * 1024.0);
	double mb = (double)(r->bytes - r->last_bytes) / (1024.0 * 1024.0);
	long long n = r->messages - r->last_messages;
	int64_t fetch_ms = end - start - r->join_round;
	sm_cpt_format_date(stdout, r->o->date_format, end);
	printf(", 0, ");
	sm_cpt_f4(stdout, total_mb);
	fputs(", ", stdout);
	sm_cpt_f4(stdout, 1000.0 * mb / elapsed);
	printf(", %lld, ", r->messages);
	sm_cpt_f4(stdout, (double)n / elapsed * 1000.0);
	printf(", %" PRId64 ", %" PRId64 ", ", r->join_round, fetch_ms);
	sm_cpt_f4(stdout, fetch_ms <= 0 ? 0.0 : 1000.0 * mb / (double)fetch_ms);
	fputs(", ", stdout);
	sm_cpt_f4(stdout, fetch_ms <= 0 ? 0.0 : 1000.0 * (double)n / (double)fetch_ms);
	fputc('\n', stdout);
	fflush(stdout);
}

/* The summary row printed after the run. */
static void sm_cpt_summary(const sm_cpt_run_t *r, int64_t start, int64_t end)
{
	double secs = (double)(end - start) / 1000.0;
	int64_t fetch_ms = end - start - r->join_time;
	double mb = (double)r->bytes / (1024.0 * 1024.0);
	sm_cpt_format_date(stdout, r->o->date_format, start);
	fputs(", ", stdout);
	sm_cpt_format_date(stdout, r->o->date_format, end);
	fputs(", ", stdout);
	sm_cpt_f4(stdout, mb);
	fputs(", ", stdout);
	sm_cpt_f4(stdout, mb / secs);
	printf(", %lld, ", r->messages);
	sm_cpt_f4(stdout, (double)r->messages / secs);
	printf(", %" PRId64 ", %" PRId64 ", ", r->join_time, fetch_ms);
	sm_cpt_f4(stdout, mb / ((double)fetch_ms / 1000.0));
	fputs(", ", stdout);
	sm_cpt_f4(stdout, (double)r->messages / ((double)fetch_ms / 1000.0));
	fputc('\n', stdout);
	fflush(stdout);
}

/* Rebalance listener: time without an assignment counts as rebalance
 * time (Kafka's onPartitionsRevoked / onPartitionsAssigned). */
static void sm_cpt_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			     rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	sm_cpt_run_t *r = opaque;
	int coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
	int64_t now = sm_cpt_now_ms();
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		r->join_time += now - r->join_start;
		r->join_round += now - r->join_start;
		if (coop)
			rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
		else
			rd_kafka_assign(rk, parts);
	} else {
		r->join_start = now;
		if (coop)
			rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
		else
			rd_kafka_assign(rk, NULL);
	}
}

static void sm_cpt_usage(FILE *out)
{
	fprintf(out,
		"This tool helps in performance test for the full zookeeper consumer\n"
		"Option                                   Description\n"
		"------                                   -----------\n"
		"--bootstrap-server <server to connect to> REQUIRED unless --broker-list(deprecated) is specified.\n"
		"--broker-list <broker-list>              DEPRECATED, use --bootstrap-server instead.\n"
		"--consumer.config <config file>          Consumer config properties file.\n"
		"--date-format <date format>              The date format to use for formatting the time field.\n"
		"                                           (default: yyyy-MM-dd HH:mm:ss:SSS)\n"
		"--fetch-size <size>                      The amount of data to fetch in a single request.\n"
		"                                           (default: 1048576)\n"
		"--from-latest                            Start with the latest message present in the log.\n"
		"--group <gid>                            The group id to consume on. (default: perf-consumer-NNNNN)\n"
		"--help                                   Print usage information.\n"
		"--hide-header                            If set, skips printing the header for the stats\n"
		"--messages <Long: count>                 REQUIRED: The number of messages to send or consume\n"
		"--num-fetch-threads <Integer: count>     Number of fetcher threads. (ignored)\n"
		"--reporting-interval <Integer: interval_ms> Interval in milliseconds at which to print progress\n"
		"                                           info. (default: 5000)\n"
		"--show-detailed-stats                    If set, stats are reported for each reporting interval\n"
		"--socket-buffer-size <Integer: size>     The size of the tcp RECV size. (default: 2097152)\n"
		"--threads <Integer: count>               Number of processing threads. (ignored)\n"
		"--timeout [Long: milliseconds]           The maximum allowed time in milliseconds between\n"
		"                                           returned records. (default: 10000)\n"
		"--topic <topic>                          REQUIRED: The topic to consume from.\n");
}

enum {
	SM_CPT_OPT_BOOTSTRAP = 256, SM_CPT_OPT_BROKER_LIST, SM_CPT_OPT_TOPIC, SM_CPT_OPT_GROUP,
	SM_CPT_OPT_MESSAGES, SM_CPT_OPT_FETCH_SIZE, SM_CPT_OPT_FROM_LATEST, SM_CPT_OPT_SOCKET_BUF,
	SM_CPT_OPT_THREADS, SM_CPT_OPT_CONFIG, SM_CPT_OPT_METRICS, SM_CPT_OPT_DETAILED,
	SM_CPT_OPT_TIMEOUT, SM_CPT_OPT_INTERVAL, SM_CPT_OPT_DATE_FORMAT, SM_CPT_OPT_HIDE_HEADER,
	SM_CPT_OPT_HELP,
};

static const struct option sm_cpt_longopts[] = {
	{ "bootstrap-server", required_argument, NULL, SM_CPT_OPT_BOOTSTRAP },
	{ "broker-list", required_argument, NULL, SM_CPT_OPT_BROKER_LIST },
	{ "topic", required_argument, NULL, SM_CPT_OPT_TOPIC },
	{ "group", required_argument, NULL, SM_CPT_OPT_GROUP },
	{ "messages", required_argument, NULL, SM_CPT_OPT_MESSAGES },
	{ "fetch-size", required_argument, NULL, SM_CPT_OPT_FETCH_SIZE },
	{ "from-latest", no_argument, NULL, SM_CPT_OPT_FROM_LATEST },
	{ "socket-buffer-size", required_argument, NULL, SM_CPT_OPT_SOCKET_BUF },
	{ "threads", required_argument, NULL, SM_CPT_OPT_THREADS },
	{ "num-fetch-threads", required_argument, NULL, SM_CPT_OPT_THREADS },
	{ "consumer.config", required_argument, NULL, SM_CPT_OPT_CONFIG },
	{ "print-metrics", no_argument, NULL, SM_CPT_OPT_METRICS },
	{ "show-detailed-stats", no_argument, NULL, SM_CPT_OPT_DETAILED },
	{ "timeout", required_argument, NULL, SM_CPT_OPT_TIMEOUT },
	{ "reporting-interval", required_argument, NULL, SM_CPT_OPT_INTERVAL },
	{ "date-format", required_argument, NULL, SM_CPT_OPT_DATE_FORMAT },
	{ "hide-header", no_argument, NULL, SM_CPT_OPT_HIDE_HEADER },
	{ "help", no_argument, NULL, SM_CPT_OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* A numeric option value; prints joptsimple's complaint when it is not. */
static int sm_cpt_num(const char *opt, const char *v, long long *out)
{
	int64_t x;
	if (sm_tool_parse_i64(v, &x)) {
		fprintf(stderr, "Cannot parse argument '%s' of option %s\n", v, opt);
		return -1;
	}
	*out = x;
	return 0;
}

/* One option; returns 0, 1 on a usage error, 2 after --help. */
static int sm_cpt_option(sm_cpt_opts_t *o, int c, const char *arg)
{
	long long ignored;
	switch (c) {
	case SM_CPT_OPT_BOOTSTRAP: o->bootstrap = arg; break;
	case SM_CPT_OPT_BROKER_LIST: o->broker_list = arg; break;
	case SM_CPT_OPT_TOPIC: o->topic = arg; break;
	case SM_CPT_OPT_GROUP: o->group = arg; break;
	case SM_CPT_OPT_CONFIG: o->config = arg; break;
	case SM_CPT_OPT_DATE_FORMAT: o->date_format = arg; break;
	case SM_CPT_OPT_FROM_LATEST: o->from_latest = 1; break;
	case SM_CPT_OPT_DETAILED: o->detailed = 1; break;
	case SM_CPT_OPT_HIDE_HEADER: o->hide_header = 1; break;
	case SM_CPT_OPT_MESSAGES: o->have_messages = 1; return -sm_cpt_num("messages", arg, &o->messages);
	case SM_CPT_OPT_FETCH_SIZE: return -sm_cpt_num("fetch-size", arg, &o->fetch_size);
	case SM_CPT_OPT_SOCKET_BUF: return -sm_cpt_num("socket-buffer-size", arg, &o->socket_buffer);
	case SM_CPT_OPT_THREADS: return -sm_cpt_num("threads", arg, &ignored);
	case SM_CPT_OPT_TIMEOUT: return -sm_cpt_num("timeout", arg, &o->timeout);
	case SM_CPT_OPT_INTERVAL: return -sm_cpt_num("reporting-interval", arg, &o->reporting_interval);
	case SM_CPT_OPT_METRICS:
		fprintf(stderr, "--print-metrics is not supported (the librdkafka consumer has no Java "
				"client metrics)\n");
		return 1;
	case SM_CPT_OPT_HELP: sm_cpt_usage(stdout); return 2;
	default: sm_cpt_usage(stderr); return 1;
	}
	return 0;
}

static int sm_cpt_parse(sm_cpt_opts_t *o, int argc, char **argv)
{
	int c, r;
	while ((c = getopt_long(argc, argv, "", sm_cpt_longopts, NULL)) != -1)
		if ((r = sm_cpt_option(o, c, optarg)) != 0)
			return r;
	if (argc == 1) {
		sm_cpt_usage(stderr);
		return 1;
	}
	const char *missing = !o->bootstrap && !o->broker_list ? "bootstrap-server"
			      : !o->topic ? "topic" : !o->have_messages ? "messages" : NULL;
	if (missing) {
		fprintf(stderr, "Missing required argument \"[%s]\"\n", missing);
		sm_cpt_usage(stderr);
		return 1;
	}
	if (o->reporting_interval <= 0) {
		fprintf(stderr, "Exception in thread \"main\" java.lang.IllegalArgumentException: "
				"Reporting interval must be greater than 0.\n");
		return 1;
	}
	return 0;
}

static rd_kafka_t *sm_cpt_consumer(const sm_cpt_opts_t *o, sm_cpt_run_t *r)
{
	char err[512], num[32];
	sm_tool_props_t props;
	sm_tool_props_init(&props);
	if (o->config && sm_tool_props_load(&props, o->config, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		sm_tool_props_destroy(&props);
		return NULL;
	}
	sm_tool_props_set(&props, "bootstrap.servers", o->bootstrap ? o->bootstrap : o->broker_list);
	sm_tool_props_set(&props, "group.id", o->group);
	snprintf(num, sizeof(num), "%lld", o->socket_buffer);
	sm_tool_props_set(&props, "socket.receive.buffer.bytes", num);
	snprintf(num, sizeof(num), "%lld", o->fetch_size);
	sm_tool_props_set(&props, "max.partition.fetch.bytes", num);
	sm_tool_props_set(&props, "auto.offset.reset", o->from_latest ? "latest" : "earliest");
	sm_tool_props_set(&props, "check.crcs", "false");
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	for (size_t i = 0; i < props.cnt; i++) {
		const char *k = props.v[i].key;
		if (!strcmp(k, "key.deserializer") || !strcmp(k, "value.deserializer"))
			continue;
		if (rd_kafka_conf_set(conf, k, props.v[i].value, err, sizeof(err)) != RD_KAFKA_CONF_OK)
			fprintf(stderr, "Ignoring consumer property %s: %s\n", k, err);
	}
	sm_tool_props_destroy(&props);
	rd_kafka_conf_set_opaque(conf, r);
	rd_kafka_conf_set_rebalance_cb(conf, sm_cpt_rebalance);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	rd_kafka_poll_set_consumer(rk);
	return rk;
}

/* Counts one polled record (an error event is not a record). */
static int sm_cpt_count(sm_cpt_run_t *r, rd_kafka_message_t *m)
{
	if (m->err) {
		if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
			fprintf(stderr, "%s\n", rd_kafka_message_errstr(m));
		return 0;
	}
	r->messages++;
	r->bytes += (long long)(m->key_len + m->len);
	return 1;
}

/* Kafka's consume loop: poll until the count is reached or no record
 * arrived for the timeout. */
static void sm_cpt_consume(rd_kafka_t *rk, sm_cpt_run_t *r)
{
	const sm_cpt_opts_t *o = r->o;
	int64_t now = sm_cpt_now_ms(), last_report = now, last_consumed = now;
	r->join_start = now;
	while (r->messages < o->messages && now - last_consumed <= o->timeout) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, SM_CPT_POLL_MS);
		now = sm_cpt_now_ms();
		/* Drain what is already fetched, like one Java poll's batch. */
		while (m) {
			if (sm_cpt_count(r, m))
				last_consumed = now;
			rd_kafka_message_destroy(m);
			if (now - last_report >= o->reporting_interval) {
				if (o->detailed)
					sm_cpt_progress(r, last_report, now);
				r->join_round = 0;
				last_report = now;
				r->last_messages = r->messages;
				r->last_bytes = r->bytes;
			}
			m = r->messages < o->messages ? rd_kafka_consumer_poll(rk, 0) : NULL;
		}
	}
	if (r->messages < o->messages)
		printf("WARNING: Exiting before consuming the expected number of messages: timeout "
		       "(%lld ms) exceeded. You can use the --timeout option to increase the timeout.\n",
		       o->timeout);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	char group[32];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	srand((unsigned)(ts.tv_nsec ^ ts.tv_sec));
	snprintf(group, sizeof(group), "perf-consumer-%d", rand() % 100000);
	sm_cpt_opts_t o = { .group = group, .date_format = "yyyy-MM-dd HH:mm:ss:SSS",
			    .fetch_size = 1024 * 1024, .socket_buffer = 2 * 1024 * 1024,
			    .reporting_interval = 5000, .timeout = 10000 };
	int r = sm_cpt_parse(&o, argc, argv);
	if (r)
		return r == 2 ? 0 : 1;
	sm_cpt_run_t run = { .o = &o };
	if (!o.hide_header)
		sm_cpt_header(o.detailed);
	rd_kafka_t *rk = sm_cpt_consumer(&o, &run);
	if (!rk)
		return 1;
	rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(topics, o.topic, RD_KAFKA_PARTITION_UA);
	rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	if (e) {
		fprintf(stderr, "subscribe to %s failed: %s\n", o.topic, rd_kafka_err2str(e));
		rd_kafka_destroy(rk);
		return 1;
	}
	int64_t start = sm_cpt_now_ms();
	sm_cpt_consume(rk, &run);
	int64_t end = sm_cpt_now_ms();
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	if (!o.detailed)
		sm_cpt_summary(&run, start, end);
	return 0;
}
