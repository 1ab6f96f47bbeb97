/*
 * test_txn_coordinator.c - unit tests for the transaction coordinator
 * (txn_coordinator.c) over an in-memory __transaction_state (the group
 * metadata manager's ops) and a real marker channel whose metadata cache
 * knows no partition (so every marker is dropped as for a deleted topic and
 * the transaction completes): InitProducerId epochs, AddPartitionsToTxn,
 * EndTxn by state, fencing of an ongoing transaction, the producer checks,
 * NOT_COORDINATOR / reload from the written records, the record format of
 * Kafka's TransactionLogValue v0 and replay of damaged records.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <CUnit/Basic.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "group_metadata_manager.h"
#include "metadata_cache.h"
#include "record_batch.h"
#include "msg_transaction_state.h"
#include "txn_coordinator.h"

/* ---- an in-memory __transaction_state with one partition ---- */

static sm_wbuf_t g_log;
static int g_appends;
static pthread_mutex_t g_log_lock = PTHREAD_MUTEX_INITIALIZER;

static int fake_append(void *opaque, int32_t partition, uint8_t *batch, size_t len,
		       sm_gmm_done_fn *done, void *arg, sm_err_t *err)
{
	(void)opaque;
	(void)partition;
	(void)done;
	(void)arg;
	pthread_mutex_lock(&g_log_lock);
	sm_wbuf_append(&g_log, batch, len);
	g_appends++;
	pthread_mutex_unlock(&g_log_lock);
	*err = SM_ERR_NONE;
	return 0;
}

static sm_err_t fake_read(void *opaque, int32_t partition, sm_wbuf_t *out)
{
	(void)opaque;
	(void)partition;
	pthread_mutex_lock(&g_log_lock);
	sm_wbuf_append(out, g_log.p, g_log.len);
	pthread_mutex_unlock(&g_log_lock);
	return SM_ERR_NONE;
}

static int appends(void)
{
	pthread_mutex_lock(&g_log_lock);
	int n = g_appends;
	pthread_mutex_unlock(&g_log_lock);
	return n;
}

/* ---- replies ---- */

typedef struct reply {
	pthread_mutex_t lock;
	int done;
	sm_err_t e;
	int64_t pid;
	int16_t epoch;
} reply_t;

static void on_reply(void *arg, sm_err_t e, int64_t pid, int16_t epoch)
{
	reply_t *r = arg;
	pthread_mutex_lock(&r->lock);
	r->done = 1;
	r->e = e;
	r->pid = pid;
	r->epoch = epoch;
	pthread_mutex_unlock(&r->lock);
}

static int64_t g_next_pid = 1000;

static sm_err_t new_pid(void *opaque, int64_t *pid)
{
	(void)opaque;
	*pid = g_next_pid++;
	return SM_ERR_NONE;
}

/* Every write here completes at once, so the reply has run on return. */
static reply_t init_pid(sm_txn_coordinator_t *tc, const char *tid, int64_t pid, int16_t epoch)
{
	reply_t r = { .lock = PTHREAD_MUTEX_INITIALIZER };
	sm_txn_coordinator_init_pid(tc, tid, 60000, pid, epoch, new_pid, NULL, on_reply, &r);
	CU_ASSERT(r.done);
	return r;
}

static sm_err_t add(sm_txn_coordinator_t *tc, const char *tid, int64_t pid, int16_t epoch,
		    const char *topic, int32_t partition)
{
	reply_t r = { .lock = PTHREAD_MUTEX_INITIALIZER };
	sm_txn_tp_t tp = { .topic = topic, .partition = partition };
	sm_txn_coordinator_add_partitions(tc, tid, pid, epoch, &tp, 1, on_reply, &r);
	CU_ASSERT(r.done);
	return r.e;
}

static sm_err_t end(sm_txn_coordinator_t *tc, const char *tid, int64_t pid, int16_t epoch,
		    int commit)
{
	reply_t r = { .lock = PTHREAD_MUTEX_INITIALIZER };
	sm_txn_coordinator_end(tc, tid, pid, epoch, commit, on_reply, &r);
	CU_ASSERT(r.done);
	return r.e;
}

