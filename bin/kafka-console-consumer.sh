#!/bin/sh
# kafka-console-consumer.sh: prints the records of a topic to stdout. Takes
# Kafka's ConsoleConsumer options.
set -e
. "$(dirname "$0")/samsa-env.sh"
prog=$(samsa_binary tools/kafka-console-consumer)
exec "$prog" "$@"
