/* test_tool_common.c - console tool helpers: properties, line reader, formatter. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool_common.h"

static void test_props(void)
{
	sm_tool_props_t p;

	sm_tool_props_init(&p);
	CU_ASSERT_EQUAL(sm_tool_props_add_kv(&p, "acks=all"), 0);
	CU_ASSERT_EQUAL(sm_tool_props_add_kv(&p, "x=a=b"), 0);
	CU_ASSERT_EQUAL(sm_tool_props_add_kv(&p, "empty="), 0);
	CU_ASSERT_EQUAL(sm_tool_props_add_kv(&p, "noequals"), -1);
	CU_ASSERT_EQUAL(sm_tool_props_add_kv(&p, "=v"), -1);
	CU_ASSERT_STRING_EQUAL(sm_tool_props_get(&p, "acks"), "all");
	CU_ASSERT_STRING_EQUAL(sm_tool_props_get(&p, "x"), "a=b");
	CU_ASSERT_STRING_EQUAL(sm_tool_props_get(&p, "empty"), "");
	CU_ASSERT_PTR_NULL(sm_tool_props_get(&p, "missing"));
	/* later settings replace earlier ones, in place */
	sm_tool_props_set(&p, "acks", "1");
	CU_ASSERT_STRING_EQUAL(sm_tool_props_get(&p, "acks"), "1");
	CU_ASSERT_EQUAL(p.cnt, 3);
	sm_tool_props_destroy(&p);

	CU_ASSERT_EQUAL(sm_tool_parse_bool("TRUE", 0), 1);
	CU_ASSERT_EQUAL(sm_tool_parse_bool("false", 1), 0);
	CU_ASSERT_EQUAL(sm_tool_parse_bool("yes", 7), 7);
	CU_ASSERT_EQUAL(sm_tool_parse_bool(NULL, 0), 0);
}

