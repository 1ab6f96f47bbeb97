/*
 * kafka_reassign_partitions.c - kafka-reassign-partitions (Kafka 2.8's
 * ReassignPartitionsCommand): --generate, --execute and --verify through a
 * broker (--bootstrap-server: Metadata, AlterPartitionReassignments,
 * ListPartitionReassignments) or ZooKeeper (--zookeeper:
 * /admin/reassign_partitions and the topic znodes), plus --list and
 * --cancel through a broker. Input and output JSON are Kafka's.
 *
 * A reassignment's "log_dirs" (per partition, aligned with "replicas",
 * "any" for no preference) are replica moves between log dirs: after the
 * partition reassignment --execute sends AlterReplicaLogDirs to each
 * broker, again every 100 ms while a broker answers REPLICA_NOT_AVAILABLE
 * (the replica is not there yet) until --timeout, as Kafka's executeMoves;
 * --verify reads each broker's DescribeLogDirs (current and future
 * replicas). --execute --replica-alter-log-dirs-throttle N sets
 * replica.alter.log.dirs.io.max.bytes.per.second = N on every broker with a
 * log dir move in the file; --verify clears it with the other throttles.
 *
 * --execute --throttle N sets the replication throttles as Kafka 2.8 does:
 * leader.replication.throttled.replicas lists every current replica of a
 * moving partition, follower.replication.throttled.replicas every replica
 * being added, and leader/follower.replication.throttled.rate = N go on
 * every broker of either list. --verify clears them once no partition of
 * the file is still moving (unless --preserve-throttles).
 *
 * Thread-safety: a single-threaded program.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "msg_incremental_alter_configs.h"
#include "kafka_zk.h"
#include "msg_alter_partition_reassignments.h"
#include "msg_alter_replica_log_dirs.h"
#include "msg_describe_log_dirs.h"
#include "msg_list_partition_reassignments.h"
#include "msg_metadata.h"
#include "net_client.h"
#include "protocol.h"
#include "zk_client.h"
#include "zk_login.h"

/* One replica to move between log dirs (Kafka's TopicPartitionReplica ->
 * log dir). */
typedef struct sm_rp_move {
	char *topic;
	int32_t partition;
	int32_t broker;
	char *dir;
	int done;
} sm_rp_move_t;

typedef struct sm_rp {
	const char *bootstrap, *zookeeper, *file, *topics_file, *broker_list;
	long timeout_ms;
	char action;
	int64_t throttle;      /* --throttle, -1 unset */
	int64_t logdir_throttle; /* --replica-alter-log-dirs-throttle, -1 unset */
	int preserve_throttles;
	sm_net_client_t *boot, *ctl;
	sm_zk_t *zk;
} sm_rp_t;

static void sm_rp_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void sm_rp_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static char *sm_rp_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		sm_rp_fail("Cannot read %s", path);
	size_t cap = 4096, n = 0;
	char *buf = sm_malloc(cap);
	size_t r;
	while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n - 1 == 0)
			buf = sm_realloc(buf, cap *= 2);
	}
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}

/* ---- broker access ---- */

/* One client for the first host:port of a comma-separated list. */
static sm_net_client_t *sm_rp_client(const char *hostport)
{
	char host[256];
	const char *end = strchr(hostport, ',');
	const char *colon = hostport;
	for (const char *q = hostport; *q && q != end; q++)
		if (*q == ':')
			colon = q;
	if (*colon != ':')
		colon = NULL;
	size_t hl = colon ? (size_t)(colon - hostport) : 0;
	if (!colon || hl >= sizeof(host))
		sm_rp_fail("Bad host:port %s", hostport);
	memcpy(host, hostport, hl);
	host[hl] = 0;
	return sm_net_client_new(host, atoi(colon + 1));
}

/* Metadata v1 (all topics when topic is NULL) into md (arena a). */
static void sm_rp_metadata(sm_rp_t *o, sm_arena_t *a, sm_metadata_resp_t *md)
{
	sm_wbuf_t body, resp;
	sm_wbuf_init(&body, 16);
	sm_wbuf_init(&resp, 1024);
	sm_metadata_req_t req;
	sm_metadata_req_init(&req);
	req.topics_cnt = -1;
	sm_metadata_req_write(&body, 1, &req);
	/* Any bootstrap server will do: try them in order. */
	while (sm_net_client_request(o->boot, SM_API_METADATA, 1, &body, 0, &resp, 30000)) {
		const char *next = strchr(o->bootstrap, ',');
		if (!next)
			sm_rp_fail("Cannot reach the broker: %s", sm_net_client_last_error(o->boot));
		o->bootstrap = next + 1;
		sm_net_client_destroy(o->boot);
		o->boot = sm_rp_client(o->bootstrap);
	}
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, resp.p, resp.len);
	if (sm_metadata_resp_read(&rb, 1, a, md))
		sm_rp_fail("%s", "Bad Metadata response");
	if (!o->ctl)
		for (int i = 0; i < md->brokers_cnt; i++)
			if (md->brokers[i].node_id == md->controller_id) {
				char hp[300];
				snprintf(hp, sizeof(hp), "%s:%d", md->brokers[i].host, md->brokers[i].port);
				o->ctl = sm_rp_client(hp);
			}
	sm_wbuf_free(&body);
	sm_wbuf_free(&resp);
}

/* Current replicas of topic-partition, or n = -1 if unknown. */
static int32_t *sm_rp_current(sm_rp_t *o, const char *topic, int32_t part, int *n)
{
	*n = -1;
	int32_t *out = NULL;
	if (o->zk) {
		sm_zk_topic_assignment_t a = { 0 };
		if (sm_kzk_get_topic_assignment(o->zk, topic, 0, &a, NULL) == SM_ERR_NONE) {
			const sm_zk_partition_assignment_t *pa = sm_zk_topic_find(&a, part);
			if (pa) {
				*n = pa->n_replicas;
				out = sm_calloc((size_t)pa->n_replicas + 1, sizeof(int32_t));
				memcpy(out, pa->replicas, sizeof(int32_t) * (size_t)pa->n_replicas);
			}
		}
		sm_zk_topic_clear(&a);
		return out;
	}
	sm_arena_t a;
	sm_arena_init(&a);
	sm_metadata_resp_t md;
	sm_rp_metadata(o, &a, &md);
	for (int i = 0; i < md.topics_cnt; i++)
		for (int j = 0; !strcmp(md.topics[i].name, topic) && j < md.topics[i].partitions_cnt; j++)
			if (md.topics[i].partitions[j].partition_index == part) {
				const sm_metadata_resp_partition_t *p = &md.topics[i].partitions[j];
				*n = p->replica_nodes_cnt;
				out = sm_calloc((size_t)*n + 1, sizeof(int32_t));
				memcpy(out, p->replica_nodes, sizeof(int32_t) * (size_t)*n);
			}
	sm_arena_destroy(&a);
	return out;
}

