/*
 * log_cleaner.c - log compaction (Kafka's kafka.log.LogCleaner, Cleaner,
 * LogCleanerManager and SkimpyOffsetMap).
 *
 * One cleaning of a log, as in Kafka:
 *   1. first dirty offset = checkpoint (clamped to the log start offset);
 *      first uncleanable offset = the active segment's base, or the first
 *      segment younger than min.compaction.lag.ms;
 *   2. the offset map is filled with key -> latest offset over the dirty
 *      section; when it fills up, cleaning stops at the last mapped offset;
 *   3. every segment below the map's end is rewritten, in groups whose total
 *      size fits one segment: a record survives when its key's latest offset
 *      is not later than its own and it is not a tombstone past the delete
 *      horizon; batches of aborted transactions (the log's .txnindex
 *      entries) are left out of the map and discarded, end-transaction
 *      markers are always kept, and nothing at or above the first unstable
 *      offset (an open or unreplicated transaction) is cleaned; a batch whose records all survive is copied byte for byte,
 *      otherwise it is rebuilt with its original codec, base offset, last
 *      offset and producer fields; an idempotent producer's last batch keeps
 *      an empty header so its sequence state survives;
 *   4. each group is written to <base>.log.cleaned, renamed .swap and
 *      swapped into the log (sm_log_replace_segments), then the checkpoint
 *      moves to the map's end.
 * Thread-safety: see log_cleaner.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "log_cleaner.h"

#include <errno.h>
#include <float.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "checkpoint.h"
#include "clock.h"
#include "logger.h"
#include "record_batch.h"
#include "thread_role.h"
#include "throttler.h"

#define SM_LC_LOGGER "kafka.log.LogCleaner"
#define SM_LC_CHECKPOINT "cleaner-offset-checkpoint"
#define SM_LC_WINDOW (1u << 20)
#define SM_LC_MAX_BATCH (64u << 20)

/* ---- MD5 (RFC 1321) ---- */

static const uint32_t sm_md5_k[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee,
	0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
	0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
	0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
	0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa,
	0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
	0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
	0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
	0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
	0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05,
	0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039,
	0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
	0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

static const uint8_t sm_md5_r[16] = { 7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21 };

static void sm_md5_block(uint32_t h[4], const uint8_t *p)
{
	uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[i * 4] | (uint32_t)p[i * 4 + 1] << 8 |
		       (uint32_t)p[i * 4 + 2] << 16 | (uint32_t)p[i * 4 + 3] << 24;
	for (int i = 0; i < 64; i++) {
		uint32_t f;
		int g, round = i / 16;
		if (round == 0) {
			f = (b & c) | (~b & d);
			g = i;
		} else if (round == 1) {
			f = (d & b) | (~d & c);
			g = (5 * i + 1) % 16;
		} else if (round == 2) {
			f = b ^ c ^ d;
			g = (3 * i + 5) % 16;
		} else {
			f = c ^ (b | ~d);
			g = (7 * i) % 16;
		}
		uint32_t s = sm_md5_r[round * 4 + i % 4];
		uint32_t t = a + f + sm_md5_k[i] + w[g];
		a = d;
		d = c;
		c = b;
		b = b + ((t << s) | (t >> (32 - s)));
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
}

void sm_md5(const void *data, size_t len, uint8_t out[16])
{
	uint32_t h[4] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 };
	const uint8_t *p = data;
	size_t n = len;
	for (; n >= 64; n -= 64, p += 64)
		sm_md5_block(h, p);
	uint8_t tail[128] = { 0 };
	if (n)
		memcpy(tail, p, n);
	tail[n] = 0x80;
	size_t tlen = n + 1 + 8 <= 64 ? 64 : 128;
	uint64_t bits = (uint64_t)len * 8;
	for (int i = 0; i < 8; i++)
		tail[tlen - 8 + i] = (uint8_t)(bits >> (8 * i));
	sm_md5_block(h, tail);
	if (tlen == 128)
		sm_md5_block(h, tail + 64);
	for (int i = 0; i < 16; i++)
		out[i] = (uint8_t)(h[i / 4] >> (8 * (i % 4)));
}

/* ---- offset map ---- */

typedef struct sm_om_slot {
	uint8_t hash[16];
	int64_t offset; /* -1: empty */
} sm_om_slot_t;

struct sm_offset_map {
	sm_om_slot_t *slots;
	uint32_t nslots;
	int size;
	int max_entries;
};

sm_offset_map_t *sm_offset_map_new(size_t memory, double load_factor)
{
	sm_offset_map_t *m = sm_calloc(1, sizeof(*m));
	size_t n = memory / sizeof(sm_om_slot_t);
	if (n < 1024)
		n = 1024;
	if (n > (1u << 30))
		n = 1u << 30;
	if (load_factor <= 0 || load_factor > 1)
		load_factor = 0.9;
	m->nslots = (uint32_t)n;
	m->max_entries = (int)((double)n * load_factor);
	if (m->max_entries < 1)
		m->max_entries = 1;
	m->slots = sm_malloc(n * sizeof(*m->slots));
	sm_offset_map_clear(m);
	return m;
}

void sm_offset_map_destroy(sm_offset_map_t *m)
{
	if (!m)
		return;
	free(m->slots);
	free(m);
}

void sm_offset_map_clear(sm_offset_map_t *m)
{
	for (uint32_t i = 0; i < m->nslots; i++)
		m->slots[i].offset = -1;
	m->size = 0;
}

/* Slot holding hash, or the empty slot where it would go. Probing starts at
 * the digest's first word and steps by an odd-derived stride so that slots
 * sharing a start diverge. */
static sm_om_slot_t *sm_om_find(const sm_offset_map_t *m, const uint8_t hash[16])
{
	uint64_t h1 = sm_be64(hash), h2 = sm_be64(hash + 8);
	uint64_t pos = h1 % m->nslots, step = 1 + h2 % (m->nslots - 1 ? m->nslots - 1 : 1);
	for (uint32_t probe = 0; probe < m->nslots; probe++) {
		sm_om_slot_t *s = &m->slots[pos];
		if (s->offset < 0 || !memcmp(s->hash, hash, 16))
			return s;
		pos = (pos + step) % m->nslots;
	}
	return NULL;
}

int sm_offset_map_put(sm_offset_map_t *m, const void *key, size_t len, int64_t offset)
{
	uint8_t hash[16];
	sm_md5(key, len, hash);
	sm_om_slot_t *s = sm_om_find(m, hash);
	if (s && s->offset >= 0) {
		if (offset > s->offset)
			s->offset = offset;
		return 0;
	}
	if (!s || m->size >= m->max_entries)
		return -1;
	memcpy(s->hash, hash, 16);
	s->offset = offset;
	m->size++;
	return 0;
}

int64_t sm_offset_map_get(const sm_offset_map_t *m, const void *key, size_t len)
{
	uint8_t hash[16];
	sm_md5(key, len, hash);
	const sm_om_slot_t *s = sm_om_find(m, hash);
	return s ? s->offset : -1;
}

int sm_offset_map_size(const sm_offset_map_t *m)
{
	return m->size;
}

int sm_offset_map_capacity(const sm_offset_map_t *m)
{
	return m->max_entries;
}

/* ---- segment reader: whole batches out of an inactive segment ---- */

typedef struct sm_lc_reader {
	int fd;
	int64_t limit;   /* segment size */
	int64_t pos;     /* file position of the next batch */
	int64_t win_pos; /* file position of win[0] */
	size_t win_len;
	uint8_t *win;
	size_t win_cap;
} sm_lc_reader_t;

static void sm_lc_reader_init(sm_lc_reader_t *r, int fd, int64_t limit)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->limit = limit;
	r->win_cap = SM_LC_WINDOW;
	r->win = sm_malloc(r->win_cap);
}

