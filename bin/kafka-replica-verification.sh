#!/bin/sh
# kafka-replica-verification.sh: compares the batches of every replica of
# the selected topics (Kafka's ReplicaVerificationTool).
set -e
. "$(dirname "$0")/samsa-env.sh"
prog=$(samsa_binary tools/kafka-replica-verification)
exec "$prog" "$@"
