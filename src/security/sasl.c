/*
 * sasl.c - SASL mechanisms, JAAS options and SCRAM credentials (sasl.h).
 *
 * The SCRAM exchange (RFC 5802) as Kafka's ScramSaslServer runs it:
 *   client-first  n,[a=<authzid>],n=<saslname>,r=<cnonce>[,ext...]
 *   server-first  r=<cnonce><snonce>,s=<b64 salt>,i=<iterations>
 *   client-final  c=<b64 gs2 header>,r=<nonce>[,ext...],p=<b64 proof>
 *   server-final  v=<b64 server signature>
 * The proof is checked by recovering ClientKey = proof XOR
 * HMAC(StoredKey, AuthMessage) and comparing H(ClientKey) with StoredKey in
 * constant time; the password itself is never stored.
 */
#include "sasl.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "buf.h"
#include "logger.h"


static const char *const sm_sasl_names[] = { "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512" };

int sm_sasl_mech_from_name(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (name && !strcmp(name, sm_sasl_names[i]))
			return 1 << i;
	return 0;
}

const char *sm_sasl_mech_name(int mech)
{
	for (int i = 0; i < 3; i++)
		if (mech == 1 << i)
			return sm_sasl_names[i];
	return "?";
}

static const EVP_MD *sm_scram_md(int mech)
{
	return mech == SM_SASL_SCRAM_SHA_512 ? EVP_sha512() : EVP_sha256();
}

/* ---- base64 ---- */

static const char sm_b64_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int sm_b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long sm_b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap)
{
	size_t o = 0, pad = 0;
	uint32_t acc = 0;
	int bits = 0;

	while (inlen > 0 && in[inlen - 1] == '=' && pad < 2) {
		inlen--;
		pad++;
	}
	if (pad && (inlen + pad) % 4)
		return -1;
	if (inlen % 4 == 1)
		return -1;
	for (size_t i = 0; i < inlen; i++) {
		int v = sm_b64_val((unsigned char)in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outcap)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return (long)o;
}

void sm_b64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = sm_b64_chars[v >> 18 & 63];
		out[o++] = sm_b64_chars[v >> 12 & 63];
		out[o++] = i + 1 < n ? sm_b64_chars[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? sm_b64_chars[v & 63] : '=';
	}
	out[o] = '\0';
}

/* ---- JAAS ---- */

static void sm_jaas_skip_ws(const char **p)
{
	while (**p && isspace((unsigned char)**p))
		(*p)++;
}

/* A bare word: anything up to whitespace, '=' or ';'. */
static char *sm_jaas_word(const char **p)
{
	const char *s = *p;
	while (**p && !isspace((unsigned char)**p) && **p != '=' && **p != ';' && **p != '"')
		(*p)++;
	if (*p == s)
		return NULL;
	char *w = sm_malloc((size_t)(*p - s) + 1);
	memcpy(w, s, (size_t)(*p - s));
	w[*p - s] = '\0';
	return w;
}

/* A value: "quoted with \-escapes" or a bare word. */
static char *sm_jaas_value(const char **p)
{
	if (**p != '"')
		return sm_jaas_word(p);
	(*p)++;
	size_t cap = strlen(*p) + 1, n = 0;
	char *v = sm_malloc(cap);
	while (**p && **p != '"') {
		char c = **p;
		if (c == '\\' && (*p)[1]) {
			(*p)++;
			c = **p;
			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
		}
		v[n++] = c;
		(*p)++;
	}
	if (**p != '"') {
		free(v);
		return NULL;
	}
	(*p)++;
	v[n] = '\0';
	return v;
}

int sm_jaas_parse(const char *text, sm_jaas_t *out, char *err, size_t errlen)
{
	const char *p = text ? text : "";

	memset(out, 0, sizeof(*out));
	sm_jaas_skip_ws(&p);
	out->module = sm_jaas_word(&p);
	sm_jaas_skip_ws(&p);
	out->flag = sm_jaas_word(&p);
	if (!out->module || !out->flag) {
		snprintf(err, errlen, "expected a login module name and control flag");
		goto fail;
	}
	if (strcasecmp(out->flag, "required") && strcasecmp(out->flag, "requisite") &&
	    strcasecmp(out->flag, "sufficient") && strcasecmp(out->flag, "optional")) {
		snprintf(err, errlen, "invalid control flag '%s'", out->flag);
		goto fail;
	}
	for (;;) {
		sm_jaas_skip_ws(&p);
		if (*p == ';')
			break;
		if (!*p) {
			snprintf(err, errlen, "the login module entry does not end with ';'");
			goto fail;
		}
		char *k = sm_jaas_word(&p);
		if (!k || *p != '=') {
			free(k);
			snprintf(err, errlen, "expected key=value in the login module options");
			goto fail;
		}
		p++;
		char *v = sm_jaas_value(&p);
		if (!v) {
			snprintf(err, errlen, "bad value of option %s", k);
			free(k);
			goto fail;
		}
		out->keys = sm_realloc(out->keys, sizeof(char *) * (size_t)(out->n + 1));
		out->values = sm_realloc(out->values, sizeof(char *) * (size_t)(out->n + 1));
		out->keys[out->n] = k;
		out->values[out->n] = v;
		out->n++;
	}
	p++;
	sm_jaas_skip_ws(&p);
	if (*p) {
		snprintf(err, errlen, "JAAS config property contains more than one login module");
		goto fail;
	}
	return 0;
fail:
	sm_jaas_clear(out);
	return -1;
}

