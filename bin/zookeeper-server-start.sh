#!/bin/sh
# zookeeper-server-start.sh [-daemon] zookeeper.properties
# Runs Debian's ZooKeeper server (QuorumPeerMain) on the given properties,
# in the foreground, or with -daemon in the background with its console
# output in $LOG_DIR/zookeeper.out.
set -e
. "$(dirname "$0")/samsa-env.sh"

usage() {
	echo "USAGE: $0 [-daemon] zookeeper.properties" >&2
	exit 1
}
[ $# -ge 1 ] || usage
daemon=0
if [ "$1" = "-daemon" ]; then
	daemon=1
	shift
fi
[ $# -eq 1 ] || usage
[ -r "$1" ] || samsa_die "error: cannot read properties file $1"

java=${JAVA_HOME:+$JAVA_HOME/bin/}java
heap=${ZK_HEAP_OPTS:--Xmx512M -Xms512M}
cp=/etc/zookeeper/conf:/usr/share/java/zookeeper.jar
[ -r /usr/share/java/zookeeper.jar ] ||
	samsa_die "error: /usr/share/java/zookeeper.jar not found (install the Debian package zookeeper)"

# shellcheck disable=SC2086
if [ $daemon = 1 ]; then
	samsa_daemonize zookeeper "$java" $heap -cp "$cp" \
		org.apache.zookeeper.server.quorum.QuorumPeerMain "$1"
else
	exec "$java" $heap -cp "$cp" org.apache.zookeeper.server.quorum.QuorumPeerMain "$1"
fi
