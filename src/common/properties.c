/*
 * properties.c - java.util.Properties parsing (see properties.h).
 */
#include "properties.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

void sm_props_init(sm_props_t *p)
{
	memset(p, 0, sizeof(*p));
}

void sm_props_free(sm_props_t *p)
{
	for (int i = 0; i < p->cnt; i++) {
		free(p->v[i].key);
		free(p->v[i].value);
	}
	free(p->v);
	memset(p, 0, sizeof(*p));
}

static void sm_props_put(sm_props_t *p, char *key, char *value, int line)
{
	for (int i = 0; i < p->cnt; i++) {
		if (!strcmp(p->v[i].key, key)) {
			free(key);
			free(p->v[i].value);
			p->v[i].value = value;
			p->v[i].line = line;
			return;
		}
	}
	if (p->cnt == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 32;
		p->v = sm_realloc(p->v, sizeof(*p->v) * (size_t)p->cap);
	}
	p->v[p->cnt].key = key;
	p->v[p->cnt].value = value;
	p->v[p->cnt].line = line;
	p->cnt++;
}

void sm_props_set(sm_props_t *p, const char *key, const char *value)
{
	sm_props_put(p, sm_strdup(key), sm_strdup(value), 0);
}

const char *sm_props_get(const sm_props_t *p, const char *key)
{
	for (int i = 0; i < p->cnt; i++)
		if (!strcmp(p->v[i].key, key))
			return p->v[i].value;
	return NULL;
}

/* Appends the UTF-8 encoding of code point cp. */
static void sm_props_utf8(sm_wbuf_t *w, unsigned cp)
{
	uint8_t b[3];
	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		sm_wbuf_append(w, b, 1);
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | (cp >> 6));
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		sm_wbuf_append(w, b, 2);
	} else {
		b[0] = (uint8_t)(0xe0 | (cp >> 12));
		b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		sm_wbuf_append(w, b, 3);
	}
}

/* One logical line (continuations already joined) -> key/value. */
static int sm_props_line(sm_props_t *p, const char *s, size_t n, int lineno,
			 char *err, size_t errlen)
{
	sm_wbuf_t key, val;
	sm_wbuf_init(&key, 64);
	sm_wbuf_init(&val, 64);
	sm_wbuf_t *cur = &key;
	int in_key = 1, sep_seen = 0;
	size_t i = 0;
	while (i < n) {
		char c = s[i];
		if (in_key && (c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f')) {
			/* Whitespace around one '=' or ':' separator is skipped. */
			while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\f'))
				i++;
			if (i < n && (s[i] == '=' || s[i] == ':') && !sep_seen) {
				i++;
				sep_seen = 1;
			}
			while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\f'))
				i++;
			in_key = 0;
			cur = &val;
			continue;
		}
		if (c == '\\' && i + 1 < n) {
			char e = s[i + 1];
			i += 2;
			if (e == 'u') {
				unsigned cp = 0;
				for (int k = 0; k < 4; k++) {
					int h = i < n ? sm_hex_digit(s[i]) : -1;
					if (h < 0) {
						snprintf(err, errlen, "line %d: malformed \\uxxxx escape", lineno);
						sm_wbuf_free(&key);
						sm_wbuf_free(&val);
						return -1;
					}
					cp = cp * 16 + (unsigned)h;
					i++;
				}
				sm_props_utf8(cur, cp);
				continue;
			}
			char out = e == 't' ? '\t' : e == 'n' ? '\n' : e == 'r' ? '\r' : e == 'f' ? '\f' : e;
			sm_wbuf_append(cur, &out, 1);
			continue;
		}
		sm_wbuf_append(cur, &c, 1);
		i++;
	}
	sm_props_put(p, sm_strndup((char *)key.p, key.len), sm_strndup((char *)val.p, val.len),
		     lineno);
	sm_wbuf_free(&key);
	sm_wbuf_free(&val);
	return 0;
}

int sm_props_parse(sm_props_t *p, const char *text, size_t len, char *err, size_t errlen)
{
	size_t i = 0;
	int lineno = 0;
	sm_wbuf_t logical;
	sm_wbuf_init(&logical, 256);
	while (i < len) {
		lineno++;
		int start_line = lineno;
		logical.len = 0;
		/* Skip leading whitespace of the natural line. */
		while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\f'))
			i++;
		if (i < len && (text[i] == '#' || text[i] == '!')) {
			while (i < len && text[i] != '\n' && text[i] != '\r')
				i++;
			if (i < len && text[i] == '\r')
				i++;
			if (i < len && text[i] == '\n')
				i++;
			continue;
		}
		for (;;) {
			size_t s = i;
			while (i < len && text[i] != '\n' && text[i] != '\r')
				i++;
			size_t e = i;
			if (i < len && text[i] == '\r')
				i++;
			if (i < len && text[i] == '\n')
				i++;
			/* An odd number of trailing backslashes continues the line. */
			size_t bs = 0;
			while (e - bs > s && text[e - bs - 1] == '\\')
				bs++;
			if (bs % 2 == 1 && i <= len && e > s) {
				sm_wbuf_append(&logical, text + s, e - s - 1);
				if (i >= len)
					break;
				lineno++;
				while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\f'))
					i++;
				continue;
			}
			sm_wbuf_append(&logical, text + s, e - s);
			break;
		}
		if (logical.len == 0)
			continue;
		if (sm_props_line(p, (const char *)logical.p, logical.len, start_line, err, errlen)) {
			sm_wbuf_free(&logical);
			return -1;
		}
	}
	sm_wbuf_free(&logical);
	return 0;
}

int sm_props_load(sm_props_t *p, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	sm_wbuf_t w;
	sm_wbuf_init(&w, 4096);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sm_wbuf_append(&w, buf, n);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		snprintf(err, errlen, "cannot read %s", path);
		sm_wbuf_free(&w);
		return -1;
	}
	char perr[256];
	int r = sm_props_parse(p, (const char *)w.p, w.len, perr, sizeof(perr));
	if (r)
		snprintf(err, errlen, "%s: %s", path, perr);
	sm_wbuf_free(&w);
	return r;
}

const char *sm_props_listener_get(const sm_props_t *given, const char *listener, const char *key)
{
	size_t ll = listener ? strlen(listener) : 0;
	for (int i = 0; listener && i < given->cnt; i++) {
		const char *k = given->v[i].key;
		if (strncmp(k, "listener.name.", 14) || strncasecmp(k + 14, listener, ll) ||
		    k[14 + ll] != '.')
			continue;
		if (!strcmp(k + 15 + ll, key))
			return given->v[i].value;
	}
	return sm_props_get(given, key);
}