static void sm_rp_print_current(sm_rp_t *o, const sm_kzk_reassignment_t *r, int n)
{
	sm_kzk_reassignment_t *cur = sm_calloc((size_t)n + 1, sizeof(*cur));
	for (int i = 0; i < n; i++) {
		cur[i].topic = sm_strdup(r[i].topic);
		cur[i].partition = r[i].partition;
		cur[i].replicas = sm_rp_current(o, r[i].topic, r[i].partition, &cur[i].n_replicas);
		if (cur[i].n_replicas < 0)
			sm_rp_fail("Topic-partition %s does not exist", r[i].topic);
	}
	char *js = sm_kzk_reassignment_encode(cur, n, 1);
	printf("Current partition replica assignment\n\n%s\n\n"
	       "Save this to use as the --reassignment-json-file option during rollback\n", js);
	free(js);
	sm_kzk_reassignments_free(cur, n);
}

static void sm_rp_print_tps(const char *head, const sm_kzk_reassignment_t *r, int n)
{
	printf("%s", head);
	for (int i = 0; i < n; i++)
		printf("%s%s-%d", i ? "," : "", r[i].topic, r[i].partition);
	printf("\n");
}

/* AlterPartitionReassignments to the controller; cancel sends nulls.
 * Returns the number of partitions that failed; ok_out counts successes. */
static int sm_rp_alter(sm_rp_t *o, const sm_kzk_reassignment_t *r, int n, int cancel, int *ok_out)
{
	sm_arena_t a;
	sm_arena_init(&a);
	sm_metadata_resp_t md;
	sm_rp_metadata(o, &a, &md);
	if (!o->ctl)
		sm_rp_fail("%s", "Cannot find the controller");
	sm_alter_partition_reassignments_req_t req;
	sm_alter_partition_reassignments_req_init(&req);
	req.topics = sm_arena_alloc(&a, sizeof(*req.topics) * (size_t)(n + 1));
	req.topics_cnt = n; /* one topic entry per partition: simple and valid */
	for (int i = 0; i < n; i++) {
		sm_alter_partition_reassignments_req_partition_t *p = sm_arena_alloc(&a, sizeof(*p));
		p->partition_index = r[i].partition;
		p->replicas = cancel ? NULL : r[i].replicas;
		p->replicas_cnt = cancel ? -1 : r[i].n_replicas;
		req.topics[i] = (sm_alter_partition_reassignments_req_topic_t){ r[i].topic, p, 1 };
	}
	sm_wbuf_t body, resp;
	sm_wbuf_init(&body, 256);
	sm_wbuf_init(&resp, 256);
	sm_alter_partition_reassignments_req_write(&body, 0, &req);
	if (sm_net_client_request(o->ctl, SM_API_ALTER_PARTITION_REASSIGNMENTS, 0, &body, 1, &resp, 60000))
		sm_rp_fail("AlterPartitionReassignments failed: %s", sm_net_client_last_error(o->ctl));
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, resp.p, resp.len);
	sm_alter_partition_reassignments_resp_t ar;
	if (sm_alter_partition_reassignments_resp_read(&rb, 0, &a, &ar))
		sm_rp_fail("%s", "Bad AlterPartitionReassignments response");
	if (ar.error_code)
		sm_rp_fail("Error: %s", ar.error_message ? ar.error_message : sm_err_name(ar.error_code));
	int failed = 0, ok = 0;
	for (int i = 0; i < ar.responses_cnt; i++)
		for (int j = 0; j < ar.responses[i].partitions_cnt; j++) {
			const sm_alter_partition_reassignments_resp_partition_t *p = &ar.responses[i].partitions[j];
			if (!p->error_code) {
				ok++;
				continue;
			}
			if (cancel && p->error_code == SM_ERR_NO_REASSIGNMENT_IN_PROGRESS)
				continue;
			failed++;
			fprintf(stderr, "Error reassigning partition(s):\n%s-%d: %s\n", ar.responses[i].name,
				p->partition_index, p->error_message ? p->error_message : sm_err_name(p->error_code));
		}
	sm_wbuf_free(&body);
	sm_wbuf_free(&resp);
	sm_arena_destroy(&a);
	*ok_out = ok;
	return failed;
}

/* 1 if topic-partition has an ongoing reassignment. */
static int sm_rp_ongoing(sm_rp_t *o, const char *topic, int32_t part)
{
	int ongoing = 0;
	if (o->zk) {
		sm_zk_topic_assignment_t a = { 0 };
		if (sm_kzk_get_topic_assignment(o->zk, topic, 0, &a, NULL) == SM_ERR_NONE) {
			const sm_zk_partition_assignment_t *pa = sm_zk_topic_find(&a, part);
			ongoing = pa && (pa->n_adding || pa->n_removing);
		}
		sm_zk_topic_clear(&a);
		return ongoing;
	}
	sm_arena_t a;
	sm_arena_init(&a);
	sm_metadata_resp_t md;
	sm_rp_metadata(o, &a, &md);
	sm_list_partition_reassignments_req_t req;
	sm_list_partition_reassignments_req_init(&req);
	sm_list_partition_reassignments_req_topic_t t = { (char *)topic, &part, 1 };
	req.topics = &t;
	req.topics_cnt = 1;
	sm_wbuf_t body, resp;
	sm_wbuf_init(&body, 64);
	sm_wbuf_init(&resp, 256);
	sm_list_partition_reassignments_req_write(&body, 0, &req);
	sm_list_partition_reassignments_resp_t lr;
	sm_rbuf_t rb;
	if (!o->ctl || sm_net_client_request(o->ctl, SM_API_LIST_PARTITION_REASSIGNMENTS, 0, &body, 1, &resp, 30000))
		sm_rp_fail("%s", "ListPartitionReassignments failed");
	sm_rbuf_init(&rb, resp.p, resp.len);
	if (sm_list_partition_reassignments_resp_read(&rb, 0, &a, &lr) || lr.error_code)
		sm_rp_fail("%s", "Bad ListPartitionReassignments response");
	for (int i = 0; i < lr.topics_cnt; i++)
		ongoing |= lr.topics[i].partitions_cnt > 0;
	sm_wbuf_free(&body);
	sm_wbuf_free(&resp);
	sm_arena_destroy(&a);
	return ongoing;
}

static void sm_rp_ints(const int32_t *v, int n)
{
	for (int i = 0; i < n; i++)
		printf("%s%d", i ? "," : "", v[i]);
}

static void sm_rp_clear_throttles(sm_rp_t *o, const sm_kzk_reassignment_t *r, int n);

/* *ongoing: partitions still being reassigned (the caller clears the
 * throttles once nothing moves, log dir moves included). */
static int sm_rp_verify(sm_rp_t *o, const sm_kzk_reassignment_t *r, int n, int *ongoing_out)
{
	int ongoing = 0;
	printf("Status of partition reassignment:\n");
	for (int i = 0; i < n; i++) {
		if (sm_rp_ongoing(o, r[i].topic, r[i].partition)) {
			printf("Reassignment of partition %s-%d is still in progress.\n", r[i].topic, r[i].partition);
			ongoing++;
			continue;
		}
		int nc;
		int32_t *cur = sm_rp_current(o, r[i].topic, r[i].partition, &nc);
		int same = nc == r[i].n_replicas;
		for (int k = 0; same && k < nc; k++)
			same = cur[k] == r[i].replicas[k];
		if (same) {
			printf("Reassignment of partition %s-%d is complete.\n", r[i].topic, r[i].partition);
		} else {
			printf("There is no active reassignment of partition %s-%d, but replica set is ", r[i].topic,
			       r[i].partition);
			sm_rp_ints(cur, nc < 0 ? 0 : nc);
			printf(" rather than ");
			sm_rp_ints(r[i].replicas, r[i].n_replicas);
			printf(".\n");
		}
		free(cur);
	}
	*ongoing_out = ongoing;
	/* an unfinished or different reassignment is a status, not a failure:
	 * Kafka's --verify exits 0 after printing it */
	return 0;
}

