/*
 * controller_batch.c - the requests one controller event produces (Kafka's
 * ControllerBrokerRequestBatch): LeaderAndIsr per replica broker, StopReplica
 * per broker and one UpdateMetadata for every live broker, collected while
 * the event runs and sent together at its end through the controller
 * channel, at the versions inter.broker.protocol.version 2.8-IV1 uses.
 *
 * Thread-safety: controller event thread only (response callbacks run on the
 * channel's sender threads and only enqueue events or log).
 */
#include "controller_int.h"

#include <stdlib.h>
#include <string.h>

#include "logger.h"
#include "thread_role.h"

#define SM_GROW(arr, n, cap)                                                   \
	do {                                                                   \
		if ((n) == (cap)) {                                            \
			(cap) = (cap) ? (cap) * 2 : 16;                        \
			(arr) = sm_realloc((arr), sizeof(*(arr)) * (size_t)(cap)); \
		}                                                              \
	} while (0)

static unsigned sm_ctrl_batch_hash(int32_t broker, const sm_ctrl_topic_t *t, int32_t partition)
{
	uint64_t h = (uint64_t)(uintptr_t)t * 0x9E3779B97F4A7C15ull;
	h ^= (uint64_t)(uint32_t)partition * 0xC2B2AE3D27D4EB4Full;
	h ^= (uint64_t)(uint32_t)broker * 0x165667B19E3779F9ull;
	return (unsigned)(h ^ (h >> 29));
}

/* Rebuilds the index of the first n entries of b->lai (lai set) or b->um,
 * with room for at least twice as many. */
static void sm_ctrl_batch_reindex(int **idx, int *cap, int n, const sm_ctrl_batch_t *b, int lai)
{
	int nc = *cap ? *cap : 64;
	while (nc < 2 * (n + 1))
		nc *= 2;
	free(*idx);
	*idx = sm_calloc((size_t)nc, sizeof(int));
	*cap = nc;
	for (int i = 0; i < n; i++) {
		unsigned h = lai ? sm_ctrl_batch_hash(b->lai[i].broker, b->lai[i].topic, b->lai[i].partition)
				 : sm_ctrl_batch_hash(-1, b->um[i].topic, b->um[i].partition);
		unsigned m = (unsigned)nc - 1;
		while ((*idx)[h & m])
			h++;
		(*idx)[h & m] = i + 1;
	}
}

void sm_ctrl_batch_lai(sm_controller_t *c, int32_t broker, sm_ctrl_topic_t *t, int32_t partition,
		       int is_new)
{
	sm_ctrl_batch_t *b = &c->batch;
	if (2 * (b->n_lai + 1) > b->lai_idx_cap)
		sm_ctrl_batch_reindex(&b->lai_idx, &b->lai_idx_cap, b->n_lai, b, 1);
	unsigned m = (unsigned)b->lai_idx_cap - 1;
	unsigned h = sm_ctrl_batch_hash(broker, t, partition);
	for (; b->lai_idx[h & m]; h++) {
		sm_ctrl_lai_entry_t *e = &b->lai[b->lai_idx[h & m] - 1];
		if (e->broker == broker && e->topic == t && e->partition == partition) {
			e->is_new |= is_new;
			return;
		}
	}
	SM_GROW(b->lai, b->n_lai, b->cap_lai);
	b->lai[b->n_lai++] = (sm_ctrl_lai_entry_t){ broker, t, partition, is_new };
	b->lai_idx[h & m] = b->n_lai;
}

void sm_ctrl_batch_lai_all_replicas(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p,
				    int is_new)
{
	for (int i = 0; i < p->n_replicas; i++)
		if (sm_ctrl_replica_online(c, t->name, p->id, p->replicas[i]))
			sm_ctrl_batch_lai(c, p->replicas[i], t, p->id, is_new);
}

