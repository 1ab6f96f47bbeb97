/*
 * test_msg_admin.c - unit tests of the ApiVersions, Metadata, CreateTopics and
 * DeleteTopics codecs: every version is filled with non-default values,
 * written, read back, compared field by field and written again byte for
 * byte; plus known encodings, unknown tags and hostile input.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "codec_roundtrip.h"
#include "msg_api_versions.h"
#include "msg_create_topics.h"
#include "msg_delete_topics.h"
#include "msg_metadata.h"
#include "protocol.h"

/* ---- generic harness ---- */

static void uuid_fill(uint8_t id[16], int seed)
{
	for (int i = 0; i < 16; i++)
		id[i] = (uint8_t)(seed * 31 + i + 1);
}

/* ---- ApiVersions ---- */

static void av_req_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_api_versions_req_t *r = o;
	sm_api_versions_req_init(r);
	r->client_software_name = sm_proto_empty_str(a);
	r->client_software_version = sm_proto_empty_str(a);
	if (ver >= 3 && variant == 0) {
		r->client_software_name = "librdkafka";
		r->client_software_version = "2.3.0";
	}
}

static void av_req_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_api_versions_req_t *x = xp, *y = yp;
	(void)ver;
	CK_STR(x->client_software_name, y->client_software_name);
	CK_STR(x->client_software_version, y->client_software_version);
}

static void av_resp_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_api_versions_resp_t *r = o;
	sm_api_versions_resp_init(r);
	r->error_code = variant ? 0 : 35;
	r->api_keys_cnt = variant ? 0 : 3;
	r->api_keys = sm_arena_alloc_array(a, 3, sizeof(*r->api_keys));
	for (int i = 0; i < r->api_keys_cnt; i++) {
		r->api_keys[i].api_key = (int16_t)(i * 5);
		r->api_keys[i].min_version = (int16_t)i;
		r->api_keys[i].max_version = (int16_t)(i + 9);
	}
	if (ver >= 1)
		r->throttle_time_ms = 1234;
	if (ver >= 3 && variant == 0) {
		r->supported_features_cnt = 2;
		r->supported_features = sm_arena_alloc_array(a, 2, sizeof(*r->supported_features));
		for (int i = 0; i < 2; i++) {
			r->supported_features[i].name = S(a, "feat", i);
			r->supported_features[i].min_version = (int16_t)(i + 1);
			r->supported_features[i].max_version = (int16_t)(i + 4);
		}
		r->finalized_features_epoch = 77;
		r->finalized_features_cnt = 1;
		r->finalized_features = sm_arena_alloc_array(a, 1, sizeof(*r->finalized_features));
		r->finalized_features[0].name = "metadata.version";
		r->finalized_features[0].max_version_level = 8;
		r->finalized_features[0].min_version_level = 2;
		r->zk_migration_ready = 1;
	}
}

static void av_resp_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_api_versions_resp_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->error_code, y->error_code);
	CU_ASSERT_EQUAL_FATAL(x->api_keys_cnt, y->api_keys_cnt);
	for (int i = 0; i < x->api_keys_cnt; i++) {
		CU_ASSERT_EQUAL(x->api_keys[i].api_key, y->api_keys[i].api_key);
		CU_ASSERT_EQUAL(x->api_keys[i].min_version, y->api_keys[i].min_version);
		CU_ASSERT_EQUAL(x->api_keys[i].max_version, y->api_keys[i].max_version);
	}
	CU_ASSERT_EQUAL(x->throttle_time_ms, y->throttle_time_ms);
	CU_ASSERT_EQUAL_FATAL(x->supported_features_cnt, y->supported_features_cnt);
	for (int i = 0; i < x->supported_features_cnt; i++) {
		CK_STR(x->supported_features[i].name, y->supported_features[i].name);
		CU_ASSERT_EQUAL(x->supported_features[i].min_version,
				y->supported_features[i].min_version);
		CU_ASSERT_EQUAL(x->supported_features[i].max_version,
				y->supported_features[i].max_version);
	}
	CU_ASSERT_EQUAL(x->finalized_features_epoch, y->finalized_features_epoch);
	CU_ASSERT_EQUAL_FATAL(x->finalized_features_cnt, y->finalized_features_cnt);
	for (int i = 0; i < x->finalized_features_cnt; i++) {
		CK_STR(x->finalized_features[i].name, y->finalized_features[i].name);
		CU_ASSERT_EQUAL(x->finalized_features[i].max_version_level,
				y->finalized_features[i].max_version_level);
		CU_ASSERT_EQUAL(x->finalized_features[i].min_version_level,
				y->finalized_features[i].min_version_level);
	}
	CU_ASSERT_EQUAL(x->zk_migration_ready, y->zk_migration_ready);
}

/* ---- Metadata ---- */

static void md_req_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_metadata_req_t *r = o;
	sm_metadata_req_init(r);
	if (variant == 1) {
		/* v0 cannot express null: it has the empty array instead. */
		r->topics_cnt = ver >= 1 ? -1 : 0;
	} else {
		r->topics_cnt = 3;
		r->topics = sm_arena_alloc_array(a, 3, sizeof(*r->topics));
		for (int i = 0; i < 3; i++) {
			if (ver >= 10)
				uuid_fill(r->topics[i].topic_id, i);
			r->topics[i].name = (ver >= 10 && i == 1) ? NULL : S(a, "topic", i);
		}
	}
	if (ver >= 4)
		r->allow_auto_topic_creation = variant;
	if (ver >= 8 && ver <= 10)
		r->include_cluster_authorized_operations = !variant;
	if (ver >= 8)
		r->include_topic_authorized_operations = !variant;
}

