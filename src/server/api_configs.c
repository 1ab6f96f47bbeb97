/*
 * api_configs.c - the config APIs (Kafka's ZkAdminManager.describeConfigs /
 * alterConfigs / incrementalAlterConfigs behind KafkaApis): DescribeConfigs,
 * AlterConfigs and IncrementalAlterConfigs.
 *
 * TOPIC resources: DescribeConfigs reports every topic config (log_config.h)
 * with its effective value, its source (DYNAMIC_TOPIC_CONFIG for an override
 * in /config/topics/<t>, else the broker synonym's STATIC_BROKER_CONFIG or
 * DEFAULT_CONFIG) and Kafka's synonym chain. The Alter APIs validate the
 * whole resulting override set and write /config/topics/<t> plus a
 * /config/changes notification, as AdminZkClient.changeTopicConfig does;
 * every broker's config manager then applies it. Any broker may serve them.
 *
 * BROKER resources (dynamic broker configs, dynamic_config.h): DescribeConfigs
 * reports this broker's effective configs with their sources
 * (DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG, STATIC_BROKER_CONFIG,
 * DEFAULT_CONFIG), synonyms and read_only flags; for the default entity ("")
 * only the keys set in /config/brokers/<default>. The Alter APIs validate the
 * new dynamic set (non-dynamic keys refused with Kafka's message, values
 * parsed, thread counts within half and double) and write
 * /config/brokers/<id|<default>> plus a /config/changes notification; every
 * broker's config manager applies it. A per-broker resource must name the
 * receiving broker.
 *
 * BROKER_LOGGER resources: the root logger, whose level can be described and
 * set (Samsa has one level for all its loggers).
 *
 * Thread-safety: runs on request handler threads; reads the immutable broker
 * config and metadata snapshots, writes only ZooKeeper.
 */
#include "kafka_apis_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_keys.h"
#include "dynamic_config.h"
#include "kafka_zk.h"
#include "log_config.h"
#include "logger.h"
#include "metadata_cache.h"
#include "msg_alter_configs.h"
#include "msg_describe_configs.h"
#include "msg_incremental_alter_configs.h"

#define SM_CFGAPI_LOGGER "kafka.server.ZkAdminManager"
#define SM_CFGAPI_ERRLEN 2048
#define SM_CFGAPI_WHYLEN 768 /* a reason wrapped into an SM_CFGAPI_ERRLEN message */

static const char *const sm_cfgapi_levels[] = { "TRACE", "DEBUG", "INFO", "WARN", "ERROR",
						"FATAL" };

/* ConfigResource.Type's names, for messages. */
static const char *sm_cfgapi_type_name(int8_t t)
{
	switch (t) {
	case SM_CONFIG_RESOURCE_TOPIC: return "TOPIC";
	case SM_CONFIG_RESOURCE_BROKER: return "BROKER";
	case SM_CONFIG_RESOURCE_BROKER_LOGGER: return "BROKER_LOGGER";
	default: return "UNKNOWN";
	}
}

static char *sm_cfgapi_dup(sm_arena_t *a, const char *s)
{
	return s ? sm_arena_strndup(a, s, strlen(s)) : NULL;
}

static int8_t sm_cfgapi_wire_type(sm_cfg_type_t t)
{
	switch (t) {
	case SM_CFG_INT: return SM_CONFIG_TYPE_INT;
	case SM_CFG_LONG: return SM_CONFIG_TYPE_LONG;
	case SM_CFG_BOOL: return SM_CONFIG_TYPE_BOOLEAN;
	case SM_CFG_STRING: return SM_CONFIG_TYPE_STRING;
	case SM_CFG_LIST: return SM_CONFIG_TYPE_LIST;
	case SM_CFG_DOUBLE: return SM_CONFIG_TYPE_DOUBLE;
	}
	return SM_CONFIG_TYPE_UNKNOWN;
}

/* The broker configs KafkaConfig defines as SHORT (held as int here). */
static int8_t sm_cfgapi_broker_wire_type(const sm_cfg_def_t *d)
{
	static const char *const shorts[] = {
		"offsets.topic.replication.factor", "offsets.commit.required.acks",
		"transaction.state.log.replication.factor", "sasl.login.refresh.min.period.seconds",
		"sasl.login.refresh.buffer.seconds",
	};
	for (size_t i = 0; i < sizeof(shorts) / sizeof(shorts[0]); i++)
		if (!strcmp(d->name, shorts[i]))
			return SM_CONFIG_TYPE_SHORT;
	return sm_cfgapi_wire_type(d->type);
}

/* Kafka's resourceNameToBrokerId plus the "is it me" check. */
static sm_err_t sm_cfgapi_broker_id(sm_req_ctx_t *ctx, const char *name, const char *sep,
				    char *err, size_t errlen)
{
	char *end;
	long id = strtol(name, &end, 10);
	if (!*name || *end) {
		snprintf(err, errlen, "Broker id must be an integer, but it is: %s", name);
		return SM_ERR_INVALID_REQUEST;
	}
	if (id != ctx->apis->d.broker_id) {
		snprintf(err, errlen, "Unexpected broker id, expected %d%s, but received %s",
			 (int)ctx->apis->d.broker_id, sep, name);
		return SM_ERR_INVALID_REQUEST;
	}
	return SM_ERR_NONE;
}

static int sm_cfgapi_topic_known(sm_req_ctx_t *ctx, const char *topic)
{
	sm_mc_snapshot_t *s = sm_metadata_cache_get(ctx->apis->d.metadata_cache);
	int known = sm_mc_topic(s, topic) != NULL;
	sm_mc_snapshot_release(s);
	return known;
}

/* The effective broker config: the dynamic one when the broker has it. */
static const sm_kafka_config_t *sm_cfgapi_cfg(sm_req_ctx_t *ctx)
{
	sm_dyn_config_t *dyn = ctx->apis->d.dyn_config;
	return dyn ? sm_dyn_config_current(dyn) : ctx->apis->d.cfg;
}

/* ---- DescribeConfigs ---- */

