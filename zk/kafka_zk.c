/*
 * kafka_zk.c - typed Kafka operations on ZooKeeper (Kafka's KafkaZkClient
 * and AdminZkClient), topic name rules and AdminUtils' rack-unaware replica
 * assignment.
 *
 * Thread-safety: stateless; each call blocks on the sm_zk_t session, which
 * may be shared between threads.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "kafka_zk.h"
#include "logger.h"

#define SM_KZK_LOGGER "kafka.zk.KafkaZkClient"
#define SM_KZK_COMP NULL

static const char *const sm_kzk_top_level[] = {
	"/consumers", "/brokers/ids", "/brokers/topics", "/config/changes",
	"/admin/delete_topics", "/brokers/seqid", "/isr_change_notification",
	"/latest_producer_id_block", "/log_dir_event_notification",
	"/config/topics", "/config/clients", "/config/users",
	"/config/brokers", "/config/ips",
};

sm_err_t sm_kzk_create_top_level_paths(sm_zk_t *zk)
{
	for (size_t i = 0; i < sizeof(sm_kzk_top_level) /
					sizeof(sm_kzk_top_level[0]); i++) {
		sm_err_t e = sm_zk_create_recursive(zk, sm_kzk_top_level[i], NULL,
						    0, SM_ZK_PERSISTENT);
		if (e && e != SM_ERR__EXISTS)
			return e;
	}
	return SM_ERR_NONE;
}

sm_err_t sm_kzk_get_or_create_cluster_id(sm_zk_t *zk,
					 char out[SM_UUID_B64_LEN + 1])
{
	char err[256];
	for (int attempt = 0; attempt < 3; attempt++) {
		char *data = NULL, *id = NULL;
		size_t len;
		sm_err_t e = sm_zk_get(zk, SM_ZKPATH_CLUSTER_ID, 0, &data, &len,
				       NULL);
		if (e == SM_ERR_NONE) {
			e = sm_zk_cluster_id_decode(data, len, &id, err,
						    sizeof(err));
			free(data);
			if (e) {
				sm_log_error(SM_KZK_COMP, SM_KZK_LOGGER,
					     "Invalid /cluster/id: %s", err);
				return e;
			}
			snprintf(out, SM_UUID_B64_LEN + 1, "%s", id);
			free(id);
			return SM_ERR_NONE;
		}
		if (e != SM_ERR__NOENT)
			return e;
		uint8_t u[16];
		char s[SM_UUID_B64_LEN + 1];
		sm_uuid_random(u);
		sm_uuid_to_b64(u, s);
		char *json = sm_zk_cluster_id_encode(s);
		e = sm_zk_create_recursive(zk, SM_ZKPATH_CLUSTER_ID, json,
					   strlen(json), SM_ZK_PERSISTENT);
		free(json);
		if (e == SM_ERR_NONE) {
			memcpy(out, s, sizeof(s));
			return SM_ERR_NONE;
		}
		if (e != SM_ERR__EXISTS)
			return e;
		/* Another broker created it first: read theirs. */
	}
	return SM_ERR__ZK;
}

/* ---- brokers ---- */

static sm_err_t sm_kzk_register_once(sm_zk_t *zk, const char *path,
				     const char *json, int64_t *czxid)
{
	sm_zk_multi_t *m = sm_zk_multi_new();
	sm_zk_multi_create(m, path, NULL, 0, SM_ZK_EPHEMERAL);
	int set = sm_zk_multi_set(m, path, json, strlen(json), 0);
	sm_err_t e = sm_zk_multi_run(zk, m, NULL);
	(void)set;
	sm_zk_multi_destroy(m);
	if (e)
		return e;
	sm_zk_stat_t st;
	e = sm_zk_exists(zk, path, 0, &st);
	if (e == SM_ERR_NONE)
		*czxid = st.czxid;
	return e;
}

sm_err_t sm_kzk_update_broker(sm_zk_t *zk, const sm_zk_broker_info_t *info)
{
	char *path = sm_zkpath_broker(info->id);
	char *json = sm_zk_broker_encode(info);
	sm_err_t e = sm_zk_set(zk, path, json, strlen(json), -1, NULL);
	if (e == SM_ERR_NONE)
		sm_log_info(SM_KZK_COMP, SM_KZK_LOGGER, "Updated broker %" PRId32
			    " at path %s with addresses: %s", info->id, path, json);
	free(path);
	free(json);
	return e;
}

sm_err_t sm_kzk_register_broker(sm_zk_t *zk, const sm_zk_broker_info_t *info,
				int64_t *broker_epoch)
{
	char *path = sm_zkpath_broker(info->id);
	char *json = sm_zk_broker_encode(info);
	int64_t czxid = -1;
	sm_err_t e = sm_kzk_register_once(zk, path, json, &czxid);
	if (e == SM_ERR__EXISTS) {
		sm_zk_stat_t st;
		sm_err_t e2 = sm_zk_exists(zk, path, 0, &st);
		if (e2 == SM_ERR__NOENT) {
			/* The old owner's session just ended: try again. */
			e = sm_kzk_register_once(zk, path, json, &czxid);
		} else if (e2 == SM_ERR_NONE &&
			   st.ephemeral_owner == sm_zk_session_id(zk)) {
			/* Left over from this very session (a retry after a
			 * lost response): recreate to get a fresh czxid. */
			sm_zk_delete(zk, path, -1);
			e = sm_kzk_register_once(zk, path, json, &czxid);
		} else if (e2 == SM_ERR_NONE) {
			sm_log_error(SM_KZK_COMP, SM_KZK_LOGGER,
				     "Error while creating ephemeral at %s, node "
				     "already exists and owner '%" PRId64 "' does "
				     "not match current session '%" PRId64 "'",
				     path, st.ephemeral_owner,
				     sm_zk_session_id(zk));
		} else {
			e = e2;
		}
	}
	if (e == SM_ERR_NONE) {
		sm_log_info(SM_KZK_COMP, SM_KZK_LOGGER, "Registered broker %"
			    PRId32 " at path %s with addresses: %s, czxid "
			    "(broker epoch): %" PRId64, info->id, path, json,
			    czxid);
		if (broker_epoch)
			*broker_epoch = czxid;
	}
	free(path);
	free(json);
	return e;
}

static int sm_kzk_i32cmp(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* Decimal child name -> id; -1 if it is not one. */
static int sm_kzk_parse_id(const char *s, int32_t *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 0 || v > INT32_MAX)
		return -1;
	*out = (int32_t)v;
	return 0;
}

sm_err_t sm_kzk_get_broker_ids(sm_zk_t *zk, int watch, int32_t **idsp,
			       int *countp)
{
	char **kids;
	int n;
	sm_err_t e = sm_zk_get_children(zk, SM_ZKPATH_BROKER_IDS, watch, &kids,
					&n);
	if (e)
		return e;
	int32_t *ids = sm_calloc((size_t)n + 1, sizeof(*ids));
	int c = 0;
	for (int i = 0; i < n; i++)
		if (sm_kzk_parse_id(kids[i], &ids[c]) == 0)
			c++;
	sm_zk_strings_free(kids, n);
	qsort(ids, (size_t)c, sizeof(*ids), sm_kzk_i32cmp);
	*idsp = ids;
	*countp = c;
	return SM_ERR_NONE;
}

