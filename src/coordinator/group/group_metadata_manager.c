/*
 * group_metadata_manager.c - storage of consumer group state in
 * __consumer_offsets (Kafka's GroupMetadataManager: storeOffsets,
 * storeGroup, tombstones on deletion/expiry, and loadGroupsAndOffsets).
 *
 * Every write is one uncompressed v2 batch appended through the leader path,
 * so a follower replicates it like any produced batch and a compacted log
 * keeps the latest value per key. An acks=-1 write that the ISR does not
 * have yet waits as a delayed operation in the purgatory, re-checked on
 * every high watermark advance or ISR change of the partition, exactly like
 * an acks=-1 produce (api_produce.c); with a single-replica ISR the append
 * itself advances the high watermark and the write ends at once.
 * Appends use the coordinator's origin (sm_partition_append_coordinator):
 * a TxnOffsetCommit batch carries its producer's id and epoch with base
 * sequence 0 every time, so only its epoch is checked. Loading hands the
 * offsets of transactional batches and the COMMIT/ABORT markers to the
 * loader separately.
 *
 * Thread-safety: the purgatory pointer is atomic; otherwise stateless apart
 * from the ops; see the header.
 */
#include "group_metadata_manager.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "producer_state.h"
#include "delayed_op.h"
#include "record_batch.h"
#include "replica_manager.h"

struct sm_group_metadata_manager {
	sm_gmm_ops_t ops;
	sm_replica_manager_t *rm;
	char *topic;
	int16_t required_acks;
	int32_t timeout_ms;
	sm_purgatory_t *purgatory; /* atomic */
};

/* An acks=-1 write waiting for the ISR (Kafka's DelayedProduce of one
 * partition). */
typedef struct sm_gmm_wait {
	sm_partition_t *p;
	int64_t required; /* last appended offset + 1 */
	sm_gmm_done_fn *done;
	void *arg;
} sm_gmm_wait_t;

/* sm_delayed_op_fn: ends the write once the ISR has it or time is up. */
static int sm_gmm_wait_try(void *arg, int expired)
{
	sm_gmm_wait_t *w = arg;
	sm_err_t e;
	if (!sm_partition_check_acks(w->p, w->required, &e)) {
		if (!expired)
			return 0;
		e = SM_ERR_REQUEST_TIMED_OUT;
	}
	sm_partition_release(w->p);
	w->done(w->arg, e);
	free(w);
	return 1;
}

static int sm_gmm_rm_append(void *opaque, int32_t partition, uint8_t *batch, size_t len,
			    sm_gmm_done_fn *done, void *arg, sm_err_t *err)
{
	sm_group_metadata_manager_t *gmm = opaque;
	sm_partition_t *p = NULL;
	int16_t acks = done ? gmm->required_acks : 1;
	/* Kafka's appendRecords refuses what a producer could not ask for. */
	*err = acks < -1 || acks > 1 ? SM_ERR_INVALID_REQUIRED_ACKS
		: sm_replica_manager_leader_partition(gmm->rm, gmm->topic, partition, &p);
	if (*err)
		return 0;
	sm_log_append_info_t info = { 0 };
	/* origin Coordinator: a transactional offset commit's producer id is
	 * checked for its epoch only (Kafka's appendForGroup) */
	*err = sm_partition_append_coordinator(p, batch, len, acks, &info);
	int64_t required = info.last_offset + 1;
	if (*err || acks != -1 || sm_partition_check_acks(p, required, err)) {
		sm_partition_release(p);
		return 0;
	}
	sm_purgatory_t *fp = __atomic_load_n(&gmm->purgatory, __ATOMIC_ACQUIRE);
	if (!fp) {
		sm_partition_release(p);
		*err = SM_ERR_REQUEST_TIMED_OUT;
		return 0;
	}
	sm_gmm_wait_t *w = sm_calloc(1, sizeof(*w));
	w->p = p;
	w->required = required;
	w->done = done;
	w->arg = arg;
	sm_op_key_t key = { gmm->topic, partition };
	sm_purgatory_watch(fp, sm_clock_mono_ms() + gmm->timeout_ms, sm_gmm_wait_try, w, &key, 1);
	return 1;
}

