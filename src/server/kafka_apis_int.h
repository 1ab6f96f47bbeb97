/*
 * kafka_apis_int.h - internals shared by kafka_apis.c and the per-family
 * handler files (api_*.c). Not for use elsewhere.
 */
#ifndef SM_KAFKA_APIS_INT_H
#define SM_KAFKA_APIS_INT_H

#include "buf.h"
#include "client_quota.h"
#include "clock.h"
#include "delayed_op.h"
#include "kafka_apis.h"
#include "protocol.h"
#include "zk_data.h"


struct sm_kafka_apis {
	sm_kafka_apis_deps_t d;
	const char *inter_broker_listener; /* listener the controller uses */
	sm_purgatory_t *purgatory; /* delayed_op.h: parked fetches, acks=-1 waits, admin waits */
	struct sm_pid_manager *pid_manager; /* NULL without ZooKeeper (tests) */
	const char *capture_dir; /* SM_REQUEST_CAPTURE_DIR (tests), or NULL */
};

/* One request in flight: everything a handler needs, heap-allocated so a
 * delayed operation can keep it until it answers. */
typedef struct sm_req_ctx {
	sm_kafka_apis_t *apis;
	sm_request_t *req;
	sm_req_header_t hdr;
	sm_arena_t arena;  /* decoded request structures */
	sm_rbuf_t body;    /* reader positioned at the request body */
	sm_wbuf_t resp;    /* response header + body being written */
	int n_refused;     /* sm_apis_refused calls so far */
	int quota_exempt;  /* replication: never counted against client quotas */
	int request_quota_done; /* its handler time was already recorded */
	/* request_percentage: the handler time (client_quota.h), and the
	 * holders of this struct: the handler until it returns, and whoever
	 * answers (sm_apis_ctx_free); the last frees it */
	sm_req_thread_time_t thread_time;
	atomic_int refs;
	int32_t mutation_throttle_ms;  /* controller_mutation_rate: the last */
	int64_t mutation_throttle_at;  /* throttle asked for, and when */
} sm_req_ctx_t;

typedef void (sm_api_handler_t)(sm_req_ctx_t *ctx);

/* What the arrays of one request may cost in its arena
 * (sm_arena_alloc_array): a fixed allowance plus a multiple of the frame,
 * because a decoded element is a few times larger than its smallest wire
 * form. Real requests stay far below it; a frame whose counts ask for more
 * is refused as malformed instead of making the broker balloon. */
#define SM_REQ_ARENA_BASE (64u << 20)
#define SM_REQ_ARENA_PER_BYTE 8u
/* Replicas (partitions x replication factor, summed over its topics) one
 * CreateTopics or CreatePartitions request may ask for, validate_only or
 * not; see docs/deviations.md. */
#define SM_ADMIN_MAX_REQUEST_REPLICAS (1 << 20)

