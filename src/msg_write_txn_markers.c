/*
 * msg_write_txn_markers.c - WriteTxnMarkers request/response codec,
 * versions 0-1 (Kafka's generated WriteTxnMarkersRequestData /
 * WriteTxnMarkersResponseData). Every array count is checked against the
 * bytes left (sm_proto_array_read's minimum element size) before anything
 * is allocated.
 *
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "msg_write_txn_markers.h"
#include "protocol.h"

#define SM_WTM_FLEX(ver) ((ver) >= 1)
/* smallest encodings: string/array length prefix, tagged fields */
#define SM_WTM_LEN_MIN(flex) ((flex) ? 1 : 2)
#define SM_WTM_ARR_MIN(flex) ((flex) ? 1 : 4)
#define SM_WTM_TAGS_MIN(flex) ((flex) ? 1 : 0)

int sm_write_txn_markers_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				  sm_write_txn_markers_req_t *out)
{
	int flex = SM_WTM_FLEX(ver);
	memset(out, 0, sizeof(*out));
	int32_t n = sm_proto_array_read(rb, flex, 0, 8 + 2 + 1 + SM_WTM_ARR_MIN(flex) + 4 +
							     SM_WTM_TAGS_MIN(flex));
	out->markers = sm_proto_array_ralloc(rb, a, n, sizeof(*out->markers));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_write_txn_markers_req_marker_t *m = &out->markers[i];
		m->producer_id = sm_rbuf_i64(rb);
		m->producer_epoch = sm_rbuf_i16(rb);
		m->transaction_result = sm_rbuf_i8(rb);
		int32_t nt = sm_proto_array_read(rb, flex, 0, SM_WTM_LEN_MIN(flex) +
								      SM_WTM_ARR_MIN(flex) +
								      SM_WTM_TAGS_MIN(flex));
		m->topics = sm_proto_array_ralloc(rb, a, nt, sizeof(*m->topics));
		for (int32_t j = 0; j < nt && !rb->err; j++) {
			sm_write_txn_markers_req_topic_t *t = &m->topics[j];
			t->name = sm_proto_str_read(rb, flex, 0, a);
			int32_t np = sm_proto_array_read(rb, flex, 0, 4);
			t->partition_indexes = sm_proto_array_ralloc(rb, a, np,
								     sizeof(*t->partition_indexes));
			for (int32_t k = 0; k < np && !rb->err; k++)
				t->partition_indexes[k] = sm_rbuf_i32(rb);
			t->partition_indexes_cnt = np > 0 ? np : 0;
			if (flex)
				sm_proto_tags_read(rb, a, NULL, NULL);
		}
		m->topics_cnt = nt > 0 ? nt : 0;
		m->coordinator_epoch = sm_rbuf_i32(rb);
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	SM_RBUF_CHECK(rb);
	out->markers_cnt = n;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_write_txn_markers_req_write(sm_wbuf_t *w, int16_t ver,
				    const sm_write_txn_markers_req_t *in)
{
	int flex = SM_WTM_FLEX(ver);
	sm_proto_array_write(w, in->markers_cnt, flex, 0);
	for (int32_t i = 0; i < in->markers_cnt; i++) {
		const sm_write_txn_markers_req_marker_t *m = &in->markers[i];
		sm_wbuf_i64(w, m->producer_id);
		sm_wbuf_i16(w, m->producer_epoch);
		sm_wbuf_i8(w, m->transaction_result);
		sm_proto_array_write(w, m->topics_cnt, flex, 0);
		for (int32_t j = 0; j < m->topics_cnt; j++) {
			const sm_write_txn_markers_req_topic_t *t = &m->topics[j];
			sm_proto_str_write(w, t->name, flex, 0);
			sm_proto_array_write(w, t->partition_indexes_cnt, flex, 0);
			for (int32_t k = 0; k < t->partition_indexes_cnt; k++)
				sm_wbuf_i32(w, t->partition_indexes[k]);
			if (flex)
				sm_wbuf_tags_empty(w);
		}
		sm_wbuf_i32(w, m->coordinator_epoch);
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}

int sm_write_txn_markers_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
				   sm_write_txn_markers_resp_t *out)
{
	int flex = SM_WTM_FLEX(ver);
	memset(out, 0, sizeof(*out));
	int32_t n = sm_proto_array_read(rb, flex, 0, 8 + SM_WTM_ARR_MIN(flex) +
							     SM_WTM_TAGS_MIN(flex));
	out->markers = sm_proto_array_ralloc(rb, a, n, sizeof(*out->markers));
	for (int32_t i = 0; i < n && !rb->err; i++) {
		sm_write_txn_markers_resp_marker_t *m = &out->markers[i];
		m->producer_id = sm_rbuf_i64(rb);
		int32_t nt = sm_proto_array_read(rb, flex, 0, SM_WTM_LEN_MIN(flex) +
								      SM_WTM_ARR_MIN(flex) +
								      SM_WTM_TAGS_MIN(flex));
		m->topics = sm_proto_array_ralloc(rb, a, nt, sizeof(*m->topics));
		for (int32_t j = 0; j < nt && !rb->err; j++) {
			sm_write_txn_markers_resp_topic_t *t = &m->topics[j];
			t->name = sm_proto_str_read(rb, flex, 0, a);
			int32_t np = sm_proto_array_read(rb, flex, 0, 6 + SM_WTM_TAGS_MIN(flex));
			t->partitions = sm_proto_array_ralloc(rb, a, np, sizeof(*t->partitions));
			for (int32_t k = 0; k < np && !rb->err; k++) {
				t->partitions[k].partition_index = sm_rbuf_i32(rb);
				t->partitions[k].error_code = sm_rbuf_i16(rb);
				if (flex)
					sm_proto_tags_read(rb, a, NULL, NULL);
			}
			t->partitions_cnt = np > 0 ? np : 0;
			if (flex)
				sm_proto_tags_read(rb, a, NULL, NULL);
		}
		m->topics_cnt = nt > 0 ? nt : 0;
		if (flex)
			sm_proto_tags_read(rb, a, NULL, NULL);
	}
	SM_RBUF_CHECK(rb);
	out->markers_cnt = n;
	if (flex)
		sm_proto_tags_read(rb, a, NULL, NULL);
	SM_RBUF_CHECK(rb);
	return 0;

err_parse:
	return -1;
}

void sm_write_txn_markers_resp_write(sm_wbuf_t *w, int16_t ver,
				     const sm_write_txn_markers_resp_t *in)
{
	int flex = SM_WTM_FLEX(ver);
	sm_proto_array_write(w, in->markers_cnt, flex, 0);
	for (int32_t i = 0; i < in->markers_cnt; i++) {
		const sm_write_txn_markers_resp_marker_t *m = &in->markers[i];
		sm_wbuf_i64(w, m->producer_id);
		sm_proto_array_write(w, m->topics_cnt, flex, 0);
		for (int32_t j = 0; j < m->topics_cnt; j++) {
			const sm_write_txn_markers_resp_topic_t *t = &m->topics[j];
			sm_proto_str_write(w, t->name, flex, 0);
			sm_proto_array_write(w, t->partitions_cnt, flex, 0);
			for (int32_t k = 0; k < t->partitions_cnt; k++) {
				sm_wbuf_i32(w, t->partitions[k].partition_index);
				sm_wbuf_i16(w, t->partitions[k].error_code);
				if (flex)
					sm_wbuf_tags_empty(w);
			}
			if (flex)
				sm_wbuf_tags_empty(w);
		}
		if (flex)
			sm_wbuf_tags_empty(w);
	}
	if (flex)
		sm_wbuf_tags_empty(w);
}
