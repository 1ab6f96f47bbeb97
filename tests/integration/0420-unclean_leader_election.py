#!/usr/bin/python3
"""Proves unclean.leader.election.enable: off (broker default), an ISR={leader} partition whose leader dies while the other replicas are behind stays offline when they return, and nothing acknowledged is lost when the leader comes back; switched on at run time with kafka-configs.sh --zookeeper --alter, the same situation makes a lagging replica leader (the partition serves again) and the test reports exactly which acknowledged records were lost; the returning old leader truncates to the new leader's log."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import BIN, check, fail, log, run, wait_until  # noqa: E402

TOPIC = "u"
PROPS = {
    "zookeeper.session.timeout.ms": "6000",
    "replica.lag.time.max.ms": "4000",
    "unclean.leader.election.enable": "false",
    "controlled.shutdown.retry.backoff.ms": "200",
    "controlled.shutdown.max.retries": "1",
}


def state(zk):
    data, _ = zk.get("/brokers/topics/%s/partitions/0/state" % TOPIC)
    return json.loads(data)


def produce(c, values, acks):
    from confluent_kafka import Producer
    prod = Producer({"bootstrap.servers": c.bootstrap, "acks": str(acks), "retries": 5,
                     "message.timeout.ms": 20000, "enable.idempotence": False,
                     "max.in.flight.requests.per.connection": 1})
    acked = []
    for v in values:
        prod.produce(TOPIC, value=v.encode(), partition=0,
                     on_delivery=lambda err, m: err is None and acked.append(m.value().decode()))
    prod.flush(60)
    check(acked == values, "acks=%s produce: acknowledged %r of %r" % (acks, acked, values))


def configs(c, *args):
    return run([os.path.join(BIN, "kafka-configs.sh"), "--zookeeper", c.zk_connect,
                "--entity-type", "topics", "--entity-name", TOPIC] + list(args),
               what="kafka-configs.sh " + " ".join(args)).stdout.decode()


def isolate_leader(c, zk, tag):
    """Followers stopped, records acknowledged by the leader alone, leader
    killed, followers back. Returns (old leader, its records)."""
    wait_until(lambda: len(state(zk)["isr"]) == 3, 40, "full ISR")
    leader = c.brokers[state(zk)["leader"]]
    followers = [b for b in c.brokers if b is not leader]
    for b in followers:
        check(b.stop() == 0, "clean stop of broker %d" % b.id)
    wait_until(lambda: state(zk)["isr"] == [leader.id], 30, "ISR = leader alone")
    only = ["%s%d" % (tag, i) for i in range(10)]
    produce(c, only, 1)
    leader.kill9()
    for b in followers:
        b.start()
    log("leader %d killed holding %s0..%s9 alone; followers %s back" %
        (leader.id, tag, tag, [b.id for b in followers]))
    return leader, followers, only


def offline(zk, dead):
    """No live leader: none (-1), or still the dead broker when the
    controller itself moved with the kill and never saw it die."""
    return state(zk)["leader"] in (-1, dead.id)


def stays_offline(zk, dead, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not offline(zk, dead):
            fail("partition came online with leader %d (unclean election while disabled)" % state(zk)["leader"])
        time.sleep(0.2)


def test(c):
    c.create_topic(TOPIC, partitions=1, rf=3)
    zk = c.kazoo()
    acked = ["a%d" % i for i in range(10)]
    produce(c, acked, "all")

    # Unclean election off: the partition waits for its last ISR member.
    leader, followers, only = isolate_leader(c, zk, "b")
    acked += only
    wait_until(lambda: offline(zk, leader), 30, "partition offline")
    stays_offline(zk, leader, 8)
    leader.start()
    wait_until(lambda: state(zk)["leader"] == leader.id, 30, "old leader leads again")
    vals = [v.decode() for (_k, v, _o) in c.read_partition(TOPIC, 0)]
    check(vals == acked, "after the clean recovery the log is %r, acknowledged %r" % (vals, acked))
    log("unclean off: offline until the leader returned; all %d acknowledged records kept" % len(acked))

    # Unclean election switched on at run time.
    leader, followers, only = isolate_leader(c, zk, "c")
    wait_until(lambda: offline(zk, leader), 30, "partition offline")
    stays_offline(zk, leader, 2)
    out = configs(c, "--alter", "--add-config", "unclean.leader.election.enable=true")
    check("Completed updating config for entity: topic '%s'." % TOPIC in out, "kafka-configs said %r" % out)
    wait_until(lambda: state(zk)["leader"] in [b.id for b in followers], 30,
               "unclean election of a lagging replica")
    new = c.brokers[state(zk)["leader"]]
    produce(c, ["d%d" % i for i in range(5)], 1)
    vals = [v.decode() for (_k, v, _o) in c.read_partition(TOPIC, 0)]
    lost = [v for v in acked + only if v not in vals]
    log("unclean on: broker %d elected; acknowledged records lost: %s" % (new.id, lost))
    check(lost == only, "lost %r, expected exactly the old leader's unreplicated %r" % (lost, only))
    check(vals == acked + ["d%d" % i for i in range(5)], "log after unclean election: %r" % vals)
    leader.start()
    wait_until(lambda: len(state(zk)["isr"]) == 3, 40, "old leader back in the ISR")
    seg = lambda b: open(os.path.join(b.data_dir, TOPIC + "-0", "%020d.log" % 0), "rb").read()
    wait_until(lambda: seg(leader) == seg(new), 20, "old leader truncated to the new leader's log")
    out = configs(c, "--describe")
    check(out.strip() == "Configs for topic '%s' are unclean.leader.election.enable=true" % TOPIC,
          "describe said %r" % out)


harness.main(test, brokers=3, broker_props=PROPS)
