#!/usr/bin/python3
"""Proves rack-aware replica assignment with broker.rack set: topics created through CreateTopics and through kafka-topics --zookeeper, and partitions added through CreatePartitions, put every partition's replicas on both racks and spread leaders evenly; a replication factor above the live brokers fails with Kafka's message."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log  # noqa: E402
from ctlutil import assignment  # noqa: E402

RACKS = {0: "r1", 1: "r1", 2: "r2", 3: "r2"}


def check_spread(zk, topic, n):
    a = assignment(zk, topic)["partitions"]
    check(len(a) == n, "%s has %d partitions, expected %d" % (topic, len(a), n))
    for p, reps in a.items():
        check({RACKS[b] for b in reps} == {"r1", "r2"}, "%s-%s replicas %r on one rack" % (topic, p, reps))
    leaders = [reps[0] for reps in a.values()]
    counts = [leaders.count(b) for b in RACKS]
    check(max(counts) - min(counts) <= 1, "%s preferred leaders unbalanced: %r" % (topic, counts))


def test(c):
    for b, rack in RACKS.items():
        c.add_broker(b, props={"broker.rack": rack})
    zk = c.kazoo()
    c.create_topic("api", partitions=8, rf=2, via="bootstrap")
    check_spread(zk, "api", 8)
    c.create_topic("zk", partitions=8, rf=2, via="zookeeper")
    check_spread(zk, "zk", 8)
    c.topics("--bootstrap-server", c.bootstrap, "--alter", "--topic", "api", "--partitions", "12")
    c.wait_for_leaders("api", 12)
    check_spread(zk, "api", 12)
    p = c.topics("--bootstrap-server", c.bootstrap, "--create", "--topic", "big", "--partitions", "1",
                 "--replication-factor", "5", check_rc=False)
    out = (p.stdout + p.stderr).decode()
    check("Replication factor: 5 larger than available brokers: 4." in out, "RF 5 said %r" % out)
    log("rack-aware assignment ok")


harness.main(test, brokers=0)