const char *sm_jaas_get(const sm_jaas_t *j, const char *key)
{
	for (int i = 0; i < j->n; i++)
		if (!strcmp(j->keys[i], key))
			return j->values[i];
	return NULL;
}

void sm_jaas_clear(sm_jaas_t *j)
{
	for (int i = 0; i < j->n; i++) {
		free(j->keys[i]);
		free(j->values[i]);
	}
	free(j->keys);
	free(j->values);
	free(j->module);
	free(j->flag);
	memset(j, 0, sizeof(*j));
}

/* ---- listener settings ---- */

/* listener.name.<l>.<key> (listener part in any case), else <key>. */
static const char *sm_sasl_get(const sm_props_t *given, const char *listener, const char *key)
{
	return sm_props_listener_get(given, listener, key);
}

/* The JAAS entry of one mechanism: listener.name.<l>.<mech>.sasl.jaas.config,
 * else sasl.jaas.config. */
static const char *sm_sasl_jaas_text(const sm_props_t *given, const char *listener, int mech,
				     char *key, size_t keylen)
{
	char mk[64];
	const char *name = sm_sasl_mech_name(mech);
	size_t i;

	for (i = 0; name[i] && i + 1 < sizeof(mk); i++)
		mk[i] = (char)tolower((unsigned char)name[i]);
	mk[i] = '\0';
	snprintf(key, keylen, "%s.sasl.jaas.config", mk);
	size_t ll = strlen(listener);
	for (int j = 0; j < given->cnt; j++) {
		const char *k = given->v[j].key;
		if (!strncmp(k, "listener.name.", 14) && !strncasecmp(k + 14, listener, ll) &&
		    k[14 + ll] == '.' && !strcmp(k + 15 + ll, key)) {
			snprintf(key, keylen, "%s", k);
			return given->v[j].value;
		}
	}
	snprintf(key, keylen, "sasl.jaas.config");
	return sm_props_get(given, "sasl.jaas.config");
}

void sm_sasl_listener_free(sm_sasl_listener_t *l)
{
	if (!l)
		return;
	for (int i = 0; i < l->n_plain; i++) {
		free(l->plain[i].name);
		OPENSSL_cleanse(l->plain[i].password, strlen(l->plain[i].password));
		free(l->plain[i].password);
	}
	free(l->plain);
	free(l->username);
	free(l->password);
	free(l);
}

sm_sasl_listener_t *sm_sasl_listener_new(const sm_props_t *given, const char *listener,
					 int inter_mech, char *err, size_t errlen)
{
	sm_sasl_listener_t *l = sm_calloc(1, sizeof(*l));
	const char *mechs = sm_sasl_get(given, listener, "sasl.enabled.mechanisms");
	char *copy, *save = NULL;

	snprintf(l->listener, sizeof(l->listener), "%s", listener);
	/* Kafka's default is GSSAPI, which Samsa does not offer. */
	copy = sm_strdup(mechs ? mechs : "GSSAPI");
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*t))
			t++;
		char *e = t + strlen(t);
		while (e > t && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (!*t)
			continue;
		int m = sm_sasl_mech_from_name(t);
		if (!m) {
			snprintf(err, errlen, "Invalid value %s for configuration "
				 "sasl.enabled.mechanisms of listener %s: SASL mechanism %s is not "
				 "supported (PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 are)",
				 mechs ? mechs : "GSSAPI (the default)", listener, t);
			free(copy);
			goto fail;
		}
		if (!(l->mechs & m))
			l->names[l->n_names++] = sm_sasl_mech_name(m);
		l->mechs |= m;
	}
	free(copy);
	if (!l->mechs) {
		snprintf(err, errlen, "No SASL mechanisms are enabled for listener %s "
			 "(sasl.enabled.mechanisms)", listener);
		goto fail;
	}
	const char *ra = sm_sasl_get(given, listener, "connections.max.reauth.ms");
	if (ra) {
		char *end;
		errno = 0;
		long long v = strtoll(ra, &end, 10);
		if (!*ra || *end || errno || v < 0) {
			snprintf(err, errlen, "Invalid value %s for configuration "
				 "connections.max.reauth.ms of listener %s", ra, listener);
			goto fail;
		}
		l->reauth_ms = v;
	}
	if (inter_mech && !(l->mechs & inter_mech)) {
		snprintf(err, errlen, "sasl.mechanism.inter.broker.protocol %s must be included "
			 "in sasl.enabled.mechanisms of the inter-broker listener %s",
			 sm_sasl_mech_name(inter_mech), listener);
		goto fail;
	}
	for (int i = 0; i < 3; i++) {
		int m = 1 << i;
		char key[256], jerr[256];
		sm_jaas_t j;
		if (!(l->mechs & m))
			continue;
		const char *text = sm_sasl_jaas_text(given, listener, m, key, sizeof(key));
		if (!text) {
			if (m == SM_SASL_PLAIN || m == inter_mech) {
				char ll[64], ml[32];
				size_t k;
				for (k = 0; listener[k] && k + 1 < sizeof(ll); k++)
					ll[k] = (char)tolower((unsigned char)listener[k]);
				ll[k] = '\0';
				const char *mn = sm_sasl_mech_name(m);
				for (k = 0; mn[k] && k + 1 < sizeof(ml); k++)
					ml[k] = (char)tolower((unsigned char)mn[k]);
				ml[k] = '\0';
				snprintf(err, errlen, "No JAAS configuration for SASL mechanism %s "
					 "on listener %s: set listener.name.%s.%s.sasl.jaas.config",
					 mn, listener, ll, ml);
				goto fail;
			}
			continue;
		}
		if (sm_jaas_parse(text, &j, jerr, sizeof(jerr))) {
			snprintf(err, errlen, "Invalid value for configuration %s: %s", key, jerr);
			goto fail;
		}
		if (m == SM_SASL_PLAIN) {
			for (int k = 0; k < j.n; k++) {
				if (strncmp(j.keys[k], "user_", 5) || !j.keys[k][5])
					continue;
				l->plain = sm_realloc(l->plain, sizeof(*l->plain) * (size_t)(l->n_plain + 1));
				l->plain[l->n_plain].name = sm_strdup(j.keys[k] + 5);
				l->plain[l->n_plain].password = sm_strdup(j.values[k]);
				l->n_plain++;
			}
		}
		if (m == inter_mech) {
			const char *u = sm_jaas_get(&j, "username"), *p = sm_jaas_get(&j, "password");
			if (!u || !p) {
				snprintf(err, errlen, "Invalid value for configuration %s: the "
					 "inter-broker mechanism %s needs username and password options",
					 key, sm_sasl_mech_name(m));
				sm_jaas_clear(&j);
				goto fail;
			}
			l->username = sm_strdup(u);
			l->password = sm_strdup(p);
		}
		sm_jaas_clear(&j);
	}
	return l;
