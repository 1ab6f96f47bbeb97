"""kafka-consumer-groups.sh: --list/--state, --describe shows CURRENT-OFFSET/LOG-END-OFFSET/LAG after kafka-console-consumer.sh --group committed part of a topic, --members/--state views, --reset-offsets refused on an active group and --to-earliest --execute on an inactive one makes the next member re-read from the start, --delete removes an empty group."""

import os
import re
import time

import harness
from harness import BIN, check, log, run
from confluent_kafka import Consumer

TOPIC = "cgt"
PROPS = {
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "3",
    "group.initial.rebalance.delay.ms": "0",
    "group.min.session.timeout.ms": "1000",
}


def cg(c, *args):
    p = run([os.path.join(BIN, "kafka-consumer-groups.sh"), "--bootstrap-server", c.bootstrap]
            + list(args), what="kafka-consumer-groups.sh " + " ".join(args))
    return p.stdout.decode(), p.stderr.decode()


def table(out, header):
    """The rows under the header line starting with `header`, split on spaces."""
    lines = out.split("\n")
    idx = [i for i, l in enumerate(lines) if l.startswith(header)]
    check(idx, "no %r header in %r" % (header, out))
    return [l.split() for l in lines[idx[0] + 1:] if l.strip()]


def member(c, group, reset="latest"):
    k = Consumer({"bootstrap.servers": c.bootstrap, "group.id": group,
                  "session.timeout.ms": 6000, "enable.auto.commit": False,
                  "auto.offset.reset": reset})
    k.subscribe([TOPIC])
    return k


def poll_until(k, pred, timeout, what, sink=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = k.poll(0.2)
        if m is not None and not m.error() and sink is not None:
            sink.append(m)
        if pred():
            return
    harness.fail("timed out waiting for " + what)


def test(c):
    c.create_topic(TOPIC, partitions=3)
    for p in range(3):
        c.kcat("-P", "-t", TOPIC, "-p", str(p), input="".join("m%d-%d\n" % (p, i) for i in range(10)))

    # The console consumer reads 12 of the 30 records in group cg1 and commits them.
    p = run([os.path.join(BIN, "kafka-console-consumer.sh"), "--bootstrap-server", c.bootstrap,
             "--topic", TOPIC, "--group", "cg1", "--from-beginning", "--max-messages", "12",
             "--timeout-ms", "30000"], timeout=90, what="kafka-console-consumer.sh --group")
    check(len(p.stdout.decode().split()) == 12, "console consumer: %r" % p.stdout)

    out, _ = cg(c, "--list")
    check("cg1" in out.split("\n"), "--list: %r" % out)
    out, _ = cg(c, "--list", "--state")
    check(out.startswith("GROUP           STATE\n") and "\ncg1             Empty\n" in out,
          "--list --state: %r" % out)

    out, err = cg(c, "--describe", "--group", "cg1")
    check("Consumer group 'cg1' has no active members." in err, "describe stderr: %r" % err)
    check(out.startswith("\nGROUP           TOPIC           PARTITION  CURRENT-OFFSET  "
                         "LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID\n"),
          "describe header: %r" % out)
    rows = table(out, "GROUP ")
    log("describe rows: %s" % rows)
    check(sorted(int(r[2]) for r in rows) == [int(r[2]) for r in rows], "rows not sorted: %r" % rows)
    check(sum(int(r[3]) for r in rows) == 12, "CURRENT-OFFSET sum: %r" % rows)
    for r in rows:
        check(r[0] == "cg1" and r[1] == TOPIC and r[4] == "10", "LOG-END-OFFSET: %r" % r)
        check(int(r[5]) == 10 - int(r[3]), "LAG: %r" % r)
        check(r[6:] == ["-", "-", "-"], "consumer columns: %r" % r)

    # An active member: the views show it and a reset is refused.
    k = member(c, "cg1")
    poll_until(k, lambda: len(k.assignment()) == 3, 30, "cg1 assignment")
    out, _ = cg(c, "--describe", "--group", "cg1")
    rows = table(out, "GROUP ")
    check(len(rows) == 3 and all(r[6].startswith("rdkafka-") and r[7] == "/127.0.0.1" for r in rows),
          "describe with a member: %r" % out)
    out, _ = cg(c, "--describe", "--group", "cg1", "--members", "--verbose")
    rows = table(out, "GROUP ")
    check(len(rows) == 1 and rows[0][4:] == ["3", "%s(0,1,2)" % TOPIC], "--members: %r" % out)
    out, _ = cg(c, "--describe", "--group", "cg1", "--state")
    rows = table(out, "GROUP ")
    check(re.match(r"^cg1 127\.0\.0\.1:\d+ \(0\) range Stable 1$", " ".join(rows[0])),
          "--state: %r" % out)
    out, _ = cg(c, "--reset-offsets", "--group", "cg1", "--all-topics", "--to-earliest", "--execute")
    check("Error: Assignments can only be reset if the group 'cg1' is inactive, but the current "
          "state is Stable." in out, "reset on an active group: %r" % out)
    k.close()

    # Inactive: reset to earliest, and the next member re-reads everything.
    out, _ = cg(c, "--reset-offsets", "--group", "cg1", "--topic", TOPIC, "--to-earliest", "--execute")
    rows = table(out, "GROUP                          TOPIC")
    check(rows == [["cg1", TOPIC, str(p), "0"] for p in range(3)], "reset table: %r" % out)
    k = member(c, "cg1", reset="latest")
    seen = []
    poll_until(k, lambda: len(seen) >= 30, 30, "30 records re-read", sink=seen)
    check(sorted(m.value() for m in seen) == sorted(b"m%d-%d" % (p, i) for p in range(3) for i in range(10)),
          "re-read records differ")
    k.commit(asynchronous=False)
    k.close()
    out, _ = cg(c, "--describe", "--group", "cg1")
    check(all(r[3] == "10" and r[5] == "0" for r in table(out, "GROUP ")), "lag after re-read: %r" % out)

    # Dry run (the default) changes nothing; --to-offset is clamped to the log.
    out, err = cg(c, "--reset-offsets", "--group", "cg1", "--topic", TOPIC + ":1", "--to-offset", "99")
    check(table(out, "GROUP                          TOPIC") == [["cg1", TOPIC, "1", "10"]], "clamp: %r" % out)
    check("WARN: No action will be performed" in err, "dry-run warning: %r" % err)

    # --delete on an empty group, then it is gone.
    out, _ = cg(c, "--delete", "--group", "cg1")
    check(out == "Deletion of requested consumer groups ('cg1') was successful.\n", "--delete: %r" % out)
    out, _ = cg(c, "--list")
    check("cg1" not in out.split("\n"), "--list after delete: %r" % out)
    out, _ = cg(c, "--describe", "--group", "cg1")
    check("Error: Consumer group 'cg1' does not exist." in out, "describe deleted: %r" % out)

    # Usage errors exit 1 naming the problem.
    p = run([os.path.join(BIN, "kafka-consumer-groups.sh"), "--bootstrap-server", c.bootstrap,
             "--describe"], check_rc=False)
    check(p.returncode == 1 and b"Option [describe] takes one of these options" in p.stderr,
          "usage error: %r" % p.stderr[:200])


harness.main(test, brokers=1, broker_props=PROPS)
