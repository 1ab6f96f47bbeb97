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
static int batch_record_parse(sm_rbuf_t *rb, const sm_batch_hdr_t *h,
			      sm_record_t *rec, sm_record_header_t **hdrs,
			      int32_t *hcap)
{
	int32_t len = sm_rbuf_varint(rb);
	SM_RBUF_CHECK(rb);
	if (len < 0 || (size_t)len > sm_rbuf_remaining(rb))
		goto err_parse;
	sm_rbuf_t r;
	sm_rbuf_init(&r, rb->p + rb->pos, (size_t)len);
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
	rb->pos += (size_t)len;
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

/* ---- iterator ---- */

sm_err_t sm_batch_iter_init(sm_batch_iter_t *it, const uint8_t *p, size_t len,
			    size_t max_uncompressed)
{
	memset(it, 0, sizeof(*it));
	sm_wbuf_init(&it->scratch, 0);
	if (!max_uncompressed)
		max_uncompressed = SM_BATCH_DEFAULT_MAX_UNCOMPRESSED;
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
		sm_err_t err = sm_decompress(codec, recs, rlen, &it->scratch,
					     max_uncompressed, SM_BATCH_MAGIC);
		if (err)
			return it->err = err;
		recs = it->scratch.p;
		rlen = it->scratch.len;
	}
	sm_rbuf_init(&it->rb, recs, rlen);
	return SM_ERR_NONE;
}

int sm_batch_iter_next(sm_batch_iter_t *it, sm_record_t *rec)
{
	if (it->err)
		return -1;
	if (it->index >= it->hdr.record_count) {
		if (sm_rbuf_remaining(&it->rb) == 0)
			return 0;
		it->err = SM_ERR_INVALID_RECORD; /* records left over */
		return -1;
	}
	if (batch_record_parse(&it->rb, &it->hdr, rec, &it->hdrs, &it->hdrs_cap)) {
		it->err = SM_ERR_INVALID_RECORD;
		return -1;
	}
	it->index++;
	return 1;
}

void sm_batch_iter_destroy(sm_batch_iter_t *it)
{
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

static sm_err_t batch_check_records(const uint8_t *p, size_t len,
				    const sm_batch_validate_opts_t *o,
				    sm_batch_info_t *info)
{
	sm_batch_iter_t it;
	sm_record_t rec;
	sm_err_t err = sm_batch_iter_init(&it, p, len, o->max_uncompressed);
	int check_ts = !o->log_append_time && !sm_batch_is_log_append_time(&it.hdr);
	int rc;

	info->max_timestamp = SM_NO_TIMESTAMP;
	info->offset_delta_of_max_timestamp = -1;
	info->first_timestamp = SM_NO_TIMESTAMP;
	while (!err && (rc = sm_batch_iter_next(&it, &rec)) != 0) {
		if (rc < 0) {
			err = it.err;
			break;
		}
		int32_t delta = it.index - 1;
		/* unsigned: a producer's base offset may sit anywhere, and the
		 * iterator wraps rec.offset the same way */
		if ((int64_t)((uint64_t)rec.offset - (uint64_t)it.hdr.base_offset) != delta) {
			err = SM_ERR_INVALID_RECORD;
			break;
		}
		if (o->compacted && !rec.key) {
			err = SM_ERR_INVALID_RECORD;
			break;
		}
		if (check_ts && rec.timestamp != SM_NO_TIMESTAMP &&
		    batch_ts_too_far(rec.timestamp, o->now, o->max_timestamp_diff_ms)) {
			err = SM_ERR_INVALID_TIMESTAMP;
			break;
		}
		if (delta == 0)
			info->first_timestamp = rec.timestamp;
		if (rec.timestamp > info->max_timestamp) {
			info->max_timestamp = rec.timestamp;
			info->offset_delta_of_max_timestamp = delta;
		}
	}
	sm_batch_iter_destroy(&it);
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
	err = batch_check_records(p, len, opts, info);
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
	sm_batch_iter_t it;
	sm_err_t err = sm_batch_iter_init(&it, p, len, max_uncompressed);
	if (err) {
		sm_batch_iter_destroy(&it);
		return err;
	}
	const sm_batch_hdr_t *h = &it.hdr;
	sm_batch_build_opts_t o;
	sm_batch_build_opts_init(&o);
	o.codec = target;
	o.base_offset = h->base_offset;
	o.base_timestamp = h->base_timestamp;
	o.partition_leader_epoch = h->partition_leader_epoch;
	o.producer_id = h->producer_id;
	o.producer_epoch = h->producer_epoch;
	o.base_sequence = h->base_sequence;
	size_t start = out->len;
	/* The record bytes do not depend on the codec: re-encode them as is. */
	sm_batch_write(out, &o, it.rb.p, it.rb.len, h->record_count,
		       h->last_offset_delta, h->max_timestamp);
	uint16_t attrs = (uint16_t)((h->attributes & ~SM_BATCH_ATTR_CODEC_MASK) |
				    (out->p[start + 22] & SM_BATCH_ATTR_CODEC_MASK));
	sm_put_be16(out->p + start + SM_BATCH_ATTR_OFFSET, attrs);
	sm_put_be32(out->p + start + SM_BATCH_CRC_OFFSET,
		    batch_crc(out->p + start, out->len - start));
	sm_batch_iter_destroy(&it);
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
