/*
 * log.c - a partition's commit log (Kafka's kafka.log.Log): segment list,
 * offset assignment, roll, read, recovery on load, truncation and flush.
 * Locking is described in log.h.
 */
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "crc32c.h"
#include "log_segment.h"
#include "logger.h"
#include "producer_state.h"
#include "checkpoint.h"

#define SM_LOG_LOGGER "kafka.log.Log"
#define SM_PS_CONTROL_ATTR 0x20
#define SM_TXN_MARKER_SIZE 78 /* header 61 + one 17-byte control record */

/* transactional.id.expiration.ms (2.8 expires producer state with it). */
static int64_t sm_log_producer_expiration_ms = SM_PS_DEFAULT_EXPIRATION_MS;

void sm_log_set_producer_expiration_ms(int64_t ms)
{
	__atomic_store_n(&sm_log_producer_expiration_ms, ms, __ATOMIC_RELAXED);
}

static int64_t sm_log_expiration(void)
{
	return __atomic_load_n(&sm_log_producer_expiration_ms, __ATOMIC_RELAXED);
}

struct sm_log {
	char *dir;
	char *topic;
	int32_t partition;
	char component[512]; /* "Log partition=t-0, dir=/x" as Kafka's logIdent */
	sm_log_config_t cfg;
	int refcnt; /* atomic */
	pthread_mutex_t lock;       /* append lock */
	pthread_rwlock_t seg_lock;  /* segment list */
	sm_log_segment_t **segs;    /* ascending base offsets, last = active */
	int nsegs;
	int segs_cap;
	int64_t leo;                /* atomic */
	int64_t log_start_offset;   /* atomic */
	int64_t recovery_point;     /* atomic */
	int64_t hw;                 /* atomic: the partition's high watermark */
	int64_t last_flush_ms;
	int closed;
	int offline;                /* atomic */
	int full;                   /* atomic: appends refused, dir out of space */
	sm_log_failure_cb_t *failure_cb;
	void *failure_opaque;
	sm_log_roll_cb_t *roll_cb;  /* append lock */
	void *roll_opaque;
	int64_t roll_flush_upto;    /* atomic: base offset of the newest roll
				     * whose flush was left to the roll hook */
	unsigned trunc_gen;         /* append lock: segments removed or cut
				     * below their end (not from the start) */
	struct sm_log_pending {     /* renamed to .deleted, removed when due */
		sm_log_segment_t *seg;
		int64_t due_ms;
	} *pending;                 /* guarded by the append lock */
	int npending;
	int pending_cap;
	sm_producer_state_t *ps;    /* idempotent producers; append lock */
	int64_t last_snapshot;      /* offset of the newest .snapshot, -1 none */
	int64_t ps_checked_ms;      /* last producer expiry check */
	/* transactions (append lock, except the atomics) */
	int64_t first_unstable;     /* atomic: sm_ps_first_unstable, INT64_MAX none */
	int has_unrepl;             /* atomic: completed txns above the HW exist */
	pthread_rwlock_t txn_lock;  /* the aborted list (leaf lock) */
	sm_log_aborted_txn_t *aborted; /* every .txnindex entry, ascending last
					* offset */
	int naborted, aborted_cap;
	char *prev_dir;             /* the dir before the last move, kept until
				     * release for callers of sm_log_dir */
	int cleaning_paused;        /* atomic: moving to another log dir */
};

void sm_log_config_defaults(sm_log_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->segment_bytes = 1073741824;
	cfg->segment_ms = 604800000;
	cfg->segment_jitter_ms = 0;
	cfg->segment_index_bytes = 10485760;
	cfg->index_interval_bytes = 4096;
	cfg->flush_messages = INT64_MAX;
	cfg->flush_ms = INT64_MAX;
	cfg->retention_bytes = -1;
	cfg->retention_ms = 604800000;
	cfg->file_delete_delay_ms = 60000;
	cfg->max_message_bytes = 1048588;
	cfg->message_timestamp_type = SM_LOG_TIMESTAMP_CREATE_TIME;
	cfg->cleanup_delete = 1;
	cfg->delete_retention_ms = 86400000;
	cfg->min_cleanable_ratio = 0.5;
	cfg->max_compaction_lag_ms = INT64_MAX;
	cfg->preallocate = 0;
	snprintf(cfg->message_format_version, sizeof(cfg->message_format_version), "2.8-IV1");
}

static int64_t sm_log_jitter(const sm_log_config_t *cfg)
{
	if (cfg->segment_jitter_ms <= 0)
		return 0;
	int64_t bound = cfg->segment_jitter_ms < cfg->segment_ms ? cfg->segment_jitter_ms
								 : cfg->segment_ms;
	if (bound <= 0)
		return 0;
	uint64_t r = ((uint64_t)random() << 31) ^ (uint64_t)random();
	return (int64_t)(r % (uint64_t)bound);
}

static void sm_log_segs_push(sm_log_t *log, sm_log_segment_t *seg)
{
	if (log->nsegs == log->segs_cap) {
		log->segs_cap = log->segs_cap ? log->segs_cap * 2 : 8;
		log->segs = sm_realloc(log->segs, sizeof(*log->segs) * (size_t)log->segs_cap);
	}
	log->segs[log->nsegs++] = seg;
}

/* Deletes segments [from, nsegs). */
static void sm_log_segs_delete_from(sm_log_t *log, int from)
{
	log->trunc_gen++;
	while (log->nsegs > from)
		sm_log_segment_delete(log->segs[--log->nsegs]);
}

static sm_log_segment_t *sm_log_active(const sm_log_t *log)
{
	return log->segs[log->nsegs - 1];
}

/* An I/O error: the log goes offline (Kafka takes the whole log dir offline;
 * the failure handler tells the log manager, which does that). */
static void sm_log_fail(sm_log_t *log, const char *what)
{
	if (__atomic_exchange_n(&log->offline, 1, __ATOMIC_ACQ_REL))
		return;
	sm_log_error(log->component, SM_LOG_LOGGER,
		     "Error while %s in dir %s; the log is now offline", what, log->dir);
	if (log->failure_cb)
		log->failure_cb(log->failure_opaque, log);
}

static int sm_log_offline(const sm_log_t *log)
{
	return __atomic_load_n(&log->offline, __ATOMIC_ACQUIRE);
}

/* A write found no space (ENOSPC, EDQUOT). Unlike other I/O errors this is
 * not fatal to the dir: the failed write has been rolled back (the segment
 * cut to its last whole batch, indexes and log end offset untouched), the
 * log refuses appends until the log manager's probe finds space again, and
 * reads go on (docs/design/disk-full.md). */
static void sm_log_no_space(sm_log_t *log, const char *what)
{
	if (__atomic_exchange_n(&log->full, 1, __ATOMIC_ACQ_REL))
		return;
	sm_log_warn(log->component, SM_LOG_LOGGER,
		    "No space left on device while %s in dir %s; appends are refused until "
		    "space returns", what, log->dir);
	if (log->failure_cb)
		log->failure_cb(log->failure_opaque, log);
}

static int sm_log_full(const sm_log_t *log)
{
	return __atomic_load_n(&log->full, __ATOMIC_ACQUIRE);
}

/* Routes a failed write: no space makes the log full, anything else
 * offline. */
static void sm_log_write_failed(sm_log_t *log, sm_err_t err, const char *what)
{
	if (err == SM_ERR__NOSPACE)
		sm_log_no_space(log, what);
	else
		sm_log_fail(log, what);
}

/* Index of the segment with the greatest base offset <= offset, or -1. */
static int sm_log_floor(const sm_log_t *log, int64_t offset)
{
	int lo = 0, hi = log->nsegs - 1, found = -1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		if (log->segs[mid]->base_offset <= offset) {
			found = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return found;
}

static sm_err_t sm_log_new_segment(sm_log_t *log, int64_t base, int64_t now_ms,
				   sm_log_segment_t **out)
{
	sm_err_t err = sm_log_segment_open(log->dir, base, log->cfg.segment_index_bytes,
					   log->cfg.index_interval_bytes, SM_SEG_OPEN_CREATE, now_ms,
					   sm_log_jitter(&log->cfg), out, NULL);
	if (!err && log->cfg.preallocate)
		sm_log_segment_preallocate(*out, log->cfg.segment_bytes);
	return err;
}

/* Kafka's LogConfig.maxSegmentMs: a compacted log rolls its active segment
 * once it holds data older than max.compaction.lag.ms, so that the cleaner
 * (which never touches the active segment) can honour that lag. */
static int64_t sm_log_max_segment_ms(const sm_log_config_t *cfg)
{
	if (cfg->cleanup_compact && cfg->max_compaction_lag_ms > 0 &&
	    cfg->max_compaction_lag_ms < cfg->segment_ms)
		return cfg->max_compaction_lag_ms;
	return cfg->segment_ms;
}

/* ---- loading ---- */

static int sm_log_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Parses "<20 digits><suffix>" into *base. */
static int sm_log_parse_name(const char *name, const char *suffix, int64_t *base)
{
	size_t n = strlen(name), sl = strlen(suffix);
	if (n != 20 + sl || strcmp(name + 20, suffix) != 0)
		return 0;
	int64_t v = 0;
	for (int i = 0; i < 20; i++) {
		if (name[i] < '0' || name[i] > '9' || v > (INT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (name[i] - '0');
	}
	*base = v;
	return 1;
}

static int sm_log_has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), sl = strlen(suffix);
	return n >= sl && strcmp(name + n - sl, suffix) == 0;
}

/* Removes leftovers, then returns the sorted base offsets of the .log files. */
static int sm_log_scan_dir(sm_log_t *log, int64_t **bases_out)
{
	DIR *d = opendir(log->dir);
	int n = 0, cap = 0;
	int64_t *bases = NULL;
	char path[4096];
	struct dirent *de;
	while (d && (de = readdir(d))) {
		int64_t base;
		snprintf(path, sizeof(path), "%s/%s", log->dir, de->d_name);
		if (sm_log_has_suffix(de->d_name, ".deleted") ||
		    sm_log_has_suffix(de->d_name, ".cleaned") ||
		    sm_log_has_suffix(de->d_name, ".swap")) {
			unlink(path);
		} else if (sm_log_parse_name(de->d_name, ".log", &base)) {
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				bases = sm_realloc(bases, sizeof(*bases) * (size_t)cap);
			}
			bases[n++] = base;
		} else if (sm_log_parse_name(de->d_name, ".index", &base) ||
			   sm_log_parse_name(de->d_name, ".timeindex", &base) ||
			   sm_log_parse_name(de->d_name, ".txnindex", &base)) {
			char lp[4096];
			sm_log_segment_file_name(lp, sizeof(lp), log->dir, base, ".log");
			if (access(lp, F_OK) != 0) {
				sm_log_info(log->component, SM_LOG_LOGGER,
					    "Found an orphaned index file %s, with no corresponding log "
					    "file.", path);
				unlink(path);
			}
		}
	}
	if (d)
		closedir(d);
	if (n > 1)
		qsort(bases, (size_t)n, sizeof(*bases), sm_log_cmp_i64);
	*bases_out = bases;
	return n;
}

