/*
 * kafka_consumer_groups.c - kafka-consumer-groups.sh, Samsa's counterpart of
 * Kafka 2.8's kafka.admin.ConsumerGroupCommand: --list [--state],
 * --describe (offsets, --members [--verbose], --state), --reset-offsets,
 * --delete and --delete-offsets, with Kafka's column layouts and messages.
 *
 * It speaks the protocol itself (librdkafka has no group admin calls):
 * Metadata for brokers and leaders, FindCoordinator, ListGroups to every
 * broker, DescribeGroups, OffsetFetch, ListOffsets, OffsetCommit,
 * DeleteGroups and OffsetDelete.
 *
 * Like Kafka's command, runtime failures are printed ("Error: ...") and the
 * exit code stays 0; only usage errors exit 1.
 *
 * Thread-safety: single-threaded program.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "msg_delete_groups.h"
#include "msg_describe_groups.h"
#include "msg_find_coordinator.h"
#include "msg_list_groups.h"
#include "msg_list_offsets.h"
#include "msg_offset_commit.h"
#include "msg_offset_delete.h"
#include "msg_offset_fetch.h"
#include "proto_admin.h"
#include "protocol.h"

#define CG_MISSING "-"
#define CG_NO_OFFSET INT64_MIN

enum cg_action { CG_NONE, CG_LIST, CG_DESCRIBE, CG_DELETE, CG_RESET, CG_DELETE_OFFSETS };
enum cg_scenario {
	CG_TO_NONE, CG_TO_EARLIEST, CG_TO_LATEST, CG_TO_CURRENT, CG_TO_OFFSET,
	CG_TO_DATETIME, CG_SHIFT_BY
};

typedef struct cg_opts {
	const char *bootstrap;
	int action, nactions;
	const char **groups;
	int ngroups;
	int all_groups;
	const char **topics;
	int ntopics;
	int all_topics;
	int members, verbose, offsets, state;
	const char *state_value;
	int timeout_ms;
	int scenario, nscenarios;
	int64_t scenario_arg;
	const char *datetime;
	int dry_run, execute, export_csv;
} cg_opts_t;

typedef struct cg_tp {
	const char *topic;
	int32_t partition;
	int64_t offset; /* committed / new offset, CG_NO_OFFSET if none */
} cg_tp_t;

typedef struct cg_member {
	const char *member_id, *instance_id, *client_id, *host;
	cg_tp_t *tps;
	int ntps;
} cg_member_t;

typedef struct cg_group {
	const char *id;
	int32_t coordinator;
	const char *state, *protocol;
	cg_member_t *members;
	int nmembers;
	cg_tp_t *committed;
	int ncommitted;
} cg_group_t;

typedef struct cg_client {
	int32_t id;
	sm_net_client_t *c;
} cg_client_t;

typedef struct cg {
	cg_opts_t o;
	sm_arena_t a;
	sm_metadata_resp_t md;
	cg_client_t *clients;
	int nclients;
	char err[512]; /* why the last call failed, for Kafka's failure line */
} cg_t;

static void cg_usage(FILE *f)
{
	fprintf(f, "This tool helps to list all consumer groups, describe a consumer group, "
		"delete consumer group info, or reset consumer group offsets.\n"
		"Option                                  Description\n"
		"------                                  -----------\n"
		"--all-groups                            Apply to all consumer groups.\n"
		"--all-topics                            Consider all topics assigned to a group in "
		"the `reset-offsets` process.\n"
		"--bootstrap-server <String: server to   REQUIRED: The server(s) to connect to.\n"
		"  connect to>\n"
		"--command-config <String: command       Property file containing configs to be "
		"passed to Admin Client and Consumer.\n"
		"  config property file>\n"
		"--delete                                Pass in groups to delete topic partition "
		"offsets and ownership information over the entire consumer group.\n"
		"--delete-offsets                        Delete offsets of consumer group. Supports "
		"one consumer group at the time, and multiple topics.\n"
		"--describe                              Describe consumer group and list offset "
		"lag (number of messages not yet processed) related to given group.\n"
		"--dry-run                               Only show results without executing "
		"changes on Consumer Groups. Supported operations: reset-offsets.\n"
		"--execute                               Execute operation. Supported operations: "
		"reset-offsets.\n"
		"--export                                Export operation execution to a CSV file.\n"
		"--group <String: consumer group>        The consumer group we wish to act on.\n"
		"--help                                  Print usage information.\n"
		"--list                                  List all consumer groups.\n"
		"--members                               Describe members of the group.\n"
		"--offsets                               Describe the group and list all topic "
		"partitions in the group along with their offset lag. (default)\n"
		"--reset-offsets                         Reset offsets of consumer group.\n"
		"--shift-by <Long: number-of-offsets>    Reset offsets shifting current offset by "
		"'n', where 'n' can be positive or negative.\n"
		"--state [String]                        When specified with '--describe', includes "
		"the state of the group. When specified with '--list', it displays the state of "
		"all groups. It can also be used to list groups with specific states.\n"
		"--timeout <Long: timeout (ms)>          The timeout that can be set for some use "
		"cases. (default: 5000)\n"
		"--to-current                            Reset offsets to current offset.\n"
		"--to-datetime <String: datetime>        Reset offsets to offset from datetime. "
		"Format: 'YYYY-MM-DDTHH:mm:SS.sss'\n"
		"--to-earliest                           Reset offsets to earliest offset.\n"
		"--to-latest                             Reset offsets to latest offset.\n"
		"--to-offset <Long: offset>              Reset offsets to a specific offset.\n"
		"--topic <String: topic>                 The topic whose consumer group information "
		"should be deleted or topic whose should be included in the reset offset process. "
		"In `reset-offsets` case, partitions can be specified using this format: "
		"`topic1:0,1,2`.\n"
		"--verbose                               Provide additional information, if any, "
		"when describing the group.\n");
}

/* Kafka's CommandLineUtils.printUsageAndDie. */
static void cg_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void cg_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cg_usage(stderr);
	exit(1);
}

