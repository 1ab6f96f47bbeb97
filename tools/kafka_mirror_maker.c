/*
 * kafka_mirror_maker.c - kafka-mirror-maker.sh (Kafka's MirrorMaker 1,
 * kafka.tools.MirrorMaker): consumes the topics matching --whitelist from
 * a source cluster (--consumer.config) and produces each record, with its
 * key, value, timestamp and headers, to the topic of the same name on a
 * target cluster (--producer.config), the target's partitioner choosing
 * the partition. Both sides are librdkafka clients.
 *
 * Delivery is at least once: auto commit and automatic offset storing are
 * off; a source offset is stored (rd_kafka_offsets_store) only once the
 * target has acknowledged the record and every earlier record of the same
 * source partition, and the stored offsets are committed every
 * --offset.commit.interval.ms, on a rebalance and at shutdown. The
 * producer defaults to acks=all, idempotence, one request in flight and
 * an unbounded delivery timeout (MirrorMaker's own overrides), so a target
 * cluster that restarts only delays the copy: librdkafka keeps retrying
 * and nothing past the first unacknowledged record is committed. Records
 * of one source partition may reach different target partitions and be
 * acknowledged out of order, hence the per-partition window of in-flight
 * offsets below rather than "last acknowledged offset".
 *
 * Threads: --num.streams streams, each a thread with its own consumer (a
 * member of the group) and its own producer, so the delivery reports that
 * store a stream's offsets run on that stream's thread (they are served by
 * its rd_kafka_poll/rd_kafka_flush calls) and no state is shared between
 * streams except the stop flag and the exit status.
 */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "tool_common.h"

#define SM_MM_LOGGER "kafka.tools.MirrorMaker$"

typedef struct sm_mm_opts {
	const char *consumer_config, *producer_config, *whitelist;
	int streams;
	int64_t commit_interval_ms;
	int abort_on_send_failure;
} sm_mm_opts_t;

struct sm_mm_stream;

/*
 * The in-flight records of one source partition, in consumption order: a
 * ring of offsets with an acknowledged flag each. The front entries that
 * are acknowledged are popped and the offset after the last one popped is
 * stored. seq numbers the entries since the last reset; gen changes when
 * the partition is revoked, so reports for records sent before that are
 * ignored (their partition now belongs to someone else, who will copy them
 * again).
 */
typedef struct sm_mm_part {
	struct sm_mm_part *next;
	struct sm_mm_stream *s;
	char *topic;
	int32_t partition;
	uint32_t gen;
	int64_t *offsets;
	uint8_t *acked;
	size_t head, count, cap;
	uint64_t base_seq;
} sm_mm_part_t;

/* What a produced record carries to its delivery report. */
typedef struct sm_mm_msg {
	sm_mm_part_t *part;
	uint64_t seq;
	uint32_t gen;
} sm_mm_msg_t;

typedef struct sm_mm_stream {
	int id;
	const sm_mm_opts_t *o;
	const char *regex;
	rd_kafka_t *cons, *prod;
	sm_mm_part_t *parts;
	int stored_since_commit;
	int closing;		/* producer purged at exit: reports only free */
	long long mirrored, acked, failed;
	pthread_t thr;
} sm_mm_stream_t;

static volatile sig_atomic_t sm_mm_signalled;
static int sm_mm_stop;		/* atomic: a stream asks every stream to stop */
static int sm_mm_exit_code;	/* atomic */

static void sm_mm_on_signal(int sig)
{
	(void)sig;
	sm_mm_signalled = 1;
}

static int sm_mm_stopping(void)
{
	return sm_mm_signalled || __atomic_load_n(&sm_mm_stop, __ATOMIC_RELAXED);
}

