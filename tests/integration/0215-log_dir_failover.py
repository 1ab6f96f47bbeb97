#!/usr/bin/python3
"""Proves a log dir failing on a partition's leader moves leadership away (Kafka's LogDirEventNotification path): within a bounded time another ISR member leads with a higher leader epoch, the failed broker leaves the ISR and stays out (also across a controller failover), the controller logs it, acks=all produce continues throughout on the new leader, every acknowledged record is readable, and the failed broker keeps serving its other dir."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402
from ctlutil import controller, epoch, state  # noqa: E402

TOPIC = "ldf"
KEEP = "ldf-keep"
DIRS = ("data-a", "data-b")
MOVE_TIMEOUT = 20


def produce(c, topic, tag, start, n):
    """acks=all produce of n records; returns them (all acknowledged)."""
    vals = ["%s-%05d-%s" % (tag, i, "v" * 60) for i in range(start, start + n)]
    p = c.kcat("-P", "-t", topic, "-p", "0", "-z", "none", "-X", "acks=all",
               "-X", "batch.num.messages=5", "-X", "message.timeout.ms=30000",
               input="".join(v + "\n" for v in vals).encode(), check_rc=False, timeout=90)
    check(p.returncode == 0 and b"Delivery failed" not in p.stderr and
          b"Failed to produce" not in p.stderr,
          "acks=all produce to %s failed (rc %d): %r" % (topic, p.returncode, p.stderr[-800:]))
    return vals


def dir_of(b, topic):
    for d in DIRS:
        if os.path.isdir(os.path.join(b.dir, d, "%s-0" % topic)):
            return os.path.join(b.dir, d)
    return None


def test(c):
    zk = c.kazoo()
    c.create_topic(TOPIC, partitions=1, rf=3,
                   extra=["--config", "min.insync.replicas=2", "--config", "segment.bytes=2000"])
    acked = produce(c, TOPIC, "a", 0, 50)
    before = state(zk, TOPIC, 0)
    leader = before["leader"]
    check(sorted(before["isr"]) == [0, 1, 2], "initial ISR %r" % before["isr"])
    lb = c.brokers[leader]
    bad = dir_of(lb, TOPIC)
    check(bad is not None, "%s-0 not found under broker %d" % (TOPIC, leader))
    # A second partition on the same broker, in its other dir (the emptier one).
    c.topics("--zookeeper", c.zk_connect, "--create", "--topic", KEEP, "--replica-assignment",
             str(leader))
    c.wait_for_leaders(KEEP, 1)
    good = dir_of(lb, KEEP)
    check(good is not None and good != bad, "%s-0 is in %r, the failing dir is %r" % (KEEP, good, bad))
    kept = produce(c, KEEP, "k", 0, 10)
    log("leader %d (epoch %d) holds %s-0 in %s; %s-0 in %s" %
        (leader, before["leader_epoch"], TOPIC, bad, KEEP, good))

    # A producer keeps writing (acks=all) while the dir fails.
    errors, stop, batches = [], threading.Event(), []

    def writer():
        i = 1
        while not stop.is_set():
            try:
                batches.append(produce(c, TOPIC, "w", i * 1000, 40))
            except Exception as e:  # noqa: BLE001
                errors.append(str(e))
                return
            i += 1
    t = threading.Thread(target=writer, daemon=True)
    t.start()
    wait_until(lambda: batches or errors, 60, "a first acknowledged batch")

    pdir = os.path.join(bad, "%s-0" % TOPIC)
    os.rename(pdir, pdir + ".moved")
    with open(pdir, "w") as f:
        f.write("not a directory\n")
    t0 = time.monotonic()
    log("replaced %s by a file; the next segment roll fails" % pdir)
    wait_until(lambda: "Stopping serving logs in dir %s" % bad in lb.log_text(), 30,
               "broker %d taking %s offline" % (leader, bad))

    def moved():
        s = state(zk, TOPIC, 0)
        return (s["leader"] not in (-1, leader) and s["leader"] in before["isr"] and
                s["leader_epoch"] > before["leader_epoch"] and leader not in s["isr"])
    wait_until(moved, MOVE_TIMEOUT, "leadership of %s-0 moved off broker %d" % (TOPIC, leader))
    after = state(zk, TOPIC, 0)
    log("new leader %d, leader epoch %d, ISR %r, %.1fs after the failure" %
        (after["leader"], after["leader_epoch"], after["isr"], time.monotonic() - t0))
    check(sorted(after["isr"]) == sorted(b for b in before["isr"] if b != leader),
          "ISR after the move %r" % after["isr"])

    # The producer keeps going on the new leader.
    n0 = len(batches)
    wait_until(lambda: len(batches) >= n0 + 2 or errors, 60, "acks=all batches on the new leader")
    stop.set()
    t.join(120)
    check(not errors, "the producer failed: %s" % (errors[:1],))
    for b in batches:
        acked += b
    acked += produce(c, TOPIC, "z", 0, 50)

    # The controller logged it.
    ctl = c.brokers[controller(zk)]
    ctl_log = open(os.path.join(ctl.log_dir, "controller.log"), errors="replace").read()
    check("Handling log directory failure for brokers %d" % leader in ctl_log,
          "controller.log does not mention the log dir failure of broker %d" % leader)
    sc_log = open(os.path.join(ctl.log_dir, "state-change.log"), errors="replace").read()
    check("on broker %d as offline" % leader in sc_log,
          "state-change.log does not mark broker %d's replica offline" % leader)

    # A new controller learns the offline replica again from the failover's
    # LeaderAndIsr (the broker answers KAFKA_STORAGE_ERROR) and keeps it out.
    def marks():
        return sum(open(os.path.join(b.log_dir, "state-change.log"), errors="replace").read()
                   .count("Mark replicas [%s,0,%d] on broker %d as offline" % (TOPIC, leader, leader))
                   for b in c.brokers)
    n_marks, ep = marks(), epoch(zk)
    zk.delete("/controller")
    wait_until(lambda: zk.exists("/controller") and epoch(zk) > ep, 20, "a controller re-election")
    wait_until(lambda: marks() > n_marks, 20, "the new controller marking the replica offline")
    acked += produce(c, TOPIC, "y", 0, 50)

    # Every acknowledged record is readable, from the new leader.
    got = {v.decode() for _, v, _ in c.read_partition(TOPIC, 0, timeout=90)}
    missing = [v for v in acked if v not in got]
    check(not missing, "%d of %d acknowledged records missing, e.g. %s" %
          (len(missing), len(acked), [m[:12] for m in missing[:3]]))
    log("%d acknowledged records all readable" % len(acked))

    # The failed replica stays out of the ISR; its broker serves its other dir.
    check(lb.alive(), "broker %d exited" % leader)
    kept += produce(c, KEEP, "k", 100, 10)
    got = [v.decode() for _, v, _ in c.read_partition(KEEP, 0, timeout=60)]
    check(got == kept, "%s-0 on broker %d's good dir: %d records, expected %d" %
          (KEEP, leader, len(got), len(kept)))
    final = state(zk, TOPIC, 0)
    check(leader not in final["isr"] and final["leader"] == after["leader"],
          "the failed replica came back: %r" % final)
    log("broker %d alive, serving %s; %s-0 ISR %r" % (leader, good, TOPIC, final["isr"]))


def _main():
    # log.dirs names two dirs inside each broker's own directory (as 0210).
    orig = harness.Broker.__init__

    def init(self, cluster, broker_id, overrides, tag=None):
        orig(self, cluster, broker_id, overrides, tag)
        self.props["log.dirs"] = ",".join(os.path.join(self.dir, d) for d in DIRS)
        self.write_props()
    harness.Broker.__init__ = init
    harness.main(test, brokers=3)


if __name__ == "__main__":
    _main()
