/*
 * gen_seeds.c - writes the encoder-made part of the fuzz seed corpus:
 *   request/  every API and version the broker parses (header + body; a
 *             Produce carries a real batch or message set);
 *   response/ every response the broker's clients read, in the harness
 *             format (api_key, api_version, frame; a Fetch carries batches);
 *   records/  batches in every codec, legacy message sets and wrappers,
 *             raw compressed streams, each behind the mode byte of
 *             fuzz_records.c;
 *   zk_data/  every znode type as the encoders write it, plus the older
 *             versions Kafka still reads;
 *   config/   conf/server.properties-like texts.
 * Usage: gen_seeds CORPUS_DIR (the directories must exist or are created).
 * Real frames from real clients come from capture_frames.py.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compression.h"
#include "fuzz.h"
#include "kafka_zk.h"
#include "message_set.h"
#include "record_batch.h"
#include "zk_data.h"

static const char *sm_out;

static void sm_seed(const char *harness, const char *name, const void *p, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", sm_out, harness);
	if (mkdir(path, 0777) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", sm_out, harness, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* A mode byte then the data (fuzz_records.c's input). */
static void sm_seed_rec(const char *name, uint8_t mode, const uint8_t *p, size_t len)
{
	uint8_t *b = malloc(len + 1);
	b[0] = mode;
	memcpy(b + 1, p, len);
	sm_seed("records", name, b, len + 1);
	free(b);
}

static void sm_batch_sample(sm_wbuf_t *w, sm_codec_t codec, int64_t base_offset)
{
	sm_record_header_t hdr = { (const uint8_t *)"h", 1, (const uint8_t *)"hv", 2 };
	sm_record_t recs[3] = {
		{ .key = (const uint8_t *)"k0", .key_len = 2, .value = (const uint8_t *)"value-0",
		  .value_len = 7, .timestamp = 1700000000000LL, .headers = &hdr, .header_count = 1 },
		{ .key = NULL, .key_len = -1, .value = (const uint8_t *)"v1", .value_len = 2,
		  .timestamp = 1700000000001LL },
		{ .key = (const uint8_t *)"k2", .key_len = 2, .value = NULL, .value_len = -1,
		  .timestamp = 1700000000002LL },
	};
	sm_batch_build(w, codec, base_offset, 1700000000000LL, recs, 3);
}

static void sm_msgset_sample(sm_wbuf_t *w, int magic, sm_codec_t codec)
{
	sm_wbuf_t inner;
	sm_wbuf_init(&inner, 0);
	sm_msgset_append(&inner, 0, magic, 0, magic ? 1700000000000LL : -1,
			 (const uint8_t *)"k", 1, (const uint8_t *)"legacy-0", 8);
	sm_msgset_append(&inner, 1, magic, 0, magic ? 1700000000001LL : -1, NULL, -1,
			 (const uint8_t *)"legacy-1", 8);
	if (codec == SM_CODEC_NONE)
		sm_wbuf_append(w, inner.p, inner.len);
	else
		sm_msgset_append_wrapper(w, 1, magic, codec, magic ? 1700000000001LL : -1, 0,
					 inner.p, inner.len);
	sm_wbuf_free(&inner);
}

#define SM_SEED_REQ(key, pfx)                                                  \
	case key: {                                                            \
		sm_##pfx##_req_t r;                                            \
		memset(&r, 0, sizeof(r));                                      \
		sm_##pfx##_req_write(w, ver, &r);                              \
		break;                                                         \
	}
#define SM_SEED_RESP(key, pfx)                                                 \
	case key: {                                                            \
		sm_##pfx##_resp_t r;                                           \
		memset(&r, 0, sizeof(r));                                      \
		sm_##pfx##_resp_write(w, ver, &r);                             \
		break;                                                         \
	}
#define SM_SEED_KEYS(key, pfx) key,

static const int16_t sm_keys[] = { SM_FUZZ_APIS(SM_SEED_KEYS) };

