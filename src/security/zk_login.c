/*
 * zk_login.c - the ZooKeeper client's login from a JAAS file (see
 * zk_login.h). The file is parsed here only as far as sections go:
 *
 *   Client {
 *      org.apache.zookeeper.server.auth.DigestLoginModule required
 *      username="kafka" password="secret";
 *   };
 *
 * with // and slash-star comments; the section's body is one login module
 * entry in the syntax sasl.c's sm_jaas_parse reads. The file is read whole,
 * up to 1 MiB: a larger one is not a login configuration.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "sasl.h"
#include "zk_client.h"
#include "zk_login.h"

#define SM_ZK_LOGIN_MAX_FILE (1024 * 1024)

/* The value of -D<key>=<value> in opts (malloc'd), or NULL. Values end at
 * whitespace, as the shell has split KAFKA_OPTS for the JVM. */
static char *sm_zk_login_sysprop(const char *opts, const char *key)
{
	size_t kl = strlen(key);
	const char *p = opts;
	char *found = NULL;
	while (p && *p) {
		p += strspn(p, " \t\n");
		size_t n = strcspn(p, " \t\n");
		/* The last occurrence wins, as on a JVM command line. */
		if (n > kl + 3 && !strncmp(p, "-D", 2) && !strncmp(p + 2, key, kl) && p[2 + kl] == '=') {
			free(found);
			found = sm_strndup(p + 3 + kl, n - 3 - kl);
		}
		p += n;
	}
	return found;
}

/* Copies text with comments blanked out (quoted strings kept). */
static char *sm_zk_login_strip(const char *text, size_t len)
{
	char *o = sm_malloc(len + 1);
	size_t i = 0;
	int q = 0;
	while (i < len) {
		char c = text[i];
		if (q) {
			o[i] = c;
			if (c == '\\' && i + 1 < len) {
				o[i + 1] = text[i + 1];
				i += 2;
				continue;
			}
			if (c == '"')
				q = 0;
			i++;
		} else if (c == '"') {
			q = 1;
			o[i++] = c;
		} else if (c == '/' && i + 1 < len && text[i + 1] == '/') {
			while (i < len && text[i] != '\n')
				o[i++] = ' ';
		} else if (c == '/' && i + 1 < len && text[i + 1] == '*') {
			o[i++] = ' ';
			o[i++] = ' ';
			while (i < len && !(text[i] == '*' && i + 1 < len && text[i + 1] == '/')) {
				o[i] = text[i] == '\n' ? '\n' : ' ';
				i++;
			}
			for (int k = 0; k < 2 && i < len; k++)
				o[i++] = ' '; /* the closing star-slash */
		} else {
			o[i++] = c == '\0' ? ' ' : c;
		}
	}
	o[len] = '\0';
	return o;
}

static void sm_zk_login_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
}

/* The end of a section body: the first '}' outside quotes, or NULL. */
static const char *sm_zk_login_body_end(const char *p)
{
	int q = 0;
	for (; *p; p++) {
		if (q && *p == '\\' && p[1])
			p++;
		else if (*p == '"')
			q = !q;
		else if (!q && *p == '}')
			return p;
	}
	return NULL;
}

