#!/bin/sh
# kafka-configs.sh: describe and alter topic/broker/client/user config
# overrides. Takes Kafka's ConfigCommand options (--zookeeper path).
set -e
. "$(dirname "$0")/samsa-env.sh"
prog=$(samsa_binary tools/kafka-configs)
exec "$prog" "$@"
