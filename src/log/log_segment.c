/*
 * log_segment.c - one segment of a partition log (Kafka's LogSegment): the
 * .log data file and its offset and time indexes. See log_segment.h for the
 * locking contract.
 */
#include "log_segment.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "logger.h"

#define SM_SEG_LOGGER "kafka.log.LogSegment"

/* ---- batch headers ---- */

const char *sm_seg_batch_parse(const uint8_t *p, size_t avail, int check_crc, sm_seg_batch_t *bi)
{
	if (avail < SM_BATCH_LOG_OVERHEAD)
		return "fewer bytes than the 12-byte batch framing";
	int32_t blen = (int32_t)sm_be32(p + SM_BATCH_OFF_LENGTH);
	if (blen < SM_BATCH_MIN_LENGTH)
		return "record batch length is smaller than the minimum batch size";
	if (avail < SM_BATCH_HEADER_SIZE)
		return "fewer bytes than a record batch header";
	bi->base_offset = (int64_t)sm_be64(p);
	bi->size = (int64_t)blen + SM_BATCH_LOG_OVERHEAD;
	bi->magic = (int8_t)p[SM_BATCH_OFF_MAGIC];
	if (bi->magic != 2)
		return "unsupported record batch magic (only v2 is stored)";
	int32_t delta = (int32_t)sm_be32(p + SM_BATCH_OFF_LAST_DELTA);
	if (delta < 0 || bi->base_offset < 0)
		return "negative offset in record batch header";
	/* saturated: a producer's batch carries whatever base offset it likes
	 * (the leader replaces it) */
	bi->last_offset = sm_i64_sat_add(bi->base_offset, delta);
	bi->attributes = (int16_t)sm_be16(p + SM_BATCH_OFF_ATTRIBUTES);
	bi->base_timestamp = (int64_t)sm_be64(p + SM_BATCH_OFF_BASE_TS);
	bi->max_timestamp = (int64_t)sm_be64(p + SM_BATCH_OFF_MAX_TS);
	if (!check_crc)
		return NULL;
	if ((int64_t)avail < bi->size)
		return "record batch is truncated";
	uint32_t crc = sm_crc32c(0, p + SM_BATCH_OFF_ATTRIBUTES,
				 (size_t)bi->size - SM_BATCH_OFF_ATTRIBUTES);
	if (crc != sm_be32(p + SM_BATCH_OFF_CRC))
		return "record batch CRC-32C does not match its contents";
	return NULL;
}

/* ---- file helpers ---- */

static int sm_seg_pread(int fd, void *buf, size_t len, int64_t pos)
{
	uint8_t *p = buf;
	while (len > 0) {
		ssize_t r = pread(fd, p, len, (off_t)pos);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
		pos += r;
	}
	return 0;
}

ssize_t (*sm_log_segment_pwrite_hook)(int fd, const void *buf, size_t len, off_t pos);

/* Writes all of buf at pos; -1 with errno set on failure (EIO for a write
 * that makes no progress). */
static int sm_seg_pwrite(int fd, const void *buf, size_t len, int64_t pos)
{
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t r = sm_log_segment_pwrite_hook ? sm_log_segment_pwrite_hook(fd, p, len, (off_t)pos)
						       : pwrite(fd, p, len, (off_t)pos);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			errno = EIO;
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
		pos += r;
	}
	return 0;
}

void sm_log_segment_file_name(char *buf, size_t size, const char *dir, int64_t base_offset,
			      const char *suffix)
{
	snprintf(buf, size, "%s/%020" PRId64 "%s", dir, base_offset, suffix);
}