static void md_req_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_metadata_req_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL_FATAL(x->topics_cnt, y->topics_cnt);
	for (int i = 0; i < x->topics_cnt; i++) {
		CK_UUID(x->topics[i].topic_id, y->topics[i].topic_id);
		CK_STR(x->topics[i].name, y->topics[i].name);
	}
	CU_ASSERT_EQUAL(x->allow_auto_topic_creation, y->allow_auto_topic_creation);
	CU_ASSERT_EQUAL(x->include_cluster_authorized_operations,
			y->include_cluster_authorized_operations);
	CU_ASSERT_EQUAL(x->include_topic_authorized_operations,
			y->include_topic_authorized_operations);
}

static void md_part_fill(sm_arena_t *a, int16_t ver, int i, sm_metadata_resp_partition_t *p)
{
	sm_metadata_resp_partition_init(p);
	p->error_code = (int16_t)(i ? 9 : 0);
	p->partition_index = i;
	p->leader_id = 100 + i;
	if (ver >= 7)
		p->leader_epoch = 40 + i;
	p->replica_nodes_cnt = 3;
	p->replica_nodes = i32s(a, 3, 100);
	p->isr_nodes_cnt = i;
	p->isr_nodes = i32s(a, i, 100);
	if (ver >= 5) {
		p->offline_replicas_cnt = 1;
		p->offline_replicas = i32s(a, 1, 102);
	}
}

static void md_topic_fill(sm_arena_t *a, int16_t ver, int i, sm_metadata_resp_topic_t *t)
{
	sm_metadata_resp_topic_init(t);
	t->error_code = (int16_t)(i ? 3 : 0);
	t->name = S(a, "orders", i);
	if (ver >= 10)
		uuid_fill(t->topic_id, 9 + i);
	if (ver >= 1)
		t->is_internal = i == 0;
	t->partitions_cnt = i ? 0 : 2;
	t->partitions = sm_arena_alloc_array(a, 2, sizeof(*t->partitions));
	for (int j = 0; j < t->partitions_cnt; j++)
		md_part_fill(a, ver, j, &t->partitions[j]);
	if (ver >= 8)
		t->topic_authorized_operations = 0x5f8;
}

static void md_resp_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_metadata_resp_t *r = o;
	sm_metadata_resp_init(r);
	if (ver >= 3)
		r->throttle_time_ms = 17;
	r->brokers_cnt = 2;
	r->brokers = sm_arena_alloc_array(a, 2, sizeof(*r->brokers));
	for (int i = 0; i < 2; i++) {
		r->brokers[i].node_id = i + 1;
		r->brokers[i].host = S(a, "host", i);
		r->brokers[i].port = 9092 + i;
		if (ver >= 1)
			r->brokers[i].rack = i ? S(a, "rack", i) : NULL;
	}
	if (ver >= 2)
		r->cluster_id = variant ? NULL : "Rk2dG0aJQ5a0AJVlAm3y8Q";
	if (ver >= 1)
		r->controller_id = 2;
	r->topics_cnt = variant ? 0 : 2;
	r->topics = sm_arena_alloc_array(a, 2, sizeof(*r->topics));
	for (int i = 0; i < r->topics_cnt; i++)
		md_topic_fill(a, ver, i, &r->topics[i]);
	if (ver >= 8 && ver <= 10)
		r->cluster_authorized_operations = 0xff;
}

static void md_resp_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_metadata_resp_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->throttle_time_ms, y->throttle_time_ms);
	CU_ASSERT_EQUAL_FATAL(x->brokers_cnt, y->brokers_cnt);
	for (int i = 0; i < x->brokers_cnt; i++) {
		CU_ASSERT_EQUAL(x->brokers[i].node_id, y->brokers[i].node_id);
		CK_STR(x->brokers[i].host, y->brokers[i].host);
		CU_ASSERT_EQUAL(x->brokers[i].port, y->brokers[i].port);
		CK_STR(x->brokers[i].rack, y->brokers[i].rack);
	}
	CK_STR(x->cluster_id, y->cluster_id);
	CU_ASSERT_EQUAL(x->controller_id, y->controller_id);
	CU_ASSERT_EQUAL(x->cluster_authorized_operations, y->cluster_authorized_operations);
	CU_ASSERT_EQUAL_FATAL(x->topics_cnt, y->topics_cnt);
	for (int i = 0; i < x->topics_cnt; i++) {
		const sm_metadata_resp_topic_t *tx = &x->topics[i], *ty = &y->topics[i];
		CU_ASSERT_EQUAL(tx->error_code, ty->error_code);
		CK_STR(tx->name, ty->name);
		CK_UUID(tx->topic_id, ty->topic_id);
		CU_ASSERT_EQUAL(tx->is_internal, ty->is_internal);
		CU_ASSERT_EQUAL(tx->topic_authorized_operations, ty->topic_authorized_operations);
		CU_ASSERT_EQUAL_FATAL(tx->partitions_cnt, ty->partitions_cnt);
		for (int j = 0; j < tx->partitions_cnt; j++) {
			const sm_metadata_resp_partition_t *px = &tx->partitions[j];
			const sm_metadata_resp_partition_t *py = &ty->partitions[j];
			CU_ASSERT_EQUAL(px->error_code, py->error_code);
			CU_ASSERT_EQUAL(px->partition_index, py->partition_index);
			CU_ASSERT_EQUAL(px->leader_id, py->leader_id);
			CU_ASSERT_EQUAL(px->leader_epoch, py->leader_epoch);
			ck_i32s(px->replica_nodes, px->replica_nodes_cnt, py->replica_nodes,
				py->replica_nodes_cnt);
			ck_i32s(px->isr_nodes, px->isr_nodes_cnt, py->isr_nodes, py->isr_nodes_cnt);
			ck_i32s(px->offline_replicas, px->offline_replicas_cnt, py->offline_replicas,
				py->offline_replicas_cnt);
		}
	}
}

