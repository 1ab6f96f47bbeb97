/*
 * group_metadata.h - one consumer group's in-memory state (Kafka's
 * GroupMetadata and MemberMetadata): its members and their offered
 * protocols, the generation, the chosen protocol and leader, the
 * committed offsets and those of open transactions (per producer id). Also
 * the group state names and protocol selection.
 *
 * Thread-safety: none. A group belongs to the group coordinator, which
 * touches it only under its lock.
 */
#ifndef SM_GROUP_METADATA_H
#define SM_GROUP_METADATA_H

#include <stdint.h>

#include "err.h"
#include "gc_timer.h"

/* Kinds of the coordinator's timers embedded in groups and members. */
enum { SM_GROUP_TIMER_MEMBER = 1, SM_GROUP_TIMER_REBALANCE, SM_GROUP_TIMER_PENDING };

typedef enum sm_group_state {
	SM_GROUP_EMPTY = 0,
	SM_GROUP_PREPARING_REBALANCE,
	SM_GROUP_COMPLETING_REBALANCE,
	SM_GROUP_STABLE,
	SM_GROUP_DEAD,
	SM_GROUP_STATE_CNT
} sm_group_state_t;

/* One protocol a member offers (JoinGroup's protocols[]). */
typedef struct sm_group_protocol {
	char *name;
	uint8_t *metadata;
	int32_t metadata_len;
} sm_group_protocol_t;

/* Completion hooks of parked JoinGroup/SyncGroup requests; the result
 * types are defined in group_coordinator.h. */
typedef struct sm_gc_join_result sm_gc_join_result_t;
typedef struct sm_gc_sync_result sm_gc_sync_result_t;
typedef void (sm_gc_join_cb_t)(void *opaque, const sm_gc_join_result_t *res);
typedef void (sm_gc_sync_cb_t)(void *opaque, const sm_gc_sync_result_t *res);

typedef struct sm_group_member {
	char *member_id;
	char *group_instance_id; /* NULL unless static (KIP-345) */
	char *client_id;
	char *client_host;
	int32_t session_timeout_ms;
	int32_t rebalance_timeout_ms;
	int n_protocols;
	sm_group_protocol_t *protocols;
	uint8_t *assignment;
	int32_t assignment_len;
	int64_t last_heartbeat_ms; /* monotonic */
	sm_gc_join_cb_t *join_cb;   /* non-NULL while a JoinGroup is parked */
	void *join_opaque;
	sm_gc_sync_cb_t *sync_cb;   /* non-NULL while a SyncGroup is parked */
	void *sync_opaque;
	int is_new;                 /* joined during the current rebalance */
	sm_gc_timer_t hb_timer;     /* session deadline (the coordinator's heap) */
	struct sm_group_member *next;
} sm_group_member_t;

/* A committed offset (OffsetCommitValue). */
typedef struct sm_group_offset {
	char *topic;
	int32_t partition;
	int64_t offset;
	int32_t leader_epoch;
	char *metadata;
	int64_t commit_ts;
	int64_t expire_ts; /* -1: by offsets.retention.minutes */
	uint64_t write_seq; /* order of the coordinator write that stored it (0: loaded) */
} sm_group_offset_t;

/* An offset commit written to the log but not yet replicated to the ISR
 * (Kafka's pendingOffsetCommits): invisible to OffsetFetch until then. */
typedef struct sm_group_pending_commit {
	char *topic;
	int32_t partition;
	uint64_t write_seq; /* the latest write of this partition's offset */
} sm_group_pending_commit_t;

/* An offset committed inside a transaction (TxnOffsetCommit, Kafka's
 * pendingTransactionalOffsetCommits): kept per producer id, invisible to
 * OffsetFetch until the producer's COMMIT marker reaches the group's
 * __consumer_offsets partition, dropped at its ABORT. */
typedef struct sm_group_txn_offset {
	int64_t pid;
	sm_group_offset_t o; /* o.write_seq: order of its write in the log */
	int appended;        /* the write succeeded (Kafka's appendedBatchOffset) */
} sm_group_txn_offset_t;

typedef struct sm_group {
	char *group_id;
	uint64_t uid;               /* this incarnation, unique per coordinator */
	int32_t partition;          /* of __consumer_offsets */
	sm_group_state_t state;
	int64_t state_ts;           /* wall clock of the last state change */
	int32_t generation;
	char *protocol_type;        /* NULL when no members */
	char *protocol_name;        /* chosen protocol, NULL when none */
	char *leader_id;
	sm_group_member_t *members; /* insertion order */
	int n_members;
	/* Rebalance timing (monotonic ms). */
	int64_t rebalance_deadline;
	int64_t initial_delay_end;  /* > 0 while the initial delay runs */
	int64_t initial_delay_cap;
	int new_member_added;       /* during the initial delay */
	/* Committed offsets. */
	int n_offsets, cap_offsets;
	sm_group_offset_t *offsets;
	/* Offset commits awaiting replication. */
	int n_pending, cap_pending;
	sm_group_pending_commit_t *pending;
	/* Transactional offset commits awaiting their producer's marker. */
	int n_txn, cap_txn;
	sm_group_txn_offset_t *txn;
	sm_gc_timer_t rb_timer;     /* initial delay / rebalance deadline */
	struct sm_group *next;
} sm_group_t;

