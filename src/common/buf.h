/*
 * buf.h - bounds-checked big-endian reader, growable writer, request arena and
 * refcounted file references: the primitives every codec in Samsa is built on
 * (the role of librdkafka's rdkafka_buf.h).
 *
 * Reader: every read is bounds-checked. The first failure sets rb->err and
 * every later read returns zero/NULL, so a parser reads a whole structure and
 * checks once (SM_RBUF_CHECK jumps to the caller's err_parse label). Nothing a
 * peer sends can make a read leave the buffer.
 *
 * Writer: appends, growing as needed; allocation failure aborts. A writer may
 * also carry "file fragments": byte ranges of an open file spliced into the
 * output at a given position, so a Fetch response can send segment data with
 * sendfile(2) instead of copying it (sm_wbuf_add_file).
 *
 * Thread-safety: a reader, writer or arena belongs to one thread at a time.
 * sm_fileref_t is refcounted atomically and may be shared.
 */
#ifndef SM_BUF_H
#define SM_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- arena: bump allocator for one request's decoded structures ---- */

typedef struct sm_arena_chunk sm_arena_chunk_t;
typedef struct sm_arena {
	sm_arena_chunk_t *head;
	size_t total;  /* bytes handed out so far */
	size_t budget; /* cap for sm_arena_alloc_array(); 0 = none */
} sm_arena_t;

void sm_arena_init(sm_arena_t *a);
/* Zeroed, 8-byte aligned memory that lives until sm_arena_destroy(). */
void *sm_arena_alloc(sm_arena_t *a, size_t size);
/* Caps what sm_arena_alloc_array() may hand out over the arena's life (one
 * request's budget); plain sm_arena_alloc() counts against it but never
 * fails. */
static inline void sm_arena_set_budget(sm_arena_t *a, size_t budget)
{
	a->budget = budget;
}
/* The one allocation for arrays whose element count a peer chose (directly,
 * or as a product such as partitions x replicas): cnt elements of elem_size,
 * zeroed. Returns NULL, allocating nothing, when cnt is negative, when
 * cnt * elem_size overflows, or when it would take the arena past its
 * budget; cnt == 0 gives a valid (empty) pointer. The caller answers the
 * peer with an error instead of aborting on a failed allocation. */
void *sm_arena_alloc_array(sm_arena_t *a, int64_t cnt, size_t elem_size);
/* NUL-terminated copy of p[0..len) in the arena. */
char *sm_arena_strndup(sm_arena_t *a, const char *p, size_t len);
void sm_arena_destroy(sm_arena_t *a);

/* ---- reader ---- */

typedef struct sm_rbuf {
	const uint8_t *p;
	size_t len;
	size_t pos;
	int err; /* sticky: non-zero after the first bad read */
} sm_rbuf_t;

/* A byte string inside a buffer: ptr/len, len == -1 means null. */
typedef struct sm_bytes {
	const uint8_t *ptr;
	int32_t len;
} sm_bytes_t;

#define SM_RBUF_CHECK(rb)                                                     \
	do {                                                                  \
		if ((rb)->err)                                                \
			goto err_parse;                                       \
	} while (0)

void sm_rbuf_init(sm_rbuf_t *rb, const void *p, size_t len);
static inline size_t sm_rbuf_remaining(const sm_rbuf_t *rb)
{
	return rb->err ? 0 : rb->len - rb->pos;
}
/* Marks the reader failed (e.g. a semantically invalid value). */
void sm_rbuf_fail(sm_rbuf_t *rb);

int8_t sm_rbuf_i8(sm_rbuf_t *rb);
int16_t sm_rbuf_i16(sm_rbuf_t *rb);
int32_t sm_rbuf_i32(sm_rbuf_t *rb);
int64_t sm_rbuf_i64(sm_rbuf_t *rb);
uint16_t sm_rbuf_u16(sm_rbuf_t *rb);
uint32_t sm_rbuf_u32(sm_rbuf_t *rb);
double sm_rbuf_f64(sm_rbuf_t *rb);
int sm_rbuf_bool(sm_rbuf_t *rb);
/* Unsigned LEB128 varint (protocol compact lengths, tags): at most 5 bytes. */
uint32_t sm_rbuf_uvarint(sm_rbuf_t *rb);
/* Zig-zag signed varint / varlong (record batch v2 fields). */
int32_t sm_rbuf_varint(sm_rbuf_t *rb);
int64_t sm_rbuf_varlong(sm_rbuf_t *rb);
void sm_rbuf_uuid(sm_rbuf_t *rb, uint8_t out[16]);
/* n raw bytes: pointer into the buffer, or NULL (and err set) if short. */
const uint8_t *sm_rbuf_raw(sm_rbuf_t *rb, size_t n);
void sm_rbuf_skip(sm_rbuf_t *rb, size_t n);

/* Protocol strings. compact != 0 selects the flexible (uvarint N+1) form.
 * Returns a NUL-terminated arena copy, or NULL for a null string (also NULL
 * on error: check rb->err). */
char *sm_rbuf_str(sm_rbuf_t *rb, int compact, sm_arena_t *a);
/* Protocol bytes (int32 length, or compact uvarint N+1); points into rb. */
sm_bytes_t sm_rbuf_bytes(sm_rbuf_t *rb, int compact);
/* Array element count (int32, or compact uvarint N+1). Returns -1 for null.
 * Fails the reader if the count exceeds the bytes left (every element takes
 * at least min_elem_size bytes), so a hostile count cannot make a caller
 * allocate or loop without bound. */
int32_t sm_rbuf_array(sm_rbuf_t *rb, int compact, size_t min_elem_size);
/* Reads a tagged-field section and skips every field in it. */
void sm_rbuf_skip_tags(sm_rbuf_t *rb);

