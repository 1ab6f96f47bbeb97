#!/bin/sh
# Runs the storage benchmarks and prints their table. Figures only: nothing
# here passes or fails. Rerun with:  make bench   (or sh bench/run.sh from a
# build directory). Volumes: SM_BENCH_MB (per append case, default 256),
# SM_BENCH_RECOVERY_MB (default 1024); scratch dir SM_BENCH_DIR (default
# ./bench-tmp, i.e. the build directory's disk).
set -e
BUILD=${SM_BENCH_BUILDDIR:-$(pwd)}
: "${SM_BENCH_DIR:=$BUILD/bench-tmp}"
export SM_BENCH_DIR
echo "== samsa storage benchmarks ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cpus)"
echo "== rerun: make bench  (SM_BENCH_MB=${SM_BENCH_MB:-256} SM_BENCH_RECOVERY_MB=${SM_BENCH_RECOVERY_MB:-1024})"
"$BUILD/bench/bench_log"
# Read path: Fetch through the broker's sendfile path vs a plain sendfile
# copy over loopback (ZooKeeper and one broker, about half a minute; see
# bench/README.md). SM_BENCH_FETCH=0 skips it; SM_BENCH_FETCH_MB sizes it.
if [ "${SM_BENCH_FETCH:-1}" != 0 ]; then
	SM_TOP_BUILDDIR="$BUILD" /usr/bin/python3 "$(dirname "$0")/fetch.py"
fi
# Controller failover (real ZooKeeper and brokers, a few minutes; see
# bench/README.md). SM_BENCH_CTRL=0 skips it.
if [ "${SM_BENCH_CTRL:-1}" != 0 ]; then
	SM_TOP_BUILDDIR="$BUILD" /usr/bin/python3 "$(dirname "$0")/controller_failover.py"
fi
# Topic creation: one topic of 1,000 and of 10,000 partitions created with
# kafka-topics.sh --bootstrap-server until every broker's Metadata shows a
# leader for each, with the time broken down (1 and 3 brokers, a few
# minutes; see bench/README.md). SM_BENCH_TOPIC=0 skips it;
# SM_BENCH_TOPIC_CASES picks the cases.
if [ "${SM_BENCH_TOPIC:-1}" != 0 ]; then
	SM_TOP_BUILDDIR="$BUILD" /usr/bin/python3 "$(dirname "$0")/topic_creation.py"
fi
# Many partitions: produce to 1,000 partitions against 1 partition with the
# producer perf tool, with the broker's CPU per record and records per
# request (one broker, about a minute; see bench/README.md).
# SM_BENCH_PARTS=0 skips it; SM_BENCH_PARTS_RECORDS sizes it.
if [ "${SM_BENCH_PARTS:-1}" != 0 ] && [ -x "$BUILD/tools/kafka-producer-perf-test" ]; then
	SM_TOP_BUILDDIR="$BUILD" /usr/bin/python3 "$(dirname "$0")/partitions_produce.py"
fi
# Idempotence: enable.idempotence=true against false with librdkafka's and
# the Java producer (one broker, about three minutes; see bench/README.md).
# SM_BENCH_IDEM=0 skips it; SM_BENCH_IDEM_RECORDS and _ROUNDS size it.
if [ "${SM_BENCH_IDEM:-1}" != 0 ] && [ -x "$BUILD/tools/kafka-producer-perf-test" ]; then
	SM_TOP_BUILDDIR="$BUILD" /usr/bin/python3 "$(dirname "$0")/idempotence.py"
fi
# Transactions: a transactional producer committing every 100 ms against
# an idempotent one (confluent-kafka, one broker, about a minute; see
# bench/README.md). SM_BENCH_TXN=0 skips it; SM_BENCH_TXN_SECS sizes it.
if [ "${SM_BENCH_TXN:-1}" != 0 ] && /usr/bin/python3 -c "import confluent_kafka" 2>/dev/null; then
	SM_TOP_BUILDDIR="$BUILD" /usr/bin/python3 "$(dirname "$0")/transactions.py"
fi
# Replication: acks=all at RF 3 vs acks=1 at RF 1 with the producer perf
# tool (3 brokers, about half a minute; see bench/README.md).
# SM_BENCH_REPL=0 skips it; SM_BENCH_REPL_RECORDS sizes it.
if [ "${SM_BENCH_REPL:-1}" != 0 ]; then
	if [ -x "$BUILD/tools/kafka-producer-perf-test" ]; then
		SM_TOP_BUILDDIR="$BUILD" /usr/bin/python3 "$(dirname "$0")/replication.py"
	else
		echo "== replication: skipped ($BUILD/tools/kafka-producer-perf-test not built; run make first)"
	fi
