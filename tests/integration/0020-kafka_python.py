#!/usr/bin/python3
"""Proves kafka-python (acks=all, retries=5) can produce 1,000 keyed records with headers to explicit partitions and read them back without a group, with keys, values, headers, offsets and per-partition order intact."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log  # noqa: E402

TOPIC = "kp-topic"
PARTITIONS = 3
COUNT = 1000


def produce(c):
    from kafka import KafkaProducer
    prod = KafkaProducer(bootstrap_servers=c.bootstrap, acks="all", retries=5,
                         request_timeout_ms=15000)
    sent = {p: [] for p in range(PARTITIONS)}
    futures = []
    for i in range(COUNT):
        p = i % PARTITIONS
        key = b"key-%d" % (i % 37)
        value = b"value-%06d-" % i + bytes(range(256))[: i % 200]
        headers = [("seq", b"%d" % i), ("h-bin", bytes([i % 256, 0, 255]))]
        futures.append((p, key, value, headers,
                        prod.send(TOPIC, value=value, key=key, headers=headers, partition=p)))
    prod.flush(timeout=60)
    for p, key, value, headers, fut in futures:
        md = fut.get(timeout=60)
        check(md.partition == p, "record for partition %d acknowledged on %d" % (p, md.partition))
        sent[p].append((md.offset, key, value, headers))
    prod.close(timeout=10)
    return sent


def consume(c):
    from kafka import KafkaConsumer, TopicPartition
    cons = KafkaConsumer(bootstrap_servers=c.bootstrap, group_id=None,
                         enable_auto_commit=False, auto_offset_reset="earliest",
                         consumer_timeout_ms=10000)
    tps = [TopicPartition(TOPIC, p) for p in range(PARTITIONS)]
    cons.assign(tps)
    cons.seek_to_beginning(*tps)
    got = {p: [] for p in range(PARTITIONS)}
    n = 0
    for msg in cons:
        got[msg.partition].append((msg.offset, msg.key, msg.value, list(msg.headers)))
        n += 1
        if n == COUNT:
            break
    cons.close()
    return got


def test(c):
    c.create_topic(TOPIC, partitions=PARTITIONS)
    sent = produce(c)
    log("produced %d records" % COUNT)
    got = consume(c)
    for p in range(PARTITIONS):
        exp = sorted(sent[p])
        check([e[0] for e in exp] == list(range(len(exp))),
              "partition %d acknowledged offsets are not 0..%d" % (p, len(exp) - 1))
        check(len(got[p]) == len(exp), "partition %d: read %d records, produced %d"
              % (p, len(got[p]), len(exp)))
        for (eo, ek, ev, eh), (go, gk, gv, gh) in zip(exp, got[p]):
            check(go == eo, "partition %d: offset %d read where %d expected" % (p, go, eo))
            check(gk == ek and gv == ev, "partition %d offset %d: key/value differ" % (p, go))
            check(gh == eh, "partition %d offset %d: headers %r, expected %r" % (p, go, gh, eh))
        log("partition %d: %d records ok" % (p, len(exp)))


if __name__ == "__main__":
    harness.main(test, brokers=1)
