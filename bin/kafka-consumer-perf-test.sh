#!/bin/sh
# kafka-consumer-perf-test.sh: Kafka's ConsumerPerformance (throughput of a group consumer).
set -e
. "$(dirname "$0")/samsa-env.sh"
prog=$(samsa_binary tools/kafka-consumer-perf-test)
exec "$prog" "$@"
