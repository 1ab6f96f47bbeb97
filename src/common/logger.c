/*
 * logger.c - log4j-layout diagnostic logging (see logger.h), and the
 * rolling of its files as log4j's appenders do it (sm_logger_configure):
 *
 * - DailyRollingFileAppender: the file is renamed to <file><DatePattern
 *   of the period it covered> when the formatted date changes (Kafka's
 *   '.'yyyy-MM-dd-HH rolls hourly). At start the period is that of the
 *   file's last modification, so a log left from an earlier hour is rolled
 *   at the first line, as log4j does.
 * - RollingFileAppender: once the file reaches MaxFileSize it becomes
 *   <file>.1, the older ones shift up to MaxBackupIndex and the oldest is
 *   deleted (MaxBackupIndex=0 truncates).
 *
 * Writers never lock: each line is one write(2) on the file's descriptor.
 * A roll (one thread at a time, under the file's roll mutex) renames the
 * file, opens the new one and dup2()s it onto the old descriptor number,
 * so a writer holding the number writes either to the renamed file or to
 * the new one, never to a closed or reused descriptor.
 */
#include "logger.h"

#include "properties.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int sm_logger_fds[SM_LOGFILE__CNT] = { -1, -1, -1, -1, -1 };
static int sm_logger_console;
/* Changed at run time (DescribeConfigs/IncrementalAlterConfigs on
 * BROKER_LOGGER) while every thread reads it: relaxed atomics. */
static sm_log_level_t sm_logger_min = SM_LOG_INFO;

static const char *const sm_logger_files[SM_LOGFILE__CNT] = {
	"server.log", "controller.log", "state-change.log", "log-cleaner.log",
	"kafka-authorizer.log",
};

enum { SM_ROLL_NONE, SM_ROLL_DATE, SM_ROLL_SIZE };

/* The rolling policy and state of one file. */
static struct sm_logger_roll {
	int mode;
	char pattern[128];	/* strftime form of the DatePattern */
	int64_t max_size;	/* RollingFileAppender MaxFileSize */
	int max_backups;	/* MaxBackupIndex; -1: keep every dated file */
	char path[4096];
	char suffix[160];	/* the current period, formatted (date mode) */
	int64_t last_sec;	/* atomic: the second last checked (date mode) */
	int64_t size;		/* atomic: bytes in the file (size mode) */
	pthread_mutex_t lock;	/* one roll at a time */
} sm_logger_roll[SM_LOGFILE__CNT] = {
	{ .lock = PTHREAD_MUTEX_INITIALIZER }, { .lock = PTHREAD_MUTEX_INITIALIZER },
	{ .lock = PTHREAD_MUTEX_INITIALIZER }, { .lock = PTHREAD_MUTEX_INITIALIZER },
};

/* strftime with a pattern built from the configuration (checked by
 * sm_logger_date_pattern), not a literal. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static size_t sm_logger_strftime(char *out, size_t n, const char *fmt, const struct tm *tm)
{
	return strftime(out, n, fmt, tm);
}
#pragma GCC diagnostic pop

/*
 * A SimpleDateFormat DatePattern as strftime: quoted text is literal,
 * yyyy MM dd HH mm ss (and yy, a, ww as log4j's periods need them) map to
 * their conversions, other letters are refused. Returns 0 or -1.
 */
static int sm_logger_date_pattern(const char *in, char *out, size_t outlen)
{
	size_t o = 0;
	for (const char *p = in; *p;) {
		if (o + 4 >= outlen)
			return -1;
		if (*p == '\'') {
			p++;
			if (*p == '\'') { /* '' is a quote */
				out[o++] = '\'';
				p++;
				continue;
			}
			while (*p && *p != '\'') {
				if (o + 3 >= outlen)
					return -1;
				if (*p == '%')
					out[o++] = '%';
				out[o++] = *p++;
			}
			if (*p != '\'')
				return -1;
			p++;
			continue;
		}
		if (!isalpha((unsigned char)*p)) {
			if (*p == '%')
				out[o++] = '%';
			out[o++] = *p++;
			continue;
		}
		char c = *p;
		size_t n = 0;
		while (p[n] == c)
			n++;
		const char *conv = NULL;
		switch (c) {
		case 'y': conv = n == 2 ? "%y" : "%Y"; break;
		case 'M': conv = n <= 2 ? "%m" : NULL; break;
		case 'd': conv = "%d"; break;
		case 'H': conv = "%H"; break;
		case 'm': conv = "%M"; break;
		case 's': conv = "%S"; break;
		case 'a': conv = "%p"; break;
		case 'w': conv = "%V"; break;
		default: conv = NULL;
		}
		if (!conv)
			return -1;
		out[o++] = conv[0];
		out[o++] = conv[1];
		p += n;
	}
	out[o] = '\0';
	return 0;
}

/* log4j's OptionConverter.toFileSize: a number with an optional KB, MB or
 * GB suffix. -1 when malformed. */
