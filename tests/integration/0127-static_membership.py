"""Static membership (KIP-345) as Kafka 2.8, with confluent-kafka members
in their own processes: three static members share six partitions; one is
killed (-9) and restarted within the session timeout and gets its old
partitions back while the others see no revocation and the coordinator
starts no rebalance; a second instance with a running member's
group.instance.id fences the first, which gets the fatal
FENCED_INSTANCE_ID, and the old member ids are answered
FENCED_INSTANCE_ID (82) by Heartbeat."""

import json
import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import grouputil as gu  # noqa: E402
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402

TOPIC = "st"
GROUP = "static"
FENCED_INSTANCE_ID = 82
FATAL = -150

CHILD = r"""
import json, sys
from confluent_kafka import Consumer
def out(**kw):
    print(json.dumps(kw), flush=True)
def on_assign(c, parts):
    out(ev="assign", parts=sorted(p.partition for p in parts))
def on_revoke(c, parts):
    out(ev="revoke", parts=sorted(p.partition for p in parts))
def on_error(e):
    out(ev="error", code=e.code(), name=e.name(), fatal=e.fatal(), text=e.str())
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": sys.argv[2], "group.instance.id": sys.argv[3],
              "session.timeout.ms": 10000, "heartbeat.interval.ms": 300, "enable.auto.commit": False,
              "error_cb": on_error})
c.subscribe([sys.argv[4]], on_assign=on_assign, on_revoke=on_revoke)
while True:
    m = c.poll(0.2)
    if m is not None and m.error():
        on_error(m.error())
"""


class Member:
    """One static member process and the events it reported."""

    def __init__(self, c, instance):
        self.instance = instance
        self.events = []
        self.lock = threading.Lock()
        self.proc = subprocess.Popen([sys.executable, "-c", CHILD, c.bootstrap, GROUP, instance, TOPIC],
                                     stdout=subprocess.PIPE, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                self.events.append(ev)

    def snapshot(self):
        with self.lock:
            return list(self.events)

    def owned(self):
        """The partitions of the last assign event, or None."""
        last = None
        for ev in self.snapshot():
            if ev["ev"] == "assign":
                last = ev["parts"]
            elif ev["ev"] == "revoke":
                last = None
        return last

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def rebalances(c):
    return c.brokers[0].log_text().count("Preparing to rebalance group %s " % GROUP)


def member_ids(c):
    err, state, members = gu.describe_group(c.bootstrap, GROUP)
    check(err == 0, "DescribeGroups error %d" % err)
    return state, {inst: mid for mid, inst in members}


def test(c):
    c.create_topic(TOPIC, partitions=6)
    c.wait_for_leaders(TOPIC, 6)
    gu.wait_coordinator(c.bootstrap, GROUP)
    members = {i: Member(c, i) for i in ("i1", "i2", "i3")}
    extra = []
    try:
        def split():
            owned = [members[i].owned() for i in ("i1", "i2", "i3")]
            if any(o is None or len(o) != 2 for o in owned):
                return None
            return owned if sorted(sum(owned, [])) == list(range(6)) else None
        wait_until(split, 60, "a 2/2/2 split among the static members")
        wait_until(lambda: member_ids(c)[0] == "Stable", 30, "group Stable")
        state, ids = member_ids(c)
        check(sorted(ids) == ["i1", "i2", "i3"], "members %r" % ids)
        base_events = {i: len(m.snapshot()) for i, m in members.items()}
        base_rebalances = rebalances(c)
        old_parts = members["i2"].owned()
        log("stable: %r, ids %r" % ({i: m.owned() for i, m in members.items()}, ids))

        # Whichever of them leads, restarting a static member (the leader
        # included) must not rebalance; i3 is replaced last, below.
        for inst in ("i2", "i1"):
            log("kill -9 %s and restart it within the session timeout" % inst)
            old_parts = members[inst].owned()
            members[inst].kill()
            members[inst] = Member(c, inst)
            base_events[inst] = 0
            wait_until(lambda: members[inst].owned() is not None, 30, "the restarted %s assigned" % inst)
            check(members[inst].owned() == old_parts,
                  "restarted %s got %r, had %r" % (inst, members[inst].owned(), old_parts))
            check(rebalances(c) == base_rebalances, "the coordinator rebalanced on the rejoin of %s" % inst)
            state, ids2 = member_ids(c)
            check(state == "Stable", "group %s after the restart of %s" % (state, inst))
            check(all((ids2[i] != ids[i]) == (i == inst) for i in ids),
                  "member ids %r -> %r" % (ids, ids2))
            check(gu.heartbeat(c.bootstrap, GROUP, -1, ids[inst], inst) == FENCED_INSTANCE_ID,
                  "Heartbeat of the killed %s's member id is not fenced" % inst)
            ids = ids2

        log("a second instance i3 fences the first")
        pre = members["i3"].snapshot()[base_events["i3"]:]
        check(not [e for e in pre if e["ev"] in ("revoke", "assign")], "i3 saw %r" % pre)
        dup = Member(c, "i3")
        extra.append(dup)
        i3_parts = members["i3"].owned()

        def fenced():
            for ev in members["i3"].snapshot():
                # confluent-kafka 1.7 hands error_cb librdkafka's _FATAL
                # (-150) naming the cause rather than the cause's code.
                if ev["ev"] == "error" and (ev["fatal"] or ev["code"] == FATAL) and (
                        ev["code"] == FENCED_INSTANCE_ID or "fenced" in ev["text"].lower()):
                    return ev
            return None
        try:
            ev = wait_until(fenced, 30, "the first i3 fenced")
        except harness.TestFailure:
            log("first i3 reported %r" % members["i3"].snapshot())
            raise
        log("first i3: %r" % ev)
        wait_until(lambda: dup.owned() is not None, 30, "the second i3 assigned")
        check(dup.owned() == i3_parts, "second i3 got %r, first had %r" % (dup.owned(), i3_parts))
        check(gu.heartbeat(c.bootstrap, GROUP, -1, ids["i3"], "i3") == FENCED_INSTANCE_ID,
              "Heartbeat of the first i3's member id is not fenced")
        check(rebalances(c) == base_rebalances, "the coordinator rebalanced on the second i3")

        # Nobody saw a revocation through all of it, nor a second
        # assignment (a restarted member saw exactly its one assignment).
        for inst, m in members.items():
            after = m.snapshot()[base_events[inst]:]
            got = [e for e in after if e["ev"] in ("revoke", "assign")]
            if inst == "i3":
                # Fenced: it may drop its partitions, but never gets any.
                check(not [e for e in got if e["ev"] == "assign"], "the first i3 saw %r" % got)
            elif base_events[inst] == 0:
                check(len(got) == 1 and got[0]["ev"] == "assign", "%s saw %r" % (inst, got))
            else:
                check(not got, "%s saw %r" % (inst, got))
    finally:
        for m in list(members.values()) + extra:
            m.kill()


harness.main(test, brokers=1, broker_props={"offsets.topic.num.partitions": "3"})
