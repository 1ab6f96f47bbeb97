#!/bin/sh
# kafka-consumer-groups.sh: list, describe, reset offsets of and delete consumer groups (Kafka's ConsumerGroupCommand).
set -e
. "$(dirname "$0")/samsa-env.sh"
prog=$(samsa_binary tools/kafka-consumer-groups)
exec "$prog" "$@"