/* Kafka's printError: a blank line, then the message, on stdout. */
static void cg_print_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void cg_print_error(const char *fmt, ...)
{
	va_list ap;
	printf("\nError: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void cg_set_err(cg_t *cg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cg_set_err(cg_t *cg, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cg->err, sizeof(cg->err), fmt, ap);
	va_end(ap);
}

static const struct {
	int16_t code;
	const char *cls, *msg;
} cg_errors[] = {
	{ SM_ERR_COORDINATOR_LOAD_IN_PROGRESS, "CoordinatorLoadInProgressException",
	  "The coordinator is loading and hence can't process requests." },
	{ SM_ERR_COORDINATOR_NOT_AVAILABLE, "CoordinatorNotAvailableException",
	  "The coordinator is not available." },
	{ SM_ERR_NOT_COORDINATOR, "NotCoordinatorException", "This is not the correct coordinator." },
	{ SM_ERR_ILLEGAL_GENERATION, "IllegalGenerationException",
	  "Specified group generation id is not valid." },
	{ SM_ERR_INVALID_GROUP_ID, "InvalidGroupIdException", "The configured groupId is invalid." },
	{ SM_ERR_UNKNOWN_MEMBER_ID, "UnknownMemberIdException",
	  "The coordinator is not aware of this member." },
	{ SM_ERR_REBALANCE_IN_PROGRESS, "RebalanceInProgressException",
	  "The group is rebalancing, so a rejoin is needed." },
	{ SM_ERR_GROUP_AUTHORIZATION_FAILED, "GroupAuthorizationException",
	  "Group authorization failed." },
	{ SM_ERR_NON_EMPTY_GROUP, "GroupNotEmptyException", "The group is not empty." },
	{ SM_ERR_GROUP_ID_NOT_FOUND, "GroupIdNotFoundException", "The group id does not exist." },
	{ SM_ERR_GROUP_SUBSCRIBED_TO_TOPIC, "GroupSubscribedToTopicException",
	  "The consumer group is actively subscribed to the topic" },
};

/* "org.apache.kafka.common.errors.X: message", Java's Throwable.toString. */
static const char *cg_exception(int16_t code)
{
	static char buf[512];
	for (size_t i = 0; i < sizeof(cg_errors) / sizeof(cg_errors[0]); i++)
		if (cg_errors[i].code == code) {
			snprintf(buf, sizeof(buf), "org.apache.kafka.common.errors.%s: %s",
				 cg_errors[i].cls, cg_errors[i].msg);
			return buf;
		}
	snprintf(buf, sizeof(buf), "%s: %s", sm_pa_error_class(code), sm_pa_error_message(code));
	return buf;
}

static int cg_retriable(int16_t code)
{
	return code == SM_ERR_COORDINATOR_LOAD_IN_PROGRESS ||
	       code == SM_ERR_COORDINATOR_NOT_AVAILABLE || code == SM_ERR_NOT_COORDINATOR;
}

static int64_t cg_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- plumbing ---- */

static sm_net_client_t *cg_client(cg_t *cg, int32_t id)
{
	for (int i = 0; i < cg->nclients; i++)
		if (cg->clients[i].id == id)
			return cg->clients[i].c;
	sm_net_client_t *c = sm_pa_broker_client(&cg->md, id);
	if (!c)
		return NULL;
	cg->clients = sm_realloc(cg->clients, sizeof(*cg->clients) * (size_t)(cg->nclients + 1));
	cg->clients[cg->nclients].id = id;
	cg->clients[cg->nclients++].c = c;
	return c;
}

/* One request to broker id; returns an arena copy of the response body (so
 * byte fields the codecs point at live as long as the tool), or NULL. */
static const uint8_t *cg_call(cg_t *cg, int32_t id, int16_t key, int16_t ver,
			      const sm_wbuf_t *body, size_t *len)
{
	sm_net_client_t *c = cg_client(cg, id);
	if (!c) {
		cg_set_err(cg, "org.apache.kafka.common.errors.TimeoutException: "
			   "broker %d is not in the cluster metadata", (int)id);
		return NULL;
	}
	sm_wbuf_t resp;
	sm_wbuf_init(&resp, 1024);
	int rc = sm_net_client_request(c, key, ver, body, sm_proto_is_flexible(key, ver), &resp,
				       cg->o.timeout_ms);
	uint8_t *out = NULL;
	if (rc) {
		cg_set_err(cg, "org.apache.kafka.common.errors.TimeoutException: %s",
			   sm_net_client_last_error(c));
		sm_net_client_close(c);
	} else {
		out = sm_arena_alloc(&cg->a, resp.len + 1);
		memcpy(out, resp.p, resp.len);
		*len = resp.len;
	}
	sm_wbuf_free(&resp);
	return out;
}

#define CG_PARSE(cg, fn, ver, p, len, out)                                     \
	({                                                                     \
		sm_rbuf_t rb_;                                                 \
		sm_rbuf_init(&rb_, (p), (len));                                \
		int rc_ = fn(&rb_, (ver), &(cg)->a, (out));                    \
		if (rc_)                                                       \
			cg_set_err((cg), "malformed %s response", #fn);        \
		rc_;                                                           \
	})

static void cg_metadata(cg_t *cg)
{
	if (sm_pa_metadata(cg->o.bootstrap, NULL, 0, &cg->a, &cg->md)) {
		cg_print_error("Executing consumer group command failed due to "
			       "org.apache.kafka.common.errors.TimeoutException: "
			       "Timed out waiting for a node assignment.");
		exit(0);
	}
}

static const sm_metadata_resp_topic_t *cg_topic_md(cg_t *cg, const char *topic)
{
	for (int32_t t = 0; t < cg->md.topics_cnt; t++)
		if (!cg->md.topics[t].error_code && !strcmp(cg->md.topics[t].name, topic))
			return &cg->md.topics[t];
	return NULL;
}

static int32_t cg_leader(cg_t *cg, const char *topic, int32_t partition)
{
	const sm_metadata_resp_topic_t *t = cg_topic_md(cg, topic);
	for (int32_t p = 0; t && p < t->partitions_cnt; p++)
		if (t->partitions[p].partition_index == partition)
			return t->partitions[p].leader_id;
	return -1;
}

/* FindCoordinator v2, retried while the offsets topic is being created or
 * loaded. Returns the coordinator's broker id or -1 (cg->err says why). */
static int32_t cg_find_coordinator(cg_t *cg, const char *group)
{
	int64_t deadline = cg_now_ms() + cg->o.timeout_ms;
	for (int attempt = 0;; attempt++) {
		sm_find_coordinator_req_t req;
		sm_find_coordinator_req_init(&req);
		req.key = (char *)group;
		sm_wbuf_t body;
		sm_wbuf_init(&body, 64);
		sm_find_coordinator_req_write(&body, 2, &req);
		int32_t via = cg->md.brokers[attempt % cg->md.brokers_cnt].node_id;
		size_t len = 0;
		const uint8_t *p = cg_call(cg, via, SM_API_FIND_COORDINATOR, 2, &body, &len);
		sm_wbuf_free(&body);
		sm_find_coordinator_resp_t r;
		if (p && !CG_PARSE(cg, sm_find_coordinator_resp_read, 2, p, len, &r)) {
			if (!r.error_code)
				return r.node_id;
			cg_set_err(cg, "%s", cg_exception(r.error_code));
			if (!cg_retriable(r.error_code))
				return -1;
		}
		if (cg_now_ms() >= deadline)
			return -1;
		usleep(100 * 1000);
	}
}

/* ---- fetching group state ---- */

/* ConsumerProtocolAssignment: int16 version, [topic, [int32 partition]],
 * user_data. An empty blob (member not yet synced) is no partitions. */
static int cg_decode_assignment(cg_t *cg, sm_bytes_t b, cg_member_t *m)
{
	m->ntps = 0;
	if (b.len <= 0)
		return 0;
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, b.ptr, (size_t)b.len);
	m->tps = sm_arena_alloc(&cg->a, sizeof(*m->tps) * ((size_t)b.len / 4 + 1));
	int16_t ver = sm_rbuf_i16(&rb);
	int32_t nt = sm_rbuf_array(&rb, 0, 6);
	for (int32_t t = 0; t < nt && !rb.err; t++) {
		char *topic = sm_rbuf_str(&rb, 0, &cg->a);
		int32_t np = sm_rbuf_array(&rb, 0, 4);
		for (int32_t i = 0; i < np && !rb.err; i++) {
			cg_tp_t *tp = &m->tps[m->ntps++];
			tp->topic = topic ? topic : "";
			tp->partition = sm_rbuf_i32(&rb);
			tp->offset = CG_NO_OFFSET;
		}
	}
	if (rb.err || ver < 0) {
		m->ntps = 0;
		return -1;
	}
	return 0;
}

/* DescribeGroups v4 at the coordinator: state, protocol and members. */
static int cg_describe(cg_t *cg, cg_group_t *g)
{
	int64_t deadline = cg_now_ms() + cg->o.timeout_ms;
	for (;;) {
		g->coordinator = cg_find_coordinator(cg, g->id);
		if (g->coordinator < 0)
			return -1;
		sm_describe_groups_req_t req;
		sm_describe_groups_req_init(&req);
		char *ids[1] = { (char *)g->id };
		req.groups = ids;
		req.groups_cnt = 1;
		sm_wbuf_t body;
		sm_wbuf_init(&body, 64);
		sm_describe_groups_req_write(&body, 4, &req);
		size_t len = 0;
		const uint8_t *p = cg_call(cg, g->coordinator, SM_API_DESCRIBE_GROUPS, 4, &body, &len);
		sm_wbuf_free(&body);
		sm_describe_groups_resp_t r;
		if (!p || CG_PARSE(cg, sm_describe_groups_resp_read, 4, p, len, &r))
			return -1;
		if (r.groups_cnt != 1) {
			cg_set_err(cg, "DescribeGroups answered %d groups", (int)r.groups_cnt);
			return -1;
		}
		const sm_describe_groups_resp_group_t *d = &r.groups[0];
		if (!d->error_code) {
			g->state = d->group_state ? d->group_state : "Unknown";
			g->protocol = d->protocol_data ? d->protocol_data : "";
			g->nmembers = d->members_cnt;
			g->members = sm_arena_alloc(&cg->a, sizeof(*g->members) *
							    (size_t)(d->members_cnt + 1));
			for (int32_t i = 0; i < d->members_cnt; i++) {
				cg_member_t *m = &g->members[i];
				m->member_id = d->members[i].member_id;
				m->instance_id = d->members[i].group_instance_id;
				m->client_id = d->members[i].client_id;
				m->host = d->members[i].client_host;
				cg_decode_assignment(cg, d->members[i].member_assignment, m);
			}
			return 0;
		}
		cg_set_err(cg, "%s", cg_exception(d->error_code));
		if (!cg_retriable(d->error_code) || cg_now_ms() >= deadline)
			return -1;
		usleep(100 * 1000);
	}
}

/* OffsetFetch v5 for every partition the group has committed. */
static int cg_fetch_offsets(cg_t *cg, cg_group_t *g)
{
	sm_offset_fetch_req_t req;
	sm_offset_fetch_req_init(&req);
	req.group_id = (char *)g->id;
	req.topics_cnt = -1;
	sm_wbuf_t body;
	sm_wbuf_init(&body, 64);
	sm_offset_fetch_req_write(&body, 5, &req);
	size_t len = 0;
	const uint8_t *p = cg_call(cg, g->coordinator, SM_API_OFFSET_FETCH, 5, &body, &len);
	sm_wbuf_free(&body);
	sm_offset_fetch_resp_t r;
	if (!p || CG_PARSE(cg, sm_offset_fetch_resp_read, 5, p, len, &r))
		return -1;
	if (r.error_code) {
		cg_set_err(cg, "%s", cg_exception(r.error_code));
		return -1;
	}
	size_t n = 0;
	for (int32_t t = 0; t < r.topics_cnt; t++)
		n += (size_t)r.topics[t].partitions_cnt;
	g->committed = sm_arena_alloc(&cg->a, sizeof(*g->committed) * (n + 1));
	g->ncommitted = 0;
	for (int32_t t = 0; t < r.topics_cnt; t++)
		for (int32_t i = 0; i < r.topics[t].partitions_cnt; i++) {
			const sm_offset_fetch_resp_partition_t *pp = &r.topics[t].partitions[i];
			if (pp->error_code || pp->committed_offset < 0)
				continue;
			cg_tp_t *tp = &g->committed[g->ncommitted++];
			tp->topic = r.topics[t].name;
			tp->partition = pp->partition_index;
			tp->offset = pp->committed_offset;
		}
	return 0;
}

static int64_t cg_committed(const cg_group_t *g, const char *topic, int32_t partition)
{
	for (int i = 0; i < g->ncommitted; i++)
		if (g->committed[i].partition == partition && !strcmp(g->committed[i].topic, topic))
			return g->committed[i].offset;
	return CG_NO_OFFSET;
}

/* ListOffsets v1 (timestamp -1 latest, -2 earliest, else a time) for every
 * tp, one request per leader; out[i] is CG_NO_OFFSET where it failed. */
static void cg_list_offsets(cg_t *cg, const cg_tp_t *tps, int n, int64_t ts, int64_t *out)
{
	for (int i = 0; i < n; i++)
		out[i] = CG_NO_OFFSET;
	for (int i = 0; i < n; i++) {
		int32_t leader = cg_leader(cg, tps[i].topic, tps[i].partition);
		int first = leader >= 0;
		for (int k = 0; k < i && first; k++)
			first = cg_leader(cg, tps[k].topic, tps[k].partition) != leader;
		if (!first)
			continue;
		sm_list_offsets_req_t req = { .replica_id = -1 };
		req.topics = sm_arena_alloc(&cg->a, sizeof(*req.topics) * (size_t)n);
		for (int k = i; k < n; k++) {
			if (cg_leader(cg, tps[k].topic, tps[k].partition) != leader)
				continue;
			sm_list_offsets_req_topic_t *t = &req.topics[req.topics_cnt++];
			t->name = (char *)tps[k].topic;
			t->partitions = sm_arena_alloc(&cg->a, sizeof(*t->partitions));
			t->partitions_cnt = 1;
			t->partitions[0].partition_index = tps[k].partition;
			t->partitions[0].current_leader_epoch = -1;
			t->partitions[0].timestamp = ts;
			t->partitions[0].max_num_offsets = 1;
		}
		sm_wbuf_t body;
		sm_wbuf_init(&body, 128);
		sm_list_offsets_req_write(&body, 1, &req);
		size_t len = 0;
		const uint8_t *p = cg_call(cg, leader, SM_API_LIST_OFFSETS, 1, &body, &len);
		sm_wbuf_free(&body);
		sm_list_offsets_resp_t r;
		if (!p || CG_PARSE(cg, sm_list_offsets_resp_read, 1, p, len, &r))
			continue;
		for (int32_t t = 0; t < r.topics_cnt; t++)
			for (int32_t q = 0; q < r.topics[t].partitions_cnt; q++) {
				const sm_list_offsets_resp_partition_t *pp = &r.topics[t].partitions[q];
				for (int k = i; k < n && !pp->error_code; k++)
					if (tps[k].partition == pp->partition_index &&
					    !strcmp(tps[k].topic, r.topics[t].name))
						out[k] = pp->offset;
			}
	}
}

/* ListGroups v4 to every broker; consumer groups only (protocol type
 * "consumer" or none), as Kafka's admin client filters them. */
static int cg_list_groups(cg_t *cg, char **states, int nstates, cg_group_t **out)
{
	int n = 0, cap = 16;
	cg_group_t *v = sm_calloc((size_t)cap, sizeof(*v));
	for (int32_t b = 0; b < cg->md.brokers_cnt; b++) {
		sm_list_groups_req_t req = { .states_filter = states, .states_filter_cnt = nstates };
		sm_wbuf_t body;
		sm_wbuf_init(&body, 64);
		sm_list_groups_req_write(&body, 4, &req);
		size_t len = 0;
		const uint8_t *p = cg_call(cg, cg->md.brokers[b].node_id, SM_API_LIST_GROUPS, 4,
					   &body, &len);
		sm_wbuf_free(&body);
		sm_list_groups_resp_t r;
		if (!p || CG_PARSE(cg, sm_list_groups_resp_read, 4, p, len, &r)) {
			free(v);
			return -1;
		}
		for (int32_t i = 0; i < r.groups_cnt; i++) {
			const char *pt = r.groups[i].protocol_type;
			if (pt && *pt && strcmp(pt, "consumer"))
				continue;
			if (n == cap) {
				cap *= 2;
				v = sm_realloc(v, sizeof(*v) * (size_t)cap);
			}
			memset(&v[n], 0, sizeof(v[n]));
			v[n].id = r.groups[i].group_id;
			v[n++].state = r.groups[i].group_state;
		}
	}
	*out = v;
	return n;
}

static int cg_group_cmp(const void *x, const void *y)
{
	return strcmp(((const cg_group_t *)x)->id, ((const cg_group_t *)y)->id);
}

static int cg_tp_cmp_partition(const void *x, const void *y)
{
	const cg_tp_t *a = x, *b = y;
	if (a->partition != b->partition)
		return a->partition < b->partition ? -1 : 1;
	return strcmp(a->topic, b->topic);
}

static int cg_tp_cmp_topic(const void *x, const void *y)
{
	const cg_tp_t *a = x, *b = y;
	int c = strcmp(a->topic, b->topic);
	if (c)
		return c;
	return a->partition < b->partition ? -1 : a->partition > b->partition;
}

/* The groups named by --group, or every consumer group for --all-groups,
 * sorted by id (Kafka prints from a TreeMap). */
static int cg_selected_groups(cg_t *cg, cg_group_t **out)
{
	int n;
	if (cg->o.all_groups) {
		n = cg_list_groups(cg, NULL, 0, out);
		if (n < 0)
			return -1;
	} else {
		n = cg->o.ngroups;
		*out = sm_calloc((size_t)n + 1, sizeof(**out));
		for (int i = 0; i < n; i++)
			(*out)[i].id = cg->o.groups[i];
	}
	qsort(*out, (size_t)n, sizeof(**out), cg_group_cmp);
	for (int i = 1; i < n; i++)
		if (!strcmp((*out)[i].id, (*out)[i - 1].id)) {
			memmove(&(*out)[i], &(*out)[i + 1], sizeof(**out) * (size_t)(n - i - 1));
			n--;
			i--;
		}
	return n;
}

/* ---- --list ---- */

static int cg_parse_states(cg_t *cg, char ***out)
{
	static const char *const known[] = { "PreparingRebalance", "CompletingRebalance",
					     "Stable", "Dead", "Empty" };
	const char *v = cg->o.state_value;
	if (!v || !*v)
		return 0;
	char *copy = sm_arena_strndup(&cg->a, v, strlen(v)), *save = NULL;
	char **states = sm_arena_alloc(&cg->a, sizeof(*states) * (strlen(v) + 1));
	int n = 0;
	for (char *s = strtok_r(copy, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*s))
			s++;
		size_t l = strlen(s);
		while (l && isspace((unsigned char)s[l - 1]))
			s[--l] = '\0';
		size_t k = 0;
		while (k < sizeof(known) / sizeof(known[0]) && strcasecmp(known[k], s))
			k++;
		if (k == sizeof(known) / sizeof(known[0]))
			cg_die("Executing consumer group command failed due to Unknown consumer "
			       "group state: %s", s);
		states[n++] = (char *)known[k];
	}
	*out = states;
	return n;
}

