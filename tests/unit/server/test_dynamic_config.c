/* test_dynamic_config.c - dynamic broker config validation (Kafka's
 * DynamicBrokerConfig.validate): read-only keys refused with Kafka's
 * message, values parsed, thread counts within half and double of the
 * current value, the per-entity key budget, and which keys are dynamic. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_keys.h"
#include "dynamic_config.h"
#include "kafka_config.h"
#include "password_encoder.h"

static sm_kafka_config_t st;

static sm_dyn_config_t *new_dyn(void)
{
	char err[256];
	char *ov[] = { "zookeeper.connect=localhost:2181", "num.io.threads=4",
		       "log.retention.hours=100" };
	CU_ASSERT_EQUAL_FATAL(sm_kafka_config_load(&st, NULL, ov, 3, err, sizeof(err)), 0);
	return sm_dyn_config_new(&st, 1);
}

static void done(sm_dyn_config_t *d)
{
	sm_dyn_config_destroy(d);
	sm_kafka_config_free(&st);
}

static int validate(sm_dyn_config_t *d, int per_broker, const char *k, const char *v, char *why,
		    size_t len)
{
	sm_zk_config_t set = { 0 };
	sm_zk_config_set(&set, k, v);
	int r = sm_dyn_config_validate(d, per_broker, &set, why, len);
	sm_zk_config_clear(&set);
	return r;
}

static void test_dynamic_keys(void)
{
	CU_ASSERT_TRUE(sm_kafka_config_is_dynamic("log.retention.ms"));
	CU_ASSERT_TRUE(sm_kafka_config_is_dynamic("num.io.threads"));
	CU_ASSERT_TRUE(sm_kafka_config_is_dynamic("max.connections.per.ip.overrides"));
	CU_ASSERT_TRUE(sm_kafka_config_is_dynamic("unclean.leader.election.enable"));
	/* Kafka's DynamicLogConfig takes only the ms forms */
	CU_ASSERT_FALSE(sm_kafka_config_is_dynamic("log.retention.hours"));
	CU_ASSERT_FALSE(sm_kafka_config_is_dynamic("log.message.format.version"));
	CU_ASSERT_FALSE(sm_kafka_config_is_dynamic("broker.id"));
	CU_ASSERT_FALSE(sm_kafka_config_is_dynamic("zookeeper.connect"));
}