/* ---- CreateTopics ---- */

static void ct_req_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_create_topics_req_t *r = o;
	sm_create_topics_req_init(r);
	r->topics_cnt = variant ? 0 : 2;
	r->topics = sm_arena_alloc_array(a, 2, sizeof(*r->topics));
	for (int i = 0; i < r->topics_cnt; i++) {
		sm_create_topics_req_topic_t *t = &r->topics[i];
		t->name = S(a, "new", i);
		t->num_partitions = i ? -1 : 6;
		t->replication_factor = (int16_t)(i ? -1 : 3);
		t->assignments_cnt = i ? 2 : 0;
		t->assignments = sm_arena_alloc_array(a, 2, sizeof(*t->assignments));
		for (int j = 0; j < t->assignments_cnt; j++) {
			t->assignments[j].partition_index = j;
			t->assignments[j].broker_ids_cnt = 2;
			t->assignments[j].broker_ids = i32s(a, 2, j);
		}
		t->configs_cnt = 2;
		t->configs = sm_arena_alloc_array(a, 2, sizeof(*t->configs));
		t->configs[0].name = "cleanup.policy";
		t->configs[0].value = "compact";
		t->configs[1].name = "retention.ms";
		t->configs[1].value = NULL;
	}
	r->timeout_ms = 30000;
	if (ver >= 1)
		r->validate_only = !variant;
}

static void ct_req_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_create_topics_req_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->timeout_ms, y->timeout_ms);
	CU_ASSERT_EQUAL(x->validate_only, y->validate_only);
	CU_ASSERT_EQUAL_FATAL(x->topics_cnt, y->topics_cnt);
	for (int i = 0; i < x->topics_cnt; i++) {
		const sm_create_topics_req_topic_t *tx = &x->topics[i], *ty = &y->topics[i];
		CK_STR(tx->name, ty->name);
		CU_ASSERT_EQUAL(tx->num_partitions, ty->num_partitions);
		CU_ASSERT_EQUAL(tx->replication_factor, ty->replication_factor);
		CU_ASSERT_EQUAL_FATAL(tx->assignments_cnt, ty->assignments_cnt);
		for (int j = 0; j < tx->assignments_cnt; j++) {
			CU_ASSERT_EQUAL(tx->assignments[j].partition_index,
					ty->assignments[j].partition_index);
			ck_i32s(tx->assignments[j].broker_ids, tx->assignments[j].broker_ids_cnt,
				ty->assignments[j].broker_ids, ty->assignments[j].broker_ids_cnt);
		}
		CU_ASSERT_EQUAL_FATAL(tx->configs_cnt, ty->configs_cnt);
		for (int j = 0; j < tx->configs_cnt; j++) {
			CK_STR(tx->configs[j].name, ty->configs[j].name);
			CK_STR(tx->configs[j].value, ty->configs[j].value);
		}
	}
}

static void ct_resp_topic_fill(sm_arena_t *a, int16_t ver, int variant, int i,
			       sm_create_topics_resp_topic_t *t)
{
	sm_create_topics_resp_topic_init(t);
	t->name = S(a, "new", i);
	if (ver >= 7)
		uuid_fill(t->topic_id, i + 3);
	t->error_code = (int16_t)(i ? 36 : 0);
	t->error_message = ver >= 1 ? (i ? "Topic 'new-1' already exists." : NULL)
				    : sm_proto_empty_str(a);
	if (ver < 5)
		return;
	t->topic_config_error_code = (int16_t)(variant ? 0 : 29);
	t->num_partitions = 6;
	t->replication_factor = 3;
	t->configs_cnt = variant ? -1 : 2;
	t->configs = sm_arena_alloc_array(a, 2, sizeof(*t->configs));
	for (int j = 0; j < t->configs_cnt; j++) {
		sm_create_topics_resp_config_init(&t->configs[j]);
		t->configs[j].name = S(a, "conf", j);
		t->configs[j].value = j ? S(a, "val", j) : NULL;
		t->configs[j].read_only = j;
		t->configs[j].config_source = (int8_t)(j + 4);
		t->configs[j].is_sensitive = !j;
	}
}

static void ct_resp_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_create_topics_resp_t *r = o;
	sm_create_topics_resp_init(r);
	if (ver >= 2)
		r->throttle_time_ms = 250;
	r->topics_cnt = 2;
	r->topics = sm_arena_alloc_array(a, 2, sizeof(*r->topics));
	for (int i = 0; i < 2; i++)
		ct_resp_topic_fill(a, ver, variant, i, &r->topics[i]);
}

