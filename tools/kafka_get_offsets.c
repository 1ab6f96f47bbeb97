/*
 * kafka_get_offsets.c - kafka-get-offsets.sh (Kafka 2.8's
 * kafka.tools.GetOffsetShell): the earliest (-2), latest (-1) or
 * first-at-or-after-timestamp offset of each selected partition, printed as
 * "topic:partition:offset" sorted by topic and partition. Topics are chosen
 * by --topic (a regular expression matching the whole name; ',' separates
 * alternatives, as Kafka's IncludeList) and --partitions, or by
 * --topic-partitions "regex:N,regex:N-M,..." (upper bound exclusive).
 * Partitions whose offsets cannot be read are skipped with a message on
 * stderr. Runs over librdkafka (metadata, watermarks, offsetsForTimes).
 *
 * Thread-safety: single-threaded program.
 */
#include <librdkafka/rdkafka.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_common.h"

#define GO_TIMEOUT_MS 30000

/* One --topic-partitions element: topic regex (NULL = any) and partitions
 * [lo, hi) (hi -1 = unbounded). */
typedef struct go_filter {
	regex_t re;
	int has_re;
	int lo, hi;
} go_filter_t;

typedef struct go_tp {
	const char *topic;
	int partition;
	int64_t offset;
	int ok;
} go_tp_t;

static void go_die(const char *msg)
{
	fprintf(stderr, "%s\n", msg);
	exit(1);
}

/* Compiles a Java-style whole-name pattern; ',' means '|' as in Kafka's
 * IncludeList. */
static void go_compile(regex_t *re, const char *pat)
{
	size_t n = strlen(pat);
	char *anch = malloc(n + 5);
	if (!anch)
		go_die("out of memory");
	size_t j = 0;
	anch[j++] = '^';
	anch[j++] = '(';
	for (size_t i = 0; i < n; i++)
		if (pat[i] != ' ' && pat[i] != '"')
			anch[j++] = pat[i] == ',' ? '|' : pat[i];
	anch[j++] = ')';
	anch[j++] = '$';
	anch[j] = 0;
	if (regcomp(re, anch, REG_EXTENDED | REG_NOSUB)) {
		fprintf(stderr, "Invalid topic pattern: %s\n", pat);
		exit(1);
	}
	free(anch);
}

