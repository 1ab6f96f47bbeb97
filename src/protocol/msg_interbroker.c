/*
 * msg_interbroker.c - helpers shared by the inter-broker message codecs (see
 * msg_interbroker.h).
 *
 * Thread-safety: pure functions on caller-owned buffers.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* qsort_r */
#endif
#include "msg_interbroker.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

/* strcmp that orders NULL like "". */
static int sm_msg_strcmp0(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* Orders items by topic name, the first member of every item type grouped
 * here (asserted below). */
static int sm_msg_topic_cmp(const void *x, const void *y)
{
	return sm_msg_strcmp0(*(char *const *)x, *(char *const *)y);
}
_Static_assert(offsetof(sm_stop_replica_partition_t, topic) == 0 &&
		       offsetof(sm_update_metadata_req_partition_state_t, topic_name) == 0 &&
		       offsetof(sm_leader_and_isr_req_partition_state_t, topic_name) == 0 &&
		       offsetof(sm_leader_and_isr_resp_partition_error_t, topic_name) == 0,
	       "grouped items start with their topic name");

typedef struct sm_msg_sortctx {
	const uint8_t *base;
	size_t stride;
	int (*cmp)(const void *a, const void *b);
} sm_msg_sortctx_t;

/* Key first, then original position: makes the sort stable. */
static int sm_msg_item_cmp(const void *x, const void *y, void *arg)
{
	const sm_msg_sortctx_t *c = arg;
	int32_t i = *(const int32_t *)x, j = *(const int32_t *)y;
	int r = c->cmp(c->base + (size_t)i * c->stride, c->base + (size_t)j * c->stride);
	if (r)
		return r;
	return (i > j) - (i < j);
}

typedef struct sm_msg_run {
	int32_t first; /* smallest item index of the group */
	int32_t off;   /* where the group starts in the key-sorted order */
	int32_t len;
} sm_msg_run_t;

static int sm_msg_run_cmp(const void *x, const void *y)
{
	const sm_msg_run_t *a = x, *b = y;
	return (a->first > b->first) - (a->first < b->first);
}

void sm_msg_groups_build(sm_msg_groups_t *g, const void *base, size_t stride, int32_t n,
			 int (*cmp)(const void *a, const void *b))
{
	sm_msg_sortctx_t ctx = { base, stride, cmp };
	int32_t *sorted = sm_malloc((size_t)(n > 0 ? n : 1) * sizeof(*sorted));
	sm_msg_run_t *runs = sm_malloc((size_t)(n > 0 ? n : 1) * sizeof(*runs));
	int32_t nruns = 0;

	for (int32_t i = 0; i < n; i++)
		sorted[i] = i;
	qsort_r(sorted, (size_t)n, sizeof(*sorted), sm_msg_item_cmp, &ctx);
	for (int32_t i = 0; i < n; i++) {
		if (nruns > 0 &&
		    !cmp((const uint8_t *)base + (size_t)sorted[i] * stride,
			 (const uint8_t *)base + (size_t)sorted[i - 1] * stride)) {
			runs[nruns - 1].len++;
			continue;
		}
		runs[nruns].first = sorted[i];
		runs[nruns].off = i;
		runs[nruns].len = 1;
		nruns++;
	}
	qsort(runs, (size_t)nruns, sizeof(*runs), sm_msg_run_cmp);

	g->order = sm_malloc((size_t)(n > 0 ? n : 1) * sizeof(*g->order));
	g->start = sm_malloc((size_t)(nruns + 1) * sizeof(*g->start));
	g->ngroups = nruns;
	int32_t pos = 0;
	for (int32_t r = 0; r < nruns; r++) {
		g->start[r] = pos;
		memcpy(g->order + pos, sorted + runs[r].off, (size_t)runs[r].len * sizeof(int32_t));
		pos += runs[r].len;
	}
	g->start[nruns] = pos;
	free(sorted);
	free(runs);
}

void sm_msg_groups_free(sm_msg_groups_t *g)
{
	free(g->order);
	free(g->start);
	g->order = g->start = NULL;
	g->ngroups = 0;
}

/* Topic id lookup in a table of n entries; all-zero id when absent. Entry
 * hint is tried first: the nesting passes the group number, which matches
 * the table order whenever the table was built from the same message. */
static void sm_msg_topic_id_find(const sm_msg_topic_id_t *tab, int32_t n, const char *topic,
				 int32_t hint, uint8_t out[16])
{
	if (hint >= 0 && hint < n && !sm_msg_strcmp0(tab[hint].topic, topic)) {
		memcpy(out, tab[hint].id, 16);
		return;
	}
	for (int32_t i = 0; i < n; i++) {
		if (!sm_msg_strcmp0(tab[i].topic, topic)) {
			memcpy(out, tab[i].id, 16);
			return;
		}
	}
	memset(out, 0, 16);
}

/* LeaderAndIsr v2+ and UpdateMetadata v5+ nest partition states by topic
 * (topic_states[].partition_states, each topic with a name and an id); the
 * normalized form lists them in ungrouped_partition_states with topic_name.
 * The generated types differ but have the same shape, hence macros.
 * Nested -> ungrouped: counts were checked by the reader against the bytes
 * sent, so the sum fits the read budget. */
#define SM_MSG_UNGROUP(req, a) do { \
	size_t n_ = 0; \
	int32_t k_ = 0; \
	for (int32_t t = 0; t < (req)->topic_states_cnt; t++) \
		n_ += (size_t)((req)->topic_states[t].partition_states_cnt > 0 ? (req)->topic_states[t].partition_states_cnt : 0); \
	(req)->ungrouped_partition_states = sm_arena_alloc((a), sizeof(*(req)->ungrouped_partition_states) * (n_ + 1)); \
	for (int32_t t = 0; t < (req)->topic_states_cnt; t++) \
		for (int32_t i = 0; i < (req)->topic_states[t].partition_states_cnt; i++) { \
			(req)->ungrouped_partition_states[k_] = (req)->topic_states[t].partition_states[i]; \
			(req)->ungrouped_partition_states[k_++].topic_name = (req)->topic_states[t].topic_name; \
		} \
	(req)->ungrouped_partition_states_cnt = k_; \
} while (0)

