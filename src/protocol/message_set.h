/*
 * message_set.h - legacy message sets (magic 0 and 1): reading them as
 * Produce v0-v2 sends them, up-conversion to one v2 batch (Samsa stores only
 * v2), and down-conversion of stored v2 batches for Fetch v0-v3. Mirrors
 * org.apache.kafka.common.record.LegacyRecord, AbstractLegacyRecordBatch and
 * the conversion paths of kafka.log.LogValidator / RecordsUtil.
 *
 * Thread-safety: reentrant; an iterator belongs to one thread.
 */
#ifndef SM_MESSAGE_SET_H
#define SM_MESSAGE_SET_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "compression.h"
#include "err.h"
#include "record_batch.h"

#define SM_MSG_ATTR_CODEC_MASK 0x07
#define SM_MSG_ATTR_LOG_APPEND_TIME 0x08 /* magic 1 only */

/* One (deep) message: wrappers are opened and their inner messages yielded. */
typedef struct sm_legacy_msg {
	int64_t offset;           /* absolute */
	int8_t magic;
	int8_t attributes;        /* the message's own (inner ones: codec 0) */
	sm_codec_t wrapper_codec; /* codec of the enclosing wrapper, or NONE */
	int64_t timestamp;        /* -1 for magic 0 */
	int log_append_time;
	const uint8_t *key;
	int32_t key_len;          /* -1 = null */
	const uint8_t *value;
	int32_t value_len;        /* -1 = null */
} sm_legacy_msg_t;

typedef struct sm_msgset_iter {
	sm_rbuf_t outer;
	int magic;                /* of the first message, -1 before it */
	size_t max_uncompressed;
	sm_err_t err;
	/* the wrapper being unpacked */
	int in_wrapper;
	sm_wbuf_t scratch;
	sm_rbuf_t inner;
	int64_t inner_base;       /* added to inner offsets (magic 1) */
	int64_t wrapper_ts;
	int wrapper_lat;
	sm_codec_t wrapper_codec;
} sm_msgset_iter_t;

/*
 * Iterates the messages of a v0/v1 message set, checking each CRC-32, size
 * and magic (all outer messages must share one magic, inner messages the
 * wrapper's). A partial trailing entry ends the set quietly, as readers of a
 * fetch response do. max_uncompressed bounds each wrapper (0 = default).
 */
void sm_msgset_iter_init(sm_msgset_iter_t *it, const uint8_t *p, size_t len,
			 size_t max_uncompressed);
/* 1: *m filled (pointers valid until the next call); 0: end; -1: error in
 * it->err (CORRUPT_MESSAGE, INVALID_RECORD, UNSUPPORTED_COMPRESSION_TYPE). */
int sm_msgset_iter_next(sm_msgset_iter_t *it, sm_legacy_msg_t *m);
void sm_msgset_iter_destroy(sm_msgset_iter_t *it);

/* Appends one uncompressed legacy message (offset, size, crc, ...). */
void sm_msgset_append(sm_wbuf_t *w, int64_t offset, int magic, int8_t attributes,
		      int64_t timestamp, const uint8_t *key, int32_t key_len,
		      const uint8_t *value, int32_t value_len);

/* Appends a wrapper message whose value is inner[0..inner_len) (an inner
 * message set) compressed with codec; zstd is refused. */
sm_err_t sm_msgset_append_wrapper(sm_wbuf_t *w, int64_t offset, int magic,
				  sm_codec_t codec, int64_t timestamp,
				  int log_append_time, const uint8_t *inner,
				  size_t inner_len);

/*
 * Validates a whole Produce v0-v2 message set and up-converts it into ONE v2
 * batch appended to out: base offset 0, offset deltas 0..n-1, CreateTime,
 * magic-0 messages with timestamp -1, keeping the (last) wrapper codec.
 * Timestamp, key and size rules of the topic are then checked by passing the
 * result to sm_batch_validate. A set without any complete message appends
 * nothing and returns SM_ERR_NONE with info->count 0. info may be NULL.
 */
sm_err_t sm_msgset_to_batch(const uint8_t *p, size_t len, int64_t now_ms,
			    sm_wbuf_t *out, sm_batch_info_t *info);

/*
 * Down-converts stored v2 batches p[0..len) into a magic to_magic (0 or 1)
 * message set appended to out, for Fetch v0-v3. A partial trailing batch is
 * dropped (so a partial first batch yields nothing); control batches are
 * skipped; headers, producer ids and transactional state are lost.
 * zstd batches: SM_ERR_UNSUPPORTED_COMPRESSION_TYPE (out is unchanged).
 */
sm_err_t sm_batch_down_convert(const uint8_t *p, size_t len, int to_magic,
			       sm_wbuf_t *out);

#endif /* SM_MESSAGE_SET_H */
