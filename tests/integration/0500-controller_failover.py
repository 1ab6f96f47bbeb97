#!/usr/bin/python3
"""Proves a 3-broker cluster survives kill -9 of the controller (a new controller with a higher epoch within 15 s) and of a partition leader (every partition led by a live ISR member within session timeout + 15 s) while kcat keeps producing and consuming."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402
from ctlutil import consume_values, controller, epoch, produce, replication_present, states  # noqa: E402

TOPIC = "failover"
PARTITIONS = 6
SESSION_MS = 6000


def wait_all_led(c, zk, live, timeout, what):
    def ok():
        st = states(zk, TOPIC, PARTITIONS)
        return all(s["leader"] in live and s["leader"] in s["isr"] for s in st)
    wait_until(ok, timeout, what)
    c.wait_for_leaders(TOPIC, PARTITIONS, timeout=timeout)


def check_readback(c, produced, repl, when):
    # Waits for replication: without follower fetching an RF=3 partition's
    # high watermark stays at 0, so nothing is readable yet.
    if not repl:
        log("%s: read-back skipped (no follower replication in this build)" % when)
        return
    got = set(consume_values(c, TOPIC, PARTITIONS))
    missing = [v for v in produced if v not in got]
    check(not missing, "%s: %d acknowledged records missing, e.g. %s" % (when, len(missing), missing[:3]))


def test(c):
    zk = c.kazoo()
    repl = replication_present(c)
    acks = "all" if repl else "1"
    c.create_topic(TOPIC, partitions=PARTITIONS, rf=3)
    produced = produce(c, TOPIC, "a", acks=acks)
    check_readback(c, produced, repl, "before failures")

    # 1. kill -9 of the controller
    ctl = controller(zk)
    ep = epoch(zk)
    log("controller is broker %d with epoch %d; killing it" % (ctl, ep))
    t0 = time.monotonic()
    c.brokers[ctl].kill9()
    live = [b.id for b in c.brokers if b.alive()]

    def new_controller():
        try:
            return controller(zk) in live and epoch(zk) > ep
        except Exception:
            return False
    wait_until(new_controller, 15, "a new controller with a higher epoch")
    log("new controller %d epoch %d after %.1fs" % (controller(zk), epoch(zk), time.monotonic() - t0))
    wait_all_led(c, zk, live, SESSION_MS / 1000.0 + 15, "every partition led by a live ISR member")
    log("all partitions led by live ISR members %.1fs after the kill" % (time.monotonic() - t0))
    produced += produce(c, TOPIC, "b", acks=acks)
    check_readback(c, produced, repl, "after the controller kill")

    c.brokers[ctl].start()
    wait_all_led(c, zk, [b.id for b in c.brokers], 30, "leaders after broker %d returned" % ctl)

    # 2. kill -9 of a leader that is not the controller
    ctl2 = controller(zk)
    victim = next(s["leader"] for s in states(zk, TOPIC, PARTITIONS) if s["leader"] != ctl2)
    led = [p for p, s in enumerate(states(zk, TOPIC, PARTITIONS)) if s["leader"] == victim]
    log("killing broker %d, leader of partitions %s" % (victim, led))
    t0 = time.monotonic()
    c.brokers[victim].kill9()
    live = [b.id for b in c.brokers if b.alive()]
    wait_all_led(c, zk, live, SESSION_MS / 1000.0 + 15, "leaders moved off broker %d" % victim)
    log("leaders moved %.1fs after the kill" % (time.monotonic() - t0))
    check(controller(zk) == ctl2, "the controller changed although it was not killed")
    produced += produce(c, TOPIC, "c", acks=acks)
    check_readback(c, produced, repl, "after the leader kill")
    c.brokers[victim].start()
    wait_all_led(c, zk, [b.id for b in c.brokers], 30, "leaders after broker %d returned" % victim)


harness.main(test, brokers=3, broker_props={"zookeeper.session.timeout.ms": SESSION_MS,
                                            "default.replication.factor": 3,
                                            "controlled.shutdown.retry.backoff.ms": 500})
