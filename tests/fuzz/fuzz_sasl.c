/*
 * fuzz_sasl.c - libFuzzer harness for the SASL mechanisms (sasl.c): the
 * tokens a client sends before it is authenticated, and the answers an
 * inter-broker connection gets from a (possibly hostile) broker.
 *
 * Input: a mode byte, then tokens, each a big-endian uint16 length and
 * that many bytes (a short last token is cut at the end of the input).
 *   mode & 3 == 0: PLAIN server; 1: SCRAM-SHA-256 server; 2: SCRAM-SHA-512
 *     server (user "alice" has credentials for both); tokens are the
 *     client's. In the second token the first "@@" is replaced by the nonce
 *     of the server-first message, so the fuzzer reaches the proof check.
 *   mode & 3 == 3: the JAAS parser on the first token, then the SCRAM
 *     credential parser on the second, the JAAS login-file parser
 *     (zk_login.c) on the third.
 *   mode & 0x80 with SCRAM: the client side instead (user alice), the
 *     tokens are the server's answers.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "logger.h"
#include "sasl.h"
#include "zk_login.h"

static sm_sasl_listener_t *sm_fz_listener(void)
{
	static sm_sasl_listener_t *l;
	if (!l) {
		sm_props_t p;
		char err[256];
		sm_logger_set_level(SM_LOG_FATAL);
		sm_props_init(&p);
		sm_props_set(&p, "sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512");
		sm_props_set(&p, "sasl.jaas.config", "org.apache.kafka.common.security.plain."
			     "PlainLoginModule required user_alice=\"alice-secret\";");
		l = sm_sasl_listener_new(&p, "SASL_PLAINTEXT", 0, err, sizeof(err));
		sm_props_free(&p);
		for (int m = SM_SASL_SCRAM_SHA_256; m <= SM_SASL_SCRAM_SHA_512; m <<= 1) {
			sm_scram_cred_t c;
			static const uint8_t salt[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
			sm_scram_cred_make(m, "alice-secret", 4096, salt, sizeof(salt), &c);
			char *v = sm_scram_cred_format(&c);
			char *k = (char *)sm_sasl_mech_name(m);
			/* put replaces the user's whole set: both at once */
			static char *keys[2], *vals[2];
			keys[m == SM_SASL_SCRAM_SHA_512] = k;
			vals[m == SM_SASL_SCRAM_SHA_512] = v;
			if (m == SM_SASL_SCRAM_SHA_512) {
				sm_scram_store_put("alice", keys, vals, 2);
				free(vals[0]);
				free(vals[1]);
			}
		}
	}
	return l;
}

/* The next token of the input; 0 when none is left. */
static int sm_fz_token(const uint8_t **p, const uint8_t *end, const uint8_t **tok, size_t *len)
{
	if (end - *p < 2)
		return 0;
	size_t n = (size_t)(*p)[0] << 8 | (*p)[1];
	*p += 2;
	if (n > (size_t)(end - *p))
		n = (size_t)(end - *p);
	*tok = *p;
	*len = n;
	*p += n;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sm_sasl_listener_t *l = sm_fz_listener();
	const uint8_t *p = data + 1, *end = data + size, *tok;
	size_t len;
	char msg[256], why[256], nonce[256] = "";

	if (size < 1 || !l)
		return 0;
	int sel = data[0] & 3;
	if (sel == 3) {
		if (sm_fz_token(&p, end, &tok, &len)) {
			char *s = malloc(len + 1);
			memcpy(s, tok, len);
			s[len] = '\0';
			sm_jaas_t j;
			if (sm_jaas_parse(s, &j, why, sizeof(why)) == 0)
				sm_jaas_clear(&j);
			free(s);
		}
		if (sm_fz_token(&p, end, &tok, &len)) {
			char *s = malloc(len + 1);
			memcpy(s, tok, len);
			s[len] = '\0';
			sm_scram_cred_t c;
			if (sm_scram_cred_parse(s, SM_SASL_SCRAM_SHA_512, &c, why, sizeof(why)) == 0)
				free(sm_scram_cred_format(&c));
			free(s);
		}
		/* A JAAS login file (zk_login.h): length-bounded, NULs allowed. */
		if (sm_fz_token(&p, end, &tok, &len)) {
			char *u, *pw;
			if (sm_zk_login_parse((const char *)tok, len, "Client", &u, &pw, why,
					      sizeof(why)) == 1) {
				free(u);
				free(pw);
			}
		}
		return 0;
	}
	int mech = sel == 0 ? SM_SASL_PLAIN : sel == 1 ? SM_SASL_SCRAM_SHA_256 : SM_SASL_SCRAM_SHA_512;
	if ((data[0] & 0x80) && mech != SM_SASL_PLAIN) {
		sm_sasl_client_t *c = sm_sasl_client_new(mech, "alice", "alice-secret");
		uint8_t *out = NULL;
		size_t outlen = 0;
		int rc = sm_sasl_client_step(c, NULL, 0, &out, &outlen, why, sizeof(why));
		free(out);
		while (rc == SM_SASL_CONTINUE && sm_fz_token(&p, end, &tok, &len)) {
			rc = sm_sasl_client_step(c, tok, len, &out, &outlen, why, sizeof(why));
			free(out);
		}
		sm_sasl_client_free(c);
		return 0;
	}
	sm_sasl_server_t *s = sm_sasl_server_new(l, mech);
	int rc = SM_SASL_CONTINUE;
	for (int i = 0; rc == SM_SASL_CONTINUE && sm_fz_token(&p, end, &tok, &len); i++) {
		uint8_t *out = NULL, *buf = NULL;
		size_t outlen = 0;
		const uint8_t *at = i == 1 && nonce[0] ? memmem(tok, len, "@@", 2) : NULL;
		if (at) {
			size_t nl = strlen(nonce), off = (size_t)(at - tok);
			buf = malloc(len - 2 + nl);
			memcpy(buf, tok, off);
			memcpy(buf + off, nonce, nl);
			memcpy(buf + off + nl, at + 2, len - off - 2);
			tok = buf;
			len = len - 2 + nl;
		}
		rc = sm_sasl_server_step(s, tok, len, &out, &outlen, msg, sizeof(msg), why, sizeof(why));
		if (rc == SM_SASL_CONTINUE && out && outlen > 2 && !memcmp(out, "r=", 2)) {
			size_t k = 2;
			while (k < outlen && out[k] != ',' && k - 2 < sizeof(nonce) - 1)
				k++;
			memcpy(nonce, out + 2, k - 2);
			nonce[k - 2] = '\0';
		}
		if (rc == SM_SASL_DONE && !sm_sasl_server_user(s))
			abort(); /* authenticated without a user */
		free(out);
		free(buf);
	}
	sm_sasl_server_free(s);
	return 0;
}
