/*
 * protocol.h - Kafka wire protocol core: the API key table of Kafka 2.8
 * (Kafka's ApiKeys / ApiMessageType), request and response headers
 * (RequestHeader / ResponseHeader) and the small encoding helpers every
 * message codec shares (nullable strings, arrays, records, tagged-field
 * sections).
 *
 * Header versions follow the generated ApiMessageType rules: a request at a
 * flexible version uses request header v2, otherwise v1, except
 * ControlledShutdown v0 which uses v0 (no client id). A response to a flexible
 * request uses response header v1, otherwise v0, except ApiVersions which is
 * always answered with header v0 (KIP-511) so that a client that does not yet
 * know the broker's versions can still parse it.
 *
 * Thread-safety: the API table is immutable; all functions are reentrant and
 * only touch the reader/writer/arena they are given.
 */
#ifndef SM_PROTOCOL_H
#define SM_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "proto_gen.h"

/* Values with a meaning beyond their type, used by several codecs' callers. */
#define SM_COORDINATOR_TYPE_GROUP 0       /* FindCoordinator key_type */
#define SM_COORDINATOR_TYPE_TRANSACTION 1
/* authorized_operations when the client did not ask for them (KIP-430). */
#define SM_DESCRIBE_GROUPS_AUTHZ_OPS_NONE INT32_MIN

/* Config resources, sources and types (Kafka's ConfigResource.Type,
 * DescribeConfigsResponse.ConfigSource and .ConfigType), shared by the
 * config APIs. */
/* ConfigResource.Type */
#define SM_CONFIG_RESOURCE_TOPIC 2
#define SM_CONFIG_RESOURCE_BROKER 4
#define SM_CONFIG_RESOURCE_BROKER_LOGGER 8

/* ConfigSource */
#define SM_CONFIG_SOURCE_DYNAMIC_TOPIC 1
#define SM_CONFIG_SOURCE_DYNAMIC_BROKER 2
#define SM_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER 3
#define SM_CONFIG_SOURCE_STATIC_BROKER 4
#define SM_CONFIG_SOURCE_DEFAULT 5
#define SM_CONFIG_SOURCE_DYNAMIC_BROKER_LOGGER 6

/* ConfigType */
#define SM_CONFIG_TYPE_UNKNOWN 0
#define SM_CONFIG_TYPE_BOOLEAN 1
#define SM_CONFIG_TYPE_STRING 2
#define SM_CONFIG_TYPE_INT 3
#define SM_CONFIG_TYPE_SHORT 4
#define SM_CONFIG_TYPE_LONG 5
#define SM_CONFIG_TYPE_DOUBLE 6
#define SM_CONFIG_TYPE_LIST 7

/* IncrementalAlterConfigs config_operation (AlterConfigOp.OpType). */
#define SM_CONFIG_OP_SET 0
#define SM_CONFIG_OP_DELETE 1
#define SM_CONFIG_OP_APPEND 2
#define SM_CONFIG_OP_SUBTRACT 3

/* ElectLeaders election_type. */
#define SM_ELECTION_PREFERRED 0
#define SM_ELECTION_UNCLEAN 1
/* DeleteRecords offset meaning "up to the high watermark". */
#define SM_DELETE_RECORDS_HIGH_WATERMARK (-1)
/* ListOffsets request timestamps asking for the log end and start. */
#define SM_LIST_OFFSETS_LATEST_TIMESTAMP (-1)
#define SM_LIST_OFFSETS_EARLIEST_TIMESTAMP (-2)
/* LeaderAndIsr request 'type' (v5+, KIP-516): whether the request lists
 * every partition the broker hosts. */
#define SM_LEADER_AND_ISR_TYPE_INCREMENTAL 1
#define SM_LEADER_AND_ISR_TYPE_FULL 2

/* What Kafka 2.8 knows about one API. */
typedef struct sm_api_info {
	int16_t key;
	const char *name;   /* Kafka's message name: "Produce", "ApiVersions" */
	int16_t min_ver;    /* validVersions of the 2.8 schema */
	int16_t max_ver;
	int16_t flex_ver;   /* first flexible version, -1 = never flexible */
	int zk_broker;      /* served and advertised by a ZooKeeper-mode broker
	                       (KRaft-only APIs and Envelope are not) */
} sm_api_info_t;

/* NULL for a key Kafka 2.8 does not know. */
const sm_api_info_t *sm_proto_api(int16_t api_key);
/* "Produce", or "Unknown" for an unknown key (for log lines). */
const char *sm_proto_api_name(int16_t api_key);
/* 1 if a ZK broker accepts this key at this version. */
int sm_proto_version_supported(int16_t api_key, int16_t ver);
/* Whether ver uses compact encodings and tagged fields. Versions past the
 * supported range of a flexible API count as flexible: that is how Kafka
 * picks the header of e.g. a too-new ApiVersions request. */
