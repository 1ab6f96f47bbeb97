/*
 * kafka_log_dirs.c - kafka-log-dirs.sh --describe (Kafka's
 * kafka.admin.LogDirsCommand): asks each broker for its log dirs with
 * DescribeLogDirs and prints them as one line of JSON.
 *
 * Thread-safety: single-threaded program.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg_describe_log_dirs.h"
#include "proto_admin.h"
#include "protocol.h"

typedef struct ld_list {
	char **v;
	int n;
} ld_list_t;

static void ld_split(const char *s, ld_list_t *out)
{
	char *copy = sm_strdup(s ? s : ""), *save = NULL;
	out->v = NULL;
	out->n = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		out->v = sm_realloc(out->v, sizeof(*out->v) * (size_t)(out->n + 1));
		out->v[out->n++] = sm_strdup(t);
	}
	free(copy);
}

static void ld_list_free(ld_list_t *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static int ld_has(const ld_list_t *l, const char *s)
{
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return 1;
	return 0;
}

static json_t *ld_dir_json(const sm_describe_log_dirs_resp_result_t *r, const ld_list_t *topics)
{
	json_t *d = json_object(), *parts = json_array();
	json_object_set_new(d, "logDir", json_string(r->log_dir));
	json_object_set_new(d, "error", r->error_code ? json_string(sm_pa_error_class(r->error_code))
						      : json_null());
	for (int32_t t = 0; t < r->topics_cnt; t++) {
		const sm_describe_log_dirs_resp_topic_t *tp = &r->topics[t];
		if (topics->n && !ld_has(topics, tp->name))
			continue;
		for (int32_t p = 0; p < tp->partitions_cnt; p++) {
			char name[512];
			snprintf(name, sizeof(name), "%s-%d", tp->name,
				 (int)tp->partitions[p].partition_index);
			json_t *e = json_object();
			json_object_set_new(e, "partition", json_string(name));
			json_object_set_new(e, "size", json_integer(tp->partitions[p].partition_size));
			json_object_set_new(e, "offsetLag", json_integer(tp->partitions[p].offset_lag));
			json_object_set_new(e, "isFuture",
					    json_boolean(tp->partitions[p].is_future_key));
			json_array_append_new(parts, e);
		}
	}
	json_object_set_new(d, "partitions", parts);
	return d;
}

/* DescribeLogDirs v1 (all partitions) to one broker; appends its JSON. */
static int ld_query(const sm_metadata_resp_t *md, int32_t id, const ld_list_t *topics,
		    json_t *brokers)
{
	sm_arena_t a;
	sm_arena_init(&a);
	sm_describe_log_dirs_req_t req = { .topics = NULL, .topics_cnt = -1 };
	sm_describe_log_dirs_resp_t r;
	sm_wbuf_t body, resp;
	sm_wbuf_init(&body, 16);
	sm_wbuf_init(&resp, 1024);
	sm_describe_log_dirs_req_write(&body, 1, &req);
	sm_net_client_t *c = sm_pa_broker_client(md, id);
	int rc = c ? sm_net_client_request(c, SM_API_DESCRIBE_LOG_DIRS, 1, &body, 0, &resp,
					   SM_PA_TIMEOUT_MS) : -1;
	if (!rc) {
		sm_rbuf_t rb;
		sm_rbuf_init(&rb, resp.p, resp.len);
		rc = sm_describe_log_dirs_resp_read(&rb, 1, &a, &r);
	}
	if (!rc) {
		json_t *b = json_object(), *dirs = json_array();
		json_object_set_new(b, "broker", json_integer(id));
		for (int32_t i = 0; i < r.results_cnt; i++)
			json_array_append_new(dirs, ld_dir_json(&r.results[i], topics));
		json_object_set_new(b, "logDirs", dirs);
		json_array_append_new(brokers, b);
	} else {
		fprintf(stderr, "Failed to describe the log dirs of broker %d: %s\n", (int)id,
			c ? sm_net_client_last_error(c) : "unknown broker");
	}
	if (c)
		sm_net_client_destroy(c);
	sm_wbuf_free(&body);
	sm_wbuf_free(&resp);
	sm_arena_destroy(&a);
	return rc ? -1 : 0;
}

static int ld_cmp_i32(const void *x, const void *y)
{
	int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
	return a < b ? -1 : a > b;
}

