/* test_metrics.c - the metric registry and its Prometheus text: counters
 * add up per topic and in the label-less total, request counts carry API
 * name and version, the total-time histogram is cumulative and ends in
 * +Inf = _count, gauges come from the registered source, the listener
 * string is parsed strictly, and the HTTP endpoint serves /metrics on a real
 * socket (404 elsewhere). */
#include <CUnit/Basic.h>
#include <math.h>
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "metrics.h"
#include "protocol.h"
#include "clock.h"

static char *render(void)
{
	struct evbuffer *b = evbuffer_new();
	sm_metrics_render(b);
	size_t n = evbuffer_get_length(b);
	char *s = malloc(n + 1);
	evbuffer_remove(b, s, n);
	s[n] = 0;
	evbuffer_free(b);
	return s;
}

/* The value of the series line starting with exactly `series ` or -1. */
static long long value_of(const char *text, const char *series)
{
	size_t n = strlen(series);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, series, n) && p[n] == ' ')
			return atoll(p + n + 1);
	return -1;
}

static void test_topic_counters(void)
{
	char *before = render();
	long long all0 = value_of(before, "kafka_server_brokertopicmetrics_messagesin_total");
	free(before);
	CU_ASSERT(all0 >= 0);
	sm_metrics_produce("orders", 10, 1000);
	sm_metrics_produce("orders", 5, 500);
	sm_metrics_produce("audit", 1, 70);
	sm_metrics_fetch_out("orders", 1500);
	sm_metrics_fetch_out("orders", 0);
	sm_metrics_produce_partition("orders", 0);
	sm_metrics_produce_partition("orders", 1);
	char *t = render();
	CU_ASSERT_EQUAL(value_of(t, "kafka_server_brokertopicmetrics_messagesin_total{topic=\"orders\"}"), 15);
	CU_ASSERT_EQUAL(value_of(t, "kafka_server_brokertopicmetrics_bytesin_total{topic=\"orders\"}"), 1500);
	CU_ASSERT_EQUAL(value_of(t, "kafka_server_brokertopicmetrics_messagesin_total{topic=\"audit\"}"), 1);
	CU_ASSERT_EQUAL(value_of(t, "kafka_server_brokertopicmetrics_messagesin_total"), all0 + 16);
	CU_ASSERT_EQUAL(value_of(t, "kafka_server_brokertopicmetrics_bytesout_total{topic=\"orders\"}"), 1500);
	CU_ASSERT_EQUAL(value_of(t, "kafka_server_brokertopicmetrics_totalproducerequests_total{topic=\"orders\"}"), 2);
	CU_ASSERT_EQUAL(value_of(t, "kafka_server_brokertopicmetrics_failedproducerequests_total{topic=\"orders\"}"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "# TYPE kafka_server_brokertopicmetrics_bytesin_total counter\n"));
	/* Failures naming unknown topics add to the total only: a client
	 * cannot grow the table with made-up names. */
	sm_metrics_produce_partition("no-such-topic", 1);
	sm_metrics_fetch_partition("no-such-topic-either", 1);
	free(t);
	t = render();
	CU_ASSERT_PTR_NULL(strstr(t, "no-such-topic"));
	CU_ASSERT(value_of(t, "kafka_server_brokertopicmetrics_failedproducerequests_total") >= 2);
	CU_ASSERT(value_of(t, "kafka_server_brokertopicmetrics_failedfetchrequests_total") >= 1);
	/* audit sorts before orders */
	CU_ASSERT(strstr(t, "messagesin_total{topic=\"audit\"}") < strstr(t, "messagesin_total{topic=\"orders\"}"));
	free(t);
}

