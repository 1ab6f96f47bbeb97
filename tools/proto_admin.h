/*
 * proto_admin.h - what the protocol-speaking admin tools (kafka-delete-records,
 * kafka-log-dirs) share, in the role of Kafka's AdminClient plumbing:
 * bootstrap, cluster metadata, a connection per broker, and Kafka's
 * exception messages for error codes.
 *
 * Thread-safety: single-threaded tools only.
 */
#ifndef SM_PROTO_ADMIN_H
#define SM_PROTO_ADMIN_H

#include <stdint.h>

#include "buf.h"
#include "msg_metadata.h"
#include "net_client.h"

#define SM_PA_TIMEOUT_MS 30000

/* Metadata v1 from the first bootstrap server that answers
 * ("h:p[,h:p...]"); topics NULL asks for every topic. Returns 0, or -1 with
 * a message on stderr. */
int sm_pa_metadata(const char *bootstrap, const char *const *topics, int ntopics,
		   sm_arena_t *a, sm_metadata_resp_t *md);
/* From now on every client connects over TLS with the context set by
 * sm_tls_interbroker_set (a tool's --command-config with
 * security.protocol=SSL). */
void sm_pa_use_tls(int on);
/* A client for broker id (NULL if the metadata does not list it). */
sm_net_client_t *sm_pa_broker_client(const sm_metadata_resp_t *md, int32_t id);
/* Kafka's exception message for a wire error code. */
const char *sm_pa_error_message(int16_t code);
/* Kafka's exception class name for a wire error code (kafka-log-dirs). */
const char *sm_pa_error_class(int16_t code);

#endif /* SM_PROTO_ADMIN_H */
