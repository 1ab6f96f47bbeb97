/*
 * logger.h - diagnostic logging in Kafka's log4j layout:
 *   [yyyy-MM-dd HH:mm:ss,SSS] LEVEL [Component id=N] message (logger.name)
 * into the files Kafka operators grep: server.log, controller.log,
 * state-change.log, log-cleaner.log, kafka-authorizer.log under the log
 * directory (LOG_DIR), with
 * server.log lines also on stdout (Kafka's console appender).
 *
 * ("log" alone means the commit log in Samsa; diagnostics are "logger".)
 * Thread-safe: each line is formatted locally and written with one write(2).
 */
#ifndef SM_LOGGER_H
#define SM_LOGGER_H

#include <stdarg.h>
#include <stddef.h>

typedef enum sm_log_level {
	SM_LOG_TRACE,
	SM_LOG_DEBUG,
	SM_LOG_INFO,
	SM_LOG_WARN,
	SM_LOG_ERROR,
	SM_LOG_FATAL,
} sm_log_level_t;

typedef enum sm_logfile {
	SM_LOGFILE_SERVER,
	SM_LOGFILE_CONTROLLER,
	SM_LOGFILE_STATE_CHANGE,
	SM_LOGFILE_CLEANER,
	SM_LOGFILE_AUTHORIZER,
	SM_LOGFILE__CNT
} sm_logfile_t;

/* log_dir NULL: everything goes to stderr (tools, unit tests). Otherwise the
 * directory is created if needed. console: also copy server.log to stdout.
 * Returns 0, or -1 with a message on stderr. */
int sm_logger_init(const char *log_dir, sm_log_level_t min_level, int console);
void sm_logger_close(void);
/* Reads the rolling policy of the log files from a log4j.properties file
 * (Kafka's config/log4j.properties): each appender whose File names one of
 * the files above may be an org.apache.log4j.DailyRollingFileAppender
 * (DatePattern) or RollingFileAppender (MaxFileSize, MaxBackupIndex);
 * other appenders and keys are ignored. MaxBackupIndex on a daily appender
 * keeps that many dated files (log4j 1.2 keeps them all). Call before
 * sm_logger_init. Returns 0, or -1 with a message. */
int sm_logger_configure(const char *log4j_path, char *err, size_t errlen);
void sm_logger_set_level(sm_log_level_t min_level);
int sm_logger_enabled(sm_log_level_t level);

/* component: e.g. "KafkaServer id=0" (printed in brackets) or NULL.
 * name: the logger name printed at the end, e.g. "kafka.server.KafkaServer". */
void sm_log(sm_logfile_t file, sm_log_level_t level, const char *component,
	    const char *name, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void sm_logv(sm_logfile_t file, sm_log_level_t level, const char *component,
	     const char *name, const char *fmt, va_list ap);

#define sm_log_error(comp, name, ...) sm_log(SM_LOGFILE_SERVER, SM_LOG_ERROR, comp, name, __VA_ARGS__)
#define sm_log_warn(comp, name, ...) sm_log(SM_LOGFILE_SERVER, SM_LOG_WARN, comp, name, __VA_ARGS__)
#define sm_log_info(comp, name, ...) sm_log(SM_LOGFILE_SERVER, SM_LOG_INFO, comp, name, __VA_ARGS__)
#define sm_log_debug(comp, name, ...)                                         \
	do {                                                                  \
		if (sm_logger_enabled(SM_LOG_DEBUG))                          \
			sm_log(SM_LOGFILE_SERVER, SM_LOG_DEBUG, comp, name, __VA_ARGS__); \
	} while (0)

#endif /* SM_LOGGER_H */
