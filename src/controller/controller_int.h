/*
 * controller_int.h - the controller's internals: its context (Kafka's
 * ControllerContext), the two state machines and the per-event request batch
 * (ControllerBrokerRequestBatch). Everything here is owned by the controller
 * event thread; nothing else may touch it.
 */
#ifndef SM_CONTROLLER_INT_H
#define SM_CONTROLLER_INT_H

#include <pthread.h>
#include <stdint.h>

#include "controller.h"
#include "clock.h"
#include "controller_channel.h"
#include "kafka_zk.h"
#include "msg_leader_and_isr.h"
#include "msg_interbroker.h"
#include "msg_stop_replica.h"
#include "msg_update_metadata.h"

#define SM_CTRL_LOGGER "kafka.controller.KafkaController"

/* A controller.log line with Kafka's "[Controller id=N]" component. */
#define CLOG(c, lvl, ...)                                                                     \
	do {                                                                                  \
		char comp_[48];                                                               \
		snprintf(comp_, sizeof(comp_), "Controller id=%d", (c)->broker_id);          \
		sm_log(SM_LOGFILE_CONTROLLER, lvl, comp_, SM_CTRL_LOGGER, __VA_ARGS__);      \
	} while (0)

/* Versions sent at inter.broker.protocol.version 2.8-IV1. */
#define SM_CTRL_LAI_VERSION 5
#define SM_CTRL_UM_VERSION 7
#define SM_CTRL_SR_VERSION 3

/* Partition states (PartitionStateMachine). */
typedef enum sm_psm_state {
	SM_PSM_NONEXISTENT,
	SM_PSM_NEW,
	SM_PSM_ONLINE,
	SM_PSM_OFFLINE,
	SM_PSM__CNT
} sm_psm_state_t;

/* Replica states (ReplicaStateMachine). */
typedef enum sm_rsm_state {
	SM_RSM_NONEXISTENT,
	SM_RSM_NEW,
	SM_RSM_ONLINE,
	SM_RSM_OFFLINE,
	SM_RSM_DELETION_STARTED,
	SM_RSM_DELETION_SUCCESSFUL,
	SM_RSM_DELETION_INELIGIBLE,
	SM_RSM__CNT
} sm_rsm_state_t;

typedef struct sm_ctrl_broker {
	int32_t id;
	int64_t epoch; /* czxid of /brokers/ids/<id> */
	sm_zk_broker_info_t info;
} sm_ctrl_broker_t;

typedef struct sm_ctrl_partition {
	int32_t id;
	int n_replicas;
	int32_t *replicas;         /* assignment order; first = preferred */
	sm_rsm_state_t *rstate;    /* per replica, aligned with replicas */
	int has_state;             /* the state znode exists */
	int init_done;             /* state created by sm_psm_prepare_new */
	sm_zk_partition_state_t st;/* leader, epochs, isr, zk_version */
	sm_psm_state_t pstate;
	/* Ongoing reassignment (KIP-455): replicas = target + removing. */
	int n_adding, n_removing;
	int32_t *adding, *removing;
	int zk_reassign;           /* started from /admin/reassign_partitions */
	int reassigning;           /* a reassignment started and not completed
				    * (one to the current replicas has no
				    * adding/removing and still completes) */
} sm_ctrl_partition_t;

typedef struct sm_ctrl_topic {
	char *name;
	uint8_t id[16];
	int n_partitions;
	sm_ctrl_partition_t *partitions;
	int deleting;              /* queued for deletion */
} sm_ctrl_topic_t;

/* A replica whose broker reported its log dir offline (KAFKA_STORAGE_ERROR
 * in a LeaderAndIsr response). */
typedef struct sm_ctrl_offline_replica {
	int32_t broker;
	char *topic;
	int32_t partition;
} sm_ctrl_offline_replica_t;

