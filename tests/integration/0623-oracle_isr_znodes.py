#!/usr/bin/python3
"""Differential oracle for what a cluster of two writes to ZooKeeper when an
ISR changes and while a reassignment is in flight: two Apache Kafka brokers
(kafka.Kafka 3.9.2 by default, ZooKeeper mode, inter.broker.protocol.version
2.8, ids 0 and 1, chroot /oracle) and two Samsa brokers (ids 0 and 1, chroot
/samsa) on the harness's ZooKeeper. 0620-differential_oracle compares the
znodes of one broker per system; an ISR change needs a follower.

The same steps on each system, broker 0 the controller on both:
  - CreateTopics (confluent-kafka AdminClient) of "isr" and "rb" with the
    explicit assignment [0,1] and of "ra" with [0]; wait for the ISR [0,1] of "isr";
  - stop broker 1 (SIGTERM, controlled shutdown), wait for the ISR [0];
  - reassign "ra" to [0,1] through /admin/reassign_partitions: broker 1 is
    down, so the reassignment stays in flight;
  - AlterPartitionReassignments (to broker 0) of "isr" to [0,2] (refused:
    the added broker 2 is not alive) and of "rb" (created with [0,1]) to
    [1,0] (accepted although broker 1 is down: it adds no replica, so it is
    complete at once, with one new leader epoch);
  - start broker 1 again: wait for the ISR [0,1] of "isr" and for the
    reassignments to complete (admin znode gone, ISR [0,1]);
  - kill -9 broker 1 (its ZooKeeper session expires), wait for the ISR [0]
    of "isr", start it again and wait for the ISR [0,1].
After each step the topic znodes (topic_id compared by shape), the partition
state znodes (controller_epoch compared by shape: a per-cluster counter) and
/admin/reassign_partitions are compared. /isr_change_notification is watched
(a kazoo child watch, each child read when it appears; the controller
deletes them) for the whole run, and the sets of notifications seen are
compared at the end.

Each difference prints a DIFF line; the test fails on one that ALLOWED
(citing docs/deviations.md) does not cover. A SUMMARY line gives what was
compared. Skips and fails like 0620 when Maven is unreachable.
Environment: SM_ORACLE_KAFKA_VERSION (default 3.9.2). See
docs/testing-java.md, "Differential oracle".
"""
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import javautil  # noqa: E402
import kafkautil  # noqa: E402
import specutil  # noqa: E402
from harness import check, log  # noqa: E402

NAME = "0623-oracle_isr_znodes"
VERSION = os.environ.get("SM_ORACLE_KAFKA_VERSION", "3.9.2")
CP = None
CHROOTS = ("/samsa", "/oracle")

# The same static settings on both systems. A short ZooKeeper session so
# the kill -9 step does not wait 18 s for the dead broker's session.
PROPS = {"inter.broker.protocol.version": "2.8", "log.message.format.version": "2.8",
         "zookeeper.session.timeout.ms": "6000", "replica.lag.time.max.ms": "10000",
         "controlled.shutdown.retry.backoff.ms": "300"}

# Known differences: (regex on the DIFF line, where it is explained).
ALLOWED = [
    # Kafka 2.8 at inter.broker.protocol.version 2.8 has the leader send
    # AlterIsr to the controller, which writes the state znode; nothing is
    # written under /isr_change_notification. Samsa's leader writes the
    # state znode and the notification itself (the pre-2.7 protocol).
    (r"^/isr_change_notification\.(notes|contents): ", "docs/deviations.md, Replication and the controller "
     "(ISR changes written by the leader, not through AlterIsr)"),
]

found = []          # (line, allowed-by or None)
compared = [0]