/* Ungrouped -> nested by topic in order of first appearance, each topic
 * with its id from ids (all zero when absent); init: the topic's init. */
#define SM_MSG_NEST(req, ids, nids, a, init) do { \
	__typeof__((req)->ungrouped_partition_states) p_ = (req)->ungrouped_partition_states; \
	sm_msg_groups_t g_; \
	sm_msg_groups_build(&g_, p_, sizeof(*p_), (req)->ungrouped_partition_states_cnt, sm_msg_topic_cmp); \
	(req)->topic_states = sm_arena_alloc((a), sizeof(*(req)->topic_states) * (size_t)(g_.ngroups + 1)); \
	for (int32_t t = 0; t < g_.ngroups; t++) { \
		__typeof__((req)->topic_states) o_ = &(req)->topic_states[t]; \
		int32_t m_ = g_.start[t + 1] - g_.start[t]; \
		const char *topic_ = p_[g_.order[g_.start[t]]].topic_name; \
		init(o_); \
		o_->topic_name = (char *)(topic_ ? topic_ : ""); \
		sm_msg_topic_id_find((ids), (nids), o_->topic_name, t, o_->topic_id); \
		o_->partition_states = sm_arena_alloc((a), sizeof(*p_) * (size_t)m_); \
		o_->partition_states_cnt = m_; \
		for (int32_t i = 0; i < m_; i++) \
			o_->partition_states[i] = p_[g_.order[g_.start[t] + i]]; \
	} \
	(req)->topic_states_cnt = g_.ngroups; \
	sm_msg_groups_free(&g_); \
} while (0)

/* ---- StopReplica flat view ---- */