static int ld_describe(const char *bootstrap, const char *broker_list, const char *topic_list)
{
	sm_arena_t a;
	sm_arena_init(&a);
	sm_metadata_resp_t md;
	if (sm_pa_metadata(bootstrap, NULL, 0, &a, &md)) {
		sm_arena_destroy(&a);
		return 1;
	}
	int32_t *ids = sm_calloc((size_t)md.brokers_cnt + 1, sizeof(*ids));
	int nids = 0, rc = 0;
	for (int32_t i = 0; i < md.brokers_cnt; i++)
		ids[i] = md.brokers[i].node_id;
	qsort(ids, (size_t)md.brokers_cnt, sizeof(*ids), ld_cmp_i32);
	ld_list_t want, topics;
	ld_split(broker_list, &want);
	ld_split(topic_list, &topics);
	char missing[1024] = "", all[1024] = "", queried[1024] = "";
	for (int32_t i = 0; i < md.brokers_cnt; i++)
		snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%d", i ? "," : "",
			 (int)ids[i]);
	for (int i = 0; i < want.n; i++) {
		int found = 0;
		for (int32_t k = 0; k < md.brokers_cnt; k++)
			found |= ids[k] == atoi(want.v[i]);
		if (!found)
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
				 missing[0] ? "," : "", want.v[i]);
	}
	if (missing[0]) {
		printf("ERROR: The given brokers do not exist from --broker-list: %s. Current "
		       "existent brokers: %s\n", missing, all);
		rc = 1;
		goto out;
	}
	for (int32_t i = 0; i < md.brokers_cnt; i++) {
		char idtxt[16];
		snprintf(idtxt, sizeof(idtxt), "%d", (int)ids[i]);
		if (want.n && !ld_has(&want, idtxt))
			continue;
		ids[nids++] = ids[i];
		snprintf(queried + strlen(queried), sizeof(queried) - strlen(queried), "%s%s",
			 queried[0] ? "," : "", idtxt);
	}
	printf("Querying brokers for log directories information\n");
	json_t *root = json_object(), *brokers = json_array();
	for (int i = 0; i < nids && !rc; i++)
		rc = ld_query(&md, ids[i], &topics, brokers);
	json_object_set_new(root, "version", json_integer(1));
	json_object_set_new(root, "brokers", brokers);
	if (!rc) {
		printf("Received log directory information from brokers %s\n", queried);
		char *s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
		printf("%s\n", s);
		free(s);
	}
	json_decref(root);
out:
	ld_list_free(&want);
	ld_list_free(&topics);
	free(ids);
	sm_arena_destroy(&a);
	return rc ? 1 : 0;
}

static void ld_usage(FILE *f)
{
	fprintf(f, "This tool helps to query log directory usage on the specified brokers.\n"
		"Option                                  Description\n"
		"------                                  -----------\n"
		"--bootstrap-server <String: The server(s) to use for bootstrapping>  REQUIRED: "
		"the server(s) to use for bootstrapping\n"
		"--broker-list <String: Broker list>     The list of brokers to be queried in the "
		"form \"0,1,2\". All brokers in the cluster will be queried if no broker list is "
		"specified\n"
		"--command-config <String: Admin client property file>  Property file containing "
		"configs to be passed to Admin Client.\n"
		"--describe                              Describe the specified log directories on "
		"the specified brokers.\n"
		"--help                                  Print usage information.\n"
		"--topic-list <String: Topic list>       The list of topics to be queried in the "
		"form \"topic1,topic2,topic3\". All topics will be queried if no topic list is "
		"specified (default: )\n");
}

int main(int argc, char **argv)
{
	const char *bootstrap = NULL, *brokers = NULL, *topics = NULL;
	int describe = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--bootstrap-server") && i + 1 < argc)
			bootstrap = argv[++i];
		else if (!strcmp(argv[i], "--broker-list") && i + 1 < argc)
			brokers = argv[++i];
		else if (!strcmp(argv[i], "--topic-list") && i + 1 < argc)
			topics = argv[++i];
		else if (!strcmp(argv[i], "--command-config") && i + 1 < argc)
			i++; /* no client settings are needed for PLAINTEXT */
		else if (!strcmp(argv[i], "--describe"))
			describe = 1;
		else if (!strcmp(argv[i], "--help")) {
			ld_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "Unrecognized option '%s'\n", argv[i]);
			ld_usage(stderr);
			return 1;
		}
	}
	if (!describe) {
		fprintf(stderr, "Command must include option '--describe'\n");
		ld_usage(stderr);
		return 1;
	}
	if (!bootstrap) {
		fprintf(stderr, "Missing required argument \"[bootstrap-server]\"\n");
		ld_usage(stderr);
		return 1;
	}
	return ld_describe(bootstrap, brokers, topics);
}
