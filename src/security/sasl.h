/*
 * sasl.h - SASL authentication for SASL_PLAINTEXT and SASL_SSL listeners
 * (Kafka's SaslServerAuthenticator mechanisms PlainSaslServer and
 * ScramSaslServer, the JAAS options they read and ScramCredential).
 *
 * Mechanisms: PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 4616, 5802,
 * 7677). A listener's enabled list is listener.name.<l>.sasl.enabled.mechanisms
 * or sasl.enabled.mechanisms; each mechanism's JAAS options come from
 * listener.name.<l>.<mechanism lower-cased>.sasl.jaas.config, else
 * sasl.jaas.config, in Kafka's syntax:
 *   org.apache.kafka.common.security.plain.PlainLoginModule required
 *     username="admin" password="admin-secret" user_alice="alice-secret";
 * PLAIN users are the user_<name> options; username/password are what this
 * broker sends to others on the inter-broker listener.
 *
 * SCRAM credentials live in /config/users/<user> (key "SCRAM-SHA-256" or
 * "SCRAM-SHA-512", value "salt=<b64>,stored_key=<b64>,server_key=<b64>,
 * iterations=<n>") and are mirrored in a process-wide store that the
 * config-change thread refreshes; authentication reads only the store, so
 * processors never call ZooKeeper.
 *
 * Every token a client sends is checked against the bytes it holds: no
 * length or field is trusted, failures give Kafka's client-visible message
 * and a separate reason for the log line.
 *
 * Thread-safety: listener configs are built at startup and read-only after.
 * A server session belongs to one connection (one processor thread). The
 * credential store has its own leaf mutex.
 */
#ifndef SM_SASL_H
#define SM_SASL_H

#include <stddef.h>
#include <stdint.h>

#include "properties.h"

#define SM_SASL_PLAIN 1
#define SM_SASL_SCRAM_SHA_256 2
#define SM_SASL_SCRAM_SHA_512 4

/* sasl.server.max.receive.size default: the largest frame a connection may
 * send before it has authenticated. */
#define SM_SASL_MAX_RECEIVE 524288

/* Kafka's minimum SCRAM iteration count (ScramMechanism.minIterations), the
 * most AlterUserScramCredentials accepts, and the most the client side
 * computes for a server (librdkafka's bound), so a hostile broker cannot
 * stall an inter-broker connection in PBKDF2 for long. */
#define SM_SCRAM_MIN_ITERATIONS 4096
#define SM_SCRAM_MAX_ITERATIONS 16384
#define SM_SCRAM_CLIENT_MAX_ITERATIONS 1000000

/* The mechanism bit of a name ("PLAIN", "SCRAM-SHA-256", ...), or 0. */
int sm_sasl_mech_from_name(const char *name);
const char *sm_sasl_mech_name(int mech);

/* ---- JAAS config (one login module entry) ---- */

typedef struct sm_jaas {
	char *module;
	char *flag;
	int n;
	char **keys;
	char **values;
} sm_jaas_t;

/* Parses "<module> <flag> key=value ... ;" (values bare or in double
 * quotes with \-escapes). 0, or -1 with the problem in err. */
int sm_jaas_parse(const char *text, sm_jaas_t *out, char *err, size_t errlen);
const char *sm_jaas_get(const sm_jaas_t *j, const char *key);
void sm_jaas_clear(sm_jaas_t *j);

/* ---- a listener's SASL settings ---- */

typedef struct sm_sasl_user {
	char *name;
	char *password;
} sm_sasl_user_t;

typedef struct sm_sasl_listener {
	char listener[64];
	int mechs;              /* enabled mechanism bits */
	const char *names[3];   /* enabled mechanism names, in configured order */
	int n_names;
	sm_sasl_user_t *plain;  /* PLAIN users (user_<name> options) */
	int n_plain;
	char *username;         /* this broker's own identity for the */
	char *password;         /* inter-broker mechanism, or NULL */
	int64_t reauth_ms;      /* connections.max.reauth.ms; 0: sessions never expire */
} sm_sasl_listener_t;

/* Reads the listener's mechanisms and JAAS options. inter_mech: the
 * inter-broker mechanism bit when this is the inter-broker listener (its
 * JAAS entry must then carry username and password), else 0. NULL with a
 * message naming the key in err on a bad setting. */
sm_sasl_listener_t *sm_sasl_listener_new(const sm_props_t *given, const char *listener,
					 int inter_mech, char *err, size_t errlen);
void sm_sasl_listener_free(sm_sasl_listener_t *l);

/* ---- server side of one authentication ---- */