fail:
	sm_sasl_listener_free(l);
	return NULL;
}

/* ---- SCRAM helpers ---- */

static size_t sm_scram_hash(int mech, const void *in, size_t n, uint8_t *out)
{
	unsigned int len = 0;
	EVP_Digest(in, n, out, &len, sm_scram_md(mech), NULL);
	return len;
}

static size_t sm_scram_hmac(int mech, const uint8_t *key, size_t klen, const void *in, size_t n,
			    uint8_t *out)
{
	unsigned int len = 0;
	HMAC(sm_scram_md(mech), key, (int)klen, in, n, out, &len);
	return len;
}

int sm_scram_cred_make(int mech, const char *password, int iterations,
		       const uint8_t *salt, size_t salt_len, sm_scram_cred_t *out)
{
	uint8_t salted[64], client_key[64];
	size_t kl = mech == SM_SASL_SCRAM_SHA_512 ? 64 : 32;

	memset(out, 0, sizeof(*out));
	if (iterations < 1 || (mech != SM_SASL_SCRAM_SHA_256 && mech != SM_SASL_SCRAM_SHA_512))
		return -1;
	if (salt) {
		if (salt_len > sizeof(out->salt))
			return -1;
		memcpy(out->salt, salt, salt_len);
		out->salt_len = salt_len;
	} else {
		if (RAND_bytes(out->salt, 32) != 1)
			return -1;
		out->salt_len = 32;
	}
	if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), out->salt, (int)out->salt_len,
			      iterations, sm_scram_md(mech), (int)kl, salted) != 1)
		return -1;
	sm_scram_hmac(mech, salted, kl, "Client Key", 10, client_key);
	sm_scram_hash(mech, client_key, kl, out->stored_key);
	sm_scram_hmac(mech, salted, kl, "Server Key", 10, out->server_key);
	out->key_len = kl;
	out->iterations = iterations;
	OPENSSL_cleanse(salted, sizeof(salted));
	OPENSSL_cleanse(client_key, sizeof(client_key));
	return 0;
}

int sm_scram_cred_from_salted(int mech, const uint8_t *salt, size_t salt_len,
			      const uint8_t *salted, size_t salted_len, int iterations,
			      sm_scram_cred_t *out)
{
	uint8_t client_key[64];
	size_t kl = mech == SM_SASL_SCRAM_SHA_512 ? 64 : 32;

	memset(out, 0, sizeof(out[0]));
	if ((mech != SM_SASL_SCRAM_SHA_256 && mech != SM_SASL_SCRAM_SHA_512) || salt_len == 0 ||
	    salt_len > sizeof(out->salt) || salted_len == 0 || salted_len > INT32_MAX)
		return -1;
	memcpy(out->salt, salt, salt_len);
	out->salt_len = salt_len;
	sm_scram_hmac(mech, salted, salted_len, "Client Key", 10, client_key);
	sm_scram_hash(mech, client_key, kl, out->stored_key);
	sm_scram_hmac(mech, salted, salted_len, "Server Key", 10, out->server_key);
	out->key_len = kl;
	out->iterations = iterations;
	OPENSSL_cleanse(client_key, sizeof(client_key));
	return 0;
}

size_t sm_scram_salted_password(int mech, const char *password, const uint8_t *salt,
				size_t salt_len, int iterations, uint8_t *out)
{
	size_t kl = mech == SM_SASL_SCRAM_SHA_512 ? 64 : 32;
	if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len, iterations,
			      sm_scram_md(mech), (int)kl, out) != 1)
		return 0;
	return kl;
}

char *sm_sasl_sanitize(const char *name)
{
	size_t n = strlen(name);
	char *out = sm_malloc(n * 3 + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (isalnum(c) || c == '.' || c == '-' || c == '_')
			*o++ = (char)c;
		else
			o += sprintf(o, "%%%02X", c);
	}
	*o = '\0';
	return out;
}

char *sm_sasl_desanitize(const char *name)
{
	size_t n = strlen(name), o = 0;
	char *out = sm_malloc(n + 1);

	for (size_t i = 0; i < n; i++) {
		if (name[i] == '%' && i + 2 < n && sm_hex_digit(name[i + 1]) >= 0 &&
		    sm_hex_digit(name[i + 2]) >= 0) {
			out[o++] = (char)(sm_hex_digit(name[i + 1]) * 16 + sm_hex_digit(name[i + 2]));
			i += 2;
		} else if (name[i] == '+') {
			out[o++] = ' ';
		} else {
			out[o++] = name[i];
		}
	}
	out[o] = '\0';
	return out;
}

