#!/bin/sh
# kafka-verifiable-consumer.sh: Kafka's VerifiableConsumer (a group member
# reporting assignments, consumption and commits as JSON lines).
set -e
. "$(dirname "$0")/samsa-env.sh"
prog=$(samsa_binary tools/kafka-verifiable-consumer)
exec "$prog" "$@"
