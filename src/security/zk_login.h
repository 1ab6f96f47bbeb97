/*
 * zk_login.h - the ZooKeeper client identity Kafka's operator configures:
 * the JAAS login file named by -Djava.security.auth.login.config in
 * KAFKA_OPTS, its "Client" section (or the one -Dzookeeper.sasl.clientconfig
 * names), switched off by -Dzookeeper.sasl.client=false - the settings
 * Kafka's JaasUtils.isZkSaslEnabled reads as JVM system properties.
 *
 * ZooKeeper's C client has no SASL, so the section's username/password
 * (DigestLoginModule's options) are used with the digest scheme instead of
 * SASL DIGEST-MD5 (docs/deviations.md).
 */
#ifndef SM_ZK_LOGIN_H
#define SM_ZK_LOGIN_H

#include <stddef.h>

typedef struct sm_zk_login {
	char *username; /* NULL when no login is configured */
	char *password;
	/* What was looked at, in Kafka's words (JaasUtils.
	 * zkSecuritySysConfigString), for the refusal message. */
	char desc[1024];
} sm_zk_login_t;

/* Reads the login from opts (the value of KAFKA_OPTS, may be NULL).
 * 0: *out filled (username NULL if none is configured); -1: the file or
 * its section is unusable, the problem in err. */
int sm_zk_login_load(const char *opts, sm_zk_login_t *out, char *err, size_t errlen);
/* The same from the KAFKA_OPTS environment variable. */
int sm_zk_login_from_env(sm_zk_login_t *out, char *err, size_t errlen);
/* Parses JAAS file text: the username/password of section's login module.
 * 1 found, 0 no such section, -1 malformed (err). Exposed for tests. */
int sm_zk_login_parse(const char *text, size_t len, const char *section, char **userp,
		      char **passp, char *err, size_t errlen);
/* Opens a ZooKeeper session for a tool's --zookeeper mode as Kafka's tools
 * do: logged in when KAFKA_OPTS names a login (above). secure: 1 or 0
 * creates znodes with or without Kafka's secure ACLs (zookeeper.set.acl
 * given to the tool), -1 with them exactly when logged in
 * (JaasUtils.isZkSaslEnabled, what Kafka's TopicCommand and ConfigCommand
 * pass). NULL with err on failure. */
struct sm_zk *sm_zk_login_connect(const char *connect, int secure, char *err, size_t errlen);
/* Frees the strings (the password is wiped first). */
void sm_zk_login_clear(sm_zk_login_t *l);

#endif /* SM_ZK_LOGIN_H */