/* The levels a broker config's synonyms come from, highest first. */
typedef struct sm_cfgapi_layers {
	const sm_zk_config_t *broker; /* DYNAMIC_BROKER_CONFIG, or NULL */
	const sm_zk_config_t *dflt;   /* DYNAMIC_DEFAULT_BROKER_CONFIG, or NULL */
	const sm_props_t *given;      /* STATIC_BROKER_CONFIG */
} sm_cfgapi_layers_t;

typedef struct sm_cfgapi_list {
	sm_arena_t *a;
	const sm_describe_configs_req_resource_t *res;
	int include_synonyms, include_doc;
	sm_describe_configs_resp_result_t *out;
	int cap;
	const sm_cfgapi_layers_t *ly;
} sm_cfgapi_list_t;

static int sm_cfgapi_wanted(const sm_describe_configs_req_resource_t *res, const char *name)
{
	if (res->configuration_keys_cnt < 0)
		return 1;
	for (int32_t i = 0; i < res->configuration_keys_cnt; i++)
		if (res->configuration_keys[i] && !strcmp(res->configuration_keys[i], name))
			return 1;
	return 0;
}

/* Kafka's configSynonyms: the per-broker dynamic, default dynamic, static
 * then default values of the broker configs in names, from the entry named
 * names[0] on. out has room for 4 levels of every name. */
static int sm_cfgapi_synonyms(const sm_cfgapi_layers_t *ly, const char *const *names,
			      const char *fallback_dflt, sm_arena_t *a,
			      sm_describe_configs_resp_synonym_t *out, int n)
{
	static const int8_t src[] = { SM_CONFIG_SOURCE_DYNAMIC_BROKER,
				      SM_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER,
				      SM_CONFIG_SOURCE_STATIC_BROKER, SM_CONFIG_SOURCE_DEFAULT };
	int n0 = n;
	for (int pass = 0; pass < 4; pass++) {
		for (int i = 0; names[i]; i++) {
			const sm_cfg_def_t *d = sm_kafka_config_def(names[i]);
			const char *v = NULL;
			if (pass == 0)
				v = ly->broker ? sm_zk_config_get(ly->broker, names[i]) : NULL;
			else if (pass == 1)
				v = ly->dflt ? sm_zk_config_get(ly->dflt, names[i]) : NULL;
			else if (pass == 2)
				v = sm_props_get(ly->given, names[i]);
			else
				v = d ? d->dflt : (i == 0 ? fallback_dflt : NULL);
			if (!v)
				continue;
			if (n == n0 && strcmp(names[i], names[0]))
				continue; /* dropWhile(name != names[0]) */
			out[n].name = sm_cfgapi_dup(a, names[i]);
			out[n].value = sm_cfgapi_dup(a, v);
			out[n].source = src[pass];
			n++;
		}
	}
	return n;
}

static sm_describe_configs_resp_config_t *sm_cfgapi_add(sm_cfgapi_list_t *l, const char *name)
{
	sm_describe_configs_resp_result_t *r = l->out;
	if (r->configs_cnt == l->cap) {
		int cap = l->cap ? l->cap * 2 : 64;
		sm_describe_configs_resp_config_t *n = sm_arena_alloc(l->a, sizeof(*n) * (size_t)cap);
		if (r->configs_cnt)
			memcpy(n, r->configs, sizeof(*n) * (size_t)r->configs_cnt);
		r->configs = n;
		l->cap = cap;
	}
	sm_describe_configs_resp_config_t *e = &r->configs[r->configs_cnt++];
	memset(e, 0, sizeof(*e));
	e->name = sm_cfgapi_dup(l->a, name);
	return e;
}

/* Source and synonyms (when asked) from the full synonym list. */
static void sm_cfgapi_finish(sm_cfgapi_list_t *l, sm_describe_configs_resp_config_t *e,
			     sm_describe_configs_resp_synonym_t *syn, int nsyn)
{
	e->config_source = nsyn ? syn[0].source : SM_CONFIG_SOURCE_DEFAULT;
	/* v0's IsDefault: Kafka 2.8's broker never sets it, so it answers
	 * false for every entry (its clients derive "default" from the
	 * source from v1 on); a client sees the same here. */
	e->is_default = 0;
	if (l->include_synonyms && nsyn) {
		e->synonyms = sm_arena_alloc(l->a, sizeof(*syn) * (size_t)nsyn);
		memcpy(e->synonyms, syn, sizeof(*syn) * (size_t)nsyn);
		e->synonyms_cnt = nsyn;
	}
}

static void sm_cfgapi_topic_entry(sm_cfgapi_list_t *l, const sm_kafka_config_t *cfg,
				  const sm_log_config_def_t *d, const sm_zk_config_t *over)
{
	sm_describe_configs_resp_synonym_t syn[20];
	int nsyn = 0;
	const char *ov = sm_zk_config_get(over, d->name);
	char *canon = NULL, err[256];
	sm_describe_configs_resp_config_t *e = sm_cfgapi_add(l, d->name);
	if (ov) {
		if (sm_log_config_validate(d->name, ov, &canon, err, sizeof(err)))
			canon = sm_strdup(ov);
		syn[nsyn].name = e->name;
		syn[nsyn].value = sm_cfgapi_dup(l->a, canon);
		syn[nsyn++].source = SM_CONFIG_SOURCE_DYNAMIC_TOPIC;
		e->value = syn[0].value;
	} else {
		char *v = sm_log_config_broker_value(cfg, d);
		e->value = sm_cfgapi_dup(l->a, v);
		free(v);
	}
	free(canon);
	if (d->synonyms[0])
		nsyn = sm_cfgapi_synonyms(l->ly, d->synonyms, d->dflt, l->a, syn, nsyn);
	sm_cfgapi_finish(l, e, syn, nsyn);
	e->config_type = sm_cfgapi_wire_type(d->type);
	if (l->include_doc)
		e->documentation = (char *)d->doc;
}

