/*
 * tool_common.c - property lists, the console producer's line reader and
 * the console consumer's formatter (see tool_common.h).
 *
 * Mirrors kafka.tools.ConsoleProducer.LineMessageReader and
 * kafka.tools.DefaultMessageFormatter.
 *
 * Thread-safety: none needed; used from one thread.
 */
#include "tool_common.h"

#include "buf.h"
#include "sasl.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/pkcs12.h>

/* ---- properties ---- */

void sm_tool_props_init(sm_tool_props_t *p)
{
	memset(p, 0, sizeof(*p));
}

void sm_tool_props_destroy(sm_tool_props_t *p)
{
	for (size_t i = 0; i < p->cnt; i++) {
		free(p->v[i].key);
		free(p->v[i].value);
	}
	free(p->v);
	memset(p, 0, sizeof(*p));
}

void sm_tool_props_set(sm_tool_props_t *p, const char *key, const char *value)
{
	for (size_t i = 0; i < p->cnt; i++) {
		if (!strcmp(p->v[i].key, key)) {
			free(p->v[i].value);
			p->v[i].value = sm_strdup(value);
			return;
		}
	}
	if (p->cnt == p->size) {
		p->size = p->size ? p->size * 2 : 8;
		p->v = sm_realloc(p->v, p->size * sizeof(*p->v));
	}
	p->v[p->cnt].key = sm_strdup(key);
	p->v[p->cnt].value = sm_strdup(value);
	p->cnt++;
}

const char *sm_tool_props_get(const sm_tool_props_t *p, const char *key)
{
	for (size_t i = 0; i < p->cnt; i++)
		if (!strcmp(p->v[i].key, key))
			return p->v[i].value;
	return NULL;
}

int sm_tool_props_add_kv(sm_tool_props_t *p, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char *key;

	if (!eq || eq == kv)
		return -1;
	key = sm_malloc((size_t)(eq - kv) + 1);
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = '\0';
	sm_tool_props_set(p, key, eq + 1);
	free(key);
	return 0;
}

static char *sm_tool_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* One logical line of a properties file; continuation lines are not
 * supported (client configs never need them). */
static void sm_tool_props_line(sm_tool_props_t *p, char *line)
{
	char *s = sm_tool_trim(line);
	char *sep;

	if (!*s || *s == '#' || *s == '!')
		return;
	sep = s + strcspn(s, "=: \t");
	if (*sep) {
		char *val = sep + 1;

		/* "k = v" and "k : v": a blank may precede the real separator. */
		if (isspace((unsigned char)*sep)) {
			while (isspace((unsigned char)*val))
				val++;
			if (*val == '=' || *val == ':')
				val++;
		}
		*sep = '\0';
		sm_tool_props_set(p, s, sm_tool_trim(val));
	} else {
		sm_tool_props_set(p, s, "");
	}
}

static void sm_tool_props_del(sm_tool_props_t *p, const char *key)
{
	for (size_t i = 0; i < p->cnt; i++) {
		if (!strcmp(p->v[i].key, key)) {
			free(p->v[i].key);
			free(p->v[i].value);
			p->v[i] = p->v[--p->cnt];
			return;
		}
	}
}

/* The key (if key_prop) and the certificates of a PKCS12 file as in-line
 * PEM values of p. 0, or -1 when the file cannot be opened. */
