/*
 * dynamic_config.c - dynamic broker configs (Kafka's DynamicBrokerConfig);
 * see dynamic_config.h.
 *
 * Thread-safety: d->lock guards the layers, the current pointer and the
 * retired list; reload_lock serialises reloads so that the apply callback
 * sees configs in order.
 */
#include "dynamic_config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config_keys.h"
#include "connection_quotas.h"
#include "kafka_zk.h"
#include "logger.h"
#include "password_encoder.h"
#include "sasl.h"
#include "socket_server.h"
#include "tls.h"

#define SM_DYN_LOGGER "kafka.server.DynamicBrokerConfig"
#define SM_DYN_DEFAULT "<default>"
/* Keys one entity may hold: every reload and alter merges them all, so a
 * client must not be able to make that unbounded. */
#define SM_DYN_MAX_KEYS 1000

struct sm_dyn_config {
	const sm_kafka_config_t *static_cfg;
	int32_t broker_id;
	pthread_mutex_t lock;
	pthread_mutex_t reload_lock;
	sm_zk_config_t dflt;    /* keys in effect from /config/brokers/<default> */
	sm_zk_config_t broker;  /* keys in effect from /config/brokers/<id> */
	sm_kafka_config_t *cur; /* NULL: the static config is in effect */
	sm_kafka_config_t **retired;
	int n_retired;
	sm_dyn_apply_fn apply;
	void *apply_opaque;
};

/* A listener.name.<l>.<base> key's base ("" for other keys). */
static const char *sm_dyn_listener_base(const char *key)
{
	const char *dot = !strncmp(key, "listener.name.", 14) ? strchr(key + 14, '.') : NULL;
	return dot && dot != key + 14 ? dot + 1 : "";
}

/* Security keys without a listener prefix: refused as "cannot update
 * dynamically". listener.name.<l>.* keys are taken (as Kafka keeps them):
 * they set up a listener added in the same change; for an existing listener
 * only its keystore and truststore (sm_dyn_check_listeners) and its
 * connection limits (sm_dyn_listener_limit) may change. */
static int sm_dyn_is_security_or_listener(const char *key)
{
	return !strncmp(key, "ssl.", 4) || !strncmp(key, "sasl.", 5) ||
	       !strncmp(key, "password.encoder.", 17);
}

/* listener.name.<l>.max.connections / .max.connection.creation.rate
 * (Kafka's ListenerConnectionQuota, ClusterLevelListenerConfigs). */
static int sm_dyn_listener_limit(const char *key)
{
	const char *base = sm_dyn_listener_base(key);
	return !strcmp(base, "max.connections") || !strcmp(base, "max.connection.creation.rate");
}

/* Kafka's PerBrokerConfigs: refused at the <default> entity; of the
 * listener.name.<l>.* keys, all but the connection limits. */
static int sm_dyn_per_broker_only(const char *key)
{
	return !strcmp(key, "listeners") || !strcmp(key, "advertised.listeners") ||
	       !strcmp(key, "listener.security.protocol.map") ||
	       sm_kafka_config_is_listener_fallback(key) ||
	       (*sm_dyn_listener_base(key) && !sm_dyn_listener_limit(key));
}

static const char *sm_dyn_secret(sm_dyn_config_t *d)
{
	const char *s = sm_props_get(&d->static_cfg->given, "password.encoder.secret");
	return s && *s ? s : NULL;
}

int sm_dyn_config_passwords(sm_dyn_config_t *d, sm_zk_config_t *set, int encode, char *why,
			    size_t whylen)
{
	for (int i = 0; i < set->n; i++) {
		if (!sm_kafka_config_is_password(set->keys[i]))
			continue;
		const char *secret = sm_dyn_secret(d);
		if (!secret) {
			snprintf(why, whylen, "Password encoder secret not configured");
			return -1;
		}
		char err[256];
		char *v = encode ? sm_password_encode(secret, set->values[i], err, sizeof(err))
				 : sm_password_decode(secret, set->values[i], err, sizeof(err));
		if (!v) {
			snprintf(why, whylen, "%s: %s", set->keys[i], err);
			return -1;
		}
		free(set->values[i]);
		set->values[i] = v;
	}
	return 0;
}

