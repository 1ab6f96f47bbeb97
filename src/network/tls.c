/*
 * tls.c - OpenSSL contexts from Kafka's ssl.* keys, and the TLS principal
 * (see tls.h). Java keystores are replaced by what OpenSSL reads: PEM files,
 * PEM in-line values and PKCS12 files; JKS is refused at startup.
 */
#include "tls.h"

#include <ctype.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#include "buf.h"

static SSL_CTX *sm_tls_ib_ctx;
static int sm_tls_ib_verify_host;

void sm_tls_interbroker_set(SSL_CTX *ctx, int verify_host)
{
	sm_tls_ib_ctx = ctx;
	sm_tls_ib_verify_host = verify_host;
}

SSL_CTX *sm_tls_interbroker_ctx(int *verify_host)
{
	if (verify_host)
		*verify_host = sm_tls_ib_verify_host;
	return sm_tls_ib_ctx;
}

void sm_tls_errors(char *out, size_t outlen)
{
	unsigned long e;
	size_t len = 0;

	out[0] = '\0';
	while ((e = ERR_get_error()) != 0) {
		char one[256];
		ERR_error_string_n(e, one, sizeof(one));
		if (len < outlen)
			len += (size_t)snprintf(out + len, outlen - len, "%s%s", len ? "; " : "", one);
	}
	if (!out[0])
		snprintf(out, outlen, "no OpenSSL error");
}

const char *sm_tls_get(const sm_props_t *given, const char *listener, const char *key)
{
	return sm_props_listener_get(given, listener, key);
}

/* ---- reading keys and certificates ---- */

typedef struct sm_tls_src {
	const sm_props_t *given;
	const char *listener;
	char *err;
	size_t errlen;
} sm_tls_src_t;

static const char *sm_tls_val(const sm_tls_src_t *s, const char *key)
{
	const char *v = sm_tls_get(s->given, s->listener, key);
	return v && *v ? v : NULL;
}

static int sm_tls_fail(const sm_tls_src_t *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int sm_tls_fail(const sm_tls_src_t *s, const char *fmt, ...)
{
	char ossl[512];
	char msg[512];
	va_list ap;

	sm_tls_errors(ossl, sizeof(ossl));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(s->err, s->errlen, "%s (listener %s): %s", msg, s->listener ? s->listener : "-", ossl);
	return -1;
}

static int sm_tls_pw_cb(char *buf, int size, int rwflag, void *u)
{
	const char *pw = u;
	size_t n;

	(void)rwflag;
	if (!pw || size <= 0)
		return 0;
	n = strlen(pw);
	if (n > (size_t)size)
		n = (size_t)size;
	memcpy(buf, pw, n);
	return (int)n;
}

/* The PEM in-line value or the file at path as a BIO. */
static BIO *sm_tls_bio(const char *inline_pem, const char *path)
{
	if (inline_pem)
		return BIO_new_mem_buf(inline_pem, -1);
	return BIO_new_file(path, "r");
}

/* Adds every certificate of a PEM source to the context's trust store. */
static int sm_tls_trust_pem(SSL_CTX *ctx, BIO *bio)
{
	X509_STORE *st = SSL_CTX_get_cert_store(ctx);
	X509 *x;
	int n = 0;

	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		X509_STORE_add_cert(st, x);
		X509_free(x);
		n++;
	}
	ERR_clear_error(); /* the end of the input */
	return n;
}

static int sm_tls_load_p12(const sm_tls_src_t *s, const char *path, const char *pw,
			   EVP_PKEY **key, X509 **cert, STACK_OF(X509) **ca)
{
	BIO *bio = BIO_new_file(path, "rb");
	PKCS12 *p12;
	int ok;

	if (!bio)
		return sm_tls_fail(s, "Cannot read PKCS12 file %s", path);
	p12 = d2i_PKCS12_bio(bio, NULL);
	BIO_free(bio);
	if (!p12)
		return sm_tls_fail(s, "%s is not a PKCS12 file", path);
	ok = PKCS12_parse(p12, pw ? pw : "", key, cert, ca);
	PKCS12_free(p12);
	if (!ok)
		return sm_tls_fail(s, "Cannot open PKCS12 file %s (wrong password?)", path);
	return 0;
}