static int sm_tool_p12_to_pem(sm_tool_props_t *p, const char *path, const char *pw,
			      const char *key_prop, const char *certs_prop)
{
	BIO *in = BIO_new_file(path, "rb"), *kout = BIO_new(BIO_s_mem()), *cout = BIO_new(BIO_s_mem());
	PKCS12 *p12 = in ? d2i_PKCS12_bio(in, NULL) : NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *ca = NULL;
	int ok = p12 && PKCS12_parse(p12, pw ? pw : "", &key, &cert, &ca);
	char *pem = NULL;
	long n;

	if (ok && cert)
		PEM_write_bio_X509(cout, cert);
	for (int i = 0; ok && ca && i < sk_X509_num(ca); i++)
		PEM_write_bio_X509(cout, sk_X509_value(ca, i));
	if (ok && key_prop)
		ok = key && PEM_write_bio_PrivateKey(kout, key, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(cout, &pem);
	ok = ok && n > 0;
	if (ok) {
		char *copy = sm_malloc((size_t)n + 1);
		memcpy(copy, pem, (size_t)n);
		copy[n] = '\0';
		sm_tool_props_set(p, certs_prop, copy);
		free(copy);
	}
	if (ok && key_prop) {
		n = BIO_get_mem_data(kout, &pem);
		char *copy = sm_malloc((size_t)n + 1);
		memcpy(copy, pem, (size_t)n);
		copy[n] = '\0';
		sm_tool_props_set(p, key_prop, copy);
		free(copy);
	}
	EVP_PKEY_free(key);
	X509_free(cert);
	sk_X509_pop_free(ca, X509_free);
	PKCS12_free(p12);
	BIO_free(in);
	BIO_free(kout);
	BIO_free(cout);
	return ok ? 0 : -1;
}

/* A Kafka client config's ssl.* keys in librdkafka's terms, so a
 * --command-config written for Kafka's Java tools works unchanged: PEM
 * stores become ssl.ca.location / ssl.certificate.location +
 * ssl.key.location (or the *.pem in-line values), a PKCS12 keystore stays
 * ssl.keystore.location, a PKCS12 truststore is handed over as PEM. Keys
 * librdkafka has no equivalent for (protocol lists, Java cipher names) are
 * dropped: librdkafka's defaults are TLS 1.2 and 1.3 as Kafka's. */
static int sm_tool_ssl_translate(sm_tool_props_t *p, char *err, size_t errlen)
{
	const char *kt = sm_tool_props_get(p, "ssl.keystore.type");
	const char *tt = sm_tool_props_get(p, "ssl.truststore.type");
	const char *tl = sm_tool_props_get(p, "ssl.truststore.location");
	const char *kl = sm_tool_props_get(p, "ssl.keystore.location");
	const char *v;

	if (kl && (!kt || !strcasecmp(kt, "JKS"))) {
		snprintf(err, errlen, "ssl.keystore.type %s is not supported: use PEM or PKCS12",
			 kt ? kt : "JKS (the default)");
		return -1;
	}
	if (tl && (!tt || !strcasecmp(tt, "JKS"))) {
		snprintf(err, errlen, "ssl.truststore.type %s is not supported: use PEM or PKCS12",
			 tt ? tt : "JKS (the default)");
		return -1;
	}
	if (kl && !strcasecmp(kt, "PEM")) {
		/* One file, key and chain, as Kafka's PEM keystore. */
		char *loc = sm_strdup(kl);
		sm_tool_props_del(p, "ssl.keystore.location");
		sm_tool_props_del(p, "ssl.keystore.password");
		sm_tool_props_set(p, "ssl.certificate.location", loc);
		sm_tool_props_set(p, "ssl.key.location", loc);
		free(loc);
	}
	if (tl && !strcasecmp(tt, "PEM")) {
		char *loc = sm_strdup(tl);
		sm_tool_props_set(p, "ssl.ca.location", loc);
		free(loc);
	} else if (tl && sm_tool_p12_to_pem(p, tl, sm_tool_props_get(p, "ssl.truststore.password"),
					    NULL, "ssl.ca.pem")) {
		snprintf(err, errlen, "cannot read PKCS12 truststore %s (wrong ssl.truststore.password?)",
			 tl);
		return -1;
	}
	if (kl && !strcasecmp(kt, "PKCS12")) {
		/* In-line PEM rather than librdkafka's own PKCS12 loader, which
		 * leaks the key it reads. */
		char *loc = sm_strdup(kl);
		int bad = sm_tool_p12_to_pem(p, loc, sm_tool_props_get(p, "ssl.keystore.password"),
					     "ssl.key.pem", "ssl.certificate.pem");
		if (bad) {
			snprintf(err, errlen, "cannot read PKCS12 keystore %s (wrong ssl.keystore.password?)",
				 loc);
			free(loc);
			return -1;
		}
		free(loc);
		sm_tool_props_del(p, "ssl.keystore.location");
		sm_tool_props_del(p, "ssl.keystore.password");
	}
	if ((v = sm_tool_props_get(p, "ssl.keystore.certificate.chain")) != NULL) {
		char *c = sm_strdup(v);
		sm_tool_props_set(p, "ssl.certificate.pem", c);
		free(c);
	}
	if ((v = sm_tool_props_get(p, "ssl.keystore.key")) != NULL) {
		char *c = sm_strdup(v);
		sm_tool_props_set(p, "ssl.key.pem", c);
		free(c);
	}
	if ((v = sm_tool_props_get(p, "ssl.truststore.certificates")) != NULL) {
		char *c = sm_strdup(v);
		sm_tool_props_set(p, "ssl.ca.pem", c);
		free(c);
	}
	if ((v = sm_tool_props_get(p, "ssl.endpoint.identification.algorithm")) != NULL && !*v)
		sm_tool_props_set(p, "ssl.endpoint.identification.algorithm", "none");
	static const char *const drop[] = {
		"ssl.keystore.type", "ssl.truststore.type", "ssl.truststore.location",
		"ssl.truststore.password", "ssl.truststore.certificates",
		"ssl.keystore.certificate.chain", "ssl.keystore.key", "ssl.enabled.protocols",
		"ssl.protocol", "ssl.cipher.suites", "ssl.keymanager.algorithm",
		"ssl.trustmanager.algorithm", "ssl.secure.random.implementation",
	};
	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		sm_tool_props_del(p, drop[i]);
	return 0;
}

/* A Kafka client config's SASL keys in librdkafka's terms: sasl.mechanism
 * becomes sasl.mechanisms, and the PlainLoginModule / ScramLoginModule
 * entry of sasl.jaas.config gives sasl.username and sasl.password. */
static int sm_tool_sasl_translate(sm_tool_props_t *p, char *err, size_t errlen)
{
	const char *v;
	if ((v = sm_tool_props_get(p, "sasl.mechanism")) != NULL) {
		char *c = sm_strdup(v);
		sm_tool_props_set(p, "sasl.mechanisms", c);
		free(c);
		sm_tool_props_del(p, "sasl.mechanism");
	}
	if ((v = sm_tool_props_get(p, "sasl.jaas.config")) != NULL) {
		sm_jaas_t j;
		char jerr[256];
		if (sm_jaas_parse(v, &j, jerr, sizeof(jerr))) {
			snprintf(err, errlen, "Invalid sasl.jaas.config: %s", jerr);
			return -1;
		}
		const char *u = sm_jaas_get(&j, "username"), *pw = sm_jaas_get(&j, "password");
		if (u)
			sm_tool_props_set(p, "sasl.username", u);
		if (pw)
			sm_tool_props_set(p, "sasl.password", pw);
		sm_jaas_clear(&j);
		sm_tool_props_del(p, "sasl.jaas.config");
	}
	return 0;
}

int sm_tool_props_load(sm_tool_props_t *p, const char *path, char *err,
		       size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;

	if (!fp) {
		snprintf(err, errlen, "cannot read %s: %s", path,
			 strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, fp) >= 0)
		sm_tool_props_line(p, line);
	free(line);
	fclose(fp);
	if (sm_tool_sasl_translate(p, err, errlen))
		return -1;
	return sm_tool_ssl_translate(p, err, errlen);
}

int sm_tool_parse_bool(const char *s, int def)
{
	if (!s)
		return def;
	if (!strcasecmp(s, "true"))
		return 1;
	if (!strcasecmp(s, "false"))
		return 0;
	return def;
}

int sm_tool_parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || end == s)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* ---- records ---- */

