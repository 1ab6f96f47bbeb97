/*
 * test_replication.c - unit tests of replication: the OffsetForLeaderEpoch
 * codec, the leader epoch cache and its checkpoint file, fetcher ids, and
 * the replica manager's leader side (high watermark over the ISR, acks=-1
 * completion, ISR expansion and shrink, divergence, the follower views and
 * HW news of KIP-392) and follower side
 * (truncation, epoch tracking on follower appends), and a partition on its
 * own, whose ISR changes reach ZooKeeper only through its owner's hooks.
 */
#include <CUnit/Basic.h>
#include <pthread.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "kafka_config.h"
#include "leader_epoch_cache.h"
#include "../log/log_fixture.h"
#include "log_manager.h"
#include "msg_offset_for_leader_epoch.h"
#include "properties.h"
#include "record_batch.h"
#include "replica_fetcher.h"
#include "replica_manager.h"

/* ---- OffsetForLeaderEpoch codec ---- */

static void test_ofle_roundtrip(void)
{
	for (int16_t v = 0; v <= sm_proto_api(SM_API_OFFSET_FOR_LEADER_EPOCH)->max_ver; v++) {
		sm_offset_for_leader_epoch_req_partition_t rp[2] = { { 0, 7, 5 }, { 3, 8, 6 } };
		sm_offset_for_leader_epoch_req_topic_t rt = { .topic = (char *)"orders", .partitions = rp, .partitions_cnt = 2 };
		sm_offset_for_leader_epoch_req_t req = { .replica_id = 2, .topics = &rt, .topics_cnt = 1 };
		sm_wbuf_t w;
		sm_wbuf_init(&w, 64);
		sm_offset_for_leader_epoch_req_write(&w, v, &req);
		sm_arena_t a;
		sm_arena_init(&a);
		sm_rbuf_t rb;
		sm_rbuf_init(&rb, w.p, w.len);
		sm_offset_for_leader_epoch_req_t got;
		CU_ASSERT_EQUAL_FATAL(sm_offset_for_leader_epoch_req_read(&rb, v, &a, &got), 0);
		CU_ASSERT_EQUAL(rb.pos, w.len);
		CU_ASSERT_EQUAL(got.replica_id, v >= 3 ? 2 : -2 /* schema default */);
		CU_ASSERT_EQUAL_FATAL(got.topics_cnt, 1);
		CU_ASSERT_STRING_EQUAL(got.topics[0].topic, "orders");
		CU_ASSERT_EQUAL_FATAL(got.topics[0].partitions_cnt, 2);
		CU_ASSERT_EQUAL(got.topics[0].partitions[1].partition, 3);
		CU_ASSERT_EQUAL(got.topics[0].partitions[1].current_leader_epoch, v >= 2 ? 8 : -1);
		CU_ASSERT_EQUAL(got.topics[0].partitions[1].leader_epoch, 6);
		/* Every truncation of the body fails cleanly. */
		for (size_t cut = 0; cut < w.len; cut++) {
			sm_rbuf_init(&rb, w.p, cut);
			CU_ASSERT_EQUAL(sm_offset_for_leader_epoch_req_read(&rb, v, &a, &got), -1);
		}
		sm_offset_for_leader_epoch_resp_partition_t op = { .error_code = 74, .partition = 3, .leader_epoch = 6,
						.end_offset = 1234 };
		sm_offset_for_leader_epoch_resp_topic_t ot = { .topic = (char *)"orders", .partitions = &op, .partitions_cnt = 1 };
		sm_offset_for_leader_epoch_resp_t resp = { .throttle_time_ms = 9, .topics = &ot, .topics_cnt = 1 };
		sm_wbuf_reset(&w);
		sm_offset_for_leader_epoch_resp_write(&w, v, &resp);
		sm_rbuf_init(&rb, w.p, w.len);
		sm_offset_for_leader_epoch_resp_t gr;
		CU_ASSERT_EQUAL_FATAL(sm_offset_for_leader_epoch_resp_read(&rb, v, &a, &gr), 0);
		CU_ASSERT_EQUAL(rb.pos, w.len);
		CU_ASSERT_EQUAL(gr.throttle_time_ms, v >= 2 ? 9 : 0);
		CU_ASSERT_EQUAL_FATAL(gr.topics_cnt, 1);
		CU_ASSERT_EQUAL(gr.topics[0].partitions[0].error_code, 74);
		CU_ASSERT_EQUAL(gr.topics[0].partitions[0].leader_epoch, v >= 1 ? 6 : -1);
		CU_ASSERT_EQUAL(gr.topics[0].partitions[0].end_offset, 1234);
		for (size_t cut = 0; cut < w.len; cut++) {
			sm_rbuf_init(&rb, w.p, cut);
			CU_ASSERT_EQUAL(sm_offset_for_leader_epoch_resp_read(&rb, v, &a, &gr), -1);
		}
		sm_arena_destroy(&a);
		sm_wbuf_free(&w);
	}
}