int sm_scram_cred_parse(const char *s, int mech, sm_scram_cred_t *out, char *err, size_t errlen)
{
	size_t kl = mech == SM_SASL_SCRAM_SHA_512 ? 64 : 32;
	int have = 0;

	memset(out, 0, sizeof(*out));
	out->key_len = kl;
	while (s && *s) {
		const char *eq = strchr(s, '='), *end = strchr(s, ',');
		if (!end)
			end = s + strlen(s);
		if (!eq || eq > end) {
			snprintf(err, errlen, "expected key=value");
			return -1;
		}
		size_t klen = (size_t)(eq - s), vlen = (size_t)(end - eq - 1);
		const char *v = eq + 1;
		long n;
		if (klen == 4 && !strncmp(s, "salt", 4)) {
			n = sm_b64_decode(v, vlen, out->salt, sizeof(out->salt));
			if (n <= 0) {
				snprintf(err, errlen, "bad salt");
				return -1;
			}
			out->salt_len = (size_t)n;
			have |= 1;
		} else if (klen == 10 && !strncmp(s, "stored_key", 10)) {
			uint8_t tmp[65];
			n = sm_b64_decode(v, vlen, tmp, sizeof(tmp));
			if (n != (long)kl) {
				snprintf(err, errlen, "bad stored_key");
				return -1;
			}
			memcpy(out->stored_key, tmp, kl);
			have |= 2;
		} else if (klen == 10 && !strncmp(s, "server_key", 10)) {
			uint8_t tmp[65];
			n = sm_b64_decode(v, vlen, tmp, sizeof(tmp));
			if (n != (long)kl) {
				snprintf(err, errlen, "bad server_key");
				return -1;
			}
			memcpy(out->server_key, tmp, kl);
			have |= 4;
		} else if (klen == 10 && !strncmp(s, "iterations", 10)) {
			char num[16];
			char *e;
			if (vlen == 0 || vlen >= sizeof(num)) {
				snprintf(err, errlen, "bad iterations");
				return -1;
			}
			memcpy(num, v, vlen);
			num[vlen] = '\0';
			errno = 0;
			long it = strtol(num, &e, 10);
			if (*e || errno || it < 1 || it > INT32_MAX) {
				snprintf(err, errlen, "bad iterations");
				return -1;
			}
			out->iterations = (int)it;
			have |= 8;
		}
		s = *end ? end + 1 : end;
	}
	if (have != 15) {
		snprintf(err, errlen, "salt, stored_key, server_key and iterations are required");
		return -1;
	}
	return 0;
}

char *sm_scram_cred_format(const sm_scram_cred_t *c)
{
	char salt[180], sk[90], svk[90];
	char *out = sm_malloc(400);

	sm_b64_encode(c->salt, c->salt_len, salt);
	sm_b64_encode(c->stored_key, c->key_len, sk);
	sm_b64_encode(c->server_key, c->key_len, svk);
	snprintf(out, 400, "salt=%s,stored_key=%s,server_key=%s,iterations=%d", salt, sk, svk,
		 c->iterations);
	return out;
}

/* ---- credential store ---- */

typedef struct sm_scram_entry {
	char *user;
	int mechs;
	sm_scram_cred_t cred[2]; /* SHA-256, SHA-512 */
	struct sm_scram_entry *next;
} sm_scram_entry_t;

static pthread_mutex_t sm_scram_lock = PTHREAD_MUTEX_INITIALIZER;
static sm_scram_entry_t *sm_scram_entries;

static void sm_scram_entry_free(sm_scram_entry_t *e)
{
	OPENSSL_cleanse(e->cred, sizeof(e->cred));
	free(e->user);
	free(e);
}

void sm_scram_store_put(const char *user, char *const *keys, char *const *values, int n)
{
	sm_scram_entry_t *ne = sm_calloc(1, sizeof(*ne));

	ne->user = sm_strdup(user);
	for (int i = 0; i < n; i++) {
		int m = sm_sasl_mech_from_name(keys[i]);
		char err[128];
		if (m != SM_SASL_SCRAM_SHA_256 && m != SM_SASL_SCRAM_SHA_512)
			continue;
		sm_scram_cred_t *c = &ne->cred[m == SM_SASL_SCRAM_SHA_512];
		if (sm_scram_cred_parse(values[i], m, c, err, sizeof(err))) {
			sm_log_warn(NULL, "kafka.server.UserConfigHandler", "Ignoring malformed %s "
				    "credential of user %s: %s", keys[i], user, err);
			continue;
		}
		ne->mechs |= m;
	}
	pthread_mutex_lock(&sm_scram_lock);
	sm_scram_entry_t **pp = &sm_scram_entries;
	while (*pp && strcmp((*pp)->user, user))
		pp = &(*pp)->next;
	sm_scram_entry_t *old = *pp;
	if (old)
		*pp = old->next;
	if (ne->mechs) {
		ne->next = sm_scram_entries;
		sm_scram_entries = ne;
		ne = NULL;
	}
	pthread_mutex_unlock(&sm_scram_lock);
	if (old)
		sm_scram_entry_free(old);
	if (ne)
		sm_scram_entry_free(ne);
}

