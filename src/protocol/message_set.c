/*
 * message_set.c - legacy (magic 0/1) message sets: iteration with CRC-32
 * checks, up-conversion to a v2 batch for Produce v0-v2 and down-conversion
 * of v2 batches for Fetch v0-v3. Mirrors LegacyRecord,
 * AbstractLegacyRecordBatch (its deep iterator) and RecordsUtil/LogValidator's
 * conversion paths.
 *
 * Offsets inside a compressed wrapper: magic 0 carries absolute inner
 * offsets; magic 1 carries relative ones (0..k-1) and the wrapper holds the
 * absolute offset of the last inner message (KIP-31). Some librdkafka
 * producers send wrapper offset 0; inner offsets are then taken as they are.
 *
 * Thread-safety: reentrant; an iterator belongs to one thread.
 */
#include <string.h>

#include <zlib.h>

#include "message_set.h"

#define SM_MSG_MIN_SIZE 14 /* crc + magic + attributes + key/value lengths */

/* ---- writing ---- */

void sm_msgset_append(sm_wbuf_t *w, int64_t offset, int magic, int8_t attributes,
		      int64_t timestamp, const uint8_t *key, int32_t key_len,
		      const uint8_t *value, int32_t value_len)
{
	sm_wbuf_i64(w, offset);
	size_t at_size = sm_wbuf_reserve(w, 4);
	size_t at_crc = sm_wbuf_reserve(w, 4);
	sm_wbuf_i8(w, (int8_t)magic);
	sm_wbuf_i8(w, attributes);
	if (magic >= 1)
		sm_wbuf_i64(w, timestamp);
	sm_wbuf_bytes(w, key, key ? key_len : -1, 0);
	sm_wbuf_bytes(w, value, value ? value_len : -1, 0);
	sm_wbuf_patch_i32(w, at_size, (int32_t)(w->len - at_size - 4));
	uLong crc = crc32(0L, w->p + at_crc + 4, (uInt)(w->len - at_crc - 4));
	sm_wbuf_patch_u32(w, at_crc, (uint32_t)crc);
}

sm_err_t sm_msgset_append_wrapper(sm_wbuf_t *w, int64_t offset, int magic,
				  sm_codec_t codec, int64_t timestamp,
				  int log_append_time, const uint8_t *inner,
				  size_t inner_len)
{
	if (codec == SM_CODEC_NONE || codec > SM_CODEC_LZ4)
		return SM_ERR_UNSUPPORTED_COMPRESSION_TYPE;
	sm_wbuf_t z;
	sm_wbuf_init(&z, inner_len / 2 + 64);
	sm_err_t err = sm_compress(codec, inner, inner_len, &z, magic);
	if (!err) {
		int8_t attrs = (int8_t)codec;
		if (magic >= 1 && log_append_time)
			attrs |= SM_MSG_ATTR_LOG_APPEND_TIME;
		sm_msgset_append(w, offset, magic, attrs, timestamp, NULL, -1,
				 z.p, (int32_t)z.len);
	}
	sm_wbuf_free(&z);
	return err;
}

/* ---- reading ---- */

/*
 * Reads the entry at rb into *m (offset and message). Returns 1, 0 at the
 * end (nothing left or a partial trailing entry), -1 with *err set.
 */
static int msgset_entry_read(sm_rbuf_t *rb, sm_legacy_msg_t *m, sm_err_t *err)
{
	if (sm_rbuf_remaining(rb) < SM_LOG_OVERHEAD)
		return 0;
	m->offset = sm_rbuf_i64(rb);
	int32_t size = sm_rbuf_i32(rb);
	if (size < SM_MSG_MIN_SIZE)
		goto corrupt;
	if ((size_t)size > sm_rbuf_remaining(rb))
		return 0;
	const uint8_t *body = sm_rbuf_raw(rb, (size_t)size);
	if (crc32(0L, body + 4, (uInt)size - 4) != sm_be32(body))
		goto corrupt;
	sm_rbuf_t r;
	sm_rbuf_init(&r, body + 4, (size_t)size - 4);
	m->magic = sm_rbuf_i8(&r);
	m->attributes = sm_rbuf_i8(&r);
	if (m->magic < 0 || m->magic > 1) {
		*err = SM_ERR_INVALID_RECORD;
		return -1;
	}
	m->timestamp = m->magic == 1 ? sm_rbuf_i64(&r) : SM_NO_TIMESTAMP;
	m->log_append_time = m->magic == 1 &&
			     (m->attributes & SM_MSG_ATTR_LOG_APPEND_TIME);
	sm_bytes_t k = sm_rbuf_bytes(&r, 0);
	sm_bytes_t v = sm_rbuf_bytes(&r, 0);
	if (r.err || sm_rbuf_remaining(&r) != 0)
		goto corrupt;
	m->key = k.len >= 0 ? k.ptr : NULL;
	m->key_len = k.len >= 0 ? k.len : -1;
	m->value = v.len >= 0 ? v.ptr : NULL;
	m->value_len = v.len >= 0 ? v.len : -1;
	m->wrapper_codec = SM_CODEC_NONE;
	return 1;
corrupt:
	*err = SM_ERR_CORRUPT_MESSAGE;
	return -1;
}

