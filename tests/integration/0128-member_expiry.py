"""Members expire at their own session deadline: with session.timeout.ms
5000, a DeleteGroups 5.2 s after the last member stopped heartbeating
(paused with SIGSTOP, or killed) finds the group empty and deletes it; and
with no request at all, the coordinator thread removes an expired member by
itself."""

import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import grouputil as gu  # noqa: E402
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402

TOPIC = "exp"
PROPS = {"group.min.session.timeout.ms": "1000", "offsets.topic.num.partitions": "3"}

CHILD = r"""
import sys
from confluent_kafka import Consumer
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": sys.argv[2], "session.timeout.ms": 5000,
              "heartbeat.interval.ms": 300, "enable.auto.commit": False})
c.subscribe([sys.argv[3]])
while True:
    c.poll(0.1)
    print(len(c.assignment()), flush=True)
"""


def start_member(c, group):
    p = subprocess.Popen([sys.executable, "-c", CHILD, c.bootstrap, group, TOPIC],
                         stdout=subprocess.PIPE, text=True)
    # Assigned, and the group Stable with this one member.
    wait_until(lambda: p.stdout.readline().strip() == "2", 60, "member of %s assigned" % group)
    wait_until(lambda: gu.describe_group(c.bootstrap, group)[1] == "Stable", 60, "%s Stable" % group)
    return p


def stop_heartbeats_then_delete(c, group, sig):
    p = start_member(c, group)
    try:
        os.kill(p.pid, sig)
        t_stop = time.monotonic()
        err, state, members = gu.describe_group(c.bootstrap, group)
        check(state == "Stable" and len(members) == 1, "%s right after the stop: %s %r" % (group, state, members))
        # The last heartbeat was before t_stop: 5.2 s later its session
        # deadline (5 s after it) has passed.
        time.sleep(max(0.0, t_stop + 5.2 - time.monotonic()))
        res = gu.delete_groups(c.bootstrap, [group])
        log("DeleteGroups %s %.2f s after %s: %r" % (group, time.monotonic() - t_stop,
                                                      signal.Signals(sig).name, res))
        check(res == {group: 0}, "DeleteGroups of %s answered %r" % (group, res))
        err, state, members = gu.describe_group(c.bootstrap, group)
        check(state == "Dead" and not members, "%s after delete: %s %r" % (group, state, members))
    finally:
        p.kill()
        p.wait()


def test(c):
    c.create_topic(TOPIC, partitions=2)
    c.wait_for_leaders(TOPIC, 2)
    for g in ("paused", "killed", "quiet"):
        gu.wait_coordinator(c.bootstrap, g)

    log("member paused with SIGSTOP")
    stop_heartbeats_then_delete(c, "paused", signal.SIGSTOP)
    log("member killed")
    stop_heartbeats_then_delete(c, "killed", signal.SIGKILL)

    log("no request: the coordinator thread expires the member")
    p = start_member(c, "quiet")
    p.kill()
    p.wait()
    b = c.brokers[0]
    wait_until(lambda: "in group quiet has failed, removing it from the group" in b.log_text(), 30,
               "the expiry of the quiet member")
    wait_until(lambda: "Group quiet with generation" in b.log_text(), 30, "group quiet empty")
    err, state, members = gu.describe_group(c.bootstrap, "quiet")
    check(state == "Empty" and not members, "quiet: %s %r" % (state, members))


harness.main(test, brokers=1, broker_props=PROPS)
