/*
 * kafka_leader_election.c - kafka-leader-election and
 * kafka-preferred-replica-election (Kafka's LeaderElectionCommand and the
 * 2.x PreferredReplicaLeaderElectionCommand): ElectLeaders sent to the
 * controller found through Metadata, or, for the preferred tool with
 * --zookeeper, the /admin/preferred_replica_election znode.
 *
 * Thread-safety: a single-threaded program.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kafka_zk.h"
#include "msg_elect_leaders.h"
#include "msg_metadata.h"
#include "net_client.h"
#include "protocol.h"
#include "zk_client.h"
#include "zk_login.h"

typedef struct sm_le_opts {
	const char *bootstrap, *zookeeper, *topic;
	int partition, all, type, preferred_tool;
} sm_le_opts_t;

static void sm_le_fail(const char *msg)
{
	fprintf(stderr, "%s\n", msg);
	exit(1);
}

static void sm_le_usage(int preferred)
{
	if (preferred)
		printf("This tool helps to causes leadership for each partition to be transferred back to the 'preferred replica',\n"
		       "it can be used to balance leadership among the servers.\n"
		       "Option                                   Description\n"
		       "--bootstrap-server <String: host:port>   A hostname and port for the broker to connect to\n"
		       "--zookeeper <String: urls>               The connection string for the zookeeper connection\n");
	else
		printf("This tool attempts to elect a new leader for a set of topic partitions. The type of elections supported are preferred replicas and unclean replicas.\n"
		       "Option                                  Description\n"
		       "--all-topic-partitions                  Perform election on all of the eligible topic partitions\n"
		       "--bootstrap-server <String: host:port>  A hostname and port for the server to connect to.\n"
		       "--election-type <[PREFERRED,UNCLEAN]>   Type of election to attempt.\n"
		       "--partition <Integer: partition id>     Name of the partition to elect.\n"
		       "--topic <String: topic name>            Name of topic for which to perform an election.\n");
}

/* Host and port of the controller, asked of the bootstrap broker. */
static sm_net_client_t *sm_le_client(const char *hostport)
{
	char host[256];
	const char *end = strchr(hostport, ',');
	const char *colon = NULL;
	for (const char *q = hostport; *q && q != end; q++)
		if (*q == ':')
			colon = q;
	size_t hl = colon ? (size_t)(colon - hostport) : 0;
	if (!colon || hl >= sizeof(host))
		sm_le_fail("--bootstrap-server must be host:port[,host:port...]");
	memcpy(host, hostport, hl);
	host[hl] = 0;
	return sm_net_client_new(host, atoi(colon + 1));
}

static sm_net_client_t *sm_le_controller(const char *bootstrap)
{
	sm_net_client_t *nc = sm_le_client(bootstrap);
	sm_wbuf_t body, resp;
	sm_wbuf_init(&body, 16);
	sm_wbuf_init(&resp, 256);
	sm_metadata_req_t req = { .topics_cnt = 0 };
	sm_metadata_req_write(&body, 1, &req);
	/* Any bootstrap server will do: try them in order. */
	while (sm_net_client_request(nc, SM_API_METADATA, 1, &body, 0, &resp, 30000)) {
		const char *next = strchr(bootstrap, ',');
		if (!next) {
			fprintf(stderr, "Cannot reach %s: %s\n", bootstrap, sm_net_client_last_error(nc));
			exit(1);
		}
		bootstrap = next + 1;
		sm_net_client_destroy(nc);
		nc = sm_le_client(bootstrap);
	}
	sm_arena_t a;
	sm_arena_init(&a);
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, resp.p, resp.len);
	sm_metadata_resp_t md;
	sm_net_client_t *ctl = NULL;
	if (sm_metadata_resp_read(&rb, 1, &a, &md) == 0)
		for (int i = 0; i < md.brokers_cnt; i++)
			if (md.brokers[i].node_id == md.controller_id)
				ctl = sm_net_client_new(md.brokers[i].host, md.brokers[i].port);
	sm_arena_destroy(&a);
	sm_wbuf_free(&body);
	sm_wbuf_free(&resp);
	sm_net_client_destroy(nc);
	if (!ctl)
		sm_le_fail("Cannot find the controller in the cluster metadata");
	return ctl;
}

