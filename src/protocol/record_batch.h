/*
 * record_batch.h - record batch v2 (magic 2): header parsing, the produce-side
 * validation a partition leader performs, offset/epoch/LogAppendTime
 * stamping, recompression, a record iterator and a batch builder. Mirrors
 * org.apache.kafka.common.record.DefaultRecordBatch / DefaultRecord /
 * MemoryRecordsBuilder and the v2 half of kafka.log.LogValidator.
 *
 * Thread-safety: reentrant; an iterator belongs to one thread.
 */
#ifndef SM_RECORD_BATCH_H
#define SM_RECORD_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "compression.h"
#include "err.h"

#define SM_BATCH_HEADER_SIZE 61 /* baseOffset .. recordCount */
#define SM_LOG_OVERHEAD 12      /* baseOffset + batchLength */
#define SM_BATCH_MAGIC 2
#define SM_BATCH_CRC_OFFSET 17  /* crc covers attributes .. end */
#define SM_BATCH_ATTR_OFFSET 21

#define SM_BATCH_ATTR_CODEC_MASK 0x07
#define SM_BATCH_ATTR_LOG_APPEND_TIME 0x08
#define SM_BATCH_ATTR_TRANSACTIONAL 0x10
#define SM_BATCH_ATTR_CONTROL 0x20
#define SM_BATCH_ATTR_DELETE_HORIZON 0x40

#define SM_NO_TIMESTAMP (-1LL)
#define SM_NO_PRODUCER_ID (-1LL)

/*
 * Decoded bytes a path that must hold them (one record an iterator yields,
 * the records of a batch being recompressed or down-converted) may hold at
 * once when the caller gives 0. Validation holds none: it streams.
 */
#define SM_BATCH_DEFAULT_MAX_UNCOMPRESSED (32u * 1024 * 1024)

/* The buffer the streaming validator decodes into (on its stack). */
#define SM_BATCH_STREAM_BUF (16u * 1024)

typedef struct sm_batch_hdr {
	int64_t base_offset;
	int32_t batch_length;
	int32_t partition_leader_epoch;
	int8_t magic;
	uint32_t crc;
	int16_t attributes;
	int32_t last_offset_delta;
	int64_t base_timestamp;
	int64_t max_timestamp;
	int64_t producer_id;
	int16_t producer_epoch;
	int32_t base_sequence;
	int32_t record_count;
} sm_batch_hdr_t;

/* Decodes the 61-byte header at p. Returns 0, or -1 if len < 61. Does not
 * check the magic: bytes 17.. mean something else for magic 0/1. */
int sm_batch_hdr_parse(const uint8_t *p, size_t len, sm_batch_hdr_t *h);

static inline sm_codec_t sm_batch_codec(const sm_batch_hdr_t *h)
{
	return (sm_codec_t)(h->attributes & SM_BATCH_ATTR_CODEC_MASK);
}
static inline int sm_batch_is_log_append_time(const sm_batch_hdr_t *h)
{
	return (h->attributes & SM_BATCH_ATTR_LOG_APPEND_TIME) != 0;
}
static inline int sm_batch_is_transactional(const sm_batch_hdr_t *h)
{
	return (h->attributes & SM_BATCH_ATTR_TRANSACTIONAL) != 0;
}
static inline int sm_batch_is_control(const sm_batch_hdr_t *h)
{
	return (h->attributes & SM_BATCH_ATTR_CONTROL) != 0;
}
static inline int64_t sm_batch_last_offset(const sm_batch_hdr_t *h)
{
	return h->base_offset + h->last_offset_delta;
}

/*
 * Size of the log entry (v2 batch or legacy message, both start with
 * offset + int32 size) at p: returns the total size if it lies wholly within
 * len, 0 if it is cut short (a partial trailing entry of a fetch response or
 * an unflushed segment tail), -1 if the declared size is impossible (< 14).
 */
int64_t sm_batch_entry_size(const uint8_t *p, size_t len);

/* Checks a stored v2 batch of exactly len bytes: magic, batchLength and the
 * CRC-32C. No decompression. SM_ERR_NONE or SM_ERR_CORRUPT_MESSAGE. */
sm_err_t sm_batch_verify(const uint8_t *p, size_t len);

