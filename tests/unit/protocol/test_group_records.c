/*
 * test_group_records.c - unit tests of the __consumer_offsets record
 * schemas (OffsetCommitKey/Value, GroupMetadataKey/Value): byte-exact
 * encodings of every record type and version, round trips, refusal of
 * truncated, trailing and unknown-version input, key type detection, and
 * the group -> partition hash checked against Java's String.hashCode.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "group_records.h"

static void ck_wbuf(const sm_wbuf_t *w, const uint8_t *exp, size_t n)
{
	CU_ASSERT_EQUAL(w->len, n);
	CU_ASSERT(w->len == n && memcmp(w->p, exp, n) == 0);
	if (w->len != n || memcmp(w->p, exp, n) != 0) {
		fprintf(stderr, "\ngot:");
		for (size_t i = 0; i < w->len; i++)
			fprintf(stderr, " %02x", w->p[i]);
		fprintf(stderr, "\n");
	}
}

/* Every proper prefix and the buffer with one extra byte must be refused. */
typedef int (*reader_fn)(sm_rbuf_t *rb, sm_arena_t *a, void *out);

static void ck_strict(reader_fn fn, const uint8_t *p, size_t n)
{
	sm_arena_t a;
	sm_rbuf_t rb;
	uint8_t out[256];
	uint8_t longer[512];

	sm_arena_init(&a);
	for (size_t len = 0; len < n; len++) {
		sm_rbuf_init(&rb, p, len);
		CU_ASSERT_EQUAL(fn(&rb, &a, out), -1);
	}
	CU_ASSERT_FATAL(n < sizeof(longer));
	memcpy(longer, p, n);
	longer[n] = 0;
	sm_rbuf_init(&rb, longer, n + 1);
	CU_ASSERT_EQUAL(fn(&rb, &a, out), -1);
	sm_rbuf_init(&rb, p, n);
	CU_ASSERT_EQUAL(fn(&rb, &a, out), 0);
	sm_arena_destroy(&a);
}

static int rd_okey(sm_rbuf_t *rb, sm_arena_t *a, void *o)
{
	return sm_group_offset_key_read(rb, a, o);
}

static int rd_oval(sm_rbuf_t *rb, sm_arena_t *a, void *o)
{
	return sm_group_offset_value_read(rb, a, o);
}

static int rd_gkey(sm_rbuf_t *rb, sm_arena_t *a, void *o)
{
	return sm_group_metadata_key_read(rb, a, o);
}

static int rd_gval(sm_rbuf_t *rb, sm_arena_t *a, void *o)
{
	return sm_group_metadata_value_read(rb, a, o);
}

/* ---- keys ---- */

static void test_offset_key(void)
{
	static const uint8_t exp[] = { 0, 1, 0, 2, 'g', '1', 0, 1, 't', 0, 0, 0, 7 };
	sm_group_offset_key_t k = { 0, "g1", "t", 7 }, r;
	sm_arena_t a;
	sm_wbuf_t w;
	sm_rbuf_t rb;

	sm_arena_init(&a);
	sm_wbuf_init(&w, 32);
	sm_group_offset_key_write(&w, &k);
	ck_wbuf(&w, exp, sizeof(exp));
	CU_ASSERT_EQUAL(sm_group_key_type(w.p, w.len), SM_GROUP_KEY_OFFSET_COMMIT);
	sm_rbuf_init(&rb, exp, sizeof(exp));
	CU_ASSERT_EQUAL_FATAL(sm_group_offset_key_read(&rb, &a, &r), 0);
	CU_ASSERT_EQUAL(r.version, 1);
	CU_ASSERT_STRING_EQUAL(r.group, "g1");
	CU_ASSERT_STRING_EQUAL(r.topic, "t");
	CU_ASSERT_EQUAL(r.partition, 7);
	/* Version 0 keys (older brokers) have the same layout. */
	static const uint8_t v0[] = { 0, 0, 0, 1, 'g', 0, 0, 0, 0, 0, 0 };
	sm_rbuf_init(&rb, v0, sizeof(v0));
	CU_ASSERT_EQUAL_FATAL(sm_group_offset_key_read(&rb, &a, &r), 0);
	CU_ASSERT_EQUAL(r.version, 0);
	CU_ASSERT_STRING_EQUAL(r.topic, "");
	CU_ASSERT_EQUAL(sm_group_key_type(v0, sizeof(v0)), SM_GROUP_KEY_OFFSET_COMMIT);
	ck_strict(rd_okey, exp, sizeof(exp));
	/* A group metadata key is not an offset key. */
	static const uint8_t gk[] = { 0, 2, 0, 1, 'g' };
	sm_rbuf_init(&rb, gk, sizeof(gk));
	CU_ASSERT_EQUAL(sm_group_offset_key_read(&rb, &a, &r), -1);
	sm_wbuf_free(&w);
	sm_arena_destroy(&a);
}