static void test_requests_histogram(void)
{
	sm_metrics_request(SM_API_PRODUCE, 8);
	sm_metrics_request(SM_API_PRODUCE, 8);
	sm_metrics_request(SM_API_PRODUCE, 3);
	sm_metrics_request(-1, 0);       /* ignored, not a crash */
	sm_metrics_request(SM_API_PRODUCE, 999);
	sm_metrics_request_done(SM_API_PRODUCE, 0);
	sm_metrics_request_done(SM_API_PRODUCE, 7);
	sm_metrics_request_done(SM_API_PRODUCE, 100000);
	sm_metrics_request_done(9999, 1);
	char *t = render();
	CU_ASSERT_EQUAL(value_of(t, "kafka_network_requestmetrics_requests_total{request=\"Produce\",version=\"8\"}"), 2);
	CU_ASSERT_EQUAL(value_of(t, "kafka_network_requestmetrics_requests_total{request=\"Produce\",version=\"3\"}"), 1);
	const char *h = "kafka_network_requestmetrics_totaltimems";
	char s[256];
	snprintf(s, sizeof(s), "%s_bucket{request=\"Produce\",le=\"1\"}", h);
	CU_ASSERT_EQUAL(value_of(t, s), 1);
	snprintf(s, sizeof(s), "%s_bucket{request=\"Produce\",le=\"10\"}", h);
	CU_ASSERT_EQUAL(value_of(t, s), 2);
	snprintf(s, sizeof(s), "%s_bucket{request=\"Produce\",le=\"30000\"}", h);
	CU_ASSERT_EQUAL(value_of(t, s), 2);
	snprintf(s, sizeof(s), "%s_bucket{request=\"Produce\",le=\"+Inf\"}", h);
	CU_ASSERT_EQUAL(value_of(t, s), 3);
	snprintf(s, sizeof(s), "%s_count{request=\"Produce\"}", h);
	CU_ASSERT_EQUAL(value_of(t, s), 3);
	snprintf(s, sizeof(s), "%s_sum{request=\"Produce\"}", h);
	CU_ASSERT_EQUAL(value_of(t, s), 100007);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "# TYPE kafka_network_requestmetrics_totaltimems histogram\n"));
	free(t);
}

static void gauges(void *opaque, sm_metrics_gauges_t *g)
{
	g->under_replicated = *(int *)opaque;
	g->active_controller = 1;
}

/* The five request phases: one histogram each, per request type, with the
 * total-time buckets; a phase's value lands in its own histogram only. */
static void test_request_phases(void)
{
	static const char *const names[SM_METRICS_PH__COUNT] = {
		"kafka_network_requestmetrics_requestqueuetimems",
		"kafka_network_requestmetrics_localtimems",
		"kafka_network_requestmetrics_remotetimems",
		"kafka_network_requestmetrics_responsequeuetimems",
		"kafka_network_requestmetrics_responsesendtimems",
	};
	int64_t a[SM_METRICS_PH__COUNT] = { 0, 3, 0, 30, 700 };
	int64_t b[SM_METRICS_PH__COUNT] = { 1, 4, 40000, -5, 2 };
	sm_metrics_request_phases(SM_API_SYNC_GROUP, a);
	sm_metrics_request_phases(SM_API_SYNC_GROUP, b);
	sm_metrics_request_phases(-1, a);             /* ignored */
	sm_metrics_request_phases(SM_API__COUNT, a);  /* ignored */
	char *t = render();
	char k[256];
	for (int p = 0; p < SM_METRICS_PH__COUNT; p++) {
		snprintf(k, sizeof(k), "# TYPE %s histogram\n", names[p]);
		CU_ASSERT_PTR_NOT_NULL(strstr(t, k));
		snprintf(k, sizeof(k), "%s_count{request=\"SyncGroup\"}", names[p]);
		CU_ASSERT_EQUAL(value_of(t, k), 2);
		snprintf(k, sizeof(k), "%s_bucket{request=\"SyncGroup\",le=\"+Inf\"}", names[p]);
		CU_ASSERT_EQUAL(value_of(t, k), 2);
		/* nothing else was recorded for another API */
		snprintf(k, sizeof(k), "%s_count{request=\"Heartbeat\"}", names[p]);
		CU_ASSERT_EQUAL(value_of(t, k), -1);
	}
	CU_ASSERT_EQUAL(value_of(t, "kafka_network_requestmetrics_requestqueuetimems_bucket{request=\"SyncGroup\",le=\"1\"}"), 2);
	CU_ASSERT_EQUAL(value_of(t, "kafka_network_requestmetrics_localtimems_bucket{request=\"SyncGroup\",le=\"2\"}"), 0);
	CU_ASSERT_EQUAL(value_of(t, "kafka_network_requestmetrics_localtimems_bucket{request=\"SyncGroup\",le=\"5\"}"), 2);
	CU_ASSERT_EQUAL(value_of(t, "kafka_network_requestmetrics_localtimems_sum{request=\"SyncGroup\"}"), 7);
	/* 40 s is past the last bucket: only +Inf holds it */
	CU_ASSERT_EQUAL(value_of(t, "kafka_network_requestmetrics_remotetimems_bucket{request=\"SyncGroup\",le=\"30000\"}"), 1);
	CU_ASSERT_EQUAL(value_of(t, "kafka_network_requestmetrics_remotetimems_sum{request=\"SyncGroup\"}"), 40000);
	/* a negative time (clock granularity) counts as 0 */
	CU_ASSERT_EQUAL(value_of(t, "kafka_network_requestmetrics_responsequeuetimems_sum{request=\"SyncGroup\"}"), 30);
	CU_ASSERT_EQUAL(value_of(t, "kafka_network_requestmetrics_responsesendtimems_bucket{request=\"SyncGroup\",le=\"500\"}"), 1);
	CU_ASSERT_EQUAL(value_of(t, "kafka_network_requestmetrics_responsesendtimems_bucket{request=\"SyncGroup\",le=\"1000\"}"), 2);
	free(t);
}

