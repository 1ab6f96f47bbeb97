#!/bin/sh
# kafka-log-dirs.sh: describe the log dirs of brokers as JSON (Kafka's LogDirsCommand).
set -e
. "$(dirname "$0")/samsa-env.sh"
prog=$(samsa_binary tools/kafka-log-dirs)
exec "$prog" "$@"