static void test_validate(void)
{
	sm_dyn_config_t *d = new_dyn();
	char why[512];
	CU_ASSERT_EQUAL(validate(d, 0, "log.retention.ms", "1000", why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(validate(d, 1, "log.retention.ms", "1000", why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(validate(d, 0, "log.retention.hours", "1", why, sizeof(why)), -1);
	CU_ASSERT_STRING_EQUAL(why, "Cannot update these configs dynamically: Set(log.retention.hours)");
	/* keystores: per listener, per broker, and the new one must load */
	CU_ASSERT_EQUAL(validate(d, 1, "ssl.keystore.location", "/k", why, sizeof(why)), -1);
	CU_ASSERT_STRING_EQUAL(why, "These security configs can be dynamically updated only per-listener using the listener prefix");
	CU_ASSERT_EQUAL(validate(d, 0, "listener.name.ssl.ssl.keystore.location", "/k", why,
				 sizeof(why)), -1);
	CU_ASSERT_STRING_EQUAL(why, "Cannot update these configs at default cluster level, broker id must be specified: Set(listener.name.ssl.ssl.keystore.location)");
	CU_ASSERT_EQUAL(validate(d, 1, "listener.name.ssl.ssl.keystore.location", "/nonexistent/k.p12",
				 why, sizeof(why)), -1);
	CU_ASSERT_PTR_NULL(strstr(why, "Cannot update"));
	CU_ASSERT_TRUE(sm_kafka_config_is_dynamic("listener.name.ssl.ssl.keystore.location"));
	/* passwords: dynamic per listener, but only with password.encoder.secret */
	CU_ASSERT_TRUE(sm_kafka_config_is_dynamic("listener.name.ssl.ssl.key.password"));
	CU_ASSERT_TRUE(sm_kafka_config_is_password("listener.name.ssl.ssl.key.password"));
	CU_ASSERT_EQUAL(validate(d, 1, "listener.name.ssl.ssl.key.password", "x", why, sizeof(why)), -1);
	CU_ASSERT_STRING_EQUAL(why, "Password encoder secret not configured");
	/* a listener's JAAS entry is a password config too */
	CU_ASSERT_TRUE(sm_kafka_config_is_password("listener.name.sasl_ssl.plain.sasl.jaas.config"));
	CU_ASSERT_TRUE(sm_kafka_config_is_password("listener.name.sasl_ssl.sasl.jaas.config"));
	CU_ASSERT_FALSE(sm_kafka_config_is_password("listener.name.sasl_ssl.sasl.enabled.mechanisms"));
	CU_ASSERT_EQUAL(validate(d, 1, "listener.name.ssl.sasl.jaas.config", "x", why, sizeof(why)), -1);
	CU_ASSERT_STRING_EQUAL(why, "Password encoder secret not configured");
	/* listeners and the listener.name.* keys: per broker only, but for the
	 * listeners' connection limits (also at the default, positive values);
	 * bare security keys stay read-only */
	CU_ASSERT_TRUE(sm_kafka_config_is_dynamic("listeners"));
	CU_ASSERT_TRUE(sm_kafka_config_is_dynamic("advertised.listeners"));
	CU_ASSERT_TRUE(sm_kafka_config_is_dynamic("listener.security.protocol.map"));
	CU_ASSERT_TRUE(sm_kafka_config_is_dynamic("listener.name.ext.ssl.client.auth"));
	CU_ASSERT_TRUE(sm_kafka_config_is_dynamic("listener.name.ext.max.connections"));
	CU_ASSERT_TRUE(sm_kafka_config_is_dynamic("listener.name.ext.max.connection.creation.rate"));
	CU_ASSERT_EQUAL(validate(d, 0, "listeners", "PLAINTEXT://:9092", why, sizeof(why)), -1);
	CU_ASSERT_STRING_EQUAL(why, "Cannot update these configs at default cluster level, broker id must be specified: Set(listeners)");
	CU_ASSERT_EQUAL(validate(d, 0, "listener.name.ext.ssl.client.auth", "required", why,
				 sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "broker id must be specified"));
	CU_ASSERT_EQUAL(validate(d, 1, "listener.name.plaintext.max.connections", "5", why,
				 sizeof(why)), 0);
	CU_ASSERT_EQUAL(validate(d, 0, "listener.name.plaintext.max.connection.creation.rate", "7",
				 why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(validate(d, 1, "listener.name.plaintext.max.connections", "0", why,
				 sizeof(why)), -1);
	CU_ASSERT_STRING_EQUAL(why, "Invalid max.connections 0");
	CU_ASSERT_EQUAL(validate(d, 0, "listener.name.plaintext.max.connection.creation.rate", "x",
				 why, sizeof(why)), -1);
	CU_ASSERT_STRING_EQUAL(why, "Invalid max.connection.creation.rate x");
	/* bare SSL/SASL listener settings: per broker, fallbacks for listeners
	 * added later; other ssl.* keys stay read-only */
	CU_ASSERT_TRUE(sm_kafka_config_is_dynamic("ssl.client.auth"));
	CU_ASSERT_TRUE(sm_kafka_config_is_password("sasl.jaas.config"));
	CU_ASSERT_FALSE(sm_kafka_config_is_dynamic("sasl.mechanism.inter.broker.protocol"));
	CU_ASSERT_EQUAL(validate(d, 1, "ssl.client.auth", "required", why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(validate(d, 1, "sasl.enabled.mechanisms", "PLAIN", why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(validate(d, 0, "ssl.client.auth", "required", why, sizeof(why)), -1);
	CU_ASSERT_STRING_EQUAL(why, "Cannot update these configs at default cluster level, broker id must be specified: Set(ssl.client.auth)");
	CU_ASSERT_EQUAL(validate(d, 1, "ssl.principal.mapping.rules", "DEFAULT", why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "Cannot update these configs dynamically"));
	CU_ASSERT_EQUAL(validate(d, 1, "listeners", "PLAINTEXT://:9092,EXT://:9093", why,
				 sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "must be subset of listener map"));
	CU_ASSERT_EQUAL(validate(d, 1, "listeners", "SSL://:9093", why, sizeof(why)), -1);
	CU_ASSERT_STRING_EQUAL(why, "requirement failed: inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are SSL");
	CU_ASSERT_EQUAL(validate(d, 1, "advertised.listeners", "SSL://:9093", why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "advertised.listeners listener names must be equal to or a subset"));
	CU_ASSERT_EQUAL(validate(d, 1, "listeners", "PLAINTEXT://:9092,SASL_PLAINTEXT://:9093",
				 why, sizeof(why)), -1); /* GSSAPI, the default mechanism */
	CU_ASSERT_EQUAL(validate(d, 1, "listeners", "PLAINTEXT://:9092,EXTRA_PLAIN://:9093", why,
				 sizeof(why)), -1);
	/* a flood of entries is refused before it is parsed */
	char many[65 * 16] = "PLAINTEXT://:9092";
	for (int i = 0; i < 64; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), ",L%d://:%d", i, 10000 + i);
	CU_ASSERT_EQUAL(validate(d, 1, "listeners", many, why, sizeof(why)), -1);
	CU_ASSERT_STRING_EQUAL(why, "Invalid value for configuration listeners: at most 64 listeners");
	/* network and background threads: Kafka's half/double rule (3, 10) */
	CU_ASSERT_EQUAL(validate(d, 0, "num.network.threads", "6", why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(validate(d, 0, "num.network.threads", "7", why, sizeof(why)), -1);
	CU_ASSERT_STRING_EQUAL(why, "Dynamic thread count update validation failed for num.network.threads=7, value should not be greater than double the current value 3");
	CU_ASSERT_EQUAL(validate(d, 0, "background.threads", "5", why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(validate(d, 0, "background.threads", "4", why, sizeof(why)), -1);
	CU_ASSERT_STRING_EQUAL(why, "Dynamic thread count update validation failed for background.threads=4, value should be at least half the current value 10");
	CU_ASSERT_EQUAL(validate(d, 0, "log.retention.bytes", "abc", why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "log.retention.bytes"));
	/* a custom key is kept, as Kafka keeps it */
	CU_ASSERT_EQUAL(validate(d, 0, "my.custom.key", "x", why, sizeof(why)), 0);
	/* thread pool: at least half, at most double of 4 */
	CU_ASSERT_EQUAL(validate(d, 0, "num.io.threads", "8", why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(validate(d, 0, "num.io.threads", "2", why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(validate(d, 0, "num.io.threads", "9", why, sizeof(why)), -1);
	CU_ASSERT_STRING_EQUAL(why, "Dynamic thread count update validation failed for num.io.threads=9, value should not be greater than double the current value 4");
	CU_ASSERT_EQUAL(validate(d, 0, "num.io.threads", "1", why, sizeof(why)), -1);
	CU_ASSERT_STRING_EQUAL(why, "Dynamic thread count update validation failed for num.io.threads=1, value should be at least half the current value 4");
	CU_ASSERT_EQUAL(validate(d, 0, "num.io.threads", "0", why, sizeof(why)), -1);
	CU_ASSERT_STRING_EQUAL(why, "Dynamic thread count update validation failed for num.io.threads=0, value should be at least 1");
	/* log cleaner threads (1 by default): Kafka's half/double rule */
	CU_ASSERT_EQUAL(validate(d, 0, "log.cleaner.threads", "2", why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(validate(d, 0, "log.cleaner.threads", "3", why, sizeof(why)), -1);
	CU_ASSERT_STRING_EQUAL(why, "Log cleaner threads cannot be increased to more than double the current value 1");
	CU_ASSERT_EQUAL(validate(d, 0, "log.cleaner.threads", "0", why, sizeof(why)), -1);
	CU_ASSERT_STRING_EQUAL(why, "Log cleaner threads should be at least 1");
	CU_ASSERT_EQUAL(validate(d, 0, "max.connections.per.ip.overrides", "127.0.0.1:x", why,
				 sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "max.connections.per.ip.overrides"));
	/* nothing was applied: the static config is in effect */
	CU_ASSERT_PTR_EQUAL(sm_dyn_config_current(d), &st);
	done(d);
}

static void test_key_budget(void)
{
	sm_dyn_config_t *d = new_dyn();
	sm_zk_config_t set = { 0 };
	char k[32], why[256];
	for (int i = 0; i < 1001; i++) {
		snprintf(k, sizeof(k), "custom.%d", i);
		sm_zk_config_set(&set, k, "v");
	}
	CU_ASSERT_EQUAL(sm_dyn_config_validate(d, 0, &set, why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "Too many dynamic configs"));
	sm_zk_config_clear(&set);
	done(d);
}

/* Encoded with Python's hashlib.pbkdf2_hmac and the openssl CLI (salt
 * i*7+3, IV 0..15), pairs reordered: Kafka parses them by name. */
static const char vector[] =
	"encryptedPassword:3xp0frhND4/yd161skdveg==,passwordLength:9,"
	"initializationVector:AAECAwQFBgcICQoLDA0ODw==,keyFactoryAlgorithm:PBKDF2WithHmacSHA512,"
	"cipherAlgorithm:AES/CBC/PKCS5Padding,keyLength:128,"
	"salt:AwoRGB8mLTQ7QklQV15lbHN6gYiPlp2kq7K5wMfO1dzj6vH4/wYNFBsiKTA3PkVMU1phaG92fYSLkpmgp661vMPK0djf5u30+wIJEBceJSwzOkFIT1ZdZGtyeYCHjpWco6qxuL/GzdTb4unw9/4FDBMaISgvNj1ES1JZYGdudXyDipGYn6attLvCydDX3uXs8/oBCA8WHSQrMjlAR05VXGNqcXh/ho2Um6KpsLe+xczT2uHo7/b9BAsSGSAnLjU8Q0pRWF9mbXR7gomQl56lrLO6wcjP1t3k6/L5AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tng5+71/A==,"
	"iterations:4096";

static void test_password_encoder(void)
{
	char err[256];
	char *pw = sm_password_decode("enc-secret", vector, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(pw);
	CU_ASSERT_STRING_EQUAL(pw, "test-pass");
	free(pw);
	CU_ASSERT_PTR_NULL(sm_password_decode("other-secret", vector, err, sizeof(err)));
	CU_ASSERT_PTR_NULL(sm_password_decode("enc-secret", "keyLength:128,salt:AAAA", err, sizeof(err)));
	CU_ASSERT_PTR_NULL(sm_password_decode("enc-secret", "", err, sizeof(err)));
	char *enc = sm_password_encode("enc-secret", "p\xc3\xa4ss", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(enc);
	CU_ASSERT_PTR_NOT_NULL(strstr(enc, "keyFactoryAlgorithm:PBKDF2WithHmacSHA512,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(enc, "cipherAlgorithm:AES/CBC/PKCS5Padding,keyLength:128,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(enc, ",iterations:4096,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(enc, ",passwordLength:4,")); /* Java's String.length */
	pw = sm_password_decode("enc-secret", enc, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(pw);
	CU_ASSERT_STRING_EQUAL(pw, "p\xc3\xa4ss");
	free(pw);
	free(enc);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("dynamic_config", NULL, NULL);
	CU_add_test(s, "dynamic keys", test_dynamic_keys);
	CU_add_test(s, "validate", test_validate);
	CU_add_test(s, "key budget", test_key_budget);
	CU_add_test(s, "password encoder", test_password_encoder);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
