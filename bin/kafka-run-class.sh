#!/bin/sh
# kafka-run-class.sh [-daemon] [-name NAME] [-loggc] CLASS [args...]
# Kafka runs any JVM class through this script; Samsa has no JVM, so it maps
# the classes that scripts and documentation commonly name to the Samsa tool
# doing the same job, with the same options. An unknown class is an error.
set -e
. "$(dirname "$0")/samsa-env.sh"
bindir=$(cd "$(dirname "$0")" && pwd)

usage() {
	echo "USAGE: $0 [-daemon] [-name servicename] [-loggc] classname [opts]" >&2
	exit 1
}

daemon=0
name=
while [ $# -gt 0 ]; do
	case $1 in
	-daemon) daemon=1; shift ;;
	-name) [ $# -ge 2 ] || usage; name=$2; shift 2 ;;
	-loggc) shift ;; # no JVM, no GC log
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
class=$1
shift

# Each class maps to the bin/ script that takes the class's options.
case $class in
kafka.Kafka) script=kafka-server-start.sh ;;
org.apache.zookeeper.server.quorum.QuorumPeerMain) script=zookeeper-server-start.sh ;;
kafka.admin.TopicCommand) script=kafka-topics.sh ;;
kafka.admin.ConfigCommand) script=kafka-configs.sh ;;
kafka.admin.AclCommand) script=kafka-acls.sh ;;
kafka.admin.ConsumerGroupCommand) script=kafka-consumer-groups.sh ;;
kafka.admin.BrokerApiVersionsCommand) script=kafka-broker-api-versions.sh ;;
kafka.admin.ReassignPartitionsCommand) script=kafka-reassign-partitions.sh ;;
kafka.admin.LeaderElectionCommand) script=kafka-leader-election.sh ;;
kafka.admin.ZkSecurityMigrator) script=zookeeper-security-migration.sh ;;
kafka.admin.PreferredReplicaLeaderElectionCommand) script=kafka-preferred-replica-election.sh ;;
kafka.admin.DeleteRecordsCommand) script=kafka-delete-records.sh ;;
kafka.admin.LogDirsCommand) script=kafka-log-dirs.sh ;;
kafka.tools.GetOffsetShell) script=kafka-get-offsets.sh ;;
kafka.tools.DumpLogSegments) script=kafka-dump-log.sh ;;
kafka.tools.MirrorMaker) script=kafka-mirror-maker.sh ;;
kafka.tools.ConsoleProducer) script=kafka-console-producer.sh ;;
kafka.tools.ConsoleConsumer) script=kafka-console-consumer.sh ;;
kafka.tools.ReplicaVerificationTool) script=kafka-replica-verification.sh ;;
kafka.tools.ConsumerPerformance) script=kafka-consumer-perf-test.sh ;;
org.apache.kafka.tools.ProducerPerformance) script=kafka-producer-perf-test.sh ;;
org.apache.kafka.tools.VerifiableProducer) script=kafka-verifiable-producer.sh ;;
org.apache.kafka.tools.VerifiableConsumer) script=kafka-verifiable-consumer.sh ;;
*)
	echo "kafka-run-class.sh: class $class is not available in Samsa (there is no JVM;" \
		"only the classes listed in docs/operations.md are mapped to Samsa's tools)" >&2
	exit 1
	;;
esac

[ -x "$bindir/$script" ] || samsa_die "kafka-run-class.sh: $bindir/$script not found for $class"
if [ $daemon = 1 ]; then
	samsa_daemonize "${name:-$(basename "$script" .sh)}" "$bindir/$script" "$@"
	exit 0
fi
exec "$bindir/$script" "$@"
