/*
 * fuzz.h - shared pieces of the libFuzzer harnesses under tests/fuzz/.
 *
 * Every harness defines LLVMFuzzerTestOneInput() and nothing else. Built with
 * --enable-fuzz it is linked with libFuzzer's main; otherwise with
 * replay_main.c, which feeds it every file of its committed corpus and
 * regression directories, so that `make check` replays all of them through
 * the decoders under any compiler (see docs/design/fuzzing.md).
 *
 * SM_FUZZ_APIS lists every API the broker parses, with the prefix of its
 * msg_*.c codec: sm_<prefix>_req_t / sm_<prefix>_req_read() /
 * sm_<prefix>_req_write() and the same for _resp. The request and response
 * harnesses and the seed generator all expand it, so a codec added to the
 * broker is fuzzed once it is added here.
 */
#ifndef SM_FUZZ_H
#define SM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "msg_alter_configs.h"
#include "msg_alter_partition_reassignments.h"
#include "msg_api_versions.h"
#include "msg_controlled_shutdown.h"
#include "msg_create_acls.h"
#include "msg_create_partitions.h"
#include "msg_delete_acls.h"
#include "msg_describe_acls.h"
#include "msg_create_topics.h"
#include "msg_delete_groups.h"
#include "msg_delete_records.h"
#include "msg_delete_topics.h"
#include "msg_describe_configs.h"
#include "msg_describe_groups.h"
#include "msg_describe_log_dirs.h"
#include "msg_alter_replica_log_dirs.h"
#include "msg_elect_leaders.h"
#include "msg_fetch.h"
#include "msg_find_coordinator.h"
#include "msg_heartbeat.h"
#include "msg_incremental_alter_configs.h"
#include "msg_init_producer_id.h"
#include "msg_describe_client_quotas.h"
#include "msg_alter_client_quotas.h"
#include "msg_write_txn_markers.h"
#include "msg_add_partitions_to_txn.h"
#include "msg_add_offsets_to_txn.h"
#include "msg_end_txn.h"
#include "msg_sasl_handshake.h"
#include "msg_sasl_authenticate.h"
#include "msg_describe_user_scram_credentials.h"
#include "msg_alter_user_scram_credentials.h"
#include "msg_join_group.h"
#include "msg_leader_and_isr.h"
#include "msg_leave_group.h"
#include "msg_list_groups.h"
#include "msg_list_offsets.h"
#include "msg_list_partition_reassignments.h"
#include "msg_metadata.h"
#include "msg_offset_commit.h"
#include "msg_offset_delete.h"
#include "msg_offset_fetch.h"
#include "msg_offset_for_leader_epoch.h"
#include "msg_produce.h"
#include "msg_stop_replica.h"
#include "msg_sync_group.h"
#include "msg_txn_offset_commit.h"
#include "msg_update_metadata.h"
#include "protocol.h"

#define SM_FUZZ_APIS(X)                                                        \
	X(SM_API_PRODUCE, produce)                                             \
	X(SM_API_FETCH, fetch)                                                 \
	X(SM_API_LIST_OFFSETS, list_offsets)                                   \
	X(SM_API_METADATA, metadata)                                           \
	X(SM_API_LEADER_AND_ISR, leader_and_isr)                               \
	X(SM_API_STOP_REPLICA, stop_replica)                                   \
	X(SM_API_UPDATE_METADATA, update_metadata)                             \
	X(SM_API_CONTROLLED_SHUTDOWN, controlled_shutdown)                     \
	X(SM_API_OFFSET_COMMIT, offset_commit)                                 \
	X(SM_API_OFFSET_FETCH, offset_fetch)                                   \
	X(SM_API_FIND_COORDINATOR, find_coordinator)                           \
	X(SM_API_JOIN_GROUP, join_group)                                       \
	X(SM_API_HEARTBEAT, heartbeat)                                         \
	X(SM_API_LEAVE_GROUP, leave_group)                                     \
	X(SM_API_SYNC_GROUP, sync_group)                                       \
	X(SM_API_DESCRIBE_GROUPS, describe_groups)                             \
	X(SM_API_LIST_GROUPS, list_groups)                                     \
	X(SM_API_API_VERSIONS, api_versions)                                   \
	X(SM_API_CREATE_TOPICS, create_topics)                                 \
	X(SM_API_DELETE_TOPICS, delete_topics)                                 \
	X(SM_API_DELETE_RECORDS, delete_records)                               \
	X(SM_API_INIT_PRODUCER_ID, init_producer_id)                           \
	X(SM_API_DESCRIBE_CLIENT_QUOTAS, describe_client_quotas)               \
	X(SM_API_ALTER_CLIENT_QUOTAS, alter_client_quotas)                     \
	X(SM_API_WRITE_TXN_MARKERS, write_txn_markers)                         \
	X(SM_API_ADD_PARTITIONS_TO_TXN, add_partitions_to_txn)                 \
	X(SM_API_ADD_OFFSETS_TO_TXN, add_offsets_to_txn)                       \
	X(SM_API_END_TXN, end_txn)                                             \
	X(SM_API_TXN_OFFSET_COMMIT, txn_offset_commit)                         \
	X(SM_API_SASL_HANDSHAKE, sasl_handshake)                               \
	X(SM_API_SASL_AUTHENTICATE, sasl_authenticate)                         \
	X(SM_API_DESCRIBE_USER_SCRAM_CREDENTIALS, describe_user_scram_credentials) \
	X(SM_API_ALTER_USER_SCRAM_CREDENTIALS, alter_user_scram_credentials)   \
	X(SM_API_OFFSET_FOR_LEADER_EPOCH, offset_for_leader_epoch)             \
	X(SM_API_DESCRIBE_CONFIGS, describe_configs)                           \
	X(SM_API_ALTER_CONFIGS, alter_configs)                                 \
	X(SM_API_DESCRIBE_LOG_DIRS, describe_log_dirs)                         \
	X(SM_API_ALTER_REPLICA_LOG_DIRS, alter_replica_log_dirs)               \
	X(SM_API_CREATE_PARTITIONS, create_partitions)                         \
	X(SM_API_DELETE_GROUPS, delete_groups)                                 \
	X(SM_API_ELECT_LEADERS, elect_leaders)                                 \
	X(SM_API_INCREMENTAL_ALTER_CONFIGS, incremental_alter_configs)         \
	X(SM_API_ALTER_PARTITION_REASSIGNMENTS, alter_partition_reassignments) \
	X(SM_API_LIST_PARTITION_REASSIGNMENTS, list_partition_reassignments)  \
	X(SM_API_OFFSET_DELETE, offset_delete)                                 \
	X(SM_API_DESCRIBE_ACLS, describe_acls)                                 \
	X(SM_API_CREATE_ACLS, create_acls)                                     \
	X(SM_API_DELETE_ACLS, delete_acls)

/* Decompression budget of the harnesses: far below the broker's 256 MiB so
 * that a run stays inside -rss_limit_mb; the bound check itself is the same
 * code whatever the limit. */
#define SM_FUZZ_MAX_UNCOMPRESSED (1u << 20)

/* Walks the stored-log entries of p[0..len) as a follower and the log
 * recovery do (entry sizes, CRC, record iteration); shared by the records
 * and response harnesses. */
void sm_fuzz_walk_log(const uint8_t *p, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* SM_FUZZ_H */