fi
# librdkafka's mock broker: produce throughput, CPU per GB and latency at
# 100,000 msg/s, one Samsa broker against the mock in a process of its own,
# with dd into a new file as the page cache's limit (a few minutes; see
# bench/README.md). SM_BENCH_MOCK=0 skips it; SM_BENCH_MOCK_MB and
# SM_BENCH_MOCK_ROUNDS size it, SM_BENCH_MOCK_RECYCLE=1 reuses freed pages.
if [ "${SM_BENCH_MOCK:-1}" != 0 ] && [ -x "$BUILD/tools/kafka-producer-perf-test" ]; then
	SM_TOP_BUILDDIR="$BUILD" /usr/bin/python3 "$(dirname "$0")/vs_mock.py"
fi
# TLS and SASL: producer and consumer perf tools over SSL, SASL_PLAINTEXT and
# SASL_SSL listeners vs PLAINTEXT on the same broker, interleaved (a few
# minutes; see bench/README.md). SM_BENCH_TLS=0 skips it;
# SM_BENCH_TLS_RECORDS and SM_BENCH_TLS_ROUNDS size it.
if [ "${SM_BENCH_TLS:-1}" != 0 ] && [ -x "$BUILD/tools/kafka-consumer-perf-test" ]; then
	SM_TOP_BUILDDIR="$BUILD" /usr/bin/python3 "$(dirname "$0")/tls.py"
fi
# Produce network path: system calls per MiB (strace -c) and broker CPU per
# GiB for a raw producer and librdkafka (one broker, a few minutes; see
# bench/README.md). SM_BENCH_SYSCALLS=0 skips it; SM_BENCH_PRODUCE_MB sizes
# it. Needs strace.
if [ "${SM_BENCH_SYSCALLS:-1}" != 0 ] && command -v strace >/dev/null 2>&1; then
	SM_TOP_SRCDIR="$(cd "$(dirname "$0")/.." && pwd)" SM_TOP_BUILDDIR="$BUILD" \
		/usr/bin/python3 "$(dirname "$0")/produce_syscalls.py"
fi
# Metrics: producer and consumer perf tools against a broker serving (and
# scraped on) metrics.listener vs one without it (two one-broker clusters,
# about a minute; see bench/README.md). SM_BENCH_METRICS=0 skips it;
# SM_BENCH_METRICS_RECORDS and SM_BENCH_METRICS_ROUNDS size it.
if [ "${SM_BENCH_METRICS:-1}" != 0 ] && [ -x "$BUILD/tools/kafka-consumer-perf-test" ]; then
	SM_TOP_BUILDDIR="$BUILD" /usr/bin/python3 "$(dirname "$0")/metrics_overhead.py"
fi
# Against Apache Kafka 3.9: the same workloads and perf tools on 3 Samsa and
# 3 Kafka brokers (kafka.Kafka through Maven), interleaved runs, Samsa's
# figures as ratios to Kafka's (several minutes; see bench/README.md).
# SM_BENCH_KAFKA=0 skips it; SM_BENCH_KAFKA_PAIRS and _RECORDS size it.
# It prints why it skips when Java, Maven or the Kafka jars are missing.
if [ "${SM_BENCH_KAFKA:-1}" != 0 ]; then
	SM_TOP_BUILDDIR="$BUILD" /usr/bin/python3 "$(dirname "$0")/vs_kafka.py"
fi
# Latency against rate: p50/p99/p99.9 at SM_BENCH_CURVE_RATES (default 1k,
# 5k, 20k, 50k, 100k msg/s, linger 0) for Samsa (acks=1 RF 1, acks=all RF 3),
# librdkafka's mock cluster and Kafka 3.9 (when Maven provides it), one
# interleaved run, a table and docs/bench/latency_curve.png (about ten
# minutes; see bench/README.md). SM_BENCH_CURVE=0 skips it.
if [ "${SM_BENCH_CURVE:-1}" != 0 ]; then
	SM_TOP_BUILDDIR="$BUILD" /usr/bin/python3 "$(dirname "$0")/latency_curve.py"
fi
