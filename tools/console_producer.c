/*
 * console_producer.c - kafka-console-producer: one record per stdin line.
 *
 * Mirrors kafka.tools.ConsoleProducer (Kafka 2.8): same options, the same
 * LineMessageReader properties (parse.key, key.separator, parse.headers,
 * ...), the same defaults (acks=1, linger 1000 ms, 3 retries, request
 * timeout 1500 ms) and keyed records land on the partitions the Java
 * producer would pick (murmur2). Exits non-zero if any record could not be
 * delivered, after reporting each failure on stderr.
 *
 * Thread-safety: single-threaded; delivery reports run inside rd_kafka_poll
 * on the main thread.
 */
#include "tool_common.h"

#include <getopt.h>
#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SM_CPROD_LOGGER "kafka.tools.ConsoleProducer$"

typedef struct sm_cprod_opts {
	const char *bootstrap;
	const char *topic;
	const char *acks;
	const char *compression;
	const char *linger_ms;
	const char *batch_size;
	const char *retries;
	const char *retry_backoff_ms;
	const char *request_timeout_ms;
	const char *metadata_expiry_ms;
	const char *socket_buffer_size;
	int sync;
	sm_tool_props_t reader_props;	/* --property */
	sm_tool_props_t client_props;	/* --producer.config, --producer-property */
} sm_cprod_opts_t;

typedef struct sm_cprod_state {
	const char *topic;
	long failed;
	long delivered;
} sm_cprod_state_t;

enum {
	SM_CPROD_OPT_BOOTSTRAP = 256,
	SM_CPROD_OPT_TOPIC,
	SM_CPROD_OPT_PROPERTY,
	SM_CPROD_OPT_PRODUCER_PROPERTY,
	SM_CPROD_OPT_PRODUCER_CONFIG,
	SM_CPROD_OPT_ACKS,
	SM_CPROD_OPT_COMPRESSION,
	SM_CPROD_OPT_SYNC,
	SM_CPROD_OPT_TIMEOUT,
	SM_CPROD_OPT_BATCH_SIZE,
	SM_CPROD_OPT_RETRIES,
	SM_CPROD_OPT_RETRY_BACKOFF,
	SM_CPROD_OPT_REQUEST_TIMEOUT,
	SM_CPROD_OPT_METADATA_EXPIRY,
	SM_CPROD_OPT_SOCKET_BUFFER,
	SM_CPROD_OPT_IGNORED,
	SM_CPROD_OPT_HELP,
};

