"""confluent-kafka group: three members split six partitions two each, the survivors take over all six when one leaves and when one is killed, and committed offsets are resumed."""

import os
import subprocess
import sys
import time

import harness
from confluent_kafka import Consumer, Producer

TOPIC = "grp"
PROPS = {
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "3",
    "group.initial.rebalance.delay.ms": "0",
    "group.min.session.timeout.ms": "1000",
}

# A member in its own process, so it can be killed without leaving.
CHILD = r"""
import sys, time
from confluent_kafka import Consumer
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "g1", "session.timeout.ms": 6000,
              "heartbeat.interval.ms": 500, "enable.auto.commit": False})
c.subscribe(["grp"])
while True:
    c.poll(0.2)
    print(len(c.assignment()), flush=True)
"""


def consumer(c, **extra):
    conf = {"bootstrap.servers": c.bootstrap, "group.id": "g1", "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 500, "max.poll.interval.ms": 10000,
            "enable.auto.commit": False, "auto.offset.reset": "earliest"}
    conf.update(extra)
    k = Consumer(conf)
    k.subscribe([TOPIC])
    return k


def wait_owned(members, want, timeout=30, sink=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for m in members:
            msg = m.poll(0.1)
            if sink is not None and msg is not None and not msg.error():
                sink.append(msg)
        owned = [len(m.assignment()) for m in members]
        if owned == want:
            return owned
    raise AssertionError("assignment %s, wanted %s" % ([len(m.assignment()) for m in members], want))


def test(c):
    c.create_topic(TOPIC, partitions=6)
    c.wait_for_leaders(TOPIC, 6)
    p = Producer({"bootstrap.servers": c.bootstrap})
    for i in range(60):
        p.produce(TOPIC, value=b"m%d" % i, partition=i % 6)
    p.flush(30)

    a, b = consumer(c), consumer(c)
    child = subprocess.Popen([sys.executable, "-c", CHILD, c.bootstrap], stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 30
        while True:
            for m in (a, b):
                m.poll(0.1)
            if len(a.assignment()) == 2 and len(b.assignment()) == 2:
                break
            assert time.time() < deadline, "no 2/2/2 split: %d %d" % (len(a.assignment()), len(b.assignment()))
        # Killed without leaving: its partitions move after the session timeout.
        child.kill()
        child.wait()
        t0 = time.time()
        wait_owned([a, b], [3, 3], timeout=20)
        assert time.time() - t0 < 15, "took %.1fs" % (time.time() - t0)
    finally:
        if child.poll() is None:
            child.kill()

    # One leaves cleanly: the other owns all six.
    b.close()
    wait_owned([a], [6], timeout=20)
    a.close()

    # A fresh member reads everything and commits it.
    r = consumer(c)
    seen = []
    wait_owned([r], [6], timeout=20, sink=seen)
    deadline = time.time() + 20
    while len(seen) < 60 and time.time() < deadline:
        m = r.poll(0.2)
        if m is not None and not m.error():
            seen.append(m)
    assert len(seen) == 60, len(seen)
    for m in seen:
        r.commit(message=m, asynchronous=False)
    r.close()

    # A restarted member resumes from the committed offsets: nothing to read.
    r = consumer(c)
    wait_owned([r], [6], timeout=20)
    committed = r.committed(r.assignment(), timeout=10)
    assert sum(tp.offset for tp in committed) == 60, [(tp.partition, tp.offset) for tp in committed]
    end = time.time() + 2
    while time.time() < end:
        m = r.poll(0.2)
        assert m is None or m.error(), "re-read %r" % (m.value(),)
    r.close()


harness.main(test, brokers=1, broker_props=PROPS)