/* Idle ratios: absent while no thread of a pool is live; a handler's waits
 * (given as clock values, so the ratio is exact after clamping) make its
 * pool 0 or 1; a network thread's ratio (from its CPU clock) is in 0..1. */
static void test_idle_ratios(void)
{
	const char *h = "kafka_server_kafkarequesthandlerpool_requesthandleravgidlepercent";
	const char *n = "kafka_network_socketserver_networkprocessoravgidlepercent";
	char *t = render();
	CU_ASSERT_PTR_NULL(strstr(t, h));
	CU_ASSERT_PTR_NULL(strstr(t, n));
	free(t);
	sm_metrics_thread_register(SM_METRICS_POOL_HANDLER, 3);
	sm_metrics_thread_register(SM_METRICS_POOL_NETWORK, 0);
	sm_metrics_thread_register(SM_METRICS_POOL_HANDLER, SM_METRICS_IDLE_SLOTS); /* ignored */
	/* busy all along: a wait that took no time */
	int64_t now = sm_clock_mono_ns();
	sm_metrics_handler_wait(3, 1, now);
	sm_metrics_handler_wait(3, 0, now);
	t = render();
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "# TYPE kafka_server_kafkarequesthandlerpool_requesthandleravgidlepercent gauge\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "# TYPE kafka_network_socketserver_networkprocessoravgidlepercent gauge\n"));
	CU_ASSERT_EQUAL(value_of(t, h), 0);
	const char *v = strstr(t, "\nkafka_network_socketserver_networkprocessoravgidlepercent ");
	CU_ASSERT_PTR_NOT_NULL(v);
	if (v) {
		double f = atof(v + strlen(n) + 2);
		CU_ASSERT(f >= 0 && f <= 1);
	}
	free(t);
	/* waiting since long before the previous scrape: idle the whole
	 * interval (a wait in progress counts at once) */
	sm_metrics_handler_wait(3, 1, 1);
	sm_metrics_handler_wait(3, 1, now); /* still the same wait */
	t = render();
	CU_ASSERT_EQUAL(value_of(t, h), 1);
	free(t);
	sm_metrics_thread_unregister(SM_METRICS_POOL_HANDLER, 3);
	sm_metrics_thread_unregister(SM_METRICS_POOL_NETWORK, 0);
	t = render();
	CU_ASSERT_PTR_NULL(strstr(t, h));
	CU_ASSERT_PTR_NULL(strstr(t, n));
	free(t);
}

/* ErrorsPerSec: the tally of the codes a generated response writer wrote,
 * counted per API and error name; codes Samsa does not know count as
 * UNKNOWN_SERVER_ERROR. */
