#!/bin/sh
# kafka-topics.sh: create, list, describe, alter and delete topics, through
# ZooKeeper (--zookeeper) or a broker (--bootstrap-server). Takes Kafka's
# TopicCommand options.
set -e
. "$(dirname "$0")/samsa-env.sh"
if [ -x "$SAMSA_BUILD_DIR/tools/kafka-topics" ]; then
	exec "$SAMSA_BUILD_DIR/tools/kafka-topics" "$@"
fi
if command -v samsa-kafka-topics >/dev/null 2>&1; then
	exec samsa-kafka-topics "$@"
fi
prog=$(samsa_binary tools/kafka-topics)
exec "$prog" "$@"
