/*
 * purgatory.h - delayed operations other than fetches (Kafka's
 * DelayedOperationPurgatory for DelayedProduce and DelayedDeleteRecords),
 * parked on the fetch purgatory's thread so that every high watermark
 * advance, append, ISR change or follower log start move re-checks them
 * together with the parked fetches.
 *
 * Users: acks=-1 produces (api_produce.c), DeleteRecords waiting for the
 * followers' log start offsets (api_storage.c) and the group coordinator's
 * acks=-1 writes to __consumer_offsets (group_metadata_manager.c), which
 * gets the purgatory from sm_kafka_apis_purgatory at startup; and
 * CreateTopics, DeleteTopics and CreatePartitions waiting for the metadata
 * cache (sm_apis_admin_await in api_admin.c, re-checked on every
 * UpdateMetadata).
 *
 * Thread-safety: sm_purgatory_add may be called from any thread, also from
 * fn; fn runs on the purgatory thread ("fetch-purgatory") without the
 * purgatory lock.
 */
#ifndef SM_PURGATORY_H
#define SM_PURGATORY_H

#include <stdint.h>

typedef struct sm_fetch_purgatory sm_fetch_purgatory_t;

/* Tries to complete the operation; expired is 1 once its deadline passed
 * (or the broker shuts down) and the operation must complete now. Returns 1
 * when it completed (and freed arg), else 0. */
typedef int (sm_delayed_op_fn)(void *arg, int expired);

/* Parks an operation until fn completes it or deadline (monotonic ms). It is
 * checked once soon after being added. */
void sm_purgatory_add(sm_fetch_purgatory_t *fp, int64_t deadline, sm_delayed_op_fn *fn, void *arg);

#endif /* SM_PURGATORY_H */