/* Polls until tid reaches state (the marker channel completes on its own
 * threads); 0 once it does. Bounded by a count, not asserted on time. */
static int wait_state(sm_txn_coordinator_t *tc, const char *tid, int8_t want)
{
	for (int i = 0; i < 20000; i++) {
		int8_t st;
		int64_t pid;
		int16_t ep;
		int n;
		if (sm_txn_coordinator_describe(tc, tid, &st, &pid, &ep, &n) == 1 && st == want)
			return 0;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return -1;
}

static int64_t g_expiration_ms = 604800000;
static int32_t g_remove_interval_ms = 3600000;
static int32_t g_abort_interval_ms = 3600000;

static sm_txn_coordinator_t *new_tc(sm_group_metadata_manager_t **gmm, sm_metadata_cache_t **mc,
				    sm_txn_marker_channel_t **ch)
{
	sm_gmm_ops_t ops = { .append = fake_append, .read = fake_read };
	*gmm = sm_gmm_new_ops(&ops);
	*mc = sm_metadata_cache_new(0);
	*ch = sm_txn_marker_channel_new(0, *mc);
	sm_txn_config_t cfg = { .broker_id = 0, .num_partitions = 1,
				.abort_interval_ms = g_abort_interval_ms,
				.remove_interval_ms = g_remove_interval_ms,
				.id_expiration_ms = g_expiration_ms };
	sm_txn_coordinator_t *tc = sm_txn_coordinator_new(&cfg, *gmm, *ch, NULL);
	sm_txn_coordinator_start(tc);
	return tc;
}

static void free_tc(sm_txn_coordinator_t *tc, sm_group_metadata_manager_t *gmm,
		    sm_metadata_cache_t *mc, sm_txn_marker_channel_t *ch)
{
	sm_txn_coordinator_shutdown(tc);
	sm_txn_marker_channel_destroy(ch);
	sm_txn_coordinator_destroy(tc);
	sm_metadata_cache_destroy(mc);
	sm_gmm_destroy(gmm);
}

static int wait_loaded(sm_txn_coordinator_t *tc)
{
	for (int i = 0; i < 20000; i++) {
		int8_t st;
		int64_t pid;
		int16_t ep;
		int n;
		if (sm_txn_coordinator_describe(tc, "probe", &st, &pid, &ep, &n) >= 0)
			return 0;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return -1;
}

static void test_state_machine(void)
{
	sm_wbuf_init(&g_log, 1024);
	g_appends = 0;
	sm_group_metadata_manager_t *gmm;
	sm_metadata_cache_t *mc;
	sm_txn_marker_channel_t *ch;
	sm_txn_coordinator_t *tc = new_tc(&gmm, &mc, &ch);

	/* not loaded: not the coordinator */
	reply_t r = init_pid(tc, "tx", -1, -1);
	CU_ASSERT(r.e == SM_ERR_NOT_COORDINATOR && r.pid == -1);
	sm_txn_coordinator_load(tc, 0, 5);
	CU_ASSERT_FATAL(wait_loaded(tc) == 0);

	r = init_pid(tc, "tx", -1, -1);
	CU_ASSERT(r.e == SM_ERR_NONE && r.pid == 1000 && r.epoch == 0);
	CU_ASSERT(appends() == 1);
	int64_t pid = r.pid;

	/* producer checks */
	CU_ASSERT(add(tc, "tx", pid + 1, 0, "a", 0) == SM_ERR_INVALID_PRODUCER_ID_MAPPING);
	CU_ASSERT(add(tc, "nope", pid, 0, "a", 0) == SM_ERR_INVALID_PRODUCER_ID_MAPPING);
	CU_ASSERT(add(tc, "tx", pid, 1, "a", 0) == SM_ERR_PRODUCER_FENCED);
	CU_ASSERT(end(tc, "tx", pid, 0, 1) == SM_ERR_INVALID_TXN_STATE); /* Empty */

	/* a transaction: a partition already in it costs no write */
	CU_ASSERT(add(tc, "tx", pid, 0, "a", 0) == SM_ERR_NONE);
	CU_ASSERT(appends() == 2);
	CU_ASSERT(add(tc, "tx", pid, 0, "a", 0) == SM_ERR_NONE);
	CU_ASSERT(appends() == 2);
	CU_ASSERT(add(tc, "tx", pid, 0, "b", 3) == SM_ERR_NONE);
	CU_ASSERT(appends() == 3);
	CU_ASSERT(end(tc, "tx", pid, 0, 1) == SM_ERR_NONE);
	CU_ASSERT(wait_state(tc, "tx", SM_TXN_COMPLETE_COMMIT) == 0);
	CU_ASSERT(appends() == 5); /* PrepareCommit, CompleteCommit */
	/* a retried commit succeeds, an abort of it does not */
	CU_ASSERT(end(tc, "tx", pid, 0, 1) == SM_ERR_NONE);
	CU_ASSERT(end(tc, "tx", pid, 0, 0) == SM_ERR_INVALID_TXN_STATE);

	/* the next InitProducerId bumps the epoch; v3+ expectations */
	r = init_pid(tc, "tx", pid, 0);
	CU_ASSERT(r.e == SM_ERR_NONE && r.pid == pid && r.epoch == 1);
	r = init_pid(tc, "tx", pid, 0); /* a retry whose answer was lost */
	CU_ASSERT(r.e == SM_ERR_NONE && r.epoch == 1);
	r = init_pid(tc, "tx", pid + 7, 1);
	CU_ASSERT(r.e == SM_ERR_PRODUCER_FENCED);

	/* an ongoing transaction is fenced and aborted by a new instance */
	CU_ASSERT(add(tc, "tx", pid, 1, "a", 1) == SM_ERR_NONE);
	r = init_pid(tc, "tx", -1, -1);
	CU_ASSERT(r.e == SM_ERR_CONCURRENT_TRANSACTIONS);
	CU_ASSERT(wait_state(tc, "tx", SM_TXN_COMPLETE_ABORT) == 0);
	CU_ASSERT(add(tc, "tx", pid, 1, "a", 1) == SM_ERR_PRODUCER_FENCED);
	r = init_pid(tc, "tx", -1, -1);
	CU_ASSERT(r.e == SM_ERR_NONE && r.epoch == 3);

	/* reloading (a new coordinator epoch) replays the records */
	sm_txn_coordinator_unload(tc, 0);
	CU_ASSERT(add(tc, "tx", pid, 3, "a", 0) == SM_ERR_NOT_COORDINATOR);
	sm_txn_coordinator_load(tc, 0, 6);
	CU_ASSERT_FATAL(wait_loaded(tc) == 0);
	int8_t st;
	int64_t p2;
	int16_t ep;
	int n;
	CU_ASSERT(sm_txn_coordinator_describe(tc, "tx", &st, &p2, &ep, &n) == 1);
	CU_ASSERT(st == SM_TXN_EMPTY && p2 == pid && ep == 3 && n == 0);
	CU_ASSERT(add(tc, "tx", pid, 3, "a", 0) == SM_ERR_NONE);
	/* partitions of several topics, interleaved, survive a reload
	 * (written grouped by topic) */
	sm_txn_tp_t more[4] = { { "b", 2 }, { "a", 5 }, { "b", 2 }, { "c", 0 } };
	reply_t ra = { .lock = PTHREAD_MUTEX_INITIALIZER };
	sm_txn_coordinator_add_partitions(tc, "tx", pid, 3, more, 4, on_reply, &ra);
	CU_ASSERT(ra.done && ra.e == SM_ERR_NONE);
	sm_txn_coordinator_load(tc, 0, 7);
	CU_ASSERT_FATAL(wait_loaded(tc) == 0);
	CU_ASSERT(sm_txn_coordinator_describe(tc, "tx", &st, &p2, &ep, &n) == 1);
	CU_ASSERT(st == SM_TXN_ONGOING && n == 4);
	CU_ASSERT(end(tc, "tx", pid, 3, 0) == SM_ERR_NONE);
	CU_ASSERT(wait_state(tc, "tx", SM_TXN_COMPLETE_ABORT) == 0);

	/* a PrepareCommit left by a previous coordinator is completed on
	 * load: markers again, then CompleteCommit */
	sm_wbuf_t kv;
	sm_wbuf_init(&kv, 128);
	sm_rec_transaction_log_key_t k = { .transactional_id = "crashed" };
	sm_wbuf_i16(&kv, 0);
	sm_rec_transaction_log_key_write(&kv, 0, &k);
	size_t klen = kv.len;
	int32_t ids[2] = { 0, 1 };
	sm_rec_transaction_log_value_transaction_partition_t tp = {
		.topic = "a", .partition_ids = ids, .partition_ids_cnt = 2 };
	sm_rec_transaction_log_value_t v = {
		.producer_id = 77, .producer_epoch = 2, .transaction_timeout_ms = 60000,
		.transaction_status = SM_TXN_PREPARE_COMMIT, .transaction_partitions = &tp,
		.transaction_partitions_cnt = 1, .transaction_last_update_timestamp_ms = 1,
		.transaction_start_timestamp_ms = 1 };
	sm_wbuf_i16(&kv, 0);
	sm_rec_transaction_log_value_write(&kv, 0, &v);
	sm_record_t rec = { .key = kv.p, .key_len = (int32_t)klen, .value = kv.p + klen,
			    .value_len = (int32_t)(kv.len - klen) };
	pthread_mutex_lock(&g_log_lock);
	sm_batch_build(&g_log, SM_CODEC_NONE, 0, 0, &rec, 1);
	pthread_mutex_unlock(&g_log_lock);
	sm_wbuf_free(&kv);
	sm_txn_coordinator_load(tc, 0, 8); /* a newer epoch reloads */
	CU_ASSERT_FATAL(wait_loaded(tc) == 0);
	CU_ASSERT(wait_state(tc, "crashed", SM_TXN_COMPLETE_COMMIT) == 0);
	CU_ASSERT(sm_txn_coordinator_describe(tc, "crashed", &st, &p2, &ep, &n) == 1);
	CU_ASSERT(p2 == 77 && ep == 2 && n == 0);
	CU_ASSERT(end(tc, "crashed", 77, 2, 1) == SM_ERR_NONE);

	free_tc(tc, gmm, mc, ch);
	sm_wbuf_free(&g_log);
}

/* Epoch exhaustion: a new producer id with epoch 0 (the old id and epoch
 * remembered, so a retry of the rotation gets the same answer). */
static void test_pid_rotation(void)
{
	sm_wbuf_init(&g_log, 1024);
	g_appends = 0;
	sm_wbuf_t kv;
	sm_wbuf_init(&kv, 128);
	sm_rec_transaction_log_key_t k = { .transactional_id = "old" };
	sm_wbuf_i16(&kv, 0);
	sm_rec_transaction_log_key_write(&kv, 0, &k);
	size_t klen = kv.len;
	sm_rec_transaction_log_value_t v = {
		.producer_id = 5, .producer_epoch = 32766, .transaction_timeout_ms = 60000,
		.transaction_status = SM_TXN_COMPLETE_COMMIT, .transaction_partitions_cnt = 0,
		.transaction_last_update_timestamp_ms = 1, .transaction_start_timestamp_ms = 1 };
	sm_wbuf_i16(&kv, 0);
	sm_rec_transaction_log_value_write(&kv, 0, &v);
	sm_record_t rec = { .key = kv.p, .key_len = (int32_t)klen, .value = kv.p + klen,
			    .value_len = (int32_t)(kv.len - klen) };
	sm_batch_build(&g_log, SM_CODEC_NONE, 0, 0, &rec, 1);
	sm_wbuf_free(&kv);

	sm_group_metadata_manager_t *gmm;
	sm_metadata_cache_t *mc;
	sm_txn_marker_channel_t *ch;
	sm_txn_coordinator_t *tc = new_tc(&gmm, &mc, &ch);
	sm_txn_coordinator_load(tc, 0, 1);
	CU_ASSERT_FATAL(wait_loaded(tc) == 0);
	g_next_pid = 2000;
	reply_t r = init_pid(tc, "old", 5, 32766);
	CU_ASSERT(r.e == SM_ERR_NONE && r.pid == 2000 && r.epoch == 0);
	r = init_pid(tc, "old", 5, 32766); /* the rotation's answer was lost */
	CU_ASSERT(r.e == SM_ERR_NONE && r.pid == 2000 && r.epoch == 0);
	r = init_pid(tc, "old", 5, 100);
	CU_ASSERT(r.e == SM_ERR_PRODUCER_FENCED);
	r = init_pid(tc, "old", 2000, 0);
	CU_ASSERT(r.e == SM_ERR_NONE && r.pid == 2000 && r.epoch == 1);
	free_tc(tc, gmm, mc, ch);
	sm_wbuf_free(&g_log);
}

/* The txn-coord thread: a transaction open past its timeout is aborted
 * with a bumped epoch (its producer fenced), and an id idle past
 * transactional.id.expiration.ms is removed with a tombstone. */
typedef struct seen_ids {
	int tombs;
} seen_ids_t;

static void count_tombs(void *opaque, const char *tid, const sm_txn_log_entry_t *v)
{
	(void)tid;
	if (!v)
		((seen_ids_t *)opaque)->tombs++;
}

static void test_timeouts_and_expiry(void)
{
	sm_wbuf_init(&g_log, 1024);
	g_appends = 0;
	g_abort_interval_ms = 10;
	g_remove_interval_ms = 3600000;
	sm_group_metadata_manager_t *gmm;
	sm_metadata_cache_t *mc;
	sm_txn_marker_channel_t *ch;
	sm_txn_coordinator_t *tc = new_tc(&gmm, &mc, &ch);
	sm_txn_coordinator_load(tc, 0, 1);
	CU_ASSERT_FATAL(wait_loaded(tc) == 0);
	reply_t r = { .lock = PTHREAD_MUTEX_INITIALIZER };
	sm_txn_coordinator_init_pid(tc, "slow", 1, -1, -1, new_pid, NULL, on_reply, &r);
	CU_ASSERT(r.done && r.e == SM_ERR_NONE && r.epoch == 0);
	int64_t pid = r.pid;
	CU_ASSERT(add(tc, "slow", pid, 0, "a", 0) == SM_ERR_NONE);
	/* the 1 ms timeout passes: aborted with epoch 1 */
	CU_ASSERT(wait_state(tc, "slow", SM_TXN_COMPLETE_ABORT) == 0);
	int8_t st;
	int64_t p2;
	int16_t ep;
	int n;
	CU_ASSERT(sm_txn_coordinator_describe(tc, "slow", &st, &p2, &ep, &n) == 1 && ep == 1);
	CU_ASSERT(end(tc, "slow", pid, 0, 1) == SM_ERR_PRODUCER_FENCED);
	free_tc(tc, gmm, mc, ch);

	/* expiration: ids in Empty/Complete* idle for 1 ms are removed */
	g_abort_interval_ms = 3600000;
	g_remove_interval_ms = 10;
	g_expiration_ms = 1;
	tc = new_tc(&gmm, &mc, &ch);
	sm_txn_coordinator_load(tc, 0, 2);
	CU_ASSERT_FATAL(wait_loaded(tc) == 0);
	int gone = 0;
	for (int i = 0; i < 20000 && !gone; i++) {
		gone = sm_txn_coordinator_describe(tc, "slow", &st, &p2, &ep, &n) == 0;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	CU_ASSERT(gone);
	seen_ids_t s = { 0 };
	pthread_mutex_lock(&g_log_lock);
	sm_txn_log_replay(g_log.p, g_log.len, count_tombs, &s, NULL);
	pthread_mutex_unlock(&g_log_lock);
	CU_ASSERT(s.tombs == 1);
	free_tc(tc, gmm, mc, ch);
	g_remove_interval_ms = 3600000;
	g_expiration_ms = 604800000;
	sm_wbuf_free(&g_log);
}

/* A record written as Kafka writes it (TRANSACTIONS.md's example) loads;
 * a damaged one is counted and skipped. */
typedef struct seen {
	int n;
	char tid[32];
	sm_txn_log_entry_t last;
	int tomb;
} seen_t;

static void on_entry(void *opaque, const char *tid, const sm_txn_log_entry_t *v)
{
	seen_t *s = opaque;
	s->n++;
	snprintf(s->tid, sizeof(s->tid), "%s", tid);
	s->tomb = !v;
	if (v) {
		s->last = *v;
		s->last.tps = NULL;
	}
}

static void test_record_format(void)
{
	static const uint8_t key[] = { 0, 0, 0, 3, 't', 'x', '1' };
	uint8_t val[2 + 8 + 2 + 4 + 1 + 4 + 8 + 8] = { 0 };
	size_t o = 2 + 8 + 2;
	val[o++] = 0x00;
	val[o++] = 0x00;
	val[o++] = 0xEA;
	val[o++] = 0x60;
	val[o++] = 0; /* Empty */
	memset(val + o, 0xFF, 4);
	o += 4;
	val[o + 7] = 42; /* update time */
	o += 8;
	memset(val + o, 0xFF, 8);
	sm_record_t recs[3] = { 0 };
	recs[0].key = key;
	recs[0].key_len = sizeof(key);
	recs[0].value = val;
	recs[0].value_len = sizeof(val);
	static const uint8_t bad[] = { 0, 9, 1 };
	recs[1].key = bad;
	recs[1].key_len = sizeof(bad);
	recs[1].value = val;
	recs[1].value_len = 5;
	recs[2].key = key;
	recs[2].key_len = sizeof(key);
	recs[2].value_len = -1;
	sm_wbuf_t b;
	sm_wbuf_init(&b, 256);
	sm_batch_build(&b, SM_CODEC_NONE, 0, 0, recs, 2);
	seen_t s = { 0 };
	int skipped = 0;
	sm_txn_log_replay(b.p, b.len, on_entry, &s, &skipped);
	CU_ASSERT(s.n == 1 && skipped == 1);
	CU_ASSERT(!strcmp(s.tid, "tx1") && !s.tomb);
	CU_ASSERT(s.last.producer_id == 0 && s.last.producer_epoch == 0 &&
		  s.last.timeout_ms == 60000 && s.last.state == SM_TXN_EMPTY &&
		  s.last.n_tps == 0 && s.last.last_update_ms == 42 && s.last.start_ms == -1);
	sm_wbuf_reset(&b);
	sm_batch_build(&b, SM_CODEC_NONE, 0, 0, recs + 2, 1);
	memset(&s, 0, sizeof(s));
	sm_txn_log_replay(b.p, b.len, on_entry, &s, &skipped);
	CU_ASSERT(s.n == 1 && s.tomb && skipped == 0);
	/* a truncated batch is not replayed at all */
	sm_txn_log_replay(b.p, b.len - 3, on_entry, &s, &skipped);
	CU_ASSERT(s.n == 1);
	sm_wbuf_free(&b);
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("txn_coordinator", NULL, NULL);
	CU_add_test(s, "states, epochs, fencing, reload", test_state_machine);
	CU_add_test(s, "epoch exhaustion: producer id rotation", test_pid_rotation);
	CU_add_test(s, "timeout abort, transactional id expiration", test_timeouts_and_expiry);
	CU_add_test(s, "TransactionLogValue v0 records, damage", test_record_format);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