sm_stop_replica_partition_t *sm_stop_replica_flatten(const sm_stop_replica_req_t *req, int16_t ver,
						     sm_arena_t *a, int32_t *cnt)
{
	/* Every count below is one the reader already checked against the
	 * bytes sent, so the sum fits the read budget. */
	size_t n = 0;
	if (ver == 0) {
		n = (size_t)(req->ungrouped_partitions_cnt > 0 ? req->ungrouped_partitions_cnt : 0);
	} else if (ver <= 2) {
		for (int32_t t = 0; t < req->topics_cnt; t++)
			n += (size_t)(req->topics[t].partition_indexes_cnt > 0
					      ? req->topics[t].partition_indexes_cnt : 0);
	} else {
		for (int32_t t = 0; t < req->topic_states_cnt; t++)
			n += (size_t)(req->topic_states[t].partition_states_cnt > 0
					      ? req->topic_states[t].partition_states_cnt : 0);
	}
	sm_stop_replica_partition_t *out = sm_arena_alloc(a, sizeof(*out) * (n + 1));
	int32_t k = 0;
	if (ver == 0) {
		for (int32_t i = 0; i < req->ungrouped_partitions_cnt; i++)
			out[k++] = (sm_stop_replica_partition_t){
				req->ungrouped_partitions[i].topic_name,
				req->ungrouped_partitions[i].partition_index, -1, req->delete_partitions
			};
	} else if (ver <= 2) {
		for (int32_t t = 0; t < req->topics_cnt; t++)
			for (int32_t i = 0; i < req->topics[t].partition_indexes_cnt; i++)
				out[k++] = (sm_stop_replica_partition_t){
					req->topics[t].name, req->topics[t].partition_indexes[i], -1,
					req->delete_partitions
				};
	} else {
		for (int32_t t = 0; t < req->topic_states_cnt; t++) {
			const sm_stop_replica_req_topic_state_t *ts = &req->topic_states[t];
			for (int32_t i = 0; i < ts->partition_states_cnt; i++)
				out[k++] = (sm_stop_replica_partition_t){
					ts->topic_name, ts->partition_states[i].partition_index,
					ts->partition_states[i].leader_epoch,
					ts->partition_states[i].delete_partition
				};
		}
	}
	*cnt = k;
	return out;
}

void sm_stop_replica_nest(sm_stop_replica_req_t *req, int16_t ver,
			  const sm_stop_replica_partition_t *p, int32_t n, sm_arena_t *a)
{
	req->ungrouped_partitions_cnt = req->topics_cnt = req->topic_states_cnt = 0;
	if (ver == 0) {
		req->ungrouped_partitions = sm_arena_alloc(a, sizeof(*req->ungrouped_partitions) *
								      (size_t)(n + 1));
		for (int32_t i = 0; i < n; i++)
			req->ungrouped_partitions[i] = (sm_stop_replica_req_ungrouped_partition_t){
				p[i].topic ? p[i].topic : "", p[i].partition
			};
		req->ungrouped_partitions_cnt = n;
		return;
	}
	sm_msg_groups_t g;
	sm_msg_groups_build(&g, p, sizeof(*p), n, sm_msg_topic_cmp);
	if (ver <= 2)
		req->topics = sm_arena_alloc(a, sizeof(*req->topics) * (size_t)(g.ngroups + 1));
	else
		req->topic_states = sm_arena_alloc(a, sizeof(*req->topic_states) *
							      (size_t)(g.ngroups + 1));
	for (int32_t t = 0; t < g.ngroups; t++) {
		int32_t m = g.start[t + 1] - g.start[t];
		const sm_stop_replica_partition_t *first = &p[g.order[g.start[t]]];
		char *name = first->topic ? first->topic : "";
		if (ver <= 2) {
			sm_stop_replica_req_topic_t *o = &req->topics[t];
			o->name = name;
			o->partition_indexes = sm_arena_alloc(a, sizeof(int32_t) * (size_t)m);
			o->partition_indexes_cnt = m;
			for (int32_t i = 0; i < m; i++)
				o->partition_indexes[i] = p[g.order[g.start[t] + i]].partition;
		} else {
			sm_stop_replica_req_topic_state_t *o = &req->topic_states[t];
			o->topic_name = name;
			o->partition_states = sm_arena_alloc(a, sizeof(*o->partition_states) * (size_t)m);
			o->partition_states_cnt = m;
			for (int32_t i = 0; i < m; i++) {
				const sm_stop_replica_partition_t *q = &p[g.order[g.start[t] + i]];
				o->partition_states[i] = (sm_stop_replica_req_partition_state_t){
					q->partition, q->leader_epoch, q->delete_partition
				};
			}
		}
	}
	if (ver <= 2)
		req->topics_cnt = g.ngroups;
	else
		req->topic_states_cnt = g.ngroups;
	sm_msg_groups_free(&g);
}

/* ---- UpdateMetadata normalized form ---- */

const char *sm_update_metadata_protocol_name(int16_t security_protocol)
{
	static const char *const names[] = { "PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL" };

	if (security_protocol < 0 || security_protocol > 3)
		return NULL;
	return names[security_protocol];
}

