/*
 * tls.h - TLS for SSL listeners and inter-broker connections (Kafka's
 * SslFactory / DefaultSslEngineFactory and SslPrincipalMapper), on OpenSSL.
 *
 * Contexts are built from Kafka's ssl.* keys, each looked up first as
 * listener.name.<listener>.ssl.<key> (listener name case-insensitive) and
 * then as ssl.<key>:
 *   ssl.keystore.type PEM or PKCS12 (JKS is refused naming the key: OpenSSL
 *   cannot read it), ssl.keystore.location/password, ssl.key.password,
 *   ssl.keystore.certificate.chain + ssl.keystore.key (PEM in-line),
 *   ssl.truststore.type/location/password, ssl.truststore.certificates,
 *   ssl.client.auth none|requested|required, ssl.enabled.protocols,
 *   ssl.protocol, ssl.cipher.suites (IANA names, as Java takes them),
 *   ssl.endpoint.identification.algorithm (https or empty),
 *   ssl.principal.mapping.rules (DEFAULT and RULE:pattern/replacement/[LU]).
 *
 * A connection's principal is "User:" + the mapped subject of the peer's
 * certificate (RFC 2253 form, as Java's X500Principal.getName()), or
 * "User:ANONYMOUS" without one.
 *
 * Thread-safety: contexts are built at startup by the main thread; after
 * that they are shared read-only (OpenSSL contexts are safe to use from
 * several threads). sm_tls_interbroker_* is set once before the threads that
 * read it start.
 */
#ifndef SM_TLS_H
#define SM_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "properties.h"

/* Value of an ssl.* key for a listener (prefixed key first), or NULL. */
const char *sm_tls_get(const sm_props_t *given, const char *listener, const char *key);

/* Server context of an SSL listener. NULL with a message naming the key in
 * err on a bad or unsupported setting. */
SSL_CTX *sm_tls_server_ctx_new(const sm_props_t *given, const char *listener,
			       char *err, size_t errlen);

/* Client context for connections to the inter-broker listener: the peer is
 * verified against the truststore; *verify_host is set when
 * ssl.endpoint.identification.algorithm is https. */
SSL_CTX *sm_tls_client_ctx_new(const sm_props_t *given, const char *listener,
			       int *verify_host, char *err, size_t errlen);

/* Checks ssl.principal.mapping.rules; 0 or -1 with a message. */
int sm_tls_rules_check(const char *rules, char *err, size_t errlen);

/* Maps a subject DN with the rules (NULL or "" = DEFAULT). 0 and the name in
 * out, or -1 when no rule matches. */
int sm_tls_map_principal(const char *rules, const char *dn, char *out, size_t outlen);

/* "User:<mapped subject>" of the peer of ssl, or "User:ANONYMOUS". -1 when
 * no rule matches the subject. */
int sm_tls_peer_principal(SSL *ssl, const char *rules, char *out, size_t outlen);

/* The inter-broker client context (NULL: plaintext), owned by the server. */
void sm_tls_interbroker_set(SSL_CTX *ctx, int verify_host);
SSL_CTX *sm_tls_interbroker_ctx(int *verify_host);

/* The last OpenSSL errors of this thread as text (and clears them). */
void sm_tls_errors(char *out, size_t outlen);

#endif /* SM_TLS_H */
