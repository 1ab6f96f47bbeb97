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
#include <time.h>

#include "err.h"
#include "message_set.h"
#include "msg_api_versions.h"
#include "msg_alter_partition_reassignments.h"
#include "msg_controlled_shutdown.h"
#include "msg_create_partitions.h"
#include "msg_create_topics.h"
#include "msg_delete_records.h"
#include "msg_delete_topics.h"
#include "msg_alter_configs.h"
#include "msg_describe_configs.h"
#include "msg_describe_log_dirs.h"
#include "msg_alter_replica_log_dirs.h"
#include "msg_incremental_alter_configs.h"
#include "msg_init_producer_id.h"
#include "msg_alter_client_quotas.h"
#include "msg_alter_user_scram_credentials.h"
#include "msg_describe_client_quotas.h"
#include "msg_describe_user_scram_credentials.h"
#include "msg_sasl_authenticate.h"
#include "msg_sasl_handshake.h"
#include "msg_elect_leaders.h"
#include "msg_fetch.h"
#include "msg_leader_and_isr.h"
#include "msg_list_offsets.h"
#include "msg_list_partition_reassignments.h"
#include "msg_metadata.h"
#include "msg_offset_for_leader_epoch.h"
#include "msg_produce.h"
#include "msg_interbroker.h"
#include "msg_stop_replica.h"
#include "msg_update_metadata.h"
#include "msg_delete_groups.h"
#include "msg_describe_groups.h"
#include "msg_find_coordinator.h"
#include "msg_heartbeat.h"
#include "msg_join_group.h"
#include "msg_leave_group.h"
#include "msg_list_groups.h"
#include "msg_offset_commit.h"
#include "msg_offset_delete.h"
#include "msg_describe_cluster.h"
#include "msg_offset_fetch.h"
#include "msg_create_acls.h"
#include "msg_delete_acls.h"
#include "msg_describe_acls.h"
#include "msg_sync_group.h"
#include "msg_txn_offset_commit.h"
#include "msg_write_txn_markers.h"
#include "msg_add_offsets_to_txn.h"
#include "msg_add_partitions_to_txn.h"
#include "msg_end_txn.h"
#include "net_client.h"
#include "protocol.h"
#include "record_batch.h"
#include "zk_data.h"

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

/* One exchange of a probe: the request body it writes, the response body
 * the broker sends back, the arena the response is read into and a reader
 * over the response. A probe states its request and its check; the rest is
 * px_init, px_call and px_free (or px_done). */
typedef struct probe_x {
	sm_wbuf_t body, resp;
	sm_arena_t a;
	sm_rbuf_t rb;
} probe_x_t;

static void px_init(probe_x_t *x)
{
	sm_wbuf_init(&x->body, 128);
	sm_wbuf_init(&x->resp, 1024);
	sm_arena_init(&x->a);
	sm_rbuf_init(&x->rb, NULL, 0);
}

/* Sends x->body at (key, ver) and points x->rb at the response body; -1
 * (why says why) when the request failed. */
static int px_call(probe_x_t *x, int16_t key, int16_t ver, char *why, size_t whylen)
{
	int rc = probe_call(key, ver, &x->body, &x->resp, why, whylen);
	sm_rbuf_init(&x->rb, x->resp.p, x->resp.len);
	return rc;
}

static void px_free(probe_x_t *x)
{
	sm_wbuf_free(&x->body);
	sm_wbuf_free(&x->resp);
	sm_arena_destroy(&x->a);
}

/* The end of a probe that fails through PROBE_FAIL: hands why out, frees
 * the exchange; -1 when the probe failed. */
static int px_done(probe_x_t *x, const char *why, char *why_out)
{
	strcpy(why_out, why);
	px_free(x);
	return why[0] ? -1 : 0;
}

static int probe_api_versions(int16_t ver, char *why_out)
{
	char why[256] = "";
	probe_x_t x;
	px_init(&x);
	sm_api_versions_req_t req;
	sm_api_versions_req_init(&req);
	req.client_software_name = "samsa-api-probe";
	req.client_software_version = "1.0";
	sm_api_versions_req_write(&x.body, ver, &req);
	if (px_call(&x, SM_API_API_VERSIONS, ver, why, sizeof(why)))
		goto done;
	sm_api_versions_resp_t r;
	if (sm_api_versions_resp_read(&x.rb, ver, &x.a, &r))
		PROBE_FAIL("response does not parse");
	if (r.error_code)
		PROBE_FAIL("error %s", sm_err_name(r.error_code));
	int found = 0;
	for (int i = 0; i < r.api_keys_cnt; i++)
		found |= r.api_keys[i].api_key == SM_API_API_VERSIONS;
	if (!found)
		PROBE_FAIL("ApiVersions missing from its own list");
done:
	return px_done(&x, why, why_out);
}

static int probe_metadata(int16_t ver, char *why_out)
{
	char why[256] = "";
	probe_x_t x;
	px_init(&x);
	sm_metadata_req_t req;
	sm_metadata_req_init(&req);
	sm_metadata_req_topic_t t = { .name = (char *)probe_topic };
	req.topics = &t;
	req.topics_cnt = 1;
	req.allow_auto_topic_creation = 0;
	sm_metadata_req_write(&x.body, ver, &req);
	if (px_call(&x, SM_API_METADATA, ver, why, sizeof(why)))
		goto done;
	sm_metadata_resp_t r;
	if (sm_metadata_resp_read(&x.rb, ver, &x.a, &r))
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
	return px_done(&x, why, why_out);
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
	probe_x_t x;
	sm_wbuf_t recs;
	px_init(&x);
	sm_wbuf_init(&recs, 256);
	probe_records(ver, &recs);
	sm_produce_req_partition_data_t p = { .index = 0 };
	p.records.ptr = recs.p;
	p.records.len = (int32_t)recs.len;
	sm_produce_req_topic_data_t t = { .name = (char *)probe_topic, .partition_data = &p,
					  .partition_data_cnt = 1 };
	sm_produce_req_t req = { .acks = 1, .timeout_ms = 10000, .topic_data = &t, .topic_data_cnt = 1 };
	sm_produce_req_write(&x.body, ver, &req);
	if (px_call(&x, SM_API_PRODUCE, ver, why, sizeof(why)))
		goto done;
	sm_produce_resp_t r;
	if (sm_produce_resp_read(&x.rb, ver, &x.a, &r))
		PROBE_FAIL("response does not parse");
	if (r.responses_cnt != 1 || r.responses[0].partition_responses_cnt != 1)
		PROBE_FAIL("wrong response shape");
	const sm_produce_resp_partition_response_t *rp = &r.responses[0].partition_responses[0];
	if (rp->error_code)
		PROBE_FAIL("error %s", sm_err_name(rp->error_code));
	if (rp->base_offset != probe_produced)
		PROBE_FAIL("base offset %lld, expected %lld", (long long)rp->base_offset,
			   (long long)probe_produced);
	probe_produced += 2;
done:
	sm_wbuf_free(&recs);
	return px_done(&x, why, why_out);
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
	probe_x_t x;
	px_init(&x);
	/* Partition 99 does not exist: its error answer must carry an empty
	 * record set (Kafka's MemoryRecords.EMPTY), not a null one. */
	sm_fetch_req_partition_t p[2] = {
		{ .partition = 0, .current_leader_epoch = -1, .fetch_offset = 0,
		  .last_fetched_epoch = -1, .log_start_offset = -1, .partition_max_bytes = 1 << 20 },
		{ .partition = 99, .current_leader_epoch = -1, .fetch_offset = 0,
		  .last_fetched_epoch = -1, .log_start_offset = -1, .partition_max_bytes = 1 << 20 },
	};
	sm_fetch_req_topic_t t = { .topic = (char *)probe_topic, .partitions = p, .partitions_cnt = 2 };
	sm_fetch_req_t req = { .replica_id = -1, .max_wait_ms = 0, .min_bytes = 1,
			       .max_bytes = 1 << 24, .session_epoch = -1, .topics = &t,
			       .topics_cnt = 1, .rack_id = "" };
	sm_fetch_req_write(&x.body, ver, &req);
	if (px_call(&x, SM_API_FETCH, ver, why, sizeof(why)))
		goto done;
	sm_fetch_resp_t r;
	if (sm_fetch_resp_read(&x.rb, ver, &x.a, &r))
		PROBE_FAIL("response does not parse");
	if (r.responses_cnt != 1 || r.responses[0].partitions_cnt != 2)
		PROBE_FAIL("wrong response shape");
	const sm_fetch_resp_partition_t *rp = &r.responses[0].partitions[0];
	const sm_fetch_resp_partition_t *missing = &r.responses[0].partitions[1];
	if (rp->partition_index != 0 || missing->partition_index != 99)
		PROBE_FAIL("partitions answered in the wrong order");
	if (missing->error_code != SM_ERR_UNKNOWN_TOPIC_OR_PARTITION || missing->records.len != 0)
		PROBE_FAIL("unknown partition: error %s, records length %d (expected "
			   "UNKNOWN_TOPIC_OR_PARTITION and 0)", sm_err_name(missing->error_code),
			   (int)missing->records.len);
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
	return px_done(&x, why, why_out);
}

static int probe_list_offsets(int16_t ver, char *why_out)
{
	char why[256] = "";
	probe_x_t x;
	px_init(&x);
	sm_list_offsets_req_partition_t p = { .partition_index = 0, .current_leader_epoch = -1,
					      .timestamp = SM_LIST_OFFSETS_LATEST_TIMESTAMP,
					      .max_num_offsets = 1 };
	sm_list_offsets_req_topic_t t = { .name = (char *)probe_topic, .partitions = &p, .partitions_cnt = 1 };
	sm_list_offsets_req_t req = { .replica_id = -1, .topics = &t, .topics_cnt = 1 };
	sm_list_offsets_req_write(&x.body, ver, &req);
	if (px_call(&x, SM_API_LIST_OFFSETS, ver, why, sizeof(why)))
		goto done;
	sm_list_offsets_resp_t r;
	if (sm_list_offsets_resp_read(&x.rb, ver, &x.a, &r))
		PROBE_FAIL("response does not parse");
	if (r.topics_cnt != 1 || r.topics[0].partitions_cnt != 1)
		PROBE_FAIL("wrong response shape");
	const sm_list_offsets_resp_partition_t *rp = &r.topics[0].partitions[0];
	if (rp->error_code)
		PROBE_FAIL("error %s", sm_err_name(rp->error_code));
	int64_t off = ver == 0 ? (rp->old_style_offsets_cnt > 0 ? rp->old_style_offsets[0] : -1)
			       : rp->offset;
	if (off != probe_produced)
		PROBE_FAIL("latest offset %lld, expected %lld", (long long)off, (long long)probe_produced);
done:
	return px_done(&x, why, why_out);
}

/* The probe topic was created on this broker, so its only leader epoch is 0
 * and that epoch ends at the log end offset. */
