/*
 * kafka_dump_log.c - kafka-dump-log.sh (Kafka's kafka.tools.DumpLogSegments):
 * prints the batches (and with --deep-iteration/--print-data-log the
 * records) of .log segment files, the entries of .index and .timeindex
 * files, the producers of .snapshot files and the aborted transactions of
 * .txnindex files, in Kafka 2.8's output
 * format. With --offsets-decoder the records of __consumer_offsets
 * segments are decoded (src/protocol/group_records.h) and printed as Kafka's
 * GroupMetadataManager.formatRecordKeyAndValue prints them; with
 * --transaction-log-decoder those of __transaction_state segments
 * (src/protocol/specs/transaction_state.spec) as Kafka's
 * TransactionLog.formatRecordKeyAndValue prints them. Reads the
 * files directly; no broker needed.
 *
 * Thread-safety: single-threaded program.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "crc32c.h"
#include "group_records.h"
#include "log.h"
#include "msg_transaction_state.h"
#include "record_batch.h"

typedef struct dl_opts {
	int print_data;
	int deep;
	int verify_only;
	int sanity_only;
	int64_t max_message_size;
	int offsets_decoder;
	int txn_decoder;	/* --transaction-log-decoder */
	int decode_failed;	/* set when a record cannot be decoded */
} dl_opts_t;

static const char *dl_codec_names[] = { "NONE", "GZIP", "SNAPPY", "LZ4", "ZSTD" };

/* Whole file in memory (segments are at most segment.bytes). */
static uint8_t *dl_slurp(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct stat st;
	if (fstat(fileno(f), &st) < 0) {
		fclose(f);
		return NULL;
	}
	size_t n = (size_t)st.st_size;
	uint8_t *buf = sm_malloc(n ? n : 1);
	if (n && fread(buf, 1, n, f) != n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*lenp = n;
	return buf;
}

/* "<20 digits>.suffix" -> base offset; -1 if the name has no number. */
static int64_t dl_base_offset(const char *path)
{
	const char *name = strrchr(path, '/');
	name = name ? name + 1 : path;
	char *end;
	errno = 0;
	long long v = strtoll(name, &end, 10);
	if (errno || end == name || *end != '.')
		return -1;
	return v;
}

static void dl_print_bytes(const char *label, const uint8_t *p, int32_t len)
{
	if (len < 0)
		return;
	printf(" %s: ", label);
	fwrite(p, 1, (size_t)len, stdout);
}

/* ---- --offsets-decoder ---- */

/* Kafka prints bytes as "%X".format(BigInt(1, bytes)): upper-case hex of
 * the unsigned number, so leading zero bytes vanish ("" for no bytes). */
static void dl_hex(FILE *f, const uint8_t *p, int32_t len)
{
	int32_t i = 0;
	if (len <= 0)
		return;
	while (i < len && p[i] == 0)
		i++;
	if (i == len) {
		fputc('0', f);
		return;
	}
	fprintf(f, "%X", p[i++]);
	for (; i < len; i++)
		fprintf(f, "%02X", p[i]);
}

/* A JSON string as Jackson writes it (non-ASCII left as is). */
static void dl_json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (c < 0x20)
				fprintf(f, "\\u%04X", c);
			else
				fputc(c, f);
		}
	}
	fputc('"', f);
}

/*
 * A consumer-protocol Assignment (int16 version, [topic, [partition]],
 * nullable user data) as "[t-0, t-1]" (Java's List<TopicPartition>) and
 * ":HEX" of the user data when there is any. Empty bytes print "[]".
 * Returns -1 when the bytes do not hold an assignment.
 */
static int dl_consumer_assignment(FILE *f, sm_bytes_t b, sm_arena_t *a)
{
	if (b.len <= 0) {
		fputs("[]", f);
		return 0;
	}
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, b.ptr, (size_t)b.len);
	int16_t ver = sm_rbuf_i16(&rb);
	int32_t nt = sm_rbuf_array(&rb, 0, 6);
	if (rb.err || ver < 0 || nt < 0)
		return -1;
	int first = 1;
	fputc('[', f);
	for (int32_t i = 0; i < nt; i++) {
		char *topic = sm_rbuf_str(&rb, 0, a);
		int32_t np = sm_rbuf_array(&rb, 0, 4);
		if (rb.err || !topic || np < 0)
			return -1;
		for (int32_t j = 0; j < np; j++) {
			int32_t part = sm_rbuf_i32(&rb);
			if (rb.err)
				return -1;
			fprintf(f, "%s%s-%d", first ? "" : ", ", topic, (int)part);
			first = 0;
		}
	}
	fputc(']', f);
	/* v0 assignments may end here; user data is then absent. */
	if (sm_rbuf_remaining(&rb) >= 4) {
		sm_bytes_t ud = sm_rbuf_bytes(&rb, 0);
		if (rb.err)
			return -1;
		if (ud.len > 0) {
			fputc(':', f);
			dl_hex(f, ud.ptr, ud.len);
		}
	}
	return 0;
}