int sm_scram_store_get(const char *user, int mech, sm_scram_cred_t *out)
{
	int rc = -1;

	pthread_mutex_lock(&sm_scram_lock);
	for (sm_scram_entry_t *e = sm_scram_entries; e; e = e->next) {
		if (strcmp(e->user, user))
			continue;
		if (e->mechs & mech) {
			*out = e->cred[mech == SM_SASL_SCRAM_SHA_512];
			rc = 0;
		}
		break;
	}
	pthread_mutex_unlock(&sm_scram_lock);
	return rc;
}

void sm_scram_store_clear(void)
{
	pthread_mutex_lock(&sm_scram_lock);
	sm_scram_entry_t *e = sm_scram_entries;
	sm_scram_entries = NULL;
	pthread_mutex_unlock(&sm_scram_lock);
	while (e) {
		sm_scram_entry_t *next = e->next;
		sm_scram_entry_free(e);
		e = next;
	}
}

/* ---- server sessions ---- */

enum { SM_SS_FIRST, SM_SS_FINAL, SM_SS_DONE, SM_SS_FAILED };

struct sm_sasl_server {
	const sm_sasl_listener_t *l;
	int mech;
	int state;
	char *user;
	char *client_first_bare;
	char *server_first;
	char *nonce;            /* client nonce + server nonce */
	sm_scram_cred_t cred;
};

sm_sasl_server_t *sm_sasl_server_new(const sm_sasl_listener_t *l, int mech)
{
	sm_sasl_server_t *s = sm_calloc(1, sizeof(*s));
	s->l = l;
	s->mech = mech;
	return s;
}

void sm_sasl_server_free(sm_sasl_server_t *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(&s->cred, sizeof(s->cred));
	free(s->user);
	free(s->client_first_bare);
	free(s->server_first);
	free(s->nonce);
	free(s);
}

const char *sm_sasl_server_user(const sm_sasl_server_t *s)
{
	return s->state == SM_SS_DONE ? s->user : NULL;
}

static int sm_sasl_fail(sm_sasl_server_t *s, char *msg, size_t msglen, const char *client_msg,
			char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
static int sm_sasl_fail(sm_sasl_server_t *s, char *msg, size_t msglen, const char *client_msg,
			char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	s->state = SM_SS_FAILED;
	OPENSSL_cleanse(&s->cred, sizeof(s->cred));
	if (client_msg)
		snprintf(msg, msglen, "%s", client_msg);
	else /* Kafka hides a SaslException's detail from the client */
		snprintf(msg, msglen, "Authentication failed during authentication due to "
			 "invalid credentials with SASL mechanism %s", sm_sasl_mech_name(s->mech));
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return SM_SASL_FAIL;
}

/* Constant-time equality of two strings of possibly different lengths. */
static int sm_sasl_str_eq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	if (alen != blen) {
		/* still spend the comparison so the length does not show */
		(void)CRYPTO_memcmp(b, b, blen);
		return 0;
	}
	return CRYPTO_memcmp(a, b, alen) == 0;
}

static int sm_sasl_plain(sm_sasl_server_t *s, const uint8_t *in, size_t inlen, char *msg,
			 size_t msglen, char *why, size_t whylen)
{
	const char *tok[3];
	size_t len[3];
	int n = 0;
	size_t start = 0;

	for (size_t i = 0; i <= inlen; i++) {
		if (i < inlen && in[i] != 0)
			continue;
		if (n < 3) {
			tok[n] = (const char *)in + start;
			len[n] = i - start;
		}
		n++;
		start = i + 1;
	}
	if (n != 3) {
		char m[128];
		snprintf(m, sizeof(m), "Invalid SASL/PLAIN response: expected 3 tokens, got %d", n);
		return sm_sasl_fail(s, msg, msglen, m, why, whylen, "%s", m);
	}
	if (len[1] == 0)
		return sm_sasl_fail(s, msg, msglen, "Authentication failed: username not specified",
				    why, whylen, "PLAIN: empty username");
	if (len[2] == 0)
		return sm_sasl_fail(s, msg, msglen, "Authentication failed: password not specified",
				    why, whylen, "PLAIN: empty password");
	char user[256];
	size_t ul = len[1] < sizeof(user) - 1 ? len[1] : sizeof(user) - 1;
	memcpy(user, tok[1], ul);
	user[ul] = '\0';
	const sm_sasl_user_t *found = NULL;
	for (int i = 0; i < s->l->n_plain; i++)
		if (ul == len[1] && !strcmp(s->l->plain[i].name, user))
			found = &s->l->plain[i];
	/* Compare against something even for an unknown user. */
	int ok = sm_sasl_str_eq(tok[2], len[2], found ? found->password : "") && found;
	if (!ok)
		return sm_sasl_fail(s, msg, msglen, "Authentication failed: Invalid username or "
				    "password", why, whylen, "PLAIN: %s for user %.100s",
				    found ? "wrong password" : "unknown user", user);
	if (len[0] && (len[0] != len[1] || memcmp(tok[0], tok[1], len[0])))
		return sm_sasl_fail(s, msg, msglen, "Authentication failed: Client requested an "
				    "authorization id that is different from username", why, whylen,
				    "PLAIN: authorization id differs from user %.100s", user);
	s->user = sm_strdup(user);
	s->state = SM_SS_DONE;
	return SM_SASL_DONE;
}

/* A SCRAM saslname ([\x01-\x7F] except ',' and '=', or =2C / =3D) of
 * n bytes, decoded into a malloc'd string; NULL when invalid. */
