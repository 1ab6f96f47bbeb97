#!/bin/sh
# kafka-reassign-partitions.sh: Kafka's ReassignPartitionsCommand
# (--generate/--execute/--verify, and --list/--cancel with --bootstrap-server).
set -e
. "$(dirname "$0")/samsa-env.sh"
if [ -x "$SAMSA_BUILD_DIR/tools/kafka-reassign-partitions" ]; then
	exec "$SAMSA_BUILD_DIR/tools/kafka-reassign-partitions" "$@"
fi
prog=$(samsa_binary tools/kafka-reassign-partitions)
exec "$prog" "$@"
