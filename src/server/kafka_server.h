/*
 * kafka_server.h - the broker's lifecycle (Kafka's KafkaServer): startup in
 * Kafka's order (ZooKeeper, cluster id, log dirs, replica manager, listeners
 * bound, broker registration, controller, request processing), the periodic
 * checkpoint tasks, ZooKeeper session re-establishment, and clean shutdown.
 *
 * Thread-safety: startup/run/shutdown are called from the main thread only.
 */
#ifndef SM_KAFKA_SERVER_H
#define SM_KAFKA_SERVER_H

#include "kafka_config.h"

typedef struct sm_kafka_server sm_kafka_server_t;

sm_kafka_server_t *sm_kafka_server_new(sm_kafka_config_t *cfg);
/* 0 when started; -1 after logging a FATAL line naming the problem. */
int sm_kafka_server_startup(sm_kafka_server_t *s);
/* Runs periodic tasks until SIGTERM/SIGINT (which the caller has blocked in
 * every thread before startup). */
void sm_kafka_server_run(sm_kafka_server_t *s);
void sm_kafka_server_shutdown(sm_kafka_server_t *s);
void sm_kafka_server_destroy(sm_kafka_server_t *s);

#endif /* SM_KAFKA_SERVER_H */