enum {
	SM_SASL_CONTINUE = 0, /* send *out, expect another token */
	SM_SASL_DONE = 1,     /* authenticated; send *out (may be empty) */
	SM_SASL_FAIL = -1     /* msg: what the client is told; why: for the log */
};

typedef struct sm_sasl_server sm_sasl_server_t;

sm_sasl_server_t *sm_sasl_server_new(const sm_sasl_listener_t *l, int mech);
/* Evaluates one client token. *out is malloc'd (NULL when empty). */
int sm_sasl_server_step(sm_sasl_server_t *s, const uint8_t *in, size_t inlen,
			uint8_t **out, size_t *outlen, char *msg, size_t msglen,
			char *why, size_t whylen);
/* The authenticated user name (after DONE), else NULL. */
const char *sm_sasl_server_user(const sm_sasl_server_t *s);
void sm_sasl_server_free(sm_sasl_server_t *s);

/* ---- client side (inter-broker connections, tools) ---- */

typedef struct sm_sasl_client sm_sasl_client_t;

sm_sasl_client_t *sm_sasl_client_new(int mech, const char *user, const char *password);
/* The first token, then each next one from the server's answer. Returns
 * SM_SASL_CONTINUE with *out to send, SM_SASL_DONE when the exchange is
 * complete (nothing more to send), SM_SASL_FAIL with why. in is NULL for
 * the first call. */
int sm_sasl_client_step(sm_sasl_client_t *c, const uint8_t *in, size_t inlen,
			uint8_t **out, size_t *outlen, char *why, size_t whylen);
void sm_sasl_client_free(sm_sasl_client_t *c);

/* What this broker authenticates with on inter-broker connections: set
 * once at startup (mech 0: no SASL) before the threads that read it start;
 * strings are copied. */
void sm_sasl_interbroker_set(int mech, const char *user, const char *password);
/* The mechanism (0: none) and, when set, user and password. */
int sm_sasl_interbroker(const char **user, const char **password);

/* ---- SCRAM credentials ---- */

typedef struct sm_scram_cred {
	uint8_t salt[128];
	size_t salt_len;
	uint8_t stored_key[64];
	uint8_t server_key[64];
	size_t key_len;        /* 32 (SHA-256) or 64 (SHA-512) */
	int iterations;
} sm_scram_cred_t;

/* Kafka's "salt=...,stored_key=...,server_key=...,iterations=N". */
int sm_scram_cred_parse(const char *s, int mech, sm_scram_cred_t *out, char *err, size_t errlen);
/* malloc'd string in the same form. */
char *sm_scram_cred_format(const sm_scram_cred_t *c);
/* Derives a credential from a password (salt NULL: 32 random bytes, as
 * Kafka's ScramFormatter). 0, or -1. */
int sm_scram_cred_make(int mech, const char *password, int iterations,
		       const uint8_t *salt, size_t salt_len, sm_scram_cred_t *out);

/* Replaces the stored credentials of user with the SCRAM-SHA-* keys of a
 * /config/users/<user> config (keys/values arrays of n; n == 0 removes the
 * user). Malformed values are logged and skipped. */
void sm_scram_store_put(const char *user, char *const *keys, char *const *values, int n);
/* 0 and the credential, or -1 when user has none for mech. */
int sm_scram_store_get(const char *user, int mech, sm_scram_cred_t *out);
/* Forgets every credential (tests, shutdown). */
void sm_scram_store_clear(void);

/* A credential from a client-salted password (AlterUserScramCredentials:
 * the keys are derived from SaltedPassword, as Kafka's ScramFormatter). */
int sm_scram_cred_from_salted(int mech, const uint8_t *salt, size_t salt_len,
			      const uint8_t *salted, size_t salted_len, int iterations,
			      sm_scram_cred_t *out);

/* SaltedPassword = Hi(password, salt, iterations) into out (64 bytes of
 * room); its length, or 0 on failure. */
size_t sm_scram_salted_password(int mech, const char *password, const uint8_t *salt,
				size_t salt_len, int iterations, uint8_t *out);

/* Kafka's Sanitizer: a user name as a znode name (URL-encoded, with space
 * as %20 and '*' as %2A) and back; malloc'd. */
char *sm_sasl_sanitize(const char *name);
char *sm_sasl_desanitize(const char *name);

/* ---- base64 (RFC 4648, padding optional on input) ---- */

/* Decodes at most outcap bytes; -1 on a bad character, bad length or an
 * output that does not fit. */
long sm_b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap);
/* NUL-terminated encoding into out (4 * ceil(n/3) + 1 bytes). */
void sm_b64_encode(const uint8_t *in, size_t n, char *out);

#endif /* SM_SASL_H */
