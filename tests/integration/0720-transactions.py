#!/usr/bin/python3
"""Transactions end to end with confluent-kafka on 3 brokers, through the
transaction coordinator: FindCoordinator key type 1 creates
__transaction_state (RF 3, min.isr 2, compacted, uncompressed); a committed
transaction is seen by a read_committed consumer and an aborted one is not,
while a read_uncommitted consumer sees both; an open transaction holds the
last stable offset back (the read_committed end offset stays at its first
record) until it commits; a second producer with the same transactional.id
fences the first (whose commit then fails) and aborts its transaction; a
transaction left open past transaction.timeout.ms is aborted by the
coordinator (epoch bump: its producer is fenced); kill -9 of the coordinator
broker mid-transaction: the new coordinator loads __transaction_state, the
producer commits through it, and no partition's LSO stays behind its high
watermark."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition  # noqa: E402

TOPIC = "txn-e2e"
PARTS = 3
TXN_PARTS = 4


def java_hash(s):
    h = 0
    for ch in s.encode("utf-16-be").decode("utf-16-be"):
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def txn_partition(tid):
    h = java_hash(tid)
    # Kafka's Utils.abs: Integer.MIN_VALUE maps to 0
    return (0 if h == -(1 << 31) else abs(h)) % TXN_PARTS


def producer(c, tid, **extra):
    conf = {"bootstrap.servers": c.bootstrap, "transactional.id": tid,
            "linger.ms": 5, "message.timeout.ms": 60000}
    conf.update(extra)
    return Producer(conf)


def consumer(c, isolation):
    return Consumer({"bootstrap.servers": c.bootstrap, "group.id": "g-" + isolation,
                     "isolation.level": isolation, "enable.auto.commit": False,
                     "auto.offset.reset": "earliest", "enable.partition.eof": True})


def end_offsets(c, isolation):
    """Per partition: the end offset a consumer of that isolation level sees
    (ListOffsets LATEST: the LSO for read_committed, the HW otherwise)."""
    cons = consumer(c, isolation)
    try:
        return [cons.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=20)[1]
                for p in range(PARTS)]
    finally:
        cons.close()


def read_all(c, isolation):
    """Every data record's value, reading each partition to its end."""
    cons = consumer(c, isolation)
    cons.assign([TopicPartition(TOPIC, p, 0) for p in range(PARTS)])
    got, eof = [], set()
    deadline_polls = 2000
    while len(eof) < PARTS and deadline_polls > 0:
        deadline_polls -= 1
        m = cons.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF
                eof.add(m.partition())
                continue
            raise KafkaException(m.error())
        got.append(m.value().decode())
    cons.close()
    check(len(eof) == PARTS, "%s consumer did not reach the end of every partition" % isolation)
    return got


def send(p, prefix, n):
    for i in range(n):
        p.produce(TOPIC, value=("%s-%d" % (prefix, i)).encode(), partition=i % PARTS)
    p.flush(60)


def lso_caught_up(c):
    hw = end_offsets(c, "read_uncommitted")
    lso = end_offsets(c, "read_committed")
    return lso == hw and lso


def commit_and_abort(c):
    p = producer(c, "tx-basic")
    p.init_transactions(60)
    p.begin_transaction()
    send(p, "committed", 12)
    p.commit_transaction(60)
    p.begin_transaction()
    send(p, "aborted", 9)
    p.abort_transaction(60)
    p.begin_transaction()
    send(p, "committed2", 6)
    p.commit_transaction(60)
    committed = read_all(c, "read_committed")
    want = {"committed-%d" % i for i in range(12)} | {"committed2-%d" % i for i in range(6)}
    check(sorted(committed) == sorted(want),
          "read_committed saw %d records: %s" % (len(committed), sorted(committed)[:8]))
    everything = read_all(c, "read_uncommitted")
    check(sorted(everything) == sorted(want | {"aborted-%d" % i for i in range(9)}),
          "read_uncommitted saw %d records" % len(everything))
    log("commit/abort: read_committed %d records, read_uncommitted %d" %
        (len(committed), len(everything)))
    return p


