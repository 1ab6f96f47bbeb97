/*
 * group_metadata.c - one consumer group's in-memory state (Kafka's
 * GroupMetadata and MemberMetadata) and protocol selection.
 *
 * Thread-safety: none; the group coordinator serializes all access.
 */
#include "group_metadata.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

static const char *const sm_group_state_names[SM_GROUP_STATE_CNT] = {
	[SM_GROUP_EMPTY] = "Empty",
	[SM_GROUP_PREPARING_REBALANCE] = "PreparingRebalance",
	[SM_GROUP_COMPLETING_REBALANCE] = "CompletingRebalance",
	[SM_GROUP_STABLE] = "Stable",
	[SM_GROUP_DEAD] = "Dead",
};

/* Valid previous states of each state, as Kafka's GroupState objects list
 * them. */
static const unsigned sm_group_valid_from[SM_GROUP_STATE_CNT] = {
	[SM_GROUP_EMPTY] = 1u << SM_GROUP_PREPARING_REBALANCE,
	[SM_GROUP_PREPARING_REBALANCE] = (1u << SM_GROUP_STABLE) | (1u << SM_GROUP_COMPLETING_REBALANCE) |
					 (1u << SM_GROUP_EMPTY),
	[SM_GROUP_COMPLETING_REBALANCE] = 1u << SM_GROUP_PREPARING_REBALANCE,
	[SM_GROUP_STABLE] = 1u << SM_GROUP_COMPLETING_REBALANCE,
	[SM_GROUP_DEAD] = (1u << SM_GROUP_STABLE) | (1u << SM_GROUP_PREPARING_REBALANCE) |
			  (1u << SM_GROUP_COMPLETING_REBALANCE) | (1u << SM_GROUP_EMPTY) |
			  (1u << SM_GROUP_DEAD),
};

const char *sm_group_state_name(sm_group_state_t s)
{
	return (unsigned)s < SM_GROUP_STATE_CNT ? sm_group_state_names[s] : "Unknown";
}

int sm_group_state_parse(const char *name)
{
	for (int i = 0; i < SM_GROUP_STATE_CNT; i++)
		if (!strcasecmp(name, sm_group_state_names[i]))
			return i;
	return -1;
}

int sm_group_can_transition(sm_group_state_t from, sm_group_state_t to)
{
	if ((unsigned)from >= SM_GROUP_STATE_CNT || (unsigned)to >= SM_GROUP_STATE_CNT)
		return 0;
	return (sm_group_valid_from[to] >> from) & 1u;
}

static char *sm_group_dup(const char *s)
{
	return s ? sm_strdup(s) : NULL;
}

sm_group_t *sm_group_new(const char *group_id, int32_t partition, int64_t now_ms)
{
	sm_group_t *g = sm_calloc(1, sizeof(*g));
	g->group_id = sm_strdup(group_id);
	g->partition = partition;
	g->state = SM_GROUP_EMPTY;
	g->state_ts = now_ms;
	sm_gc_timer_init(&g->rb_timer, SM_GROUP_TIMER_REBALANCE, g, g);
	return g;
}

void sm_group_destroy(sm_group_t *g)
{
	if (!g)
		return;
	sm_group_member_t *m = g->members;
	while (m) {
		sm_group_member_t *n = m->next;
		sm_group_member_destroy(m);
		m = n;
	}
	for (int i = 0; i < g->n_offsets; i++) {
		free(g->offsets[i].topic);
		free(g->offsets[i].metadata);
	}
	free(g->offsets);
	for (int i = 0; i < g->n_pending; i++)
		free(g->pending[i].topic);
	free(g->pending);
	for (int i = 0; i < g->n_txn; i++) {
		free(g->txn[i].o.topic);
		free(g->txn[i].o.metadata);
	}
	free(g->txn);
	free(g->group_id);
	free(g->protocol_type);
	free(g->protocol_name);
	free(g->leader_id);
	free(g);
}

sm_group_member_t *sm_group_member_new(const char *member_id, const char *instance_id,
				       const char *client_id, const char *client_host)
{
	sm_group_member_t *m = sm_calloc(1, sizeof(*m));
	m->member_id = sm_strdup(member_id);
	m->group_instance_id = sm_group_dup(instance_id);
	m->client_id = sm_strdup(client_id ? client_id : "");
	m->client_host = sm_strdup(client_host ? client_host : "");
	sm_gc_timer_init(&m->hb_timer, SM_GROUP_TIMER_MEMBER, m, NULL);
	return m;
}