static int probe_offset_for_leader_epoch(int16_t ver, char *why_out)
{
	char why[256] = "";
	probe_x_t x;
	px_init(&x);
	sm_offset_for_leader_epoch_req_partition_t p = { .partition = 0, .current_leader_epoch = -1, .leader_epoch = 0 };
	sm_offset_for_leader_epoch_req_topic_t t = { .topic = (char *)probe_topic, .partitions = &p, .partitions_cnt = 1 };
	sm_offset_for_leader_epoch_req_t req = { .replica_id = -1, .topics = &t, .topics_cnt = 1 };
	sm_offset_for_leader_epoch_req_write(&x.body, ver, &req);
	if (px_call(&x, SM_API_OFFSET_FOR_LEADER_EPOCH, ver, why, sizeof(why)))
		goto done;
	sm_offset_for_leader_epoch_resp_t r;
	if (sm_offset_for_leader_epoch_resp_read(&x.rb, ver, &x.a, &r))
		PROBE_FAIL("response does not parse");
	if (r.topics_cnt != 1 || r.topics[0].partitions_cnt != 1)
		PROBE_FAIL("wrong response shape");
	const sm_offset_for_leader_epoch_resp_partition_t *rp = &r.topics[0].partitions[0];
	if (rp->error_code)
		PROBE_FAIL("error %s", sm_err_name(rp->error_code));
	if (rp->end_offset != probe_produced)
		PROBE_FAIL("end offset %lld, expected %lld", (long long)rp->end_offset,
			   (long long)probe_produced);
	if (ver >= 1 && rp->leader_epoch != 0)
		PROBE_FAIL("leader epoch %d, expected 0", rp->leader_epoch);
done:
	return px_done(&x, why, why_out);
}

/* KIP-525: a v5+ CreateTopics answer lists every topic config; the override
 * is DYNAMIC_TOPIC_CONFIG with its canonical value, an untouched config
 * (preallocate, not set by the harness) is DEFAULT_CONFIG. */
static int probe_create_configs(const sm_create_topics_resp_topic_t *t, char *why, size_t len)
{
	int seen = 0;
	if (t->num_partitions != 1 || t->replication_factor != 1) {
		snprintf(why, len, "partitions %d, replication factor %d, expected 1 and 1",
			 t->num_partitions, t->replication_factor);
		return -1;
	}
	if (t->configs_cnt != 26) {
		snprintf(why, len, "%d configs, expected LogConfig's 26", t->configs_cnt);
		return -1;
	}
	for (int i = 0; i < t->configs_cnt; i++) {
		const sm_create_topics_resp_config_t *c = &t->configs[i];
		if (c->read_only || c->is_sensitive) {
			snprintf(why, len, "config %s read-only or sensitive", c->name);
			return -1;
		}
		if (!strcmp(c->name, "retention.ms")) {
			seen++;
			if (c->config_source != SM_CONFIG_SOURCE_DYNAMIC_TOPIC || !c->value ||
			    strcmp(c->value, "3600000")) {
				snprintf(why, len, "retention.ms = %s (source %d), expected 3600000 (1)",
					 c->value ? c->value : "null", c->config_source);
				return -1;
			}
		} else if (!strcmp(c->name, "preallocate")) {
			seen++;
			if (c->config_source != SM_CONFIG_SOURCE_DEFAULT || !c->value ||
			    strcmp(c->value, "false")) {
				snprintf(why, len, "preallocate = %s (source %d), expected false (5)",
					 c->value ? c->value : "null", c->config_source);
				return -1;
			}
		} else if (c->config_source == SM_CONFIG_SOURCE_DYNAMIC_TOPIC) {
			snprintf(why, len, "%s reported as a topic override", c->name);
			return -1;
		}
	}
	if (seen != 2) {
		snprintf(why, len, "retention.ms or preallocate missing from the configs");
		return -1;
	}
	return 0;
}

static int probe_create_delete(int16_t key, int16_t ver, char *why_out)
{
	char why[256] = "", name[64];
	probe_x_t x;
	px_init(&x);
	snprintf(name, sizeof(name), "probe-topic-v%d", ver);
	if (key == SM_API_CREATE_TOPICS) {
		sm_create_topics_req_t req;
		sm_create_topics_req_init(&req);
		sm_create_topics_req_config_t over = { .name = "retention.ms", .value = " 3600000" };
		sm_create_topics_req_topic_t t = { .name = name, .num_partitions = 1, .replication_factor = 1,
						   .configs = &over, .configs_cnt = 1 };
		req.topics = &t;
		req.topics_cnt = 1;
		req.timeout_ms = 10000;
		sm_create_topics_req_write(&x.body, ver, &req);
		if (px_call(&x, key, ver, why, sizeof(why)))
			goto done;
		sm_create_topics_resp_t r;
		if (sm_create_topics_resp_read(&x.rb, ver, &x.a, &r))
			PROBE_FAIL("response does not parse");
		if (r.topics_cnt != 1 || strcmp(r.topics[0].name, name))
			PROBE_FAIL("wrong response shape");
		if (r.topics[0].error_code)
			PROBE_FAIL("error %s", sm_err_name(r.topics[0].error_code));
		if (ver >= 5 && probe_create_configs(&r.topics[0], why, sizeof(why)))
			goto done;
		/* timeout_ms 0: Kafka starts the creation and answers at once
		 * with REQUEST_TIMED_OUT (clients treat it as under way). */
		snprintf(name, sizeof(name), "probe-topic-t0-v%d", ver);
		req.timeout_ms = 0;
		sm_wbuf_reset(&x.body);
		sm_wbuf_reset(&x.resp);
		sm_create_topics_req_write(&x.body, ver, &req);
		if (px_call(&x, key, ver, why, sizeof(why)))
			goto done;
		if (sm_create_topics_resp_read(&x.rb, ver, &x.a, &r))
			PROBE_FAIL("timeout 0: response does not parse");
		if (r.topics_cnt != 1 || r.topics[0].error_code != SM_ERR_REQUEST_TIMED_OUT)
			PROBE_FAIL("timeout 0: error %s, expected REQUEST_TIMED_OUT",
				   r.topics_cnt == 1 ? sm_err_name(r.topics[0].error_code) : "?");
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
		sm_delete_topics_req_write(&x.body, ver, &req);
		if (px_call(&x, key, ver, why, sizeof(why)))
			goto done;
		sm_delete_topics_resp_t r;
		if (sm_delete_topics_resp_read(&x.rb, ver, &x.a, &r))
			PROBE_FAIL("response does not parse");
		if (r.responses_cnt != 1)
			PROBE_FAIL("wrong response shape");
		if (r.responses[0].error_code)
			PROBE_FAIL("error %s", sm_err_name(r.responses[0].error_code));
	}
done:
	return px_done(&x, why, why_out);
}

/* Inter-broker APIs from a "controller" with epoch 0: a broker that has seen
 * the real controller answers STALE_CONTROLLER_EPOCH and changes nothing. */
static int probe_interbroker(int16_t key, int16_t ver, char *why_out)
{
	char why[256] = "";
	probe_x_t x;
	px_init(&x);
	int32_t replicas[1] = { 0 };
	int16_t err = 0;
	if (key == SM_API_LEADER_AND_ISR) {
		sm_leader_and_isr_req_partition_state_t p;
		sm_leader_and_isr_req_partition_state_init(&p);
		p.topic_name = (char *)probe_topic;
		p.isr = p.replicas = replicas;
		p.isr_cnt = p.replicas_cnt = 1;
		sm_leader_and_isr_req_t req;
		sm_leader_and_isr_req_init(&req);
		req.ungrouped_partition_states = &p;
		req.ungrouped_partition_states_cnt = 1;
		sm_leader_and_isr_nest(&req, ver, NULL, 0, &x.a);
		sm_leader_and_isr_req_write(&x.body, ver, &req);
		if (px_call(&x, key, ver, why, sizeof(why)))
			goto done;
		sm_leader_and_isr_resp_t r;
		if (sm_leader_and_isr_resp_read(&x.rb, ver, &x.a, &r))
			PROBE_FAIL("response does not parse");
		err = r.error_code;
	} else if (key == SM_API_UPDATE_METADATA) {
		sm_update_metadata_req_t req;
		sm_update_metadata_req_init(&req);
		sm_update_metadata_req_write(&x.body, ver, &req);
		if (px_call(&x, key, ver, why, sizeof(why)))
			goto done;
		sm_update_metadata_resp_t r;
		if (sm_update_metadata_resp_read(&x.rb, ver, &x.a, &r))
			PROBE_FAIL("response does not parse");
		err = r.error_code;
	} else {
		sm_stop_replica_partition_t p = { .topic = (char *)probe_topic, .partition = 0,
						  .leader_epoch = -1 };
		sm_stop_replica_req_t req;
		sm_stop_replica_req_init(&req);
		sm_stop_replica_nest(&req, ver, &p, 1, &x.a);
		sm_stop_replica_req_write(&x.body, ver, &req);
		if (px_call(&x, key, ver, why, sizeof(why)))
			goto done;
		sm_stop_replica_resp_t r;
		if (sm_stop_replica_resp_read(&x.rb, ver, &x.a, &r))
			PROBE_FAIL("response does not parse");
		err = r.error_code;
	}
	if (err != SM_ERR_STALE_CONTROLLER_EPOCH)
		PROBE_FAIL("error %s, expected STALE_CONTROLLER_EPOCH", sm_err_name(err));
done:
	return px_done(&x, why, why_out);
}

/* Controller admin APIs, non-destructively: ControlledShutdown for an
 * unregistered broker (BROKER_NOT_AVAILABLE), a preferred election of the
 * probe topic's only partition (ELECTION_NOT_NEEDED), CreatePartitions to
 * the current count (INVALID_PARTITIONS), cancelling a reassignment that
 * is not running (NO_REASSIGNMENT_IN_PROGRESS) and listing none. */