sm_err_t sm_kzk_get_broker(sm_zk_t *zk, int32_t id, int watch,
			   sm_zk_broker_info_t *out)
{
	char *path = sm_zkpath_broker(id);
	char *data = NULL, err[256];
	size_t len;
	sm_zk_stat_t st;
	sm_err_t e = sm_zk_get(zk, path, watch, &data, &len, &st);
	if (e == SM_ERR_NONE) {
		out->id = id;
		out->epoch = st.czxid;
		e = sm_zk_broker_decode(data, len, out, err, sizeof(err));
		if (e)
			sm_log_error(SM_KZK_COMP, SM_KZK_LOGGER, "Ignoring %s: %s",
				     path, err);
	}
	free(data);
	free(path);
	return e;
}

sm_err_t sm_kzk_get_all_brokers(sm_zk_t *zk, sm_zk_broker_info_t **outp,
				int *countp)
{
	int32_t *ids;
	int n;
	sm_err_t e = sm_kzk_get_broker_ids(zk, 0, &ids, &n);
	if (e)
		return e;
	sm_zk_broker_info_t *out = sm_calloc((size_t)n + 1, sizeof(*out));
	int c = 0;
	for (int i = 0; i < n; i++) {
		e = sm_kzk_get_broker(zk, ids[i], 0, &out[c]);
		if (e == SM_ERR_NONE)
			c++;
		else if (e != SM_ERR__NOENT && e != SM_ERR__PARSE)
			break;
		e = SM_ERR_NONE;
	}
	free(ids);
	if (e) {
		sm_kzk_brokers_free(out, c);
		return e;
	}
	*outp = out;
	*countp = c;
	return SM_ERR_NONE;
}

void sm_kzk_brokers_free(sm_zk_broker_info_t *brokers, int count)
{
	for (int i = 0; brokers && i < count; i++)
		sm_zk_broker_clear(&brokers[i]);
	free(brokers);
}

/* ---- fencing ---- */

/* A multi that starts with the controller epoch check (when fenced). */
static sm_zk_multi_t *sm_kzk_multi(int32_t controller_epoch_zkv)
{
	sm_zk_multi_t *m = sm_zk_multi_new();
	if (controller_epoch_zkv >= 0)
		sm_zk_multi_check(m, SM_ZKPATH_CONTROLLER_EPOCH,
				  controller_epoch_zkv);
	return m;
}

/* Runs m and destroys it; a failed epoch check becomes NOT_CONTROLLER
 * (Kafka's ControllerMovedException). *set_stat receives the Stat of op
 * stat_op if >= 0. */
static sm_err_t sm_kzk_run(sm_zk_t *zk, sm_zk_multi_t *m,
			   int32_t controller_epoch_zkv, int stat_op,
			   sm_zk_stat_t *set_stat)
{
	int failed;
	sm_err_t e = sm_zk_multi_run(zk, m, &failed);
	if (e && failed == 0 && controller_epoch_zkv >= 0 &&
	    (e == SM_ERR__BADVERSION || e == SM_ERR__NOENT)) {
		sm_log_info(SM_KZK_COMP, SM_KZK_LOGGER, "Controller epoch zkVersion "
			    "%" PRId32 " is stale: controller moved",
			    controller_epoch_zkv);
		e = SM_ERR_NOT_CONTROLLER;
	}
	if (e == SM_ERR_NONE && stat_op >= 0 && set_stat)
		*set_stat = *sm_zk_multi_stat(m, stat_op);
	sm_zk_multi_destroy(m);
	return e;
}

/* ---- controller ---- */

sm_err_t sm_kzk_get_controller_epoch(sm_zk_t *zk, int32_t *epoch,
				     int32_t *epoch_zkv)
{
	char *data = NULL, err[256];
	size_t len;
	sm_zk_stat_t st;
	sm_err_t e = sm_zk_get(zk, SM_ZKPATH_CONTROLLER_EPOCH, 0, &data, &len,
			       &st);
	if (e == SM_ERR_NONE) {
		e = sm_zk_controller_epoch_decode(data, len, epoch, err,
						  sizeof(err));
		if (e)
			sm_log_error(SM_KZK_COMP, SM_KZK_LOGGER, "%s", err);
		else if (epoch_zkv)
			*epoch_zkv = st.version;
	}
	free(data);
	return e;
}

sm_err_t sm_kzk_get_controller_id(sm_zk_t *zk, int watch, int32_t *idp)
{
	char *data = NULL, err[256];
	size_t len;
	sm_err_t e = sm_zk_get(zk, SM_ZKPATH_CONTROLLER, watch, &data, &len,
			       NULL);
	if (e == SM_ERR__NOENT && watch) {
		/* Arm an exists watch so creation is reported too. */
		sm_err_t e2 = sm_zk_exists(zk, SM_ZKPATH_CONTROLLER, 1, NULL);
		if (e2 == SM_ERR_NONE) /* created in between: read it */
			return sm_kzk_get_controller_id(zk, watch, idp);
	}
	if (e == SM_ERR_NONE) {
		e = sm_zk_controller_decode(data, len, idp, err, sizeof(err));
		if (e)
			sm_log_error(SM_KZK_COMP, SM_KZK_LOGGER, "%s", err);
	}
	free(data);
	return e;
}

/* Reads /controller_epoch, creating it with "0" if absent. */
static sm_err_t sm_kzk_epoch_or_create(sm_zk_t *zk, int32_t *epoch,
				       int32_t *zkv)
{
	sm_err_t e = sm_kzk_get_controller_epoch(zk, epoch, zkv);
	if (e != SM_ERR__NOENT)
		return e;
	char *s = sm_zk_controller_epoch_encode(0);
	e = sm_zk_create(zk, SM_ZKPATH_CONTROLLER_EPOCH, s, strlen(s),
			 SM_ZK_PERSISTENT, NULL);
	free(s);
	if (e == SM_ERR_NONE) {
		*epoch = 0;
		*zkv = 0;
		return SM_ERR_NONE;
	}
	if (e == SM_ERR__EXISTS)
		return sm_kzk_get_controller_epoch(zk, epoch, zkv);
	return e;
}

sm_err_t sm_kzk_elect_controller(sm_zk_t *zk, int32_t broker_id,
				 int64_t timestamp_ms, int32_t *epoch,
				 int32_t *epoch_zkv, int32_t *winner)
{
	int32_t e0, v0;
	sm_err_t e = sm_kzk_epoch_or_create(zk, &e0, &v0);
	if (e)
		return e;
	char *json = sm_zk_controller_encode(broker_id, timestamp_ms);
	char *es = sm_zk_controller_epoch_encode(e0 + 1);
	sm_zk_multi_t *m = sm_zk_multi_new();
	sm_zk_multi_create(m, SM_ZKPATH_CONTROLLER, json, strlen(json),
			   SM_ZK_EPHEMERAL);
	int set = sm_zk_multi_set(m, SM_ZKPATH_CONTROLLER_EPOCH, es, strlen(es),
				  v0);
	sm_zk_stat_t st;
	e = sm_kzk_run(zk, m, -1, set, &st);
	free(json);
	free(es);
	if (e == SM_ERR_NONE) {
		*epoch = e0 + 1;
		*epoch_zkv = st.version;
		if (winner)
			*winner = broker_id;
		return SM_ERR_NONE;
	}
	if (e != SM_ERR__EXISTS && e != SM_ERR__BADVERSION)
		return e;
	/* Lost, or our own earlier attempt succeeded but its response was
	 * lost: decide from what is stored now. */
	int32_t cur = -1, e1 = -1, v1 = -1;
	sm_err_t ce = sm_kzk_get_controller_id(zk, 0, &cur);
	if (ce == SM_ERR_NONE && cur == broker_id &&
	    sm_kzk_get_controller_epoch(zk, &e1, &v1) == SM_ERR_NONE &&
	    e1 == e0 + 1) {
		*epoch = e1;
		*epoch_zkv = v1;
		if (winner)
			*winner = broker_id;
		return SM_ERR_NONE;
	}
	if (winner)
		*winner = ce == SM_ERR_NONE ? cur : -1;
	return SM_ERR__EXISTS;
}

