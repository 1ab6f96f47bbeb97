/*
 * api_probe.c - sends every API the broker advertises in ApiVersions at every
 * advertised version, with requests built by Samsa's own codecs, and checks
 * each answer: it must parse at that version and carry the result a Kafka
 * 2.8 broker gives (data produced at one version is fetched back at every
 * version, in the message format of that version).
 *
 * Usage: api_probe HOST PORT TOPIC   (TOPIC: an existing 1-partition topic)
 * Prints one line per (API, version) and exits non-zero if any failed.
 * Inter-broker APIs are sent with controller epoch 0, which every broker
 * must refuse as stale once a controller has been elected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "message_set.h"
#include "msg_api_versions.h"
#include "msg_create_topics.h"
#include "msg_delete_topics.h"
#include "msg_fetch.h"
#include "msg_leader_and_isr.h"
#include "msg_list_offsets.h"
#include "msg_metadata.h"
#include "msg_produce.h"
#include "msg_stop_replica.h"
#include "msg_update_metadata.h"
#include "net_client.h"
#include "protocol.h"
#include "record_batch.h"

static sm_net_client_t *probe_client;
static const char *probe_topic;
static int probe_failures;
static int64_t probe_produced; /* records produced so far */

#define PROBE_FAIL(...)                                                        \
	do {                                                                   \
		snprintf(why, sizeof(why), __VA_ARGS__);                       \
		goto done;                                                     \
	} while (0)

/* Sends body at (key, ver); the decoded response body is left in resp. */
static int probe_call(int16_t key, int16_t ver, sm_wbuf_t *body, sm_wbuf_t *resp, char *why,
		      size_t whylen)
{
	int e = sm_net_client_request(probe_client, key, ver, body,
				      sm_proto_is_flexible(key, ver), resp, 10000);
	if (e) {
		snprintf(why, whylen, "request failed: %s (%s)", sm_err_name(e),
			 sm_net_client_last_error(probe_client));
		return -1;
	}
	return 0;
}

static int probe_api_versions(int16_t ver, char *why_out)
{
	char why[256] = "";
	sm_wbuf_t body, resp;
	sm_arena_t a;
	sm_wbuf_init(&body, 64);
	sm_wbuf_init(&resp, 1024);
	sm_arena_init(&a);
	sm_api_versions_req_t req;
	sm_api_versions_req_init(&req);
	req.client_software_name = "samsa-api-probe";
	req.client_software_version = "1.0";
	sm_api_versions_req_write(&body, ver, &req);
	if (probe_call(SM_API_API_VERSIONS, ver, &body, &resp, why, sizeof(why)))
		goto done;
	sm_api_versions_resp_t r;
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, resp.p, resp.len);
	if (sm_api_versions_resp_read(&rb, ver, &a, &r))
		PROBE_FAIL("response does not parse");
	if (r.error_code)
		PROBE_FAIL("error %s", sm_err_name(r.error_code));
	int found = 0;
	for (int i = 0; i < r.api_keys_cnt; i++)
		found |= r.api_keys[i].api_key == SM_API_API_VERSIONS;
	if (!found)
		PROBE_FAIL("ApiVersions missing from its own list");
done:
	strcpy(why_out, why);
	sm_wbuf_free(&body);
	sm_wbuf_free(&resp);
	sm_arena_destroy(&a);
	return why[0] ? -1 : 0;
}