static void sm_seed_protocol(void)
{
	for (size_t k = 0; k < sizeof(sm_keys) / sizeof(sm_keys[0]); k++) {
		int16_t key = sm_keys[k];
		const sm_api_info_t *info = sm_proto_api(key);
		for (int16_t ver = info->min_ver; ver <= info->max_ver; ver++) {
			if (!sm_proto_version_supported(key, ver))
				continue;
			char name[64];
			sm_wbuf_t buf, *w = &buf;
			sm_wbuf_init(w, 0);
			sm_req_header_t h = { key, ver, 7, (char *)"gen-seeds", 0 };
			sm_proto_req_header_write(w, &h);
			sm_wbuf_t recs;
			sm_wbuf_init(&recs, 0);
			if (key == SM_API_PRODUCE) {
				if (ver >= 3)
					sm_batch_sample(&recs, SM_CODEC_NONE, 0);
				else
					sm_msgset_sample(&recs, ver >= 2 ? 1 : 0, SM_CODEC_NONE);
				sm_produce_req_partition_data_t pp = { 0, { recs.p, (int32_t)recs.len, NULL, 0 } };
				sm_produce_req_topic_data_t pt = { (char *)"t", &pp, 1 };
				sm_produce_req_t r = { NULL, 1, 30000, &pt, 1 };
				sm_produce_req_write(w, ver, &r);
			} else {
				switch (key) {
					SM_FUZZ_APIS(SM_SEED_REQ)
				}
			}
			snprintf(name, sizeof(name), "enc-%02d-v%02d", key, ver);
			sm_seed("request", name, buf.p, buf.len);

			sm_wbuf_reset(w);
			sm_wbuf_i16(w, key);
			sm_wbuf_i16(w, ver);
			sm_proto_resp_header_write(w, key, ver, 7);
			if (key == SM_API_FETCH) {
				sm_wbuf_reset(&recs);
				sm_batch_sample(&recs, SM_CODEC_NONE, 0);
				sm_batch_sample(&recs, SM_CODEC_GZIP, 3);
				sm_fetch_resp_partition_t fp;
				sm_fetch_resp_partition_init(&fp);
				fp.high_watermark = 6;
				fp.records.ptr = recs.p;
				fp.records.len = (int32_t)recs.len;
				sm_fetch_resp_response_t ft = { (char *)"t", &fp, 1 };
				sm_fetch_resp_t r;
				memset(&r, 0, sizeof(r));
				r.responses = &ft;
				r.responses_cnt = 1;
				sm_fetch_resp_write(w, ver, &r);
			} else {
				switch (key) {
					SM_FUZZ_APIS(SM_SEED_RESP)
				}
			}
			snprintf(name, sizeof(name), "enc-%02d-v%02d", key, ver);
			sm_seed("response", name, buf.p, buf.len);
			sm_wbuf_free(&recs);
			sm_wbuf_free(&buf);
		}
	}
}

static void sm_seed_records(void)
{
	static const sm_codec_t codecs[] = { SM_CODEC_NONE, SM_CODEC_GZIP, SM_CODEC_SNAPPY,
					     SM_CODEC_LZ4, SM_CODEC_ZSTD };
	char name[64];
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
		sm_codec_t c = codecs[i];
		const char *cn = sm_codec_name(c);
		sm_wbuf_t w;
		sm_wbuf_init(&w, 0);
		sm_batch_sample(&w, c, 0);
		/* validate (zstd allowed, compacted), plain CRC check, log walk,
		 * down-conversion, recompression to the next codec. */
		snprintf(name, sizeof(name), "batch-%s", cn);
		sm_seed_rec(name, 0x20, w.p, w.len);
		snprintf(name, sizeof(name), "batch-crc-%s", cn);
		sm_seed_rec(name, 0x21, w.p, w.len);
		snprintf(name, sizeof(name), "downconv0-%s", cn);
		sm_seed_rec(name, 0x04, w.p, w.len);
		snprintf(name, sizeof(name), "downconv1-%s", cn);
		sm_seed_rec(name, 0x05, w.p, w.len);
		snprintf(name, sizeof(name), "recompress-%s", cn);
		sm_seed_rec(name, (uint8_t)(0x26 | ((i % 4) << 6)), w.p, w.len);
		sm_batch_sample(&w, c, 3);
		snprintf(name, sizeof(name), "log-%s", cn);
		sm_seed_rec(name, 0x03, w.p, w.len);
		if (c != SM_CODEC_ZSTD) {
			for (int magic = 0; magic <= 1; magic++) {
				sm_wbuf_reset(&w);
				sm_msgset_sample(&w, magic, c);
				snprintf(name, sizeof(name), "msgset%d-%s", magic, cn);
				sm_seed_rec(name, 0x02, w.p, w.len);
				snprintf(name, sizeof(name), "log-msgset%d-%s", magic, cn);
				sm_seed_rec(name, 0x03, w.p, w.len);
			}
		}
		if (c != SM_CODEC_NONE) {
			static const char text[] = "a stream to decompress, a stream to decompress";
			sm_wbuf_reset(&w);
			sm_compress(c, (const uint8_t *)text, sizeof(text), &w, 2);
			snprintf(name, sizeof(name), "raw-%s", cn);
			sm_seed_rec(name, (uint8_t)(0x07 | ((c - 1) << 6)), w.p, w.len);
			if (c == SM_CODEC_LZ4) {
				sm_wbuf_reset(&w);
				sm_compress(c, (const uint8_t *)text, sizeof(text), &w, 0);
				sm_seed_rec("raw-lz4-magic0", 0x07 | 0x08 | ((c - 1) << 6), w.p, w.len);
			}
		}
		sm_wbuf_free(&w);
	}
	sm_wbuf_t w;
	sm_wbuf_init(&w, 0);
	sm_batch_build_control(&w, 0, 1700000000000LL, 1000, 0, 5, 1);
	sm_seed_rec("log-control", 0x03, w.p, w.len);
	sm_wbuf_free(&w);
}

