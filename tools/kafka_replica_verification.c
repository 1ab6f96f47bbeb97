/*
 * kafka_replica_verification.c - kafka-replica-verification: checks that
 * every replica of the selected partitions holds the same batches (Kafka
 * 2.8's ReplicaVerificationTool). It reads the cluster metadata, takes the
 * starting offsets with ListOffsets from the leaders, then repeatedly
 * fetches with replica_id -2 (the debug consumer, which any replica
 * answers, up to its own high watermark) from every replica's broker and
 * compares the batches replica by replica: last offset and CRC. It prints
 * the largest lag every --report-interval-ms and exits 1 on an offset
 * mismatch.
 *
 * Thread-safety: a single-threaded command-line program.
 */
#include <getopt.h>
#include <inttypes.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "buf.h"
#include "msg_fetch.h"
#include "msg_list_offsets.h"
#include "msg_metadata.h"
#include "net_client.h"
#include "protocol.h"

#define SM_RV_FETCH_VERSION 11
#define SM_RV_MAX_REPLICAS 16

typedef struct sm_rv_broker {
	int32_t id;
	sm_net_client_t *client;
} sm_rv_broker_t;

typedef struct sm_rv_part {
	char *topic;
	int32_t partition;
	int32_t leader;
	int n_replicas;
	int32_t replicas[SM_RV_MAX_REPLICAS];
	int64_t offset;                          /* verified up to here */
	int64_t hw[SM_RV_MAX_REPLICAS];
	sm_wbuf_t data[SM_RV_MAX_REPLICAS];      /* fetched batches */
} sm_rv_part_t;

typedef struct sm_rv {
	const char *broker_list;
	const char *whitelist;
	int fetch_size, max_wait_ms;
	long long time;
	long long report_ms;
	sm_rv_broker_t *brokers;
	int n_brokers;
	sm_rv_part_t *parts;
	int n_parts;
	sm_arena_t arena;
} sm_rv_t;

static void sm_rv_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sm_rv_say(const char *fmt, ...)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct tm tm;
	localtime_r(&tv.tv_sec, &tm);
	char ts[64];
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	printf("%s,%03d: ", ts, (int)(tv.tv_usec / 1000));
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static sm_net_client_t *sm_rv_client(sm_rv_t *rv, int32_t id)
{
	for (int i = 0; i < rv->n_brokers; i++)
		if (rv->brokers[i].id == id)
			return rv->brokers[i].client;
	return NULL;
}

/* Metadata from the first broker of --broker-list that answers. */
static int sm_rv_metadata(sm_rv_t *rv, const regex_t *re)
{
	char *list = sm_strdup(rv->broker_list), *save = NULL;
	int rc = -1;
	for (char *hp = strtok_r(list, ",", &save); hp && rc; hp = strtok_r(NULL, ",", &save)) {
		char *colon = strrchr(hp, ':');
		if (!colon)
			continue;
		*colon = '\0';
		sm_net_client_t *c = sm_net_client_new(hp, atoi(colon + 1));
		sm_wbuf_t body, out;
		sm_wbuf_init(&body, 64);
		sm_wbuf_init(&out, 4096);
		sm_metadata_req_t req;
		sm_metadata_req_init(&req);
		req.topics_cnt = -1;
		req.allow_auto_topic_creation = 0;
		sm_metadata_req_write(&body, 7, &req);
		sm_metadata_resp_t md;
		sm_rbuf_t rb;
		if (!sm_net_client_request(c, SM_API_METADATA, 7, &body, 0, &out, 10000)) {
			sm_rbuf_init(&rb, out.p, out.len);
			if (!sm_metadata_resp_read(&rb, 7, &rv->arena, &md)) {
				rc = 0;
				rv->brokers = sm_calloc((size_t)md.brokers_cnt + 1, sizeof(*rv->brokers));
				for (int i = 0; i < md.brokers_cnt; i++) {
					rv->brokers[i].id = md.brokers[i].node_id;
					rv->brokers[i].client = sm_net_client_new(md.brokers[i].host, md.brokers[i].port);
					sm_net_client_set_client_id(rv->brokers[i].client, "ReplicaVerification");
				}
				rv->n_brokers = md.brokers_cnt;
				int total = 0;
				for (int t = 0; t < md.topics_cnt; t++)
					total += md.topics[t].partitions_cnt;
				rv->parts = sm_calloc((size_t)total + 1, sizeof(*rv->parts));
				for (int t = 0; t < md.topics_cnt; t++) {
					if (md.topics[t].error_code || regexec(re, md.topics[t].name, 0, NULL, 0))
						continue;
					for (int p = 0; p < md.topics[t].partitions_cnt; p++) {
						const sm_metadata_resp_partition_t *mp = &md.topics[t].partitions[p];
						sm_rv_part_t *x = &rv->parts[rv->n_parts++];
						x->topic = md.topics[t].name;
						x->partition = mp->partition_index;
						x->leader = mp->leader_id;
						x->n_replicas = mp->replica_nodes_cnt < SM_RV_MAX_REPLICAS
								? mp->replica_nodes_cnt : SM_RV_MAX_REPLICAS;
						memcpy(x->replicas, mp->replica_nodes, sizeof(int32_t) * (size_t)x->n_replicas);
						for (int r = 0; r < x->n_replicas; r++)
							sm_wbuf_init(&x->data[r], 0);
					}
				}
			}
		}
		sm_wbuf_free(&body);
		sm_wbuf_free(&out);
		sm_net_client_destroy(c);
	}
	free(list);
	return rc;
}

