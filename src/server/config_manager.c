/*
 * config_manager.c - /config/changes listener (Kafka's DynamicConfigManager
 * for topic configs); see config_manager.h.
 *
 * Thread-safety: cm->lock guards the wake-up flag and the running flag; the
 * thread alone touches last_seq.
 */
#include "config_manager.h"
#include "sasl.h"

#include <errno.h>
#include <stdio.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "client_quota.h"
#include "kafka_zk.h"
#include "log_config.h"
#include "logger.h"
#include "socket_server.h"
#include "thread_role.h"

#define SM_CM_LOGGER "kafka.server.DynamicConfigManager"
#define SM_CM_CHANGES "/config/changes"
#define SM_CM_PREFIX "config_change_"
#define SM_CM_POLL_MS 5000
#define SM_CM_ELECT_TIMEOUT_MS 30000

struct sm_config_manager {
	sm_zk_t *zk;
	sm_replica_manager_t *rm;
	sm_controller_t *controller;
	sm_dyn_config_t *dyn;
	sm_socket_server_t *ss; /* applies ips/<ip> changes; may be NULL */
	int32_t broker_id;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	int started;
	int running;
	int pending;
	int64_t last_seq;
};

int64_t sm_config_change_seq(const char *name)
{
	size_t n = sizeof(SM_CM_PREFIX) - 1;
	if (strncmp(name, SM_CM_PREFIX, n) || !name[n])
		return -1;
	char *end;
	long long v = strtoll(name + n, &end, 10);
	return *end || v < 0 ? -1 : v;
}

sm_config_manager_t *sm_config_manager_new(sm_zk_t *zk, sm_replica_manager_t *rm,
					   sm_controller_t *controller, sm_dyn_config_t *dyn)
{
	sm_config_manager_t *cm = sm_calloc(1, sizeof(*cm));
	cm->zk = zk;
	cm->dyn = dyn;
	cm->broker_id = rm ? sm_replica_manager_broker_id(rm) : -1;
	cm->rm = rm;
	cm->controller = controller;
	cm->last_seq = -1;
	pthread_mutex_init(&cm->lock, NULL);
	pthread_cond_init(&cm->cond, NULL);
	return cm;
}

/* Unclean election for the offline partitions of topic (controller only). */
static void sm_cm_unclean_election(sm_config_manager_t *cm, const char *topic)
{
	if (!cm->controller || !sm_controller_is_active(cm->controller))
		return;
	sm_zk_topic_assignment_t a = { 0 };
	if (sm_kzk_get_topic_assignment(cm->zk, topic, 0, &a, NULL) != SM_ERR_NONE)
		return;
	sm_zk_topic_partition_t *tps = sm_calloc((size_t)a.n_partitions + 1, sizeof(*tps));
	for (int i = 0; i < a.n_partitions; i++) {
		tps[i].topic = (char *)topic;
		tps[i].partition = a.partitions[i].partition;
	}
	sm_ctrl_tp_result_t *res = NULL;
	int n = 0;
	sm_err_t e = sm_controller_elect_leaders(cm->controller, 1, tps, a.n_partitions,
						 SM_CM_ELECT_TIMEOUT_MS, &res, &n);
	for (int i = 0; !e && i < n; i++)
		if (!res[i].error)
			sm_log_warn(NULL, SM_CM_LOGGER,
				    "Unclean leader election enabled for %s: elected a leader for offline partition %s-%d; data loss is possible",
				    topic, res[i].topic, res[i].partition);
	sm_controller_results_free(res, n);
	free(tps);
	sm_zk_topic_clear(&a);
}

/* The quota keys of one entity's config into the client quota table
 * (Kafka's QuotaConfigHandler): producer_byte_rate and consumer_byte_rate
 * are longs, request_percentage and controller_mutation_rate doubles; an unparsable or negative value
 * is logged and left out, the other keys are not quotas. */