/*
 * Key and payload strings of one __consumer_offsets record (malloc'ed), as
 * Kafka 2.8's offsets decoder makes them. Returns 0, or -1 with Kafka's
 * message in err (the record cannot be decoded; Kafka's tool stops there).
 */
static int dl_offsets_format(const sm_record_t *r, char **key, char **payload, char *err,
			     size_t errlen)
{
	sm_arena_t a;
	sm_rbuf_t rb;
	size_t klen = 0, plen = 0;
	int rc = -1;
	*key = *payload = NULL;
	if (r->key_len < 0) {
		snprintf(err, errlen, "Failed to decode message using offset topic decoder "
			 "(message had a missing key)");
		return -1;
	}
	sm_arena_init(&a);
	FILE *kf = open_memstream(key, &klen), *pf = open_memstream(payload, &plen);
	if (!kf || !pf) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	int type = sm_group_key_type(r->key, (size_t)r->key_len);
	sm_rbuf_init(&rb, r->key, (size_t)r->key_len);
	if (type == SM_GROUP_KEY_OFFSET_COMMIT) {
		sm_group_offset_key_t k;
		if (sm_group_offset_key_read(&rb, &a, &k)) {
			snprintf(err, errlen, "Failed to decode message using offset topic decoder "
				 "(malformed offset commit key at offset %" PRId64 ")", r->offset);
			goto out;
		}
		fprintf(kf, "offset_commit::group=%s,partition=%s-%d", k.group, k.topic,
			(int)k.partition);
		if (r->value_len < 0) {
			fputs("<DELETE>", pf);
		} else {
			sm_group_offset_value_t v;
			sm_rbuf_init(&rb, r->value, (size_t)r->value_len);
			if (sm_group_offset_value_read(&rb, &a, &v)) {
				snprintf(err, errlen, "Unknown or malformed offset message value at "
					 "offset %" PRId64, r->offset);
				goto out;
			}
			fprintf(pf, "offset=%" PRId64, v.offset);
			if (v.metadata && *v.metadata)
				fprintf(pf, ",metadata=%s", v.metadata);
		}
	} else if (type == SM_GROUP_KEY_GROUP_METADATA) {
		sm_group_metadata_key_t k;
		if (sm_group_metadata_key_read(&rb, &a, &k)) {
			snprintf(err, errlen, "Failed to decode message using offset topic decoder "
				 "(malformed group metadata key at offset %" PRId64 ")", r->offset);
			goto out;
		}
		fprintf(kf, "group_metadata::group=%s", k.group);
		if (r->value_len < 0) {
			fputs("<DELETE>", pf);
		} else {
			sm_group_metadata_value_t v;
			sm_rbuf_init(&rb, r->value, (size_t)r->value_len);
			if (sm_group_metadata_value_read(&rb, &a, &v)) {
				snprintf(err, errlen, "Unknown or malformed group metadata message value "
					 "at offset %" PRId64, r->offset);
				goto out;
			}
			const char *ptype = v.protocol_type ? v.protocol_type : "";
			int consumer = !strcmp(ptype, "consumer");
			char *asg = NULL;
			size_t alen = 0;
			FILE *af = open_memstream(&asg, &alen);
			if (!af) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			fputc('{', af);
			int bad = 0;
			for (int32_t i = 0; i < v.members_cnt; i++) {
				const sm_group_member_metadata_t *m = &v.members[i];
				fprintf(af, "%s%s=", i ? "," : "", m->member_id ? m->member_id : "");
				if (consumer)
					bad |= dl_consumer_assignment(af, m->assignment, &a);
				else
					dl_hex(af, m->assignment.ptr, m->assignment.len);
			}
			fputc('}', af);
			fclose(af);
			if (bad) {
				free(asg);
				snprintf(err, errlen, "Failed to decode the consumer assignment of group "
					 "%s at offset %" PRId64, k.group, r->offset);
				goto out;
			}
			fputs("{\"protocolType\":", pf);
			dl_json_str(pf, ptype);
			fputs(",\"protocol\":", pf);
			dl_json_str(pf, v.protocol);
			fprintf(pf, ",\"generationId\":%d,\"assignment\":", (int)v.generation);
			dl_json_str(pf, asg);
			fputc('}', pf);
			free(asg);
		}
	} else {
		int16_t ver = r->key_len >= 2 ? (int16_t)sm_be16(r->key) : -1;
		snprintf(err, errlen, "Unknown group metadata message version: %d", (int)ver);
		goto out;
	}
	rc = 0;
out:
	if (kf)
		fclose(kf);
	if (pf)
		fclose(pf);
	if (rc) {
		free(*key);
		free(*payload);
		*key = *payload = NULL;
	}
	sm_arena_destroy(&a);
	return rc;
}