static int probe_metadata(int16_t ver, char *why_out)
{
	char why[256] = "";
	sm_wbuf_t body, resp;
	sm_arena_t a;
	sm_wbuf_init(&body, 64);
	sm_wbuf_init(&resp, 1024);
	sm_arena_init(&a);
	sm_metadata_req_t req;
	sm_metadata_req_init(&req);
	sm_metadata_req_topic_t t = { .name = (char *)probe_topic };
	req.topics = &t;
	req.topics_cnt = 1;
	req.allow_auto_topic_creation = 0;
	sm_metadata_req_write(&body, ver, &req);
	if (probe_call(SM_API_METADATA, ver, &body, &resp, why, sizeof(why)))
		goto done;
	sm_metadata_resp_t r;
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, resp.p, resp.len);
	if (sm_metadata_resp_read(&rb, ver, &a, &r))
		PROBE_FAIL("response does not parse");
	if (r.brokers_cnt < 1)
		PROBE_FAIL("no brokers listed");
	if (r.topics_cnt != 1 || r.topics[0].error_code || r.topics[0].partitions_cnt != 1)
		PROBE_FAIL("topic not described (error %d)", r.topics_cnt ? r.topics[0].error_code : -999);
	if (r.topics[0].partitions[0].leader_id != r.brokers[0].node_id)
		PROBE_FAIL("leader %d is not the broker", r.topics[0].partitions[0].leader_id);
	if (ver >= 1 && r.controller_id != r.brokers[0].node_id)
		PROBE_FAIL("controller id %d", r.controller_id);
	if (ver >= 2 && (!r.cluster_id || strlen(r.cluster_id) != 22))
		PROBE_FAIL("cluster id missing");
done:
	strcpy(why_out, why);
	sm_wbuf_free(&body);
	sm_wbuf_free(&resp);
	sm_arena_destroy(&a);
	return why[0] ? -1 : 0;
}

/* Two records in the message format Produce version ver carries. */
static void probe_records(int16_t ver, sm_wbuf_t *out)
{
	char k[32], v1[32], v2[32];
	snprintf(k, sizeof(k), "key-v%d", ver);
	snprintf(v1, sizeof(v1), "value-a-v%d", ver);
	snprintf(v2, sizeof(v2), "value-b-v%d", ver);
	if (ver < 3) {
		int magic = ver < 2 ? 0 : 1;
		int64_t ts = magic ? 1700000000000LL : -1;
		sm_msgset_append(out, 0, magic, 0, ts, (const uint8_t *)k, (int32_t)strlen(k),
				 (const uint8_t *)v1, (int32_t)strlen(v1));
		sm_msgset_append(out, 1, magic, 0, ts, (const uint8_t *)k, (int32_t)strlen(k),
				 (const uint8_t *)v2, (int32_t)strlen(v2));
		return;
	}
	sm_record_t recs[2] = {
		{ .key = (const uint8_t *)k, .key_len = (int32_t)strlen(k),
		  .value = (const uint8_t *)v1, .value_len = (int32_t)strlen(v1), .timestamp = 1700000000000LL },
		{ .key = (const uint8_t *)k, .key_len = (int32_t)strlen(k),
		  .value = (const uint8_t *)v2, .value_len = (int32_t)strlen(v2), .timestamp = 1700000000001LL },
	};
	sm_batch_build(out, SM_CODEC_NONE, 0, 1700000000000LL, recs, 2);
}

static int probe_produce(int16_t ver, char *why_out)
{
	char why[256] = "";
	sm_wbuf_t body, resp, recs;
	sm_arena_t a;
	sm_wbuf_init(&body, 256);
	sm_wbuf_init(&resp, 256);
	sm_wbuf_init(&recs, 256);
	sm_arena_init(&a);
	probe_records(ver, &recs);
	sm_produce_req_partition_t p = { .index = 0 };
	p.records.ptr = recs.p;
	p.records.len = (int32_t)recs.len;
	sm_produce_req_topic_t t = { .name = (char *)probe_topic, .partitions = &p, .partition_count = 1 };
	sm_produce_req_t req = { .acks = 1, .timeout_ms = 10000, .topics = &t, .topic_count = 1 };
	sm_produce_req_write(&body, ver, &req);
	if (probe_call(SM_API_PRODUCE, ver, &body, &resp, why, sizeof(why)))
		goto done;
	sm_produce_resp_t r;
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, resp.p, resp.len);
	if (sm_produce_resp_read(&rb, ver, &a, &r))
		PROBE_FAIL("response does not parse");
	if (r.topic_count != 1 || r.topics[0].partition_count != 1)
		PROBE_FAIL("wrong response shape");
	const sm_produce_resp_partition_t *rp = &r.topics[0].partitions[0];
	if (rp->error_code)
		PROBE_FAIL("error %s", sm_err_name(rp->error_code));
	if (rp->base_offset != probe_produced)
		PROBE_FAIL("base offset %lld, expected %lld", (long long)rp->base_offset,
			   (long long)probe_produced);
	probe_produced += 2;
