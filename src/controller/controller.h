/*
 * controller.h - the controller module every broker runs (Kafka's
 * KafkaController): it watches /controller, takes part in the election, and
 * when elected drives the cluster from one event queue drained by one thread
 * ("controller-event-thread"): broker and topic changes become partition and
 * replica state transitions, written to ZooKeeper (fenced by the controller
 * epoch) and sent to brokers as LeaderAndIsr / UpdateMetadata / StopReplica.
 *
 * Thread-safety: the public functions are thread-safe. ZooKeeper watches
 * only enqueue events; all controller state (the context, both state
 * machines) is touched only by the event thread.
 */
#ifndef SM_CONTROLLER_H
#define SM_CONTROLLER_H

#include <stdint.h>

#include "kafka_config.h"
#include "err.h"
#include "zk_client.h"
#include "zk_data.h"
#include "metrics.h"

typedef struct sm_controller sm_controller_t;

/* inter_broker_listener: the listener name the controller uses to reach
 * brokers (their endpoint of that name in /brokers/ids/<id>). */
sm_controller_t *sm_controller_new(const sm_kafka_config_t *cfg, int32_t broker_id, sm_zk_t *zk,
				   const char *inter_broker_listener);
/* Starts the event thread and enqueues Startup (watch /controller, elect). */
void sm_controller_startup(sm_controller_t *c);
/* Called (from any thread) when the broker re-created its ZooKeeper session:
 * resigns if active, re-arms watches and re-runs the election. */
void sm_controller_session_reestablished(sm_controller_t *c);
/* Feeds a ZooKeeper watch event (from the session's watcher callback). */
void sm_controller_zk_event(sm_controller_t *c, int type, const char *path);
/* A new effective broker config (dynamic broker configs): later elections
 * take unclean.leader.election.enable from it. */
void sm_controller_broker_config_changed(sm_controller_t *c, const sm_kafka_config_t *cfg);
/* 1 while this broker is the active controller. */
int sm_controller_is_active(sm_controller_t *c);
/* KafkaController gauges (ActiveControllerCount, OfflinePartitionsCount,
 * GlobalTopicCount, GlobalPartitionCount) into g; untouched when not active. */
void sm_controller_metrics(sm_controller_t *c, sm_metrics_gauges_t *g);
/* ControllerStats counters (leader elections and their time, unclean
 * elections) into g, active or not: they count since startup. */
void sm_controller_stats(sm_controller_t *c, sm_metrics_gauges_t *g);
int32_t sm_controller_epoch(sm_controller_t *c);
/* One partition's outcome of an admin operation. */
typedef struct sm_ctrl_tp_result {
	char *topic;         /* malloc'd */
	int32_t partition;
	int16_t error;
	const char *message; /* static text or NULL */
} sm_ctrl_tp_result_t;

/* ElectLeaders through the event queue (Kafka's ReplicaLeaderElection):
 * election_type 0 = preferred, 1 = unclean. tps NULL = every partition.
 * Blocks up to timeout_ms. Returns SM_ERR_NOT_CONTROLLER if this broker is
 * not (or stops being) the controller, SM_ERR_REQUEST_TIMED_OUT, or 0 with
 * *res (malloc'd; free with sm_controller_results_free) per partition. */
sm_err_t sm_controller_elect_leaders(sm_controller_t *c, int election_type,
				     const sm_zk_topic_partition_t *tps, int n_tps, int timeout_ms,
				     sm_ctrl_tp_result_t **res, int *n_res);
/* ControlledShutdown for broker_id (the controller side): moves leadership
 * away, takes the broker out of ISRs, and returns in *remaining the
 * partitions it still leads. Errors as above plus
 * SM_ERR_BROKER_NOT_AVAILABLE and SM_ERR_STALE_BROKER_EPOCH. */
sm_err_t sm_controller_controlled_shutdown(sm_controller_t *c, int32_t broker_id,
					   int64_t broker_epoch, int timeout_ms,
					   sm_ctrl_tp_result_t **remaining, int *n_remaining);
/* AlterPartitionReassignments: targets[i] (n_targets[i] replicas) for
 * tps[i]; a NULL target cancels that partition's reassignment. Results per
 * partition as above. */
sm_err_t sm_controller_alter_reassignments(sm_controller_t *c, const sm_zk_topic_partition_t *tps,
					   int32_t *const *targets, const int *n_targets, int n,
					   int timeout_ms, sm_ctrl_tp_result_t **res, int *n_res);
void sm_controller_results_free(sm_ctrl_tp_result_t *res, int n);
/* Resigns (if active), stops the event thread. */
void sm_controller_shutdown(sm_controller_t *c);
void sm_controller_destroy(sm_controller_t *c);

#endif /* SM_CONTROLLER_H */