static void sm_cfgapi_describe_topic(sm_req_ctx_t *ctx, sm_cfgapi_list_t *l)
{
	const char *topic = l->res->resource_name;
	char err[SM_CFGAPI_ERRLEN];
	sm_err_t e = sm_kzk_validate_topic_name(topic, err, sizeof(err));
	if (e) {
		l->out->error_code = (int16_t)e;
		l->out->error_message = sm_cfgapi_dup(l->a, err);
		return;
	}
	if (!sm_cfgapi_topic_known(ctx, topic)) {
		l->out->error_code = SM_ERR_UNKNOWN_TOPIC_OR_PARTITION;
		return;
	}
	sm_zk_config_t over = { 0 };
	e = sm_kzk_get_topic_config(ctx->apis->d.zk, topic, &over);
	if (e) {
		l->out->error_code = (int16_t)sm_err_to_wire(e);
		l->out->error_message = sm_cfgapi_dup(l->a, "Failed to read the topic's configs from ZooKeeper");
		return;
	}
	/* a topic without an override follows the broker's synonyms, whose
	 * values may be dynamic */
	sm_dyn_config_t *dyn = ctx->apis->d.dyn_config;
	const sm_kafka_config_t *cfg = sm_cfgapi_cfg(ctx);
	sm_zk_config_t dflt = { 0 }, broker = { 0 };
	if (dyn)
		sm_dyn_config_layers(dyn, &dflt, &broker);
	sm_cfgapi_layers_t ly = { &broker, &dflt, dyn ? &sm_dyn_config_static(dyn)->given : &cfg->given };
	l->ly = &ly;
	int n;
	const sm_log_config_def_t *defs = sm_log_config_defs(&n);
	for (int i = 0; i < n; i++)
		if (sm_cfgapi_wanted(l->res, defs[i].name))
			sm_cfgapi_topic_entry(l, cfg, &defs[i], &over);
	l->ly = NULL;
	sm_zk_config_clear(&dflt);
	sm_zk_config_clear(&broker);
	sm_zk_config_clear(&over);
}

int sm_apis_topic_configs(const sm_kafka_config_t *cfg, sm_dyn_config_t *dyn,
			  const sm_zk_config_t *over, sm_arena_t *a, sm_apis_topic_config_t **out)
{
	sm_describe_configs_resp_result_t r = { 0 };
	sm_zk_config_t dflt = { 0 }, broker = { 0 };
	if (dyn) {
		sm_dyn_config_layers(dyn, &dflt, &broker);
		cfg = sm_dyn_config_current(dyn);
	}
	sm_cfgapi_layers_t ly = { &broker, &dflt, dyn ? &sm_dyn_config_static(dyn)->given : &cfg->given };
	sm_cfgapi_list_t l = { a, NULL, 0, 0, &r, 0, &ly };
	int n;
	const sm_log_config_def_t *defs = sm_log_config_defs(&n);
	for (int i = 0; i < n; i++)
		sm_cfgapi_topic_entry(&l, cfg, &defs[i], over);
	sm_zk_config_clear(&dflt);
	sm_zk_config_clear(&broker);
	*out = sm_arena_alloc(a, sizeof(**out) * (size_t)(r.configs_cnt + 1));
	for (int i = 0; i < r.configs_cnt; i++) {
		const sm_describe_configs_resp_config_t *e = &r.configs[i];
		(*out)[i] = (sm_apis_topic_config_t){ e->name, e->value, e->config_source,
						      e->read_only, e->is_sensitive };
	}
	return r.configs_cnt;
}

/* Kafka's brokerConfigSynonyms: the time-unit families share a chain. */
static void sm_cfgapi_broker_names(const char *name, const char **names)
{
	static const char *const families[][4] = {
		{ "log.roll.ms", "log.roll.hours", NULL },
		{ "log.roll.jitter.ms", "log.roll.jitter.hours", NULL },
		{ "log.flush.interval.ms", "log.flush.scheduler.interval.ms", NULL },
		{ "log.retention.ms", "log.retention.minutes", "log.retention.hours", NULL },
	};
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++)
		for (int i = 0; families[f][i]; i++)
			if (!strcmp(families[f][i], name)) {
				/* the chain starting at the described name (dropWhile) */
				int k = 0;
				for (int j = i; families[f][j]; j++)
					names[k++] = families[f][j];
				names[k] = NULL;
				return;
			}
	names[0] = name;
	names[1] = NULL;
}

/* The level a key without a definition (a custom key) comes from. */
static int8_t sm_cfgapi_custom_source(const sm_cfgapi_layers_t *ly, const char *name)
{
	if (ly->broker && sm_zk_config_get(ly->broker, name))
		return SM_CONFIG_SOURCE_DYNAMIC_BROKER;
	if (ly->dflt && sm_zk_config_get(ly->dflt, name))
		return SM_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER;
	return SM_CONFIG_SOURCE_STATIC_BROKER;
}

/* Kafka's createBrokerConfigEntry. value: the effective value (NULL: from
 * cfg). read_only unless Samsa updates the key at run time. */