done:
	strcpy(why_out, why);
	sm_wbuf_free(&body);
	sm_wbuf_free(&resp);
	sm_wbuf_free(&recs);
	sm_arena_destroy(&a);
	return why[0] ? -1 : 0;
}

/* Counts the records of a fetched record set in the format of version ver
 * (magic 0/1 message sets below v4, v2 batches from v4). */
static int probe_count_records(int16_t ver, const uint8_t *p, size_t len, int *count)
{
	*count = 0;
	if (ver < 4) {
		sm_msgset_iter_t it;
		sm_legacy_msg_t m;
		int want_magic = ver < 2 ? 0 : 1, r;
		sm_msgset_iter_init(&it, p, len, 0);
		while ((r = sm_msgset_iter_next(&it, &m)) == 1) {
			if (m.magic != want_magic) {
				sm_msgset_iter_destroy(&it);
				return -1;
			}
			(*count)++;
		}
		sm_msgset_iter_destroy(&it);
		return r < 0 ? -1 : 0;
	}
	size_t off = 0;
	while (off + SM_LOG_OVERHEAD <= len) {
		int64_t n = sm_batch_entry_size(p + off, len - off);
		if (n <= 0)
			break;
		sm_batch_hdr_t h;
		if (sm_batch_hdr_parse(p + off, (size_t)n, &h) || h.magic != 2 ||
		    sm_batch_verify(p + off, (size_t)n))
			return -1;
		*count += h.record_count;
		off += (size_t)n;
	}
	return 0;
}

static int probe_fetch(int16_t ver, char *why_out)
{
	char why[256] = "";
	sm_wbuf_t body, resp;
	sm_arena_t a;
	sm_wbuf_init(&body, 256);
	sm_wbuf_init(&resp, 4096);
	sm_arena_init(&a);
	sm_fetch_req_partition_t p = { .partition = 0, .current_leader_epoch = -1,
				       .fetch_offset = 0, .last_fetched_epoch = -1,
				       .log_start_offset = -1, .partition_max_bytes = 1 << 20 };
	sm_fetch_req_topic_t t = { .topic = (char *)probe_topic, .partitions = &p, .partition_count = 1 };
	sm_fetch_req_t req = { .replica_id = -1, .max_wait_ms = 0, .min_bytes = 1,
			       .max_bytes = 1 << 24, .session_epoch = -1, .topics = &t,
			       .topic_count = 1, .rack_id = "" };
	sm_fetch_req_write(&body, ver, &req);
	if (probe_call(SM_API_FETCH, ver, &body, &resp, why, sizeof(why)))
		goto done;
	sm_fetch_resp_t r;
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, resp.p, resp.len);
	if (sm_fetch_resp_read(&rb, ver, &a, &r))
		PROBE_FAIL("response does not parse");
	if (r.topic_count != 1 || r.topics[0].partition_count != 1)
		PROBE_FAIL("wrong response shape");
	const sm_fetch_resp_partition_t *rp = &r.topics[0].partitions[0];
	if (rp->error_code)
		PROBE_FAIL("error %s", sm_err_name(rp->error_code));
	if (rp->high_watermark != probe_produced)
		PROBE_FAIL("high watermark %lld, expected %lld", (long long)rp->high_watermark,
			   (long long)probe_produced);
	if (ver >= 11 && rp->preferred_read_replica != -1)
		PROBE_FAIL("preferred_read_replica %d", rp->preferred_read_replica);
	int n;
	if (rp->records.len <= 0 || probe_count_records(ver, rp->records.ptr, (size_t)rp->records.len, &n))
		PROBE_FAIL("records missing or in the wrong format for this version");
	if (n != probe_produced)
		PROBE_FAIL("%d records, expected %lld", n, (long long)probe_produced);
done:
	strcpy(why_out, why);
	sm_wbuf_free(&body);
	sm_wbuf_free(&resp);
	sm_arena_destroy(&a);
	return why[0] ? -1 : 0;
}

