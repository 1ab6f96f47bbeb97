/*
 * kafka_server.c - broker lifecycle (Kafka's KafkaServer); see kafka_server.h.
 *
 * Threads: the main thread runs sm_kafka_server_run (signals, periodic
 * checkpoints, ZooKeeper session re-establishment); "req-handler-N" threads
 * take requests from the request channel; the socket server, controller,
 * fetch purgatory and controller channel have their own threads.
 *
 * The handler pool follows num.io.threads at run time (dynamic broker
 * configs): the config-change thread starts new handlers in the free slots,
 * or lowers the target so that the handlers in the slots above it leave
 * after their current request, and joins them. The same thread resizes the
 * network processors (num.network.threads) and applies listener changes
 * (listeners, advertised.listeners, listener.security.protocol.map): removed
 * listeners closed, added ones set up from the new config's
 * listener.name.<l>.* keys and bound, then /brokers/ids/<id> rewritten in
 * place (Kafka's DynamicListenerConfig.reconfigure and updateBrokerInfo).
 * Listeners, their map and keys stored per broker count from start-up.
 */
#include "kafka_server.h"
#include "metrics.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "authorizer.h"
#include "client_quota.h"
#include "clock.h"
#include "config_manager.h"
#include "controller.h"
#include "dynamic_config.h"
#include "group_coordinator.h"
#include "txn_coordinator.h"
#include "txn_marker_channel.h"
#include "kafka_apis.h"
#include "kafka_zk.h"
#include "log_cleaner.h"
#include "log_manager.h"
#include "logger.h"
#include "metadata_cache.h"
#include "msg_controlled_shutdown.h"
#include "net_client.h"
#include "properties.h"
#include "replica_manager.h"
#include "request_channel.h"
#include "socket_server.h"
#include "thread_role.h"
#include "tls.h"
#include "sasl.h"
#include "zk_client.h"
#include "zk_login.h"

#define SM_SRV_LOGGER "kafka.server.KafkaServer"

struct sm_kafka_server {
	sm_kafka_config_t *cfg;
	int32_t broker_id;
	char comp[48]; /* "KafkaServer id=N" */
	char cluster_id[SM_UUID_B64_LEN + 1];
	char *inter_broker_listener;
	sm_zk_t *zk;
	sm_log_manager_t *lm;
	sm_log_cleaner_t *cleaner;
	sm_replica_manager_t *rm;
	sm_metadata_cache_t *mc;
	sm_request_channel_t *channel;
	sm_socket_server_t *ss;
	sm_controller_t *controller;
	sm_config_manager_t *config_manager;
	sm_authorizer_t *authorizer; /* NULL without authorizer.class.name */
	sm_kafka_apis_t *apis;
	sm_group_metadata_manager_t *gmm;
	sm_group_coordinator_t *gc;
	sm_group_metadata_manager_t *txn_log; /* __transaction_state writer */
	sm_txn_marker_channel_t *txn_markers;
	sm_txn_coordinator_t *tc;
	pthread_t *handlers;  /* slots 0..n_handlers-1 run */
	int n_handlers;
	int handlers_target;  /* atomic: handlers in slots >= this one leave */
	int handlers_stop;
	pthread_mutex_t handlers_lock; /* resizes (config-change thread, shutdown) */
	sm_dyn_config_t *dyn;
	int session_expired; /* atomic: set by the ZooKeeper watcher */
	sm_zk_broker_info_t reg; /* under reg_lock: rewritten by config-change
	                            (dynamic listeners), read by main (a
	                            re-registration after session expiry) */
	pthread_mutex_t reg_lock; /* a leaf lock, never held across ZooKeeper */
	int registered;
	/* czxid of this broker's /brokers/ids/<id> (KIP-380 broker epoch),
	 * read atomically by request threads; 0 before registering */
	int64_t broker_epoch;
	SSL_CTX **tls_ctx;   /* one per SSL listener, then those of keystore reloads */
	int n_tls_ctx;
	char **tls_listeners; /* the SSL listeners' names */
	int n_tls_listeners;
	SSL_CTX *tls_client; /* to the inter-broker listener, if it is SSL */
	sm_sasl_listener_t **sasl; /* one per SASL listener */
	int n_sasl;
	sm_metrics_http_t *metrics_http;
};

sm_kafka_server_t *sm_kafka_server_new(sm_kafka_config_t *cfg)
{
	sm_kafka_server_t *s = sm_calloc(1, sizeof(*s));
	s->cfg = cfg;
	s->broker_id = cfg->broker_id;
	pthread_mutex_init(&s->handlers_lock, NULL);
	pthread_mutex_init(&s->reg_lock, NULL);
	return s;
}

/* Runs on libzookeeper's event thread: only records or forwards events. */
static void sm_server_zk_watcher(void *opaque, int type, const char *path)
{
	sm_kafka_server_t *s = opaque;
	if (type == SM_ZK_EVENT_SESSION) {
		if (sm_zk_session_state(s->zk) == SM_ZK_SESSION_EXPIRED)
			__atomic_store_n(&s->session_expired, 1, __ATOMIC_RELEASE);
		return;
	}
	if (s->controller)
		sm_controller_zk_event(s->controller, type, path);
	if (s->config_manager)
		sm_config_manager_zk_event(s->config_manager, type, path);
	sm_authorizer_zk_event(s->authorizer, type, path);
}

/* Scrape-time gauges (metrics-http thread): both sources take only their
 * own locks. */
static void sm_server_metrics_gauges(void *opaque, sm_metrics_gauges_t *g)
{
	sm_kafka_server_t *s = opaque;
	if (s->rm)
		sm_replica_manager_metrics(s->rm, g);
	if (s->controller) {
		sm_controller_metrics(s->controller, g);
		sm_controller_stats(s->controller, g);
	}
	if (s->gc) {
		sm_gc_metrics_t gm;
		sm_group_coordinator_metrics(s->gc, &gm);
		g->num_groups = gm.groups;
		g->num_offsets = gm.offsets;
		memcpy(g->groups_by_state, gm.by_state, sizeof(g->groups_by_state));
	}
	/* client quota sensors: each shard's lock, briefly, per scrape */
	sm_quota_metric_t *qm;
	int n = sm_client_quotas_metrics(sm_client_quotas_global(), sm_clock_mono_ms(), &qm);
	if (n > 0) {
		static const char *const res[] = { "Produce", "Fetch", "Request",
						   "ControllerMutation" };
		g->quotas = sm_calloc((size_t)n, sizeof(*g->quotas));
		for (int i = 0; i < n; i++) {
			sm_metrics_quota_t *m = &g->quotas[g->nquotas++];
			m->resource = res[qm[i].type];
			/* Kafka tags its sensors with the sanitized user */
			m->user = *qm[i].user ? sm_sasl_sanitize(qm[i].user) : sm_strdup("");
			m->client = qm[i].client;
			m->value = qm[i].rate;
			m->tokens = qm[i].tokens;
			m->throttle_ms = qm[i].throttle_ms;
			qm[i].client = NULL; /* ownership moves */
		}
	}
	sm_client_quotas_metrics_free(qm, n);
}

typedef struct sm_server_handler_arg {
	sm_kafka_server_t *s;
	int slot;
} sm_server_handler_arg_t;

static void *sm_server_handler_main(void *arg)
{
	sm_server_handler_arg_t a = *(sm_server_handler_arg_t *)arg;
	sm_kafka_server_t *s = a.s;
	free(arg);
	char name[16];
	snprintf(name, sizeof(name), "req-handler-%d", a.slot);
	pthread_setname_np(pthread_self(), name);
	sm_thread_role_set(SM_ROLE_HANDLER);
	sm_metrics_thread_register(SM_METRICS_POOL_HANDLER, a.slot);
	while (!__atomic_load_n(&s->handlers_stop, __ATOMIC_ACQUIRE) &&
	       a.slot < __atomic_load_n(&s->handlers_target, __ATOMIC_ACQUIRE)) {
		/* RequestHandlerAvgIdlePercent: the time blocked here is idle */
		sm_metrics_handler_wait(a.slot, 1, sm_clock_mono_ns());
		sm_request_t *req = sm_request_channel_receive(s->channel, 300);
		if (req) {
			sm_metrics_handler_wait(a.slot, 0, sm_clock_mono_ns());
			sm_kafka_apis_handle(s->apis, req);
		}
	}
	sm_metrics_thread_unregister(SM_METRICS_POOL_HANDLER, a.slot);
	return NULL;
}

/* The request channel's inline handler (run to completion): a network
 * thread handles the requests sm_kafka_apis_runs_inline accepts itself. */
