#!/usr/bin/python3
"""Proves librdkafka's idempotent producer (enable.idempotence=true) works
against Samsa across leader failures: it gets a producer id, and while it
produces N messages to an RF=3 topic on 3 brokers the leader of partition 0
is killed with kill -9 twice (and restarted each time); every message is
acknowledged without error and each partition afterwards holds every
message sent to it exactly once, in send order. N is 50,000 (200,000 with
SM_WITH_LONG=1). Then a raw client's batch, acknowledged by the leader
with acks=all, is re-sent after that leader shut down: the new leader, which
only replicated it, answers with the original offset and stores nothing."""
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402
from produceutil import Conn, record_batch  # noqa: E402

TOPIC = "idem"
PARTITIONS = 3
N = 200000 if os.environ.get("SM_WITH_LONG") == "1" else 50000
RATE = 5000  # messages/s: keeps batches in flight when a leader dies
PROPS = {
    "zookeeper.session.timeout.ms": "6000",
    "replica.lag.time.max.ms": "3000",
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
    """The idempotent producer; pauses before message gates[k][0] until
    gates[k][1] is set, so each kill happens with batches in flight."""

    def __init__(self, bootstrap, gates):
        super().__init__(daemon=True)
        from confluent_kafka import Producer
        self.prod = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True,
                              "message.timeout.ms": 300000, "linger.ms": 5,
                              "topic.metadata.refresh.interval.ms": 1000})
        self.gates = gates
        self.acked = 0
        self.errors = []
        self.flushed = None

    def dr(self, err, msg):
        if err is None:
            self.acked += 1
        else:
            self.errors.append(err)

    def run(self):
        t0 = time.monotonic()
        gates = list(self.gates)
        i = 0
        while i < N:
            if gates and i == gates[0][0]:
                while not gates[0][1].wait(0.05):
                    self.prod.poll(0)
                gates.pop(0)
                t0 = time.monotonic() - i / RATE
            ahead = i / RATE - (time.monotonic() - t0)
            if ahead > 0:
                self.prod.poll(min(ahead, 0.05))
                continue
            try:
                self.prod.produce(TOPIC, value=b"m-%07d" % i, partition=i % PARTITIONS,
                                  on_delivery=self.dr)
                i += 1
            except BufferError:
                self.prod.poll(0.01)
            self.prod.poll(0)
        self.flushed = self.prod.flush(300)


def leader_of(zk, p):
    return state(zk, p)["leader"]


def kill_leader(c, zk, n):
    victim = leader_of(zk, 0)
    log("kill -9 #%d: broker %d (leader of %s-0)" % (n, victim, TOPIC))
    c.brokers[victim].kill9()
    wait_until(lambda: leader_of(zk, 0) not in (victim, -1), 60, "a new leader for partition 0")
    c.brokers[victim].start()
    wait_until(lambda: full_isr(zk), 60, "broker %d back in every ISR" % victim)


def test(c):
    c.create_topic(TOPIC, partitions=PARTITIONS, rf=3)
    zk = c.kazoo()
    wait_until(lambda: full_isr(zk), 30, "ISR of every partition = all three replicas")
    kill1, ready2, kill2 = threading.Event(), threading.Event(), threading.Event()
    load = Load(c.bootstrap, [(int(N * 0.4), kill1), (int(N * 0.6), ready2),
                              (int(N * 0.8), kill2)])
    load.start()
    wait_until(lambda: load.acked >= N // 4, 120, "a quarter of the messages acknowledged")
    kill1.set()  # released once the kill below is under way: the gate only bounds the lead
    kill_leader(c, zk, 1)
    ready2.set()
    wait_until(lambda: load.acked >= int(N * 0.65) or load.errors, 120,
               "65% of the messages acknowledged")
    kill2.set()
    kill_leader(c, zk, 2)
    load.join(360)
    check(not load.is_alive(), "producer finished")
    check(not load.errors, "delivery errors: %r" % load.errors[:3])
    check(load.flushed == 0 and load.acked == N, "acknowledged %d of %d" % (load.acked, N))
    for p in range(PARTITIONS):
        vals = [v for (_k, v, _o) in c.read_partition(TOPIC, p, timeout=300)]
        want = [b"m-%07d" % i for i in range(p, N, PARTITIONS)]
        if vals != want:
            dups = len(vals) - len(set(vals))
            missing = len(set(want) - set(vals))
            check(False, "partition %d: %d records for %d sent, %d duplicates, %d missing"
                  % (p, len(vals), len(want), dups, missing))
        log("partition %d: %d messages exactly once, in order" % (p, len(vals)))
    text = "".join(b.log_text() for b in c.brokers)
    check("OUT_OF_ORDER_SEQUENCE_NUMBER" not in text, "a broker refused a sequence")
    dedup_after_leader_change(c, zk)


def dedup_after_leader_change(c, zk):
    leader = leader_of(zk, 1)
    conn = Conn(c.brokers[leader].port)
    err, pid, _ = conn.init_producer_id(ver=4)
    check(err == 0, "InitProducerId: %d" % err)
    b = record_batch([b"raw-%d" % i for i in range(5)], pid=pid, epoch=0, seq=0)
    err, base = conn.produce(TOPIC, 1, b)
    check(err == 0, "raw produce: %d" % err)
    end = conn.end_offset(TOPIC, 1)
    conn.close()
    check(c.brokers[leader].stop() == 0, "clean shutdown of broker %d" % leader)
    wait_until(lambda: leader_of(zk, 1) not in (leader, -1), 60, "a new leader for partition 1")
    new = leader_of(zk, 1)
    conn = Conn(c.brokers[new].port)
    check(conn.produce(TOPIC, 1, b) == (0, base),
          "new leader %d did not deduplicate the replicated batch" % new)
    check(conn.end_offset(TOPIC, 1) == end, "duplicate appended on the new leader")
    conn.close()
    log("leader %d -> %d: the retried batch answered with its offset %d, stored once"
        % (leader, new, base))


harness.main(test, brokers=3, broker_props=PROPS)
