/*
 * zk_data.h - one typed entry per znode Samsa uses: path builders and JSON
 * encode/decode in exactly the shapes Kafka 2.8 writes (Kafka's ZkData).
 *
 * Encoders return malloc'd NUL-terminated JSON (caller frees). Decoders
 * accept any key order, ignore unknown keys, accept the older versions Kafka
 * still reads, and reject malformed JSON or wrongly-typed fields with
 * SM_ERR__PARSE and a message in err naming the problem; they never crash on
 * bad bytes. A decoded struct owns its memory: release it with the matching
 * _clear() (safe on a zeroed or already-cleared struct).
 *
 * Thread-safety: pure functions; sm_uuid_random() reads the kernel RNG.
 */
#ifndef SM_ZK_DATA_H
#define SM_ZK_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* ---- UUIDs (topic ids, cluster id): 22-char URL-safe base64, no padding ---- */

#define SM_UUID_B64_LEN 22

/* 16 random bytes (getrandom, falling back to /dev/urandom). Like Java's
 * Uuid.randomUuid the result is never all-zero (the "ZERO_UUID" sentinel)
 * and never starts with '-' when encoded. */
void sm_uuid_random(uint8_t out[16]);
/* Writes 22 chars + NUL into out. */
void sm_uuid_to_b64(const uint8_t id[16], char out[SM_UUID_B64_LEN + 1]);
/* 0 on success, -1 if s is not exactly 22 valid URL-safe base64 chars. */
int sm_uuid_from_b64(const char *s, uint8_t out[16]);
int sm_uuid_is_zero(const uint8_t id[16]);

/* ---- paths (malloc'd) ---- */

char *sm_zkpath_broker(int32_t id);                 /* /brokers/ids/<id> */
char *sm_zkpath_topic(const char *topic);           /* /brokers/topics/<t> */
char *sm_zkpath_topic_partitions(const char *topic);/* .../<t>/partitions */
char *sm_zkpath_partition(const char *topic, int32_t p);    /* .../partitions/<p> */
char *sm_zkpath_partition_state(const char *topic, int32_t p); /* .../<p>/state */
char *sm_zkpath_topic_config(const char *topic);    /* /config/topics/<t> */
char *sm_zkpath_entity_config(const char *type, const char *name); /* /config/<type>/<name> */
char *sm_zkpath_delete_topic(const char *topic);    /* /admin/delete_topics/<t> */

#define SM_ZKPATH_CONTROLLER "/controller"
#define SM_ZKPATH_CONTROLLER_EPOCH "/controller_epoch"
#define SM_ZKPATH_BROKER_IDS "/brokers/ids"
#define SM_ZKPATH_TOPICS "/brokers/topics"
#define SM_ZKPATH_DELETE_TOPICS "/admin/delete_topics"
#define SM_ZKPATH_CLUSTER_ID "/cluster/id"
#define SM_ZKPATH_CONFIG_CHANGES "/config/changes"
#define SM_ZKPATH_CONFIG_CHANGE_PREFIX "/config/changes/config_change_"
#define SM_ZKPATH_ISR_CHANGE "/isr_change_notification"
#define SM_ZKPATH_ISR_CHANGE_PREFIX "/isr_change_notification/isr_change_"
#define SM_ZKPATH_LOG_DIR_EVENT "/log_dir_event_notification"
#define SM_ZKPATH_LOG_DIR_EVENT_PREFIX "/log_dir_event_notification/log_dir_event_"

/* ---- /brokers/ids/<id>: broker registration ---- */

typedef struct sm_zk_endpoint {
	char *listener;          /* "PLAINTEXT", "REPLICATION", ... */
	char *host;              /* may be "" */
	int32_t port;
	char *security_protocol; /* "PLAINTEXT", "SSL", "SASL_PLAINTEXT", ... */
} sm_zk_endpoint_t;

typedef struct sm_zk_broker_info {
	int32_t id;         /* from the path, not the JSON */
	int version;        /* decoded version; encode always writes 5 */
	char *host;         /* legacy host (NULL if null) */
	int32_t port;       /* legacy port (-1 if none) */
	int32_t jmx_port;
	int64_t timestamp;  /* ms */
	char *rack;         /* NULL if unset */
	int n_endpoints;
	sm_zk_endpoint_t *endpoints;
	int64_t epoch;      /* czxid of the znode; filled by kafka_zk readers */
} sm_zk_broker_info_t;

