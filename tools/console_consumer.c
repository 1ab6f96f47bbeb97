/*
 * console_consumer.c - kafka-console-consumer: prints a topic's records.
 *
 * Mirrors kafka.tools.ConsoleConsumer (Kafka 2.8): same options, the
 * DefaultMessageFormatter output and "Processed a total of N messages" on
 * stderr at exit. One deliberate difference: without --group no consumer
 * group is used at all; the partitions come from metadata and are assigned
 * directly (the Java tool invents a throw-away group instead), so the tool
 * works against brokers with no group coordinator.
 *
 * Thread-safety: single-threaded; the signal handler only sets a flag.
 */
#include "tool_common.h"

#include <getopt.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SM_CCONS_LOGGER "kafka.tools.ConsoleConsumer$"

typedef struct sm_ccons_opts {
	const char *bootstrap;
	const char *topic;
	const char *group;
	const char *offset;		/* earliest | latest | N */
	const char *isolation;
	int from_beginning;
	int32_t partition;		/* -1 = all */
	int64_t max_messages;		/* -1 = unlimited */
	int64_t timeout_ms;		/* -1 = wait forever */
	sm_tool_props_t fmt_props;	/* --property */
	sm_tool_props_t client_props;	/* --consumer.config, --consumer-property */
} sm_ccons_opts_t;

enum {
	SM_CCONS_OPT_BOOTSTRAP = 256,
	SM_CCONS_OPT_TOPIC,
	SM_CCONS_OPT_GROUP,
	SM_CCONS_OPT_PARTITION,
	SM_CCONS_OPT_OFFSET,
	SM_CCONS_OPT_FROM_BEGINNING,
	SM_CCONS_OPT_MAX_MESSAGES,
	SM_CCONS_OPT_TIMEOUT_MS,
	SM_CCONS_OPT_PROPERTY,
	SM_CCONS_OPT_CONSUMER_PROPERTY,
	SM_CCONS_OPT_CONSUMER_CONFIG,
	SM_CCONS_OPT_ISOLATION,
	SM_CCONS_OPT_IGNORED_ARG,
	SM_CCONS_OPT_IGNORED_FLAG,
	SM_CCONS_OPT_HELP,
};

