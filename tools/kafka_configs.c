/*
 * kafka_configs.c - kafka-configs: describe and alter entity config
 * overrides (Kafka 2.8's kafka.admin.ConfigCommand) directly in ZooKeeper
 * (--zookeeper): /config/<type>/<name> plus a /config/changes notification
 * so brokers apply the change at run time. Same options and output lines
 * as Kafka's ZooKeeper path. The --bootstrap-server path (DescribeConfigs /
 * IncrementalAlterConfigs) is not available yet and says so.
 *
 * Thread-safety: a single-threaded command-line program.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "kafka_zk.h"
#include "logger.h"

typedef struct sm_kc_opts {
	int describe, alter;
	const char *zookeeper, *bootstrap;
	const char *type, *name;
	int entity_default;
	const char *add, *del;
} sm_kc_opts_t;

/* Topic-level configs Kafka 2.8 accepts (LogConfig). */
static const char *const sm_kc_topic_keys[] = {
	"cleanup.policy", "compression.type", "delete.retention.ms", "file.delete.delay.ms",
	"flush.messages", "flush.ms", "follower.replication.throttled.replicas",
	"index.interval.bytes", "leader.replication.throttled.replicas",
	"max.compaction.lag.ms", "max.message.bytes", "message.downconversion.enable",
	"message.format.version", "message.timestamp.difference.max.ms",
	"message.timestamp.type", "min.cleanable.dirty.ratio", "min.compaction.lag.ms",
	"min.insync.replicas", "preallocate", "retention.bytes", "retention.ms",
	"segment.bytes", "segment.index.bytes", "segment.jitter.ms", "segment.ms",
	"unclean.leader.election.enable",
};

static int sm_kc_usage(const char *msg)
{
	if (msg)
		fprintf(stderr, "%s\n", msg);
	fprintf(stderr,
		"This tool helps to manipulate and describe entity config for a topic, client, user or broker\n"
		"Option                      Description\n"
		"--alter                     Alter the configuration for the entity.\n"
		"--describe                  List configs for the given entity.\n"
		"--zookeeper <urls>          The connection string for the zookeeper connection.\n"
		"--bootstrap-server <server> The Kafka server to connect to.\n"
		"--entity-type <type>        topics/clients/users/brokers\n"
		"--entity-name <name>        Name of entity\n"
		"--entity-default            Default entity name for clients/users/brokers\n"
		"--topic <topic>             The topic's name (--entity-type topics --entity-name <topic>)\n"
		"--add-config <k=v,...>      Key Value pairs of configs to add (lists in square brackets)\n"
		"--delete-config <k,...>     Config keys to remove\n");
	return 1;
}

/* Splits "k1=v1,k2=[a,b],k3=v3" into cfg; returns -1 on a bad entry. */
static int sm_kc_parse_add(const char *s, sm_zk_config_t *cfg, char *err, size_t errlen)
{
	char *copy = sm_strdup(s), *p = copy;
	int rc = 0;
	while (*p && !rc) {
		char *eq = strchr(p, '='), *end;
		if (!eq) {
			snprintf(err, errlen, "Invalid entity config: all configs to be added must be in the format \"key=val\".");
			rc = -1;
			break;
		}
		*eq = '\0';
		char *v = eq + 1;
		if (*v == '[') {
			end = strchr(v, ']');
			if (!end) {
				snprintf(err, errlen, "Invalid entity config: unbalanced brackets in %s", v);
				rc = -1;
				break;
			}
			*end = '\0';
			v++;
			end++;
		} else {
			end = v + strcspn(v, ",");
		}
		char sep = *end;
		*end = '\0';
		sm_zk_config_set(cfg, p, v);
		p = sep ? end + 1 : end;
	}
	free(copy);
	return rc;
}

static int sm_kc_known_topic_key(const char *k)
{
	for (size_t i = 0; i < sizeof(sm_kc_topic_keys) / sizeof(sm_kc_topic_keys[0]); i++)
		if (!strcmp(k, sm_kc_topic_keys[i]))
			return 1;
	return 0;
}

