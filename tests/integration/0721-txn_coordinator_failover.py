#!/usr/bin/python3
"""The transaction coordinator dies between PrepareCommit and CompleteCommit
(3 brokers, confluent-kafka): the leader of the transaction's data partition
is stopped (SIGSTOP) so its COMMIT marker cannot be written, the producer
commits (EndTxn is answered once PrepareCommit is replicated), the
coordinator broker is killed with kill -9 and the data leader resumed. The
new coordinator loads __transaction_state, finds the transaction in
PrepareCommit, sends the markers again and writes CompleteCommit: the
partition's last stable offset reaches its high watermark and a
read_committed consumer sees every record. A second transaction of the same
producer then commits through the new coordinator."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

TOPIC = "txn-failover"
TXN_PARTS = 4
STATE = "__transaction_state"


def java_hash(s):
    h = 0
    for ch in s:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def txn_partition(tid):
    h = java_hash(tid)
    return (0 if h == -(1 << 31) else abs(h)) % TXN_PARTS


def leaders(c, topic):
    md = c.metadata(topic)
    for t in (md or {}).get("topics", []):
        if t.get("topic") == topic:
            return {p["partition"]: p["leader"] for p in t["partitions"]}
    return {}


def end_offset(c, isolation):
    cons = Consumer({"bootstrap.servers": c.bootstrap, "group.id": "g",
                     "isolation.level": isolation})
    try:
        return cons.get_watermark_offsets(TopicPartition(TOPIC, 0), timeout=20)[1]
    finally:
        cons.close()


def committed_values(c):
    cons = Consumer({"bootstrap.servers": c.bootstrap, "group.id": "g-rc",
                     "isolation.level": "read_committed", "enable.partition.eof": True,
                     "auto.offset.reset": "earliest", "enable.auto.commit": False})
    cons.assign([TopicPartition(TOPIC, 0, 0)])
    got = []
    for _ in range(1000):
        m = cons.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == -191:
                break
            continue
        got.append(m.value().decode())
    cons.close()
    return got


def test(c):
    c.create_topic(TOPIC, partitions=1, rf=3)
    data_leader = leaders(c, TOPIC)[0]
    # FindCoordinator creates __transaction_state; pick an id whose
    # coordinator is not the data leader
    boot = Producer({"bootstrap.servers": c.bootstrap, "transactional.id": "tx-boot"})
    boot.init_transactions(60)
    del boot
    state = leaders(c, STATE)
    tid = next(t for t in ("tx-failover-%d" % i for i in range(100))
               if state.get(txn_partition(t), -1) not in (-1, data_leader))
    coordinator = state[txn_partition(tid)]
    log("data leader %d, coordinator of %s: %d" % (data_leader, tid, coordinator))

    p = Producer({"bootstrap.servers": c.bootstrap, "transactional.id": tid, "linger.ms": 5})
    p.init_transactions(60)
    p.begin_transaction()
    for i in range(20):
        p.produce(TOPIC, value=("first-%d" % i).encode(), partition=0)
    p.flush(60)
    hw = end_offset(c, "read_uncommitted")
    check(end_offset(c, "read_committed") < hw, "the open transaction does not hold the LSO")

    leader_broker = [b for b in c.brokers if b.id == data_leader][0]
    leader_broker.pause()
    try:
        # answered once PrepareCommit is in the ISR (the stopped broker
        # leaves it after replica.lag.time.max.ms); the marker cannot be
        # written while its leader is stopped
        p.commit_transaction(90)
        log("EndTxn answered: PrepareCommit written, marker pending")
        victim = [b for b in c.brokers if b.id == coordinator][0]
        victim.kill9()
        log("kill -9 of the coordinator (broker %d)" % coordinator)
    finally:
        leader_broker.resume()
    # the controller moves the coordinator's partition once the killed
    # broker's ZooKeeper session expires
    tp = txn_partition(tid)
    # (wrapped: broker id 0 is a valid answer)
    new_coordinator = wait_until(
        lambda: (lambda l: [l] if l not in (None, -1, coordinator) else None)(leaders(c, STATE).get(tp)),
        120, "a new leader for %s-%d" % (STATE, tp))[0]
    nc = [b for b in c.brokers if b.id == new_coordinator][0]
    wait_until(lambda: "Sending COMMIT markers of transactional id %s" % tid in nc.log_text(), 120,
               "the new coordinator %d to resend the prepared transaction's markers" % new_coordinator)
    wait_until(lambda: (lambda lso: lso >= hw + 1 and lso == end_offset(c, "read_uncommitted"))(
        end_offset(c, "read_committed")), 120, "the LSO to pass the transaction")
    got = committed_values(c)
    check(sorted(got) == sorted("first-%d" % i for i in range(20)),
          "read_committed saw %d records: %r" % (len(got), got[:5]))
    log("new coordinator %d completed the prepared commit" % new_coordinator)

    p.begin_transaction()
    for i in range(5):
        p.produce(TOPIC, value=("second-%d" % i).encode(), partition=0)
    p.commit_transaction(60)
    wait_until(lambda: len(committed_values(c)) == 25, 60, "the second transaction's records")


harness.main(test, brokers=3, broker_props={
    "transaction.state.log.num.partitions": str(TXN_PARTS),
    "transaction.state.log.replication.factor": "3",
    "transaction.state.log.min.isr": "2",
    "replica.lag.time.max.ms": "4000",
    "offsets.topic.num.partitions": "3",
})
