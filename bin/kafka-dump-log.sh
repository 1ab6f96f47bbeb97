#!/bin/sh
# kafka-dump-log.sh: dump the batches, records and index entries of log segment files (Kafka's DumpLogSegments).
set -e
. "$(dirname "$0")/samsa-env.sh"
prog=$(samsa_binary tools/kafka-dump-log)
exec "$prog" "$@"