typedef struct sm_ctrl_ctx {
	int32_t epoch;
	int32_t epoch_zkv;
	int n_brokers;
	sm_ctrl_broker_t *brokers;
	int n_topics;
	sm_ctrl_topic_t **topics;
	/* Kafka's replicasOnOfflineDirs: kept until the broker fails or
	 * re-registers. */
	int n_offline, cap_offline;
	sm_ctrl_offline_replica_t *offline;
} sm_ctrl_ctx_t;

/* One partition's result in a LeaderAndIsr response, as queued for the
 * event thread: topic is the name (v0-4) or NULL with topic_id (v5). */
typedef struct sm_ctrl_lai_result {
	char *topic;
	uint8_t topic_id[16];
	int32_t partition;
	int16_t error;
} sm_ctrl_lai_result_t;

/* Requests collected while one event is processed, sent at its end. */
typedef struct sm_ctrl_lai_entry {
	int32_t broker;
	sm_ctrl_topic_t *topic;
	int32_t partition;
	int is_new;
} sm_ctrl_lai_entry_t;

typedef struct sm_ctrl_sr_entry {
	int32_t broker;
	char *topic;
	int32_t partition;
	int delete;
} sm_ctrl_sr_entry_t;

typedef struct sm_ctrl_batch {
	int n_lai, cap_lai;
	sm_ctrl_lai_entry_t *lai;
	int n_sr, cap_sr;
	sm_ctrl_sr_entry_t *sr;
	int um_all;                /* UpdateMetadata with every partition */
	int n_um, cap_um;          /* else: these partitions */
	struct { sm_ctrl_topic_t *topic; int32_t partition; int deleting; } *um;
	int um_wanted;             /* send UpdateMetadata at all */
	/* Open-addressing indexes (entry index + 1, 0 = free) of lai and um
	 * by their key, so queuing a partition does not compare it with
	 * every partition already queued (new topics queue thousands). */
	int *lai_idx, lai_idx_cap;
	int *um_idx, um_idx_cap;
} sm_ctrl_batch_t;

/* A request-handler call waiting for the event thread (ElectLeaders,
 * ControlledShutdown): shared by the caller and the event; the last of the
 * two to let go frees it, so a caller that timed out leaves safely. */
typedef struct sm_ctrl_sync {
	pthread_mutex_t m;
	pthread_cond_t cv;
	int done;
	int refs;
	/* input */
	int election_type;
	sm_zk_topic_partition_t *tps; /* NULL = every partition */
	int n_tps;
	int32_t **targets;            /* reassignment: per tps entry, NULL = cancel */
	int *n_targets;
	int32_t broker;
	int64_t broker_epoch;
	/* output */
	sm_err_t err;
	sm_ctrl_tp_result_t *res;
	int n_res, cap_res;
} sm_ctrl_sync_t;

struct sm_controller {
	const sm_kafka_config_t *cfg;   /* the start-up config */
	/* atomic: the effective broker config (static overlaid with the
	 * dynamic ones; each stays live while the broker runs), whose
	 * unclean.leader.election.enable a topic without an override takes */
	const sm_kafka_config_t *eff_cfg;
	int32_t broker_id;
	sm_zk_t *zk;
	char *listener;
	/* event queue */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct sm_ctrl_event *head, *tail;
	pthread_t thread;
	int thread_started;
	int stopping;
	/* readable from any thread */
	int active;               /* atomic */
	int32_t active_epoch;     /* atomic */
	/* KafkaController gauges, published by the event thread after each
	 * event (atomic; 0 when not active). */
	int64_t m_offline_partitions, m_topics, m_partitions, m_imbalance;
	/* ControllerStats: written by the event thread only, read by scrapes */
	int64_t m_elections, m_election_ms, m_unclean;
	/* event-thread state */
	int32_t active_controller_id;
	sm_ctrl_ctx_t ctx;
	sm_controller_channel_t *channel;
	sm_ctrl_batch_t batch;
	/* Partition-state writes queued while defer is set, sent pipelined
	 * by sm_psm_flush (failover and broker changes touch thousands). */
	int defer;
	int n_pw, cap_pw;
	struct sm_ctrl_pending_write *pw;
	int32_t *shutting_down;   /* brokers in controlled shutdown */
	int n_shutting_down;
	int64_t next_rebalance_ms; /* monotonic; 0 = none scheduled */
};