static void test_errors(void)
{
	int16_t codes[] = { 0, 3, 6, 999, -1 };
	uint32_t counts[] = { 5, 2, 1, 1, 1 };
	sm_metrics_request_errors(SM_API_OFFSET_FETCH, codes, counts, 5);
	sm_metrics_request_errors(SM_API_OFFSET_FETCH, codes, counts, 1);
	sm_metrics_request_errors(-1, codes, counts, 5); /* ignored */
	/* the tally a response writer keeps between begin and end */
	sm_proto_err_seen(3); /* not begun: not kept */
	sm_proto_err_tally_begin();
	sm_proto_err_seen(0);
	sm_proto_err_seen(3);
	sm_proto_err_seen(0);
	sm_proto_err_tally_t tt;
	sm_proto_err_tally_end(&tt);
	CU_ASSERT_EQUAL(tt.n, 2);
	sm_metrics_request_errors(SM_API_OFFSET_FETCH, tt.code, tt.count, tt.n);
	sm_proto_err_tally_end(&tt);
	CU_ASSERT_EQUAL(tt.n, 0); /* ended twice: empty */
	char *t = render();
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "# TYPE kafka_network_requestmetrics_errors_total counter\n"));
	CU_ASSERT_EQUAL(value_of(t, "kafka_network_requestmetrics_errors_total{request=\"OffsetFetch\",error=\"NONE\"}"), 12);
	CU_ASSERT_EQUAL(value_of(t, "kafka_network_requestmetrics_errors_total{request=\"OffsetFetch\",error=\"UNKNOWN_TOPIC_OR_PARTITION\"}"), 3);
	CU_ASSERT_EQUAL(value_of(t, "kafka_network_requestmetrics_errors_total{request=\"OffsetFetch\",error=\"NOT_LEADER_OR_FOLLOWER\"}"), 1);
	CU_ASSERT_EQUAL(value_of(t, "kafka_network_requestmetrics_errors_total{request=\"OffsetFetch\",error=\"UNKNOWN_SERVER_ERROR\"}"), 2);
	free(t);
}

static void test_gauges_and_process(void)
{
	int urp = 4;
	sm_metrics_set_gauge_source(gauges, &urp);
	char *t = render();
	CU_ASSERT_EQUAL(value_of(t, "kafka_server_replicamanager_underreplicatedpartitions"), 4);
	CU_ASSERT_EQUAL(value_of(t, "kafka_controller_kafkacontroller_activecontrollercount"), 1);
	CU_ASSERT(value_of(t, "process_resident_memory_bytes") > 0);
	CU_ASSERT(value_of(t, "process_open_fds") > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "process_cpu_seconds_total "));
	free(t);
	sm_metrics_set_gauge_source(NULL, NULL);
	t = render();
	CU_ASSERT_EQUAL(value_of(t, "kafka_server_replicamanager_underreplicatedpartitions"), 0);
	free(t);
}

static void controller_stats(void *opaque, sm_metrics_gauges_t *g)
{
	(void)opaque;
	/* enough logs to grow the array more than once */
	for (int i = 0; i < 200; i++)
		sm_metrics_add_log(g, i == 7 ? "we\"ird" : "orders", i, 1000 + i, i, 10 * i, 1 + i % 3);
	g->preferred_imbalance = 2;
	g->election_count = 3;
	g->election_ms_sum = 17;
	g->unclean_elections = 1;
	g->num_groups = 4;
	g->num_offsets = 9;
	g->groups_by_state[3] = 3; /* Stable */
	g->groups_by_state[4] = 1; /* Dead */
}

/* ISR meters count from zero and move one per call; the controller's
 * stats come through the gauge source. */