/* Version 5 JSON. host/port are taken from the first PLAINTEXT endpoint
 * (null/-1 if none) regardless of info->host/port. */
char *sm_zk_broker_encode(const sm_zk_broker_info_t *info);
/* Decodes versions 1-5. Does not touch out->id/out->epoch. */
sm_err_t sm_zk_broker_decode(const char *json, size_t len,
			     sm_zk_broker_info_t *out, char *err, size_t errlen);
void sm_zk_broker_clear(sm_zk_broker_info_t *info);
/* Adds an endpoint (copies strings). */
void sm_zk_broker_add_endpoint(sm_zk_broker_info_t *info, const char *listener,
			       const char *host, int32_t port,
			       const char *security_protocol);
/* Parses "LISTENER://host:port" ("[v6]:port" and empty host allowed) into
 * listener/host/port (malloc'd). -1 if malformed. */
int sm_zk_parse_endpoint(const char *s, char **listener, char **host,
			 int32_t *port);

/* ---- /controller and /controller_epoch ---- */

char *sm_zk_controller_encode(int32_t broker_id, int64_t timestamp_ms);
sm_err_t sm_zk_controller_decode(const char *json, size_t len,
				 int32_t *broker_id, char *err, size_t errlen);
char *sm_zk_controller_epoch_encode(int32_t epoch);
sm_err_t sm_zk_controller_epoch_decode(const char *data, size_t len,
				       int32_t *epoch, char *err, size_t errlen);

/* ---- /brokers/topics/<t>: replica assignment ---- */

typedef struct sm_zk_partition_assignment {
	int32_t partition;
	int n_replicas;
	int32_t *replicas;
	int n_adding;
	int32_t *adding;
	int n_removing;
	int32_t *removing;
} sm_zk_partition_assignment_t;

typedef struct sm_zk_topic_assignment {
	int has_topic_id;
	uint8_t topic_id[16];
	int version;          /* decoded version; encode always writes 3 */
	int n_partitions;     /* sorted by partition id after decode */
	sm_zk_partition_assignment_t *partitions;
} sm_zk_topic_assignment_t;

/* Version 3 JSON; topic_id is written only if has_topic_id. */
char *sm_zk_topic_encode(const sm_zk_topic_assignment_t *a);
/* Decodes versions 1-3; missing adding/removing/topic_id are empty/absent. */
sm_err_t sm_zk_topic_decode(const char *json, size_t len,
			    sm_zk_topic_assignment_t *out, char *err,
			    size_t errlen);
void sm_zk_topic_clear(sm_zk_topic_assignment_t *a);
/* Appends a partition with a copy of replicas; returns it. */
sm_zk_partition_assignment_t *
sm_zk_topic_add_partition(sm_zk_topic_assignment_t *a, int32_t partition,
			  const int32_t *replicas, int n);
/* The partition's entry, or NULL. */
const sm_zk_partition_assignment_t *
sm_zk_topic_find(const sm_zk_topic_assignment_t *a, int32_t partition);

/* ---- /brokers/topics/<t>/partitions/<p>/state ---- */

typedef struct sm_zk_partition_state {
	int32_t leader;
	int32_t leader_epoch;
	int32_t controller_epoch;
	int32_t leader_recovery_state; /* 0 RECOVERED (key omitted), 1 RECOVERING */
	int n_isr;
	int32_t *isr;
	int32_t zk_version;            /* Stat.version; filled by kafka_zk */
} sm_zk_partition_state_t;

char *sm_zk_partition_state_encode(const sm_zk_partition_state_t *st);
sm_err_t sm_zk_partition_state_decode(const char *json, size_t len,
				      sm_zk_partition_state_t *out, char *err,
				      size_t errlen);
void sm_zk_partition_state_clear(sm_zk_partition_state_t *st);
void sm_zk_partition_state_set_isr(sm_zk_partition_state_t *st,
				   const int32_t *isr, int n);

/* ---- /cluster/id ---- */

char *sm_zk_cluster_id_encode(const char *id);
/* *idp receives a malloc'd copy of the id. */
sm_err_t sm_zk_cluster_id_decode(const char *json, size_t len, char **idp,
				 char *err, size_t errlen);

