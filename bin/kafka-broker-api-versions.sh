#!/bin/sh
# kafka-broker-api-versions.sh: the API versions of every broker, with the
# versions usable by a Kafka 2.8 client (Kafka's BrokerApiVersionsCommand).
set -e
. "$(dirname "$0")/samsa-env.sh"
prog=$(samsa_binary tools/kafka-broker-api-versions)
exec "$prog" "$@"