static int sm_tls_type_ok(const sm_tls_src_t *s, const char *key, const char *type)
{
	if (!strcasecmp(type, "PEM") || !strcasecmp(type, "PKCS12"))
		return 0;
	snprintf(s->err, s->errlen, "Invalid value %s for configuration %s (listener %s): "
		 "only PEM and PKCS12 stores are supported (JKS cannot be read; convert it "
		 "with keytool -importkeystore -deststoretype PKCS12)", type, key,
		 s->listener ? s->listener : "-");
	return -1;
}

static int sm_tls_load_keystore(const sm_tls_src_t *s, SSL_CTX *ctx, int required)
{
	const char *chain = sm_tls_val(s, "ssl.keystore.certificate.chain");
	const char *pkey = sm_tls_val(s, "ssl.keystore.key");
	const char *loc = sm_tls_val(s, "ssl.keystore.location");
	const char *type = sm_tls_val(s, "ssl.keystore.type");
	const char *kspw = sm_tls_val(s, "ssl.keystore.password");
	const char *keypw = sm_tls_val(s, "ssl.key.password");

	if (chain || pkey) {
		if (!chain || !pkey || loc) {
			snprintf(s->err, s->errlen, "ssl.keystore.certificate.chain and ssl.keystore.key "
				 "go together, without ssl.keystore.location (listener %s)",
				 s->listener ? s->listener : "-");
			return -1;
		}
		type = "PEM";
	} else if (!loc) {
		if (!required)
			return 0;
		snprintf(s->err, s->errlen, "Missing ssl.keystore.location (or ssl.keystore.certificate.chain "
			 "and ssl.keystore.key) for SSL listener %s", s->listener ? s->listener : "-");
		return -1;
	}
	if (!type)
		type = "JKS"; /* Kafka's default, refused below */
	if (sm_tls_type_ok(s, "ssl.keystore.type", type))
		return -1;
	if (!strcasecmp(type, "PKCS12")) {
		EVP_PKEY *key = NULL;
		X509 *cert = NULL;
		STACK_OF(X509) *ca = NULL;
		int rc = 0;
		if (sm_tls_load_p12(s, loc, kspw, &key, &cert, &ca))
			return -1;
		if (!key || !cert || SSL_CTX_use_certificate(ctx, cert) != 1 ||
		    SSL_CTX_use_PrivateKey(ctx, key) != 1)
			rc = sm_tls_fail(s, "PKCS12 keystore %s has no usable key and certificate", loc);
		for (int i = 0; !rc && ca && i < sk_X509_num(ca); i++)
			if (SSL_CTX_add1_chain_cert(ctx, sk_X509_value(ca, i)) != 1)
				rc = sm_tls_fail(s, "Cannot use the chain of %s", loc);
		EVP_PKEY_free(key);
		X509_free(cert);
		sk_X509_pop_free(ca, X509_free);
		if (!rc && SSL_CTX_check_private_key(ctx) != 1)
			rc = sm_tls_fail(s, "The key of %s does not match its certificate", loc);
		return rc;
	}
	/* PEM: the key (encrypted with ssl.key.password, if it is) and the
	 * certificate chain, leaf first, in one file or in-line. */
	BIO *kb = sm_tls_bio(pkey, loc), *cb = sm_tls_bio(chain, loc);
	EVP_PKEY *key = kb ? PEM_read_bio_PrivateKey(kb, NULL, sm_tls_pw_cb, (void *)keypw) : NULL;
	X509 *leaf = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
	int rc = 0;
	if (!key)
		rc = sm_tls_fail(s, "Cannot read the private key from %s (is ssl.key.password right?)",
				 loc ? loc : "ssl.keystore.key");
	else if (!leaf)
		rc = sm_tls_fail(s, "No certificate in %s", loc ? loc : "ssl.keystore.certificate.chain");
	else if (SSL_CTX_use_certificate(ctx, leaf) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
		 SSL_CTX_check_private_key(ctx) != 1)
		rc = sm_tls_fail(s, "The key in %s does not match its certificate",
				 loc ? loc : "ssl.keystore.key");
	X509 *x;
	while (!rc && (x = PEM_read_bio_X509(cb, NULL, NULL, NULL)) != NULL)
		SSL_CTX_add0_chain_cert(ctx, x);
	ERR_clear_error();
	EVP_PKEY_free(key);
	X509_free(leaf);
	BIO_free(kb);
	BIO_free(cb);
	return rc;
}

