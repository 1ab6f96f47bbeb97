#!/usr/bin/python3
"""Proves that a consumer group survives kill -9 of its coordinator: with __consumer_offsets at RF=3, every offset a confluent-kafka member committed synchronously (answered only once the whole ISR had it) is served by the new leader of the group's offsets partition (a live former ISR member, found by FindCoordinator), and a new member of the group resumes exactly after the committed offsets: nothing committed is delivered again, nothing is skipped."""
import json
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402

TOPIC = "fo"
PARTITIONS = 4
RECORDS = 800
GROUP = "failover-group"
OFFSETS_PARTITIONS = 3
PROPS = {
    "offsets.topic.replication.factor": "3",
    "offsets.topic.num.partitions": str(OFFSETS_PARTITIONS),
    "group.initial.rebalance.delay.ms": "0",
    "group.min.session.timeout.ms": "1000",
    "zookeeper.session.timeout.ms": "6000",
    "replica.lag.time.max.ms": "3000",
    "unclean.leader.election.enable": "false",
}


def java_hash(s):
    """Java's String.hashCode (ASCII)."""
    h = 0
    for ch in s:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def offsets_partition(group):
    """Kafka's partitionFor: Utils.abs(hashCode) % offsets.topic.num.partitions."""
    h = java_hash(group)
    return (0 if h == -(1 << 31) else abs(h)) % OFFSETS_PARTITIONS


def state(zk, topic, p):
    data, _ = zk.get("/brokers/topics/%s/partitions/%d/state" % (topic, p))
    return json.loads(data)


def find_coordinator(bootstrap, group):
    """FindCoordinator v0 over a raw socket: (error_code, node_id)."""
    host, port = bootstrap.rsplit(":", 1)
    g = group.encode()
    cid = b"it-0126"
    body = struct.pack(">hhih", 10, 0, 7, len(cid)) + cid + struct.pack(">h", len(g)) + g
    try:
        with socket.create_connection((host, int(port)), timeout=5) as s:
            s.sendall(struct.pack(">i", len(body)) + body)
            buf = b""
            while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
                chunk = s.recv(65536)
                if not chunk:
                    return None
                buf += chunk
    except OSError:
        return None
    _, _, err, node = struct.unpack(">iihi", buf[:14])
    return err, node


def member(bootstrap, **extra):
    from confluent_kafka import Consumer
    conf = {"bootstrap.servers": bootstrap, "group.id": GROUP, "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 500, "max.poll.interval.ms": 60000,
            "enable.auto.commit": False, "auto.offset.reset": "earliest",
            "topic.metadata.refresh.interval.ms": 1000}
    conf.update(extra)
    return Consumer(conf)


def produce(c):
    from confluent_kafka import Producer
    prod = Producer({"bootstrap.servers": c.bootstrap, "acks": "all", "linger.ms": 5})
    acked = []

    def dr(err, msg):
        check(err is None, "produce failed: %s" % err)
        acked.append((msg.partition(), msg.offset()))
    for i in range(RECORDS):
        prod.produce(TOPIC, value=b"r%05d" % i, partition=i % PARTITIONS, on_delivery=dr)
    prod.flush(60)
    check(len(acked) == RECORDS, "acknowledged %d of %d" % (len(acked), RECORDS))
    ends = {p: 0 for p in range(PARTITIONS)}
    for p, o in acked:
        ends[p] = max(ends[p], o + 1)
    return ends


