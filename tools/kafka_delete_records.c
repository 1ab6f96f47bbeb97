/*
 * kafka_delete_records.c - kafka-delete-records.sh (Kafka's
 * kafka.admin.DeleteRecordsCommand): reads {"partitions":[{"topic":..,
 * "partition":..,"offset":..}],"version":1} from --offset-json-file and
 * sends DeleteRecords to each partition's leader; prints the new low
 * watermark (or the error) per partition.
 *
 * Thread-safety: single-threaded program.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg_delete_records.h"
#include "proto_admin.h"
#include "protocol.h"

typedef struct dr_part {
	const char *topic;
	int32_t partition;
	int64_t offset;
	int32_t leader;
	int16_t error;
	int64_t low;
} dr_part_t;

static int dr_parse(json_t *root, dr_part_t **out)
{
	json_t *parts = json_object_get(root, "partitions");
	if (!json_is_array(parts))
		return -1;
	size_t n = json_array_size(parts);
	dr_part_t *v = sm_calloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(parts, i);
		json_t *t = json_object_get(e, "topic"), *p = json_object_get(e, "partition"),
		       *o = json_object_get(e, "offset");
		if (!json_is_string(t) || !json_is_integer(p) || !json_is_integer(o)) {
			free(v);
			return -1;
		}
		v[i].topic = json_string_value(t);
		v[i].partition = (int32_t)json_integer_value(p);
		v[i].offset = json_integer_value(o);
		v[i].leader = -1;
		v[i].error = SM_ERR_UNKNOWN_TOPIC_OR_PARTITION;
		v[i].low = -1;
		for (size_t k = 0; k < i; k++) {
			if (!strcmp(v[k].topic, v[i].topic) && v[k].partition == v[i].partition) {
				fprintf(stderr, "Offset json file contains duplicate topic partitions: "
					"%s-%d\n", v[i].topic, (int)v[i].partition);
				free(v);
				return -2;
			}
		}
	}
	*out = v;
	return (int)n;
}

static void dr_find_leaders(const sm_metadata_resp_t *md, dr_part_t *v, int n)
{
	for (int i = 0; i < n; i++)
		for (int32_t t = 0; t < md->topics_cnt; t++) {
			if (strcmp(md->topics[t].name, v[i].topic))
				continue;
			for (int32_t p = 0; p < md->topics[t].partitions_cnt; p++)
				if (md->topics[t].partitions[p].partition_index == v[i].partition)
					v[i].leader = md->topics[t].partitions[p].leader_id;
		}
}

/* One DeleteRecords v1 to broker id for every partition it leads. */
static void dr_send(const sm_metadata_resp_t *md, int32_t id, dr_part_t *v, int n)
{
	sm_arena_t a;
	sm_arena_init(&a);
	sm_delete_records_req_t req = { .timeout_ms = SM_PA_TIMEOUT_MS };
	req.topics = sm_arena_alloc(&a, sizeof(*req.topics) * (size_t)n);
	for (int i = 0; i < n; i++) {
		if (v[i].leader != id)
			continue;
		sm_delete_records_req_topic_t *t = &req.topics[req.topics_cnt++];
		t->name = (char *)v[i].topic;
		t->partitions = sm_arena_alloc(&a, sizeof(*t->partitions));
		t->partitions_cnt = 1;
		t->partitions[0].partition_index = v[i].partition;
		t->partitions[0].offset = v[i].offset;
	}
	sm_net_client_t *c = sm_pa_broker_client(md, id);
	sm_wbuf_t body, resp;
	sm_wbuf_init(&body, 128);
	sm_wbuf_init(&resp, 256);
	sm_delete_records_req_write(&body, 1, &req);
	sm_delete_records_resp_t r;
	sm_rbuf_t rb;
	int rc = c ? sm_net_client_request(c, SM_API_DELETE_RECORDS, 1, &body, 0, &resp,
					   SM_PA_TIMEOUT_MS) : -1;
	if (!rc) {
		sm_rbuf_init(&rb, resp.p, resp.len);
		rc = sm_delete_records_resp_read(&rb, 1, &a, &r);
	}
	for (int i = 0; i < n; i++) {
		if (v[i].leader != id)
			continue;
		v[i].error = SM_ERR_REQUEST_TIMED_OUT;
		for (int32_t t = 0; !rc && t < r.topics_cnt; t++)
			for (int32_t p = 0; p < r.topics[t].partitions_cnt; p++)
				if (!strcmp(r.topics[t].name, v[i].topic) &&
				    r.topics[t].partitions[p].partition_index == v[i].partition) {
					v[i].error = r.topics[t].partitions[p].error_code;
					v[i].low = r.topics[t].partitions[p].low_watermark;
				}
	}
	sm_wbuf_free(&body);
	sm_wbuf_free(&resp);
	if (c)
		sm_net_client_destroy(c);
	sm_arena_destroy(&a);
}

