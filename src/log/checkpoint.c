/*
 * checkpoint.c - offset checkpoint files (Kafka's OffsetCheckpointFile) and
 * atomic file replacement. See checkpoint.h.
 */
#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "logger.h"

#define SM_CHECKPOINT_LOGGER "kafka.server.checkpoints.CheckpointFile"
#define SM_CHECKPOINT_MAX_FILE (256 * 1024 * 1024)

void sm_checkpoint_init(sm_checkpoint_t *cp)
{
	memset(cp, 0, sizeof(*cp));
}

void sm_checkpoint_clear(sm_checkpoint_t *cp)
{
	for (int i = 0; i < cp->cnt; i++)
		free(cp->entries[i].topic);
	free(cp->entries);
	sm_checkpoint_init(cp);
}

void sm_checkpoint_add(sm_checkpoint_t *cp, const char *topic, int32_t partition, int64_t offset)
{
	if (cp->cnt == cp->cap) {
		cp->cap = cp->cap ? cp->cap * 2 : 16;
		cp->entries = sm_realloc(cp->entries, sizeof(*cp->entries) * (size_t)cp->cap);
	}
	sm_checkpoint_entry_t *e = &cp->entries[cp->cnt++];
	e->topic = sm_strdup(topic);
	e->partition = partition;
	e->offset = offset;
}

int64_t sm_checkpoint_get(const sm_checkpoint_t *cp, const char *topic, int32_t partition,
			  int64_t dflt)
{
	for (int i = 0; i < cp->cnt; i++)
		if (cp->entries[i].partition == partition && !strcmp(cp->entries[i].topic, topic))
			return cp->entries[i].offset;
	return dflt;
}

static int sm_checkpoint_parse_i64(const char *s, int64_t *v)
{
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -1;
	*v = x;
	return 0;
}

/* Parses the whole text; returns NULL or the problem. */
static const char *sm_checkpoint_parse(char *text, sm_checkpoint_t *cp)
{
	char *save = NULL;
	char *line = strtok_r(text, "\n", &save);
	int64_t version, count;
	if (!line || sm_checkpoint_parse_i64(line, &version))
		return "missing or malformed version line";
	if (version != 0)
		return "unrecognized version";
	line = strtok_r(NULL, "\n", &save);
	if (!line || sm_checkpoint_parse_i64(line, &count) || count < 0)
		return "missing or malformed entry count";
	for (int64_t i = 0; i < count; i++) {
		line = strtok_r(NULL, "\n", &save);
		if (!line)
			return "fewer entries than the declared count";
		char topic[512], part[32], off[32], extra[2];
		int64_t p, o;
		if (sscanf(line, "%511s %31s %31s %1s", topic, part, off, extra) != 3 ||
		    sm_checkpoint_parse_i64(part, &p) || sm_checkpoint_parse_i64(off, &o) ||
		    p < 0 || p > INT32_MAX)
			return "malformed entry line";
		sm_checkpoint_add(cp, topic, (int32_t)p, o);
	}
	while ((line = strtok_r(NULL, "\n", &save)))
		if (strspn(line, " \t\r") != strlen(line))
			return "more entries than the declared count";
	return NULL;
}

sm_err_t sm_checkpoint_read(const char *path, sm_checkpoint_t *cp)
{
	sm_checkpoint_init(cp);
	FILE *f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? SM_ERR_NONE : SM_ERR__IO;
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && st.st_size < SM_CHECKPOINT_MAX_FILE) {
		text = sm_malloc((size_t)st.st_size + 1);
		len = fread(text, 1, (size_t)st.st_size, f);
		text[len] = '\0';
	}
	fclose(f);
	const char *why = text ? (strlen(text) != len ? "contains NUL bytes"
						      : sm_checkpoint_parse(text, cp))
			       : "unreadable or too large";
	free(text);
	if (!why)
		return SM_ERR_NONE;
	sm_log_error(NULL, SM_CHECKPOINT_LOGGER,
		     "Error while reading checkpoint file %s: %s; treating it as empty", path, why);
	sm_checkpoint_clear(cp);
	return SM_ERR__CORRUPT;
}

/* Deferred syncing (sm_checkpoint_defer_begin/end), per thread: the
 * files written meanwhile, and one open file per filesystem they are on
 * (syncfs needs a descriptor). */
#define SM_CP_DEFER_FS 8
typedef struct sm_cp_defer {
	int depth;
	char **paths;
	int n, cap;
	int fds[SM_CP_DEFER_FS];
	dev_t devs[SM_CP_DEFER_FS];
	int nfs;
	int overflow; /* on more filesystems than slots: per-file syncs */
} sm_cp_defer_t;
static __thread sm_cp_defer_t sm_cp_defer;