/* Kafka's security configs that are dynamic only with a listener prefix. */
static int sm_dyn_bare_security_key(const char *key)
{
	return !strncmp(key, "ssl.keystore.", 13) || !strncmp(key, "ssl.truststore.", 15) ||
	       !strcmp(key, "ssl.key.password");
}

/* A key that may not be set dynamically: a known non-dynamic config. Keys
 * the broker does not define are kept, as Kafka keeps custom configs. */
static int sm_dyn_refused(const char *key)
{
	if (sm_kafka_config_is_dynamic(key) || sm_kafka_config_store_key(key, NULL) ||
	    sm_dyn_bare_security_key(key))
		return 0;
	return sm_kafka_config_def(key) != NULL || sm_dyn_is_security_or_listener(key);
}

sm_dyn_config_t *sm_dyn_config_new(const sm_kafka_config_t *static_cfg, int32_t broker_id)
{
	sm_dyn_config_t *d = sm_calloc(1, sizeof(*d));
	d->static_cfg = static_cfg;
	d->broker_id = broker_id;
	pthread_mutex_init(&d->lock, NULL);
	pthread_mutex_init(&d->reload_lock, NULL);
	return d;
}

void sm_dyn_config_destroy(sm_dyn_config_t *d)
{
	if (!d)
		return;
	for (int i = 0; i < d->n_retired; i++) {
		sm_kafka_config_free(d->retired[i]);
		free(d->retired[i]);
	}
	free(d->retired);
	if (d->cur) {
		sm_kafka_config_free(d->cur);
		free(d->cur);
	}
	sm_zk_config_clear(&d->dflt);
	sm_zk_config_clear(&d->broker);
	pthread_mutex_destroy(&d->reload_lock);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

void sm_dyn_config_set_apply(sm_dyn_config_t *d, sm_dyn_apply_fn fn, void *opaque)
{
	pthread_mutex_lock(&d->lock);
	d->apply = fn;
	d->apply_opaque = opaque;
	pthread_mutex_unlock(&d->lock);
}

const sm_kafka_config_t *sm_dyn_config_current(sm_dyn_config_t *d)
{
	pthread_mutex_lock(&d->lock);
	const sm_kafka_config_t *c = d->cur ? d->cur : d->static_cfg;
	pthread_mutex_unlock(&d->lock);
	return c;
}

const sm_kafka_config_t *sm_dyn_config_static(sm_dyn_config_t *d)
{
	return d->static_cfg;
}

static void sm_dyn_copy(sm_zk_config_t *dst, const sm_zk_config_t *src)
{
	for (int i = 0; i < src->n; i++)
		sm_zk_config_set(dst, src->keys[i], src->values[i]);
}

void sm_dyn_config_layers(sm_dyn_config_t *d, sm_zk_config_t *dflt, sm_zk_config_t *broker)
{
	pthread_mutex_lock(&d->lock);
	if (dflt)
		sm_dyn_copy(dflt, &d->dflt);
	if (broker)
		sm_dyn_copy(broker, &d->broker);
	pthread_mutex_unlock(&d->lock);
}

/* static < layers[0] < layers[1] as one property set. */
static void sm_dyn_merge(const sm_kafka_config_t *st, const sm_zk_config_t *lo,
			 const sm_zk_config_t *hi, sm_props_t *out)
{
	sm_props_init(out);
	for (int i = 0; i < st->given.cnt; i++)
		sm_props_set(out, st->given.v[i].key, st->given.v[i].value);
	for (int i = 0; lo && i < lo->n; i++)
		sm_props_set(out, lo->keys[i], lo->values[i]);
	for (int i = 0; hi && i < hi->n; i++)
		sm_props_set(out, hi->keys[i], hi->values[i]);
}

/* Builds the config of static < lo < hi; 0 or -1 with the reason. */
static int sm_dyn_build(const sm_kafka_config_t *st, const sm_zk_config_t *lo,
			const sm_zk_config_t *hi, sm_kafka_config_t *out, char *err, size_t errlen)
{
	sm_props_t p;
	sm_dyn_merge(st, lo, hi, &p);
	int r = sm_kafka_config_from_props(out, &p, err, errlen);
	sm_props_free(&p);
	if (r)
		sm_kafka_config_free(out);
	return r;
}

/* The keys of one znode that may take effect, in order: non-dynamic keys
 * and values that do not parse on top of what is already kept are logged
 * and dropped (Kafka ignores such entries in ZooKeeper). */
static void sm_dyn_filter(sm_dyn_config_t *d, const char *entity, const sm_zk_config_t *lo,
			  const sm_zk_config_t *in, sm_zk_config_t *out)
{
	int per_broker = strcmp(entity, SM_DYN_DEFAULT) != 0;
	for (int i = 0; i < in->n; i++) {
		char err[512];
		if (!in->keys[i][0])
			continue; /* a password that did not decode */
		if (sm_dyn_refused(in->keys[i]) || sm_dyn_bare_security_key(in->keys[i]) ||
		    (!per_broker && sm_dyn_per_broker_only(in->keys[i]))) {
			sm_log_warn(NULL, SM_DYN_LOGGER,
				    "Dynamic config %s in /config/brokers/%s cannot be updated dynamically; ignored",
				    in->keys[i], entity);
			continue;
		}
		if (out->n >= SM_DYN_MAX_KEYS) {
			sm_log_warn(NULL, SM_DYN_LOGGER,
				    "Dynamic config %s in /config/brokers/%s ignored: more than %d keys",
				    in->keys[i], entity, SM_DYN_MAX_KEYS);
			continue;
		}
		sm_zk_config_set(out, in->keys[i], in->values[i]);
		if (!sm_kafka_config_def(in->keys[i]))
			continue; /* a custom key: nothing to parse */
		sm_kafka_config_t trial;
		if (sm_dyn_build(d->static_cfg, lo, out, &trial, err, sizeof(err))) {
			sm_log_warn(NULL, SM_DYN_LOGGER,
				    "Dynamic config %s=%s in /config/brokers/%s is invalid and ignored: %s",
				    in->keys[i], in->values[i], entity, err);
			/* drop the last key again */
			sm_zk_config_remove(out, in->keys[i]);
			continue;
		}
		sm_kafka_config_free(&trial);
	}
}

static int sm_dyn_same(const sm_zk_config_t *a, const sm_zk_config_t *b)
{
	if (a->n != b->n)
		return 0;
	for (int i = 0; i < a->n; i++) {
		const char *v = sm_zk_config_get(b, a->keys[i]);
		if (!v || strcmp(v, a->values[i]))
			return 0;
	}
	return 1;
}

int sm_dyn_config_reload(sm_dyn_config_t *d, sm_zk_t *zk)
{
	char id[16];
	snprintf(id, sizeof(id), "%d", (int)d->broker_id);
	sm_zk_config_t raw_d = { 0 }, raw_b = { 0 }, nd = { 0 }, nb = { 0 };
	pthread_mutex_lock(&d->reload_lock);
	if (sm_kzk_get_entity_config(zk, "brokers", SM_DYN_DEFAULT, &raw_d) != SM_ERR_NONE ||
	    sm_kzk_get_entity_config(zk, "brokers", id, &raw_b) != SM_ERR_NONE) {
		sm_log_error(NULL, SM_DYN_LOGGER, "Failed to read the dynamic broker configs from ZooKeeper");
		sm_zk_config_clear(&raw_d);
		sm_zk_config_clear(&raw_b);
		pthread_mutex_unlock(&d->reload_lock);
		return -1;
	}
	/* stored passwords are encoded; one that does not decode is dropped */
	for (int i = 0; i < raw_b.n; i++) {
		if (!sm_kafka_config_is_password(raw_b.keys[i]))
			continue;
		sm_zk_config_t one = { 0 };
		char why[512];
		sm_zk_config_set(&one, raw_b.keys[i], raw_b.values[i]);
		if (sm_dyn_config_passwords(d, &one, 0, why, sizeof(why))) {
			sm_log_warn(NULL, SM_DYN_LOGGER, "Dynamic password config in /config/brokers/%s ignored: %s",
				    id, why);
			free(raw_b.values[i]);
			raw_b.values[i] = sm_strdup(""); /* dropped below */
			raw_b.keys[i][0] = '\0';
		} else {
			free(raw_b.values[i]);
			raw_b.values[i] = sm_strdup(one.values[0]);
		}
		sm_zk_config_clear(&one);
	}
	sm_dyn_filter(d, SM_DYN_DEFAULT, NULL, &raw_d, &nd);
	sm_dyn_filter(d, id, &nd, &raw_b, &nb);
	sm_zk_config_clear(&raw_d);
	sm_zk_config_clear(&raw_b);

	pthread_mutex_lock(&d->lock);
	int same = d->cur && sm_dyn_same(&nd, &d->dflt) && sm_dyn_same(&nb, &d->broker);
	if (!d->cur && !nd.n && !nb.n)
		same = 1;
	pthread_mutex_unlock(&d->lock);
	if (same) {
		sm_zk_config_clear(&nd);
		sm_zk_config_clear(&nb);
		pthread_mutex_unlock(&d->reload_lock);
		return 0;
	}
	char err[512];
	sm_kafka_config_t *n = sm_calloc(1, sizeof(*n));
	if (sm_dyn_build(d->static_cfg, &nd, &nb, n, err, sizeof(err))) {
		/* each key parsed alone; a combination may still be refused */
		sm_log_error(NULL, SM_DYN_LOGGER, "Dynamic broker configs not applied: %s", err);
		free(n);
		sm_zk_config_clear(&nd);
		sm_zk_config_clear(&nb);
		pthread_mutex_unlock(&d->reload_lock);
		return 0;
	}
	for (int i = 0; i < nd.n; i++)
		sm_log_info(NULL, SM_DYN_LOGGER, "Dynamic default broker config %s=%s", nd.keys[i], nd.values[i]);
	for (int i = 0; i < nb.n; i++)
		sm_log_info(NULL, SM_DYN_LOGGER, "Dynamic broker config %s=%s (broker %s)", nb.keys[i],
			    sm_kafka_config_is_password(nb.keys[i]) ? "[hidden]" : nb.values[i], id);

	pthread_mutex_lock(&d->lock);
	const sm_kafka_config_t *old = d->cur ? d->cur : d->static_cfg;
	if (d->cur) {
		d->retired = sm_realloc(d->retired, sizeof(*d->retired) * (size_t)(d->n_retired + 1));
		d->retired[d->n_retired++] = d->cur;
	}
	d->cur = n;
	sm_zk_config_clear(&d->dflt);
	sm_zk_config_clear(&d->broker);
	d->dflt = nd;
	d->broker = nb;
	sm_dyn_apply_fn fn = d->apply;
	void *opaque = d->apply_opaque;
	pthread_mutex_unlock(&d->lock);
	if (fn)
		fn(opaque, old, n);
	pthread_mutex_unlock(&d->reload_lock);
	return 0;
}

/* The security protocol of listener in map, or NULL (malloc'd). */
static char *sm_dyn_protocol(const char *map, const char *listener)
{
	char *m = sm_strdup(map ? map : ""), *save = NULL, *res = NULL;
	for (char *tok = strtok_r(m, ",", &save); tok && !res; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		char *colon = strchr(tok, ':');
		if (colon && (size_t)(colon - tok) == strlen(listener) &&
		    !strncasecmp(tok, listener, (size_t)(colon - tok)))
			res = sm_strdup(colon + 1);
	}
	free(m);
	return res;
}

static int sm_dyn_in(const sm_listener_cfg_t *ls, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcasecmp(ls[i].name, name))
			return 1;
	return 0;
}

