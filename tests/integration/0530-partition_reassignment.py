#!/usr/bin/python3
"""Proves partition reassignment on 4 brokers while a producer runs: kafka-reassign-partitions --execute/--verify through a broker (AlterPartitionReassignments) and through ZooKeeper (/admin/reassign_partitions) move partitions to other brokers with nothing acknowledged lost; --generate, --list and --cancel print Kafka's output."""
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402
from ctlutil import assignment, consume_values, replication_present, state  # noqa: E402

TOPIC = "move"
SESSION_MS = 6000
TOOL = os.path.join(harness.BIN, "kafka-reassign-partitions.sh")


def tool(c, *args, check_rc=True):
    p = harness.run([TOOL] + list(args), check_rc=check_rc, timeout=60)
    return p.stdout.decode() + p.stderr.decode()


def write(c, name, obj):
    path = os.path.join(c.root, name)
    with open(path, "w") as f:
        json.dump(obj, f)
    return path


class Producer(threading.Thread):
    """Produces numbered records in small acks=all batches until stopped;
    keeps the values whose batch was fully acknowledged."""

    def __init__(self, c):
        super().__init__(daemon=True)
        self.c, self.stop, self.acked, self.batches = c, threading.Event(), [], 0

    def run(self):
        i = 0
        while not self.stop.is_set():
            vals = ["v%06d" % (i + k) for k in range(50)]
            i += 50
            p = self.c.kcat("-P", "-t", TOPIC, "-X", "acks=all", "-X", "message.timeout.ms=20000",
                            input="".join(v + "\n" for v in vals), check_rc=False, timeout=60)
            if p.returncode == 0 and b"Delivery failed" not in p.stderr:
                self.acked += vals
                self.batches += 1


def move(c, zk, via, part, target):
    plan = write(c, "plan-%d.json" % part, {"version": 1, "partitions": [
        {"topic": TOPIC, "partition": part, "replicas": target, "log_dirs": ["any"] * len(target)}]})
    conn = ["--bootstrap-server", c.bootstrap] if via == "broker" else ["--zookeeper", c.zk_connect]
    out = tool(c, *(conn + ["--execute", "--reassignment-json-file", plan]))
    check("Current partition replica assignment" in out and
          "Successfully started partition reassignment for %s-%d" % (TOPIC, part) in out,
          "--execute said %r" % out)

    def done():
        o = tool(c, *(conn + ["--verify", "--reassignment-json-file", plan]), check_rc=False)
        return "Reassignment of partition %s-%d is complete." % (TOPIC, part) in o
    wait_until(done, 60, "reassignment of %s-%d to %s (%s)" % (TOPIC, part, target, via))
    a = assignment(zk, TOPIC)
    check(a["partitions"][str(part)] == target, "assignment is %r" % a["partitions"])
    check(str(part) not in a.get("adding_replicas", {}) and str(part) not in a.get("removing_replicas", {}),
          "adding/removing replicas left behind: %r" % a)
    st = state(zk, TOPIC, part)
    check(st["leader"] in target and set(st["isr"]) <= set(target), "state after the move: %r" % st)
    log("%s-%d moved to %s via %s (leader %d)" % (TOPIC, part, target, via, st["leader"]))


def test(c):
    zk = c.kazoo()
    check(replication_present(c), "reassignment needs follower replication")
    c.topics("--zookeeper", c.zk_connect, "--create", "--topic", TOPIC, "--replica-assignment", "0:1,1:2")
    c.wait_for_leaders(TOPIC, 2)
    tmf = write(c, "topics.json", {"topics": [{"topic": TOPIC}], "version": 1})
    out = tool(c, "--bootstrap-server", c.bootstrap, "--generate", "--topics-to-move-json-file", tmf,
               "--broker-list", "2,3")
    check(out.startswith("Current partition replica assignment\n{\"version\":1,\"partitions\":[") and
          "\n\nProposed partition reassignment configuration\n" in out, "--generate said %r" % out)
    proposed = json.loads(out.split("Proposed partition reassignment configuration\n")[1])
    check(all(set(p["replicas"]) <= {2, 3} and len(p["replicas"]) == 2 for p in proposed["partitions"]),
          "proposal not on brokers 2,3: %r" % proposed)

    prod = Producer(c)
    prod.start()
    wait_until(lambda: prod.batches >= 2, 60, "the producer to get going")
    move(c, zk, "broker", 0, [2, 3])
    move(c, zk, "zookeeper", 1, [3, 0])
    wait_until(lambda: not zk.exists("/admin/reassign_partitions"), 10,
               "/admin/reassign_partitions removed once complete")
    before = prod.batches
    wait_until(lambda: prod.batches >= before + 2, 60, "the producer to continue after the moves")
    prod.stop.set()
    prod.join(90)
    check(tool(c, "--bootstrap-server", c.bootstrap, "--list").strip() == "No partition reassignments found.",
          "--list shows leftovers")
    got = set(consume_values(c, TOPIC, 2))
    missing = [v for v in prod.acked if v not in got]
    check(not missing, "%d of %d acknowledged records missing, e.g. %s" % (len(missing), len(prod.acked),
                                                                          missing[:3]))
    log("%d acknowledged records all read back" % len(prod.acked))

    # A reassignment that cannot finish (its new replica is frozen) is
    # listed and can be cancelled.
    c.brokers[1].pause()
    try:
        plan = write(c, "stuck.json", {"version": 1, "partitions": [
            {"topic": TOPIC, "partition": 0, "replicas": [2, 3, 1]}]})
        tool(c, "--bootstrap-server", c.brokers[2].bootstrap, "--execute", "--reassignment-json-file", plan)
        out = tool(c, "--bootstrap-server", c.brokers[2].bootstrap, "--list")
        check("%s-0: replicas: 2,3,1. adding: 1." % TOPIC in out, "--list said %r" % out)
        out = tool(c, "--bootstrap-server", c.brokers[2].bootstrap, "--cancel", "--reassignment-json-file", plan)
        check("Successfully cancelled partition reassignment(s) for: %s-0" % TOPIC in out, "--cancel said %r" % out)
    finally:
        c.brokers[1].resume()
    check(assignment(zk, TOPIC)["partitions"]["0"] == [2, 3], "cancel did not restore [2,3]")
    out = tool(c, "--bootstrap-server", c.bootstrap, "--cancel", "--reassignment-json-file", plan)
    check("None of the specified partition reassignments are active." in out, "second --cancel said %r" % out)

    # A reassignment that adds and removes nothing (here it only reorders
    # the replicas) completes at once, as Kafka's does: through the API and
    # through /admin/reassign_partitions, which the controller then deletes.
    move(c, zk, "broker", 0, [3, 2])
    move(c, zk, "zookeeper", 1, [0, 3])
    wait_until(lambda: not zk.exists("/admin/reassign_partitions"), 10,
               "/admin/reassign_partitions removed after a reordering")


harness.main(test, brokers=4, broker_props={"zookeeper.session.timeout.ms": SESSION_MS,
                                            "controlled.shutdown.retry.backoff.ms": 500})