static void ct_resp_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_create_topics_resp_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->throttle_time_ms, y->throttle_time_ms);
	CU_ASSERT_EQUAL_FATAL(x->topics_cnt, y->topics_cnt);
	for (int i = 0; i < x->topics_cnt; i++) {
		const sm_create_topics_resp_topic_t *tx = &x->topics[i], *ty = &y->topics[i];
		CK_STR(tx->name, ty->name);
		CK_UUID(tx->topic_id, ty->topic_id);
		CU_ASSERT_EQUAL(tx->error_code, ty->error_code);
		CK_STR(tx->error_message, ty->error_message);
		CU_ASSERT_EQUAL(tx->topic_config_error_code, ty->topic_config_error_code);
		CU_ASSERT_EQUAL(tx->num_partitions, ty->num_partitions);
		CU_ASSERT_EQUAL(tx->replication_factor, ty->replication_factor);
		CU_ASSERT_EQUAL_FATAL(tx->configs_cnt, ty->configs_cnt);
		for (int j = 0; j < tx->configs_cnt; j++) {
			const sm_create_topics_resp_config_t *cx = &tx->configs[j];
			const sm_create_topics_resp_config_t *cy = &ty->configs[j];
			CK_STR(cx->name, cy->name);
			CK_STR(cx->value, cy->value);
			CU_ASSERT_EQUAL(cx->read_only, cy->read_only);
			CU_ASSERT_EQUAL(cx->config_source, cy->config_source);
			CU_ASSERT_EQUAL(cx->is_sensitive, cy->is_sensitive);
		}
	}
}

/* ---- DeleteTopics ---- */

static void dt_req_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_delete_topics_req_t *r = o;
	sm_delete_topics_req_init(r);
	int n = variant ? 0 : 3;
	if (ver >= 6) {
		r->topics_cnt = n;
		r->topics = sm_arena_alloc_array(a, n, sizeof(*r->topics));
		for (int i = 0; i < n; i++) {
			r->topics[i].name = i == 2 ? NULL : S(a, "old", i);
			uuid_fill(r->topics[i].topic_id, i + 20);
		}
	} else {
		r->topic_names_cnt = n;
		r->topic_names = sm_arena_alloc_array(a, n, sizeof(*r->topic_names));
		for (int i = 0; i < n; i++)
			r->topic_names[i] = S(a, "old", i);
	}
	r->timeout_ms = 15000;
}

static void dt_req_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_delete_topics_req_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->timeout_ms, y->timeout_ms);
	CU_ASSERT_EQUAL_FATAL(x->topics_cnt, y->topics_cnt);
	for (int i = 0; i < x->topics_cnt; i++) {
		CK_STR(x->topics[i].name, y->topics[i].name);
		CK_UUID(x->topics[i].topic_id, y->topics[i].topic_id);
	}
	CU_ASSERT_EQUAL_FATAL(x->topic_names_cnt, y->topic_names_cnt);
	for (int i = 0; i < x->topic_names_cnt; i++)
		CK_STR(x->topic_names[i], y->topic_names[i]);
}

static void dt_resp_fill(sm_arena_t *a, int16_t ver, int variant, void *o)
{
	sm_delete_topics_resp_t *r = o;
	sm_delete_topics_resp_init(r);
	if (ver >= 1)
		r->throttle_time_ms = 5;
	r->responses_cnt = variant ? 0 : 2;
	r->responses = sm_arena_alloc_array(a, 2, sizeof(*r->responses));
	for (int i = 0; i < r->responses_cnt; i++) {
		sm_delete_topics_resp_response_t *t = &r->responses[i];
		t->name = (ver >= 6 && i) ? NULL : S(a, "old", i);
		if (ver >= 6)
			uuid_fill(t->topic_id, i + 40);
		t->error_code = (int16_t)(i ? 100 : 0);
		if (ver >= 5)
			t->error_message = i ? "unknown topic id" : NULL;
	}
}

static void dt_resp_cmp(int16_t ver, const void *xp, const void *yp)
{
	const sm_delete_topics_resp_t *x = xp, *y = yp;
	(void)ver;
	CU_ASSERT_EQUAL(x->throttle_time_ms, y->throttle_time_ms);
	CU_ASSERT_EQUAL_FATAL(x->responses_cnt, y->responses_cnt);
	for (int i = 0; i < x->responses_cnt; i++) {
		CK_STR(x->responses[i].name, y->responses[i].name);
		CK_UUID(x->responses[i].topic_id, y->responses[i].topic_id);
		CU_ASSERT_EQUAL(x->responses[i].error_code, y->responses[i].error_code);
		CK_STR(x->responses[i].error_message, y->responses[i].error_message);
	}
}

/* Typed codec functions adapted to the harness's void * signatures. */
CODEC_GLUE(av_req, sm_api_versions_req, sm_api_versions_req_t)
CODEC_GLUE(av_resp, sm_api_versions_resp, sm_api_versions_resp_t)
CODEC_GLUE(md_req, sm_metadata_req, sm_metadata_req_t)
CODEC_GLUE(md_resp, sm_metadata_resp, sm_metadata_resp_t)
CODEC_GLUE(ct_req, sm_create_topics_req, sm_create_topics_req_t)
CODEC_GLUE(ct_resp, sm_create_topics_resp, sm_create_topics_resp_t)
CODEC_GLUE(dt_req, sm_delete_topics_req, sm_delete_topics_req_t)
CODEC_GLUE(dt_resp, sm_delete_topics_resp, sm_delete_topics_resp_t)