static void sm_dyn_names(const sm_listener_cfg_t *ls, int n, char *out, size_t outlen)
{
	out[0] = '\0';
	for (int i = 0; i < n; i++)
		snprintf(out + strlen(out), outlen - strlen(out), "%s%s", i ? "," : "", ls[i].name);
}

/* Whether the listener.name.<l>.* keys of l, other than its keystore,
 * truststore and connection limits, are the same in a and b. */
static int sm_dyn_same_listener_keys(const sm_props_t *a, const sm_props_t *b, const char *l)
{
	const sm_props_t *sets[2] = { a, b };
	size_t ln = strlen(l);
	for (int s = 0; s < 2; s++) {
		const sm_props_t *p = sets[s], *o = sets[1 - s];
		for (int i = 0; i < p->cnt; i++) {
			const char *k = p->v[i].key;
			if (strncmp(k, "listener.name.", 14) || strncasecmp(k + 14, l, ln) ||
			    k[14 + ln] != '.' || sm_kafka_config_store_key(k, NULL) ||
			    sm_dyn_listener_limit(k))
				continue;
			const char *ov = sm_props_get(o, k);
			if (!ov || strcmp(ov, p->v[i].value))
				return 0;
		}
	}
	return 1;
}

/* Kafka's checks of a listeners change: the KafkaConfig requirements
 * (advertised listeners among the listeners, the inter-broker listener
 * advertised) and DynamicListenerConfig.validateReconfiguration (an
 * existing listener keeps its protocol and its settings but the
 * keystores); a new SSL listener's keystore must load and a new SASL
 * listener's mechanisms must be served. */