static int sm_lc_reader_fill(sm_lc_reader_t *r, size_t need)
{
	if (need > r->win_cap) {
		r->win_cap = need;
		r->win = sm_realloc(r->win, r->win_cap);
	}
	size_t want = r->win_cap;
	if ((int64_t)want > r->limit - r->pos)
		want = (size_t)(r->limit - r->pos);
	size_t got = 0;
	while (got < want) {
		ssize_t n = pread(r->fd, r->win + got, want - got, (off_t)(r->pos + (int64_t)got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	r->win_pos = r->pos;
	r->win_len = got;
	return got >= need ? 0 : -1;
}

/* Next whole batch: 1 with *p and *len set, 0 at the end, -1 on a torn or
 * impossible entry (*why says which). */
static int sm_lc_reader_next(sm_lc_reader_t *r, const uint8_t **p, size_t *len, const char **why)
{
	if (r->pos >= r->limit)
		return 0;
	int64_t in = r->pos - r->win_pos;
	if (r->win_len == 0 || in < 0 || in + SM_LOG_OVERHEAD > (int64_t)r->win_len) {
		if (sm_lc_reader_fill(r, SM_LOG_OVERHEAD)) {
			*why = "segment ends inside a batch header";
			return -1;
		}
		in = 0;
	}
	int32_t blen = (int32_t)sm_be32(r->win + in + 8);
	if (blen < 49 || (uint32_t)blen > SM_LC_MAX_BATCH) {
		*why = "impossible batch length";
		return -1;
	}
	size_t total = (size_t)blen + SM_LOG_OVERHEAD;
	if (in + (int64_t)total > (int64_t)r->win_len) {
		if (sm_lc_reader_fill(r, total)) {
			*why = "segment ends inside a batch";
			return -1;
		}
		in = 0;
	}
	*p = r->win + in;
	*len = total;
	r->pos += (int64_t)total;
	return 1;
}

static void sm_lc_reader_destroy(sm_lc_reader_t *r)
{
	free(r->win);
}

/* ---- the cleaner object ---- */

typedef struct sm_lc_dir_ckpt {
	char *path; /* log dir */
	sm_checkpoint_t cp;
} sm_lc_dir_ckpt_t;

struct sm_log_cleaner {
	sm_log_cleaner_config_t cfg;
	sm_log_manager_t *lm;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop;
	pthread_t *threads;
	int nthreads;
	sm_lc_dir_ckpt_t *dirs; /* checkpoints by log dir, loaded on first use */
	int ndirs;
	sm_log_t **in_progress;
	int n_in_progress;
	char **uncleanable; /* "<dir>" of logs that failed with corruption */
	int n_uncleanable;
	/* log.cleaner.io.max.bytes.per.second over every thread's reads and
	 * writes, as Kafka's one Throttler shared by its cleaner threads */
	sm_throttler_t throttler;
};

/* Kafka's cleaner checks its rate every 300 ms. */
#define SM_LC_THROTTLE_CHECK_MS 300

void sm_log_cleaner_config_defaults(sm_log_cleaner_config_t *cfg)
{
	cfg->enable = 1;
	cfg->threads = 1;
	cfg->dedupe_buffer_size = 128LL * 1024 * 1024;
	cfg->io_buffer_load_factor = 0.9;
	cfg->backoff_ms = 15000;
	cfg->io_max_bytes_per_second = DBL_MAX;
}

sm_log_cleaner_t *sm_log_cleaner_new(const sm_log_cleaner_config_t *cfg, sm_log_manager_t *lm)
{
	sm_log_cleaner_t *lc = sm_calloc(1, sizeof(*lc));
	lc->cfg = *cfg;
	if (lc->cfg.threads < 1)
		lc->cfg.threads = 1;
	lc->lm = lm;
	pthread_mutex_init(&lc->lock, NULL);
	pthread_cond_init(&lc->cond, NULL);
	sm_throttler_init(&lc->throttler, cfg->io_max_bytes_per_second, SM_LC_THROTTLE_CHECK_MS,
			  sm_clock_mono_ms());
	return lc;
}

void sm_log_cleaner_destroy(sm_log_cleaner_t *lc)
{
	if (!lc)
		return;
	sm_log_cleaner_shutdown(lc);
	for (int i = 0; i < lc->ndirs; i++) {
		free(lc->dirs[i].path);
		sm_checkpoint_clear(&lc->dirs[i].cp);
	}
	free(lc->dirs);
	free(lc->in_progress);
	for (int i = 0; i < lc->n_uncleanable; i++)
		free(lc->uncleanable[i]);
	free(lc->uncleanable);
	pthread_mutex_destroy(&lc->lock);
	pthread_cond_destroy(&lc->cond);
	sm_throttler_destroy(&lc->throttler);
	free(lc);
}

/* The log dir holding a partition directory. Caller frees. */
static char *sm_lc_parent(sm_log_t *log)
{
	char *copy = sm_strdup(sm_log_dir(log));
	char *parent = sm_strdup(dirname(copy));
	free(copy);
	return parent;
}

/* Checkpoint of the log dir, read from disk the first time. Caller holds
 * lc->lock. */
static sm_lc_dir_ckpt_t *sm_lc_dir(sm_log_cleaner_t *lc, const char *parent)
{
	SM_ASSERT_HELD(&lc->lock);
	for (int i = 0; i < lc->ndirs; i++)
		if (!strcmp(lc->dirs[i].path, parent))
			return &lc->dirs[i];
	lc->dirs = sm_realloc(lc->dirs, sizeof(*lc->dirs) * (size_t)(lc->ndirs + 1));
	sm_lc_dir_ckpt_t *d = &lc->dirs[lc->ndirs++];
	d->path = sm_strdup(parent);
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", parent, SM_LC_CHECKPOINT);
	if (sm_checkpoint_read(path, &d->cp))
		sm_log(SM_LOGFILE_CLEANER, SM_LOG_WARN, NULL, SM_LC_LOGGER,
		       "Ignoring unreadable %s; compacted logs will be cleaned from their start",
		       path);
	return d;
}

int64_t sm_log_cleaner_first_dirty(sm_log_cleaner_t *lc, sm_log_t *log)
{
	char *parent = sm_lc_parent(log);
	pthread_mutex_lock(&lc->lock);
	int64_t v = sm_checkpoint_get(&sm_lc_dir(lc, parent)->cp, sm_log_topic(log),
				      sm_log_partition(log), -1);
	pthread_mutex_unlock(&lc->lock);
	free(parent);
	return v;
}

static void sm_lc_checkpoint_update(sm_log_cleaner_t *lc, sm_log_t *log, int64_t offset)
{
	char *parent = sm_lc_parent(log);
	pthread_mutex_lock(&lc->lock);
	sm_lc_dir_ckpt_t *d = sm_lc_dir(lc, parent);
	const char *topic = sm_log_topic(log);
	int32_t partition = sm_log_partition(log);
	int found = 0;
	for (int i = 0; i < d->cp.cnt; i++)
		if (d->cp.entries[i].partition == partition && !strcmp(d->cp.entries[i].topic, topic)) {
			d->cp.entries[i].offset = offset;
			found = 1;
		}
	if (!found)
		sm_checkpoint_add(&d->cp, topic, partition, offset);
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", parent, SM_LC_CHECKPOINT);
	if (sm_checkpoint_write(path, &d->cp))
		sm_log(SM_LOGFILE_CLEANER, SM_LOG_ERROR, NULL, SM_LC_LOGGER,
		       "Failed to write %s", path);
	pthread_mutex_unlock(&lc->lock);
	free(parent);
}

/* ---- one cleaning ---- */

typedef struct sm_lc_pid {
	int64_t pid;
	int64_t last_base; /* base offset of its latest batch in the dirty section */
} sm_lc_pid_t;

typedef struct sm_lc_job {
	int id;
	sm_log_cleaner_t *lc;
	sm_log_t *log;
	char name[300]; /* "<topic>-<partition>" */
	sm_log_config_t cfg;
	sm_log_seg_view_t *v;
	int nv;
	int64_t first_dirty;
	int64_t first_uncleanable;
	int64_t end; /* map covers [first_dirty, end) */
	int64_t delete_horizon_ms;
	sm_offset_map_t *map;
	sm_lc_pid_t *pids;
	int npids;
	int cap_pids;
	sm_log_aborted_txn_t *aborted; /* the log's aborted transactions */
	int naborted;
	sm_wbuf_t out;  /* cleaned bytes not yet written */
	sm_wbuf_t recs; /* records of the batch being rebuilt */
	sm_log_clean_stats_t st;
} sm_lc_job_t;

/* Sleeps as log.cleaner.io.max.bytes.per.second asks after bytes of I/O;
 * a stopping cleaner is not held. Tests without a cleaner object skip it. */
static void sm_lc_throttle(sm_lc_job_t *j, double bytes)
{
	if (j->lc)
		sm_throttler_maybe_throttle(&j->lc->throttler, bytes, &j->lc->stop);
}

/* Whether a data batch belongs to an aborted transaction (Kafka's
 * AbortedTransactionMetadata): transactional, and its producer has an
 * aborted transaction spanning its base offset. */
static int sm_lc_aborted(const sm_lc_job_t *j, const sm_batch_hdr_t *h)
{
	if (!sm_batch_is_transactional(h) || sm_batch_is_control(h) || h->producer_id < 0)
		return 0;
	for (int i = 0; i < j->naborted; i++)
		if (j->aborted[i].pid == h->producer_id &&
		    j->aborted[i].first_offset <= h->base_offset &&
		    h->base_offset <= j->aborted[i].last_offset)
			return 1;
	return 0;
}

static sm_lc_pid_t *sm_lc_pid_find(sm_lc_job_t *j, int64_t pid)
{
	for (int i = 0; i < j->npids; i++)
		if (j->pids[i].pid == pid)
			return &j->pids[i];
	return NULL;
}

static void sm_lc_pid_note(sm_lc_job_t *j, int64_t pid, int64_t base)
{
	sm_lc_pid_t *e = sm_lc_pid_find(j, pid);
	if (!e) {
		if (j->npids == j->cap_pids) {
			j->cap_pids = j->cap_pids ? j->cap_pids * 2 : 16;
			j->pids = sm_realloc(j->pids, sizeof(*j->pids) * (size_t)j->cap_pids);
		}
		e = &j->pids[j->npids++];
		e->pid = pid;
		e->last_base = base;
	}
	if (base > e->last_base)
		e->last_base = base;
}

/* Adds the keys of one dirty segment to the map. *full when the map ran out
 * of room: j->end is then the first offset not mapped. */
static sm_err_t sm_lc_map_segment(sm_lc_job_t *j, const sm_log_seg_view_t *v, int *full)
{
	sm_lc_reader_t r;
	sm_err_t err = SM_ERR_NONE;
	const uint8_t *p;
	size_t len;
	const char *why = NULL;
	int rc = 0;
	sm_lc_reader_init(&r, v->file->fd, v->size);
	while (!*full && (rc = sm_lc_reader_next(&r, &p, &len, &why)) > 0) {
		sm_lc_throttle(j, (double)len);
		sm_batch_hdr_t h;
		sm_batch_hdr_parse(p, len, &h);
		if (h.magic != SM_BATCH_MAGIC || sm_batch_last_offset(&h) < j->first_dirty)
			continue;
		if (h.base_offset >= j->first_uncleanable)
			break;
		if (h.producer_id >= 0)
			sm_lc_pid_note(j, h.producer_id, h.base_offset);
		if (sm_batch_is_control(&h) || sm_lc_aborted(j, &h))
			continue;
		sm_batch_iter_t it;
		sm_record_t rec;
		int n = 0;
		err = sm_batch_iter_init(&it, p, len, 0);
		it.skip_values = 1; /* the offset map needs keys only */
		while (!err && (n = sm_batch_iter_next(&it, &rec)) > 0) {
			if (rec.offset < j->first_dirty || rec.offset >= j->first_uncleanable ||
			    rec.key_len < 0)
				continue;
			if (sm_offset_map_put(j->map, rec.key, (size_t)rec.key_len, rec.offset)) {
				j->end = rec.offset;
				*full = 1;
				break;
			}
		}
		if (!err && !*full && n < 0)
			err = SM_ERR_CORRUPT_MESSAGE;
		sm_batch_iter_destroy(&it);
		if (err)
			break;
	}
	if (!err && rc < 0 && !*full) {
		sm_log(SM_LOGFILE_CLEANER, SM_LOG_ERROR, NULL, SM_LC_LOGGER,
		       "Cleaner %d: %s at byte %" PRId64 " of segment %" PRId64 " of log %s", j->id,
		       why, r.pos, v->base_offset, j->name);
		err = SM_ERR_CORRUPT_MESSAGE;
	}
	sm_lc_reader_destroy(&r);
	return err;
}

static sm_err_t sm_lc_build_map(sm_lc_job_t *j)
{
	int full = 0, nsegs = 0;
	j->end = j->first_uncleanable;
	for (int i = 0; i < j->nv && !full; i++) {
		if (j->v[i].base_offset >= j->first_uncleanable)
			break;
		if (j->v[i].next_base <= j->first_dirty)
			continue;
		nsegs++;
		sm_err_t err = sm_lc_map_segment(j, &j->v[i], &full);
		if (err)
			return err;
	}
	sm_log(SM_LOGFILE_CLEANER, SM_LOG_INFO, NULL, SM_LC_LOGGER,
	       "Cleaner %d: Building offset map for log %s for %d segments in offset range [%" PRId64
	       ", %" PRId64 ").", j->id, j->name, nsegs, j->first_dirty, j->end);
	sm_log(SM_LOGFILE_CLEANER, SM_LOG_INFO, NULL, SM_LC_LOGGER,
	       "Cleaner %d: Offset map for log %s complete.", j->id, j->name);
	return SM_ERR_NONE;
}

/* Kafka's shouldRetainRecord. */
static int sm_lc_retain(sm_lc_job_t *j, const sm_record_t *rec, int retain_deletes)
{
	if (rec->offset >= j->end)
		return 1; /* beyond what the map knows */
	if (rec->key_len < 0)
		return 0;
	int64_t latest = sm_offset_map_get(j->map, rec->key, (size_t)rec->key_len);
	if (latest > rec->offset)
		return 0;
	return rec->value_len >= 0 || retain_deletes;
}

/* An idempotent producer's last batch keeps its header even when empty, so
 * the producer's sequence numbers still line up after cleaning. */
static int sm_lc_keep_empty(sm_lc_job_t *j, const sm_batch_hdr_t *h)
{
	if (h->producer_id < 0)
		return 0;
	sm_lc_pid_t *e = sm_lc_pid_find(j, h->producer_id);
	return !e || e->last_base == h->base_offset;
}

static void sm_lc_write_rebuilt(sm_lc_job_t *j, const sm_batch_hdr_t *h, int32_t kept,
				int64_t max_ts)
{
	sm_batch_build_opts_t o;
	sm_batch_build_opts_init(&o);
	o.codec = kept ? sm_batch_codec(h) : SM_CODEC_NONE;
	o.base_offset = h->base_offset;
	o.base_timestamp = kept ? h->base_timestamp : h->max_timestamp;
	o.partition_leader_epoch = h->partition_leader_epoch;
	o.producer_id = h->producer_id;
	o.producer_epoch = h->producer_epoch;
	o.base_sequence = h->base_sequence;
	o.transactional = sm_batch_is_transactional(h);
	o.log_append_time = sm_batch_is_log_append_time(h);
	if (o.log_append_time || !kept)
		max_ts = h->max_timestamp;
	static const uint8_t none[1];
	sm_batch_write(&j->out, &o, kept ? j->recs.p : none, kept ? j->recs.len : 0, kept,
		       h->last_offset_delta, max_ts);
}

/* Filters one stored batch into j->out. */
static sm_err_t sm_lc_filter_batch(sm_lc_job_t *j, const uint8_t *p, size_t len, int retain_deletes)
{
	sm_batch_hdr_t h;
	sm_batch_hdr_parse(p, len, &h);
	if (h.magic != SM_BATCH_MAGIC || sm_batch_is_control(&h)) {
		/* Markers are kept (Kafka removes them past the delete horizon
		 * once their transaction's data is gone: docs/deviations.md). */
		sm_wbuf_append(&j->out, p, len);
		return SM_ERR_NONE;
	}
	if (sm_lc_aborted(j, &h)) {
		/* aborted data goes; the producer's last batch keeps its header */
		j->st.records_read += h.record_count > 0 ? h.record_count : 0;
		if (sm_lc_keep_empty(j, &h))
			sm_lc_write_rebuilt(j, &h, 0, SM_NO_TIMESTAMP);
		return SM_ERR_NONE;
	}
	sm_batch_iter_t it;
	sm_record_t rec;
	int32_t seen = 0, kept = 0;
	int64_t max_ts = SM_NO_TIMESTAMP;
	int n = 0;
	sm_wbuf_reset(&j->recs);
	sm_err_t err = sm_batch_iter_init(&it, p, len, 0);
	while (!err && (n = sm_batch_iter_next(&it, &rec)) > 0) {
		seen++;
		if (!sm_lc_retain(j, &rec, retain_deletes))
			continue;
		kept++;
		if (rec.timestamp > max_ts)
			max_ts = rec.timestamp;
		sm_batch_record_write(&j->recs, (int32_t)(rec.offset - h.base_offset),
				      (int64_t)((uint64_t)rec.timestamp - (uint64_t)h.base_timestamp),
				      rec.key, rec.key_len, rec.value, rec.value_len, rec.headers,
				      rec.header_count);
	}
	sm_batch_iter_destroy(&it);
	if (err || n < 0)
		return SM_ERR_CORRUPT_MESSAGE;
	j->st.records_read += seen;
	j->st.records_retained += kept;
	if (kept == seen)
		sm_wbuf_append(&j->out, p, len);
	else if (kept > 0 || sm_lc_keep_empty(j, &h))
		sm_lc_write_rebuilt(j, &h, kept, max_ts);
	return SM_ERR_NONE;
}

static int sm_lc_write_all(int fd, sm_wbuf_t *w)
{
	size_t off = 0;
	while (off < w->len) {
		ssize_t n = write(fd, w->p + off, w->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	sm_wbuf_reset(w);
	return 0;
}

/* A failed cleaner write: no space (ENOSPC, EDQUOT) is retried once the dir
 * has room again; anything else makes the log uncleanable. */
static sm_err_t sm_lc_io_err(void)
{
	return errno == ENOSPC || errno == EDQUOT ? SM_ERR__NOSPACE : SM_ERR__IO;
}

static sm_err_t sm_lc_clean_segment(sm_lc_job_t *j, const sm_log_seg_view_t *v, int fd)
{
	int retain_deletes = v->last_modified_ms > j->delete_horizon_ms;
	sm_log(SM_LOGFILE_CLEANER, SM_LOG_INFO, NULL, SM_LC_LOGGER,
	       "Cleaner %d: Cleaning LogSegment(baseOffset=%" PRId64 ", size=%" PRId64
	       ", lastModifiedTime=%" PRId64 ", largestTime=%" PRId64 ") in log %s with deletion "
	       "horizon %" PRId64 ", %s deletes.", j->id, v->base_offset, v->size,
	       v->last_modified_ms, v->largest_timestamp, j->name, j->delete_horizon_ms,
	       retain_deletes ? "retaining" : "discarding");
	sm_lc_reader_t r;
	const uint8_t *p;
	size_t len;
	const char *why = NULL;
	sm_err_t err = SM_ERR_NONE;
	int rc = 0;
	sm_lc_reader_init(&r, v->file->fd, v->size);
	while (!err && (rc = sm_lc_reader_next(&r, &p, &len, &why)) > 0) {
		if (sm_batch_verify(p, len)) {
			why = "CRC or framing mismatch";
			rc = -1;
			break;
		}
		size_t out0 = j->out.len;
		err = sm_lc_filter_batch(j, p, len, retain_deletes);
		/* bytes read plus bytes this batch adds to the cleaned file */
		sm_lc_throttle(j, (double)len + (double)(j->out.len > out0 ? j->out.len - out0 : 0));
		if (!err && j->out.len >= SM_LC_WINDOW && sm_lc_write_all(fd, &j->out))
			err = sm_lc_io_err();
	}
	if (!err && rc < 0)
		err = SM_ERR_CORRUPT_MESSAGE;
	if (err == SM_ERR_CORRUPT_MESSAGE)
		sm_log(SM_LOGFILE_CLEANER, SM_LOG_ERROR, NULL, SM_LC_LOGGER,
		       "Cleaner %d: corrupt batch at byte %" PRId64 " of segment %" PRId64
		       " of log %s (%s)", j->id, r.pos, v->base_offset, j->name,
		       why ? why : "bad records");
	j->st.bytes_read += v->size;
	sm_lc_reader_destroy(&r);
	return err;
}

/* Writes segments v[from..to) into one cleaned file and swaps it in. */
static sm_err_t sm_lc_clean_group(sm_lc_job_t *j, int from, int to)
{
	char cleaned[4096], swap[4096];
	const char *dir = sm_log_dir(j->log);
	snprintf(cleaned, sizeof(cleaned), "%s/%020" PRId64 ".log.cleaned", dir, j->v[from].base_offset);
	snprintf(swap, sizeof(swap), "%s/%020" PRId64 ".log.swap", dir, j->v[from].base_offset);
	int fd = open(cleaned, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		sm_log(SM_LOGFILE_CLEANER, SM_LOG_ERROR, NULL, SM_LC_LOGGER,
		       "Cleaner %d: cannot create %s: %s", j->id, cleaned, strerror(errno));
		return sm_lc_io_err();
	}
	sm_err_t err = SM_ERR_NONE;
	for (int i = from; i < to && !err; i++)
		err = sm_lc_clean_segment(j, &j->v[i], fd);
	int64_t written = err ? 0 : (int64_t)j->out.len + (int64_t)lseek(fd, 0, SEEK_CUR);
	if (!err && (sm_lc_write_all(fd, &j->out) || fsync(fd) < 0))
		err = sm_lc_io_err();
	if (err == SM_ERR__NOSPACE)
		sm_log(SM_LOGFILE_CLEANER, SM_LOG_WARN, NULL, SM_LC_LOGGER,
		       "Cleaner %d: no space left in %s for the cleaned segment of log %s; "
		       "cleaning is retried later", j->id, dir, j->name);
	/* The cleaned segment inherits the last replaced segment's mtime: the
	 * delete horizon of later cleanings is measured from it. */
	int64_t mt = j->v[to - 1].last_modified_ms;
	struct timespec ts[2] = { { mt / 1000, (mt % 1000) * 1000000 },
				  { mt / 1000, (mt % 1000) * 1000000 } };
	if (!err)
		futimens(fd, ts);
	close(fd);
	sm_wbuf_reset(&j->out);
	if (!err && rename(cleaned, swap) < 0)
		err = SM_ERR__IO;
	if (err) {
		unlink(cleaned);
		return err;
	}
	int64_t *bases = sm_malloc(sizeof(*bases) * (size_t)(to - from));
	for (int i = from; i < to; i++)
		bases[i - from] = j->v[i].base_offset;
	sm_log(SM_LOGFILE_CLEANER, SM_LOG_INFO, NULL, SM_LC_LOGGER,
	       "Cleaner %d: Swapping in cleaned segment LogSegment(baseOffset=%" PRId64
	       ", size=%" PRId64 ") for %d segment(s) in log %s", j->id, bases[0], written,
	       to - from, j->name);
	err = sm_log_replace_segments(j->log, bases, to - from, swap);
	free(bases);
	if (err) {
		unlink(swap);
		return err;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	j->st.bytes_written += written;
	j->st.segments_in += to - from;
	j->st.segments_out++;
	return SM_ERR_NONE;
}

/* Kafka's groupSegmentsBySize: consecutive segments below the map's end
 * whose total fits one segment and whose offsets fit the 32-bit relative
 * offsets of one index. */
static sm_err_t sm_lc_clean_segments(sm_lc_job_t *j)
{
	int n = 0;
	while (n < j->nv && j->v[n].base_offset < j->end)
		n++;
	for (int from = 0; from < n;) {
		int to = from + 1;
		int64_t size = j->v[from].size;
		while (to < n && size + j->v[to].size <= j->cfg.segment_bytes &&
		       j->v[to].next_base - 1 - j->v[from].base_offset <= INT32_MAX) {
			size += j->v[to].size;
			to++;
		}
		sm_err_t err = sm_lc_clean_group(j, from, to);
		if (err)
			return err;
		from = to;
	}
	return SM_ERR_NONE;
}

/* First dirty and first uncleanable offsets; 0 when there is nothing to do. */
static int sm_lc_bounds(sm_log_cleaner_t *lc, sm_lc_job_t *j, int64_t now_ms)
{
	int64_t start = sm_log_start_offset(j->log), leo = sm_log_end_offset(j->log);
	int64_t fd = sm_log_cleaner_first_dirty(lc, j->log);
	if (fd < start || fd > leo)
		fd = start;
	j->first_dirty = fd;
	j->first_uncleanable = j->nv ? j->v[j->nv - 1].next_base : fd;
	/* as Kafka: never past the first unstable offset (open transactions,
	 * and completed ones whose marker is not replicated yet), from the
	 * start of the segment holding it */
	int64_t fu = sm_log_first_unstable_offset(j->log);
	for (int i = 0; i < j->nv; i++)
		if (j->v[i].next_base > fu) {
			if (j->v[i].base_offset < j->first_uncleanable)
				j->first_uncleanable = j->v[i].base_offset;
			break;
		}
	if (j->cfg.min_compaction_lag_ms > 0)
		for (int i = 0; i < j->nv; i++)
			if (j->v[i].largest_timestamp > now_ms - j->cfg.min_compaction_lag_ms) {
				if (j->v[i].base_offset < j->first_uncleanable)
					j->first_uncleanable = j->v[i].base_offset;
				break;
			}
	return j->first_dirty < j->first_uncleanable;
}

/* Dirty ratio of the cleanable part: dirty / (clean + dirty) bytes. */
static double sm_lc_dirty_ratio(const sm_lc_job_t *j)
{
	int64_t clean = 0, dirty = 0;
	for (int i = 0; i < j->nv; i++) {
		if (j->v[i].base_offset >= j->first_uncleanable)
			break;
		if (j->v[i].next_base <= j->first_dirty)
			clean += j->v[i].size;
		else
			dirty += j->v[i].size;
	}
	return clean + dirty ? (double)dirty / (double)(clean + dirty) : 0.0;
}

/* Bytes the cleaner would read: the segments from the one holding the
 * first dirty offset up to the first uncleanable one (Kafka's
 * calculateCleanableBytes). */
static int64_t sm_lc_cleanable_bytes(const sm_lc_job_t *j)
{
	int64_t n = 0;
	for (int i = 0; i < j->nv && j->v[i].base_offset < j->first_uncleanable; i++)
		if (j->v[i].next_base > j->first_dirty)
			n += j->v[i].size;
	return n;
}

/* Kafka's LogCleanerManager.maxCompactionDelay: how long ago the earliest
 * first-batch timestamp of the dirty inactive segments passed
 * max.compaction.lag.ms; 0 when none has (or none has a timestamp). */
static int64_t sm_lc_max_compaction_delay(const sm_lc_job_t *j, int64_t now_ms)
{
	int64_t earliest = INT64_MAX;
	for (int i = 0; i < j->nv; i++)
		if (j->v[i].next_base > j->first_dirty && j->v[i].first_batch_timestamp > 0 &&
		    j->v[i].first_batch_timestamp < earliest)
			earliest = j->v[i].first_batch_timestamp;
	int64_t lag = j->cfg.max_compaction_lag_ms > 0 ? j->cfg.max_compaction_lag_ms : 0;
	/* now_ms >= 0 and lag >= 0: no overflow */
	int64_t clean_until = now_ms - lag;
	return earliest < clean_until ? clean_until - earliest : 0;
}

static void sm_lc_job_init(sm_lc_job_t *j, int id, sm_log_t *log)
{
	memset(j, 0, sizeof(*j));
	j->id = id;
	j->log = log;
	snprintf(j->name, sizeof(j->name), "%s-%d", sm_log_topic(log), (int)sm_log_partition(log));
	sm_log_get_config(log, &j->cfg);
	j->nv = sm_log_cleanable_segments(log, &j->v);
	j->naborted = sm_log_collect_aborted(log, 0, INT64_MAX, &j->aborted);
}

static void sm_lc_job_destroy(sm_lc_job_t *j)
{
	sm_log_seg_views_free(j->v, j->nv);
	sm_offset_map_destroy(j->map);
	free(j->pids);
	free(j->aborted);
	sm_wbuf_free(&j->out);
	sm_wbuf_free(&j->recs);
}

/* Map memory for this cleaning: the thread's share of the dedupe buffer,
 * but no more than the dirty bytes could need (a record takes at least 8
 * bytes), so a small log does not clear 128 MiB. */
static size_t sm_lc_map_memory(sm_log_cleaner_t *lc, const sm_lc_job_t *j)
{
	int64_t share = lc->cfg.dedupe_buffer_size / lc->cfg.threads, dirty = 0;
	for (int i = 0; i < j->nv; i++)
		if (j->v[i].next_base > j->first_dirty &&
		    j->v[i].base_offset < j->first_uncleanable)
			dirty += j->v[i].size;
	int64_t need = (int64_t)((double)(dirty / 8 + 1) / lc->cfg.io_buffer_load_factor) * 24;
	return (size_t)(need < share ? need : share);
}

static void sm_lc_log_stats(const sm_lc_job_t *j, int64_t elapsed_ms)
{
	double secs = (double)elapsed_ms / 1000.0, mb = (double)j->st.bytes_read / 1048576.0;
	sm_log(SM_LOGFILE_CLEANER, SM_LOG_INFO, NULL, SM_LC_LOGGER,
	       "\n\tLog cleaner thread %d cleaned log %s (dirty section = [%" PRId64 ", %" PRId64
	       "])\n\t%.1f MB of log processed in %.1f seconds (%.1f MB/sec).\n\t"
	       "Start size: %.1f MB (%" PRId64 " messages)\n\tEnd size: %.1f MB (%" PRId64
	       " messages)\n\t%.1f%% size reduction (%.1f%% fewer messages)\n",
	       j->id, j->name, j->st.first_dirty, j->st.end_offset, mb, secs,
	       secs > 0 ? mb / secs : mb, mb, j->st.records_read,
	       (double)j->st.bytes_written / 1048576.0, j->st.records_retained,
	       j->st.bytes_read ? 100.0 * (1.0 - (double)j->st.bytes_written /
					  (double)j->st.bytes_read) : 0.0,
	       j->st.records_read ? 100.0 * (1.0 - (double)j->st.records_retained /
					     (double)j->st.records_read) : 0.0);
}

sm_err_t sm_log_cleaner_clean(sm_log_cleaner_t *lc, int cleaner_id, sm_log_t *log,
			      int64_t now_ms, sm_log_clean_stats_t *st)
{
	sm_lc_job_t j;
	int64_t t0 = sm_clock_mono_ms();
	sm_lc_job_init(&j, cleaner_id, log);
	j.lc = lc;
	sm_err_t err = SM_ERR__NOENT;
	if (!j.cfg.cleanup_compact || !sm_lc_bounds(lc, &j, now_ms))
		goto out;
	sm_log(SM_LOGFILE_CLEANER, SM_LOG_INFO, NULL, SM_LC_LOGGER,
	       "Cleaner %d: Beginning cleaning of log %s.", j.id, j.name);
	sm_wbuf_init(&j.out, SM_LC_WINDOW + 65536);
	sm_wbuf_init(&j.recs, 65536);
	j.map = sm_offset_map_new(sm_lc_map_memory(lc, &j), lc->cfg.io_buffer_load_factor);
	if ((err = sm_lc_build_map(&j)))
		goto out;
	if (j.end <= j.first_dirty) {
		sm_log(SM_LOGFILE_CLEANER, SM_LOG_WARN, NULL, SM_LC_LOGGER,
		       "Cleaner %d: offset map too small for a single record of log %s", j.id,
		       j.name);
		err = SM_ERR__NOENT;
		goto out;
	}
	j.delete_horizon_ms = 0;
	for (int i = 0; i < j.nv && j.v[i].base_offset < j.first_dirty; i++)
		j.delete_horizon_ms = j.v[i].last_modified_ms - j.cfg.delete_retention_ms;
	sm_log(SM_LOGFILE_CLEANER, SM_LOG_INFO, NULL, SM_LC_LOGGER,
	       "Cleaner %d: Cleaning log %s (cleaning prior to %" PRId64
	       ", discarding tombstones prior to %" PRId64 ")...", j.id, j.name, j.end,
	       j.delete_horizon_ms);
	j.st.first_dirty = j.first_dirty;
	j.st.end_offset = j.end;
	if ((err = sm_lc_clean_segments(&j)))
		goto out;
	sm_lc_checkpoint_update(lc, log, j.end);
	sm_lc_log_stats(&j, sm_clock_mono_ms() - t0);
out:
	if (err && err != SM_ERR__NOENT)
		sm_log(SM_LOGFILE_CLEANER, SM_LOG_WARN, NULL, SM_LC_LOGGER,
		       "Cleaner %d: cleaning of log %s stopped: %s", cleaner_id, j.name,
		       sm_err_name(err));
	if (st)
		*st = j.st;
	sm_lc_job_destroy(&j);
	return err;
}

/* ---- LogCleanerManager: choosing the filthiest log ---- */

static int sm_lc_is_listed(char **names, int n, const char *dir)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], dir))
			return 1;
	return 0;
}

int sm_log_cleaner_is_cleanable(sm_log_cleaner_t *lc, sm_log_t *log, int64_t now_ms,
				double *ratio, int64_t *delay_ms)
{
	sm_lc_job_t j;
	int ok = 0;
	double r = 0;
	int64_t delay = 0;
	sm_lc_job_init(&j, 0, log);
	if (j.cfg.cleanup_compact && sm_lc_bounds(lc, &j, now_ms)) {
		r = sm_lc_dirty_ratio(&j);
		delay = sm_lc_max_compaction_delay(&j, now_ms);
		ok = r >= j.cfg.min_cleanable_ratio || (delay > 0 && sm_lc_cleanable_bytes(&j) > 0);
	}
	sm_lc_job_destroy(&j);
	if (ratio)
		*ratio = r;
	if (delay_ms)
		*delay_ms = delay;
	return ok;
}

/* The eligible log with the highest dirty ratio (a new reference), marked in
 * progress; NULL if none. */
static sm_log_t *sm_lc_grab_filthiest(sm_log_cleaner_t *lc, int64_t now_ms)
{
	sm_log_t **logs = NULL, *best = NULL;
	double best_ratio = -1;
	int n = sm_log_manager_list(lc->lm, &logs);
	for (int i = 0; i < n; i++) {
		sm_log_config_t cfg;
		sm_log_get_config(logs[i], &cfg);
		if (!cfg.cleanup_compact)
			continue;
		pthread_mutex_lock(&lc->lock);
		/* a full dir has no room for the cleaned copy */
		int skip = sm_log_is_full(logs[i]) || sm_log_cleaning_paused(logs[i]) ||
			   sm_lc_is_listed(lc->uncleanable, lc->n_uncleanable, sm_log_dir(logs[i]));
		for (int k = 0; k < lc->n_in_progress && !skip; k++)
			skip = lc->in_progress[k] == logs[i];
		pthread_mutex_unlock(&lc->lock);
		if (skip)
			continue;
		double ratio;
		if (sm_log_cleaner_is_cleanable(lc, logs[i], now_ms, &ratio, NULL) &&
		    ratio > best_ratio) {
			/* Kafka 2.8 orders the cleanable logs by dirty ratio
			 * alone (LogToClean.compare), those past their max
			 * compaction lag included */
			best_ratio = ratio;
			best = logs[i];
		}
	}
	if (best) {
		sm_log_keep(best);
		pthread_mutex_lock(&lc->lock);
		lc->in_progress = sm_realloc(lc->in_progress,
					     sizeof(*lc->in_progress) * (size_t)(lc->n_in_progress + 1));
		lc->in_progress[lc->n_in_progress++] = best;
		pthread_mutex_unlock(&lc->lock);
	}
	for (int i = 0; i < n; i++)
		sm_log_release(logs[i]);
	free(logs);
	return best;
}

static void sm_lc_done(sm_log_cleaner_t *lc, sm_log_t *log, sm_err_t err)
{
	pthread_mutex_lock(&lc->lock);
	for (int k = 0; k < lc->n_in_progress; k++)
		if (lc->in_progress[k] == log) {
			lc->in_progress[k] = lc->in_progress[--lc->n_in_progress];
			break;
		}
	if (err == SM_ERR_CORRUPT_MESSAGE || err == SM_ERR__IO) {
		/* Kafka marks such a partition uncleanable until restart. */
		lc->uncleanable = sm_realloc(lc->uncleanable,
					     sizeof(*lc->uncleanable) * (size_t)(lc->n_uncleanable + 1));
		lc->uncleanable[lc->n_uncleanable++] = sm_strdup(sm_log_dir(log));
	}
	pthread_mutex_unlock(&lc->lock);
	sm_log_release(log);
}

int sm_log_cleaner_clean_dirtiest(sm_log_cleaner_t *lc, int cleaner_id, int64_t now_ms)
{
	if (!lc->lm)
		return 0;
	sm_log_t *log = sm_lc_grab_filthiest(lc, now_ms);
	if (!log)
		return 0;
	sm_err_t err = sm_log_cleaner_clean(lc, cleaner_id, log, now_ms, NULL);
	sm_lc_done(lc, log, err);
	return err == SM_ERR_NONE;
}

/* ---- threads ---- */

typedef struct sm_lc_thread_arg {
	sm_log_cleaner_t *lc;
	int id;
} sm_lc_thread_arg_t;

static void *sm_lc_thread_main(void *arg)
{
	sm_lc_thread_arg_t a = *(sm_lc_thread_arg_t *)arg;
	free(arg);
	sm_log_cleaner_t *lc = a.lc;
	char name[16];
	/* "kafka-log-cleaner-thread-N" does not fit the kernel's 15 bytes. */
	snprintf(name, sizeof(name), "log-cleaner-%d", a.id);
	pthread_setname_np(pthread_self(), name);
	sm_thread_role_set(SM_ROLE_CLEANER);
	sm_log(SM_LOGFILE_CLEANER, SM_LOG_INFO, NULL, SM_LC_LOGGER,
	       "[kafka-log-cleaner-thread-%d]: Starting", a.id);
	for (;;) {
		pthread_mutex_lock(&lc->lock);
		int stop = lc->stop;
		pthread_mutex_unlock(&lc->lock);
		if (stop)
			break;
		if (sm_log_cleaner_clean_dirtiest(lc, a.id, sm_clock_wall_ms()))
			continue;
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		int64_t ns = until.tv_nsec + (lc->cfg.backoff_ms % 1000) * 1000000;
		until.tv_sec += lc->cfg.backoff_ms / 1000 + ns / 1000000000;
		until.tv_nsec = ns % 1000000000;
		pthread_mutex_lock(&lc->lock);
		while (!lc->stop && pthread_cond_timedwait(&lc->cond, &lc->lock, &until) == 0)
			;
		pthread_mutex_unlock(&lc->lock);
	}
	sm_log(SM_LOGFILE_CLEANER, SM_LOG_INFO, NULL, SM_LC_LOGGER,
	       "[kafka-log-cleaner-thread-%d]: Stopped", a.id);
	return NULL;
}

void sm_log_cleaner_startup(sm_log_cleaner_t *lc)
{
	if (!lc->cfg.enable || !lc->lm || lc->nthreads)
		return;
	sm_log(SM_LOGFILE_CLEANER, SM_LOG_INFO, NULL, SM_LC_LOGGER, "Starting the log cleaner");
	lc->threads = sm_calloc((size_t)lc->cfg.threads, sizeof(*lc->threads));
	for (int i = 0; i < lc->cfg.threads; i++) {
		sm_lc_thread_arg_t *a = sm_malloc(sizeof(*a));
		a->lc = lc;
		a->id = i;
		if (pthread_create(&lc->threads[lc->nthreads], NULL, sm_lc_thread_main, a) == 0)
			lc->nthreads++;
		else
			free(a);
	}
}

void sm_log_cleaner_reconfigure(sm_log_cleaner_t *lc, const sm_log_cleaner_config_t *cfg)
{
	if (!lc)
		return;
	int running = lc->nthreads > 0;
	sm_log_cleaner_shutdown(lc);
	/* no cleaner thread runs: the config may change under them */
	lc->cfg.threads = cfg->threads < 1 ? 1 : cfg->threads;
	lc->cfg.dedupe_buffer_size = cfg->dedupe_buffer_size;
	lc->cfg.backoff_ms = cfg->backoff_ms;
	pthread_mutex_lock(&lc->lock);
	lc->stop = 0;
	pthread_mutex_unlock(&lc->lock);
	if (running)
		sm_log_cleaner_startup(lc);
}

void sm_log_cleaner_set_io_rate(sm_log_cleaner_t *lc, double bytes_per_second)
{
	if (!lc)
		return;
	pthread_mutex_lock(&lc->lock);
	lc->cfg.io_max_bytes_per_second = bytes_per_second;
	pthread_mutex_unlock(&lc->lock);
	sm_throttler_set_rate(&lc->throttler, bytes_per_second);
}

void sm_log_cleaner_shutdown(sm_log_cleaner_t *lc)
{
	if (!lc || !lc->nthreads)
		return;
	sm_log(SM_LOGFILE_CLEANER, SM_LOG_INFO, NULL, SM_LC_LOGGER,
	       "Shutting down the log cleaner.");
	pthread_mutex_lock(&lc->lock);
	lc->stop = 1;
	pthread_cond_broadcast(&lc->cond);
	pthread_mutex_unlock(&lc->lock);
	for (int i = 0; i < lc->nthreads; i++)
		pthread_join(lc->threads[i], NULL);
	free(lc->threads);
	lc->threads = NULL;
	lc->nthreads = 0;
}