static void cg_cmd_list(cg_t *cg)
{
	char **states = NULL;
	int nstates = cg->o.state ? cg_parse_states(cg, &states) : 0;
	cg_group_t *v = NULL;
	int n = cg_list_groups(cg, states, nstates, &v);
	if (n < 0) {
		cg_print_error("Executing consumer group command failed due to %s", cg->err);
		return;
	}
	qsort(v, (size_t)n, sizeof(*v), cg_group_cmp);
	if (!cg->o.state) {
		for (int i = 0; i < n; i++)
			printf("%s\n", v[i].id);
	} else {
		int w = 15;
		for (int i = 0; i < n; i++)
			if ((int)strlen(v[i].id) > w)
				w = (int)strlen(v[i].id);
		printf("%-*s %s\n", w, "GROUP", "STATE");
		for (int i = 0; i < n; i++)
			printf("%-*s %s\n", w, v[i].id, v[i].state ? v[i].state : "");
	}
	free(v);
}

/* ---- --describe ---- */

/* Kafka's shouldPrintMemberState: the per-state notes, and whether a table
 * follows. */
static int cg_should_print(const cg_group_t *g, int nrows)
{
	if (!strcmp(g->state, "Dead")) {
		cg_print_error("Consumer group '%s' does not exist.", g->id);
		return 0;
	}
	if (!strcmp(g->state, "Empty"))
		fprintf(stderr, "\nConsumer group '%s' has no active members.\n", g->id);
	else if (!strcmp(g->state, "PreparingRebalance") ||
		 !strcmp(g->state, "CompletingRebalance"))
		fprintf(stderr, "\nWarning: Consumer group '%s' is rebalancing.\n", g->id);
	return nrows > 0;
}