/* ---- context (controller.c) ---- */
sm_ctrl_broker_t *sm_ctrl_broker(sm_controller_t *c, int32_t id);
int sm_ctrl_broker_alive(sm_controller_t *c, int32_t id);
sm_ctrl_topic_t *sm_ctrl_topic(sm_controller_t *c, const char *name);
/* Kafka's isReplicaOnline: the broker is alive and the replica is not on
 * one of its offline log dirs. */
int sm_ctrl_replica_online(sm_controller_t *c, const char *topic, int32_t partition,
			   int32_t broker);
/* Called when a ZooKeeper write was fenced: resign. */
void sm_ctrl_fenced(sm_controller_t *c);

/* ---- partition state machine (partition_state_machine.c) ---- */
const char *sm_psm_state_name(sm_psm_state_t s);
/* Moves partition p to target, with the side effects of Kafka's
 * PartitionStateMachine (leader election and state znode writes for
 * -> Online). Illegal transitions are logged and refused (-1). */
int sm_psm_transition(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p,
		      sm_psm_state_t target);
/* Creates the state znodes of t's NewPartitions from index `from` on in
 * one pipelined batch (Kafka's initializeLeaderAndIsrForPartitions), so
 * that their New -> Online transitions that follow in the same event
 * write nothing more. */
void sm_psm_prepare_new(sm_controller_t *c, sm_ctrl_topic_t *t, int from);
/* triggerOnlinePartitionStateChange: every New/Offline partition -> Online. */
void sm_psm_trigger_online(sm_controller_t *c);
/* Removes broker from the ISR of p (OfflineReplica side effect): a leader
 * that leaves makes the leader -1; the last ISR member is kept. */
void sm_psm_remove_from_isr(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p,
			    int32_t broker);

/* Sends the queued partition-state writes together (pipelined) and
 * leaves defer mode; a write that lost its race re-reads the state. */
void sm_psm_flush(sm_controller_t *c);
/* Drops queued writes unsent (resignation); frees what they hold. */
void sm_psm_discard(sm_controller_t *c);

/* Online -> Online with a chosen leader and ISR (preferred, controlled
 * shutdown and reassignment elections): leader epoch + 1, fenced
 * conditional write, LeaderAndIsr to the replicas, UpdateMetadata. */
int sm_psm_move_leader(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p,
		       int32_t leader, const int32_t *isr, int n_isr, const char *why);

/* ---- replica state machine (replica_state_machine.c) ---- */
const char *sm_rsm_state_name(sm_rsm_state_t s);
int sm_rsm_transition(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p, int idx,
		      sm_rsm_state_t target);

/* ---- request batch (controller_batch.c) ---- */
void sm_ctrl_batch_lai(sm_controller_t *c, int32_t broker, sm_ctrl_topic_t *t, int32_t partition,
		       int is_new);
void sm_ctrl_batch_lai_all_replicas(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p,
				    int is_new);
void sm_ctrl_batch_sr(sm_controller_t *c, int32_t broker, const char *topic, int32_t partition,
		      int delete);
void sm_ctrl_batch_um_partition(sm_controller_t *c, sm_ctrl_topic_t *t, int32_t partition,
				int deleting);
void sm_ctrl_batch_um_all(sm_controller_t *c);
/* Sends everything collected (UpdateMetadata to every live broker). */
void sm_ctrl_batch_send(sm_controller_t *c);
void sm_ctrl_batch_clear(sm_ctrl_batch_t *b);

/* StopReplica(delete) completions feed topic deletion (controller.c). */
void sm_ctrl_enqueue_stop_replica_result(sm_controller_t *c, int32_t broker, const char *topic,
					 int32_t partition, int16_t error);

/* LeaderAndIsr response from broker (any thread): queues the event that
 * feeds sm_ctrl_on_lai_response. results (n entries) is consumed. */
