"""kafka-python group: three KafkaConsumer members on a 6-partition topic own two partitions each, when one closes (and, in a second group, when one is killed with SIGKILL without leaving) the other two own all six within the session timeout, and a restarted member resumes from the committed offsets."""

import os
import signal
import subprocess
import sys
import threading
import time

import harness
from harness import check, log
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

TOPIC = "kp-grp"
GROUP = "kp-g"
KILLED_GROUP = "kp-g-killed"
SESSION_MS = 6000
PROPS = {
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "3",
    "group.initial.rebalance.delay.ms": "0",
    "group.min.session.timeout.ms": "1000",
}


class Member:
    """A KafkaConsumer polled by its own thread; kafka-python consumers are
    not thread-safe, so only that thread touches it."""

    def __init__(self, c, name, group=GROUP):
        self.c, self.name, self.group = c, name, group
        self.owned = 0
        self.records = []
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.error = None
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        try:
            k = KafkaConsumer(TOPIC, bootstrap_servers=self.c.bootstrap, group_id=self.group,
                              client_id=self.name, session_timeout_ms=SESSION_MS,
                              heartbeat_interval_ms=1000, enable_auto_commit=False,
                              auto_offset_reset="earliest", api_version=(2, 5, 0))
            while not self.stop.is_set():
                for recs in k.poll(timeout_ms=100).values():
                    self.records.extend(recs)
                self.owned = len(k.assignment())
            k.commit()
            k.close()
        except Exception as e:  # reported by the test thread
            self.error = e

    def close(self):
        self.stop.set()
        self.t.join(30)
        check(not self.t.is_alive() and self.error is None, "%s: %r" % (self.name, self.error))


# A member in its own process, so it can be killed without leaving the
# group. It prints how many partitions it owns whenever that changes.
CHILD = r"""
import sys
from kafka import KafkaConsumer
bootstrap, topic, group, session_ms = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
k = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, client_id="kp-child",
                  session_timeout_ms=session_ms, heartbeat_interval_ms=1000,
                  enable_auto_commit=False, auto_offset_reset="earliest", api_version=(2, 5, 0))
owned = -1
while True:
    k.poll(timeout_ms=100)
    if len(k.assignment()) != owned:
        owned = len(k.assignment())
        print(owned, flush=True)
"""


class ChildMember:
    """A kafka-python member running in a separate process; `owned` follows
    the counts it prints."""

    def __init__(self, c, group):
        self.name = "kp-child"
        self.owned = 0
        self.error = None
        self.killed = False
        self.p = subprocess.Popen([sys.executable, "-c", CHILD, c.bootstrap, TOPIC, group,
                                   str(SESSION_MS)], stdout=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL, text=True,
                                  preexec_fn=harness._die_with_parent)
        self.t = threading.Thread(target=self.read, daemon=True)
        self.t.start()

    def read(self):
        for line in self.p.stdout:
            self.owned = int(line)
        if not self.killed:
            self.error = "child member exited with status %r" % self.p.wait()

    def kill(self):
        self.killed = True
        if self.p.poll() is None:
            os.kill(self.p.pid, signal.SIGKILL)
        self.p.wait(30)
        self.t.join(30)


def wait_owned(members, want, timeout, what):
    deadline = time.time() + timeout
    while [m.owned for m in members] != want:
        for m in members:
            check(m.error is None, "%s failed: %r" % (m.name, m.error))
        check(time.time() < deadline, "%s: owned %s, wanted %s" % (what, [m.owned for m in members], want))
        time.sleep(0.1)


def killed_member(c):
    """Two members in this process and one in a child process share the
    topic; the child is SIGKILLed, so it never sends LeaveGroup and the
    broker has to expire it after session.timeout.ms."""
    members = [Member(c, "kp-k%d" % i, KILLED_GROUP) for i in range(2)]
    child = ChildMember(c, KILLED_GROUP)
    try:
        wait_owned(members + [child], [2, 2, 2], 40, "three members, one in a child process")
        t0 = time.time()
        child.kill()
        log("child member (pid %d) killed with SIGKILL" % child.p.pid)
        wait_owned(members, [3, 3], SESSION_MS / 1000 + 4, "after the child member was killed")
        log("survivors took over from the killed member in %.1fs" % (time.time() - t0))
    finally:
        child.kill()
        for m in members:
            m.stop.set()
        for m in members:
            m.t.join(30)
    check(all(m.error is None for m in members), [m.error for m in members])


def test(c):
    c.create_topic(TOPIC, partitions=6)
    p = KafkaProducer(bootstrap_servers=c.bootstrap, api_version=(2, 5, 0))
    for i in range(60):
        p.send(TOPIC, value=b"v%d" % i, partition=i % 6)
    p.flush(30)
    p.close()

    members = [Member(c, "kp-%d" % i) for i in range(3)]
    try:
        wait_owned(members, [2, 2, 2], 40, "three members")
        # The leaving member commits what it read, then LeaveGroup.
        members[2].close()
        t0 = time.time()
        wait_owned(members[:2], [3, 3], 6, "after one member closed")
        log("survivors took over in %.1fs" % (time.time() - t0))
        # The others read everything, commit on close.
        deadline = time.time() + 30
        while sum(len(m.records) for m in members) < 60:
            check(time.time() < deadline, "read %d of 60" % sum(len(m.records) for m in members))
            time.sleep(0.1)
    finally:
        for m in members:
            m.stop.set()
        for m in members:
            m.t.join(30)
    check(all(m.error is None for m in members), [m.error for m in members])

    # A restarted member: committed offsets cover every record, nothing re-read.
    k = KafkaConsumer(bootstrap_servers=c.bootstrap, group_id=GROUP, enable_auto_commit=False,
                      auto_offset_reset="earliest", api_version=(2, 5, 0))
    tps = [TopicPartition(TOPIC, p) for p in range(6)]
    committed = [k.committed(tp) for tp in tps]
    check(committed == [10] * 6, "committed: %r" % committed)
    k.subscribe([TOPIC])
    deadline = time.time() + 20
    got = []
    while len(k.assignment()) != 6 or time.time() < deadline - 17:
        for recs in k.poll(timeout_ms=200).values():
            got.extend(recs)
        check(time.time() < deadline, "restarted member assignment %d" % len(k.assignment()))
    check([k.position(tp) for tp in tps] == [10] * 6 and not got,
          "restarted member positions %r, re-read %d" % ([k.position(tp) for tp in tps], len(got)))
    k.close()

    killed_member(c)


harness.main(test, brokers=1, broker_props=PROPS)