static void sm_cfgapi_broker_entry(sm_cfgapi_list_t *l, const sm_kafka_config_t *cfg,
				   const char *name, const sm_cfg_def_t *d, const char *value)
{
	sm_describe_configs_resp_synonym_t syn[16];
	const char *names[5];
	sm_describe_configs_resp_config_t *e = sm_cfgapi_add(l, name);
	e->read_only = !sm_kafka_config_is_dynamic(name);
	if (!d && !e->read_only && !sm_kafka_config_is_password(name)) {
		/* a listener's keystore/truststore location or type: a string */
		e->config_source = sm_cfgapi_custom_source(l->ly, name);
		const char *v = e->config_source == SM_CONFIG_SOURCE_DYNAMIC_BROKER ? sm_zk_config_get(l->ly->broker, name)
			      : e->config_source == SM_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER ? sm_zk_config_get(l->ly->dflt, name)
			      : sm_props_get(l->ly->given, name);
		e->value = sm_cfgapi_dup(l->a, value ? value : v);
		e->config_type = SM_CONFIG_TYPE_STRING;
		if (l->include_synonyms) {
			e->synonyms = sm_arena_alloc(l->a, sizeof(*e->synonyms));
			e->synonyms[0].name = e->name;
			e->synonyms[0].value = e->value;
			e->synonyms[0].source = e->config_source;
			e->synonyms_cnt = 1;
		}
		return;
	}
	if (!d) {
		/* a key KafkaConfig does not define: sensitive, value hidden */
		e->is_sensitive = 1;
		e->config_source = sm_cfgapi_custom_source(l->ly, name);
		if (l->include_synonyms) {
			e->synonyms = sm_arena_alloc(l->a, sizeof(*e->synonyms));
			e->synonyms[0].name = e->name;
			e->synonyms[0].source = e->config_source;
			e->synonyms_cnt = 1;
		}
		return;
	}
	char *v;
	if (value) {
		v = sm_strdup(value);
	} else if (d->type == SM_CFG_DOUBLE) {
		char buf[64];
		sm_log_config_format_double(*(const double *)((const char *)cfg + d->offset), buf,
					    sizeof(buf));
		v = sm_strdup(buf);
	} else {
		v = sm_kafka_config_value_string(cfg, d);
	}
	e->value = sm_cfgapi_dup(l->a, v);
	free(v);
	sm_cfgapi_broker_names(name, names);
	int nsyn = sm_cfgapi_synonyms(l->ly, names, NULL, l->a, syn, 0);
	sm_cfgapi_finish(l, e, syn, nsyn);
	e->config_type = sm_cfgapi_broker_wire_type(d);
	if (l->include_doc)
		e->documentation = (char *)d->doc;
}

static int sm_cfgapi_listed(const sm_cfgapi_list_t *l, const char *name)
{
	for (int32_t i = 0; i < l->out->configs_cnt; i++)
		if (!strcmp(l->out->configs[i].name, name))
			return 1;
	return 0;
}

static void sm_cfgapi_describe_broker(sm_req_ctx_t *ctx, sm_cfgapi_list_t *l)
{
	char err[SM_CFGAPI_ERRLEN];
	const char *name = l->res->resource_name;
	sm_dyn_config_t *dyn = ctx->apis->d.dyn_config;
	if (*name) {
		sm_err_t e = sm_cfgapi_broker_id(ctx, name, " or empty string", err, sizeof(err));
		if (e) {
			l->out->error_code = (int16_t)e;
			l->out->error_message = sm_cfgapi_dup(l->a, err);
			return;
		}
	}
	sm_zk_config_t dflt = { 0 }, broker = { 0 };
	if (dyn)
		sm_dyn_config_layers(dyn, &dflt, &broker);
	const sm_kafka_config_t *cfg = sm_cfgapi_cfg(ctx);
	const sm_kafka_config_t *st = dyn ? sm_dyn_config_static(dyn) : cfg;
	/* the default entity: its own keys, without per-broker synonyms */
	sm_cfgapi_layers_t ly = { *name ? &broker : NULL, &dflt, &st->given };
	l->ly = &ly;
	if (!*name) {
		for (int i = 0; i < dflt.n; i++)
			if (sm_cfgapi_wanted(l->res, dflt.keys[i]))
				sm_cfgapi_broker_entry(l, cfg, dflt.keys[i],
						       sm_kafka_config_def(dflt.keys[i]), dflt.values[i]);
	} else {
		int n;
		const sm_cfg_def_t *defs = sm_kafka_config_defs(&n);
		for (int i = 0; i < n; i++)
			if (sm_cfgapi_wanted(l->res, defs[i].name))
				sm_cfgapi_broker_entry(l, cfg, defs[i].name, &defs[i], NULL);
		/* custom keys: static, then dynamic ones not seen yet */
		const sm_props_t *g = &st->given;
		for (int i = 0; i < g->cnt; i++) {
			const char *k = g->v[i].key;
			if (!sm_kafka_config_def(k) && sm_cfgapi_wanted(l->res, k))
				sm_cfgapi_broker_entry(l, cfg, k, NULL, NULL);
		}
		const sm_zk_config_t *dyns[] = { &dflt, &broker };
		for (int j = 0; j < 2; j++)
			for (int i = 0; i < dyns[j]->n; i++) {
				const char *k = dyns[j]->keys[i];
				if (!sm_kafka_config_def(k) && sm_cfgapi_wanted(l->res, k) &&
				    !sm_cfgapi_listed(l, k))
					sm_cfgapi_broker_entry(l, cfg, k, NULL, NULL);
			}
	}
	/* entries point into the arena, not into the layers */
	sm_zk_config_clear(&dflt);
	sm_zk_config_clear(&broker);
	l->ly = NULL;
}

static const char *sm_cfgapi_root_level(void)
{
	for (int i = SM_LOG_TRACE; i <= SM_LOG_FATAL; i++)
		if (sm_logger_enabled((sm_log_level_t)i))
			return sm_cfgapi_levels[i];
	return "FATAL";
}

static void sm_cfgapi_describe_logger(sm_req_ctx_t *ctx, sm_cfgapi_list_t *l)
{
	char err[SM_CFGAPI_ERRLEN];
	const char *name = l->res->resource_name;
	sm_err_t e = SM_ERR_INVALID_REQUEST;
	if (!*name)
		snprintf(err, sizeof(err), "Broker id must not be empty");
	else
		e = sm_cfgapi_broker_id(ctx, name, "", err, sizeof(err));
	if (e) {
		l->out->error_code = (int16_t)e;
		l->out->error_message = sm_cfgapi_dup(l->a, err);
		return;
	}
	if (!sm_cfgapi_wanted(l->res, "root"))
		return;
	sm_describe_configs_resp_config_t *c = sm_cfgapi_add(l, "root");
	c->value = (char *)sm_cfgapi_root_level();
	c->config_source = SM_CONFIG_SOURCE_DYNAMIC_BROKER_LOGGER;
}

/* Kafka: a topic's configs need op on the topic, a broker's or a broker
 * logger's on the cluster; the refusal's code (0 when allowed). Other
 * resource types are refused later for what they are. */