sm_err_t sm_kzk_delete_controller(sm_zk_t *zk, int32_t broker_id)
{
	int32_t cur;
	sm_zk_stat_t st;
	sm_err_t e = sm_kzk_get_controller_id(zk, 0, &cur);
	if (e)
		return e == SM_ERR__NOENT ? SM_ERR_NONE : e;
	if (cur != broker_id)
		return SM_ERR__STATE;
	e = sm_zk_exists(zk, SM_ZKPATH_CONTROLLER, 0, &st);
	if (e)
		return e == SM_ERR__NOENT ? SM_ERR_NONE : e;
	e = sm_zk_delete(zk, SM_ZKPATH_CONTROLLER, st.version);
	return e == SM_ERR__NOENT ? SM_ERR_NONE : e;
}

/* ---- topics ---- */

sm_err_t sm_kzk_get_topics(sm_zk_t *zk, int watch, char ***topicsp,
			   int *countp)
{
	return sm_zk_get_children(zk, SM_ZKPATH_TOPICS, watch, topicsp, countp);
}

sm_err_t sm_kzk_get_topic_assignment(sm_zk_t *zk, const char *topic, int watch,
				     sm_zk_topic_assignment_t *out,
				     int32_t *zk_version)
{
	char *path = sm_zkpath_topic(topic);
	char *data = NULL, err[256];
	size_t len;
	sm_zk_stat_t st;
	memset(out, 0, sizeof(*out));
	sm_err_t e = sm_zk_get(zk, path, watch, &data, &len, &st);
	if (e == SM_ERR_NONE) {
		e = sm_zk_topic_decode(data, len, out, err, sizeof(err));
		if (e)
			sm_log_error(SM_KZK_COMP, SM_KZK_LOGGER, "Ignoring %s: %s",
				     path, err);
		else if (zk_version)
			*zk_version = st.version;
	}
	free(data);
	free(path);
	return e;
}

sm_err_t sm_kzk_set_topic_assignment(sm_zk_t *zk, const char *topic,
				     const sm_zk_topic_assignment_t *a,
				     int32_t expected_version,
				     int32_t controller_epoch_zkv,
				     int32_t *new_zkv)
{
	char *path = sm_zkpath_topic(topic);
	char *json = sm_zk_topic_encode(a);
	sm_zk_multi_t *m = sm_kzk_multi(controller_epoch_zkv);
	int set = sm_zk_multi_set(m, path, json, strlen(json), expected_version);
	sm_zk_stat_t st;
	sm_err_t e = sm_kzk_run(zk, m, controller_epoch_zkv, set, &st);
	if (e == SM_ERR_NONE && new_zkv)
		*new_zkv = st.version;
	free(json);
	free(path);
	return e;
}

int sm_kzk_topic_exists(sm_zk_t *zk, const char *topic)
{
	char *path = sm_zkpath_topic(topic);
	sm_err_t e = sm_zk_exists(zk, path, 0, NULL);
	free(path);
	return e == SM_ERR_NONE ? 1 : e == SM_ERR__NOENT ? 0 : (int)e;
}

sm_err_t sm_kzk_create_topic(sm_zk_t *zk, const char *topic,
			     const sm_zk_topic_assignment_t *a,
			     const sm_zk_config_t *config,
			     uint8_t topic_id_out[16])
{
	/* Config first, so a broker seeing the topic finds its overrides. */
	char *cpath = sm_zkpath_topic_config(topic);
	char *cjson = sm_zk_config_encode(config);
	sm_err_t e = sm_zk_create_recursive(zk, cpath, cjson, strlen(cjson),
					    SM_ZK_PERSISTENT);
	if (e == SM_ERR__EXISTS)
		e = sm_zk_set(zk, cpath, cjson, strlen(cjson), -1, NULL);
	free(cpath);
	free(cjson);
	if (e)
		return e;

	sm_zk_topic_assignment_t copy = *a;
	if (!copy.has_topic_id) {
		sm_uuid_random(copy.topic_id);
		copy.has_topic_id = 1;
	}
	char *path = sm_zkpath_topic(topic);
	char *json = sm_zk_topic_encode(&copy);
	e = sm_zk_create_recursive(zk, path, json, strlen(json),
				   SM_ZK_PERSISTENT);
	free(path);
	free(json);
	if (e == SM_ERR__EXISTS)
		return SM_ERR_TOPIC_ALREADY_EXISTS;
	if (e == SM_ERR_NONE) {
		if (topic_id_out)
			memcpy(topic_id_out, copy.topic_id, 16);
		sm_log_info(SM_KZK_COMP, "kafka.zk.AdminZkClient",
			    "Created topic %s with %d partitions and %d "
			    "config overrides", topic, a->n_partitions,
			    config ? config->n : 0);
	}
	return e;
}

/* ---- partition state ---- */

sm_err_t sm_kzk_create_partition_state(sm_zk_t *zk, const char *topic,
				       int32_t partition,
				       const sm_zk_partition_state_t *st,
				       int32_t controller_epoch_zkv,
				       int32_t *zk_version)
{
	char *parents[2] = { sm_zkpath_topic_partitions(topic),
			     sm_zkpath_partition(topic, partition) };
	sm_err_t e = SM_ERR_NONE;
	for (int i = 0; i < 2 && !e; i++) {
		sm_zk_multi_t *m = sm_kzk_multi(controller_epoch_zkv);
		sm_zk_multi_create(m, parents[i], NULL, 0, SM_ZK_PERSISTENT);
		e = sm_kzk_run(zk, m, controller_epoch_zkv, -1, NULL);
		if (e == SM_ERR__EXISTS)
			e = SM_ERR_NONE;
	}
	free(parents[0]);
	free(parents[1]);
	if (e)
		return e;
	char *path = sm_zkpath_partition_state(topic, partition);
	char *json = sm_zk_partition_state_encode(st);
	sm_zk_multi_t *m = sm_kzk_multi(controller_epoch_zkv);
	sm_zk_multi_create(m, path, json, strlen(json), SM_ZK_PERSISTENT);
	e = sm_kzk_run(zk, m, controller_epoch_zkv, -1, NULL);
	if (e == SM_ERR_NONE && zk_version)
		*zk_version = 0;
	free(path);
	free(json);
	return e;
}

