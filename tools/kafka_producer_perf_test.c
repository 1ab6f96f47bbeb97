/*
 * kafka_producer_perf_test.c - kafka-producer-perf-test: Kafka's
 * org.apache.kafka.tools.ProducerPerformance (2.8) over librdkafka. Sends
 * --num-records records of --record-size bytes (or payloads drawn from
 * --payload-file) to one topic, optionally throttled to --throughput
 * records/s, and measures each record's latency from the send call to its
 * delivery report. Prints Kafka's progress line every 5 s and its summary
 * line with the 50th/95th/99th/99.9th latency percentiles.
 *
 * The bootstrap servers come from --producer-props / --producer.config
 * (bootstrap.servers), as in Kafka. Kafka 2.8's producer defaults that
 * change what is measured are applied unless overridden: acks=1,
 * delivery.timeout.ms=120000, client.id=perf-producer-client.
 * --print-metrics and transactions are refused with a message.
 *
 * Thread-safety: single-threaded; delivery reports run inside
 * rd_kafka_poll on the main thread, which polls after every send (and
 * while throttled), so a report is seen as soon as librdkafka has it.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "tool_common.h"

#define SM_PPT_PROG "producer-performance"
#define SM_PPT_REPORT_MS 5000
#define SM_PPT_MAX_SAMPLES 500000

typedef struct sm_ppt_opts {
	const char *topic;
	long long num_records;
	int have_num_records;
	long long record_size;
	int have_record_size;
	const char *payload_file;
	const char *payload_delim;
	double throughput;
	int have_throughput;
	sm_tool_props_t props;
	int have_props;
	const char *config_file;
} sm_ppt_opts_t;

/* Kafka's ProducerPerformance.Stats: totals, a 5 s window and a sample of
 * latencies (every sampling-th record, at most 500,000 kept). */
typedef struct sm_ppt_stats {
	int64_t start;
	int *latencies;
	long long n_latencies;
	long long sampling;
	long long iteration;
	long long index;
	long long count;
	long long bytes;
	int max_latency;
	long long total_latency;
	long long window_count;
	int window_max_latency;
	long long window_total_latency;
	long long window_bytes;
	int64_t window_start;
} sm_ppt_stats_t;

/* One payload of --payload-file. */
typedef struct sm_ppt_payload {
	char *data;
	size_t len;
} sm_ppt_payload_t;

static int64_t sm_ppt_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* %.Nf the way Java's Formatter writes a double (NaN, Infinity). */
static void sm_ppt_fmt_double(char *buf, size_t len, int prec, double v)
{
	if (isnan(v))
		snprintf(buf, len, "NaN");
	else if (isinf(v))
		snprintf(buf, len, "%sInfinity", v < 0 ? "-" : "");
	else
		snprintf(buf, len, "%.*f", prec, v);
}

static void sm_ppt_stats_init(sm_ppt_stats_t *s, long long num_records)
{
	memset(s, 0, sizeof(*s));
	s->start = s->window_start = sm_ppt_now_ms();
	s->sampling = num_records / (num_records < SM_PPT_MAX_SAMPLES ? num_records
								       : SM_PPT_MAX_SAMPLES);
	s->n_latencies = num_records / s->sampling + 1;
	s->latencies = calloc((size_t)s->n_latencies, sizeof(int));
	if (!s->latencies)
		abort();
}

static void sm_ppt_stats_print_window(sm_ppt_stats_t *s)
{
	int64_t elapsed = sm_ppt_now_ms() - s->window_start;
	double recs = 1000.0 * (double)s->window_count / (double)elapsed;
	double mb = 1000.0 * (double)s->window_bytes / (double)elapsed / (1024.0 * 1024.0);
	char a[48], b[48], c[48];
	sm_ppt_fmt_double(a, sizeof(a), 1, recs);
	sm_ppt_fmt_double(b, sizeof(b), 2, mb);
	sm_ppt_fmt_double(c, sizeof(c), 1,
			  (double)s->window_total_latency / (double)s->window_count);
	printf("%lld records sent, %s records/sec (%s MB/sec), %s ms avg latency, "
	       "%.1f ms max latency.\n",
	       s->window_count, a, b, c, (double)s->window_max_latency);
	fflush(stdout);
}