int sm_proto_is_flexible(int16_t api_key, int16_t ver);
/* Header versions (0, 1, 2 / 0, 1); -1 for an unknown key. */
int sm_proto_req_header_version(int16_t api_key, int16_t ver);
int sm_proto_resp_header_version(int16_t api_key, int16_t ver);

/* ---- headers ---- */

typedef struct sm_req_header {
	int16_t api_key;
	int16_t api_version;
	int32_t correlation_id;
	char *client_id;    /* never NULL after a successful read: null -> "" */
	int header_version; /* 0, 1 or 2; set by the reader */
} sm_req_header_t;

/* Reads key and version first, then the rest per the header version. For an
 * unknown key it still fills api_key/api_version/correlation_id (so the
 * caller can log them), sets header_version to -1 and returns -1. Also -1 on
 * truncated or malformed bytes. Tagged fields of a v2 header are skipped. The
 * reader is left at the start of the body. */
int sm_proto_req_header_read(sm_rbuf_t *rb, sm_arena_t *a, sm_req_header_t *h);
/* The header version is derived from api_key/api_version (h->header_version
 * is ignored). client_id NULL is written as a null string. */
void sm_proto_req_header_write(sm_wbuf_t *w, const sm_req_header_t *h);
void sm_proto_resp_header_write(sm_wbuf_t *w, int16_t api_key, int16_t ver,
				int32_t correlation_id);
int sm_proto_resp_header_read(sm_rbuf_t *rb, int16_t api_key, int16_t ver,
			      int32_t *correlation_id);

/* ---- encoding helpers for message codecs ----
 * flex selects compact encodings; nullable says whether the schema allows
 * null at this version: a null in a non-nullable field fails the reader, as
 * Kafka rejects it. */

char *sm_proto_str_read(sm_rbuf_t *rb, int flex, int nullable, sm_arena_t *a);
/* A non-nullable string given as NULL is written as "". */
void sm_proto_str_write(sm_wbuf_t *w, const char *s, int flex, int nullable);
/* Element count, -1 for null. min_elem: the fewest bytes one element can
 * take, so that a hostile count fails before anything is allocated. */
int32_t sm_proto_array_read(sm_rbuf_t *rb, int flex, int nullable, size_t min_elem);
/* Decoder side: the array for a count just read from rb, taken with
 * sm_arena_alloc_array so the request's arena budget bounds what a peer's
 * counts can cost in memory (a decoded element is larger than its smallest
 * wire form). Over budget, fails rb and returns NULL; NULL when cnt <= 0. */
void *sm_proto_array_ralloc(sm_rbuf_t *rb, sm_arena_t *a, int32_t cnt, size_t elem_size);
/* A non-nullable array given as cnt -1 is written as empty. */
void sm_proto_array_write(sm_wbuf_t *w, int32_t cnt, int flex, int nullable);
/* An arena copy of "" (schema default of an absent string). */
char *sm_proto_empty_str(sm_arena_t *a);

/* Reads one tagged-field section. For each field fn is called with a reader
 * bounded to that field's value; it returns 0 if it read the value (or does
 * not know the tag and ignores it), -1 to reject it. Unknown tags are thus
 * skipped by their size. Any failure sets rb->err. */
typedef int (*sm_proto_tag_fn)(void *arg, uint32_t tag, sm_rbuf_t *val,
			       sm_arena_t *a);
void sm_proto_tags_read(sm_rbuf_t *rb, sm_arena_t *a, sm_proto_tag_fn fn, void *arg);

/* ---- request rules beyond the wire format ---- */

/* Whether a Metadata request asks for every topic: in v0 an empty topic
 * array does (v0 cannot send null); from v1 only a null array does. */
struct sm_metadata_req;
int sm_metadata_req_all_topics(const struct sm_metadata_req *r, int16_t ver);
/* ApiVersions v3+ client software name/version rule (KIP-511): non-empty,
 * letters, digits, '-' and '.', starting and ending with a letter or digit. */
int sm_api_versions_valid_software(const char *s);

/* ---- helpers of the generated codecs (src/protocol/gen.py) ---- */

/* Decoded structures may take more memory than their wire bytes (an array
 * element of a few bytes becomes a wider C struct), so a read gets a budget
 * for array memory: SM_PROTO_READ_BUDGET_FACTOR times the bytes it was
 * given, plus SM_PROTO_READ_BUDGET_MIN. An array that would exceed it fails
 * the read before anything is allocated. */
#define SM_PROTO_READ_BUDGET_FACTOR 16
#define SM_PROTO_READ_BUDGET_MIN (64 * 1024)