static const struct option sm_cprod_longopts[] = {
	{ "bootstrap-server", required_argument, NULL, SM_CPROD_OPT_BOOTSTRAP },
	{ "broker-list", required_argument, NULL, SM_CPROD_OPT_BOOTSTRAP },
	{ "topic", required_argument, NULL, SM_CPROD_OPT_TOPIC },
	{ "property", required_argument, NULL, SM_CPROD_OPT_PROPERTY },
	{ "producer-property", required_argument, NULL,
	  SM_CPROD_OPT_PRODUCER_PROPERTY },
	{ "producer.config", required_argument, NULL,
	  SM_CPROD_OPT_PRODUCER_CONFIG },
	{ "request-required-acks", required_argument, NULL, SM_CPROD_OPT_ACKS },
	{ "compression-codec", optional_argument, NULL,
	  SM_CPROD_OPT_COMPRESSION },
	{ "sync", no_argument, NULL, SM_CPROD_OPT_SYNC },
	{ "timeout", required_argument, NULL, SM_CPROD_OPT_TIMEOUT },
	{ "batch-size", required_argument, NULL, SM_CPROD_OPT_BATCH_SIZE },
	{ "message-send-max-retries", required_argument, NULL,
	  SM_CPROD_OPT_RETRIES },
	{ "retry-backoff-ms", required_argument, NULL,
	  SM_CPROD_OPT_RETRY_BACKOFF },
	{ "request-timeout-ms", required_argument, NULL,
	  SM_CPROD_OPT_REQUEST_TIMEOUT },
	{ "metadata-expiry-ms", required_argument, NULL,
	  SM_CPROD_OPT_METADATA_EXPIRY },
	{ "socket-buffer-size", required_argument, NULL,
	  SM_CPROD_OPT_SOCKET_BUFFER },
	/* Accepted for compatibility; librdkafka sizes its queues itself. */
	{ "max-block-ms", required_argument, NULL, SM_CPROD_OPT_IGNORED },
	{ "max-memory-bytes", required_argument, NULL, SM_CPROD_OPT_IGNORED },
	{ "max-partition-memory-bytes", required_argument, NULL,
	  SM_CPROD_OPT_IGNORED },
	{ "line-reader", required_argument, NULL, SM_CPROD_OPT_IGNORED },
	{ "help", no_argument, NULL, SM_CPROD_OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static void sm_cprod_usage(FILE *out)
{
	fprintf(out,
		"This tool helps to read data from standard input and publish it to Kafka.\n"
		"Option                                   Description\n"
		"------                                   -----------\n"
		"--bootstrap-server <server(s)>           REQUIRED unless --broker-list is given: host:port[,host:port]\n"
		"--broker-list <server(s)>                DEPRECATED, use --bootstrap-server\n"
		"--topic <topic>                          REQUIRED: the topic to produce to\n"
		"--property <prop>                        line reader settings: parse.key, key.separator,\n"
		"                                         parse.headers, headers.delimiter, headers.separator,\n"
		"                                         headers.key.separator, null.marker, ignore.error\n"
		"--producer-property <prop>               producer setting key=value\n"
		"--producer.config <file>                 producer settings file\n"
		"--request-required-acks <acks>           (default: 1)\n"
		"--compression-codec [none|gzip|snappy|lz4|zstd]  (flag alone: gzip)\n"
		"--sync                                   send each record synchronously\n"
		"--timeout <ms>                           linger time (default: 1000)\n"
		"--batch-size <n>                         (default: 16384)\n"
		"--message-send-max-retries <n>           (default: 3)\n"
		"--retry-backoff-ms <ms>                  (default: 100)\n"
		"--request-timeout-ms <ms>                (default: 1500)\n"
		"--metadata-expiry-ms <ms>                (default: 300000)\n"
		"--socket-buffer-size <bytes>             (default: 102400)\n");
}

static int sm_cprod_bad(const char *msg)
{
	fprintf(stderr, "%s\n", msg);
	sm_cprod_usage(stderr);
	return -1;
}

static int sm_cprod_opt(sm_cprod_opts_t *o, int c, const char *arg)
{
	char err[512];

	switch (c) {
	case SM_CPROD_OPT_BOOTSTRAP: o->bootstrap = arg; break;
	case SM_CPROD_OPT_TOPIC: o->topic = arg; break;
	case SM_CPROD_OPT_PROPERTY:
		if (sm_tool_props_add_kv(&o->reader_props, arg))
			return sm_cprod_bad("Invalid --property: expected key=value");
		break;
	case SM_CPROD_OPT_PRODUCER_PROPERTY:
		if (sm_tool_props_add_kv(&o->client_props, arg))
			return sm_cprod_bad("Invalid --producer-property: expected key=value");
		break;
	case SM_CPROD_OPT_PRODUCER_CONFIG:
		if (sm_tool_props_load(&o->client_props, arg, err, sizeof(err)))
			return sm_cprod_bad(err);
		break;
	case SM_CPROD_OPT_ACKS: o->acks = arg; break;
	case SM_CPROD_OPT_COMPRESSION: o->compression = arg ? arg : "gzip"; break;
	case SM_CPROD_OPT_SYNC: o->sync = 1; break;
	case SM_CPROD_OPT_TIMEOUT: o->linger_ms = arg; break;
	case SM_CPROD_OPT_BATCH_SIZE: o->batch_size = arg; break;
	case SM_CPROD_OPT_RETRIES: o->retries = arg; break;
	case SM_CPROD_OPT_RETRY_BACKOFF: o->retry_backoff_ms = arg; break;
	case SM_CPROD_OPT_REQUEST_TIMEOUT: o->request_timeout_ms = arg; break;
	case SM_CPROD_OPT_METADATA_EXPIRY: o->metadata_expiry_ms = arg; break;
	case SM_CPROD_OPT_SOCKET_BUFFER: o->socket_buffer_size = arg; break;
	case SM_CPROD_OPT_IGNORED: break;
	case SM_CPROD_OPT_HELP:
		sm_cprod_usage(stdout);
		exit(0);
	default:
		return sm_cprod_bad("Unrecognized option");
	}
	return 0;
}

static int sm_cprod_parse_args(sm_cprod_opts_t *o, int argc, char **argv)
{
	int c;

	while ((c = getopt_long(argc, argv, "", sm_cprod_longopts, NULL)) != -1)
		if (sm_cprod_opt(o, c, optarg))
			return -1;
	if (optind < argc)
		return sm_cprod_bad("Unexpected non-option argument");
	if (!o->bootstrap)
		return sm_cprod_bad("Missing required argument \"[bootstrap-server]\"");
	if (!o->topic)
		return sm_cprod_bad("Missing required argument \"[topic]\"");
	if (o->compression && strcmp(o->compression, "none") &&
	    strcmp(o->compression, "gzip") && strcmp(o->compression, "snappy") &&
	    strcmp(o->compression, "lz4") && strcmp(o->compression, "zstd"))
		return sm_cprod_bad("Invalid --compression-codec: use none, gzip, snappy, lz4 or zstd");
	return 0;
}

static int sm_cprod_set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
	char err[512];

	if (!v)
		return 0;
	if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) !=
	    RD_KAFKA_CONF_OK) {
		fprintf(stderr, "Invalid producer setting %s=%s: %s\n", k, v,
			err);
		return -1;
	}
	return 0;
}

