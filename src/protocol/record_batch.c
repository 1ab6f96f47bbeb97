/*
 * record_batch.c - record batch v2: parse, validate as a Kafka 2.8 leader
 * does (kafka.log.LogValidator for magic 2, DefaultRecordBatch.ensureValid),
 * stamp, recompress, iterate and build (MemoryRecordsBuilder).
 *
 * Error codes follow where Kafka raises them: framing that leaves zero or
 * several batches and record-level structure problems are INVALID_RECORD
 * (InvalidRecordException); a batch too short for its own header or with a
 * bad CRC is CORRUPT_MESSAGE (CorruptRecordException).
 *
 * Compressed records are never decoded whole: validation streams them
 * through the decoder (compression.h) into a fixed stack buffer, skipping
 * keys and values as Kafka's skipKeyValueIterator does, and the iterator
 * decodes one record at a time (DefaultRecordBatch.streamingIterator), so a
 * small batch that decodes to gigabytes costs CPU, not memory.
 *
 * Thread-safety: reentrant; an iterator belongs to one thread.
 */
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "record_batch.h"

#define SM_BATCH_MIN_LENGTH (SM_BATCH_HEADER_SIZE - SM_LOG_OVERHEAD) /* 49 */
#define SM_LEGACY_MIN_SIZE 14 /* LegacyRecord.RECORD_OVERHEAD_V0 */

int sm_batch_hdr_parse(const uint8_t *p, size_t len, sm_batch_hdr_t *h)
{
	if (len < SM_BATCH_HEADER_SIZE)
		return -1;
	h->base_offset = (int64_t)sm_be64(p);
	h->batch_length = (int32_t)sm_be32(p + 8);
	h->partition_leader_epoch = (int32_t)sm_be32(p + 12);
	h->magic = (int8_t)p[16];
	h->crc = sm_be32(p + 17);
	h->attributes = (int16_t)sm_be16(p + 21);
	h->last_offset_delta = (int32_t)sm_be32(p + 23);
	h->base_timestamp = (int64_t)sm_be64(p + 27);
	h->max_timestamp = (int64_t)sm_be64(p + 35);
	h->producer_id = (int64_t)sm_be64(p + 43);
	h->producer_epoch = (int16_t)sm_be16(p + 51);
	h->base_sequence = (int32_t)sm_be32(p + 53);
	h->record_count = (int32_t)sm_be32(p + 57);
	return 0;
}

int64_t sm_batch_entry_size(const uint8_t *p, size_t len)
{
	if (len < SM_LOG_OVERHEAD)
		return 0;
	int32_t size = (int32_t)sm_be32(p + 8);
	if (size < SM_LEGACY_MIN_SIZE)
		return -1;
	int64_t total = (int64_t)size + SM_LOG_OVERHEAD;
	return (uint64_t)total <= len ? total : 0;
}

static uint32_t batch_crc(const uint8_t *p, size_t len)
{
	return sm_crc32c(0, p + SM_BATCH_ATTR_OFFSET, len - SM_BATCH_ATTR_OFFSET);
}

sm_err_t sm_batch_verify(const uint8_t *p, size_t len)
{
	sm_batch_hdr_t h;
	if (sm_batch_hdr_parse(p, len, &h) || h.magic != SM_BATCH_MAGIC ||
	    h.batch_length < SM_BATCH_MIN_LENGTH ||
	    (size_t)h.batch_length + SM_LOG_OVERHEAD != len ||
	    batch_crc(p, len) != h.crc)
		return SM_ERR_CORRUPT_MESSAGE;
	return SM_ERR_NONE;
}

/* ---- record decoding ---- */

static int batch_headers_parse(sm_rbuf_t *r, sm_record_header_t **hdrs,
			       int32_t *cap, int32_t *count)
{
	int32_t n = sm_rbuf_varint(r);
	SM_RBUF_CHECK(r);
	/* Each header takes at least two bytes: bounds a hostile count. */
	if (n < 0 || (size_t)n > sm_rbuf_remaining(r) / 2)
		goto err_parse;
	if (n > *cap) {
		*hdrs = sm_realloc(*hdrs, (size_t)n * sizeof(**hdrs));
		*cap = n;
	}
	for (int32_t i = 0; i < n; i++) {
		sm_record_header_t *x = &(*hdrs)[i];
		x->key_len = sm_rbuf_varint(r);
		if (x->key_len < 0)
			goto err_parse; /* header keys are never null */
		x->key = sm_rbuf_raw(r, (size_t)x->key_len);
		x->value_len = sm_rbuf_varint(r);
		if (x->value_len < 0)
			x->value_len = -1;
		x->value = x->value_len >= 0 ?
				   sm_rbuf_raw(r, (size_t)x->value_len) : NULL;
		SM_RBUF_CHECK(r);
	}
	*count = n;
	return 0;
err_parse:
	return -1;
}