/* Copies a log read into out (file bytes read with pread). */
static sm_err_t sm_gmm_copy_read(const sm_log_read_t *rd, sm_wbuf_t *out)
{
	size_t at = sm_wbuf_reserve(out, rd->len);
	size_t done = 0;
	while (done < rd->len) {
		ssize_t r = pread(rd->file->fd, out->p + at + done, rd->len - done,
				  rd->pos + (off_t)done);
		if (r <= 0)
			return SM_ERR_KAFKA_STORAGE_ERROR;
		done += (size_t)r;
	}
	return SM_ERR_NONE;
}

static sm_err_t sm_gmm_rm_read(void *opaque, int32_t partition, sm_wbuf_t *out)
{
	sm_group_metadata_manager_t *gmm = opaque;
	sm_partition_t *p = sm_replica_manager_partition(gmm->rm, gmm->topic, partition);
	if (!p)
		return SM_ERR_UNKNOWN_TOPIC_OR_PARTITION;
	sm_log_t *log = sm_partition_log(p);
	/* To the log end, as Kafka's loader: a new leader's high watermark may
	 * still lag records every ISR member had (acks=-1 writes answered by
	 * the previous leader). */
	int64_t end = log ? sm_log_end_offset(log) : 0;
	int64_t offset = log ? sm_log_start_offset(log) : end;
	sm_err_t e = SM_ERR_NONE;
	while (!e && offset < end) {
		sm_log_read_t rd = { 0 };
		e = sm_log_read(log, offset, 1 << 20, 1, end, &rd);
		if (e || rd.len == 0) {
			if (rd.file)
				sm_fileref_release(rd.file);
			break;
		}
		size_t start = out->len;
		e = sm_gmm_copy_read(&rd, out);
		sm_fileref_release(rd.file);
		/* Advance past the last whole batch read. */
		int64_t next = -1;
		size_t pos = start;
		while (!e && pos < out->len) {
			int64_t sz = sm_batch_entry_size(out->p + pos, out->len - pos);
			sm_batch_hdr_t h;
			if (sz <= 0 || sm_batch_hdr_parse(out->p + pos, (size_t)sz, &h))
				break;
			next = sm_batch_last_offset(&h) + 1;
			pos += (size_t)sz;
		}
		out->len = pos;
		if (next <= offset)
			break;
		offset = next;
	}
	sm_partition_release(p);
	return e;
}

sm_group_metadata_manager_t *sm_gmm_new(sm_replica_manager_t *rm, const char *topic,
					int16_t required_acks, int32_t timeout_ms)
{
	sm_group_metadata_manager_t *gmm = sm_calloc(1, sizeof(*gmm));
	gmm->rm = rm;
	gmm->topic = sm_strdup(topic);
	gmm->required_acks = required_acks;
	gmm->timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
	gmm->ops.append = sm_gmm_rm_append;
	gmm->ops.read = sm_gmm_rm_read;
	gmm->ops.opaque = gmm;
	return gmm;
}

sm_group_metadata_manager_t *sm_gmm_new_ops(const sm_gmm_ops_t *ops)
{
	sm_group_metadata_manager_t *gmm = sm_calloc(1, sizeof(*gmm));
	gmm->ops = *ops;
	return gmm;
}

void sm_gmm_set_purgatory(sm_group_metadata_manager_t *gmm, sm_purgatory_t *fp)
{
	__atomic_store_n(&gmm->purgatory, fp, __ATOMIC_RELEASE);
}

int sm_gmm_append_batch(sm_group_metadata_manager_t *gmm, int32_t partition, uint8_t *batch,
			size_t len, sm_gmm_done_fn *done, void *arg, sm_err_t *err)
{
	return gmm->ops.append(gmm->ops.opaque, partition, batch, len, done, arg, err);
}

sm_err_t sm_gmm_read_all(sm_group_metadata_manager_t *gmm, int32_t partition, sm_wbuf_t *out)
{
	return gmm->ops.read(gmm->ops.opaque, partition, out);
}

