/*
 * msg_api_versions.h - ApiVersions (key 18) request and response bodies,
 * versions 0-3 (Kafka's ApiVersionsRequestData / ApiVersionsResponseData).
 *
 * Quirks:
 *  - The response always travels with response header v0 (see protocol.h).
 *  - A request for a version above 3 is not parsed at all: the broker answers
 *    with a v0 response body carrying UNSUPPORTED_VERSION and only the
 *    ApiVersions entry, which sm_api_versions_resp_write(w, 0, ...) produces.
 *  - v3 requests carry the client software name and version; both must match
 *    [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])? or the broker answers
 *    INVALID_REQUEST (sm_api_versions_valid_software).
 *  - v3 response tags: 0 SupportedFeatures, 1 FinalizedFeaturesEpoch,
 *    2 FinalizedFeatures (2.8), 3 ZkMigrationReady (3.4+, read for
 *    completeness). Each is written only when it differs from its default.
 *
 * Thread-safety: reentrant; decoded structures live in the caller's arena.
 */
#ifndef SM_MSG_API_VERSIONS_H
#define SM_MSG_API_VERSIONS_H

#include <stdint.h>

#include "buf.h"

typedef struct sm_api_versions_req {
	char *client_software_name;    /* v3+, default "" */
	char *client_software_version; /* v3+, default "" */
} sm_api_versions_req_t;

typedef struct sm_api_versions_resp_key {
	int16_t api_key;
	int16_t min_version;
	int16_t max_version;
} sm_api_versions_resp_key_t;

typedef struct sm_api_versions_supported_feature {
	char *name;
	int16_t min_version;
	int16_t max_version;
} sm_api_versions_supported_feature_t;

typedef struct sm_api_versions_finalized_feature {
	char *name;
	int16_t max_version_level;
	int16_t min_version_level;
} sm_api_versions_finalized_feature_t;

typedef struct sm_api_versions_resp {
	int16_t error_code;
	sm_api_versions_resp_key_t *api_keys;
	int32_t api_keys_cnt;
	int32_t throttle_time_ms;                /* v1+ */
	/* v3+ tagged fields */
	sm_api_versions_supported_feature_t *supported_features; /* tag 0 */
	int32_t supported_features_cnt;
	int64_t finalized_features_epoch;        /* tag 1, default -1 */
	sm_api_versions_finalized_feature_t *finalized_features; /* tag 2 */
	int32_t finalized_features_cnt;
	int zk_migration_ready;                  /* tag 3, default false */
} sm_api_versions_resp_t;

/* Schema defaults (everything zero/empty except the feature epoch -1). */
void sm_api_versions_req_init(sm_api_versions_req_t *r);
void sm_api_versions_resp_init(sm_api_versions_resp_t *r);

int sm_api_versions_req_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			     sm_api_versions_req_t *out);
void sm_api_versions_req_write(sm_wbuf_t *w, int16_t ver, const sm_api_versions_req_t *in);
int sm_api_versions_resp_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a,
			      sm_api_versions_resp_t *out);
void sm_api_versions_resp_write(sm_wbuf_t *w, int16_t ver, const sm_api_versions_resp_t *in);

/* 1 if s matches the KIP-511 software name/version pattern. */
int sm_api_versions_valid_software(const char *s);

#endif /* SM_MSG_API_VERSIONS_H */
