/*
 * kafka_configs.c - kafka-configs: describe and alter entity config
 * overrides (Kafka 2.8's kafka.admin.ConfigCommand), either directly in
 * ZooKeeper (--zookeeper): /config/<type>/<name> plus a /config/changes
 * notification so brokers apply the change at run time; or through a broker
 * (--bootstrap-server) for topics, brokers and broker-loggers with
 * DescribeConfigs, IncrementalAlterConfigs (topics, broker-loggers) and
 * AlterConfigs (brokers), as Kafka's AdminClient path does, and for client
 * quotas (users, clients, users with clients, ips) with DescribeClientQuotas
 * and AlterClientQuotas. An ips entity (KIP-612 connection_creation_rate)
 * must name an IP address or a resolvable host, as ConfigCommand checks. Same options and output lines as Kafka's tool. With
 * --zookeeper, a user's
 * SCRAM-SHA-256/512=[iterations=N,password=P] is turned into Kafka's stored
 * credential (salt, stored and server keys, iterations) before it is
 * written, as ConfigCommand does; with --bootstrap-server, users' SCRAM
 * credentials go through DescribeUserScramCredentials and
 * AlterUserScramCredentials (the client salts and hashes the password).
 *
 * Thread-safety: a single-threaded command-line program.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config_keys.h"
#include "connection_quotas.h"
#include "kafka_zk.h"
#include "zk_login.h"
#include "log_config.h"
#include "logger.h"
#include "password_encoder.h"
#include "msg_alter_client_quotas.h"
#include "msg_alter_configs.h"
#include "msg_describe_client_quotas.h"
#include "msg_alter_user_scram_credentials.h"
#include "msg_describe_user_scram_credentials.h"
#include "msg_describe_configs.h"
#include "msg_incremental_alter_configs.h"
#include "proto_admin.h"
#include "protocol.h"
#include "sasl.h"

typedef struct sm_kc_opts {
	int describe, alter;
	const char *zookeeper, *bootstrap;
	const char *type, *name;
	int entity_default;
	/* a users entity's clients child (--entity-type users --entity-name u
	 * --entity-type clients --entity-name c): a (user, client id) quota */
	const char *ctype, *cname;
	int cdefault;
	int ntypes, nnames;
	int all;
	const char *add, *del;
	char *args; /* the command line, for error messages */
} sm_kc_opts_t;

