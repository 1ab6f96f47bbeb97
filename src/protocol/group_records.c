/*
 * group_records.c - __consumer_offsets key/value encodings (Kafka's
 * GroupMetadataManager serde over the OffsetCommitKey/Value and
 * GroupMetadataKey/Value schemas) and the group -> partition hash.
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "group_records.h"
#include "protocol.h"

void sm_group_offset_value_init(sm_group_offset_value_t *v)
{
	memset(v, 0, sizeof(*v));
	v->version = 3;
	v->leader_epoch = -1;
	v->expire_timestamp = -1;
}

void sm_group_metadata_value_init(sm_group_metadata_value_t *v)
{
	memset(v, 0, sizeof(*v));
	v->version = 3;
	v->current_state_timestamp = -1;
}

void sm_group_member_metadata_init(sm_group_member_metadata_t *m)
{
	memset(m, 0, sizeof(*m));
	m->rebalance_timeout = -1;
}

int sm_group_key_type(const void *key, size_t len)
{
	if (!key || len < 2)
		return SM_GROUP_KEY_UNKNOWN;
	int16_t ver = (int16_t)sm_be16(key);
	if (ver == 0 || ver == 1)
		return SM_GROUP_KEY_OFFSET_COMMIT;
	if (ver == 2)
		return SM_GROUP_KEY_GROUP_METADATA;
	return SM_GROUP_KEY_UNKNOWN;
}

/* A record is exactly one schema instance: leftover bytes mean a newer or
 * corrupt encoding. */
static int sm_group_records_done(sm_rbuf_t *rb)
{
	if (!rb->err && rb->pos != rb->len)
		sm_rbuf_fail(rb);
	return rb->err ? -1 : 0;
}

/* Bytes fields are never null in these schemas. */
static sm_bytes_t sm_group_records_bytes_read(sm_rbuf_t *rb)
{
	sm_bytes_t b = sm_rbuf_bytes(rb, 0);

	if (b.len < 0 && !rb->err)
		sm_rbuf_fail(rb);
	return b;
}

static void sm_group_records_bytes_write(sm_wbuf_t *w, sm_bytes_t b)
{
	sm_wbuf_bytes(w, b.ptr, b.len < 0 ? 0 : b.len, 0);
}

/* ---- OffsetCommitKey ---- */

int sm_group_offset_key_read(sm_rbuf_t *rb, sm_arena_t *a, sm_group_offset_key_t *out)
{
	memset(out, 0, sizeof(*out));
	out->version = sm_rbuf_i16(rb);
	if (!rb->err && out->version != 0 && out->version != 1)
		sm_rbuf_fail(rb);
	out->group = sm_proto_str_read(rb, 0, 0, a);
	out->topic = sm_proto_str_read(rb, 0, 0, a);
	out->partition = sm_rbuf_i32(rb);
	return sm_group_records_done(rb);
}

void sm_group_offset_key_write(sm_wbuf_t *w, const sm_group_offset_key_t *k)
{
	sm_wbuf_i16(w, SM_GROUP_OFFSET_KEY_VERSION);
	sm_proto_str_write(w, k->group, 0, 0);
	sm_proto_str_write(w, k->topic, 0, 0);
	sm_wbuf_i32(w, k->partition);
}

/* ---- OffsetCommitValue ---- */

int sm_group_offset_value_read(sm_rbuf_t *rb, sm_arena_t *a, sm_group_offset_value_t *out)
{
	sm_group_offset_value_init(out);
	out->version = sm_rbuf_i16(rb);
	if (!rb->err && (out->version < 0 || out->version > SM_GROUP_OFFSET_VALUE_MAX_VERSION))
		sm_rbuf_fail(rb);
	out->offset = sm_rbuf_i64(rb);
	if (out->version >= 3)
		out->leader_epoch = sm_rbuf_i32(rb);
	out->metadata = sm_proto_str_read(rb, 0, 0, a);
	out->commit_timestamp = sm_rbuf_i64(rb);
	if (out->version == 1)
		out->expire_timestamp = sm_rbuf_i64(rb);
	return sm_group_records_done(rb);
}

void sm_group_offset_value_write_version(sm_wbuf_t *w, int16_t ver,
					 const sm_group_offset_value_t *v)
{
	sm_wbuf_i16(w, ver);
	sm_wbuf_i64(w, v->offset);
	if (ver >= 3)
		sm_wbuf_i32(w, v->leader_epoch);
	sm_proto_str_write(w, v->metadata, 0, 0);
	sm_wbuf_i64(w, v->commit_timestamp);
	if (ver == 1)
		sm_wbuf_i64(w, v->expire_timestamp);
}

void sm_group_offset_value_write(sm_wbuf_t *w, const sm_group_offset_value_t *v)
{
	/* Only v1 can carry an explicit expiry (KIP-211 dropped it). */
	sm_group_offset_value_write_version(w, v->expire_timestamp != -1 ? 1 : 3, v);
}

/* ---- GroupMetadataKey ---- */

int sm_group_metadata_key_read(sm_rbuf_t *rb, sm_arena_t *a, sm_group_metadata_key_t *out)
{
	memset(out, 0, sizeof(*out));
	int16_t ver = sm_rbuf_i16(rb);
	if (!rb->err && ver != SM_GROUP_METADATA_KEY_VERSION)
		sm_rbuf_fail(rb);
	out->group = sm_proto_str_read(rb, 0, 0, a);
	return sm_group_records_done(rb);
}

void sm_group_metadata_key_write(sm_wbuf_t *w, const sm_group_metadata_key_t *k)
{
	sm_wbuf_i16(w, SM_GROUP_METADATA_KEY_VERSION);
	sm_proto_str_write(w, k->group, 0, 0);
}