static void test_metadata_key(void)
{
	static const uint8_t exp[] = { 0, 2, 0, 5, 'g', 'r', 'o', 'u', 'p' };
	sm_group_metadata_key_t k = { "group" }, r;
	sm_arena_t a;
	sm_wbuf_t w;
	sm_rbuf_t rb;

	sm_arena_init(&a);
	sm_wbuf_init(&w, 32);
	sm_group_metadata_key_write(&w, &k);
	ck_wbuf(&w, exp, sizeof(exp));
	CU_ASSERT_EQUAL(sm_group_key_type(w.p, w.len), SM_GROUP_KEY_GROUP_METADATA);
	sm_rbuf_init(&rb, exp, sizeof(exp));
	CU_ASSERT_EQUAL_FATAL(sm_group_metadata_key_read(&rb, &a, &r), 0);
	CU_ASSERT_STRING_EQUAL(r.group, "group");
	ck_strict(rd_gkey, exp, sizeof(exp));
	/* Null group refused. */
	static const uint8_t nul[] = { 0, 2, 0xff, 0xff };
	sm_rbuf_init(&rb, nul, sizeof(nul));
	CU_ASSERT_EQUAL(sm_group_metadata_key_read(&rb, &a, &r), -1);
	sm_wbuf_free(&w);
	sm_arena_destroy(&a);
}

static void test_key_type(void)
{
	static const uint8_t v3[] = { 0, 3, 0, 0 };
	static const uint8_t neg[] = { 0xff, 0xff };
	static const uint8_t one[] = { 0 };

	CU_ASSERT_EQUAL(sm_group_key_type(v3, sizeof(v3)), SM_GROUP_KEY_UNKNOWN);
	CU_ASSERT_EQUAL(sm_group_key_type(neg, sizeof(neg)), SM_GROUP_KEY_UNKNOWN);
	CU_ASSERT_EQUAL(sm_group_key_type(one, sizeof(one)), SM_GROUP_KEY_UNKNOWN);
	CU_ASSERT_EQUAL(sm_group_key_type(NULL, 0), SM_GROUP_KEY_UNKNOWN);
}

/* ---- OffsetCommitValue ---- */

