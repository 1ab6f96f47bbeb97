/*
 * leader_epoch_cache.c - leader epoch history and its checkpoint file
 * (Kafka's LeaderEpochFileCache); see leader_epoch_cache.h.
 *
 * Thread-safety: c->lock guards the entries and the file.
 */
#include "leader_epoch_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "checkpoint.h"
#include "logger.h"
#include "thread_role.h"

#define SM_LEC_LOGGER "kafka.server.epoch.LeaderEpochFileCache"

struct sm_lec {
	pthread_mutex_t lock;
	char *path; /* NULL: memory only */
	sm_lec_entry_t *e;
	int n;
	int cap;
};

/* Reads one decimal integer at *p, advancing past trailing blanks. */
static int sm_lec_num(const char **p, const char *end, int64_t *v)
{
	const char *s = *p;
	int neg = 0;
	if (s < end && *s == '-') {
		neg = 1;
		s++;
	}
	if (s >= end || *s < '0' || *s > '9')
		return -1;
	int64_t x = 0;
	while (s < end && *s >= '0' && *s <= '9') {
		if (x > (INT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (*s++ - '0');
	}
	while (s < end && *s == ' ')
		s++;
	*v = neg ? -x : x;
	*p = s;
	return 0;
}

static int sm_lec_eol(const char **p, const char *end)
{
	if (*p < end && **p == '\r')
		(*p)++;
	if (*p < end && **p == '\n') {
		(*p)++;
		return 0;
	}
	return *p == end ? 0 : -1;
}

int sm_lec_parse(const char *text, size_t len, sm_lec_entry_t **out, int *n, char *err,
		 size_t errlen)
{
	const char *p = text, *end = text + len;
	int64_t ver, cnt;
	*out = NULL;
	*n = 0;
	if (len == 0)
		return 0;
	if (sm_lec_num(&p, end, &ver) || sm_lec_eol(&p, end) || ver != 0) {
		snprintf(err, errlen, "unsupported or missing version");
		return -1;
	}
	if (sm_lec_num(&p, end, &cnt) || sm_lec_eol(&p, end) || cnt < 0 || cnt > (int64_t)len) {
		snprintf(err, errlen, "bad entry count");
		return -1;
	}
	sm_lec_entry_t *e = cnt ? sm_calloc((size_t)cnt, sizeof(*e)) : NULL;
	for (int64_t i = 0; i < cnt; i++) {
		int64_t ep, off;
		if (sm_lec_num(&p, end, &ep) || sm_lec_num(&p, end, &off) || sm_lec_eol(&p, end) ||
		    ep < 0 || ep > INT32_MAX || off < 0) {
			snprintf(err, errlen, "malformed entry on line %d", (int)i + 3);
			free(e);
			return -1;
		}
		e[i].epoch = (int32_t)ep;
		e[i].start_offset = off;
	}
	if (p != end) {
		snprintf(err, errlen, "expected %d entries but found more data", (int)cnt);
		free(e);
		return -1;
	}
	*out = e;
	*n = (int)cnt;
	return 0;
}

static void sm_lec_load(sm_lec_t *c)
{
	int fd = open(c->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	sm_wbuf_t w;
	sm_wbuf_init(&w, 256);
	char buf[4096];
	ssize_t r;
	while ((r = read(fd, buf, sizeof(buf))) > 0 || (r < 0 && errno == EINTR))
		if (r > 0)
			sm_wbuf_append(&w, buf, (size_t)r);
	close(fd);
	char err[128];
	if (sm_lec_parse((const char *)w.p, w.len, &c->e, &c->n, err, sizeof(err))) {
		sm_log_error(NULL, SM_LEC_LOGGER, "Ignoring corrupt leader epoch checkpoint %s: %s",
			     c->path, err);
		c->e = NULL;
		c->n = 0;
	}
	c->cap = c->n;
	sm_wbuf_free(&w);
}

/* Caller holds c->lock. */
static void sm_lec_flush(sm_lec_t *c)
{
	SM_ASSERT_HELD(&c->lock);
	if (!c->path)
		return;
	sm_wbuf_t w;
	sm_wbuf_init(&w, 64);
	char line[64];
	int k = snprintf(line, sizeof(line), "0\n%d\n", c->n);
	sm_wbuf_append(&w, line, (size_t)k);
	for (int i = 0; i < c->n; i++) {
		k = snprintf(line, sizeof(line), "%d %" PRId64 "\n", c->e[i].epoch, c->e[i].start_offset);
		sm_wbuf_append(&w, line, (size_t)k);
	}
	if (sm_checkpoint_write_file(c->path, w.p, w.len))
		sm_log_error(NULL, SM_LEC_LOGGER, "Error while writing %s", c->path);
	sm_wbuf_free(&w);
}

sm_lec_t *sm_lec_open(const char *dir)
{
	sm_lec_t *c = sm_calloc(1, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	if (dir) {
		size_t n = strlen(dir) + sizeof(SM_LEC_FILE) + 2;
		c->path = sm_malloc(n);
		snprintf(c->path, n, "%s/%s", dir, SM_LEC_FILE);
		sm_lec_load(c);
	}
	return c;
}

void sm_lec_move_dir(sm_lec_t *c, const char *dir)
{
	pthread_mutex_lock(&c->lock);
	if (c->path) {
		size_t n = strlen(dir) + sizeof(SM_LEC_FILE) + 2;
		free(c->path);
		c->path = sm_malloc(n);
		snprintf(c->path, n, "%s/%s", dir, SM_LEC_FILE);
		sm_lec_flush(c);
	}
	pthread_mutex_unlock(&c->lock);
}

void sm_lec_destroy(sm_lec_t *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c->e);
	free(c->path);
	free(c);
}

int sm_lec_assign(sm_lec_t *c, int32_t epoch, int64_t start_offset)
{
	if (epoch < 0 || start_offset < 0)
		return 0;
	pthread_mutex_lock(&c->lock);
	if (c->n > 0 && c->e[c->n - 1].epoch >= epoch) {
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	while (c->n > 0 && c->e[c->n - 1].start_offset >= start_offset)
		c->n--;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 4;
		c->e = sm_realloc(c->e, sizeof(*c->e) * (size_t)c->cap);
	}
	c->e[c->n].epoch = epoch;
	c->e[c->n].start_offset = start_offset;
	c->n++;
	sm_lec_flush(c);
	pthread_mutex_unlock(&c->lock);
	return 1;
}

int32_t sm_lec_latest_epoch(sm_lec_t *c)
{
	pthread_mutex_lock(&c->lock);
	int32_t e = c->n ? c->e[c->n - 1].epoch : -1;
	pthread_mutex_unlock(&c->lock);
	return e;
}

void sm_lec_end_offset_for(sm_lec_t *c, int32_t requested, int64_t log_end_offset,
			   int32_t *epoch_out, int64_t *end_offset_out)
{
	*epoch_out = -1;
	*end_offset_out = -1;
	if (requested < 0)
		return;
	pthread_mutex_lock(&c->lock);
	if (c->n > 0 && c->e[c->n - 1].epoch == requested) {
		*epoch_out = requested;
		*end_offset_out = log_end_offset;
	} else {
		int hi = -1, lo = -1;
		for (int i = 0; i < c->n; i++) {
			if (c->e[i].epoch <= requested)
				lo = i;
			else if (hi < 0)
				hi = i;
		}
		if (hi >= 0) {
			*epoch_out = lo >= 0 ? c->e[lo].epoch : requested;
			*end_offset_out = c->e[hi].start_offset;
		}
	}
	pthread_mutex_unlock(&c->lock);
}

void sm_lec_truncate_from_end(sm_lec_t *c, int64_t end_offset)
{
	pthread_mutex_lock(&c->lock);
	int n = c->n;
	while (c->n > 0 && c->e[c->n - 1].start_offset >= end_offset)
		c->n--;
	if (n != c->n)
		sm_lec_flush(c);
	pthread_mutex_unlock(&c->lock);
}

int sm_lec_entries(sm_lec_t *c, sm_lec_entry_t *out, int max)
{
	pthread_mutex_lock(&c->lock);
	int n = c->n;
	for (int i = 0; i < n && i < max; i++)
		out[i] = c->e[i];
	pthread_mutex_unlock(&c->lock);
	return n;
}