static int64_t sm_mm_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sm_mm_usage(FILE *out)
{
	fputs("This tool helps to continuously copy data between two Kafka clusters.\n"
	      "Option                                   Description\n"
	      "------                                   -----------\n"
	      "--abort.on.send.failure <String: Stop    Configure the mirror maker to exit on\n"
	      "  the entire mirror maker when a send      a failed send. (default: true)\n"
	      "  failure occurs>\n"
	      "--consumer.config <String: config file>  Embedded consumer config for consuming\n"
	      "                                           from the source cluster.\n"
	      "--consumer.rebalance.listener <String>   Not supported; ignored with a warning.\n"
	      "--help                                   Print usage information.\n"
	      "--include <String: Java regex (String)>  List of included topics to mirror.\n"
	      "--message.handler <String>               Not supported; ignored with a warning.\n"
	      "--message.handler.args <String>          Not supported; ignored with a warning.\n"
	      "--new.consumer                           Ignored (always the new consumer).\n"
	      "--num.streams <Integer: Number of        Number of consumption streams.\n"
	      "  threads>                                 (default: 1)\n"
	      "--offset.commit.interval.ms <Integer:    Offset commit interval in ms.\n"
	      "  offset commit interval in millisecond>   (default: 60000)\n"
	      "--producer.config <String: config file>  Embedded producer config.\n"
	      "--rebalance.listener.args <String>       Not supported; ignored with a warning.\n"
	      "--whitelist <String: Java regex          Whitelist of topics to mirror.\n"
	      "  (String)>\n", out);
}

enum {
	SM_MM_OPT_CONSUMER = 1000, SM_MM_OPT_PRODUCER, SM_MM_OPT_WHITELIST, SM_MM_OPT_STREAMS,
	SM_MM_OPT_INTERVAL, SM_MM_OPT_ABORT, SM_MM_OPT_HANDLER, SM_MM_OPT_HANDLER_ARGS,
	SM_MM_OPT_LISTENER, SM_MM_OPT_LISTENER_ARGS, SM_MM_OPT_NEW_CONSUMER, SM_MM_OPT_HELP,
};

static const struct option sm_mm_longopts[] = {
	{ "consumer.config", required_argument, NULL, SM_MM_OPT_CONSUMER },
	{ "producer.config", required_argument, NULL, SM_MM_OPT_PRODUCER },
	{ "whitelist", required_argument, NULL, SM_MM_OPT_WHITELIST },
	{ "include", required_argument, NULL, SM_MM_OPT_WHITELIST },
	{ "num.streams", required_argument, NULL, SM_MM_OPT_STREAMS },
	{ "offset.commit.interval.ms", required_argument, NULL, SM_MM_OPT_INTERVAL },
	{ "abort.on.send.failure", required_argument, NULL, SM_MM_OPT_ABORT },
	{ "message.handler", required_argument, NULL, SM_MM_OPT_HANDLER },
	{ "message.handler.args", required_argument, NULL, SM_MM_OPT_HANDLER_ARGS },
	{ "consumer.rebalance.listener", required_argument, NULL, SM_MM_OPT_LISTENER },
	{ "rebalance.listener.args", required_argument, NULL, SM_MM_OPT_LISTENER_ARGS },
	{ "new.consumer", no_argument, NULL, SM_MM_OPT_NEW_CONSUMER },
	{ "help", no_argument, NULL, SM_MM_OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char *sm_mm_optname(int val)
{
	for (const struct option *o = sm_mm_longopts; o->name; o++)
		if (o->val == val)
			return o->name;
	return "?";
}

static int sm_mm_parse(int argc, char **argv, sm_mm_opts_t *o)
{
	int c;
	int64_t v;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "", sm_mm_longopts, NULL)) != -1) {
		switch (c) {
		case SM_MM_OPT_CONSUMER:
			o->consumer_config = optarg;
			break;
		case SM_MM_OPT_PRODUCER:
			o->producer_config = optarg;
			break;
		case SM_MM_OPT_WHITELIST:
			o->whitelist = optarg;
			break;
		case SM_MM_OPT_STREAMS:
			if (sm_tool_parse_i64(optarg, &v) || v < 1 || v > 1000) {
				fprintf(stderr, "Invalid value for --num.streams: %s\n", optarg);
				return -1;
			}
			o->streams = (int)v;
			break;
		case SM_MM_OPT_INTERVAL:
			if (sm_tool_parse_i64(optarg, &v) || v < 0 || v > INT32_MAX) {
				fprintf(stderr, "Invalid value for --offset.commit.interval.ms: %s\n",
					optarg);
				return -1;
			}
			o->commit_interval_ms = v;
			break;
		case SM_MM_OPT_ABORT:
			o->abort_on_send_failure = sm_tool_parse_bool(optarg, 1);
			break;
		case SM_MM_OPT_HANDLER:
		case SM_MM_OPT_HANDLER_ARGS:
		case SM_MM_OPT_LISTENER:
		case SM_MM_OPT_LISTENER_ARGS:
			/* Java classes cannot be loaded here: the records are
			 * copied unchanged, as the default handler does. */
			sm_tool_log("WARN", SM_MM_LOGGER,
				    "Ignoring --%s %s: custom message handlers and rebalance "
				    "listeners are not supported; records are mirrored unchanged",
				    sm_mm_optname(c), optarg);
			break;
		case SM_MM_OPT_NEW_CONSUMER:
			break;
		case SM_MM_OPT_HELP:
			sm_mm_usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "%s is not a recognized option\n", argv[optind - 1]);
			sm_mm_usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "Unexpected argument: %s\n", argv[optind]);
		return -1;
	}
	if (!o->consumer_config || !o->producer_config) {
		fprintf(stderr, "Missing required argument \"[%s]\"\n",
			!o->consumer_config ? "consumer.config" : "producer.config");
		sm_mm_usage(stderr);
		return -1;
	}
	if (!o->whitelist) {
		fprintf(stderr, "whitelist must be specified\n");
		return -1;
	}
	return 0;
}