static int sm_tls_load_truststore(const sm_tls_src_t *s, SSL_CTX *ctx)
{
	const char *certs = sm_tls_val(s, "ssl.truststore.certificates");
	const char *loc = sm_tls_val(s, "ssl.truststore.location");
	const char *type = sm_tls_val(s, "ssl.truststore.type");
	const char *pw = sm_tls_val(s, "ssl.truststore.password");

	if (!certs && !loc) {
		/* Java falls back to its default CAs; OpenSSL's are the same idea. */
		SSL_CTX_set_default_verify_paths(ctx);
		return 0;
	}
	if (certs)
		type = "PEM";
	if (!type)
		type = "JKS";
	if (sm_tls_type_ok(s, "ssl.truststore.type", type))
		return -1;
	if (!strcasecmp(type, "PKCS12")) {
		EVP_PKEY *key = NULL;
		X509 *cert = NULL;
		STACK_OF(X509) *ca = NULL;
		X509_STORE *st = SSL_CTX_get_cert_store(ctx);
		if (sm_tls_load_p12(s, loc, pw, &key, &cert, &ca))
			return -1;
		int n = 0;
		if (cert && X509_STORE_add_cert(st, cert) == 1)
			n++;
		for (int i = 0; ca && i < sk_X509_num(ca); i++)
			if (X509_STORE_add_cert(st, sk_X509_value(ca, i)) == 1)
				n++;
		EVP_PKEY_free(key);
		X509_free(cert);
		sk_X509_pop_free(ca, X509_free);
		if (!n)
			return sm_tls_fail(s, "No certificate in PKCS12 truststore %s", loc);
		return 0;
	}
	BIO *b = sm_tls_bio(certs, loc);
	if (!b)
		return sm_tls_fail(s, "Cannot read truststore %s", loc);
	int n = sm_tls_trust_pem(ctx, b);
	BIO_free(b);
	if (!n)
		return sm_tls_fail(s, "No certificate in truststore %s", loc ? loc : "ssl.truststore.certificates");
	return 0;
}

static int sm_tls_proto_version(const char *p)
{
	if (!strcmp(p, "TLSv1"))
		return TLS1_VERSION;
	if (!strcmp(p, "TLSv1.1"))
		return TLS1_1_VERSION;
	if (!strcmp(p, "TLSv1.2"))
		return TLS1_2_VERSION;
	if (!strcmp(p, "TLSv1.3"))
		return TLS1_3_VERSION;
	return 0;
}

/* ssl.enabled.protocols as the lowest and highest version (OpenSSL takes a
 * range), ssl.protocol checked against the known names. */
static int sm_tls_protocols(const sm_tls_src_t *s, SSL_CTX *ctx)
{
	const char *proto = sm_tls_val(s, "ssl.protocol");
	const char *en = sm_tls_val(s, "ssl.enabled.protocols");
	char *copy, *save = NULL;
	int lo = 0, hi = 0;

	if (proto && !sm_tls_proto_version(proto) && strcmp(proto, "TLS")) {
		snprintf(s->err, s->errlen, "Invalid value %s for configuration ssl.protocol (listener %s)",
			 proto, s->listener ? s->listener : "-");
		return -1;
	}
	copy = sm_strdup(en ? en : "TLSv1.2,TLSv1.3");
	for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		int v = sm_tls_proto_version(t);
		if (!v) {
			snprintf(s->err, s->errlen, "Invalid value %s for configuration ssl.enabled.protocols "
				 "(listener %s): %s is not one of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3",
				 en, s->listener ? s->listener : "-", t);
			free(copy);
			return -1;
		}
		if (!lo || v < lo)
			lo = v;
		if (v > hi)
			hi = v;
	}
	free(copy);
	if (!lo) {
		snprintf(s->err, s->errlen, "ssl.enabled.protocols is empty (listener %s)",
			 s->listener ? s->listener : "-");
		return -1;
	}
	SSL_CTX_set_min_proto_version(ctx, lo);
	SSL_CTX_set_max_proto_version(ctx, hi);
	return 0;
}

