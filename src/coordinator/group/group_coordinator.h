/*
 * group_coordinator.h - Kafka's GroupCoordinator: consumer group membership,
 * rebalances (JoinGroup/SyncGroup), heartbeats and session expiry,
 * LeaveGroup, and committed offsets, for the groups whose __consumer_offsets
 * partition this broker leads. Wire-independent: the api_group.c handlers
 * translate requests into these calls.
 *
 * JoinGroup, SyncGroup and OffsetCommit may park: their callback runs later,
 * from another request handler thread, the coordinator thread
 * ("group-coord") or the purgatory thread (when a write to
 * __consumer_offsets ends: SyncGroup and OffsetCommit are answered once
 * every ISR member has the write, as Kafka's acks=-1 appendForGroup),
 * exactly once per call, with the coordinator lock held (the callback must
 * only copy the result and queue a response).
 *
 * Thread-safety: all functions are thread-safe (one coordinator mutex).
 */
#ifndef SM_GROUP_COORDINATOR_H
#define SM_GROUP_COORDINATOR_H

#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "group_metadata.h"
#include "group_metadata_manager.h"

#define SM_GC_OFFSETS_TOPIC "__consumer_offsets"
/* Kafka's offset.metadata.max.bytes default. */
#define SM_GC_OFFSET_METADATA_MAX_BYTES 4096

typedef struct sm_group_coordinator sm_group_coordinator_t;

typedef struct sm_gc_config {
	int32_t broker_id;
	int32_t num_partitions;          /* offsets.topic.num.partitions */
	int32_t min_session_timeout_ms;  /* group.min.session.timeout.ms */
	int32_t max_session_timeout_ms;  /* group.max.session.timeout.ms */
	int32_t initial_rebalance_delay_ms;
	int32_t max_size;                /* group.max.size */
	int64_t offsets_retention_ms;    /* offsets.retention.minutes */
	int64_t retention_check_ms;      /* offsets.retention.check.interval.ms */
} sm_gc_config_t;

typedef int64_t (sm_gc_clock_t)(void);

/* gmm may be NULL: groups and offsets then live in memory only. */
sm_group_coordinator_t *sm_group_coordinator_new(const sm_gc_config_t *cfg,
						 sm_group_metadata_manager_t *gmm);
/* Starts the coordinator thread (timers, loading, expiry). */
void sm_group_coordinator_start(sm_group_coordinator_t *gc);
/* Stops the thread and answers every parked request with
 * NOT_COORDINATOR. Writes still waiting for the ISR end later (when the
 * purgatory is destroyed), which is safe until destroy. */
void sm_group_coordinator_shutdown(sm_group_coordinator_t *gc);
/* Every write must have ended: destroy the purgatory first. */
void sm_group_coordinator_destroy(sm_group_coordinator_t *gc);
/* Test seams: monotonic and wall clocks. */
void sm_group_coordinator_set_clock(sm_group_coordinator_t *gc, sm_gc_clock_t *mono,
				    sm_gc_clock_t *wall);
/* One round of the coordinator thread's work (loads, timers, expiry). */
void sm_group_coordinator_tick(sm_group_coordinator_t *gc);

/* Leadership of a __consumer_offsets partition (the replica manager's
 * listener signature). Becoming leader schedules loading. */
void sm_group_coordinator_on_leadership(void *gc, const char *topic, int32_t partition,
					int is_leader);
/* Loads synchronously (tests, and the thread). */
void sm_group_coordinator_load_now(sm_group_coordinator_t *gc, int32_t partition);

int32_t sm_group_coordinator_partition_for(const sm_group_coordinator_t *gc, const char *group_id);
/* NONE if this broker coordinates the group, else NOT_COORDINATOR or
 * COORDINATOR_LOAD_IN_PROGRESS. */
sm_err_t sm_group_coordinator_check(sm_group_coordinator_t *gc, const char *group_id);