static sm_err_t sm_log_recover_segment(sm_log_t *log, sm_log_segment_t *seg, int64_t *truncated)
{
	sm_err_t err = sm_log_segment_recover(seg, log->cfg.segment_index_bytes, truncated);
	if (!err && *truncated > 0)
		sm_log_warn(log->component, SM_LOG_LOGGER,
			    "Corruption found in segment %" PRId64 ", truncating to offset %" PRId64,
			    seg->base_offset, sm_log_segment_next_offset(seg));
	return err;
}

/* Opens every segment; rebuilds indexes that are missing or corrupt. */
static sm_err_t sm_log_load_segments(sm_log_t *log, int64_t now_ms)
{
	int64_t *bases;
	int n = sm_log_scan_dir(log, &bases);
	sm_err_t err = SM_ERR_NONE;
	for (int i = 0; i < n && !err; i++) {
		sm_log_segment_t *seg;
		int needs = 0;
		err = sm_log_segment_open(log->dir, bases[i], log->cfg.segment_index_bytes,
					  log->cfg.index_interval_bytes, SM_SEG_OPEN_EXISTING, now_ms,
					  sm_log_jitter(&log->cfg), &seg, &needs);
		if (err)
			break;
		sm_log_segs_push(log, seg);
		int64_t truncated;
		if (needs)
			err = sm_log_recover_segment(log, seg, &truncated);
	}
	free(bases);
	return err;
}

/* Unclean shutdown: validate from the segment holding the recovery point. */
static sm_err_t sm_log_recover_unflushed(sm_log_t *log, int64_t recovery_point)
{
	int i = sm_log_floor(log, recovery_point);
	if (i < 0)
		i = 0;
	for (; i < log->nsegs; i++) {
		int64_t truncated = 0;
		sm_log_info(log->component, SM_LOG_LOGGER,
			    "Recovering unflushed segment %" PRId64, log->segs[i]->base_offset);
		sm_err_t err = sm_log_recover_segment(log, log->segs[i], &truncated);
		if (err)
			return err;
		if (truncated > 0 && i + 1 < log->nsegs) {
			sm_log_warn(log->component, SM_LOG_LOGGER,
				    "Deleting %d segments after the corrupt segment %" PRId64,
				    log->nsegs - i - 1, log->segs[i]->base_offset);
			sm_log_segs_delete_from(log, i + 1);
		}
	}
	return SM_ERR_NONE;
}

/* ---- transactions: LSO and .txnindex ---- */

static void sm_log_txn_encode(uint8_t *b, const sm_log_aborted_txn_t *a)
{
	sm_put_be16(b, SM_TXN_INDEX_VERSION);
	sm_put_be64(b + 2, (uint64_t)a->pid);
	sm_put_be64(b + 10, (uint64_t)a->first_offset);
	sm_put_be64(b + 18, (uint64_t)a->last_offset);
	sm_put_be64(b + 26, (uint64_t)a->last_stable_offset);
}

int sm_log_txn_decode(const uint8_t *b, sm_log_aborted_txn_t *a)
{
	if ((int16_t)sm_be16(b) != SM_TXN_INDEX_VERSION)
		return -1;
	a->pid = (int64_t)sm_be64(b + 2);
	a->first_offset = (int64_t)sm_be64(b + 10);
	a->last_offset = (int64_t)sm_be64(b + 18);
	a->last_stable_offset = (int64_t)sm_be64(b + 26);
	return 0;
}

/* Republishes the first unstable offset after a producer state change.
 * Append lock held. */
static void sm_log_refresh_unstable(sm_log_t *log)
{
	int64_t fu = log->ps ? sm_ps_first_unstable(log->ps) : INT64_MAX;
	__atomic_store_n(&log->first_unstable, fu, __ATOMIC_RELEASE);
}

/* Records an aborted transaction whose marker is in segment seg (Kafka's
 * updateTxnIndex). Append lock held. */
static void sm_log_txn_record(sm_log_t *log, sm_log_segment_t *seg, const sm_log_aborted_txn_t *a)
{
	uint8_t b[SM_TXN_INDEX_ENTRY];
	sm_log_txn_encode(b, a);
	sm_err_t e = sm_log_segment_txn_append(seg, b, sizeof(b));
	if (e)
		sm_log_write_failed(log, e, "appending to a transaction index");
	pthread_rwlock_wrlock(&log->txn_lock);
	if (log->naborted == log->aborted_cap) {
		log->aborted_cap = log->aborted_cap ? log->aborted_cap * 2 : 8;
		log->aborted = sm_realloc(log->aborted, sizeof(*log->aborted) *
					  (size_t)log->aborted_cap);
	}
	log->aborted[log->naborted++] = *a;
	pthread_rwlock_unlock(&log->txn_lock);
}

/* Feeds one stored batch (its first len bytes, at least the header) to the
 * producer state: data batches update their producer, end-transaction
 * markers complete its transaction; an abort not yet in the transaction
 * index is recorded in the one of segment seg (replay after an unclean
 * shutdown rebuilds the entries written after the last flush this way).
 * Returns 1 when the set of open/unreplicated transactions may have changed.
 * Append lock held (or the log not yet published). */
static int sm_log_ps_feed(sm_log_t *log, const uint8_t *batch, size_t len, sm_log_segment_t *seg)
{
	sm_ps_append_t a;
	sm_ps_marker_t m;
	if (sm_ps_append_from_header(batch, &a)) {
		const sm_ps_entry_t *e = sm_ps_get(log->ps, a.pid);
		int opens = a.is_txn && (!e || e->txn_first_off < 0);
		sm_ps_update(log->ps, &a);
		return opens;
	}
	if (!sm_ps_marker_from_batch(batch, len, &m))
		return 0;
	sm_ps_completed_t c = { .pid = m.pid, .last_off = m.offset };
	int64_t lso = sm_ps_lso_after(log->ps, &c);
	sm_ps_complete(log->ps, &m, &c);
	__atomic_store_n(&log->has_unrepl, 1, __ATOMIC_RELEASE);
	int64_t known = log->naborted ? log->aborted[log->naborted - 1].last_offset : -1;
	if (c.aborted && c.last_off > known && seg) {
		sm_log_aborted_txn_t t = { c.pid, c.first_off, c.last_off, lso };
		sm_log_txn_record(log, seg, &t);
	}
	return 1;
}

/* Loads every segment's .txnindex; entries at or above the log end (from
 * data that recovery or truncation removed) are dropped from memory and
 * file, an unreadable file is deleted (replay rebuilds what it can). Append
 * lock and segment lock held, or the log not yet published. */
static void sm_log_txn_load(sm_log_t *log)
{
	pthread_rwlock_wrlock(&log->txn_lock);
	log->naborted = 0;
	for (int i = 0; i < log->nsegs; i++) {
		sm_log_segment_t *seg = log->segs[i];
		size_t len = 0;
		uint8_t *p = sm_ps_read_file(seg->txn_path, &len);
		if (!p)
			continue;
		size_t kept = 0, n = len / SM_TXN_INDEX_ENTRY;
		int bad = len % SM_TXN_INDEX_ENTRY != 0;
		for (size_t k = 0; k < n && !bad; k++) {
			sm_log_aborted_txn_t t;
			if (sm_log_txn_decode(p + k * SM_TXN_INDEX_ENTRY, &t) ||
			    t.last_offset < t.first_offset) {
				bad = 1;
				break;
			}
			if (t.last_offset >= log->leo)
				break;
			if (log->naborted == log->aborted_cap) {
				log->aborted_cap = log->aborted_cap ? log->aborted_cap * 2 : 8;
				log->aborted = sm_realloc(log->aborted, sizeof(*log->aborted) *
							  (size_t)log->aborted_cap);
			}
			log->aborted[log->naborted++] = t;
			kept++;
		}
		free(p);
		if (bad) {
			sm_log_warn(log->component, SM_LOG_LOGGER,
				    "Deleting corrupt transaction index %s", seg->txn_path);
			unlink(seg->txn_path);
			log->naborted -= (int)kept;
		} else if (kept < n) {
			if (kept == 0)
				unlink(seg->txn_path);
			else if (truncate(seg->txn_path, (off_t)(kept * SM_TXN_INDEX_ENTRY)) < 0)
				sm_log_warn(log->component, SM_LOG_LOGGER, "Failed to truncate %s: %s",
					    seg->txn_path, strerror(errno));
		}
	}
	pthread_rwlock_unlock(&log->txn_lock);
}

/* Rewrites seg's .txnindex with the aborted transactions whose marker is in
 * [from, upper) (after the cleaner merged segments). Append lock held. */
static void sm_log_txn_rewrite(sm_log_t *log, sm_log_segment_t *seg, int64_t from, int64_t upper)
{
	sm_wbuf_t w;
	sm_wbuf_init(&w, 0);
	pthread_rwlock_rdlock(&log->txn_lock);
	for (int k = 0; k < log->naborted; k++)
		if (log->aborted[k].last_offset >= from && log->aborted[k].last_offset < upper) {
			uint8_t b[SM_TXN_INDEX_ENTRY];
			sm_log_txn_encode(b, &log->aborted[k]);
			sm_wbuf_append(&w, b, sizeof(b));
		}
	pthread_rwlock_unlock(&log->txn_lock);
	/* written aside and renamed over the old file, so a crash leaves
	 * either index whole */
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.cleaned", seg->txn_path);
	unlink(tmp);
	sm_err_t e = SM_ERR_NONE;
	if (w.len == 0) {
		unlink(seg->txn_path);
	} else {
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, w.p, w.len) != (ssize_t)w.len || fsync(fd) < 0)
			e = errno == ENOSPC || errno == EDQUOT ? SM_ERR__NOSPACE : SM_ERR__IO;
		if (fd >= 0)
			close(fd);
		if (!e && rename(tmp, seg->txn_path) < 0)
			e = SM_ERR__IO;
		if (e) {
			unlink(tmp);
			sm_log_write_failed(log, e, "rewriting a transaction index");
		}
	}
	sm_wbuf_free(&w);
}

int64_t sm_log_last_stable_offset(sm_log_t *log)
{
	int64_t hw = __atomic_load_n(&log->hw, __ATOMIC_ACQUIRE);
	int64_t fu = __atomic_load_n(&log->first_unstable, __ATOMIC_ACQUIRE);
	return fu < hw ? fu : hw;
}