def consume_and_commit(k):
    """Polls until every partition has records past its target (a
    different one per partition), then commits synchronously, twice:
    half-way, then the target itself. Returns the last committed offsets
    (what the broker acknowledged)."""
    from confluent_kafka import TopicPartition
    target = {p: 40 + 17 * p for p in range(PARTITIONS)}
    seen = {p: [] for p in range(PARTITIONS)}

    def enough():
        for m in k.consume(500, 0.5):
            if not m.error():
                seen[m.partition()].append(m.offset())
        return all(len(seen[p]) >= target[p] for p in range(PARTITIONS))
    wait_until(enough, 30, "the first member to read past %s" % target)
    for p in range(PARTITIONS):
        check(seen[p] == list(range(len(seen[p]))), "partition %d read out of order: %s" % (p, seen[p][:20]))
    for step in (2, 1):
        offs = [TopicPartition(TOPIC, p, target[p] // step) for p in range(PARTITIONS)]
        res = k.commit(offsets=offs, asynchronous=False)
        for tp in res:
            check(tp.error is None, "commit of partition %d failed: %s" % (tp.partition, tp.error))
        check({tp.partition: tp.offset for tp in res} == {tp.partition: tp.offset for tp in offs},
              "commit answered %s" % res)
    # The coordinator serves exactly what was acknowledged.
    got = k.committed([TopicPartition(TOPIC, p) for p in range(PARTITIONS)], timeout=10)
    check({tp.partition: tp.offset for tp in got} == target, "committed() before the kill: %s" % got)
    return target


def test(c):
    from confluent_kafka import TopicPartition
    zk = c.kazoo()
    c.create_topic(TOPIC, partitions=PARTITIONS, rf=3)
    ends = produce(c)
    log("produced %d records: log ends %s" % (RECORDS, ends))

    k = member(c.bootstrap)
    k.subscribe([TOPIC])
    opart = offsets_partition(GROUP)
    # __consumer_offsets is created by the member's first FindCoordinator.
    wait_until(lambda: zk.exists("/brokers/topics/__consumer_offsets/partitions/%d/state" % opart),
               30, "__consumer_offsets-%d" % opart)
    wait_until(lambda: sorted(state(zk, "__consumer_offsets", opart)["isr"]) == [0, 1, 2], 30,
               "the ISR of __consumer_offsets-%d = all three brokers" % opart)
    committed = consume_and_commit(k)
    log("committed %s" % committed)

    st = state(zk, "__consumer_offsets", opart)
    victim = st["leader"]
    check(sorted(st["isr"]) == [0, 1, 2], "ISR of __consumer_offsets-%d shrank: %s" % (opart, st))
    survivors = [b for b in c.brokers if b.id != victim]
    fc = find_coordinator(survivors[0].bootstrap, GROUP)
    check(fc == (0, victim), "FindCoordinator answered %s, not broker %d, the leader of __consumer_offsets-%d"
          % (fc, victim, opart))
    log("kill -9 broker %d (coordinator of %s, leader of __consumer_offsets-%d)" % (victim, GROUP, opart))
    c.brokers[victim].kill9()

    def new_leader():
        s = state(zk, "__consumer_offsets", opart)
        return [s["leader"]] if s["leader"] not in (victim, -1) else None
    leader = wait_until(new_leader, 40, "a new leader of __consumer_offsets-%d" % opart)[0]
    check(leader in st["isr"] and c.brokers[leader].alive(),
          "new leader %d is not a live member of the old ISR %s" % (leader, st["isr"]))
    for b in survivors:
        wait_until(lambda: find_coordinator(b.bootstrap, GROUP) == (0, leader), 30,
                   "broker %d's FindCoordinator to name broker %d" % (b.id, leader))
    log("broker %d coordinates %s now" % (leader, GROUP))
    k.close()

    live = ",".join(b.bootstrap for b in survivors)
    # A fresh consumer of the group reads the committed offsets back.
    fresh = member(live)
    got = fresh.committed([TopicPartition(TOPIC, p) for p in range(PARTITIONS)], timeout=30)
    check({tp.partition: tp.offset for tp in got} == committed,
          "committed offsets after the failover %s, expected %s" % ({tp.partition: tp.offset for tp in got}, committed))
    fresh.close()

    # A new member resumes right after them and reads the rest once.
    r = member(live)
    r.subscribe([TOPIC])
    left = sum(ends[p] - committed[p] for p in range(PARTITIONS))
    seen = {p: [] for p in range(PARTITIONS)}

    def drained():
        for m in r.consume(500, 0.5):
            if not m.error():
                seen[m.partition()].append(m.offset())
        return sum(len(v) for v in seen.values()) >= left
    try:
        wait_until(drained, 60, "the %d records after the committed offsets" % left)
    except harness.TestFailure as e:
        harness.fail("%s (assignment %s, read %s)" % (e, [tp.partition for tp in r.assignment()],
                                                     {p: len(v) for p, v in seen.items()}))
    extra = [m for m in r.consume(500, 1.0) if not m.error()]
    check(not extra, "read past the end: %r" % [(m.partition(), m.offset()) for m in extra])
    for p in range(PARTITIONS):
        check(seen[p] == list(range(committed[p], ends[p])),
              "partition %d: read %s..., expected offsets %d..%d" % (p, seen[p][:5], committed[p], ends[p] - 1))
    log("new member read offsets committed..end of every partition: %d records, no re-delivery" % left)
    r.close()


harness.main(test, brokers=3, broker_props=PROPS)
