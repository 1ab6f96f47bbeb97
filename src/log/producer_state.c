/*
 * producer_state.c - per-partition idempotent producer state and its
 * .snapshot files (Kafka's ProducerStateManager / ProducerAppendInfo).
 *
 * Producers are kept in an array sorted by producer id: lookups are a binary
 * search, and a snapshot lists them in that order without sorting. A
 * partition rarely sees more than a few thousand producers between expiries,
 * so the insertion cost of a sorted array does not matter.
 */
#include "producer_state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"

#define SM_PS_OFF_PID 43
#define SM_PS_OFF_PEPOCH 51
#define SM_PS_OFF_BASE_SEQ 53
#define SM_PS_OFF_ATTRS 21
#define SM_PS_OFF_LAST_DELTA 23
#define SM_PS_OFF_MAX_TS 35
#define SM_PS_ATTR_CONTROL 0x20
#define SM_PS_ATTR_TXN 0x10
#define SM_PS_HEADER 61

struct sm_producer_state {
	sm_ps_entry_t *e; /* ascending pid */
	int n, cap;
	int64_t map_end;
	/* completed transactions whose marker is not below the HW yet
	 * (Kafka's unreplicatedTxns), ascending marker offset */
	sm_ps_completed_t *unrepl;
	int n_unrepl, cap_unrepl;
};

sm_producer_state_t *sm_ps_new(void)
{
	return sm_calloc(1, sizeof(sm_producer_state_t));
}

void sm_ps_free(sm_producer_state_t *ps)
{
	if (!ps)
		return;
	free(ps->e);
	free(ps->unrepl);
	free(ps);
}

void sm_ps_clear(sm_producer_state_t *ps, int64_t end_offset)
{
	ps->n = 0;
	ps->n_unrepl = 0;
	ps->map_end = end_offset;
}

int sm_ps_count(const sm_producer_state_t *ps)
{
	return ps->n;
}

int64_t sm_ps_map_end(const sm_producer_state_t *ps)
{
	return ps->map_end;
}

void sm_ps_set_map_end(sm_producer_state_t *ps, int64_t offset)
{
	ps->map_end = offset;
}