static int sm_rp_list(sm_rp_t *o)
{
	sm_arena_t a;
	sm_arena_init(&a);
	sm_metadata_resp_t md;
	sm_rp_metadata(o, &a, &md);
	sm_list_partition_reassignments_req_t req;
	sm_list_partition_reassignments_req_init(&req);
	sm_wbuf_t body, resp;
	sm_wbuf_init(&body, 16);
	sm_wbuf_init(&resp, 256);
	sm_list_partition_reassignments_req_write(&body, 0, &req);
	sm_list_partition_reassignments_resp_t lr;
	sm_rbuf_t rb;
	if (!o->ctl || sm_net_client_request(o->ctl, SM_API_LIST_PARTITION_REASSIGNMENTS, 0, &body, 1, &resp, 30000))
		sm_rp_fail("%s", "ListPartitionReassignments failed");
	sm_rbuf_init(&rb, resp.p, resp.len);
	if (sm_list_partition_reassignments_resp_read(&rb, 0, &a, &lr) || lr.error_code)
		sm_rp_fail("%s", "Bad ListPartitionReassignments response");
	int any = 0;
	for (int i = 0; i < lr.topics_cnt; i++)
		for (int j = 0; j < lr.topics[i].partitions_cnt; j++) {
			const sm_list_partition_reassignments_resp_partition_t *p = &lr.topics[i].partitions[j];
			if (!any++)
				printf("Current partition reassignments:\n");
			printf("%s-%d: replicas: ", lr.topics[i].name, p->partition_index);
			sm_rp_ints(p->replicas, p->replicas_cnt);
			printf(".");
			if (p->adding_replicas_cnt) {
				printf(" adding: ");
				sm_rp_ints(p->adding_replicas, p->adding_replicas_cnt);
				printf(".");
			}
			if (p->removing_replicas_cnt) {
				printf(" removing: ");
				sm_rp_ints(p->removing_replicas, p->removing_replicas_cnt);
				printf(".");
			}
			printf("\n");
		}
	if (!any)
		printf("No partition reassignments found.\n");
	sm_wbuf_free(&body);
	sm_wbuf_free(&resp);
	sm_arena_destroy(&a);
	return 0;
}

/* Every partition of topic with its replicas, appended to *out. */
static void sm_rp_topic_partitions(sm_rp_t *o, const char *topic, sm_kzk_reassignment_t **out, int *n)
{
	int count = 0;
	if (o->zk) {
		sm_zk_topic_assignment_t a = { 0 };
		if (sm_kzk_get_topic_assignment(o->zk, topic, 0, &a, NULL) == SM_ERR_NONE)
			count = a.n_partitions;
		sm_zk_topic_clear(&a);
	} else {
		sm_arena_t a;
		sm_arena_init(&a);
		sm_metadata_resp_t md;
		sm_rp_metadata(o, &a, &md);
		for (int i = 0; i < md.topics_cnt; i++)
			if (!strcmp(md.topics[i].name, topic))
				count = md.topics[i].partitions_cnt;
		sm_arena_destroy(&a);
	}
	if (count == 0)
		sm_rp_fail("Topic %s does not exist", topic);
	*out = sm_realloc(*out, sizeof(**out) * (size_t)(*n + count + 1));
	for (int p = 0; p < count; p++) {
		sm_kzk_reassignment_t *r = &(*out)[(*n)++];
		r->topic = sm_strdup(topic);
		r->partition = p;
		r->replicas = sm_rp_current(o, topic, p, &r->n_replicas);
		if (r->n_replicas < 0)
			r->n_replicas = 0;
	}
}

static int sm_rp_generate(sm_rp_t *o)
{
	if (!o->topics_file || !o->broker_list)
		sm_rp_fail("%s", "If --generate option is used, command must include both --topics-to-move-json-file and --broker-list options");
	size_t len;
	char *txt = sm_rp_slurp(o->topics_file, &len);
	json_error_t je;
	json_t *root = json_loadb(txt, len, 0, &je);
	json_t *topics = root ? json_object_get(root, "topics") : NULL;
	if (!json_is_array(topics))
		sm_rp_fail("Malformed --topics-to-move-json-file %s", o->topics_file);
	int32_t brokers[1024];
	int nb = 0;
	for (const char *s = o->broker_list; *s && nb < 1024;) {
		brokers[nb++] = (int32_t)strtol(s, (char **)&s, 10);
		if (*s == ',')
			s++;
		else if (*s)
			sm_rp_fail("Bad --broker-list %s", o->broker_list);
	}
	sm_kzk_reassignment_t *cur = NULL, *prop;
	int n = 0;
	for (size_t i = 0; i < json_array_size(topics); i++) {
		json_t *t = json_object_get(json_array_get(topics, i), "topic");
		if (!json_is_string(t))
			sm_rp_fail("Malformed --topics-to-move-json-file %s", o->topics_file);
		sm_rp_topic_partitions(o, json_string_value(t), &cur, &n);
	}
	prop = sm_calloc((size_t)n + 1, sizeof(*prop));
	for (int i = 0; i < n;) {
		int j = i;
		while (j < n && !strcmp(cur[j].topic, cur[i].topic))
			j++;
		int32_t *a = NULL;
		char err[256];
		int rf = cur[i].n_replicas;
		if (sm_kzk_assign_replicas(brokers, nb, j - i, rf, -1, -1, 0, &a, err, sizeof(err)))
			sm_rp_fail("%s", err);
		for (int k = i; k < j; k++) {
			prop[k].topic = sm_strdup(cur[k].topic);
			prop[k].partition = cur[k].partition;
			prop[k].n_replicas = rf;
			prop[k].replicas = sm_calloc((size_t)rf + 1, sizeof(int32_t));
			memcpy(prop[k].replicas, a + (k - i) * rf, sizeof(int32_t) * (size_t)rf);
		}
		free(a);
		i = j;
	}
	char *c1 = sm_kzk_reassignment_encode(cur, n, 1), *c2 = sm_kzk_reassignment_encode(prop, n, 1);
	printf("Current partition replica assignment\n%s\n\nProposed partition reassignment configuration\n%s\n",
	       c1, c2);
	free(c1);
	free(c2);
	sm_kzk_reassignments_free(cur, n);
	sm_kzk_reassignments_free(prop, n);
	json_decref(root);
	free(txt);
	return 0;
}

/* ---- replica moves between log dirs ("log_dirs") ---- */

static void sm_rp_moves_free(sm_rp_move_t *m, int n)
{
	for (int i = 0; i < n; i++) {
		free(m[i].topic);
		free(m[i].dir);
	}
	free(m);
}