static void sm_le_print_list(const char *head, sm_elect_leaders_resp_t *r, int want_ok, int16_t code)
{
	int first = 1;
	for (int i = 0; i < r->replica_election_results_cnt; i++)
		for (int j = 0; j < r->replica_election_results[i].partition_result_cnt; j++) {
			int16_t e = r->replica_election_results[i].partition_result[j].error_code;
			if (want_ok ? e != 0 : e != code)
				continue;
			printf("%s%s-%d", first ? head : ", ", r->replica_election_results[i].topic,
			       r->replica_election_results[i].partition_result[j].partition_id);
			first = 0;
		}
	if (!first)
		printf("\n");
}

static int sm_le_bootstrap(const sm_le_opts_t *o)
{
	sm_net_client_t *nc = sm_le_controller(o->bootstrap);
	sm_elect_leaders_req_t req;
	sm_elect_leaders_req_init(&req);
	req.election_type = (int8_t)o->type;
	int32_t part = o->partition;
	sm_elect_leaders_req_topic_partition_t tp = { .topic = (char *)o->topic, .partitions = &part, .partitions_cnt = 1 };
	req.topic_partitions = o->all ? NULL : &tp;
	req.topic_partitions_cnt = o->all ? -1 : 1;
	sm_wbuf_t body, resp;
	sm_wbuf_init(&body, 64);
	sm_wbuf_init(&resp, 256);
	sm_elect_leaders_req_write(&body, 2, &req);
	if (sm_net_client_request(nc, SM_API_ELECT_LEADERS, 2, &body, 1, &resp, 60000)) {
		fprintf(stderr, "ElectLeaders failed: %s\n", sm_net_client_last_error(nc));
		exit(1);
	}
	sm_arena_t a;
	sm_arena_init(&a);
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, resp.p, resp.len);
	sm_elect_leaders_resp_t r;
	if (sm_elect_leaders_resp_read(&rb, 2, &a, &r) || r.error_code)
		sm_le_fail("Bad ElectLeaders response");
	const char *type = o->type ? "UNCLEAN" : "PREFERRED";
	char head[128];
	snprintf(head, sizeof(head), "Successfully completed leader election (%s) for partitions ", type);
	sm_le_print_list(head, &r, 1, 0);
	sm_le_print_list("Valid replica already elected for partitions ", &r, 0, SM_ERR_ELECTION_NOT_NEEDED);
	int failed = 0;
	for (int i = 0; i < r.replica_election_results_cnt; i++)
		for (int j = 0; j < r.replica_election_results[i].partition_result_cnt; j++) {
			const sm_elect_leaders_resp_partition_result_t *p = &r.replica_election_results[i].partition_result[j];
			if (!p->error_code || p->error_code == SM_ERR_ELECTION_NOT_NEEDED)
				continue;
			if (!failed++)
				printf("Error completing leader election (%s) for partitions\n", type);
			printf("%s-%d: %s\n", r.replica_election_results[i].topic, p->partition_id,
			       p->error_message ? p->error_message : sm_err_name(p->error_code));
		}
	sm_arena_destroy(&a);
	sm_wbuf_free(&body);
	sm_wbuf_free(&resp);
	sm_net_client_destroy(nc);
	return failed ? 1 : 0;
}

