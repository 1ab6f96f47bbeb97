/*
 * dynamic_config.h - dynamic broker configs (Kafka's DynamicBrokerConfig,
 * KIP-226): the broker's configuration as three layers, server.properties
 * (STATIC_BROKER_CONFIG) < /config/brokers/<default>
 * (DYNAMIC_DEFAULT_BROKER_CONFIG) < /config/brokers/<id>
 * (DYNAMIC_BROKER_CONFIG), merged into one effective sm_kafka_config_t.
 *
 * A reload (at start-up before the listeners open, and on every
 * /config/changes notification naming brokers/<default> or brokers/<id>)
 * re-reads both znodes, drops the keys that are not dynamic (or per-broker
 * only and found in <default>) or whose value does not parse (logged, as
 * Kafka ignores them), builds a new effective
 * config and hands the old and the new one to the apply callback.
 *
 * Lifetime: an effective config is published by pointer and never freed
 * before sm_dyn_config_destroy, so a reader may keep the pointer it got from
 * sm_dyn_config_current for as long as the broker runs (superseded configs
 * are few: one per operator change).
 *
 * Thread-safety: all functions are thread-safe; the apply callback runs on
 * the reloading thread holding only the lock that serialises reloads (it
 * must not reload or alter configs itself); readers never wait for it.
 */
#ifndef SM_DYNAMIC_CONFIG_H
#define SM_DYNAMIC_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "kafka_config.h"
#include "zk_client.h"
#include "zk_data.h"

typedef struct sm_dyn_config sm_dyn_config_t;

typedef void (*sm_dyn_apply_fn)(void *opaque, const sm_kafka_config_t *old,
				const sm_kafka_config_t *cur);

/* static_cfg stays owned by the caller and must outlive the object. */
sm_dyn_config_t *sm_dyn_config_new(const sm_kafka_config_t *static_cfg, int32_t broker_id);
void sm_dyn_config_destroy(sm_dyn_config_t *d);
void sm_dyn_config_set_apply(sm_dyn_config_t *d, sm_dyn_apply_fn fn, void *opaque);

/* Reads /config/brokers/<default> and /config/brokers/<id>, rebuilds the
 * effective config and calls the apply callback when it changed. Returns
 * 0, or -1 when ZooKeeper could not be read (the current config stays). */
int sm_dyn_config_reload(sm_dyn_config_t *d, sm_zk_t *zk);

/* The effective config (the static one until a dynamic value exists). */
const sm_kafka_config_t *sm_dyn_config_current(sm_dyn_config_t *d);
const sm_kafka_config_t *sm_dyn_config_static(sm_dyn_config_t *d);

/* Copies of the dynamic layers in effect (for DescribeConfigs). */
void sm_dyn_config_layers(sm_dyn_config_t *d, sm_zk_config_t *dflt, sm_zk_config_t *broker);

/* Which keys are dynamic or passwords: config_keys.h. */
/* Encodes (encode 1) or decodes (0) the password values of set in place
 * with this broker's password.encoder.secret. 0, or -1 with why. */
int sm_dyn_config_passwords(sm_dyn_config_t *d, sm_zk_config_t *set, int encode, char *why,
			    size_t whylen);

/* Validates a proposed complete dynamic set for the default entity
 * (per_broker 0) or for this broker (1), as Kafka's
 * DynamicBrokerConfig.validate does: every key dynamic, every value
 * parsing, thread counts within half and double of the current ones.
 * Returns 0 or -1 with Kafka's reason in why. */
int sm_dyn_config_validate(sm_dyn_config_t *d, int per_broker, const sm_zk_config_t *set,
			   char *why, size_t whylen);

#endif /* SM_DYNAMIC_CONFIG_H */