/* Decodes the record at rb's position. Returns 0, or -1 when the record is
 * malformed or its length prefix disagrees with its content. */
static int batch_record_body(const uint8_t *body, size_t len,
			     const sm_batch_hdr_t *h, sm_record_t *rec,
			     sm_record_header_t **hdrs, int32_t *hcap)
{
	sm_rbuf_t r;
	sm_rbuf_init(&r, body, len);
	(void)sm_rbuf_i8(&r); /* attributes: unused */
	int64_t ts_delta = sm_rbuf_varlong(&r);
	int32_t off_delta = sm_rbuf_varint(&r);
	rec->key_len = sm_rbuf_varint(&r);
	if (rec->key_len < 0)
		rec->key_len = -1;
	rec->key = rec->key_len >= 0 ? sm_rbuf_raw(&r, (size_t)rec->key_len) : NULL;
	rec->value_len = sm_rbuf_varint(&r);
	if (rec->value_len < 0)
		rec->value_len = -1;
	rec->value = rec->value_len >= 0 ?
			     sm_rbuf_raw(&r, (size_t)rec->value_len) : NULL;
	SM_RBUF_CHECK(&r);
	if (batch_headers_parse(&r, hdrs, hcap, &rec->header_count))
		goto err_parse;
	if (sm_rbuf_remaining(&r) != 0)
		goto err_parse;
	rec->headers = rec->header_count ? *hdrs : NULL;
	rec->offset = (int64_t)((uint64_t)h->base_offset + (uint64_t)(int64_t)off_delta);
	if (sm_batch_is_log_append_time(h))
		rec->timestamp = h->max_timestamp;
	else
		rec->timestamp = (int64_t)((uint64_t)h->base_timestamp +
					   (uint64_t)ts_delta);
	return 0;
err_parse:
	return -1;
}

static int batch_record_parse(sm_rbuf_t *rb, const sm_batch_hdr_t *h,
			      sm_record_t *rec, sm_record_header_t **hdrs,
			      int32_t *hcap)
{
	int32_t len = sm_rbuf_varint(rb);
	SM_RBUF_CHECK(rb);
	if (len < 0 || (size_t)len > sm_rbuf_remaining(rb))
		goto err_parse;
	if (batch_record_body(rb->p + rb->pos, (size_t)len, h, rec, hdrs, hcap))
		goto err_parse;
	rb->pos += (size_t)len;
	return 0;
err_parse:
	return -1;
}

/* ---- streaming record reader ---- */

/* Decoded record bytes come through data[pos..len); consumed counts every
 * byte taken so that record lengths can be checked without holding them.
 * Compressed records are decoded into buf and data points there; the
 * records of an uncompressed batch are read where they lie (direct), so
 * validating one touches each byte once and copies nothing. */
typedef struct sm_batch_rstream {
	sm_dstream_t ds;
	uint8_t *buf;
	const uint8_t *data;
	int direct;
	size_t cap, pos, len;
	uint64_t consumed;
	uint64_t total;     /* decoded so far */
	uint64_t max_total; /* 0: unbounded */
	sm_err_t err;       /* sticky: CORRUPT_MESSAGE or INVALID_RECORD */
} sm_batch_rstream_t;

static sm_err_t rs_init(sm_batch_rstream_t *rs, const sm_batch_hdr_t *h,
			const uint8_t *batch, uint8_t *buf, size_t cap,
			uint64_t max_total)
{
	memset(rs, 0, sizeof(*rs));
	rs->buf = buf;
	rs->data = buf;
	rs->cap = cap;
	rs->max_total = max_total;
	const uint8_t *recs = batch + SM_BATCH_HEADER_SIZE;
	size_t rlen = (size_t)h->batch_length - SM_BATCH_MIN_LENGTH;
	rs->err = sm_dstream_init(&rs->ds, sm_batch_codec(h), recs, rlen,
				  SM_BATCH_MAGIC);
	/* Over the decoded-size budget, the uncompressed records still go
	 * through the window so the error is the one, and comes at the point,
	 * that the stream gives. */
	if (!rs->err && sm_batch_codec(h) == SM_CODEC_NONE &&
	    (!max_total || rlen <= max_total)) {
		rs->direct = 1;
		rs->data = recs;
		rs->len = rlen;
		rs->total = rlen;
	}
	return rs->err;
}