/*
 * The subscription pattern librdkafka gets for a whitelist. Kafka trims
 * it, turns ',' into '|', drops spaces and strips surrounding quotes, then
 * matches whole topic names (Pattern.matches); librdkafka subscribes to a
 * regex when the name starts with '^' and searches it in the name, so the
 * expression is anchored at both ends. Returns a malloc'ed string.
 */
static char *sm_mm_pattern(const char *raw)
{
	size_t n = strlen(raw);
	char *norm = malloc(n + 1), *out;
	size_t j = 0;
	if (!norm)
		return NULL;
	while (n && (raw[n - 1] == ' ' || raw[n - 1] == '\t' || raw[n - 1] == '\n'))
		n--;
	size_t i = 0;
	while (i < n && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n'))
		i++;
	for (; i < n; i++) {
		if (raw[i] == ' ')
			continue;
		norm[j++] = raw[i] == ',' ? '|' : raw[i];
	}
	norm[j] = '\0';
	size_t start = 0;
	while (norm[start] == '"' || norm[start] == '\'')
		start++;
	while (j > start && (norm[j - 1] == '"' || norm[j - 1] == '\''))
		norm[--j] = '\0';
	size_t len = strlen(norm + start) + 5;
	out = malloc(len);
	if (out)
		snprintf(out, len, "^(%s)$", norm + start);
	free(norm);
	return out;
}

/* ---- the in-flight window of a source partition ---- */

static sm_mm_part_t *sm_mm_part_get(sm_mm_stream_t *s, const char *topic, int32_t partition)
{
	for (sm_mm_part_t *p = s->parts; p; p = p->next)
		if (p->partition == partition && !strcmp(p->topic, topic))
			return p;
	sm_mm_part_t *p = calloc(1, sizeof(*p));
	if (!p || !(p->topic = strdup(topic))) {
		free(p);
		return NULL;
	}
	p->s = s;
	p->partition = partition;
	p->next = s->parts;
	s->parts = p;
	return p;
}

/* Forgets the window (the partition was revoked); later reports for it
 * are stale. */
static void sm_mm_part_reset(sm_mm_part_t *p)
{
	p->gen++;
	p->head = p->count = 0;
	p->base_seq = 0;
}

/* Appends the offset of a record about to be produced; -1 on no memory. */
static int sm_mm_part_push(sm_mm_part_t *p, int64_t offset, uint64_t *seq)
{
	if (p->count == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 1024;
		int64_t *no = malloc(ncap * sizeof(*no));
		uint8_t *na = malloc(ncap);
		if (!no || !na) {
			free(no);
			free(na);
			return -1;
		}
		for (size_t i = 0; i < p->count; i++) {
			no[i] = p->offsets[(p->head + i) % p->cap];
			na[i] = p->acked[(p->head + i) % p->cap];
		}
		free(p->offsets);
		free(p->acked);
		p->offsets = no;
		p->acked = na;
		p->cap = ncap;
		p->head = 0;
	}
	size_t idx = (p->head + p->count) % p->cap;
	p->offsets[idx] = offset;
	p->acked[idx] = 0;
	*seq = p->base_seq + p->count;
	p->count++;
	return 0;
}

/* Marks one record done; stores the offset after the acknowledged prefix. */
static void sm_mm_part_ack(sm_mm_part_t *p, uint64_t seq, uint32_t gen)
{
	if (gen != p->gen || seq < p->base_seq || seq - p->base_seq >= p->count)
		return;
	p->acked[(p->head + (seq - p->base_seq)) % p->cap] = 1;
	int64_t last = -1;
	while (p->count && p->acked[p->head]) {
		last = p->offsets[p->head];
		p->head = (p->head + 1) % p->cap;
		p->count--;
		p->base_seq++;
	}
	if (last < 0)
		return;
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = last + 1;
	/* Fails only if the partition was revoked meanwhile; then the new
	 * owner copies from the last commit. */
	if (rd_kafka_offsets_store(p->s->cons, l) == RD_KAFKA_RESP_ERR_NO_ERROR &&
	    l->elems[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
		p->s->stored_since_commit = 1;
	rd_kafka_topic_partition_list_destroy(l);
}

/* ---- clients ---- */

static void sm_mm_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	sm_mm_stream_t *s = opaque;
	sm_mm_msg_t *mm = m->_private;
	if (!mm)
		return;
	if (s->closing) {
		free(mm);
		return;
	}
	if (m->err) {
		s->failed++;
		sm_tool_log("ERROR", SM_MM_LOGGER,
			    "Error when sending message to topic %s with key: %zu bytes, value: %zu "
			    "bytes with error: %s", rd_kafka_topic_name(m->rkt),
			    m->key ? m->key_len : 0, m->payload ? m->len : 0, rd_kafka_err2str(m->err));
		if (s->o->abort_on_send_failure) {
			/* The record is never marked done, so no offset at
			 * or past it is committed. */
			__atomic_store_n(&sm_mm_exit_code, 1, __ATOMIC_RELAXED);
			__atomic_store_n(&sm_mm_stop, 1, __ATOMIC_RELAXED);
			free(mm);
			return;
		}
		/* Kafka skips the record when told not to abort. */
	} else {
		s->acked++;
	}
	sm_mm_part_ack(mm->part, mm->seq, mm->gen);
	free(mm);
}

static void sm_mm_commit(sm_mm_stream_t *s, const char *why)
{
	if (!s->stored_since_commit)
		return;
	rd_kafka_resp_err_t e = rd_kafka_commit(s->cons, NULL, 0);
	if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR__NO_OFFSET)
		s->stored_since_commit = 0;
	else
		sm_tool_log("WARN", SM_MM_LOGGER, "Stream %d: offset commit (%s) failed: %s",
			    s->id, why, rd_kafka_err2str(e));
}

/* Waits for the producer's outstanding records (whose reports store their
 * offsets) for at most timeout_ms, then commits what is stored. */
static void sm_mm_flush_commit(sm_mm_stream_t *s, int timeout_ms, const char *why)
{
	if (rd_kafka_flush(s->prod, timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR)
		sm_tool_log("WARN", SM_MM_LOGGER,
			    "Stream %d: %d records still unacknowledged by the target (%s); their "
			    "offsets are not committed", s->id, rd_kafka_outq_len(s->prod), why);
	sm_mm_commit(s, why);
}

static void sm_mm_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			    rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	sm_mm_stream_t *s = opaque;
	int coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		for (int i = 0; i < parts->cnt; i++) {
			sm_mm_part_t *p = sm_mm_part_get(s, parts->elems[i].topic,
							 parts->elems[i].partition);
			if (p)
				sm_mm_part_reset(p);
		}
		if (coop)
			rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
		else
			rd_kafka_assign(rk, parts);
		return;
	}
	/* Revoked: commit what the target has before someone else takes the
	 * partitions over (Kafka's MirrorMaker flushes and commits here too). */
	sm_mm_flush_commit(s, 30000, "rebalance");
	for (int i = 0; i < parts->cnt; i++) {
		sm_mm_part_t *p = sm_mm_part_get(s, parts->elems[i].topic, parts->elems[i].partition);
		if (p)
			sm_mm_part_reset(p);
	}
	if (coop)
		rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
	else
		rd_kafka_assign(rk, NULL);
}