static void sm_group_protocols_free(sm_group_member_t *m)
{
	for (int i = 0; i < m->n_protocols; i++) {
		free(m->protocols[i].name);
		free(m->protocols[i].metadata);
	}
	free(m->protocols);
	m->protocols = NULL;
	m->n_protocols = 0;
}

void sm_group_member_destroy(sm_group_member_t *m)
{
	if (!m)
		return;
	sm_group_protocols_free(m);
	free(m->member_id);
	free(m->group_instance_id);
	free(m->client_id);
	free(m->client_host);
	free(m->assignment);
	free(m);
}

static uint8_t *sm_group_bytes_dup(const uint8_t *p, int32_t len)
{
	if (len <= 0)
		return NULL;
	uint8_t *c = sm_malloc((size_t)len);
	memcpy(c, p, (size_t)len);
	return c;
}

void sm_group_member_set_protocols(sm_group_member_t *m, const sm_group_protocol_t *p, int n)
{
	sm_group_protocols_free(m);
	if (n <= 0)
		return;
	m->protocols = sm_calloc((size_t)n, sizeof(*m->protocols));
	m->n_protocols = n;
	for (int i = 0; i < n; i++) {
		m->protocols[i].name = sm_strdup(p[i].name ? p[i].name : "");
		m->protocols[i].metadata_len = p[i].metadata_len > 0 ? p[i].metadata_len : 0;
		m->protocols[i].metadata = sm_group_bytes_dup(p[i].metadata, p[i].metadata_len);
	}
}

void sm_group_member_set_assignment(sm_group_member_t *m, const uint8_t *a, int32_t len)
{
	free(m->assignment);
	m->assignment = sm_group_bytes_dup(a, len);
	m->assignment_len = len > 0 ? len : 0;
}

const sm_group_protocol_t *sm_group_member_protocol(const sm_group_member_t *m, const char *name)
{
	for (int i = 0; i < m->n_protocols; i++)
		if (!strcmp(m->protocols[i].name, name))
			return &m->protocols[i];
	return NULL;
}

int sm_group_member_same_protocols(const sm_group_member_t *m, const sm_group_protocol_t *p, int n)
{
	if (m->n_protocols != n)
		return 0;
	for (int i = 0; i < n; i++) {
		const sm_group_protocol_t *a = &m->protocols[i];
		int32_t blen = p[i].metadata_len > 0 ? p[i].metadata_len : 0;
		if (strcmp(a->name, p[i].name ? p[i].name : "") || a->metadata_len != blen)
			return 0;
		if (blen && memcmp(a->metadata, p[i].metadata, (size_t)blen))
			return 0;
	}
	return 1;
}

void sm_group_add_member(sm_group_t *g, sm_group_member_t *m)
{
	sm_group_member_t **pp = &g->members;
	while (*pp)
		pp = &(*pp)->next;
	m->next = NULL;
	*pp = m;
	g->n_members++;
	if (!g->leader_id)
		g->leader_id = sm_strdup(m->member_id);
}

void sm_group_remove_member(sm_group_t *g, sm_group_member_t *m)
{
	for (sm_group_member_t **pp = &g->members; *pp; pp = &(*pp)->next) {
		if (*pp != m)
			continue;
		*pp = m->next;
		m->next = NULL;
		g->n_members--;
		break;
	}
	if (g->leader_id && !strcmp(g->leader_id, m->member_id)) {
		free(g->leader_id);
		g->leader_id = g->members ? sm_strdup(g->members->member_id) : NULL;
	}
}

sm_group_member_t *sm_group_find_member(const sm_group_t *g, const char *member_id)
{
	for (sm_group_member_t *m = g->members; m; m = m->next)
		if (!strcmp(m->member_id, member_id))
			return m;
	return NULL;
}

sm_group_member_t *sm_group_find_static(const sm_group_t *g, const char *instance_id)
{
	for (sm_group_member_t *m = g->members; m; m = m->next)
		if (m->group_instance_id && !strcmp(m->group_instance_id, instance_id))
			return m;
	return NULL;
}