static int sm_kc_usage(const char *msg)
{
	if (msg)
		fprintf(stderr, "%s\n", msg);
	fprintf(stderr,
		"This tool helps to manipulate and describe entity config for a topic, client, user, broker or ip\n"
		"Option                      Description\n"
		"--alter                     Alter the configuration for the entity.\n"
		"--describe                  List configs for the given entity.\n"
		"--zookeeper <urls>          The connection string for the zookeeper connection.\n"
		"--bootstrap-server <server> The Kafka server to connect to.\n"
		"--entity-type <type>        topics/clients/users/brokers/ips\n"
		"--entity-name <name>        Name of entity\n"
		"--entity-default            Default entity name for clients/users/brokers/ips\n"
		"--topic <topic>             The topic's name (--entity-type topics --entity-name <topic>)\n"
		"--ip <ip>                   The IP address (--entity-type ips --entity-name <ip>)\n"
		"--ip-defaults               The config defaults for all IPs (--entity-type ips --entity-default)\n"
		"--add-config <k=v,...>      Key Value pairs of configs to add (lists in square brackets)\n"
		"--delete-config <k,...>     Config keys to remove\n"
		"--all                       List all configs for the given entity (with --bootstrap-server)\n");
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

/* "topic 'x'", "brokers 'x'", ... as ConfigCommand prints entities. */
static void sm_kc_one_desc(const char *t, const char *name, int dflt, char *out, size_t len)
{
	const char *word = !strcmp(t, "topics") ? "topic" : !strcmp(t, "users") ? "user-principal"
			 : !strcmp(t, "clients") ? "client-id" : t;
	if (dflt || (name && !strcmp(name, "<default>")))
		snprintf(out, len, "default %s", word);
	else
		snprintf(out, len, "%s '%s'", word, name);
}

/* The root entity, then ", " and the clients child if there is one. */
static void sm_kc_entity_desc(const sm_kc_opts_t *o, char *out, size_t len)
{
	sm_kc_one_desc(o->type, o->name, o->entity_default, out, len);
	if (o->ctype) {
		size_t l = strlen(out);
		if (l + 2 < len) {
			snprintf(out + l, len - l, ", ");
			sm_kc_one_desc(o->ctype, o->cname, o->cdefault, out + l + 2, len - l - 2);
		}
	}
}

/* DynamicConfig.User / DynamicConfig.Client: the keys a users or clients
 * entity accepts (quotas, and SCRAM credentials on a user alone), each
 * value of its type. */
static int sm_kc_quota_validate(const sm_kc_opts_t *o, const sm_zk_config_t *add, char *err,
				size_t errlen)
{
	static const char *const quota_keys[] = { "producer_byte_rate", "consumer_byte_rate",
						  "request_percentage", "controller_mutation_rate" };
	int user_only = !strcmp(o->type, "users") && !o->ctype && !o->entity_default;
	for (int i = 0; i < add->n; i++) {
		int q = -1;
		for (int k = 0; k < 4; k++)
			if (!strcmp(add->keys[i], quota_keys[k]))
				q = k;
		if (q < 0) {
			int mech = user_only ? sm_sasl_mech_from_name(add->keys[i]) : -1;
			if (mech == SM_SASL_SCRAM_SHA_256 || mech == SM_SASL_SCRAM_SHA_512)
				continue;
			snprintf(err, errlen, "requirement failed: Unknown Dynamic Configuration '%s'.",
				 add->keys[i]);
			return -1;
		}
		const char *v = add->values[i];
		char *end;
		errno = 0;
		if (q < 2)
			(void)strtoll(v, &end, 10);
		else
			(void)strtod(v, &end);
		if (end == v || *end || errno) {
			snprintf(err, errlen, "Invalid value %s for configuration %s: Not a number of type %s",
				 v, add->keys[i], q < 2 ? "LONG" : "DOUBLE");
			return -1;
		}
	}
	return 0;
}

/* DynamicConfig.Ip.validate: connection_creation_rate alone, an INT >= 0. */
static int sm_kc_ip_validate(const sm_zk_config_t *add, char *err, size_t errlen)
{
	for (int i = 0; i < add->n; i++) {
		if (strcmp(add->keys[i], "connection_creation_rate")) {
			snprintf(err, errlen, "requirement failed: Unknown Dynamic Configuration: "
				 "Set(%s).", add->keys[i]);
			return -1;
		}
		const char *v = add->values[i];
		char *end;
		errno = 0;
		long long x = strtoll(v, &end, 10);
		if (end == v || *end || errno || x > INT32_MAX || x < INT32_MIN) {
			snprintf(err, errlen, "Invalid value %s for configuration %s: Not a number "
				 "of type INT", v, add->keys[i]);
			return -1;
		}
		if (x < 0) {
			snprintf(err, errlen, "Invalid value %s for configuration %s: Value must be "
				 "at least 0", v, add->keys[i]);
			return -1;
		}
	}
	return 0;
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

/* ConfigCommand.preProcessScramCredentials: a SCRAM-SHA-256/512 entry
 * "[iterations=N,]password=P" becomes the stored credential (salt, keys,
 * iterations; the password itself is never written). */
static int sm_kc_scram_preprocess(sm_zk_config_t *add, char *err, size_t errlen)
{
	for (int i = 0; i < add->n; i++) {
		int mech = sm_sasl_mech_from_name(add->keys[i]);
		if (mech != SM_SASL_SCRAM_SHA_256 && mech != SM_SASL_SCRAM_SHA_512)
			continue;
		const char *v = add->values[i], *pw;
		long it = 4096;
		if (!strncmp(v, "iterations=", 11)) {
			char *end;
			const char *num = v + 11;
			errno = 0;
			it = strtol(num, &end, 10);
			if (end == num || *end != ',' || errno || it > INT32_MAX)
				goto bad;
			v = end + 1;
		}
		if (strncmp(v, "password=", 9))
			goto bad;
		pw = v + 9;
		if (it < SM_SCRAM_MIN_ITERATIONS) {
			snprintf(err, errlen, "Iterations %ld is less than the minimum %d required for %s",
				 it, SM_SCRAM_MIN_ITERATIONS, add->keys[i]);
			return -1;
		}
		sm_scram_cred_t cred;
		if (sm_scram_cred_make(mech, pw, (int)it, NULL, 0, &cred)) {
			snprintf(err, errlen, "Cannot derive the %s credential", add->keys[i]);
			return -1;
		}
		free(add->values[i]);
		add->values[i] = sm_scram_cred_format(&cred);
		continue;
bad:
		snprintf(err, errlen, "Invalid credential property %s=%s", add->keys[i], add->values[i]);
		return -1;
	}
	return 0;
}

/* Kafka 2.8's ConfigCommand for --zookeeper --entity-type brokers: only the
 * replication throttles may change while the broker (per-broker entity) or
 * any broker (default entity) runs; other dynamic configs are for
 * bootstrapping a cluster, with password configs encoded with the
 * password.encoder.secret given alongside (which is not stored). Prints
 * Kafka's message and returns -1 when refused. */
static int sm_kc_zk_broker_configs(sm_zk_t *zk, const char *name, sm_zk_config_t *add)
{
	static const char *const running_ok[] = { "leader.replication.throttled.rate",
						  "follower.replication.throttled.rate",
						  "replica.alter.log.dirs.io.max.bytes.per.second", NULL };
	char set[1024] = "";
	for (int i = 0; i < add->n; i++) {
		int ok = 0;
		for (int k = 0; running_ok[k]; k++)
			ok |= !strcmp(add->keys[i], running_ok[k]);
		if (!ok)
			snprintf(set + strlen(set), sizeof(set) - strlen(set), "%s%s",
				 set[0] ? ", " : "", add->keys[i]);
	}
	if (!set[0])
		return 0;
	int per_broker = strcmp(name, "<default>") != 0, running = 0;
	if (per_broker) {
		sm_zk_broker_info_t info;
		memset(&info, 0, sizeof(info));
		if (sm_kzk_get_broker(zk, (int32_t)strtol(name, NULL, 10), 0, &info) == SM_ERR_NONE) {
			running = 1;
			sm_zk_broker_clear(&info);
		}
	} else {
		int32_t *ids = NULL;
		int n = 0;
		if (sm_kzk_get_broker_ids(zk, 0, &ids, &n) == SM_ERR_NONE)
			running = n > 0;
		free(ids);
	}
	if (running) {
		char where[64];
		if (per_broker)
			snprintf(where, sizeof(where), "when broker %s is running", name);
		else
			snprintf(where, sizeof(where), "for default cluster if any broker is running");
		fprintf(stderr, "requirement failed: --bootstrap-server option must be specified to update broker configs Set(%s). %s. Broker configuration updates using ZooKeeper are supported for bootstrapping before brokers are started to enable encrypted password configs to be stored in ZooKeeper.\n",
			set, where);
		return -1;
	}
	/* password.encoder.* are used here and not stored */
	char *secret = NULL;
	sm_zk_config_t keep = { 0 };
	for (int i = 0; i < add->n; i++) {
		if (!strcmp(add->keys[i], "password.encoder.secret")) {
			free(secret);
			secret = sm_strdup(add->values[i]);
		}
		if (strncmp(add->keys[i], "password.encoder.", 17))
			sm_zk_config_set(&keep, add->keys[i], add->values[i]);
	}
	char pw[512] = "";
	for (int i = 0; i < keep.n; i++)
		if (sm_kafka_config_is_password(keep.keys[i]))
			snprintf(pw + strlen(pw), sizeof(pw) - strlen(pw), "%s%s", pw[0] ? ", " : "",
				 keep.keys[i]);
	int rc = 0;
	if (pw[0] && !secret) {
		fprintf(stderr, "requirement failed: password.encoder.secret must be specified to update Set(%s). Other password encoder configs like cipher algorithm and iterations may also be specified to override the default encoding parameters. Password encoder configs will not be persisted in ZooKeeper.\n",
			pw);
		rc = -1;
	}
	for (int i = 0; !rc && i < keep.n; i++) {
		if (!sm_kafka_config_is_password(keep.keys[i]))
			continue;
		char err[256];
		char *enc = sm_password_encode(secret, keep.values[i], err, sizeof(err));
		if (!enc) {
			fprintf(stderr, "%s\n", err);
			rc = -1;
			break;
		}
		free(keep.values[i]);
		keep.values[i] = enc;
	}
	free(secret);
	sm_zk_config_clear(add);
	*add = keep;
	return rc;
}

static int sm_kc_alter(sm_zk_t *zk, const sm_kc_opts_t *o, const char *name)
{
	char err[512] = "";
	sm_zk_config_t add = { 0 }, cfg = { 0 };
	int rc = 1, quiet = 0;
	if (o->add && sm_kc_parse_add(o->add, &add, err, sizeof(err)))
		goto out;
	if ((!strcmp(o->type, "users") || !strcmp(o->type, "clients")) &&
	    sm_kc_quota_validate(o, &add, err, sizeof(err)))
		goto out;
	if (!strcmp(o->type, "users") && sm_kc_scram_preprocess(&add, err, sizeof(err)))
		goto out;
	if (!strcmp(o->type, "ips") && sm_kc_ip_validate(&add, err, sizeof(err)))
		goto out;
	if (!strcmp(o->type, "brokers") && sm_kc_zk_broker_configs(zk, name, &add)) {
		quiet = 1; /* the message is printed */
		goto out;
	}
	if (!strcmp(o->type, "topics")) {
		if (sm_kzk_topic_exists(zk, name) != 1) {
			snprintf(err, sizeof(err), "Topic %s does not exist.", name);
			goto out;
		}
		for (int i = 0; i < add.n; i++)
			if (sm_log_config_validate(add.keys[i], add.values[i], NULL, err, sizeof(err)))
				goto out;
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
	if (rc && !quiet)
		fprintf(stderr, "Error while executing config command with args '%s'\n%s\n",
			o->add ? o->add : (o->del ? o->del : ""), err);
	sm_zk_config_clear(&add);
	sm_zk_config_clear(&cfg);
	return rc;
}

/* ---- --bootstrap-server: the AdminClient path ---- */

static char *sm_kc_join_args(int argc, char **argv)
{
	size_t len = 1;
	for (int i = 1; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *s = sm_calloc(1, len);
	for (int i = 1; i < argc; i++)
		snprintf(s + strlen(s), len - strlen(s), "%s%s", i > 1 ? " " : "", argv[i]);
	return s;
}

/* What ConfigCommand prints for an exception that is not one of its own
 * argument errors: a header line, then the exception. */
static int sm_kc_fail(const sm_kc_opts_t *o, const char *exc, int16_t code, const char *msg)
{
	fprintf(stderr, "Error while executing config command with args '%s'\n", o->args);
	fprintf(stderr, "%s%s: %s\n", exc ? exc : "java.util.concurrent.ExecutionException: ",
		sm_pa_error_class(code), msg && *msg ? msg : sm_pa_error_message(code));
	return 1;
}

static const char *sm_kc_source_name(int8_t s)
{
	static const char *const names[] = { "UNKNOWN", "DYNAMIC_TOPIC_CONFIG",
					     "DYNAMIC_BROKER_CONFIG",
					     "DYNAMIC_DEFAULT_BROKER_CONFIG", "STATIC_BROKER_CONFIG",
					     "DEFAULT_CONFIG", "DYNAMIC_BROKER_LOGGER_CONFIG" };
	return s >= 0 && s <= 6 ? names[s] : "UNKNOWN";
}

static int8_t sm_kc_resource_type(const char *type)
{
	return !strcmp(type, "topics") ? SM_CONFIG_RESOURCE_TOPIC
	     : !strcmp(type, "brokers") ? SM_CONFIG_RESOURCE_BROKER
					: SM_CONFIG_RESOURCE_BROKER_LOGGER;
}

/* A broker resource goes to that broker; anything else to the controller
 * (any broker would do). */
static sm_net_client_t *sm_kc_client(const sm_metadata_resp_t *md, int8_t rtype, const char *name)
{
	if (rtype != SM_CONFIG_RESOURCE_TOPIC && *name)
		return sm_pa_broker_client(md, atoi(name));
	int32_t id = md->controller_id >= 0 ? md->controller_id
					     : md->brokers_cnt ? md->brokers[0].node_id : -1;
	return sm_pa_broker_client(md, id);
}

/* Sends one request; the response body is left in resp. */
static int sm_kc_call(const sm_metadata_resp_t *md, int8_t rtype, const char *name, int16_t key,
		      int16_t ver, const sm_wbuf_t *body, sm_wbuf_t *resp)
{
	sm_net_client_t *c = sm_kc_client(md, rtype, name);
	if (!c) {
		fprintf(stderr, "Error while executing config command: broker %s is not in the cluster\n",
			name);
		return -1;
	}
	int rc = sm_net_client_request(c, key, ver, body, sm_proto_is_flexible(key, ver), resp,
				       SM_PA_TIMEOUT_MS);
	if (rc)
		fprintf(stderr, "Error while executing config command: %s\n",
			sm_net_client_last_error(c));
	sm_net_client_destroy(c);
	return rc ? -1 : 0;
}

static int sm_kc_entry_cmp(const void *x, const void *y)
{
	return strcmp(((const sm_describe_configs_resp_config_t *)x)->name,
		      ((const sm_describe_configs_resp_config_t *)y)->name);
}

/* DescribeConfigs v4 for one resource: its result (entries sorted by name),
 * or NULL after printing the failure. */
static sm_describe_configs_resp_result_t *sm_kc_describe_one(const sm_kc_opts_t *o,
						       const sm_metadata_resp_t *md, sm_arena_t *a,
						       int8_t rtype, const char *name)
{
	sm_describe_configs_req_resource_t res = { rtype, (char *)name, NULL, -1 };
	sm_describe_configs_req_t req = { &res, 1, 1, 0 };
	sm_describe_configs_resp_t resp;
	sm_wbuf_t body, out;
	sm_wbuf_init(&body, 64);
	sm_wbuf_init(&out, 4096);
	sm_describe_configs_req_write(&body, 4, &req);
	sm_describe_configs_resp_result_t *r = NULL;
	if (!sm_kc_call(md, rtype, name, SM_API_DESCRIBE_CONFIGS, 4, &body, &out)) {
		sm_rbuf_t rb;
		sm_rbuf_init(&rb, out.p, out.len);
		if (sm_describe_configs_resp_read(&rb, 4, a, &resp) || resp.results_cnt != 1)
			fprintf(stderr, "Error while executing config command: malformed DescribeConfigs response\n");
		else if (resp.results[0].error_code)
			sm_kc_fail(o, NULL, resp.results[0].error_code, resp.results[0].error_message);
		else
			r = &resp.results[0];
	}
	if (r && r->configs_cnt > 1)
		qsort(r->configs, (size_t)r->configs_cnt, sizeof(*r->configs), sm_kc_entry_cmp);
	sm_wbuf_free(&body);
	sm_wbuf_free(&out);
	return r;
}

/* The source --describe shows without --all (-1: every entry). */
static int sm_kc_dynamic_source(int8_t rtype, const char *name)
{
	if (rtype == SM_CONFIG_RESOURCE_TOPIC)
		return SM_CONFIG_SOURCE_DYNAMIC_TOPIC;
	if (rtype == SM_CONFIG_RESOURCE_BROKER)
		return *name ? SM_CONFIG_SOURCE_DYNAMIC_BROKER : SM_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER;
	return -1;
}

static int sm_kc_bs_describe_one(const sm_kc_opts_t *o, const sm_metadata_resp_t *md,
				 const char *name)
{
	int8_t rtype = sm_kc_resource_type(o->type);
	char word[32];
	snprintf(word, sizeof(word), "%.*s", (int)strlen(o->type) - 1, o->type);
	if (!*name && rtype == SM_CONFIG_RESOURCE_BROKER)
		printf("Default configs for %s in the cluster are:\n", o->type);
	else
		printf("%s configs for %s %s are:\n", o->all ? "All" : "Dynamic", word, name);
	fflush(stdout);
	sm_arena_t a;
	sm_arena_init(&a);
	sm_describe_configs_resp_result_t *r = sm_kc_describe_one(o, md, &a, rtype, name);
	int want = o->all ? -1 : sm_kc_dynamic_source(rtype, name);
	for (int32_t i = 0; r && i < r->configs_cnt; i++) {
		const sm_describe_configs_resp_config_t *e = &r->configs[i];
		if (want >= 0 && e->config_source != want)
			continue;
		printf("  %s=%s sensitive=%s synonyms={", e->name, e->value ? e->value : "null",
		       e->is_sensitive ? "true" : "false");
		for (int32_t k = 0; k < e->synonyms_cnt; k++)
			printf("%s%s:%s=%s", k ? ", " : "", sm_kc_source_name(e->synonyms[k].source),
			       e->synonyms[k].name,
			       e->synonyms[k].value ? e->synonyms[k].value : "null");
		printf("}\n");
	}
	sm_arena_destroy(&a);
	return r ? 0 : 1;
}

static int sm_kc_name_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Client-side checks ConfigCommand makes before any request. */
static int sm_kc_check_name(const sm_kc_opts_t *o, const char *name)
{
	char err[512];
	if (!strcmp(o->type, "topics") && *name && sm_kzk_validate_topic_name(name, err, sizeof(err)))
		return sm_kc_fail(o, "", SM_ERR_INVALID_TOPIC_EXCEPTION, err);
	if (strcmp(o->type, "topics") && *name && name[strspn(name, "0123456789")]) {
		fprintf(stderr, "The entity name for %s must be a valid integer broker id, found: %s\n",
			o->type, name);
		return 1;
	}
	return 0;
}

static int sm_kc_bs_describe(const sm_kc_opts_t *o, const sm_metadata_resp_t *md)
{
	const char *name = o->entity_default ? "" : o->name;
	if (name)
		return sm_kc_check_name(o, name) || sm_kc_bs_describe_one(o, md, name);
	/* every topic, or every broker then the cluster default */
	int n = 0, rc = 0;
	char **names = sm_calloc((size_t)(md->topics_cnt + md->brokers_cnt + 2), sizeof(char *));
	char ids[32];
	if (!strcmp(o->type, "topics")) {
		for (int32_t i = 0; i < md->topics_cnt; i++)
			names[n++] = sm_strdup(md->topics[i].name);
		qsort(names, (size_t)n, sizeof(*names), sm_kc_name_cmp);
	} else {
		for (int32_t i = 0; i < md->brokers_cnt; i++) {
			snprintf(ids, sizeof(ids), "%d", (int)md->brokers[i].node_id);
			names[n++] = sm_strdup(ids);
		}
		names[n++] = sm_strdup("");
	}
	for (int i = 0; i < n; i++) {
		if (!rc)
			rc = sm_kc_bs_describe_one(o, md, names[i]);
		free(names[i]);
	}
	free(names);
	return rc;
}

typedef struct sm_kc_change {
	sm_zk_config_t add;
	char **del;
	int ndel;
} sm_kc_change_t;

static void sm_kc_change_clear(sm_kc_change_t *c)
{
	sm_zk_config_clear(&c->add);
	sm_zk_strings_free(c->del, c->ndel);
}

static int sm_kc_has(const sm_describe_configs_resp_result_t *r, int want, const char *k)
{
	for (int32_t i = 0; i < r->configs_cnt; i++)
		if ((want < 0 || r->configs[i].config_source == want) && !strcmp(r->configs[i].name, k))
			return 1;
	return 0;
}

/* Keys of --delete-config (or --add-config for loggers) absent from the
 * current entries: "a,b", or "" when all are present. */
static void sm_kc_missing(const sm_describe_configs_resp_result_t *r, int want, char *const *keys,
			  int n, char *out, size_t len)
{
	out[0] = '\0';
	for (int i = 0; i < n; i++)
		if (!sm_kc_has(r, want, keys[i]))
			snprintf(out + strlen(out), len - strlen(out), "%s%s", out[0] ? "," : "",
				 keys[i]);
}

/* The single resource result of an AlterConfigs / IncrementalAlterConfigs
 * response (cnt results, the first one's code and message). */
static int sm_kc_alter_result(const sm_kc_opts_t *o, int32_t cnt, int16_t code, const char *msg)
{
	if (cnt != 1) {
		fprintf(stderr, "Error while executing config command: malformed response\n");
		return 1;
	}
	if (code)
		return sm_kc_fail(o, NULL, code, msg);
	return 0;
}

/* IncrementalAlterConfigs v1: SET every added key, DELETE every deleted one. */
static int sm_kc_send_incremental(const sm_kc_opts_t *o, const sm_metadata_resp_t *md,
				  int8_t rtype, const char *name, const sm_kc_change_t *c)
{
	sm_arena_t a;
	sm_arena_init(&a);
	sm_incremental_alter_configs_req_resource_t res = { rtype, (char *)name, NULL, c->add.n + c->ndel };
	res.configs = sm_arena_alloc(&a, sizeof(*res.configs) * (size_t)(res.configs_cnt + 1));
	for (int i = 0; i < c->add.n; i++)
		res.configs[i] = (sm_incremental_alter_configs_req_config_t){ c->add.keys[i], SM_CONFIG_OP_SET,
								      c->add.values[i] };
	for (int i = 0; i < c->ndel; i++)
		res.configs[c->add.n + i] = (sm_incremental_alter_configs_req_config_t){
			c->del[i], SM_CONFIG_OP_DELETE, "" };
	sm_incremental_alter_configs_req_t req = { &res, 1, 0 };
	sm_wbuf_t body, out;
	sm_wbuf_init(&body, 256);
	sm_wbuf_init(&out, 256);
	sm_incremental_alter_configs_req_write(&body, 1, &req);
	int rc = 1;
	if (!sm_kc_call(md, rtype, name, SM_API_INCREMENTAL_ALTER_CONFIGS, 1, &body, &out)) {
		sm_incremental_alter_configs_resp_t r;
		sm_rbuf_t rb;
		sm_rbuf_init(&rb, out.p, out.len);
		rc = sm_incremental_alter_configs_resp_read(&rb, 1, &a, &r) ? 1
			: sm_kc_alter_result(o, r.responses_cnt,
					     r.responses_cnt ? r.responses[0].error_code : 0,
					     r.responses_cnt ? r.responses[0].error_message : NULL);
	}
	sm_wbuf_free(&body);
	sm_wbuf_free(&out);
	sm_arena_destroy(&a);
	return rc;
}

/* ConfigCommand's check before a broker --alter: AlterConfigs replaces the
 * whole dynamic set, and a sensitive entry comes back from DescribeConfigs
 * without its value, so every such entry that stays must be given again.
 * Writes "Set(a, b)" of the missing keys to out, or "" when none is. */
static void sm_kc_broker_sensitive_missing(const sm_describe_configs_resp_result_t *cur, int want,
					   const sm_kc_change_t *c, char *out, size_t len)
{
	out[0] = '\0';
	for (int32_t i = 0; i < cur->configs_cnt; i++) {
		const sm_describe_configs_resp_config_t *e = &cur->configs[i];
		if (e->config_source != want || e->value)
			continue;
		int given = sm_zk_config_get(&c->add, e->name) != NULL;
		for (int k = 0; !given && k < c->ndel; k++)
			given = !strcmp(c->del[k], e->name);
		if (!given)
			snprintf(out + strlen(out), len - strlen(out), "%s%s", out[0] ? ", " : "Set(",
				 e->name);
	}
	if (out[0])
		snprintf(out + strlen(out), len - strlen(out), ")");
}

/* AlterConfigs v2 (brokers): the whole new dynamic set, as ConfigCommand
 * sends it: the current dynamic entries plus added minus deleted. */
static int sm_kc_send_broker(const sm_kc_opts_t *o, const sm_metadata_resp_t *md,
			     const char *name, const sm_describe_configs_resp_result_t *cur,
			     const sm_kc_change_t *c)
{
	int want = sm_kc_dynamic_source(SM_CONFIG_RESOURCE_BROKER, name);
	sm_zk_config_t next = { 0 };
	for (int32_t i = 0; i < cur->configs_cnt; i++)
		if (cur->configs[i].config_source == want)
			sm_zk_config_set(&next, cur->configs[i].name,
					 cur->configs[i].value ? cur->configs[i].value : "");
	for (int i = 0; i < c->add.n; i++)
		sm_zk_config_set(&next, c->add.keys[i], c->add.values[i]);
	sm_arena_t a;
	sm_arena_init(&a);
	sm_alter_configs_req_resource_t res = { SM_CONFIG_RESOURCE_BROKER, (char *)name, NULL, 0 };
	res.configs = sm_arena_alloc(&a, sizeof(*res.configs) * (size_t)(next.n + 1));
	for (int i = 0; i < next.n; i++) {
		int deleted = 0;
		for (int k = 0; k < c->ndel; k++)
			deleted |= !strcmp(c->del[k], next.keys[i]);
		if (!deleted)
			res.configs[res.configs_cnt++] = (sm_alter_configs_req_config_t){ next.keys[i],
											  next.values[i] };
	}
	sm_alter_configs_req_t req = { &res, 1, 0 };
	sm_wbuf_t body, out;
	sm_wbuf_init(&body, 256);
	sm_wbuf_init(&out, 256);
	sm_alter_configs_req_write(&body, 2, &req);
	int rc = 1;
	if (!sm_kc_call(md, SM_CONFIG_RESOURCE_BROKER, name, SM_API_ALTER_CONFIGS, 2, &body, &out)) {
		sm_alter_configs_resp_t r;
		sm_rbuf_t rb;
		sm_rbuf_init(&rb, out.p, out.len);
		rc = sm_alter_configs_resp_read(&rb, 2, &a, &r) ? 1
			: sm_kc_alter_result(o, r.responses_cnt,
					     r.responses_cnt ? r.responses[0].error_code : 0,
					     r.responses_cnt ? r.responses[0].error_message : NULL);
	}
	sm_wbuf_free(&body);
	sm_wbuf_free(&out);
	sm_arena_destroy(&a);
	sm_zk_config_clear(&next);
	return rc;
}

static int sm_kc_parse_change(const sm_kc_opts_t *o, sm_kc_change_t *c)
{
	char err[512];
	memset(c, 0, sizeof(*c));
	if (o->add && sm_kc_parse_add(o->add, &c->add, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	char *copy = sm_strdup(o->del ? o->del : ""), *save = NULL;
	for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		c->del = sm_realloc(c->del, sizeof(char *) * (size_t)(c->ndel + 1));
		c->del[c->ndel++] = sm_strdup(k);
	}
	free(copy);
	return 0;
}

static int sm_kc_bs_alter(const sm_kc_opts_t *o, const sm_metadata_resp_t *md)
{
	const char *name = o->entity_default ? "" : o->name;
	int8_t rtype = sm_kc_resource_type(o->type);
	sm_kc_change_t c;
	if (sm_kc_check_name(o, name) || sm_kc_parse_change(o, &c))
		return 1;
	sm_arena_t a;
	sm_arena_init(&a);
	int rc = 1, want = sm_kc_dynamic_source(rtype, name);
	char missing[1024];
	sm_describe_configs_resp_result_t *cur = sm_kc_describe_one(o, md, &a, rtype, name);
	if (!cur)
		goto out;
	sm_kc_missing(cur, want, c.del, c.ndel, missing, sizeof(missing));
	if (rtype == SM_CONFIG_RESOURCE_BROKER_LOGGER && !missing[0])
		sm_kc_missing(cur, want, c.add.keys, c.add.n, missing, sizeof(missing));
	if (missing[0]) {
		fprintf(stderr, "Invalid %s: %s\n",
			rtype == SM_CONFIG_RESOURCE_BROKER_LOGGER ? "broker logger(s)" : "config(s)",
			missing);
		goto out;
	}
	if (rtype == SM_CONFIG_RESOURCE_BROKER)
		sm_kc_broker_sensitive_missing(cur, want, &c, missing, sizeof(missing));
	if (missing[0]) {
		fprintf(stderr, "All sensitive broker config entries must be specified for --alter, missing entries: %s\n",
			missing);
		goto out;
	}
	if (rtype == SM_CONFIG_RESOURCE_BROKER)
		rc = sm_kc_send_broker(o, md, name, cur, &c);
	else
		rc = sm_kc_send_incremental(o, md, rtype, name, &c);
	if (!rc && *name)
		printf("Completed updating config for %.*s %s.\n", (int)strlen(o->type) - 1, o->type, name);
	else if (!rc)
		printf("Completed updating default config for %s in the cluster.\n", o->type);
out:
	sm_arena_destroy(&a);
	sm_kc_change_clear(&c);
	return rc;
}

/* The simple class name of an error's exception, as Kafka prints it. */
static const char *sm_kc_exc(int16_t code)
{
	switch (code) {
	case SM_ERR_RESOURCE_NOT_FOUND: return "ResourceNotFoundException";
	case SM_ERR_DUPLICATE_RESOURCE: return "DuplicateResourceException";
	case SM_ERR_UNACCEPTABLE_CREDENTIAL: return "UnacceptableCredentialException";
	case SM_ERR_UNSUPPORTED_SASL_MECHANISM: return "UnsupportedSaslMechanismException";
	case SM_ERR_NOT_CONTROLLER: return "NotControllerException";
	default: {
		const char *c = sm_pa_error_class(code), *dot = strrchr(c, '.');
		return dot ? dot + 1 : c;
	}
	}
}

/* "[iterations=N,]password=P" of a SCRAM mechanism (iterations -1 or
 * absent: 4096), as ConfigCommand reads it for --bootstrap-server. */
static int sm_kc_scram_value(const char *mech, const char *v, int *it, const char **pw)
{
	*it = 4096;
	if (!strncmp(v, "iterations=", 11)) {
		char *end;
		errno = 0;
		long n = strtol(v + 11, &end, 10);
		if (end == v + 11 || *end != ',' || errno || n < INT32_MIN || n > INT32_MAX)
			goto bad;
		if (n != -1)
			*it = (int)n;
		v = end + 1;
	}
	if (strncmp(v, "password=", 9))
		goto bad;
	*pw = v + 9;
	if (*it < SM_SCRAM_MIN_ITERATIONS) {
		fprintf(stderr, "Error while executing config command with args: Iterations %d is "
			"less than the minimum %d required for %s\n", *it, SM_SCRAM_MIN_ITERATIONS, mech);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "Error while executing config command with args: Invalid credential "
		"property %s=%s\n", mech, v);
	return -1;
}

/* Users through a broker: SCRAM credentials with DescribeUserScramCredentials
 * and AlterUserScramCredentials (to the controller), as Kafka's AdminClient
 * path of ConfigCommand. Quotas are not served this way. */
static int sm_kc_bs_users(const sm_kc_opts_t *o, const sm_metadata_resp_t *md)
{
	sm_arena_t a;
	sm_wbuf_t body, out;
	sm_rbuf_t rb;
	int rc = 1;

	sm_arena_init(&a);
	sm_wbuf_init(&body, 256);
	sm_wbuf_init(&out, 256);
	if (o->describe) {
		sm_describe_user_scram_credentials_req_user_t un = { (char *)o->name };
		sm_describe_user_scram_credentials_req_t req = { o->name ? &un : NULL, o->name ? 1 : 0 };
		sm_describe_user_scram_credentials_resp_t r;
		sm_describe_user_scram_credentials_req_write(&body, 0, &req);
		if (sm_kc_call(md, SM_CONFIG_RESOURCE_TOPIC, "", SM_API_DESCRIBE_USER_SCRAM_CREDENTIALS,
			       0, &body, &out))
			goto out;
		sm_rbuf_init(&rb, out.p, out.len);
		if (sm_describe_user_scram_credentials_resp_read(&rb, 0, &a, &r)) {
			fprintf(stderr, "Error while executing config command: malformed response\n");
			goto out;
		}
		if (r.error_code) {
			fprintf(stderr, "Error while executing config command with args: %s: %s\n",
				sm_kc_exc(r.error_code),
				r.error_message ? r.error_message : sm_pa_error_message(r.error_code));
			goto out;
		}
		for (int32_t i = 0; i < r.results_cnt; i++) {
			const sm_describe_user_scram_credentials_resp_result_t *u = &r.results[i];
			if (u->error_code) {
				printf("Error retrieving SCRAM credential configs for user-principal '%s': "
				       "%s: %s\n", u->user, sm_kc_exc(u->error_code),
				       u->error_message ? u->error_message
							: sm_pa_error_message(u->error_code));
				continue;
			}
			printf("SCRAM credential configs for user-principal '%s' are ", u->user);
			for (int32_t k = 0; k < u->credential_infos_cnt; k++)
				printf("%s%s=iterations=%d", k ? ", " : "",
				       u->credential_infos[k].mechanism == 1 ? "SCRAM-SHA-256"
									     : "SCRAM-SHA-512",
				       u->credential_infos[k].iterations);
			printf("\n");
		}
		rc = 0;
		goto out;
	}
	if (!o->name) {
		fprintf(stderr, "SCRAM credentials of users are altered one user at a time: give "
			"--entity-name\n");
		goto out;
	}
	sm_kc_change_t c;
	if (sm_kc_parse_change(o, &c))
		goto out;
	char unknown[512] = "";
	size_t ul = 0;
	for (int i = 0; i < c.add.n; i++)
		if (!(sm_sasl_mech_from_name(c.add.keys[i]) & (SM_SASL_SCRAM_SHA_256 | SM_SASL_SCRAM_SHA_512)))
			ul += (size_t)snprintf(unknown + ul, ul < sizeof(unknown) ? sizeof(unknown) - ul : 0,
					       "%s%s", ul ? "," : "", c.add.keys[i]);
	if (ul) {
		fprintf(stderr, "Error while executing config command with args: Only quota and SCRAM "
			"credential configs can be added for 'users' using --bootstrap-server. "
			"Unexpected config names: %s (quotas are not served through "
			"--bootstrap-server by Samsa; use --zookeeper)\n", unknown);
		sm_kc_change_clear(&c);
		goto out;
	}
	sm_alter_user_scram_credentials_req_t req = { 0 };
	req.deletions = sm_arena_alloc(&a, sizeof(*req.deletions) * (size_t)(c.ndel + 1));
	req.upsertions = sm_arena_alloc(&a, sizeof(*req.upsertions) * (size_t)(c.add.n + 1));
	for (int i = 0; i < c.ndel; i++) {
		int m = sm_sasl_mech_from_name(c.del[i]);
		if (!(m & (SM_SASL_SCRAM_SHA_256 | SM_SASL_SCRAM_SHA_512))) {
			fprintf(stderr, "Error while executing config command with args: Only quota and "
				"SCRAM credential configs can be deleted for 'users' using "
				"--bootstrap-server. Unexpected config names: %s\n", c.del[i]);
			sm_kc_change_clear(&c);
			goto out;
		}
		req.deletions[req.deletions_cnt++] = (sm_alter_user_scram_credentials_req_deletion_t){
			(char *)o->name, (int8_t)(m == SM_SASL_SCRAM_SHA_256 ? 1 : 2) };
	}
	for (int i = 0; i < c.add.n; i++) {
		int m = sm_sasl_mech_from_name(c.add.keys[i]), it;
		const char *pw;
		if (sm_kc_scram_value(c.add.keys[i], c.add.values[i], &it, &pw)) {
			sm_kc_change_clear(&c);
			goto out;
		}
		uint8_t *salt = sm_arena_alloc(&a, 32), *salted = sm_arena_alloc(&a, 64);
		sm_scram_cred_t tmp;
		/* a random salt, as the AdminClient's ScramFormatter */
		sm_scram_cred_make(m, "", 1, NULL, 0, &tmp);
		memcpy(salt, tmp.salt, 32);
		size_t sl = sm_scram_salted_password(m, pw, salt, 32, it, salted);
		req.upsertions[req.upsertions_cnt++] = (sm_alter_user_scram_credentials_req_upsertion_t){
			(char *)o->name, (int8_t)(m == SM_SASL_SCRAM_SHA_256 ? 1 : 2), it,
			{ salt, 32 }, { salted, (int32_t)sl } };
	}
	sm_alter_user_scram_credentials_req_write(&body, 0, &req);
	sm_kc_change_clear(&c);
	if (sm_kc_call(md, SM_CONFIG_RESOURCE_TOPIC, "", SM_API_ALTER_USER_SCRAM_CREDENTIALS, 0,
		       &body, &out))
		goto out;
	sm_alter_user_scram_credentials_resp_t r;
	sm_rbuf_init(&rb, out.p, out.len);
	if (sm_alter_user_scram_credentials_resp_read(&rb, 0, &a, &r)) {
		fprintf(stderr, "Error while executing config command: malformed response\n");
		goto out;
	}
	for (int32_t i = 0; i < r.results_cnt; i++) {
		if (r.results[i].error_code) {
			fprintf(stderr, "Error while executing config command with args: %s: %s\n",
				sm_kc_exc(r.results[i].error_code),
				r.results[i].error_message ? r.results[i].error_message
							   : sm_pa_error_message(r.results[i].error_code));
			goto out;
		}
	}
	printf("Completed updating config for user %s.\n", o->name);
	rc = 0;
out:
	sm_wbuf_free(&body);
	sm_wbuf_free(&out);
	sm_arena_destroy(&a);
	return rc;
}

/* The ClientQuotaEntity type of a --entity-type. */
static const char *sm_kc_quota_entity(const char *type)
{
	return !strcmp(type, "users") ? "user" : !strcmp(type, "clients") ? "client-id" : "ip";
}

static int sm_kc_is_quota_key(const char *k)
{
	return !strcmp(k, "producer_byte_rate") || !strcmp(k, "consumer_byte_rate") ||
	       !strcmp(k, "request_percentage") || !strcmp(k, "controller_mutation_rate");
}

/* DescribeClientQuotas with ConfigCommand's strict filter: the entity
 * types given, each with its name, the default, or any name. */
static int sm_kc_bs_quota_describe(const sm_kc_opts_t *o, const sm_metadata_resp_t *md,
				   sm_arena_t *a, sm_describe_client_quotas_resp_t *r)
{
	sm_describe_client_quotas_req_component_t comp[2];
	sm_describe_client_quotas_req_t req = { comp, 0, 1 };
	const char *types[2] = { o->type, o->ctype };
	const char *names[2] = { o->name, o->cname };
	int dflt[2] = { o->entity_default, o->cdefault };
	for (int i = 0; i < 2 && types[i]; i++) {
		comp[i].entity_type = (char *)sm_kc_quota_entity(types[i]);
		comp[i].match_type = dflt[i] ? 1 : names[i] ? 0 : 2;
		comp[i].match = dflt[i] ? NULL : (char *)names[i];
		req.components_cnt++;
	}
	sm_wbuf_t body, out;
	sm_wbuf_init(&body, 128);
	sm_wbuf_init(&out, 256);
	sm_describe_client_quotas_req_write(&body, 0, &req);
	int rc = -1;
	if (sm_kc_call(md, SM_CONFIG_RESOURCE_TOPIC, "", SM_API_DESCRIBE_CLIENT_QUOTAS, 0, &body,
		       &out))
		goto done;
	sm_rbuf_t rb;
	/* the strings point into the response: keep it in the arena */
	uint8_t *keep = sm_arena_alloc(a, out.len + 1);
	memcpy(keep, out.p, out.len);
	sm_rbuf_init(&rb, keep, out.len);
	if (sm_describe_client_quotas_resp_read(&rb, 0, a, r)) {
		fprintf(stderr, "Error while executing config command: malformed response\n");
		goto done;
	}
	if (r->error_code) {
		fprintf(stderr, "Error while executing config command with args: %s: %s\n",
			sm_kc_exc(r->error_code),
			r->error_message ? r->error_message : sm_pa_error_message(r->error_code));
		goto done;
	}
	rc = 0;
done:
	sm_wbuf_free(&body);
	sm_wbuf_free(&out);
	return rc;
}

/* ConfigCommand's --bootstrap-server path for users and clients: quotas
 * through DescribeClientQuotas / AlterClientQuotas, users' SCRAM
 * credentials through their own APIs (sm_kc_bs_users). */
static int sm_kc_bs_quotas(const sm_kc_opts_t *o, const sm_metadata_resp_t *md)
{
	sm_arena_t a;
	sm_arena_init(&a);
	int rc = 1;
	int user_alone = !strcmp(o->type, "users") && !o->ctype;
	if (o->describe) {
		sm_describe_client_quotas_resp_t r;
		if (sm_kc_bs_quota_describe(o, md, &a, &r))
			goto out;
		for (int32_t i = 0; r.entries && i < r.entries_cnt; i++) {
			const sm_describe_client_quotas_resp_entry_t *e = &r.entries[i];
			printf("Quota configs for ");
			static const char *const order[] = { "user", "client-id", "ip" };
			int n = 0;
			for (int k = 0; k < 3; k++)
				for (int32_t j = 0; j < e->entity_cnt; j++) {
					if (strcmp(e->entity[j].entity_type, order[k]))
						continue;
					const char *t = k == 0 ? "user-principal" : order[k];
					if (e->entity[j].entity_name)
						printf("%s%s '%s'", n++ ? ", " : "", t,
						       e->entity[j].entity_name);
					else
						printf("%sthe default %s", n++ ? ", " : "", t);
				}
			printf(" are ");
			for (int32_t j = 0; j < e->values_cnt; j++) {
				char v[64];
				sm_log_config_format_double(e->values[j].value, v, sizeof(v));
				printf("%s%s=%s", j ? ", " : "", e->values[j].key, v);
			}
			printf("\n");
		}
		/* SCRAM credentials only for users, never for the default one */
		rc = user_alone && !o->entity_default ? sm_kc_bs_users(o, md) : 0;
		goto out;
	}
	sm_kc_change_t c;
	if (sm_kc_parse_change(o, &c))
		goto out;
	int quota = 0;
	if (!strcmp(o->type, "ips")) {
		/* ConfigCommand: added and deleted keys alike, one message */
		char unknown[512] = "";
		size_t ul = 0;
		for (int i = 0; i < c.add.n + c.ndel; i++) {
			const char *k = i < c.add.n ? c.add.keys[i] : c.del[i - c.add.n];
			if (strcmp(k, "connection_creation_rate"))
				ul += (size_t)snprintf(unknown + ul,
						       ul < sizeof(unknown) ? sizeof(unknown) - ul : 0,
						       "%s%s", ul ? "," : "", k);
		}
		if (ul) {
			fprintf(stderr, "Error while executing config command with args: Only "
				"connection quota configs can be added for 'ips' using "
				"--bootstrap-server. Unexpected config names: %s\n", unknown);
			sm_kc_change_clear(&c);
			goto out;
		}
		quota = 1;
	}
	for (int pass = 0; pass < 2 && !quota; pass++) {
		char unknown[512] = "";
		size_t ul = 0;
		int n = pass ? c.ndel : c.add.n;
		for (int i = 0; i < n; i++) {
			const char *k = pass ? c.del[i] : c.add.keys[i];
			int scram = sm_sasl_mech_from_name(k) &
				    (SM_SASL_SCRAM_SHA_256 | SM_SASL_SCRAM_SHA_512);
			if (sm_kc_is_quota_key(k))
				quota = 1;
			else if (!scram || !user_alone)
				ul += (size_t)snprintf(unknown + ul,
						       ul < sizeof(unknown) ? sizeof(unknown) - ul : 0,
						       "%s%s", ul ? "," : "", k);
		}
		if (ul) {
			fprintf(stderr, "Error while executing config command with args: Only quota%s "
				"configs can be %s for '%s' using --bootstrap-server. Unexpected "
				"config names: %s\n", user_alone ? " and SCRAM credential" : "",
				pass ? "deleted" : "added", user_alone ? "users" : "clients", unknown);
			sm_kc_change_clear(&c);
			goto out;
		}
	}
	if (!quota) {
		sm_kc_change_clear(&c);
		if (o->entity_default) {
			fprintf(stderr, "Error while executing config command with args: The use of "
				"--entity-default or --user-defaults is not allowed with User SCRAM "
				"Credentials using --bootstrap-server.\n");
			goto out;
		}
		rc = sm_kc_bs_users(o, md);
		goto out;
	}
	/* deleting a quota the entity does not have is refused first */
	sm_describe_client_quotas_resp_t cur;
	if (c.ndel && sm_kc_bs_quota_describe(o, md, &a, &cur)) {
		sm_kc_change_clear(&c);
		goto out;
	}
	for (int i = 0; i < c.ndel; i++) {
		int found = 0;
		for (int32_t j = 0; j < cur.entries_cnt && !found; j++)
			for (int32_t k = 0; k < cur.entries[j].values_cnt; k++)
				found |= !strcmp(cur.entries[j].values[k].key, c.del[i]);
		if (!found) {
			fprintf(stderr, "Error while executing config command with args: Invalid "
				"config(s): %s\n", c.del[i]);
			sm_kc_change_clear(&c);
			goto out;
		}
	}
	sm_alter_client_quotas_req_entity_t ent[2];
	sm_alter_client_quotas_req_entry_t en = { ent, 0, NULL, 0 };
	const char *types[2] = { o->type, o->ctype };
	const char *names[2] = { o->name, o->cname };
	int dflt[2] = { o->entity_default, o->cdefault };
	for (int i = 0; i < 2 && types[i]; i++) {
		ent[i].entity_type = (char *)sm_kc_quota_entity(types[i]);
		ent[i].entity_name = dflt[i] ? NULL : (char *)names[i];
		en.entity_cnt++;
	}
	en.ops = sm_arena_alloc(&a, sizeof(*en.ops) * (size_t)(c.add.n + c.ndel + 1));
	for (int i = 0; i < c.add.n; i++) {
		char *end;
		double v = strtod(c.add.values[i], &end);
		if (end == c.add.values[i] || *end) {
			fprintf(stderr, "Error while executing config command with args: Cannot parse "
				"quota configuration value for %s: %s\n", c.add.keys[i], c.add.values[i]);
			sm_kc_change_clear(&c);
			goto out;
		}
		en.ops[en.ops_cnt++] = (sm_alter_client_quotas_req_op_t){ c.add.keys[i], v, 0 };
	}
	for (int i = 0; i < c.ndel; i++)
		en.ops[en.ops_cnt++] = (sm_alter_client_quotas_req_op_t){ c.del[i], 0, 1 };
	sm_alter_client_quotas_req_t req = { &en, 1, 0 };
	sm_wbuf_t body, outb;
	sm_wbuf_init(&body, 128);
	sm_wbuf_init(&outb, 128);
	sm_alter_client_quotas_req_write(&body, 0, &req);
	sm_kc_change_clear(&c);
	if (!sm_kc_call(md, SM_CONFIG_RESOURCE_TOPIC, "", SM_API_ALTER_CLIENT_QUOTAS, 0, &body,
			&outb)) {
		sm_alter_client_quotas_resp_t r;
		sm_rbuf_t rb;
		sm_rbuf_init(&rb, outb.p, outb.len);
		if (sm_alter_client_quotas_resp_read(&rb, 0, &a, &r) || r.entries_cnt != 1) {
			fprintf(stderr, "Error while executing config command: malformed response\n");
		} else if (r.entries[0].error_code) {
			fprintf(stderr, "Error while executing config command with args: %s: %s\n",
				sm_kc_exc(r.entries[0].error_code),
				r.entries[0].error_message ? r.entries[0].error_message
							   : sm_pa_error_message(r.entries[0].error_code));
		} else {
			/* ConfigCommand names the first entity type and name */
			if (o->entity_default)
				printf("Completed updating default config for %s in the cluster.\n", o->type);
			else
				printf("Completed updating config for %.*s %s.\n",
				       (int)strlen(o->type) - 1, o->type, o->name);
			rc = 0;
		}
	}
	sm_wbuf_free(&body);
	sm_wbuf_free(&outb);
out:
	sm_arena_destroy(&a);
	return rc;
}

static int sm_kc_bootstrap(const sm_kc_opts_t *o)
{
	if (!strcmp(o->type, "users") || !strcmp(o->type, "clients") || !strcmp(o->type, "ips")) {
		sm_arena_t a;
		sm_metadata_resp_t md;
		int rc = 1;
		sm_arena_init(&a);
		if (!sm_pa_metadata(o->bootstrap, NULL, 0, &a, &md))
			rc = sm_kc_bs_quotas(o, &md);
		sm_arena_destroy(&a);
		return rc;
	}
	if (o->entity_default && strcmp(o->type, "brokers")) {
		fprintf(stderr, "--entity-default is only valid with --entity-type brokers for --bootstrap-server\n");
		return 1;
	}
	sm_arena_t a;
	sm_arena_init(&a);
	sm_metadata_resp_t md;
	int rc = 1;
	if (!sm_pa_metadata(o->bootstrap, NULL, 0, &a, &md))
		rc = o->describe ? sm_kc_bs_describe(o, &md) : sm_kc_bs_alter(o, &md);
	sm_arena_destroy(&a);
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
		{ "ip", required_argument, NULL, 'I' },
		{ "ip-defaults", no_argument, NULL, 'J' },
		{ "add-config", required_argument, NULL, 'A' },
		{ "delete-config", required_argument, NULL, 'X' },
		{ "force", no_argument, NULL, 'f' },
		{ "all", no_argument, NULL, 'L' },
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
		case 't':
			if (o->ntypes++ == 0)
				o->type = optarg;
			else
				o->ctype = optarg;
			break;
		case 'n':
			if (o->nnames++ == 0)
				o->name = optarg;
			else
				o->cname = optarg;
			break;
		case 'D':
			if (o->nnames++ == 0)
				o->entity_default = 1;
			else
				o->cdefault = 1;
			break;
		case 'T': o->type = "topics"; o->name = optarg; break;
		case 'B': o->type = "brokers"; o->name = optarg; break;
		case 'I': o->type = "ips"; o->name = optarg; break;
		case 'J': o->type = "ips"; o->entity_default = 1; break;
		case 'A': o->add = optarg; break;
		case 'X': o->del = optarg; break;
		case 'f': break;
		case 'L': o->all = 1; break;
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
	    strcmp(o->type, "clients") && strcmp(o->type, "ips") &&
	    (!o->bootstrap || strcmp(o->type, "broker-loggers")))
		return sm_kc_usage(o->bootstrap ? "Invalid entity type; --entity-type must be one of topics, clients, users, brokers, ips, broker-loggers"
						 : "Invalid entity type; --entity-type must be one of topics, clients, users, brokers, ips");
	if (o->ctype && (o->ntypes > 2 || strcmp(o->type, "users") || strcmp(o->ctype, "clients")))
		return sm_kc_usage("Only one entity type may be specified, except for 'users' followed by 'clients' to describe or alter the quotas of a client id of a user");
	if (o->nnames > o->ntypes)
		return sm_kc_usage("An entity name or --entity-default was given without its --entity-type");
	if (o->ctype && !o->cname && !o->cdefault && o->alter)
		return sm_kc_usage("An entity name must be specified with --alter");
	if (o->all && (!o->describe || !o->bootstrap))
		return sm_kc_usage("--all can only be used with --describe and --bootstrap-server");
	if (!o->name && !o->entity_default && o->alter)
		return sm_kc_usage("An entity name must be specified with --alter");
	if (o->alter && !o->add && !o->del)
		return sm_kc_usage("At least one of --add-config or --delete-config must be specified with --alter");
	char ipbuf[64];
	if (!strcmp(o->type, "ips") && o->name && sm_ip_entity_address(o->name, 1, ipbuf, sizeof(ipbuf))) {
		fprintf(stderr, "The entity name for ips must be a valid IP or resolvable host, but it is: %s\n",
			o->name);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	sm_kc_opts_t o = { 0 };
	if (sm_kc_parse(argc, argv, &o))
		return 1;
	sm_logger_init(NULL, SM_LOG_WARN, 0);
	if (!o.zookeeper) {
		o.args = sm_kc_join_args(argc, argv);
		int brc = sm_kc_bootstrap(&o);
		free(o.args);
		return brc;
	}
	char err[256];
	sm_zk_t *zk = sm_zk_login_connect(o.zookeeper, -1, err, sizeof(err));
	if (!zk) {
		fprintf(stderr, "Error while executing config command: %s\n", err);
		return 1;
	}
	/* Kafka's Sanitizer: user and client id names are URL-encoded in the
	 * znode names ("<default>" is kept). */
	char *zname = NULL;
	if (o.name || o.entity_default) {
		int san = !o.entity_default && (!strcmp(o.type, "users") || !strcmp(o.type, "clients"));
		char *root = san ? sm_sasl_sanitize(o.name) : sm_strdup(o.entity_default ? "<default>" : o.name);
		if (o.ctype && (o.cname || o.cdefault)) {
			char *child = o.cdefault ? sm_strdup("<default>") : sm_sasl_sanitize(o.cname);
			size_t l = strlen(root) + strlen(child) + 10;
			zname = sm_malloc(l);
			snprintf(zname, l, "%s/clients/%s", root, child);
			free(child);
			free(root);
		} else {
			zname = root;
		}
	}
	const char *name = zname;
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
	free(zname);
	return rc;
}