/* Offset of the last complete entry of an inner set, or -1. */
static int64_t msgset_last_offset(const uint8_t *p, size_t len)
{
	int64_t last = -1;
	size_t pos = 0;
	int64_t sz;
	while ((sz = sm_batch_entry_size(p + pos, len - pos)) > 0) {
		last = (int64_t)sm_be64(p + pos);
		pos += (size_t)sz;
	}
	return last;
}

/* Decompresses the wrapper w and positions the iterator on its inner set. */
static sm_err_t msgset_open_wrapper(sm_msgset_iter_t *it, const sm_legacy_msg_t *w)
{
	sm_codec_t codec = (sm_codec_t)(w->attributes & SM_MSG_ATTR_CODEC_MASK);
	if (codec == SM_CODEC_ZSTD)
		return SM_ERR_UNSUPPORTED_COMPRESSION_TYPE;
	if (codec > SM_CODEC_MAX)
		return SM_ERR_CORRUPT_MESSAGE;
	if (!w->value)
		return SM_ERR_INVALID_RECORD; /* wrapper without a value */
	sm_wbuf_reset(&it->scratch);
	sm_err_t err = sm_decompress(codec, w->value, (size_t)w->value_len,
				     &it->scratch, it->max_uncompressed, w->magic);
	if (err)
		return err;
	if (it->scratch.len == 0)
		return SM_ERR_INVALID_RECORD; /* no inner messages */
	sm_rbuf_init(&it->inner, it->scratch.p, it->scratch.len);
	it->inner_base = 0;
	/* offsets come from the producer (and are replaced on append):
	 * wrapping arithmetic, never signed overflow */
	if (w->magic >= 1 && w->offset != 0)
		it->inner_base = (int64_t)((uint64_t)w->offset -
					   (uint64_t)msgset_last_offset(it->scratch.p, it->scratch.len));
	it->wrapper_ts = w->timestamp;
	it->wrapper_lat = w->log_append_time;
	it->wrapper_codec = codec;
	it->in_wrapper = 1;
	return SM_ERR_NONE;
}

void sm_msgset_iter_init(sm_msgset_iter_t *it, const uint8_t *p, size_t len,
			 size_t max_uncompressed)
{
	memset(it, 0, sizeof(*it));
	sm_rbuf_init(&it->outer, p, len);
	it->magic = -1;
	it->max_uncompressed = max_uncompressed ? max_uncompressed :
						  SM_BATCH_DEFAULT_MAX_UNCOMPRESSED;
	sm_wbuf_init(&it->scratch, 0);
}

void sm_msgset_iter_destroy(sm_msgset_iter_t *it)
{
	sm_wbuf_free(&it->scratch);
}

/* Next message of the open wrapper: 1, 0 when it is exhausted, -1. */
static int msgset_inner_next(sm_msgset_iter_t *it, sm_legacy_msg_t *m)
{
	size_t left = sm_rbuf_remaining(&it->inner);
	int rc = msgset_entry_read(&it->inner, m, &it->err);
	if (rc == 0 && left) {
		it->err = SM_ERR_CORRUPT_MESSAGE; /* inner sets are whole */
		return -1;
	}
	if (rc <= 0)
		return rc;
	if (m->attributes & SM_MSG_ATTR_CODEC_MASK || m->magic != it->magic) {
		it->err = SM_ERR_INVALID_RECORD;
		return -1;
	}
	m->offset = (int64_t)((uint64_t)m->offset + (uint64_t)it->inner_base);
	m->wrapper_codec = it->wrapper_codec;
	if (it->wrapper_lat) {
		m->timestamp = it->wrapper_ts;
		m->log_append_time = 1;
	}
	return 1;
}

int sm_msgset_iter_next(sm_msgset_iter_t *it, sm_legacy_msg_t *m)
{
	for (;;) {
		if (it->err)
			return -1;
		if (it->in_wrapper) {
			int rc = msgset_inner_next(it, m);
			if (rc != 0)
				return rc;
			it->in_wrapper = 0;
		}
		int rc = msgset_entry_read(&it->outer, m, &it->err);
		if (rc <= 0)
			return rc;
		if (it->magic < 0)
			it->magic = m->magic;
		if (m->magic != it->magic) {
			it->err = SM_ERR_INVALID_RECORD;
			return -1;
		}
		if (!(m->attributes & SM_MSG_ATTR_CODEC_MASK))
			return 1;
		it->err = msgset_open_wrapper(it, m);
	}
}

/* ---- up-conversion ---- */