static void sm_ppt_stats_record(sm_ppt_stats_t *s, int latency, size_t bytes, int64_t now)
{
	s->count++;
	s->bytes += (long long)bytes;
	s->total_latency += latency;
	if (latency > s->max_latency)
		s->max_latency = latency;
	s->window_count++;
	s->window_bytes += (long long)bytes;
	s->window_total_latency += latency;
	if (latency > s->window_max_latency)
		s->window_max_latency = latency;
	if (s->iteration % s->sampling == 0 && s->index < s->n_latencies)
		s->latencies[s->index++] = latency;
	if (now - s->window_start >= SM_PPT_REPORT_MS) {
		sm_ppt_stats_print_window(s);
		s->window_start = sm_ppt_now_ms();
		s->window_count = s->window_bytes = s->window_total_latency = 0;
		s->window_max_latency = 0;
	}
	s->iteration++;
}

static int sm_ppt_int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return x < y ? -1 : x > y;
}

static void sm_ppt_stats_print_total(sm_ppt_stats_t *s)
{
	static const double percs[4] = { 0.5, 0.95, 0.99, 0.999 };
	int64_t elapsed = sm_ppt_now_ms() - s->start;
	double recs = 1000.0 * (double)s->count / (double)elapsed;
	double mb = 1000.0 * (double)s->bytes / (double)elapsed / (1024.0 * 1024.0);
	long long size = s->index;
	int p[4] = { 0, 0, 0, 0 };
	qsort(s->latencies, (size_t)size, sizeof(int), sm_ppt_int_cmp);
	for (int i = 0; i < 4 && size > 0; i++)
		p[i] = s->latencies[(long long)(percs[i] * (double)size)];
	char a[48], b[48], c[48];
	sm_ppt_fmt_double(a, sizeof(a), 6, recs);
	sm_ppt_fmt_double(b, sizeof(b), 2, mb);
	sm_ppt_fmt_double(c, sizeof(c), 2, (double)s->total_latency / (double)s->count);
	printf("%lld records sent, %s records/sec (%s MB/sec), %s ms avg latency, "
	       "%.2f ms max latency, %d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.\n",
	       s->count, a, b, c, (double)s->max_latency, p[0], p[1], p[2], p[3]);
	fflush(stdout);
}

/* The Java exception a failed delivery surfaces as (printed on stderr). */
static const char *sm_ppt_exception(rd_kafka_resp_err_t e)
{
	switch (e) {
	case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
	case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
		return "org.apache.kafka.common.errors.TimeoutException";
	case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
		return "org.apache.kafka.common.errors.NotEnoughReplicasException";
	case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
		return "org.apache.kafka.common.errors.NotEnoughReplicasAfterAppendException";
	case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
		return "org.apache.kafka.common.errors.RecordTooLargeException";
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
		return "org.apache.kafka.common.errors.UnknownTopicOrPartitionException";
	default:
		return "org.apache.kafka.common.KafkaException";
	}
}

/* Delivery report: the record's send time rides in its opaque. Only
 * successful sends are counted, as in Kafka's PerfCallback. */
static void sm_ppt_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	sm_ppt_stats_t *s = opaque;
	(void)rk;
	int64_t now = sm_ppt_now_ms();
	int64_t sent = (int64_t)(intptr_t)m->_private;
	if (m->err) {
		fprintf(stderr, "%s: %s\n", sm_ppt_exception(m->err), rd_kafka_err2str(m->err));
		return;
	}
	sm_ppt_stats_record(s, (int)(now - sent), m->len, now);
}

static void sm_ppt_usage(FILE *out)
{
	fprintf(out,
		"usage: " SM_PPT_PROG " [-h] --topic TOPIC --num-records NUM-RECORDS\n"
		"                            (--record-size RECORD-SIZE | --payload-file PAYLOAD-FILE)\n"
		"                            [--payload-delimiter PAYLOAD-DELIMITER] --throughput THROUGHPUT\n"
		"                            [--producer-props PROP-NAME=PROP-VALUE [PROP-NAME=PROP-VALUE ...]]\n"
		"                            [--producer.config CONFIG-FILE] [--print-metrics]\n"
		"                            [--transactional-id TRANSACTIONAL-ID]\n"
		"                            [--transaction-duration-ms TRANSACTION-DURATION]\n");
}