def lso_held(c):
    before = end_offsets(c, "read_committed")
    p = producer(c, "tx-lso")
    p.init_transactions(60)
    p.begin_transaction()
    send(p, "open", 6)
    hw = end_offsets(c, "read_uncommitted")
    lso = end_offsets(c, "read_committed")
    check(all(hw[i] > before[i] for i in range(PARTS)), "records not written: %r %r" % (before, hw))
    check(lso == before, "the open transaction did not hold the LSO back: %r, HW %r" % (lso, hw))
    p.commit_transaction(60)
    wait_until(lambda: end_offsets(c, "read_committed") == end_offsets(c, "read_uncommitted"),
               60, "the LSO to reach the HW after the commit")
    log("open transaction held the LSO at %r while the HW was %r" % (lso, hw))


def zombie(c):
    a = producer(c, "tx-zombie")
    a.init_transactions(60)
    a.begin_transaction()
    send(a, "zombie", 3)
    b = producer(c, "tx-zombie")
    # fences a, aborts its transaction, and retries on CONCURRENT_TRANSACTIONS
    b.init_transactions(60)
    b.begin_transaction()
    send(b, "successor", 3)
    b.commit_transaction(60)
    try:
        a.commit_transaction(30)
        committed = True
    except KafkaException as e:
        committed = False
        log("the zombie's commit failed: %s" % e.args[0])
    check(not committed, "the fenced producer could commit")
    got = read_all(c, "read_committed")
    check(not [v for v in got if v.startswith("zombie-")], "the zombie's records are visible")
    check(len([v for v in got if v.startswith("successor-")]) == 3, "the successor's records missing")


def timed_out(c):
    p = producer(c, "tx-timeout", **{"transaction.timeout.ms": 3000,
                                     "message.timeout.ms": 3000})
    p.init_transactions(60)
    p.begin_transaction()
    send(p, "timedout", 3)
    # the coordinator aborts it: every partition's LSO catches up
    wait_until(lambda: lso_caught_up(c), 60, "the coordinator to abort the timed-out transaction")
    try:
        p.commit_transaction(30)
        committed = True
    except KafkaException as e:
        committed = False
        log("commit after the timeout failed: %s" % e.args[0])
    check(not committed, "a transaction aborted by its timeout could still commit")
    got = read_all(c, "read_committed")
    check(not [v for v in got if v.startswith("timedout-")], "timed-out records are visible")


def kill_coordinator(c):
    tid = "tx-kill9"
    md = c.metadata("__transaction_state")
    leader = None
    for t in md.get("topics", []):
        if t.get("topic") == "__transaction_state":
            for part in t["partitions"]:
                if part["partition"] == txn_partition(tid):
                    leader = part["leader"]
    check(leader is not None and leader >= 0, "no leader for the transaction's partition")
    p = producer(c, tid)
    p.init_transactions(60)
    p.begin_transaction()
    send(p, "survivor", 6)
    victim = [b for b in c.brokers if b.id == leader][0]
    log("kill -9 of broker %d, coordinator of %s" % (leader, tid))
    victim.kill9()
    p.commit_transaction(120)
    wait_until(lambda: lso_caught_up(c), 120, "every partition's LSO to reach its HW")
    got = read_all(c, "read_committed")
    check(len([v for v in got if v.startswith("survivor-")]) == 6,
          "the transaction committed through the new coordinator is not whole")
    log("new coordinator completed the transaction; no partition blocked")


def test(c):
    c.create_topic(TOPIC, partitions=PARTS, rf=3)
    commit_and_abort(c)
    md = c.metadata("__transaction_state")
    check(md and any(t.get("topic") == "__transaction_state" and len(t["partitions"]) == TXN_PARTS
                     for t in md["topics"]), "__transaction_state was not created")
    zk = c.kazoo()
    try:
        import json
        cfg = json.loads(zk.get("/config/topics/__transaction_state")[0])["config"]
        check(cfg.get("cleanup.policy") == "compact" and cfg.get("min.insync.replicas") == "2" and
              cfg.get("compression.type") == "uncompressed",
              "__transaction_state configs: %r" % cfg)
        parts = json.loads(zk.get("/brokers/topics/__transaction_state")[0])["partitions"]
        check(all(len(r) == 3 for r in parts.values()), "__transaction_state RF: %r" % parts)
    finally:
        zk.stop()
    lso_held(c)
    zombie(c)
    timed_out(c)
    kill_coordinator(c)


harness.main(test, brokers=3, broker_props={
    "transaction.state.log.num.partitions": str(TXN_PARTS),
    "transaction.state.log.replication.factor": "3",
    "transaction.state.log.min.isr": "2",
    "transaction.abort.timed.out.transaction.cleanup.interval.ms": "500",
    "replica.lag.time.max.ms": "4000",
    "offsets.topic.num.partitions": "3",
})
