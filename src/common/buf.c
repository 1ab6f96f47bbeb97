/*
 * buf.c - reader, writer, arena and file references (see buf.h).
 */
#include "buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- allocation ---- */

static void sm_buf_oom(size_t n)
{
	fprintf(stderr, "samsa: out of memory allocating %zu bytes\n", n);
	abort();
}

void *sm_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		sm_buf_oom(n);
	return p;
}

void *sm_alloc_array(int64_t cnt, size_t elem_size, size_t limit)
{
	size_t n;
	if (cnt < 0 || (uint64_t)cnt > SIZE_MAX || sm_size_mul((size_t)cnt, elem_size, &n) ||
	    n > limit)
		return NULL;
	return calloc(n ? n : 1, 1);
}

void *sm_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		sm_buf_oom(n * size);
	return p;
}

void *sm_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		sm_buf_oom(n);
	return q;
}

char *sm_strdup(const char *s)
{
	return sm_strndup(s, strlen(s));
}

char *sm_strndup(const char *s, size_t n)
{
	char *d = sm_malloc(n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* ---- arena ---- */

struct sm_arena_chunk {
	sm_arena_chunk_t *next;
	size_t size;
	size_t used;
	_Alignas(16) uint8_t data[];
};

#define SM_ARENA_CHUNK 4096

void sm_arena_init(sm_arena_t *a)
{
	a->head = NULL;
	a->total = 0;
	a->budget = 0;
}

void *sm_arena_alloc(sm_arena_t *a, size_t size)
{
	size = (size + 7) & ~(size_t)7;
	sm_arena_chunk_t *c = a->head;
	if (!c || c->size - c->used < size) {
		size_t cs = size > SM_ARENA_CHUNK ? size : SM_ARENA_CHUNK;
		c = sm_malloc(sizeof(*c) + cs);
		c->size = cs;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += size;
	a->total += size;
	memset(p, 0, size);
	return p;
}

void *sm_arena_alloc_array(sm_arena_t *a, int64_t cnt, size_t elem_size)
{
	size_t n;
	if (cnt < 0 || (uint64_t)cnt > SIZE_MAX || sm_size_mul((size_t)cnt, elem_size, &n))
		return NULL;
	/* sm_arena_alloc rounds up to 8 and its chunk header must fit too */
	if (n > SIZE_MAX / 2)
		return NULL;
	if (a->budget && (a->total > a->budget || n > a->budget - a->total))
		return NULL;
	return sm_arena_alloc(a, n);
}

char *sm_arena_strndup(sm_arena_t *a, const char *p, size_t len)
{
	char *d = sm_arena_alloc(a, len + 1);
	memcpy(d, p, len);
	d[len] = '\0';
	return d;
}

void sm_arena_destroy(sm_arena_t *a)
{
	sm_arena_chunk_t *c = a->head;
	while (c) {
		sm_arena_chunk_t *n = c->next;
		free(c);
		c = n;
	}
	a->head = NULL;
}

/* ---- reader ---- */

void sm_rbuf_init(sm_rbuf_t *rb, const void *p, size_t len)
{
	rb->p = p;
	rb->len = len;
	rb->pos = 0;
	rb->err = 0;
}

void sm_rbuf_fail(sm_rbuf_t *rb)
{
	rb->err = 1;
}

const uint8_t *sm_rbuf_raw(sm_rbuf_t *rb, size_t n)
{
	if (rb->err || rb->len - rb->pos < n) {
		rb->err = 1;
		return NULL;
	}
	const uint8_t *p = rb->p + rb->pos;
	rb->pos += n;
	return p;
}

void sm_rbuf_skip(sm_rbuf_t *rb, size_t n)
{
	(void)sm_rbuf_raw(rb, n);
}

int8_t sm_rbuf_i8(sm_rbuf_t *rb)
{
	const uint8_t *p = sm_rbuf_raw(rb, 1);
	return p ? (int8_t)p[0] : 0;
}

int16_t sm_rbuf_i16(sm_rbuf_t *rb)
{
	const uint8_t *p = sm_rbuf_raw(rb, 2);
	return p ? (int16_t)sm_be16(p) : 0;
}

uint16_t sm_rbuf_u16(sm_rbuf_t *rb)
{
	return (uint16_t)sm_rbuf_i16(rb);
}

int32_t sm_rbuf_i32(sm_rbuf_t *rb)
{
	const uint8_t *p = sm_rbuf_raw(rb, 4);
	return p ? (int32_t)sm_be32(p) : 0;
}

uint32_t sm_rbuf_u32(sm_rbuf_t *rb)
{
	return (uint32_t)sm_rbuf_i32(rb);
}

int64_t sm_rbuf_i64(sm_rbuf_t *rb)
{
	const uint8_t *p = sm_rbuf_raw(rb, 8);
	return p ? (int64_t)sm_be64(p) : 0;
}

double sm_rbuf_f64(sm_rbuf_t *rb)
{
	uint64_t u = (uint64_t)sm_rbuf_i64(rb);
	double d;
	memcpy(&d, &u, sizeof(d));
	return d;
}

int sm_rbuf_bool(sm_rbuf_t *rb)
{
	return sm_rbuf_i8(rb) != 0;
}

static uint64_t sm_rbuf_uleb(sm_rbuf_t *rb, int maxbytes)
{
	/* One- and two-byte values (lengths, counts, deltas of small records)
	 * are the common case: decoded without the loop's per-byte checks.
	 * maxbytes is always at least 2. */
	if (!rb->err && rb->len - rb->pos >= 2) {
		const uint8_t *q = rb->p + rb->pos;
		if (!(q[0] & 0x80)) {
			rb->pos++;
			return q[0];
		}
		if (!(q[1] & 0x80)) {
			rb->pos += 2;
			return (uint64_t)(q[0] & 0x7f) | (uint64_t)q[1] << 7;
		}
	}
	uint64_t v = 0;
	for (int i = 0; i < maxbytes; i++) {
		const uint8_t *p = sm_rbuf_raw(rb, 1);
		if (!p)
			return 0;
		v |= (uint64_t)(p[0] & 0x7f) << (7 * i);
		if (!(p[0] & 0x80))
			return v;
	}
	rb->err = 1; /* too long */
	return 0;
}

uint32_t sm_rbuf_uvarint(sm_rbuf_t *rb)
{
	uint64_t v = sm_rbuf_uleb(rb, 5);
	if (v > UINT32_MAX) {
		rb->err = 1;
		return 0;
	}
	return (uint32_t)v;
}

int32_t sm_rbuf_varint(sm_rbuf_t *rb)
{
	uint64_t u = sm_rbuf_uleb(rb, 5);
	if (u > UINT32_MAX) {
		rb->err = 1;
		return 0;
	}
	uint32_t v = (uint32_t)u;
	return (int32_t)((v >> 1) ^ (~(v & 1) + 1));
}

int64_t sm_rbuf_varlong(sm_rbuf_t *rb)
{
	uint64_t v = sm_rbuf_uleb(rb, 10);
	return (int64_t)((v >> 1) ^ (~(v & 1) + 1));
}

void sm_rbuf_uuid(sm_rbuf_t *rb, uint8_t out[16])
{
	const uint8_t *p = sm_rbuf_raw(rb, 16);
	if (p)
		memcpy(out, p, 16);
	else
		memset(out, 0, 16);
}

/* A length-prefixed value (int16 length for classic strings, int32 for
 * classic bytes, uvarint length + 1 when compact). Returns its bytes and sets
 * *len, or NULL with *len -1 for null and on failure (which sets rb->err). */
static const uint8_t *sm_rbuf_sized(sm_rbuf_t *rb, int compact, int classic_width,
				    int32_t *len)
{
	int64_t n;
	if (compact)
		n = (int64_t)sm_rbuf_uvarint(rb) - 1;
	else if (classic_width == 2)
		n = sm_rbuf_i16(rb);
	else
		n = sm_rbuf_i32(rb);
	*len = -1;
	if (rb->err)
		return NULL;
	if (n < 0) {
		if (n < -1)
			rb->err = 1;
		return NULL;
	}
	const uint8_t *p = sm_rbuf_raw(rb, (size_t)n);
	if (p)
		*len = (int32_t)n;
	return p;
}

char *sm_rbuf_str(sm_rbuf_t *rb, int compact, sm_arena_t *a)
{
	int32_t len;
	const uint8_t *p = sm_rbuf_sized(rb, compact, 2, &len);
	return p ? sm_arena_strndup(a, (const char *)p, (size_t)len) : NULL;
}

sm_bytes_t sm_rbuf_bytes(sm_rbuf_t *rb, int compact)
{
	sm_bytes_t b;
	b.ptr = sm_rbuf_sized(rb, compact, 4, &b.len);
	return b;
}

int32_t sm_rbuf_array(sm_rbuf_t *rb, int compact, size_t min_elem_size)
{
	int64_t n;
	if (compact)
		n = (int64_t)sm_rbuf_uvarint(rb) - 1;
	else
		n = sm_rbuf_i32(rb);
	if (rb->err)
		return 0;
	if (n < -1) {
		rb->err = 1;
		return 0;
	}
	if (n > 0 && (uint64_t)n * (min_elem_size ? min_elem_size : 1) >
			     sm_rbuf_remaining(rb)) {
		rb->err = 1;
		return 0;
	}
	return (int32_t)n;
}

void sm_rbuf_skip_tags(sm_rbuf_t *rb)
{
	uint32_t n = sm_rbuf_uvarint(rb);
	for (uint32_t i = 0; i < n && !rb->err; i++) {
		(void)sm_rbuf_uvarint(rb); /* tag */
		uint32_t sz = sm_rbuf_uvarint(rb);
		sm_rbuf_skip(rb, sz);
	}
}

/* ---- file references ---- */

sm_fileref_t *sm_fileref_new(int fd)
{
	sm_fileref_t *f = sm_malloc(sizeof(*f));
	f->fd = fd;
	f->refcnt = 1;
	return f;
}

sm_fileref_t *sm_fileref_keep(sm_fileref_t *f)
{
	__atomic_add_fetch(&f->refcnt, 1, __ATOMIC_RELAXED);
	return f;
}

void sm_fileref_release(sm_fileref_t *f)
{
	if (!f)
		return;
	if (__atomic_sub_fetch(&f->refcnt, 1, __ATOMIC_ACQ_REL) == 0) {
		if (f->fd >= 0)
			close(f->fd);
		free(f);
	}
}

/* ---- writer ---- */

void sm_wbuf_init(sm_wbuf_t *w, size_t initial_cap)
{
	memset(w, 0, sizeof(*w));
	w->cap = initial_cap ? initial_cap : 256;
	w->p = sm_malloc(w->cap);
}

void sm_wbuf_free(sm_wbuf_t *w)
{
	for (int i = 0; i < w->nfrags; i++)
		sm_fileref_release(w->frags[i].file);
	free(w->frags);
	free(w->p);
	memset(w, 0, sizeof(*w));
}

void sm_wbuf_reset(sm_wbuf_t *w)
{
	for (int i = 0; i < w->nfrags; i++)
		sm_fileref_release(w->frags[i].file);
	w->nfrags = 0;
	w->frag_bytes = 0;
	w->len = 0;
}

static void sm_wbuf_grow(sm_wbuf_t *w, size_t need)
{
	if (w->cap - w->len >= need)
		return;
	size_t cap = w->cap ? w->cap : 256;
	while (cap - w->len < need)
		cap *= 2;
	w->p = sm_realloc(w->p, cap);
	w->cap = cap;
}

void sm_wbuf_append(sm_wbuf_t *w, const void *p, size_t n)
{
	sm_wbuf_grow(w, n);
	if (n)
		memcpy(w->p + w->len, p, n);
	w->len += n;
}

size_t sm_wbuf_reserve(sm_wbuf_t *w, size_t n)
{
	sm_wbuf_grow(w, n);
	size_t at = w->len;
	memset(w->p + at, 0, n);
	w->len += n;
	return at;
}

void sm_wbuf_i8(sm_wbuf_t *w, int8_t v)
{
	sm_wbuf_append(w, &v, 1);
}

/* The low n bytes of v, most significant first. */
static void sm_wbuf_be(sm_wbuf_t *w, uint64_t v, size_t n)
{
	uint8_t b[8];
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	sm_wbuf_append(w, b, n);
}

void sm_wbuf_i16(sm_wbuf_t *w, int16_t v)
{
	sm_wbuf_be(w, (uint16_t)v, 2);
}

void sm_wbuf_u16(sm_wbuf_t *w, uint16_t v)
{
	sm_wbuf_i16(w, (int16_t)v);
}

void sm_wbuf_i32(sm_wbuf_t *w, int32_t v)
{
	sm_wbuf_be(w, (uint32_t)v, 4);
}

void sm_wbuf_u32(sm_wbuf_t *w, uint32_t v)
{
	sm_wbuf_i32(w, (int32_t)v);
}

void sm_wbuf_i64(sm_wbuf_t *w, int64_t v)
{
	sm_wbuf_be(w, (uint64_t)v, 8);
}

void sm_wbuf_f64(sm_wbuf_t *w, double v)
{
	uint64_t u;
	memcpy(&u, &v, sizeof(u));
	sm_wbuf_i64(w, (int64_t)u);
}

void sm_wbuf_bool(sm_wbuf_t *w, int v)
{
	sm_wbuf_i8(w, v ? 1 : 0);
}

static void sm_wbuf_uleb(sm_wbuf_t *w, uint64_t v)
{
	uint8_t b[10];
	int n = 0;
	while (v >= 0x80) {
		b[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b[n++] = (uint8_t)v;
	sm_wbuf_append(w, b, (size_t)n);
}

void sm_wbuf_uvarint(sm_wbuf_t *w, uint32_t v)
{
	sm_wbuf_uleb(w, v);
}

void sm_wbuf_varint(sm_wbuf_t *w, int32_t v)
{
	sm_wbuf_uleb(w, (uint32_t)(((uint32_t)v << 1) ^ (uint32_t)(v >> 31)));
}

void sm_wbuf_varlong(sm_wbuf_t *w, int64_t v)
{
	sm_wbuf_uleb(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void sm_wbuf_uuid(sm_wbuf_t *w, const uint8_t id[16])
{
	sm_wbuf_append(w, id, 16);
}

void sm_wbuf_patch_i32(sm_wbuf_t *w, size_t at, int32_t v)
{
	sm_put_be32(w->p + at, (uint32_t)v);
}

void sm_wbuf_patch_u32(sm_wbuf_t *w, size_t at, uint32_t v)
{
	sm_put_be32(w->p + at, v);
}

/* A length-prefixed value, len < 0 meaning null. Classic encodings give
 * strings an int16 length and bytes an int32 one; compact ones a uvarint of
 * length + 1 either way. */
static void sm_wbuf_sized(sm_wbuf_t *w, const void *p, int32_t len, int compact,
			  size_t classic_width)
{
	if (compact)
		sm_wbuf_uvarint(w, len < 0 ? 0 : (uint32_t)len + 1);
	else
		sm_wbuf_be(w, (uint64_t)(int64_t)(len < 0 ? -1 : len), classic_width);
	if (len > 0)
		sm_wbuf_append(w, p, (size_t)len);
}

void sm_wbuf_strn(sm_wbuf_t *w, const char *s, int32_t len, int compact)
{
	sm_wbuf_sized(w, s, s ? len : -1, compact, 2);
}

void sm_wbuf_str(sm_wbuf_t *w, const char *s, int compact)
{
	sm_wbuf_strn(w, s, s ? (int32_t)strlen(s) : -1, compact);
}

void sm_wbuf_bytes(sm_wbuf_t *w, const void *p, int32_t len, int compact)
{
	sm_wbuf_sized(w, p, len, compact, 4);
}

void sm_wbuf_array(sm_wbuf_t *w, int32_t n, int compact)
{
	if (compact)
		sm_wbuf_uvarint(w, n < 0 ? 0 : (uint32_t)n + 1);
	else
		sm_wbuf_i32(w, n);
}

void sm_wbuf_tags_empty(sm_wbuf_t *w)
{
	sm_wbuf_uvarint(w, 0);
}

void sm_wbuf_add_file(sm_wbuf_t *w, sm_fileref_t *f, off_t offset, size_t len)
{
	if (len == 0)
		return;
	if (w->nfrags == w->frags_cap) {
		w->frags_cap = w->frags_cap ? w->frags_cap * 2 : 4;
		w->frags = sm_realloc(w->frags, sizeof(*w->frags) * (size_t)w->frags_cap);
	}
	sm_wfrag_t *fr = &w->frags[w->nfrags++];
	fr->at = w->len;
	fr->file = sm_fileref_keep(f);
	fr->offset = offset;
	fr->len = len;
	w->frag_bytes += len;
}

uint8_t *sm_wbuf_flatten(const sm_wbuf_t *w, size_t *lenp)
{
	size_t total = sm_wbuf_size(w);
	uint8_t *out = sm_malloc(total);
	size_t mem = 0, o = 0;
	for (int i = 0; i < w->nfrags; i++) {
		const sm_wfrag_t *fr = &w->frags[i];
		memcpy(out + o, w->p + mem, fr->at - mem);
		o += fr->at - mem;
		mem = fr->at;
		size_t done = 0;
		while (done < fr->len) {
			ssize_t r = pread(fr->file->fd, out + o + done, fr->len - done,
					  fr->offset + (off_t)done);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				free(out);
				return NULL;
			}
			done += (size_t)r;
		}
		o += fr->len;
	}
	memcpy(out + o, w->p + mem, w->len - mem);
	*lenp = total;
	return out;
}

int sm_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