/* ---- --transaction-log-decoder ---- */

/* TransactionState names by status byte (Kafka's case objects). */
static const char *dl_txn_states[] = { "Empty", "Ongoing", "PrepareCommit", "PrepareAbort",
				       "CompleteCommit", "CompleteAbort", "Dead",
				       "PrepareEpochFence" };

/* One partition of a transaction with the hash Kafka's set files it by. */
typedef struct dl_txn_tp {
	const char *topic;
	int32_t partition;
	int32_t hash;	/* Scala's improved TopicPartition.hashCode */
	int seq;	/* order in the record, for equal hashes */
	uint32_t mask;	/* table size - 1, the same for all */
} dl_txn_tp_t;

/* Java's String.hashCode (topic names are ASCII, so bytes are chars). */
static int32_t dl_java_str_hash(const char *s)
{
	uint32_t h = 0;
	for (; *s; s++)
		h = 31 * h + (unsigned char)*s;
	return (int32_t)h;
}

static int dl_txn_tp_cmp(const void *x, const void *y)
{
	const dl_txn_tp_t *a = x, *b = y;
	uint32_t ia = (uint32_t)a->hash & a->mask, ib = (uint32_t)b->hash & b->mask;
	if (ia != ib)
		return ia < ib ? -1 : 1;
	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	return a->seq - b->seq;
}

/* Scala 2.13's HashSet.tableSizeFor. */
static uint32_t dl_table_size_for(int64_t cap)
{
	int64_t c = cap - 1 > 4 ? cap - 1 : 4;
	uint32_t hb = 1;
	while ((int64_t)hb * 2 <= c && hb < (1u << 30))
		hb *= 2;
	return hb * 2 > (1u << 30) ? (1u << 30) : hb * 2;
}

/*
 * Kafka prints a transaction's partitions from a Scala 2.13 mutable
 * HashSet filled topic by topic (TransactionMetadata.addPartitions), so
 * the order is the set's iteration order: by bucket (improved hash masked
 * by the table size), then by hash within a bucket. The table size is
 * followed as the set grows (16, doubled at 3/4 load or to the size hint
 * of each topic's batch). Duplicates are dropped, as the set does
 * (only equal hashes are compared, so hostile input stays cheap unless
 * its hashes collide).
 */
static void dl_txn_partitions(FILE *f, const sm_rec_transaction_log_value_t *v, sm_arena_t *a)
{
	int64_t n = 0;
	for (int32_t i = 0; i < v->transaction_partitions_cnt; i++)
		n += v->transaction_partitions[i].partition_ids_cnt;
	dl_txn_tp_t *tps = sm_arena_alloc_array(a, n > 0 ? n : 1, sizeof(*tps));
	int cnt = 0;
	uint32_t size = 16;
	for (int32_t i = 0; tps && i < v->transaction_partitions_cnt; i++) {
		const sm_rec_transaction_log_value_transaction_partition_t *t =
			&v->transaction_partitions[i];
		const char *topic = t->topic ? t->topic : "null";
		int32_t th = t->topic ? dl_java_str_hash(topic) : 0;
		uint32_t hint = dl_table_size_for((int64_t)((double)(t->partition_ids_cnt + cnt) / 0.75));
		if (hint > size)
			size = hint;
		for (int32_t j = 0; j < t->partition_ids_cnt; j++) {
			int32_t part = t->partition_ids[j];
			if ((int64_t)cnt + 1 >= (int64_t)(size * 0.75) && size < (1u << 30))
				size *= 2;
			uint32_t h = 31u * (31u + (uint32_t)part) + (uint32_t)th;
			tps[cnt] = (dl_txn_tp_t){ .topic = topic, .partition = part,
						  .hash = (int32_t)(h ^ (h >> 16)), .seq = cnt };
			cnt++;
		}
	}
	for (int k = 0; k < cnt; k++)
		tps[k].mask = size - 1;
	if (cnt > 1)
		qsort(tps, (size_t)cnt, sizeof(*tps), dl_txn_tp_cmp);
	/* a duplicate sorts into the run of its own hash, after the first */
	fputc('[', f);
	for (int k = 0, run = 0, out = 0; k < cnt; k++) {
		if (k && tps[k].hash != tps[k - 1].hash)
			run = k;
		int dup = 0;
		for (int m = run; m < k && !dup; m++)
			dup = tps[m].partition == tps[k].partition && !strcmp(tps[m].topic, tps[k].topic);
		if (dup)
			continue;
		fprintf(f, "%s%s-%d", out++ ? "," : "", tps[k].topic, (int)tps[k].partition);
	}
	fputc(']', f);
}