const char *sm_log_segment_read_batch(const sm_log_segment_t *seg, int64_t pos, int64_t limit,
				      int check_crc, sm_seg_batch_t *bi)
{
	uint8_t hdr[SM_BATCH_HEADER_SIZE];
	int64_t avail = limit - pos;
	if (avail <= 0)
		return "end of segment";
	size_t n = avail < SM_BATCH_HEADER_SIZE ? (size_t)avail : SM_BATCH_HEADER_SIZE;
	if (sm_seg_pread(seg->file->fd, hdr, n, pos) < 0)
		return "I/O error reading the segment";
	const char *why = sm_seg_batch_parse(hdr, n, 0, bi);
	if (why)
		return why;
	if (bi->size > avail)
		return "record batch extends past the end of the segment";
	if (!check_crc)
		return NULL;
	uint8_t *buf = sm_malloc((size_t)bi->size);
	if (sm_seg_pread(seg->file->fd, buf, (size_t)bi->size, pos) < 0)
		why = "I/O error reading the segment";
	else
		why = sm_seg_batch_parse(buf, (size_t)bi->size, 1, bi);
	free(buf);
	return why;
}

/* ---- open / close ---- */

static int sm_seg_open_indexes(sm_log_segment_t *seg, const char *dir, int32_t max_index_bytes,
			       int mode)
{
	int create = mode == SM_SEG_OPEN_CREATE, rebuild = mode == SM_SEG_OPEN_REBUILD;
	char path[4096];
	int ocreated = 0, tcreated = 0;
	sm_log_segment_file_name(path, sizeof(path), dir, seg->base_offset, ".index");
	if (create)
		unlink(path);
	if (sm_offset_index_open(&seg->oidx, path, seg->base_offset, max_index_bytes, &ocreated))
		return -1;
	sm_log_segment_file_name(path, sizeof(path), dir, seg->base_offset, ".timeindex");
	if (create)
		unlink(path);
	if (sm_time_index_open(&seg->tidx, path, seg->base_offset, max_index_bytes, &tcreated)) {
		int e = errno;
		if (create) /* a failed roll leaves no files behind */
			sm_index_delete(&seg->oidx);
		else
			sm_index_close(&seg->oidx);
		errno = e;
		return -1;
	}
	if (create)
		return 0;
	if (rebuild)
		return 1;
	if (ocreated || tcreated) {
		sm_log_error(NULL, "kafka.log.Log",
			     "Could not find %s index file corresponding to log file %s, "
			     "recovering segment and rebuilding index files...",
			     ocreated ? "offset" : "time", seg->log_path);
		return 1;
	}
	if (sm_offset_index_sanity_check(&seg->oidx, seg->size) ||
	    sm_time_index_sanity_check(&seg->tidx)) {
		sm_log_warn(NULL, "kafka.log.Log",
			    "Found a corrupted index file corresponding to log file %s, "
			    "recovering segment and rebuilding index files...", seg->log_path);
		return 1;
	}
	return 0;
}

sm_err_t sm_log_segment_open(const char *dir, int64_t base_offset, int32_t max_index_bytes,
			     int32_t index_interval_bytes, int create, int64_t now_ms,
			     int64_t roll_jitter_ms, sm_log_segment_t **out, int *needs_recovery)
{
	char path[4096];
	sm_log_segment_file_name(path, sizeof(path), dir, base_offset, ".log");
	int flags = O_RDWR | O_CLOEXEC | (create == SM_SEG_OPEN_CREATE ? O_CREAT | O_TRUNC : 0);
	int fd = open(path, flags, 0644);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		sm_log_error(NULL, SM_SEG_LOGGER, "Failed to open log segment %s: %s", path,
			     strerror(e));
		if (fd >= 0)
			close(fd);
		return sm_seg_io_err(e);
	}
	sm_log_segment_t *seg = sm_calloc(1, sizeof(*seg));
	seg->base_offset = base_offset;
	seg->log_path = sm_strdup(path);
	seg->file = sm_fileref_new(fd);
	seg->size = st.st_size;
	seg->index_interval_bytes = index_interval_bytes;
	seg->created_ms = now_ms;
	seg->roll_jitter_ms = roll_jitter_ms;
	seg->rolling_based_timestamp = -1;
	sm_log_segment_file_name(path, sizeof(path), dir, base_offset, ".txnindex");
	seg->txn_path = sm_strdup(path);
	if (create == SM_SEG_OPEN_CREATE)
		unlink(seg->txn_path); /* a stale one from a removed segment */
	errno = 0;
	int r = sm_seg_open_indexes(seg, dir, max_index_bytes, create);
	if (r < 0) {
		int e = errno;
		/* a roll that found no room for the indexes leaves no empty
		 * segment behind */
		if (create == SM_SEG_OPEN_CREATE)
			unlink(seg->log_path);
		sm_fileref_release(seg->file);
		free(seg->log_path);
		free(seg->txn_path);
		free(seg);
		return sm_seg_io_err(e);
	}
	if (r > 0) {
		sm_index_reset(&seg->oidx);
		sm_index_reset(&seg->tidx);
	}
	if (needs_recovery)
		*needs_recovery = r > 0;
	sm_time_index_last_entry(&seg->tidx, &seg->max_timestamp_so_far,
				 &seg->offset_of_max_timestamp);
	*out = seg;
	return SM_ERR_NONE;
}