void sm_tool_record_init(sm_tool_record_t *r)
{
	memset(r, 0, sizeof(*r));
	r->partition = -1;
	r->offset = -1;
	r->timestamp = -1;
}

void sm_tool_record_destroy(sm_tool_record_t *r)
{
	free(r->headers);
	memset(r, 0, sizeof(*r));
}

void sm_tool_record_add_header(sm_tool_record_t *r, const char *key,
			       size_t key_len, const char *value,
			       size_t value_len)
{
	if (r->header_cnt == r->header_size) {
		r->header_size = r->header_size ? r->header_size * 2 : 4;
		r->headers = sm_realloc(r->headers,
					r->header_size * sizeof(*r->headers));
	}
	r->headers[r->header_cnt].key = key;
	r->headers[r->header_cnt].key_len = key_len;
	r->headers[r->header_cnt].value = value;
	r->headers[r->header_cnt].value_len = value_len;
	r->header_cnt++;
}

/* ---- producer line reader ---- */

static const char *sm_tool_find(const char *hay, size_t hay_len,
				const char *needle)
{
	size_t n = strlen(needle);

	if (n == 0 || n > hay_len)
		return NULL;
	for (size_t i = 0; i + n <= hay_len; i++)
		if (hay[i] == needle[0] && !memcmp(hay + i, needle, n))
			return hay + i;
	return NULL;
}

static const char *sm_tool_prop_or(const sm_tool_props_t *props,
				   const char *key, const char *def)
{
	const char *v = props ? sm_tool_props_get(props, key) : NULL;

	return v ? v : def;
}

