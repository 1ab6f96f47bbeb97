#!/bin/sh
# kafka-producer-perf-test.sh: Kafka's ProducerPerformance (throughput and per-record latency of a producer).
set -e
. "$(dirname "$0")/samsa-env.sh"
prog=$(samsa_binary tools/kafka-producer-perf-test)
exec "$prog" "$@"