static int16_t sm_cfgapi_denied(sm_req_ctx_t *ctx, int op, int8_t type, const char *name)
{
	if (type == SM_CONFIG_RESOURCE_TOPIC)
		return sm_apis_authorized(ctx, op, SM_ACL_RES_TOPIC, name)
			       ? 0 : SM_ERR_TOPIC_AUTHORIZATION_FAILED;
	if (type == SM_CONFIG_RESOURCE_BROKER || type == SM_CONFIG_RESOURCE_BROKER_LOGGER)
		return sm_apis_authorized(ctx, op, SM_ACL_RES_CLUSTER, NULL)
			       ? 0 : SM_ERR_CLUSTER_AUTHORIZATION_FAILED;
	return 0;
}

void sm_api_describe_configs(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_describe_configs_req_t req;
	if (sm_describe_configs_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_describe_configs_resp_t resp = { 0 };
	resp.results_cnt = req.resources_cnt;
	resp.results = sm_arena_alloc(&ctx->arena, sizeof(*resp.results) * (size_t)(req.resources_cnt + 1));
	for (int32_t i = 0; i < req.resources_cnt; i++) {
		const sm_describe_configs_req_resource_t *q = &req.resources[i];
		sm_describe_configs_resp_result_t *r = &resp.results[i];
		memset(r, 0, sizeof(*r));
		r->resource_type = q->resource_type;
		r->resource_name = q->resource_name;
		sm_cfgapi_list_t l = { &ctx->arena, q, ver >= 1 && req.include_synonyms,
				       ver >= 3 && req.include_documentation, r, 0, NULL };
		if ((r->error_code = sm_cfgapi_denied(ctx, SM_ACL_OP_DESCRIBE_CONFIGS,
						      q->resource_type, q->resource_name)))
			;
		else if (q->resource_type == SM_CONFIG_RESOURCE_TOPIC)
			sm_cfgapi_describe_topic(ctx, &l);
		else if (q->resource_type == SM_CONFIG_RESOURCE_BROKER)
			sm_cfgapi_describe_broker(ctx, &l);
		else if (q->resource_type == SM_CONFIG_RESOURCE_BROKER_LOGGER)
			sm_cfgapi_describe_logger(ctx, &l);
		else {
			char err[128];
			snprintf(err, sizeof(err), "Unsupported resource type: %s",
				 sm_cfgapi_type_name(q->resource_type));
			r->error_code = SM_ERR_INVALID_REQUEST;
			r->error_message = sm_cfgapi_dup(&ctx->arena, err);
		}
		if (r->error_code)
			r->configs_cnt = 0;
	}
	sm_describe_configs_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}

/* ---- AlterConfigs / IncrementalAlterConfigs ---- */

/* One resource's change, in the shape both Alter APIs reduce to. */
typedef struct sm_cfgapi_op {
	const char *name;
	int8_t op;         /* SM_CONFIG_OP_* (AlterConfigs: SET) */
	const char *value; /* may be NULL */
} sm_cfgapi_op_t;

static const char *sm_cfgapi_op_name(int8_t op)
{
	static const char *const names[] = { "SET", "DELETE", "APPEND", "SUBTRACT" };
	return op >= 0 && op <= 3 ? names[op] : "UNKNOWN";
}

/* The "Invalid config value for resource ConfigResource(...)" wrapping
 * Kafka gives a ConfigException. */
static sm_err_t sm_cfgapi_invalid_value(int8_t type, const char *name, const char *why, char *err,
					size_t errlen)
{
	char tmp[SM_CFGAPI_WHYLEN];
	snprintf(tmp, sizeof(tmp), "%s", why);
	snprintf(err, errlen, "Invalid config value for resource ConfigResource(type=%s, name='%s'): %s",
		 sm_cfgapi_type_name(type), name, tmp);
	return SM_ERR_INVALID_REQUEST;
}

/* Common request checks: duplicates (incremental only) and null values. */
static sm_err_t sm_cfgapi_check_ops(sm_req_ctx_t *ctx, const sm_cfgapi_op_t *ops, int n,
				    int incremental, char *err, size_t errlen)
{
	char list[SM_CFGAPI_ERRLEN] = "";
	if (incremental && n > 1) {
		/* sorted, not pairwise: a resource may carry very many keys */
		const char **names = sm_arena_alloc_array(&ctx->arena, n, sizeof(*names));
		for (int i = 0; names && i < n; i++)
			names[i] = ops[i].name;
		uint8_t *dup = names ? sm_apis_duplicates(&ctx->arena, names, n) : NULL;
		for (int i = 0; i < n; i++)
			if (!dup || dup[i]) {
				snprintf(err, errlen, "Error due to duplicate config keys : %s", ops[i].name);
				return SM_ERR_INVALID_REQUEST;
			}
	}
	for (int i = 0; i < n; i++) {
		if (ops[i].op < SM_CONFIG_OP_SET || ops[i].op > SM_CONFIG_OP_SUBTRACT) {
			/* Kafka 2.8's OpType.forId gives null, on which its
			 * config update fails unhandled: the resource answers
			 * UNKNOWN_SERVER_ERROR */
			snprintf(err, errlen, "Unknown config operation %d for config key: %s",
				 ops[i].op, ops[i].name);
			return SM_ERR_UNKNOWN_SERVER_ERROR;
		}
		if (ops[i].value || ops[i].op == SM_CONFIG_OP_DELETE)
			continue;
		if (incremental)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s:%s",
				 list[0] ? "," : "", sm_cfgapi_op_name(ops[i].op), ops[i].name);
		else
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 list[0] ? "," : "", ops[i].name);
	}
	if (list[0]) {
		snprintf(err, errlen, "Null value not supported for : %s", list);
		return SM_ERR_INVALID_REQUEST;
	}
	return SM_ERR_NONE;
}

static void sm_cfgapi_list_edit(sm_zk_config_t *cfg, const sm_cfgapi_op_t *op, const char *old);

