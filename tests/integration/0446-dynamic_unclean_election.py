#!/usr/bin/python3
"""Proves that unclean.leader.election.enable set as a dynamic default broker config (kafka-configs.sh --entity-type brokers --entity-default over --bootstrap-server) makes the active controller elect the out-of-sync replica of an offline partition at once, as Kafka's controller does when the cluster default turns unclean election on; before the change the partition stays leaderless."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import BIN, check, log, run, wait_until  # noqa: E402
from ctlutil import controller, state  # noqa: E402

SESSION_MS = 6000


def test(c):
    zk = c.kazoo()
    ctl = controller(zk)
    a, b = [x for x in range(3) if x != ctl]
    c.topics("--zookeeper", c.zk_connect, "--create", "--topic", "dyn", "--replica-assignment",
             "%d:%d" % (a, b))
    c.wait_for_leaders("dyn", 1)
    c.brokers[b].kill9()
    wait_until(lambda: state(zk, "dyn", 0)["isr"] == [a], SESSION_MS / 1000.0 + 15,
               "ISR shrunk to broker %d" % a)
    c.brokers[a].kill9()
    wait_until(lambda: state(zk, "dyn", 0)["leader"] == -1, SESSION_MS / 1000.0 + 15, "partition offline")
    c.brokers[b].start()
    # b is alive but not in the ISR: a clean election must not pick it
    check(state(zk, "dyn", 0)["leader"] == -1, "clean election picked an out-of-sync replica")
    p = run([os.path.join(BIN, "kafka-configs.sh"), "--bootstrap-server", c.brokers[ctl].bootstrap,
             "--entity-type", "brokers", "--entity-default", "--alter", "--add-config",
             "unclean.leader.election.enable=true"], what="kafka-configs.sh --entity-default")
    check(p.stdout.decode() == "Completed updating default config for brokers in the cluster.\n",
          "kafka-configs said %r %r" % (p.stdout, p.stderr))
    wait_until(lambda: state(zk, "dyn", 0)["leader"] == b, 30, "unclean election after the broker config change")
    check(state(zk, "dyn", 0)["isr"] == [b], "unclean leader's ISR is %r" % state(zk, "dyn", 0)["isr"])
    c.wait_for_leaders("dyn", 1)
    log("a dynamic default unclean.leader.election.enable=true elected broker %d for the offline partition" % b)


harness.main(test, brokers=3, broker_props={"zookeeper.session.timeout.ms": SESSION_MS})