static char *sm_scram_saslname(const char *p, size_t n)
{
	char *out;
	size_t o = 0;

	if (n == 0)
		return NULL;
	out = sm_malloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '=') {
			if (i + 2 < n && p[i + 1] == '2' && p[i + 2] == 'C')
				out[o++] = ',';
			else if (i + 2 < n && p[i + 1] == '3' && p[i + 2] == 'D')
				out[o++] = '=';
			else {
				free(out);
				return NULL;
			}
			i += 2;
			continue;
		}
		if (c == 0 || c > 0x7F || c == ',') {
			free(out);
			return NULL;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

/* Printable ASCII except ',' (a nonce). */
static int sm_scram_printable(const char *p, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7E || p[i] == ',')
			return 0;
	return 1;
}

static const char *sm_memchr_c(const char *p, size_t n, char c)
{
	return memchr(p, c, n);
}

static int sm_scram_first(sm_sasl_server_t *s, const char *in, size_t n, uint8_t **out,
			  size_t *outlen, char *msg, size_t msglen, char *why, size_t whylen)
{
	const char *p = in, *end = in + n, *authz = NULL;
	size_t authz_len = 0;

	if (n < 3 || memcmp(p, "n,", 2))
		return sm_sasl_fail(s, msg, msglen, NULL, why, whylen, "SCRAM: invalid client-first "
				    "message (gs2 header is not 'n,')");
	p += 2;
	if (p < end && *p == 'a') {
		if (end - p < 2 || p[1] != '=')
			goto bad;
		authz = p + 2;
		const char *c = sm_memchr_c(authz, (size_t)(end - authz), ',');
		if (!c)
			goto bad;
		authz_len = (size_t)(c - authz);
		p = c;
	}
	if (p >= end || *p != ',')
		goto bad;
	p++;
	const char *bare = p;
	if (end - p < 2 || memcmp(p, "n=", 2))
		goto bad;
	p += 2;
	const char *c = sm_memchr_c(p, (size_t)(end - p), ',');
	if (!c)
		goto bad;
	char *user = sm_scram_saslname(p, (size_t)(c - p));
	if (!user)
		goto bad;
	p = c + 1;
	if (end - p < 2 || memcmp(p, "r=", 2)) {
		free(user);
		goto bad;
	}
	p += 2;
	c = sm_memchr_c(p, (size_t)(end - p), ',');
	const char *nonce_end = c ? c : end;
	if (!sm_scram_printable(p, (size_t)(nonce_end - p))) {
		free(user);
		goto bad;
	}
	s->user = user;
	s->client_first_bare = sm_malloc((size_t)(end - bare) + 1);
	memcpy(s->client_first_bare, bare, (size_t)(end - bare));
	s->client_first_bare[end - bare] = '\0';
	if (strlen(s->client_first_bare) != (size_t)(end - bare))
		return sm_sasl_fail(s, msg, msglen, NULL, why, whylen, "SCRAM: NUL in client-first");
	if (sm_scram_store_get(user, s->mech, &s->cred))
		return sm_sasl_fail(s, msg, msglen, NULL, why, whylen, "SCRAM: no %s credential "
				    "for user %.100s", sm_sasl_mech_name(s->mech), user);
	if (authz && (authz_len != strlen(user) || memcmp(authz, user, authz_len)))
		return sm_sasl_fail(s, msg, msglen, "Authentication failed: Client requested an "
				    "authorization id that is different from username", why, whylen,
				    "SCRAM: authorization id differs from user %.100s", user);
	if (s->cred.iterations < SM_SCRAM_MIN_ITERATIONS)
		return sm_sasl_fail(s, msg, msglen, NULL, why, whylen, "SCRAM: Iterations %d is less "
				    "than the minimum %d for %s (user %.100s)", s->cred.iterations,
				    SM_SCRAM_MIN_ITERATIONS, sm_sasl_mech_name(s->mech), user);
	/* server nonce: 32 characters of [0-9a-z] */
	uint8_t rnd[32];
	char snonce[33];
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return sm_sasl_fail(s, msg, msglen, NULL, why, whylen, "SCRAM: no random bytes");
	for (int i = 0; i < 32; i++)
		snonce[i] = "0123456789abcdefghijklmnopqrstuvwxyz"[rnd[i] % 36];
	snonce[32] = '\0';
	size_t cnl = (size_t)(nonce_end - p);
	s->nonce = sm_malloc(cnl + 33);
	memcpy(s->nonce, p, cnl);
	memcpy(s->nonce + cnl, snonce, 33);
	char salt[180];
	sm_b64_encode(s->cred.salt, s->cred.salt_len, salt);
	size_t sfl = strlen(s->nonce) + strlen(salt) + 32;
	s->server_first = sm_malloc(sfl);
	snprintf(s->server_first, sfl, "r=%s,s=%s,i=%d", s->nonce, salt, s->cred.iterations);
	*outlen = strlen(s->server_first);
	*out = (uint8_t *)sm_strdup(s->server_first);
	s->state = SM_SS_FINAL;
	return SM_SASL_CONTINUE;
bad:
	return sm_sasl_fail(s, msg, msglen, NULL, why, whylen, "SCRAM: invalid client-first message");
}