/* 1 if every member offers name. */
static int sm_group_all_offer(const sm_group_t *g, const char *name)
{
	for (sm_group_member_t *m = g->members; m; m = m->next)
		if (!sm_group_member_protocol(m, name))
			return 0;
	return 1;
}

int sm_group_supports_protocols(const sm_group_t *g, const char *protocol_type,
				const sm_group_protocol_t *p, int n)
{
	if (!protocol_type || !*protocol_type || n <= 0)
		return 0;
	if (!g->members)
		return 1;
	if (g->protocol_type && strcmp(g->protocol_type, protocol_type))
		return 0;
	for (int i = 0; i < n; i++)
		if (p[i].name && sm_group_all_offer(g, p[i].name))
			return 1;
	return 0;
}

const char *sm_group_select_protocol(const sm_group_t *g)
{
	const sm_group_member_t *lead = g->members;
	if (g->leader_id) {
		const sm_group_member_t *l = sm_group_find_member(g, g->leader_id);
		if (l)
			lead = l;
	}
	if (!lead)
		return NULL;
	const char *best = NULL;
	int best_votes = 0;
	/* Candidates in the leader's order, so ties are deterministic. */
	for (int i = 0; i < lead->n_protocols; i++) {
		const char *cand = lead->protocols[i].name;
		if (!sm_group_all_offer(g, cand))
			continue;
		int votes = 0;
		for (const sm_group_member_t *m = g->members; m; m = m->next) {
			for (int j = 0; j < m->n_protocols; j++) {
				if (!sm_group_all_offer(g, m->protocols[j].name))
					continue;
				if (!strcmp(m->protocols[j].name, cand))
					votes++;
				break;
			}
		}
		if (!best || votes > best_votes) {
			best = cand;
			best_votes = votes;
		}
	}
	return best;
}

sm_group_offset_t *sm_group_offset_find(sm_group_t *g, const char *topic, int32_t partition)
{
	for (int i = 0; i < g->n_offsets; i++)
		if (g->offsets[i].partition == partition && !strcmp(g->offsets[i].topic, topic))
			return &g->offsets[i];
	return NULL;
}

sm_group_offset_t *sm_group_offset_put(sm_group_t *g, const char *topic, int32_t partition,
				       int64_t offset, int32_t leader_epoch, const char *metadata,
				       int64_t commit_ts, int64_t expire_ts)
{
	sm_group_offset_t *o = sm_group_offset_find(g, topic, partition);
	if (!o) {
		if (g->n_offsets == g->cap_offsets) {
			g->cap_offsets = g->cap_offsets ? g->cap_offsets * 2 : 8;
			g->offsets = sm_realloc(g->offsets, (size_t)g->cap_offsets * sizeof(*g->offsets));
		}
		o = &g->offsets[g->n_offsets++];
		o->topic = sm_strdup(topic);
		o->partition = partition;
	} else {
		free(o->metadata);
	}
	o->offset = offset;
	o->leader_epoch = leader_epoch;
	o->metadata = sm_strdup(metadata ? metadata : "");
	o->commit_ts = commit_ts;
	o->expire_ts = expire_ts;
	o->write_seq = 0;
	return o;
}

int sm_group_offset_remove(sm_group_t *g, const char *topic, int32_t partition)
{
	sm_group_offset_t *o = sm_group_offset_find(g, topic, partition);
	if (!o)
		return 0;
	free(o->topic);
	free(o->metadata);
	*o = g->offsets[--g->n_offsets];
	return 1;
}

static sm_group_pending_commit_t *sm_group_pending_find(const sm_group_t *g, const char *topic,
							int32_t partition)
{
	for (int i = 0; i < g->n_pending; i++)
		if (g->pending[i].partition == partition && !strcmp(g->pending[i].topic, topic))
			return &g->pending[i];
	return NULL;
}

void sm_group_pending_add(sm_group_t *g, const char *topic, int32_t partition, uint64_t write_seq)
{
	sm_group_pending_commit_t *pc = sm_group_pending_find(g, topic, partition);
	if (!pc) {
		if (g->n_pending == g->cap_pending) {
			g->cap_pending = g->cap_pending ? g->cap_pending * 2 : 8;
			g->pending = sm_realloc(g->pending, (size_t)g->cap_pending * sizeof(*g->pending));
		}
		pc = &g->pending[g->n_pending++];
		pc->topic = sm_strdup(topic);
		pc->partition = partition;
	}
	pc->write_seq = write_seq;
}