void sm_log_segment_close(sm_log_segment_t *seg)
{
	if (!seg)
		return;
	sm_index_close(&seg->oidx);
	sm_index_close(&seg->tidx);
	sm_fileref_release(seg->file);
	free(seg->log_path);
	free(seg->txn_path);
	free(seg);
}

sm_err_t sm_log_segment_txn_append(sm_log_segment_t *seg, const void *p, size_t len)
{
	if (!seg->txn_path)
		return SM_ERR__STATE;
	int fd = open(seg->txn_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return sm_seg_io_err(errno);
	ssize_t r = write(fd, p, len);
	int e = errno;
	close(fd);
	if (r != (ssize_t)len) {
		sm_log_error(NULL, SM_SEG_LOGGER, "Failed to append to %s: %s", seg->txn_path,
			     r < 0 ? strerror(e) : "short write");
		return r < 0 ? sm_seg_io_err(e) : SM_ERR__IO;
	}
	return SM_ERR_NONE;
}

void sm_log_segment_delete(sm_log_segment_t *seg)
{
	if (!seg)
		return;
	unlink(seg->log_path);
	if (seg->txn_path)
		unlink(seg->txn_path);
	sm_index_delete(&seg->oidx);
	sm_index_delete(&seg->tidx);
	sm_log_segment_close(seg);
}

/* Renames path to path + ".deleted" and remembers the new name. */
static int sm_seg_rename_one(char **path)
{
	if (!*path)
		return 0;
	size_t n = strlen(*path) + sizeof(".deleted");
	char *to = sm_malloc(n);
	snprintf(to, n, "%s.deleted", *path);
	if (rename(*path, to) < 0) {
		sm_log_error(NULL, SM_SEG_LOGGER, "Failed to rename %s to %s: %s", *path, to,
			     strerror(errno));
		free(to);
		return -1;
	}
	free(*path);
	*path = to;
	return 0;
}

sm_err_t sm_log_segment_rename_deleted(sm_log_segment_t *seg)
{
	int r = sm_seg_rename_one(&seg->log_path);
	r |= sm_seg_rename_one(&seg->oidx.path);
	r |= sm_seg_rename_one(&seg->tidx.path);
	if (seg->txn_path && access(seg->txn_path, F_OK) == 0) {
		r |= sm_seg_rename_one(&seg->txn_path);
	} else {
		/* none: a later segment of the same base may create one, which
		 * removing this segment must not touch */
		free(seg->txn_path);
		seg->txn_path = NULL;
	}
	return r ? SM_ERR__IO : SM_ERR_NONE;
}

int64_t sm_log_segment_largest_timestamp(const sm_log_segment_t *seg)
{
	int64_t ts = __atomic_load_n(&seg->max_timestamp_so_far, __ATOMIC_RELAXED);
	struct stat st;
	if (ts > 0)
		return ts;
	if (fstat(seg->file->fd, &st) < 0)
		return 0;
	return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

sm_err_t sm_log_segment_flush(sm_log_segment_t *seg)
{
	sm_err_t err = SM_ERR_NONE;
	if (fsync(seg->file->fd) < 0) {
		sm_log_error(NULL, SM_SEG_LOGGER, "Failed to flush %s: %s", seg->log_path,
			     strerror(errno));
		err = SM_ERR__IO;
	}
	if (sm_index_flush(&seg->oidx) || sm_index_flush(&seg->tidx))
		err = SM_ERR__IO;
	return err;
}

/* ---- append ---- */

sm_err_t sm_log_segment_append(sm_log_segment_t *seg, int64_t largest_offset,
			       int64_t largest_timestamp, int64_t offset_of_max_timestamp,
			       const uint8_t *data, size_t len)
{
	int64_t pos = seg->size;
	if (largest_offset < seg->base_offset || largest_offset - seg->base_offset > INT32_MAX)
		return SM_ERR__STATE;
	if (pos + (int64_t)len > INT32_MAX)
		return SM_ERR__STATE;
	if (sm_seg_pwrite(seg->file->fd, data, len, pos) < 0) {
		int e = errno;
		sm_log_error(NULL, SM_SEG_LOGGER, "Failed to append %zu bytes to %s: %s", len,
			     seg->log_path, strerror(e));
		/* No torn batch stays behind a partial write: cut the file back
		 * to the last whole batch. */
		if (ftruncate(seg->file->fd, (off_t)pos) < 0) {
			/* the size below still hides the partial write, the
			 * next append overwrites it and recovery drops it */
		}
		return sm_seg_io_err(e);
	}
	int64_t prev_max_ts = seg->max_timestamp_so_far;
	int64_t prev_off_of_max = seg->offset_of_max_timestamp;
	if (pos == 0) {
		seg->rolling_based_timestamp = largest_timestamp;
		seg->rolling_based_loaded = 1;
	}
	if (largest_timestamp > seg->max_timestamp_so_far) {
		/* read without the append lock by ListOffsets */
		__atomic_store_n(&seg->max_timestamp_so_far, largest_timestamp, __ATOMIC_RELAXED);
		seg->offset_of_max_timestamp = offset_of_max_timestamp;
	}
	if (seg->bytes_since_last_index_entry > seg->index_interval_bytes) {
		int32_t oentries = sm_index_entries(&seg->oidx);
		sm_err_t ierr = sm_offset_index_append(&seg->oidx, largest_offset, (int32_t)pos);
		if (ierr != SM_ERR__IO && ierr != SM_ERR__NOSPACE)
			ierr = sm_time_index_maybe_append(&seg->tidx, seg->max_timestamp_so_far,
							  seg->offset_of_max_timestamp, 0);
		if (ierr == SM_ERR__IO || ierr == SM_ERR__NOSPACE) {
			/* An index write failed (a full disk): take the batch
			 * back out so the segment, its indexes and the
			 * timestamps it tracks are as before the append. */
			__atomic_store_n(&seg->oidx.entries, oentries, __ATOMIC_RELEASE);
			__atomic_store_n(&seg->max_timestamp_so_far, prev_max_ts, __ATOMIC_RELAXED);
			seg->offset_of_max_timestamp = prev_off_of_max;
			if (pos == 0)
				seg->rolling_based_loaded = 0;
			if (ftruncate(seg->file->fd, (off_t)pos) < 0) {
				/* the size below still hides the batch */
			}
			return ierr;
		}
		seg->bytes_since_last_index_entry = 0;
	}
	seg->bytes_since_last_index_entry += (int64_t)len;
	__atomic_store_n(&seg->size, pos + (int64_t)len, __ATOMIC_RELEASE);
	return SM_ERR_NONE;
}

int sm_log_segment_should_roll(sm_log_segment_t *seg, int64_t segment_bytes, int64_t segment_ms,
			       size_t incoming_bytes, int64_t max_timestamp,
			       int64_t max_offset, int64_t now_ms)
{
	int64_t size = seg->size;
	if (size > segment_bytes - (int64_t)incoming_bytes)
		return 1;
	if (sm_offset_index_is_full(&seg->oidx) || sm_time_index_is_full(&seg->tidx))
		return 1;
	if (max_offset < seg->base_offset || max_offset - seg->base_offset > INT32_MAX)
		return 1;
	if (size == 0)
		return 0;
	if (!seg->rolling_based_loaded) {
		sm_seg_batch_t bi;
		if (!sm_log_segment_read_batch(seg, 0, size, 0, &bi))
			seg->rolling_based_timestamp = bi.max_timestamp;
		seg->rolling_based_loaded = 1;
	}
	int64_t waited = seg->rolling_based_timestamp >= 0
				 ? max_timestamp - seg->rolling_based_timestamp
				 : now_ms - seg->created_ms;
	return waited > segment_ms - seg->roll_jitter_ms;
}

/* ---- lookups ---- */

sm_err_t sm_log_segment_translate_offset(const sm_log_segment_t *seg, int64_t offset,
					 int64_t limit, int64_t *pos_out, sm_seg_batch_t *bi)
{
	int64_t ioff;
	int32_t ipos;
	sm_offset_index_lookup(&seg->oidx, offset, &ioff, &ipos);
	int64_t pos = ipos >= 0 && ipos <= limit ? ipos : 0;
	while (pos < limit) {
		if (sm_log_segment_read_batch(seg, pos, limit, 0, bi))
			break;
		if (bi->last_offset >= offset) {
			*pos_out = pos;
			return SM_ERR_NONE;
		}
		pos += bi->size;
	}
	return SM_ERR__NOENT;
}

sm_err_t sm_log_segment_read(const sm_log_segment_t *seg, int64_t offset, int32_t max_bytes,
			     int min_one_batch, int64_t max_offset, off_t *pos_out, size_t *len_out)
{
	int64_t limit = sm_log_segment_size(seg), start, total = 0;
	sm_seg_batch_t bi;
	if (sm_log_segment_translate_offset(seg, offset, limit, &start, &bi))
		return SM_ERR__NOENT;
	int64_t pos = start;
	while (pos < limit) {
		if (pos != start && sm_log_segment_read_batch(seg, pos, limit, 0, &bi))
			break;
		if (bi.last_offset >= max_offset)
			break;
		if (total + bi.size > (int64_t)(max_bytes < 0 ? 0 : max_bytes)) {
			if (total == 0 && min_one_batch)
				total = bi.size;
			break;
		}
		total += bi.size;
		pos += bi.size;
	}
	*pos_out = (off_t)start;
	*len_out = (size_t)total;
	return SM_ERR_NONE;
}

int64_t sm_log_segment_next_offset(const sm_log_segment_t *seg)
{
	int64_t ioff, next = seg->base_offset, limit = sm_log_segment_size(seg);
	int32_t ipos;
	sm_offset_index_lookup(&seg->oidx, INT64_MAX, &ioff, &ipos);
	int64_t pos = ipos >= 0 && ipos <= limit ? ipos : 0;
	sm_seg_batch_t bi;
	while (pos < limit && !sm_log_segment_read_batch(seg, pos, limit, 0, &bi)) {
		next = sm_i64_sat_add(bi.last_offset, 1);
		pos += bi.size;
	}
	return next;
}

/* ---- recovery and truncation ---- */

/* Validates and re-indexes batches from position 0; returns the valid
 * length and, through *why, the reason scanning stopped early. */
static int64_t sm_seg_rebuild(sm_log_segment_t *seg, int64_t limit, const char **why)
{
	int64_t valid = 0, last_index_pos = 0, prev_last = seg->base_offset - 1;
	sm_seg_batch_t bi;
	*why = NULL;
	while (valid < limit) {
		*why = sm_log_segment_read_batch(seg, valid, limit, 1, &bi);
		if (!*why && bi.base_offset <= prev_last)
			*why = "record batch offsets are not increasing";
		if (!*why && bi.last_offset - seg->base_offset > INT32_MAX)
			*why = "record batch offset does not fit the segment's relative offsets";
		if (*why)
			break;
		if (bi.max_timestamp > seg->max_timestamp_so_far) {
			seg->max_timestamp_so_far = bi.max_timestamp;
			seg->offset_of_max_timestamp = bi.last_offset;
		}
		if (valid - last_index_pos > seg->index_interval_bytes) {
			sm_offset_index_append(&seg->oidx, bi.last_offset, (int32_t)valid);
			sm_time_index_maybe_append(&seg->tidx, seg->max_timestamp_so_far,
						   seg->offset_of_max_timestamp, 0);
			last_index_pos = valid;
		}
		prev_last = bi.last_offset;
		valid += bi.size;
	}
	seg->bytes_since_last_index_entry = valid - last_index_pos;
	return valid;
}

sm_err_t sm_log_segment_recover(sm_log_segment_t *seg, int32_t max_index_bytes,
				int64_t *truncated_bytes)
{
	struct stat st;
	*truncated_bytes = 0;
	if (fstat(seg->file->fd, &st) < 0)
		return SM_ERR__IO;
	sm_index_reset(&seg->oidx);
	sm_index_reset(&seg->tidx);
	if (sm_index_resize(&seg->oidx, max_index_bytes) ||
	    sm_index_resize(&seg->tidx, max_index_bytes))
		return SM_ERR__IO;
	seg->max_timestamp_so_far = -1;
	seg->offset_of_max_timestamp = seg->base_offset;
	seg->rolling_based_loaded = 0;
	const char *why;
	int64_t limit = st.st_size;
	int64_t valid = sm_seg_rebuild(seg, limit, &why);
	if (valid < limit) {
		sm_log_warn(NULL, SM_SEG_LOGGER,
			    "Found invalid messages in log segment %s at byte offset %" PRId64
			    ": %s. Found %" PRId64 " invalid bytes at the end of %s",
			    seg->log_path, valid, why, limit - valid, seg->log_path);
		if (ftruncate(seg->file->fd, (off_t)valid) < 0)
			return SM_ERR__IO;
		*truncated_bytes = limit - valid;
	}
	__atomic_store_n(&seg->size, valid, __ATOMIC_RELEASE);
	sm_time_index_maybe_append(&seg->tidx, seg->max_timestamp_so_far,
				   seg->offset_of_max_timestamp, 1);
	return SM_ERR_NONE;
}

int64_t sm_log_segment_truncate_to(sm_log_segment_t *seg, int64_t offset)
{
	int64_t limit = seg->size, pos;
	sm_seg_batch_t bi;
	if (sm_log_segment_translate_offset(seg, offset, limit, &pos, &bi))
		return 0;
	sm_offset_index_truncate_to(&seg->oidx, offset);
	sm_time_index_truncate_to(&seg->tidx, offset);
	if (ftruncate(seg->file->fd, (off_t)pos) < 0) {
		sm_log_error(NULL, SM_SEG_LOGGER, "Failed to truncate %s: %s", seg->log_path,
			     strerror(errno));
		return -1;
	}
	__atomic_store_n(&seg->size, pos, __ATOMIC_RELEASE);
	sm_time_index_last_entry(&seg->tidx, &seg->max_timestamp_so_far,
				 &seg->offset_of_max_timestamp);
	if (pos == 0) {
		seg->rolling_based_timestamp = -1;
		seg->rolling_based_loaded = 0;
	}
	seg->bytes_since_last_index_entry = 0;
	return limit - pos;
}

void sm_log_segment_on_become_inactive(sm_log_segment_t *seg)
{
	sm_time_index_maybe_append(&seg->tidx, seg->max_timestamp_so_far,
				   seg->offset_of_max_timestamp, 1);
	sm_index_trim(&seg->oidx);
	sm_index_trim(&seg->tidx);
	/* Kafka's FileRecords.trim: a preallocated file loses its unused
	 * tail, so that only the active segment ever has one */
	struct stat st;
	int64_t size = sm_log_segment_size(seg);
	if (fstat(seg->file->fd, &st) == 0 && st.st_size > size &&
	    ftruncate(seg->file->fd, (off_t)size) < 0)
		sm_log_warn(NULL, SM_SEG_LOGGER, "Failed to trim %s to %" PRId64 " bytes: %s",
			    seg->log_path, size, strerror(errno));
}

void sm_log_segment_preallocate(sm_log_segment_t *seg, int64_t bytes)
{
	if (bytes <= 0 || sm_log_segment_size(seg) != 0)
		return;
	/* real blocks where the file system has them; otherwise (or when the
	 * disk is short of room) a sparse file of the same length, as Java's
	 * RandomAccessFile.setLength gives Kafka: a write that later finds no
	 * space takes the disk-full path as without preallocation */
	int e = posix_fallocate(seg->file->fd, 0, (off_t)bytes);
	if (e && ftruncate(seg->file->fd, (off_t)bytes) < 0)
		sm_log_warn(NULL, SM_SEG_LOGGER, "Failed to preallocate %s to %" PRId64
			    " bytes: %s", seg->log_path, bytes, strerror(errno));
}

/* ---- timestamp search ---- */

/* First record of the uncompressed batch at pos with timestamp >= ts and
 * offset >= start_offset. Returns 0 if found, 1 if no record qualifies, -1 if
 * the records do not parse (the caller falls back to the batch header). */
static int sm_seg_scan_records(const sm_log_segment_t *seg, int64_t pos,
			       const sm_seg_batch_t *bi, int64_t ts, int64_t start_offset,
			       int64_t *offset_out, int64_t *ts_out)
{
	uint8_t *buf = sm_malloc((size_t)bi->size);
	int rc = -1;
	if (sm_seg_pread(seg->file->fd, buf, (size_t)bi->size, pos) < 0)
		goto done;
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, buf, (size_t)bi->size);
	sm_rbuf_skip(&rb, SM_BATCH_OFF_RECORD_COUNT);
	int32_t count = sm_rbuf_i32(&rb);
	for (int32_t i = 0; i < count && !rb.err; i++) {
		int32_t len = sm_rbuf_varint(&rb);
		size_t rec_start = rb.pos;
		sm_rbuf_i8(&rb);
		int64_t rts = bi->base_timestamp + sm_rbuf_varlong(&rb);
		int64_t roff = bi->base_offset + sm_rbuf_varint(&rb);
		if (rb.err || len < 0 || rec_start + (size_t)len < rb.pos ||
		    rec_start + (size_t)len > rb.len)
			goto done;
		if (rts >= ts && roff >= start_offset) {
			*offset_out = roff;
			*ts_out = rts;
			rc = 0;
			goto done;
		}
		rb.pos = rec_start + (size_t)len;
	}
	if (!rb.err)
		rc = 1;
done:
	free(buf);
	return rc;
}

sm_err_t sm_log_segment_find_offset_by_timestamp(const sm_log_segment_t *seg, int64_t ts,
						 int64_t start_offset, int64_t *offset_out,
						 int64_t *ts_out)
{
	int64_t its, ioff, limit = sm_log_segment_size(seg);
	int32_t ipos;
	sm_time_index_lookup(&seg->tidx, ts, &its, &ioff);
	sm_offset_index_lookup(&seg->oidx, ioff > start_offset ? ioff : start_offset, &ioff,
			       &ipos);
	int64_t pos = ipos >= 0 && ipos <= limit ? ipos : 0;
	sm_seg_batch_t bi;
	while (pos < limit && !sm_log_segment_read_batch(seg, pos, limit, 0, &bi)) {
		if (bi.max_timestamp >= ts && bi.last_offset >= start_offset) {
			int64_t first = bi.base_offset > start_offset ? bi.base_offset : start_offset;
			int rc = -1;
			/* LogAppendTime batches stamp every record with maxTimestamp;
			 * compressed records are not inspected here. */
			if (!(bi.attributes & (SM_BATCH_ATTR_LOG_APPEND_TIME |
					       SM_BATCH_ATTR_COMPRESSION_MASK)))
				rc = sm_seg_scan_records(seg, pos, &bi, ts, start_offset, offset_out,
							 ts_out);
			if (rc < 0) {
				*offset_out = first;
				*ts_out = bi.max_timestamp;
			}
			if (rc <= 0)
				return SM_ERR_NONE;
		}
		pos += bi.size;
	}
	return SM_ERR__NOENT;
}