/* 1: bytes available; 0: end of the decoded records; -1: rs->err. */
static int rs_fill(sm_batch_rstream_t *rs)
{
	if (rs->pos < rs->len)
		return 1;
	if (rs->err)
		return -1;
	if (rs->direct)
		return 0;
	long n = sm_dstream_read(&rs->ds, rs->buf, rs->cap);
	if (n < 0) {
		rs->err = rs->ds.err;
		return -1;
	}
	rs->pos = 0;
	rs->len = (size_t)n;
	rs->total += (uint64_t)n;
	if (rs->max_total && rs->total > rs->max_total) {
		rs->err = SM_ERR_CORRUPT_MESSAGE;
		return -1;
	}
	return n > 0;
}

/* Records that end before their count or length says: INVALID_RECORD, as
 * Kafka's "premature EOF" is. */
static int rs_need(sm_batch_rstream_t *rs)
{
	int rc = rs_fill(rs);
	if (rc == 0)
		rs->err = SM_ERR_INVALID_RECORD;
	return rc > 0 ? 0 : -1;
}

static int rs_byte(sm_batch_rstream_t *rs, uint8_t *b)
{
	if (rs_need(rs))
		return -1;
	*b = rs->data[rs->pos++];
	rs->consumed++;
	return 0;
}

