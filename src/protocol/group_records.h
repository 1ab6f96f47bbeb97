/*
 * group_records.h - the record schemas of the __consumer_offsets topic (the
 * role of Kafka's GroupMetadataManager key/value serde with the generated
 * OffsetCommitKey/Value and GroupMetadataKey/Value data classes), and the
 * group -> offsets-partition mapping.
 *
 * Every key and value starts with an int16 schema version followed by the
 * non-flexible encoding of that version:
 *
 *   key v0/v1  OffsetCommitKey    group, topic, partition
 *   key v2     GroupMetadataKey   group
 *   OffsetCommitValue v0  offset, metadata, commit_timestamp
 *                     v1  + expire_timestamp
 *                     v2  offset, metadata, commit_timestamp
 *                     v3  offset, leader_epoch, metadata, commit_timestamp
 *   GroupMetadataValue v0 protocol_type, generation, protocol?, leader?,
 *                         members[member_id, client_id, client_host,
 *                         session_timeout, subscription, assignment]
 *                     v1  + member rebalance_timeout
 *                     v2  + current_state_timestamp
 *                     v3  + member group_instance_id?
 *
 * Writers use what a Kafka 2.8 coordinator writes at its default
 * inter.broker.protocol.version: key v1 / v2, OffsetCommitValue v3 (v1 when
 * the commit carries an explicit expire timestamp, i.e. an OffsetCommit
 * v2-4 with a retention time), GroupMetadataValue v3. Readers accept every
 * version Kafka 2.8 could have written; later (flexible) versions are
 * refused. A null value (tombstone) is the caller's business: these
 * functions only see non-null bytes.
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_GROUP_RECORDS_H
#define SM_GROUP_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* What a __consumer_offsets key holds, told by its leading version. */
enum sm_group_key_type {
	SM_GROUP_KEY_UNKNOWN = -1,
	SM_GROUP_KEY_OFFSET_COMMIT = 0, /* key version 0 or 1 */
	SM_GROUP_KEY_GROUP_METADATA = 1 /* key version 2 */
};

#define SM_GROUP_OFFSET_KEY_VERSION 1
#define SM_GROUP_METADATA_KEY_VERSION 2
#define SM_GROUP_OFFSET_VALUE_MAX_VERSION 3
#define SM_GROUP_METADATA_VALUE_MAX_VERSION 3

typedef struct sm_group_offset_key {
	int16_t version; /* set by the reader; the writer always uses 1 */
	char *group;
	char *topic;
	int32_t partition;
} sm_group_offset_key_t;

typedef struct sm_group_offset_value {
	int16_t version;          /* set by the reader */
	int64_t offset;
	int32_t leader_epoch;     /* v3+, default -1 */
	char *metadata;           /* never null on the wire; NULL writes "" */
	int64_t commit_timestamp;
	int64_t expire_timestamp; /* v1 only, default -1 */
} sm_group_offset_value_t;

typedef struct sm_group_metadata_key {
	char *group;
} sm_group_metadata_key_t;

typedef struct sm_group_member_metadata {
	char *member_id;
	char *group_instance_id;    /* v3+, nullable, default null */
	char *client_id;
	char *client_host;
	int32_t rebalance_timeout;  /* v1+, default -1 */
	int32_t session_timeout;
	sm_bytes_t subscription;
	sm_bytes_t assignment;
} sm_group_member_metadata_t;

typedef struct sm_group_metadata_value {
	int16_t version;                 /* set by the reader */
	char *protocol_type;
	int32_t generation;
	char *protocol;                  /* nullable */
	char *leader;                    /* nullable */
	int64_t current_state_timestamp; /* v2+, default -1 */
	sm_group_member_metadata_t *members;
	int32_t members_cnt;
} sm_group_metadata_value_t;

/* Schema defaults (the -1s above). */
void sm_group_offset_value_init(sm_group_offset_value_t *v);
void sm_group_metadata_value_init(sm_group_metadata_value_t *v);
void sm_group_member_metadata_init(sm_group_member_metadata_t *m);

/* Type of a serialized key, or SM_GROUP_KEY_UNKNOWN (short or other version). */
int sm_group_key_type(const void *key, size_t len);

/* Readers consume the whole buffer: trailing bytes fail, as they would mean
 * a schema this broker does not know. 0 on success, -1 on malformed input or
 * an unsupported version. */
int sm_group_offset_key_read(sm_rbuf_t *rb, sm_arena_t *a, sm_group_offset_key_t *out);
void sm_group_offset_key_write(sm_wbuf_t *w, const sm_group_offset_key_t *k);

int sm_group_offset_value_read(sm_rbuf_t *rb, sm_arena_t *a, sm_group_offset_value_t *out);
/* v1 when expire_timestamp != -1, else v3. */
void sm_group_offset_value_write(sm_wbuf_t *w, const sm_group_offset_value_t *v);
/* Explicit version 0..3 (fields absent from it are dropped). */
void sm_group_offset_value_write_version(sm_wbuf_t *w, int16_t ver,
					 const sm_group_offset_value_t *v);

int sm_group_metadata_key_read(sm_rbuf_t *rb, sm_arena_t *a, sm_group_metadata_key_t *out);
void sm_group_metadata_key_write(sm_wbuf_t *w, const sm_group_metadata_key_t *k);

int sm_group_metadata_value_read(sm_rbuf_t *rb, sm_arena_t *a, sm_group_metadata_value_t *out);
/* Always v3. */
void sm_group_metadata_value_write(sm_wbuf_t *w, const sm_group_metadata_value_t *v);
void sm_group_metadata_value_write_version(sm_wbuf_t *w, int16_t ver,
					   const sm_group_metadata_value_t *v);

/* Java's String.hashCode() of the string Kafka would decode from these UTF-8
 * bytes: computed over UTF-16 code units (a supplementary character counts
 * as its surrogate pair); a malformed byte counts as U+FFFD, as Java's
 * decoder substitutes it. */
int32_t sm_group_java_hash(const char *s);
/* Kafka's Utils.abs(hash) % num_partitions (abs(INT32_MIN) = 0): the
 * __consumer_offsets partition that owns a group. num_partitions must be > 0. */
int32_t sm_group_partition_for(const char *group, int32_t num_partitions);

#endif /* SM_GROUP_RECORDS_H */
