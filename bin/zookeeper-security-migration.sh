#!/bin/sh
# zookeeper-security-migration.sh: Kafka's ZkSecurityMigrator, setting the
# znodes' ACLs to secure or open ones (--zookeeper.acl=secure|unsecure). The
# ZooKeeper login comes from KAFKA_OPTS (-Djava.security.auth.login.config).
set -e
. "$(dirname "$0")/samsa-env.sh"
if [ -x "$SAMSA_BUILD_DIR/tools/zookeeper-security-migration" ]; then
	exec "$SAMSA_BUILD_DIR/tools/zookeeper-security-migration" "$@"
fi
prog=$(samsa_binary tools/zookeeper-security-migration)
exec "$prog" "$@"