void sm_gmm_destroy(sm_group_metadata_manager_t *gmm)
{
	if (!gmm)
		return;
	free(gmm->topic);
	free(gmm);
}

/* Builds one batch of n records whose keys/values are the byte ranges
 * recorded in offs[] of kv, and appends it (the ops' contract); pid >= 0
 * makes it a transactional batch of that producer. */
static int sm_gmm_append_pid(sm_group_metadata_manager_t *gmm, int32_t partition,
			     const sm_wbuf_t *kv, const size_t *offs, int n, int64_t pid,
			     int16_t epoch, sm_gmm_done_fn *done, void *arg, sm_err_t *err)
{
	sm_record_t *recs = sm_calloc((size_t)n, sizeof(*recs));
	int64_t now = sm_clock_wall_ms();
	for (int i = 0; i < n; i++) {
		size_t k0 = offs[4 * i], k1 = offs[4 * i + 1], v0 = offs[4 * i + 2], v1 = offs[4 * i + 3];
		recs[i].timestamp = now;
		recs[i].key = kv->p + k0;
		recs[i].key_len = (int32_t)(k1 - k0);
		recs[i].value = v0 == SIZE_MAX ? NULL : kv->p + v0;
		recs[i].value_len = v0 == SIZE_MAX ? -1 : (int32_t)(v1 - v0);
	}
	sm_wbuf_t batch;
	sm_wbuf_init(&batch, 256);
	sm_batch_build_opts_t bo;
	sm_batch_build_opts_init(&bo);
	bo.base_timestamp = now;
	if (pid >= 0) {
		bo.producer_id = pid;
		bo.producer_epoch = epoch;
		bo.base_sequence = 0;
		bo.transactional = 1;
	}
	sm_batch_build_ex(&batch, &bo, recs, n);
	int parked = gmm->ops.append(gmm->ops.opaque, partition, batch.p, batch.len, done, arg, err);
	sm_wbuf_free(&batch);
	free(recs);
	return parked;
}

static int sm_gmm_append(sm_group_metadata_manager_t *gmm, int32_t partition, const sm_wbuf_t *kv,
			 const size_t *offs, int n, sm_gmm_done_fn *done, void *arg, sm_err_t *err)
{
	return sm_gmm_append_pid(gmm, partition, kv, offs, n, -1, -1, done, arg, err);
}

static int sm_gmm_store_offsets_pid(sm_group_metadata_manager_t *gmm, int32_t partition,
				    const char *group, int64_t pid, int16_t epoch,
				    const sm_group_offset_t *o, int n, sm_gmm_done_fn *done,
				    void *arg, sm_err_t *err)
{
	*err = SM_ERR_NONE;
	if (n <= 0)
		return 0;
	sm_wbuf_t kv;
	sm_wbuf_init(&kv, 256);
	size_t *offs = sm_calloc((size_t)n * 4, sizeof(size_t));
	for (int i = 0; i < n; i++) {
		sm_group_offset_key_t k = { .group = (char *)group, .topic = o[i].topic,
					    .partition = o[i].partition };
		offs[4 * i] = kv.len;
		sm_group_offset_key_write(&kv, &k);
		offs[4 * i + 1] = offs[4 * i + 2] = kv.len;
		sm_group_offset_value_t v;
		sm_group_offset_value_init(&v);
		v.offset = o[i].offset;
		v.leader_epoch = o[i].leader_epoch;
		v.metadata = o[i].metadata;
		v.commit_timestamp = o[i].commit_ts;
		v.expire_timestamp = o[i].expire_ts;
		sm_group_offset_value_write(&kv, &v);
		offs[4 * i + 3] = kv.len;
	}
	int parked = sm_gmm_append_pid(gmm, partition, &kv, offs, n, pid, epoch, done, arg, err);
	free(offs);
	sm_wbuf_free(&kv);
	return parked;
}

