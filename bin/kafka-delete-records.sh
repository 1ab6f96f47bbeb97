#!/bin/sh
# kafka-delete-records.sh: delete records of partitions below the offsets given in --offset-json-file (Kafka's DeleteRecordsCommand).
set -e
. "$(dirname "$0")/samsa-env.sh"
prog=$(samsa_binary tools/kafka-delete-records)
exec "$prog" "$@"