/* ---- GroupMetadataValue ---- */

static void sm_group_member_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				 sm_group_member_metadata_t *m)
{
	sm_group_member_metadata_init(m);
	m->member_id = sm_proto_str_read(rb, 0, 0, a);
	if (ver >= 3)
		m->group_instance_id = sm_proto_str_read(rb, 0, 1, a);
	m->client_id = sm_proto_str_read(rb, 0, 0, a);
	m->client_host = sm_proto_str_read(rb, 0, 0, a);
	if (ver >= 1)
		m->rebalance_timeout = sm_rbuf_i32(rb);
	m->session_timeout = sm_rbuf_i32(rb);
	m->subscription = sm_group_records_bytes_read(rb);
	m->assignment = sm_group_records_bytes_read(rb);
}

int sm_group_metadata_value_read(sm_rbuf_t *rb, sm_arena_t *a, sm_group_metadata_value_t *out)
{
	sm_group_metadata_value_init(out);
	int16_t ver = sm_rbuf_i16(rb);
	out->version = ver;
	if (!rb->err && (ver < 0 || ver > SM_GROUP_METADATA_VALUE_MAX_VERSION))
		sm_rbuf_fail(rb);
	out->protocol_type = sm_proto_str_read(rb, 0, 0, a);
	out->generation = sm_rbuf_i32(rb);
	out->protocol = sm_proto_str_read(rb, 0, 1, a);
	out->leader = sm_proto_str_read(rb, 0, 1, a);
	if (ver >= 2)
		out->current_state_timestamp = sm_rbuf_i64(rb);
	size_t min = 3 * 2 + (ver >= 3 ? 2 : 0) + (ver >= 1 ? 4 : 0) + 4 + 2 * 4;
	int32_t n = sm_proto_array_read(rb, 0, 0, min);
	out->members = sm_proto_array_ralloc(rb, a, n, sizeof(*out->members));
	for (int32_t i = 0; i < n && !rb->err; i++)
		sm_group_member_read(rb, ver, a, &out->members[i]);
	out->members_cnt = rb->err ? 0 : n;
	return sm_group_records_done(rb);
}

void sm_group_metadata_value_write_version(sm_wbuf_t *w, int16_t ver,
					   const sm_group_metadata_value_t *v)
{
	sm_wbuf_i16(w, ver);
	sm_proto_str_write(w, v->protocol_type, 0, 0);
	sm_wbuf_i32(w, v->generation);
	sm_proto_str_write(w, v->protocol, 0, 1);
	sm_proto_str_write(w, v->leader, 0, 1);
	if (ver >= 2)
		sm_wbuf_i64(w, v->current_state_timestamp);
	sm_proto_array_write(w, v->members_cnt, 0, 0);
	for (int32_t i = 0; i < v->members_cnt; i++) {
		const sm_group_member_metadata_t *m = &v->members[i];
		sm_proto_str_write(w, m->member_id, 0, 0);
		if (ver >= 3)
			sm_proto_str_write(w, m->group_instance_id, 0, 1);
		sm_proto_str_write(w, m->client_id, 0, 0);
		sm_proto_str_write(w, m->client_host, 0, 0);
		if (ver >= 1)
			sm_wbuf_i32(w, m->rebalance_timeout);
		sm_wbuf_i32(w, m->session_timeout);
		sm_group_records_bytes_write(w, m->subscription);
		sm_group_records_bytes_write(w, m->assignment);
	}
}

void sm_group_metadata_value_write(sm_wbuf_t *w, const sm_group_metadata_value_t *v)
{
	sm_group_metadata_value_write_version(w, SM_GROUP_METADATA_VALUE_MAX_VERSION, v);
}

/* ---- partitioning ---- */

/* Length of a well-formed UTF-8 sequence at p (the rules of RFC 3629:
 * no overlongs, no surrogates, nothing past U+10FFFF), 0 if malformed. */
static size_t sm_group_records_utf8(const uint8_t *p, uint32_t *cp)
{
	uint8_t b = p[0];
	uint8_t lo = 0x80, hi = 0xbf;
	size_t n;

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf) {
		n = 2;
		*cp = b & 0x1f;
	} else if (b >= 0xe0 && b <= 0xef) {
		n = 3;
		*cp = b & 0x0f;
		lo = b == 0xe0 ? 0xa0 : 0x80;
		hi = b == 0xed ? 0x9f : 0xbf;
	} else if (b >= 0xf0 && b <= 0xf4) {
		n = 4;
		*cp = b & 0x07;
		lo = b == 0xf0 ? 0x90 : 0x80;
		hi = b == 0xf4 ? 0x8f : 0xbf;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		/* A NUL ends the string and fails this test too. */
		if (p[i] < lo || p[i] > hi)
			return 0;
		*cp = (*cp << 6) | (p[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	return n;
}

int32_t sm_group_java_hash(const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	uint32_t h = 0; /* Java int arithmetic wraps: do it unsigned */

	while (p && *p) {
		uint32_t cp;
		size_t n = sm_group_records_utf8(p, &cp);
		if (n == 0) {
			cp = 0xfffd;
			n = 1;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			h = h * 31u + (0xd800u + (cp >> 10));
			h = h * 31u + (0xdc00u + (cp & 0x3ffu));
		} else {
			h = h * 31u + cp;
		}
		p += n;
	}
	return (int32_t)h;
}

int32_t sm_group_partition_for(const char *group, int32_t num_partitions)
{
	int32_t h = sm_group_java_hash(group);
	/* Kafka's Utils.abs maps INT32_MIN to 0 rather than overflowing. */
	int32_t pos = h == INT32_MIN ? 0 : (h < 0 ? -h : h);

	if (num_partitions <= 0)
		return 0;
	return pos % num_partitions;
}
