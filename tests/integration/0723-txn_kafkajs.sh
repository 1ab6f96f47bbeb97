#!/bin/sh
# Proves kafkajs 2.2.4's transactional producer works against Samsa's transaction coordinator: a committed transaction is seen by a read_committed consumer, an aborted one only by a read_uncommitted consumer, and a second producer with the same transactionalId fences the first, whose open transaction is aborted.
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
from confluent_kafka import Consumer, TopicPartition

JSDIR = os.path.abspath(sys.argv[1])
TOPIC = "js-txn"
PARTS = 3


def read_all(c, isolation):
    cons = Consumer({"bootstrap.servers": c.bootstrap, "group.id": "g-" + isolation,
                     "isolation.level": isolation, "enable.partition.eof": True,
                     "auto.offset.reset": "earliest", "enable.auto.commit": False})
    cons.assign([TopicPartition(TOPIC, p, 0) for p in range(PARTS)])
    got, eof = [], set()
    for _ in range(2000):
        if len(eof) == PARTS:
            break
        m = cons.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == -191:
                eof.add(m.partition())
            continue
        got.append(m.value().decode())
    cons.close()
    check(len(eof) == PARTS, "%s consumer did not reach every partition's end" % isolation)
    return got


def lso_caught_up(c):
    ends = {}
    for iso in ("read_committed", "read_uncommitted"):
        cons = Consumer({"bootstrap.servers": c.bootstrap, "group.id": "w", "isolation.level": iso})
        ends[iso] = [cons.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=20)[1]
                     for p in range(PARTS)]
        cons.close()
    return ends["read_committed"] == ends["read_uncommitted"]


def test(c):
    c.create_topic(TOPIC, partitions=PARTS)
    p = run(["node", os.path.join(JSDIR, "transactions.js"), c.bootstrap, TOPIC, str(PARTS), "js-tx"],
            timeout=300, env={"NODE_PATH": os.path.join(JSDIR, "node_modules"),
                              "KAFKAJS_NO_PARTITIONER_WARNING": "1"}, what="node transactions.js")
    log(p.stdout.decode().strip())
    check(b"PASS:" in p.stdout, "no PASS line from transactions.js")
    harness.wait_until(lambda: lso_caught_up(c), 60, "every partition's LSO to reach its HW")
    committed = read_all(c, "read_committed")
    prefixes = sorted(set(v.rsplit("-", 1)[0] for v in committed))
    check(prefixes == ["js-committed", "js-successor"] and len(committed) == 36,
          "read_committed saw %d records of %r" % (len(committed), prefixes))
    everything = read_all(c, "read_uncommitted")
    check(len([v for v in everything if v.startswith("js-aborted-")]) == 12,
          "read_uncommitted does not see the aborted transaction")
    log("read_committed: %d records (committed and successor); read_uncommitted: %d" %
        (len(committed), len(everything)))

harness.main(test, brokers=1, name="0723-txn_kafkajs")
PY
