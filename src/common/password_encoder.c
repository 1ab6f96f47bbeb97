/*
 * password_encoder.c - Kafka's PasswordEncoder with OpenSSL; see
 * password_encoder.h.
 */
#include "password_encoder.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define SM_PE_SALT_LEN 256
#define SM_PE_IV_LEN 16
#define SM_PE_ITERATIONS 4096
#define SM_PE_MAX_ITERATIONS 1000000 /* a stored string must not stall the broker */
#define SM_PE_MAX_LEN 65536

static char *sm_pe_b64(const unsigned char *p, size_t n)
{
	char *out = sm_malloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

/* Standard base64 with padding; returns the decoded length or -1. */
static int sm_pe_unb64(const char *s, size_t n, unsigned char **out)
{
	if (n == 0 || n % 4 || n > SM_PE_MAX_LEN)
		return -1;
	*out = sm_malloc(n / 4 * 3 + 1);
	int len = EVP_DecodeBlock(*out, (const unsigned char *)s, (int)n);
	if (len < 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes */
	if (s[n - 1] == '=')
		len--;
	if (s[n - 2] == '=')
		len--;
	return len;
}

static const EVP_MD *sm_pe_md(const char *alg)
{
	if (!strcmp(alg, "PBKDF2WithHmacSHA512"))
		return EVP_sha512();
	if (!strcmp(alg, "PBKDF2WithHmacSHA256"))
		return EVP_sha256();
	if (!strcmp(alg, "PBKDF2WithHmacSHA1"))
		return EVP_sha1();
	return NULL;
}

static const EVP_CIPHER *sm_pe_cipher(const char *alg, long key_bits)
{
	if (strcmp(alg, "AES/CBC/PKCS5Padding"))
		return NULL;
	return key_bits == 128 ? EVP_aes_128_cbc() : key_bits == 192 ? EVP_aes_192_cbc()
		: key_bits == 256 ? EVP_aes_256_cbc() : NULL;
}

/* One AES-CBC pass; returns the output length or -1. */
static int sm_pe_crypt(const EVP_CIPHER *c, const unsigned char *key, const unsigned char *iv,
		       const unsigned char *in, int n, unsigned char *out, int enc)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0, ok = ctx && EVP_CipherInit_ex(ctx, c, NULL, key, iv, enc) == 1 &&
		EVP_CipherUpdate(ctx, out, &l1, in, n) == 1 &&
		EVP_CipherFinal_ex(ctx, out + l1, &l2) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? l1 + l2 : -1;
}

char *sm_password_encode(const char *secret, const char *password, char *err, size_t errlen)
{
	unsigned char salt[SM_PE_SALT_LEN], iv[SM_PE_IV_LEN], key[16];
	size_t n = strlen(password);
	if (n > SM_PE_MAX_LEN) {
		snprintf(err, errlen, "Password too long");
		return NULL;
	}
	if (RAND_bytes(salt, sizeof(salt)) != 1 || RAND_bytes(iv, sizeof(iv)) != 1 ||
	    PKCS5_PBKDF2_HMAC(secret, (int)strlen(secret), salt, sizeof(salt), SM_PE_ITERATIONS,
			      EVP_sha512(), sizeof(key), key) != 1) {
		snprintf(err, errlen, "Password encoding failed");
		return NULL;
	}
	unsigned char *ct = sm_malloc(n + SM_PE_IV_LEN + 1);
	int ctl = sm_pe_crypt(EVP_aes_128_cbc(), key, iv, (const unsigned char *)password, (int)n, ct, 1);
	if (ctl < 0) {
		free(ct);
		snprintf(err, errlen, "Password encoding failed");
		return NULL;
	}
	char *s_salt = sm_pe_b64(salt, sizeof(salt)), *s_iv = sm_pe_b64(iv, sizeof(iv));
	char *s_ct = sm_pe_b64(ct, (size_t)ctl);
	/* Java's String.length: UTF-16 units, i.e. the code points below
	 * U+10000 once and those above twice */
	long units = 0;
	for (const unsigned char *p = (const unsigned char *)password; *p; p++)
		if ((*p & 0xc0) != 0x80)
			units += (*p & 0xf8) == 0xf0 ? 2 : 1;
	size_t len = strlen(s_salt) + strlen(s_iv) + strlen(s_ct) + 256;
	char *out = sm_malloc(len);
	snprintf(out, len,
		 "keyFactoryAlgorithm:PBKDF2WithHmacSHA512,cipherAlgorithm:AES/CBC/PKCS5Padding,keyLength:128,salt:%s,iterations:%d,encryptedPassword:%s,passwordLength:%ld,initializationVector:%s",
		 s_salt, SM_PE_ITERATIONS, s_ct, units, s_iv);
	free(s_salt);
	free(s_iv);
	free(s_ct);
	free(ct);
	return out;
}

/* The value of "name:" in the comma-separated pairs of s, or NULL. */
static char *sm_pe_field(const char *s, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = s; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		if (strncmp(p, name, nl) || p[nl] != ':')
			continue;
		const char *v = p + nl + 1, *e = strchr(v, ',');
		return sm_strndup(v, e ? (size_t)(e - v) : strlen(v));
	}
	return NULL;
}

