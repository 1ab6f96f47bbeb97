/*
 * kafka_topics.c - kafka-topics: create, list, describe, alter and delete
 * topics, either directly in ZooKeeper (--zookeeper, through zk/) or through
 * a broker's Admin API (--bootstrap-server, through librdkafka). Mirrors
 * Kafka 2.8's kafka.admin.TopicCommand: same options, same output lines,
 * same error texts.
 *
 * Thread-safety: a single-threaded command-line program.
 */
#include <getopt.h>
#include <inttypes.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "buf.h"
#include "kafka_zk.h"
#include "zk_login.h"
#include "logger.h"
#include "tool_common.h"

/* ---- options ---- */

enum {
	SM_KT_CREATE = 1, SM_KT_LIST, SM_KT_DESCRIBE, SM_KT_ALTER, SM_KT_DELETE,
};

typedef struct sm_kt_opts {
	int action;
	int n_actions;
	const char *zookeeper;
	const char *bootstrap;
	const char *command_config;
	const char *topic;
	int partitions;          /* -1 = not given */
	int replication_factor;  /* -1 = not given */
	const char *replica_assignment;
	sm_zk_config_t configs;
	char **delete_configs;
	int n_delete_configs;
	int if_exists, if_not_exists, exclude_internal;
	int under_replicated, unavailable, under_min_isr, at_min_isr;
	int with_overrides;
} sm_kt_opts_t;

/* One partition and one topic as describe prints them, from either path. */
typedef struct sm_kt_part {
	int32_t id;
	int32_t leader; /* -1 = none */
	int32_t *replicas, *isr, *adding, *removing;
	int n_replicas, n_isr, n_adding, n_removing;
} sm_kt_part_t;

typedef struct sm_kt_topic {
	char *name;
	int has_id;
	uint8_t id[16];
	sm_kt_part_t *parts;
	int n_parts;
	sm_zk_config_t configs;
	int marked;
} sm_kt_topic_t;

static const char *sm_kt_usage_text =
	"This tool helps to create, delete, describe, or change a topic.\n"
	"Option                                   Description\n"
	"------                                   -----------\n"
	"--alter                                  Alter the number of partitions,\n"
	"                                           replica assignment, and/or\n"
	"                                           configuration for the topic.\n"
	"--at-min-isr-partitions                  if set when describing topics, only\n"
	"                                           show partitions whose isr count is\n"
	"                                           equal to the configured minimum.\n"
	"--bootstrap-server <String: server to    REQUIRED: The Kafka server to connect\n"
	"  connect to>                              to. In case of providing this, a\n"
	"                                           direct Zookeeper connection won't be\n"
	"                                           required.\n"
	"--command-config <String: command        Property file containing configs to be\n"
	"  config property file>                    passed to Admin Client.\n"
	"--config <String: name=value>            A topic configuration override for the\n"
	"                                           topic being created or altered.\n"
	"--create                                 Create a new topic.\n"
	"--delete                                 Delete a topic\n"
	"--delete-config <String: name>           A topic configuration override to be\n"
	"                                           removed for an existing topic (only\n"
	"                                           with --zookeeper).\n"
	"--describe                               List details for the given topics.\n"
	"--exclude-internal                       exclude internal topics when running\n"
	"                                           list or describe command.\n"
	"--help                                   Print usage information.\n"
	"--if-exists                              if set when altering or deleting or\n"
	"                                           describing topics, the action will\n"
	"                                           only execute if the topic exists.\n"
	"--if-not-exists                          if set when creating topics, the\n"
	"                                           action will only execute if the\n"
	"                                           topic does not already exist.\n"
	"--list                                   List all available topics.\n"
	"--partitions <Integer: # of partitions>  The number of partitions for the topic\n"
	"                                           being created or altered.\n"
	"--replica-assignment <String:            A list of manual partition-to-broker\n"
	"  broker_id_for_part1_replica1 :           assignments for the topic being\n"
	"  broker_id_for_part1_replica2 ,           created or altered.\n"
	"  broker_id_for_part2_replica1 : ...>\n"
	"--replication-factor <Integer:           The replication factor for each\n"
	"  replication factor>                      partition in the topic being\n"
	"                                           created.\n"
	"--topic <String: topic>                  The topic to create, alter, describe\n"
	"                                           or delete. It also accepts a regular\n"
	"                                           expression, except for --create\n"
	"                                           option.\n"
	"--topics-with-overrides                  if set when describing topics, only\n"
	"                                           show topics that have overridden\n"
	"                                           configs\n"
	"--unavailable-partitions                 if set when describing topics, only\n"
	"                                           show partitions whose leader is not\n"
	"                                           available\n"
	"--under-min-isr-partitions               if set when describing topics, only\n"
	"                                           show partitions whose isr count is\n"
	"                                           less than the configured minimum.\n"
	"--under-replicated-partitions            if set when describing topics, only\n"
	"                                           show under replicated partitions\n"
	"--version                                Display Kafka version.\n"
	"--zookeeper <String: hosts>              DEPRECATED, The connection string for\n"
	"                                           the zookeeper connection in the form\n"
	"                                           host:port. Multiple hosts can be\n"
	"                                           given to allow fail-over.\n";

static void sm_kt_usage_die(const char *msg)
{
	if (msg)
		fprintf(stderr, "%s\n", msg);
	fputs(sm_kt_usage_text, stderr);
	exit(1);
}