static int probe_cluster_admin(int16_t key, int16_t ver, char *why_out)
{
	char why[256] = "";
	probe_x_t x;
	px_init(&x);
	int16_t err = -1, want;
	if (key == SM_API_CONTROLLED_SHUTDOWN) {
		want = SM_ERR_BROKER_NOT_AVAILABLE;
		sm_controlled_shutdown_req_t req = { .broker_id = 999, .broker_epoch = -1 };
		sm_controlled_shutdown_req_write(&x.body, ver, &req);
		/* v0 has a header without client id. */
		int e = sm_net_client_request_hdr(probe_client, key, ver, &x.body, ver == 0 ? 0 : ver >= 3 ? 2 : 1,
						  ver >= 3, &x.resp, 10000);
		if (e)
			PROBE_FAIL("request failed: %s", sm_err_name(e));
		sm_controlled_shutdown_resp_t r;
		sm_rbuf_init(&x.rb, x.resp.p, x.resp.len);
		if (sm_controlled_shutdown_resp_read(&x.rb, ver, &x.a, &r))
			PROBE_FAIL("response does not parse");
		err = r.error_code;
	} else if (key == SM_API_ELECT_LEADERS) {
		want = SM_ERR_ELECTION_NOT_NEEDED;
		int32_t p0 = 0;
		sm_elect_leaders_req_topic_partition_t tp = { .topic = (char *)probe_topic, .partitions = &p0, .partitions_cnt = 1 };
		sm_elect_leaders_req_t req;
		sm_elect_leaders_req_init(&req);
		req.topic_partitions = &tp;
		req.topic_partitions_cnt = 1;
		sm_elect_leaders_req_write(&x.body, ver, &req);
		if (px_call(&x, key, ver, why, sizeof(why)))
			goto done;
		sm_elect_leaders_resp_t r;
		if (sm_elect_leaders_resp_read(&x.rb, ver, &x.a, &r))
			PROBE_FAIL("response does not parse");
		if (r.error_code || r.replica_election_results_cnt != 1 || r.replica_election_results[0].partition_result_cnt != 1)
			PROBE_FAIL("wrong response shape (error %s)", sm_err_name(r.error_code));
		err = r.replica_election_results[0].partition_result[0].error_code;
	} else if (key == SM_API_ALTER_PARTITION_REASSIGNMENTS) {
		/* Cancelling a reassignment that is not running. */
		want = SM_ERR_NO_REASSIGNMENT_IN_PROGRESS;
		sm_alter_partition_reassignments_req_partition_t p = { .partition_index = 0, .replicas_cnt = -1 };
		sm_alter_partition_reassignments_req_topic_t t = { .name = (char *)probe_topic, .partitions = &p, .partitions_cnt = 1 };
		sm_alter_partition_reassignments_req_t req;
		sm_alter_partition_reassignments_req_init(&req);
		req.topics = &t;
		req.topics_cnt = 1;
		sm_alter_partition_reassignments_req_write(&x.body, ver, &req);
		if (px_call(&x, key, ver, why, sizeof(why)))
			goto done;
		sm_alter_partition_reassignments_resp_t r;
		if (sm_alter_partition_reassignments_resp_read(&x.rb, ver, &x.a, &r))
			PROBE_FAIL("response does not parse");
		if (r.error_code || r.responses_cnt != 1 || r.responses[0].partitions_cnt != 1)
			PROBE_FAIL("wrong response shape (error %s)", sm_err_name(r.error_code));
		err = r.responses[0].partitions[0].error_code;
	} else if (key == SM_API_LIST_PARTITION_REASSIGNMENTS) {
		want = SM_ERR_NONE;
		sm_list_partition_reassignments_req_t req;
		sm_list_partition_reassignments_req_init(&req);
		sm_list_partition_reassignments_req_write(&x.body, ver, &req);
		if (px_call(&x, key, ver, why, sizeof(why)))
			goto done;
		sm_list_partition_reassignments_resp_t r;
		if (sm_list_partition_reassignments_resp_read(&x.rb, ver, &x.a, &r))
			PROBE_FAIL("response does not parse");
		if (r.topics_cnt != 0)
			PROBE_FAIL("%d topics under reassignment, expected none", r.topics_cnt);
		err = r.error_code;
	} else {
		want = SM_ERR_INVALID_PARTITIONS;
		sm_create_partitions_req_topic_t t = { .name = (char *)probe_topic, .count = 1,
						   .assignments_cnt = -1 };
		sm_create_partitions_req_t req = { .topics = &t, .topics_cnt = 1, .timeout_ms = 10000 };
		sm_create_partitions_req_write(&x.body, ver, &req);
		if (px_call(&x, key, ver, why, sizeof(why)))
			goto done;
		sm_create_partitions_resp_t r;
		if (sm_create_partitions_resp_read(&x.rb, ver, &x.a, &r))
			PROBE_FAIL("response does not parse");
		if (r.results_cnt != 1)
			PROBE_FAIL("wrong response shape");
		err = r.results[0].error_code;
	}
	if (err != want)
		PROBE_FAIL("error %s, expected %s", sm_err_name(err), sm_err_name(want));
done:
	return px_done(&x, why, why_out);
}

/* One DeleteRecords round: (topic, partition 0, offset) plus an unknown
 * topic; fills err and low from the first, checks the unknown one. */
static int probe_delete_records_call(int16_t ver, int64_t offset, int16_t *err, int64_t *low,
				     char *why, size_t whylen)
{
	probe_x_t x;
	int rc = -1;
	px_init(&x);
	sm_delete_records_req_partition_t p0 = { .partition_index = 0, .offset = offset };
	sm_delete_records_req_partition_t p1 = { .partition_index = 0, .offset = 5 };
	sm_delete_records_req_topic_t t[2] = {
		{ .name = (char *)probe_topic, .partitions = &p0, .partitions_cnt = 1 },
		{ .name = "api-probe-no-such-topic", .partitions = &p1, .partitions_cnt = 1 },
	};
	sm_delete_records_req_t req = { .topics = t, .topics_cnt = 2, .timeout_ms = 10000 };
	sm_delete_records_req_write(&x.body, ver, &req);
	if (px_call(&x, SM_API_DELETE_RECORDS, ver, why, whylen))
		goto out;
	sm_delete_records_resp_t r;
	if (sm_delete_records_resp_read(&x.rb, ver, &x.a, &r) || r.topics_cnt != 2 ||
	    r.topics[0].partitions_cnt != 1 || r.topics[1].partitions_cnt != 1) {
		snprintf(why, whylen, "response does not parse or has the wrong shape");
		goto out;
	}
	if (r.topics[1].partitions[0].error_code != SM_ERR_UNKNOWN_TOPIC_OR_PARTITION) {
		snprintf(why, whylen, "unknown topic answered %s",
			 sm_err_name(r.topics[1].partitions[0].error_code));
		goto out;
	}
	*err = r.topics[0].partitions[0].error_code;
	*low = r.topics[0].partitions[0].low_watermark;
	rc = 0;
out:
	px_free(&x);
	return rc;
}

/* Runs after every read of the probe data: v0 and v1 move the log start to
 * offsets 1 and 2, v2 to the high watermark (-1); beyond it is refused. */
static int probe_delete_records(int16_t ver, char *why_out)
{
	char why[256] = "";
	int16_t err = 0;
	int64_t low = 0;
	int64_t target = ver < 2 ? ver + 1 : -1;
	int64_t want = ver < 2 ? target : probe_produced;
	if (probe_produced < 3)
		PROBE_FAIL("the probe topic holds only %lld records", (long long)probe_produced);
	if (probe_delete_records_call(ver, probe_produced + 100, &err, &low, why, sizeof(why)))
		goto done;
	if (err != SM_ERR_OFFSET_OUT_OF_RANGE || low != -1)
		PROBE_FAIL("beyond the high watermark: %s low %lld", sm_err_name(err), (long long)low);
	if (probe_delete_records_call(ver, target, &err, &low, why, sizeof(why)))
		goto done;
	if (err || low != want)
		PROBE_FAIL("%s low watermark %lld, expected %lld", sm_err_name(err), (long long)low,
			   (long long)want);
done:
	strcpy(why_out, why);
	return why[0] ? -1 : 0;
}

/* Moves the probe partition to the dir it is in (nothing to do: NONE) and
 * partition 1 to a dir the broker does not have (LOG_DIR_NOT_FOUND); the
 * dir comes from DescribeLogDirs v1. */
static int probe_alter_replica_log_dirs(int16_t ver, char *why_out)
{
	char why[256] = "";
	probe_x_t x;
	px_init(&x);
	sm_describe_log_dirs_req_t dq = { .topics = NULL, .topics_cnt = -1 };
	sm_describe_log_dirs_req_write(&x.body, 1, &dq);
	if (px_call(&x, SM_API_DESCRIBE_LOG_DIRS, 1, why, sizeof(why)))
		goto done;
	sm_describe_log_dirs_resp_t dr;
	if (sm_describe_log_dirs_resp_read(&x.rb, 1, &x.a, &dr))
		PROBE_FAIL("DescribeLogDirs response does not parse");
	char *dir = NULL;
	for (int32_t d = 0; d < dr.results_cnt; d++)
		for (int32_t t = 0; t < dr.results[d].topics_cnt; t++)
			for (int32_t k = 0; k < dr.results[d].topics[t].partitions_cnt; k++)
				if (!strcmp(dr.results[d].topics[t].name, probe_topic) &&
				    dr.results[d].topics[t].partitions[k].partition_index == 0 &&
				    !dr.results[d].topics[t].partitions[k].is_future_key)
					dir = dr.results[d].log_dir;
	if (!dir)
		PROBE_FAIL("the probe partition is in no log dir");
	int32_t p0 = 0, p1 = 1;
	sm_alter_replica_log_dirs_req_topic_t t0 = { .name = (char *)probe_topic, .partitions = &p0,
						     .partitions_cnt = 1 };
	sm_alter_replica_log_dirs_req_topic_t t1 = { .name = (char *)probe_topic, .partitions = &p1,
						     .partitions_cnt = 1 };
	sm_alter_replica_log_dirs_req_dir_t dirs[2] = {
		{ .path = dir, .topics = &t0, .topics_cnt = 1 },
		{ .path = (char *)"/nonexistent-probe-dir", .topics = &t1, .topics_cnt = 1 },
	};
	sm_alter_replica_log_dirs_req_t req = { .dirs = dirs, .dirs_cnt = 2 };
	sm_wbuf_reset(&x.body);
	sm_alter_replica_log_dirs_req_write(&x.body, ver, &req);
	if (px_call(&x, SM_API_ALTER_REPLICA_LOG_DIRS, ver, why, sizeof(why)))
		goto done;
	sm_alter_replica_log_dirs_resp_t r;
	if (sm_alter_replica_log_dirs_resp_read(&x.rb, ver, &x.a, &r))
		PROBE_FAIL("response does not parse");
	int16_t e0 = -1, e1 = -1;
	for (int32_t i = 0; i < r.results_cnt; i++)
		for (int32_t k = 0; k < r.results[i].partitions_cnt; k++) {
			if (strcmp(r.results[i].topic_name, probe_topic))
				PROBE_FAIL("unexpected topic %s", r.results[i].topic_name);
			if (r.results[i].partitions[k].partition_index == 0)
				e0 = r.results[i].partitions[k].error_code;
			else if (r.results[i].partitions[k].partition_index == 1)
				e1 = r.results[i].partitions[k].error_code;
		}
	if (e0 != SM_ERR_NONE || e1 != SM_ERR_LOG_DIR_NOT_FOUND)
		PROBE_FAIL("errors %d (same dir) and %d (unknown dir), expected 0 and 57", e0, e1);
done:
	return px_done(&x, why, why_out);
}

/* Every partition (a null topic list) and then only the probe partition: the
 * probe topic's partition 0 is listed with a size. */