static const struct option sm_ccons_longopts[] = {
	{ "bootstrap-server", required_argument, NULL, SM_CCONS_OPT_BOOTSTRAP },
	{ "topic", required_argument, NULL, SM_CCONS_OPT_TOPIC },
	{ "group", required_argument, NULL, SM_CCONS_OPT_GROUP },
	{ "partition", required_argument, NULL, SM_CCONS_OPT_PARTITION },
	{ "offset", required_argument, NULL, SM_CCONS_OPT_OFFSET },
	{ "from-beginning", no_argument, NULL, SM_CCONS_OPT_FROM_BEGINNING },
	{ "max-messages", required_argument, NULL, SM_CCONS_OPT_MAX_MESSAGES },
	{ "timeout-ms", required_argument, NULL, SM_CCONS_OPT_TIMEOUT_MS },
	{ "property", required_argument, NULL, SM_CCONS_OPT_PROPERTY },
	{ "consumer-property", required_argument, NULL,
	  SM_CCONS_OPT_CONSUMER_PROPERTY },
	{ "consumer.config", required_argument, NULL,
	  SM_CCONS_OPT_CONSUMER_CONFIG },
	{ "isolation-level", required_argument, NULL, SM_CCONS_OPT_ISOLATION },
	/* Java-only knobs: accepted so existing command lines still run. */
	{ "formatter", required_argument, NULL, SM_CCONS_OPT_IGNORED_ARG },
	{ "key-deserializer", required_argument, NULL, SM_CCONS_OPT_IGNORED_ARG },
	{ "value-deserializer", required_argument, NULL,
	  SM_CCONS_OPT_IGNORED_ARG },
	{ "skip-message-on-error", no_argument, NULL, SM_CCONS_OPT_IGNORED_FLAG },
	{ "enable-systest-events", no_argument, NULL,
	  SM_CCONS_OPT_IGNORED_FLAG },
	{ "help", no_argument, NULL, SM_CCONS_OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static volatile sig_atomic_t sm_ccons_stop;

static void sm_ccons_on_signal(int sig)
{
	(void)sig;
	sm_ccons_stop = 1;
}

static void sm_ccons_usage(FILE *out)
{
	fprintf(out,
		"This tool helps to read data from Kafka topics and outputs it to standard output.\n"
		"Option                                   Description\n"
		"------                                   -----------\n"
		"--bootstrap-server <server(s)>           REQUIRED: host:port[,host:port]\n"
		"--topic <topic>                          REQUIRED: the topic to consume\n"
		"--group <group>                          consumer group (default: none, partitions are assigned directly)\n"
		"--partition <n>                          consume only this partition\n"
		"--offset <earliest|latest|n>             start offset (needs --partition; default: latest)\n"
		"--from-beginning                         start at the earliest offset\n"
		"--max-messages <n>                       exit after n messages\n"
		"--timeout-ms <ms>                        exit after ms without a message\n"
		"--property <prop>                        formatter settings: print.timestamp, print.key,\n"
		"                                         print.offset, print.partition, print.headers,\n"
		"                                         print.value, key.separator, line.separator,\n"
		"                                         headers.separator, null.literal\n"
		"--consumer-property <prop>               consumer setting key=value\n"
		"--consumer.config <file>                 consumer settings file\n"
		"--isolation-level <level>                read_committed or read_uncommitted (default)\n");
}

static int sm_ccons_bad(const char *msg)
{
	fprintf(stderr, "%s\n", msg);
	sm_ccons_usage(stderr);
	return -1;
}

static int sm_ccons_number(const char *arg, const char *name, int64_t *out)
{
	char msg[256];

	if (sm_tool_parse_i64(arg, out) == 0)
		return 0;
	snprintf(msg, sizeof(msg), "Invalid value '%s' for --%s", arg, name);
	return sm_ccons_bad(msg);
}

static int sm_ccons_opt(sm_ccons_opts_t *o, int c, const char *arg)
{
	char err[512];
	int64_t v;

	switch (c) {
	case SM_CCONS_OPT_BOOTSTRAP: o->bootstrap = arg; break;
	case SM_CCONS_OPT_TOPIC: o->topic = arg; break;
	case SM_CCONS_OPT_GROUP: o->group = arg; break;
	case SM_CCONS_OPT_PARTITION:
		if (sm_ccons_number(arg, "partition", &v))
			return -1;
		if (v < 0 || v > INT32_MAX)
			return sm_ccons_bad("Invalid --partition");
		o->partition = (int32_t)v;
		break;
	case SM_CCONS_OPT_OFFSET: o->offset = arg; break;
	case SM_CCONS_OPT_FROM_BEGINNING: o->from_beginning = 1; break;
	case SM_CCONS_OPT_MAX_MESSAGES:
		return sm_ccons_number(arg, "max-messages", &o->max_messages);
	case SM_CCONS_OPT_TIMEOUT_MS:
		return sm_ccons_number(arg, "timeout-ms", &o->timeout_ms);
	case SM_CCONS_OPT_PROPERTY:
		if (sm_tool_props_add_kv(&o->fmt_props, arg))
			return sm_ccons_bad("Invalid --property: expected key=value");
		break;
	case SM_CCONS_OPT_CONSUMER_PROPERTY:
		if (sm_tool_props_add_kv(&o->client_props, arg))
			return sm_ccons_bad("Invalid --consumer-property: expected key=value");
		break;
	case SM_CCONS_OPT_CONSUMER_CONFIG:
		if (sm_tool_props_load(&o->client_props, arg, err, sizeof(err)))
			return sm_ccons_bad(err);
		break;
	case SM_CCONS_OPT_ISOLATION: o->isolation = arg; break;
	case SM_CCONS_OPT_IGNORED_ARG:
	case SM_CCONS_OPT_IGNORED_FLAG:
		break;
	case SM_CCONS_OPT_HELP:
		sm_ccons_usage(stdout);
		exit(0);
	default:
		return sm_ccons_bad("Unrecognized option");
	}
	return 0;
}

static int sm_ccons_check(sm_ccons_opts_t *o)
{
	int64_t v;

	if (!o->bootstrap)
		return sm_ccons_bad("Missing required argument \"[bootstrap-server]\"");
	if (!o->topic)
		return sm_ccons_bad("Exactly one of whitelist/topic is required.");
	if (o->offset) {
		if (o->partition < 0)
			return sm_ccons_bad("The partition is required when offset is specified.");
		if (o->from_beginning)
			return sm_ccons_bad("Options from-beginning and offset cannot be specified together.");
		if (strcmp(o->offset, "earliest") && strcmp(o->offset, "latest") &&
		    (sm_tool_parse_i64(o->offset, &v) || v < 0))
			return sm_ccons_bad("The provided offset value is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.");
	}
	if (o->isolation && strcmp(o->isolation, "read_committed") &&
	    strcmp(o->isolation, "read_uncommitted"))
		return sm_ccons_bad("Invalid --isolation-level: use read_committed or read_uncommitted");
	return 0;
}

static int sm_ccons_parse_args(sm_ccons_opts_t *o, int argc, char **argv)
{
	int c;

	while ((c = getopt_long(argc, argv, "", sm_ccons_longopts, NULL)) != -1)
		if (sm_ccons_opt(o, c, optarg))
			return -1;
	if (optind < argc)
		return sm_ccons_bad("Unexpected non-option argument");
	return sm_ccons_check(o);
}

static int sm_ccons_set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
	char err[512];

	if (!v)
		return 0;
	if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) !=
	    RD_KAFKA_CONF_OK) {
		fprintf(stderr, "Invalid consumer setting %s=%s: %s\n", k, v,
			err);
		return -1;
	}
	return 0;
}