/* Starting offsets: ListOffsets v1 at --time from each leader. */
static int sm_rv_start_offsets(sm_rv_t *rv)
{
	for (int i = 0; i < rv->n_parts; i++) {
		sm_rv_part_t *x = &rv->parts[i];
		sm_net_client_t *c = sm_rv_client(rv, x->leader);
		if (!c)
			return -1;
		sm_list_offsets_req_partition_t p = { .partition_index = x->partition, .current_leader_epoch = -1,
						      .timestamp = rv->time, .max_num_offsets = 1 };
		sm_list_offsets_req_topic_t t = { .name = x->topic, .partitions = &p, .partitions_cnt = 1 };
		sm_list_offsets_req_t req = { .replica_id = -1, .topics = &t, .topics_cnt = 1 };
		sm_wbuf_t body, out;
		sm_wbuf_init(&body, 64);
		sm_wbuf_init(&out, 256);
		sm_list_offsets_req_write(&body, 1, &req);
		sm_list_offsets_resp_t r;
		sm_rbuf_t rb;
		int ok = !sm_net_client_request(c, SM_API_LIST_OFFSETS, 1, &body, 0, &out, 10000);
		sm_rbuf_init(&rb, out.p, out.len);
		ok = ok && !sm_list_offsets_resp_read(&rb, 1, &rv->arena, &r) && r.topics_cnt == 1 &&
		     r.topics[0].partitions_cnt == 1 && !r.topics[0].partitions[0].error_code;
		if (ok)
			x->offset = r.topics[0].partitions[0].offset;
		sm_wbuf_free(&body);
		sm_wbuf_free(&out);
		if (!ok)
			return -1;
	}
	return 0;
}

/* One Fetch (replica_id -2) to broker b for every partition it hosts;
 * keeps each replica's batches. */