sm_err_t sm_kzk_get_partition_state(sm_zk_t *zk, const char *topic,
				    int32_t partition, int watch,
				    sm_zk_partition_state_t *out)
{
	char *path = sm_zkpath_partition_state(topic, partition);
	char *data = NULL, err[256];
	size_t len;
	sm_zk_stat_t st;
	memset(out, 0, sizeof(*out));
	sm_err_t e = sm_zk_get(zk, path, watch, &data, &len, &st);
	if (e == SM_ERR_NONE) {
		out->zk_version = st.version;
		e = sm_zk_partition_state_decode(data, len, out, err,
						 sizeof(err));
		if (e)
			sm_log_error(SM_KZK_COMP, SM_KZK_LOGGER, "Ignoring %s: %s",
				     path, err);
	}
	free(data);
	free(path);
	return e;
}

sm_err_t sm_kzk_update_partition_state(sm_zk_t *zk, const char *topic,
				       int32_t partition,
				       const sm_zk_partition_state_t *st,
				       int32_t expected_zkv,
				       int32_t controller_epoch_zkv,
				       int32_t *new_zkv)
{
	char *path = sm_zkpath_partition_state(topic, partition);
	char *json = sm_zk_partition_state_encode(st);
	sm_zk_multi_t *m = sm_kzk_multi(controller_epoch_zkv);
	int set = sm_zk_multi_set(m, path, json, strlen(json), expected_zkv);
	sm_zk_stat_t zst;
	sm_err_t e = sm_kzk_run(zk, m, controller_epoch_zkv, set, &zst);
	if (e == SM_ERR_NONE && new_zkv)
		*new_zkv = zst.version;
	free(path);
	free(json);
	return e;
}

/* ---- deletion ---- */

sm_err_t sm_kzk_get_delete_topics(sm_zk_t *zk, int watch, char ***topicsp,
				  int *countp)
{
	return sm_zk_get_children(zk, SM_ZKPATH_DELETE_TOPICS, watch, topicsp,
				  countp);
}

sm_err_t sm_kzk_mark_topic_for_deletion(sm_zk_t *zk, const char *topic)
{
	int ex = sm_kzk_topic_exists(zk, topic);
	if (ex < 0)
		return (sm_err_t)ex;
	if (!ex)
		return SM_ERR_UNKNOWN_TOPIC_OR_PARTITION;
	char *path = sm_zkpath_delete_topic(topic);
	sm_err_t e = sm_zk_create_recursive(zk, path, NULL, 0,
					    SM_ZK_PERSISTENT);
	free(path);
	return e;
}

int sm_kzk_is_marked_for_deletion(sm_zk_t *zk, const char *topic)
{
	char *path = sm_zkpath_delete_topic(topic);
	sm_err_t e = sm_zk_exists(zk, path, 0, NULL);
	free(path);
	return e == SM_ERR_NONE ? 1 : e == SM_ERR__NOENT ? 0 : (int)e;
}

/* Deletes path and its subtree, bottom-up, each delete fenced. */
static sm_err_t sm_kzk_fenced_delete_tree(sm_zk_t *zk, const char *path,
					  int32_t ezkv)
{
	char **kids;
	int n;
	sm_err_t e = sm_zk_get_children(zk, path, 0, &kids, &n);
	if (e == SM_ERR__NOENT)
		return SM_ERR_NONE;
	if (e)
		return e;
	for (int i = 0; i < n && !e; i++) {
		size_t l = strlen(path) + strlen(kids[i]) + 2;
		char *child = sm_malloc(l);
		snprintf(child, l, "%s/%s", path, kids[i]);
		e = sm_kzk_fenced_delete_tree(zk, child, ezkv);
		free(child);
	}
	sm_zk_strings_free(kids, n);
	if (e)
		return e;
	sm_zk_multi_t *m = sm_kzk_multi(ezkv);
	sm_zk_multi_delete(m, path, -1);
	e = sm_kzk_run(zk, m, ezkv, -1, NULL);
	return e == SM_ERR__NOENT ? SM_ERR_NONE : e;
}

sm_err_t sm_kzk_delete_topic(sm_zk_t *zk, const char *topic,
			     int32_t controller_epoch_zkv)
{
	char *paths[3] = { sm_zkpath_topic(topic), sm_zkpath_topic_config(topic),
			   sm_zkpath_delete_topic(topic) };
	sm_err_t e = SM_ERR_NONE;
	for (int i = 0; i < 3 && !e; i++)
		e = sm_kzk_fenced_delete_tree(zk, paths[i], controller_epoch_zkv);
	for (int i = 0; i < 3; i++)
		free(paths[i]);
	return e;
}

sm_err_t sm_kzk_delete_topic_marker(sm_zk_t *zk, const char *topic,
				    int32_t controller_epoch_zkv)
{
	char *path = sm_zkpath_delete_topic(topic);
	sm_zk_multi_t *m = sm_kzk_multi(controller_epoch_zkv);
	sm_zk_multi_delete(m, path, -1);
	sm_err_t e = sm_kzk_run(zk, m, controller_epoch_zkv, -1, NULL);
	free(path);
	return e == SM_ERR__NOENT ? SM_ERR_NONE : e;
}

/* ---- configs ---- */

sm_err_t sm_kzk_get_entity_config(sm_zk_t *zk, const char *type,
				  const char *name, sm_zk_config_t *out)
{
	char *path = sm_zkpath_entity_config(type, name);
	char *data = NULL, err[256];
	size_t len;
	memset(out, 0, sizeof(*out));
	sm_err_t e = sm_zk_get(zk, path, 0, &data, &len, NULL);
	if (e == SM_ERR__NOENT) {
		e = SM_ERR_NONE;
	} else if (e == SM_ERR_NONE && len > 0) {
		e = sm_zk_config_decode(data, len, out, err, sizeof(err));
		if (e)
			sm_log_error(SM_KZK_COMP, SM_KZK_LOGGER, "Ignoring %s: %s",
				     path, err);
	}
	free(data);
	free(path);
	return e;
}

sm_err_t sm_kzk_get_topic_config(sm_zk_t *zk, const char *topic,
				 sm_zk_config_t *out)
{
	return sm_kzk_get_entity_config(zk, "topics", topic, out);
}

sm_err_t sm_kzk_write_config_change(sm_zk_t *zk, const char *entity_path)
{
	char *json = sm_zk_config_change_encode(entity_path);
	sm_err_t e = sm_zk_create(zk, SM_ZKPATH_CONFIG_CHANGE_PREFIX, json,
				  strlen(json), SM_ZK_PERSISTENT | SM_ZK_SEQUENTIAL,
				  NULL);
	if (e == SM_ERR__NOENT)
		e = sm_zk_create_recursive(zk, SM_ZKPATH_CONFIG_CHANGE_PREFIX,
					   json, strlen(json),
					   SM_ZK_PERSISTENT | SM_ZK_SEQUENTIAL);
	free(json);
	return e;
}

sm_err_t sm_kzk_set_entity_config(sm_zk_t *zk, const char *type,
				  const char *name, const sm_zk_config_t *cfg)
{
	char *path = sm_zkpath_entity_config(type, name);
	char *json = sm_zk_config_encode(cfg);
	sm_err_t e = sm_zk_set(zk, path, json, strlen(json), -1, NULL);
	if (e == SM_ERR__NOENT)
		e = sm_zk_create_recursive(zk, path, json, strlen(json),
					   SM_ZK_PERSISTENT);
	free(path);
	free(json);
	if (e)
		return e;
	size_t l = strlen(type) + strlen(name) + 2;
	char *entity = sm_malloc(l);
	snprintf(entity, l, "%s/%s", type, name);
	e = sm_kzk_write_config_change(zk, entity);
	free(entity);
	return e;
}

