#!/bin/sh
# zookeeper-server-stop.sh: sends SIGTERM (or $SIGNAL) to every java process
# running ZooKeeper's QuorumPeerMain. Exits 1 when there is none.
set -e
if [ $# -gt 0 ]; then
	echo "USAGE: $0" >&2
	exit 1
fi
signal=${SIGNAL:-TERM}
pids=$(ps -eo pid=,args= | awk '/java/ && /org\.apache\.zookeeper\.server\.quorum\.QuorumPeerMain/ && !/awk/ { print $1 }')
if [ -z "$pids" ]; then
	echo "No zookeeper server to stop"
	exit 1
fi
# shellcheck disable=SC2086
kill -s "$signal" $pids
