/*
 * kafka_zk.h - the typed Kafka operations on ZooKeeper: what Kafka's
 * KafkaZkClient and AdminZkClient do (registration, controller election,
 * topics, partition state, configs, deletion), plus topic name validation
 * and AdminUtils' rack-unaware replica assignment.
 *
 * Fencing: every write a controller makes takes the controller epoch's
 * zkVersion (controller_epoch_zkv) and is issued as a multi-op with
 * "check /controller_epoch version == controller_epoch_zkv". When that check
 * fails the call returns SM_ERR_NOT_CONTROLLER (Kafka's
 * ControllerMovedException): the caller must resign. A negative
 * controller_epoch_zkv skips the check (admin tools, not the controller).
 *
 * Errors besides those: SM_ERR__NOENT, SM_ERR__EXISTS, SM_ERR__BADVERSION
 * (conditional update of the node itself lost), SM_ERR__ZK, SM_ERR__PARSE
 * (a znode holds garbage; logged).
 *
 * Thread-safety: as zk_client.h: callable from any thread; each call blocks
 * on ZooKeeper, so never call while holding a lock others wait on.
 */
#ifndef SM_KAFKA_ZK_H
#define SM_KAFKA_ZK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "zk_client.h"
#include "zk_data.h"

/* Admin request znodes the controller watches (ZOOKEEPER-LAYOUT). */
#define SM_ZKPATH_PREFERRED_ELECTION "/admin/preferred_replica_election"
#define SM_ZKPATH_REASSIGN_PARTITIONS "/admin/reassign_partitions"

/* ---- startup ---- */

/* Creates the persistent top-level paths every broker ensures at startup
 * (ZOOKEEPER-LAYOUT §0); existing ones are left alone. */
sm_err_t sm_kzk_create_top_level_paths(sm_zk_t *zk);
/* Reads /cluster/id, creating it with a fresh random id if absent (a
 * concurrent creator wins and its id is returned). */
sm_err_t sm_kzk_get_or_create_cluster_id(sm_zk_t *zk,
					 char out[SM_UUID_B64_LEN + 1]);

/* ---- brokers ---- */

/* Checked ephemeral registration of /brokers/ids/<info->id>: multi [create
 * ephemeral null, setData json version 0]. If the node exists and is owned by
 * this session it is deleted and re-created; owned by another session ->
 * SM_ERR__EXISTS. *broker_epoch receives the node's czxid. */
sm_err_t sm_kzk_register_broker(sm_zk_t *zk, const sm_zk_broker_info_t *info,
				int64_t *broker_epoch);
/* Rewrites this broker's registration in place (Kafka's
 * KafkaZkClient.updateBrokerInfo, after a dynamic listeners change): setData
 * of the version 5 JSON; the node keeps its czxid, so the broker epoch and
 * the session's ownership stay, and the controller's data watch sees a
 * BrokerModifications. */
sm_err_t sm_kzk_update_broker(sm_zk_t *zk, const sm_zk_broker_info_t *info);
/* Sorted broker ids (children of /brokers/ids, non-numeric names skipped);
 * watch sets a child watch. *idsp is malloc'd. */
sm_err_t sm_kzk_get_broker_ids(sm_zk_t *zk, int watch, int32_t **idsp,
			       int *countp);
/* One registration (watch = data watch); out->id and out->epoch (czxid) are
 * filled. SM_ERR__NOENT if not registered. */
sm_err_t sm_kzk_get_broker(sm_zk_t *zk, int32_t id, int watch,
			   sm_zk_broker_info_t *out);
/* All registrations, sorted by id; brokers that vanish meanwhile or hold
 * garbage are skipped. Free with sm_kzk_brokers_free(). */
sm_err_t sm_kzk_get_all_brokers(sm_zk_t *zk, sm_zk_broker_info_t **outp,
				int *countp);
void sm_kzk_brokers_free(sm_zk_broker_info_t *brokers, int count);

/* ---- controller ---- */

/* Reads /controller_epoch. SM_ERR__NOENT if it does not exist. */
sm_err_t sm_kzk_get_controller_epoch(sm_zk_t *zk, int32_t *epoch,
				     int32_t *epoch_zkv);