static int probe_describe_log_dirs(int16_t ver, char *why_out)
{
	char why[256] = "";
	probe_x_t x;
	px_init(&x);
	int32_t part0 = 0;
	sm_describe_log_dirs_req_topic_t qt = { .topic = (char *)probe_topic, .partitions = &part0,
						 .partitions_cnt = 1 };
	for (int pass = 0; pass < 2; pass++) {
		sm_describe_log_dirs_req_t req = { .topics = pass ? &qt : NULL,
						   .topics_cnt = pass ? 1 : -1 };
		sm_wbuf_reset(&x.body);
		sm_describe_log_dirs_req_write(&x.body, ver, &req);
		if (px_call(&x, SM_API_DESCRIBE_LOG_DIRS, ver, why, sizeof(why)))
			goto done;
		sm_describe_log_dirs_resp_t r;
		if (sm_describe_log_dirs_resp_read(&x.rb, ver, &x.a, &r) || r.results_cnt < 1)
			PROBE_FAIL("response does not parse or lists no log dir");
		int found = 0, others = 0;
		for (int32_t d = 0; d < r.results_cnt; d++) {
			if (r.results[d].error_code)
				PROBE_FAIL("log dir %s: %s", r.results[d].log_dir,
					   sm_err_name(r.results[d].error_code));
			for (int32_t t = 0; t < r.results[d].topics_cnt; t++) {
				const sm_describe_log_dirs_resp_topic_t *tp = &r.results[d].topics[t];
				for (int32_t k = 0; k < tp->partitions_cnt; k++) {
					if (!strcmp(tp->name, probe_topic) &&
					    tp->partitions[k].partition_index == 0 &&
					    tp->partitions[k].partition_size > 0)
						found++;
					else
						others++;
				}
			}
		}
		if (found != 1 || (pass && others))
			PROBE_FAIL("pass %d: probe partition listed %d times, %d others", pass, found,
				   others);
	}
done:
	return px_done(&x, why, why_out);
}

/* ---- config APIs: describe, then alter and read back ---- */

/* DescribeConfigs of one resource at ver; the result is left in *out. */
static int probe_dc(int16_t ver, int8_t rtype, const char *name, char **keys, int32_t nkeys,
		    sm_arena_t *a, sm_describe_configs_resp_result_t *out, char *why, size_t whylen)
{
	probe_x_t x;
	px_init(&x);
	sm_describe_configs_req_resource_t res = { rtype, (char *)name, keys, nkeys };
	sm_describe_configs_req_t req = { &res, 1, 1, 1 };
	sm_describe_configs_req_write(&x.body, ver, &req);
	int rc = px_call(&x, SM_API_DESCRIBE_CONFIGS, ver, why, whylen);
	sm_describe_configs_resp_t r;
	if (!rc && (sm_describe_configs_resp_read(&x.rb, ver, a, &r) || r.results_cnt != 1)) {
		snprintf(why, whylen, "DescribeConfigs response does not parse");
		rc = -1;
	}
	if (!rc)
		*out = r.results[0];
	px_free(&x);
	return rc;
}

static const sm_describe_configs_resp_config_t *probe_dc_entry(const sm_describe_configs_resp_result_t *r,
							 const char *name)
{
	for (int32_t i = 0; i < r->configs_cnt; i++)
		if (!strcmp(r->configs[i].name, name))
			return &r->configs[i];
	return NULL;
}

static int probe_describe_configs(int16_t ver, char *why_out)
{
	char why[256] = "";
	sm_arena_t a;
	sm_arena_init(&a);
	sm_describe_configs_resp_result_t r;
	if (probe_dc(ver, SM_CONFIG_RESOURCE_TOPIC, probe_topic, NULL, -1, &a, &r, why, sizeof(why)))
		goto done;
	const sm_describe_configs_resp_config_t *e = probe_dc_entry(&r, "cleanup.policy");
	if (r.error_code || r.configs_cnt != 26 || !e || !e->value || e->read_only)
		PROBE_FAIL("topic: error %d, %d configs, cleanup.policy %s", r.error_code,
			   r.configs_cnt, e && e->value ? e->value : "missing");
	if (ver >= 1 && (e->config_source < 1 || e->config_source > 5 || e->synonyms_cnt < 1))
		PROBE_FAIL("cleanup.policy: source %d, %d synonyms", e->config_source, e->synonyms_cnt);
	if (ver == 0 && e->is_default) /* never set, as in Kafka 2.8 */
		PROBE_FAIL("cleanup.policy=%s: is_default %d", e->value, e->is_default);
	if (ver >= 3 && (e->config_type != SM_CONFIG_TYPE_LIST || !e->documentation))
		PROBE_FAIL("cleanup.policy: type %d, documentation %s", e->config_type,
			   e->documentation ? "present" : "missing");
	char *key = "retention.ms";
	if (probe_dc(ver, SM_CONFIG_RESOURCE_TOPIC, probe_topic, &key, 1, &a, &r, why, sizeof(why)))
		goto done;
	if (r.error_code || r.configs_cnt != 1 || strcmp(r.configs[0].name, "retention.ms"))
		PROBE_FAIL("configuration_keys [retention.ms]: %d configs", r.configs_cnt);
	if (probe_dc(ver, SM_CONFIG_RESOURCE_TOPIC, "no-such-topic-probe", NULL, -1, &a, &r, why,
		     sizeof(why)))
		goto done;
	if (r.error_code != SM_ERR_UNKNOWN_TOPIC_OR_PARTITION || r.configs_cnt)
		PROBE_FAIL("missing topic: error %d", r.error_code);
	if (probe_dc(ver, SM_CONFIG_RESOURCE_BROKER, "", NULL, -1, &a, &r, why, sizeof(why)))
		goto done;
	if (r.error_code || r.configs_cnt)
		PROBE_FAIL("default broker: error %d, %d configs", r.error_code, r.configs_cnt);
	if (probe_dc(ver, SM_CONFIG_RESOURCE_BROKER, "x", NULL, -1, &a, &r, why, sizeof(why)))
		goto done;
	if (r.error_code != SM_ERR_INVALID_REQUEST || !r.error_message)
		PROBE_FAIL("broker 'x': error %d", r.error_code);
done:
	strcpy(why_out, why);
	sm_arena_destroy(&a);
	return why[0] ? -1 : 0;
}

/* One alter of the probe topic (or resource rtype/name) at ver: AlterConfigs
 * sets k=v as the whole override set, IncrementalAlterConfigs applies op. */
static int probe_alter(int16_t key, int16_t ver, int8_t rtype, const char *name, const char *k,
		       int8_t op, const char *v, int validate_only, int16_t *err, char *why,
		       size_t whylen)
{
	probe_x_t x;
	px_init(&x);
	if (key == SM_API_ALTER_CONFIGS) {
		sm_alter_configs_req_config_t c = { (char *)k, (char *)v };
		sm_alter_configs_req_resource_t res = { rtype, (char *)name, &c, k ? 1 : 0 };
		sm_alter_configs_req_t req = { &res, 1, validate_only };
		sm_alter_configs_req_write(&x.body, ver, &req);
	} else {
		sm_incremental_alter_configs_req_config_t c = { (char *)k, op, (char *)v };
		sm_incremental_alter_configs_req_resource_t res = { rtype, (char *)name, &c, 1 };
		sm_incremental_alter_configs_req_t req = { &res, 1, validate_only };
		sm_incremental_alter_configs_req_write(&x.body, ver, &req);
	}
	int rc = px_call(&x, key, ver, why, whylen);
	sm_alter_configs_resp_t r;
	sm_incremental_alter_configs_resp_t ri;
	int32_t cnt = 0;
	const char *rname = NULL;
	int16_t code = 0;
	if (!rc && key == SM_API_ALTER_CONFIGS && !sm_alter_configs_resp_read(&x.rb, ver, &x.a, &r)) {
		cnt = r.responses_cnt;
		rname = cnt ? r.responses[0].resource_name : NULL;
		code = cnt ? r.responses[0].error_code : 0;
	} else if (!rc && key != SM_API_ALTER_CONFIGS &&
		   !sm_incremental_alter_configs_resp_read(&x.rb, ver, &x.a, &ri)) {
		cnt = ri.responses_cnt;
		rname = cnt ? ri.responses[0].resource_name : NULL;
		code = cnt ? ri.responses[0].error_code : 0;
	}
	if (!rc && (cnt != 1 || !rname || strcmp(rname, name))) {
		snprintf(why, whylen, "response does not parse");
		rc = -1;
	}
	if (!rc)
		*err = code;
	px_free(&x);
	return rc;
}

/* The probe topic's delete.retention.ms as DescribeConfigs v1 reports it. */
static int probe_dc_value(const char *k, char *val, size_t len, int8_t *source, char *why,
			  size_t whylen)
{
	sm_arena_t a;
	sm_arena_init(&a);
	sm_describe_configs_resp_result_t r;
	char *key = (char *)k;
	int rc = probe_dc(1, SM_CONFIG_RESOURCE_TOPIC, probe_topic, &key, 1, &a, &r, why, whylen);
	if (!rc && (r.error_code || r.configs_cnt != 1)) {
		snprintf(why, whylen, "describe %s: error %d", k, r.error_code);
		rc = -1;
	}
	if (!rc) {
		snprintf(val, len, "%s", r.configs[0].value ? r.configs[0].value : "null");
		*source = r.configs[0].config_source;
	}
	sm_arena_destroy(&a);
	return rc;
}

static int probe_alter_configs(int16_t key, int16_t ver, char *why_out)
{
	char why[256] = "", cw[128] = "", val[64], want[32];
	const char *k = "delete.retention.ms";
	int8_t src, set = SM_CONFIG_OP_SET;
	int16_t err = 0;
	snprintf(want, sizeof(want), "%d", 86400000 + 100 * key + ver);
	/* validate_only changes nothing; bad names and values are refused */
	if (probe_alter(key, ver, SM_CONFIG_RESOURCE_TOPIC, probe_topic, k, set, "1", 1, &err, cw,
			sizeof(cw)) || err)
		PROBE_FAIL("%svalidate_only: error %d", cw, err);
	if (probe_alter(key, ver, SM_CONFIG_RESOURCE_TOPIC, probe_topic, "no.such.config", set, "1",
			0, &err, cw, sizeof(cw)) || err != SM_ERR_INVALID_CONFIG)
		PROBE_FAIL("%sunknown name: error %d", cw, err);
	if (probe_alter(key, ver, SM_CONFIG_RESOURCE_TOPIC, probe_topic, k, set, "abc", 0, &err,
			cw, sizeof(cw)) || err != SM_ERR_INVALID_REQUEST)
		PROBE_FAIL("%sbad value: error %d", cw, err);
	/* a broker config that cannot change at run time is refused */
	if (probe_alter(key, ver, SM_CONFIG_RESOURCE_BROKER, "", "log.dirs", set, "/x", 0,
			&err, cw, sizeof(cw)) || err != SM_ERR_INVALID_REQUEST)
		PROBE_FAIL("%sread-only broker config: error %d", cw, err);
	if (probe_dc_value(k, val, sizeof(val), &src, why, sizeof(why)))
		goto done;
	if (!strcmp(val, "1") || src == SM_CONFIG_SOURCE_DYNAMIC_TOPIC)
		PROBE_FAIL("validate_only changed %s to %s", k, val);
	/* a real change reads back as a DYNAMIC_TOPIC_CONFIG override */
	if (probe_alter(key, ver, SM_CONFIG_RESOURCE_TOPIC, probe_topic, k, set, want, 0, &err, cw,
			sizeof(cw)) || err)
		PROBE_FAIL("%sset: error %d", cw, err);
	if (probe_dc_value(k, val, sizeof(val), &src, why, sizeof(why)))
		goto done;
	if (strcmp(val, want) || src != SM_CONFIG_SOURCE_DYNAMIC_TOPIC)
		PROBE_FAIL("after set: %s=%s source %d", k, val, src);
	/* and goes away again (AlterConfigs: an empty set; incremental: DELETE) */
	if (probe_alter(key, ver, SM_CONFIG_RESOURCE_TOPIC, probe_topic,
			key == SM_API_ALTER_CONFIGS ? NULL : k, SM_CONFIG_OP_DELETE, NULL, 0, &err, cw,
			sizeof(cw)) || err)
		PROBE_FAIL("%sremove: error %d", cw, err);
	if (probe_dc_value(k, val, sizeof(val), &src, why, sizeof(why)))
		goto done;
	if (src == SM_CONFIG_SOURCE_DYNAMIC_TOPIC)
		PROBE_FAIL("after removal: %s=%s still an override", k, val);
	if (key == SM_API_INCREMENTAL_ALTER_CONFIGS &&
	    (probe_alter(key, ver, SM_CONFIG_RESOURCE_TOPIC, probe_topic, k, SM_CONFIG_OP_APPEND, "1",
			 0, &err, cw, sizeof(cw)) || err != SM_ERR_INVALID_REQUEST))
		PROBE_FAIL("%sAPPEND to a non-list config: error %d", cw, err);
done:
	strcpy(why_out, why);
	return why[0] ? -1 : 0;
}

