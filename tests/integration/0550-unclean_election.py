#!/usr/bin/python3
"""Proves unclean leader election on 3 brokers: a partition whose only ISR member died stays leaderless while unclean.leader.election.enable is false, gets the out-of-sync replica as leader once the topic config enables it (a config change event), and ElectLeaders with election type UNCLEAN (kafka-leader-election) does the same for another topic."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402
from ctlutil import controller, state  # noqa: E402

SESSION_MS = 6000


def test(c):
    zk = c.kazoo()
    ctl = controller(zk)
    a, b = [x for x in range(3) if x != ctl]
    for t in ("cfg", "api"):
        c.topics("--zookeeper", c.zk_connect, "--create", "--topic", t, "--replica-assignment",
                 "%d:%d" % (a, b))
        c.wait_for_leaders(t, 1)
    c.brokers[b].kill9()
    wait_until(lambda: all(state(zk, t, 0)["isr"] == [a] for t in ("cfg", "api")),
               SESSION_MS / 1000.0 + 15, "ISRs shrunk to broker %d" % a)
    c.brokers[a].kill9()
    wait_until(lambda: all(state(zk, t, 0)["leader"] == -1 for t in ("cfg", "api")),
               SESSION_MS / 1000.0 + 15, "partitions offline")
    c.brokers[b].start()
    # b is alive but not in the ISR: clean election must not pick it.
    check(all(state(zk, t, 0)["leader"] == -1 for t in ("cfg", "api")), "clean election picked an out-of-sync replica")
    harness.run([os.path.join(harness.BIN, "kafka-configs.sh"), "--zookeeper", c.zk_connect, "--alter",
                 "--entity-type", "topics", "--entity-name", "cfg", "--add-config",
                 "unclean.leader.election.enable=true"])
    wait_until(lambda: state(zk, "cfg", 0)["leader"] == b, 20, "unclean election after the config change")
    check(state(zk, "cfg", 0)["isr"] == [b], "unclean leader's ISR is %r" % state(zk, "cfg", 0)["isr"])
    check(state(zk, "api", 0)["leader"] == -1, "the other topic was elected too")
    out = harness.run([os.path.join(harness.BIN, "kafka-leader-election.sh"), "--bootstrap-server",
                       c.brokers[b].bootstrap, "--election-type", "UNCLEAN", "--topic", "api",
                       "--partition", "0"]).stdout.decode()
    check("Successfully completed leader election (UNCLEAN) for partitions api-0" in out,
          "kafka-leader-election said %r" % out)
    check(state(zk, "api", 0)["leader"] == b, "ElectLeaders UNCLEAN did not elect broker %d" % b)
    c.wait_for_leaders("api", 1)
    log("unclean elections ok")


harness.main(test, brokers=3, broker_props={"zookeeper.session.timeout.ms": SESSION_MS})