/* Index of pid, or -(insertion point) - 1. */
static int sm_ps_find(const sm_producer_state_t *ps, int64_t pid)
{
	int lo = 0, hi = ps->n - 1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		if (ps->e[mid].pid == pid)
			return mid;
		if (ps->e[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -lo - 1;
}

const sm_ps_entry_t *sm_ps_get(const sm_producer_state_t *ps, int64_t pid)
{
	int i = sm_ps_find(ps, pid);
	return i >= 0 ? &ps->e[i] : NULL;
}

static sm_ps_entry_t *sm_ps_get_or_add(sm_producer_state_t *ps, int64_t pid)
{
	int i = sm_ps_find(ps, pid);
	if (i >= 0)
		return &ps->e[i];
	i = -i - 1;
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 8;
		ps->e = sm_realloc(ps->e, sizeof(*ps->e) * (size_t)ps->cap);
	}
	memmove(&ps->e[i + 1], &ps->e[i], sizeof(*ps->e) * (size_t)(ps->n - i));
	ps->n++;
	sm_ps_entry_t *e = &ps->e[i];
	memset(e, 0, sizeof(*e));
	e->pid = pid;
	e->epoch = -1;
	e->coord_epoch = -1;
	e->last_ts = -1;
	e->txn_first_off = -1;
	return e;
}

int32_t sm_ps_last_seq(int32_t first_seq, int32_t last_delta)
{
	/* Kafka's DefaultRecordBatch.incrementSequence: wraps past INT32_MAX */
	int64_t s = (int64_t)first_seq + last_delta;
	return (int32_t)(s > INT32_MAX ? s - INT32_MAX - 1 : s);
}

int sm_ps_append_from_header(const uint8_t *hdr, sm_ps_append_t *a)
{
	int64_t pid = (int64_t)sm_be64(hdr + SM_PS_OFF_PID);
	uint16_t attrs = sm_be16(hdr + SM_PS_OFF_ATTRS);
	if (pid < 0 || (attrs & SM_PS_ATTR_CONTROL))
		return 0;
	a->is_txn = (attrs & SM_PS_ATTR_TXN) != 0;
	int32_t delta = (int32_t)sm_be32(hdr + SM_PS_OFF_LAST_DELTA);
	a->pid = pid;
	a->epoch = (int16_t)sm_be16(hdr + SM_PS_OFF_PEPOCH);
	a->first_seq = (int32_t)sm_be32(hdr + SM_PS_OFF_BASE_SEQ);
	a->last_seq = a->first_seq < 0 || delta < 0 ? a->first_seq
						    : sm_ps_last_seq(a->first_seq, delta);
	a->first_off = (int64_t)sm_be64(hdr);
	a->last_off = a->first_off + (delta > 0 ? delta : 0);
	a->max_ts = (int64_t)sm_be64(hdr + SM_PS_OFF_MAX_TS);
	return 1;
}

static int sm_ps_in_sequence(int32_t last, int32_t next)
{
	return (int64_t)next == (int64_t)last + 1 || (next == 0 && last == INT32_MAX);
}

sm_err_t sm_ps_check(const sm_producer_state_t *ps, const sm_ps_append_t *a,
		     const sm_ps_batch_t **dup)
{
	*dup = NULL;
	const sm_ps_entry_t *e = sm_ps_get(ps, a->pid);
	if (!e)
		return SM_ERR_NONE; /* unknown producer: any sequence (KIP-360) */
	if (a->epoch == e->epoch) {
		for (int i = 0; i < e->n_recent; i++)
			if (e->recent[i].first_seq == a->first_seq &&
			    e->recent[i].last_seq == a->last_seq) {
				*dup = &e->recent[i];
				return SM_ERR_NONE;
			}
	}
	if (a->epoch < e->epoch)
		return SM_ERR_INVALID_PRODUCER_EPOCH;
	if (!a->is_txn && e->txn_first_off >= 0)
		/* as 2.8: plain data while a transaction is open */
		return SM_ERR_INVALID_TXN_STATE;
	if (a->epoch != e->epoch) {
		/* a bumped epoch starts again at 0 */
		if (a->first_seq != 0 && e->epoch != -1)
			return SM_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
		return SM_ERR_NONE;
	}
	int32_t last = e->n_recent ? e->recent[e->n_recent - 1].last_seq : -1;
	if (e->epoch != -1 && !sm_ps_in_sequence(last, a->first_seq))
		return SM_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
	return SM_ERR_NONE;
}

sm_err_t sm_ps_check_coordinator(const sm_producer_state_t *ps, const sm_ps_append_t *a)
{
	const sm_ps_entry_t *e = sm_ps_get(ps, a->pid);
	if (!e)
		return SM_ERR_NONE;
	if (a->epoch < e->epoch)
		return SM_ERR_INVALID_PRODUCER_EPOCH;
	if (!a->is_txn && e->txn_first_off >= 0)
		return SM_ERR_INVALID_TXN_STATE;
	return SM_ERR_NONE;
}

static void sm_ps_push(sm_ps_entry_t *e, const sm_ps_batch_t *b)
{
	if (e->n_recent == SM_PS_KEEP_BATCHES) {
		memmove(&e->recent[0], &e->recent[1], sizeof(e->recent[0]) * (SM_PS_KEEP_BATCHES - 1));
		e->n_recent--;
	}
	e->recent[e->n_recent++] = *b;
}

void sm_ps_update(sm_producer_state_t *ps, const sm_ps_append_t *a)
{
	sm_ps_entry_t *e = sm_ps_get_or_add(ps, a->pid);
	if (e->epoch != a->epoch) {
		/* duplicates are only ever detected within one epoch */
		e->n_recent = 0;
		e->epoch = a->epoch;
	}
	sm_ps_batch_t b = { a->first_seq, a->last_seq, a->first_off, a->last_off, a->max_ts };
	sm_ps_push(e, &b);
	e->last_ts = a->max_ts;
	if (a->is_txn && e->txn_first_off < 0)
		e->txn_first_off = a->first_off; /* a transaction begins */
	if (a->last_off + 1 > ps->map_end)
		ps->map_end = a->last_off + 1;
}

int sm_ps_marker_from_batch(const uint8_t *batch, size_t len, sm_ps_marker_t *m)
{
	if (len < SM_PS_HEADER + 1)
		return 0;
	uint16_t attrs = sm_be16(batch + SM_PS_OFF_ATTRS);
	int64_t pid = (int64_t)sm_be64(batch + SM_PS_OFF_PID);
	if (!(attrs & SM_PS_ATTR_CONTROL) || pid < 0)
		return 0;
	/* the single record: varint length, attributes, timestamp delta,
	 * offset delta, key (control key: int16 version, int16 type), value
	 * (int16 version, int32 coordinator epoch); control batches are never
	 * compressed */
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, batch + SM_PS_HEADER, len - SM_PS_HEADER);
	int64_t rlen = sm_rbuf_varlong(&rb);
	(void)rlen;
	sm_rbuf_i8(&rb);
	sm_rbuf_varlong(&rb);
	sm_rbuf_varint(&rb);
	int32_t klen = sm_rbuf_varint(&rb);
	if (rb.err || klen < 4 || (size_t)klen > sm_rbuf_remaining(&rb))
		return 0;
	sm_rbuf_i16(&rb);
	int16_t type = sm_rbuf_i16(&rb);
	sm_rbuf_skip(&rb, (size_t)klen - 4);
	int32_t vlen = sm_rbuf_varint(&rb);
	if (rb.err || (type != 0 && type != 1) || vlen < 6 || (size_t)vlen > sm_rbuf_remaining(&rb))
		return 0;
	sm_rbuf_i16(&rb);
	m->coord_epoch = sm_rbuf_i32(&rb);
	if (rb.err)
		return 0;
	m->pid = pid;
	m->epoch = (int16_t)sm_be16(batch + SM_PS_OFF_PEPOCH);
	m->offset = (int64_t)sm_be64(batch);
	m->ts = (int64_t)sm_be64(batch + SM_PS_OFF_MAX_TS);
	m->aborted = type == 0;
	return 1;
}