/* ---- validation ---- */

sm_err_t sm_kzk_validate_topic_name(const char *name, char *err,
				    size_t errlen)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0) {
		snprintf(err, errlen, "Topic name is illegal, it can't be empty");
		return SM_ERR_INVALID_TOPIC_EXCEPTION;
	}
	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		snprintf(err, errlen, "Topic name cannot be \".\" or \"..\"");
		return SM_ERR_INVALID_TOPIC_EXCEPTION;
	}
	if (n > SM_TOPIC_NAME_MAX) {
		snprintf(err, errlen, "Topic name is illegal, it can't be longer "
			 "than %d characters, topic name: %s", SM_TOPIC_NAME_MAX,
			 name);
		return SM_ERR_INVALID_TOPIC_EXCEPTION;
	}
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
			continue;
		snprintf(err, errlen, "Topic name \"%s\" is illegal, it contains "
			 "a character other than ASCII alphanumerics, '.', '_' "
			 "and '-'", name);
		return SM_ERR_INVALID_TOPIC_EXCEPTION;
	}
	return SM_ERR_NONE;
}

int sm_kzk_topic_has_collision_chars(const char *name)
{
	return strchr(name, '.') || strchr(name, '_');
}

/* Equal after mapping '.' to '_'. */
static int sm_kzk_collides(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a == '.' ? '_' : *a, y = *b == '.' ? '_' : *b;
		if (x != y)
			return 0;
	}
	return *a == *b;
}

sm_err_t sm_kzk_check_topic_collision(const char *name, char *const *existing,
				      int n_existing, char *err, size_t errlen)
{
	size_t off = 0;
	int hits = 0;
	if (errlen)
		err[0] = '\0';
	for (int i = 0; i < n_existing; i++) {
		if (!strcmp(existing[i], name) ||
		    !sm_kzk_collides(existing[i], name))
			continue;
		if (hits++ == 0)
			off = (size_t)snprintf(err, errlen, "Topic '%s' collides "
					       "with existing topics: %s", name,
					       existing[i]);
		else if (off < errlen)
			off += (size_t)snprintf(err + off, errlen - off, ", %s",
						existing[i]);
	}
	return hits ? SM_ERR_INVALID_TOPIC_EXCEPTION : SM_ERR_NONE;
}

/* ---- replica assignment ---- */

/*
 * Kafka's rack-unaware placement: brokers sorted by id; partition p's first
 * replica is broker[(p + start) % N]; the j-th follower sits
 * 1 + (shift + j) % (N - 1) places after the first, so followers never repeat
 * the leader. shift grows by one each time p wraps past a multiple of N, so
 * successive rounds spread followers differently.
 */
/* Largest replica assignment built in one go: 64 MiB of broker ids. */
#define SM_KZK_MAX_ASSIGN_BYTES ((size_t)64 << 20)

sm_err_t sm_kzk_assign_replicas(const int32_t *brokers, int n_brokers,
				int n_partitions, int rf, int start_index,
				int replica_shift, int start_partition,
				int32_t **out, char *err, size_t errlen)
{
	if (n_partitions <= 0) {
		snprintf(err, errlen, "Number of partitions must be larger than 0.");
		return SM_ERR_INVALID_PARTITIONS;
	}
	if (rf <= 0) {
		snprintf(err, errlen, "Replication factor must be larger than 0.");
		return SM_ERR_INVALID_REPLICATION_FACTOR;
	}
	if (rf > n_brokers) {
		snprintf(err, errlen, "Replication factor: %d larger than "
			 "available brokers: %d.", rf, n_brokers);
		return SM_ERR_INVALID_REPLICATION_FACTOR;
	}
	int32_t *b = sm_malloc((size_t)n_brokers * sizeof(*b));
	memcpy(b, brokers, (size_t)n_brokers * sizeof(*b));
	qsort(b, (size_t)n_brokers, sizeof(*b), sm_kzk_i32cmp);
	/* Random choices come from the kernel RNG, like Kafka's Random. */
	uint8_t rnd[16];
	sm_uuid_random(rnd);
	int n = n_brokers;
	int start = start_index >= 0 ? start_index % n
				     : (int)(sm_be32(rnd) % (uint32_t)n);
	int shift = replica_shift >= 0 ? replica_shift
				       : (int)(sm_be32(rnd + 8) % (uint32_t)n);
	int p = start_partition > 0 ? start_partition : 0;
	/* the counts come from clients: a size that cannot be allocated is
	 * refused, never an abort (request handlers bound it well below) */
	int32_t *r = sm_alloc_array((int64_t)n_partitions * rf, sizeof(*r), SM_KZK_MAX_ASSIGN_BYTES);
	if (!r) {
		free(b);
		snprintf(err, errlen, "Assignment of %d partitions x %d replicas is too large.",
			 n_partitions, rf);
		return SM_ERR_INVALID_PARTITIONS;
	}
	for (int i = 0; i < n_partitions; i++, p++) {
		if (p > 0 && p % n == 0)
			shift++;
		int first = (p + start) % n;
		r[i * rf] = b[first];
		for (int j = 0; j < rf - 1; j++) {
			int s = 1 + (shift + j) % (n - 1);
			r[i * rf + j + 1] = b[(first + s) % n];
		}
	}
	free(b);
	*out = r;
	return SM_ERR_NONE;
}

/* ---- /admin/reassign_partitions ---- */

void sm_kzk_reassignments_free(sm_kzk_reassignment_t *r, int n)
{
	for (int i = 0; i < n; i++) {
		free(r[i].topic);
		free(r[i].replicas);
	}
	free(r);
}

static int sm_kzk_reassign_entry(json_t *e, sm_kzk_reassignment_t *r)
{
	json_t *t = json_is_object(e) ? json_object_get(e, "topic") : NULL;
	json_t *p = json_is_object(e) ? json_object_get(e, "partition") : NULL;
	json_t *rs = json_is_object(e) ? json_object_get(e, "replicas") : NULL;
	if (!json_is_string(t) || !json_is_integer(p) || !json_is_array(rs))
		return -1;
	json_int_t pv = json_integer_value(p);
	if (pv < 0 || pv > INT32_MAX)
		return -1;
	size_t n = json_array_size(rs);
	r->topic = sm_strdup(json_string_value(t));
	r->partition = (int32_t)pv;
	r->replicas = sm_calloc(n + 1, sizeof(int32_t));
	for (size_t i = 0; i < n; i++) {
		json_t *b = json_array_get(rs, i);
		if (!json_is_integer(b) || json_integer_value(b) < 0 || json_integer_value(b) > INT32_MAX)
			return -1;
		r->replicas[i] = (int32_t)json_integer_value(b);
	}
	r->n_replicas = (int)n;
	return 0;
}