static void dr_usage(FILE *f)
{
	fprintf(f, "This tool helps to delete records of the given partitions down to the "
		"specified offset.\n"
		"Option                                 Description\n"
		"------                                 -----------\n"
		"--bootstrap-server <String: server(s) to use for bootstrapping>  REQUIRED: The "
		"server to connect to.\n"
		"--command-config <String: command config property file path>  A property file "
		"containing configs to be passed to Admin Client.\n"
		"--help                                 Print usage information.\n"
		"--offset-json-file <String: Offset json file path>  REQUIRED: The JSON file with "
		"offset per partition. The format to use is:\n"
		"                                         {\"partitions\":\n"
		"                                           [{\"topic\": \"foo\", \"partition\": 1, "
		"\"offset\": 1}],\n"
		"                                          \"version\":1\n"
		"                                         }\n");
}

static int dr_run(const char *bootstrap, json_t *root)
{
	dr_part_t *v = NULL;
	int n = dr_parse(root, &v);
	if (n < 0) {
		if (n == -1)
			fprintf(stderr, "Offset json file doesn't contain valid JSON data.\n");
		return 1;
	}
	sm_arena_t a;
	sm_arena_init(&a);
	sm_metadata_resp_t md;
	const char **topics = sm_calloc((size_t)n + 1, sizeof(*topics));
	for (int i = 0; i < n; i++)
		topics[i] = v[i].topic;
	printf("Executing records delete operation\n");
	fflush(stdout);
	int rc = sm_pa_metadata(bootstrap, topics, n, &a, &md);
	if (!rc) {
		dr_find_leaders(&md, v, n);
		for (int i = 0; i < n; i++) {
			int first = v[i].leader >= 0;
			for (int k = 0; k < i && first; k++)
				first = v[k].leader != v[i].leader;
			if (first)
				dr_send(&md, v[i].leader, v, n);
		}
		printf("Records delete operation completed:\n");
		for (int i = 0; i < n; i++) {
			if (v[i].error)
				printf("partition: %s-%d\terror: %s\n", v[i].topic, (int)v[i].partition,
				       sm_pa_error_message(v[i].error));
			else
				printf("partition: %s-%d\tlow_watermark: %" PRId64 "\n", v[i].topic,
				       (int)v[i].partition, v[i].low);
		}
	}
	free(topics);
	free(v);
	sm_arena_destroy(&a);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *bootstrap = NULL, *file = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--bootstrap-server") && i + 1 < argc)
			bootstrap = argv[++i];
		else if (!strcmp(argv[i], "--offset-json-file") && i + 1 < argc)
			file = argv[++i];
		else if (!strcmp(argv[i], "--command-config") && i + 1 < argc)
			i++; /* no client settings are needed for PLAINTEXT */
		else if (!strcmp(argv[i], "--help")) {
			dr_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "Unrecognized option '%s'\n", argv[i]);
			dr_usage(stderr);
			return 1;
		}
	}
	if (!bootstrap || !file) {
		fprintf(stderr, "Missing required argument \"[%s]\"\n",
			!bootstrap ? "bootstrap-server" : "offset-json-file");
		dr_usage(stderr);
		return 1;
	}
	json_error_t jerr;
	json_t *root = json_load_file(file, 0, &jerr);
	if (!root) {
		fprintf(stderr, "Offset json file doesn't contain valid JSON data: %s\n", jerr.text);
		return 1;
	}
	int rc = dr_run(bootstrap, root);
	json_decref(root);
	return rc;
}
