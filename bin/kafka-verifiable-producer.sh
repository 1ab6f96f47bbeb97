#!/bin/sh
# kafka-verifiable-producer.sh: Kafka's VerifiableProducer (JSON-line reports of every send).
set -e
. "$(dirname "$0")/samsa-env.sh"
prog=$(samsa_binary tools/kafka-verifiable-producer)
exec "$prog" "$@"
