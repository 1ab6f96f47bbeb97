#!/usr/bin/python3
"""A compacted topic with 10 keys each written 10,000 times keeps one record per key in its cleaned segments, and reading it back yields the latest value of every key."""

import os
import time

import harness
from harness import check, fail
from segmentutil import segment_records

TOPIC = "compacted"
KEYS = 10
ROUNDS = 10000


def inactive_segments(c):
    d = os.path.join(c.brokers[0].data_dir, TOPIC + "-0")
    logs = sorted(f for f in os.listdir(d) if f.endswith(".log"))
    return [os.path.join(d, f) for f in logs[:-1]]


def test(c):
    c.create_topic(TOPIC, extra=["--config", "cleanup.policy=compact",
                                 "--config", "segment.bytes=65536",
                                 "--config", "min.cleanable.dirty.ratio=0.01"])
    c.wait_for_leaders(TOPIC, 1)
    lines = b"".join(b"key-%d:value-%d-of-key-%d\n" % (r % KEYS, r // KEYS, r % KEYS)
                     for r in range(KEYS * ROUNDS))
    c.kcat("-P", "-t", TOPIC, "-p", "0", "-K", ":", "-X", "linger.ms=20", "-X", "batch.size=16384",
           input=lines)
    check(len(inactive_segments(c)) >= 1, "expected rolled segments")

    deadline = time.time() + 60
    while True:
        recs = []
        try:
            for seg in inactive_segments(c):
                recs.extend(segment_records(seg))
        except FileNotFoundError:
            # the cleaner swapped the segments between the listing and the
            # read: look again
            recs = []
        keys = [r[0] for r in recs]
        ckpt = os.path.join(c.brokers[0].data_dir, "cleaner-offset-checkpoint")
        if recs and len(keys) == len(set(keys)) and os.path.exists(ckpt):
            break
        if time.time() > deadline:
            fail("not compacted after 60 s: %d records in %d inactive segments"
                 % (len(recs), len(inactive_segments(c))))
        time.sleep(0.2)
    check(all(r[1] is not None for r in recs), "no tombstones were written")
    with open(ckpt) as f:
        ck = f.read().split("\n")
    check(any(line.startswith(TOPIC + " 0 ") for line in ck),
          "cleaner-offset-checkpoint has no entry for %s-0: %r" % (TOPIC, ck))

    got = c.read_partition(TOPIC, 0)
    latest = {}
    for k, v, o in got:
        latest[k] = (v, o)
    check(len(latest) == KEYS, "expected %d keys, got %d" % (KEYS, len(latest)))
    for k in range(KEYS):
        key = b"key-%d" % k
        want = b"value-%d-of-key-%d" % (ROUNDS - 1, k)
        check(latest[key][0] == want, "%s: latest %r, want %r" % (key, latest[key][0], want))
        check(latest[key][1] == (ROUNDS - 1) * KEYS + k, "%s: offset moved" % key)
    check(len(got) < KEYS * ROUNDS // 10, "only %d of %d records were removed"
          % (KEYS * ROUNDS - len(got), KEYS * ROUNDS))
    offsets = [o for _, _, o in got]
    check(offsets == sorted(offsets), "offsets out of order after cleaning")
    cleaner_log = open(os.path.join(c.brokers[0].log_dir, "log-cleaner.log")).read()
    check("Cleaner 0: Beginning cleaning of log %s-0." % TOPIC in cleaner_log,
          "log-cleaner.log lacks the cleaning lines")


harness.main(test, brokers=1, broker_props={"log.cleaner.backoff.ms": "100"})