def differences(path, a, b, out):
    """Appends a line per differing leaf of two JSON values."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            p = "%s.%s" % (path, k)
            if k not in a or k not in b:
                out.append("%s: samsa=%r kafka=%r" % (p, a.get(k, "<absent>"), b.get(k, "<absent>")))
            else:
                differences(p, a[k], b[k], out)
    elif a != b:
        out.append("%s: samsa=%r kafka=%r" % (path, a, b))


def compare(step, what, a, b):
    compared[0] += 1
    out = []
    differences(what, a, b, out)
    for line in out:
        why = next((w for pat, w in ALLOWED if re.search(pat, line)), None)
        found.append(("%s: %s" % (step, line), why))
        print("DIFF%s %s: %s" % (" (allowed: %s)" % why if why else "", step, line), flush=True)


class Side:
    """One system: its brokers 0 and 1 and how to stop and start them."""

    def __init__(self, name, chroot, port0, stop, kill9, start):
        self.name = name
        self.chroot = chroot
        self.port0 = port0              # broker 0, the controller
        self.bootstrap = "127.0.0.1:%d" % port0
        self.stop = stop
        self.kill9 = kill9
        self.start = start
        self.notes = {}         # isr_change_<seq>: its JSON (or an error)


class Zk:
    def __init__(self, c):
        self.zk = c.kazoo(chroot=False)

    def get(self, side, path):
        try:
            return json.loads(self.zk.get(side.chroot + path)[0])
        except Exception as e:          # noqa: B902 - absent, or not JSON: compared as such
            return "<%s>" % type(e).__name__

    def watch_notifications(self, side):
        """Records every /isr_change_notification child while it exists."""
        path = side.chroot + "/isr_change_notification"
        self.zk.ensure_path(path)
        lock = threading.Lock()

        def children(kids):
            for k in kids:
                with lock:
                    if k in side.notes:
                        continue
                try:
                    v = json.loads(self.zk.get(path + "/" + k)[0])
                except Exception as e:  # noqa: B902 - deleted before it was read
                    v = "<%s>" % type(e).__name__
                with lock:
                    side.notes[k] = v
            return True
        self.zk.ChildrenWatch(path, children)

    def snapshot(self, side, topics):
        out = {}
        for t in topics:
            tz = self.get(side, "/brokers/topics/%s" % t)
            if isinstance(tz, dict) and "topic_id" in tz:
                tz["topic_id"] = "present" if tz["topic_id"] else "empty"    # random
            st = self.get(side, "/brokers/topics/%s/partitions/0/state" % t)
            if isinstance(st, dict) and "controller_epoch" in st:
                ce = st["controller_epoch"]
                st["controller_epoch"] = "int>0" if isinstance(ce, int) and ce > 0 else ce
            out[t] = {"topic": tz, "state": st}
        out["/admin/reassign_partitions"] = self.get(side, "/admin/reassign_partitions")
        return out


def compare_step(zk, sides, step, topics):
    snaps = [zk.snapshot(s, topics) for s in sides]
    log("%s: samsa %s" % (step, json.dumps(snaps[0], sort_keys=True)))
    log("%s: kafka %s" % (step, json.dumps(snaps[1], sort_keys=True)))
    for k in snaps[0]:
        compare(step, k, snaps[0][k], snaps[1][k])


def wait_state(zk, sides, topic, pred, what, timeout=60):
    for s in sides:
        harness.wait_until(lambda: pred(zk.get(s, "/brokers/topics/%s/partitions/0/state" % topic)),
                           timeout, "%s: %s of %s" % (s.name, what, topic), interval=0.1)


def isr_is(isr):
    return lambda st: isinstance(st, dict) and sorted(st.get("isr", [])) == isr


def alter_reassignments(step, sides, topic, replicas):
    """AlterPartitionReassignments v0 of partition 0 of `topic` on each
    system's controller (broker 0); compares the error codes."""
    codes = []
    for s in sides:
        conn = specutil.Conn(s.port0, s.name, timeout=30)
        r = conn.call(45, 0, {"timeout_ms": 30000, "topics": [
            {"name": topic, "partitions": [{"partition_index": 0, "replicas": replicas}]}]})
        conn.close()
        codes.append([r["error_code"]] + [p["error_code"] for t in r["responses"] for p in t["partitions"]])
        log("%s: AlterPartitionReassignments %s -> %s: %s" % (s.name, topic, replicas, r))
    compare(step, "AlterPartitionReassignments %s %s error codes" % (topic, replicas),
            {"codes": codes[0]}, {"codes": codes[1]})
    return codes[0]


