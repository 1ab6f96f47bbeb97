#!/usr/bin/python3
"""Proves every API the broker advertises in ApiVersions works at every advertised version against a live broker: requests built by Samsa's codecs at each version get answers that parse at that version with Kafka's results (data produced at each Produce version reads back at each Fetch version in that version's message format)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log  # noqa: E402

TOPIC = "probe"


def test(c):
    c.create_topic(TOPIC, partitions=1)
    probe = os.path.join(harness.BUILD, "tests", "tools", "api_probe")
    port = c.bootstrap.rsplit(":", 1)[1]
    p = harness.run([probe, "127.0.0.1", port, TOPIC], timeout=300, check_rc=False, what="api_probe")
    out = p.stdout.decode(errors="replace")
    log(out)
    check(p.returncode == 0, "api_probe reported failures:\n" +
          "\n".join(l for l in out.splitlines() if l.startswith("FAIL")))
    lines = [l for l in out.splitlines() if l.startswith("ok ")]
    check(len(lines) >= 70, "only %d (API, version) pairs were probed" % len(lines))


if __name__ == "__main__":
    harness.main(test, brokers=1)