/* ssl.cipher.suites in IANA names: TLS 1.3 suites go to the ciphersuites
 * list, the others are found by their standard name. */
static int sm_tls_ciphers(const sm_tls_src_t *s, SSL_CTX *ctx)
{
	const char *cs = sm_tls_val(s, "ssl.cipher.suites");
	STACK_OF(SSL_CIPHER) *all;
	char *copy, *save = NULL;
	char v12[2048] = "", v13[512] = "";
	size_t l12 = 0, l13 = 0;
	int rc = 0;

	if (!cs)
		return 0;
	all = SSL_CTX_get_ciphers(ctx);
	copy = sm_strdup(cs);
	for (char *t = strtok_r(copy, ", ", &save); t && !rc; t = strtok_r(NULL, ", ", &save)) {
		const char *name = NULL;
		int tls13 = 0;
		for (int i = 0; i < sk_SSL_CIPHER_num(all); i++) {
			const SSL_CIPHER *c = sk_SSL_CIPHER_value(all, i);
			const char *std = SSL_CIPHER_standard_name(c);
			if (std && !strcmp(std, t)) {
				name = SSL_CIPHER_get_name(c);
				tls13 = strstr(std, "_WITH_") == NULL; /* TLS 1.3 names have none */
				break;
			}
		}
		if (!name) {
			snprintf(s->err, s->errlen, "Invalid value %s for configuration ssl.cipher.suites "
				 "(listener %s): unknown cipher suite %s", cs,
				 s->listener ? s->listener : "-", t);
			rc = -1;
		} else if (tls13 && l13 < sizeof(v13)) {
			l13 += (size_t)snprintf(v13 + l13, sizeof(v13) - l13, "%s%s", l13 ? ":" : "", name);
		} else if (!tls13 && l12 < sizeof(v12)) {
			l12 += (size_t)snprintf(v12 + l12, sizeof(v12) - l12, "%s%s", l12 ? ":" : "", name);
		}
	}
	free(copy);
	if (rc)
		return -1;
	/* Only the listed suites: an empty list of a kind disables it. */
	if (SSL_CTX_set_ciphersuites(ctx, v13) != 1 ||
	    (l12 ? SSL_CTX_set_cipher_list(ctx, v12) != 1 : 0))
		return sm_tls_fail(s, "Cannot use ssl.cipher.suites %s", cs);
	if (!l12)
		SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	if (!l13)
		SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	return 0;
}