/* The replica moves of a reassignment JSON (already validated by
 * sm_kzk_reassignment_decode): every log_dirs entry other than "any". */
static sm_rp_move_t *sm_rp_parse_moves(const char *txt, size_t len, int *np)
{
	json_error_t je;
	json_t *root = json_loadb(txt, len, 0, &je);
	json_t *parts = root ? json_object_get(root, "partitions") : NULL;
	size_t cap = 0;
	int n = 0;
	sm_rp_move_t *m = NULL;
	for (size_t i = 0; json_is_array(parts) && i < json_array_size(parts); i++) {
		json_t *p = json_array_get(parts, i);
		json_t *dirs = json_object_get(p, "log_dirs"), *reps = json_object_get(p, "replicas");
		const char *topic = json_string_value(json_object_get(p, "topic"));
		if (!dirs || !topic || !json_is_array(reps))
			continue;
		int32_t part = (int32_t)json_integer_value(json_object_get(p, "partition"));
		if (!json_is_array(dirs))
			sm_rp_fail("Malformed log_dirs for partition %s-%d", topic, part);
		if (json_array_size(dirs) != json_array_size(reps))
			sm_rp_fail("Size of replicas list %s is different from size of log dirs list %s "
				   "for partition %s-%d", json_dumps(reps, JSON_COMPACT),
				   json_dumps(dirs, JSON_COMPACT), topic, part);
		for (size_t k = 0; k < json_array_size(dirs); k++) {
			const char *d = json_string_value(json_array_get(dirs, k));
			if (!d)
				sm_rp_fail("Malformed log_dirs for partition %s-%d", topic, part);
			if (!strcmp(d, "any"))
				continue;
			if ((size_t)n == cap) {
				cap = cap ? cap * 2 : 8;
				m = sm_realloc(m, sizeof(*m) * cap);
			}
			m[n] = (sm_rp_move_t){ sm_strdup(topic), part,
					       (int32_t)json_integer_value(json_array_get(reps, k)),
					       sm_strdup(d), 0 };
			n++;
		}
	}
	json_decref(root);
	*np = n;
	return m;
}

/* Kafka's compareTopicPartitionReplicas: topic, partition, broker. */
static int sm_rp_move_cmp(const void *a, const void *b)
{
	const sm_rp_move_t *x = a, *y = b;
	int c = strcmp(x->topic, y->topic);
	if (c)
		return c;
	if (x->partition != y->partition)
		return x->partition < y->partition ? -1 : 1;
	return x->broker < y->broker ? -1 : x->broker > y->broker;
}

/* A client for broker id, or NULL when it is not in the metadata. */
static sm_net_client_t *sm_rp_broker(sm_rp_t *o, int32_t id)
{
	sm_arena_t a;
	sm_arena_init(&a);
	sm_metadata_resp_t md;
	sm_rp_metadata(o, &a, &md);
	sm_net_client_t *c = NULL;
	for (int i = 0; i < md.brokers_cnt; i++)
		if (md.brokers[i].node_id == id) {
			char hp[300];
			snprintf(hp, sizeof(hp), "%s:%d", md.brokers[i].host, md.brokers[i].port);
			c = sm_rp_client(hp);
		}
	sm_arena_destroy(&a);
	return c;
}

/* AlterReplicaLogDirs for every move not done yet, one request per broker.
 * Marks the started ones done and returns how many were started; fails on
 * any error but REPLICA_NOT_AVAILABLE (Kafka's alterReplicaLogDirs). */
static int sm_rp_alter_log_dirs(sm_rp_t *o, sm_rp_move_t *m, int n)
{
	int started = 0;
	for (int i = 0; i < n; i++) {
		if (m[i].done)
			continue;
		int32_t broker = m[i].broker;
		int first = 1;
		for (int k = 0; k < i; k++)
			if (!m[k].done && m[k].broker == broker)
				first = 0;
		if (!first)
			continue;
		sm_arena_t a;
		sm_arena_init(&a);
		sm_alter_replica_log_dirs_req_t req;
		sm_alter_replica_log_dirs_req_init(&req);
		req.dirs = sm_arena_alloc(&a, sizeof(*req.dirs) * (size_t)(n + 1));
		for (int k = i; k < n; k++) {
			if (m[k].done || m[k].broker != broker)
				continue;
			sm_alter_replica_log_dirs_req_topic_t *t = sm_arena_alloc(&a, sizeof(*t));
			t->name = m[k].topic;
			t->partitions = &m[k].partition;
			t->partitions_cnt = 1;
			req.dirs[req.dirs_cnt++] = (sm_alter_replica_log_dirs_req_dir_t){ m[k].dir, t, 1 };
		}
		sm_net_client_t *c = sm_rp_broker(o, broker);
		if (!c)
			sm_rp_fail("Failed to alter dir for %s-%d-%d: broker %d is not available", m[i].topic,
				   m[i].partition, broker, broker);
		sm_wbuf_t body, resp;
		sm_wbuf_init(&body, 256);
		sm_wbuf_init(&resp, 256);
		sm_alter_replica_log_dirs_req_write(&body, 1, &req);
		if (sm_net_client_request(c, SM_API_ALTER_REPLICA_LOG_DIRS, 1, &body, 0, &resp, 30000))
			sm_rp_fail("AlterReplicaLogDirs to broker %d failed: %s", broker,
				   sm_net_client_last_error(c));
		sm_rbuf_t rb;
		sm_rbuf_init(&rb, resp.p, resp.len);
		sm_alter_replica_log_dirs_resp_t ar;
		if (sm_alter_replica_log_dirs_resp_read(&rb, 1, &a, &ar))
			sm_rp_fail("Bad AlterReplicaLogDirs response from broker %d", broker);
		for (int r = 0; r < ar.results_cnt; r++)
			for (int q = 0; q < ar.results[r].partitions_cnt; q++) {
				const sm_alter_replica_log_dirs_resp_partition_t *rp = &ar.results[r].partitions[q];
				for (int k = i; k < n; k++) {
					if (m[k].done || m[k].broker != broker || m[k].partition != rp->partition_index ||
					    strcmp(m[k].topic, ar.results[r].topic_name))
						continue;
					if (rp->error_code == SM_ERR_NONE) {
						m[k].done = 1;
						started++;
					} else if (rp->error_code != SM_ERR_REPLICA_NOT_AVAILABLE) {
						sm_rp_fail("Failed to alter dir for %s-%d-%d: %s", m[k].topic,
							   m[k].partition, broker, sm_err_name(rp->error_code));
					}
				}
			}
		sm_wbuf_free(&body);
		sm_wbuf_free(&resp);
		sm_net_client_destroy(c);
		sm_arena_destroy(&a);
	}
	return started;
}

/* Kafka's executeMoves: retries the moves whose replica is not there yet
 * every 100 ms until timeout_ms. */
