/*
 * kafka_verifiable_consumer.c - kafka-verifiable-consumer: a group member
 * (subscribe) that reports what it is assigned, consumes and commits as
 * JSON lines, like Kafka's VerifiableConsumer, so tests can check that
 * every acknowledged record is consumed. Built on librdkafka's high-level
 * consumer. Without --enable-autocommit each polled batch is committed
 * synchronously and reported in an offsets_committed event.
 *
 * Thread-safety: single-threaded; rebalance callbacks run inside poll calls
 * on the main thread. SIGINT/SIGTERM close the consumer (leaving the group)
 * and print shutdown_complete.
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

#define SM_VC_BATCH_MAX 500

typedef struct sm_vc {
	const char *bootstrap, *topic, *group, *instance, *reset, *strategy, *config;
	long long max_messages;
	int session_timeout;
	int verbose, autocommit;
	long long consumed;
} sm_vc_t;

static volatile sig_atomic_t sm_vc_stop;

static void sm_vc_on_signal(int sig)
{
	(void)sig;
	sm_vc_stop = 1;
}

static int64_t sm_vc_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sm_vc_json_str(const char *s, size_t len)
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

static void sm_vc_event(const char *name)
{
	printf("{\"timestamp\":%" PRId64 ",\"name\":\"%s\"", sm_vc_now(), name);
}

static void sm_vc_partitions(const char *name, const rd_kafka_topic_partition_list_t *l)
{
	sm_vc_event(name);
	fputs(",\"partitions\":[", stdout);
	for (int i = 0; i < l->cnt; i++) {
		printf("%s{\"topic\":", i ? "," : "");
		sm_vc_json_str(l->elems[i].topic, strlen(l->elems[i].topic));
		printf(",\"partition\":%" PRId32 "}", l->elems[i].partition);
	}
	fputs("]}\n", stdout);
	fflush(stdout);
}

static void sm_vc_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			    rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	(void)opaque;
	int coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		sm_vc_partitions("partitions_assigned", parts);
		if (coop)
			rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
		else
			rd_kafka_assign(rk, parts);
	} else {
		sm_vc_partitions("partitions_revoked", parts);
		if (coop)
			rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
		else
			rd_kafka_assign(rk, NULL);
	}
}

static int sm_vc_retriable(rd_kafka_resp_err_t e)
{
	return e == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE ||
	       e == RD_KAFKA_RESP_ERR_NOT_COORDINATOR ||
	       e == RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS ||
	       e == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT || e == RD_KAFKA_RESP_ERR__TIMED_OUT ||
	       e == RD_KAFKA_RESP_ERR__TRANSPORT || e == RD_KAFKA_RESP_ERR__WAIT_COORD;
}

/* records_consumed for one batch, then the synchronous commit. */
static void sm_vc_report_batch(rd_kafka_t *rk, sm_vc_t *vc, rd_kafka_message_t **msgs, int n)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
	int64_t mins[256];
	int counts[256];
	for (int i = 0; i < n; i++) {
		const char *t = rd_kafka_topic_name(msgs[i]->rkt);
		rd_kafka_topic_partition_t *e = rd_kafka_topic_partition_list_find(l, t, msgs[i]->partition);
		if (!e && l->cnt < 256) {
			e = rd_kafka_topic_partition_list_add(l, t, msgs[i]->partition);
			mins[l->cnt - 1] = msgs[i]->offset;
			counts[l->cnt - 1] = 0;
		}
		if (!e)
			continue;
		int idx = (int)(e - l->elems);
		counts[idx]++;
		if (msgs[i]->offset + 1 > e->offset)
			e->offset = msgs[i]->offset + 1;
	}
	sm_vc_event("records_consumed");
	printf(",\"count\":%d,\"partitions\":[", n);
	for (int i = 0; i < l->cnt; i++) {
		printf("%s{\"topic\":", i ? "," : "");
		sm_vc_json_str(l->elems[i].topic, strlen(l->elems[i].topic));
		printf(",\"partition\":%" PRId32 ",\"count\":%d,\"minOffset\":%" PRId64 ",\"maxOffset\":%" PRId64 "}",
		       l->elems[i].partition, counts[i], mins[i], l->elems[i].offset - 1);
	}
	fputs("]}\n", stdout);
	if (!vc->autocommit) {
		/* commitSync retries retriable errors (a coordinator still
		 * loading or moving) until its API timeout. */
		rd_kafka_resp_err_t e;
		int64_t until = sm_vc_now() + 30000;
		while ((e = rd_kafka_commit(rk, l, 0)) != RD_KAFKA_RESP_ERR_NO_ERROR &&
		       sm_vc_retriable(e) && sm_vc_now() < until && !sm_vc_stop)
			nanosleep(&(struct timespec){ 0, 200 * 1000000L }, NULL);
		sm_vc_event("offsets_committed");
		fputs(",\"offsets\":[", stdout);
		for (int i = 0; i < l->cnt; i++) {
			printf("%s{\"topic\":", i ? "," : "");
			sm_vc_json_str(l->elems[i].topic, strlen(l->elems[i].topic));
			printf(",\"partition\":%" PRId32 ",\"offset\":%" PRId64 "}", l->elems[i].partition,
			       l->elems[i].offset);
		}
		printf("],\"success\":%s", e ? "false" : "true");
		if (e) {
			fputs(",\"error\":", stdout);
			sm_vc_json_str(rd_kafka_err2str(e), strlen(rd_kafka_err2str(e)));
		}
		fputs("}\n", stdout);
	}
	fflush(stdout);
	rd_kafka_topic_partition_list_destroy(l);
}