static int sm_server_inline(void *opaque, sm_request_t *req)
{
	sm_kafka_server_t *s = opaque;

	if (!sm_kafka_apis_runs_inline(req))
		return 0;
	sm_kafka_apis_handle_inline(s->apis, req);
	return 1;
}

/* Grows or shrinks the handler pool to n threads (Kafka's
 * KafkaRequestHandlerPool.resizeThreadPool). */
static void sm_server_resize_handlers(sm_kafka_server_t *s, int n)
{
	pthread_mutex_lock(&s->handlers_lock);
	if (__atomic_load_n(&s->handlers_stop, __ATOMIC_ACQUIRE) || n < 1 || n == s->n_handlers) {
		pthread_mutex_unlock(&s->handlers_lock);
		return;
	}
	int old = s->n_handlers;
	__atomic_store_n(&s->handlers_target, n, __ATOMIC_RELEASE);
	if (n > old) {
		s->handlers = sm_realloc(s->handlers, sizeof(pthread_t) * (size_t)n);
		for (int i = old; i < n; i++) {
			sm_server_handler_arg_t *a = sm_malloc(sizeof(*a));
			a->s = s;
			a->slot = i;
			pthread_create(&s->handlers[i], NULL, sm_server_handler_main, a);
		}
	} else {
		/* each leaves within one receive timeout */
		for (int i = n; i < old; i++)
			pthread_join(s->handlers[i], NULL);
	}
	s->n_handlers = n;
	pthread_mutex_unlock(&s->handlers_lock);
	sm_log_info(NULL, "kafka.server.KafkaRequestHandlerPool",
		    "Resized the request handler pool from %d to %d threads", old, n);
}

/* Kafka's keystore reload: an SSL listener whose keystore or truststore
 * settings changed gets a new context for its new connections; the old one
 * is kept until the server is destroyed. */
static void sm_server_reload_tls(sm_kafka_server_t *s, const sm_kafka_config_t *old,
				 const sm_kafka_config_t *cur)
{
	static const char *const keys[] = { "ssl.keystore.location", "ssl.keystore.type",
					    "ssl.truststore.location", "ssl.truststore.type" };
	for (int i = 0; s->ss && i < s->n_tls_listeners; i++) {
		const char *l = s->tls_listeners[i];
		int changed = 0;
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			const char *a = sm_tls_get(&old->given, l, keys[k]);
			const char *b = sm_tls_get(&cur->given, l, keys[k]);
			changed |= (a == NULL) != (b == NULL) || (a && strcmp(a, b));
		}
		if (!changed)
			continue;
		char err[768];
		SSL_CTX *ctx = sm_tls_server_ctx_new(&cur->given, l, err, sizeof(err));
		if (!ctx) {
			sm_log_error(NULL, "kafka.network.SocketServer",
				     "Keystore of listener %s not reloaded: %s", l, err);
			continue;
		}
		s->tls_ctx = sm_realloc(s->tls_ctx, sizeof(*s->tls_ctx) * (size_t)(s->n_tls_ctx + 1));
		s->tls_ctx[s->n_tls_ctx++] = ctx;
		sm_socket_server_set_ssl_ctx(s->ss, l, ctx);
		sm_log_info(NULL, "kafka.network.SocketServer",
			    "Reloaded the keystore of listener %s (%s)", l,
			    sm_tls_get(&cur->given, l, "ssl.keystore.location") ?
			    sm_tls_get(&cur->given, l, "ssl.keystore.location") : "no keystore file");
	}
}

static char *sm_server_protocol(const sm_kafka_config_t *cfg, const char *listener);
static int sm_server_build_registration(sm_kafka_server_t *s, const sm_kafka_config_t *cfg,
					sm_zk_broker_info_t *out, char *why, size_t whylen);
static int sm_server_listener_security(sm_kafka_server_t *s, const sm_kafka_config_t *cfg,
				       sm_listener_cfg_t *l, char *why, size_t whylen);
static int sm_server_listener_int(const sm_props_t *given, const char *listener,
				  const char *key, int *out);

static int sm_server_str_differ(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b));
}

static int sm_server_has_listener(const sm_listener_cfg_t *ls, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcasecmp(ls[i].name, name))
			return 1;
	return 0;
}

/* Kafka's ListenerConnectionQuota.reconfigure: a listener's
 * listener.name.<l>.max.connections / .max.connection.creation.rate changed
 * (per broker or at the cluster default) apply to its next connections.
 * Listeners added by the same change already started with them.
 * Config-change thread. */
static void sm_server_apply_listener_limits(sm_kafka_server_t *s, const sm_kafka_config_t *old,
					    const sm_kafka_config_t *cur)
{
	sm_listener_cfg_t *nl = NULL;
	int nn = 0;
	char err[768];
	if (!s->ss || sm_listeners_parse(cur->listeners, &nl, &nn, err, sizeof(err))) {
		free(nl);
		return;
	}
	for (int i = 0; i < nn; i++) {
		int om = INT32_MAX, orate = INT32_MAX, nm = INT32_MAX, nrate = INT32_MAX;
		const char *name = nl[i].name;
		if (sm_server_listener_int(&old->given, name, "max.connections", &om) ||
		    sm_server_listener_int(&old->given, name, "max.connection.creation.rate", &orate))
			om = orate = -1; /* an old value that did not parse: apply the new ones */
		if (sm_server_listener_int(&cur->given, name, "max.connections", &nm) ||
		    sm_server_listener_int(&cur->given, name, "max.connection.creation.rate", &nrate))
			continue; /* validated before it was stored; logged */
		if (om == nm && orate == nrate)
			continue;
		if (sm_socket_server_set_listener_limits(s->ss, name, nm, nrate) == 0)
			sm_log_info(NULL, "kafka.network.SocketServer",
				    "Listener %s connection limits: max.connections=%d, max.connection.creation.rate=%d",
				    name, nm, nrate);
	}
	free(nl);
}

/* Kafka's DynamicListenerConfig.reconfigure (validated beforehand by
 * dynamic_config.c): removed listeners closed with their connections, added
 * ones bound with the TLS/SASL settings of the new config, and the
 * registration rewritten with the new endpoints so that the controller sends
 * UpdateMetadata (BrokerModifications). Config-change thread. */
static void sm_server_apply_listeners(sm_kafka_server_t *s, const sm_kafka_config_t *old,
				      const sm_kafka_config_t *cur)
{
	if (!s->ss || (!sm_server_str_differ(old->listeners, cur->listeners) &&
		       !sm_server_str_differ(old->advertised_listeners, cur->advertised_listeners) &&
		       !sm_server_str_differ(old->listener_security_protocol_map,
					     cur->listener_security_protocol_map)))
		return;
	sm_listener_cfg_t *ol = NULL, *nl = NULL;
	int on = 0, nn = 0;
	char err[768];
	if (sm_listeners_parse(old->listeners, &ol, &on, err, sizeof(err)) ||
	    sm_listeners_parse(cur->listeners, &nl, &nn, err, sizeof(err))) {
		sm_log_error(NULL, "kafka.server.DynamicListenerConfig",
			     "Listeners not reconfigured: %s", err);
		free(ol);
		free(nl);
		return;
	}
	for (int i = 0; i < on; i++) {
		if (sm_server_has_listener(nl, nn, ol[i].name))
			continue;
		if (sm_socket_server_remove_listener(s->ss, ol[i].name) == 0) {
			for (int t = 0; t < s->n_tls_listeners; t++)
				if (!strcasecmp(s->tls_listeners[t], ol[i].name)) {
					free(s->tls_listeners[t]);
					s->tls_listeners[t] = s->tls_listeners[--s->n_tls_listeners];
					break;
				}
			sm_log_info(NULL, "kafka.server.DynamicListenerConfig",
				    "Removed listener %s", ol[i].name);
		}
	}
	for (int i = 0; i < nn; i++) {
		sm_listener_cfg_t *l = &nl[i];
		if (sm_server_has_listener(ol, on, l->name))
			continue;
		err[0] = '\0';
		int bad = sm_server_listener_int(&cur->given, l->name, "max.connections",
						 &l->max_connections) ||
			  sm_server_listener_int(&cur->given, l->name,
						 "max.connection.creation.rate",
						 &l->max_connection_creation_rate);
		if (l->max_connections == INT32_MAX)
			l->max_connections = 0;
		if (bad || sm_server_listener_security(s, cur, l, err, sizeof(err)) ||
		    sm_socket_server_add_listener(s->ss, l, err, sizeof(err))) {
			if (!err[0])
				snprintf(err, sizeof(err), "invalid listener.name settings");
			sm_log_error(NULL, "kafka.server.DynamicListenerConfig",
				     "Listener %s not added: %s", l->name, err);
			continue;
		}
		sm_log_info(NULL, "kafka.server.DynamicListenerConfig", "Added listener %s on port %d",
			    l->name, sm_socket_server_bound_port(s->ss, l->name));
	}
	free(ol);
	free(nl);
	sm_zk_broker_info_t reg;
	if (sm_server_build_registration(s, cur, &reg, err, sizeof(err))) {
		sm_log_error(NULL, "kafka.server.DynamicListenerConfig",
			     "Registration not updated: %s", err);
		return;
	}
	/* the registration is written before it is kept, with no lock held */
	if (s->registered && sm_kzk_update_broker(s->zk, &reg) != SM_ERR_NONE)
		sm_log_error(NULL, "kafka.zk.KafkaZkClient",
			     "Failed to update broker %d's registration with the new endpoints",
			     s->broker_id);
	pthread_mutex_lock(&s->reg_lock);
	sm_zk_broker_info_t prev = s->reg;
	s->reg = reg;
	pthread_mutex_unlock(&s->reg_lock);
	sm_zk_broker_clear(&prev);
}