static void sm_cm_apply_quotas(const char *entity_path, const char *user, const char *client,
			       const sm_zk_config_t *zc)
{
	sm_client_quotas_t *q = sm_client_quotas_global();
	if (!q)
		return;
	double v[SM_QUOTA_TYPES];
	for (int t = 0; t < SM_QUOTA_TYPES; t++)
		v[t] = -1;
	for (int i = 0; i < zc->n; i++) {
		int t = sm_quota_type_of(zc->keys[i]);
		if (t < 0)
			continue;
		char *end;
		errno = 0;
		double d = t == SM_QUOTA_REQUEST || t == SM_QUOTA_MUTATION ? strtod(zc->values[i], &end)
						 : (double)strtoll(zc->values[i], &end, 10);
		if (end == zc->values[i] || *end || errno || !(d >= 0)) {
			sm_log_warn(NULL, SM_CM_LOGGER, "Ignoring invalid quota %s=%s of %s",
				    zc->keys[i], zc->values[i], entity_path);
			continue;
		}
		v[t] = d;
	}
	sm_client_quotas_update(q, user, client, v);
}

void sm_config_manager_load_user(sm_zk_t *zk, const char *sanitized)
{
	/* Kafka's Sanitizer URL-encodes the principal name in the znode name */
	char *user = sm_sasl_desanitize(sanitized);
	sm_zk_config_t zc = { 0 };
	if (sm_kzk_get_entity_config(zk, "users", sanitized, &zc) == SM_ERR_NONE) {
		sm_scram_store_put(user, zc.keys, zc.values, zc.n);
		sm_log_debug(NULL, SM_CM_LOGGER, "Loaded the SCRAM credentials of user %s", user);
		/* The same node holds the user's quotas. */
		char path[600];
		snprintf(path, sizeof(path), "users/%s", sanitized);
		sm_cm_apply_quotas(path, user, NULL, &zc);
	}
	sm_zk_config_clear(&zc);
	free(user);
}

int sm_config_manager_load_quota(sm_zk_t *zk, const char *entity_path)
{
	char *copy = sm_strdup(entity_path), *parts[4] = { 0 }, *save = NULL;
	int n = 0;
	for (char *tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (n == 4) {
			n = 5;
			break;
		}
		parts[n++] = tok;
	}
	char *user = NULL, *client = NULL;
	int rc = -1;
	if (n == 2 && !strcmp(parts[0], "clients"))
		client = sm_sasl_desanitize(parts[1]);
	else if (n == 4 && !strcmp(parts[0], "users") && !strcmp(parts[2], "clients"))
		user = sm_sasl_desanitize(parts[1]), client = sm_sasl_desanitize(parts[3]);
	else
		goto out;
	sm_zk_config_t zc = { 0 };
	const char *slash = strchr(entity_path, '/');
	char type[16];
	snprintf(type, sizeof(type), "%.*s", (int)(slash - entity_path), entity_path);
	if (sm_kzk_get_entity_config(zk, type, slash + 1, &zc) == SM_ERR_NONE) {
		sm_cm_apply_quotas(entity_path, user, client, &zc);
		rc = 0;
	}
	sm_zk_config_clear(&zc);
out:
	free(user);
	free(client);
	free(copy);
	return rc;
}

void sm_config_manager_load_all_quotas(sm_zk_t *zk)
{
	char **users = NULL, **kids = NULL;
	int nu = 0, nk = 0;
	char path[600];
	if (sm_zk_get_children(zk, "/config/users", 0, &users, &nu) == SM_ERR_NONE)
		for (int i = 0; i < nu; i++) {
			sm_config_manager_load_user(zk, users[i]);
			snprintf(path, sizeof(path), "/config/users/%s/clients", users[i]);
			if (sm_zk_get_children(zk, path, 0, &kids, &nk) != SM_ERR_NONE)
				continue;
			for (int j = 0; j < nk; j++) {
				snprintf(path, sizeof(path), "users/%s/clients/%s", users[i], kids[j]);
				sm_config_manager_load_quota(zk, path);
			}
			sm_zk_strings_free(kids, nk);
			kids = NULL;
		}
	sm_zk_strings_free(users, nu);
	if (sm_zk_get_children(zk, "/config/clients", 0, &kids, &nk) == SM_ERR_NONE) {
		for (int j = 0; j < nk; j++) {
			snprintf(path, sizeof(path), "clients/%s", kids[j]);
			sm_config_manager_load_quota(zk, path);
		}
		sm_zk_strings_free(kids, nk);
	}
}

/* brokers/<default> or brokers/<id>: Kafka's BrokerConfigHandler. A change
 * that turns unclean.leader.election.enable on lets the controller elect
 * leaders for every offline partition, as a topic-level change does. */