static SSL_CTX *sm_tls_ctx_common(const sm_tls_src_t *s, const SSL_METHOD *m, int server)
{
	SSL_CTX *ctx = SSL_CTX_new(m);
	const char *rules = sm_tls_val(s, "ssl.principal.mapping.rules");

	if (!ctx) {
		sm_tls_fail(s, "Cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (sm_tls_protocols(s, ctx) || sm_tls_ciphers(s, ctx) ||
	    sm_tls_load_keystore(s, ctx, server) || sm_tls_load_truststore(s, ctx) ||
	    (rules && sm_tls_rules_check(rules, s->err, s->errlen))) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* Four TLS records, each a header and at most 16 KB of data with the
 * cipher's overhead. */
#define SM_TLS_READ_BUF (4 * (SSL3_RT_HEADER_LENGTH + SSL3_RT_MAX_ENCRYPTED_LENGTH))

SSL_CTX *sm_tls_server_ctx_new(const sm_props_t *given, const char *listener,
			       char *err, size_t errlen)
{
	sm_tls_src_t s = { given, listener, err, errlen };
	const char *ca = sm_tls_val(&s, "ssl.client.auth");
	int mode;
	SSL_CTX *ctx;

	if (!ca || !strcasecmp(ca, "none"))
		mode = SSL_VERIFY_NONE;
	else if (!strcasecmp(ca, "requested"))
		mode = SSL_VERIFY_PEER;
	else if (!strcasecmp(ca, "required"))
		mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	else {
		snprintf(err, errlen, "Invalid value %s for configuration ssl.client.auth (listener %s): "
			 "String must be one of: required, requested, none", ca, listener);
		return NULL;
	}
	ctx = sm_tls_ctx_common(&s, TLS_server_method(), 1);
	if (!ctx)
		return NULL;
	SSL_CTX_set_verify(ctx, mode, NULL);
	/* No session tickets or cache: every connection authenticates anew,
	 * as a Java SSLEngine without a shared session context does. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_num_tickets(ctx, 0);
	/* Read ahead (set once a connection is handshaken) fills a buffer
	 * of four full records rather than one, so a producer's 16 KB
	 * records cost a read(2) per four (bench/README.md, "TLS and SASL":
	 * 8,500 -> 3,400 reads per 100 MB); the buffer is released while a
	 * connection has nothing buffered, so idle connections hold none. */
	SSL_CTX_set_default_read_buffer_len(ctx, SM_TLS_READ_BUF);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	return ctx;
}

SSL_CTX *sm_tls_client_ctx_new(const sm_props_t *given, const char *listener,
			       int *verify_host, char *err, size_t errlen)
{
	sm_tls_src_t s = { given, listener, err, errlen };
	const char *eia = sm_tls_get(given, listener, "ssl.endpoint.identification.algorithm");
	SSL_CTX *ctx;

	if (!eia)
		eia = "https"; /* Kafka's default since 2.0 */
	if (*eia && strcasecmp(eia, "https")) {
		snprintf(err, errlen, "Invalid value %s for configuration "
			 "ssl.endpoint.identification.algorithm (listener %s): only https or empty",
			 eia, listener);
		return NULL;
	}
	*verify_host = *eia != '\0';
	ctx = sm_tls_ctx_common(&s, TLS_client_method(), 0);
	if (ctx)
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
}

/* ---- principal mapping (Kafka's SslPrincipalMapper) ---- */

typedef struct sm_tls_rule {
	int is_default;
	char pattern[512];
	char repl[256];
	int lower, upper;
} sm_tls_rule_t;

/* One rule at *pp: DEFAULT or RULE:pattern/replacement/[LU]. Advances *pp
 * past the rule and the comma after it. */
static int sm_tls_rule_next(const char **pp, sm_tls_rule_t *r, char *err, size_t errlen)
{
	const char *p = *pp;
	size_t n;

	memset(r, 0, sizeof(*r));
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == ',')
		p++;
	if (!*p)
		return 0;
	if (!strncmp(p, "DEFAULT", 7)) {
		r->is_default = 1;
		*pp = p + 7;
		return 1;
	}
	if (strncmp(p, "RULE:", 5))
		goto bad;
	p += 5;
	n = strcspn(p, "/");
	if (!p[n] || n >= sizeof(r->pattern))
		goto bad;
	memcpy(r->pattern, p, n);
	p += n + 1;
	n = strcspn(p, "/");
	if (!p[n] || n >= sizeof(r->repl))
		goto bad;
	memcpy(r->repl, p, n);
	p += n + 1;
	while (*p == 'L' || *p == 'U') {
		if (*p == 'L')
			r->lower = 1;
		else
			r->upper = 1;
		p++;
	}
	if (r->lower && r->upper)
		goto bad;
	if (*p && *p != ',' && *p != ' ' && *p != '\n')
		goto bad;
	*pp = p;
	return 1;
bad:
	snprintf(err, errlen, "Invalid rule: %.200s", *pp);
	return -1;
}

/* Java's reluctant quantifiers have no POSIX equivalent; the greedy form
 * matches the same names for the usual anchored rules. */
static int sm_tls_rule_compile(const sm_tls_rule_t *r, regex_t *re)
{
	char pat[512];
	size_t o = 0;

	for (const char *p = r->pattern; *p && o + 1 < sizeof(pat); p++) {
		if (p[0] == '?' && o > 0 && (pat[o - 1] == '*' || pat[o - 1] == '+'))
			continue;
		pat[o++] = *p;
	}
	pat[o] = '\0';
	return regcomp(re, pat, REG_EXTENDED);
}

int sm_tls_rules_check(const char *rules, char *err, size_t errlen)
{
	const char *p = rules;
	sm_tls_rule_t r;
	int k;

	while ((k = sm_tls_rule_next(&p, &r, err, errlen)) > 0) {
		regex_t re;
		if (r.is_default)
			continue;
		if (sm_tls_rule_compile(&r, &re)) {
			snprintf(err, errlen, "Invalid value %s for configuration "
				 "ssl.principal.mapping.rules: bad pattern %s", rules, r.pattern);
			return -1;
		}
		regfree(&re);
	}
	if (k < 0) {
		char tmp[256];
		snprintf(tmp, sizeof(tmp), "%s", err);
		snprintf(err, errlen, "Invalid value for configuration ssl.principal.mapping.rules: %s", tmp);
		return -1;
	}
	return 0;
}

int sm_tls_map_principal(const char *rules, const char *dn, char *out, size_t outlen)
{
	const char *p = rules && *rules ? rules : "DEFAULT";
	sm_tls_rule_t r;
	char err[256];

	while (sm_tls_rule_next(&p, &r, err, sizeof(err)) > 0) {
		regex_t re;
		regmatch_t m[10];
		size_t o = 0;
		if (r.is_default) {
			snprintf(out, outlen, "%s", dn);
			return 0;
		}
		if (sm_tls_rule_compile(&r, &re))
			continue;
		/* The pattern must match the whole name (Java's matches()). */
		if (regexec(&re, dn, 10, m, 0) != 0 || m[0].rm_so != 0 ||
		    (size_t)m[0].rm_eo != strlen(dn)) {
			regfree(&re);
			continue;
		}
		/* The name becomes the replacement ($n groups), then is cased. */
		char res[1024];
		for (const char *q = r.repl; *q && o + 1 < sizeof(res); q++) {
			if (*q == '$' && isdigit((unsigned char)q[1])) {
				int g = q[1] - '0';
				q++;
				if (m[g].rm_so >= 0) {
					int len = (int)(m[g].rm_eo - m[g].rm_so);
					o += (size_t)snprintf(res + o, sizeof(res) - o, "%.*s", len, dn + m[g].rm_so);
					if (o >= sizeof(res))
						o = sizeof(res) - 1;
				}
				continue;
			}
			res[o++] = *q;
		}
		res[o < sizeof(res) ? o : sizeof(res) - 1] = '\0';
		regfree(&re);
		for (char *c = res; *c; c++)
			*c = (char)(r.lower ? tolower((unsigned char)*c) :
				    r.upper ? toupper((unsigned char)*c) : *c);
		snprintf(out, outlen, "%s", res);
		return 0;
	}
	return -1;
}

int sm_tls_peer_principal(SSL *ssl, const char *rules, char *out, size_t outlen)
{
	X509 *peer = SSL_get1_peer_certificate(ssl);
	char dn[1024], mapped[1024];
	BIO *b;
	int n;

	if (!peer) {
		snprintf(out, outlen, "User:ANONYMOUS");
		return 0;
	}
	b = BIO_new(BIO_s_mem());
	/* RFC 2253, most specific first, as X500Principal.getName() */
	X509_NAME_print_ex(b, X509_get_subject_name(peer), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	n = BIO_read(b, dn, (int)sizeof(dn) - 1);
	dn[n > 0 ? n : 0] = '\0';
	BIO_free(b);
	X509_free(peer);
	if (sm_tls_map_principal(rules, dn, mapped, sizeof(mapped)) < 0) {
		snprintf(out, outlen, "%s", dn);
		return -1;
	}
	snprintf(out, outlen, "User:%s", mapped);
	return 0;
}
