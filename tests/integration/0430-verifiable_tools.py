#!/usr/bin/python3
"""Proves the replication tools: kafka-verifiable-producer.sh emits Kafka's JSON lines (startup_complete, one producer_send_success per acks=-1 record with its partition and offset, shutdown_complete, tool_data with sent/acked counts), kafka-verifiable-consumer.sh (a group member) reports its assignment, consumes exactly the acknowledged records and commits them (offsets_committed success), and kafka-replica-verification.sh (Fetch with replica_id -2 to every replica) reports the replicas of an RF=3 topic in step ("max lag is 0") with no offset or checksum mismatch."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import BIN, BUILD, check, fail, log, run, wait_until  # noqa: E402

TOPIC = "vt"
PROPS = {"zookeeper.session.timeout.ms": "6000", "replica.lag.time.max.ms": "4000",
         "min.insync.replicas": "2", "controlled.shutdown.retry.backoff.ms": "200",
         "controlled.shutdown.max.retries": "1", "offsets.topic.replication.factor": "3",
         "offsets.topic.num.partitions": "5"}


def test(c):
    c.create_topic(TOPIC, partitions=3, rf=3)
    p = run([os.path.join(BIN, "kafka-verifiable-producer.sh"), "--topic", TOPIC,
             "--bootstrap-server", c.bootstrap, "--max-messages", "600", "--acks", "-1",
             "--repeating-keys", "7"], timeout=90, what="kafka-verifiable-producer.sh")
    events = [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]
    check(all(isinstance(e.get("timestamp"), int) for e in events), "every line has a timestamp")
    names = [e["name"] for e in events]
    check(names[0] == "startup_complete" and names[-2:] == ["shutdown_complete", "tool_data"],
          "event sequence %r" % (names[:3] + names[-3:]))
    ok = [e for e in events if e["name"] == "producer_send_success"]
    check(len(ok) == 600, "%d producer_send_success lines" % len(ok))
    check(sorted(int(e["value"]) for e in ok) == list(range(600)), "values 0..599")
    check(all(e["key"] == str(int(e["value"]) % 7) and e["topic"] == TOPIC for e in ok), "keys cycle 0..6")
    offsets = {}
    for e in ok:
        offsets.setdefault(e["partition"], []).append(e["offset"])
    for part, offs in offsets.items():
        check(sorted(offs) == list(range(len(offs))), "partition %d offsets dense from 0" % part)
    td = events[-1]
    check(td["sent"] == 600 and td["acked"] == 600 and td["target_throughput"] == -1, "tool_data %r" % td)
    log("verifiable producer: 600 acknowledged over %d partitions" % len(offsets))

    p = run([os.path.join(BIN, "kafka-verifiable-consumer.sh"), "--topic", TOPIC, "--bootstrap-server",
             c.bootstrap, "--group-id", "vgroup", "--max-messages", "600", "--verbose",
             "--session-timeout", "10000"], timeout=90, what="kafka-verifiable-consumer.sh")
    events = [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]
    names = [e["name"] for e in events]
    check(names[0] == "startup_complete" and names[-1] == "shutdown_complete", "consumer events %r" % names[:4])
    assigned = [tp for e in events if e["name"] == "partitions_assigned" for tp in e["partitions"]]
    check(sorted(tp["partition"] for tp in assigned) == [0, 1, 2], "assignment %r" % assigned)
    got = {(e["partition"], e["offset"]): e["value"] for e in events if e["name"] == "record_data"}
    want = {(e["partition"], e["offset"]): e["value"] for e in ok}
    check(got == want, "consumed %d records, produced %d" % (len(got), len(want)))
    check(sum(e["count"] for e in events if e["name"] == "records_consumed") == 600, "records_consumed counts")
    commits = [e for e in events if e["name"] == "offsets_committed"]
    check(commits and all(e["success"] for e in commits), "commits %r" % commits[-1:])
    final = {}
    for e in commits:
        for o in e["offsets"]:
            final[o["partition"]] = o["offset"]
    check(all(final.get(part) == len(offs) for part, offs in offsets.items()), "committed %r" % final)
    log("verifiable consumer: 600 consumed and committed")

    env = dict(os.environ, SAMSA_BUILD_DIR=BUILD)
    proc = subprocess.Popen([os.path.join(BIN, "kafka-replica-verification.sh"), "--broker-list",
                             c.bootstrap, "--topic-white-list", "^%s$" % TOPIC, "--time", "-2",
                             "--report-interval-ms", "300", "--max-wait-ms", "100"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    lines = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline().decode()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if "max lag is 0 " in line:
                break
    finally:
        proc.kill()
        proc.wait()
    log("replica verification said: %r" % lines[:3])
    check(lines and lines[0].endswith(": verification process is started."), "start line %r" % lines[:1])
    check(any("max lag is 0 for partition %s-" % TOPIC in l and "among 3 partitions" in l for l in lines),
          "no 'max lag is 0' report in %r" % lines)
    check(not any("doesn't match" in l or "unmatched checksum" in l for l in lines), "mismatch: %r" % lines)


harness.main(test, brokers=3, broker_props=PROPS)
