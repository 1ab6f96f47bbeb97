/*
 * fuzz_zk_data.c - libFuzzer harness for every znode decoder: what the
 * broker and the controller read from ZooKeeper, which anyone with write
 * access to the ensemble (or an older/newer Kafka) may have written.
 *
 * Input: one selector byte, then the znode data. The selector (mod the
 * number of decoders) picks the znode type. A value that decodes is encoded
 * again and must decode again: what the broker writes back it must be able
 * to read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kafka_zk.h"
#include "zk_data.h"

#define SM_FUZZ_ZK_CNT 15

static void sm_fuzz_must(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_zk_data: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *json = (const char *)data + 1;
	size_t len = size - 1;
	char err[256];
	char *enc;
	switch (data[0] % SM_FUZZ_ZK_CNT) {
	case 0: {
		sm_zk_broker_info_t b;
		memset(&b, 0, sizeof(b));
		if (sm_zk_broker_decode(json, len, &b, err, sizeof(err)) == SM_ERR_NONE) {
			enc = sm_zk_broker_encode(&b);
			sm_zk_broker_info_t b2;
			memset(&b2, 0, sizeof(b2));
			sm_fuzz_must(sm_zk_broker_decode(enc, strlen(enc), &b2, err, sizeof(err)) ==
					     SM_ERR_NONE &&
				     b2.n_endpoints == b.n_endpoints,
				     "broker registration does not round-trip");
			sm_zk_broker_clear(&b2);
			free(enc);
		}
		sm_zk_broker_clear(&b);
		break;
	}
	case 1: {
		int32_t id;
		(void)sm_zk_controller_decode(json, len, &id, err, sizeof(err));
		break;
	}
	case 2: {
		int32_t epoch;
		(void)sm_zk_controller_epoch_decode(json, len, &epoch, err, sizeof(err));
		break;
	}
	case 3: {
		sm_zk_topic_assignment_t t;
		memset(&t, 0, sizeof(t));
		if (sm_zk_topic_decode(json, len, &t, err, sizeof(err)) == SM_ERR_NONE) {
			enc = sm_zk_topic_encode(&t);
			sm_zk_topic_assignment_t t2;
			memset(&t2, 0, sizeof(t2));
			sm_fuzz_must(sm_zk_topic_decode(enc, strlen(enc), &t2, err, sizeof(err)) ==
					     SM_ERR_NONE &&
				     t2.n_partitions == t.n_partitions,
				     "topic assignment does not round-trip");
			for (int i = 0; i < t.n_partitions; i++)
				(void)sm_zk_topic_find(&t, t.partitions[i].partition);
			sm_zk_topic_clear(&t2);
			free(enc);
		}
		sm_zk_topic_clear(&t);
		break;
	}
	case 4: {
		sm_zk_partition_state_t st;
		memset(&st, 0, sizeof(st));
		if (sm_zk_partition_state_decode(json, len, &st, err, sizeof(err)) == SM_ERR_NONE) {
			enc = sm_zk_partition_state_encode(&st);
			sm_zk_partition_state_t st2;
			memset(&st2, 0, sizeof(st2));
			sm_fuzz_must(sm_zk_partition_state_decode(enc, strlen(enc), &st2, err,
								  sizeof(err)) == SM_ERR_NONE &&
					     st2.n_isr == st.n_isr && st2.leader == st.leader,
				     "partition state does not round-trip");
			sm_zk_partition_state_clear(&st2);
			free(enc);
		}
		sm_zk_partition_state_clear(&st);
		break;
	}
	case 5: {
		char *id = NULL;
		if (sm_zk_cluster_id_decode(json, len, &id, err, sizeof(err)) == SM_ERR_NONE)
			free(id);
		break;
	}
	case 6: {
		sm_zk_config_t c;
		memset(&c, 0, sizeof(c));
		if (sm_zk_config_decode(json, len, &c, err, sizeof(err)) == SM_ERR_NONE) {
			enc = sm_zk_config_encode(&c);
			sm_zk_config_t c2;
			memset(&c2, 0, sizeof(c2));
			sm_fuzz_must(sm_zk_config_decode(enc, strlen(enc), &c2, err, sizeof(err)) ==
					     SM_ERR_NONE,
				     "config does not round-trip");
			sm_zk_config_clear(&c2);
			free(enc);
		}
		sm_zk_config_clear(&c);
		break;
	}
	case 7: {
		char *path = NULL;
		if (sm_zk_config_change_decode(json, len, &path, err, sizeof(err)) == SM_ERR_NONE)
			free(path);
		break;
	}
	case 8: {
		sm_zk_topic_partition_t *tps = NULL;
		int n = 0;
		if (sm_zk_isr_change_decode(json, len, &tps, &n, err, sizeof(err)) == SM_ERR_NONE)
			sm_zk_topic_partitions_free(tps, n);
		break;
	}
	case 9: {
		int32_t broker;
		(void)sm_zk_log_dir_event_decode(json, len, &broker, err, sizeof(err));
		break;
	}
	case 10: {
		sm_kzk_reassignment_t *r = NULL;
		int n = 0;
		if (sm_kzk_reassignment_decode(json, len, &r, &n, err, sizeof(err)) == SM_ERR_NONE)
			sm_kzk_reassignments_free(r, n);
		break;
	}
	case 11:
	case 12: {
		/* Strings inside znodes: listener endpoints and topic ids. */
		char *s = malloc(len + 1);
		memcpy(s, json, len);
		s[len] = 0;
		if (data[0] % SM_FUZZ_ZK_CNT == 11) {
			char *l = NULL, *h = NULL;
			int32_t port;
			if (sm_zk_parse_endpoint(s, &l, &h, &port) == 0) {
				free(l);
				free(h);
			}
		} else {
			uint8_t id[16];
			(void)sm_uuid_from_b64(s, id);
		}
		free(s);
		break;
	}
	case 13: {
		sm_zk_acl_t *acls = NULL;
		int n = 0;
		if (sm_zk_acls_decode(json, len, &acls, &n, err, sizeof(err)) == SM_ERR_NONE) {
			enc = sm_zk_acls_encode(acls, n);
			sm_zk_acl_t *acls2 = NULL;
			int n2 = 0;
			sm_fuzz_must(sm_zk_acls_decode(enc, strlen(enc), &acls2, &n2, err,
						       sizeof(err)) == SM_ERR_NONE && n2 == n,
				     "ACL znode does not round-trip");
			sm_zk_acls_free(acls2, n2);
			free(enc);
			sm_zk_acls_free(acls, n);
		}
		break;
	}
	case 14: {
		/* the selector's next bit picks the literal or extended form */
		int pattern, type;
		char *name = NULL;
		if (sm_zk_acl_change_decode((data[0] / SM_FUZZ_ZK_CNT) & 1, json, len, &pattern,
					    &type, &name, err, sizeof(err)) == SM_ERR_NONE) {
			char *path = sm_zkpath_acl(pattern, type, name);
			free(path);
		}
		free(name);
		break;
	}
	}
	return 0;
}