/* Below this many files a deferred batch is synced file by file: a
 * syncfs also writes back whatever else is dirty on the filesystem (log
 * segments), which only pays off against many small fsyncs. */
#define SM_CP_DEFER_SYNCFS_MIN 64

void sm_checkpoint_defer_begin(void)
{
	sm_cp_defer.depth++;
}

/* fsync of path and of its directory; logs a failure. */
static int sm_cp_sync_path(const char *path)
{
	int ok = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ok = fsync(fd) == 0;
		close(fd);
	}
	char *dcopy = sm_strdup(path);
	int dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		ok &= fsync(dfd) == 0;
		close(dfd);
	} else {
		ok = 0;
	}
	free(dcopy);
	if (!ok)
		sm_log_error(NULL, SM_CHECKPOINT_LOGGER, "Error while syncing checkpoint file %s: %s",
			     path, strerror(errno));
	return ok;
}

sm_err_t sm_checkpoint_defer_end(void)
{
	sm_cp_defer_t *d = &sm_cp_defer;
	if (d->depth <= 0 || --d->depth > 0)
		return SM_ERR_NONE;
	int ok = 1;
	int per_file = d->overflow || d->n < SM_CP_DEFER_SYNCFS_MIN;
	for (int i = 0; i < d->nfs && !per_file; i++) {
		if (syncfs(d->fds[i]) < 0) {
			sm_log_error(NULL, SM_CHECKPOINT_LOGGER,
				     "Error while syncing the filesystem of %d checkpoint files: %s; syncing them one by one",
				     d->n, strerror(errno));
			per_file = 1;
		}
	}
	for (int i = 0; i < d->n; i++) {
		if (per_file)
			ok &= sm_cp_sync_path(d->paths[i]);
		free(d->paths[i]);
	}
	for (int i = 0; i < d->nfs; i++)
		close(d->fds[i]);
	free(d->paths);
	memset(d, 0, sizeof(*d));
	return ok ? SM_ERR_NONE : SM_ERR__IO;
}

/* Records a file written while syncing is deferred (fd still open). */
static void sm_cp_defer_add(const char *path, int fd)
{
	sm_cp_defer_t *d = &sm_cp_defer;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		d->overflow = 1;
	} else {
		int k = 0;
		while (k < d->nfs && d->devs[k] != st.st_dev)
			k++;
		if (k == d->nfs) {
			int dup_fd = k < SM_CP_DEFER_FS ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
			if (dup_fd < 0) {
				d->overflow = 1;
			} else {
				d->fds[k] = dup_fd;
				d->devs[k] = st.st_dev;
				d->nfs++;
			}
		}
	}
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->paths = sm_realloc(d->paths, sizeof(*d->paths) * (size_t)d->cap);
	}
	d->paths[d->n++] = sm_strdup(path);
}

sm_err_t sm_checkpoint_write_file(const char *path, const void *data, size_t len)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto err;
	const uint8_t *p = data;
	for (size_t done = 0; done < len;) {
		ssize_t r = write(fd, p + done, len - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			close(fd);
			goto err;
		}
		done += (size_t)r;
	}
	struct stat old;
	if (sm_cp_defer.depth > 0 && stat(path, &old) < 0 && errno == ENOENT) {
		/* A new file, synced with the batch by sm_checkpoint_defer_end:
		 * a crash before then leaves it missing or empty, as if it had
		 * not been written yet. A file replaced keeps the fsync before
		 * the rename, so a crash never loses its durable contents. */
		sm_cp_defer_add(path, fd);
		if (close(fd) < 0 || rename(tmp, path) < 0)
			goto err;
		return SM_ERR_NONE;
	}
	if (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0)
		goto err;
	char *dcopy = sm_strdup(path);
	int dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(dcopy);
	return SM_ERR_NONE;
err:
	sm_log_error(NULL, SM_CHECKPOINT_LOGGER, "Error while writing to checkpoint file %s: %s",
		     path, strerror(errno));
	unlink(tmp);
	return SM_ERR__IO;
}

sm_err_t sm_checkpoint_write(const char *path, const sm_checkpoint_t *cp)
{
	sm_wbuf_t w;
	char line[600];
	sm_wbuf_init(&w, 256);
	int n = snprintf(line, sizeof(line), "0\n%d\n", cp->cnt);
	sm_wbuf_append(&w, line, (size_t)n);
	for (int i = 0; i < cp->cnt; i++) {
		const sm_checkpoint_entry_t *e = &cp->entries[i];
		n = snprintf(line, sizeof(line), "%s %d %" PRId64 "\n", e->topic, (int)e->partition,
			     e->offset);
		sm_wbuf_append(&w, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	}
	sm_err_t err = sm_checkpoint_write_file(path, w.p, w.len);
	sm_wbuf_free(&w);
	return err;
}