int sm_tool_line_reader_init(sm_tool_line_reader_t *lr,
			     const sm_tool_props_t *props, char *err,
			     size_t errlen)
{
	lr->parse_key = sm_tool_parse_bool(
		sm_tool_prop_or(props, "parse.key", NULL), 0);
	lr->parse_headers = sm_tool_parse_bool(
		sm_tool_prop_or(props, "parse.headers", NULL), 0);
	lr->ignore_error = sm_tool_parse_bool(
		sm_tool_prop_or(props, "ignore.error", NULL), 0);
	lr->key_sep = sm_tool_prop_or(props, "key.separator", "\t");
	lr->headers_delim = sm_tool_prop_or(props, "headers.delimiter", "\t");
	lr->headers_sep = sm_tool_prop_or(props, "headers.separator", ",");
	lr->headers_key_sep = sm_tool_prop_or(props, "headers.key.separator",
					      ":");
	lr->null_marker = sm_tool_prop_or(props, "null.marker", NULL);
	if (!*lr->key_sep || !*lr->headers_delim || !*lr->headers_sep ||
	    !*lr->headers_key_sep) {
		snprintf(err, errlen, "separator properties must not be empty");
		return -1;
	}
	if (lr->null_marker && !*lr->null_marker) {
		snprintf(err, errlen, "null.marker must not be empty");
		return -1;
	}
	return 0;
}

static int sm_tool_is_null(const sm_tool_line_reader_t *lr, const char *s,
			   size_t len)
{
	return lr->null_marker && strlen(lr->null_marker) == len &&
	       !memcmp(lr->null_marker, s, len);
}

static int sm_tool_split_headers(const sm_tool_line_reader_t *lr,
				 const char *s, size_t len, long lineno,
				 sm_tool_record_t *rec, char *err,
				 size_t errlen)
{
	size_t hsep_len = strlen(lr->headers_sep);
	size_t ksep_len = strlen(lr->headers_key_sep);

	for (;;) {
		const char *end = sm_tool_find(s, len, lr->headers_sep);
		size_t plen = end ? (size_t)(end - s) : len;
		const char *k = sm_tool_find(s, plen, lr->headers_key_sep);

		if (!k && !lr->ignore_error) {
			snprintf(err, errlen,
				 "No header key separator found in pair '%.*s' on line number %ld",
				 (int)plen, s, lineno);
			return -1;
		}
		if (!k) {
			sm_tool_record_add_header(rec, s, plen, NULL, 0);
		} else {
			const char *v = k + ksep_len;
			size_t vlen = plen - (size_t)(v - s);

			sm_tool_record_add_header(rec, s, (size_t)(k - s),
				sm_tool_is_null(lr, v, vlen) ? NULL : v, vlen);
		}
		if (!end)
			return 0;
		len -= plen + hsep_len;
		s = end + hsep_len;
	}
}

/* Kafka's parse(): the text from start up to sep, or NULL when parsing is
 * off or the separator is missing (an error unless ignore.error). */
static int sm_tool_take(const sm_tool_line_reader_t *lr, int enabled,
			const char *line, size_t len, size_t start,
			const char *sep, const char *what, long lineno,
			const char **out, size_t *out_len, char *err,
			size_t errlen)
{
	const char *at;

	*out = NULL;
	*out_len = 0;
	if (!enabled)
		return 0;
	at = sm_tool_find(line + start, len - start, sep);
	if (!at) {
		if (lr->ignore_error)
			return 0;
		snprintf(err, errlen, "No %s found on line number %ld: '%.*s'",
			 what, lineno, (int)len, line);
		return -1;
	}
	*out = line + start;
	*out_len = (size_t)(at - *out);
	return 0;
}

int sm_tool_line_parse(const sm_tool_line_reader_t *lr, const char *line,
		       size_t len, long lineno, sm_tool_record_t *rec,
		       char *err, size_t errlen)
{
	const char *hdrs, *key;
	size_t hdrs_len, key_len, off = 0;

	rec->header_cnt = 0;
	if (sm_tool_take(lr, lr->parse_headers, line, len, 0,
			 lr->headers_delim, "headers delimiter", lineno, &hdrs,
			 &hdrs_len, err, errlen))
		return -1;
	if (hdrs)
		off = hdrs_len + strlen(lr->headers_delim);
	if (sm_tool_take(lr, lr->parse_key, line, len, off, lr->key_sep,
			 "key separator", lineno, &key, &key_len, err, errlen))
		return -1;
	if (key)
		off += key_len + strlen(lr->key_sep);

	rec->key = key && !sm_tool_is_null(lr, key, key_len) ? key : NULL;
	rec->key_len = rec->key ? key_len : 0;
	rec->value = line + off;
	rec->value_len = len - off;
	if (sm_tool_is_null(lr, rec->value, rec->value_len)) {
		rec->value = NULL;
		rec->value_len = 0;
	}
	if (hdrs && !sm_tool_is_null(lr, hdrs, hdrs_len))
		return sm_tool_split_headers(lr, hdrs, hdrs_len, lineno, rec,
					     err, errlen);
	return 0;
}