sm_err_t sm_kzk_reassignment_decode(const char *json, size_t len, sm_kzk_reassignment_t **outp,
				    int *np, char *err, size_t errlen)
{
	json_error_t je;
	*outp = NULL;
	*np = 0;
	json_t *o = json_loadb(json ? json : "", json ? len : 0, JSON_REJECT_DUPLICATES, &je);
	if (!o) {
		snprintf(err, errlen, "reassignment JSON does not parse: %s", je.text);
		return SM_ERR__PARSE;
	}
	json_t *a = json_is_object(o) ? json_object_get(o, "partitions") : NULL;
	if (!json_is_array(a)) {
		snprintf(err, errlen, "reassignment JSON: \"partitions\" is not a list");
		json_decref(o);
		return SM_ERR__PARSE;
	}
	size_t n = json_array_size(a);
	sm_kzk_reassignment_t *r = sm_calloc(n + 1, sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		if (sm_kzk_reassign_entry(json_array_get(a, i), &r[i])) {
			snprintf(err, errlen, "reassignment JSON: bad entry #%zu", i);
			sm_kzk_reassignments_free(r, (int)i + 1);
			json_decref(o);
			return SM_ERR__PARSE;
		}
	}
	json_decref(o);
	*outp = r;
	*np = (int)n;
	return SM_ERR_NONE;
}

char *sm_kzk_reassignment_encode(const sm_kzk_reassignment_t *r, int n, int with_log_dirs)
{
	json_t *o = json_object(), *a = json_array();
	json_object_set_new(o, "version", json_integer(1));
	for (int i = 0; i < n; i++) {
		json_t *e = json_object(), *rs = json_array(), *ld = json_array();
		json_object_set_new(e, "topic", json_string(r[i].topic));
		json_object_set_new(e, "partition", json_integer(r[i].partition));
		for (int k = 0; k < r[i].n_replicas; k++) {
			json_array_append_new(rs, json_integer(r[i].replicas[k]));
			json_array_append_new(ld, json_string("any"));
		}
		json_object_set_new(e, "replicas", rs);
		if (with_log_dirs)
			json_object_set_new(e, "log_dirs", ld);
		else
			json_decref(ld);
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "partitions", a);
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	char *out = sm_strdup(s);
	free(s);
	return out;
}

/* ---- rack-aware assignment ---- */

typedef struct sm_kzk_br {
	int32_t id;
	const char *rack;
} sm_kzk_br_t;

static int sm_kzk_br_cmp(const void *a, const void *b)
{
	const sm_kzk_br_t *x = a, *y = b;
	int c = strcmp(x->rack, y->rack);
	return c ? c : (x->id > y->id) - (x->id < y->id);
}

/* getRackAlternatedBrokerList: one broker of each rack in turn. */
static int sm_kzk_rack_alternate(sm_kzk_br_t *br, int n, sm_kzk_br_t *out)
{
	qsort(br, (size_t)n, sizeof(*br), sm_kzk_br_cmp);
	int nracks = 0;
	int *start = sm_calloc((size_t)n + 1, sizeof(int)), *end = sm_calloc((size_t)n + 1, sizeof(int));
	for (int i = 0; i < n; i++) {
		if (i == 0 || strcmp(br[i].rack, br[i - 1].rack))
			start[nracks++] = i;
		end[nracks - 1] = i + 1;
	}
	int k = 0;
	for (int r = 0; k < n; r = (r + 1) % nracks)
		if (start[r] < end[r])
			out[k++] = br[start[r]++];
	free(start);
	free(end);
	return nracks;
}

static int sm_kzk_rack_seen(const char *const *v, int n, const char *rack)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v[i], rack))
			return 1;
	return 0;
}

sm_err_t sm_kzk_assign_replicas_rack(const int32_t *brokers, char *const *racks,
				     int n_brokers, int n_partitions, int rf,
				     int start_index, int replica_shift,
				     int start_partition, int32_t **out,
				     char *err, size_t errlen)
{
	int with = 0;
	for (int i = 0; i < n_brokers; i++)
		with += racks && racks[i] != NULL;
	if (with == 0)
		return sm_kzk_assign_replicas(brokers, n_brokers, n_partitions, rf, start_index,
					      replica_shift, start_partition, out, err, errlen);
	if (with != n_brokers) {
		snprintf(err, errlen, "Not all brokers have rack information for replica rack aware assignment.");
		return SM_ERR_UNKNOWN_SERVER_ERROR;
	}
	/* The plain function validates counts; its output is discarded. */
	int32_t *tmp = NULL;
	sm_err_t e = sm_kzk_assign_replicas(brokers, n_brokers, n_partitions, rf, 0, 0, 0, &tmp, err,
					    errlen);
	free(tmp);
	if (e)
		return e;
	int n = n_brokers;
	sm_kzk_br_t *br = sm_calloc((size_t)n, sizeof(*br)), *arr = sm_calloc((size_t)n, sizeof(*arr));
	for (int i = 0; i < n; i++)
		br[i] = (sm_kzk_br_t){ brokers[i], racks[i] };
	int nracks = sm_kzk_rack_alternate(br, n, arr);
	uint8_t rnd[16];
	sm_uuid_random(rnd);
	int start = start_index >= 0 ? start_index % n : (int)(sm_be32(rnd) % (uint32_t)n);
	int shift = replica_shift >= 0 ? replica_shift : (int)(sm_be32(rnd + 8) % (uint32_t)n);
	int p = start_partition > 0 ? start_partition : 0;
	int32_t *r = sm_malloc((size_t)n_partitions * (size_t)rf * sizeof(*r));
	const char **used_racks = sm_calloc((size_t)rf + 1, sizeof(char *));
	for (int i = 0; i < n_partitions; i++, p++) {
		if (p > 0 && p % n == 0)
			shift++;
		int first = (p + start) % n;
		int nr = 0, nu = 0;
		r[i * rf + nr++] = arr[first].id;
		used_racks[nu++] = arr[first].rack;
		for (int k = 0; nr < rf; k++) {
			int s = 1 + (shift * nracks + k) % (n - 1);
			const sm_kzk_br_t *b = &arr[(first + s) % n];
			int dup = 0;
			for (int q = 0; q < nr; q++)
				dup |= r[i * rf + q] == b->id;
			int rack_ok = !sm_kzk_rack_seen(used_racks, nu, b->rack) || nu == nracks;
			if (rack_ok && (!dup || nr == n)) {
				r[i * rf + nr++] = b->id;
				if (!sm_kzk_rack_seen(used_racks, nu, b->rack))
					used_racks[nu++] = b->rack;
			}
		}
	}
	free(used_racks);
	free(br);
	free(arr);
	*out = r;
	return SM_ERR_NONE;
}

sm_err_t sm_kzk_assign_replicas_live(sm_zk_t *zk, int n_partitions, int rf,
				     int fixed_start_index, int start_partition,
				     int32_t **out, char *err, size_t errlen)
{
	sm_zk_broker_info_t *bs = NULL;
	int n = 0;
	*out = NULL;
	if (sm_kzk_get_all_brokers(zk, &bs, &n)) {
		snprintf(err, errlen, "ZooKeeper error reading brokers");
		return SM_ERR_UNKNOWN_SERVER_ERROR;
	}
	int32_t *ids = sm_calloc((size_t)n + 1, sizeof(int32_t));
	char **racks = sm_calloc((size_t)n + 1, sizeof(char *));
	for (int i = 0; i < n; i++) {
		ids[i] = bs[i].id;
		racks[i] = bs[i].rack;
	}
	sm_err_t e = sm_kzk_assign_replicas_rack(ids, racks, n, n_partitions, rf, fixed_start_index,
						 fixed_start_index, start_partition, out, err, errlen);
	free(ids);
	free(racks);
	sm_kzk_brokers_free(bs, n);
	return e;
}