static void test_offset_value_versions(void)
{
	sm_group_offset_value_t v, r;
	sm_arena_t a;
	sm_wbuf_t w;
	sm_rbuf_t rb;

	sm_group_offset_value_init(&v);
	v.offset = 0x0102030405LL;
	v.leader_epoch = 6;
	v.metadata = "m";
	v.commit_timestamp = 0x1122334455LL;
	sm_arena_init(&a);
	sm_wbuf_init(&w, 64);

	/* Default: v3 with the leader epoch. */
	static const uint8_t v3[] = { 0, 3, 0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05, 0, 0, 0, 6,
				      0, 1, 'm', 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 0x55 };
	sm_group_offset_value_write(&w, &v);
	ck_wbuf(&w, v3, sizeof(v3));
	ck_strict(rd_oval, v3, sizeof(v3));

	/* An explicit expiry forces v1 (no leader epoch). */
	v.expire_timestamp = 0x99;
	static const uint8_t v1[] = { 0, 1, 0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05, 0, 1, 'm',
				      0, 0, 0, 0x11, 0x22, 0x33, 0x44, 0x55,
				      0, 0, 0, 0, 0, 0, 0, 0x99 };
	sm_wbuf_reset(&w);
	sm_group_offset_value_write(&w, &v);
	ck_wbuf(&w, v1, sizeof(v1));
	ck_strict(rd_oval, v1, sizeof(v1));
	sm_rbuf_init(&rb, v1, sizeof(v1));
	CU_ASSERT_EQUAL_FATAL(sm_group_offset_value_read(&rb, &a, &r), 0);
	CU_ASSERT_EQUAL(r.version, 1);
	CU_ASSERT_EQUAL(r.expire_timestamp, 0x99);
	CU_ASSERT_EQUAL(r.leader_epoch, -1);

	/* v0 and v2: offset, metadata, commit timestamp only. */
	for (int16_t ver = 0; ver <= 2; ver += 2) {
		uint8_t exp[21] = { 0, (uint8_t)ver, 0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05,
				    0, 1, 'm', 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 0x55 };
		sm_wbuf_reset(&w);
		sm_group_offset_value_write_version(&w, ver, &v);
		ck_wbuf(&w, exp, sizeof(exp));
		ck_strict(rd_oval, exp, sizeof(exp));
		sm_rbuf_init(&rb, exp, sizeof(exp));
		CU_ASSERT_EQUAL_FATAL(sm_group_offset_value_read(&rb, &a, &r), 0);
		CU_ASSERT_EQUAL(r.version, ver);
		CU_ASSERT_EQUAL(r.offset, v.offset);
		CU_ASSERT_EQUAL(r.leader_epoch, -1);
		CU_ASSERT_EQUAL(r.expire_timestamp, -1);
		CU_ASSERT_STRING_EQUAL(r.metadata, "m");
		CU_ASSERT_EQUAL(r.commit_timestamp, v.commit_timestamp);
	}

	/* Round trip of v3 and a NULL metadata written as "". */
	v.expire_timestamp = -1;
	v.metadata = NULL;
	sm_wbuf_reset(&w);
	sm_group_offset_value_write(&w, &v);
	sm_rbuf_init(&rb, w.p, w.len);
	CU_ASSERT_EQUAL_FATAL(sm_group_offset_value_read(&rb, &a, &r), 0);
	CU_ASSERT_EQUAL(r.version, 3);
	CU_ASSERT_EQUAL(r.leader_epoch, 6);
	CU_ASSERT_STRING_EQUAL(r.metadata, "");

	/* Unknown (flexible, newer) versions are refused. */
	static const uint8_t v4[] = { 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0,
				      0, 0, 0, 0, 0, 0, 0, 0, 0 };
	sm_rbuf_init(&rb, v4, sizeof(v4));
	CU_ASSERT_EQUAL(sm_group_offset_value_read(&rb, &a, &r), -1);
	sm_wbuf_free(&w);
	sm_arena_destroy(&a);
}

/* ---- GroupMetadataValue ---- */

static void gm_fill(sm_arena_t *a, sm_group_metadata_value_t *v)
{
	static const uint8_t sub[] = { 0xde, 0xad };
	static const uint8_t asg[] = { 0xbe };

	sm_group_metadata_value_init(v);
	v->protocol_type = "consumer";
	v->generation = 3;
	v->protocol = "range";
	v->leader = "m1";
	v->current_state_timestamp = 0x0a0b;
	v->members_cnt = 1;
	v->members = sm_arena_alloc(a, sizeof(*v->members));
	sm_group_member_metadata_init(&v->members[0]);
	v->members[0].member_id = "m1";
	v->members[0].group_instance_id = "i";
	v->members[0].client_id = "c";
	v->members[0].client_host = "/h";
	v->members[0].rebalance_timeout = 0x100;
	v->members[0].session_timeout = 0x200;
	v->members[0].subscription = (sm_bytes_t){ sub, 2 };
	v->members[0].assignment = (sm_bytes_t){ asg, 1 };
}