/* Election (registerControllerAndIncrementControllerEpoch): creates
 * /controller_epoch "0" if missing, then multi [create /controller ephemeral,
 * setData /controller_epoch E+1 at version V]. 0 -> we are controller with
 * *epoch and *epoch_zkv. Lost race -> SM_ERR__EXISTS and *winner (may be
 * NULL) receives the current controller id (-1 if it vanished). A retry after
 * a lost response (the node names us with epoch E+1) is accepted. */
sm_err_t sm_kzk_elect_controller(sm_zk_t *zk, int32_t broker_id,
				 int64_t timestamp_ms, int32_t *epoch,
				 int32_t *epoch_zkv, int32_t *winner);
/* Current controller id; SM_ERR__NOENT if none. With watch an exists watch
 * is left in every case (fires on creation, change and deletion). */
sm_err_t sm_kzk_get_controller_id(sm_zk_t *zk, int watch, int32_t *idp);
/* Deletes /controller if it is ours (controlled resignation / shutdown). */
sm_err_t sm_kzk_delete_controller(sm_zk_t *zk, int32_t broker_id);

/* ---- topics ---- */

/* Sorted children of /brokers/topics (watch = child watch). Free with
 * sm_zk_strings_free(). */
sm_err_t sm_kzk_get_topics(sm_zk_t *zk, int watch, char ***topicsp,
			   int *countp);
/* Assignment of one topic (watch = data watch). zk_version may be NULL. */
sm_err_t sm_kzk_get_topic_assignment(sm_zk_t *zk, const char *topic, int watch,
				     sm_zk_topic_assignment_t *out,
				     int32_t *zk_version);
/* Rewrites /brokers/topics/<t> (version 3 JSON) with expected version
 * (-1 = any), fenced by controller_epoch_zkv (negative = unfenced, for
 * tools adding partitions). *new_zkv may be NULL. */
sm_err_t sm_kzk_set_topic_assignment(sm_zk_t *zk, const char *topic,
				     const sm_zk_topic_assignment_t *a,
				     int32_t expected_version,
				     int32_t controller_epoch_zkv,
				     int32_t *new_zkv);
/* AdminZkClient.createTopicWithAssignment: writes /config/topics/<t> (config
 * may be NULL = empty) then creates /brokers/topics/<t>. If a has no topic id
 * one is generated; topic_id_out (may be NULL) receives the id written.
 * NODEEXISTS -> SM_ERR_TOPIC_ALREADY_EXISTS. Validates nothing: callers run
 * sm_kzk_validate_topic_name / collision checks first. */
sm_err_t sm_kzk_create_topic(sm_zk_t *zk, const char *topic,
			     const sm_zk_topic_assignment_t *a,
			     const sm_zk_config_t *config,
			     uint8_t topic_id_out[16]);
/* True (1) if /brokers/topics/<t> exists, 0 if not, <0 sm_err_t on error. */
int sm_kzk_topic_exists(sm_zk_t *zk, const char *topic);

/* ---- partition state (always fenced) ---- */

/* Creates partitions/, partitions/<p>/ (NODEEXISTS ignored) and the state
 * node (SM_ERR__EXISTS if it exists). *zk_version receives 0. */
sm_err_t sm_kzk_create_partition_state(sm_zk_t *zk, const char *topic,
				       int32_t partition,
				       const sm_zk_partition_state_t *st,
				       int32_t controller_epoch_zkv,
				       int32_t *zk_version);
/* Reads state; out->zk_version receives Stat.version. */
sm_err_t sm_kzk_get_partition_state(sm_zk_t *zk, const char *topic,
				    int32_t partition, int watch,
				    sm_zk_partition_state_t *out);
/* Conditional update at expected_zkv -> *new_zkv. SM_ERR__BADVERSION if the
 * node changed, SM_ERR_NOT_CONTROLLER if the epoch check failed. */
sm_err_t sm_kzk_update_partition_state(sm_zk_t *zk, const char *topic,
				       int32_t partition,
				       const sm_zk_partition_state_t *st,
				       int32_t expected_zkv,
				       int32_t controller_epoch_zkv,
				       int32_t *new_zkv);