static int sm_scram_final(sm_sasl_server_t *s, const char *in, size_t n, uint8_t **out,
			  size_t *outlen, char *msg, size_t msglen, char *why, size_t whylen)
{
	const char *end = in + n;
	uint8_t gs2[128], proof[65], sig[64], client_key[64], stored[64], ssig[64];
	size_t kl = s->cred.key_len;

	if (memchr(in, 0, n))
		goto bad;
	if (n < 2 || memcmp(in, "c=", 2))
		goto bad;
	const char *c = sm_memchr_c(in + 2, n - 2, ',');
	if (!c || sm_b64_decode(in + 2, (size_t)(c - in - 2), gs2, sizeof(gs2)) < 0)
		goto bad;
	const char *r = c + 1;
	if (end - r < 2 || memcmp(r, "r=", 2))
		goto bad;
	r += 2;
	c = sm_memchr_c(r, (size_t)(end - r), ',');
	if (!c)
		goto bad;
	/* The nonce must end with the one the server sent (librdkafka sends
	 * its client nonce once more in front of it): the check Kafka
	 * releases after 2.8 make, which 2.8 itself skips. */
	size_t nl = strlen(s->nonce), rl = (size_t)(c - r);
	if (rl < nl || memcmp(r + rl - nl, s->nonce, nl))
		return sm_sasl_fail(s, msg, msglen, NULL, why, whylen, "SCRAM: invalid client "
				    "nonce in the final client message (user %.100s)", s->user);
	/* the proof is the last attribute */
	const char *pp = NULL;
	for (const char *q = c; q + 3 <= end; q++)
		if (q[0] == ',' && q[1] == 'p' && q[2] == '=')
			pp = q;
	if (!pp)
		goto bad;
	long pl = sm_b64_decode(pp + 3, (size_t)(end - pp - 3), proof, sizeof(proof));
	if (pl != (long)kl)
		goto bad;
	size_t wl = (size_t)(pp - in);
	size_t al = strlen(s->client_first_bare) + strlen(s->server_first) + wl + 2;
	char *auth = sm_malloc(al + 1);
	snprintf(auth, al + 1, "%s,%s,", s->client_first_bare, s->server_first);
	memcpy(auth + al - wl, in, wl);
	auth[al] = '\0';
	sm_scram_hmac(s->mech, s->cred.stored_key, kl, auth, al, sig);
	for (size_t i = 0; i < kl; i++)
		client_key[i] = proof[i] ^ sig[i];
	sm_scram_hash(s->mech, client_key, kl, stored);
	if (CRYPTO_memcmp(stored, s->cred.stored_key, kl)) {
		free(auth);
		return sm_sasl_fail(s, msg, msglen, NULL, why, whylen, "SCRAM: invalid client "
				    "credentials (wrong password) for user %.100s", s->user);
	}
	sm_scram_hmac(s->mech, s->cred.server_key, kl, auth, al, ssig);
	free(auth);
	char b64[100];
	sm_b64_encode(ssig, kl, b64);
	*out = sm_malloc(strlen(b64) + 3);
	*outlen = (size_t)sprintf((char *)*out, "v=%s", b64);
	OPENSSL_cleanse(&s->cred, sizeof(s->cred));
	s->state = SM_SS_DONE;
	return SM_SASL_DONE;
bad:
	return sm_sasl_fail(s, msg, msglen, NULL, why, whylen, "SCRAM: invalid client-final "
			    "message (user %.100s)", s->user ? s->user : "?");
}

int sm_sasl_server_step(sm_sasl_server_t *s, const uint8_t *in, size_t inlen,
			uint8_t **out, size_t *outlen, char *msg, size_t msglen,
			char *why, size_t whylen)
{
	*out = NULL;
	*outlen = 0;
	if (s->state == SM_SS_DONE || s->state == SM_SS_FAILED)
		return sm_sasl_fail(s, msg, msglen, NULL, why, whylen, "unexpected token after the "
				    "exchange ended");
	if (s->mech == SM_SASL_PLAIN)
		return sm_sasl_plain(s, in, inlen, msg, msglen, why, whylen);
	if (s->state == SM_SS_FIRST)
		return sm_scram_first(s, (const char *)in, inlen, out, outlen, msg, msglen, why, whylen);
	return sm_scram_final(s, (const char *)in, inlen, out, outlen, msg, msglen, why, whylen);
}

/* ---- inter-broker identity ---- */

static int sm_sasl_ib_mech;
static char *sm_sasl_ib_user, *sm_sasl_ib_password;

void sm_sasl_interbroker_set(int mech, const char *user, const char *password)
{
	free(sm_sasl_ib_user);
	if (sm_sasl_ib_password)
		OPENSSL_cleanse(sm_sasl_ib_password, strlen(sm_sasl_ib_password));
	free(sm_sasl_ib_password);
	sm_sasl_ib_mech = mech;
	sm_sasl_ib_user = user ? sm_strdup(user) : NULL;
	sm_sasl_ib_password = password ? sm_strdup(password) : NULL;
}

int sm_sasl_interbroker(const char **user, const char **password)
{
	*user = sm_sasl_ib_user;
	*password = sm_sasl_ib_password;
	return sm_sasl_ib_user && sm_sasl_ib_password ? sm_sasl_ib_mech : 0;
}

/* ---- client side ---- */

struct sm_sasl_client {
	int mech;
	int state;
	char *user;
	char *password;
	char cnonce[33];
	char *client_first_bare;
	uint8_t server_sig[64];
	size_t kl;
};

sm_sasl_client_t *sm_sasl_client_new(int mech, const char *user, const char *password)
{
	sm_sasl_client_t *c = sm_calloc(1, sizeof(*c));
	c->mech = mech;
	c->user = sm_strdup(user);
	c->password = sm_strdup(password);
	return c;
}

void sm_sasl_client_free(sm_sasl_client_t *c)
{
	if (!c)
		return;
	OPENSSL_cleanse(c->password, strlen(c->password));
	free(c->password);
	free(c->user);
	free(c->client_first_bare);
	free(c);
}