static int64_t sm_logger_file_size(const char *s)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		return -1;
	while (*end == ' ')
		end++;
	int64_t mul = 1;
	if (!strcasecmp(end, "KB"))
		mul = 1024;
	else if (!strcasecmp(end, "MB"))
		mul = 1024 * 1024;
	else if (!strcasecmp(end, "GB"))
		mul = 1024LL * 1024 * 1024;
	else if (*end)
		return -1;
	if (v > INT64_MAX / mul)
		return -1;
	return v * mul;
}

static const char *sm_logger_basename(const char *path)
{
	const char *b = strrchr(path, '/');
	return b ? b + 1 : path;
}

int sm_logger_configure(const char *path, char *err, size_t errlen)
{
	sm_props_t p;
	sm_props_init(&p);
	if (sm_props_load(&p, path, err, errlen)) {
		sm_props_free(&p);
		return -1;
	}
	int rc = 0;
	const char *pre = "log4j.appender.";
	for (int f = 0; f < SM_LOGFILE__CNT; f++)
		sm_logger_roll[f].mode = SM_ROLL_NONE;
	for (int i = 0; i < p.cnt && !rc; i++) {
		const char *k = p.v[i].key, *cls = p.v[i].value;
		/* log4j.appender.NAME=CLASS; NAME has no dot. */
		if (strncmp(k, pre, strlen(pre)) || strchr(k + strlen(pre), '.'))
			continue;
		char key[512];
		snprintf(key, sizeof(key), "%s.File", k);
		const char *file = sm_props_get(&p, key);
		if (!file)
			continue;
		int which = -1;
		for (int f = 0; f < SM_LOGFILE__CNT; f++)
			if (!strcmp(sm_logger_basename(file), sm_logger_files[f]))
				which = f;
		if (which < 0)
			continue; /* an appender for a file Samsa does not write */
		struct sm_logger_roll *r = &sm_logger_roll[which];
		r->mode = SM_ROLL_NONE;
		r->max_backups = -1;
		snprintf(key, sizeof(key), "%s.MaxBackupIndex", k);
		const char *mbi = sm_props_get(&p, key);
		if (mbi) {
			char *end;
			long v = strtol(mbi, &end, 10);
			if (end == mbi || *end || v < 0 || v > 100000) {
				snprintf(err, errlen, "%s: invalid %s=%s", path, key, mbi);
				rc = -1;
				break;
			}
			r->max_backups = (int)v;
		}
		const char *short_cls = strrchr(cls, '.') ? strrchr(cls, '.') + 1 : cls;
		if (!strcmp(short_cls, "DailyRollingFileAppender")) {
			snprintf(key, sizeof(key), "%s.DatePattern", k);
			const char *dp = sm_props_get(&p, key);
			/* log4j's default DatePattern. */
			if (sm_logger_date_pattern(dp ? dp : "'.'yyyy-MM-dd", r->pattern,
						   sizeof(r->pattern))) {
				snprintf(err, errlen, "%s: unsupported %s=%s", path, key, dp);
				rc = -1;
				break;
			}
			r->mode = SM_ROLL_DATE;
		} else if (!strcmp(short_cls, "RollingFileAppender")) {
			snprintf(key, sizeof(key), "%s.MaxFileSize", k);
			const char *mfs = sm_props_get(&p, key);
			r->max_size = mfs ? sm_logger_file_size(mfs) : 10 * 1024 * 1024;
			if (r->max_size <= 0) {
				snprintf(err, errlen, "%s: invalid %s=%s", path, key, mfs);
				rc = -1;
				break;
			}
			if (r->max_backups < 0)
				r->max_backups = 1; /* log4j's default */
			r->mode = SM_ROLL_SIZE;
		}
	}
	sm_props_free(&p);
	return rc;
}

/* Keeps the newest max_backups dated files of r (the DatePattern formats
 * sort by time, as Kafka's do). Caller holds r->lock. */
static void sm_logger_prune_dated(struct sm_logger_roll *r)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", r->path);
	char *slash = strrchr(dir, '/');
	const char *base = sm_logger_basename(r->path);
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return;
	size_t bl = strlen(base);
	int dated = 0;
	for (int i = 0; i < n; i++)
		if (!strncmp(names[i]->d_name, base, bl) && names[i]->d_name[bl])
			dated++;
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		if (dated > r->max_backups && !strncmp(nm, base, bl) && nm[bl]) {
			char path[8192];
			snprintf(path, sizeof(path), "%s/%s", dir, nm);
			unlink(path);
			dated--;
		}
		free(names[i]);
	}
	free(names);
}