int sm_update_metadata_normalize(sm_update_metadata_req_t *req, int16_t ver, sm_arena_t *a)
{
	if (ver >= 5)
		SM_MSG_UNGROUP(req, a);
	for (int32_t b = 0; b < req->live_brokers_cnt; b++) {
		sm_update_metadata_req_live_broker_t *br = &req->live_brokers[b];
		if (ver == 0) {
			sm_update_metadata_req_endpoint_t *e = sm_arena_alloc(a, sizeof(*e));
			sm_update_metadata_req_endpoint_init(e);
			e->host = br->v0_host;
			e->port = br->v0_port;
			e->security_protocol = 0;
			br->endpoints = e;
			br->endpoints_cnt = 1;
		}
		if (ver >= 3)
			continue;
		for (int32_t i = 0; i < br->endpoints_cnt; i++) {
			const char *name =
				sm_update_metadata_protocol_name(br->endpoints[i].security_protocol);
			if (!name)
				return -1;
			br->endpoints[i].listener = (char *)name;
		}
	}
	return 0;
}

void sm_update_metadata_nest(sm_update_metadata_req_t *req, int16_t ver, const sm_msg_topic_id_t *ids,
			     int32_t nids, sm_arena_t *a)
{
	if (ver == 0) {
		/* v0 has one host/port per broker and it must be the PLAINTEXT one. */
		for (int32_t b = 0; b < req->live_brokers_cnt; b++) {
			sm_update_metadata_req_live_broker_t *br = &req->live_brokers[b];
			const sm_update_metadata_req_endpoint_t *e = NULL;
			for (int32_t i = 0; i < br->endpoints_cnt && !e; i++)
				if (br->endpoints[i].security_protocol == 0)
					e = &br->endpoints[i];
			if (!e && br->endpoints_cnt > 0)
				e = &br->endpoints[0];
			br->v0_host = e && e->host ? e->host : "";
			br->v0_port = e ? e->port : -1;
		}
	}
	if (ver < 5)
		return;
	SM_MSG_NEST(req, ids, nids, a, sm_update_metadata_req_topic_state_init);
}

/* ---- LeaderAndIsr normalized form ---- */

void sm_leader_and_isr_normalize(sm_leader_and_isr_req_t *req, int16_t ver, sm_arena_t *a)
{
	if (ver >= 2)
		SM_MSG_UNGROUP(req, a);
}

void sm_leader_and_isr_nest(sm_leader_and_isr_req_t *req, int16_t ver, const sm_msg_topic_id_t *ids,
			    int32_t nids, sm_arena_t *a)
{
	if (ver < 2)
		return;
	SM_MSG_NEST(req, ids, nids, a, sm_leader_and_isr_req_topic_state_init);
}

void sm_leader_and_isr_resp_nest(sm_leader_and_isr_resp_t *resp, int16_t ver,
				 const sm_leader_and_isr_req_t *req, sm_arena_t *a)
{
	if (ver < 5)
		return;
	const sm_leader_and_isr_resp_partition_error_t *p = resp->partition_errors;
	sm_msg_groups_t g;
	sm_msg_groups_build(&g, p, sizeof(*p), resp->partition_errors_cnt, sm_msg_topic_cmp);
	resp->topics = sm_arena_alloc(a, sizeof(*resp->topics) * (size_t)(g.ngroups + 1));
	for (int32_t t = 0; t < g.ngroups; t++) {
		sm_leader_and_isr_resp_topic_t *o = &resp->topics[t];
		int32_t m = g.start[t + 1] - g.start[t];
		const char *topic = p[g.order[g.start[t]]].topic_name;
		sm_leader_and_isr_resp_topic_init(o);
		for (int32_t k = 0; k < req->topic_states_cnt; k++)
			if (!sm_msg_strcmp0(req->topic_states[k].topic_name, topic)) {
				memcpy(o->topic_id, req->topic_states[k].topic_id, 16);
				break;
			}
		o->partition_errors = sm_arena_alloc(a, sizeof(*o->partition_errors) * (size_t)m);
		o->partition_errors_cnt = m;
		for (int32_t i = 0; i < m; i++)
			o->partition_errors[i] = p[g.order[g.start[t] + i]];
	}
	resp->topics_cnt = g.ngroups;
	sm_msg_groups_free(&g);
}