/* Applies a new effective config (dynamic_config.h), on the config-change
 * thread or during start-up. */
static void sm_server_apply_config(void *opaque, const sm_kafka_config_t *old,
				   const sm_kafka_config_t *cur)
{
	sm_kafka_server_t *s = opaque;
	if (s->rm)
		sm_replica_manager_broker_config_changed(s->rm, cur);
	if (s->controller)
		sm_controller_broker_config_changed(s->controller, cur);
	if (s->handlers && cur->num_io_threads != old->num_io_threads)
		sm_server_resize_handlers(s, cur->num_io_threads);
	if (s->ss && cur->num_network_threads != old->num_network_threads) {
		char err[256];
		if (sm_socket_server_resize_processors(s->ss, cur->num_network_threads, err,
						       sizeof(err)))
			sm_log_error(NULL, "kafka.network.SocketServer",
				     "num.network.threads not fully applied: %s", err);
	}
	if (cur->background_threads != old->background_threads)
		/* Samsa's background work runs on dedicated threads, one per
		 * kind (kafka-scheduler and the others in docs/design/threads.md),
		 * not on a shared pool: the value is kept and reported only. */
		sm_log_info(NULL, "kafka.utils.KafkaScheduler",
			    "background.threads=%d (stored; the scheduler keeps its one thread)",
			    (int)cur->background_threads);
	sm_server_reload_tls(s, old, cur);
	/* after the keystore reloads: an added SSL listener gets its context
	 * once, from the new config */
	sm_server_apply_listeners(s, old, cur);
	if (s->cleaner && (cur->log_cleaner_threads != old->log_cleaner_threads ||
			   cur->log_cleaner_dedupe_buffer_size != old->log_cleaner_dedupe_buffer_size ||
			   cur->log_cleaner_backoff_ms != old->log_cleaner_backoff_ms)) {
		sm_log_cleaner_config_t cc;
		sm_log_cleaner_config_defaults(&cc);
		cc.threads = cur->log_cleaner_threads;
		cc.dedupe_buffer_size = cur->log_cleaner_dedupe_buffer_size;
		cc.backoff_ms = cur->log_cleaner_backoff_ms;
		sm_log_cleaner_reconfigure(s->cleaner, &cc);
		sm_log_info(NULL, "kafka.log.LogCleaner",
			    "Reconfigured the log cleaner: log.cleaner.threads=%d, log.cleaner.dedupe.buffer.size=%lld, log.cleaner.backoff.ms=%lld",
			    (int)cur->log_cleaner_threads,
			    (long long)cur->log_cleaner_dedupe_buffer_size,
			    (long long)cur->log_cleaner_backoff_ms);
	}
	if (s->cleaner && cur->log_cleaner_io_max_bytes_per_second !=
			  old->log_cleaner_io_max_bytes_per_second) {
		sm_log_cleaner_set_io_rate(s->cleaner, cur->log_cleaner_io_max_bytes_per_second);
		sm_log_info(NULL, "kafka.log.LogCleaner",
			    "Log cleaner I/O limit: log.cleaner.io.max.bytes.per.second=%g",
			    cur->log_cleaner_io_max_bytes_per_second);
	}
	if (s->lm && cur->replica_alter_log_dirs_io_max_bytes_per_second !=
		     old->replica_alter_log_dirs_io_max_bytes_per_second) {
		sm_log_manager_set_move_rate(s->lm,
					     cur->replica_alter_log_dirs_io_max_bytes_per_second);
		sm_log_info(NULL, "kafka.server.ReplicaAlterLogDirsManager",
			    "Log dir moves limited to replica.alter.log.dirs.io.max.bytes.per.second=%lld",
			    (long long)cur->replica_alter_log_dirs_io_max_bytes_per_second);
	}
	const char *oo = old->max_connections_per_ip_overrides ? old->max_connections_per_ip_overrides : "";
	const char *co = cur->max_connections_per_ip_overrides ? cur->max_connections_per_ip_overrides : "";
	if (s->ss && (cur->max_connections != old->max_connections ||
		      cur->max_connections_per_ip != old->max_connections_per_ip ||
		      cur->max_connection_creation_rate != old->max_connection_creation_rate ||
		      strcmp(oo, co))) {
		char err[256];
		if (sm_socket_server_set_connection_limits(s->ss, cur->max_connections,
							   cur->max_connections_per_ip, co,
							   cur->max_connection_creation_rate, err,
							   sizeof(err)))
			sm_log_error(NULL, "kafka.network.SocketServer",
				     "Connection limits not updated: %s", err);
		else
			sm_log_info(NULL, "kafka.network.SocketServer",
				    "Connection limits: max.connections=%d, max.connections.per.ip=%d, max.connections.per.ip.overrides=%s, max.connection.creation.rate=%d",
				    (int)cur->max_connections, (int)cur->max_connections_per_ip, co,
				    (int)cur->max_connection_creation_rate);
	}
	sm_server_apply_listener_limits(s, old, cur);
}

/* broker.id -1: the id in meta.properties, or one generated from the
 * zkVersion of /brokers/seqid (Kafka's generateBrokerId). */
static int sm_server_resolve_broker_id(sm_kafka_server_t *s)
{
	if (s->broker_id >= 0)
		return 0;
	for (int d = 0; d < s->cfg->log_dir_cnt; d++) {
		char path[4096], err[256];
		snprintf(path, sizeof(path), "%s/meta.properties", s->cfg->log_dir_list[d]);
		sm_props_t p;
		sm_props_init(&p);
		if (access(path, R_OK) == 0 && sm_props_load(&p, path, err, sizeof(err)) == 0) {
			const char *v = sm_props_get(&p, "broker.id");
			if (v) {
				s->broker_id = atoi(v);
				sm_props_free(&p);
				return 0;
			}
		}
		sm_props_free(&p);
	}
	if (!s->cfg->broker_id_generation_enable) {
		sm_log(SM_LOGFILE_SERVER, SM_LOG_FATAL, NULL, SM_SRV_LOGGER,
		       "broker.id is -1 and broker.id.generation.enable is false");
		return -1;
	}
	sm_zk_stat_t st;
	sm_err_t e = sm_zk_set(s->zk, "/brokers/seqid", "", 0, -1, &st);
	if (e == SM_ERR__NOENT) {
		sm_zk_create_recursive(s->zk, "/brokers/seqid", "", 0, SM_ZK_PERSISTENT);
		e = sm_zk_set(s->zk, "/brokers/seqid", "", 0, -1, &st);
	}
	if (e) {
		sm_log(SM_LOGFILE_SERVER, SM_LOG_FATAL, NULL, SM_SRV_LOGGER, "Failed to generate a broker id: %s", sm_err_name(e));
		return -1;
	}
	s->broker_id = st.version + s->cfg->reserved_broker_max_id;
	return 0;
}

/* Security protocol of a listener name per listener.security.protocol.map. */
static char *sm_server_protocol(const sm_kafka_config_t *cfg, const char *listener)
{
	char *map = sm_strdup(cfg->listener_security_protocol_map), *save = NULL, *res = NULL;
	for (char *tok = strtok_r(map, ",", &save); tok && !res; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		char *colon = strchr(tok, ':');
		if (colon && (size_t)(colon - tok) == strlen(listener) && !strncasecmp(tok, listener, (size_t)(colon - tok)))
			res = sm_strdup(colon + 1);
	}
	free(map);
	return res;
}