/* Opens the file's path afresh and puts it under fd's number. */
static void sm_logger_reopen(struct sm_logger_roll *r, int fd)
{
	int nfd = open(r->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (nfd >= 0) {
		dup3(nfd, fd, O_CLOEXEC);
		close(nfd);
	}
	__atomic_store_n(&r->size, 0, __ATOMIC_RELAXED);
}

/* Renames as the policy says and puts a fresh file under fd's number.
 * A file removed from under the broker (by hand, or a foreign rotation
 * tool) is only recreated: the backups are not shifted for it.
 * Caller holds r->lock. */
static void sm_logger_roll_now(struct sm_logger_roll *r, int fd, const char *new_suffix)
{
	char to[4400], from[4400];
	struct stat st;
	if (stat(r->path, &st) != 0) {
		if (new_suffix)
			snprintf(r->suffix, sizeof(r->suffix), "%s", new_suffix);
		sm_logger_reopen(r, fd);
		return;
	}
	if (r->mode == SM_ROLL_DATE) {
		snprintf(to, sizeof(to), "%s%s", r->path, r->suffix);
		snprintf(r->suffix, sizeof(r->suffix), "%s", new_suffix);
		if (rename(r->path, to) != 0)
			return;
	} else {
		if (r->max_backups == 0) {
			if (ftruncate(fd, 0) == 0)
				__atomic_store_n(&r->size, 0, __ATOMIC_RELAXED);
			return;
		}
		snprintf(to, sizeof(to), "%s.%d", r->path, r->max_backups);
		unlink(to);
		for (int i = r->max_backups - 1; i >= 1; i--) {
			snprintf(from, sizeof(from), "%s.%d", r->path, i);
			snprintf(to, sizeof(to), "%s.%d", r->path, i + 1);
			rename(from, to);
		}
		snprintf(to, sizeof(to), "%s.1", r->path);
		if (rename(r->path, to) != 0) {
			__atomic_store_n(&r->size, 0, __ATOMIC_RELAXED);
			return;
		}
	}
	sm_logger_reopen(r, fd);
	if (r->mode == SM_ROLL_DATE && r->max_backups >= 0)
		sm_logger_prune_dated(r);
}

/* Before a line of n bytes is written at time now to file f. */
static void sm_logger_maybe_roll(int f, int fd, time_t now, size_t n)
{
	struct sm_logger_roll *r = &sm_logger_roll[f];
	if (r->mode == SM_ROLL_DATE) {
		/* At most one check per second per file. */
		int64_t last = __atomic_load_n(&r->last_sec, __ATOMIC_RELAXED);
		if (last == (int64_t)now ||
		    !__atomic_compare_exchange_n(&r->last_sec, &last, (int64_t)now, 0,
						 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			return;
		char suffix[160];
		struct tm tm;
		localtime_r(&now, &tm);
		if (!sm_logger_strftime(suffix, sizeof(suffix), r->pattern, &tm))
			return;
		pthread_mutex_lock(&r->lock);
		if (strcmp(suffix, r->suffix))
			sm_logger_roll_now(r, fd, suffix);
		pthread_mutex_unlock(&r->lock);
	} else if (r->mode == SM_ROLL_SIZE) {
		/* log4j rolls once the file has reached the size, after the
		 * line that got it there. */
		int64_t size = __atomic_add_fetch(&r->size, (int64_t)n, __ATOMIC_RELAXED);
		if (size - (int64_t)n < r->max_size)
			return;
		pthread_mutex_lock(&r->lock);
		struct stat st;
		if (fstat(fd, &st) == 0 && st.st_size >= r->max_size)
			sm_logger_roll_now(r, fd, NULL);
		pthread_mutex_unlock(&r->lock);
	}
}

static const char *const sm_logger_levels[] = {
	"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL",
};

int sm_logger_init(const char *log_dir, sm_log_level_t min_level, int console)
{
	__atomic_store_n(&sm_logger_min, min_level, __ATOMIC_RELAXED);
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
		struct sm_logger_roll *r = &sm_logger_roll[i];
		snprintf(r->path, sizeof(r->path), "%s", path);
		struct stat st;
		if (fstat(fd, &st) != 0)
			st.st_size = 0, st.st_mtime = time(NULL);
		r->size = st.st_size;
		if (r->mode == SM_ROLL_DATE) {
			/* The period the existing file belongs to. */
			time_t t = st.st_size ? st.st_mtime : time(NULL);
			struct tm tm;
			localtime_r(&t, &tm);
			if (!sm_logger_strftime(r->suffix, sizeof(r->suffix), r->pattern, &tm))
				r->mode = SM_ROLL_NONE;
		}
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
	__atomic_store_n(&sm_logger_min, min_level, __ATOMIC_RELAXED);
}

int sm_logger_enabled(sm_log_level_t level)
{
	return level >= __atomic_load_n(&sm_logger_min, __ATOMIC_RELAXED);
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
	if (!sm_logger_enabled(level))
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
	if (fd >= 0) {
		sm_logger_maybe_roll(file, fd, tv.tv_sec, n);
		sm_logger_write(fd, line, n);
	}
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