typedef struct cg_row {
	cg_tp_t tp;
	int64_t leo;
	const char *consumer, *host, *client;
} cg_row_t;

static int cg_collect_rows(cg_t *cg, const cg_group_t *g, cg_row_t **out)
{
	int cap = g->ncommitted + 1, n = 0;
	int *order = sm_calloc((size_t)g->nmembers + 1, sizeof(*order));
	for (int i = 0; i < g->nmembers; i++) {
		cap += g->members[i].ntps;
		/* stable: members with more partitions first, as Kafka sorts */
		int j = i;
		while (j > 0 && g->members[order[j - 1]].ntps < g->members[i].ntps) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	cg_row_t *rows = sm_arena_alloc(&cg->a, sizeof(*rows) * (size_t)cap);
	for (int k = 0; k < g->nmembers; k++) {
		const cg_member_t *m = &g->members[order[k]];
		if (!m->ntps)
			continue;
		int base = n;
		for (int i = 0; i < m->ntps; i++) {
			cg_row_t *r = &rows[n++];
			r->tp = m->tps[i];
			r->tp.offset = cg_committed(g, m->tps[i].topic, m->tps[i].partition);
			r->consumer = m->member_id;
			r->host = m->host;
			r->client = m->client_id;
		}
		qsort(&rows[base], (size_t)(n - base), sizeof(*rows), cg_tp_cmp_partition);
	}
	int assigned = n;
	for (int i = 0; i < g->ncommitted; i++) {
		int found = 0;
		for (int k = 0; k < assigned && !found; k++)
			found = rows[k].tp.partition == g->committed[i].partition &&
				!strcmp(rows[k].tp.topic, g->committed[i].topic);
		if (found)
			continue;
		cg_row_t *r = &rows[n++];
		r->tp = g->committed[i];
		r->consumer = r->host = r->client = CG_MISSING;
	}
	qsort(&rows[assigned], (size_t)(n - assigned), sizeof(*rows), cg_tp_cmp_partition);
	free(order);
	*out = rows;
	return n;
}

static void cg_fill_leo(cg_t *cg, cg_row_t *rows, int n)
{
	cg_tp_t *tps = sm_arena_alloc(&cg->a, sizeof(*tps) * (size_t)(n + 1));
	int64_t *leo = sm_arena_alloc(&cg->a, sizeof(*leo) * (size_t)(n + 1));
	for (int i = 0; i < n; i++)
		tps[i] = rows[i].tp;
	cg_list_offsets(cg, tps, n, -1, leo);
	for (int i = 0; i < n; i++)
		rows[i].leo = leo[i];
}

static const char *cg_num(char *buf, size_t size, int64_t v)
{
	if (v == CG_NO_OFFSET)
		return CG_MISSING;
	snprintf(buf, size, "%" PRId64, v);
	return buf;
}

static int cg_maxw(int w, const char *s)
{
	int l = (int)strlen(s ? s : CG_MISSING);
	return l > w ? l : w;
}

static void cg_print_offsets(const cg_group_t *g, const cg_row_t *rows, int n)
{
	int wg = cg_maxw(15, g->id), wt = 15, wc = 15, wh = 15;
	for (int i = 0; i < n; i++) {
		wt = cg_maxw(wt, rows[i].tp.topic);
		wc = cg_maxw(wc, rows[i].consumer);
		wh = cg_maxw(wh, rows[i].host);
	}
	printf("\n%-*s %-*s %-10s %-15s %-15s %-15s %-*s %-*s %s\n", wg, "GROUP", wt, "TOPIC",
	       "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", wc, "CONSUMER-ID", wh,
	       "HOST", "CLIENT-ID");
	for (int i = 0; i < n; i++) {
		const cg_row_t *r = &rows[i];
		char b1[24], b2[24], b3[24];
		int64_t lag = CG_NO_OFFSET;
		if (r->tp.offset != CG_NO_OFFSET && r->leo != CG_NO_OFFSET)
			lag = r->leo - r->tp.offset;
		printf("%-*s %-*s %-10d %-15s %-15s %-15s %-*s %-*s %s\n", wg, g->id, wt,
		       r->tp.topic, (int)r->tp.partition, cg_num(b1, sizeof(b1), r->tp.offset),
		       cg_num(b2, sizeof(b2), r->leo), cg_num(b3, sizeof(b3), lag), wc,
		       r->consumer ? r->consumer : CG_MISSING, wh, r->host ? r->host : CG_MISSING,
		       r->client ? r->client : CG_MISSING);
	}
}

/* "t(0,1), u(2)": topics sorted, partitions sorted within each. */
static void cg_print_assignment(const cg_member_t *m)
{
	if (!m->ntps) {
		printf("%s", CG_MISSING);
		return;
	}
	cg_tp_t *v = sm_calloc((size_t)m->ntps, sizeof(*v));
	memcpy(v, m->tps, sizeof(*v) * (size_t)m->ntps);
	qsort(v, (size_t)m->ntps, sizeof(*v), cg_tp_cmp_topic);
	for (int i = 0; i < m->ntps; i++) {
		int first = !i || strcmp(v[i - 1].topic, v[i].topic);
		int last = i == m->ntps - 1 || strcmp(v[i + 1].topic, v[i].topic);
		printf("%s%s%s%d%s", first && i ? ", " : "", first ? v[i].topic : "",
		       first ? "(" : ",", (int)v[i].partition, last ? ")" : "");
	}
	free(v);
}

static void cg_print_members(const cg_group_t *g, int verbose)
{
	int wg = cg_maxw(15, g->id), wc = 15, wi = 17, wh = 15, wl = 15, inst = 0;
	for (int i = 0; i < g->nmembers; i++) {
		const cg_member_t *m = &g->members[i];
		wc = cg_maxw(wc, m->member_id);
		wi = cg_maxw(wi, m->instance_id ? m->instance_id : "");
		wh = cg_maxw(wh, m->host);
		wl = cg_maxw(wl, m->client_id);
		inst |= m->instance_id && *m->instance_id;
	}
	if (inst)
		printf("\n%-*s %-*s %-*s %-*s %-*s %-15s ", wg, "GROUP", wc, "CONSUMER-ID", wi,
		       "GROUP-INSTANCE-ID", wh, "HOST", wl, "CLIENT-ID", "#PARTITIONS");
	else
		printf("\n%-*s %-*s %-*s %-*s %-15s ", wg, "GROUP", wc, "CONSUMER-ID", wh, "HOST",
		       wl, "CLIENT-ID", "#PARTITIONS");
	printf("%s\n", verbose ? "ASSIGNMENT" : "");
	for (int i = 0; i < g->nmembers; i++) {
		const cg_member_t *m = &g->members[i];
		if (inst)
			printf("%-*s %-*s %-*s %-*s %-*s %-15d ", wg, g->id, wc, m->member_id, wi,
			       m->instance_id ? m->instance_id : "", wh, m->host, wl, m->client_id,
			       m->ntps);
		else
			printf("%-*s %-*s %-*s %-*s %-15d ", wg, g->id, wc, m->member_id, wh, m->host,
			       wl, m->client_id, m->ntps);
		if (verbose)
			cg_print_assignment(m);
		putchar('\n');
	}
}

static void cg_print_state(cg_t *cg, const cg_group_t *g)
{
	char coord[300];
	const char *host = "";
	int32_t port = -1;
	for (int32_t b = 0; b < cg->md.brokers_cnt; b++)
		if (cg->md.brokers[b].node_id == g->coordinator) {
			host = cg->md.brokers[b].host;
			port = cg->md.brokers[b].port;
		}
	snprintf(coord, sizeof(coord), "%s:%d (%d)", host, (int)port, (int)g->coordinator);
	/* Kafka 2.8 sizes the GROUP column by the coordinator's text (at least
	 * 25) and gives the coordinator a fixed 25. */
	int wg = cg_maxw(25, coord);
	printf("\n%-*s %-25s %-20s %-15s %s\n", wg, "GROUP", "COORDINATOR (ID)",
	       "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS");
	printf("%-*s %-25s %-20s %-15s %d\n", wg, g->id, coord, g->protocol, g->state,
	       g->nmembers);
}

static void cg_describe_one(cg_t *cg, cg_group_t *g)
{
	if (cg_describe(cg, g) || (!cg->o.members && !cg->o.state && cg_fetch_offsets(cg, g))) {
		cg_print_error("Executing consumer group command failed due to %s", cg->err);
		return;
	}
	if (cg->o.state) {
		if (cg_should_print(g, 1))
			cg_print_state(cg, g);
	} else if (cg->o.members) {
		if (cg_should_print(g, g->nmembers))
			cg_print_members(g, cg->o.verbose);
	} else {
		cg_row_t *rows = NULL;
		int n = cg_collect_rows(cg, g, &rows);
		if (cg_should_print(g, n)) {
			cg_fill_leo(cg, rows, n);
			cg_print_offsets(g, rows, n);
		}
	}
}

static void cg_cmd_describe(cg_t *cg)
{
	cg_group_t *v = NULL;
	int n = cg_selected_groups(cg, &v);
	if (n < 0)
		cg_print_error("Executing consumer group command failed due to %s", cg->err);
	for (int i = 0; i < n; i++)
		cg_describe_one(cg, &v[i]);
	free(v);
}

/* ---- --delete ---- */

static void cg_cmd_delete(cg_t *cg)
{
	cg_group_t *v = NULL;
	int n = cg_selected_groups(cg, &v);
	if (n < 0) {
		cg_print_error("Executing consumer group command failed due to %s", cg->err);
		return;
	}
	const char **why = sm_calloc((size_t)n + 1, sizeof(*why));
	int failed = 0;
	for (int i = 0; i < n; i++) {
		int32_t coord = cg_find_coordinator(cg, v[i].id);
		sm_delete_groups_resp_t r;
		const uint8_t *p = NULL;
		size_t len = 0;
		if (coord >= 0) {
			char *ids[1] = { (char *)v[i].id };
			sm_delete_groups_req_t req = { .groups_names = ids, .groups_names_cnt = 1 };
			sm_wbuf_t body;
			sm_wbuf_init(&body, 64);
			sm_delete_groups_req_write(&body, 1, &req);
			p = cg_call(cg, coord, SM_API_DELETE_GROUPS, 1, &body, &len);
			sm_wbuf_free(&body);
		}
		if (p && !CG_PARSE(cg, sm_delete_groups_resp_read, 1, p, len, &r)) {
			for (int32_t k = 0; k < r.results_cnt; k++)
				if (r.results[k].error_code)
					cg_set_err(cg, "%s", cg_exception(r.results[k].error_code));
			if (r.results_cnt != 1 || !r.results[0].error_code)
				continue;
		}
		why[i] = sm_arena_strndup(&cg->a, cg->err, strlen(cg->err));
		failed++;
	}
	if (!failed) {
		printf("Deletion of requested consumer groups (");
		for (int i = 0; i < n; i++)
			printf("%s'%s'", i ? ", " : "", v[i].id);
		printf(") was successful.\n");
	} else {
		cg_print_error("Deletion of some consumer groups failed:");
		for (int i = 0; i < n; i++)
			if (why[i])
				printf("* Group '%s' could not be deleted due to: "
				       "java.util.concurrent.ExecutionException: %s\n", v[i].id, why[i]);
		if (failed < n) {
			printf("\nThese consumer groups were deleted successfully: ");
			for (int i = 0, k = 0; i < n; i++)
				if (!why[i])
					printf("%s'%s'", k++ ? ", " : "", v[i].id);
			printf("\n");
		}
	}
	free(why);
	free(v);
}

/* ---- --reset-offsets ---- */

/* --topic t or t:0,1,2; a bare topic means all of its partitions. An
 * unknown bare topic fails, or with unknown_ok becomes partition -1 (how
 * --delete-offsets reports it). */
static int cg_topic_partitions(cg_t *cg, int unknown_ok, cg_tp_t **out)
{
	int n = 0, cap = 16;
	cg_tp_t *v = sm_arena_alloc(&cg->a, sizeof(*v) * (size_t)cap);
	for (int i = 0; i < cg->o.ntopics; i++) {
		const char *spec = cg->o.topics[i], *colon = strchr(spec, ':');
		char *topic = sm_arena_strndup(&cg->a, spec, colon ? (size_t)(colon - spec)
								     : strlen(spec));
		const sm_metadata_resp_topic_t *t = cg_topic_md(cg, topic);
		int want = colon ? 1 : (t ? t->partitions_cnt : 1);
		for (const char *q = colon; q && *q; q = strchr(q + 1, ','))
			want++;
		if (n + want > cap) {
			cg_tp_t *nv = sm_arena_alloc(&cg->a, sizeof(*v) * (size_t)(n + want) * 2);
			memcpy(nv, v, sizeof(*v) * (size_t)n);
			v = nv;
			cap = (n + want) * 2;
		}
		if (!colon && !t && unknown_ok) {
			v[n++] = (cg_tp_t){ topic, -1, CG_NO_OFFSET };
			continue;
		}
		if (!colon && !t) {
			cg_set_err(cg, "%s", cg_exception(SM_ERR_UNKNOWN_TOPIC_OR_PARTITION));
			return -1;
		}
		if (!colon) {
			for (int32_t p = 0; p < t->partitions_cnt; p++)
				v[n++] = (cg_tp_t){ topic, t->partitions[p].partition_index,
						    CG_NO_OFFSET };
			continue;
		}
		for (const char *q = colon + 1; *q;) {
			char *end = NULL;
			errno = 0;
			long p = strtol(q, &end, 10);
			if (end == q || errno || p < 0 || p > INT32_MAX || (*end && *end != ','))
				cg_die("Invalid partition in '%s'", spec);
			v[n++] = (cg_tp_t){ topic, (int32_t)p, CG_NO_OFFSET };
			q = *end ? end + 1 : end;
		}
	}
	qsort(v, (size_t)n, sizeof(*v), cg_tp_cmp_topic);
	*out = v;
	return n;
}

static void cg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void cg_warn(const char *fmt, ...)
{
	char ts[64];
	struct timespec now;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &now);
	localtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, "[%s,%03d] WARN ", ts, (int)(now.tv_nsec / 1000000));
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (kafka.admin.ConsumerGroupCommand$)\n");
}

