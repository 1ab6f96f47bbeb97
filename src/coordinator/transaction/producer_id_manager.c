/*
 * producer_id_manager.c - producer id blocks from /latest_producer_id_block
 * (Kafka 2.8's ProducerIdManager). Claim loop: read the node and its
 * zkVersion; the new block follows the one it holds (or starts at 0 when the
 * node is empty or missing); write it back conditionally on that version. A
 * lost race (BADVERSION) re-reads, unless the node now holds exactly the
 * block this broker wrote (a retried write that had landed).
 */
#include "producer_id_manager.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "logger.h"
#include "zk_data.h"

#define SM_PID_LOGGER "kafka.coordinator.transaction.ProducerIdManager"
#define SM_PID_CLAIM_ATTEMPTS 20

struct sm_pid_manager {
	sm_zk_t *zk;
	int32_t broker_id;
	pthread_mutex_t lock;
	int64_t next;  /* next id to hand out */
	int64_t end;   /* last id of the current block; next > end: none left */
};

/* One claim; mutex held. */
static sm_err_t sm_pid_claim(sm_pid_manager_t *m)
{
	for (int attempt = 0; attempt < SM_PID_CLAIM_ATTEMPTS; attempt++) {
		char *data = NULL;
		size_t len = 0;
		sm_zk_stat_t st;
		sm_err_t e = sm_zk_get(m->zk, SM_PID_BLOCK_ZNODE, 0, &data, &len, &st);
		if (e == SM_ERR__NOENT) {
			e = sm_zk_create(m->zk, SM_PID_BLOCK_ZNODE, NULL, 0, SM_ZK_PERSISTENT, NULL);
			free(data);
			if (e && e != SM_ERR__EXISTS)
				return e;
			continue;
		}
		if (e) {
			free(data);
			return e;
		}
		int64_t start = 0;
		if (len > 0) {
			int32_t owner;
			int64_t s0, e0;
			char err[256];
			if (sm_zk_producer_id_block_decode(data, len, &owner, &s0, &e0, err,
							   sizeof(err))) {
				sm_log_error(NULL, SM_PID_LOGGER, "Cannot claim a producer id block: "
					     "%s holds garbage (%s)", SM_PID_BLOCK_ZNODE, err);
				free(data);
				return SM_ERR__PARSE;
			}
			if (e0 > INT64_MAX - SM_PID_BLOCK_SIZE) {
				sm_log_error(NULL, SM_PID_LOGGER, "Cluster has exhausted all producer ids");
				free(data);
				return SM_ERR__STATE;
			}
			start = e0 + 1;
		}
		free(data);
		int64_t end = start + SM_PID_BLOCK_SIZE - 1;
		char *json = sm_zk_producer_id_block_encode(m->broker_id, start, end);
		e = sm_zk_set(m->zk, SM_PID_BLOCK_ZNODE, json, strlen(json), st.version, NULL);
		if (e == SM_ERR__BADVERSION) {
			/* lost the race, or our own earlier write landed */
			char *now = NULL;
			size_t nlen = 0;
			int mine = sm_zk_get(m->zk, SM_PID_BLOCK_ZNODE, 0, &now, &nlen, NULL) == 0 &&
				   nlen == strlen(json) && !memcmp(now, json, nlen);
			free(now);
			if (mine)
				e = SM_ERR_NONE;
		}
		free(json);
		if (!e) {
			m->next = start;
			m->end = end;
			sm_log_info(NULL, SM_PID_LOGGER, "Acquired new producerId block "
				    "(brokerId:%d,blockStartProducerId:%" PRId64 ",blockEndProducerId:%"
				    PRId64 ") by writing to Zk with path version %d", m->broker_id,
				    start, end, st.version + 1);
			return SM_ERR_NONE;
		}
		if (e != SM_ERR__BADVERSION && e != SM_ERR__NOENT)
			return e;
	}
	return SM_ERR__BADVERSION;
}

sm_pid_manager_t *sm_pid_manager_new(sm_zk_t *zk, int32_t broker_id)
{
	sm_pid_manager_t *m = sm_calloc(1, sizeof(*m));
	m->zk = zk;
	m->broker_id = broker_id;
	m->next = 0;
	m->end = -1;
	pthread_mutex_init(&m->lock, NULL);
	pthread_mutex_lock(&m->lock);
	sm_err_t e = sm_pid_claim(m);
	pthread_mutex_unlock(&m->lock);
	if (e)
		sm_log_warn(NULL, SM_PID_LOGGER, "Could not claim a producer id block at startup "
			    "(%s); retrying on the first InitProducerId", sm_err_name(e));
	return m;
}

void sm_pid_manager_destroy(sm_pid_manager_t *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m);
}

sm_err_t sm_pid_manager_next(sm_pid_manager_t *m, int64_t *pid)
{
	pthread_mutex_lock(&m->lock);
	sm_err_t e = SM_ERR_NONE;
	if (m->next > m->end)
		e = sm_pid_claim(m);
	if (!e)
		*pid = m->next++;
	pthread_mutex_unlock(&m->lock);
	if (e)
		sm_log_warn(NULL, SM_PID_LOGGER, "Failed to claim a producer id block: %s",
			    sm_err_name(e));
	return e ? SM_ERR_COORDINATOR_NOT_AVAILABLE : SM_ERR_NONE;
}