/* ---- pipelined partition state access (controller failover) ---- */

void sm_kzk_get_partition_states(sm_zk_t *zk, int n, const sm_kzk_tp_ref_t *tps,
				 sm_zk_partition_state_t *out, sm_err_t *errs)
{
	char **paths = sm_calloc((size_t)n + 1, sizeof(char *));
	char **datas = sm_calloc((size_t)n + 1, sizeof(char *));
	size_t *lens = sm_calloc((size_t)n + 1, sizeof(size_t));
	sm_zk_stat_t *stats = sm_calloc((size_t)n + 1, sizeof(*stats));
	for (int i = 0; i < n; i++)
		paths[i] = sm_zkpath_partition_state(tps[i].topic, tps[i].partition);
	sm_zk_get_many(zk, paths, n, datas, lens, stats, errs);
	for (int i = 0; i < n; i++) {
		char err[256];
		memset(&out[i], 0, sizeof(out[i]));
		if (errs[i] == SM_ERR_NONE) {
			out[i].zk_version = stats[i].version;
			errs[i] = sm_zk_partition_state_decode(datas[i], lens[i], &out[i], err, sizeof(err));
			if (errs[i])
				sm_log_error(SM_KZK_COMP, SM_KZK_LOGGER, "Ignoring %s: %s", paths[i], err);
		}
		free(datas[i]);
		free(paths[i]);
	}
	free(paths);
	free(datas);
	free(lens);
	free(stats);
}

/* Runs one fenced create per path, all in flight together; errs[i] as
 * sm_kzk_run maps them (NOT_CONTROLLER on a failed epoch check). Entries
 * with errs[i] already set on entry, or a NULL path, are skipped. */
static void sm_kzk_create_many(sm_zk_t *zk, int n, char *const *paths, char *const *datas,
			       int32_t controller_epoch_zkv, sm_err_t *errs)
{
	sm_zk_multi_t **ms = sm_calloc((size_t)n + 1, sizeof(*ms));
	int *failed = sm_calloc((size_t)n + 1, sizeof(int));
	sm_err_t *res = sm_calloc((size_t)n + 1, sizeof(sm_err_t));
	int *idx = sm_calloc((size_t)n + 1, sizeof(int));
	int k = 0;
	for (int i = 0; i < n; i++) {
		if (errs[i] || !paths[i])
			continue;
		ms[k] = sm_kzk_multi(controller_epoch_zkv);
		sm_zk_multi_create(ms[k], paths[i], datas ? datas[i] : NULL,
				   datas && datas[i] ? strlen(datas[i]) : 0, SM_ZK_PERSISTENT);
		idx[k++] = i;
	}
	sm_zk_multi_run_many(zk, ms, k, res, failed);
	for (int j = 0; j < k; j++) {
		sm_err_t e = res[j];
		if (e && failed[j] == 0 && controller_epoch_zkv >= 0 &&
		    (e == SM_ERR__BADVERSION || e == SM_ERR__NOENT))
			e = SM_ERR_NOT_CONTROLLER;
		errs[idx[j]] = e;
		sm_zk_multi_destroy(ms[j]);
	}
	free(ms);
	free(failed);
	free(res);
	free(idx);
}

/* The step by step creation below for the entries of tps not marked done
 * (done may be NULL): the partitions/ parent of each topic, then every
 * partitions/<p>, then every state node, each step pipelined (Kafka's
 * createTopicPartitionStatesRaw). A parent that exists is fine. */
static void sm_kzk_create_partition_states_steps(sm_zk_t *zk, int n, const sm_kzk_tp_ref_t *tps,
						 const sm_zk_partition_state_t *states,
						 int32_t controller_epoch_zkv, const int *done,
						 sm_err_t *errs)
{
	char **paths = sm_calloc((size_t)n + 1, sizeof(char *));
	char **datas = sm_calloc((size_t)n + 1, sizeof(char *));
	sm_err_t *step = sm_calloc((size_t)n + 1, sizeof(sm_err_t));
	/* the first entry of each topic: compared with the topics seen so
	 * far, not with every earlier entry (a request is usually one topic
	 * of thousands of partitions) */
	int *firsts = sm_calloc((size_t)n + 1, sizeof(int));
	int nfirsts = 0;
	for (int i = 0; i < n; i++) {
		if (done && done[i])
			continue;
		errs[i] = SM_ERR_NONE;
		int first = 1;
		for (int k = nfirsts - 1; k >= 0 && first; k--)
			first = strcmp(tps[firsts[k]].topic, tps[i].topic) != 0;
		if (first)
			firsts[nfirsts++] = i;
		paths[i] = first ? sm_zkpath_topic_partitions(tps[i].topic) : NULL;
	}
	free(firsts);
	sm_kzk_create_many(zk, n, paths, NULL, controller_epoch_zkv, step);
	for (int i = 0; i < n; i++) {
		if (step[i] && step[i] != SM_ERR__EXISTS)
			for (int j = i; j < n; j++)
				if (!(done && done[j]) && !strcmp(tps[j].topic, tps[i].topic))
					errs[j] = step[i];
		free(paths[i]);
		paths[i] = errs[i] || (done && done[i]) ? NULL
							: sm_zkpath_partition(tps[i].topic, tps[i].partition);
		step[i] = SM_ERR_NONE;
	}
	sm_kzk_create_many(zk, n, paths, NULL, controller_epoch_zkv, step);
	for (int i = 0; i < n; i++) {
		if (step[i] && step[i] != SM_ERR__EXISTS)
			errs[i] = step[i];
		free(paths[i]);
		paths[i] = NULL;
		if (!errs[i] && !(done && done[i])) {
			paths[i] = sm_zkpath_partition_state(tps[i].topic, tps[i].partition);
			datas[i] = sm_zk_partition_state_encode(&states[i]);
		}
	}
	sm_kzk_create_many(zk, n, paths, datas, controller_epoch_zkv, errs);
	for (int i = 0; i < n; i++) {
		free(paths[i]);
		free(datas[i]);
	}
	free(paths);
	free(datas);
	free(step);
}

/* Partitions per batched request below: 2 creates each plus the epoch
 * check, a request of about 30 KB for the longest topic names, well under
 * ZooKeeper's 1 MB jute.maxbuffer. */
#define SM_KZK_STATES_PER_MULTI 64

