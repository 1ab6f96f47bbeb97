#!/bin/sh
# kafka-server-stop.sh: sends SIGTERM (or $SIGNAL) to every running Samsa
# broker, which then shuts down cleanly. Exits 1 when there is none.
set -e
if [ $# -gt 0 ]; then
	echo "USAGE: $0" >&2
	exit 1
fi
signal=${SIGNAL:-TERM}
# Match the program name exactly so editors, greps and this script are spared.
pids=$(ps -eo pid=,comm= | awk '$2 == "samsa-server" { print $1 }')
if [ -z "$pids" ]; then
	echo "No kafka server to stop"
	exit 1
fi
# shellcheck disable=SC2086
kill -s "$signal" $pids