/* ---- group APIs: each version works against a fresh group ---- */

/* Sends x->body, retrying while the coordinator is loading or being created;
 * the response is read into out with rd. */
typedef int (probe_grp_err_fn)(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, void *out);

static int probe_grp_call(int16_t key, int16_t ver, probe_x_t *x, probe_grp_err_fn *rd,
			  void *out, sm_arena_t *a, char *why, size_t whylen)
{
	for (int tries = 0; tries < 100; tries++) {
		sm_wbuf_reset(&x->resp);
		if (px_call(x, key, ver, why, whylen))
			return -1;
		int e = rd(&x->rb, ver, a, out);
		if (e < 0) {
			snprintf(why, whylen, "response does not parse");
			return -1;
		}
		if (e != SM_ERR_COORDINATOR_LOAD_IN_PROGRESS && e != SM_ERR_COORDINATOR_NOT_AVAILABLE &&
		    e != SM_ERR_NOT_COORDINATOR)
			return 0;
		struct timespec ts = { 0, 100 * 1000000L };
		nanosleep(&ts, NULL);
	}
	snprintf(why, whylen, "coordinator never became available");
	return -1;
}

/* Readers for probe_grp_call: -1 when the response does not parse, else
 * the error that decides a retry. Most answers carry one top-level error. */
#define PROBE_RD_TOP(name, msg)                                                  \
	static int probe_rd_##name(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, void *out) \
	{                                                                        \
		sm_##msg##_resp_t *r = out;                                      \
		return sm_##msg##_resp_read(rb, ver, a, r) ? -1 : r->error_code; \
	}
PROBE_RD_TOP(find, find_coordinator)
PROBE_RD_TOP(join, join_group)
PROBE_RD_TOP(sync, sync_group)
PROBE_RD_TOP(hb, heartbeat)
PROBE_RD_TOP(leave, leave_group)
PROBE_RD_TOP(list, list_groups)
PROBE_RD_TOP(odelete, offset_delete)

static int probe_rd_commit(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, void *out)
{
	sm_offset_commit_resp_t *r = out;
	if (sm_offset_commit_resp_read(rb, ver, a, r))
		return -1;
	return r->topics_cnt == 1 && r->topics[0].partitions_cnt == 1 ? r->topics[0].partitions[0].error_code : -1;
}
static int probe_rd_fetch(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, void *out)
{
	sm_offset_fetch_resp_t *r = out;
	if (sm_offset_fetch_resp_read(rb, ver, a, r))
		return -1;
	if (r->error_code)
		return r->error_code;
	return r->topics_cnt == 1 && r->topics[0].partitions_cnt == 1 ? r->topics[0].partitions[0].error_code : -1;
}
static int probe_rd_describe(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, void *out)
{
	sm_describe_groups_resp_t *r = out;
	if (sm_describe_groups_resp_read(rb, ver, a, r))
		return -1;
	return r->groups_cnt == 1 ? r->groups[0].error_code : -1;
}
static int probe_rd_delete(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, void *out)
{
	sm_delete_groups_resp_t *r = out;
	if (sm_delete_groups_resp_read(rb, ver, a, r))
		return -1;
	return r->results_cnt == 1 ? r->results[0].error_code : -1;
}

/* JoinGroup at ver (v4+: after MEMBER_ID_REQUIRED) as the only member of
 * group; the member id lands in a. */
static int probe_grp_join(const char *group, int16_t ver, sm_arena_t *a, sm_join_group_resp_t *r,
			  char *why, size_t whylen)
{
	probe_x_t x;
	px_init(&x);
	sm_join_group_req_protocol_t p = { .name = "range", .metadata = { (const uint8_t *)"\0\0\0\0\0\0", 6 } };
	sm_join_group_req_t req;
	sm_join_group_req_init(&req);
	req.group_id = (char *)group;
	req.session_timeout_ms = 10000;
	req.rebalance_timeout_ms = 10000;
	req.member_id = "";
	req.protocol_type = "consumer";
	req.protocols = &p;
	req.protocols_cnt = 1;
	int rc = -1;
	for (int round = 0; round < 2; round++) {
		sm_wbuf_reset(&x.body);
		sm_join_group_req_write(&x.body, ver, &req);
		if (probe_grp_call(SM_API_JOIN_GROUP, ver, &x, probe_rd_join, r, a, why, whylen))
			goto out;
		if (r->error_code == SM_ERR_MEMBER_ID_REQUIRED && ver >= 4 && round == 0) {
			req.member_id = r->member_id;
			continue;
		}
		break;
	}
	if (r->error_code)
		snprintf(why, whylen, "JoinGroup error %s", sm_err_name(r->error_code));
	else if (r->generation_id != 1 || strcmp(r->leader, r->member_id) || r->members_cnt != 1)
		snprintf(why, whylen, "JoinGroup: generation %d, leader '%s', %d members",
			 r->generation_id, r->leader, r->members_cnt);
	else
		rc = 0;
out:
	px_free(&x);
	return rc;
}

static int probe_group(int16_t key, int16_t ver, char *why_out)
{
	char why[256] = "", group[64];
	probe_x_t x;
	px_init(&x);
	snprintf(group, sizeof(group), "probe-%d-v%d", key, ver);
	sm_join_group_resp_t jr;
	switch (key) {
	case SM_API_FIND_COORDINATOR: {
		sm_find_coordinator_req_t req = { .key = group, .key_type = 0 };
		sm_find_coordinator_resp_t r;
		sm_find_coordinator_req_write(&x.body, ver, &req);
		if (probe_grp_call(key, ver, &x, probe_rd_find, &r, &x.a, why, sizeof(why)))
			goto done;
		if (r.error_code || r.node_id < 0 || r.port <= 0)
			PROBE_FAIL("error %s, node %d", sm_err_name(r.error_code), r.node_id);
		break;
	}
	case SM_API_JOIN_GROUP:
		probe_grp_join(group, ver, &x.a, &jr, why, sizeof(why));
		break;
	case SM_API_SYNC_GROUP:
	case SM_API_HEARTBEAT:
	case SM_API_LEAVE_GROUP: {
		if (probe_grp_join(group, 1, &x.a, &jr, why, sizeof(why)))
			goto done;
		int e;
		if (key == SM_API_SYNC_GROUP) {
			sm_sync_group_req_assignment_t as = { .member_id = jr.member_id,
							      .assignment = { (const uint8_t *)"abc", 3 } };
			sm_sync_group_req_t req;
			sm_sync_group_req_init(&req);
			req.group_id = group;
			req.generation_id = jr.generation_id;
			req.member_id = jr.member_id;
			req.assignments = &as;
			req.assignments_cnt = 1;
			sm_sync_group_resp_t r;
			sm_sync_group_req_write(&x.body, ver, &req);
			if (probe_grp_call(key, ver, &x, probe_rd_sync, &r, &x.a, why, sizeof(why)))
				goto done;
			if (!r.error_code && (r.assignment.len != 3 || memcmp(r.assignment.ptr, "abc", 3)))
				PROBE_FAIL("assignment not echoed");
			e = r.error_code;
		} else if (key == SM_API_HEARTBEAT) {
			sm_heartbeat_req_t req;
			sm_heartbeat_req_init(&req);
			req.group_id = group;
			req.generation_id = jr.generation_id;
			req.member_id = jr.member_id;
			sm_heartbeat_resp_t r;
			sm_heartbeat_req_write(&x.body, ver, &req);
			if (probe_grp_call(key, ver, &x, probe_rd_hb, &r, &x.a, why, sizeof(why)))
				goto done;
			e = r.error_code;
		} else {
			sm_leave_group_req_member_t m = { .member_id = jr.member_id };
			sm_leave_group_req_t req;
			sm_leave_group_req_init(&req);
			req.group_id = group;
			if (ver < 3) {
				req.member_id = jr.member_id;
			} else {
				req.members = &m;
				req.members_cnt = 1;
			}
			sm_leave_group_resp_t r;
			sm_leave_group_req_write(&x.body, ver, &req);
			if (probe_grp_call(key, ver, &x, probe_rd_leave, &r, &x.a, why, sizeof(why)))
				goto done;
			e = r.error_code;
			if (!e && ver >= 3 && (r.members_cnt != 1 || r.members[0].error_code))
				PROBE_FAIL("member result missing or failed");
		}
		if (e)
			PROBE_FAIL("error %s", sm_err_name(e));
		break;
	}
	case SM_API_OFFSET_COMMIT: {
		snprintf(group, sizeof(group), "probe-offsets-v%d", ver);
		sm_offset_commit_req_partition_t p;
		sm_offset_commit_req_partition_init(&p);
		p.partition_index = 0;
		p.committed_offset = 5 + ver;
		p.committed_metadata = "m";
		sm_offset_commit_req_topic_t t = { .name = (char *)probe_topic, .partitions = &p, .partitions_cnt = 1 };
		sm_offset_commit_req_t req;
		sm_offset_commit_req_init(&req);
		req.group_id = group;
		req.member_id = "";
		req.topics = &t;
		req.topics_cnt = 1;
		sm_offset_commit_resp_t r;
		sm_offset_commit_req_write(&x.body, ver, &req);
		if (probe_grp_call(key, ver, &x, probe_rd_commit, &r, &x.a, why, sizeof(why)))
			goto done;
		if (r.topics_cnt != 1 || r.topics[0].partitions_cnt != 1 || r.topics[0].partitions[0].error_code)
			PROBE_FAIL("commit failed");
		break;
	}
	case SM_API_OFFSET_FETCH: {
		/* Reads what OffsetCommit at the same version number stored. */
		snprintf(group, sizeof(group), "probe-offsets-v%d", ver);
		int32_t part = 0;
		sm_offset_fetch_req_topic_t t = { .name = (char *)probe_topic, .partition_indexes = &part,
						  .partition_indexes_cnt = 1 };
		sm_offset_fetch_req_t req;
		sm_offset_fetch_req_init(&req);
		req.group_id = group;
		req.topics = &t;
		req.topics_cnt = 1;
		sm_offset_fetch_resp_t r;
		sm_offset_fetch_req_write(&x.body, ver, &req);
		if (probe_grp_call(key, ver, &x, probe_rd_fetch, &r, &x.a, why, sizeof(why)))
			goto done;
		if (r.topics_cnt != 1 || r.topics[0].partitions_cnt != 1)
			PROBE_FAIL("wrong response shape");
		if (r.topics[0].partitions[0].committed_offset != 5 + ver)
			PROBE_FAIL("committed offset %lld, expected %d",
				   (long long)r.topics[0].partitions[0].committed_offset, 5 + ver);
		break;
	}
	case SM_API_DESCRIBE_GROUPS: {
		char *g = "probe-offsets-v0";
		sm_describe_groups_req_t req;
		sm_describe_groups_req_init(&req);
		req.groups = &g;
		req.groups_cnt = 1;
		sm_describe_groups_resp_t r;
		sm_describe_groups_req_write(&x.body, ver, &req);
		if (probe_grp_call(key, ver, &x, probe_rd_describe, &r, &x.a, why, sizeof(why)))
			goto done;
		if (r.groups_cnt != 1 || r.groups[0].error_code || strcmp(r.groups[0].group_state, "Empty"))
			PROBE_FAIL("group state '%s'", r.groups_cnt == 1 ? r.groups[0].group_state : "?");
		break;
	}
	case SM_API_LIST_GROUPS: {
		sm_list_groups_req_t req;
		sm_list_groups_req_init(&req);
		sm_list_groups_resp_t r;
		sm_list_groups_req_write(&x.body, ver, &req);
		if (probe_grp_call(key, ver, &x, probe_rd_list, &r, &x.a, why, sizeof(why)))
			goto done;
		if (r.error_code || r.groups_cnt < 1)
			PROBE_FAIL("error %s, %d groups", sm_err_name(r.error_code), r.groups_cnt);
		break;
	}
	case SM_API_OFFSET_DELETE:
	case SM_API_DELETE_GROUPS: {
		snprintf(group, sizeof(group), "probe-offsets-v%d", ver);
		int e;
		if (key == SM_API_DELETE_GROUPS) {
			char *g = group;
			sm_delete_groups_req_t req = { .groups_names = &g, .groups_names_cnt = 1 };
			sm_delete_groups_resp_t r;
			sm_delete_groups_req_write(&x.body, ver, &req);
			if (probe_grp_call(key, ver, &x, probe_rd_delete, &r, &x.a, why, sizeof(why)))
				goto done;
			e = r.results_cnt == 1 ? r.results[0].error_code : -1;
		} else {
			sm_offset_delete_req_partition_t p = { .partition_index = 0 };
			sm_offset_delete_req_topic_t t = { .name = (char *)probe_topic, .partitions = &p, .partitions_cnt = 1 };
			sm_offset_delete_req_t req = { .group_id = group, .topics = &t, .topics_cnt = 1 };
			sm_offset_delete_resp_t r;
			sm_offset_delete_req_write(&x.body, ver, &req);
			if (probe_grp_call(key, ver, &x, probe_rd_odelete, &r, &x.a, why, sizeof(why)))
				goto done;
			e = r.error_code;
			if (!e && (r.topics_cnt != 1 || r.topics[0].partitions[0].error_code))
				e = -1;
		}
		if (e)
			PROBE_FAIL("error %s", sm_err_name(e));
		break;
	}
	}
done:
	return px_done(&x, why, why_out);
}

