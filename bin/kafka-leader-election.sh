#!/bin/sh
# kafka-leader-election.sh: Kafka's LeaderElectionCommand over ElectLeaders.
set -e
. "$(dirname "$0")/samsa-env.sh"
if [ -x "$SAMSA_BUILD_DIR/tools/kafka-leader-election" ]; then
	exec "$SAMSA_BUILD_DIR/tools/kafka-leader-election" "$@"
fi
prog=$(samsa_binary tools/kafka-leader-election)
exec "$prog" "$@"
