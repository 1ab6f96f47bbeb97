/*
 * kafka_broker_api_versions.c - kafka-broker-api-versions.sh (Kafka's
 * kafka.admin.BrokerApiVersionsCommand): asks every broker of the cluster
 * for its API versions and prints them in Kafka's NodeApiVersions format,
 * one block per broker:
 *
 *   host:port (id: 0 rack: null) -> (
 *   	Produce(0): 0 to 9 [usable: 9],
 *   	...
 *   )
 *
 * "usable" is the highest version both this tool, as a Kafka 2.8 client,
 * and the broker know; the tool's own versions are the generated Kafka 2.8
 * table (src/protocol/specs), which is also the set of APIs a 2.8 ZooKeeper
 * broker can serve, so APIs in that table the broker does not advertise
 * print as UNSUPPORTED, as Kafka's tool does.
 *
 * Thread-safety: single-threaded program.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg_api_versions.h"
#include "proto_admin.h"
#include "proto_gen.h"
#include "protocol.h"
#include "tool_common.h"

static const sm_proto_version_t *bav_known(int16_t key)
{
	for (int i = 0; i < SM_PROTO_VERSIONS_CNT; i++)
		if (sm_proto_versions[i].key == key)
			return &sm_proto_versions[i];
	return NULL;
}

static int bav_cmp_key(const void *x, const void *y)
{
	const sm_api_versions_resp_api_key_t *a = x, *b = y;
	return a->api_key < b->api_key ? -1 : a->api_key > b->api_key;
}

/* One API line (without separator) as NodeApiVersions.apiVersionToText. */
static void bav_print_api(const sm_api_versions_resp_api_key_t *k)
{
	const sm_proto_version_t *v = bav_known(k->api_key);
	if (v)
		printf("%s(%d): ", v->name, k->api_key);
	else
		printf("UNKNOWN(%d): ", k->api_key);
	if (k->min_version == k->max_version)
		printf("%d", k->min_version);
	else
		printf("%d to %d", k->min_version, k->max_version);
	if (!v)
		return;
	if (v->max_ver < k->min_version)
		printf(" [unusable: node too new]");
	else if (k->max_version < v->min_ver)
		printf(" [unusable: node too old]");
	else
		printf(" [usable: %d]", k->max_version < v->max_ver ? k->max_version : v->max_ver);
}

/* Prints the block of one broker's answer: its APIs and the 2.8 APIs it
 * lacks, by key. */
static void bav_print_versions(const sm_api_versions_resp_t *r)
{
	int n = r->api_keys_cnt > 0 ? r->api_keys_cnt : 0;
	sm_api_versions_resp_api_key_t *keys = sm_calloc((size_t)n + 1, sizeof(*keys));
	if (n)
		memcpy(keys, r->api_keys, sizeof(*keys) * (size_t)n);
	qsort(keys, (size_t)n, sizeof(*keys), bav_cmp_key);
	int first = 1, i = 0, j = 0;
	printf("(\n\t");
	/* Merge the broker's keys with the known table, both sorted by key. */
	while (i < n || j < SM_PROTO_VERSIONS_CNT) {
		int16_t bk = i < n ? keys[i].api_key : INT16_MAX;
		int16_t tk = j < SM_PROTO_VERSIONS_CNT ? sm_proto_versions[j].key : INT16_MAX;
		if (!first)
			printf(",\n\t");
		first = 0;
		if (bk <= tk) {
			bav_print_api(&keys[i]);
			/* A key advertised twice prints once, as Kafka's map does. */
			while (i + 1 < n && keys[i + 1].api_key == bk)
				i++;
			i++;
			if (bk == tk)
				j++;
		} else {
			printf("%s(%d): UNSUPPORTED", sm_proto_versions[j].name, tk);
			j++;
		}
	}
	printf("\n)\n");
	free(keys);
}

