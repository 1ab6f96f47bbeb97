#!/usr/bin/env bash
# Quickstart on a fresh Debian 12 machine: installs what is missing, builds
# Samsa in this directory, starts ZooKeeper and one broker (as daemons, logs
# in ./logs), creates a topic, produces three messages with the console
# producer and reads them back with the console consumer.
# Stop everything afterwards with:
#   bin/kafka-server-stop.sh; bin/zookeeper-server-stop.sh
set -euo pipefail
cd "$(dirname "$0")"
.ci/install-deps
if [ ! -x src/samsa-server ]; then
	autoreconf -fi
	./configure -q
	make -s -j"$(nproc)"
fi
export LOG_DIR=$PWD/logs
mkdir -p "$LOG_DIR"

echo "== starting ZooKeeper (conf/zookeeper.properties, port 2181)"
bin/zookeeper-server-start.sh -daemon conf/zookeeper.properties
for _ in $(seq 1 100); do
	echo srvr | nc -q1 127.0.0.1 2181 2>/dev/null | grep -q Mode && break
	sleep 0.2
done

echo "== starting the broker (conf/server.properties, port 9092)"
# A broker killed shortly before leaves its registration in ZooKeeper until
# its session times out (zookeeper.session.timeout.ms, 18 s); ZooKeeper keeps
# that session across its own restart. The broker then stops at once, as
# Kafka's does ("already registered by a running broker"): start it again
# once the old session is gone.
touch "$LOG_DIR/server.log"
for _ in $(seq 1 20); do
	seen=$(wc -l < "$LOG_DIR/server.log")
	bin/kafka-server-start.sh -daemon conf/server.properties
	state=
	for _ in $(seq 1 100); do
		new=$(tail -n +"$((seen + 1))" "$LOG_DIR/server.log")
		if grep -q "\] started (kafka.server.KafkaServer)" <<<"$new"; then
			state=started
		elif grep -q "already registered by a running broker" <<<"$new" &&
			grep -q "shut down completed" <<<"$new"; then
			state=registered
		fi
		[ -n "$state" ] && break
		sleep 0.2
	done
	[ "$state" = registered ] || break
	echo "   broker id still registered by an earlier session; starting again in 3 s"
	sleep 3
done

echo "== creating topic quickstart-events"
bin/kafka-topics.sh --create --if-not-exists --topic quickstart-events --partitions 1 \
	--replication-factor 1 --bootstrap-server localhost:9092
bin/kafka-topics.sh --describe --topic quickstart-events --bootstrap-server localhost:9092

echo "== producing three messages"
printf 'first event\nsecond event\nthird event\n' |
	bin/kafka-console-producer.sh --topic quickstart-events --bootstrap-server localhost:9092

echo "== consuming them from the beginning"
bin/kafka-console-consumer.sh --topic quickstart-events --from-beginning --max-messages 3 \
	--bootstrap-server localhost:9092

echo "== done; stop with: bin/kafka-server-stop.sh; bin/zookeeper-server-stop.sh"