static int sm_dyn_check_listeners(const sm_kafka_config_t *old, const sm_kafka_config_t *nw,
				  char *why, size_t whylen)
{
	sm_listener_cfg_t *nl = NULL, *al = NULL, *ol = NULL;
	int nn = 0, an = 0, on = 0, r = -1;
	char err[512], names[1024], valid[1024];
	const char *adv = nw->advertised_listeners ? nw->advertised_listeners : nw->listeners;
	const char *specs[2] = { nw->listeners, adv };

	/* counted before parsing: a client's value may hold very many
	 * entries, and the parser checks names pairwise */
	for (int k = 0; k < 2; k++) {
		int commas = 0;
		for (const char *c = specs[k]; c && *c; c++)
			commas += *c == ',';
		if (commas >= 64) {
			snprintf(why, whylen, "Invalid value for configuration %s: at most 64 listeners",
				 k ? "advertised.listeners" : "listeners");
			goto out;
		}
	}
	if (sm_listeners_parse(nw->listeners, &nl, &nn, err, sizeof(err))) {
		snprintf(why, whylen, "Invalid value %s for configuration listeners: %s",
			 nw->listeners, err);
		goto out;
	}
	if (sm_listeners_parse(adv, &al, &an, err, sizeof(err))) {
		snprintf(why, whylen, "Invalid value %s for configuration advertised.listeners: %s",
			 adv, err);
		goto out;
	}
	if (sm_listeners_parse(old->listeners, &ol, &on, err, sizeof(err)))
		on = 0;
	for (int i = 0; i < nn; i++) {
		char *p = sm_dyn_protocol(nw->listener_security_protocol_map, nl[i].name);
		if (!p) {
			snprintf(why, whylen, "Listeners '%s' must be subset of listener map '%s'",
				 nw->listeners, nw->listener_security_protocol_map);
			goto out;
		}
		free(p);
	}
	sm_dyn_names(al, an, names, sizeof(names));
	sm_dyn_names(nl, nn, valid, sizeof(valid));
	for (int i = 0; i < an; i++)
		if (!sm_dyn_in(nl, nn, al[i].name)) {
			snprintf(why, whylen, "requirement failed: advertised.listeners listener names "
				 "must be equal to or a subset of the ones defined in listeners. Found "
				 "%s. The valid options based on the current configuration are %s",
				 names, valid);
			goto out;
		}
	const char *ibl = nw->inter_broker_listener_name ? nw->inter_broker_listener_name
							 : nw->security_inter_broker_protocol;
	if (!sm_dyn_in(al, an, ibl)) {
		snprintf(why, whylen, "requirement failed: inter.broker.listener.name must be a "
			 "listener name defined in advertised.listeners. The valid options based on "
			 "currently configured listeners are %s", names);
		goto out;
	}
	for (int i = 0; i < nn; i++) {
		const char *l = nl[i].name;
		if (sm_dyn_in(ol, on, l)) {
			/* in Kafka's order: the settings, then the protocol */
			if (!sm_dyn_same_listener_keys(&old->given, &nw->given, l)) {
				snprintf(why, whylen, "Configs cannot be updated dynamically for existing "
					 "listener %s, restart broker or create a new listener for update",
					 l);
				goto out;
			}
			char *a = sm_dyn_protocol(old->listener_security_protocol_map, l);
			char *b = sm_dyn_protocol(nw->listener_security_protocol_map, l);
			int same = a && b && !strcasecmp(a, b);
			free(a);
			free(b);
			if (!same) {
				snprintf(why, whylen, "Security protocol cannot be updated for existing "
					 "listener %s", l);
				goto out;
			}
			continue;
		}
		char *p = sm_dyn_protocol(nw->listener_security_protocol_map, l);
		int ssl = !strcmp(p, "SSL") || !strcmp(p, "SASL_SSL");
		int sasl = !strncmp(p, "SASL_", 5);
		free(p);
		if (ssl) {
			SSL_CTX *ctx = sm_tls_server_ctx_new(&nw->given, l, why, whylen);
			if (!ctx)
				goto out;
			SSL_CTX_free(ctx);
		}
		if (sasl) {
			sm_sasl_listener_t *sl = sm_sasl_listener_new(&nw->given, l, 0, why, whylen);
			if (!sl)
				goto out;
			sm_sasl_listener_free(sl);
		}
	}
	r = 0;
out:
	free(nl);
	free(al);
	free(ol);
	return r;
}