/* ApiVersions v0 to one broker; prints its block or the error. */
static int bav_query(const sm_metadata_resp_t *md, const sm_metadata_resp_broker_t *b)
{
	sm_arena_t a;
	sm_arena_init(&a);
	sm_wbuf_t body, resp;
	sm_wbuf_init(&body, 16);
	sm_wbuf_init(&resp, 1024);
	sm_api_versions_req_t req;
	sm_api_versions_req_init(&req);
	sm_api_versions_req_write(&body, 0, &req);
	sm_api_versions_resp_t r;
	char err[512] = "";
	sm_net_client_t *c = sm_pa_broker_client(md, b->node_id);
	if (!c)
		snprintf(err, sizeof(err), "unknown broker %d", (int)b->node_id);
	else if (sm_net_client_request(c, SM_API_API_VERSIONS, 0, &body, 0, &resp, SM_PA_TIMEOUT_MS))
		snprintf(err, sizeof(err), "%s", sm_net_client_last_error(c));
	else {
		sm_rbuf_t rb;
		sm_rbuf_init(&rb, resp.p, resp.len);
		if (sm_api_versions_resp_read(&rb, 0, &a, &r))
			snprintf(err, sizeof(err), "malformed ApiVersions response");
		else if (r.error_code)
			snprintf(err, sizeof(err), "%s", sm_pa_error_message(r.error_code));
	}
	/* Node.toString: host:port (id: N rack: R) */
	printf("%s:%d (id: %d rack: %s) -> ", b->host, (int)b->port, (int)b->node_id,
	       b->rack ? b->rack : "null");
	if (err[0])
		printf("ERROR: %s\n", err);
	else
		bav_print_versions(&r);
	if (c)
		sm_net_client_destroy(c);
	sm_wbuf_free(&body);
	sm_wbuf_free(&resp);
	sm_arena_destroy(&a);
	return err[0] ? -1 : 0;
}

static void bav_usage(FILE *f)
{
	fprintf(f,
		"This tool helps to retrieve broker version information.\n"
		"Option                                   Description\n"
		"------                                   -----------\n"
		"--bootstrap-server <String: server(s)    REQUIRED: The server to connect to.\n"
		"  to use for bootstrapping>\n"
		"--command-config <String: command config A property file containing configs to be\n"
		"  property file>                           passed to Admin Client.\n"
		"--help                                   Print usage information.\n"
		"--version                                Display Kafka version.\n");
}

int main(int argc, char **argv)
{
	const char *bootstrap = NULL, *command_config = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--bootstrap-server") && i + 1 < argc)
			bootstrap = argv[++i];
		else if (!strcmp(argv[i], "--command-config") && i + 1 < argc)
			command_config = argv[++i];
		else if (!strcmp(argv[i], "--help")) {
			bav_usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			printf("2.8.2 (Samsa)\n");
			return 0;
		} else {
			fprintf(stderr, "Unrecognized option '%s'\n", argv[i]);
			bav_usage(stderr);
			return 1;
		}
	}
	if (!bootstrap) {
		fprintf(stderr, "Missing required argument \"[bootstrap-server]\"\n");
		bav_usage(stderr);
		return 1;
	}
	if (command_config) {
		/* Only PLAINTEXT connections exist; refuse settings asking for
		 * more rather than silently ignoring them. */
		sm_tool_props_t props;
		char err[512];
		sm_tool_props_init(&props);
		if (sm_tool_props_load(&props, command_config, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			sm_tool_props_destroy(&props);
			return 1;
		}
		const char *proto = sm_tool_props_get(&props, "security.protocol");
		if (proto && strcasecmp(proto, "PLAINTEXT")) {
			fprintf(stderr, "security.protocol=%s is not supported (PLAINTEXT only)\n", proto);
			sm_tool_props_destroy(&props);
			return 1;
		}
		sm_tool_props_destroy(&props);
	}
	sm_arena_t a;
	sm_arena_init(&a);
	sm_metadata_resp_t md;
	if (sm_pa_metadata(bootstrap, NULL, 0, &a, &md)) {
		sm_arena_destroy(&a);
		return 1;
	}
	int rc = 0;
	for (int32_t i = 0; i < md.brokers_cnt; i++)
		if (bav_query(&md, &md.brokers[i]))
			rc = 1;
	sm_arena_destroy(&a);
	return rc;
}