/* The transactional producer the transaction probes share (set by the
 * InitProducerId probe). */
static int64_t probe_txn_pid = -1;
static int16_t probe_txn_epoch = -1;
#define PROBE_TXN_ID "api-probe-txn"

static void probe_pause(void)
{
	struct timespec ts = { 0, 50 * 1000000L };
	nanosleep(&ts, NULL);
}

/* Errors a transactional request meets while __transaction_state is
 * created and loaded, or the markers of the last transaction are written:
 * the client retries them. */
static int probe_txn_retriable(int16_t e)
{
	return e == SM_ERR_NOT_COORDINATOR || e == SM_ERR_COORDINATOR_NOT_AVAILABLE ||
	       e == SM_ERR_COORDINATOR_LOAD_IN_PROGRESS || e == SM_ERR_CONCURRENT_TRANSACTIONS;
}

/* FindCoordinator key type 1 (v1): creates __transaction_state. */
static void probe_find_txn_coordinator(void)
{
	probe_x_t x;
	px_init(&x);
	sm_find_coordinator_req_t req = { .key = PROBE_TXN_ID, .key_type = 1 };
	sm_find_coordinator_req_write(&x.body, 1, &req);
	char why[256];
	(void)px_call(&x, SM_API_FIND_COORDINATOR, 1, why, sizeof(why));
	px_free(&x);
}

/* InitProducerId: an idempotent request gets a producer id (a new one each
 * time) with epoch 0; a transactional one (retried while the coordinator
 * is found and loaded) the next epoch of the probe's transactional id. */
static int probe_init_producer_id(int16_t ver, char *why)
{
	static int64_t last_pid = -1;
	probe_x_t x;
	int rc = -1;
	why[0] = '\0';
	probe_find_txn_coordinator();
	for (int txn = 0, tries = 0; txn < 2; tries++) {
		px_init(&x);
		sm_init_producer_id_req_t req;
		sm_init_producer_id_req_init(&req);
		req.transactional_id = txn ? PROBE_TXN_ID : NULL;
		req.transaction_timeout_ms = txn ? 60000 : -1;
		sm_init_producer_id_req_write(&x.body, ver, &req);
		sm_init_producer_id_resp_t r;
		int retry = 0;
		int bad = px_call(&x, SM_API_INIT_PRODUCER_ID, ver, why, 256);
		if (!bad) {
			if (sm_init_producer_id_resp_read(&x.rb, ver, &x.a, &r)) {
				snprintf(why, 256, "response does not parse");
				bad = 1;
			} else if (!txn && (r.error_code || r.producer_id <= last_pid ||
					    r.producer_epoch != 0)) {
				snprintf(why, 256, "error %s, producer id %lld epoch %d",
					 sm_err_name(r.error_code), (long long)r.producer_id,
					 r.producer_epoch);
				bad = 1;
			} else if (txn && probe_txn_retriable(r.error_code) && tries < 400) {
				retry = 1;
			} else if (txn && (r.error_code || r.producer_id < 0 ||
					   (probe_txn_pid >= 0 && (r.producer_id != probe_txn_pid ||
								   r.producer_epoch != probe_txn_epoch + 1)))) {
				snprintf(why, 256, "transactional id answered %s, producer id %lld epoch %d",
					 sm_err_name(r.error_code), (long long)r.producer_id,
					 r.producer_epoch);
				bad = 1;
			} else if (!txn) {
				last_pid = r.producer_id;
			} else {
				probe_txn_pid = r.producer_id;
				probe_txn_epoch = r.producer_epoch;
			}
		}
		px_free(&x);
		if (bad)
			return rc;
		if (retry)
			probe_pause();
		else
			txn++;
	}
	return 0;
}

/* AddPartitionsToTxn, AddOffsetsToTxn and EndTxn in the probe's
 * transaction: the probe topic and a group's offsets partition join it
 * (NONE at every version, again when already in it), EndTxn commits it and
 * a repeated commit is NONE (CompleteCommit); a wrong epoch is
 * PRODUCER_FENCED from v2, INVALID_PRODUCER_EPOCH before. */
static int probe_txn(int16_t key, int16_t ver, char *why)
{
	why[0] = '\0';
	if (probe_txn_pid < 0) {
		snprintf(why, 256, "no transactional producer id (InitProducerId failed)");
		return -1;
	}
	for (int fenced = 0; fenced < 2; fenced++) {
		int16_t epoch = fenced ? (int16_t)(probe_txn_epoch + 1) : probe_txn_epoch;
		int16_t want = !fenced ? SM_ERR_NONE
			: ver >= 2 ? SM_ERR_PRODUCER_FENCED : SM_ERR_INVALID_PRODUCER_EPOCH;
		for (int tries = 0;; tries++) {
			probe_x_t x;
			px_init(&x);
			int32_t part = 0;
			if (key == SM_API_ADD_PARTITIONS_TO_TXN) {
				sm_add_partitions_to_txn_req_topic_t t = {
					.name = (char *)probe_topic, .partitions = &part, .partitions_cnt = 1 };
				sm_add_partitions_to_txn_req_t req = {
					.v3_and_below_transactional_id = PROBE_TXN_ID,
					.v3_and_below_producer_id = probe_txn_pid,
					.v3_and_below_producer_epoch = epoch,
					.v3_and_below_topics = &t, .v3_and_below_topics_cnt = 1 };
				sm_add_partitions_to_txn_req_write(&x.body, ver, &req);
			} else if (key == SM_API_ADD_OFFSETS_TO_TXN) {
				sm_add_offsets_to_txn_req_t req = {
					.transactional_id = PROBE_TXN_ID, .producer_id = probe_txn_pid,
					.producer_epoch = epoch, .group_id = "api-probe-txn-group" };
				sm_add_offsets_to_txn_req_write(&x.body, ver, &req);
			} else {
				sm_end_txn_req_t req = { .transactional_id = PROBE_TXN_ID,
							 .producer_id = probe_txn_pid,
							 .producer_epoch = epoch, .committed = 1 };
				sm_end_txn_req_write(&x.body, ver, &req);
			}
			int bad = px_call(&x, key, ver, why, 256);
			int16_t e = -1;
			if (!bad) {
				if (key == SM_API_ADD_PARTITIONS_TO_TXN) {
					sm_add_partitions_to_txn_resp_t r;
					if (sm_add_partitions_to_txn_resp_read(&x.rb, ver, &x.a, &r) ||
					    r.results_by_topic_v3_and_below_cnt != 1 ||
					    r.results_by_topic_v3_and_below[0].results_by_partition_cnt != 1)
						bad = 1;
					else
						e = r.results_by_topic_v3_and_below[0]
							    .results_by_partition[0].partition_error_code;
				} else if (key == SM_API_ADD_OFFSETS_TO_TXN) {
					sm_add_offsets_to_txn_resp_t r;
					if (sm_add_offsets_to_txn_resp_read(&x.rb, ver, &x.a, &r))
						bad = 1;
					else
						e = r.error_code;
				} else {
					sm_end_txn_resp_t r;
					if (sm_end_txn_resp_read(&x.rb, ver, &x.a, &r))
						bad = 1;
					else
						e = r.error_code;
				}
				if (bad)
					snprintf(why, 256, "response does not parse");
			}
			px_free(&x);
			if (bad)
				return -1;
			if (e == want)
				break;
			if (e == SM_ERR_CONCURRENT_TRANSACTIONS && tries < 400) {
				probe_pause();
				continue;
			}
			snprintf(why, 256, "%s epoch %d: %s, expected %s", fenced ? "wrong" : "current",
				 epoch, sm_err_name(e), sm_err_name(want));
			return -1;
		}
	}
	return 0;
}