/* Pipelined forms of the two calls above for many partitions at once
 * (the controller's failover; Kafka's asynchronous batches): one request
 * per partition, all in flight together. errs[i] per partition; new_zkv
 * may be NULL. */
typedef struct sm_kzk_tp_ref {
	const char *topic;
	int32_t partition;
} sm_kzk_tp_ref_t;
void sm_kzk_get_partition_states(sm_zk_t *zk, int n, const sm_kzk_tp_ref_t *tps,
				 sm_zk_partition_state_t *out, sm_err_t *errs);
/* Pipelined sm_kzk_create_partition_state for many partitions (new topics
 * and partitions): errs[i] as that call returns it for tps[i]; the
 * version of a created node is 0. */
void sm_kzk_create_partition_states(sm_zk_t *zk, int n, const sm_kzk_tp_ref_t *tps,
				    const sm_zk_partition_state_t *states,
				    int32_t controller_epoch_zkv, sm_err_t *errs);
void sm_kzk_update_partition_states(sm_zk_t *zk, int n, const sm_kzk_tp_ref_t *tps,
				    const sm_zk_partition_state_t *states,
				    const int32_t *expected_zkv,
				    int32_t controller_epoch_zkv, int32_t *new_zkv,
				    sm_err_t *errs);

/* ---- deletion ---- */

/* Children of /admin/delete_topics (watch = child watch), sorted. */
sm_err_t sm_kzk_get_delete_topics(sm_zk_t *zk, int watch, char ***topicsp,
				  int *countp);
/* AdminZkClient.deleteTopic: creates /admin/delete_topics/<t>.
 * SM_ERR_UNKNOWN_TOPIC_OR_PARTITION if the topic does not exist,
 * SM_ERR__EXISTS if already marked. */
sm_err_t sm_kzk_mark_topic_for_deletion(sm_zk_t *zk, const char *topic);
/* 1 if /admin/delete_topics/<t> exists, 0 if not, <0 on error. */
int sm_kzk_is_marked_for_deletion(sm_zk_t *zk, const char *topic);
/* Controller's final step: deletes /brokers/topics/<t> recursively,
 * /config/topics/<t> and /admin/delete_topics/<t>, each fenced. Missing
 * nodes are not an error. */
sm_err_t sm_kzk_delete_topic(sm_zk_t *zk, const char *topic,
			     int32_t controller_epoch_zkv);
/* Removes only the deletion marker (unknown topic, deletion disabled). */
sm_err_t sm_kzk_delete_topic_marker(sm_zk_t *zk, const char *topic,
				    int32_t controller_epoch_zkv);

/* ---- configs ---- */

/* Overrides of an entity (/config/<type>/<name>); a missing node yields an
 * empty config and 0. */
sm_err_t sm_kzk_get_entity_config(sm_zk_t *zk, const char *type,
				  const char *name, sm_zk_config_t *out);
sm_err_t sm_kzk_get_topic_config(sm_zk_t *zk, const char *topic,
				 sm_zk_config_t *out);
/* Writes /config/<type>/<name> (created if missing) and then the change
 * notification for "<type>/<name>". */
sm_err_t sm_kzk_set_entity_config(sm_zk_t *zk, const char *type,
				  const char *name, const sm_zk_config_t *cfg);
/* Creates /config/changes/config_change_<seq> for entity_path. */
sm_err_t sm_kzk_write_config_change(sm_zk_t *zk, const char *entity_path);

/* ---- /admin/reassign_partitions (and the tool's reassignment file) ---- */
typedef struct sm_kzk_reassignment {
	char *topic;
	int32_t partition;
	int n_replicas;
	int32_t *replicas;
} sm_kzk_reassignment_t;
/* {"version":1,"partitions":[{"topic":..,"partition":..,"replicas":[..]
 * (,"log_dirs":[..])}]}: log_dirs is accepted and ignored; anything else
 * malformed -> SM_ERR__PARSE with the reason in err. *outp is malloc'd. */