sm_err_t sm_ps_check_marker(const sm_producer_state_t *ps, const sm_ps_marker_t *m)
{
	const sm_ps_entry_t *e = sm_ps_get(ps, m->pid);
	if (!e)
		return SM_ERR_NONE;
	if (m->epoch < e->epoch)
		return SM_ERR_INVALID_PRODUCER_EPOCH;
	if (e->coord_epoch > m->coord_epoch)
		return SM_ERR_TRANSACTION_COORDINATOR_FENCED;
	return SM_ERR_NONE;
}

void sm_ps_complete(sm_producer_state_t *ps, const sm_ps_marker_t *m, sm_ps_completed_t *out)
{
	sm_ps_entry_t *e = sm_ps_get_or_add(ps, m->pid);
	out->pid = m->pid;
	out->first_off = e->txn_first_off >= 0 ? e->txn_first_off : m->offset;
	out->last_off = m->offset;
	out->aborted = m->aborted;
	if (e->epoch != m->epoch) {
		e->n_recent = 0;
		e->epoch = m->epoch;
	}
	e->txn_first_off = -1;
	e->coord_epoch = m->coord_epoch;
	e->last_ts = m->ts;
	if (ps->n_unrepl == ps->cap_unrepl) {
		ps->cap_unrepl = ps->cap_unrepl ? ps->cap_unrepl * 2 : 4;
		ps->unrepl = sm_realloc(ps->unrepl, sizeof(*ps->unrepl) * (size_t)ps->cap_unrepl);
	}
	ps->unrepl[ps->n_unrepl++] = *out;
	if (m->offset + 1 > ps->map_end)
		ps->map_end = m->offset + 1;
}

void sm_ps_on_high_watermark(sm_producer_state_t *ps, int64_t hw)
{
	int k = 0;
	for (int i = 0; i < ps->n_unrepl; i++)
		if (ps->unrepl[i].last_off >= hw)
			ps->unrepl[k++] = ps->unrepl[i];
	ps->n_unrepl = k;
}

int sm_ps_unreplicated(const sm_producer_state_t *ps)
{
	return ps->n_unrepl;
}

/* Earliest first offset of an open transaction other than skip_pid's (-1:
 * none skipped), and of an unreplicated one when with_unrepl. */
static int64_t sm_ps_first_unstable_except(const sm_producer_state_t *ps, int64_t skip_pid,
					   int with_unrepl)
{
	int64_t first = INT64_MAX;
	for (int i = 0; i < ps->n; i++)
		if (ps->e[i].txn_first_off >= 0 && ps->e[i].pid != skip_pid &&
		    ps->e[i].txn_first_off < first)
			first = ps->e[i].txn_first_off;
	for (int i = 0; with_unrepl && i < ps->n_unrepl; i++)
		if (ps->unrepl[i].first_off < first)
			first = ps->unrepl[i].first_off;
	return first;
}