/* Tool defaults first, then the user's files and properties, then the
 * explicit flags, so the most specific source wins. */
static rd_kafka_conf_t *sm_cprod_conf(const sm_cprod_opts_t *o)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	int bad = 0;

	bad |= sm_cprod_set(conf, "client.id", "console-producer");
	bad |= sm_cprod_set(conf, "acks", "1");
	bad |= sm_cprod_set(conf, "linger.ms", "1000");
	bad |= sm_cprod_set(conf, "retries", "3");
	bad |= sm_cprod_set(conf, "request.timeout.ms", "1500");
	bad |= sm_cprod_set(conf, "message.timeout.ms", "120000");
	bad |= sm_cprod_set(conf, "partitioner", "murmur2_random");
	for (size_t i = 0; i < o->client_props.cnt; i++)
		bad |= sm_cprod_set(conf, o->client_props.v[i].key,
				    o->client_props.v[i].value);
	bad |= sm_cprod_set(conf, "bootstrap.servers", o->bootstrap);
	bad |= sm_cprod_set(conf, "acks", o->acks);
	bad |= sm_cprod_set(conf, "compression.codec", o->compression);
	bad |= sm_cprod_set(conf, "linger.ms", o->sync ? "0" : o->linger_ms);
	bad |= sm_cprod_set(conf, "batch.size", o->batch_size);
	bad |= sm_cprod_set(conf, "retries", o->retries);
	bad |= sm_cprod_set(conf, "retry.backoff.ms", o->retry_backoff_ms);
	bad |= sm_cprod_set(conf, "request.timeout.ms", o->request_timeout_ms);
	bad |= sm_cprod_set(conf, "metadata.max.age.ms", o->metadata_expiry_ms);
	bad |= sm_cprod_set(conf, "socket.send.buffer.bytes",
			    o->socket_buffer_size);
	if (bad) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	return conf;
}

static void sm_cprod_dr(rd_kafka_t *rk, const rd_kafka_message_t *m,
			void *opaque)
{
	sm_cprod_state_t *st = opaque;

	(void)rk;
	if (!m->err) {
		st->delivered++;
		return;
	}
	st->failed++;
	sm_tool_log("ERROR", "org.apache.kafka.clients.producer.internals.ErrorLoggingCallback",
		    "Error when sending message to topic %s with key: %s, value: %zu bytes with error: %s",
		    st->topic, m->key ? "present" : "null", m->len,
		    rd_kafka_err2str(m->err));
}

