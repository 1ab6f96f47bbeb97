#!/usr/bin/python3
"""Proves 100,000 keyed kcat messages over 3 partitions come back exactly once, byte-identical and in per-partition order, both before and after a clean broker restart."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log  # noqa: E402

TOPIC = "roundtrip"
PARTITIONS = 3
COUNT = 100000


def read_all(c):
    """partition -> [(key, value, offset)] via one kcat per partition."""
    return {p: c.read_partition(TOPIC, p, timeout=300) for p in range(PARTITIONS)}


def verify(c, lines, when):
    produced = {}
    order = {}                      # value -> production index
    for i, line in enumerate(lines):
        k, v = line.split(":", 1)
        produced[v.encode()] = k.encode()
        order[v.encode()] = i
    parts = read_all(c)
    total = sum(len(r) for r in parts.values())
    check(total == COUNT, "%s: read %d messages, produced %d" % (when, total, COUNT))
    seen = set()
    for p, recs in parts.items():
        last_off = -1
        last_idx_per_key = {}
        for k, v, off in recs:
            check(off > last_off, "%s: partition %d offsets not increasing (%d after %d)"
                  % (when, p, off, last_off))
            last_off = off
            check(v in produced, "%s: partition %d offset %d has unknown value %r"
                  % (when, p, off, v[:80]))
            check(v not in seen, "%s: value %r read twice" % (when, v[:80]))
            seen.add(v)
            check(produced[v] == k, "%s: partition %d offset %d key %r, produced %r"
                  % (when, p, off, k, produced[v]))
            idx = order[v]
            check(last_idx_per_key.get(k, -1) < idx,
                  "%s: partition %d key %r out of production order at offset %d"
                  % (when, p, k, off))
            last_idx_per_key[k] = idx
        # A fresh topic on one broker has no gaps: offsets are 0..n-1.
        check([r[2] for r in recs] == list(range(len(recs))),
              "%s: partition %d offsets are not 0..%d" % (when, p, len(recs) - 1))
        log("%s: partition %d: %d messages ok" % (when, p, len(recs)))
    check(len(seen) == COUNT, "%s: %d distinct values, expected %d" % (when, len(seen), COUNT))


def test(c):
    c.create_topic(TOPIC, partitions=PARTITIONS)
    lines = harness.unique_lines("", COUNT)
    path = os.path.join(c.root, "input.txt")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    c.kcat("-P", "-t", TOPIC, "-K:", "-l", path, "-X", "message.timeout.ms=60000",
           timeout=300)
    log("produced %d messages" % COUNT)
    verify(c, lines, "before restart")
    c.brokers[0].restart()
    c.wait_for_leaders(TOPIC, PARTITIONS)
    verify(c, lines, "after restart")


if __name__ == "__main__":
    harness.main(test, brokers=1, broker_props={"num.partitions": 1,
                                                "log.segment.bytes": 1048576})
