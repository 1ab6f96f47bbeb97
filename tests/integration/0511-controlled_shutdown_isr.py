#!/usr/bin/python3
"""A broker that went through controlled shutdown and then dies leaves every
ISR, even if a leader added it back in between.

The controlled shutdown takes a follower out of the ISR and stops its
fetchers, but a fetch it sent just before can reach the leader after the
new LeaderAndIsr, and the leader (Kafka 2.8's rule: a follower at the log
end is never out of sync, however long ago it fetched) adds it back and
keeps it there while nothing is produced. Kafka's controller takes the
broker out of the ISR again when its registration goes (OfflineReplica to
OfflineReplica, the state read from ZooKeeper first).

The race is made certain here: ControlledShutdown for broker 1 is sent by
hand (as broker 1 would), the state znode then gets broker 1 back in the
ISR as the racing leader's conditional write would put it, and broker 1 is
stopped. The ISR must end as [0] with a new leader epoch, leader 0."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from kazoo.exceptions import BadVersionError  # noqa: E402
import specutil  # noqa: E402
from harness import check, log  # noqa: E402

TOPIC = "cs-isr"
STATE = "/brokers/topics/%s/partitions/0/state" % TOPIC


def test(c):
    zk = c.kazoo()
    c.topics("--zookeeper", c.zk_connect, "--create", "--topic", TOPIC, "--replica-assignment", "0:1")
    c.wait_for_leaders(TOPIC, 1)

    def state():
        data, st = zk.get(STATE)
        return json.loads(data.decode()), st.version
    harness.wait_until(lambda: sorted(state()[0]["isr"]) == [0, 1], 60, "ISR [0,1]", interval=0.1)

    controller = json.loads(zk.get("/controller")[0].decode())["brokerid"]
    epoch = zk.get("/brokers/ids/1")[1].czxid
    conn = specutil.Conn(c.brokers[controller].port, "controller %d" % controller, timeout=60)
    r = conn.call(7, 3, {"broker_id": 1, "broker_epoch": epoch})
    conn.close()
    check(r["error_code"] == 0 and r["remaining_partitions"] == [],
          "ControlledShutdown of broker 1: %r" % r)
    harness.wait_until(lambda: state()[0]["isr"] == [0], 30, "ISR [0] after the controlled shutdown",
                       interval=0.1)

    # The racing leader's write: broker 1 back in the ISR, conditional on
    # the version the controller's write left (as the leader's would be).
    st, version = state()
    log("after the controlled shutdown: %r (version %d)" % (st, version))
    raced = dict(st, isr=[0, 1])
    try:
        zk.set(STATE, json.dumps(raced, separators=(",", ":")).encode(), version=version)
    except BadVersionError:
        # the leader wrote first: it may have raced for real
        st, version = state()
        log("the state changed under the write: %r (version %d)" % (st, version))
        check(sorted(st["isr"]) == [0, 1] or st["isr"] == [0], "state after the race: %r" % st)
        if st["isr"] == [0]:
            zk.set(STATE, json.dumps(dict(st, isr=[0, 1]), separators=(",", ":")).encode(),
                   version=version)

    rc = c.brokers[1].stop()
    check(rc == 0, "broker 1 exited with %s" % rc)
    harness.wait_until(lambda: state()[0]["isr"] == [0], 30,
                       "broker 1 out of the ISR after its registration went", interval=0.1)
    final, _ = state()
    log("after broker 1 stopped: %r" % final)
    check(final["leader"] == 0 and final["leader_epoch"] > st["leader_epoch"],
          "state after broker 1 stopped: %r (before: %r)" % (final, st))


if __name__ == "__main__":
    harness.main(test, brokers=2)
