#!/bin/sh
# kafka-console-producer.sh: reads records from stdin, one per line, and
# produces them to a topic. Takes Kafka's ConsoleProducer options.
set -e
. "$(dirname "$0")/samsa-env.sh"
prog=$(samsa_binary tools/kafka-console-producer)
exec "$prog" "$@"
