/*
 * config_manager.h - dynamic topic configuration at run time (Kafka's
 * DynamicConfigManager + ZkNodeChangeNotificationListener): every broker
 * watches /config/changes; for each new config_change_<seq> naming
 * "topics/<t>" it re-reads /config/topics/<t>, applies the overrides to the
 * partitions of <t> it hosts, and, if it is the active controller and the
 * topic now has unclean.leader.election.enable=true, runs an unclean
 * election for the topic's offline partitions (Kafka's
 * TopicUncleanLeaderElectionEnable event). Notifications present at startup
 * are already reflected in what the broker read while starting, so only
 * later ones are processed. A notification naming "brokers/<default>" or
 * "brokers/<this broker's id>" reloads the dynamic broker configs
 * (dynamic_config.h); "users/<u>" reloads the user's SCRAM credentials
 * (sasl.h) and quotas, "clients/<c>" and "users/<u>/clients/<c>" client
 * quotas (client_quota.h). Other entity types are ignored.
 *
 * Threads: "config-change-listener" does all ZooKeeper work; the watch
 * callback only wakes it. It also re-lists the children every few seconds,
 * which re-arms a watch lost with an expired session.
 *
 * Thread-safety: all functions are thread-safe.
 */
#ifndef SM_CONFIG_MANAGER_H
#define SM_CONFIG_MANAGER_H

#include <stdint.h>

#include "controller.h"
#include "dynamic_config.h"
#include "replica_manager.h"
#include "socket_server.h"
#include "zk_client.h"

typedef struct sm_config_manager sm_config_manager_t;

/* dyn may be NULL (no dynamic broker configs). */
sm_config_manager_t *sm_config_manager_new(sm_zk_t *zk, sm_replica_manager_t *rm,
					   sm_controller_t *controller, sm_dyn_config_t *dyn);
/* Starts the thread (which arms the watch). */
void sm_config_manager_startup(sm_config_manager_t *cm);
/* Feeds a ZooKeeper watch event (from the session watcher callback). */
void sm_config_manager_zk_event(sm_config_manager_t *cm, int type, const char *path);
void sm_config_manager_shutdown(sm_config_manager_t *cm);
void sm_config_manager_destroy(sm_config_manager_t *cm);

/* Re-reads /config/users/<sanitized user> into the SCRAM credential store
 * (sasl.h); a missing node removes the user's credentials. */
void sm_config_manager_load_user(sm_zk_t *zk, const char *sanitized);

/* Client quotas (client_quota.h) of "clients/<c>" or
 * "users/<u>/clients/<c>" (sanitized names, "<default>" allowed) into the
 * process-wide quota table; a missing node removes them. "users/<u>" goes
 * through sm_config_manager_load_user, whose node holds both SCRAM
 * credentials and quotas. -1 for another path or a ZooKeeper failure. */
int sm_config_manager_load_quota(sm_zk_t *zk, const char *entity_path);
/* Every user's SCRAM credentials and quotas and every client quota, at
 * startup. */
void sm_config_manager_load_all_quotas(sm_zk_t *zk);

/* Where ips/<ip> changes are applied (before startup). */
void sm_config_manager_set_socket_server(sm_config_manager_t *cm, sm_socket_server_t *ss);

/* The connection_creation_rate quota of /config/ips/<name> (sanitized
 * znode name or "<default>"): *ip is the address as the acceptor names
 * peers (or "<default>"), *rate the quota or -1 when none is set. -1 for a
 * name that is no address or a value that is not an INT >= 0. */
int sm_config_manager_ip_rate(sm_zk_t *zk, const char *name, char *ip, size_t iplen,
			      double *rate);

/* The sequence number of a "config_change_<seq>" node name, or -1. */
int64_t sm_config_change_seq(const char *name);

#endif /* SM_CONFIG_MANAGER_H */