/* "topic 'x'", "brokers 'x'", ... as ConfigCommand prints entities. */
static void sm_kc_entity_desc(const sm_kc_opts_t *o, char *out, size_t len)
{
	const char *t = o->type;
	const char *word = !strcmp(t, "topics") ? "topic" : !strcmp(t, "users") ? "user-principal"
			 : !strcmp(t, "clients") ? "client-id" : t;
	if (o->entity_default)
		snprintf(out, len, "default %s", word);
	else
		snprintf(out, len, "%s '%s'", word, o->name);
}

static int sm_kc_describe(sm_zk_t *zk, const sm_kc_opts_t *o, const char *name)
{
	sm_zk_config_t cfg = { 0 };
	sm_err_t e = sm_kzk_get_entity_config(zk, o->type, name, &cfg);
	if (e) {
		fprintf(stderr, "Error while executing config command with args: %s\n", sm_err_name(e));
		return 1;
	}
	char desc[512];
	sm_kc_entity_desc(o, desc, sizeof(desc));
	printf("Configs for %s are ", desc);
	for (int i = 0; i < cfg.n; i++)
		printf("%s%s=%s", i ? "," : "", cfg.keys[i], cfg.values[i]);
	printf("\n");
	sm_zk_config_clear(&cfg);
	return 0;
}

/* Removes the keys of the comma list del from cfg; -1 if one is absent. */
static int sm_kc_delete_keys(sm_zk_config_t *cfg, const char *del, char *err, size_t errlen)
{
	char *copy = sm_strdup(del), *save = NULL;
	int rc = 0;
	for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		int found = -1;
		for (int i = 0; i < cfg->n; i++)
			if (!strcmp(cfg->keys[i], k))
				found = i;
		if (found < 0) {
			snprintf(err, errlen, "Invalid config(s): %s", k);
			rc = -1;
			break;
		}
		free(cfg->keys[found]);
		free(cfg->values[found]);
		cfg->keys[found] = cfg->keys[cfg->n - 1];
		cfg->values[found] = cfg->values[cfg->n - 1];
		cfg->n--;
	}
	free(copy);
	return rc;
}

static int sm_kc_alter(sm_zk_t *zk, const sm_kc_opts_t *o, const char *name)
{
	char err[512] = "";
	sm_zk_config_t add = { 0 }, cfg = { 0 };
	int rc = 1;
	if (o->add && sm_kc_parse_add(o->add, &add, err, sizeof(err)))
		goto out;
	if (!strcmp(o->type, "topics")) {
		if (sm_kzk_topic_exists(zk, name) != 1) {
			snprintf(err, sizeof(err), "Topic %s does not exist.", name);
			goto out;
		}
		for (int i = 0; i < add.n; i++)
			if (!sm_kc_known_topic_key(add.keys[i])) {
				snprintf(err, sizeof(err), "Unknown topic config name: %s", add.keys[i]);
				goto out;
			}
	}
	sm_err_t e = sm_kzk_get_entity_config(zk, o->type, name, &cfg);
	if (e) {
		snprintf(err, sizeof(err), "%s", sm_err_name(e));
		goto out;
	}
	if (o->del && sm_kc_delete_keys(&cfg, o->del, err, sizeof(err)))
		goto out;
	for (int i = 0; i < add.n; i++)
		sm_zk_config_set(&cfg, add.keys[i], add.values[i]);
	e = sm_kzk_set_entity_config(zk, o->type, name, &cfg);
	if (e) {
		snprintf(err, sizeof(err), "%s", sm_err_name(e));
		goto out;
	}
	char desc[512];
	sm_kc_entity_desc(o, desc, sizeof(desc));
	printf("Completed updating config for entity: %s.\n", desc);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "Error while executing config command with args '%s'\n%s\n",
			o->add ? o->add : (o->del ? o->del : ""), err);
	sm_zk_config_clear(&add);
	sm_zk_config_clear(&cfg);
	return rc;
}

