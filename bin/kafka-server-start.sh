#!/bin/sh
# kafka-server-start.sh [-daemon] server.properties [--override property=value]*
# Starts a Samsa broker. Without -daemon the broker replaces this shell (so
# the caller's $! is the broker's pid); with -daemon it runs in the background
# with its console output in $LOG_DIR/kafkaServer.out.
set -e
. "$(dirname "$0")/samsa-env.sh"

if [ $# -lt 1 ]; then
	echo "USAGE: $0 [-daemon] server.properties [--override property=value]*" >&2
	exit 1
fi

daemon=0
if [ "$1" = "-daemon" ]; then
	daemon=1
	shift
fi
if [ $# -lt 1 ] || [ ! -r "$1" ]; then
	echo "USAGE: $0 [-daemon] server.properties [--override property=value]*" >&2
	[ $# -ge 1 ] && echo "error: cannot read properties file $1" >&2
	exit 1
fi

# As Kafka's script: the log4j configuration (here only the rolling of the
# log files) is conf/log4j.properties unless KAFKA_LOG4J_OPTS is set (an
# empty value turns rolling off).
if [ -z "${KAFKA_LOG4J_OPTS+set}" ] && [ -r "$SAMSA_CONF_DIR/log4j.properties" ]; then
	KAFKA_LOG4J_OPTS="-Dlog4j.configuration=file:$SAMSA_CONF_DIR/log4j.properties"
	export KAFKA_LOG4J_OPTS
fi

server=$(samsa_binary src/samsa-server)
mkdir -p "$LOG_DIR"
if [ $daemon = 1 ]; then
	samsa_daemonize kafkaServer "$server" "$@"
else
	exec "$server" "$@"
fi