int sm_gmm_store_offsets(sm_group_metadata_manager_t *gmm, int32_t partition, const char *group,
			 const sm_group_offset_t *o, int n, sm_gmm_done_fn *done, void *arg,
			 sm_err_t *err)
{
	return sm_gmm_store_offsets_pid(gmm, partition, group, -1, -1, o, n, done, arg, err);
}

int sm_gmm_store_txn_offsets(sm_group_metadata_manager_t *gmm, int32_t partition,
			     const char *group, int64_t pid, int16_t epoch,
			     const sm_group_offset_t *o, int n, sm_gmm_done_fn *done, void *arg,
			     sm_err_t *err)
{
	return sm_gmm_store_offsets_pid(gmm, partition, group, pid, epoch, o, n, done, arg, err);
}

int sm_gmm_store_group(sm_group_metadata_manager_t *gmm, const sm_group_t *g, int64_t now_ms,
		       sm_gmm_done_fn *done, void *arg, sm_err_t *err)
{
	sm_group_metadata_value_t v;
	sm_group_metadata_value_init(&v);
	v.protocol_type = g->protocol_type ? g->protocol_type : "";
	v.generation = g->generation;
	v.protocol = g->protocol_name;
	v.leader = g->leader_id;
	v.current_state_timestamp = now_ms;
	v.members_cnt = g->n_members;
	v.members = sm_calloc((size_t)(g->n_members ? g->n_members : 1), sizeof(*v.members));
	int i = 0;
	for (const sm_group_member_t *m = g->members; m; m = m->next, i++) {
		sm_group_member_metadata_t *mm = &v.members[i];
		sm_group_member_metadata_init(mm);
		mm->member_id = m->member_id;
		mm->group_instance_id = m->group_instance_id;
		mm->client_id = m->client_id;
		mm->client_host = m->client_host;
		mm->rebalance_timeout = m->rebalance_timeout_ms;
		mm->session_timeout = m->session_timeout_ms;
		const sm_group_protocol_t *p =
			g->protocol_name ? sm_group_member_protocol(m, g->protocol_name) : NULL;
		mm->subscription.ptr = p ? p->metadata : NULL;
		mm->subscription.len = p ? p->metadata_len : 0;
		mm->assignment.ptr = m->assignment;
		mm->assignment.len = m->assignment_len;
	}
	sm_wbuf_t kv;
	sm_wbuf_init(&kv, 256);
	size_t offs[4];
	sm_group_metadata_key_t k = { .group = g->group_id };
	offs[0] = kv.len;
	sm_group_metadata_key_write(&kv, &k);
	offs[1] = offs[2] = kv.len;
	sm_group_metadata_value_write(&kv, &v);
	offs[3] = kv.len;
	int parked = sm_gmm_append(gmm, g->partition, &kv, offs, 1, done, arg, err);
	sm_wbuf_free(&kv);
	free(v.members);
	return parked;
}

sm_err_t sm_gmm_store_tombstones(sm_group_metadata_manager_t *gmm, int32_t partition,
				 const char *group, const sm_group_offset_t *o, int n,
				 int with_group)
{
	int total = n + (with_group ? 1 : 0);
	if (total <= 0)
		return SM_ERR_NONE;
	sm_wbuf_t kv;
	sm_wbuf_init(&kv, 256);
	size_t *offs = sm_calloc((size_t)total * 4, sizeof(size_t));
	for (int i = 0; i < total; i++) {
		offs[4 * i] = kv.len;
		if (i < n) {
			sm_group_offset_key_t k = { .group = (char *)group, .topic = o[i].topic,
						    .partition = o[i].partition };
			sm_group_offset_key_write(&kv, &k);
		} else {
			sm_group_metadata_key_t k = { .group = (char *)group };
			sm_group_metadata_key_write(&kv, &k);
		}
		offs[4 * i + 1] = kv.len;
		offs[4 * i + 2] = SIZE_MAX;
		offs[4 * i + 3] = SIZE_MAX;
	}
	sm_err_t e;
	(void)sm_gmm_append(gmm, partition, &kv, offs, total, NULL, NULL, &e);
	free(offs);
	sm_wbuf_free(&kv);
	return e;
}