static void sm_cm_apply_broker(sm_config_manager_t *cm, const char *entity)
{
	char id[16];
	snprintf(id, sizeof(id), "%d", (int)cm->broker_id);
	if (!cm->dyn || (strcmp(entity, "<default>") && strcmp(entity, id)))
		return;
	sm_log_info(NULL, SM_CM_LOGGER, "Processing override for entityPath: brokers/%s", entity);
	int was = sm_dyn_config_current(cm->dyn)->unclean_leader_election_enable;
	(void)sm_dyn_config_reload(cm->dyn, cm->zk);
	if (was || !sm_dyn_config_current(cm->dyn)->unclean_leader_election_enable)
		return;
	if (!cm->controller || !sm_controller_is_active(cm->controller))
		return;
	char **topics = NULL;
	int n = 0;
	if (sm_kzk_get_topics(cm->zk, 0, &topics, &n) != SM_ERR_NONE)
		return;
	for (int i = 0; i < n; i++)
		sm_cm_unclean_election(cm, topics[i]);
	sm_zk_strings_free(topics, n);
}

void sm_config_manager_set_socket_server(sm_config_manager_t *cm, sm_socket_server_t *ss)
{
	cm->ss = ss;
}

int sm_config_manager_ip_rate(sm_zk_t *zk, const char *name, char *ip, size_t iplen,
			      double *rate)
{
	*rate = -1;
	if (!strcmp(name, "<default>")) {
		snprintf(ip, iplen, "<default>");
	} else {
		/* AlterClientQuotas writes the sanitized name ("%3A%3A1" for
		 * ::1), kafka-configs --zookeeper the name as given */
		char *d = sm_sasl_desanitize(name);
		int bad = sm_ip_entity_address(d, 1, ip, iplen);
		free(d);
		if (bad)
			return -1;
	}
	sm_zk_config_t zc = { 0 };
	if (sm_kzk_get_entity_config(zk, "ips", name, &zc) != SM_ERR_NONE)
		return -1;
	const char *v = sm_zk_config_get(&zc, "connection_creation_rate");
	int rc = 0;
	if (v) {
		char *end;
		errno = 0;
		long long x = strtoll(v, &end, 10);
		if (!*v || *end || errno || x < 0 || x > INT32_MAX)
			rc = -1;
		else
			*rate = (double)x;
	}
	sm_zk_config_clear(&zc);
	return rc;
}

/* ips/<ip> or ips/<default>: Kafka's IpConfigHandler. */
static void sm_cm_apply_ip(sm_config_manager_t *cm, const char *name)
{
	char ip[64];
	double rate;
	if (!cm->ss)
		return;
	if (sm_config_manager_ip_rate(cm->zk, name, ip, sizeof(ip), &rate)) {
		sm_log_warn(NULL, SM_CM_LOGGER, "Ignoring config change for ips/%s: not an IP "
			    "address, resolvable host or <default>, or an invalid "
			    "connection_creation_rate", name);
		return;
	}
	sm_log_info(NULL, SM_CM_LOGGER, "Processing override for entityPath: ips/%s", name);
	sm_socket_server_set_ip_rate(cm->ss, ip, rate);
}

static void sm_cm_apply(sm_config_manager_t *cm, const char *entity_path)
{
	if (!strncmp(entity_path, "ips/", 4) && entity_path[4] && !strchr(entity_path + 4, '/')) {
		sm_cm_apply_ip(cm, entity_path + 4);
		return;
	}
	if (!strncmp(entity_path, "users/", 6) && entity_path[6] && !strchr(entity_path + 6, '/')) {
		sm_log_info(NULL, SM_CM_LOGGER, "Processing override for entityPath: %s", entity_path);
		sm_config_manager_load_user(cm->zk, entity_path + 6);
		return;
	}
	if (!strncmp(entity_path, "users/", 6) || !strncmp(entity_path, "clients/", 8)) {
		if (sm_config_manager_load_quota(cm->zk, entity_path))
			sm_log_warn(NULL, SM_CM_LOGGER, "Ignoring config change for %s", entity_path);
		else
			sm_log_info(NULL, SM_CM_LOGGER, "Processing override for entityPath: %s",
				    entity_path);
		return;
	}
	if (!strncmp(entity_path, "brokers/", 8) && entity_path[8]) {
		sm_cm_apply_broker(cm, entity_path + 8);
		return;
	}
	if (strncmp(entity_path, "topics/", 7) || !entity_path[7]) {
		sm_log_debug(NULL, SM_CM_LOGGER, "Ignoring config change for %s", entity_path);
		return;
	}
	const char *topic = entity_path + 7;
	sm_log_info(NULL, SM_CM_LOGGER, "Processing override for entityPath: %s", entity_path);
	sm_replica_manager_topic_config_changed(cm->rm, topic);
	/* Kafka's TopicConfigHandler elects for a topic whose override turns
	 * unclean election on; the value is resolved as the controller's
	 * election resolves it (topic, then dynamic default, then static). */
	sm_zk_config_t zc = { 0 };
	if (sm_kzk_get_topic_config(cm->zk, topic, &zc) == SM_ERR_NONE &&
	    sm_zk_config_get(&zc, "unclean.leader.election.enable") &&
	    sm_topic_config_unclean_election(cm->dyn ? sm_dyn_config_current(cm->dyn) : NULL,
					     topic, zc.keys, zc.values, zc.n))
		sm_cm_unclean_election(cm, topic);
	sm_zk_config_clear(&zc);
}

