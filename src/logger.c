/*
 * logger.c - log4j-layout diagnostic logging (see logger.h).
 */
#include "logger.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int sm_logger_fds[SM_LOGFILE__CNT] = { -1, -1, -1, -1, -1 };
static int sm_logger_console;
static volatile sm_log_level_t sm_logger_min = SM_LOG_INFO;

static const char *const sm_logger_files[SM_LOGFILE__CNT] = {
	"server.log", "controller.log", "state-change.log", "log-cleaner.log",
	"kafka-authorizer.log",
};

static const char *const sm_logger_levels[] = {
	"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL",
};

int sm_logger_init(const char *log_dir, sm_log_level_t min_level, int console)
{
	sm_logger_min = min_level;
	sm_logger_console = console;
	if (!log_dir)
		return 0;
	if (mkdir(log_dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "cannot create log directory %s: %s\n", log_dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < SM_LOGFILE__CNT; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", log_dir, sm_logger_files[i]);
		int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
			return -1;
		}
		sm_logger_fds[i] = fd;
	}
	return 0;
}

void sm_logger_close(void)
{
	for (int i = 0; i < SM_LOGFILE__CNT; i++) {
		if (sm_logger_fds[i] >= 0)
			close(sm_logger_fds[i]);
		sm_logger_fds[i] = -1;
	}
}

void sm_logger_set_level(sm_log_level_t min_level)
{
	sm_logger_min = min_level;
}

int sm_logger_enabled(sm_log_level_t level)
{
	return level >= sm_logger_min;
}

static void sm_logger_write(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = write(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		p += r;
		n -= (size_t)r;
	}
}

void sm_logv(sm_logfile_t file, sm_log_level_t level, const char *component,
	     const char *name, const char *fmt, va_list ap)
{
	if (level < sm_logger_min)
		return;
	char line[8192];
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	size_t n = strftime(line, sizeof(line), "[%Y-%m-%d %H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, sizeof(line) - n, ",%03d] %s ",
			      (int)(tv.tv_usec / 1000), sm_logger_levels[level]);
	if (component)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "[%s] ", component);
	if (n < sizeof(line)) {
		int m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		if (m > 0)
			n += (size_t)m;
	}
	if (n >= sizeof(line) - 256)
		n = sizeof(line) - 256;
	if (name)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " (%s)", name);
	line[n++] = '\n';

	int fd = sm_logger_fds[file];
	if (fd >= 0)
		sm_logger_write(fd, line, n);
	if (fd < 0)
		sm_logger_write(STDERR_FILENO, line, n);
	else if (file == SM_LOGFILE_SERVER && sm_logger_console)
		sm_logger_write(STDOUT_FILENO, line, n);
}

void sm_log(sm_logfile_t file, sm_log_level_t level, const char *component,
	    const char *name, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sm_logv(file, level, component, name, fmt, ap);
	va_end(ap);
}