/* argparse's way out: the usage, then "<prog>: error: <msg>", status 1. */
static int sm_ppt_error(const char *msg, const char *arg)
{
	sm_ppt_usage(stderr);
	fprintf(stderr, SM_PPT_PROG ": error: %s", msg);
	if (arg)
		fprintf(stderr, " '%s'", arg);
	fputc('\n', stderr);
	return 1;
}

/* Parses a whole-string integer option value. */
static int sm_ppt_long(const char *opt, const char *v, long long *out)
{
	int64_t x;
	if (sm_tool_parse_i64(v, &x)) {
		fprintf(stderr, SM_PPT_PROG ": error: argument %s: could not convert '%s'\n", opt, v);
		return -1;
	}
	*out = x;
	return 0;
}

/* --producer-props takes every following argument up to the next option
 * (argparse's nargs="+"). Each must be exactly "key=value". */
static int sm_ppt_parse_props(sm_ppt_opts_t *o, int argc, char **argv, int *i)
{
	int n = 0;
	while (*i + 1 < argc && strncmp(argv[*i + 1], "--", 2) != 0) {
		const char *kv = argv[++*i];
		const char *eq = strchr(kv, '=');
		if (!eq || eq == kv || strchr(eq + 1, '=') || !eq[1]) {
			fprintf(stderr, "Exception in thread \"main\" java.lang.IllegalArgumentException: "
					"Invalid property: %s\n", kv);
			return -1;
		}
		sm_tool_props_add_kv(&o->props, kv);
		n++;
	}
	if (n == 0) {
		sm_ppt_error("argument --producer-props: expected at least one argument", NULL);
		return -1;
	}
	o->have_props = 1;
	return 0;
}

/* One option with a value; returns 0, 1 when unknown, -1 on error. */
static int sm_ppt_parse_valued(sm_ppt_opts_t *o, const char *opt, const char *v)
{
	if (!strcmp(opt, "--topic"))
		o->topic = v;
	else if (!strcmp(opt, "--num-records")) {
		o->have_num_records = 1;
		return sm_ppt_long(opt, v, &o->num_records);
	} else if (!strcmp(opt, "--record-size")) {
		o->have_record_size = 1;
		return sm_ppt_long(opt, v, &o->record_size);
	}
	else if (!strcmp(opt, "--payload-file"))
		o->payload_file = v;
	else if (!strcmp(opt, "--payload-delimiter"))
		o->payload_delim = v;
	else if (!strcmp(opt, "--producer.config"))
		o->config_file = v;
	else if (!strcmp(opt, "--throughput")) {
		char *end;
		errno = 0;
		o->throughput = strtod(v, &end);
		if (errno || end == v || *end) {
			fprintf(stderr, SM_PPT_PROG ": error: argument --throughput: could not convert '%s'\n", v);
			return -1;
		}
		o->have_throughput = 1;
	} else if (!strcmp(opt, "--transactional-id") || !strcmp(opt, "--transaction-duration-ms")) {
		fprintf(stderr, SM_PPT_PROG ": error: argument %s: transactions are not supported "
				"by this broker's tools\n", opt);
		return -1;
	} else
		return 1;
	return 0;
}

static int sm_ppt_check(sm_ppt_opts_t *o)
{
	if (!o->topic)
		return sm_ppt_error("argument --topic is required", NULL);
	if (!o->have_num_records)
		return sm_ppt_error("argument --num-records is required", NULL);
	if (o->have_record_size && o->payload_file)
		return sm_ppt_error("argument --payload-file: not allowed with argument --record-size", NULL);
	if (!o->have_record_size && !o->payload_file)
		return sm_ppt_error("one of the arguments --record-size --payload-file is required", NULL);
	if (!o->have_throughput)
		return sm_ppt_error("argument --throughput is required", NULL);
	if (o->num_records <= 0)
		return sm_ppt_error("--num-records should be greater than zero", NULL);
	if (o->have_record_size && o->record_size <= 0)
		return sm_ppt_error("--record-size should be greater than zero", NULL);
	if (!o->have_props && !o->config_file)
		return sm_ppt_error("Either --producer-props or --producer.config must be specified.", NULL);
	return 0;
}

