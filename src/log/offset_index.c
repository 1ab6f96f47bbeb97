/*
 * offset_index.c - mmap'd index files and the offset index (Kafka's
 * AbstractIndex and OffsetIndex). See offset_index.h for the format and the
 * thread-safety rules.
 */
#include "offset_index.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "logger.h"

#define SM_INDEX_LOGGER "kafka.log.AbstractIndex"

static sm_err_t sm_index_map(sm_index_t *idx, size_t len)
{
	if (idx->map) {
		munmap(idx->map, idx->map_len);
		idx->map = NULL;
	}
	idx->map_len = len;
	idx->max_entries = (int32_t)(len / (size_t)idx->entry_size);
	if (len == 0)
		return SM_ERR_NONE;
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, idx->fd, 0);
	if (m == MAP_FAILED) {
		sm_log_error(NULL, SM_INDEX_LOGGER, "Failed to mmap index file %s: %s",
			     idx->path, strerror(errno));
		idx->map_len = 0;
		idx->max_entries = 0;
		return SM_ERR__IO;
	}
	idx->map = m;
	return SM_ERR_NONE;
}

/* The descriptor is held only while the index is written: a broker with
 * 10,000 idle partitions then holds one descriptor per segment (its .log),
 * as Kafka's (which closes an index file once it is mapped), not three.
 * Renames of the file update idx->path; a log whose directory is renamed is
 * closed or reopened first. */
static int sm_index_fd(sm_index_t *idx)
{
	if (idx->fd < 0) {
		idx->fd = open(idx->path, O_RDWR | O_CLOEXEC);
		if (idx->fd < 0)
			sm_log_error(NULL, SM_INDEX_LOGGER, "Failed to open index file %s: %s",
				     idx->path, strerror(errno));
	}
	return idx->fd;
}

static void sm_index_drop_fd(sm_index_t *idx)
{
	if (idx->fd >= 0)
		close(idx->fd);
	idx->fd = -1;
}

sm_err_t sm_index_write_entry(sm_index_t *idx, int32_t n, const uint8_t *entry)
{
	if (sm_index_fd(idx) < 0)
		return errno == ENOSPC || errno == EDQUOT ? SM_ERR__NOSPACE : SM_ERR__IO;
	size_t left = (size_t)idx->entry_size;
	off_t pos = (off_t)n * idx->entry_size;
	while (left > 0) {
		ssize_t r = pwrite(idx->fd, entry, left, pos);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int e = r < 0 ? errno : EIO;
			sm_log_error(NULL, SM_INDEX_LOGGER, "Failed to write an entry to index file %s: %s",
				     idx->path, r < 0 ? strerror(e) : "short write");
			/* a full disk is recoverable (see docs/design/disk-full.md) */
			return e == ENOSPC || e == EDQUOT ? SM_ERR__NOSPACE : SM_ERR__IO;
		}
		entry += r;
		left -= (size_t)r;
		pos += r;
	}
	return SM_ERR_NONE;
}

static int64_t sm_index_round(int64_t bytes, int entry_size)
{
	if (bytes < 0)
		bytes = 0;
	return bytes / entry_size * entry_size;
}

sm_err_t sm_index_open(sm_index_t *idx, const char *path, int64_t base_offset,
		       int entry_size, int32_t max_index_bytes, int *created)
{
	memset(idx, 0, sizeof(*idx));
	idx->fd = -1;
	idx->entry_size = entry_size;
	idx->base_offset = base_offset;
	idx->path = sm_strdup(path);

	int is_new = 0;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		is_new = 1;
	}
	if (fd < 0) {
		sm_log_error(NULL, SM_INDEX_LOGGER, "Failed to open index file %s: %s", path,
			     strerror(errno));
		free(idx->path);
		idx->path = NULL;
		return SM_ERR__IO;
	}
	idx->fd = fd;
	struct stat st;
	if (fstat(fd, &st) < 0)
		goto err_io;
	size_t len = (size_t)st.st_size;
	if (is_new) {
		len = (size_t)sm_index_round(max_index_bytes, entry_size);
		if (ftruncate(fd, (off_t)len) < 0)
			goto err_io;
	}
	if (created)
		*created = is_new;
	if (sm_index_map(idx, len))
		goto err_io;
	sm_index_drop_fd(idx);
	idx->entries = is_new ? 0 : (int32_t)(len / (size_t)entry_size);
	return SM_ERR_NONE;
err_io:
	sm_log_error(NULL, SM_INDEX_LOGGER, "Failed to set up index file %s: %s", path,
		     strerror(errno));
	sm_index_close(idx);
	return SM_ERR__IO;
}

sm_err_t sm_index_resize(sm_index_t *idx, int64_t max_index_bytes)
{
	size_t len = (size_t)sm_index_round(max_index_bytes, idx->entry_size);
	if (len == idx->map_len && (len == 0 || idx->map))
		return SM_ERR_NONE;
	if (sm_index_fd(idx) < 0)
		return SM_ERR__IO;
	if (idx->map) {
		munmap(idx->map, idx->map_len);
		idx->map = NULL;
	}
	if (ftruncate(idx->fd, (off_t)len) < 0) {
		sm_log_error(NULL, SM_INDEX_LOGGER, "Failed to resize index file %s: %s",
			     idx->path, strerror(errno));
		sm_index_drop_fd(idx);
		return SM_ERR__IO;
	}
	sm_err_t err = sm_index_map(idx, len);
	/* reopened by the next write, if any (a trimmed index has none) */
	sm_index_drop_fd(idx);
	if (idx->entries > idx->max_entries)
		__atomic_store_n(&idx->entries, idx->max_entries, __ATOMIC_RELEASE);
	return err;
}