const char *sm_group_state_name(sm_group_state_t s);
/* Kafka's name back to the state, -1 if none. */
int sm_group_state_parse(const char *name);
/* Whether Kafka's GroupMetadata allows FROM -> TO (the table in
 * group_coordinator.c's header comment). */
int sm_group_can_transition(sm_group_state_t from, sm_group_state_t to);

sm_group_t *sm_group_new(const char *group_id, int32_t partition, int64_t now_ms);
void sm_group_destroy(sm_group_t *g);

sm_group_member_t *sm_group_member_new(const char *member_id, const char *instance_id,
				       const char *client_id, const char *client_host);
void sm_group_member_destroy(sm_group_member_t *m);
/* Replaces m's protocols with copies of the given ones. */
void sm_group_member_set_protocols(sm_group_member_t *m, const sm_group_protocol_t *p, int n);
void sm_group_member_set_assignment(sm_group_member_t *m, const uint8_t *a, int32_t len);
/* The metadata m offered for protocol name, NULL if it does not offer it. */
const sm_group_protocol_t *sm_group_member_protocol(const sm_group_member_t *m, const char *name);
/* 1 if m offers exactly these protocols with the same metadata. */
int sm_group_member_same_protocols(const sm_group_member_t *m, const sm_group_protocol_t *p, int n);

void sm_group_add_member(sm_group_t *g, sm_group_member_t *m);
/* Unlinks m (not freed); elects a new leader if it led. */
void sm_group_remove_member(sm_group_t *g, sm_group_member_t *m);
sm_group_member_t *sm_group_find_member(const sm_group_t *g, const char *member_id);
sm_group_member_t *sm_group_find_static(const sm_group_t *g, const char *instance_id);

/* Whether a member offering protocol_type and protocols may join: the type
 * must match the group's and some protocol must be offered by everyone. */
int sm_group_supports_protocols(const sm_group_t *g, const char *protocol_type,
				const sm_group_protocol_t *p, int n);
/* Kafka's vote: among the protocols every member offers, each member votes
 * for its most preferred; the most votes wins (ties: the first candidate in
 * the leader's order). NULL when there is no common protocol. */
const char *sm_group_select_protocol(const sm_group_t *g);

/* Offsets. */
sm_group_offset_t *sm_group_offset_find(sm_group_t *g, const char *topic, int32_t partition);
/* Inserts or replaces (copies strings; write_seq becomes 0); returns the
 * entry, valid until the next put or remove. */
sm_group_offset_t *sm_group_offset_put(sm_group_t *g, const char *topic, int32_t partition,
				       int64_t offset, int32_t leader_epoch, const char *metadata,
				       int64_t commit_ts, int64_t expire_ts);
/* Removes the entry; 1 if it existed. */
int sm_group_offset_remove(sm_group_t *g, const char *topic, int32_t partition);

/* Pending commits: records write_seq as the partition's latest pending
 * write; the write_seq pending for the partition (0: none); forgets it. */
void sm_group_pending_add(sm_group_t *g, const char *topic, int32_t partition, uint64_t write_seq);
uint64_t sm_group_pending_seq(const sm_group_t *g, const char *topic, int32_t partition);
void sm_group_pending_remove(sm_group_t *g, const char *topic, int32_t partition);

/* Transactional offsets. Put replaces the producer's entry for the
 * partition (strings copied, not appended yet); find/remove by producer and
 * partition; sm_group_txn_pending_tp says whether any producer has one for
 * the partition; sm_group_txn_remove_tp drops every producer's. */
sm_group_txn_offset_t *sm_group_txn_put(sm_group_t *g, int64_t pid, const char *topic,
					int32_t partition, int64_t offset, int32_t leader_epoch,
					const char *metadata, int64_t commit_ts, int64_t expire_ts,
					uint64_t write_seq);
sm_group_txn_offset_t *sm_group_txn_find(sm_group_t *g, int64_t pid, const char *topic,
					 int32_t partition);
void sm_group_txn_remove(sm_group_t *g, int64_t pid, const char *topic, int32_t partition);
int sm_group_txn_pending_tp(const sm_group_t *g, const char *topic, int32_t partition);
void sm_group_txn_remove_tp(sm_group_t *g, const char *topic, int32_t partition);
/* Kafka's completePendingTxnOffsetCommit: forgets every offset of pid;
 * with commit, each appended one replaces the committed offset unless that
 * one was written later (a larger write_seq). Returns how many of pid's
 * offsets there were. */
int sm_group_txn_complete(sm_group_t *g, int64_t pid, int commit);

#endif /* SM_GROUP_METADATA_H */