static int sm_rp_execute_moves(sm_rp_t *o, sm_rp_move_t *m, int n)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int before[n > 0 ? n : 1];
		for (int i = 0; i < n; i++)
			before[i] = m[i].done;
		int started = sm_rp_alter_log_dirs(o, m, n);
		if (started) {
			printf("Successfully started log directory move%s for: ", started == 1 ? "" : "s");
			int k = 0;
			for (int i = 0; i < n; i++)
				if (m[i].done && !before[i])
					printf("%s%s-%d-%d", k++ ? "," : "", m[i].topic, m[i].partition, m[i].broker);
			printf("\n");
		}
		int left = 0;
		for (int i = 0; i < n; i++)
			left += !m[i].done;
		if (!left)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long el = (long)((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
		if (el >= o->timeout_ms) {
			fprintf(stderr, "Timed out before log directory move%s could be started for: ",
				left == 1 ? "" : "s");
			int k = 0;
			for (int i = 0; i < n; i++)
				if (!m[i].done)
					fprintf(stderr, "%s%s-%d-%d", k++ ? "," : "", m[i].topic, m[i].partition,
						m[i].broker);
			fprintf(stderr, "\n");
			return 1;
		}
		usleep(100000);
	}
}

/* Kafka's findLogDirMoveStates and replicaMoveStatesToString: one line per
 * replica; returns the number not done. */
static int sm_rp_verify_moves(sm_rp_t *o, sm_rp_move_t *m, int n)
{
	int pending = 0;
	for (int i = 0; i < n; i++) {
		const char *cur = NULL, *fut = NULL;
		sm_arena_t a;
		sm_arena_init(&a);
		sm_net_client_t *c = sm_rp_broker(o, m[i].broker);
		sm_describe_log_dirs_resp_t dr;
		sm_describe_log_dirs_resp_init(&dr);
		if (c) {
			sm_describe_log_dirs_req_t req;
			sm_describe_log_dirs_req_init(&req);
			req.topics_cnt = -1;
			sm_wbuf_t body, resp;
			sm_wbuf_init(&body, 16);
			sm_wbuf_init(&resp, 1024);
			sm_describe_log_dirs_req_write(&body, 1, &req);
			if (!sm_net_client_request(c, SM_API_DESCRIBE_LOG_DIRS, 1, &body, 0, &resp, 30000)) {
				sm_rbuf_t rb;
				sm_rbuf_init(&rb, resp.p, resp.len);
				if (sm_describe_log_dirs_resp_read(&rb, 1, &a, &dr))
					sm_rp_fail("Bad DescribeLogDirs response from broker %d", m[i].broker);
			}
			sm_wbuf_free(&body);
			sm_wbuf_free(&resp);
			sm_net_client_destroy(c);
		}
		int found = 0;
		for (int d = 0; d < dr.results_cnt; d++) {
			if (dr.results[d].error_code)
				continue;
			for (int t = 0; t < dr.results[d].topics_cnt; t++) {
				if (strcmp(dr.results[d].topics[t].name, m[i].topic))
					continue;
				for (int q = 0; q < dr.results[d].topics[t].partitions_cnt; q++) {
					const sm_describe_log_dirs_resp_partition_t *p =
						&dr.results[d].topics[t].partitions[q];
					if (p->partition_index != m[i].partition)
						continue;
					found = 1;
					if (p->is_future_key)
						fut = dr.results[d].log_dir;
					else
						cur = dr.results[d].log_dir;
				}
			}
		}
		if (!found && dr.results_cnt == 0) {
			printf("Partition %s-%d cannot be found in any live log directory on broker %d.\n",
			       m[i].topic, m[i].partition, m[i].broker);
			pending++;
		} else if (!cur) {
			printf("Partition %s-%d is not found in any live log dir on broker %d. There is likely "
			       "an offline log directory on the broker.\n", m[i].topic, m[i].partition,
			       m[i].broker);
			pending++;
		} else if (fut) {
			if (!strcmp(fut, m[i].dir))
				printf("Reassignment of replica %s-%d-%d is still in progress.\n", m[i].topic,
				       m[i].partition, m[i].broker);
			else
				printf("Partition %s-%d on broker %d is being moved to log dir %s instead of %s.\n",
				       m[i].topic, m[i].partition, m[i].broker, fut, m[i].dir);
			pending++;
		} else if (!strcmp(cur, m[i].dir)) {
			printf("Reassignment of replica %s-%d-%d completed successfully.\n", m[i].topic,
			       m[i].partition, m[i].broker);
		} else {
			printf("Partition %s-%d on broker %d is not being moved from log dir %s to %s.\n",
			       m[i].topic, m[i].partition, m[i].broker, cur, m[i].dir);
		}
		sm_arena_destroy(&a);
	}
	return pending;
}

/* ---- throttles ---- */

#define SM_RP_LEADER_RATE "leader.replication.throttled.rate"
#define SM_RP_FOLLOWER_RATE "follower.replication.throttled.rate"
#define SM_RP_LOGDIR_RATE "replica.alter.log.dirs.io.max.bytes.per.second"
#define SM_RP_LEADER_REPLICAS "leader.replication.throttled.replicas"
#define SM_RP_FOLLOWER_REPLICAS "follower.replication.throttled.replicas"

/* A set of strings kept sorted (Kafka builds the throttle lists in a
 * TreeSet[String]) or of broker ids. */
typedef struct sm_rp_set {
	char **v;
	int n;
} sm_rp_set_t;

static void sm_rp_set_add(sm_rp_set_t *s, const char *x)
{
	int i = 0;
	while (i < s->n && strcmp(s->v[i], x) < 0)
		i++;
	if (i < s->n && !strcmp(s->v[i], x))
		return;
	s->v = sm_realloc(s->v, sizeof(*s->v) * (size_t)(s->n + 1));
	memmove(s->v + i + 1, s->v + i, sizeof(*s->v) * (size_t)(s->n - i));
	s->v[i] = sm_strdup(x);
	s->n++;
}

/* The members joined with ",", malloc'd. */
static char *sm_rp_set_join(const sm_rp_set_t *s)
{
	size_t len = 1;
	for (int i = 0; i < s->n; i++)
		len += strlen(s->v[i]) + 1;
	char *out = sm_calloc(len, 1);
	for (int i = 0; i < s->n; i++) {
		if (i)
			strcat(out, ",");
		strcat(out, s->v[i]);
	}
	return out;
}

