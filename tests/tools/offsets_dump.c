/*
 * offsets_dump.c - test tool: decodes the records of __consumer_offsets
 * segment files with src/protocol/group_records.h (Kafka's OffsetCommitKey/Value and
 * GroupMetadataKey/Value schemas, as kafka-dump-log --offsets-decoder reads
 * them) and prints one JSON object per record:
 *
 *   {"offset":N,"key":{"type":"offset_commit",...},"value":{...}|null}
 *
 * A record whose key or value does not decode is an error (exit 1), so the
 * integration test proves the on-disk bytes follow Kafka's schemas.
 *
 * Thread-safety: single-threaded program.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "group_records.h"
#include "record_batch.h"

static void od_str(const char *s)
{
	if (!s) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static int od_offset_commit(const sm_record_t *r, sm_arena_t *a)
{
	sm_rbuf_t rb;
	sm_group_offset_key_t k;
	sm_rbuf_init(&rb, r->key, (size_t)r->key_len);
	if (sm_group_offset_key_read(&rb, a, &k))
		return -1;
	printf("\"key\":{\"type\":\"offset_commit\",\"version\":%d,\"group\":", (int)k.version);
	od_str(k.group);
	printf(",\"topic\":");
	od_str(k.topic);
	printf(",\"partition\":%d},\"value\":", (int)k.partition);
	if (r->value_len < 0) {
		printf("null");
		return 0;
	}
	sm_group_offset_value_t v;
	sm_rbuf_init(&rb, r->value, (size_t)r->value_len);
	if (sm_group_offset_value_read(&rb, a, &v))
		return -1;
	printf("{\"version\":%d,\"offset\":%" PRId64 ",\"leaderEpoch\":%d,\"metadata\":",
	       (int)v.version, v.offset, (int)v.leader_epoch);
	od_str(v.metadata);
	printf(",\"commitTimestamp\":%" PRId64 "}", v.commit_timestamp);
	return 0;
}

static int od_group_metadata(const sm_record_t *r, sm_arena_t *a)
{
	sm_rbuf_t rb;
	sm_group_metadata_key_t k;
	sm_rbuf_init(&rb, r->key, (size_t)r->key_len);
	if (sm_group_metadata_key_read(&rb, a, &k))
		return -1;
	printf("\"key\":{\"type\":\"group_metadata\",\"group\":");
	od_str(k.group);
	printf("},\"value\":");
	if (r->value_len < 0) {
		printf("null");
		return 0;
	}
	sm_group_metadata_value_t v;
	sm_rbuf_init(&rb, r->value, (size_t)r->value_len);
	if (sm_group_metadata_value_read(&rb, a, &v))
		return -1;
	printf("{\"version\":%d,\"protocolType\":", (int)v.version);
	od_str(v.protocol_type);
	printf(",\"generation\":%d,\"protocol\":", (int)v.generation);
	od_str(v.protocol);
	printf(",\"leader\":");
	od_str(v.leader);
	printf(",\"members\":[");
	for (int32_t i = 0; i < v.members_cnt; i++) {
		const sm_group_member_metadata_t *m = &v.members[i];
		printf("%s{\"memberId\":", i ? "," : "");
		od_str(m->member_id);
		printf(",\"clientId\":");
		od_str(m->client_id);
		printf(",\"clientHost\":");
		od_str(m->client_host);
		printf(",\"sessionTimeout\":%d,\"assignmentBytes\":%d}", (int)m->session_timeout,
		       (int)m->assignment.len);
	}
	printf("]}");
	return 0;
}

static int od_batch(const uint8_t *p, size_t len)
{
	sm_batch_iter_t it;
	sm_record_t r;
	int rc = 0, more;
	if (sm_batch_iter_init(&it, p, len, 0)) {
		sm_batch_iter_destroy(&it);
		return -1;
	}
	if (sm_batch_is_control(&it.hdr)) {
		sm_batch_iter_destroy(&it);
		return 0;
	}
	while (!rc && (more = sm_batch_iter_next(&it, &r)) != 0) {
		sm_arena_t a;
		sm_arena_init(&a);
		if (more < 0 || r.key_len < 0) {
			rc = -1;
		} else {
			printf("{\"offset\":%" PRId64 ",", r.offset);
			switch (sm_group_key_type(r.key, (size_t)r.key_len)) {
			case SM_GROUP_KEY_OFFSET_COMMIT:
				rc = od_offset_commit(&r, &a);
				break;
			case SM_GROUP_KEY_GROUP_METADATA:
				rc = od_group_metadata(&r, &a);
				break;
			default:
				rc = -1;
			}
			printf("}\n");
		}
		if (rc)
			fprintf(stderr, "record at offset %" PRId64 " does not decode\n", r.offset);
		sm_arena_destroy(&a);
	}
	sm_batch_iter_destroy(&it);
	return rc;
}

static int od_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	sm_wbuf_t w;
	sm_wbuf_init(&w, 4096);
	uint8_t buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sm_wbuf_append(&w, buf, n);
	fclose(f);
	int rc = 0;
	size_t pos = 0;
	while (!rc && pos < w.len) {
		int64_t sz = sm_batch_entry_size(w.p + pos, w.len - pos);
		if (sz <= 0)
			break; /* an unflushed or preallocated tail */
		rc = od_batch(w.p + pos, (size_t)sz);
		pos += (size_t)sz;
	}
	sm_wbuf_free(&w);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s SEGMENT.log...\n", argv[0]);
		return 2;
	}
	int rc = 0;
	for (int i = 1; i < argc; i++)
		rc |= od_file(argv[i]) != 0;
	return rc;
}