int sm_sasl_client_step(sm_sasl_client_t *c, const uint8_t *in, size_t inlen,
			uint8_t **out, size_t *outlen, char *why, size_t whylen)
{
	*out = NULL;
	*outlen = 0;
	if (c->mech == SM_SASL_PLAIN) {
		if (c->state++ > 0)
			return SM_SASL_DONE;
		size_t ul = strlen(c->user), pl = strlen(c->password);
		*out = sm_malloc(ul + pl + 2);
		(*out)[0] = 0;
		memcpy(*out + 1, c->user, ul);
		(*out)[ul + 1] = 0;
		memcpy(*out + ul + 2, c->password, pl);
		*outlen = ul + pl + 2;
		return SM_SASL_CONTINUE;
	}
	if (c->state == 0) {
		uint8_t rnd[32];
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			snprintf(why, whylen, "no random bytes");
			return SM_SASL_FAIL;
		}
		for (int i = 0; i < 32; i++)
			c->cnonce[i] = "0123456789abcdefghijklmnopqrstuvwxyz"[rnd[i] % 36];
		size_t ul = strlen(c->user);
		char *esc = sm_malloc(ul * 3 + 1), *e = esc;
		for (size_t i = 0; i < ul; i++) {
			if (c->user[i] == ',')
				e += sprintf(e, "=2C");
			else if (c->user[i] == '=')
				e += sprintf(e, "=3D");
			else
				*e++ = c->user[i];
		}
		*e = '\0';
		size_t bl = strlen(esc) + 40;
		c->client_first_bare = sm_malloc(bl);
		snprintf(c->client_first_bare, bl, "n=%s,r=%s", esc, c->cnonce);
		free(esc);
		*outlen = strlen(c->client_first_bare) + 3;
		*out = sm_malloc(*outlen + 1);
		snprintf((char *)*out, *outlen + 1, "n,,%s", c->client_first_bare);
		c->state = 1;
		return SM_SASL_CONTINUE;
	}
	if (c->state == 1) {
		/* server-first: r=<nonce>,s=<salt>,i=<iterations>[,...] */
		char *sf = sm_malloc(inlen + 1);
		memcpy(sf, in, inlen);
		sf[inlen] = '\0';
		char *r = strncmp(sf, "r=", 2) ? NULL : sf + 2;
		char *s = r ? strstr(r, ",s=") : NULL;
		char *i = s ? strstr(s + 3, ",i=") : NULL;
		if (!r || !s || !i || strlen(sf) != inlen ||
		    strncmp(r, c->cnonce, strlen(c->cnonce))) {
			snprintf(why, whylen, "invalid SCRAM server-first message");
			free(sf);
			return SM_SASL_FAIL;
		}
		uint8_t salt[128];
		long sl = sm_b64_decode(s + 3, (size_t)(i - s - 3), salt, sizeof(salt));
		long it = strtol(i + 3, NULL, 10);
		if (sl <= 0 || it < SM_SCRAM_MIN_ITERATIONS || it > SM_SCRAM_CLIENT_MAX_ITERATIONS) {
			snprintf(why, whylen, "invalid salt or iterations in SCRAM server-first message");
			free(sf);
			return SM_SASL_FAIL;
		}
		sm_scram_cred_t cred;
		if (sm_scram_cred_make(c->mech, c->password, (int)it, salt, (size_t)sl, &cred)) {
			snprintf(why, whylen, "cannot derive SCRAM keys");
			free(sf);
			return SM_SASL_FAIL;
		}
		size_t kl = cred.key_len;
		/* ClientKey again: cred_make keeps only its hash */
		uint8_t salted[64], client_key[64], sig[64];
		PKCS5_PBKDF2_HMAC(c->password, (int)strlen(c->password), salt, (int)sl, (int)it,
				  sm_scram_md(c->mech), (int)kl, salted);
		sm_scram_hmac(c->mech, salted, kl, "Client Key", 10, client_key);
		size_t nl = (size_t)(s - r);
		size_t wl = nl + 9;
		char *without = sm_malloc(wl + 1);
		snprintf(without, wl + 1, "c=biws,r=%.*s", (int)nl, r);
		size_t al = strlen(c->client_first_bare) + inlen + strlen(without) + 2;
		char *auth = sm_malloc(al + 1);
		snprintf(auth, al + 1, "%s,%s,%s", c->client_first_bare, sf, without);
		sm_scram_hmac(c->mech, cred.stored_key, kl, auth, al, sig);
		for (size_t k = 0; k < kl; k++)
			client_key[k] ^= sig[k];
		sm_scram_hmac(c->mech, cred.server_key, kl, auth, al, c->server_sig);
		c->kl = kl;
		char proof[100];
		sm_b64_encode(client_key, kl, proof);
		*outlen = strlen(without) + strlen(proof) + 3;
		*out = sm_malloc(*outlen + 1);
		snprintf((char *)*out, *outlen + 1, "%s,p=%s", without, proof);
		OPENSSL_cleanse(salted, sizeof(salted));
		OPENSSL_cleanse(&cred, sizeof(cred));
		free(auth);
		free(without);
		free(sf);
		c->state = 2;
		return SM_SASL_CONTINUE;
	}
	/* server-final: v=<signature> */
	uint8_t v[65];
	long vl = inlen > 2 && !memcmp(in, "v=", 2) ?
		sm_b64_decode((const char *)in + 2, inlen - 2, v, sizeof(v)) : -1;
	if (vl != (long)c->kl || CRYPTO_memcmp(v, c->server_sig, c->kl)) {
		snprintf(why, whylen, "invalid SCRAM server signature");
		return SM_SASL_FAIL;
	}
	return SM_SASL_DONE;
}
