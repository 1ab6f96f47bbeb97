#!/bin/sh
# kafka-get-offsets.sh: earliest, latest or by-timestamp offsets of topic
# partitions as topic:partition:offset (Kafka's GetOffsetShell).
set -e
. "$(dirname "$0")/samsa-env.sh"
prog=$(samsa_binary tools/kafka-get-offsets)
exec "$prog" "$@"