static void test_ofle_hostile(void)
{
	/* v0: a topic count of two billion with a 4-byte body. */
	const uint8_t body[] = { 0x7f, 0xff, 0xff, 0xff };
	sm_arena_t a;
	sm_arena_init(&a);
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, body, sizeof(body));
	sm_offset_for_leader_epoch_req_t req;
	CU_ASSERT_EQUAL(sm_offset_for_leader_epoch_req_read(&rb, 0, &a, &req), -1);
	sm_rbuf_init(&rb, body, sizeof(body));
	CU_ASSERT_EQUAL(sm_offset_for_leader_epoch_req_read(&rb, 5, &a, &req), -1); /* unsupported version */
	sm_arena_destroy(&a);
}

/* ---- leader epoch cache ---- */

static void test_lec_semantics(void)
{
	sm_lec_t *c = sm_lec_open(NULL);
	int32_t e;
	int64_t end;
	CU_ASSERT_EQUAL(sm_lec_latest_epoch(c), -1);
	sm_lec_end_offset_for(c, 0, 10, &e, &end);
	CU_ASSERT(e == -1 && end == -1);
	CU_ASSERT_EQUAL(sm_lec_assign(c, 1, 0), 1);
	CU_ASSERT_EQUAL(sm_lec_assign(c, 1, 5), 0); /* not newer */
	CU_ASSERT_EQUAL(sm_lec_assign(c, 3, 100), 1);
	CU_ASSERT_EQUAL(sm_lec_assign(c, 2, 150), 0); /* older epochs never come back */
	CU_ASSERT_EQUAL(sm_lec_assign(c, 6, 250), 1);
	CU_ASSERT_EQUAL(sm_lec_latest_epoch(c), 6);
	sm_lec_end_offset_for(c, 6, 300, &e, &end); /* latest: the log end */
	CU_ASSERT(e == 6 && end == 300);
	sm_lec_end_offset_for(c, 3, 300, &e, &end);
	CU_ASSERT(e == 3 && end == 250);
	sm_lec_end_offset_for(c, 4, 300, &e, &end); /* unknown epoch: floor 3 */
	CU_ASSERT(e == 3 && end == 250);
	sm_lec_end_offset_for(c, 0, 300, &e, &end); /* older than all */
	CU_ASSERT(e == 0 && end == 0);
	sm_lec_end_offset_for(c, 9, 300, &e, &end); /* newer than all */
	CU_ASSERT(e == -1 && end == -1);
	sm_lec_end_offset_for(c, -1, 300, &e, &end);
	CU_ASSERT(e == -1 && end == -1);
	sm_lec_truncate_from_end(c, 250);
	CU_ASSERT_EQUAL(sm_lec_latest_epoch(c), 3);
	/* A new epoch starting below existing entries replaces them. */
	CU_ASSERT_EQUAL(sm_lec_assign(c, 7, 50), 1);
	sm_lec_entry_t ent[4];
	CU_ASSERT_EQUAL(sm_lec_entries(c, ent, 4), 2);
	CU_ASSERT(ent[0].epoch == 1 && ent[0].start_offset == 0);
	CU_ASSERT(ent[1].epoch == 7 && ent[1].start_offset == 50);
	sm_lec_destroy(c);
}