/* Java-only keys that librdkafka does not know and that mean nothing here. */
static int sm_mm_java_only(const char *k)
{
	static const char *const keys[] = {
		"key.deserializer", "value.deserializer", "key.serializer", "value.serializer",
		"max.block.ms", "interceptor.classes", "exclude.internal.topics", NULL,
	};
	for (int i = 0; keys[i]; i++)
		if (!strcmp(k, keys[i]))
			return 1;
	return 0;
}

/* Kafka's assignor class names to librdkafka's strategy names. */
static const char *sm_mm_strategy(const char *cls)
{
	if (strstr(cls, "CooperativeSticky") || !strcmp(cls, "cooperative-sticky"))
		return "cooperative-sticky";
	if (strstr(cls, "RoundRobin") || !strcmp(cls, "roundrobin"))
		return "roundrobin";
	if (strstr(cls, "Range") || !strcmp(cls, "range"))
		return "range";
	return cls;
}

static rd_kafka_conf_t *sm_mm_conf(const sm_tool_props_t *props, const char *what)
{
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	for (size_t i = 0; i < props->cnt; i++) {
		const char *k = props->v[i].key, *v = props->v[i].value;
		if (sm_mm_java_only(k))
			continue;
		if (!strcmp(k, "partition.assignment.strategy"))
			v = sm_mm_strategy(v);
		if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK)
			sm_tool_log("WARN", SM_MM_LOGGER, "Ignoring %s property %s: %s", what, k, err);
	}
	return conf;
}

