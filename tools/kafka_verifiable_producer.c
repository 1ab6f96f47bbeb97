/*
 * kafka_verifiable_producer.c - kafka-verifiable-producer: produces the
 * counter values 0, 1, 2, ... (optionally "<prefix>.<i>", with keys cycling
 * over 0..K-1) at a bounded rate and reports every send's outcome as a JSON
 * line, like Kafka's VerifiableProducer, so tests can tell exactly which
 * records were acknowledged. Built on librdkafka.
 *
 * Thread-safety: single-threaded; delivery reports run inside poll calls on
 * the main thread. SIGINT/SIGTERM stop sending, then it flushes and reports.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "tool_common.h"

typedef struct sm_vp {
	const char *topic;
	const char *bootstrap;
	long long max_messages;
	long long throughput;
	const char *acks;
	const char *config;
	long long create_time;
	int value_prefix; /* -1 none */
	int repeating_keys; /* 0 none */
	long long sent, acked;
	int64_t start;
} sm_vp_t;

static volatile sig_atomic_t sm_vp_stop;

static void sm_vp_on_signal(int sig)
{
	(void)sig;
	sm_vp_stop = 1;
}

static int64_t sm_vp_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes s as a JSON string (or null). */
static void sm_vp_json_str(const char *s, size_t len)
{
	if (!s) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* Java exception class of a delivery error, as Kafka's tool prints it. */
static const char *sm_vp_exception(rd_kafka_resp_err_t e)
{
	switch (e) {
	case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
	case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT: return "org.apache.kafka.common.errors.TimeoutException";
	case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS: return "org.apache.kafka.common.errors.NotEnoughReplicasException";
	case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
		return "org.apache.kafka.common.errors.NotEnoughReplicasAfterAppendException";
	case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION: return "org.apache.kafka.common.errors.NotLeaderOrFollowerException";
	case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE: return "org.apache.kafka.common.errors.RecordTooLargeException";
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART: return "org.apache.kafka.common.errors.UnknownTopicOrPartitionException";
	default: return "org.apache.kafka.common.KafkaException";
	}
}

static void sm_vp_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	sm_vp_t *vp = opaque;
	(void)rk;
	printf("{\"timestamp\":%" PRId64 ",\"name\":\"%s\",\"key\":", sm_vp_now(),
	       m->err ? "producer_send_error" : "producer_send_success");
	sm_vp_json_str(m->key, m->key_len);
	fputs(",\"value\":", stdout);
	sm_vp_json_str(m->payload, m->len);
	fputs(",\"topic\":", stdout);
	const char *t = rd_kafka_topic_name(m->rkt);
	sm_vp_json_str(t, strlen(t));
	if (m->err) {
		printf(",\"exception\":\"class %s\",\"message\":", sm_vp_exception(m->err));
		const char *msg = rd_kafka_err2str(m->err);
		sm_vp_json_str(msg, strlen(msg));
	} else {
		vp->acked++;
		printf(",\"partition\":%" PRId32 ",\"offset\":%" PRId64, m->partition, m->offset);
	}
	fputs("}\n", stdout);
	fflush(stdout);
}

static int sm_vp_usage(const char *msg)
{
	if (msg)
		fprintf(stderr, "%s\n", msg);
	fprintf(stderr, "usage: kafka-verifiable-producer --topic T --bootstrap-server B [--max-messages N] "
			"[--throughput N] [--acks A] [--producer.config F] [--message-create-time MS] "
			"[--value-prefix N] [--repeating-keys K]\n");
	return 1;
}

static int sm_vp_parse(int argc, char **argv, sm_vp_t *vp)
{
	static const struct option longopts[] = {
		{ "topic", required_argument, NULL, 't' },
		{ "bootstrap-server", required_argument, NULL, 'b' },
		{ "broker-list", required_argument, NULL, 'b' },
		{ "max-messages", required_argument, NULL, 'm' },
		{ "throughput", required_argument, NULL, 'r' },
		{ "acks", required_argument, NULL, 'a' },
		{ "producer.config", required_argument, NULL, 'c' },
		{ "message-create-time", required_argument, NULL, 'T' },
		{ "value-prefix", required_argument, NULL, 'p' },
		{ "repeating-keys", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 't': vp->topic = optarg; break;
		case 'b': vp->bootstrap = optarg; break;
		case 'm': vp->max_messages = atoll(optarg); break;
		case 'r': vp->throughput = atoll(optarg); break;
		case 'a': vp->acks = optarg; break;
		case 'c': vp->config = optarg; break;
		case 'T': vp->create_time = atoll(optarg); break;
		case 'p': vp->value_prefix = atoi(optarg); break;
		case 'k': vp->repeating_keys = atoi(optarg); break;
		default: return sm_vp_usage(NULL);
		}
	}
	if (!vp->topic || !vp->bootstrap)
		return sm_vp_usage("--topic and --bootstrap-server are required");
	return 0;
}

