/*
 * config_keys.h - what kind of broker config a key is, beyond its entry in
 * the broker config table (kafka_config.h): whether Samsa changes it at run
 * time (Kafka's DynamicBrokerConfig key sets: DescribeConfigs' read_only is
 * the negation) and whether it is a password (stored encoded with
 * password.encoder.secret, described without a value). The broker's dynamic
 * config module and the kafka-configs tool read the same answers.
 *
 * Thread-safety: the key lists are immutable; all functions are reentrant.
 */
#ifndef SM_CONFIG_KEYS_H
#define SM_CONFIG_KEYS_H

/* 1 when Samsa changes key at run time: Kafka 2.8's DynamicLogConfig set
 * (the broker synonyms of topic configs), the request handler and replica
 * fetcher pools, the log cleaner's threads, buffer and backoff, the
 * broker-wide connection limits, the network processors, background.threads,
 * the listeners (listeners, advertised.listeners,
 * listener.security.protocol.map) and a listener's keystore and truststore
 * (sm_kafka_config_store_key), the other listener.name.<l>.* keys
 * (sm_kafka_config_is_listener_setting) and their bare fallbacks
 * (sm_kafka_config_is_listener_fallback). */
int sm_kafka_config_is_dynamic(const char *key);

/* 1 for listener.name.<l>.<key>: per broker only (but for the listener's
 * connection limits); they set up a listener added at run time, and of an
 * existing listener only the keystore, truststore and connection limits
 * change. */
int sm_kafka_config_is_listener_setting(const char *key);

/* 1 for a bare ssl.* / sasl.* key that Kafka 2.8 changes per broker
 * (DynamicListenerConfig) other than the keystore and truststore keys
 * (which are dynamic only with a listener prefix): the fallback that
 * listeners added later read when they have no prefixed value. */
int sm_kafka_config_is_listener_fallback(const char *key);

/* 1 for a dynamic password config (listener.name.<l>.ssl.keystore.password,
 * .ssl.key.password, .ssl.truststore.password, .sasl.jaas.config and
 * .<mechanism>.sasl.jaas.config, and the bare sasl.jaas.config). */
int sm_kafka_config_is_password(const char *key);

/* 1 for listener.name.<l>.ssl.{keystore,truststore}.{location,type,password}
 * and .ssl.key.password: a keystore reload, per broker only. *listener (may
 * be NULL) gets a malloc'd <l>. */
int sm_kafka_config_store_key(const char *key, char **listener);

#endif /* SM_CONFIG_KEYS_H */