static int rs_uvar(sm_batch_rstream_t *rs, int max_bytes, uint64_t *v)
{
	/* Most varints of a record (attributes aside: lengths, deltas,
	 * header counts) take one or two bytes; read those without the
	 * per-byte refill checks of the loop. */
	if (rs->len - rs->pos >= 2) {
		const uint8_t *q = rs->data + rs->pos;
		if (!(q[0] & 0x80)) {
			*v = q[0];
			rs->pos++;
			rs->consumed++;
			return 0;
		}
		if (!(q[1] & 0x80)) {
			*v = (uint64_t)(q[0] & 0x7f) | (uint64_t)q[1] << 7;
			rs->pos += 2;
			rs->consumed += 2;
			return 0;
		}
	}
	uint64_t x = 0;
	for (int i = 0; i < max_bytes; i++) {
		uint8_t b;
		if (rs_byte(rs, &b))
			return -1;
		x |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	rs->err = SM_ERR_INVALID_RECORD; /* varint too long */
	return -1;
}

static int rs_varint(sm_batch_rstream_t *rs, int32_t *v)
{
	uint64_t u;
	if (rs_uvar(rs, 5, &u))
		return -1;
	uint32_t x = (uint32_t)u;
	*v = (int32_t)((x >> 1) ^ (0u - (x & 1)));
	return 0;
}

static int rs_varlong(sm_batch_rstream_t *rs, int64_t *v)
{
	uint64_t x;
	if (rs_uvar(rs, 10, &x))
		return -1;
	*v = (int64_t)((x >> 1) ^ (0u - (x & 1)));
	return 0;
}

/* Passes over n decoded bytes, or copies them to dst if not NULL. */
static int rs_take(sm_batch_rstream_t *rs, uint8_t *dst, uint64_t n)
{
	while (n > 0) {
		if (rs_need(rs))
			return -1;
		size_t k = rs->len - rs->pos;
		if (k > n)
			k = (size_t)n;
		if (dst) {
			memcpy(dst, rs->data + rs->pos, k);
			dst += k;
		}
		rs->pos += k;
		rs->consumed += k;
		n -= k;
	}
	return 0;
}

static void rs_end(sm_batch_rstream_t *rs)
{
	sm_dstream_end(&rs->ds);
}

/* What validation needs of one record; key and value are skipped. */
typedef struct batch_rec_meta {
	int64_t ts_delta;
	int32_t off_delta;
	int32_t key_len;
} batch_rec_meta_t;

/* Bytes of the record ending at end still unread, or -1 past it. */
static int64_t rs_left(const sm_batch_rstream_t *rs, uint64_t end)
{
	return rs->consumed <= end ? (int64_t)(end - rs->consumed) : -1;
}

/* Reads one record's fields, skipping key, value and headers; every
 * length is checked against what the record's own length leaves, so a
 * hostile length costs nothing. 0, or -1 with rs->err set. */
static int rs_record_skim(sm_batch_rstream_t *rs, batch_rec_meta_t *m)
{
	int32_t len, n, vlen;
	uint8_t attrs;
	if (rs_varint(rs, &len))
		return -1;
	if (len < 0)
		goto bad;
	uint64_t end = rs->consumed + (uint64_t)len;
	if (rs_byte(rs, &attrs) || rs_varlong(rs, &m->ts_delta) ||
	    rs_varint(rs, &m->off_delta) || rs_varint(rs, &m->key_len))
		return -1;
	if (m->key_len < 0)
		m->key_len = -1;
	else if (m->key_len > rs_left(rs, end) || rs_take(rs, NULL, (uint64_t)m->key_len))
		goto bad_or_err;
	if (rs_varint(rs, &vlen))
		return -1;
	if (vlen >= 0 && (vlen > rs_left(rs, end) || rs_take(rs, NULL, (uint64_t)vlen)))
		goto bad_or_err;
	if (rs_varint(rs, &n))
		return -1;
	/* Each header takes at least two bytes: bounds a hostile count. */
	if (n < 0 || rs_left(rs, end) < 0 || n > rs_left(rs, end) / 2)
		goto bad;
	for (int32_t i = 0; i < n; i++) {
		int32_t hk, hv;
		if (rs_varint(rs, &hk))
			return -1;
		if (hk < 0 || hk > rs_left(rs, end) || rs_take(rs, NULL, (uint64_t)hk))
			goto bad_or_err;
		if (rs_varint(rs, &hv))
			return -1;
		if (hv >= 0 && (hv > rs_left(rs, end) || rs_take(rs, NULL, (uint64_t)hv)))
			goto bad_or_err;
	}
	if (rs->consumed != end)
		goto bad;
	return 0;
bad_or_err:
	if (rs->err)
		return -1;
bad:
	rs->err = SM_ERR_INVALID_RECORD;
	return -1;
}

/* ---- iterator ---- */

sm_err_t sm_batch_iter_init(sm_batch_iter_t *it, const uint8_t *p, size_t len,
			    size_t max_record)
{
	memset(it, 0, sizeof(*it));
	sm_wbuf_init(&it->scratch, 0);
	it->max_record = max_record ? max_record : SM_BATCH_DEFAULT_MAX_UNCOMPRESSED;
	if (sm_batch_hdr_parse(p, len, &it->hdr) || it->hdr.magic != SM_BATCH_MAGIC ||
	    it->hdr.batch_length < SM_BATCH_MIN_LENGTH ||
	    (size_t)it->hdr.batch_length + SM_LOG_OVERHEAD > len)
		return it->err = SM_ERR_CORRUPT_MESSAGE;
	if (it->hdr.record_count < 0)
		return it->err = SM_ERR_INVALID_RECORD;
	const uint8_t *recs = p + SM_BATCH_HEADER_SIZE;
	size_t rlen = (size_t)it->hdr.batch_length - SM_BATCH_MIN_LENGTH;
	sm_codec_t codec = sm_batch_codec(&it->hdr);
	if (codec > SM_CODEC_MAX)
		return it->err = SM_ERR_UNSUPPORTED_COMPRESSION_TYPE;
	if (codec != SM_CODEC_NONE) {
		/* The decoder and its window share one allocation. */
		it->rs = sm_malloc(sizeof(*it->rs) + SM_BATCH_STREAM_BUF);
		sm_err_t err = rs_init(it->rs, &it->hdr, p, (uint8_t *)(it->rs + 1),
				       SM_BATCH_STREAM_BUF, 0);
		if (err)
			return it->err = err;
		return SM_ERR_NONE;
	}
	sm_rbuf_init(&it->rb, recs, rlen);
	return SM_ERR_NONE;
}

/* The next record of a compressed batch with its value passed over: the
 * rest is re-encoded into it->scratch with a null value and parsed from
 * there, so only key and headers (each bounded) are held. */
static int batch_iter_next_skim(sm_batch_iter_t *it, sm_record_t *rec)
{
	sm_batch_rstream_t *rs = it->rs;
	sm_wbuf_t *w = &it->scratch;
	int32_t len, off, klen, vlen;
	int64_t ts;
	uint8_t attrs;
	if (rs_varint(rs, &len))
		goto err_stream;
	if (len < 0)
		goto err_bad;
	uint64_t end = rs->consumed + (uint64_t)len;
	if (rs_byte(rs, &attrs) || rs_varlong(rs, &ts) || rs_varint(rs, &off) ||
	    rs_varint(rs, &klen))
		goto err_stream;
	sm_wbuf_reset(w);
	sm_wbuf_i8(w, (int8_t)attrs);
	sm_wbuf_varlong(w, ts);
	sm_wbuf_varint(w, off);
	sm_wbuf_varint(w, klen < 0 ? -1 : klen);
	if (klen >= 0) {
		if (klen > rs_left(rs, end))
			goto err_bad;
		if ((size_t)klen > it->max_record)
			goto err_large;
		size_t at = sm_wbuf_reserve(w, (size_t)klen);
		if (rs_take(rs, w->p + at, (uint64_t)klen))
			goto err_stream;
	}
	if (rs_varint(rs, &vlen))
		goto err_stream;
	if (vlen >= 0 && (vlen > rs_left(rs, end) || rs_take(rs, NULL, (uint64_t)vlen)))
		goto err_stream_or_bad;
	sm_wbuf_varint(w, -1);
	int64_t rest = rs_left(rs, end); /* the headers */
	if (rest < 0)
		goto err_bad;
	if ((uint64_t)rest > it->max_record)
		goto err_large;
	size_t at = sm_wbuf_reserve(w, (size_t)rest);
	if (rs_take(rs, w->p + at, (uint64_t)rest))
		goto err_stream;
	if (batch_record_body(w->p, w->len, &it->hdr, rec, &it->hdrs, &it->hdrs_cap))
		goto err_bad;
	rec->value = NULL;
	rec->value_len = vlen < 0 ? -1 : vlen;
	return 1;
err_large:
	it->err = SM_ERR_MESSAGE_TOO_LARGE;
	return -1;
err_stream_or_bad:
	if (rs->err)
		goto err_stream;
err_bad:
	it->err = SM_ERR_INVALID_RECORD;
	return -1;
err_stream:
	it->err = rs->err;
	return -1;
}

/* The next record of a compressed batch, decoded into it->scratch. */
static int batch_iter_next_stream(sm_batch_iter_t *it, sm_record_t *rec)
{
	sm_batch_rstream_t *rs = it->rs;
	int32_t len;
	if (rs_varint(rs, &len)) {
		it->err = rs->err;
		return -1;
	}
	if (len < 0) {
		it->err = SM_ERR_INVALID_RECORD;
		return -1;
	}
	if ((size_t)len > it->max_record) {
		it->err = SM_ERR_MESSAGE_TOO_LARGE; /* refused, not allocated */
		return -1;
	}
	sm_wbuf_reset(&it->scratch);
	size_t at = sm_wbuf_reserve(&it->scratch, (size_t)len);
	uint8_t *dst = it->scratch.p + at;
	if (rs_take(rs, dst, (uint64_t)len)) {
		it->err = rs->err;
		return -1;
	}
	if (batch_record_body(dst, (size_t)len, &it->hdr, rec, &it->hdrs,
			      &it->hdrs_cap)) {
		it->err = SM_ERR_INVALID_RECORD;
		return -1;
	}
	return 1;
}

int sm_batch_iter_next(sm_batch_iter_t *it, sm_record_t *rec)
{
	if (it->err)
		return -1;
	if (it->index >= it->hdr.record_count) {
		int left = it->rs ? rs_fill(it->rs) : sm_rbuf_remaining(&it->rb) != 0;
		if (left == 0)
			return 0;
		/* records left over, or undecodable data after the last one */
		it->err = left > 0 ? SM_ERR_INVALID_RECORD : it->rs->err;
		return -1;
	}
	if (it->rs) {
		int rc = it->skip_values ? batch_iter_next_skim(it, rec) :
					   batch_iter_next_stream(it, rec);
		if (rc < 0)
			return -1;
	} else if (batch_record_parse(&it->rb, &it->hdr, rec, &it->hdrs, &it->hdrs_cap)) {
		it->err = SM_ERR_INVALID_RECORD;
		return -1;
	}
	it->index++;
	return 1;
}

void sm_batch_iter_destroy(sm_batch_iter_t *it)
{
	if (it->rs) {
		rs_end(it->rs);
		free(it->rs);
		it->rs = NULL;
	}
	sm_wbuf_free(&it->scratch);
	free(it->hdrs);
	it->hdrs = NULL;
	it->hdrs_cap = 0;
}

/* ---- validation ---- */

/* Framing, size, CRC and batch-level fields (Log.analyzeAndValidateRecords
 * and LogValidator.validateBatch). */
static sm_err_t batch_check_frame(const uint8_t *p, size_t len,
				  const sm_batch_validate_opts_t *o,
				  sm_batch_hdr_t *h)
{
	int64_t size = sm_batch_entry_size(p, len);
	if (size < 0)
		return SM_ERR_CORRUPT_MESSAGE;
	if (size == 0)
		return SM_ERR_INVALID_RECORD; /* no complete batch */
	if ((size_t)size != len)
		return SM_ERR_INVALID_RECORD; /* more than one batch */
	if (p[16] != SM_BATCH_MAGIC)
		return SM_ERR_INVALID_RECORD;
	if (len < SM_BATCH_HEADER_SIZE)
		return SM_ERR_CORRUPT_MESSAGE;
	sm_batch_hdr_parse(p, len, h);
	if (sm_batch_codec(h) == SM_CODEC_ZSTD && !o->allow_zstd)
		return SM_ERR_UNSUPPORTED_COMPRESSION_TYPE;
	if (o->max_message_bytes > 0 && size > o->max_message_bytes)
		return SM_ERR_MESSAGE_TOO_LARGE;
	if (batch_crc(p, len) != h->crc)
		return SM_ERR_CORRUPT_MESSAGE;
	if (sm_batch_codec(h) > SM_CODEC_MAX)
		return SM_ERR_UNSUPPORTED_COMPRESSION_TYPE;
	if (h->last_offset_delta < 0 || h->record_count <= 0 ||
	    (int64_t)h->last_offset_delta + 1 != h->record_count)
		return SM_ERR_INVALID_RECORD;
	if (o->allow_control)
		return SM_ERR_NONE; /* coordinator origin: no client checks */
	if (sm_batch_is_control(h))
		return SM_ERR_INVALID_RECORD;
	if (h->producer_id >= 0 && h->base_sequence < 0)
		return SM_ERR_INVALID_RECORD;
	return SM_ERR_NONE;
}

static int batch_ts_too_far(int64_t ts, int64_t now, int64_t max_diff)
{
	uint64_t d = ts > now ? (uint64_t)ts - (uint64_t)now :
				(uint64_t)now - (uint64_t)ts;
	return max_diff >= 0 && d > (uint64_t)max_diff;
}

/* Walks the records as LogValidator.validateMessagesAndAssignOffsets-
 * Compressed does for v2: decoded a buffer at a time, keys and values
 * skipped, so nothing here grows with the decoded size. */
static sm_err_t batch_check_records(const uint8_t *p, const sm_batch_hdr_t *h,
				    const sm_batch_validate_opts_t *o,
				    sm_batch_info_t *info)
{
	uint8_t buf[SM_BATCH_STREAM_BUF];
	sm_batch_rstream_t rs;
	batch_rec_meta_t m;
	int check_ts = !o->log_append_time && !sm_batch_is_log_append_time(h);
	sm_err_t err = rs_init(&rs, h, p, buf, sizeof(buf), o->max_uncompressed);

	info->max_timestamp = SM_NO_TIMESTAMP;
	info->offset_delta_of_max_timestamp = -1;
	info->first_timestamp = SM_NO_TIMESTAMP;
	for (int32_t delta = 0; !err && delta < h->record_count; delta++) {
		if (rs_record_skim(&rs, &m)) {
			err = rs.err;
			break;
		}
		if (m.off_delta != delta) {
			err = SM_ERR_INVALID_RECORD;
			break;
		}
		if (o->compacted && m.key_len < 0) {
			err = SM_ERR_INVALID_RECORD;
			break;
		}
		int64_t ts = sm_batch_is_log_append_time(h) ? h->max_timestamp :
			     (int64_t)((uint64_t)h->base_timestamp + (uint64_t)m.ts_delta);
		if (check_ts && ts != SM_NO_TIMESTAMP &&
		    batch_ts_too_far(ts, o->now, o->max_timestamp_diff_ms)) {
			err = SM_ERR_INVALID_TIMESTAMP;
			break;
		}
		if (delta == 0)
			info->first_timestamp = ts;
		if (ts > info->max_timestamp) {
			info->max_timestamp = ts;
			info->offset_delta_of_max_timestamp = delta;
		}
	}
	/* Nothing may follow the last record (Kafka: "Incorrect declared
	 * batch size"); undecodable bytes there are corrupt data. */
	if (!err) {
		int rc = rs_fill(&rs);
		if (rc != 0)
			err = rc > 0 ? SM_ERR_INVALID_RECORD : rs.err;
	}
	info->uncompressed = rs.total;
	info->stream_mem = rs.ds.mem_peak;
	rs_end(&rs);
	return err;
}

sm_err_t sm_batch_validate(const uint8_t *p, size_t len,
			   const sm_batch_validate_opts_t *opts,
			   sm_batch_info_t *info)
{
	sm_batch_hdr_t h;
	sm_batch_info_t local;
	if (!info)
		info = &local;
	memset(info, 0, sizeof(*info));
	sm_err_t err = batch_check_frame(p, len, opts, &h);
	if (err)
		return err;
	err = batch_check_records(p, &h, opts, info);
	if (err)
		return err;
	info->count = h.record_count;
	info->codec = sm_batch_codec(&h);
	info->producer_id = h.producer_id;
	info->producer_epoch = h.producer_epoch;
	info->base_sequence = h.base_sequence;
	info->is_transactional = sm_batch_is_transactional(&h);
	info->is_control = sm_batch_is_control(&h);
	info->log_append_time = sm_batch_is_log_append_time(&h);
	info->size = len;
	return SM_ERR_NONE;
}

/* ---- stamping and recompression ---- */

void sm_batch_stamp(uint8_t *batch, size_t len, int64_t base_offset,
		    int32_t leader_epoch, int log_append_time, int64_t now_ms)
{
	if (len < SM_BATCH_HEADER_SIZE)
		return;
	/* The CRC covers this batch only, even if more bytes follow. */
	int32_t blen = (int32_t)sm_be32(batch + 8);
	if (blen >= SM_BATCH_MIN_LENGTH && (size_t)blen + SM_LOG_OVERHEAD < len)
		len = (size_t)blen + SM_LOG_OVERHEAD;
	sm_put_be64(batch, (uint64_t)base_offset);
	sm_put_be32(batch + 12, (uint32_t)leader_epoch);
	if (!log_append_time)
		return;
	uint16_t attrs = sm_be16(batch + SM_BATCH_ATTR_OFFSET);
	sm_put_be16(batch + SM_BATCH_ATTR_OFFSET,
		    (uint16_t)(attrs | SM_BATCH_ATTR_LOG_APPEND_TIME));
	sm_put_be64(batch + 35, (uint64_t)now_ms);
	sm_put_be32(batch + SM_BATCH_CRC_OFFSET, batch_crc(batch, len));
}

sm_err_t sm_batch_recompress(const uint8_t *p, size_t len, sm_codec_t target,
			     size_t max_uncompressed, sm_wbuf_t *out)
{
	sm_batch_hdr_t h;
	if (sm_batch_hdr_parse(p, len, &h) || h.magic != SM_BATCH_MAGIC ||
	    h.batch_length < SM_BATCH_MIN_LENGTH ||
	    (size_t)h.batch_length + SM_LOG_OVERHEAD > len)
		return SM_ERR_CORRUPT_MESSAGE;
	if (!max_uncompressed)
		max_uncompressed = SM_BATCH_DEFAULT_MAX_UNCOMPRESSED;
	/* The record bytes do not depend on the codec: re-encode them as they
	 * are. They are held whole for the new codec, hence the bound: a
	 * batch decoding to more is refused (MESSAGE_TOO_LARGE) rather than
	 * allocated. */
	sm_wbuf_t recs;
	sm_wbuf_init(&recs, 0);
	const uint8_t *body = p + SM_BATCH_HEADER_SIZE;
	size_t blen = (size_t)h.batch_length - SM_BATCH_MIN_LENGTH;
	sm_err_t err = sm_decompress(sm_batch_codec(&h), body, blen, &recs,
				     max_uncompressed, SM_BATCH_MAGIC);
	if (err) {
		sm_wbuf_free(&recs);
		return err == SM_ERR_CORRUPT_MESSAGE ? SM_ERR_MESSAGE_TOO_LARGE : err;
	}
	sm_batch_build_opts_t o;
	sm_batch_build_opts_init(&o);
	o.codec = target;
	o.base_offset = h.base_offset;
	o.base_timestamp = h.base_timestamp;
	o.partition_leader_epoch = h.partition_leader_epoch;
	o.producer_id = h.producer_id;
	o.producer_epoch = h.producer_epoch;
	o.base_sequence = h.base_sequence;
	size_t start = out->len;
	sm_batch_write(out, &o, recs.p, recs.len, h.record_count,
		       h.last_offset_delta, h.max_timestamp);
	uint16_t attrs = (uint16_t)((h.attributes & ~SM_BATCH_ATTR_CODEC_MASK) |
				    (out->p[start + 22] & SM_BATCH_ATTR_CODEC_MASK));
	sm_put_be16(out->p + start + SM_BATCH_ATTR_OFFSET, attrs);
	sm_put_be32(out->p + start + SM_BATCH_CRC_OFFSET,
		    batch_crc(out->p + start, out->len - start));
	sm_wbuf_free(&recs);
	return SM_ERR_NONE;
}

/* ---- building ---- */

void sm_batch_build_opts_init(sm_batch_build_opts_t *o)
{
	memset(o, 0, sizeof(*o));
	o->codec = SM_CODEC_NONE;
	o->base_timestamp = SM_NO_TIMESTAMP;
	o->partition_leader_epoch = -1;
	o->producer_id = SM_NO_PRODUCER_ID;
	o->producer_epoch = -1;
	o->base_sequence = -1;
}

void sm_batch_record_write(sm_wbuf_t *w, int32_t offset_delta,
			   int64_t timestamp_delta, const uint8_t *key,
			   int32_t key_len, const uint8_t *value,
			   int32_t value_len, const sm_record_header_t *headers,
			   int32_t header_count)
{
	sm_wbuf_t body;
	sm_wbuf_init(&body, 64);
	sm_wbuf_i8(&body, 0);
	sm_wbuf_varlong(&body, timestamp_delta);
	sm_wbuf_varint(&body, offset_delta);
	sm_wbuf_varint(&body, key ? key_len : -1);
	if (key && key_len > 0)
		sm_wbuf_append(&body, key, (size_t)key_len);
	sm_wbuf_varint(&body, value ? value_len : -1);
	if (value && value_len > 0)
		sm_wbuf_append(&body, value, (size_t)value_len);
	sm_wbuf_varint(&body, header_count);
	for (int32_t i = 0; i < header_count; i++) {
		const sm_record_header_t *x = &headers[i];
		sm_wbuf_varint(&body, x->key_len);
		sm_wbuf_append(&body, x->key, (size_t)x->key_len);
		sm_wbuf_varint(&body, x->value ? x->value_len : -1);
		if (x->value && x->value_len > 0)
			sm_wbuf_append(&body, x->value, (size_t)x->value_len);
	}
	sm_wbuf_varint(w, (int32_t)body.len);
	sm_wbuf_append(w, body.p, body.len);
	sm_wbuf_free(&body);
}

void sm_batch_write(sm_wbuf_t *out, const sm_batch_build_opts_t *o,
		    const uint8_t *records, size_t records_len, int32_t count,
		    int32_t last_offset_delta, int64_t max_timestamp)
{
	size_t start = out->len;
	int16_t attrs = (int16_t)o->codec;
	if (o->log_append_time)
		attrs |= SM_BATCH_ATTR_LOG_APPEND_TIME;
	if (o->transactional)
		attrs |= SM_BATCH_ATTR_TRANSACTIONAL;
	if (o->control)
		attrs |= SM_BATCH_ATTR_CONTROL;
	sm_wbuf_i64(out, o->base_offset);
	size_t at_len = sm_wbuf_reserve(out, 4);
	sm_wbuf_i32(out, o->partition_leader_epoch);
	sm_wbuf_i8(out, SM_BATCH_MAGIC);
	size_t at_crc = sm_wbuf_reserve(out, 4);
	size_t at_attrs = out->len;
	sm_wbuf_i16(out, attrs);
	sm_wbuf_i32(out, last_offset_delta);
	sm_wbuf_i64(out, o->base_timestamp);
	sm_wbuf_i64(out, max_timestamp);
	sm_wbuf_i64(out, o->producer_id);
	sm_wbuf_i16(out, o->producer_epoch);
	sm_wbuf_i32(out, o->base_sequence);
	sm_wbuf_i32(out, count);
	if (sm_compress(o->codec, records, records_len, out, SM_BATCH_MAGIC)) {
		/* Cannot happen with valid input; keep the data readable. */
		sm_put_be16(out->p + at_attrs,
			    (uint16_t)(attrs & ~SM_BATCH_ATTR_CODEC_MASK));
		sm_wbuf_append(out, records, records_len);
	}
	sm_wbuf_patch_i32(out, at_len, (int32_t)(out->len - start - SM_LOG_OVERHEAD));
	sm_wbuf_patch_u32(out, at_crc, batch_crc(out->p + start, out->len - start));
}

void sm_batch_build_ex(sm_wbuf_t *out, const sm_batch_build_opts_t *o,
		       const sm_record_t *recs, int n)
{
	sm_wbuf_t body;
	int64_t max_ts = SM_NO_TIMESTAMP;
	sm_wbuf_init(&body, 256);
	for (int i = 0; i < n; i++) {
		const sm_record_t *r = &recs[i];
		int64_t delta = (int64_t)((uint64_t)r->timestamp -
					  (uint64_t)o->base_timestamp);
		sm_batch_record_write(&body, i, delta, r->key, r->key_len,
				      r->value, r->value_len, r->headers,
				      r->header_count);
		if (r->timestamp > max_ts)
			max_ts = r->timestamp;
	}
	if (o->log_append_time)
		max_ts = o->base_timestamp;
	sm_batch_write(out, o, body.p, body.len, n, n - 1, max_ts);
	sm_wbuf_free(&body);
}

void sm_batch_build(sm_wbuf_t *out, sm_codec_t codec, int64_t base_offset,
		    int64_t base_ts, const sm_record_t *recs, int n)
{
	sm_batch_build_opts_t o;
	sm_batch_build_opts_init(&o);
	o.codec = codec;
	o.base_offset = base_offset;
	o.base_timestamp = base_ts;
	sm_batch_build_ex(out, &o, recs, n);
}

void sm_batch_build_control(sm_wbuf_t *out, int64_t base_offset, int64_t ts,
			    int64_t producer_id, int16_t producer_epoch,
			    int32_t coordinator_epoch, int commit)
{
	uint8_t key[4], value[6];
	sm_put_be16(key, 0);
	sm_put_be16(key + 2, commit ? 1 : 0);
	sm_put_be16(value, 0);
	sm_put_be32(value + 2, (uint32_t)coordinator_epoch);
	sm_record_t rec = { .timestamp = ts, .key = key, .key_len = 4,
			    .value = value, .value_len = 6 };
	sm_batch_build_opts_t o;
	sm_batch_build_opts_init(&o);
	o.base_offset = base_offset;
	o.base_timestamp = ts;
	o.producer_id = producer_id;
	o.producer_epoch = producer_epoch;
	o.transactional = 1;
	o.control = 1;
	sm_batch_build_ex(out, &o, &rec, 1);
}