static int sm_mm_clients(sm_mm_stream_t *s, const sm_tool_props_t *cprops,
			 const sm_tool_props_t *pprops)
{
	char err[512], cid[300];
	sm_tool_props_t c;
	sm_tool_props_init(&c);
	for (size_t i = 0; i < cprops->cnt; i++)
		sm_tool_props_set(&c, cprops->v[i].key, cprops->v[i].value);
	/* The offsets are stored and committed by this program only. */
	sm_tool_props_set(&c, "enable.auto.commit", "false");
	sm_tool_props_set(&c, "enable.auto.offset.store", "false");
	if (!sm_tool_props_get(&c, "partition.assignment.strategy"))
		sm_tool_props_set(&c, "partition.assignment.strategy", "roundrobin");
	const char *group = sm_tool_props_get(&c, "group.id");
	snprintf(cid, sizeof(cid), "%s-%d", group ? group : "mirror-maker", s->id);
	sm_tool_props_set(&c, "client.id", cid);
	rd_kafka_conf_t *conf = sm_mm_conf(&c, "consumer");
	sm_tool_props_destroy(&c);
	rd_kafka_conf_set_opaque(conf, s);
	rd_kafka_conf_set_rebalance_cb(conf, sm_mm_rebalance);
	s->cons = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	if (!s->cons) {
		sm_tool_log("ERROR", SM_MM_LOGGER, "Cannot create the consumer: %s", err);
		return -1;
	}
	rd_kafka_poll_set_consumer(s->cons);

	conf = sm_mm_conf(pprops, "producer");
	rd_kafka_conf_set_opaque(conf, s);
	rd_kafka_conf_set_dr_msg_cb(conf, sm_mm_dr);
	s->prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!s->prod) {
		sm_tool_log("ERROR", SM_MM_LOGGER, "Cannot create the producer: %s", err);
		return -1;
	}
	return 0;
}