/* Builds a registration from cfg's advertised.listeners (default:
 * listeners), filling a blank host with the host name and port 0 with the
 * bound port. 0, or -1 with why (out cleared). */
static int sm_server_build_registration(sm_kafka_server_t *s, const sm_kafka_config_t *cfg,
					sm_zk_broker_info_t *out, char *why, size_t whylen)
{
	const char *spec = cfg->advertised_listeners ? cfg->advertised_listeners : cfg->listeners;
	sm_listener_cfg_t *adv = NULL;
	int n = 0;
	char err[256];
	memset(out, 0, sizeof(*out));
	if (sm_listeners_parse(spec, &adv, &n, err, sizeof(err))) {
		snprintf(why, whylen, "Invalid advertised.listeners: %s", err);
		return -1;
	}
	out->id = s->broker_id;
	out->jmx_port = -1;
	out->port = -1;
	out->rack = cfg->broker_rack ? sm_strdup(cfg->broker_rack) : NULL;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	out->timestamp = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	for (int i = 0; i < n; i++) {
		char host[256];
		if (adv[i].host[0])
			snprintf(host, sizeof(host), "%s", adv[i].host);
		else if (gethostname(host, sizeof(host)) != 0)
			snprintf(host, sizeof(host), "localhost");
		int port = adv[i].port;
		if (port == 0)
			port = sm_socket_server_bound_port(s->ss, adv[i].name);
		char *proto = sm_server_protocol(cfg, adv[i].name);
		if (!proto) {
			snprintf(why, whylen, "No security protocol defined for listener %s in "
				 "listener.security.protocol.map", adv[i].name);
			free(adv);
			sm_zk_broker_clear(out);
			return -1;
		}
		sm_zk_broker_add_endpoint(out, adv[i].name, host, port, proto);
		free(proto);
	}
	free(adv);
	return 0;
}

/* A copy of the registration (under reg_lock), to write with no lock held. */
static void sm_server_reg_copy(sm_kafka_server_t *s, sm_zk_broker_info_t *out)
{
	char err[128];
	pthread_mutex_lock(&s->reg_lock);
	char *json = sm_zk_broker_encode(&s->reg);
	int32_t id = s->reg.id;
	pthread_mutex_unlock(&s->reg_lock);
	memset(out, 0, sizeof(*out));
	if (sm_zk_broker_decode(json, strlen(json), out, err, sizeof(err)) != SM_ERR_NONE)
		abort(); /* our own encoding */
	out->id = id;
	free(json);
}

static char *sm_server_inter_broker_listener(const sm_kafka_config_t *cfg)
{
	if (cfg->inter_broker_listener_name)
		return sm_strdup(cfg->inter_broker_listener_name);
	return sm_strdup(cfg->security_inter_broker_protocol);
}

static int sm_server_register(sm_kafka_server_t *s)
{
	int64_t epoch;
	sm_zk_broker_info_t reg;
	sm_server_reg_copy(s, &reg);
	sm_err_t e = sm_kzk_register_broker(s->zk, &reg, &epoch);
	sm_zk_broker_clear(&reg);
	if (e == SM_ERR__EXISTS) {
		sm_log(SM_LOGFILE_SERVER, SM_LOG_FATAL, s->comp, SM_SRV_LOGGER,
		       "Error while creating ephemeral at /brokers/ids/%d, node already exists and is owned by another live session: broker.id %d is already registered by a running broker",
		       s->broker_id, s->broker_id);
		return -1;
	}
	if (e) {
		sm_log(SM_LOGFILE_SERVER, SM_LOG_FATAL, s->comp, SM_SRV_LOGGER,
		       "Failed to register broker %d in ZooKeeper: %s", s->broker_id, sm_err_name(e));
		return -1;
	}
	__atomic_store_n(&s->broker_epoch, epoch, __ATOMIC_RELEASE);
	s->registered = 1;
	return 0;
}

/* listener.name.<name>.<key> (the name lower-cased, as Kafka prefixes
 * listener configs): an int >= 0, *out unchanged when absent. */
static int sm_server_listener_int(const sm_props_t *given, const char *listener,
				  const char *key, int *out)
{
	char name[160], *end;
	const char *v;
	long long x;
	int n = snprintf(name, sizeof(name), "listener.name.%s.%s", listener, key);

	for (int i = 14; i < n && name[i] != '.'; i++)
		name[i] = (char)tolower((unsigned char)name[i]);
	v = sm_props_get(given, name);
	if (!v)
		return 0;
	errno = 0;
	x = strtoll(v, &end, 10);
	if (!*v || *end || errno || x < 0 || x > INT32_MAX) {
		sm_log(SM_LOGFILE_SERVER, SM_LOG_FATAL, NULL, SM_SRV_LOGGER,
		       "Invalid value %s for configuration %s: Value must be at least 0", v, name);
		return -1;
	}
	*out = (int)x;
	return 0;
}

/* KIP-612 IP quotas: connection_creation_rate of every /config/ips/<ip> and
 * /config/ips/<default> at startup; later changes arrive through
 * /config/changes (config_manager.c). */
static void sm_server_ip_rates(sm_kafka_server_t *s, sm_ip_rate_t **out, int *n)
{
	char **kids = NULL;
	int nkids = 0;

	*out = NULL;
	*n = 0;
	if (sm_zk_get_children(s->zk, "/config/ips", 0, &kids, &nkids) != SM_ERR_NONE)
		return;
	for (int i = 0; i < nkids; i++) {
		char ip[64];
		double rate;

		if (sm_config_manager_ip_rate(s->zk, kids[i], ip, sizeof(ip), &rate)) {
			sm_log_warn(s->comp, SM_SRV_LOGGER, "Ignoring /config/ips/%s: not an IP "
				    "address, resolvable host or <default>, or an invalid "
				    "connection_creation_rate", kids[i]);
			continue;
		}
		if (rate < 0)
			continue;
		*out = sm_realloc(*out, sizeof(**out) * (size_t)(*n + 1));
		memset(&(*out)[*n], 0, sizeof(**out));
		snprintf((*out)[*n].ip, sizeof((*out)[*n].ip), "%s", ip);
		(*out)[*n].rate = rate;
		(*n)++;
		sm_log_info(s->comp, SM_SRV_LOGGER, "Connection creation rate quota of %s: %.0f "
			    "per second", kids[i], rate);
	}
	sm_zk_strings_free(kids, nkids);
}

static char *sm_server_protocol(const sm_kafka_config_t *cfg, const char *listener);

/* The SASL settings of a SASL_PLAINTEXT or SASL_SSL listener; on the
 * inter-broker listener also what this broker authenticates with
 * (sasl.mechanism.inter.broker.protocol and the JAAS username/password). */
static int sm_server_sasl_setup(sm_kafka_server_t *s, const sm_props_t *given,
				sm_listener_cfg_t *l, char *why, size_t whylen)
{
	int inter = 0;
	if (s->inter_broker_listener && !strcasecmp(l->name, s->inter_broker_listener)) {
		const char *m = sm_props_get(given, "sasl.mechanism.inter.broker.protocol");
		inter = sm_sasl_mech_from_name(m ? m : "GSSAPI");
		if (!inter) {
			snprintf(why, whylen,
				 "Invalid value %s for configuration sasl.mechanism.inter.broker.protocol: "
				 "SASL mechanism %s is not supported (PLAIN, SCRAM-SHA-256 and "
				 "SCRAM-SHA-512 are)", m ? m : "GSSAPI (the default)",
				 m ? m : "GSSAPI");
			return -1;
		}
	}
	sm_sasl_listener_t *sl = sm_sasl_listener_new(given, l->name, inter, why, whylen);
	if (!sl)
		return -1;
	/* kept until the server is destroyed, also after its listener is
	 * removed (its connections may still be closing) */
	s->sasl = sm_realloc(s->sasl, sizeof(*s->sasl) * (size_t)(s->n_sasl + 1));
	s->sasl[s->n_sasl++] = sl;
	l->sasl = sl;
	if (inter)
		sm_sasl_interbroker_set(inter, sl->username, sl->password);
	return 0;
}

/* TLS and SASL of one listener, per cfg's listener.security.protocol.map and
 * listener.name.<l>.* keys (a per-broker dynamic keystore counts from the
 * start, and a listener added at run time takes the keys given with it).
 * 0, or -1 with why naming the key. */
