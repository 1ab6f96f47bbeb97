/*
 * producer_id_manager.h - hands out producer ids (Kafka 2.8's
 * ProducerIdManager for IBP < 3.0): blocks of 1000 ids are claimed from the
 * /latest_producer_id_block znode with a conditional (versioned) setData, so
 * ids stay unique across brokers and restarts; inside its block a broker
 * hands them out one after the other.
 *
 * Thread-safety: sm_pid_manager_next is called by concurrent request handler
 * threads; a mutex serialises it (claiming a new block is a blocking
 * ZooKeeper round trip, as in Kafka).
 */
#ifndef SM_PRODUCER_ID_MANAGER_H
#define SM_PRODUCER_ID_MANAGER_H

#include <stdint.h>

#include "err.h"
#include "zk_client.h"

#define SM_PID_BLOCK_SIZE 1000
#define SM_PID_BLOCK_ZNODE "/latest_producer_id_block"

typedef struct sm_pid_manager sm_pid_manager_t;

/* Claims the first block right away, as Kafka's coordinator does at
 * startup (so every broker start uses up a block); a failure is logged and
 * retried on the first request. */
sm_pid_manager_t *sm_pid_manager_new(sm_zk_t *zk, int32_t broker_id);
void sm_pid_manager_destroy(sm_pid_manager_t *m);
/* The next producer id; SM_ERR_COORDINATOR_NOT_AVAILABLE when no block
 * could be claimed (ZooKeeper unreachable, garbage in the znode, ids
 * exhausted). */
sm_err_t sm_pid_manager_next(sm_pid_manager_t *m, int64_t *pid);

#endif /* SM_PRODUCER_ID_MANAGER_H */