/* Returns 0 to run, 1/-1 (exit 1) on a usage error, 2 after --help. */
static int sm_ppt_parse(sm_ppt_opts_t *o, int argc, char **argv)
{
	if (argc == 1) {
		sm_ppt_usage(stdout);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			sm_ppt_usage(stdout);
			return 2;
		}
		if (!strcmp(a, "--print-metrics")) {
			fprintf(stderr, SM_PPT_PROG ": error: argument --print-metrics: not supported "
					"(the librdkafka producer has no Java client metrics)\n");
			return 1;
		}
		if (!strcmp(a, "--producer-props")) {
			if (sm_ppt_parse_props(o, argc, argv, &i))
				return 1;
			continue;
		}
		/* "--opt=value" or "--opt value" */
		const char *eq = strncmp(a, "--", 2) ? NULL : strchr(a, '=');
		char name[64];
		const char *v = NULL;
		if (eq && (size_t)(eq - a) < sizeof(name)) {
			memcpy(name, a, (size_t)(eq - a));
			name[eq - a] = '\0';
			a = name;
			v = eq + 1;
		} else if (i + 1 < argc)
			v = argv[++i];
		if (!v)
			return sm_ppt_error("unrecognized arguments:", a);
		int r = sm_ppt_parse_valued(o, a, v);
		if (r > 0)
			return sm_ppt_error("unrecognized arguments:", a);
		if (r < 0)
			return 1;
	}
	return sm_ppt_check(o);
}

/* Splits --payload-file on the delimiter (empty pieces skipped, like
 * java.util.Scanner's tokens). Returns the count, or -1. */
static long sm_ppt_read_payloads(const char *path, const char *delim, sm_ppt_payload_t **out)
{
	char *abs = realpath(path, NULL);
	printf("Reading payloads from: %s\n", abs ? abs : path);
	free(abs);
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, dl = strlen(delim);
	if (f) {
		FILE *mem = open_memstream(&buf, &len);
		char chunk[65536];
		size_t n;
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			fwrite(chunk, 1, n, mem);
		fclose(mem);
		fclose(f);
	}
	if (!f || len == 0 || dl == 0) {
		free(buf);
		fprintf(stderr, "Exception in thread \"main\" java.lang.IllegalArgumentException: "
				"File does not exist or empty file provided.\n");
		return -1;
	}
	long cnt = 0, size = 0;
	sm_ppt_payload_t *v = NULL;
	for (char *p = buf, *end = buf + len; p < end;) {
		char *d = memmem(p, (size_t)(end - p), delim, dl);
		char *stop = d ? d : end;
		if (stop > p) {
			if (cnt == size) {
				size = size ? size * 2 : 64;
				v = realloc(v, (size_t)size * sizeof(*v));
				if (!v)
					abort();
			}
			v[cnt].len = (size_t)(stop - p);
			v[cnt].data = malloc(v[cnt].len);
			if (!v[cnt].data)
				abort();
			memcpy(v[cnt].data, p, v[cnt].len);
			cnt++;
		}
		p = d ? d + dl : end;
	}
	free(buf);
	printf("Number of messages read: %ld\n", cnt);
	fflush(stdout);
	*out = v;
	return cnt;
}

/* Java property names with a different librdkafka spelling or unit. */
static void sm_ppt_conf_set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
	char err[512], kb[32];
	if (!strcmp(k, "key.serializer") || !strcmp(k, "value.serializer"))
		return;
	if (!strcmp(k, "buffer.memory")) {
		long long bytes = atoll(v);
		snprintf(kb, sizeof(kb), "%lld", bytes > 1024 ? bytes / 1024 : 1);
		k = "queue.buffering.max.kbytes";
		v = kb;
	}
	if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK)
		fprintf(stderr, "Ignoring producer property %s: %s\n", k, err);
}

static rd_kafka_t *sm_ppt_producer(sm_ppt_opts_t *o, sm_ppt_stats_t *stats)
{
	char err[512];
	sm_tool_props_t props;
	sm_tool_props_init(&props);
	sm_tool_props_set(&props, "acks", "1");
	sm_tool_props_set(&props, "delivery.timeout.ms", "120000");
	sm_tool_props_set(&props, "client.id", "perf-producer-client");
	if (o->config_file && sm_tool_props_load(&props, o->config_file, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		sm_tool_props_destroy(&props);
		return NULL;
	}
	for (size_t i = 0; i < o->props.cnt; i++)
		sm_tool_props_set(&props, o->props.v[i].key, o->props.v[i].value);
	if (sm_tool_props_get(&props, "transactional.id")) {
		fprintf(stderr, SM_PPT_PROG ": error: transactional.id: transactions are not "
				"supported by this broker's tools\n");
		sm_tool_props_destroy(&props);
		return NULL;
	}
	if (!sm_tool_props_get(&props, "bootstrap.servers")) {
		fprintf(stderr, "Exception in thread \"main\" org.apache.kafka.common.config.ConfigException: "
				"Missing required configuration \"bootstrap.servers\" which has no default value.\n");
		sm_tool_props_destroy(&props);
		return NULL;
	}
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	for (size_t i = 0; i < props.cnt; i++)
		sm_ppt_conf_set(conf, props.v[i].key, props.v[i].value);
	sm_tool_props_destroy(&props);
	rd_kafka_conf_set_opaque(conf, stats);
	rd_kafka_conf_set_dr_msg_cb(conf, sm_ppt_dr);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!rk)
		fprintf(stderr, "%s\n", err);
	return rk;
}