void sm_ctrl_batch_sr(sm_controller_t *c, int32_t broker, const char *topic, int32_t partition,
		      int delete)
{
	sm_ctrl_batch_t *b = &c->batch;
	SM_GROW(b->sr, b->n_sr, b->cap_sr);
	b->sr[b->n_sr++] = (sm_ctrl_sr_entry_t){ broker, sm_strdup(topic), partition, delete };
}

void sm_ctrl_batch_um_partition(sm_controller_t *c, sm_ctrl_topic_t *t, int32_t partition,
				int deleting)
{
	sm_ctrl_batch_t *b = &c->batch;
	b->um_wanted = 1;
	if (2 * (b->n_um + 1) > b->um_idx_cap)
		sm_ctrl_batch_reindex(&b->um_idx, &b->um_idx_cap, b->n_um, b, 0);
	unsigned m = (unsigned)b->um_idx_cap - 1;
	unsigned h = sm_ctrl_batch_hash(-1, t, partition);
	for (; b->um_idx[h & m]; h++) {
		int i = b->um_idx[h & m] - 1;
		if (b->um[i].topic == t && b->um[i].partition == partition) {
			b->um[i].deleting |= deleting;
			return;
		}
	}
	SM_GROW(b->um, b->n_um, b->cap_um);
	b->um[b->n_um].topic = t;
	b->um[b->n_um].partition = partition;
	b->um[b->n_um].deleting = deleting;
	b->n_um++;
	b->um_idx[h & m] = b->n_um;
}

void sm_ctrl_batch_um_all(sm_controller_t *c)
{
	c->batch.um_wanted = 1;
	c->batch.um_all = 1;
}

void sm_ctrl_batch_clear(sm_ctrl_batch_t *b)
{
	for (int i = 0; i < b->n_sr; i++)
		free(b->sr[i].topic);
	if (b->n_lai)
		memset(b->lai_idx, 0, sizeof(int) * (size_t)b->lai_idx_cap);
	if (b->n_um)
		memset(b->um_idx, 0, sizeof(int) * (size_t)b->um_idx_cap);
	b->n_lai = b->n_sr = b->n_um = 0;
	b->um_all = b->um_wanted = 0;
}

static const sm_zk_endpoint_t *sm_ctrl_endpoint(sm_controller_t *c, const sm_ctrl_broker_t *br)
{
	for (int i = 0; i < br->info.n_endpoints; i++)
		if (!strcmp(br->info.endpoints[i].listener, c->listener))
			return &br->info.endpoints[i];
	return br->info.n_endpoints > 0 ? &br->info.endpoints[0] : NULL;
}

static int16_t sm_ctrl_protocol_id(const char *p)
{
	if (!p || !strcmp(p, "PLAINTEXT"))
		return 0;
	if (!strcmp(p, "SSL"))
		return 1;
	if (!strcmp(p, "SASL_PLAINTEXT"))
		return 2;
	if (!strcmp(p, "SASL_SSL"))
		return 3;
	return 0;
}

/* The response's partition errors, out of its arena, for the event: by
 * topic name up to v4, by topic id (topic NULL) from v5. */
static sm_ctrl_lai_result_t *sm_ctrl_lai_results_copy(const sm_leader_and_isr_resp_t *r, int16_t ver,
						      int *n)
{
	int32_t total = r->partition_errors_cnt;
	for (int32_t t = 0; ver >= 5 && t < r->topics_cnt; t++)
		total += r->topics[t].partition_errors_cnt;
	sm_ctrl_lai_result_t *v = sm_calloc((size_t)total + 1, sizeof(*v));
	*n = 0;
	for (int32_t i = 0; ver < 5 && i < r->partition_errors_cnt; i++) {
		const sm_leader_and_isr_resp_partition_error_t *pe = &r->partition_errors[i];
		v[*n].topic = pe->topic_name ? sm_strdup(pe->topic_name) : NULL;
		v[*n].partition = pe->partition_index;
		v[(*n)++].error = pe->error_code;
	}
	for (int32_t t = 0; ver >= 5 && t < r->topics_cnt; t++)
		for (int32_t i = 0; i < r->topics[t].partition_errors_cnt; i++) {
			const sm_leader_and_isr_resp_partition_error_t *pe = &r->topics[t].partition_errors[i];
			memcpy(v[*n].topic_id, r->topics[t].topic_id, 16);
			v[*n].partition = pe->partition_index;
			v[(*n)++].error = pe->error_code;
		}
	return v;
}