/* ---- JoinGroup ---- */
typedef struct sm_gc_join_req {
	const char *group_id;
	const char *member_id;         /* "" for a new member */
	const char *group_instance_id; /* NULL unless static */
	const char *client_id;
	const char *client_host;
	int32_t session_timeout_ms;
	int32_t rebalance_timeout_ms;  /* -1: the session timeout */
	const char *protocol_type;
	const sm_group_protocol_t *protocols;
	int n_protocols;
	int require_known_member_id;   /* JoinGroup v4+ (KIP-394) */
} sm_gc_join_req_t;

typedef struct sm_gc_join_member {
	const char *member_id;
	const char *group_instance_id;
	const uint8_t *metadata;
	int32_t metadata_len;
} sm_gc_join_member_t;

struct sm_gc_join_result {
	sm_err_t error;
	int32_t generation_id;
	const char *protocol_type;
	const char *protocol_name;
	const char *leader;
	const char *member_id;
	int n_members;                 /* only the leader gets members */
	const sm_gc_join_member_t *members;
};

void sm_group_coordinator_join(sm_group_coordinator_t *gc, const sm_gc_join_req_t *req,
			       sm_gc_join_cb_t *cb, void *opaque);

/* ---- SyncGroup ---- */
typedef struct sm_gc_assignment {
	const char *member_id;
	const uint8_t *assignment;
	int32_t len;
} sm_gc_assignment_t;

typedef struct sm_gc_sync_req {
	const char *group_id;
	int32_t generation_id;
	const char *member_id;
	const char *group_instance_id;
	const char *protocol_type;     /* v5+, NULL if absent */
	const char *protocol_name;     /* v5+, NULL if absent */
	const sm_gc_assignment_t *assignments;
	int n_assignments;
} sm_gc_sync_req_t;

struct sm_gc_sync_result {
	sm_err_t error;
	const char *protocol_type;
	const char *protocol_name;
	const uint8_t *assignment;
	int32_t assignment_len;
};

void sm_group_coordinator_sync(sm_group_coordinator_t *gc, const sm_gc_sync_req_t *req,
			       sm_gc_sync_cb_t *cb, void *opaque);

/* ---- Heartbeat / LeaveGroup ---- */
sm_err_t sm_group_coordinator_heartbeat(sm_group_coordinator_t *gc, const char *group_id,
					const char *member_id, const char *group_instance_id,
					int32_t generation_id);

typedef struct sm_gc_leave_member {
	const char *member_id;
	const char *group_instance_id;
	sm_err_t error; /* out */
} sm_gc_leave_member_t;

/* Group-level error, else per-member errors in m[]. */
sm_err_t sm_group_coordinator_leave(sm_group_coordinator_t *gc, const char *group_id,
				    sm_gc_leave_member_t *m, int n);

/* ---- offsets ---- */
typedef struct sm_gc_offset {
	const char *topic;
	int32_t partition;
	int64_t offset;          /* fetch: -1 when none */
	int32_t leader_epoch;
	const char *metadata;    /* fetch: "" when none (arena or borrowed) */
	int64_t commit_ts;       /* commit: -1 = now */
	int64_t expire_ts;       /* commit: -1 = by retention */
	sm_err_t error;          /* out */
} sm_gc_offset_t;

/* error is the group-level error (also copied into every entry). */
typedef void (sm_gc_commit_cb_t)(void *opaque, sm_err_t error);

/* generation_id -1 with an empty member id is a simple (group-less)
 * commit. Fills e[].error and calls cb once the write ended (see the top);
 * e[] and its strings must stay valid until then. The offsets become
 * visible to OffsetFetch only once written to every ISR member. */
void sm_group_coordinator_commit_offsets(sm_group_coordinator_t *gc, const char *group_id,
					 int32_t generation_id, const char *member_id,
					 const char *group_instance_id, sm_gc_offset_t *e, int n,
					 sm_gc_commit_cb_t *cb, void *opaque);
/* TxnOffsetCommit (Kafka's handleTxnCommitOffsets): the checks of a
 * transactional commit (INVALID_GROUP_ID for an empty id, a member id
 * enforced when set, a generation when >= 0, static member fencing), then
 * the offsets are written as a transactional batch of the producer and
 * kept pending for it until sm_group_coordinator_txn_completion; with
 * producer_id -1 (Kafka's NO_PRODUCER_ID) they are a plain commit. Answers
 * as sm_group_coordinator_commit_offsets. */
