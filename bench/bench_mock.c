/*
 * bench_mock.c - librdkafka's in-memory mock cluster in a process of its
 * own, as the anchor of bench/vs_mock.py:
 *
 *   bench_mock TOPIC PARTITIONS [BROKERS]
 *
 * starts a mock cluster of BROKERS (default 1) brokers, creates TOPIC with
 * PARTITIONS partitions (replication factor 1), prints the cluster's
 * bootstrap servers on one line and serves until its standard input
 * closes. The mock keeps records in memory (a bounded tail per partition),
 * writes nothing to disk and answers acks=all like acks=1: it is the floor
 * of the client, the loopback and the scheduler, not a broker. Run in its
 * own process, its CPU time can be read from /proc like a broker's, and the
 * perf tools reach it over loopback as they reach Samsa.
 *
 * Thread-safety: the main thread only waits; the mock's threads are
 * librdkafka's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

int main(int argc, char **argv)
{
	char err[256], line[64];
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mc;
	rd_kafka_resp_err_t e;
	int parts, brokers;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: %s TOPIC PARTITIONS [BROKERS]\n", argv[0]);
		return 2;
	}
	parts = atoi(argv[2]);
	brokers = argc == 4 ? atoi(argv[3]) : 1;
	if (parts < 1 || brokers < 1) {
		fprintf(stderr, "%s: PARTITIONS and BROKERS must be positive\n", argv[0]);
		return 2;
	}
	/* The mock cluster needs a client instance to live in; it is
	 * never used to produce. */
	conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "%s: %s\n", argv[0], err);
		return 1;
	}
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "%s: %s\n", argv[0], err);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, brokers);
	if (!mc) {
		fprintf(stderr, "%s: cannot start a mock cluster\n", argv[0]);
		rd_kafka_destroy(rk);
		return 1;
	}
	e = rd_kafka_mock_topic_create(mc, argv[1], parts, 1);
	if (e) {
		fprintf(stderr, "%s: cannot create %s: %s\n", argv[0], argv[1], rd_kafka_err2str(e));
		rd_kafka_mock_cluster_destroy(mc);
		rd_kafka_destroy(rk);
		return 1;
	}
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