/* ---- /config/<type>/<name>: dynamic config overrides ---- */

typedef struct sm_zk_config {
	int n;
	char **keys;
	char **values;
} sm_zk_config_t;

/* {"version":1,"config":{...}} with string values. cfg may be NULL (empty). */
char *sm_zk_config_encode(const sm_zk_config_t *cfg);
/* Non-string values are rejected (Kafka writes only strings). */
sm_err_t sm_zk_config_decode(const char *json, size_t len, sm_zk_config_t *out,
			     char *err, size_t errlen);
void sm_zk_config_clear(sm_zk_config_t *cfg);
/* Sets (replacing an existing key) or appends key=value. */
void sm_zk_config_set(sm_zk_config_t *cfg, const char *key, const char *value);
/* Removes key (the others keep their order); nothing when absent. */
void sm_zk_config_remove(sm_zk_config_t *cfg, const char *key);
/* Value for key, or NULL. */
const char *sm_zk_config_get(const sm_zk_config_t *cfg, const char *key);

/* ---- /config/changes/config_change_<seq> ---- */

/* {"version":2,"entity_path":"topics/x"} */
char *sm_zk_config_change_encode(const char *entity_path);
/* Accepts version 2, and version 1 ({"entity_type","entity_name"}) which is
 * mapped to "<type>/<name>". *entity_pathp is malloc'd. */
sm_err_t sm_zk_config_change_decode(const char *json, size_t len,
				    char **entity_pathp, char *err,
				    size_t errlen);

/* ---- /isr_change_notification/isr_change_<seq> ---- */

typedef struct sm_zk_topic_partition {
	char *topic;
	int32_t partition;
} sm_zk_topic_partition_t;

char *sm_zk_isr_change_encode(const sm_zk_topic_partition_t *tps, int n);
/* *tpsp is a malloc'd array; free with sm_zk_topic_partitions_free(). */
sm_err_t sm_zk_isr_change_decode(const char *json, size_t len,
				 sm_zk_topic_partition_t **tpsp, int *np,
				 char *err, size_t errlen);
/* The same {"version":1,"partitions":[{"topic","partition"}...]} shape under
 * another znode (/admin/preferred_replica_election); what names it in err. */
sm_err_t sm_zk_partitions_list_decode(const char *json, size_t len, const char *what,
				      sm_zk_topic_partition_t **tpsp, int *np,
				      char *err, size_t errlen);
void sm_zk_topic_partitions_free(sm_zk_topic_partition_t *tps, int n);

/* ---- /log_dir_event_notification/log_dir_event_<seq> ---- */

/* {"version":1,"broker":N,"event":1}: broker N lost a log dir (event 1,
 * LogDirFailure, is the only one Kafka defines). */
#define SM_ZK_LOG_DIR_FAILURE 1
char *sm_zk_log_dir_event_encode(int32_t broker);
sm_err_t sm_zk_log_dir_event_decode(const char *json, size_t len, int32_t *brokerp,
				    char *err, size_t errlen);

/* ---- /latest_producer_id_block ---- */

/* {"version":1,"broker":<id>,"block_start":"<n>","block_end":"<m>"}: the
 * bounds (inclusive) as decimal strings, as Kafka's ProducerIdBlockZNode. */
char *sm_zk_producer_id_block_encode(int32_t broker, int64_t start, int64_t end);
sm_err_t sm_zk_producer_id_block_decode(const char *json, size_t len, int32_t *brokerp,
					int64_t *startp, int64_t *endp, char *err,
					size_t errlen);

/* ---- ACLs (Kafka's ZkAclStore and ZkAclChangeStore) ----
 * Literal patterns: /kafka-acl/<Type>/<name>; prefixed patterns:
 * /kafka-acl-extended/prefixed/<Type>/<name>; each holds
 * {"version":1,"acls":[{"principal":"User:a","permissionType":"Allow",
 * "operation":"Read","host":"*"}]}. A change to a literal resource is
 * announced by /kafka-acl-changes/acl_changes_<seq> holding "TOPIC:<name>",
 * to any other by /kafka-acl-extended-changes/acl_changes_<seq> holding
 * {"version":1,"resourceType":"TOPIC","name":"x","patternType":"PREFIXED"}.
 * The codes are the wire values of Kafka's enums. */