static int sm_server_listener_security(sm_kafka_server_t *s, const sm_kafka_config_t *cfg,
				       sm_listener_cfg_t *l, char *why, size_t whylen)
{
	char *proto = sm_server_protocol(cfg, l->name);
	if (!proto) {
		snprintf(why, whylen, "No security protocol defined for listener %s in "
			 "listener.security.protocol.map", l->name);
		return -1;
	}
	int ssl = !strcmp(proto, "SSL") || !strcmp(proto, "SASL_SSL");
	int sasl = !strncmp(proto, "SASL_", 5);
	free(proto);
	if (sasl && sm_server_sasl_setup(s, &cfg->given, l, why, whylen) < 0)
		return -1;
	if (!ssl)
		return 0;
	SSL_CTX *ctx = sm_tls_server_ctx_new(&cfg->given, l->name, why, whylen);
	if (!ctx)
		return -1;
	s->tls_ctx = sm_realloc(s->tls_ctx, sizeof(*s->tls_ctx) * (size_t)(s->n_tls_ctx + 1));
	s->tls_ctx[s->n_tls_ctx++] = ctx;
	s->tls_listeners = sm_realloc(s->tls_listeners,
				      sizeof(char *) * (size_t)(s->n_tls_listeners + 1));
	s->tls_listeners[s->n_tls_listeners++] = sm_strdup(l->name);
	l->ssl_ctx = ctx;
	l->principal_rules = sm_tls_get(&cfg->given, l->name, "ssl.principal.mapping.rules");
	return 0;
}

/* The TLS contexts and SASL settings of the listeners and the inter-broker
 * client's context. A bad ssl.* setting (or a JKS store) stops the broker
 * naming the key. */
static int sm_server_tls_setup(sm_kafka_server_t *s, const sm_kafka_config_t *cfg,
			       sm_listener_cfg_t *ls, int n)
{
	char err[768];
	for (int i = 0; i < n; i++) {
		if (sm_server_listener_security(s, cfg, &ls[i], err, sizeof(err)) < 0) {
			sm_log(SM_LOGFILE_SERVER, SM_LOG_FATAL, NULL, SM_SRV_LOGGER, "%s", err);
			return -1;
		}
	}
	char *ibp = sm_server_protocol(cfg, s->inter_broker_listener);
	if (ibp && (!strcmp(ibp, "SSL") || !strcmp(ibp, "SASL_SSL"))) {
		int verify_host = 0;
		s->tls_client = sm_tls_client_ctx_new(&s->cfg->given, s->inter_broker_listener,
						      &verify_host, err, sizeof(err));
		if (!s->tls_client) {
			sm_log(SM_LOGFILE_SERVER, SM_LOG_FATAL, NULL, SM_SRV_LOGGER, "%s", err);
			free(ibp);
			return -1;
		}
		sm_tls_interbroker_set(s->tls_client, verify_host);
	}
	free(ibp);
	return 0;
}

static int sm_server_start_network(sm_kafka_server_t *s, sm_listener_cfg_t **bound, int *nbound)
{
	char err[512];
	/* per-broker dynamic listeners (and their map and keys) count from the
	 * start, as in Kafka */
	const sm_kafka_config_t *eff = sm_dyn_config_current(s->dyn);
	if (sm_listeners_parse(eff->listeners, bound, nbound, err, sizeof(err))) {
		sm_log(SM_LOGFILE_SERVER, SM_LOG_FATAL, NULL, SM_SRV_LOGGER, "Invalid value for configuration listeners: %s", err);
		return -1;
	}
	for (int i = 0; i < *nbound; i++) {
		sm_listener_cfg_t *l = &(*bound)[i];
		if (sm_server_listener_int(&eff->given, l->name, "max.connections",
					   &l->max_connections) ||
		    sm_server_listener_int(&eff->given, l->name, "max.connection.creation.rate",
					   &l->max_connection_creation_rate))
			return -1;
		if (l->max_connections == INT32_MAX)
			l->max_connections = 0;
	}
	if (sm_server_tls_setup(s, eff, *bound, *nbound))
		return -1;
	/* Client quotas and SCRAM credentials share /config/users; both are
	 * read before the listeners open (later changes arrive through the
	 * config manager). */
	sm_client_quotas_t *cq = sm_client_quotas_new(s->cfg->quota_window_num,
						      (int64_t)s->cfg->quota_window_size_seconds * 1000);
	sm_client_quotas_set_mutation_window(cq, s->cfg->controller_quota_window_num,
					     (int64_t)s->cfg->controller_quota_window_size_seconds * 1000);
	sm_client_quotas_set_global(cq);
	sm_config_manager_load_all_quotas(s->zk);
	s->channel = sm_request_channel_new(s->cfg->queued_max_requests);
	sm_socket_server_config_t sc;
	sm_socket_server_config_defaults(&sc);
	sc.broker_id = s->broker_id;
	sc.listeners = *bound;
	sc.num_listeners = *nbound;
	sc.num_network_threads = eff->num_network_threads;
	sc.socket_request_max_bytes = s->cfg->socket_request_max_bytes;
	sc.socket_send_buffer_bytes = s->cfg->socket_send_buffer_bytes;
	sc.socket_receive_buffer_bytes = s->cfg->socket_receive_buffer_bytes;
	sc.connections_max_idle_ms = s->cfg->connections_max_idle_ms;
	sc.socket_listen_backlog_size = s->cfg->socket_listen_backlog_size;
	/* the connection limits may be dynamic (read before the listeners open) */
	sc.max_connections = eff->max_connections == INT32_MAX ? 0 : eff->max_connections;
	sc.max_connections_per_ip = eff->max_connections_per_ip;
	sc.max_connections_per_ip_overrides = eff->max_connections_per_ip_overrides;
	sc.max_connection_creation_rate = eff->max_connection_creation_rate;
	sc.queued_max_request_bytes = s->cfg->queued_max_request_bytes;
	sc.inter_broker_listener = s->inter_broker_listener;
	sm_ip_rate_t *ip_rates;
	sm_server_ip_rates(s, &ip_rates, &sc.num_ip_rates);
	sc.ip_rates = ip_rates;
	s->ss = sm_socket_server_new(&sc, s->channel);
	free(ip_rates);   /* copied by the socket server */
	if (sm_socket_server_startup(s->ss, err, sizeof(err))) {
		sm_log(SM_LOGFILE_SERVER, SM_LOG_FATAL, s->comp, SM_SRV_LOGGER, "Failed to start the socket server: %s", err);
		return -1;
	}
	return 0;
}

/* Before any LeaderAndIsr can arrive, so no offsets partition is missed. */
static void sm_server_start_group_coordinator(sm_kafka_server_t *s)
{
	sm_gc_config_t gcfg = {
		.broker_id = s->broker_id,
		.num_partitions = s->cfg->offsets_topic_num_partitions,
		.min_session_timeout_ms = s->cfg->group_min_session_timeout_ms,
		.max_session_timeout_ms = s->cfg->group_max_session_timeout_ms,
		.initial_rebalance_delay_ms = s->cfg->group_initial_rebalance_delay_ms,
		.max_size = s->cfg->group_max_size,
		.offsets_retention_ms = (int64_t)s->cfg->offsets_retention_minutes * 60000,
		.retention_check_ms = 600000,
	};
	s->gmm = sm_gmm_new(s->rm, SM_GC_OFFSETS_TOPIC, (int16_t)s->cfg->offsets_commit_required_acks,
			    s->cfg->offsets_commit_timeout_ms);
	s->gc = sm_group_coordinator_new(&gcfg, s->gmm);
	sm_replica_manager_add_leadership_listener(s->rm, sm_group_coordinator_on_leadership, s->gc);
	sm_group_coordinator_start(s->gc);
}

/* The log manager took a log dir offline (kafka-scheduler thread): tell the
 * controller through /log_dir_event_notification, as Kafka's
 * LogDirFailureHandler does, and stop when no dir is left. */
/* A replica moved to another log dir (AlterReplicaLogDirs): its partition's
 * leader-epoch-checkpoint follows the log there. On alter-log-dirs. */
static void sm_server_on_log_moved(void *opaque, sm_log_t *log)
{
	sm_kafka_server_t *s = opaque;
	sm_partition_t *p = sm_replica_manager_partition(s->rm, sm_log_topic(log),
							 sm_log_partition(log));
	if (!p)
		return;
	if (sm_partition_log(p) == log)
		sm_lec_move_dir(sm_partition_epoch_cache(p), sm_log_dir(log));
	sm_partition_release(p);
}

