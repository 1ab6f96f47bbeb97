/*
 * msg_produce.h - Produce (API key 0) request/response bodies, versions 0-9,
 * and the `records` field type shared by every data-path codec. Mirrors
 * Kafka's generated ProduceRequestData/ProduceResponseData.
 *
 * Decoded structures live in the caller's arena; `records` point into the
 * request buffer (no copy), so the buffer must outlive the decoded request.
 *
 * Thread-safety: pure functions over caller-owned buffers.
 */
#ifndef SM_MSG_PRODUCE_H
#define SM_MSG_PRODUCE_H

#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

#define SM_PRODUCE_MIN_VERSION 0
#define SM_PRODUCE_MAX_VERSION 9
#define SM_PRODUCE_FLEXIBLE_VERSION 9

/*
 * A `records` field: opaque record batches (v3+) or a legacy message set.
 * Read: ptr/len point into the request buffer, file is NULL.
 * Write: if file is non-NULL, the range [file_pos, file_pos+len) of that file
 * is spliced into the output (sendfile path) and ptr is ignored; otherwise
 * ptr/len are copied. len == -1 is a null records field.
 * The codec never takes ownership of file: the writer keeps its own reference.
 */
typedef struct sm_records {
	const uint8_t *ptr;
	int32_t len; /* -1 = null */
	sm_fileref_t *file;
	off_t file_pos;
} sm_records_t;

/* Reads a (nullable) records field; on error rb->err is set. */
sm_records_t sm_records_read(sm_rbuf_t *rb, int compact);
void sm_records_write(sm_wbuf_t *w, const sm_records_t *r, int compact);

/* ---- request ---- */

typedef struct sm_produce_req_partition {
	int32_t index;
	sm_records_t records;
} sm_produce_req_partition_t;

typedef struct sm_produce_req_topic {
	char *name;
	sm_produce_req_partition_t *partitions;
	int32_t partition_count;
} sm_produce_req_topic_t;

typedef struct sm_produce_req {
	char *transactional_id; /* v3+, nullable; NULL before v3 */
	int16_t acks;
	int32_t timeout_ms;
	sm_produce_req_topic_t *topics;
	int32_t topic_count;
} sm_produce_req_t;

/* ---- response ---- */

typedef struct sm_produce_record_error {
	int32_t batch_index;
	char *batch_index_error_message; /* nullable */
} sm_produce_record_error_t;

typedef struct sm_produce_resp_partition {
	int32_t index;
	int16_t error_code;
	int64_t base_offset;
	int64_t log_append_time_ms; /* v2+, default -1 */
	int64_t log_start_offset;   /* v5+, default -1 */
	sm_produce_record_error_t *record_errors; /* v8+ */
	int32_t record_error_count;
	char *error_message; /* v8+, nullable */
} sm_produce_resp_partition_t;

typedef struct sm_produce_resp_topic {
	char *name;
	sm_produce_resp_partition_t *partitions;
	int32_t partition_count;
} sm_produce_resp_topic_t;

typedef struct sm_produce_resp {
	sm_produce_resp_topic_t *topics;
	int32_t topic_count;
	int32_t throttle_time_ms; /* v1+ */
} sm_produce_resp_t;

/*
 * Readers return 0, or -1 on malformed input. Fields a version lacks get
 * their schema defaults. Writers drop fields the version lacks; a NULL
 * non-nullable string is written as "".
 */
int sm_produce_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_produce_req_t *out);
void sm_produce_req_write(sm_wbuf_t *w, int16_t ver, const sm_produce_req_t *in);
int sm_produce_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, sm_produce_resp_t *out);
void sm_produce_resp_write(sm_wbuf_t *w, int16_t ver, const sm_produce_resp_t *in);

#endif /* SM_MSG_PRODUCE_H */