/* APPEND / SUBTRACT on a list config (Kafka's prepareIncrementalConfigs):
 * the current override, else LogConfig's default, split on commas. */
static sm_err_t sm_cfgapi_list_op(sm_zk_config_t *cfg, const sm_cfgapi_op_t *op, char *err,
				  size_t errlen)
{
	const sm_log_config_def_t *d = sm_log_config_def(op->name);
	if (!d) {
		snprintf(err, errlen, "Unknown topic config name: %s", op->name);
		return SM_ERR_INVALID_CONFIG;
	}
	if (d->type != SM_CFG_LIST) {
		snprintf(err, errlen, "Config value %s is not allowed for config key: %s",
			 op->op == SM_CONFIG_OP_APPEND ? "append" : "subtract", op->name);
		return SM_ERR_INVALID_REQUEST;
	}
	const char *old = sm_zk_config_get(cfg, op->name);
	if (!old)
		old = !strcmp(op->name, "cleanup.policy") ? "delete" : "";
	sm_cfgapi_list_edit(cfg, op, old);
	return SM_ERR_NONE;
}

/* The same on a broker list config: the dynamic value, else KafkaConfig's
 * default. */
static sm_err_t sm_cfgapi_broker_list_op(sm_zk_config_t *cfg, const sm_cfgapi_op_t *op,
					 char *err, size_t errlen)
{
	const sm_cfg_def_t *d = sm_kafka_config_def(op->name);
	if (!d || d->type != SM_CFG_LIST) {
		snprintf(err, errlen, "Config value %s is not allowed for config key: %s",
			 op->op == SM_CONFIG_OP_APPEND ? "append" : "subtract", op->name);
		return SM_ERR_INVALID_REQUEST;
	}
	const char *old = sm_zk_config_get(cfg, op->name);
	sm_cfgapi_list_edit(cfg, op, old ? old : d->dflt ? d->dflt : "");
	return SM_ERR_NONE;
}

