/*
 * test_sasl.c - JAAS parsing, base64, SCRAM credentials and both sides of
 * the PLAIN and SCRAM exchanges, including hostile tokens (sasl.h).
 */
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "sasl.h"

static void test_jaas(void)
{
	sm_jaas_t j;
	char err[256];

	CU_ASSERT_EQUAL(sm_jaas_parse("org.apache.kafka.common.security.plain.PlainLoginModule "
				      "required username=\"admin\" password=\"a\\\"b\" user_alice=alice-secret;",
				      &j, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(j.module, "org.apache.kafka.common.security.plain.PlainLoginModule");
	CU_ASSERT_STRING_EQUAL(sm_jaas_get(&j, "username"), "admin");
	CU_ASSERT_STRING_EQUAL(sm_jaas_get(&j, "password"), "a\"b");
	CU_ASSERT_STRING_EQUAL(sm_jaas_get(&j, "user_alice"), "alice-secret");
	sm_jaas_clear(&j);
	CU_ASSERT_EQUAL(sm_jaas_parse("X required a=b", &j, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(sm_jaas_parse("X maybe a=b;", &j, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(sm_jaas_parse("X required a=\"b;", &j, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(sm_jaas_parse("X required a=b; Y required;", &j, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(sm_jaas_parse("", &j, err, sizeof(err)), -1);
}

static void test_b64(void)
{
	uint8_t out[16];
	char enc[32];

	CU_ASSERT_EQUAL(sm_b64_decode("biws", 4, out, sizeof(out)), 3);
	CU_ASSERT_EQUAL(memcmp(out, "n,,", 3), 0);
	CU_ASSERT_EQUAL(sm_b64_decode("YQ==", 4, out, sizeof(out)), 1);
	CU_ASSERT_EQUAL(sm_b64_decode("YQ", 2, out, sizeof(out)), 1);
	CU_ASSERT_EQUAL(sm_b64_decode("Y", 1, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(sm_b64_decode("Y!==", 4, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(sm_b64_decode("YQ=", 3, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(sm_b64_decode("AAAAAAAAAAAAAAAAAAAAAAAA", 24, out, sizeof(out)), -1);
	sm_b64_encode((const uint8_t *)"ab", 2, enc);
	CU_ASSERT_STRING_EQUAL(enc, "YWI=");
}

static sm_sasl_listener_t *listener(const char *mechs)
{
	sm_props_t p;
	char err[512];

	sm_props_init(&p);
	sm_props_set(&p, "sasl.enabled.mechanisms", mechs);
	sm_props_set(&p, "listener.name.sasl_plaintext.plain.sasl.jaas.config",
		     "org.apache.kafka.common.security.plain.PlainLoginModule required "
		     "username=\"admin\" password=\"admin-secret\" user_admin=\"admin-secret\" "
		     "user_alice=\"alice-secret\";");
	sm_props_set(&p, "sasl.jaas.config",
		     "org.apache.kafka.common.security.scram.ScramLoginModule required "
		     "username=\"admin\" password=\"admin-secret\";");
	sm_sasl_listener_t *l = sm_sasl_listener_new(&p, "SASL_PLAINTEXT", SM_SASL_PLAIN, err,
						     sizeof(err));
	sm_props_free(&p);
	return l;
}

static void test_listener(void)
{
	sm_props_t p;
	char err[512];
	sm_sasl_listener_t *l = listener("PLAIN,SCRAM-SHA-512");

	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(l->mechs, SM_SASL_PLAIN | SM_SASL_SCRAM_SHA_512);
	CU_ASSERT_EQUAL(l->n_names, 2);
	CU_ASSERT_STRING_EQUAL(l->names[1], "SCRAM-SHA-512");
	CU_ASSERT_EQUAL(l->n_plain, 2);
	CU_ASSERT_STRING_EQUAL(l->username, "admin");
	sm_sasl_listener_free(l);
	sm_props_init(&p);
	CU_ASSERT_PTR_NULL(sm_sasl_listener_new(&p, "X", 0, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "GSSAPI"));
	sm_props_set(&p, "sasl.enabled.mechanisms", "PLAIN");
	CU_ASSERT_PTR_NULL(sm_sasl_listener_new(&p, "X", 0, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "JAAS"));
	sm_props_free(&p);
}

static int run_plain(sm_sasl_listener_t *l, const void *tok, size_t len, char *msg)
{
	sm_sasl_server_t *s = sm_sasl_server_new(l, SM_SASL_PLAIN);
	uint8_t *out;
	size_t outlen;
	char why[256];
	int rc = sm_sasl_server_step(s, tok, len, &out, &outlen, msg, 256, why, sizeof(why));
	free(out);
	sm_sasl_server_free(s);
	return rc;
}

static void test_plain(void)
{
	sm_sasl_listener_t *l = listener("PLAIN");
	char msg[256];

	CU_ASSERT_EQUAL(run_plain(l, "\0alice\0alice-secret", 19, msg), SM_SASL_DONE);
	CU_ASSERT_EQUAL(run_plain(l, "alice\0alice\0alice-secret", 24, msg), SM_SASL_DONE);
	CU_ASSERT_EQUAL(run_plain(l, "\0alice\0alice-secreT", 19, msg), SM_SASL_FAIL);
	CU_ASSERT_STRING_EQUAL(msg, "Authentication failed: Invalid username or password");
	CU_ASSERT_EQUAL(run_plain(l, "\0bob\0alice-secret", 17, msg), SM_SASL_FAIL);
	CU_ASSERT_EQUAL(run_plain(l, "\0alice", 6, msg), SM_SASL_FAIL);
	CU_ASSERT_STRING_EQUAL(msg, "Invalid SASL/PLAIN response: expected 3 tokens, got 2");
	CU_ASSERT_EQUAL(run_plain(l, "\0\0x", 3, msg), SM_SASL_FAIL);
	CU_ASSERT_STRING_EQUAL(msg, "Authentication failed: username not specified");
	CU_ASSERT_EQUAL(run_plain(l, "bob\0alice\0alice-secret", 22, msg), SM_SASL_FAIL);
	CU_ASSERT_EQUAL(run_plain(l, "", 0, msg), SM_SASL_FAIL);
	sm_sasl_listener_free(l);
}

/* The client and server sides against each other. */
static int scram_exchange(sm_sasl_listener_t *l, int mech, const char *user, const char *pw)
{
	sm_sasl_server_t *s = sm_sasl_server_new(l, mech);
	sm_sasl_client_t *c = sm_sasl_client_new(mech, user, pw);
	uint8_t *in = NULL, *out = NULL;
	size_t inlen = 0, outlen = 0;
	char msg[256], why[256];
	int rc = SM_SASL_FAIL;

	for (int round = 0; round < 4; round++) {
		int crc = sm_sasl_client_step(c, in, inlen, &out, &outlen, why, sizeof(why));
		free(in);
		in = NULL;
		if (crc == SM_SASL_DONE) {
			rc = SM_SASL_DONE;
			break;
		}
		if (crc == SM_SASL_FAIL)
			break;
		int src = sm_sasl_server_step(s, out, outlen, &in, &inlen, msg, sizeof(msg), why,
					      sizeof(why));
		free(out);
		out = NULL;
		if (src == SM_SASL_FAIL)
			break;
		if (src == SM_SASL_DONE)
			CU_ASSERT_STRING_EQUAL(sm_sasl_server_user(s), user);
	}
	free(in);
	free(out);
	sm_sasl_client_free(c);
	sm_sasl_server_free(s);
	return rc;
}

static void store_user(const char *user, int mech, const char *pw, int iterations)
{
	sm_scram_cred_t cred;
	CU_ASSERT_EQUAL_FATAL(sm_scram_cred_make(mech, pw, iterations, NULL, 0, &cred), 0);
	char *v = sm_scram_cred_format(&cred);
	char *keys[1] = { (char *)sm_sasl_mech_name(mech) }, *vals[1] = { v };
	sm_scram_store_put(user, keys, vals, 1);
	free(v);
}

static void test_scram(void)
{
	sm_sasl_listener_t *l = listener("SCRAM-SHA-256,SCRAM-SHA-512");

	store_user("alice", SM_SASL_SCRAM_SHA_256, "alice-secret", 4096);
	store_user("bob,=x", SM_SASL_SCRAM_SHA_512, "bob-secret", 8192);
	CU_ASSERT_EQUAL(scram_exchange(l, SM_SASL_SCRAM_SHA_256, "alice", "alice-secret"), SM_SASL_DONE);
	CU_ASSERT_EQUAL(scram_exchange(l, SM_SASL_SCRAM_SHA_256, "alice", "wrong"), SM_SASL_FAIL);
	CU_ASSERT_EQUAL(scram_exchange(l, SM_SASL_SCRAM_SHA_512, "alice", "alice-secret"), SM_SASL_FAIL);
	CU_ASSERT_EQUAL(scram_exchange(l, SM_SASL_SCRAM_SHA_512, "bob,=x", "bob-secret"), SM_SASL_DONE);
	/* removal */
	sm_scram_store_put("alice", NULL, NULL, 0);
	CU_ASSERT_EQUAL(scram_exchange(l, SM_SASL_SCRAM_SHA_256, "alice", "alice-secret"), SM_SASL_FAIL);
	/* a known credential (RFC 7677's example vector) */
	sm_scram_cred_t c;
	char err[128];
	CU_ASSERT_EQUAL(sm_scram_cred_parse("salt=W22ZaJ0SNY7soEsUEjb6gQ==,stored_key=WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,"
					   "server_key=wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=,iterations=4096",
					   SM_SASL_SCRAM_SHA_256, &c, err, sizeof(err)), 0);
	uint8_t salt[16];
	CU_ASSERT_EQUAL(sm_b64_decode("W22ZaJ0SNY7soEsUEjb6gQ==", 24, salt, sizeof(salt)), 16);
	sm_scram_cred_t d;
	CU_ASSERT_EQUAL(sm_scram_cred_make(SM_SASL_SCRAM_SHA_256, "pencil", 4096, salt, 16, &d), 0);
	CU_ASSERT_EQUAL(memcmp(c.stored_key, d.stored_key, 32), 0);
	CU_ASSERT_EQUAL(memcmp(c.server_key, d.server_key, 32), 0);
	CU_ASSERT_EQUAL(sm_scram_cred_parse("salt=AA==,iterations=4096", SM_SASL_SCRAM_SHA_256, &c,
					   err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(sm_scram_cred_parse("salt=AA==,stored_key=AA==,server_key=AA==,iterations=1",
					   SM_SASL_SCRAM_SHA_256, &c, err, sizeof(err)), -1);
	sm_scram_store_clear();
	sm_sasl_listener_free(l);
}

static int scram_server_says(sm_sasl_server_t *s, const char *tok, char *out_copy)
{
	uint8_t *out;
	size_t outlen;
	char msg[256], why[256];
	int rc = sm_sasl_server_step(s, (const uint8_t *)tok, strlen(tok), &out, &outlen, msg,
				     sizeof(msg), why, sizeof(why));
	if (out_copy) {
		memcpy(out_copy, out ? (char *)out : "", outlen);
		out_copy[outlen] = '\0';
	}
	free(out);
	return rc;
}

static void test_scram_hostile(void)
{
	sm_sasl_listener_t *l = listener("SCRAM-SHA-256");
	static const char *const firsts[] = {
		"", "n", "y,,n=alice,r=abc", "n,,", "n,,n=,r=abc", "n,,n=alice", "n,,n=alice,r=",
		"n,,n=al=ice,r=abc", "n,,n=alice,r=a\x01" "b", "n,a=bob,n=alice,r=abc", "p=x,,n=a,r=b",
		"n,,n=alice,x=abc", "n,a,n=alice,r=abc",
	};
	store_user("alice", SM_SASL_SCRAM_SHA_256, "alice-secret", 4096);
	for (size_t i = 0; i < sizeof(firsts) / sizeof(firsts[0]); i++) {
		sm_sasl_server_t *s = sm_sasl_server_new(l, SM_SASL_SCRAM_SHA_256);
		CU_ASSERT_EQUAL(scram_server_says(s, firsts[i], NULL), SM_SASL_FAIL);
		sm_sasl_server_free(s);
	}
	static const char *const finals[] = {
		"", "c=biws", "c=biws,r=abc,p=AAAA", "c=b!ws,r=%s,p=AAAA", "c=biws,r=%s,p=A",
		"c=biws,r=%s", "c=biws,r=%s,p=", "c=biws,r=%sx,p=AAAA", "c=biws,r=%s,p=%s",
	};
	for (size_t i = 0; i < sizeof(finals) / sizeof(finals[0]); i++) {
		sm_sasl_server_t *s = sm_sasl_server_new(l, SM_SASL_SCRAM_SHA_256);
		char sf[512], fin[1024];
		CU_ASSERT_EQUAL_FATAL(scram_server_says(s, "n,,n=alice,r=clientnonce", sf), SM_SASL_CONTINUE);
		char nonce[256];
		CU_ASSERT_EQUAL_FATAL(sscanf(sf, "r=%255[^,]", nonce), 1);
		/* %s: the nonce, then a proof of the right length but wrong value */
		const char *args[2] = { nonce, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" };
		size_t o = 0;
		int a = 0;
		for (const char *f = finals[i]; *f && o + 256 < sizeof(fin); f++) {
			if (f[0] == '%' && f[1] == 's') {
				o += (size_t)snprintf(fin + o, sizeof(fin) - o, "%s", args[a++]);
				f++;
			} else {
				fin[o++] = *f;
			}
		}
		fin[o] = '\0';
		CU_ASSERT_EQUAL(scram_server_says(s, fin, NULL), SM_SASL_FAIL);
		/* nothing more is accepted after a failure */
		CU_ASSERT_EQUAL(scram_server_says(s, fin, NULL), SM_SASL_FAIL);
		sm_sasl_server_free(s);
	}
	sm_scram_store_clear();
	sm_sasl_listener_free(l);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("sasl", NULL, NULL);
	CU_add_test(s, "JAAS config parsing", test_jaas);
	CU_add_test(s, "base64", test_b64);
	CU_add_test(s, "listener settings", test_listener);
	CU_add_test(s, "PLAIN", test_plain);
	CU_add_test(s, "SCRAM exchanges", test_scram);
	CU_add_test(s, "SCRAM hostile tokens", test_scram_hostile);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