int64_t sm_ps_first_unstable(const sm_producer_state_t *ps)
{
	return sm_ps_first_unstable_except(ps, -1, 1);
}

int64_t sm_ps_lso_after(const sm_producer_state_t *ps, const sm_ps_completed_t *c)
{
	/* called before sm_ps_complete: the completing transaction is still
	 * open and must not count; as Kafka, only open transactions do */
	int64_t first = sm_ps_first_unstable_except(ps, c->pid, 0);
	return first == INT64_MAX ? c->last_off + 1 : first;
}

static int sm_ps_expired(const sm_ps_entry_t *e, int64_t now_ms, int64_t expiration_ms)
{
	return expiration_ms > 0 && e->txn_first_off < 0 && now_ms - e->last_ts >= expiration_ms;
}

int sm_ps_expire(sm_producer_state_t *ps, int64_t now_ms, int64_t expiration_ms)
{
	int k = 0;
	for (int i = 0; i < ps->n; i++)
		if (!sm_ps_expired(&ps->e[i], now_ms, expiration_ms))
			ps->e[k++] = ps->e[i];
	int dropped = ps->n - k;
	ps->n = k;
	return dropped;
}

/* ---- snapshots ---- */

void sm_ps_snapshot_encode(const sm_producer_state_t *ps, sm_wbuf_t *w)
{
	size_t start = sm_wbuf_size(w);
	sm_wbuf_i16(w, SM_PS_SNAPSHOT_VERSION);
	sm_wbuf_u32(w, 0); /* crc, patched below */
	sm_wbuf_i32(w, ps->n);
	for (int i = 0; i < ps->n; i++) {
		const sm_ps_entry_t *e = &ps->e[i];
		const sm_ps_batch_t *b = e->n_recent ? &e->recent[e->n_recent - 1] : NULL;
		sm_wbuf_i64(w, e->pid);
		sm_wbuf_i16(w, e->epoch);
		sm_wbuf_i32(w, b ? b->last_seq : -1);
		sm_wbuf_i64(w, b ? b->last_off : -1);
		sm_wbuf_i32(w, b ? (int32_t)(b->last_off - b->first_off) : 0);
		sm_wbuf_i64(w, e->last_ts);
		sm_wbuf_i32(w, e->coord_epoch);
		sm_wbuf_i64(w, e->txn_first_off);
	}
	sm_wbuf_patch_u32(w, start + 2, sm_crc32c(0, w->p + start + 6, sm_wbuf_size(w) - start - 6));
}

sm_err_t sm_ps_snapshot_decode(sm_producer_state_t *ps, const uint8_t *p, size_t len,
			       int64_t offset, int64_t now_ms, int64_t expiration_ms)
{
	if (len < SM_PS_SNAPSHOT_HEADER || (int16_t)sm_be16(p) != SM_PS_SNAPSHOT_VERSION)
		return SM_ERR_CORRUPT_MESSAGE;
	int32_t n = (int32_t)sm_be32(p + 6);
	if (n < 0 || (len - SM_PS_SNAPSHOT_HEADER) / SM_PS_SNAPSHOT_ENTRY != (size_t)n ||
	    (len - SM_PS_SNAPSHOT_HEADER) % SM_PS_SNAPSHOT_ENTRY != 0)
		return SM_ERR_CORRUPT_MESSAGE;
	if (sm_be32(p + 2) != sm_crc32c(0, p + 6, len - 6))
		return SM_ERR_CORRUPT_MESSAGE;
	sm_ps_clear(ps, offset);
	for (int32_t i = 0; i < n; i++) {
		const uint8_t *q = p + SM_PS_SNAPSHOT_HEADER + (size_t)i * SM_PS_SNAPSHOT_ENTRY;
		sm_ps_entry_t t = { 0 };
		t.pid = (int64_t)sm_be64(q);
		t.epoch = (int16_t)sm_be16(q + 8);
		int32_t last_seq = (int32_t)sm_be32(q + 10);
		int64_t last_off = (int64_t)sm_be64(q + 14);
		int32_t delta = (int32_t)sm_be32(q + 22);
		t.last_ts = (int64_t)sm_be64(q + 26);
		t.coord_epoch = (int32_t)sm_be32(q + 34);
		t.txn_first_off = (int64_t)sm_be64(q + 38);
		if (sm_ps_expired(&t, now_ms, expiration_ms))
			continue;
		sm_ps_entry_t *e = sm_ps_get_or_add(ps, t.pid);
		*e = t;
		if (last_off >= 0 && delta >= 0 && delta <= last_off) {
			/* Kafka's decrementSequence: the first sequence wraps back
			 * below 0 to INT32_MAX */
			int64_t fs = (int64_t)last_seq - delta;
			sm_ps_batch_t b = { (int32_t)(fs < 0 ? fs + INT32_MAX + 1 : fs), last_seq,
					    last_off - delta, last_off, t.last_ts };
			e->recent[0] = b;
			e->n_recent = 1;
		}
	}
	return SM_ERR_NONE;
}