sm_err_t sm_index_trim(sm_index_t *idx)
{
	return sm_index_resize(idx, (int64_t)idx->entries * idx->entry_size);
}

void sm_index_reset(sm_index_t *idx)
{
	__atomic_store_n(&idx->entries, 0, __ATOMIC_RELEASE);
}

sm_err_t sm_index_flush(sm_index_t *idx)
{
	if (idx->map && msync(idx->map, idx->map_len, MS_SYNC) < 0) {
		sm_log_error(NULL, SM_INDEX_LOGGER, "Failed to flush index file %s: %s",
			     idx->path, strerror(errno));
		return SM_ERR__IO;
	}
	return SM_ERR_NONE;
}

void sm_index_close(sm_index_t *idx)
{
	if (idx->map)
		munmap(idx->map, idx->map_len);
	idx->map = NULL;
	if (idx->fd >= 0)
		close(idx->fd);
	idx->fd = -1;
	free(idx->path);
	idx->path = NULL;
}

void sm_index_delete(sm_index_t *idx)
{
	if (idx->path)
		unlink(idx->path);
	sm_index_close(idx);
}

/* ---- offset index ---- */

sm_err_t sm_offset_index_open(sm_index_t *idx, const char *path, int64_t base_offset,
			      int32_t max_index_bytes, int *created)
{
	return sm_index_open(idx, path, base_offset, SM_OFFSET_INDEX_ENTRY_SIZE,
			     max_index_bytes, created);
}

int sm_offset_index_is_full(const sm_index_t *idx)
{
	return sm_index_entries(idx) >= idx->max_entries;
}

void sm_offset_index_entry(const sm_index_t *idx, int32_t i, int64_t *offset, int32_t *position)
{
	const uint8_t *p = idx->map + (size_t)i * SM_OFFSET_INDEX_ENTRY_SIZE;
	*offset = idx->base_offset + (int32_t)sm_be32(p);
	*position = (int32_t)sm_be32(p + 4);
}

int64_t sm_offset_index_last_offset(const sm_index_t *idx)
{
	int32_t n = sm_index_entries(idx);
	int64_t off = idx->base_offset;
	int32_t pos;
	if (n > 0)
		sm_offset_index_entry(idx, n - 1, &off, &pos);
	return off;
}

sm_err_t sm_offset_index_append(sm_index_t *idx, int64_t offset, int32_t position)
{
	int32_t n = idx->entries;
	if (n >= idx->max_entries)
		return SM_ERR__FULL;
	if (n > 0 && offset <= sm_offset_index_last_offset(idx))
		return SM_ERR__STATE;
	int64_t rel = offset - idx->base_offset;
	if (rel < 0 || rel > INT32_MAX)
		return SM_ERR__STATE;
	uint8_t e[SM_OFFSET_INDEX_ENTRY_SIZE];
	sm_put_be32(e, (uint32_t)rel);
	sm_put_be32(e + 4, (uint32_t)position);
	sm_err_t err = sm_index_write_entry(idx, n, e);
	if (err)
		return err;
	__atomic_store_n(&idx->entries, n + 1, __ATOMIC_RELEASE);
	return SM_ERR_NONE;
}

/* Index of the greatest entry with offset <= target, or -1. */
static int32_t sm_offset_index_slot(const sm_index_t *idx, int64_t target)
{
	int32_t lo = 0, hi = sm_index_entries(idx) - 1, found = -1;
	while (lo <= hi) {
		int32_t mid = lo + (hi - lo) / 2;
		int64_t off;
		int32_t pos;
		sm_offset_index_entry(idx, mid, &off, &pos);
		if (off <= target) {
			found = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return found;
}

void sm_offset_index_lookup(const sm_index_t *idx, int64_t target, int64_t *offset,
			    int32_t *position)
{
	int32_t slot = sm_offset_index_slot(idx, target);
	if (slot < 0) {
		*offset = idx->base_offset;
		*position = 0;
		return;
	}
	sm_offset_index_entry(idx, slot, offset, position);
}

void sm_offset_index_truncate_to(sm_index_t *idx, int64_t offset)
{
	int32_t slot = sm_offset_index_slot(idx, offset);
	int32_t keep;
	if (slot < 0) {
		keep = 0;
	} else {
		int64_t off;
		int32_t pos;
		sm_offset_index_entry(idx, slot, &off, &pos);
		keep = off == offset ? slot : slot + 1;
	}
	__atomic_store_n(&idx->entries, keep, __ATOMIC_RELEASE);
}

sm_err_t sm_offset_index_sanity_check(const sm_index_t *idx, int64_t log_size)
{
	if (idx->map_len % SM_OFFSET_INDEX_ENTRY_SIZE) {
		sm_log_warn(NULL, "kafka.log.OffsetIndex",
			    "Index file %s is corrupt, found %zu bytes which is neither positive nor "
			    "a multiple of %d", idx->path, idx->map_len, SM_OFFSET_INDEX_ENTRY_SIZE);
		return SM_ERR__CORRUPT;
	}
	int64_t prev = -1;
	for (int32_t i = 0; i < idx->entries; i++) {
		int64_t off;
		int32_t pos;
		sm_offset_index_entry(idx, i, &off, &pos);
		if (off < idx->base_offset || off <= prev || pos < 0 || pos > log_size) {
			sm_log_warn(NULL, "kafka.log.OffsetIndex",
				    "Corrupt index found, index file (%s) has non-zero size but entry "
				    "%d (offset %lld, position %d) is invalid", idx->path, (int)i,
				    (long long)off, (int)pos);
			return SM_ERR__CORRUPT;
		}
		prev = off;
	}
	return SM_ERR_NONE;
}
