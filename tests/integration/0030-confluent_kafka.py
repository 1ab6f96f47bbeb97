#!/usr/bin/python3
"""Proves confluent-kafka-python produces 1,000 keyed records with headers to explicit partitions (every delivery report clean, flush() returns 0) and an assign()-ed consumer from OFFSET_BEGINNING reads them back identical and in order, reaching partition EOF."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, fail, log  # noqa: E402

TOPIC = "ck-topic"
PARTITIONS = 3
COUNT = 1000


def produce(c):
    from confluent_kafka import Producer
    prod = Producer({"bootstrap.servers": c.bootstrap, "message.timeout.ms": 30000,
                     "acks": "all"})
    sent = {p: [] for p in range(PARTITIONS)}
    errors = []

    # confluent-kafka 1.7 does not hand the headers back in the delivery
    # report, so each report is matched with the headers that were sent.
    def reporter(hdrs):
        def on_delivery(err, msg):
            if err is not None:
                errors.append(str(err))
                return
            sent[msg.partition()].append((msg.offset(), msg.key(), msg.value(), hdrs))
        return on_delivery

    for i in range(COUNT):
        p = i % PARTITIONS
        hdrs = [("seq", b"%d" % i), ("bin", bytes([i % 256, 0]))]
        prod.produce(TOPIC, key=b"ck-%d" % (i % 41), value=b"payload-%06d" % i + b"\x00\xff" * (i % 7),
                     partition=p, headers=hdrs, on_delivery=reporter(hdrs))
        prod.poll(0)
    left = prod.flush(60)
    check(left == 0, "flush() left %d messages undelivered" % left)
    check(not errors, "delivery errors: %s" % errors[:5])
    return sent


def consume(c):
    from confluent_kafka import Consumer, KafkaError, TopicPartition, OFFSET_BEGINNING
    # group.id is required by the Python binding's constructor but is never
    # used: assign() involves no group coordinator.
    cons = Consumer({"bootstrap.servers": c.bootstrap, "group.id": "unused-assign-only",
                     "enable.auto.commit": False, "enable.partition.eof": True,
                     "isolation.level": "read_uncommitted"})
    cons.assign([TopicPartition(TOPIC, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    got = {p: [] for p in range(PARTITIONS)}
    eof = set()
    deadline = time.monotonic() + 60
    while len(eof) < PARTITIONS:
        if time.monotonic() > deadline:
            fail("timed out; EOF seen on %s, read %d" % (sorted(eof), sum(map(len, got.values()))))
        msg = cons.poll(1.0)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                eof.add(msg.partition())
                continue
            fail("consumer error: %s" % msg.error())
        got[msg.partition()].append((msg.offset(), msg.key(), msg.value(), msg.headers()))
    cons.close()
    return got


def test(c):
    c.create_topic(TOPIC, partitions=PARTITIONS)
    sent = produce(c)
    log("produced %d records" % COUNT)
    got = consume(c)
    for p in range(PARTITIONS):
        exp = sorted(sent[p], key=lambda r: r[0])
        check([e[0] for e in exp] == list(range(len(exp))),
              "partition %d delivery offsets are not 0..%d" % (p, len(exp) - 1))
        check(got[p] == exp, "partition %d: read-back differs (read %d, produced %d; first "
              "difference %r)" % (p, len(got[p]), len(exp),
                                  next(((a, b) for a, b in zip(got[p], exp) if a != b), None)))
        log("partition %d: %d records ok" % (p, len(exp)))


if __name__ == "__main__":
    harness.main(test, brokers=1)