/* Kafka's DynamicThreadPool.validateReconfiguration. */
static int sm_dyn_check_threads(const char *key, int32_t cur, const char *v, char *why,
				size_t whylen)
{
	char *end;
	long n = strtol(v, &end, 10);
	if (*end || end == v)
		return 0; /* the parse check reports it */
	const char *pre = "Dynamic thread count update validation failed for";
	if (n <= 0)
		snprintf(why, whylen, "%s %s=%s, value should be at least 1", pre, key, v);
	else if (n < cur / 2)
		snprintf(why, whylen, "%s %s=%s, value should be at least half the current value %d",
			 pre, key, v, (int)cur);
	else if (n > (long)cur * 2)
		snprintf(why, whylen, "%s %s=%s, value should not be greater than double the current value %d",
			 pre, key, v, (int)cur);
	else
		return 0;
	return -1;
}

int sm_dyn_config_validate(sm_dyn_config_t *d, int per_broker, const sm_zk_config_t *set,
			   char *why, size_t whylen)
{
	char list[512] = "";
	if (set->n > SM_DYN_MAX_KEYS) {
		snprintf(why, whylen, "Too many dynamic configs: %d, at most %d per entity", set->n,
			 SM_DYN_MAX_KEYS);
		return -1;
	}
	for (int i = 0; i < set->n; i++)
		if (sm_dyn_refused(set->keys[i]))
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 list[0] ? ", " : "", set->keys[i]);
	if (list[0]) {
		snprintf(why, whylen, "Cannot update these configs dynamically: Set(%s)", list);
		return -1;
	}
	for (int i = 0; i < set->n; i++)
		if (sm_dyn_bare_security_key(set->keys[i])) {
			snprintf(why, whylen, "These security configs can be dynamically updated only per-listener using the listener prefix");
			return -1;
		}
	for (int i = 0; !per_broker && i < set->n; i++)
		if (sm_dyn_per_broker_only(set->keys[i]))
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 list[0] ? ", " : "", set->keys[i]);
	if (list[0]) {
		snprintf(why, whylen, "Cannot update these configs at default cluster level, broker id must be specified: Set(%s)",
			 list);
		return -1;
	}
	for (int i = 0; i < set->n; i++)
		if (sm_kafka_config_is_password(set->keys[i]) && !sm_dyn_secret(d)) {
			snprintf(why, whylen, "Password encoder secret not configured");
			return -1;
		}
	sm_zk_config_t dflt = { 0 }, broker = { 0 };
	sm_dyn_config_layers(d, &dflt, &broker);
	const sm_kafka_config_t *cur = sm_dyn_config_current(d);
	const char *v = sm_zk_config_get(set, "num.io.threads");
	int r = v ? sm_dyn_check_threads("num.io.threads", cur->num_io_threads, v, why, whylen) : 0;
	v = sm_zk_config_get(set, "num.replica.fetchers");
	if (!r && v)
		r = sm_dyn_check_threads("num.replica.fetchers", cur->num_replica_fetchers, v, why, whylen);
	v = sm_zk_config_get(set, "num.network.threads");
	if (!r && v)
		r = sm_dyn_check_threads("num.network.threads", cur->num_network_threads, v, why,
					 whylen);
	if (!r && v && atol(v) > 1024) {
		/* the socket server's processor table */
		snprintf(why, whylen, "Invalid value %s for configuration num.network.threads: "
			 "at most 1024 processors", v);
		r = -1;
	}
	v = sm_zk_config_get(set, "background.threads");
	if (!r && v)
		r = sm_dyn_check_threads("background.threads", cur->background_threads, v, why,
					 whylen);
	v = sm_zk_config_get(set, "num.recovery.threads.per.data.dir");
	if (!r && v)
		r = sm_dyn_check_threads("num.recovery.threads.per.data.dir",
					 cur->num_recovery_threads_per_data_dir, v, why, whylen);
	v = sm_zk_config_get(set, "log.cleaner.threads");
	if (!r && v) {
		/* Kafka's LogCleaner.validateReconfiguration */
		char *end;
		long n = strtol(v, &end, 10);
		int32_t c = cur->log_cleaner_threads;
		if (!*end && end != v) {
			if (n < 1)
				snprintf(why, whylen, "Log cleaner threads should be at least 1");
			else if (n < c / 2)
				snprintf(why, whylen, "Log cleaner threads cannot be reduced to less than half the current value %d", (int)c);
			else if (n > (long)c * 2)
				snprintf(why, whylen, "Log cleaner threads cannot be increased to more than double the current value %d", (int)c);
			r = n < 1 || n < c / 2 || n > (long)c * 2 ? -1 : 0;
		}
	}
	/* ListenerConnectionQuota.validateReconfiguration: positive values */
	for (int i = 0; !r && i < set->n; i++) {
		if (!sm_dyn_listener_limit(set->keys[i]))
			continue;
		char *end;
		errno = 0;
		long long x = strtoll(set->values[i], &end, 10);
		if (!set->values[i][0] || *end || errno || x <= 0 || x > INT32_MAX) {
			snprintf(why, whylen, "Invalid %s %s", sm_dyn_listener_base(set->keys[i]),
				 set->values[i]);
			r = -1;
		}
	}
	v = sm_zk_config_get(set, "max.connections.per.ip.overrides");
	if (!r && v) {
		/* the socket server's parser (names are resolved, as at start-up) */
		sm_ip_override_t *ov = NULL;
		int nov = 0;
		char perr[256];
		if (sm_ip_overrides_parse(v, &ov, &nov, perr, sizeof(perr)) < 0) {
			snprintf(why, whylen, "Invalid value %s for configuration max.connections.per.ip.overrides: %s",
				 v, perr);
			r = -1;
		}
		free(ov);
	}
	if (!r) {
		sm_kafka_config_t trial;
		r = per_broker ? sm_dyn_build(d->static_cfg, &dflt, set, &trial, why, whylen)
			       : sm_dyn_build(d->static_cfg, set, &broker, &trial, why, whylen);
		int built = !r; /* sm_dyn_build freed a failed one */
		if (!r)
			r = sm_dyn_check_listeners(cur, &trial, why, whylen);
		/* a new keystore must load (Kafka's SslFactory validation) */
		for (int i = 0; !r && i < set->n; i++) {
			char *l = NULL;
			if (!sm_kafka_config_store_key(set->keys[i], &l))
				continue;
			SSL_CTX *ctx = sm_tls_server_ctx_new(&trial.given, l, why, whylen);
			if (ctx)
				SSL_CTX_free(ctx);
			else
				r = -1;
			free(l);
		}
		if (built)
			sm_kafka_config_free(&trial);
	}
	sm_zk_config_clear(&dflt);
	sm_zk_config_clear(&broker);
	return r;
}