/* Kafka's checkOffsetsRange: requested offsets clamped to the log. */
static int cg_clamp(cg_t *cg, cg_tp_t *tps, int n)
{
	int64_t *lo = sm_arena_alloc(&cg->a, sizeof(*lo) * (size_t)(n + 1));
	int64_t *hi = sm_arena_alloc(&cg->a, sizeof(*hi) * (size_t)(n + 1));
	cg_list_offsets(cg, tps, n, -2, lo);
	cg_list_offsets(cg, tps, n, -1, hi);
	for (int i = 0; i < n; i++) {
		if (hi[i] == CG_NO_OFFSET) {
			cg_set_err(cg, "Unexpected non-existing offset value for topic partition "
				   "%s-%d", tps[i].topic, (int)tps[i].partition);
			return -1;
		}
		if (tps[i].offset > hi[i]) {
			cg_warn("New offset (%" PRId64 ") is higher than latest offset for topic "
				"partition %s-%d. Value will be set to %" PRId64, tps[i].offset,
				tps[i].topic, (int)tps[i].partition, hi[i]);
			tps[i].offset = hi[i];
		} else if (lo[i] != CG_NO_OFFSET && tps[i].offset < lo[i]) {
			cg_warn("New offset (%" PRId64 ") is lower than earliest offset for topic "
				"partition %s-%d. Value will be set to %" PRId64, tps[i].offset,
				tps[i].topic, (int)tps[i].partition, lo[i]);
			tps[i].offset = lo[i];
		}
	}
	return 0;
}