static void sm_vc_record(const rd_kafka_message_t *m)
{
	sm_vc_event("record_data");
	fputs(",\"key\":", stdout);
	sm_vc_json_str(m->key, m->key_len);
	fputs(",\"value\":", stdout);
	sm_vc_json_str(m->payload, m->len);
	fputs(",\"topic\":", stdout);
	const char *t = rd_kafka_topic_name(m->rkt);
	sm_vc_json_str(t, strlen(t));
	printf(",\"partition\":%" PRId32 ",\"offset\":%" PRId64 "}\n", m->partition, m->offset);
}

static int sm_vc_usage(const char *msg)
{
	if (msg)
		fprintf(stderr, "%s\n", msg);
	fprintf(stderr, "usage: kafka-verifiable-consumer --bootstrap-server B --topic T --group-id G "
			"[--group-instance-id I] [--max-messages N] [--session-timeout MS] [--verbose] "
			"[--enable-autocommit] [--reset-policy earliest|latest|none] "
			"[--assignment-strategy CLASS] [--consumer.config F]\n");
	return 1;
}

static int sm_vc_parse(int argc, char **argv, sm_vc_t *vc)
{
	static const struct option longopts[] = {
		{ "bootstrap-server", required_argument, NULL, 'b' },
		{ "broker-list", required_argument, NULL, 'b' },
		{ "topic", required_argument, NULL, 't' },
		{ "group-id", required_argument, NULL, 'g' },
		{ "group-instance-id", required_argument, NULL, 'i' },
		{ "max-messages", required_argument, NULL, 'm' },
		{ "session-timeout", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "enable-autocommit", no_argument, NULL, 'a' },
		{ "reset-policy", required_argument, NULL, 'r' },
		{ "assignment-strategy", required_argument, NULL, 'S' },
		{ "consumer.config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': vc->bootstrap = optarg; break;
		case 't': vc->topic = optarg; break;
		case 'g': vc->group = optarg; break;
		case 'i': vc->instance = optarg; break;
		case 'm': vc->max_messages = atoll(optarg); break;
		case 's': vc->session_timeout = atoi(optarg); break;
		case 'v': vc->verbose = 1; break;
		case 'a': vc->autocommit = 1; break;
		case 'r': vc->reset = optarg; break;
		case 'S': vc->strategy = optarg; break;
		case 'c': vc->config = optarg; break;
		default: return sm_vc_usage(NULL);
		}
	}
	if (!vc->bootstrap || !vc->topic || !vc->group)
		return sm_vc_usage("--bootstrap-server, --topic and --group-id are required");
	return 0;
}