static void sm_ctrl_on_response(void *opaque, int32_t broker_id, int16_t api_key,
				int16_t api_version, sm_err_t err, const uint8_t *resp, size_t len)
{
	sm_controller_t *c = opaque;
	if (err) {
		sm_log(SM_LOGFILE_CONTROLLER, SM_LOG_WARN, NULL, "kafka.controller.RequestSendThread",
		       "Request (api key %d) to broker %d failed: %s", api_key, broker_id, sm_err_name(err));
		return;
	}
	sm_arena_t a;
	sm_arena_init(&a);
	sm_rbuf_t rb;
	sm_rbuf_init(&rb, resp, len);
	if (api_key == SM_API_STOP_REPLICA) {
		sm_stop_replica_resp_t r;
		if (sm_stop_replica_resp_read(&rb, api_version, &a, &r) == 0)
			for (int i = 0; i < r.partition_errors_cnt; i++) {
				const sm_stop_replica_resp_partition_error_t *pe = &r.partition_errors[i];
				sm_ctrl_enqueue_stop_replica_result(c, broker_id, pe->topic_name,
								    pe->partition_index,
								    r.error_code ? r.error_code : pe->error_code);
			}
	} else if (api_key == SM_API_LEADER_AND_ISR) {
		sm_leader_and_isr_resp_t r;
		if (sm_leader_and_isr_resp_read(&rb, api_version, &a, &r) == 0) {
			if (r.error_code)
				sm_log(SM_LOGFILE_CONTROLLER, SM_LOG_WARN, NULL, "kafka.controller.KafkaController",
				       "LeaderAndIsr to broker %d answered %s", broker_id, sm_err_name(r.error_code));
			int n;
			sm_ctrl_lai_result_t *res = sm_ctrl_lai_results_copy(&r, api_version, &n);
			sm_ctrl_enqueue_lai_response(c, broker_id, r.error_code, res, n);
		}
	}
	sm_arena_destroy(&a);
}

static void sm_ctrl_fill_lai_partition(sm_leader_and_isr_req_partition_state_t *o,
				       const sm_ctrl_topic_t *t, const sm_ctrl_partition_t *p, int is_new)
{
	sm_leader_and_isr_req_partition_state_init(o);
	o->topic_name = t->name;
	o->partition_index = p->id;
	o->controller_epoch = p->st.controller_epoch;
	o->leader = p->st.leader;
	o->leader_epoch = p->st.leader_epoch;
	o->isr = p->st.isr;
	o->isr_cnt = p->st.n_isr;
	o->partition_epoch = p->st.zk_version;
	o->replicas = p->replicas;
	o->replicas_cnt = p->n_replicas;
	o->is_new = is_new;
}