static int probe_list_offsets(int16_t ver, char *why_out)
{
	char why[256] = "";
	sm_wbuf_t body, resp;
	sm_arena_t a;
	sm_wbuf_init(&body, 128);
	sm_wbuf_init(&resp, 256);
	sm_arena_init(&a);
	sm_list_offsets_req_partition_t p = { .partition_index = 0, .current_leader_epoch = -1,
					      .timestamp = SM_LIST_OFFSETS_LATEST_TIMESTAMP,
					      .max_num_offsets = 1 };
	sm_list_offsets_req_topic_t t = { .name = (char *)probe_topic, .partitions = &p, .partition_count = 1 };
	sm_list_offsets_req_t req = { .replica_id = -1, .topics = &t, .topic_count = 1 };
	sm_list_offsets_req_write(&body, ver, &req);
	if (probe_call(SM_API_LIST_OFFSETS, ver, &body, &resp, why, sizeof(why)))
		goto done;
	sm_list_offsets_resp_t r;
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, resp.p, resp.len);
	if (sm_list_offsets_resp_read(&rb, ver, &a, &r))
		PROBE_FAIL("response does not parse");
	if (r.topic_count != 1 || r.topics[0].partition_count != 1)
		PROBE_FAIL("wrong response shape");
	const sm_list_offsets_resp_partition_t *rp = &r.topics[0].partitions[0];
	if (rp->error_code)
		PROBE_FAIL("error %s", sm_err_name(rp->error_code));
	int64_t off = ver == 0 ? (rp->old_style_offset_count > 0 ? rp->old_style_offsets[0] : -1)
			       : rp->offset;
	if (off != probe_produced)
		PROBE_FAIL("latest offset %lld, expected %lld", (long long)off, (long long)probe_produced);
done:
	strcpy(why_out, why);
	sm_wbuf_free(&body);
	sm_wbuf_free(&resp);
	sm_arena_destroy(&a);
	return why[0] ? -1 : 0;
}

static int probe_create_delete(int16_t key, int16_t ver, char *why_out)
{
	char why[256] = "", name[64];
	sm_wbuf_t body, resp;
	sm_arena_t a;
	sm_wbuf_init(&body, 128);
	sm_wbuf_init(&resp, 256);
	sm_arena_init(&a);
	snprintf(name, sizeof(name), "probe-topic-v%d", ver);
	sm_rbuf_t rb;
	if (key == SM_API_CREATE_TOPICS) {
		sm_create_topics_req_t req;
		sm_create_topics_req_init(&req);
		sm_create_topics_req_topic_t t = { .name = name, .num_partitions = 1, .replication_factor = 1 };
		req.topics = &t;
		req.topics_cnt = 1;
		req.timeout_ms = 10000;
		sm_create_topics_req_write(&body, ver, &req);
		if (probe_call(key, ver, &body, &resp, why, sizeof(why)))
			goto done;
		sm_create_topics_resp_t r;
		sm_rbuf_init(&rb, resp.p, resp.len);
		if (sm_create_topics_resp_read(&rb, ver, &a, &r))
			PROBE_FAIL("response does not parse");
		if (r.topics_cnt != 1 || strcmp(r.topics[0].name, name))
			PROBE_FAIL("wrong response shape");
		if (r.topics[0].error_code)
			PROBE_FAIL("error %s", sm_err_name(r.topics[0].error_code));
	} else {
		sm_delete_topics_req_t req;
		sm_delete_topics_req_init(&req);
		sm_delete_topics_req_topic_t t = { .name = name };
		char *names[1] = { name };
		req.topics = &t;
		req.topics_cnt = 1;
		req.topic_names = names;
		req.topic_names_cnt = 1;
		req.timeout_ms = 10000;
		sm_delete_topics_req_write(&body, ver, &req);
		if (probe_call(key, ver, &body, &resp, why, sizeof(why)))
			goto done;
		sm_delete_topics_resp_t r;
		sm_rbuf_init(&rb, resp.p, resp.len);
		if (sm_delete_topics_resp_read(&rb, ver, &a, &r))
			PROBE_FAIL("response does not parse");
		if (r.responses_cnt != 1)
			PROBE_FAIL("wrong response shape");
		if (r.responses[0].error_code)
			PROBE_FAIL("error %s", sm_err_name(r.responses[0].error_code));
	}
done:
	strcpy(why_out, why);
	sm_wbuf_free(&body);
	sm_wbuf_free(&resp);
	sm_arena_destroy(&a);
	return why[0] ? -1 : 0;
}