/* A selector byte then the text (fuzz_zk_data.c's input). */
static void sm_seed_zk(const char *name, uint8_t sel, const char *text)
{
	size_t len = strlen(text);
	uint8_t *b = malloc(len + 1);
	b[0] = sel;
	memcpy(b + 1, text, len);
	sm_seed("zk_data", name, b, len + 1);
	free(b);
}

static void sm_seed_zk_owned(const char *name, uint8_t sel, char *text)
{
	sm_seed_zk(name, sel, text);
	free(text);
}

static void sm_seed_zkdata(void)
{
	sm_zk_broker_info_t b;
	memset(&b, 0, sizeof(b));
	b.jmx_port = -1;
	b.timestamp = 1700000000000LL;
	b.rack = (char *)"rack-a";
	sm_zk_broker_add_endpoint(&b, "PLAINTEXT", "127.0.0.1", 9092, "PLAINTEXT");
	sm_zk_broker_add_endpoint(&b, "REPLICATION", "[::1]", 9093, "SSL");
	sm_seed_zk_owned("broker-v5", 0, sm_zk_broker_encode(&b));
	b.rack = NULL;
	sm_zk_broker_clear(&b);
	sm_seed_zk("broker-v1", 0,
		   "{\"version\":1,\"host\":\"localhost\",\"port\":9092,\"jmx_port\":-1}");
	sm_seed_zk("broker-v4", 0,
		   "{\"listener_security_protocol_map\":{\"PLAINTEXT\":\"PLAINTEXT\"},"
		   "\"endpoints\":[\"PLAINTEXT://h:9092\"],\"jmx_port\":-1,\"host\":\"h\","
		   "\"timestamp\":\"1700000000000\",\"port\":9092,\"version\":4}");
	sm_seed_zk_owned("controller", 1, sm_zk_controller_encode(2, 1700000000000LL));
	sm_seed_zk_owned("controller-epoch", 2, sm_zk_controller_epoch_encode(17));

	sm_zk_topic_assignment_t t;
	memset(&t, 0, sizeof(t));
	t.has_topic_id = 1;
	/* A fixed id, so that regenerating the corpus changes nothing. */
	for (int i = 0; i < 16; i++)
		t.topic_id[i] = (uint8_t)(0x11 * (i + 1));
	int32_t reps[3] = { 1, 2, 3 };
	sm_zk_topic_add_partition(&t, 0, reps, 3);
	sm_zk_topic_add_partition(&t, 1, reps + 1, 2);
	/* Taken after the adds: each may move the partition array. */
	sm_zk_partition_assignment_t *pa = &t.partitions[0];
	pa->adding = malloc(sizeof(int32_t));
	pa->adding[0] = 3;
	pa->n_adding = 1;
	pa->removing = malloc(sizeof(int32_t));
	pa->removing[0] = 1;
	pa->n_removing = 1;
	sm_seed_zk_owned("topic-v3", 3, sm_zk_topic_encode(&t));
	sm_zk_topic_clear(&t);
	sm_seed_zk("topic-v1", 3, "{\"version\":1,\"partitions\":{\"0\":[1,2],\"1\":[2,1]}}");

	sm_zk_partition_state_t st;
	memset(&st, 0, sizeof(st));
	st.leader = 1;
	st.leader_epoch = 4;
	st.controller_epoch = 2;
	sm_zk_partition_state_set_isr(&st, reps, 3);
	sm_seed_zk_owned("partition-state", 4, sm_zk_partition_state_encode(&st));
	sm_zk_partition_state_clear(&st);

	sm_seed_zk_owned("cluster-id", 5, sm_zk_cluster_id_encode("mYcLuStErIdAaAaAaAaAaA"));
	sm_zk_config_t c;
	memset(&c, 0, sizeof(c));
	sm_zk_config_set(&c, "retention.ms", "1000");
	sm_zk_config_set(&c, "cleanup.policy", "compact,delete");
	sm_seed_zk_owned("config", 6, sm_zk_config_encode(&c));
	sm_zk_config_clear(&c);
	sm_seed_zk_owned("config-change-v2", 7, sm_zk_config_change_encode("topics/t"));
	sm_seed_zk("config-change-v1", 7,
		   "{\"version\":1,\"entity_type\":\"topics\",\"entity_name\":\"t\"}");
	sm_zk_topic_partition_t tps[2] = { { (char *)"t", 0 }, { (char *)"u", 3 } };
	sm_seed_zk_owned("isr-change", 8, sm_zk_isr_change_encode(tps, 2));
	sm_seed_zk_owned("preferred-election", 8, sm_zk_isr_change_encode(tps, 2));
	sm_seed_zk_owned("log-dir-event", 9, sm_zk_log_dir_event_encode(3));
	int32_t rr[2] = { 2, 3 };
	sm_kzk_reassignment_t ra = { (char *)"t", 0, 2, rr };
	sm_seed_zk_owned("reassignment", 10, sm_kzk_reassignment_encode(&ra, 1, 1));
	sm_seed_zk("endpoint", 11, "SASL_PLAINTEXT://[fe80::1]:9092");
	sm_seed_zk("uuid", 12, "AAAAAAAAAAAAAAAAAAAAAA");
	sm_zk_acl_t acls[2] = { { (char *)"User:alice", (char *)"*", SM_ACL_OP_READ,
				  SM_ACL_PERM_ALLOW },
				{ (char *)"User:CN=b,O=x", (char *)"10.0.0.1",
				  SM_ACL_OP_IDEMPOTENT_WRITE, SM_ACL_PERM_DENY } };
	sm_seed_zk_owned("acls", 13, sm_zk_acls_encode(acls, 2));
	sm_seed_zk_owned("acl-change-literal", 14,
			 sm_zk_acl_change_encode(SM_ACL_PAT_LITERAL, SM_ACL_RES_TOPIC, "t"));
	sm_seed_zk_owned("acl-change-extended", 14 + 15,
			 sm_zk_acl_change_encode(SM_ACL_PAT_PREFIXED, SM_ACL_RES_GROUP, "g-"));
}