static void sm_server_on_log_dir_failure(void *opaque, int online)
{
	sm_kafka_server_t *s = opaque;
	char *data = sm_zk_log_dir_event_encode(s->broker_id), *created = NULL;
	sm_err_t err = sm_zk_create(s->zk, SM_ZKPATH_LOG_DIR_EVENT_PREFIX, data, strlen(data),
				    SM_ZK_PERSISTENT | SM_ZK_SEQUENTIAL, &created);
	if (err)
		sm_log(SM_LOGFILE_SERVER, SM_LOG_ERROR, s->comp, "kafka.log.LogManager",
		       "Failed to write the log dir event notification: %s", sm_err_name(err));
	else
		sm_log(SM_LOGFILE_SERVER, SM_LOG_INFO, s->comp, "kafka.log.LogManager",
		       "Wrote log dir event notification %s", created);
	free(created);
	free(data);
	if (online == 0) {
		/* as Kafka: a broker without any usable log dir cannot serve */
		sm_log(SM_LOGFILE_SERVER, SM_LOG_FATAL, s->comp, "kafka.log.LogManager",
		       "Shutdown broker because all log dirs have failed");
		_exit(1);
	}
}

/* Needs the metadata cache (for the marker channel); before the broker
 * registers, so no LeaderAndIsr for __transaction_state is missed. */
static void sm_server_start_txn_coordinator(sm_kafka_server_t *s)
{
	/* Kafka takes the partition count of an existing __transaction_state
	 * from ZooKeeper (ids map to partitions by it), the config otherwise. */
	int32_t n_parts = s->cfg->transaction_state_log_num_partitions;
	sm_zk_topic_assignment_t a;
	memset(&a, 0, sizeof(a));
	if (sm_kzk_get_topic_assignment(s->zk, SM_TXN_STATE_TOPIC, 0, &a, NULL) == SM_ERR_NONE &&
	    a.n_partitions > 0 && a.n_partitions != n_parts) {
		sm_log_info(s->comp, SM_SRV_LOGGER,
			    "%s has %d partitions (transaction.state.log.num.partitions is %d): using %d",
			    SM_TXN_STATE_TOPIC, a.n_partitions, n_parts, a.n_partitions);
		n_parts = a.n_partitions;
	}
	sm_zk_topic_clear(&a);
	sm_txn_config_t tcfg = {
		.broker_id = s->broker_id,
		.num_partitions = n_parts,
		.abort_interval_ms = s->cfg->transaction_abort_timed_out_transaction_cleanup_interval_ms,
		.remove_interval_ms = s->cfg->transaction_remove_expired_transaction_cleanup_interval_ms,
		.id_expiration_ms = s->cfg->transactional_id_expiration_ms,
	};
	/* acks=-1 within request.timeout.ms, as Kafka's
	 * appendTransactionToLog */
	s->txn_log = sm_gmm_new(s->rm, SM_TXN_STATE_TOPIC, -1, s->cfg->request_timeout_ms);
	s->txn_markers = sm_txn_marker_channel_new(s->broker_id, s->mc);
	sm_txn_marker_channel_configure(s->txn_markers, s->inter_broker_listener,
					s->cfg->inter_broker_protocol_version,
					s->cfg->request_timeout_ms);
	s->tc = sm_txn_coordinator_new(&tcfg, s->txn_log, s->txn_markers, s->rm);
	sm_replica_manager_add_leadership_listener(s->rm, sm_txn_coordinator_on_leadership, s->tc);
	sm_txn_coordinator_start(s->tc);
}

static int sm_server_start_storage(sm_kafka_server_t *s)
{
	sm_log_config_t defaults;
	sm_log_config_defaults(&defaults);
	const sm_kafka_config_t *eff = sm_dyn_config_current(s->dyn);
	defaults.segment_bytes = eff->log_segment_bytes;
	defaults.segment_index_bytes = eff->log_index_size_max_bytes;
	defaults.index_interval_bytes = eff->log_index_interval_bytes;
	s->lm = sm_log_manager_new((const char *const *)s->cfg->log_dir_list, s->cfg->log_dir_cnt, &defaults);
	/* before start-up, which may resume moves between log dirs */
	sm_log_manager_set_move_rate(s->lm, eff->replica_alter_log_dirs_io_max_bytes_per_second);
	sm_err_t e = sm_log_manager_startup(s->lm, s->cluster_id, s->broker_id);
	if (e) {
		sm_log(SM_LOGFILE_SERVER, SM_LOG_FATAL, s->comp, SM_SRV_LOGGER,
		       "Fatal error during KafkaServer startup: log directories could not be opened (%s); see the lines above",
		       sm_err_name(e));
		return -1;
	}
	s->rm = sm_replica_manager_new(sm_dyn_config_current(s->dyn), s->lm, s->zk, s->broker_id);
	sm_server_start_group_coordinator(s);
	sm_replica_manager_startup(s->rm);
	sm_log_manager_set_move_options(s->lm, eff->replica_fetch_max_bytes, sm_server_on_log_moved, s);
	sm_log_manager_start_scheduler(s->lm, s->cfg->log_retention_check_interval_ms,
				       s->cfg->log_flush_scheduler_interval_ms,
				       sm_server_on_log_dir_failure, s);
	sm_log_cleaner_config_t ccfg;
	sm_log_cleaner_config_defaults(&ccfg);
	ccfg.enable = eff->log_cleaner_enable;
	ccfg.threads = eff->log_cleaner_threads;
	ccfg.dedupe_buffer_size = eff->log_cleaner_dedupe_buffer_size;
	ccfg.backoff_ms = eff->log_cleaner_backoff_ms;
	ccfg.io_max_bytes_per_second = eff->log_cleaner_io_max_bytes_per_second;
	s->cleaner = sm_log_cleaner_new(&ccfg, s->lm);
	sm_log_cleaner_startup(s->cleaner);
	return 0;
}

/*
 * Opens the ZooKeeper session as KafkaServer.initZkClient does: the client
 * logs in when the JAAS login file (KAFKA_OPTS'
 * -Djava.security.auth.login.config) has a Client section, and
 * zookeeper.set.acl=true without such a login is refused with Kafka's
 * message. The login is ZooKeeper's digest scheme (zk_login.h). TLS to
 * ZooKeeper is refused: the C client has none.
 */
static int sm_server_zk_connect(sm_kafka_server_t *s, char *err, size_t errlen)
{
	if (s->cfg->zookeeper_ssl_client_enable) {
		snprintf(err, errlen, "zookeeper.ssl.client.enable is true, but TLS to ZooKeeper "
			 "is not supported: the ZooKeeper C client Samsa uses has no TLS");
		return -1;
	}
	sm_zk_login_t login;
	if (sm_zk_login_from_env(&login, err, errlen))
		return -1;
	if (s->cfg->zookeeper_set_acl && !login.username) {
		snprintf(err, errlen, "zookeeper.set.acl is true, but ZooKeeper client TLS "
			 "configuration identifying at least zookeeper.ssl.client.enable, "
			 "zookeeper.clientCnxnSocket, and zookeeper.ssl.keystore.location was not "
			 "present and the verification of the JAAS login file failed %.300s",
			 login.desc);
		return -1;
	}
	if (login.username)
		sm_log_info(s->comp, SM_SRV_LOGGER, "Authenticating to zookeeper as %s (digest "
			    "scheme)%s", login.username,
			    s->cfg->zookeeper_set_acl ? "; znodes get secure ACLs" : "");
	sm_zk_auth_t auth = { login.username, login.password, s->cfg->zookeeper_set_acl };
	s->zk = sm_zk_new_auth(s->cfg->zookeeper_connect, s->cfg->zookeeper_session_timeout_ms,
			       s->cfg->zookeeper_connection_timeout_ms, &auth, err, errlen);
	sm_zk_login_clear(&login);
	return s->zk ? 0 : -1;
}

/* ZooKeeper client events into the metrics (zk/ may not include network/). */
static void sm_server_zk_observe(int what, int64_t ms)
{
	if (what == SM_ZK_OBS_REQUEST)
		sm_metrics_zk_request(ms);
	else
		sm_metrics_zk_session(what == SM_ZK_OBS_EXPIRED);
}

