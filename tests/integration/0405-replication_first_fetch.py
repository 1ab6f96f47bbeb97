#!/usr/bin/python3
"""Proves that followers start fetching a new partition as soon as they learn of it, not after their previous fetch or a back-off ends: with replica.fetch.wait.max.ms and replica.fetch.backoff.ms (60 s) far above the producer's delivery timeout (20 s), the first acks=all records on each of several new RF 3 topics are acknowledged, though every follower's fetcher thread is parked at its leader when the topic is created (a fetch in flight is cut short when a partition is added) and a follower may ask its leader before the leader has taken the partition over (UNKNOWN_TOPIC_OR_PARTITION / NOT_LEADER_OR_FOLLOWER are retried shortly until the leader has answered once). Then a consumer reads every record back from each topic, and the brokers logged the cut-short fetches."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log  # noqa: E402

TOPICS = 4
PARTITIONS = 3
PROPS = {
    # a follower's fetch parks at its leader for up to a minute, and an
    # error would hold the partition back for a minute: neither may stand
    # between a new partition and its first fetch
    "replica.fetch.wait.max.ms": "60000",
    "replica.fetch.backoff.ms": "60000",
    "replica.socket.timeout.ms": "120000",
    "replica.lag.time.max.ms": "120000",
}


def produce_first(bootstrap, topic):
    """One acks=all record per partition from a producer that already knows
    the topic's leaders; returns the delivery errors and offsets."""
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0,
                  "message.timeout.ms": 20000, "retries": 0, "enable.idempotence": False})
    md = p.list_topics(topic, timeout=20)
    check(len(md.topics[topic].partitions) == PARTITIONS, "producer sees %s's partitions" % topic)
    res = []
    for part in range(PARTITIONS):
        p.produce(topic, ("%s-%d" % (topic, part)).encode(), partition=part,
                  on_delivery=lambda err, msg: res.append((err, msg.partition(), msg.offset())))
    left = p.flush(60)
    check(left == 0, "%s: %d records still undelivered" % (topic, left))
    return res


def test(c):
    # fetcher threads to every leader, parked there for up to a minute
    c.create_topic("parked", partitions=PARTITIONS, rf=3)
    c.kcat("-P", "-t", "parked", "-p", "0", input=b"x\n")
    for i in range(TOPICS):
        topic = "new%d" % i
        c.create_topic(topic, partitions=PARTITIONS, rf=3, extra=["--config", "min.insync.replicas=3"])
        res = produce_first(c.bootstrap, topic)
        errs = [r for r in res if r[0] is not None]
        check(not errs, "%s: first acks=all records failed: %s" % (topic, errs))
        check(sorted((r[1], r[2]) for r in res) == [(p, 0) for p in range(PARTITIONS)],
              "%s: one record at offset 0 in each partition: %s" % (topic, res))
        log("%s: the first acks=all record of each partition acknowledged" % topic)
        got = c.kcat("-C", "-t", topic, "-o", "beginning", "-e", "-f", "%p:%s\\n").stdout.decode().split()
        check(sorted(got) == sorted("%d:%s-%d" % (p, topic, p) for p in range(PARTITIONS)),
              "%s: read back %r" % (topic, got))
    cut = sum(open(b.server_log).read().count("cut short to add partitions") for b in c.brokers)
    log("fetches cut short to add partitions: %d" % cut)
    check(cut > 0, "a follower's parked fetch was cut short for a new partition")


harness.main(test, brokers=3, broker_props=PROPS)