/* YYYY-MM-DDTHH:mm:SS.sss with an optional Z or +hh:mm / -hhmm zone;
 * without one, local time, as Kafka's Utils.getDateTime. */
static int cg_parse_datetime(const char *s, int64_t *out)
{
	struct tm tm = { 0 };
	int ms = 0, used = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &used) != 7 || used != 23)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	const char *z = s + used;
	time_t t;
	if (!*z) {
		tm.tm_isdst = -1;
		t = mktime(&tm);
	} else {
		int zh = 0, zm = 0, sign = 1;
		if (!strcmp(z, "Z")) {
			sign = 0;
		} else if ((*z == '+' || *z == '-') &&
			   (sscanf(z + 1, "%2d:%2d%n", &zh, &zm, &used) == 2 ||
			    sscanf(z + 1, "%2d%2d%n", &zh, &zm, &used) == 2) && !z[1 + used]) {
			sign = *z == '-' ? -1 : 1;
		} else {
			return -1;
		}
		t = timegm(&tm) - sign * (zh * 3600 + zm * 60);
	}
	if (t == (time_t)-1)
		return -1;
	*out = (int64_t)t * 1000 + ms;
	return 0;
}

static int cg_offsets_from_list(cg_t *cg, cg_tp_t *tps, int n, int64_t ts, const char *what)
{
	int64_t *v = sm_arena_alloc(&cg->a, sizeof(*v) * (size_t)(n + 1));
	cg_list_offsets(cg, tps, n, ts, v);
	for (int i = 0; i < n; i++) {
		if (v[i] == CG_NO_OFFSET) {
			cg_set_err(cg, "Error getting %s offset of topic partition: %s-%d", what,
				   tps[i].topic, (int)tps[i].partition);
			return -1;
		}
		tps[i].offset = v[i];
	}
	return 0;
}

static int cg_offsets_for_datetime(cg_t *cg, cg_tp_t *tps, int n)
{
	int64_t ts;
	if (cg_parse_datetime(cg->o.datetime, &ts)) {
		cg_set_err(cg, "Unparseable date: \"%s\"", cg->o.datetime);
		return -1;
	}
	int64_t *v = sm_arena_alloc(&cg->a, sizeof(*v) * (size_t)(n + 1));
	cg_list_offsets(cg, tps, n, ts, v);
	for (int i = 0; i < n; i++) {
		tps[i].offset = v[i];
		if (v[i] != CG_NO_OFFSET && v[i] >= 0)
			continue;
		printf("\nWarn: Partition %d from topic %s is empty. Falling back to latest "
		       "known offset.\n", (int)tps[i].partition, tps[i].topic);
		if (cg_offsets_from_list(cg, &tps[i], 1, -1, "ending"))
			return -1;
	}
	return 0;
}

/* Kafka's prepareOffsetsToReset for one group. */
static int cg_prepare(cg_t *cg, const cg_group_t *g, cg_tp_t *tps, int n)
{
	switch (cg->o.scenario) {
	case CG_TO_EARLIEST:
		return cg_offsets_from_list(cg, tps, n, -2, "starting");
	case CG_TO_LATEST:
		return cg_offsets_from_list(cg, tps, n, -1, "ending");
	case CG_TO_DATETIME:
		return cg_offsets_for_datetime(cg, tps, n);
	case CG_TO_OFFSET:
		for (int i = 0; i < n; i++)
			tps[i].offset = cg->o.scenario_arg;
		return cg_clamp(cg, tps, n);
	case CG_SHIFT_BY:
		for (int i = 0; i < n; i++) {
			int64_t cur = cg_committed(g, tps[i].topic, tps[i].partition);
			if (cur == CG_NO_OFFSET)
				cg_die("Cannot shift offset for partition %s-%d since there is no "
				       "current committed offset", tps[i].topic, (int)tps[i].partition);
			tps[i].offset = cur + cg->o.scenario_arg;
		}
		return cg_clamp(cg, tps, n);
	case CG_TO_CURRENT:
		for (int i = 0; i < n; i++) {
			tps[i].offset = cg_committed(g, tps[i].topic, tps[i].partition);
			if (tps[i].offset == CG_NO_OFFSET &&
			    cg_offsets_from_list(cg, &tps[i], 1, -1, "ending"))
				return -1;
		}
		return 0;
	}
	cg_die("Option '[reset-offsets]' requires one of the following scenarios: [to-offset], "
	       "[to-datetime], [by-duration], [to-earliest], [to-latest], [shift-by], "
	       "[from-file], [to-current]");
}

/* OffsetCommit v7 as an admin (generation -1, no member): only an inactive
 * group accepts it. */
static int cg_commit(cg_t *cg, const cg_group_t *g, const cg_tp_t *tps, int n)
{
	sm_offset_commit_req_t req;
	sm_offset_commit_req_init(&req);
	req.group_id = (char *)g->id;
	req.generation_id = -1;
	req.member_id = "";
	req.topics = sm_arena_alloc(&cg->a, sizeof(*req.topics) * (size_t)(n + 1));
	for (int i = 0; i < n; i++) {
		if (!i || strcmp(tps[i - 1].topic, tps[i].topic)) {
			req.topics[req.topics_cnt].name = (char *)tps[i].topic;
			req.topics[req.topics_cnt++].partitions =
				sm_arena_alloc(&cg->a, sizeof(*req.topics->partitions) * (size_t)n);
		}
		sm_offset_commit_req_topic_t *t = &req.topics[req.topics_cnt - 1];
		sm_offset_commit_req_partition_t *p = &t->partitions[t->partitions_cnt++];
		sm_offset_commit_req_partition_init(p);
		p->partition_index = tps[i].partition;
		p->committed_offset = tps[i].offset;
		p->committed_metadata = "";
	}
	sm_wbuf_t body;
	sm_wbuf_init(&body, 128);
	sm_offset_commit_req_write(&body, 7, &req);
	size_t len = 0;
	const uint8_t *p = cg_call(cg, g->coordinator, SM_API_OFFSET_COMMIT, 7, &body, &len);
	sm_wbuf_free(&body);
	sm_offset_commit_resp_t r;
	if (!p || CG_PARSE(cg, sm_offset_commit_resp_read, 7, p, len, &r))
		return -1;
	for (int32_t t = 0; t < r.topics_cnt; t++)
		for (int32_t i = 0; i < r.topics[t].partitions_cnt; i++)
			if (r.topics[t].partitions[i].error_code) {
				cg_set_err(cg, "%s",
					   cg_exception(r.topics[t].partitions[i].error_code));
				return -1;
			}
	return 0;
}

