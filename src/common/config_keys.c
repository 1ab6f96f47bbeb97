/*
 * config_keys.c - the dynamic and password broker config keys; see
 * config_keys.h.
 */
#include "config_keys.h"

#include <stddef.h>
#include <string.h>

#include "buf.h"

/* Kafka's dynamic keys that Samsa defines but does not change at run time
 * are left out, and so refused as not dynamic (docs/deviations.md). */
static const char *const sm_ck_dynamic[] = {
	"log.segment.bytes", "log.roll.ms", "log.roll.jitter.ms", "log.index.size.max.bytes",
	"log.flush.interval.messages", "log.flush.interval.ms", "log.retention.bytes",
	"log.retention.ms", "message.max.bytes", "log.index.interval.bytes",
	"log.cleaner.delete.retention.ms", "log.cleaner.min.compaction.lag.ms",
	"log.cleaner.max.compaction.lag.ms",
	"log.segment.delete.delay.ms", "log.cleaner.min.cleanable.ratio", "log.cleanup.policy",
	"unclean.leader.election.enable", "min.insync.replicas", "compression.type",
	"log.preallocate", "log.message.timestamp.type", "log.message.timestamp.difference.max.ms",
	"log.message.downconversion.enable",
	"num.io.threads", "num.replica.fetchers",
	/* used only when logs are loaded (start-up), so a new value is only
	 * stored, as in Kafka, where it applies to the next log loading */
	"num.recovery.threads.per.data.dir",
	"log.cleaner.threads", "log.cleaner.dedupe.buffer.size", "log.cleaner.backoff.ms",
	"log.cleaner.io.max.bytes.per.second", "replica.alter.log.dirs.io.max.bytes.per.second",
	"max.connections", "max.connections.per.ip", "max.connections.per.ip.overrides",
	"max.connection.creation.rate",
	"leader.replication.throttled.rate", "follower.replication.throttled.rate",
	/* the network processors are resized; background.threads is kept and
	 * reported (Samsa has no shared background pool to resize) */
	"num.network.threads", "background.threads",
	/* per broker only: listeners bound and closed, the registration
	 * rewritten */
	"listeners", "advertised.listeners", "listener.security.protocol.map",
	NULL
};

/* The listener-prefixed keystore and truststore keys. */
static const char *const sm_ck_store[] = {
	"ssl.keystore.location", "ssl.keystore.type", "ssl.truststore.location",
	"ssl.truststore.type", "ssl.keystore.password", "ssl.key.password",
	"ssl.truststore.password", NULL
};

/* Kafka 2.8's DynamicListenerConfig SSL and SASL keys other than the
 * keystore/truststore ones and sasl.mechanism.inter.broker.protocol (which
 * Samsa's replica fetchers read only at start-up). */
static const char *const sm_ck_fallback[] = {
	"ssl.protocol", "ssl.provider", "ssl.cipher.suites", "ssl.enabled.protocols",
	"ssl.keymanager.algorithm", "ssl.trustmanager.algorithm",
	"ssl.endpoint.identification.algorithm", "ssl.secure.random.implementation",
	"ssl.client.auth", "ssl.engine.factory.class",
	"sasl.jaas.config", "sasl.enabled.mechanisms", "sasl.kerberos.service.name",
	"sasl.kerberos.kinit.cmd", "sasl.kerberos.ticket.renew.window.factor",
	"sasl.kerberos.ticket.renew.jitter", "sasl.kerberos.min.time.before.relogin",
	"sasl.kerberos.principal.to.local.rules", "sasl.login.refresh.window.factor",
	"sasl.login.refresh.window.jitter", "sasl.login.refresh.min.period.seconds",
	"sasl.login.refresh.buffer.seconds",
	NULL
};

int sm_kafka_config_is_listener_fallback(const char *key)
{
	for (int i = 0; sm_ck_fallback[i]; i++)
		if (!strcmp(sm_ck_fallback[i], key))
			return 1;
	return 0;
}

/* The <base> of listener.name.<l>.<base>, or NULL. */
static const char *sm_ck_listener_base(const char *key)
{
	const char *dot = !strncmp(key, "listener.name.", 14) ? strchr(key + 14, '.') : NULL;
	return dot && dot != key + 14 && dot[1] ? dot + 1 : NULL;
}

int sm_kafka_config_is_listener_setting(const char *key)
{
	return sm_ck_listener_base(key) != NULL;
}

int sm_kafka_config_is_dynamic(const char *key)
{
	for (int i = 0; sm_ck_dynamic[i]; i++)
		if (!strcmp(sm_ck_dynamic[i], key))
			return 1;
	return sm_kafka_config_is_listener_setting(key) || sm_kafka_config_is_listener_fallback(key);
}

int sm_kafka_config_is_password(const char *key)
{
	const char *base = sm_ck_listener_base(key);
	if (!base)
		return !strcmp(key, "sasl.jaas.config");
	size_t n = strlen(base), j = strlen(".sasl.jaas.config");
	return !strcmp(base, "ssl.keystore.password") || !strcmp(base, "ssl.key.password") ||
	       !strcmp(base, "ssl.truststore.password") || !strcmp(base, "sasl.jaas.config") ||
	       (n > j && !strcmp(base + n - j, ".sasl.jaas.config"));
}

int sm_kafka_config_store_key(const char *key, char **listener)
{
	if (strncmp(key, "listener.name.", 14))
		return 0;
	const char *dot = strchr(key + 14, '.');
	if (!dot || dot == key + 14)
		return 0;
	for (int i = 0; sm_ck_store[i]; i++)
		if (!strcmp(dot + 1, sm_ck_store[i])) {
			if (listener)
				*listener = sm_strndup(key + 14, (size_t)(dot - key - 14));
			return 1;
		}
	return 0;
}
