/*
 * replica_selector.c - preferred read replica selection (KIP-392); see
 * replica_selector.h.
 */
#include "replica_selector.h"

#include <string.h>

/* ReplicaView.comparator: 1 if a ranks above b. */
static int sm_replica_better(const sm_replica_view_t *a, const sm_replica_view_t *b)
{
	if (a->log_end_offset != b->log_end_offset)
		return a->log_end_offset > b->log_end_offset;
	if (a->time_since_caught_up_ms != b->time_since_caught_up_ms)
		return a->time_since_caught_up_ms < b->time_since_caught_up_ms;
	return a->id > b->id;
}

int32_t sm_replica_select(sm_replica_selector_t sel, const char *client_rack, int64_t fetch_offset,
			  const sm_replica_view_t *leader, const sm_replica_view_t *replicas, int n)
{
	if (sel != SM_REPLICA_SELECTOR_RACK_AWARE || !client_rack || !*client_rack)
		return -1;
	/* A leader without an endpoint has no rack to match (Node.noNode). */
	if (leader->alive && leader->rack && !strcmp(leader->rack, client_rack))
		return -1;
	const sm_replica_view_t *best = NULL;
	for (int i = 0; i < n; i++) {
		const sm_replica_view_t *r = &replicas[i];
		/* Only replicas holding the requested offset, whether in the
		 * ISR or not; a dead one has no endpoint and so no rack. An
		 * unknown log start offset (-1) does not exclude it, as in
		 * Kafka; an unknown log end offset does. */
		if (!r->alive || r->id == leader->id || r->log_end_offset < fetch_offset ||
		    r->log_start_offset > fetch_offset)
			continue;
		if (!r->rack || strcmp(r->rack, client_rack))
			continue;
		if (!best || sm_replica_better(r, best))
			best = r;
	}
	return best ? best->id : -1;
}
