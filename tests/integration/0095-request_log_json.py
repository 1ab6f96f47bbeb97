#!/usr/bin/python3
"""Proves the request log: with the root logger at DEBUG (set through kafka-configs.sh --bootstrap-server on the broker-loggers resource, as an operator would), every request whose codec is generated from src/protocol/specs is logged by kafka.request.logger as one JSON document with Kafka's field names (requestHeader, request, connection), and the rendering carries the request's fields (kcat's Metadata request names its topic; a FindCoordinator names its group)."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import BIN, check, log, run, wait_until  # noqa: E402

TOPIC = "logged"
LINE = re.compile(r"Received request:(\{.*\}) \(kafka\.request\.logger\)$")


def requests(b):
    out = []
    for l in b.log_text().splitlines():
        m = LINE.search(l)
        if m:
            out.append(json.loads(m.group(1)))
    return out


def test(c):
    b = c.brokers[0]
    c.create_topic(TOPIC, partitions=1)
    check(not requests(b), "requests logged before DEBUG was enabled")
    run([os.path.join(BIN, "kafka-configs.sh"), "--bootstrap-server", c.bootstrap, "--alter",
         "--entity-type", "broker-loggers", "--entity-name", "0", "--add-config", "root=DEBUG"],
        what="kafka-configs.sh root=DEBUG")
    c.kcat("-L", "-t", TOPIC)

    def metadata_logged():
        return [r for r in requests(b) if r["requestHeader"]["requestApiKey"] == 3 and
                any(t.get("name") == TOPIC for t in (r["request"] or {}).get("topics") or [])]
    wait_until(lambda: metadata_logged(), 30, "kcat's Metadata request in the request log")
    r = metadata_logged()[0]
    hdr = r["requestHeader"]
    check(isinstance(hdr["requestApiVersion"], int) and isinstance(hdr["correlationId"], int),
          "bad requestHeader %r" % hdr)
    check(hdr["clientId"] == "rdkafka", "clientId %r" % hdr["clientId"])
    check(r["connection"].startswith("127.0.0.1:"), "connection %r" % r["connection"])
    log("Metadata v%d logged: %s" % (hdr["requestApiVersion"], json.dumps(r["request"])))

    # A consumer group's FindCoordinator names the group.
    c.kcat("-C", "-G", "logged-group", TOPIC, "-o", "beginning", "-e", check_rc=False, timeout=60)
    fc = [r for r in requests(b) if r["requestHeader"]["requestApiKey"] == 10]
    check(fc, "no FindCoordinator request logged")
    check(any((r["request"] or {}).get("key") == "logged-group" for r in fc),
          "FindCoordinator requests logged without the group: %r" % fc[:3])
    log("%d requests logged as JSON, FindCoordinator names the group" % len(requests(b)))


if __name__ == "__main__":
    harness.main(test, brokers=1)