/* ---- consumer formatter ---- */

void sm_tool_formatter_init(sm_tool_formatter_t *f,
			    const sm_tool_props_t *props)
{
	f->print_timestamp = sm_tool_parse_bool(
		sm_tool_prop_or(props, "print.timestamp", NULL), 0);
	f->print_partition = sm_tool_parse_bool(
		sm_tool_prop_or(props, "print.partition", NULL), 0);
	f->print_offset = sm_tool_parse_bool(
		sm_tool_prop_or(props, "print.offset", NULL), 0);
	f->print_headers = sm_tool_parse_bool(
		sm_tool_prop_or(props, "print.headers", NULL), 0);
	f->print_key = sm_tool_parse_bool(
		sm_tool_prop_or(props, "print.key", NULL), 0);
	f->print_value = sm_tool_parse_bool(
		sm_tool_prop_or(props, "print.value", NULL), 1);
	f->key_sep = sm_tool_prop_or(props, "key.separator", "\t");
	f->line_sep = sm_tool_prop_or(props, "line.separator", "\n");
	f->headers_sep = sm_tool_prop_or(props, "headers.separator", ",");
	f->null_literal = sm_tool_prop_or(props, "null.literal", "null");
}

static void sm_tool_put(FILE *out, const char *s, size_t len,
			const char *null_literal)
{
	if (s)
		fwrite(s, 1, len, out);
	else
		fputs(null_literal, out);
}

static void sm_tool_put_headers(const sm_tool_formatter_t *f,
				const sm_tool_record_t *rec, FILE *out)
{
	if (!rec->header_cnt) {
		fputs("NO_HEADERS", out);
		return;
	}
	for (size_t i = 0; i < rec->header_cnt; i++) {
		const sm_tool_header_t *h = &rec->headers[i];

		if (i)
			fputs(f->headers_sep, out);
		fwrite(h->key, 1, h->key_len, out);
		fputc(':', out);
		sm_tool_put(out, h->value, h->value_len, f->null_literal);
	}
}

int sm_tool_format(const sm_tool_formatter_t *f, const sm_tool_record_t *rec,
		   FILE *out)
{
	/* Each field is followed by the separator only if another field
	 * comes after it, exactly as DefaultMessageFormatter does. */
	int more_after_ts = f->print_partition || f->print_offset ||
			    f->print_headers || f->print_key || f->print_value;
	int more_after_part = f->print_offset || f->print_headers ||
			      f->print_key || f->print_value;
	int more_after_off = f->print_headers || f->print_key ||
			     f->print_value;

	if (f->print_timestamp) {
		if (rec->ts_type == SM_TOOL_TS_NONE)
			fputs("NO_TIMESTAMP", out);
		else
			fprintf(out, "%s:%lld",
				rec->ts_type == SM_TOOL_TS_CREATE ?
				"CreateTime" : "LogAppendTime",
				(long long)rec->timestamp);
		if (more_after_ts)
			fputs(f->key_sep, out);
	}
	if (f->print_partition) {
		fprintf(out, "Partition:%d", (int)rec->partition);
		if (more_after_part)
			fputs(f->key_sep, out);
	}
	if (f->print_offset) {
		fprintf(out, "Offset:%lld", (long long)rec->offset);
		if (more_after_off)
			fputs(f->key_sep, out);
	}
	if (f->print_headers) {
		sm_tool_put_headers(f, rec, out);
		if (f->print_key || f->print_value)
			fputs(f->key_sep, out);
	}
	if (f->print_key) {
		sm_tool_put(out, rec->key, rec->key_len, f->null_literal);
		if (f->print_value)
			fputs(f->key_sep, out);
	}
	if (f->print_value)
		sm_tool_put(out, rec->value, rec->value_len, f->null_literal);
	fputs(f->line_sep, out);
	return ferror(out) ? -1 : 0;
}

/* ---- diagnostics ---- */

void sm_tool_log(const char *level, const char *logger, const char *fmt, ...)
{
	struct timeval tv;
	struct tm tm;
	char ts[32];
	va_list ap;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, "[%s,%03d] %s ", ts, (int)(tv.tv_usec / 1000), level);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (%s)\n", logger);
}