static void sm_rv_fetch_broker(sm_rv_t *rv, sm_rv_broker_t *b)
{
	sm_arena_t a;
	sm_arena_init(&a);
	sm_fetch_req_t req = { .replica_id = -2, .max_wait_ms = rv->max_wait_ms, .min_bytes = 1,
			       .max_bytes = INT32_MAX, .session_epoch = -1, .rack_id = (char *)"" };
	req.topics = sm_arena_alloc(&a, sizeof(*req.topics) * (size_t)(rv->n_parts + 1));
	for (int i = 0; i < rv->n_parts; i++) {
		sm_rv_part_t *x = &rv->parts[i];
		for (int r = 0; r < x->n_replicas; r++) {
			if (x->replicas[r] != b->id)
				continue;
			sm_fetch_req_topic_t *t = &req.topics[req.topics_cnt++];
			t->topic = x->topic;
			t->partitions = sm_arena_alloc(&a, sizeof(*t->partitions));
			t->partitions_cnt = 1;
			t->partitions[0] = (sm_fetch_req_partition_t){
				.partition = x->partition, .current_leader_epoch = -1, .fetch_offset = x->offset,
				.last_fetched_epoch = -1, .log_start_offset = -1,
				.partition_max_bytes = rv->fetch_size };
		}
	}
	sm_wbuf_t body, out;
	sm_wbuf_init(&body, 256);
	sm_wbuf_init(&out, 4096);
	sm_fetch_req_write(&body, SM_RV_FETCH_VERSION, &req);
	sm_fetch_resp_t resp;
	sm_rbuf_t rb;
	if (req.topics_cnt > 0 &&
	    !sm_net_client_request(b->client, SM_API_FETCH, SM_RV_FETCH_VERSION, &body, 0, &out,
				   rv->max_wait_ms + 30000)) {
		sm_rbuf_init(&rb, out.p, out.len);
		if (!sm_fetch_resp_read(&rb, SM_RV_FETCH_VERSION, &a, &resp))
			for (int t = 0; t < resp.responses_cnt; t++)
				for (int j = 0; j < resp.responses[t].partitions_cnt; j++) {
					const sm_fetch_resp_partition_t *rp = &resp.responses[t].partitions[j];
					for (int i = 0; i < rv->n_parts; i++) {
						sm_rv_part_t *x = &rv->parts[i];
						if (x->partition != rp->partition_index || strcmp(x->topic, resp.responses[t].topic))
							continue;
						for (int r = 0; r < x->n_replicas; r++)
							if (x->replicas[r] == b->id && !rp->error_code) {
								x->hw[r] = rp->high_watermark;
								sm_wbuf_reset(&x->data[r]);
								if (rp->records.ptr && rp->records.len > 0)
									sm_wbuf_append(&x->data[r], rp->records.ptr,
										       (size_t)rp->records.len);
							}
					}
				}
	}
	sm_wbuf_free(&body);
	sm_wbuf_free(&out);
	sm_arena_destroy(&a);
}

/* Batch header at p: last offset and CRC; 0, or -1 if incomplete. */
static int sm_rv_batch(const sm_wbuf_t *w, size_t pos, int64_t *last, uint32_t *crc, size_t *size)
{
	if (pos + 27 > w->len)
		return -1;
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, w->p + pos, w->len - pos);
	int64_t base = sm_rbuf_i64(&rb);
	int32_t len = sm_rbuf_i32(&rb);
	sm_rbuf_skip(&rb, 5);
	*crc = sm_rbuf_u32(&rb);
	sm_rbuf_skip(&rb, 2);
	int32_t delta = sm_rbuf_i32(&rb);
	if (rb.err || len <= 0 || (size_t)len + 12 > w->len - pos)
		return -1;
	*last = base + delta;
	*size = (size_t)len + 12;
	return 0;
}

/* Compares the replicas' batches from x->offset on; returns -1 on an
 * offset mismatch. */
static int sm_rv_verify(sm_rv_part_t *x)
{
	size_t pos[SM_RV_MAX_REPLICAS] = { 0 };
	for (;;) {
		int64_t last0 = -1;
		uint32_t crc0 = 0;
		for (int r = 0; r < x->n_replicas; r++) {
			int64_t last;
			uint32_t crc;
			size_t size;
			do {
				if (sm_rv_batch(&x->data[r], pos[r], &last, &crc, &size))
					return 0; /* this replica has nothing more yet */
				if (last < x->offset)
					pos[r] += size;
			} while (last < x->offset);
			if (r == 0) {
				last0 = last;
				crc0 = crc;
			} else if (last != last0) {
				sm_rv_say("partition %s-%d: replica %d's offset %" PRId64 " doesn't match replica %d's offset %" PRId64,
					  x->topic, x->partition, x->replicas[0], last0, x->replicas[r], last);
				return -1;
			} else if (crc != crc0) {
				sm_rv_say("partition %s-%d has unmatched checksum at offset %" PRId64 "; replica %d's checksum %u; replica %d's checksum %u",
					  x->topic, x->partition, last, x->replicas[0], crc0, x->replicas[r], crc);
			}
		}
		for (int r = 0; r < x->n_replicas; r++) {
			int64_t last;
			uint32_t crc;
			size_t size;
			sm_rv_batch(&x->data[r], pos[r], &last, &crc, &size);
			pos[r] += size;
		}
		x->offset = last0 + 1;
	}
}

