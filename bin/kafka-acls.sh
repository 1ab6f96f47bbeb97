#!/bin/sh
# kafka-acls.sh: add, remove and list ACLs (Kafka's AclCommand flags:
# --bootstrap-server or --authorizer-properties zookeeper.connect=...).
set -e
. "$(dirname "$0")/samsa-env.sh"
prog=$(samsa_binary tools/kafka-acls)
exec "$prog" "$@"