/* The topic settings LogValidator checks an incoming batch against. */
typedef struct sm_batch_validate_opts {
	int64_t now;                  /* wall clock, ms */
	int64_t max_timestamp_diff_ms;/* message.timestamp.difference.max.ms */
	int log_append_time;          /* topic uses LogAppendTime: skip ts check */
	int compacted;                /* cleanup.policy has compact: keys needed */
	int32_t max_message_bytes;    /* max.message.bytes */
	int allow_zstd;               /* Produce v7+ */
	int allow_control;            /* coordinator origin (txn markers, group
				       * and txn state): control batches ok,
				       * client-only checks skipped */
	uint64_t max_uncompressed;    /* bound on the decoded records; 0: none
				       * (Kafka has none: they are streamed) */
} sm_batch_validate_opts_t;

typedef struct sm_batch_info {
	int32_t count;
	sm_codec_t codec;
	int64_t first_timestamp;
	int64_t max_timestamp;             /* -1 if no record has one */
	int32_t offset_delta_of_max_timestamp; /* -1 if none */
	int64_t producer_id;
	int16_t producer_epoch;
	int32_t base_sequence;
	int is_transactional;
	int is_control;
	int log_append_time;
	size_t size;                       /* bytes of the batch */
	uint64_t uncompressed;             /* decoded bytes of the records */
	size_t stream_mem;                 /* most the decoder held meanwhile */
} sm_batch_info_t;

/*
 * Validates p[0..len) as the records of one partition in a Produce v3+
 * request, as a Kafka 2.8 leader does before appending:
 *   INVALID_RECORD: zero batches, more than one batch, trailing bytes, magic
 *     != 2, count/lastOffsetDelta mismatch, record structure errors, offset
 *     deltas not 0..n-1, null key on a compacted topic, control batch from a
 *     client, producer id without base sequence;
 *   CORRUPT_MESSAGE: batchLength below the v2 minimum, CRC mismatch,
 *     undecodable or truncated compressed data, a decoder limit
 *     (compression.h) or more decoded bytes than opts->max_uncompressed;
 *   MESSAGE_TOO_LARGE: batch over max_message_bytes;
 *   UNSUPPORTED_COMPRESSION_TYPE: zstd without allow_zstd, or codec 5-7;
 *   INVALID_TIMESTAMP: a CreateTime record too far from now.
 * info (may be NULL) is filled on success.
 * Compressed records are streamed through the decoder into a fixed buffer of
 * SM_BATCH_STREAM_BUF bytes and keys and values are skipped, not held (as
 * Kafka's skipKeyValueIterator does): memory does not grow with the decoded
 * size, whatever the compression ratio.
 */
sm_err_t sm_batch_validate(const uint8_t *p, size_t len,
			   const sm_batch_validate_opts_t *opts,
			   sm_batch_info_t *info);

/*
 * Leader stamping of a validated batch (in place): baseOffset and
 * partitionLeaderEpoch (not CRC-covered); with log_append_time also sets
 * attribute bit 3 and maxTimestamp = now_ms and recomputes the CRC.
 */
void sm_batch_stamp(uint8_t *batch, size_t len, int64_t base_offset,
		    int32_t leader_epoch, int log_append_time, int64_t now_ms);

/*
 * Appends to out a copy of the batch p[0..len) whose records are re-encoded
 * with codec target (topic compression.type differs from the producer's).
 * Header fields are kept, the codec bits and CRC are new. The decoded
 * records are held whole for the new codec: max_uncompressed (0: default)
 * bounds them and a batch decoding to more gets SM_ERR_MESSAGE_TOO_LARGE.
 */
sm_err_t sm_batch_recompress(const uint8_t *p, size_t len, sm_codec_t target,
			     size_t max_uncompressed, sm_wbuf_t *out);

/* ---- records ---- */

typedef struct sm_record_header {
	const uint8_t *key;
	int32_t key_len;
	const uint8_t *value; /* NULL with value_len -1 for a null value */
	int32_t value_len;
} sm_record_header_t;

typedef struct sm_record {
	int64_t offset;    /* absolute; ignored by the builder */
	int64_t timestamp; /* LogAppendTime batches: the batch maxTimestamp */
	const uint8_t *key;
	int32_t key_len;   /* -1 = null */
	const uint8_t *value;
	int32_t value_len; /* -1 = null (tombstone) */
	const sm_record_header_t *headers;
	int32_t header_count;
} sm_record_t;

