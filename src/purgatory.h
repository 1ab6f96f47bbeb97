/*
 * purgatory.h - delayed operations other than fetches (Kafka's
 * DelayedOperationPurgatory for DelayedProduce), parked on the fetch
 * purgatory's thread so that every high watermark advance, append or ISR
 * change re-checks them together with the parked fetches.
 *
 * Thread-safety: sm_purgatory_add may be called from any thread; fn runs on
 * the purgatory thread ("fetch-purgatory") without the purgatory lock.
 */
#ifndef SM_PURGATORY_H
#define SM_PURGATORY_H

#include <stdint.h>

#include "kafka_apis_int.h"

/* Tries to complete the operation; expired is 1 once its deadline passed
 * (or the broker shuts down) and the operation must complete now. Returns 1
 * when it completed (and freed arg), else 0. */
typedef int (sm_delayed_op_fn)(void *arg, int expired);

/* Parks an operation until fn completes it or deadline (monotonic ms). It is
 * checked once soon after being added. */
void sm_purgatory_add(sm_fetch_purgatory_t *fp, int64_t deadline, sm_delayed_op_fn *fn, void *arg);

#endif /* SM_PURGATORY_H */