void sm_group_coordinator_txn_commit_offsets(sm_group_coordinator_t *gc, const char *group_id,
					     int64_t producer_id, int16_t producer_epoch,
					     int32_t generation_id, const char *member_id,
					     const char *group_instance_id, sm_gc_offset_t *e, int n,
					     sm_gc_commit_cb_t *cb, void *opaque);
/* A COMMIT (commit != 0) or ABORT marker of producer_id was written to the
 * offsets partition (Kafka's scheduleHandleTxnCompletion): every group of
 * that partition commits or drops the producer's pending offsets. */
void sm_group_coordinator_txn_completion(sm_group_coordinator_t *gc, int32_t partition,
					 int64_t producer_id, int commit);
/* Fills offset/leader_epoch/metadata (copied into a) and error of e[]
 * (topic and partition given); with require_stable (OffsetFetch v7+) an
 * offset whose commit is still being written, or that an open transaction
 * committed, is UNSTABLE_OFFSET_COMMIT. */
sm_err_t sm_group_coordinator_fetch_offsets(sm_group_coordinator_t *gc, const char *group_id,
					    sm_gc_offset_t *e, int n, int require_stable, sm_arena_t *a);
/* Every committed offset of the group, in a (with require_stable, those
 * with a commit pending are UNSTABLE_OFFSET_COMMIT). */
sm_err_t sm_group_coordinator_fetch_all_offsets(sm_group_coordinator_t *gc, const char *group_id,
						int require_stable, sm_arena_t *a,
						sm_gc_offset_t **out, int *n);
/* OffsetDelete: fills e[].error. */
sm_err_t sm_group_coordinator_delete_offsets(sm_group_coordinator_t *gc, const char *group_id,
					     sm_gc_offset_t *e, int n);

/* ---- DescribeGroups / ListGroups / DeleteGroups ---- */
typedef struct sm_gc_member_desc {
	const char *member_id;
	const char *group_instance_id;
	const char *client_id;
	const char *client_host;
	const uint8_t *metadata;
	int32_t metadata_len;
	const uint8_t *assignment;
	int32_t assignment_len;
} sm_gc_member_desc_t;

typedef struct sm_gc_group_desc {
	sm_err_t error;
	const char *state;         /* "Dead" for an unknown group */
	const char *protocol_type;
	const char *protocol;
	int n_members;
	sm_gc_member_desc_t *members;
} sm_gc_group_desc_t;

/* Everything copied into a. */
void sm_group_coordinator_describe(sm_group_coordinator_t *gc, const char *group_id,
				   sm_arena_t *a, sm_gc_group_desc_t *out);

typedef struct sm_gc_group_listing {
	const char *group_id;
	const char *protocol_type;
	const char *state;
} sm_gc_group_listing_t;

/* Groups of loaded partitions whose state is in states[] (all if
 * n_states == 0); COORDINATOR_LOAD_IN_PROGRESS while a partition loads. */
sm_err_t sm_group_coordinator_list(sm_group_coordinator_t *gc, const char *const *states,
				   int n_states, sm_arena_t *a, sm_gc_group_listing_t **out, int *n);

/* GroupMetadataManager gauges: groups of loaded partitions, their committed
 * offsets, and groups by state (indexed Empty, PreparingRebalance,
 * CompletingRebalance, Stable, Dead). Takes the coordinator lock briefly. */
typedef struct sm_gc_metrics {
	int64_t groups;
	int64_t offsets;
	int64_t by_state[5];
} sm_gc_metrics_t;
void sm_group_coordinator_metrics(sm_group_coordinator_t *gc, sm_gc_metrics_t *out);

/* DeleteGroups for one group: NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND, ... */
sm_err_t sm_group_coordinator_delete_group(sm_group_coordinator_t *gc, const char *group_id);

#endif /* SM_GROUP_COORDINATOR_H */
