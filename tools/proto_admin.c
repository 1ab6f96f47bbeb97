/*
 * proto_admin.c - bootstrap, metadata and error texts for the admin tools
 * that speak the Kafka protocol directly. See proto_admin.h.
 */
#include "proto_admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "protocol.h"

/* Set by sm_pa_use_tls: every client connects over TLS. */
static int sm_pa_tls;

void sm_pa_use_tls(int on)
{
	sm_pa_tls = on;
}

static sm_net_client_t *sm_pa_client(const char *host, int port)
{
	sm_net_client_t *c = sm_net_client_new(host, port);
	if (sm_pa_tls)
		sm_net_client_use_interbroker_tls(c);
	return c;
}

static sm_net_client_t *sm_pa_client_for(const char *hostport)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	if (!colon || (size_t)(colon - hostport) >= sizeof(host))
		return NULL;
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	int port = atoi(colon + 1);
	if (port <= 0 || port > 65535)
		return NULL;
	return sm_pa_client(host, port);
}

static int sm_pa_metadata_from(sm_net_client_t *c, const char *const *topics, int ntopics,
			       sm_arena_t *a, sm_metadata_resp_t *md)
{
	sm_metadata_req_t req;
	sm_metadata_req_init(&req);
	req.topics_cnt = topics ? ntopics : -1;
	req.topics = topics ? sm_arena_alloc(a, sizeof(*req.topics) * (size_t)(ntopics + 1)) : NULL;
	for (int i = 0; topics && i < ntopics; i++)
		req.topics[i].name = (char *)topics[i];
	sm_wbuf_t body, resp;
	sm_wbuf_init(&body, 128);
	sm_wbuf_init(&resp, 1024);
	sm_metadata_req_write(&body, 1, &req);
	int rc = sm_net_client_request(c, SM_API_METADATA, 1, &body, 0, &resp, SM_PA_TIMEOUT_MS);
	if (!rc) {
		sm_rbuf_t rb;
		sm_rbuf_init(&rb, resp.p, resp.len);
		rc = sm_metadata_resp_read(&rb, 1, a, md);
	}
	sm_wbuf_free(&body);
	sm_wbuf_free(&resp);
	return rc;
}

int sm_pa_metadata(const char *bootstrap, const char *const *topics, int ntopics,
		   sm_arena_t *a, sm_metadata_resp_t *md)
{
	char *list = sm_strdup(bootstrap), *save = NULL;
	int rc = -1;
	for (char *hp = strtok_r(list, ",", &save); hp && rc; hp = strtok_r(NULL, ",", &save)) {
		sm_net_client_t *c = sm_pa_client_for(hp);
		if (!c) {
			fprintf(stderr, "Invalid url in bootstrap.servers: %s\n", hp);
			continue;
		}
		sm_net_client_set_client_id(c, "adminclient-1");
		rc = sm_pa_metadata_from(c, topics, ntopics, a, md);
		if (rc)
			fprintf(stderr, "Failed to get metadata from %s: %s\n", hp,
				sm_net_client_last_error(c));
		sm_net_client_destroy(c);
	}
	free(list);
	return rc ? -1 : 0;
}

sm_net_client_t *sm_pa_broker_client(const sm_metadata_resp_t *md, int32_t id)
{
	for (int32_t i = 0; i < md->brokers_cnt; i++) {
		if (md->brokers[i].node_id != id)
			continue;
		sm_net_client_t *c = sm_pa_client(md->brokers[i].host, md->brokers[i].port);
		sm_net_client_set_client_id(c, "adminclient-1");
		return c;
	}
	return NULL;
}

static const struct {
	int16_t code;
	const char *cls;
	const char *msg;
} sm_pa_errors[] = {
	{ SM_ERR_OFFSET_OUT_OF_RANGE, "OffsetOutOfRangeException",
	  "The requested offset is not within the range of offsets maintained by the server." },
	{ SM_ERR_UNKNOWN_TOPIC_OR_PARTITION, "UnknownTopicOrPartitionException",
	  "This server does not host this topic-partition." },
	{ SM_ERR_LEADER_NOT_AVAILABLE, "LeaderNotAvailableException",
	  "There is no leader for this topic-partition as we are in the middle of a "
	  "leadership election." },
	{ SM_ERR_NOT_LEADER_OR_FOLLOWER, "NotLeaderOrFollowerException",
	  "For requests intended only for the leader, this error indicates that the broker "
	  "is not the current leader. For requests intended for any replica, this error "
	  "indicates that the broker is not a replica of the topic partition." },
	{ SM_ERR_REQUEST_TIMED_OUT, "TimeoutException", "The request timed out." },
	{ SM_ERR_INVALID_TOPIC_EXCEPTION, "InvalidTopicException",
	  "The request attempted to perform an operation on an invalid topic." },
	{ SM_ERR_KAFKA_STORAGE_ERROR, "KafkaStorageException", "Disk error when trying to "
	  "access log file on the disk." },
	{ SM_ERR_POLICY_VIOLATION, "PolicyViolationException",
	  "Request parameters do not satisfy the configured policy." },
	{ SM_ERR_INVALID_CONFIG, "InvalidConfigurationException", "Configuration is invalid." },
	{ SM_ERR_INVALID_REQUEST, "InvalidRequestException",
	  "This most likely occurs because of a request being malformed by the client library "
	  "or the message was sent to an incompatible broker. See the broker logs for more "
	  "details." },
};

const char *sm_pa_error_message(int16_t code)
{
	for (size_t i = 0; i < sizeof(sm_pa_errors) / sizeof(sm_pa_errors[0]); i++)
		if (sm_pa_errors[i].code == code)
			return sm_pa_errors[i].msg;
	return sm_err_name((sm_err_t)code);
}

const char *sm_pa_error_class(int16_t code)
{
	static char buf[128];
	for (size_t i = 0; i < sizeof(sm_pa_errors) / sizeof(sm_pa_errors[0]); i++) {
		if (sm_pa_errors[i].code == code) {
			snprintf(buf, sizeof(buf), "org.apache.kafka.common.errors.%s",
				 sm_pa_errors[i].cls);
			return buf;
		}
	}
	return "org.apache.kafka.common.errors.UnknownServerException";
}