/* Lists the notifications (re-arming the watch) and processes new ones;
 * the first pass only records where the history ends. */
static void sm_cm_process(sm_config_manager_t *cm, int first)
{
	char **kids = NULL;
	int n = 0;
	if (sm_zk_get_children(cm->zk, SM_CM_CHANGES, 1, &kids, &n) != SM_ERR_NONE)
		return;
	for (int i = 0; i < n; i++) {
		int64_t seq = sm_config_change_seq(kids[i]);
		if (seq <= cm->last_seq)
			continue;
		cm->last_seq = seq;
		if (first)
			continue;
		char path[512], err[256], *data = NULL, *entity = NULL;
		size_t len = 0;
		snprintf(path, sizeof(path), "%s/%s", SM_CM_CHANGES, kids[i]);
		if (sm_zk_get(cm->zk, path, 0, &data, &len, NULL) != SM_ERR_NONE)
			continue;
		if (sm_zk_config_change_decode(data, len, &entity, err, sizeof(err)) == SM_ERR_NONE)
			sm_cm_apply(cm, entity);
		else
			sm_log_warn(NULL, SM_CM_LOGGER, "Ignoring malformed config change %s: %s", path, err);
		free(entity);
		free(data);
	}
	sm_zk_strings_free(kids, n);
}

static void *sm_cm_main(void *arg)
{
	sm_config_manager_t *cm = arg;
	pthread_setname_np(pthread_self(), "config-change");
	sm_thread_role_set(SM_ROLE_CONFIG_CHANGE);
	sm_cm_process(cm, 1);
	pthread_mutex_lock(&cm->lock);
	while (cm->running) {
		if (!cm->pending) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += SM_CM_POLL_MS / 1000;
			pthread_cond_timedwait(&cm->cond, &cm->lock, &ts);
		}
		if (!cm->running)
			break;
		cm->pending = 0;
		pthread_mutex_unlock(&cm->lock);
		sm_cm_process(cm, 0);
		pthread_mutex_lock(&cm->lock);
	}
	pthread_mutex_unlock(&cm->lock);
	return NULL;
}

void sm_config_manager_startup(sm_config_manager_t *cm)
{
	cm->running = 1;
	cm->started = 1;
	pthread_create(&cm->thread, NULL, sm_cm_main, cm);
}

void sm_config_manager_zk_event(sm_config_manager_t *cm, int type, const char *path)
{
	if (type != SM_ZK_EVENT_CHILD || !path || strcmp(path, SM_CM_CHANGES))
		return;
	pthread_mutex_lock(&cm->lock);
	cm->pending = 1;
	pthread_cond_signal(&cm->cond);
	pthread_mutex_unlock(&cm->lock);
}

void sm_config_manager_shutdown(sm_config_manager_t *cm)
{
	if (!cm || !cm->started)
		return;
	pthread_mutex_lock(&cm->lock);
	cm->running = 0;
	pthread_cond_signal(&cm->cond);
	pthread_mutex_unlock(&cm->lock);
	pthread_join(cm->thread, NULL);
	cm->started = 0;
}

void sm_config_manager_destroy(sm_config_manager_t *cm)
{
	if (!cm)
		return;
	sm_config_manager_shutdown(cm);
	pthread_cond_destroy(&cm->cond);
	pthread_mutex_destroy(&cm->lock);
	free(cm);
}