int64_t sm_log_first_unstable_offset(sm_log_t *log)
{
	return __atomic_load_n(&log->first_unstable, __ATOMIC_ACQUIRE);
}

int64_t sm_log_txn_first_offset(sm_log_t *log, int64_t pid)
{
	pthread_mutex_lock(&log->lock);
	const sm_ps_entry_t *e = log->ps ? sm_ps_get(log->ps, pid) : NULL;
	int64_t first = e ? e->txn_first_off : -1;
	pthread_mutex_unlock(&log->lock);
	return first;
}

int sm_log_collect_aborted(sm_log_t *log, int64_t start, int64_t upper,
			   sm_log_aborted_txn_t **out)
{
	*out = NULL;
	int n = 0;
	pthread_rwlock_rdlock(&log->txn_lock);
	/* entries are in marker order: skip those completed before start */
	int lo = 0, hi = log->naborted;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (log->aborted[mid].last_offset < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (int i = lo; i < log->naborted; i++)
		n += log->aborted[i].first_offset < upper;
	if (n > 0) {
		*out = sm_malloc(sizeof(**out) * (size_t)n);
		n = 0;
		for (int i = lo; i < log->naborted; i++)
			if (log->aborted[i].first_offset < upper)
				(*out)[n++] = log->aborted[i];
	}
	pthread_rwlock_unlock(&log->txn_lock);
	return n;
}

/* Feeds the producer state every v2 batch header from offset from to the log
 * end (replication semantics: nothing is refused). Segment lock or append
 * lock held. */
static void sm_log_replay_producers(sm_log_t *log, int64_t from)
{
	int i = sm_log_floor(log, from);
	for (i = i < 0 ? 0 : i; i < log->nsegs; i++) {
		sm_log_segment_t *seg = log->segs[i];
		int64_t size = sm_log_segment_size(seg), pos = 0;
		sm_seg_batch_t bi;
		if (seg->base_offset < from &&
		    sm_log_segment_translate_offset(seg, from, size, &pos, &bi))
			continue;
		uint8_t hdr[SM_BATCH_HEADER_SIZE];
		while (pos < size) {
			if (sm_log_segment_read_batch(seg, pos, size, 0, &bi))
				break;
			if (bi.last_offset >= from &&
			    pread(seg->file->fd, hdr, sizeof(hdr), pos) == (ssize_t)sizeof(hdr)) {
				uint8_t ctl[256];
				if (!(sm_be16(hdr + SM_BATCH_OFF_ATTRIBUTES) & SM_PS_CONTROL_ATTR)) {
					sm_log_ps_feed(log, hdr, sizeof(hdr), seg);
				} else if (bi.size <= (int64_t)sizeof(ctl) &&
					   pread(seg->file->fd, ctl, (size_t)bi.size, pos) ==
						   (ssize_t)bi.size) {
					/* markers are small: anything larger is no
					 * marker */
					sm_log_ps_feed(log, ctl, (size_t)bi.size, log->segs[i]);
				}
			}
			pos += bi.size;
		}
	}
	sm_ps_set_map_end(log->ps, log->leo);
	/* nothing replayed is known to be replicated yet: the partition's HW
	 * update settles that */
	sm_log_refresh_unstable(log);
}

/* Kafka's truncateAndReload: snapshots above the log end go, the newest
 * readable one at or above the log start is loaded (a corrupt one is
 * deleted and the next older one tried) and the batches after it are
 * replayed. Append lock held, or the log not yet published. */
static void sm_log_load_producer_state(sm_log_t *log, int64_t now_ms)
{
	if (!log->ps)
		log->ps = sm_ps_new();
	int64_t *snaps;
	int n = sm_ps_snapshot_list(log->dir, &snaps);
	char path[4096];
	int64_t from = log->log_start_offset;
	sm_ps_clear(log->ps, from);
	sm_log_txn_load(log);
	log->last_snapshot = -1;
	for (int i = n - 1; i >= 0; i--) {
		sm_ps_snapshot_path(path, sizeof(path), log->dir, snaps[i]);
		if (snaps[i] > log->leo) {
			unlink(path); /* from data that recovery or truncation removed */
			continue;
		}
		if (log->last_snapshot >= 0 || snaps[i] < log->log_start_offset)
			continue; /* older ones stay until their segment goes */
		size_t len = 0;
		uint8_t *p = sm_ps_read_file(path, &len);
		sm_err_t e = p ? sm_ps_snapshot_decode(log->ps, p, len, snaps[i], now_ms,
						       sm_log_expiration())
			       : SM_ERR_CORRUPT_MESSAGE;
		free(p);
		if (e) {
			sm_log_warn(log->component, SM_LOG_LOGGER,
				    "Deleting corrupt producer state snapshot %s", path);
			unlink(path);
			continue;
		}
		log->last_snapshot = from = snaps[i];
	}
	free(snaps);
	sm_log_info(log->component, SM_LOG_LOGGER,
		    "Loading producer state till offset %" PRId64 " from %s offset %" PRId64,
		    log->leo, log->last_snapshot >= 0 ? "snapshot at" : "log start", from);
	sm_log_replay_producers(log, from);
}

/* Writes <map end>.snapshot when the state moved past the last one (Kafka's
 * takeSnapshot). Append lock held. */
static void sm_log_take_snapshot(sm_log_t *log)
{
	if (!log->ps || sm_ps_map_end(log->ps) <= log->last_snapshot)
		return;
	sm_err_t e = sm_ps_snapshot_write(log->ps, log->dir);
	if (e) {
		sm_log_write_failed(log, e, "writing a producer state snapshot");
		return;
	}
	log->last_snapshot = sm_ps_map_end(log->ps);
}

static sm_err_t sm_log_load(sm_log_t *log, int64_t recovery_point, int64_t ckpt_start,
			    int clean)
{
	int64_t now = sm_clock_wall_ms();
	sm_err_t err = sm_log_load_segments(log, now);
	if (!err && !clean && log->nsegs > 0)
		err = sm_log_recover_unflushed(log, recovery_point);
	if (err)
		return err;
	if (ckpt_start < 0)
		ckpt_start = 0;
	if (log->nsegs > 0 && sm_log_segment_next_offset(sm_log_active(log)) < ckpt_start) {
		sm_log_warn(log->component, SM_LOG_LOGGER,
			    "Log end offset is below the checkpointed log start offset %" PRId64
			    ", deleting all segments", ckpt_start);
		sm_log_segs_delete_from(log, 0);
	}
	if (log->nsegs == 0) {
		sm_log_segment_t *seg;
		if ((err = sm_log_new_segment(log, ckpt_start, now, &seg)))
			return err;
		sm_log_segs_push(log, seg);
	}
	for (int i = 0; i + 1 < log->nsegs; i++) {
		sm_index_trim(&log->segs[i]->oidx);
		sm_index_trim(&log->segs[i]->tidx);
	}
	sm_log_segment_t *active = sm_log_active(log);
	if (sm_index_resize(&active->oidx, log->cfg.segment_index_bytes) ||
	    sm_index_resize(&active->tidx, log->cfg.segment_index_bytes))
		return SM_ERR__IO;
	log->leo = sm_log_segment_next_offset(active);
	log->log_start_offset = ckpt_start > log->segs[0]->base_offset ? ckpt_start
								       : log->segs[0]->base_offset;
	log->recovery_point = recovery_point < log->leo ? recovery_point : log->leo;
	log->hw = log->log_start_offset; /* until the partition sets it, as Kafka */
	if (clean)
		log->recovery_point = log->leo;
	log->last_flush_ms = now;
	sm_log_load_producer_state(log, now);
	log->ps_checked_ms = now;
	return SM_ERR_NONE;
}

sm_err_t sm_log_open(const char *dir, const char *topic, int32_t partition,
		     const sm_log_config_t *cfg, int64_t recovery_point,
		     int64_t log_start_offset, int clean_shutdown, sm_log_t **out)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		sm_log_error(NULL, SM_LOG_LOGGER, "Failed to create log directory %s: %s", dir,
			     strerror(errno));
		return SM_ERR__IO;
	}
	sm_log_t *log = sm_calloc(1, sizeof(*log));
	log->dir = sm_strdup(dir);
	log->topic = sm_strdup(topic);
	log->partition = partition;
	snprintf(log->component, sizeof(log->component), "Log partition=%s-%d, dir=%s", topic,
		 (int)partition, dir);
	log->cfg = *cfg;
	log->refcnt = 1;
	pthread_mutex_init(&log->lock, NULL);
	pthread_rwlock_init(&log->seg_lock, NULL);
	pthread_rwlock_init(&log->txn_lock, NULL);
	log->first_unstable = INT64_MAX;
	int64_t t0 = sm_clock_wall_ms();
	sm_err_t err = sm_log_load(log, recovery_point, log_start_offset, clean_shutdown);
	if (err) {
		sm_log_error(log->component, SM_LOG_LOGGER, "Failed to load log: %s",
			     sm_err_name(err));
		sm_log_release(log);
		return err;
	}
	sm_log_info(log->component, SM_LOG_LOGGER,
		    "Completed load of log with %d segments, log start offset %" PRId64
		    " and log end offset %" PRId64 " in %" PRId64 " ms",
		    log->nsegs, log->log_start_offset, log->leo, sm_clock_wall_ms() - t0);
	*out = log;
	return SM_ERR_NONE;
}

sm_log_t *sm_log_keep(sm_log_t *log)
{
	__atomic_add_fetch(&log->refcnt, 1, __ATOMIC_RELAXED);
	return log;
}