#define SM_ZKPATH_ACL "/kafka-acl"
#define SM_ZKPATH_ACL_EXT "/kafka-acl-extended"
#define SM_ZKPATH_ACL_PREFIXED "/kafka-acl-extended/prefixed"
#define SM_ZKPATH_ACL_CHANGES "/kafka-acl-changes"
#define SM_ZKPATH_ACL_EXT_CHANGES "/kafka-acl-extended-changes"
#define SM_ZK_ACL_CHANGE_PREFIX "acl_changes_"

enum { /* ResourceType */
	SM_ACL_RES_UNKNOWN = 0, SM_ACL_RES_ANY = 1, SM_ACL_RES_TOPIC = 2, SM_ACL_RES_GROUP = 3,
	SM_ACL_RES_CLUSTER = 4, SM_ACL_RES_TXN_ID = 5, SM_ACL_RES_DELEGATION_TOKEN = 6,
};
enum { /* PatternType */
	SM_ACL_PAT_UNKNOWN = 0, SM_ACL_PAT_ANY = 1, SM_ACL_PAT_MATCH = 2, SM_ACL_PAT_LITERAL = 3,
	SM_ACL_PAT_PREFIXED = 4,
};
enum { /* AclOperation */
	SM_ACL_OP_UNKNOWN = 0, SM_ACL_OP_ANY = 1, SM_ACL_OP_ALL = 2, SM_ACL_OP_READ = 3,
	SM_ACL_OP_WRITE = 4, SM_ACL_OP_CREATE = 5, SM_ACL_OP_DELETE = 6, SM_ACL_OP_ALTER = 7,
	SM_ACL_OP_DESCRIBE = 8, SM_ACL_OP_CLUSTER_ACTION = 9, SM_ACL_OP_DESCRIBE_CONFIGS = 10,
	SM_ACL_OP_ALTER_CONFIGS = 11, SM_ACL_OP_IDEMPOTENT_WRITE = 12,
};
enum { /* AclPermissionType */
	SM_ACL_PERM_UNKNOWN = 0, SM_ACL_PERM_ANY = 1, SM_ACL_PERM_DENY = 2, SM_ACL_PERM_ALLOW = 3,
};
#define SM_ACL_CLUSTER_NAME "kafka-cluster"

/* Names of a code: the znode/JSON form ("Topic", "ClusterAction", "Allow")
 * and the Java enum form ("TOPIC", "CLUSTER_ACTION", "ALLOW", "PREFIXED");
 * "UNKNOWN" for codes outside the enum. */
const char *sm_acl_res_name(int code);
const char *sm_acl_res_enum(int code);
const char *sm_acl_op_name(int code);
const char *sm_acl_op_enum(int code);
const char *sm_acl_perm_name(int code);
const char *sm_acl_perm_enum(int code);
const char *sm_acl_pat_enum(int code);
/* Code of a name in either form, case-insensitive, '-' and '_' optional
 * ("cluster-action", "ClusterAction", "CLUSTER_ACTION"); 0 when unknown. */
int sm_acl_res_parse(const char *s);
int sm_acl_op_parse(const char *s);
int sm_acl_perm_parse(const char *s);
int sm_acl_pat_parse(const char *s);

typedef struct sm_zk_acl {
	char *principal;
	char *host;
	int8_t op;
	int8_t perm;
} sm_zk_acl_t;

/* Path of a resource's znode (malloc'd), or NULL when the pattern or type is
 * not one that is stored or the name could not be a znode name (empty, ".",
 * "..", or containing '/'). */
char *sm_zkpath_acl(int pattern, int res_type, const char *name);
char *sm_zk_acls_encode(const sm_zk_acl_t *acls, int n);
/* Entries with an unknown operation or permission are refused. */
sm_err_t sm_zk_acls_decode(const char *json, size_t len, sm_zk_acl_t **outp, int *np,
			   char *err, size_t errlen);
void sm_zk_acls_free(sm_zk_acl_t *acls, int n);
/* The change notification's data for a resource (malloc'd). */
char *sm_zk_acl_change_encode(int pattern, int res_type, const char *name);
/* extended: which change path the data came from. *namep is malloc'd. */
sm_err_t sm_zk_acl_change_decode(int extended, const char *data, size_t len, int *patternp,
				 int *res_typep, char **namep, char *err, size_t errlen);

#endif /* SM_ZK_DATA_H */
