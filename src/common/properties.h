/*
 * properties.h - Java .properties files (java.util.Properties syntax), the
 * format of server.properties, meta.properties and tool config files.
 * Thread-safety: an sm_props_t belongs to one thread; no shared state.
 */
#ifndef SM_PROPERTIES_H
#define SM_PROPERTIES_H

#include <stdio.h>

typedef struct sm_prop {
	char *key;
	char *value;
	int line; /* line number in the source, 0 if set programmatically */
} sm_prop_t;

typedef struct sm_props {
	sm_prop_t *v;
	int cnt;
	int cap;
} sm_props_t;

void sm_props_init(sm_props_t *p);
void sm_props_free(sm_props_t *p);
/* Parses text (comments '#'/'!', separators '=', ':' or whitespace, '\'
 * line continuation, \t \n \r \f \uXXXX escapes). Later keys override
 * earlier ones. Returns 0 or -1 with a message in err. */
int sm_props_parse(sm_props_t *p, const char *text, size_t len, char *err, size_t errlen);
int sm_props_load(sm_props_t *p, const char *path, char *err, size_t errlen);
/* Sets (or replaces) key; copies both strings. */
void sm_props_set(sm_props_t *p, const char *key, const char *value);
/* The value of key, or NULL. */
const char *sm_props_get(const sm_props_t *p, const char *key);
/* listener.name.<listener>.<key> (the listener part in any case) when
 * given, else <key>: how Kafka reads a per-listener setting. listener may
 * be NULL. */
const char *sm_props_listener_get(const sm_props_t *given, const char *listener, const char *key);

#endif /* SM_PROPERTIES_H */
