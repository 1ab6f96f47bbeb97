/*
 * main.c - samsa-server: `samsa-server server.properties [--override k=v]...`
 * (the command line of Kafka's kafka.Kafka). Diagnostics go to $LOG_DIR
 * (server.log, controller.log, state-change.log) and server.log to stdout.
 * Under systemd (Type=notify) it reports READY=1 once started, with the
 * listeners accepting, and STOPPING=1 when a signal begins the shutdown.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_config.h"
#include "kafka_server.h"
#include "logger.h"
#include "sd_notify.h"
#include "thread_role.h"

/*
 * The log4j.properties named by KAFKA_LOG4J_OPTS
 * ("-Dlog4j.configuration=file:/etc/kafka/log4j.properties", as Kafka's
 * scripts set it) gives the rolling of the log files. A file that cannot
 * be used is reported and the logs are then written without rolling, as
 * log4j carries on with a bad configuration.
 */
static void sm_main_log4j(void)
{
	const char *opts = getenv("KAFKA_LOG4J_OPTS");
	const char *key = "-Dlog4j.configuration=";
	const char *p = opts ? strstr(opts, key) : NULL;
	if (!p)
		return;
	p += strlen(key);
	if (!strncmp(p, "file://", 7))
		p += 7;
	else if (!strncmp(p, "file:", 5))
		p += 5;
	char path[4096];
	size_t n = strcspn(p, " \t");
	if (n == 0 || n >= sizeof(path))
		return;
	memcpy(path, p, n);
	path[n] = '\0';
	char err[1024];
	if (sm_logger_configure(path, err, sizeof(err)))
		fprintf(stderr, "samsa-server: log4j configuration not used: %s\n", err);
}

static void sm_main_usage(void)
{
	fprintf(stderr, "USAGE: samsa-server server.properties [--override property=value]*\n");
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		sm_main_usage();
		return 1;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("samsa %s\n", PACKAGE_VERSION);
		return 0;
	}
	sm_thread_role_set(SM_ROLE_MAIN);
	char **overrides = calloc((size_t)argc, sizeof(char *));
	int n = 0;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--override") && i + 1 < argc) {
			overrides[n++] = argv[++i];
		} else {
			fprintf(stderr, "Unrecognized option: %s\n", argv[i]);
			sm_main_usage();
			free(overrides);
			return 1;
		}
	}
	const char *log_dir = getenv("LOG_DIR");
	sm_main_log4j();
	if (sm_logger_init(log_dir && *log_dir ? log_dir : NULL, SM_LOG_INFO, 1)) {
		free(overrides);
		return 1;
	}
	sm_kafka_config_t cfg;
	char err[1024];
	if (sm_kafka_config_load(&cfg, argv[1], overrides, n, err, sizeof(err))) {
		sm_log(SM_LOGFILE_SERVER, SM_LOG_FATAL, NULL, "kafka.Kafka$", "%s", err);
		fprintf(stderr, "samsa-server: %s\n", err);
		sm_kafka_config_free(&cfg);
		free(overrides);
		return 1;
	}
	free(overrides);
	sm_kafka_config_warn_unknown(&cfg);
	sm_kafka_config_log(&cfg);

	/* Signals are taken synchronously by the main thread only. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	sm_kafka_server_t *s = sm_kafka_server_new(&cfg);
	int rc = 0;
	if (sm_kafka_server_startup(s) == 0) {
		sm_sd_notify("READY=1\nSTATUS=Serving");
		sm_kafka_server_run(s);
		sm_sd_notify("STOPPING=1\nSTATUS=Shutting down");
	} else {
		fprintf(stderr, "samsa-server: startup failed; see the log for details\n");
		rc = 1;
	}
	sm_kafka_server_shutdown(s);
	sm_kafka_server_destroy(s);
	sm_kafka_config_free(&cfg);
	sm_logger_close();
	return rc;
}