int sm_zk_login_parse(const char *text, size_t len, const char *section, char **userp,
		      char **passp, char *err, size_t errlen)
{
	char *t = sm_zk_login_strip(text, len);
	const char *p = t;
	int rc = 0;
	*userp = *passp = NULL;
	for (;;) {
		sm_zk_login_ws(&p);
		if (!*p)
			break;
		const char *name = p;
		while (*p && *p != '{' && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			p++;
		size_t nl = (size_t)(p - name);
		sm_zk_login_ws(&p);
		if (nl == 0 || *p != '{') {
			snprintf(err, errlen, "expected '<section name> {' in the JAAS file");
			rc = -1;
			break;
		}
		p++;
		const char *end = sm_zk_login_body_end(p);
		if (!end) {
			snprintf(err, errlen, "section %.*s does not end with '};'", (int)nl, name);
			rc = -1;
			break;
		}
		const char *body = p;
		p = end + 1;
		sm_zk_login_ws(&p);
		if (*p != ';') {
			snprintf(err, errlen, "section %.*s does not end with '};'", (int)nl, name);
			rc = -1;
			break;
		}
		p++;
		if (nl != strlen(section) || strncmp(name, section, nl))
			continue;
		char *b = sm_strndup(body, (size_t)(end - body));
		sm_jaas_t j;
		char jerr[256];
		if (sm_jaas_parse(b, &j, jerr, sizeof(jerr))) {
			snprintf(err, errlen, "section %s: %s", section, jerr);
			free(b);
			rc = -1;
			break;
		}
		free(b);
		const char *u = sm_jaas_get(&j, "username"), *pw = sm_jaas_get(&j, "password");
		if (!u || !pw || !*u) {
			snprintf(err, errlen, "section %s: login module %s has no username and "
				 "password options (only digest credentials can be used: the "
				 "ZooKeeper C client has no SASL, so no Kerberos)", section, j.module);
			rc = -1;
		} else {
			*userp = sm_strdup(u);
			*passp = sm_strdup(pw);
			rc = 1;
		}
		sm_jaas_clear(&j);
		break;
	}
	/* The copy may hold the password. */
	memset(t, 0, len);
	free(t);
	return rc;
}

int sm_zk_login_load(const char *opts, sm_zk_login_t *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	char *file = sm_zk_login_sysprop(opts, "java.security.auth.login.config");
	char *client = sm_zk_login_sysprop(opts, "zookeeper.sasl.client");
	char *ctx = sm_zk_login_sysprop(opts, "zookeeper.sasl.clientconfig");
	const char *section = ctx ? ctx : "Client";
	int rc = 0;
	snprintf(out->desc, sizeof(out->desc),
		 "[java.security.auth.login.config=%s, zookeeper.sasl.client=%s%s, "
		 "zookeeper.sasl.clientconfig=%s%s]", file ? file : "null",
		 client ? "" : "default:", client ? client : "true", ctx ? "" : "default:",
		 section);
	/* As JaasUtils.isZkSaslEnabled: no file, or the client switched off,
	 * means no login (not an error). */
	if (!file || (client && strcasecmp(client, "true")))
		goto out;
	FILE *f = fopen(file, "r");
	if (!f) {
		snprintf(err, errlen, "Cannot read the JAAS login file %s: %s", file,
			 strerror(errno));
		rc = -1;
		goto out;
	}
	char *text = sm_malloc(SM_ZK_LOGIN_MAX_FILE + 1);
	size_t n = fread(text, 1, SM_ZK_LOGIN_MAX_FILE + 1, f);
	int bad = ferror(f);
	fclose(f);
	if (bad || n > SM_ZK_LOGIN_MAX_FILE) {
		snprintf(err, errlen, "Cannot read the JAAS login file %s: %s", file,
			 bad ? "read error" : "larger than 1 MiB");
		free(text);
		rc = -1;
		goto out;
	}
	char perr[512];
	int found = sm_zk_login_parse(text, n, section, &out->username, &out->password, perr,
				      sizeof(perr));
	memset(text, 0, n);
	free(text);
	if (found < 0) {
		snprintf(err, errlen, "Invalid JAAS login file %s: %s", file, perr);
		rc = -1;
	} else if (found == 0) {
		/* Kafka: a login file without the client's section while
		 * zookeeper.sasl.client is on is an error. */
		snprintf(err, errlen, "JAAS configuration is present, but system property "
			 "zookeeper.sasl.clientconfig is set to %s and there is no such section "
			 "in %s", section, file);
		rc = -1;
	}
out:
	free(file);
	free(client);
	free(ctx);
	if (rc)
		sm_zk_login_clear(out);
	return rc;
}

int sm_zk_login_from_env(sm_zk_login_t *out, char *err, size_t errlen)
{
	return sm_zk_login_load(getenv("KAFKA_OPTS"), out, err, errlen);
}

void sm_zk_login_clear(sm_zk_login_t *l)
{
	if (l->password) {
		volatile char *p = l->password;
		while (*p)
			*p++ = '\0';
	}
	free(l->username);
	free(l->password);
	l->username = l->password = NULL;
}

sm_zk_t *sm_zk_login_connect(const char *connect, int secure, char *err, size_t errlen)
{
	sm_zk_login_t login;
	if (sm_zk_login_from_env(&login, err, errlen))
		return NULL;
	if (secure < 0)
		secure = login.username != NULL;
	if (secure && !login.username) {
		snprintf(err, errlen, "zookeeper.set.acl is true, but no ZooKeeper login is "
			 "configured: the verification of the JAAS login file failed %.300s",
			 login.desc);
		return NULL;
	}
	sm_zk_auth_t auth = { login.username, login.password, secure };
	sm_zk_t *zk = sm_zk_new_auth(connect, 30000, 30000, &auth, err, errlen);
	sm_zk_login_clear(&login);
	return zk;
}
