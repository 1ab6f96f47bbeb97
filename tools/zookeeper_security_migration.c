/*
 * zookeeper_security_migration.c - zookeeper-security-migration.sh
 * (Kafka's ZkSecurityMigrator): sets the ACLs of Kafka's znodes to the
 * secure ones (creator-all plus world read, creator-all only on the
 * sensitive paths, as the brokers create them with zookeeper.set.acl=true)
 * or back to open ones, recursively from each of Kafka's secure root paths,
 * and on the root of the chroot.
 *
 *   zookeeper-security-migration.sh --zookeeper.acl=secure|unsecure
 *       [--zookeeper.connect=host:port[/chroot]] [--enable.path.check]
 *       [--zookeeper.session.timeout=ms] [--zookeeper.connection.timeout=ms]
 *
 * The tool logs in as the brokers do (KAFKA_OPTS' JAAS login file, the
 * ZooKeeper digest scheme, src/security/zk_login.h): "creator" in the new
 * ACLs is that identity, and changing an ACL already set needs it. Without
 * a login it refuses, as Kafka's tool does. Kafka's --zk-tls-config-file is
 * refused: the ZooKeeper C client has no TLS.
 *
 * Thread-safety: a single-threaded program. The walk is synchronous and
 * depth-first; a znode deleted meanwhile is reported and skipped, as
 * Kafka's tool does; any other failure stops the tool with status 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "zk_client.h"
#include "zk_login.h"

/* ZkData.SecureRootPaths of Kafka 2.8 (ZkAclStore's paths included). */
static const char *const sm_zsm_roots[] = {
	"/admin", "/brokers", "/cluster", "/config", "/controller", "/controller_epoch",
	"/isr_change_notification", "/latest_producer_id_block", "/log_dir_event_notification",
	"/delegation_token", "/kafka-acl-extended", "/kafka-acl", "/kafka-acl-changes",
	"/kafka-acl-extended/prefixed", "/kafka-acl-extended-changes",
};
#define SM_ZSM_NROOTS (sizeof(sm_zsm_roots) / sizeof(sm_zsm_roots[0]))

static void sm_zsm_usage(FILE *out)
{
	fprintf(out,
		"ZooKeeper Migration Tool Help. This tool updates the ACLs of znodes as part of the process of setting up ZooKeeper authentication.\n"
		"Option                                  Description\n"
		"------                                  -----------\n"
		"--enable.path.check                     Checks if all the root paths exist in ZooKeeper\n"
		"                                          before migration. If not, exit the command.\n"
		"--help                                  Print usage information.\n"
		"--zk-tls-config-file <String: ZooKeeper Not supported (the ZooKeeper C client has no TLS).\n"
		"  TLS configuration>\n"
		"--zookeeper.acl <String>                Indicates whether to make the Kafka znodes in\n"
		"                                          ZooKeeper secure or unsecure. The options are\n"
		"                                          'secure' and 'unsecure'\n"
		"--zookeeper.connect <String>            Sets the ZooKeeper connect string (ensemble). This\n"
		"                                          parameter takes a comma-separated list of\n"
		"                                          host:port pairs. (default: localhost:2181)\n"
		"--zookeeper.connection.timeout <Integer> Sets the ZooKeeper connection timeout. (default:\n"
		"                                          30000)\n"
		"--zookeeper.session.timeout <Integer>   Sets the ZooKeeper session timeout. (default: 30000)\n");
}

static void sm_zsm_die(const char *msg)
{
	fprintf(stderr, "%s\n", msg);
	sm_zsm_usage(stderr);
	exit(1);
}

/* "--name=value" or "--name value": the value, or NULL if argv[*i] is not
 * --name. */
static const char *sm_zsm_opt(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	const char *a = argv[*i];
	if (strncmp(a, "--", 2) || strncmp(a + 2, name, n))
		return NULL;
	if (a[2 + n] == '=')
		return a + 3 + n;
	if (a[2 + n])
		return NULL;
	if (*i + 1 >= argc) {
		fprintf(stderr, "Option %s requires an argument\n", a);
		exit(1);
	}
	return argv[++*i];
}

static int sm_zsm_int(const char *s, const char *name)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v <= 0 || v > 0x7fffffff) {
		fprintf(stderr, "Cannot parse argument '%s' of option %s\n", s, name);
		exit(1);
	}
	return (int)v;
}

/* Sets path's ACL, then its children's, depth first. 0, or -1 after a
 * failure (reported). */
static int sm_zsm_walk(sm_zk_t *zk, const char *path, int secure, long *count)
{
	sm_err_t e = sm_zk_set_acl_kind(zk, path, sm_zk_acl_kind(secure, path));
	if (e == SM_ERR__NOENT) {
		fprintf(stderr, "WARN Znode is gone, it could be have been legitimately deleted: %s\n",
			path);
		return 0;
	}
	if (e) {
		fprintf(stdout, "Unexpected error setting the ACL of %s\n", path);
		return -1;
	}
	(*count)++;
	char **kids;
	int n;
	e = sm_zk_get_children(zk, path, 0, &kids, &n);
	if (e == SM_ERR__NOENT)
		return 0;
	if (e) {
		fprintf(stdout, "Unexpected error listing the children of %s\n", path);
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < n && !rc; i++) {
		size_t cl = strlen(path) + strlen(kids[i]) + 2;
		char *child = sm_malloc(cl);
		snprintf(child, cl, "%s/%s", strcmp(path, "/") ? path : "", kids[i]);
		rc = sm_zsm_walk(zk, child, secure, count);
		free(child);
	}
	sm_zk_strings_free(kids, n);
	return rc;
}

