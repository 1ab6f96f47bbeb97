#!/usr/bin/python3
"""Proves fetching from the closest replica (KIP-392): three brokers in racks r1, r2 and r3 with replica.selector.class=RackAwareReplicaSelector and an RF=3 topic. A confluent-kafka consumer with client.rack=r2 gets more than 95% of its bytes (librdkafka's per-broker rxbytes statistics, counted once its first fetches are answered) from the r2 broker, including partitions led elsewhere, and reads every record exactly once; a consumer without client.rack reads a partition from its leader. After the r2 broker becomes the leader of every partition (reordered replicas, preferred election) and is killed with kill -9, the rack consumer carries on from the remaining replicas and still reads every record, old and new, exactly once. A broker refuses to start with an unknown replica.selector.class, naming the key."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402

TOPIC = "near"
PARTITIONS = 3
RACKS = {0: "r1", 1: "r2", 2: "r3"}
NEAR = 1  # the broker in the consumer's rack
SELECTOR = "org.apache.kafka.common.replica.RackAwareReplicaSelector"
PAD = b"x" * 900
BROKER_PROPS = {
    "replica.selector.class": SELECTOR,
    # The killed broker leaves the ISR when its session expires; keep that
    # short so acks=all produces after the kill do not wait long.
    "zookeeper.session.timeout.ms": "6000",
    "default.replication.factor": "3",
}


def produce(c, first, n):
    from confluent_kafka import Producer
    prod = Producer({"bootstrap.servers": c.bootstrap, "acks": "all", "linger.ms": 5,
                     "enable.idempotence": False, "message.timeout.ms": 120000})
    failed = []

    def dr(err, msg):
        if err is not None:
            failed.append(err)
    for i in range(first, first + n):
        while True:
            try:
                prod.produce(TOPIC, value=b"v-%07d-" % i + PAD, partition=i % PARTITIONS,
                             on_delivery=dr)
                break
            except BufferError:
                prod.poll(0.05)
        prod.poll(0)
    left = prod.flush(150)
    check(left == 0 and not failed, "produce %d..%d: %d undelivered, errors %r"
          % (first, first + n, left, failed[:3]))


class Reader:
    """A consumer assigned to partitions from the beginning that keeps the
    latest librdkafka statistics and counts every value it reads."""

    def __init__(self, c, name, rack=None, partitions=range(PARTITIONS)):
        from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
        self.ports = {b.port: b.id for b in c.brokers}
        self.stats = None
        conf = {"bootstrap.servers": c.bootstrap, "group.id": "ffr-" + name,
                "enable.auto.commit": False, "auto.offset.reset": "earliest",
                "statistics.interval.ms": 100, "stats_cb": self._stats,
                "topic.metadata.refresh.interval.ms": 2000}
        if rack:
            conf["client.rack"] = rack
        self.consumer = Consumer(conf)
        self.consumer.assign([TopicPartition(TOPIC, p, OFFSET_BEGINNING) for p in partitions])
        self.seen = {}

    def _stats(self, text):
        self.stats = json.loads(text)

    def rxbytes(self):
        """Bytes received so far per broker id (bootstrap connections are
        mapped by port to the broker behind them)."""
        out = {}
        for b in (self.stats or {}).get("brokers", {}).values():
            name = b.get("name", "")
            try:
                port = int(name.split("/")[0].rsplit(":", 1)[1])
            except (IndexError, ValueError):
                continue
            bid = self.ports.get(port)
            if bid is not None:
                out[bid] = out.get(bid, 0) + b.get("rxbytes", 0)
        return out

    def pump(self, timeout):
        """One poll: counts a record, logs an event; statistics arrive
        through it too."""
        msg = self.consumer.poll(timeout)
        if msg is None:
            return
        if msg.error():
            log("consumer event: %s" % msg.error())
            return
        v = msg.value()[:9]
        self.seen[v] = self.seen.get(v, 0) + 1

    def read_until(self, total, timeout):
        deadline = time.monotonic() + timeout
        while len(self.seen) < total:
            check(time.monotonic() < deadline, "read %d of %d distinct records in %ds"
                  % (len(self.seen), total, timeout))
            self.pump(0.2)

    def fresh_stats(self):
        """Waits for statistics emitted from now on (still counting
        records)."""
        self.stats = None
        wait_until(lambda: self.pump(0.05) or self.stats is not None, 10,
                   "fresh consumer statistics")

    def close(self):
        self.consumer.close()


def share(delta, bid):
    total = sum(delta.values())
    return (delta.get(bid, 0) / total if total else 0.0), total


def diff(a, b):
    return {k: b.get(k, 0) - a.get(k, 0) for k in set(a) | set(b)}


def leaders(c):
    md = c.metadata(TOPIC)
    for t in md["topics"]:
        if t["topic"] == TOPIC:
            return {p["partition"]: p["leader"] for p in t["partitions"]}
    return {}


def check_exactly_once(reader, first, n):
    want = {b"v-%07d" % i for i in range(first, first + n)}
    missing = want - set(reader.seen)
    dups = [v for v, k in reader.seen.items() if k != 1]
    extra = set(reader.seen) - want
    check(not missing, "%d records never read, e.g. %r" % (len(missing), sorted(missing)[:3]))
    check(not dups, "%d records read more than once, e.g. %r" % (len(dups), dups[:3]))
    check(not extra, "unexpected records %r" % sorted(extra)[:3])


def test(c):
    # An unknown selector class: the broker refuses to start, naming the key.
    bad = c.add_broker(9, props={"replica.selector.class": "com.example.Nearest"}, start=False)
    p = harness.run([os.path.join(harness.BIN, "kafka-server-start.sh"), bad.props_path],
                    timeout=60, check_rc=False, env={"LOG_DIR": bad.log_dir},
                    what="broker with an unknown selector")
    out = (p.stdout + p.stderr).decode(errors="replace") + bad.log_text()
    check(p.returncode != 0, "broker started with replica.selector.class=com.example.Nearest")
    check("replica.selector.class" in out and "com.example.Nearest" in out,
          "refusal does not name the key and class: %r" % out[-1500:])
    c.brokers.remove(bad)

    for b, rack in RACKS.items():
        c.add_broker(b, props=dict(BROKER_PROPS, **{"broker.rack": rack}))
    c.create_topic(TOPIC, partitions=PARTITIONS, rf=3)
    warm, n1 = 30, 3000
    produce(c, 0, warm)
    lead = leaders(c)
    log("leaders %r; broker %d is in rack r2" % (lead, NEAR))
    check(any(l != NEAR for l in lead.values()), "every partition is led by the r2 broker")

    # The rack-aware consumer: once its first fetches are answered (the
    # leaders name the r2 broker, records arrive), what it fetches next comes
    # from r2. librdkafka prefetches, so the records counted are produced
    # after that point.
    near = Reader(c, "near", rack="r2")
    near.read_until(warm, 120)
    near.fresh_stats()
    base = near.rxbytes()
    produce(c, warm, n1)
    n1 += warm
    near.read_until(n1, 120)
    near.fresh_stats()
    frac, total = share(diff(base, near.rxbytes()), NEAR)
    log("client.rack=r2: %.1f%% of %d bytes from broker %d (per broker %r)"
        % (100 * frac, total, NEAR, diff(base, near.rxbytes())))
    check(total > n1 * len(PAD) / 2, "only %d bytes counted for %d records" % (total, n1))
    check(frac > 0.95, "only %.1f%% of the bytes came from the r2 broker" % (100 * frac))
    check_exactly_once(near, 0, n1)

    # A consumer without client.rack reads from the leader.
    part = next(p for p, l in sorted(lead.items()) if l != NEAR)
    plain = Reader(c, "plain", partitions=[part])
    plain.read_until(n1 // PARTITIONS, 120)
    plain.fresh_stats()
    pdelta = plain.rxbytes()
    pfrac, ptotal = share(pdelta, lead[part])
    log("no client.rack, partition %d: %.1f%% of %d bytes from its leader %d (per broker %r)"
        % (part, 100 * pfrac, ptotal, lead[part], pdelta))
    check(pfrac > 0.95, "only %.1f%% of the bytes came from the leader" % (100 * pfrac))
    plain.close()

    # kill -9 the r2 broker: the rack consumer carries on from the others.
    # librdkafka keeps a partition on its preferred replica until a fetch
    # there fails with an error, its leader changes, or its 5-minute lease on
    # that replica runs out (a client-side constant); a dead follower answers
    # nothing. So that the test shows the brokers' part (new leaders elected
    # without the r2 broker serve the rack consumer, and name no dead replica
    # as its preferred one) without waiting out that lease, the r2 broker
    # first becomes the preferred leader of every partition: reordered
    # replica lists, then a preferred election.
    plan = {"version": 1, "partitions": [
        {"topic": TOPIC, "partition": p,
         "replicas": [NEAR] + [b for b in sorted(RACKS) if b != NEAR]}
        for p in range(PARTITIONS)]}
    plan_path = os.path.join(c.root, "near-first.json")
    with open(plan_path, "w") as f:
        json.dump(plan, f)
    harness.run([os.path.join(harness.BIN, "kafka-reassign-partitions.sh"),
                 "--bootstrap-server", c.bootstrap, "--execute",
                 "--reassignment-json-file", plan_path], timeout=60,
                what="reassignment putting broker %d first" % NEAR)
    wait_until(lambda: "is complete" in harness.run(
        [os.path.join(harness.BIN, "kafka-reassign-partitions.sh"), "--bootstrap-server",
         c.bootstrap, "--verify", "--reassignment-json-file", plan_path],
        timeout=60, check_rc=False, what="reassignment verify").stdout.decode(), 60,
        "the reordering reassignment to complete")
    harness.run([os.path.join(harness.BIN, "kafka-leader-election.sh"), "--bootstrap-server",
                 c.bootstrap, "--election-type", "preferred", "--all-topic-partitions"],
                timeout=60, check_rc=False, what="preferred leader election")
    wait_until(lambda: set(leaders(c).values()) == {NEAR}, 60,
               "broker %d leading every partition" % NEAR)
    c.brokers[NEAR].kill9()
    log("killed broker %d, the leader of every partition" % NEAR)
    near.fresh_stats()
    kbase = near.rxbytes()
    n2 = 1500
    produce(c, n1, n2)
    near.read_until(n1 + n2, 120)
    near.fresh_stats()
    kdelta = diff(kbase, near.rxbytes())
    log("after the kill: per broker %r" % kdelta)
    check(sum(v for k, v in kdelta.items() if k != NEAR) > n2 * len(PAD) / 2,
          "the new records did not come from the remaining brokers: %r" % kdelta)
    check_exactly_once(near, 0, n1 + n2)
    near.close()
    log("fetch from follower ok: %d records exactly once across the kill" % (n1 + n2))


harness.main(test, brokers=0)