/*
 * Key and payload strings of one __transaction_state record (malloc'ed),
 * as Kafka 2.8's TransactionLog.formatRecordKeyAndValue makes them.
 * Returns 0, or -1 with the message of Kafka's exception in err (Kafka's
 * tool stops there).
 */
static int dl_txn_format(const sm_record_t *r, char **key, char **payload, char *err,
			 size_t errlen)
{
	sm_arena_t a;
	sm_rbuf_t rb;
	size_t klen = 0, plen = 0;
	int rc = -1;
	*key = *payload = NULL;
	if (r->key_len < 0) {
		snprintf(err, errlen, "Failed to decode message using transaction log decoder "
			 "(message had a missing key at offset %" PRId64 ")", r->offset);
		return -1;
	}
	sm_arena_init(&a);
	FILE *kf = open_memstream(key, &klen), *pf = open_memstream(payload, &plen);
	if (!kf || !pf) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	sm_rbuf_init(&rb, r->key, (size_t)r->key_len);
	int16_t ver = sm_rbuf_i16(&rb);
	sm_rec_transaction_log_key_t k;
	if (rb.err || ver != 0) {
		snprintf(err, errlen, "Unknown version %d from the transaction log message",
			 rb.err ? -1 : (int)ver);
		goto out;
	}
	if (sm_rec_transaction_log_key_read(&rb, 0, &a, &k) || !k.transactional_id) {
		snprintf(err, errlen, "Failed to decode message using transaction log decoder "
			 "(malformed key at offset %" PRId64 ")", r->offset);
		goto out;
	}
	fprintf(kf, "transaction_metadata::transactionalId=%s", k.transactional_id);
	if (r->value_len < 0) {
		fputs("<DELETE>", pf);
		rc = 0;
		goto out;
	}
	sm_rbuf_init(&rb, r->value, (size_t)r->value_len);
	ver = sm_rbuf_i16(&rb);
	if (rb.err || ver != 0) {
		snprintf(err, errlen, "Unknown version %d from the transaction log message value",
			 rb.err ? -1 : (int)ver);
		goto out;
	}
	sm_rec_transaction_log_value_t v;
	if (sm_rec_transaction_log_value_read(&rb, 0, &a, &v)) {
		snprintf(err, errlen, "Failed to decode message using transaction log decoder "
			 "(malformed value at offset %" PRId64 ")", r->offset);
		goto out;
	}
	if (v.transaction_status < 0 || v.transaction_status > 7) {
		snprintf(err, errlen, "Unknown transaction state byte %d from the transaction status "
			 "message", (int)v.transaction_status);
		goto out;
	}
	fprintf(pf, "producerId:%" PRId64 ",producerEpoch:%d,state=%s,partitions=", v.producer_id,
		(int)v.producer_epoch, dl_txn_states[v.transaction_status]);
	/* Kafka keeps no partitions for an Empty transaction */
	if (v.transaction_status == 0)
		fputs("[]", pf);
	else
		dl_txn_partitions(pf, &v, &a);
	fprintf(pf, ",txnLastUpdateTimestamp=%" PRId64 ",txnTimeoutMs=%d",
		v.transaction_last_update_timestamp_ms, (int)v.transaction_timeout_ms);
	rc = 0;
out:
	if (kf)
		fclose(kf);
	if (pf)
		fclose(pf);
	if (rc) {
		free(*key);
		free(*payload);
		*key = *payload = NULL;
	}
	sm_arena_destroy(&a);
	return rc;
}

/*
 * One record of a deep iteration. Kafka 2.8 repeats the batch's fields on
 * every record line (3.1 dropped them); a v2 record has no CRC of its own,
 * so it is always "isValid: true crc: null".
 */