/* Produces one consumed record; blocks (serving reports) while the
 * producer's queue is full, as MirrorMaker's max.block.ms=Long.MAX does. */
static void sm_mm_mirror(sm_mm_stream_t *s, rd_kafka_message_t *m)
{
	const char *topic = rd_kafka_topic_name(m->rkt);
	sm_mm_part_t *p = sm_mm_part_get(s, topic, m->partition);
	sm_mm_msg_t *mm = malloc(sizeof(*mm));
	uint64_t seq;
	if (!p || !mm || sm_mm_part_push(p, m->offset, &seq)) {
		free(mm);
		sm_tool_log("ERROR", SM_MM_LOGGER, "Out of memory");
		__atomic_store_n(&sm_mm_exit_code, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&sm_mm_stop, 1, __ATOMIC_RELAXED);
		return;
	}
	mm->part = p;
	mm->seq = seq;
	mm->gen = p->gen;
	rd_kafka_timestamp_type_t tstype;
	int64_t ts = rd_kafka_message_timestamp(m, &tstype);
	rd_kafka_headers_t *hdrs = NULL, *copy = NULL;
	if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs)
		copy = rd_kafka_headers_copy(hdrs);
	for (;;) {
		rd_kafka_resp_err_t e = rd_kafka_producev(
			s->prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_VALUE(m->payload, m->len),
			RD_KAFKA_V_TIMESTAMP(tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? 0 : ts),
			RD_KAFKA_V_HEADERS(copy), RD_KAFKA_V_OPAQUE(mm), RD_KAFKA_V_END);
		if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
			s->mirrored++;
			return;
		}
		if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL && !sm_mm_stopping()) {
			rd_kafka_poll(s->prod, 100);
			continue;
		}
		/* Not queued: the headers are still ours and the record
		 * is not done, so its offset stays uncommitted. */
		if (copy)
			rd_kafka_headers_destroy(copy);
		free(mm);
		if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL)
			return;
		s->failed++;
		sm_tool_log("ERROR", SM_MM_LOGGER, "Error when sending message to topic %s: %s",
			    topic, rd_kafka_err2str(e));
		if (s->o->abort_on_send_failure) {
			__atomic_store_n(&sm_mm_exit_code, 1, __ATOMIC_RELAXED);
			__atomic_store_n(&sm_mm_stop, 1, __ATOMIC_RELAXED);
		}
		return;
	}
}