/* Starts the response: writes the response header; returns the writer. */
sm_wbuf_t *sm_apis_resp_begin(sm_req_ctx_t *ctx);
/* Sends ctx->resp and frees ctx. */
void sm_apis_resp_send(sm_req_ctx_t *ctx);
/* No response (acks=0): unmutes the connection and frees ctx. */
void sm_apis_resp_none(sm_req_ctx_t *ctx);
/* Logs why and closes the connection; frees ctx. */
void sm_apis_close(sm_req_ctx_t *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Logs, naming the peer, why a request (or one topic/partition of it) is
 * answered with an error code; the connection stays open. Only the first
 * few of one request are logged, so a request refused 100,000 times does
 * not write 100,000 lines. */
void sm_apis_refused(sm_req_ctx_t *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One partition an acks=-1 write (Produce, WriteTxnMarkers) still waits for:
 * the partition (NULL once settled), the offset its high watermark must
 * pass, and the response field that receives the outcome. */
typedef struct sm_acks_wait {
	sm_partition_t *p;
	int64_t required;
	int16_t *error_code;
} sm_acks_wait_t;

/* Settles every wait whose partition reached its offset or failed, and at
 * expiry the rest with REQUEST_TIMED_OUT, releasing their partitions.
 * Returns 1 when none is left waiting. */
int sm_apis_acks_settle(sm_acks_wait_t *w, int n, int expired);
/* Parks an operation in the purgatory until deadline, watching the
 * partitions of the n waits (those not yet settled); its try after parking
 * runs on the calling handler, which holds no lock, and may complete it. */
void sm_apis_park_acks(sm_req_ctx_t *ctx, int64_t deadline, sm_delayed_op_fn *fn, void *arg,
		       const sm_acks_wait_t *w, int n);
/* Flags (arena array of n bytes) marking every name that occurs more than
 * once in names[0..n) (NULL names never match); sorts, so a request with
 * many names costs O(n log n). NULL when over the arena's budget. */
uint8_t *sm_apis_duplicates(sm_arena_t *a, const char *const *names, int n);
/* Client quotas (client_quota.h): records value against the request's
 * (user, client id) quota of type t and returns the throttle time in ms (0
 * when within quota); the connection is then kept muted that long after
 * the response is sent (the largest throttle asked for wins). */
int32_t sm_apis_quota_record(sm_req_ctx_t *ctx, int t, double value);
/* The response is throttled ms (> 0) because of quota type t: charged to
 * that sensor's throttle-time metric (Kafka's ClientQuotaManager.throttle,
 * called for the quota asking the longer time, the request quota on a
 * tie). */
void sm_apis_quota_throttled(sm_req_ctx_t *ctx, int t, int32_t ms);
/* request_percentage: records the request's handler time (up to now, or
 * up to the end of its handling when it was parked and is answered later,
 * client_quota.h sm_req_thread_time_t) and returns the throttle time; done
 * once per request, before its response is written, so that Produce and
 * Fetch carry it in throttle_time_ms. Otherwise it is recorded when the
 * response is sent. */
int32_t sm_apis_request_quota_now(sm_req_ctx_t *ctx);
/* controller_mutation_rate (KIP-599) for CreateTopics, CreatePartitions
 * and DeleteTopics: 1 once client quotas are enabled (any quota entity
 * configured), when every client's mutations are measured, so a handler
 * only splits validation from the mutation then. */
int sm_apis_mutation_quota_applies(sm_req_ctx_t *ctx);
/* Takes partitions (created or deleted) from the request's bucket; strict
 * (the newer versions) refuses with SM_ERR_THROTTLING_QUOTA_EXCEEDED, and
 * errmsg (may be NULL) gets Kafka's message. */
sm_err_t sm_apis_mutation_record(sm_req_ctx_t *ctx, int strict, double partitions, char *errmsg,
				 size_t errlen);
/* For the response: the larger of what is left of the last mutation
 * throttle asked for (Kafka deducts the time the request waited) and the
 * request_percentage throttle; the connection is muted that long after the
 * response goes out. */
int32_t sm_apis_mutation_throttle(sm_req_ctx_t *ctx);
/* The quota user of the request: its principal's name ("ANONYMOUS"). */
const char *sm_apis_quota_user(const sm_req_ctx_t *ctx);
/* For a body that failed to parse. */
void sm_apis_parse_error(sm_req_ctx_t *ctx);
void sm_apis_ctx_free(sm_req_ctx_t *ctx);

int64_t sm_clock_wall_ms(void);      /* wall clock */
int64_t sm_clock_mono_ms(void);     /* monotonic */

/* Authorization (api_acls.c, authorizer.h): whether the request's principal
 * may do op on the resource (codes of zk_data.h; the name is ignored for the
 * cluster). Always 1 without an authorizer. One call per check, so
 * handlers stay as Kafka's KafkaApis reads. */
int sm_apis_authorized(sm_req_ctx_t *ctx, int op, int res_type, const char *name);
/* The same without logging a refusal (checks that filter a listing). */
int sm_apis_authorized_quiet(sm_req_ctx_t *ctx, int op, int res_type, const char *name);
/* Kafka's authorizeByResourceType. */
int sm_apis_authorized_any(sm_req_ctx_t *ctx, int op, int res_type);
/* Allowed operations as a bitfield (include_*_authorized_operations). */
int32_t sm_apis_authorized_ops(sm_req_ctx_t *ctx, int res_type, const char *name);

/* Handlers (api_*.c). */
sm_api_handler_t sm_api_create_acls;
sm_api_handler_t sm_api_describe_client_quotas;
sm_api_handler_t sm_api_alter_client_quotas;
sm_api_handler_t sm_api_describe_acls;
sm_api_handler_t sm_api_delete_acls;
sm_api_handler_t sm_api_controlled_shutdown;
sm_api_handler_t sm_api_describe_cluster;
sm_api_handler_t sm_api_offset_commit;
sm_api_handler_t sm_api_offset_fetch;
sm_api_handler_t sm_api_find_coordinator;
sm_api_handler_t sm_api_join_group;
sm_api_handler_t sm_api_heartbeat;
sm_api_handler_t sm_api_leave_group;
sm_api_handler_t sm_api_sync_group;
sm_api_handler_t sm_api_describe_groups;
sm_api_handler_t sm_api_list_groups;
sm_api_handler_t sm_api_delete_records;
sm_api_handler_t sm_api_offset_for_leader_epoch;
sm_api_handler_t sm_api_describe_configs;
sm_api_handler_t sm_api_alter_configs;
sm_api_handler_t sm_api_describe_log_dirs;
sm_api_handler_t sm_api_alter_replica_log_dirs;
sm_api_handler_t sm_api_create_partitions;
sm_api_handler_t sm_api_delete_groups;
sm_api_handler_t sm_api_elect_leaders;
sm_api_handler_t sm_api_incremental_alter_configs;
sm_api_handler_t sm_api_alter_partition_reassignments;
sm_api_handler_t sm_api_list_partition_reassignments;
sm_api_handler_t sm_api_offset_delete;
sm_api_handler_t sm_api_produce;
sm_api_handler_t sm_api_fetch;
sm_api_handler_t sm_api_list_offsets;
sm_api_handler_t sm_api_metadata;
sm_api_handler_t sm_api_leader_and_isr;
sm_api_handler_t sm_api_stop_replica;
sm_api_handler_t sm_api_update_metadata;
sm_api_handler_t sm_api_create_topics;
sm_api_handler_t sm_api_delete_topics;
sm_api_handler_t sm_api_init_producer_id;
sm_api_handler_t sm_api_sasl_handshake;
sm_api_handler_t sm_api_sasl_authenticate;
sm_api_handler_t sm_api_describe_user_scram_credentials;
sm_api_handler_t sm_api_alter_user_scram_credentials;
sm_api_handler_t sm_api_write_txn_markers;
sm_api_handler_t sm_api_txn_offset_commit;
sm_api_handler_t sm_api_add_partitions_to_txn;
sm_api_handler_t sm_api_add_offsets_to_txn;
sm_api_handler_t sm_api_end_txn;

/* The transaction coordinator's side of InitProducerId and FindCoordinator
 * (api_txn.c). The first answers the request itself. */
void sm_api_txn_init_producer_id(sm_req_ctx_t *ctx, const char *tid, int32_t timeout_ms,
				 int64_t expected_pid, int16_t expected_epoch);
/* The leader of tid's __transaction_state partition on ctx's listener;
 * COORDINATOR_NOT_AVAILABLE (the topic is created when missing). */
sm_err_t sm_api_txn_coordinator_node(sm_req_ctx_t *ctx, const char *tid, int32_t *node,
				     const char **host, int32_t *port);

/* Fetch purgatory (api_fetch.c). */
/* The replica manager's append listener: something changed on partition p
 * (append, high watermark, ISR, a follower's log start): its watchers in
 * the purgatory are tried again. */
void sm_apis_partition_changed(void *opaque, sm_partition_t *p);

/* A topic-admin request (CreateTopics, DeleteTopics, CreatePartitions)
 * waiting until the metadata cache shows each item's result (Kafka's
 * DelayedCreatePartitions / DelayedDeleteTopics). It is parked in the
 * purgatory, which re-checks it whenever an UpdateMetadata arrives, so no
 * handler thread waits. settled(d, i) tells whether item i is done;
 * timed_out(d, i) marks an item still waiting at the deadline; respond(d)
 * writes and sends the response; all three run on one thread at a time.
 * waiting[] (n entries) says which items wait; sm_apis_admin_await
 * consumes d (and frees it and waiting when it answers). */
typedef struct sm_admin_delayed sm_admin_delayed_t;
struct sm_admin_delayed {
	sm_req_ctx_t *ctx;
	int n;
	unsigned char *waiting;
	void *resp; /* the handler's response, in ctx's arena */
	const void *req;
	int (*settled)(sm_admin_delayed_t *d, int i);
	void (*timed_out)(sm_admin_delayed_t *d, int i);
	void (*respond)(sm_admin_delayed_t *d);
};
void sm_apis_admin_await(sm_admin_delayed_t *d, int32_t timeout_ms);

/* Topic auto-creation and creation through ZooKeeper (api_admin.c):
 * assignment over the live brokers of the metadata cache. */
sm_err_t sm_apis_create_topic(sm_kafka_apis_t *apis, const char *topic, int32_t partitions,
			      int16_t rf, const int32_t *assignment, int n_assigned_partitions,
			      int assignment_rf, char *const *cfg_keys, char *const *cfg_values,
			      int n_cfg, int validate_only, char *err, size_t errlen);

/* Every topic config with its effective value and source for a topic whose
 * overrides are over, computed as DescribeConfigs reports them (Kafka's
 * createTopicConfigEntry; api_configs.c): an override is
 * DYNAMIC_TOPIC_CONFIG with its canonical value, any other config takes the
 * broker synonym's value and source (STATIC_BROKER_CONFIG or
 * DEFAULT_CONFIG). Allocated in a, sorted by name; returns the count. */
struct sm_zk_config;
typedef struct sm_apis_topic_config {
	const char *name, *value;
	int8_t source; /* SM_CONFIG_SOURCE_* */
	int read_only, is_sensitive;
} sm_apis_topic_config_t;
/* dyn (may be NULL): the dynamic broker configs, whose values and sources
 * topics without an override follow; cfg is used without it. */
int sm_apis_topic_configs(const sm_kafka_config_t *cfg, sm_dyn_config_t *dyn,
			  const struct sm_zk_config *over, sm_arena_t *a,
			  sm_apis_topic_config_t **out);

#endif /* SM_KAFKA_APIS_INT_H */