/* librdkafka's name for a Java assignor class. */
static const char *sm_vc_strategy(const char *cls)
{
	if (strstr(cls, "RoundRobin"))
		return "roundrobin";
	if (strstr(cls, "CooperativeSticky"))
		return "cooperative-sticky";
	return "range";
}

static rd_kafka_t *sm_vc_client(sm_vc_t *vc)
{
	char err[512], st[16];
	sm_tool_props_t props;
	sm_tool_props_init(&props);
	if (vc->config && sm_tool_props_load(&props, vc->config, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	snprintf(st, sizeof(st), "%d", vc->session_timeout);
	sm_tool_props_set(&props, "bootstrap.servers", vc->bootstrap);
	sm_tool_props_set(&props, "group.id", vc->group);
	sm_tool_props_set(&props, "session.timeout.ms", st);
	sm_tool_props_set(&props, "enable.auto.commit", vc->autocommit ? "true" : "false");
	sm_tool_props_set(&props, "auto.offset.reset", !strcmp(vc->reset, "none") ? "error" : vc->reset);
	if (vc->instance)
		sm_tool_props_set(&props, "group.instance.id", vc->instance);
	if (vc->strategy)
		sm_tool_props_set(&props, "partition.assignment.strategy", sm_vc_strategy(vc->strategy));
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	for (size_t i = 0; i < props.cnt; i++)
		if (rd_kafka_conf_set(conf, props.v[i].key, props.v[i].value, err, sizeof(err)) !=
		    RD_KAFKA_CONF_OK)
			fprintf(stderr, "Ignoring consumer property %s: %s\n", props.v[i].key, err);
	sm_tool_props_destroy(&props);
	rd_kafka_conf_set_rebalance_cb(conf, sm_vc_rebalance);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	rd_kafka_poll_set_consumer(rk);
	return rk;
}

int main(int argc, char **argv)
{
	sm_vc_t vc = { .max_messages = -1, .session_timeout = 30000, .reset = "earliest" };
	if (sm_vc_parse(argc, argv, &vc))
		return 1;
	rd_kafka_t *rk = sm_vc_client(&vc);
	if (!rk)
		return 1;
	signal(SIGINT, sm_vc_on_signal);
	signal(SIGTERM, sm_vc_on_signal);
	rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, vc.topic, RD_KAFKA_PARTITION_UA);
	rd_kafka_subscribe(rk, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	sm_vc_event("startup_complete");
	fputs("}\n", stdout);
	fflush(stdout);
	rd_kafka_message_t *batch[SM_VC_BATCH_MAX];
	while (!sm_vc_stop && (vc.max_messages < 0 || vc.consumed < vc.max_messages)) {
		int n = 0;
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		while (m && n < SM_VC_BATCH_MAX) {
			if (m->err) {
				rd_kafka_message_destroy(m);
			} else {
				batch[n++] = m;
				if (vc.max_messages >= 0 && vc.consumed + n >= vc.max_messages)
					break;
			}
			m = n < SM_VC_BATCH_MAX ? rd_kafka_consumer_poll(rk, 0) : NULL;
		}
		if (n == 0)
			continue;
		if (vc.verbose)
			for (int i = 0; i < n; i++)
				sm_vc_record(batch[i]);
		sm_vc_report_batch(rk, &vc, batch, n);
		vc.consumed += n;
		for (int i = 0; i < n; i++)
			rd_kafka_message_destroy(batch[i]);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	sm_vc_event("shutdown_complete");
	fputs("}\n", stdout);
	fflush(stdout);
	return 0;
}