static rd_kafka_conf_t *sm_ccons_conf(const sm_ccons_opts_t *o)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	int bad = 0;

	bad |= sm_ccons_set(conf, "client.id", "console-consumer");
	/* The Java consumer's default, unlike librdkafka's read_committed. */
	bad |= sm_ccons_set(conf, "isolation.level", "read_uncommitted");
	bad |= sm_ccons_set(conf, "enable.partition.eof", "false");
	for (size_t i = 0; i < o->client_props.cnt; i++)
		bad |= sm_ccons_set(conf, o->client_props.v[i].key,
				    o->client_props.v[i].value);
	bad |= sm_ccons_set(conf, "bootstrap.servers", o->bootstrap);
	bad |= sm_ccons_set(conf, "isolation.level", o->isolation);
	if (o->group) {
		bad |= sm_ccons_set(conf, "group.id", o->group);
		if (o->from_beginning)
			bad |= sm_ccons_set(conf, "auto.offset.reset", "earliest");
	} else {
		bad |= sm_ccons_set(conf, "enable.auto.commit", "false");
	}
	if (bad) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	return conf;
}

static int64_t sm_ccons_start_offset(const sm_ccons_opts_t *o)
{
	int64_t v;

	if (o->from_beginning)
		return RD_KAFKA_OFFSET_BEGINNING;
	if (!o->offset || !strcmp(o->offset, "latest"))
		return RD_KAFKA_OFFSET_END;
	if (!strcmp(o->offset, "earliest"))
		return RD_KAFKA_OFFSET_BEGINNING;
	sm_tool_parse_i64(o->offset, &v);
	return v;
}

static int64_t sm_ccons_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Asks for the topic's partition count until the topic shows up (it may be
 * being created right now) or the run is cut short. Returns -1 on give-up. */