static int sm_kc_parse(int argc, char **argv, sm_kc_opts_t *o)
{
	static const struct option longopts[] = {
		{ "describe", no_argument, NULL, 'd' }, { "alter", no_argument, NULL, 'a' },
		{ "zookeeper", required_argument, NULL, 'z' },
		{ "bootstrap-server", required_argument, NULL, 'b' },
		{ "entity-type", required_argument, NULL, 't' },
		{ "entity-name", required_argument, NULL, 'n' },
		{ "entity-default", no_argument, NULL, 'D' },
		{ "topic", required_argument, NULL, 'T' },
		{ "broker", required_argument, NULL, 'B' },
		{ "add-config", required_argument, NULL, 'A' },
		{ "delete-config", required_argument, NULL, 'X' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->describe = 1; break;
		case 'a': o->alter = 1; break;
		case 'z': o->zookeeper = optarg; break;
		case 'b': o->bootstrap = optarg; break;
		case 't': o->type = optarg; break;
		case 'n': o->name = optarg; break;
		case 'D': o->entity_default = 1; break;
		case 'T': o->type = "topics"; o->name = optarg; break;
		case 'B': o->type = "brokers"; o->name = optarg; break;
		case 'A': o->add = optarg; break;
		case 'X': o->del = optarg; break;
		case 'f': break;
		default: return sm_kc_usage(NULL);
		}
	}
	if (o->describe + o->alter != 1)
		return sm_kc_usage("Command must include exactly one action: --describe, --alter");
	if (!o->zookeeper && !o->bootstrap)
		return sm_kc_usage("One of the required arguments is missing: --bootstrap-server or --zookeeper");
	if (!o->type)
		return sm_kc_usage("Missing required argument \"[entity-type]\"");
	if (strcmp(o->type, "topics") && strcmp(o->type, "brokers") && strcmp(o->type, "users") &&
	    strcmp(o->type, "clients"))
		return sm_kc_usage("Invalid entity type; --entity-type must be one of topics, clients, users, brokers");
	if (!o->name && !o->entity_default && (o->alter || strcmp(o->type, "topics")))
		return sm_kc_usage("An entity name must be specified with --alter");
	if (o->alter && !o->add && !o->del)
		return sm_kc_usage("At least one of --add-config or --delete-config must be specified with --alter");
	return 0;
}

int main(int argc, char **argv)
{
	sm_kc_opts_t o = { 0 };
	if (sm_kc_parse(argc, argv, &o))
		return 1;
	if (!o.zookeeper) {
		fprintf(stderr, "kafka-configs: --bootstrap-server is not supported by Samsa yet; use --zookeeper\n");
		return 1;
	}
	sm_logger_init(NULL, SM_LOG_WARN, 0);
	char err[256];
	sm_zk_t *zk = sm_zk_new(o.zookeeper, 30000, 30000, err, sizeof(err));
	if (!zk) {
		fprintf(stderr, "Error while executing config command: %s\n", err);
		return 1;
	}
	const char *name = o.entity_default ? "<default>" : o.name;
	int rc = 0;
	if (o.describe && !name) {
		char **kids = NULL;
		int n = 0;
		char path[64];
		snprintf(path, sizeof(path), "/config/%s", o.type);
		if (sm_zk_get_children(zk, path, 0, &kids, &n) == SM_ERR_NONE)
			for (int i = 0; i < n && !rc; i++) {
				o.name = kids[i];
				rc = sm_kc_describe(zk, &o, kids[i]);
			}
		sm_zk_strings_free(kids, n);
	} else {
		rc = o.describe ? sm_kc_describe(zk, &o, name) : sm_kc_alter(zk, &o, name);
	}
	sm_zk_destroy(zk);
	return rc;
}