void sm_log_release(sm_log_t *log)
{
	if (!log || __atomic_sub_fetch(&log->refcnt, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (int i = 0; i < log->nsegs; i++)
		sm_log_segment_close(log->segs[i]);
	free(log->segs);
	free(log->aborted);
	for (int i = 0; i < log->npending; i++)
		sm_log_segment_delete(log->pending[i].seg);
	free(log->pending);
	sm_ps_free(log->ps);
	pthread_mutex_destroy(&log->lock);
	pthread_rwlock_destroy(&log->seg_lock);
	pthread_rwlock_destroy(&log->txn_lock);
	free(log->dir);
	free(log->prev_dir);
	free(log->topic);
	free(log);
}

/* ---- flush, roll, close ---- */

static sm_err_t sm_log_flush_locked(sm_log_t *log, int64_t upto)
{
	sm_err_t err = SM_ERR_NONE;
	int64_t rp = log->recovery_point;
	if (upto <= rp)
		return SM_ERR_NONE;
	int i = sm_log_floor(log, rp);
	if (sm_log_offline(log))
		return SM_ERR_KAFKA_STORAGE_ERROR;
	for (i = i < 0 ? 0 : i; i < log->nsegs && log->segs[i]->base_offset < upto; i++)
		if (sm_log_segment_flush(log->segs[i]))
			err = SM_ERR_KAFKA_STORAGE_ERROR;
	if (!err)
		__atomic_store_n(&log->recovery_point, upto, __ATOMIC_RELEASE);
	else
		sm_log_fail(log, "flushing the log");
	log->last_flush_ms = sm_clock_wall_ms();
	return err;
}

static sm_err_t sm_log_roll_locked(sm_log_t *log, int64_t now_ms)
{
	int64_t t0 = sm_clock_wall_ms();
	sm_log_segment_t *old = sm_log_active(log), *seg;
	int64_t base = log->leo;
	if (old->base_offset == base && sm_log_segment_size(old) == 0)
		return SM_ERR_NONE;
	if (sm_log_offline(log))
		return SM_ERR_KAFKA_STORAGE_ERROR;
	/* as Kafka: the producer state at the new base offset is saved first,
	 * so recovery never has to replay more than the active segment */
	sm_ps_set_map_end(log->ps, base);
	sm_log_take_snapshot(log);
	sm_err_t err = sm_log_new_segment(log, base, now_ms, &seg);
	if (err) {
		/* the old segment stays active: nothing has changed */
		sm_log_write_failed(log, err, "rolling a new segment");
		return SM_ERR_KAFKA_STORAGE_ERROR;
	}
	pthread_rwlock_wrlock(&log->seg_lock);
	sm_log_segment_on_become_inactive(old);
	sm_log_segs_push(log, seg);
	pthread_rwlock_unlock(&log->seg_lock);
	/* As Kafka's roll, which schedules "flush-log": the rolled segments
	 * are flushed by the log manager's scheduler, never by the thread
	 * appending (a request handler, or a network thread running a
	 * produce to completion); without a hook, here. */
	if (log->roll_cb) {
		int64_t upto = __atomic_load_n(&log->roll_flush_upto, __ATOMIC_RELAXED);
		if (base > upto)
			__atomic_store_n(&log->roll_flush_upto, base, __ATOMIC_RELEASE);
	}
	if (!log->roll_cb || !log->roll_cb(log->roll_opaque, log))
		sm_log_flush_locked(log, base);
	sm_log_info(log->component, SM_LOG_LOGGER,
		    "Rolled new log segment at offset %" PRId64 " in %" PRId64 " ms.", base,
		    sm_clock_wall_ms() - t0);
	return SM_ERR_NONE;
}

sm_err_t sm_log_roll(sm_log_t *log, int64_t now_ms)
{
	pthread_mutex_lock(&log->lock);
	sm_err_t err = log->closed ? SM_ERR__STATE : sm_log_roll_locked(log, now_ms);
	pthread_mutex_unlock(&log->lock);
	return err;
}

sm_err_t sm_log_flush(sm_log_t *log)
{
	pthread_mutex_lock(&log->lock);
	sm_err_t err = sm_log_flush_locked(log, log->leo);
	pthread_mutex_unlock(&log->lock);
	return err;
}

void sm_log_close(sm_log_t *log)
{
	pthread_mutex_lock(&log->lock);
	if (!log->closed && !sm_log_offline(log)) {
		sm_log_flush_locked(log, log->leo);
		sm_ps_set_map_end(log->ps, log->leo);
		sm_log_take_snapshot(log);
		pthread_rwlock_wrlock(&log->seg_lock);
		sm_log_segment_on_become_inactive(sm_log_active(log));
		pthread_rwlock_unlock(&log->seg_lock);
	}
	log->closed = 1;
	pthread_mutex_unlock(&log->lock);
}

void sm_log_set_config(sm_log_t *log, const sm_log_config_t *cfg)
{
	pthread_mutex_lock(&log->lock);
	log->cfg = *cfg;
	pthread_mutex_unlock(&log->lock);
}

/* ---- append ---- */

static sm_err_t sm_log_append_locked(sm_log_t *log, const uint8_t *data, size_t len,
				     int64_t last_offset, int64_t max_ts, int64_t offset_of_max_ts,
				     int64_t now_ms)
{
	if (log->closed)
		return SM_ERR__STATE;
	if (sm_log_offline(log) || sm_log_full(log))
		return SM_ERR_KAFKA_STORAGE_ERROR;
	if ((int64_t)len > log->cfg.segment_bytes) {
		sm_log_warn(log->component, SM_LOG_LOGGER,
			    "Message batch size is %zu bytes in append, which exceeds the maximum "
			    "configured segment size of %" PRId64 ".", len, log->cfg.segment_bytes);
		return SM_ERR_MESSAGE_TOO_LARGE;
	}
	sm_log_segment_t *active = sm_log_active(log);
	if (sm_log_segment_should_roll(active, log->cfg.segment_bytes,
				       sm_log_max_segment_ms(&log->cfg), len, max_ts, last_offset,
				       now_ms)) {
		sm_err_t err = sm_log_roll_locked(log, now_ms);
		if (err)
			return err;
		active = sm_log_active(log);
	}
	sm_err_t err = sm_log_segment_append(active, last_offset, max_ts, offset_of_max_ts, data, len);
	if (err == SM_ERR__IO || err == SM_ERR__NOSPACE) {
		/* the segment took the partial write back out; the log end
		 * offset below is not advanced */
		sm_log_write_failed(log, err, "appending to the active segment");
		return SM_ERR_KAFKA_STORAGE_ERROR;
	}
	if (err)
		return err;
	__atomic_store_n(&log->leo, last_offset + 1, __ATOMIC_RELEASE);
	if (log->leo - log->recovery_point >= log->cfg.flush_messages ||
	    now_ms - log->last_flush_ms >= log->cfg.flush_ms)
		sm_log_flush_locked(log, log->leo);
	return SM_ERR_NONE;
}

static sm_err_t sm_log_append_leader_origin(sm_log_t *log, uint8_t *batch, size_t len,
					    int32_t leader_epoch, int64_t now_ms, int coordinator,
					    sm_log_append_info_t *info)
{
	sm_seg_batch_t bi;
	if (sm_seg_batch_parse(batch, len, 0, &bi) || bi.size != (int64_t)len)
		return SM_ERR_CORRUPT_MESSAGE;
	pthread_mutex_lock(&log->lock);
	/* the producer's base offset is replaced, so the delta comes from the
	 * header itself, not from its (saturated) last offset */
	int64_t base = log->leo;
	int64_t last = base + (int32_t)sm_be32(batch + SM_BATCH_OFF_LAST_DELTA);
	int64_t max_ts = bi.max_timestamp, append_time = -1;
	sm_put_be64(batch, (uint64_t)base);
	sm_put_be32(batch + SM_BATCH_OFF_EPOCH, (uint32_t)leader_epoch);
	if (log->cfg.message_timestamp_type == SM_LOG_TIMESTAMP_LOG_APPEND_TIME) {
		uint16_t attrs = (uint16_t)bi.attributes | SM_BATCH_ATTR_LOG_APPEND_TIME;
		sm_put_be16(batch + SM_BATCH_OFF_ATTRIBUTES, attrs);
		sm_put_be64(batch + SM_BATCH_OFF_MAX_TS, (uint64_t)now_ms);
		sm_put_be32(batch + SM_BATCH_OFF_CRC,
			    sm_crc32c(0, batch + SM_BATCH_OFF_ATTRIBUTES,
				      len - SM_BATCH_OFF_ATTRIBUTES));
		max_ts = append_time = now_ms;
	}
	sm_ps_append_t pa;
	int has_pid = sm_ps_append_from_header(batch, &pa);
	const sm_ps_batch_t *dup = NULL;
	sm_err_t err = SM_ERR_NONE;
	if (has_pid && log->ps) {
		if (now_ms - log->ps_checked_ms >= SM_PS_EXPIRATION_CHECK_MS) {
			sm_ps_expire(log->ps, now_ms, sm_log_expiration());
			log->ps_checked_ms = now_ms;
		}
		err = coordinator ? sm_ps_check_coordinator(log->ps, &pa)
				  : sm_ps_check(log->ps, &pa, &dup);
	}
	if (dup) {
		/* a retry whose first answer was lost: the original offsets,
		 * nothing written; Kafka answers the cached batch's timestamp as
		 * the log append time whatever the topic's timestamp type */
		if (info) {
			info->base_offset = dup->first_off;
			info->last_offset = dup->last_off;
			info->log_append_time = dup->max_ts;
			info->log_start_offset = log->log_start_offset;
			info->duplicate = 1;
		}
		pthread_mutex_unlock(&log->lock);
		return SM_ERR_NONE;
	}
	if (!err)
		err = sm_log_append_locked(log, batch, len, last, max_ts, last, now_ms);
	if (!err && has_pid && log->ps && sm_log_ps_feed(log, batch, len, sm_log_active(log)))
		sm_log_refresh_unstable(log);
	if (info) {
		info->base_offset = err ? -1 : base;
		info->last_offset = err ? -1 : last;
		info->log_append_time = append_time;
		info->log_start_offset = log->log_start_offset;
		info->duplicate = 0;
	}
	pthread_mutex_unlock(&log->lock);
	return err;
}

sm_err_t sm_log_append_leader(sm_log_t *log, uint8_t *batch, size_t len, int32_t leader_epoch,
			      int64_t now_ms, sm_log_append_info_t *info)
{
	return sm_log_append_leader_origin(log, batch, len, leader_epoch, now_ms, 0, info);
}

sm_err_t sm_log_append_coordinator(sm_log_t *log, uint8_t *batch, size_t len,
				   int32_t leader_epoch, int64_t now_ms,
				   sm_log_append_info_t *info)
{
	return sm_log_append_leader_origin(log, batch, len, leader_epoch, now_ms, 1, info);
}

sm_err_t sm_log_append_follower(sm_log_t *log, const uint8_t *batches, size_t len,
				int64_t now_ms, sm_log_append_info_t *info)
{
	if (len == 0)
		return SM_ERR_NONE;
	pthread_mutex_lock(&log->lock);
	int64_t prev_last = log->leo - 1, first = -1, max_ts = -1, off_of_max = -1;
	sm_err_t err = SM_ERR_NONE;
	for (size_t pos = 0; pos < len;) {
		sm_seg_batch_t bi;
		sm_err_t berr = SM_ERR_CORRUPT_MESSAGE;
		const char *why = sm_seg_batch_parse(batches + pos, len - pos, 1, &bi);
		if (!why && first < 0 && bi.base_offset != log->leo) {
			why = "first batch does not start at the log end offset";
			berr = SM_ERR_OFFSET_OUT_OF_RANGE;
		} else if (!why && first >= 0 && bi.base_offset <= prev_last) {
			why = "batch offsets are not increasing";
		}
		if (why) {
			sm_log_error(log->component, SM_LOG_LOGGER,
				     "Follower append rejected at byte %zu: %s", pos, why);
			err = berr;
			break;
		}
		if (first < 0)
			first = bi.base_offset;
		if (bi.max_timestamp > max_ts) {
			max_ts = bi.max_timestamp;
			off_of_max = bi.last_offset;
		}
		prev_last = bi.last_offset;
		pos += (size_t)bi.size;
	}
	if (!err)
		err = sm_log_append_locked(log, batches, len, prev_last, max_ts,
					   off_of_max < 0 ? prev_last : off_of_max, now_ms);
	/* followers keep the producer state as the leader does (Kafka's
	 * replication origin: nothing refused), so a new leader deduplicates
	 * retries of batches it only replicated */
	int txn_changed = 0;
	for (size_t pos = 0; !err && log->ps && pos < len;) {
		size_t blen = SM_BATCH_LOG_OVERHEAD +
			      (size_t)sm_be32(batches + pos + SM_BATCH_OFF_LENGTH);
		txn_changed |= sm_log_ps_feed(log, batches + pos, blen, sm_log_active(log));
		pos += blen;
	}
	if (txn_changed)
		sm_log_refresh_unstable(log);
	if (info) {
		info->base_offset = err ? -1 : first;
		info->last_offset = err ? -1 : prev_last;
		info->log_append_time = -1;
		info->log_start_offset = log->log_start_offset;
		info->duplicate = 0;
	}
	pthread_mutex_unlock(&log->lock);
	return err;
}

/* Builds Kafka's end-transaction marker batch (MemoryRecords
 * .withEndTransactionMarker): one control record, key (version 0, type
 * 0 ABORT / 1 COMMIT), value (version 0, coordinator epoch), attributes
 * transactional|control, no sequence. */
static void sm_log_build_marker(uint8_t *b, int64_t base, int32_t leader_epoch,
				const sm_ps_marker_t *m, int64_t ts)
{
	memset(b, 0, SM_TXN_MARKER_SIZE);
	sm_put_be64(b, (uint64_t)base);
	sm_put_be32(b + SM_BATCH_OFF_LENGTH, SM_TXN_MARKER_SIZE - SM_BATCH_LOG_OVERHEAD);
	sm_put_be32(b + SM_BATCH_OFF_EPOCH, (uint32_t)leader_epoch);
	b[SM_BATCH_OFF_MAGIC] = 2;
	sm_put_be16(b + SM_BATCH_OFF_ATTRIBUTES, SM_PS_CONTROL_ATTR | 0x10);
	sm_put_be64(b + SM_BATCH_OFF_BASE_TS, (uint64_t)ts);
	sm_put_be64(b + SM_BATCH_OFF_MAX_TS, (uint64_t)ts);
	sm_put_be64(b + 43, (uint64_t)m->pid);
	sm_put_be16(b + 51, (uint16_t)m->epoch);
	sm_put_be32(b + 53, 0xffffffffu);
	sm_put_be32(b + SM_BATCH_OFF_RECORD_COUNT, 1);
	uint8_t *r = b + SM_BATCH_HEADER_SIZE;
	*r++ = 32; /* record length 16, zigzag varint */
	*r++ = 0;  /* attributes */
	*r++ = 0;  /* timestamp delta */
	*r++ = 0;  /* offset delta */
	*r++ = 8;  /* key length 4 */
	r += 2;    /* key version 0 */
	sm_put_be16(r, m->aborted ? 0 : 1);
	r += 2;
	*r++ = 12; /* value length 6 */
	r += 2;    /* value version 0 */
	sm_put_be32(r, (uint32_t)m->coord_epoch);
	r += 4;
	*r = 0;    /* no headers */
	sm_put_be32(b + SM_BATCH_OFF_CRC, sm_crc32c(0, b + SM_BATCH_OFF_ATTRIBUTES,
						     SM_TXN_MARKER_SIZE - SM_BATCH_OFF_ATTRIBUTES));
}

sm_err_t sm_log_append_marker(sm_log_t *log, const sm_ps_marker_t *marker, int32_t leader_epoch,
			      int64_t now_ms, sm_log_append_info_t *info)
{
	pthread_mutex_lock(&log->lock);
	sm_ps_marker_t m = *marker;
	m.offset = log->leo;
	m.ts = now_ms;
	sm_err_t err = log->ps ? sm_ps_check_marker(log->ps, &m) : SM_ERR_NONE;
	uint8_t b[SM_TXN_MARKER_SIZE];
	sm_log_build_marker(b, m.offset, leader_epoch, &m, now_ms);
	if (!err)
		err = sm_log_append_locked(log, b, sizeof(b), m.offset, now_ms, m.offset, now_ms);
	if (!err && log->ps) {
		sm_log_ps_feed(log, b, sizeof(b), sm_log_active(log));
		sm_log_refresh_unstable(log);
	}
	if (info) {
		info->base_offset = info->last_offset = err ? -1 : m.offset;
		info->log_append_time = -1;
		info->log_start_offset = log->log_start_offset;
		info->duplicate = 0;
	}
	pthread_mutex_unlock(&log->lock);
	return err;
}

/* ---- reads ---- */

sm_err_t sm_log_read(sm_log_t *log, int64_t offset, int32_t max_bytes, int min_one_batch,
		     int64_t max_offset, sm_log_read_t *out)
{
	memset(out, 0, sizeof(*out));
	pthread_rwlock_rdlock(&log->seg_lock);
	int64_t leo = __atomic_load_n(&log->leo, __ATOMIC_ACQUIRE);
	int64_t start = __atomic_load_n(&log->log_start_offset, __ATOMIC_ACQUIRE);
	out->log_start_offset = start;
	out->log_end_offset = leo;
	sm_err_t err = SM_ERR_NONE;
	if (sm_log_offline(log)) {
		err = SM_ERR_KAFKA_STORAGE_ERROR;
	} else if (offset < start || offset > leo) {
		err = SM_ERR_OFFSET_OUT_OF_RANGE;
	} else if (offset < leo) {
		int i = sm_log_floor(log, offset);
		for (i = i < 0 ? 0 : i; i < log->nsegs; i++) {
			off_t pos;
			size_t len;
			sm_log_segment_t *seg = log->segs[i];
			if (sm_log_segment_read(seg, offset, max_bytes, min_one_batch, max_offset,
						&pos, &len))
				continue;
			if (len > 0) {
				out->file = sm_fileref_keep(seg->file);
				out->pos = pos;
				out->len = len;
			}
			break;
		}
	}
	pthread_rwlock_unlock(&log->seg_lock);
	return err;
}

sm_err_t sm_log_offset_for_timestamp(sm_log_t *log, int64_t ts, int64_t *offset_out,
				     int64_t *ts_out)
{
	*ts_out = -1;
	if (sm_log_offline(log))
		return SM_ERR_KAFKA_STORAGE_ERROR;
	if (ts == SM_LOG_LATEST_TIMESTAMP) {
		*offset_out = sm_log_end_offset(log);
		return SM_ERR_NONE;
	}
	if (ts == SM_LOG_EARLIEST_TIMESTAMP) {
		*offset_out = sm_log_start_offset(log);
		return SM_ERR_NONE;
	}
	sm_err_t err = SM_ERR__NOENT;
	pthread_rwlock_rdlock(&log->seg_lock);
	int64_t start = __atomic_load_n(&log->log_start_offset, __ATOMIC_ACQUIRE);
	for (int i = 0; i < log->nsegs && err; i++) {
		sm_log_segment_t *seg = log->segs[i];
		if (__atomic_load_n(&seg->max_timestamp_so_far, __ATOMIC_RELAXED) < ts)
			continue;
		err = sm_log_segment_find_offset_by_timestamp(seg, ts, start, offset_out, ts_out);
	}
	pthread_rwlock_unlock(&log->seg_lock);
	return err;
}

/* ---- truncation ---- */

static sm_err_t sm_log_truncate_fully(sm_log_t *log, int64_t offset)
{
	sm_log_segment_t *seg;
	sm_log_segs_delete_from(log, 0);
	sm_err_t err = sm_log_new_segment(log, offset, sm_clock_wall_ms(), &seg);
	if (err)
		return err;
	sm_log_segs_push(log, seg);
	__atomic_store_n(&log->log_start_offset, offset, __ATOMIC_RELEASE);
	return SM_ERR_NONE;
}

sm_err_t sm_log_truncate_to(sm_log_t *log, int64_t offset)
{
	sm_err_t err = SM_ERR_NONE;
	if (offset < 0)
		return SM_ERR_OFFSET_OUT_OF_RANGE;
	pthread_mutex_lock(&log->lock);
	if (log->closed || sm_log_offline(log) || offset >= log->leo) {
		err = log->closed ? SM_ERR__STATE
				  : sm_log_offline(log) ? SM_ERR_KAFKA_STORAGE_ERROR : SM_ERR_NONE;
		pthread_mutex_unlock(&log->lock);
		return err;
	}
	sm_log_info(log->component, SM_LOG_LOGGER, "Truncating to offset %" PRId64, offset);
	log->trunc_gen++;
	pthread_rwlock_wrlock(&log->seg_lock);
	if (offset <= log->segs[0]->base_offset) {
		err = sm_log_truncate_fully(log, offset);
	} else {
		int i = sm_log_floor(log, offset);
		if (log->segs[i]->base_offset == offset)
			i--; /* a segment starting exactly at offset goes entirely */
		sm_log_segs_delete_from(log, i + 1);
		sm_log_segment_t *active = sm_log_active(log);
		if (sm_log_segment_truncate_to(active, offset) < 0 ||
		    sm_index_resize(&active->oidx, log->cfg.segment_index_bytes) ||
		    sm_index_resize(&active->tidx, log->cfg.segment_index_bytes))
			err = SM_ERR_KAFKA_STORAGE_ERROR;
	}
	if (log->nsegs > 0)
		__atomic_store_n(&log->leo, sm_log_segment_next_offset(sm_log_active(log)),
				 __ATOMIC_RELEASE);
	if (log->recovery_point > log->leo)
		__atomic_store_n(&log->recovery_point, log->leo, __ATOMIC_RELEASE);
	if (__atomic_load_n(&log->hw, __ATOMIC_ACQUIRE) > log->leo)
		__atomic_store_n(&log->hw, log->leo, __ATOMIC_RELEASE);
	/* the producer state forgets the truncated batches: snapshots above the
	 * new end go, the rest is reloaded (Kafka's truncateAndReload) */
	if (!err)
		sm_log_load_producer_state(log, sm_clock_wall_ms());
	pthread_rwlock_unlock(&log->seg_lock);
	pthread_mutex_unlock(&log->lock);
	return err;
}

/* ---- retention and log start offset ---- */

/* Kafka's deletableSegments: a segment may go only once everything in it is
 * below the high watermark, i.e. when the next segment's base offset (the log
 * end offset for the active segment) is <= the HW. So the log start offset
 * never passes the HW, and the active segment goes only when the HW has
 * reached the log end. An empty active segment never goes (there is nothing
 * to free and the log needs an active segment). */
static int sm_log_seg_deletable(const sm_log_t *log, int i)
{
	int last = i == log->nsegs - 1;
	int64_t upper = last ? log->leo : log->segs[i + 1]->base_offset;
	if (upper > __atomic_load_n(&log->hw, __ATOMIC_ACQUIRE))
		return 0;
	return !last || sm_log_segment_size(log->segs[i]) > 0;
}

static int sm_log_count_expired(const sm_log_t *log, int64_t now_ms)
{
	int n = 0;
	if (log->cfg.retention_ms < 0)
		return 0;
	while (n < log->nsegs && sm_log_seg_deletable(log, n) &&
	       now_ms - sm_log_segment_largest_timestamp(log->segs[n]) > log->cfg.retention_ms)
		n++;
	return n;
}

static int sm_log_count_oversized(const sm_log_t *log)
{
	int64_t diff = -log->cfg.retention_bytes;
	int n = 0;
	if (log->cfg.retention_bytes < 0)
		return 0;
	for (int i = 0; i < log->nsegs; i++)
		diff += sm_log_segment_size(log->segs[i]);
	while (n < log->nsegs && sm_log_seg_deletable(log, n) &&
	       diff - sm_log_segment_size(log->segs[n]) >= 0)
		diff -= sm_log_segment_size(log->segs[n++]);
	return n;
}

static int sm_log_count_below_start(const sm_log_t *log)
{
	int n = 0;
	while (n + 1 < log->nsegs && sm_log_seg_deletable(log, n) &&
	       log->segs[n + 1]->base_offset <= log->log_start_offset)
		n++;
	return n;
}

static void sm_log_pending_push(sm_log_t *log, sm_log_segment_t *seg, int64_t due_ms)
{
	if (log->npending == log->pending_cap) {
		log->pending_cap = log->pending_cap ? log->pending_cap * 2 : 8;
		log->pending = sm_realloc(log->pending,
					  sizeof(*log->pending) * (size_t)log->pending_cap);
	}
	log->pending[log->npending].seg = seg;
	log->pending[log->npending].due_ms = due_ms;
	log->npending++;
}

/* Removes the first n segments from the list (rolling first if that would
 * take the active one) and schedules their files for deletion. Append lock
 * held. */
static int sm_log_delete_first(sm_log_t *log, int n, const char *reason)
{
	if (n <= 0 || sm_log_offline(log))
		return 0;
	if (n >= log->nsegs) {
		if (sm_log_roll_locked(log, sm_clock_wall_ms()))
			return 0;
		n = log->nsegs - 1;
	}
	char bases[256];
	size_t used = 0;
	bases[0] = '\0';
	for (int i = 0; i < n && used + 24 < sizeof(bases); i++)
		used += (size_t)snprintf(bases + used, sizeof(bases) - used, "%s%" PRId64,
					 i ? "," : "", log->segs[i]->base_offset);
	sm_log_info(log->component, SM_LOG_LOGGER,
		    "Found deletable segments with base offsets [%s%s] due to %s breach", bases,
		    used + 24 >= sizeof(bases) ? ",..." : "", reason);
	sm_log_segment_t **gone = sm_malloc(sizeof(*gone) * (size_t)n);
	pthread_rwlock_wrlock(&log->seg_lock);
	memcpy(gone, log->segs, sizeof(*gone) * (size_t)n);
	memmove(log->segs, log->segs + n, sizeof(*log->segs) * (size_t)(log->nsegs - n));
	log->nsegs -= n;
	if (log->segs[0]->base_offset > log->log_start_offset) {
		__atomic_store_n(&log->log_start_offset, log->segs[0]->base_offset,
				 __ATOMIC_RELEASE);
		sm_log_info(log->component, SM_LOG_LOGGER,
			    "Incremented log start offset to %" PRId64 " due to segment deletion",
			    log->segs[0]->base_offset);
	}
	pthread_rwlock_unlock(&log->seg_lock);
	int64_t due = sm_clock_wall_ms() + log->cfg.file_delete_delay_ms;
	for (int i = 0; i < n; i++) {
		if (sm_log_segment_rename_deleted(gone[i]))
			sm_log_fail(log, "renaming a deleted segment");
		/* the producer snapshot of a deleted segment goes with it */
		sm_ps_snapshot_delete_range(log->dir, gone[i]->base_offset,
					    gone[i]->base_offset + 1);
		sm_log_pending_push(log, gone[i], due);
	}
	free(gone);
	/* their .txnindex entries are gone from disk too: forget them */
	int64_t first = log->segs[0]->base_offset;
	pthread_rwlock_wrlock(&log->txn_lock);
	int k = 0;
	while (k < log->naborted && log->aborted[k].last_offset < first)
		k++;
	if (k > 0) {
		memmove(log->aborted, log->aborted + k,
			sizeof(*log->aborted) * (size_t)(log->naborted - k));
		log->naborted -= k;
	}
	pthread_rwlock_unlock(&log->txn_lock);
	return n;
}

int sm_log_delete_old_segments(sm_log_t *log, int64_t now_ms)
{
	char reason[96];
	int total = 0;
	pthread_mutex_lock(&log->lock);
	/* Kafka applies retention.ms/retention.bytes only with cleanup.policy
	 * delete; the log start offset always counts. */
	if (!log->closed && !sm_log_offline(log) && log->cfg.cleanup_delete) {
		snprintf(reason, sizeof(reason), "retention time %" PRId64 "ms",
			 log->cfg.retention_ms);
		total += sm_log_delete_first(log, sm_log_count_expired(log, now_ms), reason);
		snprintf(reason, sizeof(reason), "retention size in bytes %" PRId64,
			 log->cfg.retention_bytes);
		total += sm_log_delete_first(log, sm_log_count_oversized(log), reason);
	}
	if (!log->closed && !sm_log_offline(log)) {
		snprintf(reason, sizeof(reason), "log start offset %" PRId64,
			 log->log_start_offset);
		total += sm_log_delete_first(log, sm_log_count_below_start(log), reason);
	}
	pthread_mutex_unlock(&log->lock);
	return total;
}

static sm_err_t sm_log_increment_log_start_offset_lw(sm_log_t *log, int64_t offset,
						     sm_log_start_reason_t reason,
						     int64_t *low_watermark)
{
	/* Kafka's LogStartOffsetIncrementReason names */
	static const char *const why[] = { "client delete records request",
					   "leader offset increment" };
	sm_err_t err = SM_ERR_NONE;
	pthread_mutex_lock(&log->lock);
	if (log->closed || sm_log_offline(log)) {
		err = SM_ERR_KAFKA_STORAGE_ERROR;
	} else if (offset < 0 || offset > log->leo ||
		   offset > __atomic_load_n(&log->hw, __ATOMIC_ACQUIRE)) {
		/* Kafka's maybeIncrementLogStartOffset: never past the HW */
		err = SM_ERR_OFFSET_OUT_OF_RANGE;
	} else if (offset > log->log_start_offset) {
		__atomic_store_n(&log->log_start_offset, offset, __ATOMIC_RELEASE);
		sm_log_info(log->component, SM_LOG_LOGGER,
			    "Incremented log start offset to %" PRId64 " due to %s", offset,
			    why[reason]);
		char what[64];
		snprintf(what, sizeof(what), "log start offset %" PRId64, offset);
		sm_log_delete_first(log, sm_log_count_below_start(log), what);
	}
	if (low_watermark)
		*low_watermark = log->log_start_offset;
	pthread_mutex_unlock(&log->lock);
	return err;
}

sm_err_t sm_log_delete_records(sm_log_t *log, int64_t offset, int64_t *low_watermark)
{
	return sm_log_increment_log_start_offset_lw(log, offset, SM_LOG_START_CLIENT_DELETE,
						    low_watermark);
}

sm_err_t sm_log_increment_log_start_offset(sm_log_t *log, int64_t offset,
					   sm_log_start_reason_t reason)
{
	return sm_log_increment_log_start_offset_lw(log, offset, reason, NULL);
}

void sm_log_delete_pending(sm_log_t *log, int64_t now_ms, int force)
{
	pthread_mutex_lock(&log->lock);
	int kept = 0;
	for (int i = 0; i < log->npending; i++) {
		if (force || log->pending[i].due_ms <= now_ms) {
			sm_log_info(log->component, SM_LOG_LOGGER,
				    "Deleting segment files %s", log->pending[i].seg->log_path);
			sm_log_segment_delete(log->pending[i].seg);
		} else {
			log->pending[kept++] = log->pending[i];
		}
	}
	log->npending = kept;
	pthread_mutex_unlock(&log->lock);
}

int sm_log_pending_deletes(sm_log_t *log)
{
	pthread_mutex_lock(&log->lock);
	int n = log->npending;
	pthread_mutex_unlock(&log->lock);
	return n;
}

sm_err_t sm_log_flush_if_due(sm_log_t *log, int64_t now_ms)
{
	sm_err_t err = SM_ERR_NONE;
	pthread_mutex_lock(&log->lock);
	if (!log->closed && log->cfg.flush_ms != INT64_MAX &&
	    now_ms - log->last_flush_ms >= log->cfg.flush_ms && log->leo > log->recovery_point)
		err = sm_log_flush_locked(log, log->leo);
	pthread_mutex_unlock(&log->lock);
	return err;
}

sm_err_t sm_log_flush_rolled(sm_log_t *log)
{
	int64_t upto = __atomic_load_n(&log->roll_flush_upto, __ATOMIC_ACQUIRE);
	if (upto <= __atomic_load_n(&log->recovery_point, __ATOMIC_ACQUIRE))
		return SM_ERR_NONE;
	pthread_mutex_lock(&log->lock);
	int64_t rp = log->recovery_point;
	if (upto > log->leo)
		upto = log->leo;
	if (log->closed || sm_log_offline(log) || upto <= rp) {
		pthread_mutex_unlock(&log->lock);
		return SM_ERR_NONE;
	}
	/* Under the lock: a reference to each segment file below upto and a
	 * descriptor of each of its index files (opened by path: their maps
	 * go with the segment); every byte below upto was written before
	 * this, so fsyncs made after it cover them. */
	int first = sm_log_floor(log, rp), n = 0;
	first = first < 0 ? 0 : first;
	for (int i = first; i < log->nsegs && log->segs[i]->base_offset < upto; i++)
		n++;
	sm_fileref_t **files = sm_calloc((size_t)(n ? n : 1), sizeof(*files));
	int *ifd = sm_calloc((size_t)(n ? 2 * n : 1), sizeof(*ifd));
	for (int k = 0; k < n; k++) {
		sm_log_segment_t *seg = log->segs[first + k];
		files[k] = sm_fileref_keep(seg->file);
		ifd[2 * k] = open(seg->oidx.path, O_RDONLY | O_CLOEXEC);
		ifd[2 * k + 1] = open(seg->tidx.path, O_RDONLY | O_CLOEXEC);
	}
	unsigned gen = log->trunc_gen;
	pthread_mutex_unlock(&log->lock);
	int failed = 0;
	for (int k = 0; k < n; k++) {
		if (fsync(files[k]->fd) < 0) {
			sm_log_error(log->component, SM_LOG_LOGGER, "Failed to flush a rolled "
				     "segment of %s: %s", log->dir, strerror(errno));
			failed = 1;
		}
		for (int j = 2 * k; j < 2 * k + 2; j++)
			if (ifd[j] >= 0) {
				if (fsync(ifd[j]) < 0)
					failed = 1;
				close(ifd[j]);
			}
		sm_fileref_release(files[k]);
	}
	free(files);
	free(ifd);
	pthread_mutex_lock(&log->lock);
	sm_err_t err = SM_ERR_NONE;
	if (failed) {
		sm_log_fail(log, "flushing the log");
		err = SM_ERR_KAFKA_STORAGE_ERROR;
	} else if (gen == log->trunc_gen && !log->closed && upto > log->recovery_point) {
		/* no segment below upto was removed or cut meanwhile */
		__atomic_store_n(&log->recovery_point, upto, __ATOMIC_RELEASE);
		log->last_flush_ms = sm_clock_wall_ms();
	}
	pthread_mutex_unlock(&log->lock);
	return err;
}

void sm_log_set_roll_handler(sm_log_t *log, sm_log_roll_cb_t *cb, void *opaque)
{
	pthread_mutex_lock(&log->lock);
	log->roll_cb = cb;
	log->roll_opaque = opaque;
	pthread_mutex_unlock(&log->lock);
}

/* ---- log directory failure ---- */

void sm_log_set_failure_handler(sm_log_t *log, sm_log_failure_cb_t *cb, void *opaque)
{
	pthread_mutex_lock(&log->lock);
	log->failure_cb = cb;
	log->failure_opaque = opaque;
	pthread_mutex_unlock(&log->lock);
}

void sm_log_set_offline(sm_log_t *log)
{
	__atomic_store_n(&log->offline, 1, __ATOMIC_RELEASE);
}

int sm_log_is_offline(sm_log_t *log)
{
	return sm_log_offline(log);
}

void sm_log_set_full(sm_log_t *log, int full)
{
	__atomic_store_n(&log->full, full ? 1 : 0, __ATOMIC_RELEASE);
}

int sm_log_is_full(sm_log_t *log)
{
	return sm_log_full(log);
}

/* ---- accessors ---- */

int64_t sm_log_end_offset(sm_log_t *log)
{
	return __atomic_load_n(&log->leo, __ATOMIC_ACQUIRE);
}

/* Kafka's Log.updateHighWatermark: bounded by the log start and end offsets. */
void sm_log_set_high_watermark(sm_log_t *log, int64_t hw)
{
	int64_t start = __atomic_load_n(&log->log_start_offset, __ATOMIC_ACQUIRE);
	int64_t leo = __atomic_load_n(&log->leo, __ATOMIC_ACQUIRE);
	if (hw > leo)
		hw = leo;
	if (hw < start)
		hw = start;
	__atomic_store_n(&log->hw, hw, __ATOMIC_RELEASE);
	if (__atomic_load_n(&log->has_unrepl, __ATOMIC_ACQUIRE)) {
		/* completed transactions count as unstable until their marker
		 * is replicated (Kafka's onHighWatermarkUpdated) */
		pthread_mutex_lock(&log->lock);
		if (log->ps) {
			sm_ps_on_high_watermark(log->ps, hw);
			__atomic_store_n(&log->has_unrepl, sm_ps_unreplicated(log->ps) > 0,
					 __ATOMIC_RELEASE);
			sm_log_refresh_unstable(log);
		}
		pthread_mutex_unlock(&log->lock);
	}
}

int64_t sm_log_high_watermark(sm_log_t *log)
{
	return __atomic_load_n(&log->hw, __ATOMIC_ACQUIRE);
}

int64_t sm_log_start_offset(sm_log_t *log)
{
	return __atomic_load_n(&log->log_start_offset, __ATOMIC_ACQUIRE);
}

int64_t sm_log_recovery_point(sm_log_t *log)
{
	return __atomic_load_n(&log->recovery_point, __ATOMIC_ACQUIRE);
}

int64_t sm_log_size_bytes(sm_log_t *log)
{
	int64_t total = 0;
	pthread_rwlock_rdlock(&log->seg_lock);
	for (int i = 0; i < log->nsegs; i++)
		total += sm_log_segment_size(log->segs[i]);
	pthread_rwlock_unlock(&log->seg_lock);
	return total;
}

int sm_log_segment_count(sm_log_t *log)
{
	pthread_rwlock_rdlock(&log->seg_lock);
	int n = log->nsegs;
	pthread_rwlock_unlock(&log->seg_lock);
	return n;
}

int64_t sm_log_first_segment_base(sm_log_t *log)
{
	pthread_rwlock_rdlock(&log->seg_lock);
	int64_t base = log->segs[0]->base_offset;
	pthread_rwlock_unlock(&log->seg_lock);
	return base;
}

const char *sm_log_topic(const sm_log_t *log)
{
	return log->topic;
}

int32_t sm_log_partition(const sm_log_t *log)
{
	return log->partition;
}

const char *sm_log_dir(const sm_log_t *log)
{
	/* atomic: a move between log dirs replaces it (the old string stays
	 * valid until the next move, prev_dir) */
	return __atomic_load_n(&log->dir, __ATOMIC_ACQUIRE);
}

/* ---- log cleaner hooks ---- */

int sm_log_cleanable_segments(sm_log_t *log, sm_log_seg_view_t **out)
{
	pthread_rwlock_rdlock(&log->seg_lock);
	int n = log->nsegs > 0 ? log->nsegs - 1 : 0;
	sm_log_seg_view_t *v = sm_calloc((size_t)n + 1, sizeof(*v));
	for (int i = 0; i < n; i++) {
		sm_log_segment_t *seg = log->segs[i];
		struct stat st;
		v[i].base_offset = seg->base_offset;
		v[i].next_base = log->segs[i + 1]->base_offset;
		v[i].size = sm_log_segment_size(seg);
		v[i].largest_timestamp =
			__atomic_load_n(&seg->max_timestamp_so_far, __ATOMIC_RELAXED);
		v[i].file = sm_fileref_keep(seg->file);
		v[i].last_modified_ms = fstat(seg->file->fd, &st) == 0
			? (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000 : 0;
		if (v[i].largest_timestamp < 0)
			v[i].largest_timestamp = v[i].last_modified_ms;
		/* read from the file rather than the segment's cached
		 * rolling timestamp, which only the append lock may touch */
		sm_seg_batch_t bi;
		v[i].first_batch_timestamp =
			v[i].size > 0 && !sm_log_segment_read_batch(seg, 0, v[i].size, 0, &bi)
				? bi.max_timestamp : -1;
	}
	pthread_rwlock_unlock(&log->seg_lock);
	*out = v;
	return n;
}

void sm_log_seg_views_free(sm_log_seg_view_t *v, int n)
{
	for (int i = 0; v && i < n; i++)
		sm_fileref_release(v[i].file);
	free(v);
}

void sm_log_get_config(sm_log_t *log, sm_log_config_t *out)
{
	pthread_mutex_lock(&log->lock);
	*out = log->cfg;
	pthread_mutex_unlock(&log->lock);
}

/* Position of the inactive run segs[i..i+n) whose base offsets are bases[],
 * or -1 when the list changed (truncation, retention) since the cleaner
 * looked at it. */
static int sm_log_find_run(const sm_log_t *log, const int64_t *bases, int n)
{
	int i = sm_log_floor(log, bases[0]);
	if (i < 0 || i + n > log->nsegs - 1)
		return -1;
	for (int k = 0; k < n; k++)
		if (log->segs[i + k]->base_offset != bases[k])
			return -1;
	return i;
}

sm_err_t sm_log_replace_segments(sm_log_t *log, const int64_t *bases, int n,
				 const char *swap_path)
{
	sm_err_t err = SM_ERR_NONE;
	pthread_mutex_lock(&log->lock);
	int i = log->closed || n <= 0 || sm_log_cleaning_paused(log) ? -1
									 : sm_log_find_run(log, bases, n);
	/* a cleaned file made before the log moved to another dir
	 * (sm_log_swap_future) was made from segments the log no longer has */
	size_t dl = strlen(log->dir);
	if (strncmp(swap_path, log->dir, dl) || swap_path[dl] != '/')
		i = -1;
	if (i < 0) {
		pthread_mutex_unlock(&log->lock);
		return SM_ERR__STATE;
	}
	sm_log_segment_t *first = log->segs[i], *seg = NULL;
	/* The first segment's name is reused: its stale indexes go first so a
	 * crash after the rename rebuilds them from the cleaned data; the
	 * rename itself atomically replaces the data, and the later segments
	 * (whose records the cleaned file now holds) go only after it. */
	if (first->oidx.path)
		unlink(first->oidx.path);
	if (first->tidx.path)
		unlink(first->tidx.path);
	if (rename(swap_path, first->log_path) < 0) {
		sm_log_error(log->component, SM_LOG_LOGGER, "Failed to rename %s to %s: %s",
			     swap_path, first->log_path, strerror(errno));
		pthread_mutex_unlock(&log->lock);
		return SM_ERR__IO;
	}
	for (int k = 1; k < n; k++)
		sm_log_segment_rename_deleted(log->segs[i + k]);
	int needs = 0;
	int64_t truncated = 0;
	err = sm_log_segment_open(log->dir, bases[0], log->cfg.segment_index_bytes,
				  log->cfg.index_interval_bytes, SM_SEG_OPEN_REBUILD, sm_clock_wall_ms(), 0,
				  &seg, &needs);
	if (!err)
		err = sm_log_segment_recover(seg, log->cfg.segment_index_bytes, &truncated);
	if (!err && (sm_index_trim(&seg->oidx) || sm_index_trim(&seg->tidx)))
		err = SM_ERR__IO;
	if (err) {
		/* The old segment objects keep serving reads from their open
		 * files; the next load rebuilds from what is on disk. */
		sm_log_segment_close(seg);
		pthread_mutex_unlock(&log->lock);
		return SM_ERR__IO;
	}
	/* the merged segments' aborted transactions move to the cleaned
	 * segment's .txnindex (their markers are kept by the cleaner) */
	int64_t upper = i + n < log->nsegs ? log->segs[i + n]->base_offset : INT64_MAX;
	sm_log_txn_rewrite(log, seg, bases[0], upper);
	pthread_rwlock_wrlock(&log->seg_lock);
	sm_log_segment_t **old = sm_malloc(sizeof(*old) * (size_t)n);
	memcpy(old, log->segs + i, sizeof(*old) * (size_t)n);
	log->segs[i] = seg;
	memmove(log->segs + i + 1, log->segs + i + n,
		sizeof(*log->segs) * (size_t)(log->nsegs - i - n));
	log->nsegs -= n - 1;
	pthread_rwlock_unlock(&log->seg_lock);
	pthread_mutex_unlock(&log->lock);
	sm_log_segment_close(old[0]);
	for (int k = 1; k < n; k++)
		sm_log_segment_delete(old[k]);
	free(old);
	return SM_ERR_NONE;
}

/* ---- moving a log between log dirs (AlterReplicaLogDirs) ---- */

/* The 61-byte v2 header of the batch holding offset; -1 if none. */
static int sm_log_batch_header_at(sm_log_t *log, int64_t offset, uint8_t hdr[61])
{
	sm_log_read_t rd;
	if (sm_log_read(log, offset, 1, 1, INT64_MAX, &rd) || !rd.file)
		return -1;
	ssize_t r = rd.len >= 61 ? pread(rd.file->fd, hdr, 61, rd.pos) : -1;
	sm_fileref_release(rd.file);
	return r == 61 ? 0 : -1;
}

/* 1 when dst's last batch is not the batch src holds at the same offsets
 * (same base offset, last offset delta and CRC): src was truncated and
 * written again since that batch was copied. Kafka's future replica finds
 * that through leader epochs; the batch itself tells it here. */
static int sm_log_copy_diverged(sm_log_t *src, sm_log_t *dst, int64_t dst_leo)
{
	uint8_t a[61], b[61];
	if (dst_leo <= __atomic_load_n(&dst->log_start_offset, __ATOMIC_ACQUIRE))
		return 0;
	if (sm_log_batch_header_at(dst, dst_leo - 1, a))
		return 0; /* nothing to compare (e.g. a fresh segment) */
	if (sm_log_batch_header_at(src, dst_leo - 1, b))
		return 1;
	return memcmp(a, b, 12) || memcmp(a + 17, b + 17, 4) || memcmp(a + 23, b + 23, 4);
}

/* One copy step, src's append lock held or not: batches from dst's log end
 * on, read from src's segments (whole batches, at least one) and appended to
 * dst as a follower would. dst first follows src's truncation and log start
 * offset. */
static sm_err_t sm_log_copy_step(sm_log_t *src, sm_log_t *dst, int32_t max_bytes,
				 int64_t *copied)
{
	*copied = 0;
	int64_t src_leo = __atomic_load_n(&src->leo, __ATOMIC_ACQUIRE);
	int64_t src_start = __atomic_load_n(&src->log_start_offset, __ATOMIC_ACQUIRE);
	int64_t dst_leo = __atomic_load_n(&dst->leo, __ATOMIC_ACQUIRE);
	sm_err_t err;
	if (dst_leo > src_leo || dst_leo < src_start || sm_log_copy_diverged(src, dst, dst_leo)) {
		/* the current log was truncated below the copy or rewritten
		 * since, or its start passed the copy (retention,
		 * DeleteRecords): copy again from its start */
		int64_t to = src_start;
		sm_log_info(dst->component, SM_LOG_LOGGER, "The current log moved away from this "
			    "copy at offset %" PRId64 ": copying again from offset %" PRId64,
			    dst_leo, to);
		pthread_mutex_lock(&dst->lock);
		pthread_rwlock_wrlock(&dst->seg_lock);
		err = sm_log_truncate_fully(dst, to);
		if (!err) {
			__atomic_store_n(&dst->leo, to, __ATOMIC_RELEASE);
			dst->recovery_point = to;
			sm_log_load_producer_state(dst, sm_clock_wall_ms());
		}
		pthread_rwlock_unlock(&dst->seg_lock);
		pthread_mutex_unlock(&dst->lock);
		if (err)
			return err;
		dst_leo = to;
	}
	if (dst_leo == src_leo)
		return SM_ERR_NONE;
	sm_log_read_t rd;
	err = sm_log_read(src, dst_leo, max_bytes, 1, INT64_MAX, &rd);
	if (err || !rd.file)
		return err;
	uint8_t *buf = sm_malloc(rd.len ? rd.len : 1);
	size_t got = 0;
	while (got < rd.len) {
		ssize_t r = pread(rd.file->fd, buf + got, rd.len - got, rd.pos + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	sm_fileref_release(rd.file);
	if (got != rd.len) {
		free(buf);
		return SM_ERR_KAFKA_STORAGE_ERROR;
	}
	err = sm_log_append_follower(dst, buf, rd.len, sm_clock_wall_ms(), NULL);
	free(buf);
	if (!err)
		*copied = (int64_t)rd.len;
	return err;
}

void sm_log_set_cleaning_paused(sm_log_t *log, int paused)
{
	__atomic_store_n(&log->cleaning_paused, paused, __ATOMIC_RELEASE);
}

int sm_log_cleaning_paused(sm_log_t *log)
{
	return __atomic_load_n(&log->cleaning_paused, __ATOMIC_ACQUIRE);
}

sm_err_t sm_log_copy_to(sm_log_t *src, sm_log_t *dst, int32_t max_bytes, int64_t *copied)
{
	if (sm_log_offline(src) || sm_log_offline(dst))
		return SM_ERR_KAFKA_STORAGE_ERROR;
	return sm_log_copy_step(src, dst, max_bytes, copied);
}

/* Copies dir/leader-epoch-checkpoint next to the future log, so that a
 * future promoted at restart keeps the epochs (the partition rewrites it in
 * the new dir right after the swap). */
static void sm_log_copy_epochs(const char *from_dir, const char *to_dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/leader-epoch-checkpoint", from_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	char buf[65536];
	size_t n = 0;
	ssize_t r;
	while (n < sizeof(buf) && ((r = read(fd, buf + n, sizeof(buf) - n)) > 0 ||
				   (r < 0 && errno == EINTR)))
		if (r > 0)
			n += (size_t)r;
	close(fd);
	snprintf(path, sizeof(path), "%s/leader-epoch-checkpoint", to_dir);
	sm_checkpoint_write_file(path, buf, n);
}

sm_err_t sm_log_swap_future(sm_log_t *log, sm_log_t *fut, const char *final_dir,
			    const char *delete_dir)
{
	sm_err_t err = SM_ERR_NONE;
	pthread_mutex_lock(&log->lock);
	if (log->closed || sm_log_offline(log) || sm_log_offline(fut)) {
		err = log->closed ? SM_ERR__STATE : SM_ERR_KAFKA_STORAGE_ERROR;
		goto out;
	}
	/* appends wait on the append lock meanwhile: copy the last batches so
	 * the future log ends exactly where the current one does */
	for (;;) {
		int64_t copied;
		if ((err = sm_log_copy_step(log, fut, 1 << 20, &copied)))
			goto out;
		if (__atomic_load_n(&fut->leo, __ATOMIC_ACQUIRE) == log->leo)
			break;
		if (!copied) {
			err = SM_ERR__STATE;
			goto out;
		}
	}
	/* the future log is flushed and closed before it becomes the log: a
	 * crash from here on finds either the old dir or a complete future */
	sm_log_close(fut);
	if (sm_log_offline(fut)) {
		err = SM_ERR_KAFKA_STORAGE_ERROR;
		goto out;
	}
	sm_log_flush_locked(log, log->leo);
	sm_log_copy_epochs(log->dir, fut->dir);
	if (rename(log->dir, delete_dir) < 0) {
		sm_log_error(log->component, SM_LOG_LOGGER, "Failed to rename %s to %s: %s",
			     log->dir, delete_dir, strerror(errno));
		err = SM_ERR__IO;
		goto out;
	}
	if (rename(fut->dir, final_dir) < 0) {
		sm_log_error(log->component, SM_LOG_LOGGER, "Failed to rename %s to %s: %s",
			     fut->dir, final_dir, strerror(errno));
		if (rename(delete_dir, log->dir) < 0)
			sm_log_write_failed(log, SM_ERR__IO, "restoring the log dir");
		err = SM_ERR__IO;
		goto out;
	}
	sm_log_t *nl;
	err = sm_log_open(final_dir, log->topic, log->partition, &log->cfg, log->leo,
			  log->log_start_offset, 1, &nl);
	if (err) {
		/* put both back: the move failed, the current log goes on */
		if (rename(final_dir, fut->dir) < 0 || rename(delete_dir, log->dir) < 0)
			sm_log_write_failed(log, SM_ERR__IO, "restoring the log dir");
		goto out;
	}
	/* the reopened future log takes the current log's place: every field
	 * that describes the files moves, the offsets and the high watermark stay */
	pthread_rwlock_wrlock(&log->seg_lock);
	pthread_rwlock_wrlock(&log->txn_lock);
#define SM_LOG_SWAP(f) do { __typeof__(log->f) t_ = log->f; log->f = nl->f; nl->f = t_; } while (0)
	SM_LOG_SWAP(segs);
	SM_LOG_SWAP(nsegs);
	SM_LOG_SWAP(segs_cap);
	SM_LOG_SWAP(pending);
	SM_LOG_SWAP(npending);
	SM_LOG_SWAP(pending_cap);
	SM_LOG_SWAP(ps);
	SM_LOG_SWAP(last_snapshot);
	SM_LOG_SWAP(aborted);
	SM_LOG_SWAP(naborted);
	SM_LOG_SWAP(aborted_cap);
#undef SM_LOG_SWAP
	free(log->prev_dir);
	log->prev_dir = log->dir;
	__atomic_store_n(&log->dir, sm_strdup(final_dir), __ATOMIC_RELEASE);
	free(nl->dir);
	nl->dir = sm_strdup(delete_dir);
	snprintf(log->component, sizeof(log->component), "Log partition=%s-%d, dir=%s",
		 log->topic, (int)log->partition, final_dir);
	__atomic_store_n(&log->recovery_point, log->leo, __ATOMIC_RELEASE);
	log->trunc_gen++; /* every segment was replaced */
	pthread_rwlock_unlock(&log->txn_lock);
	pthread_rwlock_unlock(&log->seg_lock);
	sm_log_info(log->component, SM_LOG_LOGGER, "Replaced the log in %s with its future "
		    "log at log end offset %" PRId64, delete_dir, log->leo);
	pthread_mutex_unlock(&log->lock);
	/* frees the old segments (their files stay readable by in-flight reads
	 * holding a file reference); the caller removes delete_dir */
	sm_log_release(nl);
	return SM_ERR_NONE;
out:
	pthread_mutex_unlock(&log->lock);
	return err;
}