/* Kafka's ThroughputThrottler: once ahead of the target rate, wait (serving
 * delivery reports meanwhile) until the schedule catches up. */
static void sm_ppt_throttle(rd_kafka_t *rk, double throughput, long long sent, int64_t start)
{
	if (throughput <= 0)
		return;
	for (;;) {
		double due_ms = (double)sent * 1000.0 / throughput;
		int64_t ahead = (int64_t)due_ms - (sm_ppt_now_ms() - start);
		if (ahead <= 0)
			return;
		rd_kafka_poll(rk, ahead > 100 ? 100 : (int)ahead);
	}
}

/* Queues one record, waiting while librdkafka's queue is full (Kafka's
 * send blocks on a full buffer.memory the same way). */
static void sm_ppt_send(rd_kafka_t *rk, const char *topic, const void *payload, size_t len)
{
	for (;;) {
		int64_t t = sm_ppt_now_ms();
		rd_kafka_resp_err_t e = rd_kafka_producev(
			rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE((void *)payload, len),
			RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			RD_KAFKA_V_OPAQUE((void *)(intptr_t)t), RD_KAFKA_V_END);
		if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
			break;
		if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			fprintf(stderr, "%s: %s\n", sm_ppt_exception(e), rd_kafka_err2str(e));
			return;
		}
		rd_kafka_poll(rk, 5);
	}
	rd_kafka_poll(rk, 0);
}

int main(int argc, char **argv)
{
	sm_ppt_opts_t o = { .payload_delim = "\\n" };
	sm_tool_props_init(&o.props);
	int r = sm_ppt_parse(&o, argc, argv);
	if (r)
		return r == 2 ? 0 : 1;
	const char *delim = strcmp(o.payload_delim, "\\n") ? o.payload_delim : "\n";
	sm_ppt_payload_t *payloads = NULL;
	long n_payloads = 0;
	if (o.payload_file && (n_payloads = sm_ppt_read_payloads(o.payload_file, delim, &payloads)) <= 0)
		return 1;
	sm_ppt_stats_t stats;
	sm_ppt_stats_init(&stats, o.num_records);
	rd_kafka_t *rk = sm_ppt_producer(&o, &stats);
	if (!rk)
		return 1;
	/* The record of --record-size: random upper-case letters, made once. */
	char *payload = NULL;
	unsigned int seed = 0;
	if (o.have_record_size) {
		payload = malloc((size_t)o.record_size);
		if (!payload)
			abort();
		for (long long j = 0; j < o.record_size; j++)
			payload[j] = (char)('A' + rand_r(&seed) % 26);
	}
	stats.start = stats.window_start = sm_ppt_now_ms();
	for (long long i = 0; i < o.num_records; i++) {
		if (payload)
			sm_ppt_send(rk, o.topic, payload, (size_t)o.record_size);
		else {
			const sm_ppt_payload_t *p = &payloads[rand_r(&seed) % (unsigned)n_payloads];
			sm_ppt_send(rk, o.topic, p->data, p->len);
		}
		sm_ppt_throttle(rk, o.throughput, i + 1, stats.start);
	}
	while (rd_kafka_flush(rk, 1000) == RD_KAFKA_RESP_ERR__TIMED_OUT)
		;
	sm_ppt_stats_print_total(&stats);
	rd_kafka_destroy(rk);
	free(payload);
	for (long i = 0; i < n_payloads; i++)
		free(payloads[i].data);
	free(payloads);
	free(stats.latencies);
	sm_tool_props_destroy(&o.props);
	return 0;
}
