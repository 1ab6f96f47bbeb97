/*
 * authorizer.h - ACL authorization (Kafka 2.8's AclAuthorizer) and the ACL
 * store in ZooKeeper shared by the broker and kafka-acls.
 *
 * Turned on by authorizer.class.name=kafka.security.authorizer.AclAuthorizer
 * (or the legacy kafka.security.auth.SimpleAclAuthorizer). A request is
 * allowed when its principal is one of super.users; otherwise the ACLs of
 * every pattern matching the resource are gathered (the literal name, the
 * literal wildcard "*", and every prefixed pattern the name starts with):
 * with none, allow.everyone.if.no.acl.found decides; a matching Deny for the
 * operation (or All) refuses; a matching Allow for the operation, All, or an
 * operation implying it (Read, Write, Delete and Alter imply Describe;
 * AlterConfigs implies DescribeConfigs) allows; anything else is refused.
 * An ACL matches the principal when it names it or User:*, and the host when
 * it names the client's address or "*".
 *
 * The ACLs live in ZooKeeper exactly as Kafka stores them (zk_data.h). Each
 * broker keeps a cache of them, loaded at startup and kept current by the
 * "acl-change" thread, which follows /kafka-acl-changes and
 * /kafka-acl-extended-changes and re-reads the resource each notification
 * names (Kafka's ZkNodeChangeNotificationListener). Its watch callback only
 * wakes the thread; the thread also re-lists every few seconds, which
 * re-arms a watch lost with an expired session.
 *
 * Thread-safety: sm_authorizer_authorize and the other queries are called by
 * request handler threads concurrently; the cache is under a rwlock taken
 * for reading by checks and for writing only to swap one resource's ACLs.
 * The sm_acl_store_* functions call ZooKeeper and run on any thread allowed
 * to (request handlers, the tools).
 */
#ifndef SM_AUTHORIZER_H
#define SM_AUTHORIZER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "kafka_config.h"
#include "zk_client.h"
#include "zk_data.h"

/* One ACL with its resource pattern (Kafka's AclBinding); as a filter
 * (AclBindingFilter) NULL strings and the ANY codes match everything and
 * pattern MATCH matches every pattern that applies to the name. */
typedef struct sm_acl_binding {
	int8_t res_type;
	int8_t pattern;
	char *name;
	char *principal;
	char *host;
	int8_t op;
	int8_t perm;
} sm_acl_binding_t;

/* One resource pattern and its ACLs. */
typedef struct sm_acl_resource {
	int8_t pattern;
	int8_t res_type;
	char *name;
	sm_zk_acl_t *acls;
	int n;
} sm_acl_resource_t;

typedef struct sm_authorizer sm_authorizer_t;

/* 1 when authorizer.class.name names the AclAuthorizer, 0 when empty, -1
 * (with a message) for any other class. */
int sm_authorizer_configured(const sm_kafka_config_t *cfg, char *err, size_t errlen);

/* Creates the ACL paths and loads the cache (main thread, at startup). NULL
 * with a message on failure. */
sm_authorizer_t *sm_authorizer_new(const sm_kafka_config_t *cfg, sm_zk_t *zk, char *err,
				   size_t errlen);
/* An authorizer over the given ACLs (taken over) with no ZooKeeper behind
 * it: the unit tests' way to exercise the matching rules. super_users is
 * super.users' format. */
sm_authorizer_t *sm_authorizer_new_static(int allow_if_no_acl, const char *super_users,
					  sm_acl_resource_t *res, int n);
/* Starts the acl-change thread. */
void sm_authorizer_startup(sm_authorizer_t *a);
/* Feeds a ZooKeeper watch event (from the session watcher callback). */
void sm_authorizer_zk_event(sm_authorizer_t *a, int type, const char *path);
void sm_authorizer_shutdown(sm_authorizer_t *a);
void sm_authorizer_destroy(sm_authorizer_t *a);

/* Whether principal ("User:x") connecting from host may do op on the
 * resource; a refusal is logged (kafka.authorizer.logger) when log_denied,
 * as Kafka logs all but the checks that only filter lists. */
int sm_authorizer_authorize(sm_authorizer_t *a, const char *principal, const char *host, int op,
			    int res_type, const char *name, int log_denied);
/* Kafka's authorizeByResourceType: whether some resource of the type allows
 * op (itself or All) with no deny dominating it (InitProducerId for
 * idempotent producers without IdempotentWrite on the cluster): a literal
 * wildcard deny refuses, allow.everyone.if.no.acl.found allows, then an
 * allowed prefix no prefixed deny covers, or an allowed literal neither
 * denied nor under a prefixed deny. */
int sm_authorizer_authorize_any(sm_authorizer_t *a, const char *principal, const char *host,
				int op, int res_type);
/* Bitfield (1 << code) of the operations valid for the resource type that
 * are allowed (Metadata and DescribeGroups' authorized operations). */
int32_t sm_authorizer_ops(sm_authorizer_t *a, const char *principal, const char *host,
			  int res_type, const char *name);
/* Every binding in the cache matching filter (DescribeAcls), malloc'd; free
 * with sm_acl_bindings_free. */
int sm_authorizer_describe(sm_authorizer_t *a, const sm_acl_binding_t *filter,
			   sm_acl_binding_t **outp);
/* Re-reads one resource from ZooKeeper into the cache (after this broker
 * changed it, so its own answers reflect the change at once). */
void sm_authorizer_refresh(sm_authorizer_t *a, int pattern, int res_type, const char *name);

/* Kafka's operations valid for a resource type, as a bitfield. */
int32_t sm_acl_valid_ops(int res_type);
/* Filter matching (AclBindingFilter.matches); acl NULL matches the pattern
 * part only. */
int sm_acl_filter_matches(const sm_acl_binding_t *f, int pattern, int res_type, const char *name,
			  const sm_zk_acl_t *acl);
void sm_acl_bindings_free(sm_acl_binding_t *b, int n);

/* ---- the store in ZooKeeper ---- */

/* Every resource and its ACLs; *outp malloc'd (sm_acl_resources_free). */
sm_err_t sm_acl_store_load(sm_zk_t *zk, sm_acl_resource_t **outp, int *np);
void sm_acl_resources_free(sm_acl_resource_t *r, int n);
/* Reads one resource's ACLs (none when the znode is absent). */
sm_err_t sm_acl_store_read(sm_zk_t *zk, int pattern, int res_type, const char *name,
			   sm_zk_acl_t **aclsp, int *np, int32_t *versionp);
/* Adds the ACLs b[0..n), which all name b[0]'s resource (an ACL already
 * there is not added twice): one conditional write and one change
 * notification, none when nothing is new. */
sm_err_t sm_acl_store_add(sm_zk_t *zk, const sm_acl_binding_t *b, int n, char *err, size_t errlen);
/* Removes every ACL matching the filter from the resources in cand[0..ncand)
 * (their ACLs are re-read; cand NULL: every resource in ZooKeeper); the
 * removed bindings in *outp (malloc'd, sm_acl_bindings_free). */
sm_err_t sm_acl_store_remove(sm_zk_t *zk, const sm_acl_binding_t *filter,
			     const sm_acl_resource_t *cand, int ncand, sm_acl_binding_t **outp,
			     int *np, char *err, size_t errlen);
/* The resource patterns in the cache the filter's pattern part matches
 * (names only, no ACLs; sm_acl_resources_free): where DeleteAcls looks. */
int sm_authorizer_patterns(sm_authorizer_t *a, const sm_acl_binding_t *filter,
			   sm_acl_resource_t **outp);

#endif /* SM_AUTHORIZER_H */