static int go_parse_int(const char *s, size_t len, int *out)
{
	char buf[16];
	int64_t v;
	if (!len || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = 0;
	if (sm_tool_parse_i64(buf, &v) || v < 0 || v > INT32_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

/* "regex:spec" where spec is N, N-, -M or N-M; no ':' means every
 * partition. */
static void go_parse_filter(const char *el, go_filter_t *f)
{
	const char *colon = strrchr(el, ':');
	size_t tlen = colon ? (size_t)(colon - el) : strlen(el);
	f->lo = 0;
	f->hi = -1;
	f->has_re = tlen > 0;
	if (f->has_re) {
		char *t = strndup(el, tlen);
		if (!t)
			go_die("out of memory");
		go_compile(&f->re, t);
		free(t);
	}
	if (!colon)
		return;
	const char *spec = colon + 1, *dash = strchr(spec, '-');
	int bad;
	if (!dash) {
		bad = go_parse_int(spec, strlen(spec), &f->lo);
		f->hi = f->lo + 1;
	} else {
		bad = dash > spec && go_parse_int(spec, (size_t)(dash - spec), &f->lo);
		if (!bad && dash[1])
			bad = go_parse_int(dash + 1, strlen(dash + 1), &f->hi);
		if (dash == spec && !dash[1])
			bad = 1;
	}
	if (bad) {
		fprintf(stderr, "Invalid topic-partition pattern: %s\n", el);
		exit(1);
	}
}

static int go_cmp(const void *x, const void *y)
{
	const go_tp_t *a = x, *b = y;
	int c = strcmp(a->topic, b->topic);
	return c ? c : (a->partition > b->partition) - (a->partition < b->partition);
}

static int go_internal(const char *t)
{
	return !strcmp(t, "__consumer_offsets") || !strcmp(t, "__transaction_state");
}

static void go_usage(FILE *f)
{
	fprintf(f,
		"An interactive shell for getting topic-partition offsets.\n"
		"Option                                   Description\n"
		"------                                   -----------\n"
		"--bootstrap-server <String: HOST1:PORT1, REQUIRED. The server(s) to connect to in\n"
		"  ...>                                     the form HOST1:PORT1,HOST2:PORT2.\n"
		"--broker-list <String: HOST1:PORT1,...>  DEPRECATED, use --bootstrap-server\n"
		"                                           instead; ignored if --bootstrap-\n"
		"                                           server is specified.\n"
		"--command-config <String: config file>   Property file containing configs to be\n"
		"                                           passed to Consumer Client.\n"
		"--exclude-internal-topics                By default, internal topics are\n"
		"                                           included. If specified, internal\n"
		"                                           topics are excluded.\n"
		"--partitions <String: partition ids>     Comma separated list of partition ids\n"
		"                                           to get the offsets for.\n"
		"--time <Long: timestamp/-1(latest)/-2    timestamp of the offsets before that.\n"
		"  (earliest)>                              (default: -1)\n"
		"--topic <String: topic>                  The topic to get the offsets for. It\n"
		"                                           also accepts a regular expression.\n"
		"--topic-partitions <String: topic1:1,    Comma separated list of topic-partition\n"
		"  topic2:0-3,topic3,topic4:5-,topic5:-3>   patterns to get the offsets for.\n");
}

int main(int argc, char **argv)
{
	const char *bootstrap = NULL, *broker_list = NULL, *topic = NULL, *partitions = NULL;
	const char *tps = NULL, *command_config = NULL;
	int64_t when = -1;
	int exclude_internal = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has = i + 1 < argc;
		if (!strcmp(a, "--bootstrap-server") && has)
			bootstrap = argv[++i];
		else if (!strcmp(a, "--broker-list") && has)
			broker_list = argv[++i];
		else if (!strcmp(a, "--topic") && has)
			topic = argv[++i];
		else if (!strcmp(a, "--partitions") && has)
			partitions = argv[++i];
		else if (!strcmp(a, "--topic-partitions") && has)
			tps = argv[++i];
		else if (!strcmp(a, "--command-config") && has)
			command_config = argv[++i];
		else if (!strcmp(a, "--time") && has) {
			if (sm_tool_parse_i64(argv[++i], &when)) {
				fprintf(stderr, "Invalid value for --time: %s\n", argv[i]);
				return 1;
			}
		} else if ((!strcmp(a, "--offsets") || !strcmp(a, "--max-wait-ms")) && has)
			i++; /* deprecated in 2.8 and ignored there too */
		else if (!strcmp(a, "--exclude-internal-topics"))
			exclude_internal = 1;
		else if (!strcmp(a, "--help")) {
			go_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "Unrecognized option '%s'\n", a);
			go_usage(stderr);
			return 1;
		}
	}
	if (!bootstrap)
		bootstrap = broker_list;
	if (!bootstrap) {
		fprintf(stderr, "Missing required argument \"[bootstrap-server]\"\n");
		go_usage(stderr);
		return 1;
	}
	if (tps && (topic || partitions)) {
		fprintf(stderr, "Option topic-partitions cannot be used with --topic or --partitions\n");
		return 1;
	}

	/* Filters: --topic-partitions elements, or --topic x --partitions. */
	go_filter_t *filters = NULL;
	int nfilters = 0;
	const char *spec = tps ? tps : (partitions ? partitions : NULL);
	if (tps || partitions) {
		char *copy = strdup(spec), *save = NULL;
		if (!copy)
			go_die("out of memory");
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			filters = realloc(filters, sizeof(*filters) * (size_t)(nfilters + 1));
			if (!filters)
				go_die("out of memory");
			go_filter_t *f = &filters[nfilters++];
			if (tps) {
				go_parse_filter(t, f);
				continue;
			}
			f->has_re = 0;
			if (go_parse_int(t, strlen(t), &f->lo)) {
				fprintf(stderr, "Invalid partition id: %s\n", t);
				return 1;
			}
			f->hi = f->lo + 1;
		}
		free(copy);
	}
	regex_t topic_re;
	if (topic)
		go_compile(&topic_re, topic);

	char errstr[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (command_config) {
		sm_tool_props_t props;
		sm_tool_props_init(&props);
		if (sm_tool_props_load(&props, command_config, errstr, sizeof(errstr)))
			go_die(errstr);
		for (size_t i = 0; i < props.cnt; i++)
			if (rd_kafka_conf_set(conf, props.v[i].key, props.v[i].value, errstr,
					      sizeof(errstr)) != RD_KAFKA_CONF_OK)
				fprintf(stderr, "Ignoring %s: %s\n", props.v[i].key, errstr);
		sm_tool_props_destroy(&props);
	}
	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) !=
		    RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
		go_die(errstr);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (!rk)
		go_die(errstr);
	const rd_kafka_metadata_t *md = NULL;
	rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, GO_TIMEOUT_MS);
	if (err) {
		fprintf(stderr, "Error getting metadata: %s\n", rd_kafka_err2str(err));
		rd_kafka_destroy(rk);
		return 1;
	}

	int cap = 0, n = 0;
	go_tp_t *sel = NULL;
	for (int t = 0; t < md->topic_cnt; t++) {
		const rd_kafka_metadata_topic_t *mt = &md->topics[t];
		if (mt->err || (exclude_internal && go_internal(mt->topic)))
			continue;
		if (topic && regexec(&topic_re, mt->topic, 0, NULL, 0))
			continue;
		for (int p = 0; p < mt->partition_cnt; p++) {
			int id = mt->partitions[p].id, want = !filters;
			for (int f = 0; f < nfilters && !want; f++)
				want = (!filters[f].has_re ||
					!regexec(&filters[f].re, mt->topic, 0, NULL, 0)) &&
				       id >= filters[f].lo && (filters[f].hi < 0 || id < filters[f].hi);
			if (!want)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				sel = realloc(sel, sizeof(*sel) * (size_t)cap);
				if (!sel)
					go_die("out of memory");
			}
			sel[n++] = (go_tp_t){ .topic = mt->topic, .partition = id };
		}
	}
	if (!n) {
		fprintf(stderr, "Could not match any topic-partitions with the specified filters\n");
		rd_kafka_metadata_destroy(md);
		rd_kafka_destroy(rk);
		return 1;
	}
	qsort(sel, (size_t)n, sizeof(*sel), go_cmp);

	if (when == -1 || when == -2) {
		for (int i = 0; i < n; i++) {
			int64_t lo, hi;
			err = rd_kafka_query_watermark_offsets(rk, sel[i].topic, sel[i].partition, &lo,
							       &hi, GO_TIMEOUT_MS);
			if (err) {
				fprintf(stderr, "Skip getting offsets for topic-partition %s:%d due to error: %s\n",
					sel[i].topic, sel[i].partition, rd_kafka_err2str(err));
				continue;
			}
			sel[i].offset = when == -1 ? hi : lo;
			sel[i].ok = 1;
		}
	} else {
		rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
		for (int i = 0; i < n; i++)
			rd_kafka_topic_partition_list_add(l, sel[i].topic, sel[i].partition)->offset = when;
		err = rd_kafka_offsets_for_times(rk, l, GO_TIMEOUT_MS);
		for (int i = 0; i < n; i++) {
			const rd_kafka_topic_partition_t *e = &l->elems[i];
			if (err || e->err) {
				fprintf(stderr, "Skip getting offsets for topic-partition %s:%d due to error: %s\n",
					sel[i].topic, sel[i].partition, rd_kafka_err2str(err ? err : e->err));
				continue;
			}
			sel[i].offset = e->offset;
			sel[i].ok = 1;
		}
		rd_kafka_topic_partition_list_destroy(l);
	}
	for (int i = 0; i < n; i++)
		if (sel[i].ok)
			printf("%s:%d:%lld\n", sel[i].topic, sel[i].partition, (long long)sel[i].offset);
	fflush(stdout);

	free(sel);
	if (topic)
		regfree(&topic_re);
	for (int f = 0; f < nfilters; f++)
		if (filters[f].has_re)
			regfree(&filters[f].re);
	free(filters);
	rd_kafka_metadata_destroy(md);
	rd_kafka_destroy(rk);
	return 0;
}
