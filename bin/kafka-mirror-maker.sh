#!/bin/sh
# kafka-mirror-maker.sh: Kafka's MirrorMaker 1 (kafka.tools.MirrorMaker),
# copying the topics matching --whitelist from one cluster to another.
set -e
. "$(dirname "$0")/samsa-env.sh"
prog=$(samsa_binary tools/kafka-mirror-maker)
exec "$prog" "$@"