/* One group's reset; returns the partitions with their new offsets (n = 0
 * when the group is active), or -1 on failure with cg->err set. */
static int cg_reset_one(cg_t *cg, cg_group_t *g, cg_tp_t **out)
{
	if (cg_describe(cg, g))
		return -1;
	*out = NULL;
	if (strcmp(g->state, "Empty") && strcmp(g->state, "Dead")) {
		cg_print_error("Assignments can only be reset if the group '%s' is inactive, but "
			       "the current state is %s.", g->id, g->state);
		return 0;
	}
	if (cg_fetch_offsets(cg, g))
		return -1;
	cg_tp_t *tps = NULL;
	int n;
	if (cg->o.all_topics) {
		n = g->ncommitted;
		tps = sm_arena_alloc(&cg->a, sizeof(*tps) * (size_t)(n + 1));
		memcpy(tps, g->committed, sizeof(*tps) * (size_t)n);
		qsort(tps, (size_t)n, sizeof(*tps), cg_tp_cmp_topic);
	} else if (cg->o.ntopics) {
		n = cg_topic_partitions(cg, 0, &tps);
		if (n < 0)
			return -1;
	} else {
		cg_die("One of the reset scopes should be defined: --all-topics, --topic.");
	}
	if (cg_prepare(cg, g, tps, n))
		return -1;
	if (cg->o.execute && n && cg_commit(cg, g, tps, n))
		return -1;
	*out = tps;
	return n;
}

static void cg_cmd_reset(cg_t *cg)
{
	cg_group_t *v = NULL;
	int n = cg_selected_groups(cg, &v);
	cg_tp_t **res = sm_calloc((size_t)n + 1, sizeof(*res));
	int *cnt = sm_calloc((size_t)n + 1, sizeof(*cnt));
	for (int i = 0; i < n; i++) {
		cnt[i] = cg_reset_one(cg, &v[i], &res[i]);
		if (cnt[i] < 0) {
			cg_print_error("Executing consumer group command failed due to %s", cg->err);
			goto out;
		}
	}
	if (n < 0) {
		cg_print_error("Executing consumer group command failed due to %s", cg->err);
	} else if (cg->o.export_csv) {
		int single = cg->o.ngroups == 1 && !cg->o.all_groups;
		for (int i = 0; i < n; i++)
			for (int k = 0; k < cnt[i]; k++) {
				if (!single)
					printf("%s,", v[i].id);
				printf("%s,%d,%" PRId64 "\n", res[i][k].topic,
				       (int)res[i][k].partition, res[i][k].offset);
			}
		printf("\n");
	} else if (n > 0) {
		printf("\n%-30s %-30s %-10s %-15s\n", "GROUP", "TOPIC", "PARTITION", "NEW-OFFSET");
		for (int i = 0; i < n; i++)
			for (int k = 0; k < cnt[i]; k++)
				printf("%-30s %-30s %-10d %-15" PRId64 "\n", v[i].id, res[i][k].topic,
				       (int)res[i][k].partition, res[i][k].offset);
	}
out:
	free(cnt);
	free(res);
	free(v);
}

/* ---- --delete-offsets ---- */

static const char *cg_delete_offsets_top(int16_t code, const char *group, char *buf, size_t n)
{
	switch (code) {
	case SM_ERR_INVALID_GROUP_ID:
		snprintf(buf, n, "'%s' is not valid.", group);
		break;
	case SM_ERR_GROUP_ID_NOT_FOUND:
		snprintf(buf, n, "'%s' does not exist.", group);
		break;
	case SM_ERR_GROUP_AUTHORIZATION_FAILED:
		snprintf(buf, n, "Access to '%s' is not authorized.", group);
		break;
	case SM_ERR_NON_EMPTY_GROUP:
		snprintf(buf, n, "Deleting offsets of a consumer group '%s' is forbidden if the "
			 "group is not empty.", group);
		break;
	case SM_ERR_GROUP_SUBSCRIBED_TO_TOPIC:
	case SM_ERR_TOPIC_AUTHORIZATION_FAILED:
	case SM_ERR_UNKNOWN_TOPIC_OR_PARTITION:
		snprintf(buf, n, "Encounter some partition level error, see the follow-up details:");
		break;
	default:
		snprintf(buf, n, "Encounter some unknown error: %s", sm_err_name((sm_err_t)code));
	}
	return buf;
}

/* OffsetDelete v0 at the coordinator; the STATUS column reports each
 * partition (a top-level error fails them all, as in Kafka's admin client). */
static int cg_offset_delete(cg_t *cg, const char *group, const cg_tp_t *tps, int n,
			    int16_t *errs, int16_t *top)
{
	int32_t coord = cg_find_coordinator(cg, group);
	if (coord < 0)
		return -1;
	sm_offset_delete_req_t req = { .group_id = (char *)group };
	req.topics = sm_arena_alloc(&cg->a, sizeof(*req.topics) * (size_t)(n + 1));
	for (int i = 0; i < n; i++) {
		if (tps[i].partition < 0)
			continue;
		if (!req.topics_cnt || strcmp(req.topics[req.topics_cnt - 1].name, tps[i].topic)) {
			req.topics[req.topics_cnt].name = (char *)tps[i].topic;
			req.topics[req.topics_cnt++].partitions =
				sm_arena_alloc(&cg->a, sizeof(*req.topics->partitions) * (size_t)n);
		}
		sm_offset_delete_req_topic_t *t = &req.topics[req.topics_cnt - 1];
		t->partitions[t->partitions_cnt++].partition_index = tps[i].partition;
	}
	sm_wbuf_t body;
	sm_wbuf_init(&body, 128);
	sm_offset_delete_req_write(&body, 0, &req);
	size_t len = 0;
	const uint8_t *p = cg_call(cg, coord, SM_API_OFFSET_DELETE, 0, &body, &len);
	sm_wbuf_free(&body);
	sm_offset_delete_resp_t r;
	if (!p || CG_PARSE(cg, sm_offset_delete_resp_read, 0, p, len, &r))
		return -1;
	*top = r.error_code;
	for (int i = 0; i < n; i++) {
		if (tps[i].partition < 0)
			continue;
		errs[i] = r.error_code;
		for (int32_t t = 0; !r.error_code && t < r.topics_cnt; t++)
			for (int32_t k = 0; k < r.topics[t].partitions_cnt; k++)
				if (r.topics[t].partitions[k].partition_index == tps[i].partition &&
				    !strcmp(r.topics[t].name, tps[i].topic))
					errs[i] = r.topics[t].partitions[k].error_code;
	}
	for (int i = 0; i < n && !*top; i++)
		if (errs[i])
			*top = errs[i];
	return 0;
}

static void cg_cmd_delete_offsets(cg_t *cg)
{
	const char *group = cg->o.groups[0];
	cg_tp_t *tps = NULL;
	int n = cg_topic_partitions(cg, 1, &tps);
	int16_t *errs = sm_arena_alloc(&cg->a, sizeof(*errs) * (size_t)(n + 1));
	int16_t top = 0;
	for (int i = 0; i < n; i++)
		if (tps[i].partition < 0)
			errs[i] = top = SM_ERR_UNKNOWN_TOPIC_OR_PARTITION;
	if (cg_offset_delete(cg, group, tps, n, errs, &top)) {
		cg_print_error("Executing consumer group command failed due to %s", cg->err);
		return;
	}
	if (!top) {
		printf("Request succeed for deleting offsets with topic ");
		for (int i = 0; i < cg->o.ntopics; i++)
			printf("%s%s", i ? ", " : "", cg->o.topics[i]);
		printf(" group %s\n", group);
	} else {
		char buf[256];
		cg_print_error("%s", cg_delete_offsets_top(top, group, buf, sizeof(buf)));
	}
	printf("\n%-30s %-15s %-15s\n", "TOPIC", "PARTITION", "STATUS");
	for (int i = 0; i < n; i++) {
		char part[16], status[600];
		if (tps[i].partition >= 0)
			snprintf(part, sizeof(part), "%d", (int)tps[i].partition);
		else
			snprintf(part, sizeof(part), "Not Provided");
		if (!errs[i])
			snprintf(status, sizeof(status), "Successful");
		else if (tps[i].partition < 0)
			snprintf(status, sizeof(status), "Error: %s", sm_pa_error_message(errs[i]));
		else
			snprintf(status, sizeof(status), "Error: %s", cg_exception(errs[i]));
		printf("%-30s %-15s %-15s\n", tps[i].topic, part, status);
	}
}