/* Replays one record; -1 if it does not decode. pid >= 0: the record is
 * part of that producer's transaction. */
static int sm_gmm_replay_record(const sm_record_t *r, int64_t pid, const sm_gmm_loader_t *l)
{
	sm_arena_t a;
	sm_arena_init(&a);
	int rc = -1;
	sm_rbuf_t kb, vb;
	sm_rbuf_init(&kb, r->key, r->key_len > 0 ? (size_t)r->key_len : 0);
	int type = r->key_len > 0 ? sm_group_key_type(r->key, (size_t)r->key_len) : -1;
	if (type == SM_GROUP_KEY_OFFSET_COMMIT) {
		sm_group_offset_key_t k;
		if (sm_group_offset_key_read(&kb, &a, &k))
			goto out;
		sm_group_offset_value_t v, *vp = NULL;
		if (r->value_len >= 0) {
			sm_rbuf_init(&vb, r->value, (size_t)r->value_len);
			if (sm_group_offset_value_read(&vb, &a, &v))
				goto out;
			vp = &v;
		}
		if (pid >= 0 && l->txn_offset)
			l->txn_offset(l->opaque, pid, k.group, k.topic, k.partition, vp);
		else
			l->offset(l->opaque, k.group, k.topic, k.partition, vp);
		rc = 0;
	} else if (type == SM_GROUP_KEY_GROUP_METADATA) {
		sm_group_metadata_key_t k;
		if (sm_group_metadata_key_read(&kb, &a, &k))
			goto out;
		if (r->value_len < 0) {
			l->group(l->opaque, k.group, NULL);
			rc = 0;
			goto out;
		}
		sm_group_metadata_value_t v;
		sm_rbuf_init(&vb, r->value, (size_t)r->value_len);
		if (sm_group_metadata_value_read(&vb, &a, &v))
			goto out;
		l->group(l->opaque, k.group, &v);
		rc = 0;
	}
out:
	sm_arena_destroy(&a);
	return rc;
}

sm_err_t sm_gmm_replay(const uint8_t *p, size_t len, const sm_gmm_loader_t *l, int *skipped)
{
	size_t pos = 0;
	int bad = 0;
	while (pos < len) {
		int64_t sz = sm_batch_entry_size(p + pos, len - pos);
		if (sz <= 0)
			break;
		sm_batch_hdr_t h;
		int ok = sm_batch_hdr_parse(p + pos, (size_t)sz, &h) == 0 && h.magic == 2;
		int64_t pid = ok && sm_batch_is_transactional(&h) ? h.producer_id : -1;
		sm_ps_marker_t m;
		if (ok && sm_batch_is_control(&h)) {
			/* a transaction's end: its offsets become committed or
			 * are dropped (Kafka's loader, ControlRecordType) */
			if (pid >= 0 && l->txn_end && sm_ps_marker_from_batch(p + pos, (size_t)sz, &m))
				l->txn_end(l->opaque, m.pid, !m.aborted);
		} else if (ok) {
			sm_batch_iter_t it;
			if (sm_batch_iter_init(&it, p + pos, (size_t)sz, 0) == SM_ERR_NONE) {
				sm_record_t r;
				int k;
				while ((k = sm_batch_iter_next(&it, &r)) == 1)
					if (sm_gmm_replay_record(&r, pid, l))
						bad++;
				if (k < 0)
					bad++;
			} else {
				bad++;
			}
			sm_batch_iter_destroy(&it);
		}
		pos += (size_t)sz;
	}
	if (skipped)
		*skipped = bad;
	return SM_ERR_NONE;
}

sm_err_t sm_gmm_load(sm_group_metadata_manager_t *gmm, int32_t partition,
		     const sm_gmm_loader_t *l, int *skipped)
{
	sm_wbuf_t buf;
	sm_wbuf_init(&buf, 4096);
	sm_err_t e = gmm->ops.read(gmm->ops.opaque, partition, &buf);
	if (!e)
		e = sm_gmm_replay(buf.p, buf.len, l, skipped);
	sm_wbuf_free(&buf);
	return e;
}