static void test_props_file(void)
{
	char path[] = "/tmp/test_tool_common_XXXXXX";
	int fd = mkstemp(path);
	FILE *fp;
	sm_tool_props_t p;
	char err[256];

	CU_ASSERT_FATAL(fd >= 0);
	fp = fdopen(fd, "w");
	fputs("# comment\n! also a comment\n\n  bootstrap.servers = h:1  \n"
	      "acks:all\nlinger.ms 5\nflag\nurl=a=b\n", fp);
	fclose(fp);
	sm_tool_props_init(&p);
	CU_ASSERT_EQUAL(sm_tool_props_load(&p, path, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(sm_tool_props_get(&p, "bootstrap.servers"), "h:1");
	CU_ASSERT_STRING_EQUAL(sm_tool_props_get(&p, "acks"), "all");
	CU_ASSERT_STRING_EQUAL(sm_tool_props_get(&p, "linger.ms"), "5");
	CU_ASSERT_STRING_EQUAL(sm_tool_props_get(&p, "flag"), "");
	CU_ASSERT_STRING_EQUAL(sm_tool_props_get(&p, "url"), "a=b");
	CU_ASSERT_EQUAL(p.cnt, 5);
	unlink(path);
	CU_ASSERT_EQUAL(sm_tool_props_load(&p, path, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
	sm_tool_props_destroy(&p);

	int64_t v;
	CU_ASSERT_EQUAL(sm_tool_parse_i64("-42", &v), 0);
	CU_ASSERT_EQUAL(v, -42);
	CU_ASSERT_EQUAL(sm_tool_parse_i64("12x", &v), -1);
	CU_ASSERT_EQUAL(sm_tool_parse_i64("", &v), -1);
	CU_ASSERT_EQUAL(sm_tool_parse_i64("99999999999999999999", &v), -1);
}

#define LINE(s) (s), strlen(s)

static void test_line_reader_plain_and_key(void)
{
	sm_tool_props_t p;
	sm_tool_line_reader_t lr;
	sm_tool_record_t r;
	char err[256];

	sm_tool_props_init(&p);
	sm_tool_record_init(&r);
	CU_ASSERT_EQUAL(sm_tool_line_reader_init(&lr, &p, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(sm_tool_line_parse(&lr, LINE("a\tb"), 1, &r, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NULL(r.key);
	CU_ASSERT_EQUAL(r.value_len, 3);
	CU_ASSERT_EQUAL(memcmp(r.value, "a\tb", 3), 0);

	sm_tool_props_set(&p, "parse.key", "true");
	sm_tool_props_set(&p, "key.separator", "::");
	CU_ASSERT_EQUAL(sm_tool_line_reader_init(&lr, &p, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(sm_tool_line_parse(&lr, LINE("k1::v::1"), 1, &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.key_len, 2);
	CU_ASSERT_EQUAL(memcmp(r.key, "k1", 2), 0);
	CU_ASSERT_EQUAL(r.value_len, 4);
	CU_ASSERT_EQUAL(memcmp(r.value, "v::1", 4), 0);
	/* empty key and empty value are not null */
	CU_ASSERT_EQUAL(sm_tool_line_parse(&lr, LINE("::"), 2, &r, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(r.key);
	CU_ASSERT_EQUAL(r.key_len, 0);
	CU_ASSERT_PTR_NOT_NULL(r.value);
	CU_ASSERT_EQUAL(r.value_len, 0);
	/* missing separator: Kafka's error, naming the line */
	CU_ASSERT_EQUAL(sm_tool_line_parse(&lr, LINE("novalue"), 7, &r, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "No key separator found on line number 7: 'novalue'");
	/* ... unless ignore.error: whole line is the value, key null */
	sm_tool_props_set(&p, "ignore.error", "true");
	sm_tool_props_set(&p, "null.marker", "<null>");
	CU_ASSERT_EQUAL(sm_tool_line_reader_init(&lr, &p, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(sm_tool_line_parse(&lr, LINE("novalue"), 8, &r, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NULL(r.key);
	CU_ASSERT_EQUAL(r.value_len, 7);
	CU_ASSERT_EQUAL(sm_tool_line_parse(&lr, LINE("<null>::<null>"), 9, &r, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NULL(r.key);
	CU_ASSERT_PTR_NULL(r.value);

	sm_tool_props_set(&p, "key.separator", "");
	CU_ASSERT_EQUAL(sm_tool_line_reader_init(&lr, &p, err, sizeof(err)), -1);
	sm_tool_record_destroy(&r);
	sm_tool_props_destroy(&p);
}

static void test_line_reader_headers(void)
{
	sm_tool_props_t p;
	sm_tool_line_reader_t lr;
	sm_tool_record_t r;
	char err[256];

	sm_tool_props_init(&p);
	sm_tool_record_init(&r);
	sm_tool_props_set(&p, "parse.key", "true");
	sm_tool_props_set(&p, "parse.headers", "true");
	sm_tool_props_set(&p, "null.marker", "NUL");
	CU_ASSERT_EQUAL(sm_tool_line_reader_init(&lr, &p, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(sm_tool_line_parse(&lr, LINE("h1:v1,h2:NUL,h3:\tkey\tval"),
					   1, &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(r.header_cnt, 3);
	CU_ASSERT_EQUAL(r.headers[0].key_len, 2);
	CU_ASSERT_EQUAL(memcmp(r.headers[0].key, "h1", 2), 0);
	CU_ASSERT_EQUAL(r.headers[0].value_len, 2);
	CU_ASSERT_EQUAL(memcmp(r.headers[0].value, "v1", 2), 0);
	CU_ASSERT_PTR_NULL(r.headers[1].value);
	CU_ASSERT_PTR_NOT_NULL(r.headers[2].value);
	CU_ASSERT_EQUAL(r.headers[2].value_len, 0);
	CU_ASSERT_EQUAL(memcmp(r.key, "key", 3), 0);
	CU_ASSERT_EQUAL(r.value_len, 3);
	CU_ASSERT_EQUAL(memcmp(r.value, "val", 3), 0);
	/* a header pair without its key separator */
	CU_ASSERT_EQUAL(sm_tool_line_parse(&lr, LINE("bad\tk\tv"), 2, &r, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "No header key separator found in pair 'bad' on line number 2");
	/* the whole headers part missing */
	CU_ASSERT_EQUAL(sm_tool_line_parse(&lr, LINE("plain"), 3, &r, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "No headers delimiter found on line number 3: 'plain'");
	/* many headers grow the array */
	CU_ASSERT_EQUAL(sm_tool_line_parse(&lr, LINE("a:1,b:2,c:3,d:4,e:5,f:6\tk\tv"),
					   4, &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.header_cnt, 6);
	CU_ASSERT_EQUAL(memcmp(r.headers[5].value, "6", 1), 0);
	sm_tool_record_destroy(&r);
	sm_tool_props_destroy(&p);
}

/* Formats one record into a string (caller frees). */
static char *fmt(const sm_tool_formatter_t *f, const sm_tool_record_t *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	CU_ASSERT_EQUAL(sm_tool_format(f, r, out), 0);
	fclose(out);
	return buf;
}

static void test_formatter(void)
{
	sm_tool_props_t p;
	sm_tool_formatter_t f;
	sm_tool_record_t r;
	char *s;

	sm_tool_props_init(&p);
	sm_tool_record_init(&r);
	r.key = "k";
	r.key_len = 1;
	r.value = "hello";
	r.value_len = 5;
	r.partition = 2;
	r.offset = 42;
	r.ts_type = SM_TOOL_TS_CREATE;
	r.timestamp = 1700000000000LL;

	sm_tool_formatter_init(&f, &p);
	s = fmt(&f, &r);
	CU_ASSERT_STRING_EQUAL(s, "hello\n");
	free(s);

	sm_tool_props_set(&p, "print.key", "true");
	sm_tool_formatter_init(&f, &p);
	s = fmt(&f, &r);
	CU_ASSERT_STRING_EQUAL(s, "k\thello\n");
	free(s);

	sm_tool_props_set(&p, "print.timestamp", "true");
	sm_tool_props_set(&p, "print.partition", "true");
	sm_tool_props_set(&p, "print.offset", "true");
	sm_tool_props_set(&p, "print.headers", "true");
	sm_tool_props_set(&p, "key.separator", "|");
	sm_tool_props_set(&p, "line.separator", ";");
	sm_tool_formatter_init(&f, &p);
	s = fmt(&f, &r);
	CU_ASSERT_STRING_EQUAL(s, "CreateTime:1700000000000|Partition:2|Offset:42|NO_HEADERS|k|hello;");
	free(s);

	sm_tool_record_add_header(&r, "h1", 2, "v1", 2);
	sm_tool_record_add_header(&r, "h2", 2, NULL, 0);
	r.key = NULL;
	r.ts_type = SM_TOOL_TS_LOG_APPEND;
	sm_tool_props_set(&p, "null.literal", "NIL");
	sm_tool_props_set(&p, "print.value", "false");
	sm_tool_formatter_init(&f, &p);
	s = fmt(&f, &r);
	CU_ASSERT_STRING_EQUAL(s, "LogAppendTime:1700000000000|Partition:2|Offset:42|h1:v1,h2:NIL|NIL;");
	free(s);

	r.ts_type = SM_TOOL_TS_NONE;
	sm_tool_props_destroy(&p);
	sm_tool_props_init(&p);
	sm_tool_props_set(&p, "print.timestamp", "true");
	sm_tool_props_set(&p, "print.value", "false");
	sm_tool_formatter_init(&f, &p);
	s = fmt(&f, &r);
	CU_ASSERT_STRING_EQUAL(s, "NO_TIMESTAMP\n");
	free(s);
	sm_tool_record_destroy(&r);
	sm_tool_props_destroy(&p);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("tool_common", NULL, NULL);
	CU_add_test(s, "properties", test_props);
	CU_add_test(s, "properties file and numbers", test_props_file);
	CU_add_test(s, "line reader: plain and keyed", test_line_reader_plain_and_key);
	CU_add_test(s, "line reader: headers", test_line_reader_headers);
	CU_add_test(s, "formatter", test_formatter);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
