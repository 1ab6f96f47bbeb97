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
#include "zk_client.h"

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
/* 1 while this broker is the active controller. */
int sm_controller_is_active(sm_controller_t *c);
int32_t sm_controller_epoch(sm_controller_t *c);
/* Resigns (if active), stops the event thread. */
void sm_controller_shutdown(sm_controller_t *c);
void sm_controller_destroy(sm_controller_t *c);

#endif /* SM_CONTROLLER_H */