#define CODEC(pfx, label, maxv, type)                                                   \
	{ .name = label, .max_ver = maxv, .size = sizeof(type), .fill = pfx##_fill,      \
	  .write = pfx##_write, .read = pfx##_read, .cmp = pfx##_cmp }

static const codec_t codecs[] = {
	CODEC(av_req, "ApiVersionsRequest", 3, sm_api_versions_req_t),
	CODEC(av_resp, "ApiVersionsResponse", 3, sm_api_versions_resp_t),
	CODEC(md_req, "MetadataRequest", 11, sm_metadata_req_t),
	CODEC(md_resp, "MetadataResponse", 11, sm_metadata_resp_t),
	CODEC(ct_req, "CreateTopicsRequest", 7, sm_create_topics_req_t),
	CODEC(ct_resp, "CreateTopicsResponse", 7, sm_create_topics_resp_t),
	CODEC(dt_req, "DeleteTopicsRequest", 6, sm_delete_topics_req_t),
	CODEC(dt_resp, "DeleteTopicsResponse", 6, sm_delete_topics_resp_t),
};

static void test_rt_api_versions(void)
{
	roundtrip_all(&codecs[0]);
	roundtrip_all(&codecs[1]);
}

static void test_rt_metadata(void)
{
	roundtrip_all(&codecs[2]);
	roundtrip_all(&codecs[3]);
}

static void test_rt_create_topics(void)
{
	roundtrip_all(&codecs[4]);
	roundtrip_all(&codecs[5]);
}

static void test_rt_delete_topics(void)
{
	roundtrip_all(&codecs[6]);
	roundtrip_all(&codecs[7]);
}

/* The top version of each codec matches the 2.8 table. */
static void test_versions_match_table(void)
{
	static const int16_t keys[] = { SM_API_API_VERSIONS, SM_API_API_VERSIONS, SM_API_METADATA,
					SM_API_METADATA, SM_API_CREATE_TOPICS, SM_API_CREATE_TOPICS,
					SM_API_DELETE_TOPICS, SM_API_DELETE_TOPICS };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		CU_ASSERT_EQUAL(codecs[i].max_ver, sm_proto_api(keys[i])->max_ver);
}

/* ---- known encodings ---- */

static void ck_bytes(const sm_wbuf_t *w, const uint8_t *exp, size_t n)
{
	CU_ASSERT_EQUAL(w->len, n);
	CU_ASSERT(w->len == n && memcmp(w->p, exp, n) == 0);
}

/* The librdkafka ApiVersions v3 request frame of PROTOCOL.md section 4. */
static const uint8_t av3_frame[] = {
	0x00, 0x00, 0x00, 0x24, 0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x07, 'r', 'd', 'k', 'a', 'f', 'k', 'a', 0x00,
	0x0b, 'l', 'i', 'b', 'r', 'd', 'k', 'a', 'f', 'k', 'a',
	0x06, '2', '.', '3', '.', '0', 0x00,
};

static void test_known_api_versions_v3_request(void)
{
	sm_arena_t a;
	sm_rbuf_t rb;
	sm_req_header_t h;
	sm_api_versions_req_t req;
	sm_wbuf_t w;

	sm_arena_init(&a);
	CU_ASSERT_EQUAL(sm_be32(av3_frame), sizeof(av3_frame) - 4);
	sm_rbuf_init(&rb, av3_frame + 4, sizeof(av3_frame) - 4);
	CU_ASSERT_EQUAL_FATAL(sm_proto_req_header_read(&rb, &a, &h), 0);
	CU_ASSERT_EQUAL(h.api_key, SM_API_API_VERSIONS);
	CU_ASSERT_EQUAL(h.api_version, 3);
	CU_ASSERT_EQUAL(h.correlation_id, 1);
	CU_ASSERT_EQUAL(h.header_version, 2);
	CU_ASSERT_STRING_EQUAL(h.client_id, "rdkafka");
	CU_ASSERT_EQUAL_FATAL(sm_api_versions_req_read(&rb, h.api_version, &a, &req), 0);
	CU_ASSERT_EQUAL(sm_rbuf_remaining(&rb), 0);
	CU_ASSERT_STRING_EQUAL(req.client_software_name, "librdkafka");
	CU_ASSERT_STRING_EQUAL(req.client_software_version, "2.3.0");
	CU_ASSERT(sm_api_versions_valid_software(req.client_software_name));
	CU_ASSERT(sm_api_versions_valid_software(req.client_software_version));

	sm_wbuf_init(&w, 16);
	size_t at = sm_wbuf_reserve(&w, 4);
	sm_proto_req_header_write(&w, &h);
	sm_api_versions_req_write(&w, 3, &req);
	sm_wbuf_patch_i32(&w, at, (int32_t)(w.len - 4));
	ck_bytes(&w, av3_frame, sizeof(av3_frame));
	sm_wbuf_free(&w);
	sm_arena_destroy(&a);
}

/* PROTOCOL.md 2.4: a too-new ApiVersions gets a v0 body (header v0) with
 * UNSUPPORTED_VERSION and only the ApiVersions entry. */
static void test_known_api_versions_fallback(void)
{
	static const uint8_t exp[] = { 0x00, 0x00, 0x00, 0x07, /* correlation id */
				       0x00, 0x23, 0x00, 0x00, 0x00, 0x01,
				       0x00, 0x12, 0x00, 0x00, 0x00, 0x03 };
	sm_api_versions_resp_api_key_t key = { SM_API_API_VERSIONS, 0, 3 };
	sm_api_versions_resp_t r;
	sm_wbuf_t w;

	sm_api_versions_resp_init(&r);
	r.error_code = 35;
	r.api_keys = &key;
	r.api_keys_cnt = 1;
	sm_wbuf_init(&w, 16);
	sm_proto_resp_header_write(&w, SM_API_API_VERSIONS, 4, 7);
	sm_api_versions_resp_write(&w, 0, &r);
	ck_bytes(&w, exp, sizeof(exp));
	sm_wbuf_free(&w);
}

/* v3 response: ApiVersions entries carry tag sections; with all tagged
 * fields at their defaults the top-level section is the single byte 0. */
static void test_known_api_versions_v3_response(void)
{
	static const uint8_t plain[] = { 0x00, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00, 0x0b,
					 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
	static const uint8_t epoch[] = { 0x00, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00, 0x0b,
					 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x08,
					 0, 0, 0, 0, 0, 0, 0, 0x05 };
	sm_api_versions_resp_api_key_t key = { SM_API_METADATA, 0, 11 };
	sm_api_versions_resp_t r;
	sm_wbuf_t w;

	sm_api_versions_resp_init(&r);
	r.api_keys = &key;
	r.api_keys_cnt = 1;
	sm_wbuf_init(&w, 16);
	sm_api_versions_resp_write(&w, 3, &r);
	ck_bytes(&w, plain, sizeof(plain));
	sm_wbuf_reset(&w);
	r.finalized_features_epoch = 5;
	sm_api_versions_resp_write(&w, 3, &r);
	ck_bytes(&w, epoch, sizeof(epoch));
	sm_wbuf_free(&w);
}

static void test_known_metadata_requests(void)
{
	static const uint8_t v0_all[] = { 0, 0, 0, 0 };
	static const uint8_t v1_all[] = { 0xff, 0xff, 0xff, 0xff };
	/* topics, allow auto creation, include cluster ops (v8-10), include
	 * topic ops, tags */
	static const uint8_t v9_one[] = { 0x02, 0x02, 'a', 0x00, 0x01, 0x00, 0x00, 0x00 };
	sm_metadata_req_topic_t t = { { 0 }, "a" };
	sm_metadata_req_t r;
	sm_wbuf_t w;

	sm_metadata_req_init(&r);
	r.topics_cnt = -1;
	sm_wbuf_init(&w, 16);
	sm_metadata_req_write(&w, 0, &r);
	ck_bytes(&w, v0_all, sizeof(v0_all));
	sm_wbuf_reset(&w);
	sm_metadata_req_write(&w, 1, &r);
	ck_bytes(&w, v1_all, sizeof(v1_all));
	sm_wbuf_reset(&w);
	r.topics = &t;
	r.topics_cnt = 1;
	sm_metadata_req_write(&w, 9, &r);
	ck_bytes(&w, v9_one, sizeof(v9_one));
	sm_wbuf_free(&w);

	/* The "all topics" rule per version. */
	sm_metadata_req_t q;
	sm_metadata_req_init(&q);
	q.topics_cnt = 0;
	CU_ASSERT(sm_metadata_req_all_topics(&q, 0));
	CU_ASSERT(!sm_metadata_req_all_topics(&q, 1));
	q.topics_cnt = -1;
	CU_ASSERT(sm_metadata_req_all_topics(&q, 1));
	CU_ASSERT(sm_metadata_req_all_topics(&q, 11));
	q.topics_cnt = 2;
	CU_ASSERT(!sm_metadata_req_all_topics(&q, 0));
	CU_ASSERT(!sm_metadata_req_all_topics(&q, 11));
}

/* Absent fields read as their schema defaults. */
static void test_defaults_of_absent_fields(void)
{
	static const uint8_t md_v0_req[] = { 0, 0, 0, 0 };
	static const uint8_t md_v0_resp[] = { 0, 0, 0, 0, 0, 0, 0, 0 };
	sm_arena_t a;
	sm_rbuf_t rb;
	sm_metadata_req_t req;
	sm_metadata_resp_t resp;

	sm_arena_init(&a);
	sm_rbuf_init(&rb, md_v0_req, sizeof(md_v0_req));
	CU_ASSERT_EQUAL_FATAL(sm_metadata_req_read(&rb, 0, &a, &req), 0);
	CU_ASSERT_EQUAL(req.topics_cnt, 0);
	CU_ASSERT_EQUAL(req.allow_auto_topic_creation, 1);
	sm_rbuf_init(&rb, md_v0_resp, sizeof(md_v0_resp));
	CU_ASSERT_EQUAL_FATAL(sm_metadata_resp_read(&rb, 0, &a, &resp), 0);
	CU_ASSERT_EQUAL(resp.controller_id, -1);
	CU_ASSERT_PTR_NULL(resp.cluster_id);
	CU_ASSERT_EQUAL(resp.cluster_authorized_operations, INT32_MIN);

	static const uint8_t ct_v0_req[] = { 0, 0, 0, 0, 0, 0, 0x13, 0x88 };
	sm_create_topics_req_t ct;
	sm_rbuf_init(&rb, ct_v0_req, sizeof(ct_v0_req));
	CU_ASSERT_EQUAL_FATAL(sm_create_topics_req_read(&rb, 0, &a, &ct), 0);
	CU_ASSERT_EQUAL(ct.timeout_ms, 5000);
	CU_ASSERT_EQUAL(ct.validate_only, 0);
	sm_arena_destroy(&a);
}

static void test_known_create_topics_tag(void)
{
	/* v5 result with TopicConfigErrorCode = 29 in tag 0. */
	static const uint8_t exp[] = {
		0, 0, 0, 0,                /* throttle */
		0x02,                      /* 1 topic */
		0x02, 't',                 /* name */
		0x00, 0x1d,                /* error code 29 */
		0x00,                      /* error message null */
		0xff, 0xff, 0xff, 0xff,    /* partitions -1 */
		0xff, 0xff,                /* replication factor -1 */
		0x00,                      /* configs null */
		0x01, 0x00, 0x02, 0x00, 0x1d, /* tag 0, size 2, value 29 */
		0x00,                      /* top-level tags */
	};
	sm_create_topics_resp_topic_t t;
	sm_create_topics_resp_t r;
	sm_wbuf_t w;
	sm_arena_t a;
	sm_rbuf_t rb;

	sm_create_topics_resp_topic_init(&t);
	t.name = "t";
	t.error_code = 29;
	t.topic_config_error_code = 29;
	t.configs_cnt = -1;
	sm_create_topics_resp_init(&r);
	r.topics = &t;
	r.topics_cnt = 1;
	sm_wbuf_init(&w, 16);
	sm_create_topics_resp_write(&w, 5, &r);
	ck_bytes(&w, exp, sizeof(exp));
	sm_wbuf_free(&w);

	sm_arena_init(&a);
	sm_rbuf_init(&rb, exp, sizeof(exp));
	CU_ASSERT_EQUAL_FATAL(sm_create_topics_resp_read(&rb, 5, &a, &r), 0);
	CU_ASSERT_EQUAL(r.topics[0].topic_config_error_code, 29);
	CU_ASSERT_EQUAL(r.topics[0].configs_cnt, -1);
	CU_ASSERT_PTR_NULL(r.topics[0].error_message);
	sm_arena_destroy(&a);
}

static void test_known_delete_topics(void)
{
	static const uint8_t v4[] = { 0x02, 0x02, 'a', 0x00, 0x00, 0x03, 0xe8, 0x00 };
	static const uint8_t v0[] = { 0, 0, 0, 1, 0, 1, 'a', 0x00, 0x00, 0x03, 0xe8 };
	char *names[] = { "a" };
	sm_delete_topics_req_t r;
	sm_wbuf_t w;

	sm_delete_topics_req_init(&r);
	r.topic_names = names;
	r.topic_names_cnt = 1;
	r.timeout_ms = 1000;
	sm_wbuf_init(&w, 16);
	sm_delete_topics_req_write(&w, 4, &r);
	ck_bytes(&w, v4, sizeof(v4));
	sm_wbuf_reset(&w);
	sm_delete_topics_req_write(&w, 0, &r);
	ck_bytes(&w, v0, sizeof(v0));
	sm_wbuf_free(&w);
}

/* ---- tagged fields ---- */

static void test_unknown_tags_skipped(void)
{
	/* ApiVersions v3 request with unknown tags 5 and 9 in the body. */
	static const uint8_t req[] = { 0x02, 'k', 0x02, '1', 0x02, 0x05, 0x02, 0xab, 0xcd,
				       0x09, 0x00 };
	/* v3 response: epoch (tag 1) plus an unknown tag 6 and a known one
	 * nested inside an entry's own section. */
	static const uint8_t resp[] = { 0x00, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00, 0x0b,
					0x01, 0x04, 0x01, 0x7f, /* entry tag 4 skipped */
					0x00, 0x00, 0x00, 0x00,
					0x02, 0x01, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x2a,
					0x06, 0x03, 1, 2, 3 };
	sm_arena_t a;
	sm_rbuf_t rb;
	sm_api_versions_req_t q;
	sm_api_versions_resp_t r;

	sm_arena_init(&a);
	sm_rbuf_init(&rb, req, sizeof(req));
	CU_ASSERT_EQUAL(sm_api_versions_req_read(&rb, 3, &a, &q), 0);
	CU_ASSERT_EQUAL(sm_rbuf_remaining(&rb), 0);
	CU_ASSERT_STRING_EQUAL(q.client_software_name, "k");
	sm_rbuf_init(&rb, resp, sizeof(resp));
	CU_ASSERT_EQUAL_FATAL(sm_api_versions_resp_read(&rb, 3, &a, &r), 0);
	CU_ASSERT_EQUAL(sm_rbuf_remaining(&rb), 0);
	CU_ASSERT_EQUAL(r.api_keys_cnt, 1);
	CU_ASSERT_EQUAL(r.api_keys[0].max_version, 11);
	CU_ASSERT_EQUAL(r.finalized_features_epoch, 42);
	CU_ASSERT_EQUAL(r.supported_features_cnt, 0);

	/* A known tag whose value is shorter than its type must fail. */
	static const uint8_t bad[] = { 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
				       0x01, 0x01, 0x02, 0x00, 0x01 };
	sm_rbuf_init(&rb, bad, sizeof(bad));
	CU_ASSERT_EQUAL(sm_api_versions_resp_read(&rb, 3, &a, &r), -1);
	sm_arena_destroy(&a);
}

/* ---- hostile input ---- */

static void test_hostile_counts(void)
{
	static const uint8_t huge_classic[] = { 0x7f, 0xff, 0xff, 0xff, 0, 0 };
	static const uint8_t huge_compact[] = { 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0 };
	static const uint8_t neg[] = { 0xff, 0xff, 0xff, 0xfe };
	static const uint8_t null_v0[] = { 0xff, 0xff, 0xff, 0xff };
	static const uint8_t long_varint[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 };
	sm_arena_t a;
	sm_rbuf_t rb;
	sm_metadata_req_t mq;
	sm_metadata_resp_t mr;
	sm_create_topics_req_t cq;
	sm_delete_topics_req_t dq;

	sm_arena_init(&a);
	sm_rbuf_init(&rb, huge_classic, sizeof(huge_classic));
	CU_ASSERT_EQUAL(sm_metadata_req_read(&rb, 1, &a, &mq), -1);
	sm_rbuf_init(&rb, huge_classic, sizeof(huge_classic));
	CU_ASSERT_EQUAL(sm_create_topics_req_read(&rb, 0, &a, &cq), -1);
	sm_rbuf_init(&rb, huge_compact, sizeof(huge_compact));
	CU_ASSERT_EQUAL(sm_metadata_req_read(&rb, 9, &a, &mq), -1);
	sm_rbuf_init(&rb, huge_compact, sizeof(huge_compact));
	CU_ASSERT_EQUAL(sm_delete_topics_req_read(&rb, 6, &a, &dq), -1);
	sm_rbuf_init(&rb, neg, sizeof(neg));
	CU_ASSERT_EQUAL(sm_metadata_req_read(&rb, 1, &a, &mq), -1);
	/* Null is legal from v1 only. */
	sm_rbuf_init(&rb, null_v0, sizeof(null_v0));
	CU_ASSERT_EQUAL(sm_metadata_req_read(&rb, 0, &a, &mq), -1);
	sm_rbuf_init(&rb, null_v0, sizeof(null_v0));
	CU_ASSERT_EQUAL(sm_metadata_req_read(&rb, 1, &a, &mq), 0);
	CU_ASSERT_EQUAL(mq.topics_cnt, -1);
	/* Non-nullable arrays and strings reject null. */
	sm_rbuf_init(&rb, null_v0, sizeof(null_v0));
	CU_ASSERT_EQUAL(sm_metadata_resp_read(&rb, 0, &a, &mr), -1);
	static const uint8_t null_name[] = { 0, 0, 0, 1, 0xff, 0xff, 0, 0, 0, 0 };
	sm_rbuf_init(&rb, null_name, sizeof(null_name));
	CU_ASSERT_EQUAL(sm_delete_topics_req_read(&rb, 0, &a, &dq), -1);
	/* Over-long varint. */
	sm_rbuf_init(&rb, long_varint, sizeof(long_varint));
	CU_ASSERT_EQUAL(sm_metadata_req_read(&rb, 9, &a, &mq), -1);
	/* A huge partition count nested inside a topic. */
	static const uint8_t nested[] = { 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 'x',
					  0x7f, 0xff, 0xff, 0xff };
	sm_rbuf_init(&rb, nested, sizeof(nested));
	CU_ASSERT_EQUAL(sm_metadata_resp_read(&rb, 0, &a, &mr), -1);
	sm_arena_destroy(&a);
}

/* Random bytes must never crash a reader (run under the sanitizers). */
static void test_random_bytes(void)
{
	uint32_t seed = 12345;
	uint8_t buf[64];
	uint8_t out[512];
	sm_arena_t a;
	sm_rbuf_t rb;

	sm_arena_init(&a);
	for (int iter = 0; iter < 3000; iter++) {
		for (size_t i = 0; i < sizeof(buf); i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (uint8_t)(seed >> 16);
		}
		/* Small counts make deep parses likely. */
		if (iter & 1)
			buf[0] = buf[1] = buf[2] = 0;
		const codec_t *c = &codecs[(size_t)iter % (sizeof(codecs) / sizeof(codecs[0]))];
		for (int16_t v = 0; v <= c->max_ver; v++) {
			sm_rbuf_init(&rb, buf, (size_t)(seed % sizeof(buf)));
			(void)c->read(&rb, v, &a, out);
			CU_ASSERT(rb.pos <= rb.len);
		}
	}
	sm_arena_destroy(&a);
}

static void test_valid_software(void)
{
	CU_ASSERT(sm_api_versions_valid_software("apache-kafka-java"));
	CU_ASSERT(sm_api_versions_valid_software("2.8.2"));
	CU_ASSERT(sm_api_versions_valid_software("a"));
	CU_ASSERT(sm_api_versions_valid_software("confluent-kafka-python"));
	CU_ASSERT(sm_api_versions_valid_software("1.9.2-RC1"));
	CU_ASSERT(!sm_api_versions_valid_software(""));
	CU_ASSERT(!sm_api_versions_valid_software(NULL));
	CU_ASSERT(!sm_api_versions_valid_software("-a"));
	CU_ASSERT(!sm_api_versions_valid_software("a."));
	CU_ASSERT(!sm_api_versions_valid_software("a b"));
	CU_ASSERT(!sm_api_versions_valid_software("kafka_python"));
	CU_ASSERT(!sm_api_versions_valid_software("x/y"));
}

int main(void)
{
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("msg_admin", NULL, NULL);
	CU_add_test(s, "ApiVersions round trip, all versions", test_rt_api_versions);
	CU_add_test(s, "Metadata round trip, all versions", test_rt_metadata);
	CU_add_test(s, "CreateTopics round trip, all versions", test_rt_create_topics);
	CU_add_test(s, "DeleteTopics round trip, all versions", test_rt_delete_topics);
	CU_add_test(s, "codec ranges match the API table", test_versions_match_table);
	CU_add_test(s, "ApiVersions v3 request frame", test_known_api_versions_v3_request);
	CU_add_test(s, "ApiVersions v0 fallback response", test_known_api_versions_fallback);
	CU_add_test(s, "ApiVersions v3 response tags", test_known_api_versions_v3_response);
	CU_add_test(s, "Metadata request encodings", test_known_metadata_requests);
	CU_add_test(s, "defaults of absent fields", test_defaults_of_absent_fields);
	CU_add_test(s, "CreateTopics v5 tagged error", test_known_create_topics_tag);
	CU_add_test(s, "DeleteTopics encodings", test_known_delete_topics);
	CU_add_test(s, "unknown tags skipped", test_unknown_tags_skipped);
	CU_add_test(s, "hostile counts", test_hostile_counts);
	CU_add_test(s, "random bytes", test_random_bytes);
	CU_add_test(s, "client software validation", test_valid_software);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