static void test_isr_and_controller_stats(void)
{
	char *t = render();
	long long shrinks = value_of(t, "kafka_server_replicamanager_isrshrinks_total");
	long long expands = value_of(t, "kafka_server_replicamanager_isrexpands_total");
	CU_ASSERT(shrinks >= 0 && expands >= 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "# TYPE kafka_server_replicamanager_isrshrinks_total counter\n"));
	CU_ASSERT_EQUAL(value_of(t, "kafka_controller_controllerstats_leaderelectionrateandtimems_count"), 0);
	free(t);
	sm_metrics_isr_change(1);
	sm_metrics_isr_change(1);
	sm_metrics_isr_change(0);
	sm_metrics_set_gauge_source(controller_stats, NULL);
	t = render();
	CU_ASSERT_EQUAL(value_of(t, "kafka_server_replicamanager_isrshrinks_total"), shrinks + 2);
	CU_ASSERT_EQUAL(value_of(t, "kafka_server_replicamanager_isrexpands_total"), expands + 1);
	CU_ASSERT_EQUAL(value_of(t, "kafka_controller_kafkacontroller_preferredreplicaimbalancecount"), 2);
	CU_ASSERT_EQUAL(value_of(t, "kafka_controller_controllerstats_leaderelectionrateandtimems_count"), 3);
	CU_ASSERT_EQUAL(value_of(t, "kafka_controller_controllerstats_leaderelectionrateandtimems_sum"), 17);
	CU_ASSERT_EQUAL(value_of(t, "kafka_controller_controllerstats_uncleanleaderelections_total"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "# TYPE kafka_controller_controllerstats_leaderelectionrateandtimems summary\n"));
	CU_ASSERT_EQUAL(value_of(t, "kafka_log_log_size{topic=\"orders\",partition=\"199\"}"), 1199);
	CU_ASSERT_EQUAL(value_of(t, "kafka_log_log_logstartoffset{topic=\"orders\",partition=\"3\"}"), 3);
	CU_ASSERT_EQUAL(value_of(t, "kafka_log_log_logendoffset{topic=\"orders\",partition=\"4\"}"), 40);
	CU_ASSERT_EQUAL(value_of(t, "kafka_log_log_numlogsegments{topic=\"orders\",partition=\"5\"}"), 3);
	CU_ASSERT_EQUAL(value_of(t, "kafka_log_log_logendoffset{topic=\"we\\\"ird\",partition=\"7\"}"), 70);
	const char *gm = "kafka_coordinator_group_groupmetadatamanager_";
	char n[128];
	snprintf(n, sizeof(n), "%snumgroups", gm);
	CU_ASSERT_EQUAL(value_of(t, n), 4);
	snprintf(n, sizeof(n), "%snumoffsets", gm);
	CU_ASSERT_EQUAL(value_of(t, n), 9);
	snprintf(n, sizeof(n), "%snumgroupsstable", gm);
	CU_ASSERT_EQUAL(value_of(t, n), 3);
	snprintf(n, sizeof(n), "%snumgroupsdead", gm);
	CU_ASSERT_EQUAL(value_of(t, n), 1);
	snprintf(n, sizeof(n), "%snumgroupsempty", gm);
	CU_ASSERT_EQUAL(value_of(t, n), 0);
	/* one TYPE line per family */
	const char *ty = strstr(t, "# TYPE kafka_log_log_size gauge\n");
	CU_ASSERT_PTR_NOT_NULL(ty);
	CU_ASSERT_PTR_NULL(ty ? strstr(ty + 1, "# TYPE kafka_log_log_size gauge\n") : NULL);
	free(t);
	sm_metrics_set_gauge_source(NULL, NULL);
}

static void test_zookeeper(void)
{
	const char *h = "kafka_server_zookeeperclientmetrics_zookeeperrequestlatencyms";
	char s[160];
	char *t = render();
	snprintf(s, sizeof(s), "%s_count", h);
	long long count = value_of(t, s);
	snprintf(s, sizeof(s), "%s_bucket{le=\"2\"}", h);
	long long le2 = value_of(t, s);
	long long exp = value_of(t, "kafka_server_sessionexpirelistener_zookeeperexpires_total");
	long long dis = value_of(t, "kafka_server_sessionexpirelistener_zookeeperdisconnects_total");
	CU_ASSERT(count >= 0 && le2 >= 0 && exp >= 0 && dis >= 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "# TYPE kafka_server_zookeeperclientmetrics_zookeeperrequestlatencyms histogram\n"));
	free(t);
	sm_metrics_zk_request(2);
	sm_metrics_zk_request(-5); /* a clock step: counted as 0 */
	sm_metrics_zk_request(99999);
	sm_metrics_zk_session(1);
	sm_metrics_zk_session(0);
	sm_metrics_zk_session(0);
	t = render();
	snprintf(s, sizeof(s), "%s_count", h);
	CU_ASSERT_EQUAL(value_of(t, s), count + 3);
	snprintf(s, sizeof(s), "%s_bucket{le=\"2\"}", h);
	CU_ASSERT_EQUAL(value_of(t, s), le2 + 2);
	snprintf(s, sizeof(s), "%s_bucket{le=\"+Inf\"}", h);
	CU_ASSERT_EQUAL(value_of(t, s), count + 3);
	CU_ASSERT_EQUAL(value_of(t, "kafka_server_sessionexpirelistener_zookeeperexpires_total"), exp + 1);
	CU_ASSERT_EQUAL(value_of(t, "kafka_server_sessionexpirelistener_zookeeperdisconnects_total"), dis + 2);
	free(t);
}

