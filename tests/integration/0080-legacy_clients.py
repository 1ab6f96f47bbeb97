#!/usr/bin/python3
"""Proves legacy protocol paths: kcat forced to Produce/Fetch v0 (magic 0) and to 0.10.0 (magic 1) round-trips its own messages, and both read what a modern kcat produced (down-conversion from record batches)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log  # noqa: E402

LEGACY = {
    "v0": ["-X", "api.version.request=false", "-X", "broker.version.fallback=0.9.0"],
    "v1": ["-X", "api.version.request=false", "-X", "broker.version.fallback=0.10.0"],
}
COUNT = 300


def roundtrip(c, topic, produce_extra, read_extra, prefix):
    lines = harness.unique_lines(prefix, COUNT)
    c.kcat("-P", "-t", topic, "-p", "0", "-K:", *produce_extra,
           input="\n".join(lines) + "\n", timeout=120)
    exp = [tuple(x.encode() for x in l.split(":", 1)) for l in lines]
    return exp


def read_check(c, topic, read_extra, exp, what):
    got = c.read_partition(topic, 0, extra=read_extra)
    check([(k, v) for k, v, _ in got] == exp,
          "%s: read %d records, expected %d identical ones (first got %r)"
          % (what, len(got), len(exp), got[:1]))
    check([o for _, _, o in got] == list(range(len(exp))), "%s: offsets not 0..n-1" % what)
    log("%s ok" % what)


def test(c):
    for name, extra in LEGACY.items():
        topic = "legacy-" + name
        c.create_topic(topic, partitions=1)
        exp = roundtrip(c, topic, extra, extra, name)
        read_check(c, topic, extra, exp, "%s produce + %s fetch" % (name, name))
        read_check(c, topic, [], exp, "%s produce + modern fetch" % name)
    c.create_topic("modern", partitions=1)
    exp = roundtrip(c, "modern", [], [], "m")
    for name, extra in LEGACY.items():
        read_check(c, "modern", extra, exp, "modern produce + %s fetch (down-conversion)" % name)
    # Compressed batches must be down-converted too.
    c.create_topic("modern-gzip", partitions=1)
    exp = roundtrip(c, "modern-gzip", ["-z", "gzip"], [], "g")
    for name, extra in LEGACY.items():
        read_check(c, "modern-gzip", extra, exp, "gzip produce + %s fetch" % name)


if __name__ == "__main__":
    harness.main(test, brokers=1)