uint64_t sm_group_pending_seq(const sm_group_t *g, const char *topic, int32_t partition)
{
	const sm_group_pending_commit_t *pc = sm_group_pending_find(g, topic, partition);
	return pc ? pc->write_seq : 0;
}

void sm_group_pending_remove(sm_group_t *g, const char *topic, int32_t partition)
{
	sm_group_pending_commit_t *pc = sm_group_pending_find(g, topic, partition);
	if (!pc)
		return;
	free(pc->topic);
	*pc = g->pending[--g->n_pending];
}

/* ---- transactional offsets ---- */

sm_group_txn_offset_t *sm_group_txn_find(sm_group_t *g, int64_t pid, const char *topic,
					 int32_t partition)
{
	for (int i = 0; i < g->n_txn; i++)
		if (g->txn[i].pid == pid && g->txn[i].o.partition == partition &&
		    !strcmp(g->txn[i].o.topic, topic))
			return &g->txn[i];
	return NULL;
}

sm_group_txn_offset_t *sm_group_txn_put(sm_group_t *g, int64_t pid, const char *topic,
					int32_t partition, int64_t offset, int32_t leader_epoch,
					const char *metadata, int64_t commit_ts, int64_t expire_ts,
					uint64_t write_seq)
{
	sm_group_txn_offset_t *t = sm_group_txn_find(g, pid, topic, partition);
	if (!t) {
		if (g->n_txn == g->cap_txn) {
			g->cap_txn = g->cap_txn ? g->cap_txn * 2 : 8;
			g->txn = sm_realloc(g->txn, (size_t)g->cap_txn * sizeof(*g->txn));
		}
		t = &g->txn[g->n_txn++];
		t->pid = pid;
		t->o.topic = sm_strdup(topic);
		t->o.partition = partition;
	} else {
		free(t->o.metadata);
	}
	t->o.offset = offset;
	t->o.leader_epoch = leader_epoch;
	t->o.metadata = sm_strdup(metadata ? metadata : "");
	t->o.commit_ts = commit_ts;
	t->o.expire_ts = expire_ts;
	t->o.write_seq = write_seq;
	t->appended = 0;
	return t;
}

static void sm_group_txn_drop(sm_group_t *g, sm_group_txn_offset_t *t)
{
	free(t->o.topic);
	free(t->o.metadata);
	*t = g->txn[--g->n_txn];
}

void sm_group_txn_remove(sm_group_t *g, int64_t pid, const char *topic, int32_t partition)
{
	sm_group_txn_offset_t *t = sm_group_txn_find(g, pid, topic, partition);
	if (t)
		sm_group_txn_drop(g, t);
}

int sm_group_txn_pending_tp(const sm_group_t *g, const char *topic, int32_t partition)
{
	for (int i = 0; i < g->n_txn; i++)
		if (g->txn[i].o.partition == partition && !strcmp(g->txn[i].o.topic, topic))
			return 1;
	return 0;
}

void sm_group_txn_remove_tp(sm_group_t *g, const char *topic, int32_t partition)
{
	for (int i = 0; i < g->n_txn;) {
		if (g->txn[i].o.partition == partition && !strcmp(g->txn[i].o.topic, topic))
			sm_group_txn_drop(g, &g->txn[i]);
		else
			i++;
	}
}

int sm_group_txn_complete(sm_group_t *g, int64_t pid, int commit)
{
	int n = 0;
	for (int i = 0; i < g->n_txn;) {
		sm_group_txn_offset_t *t = &g->txn[i];
		if (t->pid != pid) {
			i++;
			continue;
		}
		n++;
		/* An offset whose own write has not ended cannot be part of
		 * a committed transaction (the producer waits for its answer
		 * before ending the transaction): it is dropped. */
		if (commit && t->appended) {
			sm_group_offset_t *o = sm_group_offset_find(g, t->o.topic, t->o.partition);
			if (!o || o->write_seq < t->o.write_seq) {
				o = sm_group_offset_put(g, t->o.topic, t->o.partition, t->o.offset,
							t->o.leader_epoch, t->o.metadata,
							t->o.commit_ts, t->o.expire_ts);
				o->write_seq = t->o.write_seq;
			}
		}
		sm_group_txn_drop(g, t);
	}
	return n;
}