/* Inter-broker APIs from a "controller" with epoch 0: a broker that has seen
 * the real controller answers STALE_CONTROLLER_EPOCH and changes nothing. */
static int probe_interbroker(int16_t key, int16_t ver, char *why_out)
{
	char why[256] = "";
	sm_wbuf_t body, resp;
	sm_arena_t a;
	sm_wbuf_init(&body, 128);
	sm_wbuf_init(&resp, 256);
	sm_arena_init(&a);
	int32_t replicas[1] = { 0 };
	int16_t err = 0;
	sm_rbuf_t rb;
	if (key == SM_API_LEADER_AND_ISR) {
		sm_leader_and_isr_partition_t p = { .topic = (char *)probe_topic, .leader = 0,
						    .isr = replicas, .isr_cnt = 1,
						    .replicas = replicas, .replicas_cnt = 1 };
		sm_leader_and_isr_req_t req = { .controller_id = 0, .controller_epoch = 0,
						.broker_epoch = -1, .partitions = &p, .partitions_cnt = 1 };
		sm_leader_and_isr_req_write(&body, ver, &req);
		if (probe_call(key, ver, &body, &resp, why, sizeof(why)))
			goto done;
		sm_leader_and_isr_resp_t r;
		sm_rbuf_init(&rb, resp.p, resp.len);
		if (sm_leader_and_isr_resp_read(&rb, ver, &a, &r))
			PROBE_FAIL("response does not parse");
		err = r.error_code;
	} else if (key == SM_API_UPDATE_METADATA) {
		sm_update_metadata_req_t req = { .controller_id = 0, .controller_epoch = 0, .broker_epoch = -1 };
		sm_update_metadata_req_write(&body, ver, &req);
		if (probe_call(key, ver, &body, &resp, why, sizeof(why)))
			goto done;
		sm_update_metadata_resp_t r;
		sm_rbuf_init(&rb, resp.p, resp.len);
		if (sm_update_metadata_resp_read(&rb, ver, &a, &r))
			PROBE_FAIL("response does not parse");
		err = r.error_code;
	} else {
		sm_stop_replica_partition_t p = { .topic = (char *)probe_topic, .partition = 0,
						  .leader_epoch = -1 };
		sm_stop_replica_req_t req = { .controller_id = 0, .controller_epoch = 0,
					      .broker_epoch = -1, .partitions = &p, .partitions_cnt = 1 };
		sm_stop_replica_req_write(&body, ver, &req);
		if (probe_call(key, ver, &body, &resp, why, sizeof(why)))
			goto done;
		sm_stop_replica_resp_t r;
		sm_rbuf_init(&rb, resp.p, resp.len);
		if (sm_stop_replica_resp_read(&rb, ver, &a, &r))
			PROBE_FAIL("response does not parse");
		err = r.error_code;
	}
	if (err != SM_ERR_STALE_CONTROLLER_EPOCH)
		PROBE_FAIL("error %s, expected STALE_CONTROLLER_EPOCH", sm_err_name(err));
done:
	strcpy(why_out, why);
	sm_wbuf_free(&body);
	sm_wbuf_free(&resp);
	sm_arena_destroy(&a);
	return why[0] ? -1 : 0;
}

static int probe_one(int16_t key, int16_t ver, char *why)
{
	switch (key) {
	case SM_API_API_VERSIONS: return probe_api_versions(ver, why);
	case SM_API_METADATA: return probe_metadata(ver, why);
	case SM_API_PRODUCE: return probe_produce(ver, why);
	case SM_API_FETCH: return probe_fetch(ver, why);
	case SM_API_LIST_OFFSETS: return probe_list_offsets(ver, why);
	case SM_API_CREATE_TOPICS:
	case SM_API_DELETE_TOPICS: return probe_create_delete(key, ver, why);
	case SM_API_LEADER_AND_ISR:
	case SM_API_UPDATE_METADATA:
	case SM_API_STOP_REPLICA: return probe_interbroker(key, ver, why);
	}
	snprintf(why, 256, "advertised, but the probe has no check for it");
	return -1;
}