static void sm_seed_config(void)
{
	static const char *texts[][2] = {
		{ "minimal", "broker.id=0\nzookeeper.connect=localhost:2181\nlog.dirs=/tmp/x\n" },
		{ "server",
		  "# comment\n! also a comment\nbroker.id = 1\nlisteners=PLAINTEXT://:9092,"
		  "REPLICATION://127.0.0.1:9093\nlistener.security.protocol.map=PLAINTEXT:PLAINTEXT,"
		  "REPLICATION:PLAINTEXT\ninter.broker.listener.name=REPLICATION\n"
		  "num.network.threads=3\nnum.io.threads=8\nsocket.request.max.bytes=104857600\n"
		  "log.dirs=/tmp/a,/tmp/b\nnum.partitions=3\nlog.retention.hours=168\n"
		  "log.segment.bytes=1073741824\nzookeeper.connect=localhost:2181/chroot\n"
		  "zookeeper.connection.timeout.ms=18000\ngroup.initial.rebalance.delay.ms=0\n"
		  "compression.type=producer\nlog.cleanup.policy=compact,delete\n"
		  "min.insync.replicas=2\nunclean.leader.election.enable=false\n" },
		{ "escapes",
		  "key\\ with\\ spaces : value\\u0041\\tend\nlong.value = first \\\n    second\n"
		  "broker.id 2\nzookeeper.connect\tzk:2181\n\f\nretention.ms=-1\n" },
		{ "topic-overrides",
		  "broker.id=0\nzookeeper.connect=zk\nmax.message.bytes=1048588\n"
		  "segment.ms=604800000\nmessage.timestamp.type=LogAppendTime\n"
		  "min.compaction.lag.ms=10\nmax.compaction.lag.ms=5\nretention.bytes=-1\n" },
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		sm_seed("config", texts[i][0], texts[i][1], strlen(texts[i][1]));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	sm_out = argv[1];
	if (mkdir(sm_out, 0777) && errno != EEXIST) {
		perror(sm_out);
		return 1;
	}
	sm_seed_protocol();
	sm_seed_records();
	sm_seed_zkdata();
	sm_seed_config();
	return 0;
}