static void quota_gauges(void *opaque, sm_metrics_gauges_t *g)
{
	(void)opaque;
	static const struct {
		const char *res, *user, *client;
		double v, t, tokens;
	} in[] = {
		{ "Produce", "", "c\"1", 2048, 120, NAN },
		{ "Fetch", "alice", "c2", 10.5, NAN, NAN },
		{ "Request", "bob", "", 3, 7, NAN },
		{ "Produce", "", "", 1, 1, NAN }, /* no tag: matches no quota rule */
		{ "ControllerMutation", "alice", "", 1.5, 250, -2.5 },
		{ "ControllerMutation", "", "c9", 4, NAN, NAN }, /* no quota: no bucket */
	};
	int nin = (int)(sizeof(in) / sizeof(in[0]));
	g->nquotas = nin;
	g->quotas = calloc((size_t)nin, sizeof(*g->quotas));
	for (int i = 0; i < nin; i++) {
		g->quotas[i].resource = in[i].res;
		g->quotas[i].user = strdup(in[i].user);
		g->quotas[i].client = strdup(in[i].client);
		g->quotas[i].value = in[i].v;
		g->quotas[i].throttle_ms = in[i].t;
		g->quotas[i].tokens = in[i].tokens;
	}
}

static void test_quota_series(void)
{
	sm_metrics_set_gauge_source(quota_gauges, NULL);
	char *t = render();
	CU_ASSERT_EQUAL(value_of(t, "kafka_server_quota_byte_rate{resource=\"Produce\",clientId=\"c\\\"1\"}"), 2048);
	CU_ASSERT_EQUAL(value_of(t, "kafka_server_quota_throttle_time{resource=\"Produce\",clientId=\"c\\\"1\"}"), 120);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "kafka_server_quota_byte_rate{resource=\"Fetch\",user=\"alice\",clientId=\"c2\"} 10.5\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "kafka_server_quota_throttle_time{resource=\"Fetch\",user=\"alice\",clientId=\"c2\"} NaN\n"));
	CU_ASSERT_EQUAL(value_of(t, "kafka_server_quota_request_time{resource=\"Request\",user=\"bob\"}"), 3);
	CU_ASSERT_EQUAL(value_of(t, "kafka_server_quota_throttle_time{resource=\"Request\",user=\"bob\"}"), 7);
	/* request time is not a byte rate, and an untagged sensor is left out */
	CU_ASSERT_PTR_NULL(strstr(t, "kafka_server_quota_byte_rate{resource=\"Request\""));
	CU_ASSERT_PTR_NULL(strstr(t, "{resource=\"Produce\"}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "# TYPE kafka_server_quota_throttle_time gauge\n"));
	/* ControllerMutation: mutation-rate, tokens and throttle-time as the
	 * exporter names kafka.server:type=ControllerMutation's attributes */
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "kafka_server_quota_mutation_rate{resource=\"ControllerMutation\",user=\"alice\"} 1.5\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "kafka_server_quota_tokens{resource=\"ControllerMutation\",user=\"alice\"} -2.5\n"));
	CU_ASSERT_EQUAL(value_of(t, "kafka_server_quota_throttle_time{resource=\"ControllerMutation\",user=\"alice\"}"), 250);
	CU_ASSERT_EQUAL(value_of(t, "kafka_server_quota_mutation_rate{resource=\"ControllerMutation\",clientId=\"c9\"}"), 4);
	CU_ASSERT_PTR_NULL(strstr(t, "kafka_server_quota_tokens{resource=\"ControllerMutation\",clientId"));
	CU_ASSERT_PTR_NULL(strstr(t, "kafka_server_quota_byte_rate{resource=\"ControllerMutation\""));
	CU_ASSERT_PTR_NULL(strstr(t, "kafka_server_quota_tokens{resource=\"Produce\""));
	/* one TYPE line per family */
	const char *ty = strstr(t, "# TYPE kafka_server_quota_mutation_rate gauge\n");
	CU_ASSERT_PTR_NOT_NULL(ty);
	CU_ASSERT_PTR_NULL(ty ? strstr(ty + 1, "# TYPE kafka_server_quota_mutation_rate") : NULL);
	free(t);
	sm_metrics_set_gauge_source(NULL, NULL);
	t = render();
	CU_ASSERT_PTR_NULL(strstr(t, "kafka_server_quota_"));
	free(t);
}