/* Order matters: data is produced at every version before it is fetched and
 * listed at every version; topics are created before they are deleted. */
static const int16_t probe_order[] = {
	SM_API_API_VERSIONS, SM_API_METADATA, SM_API_PRODUCE, SM_API_FETCH,
	SM_API_LIST_OFFSETS, SM_API_CREATE_TOPICS, SM_API_DELETE_TOPICS,
	SM_API_LEADER_AND_ISR, SM_API_UPDATE_METADATA, SM_API_STOP_REPLICA,
};

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: api_probe HOST PORT TOPIC\n");
		return 2;
	}
	probe_topic = argv[3];
	probe_client = sm_net_client_new(argv[1], atoi(argv[2]));
	sm_net_client_set_client_id(probe_client, "api-probe");
	/* What does the broker advertise? */
	sm_wbuf_t body, resp;
	sm_wbuf_init(&body, 64);
	sm_wbuf_init(&resp, 1024);
	sm_api_versions_req_t avreq;
	sm_api_versions_req_init(&avreq);
	sm_api_versions_req_write(&body, 0, &avreq);
	if (sm_net_client_request(probe_client, SM_API_API_VERSIONS, 0, &body, 0, &resp, 10000)) {
		fprintf(stderr, "api_probe: no ApiVersions answer: %s\n", sm_net_client_last_error(probe_client));
		return 1;
	}
	sm_arena_t a;
	sm_arena_init(&a);
	sm_api_versions_resp_t av;
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, resp.p, resp.len);
	if (sm_api_versions_resp_read(&rb, 0, &a, &av) || av.error_code) {
		fprintf(stderr, "api_probe: bad ApiVersions v0 answer\n");
		return 1;
	}
	int advertised_checked = 0;
	for (size_t o = 0; o < sizeof(probe_order) / sizeof(probe_order[0]); o++) {
		for (int i = 0; i < av.api_keys_cnt; i++) {
			if (av.api_keys[i].api_key != probe_order[o])
				continue;
			advertised_checked++;
			for (int16_t v = av.api_keys[i].min_version; v <= av.api_keys[i].max_version; v++) {
				char why[256] = "";
				int r = probe_one(av.api_keys[i].api_key, v, why);
				printf("%-4s %s v%d%s%s\n", r ? "FAIL" : "ok", sm_proto_api_name(av.api_keys[i].api_key),
				       v, r ? ": " : "", why);
				probe_failures += r != 0;
			}
		}
	}
	/* KIP-511: a too-new ApiVersions gets a v0 answer with
	 * UNSUPPORTED_VERSION and the ApiVersions range. */
	sm_wbuf_reset(&body);
	sm_wbuf_reset(&resp);
	sm_api_versions_req_write(&body, 3, &avreq);
	sm_api_versions_resp_t fb;
	int fr = sm_net_client_request_hdr(probe_client, SM_API_API_VERSIONS, 4, &body, 2, 0, &resp, 10000);
	sm_rbuf_init(&rb, resp.p, resp.len);
	int fb_ok = !fr && !sm_api_versions_resp_read(&rb, 0, &a, &fb) &&
		    fb.error_code == SM_ERR_UNSUPPORTED_VERSION && fb.api_keys_cnt == 1 &&
		    fb.api_keys[0].api_key == SM_API_API_VERSIONS && fb.api_keys[0].max_version == 3;
	printf("%-4s ApiVersions v4 (unsupported) answered in v0 with UNSUPPORTED_VERSION\n",
	       fb_ok ? "ok" : "FAIL");
	probe_failures += !fb_ok;
	if (advertised_checked != av.api_keys_cnt) {
		printf("FAIL the broker advertises %d APIs, the probe covers %d\n", av.api_keys_cnt,
		       advertised_checked);
		probe_failures++;
	}
	sm_arena_destroy(&a);
	sm_wbuf_free(&body);
	sm_wbuf_free(&resp);
	sm_net_client_destroy(probe_client);
	printf("%s: %d failures\n", probe_failures ? "FAILED" : "all advertised versions work", probe_failures);
	return probe_failures ? 1 : 0;
}