char *sm_password_decode(const char *secret, const char *encoded, char *err, size_t errlen)
{
	char *kf = sm_pe_field(encoded, "keyFactoryAlgorithm"), *ca = sm_pe_field(encoded, "cipherAlgorithm");
	char *kl = sm_pe_field(encoded, "keyLength"), *it = sm_pe_field(encoded, "iterations");
	char *sa = sm_pe_field(encoded, "salt"), *iv = sm_pe_field(encoded, "initializationVector");
	char *ep = sm_pe_field(encoded, "encryptedPassword"), *pl = sm_pe_field(encoded, "passwordLength");
	unsigned char *salt = NULL, *ivb = NULL, *ct = NULL, *pt = NULL;
	size_t ptcap = 0;
	char *res = NULL;
	snprintf(err, errlen, "Malformed encoded password");
	if (!kf || !ca || !kl || !it || !sa || !iv || !ep || !pl)
		goto out;
	long key_bits = strtol(kl, NULL, 10), iters = strtol(it, NULL, 10);
	const EVP_MD *md = sm_pe_md(kf);
	const EVP_CIPHER *c = sm_pe_cipher(ca, key_bits);
	if (!md || !c) {
		snprintf(err, errlen, "Unsupported password encoding %s / %s / %s", kf, ca, kl);
		goto out;
	}
	if (iters < 1 || iters > SM_PE_MAX_ITERATIONS)
		goto out;
	int sl = sm_pe_unb64(sa, strlen(sa), &salt), il = sm_pe_unb64(iv, strlen(iv), &ivb);
	int cl = sm_pe_unb64(ep, strlen(ep), &ct);
	if (sl <= 0 || il != SM_PE_IV_LEN || cl <= 0)
		goto out;
	unsigned char key[32];
	if (PKCS5_PBKDF2_HMAC(secret, (int)strlen(secret), salt, sl, (int)iters, md,
			      (int)(key_bits / 8), key) != 1)
		goto out;
	ptcap = (size_t)cl + SM_PE_IV_LEN + 1;
	pt = sm_calloc(1, ptcap);
	int n = sm_pe_crypt(c, key, ivb, ct, cl, pt, 0);
	if (n < 0) {
		snprintf(err, errlen, "Password decoding failed (wrong password.encoder.secret?)");
		goto out;
	}
	pt[n] = '\0';
	if ((size_t)n != strlen((char *)pt))
		goto out;
	long units = 0;
	for (const unsigned char *p = pt; *p; p++)
		if ((*p & 0xc0) != 0x80)
			units += (*p & 0xf8) == 0xf0 ? 2 : 1;
	if (units != strtol(pl, NULL, 10)) {
		snprintf(err, errlen, "Password decoding failed (wrong password.encoder.secret?)");
		goto out;
	}
	res = sm_strdup((char *)pt);
out:
	free(kf); free(ca); free(kl); free(it); free(sa); free(iv); free(ep); free(pl);
	free(salt); free(ivb); free(ct);
	if (pt) {
		/* the whole buffer: a failed decryption leaves no terminator */
		OPENSSL_cleanse(pt, ptcap);
		free(pt);
	}
	return res;
}