static int sm_ccons_partition_count(rd_kafka_t *rk, const sm_ccons_opts_t *o)
{
	int64_t deadline = o->timeout_ms >= 0 ?
			   sm_ccons_now_ms() + o->timeout_ms : -1;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
	int cnt = -1;

	while (!sm_ccons_stop) {
		const struct rd_kafka_metadata *md = NULL;
		rd_kafka_resp_err_t err;

		err = rd_kafka_metadata(rk, 0, rkt, &md, 5000);
		if (!err && md->topic_cnt == 1 && !md->topics[0].err &&
		    md->topics[0].partition_cnt > 0)
			cnt = md->topics[0].partition_cnt;
		else if (!err)
			err = md->topic_cnt == 1 ? md->topics[0].err :
			      RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
		if (md)
			rd_kafka_metadata_destroy(md);
		if (cnt > 0)
			break;
		if (deadline >= 0 && sm_ccons_now_ms() >= deadline) {
			sm_tool_log("ERROR", SM_CCONS_LOGGER,
				    "Cannot get partitions of topic %s: %s",
				    o->topic, rd_kafka_err2str(err));
			break;
		}
		struct timespec pause = { 0, 250 * 1000000L };
		nanosleep(&pause, NULL);
	}
	rd_kafka_topic_destroy(rkt);
	return cnt;
}

/* Where records come from: a group subscription (--group without
 * --partition) through the high-level consumer, or a direct, group-less
 * fetch of chosen partitions through librdkafka's partition consumer,
 * which never contacts a group coordinator. */
typedef struct sm_ccons_source {
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;		/* NULL in group mode */
	rd_kafka_queue_t *rkqu;
	int32_t first;
	int cnt;
} sm_ccons_source_t;

static int sm_ccons_subscribe(sm_ccons_source_t *src, const sm_ccons_opts_t *o)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_resp_err_t err;

	rd_kafka_topic_partition_list_add(l, o->topic, RD_KAFKA_PARTITION_UA);
	rd_kafka_poll_set_consumer(src->rk);
	err = rd_kafka_subscribe(src->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (err) {
		sm_tool_log("ERROR", SM_CCONS_LOGGER, "Cannot subscribe to %s: %s",
			    o->topic, rd_kafka_err2str(err));
		return -1;
	}
	return 0;
}

static int sm_ccons_start(sm_ccons_source_t *src, const sm_ccons_opts_t *o)
{
	int64_t start = sm_ccons_start_offset(o);

	if (o->group && o->partition < 0)
		return sm_ccons_subscribe(src, o);
	if (o->partition >= 0) {
		src->first = o->partition;
		src->cnt = 1;
	} else if ((src->cnt = sm_ccons_partition_count(src->rk, o)) < 0) {
		src->cnt = 0;
		return -1;
	}
	src->rkt = rd_kafka_topic_new(src->rk, o->topic, NULL);
	src->rkqu = rd_kafka_queue_new(src->rk);
	for (int i = 0; i < src->cnt; i++) {
		if (rd_kafka_consume_start_queue(src->rkt, src->first + i, start,
						 src->rkqu) == -1) {
			sm_tool_log("ERROR", SM_CCONS_LOGGER,
				    "Cannot start consuming %s-%d: %s", o->topic,
				    (int)(src->first + i),
				    rd_kafka_err2str(rd_kafka_last_error()));
			src->cnt = i;
			return -1;
		}
	}
	return 0;
}

static rd_kafka_message_t *sm_ccons_next(sm_ccons_source_t *src, int ms)
{
	if (src->rkqu)
		return rd_kafka_consume_queue(src->rkqu, ms);
	return rd_kafka_consumer_poll(src->rk, ms);
}

static void sm_ccons_finish(sm_ccons_source_t *src)
{
	for (int i = 0; i < src->cnt; i++)
		rd_kafka_consume_stop(src->rkt, src->first + i);
	if (src->rkqu)
		rd_kafka_queue_destroy(src->rkqu);
	if (src->rkt)
		rd_kafka_topic_destroy(src->rkt);
	if (!src->rkt)
		rd_kafka_consumer_close(src->rk);
}