/* TopicCommand's catch-all: the message on stdout, exit 1. */
static void sm_kt_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void sm_kt_fail(const char *fmt, ...)
{
	va_list ap;
	printf("Error while executing topic command : ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

static int sm_kt_parse_int(const char *s, const char *opt)
{
	int64_t v;
	if (sm_tool_parse_i64(s, &v) || v < INT32_MIN || v > INT32_MAX) {
		char m[256];
		snprintf(m, sizeof(m), "Cannot parse argument '%s' of option %s",
			 s, opt);
		sm_kt_usage_die(m);
	}
	return (int)v;
}

static void sm_kt_add_config(sm_kt_opts_t *o, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv)
		sm_kt_fail("Invalid topic config: all configs to be added must be "
			   "in the format \"key=val\".");
	char *k = sm_strndup(kv, (size_t)(eq - kv));
	sm_zk_config_set(&o->configs, k, eq + 1);
	free(k);
}

static const struct option sm_kt_longopts[] = {
	{ "create", no_argument, NULL, 'C' },
	{ "list", no_argument, NULL, 'L' },
	{ "describe", no_argument, NULL, 'D' },
	{ "alter", no_argument, NULL, 'A' },
	{ "delete", no_argument, NULL, 'X' },
	{ "zookeeper", required_argument, NULL, 'z' },
	{ "bootstrap-server", required_argument, NULL, 'b' },
	{ "command-config", required_argument, NULL, 'c' },
	{ "topic", required_argument, NULL, 't' },
	{ "partitions", required_argument, NULL, 'p' },
	{ "replication-factor", required_argument, NULL, 'r' },
	{ "replica-assignment", required_argument, NULL, 'a' },
	{ "config", required_argument, NULL, 'o' },
	{ "delete-config", required_argument, NULL, 'd' },
	{ "if-exists", no_argument, NULL, 1 },
	{ "if-not-exists", no_argument, NULL, 2 },
	{ "exclude-internal", no_argument, NULL, 3 },
	{ "under-replicated-partitions", no_argument, NULL, 4 },
	{ "unavailable-partitions", no_argument, NULL, 5 },
	{ "under-min-isr-partitions", no_argument, NULL, 6 },
	{ "at-min-isr-partitions", no_argument, NULL, 7 },
	{ "topics-with-overrides", no_argument, NULL, 8 },
	{ "disable-rack-aware", no_argument, NULL, 9 },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void sm_kt_set_action(sm_kt_opts_t *o, int a)
{
	o->action = a;
	o->n_actions++;
}

static void sm_kt_parse_opt(sm_kt_opts_t *o, int c, const char *arg)
{
	switch (c) {
	case 'C': sm_kt_set_action(o, SM_KT_CREATE); break;
	case 'L': sm_kt_set_action(o, SM_KT_LIST); break;
	case 'D': sm_kt_set_action(o, SM_KT_DESCRIBE); break;
	case 'A': sm_kt_set_action(o, SM_KT_ALTER); break;
	case 'X': sm_kt_set_action(o, SM_KT_DELETE); break;
	case 'z': o->zookeeper = arg; break;
	case 'b': o->bootstrap = arg; break;
	case 'c': o->command_config = arg; break;
	case 't': o->topic = arg; break;
	case 'p': o->partitions = sm_kt_parse_int(arg, "--partitions"); break;
	case 'r':
		o->replication_factor = sm_kt_parse_int(arg, "--replication-factor");
		break;
	case 'a': o->replica_assignment = arg; break;
	case 'o': sm_kt_add_config(o, arg); break;
	case 'd':
		o->delete_configs = sm_realloc(o->delete_configs,
					       (size_t)(o->n_delete_configs + 1) *
						       sizeof(char *));
		o->delete_configs[o->n_delete_configs++] = (char *)arg;
		break;
	case 1: o->if_exists = 1; break;
	case 2: o->if_not_exists = 1; break;
	case 3: o->exclude_internal = 1; break;
	case 4: o->under_replicated = 1; break;
	case 5: o->unavailable = 1; break;
	case 6: o->under_min_isr = 1; break;
	case 7: o->at_min_isr = 1; break;
	case 8: o->with_overrides = 1; break;
	case 9: break; /* no racks in Samsa's assignment anyway */
	case 'h': sm_kt_usage_die(NULL); break;
	case 'V': printf("2.8.2 (Samsa)\n"); exit(0);
	default: sm_kt_usage_die(NULL);
	}
}

/* TopicCommandOptions.checkArgs. */
static void sm_kt_check_args(const sm_kt_opts_t *o)
{
	if (o->n_actions != 1)
		sm_kt_usage_die("Command must include exactly one action: --list, "
				"--describe, --create, --alter or --delete");
	if (!!o->zookeeper == !!o->bootstrap)
		sm_kt_usage_die("Only one of --bootstrap-server or --zookeeper "
				"must be specified");
	if (!o->topic && (o->action == SM_KT_CREATE || o->action == SM_KT_ALTER ||
			  o->action == SM_KT_DELETE))
		sm_kt_usage_die("Missing required argument \"[topic]\"");
	if (o->action == SM_KT_CREATE && !o->replica_assignment && o->zookeeper) {
		if (o->partitions < 0)
			sm_kt_usage_die("Missing required argument \"[partitions]\"");
		if (o->replication_factor < 0)
			sm_kt_usage_die("Missing required argument "
					"\"[replication-factor]\"");
	}
	if (o->action == SM_KT_CREATE && o->replica_assignment &&
	    (o->partitions >= 0 || o->replication_factor >= 0))
		sm_kt_usage_die("Option \"[replica-assignment]\" can't be used "
				"with option \"[partitions],[replication-factor]\"");
	if (o->bootstrap && o->action == SM_KT_ALTER &&
	    (o->configs.n || o->n_delete_configs))
		sm_kt_usage_die("Option \"[config]\" can't be used with option "
				"\"[bootstrap-server]\"");
	if (o->action == SM_KT_ALTER && o->partitions < 0 && !o->configs.n &&
	    !o->n_delete_configs && !o->replica_assignment)
		sm_kt_usage_die("Missing required argument \"[partitions]\"");
	if (o->if_exists && o->action != SM_KT_ALTER &&
	    o->action != SM_KT_DELETE && o->action != SM_KT_DESCRIBE)
		sm_kt_usage_die("Option \"[if-exists]\" can't be used with option "
				"\"[create],[list]\"");
	if (o->if_not_exists && o->action != SM_KT_CREATE)
		sm_kt_usage_die("Option \"[if-not-exists]\" can only be used with "
				"option \"[create]\"");
	if (o->action == SM_KT_CREATE && o->partitions == 0)
		sm_kt_fail("The partitions must be greater than 0");
	if (o->action == SM_KT_CREATE && o->replication_factor == 0)
		sm_kt_fail("The replication factor must be greater than 0");
}

/* ---- shared helpers ---- */

static int sm_kt_is_internal(const char *t)
{
	return !strcmp(t, "__consumer_offsets") ||
	       !strcmp(t, "__transaction_state");
}

/* --topic is a (Java) regex matched against the whole name; commas
 * separate alternatives as in Kafka's IncludeList. */
static void sm_kt_regex(const char *topic, regex_t *re)
{
	size_t n = strlen(topic);
	char *pat = sm_malloc(n + 8);
	size_t o = 0;
	pat[o++] = '^';
	pat[o++] = '(';
	for (size_t i = 0; i < n; i++)
		if (topic[i] != ' ' && topic[i] != '"')
			pat[o++] = topic[i] == ',' ? '|' : topic[i];
	pat[o++] = ')';
	pat[o++] = '$';
	pat[o] = '\0';
	int rc = regcomp(re, pat, REG_EXTENDED | REG_NOSUB);
	free(pat);
	if (rc)
		sm_kt_fail("Invalid regular expression: %s", topic);
}

/* Keeps the names matching --topic (and --exclude-internal), sorted. */
static int sm_kt_filter(const sm_kt_opts_t *o, char **names, int n)
{
	regex_t re;
	int keep = 0;
	if (o->topic)
		sm_kt_regex(o->topic, &re);
	for (int i = 0; i < n; i++) {
		int ok = (!o->topic || !regexec(&re, names[i], 0, NULL, 0)) &&
			 !(o->exclude_internal && sm_kt_is_internal(names[i]));
		if (ok)
			names[keep++] = names[i];
		else
			free(names[i]);
	}
	if (o->topic)
		regfree(&re);
	return keep;
}

/* TopicCommand.ensureTopicExists. */
static void sm_kt_ensure_exists(const sm_kt_opts_t *o, int n_found)
{
	if (n_found == 0 && o->topic && !o->if_exists)
		sm_kt_fail("Topic '%s' does not exist as expected", o->topic);
}

static void sm_kt_print_ints(const char *label, const int32_t *v, int n)
{
	printf("\t%s: ", label);
	for (int i = 0; i < n; i++)
		printf(i ? ",%" PRId32 : "%" PRId32, v[i]);
}

static int sm_kt_contains(const int32_t *v, int n, int32_t x)
{
	for (int i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

static void sm_kt_topic_free(sm_kt_topic_t *t)
{
	for (int i = 0; i < t->n_parts; i++) {
		free(t->parts[i].replicas);
		free(t->parts[i].isr);
		free(t->parts[i].adding);
		free(t->parts[i].removing);
	}
	free(t->parts);
	free(t->name);
	sm_zk_config_clear(&t->configs);
	memset(t, 0, sizeof(*t));
}

/* PartitionDescription's filters. */
static int sm_kt_should_print(const sm_kt_opts_t *o, const sm_kt_part_t *p,
			      int min_isr, const int32_t *live, int n_live)
{
	if (!o->under_replicated && !o->unavailable && !o->under_min_isr &&
	    !o->at_min_isr)
		return 1;
	if (o->under_replicated && p->n_isr < p->n_replicas)
		return 1;
	if (o->unavailable &&
	    (p->leader < 0 || !sm_kt_contains(live, n_live, p->leader)))
		return 1;
	if (o->under_min_isr && p->n_isr < min_isr)
		return 1;
	if (o->at_min_isr && p->n_isr == min_isr)
		return 1;
	return 0;
}

static void sm_kt_print_header(const sm_kt_topic_t *t)
{
	int rf = 0;
	if (t->n_parts) /* replicas being added do not count */
		rf = t->parts[0].n_replicas - t->parts[0].n_adding;
	printf("Topic: %s", t->name);
	if (t->has_id && !sm_uuid_is_zero(t->id)) {
		char id[SM_UUID_B64_LEN + 1];
		sm_uuid_to_b64(t->id, id);
		printf("\tTopicId: %s", id);
	}
	printf("\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: ",
	       t->n_parts, rf);
	for (int i = 0; i < t->configs.n; i++)
		printf(i ? ",%s=%s" : "%s=%s", t->configs.keys[i],
		       t->configs.values[i]);
	printf("%s\n", t->marked ? "\tMarkedForDeletion: true" : "");
}

static void sm_kt_print_part(const sm_kt_topic_t *t, const sm_kt_part_t *p)
{
	printf("\tTopic: %s\tPartition: %" PRId32, t->name, p->id);
	if (p->leader >= 0)
		printf("\tLeader: %" PRId32, p->leader);
	else
		printf("\tLeader: none");
	sm_kt_print_ints("Replicas", p->replicas, p->n_replicas);
	sm_kt_print_ints("Isr", p->isr, p->n_isr);
	if (p->n_adding)
		sm_kt_print_ints("Adding Replicas", p->adding, p->n_adding);
	if (p->n_removing)
		sm_kt_print_ints("Removing Replicas", p->removing, p->n_removing);
	printf("%s\n", t->marked ? "\tMarkedForDeletion: true" : "");
}

/* TopicCommand's describe loop body for one topic. */
static void sm_kt_describe_one(const sm_kt_opts_t *o, const sm_kt_topic_t *t,
			       const int32_t *live, int n_live)
{
	int describe_configs = !o->under_replicated && !o->unavailable &&
			       !o->under_min_isr && !o->at_min_isr;
	const char *mi = sm_zk_config_get(&t->configs, "min.insync.replicas");
	int min_isr = mi ? atoi(mi) : 1;
	if (describe_configs && (!o->with_overrides || t->configs.n > 0))
		sm_kt_print_header(t);
	if (o->with_overrides)
		return;
	for (int i = 0; i < t->n_parts; i++)
		if (sm_kt_should_print(o, &t->parts[i], min_isr, live, n_live))
			sm_kt_print_part(t, &t->parts[i]);
}

static void sm_kt_collision_warning(const char *topic)
{
	if (sm_kzk_topic_has_collision_chars(topic))
		printf("WARNING: Due to limitations in metric names, topics with a "
		       "period ('.') or underscore ('_') could collide. To avoid "
		       "issues it is best to use either, but not both.\n");
}

/* "1:2,2:3" -> partitions of replica lists; all lists the same length and
 * free of duplicates, as AdminUtils demands. */
static sm_err_t sm_kt_parse_assignment(const char *s, int32_t first_partition,
				       sm_zk_topic_assignment_t *a)
{
	char *copy = sm_strdup(s), *save1 = NULL;
	int rf = -1;
	int32_t p = first_partition;
	memset(a, 0, sizeof(*a));
	for (char *part = strtok_r(copy, ",", &save1); part;
	     part = strtok_r(NULL, ",", &save1), p++) {
		int32_t reps[64];
		int n = 0;
		char *save2 = NULL;
		for (char *r = strtok_r(part, ":", &save2); r;
		     r = strtok_r(NULL, ":", &save2)) {
			int64_t v;
			while (*r == ' ')
				r++;
			if (sm_tool_parse_i64(r, &v) || v < 0 || v > INT32_MAX ||
			    n == 64)
				goto bad;
			if (sm_kt_contains(reps, n, (int32_t)v)) {
				free(copy);
				sm_kt_fail("Partition replica lists may not contain "
					   "duplicate entries: %" PRId64, v);
			}
			reps[n++] = (int32_t)v;
		}
		if (n == 0 || (rf >= 0 && n != rf)) {
			free(copy);
			sm_kt_fail("Partition %" PRId32 " has different replication "
				   "factor: %d", p, n);
		}
		rf = n;
		sm_zk_topic_add_partition(a, p, reps, n);
	}
	free(copy);
	return a->n_partitions ? SM_ERR_NONE : SM_ERR_INVALID_REPLICA_ASSIGNMENT;
bad:
	free(copy);
	sm_zk_topic_clear(a);
	return SM_ERR_INVALID_REPLICA_ASSIGNMENT;
}

/* ==== --zookeeper: AdminZkClient directly ==== */

static sm_zk_t *sm_kt_zk_connect(const char *connect)
{
	char err[512];
	sm_zk_t *zk = sm_zk_login_connect(connect, -1, err, sizeof(err));
	if (!zk)
		sm_kt_fail("%s", err);
	return zk;
}

/* Assignment for a new topic or new partitions, from --replica-assignment
 * or computed over the live brokers. */
static void sm_kt_zk_assignment(sm_zk_t *zk, const sm_kt_opts_t *o,
				int32_t first_partition, int n_new, int rf,
				sm_zk_topic_assignment_t *a)
{
	char err[256];
	if (o->replica_assignment) {
		if (sm_kt_parse_assignment(o->replica_assignment, first_partition,
					   a))
			sm_kt_fail("Invalid replica assignment: %s",
				   o->replica_assignment);
		return;
	}
	int32_t *out = NULL;
	/* Rack-aware when the brokers registered racks, as AdminUtils. */
	sm_err_t e = sm_kzk_assign_replicas_live(zk, n_new, rf, -1,
						 first_partition, &out, err,
						 sizeof(err));
	if (e)
		sm_kt_fail("%s", err);
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < n_new; i++)
		sm_zk_topic_add_partition(a, first_partition + i, out + i * rf, rf);
	free(out);
}

static void sm_kt_zk_create(sm_zk_t *zk, const sm_kt_opts_t *o)
{
	char err[512];
	const char *t = o->topic;
	sm_kt_collision_warning(t);
	if (sm_kzk_validate_topic_name(t, err, sizeof(err)))
		sm_kt_fail("%s", err);
	char **topics = NULL;
	int n = 0;
	if (sm_kzk_get_topics(zk, 0, &topics, &n) == SM_ERR_NONE) {
		int exists = 0;
		for (int i = 0; i < n; i++)
			exists |= !strcmp(topics[i], t);
		sm_err_t ce = sm_kzk_check_topic_collision(t, topics, n, err,
							   sizeof(err));
		sm_zk_strings_free(topics, n);
		if (exists) {
			if (o->if_not_exists)
				return;
			sm_kt_fail("Topic '%s' already exists.", t);
		}
		if (ce)
			sm_kt_fail("%s", err);
	}
	sm_zk_topic_assignment_t a;
	sm_kt_zk_assignment(zk, o, 0, o->partitions, o->replication_factor, &a);
	sm_err_t e = sm_kzk_create_topic(zk, t, &a, &o->configs, NULL);
	sm_zk_topic_clear(&a);
	if (e == SM_ERR_TOPIC_ALREADY_EXISTS) {
		if (o->if_not_exists)
			return;
		sm_kt_fail("Topic '%s' already exists.", t);
	}
	if (e)
		sm_kt_fail("Error while creating topic %s: %s", t, sm_err_name(e));
	printf("Created topic %s.\n", t);
}

/* Sorted topic names matching the options. */
static char **sm_kt_zk_topics(sm_zk_t *zk, const sm_kt_opts_t *o, int *np)
{
	char **names = NULL;
	int n = 0;
	sm_err_t e = sm_kzk_get_topics(zk, 0, &names, &n);
	if (e == SM_ERR__NOENT) {
		names = NULL;
		n = 0;
	} else if (e) {
		sm_kt_fail("Unable to list topics in ZooKeeper: %s", sm_err_name(e));
	}
	*np = sm_kt_filter(o, names, n);
	return names;
}

static void sm_kt_zk_list(sm_zk_t *zk, const sm_kt_opts_t *o)
{
	int n;
	char **names = sm_kt_zk_topics(zk, o, &n);
	for (int i = 0; i < n; i++) {
		if (sm_kzk_is_marked_for_deletion(zk, names[i]) == 1)
			printf("%s - marked for deletion\n", names[i]);
		else
			printf("%s\n", names[i]);
	}
	sm_zk_strings_free(names, n);
}

/* Builds the describe view of one topic from its znodes. */
static int sm_kt_zk_load(sm_zk_t *zk, const char *name, sm_kt_topic_t *t)
{
	sm_zk_topic_assignment_t a;
	memset(t, 0, sizeof(*t));
	if (sm_kzk_get_topic_assignment(zk, name, 0, &a, NULL))
		return -1;
	t->name = sm_strdup(name);
	t->has_id = a.has_topic_id;
	memcpy(t->id, a.topic_id, 16);
	t->marked = sm_kzk_is_marked_for_deletion(zk, name) == 1;
	sm_kzk_get_topic_config(zk, name, &t->configs);
	t->parts = sm_calloc((size_t)a.n_partitions + 1, sizeof(*t->parts));
	t->n_parts = a.n_partitions;
	for (int i = 0; i < a.n_partitions; i++) {
		const sm_zk_partition_assignment_t *pa = &a.partitions[i];
		sm_kt_part_t *p = &t->parts[i];
		sm_zk_partition_state_t st;
		p->id = pa->partition;
		p->leader = -1;
		p->replicas = pa->replicas;
		p->n_replicas = pa->n_replicas;
		p->adding = pa->adding;
		p->n_adding = pa->n_adding;
		p->removing = pa->removing;
		p->n_removing = pa->n_removing;
		if (sm_kzk_get_partition_state(zk, name, pa->partition, 0, &st) ==
		    SM_ERR_NONE) {
			p->leader = st.leader;
			p->isr = st.isr; /* ownership moves to p */
			p->n_isr = st.n_isr;
		}
	}
	free(a.partitions); /* the arrays now belong to t->parts */
	return 0;
}

static void sm_kt_zk_describe(sm_zk_t *zk, const sm_kt_opts_t *o)
{
	int n, n_live = 0;
	char **names = sm_kt_zk_topics(zk, o, &n);
	int32_t *live = NULL;
	sm_kzk_get_broker_ids(zk, 0, &live, &n_live);
	sm_kt_ensure_exists(o, n);
	for (int i = 0; i < n; i++) {
		sm_kt_topic_t t;
		if (sm_kt_zk_load(zk, names[i], &t))
			continue; /* deleted meanwhile, or garbage */
		sm_kt_describe_one(o, &t, live, n_live);
		sm_kt_topic_free(&t);
	}
	free(live);
	sm_zk_strings_free(names, n);
}

static void sm_kt_zk_alter_config(sm_zk_t *zk, const sm_kt_opts_t *o,
				  const char *t)
{
	printf("WARNING: Altering topic configuration from this script has been "
	       "deprecated and may be removed in future releases.\n"
	       "         Going forward, please use kafka-configs.sh for this "
	       "functionality\n");
	sm_zk_config_t cfg, next = { 0 };
	sm_kzk_get_topic_config(zk, t, &cfg);
	for (int i = 0; i < o->configs.n; i++)
		sm_zk_config_set(&cfg, o->configs.keys[i], o->configs.values[i]);
	for (int i = 0; i < cfg.n; i++) {
		int drop = 0;
		for (int j = 0; j < o->n_delete_configs; j++)
			drop |= !strcmp(cfg.keys[i], o->delete_configs[j]);
		if (!drop)
			sm_zk_config_set(&next, cfg.keys[i], cfg.values[i]);
	}
	sm_err_t e = sm_kzk_set_entity_config(zk, "topics", t, &next);
	sm_zk_config_clear(&cfg);
	sm_zk_config_clear(&next);
	if (e)
		sm_kt_fail("Error while updating config of topic %s: %s", t,
			   sm_err_name(e));
	printf("Updated config for topic %s.\n", t);
}

/* AdminZkClient.addPartitions. */
static void sm_kt_zk_add_partitions(sm_zk_t *zk, const sm_kt_opts_t *o,
				    const char *t)
{
	sm_zk_topic_assignment_t cur, add;
	int32_t zkv;
	if (sm_kt_is_internal(t))
		sm_kt_fail("The number of partitions for the offsets topic cannot "
			   "be changed.");
	printf("WARNING: If partitions are increased for a topic that has a key, "
	       "the partition logic or ordering of the messages will be "
	       "affected\n");
	if (sm_kzk_get_topic_assignment(zk, t, 0, &cur, &zkv))
		sm_kt_fail("Topic %s not found", t);
	int old = cur.n_partitions;
	if (o->partitions <= old) {
		sm_zk_topic_clear(&cur);
		sm_kt_fail("The number of partitions for a topic can only be "
			   "increased. Topic %s currently has %d partitions, %d "
			   "would not be an increase.", t, old, o->partitions);
	}
	int rf = old ? cur.partitions[0].n_replicas : 1;
	sm_kt_zk_assignment(zk, o, old, o->partitions - old, rf, &add);
	for (int i = 0; i < add.n_partitions; i++)
		sm_zk_topic_add_partition(&cur, add.partitions[i].partition,
					  add.partitions[i].replicas,
					  add.partitions[i].n_replicas);
	sm_zk_topic_clear(&add);
	sm_err_t e = sm_kzk_set_topic_assignment(zk, t, &cur, zkv, -1, NULL);
	sm_zk_topic_clear(&cur);
	if (e)
		sm_kt_fail("Error while adding partitions to %s: %s", t,
			   sm_err_name(e));
	printf("Adding partitions succeeded!\n");
}

static void sm_kt_zk_alter(sm_zk_t *zk, const sm_kt_opts_t *o)
{
	int n;
	char **names = sm_kt_zk_topics(zk, o, &n);
	sm_kt_ensure_exists(o, n);
	for (int i = 0; i < n; i++) {
		if (o->configs.n || o->n_delete_configs)
			sm_kt_zk_alter_config(zk, o, names[i]);
		if (o->partitions > 0)
			sm_kt_zk_add_partitions(zk, o, names[i]);
	}
	sm_zk_strings_free(names, n);
}

static void sm_kt_zk_delete(sm_zk_t *zk, const sm_kt_opts_t *o)
{
	int n;
	char **names = sm_kt_zk_topics(zk, o, &n);
	sm_kt_ensure_exists(o, n);
	for (int i = 0; i < n; i++) {
		const char *t = names[i];
		if (sm_kt_is_internal(t))
			sm_kt_fail("Topic %s is a kafka internal topic and is not "
				   "allowed to be marked for deletion.", t);
		sm_err_t e = sm_kzk_mark_topic_for_deletion(zk, t);
		if (e == SM_ERR__EXISTS) {
			printf("Topic %s is already marked for deletion.\n", t);
		} else if (e) {
			sm_kt_fail("Error while deleting topic %s", t);
		} else {
			printf("Topic %s is marked for deletion.\n", t);
			printf("Note: This will have no impact if delete.topic.enable "
			       "is not set to true.\n");
		}
	}
	sm_zk_strings_free(names, n);
}

static void sm_kt_zk_run(const sm_kt_opts_t *o)
{
	sm_zk_t *zk = sm_kt_zk_connect(o->zookeeper);
	switch (o->action) {
	case SM_KT_CREATE: sm_kt_zk_create(zk, o); break;
	case SM_KT_LIST: sm_kt_zk_list(zk, o); break;
	case SM_KT_DESCRIBE: sm_kt_zk_describe(zk, o); break;
	case SM_KT_ALTER: sm_kt_zk_alter(zk, o); break;
	default: sm_kt_zk_delete(zk, o); break;
	}
	sm_zk_destroy(zk);
}

/* ==== --bootstrap-server: the Admin API through librdkafka ==== */

#define SM_KT_TIMEOUT_MS 30000

static rd_kafka_t *sm_kt_rk_new(const sm_kt_opts_t *o)
{
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	sm_tool_props_t props;
	sm_tool_props_init(&props);
	if (o->command_config &&
	    sm_tool_props_load(&props, o->command_config, err, sizeof(err)))
		sm_kt_fail("%s", err);
	for (size_t i = 0; i < props.cnt; i++)
		if (rd_kafka_conf_set(conf, props.v[i].key, props.v[i].value, err,
				      sizeof(err)) != RD_KAFKA_CONF_OK)
			fprintf(stderr, "WARNING: ignoring %s: %s\n",
				props.v[i].key, err);
	sm_tool_props_destroy(&props);
	if (rd_kafka_conf_set(conf, "bootstrap.servers", o->bootstrap, err,
			      sizeof(err)) != RD_KAFKA_CONF_OK)
		sm_kt_fail("%s", err);
	rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!rk)
		sm_kt_fail("%s", err);
	return rk;
}

static const rd_kafka_metadata_t *sm_kt_rk_metadata(rd_kafka_t *rk)
{
	const rd_kafka_metadata_t *md = NULL;
	rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md,
						  SM_KT_TIMEOUT_MS);
	if (e)
		sm_kt_fail("org.apache.kafka.common.errors.TimeoutException: "
			   "Call(callName=listTopics) timed out (%s)",
			   rd_kafka_err2str(e));
	return md;
}

/* Sorted names from metadata that match the options. */
static char **sm_kt_rk_topics(const rd_kafka_metadata_t *md,
			      const sm_kt_opts_t *o, int *np)
{
	char **names = sm_calloc((size_t)md->topic_cnt + 1, sizeof(char *));
	int n = 0;
	for (int i = 0; i < md->topic_cnt; i++)
		if (md->topics[i].err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
			names[n++] = sm_strdup(md->topics[i].topic);
	n = sm_kt_filter(o, names, n);
	for (int i = 1; i < n; i++) /* insertion sort: lists are short */
		for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char *tmp = names[j];
			names[j] = names[j - 1];
			names[j - 1] = tmp;
		}
	*np = n;
	return names;
}

/* Waits for one admin result event of the given type. */
static rd_kafka_event_t *sm_kt_rk_wait(rd_kafka_queue_t *q)
{
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, SM_KT_TIMEOUT_MS + 5000);
	if (!ev)
		sm_kt_fail("org.apache.kafka.common.errors.TimeoutException: "
			   "Timed out waiting for a node assignment.");
	if (rd_kafka_event_error(ev) &&
	    rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR__PARTIAL)
		sm_kt_fail("%s", rd_kafka_event_error_string(ev));
	return ev;
}