/* old's comma-separated items with op's applied, stored under op's name. */
static void sm_cfgapi_list_edit(sm_zk_config_t *cfg, const sm_cfgapi_op_t *op, const char *old)
{
	sm_wbuf_t w;
	sm_wbuf_init(&w, 64);
	char *copy = sm_strdup(old), *p = copy;
	int first = 1;
	for (;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		int drop = 0;
		if (op->op == SM_CONFIG_OP_SUBTRACT) {
			char *vals = sm_strdup(op->value), *save = NULL;
			for (char *t = strtok_r(vals, ",", &save); t && !drop; t = strtok_r(NULL, ",", &save))
				drop = !strcmp(t, p);
			free(vals);
		}
		if (!drop) {
			sm_wbuf_append(&w, ",", first ? 0 : 1);
			sm_wbuf_append(&w, p, strlen(p));
			first = 0;
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	if (op->op == SM_CONFIG_OP_APPEND) {
		sm_wbuf_append(&w, ",", first ? 0 : 1);
		sm_wbuf_append(&w, op->value, strlen(op->value));
	}
	sm_wbuf_append(&w, "", 1);
	sm_zk_config_set(cfg, op->name, (const char *)w.p);
	free(copy);
	sm_wbuf_free(&w);
}

static void sm_cfgapi_remove(sm_zk_config_t *cfg, const char *key)
{
	for (int i = 0; i < cfg->n; i++) {
		if (strcmp(cfg->keys[i], key))
			continue;
		free(cfg->keys[i]);
		free(cfg->values[i]);
		memmove(&cfg->keys[i], &cfg->keys[i + 1], sizeof(char *) * (size_t)(cfg->n - i - 1));
		memmove(&cfg->values[i], &cfg->values[i + 1], sizeof(char *) * (size_t)(cfg->n - i - 1));
		cfg->n--;
		return;
	}
}

/* Kafka's alterTopicConfigs: the topic must exist, every name must be a topic
 * config (LogConfig.validateNames) and every value must parse. */
static sm_err_t sm_cfgapi_commit_topic(sm_req_ctx_t *ctx, const char *topic,
				       const sm_zk_config_t *cfg, int validate_only, char *err,
				       size_t errlen)
{
	if (!sm_cfgapi_topic_known(ctx, topic)) {
		snprintf(err, errlen, "The topic '%s' does not exist.", topic);
		return SM_ERR_UNKNOWN_TOPIC_OR_PARTITION;
	}
	for (int i = 0; i < cfg->n; i++)
		if (!sm_log_config_def(cfg->keys[i])) {
			snprintf(err, errlen, "Unknown topic config name: %s", cfg->keys[i]);
			return SM_ERR_INVALID_CONFIG;
		}
	for (int i = 0; i < cfg->n; i++) {
		char why[SM_CFGAPI_WHYLEN];
		sm_err_t ve = sm_log_config_validate(cfg->keys[i], cfg->values[i], NULL, why,
						     sizeof(why));
		if (ve == SM_ERR_INVALID_CONFIG) {
			/* a value Kafka takes but Samsa cannot apply
			 * (message.format.version before 0.11.0) */
			snprintf(err, errlen, "%s", why);
			sm_log_info(NULL, SM_CFGAPI_LOGGER, "Refused config of topic %s: %s", topic,
				    why);
			return SM_ERR_INVALID_CONFIG;
		}
		if (ve)
			return sm_cfgapi_invalid_value(SM_CONFIG_RESOURCE_TOPIC, topic, why, err, errlen);
	}
	if (validate_only)
		return SM_ERR_NONE;
	char desc[SM_CFGAPI_ERRLEN] = "";
	for (int i = 0; i < cfg->n; i++)
		snprintf(desc + strlen(desc), sizeof(desc) - strlen(desc), "%s%s=%s", i ? "," : "",
			 cfg->keys[i], cfg->values[i]);
	sm_log_info(NULL, SM_CFGAPI_LOGGER, "Updating topic %s with new configuration : %s", topic, desc);
	sm_err_t e = sm_kzk_set_entity_config(ctx->apis->d.zk, "topics", topic, cfg);
	if (e) {
		snprintf(err, errlen, "Failed to write the topic's configs to ZooKeeper");
		return SM_ERR_UNKNOWN_SERVER_ERROR;
	}
	return SM_ERR_NONE;
}

static sm_err_t sm_cfgapi_alter_topic(sm_req_ctx_t *ctx, const char *topic,
				      const sm_cfgapi_op_t *ops, int n, int incremental,
				      int validate_only, char *err, size_t errlen)
{
	sm_zk_config_t cfg = { 0 };
	sm_err_t e = SM_ERR_NONE;
	if (incremental && sm_kzk_get_topic_config(ctx->apis->d.zk, topic, &cfg)) {
		snprintf(err, errlen, "Failed to read the topic's configs from ZooKeeper");
		return SM_ERR_UNKNOWN_SERVER_ERROR;
	}
	for (int i = 0; i < n && !e; i++) {
		if (ops[i].op == SM_CONFIG_OP_SET)
			sm_zk_config_set(&cfg, ops[i].name, ops[i].value);
		else if (ops[i].op == SM_CONFIG_OP_DELETE)
			sm_cfgapi_remove(&cfg, ops[i].name);
		else
			e = sm_cfgapi_list_op(&cfg, &ops[i], err, errlen);
	}
	if (!e)
		e = sm_cfgapi_commit_topic(ctx, topic, &cfg, validate_only, err, errlen);
	sm_zk_config_clear(&cfg);
	return e;
}

/* Kafka's alterBrokerConfigs / incrementalAlterConfigs for BROKER: the new
 * dynamic set of the entity (AlterConfigs: the request's entries replace
 * it; incremental: applied to what ZooKeeper holds), validated, then written
 * with its change notification. */
static sm_err_t sm_cfgapi_alter_broker(sm_req_ctx_t *ctx, const char *name,
				       const sm_cfgapi_op_t *ops, int n, int incremental,
				       int validate_only, char *err, size_t errlen)
{
	if (*name) {
		sm_err_t e = sm_cfgapi_broker_id(ctx, name, "", err, errlen);
		if (e)
			return e;
	}
	sm_dyn_config_t *dyn = ctx->apis->d.dyn_config;
	if (!dyn) {
		snprintf(err, errlen, "Dynamic broker configs are not available on this broker");
		return SM_ERR_INVALID_REQUEST;
	}
	const char *entity = *name ? name : "<default>";
	sm_zk_config_t set = { 0 };
	sm_err_t e = SM_ERR_NONE;
	if (incremental && sm_kzk_get_entity_config(ctx->apis->d.zk, "brokers", entity, &set)) {
		snprintf(err, errlen, "Failed to read the broker's dynamic configs from ZooKeeper");
		return SM_ERR_UNKNOWN_SERVER_ERROR;
	}
	char why[SM_CFGAPI_WHYLEN];
	/* stored passwords are encoded; validation needs them in clear */
	if (incremental && sm_dyn_config_passwords(dyn, &set, 0, why, sizeof(why))) {
		sm_zk_config_clear(&set);
		return sm_cfgapi_invalid_value(SM_CONFIG_RESOURCE_BROKER, name, why, err, errlen);
	}
	for (int i = 0; i < n && !e; i++) {
		if (ops[i].op == SM_CONFIG_OP_SET)
			sm_zk_config_set(&set, ops[i].name, ops[i].value);
		else if (ops[i].op == SM_CONFIG_OP_DELETE)
			sm_cfgapi_remove(&set, ops[i].name);
		else
			e = sm_cfgapi_broker_list_op(&set, &ops[i], err, errlen);
	}
	if (!e && sm_dyn_config_validate(dyn, *name != '\0', &set, why, sizeof(why)))
		e = sm_cfgapi_invalid_value(SM_CONFIG_RESOURCE_BROKER, name, why, err, errlen);
	if (!e && !validate_only && sm_dyn_config_passwords(dyn, &set, 1, why, sizeof(why)))
		e = sm_cfgapi_invalid_value(SM_CONFIG_RESOURCE_BROKER, name, why, err, errlen);
	if (!e && !validate_only) {
		char desc[SM_CFGAPI_ERRLEN] = "";
		for (int i = 0; i < set.n; i++)
			snprintf(desc + strlen(desc), sizeof(desc) - strlen(desc), "%s%s=%s",
				 i ? "," : "", set.keys[i],
				 sm_kafka_config_is_password(set.keys[i]) ? "[hidden]" : set.values[i]);
		sm_log_info(NULL, SM_CFGAPI_LOGGER, "Updating broker %s with new configuration : %s",
			    entity, desc);
		if (sm_kzk_set_entity_config(ctx->apis->d.zk, "brokers", entity, &set)) {
			snprintf(err, errlen, "Failed to write the broker's dynamic configs to ZooKeeper");
			e = SM_ERR_UNKNOWN_SERVER_ERROR;
		}
	}
	sm_zk_config_clear(&set);
	return e;
}

/* BROKER_LOGGER (IncrementalAlterConfigs only): Samsa's single "root". */
static sm_err_t sm_cfgapi_alter_logger(sm_req_ctx_t *ctx, const char *name,
				       const sm_cfgapi_op_t *ops, int n, int validate_only,
				       char *err, size_t errlen)
{
	sm_err_t e = sm_cfgapi_broker_id(ctx, name, "", err, errlen);
	for (int i = 0; i < n && !e; i++) {
		char why[SM_CFGAPI_WHYLEN] = "";
		int level = -1;
		if (ops[i].op == SM_CONFIG_OP_APPEND || ops[i].op == SM_CONFIG_OP_SUBTRACT) {
			snprintf(err, errlen, "%s operation is not allowed for the BROKER_LOGGER resource",
				 sm_cfgapi_op_name(ops[i].op));
			return SM_ERR_INVALID_REQUEST;
		}
		if (strcmp(ops[i].name, "root"))
			snprintf(why, sizeof(why), "Logger %s does not exist!", ops[i].name);
		else if (ops[i].op == SM_CONFIG_OP_DELETE) {
			snprintf(err, errlen, "Removing the log level of the root logger is not allowed");
			return SM_ERR_INVALID_REQUEST;
		}
		for (int l = 0; !why[0] && l <= SM_LOG_FATAL; l++)
			if (!strcmp(ops[i].value, sm_cfgapi_levels[l]))
				level = l;
		if (!why[0] && level < 0)
			snprintf(why, sizeof(why), "Cannot set the log level of root to %s as it is not a supported log level. Valid log levels are FATAL, ERROR, WARN, INFO, DEBUG, TRACE", ops[i].value);
		if (why[0])
			return sm_cfgapi_invalid_value(SM_CONFIG_RESOURCE_BROKER_LOGGER, name, why, err, errlen);
		if (!validate_only) {
			sm_log_info(NULL, SM_CFGAPI_LOGGER, "Updating the log level of root to %s", ops[i].value);
			sm_logger_set_level((sm_log_level_t)level);
		}
	}
	return e;
}

static sm_err_t sm_cfgapi_alter_one(sm_req_ctx_t *ctx, int8_t type, const char *name,
				    const sm_cfgapi_op_t *ops, int n, int incremental,
				    int validate_only, char *err, size_t errlen)
{
	int16_t denied = sm_cfgapi_denied(ctx, SM_ACL_OP_ALTER_CONFIGS, type, name);
	if (denied)
		return (sm_err_t)denied;
	sm_err_t e = sm_cfgapi_check_ops(ctx, ops, n, incremental, err, errlen);
	if (e)
		return e;
	if (type == SM_CONFIG_RESOURCE_TOPIC)
		return sm_cfgapi_alter_topic(ctx, name, ops, n, incremental, validate_only, err, errlen);
	if (type == SM_CONFIG_RESOURCE_BROKER)
		return sm_cfgapi_alter_broker(ctx, name, ops, n, incremental, validate_only, err,
					      errlen);
	if (type == SM_CONFIG_RESOURCE_BROKER_LOGGER && incremental)
		return sm_cfgapi_alter_logger(ctx, name, ops, n, validate_only, err, errlen);
	snprintf(err, errlen, "AlterConfigs is only supported for topics and brokers, but resource type is %s",
		 sm_cfgapi_type_name(type));
	return SM_ERR_INVALID_REQUEST;
}

static void sm_cfgapi_result(sm_req_ctx_t *ctx, sm_alter_configs_resp_response_t *r, int8_t type,
			     char *name, const sm_cfgapi_op_t *ops, int n, int incremental,
			     int validate_only)
{
	char err[SM_CFGAPI_ERRLEN] = "";
	sm_err_t e = sm_cfgapi_alter_one(ctx, type, name, ops, n, incremental, validate_only, err,
					 sizeof(err));
	r->resource_type = type;
	r->resource_name = name;
	r->error_code = (int16_t)sm_err_to_wire(e);
	r->error_message = e && err[0] ? sm_cfgapi_dup(&ctx->arena, err) : NULL;
	if (e)
		sm_log_info(NULL, SM_CFGAPI_LOGGER,
			    "Error processing alter configs request for resource ConfigResource(type=%s, name='%s'): %s",
			    sm_cfgapi_type_name(type), name, err);
}

void sm_api_alter_configs(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_alter_configs_req_t req;
	if (sm_alter_configs_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_alter_configs_resp_t resp = { 0 };
	resp.responses_cnt = req.resources_cnt;
	resp.responses = sm_arena_alloc(&ctx->arena, sizeof(*resp.responses) * (size_t)(req.resources_cnt + 1));
	for (int32_t i = 0; i < req.resources_cnt; i++) {
		const sm_alter_configs_req_resource_t *q = &req.resources[i];
		sm_cfgapi_op_t *ops = sm_arena_alloc(&ctx->arena, sizeof(*ops) * (size_t)(q->configs_cnt + 1));
		for (int32_t k = 0; k < q->configs_cnt; k++)
			ops[k] = (sm_cfgapi_op_t){ q->configs[k].name, SM_CONFIG_OP_SET, q->configs[k].value };
		sm_cfgapi_result(ctx, &resp.responses[i], q->resource_type, q->resource_name, ops,
				 q->configs_cnt, 0, req.validate_only);
	}
	sm_alter_configs_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}

void sm_api_incremental_alter_configs(sm_req_ctx_t *ctx)
{
	int16_t ver = ctx->hdr.api_version;
	sm_incremental_alter_configs_req_t req;
	if (sm_incremental_alter_configs_req_read(&ctx->body, ver, &ctx->arena, &req)) {
		sm_apis_parse_error(ctx);
		return;
	}
	sm_incremental_alter_configs_resp_t resp = { 0 };
	resp.responses_cnt = req.resources_cnt;
	resp.responses = sm_arena_alloc(&ctx->arena, sizeof(*resp.responses) * (size_t)(req.resources_cnt + 1));
	for (int32_t i = 0; i < req.resources_cnt; i++) {
		const sm_incremental_alter_configs_req_resource_t *q = &req.resources[i];
		sm_cfgapi_op_t *ops = sm_arena_alloc(&ctx->arena, sizeof(*ops) * (size_t)(q->configs_cnt + 1));
		for (int32_t k = 0; k < q->configs_cnt; k++)
			ops[k] = (sm_cfgapi_op_t){ q->configs[k].name, q->configs[k].config_operation,
						   q->configs[k].value };
		/* Same result element as AlterConfigs, in its own type. */
		sm_alter_configs_resp_response_t r;
		sm_cfgapi_result(ctx, &r, q->resource_type, q->resource_name, ops, q->configs_cnt, 1,
				 req.validate_only);
		resp.responses[i].error_code = r.error_code;
		resp.responses[i].error_message = r.error_message;
		resp.responses[i].resource_type = r.resource_type;
		resp.responses[i].resource_name = r.resource_name;
	}
	sm_incremental_alter_configs_resp_write(sm_apis_resp_begin(ctx), ver, &resp);
	sm_apis_resp_send(ctx);
}