/* SaslHandshake / SaslAuthenticate on the (PLAINTEXT) probe connection:
 * ILLEGAL_SASL_STATE, as Kafka answers them outside an exchange, and the
 * connection stays open. */
static int probe_sasl(int16_t key, int16_t ver, char *why)
{
	probe_x_t x;
	int16_t code = -1;
	int bad;
	why[0] = '\0';
	px_init(&x);
	if (key == SM_API_SASL_HANDSHAKE) {
		sm_sasl_handshake_req_t req = { "PLAIN" };
		sm_sasl_handshake_resp_t r;
		sm_sasl_handshake_req_write(&x.body, ver, &req);
		bad = px_call(&x, key, ver, why, 256);
		if (!bad && !sm_sasl_handshake_resp_read(&x.rb, ver, &x.a, &r))
			code = r.error_code;
	} else {
		sm_sasl_authenticate_req_t req = { { (const uint8_t *)"\0u\0p", 4 } };
		sm_sasl_authenticate_resp_t r;
		sm_sasl_authenticate_req_write(&x.body, ver, &req);
		bad = px_call(&x, key, ver, why, 256);
		if (!bad && !sm_sasl_authenticate_resp_read(&x.rb, ver, &x.a, &r))
			code = r.error_code;
	}
	if (!bad && code != SM_ERR_ILLEGAL_SASL_STATE) {
		snprintf(why, 256, "answered %d, expected ILLEGAL_SASL_STATE", code);
		bad = 1;
	}
	px_free(&x);
	return bad ? -1 : 0;
}

/* AlterUserScramCredentials then DescribeUserScramCredentials: a
 * SCRAM-SHA-256 credential with 4096 iterations is stored and described. */
static int probe_scram(int16_t key, int16_t ver, char *why)
{
	probe_x_t x;
	int bad;
	why[0] = '\0';
	px_init(&x);
	if (key == SM_API_ALTER_USER_SCRAM_CREDENTIALS) {
		static const uint8_t salt[16] = "0123456789abcdef", salted[32] = "0123456789abcdef";
		sm_alter_user_scram_credentials_req_upsertion_t up = {
			"api-probe-user", 1, 4096, { salt, 16 }, { salted, 32 } };
		sm_alter_user_scram_credentials_req_t req = { NULL, 0, &up, 1 };
		sm_alter_user_scram_credentials_resp_t r;
		sm_alter_user_scram_credentials_req_write(&x.body, ver, &req);
		bad = px_call(&x, key, ver, why, 256);
		if (!bad && (sm_alter_user_scram_credentials_resp_read(&x.rb, ver, &x.a, &r) ||
			     r.results_cnt != 1 || r.results[0].error_code)) {
			snprintf(why, 256, "alteration not accepted");
			bad = 1;
		}
	} else {
		sm_describe_user_scram_credentials_req_user_t u = { "api-probe-user" };
		sm_describe_user_scram_credentials_req_t req = { &u, 1 };
		sm_describe_user_scram_credentials_resp_t r;
		sm_describe_user_scram_credentials_req_write(&x.body, ver, &req);
		bad = px_call(&x, key, ver, why, 256);
		if (!bad && (sm_describe_user_scram_credentials_resp_read(&x.rb, ver, &x.a, &r) ||
			     r.results_cnt != 1 || r.results[0].error_code ||
			     r.results[0].credential_infos_cnt != 1 ||
			     r.results[0].credential_infos[0].mechanism != 1 ||
			     r.results[0].credential_infos[0].iterations != 4096)) {
			snprintf(why, 256, "the stored credential was not described");
			bad = 1;
		}
	}
	px_free(&x);
	return bad ? -1 : 0;
}

/* AlterClientQuotas then DescribeClientQuotas: producer_byte_rate of user
 * api-probe-quota is set and described back, exactly, at every version. */
static int probe_client_quotas(int16_t key, int16_t ver, char *why)
{
	probe_x_t x;
	int bad;
	why[0] = '\0';
	px_init(&x);
	if (key == SM_API_ALTER_CLIENT_QUOTAS) {
		sm_alter_client_quotas_req_entity_t ent = { "user", "api-probe-quota" };
		sm_alter_client_quotas_req_op_t op = { "producer_byte_rate", 1048576.0 + ver, 0 };
		sm_alter_client_quotas_req_entry_t en = { &ent, 1, &op, 1 };
		sm_alter_client_quotas_req_t req = { &en, 1, 0 };
		sm_alter_client_quotas_resp_t r;
		sm_alter_client_quotas_req_write(&x.body, ver, &req);
		bad = px_call(&x, key, ver, why, 256);
		if (!bad && (sm_alter_client_quotas_resp_read(&x.rb, ver, &x.a, &r) ||
			     r.entries_cnt != 1 || r.entries[0].error_code)) {
			snprintf(why, 256, "alteration not accepted");
			bad = 1;
		}
	} else {
		sm_describe_client_quotas_req_component_t c = { "user", 0, "api-probe-quota" };
		sm_describe_client_quotas_req_t req = { &c, 1, 1 };
		sm_describe_client_quotas_resp_t r;
		sm_describe_client_quotas_req_write(&x.body, ver, &req);
		bad = px_call(&x, key, ver, why, 256);
		if (!bad && (sm_describe_client_quotas_resp_read(&x.rb, ver, &x.a, &r) ||
			     r.error_code || r.entries_cnt != 1 || r.entries[0].entity_cnt != 1 ||
			     !r.entries[0].entity[0].entity_name ||
			     strcmp(r.entries[0].entity[0].entity_name, "api-probe-quota") ||
			     r.entries[0].values_cnt != 1 ||
			     strcmp(r.entries[0].values[0].key, "producer_byte_rate") ||
			     r.entries[0].values[0].value < 1048576.0)) {
			snprintf(why, 256, "the quota set was not described");
			bad = 1;
		}
	}
	px_free(&x);
	return bad ? -1 : 0;
}

/* DescribeCluster: the probed broker itself in the broker list, a cluster
 * id, a controller, and the authorized-operations bitfield only when asked
 * for (Integer.MIN_VALUE otherwise, every cluster operation with it). */
/* The broker runs without an authorizer: each ACL API answers
 * SECURITY_DISABLED with Kafka's message, at every version. */
static int probe_acls(int16_t key, int16_t ver, char *why)
{
	probe_x_t x;
	px_init(&x);
	int16_t code = -1;
	const char *msg = NULL;
	int rc = -1;
	if (key == SM_API_CREATE_ACLS) {
		sm_create_acls_req_creation_t c = { SM_ACL_RES_TOPIC, (char *)"t", SM_ACL_PAT_LITERAL,
						    (char *)"User:a", (char *)"*", SM_ACL_OP_READ,
						    SM_ACL_PERM_ALLOW };
		sm_create_acls_req_t req = { &c, 1 };
		sm_create_acls_req_write(&x.body, ver, &req);
	} else if (key == SM_API_DESCRIBE_ACLS) {
		sm_describe_acls_req_t req = { SM_ACL_RES_ANY, NULL, SM_ACL_PAT_LITERAL, NULL, NULL,
					       SM_ACL_OP_ANY, SM_ACL_PERM_ANY };
		sm_describe_acls_req_write(&x.body, ver, &req);
	} else {
		sm_delete_acls_req_filter_t f = { SM_ACL_RES_ANY, NULL, SM_ACL_PAT_LITERAL, NULL, NULL,
						  SM_ACL_OP_ANY, SM_ACL_PERM_ANY };
		sm_delete_acls_req_t req = { &f, 1 };
		sm_delete_acls_req_write(&x.body, ver, &req);
	}
	if (!px_call(&x, key, ver, why, 256)) {
		int bad = 1;
		if (key == SM_API_CREATE_ACLS) {
			sm_create_acls_resp_t r;
			if (!(bad = sm_create_acls_resp_read(&x.rb, ver, &x.a, &r) || r.results_cnt != 1))
				code = r.results[0].error_code, msg = r.results[0].error_message;
		} else if (key == SM_API_DESCRIBE_ACLS) {
			sm_describe_acls_resp_t r;
			if (!(bad = sm_describe_acls_resp_read(&x.rb, ver, &x.a, &r)))
				code = r.error_code, msg = r.error_message;
		} else {
			sm_delete_acls_resp_t r;
			if (!(bad = sm_delete_acls_resp_read(&x.rb, ver, &x.a, &r) || r.filter_results_cnt != 1))
				code = r.filter_results[0].error_code,
				msg = r.filter_results[0].error_message;
		}
		if (bad)
			snprintf(why, 256, "response does not parse");
		else if (code != SM_ERR_SECURITY_DISABLED || !msg ||
			 strcmp(msg, "No Authorizer is configured on the broker."))
			snprintf(why, 256, "error %s (%s) without an authorizer", sm_err_name(code),
				 msg ? msg : "null");
		else
			rc = 0;
	}
	px_free(&x);
	return rc;
}

static int probe_describe_cluster(int16_t ver, char *why)
{
	int rc = 0;
	why[0] = '\0';
	for (int ask = 0; ask < 2 && !rc; ask++) {
		probe_x_t x;
		px_init(&x);
		sm_describe_cluster_req_t req;
		sm_describe_cluster_req_init(&req);
		req.include_cluster_authorized_operations = ask;
		sm_describe_cluster_req_write(&x.body, ver, &req);
		sm_describe_cluster_resp_t r;
		if (px_call(&x, SM_API_DESCRIBE_CLUSTER, ver, why, 256)) {
			rc = -1;
		} else {
			if (sm_describe_cluster_resp_read(&x.rb, ver, &x.a, &r)) {
				snprintf(why, 256, "response does not parse");
				rc = -1;
			} else if (r.error_code || !r.cluster_id || !*r.cluster_id ||
				   r.controller_id < 0 || r.brokers_cnt < 1 || !r.brokers[0].host ||
				   r.brokers[0].port <= 0) {
				snprintf(why, 256, "error %s, cluster id '%s', controller %d, %d brokers",
					 sm_err_name(r.error_code), r.cluster_id ? r.cluster_id : "(null)",
					 r.controller_id, r.brokers_cnt);
				rc = -1;
			} else if (r.cluster_authorized_operations != (ask ? 8096 : INT32_MIN)) {
				snprintf(why, 256, "authorized operations %d when %sasked for",
					 r.cluster_authorized_operations, ask ? "" : "not ");
				rc = -1;
			}
		}
		px_free(&x);
	}
	return rc;
}

/* A marker for a topic that does not exist: answered per partition with
 * UNKNOWN_TOPIC_OR_PARTITION, nothing appended. */
