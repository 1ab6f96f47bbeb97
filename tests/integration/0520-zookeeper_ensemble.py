#!/usr/bin/python3
"""Proves a 3-broker cluster on a 3-node ZooKeeper ensemble keeps working when the ZooKeeper leader is killed -9: the controller stays, topics can be created, records are produced and read, and a broker failure is still handled."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, four_letter, log, wait_until  # noqa: E402
from ctlutil import consume_values, controller, epoch, produce, replication_present, states  # noqa: E402

SESSION_MS = 6000


def mode(z):
    for line in four_letter(z.port, "srvr").splitlines():
        if line.startswith("Mode:"):
            return line.split(":", 1)[1].strip()
    return ""


def test(c):
    check(len(c.zks) == 3, "expected a 3-node ensemble")
    wait_until(lambda: sorted(mode(z) for z in c.zks) == ["follower", "follower", "leader"], 30,
               "one ZooKeeper leader and two followers")
    zk = c.kazoo()
    repl = replication_present(c)
    acks = "all" if repl else "1"
    c.create_topic("before", partitions=3, rf=3)
    ctl, ep = controller(zk), epoch(zk)
    sent = produce(c, "before", "a", n=100, acks=acks)

    leader = next(z for z in c.zks if mode(z) == "leader")
    log("killing the ZooKeeper leader (myid %d)" % leader.myid)
    leader.kill9()
    rest = [z for z in c.zks if z is not leader]
    wait_until(lambda: "leader" in [mode(z) for z in rest], 30, "a new ZooKeeper leader")
    # Sessions survive a leader change (they move to another member well
    # within the session timeout): nothing the clients see changes.
    time.sleep(SESSION_MS / 1000.0)
    zk2 = c.kazoo()
    check(controller(zk2) == ctl and epoch(zk2) == ep, "the controller changed after losing one ZooKeeper")
    check(sorted(zk2.get_children("/brokers/ids")) == ["0", "1", "2"], "a broker lost its registration")
    c.create_topic("after", partitions=3, rf=3)
    sent += produce(c, "before", "b", n=100, acks=acks)
    produce(c, "after", "c", n=100, acks=acks)
    if repl:
        got = set(consume_values(c, "before", 3))
        check(all(v in got for v in sent), "records missing after the ZooKeeper failure")
    # The controller still reacts to broker failures.
    victim = next(b.id for b in c.brokers if b.id != ctl)
    c.brokers[victim].kill9()
    live = [b.id for b in c.brokers if b.alive()]
    wait_until(lambda: all(s["leader"] in live for s in states(zk2, "after", 3)),
               SESSION_MS / 1000.0 + 15, "leaders moved off broker %d" % victim)
    c.wait_for_leaders("after", 3)
    log("cluster kept working with 2 of 3 ZooKeeper nodes")


harness.main(test, brokers=3, zk_nodes=3,
             broker_props={"zookeeper.session.timeout.ms": SESSION_MS,
                           "controlled.shutdown.retry.backoff.ms": 500})
