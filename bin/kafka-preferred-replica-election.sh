#!/bin/sh
# kafka-preferred-replica-election.sh: Kafka's PreferredReplicaLeaderElectionCommand over ElectLeaders or the /admin/preferred_replica_election znode.
set -e
. "$(dirname "$0")/samsa-env.sh"
if [ -x "$SAMSA_BUILD_DIR/tools/kafka-leader-election" ]; then
	exec "$SAMSA_BUILD_DIR/tools/kafka-leader-election" --preferred-replica-election-tool "$@"
fi
prog=$(samsa_binary tools/kafka-leader-election)
exec "$prog" --preferred-replica-election-tool "$@"