static void dl_print_record(const sm_batch_hdr_t *h, size_t batch_size, int64_t pos,
			    const sm_record_t *r, dl_opts_t *o)
{
	int32_t seq = -1, last_seq = -1;
	if (h->base_sequence >= 0) {
		int64_t s = (int64_t)h->base_sequence + (r->offset - h->base_offset);
		seq = (int32_t)(s > INT32_MAX ? s - INT32_MAX - 1 : s);
		s = (int64_t)h->base_sequence + h->last_offset_delta;
		last_seq = (int32_t)(s > INT32_MAX ? s - INT32_MAX - 1 : s);
	}
	int codec = h->attributes & SM_BATCH_ATTR_CODEC_MASK;
	printf("| offset: %" PRId64 " isValid: true crc: null keySize: %d valueSize: %d %s: %" PRId64
	       " baseOffset: %" PRId64 " lastOffset: %" PRId64 " baseSequence: %d lastSequence: %d"
	       " producerEpoch: %d partitionLeaderEpoch: %d batchSize: %zu magic: %d"
	       " compressType: %s position: %" PRId64 " sequence: %d headerKeys: [",
	       r->offset, (int)r->key_len, (int)r->value_len,
	       sm_batch_is_log_append_time(h) ? "LogAppendTime" : "CreateTime", r->timestamp,
	       h->base_offset, sm_batch_last_offset(h), (int)h->base_sequence, (int)last_seq,
	       (int)h->producer_epoch, (int)h->partition_leader_epoch, batch_size, (int)h->magic,
	       codec <= 4 ? dl_codec_names[codec] : "UNKNOWN", pos, (int)seq);
	for (int32_t i = 0; i < r->header_count; i++) {
		if (i)
			putchar(',');
		fwrite(r->headers[i].key, 1, (size_t)r->headers[i].key_len, stdout);
	}
	putchar(']');
	if (sm_batch_is_control(h)) {
		int16_t type = r->key_len >= 4 ? (int16_t)sm_be16(r->key + 2) : -1;
		if ((type == 0 || type == 1) && r->value_len >= 6)
			printf(" endTxnMarker: %s coordinatorEpoch: %d", type ? "COMMIT" : "ABORT",
			       (int)(int32_t)sm_be32(r->value + 2));
		else
			printf(" controlType: %s(%d)", "UNKNOWN", (int)type);
	} else if (o->offsets_decoder || o->txn_decoder) {
		char *k, *v, err[512];
		/* --offsets-decoder wins when both are given, as in Kafka */
		if (o->offsets_decoder ? dl_offsets_format(r, &k, &v, err, sizeof(err))
				       : dl_txn_format(r, &k, &v, err, sizeof(err))) {
			putchar('\n');
			fflush(stdout);
			fprintf(stderr, "%s\n", err);
			o->decode_failed = 1;
			return;
		}
		printf(" key: %s payload: %s", k, v);
		free(k);
		free(v);
	} else if (o->print_data) {
		/* A tombstone still shows its key. */
		dl_print_bytes("key", r->key, r->key_len);
		dl_print_bytes("payload", r->value, r->value_len);
	}
	putchar('\n');
}

static void dl_print_batch(const sm_batch_hdr_t *h, const uint8_t *p, size_t size, int64_t pos)
{
	int valid = sm_batch_verify(p, size) == SM_ERR_NONE;
	int32_t last_seq = -1;
	if (h->base_sequence >= 0) {
		int64_t s = (int64_t)h->base_sequence + h->last_offset_delta;
		last_seq = (int32_t)(s > INT32_MAX ? s - INT32_MAX - 1 : s);
	}
	int codec = h->attributes & SM_BATCH_ATTR_CODEC_MASK;
	printf("baseOffset: %" PRId64 " lastOffset: %" PRId64 " count: %d baseSequence: %d "
	       "lastSequence: %d producerId: %" PRId64 " producerEpoch: %d "
	       "partitionLeaderEpoch: %d isTransactional: %s isControl: %s position: %" PRId64
	       " %s: %" PRId64 " size: %zu magic: %d compresscodec: %s crc: %" PRIu32
	       " isvalid: %s\n",
	       h->base_offset, sm_batch_last_offset(h), (int)h->record_count,
	       (int)h->base_sequence, (int)last_seq, h->producer_id, (int)h->producer_epoch,
	       (int)h->partition_leader_epoch, sm_batch_is_transactional(h) ? "true" : "false",
	       sm_batch_is_control(h) ? "true" : "false", pos,
	       sm_batch_is_log_append_time(h) ? "LogAppendTime" : "CreateTime", h->max_timestamp,
	       size, (int)h->magic, codec <= 4 ? dl_codec_names[codec] : "UNKNOWN", h->crc,
	       valid ? "true" : "false");
}