typedef struct sm_proto_rctx {
	sm_arena_t *a;
	size_t budget; /* bytes of array memory still allowed */
} sm_proto_rctx_t;

void sm_proto_rctx_init(sm_proto_rctx_t *cx, const sm_rbuf_t *rb, sm_arena_t *a);
/* cnt elements of elem_size from the arena, charged to the budget; NULL for
 * cnt <= 0. Overflow or an exhausted budget fails rb and returns NULL. */
void *sm_proto_array_alloc_checked(sm_rbuf_t *rb, sm_proto_rctx_t *cx, int32_t cnt,
				   size_t elem_size);
/*
 * A `records` field (Produce request, Fetch response): record batches (v3+
 * message format) or a legacy message set, opaque to the codec; the log
 * layer validates them. Read: ptr/len point into the request buffer (no
 * copy, so the buffer must outlive the decoded message), file is NULL.
 * Write: a non-NULL file splices [file_pos, file_pos + len) of that file
 * into the output (the zero-copy fetch path, sendfile) and ptr is ignored;
 * otherwise ptr/len are copied. len -1 is null. The writer takes its own
 * reference to file.
 */
typedef struct sm_records {
	const uint8_t *ptr;
	int32_t len; /* -1 = null */
	sm_fileref_t *file;
	off_t file_pos;
} sm_records_t;

/* bytes/records fields: a null in a non-nullable field fails the reader. */
sm_bytes_t sm_proto_bytes_read(sm_rbuf_t *rb, int flex, int nullable);
/* A non-nullable value given as null (len -1) is written empty. */
void sm_proto_bytes_write(sm_wbuf_t *w, sm_bytes_t b, int flex, int nullable);
sm_records_t sm_proto_records_read(sm_rbuf_t *rb, int flex, int nullable);
void sm_proto_records_write(sm_wbuf_t *w, const sm_records_t *r, int flex, int nullable);
/* Encoded sizes, matching the writers above. */
size_t sm_proto_uvarint_size(uint32_t v);
size_t sm_proto_str_size(const char *s, int flex, int nullable);
size_t sm_proto_bytes_size(sm_bytes_t b, int flex, int nullable);
size_t sm_proto_records_size(const sm_records_t *r, int flex, int nullable);
size_t sm_proto_array_hdr_size(int32_t cnt, int flex, int nullable);
int sm_proto_uuid_is_zero(const uint8_t id[16]);

/* A generated message's type-erased codec (sm_<api>_req_codec /
 * sm_<api>_resp_codec): decode into a size-byte buffer, render as JSON. */
typedef struct sm_proto_codec {
	int16_t api_key;
	const char *name; /* "HeartbeatRequest" */
	size_t size;
	int (*read)(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, void *out);
	void (*json)(sm_wbuf_t *w, int16_t ver, const void *in);
} sm_proto_codec_t;

/* JSON rendering (the request log). sm_proto_json_key writes a separating
 * comma unless *first, then "name":. Strings are escaped; bytes are base64;
 * records render as their size; UUIDs in Kafka's URL-safe base64 form. */
void sm_proto_json_key(sm_wbuf_t *w, const char *name, int *first);
void sm_proto_json_bool(sm_wbuf_t *w, int v);
void sm_proto_json_i64(sm_wbuf_t *w, int64_t v);
void sm_proto_json_f64(sm_wbuf_t *w, double v);
void sm_proto_json_str(sm_wbuf_t *w, const char *s, int nullable);
void sm_proto_json_bytes(sm_wbuf_t *w, sm_bytes_t b);
void sm_proto_json_records(sm_wbuf_t *w, const sm_records_t *r);
void sm_proto_json_uuid(sm_wbuf_t *w, const uint8_t id[16]);

/* The error codes a thread writes in responses (the generated response
 * writers call sm_proto_err_seen for every error code field), tallied
 * between sm_proto_err_tally_begin and _end: the request metrics count them
 * per response as Kafka's errorCounts. Outside that window nothing is kept.
 * At most SM_PROTO_ERR_TALLY_MAX distinct codes per response are kept; a
 * response with more drops the rest. */
#define SM_PROTO_ERR_TALLY_MAX 16
typedef struct sm_proto_err_tally {
	int active, n;
	int16_t code[SM_PROTO_ERR_TALLY_MAX];
	uint32_t count[SM_PROTO_ERR_TALLY_MAX];
} sm_proto_err_tally_t;

void sm_proto_err_seen(int16_t code);
void sm_proto_err_tally_begin(void);
/* Stops tallying and copies this thread's tally to out: empty when nothing
 * was begun (a response not written by a generated writer), rather than
 * the previous response's codes. */
void sm_proto_err_tally_end(sm_proto_err_tally_t *out);

#endif /* SM_PROTOCOL_H */
