/*
 * txn_markers_send.c - drives the transaction marker channel
 * (src/coordinator/transaction/txn_marker_channel.h) against real brokers, the way the transaction
 * coordinator will: a metadata cache fed one UpdateMetadata built from the
 * command line, then one sm_txn_marker_channel_send per --txn, all at once.
 * Prints "txn PID ERROR_NAME" per transaction in command-line order once
 * every callback has run.
 *
 * Usage: txn_markers_send [--ibp VERSION] [--listener NAME]
 *          --broker ID:HOST:PORT ...  --leader TOPIC:PARTITION:LEADER ...
 *          --txn PID:EPOCH:COORD_EPOCH:commit|abort:TOPIC:PARTITION[,TOPIC:PARTITION...] ...
 * Exits 0 when every callback ran, 2 if some did not within 120 s, 1 on
 * bad arguments.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "logger.h"
#include "metadata_cache.h"
#include "msg_update_metadata.h"
#include "txn_marker_channel.h"

#define MAX_ITEMS 64

typedef struct txn {
	int64_t pid;
	int16_t epoch;
	int32_t coord_epoch;
	int commit;
	sm_txn_tp_t tps[MAX_ITEMS];
	size_t n;
	int done;
	sm_err_t err;
} txn_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;

static void on_done(void *opaque, sm_err_t e)
{
	txn_t *t = opaque;
	pthread_mutex_lock(&lock);
	t->done = 1;
	t->err = e;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

static int usage(const char *why)
{
	fprintf(stderr, "txn_markers_send: %s\n", why);
	return 1;
}

/* Splits s at the last ':' into head (s, modified) and an integer. */
static int split_int(char *s, long *v)
{
	char *c = strrchr(s, ':'), *end;
	if (!c)
		return -1;
	*c = '\0';
	*v = strtol(c + 1, &end, 10);
	return *end ? -1 : 0;
}

int main(int argc, char **argv)
{
	static sm_update_metadata_req_live_broker_t lb[MAX_ITEMS];
	static sm_update_metadata_req_endpoint_t ep[MAX_ITEMS];
	static sm_update_metadata_req_partition_state_t ps[MAX_ITEMS];
	static int32_t replicas[MAX_ITEMS];
	static txn_t txns[MAX_ITEMS];
	sm_update_metadata_req_t req;
	int nb = 0, np = 0, nt = 0;
	const char *ibp = NULL, *listener = "PLAINTEXT";

	memset(&req, 0, sizeof(req));
	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			return usage("option without a value");
		char *v = argv[++i];
		long x;
		if (!strcmp(argv[i - 1], "--ibp")) {
			ibp = v;
		} else if (!strcmp(argv[i - 1], "--listener")) {
			listener = v;
		} else if (!strcmp(argv[i - 1], "--broker")) {
			long id;
			int off = 0;
			if (nb == MAX_ITEMS || split_int(v, &x) || sscanf(v, "%ld:%n", &id, &off) != 1 ||
			    !off)
				return usage("bad --broker");
			ep[nb].host = v + off;
			ep[nb].port = (int32_t)x;
			ep[nb].listener = (char *)listener;
			lb[nb].id = (int32_t)id;
			lb[nb].endpoints = &ep[nb];
			lb[nb].endpoints_cnt = 1;
			nb++;
		} else if (!strcmp(argv[i - 1], "--leader")) {
			long part;
			if (np == MAX_ITEMS || split_int(v, &x) || split_int(v, &part))
				return usage("bad --leader");
			replicas[np] = (int32_t)x;
			ps[np].topic_name = v;
			ps[np].partition_index = (int32_t)part;
			ps[np].controller_epoch = 1;
			ps[np].leader = (int32_t)x;
			ps[np].isr = &replicas[np];
			ps[np].isr_cnt = 1;
			ps[np].replicas = &replicas[np];
			ps[np].replicas_cnt = 1;
			np++;
		} else if (!strcmp(argv[i - 1], "--txn")) {
			txn_t *t = &txns[nt];
			char res[8];
			int off = 0;
			if (nt == MAX_ITEMS ||
			    sscanf(v, "%" SCNd64 ":%" SCNd16 ":%" SCNd32 ":%7[a-z]:%n", &t->pid,
				   &t->epoch, &t->coord_epoch, res, &off) != 4 || !off)
				return usage("bad --txn");
			t->commit = !strcmp(res, "commit");
			for (char *tp = strtok(v + off, ","); tp; tp = strtok(NULL, ",")) {
				if (t->n == MAX_ITEMS || split_int(tp, &x))
					return usage("bad --txn partition");
				t->tps[t->n].topic = tp;
				t->tps[t->n].partition = (int32_t)x;
				t->n++;
			}
			nt++;
		} else {
			return usage("unknown option");
		}
	}
	/* --listener may come after --broker. */
	for (int i = 0; i < nb; i++)
		ep[i].listener = (char *)listener;
	sm_logger_init(NULL, SM_LOG_INFO, 1);
	req.controller_id = lb[0].id;
	req.controller_epoch = 1;
	req.live_brokers = lb;
	req.live_brokers_cnt = nb;
	req.ungrouped_partition_states = ps;
	req.ungrouped_partition_states_cnt = np;
	sm_metadata_cache_t *mc = sm_metadata_cache_new(-1);
	if (sm_metadata_cache_update(mc, &req) != SM_ERR_NONE)
		return usage("metadata refused");
	sm_txn_marker_channel_t *ch = sm_txn_marker_channel_new(-1, mc);
	sm_txn_marker_channel_configure(ch, listener, ibp, 0);
	for (int i = 0; i < nt; i++)
		sm_txn_marker_channel_send(ch, txns[i].pid, txns[i].epoch, txns[i].coord_epoch, 0,
					   txns[i].commit, txns[i].tps, txns[i].n, on_done, &txns[i]);

	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 120;
	int all = 0, rc = 0;
	pthread_mutex_lock(&lock);
	while (!all && rc == 0) {
		all = 1;
		for (int i = 0; i < nt; i++)
			all = all && txns[i].done;
		if (!all)
			rc = pthread_cond_timedwait(&cond, &lock, &ts);
	}
	pthread_mutex_unlock(&lock);
	if (!all) {
		fprintf(stderr, "txn_markers_send: callbacks still pending\n");
		/* Not destroyed: its callbacks would report NOT_COORDINATOR. */
		return 2;
	}
	for (int i = 0; i < nt; i++)
		printf("txn %" PRId64 " %s\n", txns[i].pid, sm_err_name(txns[i].err));
	fflush(stdout);
	sm_txn_marker_channel_destroy(ch);
	sm_metadata_cache_destroy(mc);
	sm_logger_close();
	return 0;
}