/* Returns the last offset seen (for the consecutiveness check). */
static int64_t dl_deep(const sm_batch_hdr_t *h, const uint8_t *p, size_t size, int64_t pos,
		       dl_opts_t *o, int64_t last, const char *path)
{
	sm_batch_iter_t it;
	sm_record_t r;
	if (sm_batch_iter_init(&it, p, size, 0) == SM_ERR_NONE) {
		/* Without --print-data-log only sizes are shown: values of
		 * compressed batches are passed over, not decoded whole. */
		it.skip_values = !o->print_data && !sm_batch_is_control(h);
		while (!o->decode_failed && sm_batch_iter_next(&it, &r) == 1) {
			if (last >= 0 && r.offset != last + 1)
				fprintf(stderr, "Non-consecutive offsets in %s\n  %" PRId64
					" is followed by %" PRId64 "\n", path, last, r.offset);
			last = r.offset;
			dl_print_record(h, size, pos, &r, o);
		}
	}
	if (it.err)
		fprintf(stderr, "Failed to read the records of the batch at offset %" PRId64
			" in %s: %s\n", h->base_offset, path, sm_err_name(it.err));
	sm_batch_iter_destroy(&it);
	return last;
}

static int dl_dump_log(const char *path, dl_opts_t *o)
{
	size_t len;
	uint8_t *buf = dl_slurp(path, &len);
	if (!buf) {
		fprintf(stderr, "Could not read %s: %s\n", path, strerror(errno));
		return 1;
	}
	printf("Starting offset: %" PRId64 "\n", dl_base_offset(path));
	size_t pos = 0;
	int64_t last = -1;
	while (pos < len && !o->decode_failed) {
		int64_t size = sm_batch_entry_size(buf + pos, len - pos);
		sm_batch_hdr_t h;
		if (size <= 0 || size > o->max_message_size + SM_LOG_OVERHEAD ||
		    sm_batch_hdr_parse(buf + pos, (size_t)size, &h) || h.magic != 2)
			break;
		dl_print_batch(&h, buf + pos, (size_t)size, (int64_t)pos);
		if (o->deep)
			last = dl_deep(&h, buf + pos, (size_t)size, (int64_t)pos, o, last, path);
		pos += (size_t)size;
	}
	if (o->decode_failed) {
		/* Kafka's tool stops at the first record its decoder fails on. */
		free(buf);
		return 1;
	}
	if (pos < len) {
		const char *name = strrchr(path, '/');
		printf("Found %zu invalid bytes at the end of %s\n", len - pos, name ? name + 1 : path);
	}
	free(buf);
	return 0;
}

/* Path of the sibling file with another suffix (the .log of an index). */
static void dl_sibling(char *out, size_t size, const char *path, const char *suffix)
{
	snprintf(out, size, "%s", path);
	char *dot = strrchr(out, '.');
	char *slash = strrchr(out, '/');
	if (dot && (!slash || dot > slash))
		*dot = '\0';
	strncat(out, suffix, size - strlen(out) - 1);
}

/* The last offset of the batch starting at pos in the .log, or -1. */
static int64_t dl_batch_last_at(const uint8_t *log, size_t log_len, int64_t pos)
{
	sm_batch_hdr_t h;
	if (!log || pos < 0 || (size_t)pos >= log_len ||
	    sm_batch_hdr_parse(log + pos, log_len - (size_t)pos, &h))
		return -1;
	return sm_batch_last_offset(&h);
}

static int dl_index_sane(const char *path, size_t len, int esz, const uint8_t *idx, int64_t base)
{
	if (len % (size_t)esz) {
		fprintf(stderr, "Index file %s is corrupt, found %zu bytes which is neither positive "
			"nor a multiple of %d.\n", path, len, esz);
		return 0;
	}
	if (len == 0)
		return 1;
	int64_t last = base + (int32_t)sm_be32(idx + len - (size_t)esz + (esz == 12 ? 8 : 0));
	if (last < base) {
		fprintf(stderr, "Corrupt index found, index file (%s) has non-zero size but the last "
			"offset is %" PRId64 " which is less than the base offset %" PRId64 ".\n",
			path, last, base);
		return 0;
	}
	return 1;
}