static void sm_rp_set_free(sm_rp_set_t *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int sm_rp_ids_has(const int32_t *v, int n, int32_t x)
{
	for (int i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

static void sm_rp_ids_add(int32_t **v, int *n, int32_t x)
{
	if (sm_rp_ids_has(*v, *n, x))
		return;
	int i = *n;
	*v = sm_realloc(*v, sizeof(**v) * (size_t)(*n + 1));
	while (i > 0 && (*v)[i - 1] > x) {
		(*v)[i] = (*v)[i - 1];
		i--;
	}
	(*v)[i] = x;
	(*n)++;
}

/* IncrementalAlterConfigs v1 on one resource: SET keys[i] to values[i], or
 * DELETE it when values[i] is NULL. A broker resource goes to that broker,
 * a topic to the bootstrap broker. Exits on failure. */
static void sm_rp_incremental(sm_rp_t *o, int8_t rtype, const char *name, const char *const *keys,
			      const char *const *values, int n)
{
	sm_arena_t a;
	sm_arena_init(&a);
	sm_metadata_resp_t md;
	sm_rp_metadata(o, &a, &md);
	sm_net_client_t *c = NULL;
	if (rtype == SM_CONFIG_RESOURCE_BROKER) {
		int32_t id = (int32_t)strtol(name, NULL, 10);
		for (int i = 0; i < md.brokers_cnt && !c; i++)
			if (md.brokers[i].node_id == id) {
				char hp[300];
				snprintf(hp, sizeof(hp), "%s:%d", md.brokers[i].host, md.brokers[i].port);
				c = sm_rp_client(hp);
			}
		if (!c) {
			/* Kafka fails the whole change for a broker that is down */
			sm_rp_fail("Error while setting throttles: broker %s is not available", name);
		}
	}
	sm_incremental_alter_configs_req_resource_t res = { rtype, (char *)name, NULL, n };
	res.configs = sm_arena_alloc(&a, sizeof(*res.configs) * (size_t)(n + 1));
	for (int i = 0; i < n; i++)
		res.configs[i] = (sm_incremental_alter_configs_req_config_t){
			(char *)keys[i], values[i] ? SM_CONFIG_OP_SET : SM_CONFIG_OP_DELETE,
			(char *)(values[i] ? values[i] : "") };
	sm_incremental_alter_configs_req_t req = { &res, 1, 0 };
	sm_wbuf_t body, out;
	sm_wbuf_init(&body, 256);
	sm_wbuf_init(&out, 256);
	sm_incremental_alter_configs_req_write(&body, 1, &req);
	sm_net_client_t *via = c ? c : o->boot;
	if (sm_net_client_request(via, SM_API_INCREMENTAL_ALTER_CONFIGS, 1, &body,
				  sm_proto_is_flexible(SM_API_INCREMENTAL_ALTER_CONFIGS, 1), &out, 30000))
		sm_rp_fail("IncrementalAlterConfigs failed: %s", sm_net_client_last_error(via));
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, out.p, out.len);
	sm_incremental_alter_configs_resp_t r;
	if (sm_incremental_alter_configs_resp_read(&rb, 1, &a, &r) || r.responses_cnt != 1)
		sm_rp_fail("%s", "Bad IncrementalAlterConfigs response");
	if (r.responses[0].error_code)
		sm_rp_fail("Error while changing the configs of %s %s: %s",
			   rtype == SM_CONFIG_RESOURCE_BROKER ? "broker" : "topic", name,
			   r.responses[0].error_message ? r.responses[0].error_message
							: sm_err_name(r.responses[0].error_code));
	if (c)
		sm_net_client_destroy(c);
	sm_wbuf_free(&body);
	sm_wbuf_free(&out);
	sm_arena_destroy(&a);
}

/* Drops key from cfg; 1 if it was there. */
static int sm_rp_zk_config_del(sm_zk_config_t *cfg, const char *key)
{
	int found = 0;
	for (int i = 0; i < cfg->n; i++) {
		if (strcmp(cfg->keys[i], key))
			continue;
		free(cfg->keys[i]);
		free(cfg->values[i]);
		memmove(cfg->keys + i, cfg->keys + i + 1, sizeof(*cfg->keys) * (size_t)(cfg->n - i - 1));
		memmove(cfg->values + i, cfg->values + i + 1,
			sizeof(*cfg->values) * (size_t)(cfg->n - i - 1));
		cfg->n--;
		i--;
		found = 1;
	}
	return found;
}

/* The same change through ZooKeeper (AdminZkClient.changeTopicConfig /
 * changeBrokerConfig: the entity znode, then a change notification). With
 * only_if_changed, nothing is written unless a deleted key was there. */
static void sm_rp_zk_change(sm_rp_t *o, const char *type, const char *name, const char *const *keys,
			    const char *const *values, int n, int only_if_changed)
{
	sm_zk_config_t cfg = { 0 };
	if (sm_kzk_get_entity_config(o->zk, type, name, &cfg) != SM_ERR_NONE)
		sm_rp_fail("Cannot read /config/%s/%s", type, name);
	int changed = 0;
	for (int i = 0; i < n; i++) {
		if (values[i]) {
			sm_zk_config_set(&cfg, keys[i], values[i]);
			changed = 1;
		} else {
			changed |= sm_rp_zk_config_del(&cfg, keys[i]);
		}
	}
	if ((changed || !only_if_changed) && sm_kzk_set_entity_config(o->zk, type, name, &cfg) != SM_ERR_NONE)
		sm_rp_fail("Cannot write /config/%s/%s", type, name);
	sm_zk_config_clear(&cfg);
}

static void sm_rp_change(sm_rp_t *o, int8_t rtype, const char *name, const char *const *keys,
			 const char *const *values, int n, int only_if_changed)
{
	if (o->zk)
		sm_rp_zk_change(o, rtype == SM_CONFIG_RESOURCE_BROKER ? "brokers" : "topics", name, keys,
				values, n, only_if_changed);
	else
		sm_rp_incremental(o, rtype, name, keys, values, n);
}

/* Kafka's calculateProposedMoveMap, calculateLeaderThrottles,
 * calculateFollowerThrottles and calculateReassigningBrokers, then the
 * topic and broker throttle configs. */
static void sm_rp_set_throttles(sm_rp_t *o, const sm_kzk_reassignment_t *r, int n)
{
	int32_t *brokers = NULL;
	int nb = 0;
	for (int i = 0; i < n; i++) {
		int first = 1;
		for (int k = 0; k < i; k++)
			first &= strcmp(r[k].topic, r[i].topic) != 0;
		if (!first)
			continue;
		sm_rp_set_t leaders = { 0 }, followers = { 0 };
		for (int j = i; j < n; j++) {
			if (strcmp(r[j].topic, r[i].topic))
				continue;
			int nc;
			int32_t *cur = sm_rp_current(o, r[j].topic, r[j].partition, &nc);
			if (nc < 0)
				sm_rp_fail("Topic-partition %s-%d does not exist", r[j].topic, r[j].partition);
			char pair[32];
			for (int k = 0; k < nc; k++) {
				snprintf(pair, sizeof(pair), "%d:%d", r[j].partition, cur[k]);
				sm_rp_set_add(&leaders, pair);
				sm_rp_ids_add(&brokers, &nb, cur[k]);
			}
			for (int k = 0; k < r[j].n_replicas; k++) {
				if (sm_rp_ids_has(cur, nc, r[j].replicas[k]))
					continue;
				snprintf(pair, sizeof(pair), "%d:%d", r[j].partition, r[j].replicas[k]);
				sm_rp_set_add(&followers, pair);
				sm_rp_ids_add(&brokers, &nb, r[j].replicas[k]);
			}
			free(cur);
		}
		char *l = sm_rp_set_join(&leaders), *f = sm_rp_set_join(&followers);
		const char *keys[] = { SM_RP_LEADER_REPLICAS, SM_RP_FOLLOWER_REPLICAS };
		const char *values[] = { l, f };
		sm_rp_change(o, SM_CONFIG_RESOURCE_TOPIC, r[i].topic, keys, values, 2, 0);
		free(l);
		free(f);
		sm_rp_set_free(&leaders);
		sm_rp_set_free(&followers);
	}
	char rate[32];
	snprintf(rate, sizeof(rate), "%lld", (long long)o->throttle);
	for (int i = 0; i < nb; i++) {
		char id[16];
		snprintf(id, sizeof(id), "%d", brokers[i]);
		const char *keys[] = { SM_RP_LEADER_RATE, SM_RP_FOLLOWER_RATE };
		const char *values[] = { rate, rate };
		sm_rp_change(o, SM_CONFIG_RESOURCE_BROKER, id, keys, values, 2, 0);
	}
	free(brokers);
	printf("The inter-broker throttle limit was set to %lld B/s\n", (long long)o->throttle);
}

/* Kafka's clearAllThrottles: the broker-level throttles of every live broker
 * and every replica of the file, the topic-level ones of every topic of the
 * file. */
static void sm_rp_clear_throttles(sm_rp_t *o, const sm_kzk_reassignment_t *r, int n)
{
	int32_t *brokers = NULL;
	int nb = 0;
	if (o->zk) {
		int32_t *ids = NULL;
		int ni = 0;
		if (sm_kzk_get_broker_ids(o->zk, 0, &ids, &ni) == SM_ERR_NONE)
			for (int i = 0; i < ni; i++)
				sm_rp_ids_add(&brokers, &nb, ids[i]);
		free(ids);
	} else {
		sm_arena_t a;
		sm_arena_init(&a);
		sm_metadata_resp_t md;
		sm_rp_metadata(o, &a, &md);
		for (int i = 0; i < md.brokers_cnt; i++)
			sm_rp_ids_add(&brokers, &nb, md.brokers[i].node_id);
		sm_arena_destroy(&a);
	}
	for (int i = 0; i < n; i++)
		for (int k = 0; k < r[i].n_replicas; k++)
			sm_rp_ids_add(&brokers, &nb, r[i].replicas[k]);
	printf("Clearing broker-level throttles on broker%s ", nb == 1 ? "" : "s");
	sm_rp_ints(brokers, nb);
	printf("\n");
	fflush(stdout);
	for (int i = 0; i < nb; i++) {
		char id[16];
		snprintf(id, sizeof(id), "%d", brokers[i]);
		const char *keys[] = { SM_RP_LEADER_RATE, SM_RP_FOLLOWER_RATE, SM_RP_LOGDIR_RATE };
		const char *values[] = { NULL, NULL, NULL };
		/* a broker that is down keeps its throttle in bootstrap mode:
		 * it cannot be asked, as with Kafka's admin client */
		if (!o->zk) {
			int up = 0;
			sm_arena_t a;
			sm_arena_init(&a);
			sm_metadata_resp_t md;
			sm_rp_metadata(o, &a, &md);
			for (int b = 0; b < md.brokers_cnt; b++)
				up |= md.brokers[b].node_id == brokers[i];
			sm_arena_destroy(&a);
			if (!up)
				continue;
		}
		sm_rp_change(o, SM_CONFIG_RESOURCE_BROKER, id, keys, values, 3, 1);
	}
	free(brokers);
	sm_rp_set_t topics = { 0 };
	for (int i = 0; i < n; i++)
		sm_rp_set_add(&topics, r[i].topic);
	char *names = sm_rp_set_join(&topics);
	printf("Clearing topic-level throttles on topic%s %s\n", topics.n == 1 ? "" : "s", names);
	free(names);
	for (int i = 0; i < topics.n; i++) {
		const char *keys[] = { SM_RP_LEADER_REPLICAS, SM_RP_FOLLOWER_REPLICAS };
		const char *values[] = { NULL, NULL };
		sm_rp_change(o, SM_CONFIG_RESOURCE_TOPIC, topics.v[i], keys, values, 2, 1);
	}
	sm_rp_set_free(&topics);
}

/* Kafka's calculateMovingBrokers and modifyLogDirThrottle:
 * replica.alter.log.dirs.io.max.bytes.per.second on every broker with a
 * log dir move in the file. */
static void sm_rp_set_logdir_throttle(sm_rp_t *o, const sm_rp_move_t *m, int n)
{
	int32_t *brokers = NULL;
	int nb = 0;
	for (int i = 0; i < n; i++)
		sm_rp_ids_add(&brokers, &nb, m[i].broker);
	char rate[32];
	snprintf(rate, sizeof(rate), "%lld", (long long)o->logdir_throttle);
	for (int i = 0; i < nb; i++) {
		char id[16];
		snprintf(id, sizeof(id), "%d", brokers[i]);
		const char *keys[] = { SM_RP_LOGDIR_RATE };
		const char *values[] = { rate };
		sm_rp_change(o, SM_CONFIG_RESOURCE_BROKER, id, keys, values, 1, 0);
	}
	free(brokers);
	printf("The replica-alter-dir throttle limit was set to %lld B/s\n",
		       (long long)o->logdir_throttle);
}

static int sm_rp_execute(sm_rp_t *o, const sm_kzk_reassignment_t *r, int n,
			 const sm_rp_move_t *moves, int nm)
{
	sm_rp_print_current(o, r, n);
	if (o->throttle >= 0 || o->logdir_throttle >= 0)
		printf("Warning: You must run --verify periodically, until the reassignment completes, "
		       "to ensure the throttle is removed.\n");
	if (o->throttle >= 0)
		sm_rp_set_throttles(o, r, n);
	/* as Kafka: the throttles go on before anything starts moving */
	if (o->logdir_throttle >= 0)
		sm_rp_set_logdir_throttle(o, moves, nm);
	if (o->zk) {
		char *js = sm_kzk_reassignment_encode(r, n, 0);
		sm_err_t e = sm_zk_create(o->zk, SM_ZKPATH_REASSIGN_PARTITIONS, js, strlen(js), 0, NULL);
		free(js);
		if (e == SM_ERR__EXISTS)
			sm_rp_fail("%s", "There is an existing assignment running.");
		if (e)
			sm_rp_fail("Failed to create %s", SM_ZKPATH_REASSIGN_PARTITIONS);
	} else {
		int ok;
		if (sm_rp_alter(o, r, n, 0, &ok))
			return 1;
	}
	sm_rp_print_tps(n == 1 ? "Successfully started partition reassignment for "
			       : "Successfully started partition reassignments for ", r, n);
	return 0;
}

static int sm_rp_cancel(sm_rp_t *o, const sm_kzk_reassignment_t *r, int n)
{
	int ok = 0;
	if (sm_rp_alter(o, r, n, 1, &ok))
		return 1;
	if (!ok) {
		printf("None of the specified partition reassignments are active.\n");
		return 0;
	}
	sm_rp_print_tps("Successfully cancelled partition reassignment(s) for: ", r, n);
	return 0;
}

static const char *const sm_rp_usage_text =
	"This tool helps to move topic partitions between replicas.\n"
	"Option                                  Description\n"
	"--bootstrap-server <String>             the server(s) to use for bootstrapping.\n"
	"--broker-list <String>                  The list of brokers to which the partitions need to be reassigned in the form \"0,1,2\".\n"
	"--cancel                                Cancel an active reassignment.\n"
	"--execute                               Kick off the reassignment as specified by the --reassignment-json-file option.\n"
	"--generate                              Generate a candidate partition reassignment configuration.\n"
	"--list                                  List all active partition reassignments.\n"
	"--preserve-throttles                    Do not modify broker or topic throttles.\n"
	"--reassignment-json-file <String>       The JSON file with the partition reassignment configuration.\n"
	"--throttle <Long: throttle>             The movement of partitions between brokers will be throttled to this value (bytes/sec).\n"
	"--replica-alter-log-dirs-throttle <Long: replicaAlterLogDirsThrottle>\n"
	"                                        The movement of replicas between log directories on the same broker will be throttled to this value (bytes/sec).\n"
	"--timeout <Long>                        The maximum time in ms to wait for log directory replica assignment to begin. (default: 10000)\n"
	"--topics-to-move-json-file <String>     Generate a reassignment configuration to move the partitions of the specified topics.\n"
	"--verify                                Verify if the reassignment completed as specified by the --reassignment-json-file option.\n"
	"--zookeeper <String>                    DEPRECATED: the connection string for the zookeeper connection.\n";

int main(int argc, char **argv)
{
	sm_rp_t o = { 0 };
	o.timeout_ms = 10000;
	o.throttle = -1;
	o.logdir_throttle = -1;
	static const struct option opts[] = {
		{ "bootstrap-server", required_argument, NULL, 'b' },
		{ "zookeeper", required_argument, NULL, 'z' },
		{ "reassignment-json-file", required_argument, NULL, 'f' },
		{ "topics-to-move-json-file", required_argument, NULL, 't' },
		{ "throttle", required_argument, NULL, 'X' },
		{ "preserve-throttles", no_argument, NULL, 'P' },
		{ "broker-list", required_argument, NULL, 'l' },
		{ "generate", no_argument, NULL, 'G' }, { "execute", no_argument, NULL, 'E' },
		{ "verify", no_argument, NULL, 'V' }, { "list", no_argument, NULL, 'L' },
		{ "cancel", no_argument, NULL, 'C' }, { "help", no_argument, NULL, 'h' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "replica-alter-log-dirs-throttle", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'X': {
			char *end;
			errno = 0;
			long long v = strtoll(optarg, &end, 10);
			if (end == optarg || *end || errno)
				sm_rp_fail("Cannot parse --throttle %s as a number of bytes/sec", optarg);
			o.throttle = v;
			break;
		}
		case 'P': o.preserve_throttles = 1; break;
		case 'b': o.bootstrap = optarg; break;
		case 'z': o.zookeeper = optarg; break;
		case 'f': o.file = optarg; break;
		case 't': o.topics_file = optarg; break;
		case 'l': o.broker_list = optarg; break;
		case 'T': o.timeout_ms = atol(optarg); break;
		case 'R': {
			char *end;
			errno = 0;
			long long v = strtoll(optarg, &end, 10);
			if (end == optarg || *end || errno)
				sm_rp_fail("Cannot parse --replica-alter-log-dirs-throttle %s as a number of bytes/sec",
					   optarg);
			o.logdir_throttle = v;
			break;
		}
		case 'G': case 'E': case 'V': case 'L': case 'C':
			if (o.action)
				sm_rp_fail("%s", "Command must include exactly one action: --generate, --execute, --verify, --cancel, --list");
			o.action = (char)ch;
			break;
		case 'h': fputs(sm_rp_usage_text, stdout); return 0;
		default: fputs(sm_rp_usage_text, stderr); return 1;
		}
	}
	if (!o.action)
		sm_rp_fail("%s", "Command must include exactly one action: --generate, --execute, --verify, --cancel, --list");
	if (o.throttle >= 0 && o.action != 'E')
		sm_rp_fail("%s", "Option \"[throttle]\" can only be used with option \"[execute]\"");
	if (o.logdir_throttle >= 0 && o.action != 'E')
		sm_rp_fail("%s", "Option \"[replica-alter-log-dirs-throttle]\" can only be used with option \"[execute]\"");
	if (!!o.bootstrap == !!o.zookeeper)
		sm_rp_fail("%s", "Please specify --bootstrap-server");
	/* Kafka's bootstrapServerOnlyArgs: the throttle goes to the brokers
	 * with log dir moves, which only --bootstrap-server can start */
	if (o.zookeeper && o.logdir_throttle >= 0)
		sm_rp_fail("%s", "You must specify --bootstrap-server when using \"[replica-alter-log-dirs-throttle]\"");
	if (o.zookeeper && (o.action == 'L' || o.action == 'C'))
		sm_rp_fail("%s", "--zookeeper can only be used with --generate, --execute and --verify");
	if (o.zookeeper) {
		char err[256];
		if (!(o.zk = sm_zk_login_connect(o.zookeeper, -1, err, sizeof(err))))
			sm_rp_fail("%s", err);
	} else {
		o.boot = sm_rp_client(o.bootstrap);
	}
	int rc;
	if (o.action == 'G') {
		rc = sm_rp_generate(&o);
	} else if (o.action == 'L') {
		rc = sm_rp_list(&o);
	} else {
		if (!o.file)
			sm_rp_fail("%s", "Missing required argument \"[reassignment-json-file]\"");
		size_t len;
		char *txt = sm_rp_slurp(o.file, &len), err[256];
		sm_kzk_reassignment_t *r = NULL;
		int n = 0;
		if (sm_kzk_reassignment_decode(txt, len, &r, &n, err, sizeof(err)))
			sm_rp_fail("%s", err);
		int nm = 0;
		sm_rp_move_t *moves = o.action == 'C' ? NULL : sm_rp_parse_moves(txt, len, &nm);
		if (nm)
			qsort(moves, (size_t)nm, sizeof(*moves), sm_rp_move_cmp);
		if (nm && o.zk)
			sm_rp_fail("%s", o.action == 'E'
				   ? "bootstrap-server needs to be provided in order to reassign replica to the specified log directory"
				   : "bootstrap-server needs to be provided when replica reassignments are present.");
		int ongoing = 0;
		rc = o.action == 'E' ? sm_rp_execute(&o, r, n, moves, nm)
		     : o.action == 'V' ? sm_rp_verify(&o, r, n, &ongoing)
					 : sm_rp_cancel(&o, r, n);
		if (o.action == 'E' && !rc && nm)
			rc = sm_rp_execute_moves(&o, moves, nm);
		/* Kafka prints the replica moves' lines after the partitions',
		 * an empty line when there are none (through a broker) */
		if (o.action == 'V' && !o.zk && !nm)
			printf("\n");
		if (o.action == 'V' && nm && sm_rp_verify_moves(&o, moves, nm))
			ongoing = 1; /* still a status: exit 0, as Kafka */
		/* as Kafka: throttles go once nothing moves any more (partitions
		 * and log dir moves), whether or not the replica sets are the
		 * ones the file asked for */
		if (o.action == 'V' && !ongoing && !o.preserve_throttles) {
			fflush(stdout);
			sm_rp_clear_throttles(&o, r, n);
		}
		sm_rp_moves_free(moves, nm);
		sm_kzk_reassignments_free(r, n);
		free(txt);
	}
	if (o.boot)
		sm_net_client_destroy(o.boot);
	if (o.ctl)
		sm_net_client_destroy(o.ctl);
	if (o.zk)
		sm_zk_destroy(o.zk);
	return rc;
}
