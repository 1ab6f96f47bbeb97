/*
 * replica_state_machine.c - Kafka's ReplicaStateMachine: the state of each
 * (partition, replica) pair as the controller sees it.
 *
 *   FROM -> TO                                   side effects (by the caller)
 *   NonExistent -> New                           none
 *   New|Online|Offline|DeletionIneligible
 *       -> Online                                LeaderAndIsr to the replica
 *   New|Online|Offline|DeletionIneligible
 *       -> Offline                               removed from the ISR (its broker
 *                                                failed, or reported the replica's
 *                                                log dir offline: then also
 *                                                StopReplica, see controller_log_dir.c)
 *   Offline -> ReplicaDeletionStarted            StopReplica(delete=true)
 *   DeletionStarted -> DeletionSuccessful        replica confirmed deletion
 *   DeletionStarted|Offline -> DeletionIneligible  replica failed/offline
 *   DeletionSuccessful -> NonExistent            forgotten
 *
 * Thread-safety: controller event thread only.
 */
#include "controller_int.h"
#include "thread_role.h"

static const char *const sm_rsm_names[SM_RSM__CNT] = {
	"NonExistentReplica", "NewReplica", "OnlineReplica", "OfflineReplica",
	"ReplicaDeletionStarted", "ReplicaDeletionSuccessful", "ReplicaDeletionIneligible",
};

#define B(s) (1u << (s))
static const unsigned sm_rsm_valid_from[SM_RSM__CNT] = {
	[SM_RSM_NONEXISTENT] = B(SM_RSM_DELETION_SUCCESSFUL),
	[SM_RSM_NEW] = B(SM_RSM_NONEXISTENT),
	[SM_RSM_ONLINE] = B(SM_RSM_NEW) | B(SM_RSM_ONLINE) | B(SM_RSM_OFFLINE) |
			  B(SM_RSM_DELETION_INELIGIBLE),
	[SM_RSM_OFFLINE] = B(SM_RSM_NEW) | B(SM_RSM_ONLINE) | B(SM_RSM_OFFLINE) |
			   B(SM_RSM_DELETION_INELIGIBLE),
	[SM_RSM_DELETION_STARTED] = B(SM_RSM_OFFLINE),
	[SM_RSM_DELETION_SUCCESSFUL] = B(SM_RSM_DELETION_STARTED),
	[SM_RSM_DELETION_INELIGIBLE] = B(SM_RSM_OFFLINE) | B(SM_RSM_DELETION_STARTED),
};
#undef B

const char *sm_rsm_state_name(sm_rsm_state_t s)
{
	return s < SM_RSM__CNT ? sm_rsm_names[s] : "Unknown";
}

int sm_rsm_transition(sm_controller_t *c, sm_ctrl_topic_t *t, sm_ctrl_partition_t *p, int idx,
		      sm_rsm_state_t target)
{
	SM_ASSERT_ROLE(SM_ROLE_CONTROLLER);
	sm_rsm_state_t from = p->rstate[idx];
	if (!(sm_rsm_valid_from[target] & (1u << from))) {
		sm_ctrl_state_log(c, "Controller %d epoch %d: illegal state transition of replica %d of partition %s-%d from %s to %s",
				  c->broker_id, c->ctx.epoch, p->replicas[idx], t->name, p->id,
				  sm_rsm_state_name(from), sm_rsm_state_name(target));
		return -1;
	}
	p->rstate[idx] = target;
	sm_ctrl_state_log(c, "Controller %d epoch %d changed state of replica %d for partition %s-%d from %s to %s",
			  c->broker_id, c->ctx.epoch, p->replicas[idx], t->name, p->id,
			  sm_rsm_state_name(from), sm_rsm_state_name(target));
	return 0;
}