int sm_kafka_server_startup(sm_kafka_server_t *s)
{
	char err[1024];
	snprintf(s->comp, sizeof(s->comp), "KafkaServer id=%d", s->broker_id);
	sm_log_info(s->comp, SM_SRV_LOGGER, "starting");
	sm_log_info(s->comp, SM_SRV_LOGGER, "Connecting to zookeeper on %s", s->cfg->zookeeper_connect);
	/* Process-wide and left in place: it only adds to static counters. */
	sm_zk_set_observer(sm_server_zk_observe);
	if (sm_server_zk_connect(s, err, sizeof(err))) {
		sm_log(SM_LOGFILE_SERVER, SM_LOG_FATAL, s->comp, SM_SRV_LOGGER, "Fatal error during KafkaServer startup: %s", err);
		return -1;
	}
	if (sm_kzk_create_top_level_paths(s->zk) || sm_kzk_get_or_create_cluster_id(s->zk, s->cluster_id)) {
		sm_log(SM_LOGFILE_SERVER, SM_LOG_FATAL, s->comp, SM_SRV_LOGGER, "Fatal error during KafkaServer startup: cannot initialize ZooKeeper paths");
		return -1;
	}
	sm_log_info(NULL, SM_SRV_LOGGER, "Cluster ID = %s", s->cluster_id);
	if (sm_server_resolve_broker_id(s))
		return -1;
	/* The ACL cache is loaded before any request can be handled. */
	int acl = sm_authorizer_configured(s->cfg, err, sizeof(err));
	if (acl) {
		s->authorizer = acl > 0 ? sm_authorizer_new(s->cfg, s->zk, err, sizeof(err)) : NULL;
		if (!s->authorizer) {
			sm_log(SM_LOGFILE_SERVER, SM_LOG_FATAL, s->comp, SM_SRV_LOGGER,
			       "Fatal error during KafkaServer startup: %s", err);
			return -1;
		}
	}
	/* Dynamic configs count from here on: the log defaults, the handler
	 * pool size and the controller read the effective config. */
	s->dyn = sm_dyn_config_new(s->cfg, s->broker_id);
	sm_dyn_config_set_apply(s->dyn, sm_server_apply_config, s);
	(void)sm_dyn_config_reload(s->dyn, s->zk);
	if (s->cfg->metrics_listener && *s->cfg->metrics_listener) {
		s->metrics_http = sm_metrics_http_start(s->cfg->metrics_listener, err, sizeof(err));
		if (!s->metrics_http) {
			sm_log(SM_LOGFILE_SERVER, SM_LOG_FATAL, s->comp, SM_SRV_LOGGER,
			       "Fatal error during KafkaServer startup: %s", err);
			return -1;
		}
	}
	snprintf(s->comp, sizeof(s->comp), "KafkaServer id=%d", s->broker_id);
	if (sm_server_start_storage(s))
		return -1;
	sm_listener_cfg_t *bound = NULL;
	int nbound = 0;
	/* Before the network: the socket server exempts this listener from the
	 * broker-wide connection limits. */
	s->inter_broker_listener = sm_server_inter_broker_listener(s->cfg);
	int r = sm_server_start_network(s, &bound, &nbound);
	if (!r) {
		pthread_mutex_lock(&s->reg_lock);
		r = sm_server_build_registration(s, sm_dyn_config_current(s->dyn), &s->reg, err,
						 sizeof(err));
		pthread_mutex_unlock(&s->reg_lock);
		if (r)
			sm_log(SM_LOGFILE_SERVER, SM_LOG_FATAL, NULL, SM_SRV_LOGGER, "%s", err);
	}
	free(bound);
	if (r)
		return -1;
	s->mc = sm_metadata_cache_new(s->broker_id);
	sm_server_start_txn_coordinator(s);
	s->controller = sm_controller_new(sm_dyn_config_current(s->dyn), s->broker_id, s->zk,
					  s->inter_broker_listener);
	sm_kafka_apis_deps_t deps = {
		.cfg = s->cfg, .broker_id = s->broker_id, .cluster_id = s->cluster_id,
		.channel = s->channel, .metadata_cache = s->mc, .replica_manager = s->rm,
		.zk = s->zk, .controller = s->controller, .group_coordinator = s->gc,
		.txn_coordinator = s->tc, .txn_markers = s->txn_markers,
		.authorizer = s->authorizer,
		.dyn_config = s->dyn, .broker_epoch = &s->broker_epoch,
	};
	s->apis = sm_kafka_apis_new(&deps);
	/* Offset commits and group metadata wait for the ISR in its purgatory. */
	if (s->gmm)
		sm_gmm_set_purgatory(s->gmm, sm_kafka_apis_purgatory(s->apis));
	if (s->txn_log)
		sm_gmm_set_purgatory(s->txn_log, sm_kafka_apis_purgatory(s->apis));
	sm_server_resize_handlers(s, sm_dyn_config_current(s->dyn)->num_io_threads);
	/* Small acks=0/1 produces run to completion on the network thread
	 * that read them (docs/design/threads.md). */
	sm_request_channel_set_inline(s->channel, sm_server_inline, s);
	if (sm_server_register(s))
		return -1;
	s->config_manager = sm_config_manager_new(s->zk, s->rm, s->controller, s->dyn);
	sm_config_manager_set_socket_server(s->config_manager, s->ss);
	sm_zk_set_watcher(s->zk, sm_server_zk_watcher, s);
	sm_controller_startup(s->controller);
	sm_config_manager_startup(s->config_manager);
	sm_authorizer_startup(s->authorizer);
	sm_metrics_set_gauge_source(sm_server_metrics_gauges, s);
	sm_log_info(s->comp, SM_SRV_LOGGER, "started");
	return 0;
}

/* After a session expiry: a new session, the registration (new broker
 * epoch) and the controller election again. */
static void sm_server_reestablish(sm_kafka_server_t *s)
{
	sm_log_warn(NULL, "kafka.zookeeper.ZooKeeperClient", "Session expired; creating a new ZooKeeper session");
	if (sm_zk_reconnect(s->zk)) {
		sm_log_error(NULL, "kafka.zookeeper.ZooKeeperClient", "Unable to re-establish the ZooKeeper session; retrying");
		return;
	}
	__atomic_store_n(&s->session_expired, 0, __ATOMIC_RELEASE);
	int64_t epoch;
	sm_zk_broker_info_t reg;
	sm_server_reg_copy(s, &reg);
	sm_err_t re = sm_kzk_register_broker(s->zk, &reg, &epoch);
	sm_zk_broker_clear(&reg);
	if (re == SM_ERR_NONE) {
		__atomic_store_n(&s->broker_epoch, epoch, __ATOMIC_RELEASE);
		sm_log_info(NULL, "kafka.zk.KafkaZkClient", "Re-registered broker %d after session expiry", s->broker_id);
	}
	else
		sm_log_error(NULL, "kafka.zk.KafkaZkClient", "Failed to re-register broker %d after session expiry", s->broker_id);
	sm_controller_session_reestablished(s->controller);
}

/* ---- controlled shutdown, broker side ---- */

/* One ControlledShutdown v3 round trip to the current controller.
 * Returns 0 and *remaining, or -1 (logged). */
static int sm_server_shutdown_once(sm_kafka_server_t *s, int64_t epoch, int *remaining)
{
	int32_t ctl = -1;
	if (sm_kzk_get_controller_id(s->zk, 0, &ctl) != SM_ERR_NONE)
		return -1;
	sm_zk_broker_info_t info = { 0 };
	if (sm_kzk_get_broker(s->zk, ctl, 0, &info) != SM_ERR_NONE)
		return -1;
	const char *host = NULL;
	int port = 0;
	for (int i = 0; i < info.n_endpoints; i++)
		if (!host || !strcmp(info.endpoints[i].listener, s->inter_broker_listener)) {
			host = info.endpoints[i].host;
			port = info.endpoints[i].port;
		}
	int rc = -1;
	sm_net_client_t *nc = host ? sm_net_client_new(*host ? host : "localhost", port) : NULL;
	if (nc) {
		sm_net_client_use_interbroker_tls(nc);
		sm_wbuf_t body, resp;
		sm_wbuf_init(&body, 32);
		sm_wbuf_init(&resp, 64);
		sm_controlled_shutdown_req_t req = { s->broker_id, epoch };
		sm_controlled_shutdown_req_write(&body, 3, &req);
		int e = sm_net_client_request(nc, SM_API_CONTROLLED_SHUTDOWN, 3, &body, 1, &resp,
					      s->cfg->controller_socket_timeout_ms);
		if (e) {
			sm_log_warn(NULL, "kafka.server.KafkaServer",
				    "Error during controlled shutdown, possibly because leader movement took longer than the configured controller.socket.timeout.ms: %s",
				    sm_net_client_last_error(nc));
		} else {
			sm_arena_t a;
			sm_arena_init(&a);
			sm_rbuf_t rb;
			sm_rbuf_init(&rb, resp.p, resp.len);
			sm_controlled_shutdown_resp_t r;
			if (sm_controlled_shutdown_resp_read(&rb, 3, &a, &r) == 0) {
				if (r.error_code)
					sm_log_warn(NULL, "kafka.server.KafkaServer",
						    "Controlled shutdown failed: %s", sm_err_name(r.error_code));
				else
					*remaining = r.remaining_partitions_cnt, rc = 0;
			}
			sm_arena_destroy(&a);
		}
		sm_wbuf_free(&body);
		sm_wbuf_free(&resp);
		sm_net_client_destroy(nc);
	}
	sm_zk_broker_clear(&info);
	return rc;
}