static int probe_write_txn_markers(int16_t ver, char *why)
{
	probe_x_t x;
	px_init(&x);
	int32_t part = 0;
	sm_write_txn_markers_req_topic_t t = { .name = "api-probe-no-such-topic",
						.partition_indexes = &part,
						.partition_indexes_cnt = 1 };
	sm_write_txn_markers_req_marker_t m = { .producer_id = 4242, .producer_epoch = 0,
						 .transaction_result = 1, .topics = &t,
						 .topics_cnt = 1, .coordinator_epoch = 0 };
	sm_write_txn_markers_req_t req = { .markers = &m, .markers_cnt = 1 };
	sm_write_txn_markers_req_write(&x.body, ver, &req);
	int bad = px_call(&x, SM_API_WRITE_TXN_MARKERS, ver, why, 256);
	if (!bad) {
		sm_write_txn_markers_resp_t r;
		if (sm_write_txn_markers_resp_read(&x.rb, ver, &x.a, &r)) {
			snprintf(why, 256, "response does not parse");
			bad = 1;
		} else if (r.markers_cnt != 1 || r.markers[0].producer_id != 4242 ||
			   r.markers[0].topics_cnt != 1 || r.markers[0].topics[0].partitions_cnt != 1 ||
			   r.markers[0].topics[0].partitions[0].error_code !=
				   SM_ERR_UNKNOWN_TOPIC_OR_PARTITION) {
			snprintf(why, 256, "unexpected answer for an unknown partition");
			bad = 1;
		}
	}
	px_free(&x);
	return bad ? -1 : 0;
}

/* An offset for a topic that does not exist: UNKNOWN_TOPIC_OR_PARTITION
 * for the partition, before the group is looked at. */
static int probe_txn_offset_commit(int16_t ver, char *why)
{
	probe_x_t x;
	px_init(&x);
	sm_txn_offset_commit_req_partition_t p = { .partition_index = 0, .committed_offset = 1,
						     .committed_leader_epoch = -1,
						     .committed_metadata = "" };
	sm_txn_offset_commit_req_topic_t t = { .name = "api-probe-no-such-topic",
						.partitions = &p, .partitions_cnt = 1 };
	sm_txn_offset_commit_req_t req = { .transactional_id = "api-probe", .group_id = "api-probe",
					   .producer_id = 4242, .producer_epoch = 0,
					   .generation_id = -1, .member_id = "",
					   .topics = &t, .topics_cnt = 1 };
	sm_txn_offset_commit_req_write(&x.body, ver, &req);
	int bad = px_call(&x, SM_API_TXN_OFFSET_COMMIT, ver, why, 256);
	if (!bad) {
		sm_txn_offset_commit_resp_t r;
		if (sm_txn_offset_commit_resp_read(&x.rb, ver, &x.a, &r)) {
			snprintf(why, 256, "response does not parse");
			bad = 1;
		} else if (r.topics_cnt != 1 || r.topics[0].partitions_cnt != 1 ||
			   r.topics[0].partitions[0].error_code != SM_ERR_UNKNOWN_TOPIC_OR_PARTITION) {
			snprintf(why, 256, "unexpected answer for an unknown partition");
			bad = 1;
		}
	}
	px_free(&x);
	return bad ? -1 : 0;
}

static int probe_one(int16_t key, int16_t ver, char *why)
{
	switch (key) {
	case SM_API_FIND_COORDINATOR:
	case SM_API_JOIN_GROUP:
	case SM_API_SYNC_GROUP:
	case SM_API_HEARTBEAT:
	case SM_API_LEAVE_GROUP:
	case SM_API_OFFSET_COMMIT:
	case SM_API_OFFSET_FETCH:
	case SM_API_DESCRIBE_GROUPS:
	case SM_API_LIST_GROUPS:
	case SM_API_OFFSET_DELETE:
	case SM_API_DELETE_GROUPS: return probe_group(key, ver, why);
	case SM_API_API_VERSIONS: return probe_api_versions(ver, why);
	case SM_API_METADATA: return probe_metadata(ver, why);
	case SM_API_PRODUCE: return probe_produce(ver, why);
	case SM_API_FETCH: return probe_fetch(ver, why);
	case SM_API_LIST_OFFSETS: return probe_list_offsets(ver, why);
	case SM_API_OFFSET_FOR_LEADER_EPOCH: return probe_offset_for_leader_epoch(ver, why);
	case SM_API_CREATE_TOPICS:
	case SM_API_DELETE_TOPICS: return probe_create_delete(key, ver, why);
	case SM_API_LEADER_AND_ISR:
	case SM_API_UPDATE_METADATA:
	case SM_API_STOP_REPLICA: return probe_interbroker(key, ver, why);
	case SM_API_CONTROLLED_SHUTDOWN:
	case SM_API_ELECT_LEADERS:
	case SM_API_ALTER_PARTITION_REASSIGNMENTS:
	case SM_API_LIST_PARTITION_REASSIGNMENTS:
	case SM_API_CREATE_PARTITIONS: return probe_cluster_admin(key, ver, why);
	case SM_API_DELETE_RECORDS: return probe_delete_records(ver, why);
	case SM_API_DESCRIBE_LOG_DIRS: return probe_describe_log_dirs(ver, why);
	case SM_API_ALTER_REPLICA_LOG_DIRS: return probe_alter_replica_log_dirs(ver, why);
	case SM_API_DESCRIBE_CONFIGS: return probe_describe_configs(ver, why);
	case SM_API_ALTER_CONFIGS:
	case SM_API_INCREMENTAL_ALTER_CONFIGS: return probe_alter_configs(key, ver, why);
	case SM_API_INIT_PRODUCER_ID: return probe_init_producer_id(ver, why);
	case SM_API_DESCRIBE_CLUSTER: return probe_describe_cluster(ver, why);
	case SM_API_WRITE_TXN_MARKERS: return probe_write_txn_markers(ver, why);
	case SM_API_TXN_OFFSET_COMMIT: return probe_txn_offset_commit(ver, why);
	case SM_API_ADD_PARTITIONS_TO_TXN:
	case SM_API_ADD_OFFSETS_TO_TXN:
	case SM_API_END_TXN: return probe_txn(key, ver, why);
	case SM_API_DESCRIBE_ACLS:
	case SM_API_CREATE_ACLS:
	case SM_API_DELETE_ACLS: return probe_acls(key, ver, why);
	case SM_API_SASL_HANDSHAKE:
	case SM_API_SASL_AUTHENTICATE: return probe_sasl(key, ver, why);
	case SM_API_ALTER_USER_SCRAM_CREDENTIALS:
	case SM_API_DESCRIBE_USER_SCRAM_CREDENTIALS: return probe_scram(key, ver, why);
	case SM_API_ALTER_CLIENT_QUOTAS:
	case SM_API_DESCRIBE_CLIENT_QUOTAS: return probe_client_quotas(key, ver, why);
	}
	snprintf(why, 256, "advertised, but the probe has no check for it");
	return -1;
}

/* Order matters: data is produced at every version before it is fetched and
 * listed at every version; topics are created before they are deleted. */
static const int16_t probe_order[] = {
	SM_API_API_VERSIONS, SM_API_METADATA, SM_API_PRODUCE, SM_API_FETCH,
	SM_API_LIST_OFFSETS, SM_API_OFFSET_FOR_LEADER_EPOCH, SM_API_CREATE_TOPICS, SM_API_DELETE_TOPICS,
	SM_API_LEADER_AND_ISR, SM_API_UPDATE_METADATA, SM_API_STOP_REPLICA,
	SM_API_CONTROLLED_SHUTDOWN, SM_API_ELECT_LEADERS, SM_API_CREATE_PARTITIONS,
	SM_API_ALTER_PARTITION_REASSIGNMENTS, SM_API_LIST_PARTITION_REASSIGNMENTS,
	SM_API_FIND_COORDINATOR, SM_API_JOIN_GROUP, SM_API_SYNC_GROUP, SM_API_HEARTBEAT,
	SM_API_LEAVE_GROUP, SM_API_OFFSET_COMMIT, SM_API_OFFSET_FETCH, SM_API_DESCRIBE_GROUPS,
	SM_API_LIST_GROUPS, SM_API_OFFSET_DELETE, SM_API_DELETE_GROUPS,
	SM_API_DESCRIBE_LOG_DIRS, SM_API_ALTER_REPLICA_LOG_DIRS,
	SM_API_DESCRIBE_CONFIGS, SM_API_ALTER_CONFIGS, SM_API_INCREMENTAL_ALTER_CONFIGS,
	SM_API_INIT_PRODUCER_ID, SM_API_DESCRIBE_CLUSTER, SM_API_WRITE_TXN_MARKERS,
	SM_API_TXN_OFFSET_COMMIT,
	SM_API_DESCRIBE_ACLS, SM_API_CREATE_ACLS, SM_API_DELETE_ACLS,
	SM_API_SASL_HANDSHAKE, SM_API_SASL_AUTHENTICATE,
	SM_API_ALTER_USER_SCRAM_CREDENTIALS, SM_API_DESCRIBE_USER_SCRAM_CREDENTIALS,
	SM_API_ALTER_CLIENT_QUOTAS, SM_API_DESCRIBE_CLIENT_QUOTAS,
	SM_API_DELETE_RECORDS, /* moves the log start: after every read of the probe data */
	/* a commit marker lands in the probe topic: after DeleteRecords counted it */
	SM_API_ADD_PARTITIONS_TO_TXN, SM_API_ADD_OFFSETS_TO_TXN, SM_API_END_TXN,
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
	probe_x_t x;
	px_init(&x);
	sm_api_versions_req_t avreq;
	sm_api_versions_req_init(&avreq);
	sm_api_versions_req_write(&x.body, 0, &avreq);
	if (sm_net_client_request(probe_client, SM_API_API_VERSIONS, 0, &x.body, 0, &x.resp, 10000)) {
		fprintf(stderr, "api_probe: no ApiVersions answer: %s\n", sm_net_client_last_error(probe_client));
		return 1;
	}
	sm_api_versions_resp_t av;
	sm_rbuf_init(&x.rb, x.resp.p, x.resp.len);
	if (sm_api_versions_resp_read(&x.rb, 0, &x.a, &av) || av.error_code) {
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
	sm_wbuf_reset(&x.body);
	sm_wbuf_reset(&x.resp);
	sm_api_versions_req_write(&x.body, 3, &avreq);
	sm_api_versions_resp_t fb;
	int fr = sm_net_client_request_hdr(probe_client, SM_API_API_VERSIONS, 4, &x.body, 2, 0, &x.resp, 10000);
	sm_rbuf_init(&x.rb, x.resp.p, x.resp.len);
	int fb_ok = !fr && !sm_api_versions_resp_read(&x.rb, 0, &x.a, &fb) &&
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
	px_free(&x);
	sm_net_client_destroy(probe_client);
	printf("%s: %d failures\n", probe_failures ? "FAILED" : "all advertised versions work", probe_failures);
	return probe_failures ? 1 : 0;
}