void sm_kzk_create_partition_states(sm_zk_t *zk, int n, const sm_kzk_tp_ref_t *tps,
				    const sm_zk_partition_state_t *states,
				    int32_t controller_epoch_zkv, sm_err_t *errs)
{
	/* The same znodes as Kafka's createTopicPartitionStatesRaw, in fewer
	 * requests: the partitions/ parents first (an existing one is fine),
	 * then one multi per SM_KZK_STATES_PER_MULTI partitions creating
	 * partitions/<p> and its state behind the controller epoch check,
	 * all pipelined. A 10,000-partition topic costs about 160 requests
	 * instead of 20,000; the ZooKeeper round trips were most of the
	 * controller's part of its creation. A batch that fails on anything
	 * but the epoch check (a node that exists: an earlier controller's
	 * partial work) is redone step by step, so each partition gets the
	 * outcome the single creates give it. */
	for (int i = 0; i < n; i++)
		errs[i] = SM_ERR_NONE;
	if (n <= 0)
		return;
	int nparents = 0;
	char **parents = sm_calloc((size_t)n + 1, sizeof(char *));
	sm_err_t *perr = sm_calloc((size_t)n + 1, sizeof(sm_err_t));
	int *pof = sm_calloc((size_t)n + 1, sizeof(int)); /* entry -> its parent */
	for (int i = 0; i < n; i++) {
		int k = nparents - 1;
		/* a request is usually one topic: compare with the last first */
		while (k >= 0 && strcmp(tps[pof[k]].topic, tps[i].topic))
			k--;
		if (k < 0) {
			parents[nparents] = sm_zkpath_topic_partitions(tps[i].topic);
			pof[nparents++] = i;
		}
	}
	sm_kzk_create_many(zk, nparents, parents, NULL, controller_epoch_zkv, perr);
	for (int k = 0; k < nparents; k++) {
		free(parents[k]);
		if (perr[k] && perr[k] != SM_ERR__EXISTS)
			for (int j = pof[k]; j < n; j++)
				if (!strcmp(tps[j].topic, tps[pof[k]].topic))
					errs[j] = perr[k];
	}
	free(parents);
	free(perr);
	free(pof);

	int nb = (n + SM_KZK_STATES_PER_MULTI - 1) / SM_KZK_STATES_PER_MULTI;
	sm_zk_multi_t **ms = sm_calloc((size_t)nb + 1, sizeof(*ms));
	sm_err_t *res = sm_calloc((size_t)nb + 1, sizeof(sm_err_t));
	int *failed = sm_calloc((size_t)nb + 1, sizeof(int));
	int *from = sm_calloc((size_t)nb + 1, sizeof(int));
	int *to = sm_calloc((size_t)nb + 1, sizeof(int));
	int *done = sm_calloc((size_t)n + 1, sizeof(int));
	int k = 0;
	for (int i = 0; i < n;) {
		sm_zk_multi_t *m = sm_kzk_multi(controller_epoch_zkv);
		int start = i, ops = 0;
		for (; i < n && i - start < SM_KZK_STATES_PER_MULTI; i++) {
			if (errs[i]) { /* its parent failed: that is its outcome */
				done[i] = 1;
				continue;
			}
			char *pp = sm_zkpath_partition(tps[i].topic, tps[i].partition);
			char *sp = sm_zkpath_partition_state(tps[i].topic, tps[i].partition);
			char *json = sm_zk_partition_state_encode(&states[i]);
			sm_zk_multi_create(m, pp, NULL, 0, SM_ZK_PERSISTENT);
			sm_zk_multi_create(m, sp, json, strlen(json), SM_ZK_PERSISTENT);
			ops++;
			free(pp);
			free(sp);
			free(json);
		}
		if (!ops) {
			sm_zk_multi_destroy(m);
			continue;
		}
		from[k] = start;
		to[k] = i;
		ms[k++] = m;
	}
	sm_zk_multi_run_many(zk, ms, k, res, failed);
	int redo = 0;
	for (int b = 0; b < k; b++) {
		sm_err_t e = res[b];
		if (e && failed[b] == 0 && controller_epoch_zkv >= 0 &&
		    (e == SM_ERR__BADVERSION || e == SM_ERR__NOENT))
			e = SM_ERR_NOT_CONTROLLER;
		for (int i = from[b]; i < to[b]; i++) {
			if (done[i])
				continue;
			if (!e || e == SM_ERR_NOT_CONTROLLER) {
				errs[i] = e;
				done[i] = 1;
			} else {
				redo = 1;
			}
		}
		sm_zk_multi_destroy(ms[b]);
	}
	if (redo)
		sm_kzk_create_partition_states_steps(zk, n, tps, states, controller_epoch_zkv, done, errs);
	free(ms);
	free(res);
	free(failed);
	free(from);
	free(to);
	free(done);
}

void sm_kzk_update_partition_states(sm_zk_t *zk, int n, const sm_kzk_tp_ref_t *tps,
				    const sm_zk_partition_state_t *states, const int32_t *expected_zkv,
				    int32_t controller_epoch_zkv, int32_t *new_zkv, sm_err_t *errs)
{
	sm_zk_multi_t **ms = sm_calloc((size_t)n + 1, sizeof(*ms));
	int *set = sm_calloc((size_t)n + 1, sizeof(int));
	int *failed = sm_calloc((size_t)n + 1, sizeof(int));
	for (int i = 0; i < n; i++) {
		char *path = sm_zkpath_partition_state(tps[i].topic, tps[i].partition);
		char *json = sm_zk_partition_state_encode(&states[i]);
		ms[i] = sm_kzk_multi(controller_epoch_zkv);
		set[i] = sm_zk_multi_set(ms[i], path, json, strlen(json), expected_zkv[i]);
		free(path);
		free(json);
	}
	sm_zk_multi_run_many(zk, ms, n, errs, failed);
	for (int i = 0; i < n; i++) {
		/* As sm_kzk_run: a failed epoch check means the controller moved. */
		if (errs[i] && failed[i] == 0 && controller_epoch_zkv >= 0 &&
		    (errs[i] == SM_ERR__BADVERSION || errs[i] == SM_ERR__NOENT))
			errs[i] = SM_ERR_NOT_CONTROLLER;
		if (errs[i] == SM_ERR_NONE && new_zkv)
			new_zkv[i] = sm_zk_multi_stat(ms[i], set[i])->version;
		sm_zk_multi_destroy(ms[i]);
	}
	free(ms);
	free(set);
	free(failed);
}

sm_err_t sm_kzk_create_acl_paths(sm_zk_t *zk)
{
	static const char *const paths[] = {
		SM_ZKPATH_ACL, SM_ZKPATH_ACL_CHANGES, SM_ZKPATH_ACL_PREFIXED, SM_ZKPATH_ACL_EXT_CHANGES,
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		sm_err_t e = sm_zk_create_recursive(zk, paths[i], NULL, 0, SM_ZK_PERSISTENT);
		if (e && e != SM_ERR__EXISTS)
			return e;
	}
	return SM_ERR_NONE;
}

sm_err_t sm_kzk_write_acl_change(sm_zk_t *zk, int pattern, int res_type, const char *name)
{
	char *data = sm_zk_acl_change_encode(pattern, res_type, name);
	char path[64];
	snprintf(path, sizeof(path), "%s/%s",
		 pattern == SM_ACL_PAT_LITERAL ? SM_ZKPATH_ACL_CHANGES : SM_ZKPATH_ACL_EXT_CHANGES,
		 SM_ZK_ACL_CHANGE_PREFIX);
	sm_err_t e = sm_zk_create(zk, path, data, strlen(data), SM_ZK_PERSISTENT | SM_ZK_SEQUENTIAL,
				  NULL);
	if (e == SM_ERR__NOENT)
		e = sm_zk_create_recursive(zk, path, data, strlen(data),
					   SM_ZK_PERSISTENT | SM_ZK_SEQUENTIAL);
	free(data);
	return e;
}