sm_err_t sm_msgset_to_batch(const uint8_t *p, size_t len, int64_t now_ms,
			    sm_wbuf_t *out, sm_batch_info_t *info)
{
	sm_msgset_iter_t it;
	sm_legacy_msg_t m;
	sm_batch_info_t local;
	sm_wbuf_t body;
	int rc;

	(void)now_ms; /* LogAppendTime is applied later by sm_batch_stamp */
	if (!info)
		info = &local;
	memset(info, 0, sizeof(*info));
	info->max_timestamp = SM_NO_TIMESTAMP;
	info->offset_delta_of_max_timestamp = -1;
	info->producer_id = SM_NO_PRODUCER_ID;
	info->producer_epoch = -1;
	info->base_sequence = -1;
	sm_wbuf_init(&body, 256);
	sm_msgset_iter_init(&it, p, len, 0);
	int32_t n = 0;
	while ((rc = sm_msgset_iter_next(&it, &m)) > 0) {
		if (n == 0)
			info->first_timestamp = m.timestamp;
		if (m.wrapper_codec != SM_CODEC_NONE)
			info->codec = m.wrapper_codec;
		if (m.timestamp > info->max_timestamp) {
			info->max_timestamp = m.timestamp;
			info->offset_delta_of_max_timestamp = n;
		}
		int64_t delta = (int64_t)((uint64_t)m.timestamp -
					  (uint64_t)info->first_timestamp);
		sm_batch_record_write(&body, n, delta, m.key, m.key_len, m.value,
				      m.value_len, NULL, 0);
		n++;
	}
	sm_err_t err = rc < 0 ? it.err : SM_ERR_NONE;
	if (!err && n > 0) {
		sm_batch_build_opts_t o;
		sm_batch_build_opts_init(&o);
		o.codec = info->codec;
		o.base_offset = 0;
		o.base_timestamp = info->first_timestamp;
		size_t start = out->len;
		sm_batch_write(out, &o, body.p, body.len, n, n - 1,
			       info->max_timestamp);
		info->size = out->len - start;
		info->count = n;
	}
	sm_msgset_iter_destroy(&it);
	sm_wbuf_free(&body);
	return err;
}

/* ---- down-conversion ---- */

/* Writes one v2 batch's records as magic to_magic messages. */
static sm_err_t msgset_down_batch(const uint8_t *p, size_t len, int to_magic,
				  sm_wbuf_t *out)
{
	sm_batch_iter_t it;
	sm_record_t rec;
	sm_err_t err = sm_batch_iter_init(&it, p, len, 0);
	sm_codec_t codec = sm_batch_codec(&it.hdr);
	int lat = sm_batch_is_log_append_time(&it.hdr);
	int8_t attrs = (int8_t)(to_magic >= 1 && lat ? SM_MSG_ATTR_LOG_APPEND_TIME : 0);
	sm_wbuf_t inner;
	int64_t first = 0, last = 0, max_ts = SM_NO_TIMESTAMP;
	int rc, n = 0;

	sm_wbuf_init(&inner, 0);
	if (!err && codec == SM_CODEC_ZSTD)
		err = SM_ERR_UNSUPPORTED_COMPRESSION_TYPE;
	if (err || sm_batch_is_control(&it.hdr))
		goto done;
	sm_wbuf_t *dst = codec == SM_CODEC_NONE ? out : &inner;
	while ((rc = sm_batch_iter_next(&it, &rec)) > 0) {
		if (n++ == 0)
			first = rec.offset;
		last = rec.offset;
		if (rec.timestamp > max_ts)
			max_ts = rec.timestamp;
		int64_t off = rec.offset;
		/* inner offsets are relative to the first: a batch whose
		 * offsets run backwards past the range is corrupt */
		if (codec != SM_CODEC_NONE && to_magic >= 1 &&
		    __builtin_sub_overflow(rec.offset, first, &off)) {
			err = SM_ERR_CORRUPT_MESSAGE;
			goto done;
		}
		sm_msgset_append(dst, off, to_magic, attrs, rec.timestamp,
				 rec.key, rec.key_len, rec.value, rec.value_len);
		/* The wrapper is compressed whole: bound what it holds. */
		if (dst == &inner && inner.len > SM_BATCH_DEFAULT_MAX_UNCOMPRESSED) {
			err = SM_ERR_MESSAGE_TOO_LARGE;
			goto done;
		}
	}
	if (rc < 0) {
		err = it.err;
		goto done;
	}
	if (codec != SM_CODEC_NONE && n > 0) {
		int64_t ts = lat ? it.hdr.max_timestamp : max_ts;
		err = sm_msgset_append_wrapper(out, last, to_magic, codec, ts, lat,
					       inner.p, inner.len);
	}
done:
	sm_wbuf_free(&inner);
	sm_batch_iter_destroy(&it);
	return err;
}

sm_err_t sm_batch_down_convert(const uint8_t *p, size_t len, int to_magic,
			       sm_wbuf_t *out)
{
	size_t start = out->len, pos = 0;
	sm_err_t err = SM_ERR_NONE;

	if (to_magic != 0 && to_magic != 1)
		return SM_ERR_UNSUPPORTED_VERSION;
	while (pos < len) {
		int64_t sz = sm_batch_entry_size(p + pos, len - pos);
		if (sz == 0)
			break; /* partial trailing batch */
		if (sz < 0) {
			err = SM_ERR_CORRUPT_MESSAGE;
			break;
		}
		err = msgset_down_batch(p + pos, (size_t)sz, to_magic, out);
		if (err)
			break;
		pos += (size_t)sz;
	}
	if (err)
		out->len = start;
	return err;
}