static void sm_kt_rk_topic_result(const rd_kafka_topic_result_t *r,
				  const sm_kt_opts_t *o, int tolerate)
{
	rd_kafka_resp_err_t e = rd_kafka_topic_result_error(r);
	if (!e || (int)e == tolerate)
		return;
	const char *msg = rd_kafka_topic_result_error_string(r);
	if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS && o->if_not_exists)
		return;
	if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS && (!msg || !*msg))
		sm_kt_fail("Topic '%s' already exists.",
			   rd_kafka_topic_result_name(r));
	sm_kt_fail("%s", msg && *msg ? msg : rd_kafka_err2str(e));
}

static void sm_kt_rk_create(rd_kafka_t *rk, const sm_kt_opts_t *o)
{
	char err[512];
	sm_kt_collision_warning(o->topic);
	sm_zk_topic_assignment_t a = { 0 };
	if (o->replica_assignment &&
	    sm_kt_parse_assignment(o->replica_assignment, 0, &a))
		sm_kt_fail("Invalid replica assignment: %s", o->replica_assignment);
	rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(
		o->topic, a.n_partitions ? a.n_partitions : o->partitions,
		a.n_partitions ? -1 : o->replication_factor, err, sizeof(err));
	if (!nt)
		sm_kt_fail("%s", err);
	for (int i = 0; i < a.n_partitions; i++)
		if (rd_kafka_NewTopic_set_replica_assignment(
			    nt, i, a.partitions[i].replicas,
			    (size_t)a.partitions[i].n_replicas, err, sizeof(err)))
			sm_kt_fail("%s", err);
	sm_zk_topic_clear(&a);
	for (int i = 0; i < o->configs.n; i++)
		rd_kafka_NewTopic_set_config(nt, o->configs.keys[i],
					     o->configs.values[i]);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
	rd_kafka_event_t *ev = sm_kt_rk_wait(q);
	size_t n;
	const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(
		rd_kafka_event_CreateTopics_result(ev), &n);
	for (size_t i = 0; i < n; i++)
		sm_kt_rk_topic_result(res[i], o, 0);
	int created = !(n && rd_kafka_topic_result_error(res[0]));
	rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	rd_kafka_NewTopic_destroy(nt);
	if (created)
		printf("Created topic %s.\n", o->topic);
}

