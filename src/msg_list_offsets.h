/*
 * msg_list_offsets.h - ListOffsets (API key 2) request/response bodies,
 * versions 0-6 (flexible from v6). Mirrors Kafka's generated
 * ListOffsetsRequestData/ListOffsetsResponseData.
 *
 * v0 is the old-style form: the request asks for up to max_num_offsets
 * offsets and the response returns them in old_style_offsets; v1+ returns
 * one timestamp/offset pair instead.
 *
 * Thread-safety: pure functions over caller-owned buffers and arenas.
 */
#ifndef SM_MSG_LIST_OFFSETS_H
#define SM_MSG_LIST_OFFSETS_H

#include <stdint.h>

#include "buf.h"

#define SM_LIST_OFFSETS_MIN_VERSION 0
#define SM_LIST_OFFSETS_MAX_VERSION 6
#define SM_LIST_OFFSETS_FLEXIBLE_VERSION 6

/* Special request timestamps. */
#define SM_LIST_OFFSETS_LATEST_TIMESTAMP (-1)
#define SM_LIST_OFFSETS_EARLIEST_TIMESTAMP (-2)

/* ---- request ---- */

typedef struct sm_list_offsets_req_partition {
	int32_t partition_index;
	int32_t current_leader_epoch; /* v4+, default -1 */
	int64_t timestamp;
	int32_t max_num_offsets;      /* v0 only, default 1 */
} sm_list_offsets_req_partition_t;

typedef struct sm_list_offsets_req_topic {
	char *name;
	sm_list_offsets_req_partition_t *partitions;
	int32_t partition_count;
} sm_list_offsets_req_topic_t;

typedef struct sm_list_offsets_req {
	int32_t replica_id;     /* -1 for consumers */
	int8_t isolation_level; /* v2+, default 0 */
	sm_list_offsets_req_topic_t *topics;
	int32_t topic_count;
} sm_list_offsets_req_t;

/* ---- response ---- */

typedef struct sm_list_offsets_resp_partition {
	int32_t partition_index;
	int16_t error_code;
	int64_t *old_style_offsets; /* v0 only */
	int32_t old_style_offset_count;
	int64_t timestamp;    /* v1+, default -1 */
	int64_t offset;       /* v1+, default -1 */
	int32_t leader_epoch; /* v4+, default -1 */
} sm_list_offsets_resp_partition_t;

typedef struct sm_list_offsets_resp_topic {
	char *name;
	sm_list_offsets_resp_partition_t *partitions;
	int32_t partition_count;
} sm_list_offsets_resp_topic_t;

typedef struct sm_list_offsets_resp {
	int32_t throttle_time_ms; /* v2+ */
	sm_list_offsets_resp_topic_t *topics;
	int32_t topic_count;
} sm_list_offsets_resp_t;

/*
 * Readers return 0, or -1 on malformed input; fields a version lacks get
 * their schema defaults. Writers drop fields the version lacks.
 */
int sm_list_offsets_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			     sm_list_offsets_req_t *out);
void sm_list_offsets_req_write(sm_wbuf_t *w, int16_t ver, const sm_list_offsets_req_t *in);
int sm_list_offsets_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_list_offsets_resp_t *out);
void sm_list_offsets_resp_write(sm_wbuf_t *w, int16_t ver, const sm_list_offsets_resp_t *in);

#endif /* SM_MSG_LIST_OFFSETS_H */
