/* test_logger.c - the rolling of the log files from a log4j.properties:
 * RollingFileAppender sizes and backup shifting (MaxBackupIndex, and 0
 * truncating), DailyRollingFileAppender rolling a file left from an earlier
 * period at the first line (named after that period) and pruning dated
 * files past MaxBackupIndex, a file removed by hand recreated without
 * shifting the backups, and bad settings refused with a message. */
#include <CUnit/Basic.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "logger.h"

static char dir[256];

static void write_file(const char *name, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

static long file_size(const char *name)
{
	char p[512];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static void fresh_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/sm-test-logger-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
}

static void rm_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[600];
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static int configure(const char *text)
{
	char err[512], p[512];
	write_file("log4j.properties", text);
	snprintf(p, sizeof(p), "%s/log4j.properties", dir);
	return sm_logger_configure(p, err, sizeof(err));
}

static void test_size_rolling(void)
{
	fresh_dir();
	CU_ASSERT_EQUAL(configure("log4j.appender.k=org.apache.log4j.RollingFileAppender\n"
				  "log4j.appender.k.File=${kafka.logs.dir}/server.log\n"
				  "log4j.appender.k.MaxFileSize=1KB\n"
				  "log4j.appender.k.MaxBackupIndex=2\n"), 0);
	CU_ASSERT_EQUAL_FATAL(sm_logger_init(dir, SM_LOG_INFO, 0), 0);
	for (int i = 0; i < 100; i++)
		sm_log_info(NULL, "test", "line %03d %s", i, "........................................");
	sm_logger_close();
	/* 100 lines of ~90 bytes: rolled many times, two backups kept. */
	CU_ASSERT(file_size("server.log.1") >= 1024 && file_size("server.log.1") < 1024 + 200);
	CU_ASSERT(file_size("server.log.2") >= 1024 && file_size("server.log.2") < 1024 + 200);
	CU_ASSERT_EQUAL(file_size("server.log.3"), -1);
	CU_ASSERT(file_size("server.log") > 0 && file_size("server.log") < 1024 + 200);
	/* controller.log has no appender: untouched. */
	CU_ASSERT_EQUAL(file_size("controller.log.1"), -1);
	rm_dir();
}

/* server.log removed by hand: it is recreated at the next roll point and
 * the backups are left as they are. */
static void test_removed_file(void)
{
	fresh_dir();
	CU_ASSERT_EQUAL(configure("log4j.appender.k=org.apache.log4j.RollingFileAppender\n"
				  "log4j.appender.k.File=server.log\n"
				  "log4j.appender.k.MaxFileSize=1KB\n"
				  "log4j.appender.k.MaxBackupIndex=2\n"), 0);
	write_file("server.log.1", "one\n");
	write_file("server.log.2", "two\n");
	CU_ASSERT_EQUAL_FATAL(sm_logger_init(dir, SM_LOG_INFO, 0), 0);
	char p[512];
	snprintf(p, sizeof(p), "%s/server.log", dir);
	CU_ASSERT_EQUAL(unlink(p), 0);
	for (int i = 0; i < 20; i++)
		sm_log_info(NULL, "test", "line %03d %s", i, "........................................");
	sm_logger_close();
	CU_ASSERT(file_size("server.log") > 0);
	CU_ASSERT_EQUAL(file_size("server.log.1"), 4);
	CU_ASSERT_EQUAL(file_size("server.log.2"), 4);
	rm_dir();
}

static void test_size_zero_backups(void)
{
	fresh_dir();
	CU_ASSERT_EQUAL(configure("log4j.appender.c=org.apache.log4j.RollingFileAppender\n"
				  "log4j.appender.c.File=/elsewhere/controller.log\n"
				  "log4j.appender.c.MaxFileSize=512\n"
				  "log4j.appender.c.MaxBackupIndex=0\n"), 0);
	CU_ASSERT_EQUAL_FATAL(sm_logger_init(dir, SM_LOG_INFO, 0), 0);
	for (int i = 0; i < 50; i++)
		sm_log(SM_LOGFILE_CONTROLLER, SM_LOG_INFO, NULL, "t", "controller line %03d", i);
	sm_logger_close();
	CU_ASSERT(file_size("controller.log") < 512 + 100);
	CU_ASSERT_EQUAL(file_size("controller.log.1"), -1);
	rm_dir();
}

static void test_daily_rolls_old_file_and_prunes(void)
{
	fresh_dir();
	/* Three dated files already there, and a state-change.log last
	 * written two days ago. */
	write_file("state-change.log.2000-01-01-00", "a\n");
	write_file("state-change.log.2000-01-01-01", "b\n");
	write_file("state-change.log.2000-01-01-02", "c\n");
	write_file("state-change.log", "[old] INFO line\n");
	char p[512];
	snprintf(p, sizeof(p), "%s/state-change.log", dir);
	time_t old = time(NULL) - 2 * 86400;
	struct timeval tv[2] = { { old, 0 }, { old, 0 } };
	CU_ASSERT_EQUAL(utimes(p, tv), 0);
	char want[64];
	struct tm tm;
	localtime_r(&old, &tm);
	strftime(want, sizeof(want), "state-change.log.%Y-%m-%d-%H", &tm);

	CU_ASSERT_EQUAL(configure("log4j.appender.s=org.apache.log4j.DailyRollingFileAppender\n"
				  "log4j.appender.s.DatePattern='.'yyyy-MM-dd-HH\n"
				  "log4j.appender.s.MaxBackupIndex=2\n"
				  "log4j.appender.s.File=${kafka.logs.dir}/state-change.log\n"), 0);
	CU_ASSERT_EQUAL_FATAL(sm_logger_init(dir, SM_LOG_INFO, 0), 0);
	sm_log(SM_LOGFILE_STATE_CHANGE, SM_LOG_INFO, NULL, "state.change.logger", "new line");
	sm_logger_close();
	/* The old file took its period's name; of the four dated files the
	 * two newest remain. */
	CU_ASSERT_EQUAL(file_size(want), (long)strlen("[old] INFO line\n"));
	CU_ASSERT_EQUAL(file_size("state-change.log.2000-01-01-00"), -1);
	CU_ASSERT_EQUAL(file_size("state-change.log.2000-01-01-01"), -1);
	CU_ASSERT_EQUAL(file_size("state-change.log.2000-01-01-02"), 2);
	CU_ASSERT(file_size("state-change.log") > 0);
	rm_dir();
}

static void test_bad_settings(void)
{
	fresh_dir();
	CU_ASSERT_EQUAL(configure("log4j.appender.s=org.apache.log4j.DailyRollingFileAppender\n"
				  "log4j.appender.s.DatePattern='.'yyyy-MM-dd-HH-SSS\n"
				  "log4j.appender.s.File=server.log\n"), -1);
	CU_ASSERT_EQUAL(configure("log4j.appender.s=org.apache.log4j.RollingFileAppender\n"
				  "log4j.appender.s.MaxFileSize=10XB\n"
				  "log4j.appender.s.File=server.log\n"), -1);
	CU_ASSERT_EQUAL(configure("log4j.appender.s=org.apache.log4j.RollingFileAppender\n"
				  "log4j.appender.s.MaxBackupIndex=-3\n"
				  "log4j.appender.s.File=server.log\n"), -1);
	CU_ASSERT_EQUAL(configure("log4j.appender.s=org.apache.log4j.DailyRollingFileAppender\n"
				  "log4j.appender.s.DatePattern='.unterminated\n"
				  "log4j.appender.s.File=server.log\n"), -1);
	char err[256];
	CU_ASSERT_EQUAL(sm_logger_configure("/nonexistent/log4j.properties", err, sizeof(err)), -1);
	/* Unknown files and classes are ignored, not refused. */
	CU_ASSERT_EQUAL(configure("log4j.appender.a=org.apache.log4j.DailyRollingFileAppender\n"
				  "log4j.appender.a.File=authorizer.log\n"
				  "log4j.appender.b=org.apache.log4j.ConsoleAppender\n"), 0);
	rm_dir();
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("logger", NULL, NULL);
	CU_add_test(s, "size rolling", test_size_rolling);
	CU_add_test(s, "size rolling without backups", test_size_zero_backups);
	CU_add_test(s, "file removed by hand", test_removed_file);
	CU_add_test(s, "daily rolling of an old file, pruning", test_daily_rolls_old_file_and_prunes);
	CU_add_test(s, "bad settings", test_bad_settings);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned f = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return f ? 1 : 0;
}