static void sm_ctrl_send_lai(sm_controller_t *c, int32_t broker)
{
	sm_ctrl_batch_t *b = &c->batch;
	sm_ctrl_broker_t *br = sm_ctrl_broker(c, broker);
	if (!br)
		return;
	sm_arena_t a;
	sm_arena_init(&a);
	sm_leader_and_isr_req_t req;
	sm_leader_and_isr_req_init(&req);
	req.controller_id = c->broker_id;
	req.controller_epoch = c->ctx.epoch;
	req.broker_epoch = br->epoch;
	req.type = SM_LEADER_AND_ISR_TYPE_INCREMENTAL;
	sm_leader_and_isr_req_partition_state_t *ps =
		sm_arena_alloc(&a, sizeof(*ps) * (size_t)(b->n_lai + 1));
	int32_t np = 0;
	sm_msg_topic_id_t *ids = sm_arena_alloc(&a, sizeof(*ids) * (size_t)(b->n_lai + 1));
	int32_t nids = 0;
	req.live_leaders = sm_arena_alloc(&a, sizeof(*req.live_leaders) * (size_t)(b->n_lai + 1));
	for (int i = 0; i < b->n_lai; i++) {
		sm_ctrl_lai_entry_t *e = &b->lai[i];
		if (e->broker != broker || e->partition >= e->topic->n_partitions)
			continue;
		sm_ctrl_partition_t *p = &e->topic->partitions[e->partition];
		if (!p->has_state)
			continue;
		sm_ctrl_fill_lai_partition(&ps[np++], e->topic, p, e->is_new);
		int seen = 0;
		for (int k = 0; k < nids; k++)
			seen |= !strcmp(ids[k].topic, e->topic->name);
		if (!seen) {
			ids[nids].topic = e->topic->name;
			memcpy(ids[nids].id, e->topic->id, 16);
			nids++;
		}
		seen = 0;
		for (int k = 0; k < req.live_leaders_cnt; k++)
			seen |= req.live_leaders[k].broker_id == p->st.leader;
		sm_ctrl_broker_t *lb = sm_ctrl_broker(c, p->st.leader);
		const sm_zk_endpoint_t *ep = lb ? sm_ctrl_endpoint(c, lb) : NULL;
		if (!seen && ep) {
			sm_leader_and_isr_req_live_leader_t *ll = &req.live_leaders[req.live_leaders_cnt++];
			sm_leader_and_isr_req_live_leader_init(ll);
			ll->broker_id = lb->id;
			ll->host_name = ep->host;
			ll->port = ep->port;
		}
	}
	if (np > 0) {
		req.ungrouped_partition_states = ps;
		req.ungrouped_partition_states_cnt = np;
		sm_leader_and_isr_nest(&req, SM_CTRL_LAI_VERSION, ids, nids, &a);
		sm_wbuf_t w; /* its contents move into the channel's queue */
		sm_wbuf_init(&w, 1024);
		sm_leader_and_isr_req_write(&w, SM_CTRL_LAI_VERSION, &req);
		sm_controller_channel_send(c->channel, broker, SM_API_LEADER_AND_ISR, SM_CTRL_LAI_VERSION,
					   &w, sm_ctrl_on_response, c);
		sm_ctrl_state_log(c, "Sending LeaderAndIsr request with %d partitions to broker %d",
				  np, broker);
	}
	sm_arena_destroy(&a);
}

static void sm_ctrl_fill_um_partition(sm_controller_t *c, sm_arena_t *a,
				      sm_update_metadata_req_partition_state_t *o, const sm_ctrl_topic_t *t,
				      const sm_ctrl_partition_t *p, int deleting)
{
	sm_update_metadata_req_partition_state_init(o);
	o->topic_name = t->name;
	o->partition_index = p->id;
	o->controller_epoch = p->st.controller_epoch;
	o->leader = deleting ? -2 : p->st.leader;
	o->leader_epoch = p->st.leader_epoch;
	o->isr = p->st.isr;
	o->isr_cnt = p->st.n_isr;
	o->zk_version = p->st.zk_version;
	o->replicas = p->replicas;
	o->replicas_cnt = p->n_replicas;
	o->offline_replicas = sm_arena_alloc(a, sizeof(int32_t) * (size_t)(p->n_replicas + 1));
	for (int i = 0; i < p->n_replicas; i++)
		if (!sm_ctrl_replica_online(c, t->name, p->id, p->replicas[i]))
			o->offline_replicas[o->offline_replicas_cnt++] = p->replicas[i];
}