/* KafkaServer.controlledShutdown: sends ControlledShutdown v3 to the current
 * controller until it reports no remaining partitions, at most
 * controlled.shutdown.max.retries times with
 * controlled.shutdown.retry.backoff.ms between. Returns 0 on success. */
static int sm_server_controlled_shutdown(sm_kafka_server_t *s)
{
	sm_zk_broker_info_t self = { 0 };
	int64_t epoch = -1;
	if (sm_kzk_get_broker(s->zk, s->broker_id, 0, &self) == SM_ERR_NONE)
		epoch = self.epoch;
	sm_zk_broker_clear(&self);
	sm_log_info(NULL, "kafka.server.KafkaServer", "Starting controlled shutdown");
	for (int attempt = 0; attempt <= s->cfg->controlled_shutdown_max_retries; attempt++) {
		int32_t *ids = NULL;
		int nids = 0;
		if (sm_kzk_get_broker_ids(s->zk, 0, &ids, &nids) == SM_ERR_NONE && nids == 1 &&
		    ids[0] == s->broker_id) {
			/* Nobody to hand leadership to: retrying cannot help. */
			free(ids);
			sm_log_info(NULL, "kafka.server.KafkaServer",
				    "No other live broker; skipping controlled shutdown");
			return 0;
		}
		free(ids);
		int remaining = -1;
		if (sm_server_shutdown_once(s, epoch, &remaining) == 0) {
			if (remaining == 0) {
				sm_log_info(NULL, "kafka.server.KafkaServer", "Controlled shutdown succeeded");
				return 0;
			}
			sm_log_info(NULL, "kafka.server.KafkaServer",
				    "Remaining partitions to move: %d", remaining);
		}
		if (attempt == s->cfg->controlled_shutdown_max_retries)
			break;
		sm_log_info(NULL, "kafka.server.KafkaServer", "Retrying controlled shutdown after the previous attempt failed...");
		struct timespec ts = { (time_t)(s->cfg->controlled_shutdown_retry_backoff_ms / 1000),
				       (long)(s->cfg->controlled_shutdown_retry_backoff_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	sm_log_warn(NULL, "kafka.server.KafkaServer", "Proceeding to do an unclean shutdown as all the controlled shutdown attempts failed");
	return -1;
}


void sm_kafka_server_run(sm_kafka_server_t *s)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	int64_t last_hw = 0, last_lm = 0, ticks = 0;
	for (;;) {
		struct timespec to = { 0, 200 * 1000000L };
		int sig = sigtimedwait(&set, NULL, &to);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		ticks += 200;
		if (__atomic_load_n(&s->session_expired, __ATOMIC_ACQUIRE))
			sm_server_reestablish(s);
		if (ticks - last_hw >= s->cfg->replica_high_watermark_checkpoint_interval_ms) {
			sm_replica_manager_checkpoint_hw(s->rm);
			last_hw = ticks;
		}
		if (ticks - last_lm >= s->cfg->log_flush_offset_checkpoint_interval_ms) {
			sm_log_manager_checkpoint(s->lm);
			last_lm = ticks;
		}
	}
	sm_log_info(s->comp, SM_SRV_LOGGER, "shutting down");
	/* Leadership moves away while this broker still serves requests. */
	if (s->cfg->controlled_shutdown_enable && s->controller && s->registered)
		(void)sm_server_controlled_shutdown(s);
	/* Out of every ISR now: fetching on would let leaders add it back. */
	if (s->rm)
		sm_replica_manager_stop_fetchers(s->rm);
}

void sm_kafka_server_shutdown(sm_kafka_server_t *s)
{
	/* First: a scrape must not walk what is torn down below. */
	sm_metrics_set_gauge_source(NULL, NULL);
	sm_metrics_http_stop(s->metrics_http);
	s->metrics_http = NULL;
	if (s->ss)
		sm_socket_server_stop_accepting(s->ss);
	if (s->channel) {
		sm_request_channel_shutdown(s->channel);
		/* waits for the network threads handling a request inline */
		sm_request_channel_set_inline(s->channel, NULL, NULL);
	}
	/* The config-change thread may resize the pool until it stops below;
	 * after handlers_stop is set under the lock it no longer does. */
	pthread_mutex_lock(&s->handlers_lock);
	__atomic_store_n(&s->handlers_stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < s->n_handlers; i++)
		pthread_join(s->handlers[i], NULL);
	s->n_handlers = 0;
	pthread_mutex_unlock(&s->handlers_lock);
	/* Parked JoinGroup/SyncGroup requests are answered while the
	 * request channel still exists. */
	if (s->gc)
		sm_group_coordinator_shutdown(s->gc);
	if (s->gmm)
		sm_gmm_set_purgatory(s->gmm, NULL);
	/* The coordinator's thread stops; the marker senders answer what they
	 * still hold (NOT_COORDINATOR) before the apis' purgatory goes. */
	sm_txn_coordinator_shutdown(s->tc);
	sm_txn_marker_channel_destroy(s->txn_markers);
	s->txn_markers = NULL;
	if (s->txn_log)
		sm_gmm_set_purgatory(s->txn_log, NULL);
	if (s->apis)
		sm_kafka_apis_destroy(s->apis);
	s->apis = NULL;
	if (s->ss)
		sm_socket_server_shutdown(s->ss);
	sm_config_manager_shutdown(s->config_manager);
	sm_authorizer_shutdown(s->authorizer);
	if (s->controller)
		sm_controller_shutdown(s->controller);
	if (s->rm)
		sm_replica_manager_shutdown(s->rm);
	if (s->rm)
		sm_replica_manager_clear_leadership_listeners(s->rm);
	sm_group_coordinator_destroy(s->gc);
	sm_txn_coordinator_destroy(s->tc);
	s->tc = NULL;
	sm_gmm_destroy(s->txn_log);
	s->txn_log = NULL;
	s->gc = NULL;
	sm_gmm_destroy(s->gmm);
	s->gmm = NULL;
	if (s->rm)
		sm_replica_manager_destroy(s->rm);
	s->rm = NULL;
	if (s->cleaner)
		sm_log_cleaner_shutdown(s->cleaner);
	if (s->lm)
		sm_log_manager_shutdown(s->lm);
	if (s->zk)
		sm_zk_set_watcher(s->zk, NULL, NULL);
	sm_log_info(s->comp, SM_SRV_LOGGER, "shut down completed");
}

void sm_kafka_server_destroy(sm_kafka_server_t *s)
{
	if (!s)
		return;
	if (s->zk)
		sm_zk_destroy(s->zk);
	sm_config_manager_destroy(s->config_manager);
	sm_authorizer_destroy(s->authorizer);
	sm_controller_destroy(s->controller);
	if (s->ss)
		sm_socket_server_destroy(s->ss);
	if (s->channel)
		sm_request_channel_destroy(s->channel);
	sm_log_cleaner_destroy(s->cleaner);
	if (s->lm)
		sm_log_manager_destroy(s->lm);
	sm_metadata_cache_destroy(s->mc);
	sm_zk_broker_clear(&s->reg);
	free(s->handlers);
	pthread_mutex_destroy(&s->handlers_lock);
	sm_dyn_config_destroy(s->dyn);
	free(s->inter_broker_listener);
	sm_tls_interbroker_set(NULL, 0);
	for (int i = 0; i < s->n_tls_ctx; i++)
		SSL_CTX_free(s->tls_ctx[i]);
	free(s->tls_ctx);
	for (int i = 0; i < s->n_tls_listeners; i++)
		free(s->tls_listeners[i]);
	free(s->tls_listeners);
	SSL_CTX_free(s->tls_client);
	sm_sasl_interbroker_set(0, NULL, NULL);
	for (int i = 0; i < s->n_sasl; i++)
		sm_sasl_listener_free(s->sasl[i]);
	free(s->sasl);
	sm_client_quotas_t *q = sm_client_quotas_global();
	sm_client_quotas_set_global(NULL);
	sm_client_quotas_destroy(q);
	free(s);
}