struct sm_batch_rstream;

/* Yields the records of one v2 batch; pointers stay valid until the next
 * call to _next or _destroy. Compressed records are decoded as they are
 * read: the iterator holds one record (at most max_record bytes) plus the
 * decoder's bounded state, never the whole decoded batch. */
typedef struct sm_batch_iter {
	sm_batch_hdr_t hdr;
	sm_rbuf_t rb;      /* uncompressed: the records in place */
	sm_wbuf_t scratch; /* compressed: the current record */
	struct sm_batch_rstream *rs; /* compressed: the decoder */
	size_t max_record;
	int skip_values;   /* set after init: values of compressed batches
			    * are passed over, not decoded into memory
			    * (rec->value NULL, rec->value_len kept) */
	int32_t index;
	sm_err_t err;
	sm_record_header_t *hdrs;
	int32_t hdrs_cap;
} sm_batch_iter_t;

/* Sets up the iterator over the batch p[0..len) (exactly one batch; the CRC
 * is not checked, see sm_batch_verify). On error the iterator still needs
 * sm_batch_iter_destroy. max_record bounds one decoded record of a
 * compressed batch (0 = SM_BATCH_DEFAULT_MAX_UNCOMPRESSED); a bigger one
 * fails with SM_ERR_MESSAGE_TOO_LARGE instead of being allocated. */
sm_err_t sm_batch_iter_init(sm_batch_iter_t *it, const uint8_t *p, size_t len,
			    size_t max_record);
/* 1: *rec filled; 0: no more records; -1: malformed (it->err says why,
 * also set if the records end early or leave bytes over; CORRUPT_MESSAGE
 * for undecodable compressed data). */
int sm_batch_iter_next(sm_batch_iter_t *it, sm_record_t *rec);
void sm_batch_iter_destroy(sm_batch_iter_t *it);

/* ---- building ---- */

typedef struct sm_batch_build_opts {
	sm_codec_t codec;
	int64_t base_offset;
	int64_t base_timestamp;
	int32_t partition_leader_epoch; /* -1 from producers */
	int64_t producer_id;            /* -1 */
	int16_t producer_epoch;         /* -1 */
	int32_t base_sequence;          /* -1 */
	int transactional;
	int control;
	int log_append_time;
} sm_batch_build_opts_t;

/* Defaults: no codec, offsets/epochs/ids -1 except base_offset 0. */
void sm_batch_build_opts_init(sm_batch_build_opts_t *o);

/* Appends one record body (length prefix included) to w. */
void sm_batch_record_write(sm_wbuf_t *w, int32_t offset_delta,
			   int64_t timestamp_delta, const uint8_t *key,
			   int32_t key_len, const uint8_t *value,
			   int32_t value_len, const sm_record_header_t *headers,
			   int32_t header_count);

/* Appends a batch to out whose records are the already encoded records
 * [0..records_len) (count of them, offset deltas 0..count-1 unless
 * last_offset_delta says otherwise), compressing them with o->codec. */
void sm_batch_write(sm_wbuf_t *out, const sm_batch_build_opts_t *o,
		    const uint8_t *records, size_t records_len, int32_t count,
		    int32_t last_offset_delta, int64_t max_timestamp);

/* Builds a batch of n records (offset deltas 0..n-1, record timestamps
 * relative to base_ts, producer id/epoch/sequence -1) and appends it. */
void sm_batch_build(sm_wbuf_t *out, sm_codec_t codec, int64_t base_offset,
		    int64_t base_ts, const sm_record_t *recs, int n);
void sm_batch_build_ex(sm_wbuf_t *out, const sm_batch_build_opts_t *o,
		       const sm_record_t *recs, int n);

/* A transaction marker (control batch: key = version 0 + type, value =
 * version 0 + coordinator epoch) as WriteTxnMarkers appends it. */
void sm_batch_build_control(sm_wbuf_t *out, int64_t base_offset, int64_t ts,
			    int64_t producer_id, int16_t producer_epoch,
			    int32_t coordinator_epoch, int commit);

#endif /* SM_RECORD_BATCH_H */