static void sm_ctrl_um_brokers(sm_controller_t *c, sm_arena_t *a, sm_update_metadata_req_t *req)
{
	req->live_brokers = sm_arena_alloc(a, sizeof(*req->live_brokers) * (size_t)(c->ctx.n_brokers + 1));
	req->live_brokers_cnt = c->ctx.n_brokers;
	for (int i = 0; i < c->ctx.n_brokers; i++) {
		sm_ctrl_broker_t *br = &c->ctx.brokers[i];
		sm_update_metadata_req_live_broker_t *o = &req->live_brokers[i];
		sm_update_metadata_req_live_broker_init(o);
		o->id = br->id;
		o->rack = br->info.rack;
		o->endpoints_cnt = br->info.n_endpoints;
		o->endpoints = sm_arena_alloc(a, sizeof(*o->endpoints) * (size_t)(br->info.n_endpoints + 1));
		for (int e = 0; e < br->info.n_endpoints; e++) {
			o->endpoints[e].host = br->info.endpoints[e].host;
			o->endpoints[e].port = br->info.endpoints[e].port;
			o->endpoints[e].listener = br->info.endpoints[e].listener;
			o->endpoints[e].security_protocol =
				sm_ctrl_protocol_id(br->info.endpoints[e].security_protocol);
		}
	}
}

/* Topic ids of the partitions sent, one per topic (ids, n: the table). */
typedef struct sm_ctrl_topic_ids {
	sm_msg_topic_id_t *ids;
	int32_t n;
	int32_t cap;
} sm_ctrl_topic_ids_t;

static void sm_ctrl_add_topic_id(sm_arena_t *a, sm_ctrl_topic_ids_t *tab, const sm_ctrl_topic_t *t)
{
	for (int k = 0; k < tab->n; k++)
		if (!strcmp(tab->ids[k].topic, t->name))
			return;
	if (tab->n == tab->cap) {
		int32_t ncap = tab->cap ? tab->cap * 2 : 16;
		sm_msg_topic_id_t *n = sm_arena_alloc(a, sizeof(*n) * (size_t)ncap);
		if (tab->n)
			memcpy(n, tab->ids, sizeof(*n) * (size_t)tab->n);
		tab->ids = n;
		tab->cap = ncap;
	}
	tab->ids[tab->n].topic = t->name;
	memcpy(tab->ids[tab->n].id, t->id, 16);
	tab->n++;
}

static void sm_ctrl_send_um(sm_controller_t *c)
{
	sm_ctrl_batch_t *b = &c->batch;
	sm_arena_t a;
	sm_arena_init(&a);
	sm_update_metadata_req_t req;
	sm_update_metadata_req_init(&req);
	req.controller_id = c->broker_id;
	req.controller_epoch = c->ctx.epoch;
	int total = 0;
	for (int i = 0; i < c->ctx.n_topics; i++)
		total += c->ctx.topics[i]->n_partitions;
	int n = b->um_all ? total : b->n_um;
	req.ungrouped_partition_states =
		sm_arena_alloc(&a, sizeof(*req.ungrouped_partition_states) * (size_t)(n + 1));
	sm_update_metadata_req_partition_state_t *ps = req.ungrouped_partition_states;
	int32_t *np = &req.ungrouped_partition_states_cnt;
	sm_ctrl_topic_ids_t ids = { NULL, 0, 0 };
	if (b->um_all) {
		for (int i = 0; i < c->ctx.n_topics; i++) {
			sm_ctrl_topic_t *t = c->ctx.topics[i];
			for (int j = 0; j < t->n_partitions; j++)
				if (t->partitions[j].has_state) {
					sm_ctrl_fill_um_partition(c, &a, &ps[(*np)++], t, &t->partitions[j],
								  t->deleting);
					sm_ctrl_add_topic_id(&a, &ids, t);
				}
		}
	} else {
		for (int i = 0; i < b->n_um; i++) {
			sm_ctrl_topic_t *t = b->um[i].topic;
			if (b->um[i].partition >= t->n_partitions || !t->partitions[b->um[i].partition].has_state)
				continue;
			sm_ctrl_fill_um_partition(c, &a, &ps[(*np)++], t,
						  &t->partitions[b->um[i].partition], b->um[i].deleting);
			sm_ctrl_add_topic_id(&a, &ids, t);
		}
	}
	sm_ctrl_um_brokers(c, &a, &req);
	sm_update_metadata_nest(&req, SM_CTRL_UM_VERSION, ids.ids, ids.n, &a);
	for (int i = 0; i < c->ctx.n_brokers; i++) {
		req.broker_epoch = c->ctx.brokers[i].epoch;
		sm_wbuf_t w; /* its contents move into the channel's queue */
		sm_wbuf_init(&w, 1024);
		sm_update_metadata_req_write(&w, SM_CTRL_UM_VERSION, &req);
		sm_controller_channel_send(c->channel, c->ctx.brokers[i].id, SM_API_UPDATE_METADATA,
					   SM_CTRL_UM_VERSION, &w, sm_ctrl_on_response, c);
	}
	sm_arena_destroy(&a);
}