static void test_parse_listener(void)
{
	char host[64], err[256];
	int port;
	CU_ASSERT_EQUAL(sm_metrics_parse_listener("http://127.0.0.1:9404", host, sizeof(host), &port, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(host, "127.0.0.1");
	CU_ASSERT_EQUAL(port, 9404);
	CU_ASSERT_EQUAL(sm_metrics_parse_listener("http://:0", host, sizeof(host), &port, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(host, "");
	CU_ASSERT_EQUAL(sm_metrics_parse_listener("http://[::1]:80", host, sizeof(host), &port, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(host, "::1");
	CU_ASSERT_EQUAL(sm_metrics_parse_listener("https://h:1", host, sizeof(host), &port, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(sm_metrics_parse_listener("http://h", host, sizeof(host), &port, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(sm_metrics_parse_listener("http://h:", host, sizeof(host), &port, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(sm_metrics_parse_listener("http://h:70000", host, sizeof(host), &port, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(sm_metrics_parse_listener("http://h:9x", host, sizeof(host), &port, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(sm_metrics_parse_listener(NULL, host, sizeof(host), &port, err, sizeof(err)), -1);
	char longhost[400];
	memset(longhost, 'a', sizeof(longhost));
	memcpy(longhost, "http://", 7);
	strcpy(longhost + 390, ":1");
	CU_ASSERT_EQUAL(sm_metrics_parse_listener(longhost, host, sizeof(host), &port, err, sizeof(err)), -1);
}

/* One HTTP/1.0 exchange; returns the whole answer. */
static char *http_get(int port, const char *request)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return NULL;
	}
	if (write(fd, request, strlen(request)) < 0) {
		close(fd);
		return NULL;
	}
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	ssize_t r;
	while ((r = read(fd, buf + len, cap - 1 - len)) > 0) {
		len += (size_t)r;
		if (len + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = 0;
	close(fd);
	return buf;
}

static void test_http(void)
{
	char err[256];
	CU_ASSERT_PTR_NULL(sm_metrics_http_start("ftp://x:1", err, sizeof(err)));
	sm_metrics_http_t *h = sm_metrics_http_start("http://127.0.0.1:0", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	int port = sm_metrics_http_port(h);
	CU_ASSERT(port > 0);
	char *r = http_get(port, "GET /metrics HTTP/1.0\r\n\r\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT(!strncmp(r, "HTTP/1.0 200", 12) || !strncmp(r, "HTTP/1.1 200", 12));
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "text/plain; version=0.0.4"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "kafka_server_brokertopicmetrics_bytesin_total"));
	free(r);
	r = http_get(port, "GET /other HTTP/1.0\r\n\r\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_PTR_NOT_NULL(strstr(r, " 404 "));
	free(r);
	r = http_get(port, "DELETE /metrics HTTP/1.0\r\n\r\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_PTR_NOT_NULL(strstr(r, " 405 "));
	free(r);
	/* A header section over the limit is refused, the server lives on. */
	size_t big = 20000;
	char *req = malloc(big + 64);
	strcpy(req, "GET /metrics HTTP/1.0\r\nX-A: ");
	size_t off = strlen(req);
	memset(req + off, 'a', big);
	strcpy(req + off + big, "\r\n\r\n");
	r = http_get(port, req);
	free(req);
	CU_ASSERT(r == NULL || strstr(r, " 200 ") == NULL);
	free(r);
	r = http_get(port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_PTR_NOT_NULL(strstr(r, " 200 "));
	free(r);
	/* The port is taken: a second endpoint on it fails with a reason. */
	char l[64];
	snprintf(l, sizeof(l), "http://127.0.0.1:%d", port);
	CU_ASSERT_PTR_NULL(sm_metrics_http_start(l, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot bind"));
	sm_metrics_http_stop(h);
	sm_metrics_http_stop(NULL);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("metrics", NULL, NULL);
	CU_add_test(s, "topic counters", test_topic_counters);
	CU_add_test(s, "requests and histogram", test_requests_histogram);
	CU_add_test(s, "request phases", test_request_phases);
	CU_add_test(s, "idle ratios", test_idle_ratios);
	CU_add_test(s, "errors", test_errors);
	CU_add_test(s, "gauges and process", test_gauges_and_process);
	CU_add_test(s, "isr and controller stats", test_isr_and_controller_stats);
	CU_add_test(s, "zookeeper series", test_zookeeper);
	CU_add_test(s, "client quota series", test_quota_series);
	CU_add_test(s, "parse listener", test_parse_listener);
	CU_add_test(s, "http endpoint", test_http);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned f = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return f ? 1 : 0;
}
