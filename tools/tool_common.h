/*
 * tool_common.h - pieces shared by the console tools: Java-style property
 * lists (--property, --producer-property, *.config files), the line reader
 * of kafka-console-producer and the record formatter of
 * kafka-console-consumer.
 *
 * Mirrors kafka.tools.ConsoleProducer.LineMessageReader and
 * kafka.tools.DefaultMessageFormatter. Nothing here talks to a broker, so
 * it is unit-tested without one.
 *
 * Thread-safety: none; each tool uses these from its main thread only.
 */
#ifndef SM_TOOL_COMMON_H
#define SM_TOOL_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* An ordered key=value list; setting an existing key replaces its value,
 * so later sources override earlier ones as in java.util.Properties. */
typedef struct sm_tool_prop {
	char *key;
	char *value;
} sm_tool_prop_t;

typedef struct sm_tool_props {
	sm_tool_prop_t *v;
	size_t cnt;
	size_t size;
} sm_tool_props_t;

void sm_tool_props_init(sm_tool_props_t *p);
void sm_tool_props_destroy(sm_tool_props_t *p);
void sm_tool_props_set(sm_tool_props_t *p, const char *key, const char *value);
/* NULL when the key is absent. */
const char *sm_tool_props_get(const sm_tool_props_t *p, const char *key);
/* Adds "key=value" (value may be empty or contain '='). Returns 0, or -1
 * when there is no '=' or the key is empty. */
int sm_tool_props_add_kv(sm_tool_props_t *p, const char *kv);
/* Loads a Java properties file: '#'/'!' comments, "k=v", "k: v" or "k v",
 * surrounding blanks trimmed. Returns 0, or -1 with a message in err. */
int sm_tool_props_load(sm_tool_props_t *p, const char *path, char *err,
		       size_t errlen);
/* "true"/"false" case-insensitively; anything else (or NULL) gives def. */
int sm_tool_parse_bool(const char *s, int def);

/* One record header; value NULL means a null header value. */
typedef struct sm_tool_header {
	const char *key;
	size_t key_len;
	const char *value;
	size_t value_len;
} sm_tool_header_t;

/* A record as the tools see it. Pointers refer into someone else's memory
 * (the input line, or the consumed message); only the headers array is
 * owned, and sm_tool_record_destroy frees it. */
typedef struct sm_tool_record {
	const char *key;		/* NULL = null key */
	size_t key_len;
	const char *value;		/* NULL = null value */
	size_t value_len;
	sm_tool_header_t *headers;
	size_t header_cnt;
	size_t header_size;
	/* consumer side only */
	int ts_type;			/* SM_TOOL_TS_* */
	int64_t timestamp;
	int32_t partition;
	int64_t offset;
} sm_tool_record_t;

#define SM_TOOL_TS_NONE		0
#define SM_TOOL_TS_CREATE	1
#define SM_TOOL_TS_LOG_APPEND	2

void sm_tool_record_init(sm_tool_record_t *r);
void sm_tool_record_destroy(sm_tool_record_t *r);
void sm_tool_record_add_header(sm_tool_record_t *r, const char *key,
			       size_t key_len, const char *value,
			       size_t value_len);

/* The producer's line reader settings (reader --property keys). */
typedef struct sm_tool_line_reader {
	int parse_key;			/* parse.key, default false */
	int parse_headers;		/* parse.headers, default false */
	int ignore_error;		/* ignore.error, default false */
	const char *key_sep;		/* key.separator, default "\t" */
	const char *headers_delim;	/* headers.delimiter, default "\t" */
	const char *headers_sep;	/* headers.separator, default "," */
	const char *headers_key_sep;	/* headers.key.separator, default ":" */
	const char *null_marker;	/* null.marker, default unset */
} sm_tool_line_reader_t;

/* Reads the reader settings from props (which must outlive the reader).
 * Returns 0, or -1 with a message when a separator is empty. */
int sm_tool_line_reader_init(sm_tool_line_reader_t *lr,
			     const sm_tool_props_t *props, char *err,
			     size_t errlen);
/* Splits one input line (without its newline) into headers, key and value,
 * pointing into line. lineno is only used in messages. Returns 0, or -1
 * with Kafka's message when a separator is missing and ignore.error is
 * off. */
int sm_tool_line_parse(const sm_tool_line_reader_t *lr, const char *line,
		       size_t len, long lineno, sm_tool_record_t *rec,
		       char *err, size_t errlen);

/* The consumer's default formatter settings (formatter --property keys). */
typedef struct sm_tool_formatter {
	int print_timestamp;
	int print_partition;
	int print_offset;
	int print_headers;
	int print_key;
	int print_value;
	const char *key_sep;		/* key.separator, default "\t" */
	const char *line_sep;		/* line.separator, default "\n" */
	const char *headers_sep;	/* headers.separator, default "," */
	const char *null_literal;	/* null.literal, default "null" */
} sm_tool_formatter_t;

void sm_tool_formatter_init(sm_tool_formatter_t *f,
			    const sm_tool_props_t *props);
/* Writes one record the way DefaultMessageFormatter does. Returns 0 or -1
 * on a write error. */
int sm_tool_format(const sm_tool_formatter_t *f, const sm_tool_record_t *rec,
		   FILE *out);

/* Kafka's log4j console layout for tool messages on stderr:
 * "[yyyy-MM-dd HH:mm:ss,SSS] LEVEL message (logger)". */
void sm_tool_log(const char *level, const char *logger, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Strict decimal parsers: the whole string must be a number in range. */
int sm_tool_parse_i64(const char *s, int64_t *out);

#endif /* SM_TOOL_COMMON_H */