void sm_ctrl_enqueue_lai_response(sm_controller_t *c, int32_t broker, int16_t error,
				  sm_ctrl_lai_result_t *results, int n);

/* ---- log dir failures (controller_log_dir.c) ---- */
/* LogDirEventNotification: reads and deletes the notifications (re-arming
 * the watch) and re-sends LeaderAndIsr for every replica of each live
 * broker named, so it reports which of them are offline. */
void sm_ctrl_on_log_dir_event(sm_controller_t *c);
/* LeaderAndIsrResponseReceived: replicas answered KAFKA_STORAGE_ERROR go
 * offline (onReplicasBecomeOffline); those answered NONE are online. */
void sm_ctrl_on_lai_response(sm_controller_t *c, int32_t broker, int16_t error,
			     const sm_ctrl_lai_result_t *results, int n);
/* Forgets the offline replicas of broker (it failed or re-registered). */
void sm_ctrl_offline_forget_broker(sm_controller_t *c, int32_t broker);
void sm_ctrl_offline_clear(sm_controller_t *c);
void sm_ctrl_lai_results_free(sm_ctrl_lai_result_t *results, int n);

/* ---- partition reassignment (controller_reassign.c) ---- */
/* Starts (or, target NULL, cancels) a reassignment of p. 0 or the Kafka
 * error with a static message. */
sm_err_t sm_ctrl_reassign(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p,
			  const int32_t *target, int n_target, int zk_triggered, const char **msg);
/* Completes p's reassignment once every target replica is in the ISR. */
void sm_ctrl_reassign_check(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p);
/* /admin/reassign_partitions: start what it lists, re-arm the watch. */
void sm_ctrl_on_reassign_znode(sm_controller_t *c);
/* After failover: resume reassignments found in the topic znodes. */
void sm_ctrl_reassign_resume(sm_controller_t *c);
/* Kafka's onBrokerStartup: restarts the reassignments whose target
 * replicas include one of the `n` brokers in `added`. */
void sm_ctrl_reassign_on_brokers_added(sm_controller_t *c, const int32_t *added, int n);
void sm_ctrl_do_alter_reassignments(sm_controller_t *c, sm_ctrl_sync_t *s);

/* ---- admin operations (controller_admin.c) ---- */
int sm_ctrl_broker_shutting_down(sm_controller_t *c, int32_t id);
void sm_ctrl_sync_add(sm_ctrl_sync_t *s, const char *topic, int32_t partition, int16_t error,
		      const char *message);
/* Marks s done (err unless already set) and drops the event's reference. */
void sm_ctrl_sync_finish(sm_ctrl_sync_t *s, sm_err_t err);
void sm_ctrl_do_elect_leaders(sm_controller_t *c, sm_ctrl_sync_t *s);
void sm_ctrl_do_controlled_shutdown(sm_controller_t *c, sm_ctrl_sync_t *s);
/* /admin/preferred_replica_election: run it, delete it, re-arm the watch. */
void sm_ctrl_on_preferred_znode(sm_controller_t *c);
/* auto.leader.rebalance.enable's periodic check. */
void sm_ctrl_auto_rebalance(sm_controller_t *c);
/* Queues an event carrying s (type: SM_CTRL_SYNC_*). */
#define SM_CTRL_SYNC_ELECT 0
#define SM_CTRL_SYNC_SHUTDOWN 1
#define SM_CTRL_SYNC_REASSIGN 2
void sm_ctrl_enqueue_sync(sm_controller_t *c, int kind, sm_ctrl_sync_t *s);

void sm_ctrl_state_log(sm_controller_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ControllerStats UncleanLeaderElectionsPerSec; event thread only (the
 * single writer), scrapes read it relaxed. */
static inline void sm_ctrl_count_unclean(sm_controller_t *c)
{
	__atomic_store_n(&c->m_unclean, c->m_unclean + 1, __ATOMIC_RELAXED);
}

#endif /* SM_CONTROLLER_INT_H */