static void sm_ccons_print(const sm_tool_formatter_t *f,
			   const rd_kafka_message_t *m)
{
	rd_kafka_timestamp_type_t tstype;
	rd_kafka_headers_t *hdrs = NULL;
	sm_tool_record_t rec;

	sm_tool_record_init(&rec);
	rec.key = m->key;
	rec.key_len = m->key_len;
	rec.value = m->payload;
	rec.value_len = m->len;
	rec.partition = m->partition;
	rec.offset = m->offset;
	rec.timestamp = rd_kafka_message_timestamp(m, &tstype);
	rec.ts_type = tstype == RD_KAFKA_TIMESTAMP_CREATE_TIME ?
		      SM_TOOL_TS_CREATE :
		      tstype == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ?
		      SM_TOOL_TS_LOG_APPEND : SM_TOOL_TS_NONE;
	if (f->print_headers && !rd_kafka_message_headers(m, &hdrs)) {
		const char *name;
		const void *val;
		size_t size;

		for (size_t i = 0;
		     !rd_kafka_header_get_all(hdrs, i, &name, &val, &size); i++)
			sm_tool_record_add_header(&rec, name, strlen(name),
						  val, size);
	}
	sm_tool_format(f, &rec, stdout);
	sm_tool_record_destroy(&rec);
}

/* Returns the number of records printed. */
static int64_t sm_ccons_loop(sm_ccons_source_t *src, const sm_ccons_opts_t *o,
			     const sm_tool_formatter_t *f)
{
	int64_t n = 0, last = sm_ccons_now_ms();

	while (!sm_ccons_stop && (o->max_messages < 0 || n < o->max_messages)) {
		rd_kafka_message_t *m = sm_ccons_next(src, 100);

		if (!m) {
			fflush(stdout);
			if (o->timeout_ms >= 0 &&
			    sm_ccons_now_ms() - last >= o->timeout_ms) {
				/* What the Java tool prints when its poll
				 * times out; it still exits 0. */
				sm_tool_log("ERROR", SM_CCONS_LOGGER,
					    "Error processing message, terminating consumer process: ");
				fputs("org.apache.kafka.common.errors.TimeoutException\n",
				      stderr);
				break;
			}
			continue;
		}
		if (m->err) {
			if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
				sm_tool_log("WARN", SM_CCONS_LOGGER,
					    "Consumer error: %s",
					    rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			continue;
		}
		sm_ccons_print(f, m);
		rd_kafka_message_destroy(m);
		last = sm_ccons_now_ms();
		n++;
	}
	fflush(stdout);
	return n;
}

static void sm_ccons_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sm_ccons_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	sm_ccons_opts_t o;
	sm_tool_formatter_t f;
	sm_ccons_source_t src = { 0 };
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	char err[512];
	int64_t n;
	int rc = 1;

	memset(&o, 0, sizeof(o));
	o.partition = -1;
	o.max_messages = -1;
	o.timeout_ms = -1;
	sm_tool_props_init(&o.fmt_props);
	sm_tool_props_init(&o.client_props);
	if (sm_ccons_parse_args(&o, argc, argv))
		goto out;
	sm_tool_formatter_init(&f, &o.fmt_props);
	if (!(conf = sm_ccons_conf(&o)))
		goto out;
	if (!(rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err)))) {
		fprintf(stderr, "ERROR: cannot create consumer: %s\n", err);
		rd_kafka_conf_destroy(conf);
		goto out;
	}
	sm_ccons_signals();
	n = 0;
	src.rk = rk;
	if (sm_ccons_start(&src, &o) == 0) {
		n = sm_ccons_loop(&src, &o, &f);
		rc = 0;
	}
	sm_ccons_finish(&src);
	rd_kafka_destroy(rk);
	fprintf(stderr, "Processed a total of %lld messages\n", (long long)n);
out:
	sm_tool_props_destroy(&o.fmt_props);
	sm_tool_props_destroy(&o.client_props);
	return rc;
}