static int sm_cprod_send(rd_kafka_t *rk, const char *topic,
			 const sm_tool_record_t *rec, int sync)
{
	rd_kafka_headers_t *hdrs = NULL;
	rd_kafka_resp_err_t err;
	/* RD_KAFKA_MSG_F_COPY: librdkafka copies, it never writes through
	 * the value pointer despite the non-const API. */
	void *value = (void *)(uintptr_t)rec->value;

	if (rec->header_cnt) {
		hdrs = rd_kafka_headers_new(rec->header_cnt);
		for (size_t i = 0; i < rec->header_cnt; i++)
			rd_kafka_header_add(hdrs, rec->headers[i].key,
					    (ssize_t)rec->headers[i].key_len,
					    rec->headers[i].value,
					    (ssize_t)rec->headers[i].value_len);
	}
	for (;;) {
		err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
			RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			RD_KAFKA_V_KEY(rec->key, rec->key_len),
			RD_KAFKA_V_VALUE(value, rec->value_len),
			RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		/* Back-pressure: the Java tool blocks in send() the same way. */
		rd_kafka_poll(rk, 100);
	}
	if (err) {
		if (hdrs)
			rd_kafka_headers_destroy(hdrs);
		fprintf(stderr, "ERROR: cannot send to topic %s: %s\n", topic,
			rd_kafka_err2str(err));
		return -1;
	}
	if (sync)
		rd_kafka_flush(rk, -1);
	else
		rd_kafka_poll(rk, 0);
	return 0;
}

/* Reads stdin to the end; returns the number of lines that could not be
 * turned into records or handed to the client. */
static long sm_cprod_pump(rd_kafka_t *rk, const sm_cprod_opts_t *o,
			  const sm_tool_line_reader_t *lr)
{
	int prompt = isatty(STDIN_FILENO);
	sm_tool_record_t rec;
	char *line = NULL, err[1024];
	size_t cap = 0;
	ssize_t n;
	long lineno = 0, bad = 0;

	sm_tool_record_init(&rec);
	for (;;) {
		if (prompt) {
			fputs(">", stdout);
			fflush(stdout);
		}
		if ((n = getline(&line, &cap, stdin)) < 0)
			break;
		lineno++;
		/* readLine() semantics: "\n", "\r\n" and a lone "\r" end lines. */
		if (n > 0 && line[n - 1] == '\n')
			n--;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (sm_tool_line_parse(lr, line, (size_t)n, lineno, &rec, err,
				       sizeof(err))) {
			sm_tool_log("ERROR", SM_CPROD_LOGGER, "%s", err);
			bad++;
			break;
		}
		if (sm_cprod_send(rk, o->topic, &rec, o->sync))
			bad++;
	}
	free(line);
	sm_tool_record_destroy(&rec);
	return bad;
}

int main(int argc, char **argv)
{
	sm_cprod_opts_t o;
	sm_cprod_state_t st = { 0 };
	sm_tool_line_reader_t lr;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	char err[512];
	long bad;
	int rc = 1;

	memset(&o, 0, sizeof(o));
	sm_tool_props_init(&o.reader_props);
	sm_tool_props_init(&o.client_props);
	if (sm_cprod_parse_args(&o, argc, argv))
		goto out;
	if (sm_tool_line_reader_init(&lr, &o.reader_props, err, sizeof(err))) {
		sm_cprod_bad(err);
		goto out;
	}
	if (!(conf = sm_cprod_conf(&o)))
		goto out;
	st.topic = o.topic;
	rd_kafka_conf_set_opaque(conf, &st);
	rd_kafka_conf_set_dr_msg_cb(conf, sm_cprod_dr);
	if (!(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err)))) {
		fprintf(stderr, "ERROR: cannot create producer: %s\n", err);
		rd_kafka_conf_destroy(conf);
		goto out;
	}
	bad = sm_cprod_pump(rk, &o, &lr);
	/* flush() waits out message.timeout.ms at worst, so every record is
	 * either delivered or reported before we decide the exit status. */
	while (rd_kafka_outq_len(rk) > 0)
		rd_kafka_flush(rk, 1000);
	rd_kafka_destroy(rk);
	rc = (bad || st.failed) ? 1 : 0;
out:
	sm_tool_props_destroy(&o.reader_props);
	sm_tool_props_destroy(&o.client_props);
	return rc;
}