static void sm_kt_rk_list(rd_kafka_t *rk, const sm_kt_opts_t *o)
{
	const rd_kafka_metadata_t *md = sm_kt_rk_metadata(rk);
	int n;
	char **names = sm_kt_rk_topics(md, o, &n);
	for (int i = 0; i < n; i++)
		printf("%s\n", names[i]);
	sm_zk_strings_free(names, n);
	rd_kafka_metadata_destroy(md);
}

/* Non-default configs of each topic; a broker that cannot answer
 * DescribeConfigs leaves them empty rather than failing the describe. */
static void sm_kt_rk_configs(rd_kafka_t *rk, sm_kt_topic_t *ts, int n)
{
	if (n == 0)
		return;
	rd_kafka_ConfigResource_t **crs = sm_calloc((size_t)n, sizeof(*crs));
	for (int i = 0; i < n; i++)
		crs[i] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC,
						     ts[i].name);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_DescribeConfigs(rk, crs, (size_t)n, NULL, q);
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, SM_KT_TIMEOUT_MS);
	const rd_kafka_DescribeConfigs_result_t *res =
		ev ? rd_kafka_event_DescribeConfigs_result(ev) : NULL;
	size_t nres = 0;
	const rd_kafka_ConfigResource_t **rs =
		res && !rd_kafka_event_error(ev)
			? rd_kafka_DescribeConfigs_result_resources(res, &nres)
			: NULL;
	for (size_t r = 0; r < nres; r++) {
		const char *name = rd_kafka_ConfigResource_name(rs[r]);
		sm_kt_topic_t *t = NULL;
		for (int i = 0; i < n && !t; i++)
			if (!strcmp(ts[i].name, name))
				t = &ts[i];
		if (!t || rd_kafka_ConfigResource_error(rs[r]))
			continue;
		size_t ne;
		const rd_kafka_ConfigEntry_t **es =
			rd_kafka_ConfigResource_configs(rs[r], &ne);
		for (size_t k = 0; k < ne; k++) {
			const char *v = rd_kafka_ConfigEntry_value(es[k]);
			if (rd_kafka_ConfigEntry_source(es[k]) ==
				    RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG ||
			    rd_kafka_ConfigEntry_is_synonym(es[k]))
				continue;
			sm_zk_config_set(&t->configs,
					 rd_kafka_ConfigEntry_name(es[k]),
					 v ? v : "null");
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	rd_kafka_ConfigResource_destroy_array(crs, (size_t)n);
	free(crs);
}

static int32_t *sm_kt_dup(const int32_t *v, int n)
{
	int32_t *r = sm_calloc((size_t)n + 1, sizeof(*r));
	memcpy(r, v, (size_t)n * sizeof(*r));
	return r;
}

static int sm_kt_part_cmp(const void *a, const void *b)
{
	const sm_kt_part_t *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

static void sm_kt_rk_fill(const rd_kafka_metadata_topic_t *mt, sm_kt_topic_t *t)
{
	memset(t, 0, sizeof(*t));
	t->name = sm_strdup(mt->topic);
	t->n_parts = mt->partition_cnt;
	t->parts = sm_calloc((size_t)mt->partition_cnt + 1, sizeof(*t->parts));
	for (int p = 0; p < mt->partition_cnt; p++) {
		const rd_kafka_metadata_partition_t *mp = &mt->partitions[p];
		sm_kt_part_t *q = &t->parts[p];
		q->id = mp->id;
		q->leader = mp->leader;
		q->replicas = sm_kt_dup(mp->replicas, mp->replica_cnt);
		q->n_replicas = mp->replica_cnt;
		q->isr = sm_kt_dup(mp->isrs, mp->isr_cnt);
		q->n_isr = mp->isr_cnt;
	}
	qsort(t->parts, (size_t)t->n_parts, sizeof(*t->parts), sm_kt_part_cmp);
}

static void sm_kt_rk_describe(rd_kafka_t *rk, const sm_kt_opts_t *o)
{
	const rd_kafka_metadata_t *md = sm_kt_rk_metadata(rk);
	int n;
	char **names = sm_kt_rk_topics(md, o, &n);
	sm_kt_ensure_exists(o, n);
	sm_kt_topic_t *ts = sm_calloc((size_t)n + 1, sizeof(*ts));
	for (int i = 0; i < n; i++)
		for (int k = 0; k < md->topic_cnt; k++)
			if (!strcmp(md->topics[k].topic, names[i]))
				sm_kt_rk_fill(&md->topics[k], &ts[i]);
	int32_t *live = sm_calloc((size_t)md->broker_cnt + 1, sizeof(*live));
	for (int b = 0; b < md->broker_cnt; b++)
		live[b] = md->brokers[b].id;
	sm_kt_rk_configs(rk, ts, n);
	for (int i = 0; i < n; i++) {
		sm_kt_describe_one(o, &ts[i], live, md->broker_cnt);
		sm_kt_topic_free(&ts[i]);
	}
	free(ts);
	free(live);
	sm_zk_strings_free(names, n);
	rd_kafka_metadata_destroy(md);
}

static void sm_kt_rk_delete(rd_kafka_t *rk, const sm_kt_opts_t *o)
{
	const rd_kafka_metadata_t *md = sm_kt_rk_metadata(rk);
	int n;
	char **names = sm_kt_rk_topics(md, o, &n);
	rd_kafka_metadata_destroy(md);
	sm_kt_ensure_exists(o, n);
	if (n == 0) {
		free(names);
		return;
	}
	rd_kafka_DeleteTopic_t **dts = sm_calloc((size_t)n, sizeof(*dts));
	for (int i = 0; i < n; i++)
		dts[i] = rd_kafka_DeleteTopic_new(names[i]);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_DeleteTopics(rk, dts, (size_t)n, NULL, q);
	rd_kafka_event_t *ev = sm_kt_rk_wait(q);
	size_t nr;
	const rd_kafka_topic_result_t **res = rd_kafka_DeleteTopics_result_topics(
		rd_kafka_event_DeleteTopics_result(ev), &nr);
	for (size_t i = 0; i < nr; i++)
		sm_kt_rk_topic_result(res[i], o, o->if_exists ?
				      RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART : 0);
	rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	rd_kafka_DeleteTopic_destroy_array(dts, (size_t)n);
	free(dts);
	sm_zk_strings_free(names, n);
}

static void sm_kt_rk_alter(rd_kafka_t *rk, const sm_kt_opts_t *o)
{
	char err[512];
	const rd_kafka_metadata_t *md = sm_kt_rk_metadata(rk);
	int n;
	char **names = sm_kt_rk_topics(md, o, &n);
	rd_kafka_metadata_destroy(md);
	sm_kt_ensure_exists(o, n);
	for (int i = 0; i < n; i++) {
		rd_kafka_NewPartitions_t *np = rd_kafka_NewPartitions_new(
			names[i], (size_t)o->partitions, err, sizeof(err));
		if (!np)
			sm_kt_fail("%s", err);
		rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
		rd_kafka_CreatePartitions(rk, &np, 1, NULL, q);
		rd_kafka_event_t *ev = sm_kt_rk_wait(q);
		size_t nr;
		const rd_kafka_topic_result_t **res =
			rd_kafka_CreatePartitions_result_topics(
				rd_kafka_event_CreatePartitions_result(ev), &nr);
		for (size_t k = 0; k < nr; k++)
			sm_kt_rk_topic_result(res[k], o, 0);
		rd_kafka_event_destroy(ev);
		rd_kafka_queue_destroy(q);
		rd_kafka_NewPartitions_destroy(np);
	}
	sm_zk_strings_free(names, n);
}

static void sm_kt_rk_run(const sm_kt_opts_t *o)
{
	rd_kafka_t *rk = sm_kt_rk_new(o);
	switch (o->action) {
	case SM_KT_CREATE: sm_kt_rk_create(rk, o); break;
	case SM_KT_LIST: sm_kt_rk_list(rk, o); break;
	case SM_KT_DESCRIBE: sm_kt_rk_describe(rk, o); break;
	case SM_KT_ALTER: sm_kt_rk_alter(rk, o); break;
	default: sm_kt_rk_delete(rk, o); break;
	}
	rd_kafka_destroy(rk);
}

int main(int argc, char **argv)
{
	sm_kt_opts_t o = { .partitions = -1, .replication_factor = -1 };
	int c;
	if (argc <= 1)
		sm_kt_usage_die("Create, delete, describe, or change a topic.");
	sm_logger_init(NULL, SM_LOG_WARN, 0);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", sm_kt_longopts, NULL)) != -1) {
		if (c == '?') {
			char m[256];
			snprintf(m, sizeof(m), "%s is not a recognized option",
				 optind > 0 && optind <= argc ? argv[optind - 1] : "?");
			sm_kt_usage_die(m);
		}
		sm_kt_parse_opt(&o, c, optarg);
	}
	if (optind < argc) {
		char m[256];
		snprintf(m, sizeof(m), "Found non argument parameters: %s",
			 argv[optind]);
		sm_kt_usage_die(m);
	}
	sm_kt_check_args(&o);
	if (o.zookeeper)
		sm_kt_zk_run(&o);
	else
		sm_kt_rk_run(&o);
	sm_zk_config_clear(&o.configs);
	free(o.delete_configs);
	fflush(stdout);
	return 0;
}