/* ---- options ---- */

static void cg_add(const char ***v, int *n, const char *s)
{
	*v = sm_realloc(*v, sizeof(**v) * (size_t)(*n + 1));
	(*v)[(*n)++] = s;
}

static int64_t cg_long(const char *opt, const char *s)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno)
		cg_die("Cannot parse argument '%s' of option %s", s, opt);
	return v;
}

static void cg_set_action(cg_opts_t *o, int action)
{
	o->action = action;
	o->nactions++;
}

static void cg_set_scenario(cg_opts_t *o, int scenario)
{
	o->scenario = scenario;
	o->nscenarios++;
}

/* Options with a value; returns 1 if argv[*i] was one of them. */
static int cg_parse_valued(cg_opts_t *o, int argc, char **argv, int *i)
{
	static const char *const names[] = { "--bootstrap-server", "--command-config", "--group",
					     "--topic", "--timeout", "--to-offset", "--shift-by",
					     "--to-datetime", NULL };
	const char *a = argv[*i];
	int k = 0;
	while (names[k] && strcmp(names[k], a))
		k++;
	if (!names[k])
		return 0;
	if (*i + 1 >= argc)
		cg_die("Option %s requires an argument", a);
	const char *v = argv[++*i];
	switch (k) {
	case 0: o->bootstrap = v; break;
	case 1: break; /* PLAINTEXT needs no client settings */
	case 2: cg_add(&o->groups, &o->ngroups, v); break;
	case 3: cg_add(&o->topics, &o->ntopics, v); break;
	case 4: o->timeout_ms = (int)cg_long(a, v); break;
	case 5: cg_set_scenario(o, CG_TO_OFFSET); o->scenario_arg = cg_long(a, v); break;
	case 6: cg_set_scenario(o, CG_SHIFT_BY); o->scenario_arg = cg_long(a, v); break;
	case 7: cg_set_scenario(o, CG_TO_DATETIME); o->datetime = v; break;
	}
	return 1;
}

static void cg_parse_args(cg_opts_t *o, int argc, char **argv)
{
	static const struct {
		const char *name;
		int kind, value; /* kind 0: action, 1: scenario, 2: flag offset */
	} flags[] = {
		{ "--list", 0, CG_LIST }, { "--describe", 0, CG_DESCRIBE },
		{ "--delete", 0, CG_DELETE }, { "--reset-offsets", 0, CG_RESET },
		{ "--delete-offsets", 0, CG_DELETE_OFFSETS },
		{ "--to-earliest", 1, CG_TO_EARLIEST }, { "--to-latest", 1, CG_TO_LATEST },
		{ "--to-current", 1, CG_TO_CURRENT },
		{ "--all-groups", 2, offsetof(cg_opts_t, all_groups) },
		{ "--all-topics", 2, offsetof(cg_opts_t, all_topics) },
		{ "--members", 2, offsetof(cg_opts_t, members) },
		{ "--verbose", 2, offsetof(cg_opts_t, verbose) },
		{ "--offsets", 2, offsetof(cg_opts_t, offsets) },
		{ "--dry-run", 2, offsetof(cg_opts_t, dry_run) },
		{ "--execute", 2, offsetof(cg_opts_t, execute) },
		{ "--export", 2, offsetof(cg_opts_t, export_csv) },
	};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t k = 0;
		if (cg_parse_valued(o, argc, argv, &i))
			continue;
		if (!strcmp(a, "--help")) {
			cg_usage(stdout);
			exit(0);
		}
		if (!strcmp(a, "--state")) {
			o->state = 1;
			if (i + 1 < argc && argv[i + 1][0] != '-')
				o->state_value = argv[++i];
			continue;
		}
		while (k < sizeof(flags) / sizeof(flags[0]) && strcmp(flags[k].name, a))
			k++;
		if (k == sizeof(flags) / sizeof(flags[0]))
			cg_die("%s is not a recognized option", a);
		if (flags[k].kind == 0)
			cg_set_action(o, flags[k].value);
		else if (flags[k].kind == 1)
			cg_set_scenario(o, flags[k].value);
		else
			*(int *)((char *)o + flags[k].value) = 1;
	}
}

/* Kafka's ConsumerGroupCommandOptions.checkArgs. */
static void cg_check_args(const cg_opts_t *o)
{
	const char *scope = "[group], [all-groups]";
	if (!o->bootstrap)
		cg_die("Missing required argument \"[bootstrap-server]\"");
	if (o->nactions != 1)
		cg_die("Command must include exactly one action: --list, --describe, --delete, "
		       "--reset-offsets, --delete-offsets");
	if (o->action == CG_DESCRIBE) {
		if (!o->ngroups && !o->all_groups)
			cg_die("Option [describe] takes one of these options: %s", scope);
		if (o->members + o->offsets + o->state > 1)
			cg_die("Option [describe] takes at most one of these options: [members], "
			       "[offsets], [state]");
		if (o->state_value)
			cg_die("Option [describe] does not take a value for [state]");
	}
	if (o->action == CG_DELETE) {
		if (!o->ngroups && !o->all_groups)
			cg_die("Option [delete] takes one of these options: %s", scope);
		if (o->ntopics)
			cg_die("The consumer does not support topic-specific offset deletion from a "
			       "consumer group.");
	}
	if (o->action == CG_DELETE_OFFSETS && (o->ngroups != 1 || !o->ntopics))
		cg_die("Option [delete-offsets] takes the following options: [topic], [group]");
	if (o->action == CG_RESET) {
		if (o->dry_run && o->execute)
			cg_die("Option [reset-offsets] only accepts one of [execute] and [dry-run]");
		if (!o->dry_run && !o->execute)
			fprintf(stderr, "WARN: No action will be performed as the --execute option "
				"is missing.In a future major release, the default behavior of this "
				"command will be to prompt the user before executing the reset rather "
				"than doing a dry run. You should add the --dry-run option explicitly "
				"if you are scripting this command and want to keep the current "
				"default behavior without prompting.\n");
		if (!o->ngroups && !o->all_groups)
			cg_die("Option [reset-offsets] takes one of these options: %s", scope);
		if (o->nscenarios > 1)
			cg_die("Option [reset-offsets] takes at most one reset scenario");
	}
	if (o->ngroups && o->all_groups)
		cg_die("Option \"[group]\" can't be used with option \"[all-groups]\"");
	if (o->ngroups && o->action == CG_LIST)
		cg_die("Option \"[group]\" can't be used with option \"[list]\"");
	if (o->ntopics && (o->action == CG_LIST || o->action == CG_DESCRIBE))
		cg_die("Option \"[topic]\" can't be used with option \"[%s]\"",
		       o->action == CG_LIST ? "list" : "describe");
	if (o->verbose && !(o->action == CG_DESCRIBE && o->members))
		cg_die("Option \"[verbose]\" can be used only with option \"[describe]\" and "
		       "\"[members]\"");
}

int main(int argc, char **argv)
{
	cg_t cg;
	memset(&cg, 0, sizeof(cg));
	cg.o.timeout_ms = 5000;
	cg_parse_args(&cg.o, argc, argv);
	cg_check_args(&cg.o);
	if (cg.o.timeout_ms <= 0)
		cg.o.timeout_ms = 5000;
	sm_arena_init(&cg.a);
	cg_metadata(&cg);
	switch (cg.o.action) {
	case CG_LIST: cg_cmd_list(&cg); break;
	case CG_DESCRIBE: cg_cmd_describe(&cg); break;
	case CG_DELETE: cg_cmd_delete(&cg); break;
	case CG_RESET: cg_cmd_reset(&cg); break;
	case CG_DELETE_OFFSETS: cg_cmd_delete_offsets(&cg); break;
	}
	for (int i = 0; i < cg.nclients; i++)
		sm_net_client_destroy(cg.clients[i].c);
	free(cg.clients);
	free(cg.o.groups);
	free(cg.o.topics);
	sm_arena_destroy(&cg.a);
	fflush(stdout);
	return 0;
}