static int dl_dump_index(const char *path, const dl_opts_t *o, int time_index)
{
	size_t len, log_len = 0;
	int esz = time_index ? 12 : 8;
	int64_t base = dl_base_offset(path);
	uint8_t *idx = dl_slurp(path, &len);
	if (!idx) {
		fprintf(stderr, "Could not read %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!time_index && len < (size_t)esz) {
		/* Kafka 2.8 says so (before any sanity check or verification)
		 * rather than printing nothing. */
		printf("%s is empty.\n", path);
		free(idx);
		return 0;
	}
	if (o->sanity_only) {
		int ok = dl_index_sane(path, len, esz, idx, base);
		if (ok)
			printf("%s passed sanity check.\n", path);
		free(idx);
		return ok ? 0 : 1;
	}
	char lp[4096];
	dl_sibling(lp, sizeof(lp), path, ".log");
	uint8_t *log = dl_slurp(lp, &log_len);
	int mismatches = 0;
	for (size_t i = 0; i + (size_t)esz <= len; i += (size_t)esz) {
		int64_t off, ts = 0;
		int32_t position = 0;
		if (time_index) {
			ts = (int64_t)sm_be64(idx + i);
			off = base + (int32_t)sm_be32(idx + i + 8);
		} else {
			off = base + (int32_t)sm_be32(idx + i);
			position = (int32_t)sm_be32(idx + i + 4);
		}
		if (off == base && i > 0)
			break; /* zero-filled tail of a preallocated index */
		if (!time_index) {
			int64_t found = dl_batch_last_at(log, log_len, position);
			if (found != off) {
				if (!mismatches++)
					fprintf(stderr, "Mismatches in :%s\n", path);
				fprintf(stderr, "  Index offset: %" PRId64 ", log offset: %" PRId64 "\n",
					off, found);
			}
		}
		if (o->verify_only)
			continue;
		if (time_index)
			printf("timestamp: %" PRId64 " offset: %" PRId64 "\n", ts, off);
		else
			printf("offset: %" PRId64 " position: %d\n", off, (int)position);
	}
	free(log);
	free(idx);
	return 0;
}

static void dl_usage(FILE *f)
{
	fprintf(f, "This tool helps to parse a log file and dump its contents to the console, "
		"useful for debugging a seemingly corrupt log segment.\n"
		"Option                  Description\n"
		"------                  -----------\n"
		"--deep-iteration        if set, uses deep instead of shallow iteration.\n"
		"--files <file1, file2, ...>  REQUIRED: The comma separated list of data and "
		"index log files to be dumped.\n"
		"--help                  Print usage information.\n"
		"--index-sanity-check    if set, just checks the index sanity without printing "
		"its content.\n"
		"--max-message-size <size>  Size of largest message. (default: 5242880)\n"
		"--offsets-decoder       if set, log data will be parsed as offset data from the "
		"__consumer_offsets topic.\n"
		"--print-data-log        if set, printing the messages content when dumping data "
		"logs.\n"
		"--transaction-log-decoder  if set, log data will be parsed as transaction metadata "
		"from the __transaction_state topic.\n"
		"--verify-index-only     if set, just verify the index log without printing its "
		"content.\n");
}

/* A producer-state snapshot (version 1, producer_state.h): one line per
 * producer, as 2.8's DumpLogSegments prints a ProducerStateEntry (the open
 * transaction's first offset as a Scala Option, the batch fields only when
 * the producer has a data batch); a damaged file gets 2.8's message on
 * stderr. */
static int dl_dump_snapshot(const char *file)
{
	size_t len = 0;
	uint8_t *p = dl_slurp(file, &len);
	if (!p) {
		fprintf(stderr, "Cannot read %s: %s\n", file, strerror(errno));
		return 1;
	}
	int32_t n = len >= 10 ? (int32_t)sm_be32(p + 6) : -1;
	if (n < 0 || (len - 10) / 46 < (size_t)n) {
		fprintf(stderr, "Snapshot failed schema validation: %zu bytes cannot hold %d "
			"entries\n", len, n);
	} else if ((int16_t)sm_be16(p) != 1) {
		fprintf(stderr, "Snapshot contained an unknown file version %d\n", (int16_t)sm_be16(p));
	} else if (sm_be32(p + 2) != sm_crc32c(0, p + 6, len - 6)) {
		fprintf(stderr, "Snapshot is corrupt (CRC is no longer valid). Stored crc: %u. "
			"Computed crc: %u\n", sm_be32(p + 2), sm_crc32c(0, p + 6, len - 6));
	} else {
		for (int32_t i = 0; i < n; i++) {
			const uint8_t *q = p + 10 + (size_t)i * 46;
			int64_t txn = (int64_t)sm_be64(q + 38), last_off = (int64_t)sm_be64(q + 14);
			int32_t last_seq = (int32_t)sm_be32(q + 10), delta = (int32_t)sm_be32(q + 22);
			int64_t ts = (int64_t)sm_be64(q + 26);
			char txnbuf[48];
			if (txn < 0)
				snprintf(txnbuf, sizeof(txnbuf), "None");
			else
				snprintf(txnbuf, sizeof(txnbuf), "Some(%" PRId64 ")", txn);
			printf("producerId: %" PRId64 " producerEpoch: %d coordinatorEpoch: %d "
			       "currentTxnFirstOffset: %s ", (int64_t)sm_be64(q),
			       (int16_t)sm_be16(q + 8), (int32_t)sm_be32(q + 34), txnbuf);
			if (last_off >= 0) {
				int64_t first = (int64_t)last_seq - delta;
				if (first < 0)
					first += INT32_MAX + 1LL;
				printf("firstSequence: %" PRId64 " lastSequence: %d lastOffset: %" PRId64
				       " offsetDelta: %d timestamp: %" PRId64, first, last_seq, last_off,
				       delta, ts);
			}
			printf("\n");
		}
	}
	free(p);
	return 0; /* as 2.8: a damaged snapshot is reported, not an error */
}

/* A transaction index (34-byte entries, log.h): one line per aborted
 * transaction, as 2.8's DumpLogSegments.dumpTxnIndex prints an AbortedTxn;
 * a partial trailing entry or an unknown version is reported on stderr. */
static int dl_dump_txn_index(const char *file)
{
	size_t len = 0;
	uint8_t *p = dl_slurp(file, &len);
	if (!p) {
		fprintf(stderr, "Cannot read %s: %s\n", file, strerror(errno));
		return 1;
	}
	for (size_t off = 0; off + SM_TXN_INDEX_ENTRY <= len; off += SM_TXN_INDEX_ENTRY) {
		sm_log_aborted_txn_t t;
		int16_t ver = (int16_t)sm_be16(p + off);
		if (sm_log_txn_decode(p + off, &t)) {
			fprintf(stderr, "Found an aborted transaction entry with unknown version %d "
				"at position %zu of %s\n", ver, off, file);
			break;
		}
		printf("version: %d producerId: %" PRId64 " firstOffset: %" PRId64
		       " lastOffset: %" PRId64 " lastStableOffset: %" PRId64 "\n", ver, t.pid,
		       t.first_offset, t.last_offset, t.last_stable_offset);
	}
	if (len % SM_TXN_INDEX_ENTRY)
		fprintf(stderr, "%s has %zu trailing bytes, not a whole entry\n", file,
			len % SM_TXN_INDEX_ENTRY);
	free(p);
	return 0;
}

static int dl_dump_one(const char *file, dl_opts_t *o)
{
	printf("Dumping %s\n", file);
	const char *dot = strrchr(file, '.');
	if (dot && !strcmp(dot, ".log"))
		return dl_dump_log(file, o);
	if (dot && !strcmp(dot, ".index"))
		return dl_dump_index(file, o, 0);
	if (dot && !strcmp(dot, ".timeindex"))
		return dl_dump_index(file, o, 1);
	if (dot && !strcmp(dot, ".snapshot"))
		return dl_dump_snapshot(file);
	if (dot && !strcmp(dot, ".txnindex"))
		return dl_dump_txn_index(file);
	fprintf(stderr, "Ignoring unknown file %s\n", file);
	return 0;
}

int main(int argc, char **argv)
{
	dl_opts_t o = { .max_message_size = 5 * 1024 * 1024 };
	const char *files = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--files") && i + 1 < argc)
			files = argv[++i];
		else if (!strncmp(a, "--files=", 8))
			files = a + 8;
		else if (!strcmp(a, "--print-data-log"))
			o.print_data = 1;
		else if (!strcmp(a, "--deep-iteration"))
			o.deep = 1;
		else if (!strcmp(a, "--verify-index-only"))
			o.verify_only = 1;
		else if (!strcmp(a, "--offsets-decoder"))
			o.offsets_decoder = 1;
		else if (!strcmp(a, "--transaction-log-decoder"))
			o.txn_decoder = 1;
		else if (!strcmp(a, "--index-sanity-check"))
			o.sanity_only = 1;
		else if (!strcmp(a, "--max-message-size") && i + 1 < argc)
			o.max_message_size = strtoll(argv[++i], NULL, 10);
		else if (!strcmp(a, "--help")) {
			dl_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "Unrecognized option '%s'\n", a);
			dl_usage(stderr);
			return 1;
		}
	}
	if (!files) {
		fprintf(stderr, "Missing required argument \"[files]\"\n");
		dl_usage(stderr);
		return 1;
	}
	/* A decoder implies --print-data-log, which implies deep iteration. */
	if (o.offsets_decoder || o.txn_decoder)
		o.print_data = 1;
	if (o.print_data)
		o.deep = 1;
	char *list = sm_strdup(files), *save = NULL;
	int rc = 0;
	for (char *f = strtok_r(list, ",", &save); f && !o.decode_failed;
	     f = strtok_r(NULL, ",", &save))
		rc |= dl_dump_one(f, &o);
	free(list);
	return rc;
}