static rd_kafka_t *sm_vp_client(sm_vp_t *vp)
{
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	sm_tool_props_t props;
	sm_tool_props_init(&props);
	if (vp->config && sm_tool_props_load(&props, vp->config, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	sm_tool_props_set(&props, "bootstrap.servers", vp->bootstrap);
	sm_tool_props_set(&props, "acks", vp->acks);
	for (size_t i = 0; i < props.cnt; i++)
		if (rd_kafka_conf_set(conf, props.v[i].key, props.v[i].value, err, sizeof(err)) !=
		    RD_KAFKA_CONF_OK)
			fprintf(stderr, "Ignoring producer property %s: %s\n", props.v[i].key, err);
	sm_tool_props_destroy(&props);
	rd_kafka_conf_set_opaque(conf, vp);
	rd_kafka_conf_set_dr_msg_cb(conf, sm_vp_dr);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!rk)
		fprintf(stderr, "%s\n", err);
	return rk;
}

/* Sends one record; 0 when queued. */
static int sm_vp_send(rd_kafka_t *rk, sm_vp_t *vp, long long i)
{
	char key[32], value[64];
	if (vp->value_prefix >= 0)
		snprintf(value, sizeof(value), "%d.%lld", vp->value_prefix, i);
	else
		snprintf(value, sizeof(value), "%lld", i);
	snprintf(key, sizeof(key), "%lld", vp->repeating_keys > 0 ? i % vp->repeating_keys : 0);
	/* --message-create-time: timestamps advance from the given base with
	 * the wall clock. */
	int64_t ts = vp->create_time >= 0 ? vp->create_time + (sm_vp_now() - vp->start) : 0;
	const char *kp = vp->repeating_keys > 0 ? key : NULL;
	size_t klen = kp ? strlen(kp) : 0;
	rd_kafka_resp_err_t e = rd_kafka_producev(
		rk, RD_KAFKA_V_TOPIC(vp->topic), RD_KAFKA_V_VALUE(value, strlen(value)),
		RD_KAFKA_V_KEY(kp, klen), RD_KAFKA_V_TIMESTAMP(ts),
		RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
	return e == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
}

int main(int argc, char **argv)
{
	sm_vp_t vp = { .max_messages = -1, .throughput = -1, .acks = "-1", .create_time = -1,
		       .value_prefix = -1 };
	if (sm_vp_parse(argc, argv, &vp))
		return 1;
	rd_kafka_t *rk = sm_vp_client(&vp);
	if (!rk)
		return 1;
	signal(SIGINT, sm_vp_on_signal);
	signal(SIGTERM, sm_vp_on_signal);
	int64_t start = vp.start = sm_vp_now();
	printf("{\"timestamp\":%" PRId64 ",\"name\":\"startup_complete\"}\n", start);
	fflush(stdout);
	while (!sm_vp_stop && (vp.max_messages < 0 || vp.sent < vp.max_messages)) {
		if (vp.throughput > 0) {
			double due = (double)vp.sent * 1000.0 / (double)vp.throughput;
			if ((double)(sm_vp_now() - start) < due) {
				rd_kafka_poll(rk, 1);
				continue;
			}
		}
		if (sm_vp_send(rk, &vp, vp.sent) == 0)
			vp.sent++;
		rd_kafka_poll(rk, 0);
		if (rd_kafka_outq_len(rk) > 50000)
			rd_kafka_poll(rk, 10);
	}
	rd_kafka_flush(rk, 60000);
	rd_kafka_destroy(rk);
	int64_t end = sm_vp_now();
	printf("{\"timestamp\":%" PRId64 ",\"name\":\"shutdown_complete\"}\n", end);
	double secs = (double)(end - start) / 1000.0;
	printf("{\"timestamp\":%" PRId64 ",\"name\":\"tool_data\",\"sent\":%lld,\"acked\":%lld,"
	       "\"target_throughput\":%lld,\"avg_throughput\":%.1f}\n",
	       end, vp.sent, vp.acked, vp.throughput, secs > 0 ? (double)vp.sent / secs : 0.0);
	fflush(stdout);
	return 0;
}
