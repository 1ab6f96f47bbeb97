#!/usr/bin/python3
"""Proves that with RF=3, min.insync.replicas=2 and acks=all every acknowledged record survives a hard kill (kill -9) and a clean shutdown of partition leaders while a producer runs: followers replicate, the ISR is restored after restarts, and each partition afterwards holds every acknowledged record once per acknowledgement, in acknowledgement order."""
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402

TOPIC = "rep"
PARTITIONS = 3
PROPS = {
    "zookeeper.session.timeout.ms": "6000",
    "replica.lag.time.max.ms": "3000",
    "min.insync.replicas": "2",
    "unclean.leader.election.enable": "false",
    "controlled.shutdown.retry.backoff.ms": "200",
    "controlled.shutdown.max.retries": "1",
}


def state(zk, p):
    data, _ = zk.get("/brokers/topics/%s/partitions/%d/state" % (TOPIC, p))
    return json.loads(data)


def full_isr(zk):
    return all(sorted(state(zk, p)["isr"]) == [0, 1, 2] for p in range(PARTITIONS))


class Load(threading.Thread):
    """acks=all producer; acked[p] lists (offset, value) from delivery
    reports."""

    def __init__(self, bootstrap):
        super().__init__(daemon=True)
        from confluent_kafka import Producer
        self.prod = Producer({"bootstrap.servers": bootstrap, "acks": "all",
                              "message.timeout.ms": 60000, "retries": 1000000,
                              "retry.backoff.ms": 100, "linger.ms": 5,
                              "max.in.flight.requests.per.connection": 1,
                              "enable.idempotence": False,
                              "topic.metadata.refresh.interval.ms": 1000})
        self.acked = {p: [] for p in range(PARTITIONS)}
        self.failed = 0
        self.stop = False
        self.sent = 0

    def dr(self, err, msg):
        if err is None:
            self.acked[msg.partition()].append((msg.offset(), msg.value()))
        else:
            self.failed += 1

    def run(self):
        i = 0
        while not self.stop:
            v = ("v%07d" % i).encode()
            try:
                self.prod.produce(TOPIC, value=v, partition=i % PARTITIONS, on_delivery=self.dr)
                i += 1
            except BufferError:
                pass
            self.prod.poll(0.002)
        self.sent = i
        self.prod.flush(90)


def leader_of(zk, p):
    return state(zk, p)["leader"]


def test(c):
    c.create_topic(TOPIC, partitions=PARTITIONS, rf=3)
    zk = c.kazoo()
    wait_until(lambda: full_isr(zk), 30, "ISR of every partition = all three replicas")
    load = Load(c.bootstrap)
    load.start()
    wait_until(lambda: sum(len(v) for v in load.acked.values()) > 300, 30, "first acks")
    # Hard kill of partition 0's leader, then its return.
    victim = leader_of(zk, 0)
    log("kill -9 broker %d (leader of %s-0)" % (victim, TOPIC))
    c.brokers[victim].kill9()
    wait_until(lambda: leader_of(zk, 0) != victim, 30, "a new leader for partition 0")
    before = sum(len(v) for v in load.acked.values())
    wait_until(lambda: sum(len(v) for v in load.acked.values()) > before + 300, 30,
               "acks=all progress with one broker down")
    c.brokers[victim].start()
    wait_until(lambda: full_isr(zk), 40, "broker %d back in every ISR" % victim)
    # Clean shutdown of partition 1's leader, then its return.
    victim = leader_of(zk, 1)
    log("clean shutdown of broker %d (leader of %s-1)" % (victim, TOPIC))
    check(c.brokers[victim].stop() == 0, "clean shutdown exit status")
    wait_until(lambda: leader_of(zk, 1) != victim, 30, "a new leader for partition 1")
    before = sum(len(v) for v in load.acked.values())
    wait_until(lambda: sum(len(v) for v in load.acked.values()) > before + 300, 30,
               "acks=all progress after the clean shutdown")
    c.brokers[victim].start()
    wait_until(lambda: full_isr(zk), 40, "broker %d back in every ISR" % victim)
    load.stop = True
    load.join(120)
    check(not load.is_alive(), "producer finished")
    total = sum(len(v) for v in load.acked.values())
    log("sent %d, acknowledged %d, failed %d" % (load.sent, total, load.failed))
    for p in range(PARTITIONS):
        recs = c.read_partition(TOPIC, p)
        by_offset = {o: v for (_k, v, o) in recs}
        for off, v in load.acked[p]:
            check(by_offset.get(off) == v,
                  "partition %d: acknowledged %r at offset %d, log has %r" % (p, v, off, by_offset.get(off)))
        offs = [o for (o, _v) in load.acked[p]]
        check(offs == sorted(offs), "partition %d: acknowledgements out of offset order" % p)
        log("partition %d: %d records, all %d acknowledged present in order" % (p, len(recs), len(load.acked[p])))


harness.main(test, brokers=3, broker_props=PROPS)