static void test_lec_file(void)
{
	char dir[300], path[400];
	snprintf(dir, sizeof(dir), "%s/lec", test_root);
	mkdir(dir, 0755);
	sm_lec_t *c = sm_lec_open(dir);
	sm_lec_assign(c, 0, 0);
	sm_lec_assign(c, 4, 1534);
	sm_lec_destroy(c);
	snprintf(path, sizeof(path), "%s/%s", dir, SM_LEC_FILE);
	FILE *f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	char buf[128] = "";
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	CU_ASSERT_STRING_EQUAL(buf, "0\n2\n0 0\n4 1534\n");
	c = sm_lec_open(dir);
	CU_ASSERT_EQUAL(sm_lec_latest_epoch(c), 4);
	sm_lec_destroy(c);
	/* Corrupt files are rejected with a reason and read as empty. */
	sm_lec_entry_t *e;
	int cnt;
	char err[128];
	CU_ASSERT_EQUAL(sm_lec_parse("1\n0\n", 4, &e, &cnt, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(sm_lec_parse("0\n2\n0 0\n", 8, &e, &cnt, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(sm_lec_parse("0\n1\n0 x\n", 8, &e, &cnt, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(sm_lec_parse("0\n1\n0 0\n9 9\n", 12, &e, &cnt, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(sm_lec_parse("", 0, &e, &cnt, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cnt, 0);
	CU_ASSERT_EQUAL(sm_lec_parse("0\n1\n2 10\n", 9, &e, &cnt, err, sizeof(err)), 0);
	CU_ASSERT(cnt == 1 && e[0].epoch == 2 && e[0].start_offset == 10);
	free(e);
	f = fopen(path, "w");
	fputs("0\n5\n1 1\n", f);
	fclose(f);
	c = sm_lec_open(dir);
	CU_ASSERT_EQUAL(sm_lec_latest_epoch(c), -1);
	sm_lec_destroy(c);
}

static void test_fetcher_id(void)
{
	/* Java: "test".hashCode() == 3556498; abs(31 * h + p) % n. */
	CU_ASSERT_EQUAL(sm_fetcher_id("test", 0, 3), (31 * 3556498) % 3);
	CU_ASSERT_EQUAL(sm_fetcher_id("test", 2, 3), (31 * 3556498 + 2) % 3);
	CU_ASSERT_EQUAL(sm_fetcher_id("anything", 5, 1), 0);
	for (int p = 0; p < 50; p++) {
		int id = sm_fetcher_id("a-rather-long-topic-name-that-overflows", p, 4);
		CU_ASSERT(id >= 0 && id < 4);
	}
}

/* ---- replica manager ---- */

static sm_kafka_config_t rm_cfg;
static sm_log_manager_t *rm_lm;
static sm_replica_manager_t *rm;

static void rm_setup(void)
{
	char dir[300], text[600], err[256];
	lf_tmpdir(dir, sizeof(dir), "logs");
	snprintf(text, sizeof(text),
		 "zookeeper.connect=localhost:1\nbroker.id=1\nlog.dirs=%s\nmin.insync.replicas=2\n"
		 "replica.lag.time.max.ms=200\nreplica.fetch.wait.max.ms=50\nreplica.fetch.backoff.ms=50\n",
		 dir);
	sm_props_t props;
	sm_props_init(&props);
	CU_ASSERT_EQUAL_FATAL(sm_props_parse(&props, text, strlen(text), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(sm_kafka_config_from_props(&rm_cfg, &props, err, sizeof(err)), 0);
	sm_props_free(&props);
	sm_log_config_t defaults;
	sm_log_config_defaults(&defaults);
	rm_lm = sm_log_manager_new((const char *const *)rm_cfg.log_dir_list, rm_cfg.log_dir_cnt, &defaults);
	CU_ASSERT_EQUAL_FATAL(sm_log_manager_startup(rm_lm, "test-cluster", 1), 0);
	rm = sm_replica_manager_new(&rm_cfg, rm_lm, NULL, 1);
	sm_replica_manager_startup(rm);
}

static void rm_teardown(void)
{
	sm_replica_manager_shutdown(rm);
	sm_replica_manager_destroy(rm);
	sm_log_manager_shutdown(rm_lm);
	sm_log_manager_destroy(rm_lm);
	sm_kafka_config_free(&rm_cfg);
}

static void rm_lai(int32_t leader, int32_t epoch, const int32_t *isr, int n_isr, int port)
{
	static const int32_t replicas[] = { 1, 2, 3 };
	sm_leader_and_isr_req_partition_state_t st = {
		.topic_name = (char *)"t", .partition_index = 0, .controller_epoch = 1, .leader = leader,
		.leader_epoch = epoch, .isr = (int32_t *)isr, .isr_cnt = n_isr, .partition_epoch = epoch,
		.replicas = (int32_t *)replicas, .replicas_cnt = 3,
	};
	sm_leader_and_isr_req_live_leader_t ll = { .broker_id = leader, .host_name = (char *)"127.0.0.1",
						   .port = port };
	sm_leader_and_isr_req_t req = { .controller_id = 9, .controller_epoch = 1,
					.ungrouped_partition_states = &st, .ungrouped_partition_states_cnt = 1,
					.live_leaders = &ll, .live_leaders_cnt = 1 };
	sm_arena_t a;
	sm_arena_init(&a);
	sm_leader_and_isr_resp_t resp;
	sm_replica_manager_leader_and_isr(rm, &req, &a, &resp);
	CU_ASSERT_EQUAL(resp.error_code, 0);
	CU_ASSERT_EQUAL(resp.partition_errors_cnt, 1);
	CU_ASSERT_EQUAL(resp.partition_errors[0].error_code, 0);
	sm_arena_destroy(&a);
}

static void rm_append(sm_partition_t *p, int n, int16_t acks, sm_err_t expect)
{
	sm_record_t recs[8];
	memset(recs, 0, sizeof(recs));
	for (int i = 0; i < n; i++) {
		recs[i].value = (const uint8_t *)"v";
		recs[i].value_len = 1;
		recs[i].key_len = -1;
		recs[i].timestamp = 1000 + i;
	}
	sm_wbuf_t w;
	sm_wbuf_init(&w, 256);
	sm_batch_build(&w, SM_CODEC_NONE, 0, 1000, recs, n);
	sm_log_append_info_t ai;
	CU_ASSERT_EQUAL(sm_partition_append_leader(p, w.p, w.len, acks, &ai), expect);
	sm_wbuf_free(&w);
}

/* Waits (up to 30 s, polling) for the ISR to reach n members, as an ISR
 * expansion is applied by the isr-expiration thread; returns the size. */
static int rm_wait_isr(sm_partition_t *p, int n)
{
	int32_t isr[8];
	int have = 0;
	for (int i = 0; i < 3000 && (have = sm_partition_isr(p, isr, 8)) != n; i++)
		usleep(10000);
	return have;
}

/* Config snapshots: readers on other threads take and drop references
 * while the config-change path publishes new snapshots; each reader sees a
 * whole config (TSan and ASan builds check the publication and the frees). */
static int cfg_stop;

static void *cfg_reader(void *arg)
{
	sm_partition_t *p = arg;
	long seen = 0;
	while (!__atomic_load_n(&cfg_stop, __ATOMIC_ACQUIRE) || seen < 1000) {
		const sm_topic_config_t *tc = sm_partition_config_acquire(p);
		if (tc->min_insync_replicas != 2 || tc->max_message_bytes <= 0)
			return NULL;
		sm_topic_config_release(tc);
		seen++;
	}
	return (void *)seen;
}

static void test_rm_config_snapshots(void)
{
	rm_setup();
	static const int32_t isr12[] = { 1, 2 };
	rm_lai(1, 3, isr12, 2, 0);
	sm_partition_t *p;
	CU_ASSERT_EQUAL_FATAL(sm_replica_manager_leader_partition(rm, "t", 0, &p), 0);
	const sm_topic_config_t *held = sm_partition_config_acquire(p);
	cfg_stop = 0;
	pthread_t r[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&r[i], NULL, cfg_reader, p);
	for (int i = 0; i < 2000; i++)
		sm_replica_manager_topic_config_changed(rm, "t");
	__atomic_store_n(&cfg_stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 2; i++) {
		void *seen;
		pthread_join(r[i], &seen);
		CU_ASSERT((long)seen >= 1000);
	}
	/* A snapshot taken before the changes is still whole. */
	CU_ASSERT_EQUAL(held->min_insync_replicas, 2);
	sm_topic_config_release(held);
	sm_partition_release(p);
	rm_teardown();
}

static void test_rm_leader(void)
{
	rm_setup();
	static const int32_t isr12[] = { 1, 2 };
	rm_lai(1, 3, isr12, 2, 0);
	sm_partition_t *p;
	CU_ASSERT_EQUAL_FATAL(sm_replica_manager_leader_partition(rm, "t", 0, &p), 0);
	CU_ASSERT_EQUAL(sm_lec_latest_epoch(sm_partition_epoch_cache(p)), 3);
	rm_append(p, 2, -1, SM_ERR_NONE);
	/* Follower 2's LEO is unknown: the HW stays and acks=-1 waits. */
	CU_ASSERT_EQUAL(sm_partition_high_watermark(p), 0);
	sm_err_t e;
	CU_ASSERT_EQUAL(sm_partition_check_acks(p, 2, &e), 0);
	sm_partition_update_follower(p, 2, 1, 0);
	CU_ASSERT_EQUAL(sm_partition_high_watermark(p), 1);
	sm_partition_update_follower(p, 2, 2, 0);
	CU_ASSERT_EQUAL(sm_partition_high_watermark(p), 2);
	CU_ASSERT_EQUAL(sm_partition_check_acks(p, 2, &e), 1);
	CU_ASSERT_EQUAL(e, SM_ERR_NONE);
	/* A fetch past the leader's end is ignored. */
	sm_partition_update_follower(p, 2, 99, 0);
	CU_ASSERT_EQUAL(sm_partition_high_watermark(p), 2);
	/* Replica 3 caught up to the HW rejoins the ISR: the fetch only queues
	 * the expansion, the isr-expiration thread writes and applies it. */
	sm_partition_update_follower(p, 3, 2, 0);
	int32_t isr[4];
	CU_ASSERT_EQUAL(rm_wait_isr(p, 3), 3);
	CU_ASSERT_EQUAL(sm_partition_isr(p, isr, 4), 3);
	CU_ASSERT_EQUAL(isr[2], 3);
	/* KIP-392: the leader's view of its followers for the replica
	 * selector, and HW news answered once per follower. */
	sm_replica_view_t views[4];
	int64_t leo = -1;
	CU_ASSERT_EQUAL(sm_partition_follower_views(p, views, 4, &leo), 2);
	CU_ASSERT_EQUAL(leo, 2);
	CU_ASSERT(views[0].id == 2 && views[1].id == 3);
	CU_ASSERT(views[0].log_end_offset == 2 && views[0].log_start_offset == 0);
	CU_ASSERT(views[1].time_since_caught_up_ms >= 0);
	CU_ASSERT_EQUAL(sm_partition_follower_views(p, views, 1, &leo), 1);
	CU_ASSERT_EQUAL(sm_partition_follower_hw_news(p, 2, 2), 1);
	CU_ASSERT_EQUAL(sm_partition_follower_hw_news(p, 2, 2), 0);
	CU_ASSERT_EQUAL(sm_partition_follower_hw_news(p, 3, 2), 1);
	CU_ASSERT_EQUAL(sm_partition_follower_hw_news(p, 2, 1), 0);
	CU_ASSERT_EQUAL(sm_partition_follower_hw_news(p, 9, 5), 0);
	/* OffsetForLeaderEpoch and divergence. */
	int32_t ep;
	int64_t end;
	CU_ASSERT_EQUAL(sm_replica_manager_epoch_end_offset(rm, "t", 0, 3, 3, &ep, &end), 0);
	CU_ASSERT(ep == 3 && end == 2);
	CU_ASSERT_EQUAL(sm_replica_manager_epoch_end_offset(rm, "t", 0, 2, 3, &ep, &end),
			SM_ERR_FENCED_LEADER_EPOCH);
	CU_ASSERT_EQUAL(sm_replica_manager_epoch_end_offset(rm, "t", 0, 4, 3, &ep, &end),
			SM_ERR_UNKNOWN_LEADER_EPOCH);
	CU_ASSERT_EQUAL(sm_replica_manager_epoch_end_offset(rm, "nope", 0, -1, 3, &ep, &end),
			SM_ERR_UNKNOWN_TOPIC_OR_PARTITION);
	CU_ASSERT_EQUAL(sm_partition_diverging(p, 3, 2, &ep, &end), 0);
	CU_ASSERT_EQUAL(sm_partition_diverging(p, 2, 2, &ep, &end), 1);
	CU_ASSERT(ep == 2 && end == 0);
	/* Followers stop fetching: after the lag time they leave the ISR, the
	 * HW moves on with the leader alone, and acks=-1 reports the ISR
	 * below min.insync.replicas. */
	rm_append(p, 3, -1, SM_ERR_NONE);
	for (int i = 0; i < 60 && sm_partition_isr_size(p) > 1; i++)
		usleep(50000);
	CU_ASSERT_EQUAL(sm_partition_isr_size(p), 1);
	CU_ASSERT_EQUAL(sm_partition_high_watermark(p), 5);
	CU_ASSERT_EQUAL(sm_partition_check_acks(p, 5, &e), 1);
	CU_ASSERT_EQUAL(e, SM_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND);
	rm_append(p, 1, -1, SM_ERR_NOT_ENOUGH_REPLICAS);
	rm_append(p, 1, 1, SM_ERR_NONE);
	sm_partition_release(p);
	rm_teardown();
}

/* A partition's owner as the replica manager is one: what each hook saw. */
typedef struct hook_rec {
	int writes, isr_changes, expands, changes;
	int32_t isr[8];
	int n_isr;
	int32_t epoch, zkv, cepoch;
	sm_err_t fail; /* what write_isr answers */
} hook_rec_t;

static sm_err_t hk_write_isr(void *opaque, const sm_partition_t *p, int32_t leader_epoch,
			     int32_t zk_version, int32_t controller_epoch, int32_t *isr, int n,
			     int32_t *new_zk_version)
{
	hook_rec_t *r = opaque;
	CU_ASSERT_STRING_EQUAL(sm_partition_topic(p), "solo");
	r->writes++;
	r->epoch = leader_epoch;
	r->zkv = zk_version;
	r->cepoch = controller_epoch;
	r->n_isr = n < 8 ? n : 8;
	memcpy(r->isr, isr, sizeof(int32_t) * (size_t)r->n_isr);
	*new_zk_version = zk_version + 1;
	return r->fail;
}

static void hk_isr_changed(void *opaque, const sm_partition_t *p)
{
	(void)p;
	((hook_rec_t *)opaque)->isr_changes++;
}

static void hk_queue_expand(void *opaque, sm_partition_t *p)
{
	(void)p;
	((hook_rec_t *)opaque)->expands++;
}

static void hk_changed(void *opaque, sm_partition_t *p)
{
	(void)p;
	((hook_rec_t *)opaque)->changes++;
}

static const sm_partition_hooks_t test_hooks = {
	.write_isr = hk_write_isr,
	.isr_changed = hk_isr_changed,
	.queue_expand = hk_queue_expand,
	.changed = hk_changed,
};

static void test_partition_hooks(void)
{
	rm_setup();
	sm_topic_config_t tc;
	memset(&tc, 0, sizeof(tc));
	sm_log_config_defaults(&tc.log);
	tc.max_message_bytes = 1000012;
	tc.min_insync_replicas = 2;
	tc.compression_type = -1;
	sm_log_t *log = sm_log_manager_get_or_create(rm_lm, "solo", 0, &tc.log);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	hook_rec_t rec;
	memset(&rec, 0, sizeof(rec));
	sm_partition_t *p = sm_partition_new("solo", 0, log, &tc, 1, &test_hooks, &rec);
	/* A follower without a leader until the controller speaks. */
	CU_ASSERT_EQUAL(sm_partition_leader_status(p), SM_ERR_NOT_LEADER_OR_FOLLOWER);
	rm_append(p, 1, 1, SM_ERR_NOT_LEADER_OR_FOLLOWER);

	static const int32_t replicas[] = { 1, 2, 3 }, isr12[] = { 1, 2 };
	sm_leader_and_isr_req_partition_state_t st = {
		.topic_name = (char *)"solo", .partition_index = 0, .controller_epoch = 4, .leader = 1,
		.leader_epoch = 5, .isr = (int32_t *)isr12, .isr_cnt = 2, .partition_epoch = 7,
		.replicas = (int32_t *)replicas, .replicas_cnt = 3,
	};
	int was = -1, is = -1;
	int32_t cur = 0;
	CU_ASSERT_EQUAL(sm_partition_make_leader_or_follower(p, &st, &was, &is, &cur), SM_ERR_NONE);
	CU_ASSERT(was == 0 && is == 1 && cur == -1);
	CU_ASSERT_EQUAL(sm_partition_leader_status(p), SM_ERR_NONE);
	/* The same leader epoch again is stale. */
	CU_ASSERT_EQUAL(sm_partition_make_leader_or_follower(p, &st, &was, &is, &cur),
			SM_ERR_STALE_CONTROLLER_EPOCH);
	CU_ASSERT_EQUAL(cur, 5);

	rm_append(p, 2, -1, SM_ERR_NONE);
	CU_ASSERT_EQUAL(rec.changes, 1);
	sm_partition_update_follower(p, 2, 2, 0);
	CU_ASSERT_EQUAL(sm_partition_high_watermark(p), 2);
	CU_ASSERT_EQUAL(rec.changes, 2);
	/* Replica 3 caught up: the fetch only hands the partition over; no
	 * write yet, the ISR is unchanged. */
	sm_partition_update_follower(p, 3, 2, 0);
	CU_ASSERT_EQUAL(rec.expands, 1);
	CU_ASSERT_EQUAL(rec.writes, 0);
	CU_ASSERT_EQUAL(sm_partition_isr_size(p), 2);
	/* The expansion is written through the hook with the cached state, and
	 * used only after the write succeeded. */
	sm_partition_maybe_expand_isr(p);
	CU_ASSERT_EQUAL(rec.writes, 1);
	CU_ASSERT(rec.epoch == 5 && rec.zkv == 7 && rec.cepoch == 4);
	CU_ASSERT_EQUAL_FATAL(rec.n_isr, 3);
	CU_ASSERT(rec.isr[0] == 1 && rec.isr[1] == 2 && rec.isr[2] == 3);
	CU_ASSERT_EQUAL(rec.isr_changes, 1);
	int32_t isr[4];
	CU_ASSERT_EQUAL(sm_partition_isr(p, isr, 4), 3);

	/* Followers behind the leader's end past the lag: a shrink whose
	 * write fails leaves the ISR as it was and announces nothing. */
	rm_append(p, 1, 1, SM_ERR_NONE);
	int64_t later = sm_clock_mono_ms() + 60000;
	rec.fail = SM_ERR__BADVERSION;
	sm_partition_maybe_shrink_isr(p, later, 1000);
	CU_ASSERT_EQUAL(rec.writes, 2);
	CU_ASSERT(rec.n_isr == 1 && rec.isr[0] == 1 && rec.zkv == 8);
	CU_ASSERT_EQUAL(sm_partition_isr_size(p), 3);
	CU_ASSERT_EQUAL(rec.isr_changes, 1);
	rec.fail = SM_ERR_NONE;
	sm_partition_maybe_shrink_isr(p, later, 1000);
	CU_ASSERT_EQUAL(rec.writes, 3);
	CU_ASSERT_EQUAL(sm_partition_isr_size(p), 1);
	CU_ASSERT_EQUAL(rec.isr_changes, 2);
	/* With the leader alone in the ISR the HW reaches its end. */
	CU_ASSERT_EQUAL(sm_partition_high_watermark(p), 3);

	/* StopReplica: appends are refused from now on. */
	sm_partition_stop(p);
	rm_append(p, 1, 1, SM_ERR_NOT_LEADER_OR_FOLLOWER);
	sm_partition_release(p);
	rm_teardown();
}

/* Fake liveness: a bit per broker id. */
static int lw_alive(void *opaque, int32_t broker_id)
{
	return (*(unsigned *)opaque >> broker_id) & 1;
}

static void test_rm_low_watermark(void)
{
	rm_setup();
	static const int32_t isr12[] = { 1, 2 };
	rm_lai(1, 3, isr12, 2, 0);
	sm_partition_t *p;
	CU_ASSERT_EQUAL_FATAL(sm_replica_manager_leader_partition(rm, "t", 0, &p), 0);
	rm_append(p, 4, 1, SM_ERR_NONE);
	unsigned live = 1u << 1 | 1u << 2 | 1u << 3;
	int64_t lw;
	/* Followers not heard from yet hold it at -1. */
	CU_ASSERT_EQUAL(sm_partition_low_watermark(p, lw_alive, &live, &lw), 0);
	CU_ASSERT_EQUAL(lw, -1);
	sm_partition_update_follower(p, 2, 4, 0);
	sm_partition_update_follower(p, 3, 4, 0);
	CU_ASSERT_EQUAL(sm_partition_high_watermark(p), 4);
	CU_ASSERT_EQUAL(sm_log_delete_records(sm_partition_log(p), 3, NULL), 0);
	CU_ASSERT_EQUAL(sm_partition_low_watermark(p, lw_alive, &live, &lw), 0);
	CU_ASSERT_EQUAL(lw, 0);
	sm_partition_update_follower(p, 2, 4, 3);
	CU_ASSERT_EQUAL(sm_partition_low_watermark(p, lw_alive, &live, &lw), 0);
	CU_ASSERT_EQUAL(lw, 0); /* replica 3 counts although not in the ISR */
	sm_partition_update_follower(p, 3, 4, 2);
	CU_ASSERT_EQUAL(sm_partition_low_watermark(p, lw_alive, &live, &lw), 0);
	CU_ASSERT_EQUAL(lw, 2);
	/* A replica on a dead broker does not count; the leader's own does. */
	live &= ~(1u << 3);
	CU_ASSERT_EQUAL(sm_partition_low_watermark(p, lw_alive, &live, &lw), 0);
	CU_ASSERT_EQUAL(lw, 3);
	sm_partition_update_follower(p, 2, 4, 4);
	CU_ASSERT_EQUAL(sm_partition_low_watermark(p, lw_alive, &live, &lw), 0);
	CU_ASSERT_EQUAL(lw, 3);
	/* A new leader epoch forgets what followers reported. */
	rm_lai(1, 4, isr12, 2, 0);
	CU_ASSERT_EQUAL(sm_partition_low_watermark(p, lw_alive, &live, &lw), 0);
	CU_ASSERT_EQUAL(lw, -1);
	sm_partition_release(p);
	rm_teardown();
}

static void test_rm_follower(void)
{
	rm_setup();
	static const int32_t isr12[] = { 1, 2 }, isr2[] = { 2 };
	rm_lai(1, 3, isr12, 2, 0);
	sm_partition_t *p;
	CU_ASSERT_EQUAL_FATAL(sm_replica_manager_leader_partition(rm, "t", 0, &p), 0);
	for (int i = 0; i < 4; i++)
		rm_append(p, 1, 1, SM_ERR_NONE);
	/* Broker 2 takes over (its endpoint refuses connections: the fetcher
	 * only backs off). */
	rm_lai(2, 4, isr2, 1, 1);
	CU_ASSERT(sm_partition_is_follower_of(p, 2, 4));
	sm_partition_t *q;
	CU_ASSERT_EQUAL(sm_replica_manager_leader_partition(rm, "t", 0, &q),
			SM_ERR_NOT_LEADER_OR_FOLLOWER);
	CU_ASSERT_EQUAL(sm_partition_truncate_to(p, 1), 0);
	CU_ASSERT_EQUAL(sm_log_end_offset(sm_partition_log(p)), 1);
	CU_ASSERT_EQUAL(sm_lec_latest_epoch(sm_partition_epoch_cache(p)), 3);
	/* Fetched batches carry the new leader's epoch into the cache. */
	sm_batch_build_opts_t o;
	sm_batch_build_opts_init(&o);
	o.base_offset = 1;
	o.partition_leader_epoch = 4;
	sm_record_t r = { .value = (const uint8_t *)"x", .value_len = 1, .key_len = -1, .timestamp = 5 };
	sm_wbuf_t w;
	sm_wbuf_init(&w, 128);
	sm_batch_build_ex(&w, &o, &r, 1);
	CU_ASSERT_EQUAL(sm_partition_append_follower(p, w.p, w.len), 0);
	CU_ASSERT_EQUAL(sm_log_end_offset(sm_partition_log(p)), 2);
	CU_ASSERT_EQUAL(sm_lec_latest_epoch(sm_partition_epoch_cache(p)), 4);
	/* A batch not at the log end is refused. */
	CU_ASSERT_NOT_EQUAL(sm_partition_append_follower(p, w.p, w.len), 0);
	sm_wbuf_free(&w);
	sm_partition_follower_set_hw(p, 10);
	CU_ASSERT_EQUAL(sm_partition_high_watermark(p), 2);
	/* The leader's log start offset moves this replica's, never past its
	 * own HW. */
	sm_partition_follower_set_log_start(p, 3);
	CU_ASSERT_EQUAL(sm_log_start_offset(sm_partition_log(p)), 0);
	sm_partition_follower_set_log_start(p, 1);
	CU_ASSERT_EQUAL(sm_log_start_offset(sm_partition_log(p)), 1);
	sm_partition_follower_set_log_start(p, 0);
	CU_ASSERT_EQUAL(sm_log_start_offset(sm_partition_log(p)), 1);
	int64_t lw;
	unsigned live = ~0u;
	CU_ASSERT_EQUAL(sm_partition_low_watermark(p, lw_alive, &live, &lw),
			SM_ERR_NOT_LEADER_OR_FOLLOWER);
	sm_partition_release(p);
	rm_teardown();
}

static const lf_test_t tests[] = {
	{ "OffsetForLeaderEpoch round trip, every version", test_ofle_roundtrip },
	{ "OffsetForLeaderEpoch hostile input", test_ofle_hostile },
	{ "leader epoch cache semantics", test_lec_semantics },
	{ "leader-epoch-checkpoint file", test_lec_file },
	{ "fetcher ids", test_fetcher_id },
	{ "leader: HW, acks, ISR expand/shrink, epochs", test_rm_leader },
	{ "leader: topic config snapshots under concurrent changes", test_rm_config_snapshots },
	{ "leader: low watermark for DeleteRecords", test_rm_low_watermark },
	{ "follower: truncation, epochs, log start", test_rm_follower },
	{ "partition alone: ISR writes only through its owner's hooks", test_partition_hooks },
};

int main(void)
{
	return lf_run("/tmp/sm_test_replication", "replication", tests,
		      sizeof(tests) / sizeof(tests[0]));
}