static void *sm_mm_stream_run(void *arg)
{
	sm_mm_stream_t *s = arg;
	rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, s->regex, RD_KAFKA_PARTITION_UA);
	rd_kafka_resp_err_t e = rd_kafka_subscribe(s->cons, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	if (e) {
		sm_tool_log("ERROR", SM_MM_LOGGER, "Cannot subscribe to %s: %s", s->regex,
			    rd_kafka_err2str(e));
		__atomic_store_n(&sm_mm_exit_code, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&sm_mm_stop, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	int64_t next_commit = sm_mm_now_ms() + s->o->commit_interval_ms;
	while (!sm_mm_stopping()) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(s->cons, 100);
		if (m) {
			if (!m->err)
				sm_mm_mirror(s, m);
			else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
				sm_tool_log("WARN", SM_MM_LOGGER, "Stream %d: consumer error: %s",
					    s->id, rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
		}
		rd_kafka_poll(s->prod, 0);
		if (sm_mm_now_ms() >= next_commit) {
			sm_mm_commit(s, "interval");
			next_commit = sm_mm_now_ms() + s->o->commit_interval_ms;
		}
	}
	/* Clean shutdown: what the target acknowledges within a minute is
	 * committed; the rest is copied again by the next run. */
	sm_mm_flush_commit(s, 60000, "shutdown");
	return NULL;
}

int main(int argc, char **argv)
{
	sm_mm_opts_t o = { .streams = 1, .commit_interval_ms = 60000, .abort_on_send_failure = 1 };
	char err[512];
	if (sm_mm_parse(argc, argv, &o))
		return 1;
	sm_tool_props_t cprops, pprops;
	sm_tool_props_init(&cprops);
	sm_tool_props_init(&pprops);
	if (sm_tool_props_load(&cprops, o.consumer_config, err, sizeof(err)) ||
	    sm_tool_props_load(&pprops, o.producer_config, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (!sm_tool_props_get(&cprops, "group.id")) {
		fprintf(stderr, "The consumer config must set group.id\n");
		return 1;
	}
	/* MirrorMaker's producer overrides, unless the file sets them. */
	if (!sm_tool_props_get(&pprops, "acks") &&
	    !sm_tool_props_get(&pprops, "request.required.acks"))
		sm_tool_props_set(&pprops, "acks", "all");
	if (!sm_tool_props_get(&pprops, "enable.idempotence"))
		sm_tool_props_set(&pprops, "enable.idempotence", "true");
	if (!sm_tool_props_get(&pprops, "max.in.flight.requests.per.connection") &&
	    !sm_tool_props_get(&pprops, "max.in.flight"))
		sm_tool_props_set(&pprops, "max.in.flight.requests.per.connection", "1");
	if (!sm_tool_props_get(&pprops, "delivery.timeout.ms") &&
	    !sm_tool_props_get(&pprops, "message.timeout.ms"))
		sm_tool_props_set(&pprops, "delivery.timeout.ms", "2147483647");

	char *regex = sm_mm_pattern(o.whitelist);
	sm_mm_stream_t *streams = calloc((size_t)o.streams, sizeof(*streams));
	if (!regex || !streams) {
		fprintf(stderr, "Out of memory\n");
		return 1;
	}
	signal(SIGINT, sm_mm_on_signal);
	signal(SIGTERM, sm_mm_on_signal);
	signal(SIGPIPE, SIG_IGN);
	int rc = 0, started = 0;
	for (int i = 0; i < o.streams; i++) {
		streams[i].id = i;
		streams[i].o = &o;
		streams[i].regex = regex;
		if (sm_mm_clients(&streams[i], &cprops, &pprops)) {
			rc = 1;
			break;
		}
	}
	for (int i = 0; !rc && i < o.streams; i++) {
		if (pthread_create(&streams[i].thr, NULL, sm_mm_stream_run, &streams[i])) {
			sm_tool_log("ERROR", SM_MM_LOGGER, "Cannot start stream %d", i);
			__atomic_store_n(&sm_mm_stop, 1, __ATOMIC_RELAXED);
			rc = 1;
			break;
		}
		started++;
	}
	if (!rc)
		sm_tool_log("INFO", SM_MM_LOGGER, "Mirroring topics matching %s with %d stream(s)",
			    regex, o.streams);
	for (int i = 0; i < started; i++)
		pthread_join(streams[i].thr, NULL);
	long long mirrored = 0, acked = 0, failed = 0;
	for (int i = 0; i < o.streams; i++) {
		sm_mm_stream_t *s = &streams[i];
		mirrored += s->mirrored;
		acked += s->acked;
		failed += s->failed;
		/* Records still unacknowledged after the shutdown flush are
		 * dropped (their offsets were never stored); the consumer
		 * then leaves the group, its revocation committing nothing
		 * new, and the producer goes last since that callback uses it. */
		if (s->prod) {
			s->closing = 1;
			rd_kafka_purge(s->prod, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
			rd_kafka_flush(s->prod, 5000);
		}
		if (s->cons) {
			rd_kafka_consumer_close(s->cons);
			rd_kafka_destroy(s->cons);
		}
		if (s->prod)
			rd_kafka_destroy(s->prod);
		while (s->parts) {
			sm_mm_part_t *p = s->parts;
			s->parts = p->next;
			free(p->topic);
			free(p->offsets);
			free(p->acked);
			free(p);
		}
	}
	sm_tool_log("INFO", SM_MM_LOGGER, "Closing: %lld records sent, %lld acknowledged, %lld failed",
		    mirrored, acked, failed);
	free(streams);
	free(regex);
	sm_tool_props_destroy(&cprops);
	sm_tool_props_destroy(&pprops);
	if (__atomic_load_n(&sm_mm_exit_code, __ATOMIC_RELAXED))
		rc = 1;
	return rc;
}