static int sm_rv_usage(const char *msg)
{
	if (msg)
		fprintf(stderr, "%s\n", msg);
	fprintf(stderr, "Validate that all replicas for a set of topics have the same data.\n"
			"usage: kafka-replica-verification --broker-list H:P[,H:P] [--topic-white-list RE] "
			"[--fetch-size N] [--max-wait-ms N] [--time -1|-2|TS] [--report-interval-ms N]\n");
	return 1;
}

static int sm_rv_parse(int argc, char **argv, sm_rv_t *rv)
{
	static const struct option longopts[] = {
		{ "broker-list", required_argument, NULL, 'b' },
		{ "topic-white-list", required_argument, NULL, 'w' },
		{ "fetch-size", required_argument, NULL, 'f' },
		{ "max-wait-ms", required_argument, NULL, 'm' },
		{ "time", required_argument, NULL, 't' },
		{ "report-interval-ms", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': rv->broker_list = optarg; break;
		case 'w': rv->whitelist = optarg; break;
		case 'f': rv->fetch_size = atoi(optarg); break;
		case 'm': rv->max_wait_ms = atoi(optarg); break;
		case 't': rv->time = atoll(optarg); break;
		case 'r': rv->report_ms = atoll(optarg); break;
		default: return sm_rv_usage(NULL);
		}
	}
	if (!rv->broker_list)
		return sm_rv_usage("Missing required argument \"[broker-list]\"");
	return 0;
}

static int64_t sm_rv_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Largest (highest replica HW - verified offset) over the partitions. */
static void sm_rv_report(sm_rv_t *rv)
{
	int64_t max_lag = -1;
	const sm_rv_part_t *worst = NULL;
	for (int i = 0; i < rv->n_parts; i++) {
		const sm_rv_part_t *x = &rv->parts[i];
		int64_t hw = x->offset;
		for (int r = 0; r < x->n_replicas; r++)
			if (x->hw[r] > hw)
				hw = x->hw[r];
		if (hw - x->offset > max_lag) {
			max_lag = hw - x->offset;
			worst = x;
		}
	}
	if (worst)
		sm_rv_say("max lag is %" PRId64 " for partition %s-%d at offset %" PRId64 " among %d partitions",
			  max_lag, worst->topic, worst->partition, worst->offset, rv->n_parts);
}

int main(int argc, char **argv)
{
	sm_rv_t rv = { .whitelist = ".*", .fetch_size = 1048576, .max_wait_ms = 1000, .time = -1,
		       .report_ms = 30000 };
	if (sm_rv_parse(argc, argv, &rv))
		return 1;
	regex_t re;
	if (regcomp(&re, rv.whitelist, REG_EXTENDED | REG_NOSUB)) {
		fprintf(stderr, "Invalid --topic-white-list %s\n", rv.whitelist);
		return 1;
	}
	sm_arena_init(&rv.arena);
	if (sm_rv_metadata(&rv, &re) || sm_rv_start_offsets(&rv)) {
		fprintf(stderr, "Unable to get the metadata and starting offsets from %s\n", rv.broker_list);
		return 1;
	}
	sm_rv_say("verification process is started.");
	int64_t last_report = sm_rv_mono();
	for (;;) {
		for (int b = 0; b < rv.n_brokers; b++)
			sm_rv_fetch_broker(&rv, &rv.brokers[b]);
		for (int i = 0; i < rv.n_parts; i++)
			if (sm_rv_verify(&rv.parts[i]))
				return 1;
		if (sm_rv_mono() - last_report >= rv.report_ms) {
			sm_rv_report(&rv);
			last_report = sm_rv_mono();
		}
	}
}