void sm_ps_snapshot_path(char *buf, size_t size, const char *dir, int64_t offset)
{
	snprintf(buf, size, "%s/%020" PRId64 ".snapshot", dir, offset);
}

sm_err_t sm_ps_snapshot_write(const sm_producer_state_t *ps, const char *dir)
{
	char path[4096];
	sm_ps_snapshot_path(path, sizeof(path), dir, ps->map_end);
	sm_wbuf_t w;
	sm_wbuf_init(&w, SM_PS_SNAPSHOT_HEADER + (size_t)ps->n * SM_PS_SNAPSHOT_ENTRY);
	sm_ps_snapshot_encode(ps, &w);
	/* as Kafka 2.8: create (truncating an older file of the same offset),
	 * write, fsync; no temporary file */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	sm_err_t err = SM_ERR_NONE;
	if (fd < 0) {
		err = errno == ENOSPC || errno == EDQUOT ? SM_ERR__NOSPACE : SM_ERR__IO;
	} else {
		size_t off = 0;
		while (off < w.len) {
			ssize_t r = write(fd, w.p + off, w.len - off);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				err = r < 0 && (errno == ENOSPC || errno == EDQUOT) ? SM_ERR__NOSPACE
										 : SM_ERR__IO;
				break;
			}
			off += (size_t)r;
		}
		if (!err && fsync(fd) < 0)
			err = SM_ERR__IO;
		close(fd);
		if (err)
			unlink(path); /* a partial snapshot would only be deleted on load */
	}
	sm_wbuf_free(&w);
	return err;
}

static int sm_ps_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int sm_ps_snapshot_list(const char *dir, int64_t **out)
{
	DIR *d = opendir(dir);
	int n = 0, cap = 0;
	int64_t *v = NULL;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		const char *s = de->d_name;
		if (strlen(s) != 29 || strcmp(s + 20, ".snapshot") != 0)
			continue;
		int64_t o = 0;
		int ok = 1;
		for (int i = 0; i < 20 && ok; i++) {
			if (s[i] < '0' || s[i] > '9' || o > (INT64_MAX - 9) / 10)
				ok = 0;
			else
				o = o * 10 + (s[i] - '0');
		}
		if (!ok)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			v = sm_realloc(v, sizeof(*v) * (size_t)cap);
		}
		v[n++] = o;
	}
	if (d)
		closedir(d);
	if (n > 1)
		qsort(v, (size_t)n, sizeof(*v), sm_ps_cmp_i64);
	*out = v;
	return n;
}

void sm_ps_snapshot_delete_range(const char *dir, int64_t from, int64_t to)
{
	int64_t *v;
	int n = sm_ps_snapshot_list(dir, &v);
	char path[4096];
	for (int i = 0; i < n; i++)
		if (v[i] >= from && v[i] < to) {
			sm_ps_snapshot_path(path, sizeof(path), dir, v[i]);
			unlink(path);
		}
	free(v);
}

uint8_t *sm_ps_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	/* a snapshot of 2^26 producers is far beyond any real partition */
	if (fstat(fd, &st) < 0 || st.st_size < 0 ||
	    st.st_size > (off_t)SM_PS_SNAPSHOT_HEADER + (off_t)SM_PS_SNAPSHOT_ENTRY * (1 << 26)) {
		close(fd);
		return NULL;
	}
	uint8_t *p = sm_malloc((size_t)st.st_size + 1);
	size_t off = 0;
	while (off < (size_t)st.st_size) {
		ssize_t r = read(fd, p + off, (size_t)st.st_size - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	*len = off;
	return p;
}
