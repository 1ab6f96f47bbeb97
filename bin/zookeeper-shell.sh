#!/bin/bash
# zookeeper-shell.sh host:port[/chroot] [command args...]
# The ZooKeeper command-line client (Debian's zkCli.sh). With a command it
# prints the connection banner and then the result, so scripts can take the
# last line (e.g. "ls /brokers/ids" ends with "[0]"); without one it is
# interactive.
set -e
if [ $# -lt 1 ] || [ "${1#-}" != "$1" ]; then
	echo "USAGE: $0 zookeeper_host:port[/path] [args...]" >&2
	exit 1
fi
cli=/usr/share/zookeeper/bin/zkCli.sh
[ -x "$cli" ] || { echo "error: $cli not found (install the Debian package zookeeper)" >&2; exit 1; }
server=$1
shift
# The Debian client has no logging backend; drop slf4j's complaints about it
# but keep every other diagnostic on stderr.
exec "$cli" -server "$server" "$@" 2> >(grep -v '^SLF4J:' >&2)
