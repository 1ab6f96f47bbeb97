#!/bin/sh
# Proves kafkajs 2.2.4's transactional producer commits consumer offsets with its records (sendOffsets: AddOffsetsToTxn, TxnOffsetCommit v1), that an aborted transaction's offsets never become the group's, and that the read_committed output holds only the committed records.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
jsdir="$here/../js"
if [ ! -d "$jsdir/node_modules/kafkajs" ]; then
	(cd "$jsdir" && npm ci --no-audit --no-fund)
fi
exec /usr/bin/python3 - "$jsdir" <<'PY'
import os, sys
sys.path.insert(0, os.environ.get("SM_IT_DIR") or os.path.join(sys.argv[1], "..", "integration"))
import harness
from harness import check, run, log

JSDIR = os.path.abspath(sys.argv[1])

def test(c):
    c.create_topic("js-txn-in", partitions=2)
    c.create_topic("js-txn-out", partitions=1)
    p = run(["node", os.path.join(JSDIR, "txn_offsets.js"), c.bootstrap, "js-txn-in",
             "js-txn-out", "js-txn-group"],
            timeout=300, env={"NODE_PATH": os.path.join(JSDIR, "node_modules"),
                              "KAFKAJS_NO_PARTITIONER_WARNING": "1"}, what="node txn_offsets.js")
    log(p.stdout.decode().strip())
    check(b"PASS:" in p.stdout, "no PASS line from txn_offsets.js")
    from confluent_kafka import Consumer, TopicPartition

    def output():
        cons = Consumer({"bootstrap.servers": c.bootstrap, "group.id": "js-txn-reader",
                         "isolation.level": "read_committed", "enable.partition.eof": True,
                         "enable.auto.commit": False})
        cons.assign([TopicPartition("js-txn-out", 0, 0)])
        got, polls = [], 0
        while True:
            polls += 1
            check(polls < 400, "the output reader did not reach the end")
            m = cons.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == -191:  # _PARTITION_EOF
                    break
                check(False, "consumer error %s" % m.error())
            got.append(m.value())
        cons.close()
        check(b"x" not in got, "the aborted record is visible: %r" % got)
        return sorted(got)
    # the output partition's marker may follow the offsets partition's
    harness.wait_until(lambda: output() == [b"a", b"b", b"c"], 60,
                       "the committed records a, b, c in the read_committed output")
    log("read_committed output holds only the committed records")

harness.main(test, brokers=1, name="0717-txn_offsets_kafkajs",
             broker_props={"transaction.state.log.num.partitions": "2",
                           "offsets.topic.num.partitions": "2"})
PY