sm_err_t sm_kzk_reassignment_decode(const char *json, size_t len, sm_kzk_reassignment_t **outp,
				    int *np, char *err, size_t errlen);
/* The same JSON; with_log_dirs adds "log_dirs":["any",..] as the tool
 * prints it. malloc'd. */
char *sm_kzk_reassignment_encode(const sm_kzk_reassignment_t *r, int n, int with_log_dirs);
void sm_kzk_reassignments_free(sm_kzk_reassignment_t *r, int n);

/* ---- validation and assignment (no ZooKeeper) ---- */

#define SM_TOPIC_NAME_MAX 249

/* Topic name rules: 1-249 chars of [a-zA-Z0-9._-], not "." or "..".
 * SM_ERR_INVALID_TOPIC_EXCEPTION with Kafka's message in err. */
sm_err_t sm_kzk_validate_topic_name(const char *name, char *err,
				    size_t errlen);
/* 1 if the name contains '.' or '_' (Kafka warns that such names may
 * collide in metric names). */
int sm_kzk_topic_has_collision_chars(const char *name);
/* SM_ERR_INVALID_TOPIC_EXCEPTION if name collides with one of existing[]
 * after mapping '.' to '_' (an identical name is not a collision: the caller
 * reports TOPIC_ALREADY_EXISTS for that). */
sm_err_t sm_kzk_check_topic_collision(const char *name, char *const *existing,
				      int n_existing, char *err,
				      size_t errlen);

/* AdminUtils.assignReplicasToBrokers without racks. brokers need not be
 * sorted (a sorted copy is used). start_index / replica_shift < 0 pick
 * random values, as Kafka does. Partitions are numbered from
 * start_partition (>= 0). *out receives n_partitions * rf broker ids
 * (row per partition), malloc'd.
 * Errors: SM_ERR_INVALID_PARTITIONS (n_partitions <= 0),
 * SM_ERR_INVALID_REPLICATION_FACTOR (rf <= 0 or rf > n_brokers), with
 * Kafka's message in err. */
sm_err_t sm_kzk_assign_replicas(const int32_t *brokers, int n_brokers,
				int n_partitions, int rf, int start_index,
				int replica_shift, int start_partition,
				int32_t **out, char *err, size_t errlen);

/* AdminUtils.assignReplicasToBrokersRackAware when racks[] (aligned with
 * brokers[], entries may be NULL) name a rack for every broker; no rack at
 * all falls back to sm_kzk_assign_replicas; some but not all ->
 * SM_ERR_UNKNOWN_SERVER_ERROR ("Not all brokers have rack information for
 * replica rack aware assignment."). Brokers are alternated by rack (racks
 * sorted, brokers sorted within each), and each partition's replicas land
 * on distinct racks while there are racks left. Same out/errors as above. */
sm_err_t sm_kzk_assign_replicas_rack(const int32_t *brokers, char *const *racks,
				     int n_brokers, int n_partitions, int rf,
				     int start_index, int replica_shift,
				     int start_partition, int32_t **out,
				     char *err, size_t errlen);

/* AdminZkClient's default: assignment over the registered brokers, rack-
 * aware when they have racks. fixed_start_index (Kafka's fixedStartIndex)
 * sets both the start index and the replica shift; -1 picks them at
 * random. */
sm_err_t sm_kzk_assign_replicas_live(sm_zk_t *zk, int n_partitions, int rf,
				     int fixed_start_index, int start_partition,
				     int32_t **out, char *err, size_t errlen);

/* ACL paths (Kafka's createAclPaths): /kafka-acl, /kafka-acl-changes,
 * /kafka-acl-extended/prefixed, /kafka-acl-extended-changes. */
sm_err_t sm_kzk_create_acl_paths(sm_zk_t *zk);
/* Announces a change of a resource's ACLs (zk_data.h): a sequential node
 * under /kafka-acl-changes (literal) or /kafka-acl-extended-changes. */
sm_err_t sm_kzk_write_acl_change(sm_zk_t *zk, int pattern, int res_type, const char *name);

#endif /* SM_KAFKA_ZK_H */