int main(int argc, char **argv)
{
	const char *acl = NULL, *connect = "localhost:2181", *v;
	int session_ms = 30000, conn_ms = 30000, path_check = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			sm_zsm_usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--enable.path.check")) {
			path_check = 1;
		} else if ((v = sm_zsm_opt(argc, argv, &i, "zookeeper.acl"))) {
			acl = v;
		} else if ((v = sm_zsm_opt(argc, argv, &i, "zookeeper.connect"))) {
			connect = v;
		} else if ((v = sm_zsm_opt(argc, argv, &i, "zookeeper.session.timeout"))) {
			session_ms = sm_zsm_int(v, "zookeeper.session.timeout");
		} else if ((v = sm_zsm_opt(argc, argv, &i, "zookeeper.connection.timeout"))) {
			conn_ms = sm_zsm_int(v, "zookeeper.connection.timeout");
		} else if ((v = sm_zsm_opt(argc, argv, &i, "zk-tls-config-file"))) {
			fprintf(stderr, "ERROR: --zk-tls-config-file is not supported: the ZooKeeper "
				"C client Samsa uses has no TLS\n");
			return 1;
		} else {
			fprintf(stderr, "%s is not a recognized option\n", argv[i]);
			sm_zsm_usage(stderr);
			return 1;
		}
	}
	int secure;
	if (acl && !strcmp(acl, "secure"))
		secure = 1;
	else if (acl && !strcmp(acl, "unsecure"))
		secure = 0;
	else
		sm_zsm_die("Missing or invalid --zookeeper.acl: it must be 'secure' or 'unsecure'");

	char err[1024];
	sm_zk_login_t login;
	if (sm_zk_login_from_env(&login, err, sizeof(err))) {
		fprintf(stderr, "ERROR: %s\n", err);
		return 1;
	}
	if (!login.username) {
		fprintf(stderr, "ERROR: No JAAS configuration file has been specified and no TLS "
			"client certificate has been specified. Please make sure that you set the "
			"system property java.security.auth.login.config (in KAFKA_OPTS, as "
			"-Djava.security.auth.login.config=<file> with a Client section) %s\n",
			login.desc);
		return 1;
	}
	sm_zk_auth_t auth = { login.username, login.password, secure };
	sm_zk_t *zk = sm_zk_new_auth(connect, session_ms, conn_ms, &auth, err, sizeof(err));
	sm_zk_login_clear(&login);
	if (!zk) {
		fprintf(stderr, "ERROR: %s\n", err);
		return 1;
	}

	long count = 0;
	int rc = 0;
	/* The root of the chroot alone, as Kafka's tool does. */
	if (sm_zk_set_acl_kind(zk, "/", sm_zk_acl_kind(secure, "/"))) {
		fprintf(stdout, "Unexpected error setting the ACL of /\n");
		rc = 1;
		goto out;
	}
	count++;
	char missing[1024] = "";
	for (size_t i = 0; i < SM_ZSM_NROOTS; i++) {
		if (sm_zk_exists(zk, sm_zsm_roots[i], 0, NULL) == SM_ERR__NOENT) {
			size_t l = strlen(missing);
			snprintf(missing + l, sizeof(missing) - l, "%s%s", l ? "," : "",
				 sm_zsm_roots[i]);
		}
	}
	if (*missing) {
		printf("Warning: The following secure root paths do not exist in ZooKeeper: %s\n",
		       missing);
		printf("That might be due to an incorrect chroot is specified when executing the "
		       "command.\n");
		if (path_check) {
			printf("Exit the command.\n");
			rc = 1;
			goto out;
		}
	}
	for (size_t i = 0; i < SM_ZSM_NROOTS && !rc; i++) {
		const char *p = sm_zsm_roots[i];
		sm_err_t e = sm_zk_exists(zk, p, 0, NULL);
		/* /controller is ephemeral: never created here. */
		if (e == SM_ERR__NOENT && !strcmp(p, "/controller"))
			continue;
		if (e == SM_ERR__NOENT) {
			e = sm_zk_create_recursive(zk, p, NULL, 0, SM_ZK_PERSISTENT);
			if (e == SM_ERR__EXISTS)
				e = SM_ERR_NONE;
		}
		if (e) {
			fprintf(stdout, "Unexpected error creating %s\n", p);
			rc = 1;
			break;
		}
		if (sm_zsm_walk(zk, p, secure, &count))
			rc = 1;
	}
	if (!rc)
		fprintf(stderr, "Set the %s ACLs of %ld znodes\n", secure ? "secure" : "open", count);
out:
	sm_zk_destroy(zk);
	return rc;
}
