#!/usr/bin/python3
"""Proves min.insync.replicas and truncation by leader epoch: with two of three replicas down an acks=all produce fails with NOT_ENOUGH_REPLICAS while acks=1 succeeds; a leader that took acks=1 records its paused followers never fetched, then died, comes back as a follower, truncates those records by leader epoch (leader-epoch-checkpoint records the epochs) and ends up with a log byte-identical to the new leader's."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402

TOPIC = "mi"
PROPS = {
    "zookeeper.session.timeout.ms": "6000",
    "replica.lag.time.max.ms": "4000",
    "min.insync.replicas": "2",
    "replica.fetch.wait.max.ms": "250",
    "controlled.shutdown.retry.backoff.ms": "200",
    "controlled.shutdown.max.retries": "1",
}


def state(zk):
    data, _ = zk.get("/brokers/topics/%s/partitions/0/state" % TOPIC)
    return json.loads(data)


def produce(c, values, acks, retries=0, timeout_ms=10000):
    """Returns (acked values, error names)."""
    from confluent_kafka import Producer
    prod = Producer({"bootstrap.servers": c.bootstrap, "acks": str(acks), "retries": retries,
                     "message.timeout.ms": timeout_ms, "enable.idempotence": False,
                     "max.in.flight.requests.per.connection": 1})
    acked, errors = [], []

    def dr(err, msg):
        if err is None:
            acked.append(msg.value().decode())
        else:
            errors.append(err.name())
    for v in values:
        prod.produce(TOPIC, value=v.encode(), partition=0, on_delivery=dr)
    prod.flush(60)
    return acked, errors


def segment(b):
    with open(os.path.join(b.data_dir, TOPIC + "-0", "%020d.log" % 0), "rb") as f:
        return f.read()


def epochs(b):
    with open(os.path.join(b.data_dir, TOPIC + "-0", "leader-epoch-checkpoint")) as f:
        return f.read().split("\n")


def test(c):
    c.create_topic(TOPIC, partitions=1, rf=3)
    zk = c.kazoo()
    wait_until(lambda: len(state(zk)["isr"]) == 3, 30, "ISR of three")
    acked, errors = produce(c, ["a%d" % i for i in range(20)], "all")
    check(len(acked) == 20 and not errors, "acks=all with a full ISR: %r" % errors)
    leader = state(zk)["leader"]
    followers = [b for b in c.brokers if b.id != leader]

    # Two of three replicas down: acks=all is refused, acks=1 is not.
    for b in followers:
        check(b.stop() == 0, "clean stop of broker %d" % b.id)
    wait_until(lambda: state(zk)["isr"] == [leader], 30, "ISR shrunk to the leader")
    acked, errors = produce(c, ["b%d" % i for i in range(5)], "all")
    check(not acked and errors and all(e == "NOT_ENOUGH_REPLICAS" for e in errors),
          "acks=all with ISR below min.insync.replicas: acked %r errors %r" % (acked, errors))
    acked, errors = produce(c, ["c%d" % i for i in range(5)], 1)
    check(len(acked) == 5 and not errors, "acks=1 with one replica: %r" % errors)
    for b in followers:
        b.start()
    wait_until(lambda: len(state(zk)["isr"]) == 3, 40, "followers back in the ISR")
    acked, errors = produce(c, ["d%d" % i for i in range(10)], "all")
    check(len(acked) == 10 and not errors, "acks=all after the followers returned: %r" % errors)

    # The leader takes records its (paused) followers never see, then dies.
    old = c.brokers[state(zk)["leader"]]
    paused = [b for b in c.brokers if b is not old]
    for b in paused:
        b.pause()
    # A fetch the followers sent just before the pause may still be parked
    # in the leader's purgatory; its answer would carry the next records
    # into their socket buffers, to be appended on resume. Once
    # replica.fetch.wait.max.ms has passed every parked fetch has been
    # answered (empty) and the paused followers send no new one.
    time.sleep(4 * int(PROPS["replica.fetch.wait.max.ms"]) / 1000.0)
    try:
        acked, errors = produce(c, ["lost%d" % i for i in range(7)], 1)
        check(len(acked) == 7, "acks=1 to the old leader: %r" % errors)
        old.kill9()
    finally:
        for b in paused:
            b.resume()
    log("killed old leader %d after 7 unreplicated records" % old.id)
    wait_until(lambda: state(zk)["leader"] not in (-1, old.id), 40, "a new leader")
    new = c.brokers[state(zk)["leader"]]
    acked, errors = produce(c, ["e%d" % i for i in range(10)], "all", retries=100, timeout_ms=30000)
    check(len(acked) == 10 and not errors, "acks=all to the new leader: %r" % errors)
    old.start()
    wait_until(lambda: len(state(zk)["isr"]) == 3, 40, "old leader back in the ISR")
    recs = [v.decode() for (_k, v, _o) in c.read_partition(TOPIC, 0)]
    check(not any(v.startswith("lost") for v in recs), "unreplicated records survived: %r" % recs)
    check(recs[-10:] == ["e%d" % i for i in range(10)], "tail of the log: %r" % recs[-12:])
    wait_until(lambda: segment(old) == segment(new), 20,
               "old leader's segment identical to the new leader's")
    check("Truncating" in old.log_text(), "old leader logged its truncation")
    ep = epochs(old)
    check(ep[0] == "0" and int(ep[1]) >= 2, "leader-epoch-checkpoint of the old leader: %r" % ep)
    log("old leader truncated; epochs %r" % ep[2:-1])


harness.main(test, brokers=3, broker_props=PROPS)