/* Byte-exact expected encoding of gm_fill() at ver, built by hand. */
static size_t gm_expected(int16_t ver, uint8_t *p)
{
	size_t n = 0;
#define PUT(...)                                                                     \
	do {                                                                         \
		const uint8_t tmp_[] = { __VA_ARGS__ };                              \
		memcpy(p + n, tmp_, sizeof(tmp_));                                   \
		n += sizeof(tmp_);                                                   \
	} while (0)
	PUT(0, (uint8_t)ver);
	PUT(0, 8, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r');
	PUT(0, 0, 0, 3);
	PUT(0, 5, 'r', 'a', 'n', 'g', 'e');
	PUT(0, 2, 'm', '1');
	if (ver >= 2)
		PUT(0, 0, 0, 0, 0, 0, 0x0a, 0x0b);
	PUT(0, 0, 0, 1);
	PUT(0, 2, 'm', '1');
	if (ver >= 3)
		PUT(0, 1, 'i');
	PUT(0, 1, 'c');
	PUT(0, 2, '/', 'h');
	if (ver >= 1)
		PUT(0, 0, 1, 0);
	PUT(0, 0, 2, 0);
	PUT(0, 0, 0, 2, 0xde, 0xad);
	PUT(0, 0, 0, 1, 0xbe);
#undef PUT
	return n;
}

static void test_group_value_versions(void)
{
	sm_group_metadata_value_t v, r;
	sm_arena_t a;
	sm_wbuf_t w;
	sm_rbuf_t rb;
	uint8_t exp[128];

	sm_arena_init(&a);
	sm_wbuf_init(&w, 128);
	gm_fill(&a, &v);
	for (int16_t ver = 0; ver <= 3; ver++) {
		size_t n = gm_expected(ver, exp);
		sm_wbuf_reset(&w);
		sm_group_metadata_value_write_version(&w, ver, &v);
		ck_wbuf(&w, exp, n);
		ck_strict(rd_gval, exp, n);
		sm_rbuf_init(&rb, exp, n);
		CU_ASSERT_EQUAL_FATAL(sm_group_metadata_value_read(&rb, &a, &r), 0);
		CU_ASSERT_EQUAL(r.version, ver);
		CU_ASSERT_STRING_EQUAL(r.protocol_type, "consumer");
		CU_ASSERT_EQUAL(r.generation, 3);
		CU_ASSERT_STRING_EQUAL(r.protocol, "range");
		CU_ASSERT_STRING_EQUAL(r.leader, "m1");
		CU_ASSERT_EQUAL(r.current_state_timestamp, ver >= 2 ? 0x0a0b : -1);
		CU_ASSERT_EQUAL_FATAL(r.members_cnt, 1);
		const sm_group_member_metadata_t *m = &r.members[0];
		CU_ASSERT_STRING_EQUAL(m->member_id, "m1");
		if (ver >= 3)
			CU_ASSERT_STRING_EQUAL(m->group_instance_id, "i");
		if (ver < 3)
			CU_ASSERT_PTR_NULL(m->group_instance_id);
		CU_ASSERT_STRING_EQUAL(m->client_id, "c");
		CU_ASSERT_STRING_EQUAL(m->client_host, "/h");
		CU_ASSERT_EQUAL(m->rebalance_timeout, ver >= 1 ? 0x100 : -1);
		CU_ASSERT_EQUAL(m->session_timeout, 0x200);
		CU_ASSERT_EQUAL_FATAL(m->subscription.len, 2);
		CU_ASSERT(memcmp(m->subscription.ptr, "\xde\xad", 2) == 0);
		CU_ASSERT_EQUAL_FATAL(m->assignment.len, 1);
		CU_ASSERT_EQUAL(m->assignment.ptr[0], 0xbe);
	}
	/* The default writer uses v3. */
	sm_wbuf_reset(&w);
	sm_group_metadata_value_write(&w, &v);
	size_t n3 = gm_expected(3, exp);
	ck_wbuf(&w, exp, n3);
	sm_wbuf_free(&w);
	sm_arena_destroy(&a);
}

/* An Empty group: null protocol and leader, no members. */
static void test_group_value_empty(void)
{
	static const uint8_t exp[] = { 0, 3, 0, 0, 0, 0, 0, 9, 0xff, 0xff, 0xff, 0xff,
				       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				       0, 0, 0, 0 };
	sm_group_metadata_value_t v, r;
	sm_arena_t a;
	sm_wbuf_t w;
	sm_rbuf_t rb;

	sm_arena_init(&a);
	sm_wbuf_init(&w, 32);
	sm_group_metadata_value_init(&v);
	v.protocol_type = "";
	v.generation = 9;
	sm_group_metadata_value_write(&w, &v);
	ck_wbuf(&w, exp, sizeof(exp));
	sm_rbuf_init(&rb, exp, sizeof(exp));
	CU_ASSERT_EQUAL_FATAL(sm_group_metadata_value_read(&rb, &a, &r), 0);
	CU_ASSERT_STRING_EQUAL(r.protocol_type, "");
	CU_ASSERT_PTR_NULL(r.protocol);
	CU_ASSERT_PTR_NULL(r.leader);
	CU_ASSERT_EQUAL(r.members_cnt, 0);
	ck_strict(rd_gval, exp, sizeof(exp));

	/* Hostile member count. */
	uint8_t bad[sizeof(exp)];
	memcpy(bad, exp, sizeof(exp));
	bad[20] = 0x7f;
	sm_rbuf_init(&rb, bad, sizeof(bad));
	CU_ASSERT_EQUAL(sm_group_metadata_value_read(&rb, &a, &r), -1);
	/* Unknown version. */
	memcpy(bad, exp, sizeof(exp));
	bad[1] = 4;
	sm_rbuf_init(&rb, bad, sizeof(bad));
	CU_ASSERT_EQUAL(sm_group_metadata_value_read(&rb, &a, &r), -1);
	sm_wbuf_free(&w);
	sm_arena_destroy(&a);
}

/* ---- partitioning ---- */

static void test_java_hash(void)
{
	/* "" -> 0 (empty sum). */
	CU_ASSERT_EQUAL(sm_group_java_hash(""), 0);
	/* "a" -> 97, its single code unit. */
	CU_ASSERT_EQUAL(sm_group_java_hash("a"), 97);
	/* "group": g=103 r=114 o=111 u=117 p=112;
	 * 103*31+114 = 3307; 3307*31+111 = 102628; 102628*31+117 = 3181585;
	 * 3181585*31+112 = 98629247. */
	CU_ASSERT_EQUAL(sm_group_java_hash("group"), 98629247);
	/* "ab" -> 97*31+98 = 3105. */
	CU_ASSERT_EQUAL(sm_group_java_hash("ab"), 3105);
	/* "my-group" overflows to a negative int: -1906497762 (Java). */
	CU_ASSERT_EQUAL(sm_group_java_hash("my-group"), -1906497762);
	/* "polygenelubricants" hashes to exactly Integer.MIN_VALUE. */
	CU_ASSERT_EQUAL(sm_group_java_hash("polygenelubricants"), INT32_MIN);
	/* Non-ASCII: U+00E9 is one UTF-16 unit, 233. */
	CU_ASSERT_EQUAL(sm_group_java_hash("\xc3\xa9"), 233);
	/* U+65E5 U+672C: 0x65e5*31 + 0x672c = 26085*31 + 26412 = 835047. */
	CU_ASSERT_EQUAL(sm_group_java_hash("\xe6\x97\xa5\xe6\x9c\xac"), 835047);
	/* U+1F600 is the surrogate pair D83D DE00: 55357*31 + 56832 = 1772899. */
	CU_ASSERT_EQUAL(sm_group_java_hash("\xf0\x9f\x98\x80"), 1772899);
	/* A stray continuation byte decodes as U+FFFD (65533). */
	CU_ASSERT_EQUAL(sm_group_java_hash("\x80"), 65533);
	/* A truncated sequence before an ASCII byte: FFFD then 'a'. */
	CU_ASSERT_EQUAL(sm_group_java_hash("\xc3" "a"), 65533 * 31 + 97);
}

static void test_partition_for(void)
{
	CU_ASSERT_EQUAL(sm_group_partition_for("", 50), 0);
	CU_ASSERT_EQUAL(sm_group_partition_for("a", 50), 47);
	CU_ASSERT_EQUAL(sm_group_partition_for("group", 50), 47);
	/* abs(-1906497762) % 50 = 12. */
	CU_ASSERT_EQUAL(sm_group_partition_for("my-group", 50), 12);
	/* Utils.abs(Integer.MIN_VALUE) is 0, not a negative partition. */
	CU_ASSERT_EQUAL(sm_group_partition_for("polygenelubricants", 50), 0);
	CU_ASSERT_EQUAL(sm_group_partition_for("polygenelubricants", 7), 0);
	CU_ASSERT_EQUAL(sm_group_partition_for("console-consumer-12345", 50), 6);
	CU_ASSERT_EQUAL(sm_group_partition_for("group", 1), 0);
	CU_ASSERT_EQUAL(sm_group_partition_for("my-group", 3), 1906497762 % 3);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("group_records", NULL, NULL);
	CU_add_test(s, "OffsetCommitKey encoding", test_offset_key);
	CU_add_test(s, "GroupMetadataKey encoding", test_metadata_key);
	CU_add_test(s, "key type from version", test_key_type);
	CU_add_test(s, "OffsetCommitValue v0-v3", test_offset_value_versions);
	CU_add_test(s, "GroupMetadataValue v0-v3", test_group_value_versions);
	CU_add_test(s, "GroupMetadataValue of an empty group", test_group_value_empty);
	CU_add_test(s, "Java String.hashCode", test_java_hash);
	CU_add_test(s, "offsets partition for a group", test_partition_for);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