def create_topics(side):
    from confluent_kafka.admin import AdminClient, NewTopic
    a = AdminClient({"bootstrap.servers": side.bootstrap})
    fs = a.create_topics([NewTopic("isr", 1, replica_assignment=[[0, 1]]),
                          NewTopic("rb", 1, replica_assignment=[[0, 1]]),
                          NewTopic("ra", 1, replica_assignment=[[0]])], operation_timeout=30)
    for t, f in fs.items():
        f.result(timeout=60)
        log("%s: created %s" % (side.name, t))


def test(c):
    work = tempfile.mkdtemp(prefix="samsa-oracle-isr-", dir=c.root)
    kafka = {}

    def kstart(bid):
        # a restart reuses the broker's directory (its data), as Samsa's does
        if bid in kafka:
            os.rename(kafka[bid].server_log, kafka[bid].server_log + ".%d" % kafka[bid].pid)
        kafka[bid] = kafkautil.start_kafka(CP, c.zk.connect + "/oracle", bid, work, props=PROPS,
                                           jvm=kafkautil.JVM_SMALL)

    def kkill9(bid):
        kafka[bid].proc.kill()
        kafka[bid].proc.wait()

    zk = Zk(c)
    ok = False
    try:
        kstart(0)
        kstart(1)
        samsa = Side("samsa", "/samsa", c.brokers[0].port, lambda: c.brokers[1].stop(),
                     lambda: c.brokers[1].kill9(), lambda: c.brokers[1].start())
        oracle = Side("kafka", "/oracle", kafka[0].port, lambda: kafkautil.stop_kafka(kafka[1]),
                      lambda: kkill9(1), lambda: kstart(1))
        sides = (samsa, oracle)
        for s in sides:
            check(zk.get(s, "/controller").get("brokerid") == 0, "%s: broker 0 is not the controller"
                  % s.name)
            zk.watch_notifications(s)
            create_topics(s)
        wait_state(zk, sides, "isr", isr_is([0, 1]), "ISR [0,1]")
        wait_state(zk, sides, "rb", isr_is([0, 1]), "ISR [0,1]")
        wait_state(zk, sides, "ra", isr_is([0]), "ISR [0]")
        compare_step(zk, sides, "created", ["isr", "ra", "rb"])

        for s in sides:
            s.stop()
        wait_state(zk, sides, "isr", isr_is([0]), "ISR [0] after SIGTERM of broker 1")
        wait_state(zk, sides, "rb", isr_is([0]), "ISR [0] after SIGTERM of broker 1")
        compare_step(zk, sides, "broker 1 stopped", ["isr"])

        # Reassign "ra" [0] -> [0,1] with broker 1 down: stays in flight.
        for s in sides:
            zk.zk.create(s.chroot + "/admin/reassign_partitions", json.dumps(
                {"version": 1, "partitions": [{"topic": "ra", "partition": 0, "replicas": [0, 1]}]}).encode(),
                makepath=True)
        for s in sides:
            harness.wait_until(lambda: (zk.get(s, "/brokers/topics/ra").get("adding_replicas") or {}) != {},
                               60, "%s: the reassignment of ra to start" % s.name, interval=0.1)
        compare_step(zk, sides, "reassignment in flight", ["ra"])
        # The API path: an added replica must be alive (Kafka 2.8's
        # validateReplicas); reordering onto a dead replica adds none, so it
        # is accepted and complete at once.
        check(alter_reassignments("api", sides, "isr", [0, 2])[1] == 39,
              "a reassignment adding the dead broker 2 was not refused")
        check(alter_reassignments("api", sides, "rb", [1, 0]) == [0, 0],
              "a reassignment to [1,0] with broker 1 down was refused")
        for s in sides:
            harness.wait_until(lambda: zk.get(s, "/brokers/topics/rb").get("partitions", {}).get("0") == [1, 0],
                               60, "%s: the reassignment of rb" % s.name, interval=0.1)
        compare_step(zk, sides, "API reassignment", ["isr", "rb"])

        for s in sides:
            s.start()
        wait_state(zk, sides, "isr", isr_is([0, 1]), "ISR [0,1] after broker 1 restarted")
        for s in sides:
            harness.wait_until(lambda: zk.zk.exists(s.chroot + "/admin/reassign_partitions") is None, 60,
                               "%s: the reassignment of ra to complete" % s.name, interval=0.1)
        wait_state(zk, sides, "ra", isr_is([0, 1]), "ISR [0,1] after the reassignment")
        for s in sides:
            harness.wait_until(lambda: zk.get(s, "/brokers/topics/rb").get("adding_replicas") == {} and
                               isr_is([0, 1])(zk.get(s, "/brokers/topics/rb/partitions/0/state")),
                               60, "%s: the reassignment of rb to complete" % s.name, interval=0.1)
        compare_step(zk, sides, "broker 1 back, reassignment done", ["isr", "ra", "rb"])

        for s in sides:
            s.kill9()
        wait_state(zk, sides, "isr", isr_is([0]), "ISR [0] after kill -9 of broker 1")
        wait_state(zk, sides, "ra", isr_is([0]), "ISR [0] after kill -9 of broker 1")
        wait_state(zk, sides, "rb", isr_is([0]), "ISR [0] after kill -9 of broker 1")
        compare_step(zk, sides, "broker 1 killed", ["isr", "ra", "rb"])
        for s in sides:
            harness.wait_until(lambda: zk.zk.exists(s.chroot + "/brokers/ids/1") is None, 60,
                               "%s: the session of the killed broker 1 to expire" % s.name)
            s.start()
        wait_state(zk, sides, "isr", isr_is([0, 1]), "ISR [0,1] after broker 1 restarted")
        wait_state(zk, sides, "ra", isr_is([0, 1]), "ISR [0,1] after broker 1 restarted")
        wait_state(zk, sides, "rb", isr_is([0, 1]), "ISR [0,1] after broker 1 restarted")
        compare_step(zk, sides, "broker 1 back after kill -9", ["isr", "ra", "rb"])

        # The notifications each system wrote, by content (sequence numbers
        # are per cluster). The controller deletes them once read.
        # A child the controller deleted before it was read counts, its
        # content does not; what was read must have Kafka's format.
        for s in sides:
            for k, v in s.notes.items():
                if isinstance(v, str):
                    continue
                check(re.match(r"^isr_change_\d{10}$", k) and v.get("version") == 1 and
                      all(p in [{"topic": t, "partition": 0} for t in ("isr", "ra", "rb")]
                          for p in v.get("partitions", [None])),
                      "%s: unexpected /isr_change_notification/%s: %r" % (s.name, k, v))
        seen = [sorted(set(json.dumps(v, sort_keys=True) for v in s.notes.values() if not isinstance(v, str)))
                for s in sides]
        log("isr_change_notification: samsa %s, kafka %s" % (sides[0].notes, sides[1].notes))
        compare("end", "/isr_change_notification", {"notes": len(sides[0].notes), "contents": seen[0]},
                {"notes": len(sides[1].notes), "contents": seen[1]})
        ok = True
    finally:
        for bid in sorted(kafka, reverse=True):
            kafkautil.stop_kafka(kafka[bid])
            if not ok:
                print("---- kafka %d server.log (tail)\n%s" % (bid, kafka[bid].log_tail(60)))
    bad = [line for line, why in found if why is None]
    print("SUMMARY %d comparisons, %d differences (%d allowed)" % (
        compared[0], len(found), len(found) - len(bad)), flush=True)
    check(not bad, "%d differences from Kafka %s not in the allow-list:\n  %s"
          % (len(bad), VERSION, "\n  ".join(bad)))


def main():
    global CP
    javautil.require_tools()
    work = tempfile.mkdtemp(prefix="samsa-oracle-cp-")
    t0 = time.monotonic()
    try:
        try:
            CP = javautil.resolve(VERSION, work, profile="cli", what="kafka_2.13")
        except harness.TestFailure as e:
            # Unreachable repository: a finding on CI, a SKIP elsewhere.
            if javautil.ON_CI:
                print("FAIL: %s" % e, flush=True)
                sys.exit(1)
            javautil.skip("cannot fetch org.apache.kafka:kafka_2.13:%s: %s" % (VERSION, str(e)[-1500:]))
        if CP is None:
            sys.exit(0)
        harness.main(test, brokers=2, chroot="/samsa", name=NAME, broker_props=dict(PROPS))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        print("==== %.0fs" % (time.monotonic() - t0), flush=True)


if __name__ == "__main__":
    main()