static void sm_ctrl_send_sr(sm_controller_t *c, int32_t broker)
{
	sm_ctrl_batch_t *b = &c->batch;
	sm_ctrl_broker_t *br = sm_ctrl_broker(c, broker);
	if (!br)
		return;
	sm_arena_t a;
	sm_arena_init(&a);
	sm_stop_replica_req_t req;
	sm_stop_replica_req_init(&req);
	req.controller_id = c->broker_id;
	req.controller_epoch = c->ctx.epoch;
	req.broker_epoch = br->epoch;
	sm_stop_replica_partition_t *parts = sm_arena_alloc(&a, sizeof(*parts) * (size_t)(b->n_sr + 1));
	int32_t n = 0;
	for (int i = 0; i < b->n_sr; i++) {
		if (b->sr[i].broker != broker)
			continue;
		sm_stop_replica_partition_t *o = &parts[n++];
		o->topic = b->sr[i].topic;
		o->partition = b->sr[i].partition;
		o->delete_partition = b->sr[i].delete;
		sm_ctrl_topic_t *t = sm_ctrl_topic(c, b->sr[i].topic);
		/* EpochDuringDelete (-2) lets the broker drop the replica
		 * whatever leader epoch it last saw. */
		o->leader_epoch = b->sr[i].delete ? -2
			: (t && o->partition < t->n_partitions ? t->partitions[o->partition].st.leader_epoch : -1);
	}
	sm_stop_replica_nest(&req, SM_CTRL_SR_VERSION, parts, n, &a);
	sm_wbuf_t w; /* its contents move into the channel's queue */
	sm_wbuf_init(&w, 512);
	sm_stop_replica_req_write(&w, SM_CTRL_SR_VERSION, &req);
	sm_controller_channel_send(c->channel, broker, SM_API_STOP_REPLICA, SM_CTRL_SR_VERSION, &w,
				   sm_ctrl_on_response, c);
	sm_arena_destroy(&a);
}

void sm_ctrl_batch_send(sm_controller_t *c)
{
	SM_ASSERT_ROLE(SM_ROLE_CONTROLLER);
	sm_ctrl_batch_t *b = &c->batch;
	if (!c->active || !c->channel) {
		sm_ctrl_batch_clear(b);
		return;
	}
	/* LeaderAndIsr first, so a broker knows its partitions before
	 * clients are told about them through UpdateMetadata. */
	for (int i = 0; i < c->ctx.n_brokers; i++) {
		int32_t id = c->ctx.brokers[i].id;
		int has_lai = 0, has_sr = 0;
		for (int k = 0; k < b->n_lai && !has_lai; k++)
			has_lai = b->lai[k].broker == id;
		for (int k = 0; k < b->n_sr && !has_sr; k++)
			has_sr = b->sr[k].broker == id;
		if (has_lai)
			sm_ctrl_send_lai(c, id);
		if (has_sr)
			sm_ctrl_send_sr(c, id);
	}
	if (b->um_wanted)
		sm_ctrl_send_um(c);
	sm_ctrl_batch_clear(b);
}