/* The 2.x tool with --zookeeper: every partition of every topic. */
static int sm_le_zookeeper(const sm_le_opts_t *o)
{
	char err[256];
	sm_zk_t *zk = sm_zk_login_connect(o->zookeeper, -1, err, sizeof(err));
	if (!zk)
		sm_le_fail(err);
	char **topics = NULL;
	int nt = 0;
	if (sm_kzk_get_topics(zk, 0, &topics, &nt))
		sm_le_fail("Cannot list topics in ZooKeeper");
	sm_zk_topic_partition_t *tps = NULL;
	int n = 0;
	for (int i = 0; i < nt; i++) {
		sm_zk_topic_assignment_t ta = { 0 };
		if (sm_kzk_get_topic_assignment(zk, topics[i], 0, &ta, NULL) == SM_ERR_NONE)
			for (int p = 0; p < ta.n_partitions; p++) {
				tps = sm_realloc(tps, sizeof(*tps) * (size_t)(n + 1));
				tps[n++] = (sm_zk_topic_partition_t){ topics[i], ta.partitions[p].partition };
			}
		sm_zk_topic_clear(&ta);
	}
	char *json = sm_zk_isr_change_encode(tps, n);
	sm_err_t e = sm_zk_create(zk, SM_ZKPATH_PREFERRED_ELECTION, json, strlen(json), 0, NULL);
	int rc = 0;
	if (e == SM_ERR__EXISTS) {
		fprintf(stderr, "Preferred replica leader election currently in progress for Set(...). Aborting operation\n");
		rc = 1;
	} else if (e) {
		fprintf(stderr, "Failed to start preferred replica election: %s\n", sm_err_name(e));
		rc = 1;
	} else {
		printf("Created preferred replica election path with %s\n", json);
		printf("Successfully started preferred replica election for partitions Set(");
		for (int i = 0; i < n; i++)
			printf("%s%s-%d", i ? ", " : "", tps[i].topic, tps[i].partition);
		printf(")\n");
	}
	free(json);
	free(tps);
	sm_zk_strings_free(topics, nt);
	sm_zk_destroy(zk);
	return rc;
}

int main(int argc, char **argv)
{
	sm_le_opts_t o = { .partition = -1, .type = -1 };
	static const struct option opts[] = {
		{ "bootstrap-server", required_argument, NULL, 'b' },
		{ "zookeeper", required_argument, NULL, 'z' },
		{ "election-type", required_argument, NULL, 'e' },
		{ "topic", required_argument, NULL, 't' },
		{ "partition", required_argument, NULL, 'p' },
		{ "all-topic-partitions", no_argument, NULL, 'a' },
		{ "preferred-replica-election-tool", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'b': o.bootstrap = optarg; break;
		case 'z': o.zookeeper = optarg; break;
		case 't': o.topic = optarg; break;
		case 'p': o.partition = atoi(optarg); break;
		case 'a': o.all = 1; break;
		case 'P': o.preferred_tool = 1; break;
		case 'e':
			if (!strcasecmp(optarg, "PREFERRED"))
				o.type = 0;
			else if (!strcasecmp(optarg, "UNCLEAN"))
				o.type = 1;
			else
				sm_le_fail("Election type must be PREFERRED or UNCLEAN");
			break;
		case 'h': sm_le_usage(o.preferred_tool); return 0;
		default: sm_le_usage(o.preferred_tool); return 1;
		}
	}
	if (o.preferred_tool) {
		o.type = 0;
		o.all = 1;
		if (!!o.bootstrap == !!o.zookeeper)
			sm_le_fail("Exactly one of '--bootstrap-server' or '--zookeeper' must be specified");
		return o.zookeeper ? sm_le_zookeeper(&o) : sm_le_bootstrap(&o);
	}
	if (!o.bootstrap)
		sm_le_fail("Missing required option(s) [bootstrap-server]");
	if (o.type < 0)
		sm_le_fail("Missing required option(s) [election-type]");
	if (!o.all && (!o.topic || o.partition < 0))
		sm_le_fail("One and only one of the following options is required: all-topic-partitions, topic, path-to-json-file");
	return sm_le_bootstrap(&o);
}
