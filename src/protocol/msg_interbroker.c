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

void sm_msg_groups_build(sm_msg_groups_t *g, const void *base, size_t stride, int32_t n,
			 int (*cmp)(const void *a, const void *b))
{
	sm_msg_sortctx_t ctx = { base, stride, cmp };
	const uint8_t *item = base;
	size_t n2 = (size_t)(n > 0 ? n : 0) + 2;
	int32_t *sorted = sm_malloc(n2 * sizeof(int32_t)), *gid = sm_malloc(n2 * sizeof(int32_t));

	for (int32_t i = 0; i < n; i++)
		sorted[i] = i;
	qsort_r(sorted, (size_t)n, sizeof(*sorted), sm_msg_item_cmp, &ctx);
	/* Equal keys are adjacent now, each run led by its first item in wire
	 * order: gid[i] is the leader of item i's run, which comes before i ... */
	for (int32_t k = 0; k < n; k++)
		gid[sorted[k]] = k > 0 && !cmp(item + (size_t)sorted[k] * stride,
					       item + (size_t)sorted[k - 1] * stride)
					 ? gid[sorted[k - 1]] : sorted[k];
	/* ... so one pass in wire order numbers the groups by first appearance.
	 * A counting sort by group then keeps wire order inside each group:
	 * start[t + 1] counts group t, becomes where it begins and, as the
	 * placing cursor, ends up where it ends. */
	g->ngroups = 0;
	g->order = sorted;
	g->start = sm_calloc(n2, sizeof(int32_t));
	for (int32_t i = 0; i < n; i++) {
		gid[i] = gid[i] == i ? g->ngroups++ : gid[gid[i]];
		g->start[gid[i] + 2]++;
	}
	for (int32_t t = 2; t <= g->ngroups; t++)
		g->start[t] += g->start[t - 1];
	for (int32_t i = 0; i < n; i++)
		g->order[g->start[gid[i] + 1]++] = i;
	free(gid);
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

/* ---- topic nesting ----
 * LeaderAndIsr v2+, UpdateMetadata v5+, StopReplica v1+ and the
 * LeaderAndIsr v5+ response nest their items by topic; the normalized forms
 * list them flat, each item with its topic name first. The generated types
 * differ per message but share that shape, so one pair of functions maps
 * both ways, driven by where a message keeps the parts. */
#define SM_MSG_NONE SIZE_MAX

typedef struct sm_msg_nesting {
	size_t psize;  /* one topic (parent) element */
	size_t pname;  /* its char * name, or SM_MSG_NONE */
	size_t pid;    /* its uint8_t[16] id, or SM_MSG_NONE */
	size_t pitems; /* its item array */
	size_t pcnt;   /* and int32_t item count */
	size_t isize;  /* one nested item */
	size_t fsize;  /* one flat item, its char * topic first */
	size_t foff;   /* where a nested item's bytes sit in a flat item */
} sm_msg_nesting_t;

/* Topic type T with name N and id I (offsets or SM_MSG_NONE) and items A;
 * flat items of type F hold a nested item at offset O. */
#define SM_MSG_NESTING(T, N, I, A, F, O) \
	{ sizeof(T), N, I, offsetof(T, A), offsetof(T, A##_cnt), sizeof(*((T *)0)->A), sizeof(F), O }

/* Nested -> flat, in wire order, each item with its topic's name (d has
 * one). Every count is one the reader already checked against the bytes
 * sent, so the sum fits the read budget. */
static void *sm_msg_ungroup(const void *parents, int32_t np, const sm_msg_nesting_t *d,
			    sm_arena_t *a, int32_t *cnt)
{
	const uint8_t *base = parents;
	size_t n = 0;
	int32_t m;

	for (int32_t t = 0; t < np; t++) {
		memcpy(&m, base + (size_t)t * d->psize + d->pcnt, sizeof(m));
		n += (size_t)(m > 0 ? m : 0);
	}
	uint8_t *out = sm_arena_alloc(a, d->fsize * (n + 1)), *o = out;
	for (int32_t t = 0; t < np; t++) {
		const uint8_t *p = base + (size_t)t * d->psize, *items;
		memcpy(&items, p + d->pitems, sizeof(items));
		memcpy(&m, p + d->pcnt, sizeof(m));
		for (int32_t i = 0; i < m; i++, o += d->fsize) {
			memcpy(o + d->foff, items + (size_t)i * d->isize, d->isize);
			memcpy(o, p + d->pname, sizeof(char *));
		}
	}
	*cnt = (int32_t)n;
	return out;
}

/* Flat -> nested by topic in order of first appearance, each topic with
 * its id from ids (all zero when absent). */
static void *sm_msg_nest(const void *flat, int32_t n, const sm_msg_nesting_t *d,
			 const sm_msg_topic_id_t *ids, int32_t nids, sm_arena_t *a, int32_t *np)
{
	const uint8_t *f = flat;
	sm_msg_groups_t g;

	sm_msg_groups_build(&g, flat, d->fsize, n, sm_msg_topic_cmp);
	uint8_t *out = sm_arena_alloc(a, d->psize * (size_t)(g.ngroups + 1));
	for (int32_t t = 0; t < g.ngroups; t++) {
		uint8_t *p = out + (size_t)t * d->psize;
		int32_t m = g.start[t + 1] - g.start[t];
		uint8_t *items = sm_arena_alloc(a, d->isize * (size_t)m);
		const char *topic;
		memcpy(&topic, f + (size_t)g.order[g.start[t]] * d->fsize, sizeof(topic));
		topic = topic ? topic : "";
		if (d->pname != SM_MSG_NONE)
			memcpy(p + d->pname, &topic, sizeof(topic));
		if (d->pid != SM_MSG_NONE)
			sm_msg_topic_id_find(ids, nids, topic, t, p + d->pid);
		memcpy(p + d->pitems, &items, sizeof(items));
		memcpy(p + d->pcnt, &m, sizeof(m));
		for (int32_t i = 0; i < m; i++)
			memcpy(items + (size_t)i * d->isize,
			       f + (size_t)g.order[g.start[t] + i] * d->fsize + d->foff, d->isize);
	}
	*np = g.ngroups;
	sm_msg_groups_free(&g);
	return out;
}

/* A StopReplica flat item holds a v3 partition state after its topic, so
 * the nested items are copied in whole. */
#define SM_SR_PART offsetof(sm_stop_replica_partition_t, partition)
#define SM_SR_REL(f) (offsetof(sm_stop_replica_partition_t, f) - SM_SR_PART)
_Static_assert(offsetof(sm_stop_replica_req_partition_state_t, partition_index) == 0 &&
		       SM_SR_REL(leader_epoch) ==
			       offsetof(sm_stop_replica_req_partition_state_t, leader_epoch) &&
		       SM_SR_REL(delete_partition) ==
			       offsetof(sm_stop_replica_req_partition_state_t, delete_partition) &&
		       sizeof(sm_stop_replica_req_partition_state_t) ==
			       SM_SR_REL(delete_partition) + sizeof(int),
	       "StopReplica flat item mirrors the v3 partition state");

static const sm_msg_nesting_t sm_sr_topics =
	SM_MSG_NESTING(sm_stop_replica_req_topic_t, offsetof(sm_stop_replica_req_topic_t, name),
		       SM_MSG_NONE, partition_indexes, sm_stop_replica_partition_t, SM_SR_PART);
static const sm_msg_nesting_t sm_sr_topic_states =
	SM_MSG_NESTING(sm_stop_replica_req_topic_state_t,
		       offsetof(sm_stop_replica_req_topic_state_t, topic_name), SM_MSG_NONE,
		       partition_states, sm_stop_replica_partition_t, SM_SR_PART);
static const sm_msg_nesting_t sm_um_topics =
	SM_MSG_NESTING(sm_update_metadata_req_topic_state_t,
		       offsetof(sm_update_metadata_req_topic_state_t, topic_name),
		       offsetof(sm_update_metadata_req_topic_state_t, topic_id), partition_states,
		       sm_update_metadata_req_partition_state_t, 0);
static const sm_msg_nesting_t sm_lai_topics =
	SM_MSG_NESTING(sm_leader_and_isr_req_topic_state_t,
		       offsetof(sm_leader_and_isr_req_topic_state_t, topic_name),
		       offsetof(sm_leader_and_isr_req_topic_state_t, topic_id), partition_states,
		       sm_leader_and_isr_req_partition_state_t, 0);
static const sm_msg_nesting_t sm_lai_resp_topics =
	SM_MSG_NESTING(sm_leader_and_isr_resp_topic_t, SM_MSG_NONE,
		       offsetof(sm_leader_and_isr_resp_topic_t, topic_id), partition_errors,
		       sm_leader_and_isr_resp_partition_error_t, 0);

/* ---- StopReplica flat view ---- */

sm_stop_replica_partition_t *sm_stop_replica_flatten(const sm_stop_replica_req_t *req, int16_t ver,
						     sm_arena_t *a, int32_t *cnt)
{
	sm_stop_replica_partition_t *out;

	if (ver >= 3)
		return sm_msg_ungroup(req->topic_states, req->topic_states_cnt, &sm_sr_topic_states, a,
				      cnt);
	if (ver >= 1) {
		out = sm_msg_ungroup(req->topics, req->topics_cnt, &sm_sr_topics, a, cnt);
	} else {
		/* The reader checked the count against the bytes sent. */
		*cnt = req->ungrouped_partitions_cnt > 0 ? req->ungrouped_partitions_cnt : 0;
		out = sm_arena_alloc(a, sizeof(*out) * ((size_t)*cnt + 1));
		for (int32_t i = 0; i < *cnt; i++) {
			out[i].topic = req->ungrouped_partitions[i].topic_name;
			out[i].partition = req->ungrouped_partitions[i].partition_index;
		}
	}
	/* v0-2 carry no epochs, and one delete flag for every partition. */
	for (int32_t i = 0; i < *cnt; i++) {
		out[i].leader_epoch = -1;
		out[i].delete_partition = req->delete_partitions;
	}
	return out;
}

void sm_stop_replica_nest(sm_stop_replica_req_t *req, int16_t ver,
			  const sm_stop_replica_partition_t *p, int32_t n, sm_arena_t *a)
{
	req->ungrouped_partitions_cnt = req->topics_cnt = req->topic_states_cnt = 0;
	if (ver >= 3) {
		req->topic_states = sm_msg_nest(p, n, &sm_sr_topic_states, NULL, 0, a,
						&req->topic_states_cnt);
	} else if (ver >= 1) {
		req->topics = sm_msg_nest(p, n, &sm_sr_topics, NULL, 0, a, &req->topics_cnt);
	} else {
		req->ungrouped_partitions = sm_arena_alloc(a, sizeof(*req->ungrouped_partitions) *
								      (size_t)(n + 1));
		for (int32_t i = 0; i < n; i++)
			req->ungrouped_partitions[i] = (sm_stop_replica_req_ungrouped_partition_t){
				p[i].topic ? p[i].topic : "", p[i].partition
			};
		req->ungrouped_partitions_cnt = n;
	}
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
		req->ungrouped_partition_states = sm_msg_ungroup(
			req->topic_states, req->topic_states_cnt, &sm_um_topics, a,
			&req->ungrouped_partition_states_cnt);
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
	if (ver >= 5)
		req->topic_states = sm_msg_nest(req->ungrouped_partition_states,
						req->ungrouped_partition_states_cnt, &sm_um_topics, ids,
						nids, a, &req->topic_states_cnt);
}

/* ---- LeaderAndIsr normalized form ---- */

void sm_leader_and_isr_normalize(sm_leader_and_isr_req_t *req, int16_t ver, sm_arena_t *a)
{
	if (ver >= 2)
		req->ungrouped_partition_states = sm_msg_ungroup(
			req->topic_states, req->topic_states_cnt, &sm_lai_topics, a,
			&req->ungrouped_partition_states_cnt);
}

void sm_leader_and_isr_nest(sm_leader_and_isr_req_t *req, int16_t ver, const sm_msg_topic_id_t *ids,
			    int32_t nids, sm_arena_t *a)
{
	if (ver >= 2)
		req->topic_states = sm_msg_nest(req->ungrouped_partition_states,
						req->ungrouped_partition_states_cnt, &sm_lai_topics, ids,
						nids, a, &req->topic_states_cnt);
}

void sm_leader_and_isr_resp_nest(sm_leader_and_isr_resp_t *resp, int16_t ver,
				 const sm_leader_and_isr_req_t *req, sm_arena_t *a)
{
	if (ver < 5)
		return;
	/* Each topic answers with the id the request gave it. */
	sm_msg_topic_id_t *ids = sm_arena_alloc(a, sizeof(*ids) * (size_t)(req->topic_states_cnt + 1));
	for (int32_t k = 0; k < req->topic_states_cnt; k++) {
		ids[k].topic = req->topic_states[k].topic_name;
		memcpy(ids[k].id, req->topic_states[k].topic_id, 16);
	}
	resp->topics = sm_msg_nest(resp->partition_errors, resp->partition_errors_cnt,
				   &sm_lai_resp_topics, ids, req->topic_states_cnt, a, &resp->topics_cnt);
}