/* ---- refcounted open file (segment data held by in-flight sends) ---- */

typedef struct sm_fileref {
	int fd;
	int refcnt; /* atomic */
} sm_fileref_t;

/* Takes ownership of fd; refcount starts at 1. */
sm_fileref_t *sm_fileref_new(int fd);
sm_fileref_t *sm_fileref_keep(sm_fileref_t *f);
/* Drops a reference; the last one closes the fd. */
void sm_fileref_release(sm_fileref_t *f);

/* ---- writer ---- */

typedef struct sm_wfrag {
	size_t at;          /* position in the memory buffer where it is spliced */
	sm_fileref_t *file; /* reference held by the writer */
	off_t offset;
	size_t len;
} sm_wfrag_t;

typedef struct sm_wbuf {
	uint8_t *p;
	size_t len;
	size_t cap;
	sm_wfrag_t *frags; /* in increasing 'at' order */
	int nfrags;
	int frags_cap;
	size_t frag_bytes; /* total length of all file fragments */
} sm_wbuf_t;

void sm_wbuf_init(sm_wbuf_t *w, size_t initial_cap);
void sm_wbuf_free(sm_wbuf_t *w);
void sm_wbuf_reset(sm_wbuf_t *w);
/* Logical size: memory bytes plus spliced file bytes. */
static inline size_t sm_wbuf_size(const sm_wbuf_t *w)
{
	return w->len + w->frag_bytes;
}
void sm_wbuf_append(sm_wbuf_t *w, const void *p, size_t n);
/* Reserves n bytes and returns their offset (to patch later). */
size_t sm_wbuf_reserve(sm_wbuf_t *w, size_t n);
void sm_wbuf_i8(sm_wbuf_t *w, int8_t v);
void sm_wbuf_i16(sm_wbuf_t *w, int16_t v);
void sm_wbuf_i32(sm_wbuf_t *w, int32_t v);
void sm_wbuf_i64(sm_wbuf_t *w, int64_t v);
void sm_wbuf_u16(sm_wbuf_t *w, uint16_t v);
void sm_wbuf_u32(sm_wbuf_t *w, uint32_t v);
void sm_wbuf_f64(sm_wbuf_t *w, double v);
void sm_wbuf_bool(sm_wbuf_t *w, int v);
void sm_wbuf_uvarint(sm_wbuf_t *w, uint32_t v);
void sm_wbuf_varint(sm_wbuf_t *w, int32_t v);
void sm_wbuf_varlong(sm_wbuf_t *w, int64_t v);
void sm_wbuf_uuid(sm_wbuf_t *w, const uint8_t id[16]);
void sm_wbuf_patch_i32(sm_wbuf_t *w, size_t at, int32_t v);
void sm_wbuf_patch_u32(sm_wbuf_t *w, size_t at, uint32_t v);
/* Protocol string; s == NULL writes null. */
void sm_wbuf_str(sm_wbuf_t *w, const char *s, int compact);
void sm_wbuf_strn(sm_wbuf_t *w, const char *s, int32_t len, int compact);
/* Protocol bytes; len == -1 writes null. */
void sm_wbuf_bytes(sm_wbuf_t *w, const void *p, int32_t len, int compact);
/* Array count; n == -1 writes null. */
void sm_wbuf_array(sm_wbuf_t *w, int32_t n, int compact);
/* Empty tagged-field section (the single byte 0). */
void sm_wbuf_tags_empty(sm_wbuf_t *w);
/* Splices [offset, offset+len) of f here; takes its own reference to f. */
void sm_wbuf_add_file(sm_wbuf_t *w, sm_fileref_t *f, off_t offset, size_t len);
/* Copies the whole logical content (file fragments read with pread) into a
 * flat malloc'd buffer; for tests and small responses. Returns NULL on I/O
 * error. *lenp receives the size. */
uint8_t *sm_wbuf_flatten(const sm_wbuf_t *w, size_t *lenp);

/* ---- unaligned big-endian helpers ---- */
static inline uint16_t sm_be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t sm_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t sm_be64(const uint8_t *p) { return ((uint64_t)sm_be32(p) << 32) | sm_be32(p + 4); }
static inline void sm_put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void sm_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void sm_put_be64(uint8_t *p, uint64_t v) { sm_put_be32(p, (uint32_t)(v >> 32)); sm_put_be32(p + 4, (uint32_t)v); }

/* ---- checked arithmetic on peer-supplied values ---- */

/* *out = a * b; 0, or -1 (and *out untouched) when it does not fit. */
static inline int sm_size_mul(size_t a, size_t b, size_t *out)
{
	size_t r;
	if (__builtin_mul_overflow(a, b, &r))
		return -1;
	*out = r;
	return 0;
}
/* a + b clamped to [INT64_MIN, INT64_MAX]: a deadline or expiry computed
 * from a peer's duration or timestamp never wraps. */
static inline int64_t sm_i64_sat_add(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}
/* Heap counterpart of sm_arena_alloc_array() for arrays that outlive a
 * request: NULL (no abort) when cnt is negative, cnt * elem_size overflows,
 * exceeds limit bytes, or malloc fails. Zeroed; free() it. */
void *sm_alloc_array(int64_t cnt, size_t elem_size, size_t limit);

/* Allocation wrappers that abort on failure. */
void *sm_malloc(size_t n);
void *sm_calloc(size_t n, size_t size);
void *sm_realloc(void *p, size_t n);
char *sm_strdup(const char *s);
/* The value of hex digit c (either case), or -1. */
int sm_hex_digit(int c);
char *sm_strndup(const char *s, size_t n);

#endif /* SM_BUF_H */
