#!/usr/bin/python3
"""Kafka's own command-line tools (org.apache.kafka:kafka_2.13 and kafka-tools
3.9) against two Samsa brokers, beside Samsa's bin/*.sh on the same cluster:
TopicCommand, ConfigCommand, ConsumerGroupCommand, ConsoleProducer/
ConsoleConsumer, ReassignPartitionsCommand and AclCommand (ZooKeeper mode)
outputs equal Samsa's line for line after the normalisations listed in
NORMALISE (what Kafka 3.9's tools print differently from 2.8's); GetOffsetShell prints the offsets the
topic really has; DumpLogSegments --deep-iteration reads Samsa's .log,
.index and .timeindex files of a plain, a gzip-compressed and a compacted
topic and the .txnindex and .snapshot files of a transactional one (a
committed and an aborted transaction, snapshots from the clean shutdown)
without a mismatch or error, and its lines equal bin/kafka-dump-log.sh's.

Any other difference fails the test and prints a unified diff.
Environment: SM_JAVA_CLI_VERSION (default 3.9.2).
"""
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import javautil  # noqa: E402
from harness import check, fail, log  # noqa: E402

NAME = "0610-java_kafka_cli"
VERSION = os.environ.get("SM_JAVA_CLI_VERSION", "3.9.2")
TOPIC, GZ, COMPACT, GROUP = "cmp", "cmpz", "cmpc", "cmpg"
TXN = "cmpt"
CP = None

TOPIC_CMD = "org.apache.kafka.tools.TopicCommand"
GROUP_CMD = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"
CONFIG_CMD = "kafka.admin.ConfigCommand"
OFFSET_SHELL = "org.apache.kafka.tools.GetOffsetShell"
DUMP = "kafka.tools.DumpLogSegments"
PRODUCER = "kafka.tools.ConsoleProducer"
CONSUMER = "org.apache.kafka.tools.consumer.ConsoleConsumer"
REASSIGN = "org.apache.kafka.tools.reassign.ReassignPartitionsCommand"
ACLS = "kafka.admin.AclCommand"

results = []     # (name, ok, detail)

# What Kafka 3.9's tools print differently from Kafka 2.8's (which Samsa's
# tools follow), rewritten to 2.8's form before comparing; nothing else is.
NORMALISE = [
    # TopicCommand 3.x: ELR columns (KRaft; always N/A against ZooKeeper mode)
    (re.compile(r"\tElr: [^\t]*\tLastKnownElr: [^\t]*$"), ""),
    # ConsumerGroupCommand 3.x: --verbose assignments without the topic
    # name ("(0,1,2)" for 2.8's "cmp(0,1,2)")
    (re.compile(r" [A-Za-z0-9._-]+(\([\d,]+\))$"), r" \1"),
    # ConsumerGroupCommand 3.x: two spaces before the coordinator's id
    (re.compile(r":(\d+)  \((-?\d+)\)"), r":\1 (\2) "),
    # TopicCommand prints a topic's overrides in the order DescribeConfigs
    # returned them (a hash order in Kafka); Samsa's tool sorts them
    (re.compile(r"\tConfigs: (.+)$"), lambda m: "\tConfigs: " + ",".join(sorted(m.group(1).split(",")))),
    # Samsa's --bootstrap-server describe omits TopicId (docs/deviations.md)
    (re.compile(r"\tTopicId: [A-Za-z0-9_-]+"), ""),
    # DumpLogSegments 3.x: "Log starting offset", deleteHorizonMs on batch
    # lines, the codec's lower-case name, and record lines without the
    # batch's fields (2.8 repeats them on every record; Samsa prints 2.8's)
    (re.compile(r"^Log starting offset: "), "Starting offset: "),
    (re.compile(r" deleteHorizonMs: OptionalLong\.empty"), ""),
    (re.compile(r" compresscodec: (\w+)"), lambda m: " compresscodec: " + m.group(1).upper()),
    # ReassignPartitionsCommand 3.x: "is completed." (2.8: "is complete.")
    (re.compile(r"^(Reassignment of partition \S+) is completed\.$"), r"\1 is complete."),
    # AclCommand prints a resource's ACLs from a hash set: the first after a
    # space, the last before one; compared as sets (sort=True) without them
    (re.compile(r"^ ?(\t\(principal=.*\)) ?$"), r"\1"),
    # DumpLogSegments 3.x on a .snapshot: the transaction's first offset as
    # a Java OptionalLong (2.8: a Scala Option) and the producer's
    # lastTimestamp, which 2.8 does not print
    (re.compile(r" currentTxnFirstOffset: OptionalLong(?:\.empty|\[(\d+)\]) lastTimestamp: -?\d+ "),
     lambda m: " currentTxnFirstOffset: %s " % ("Some(%s)" % m.group(1) if m.group(1) else "None")),
    (re.compile(r"^\| offset: (\d+) isValid: true crc: null keySize: (-?\d+) valueSize: (-?\d+) "
                r"(CreateTime|LogAppendTime): (-?\d+) baseOffset: .*? position: \d+ sequence: "),
     r"| offset: \1 \4: \5 keySize: \2 valueSize: \3 sequence: "),
]


def normalise(line):
    for pat, rep in NORMALISE:
        line = pat.sub(rep, line)
    return line


def kafka(cls, *args, stderr=False, input=None):
    """Runs one of Kafka's tools; its stdout (and stderr when asked)."""
    p = harness.run(["java", "-Xmx256m", "-cp", CP, cls] + list(args), timeout=120, input=input,
                    what="%s %s" % (cls.rsplit(".", 1)[1], " ".join(args[:4])))
    out = p.stdout.decode(errors="replace")
    return (out, p.stderr.decode(errors="replace")) if stderr else out


def samsa(script, *args, input=None):
    p = harness.run([os.path.join(harness.BIN, script)] + list(args), timeout=60, input=input,
                    what="%s %s" % (script, " ".join(args[:4])))
    return p.stdout.decode(errors="replace")


def compare(name, ours, theirs, sort=False, squash=False):
    """Line-for-line comparison after normalise(); sort: the row order
    carries no meaning (Kafka prints topics and group rows in hash order);
    squash: only the column widths differ between 2.8 and 3.x."""
    a = [normalise(x) for x in ours.splitlines()]
    b = [normalise(x) for x in theirs.splitlines()]
    if squash:
        a = [re.sub(r" +", " ", x).rstrip() for x in a]
        b = [re.sub(r" +", " ", x).rstrip() for x in b]
    if sort:
        a, b = sorted(a), sorted(b)
    diff = list(difflib.unified_diff(a, b, "samsa " + name, "kafka " + name, lineterm="", n=1))
    results.append((name, not diff, "\n".join(diff)))
    log("%s: %s" % (name, "same" if not diff else "DIFFERENT"))
    if diff:
        print("\n".join(diff), flush=True)
    return diff


def check_result(name, ok, detail=""):
    results.append((name, ok, detail))
    log("%s: %s %s" % (name, "ok" if ok else "FAILED", detail))


def part_dir(c, topic, p=0):
    for b in c.brokers:
        d = os.path.join(b.data_dir, "%s-%d" % (topic, p))
        if os.path.isdir(d):
            return d
    fail("no log dir for %s-%d" % (topic, p))


def files(d, ext):
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(ext))


def live_group(c):
    """The group views of a group with a live member (kcat's balanced
    consumer), asked of both tools while it stays Stable."""
    b = c.bootstrap
    g = GROUP + "-live"
    proc = subprocess.Popen([harness.KCAT, "-b", b, "-G", g, "-q", "-o", "beginning", TOPIC],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, preexec_fn=harness._die_with_parent)
    try:
        def stable():
            p = harness.run([os.path.join(harness.BIN, "kafka-consumer-groups.sh"), "--bootstrap-server",
                             b, "--describe", "--group", g, "--state"], check_rc=False, timeout=30)
            return b" Stable " in p.stdout
        harness.wait_until(stable, 60, "group %s to be Stable" % g)
        for extra in ((), ("--members",), ("--members", "--verbose"), ("--state",)):
            args = ["--bootstrap-server", b, "--describe", "--group", g] + list(extra)
            compare("consumer-groups --describe %s (live member)" % " ".join(extra),
                    samsa("kafka-consumer-groups.sh", *args), kafka(GROUP_CMD, *args), sort=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def transactions(c):
    """A committed and an aborted transaction on TXN: the abort lands in the
    segment's .txnindex, the producer in the .snapshot files."""
    from confluent_kafka import Producer
    c.create_topic(TXN, partitions=1, rf=1)
    c.wait_for_leaders(TXN, 1)
    p = Producer({"bootstrap.servers": c.bootstrap, "transactional.id": "cmp-txn",
                  "linger.ms": 5})
    p.init_transactions(30)
    for i, end in enumerate((p.commit_transaction, p.abort_transaction, p.commit_transaction)):
        p.begin_transaction()
        for k in range(10):
            p.produce(TXN, key=b"t%d" % i, value=b"v%d-%d" % (i, k))
        p.flush(30)
        end(30)


def console(c):
    """Kafka's console producer and Samsa's write to one topic; both console
    consumers print the same four records."""
    t = "cmpk"
    c.create_topic(t, partitions=1, rf=2)
    c.wait_for_leaders(t, 1)
    b = c.bootstrap
    props = ["--property", "parse.key=true", "--property", "key.separator=:"]
    kafka(PRODUCER, "--bootstrap-server", b, "--topic", t, *props, input=b"a:1\nb:2\n")
    samsa("kafka-console-producer.sh", "--bootstrap-server", b, "--topic", t, *props, input=b"c:3\nd:4\n")
    args = ["--bootstrap-server", b, "--topic", t, "--from-beginning", "--max-messages", "4",
            "--property", "print.key=true", "--property", "print.partition=true",
            "--property", "print.offset=true"]
    ours, theirs = samsa("kafka-console-consumer.sh", *args), kafka(CONSUMER, *args)
    check_result("console round trip", ours.count("\n") == 4, repr(ours))
    compare("console-consumer (Kafka's and Samsa's producers)", ours, theirs)


def reassign(c):
    """The same move of two like topics, one by each tool: --execute and
    --verify print the same (topic names aside)."""
    b = c.bootstrap
    out = {}
    for who, t in (("samsa", "cmpr1"), ("kafka", "cmpr2")):
        c.topics("--zookeeper", c.zk_connect, "--create", "--topic", t, "--replica-assignment", "0")
        c.wait_for_leaders(t, 1)
        plan = os.path.join(c.root, t + ".json")
        with open(plan, "w") as f:
            f.write('{"version":1,"partitions":[{"topic":"%s","partition":0,"replicas":[1],'
                    '"log_dirs":["any"]}]}' % t)
        run = (lambda *a: samsa("kafka-reassign-partitions.sh", *a)) if who == "samsa" \
            else (lambda *a: kafka(REASSIGN, *a))
        ex = run("--bootstrap-server", b, "--execute", "--reassignment-json-file", plan)

        def done():
            return "is complete" in run("--bootstrap-server", b, "--verify", "--reassignment-json-file",
                                         plan)
        harness.wait_until(done, 60, "the %s tool's reassignment of %s" % (who, t))
        out[who] = (ex.replace(t, "T"),
                    run("--bootstrap-server", b, "--verify", "--reassignment-json-file", plan).replace(t, "T"))
    compare("reassign-partitions --execute", out["samsa"][0], out["kafka"][0])
    compare("reassign-partitions --verify", out["samsa"][1], out["kafka"][1])


def acls(c):
    """ACLs written by either tool through ZooKeeper, listed by both."""
    zk = ["--authorizer-properties", "zookeeper.connect=" + c.zk_connect]
    kafka(ACLS, *zk, "--add", "--allow-principal", "User:alice", "--operation", "Read",
          "--operation", "Describe", "--topic", TOPIC)
    samsa("kafka-acls.sh", *zk, "--add", "--allow-principal", "User:bob", "--operation", "Write",
          "--topic", "cmp-", "--resource-pattern-type", "prefixed")
    kafka(ACLS, *zk, "--add", "--deny-principal", "User:eve", "--operation", "All", "--group", GROUP)
    for what in ((), ("--topic", TOPIC), ("--group", GROUP)):
        args = zk + ["--list"] + list(what)
        compare("acls --list %s" % " ".join(what), samsa("kafka-acls.sh", *args), kafka(ACLS, *args),
                sort=True)
    args = zk + ["--list", "--topic", "cmp-", "--resource-pattern-type", "prefixed"]
    compare("acls --list prefixed", samsa("kafka-acls.sh", *args), kafka(ACLS, *args), sort=True)


def test(c):
    b = c.bootstrap
    samsa("kafka-topics.sh", "--bootstrap-server", b, "--create", "--topic", TOPIC,
          "--partitions", "3", "--replication-factor", "2", "--config", "retention.ms=86400000")
    samsa("kafka-topics.sh", "--bootstrap-server", b, "--create", "--topic", GZ,
          "--partitions", "1", "--replication-factor", "1", "--config", "compression.type=gzip")
    samsa("kafka-topics.sh", "--bootstrap-server", b, "--create", "--topic", COMPACT,
          "--partitions", "1", "--replication-factor", "1", "--config", "cleanup.policy=compact",
          "--config", "segment.bytes=16384", "--config", "min.cleanable.dirty.ratio=0.01")
    for t, n in ((TOPIC, 3), (GZ, 1), (COMPACT, 1)):
        c.wait_for_leaders(t, n)
    c.kcat("-P", "-t", TOPIC, "-K", ":", input="".join("k%d:v%d\n" % (i % 17, i) for i in range(300)))
    c.kcat("-P", "-t", GZ, "-z", "gzip", "-K", ":", "-X", "linger.ms=50",
           input="".join("k%d:gz%d\n" % (i % 5, i) for i in range(1000)))
    c.kcat("-P", "-t", COMPACT, "-p", "0", "-K", ":", "-X", "linger.ms=20", "-X", "batch.size=4096",
           input="".join("key-%d:value-%d\n" % (i % 10, i) for i in range(3000)))
    samsa("kafka-console-consumer.sh", "--bootstrap-server", b, "--topic", TOPIC, "--group", GROUP,
          "--from-beginning", "--max-messages", "300")
    transactions(c)

    # -- topics, configs, groups: Samsa's tool and Kafka's on one cluster
    compare("topics --list", samsa("kafka-topics.sh", "--bootstrap-server", b, "--list"),
            kafka(TOPIC_CMD, "--bootstrap-server", b, "--list"))
    compare("topics --describe", samsa("kafka-topics.sh", "--bootstrap-server", b, "--describe",
                                       "--topic", TOPIC),
            kafka(TOPIC_CMD, "--bootstrap-server", b, "--describe", "--topic", TOPIC))
    compare("topics --describe (all topics)", samsa("kafka-topics.sh", "--bootstrap-server", b, "--describe"),
            kafka(TOPIC_CMD, "--bootstrap-server", b, "--describe"), sort=True)
    compare("configs --describe --all topic",
            samsa("kafka-configs.sh", "--bootstrap-server", b, "--describe", "--all", "--entity-type", "topics",
                  "--entity-name", COMPACT),
            kafka(CONFIG_CMD, "--bootstrap-server", b, "--describe", "--all", "--entity-type", "topics",
                  "--entity-name", COMPACT))
    compare("configs --describe topic",
            samsa("kafka-configs.sh", "--bootstrap-server", b, "--describe", "--entity-type", "topics",
                  "--entity-name", TOPIC),
            kafka(CONFIG_CMD, "--bootstrap-server", b, "--describe", "--entity-type", "topics",
                  "--entity-name", TOPIC))
    compare("configs --describe broker",
            samsa("kafka-configs.sh", "--bootstrap-server", b, "--describe", "--entity-type", "brokers",
                  "--entity-name", "0"),
            kafka(CONFIG_CMD, "--bootstrap-server", b, "--describe", "--entity-type", "brokers",
                  "--entity-name", "0"))
    compare("consumer-groups --list", samsa("kafka-consumer-groups.sh", "--bootstrap-server", b, "--list"),
            kafka(GROUP_CMD, "--bootstrap-server", b, "--list"))
    compare("consumer-groups --describe",
            samsa("kafka-consumer-groups.sh", "--bootstrap-server", b, "--describe", "--group", GROUP),
            kafka(GROUP_CMD, "--bootstrap-server", b, "--describe", "--group", GROUP), sort=True)
    compare("consumer-groups --list --state",
            samsa("kafka-consumer-groups.sh", "--bootstrap-server", b, "--list", "--state"),
            kafka(GROUP_CMD, "--bootstrap-server", b, "--list", "--state"), sort=True, squash=True)
    compare("consumer-groups --describe --state",
            samsa("kafka-consumer-groups.sh", "--bootstrap-server", b, "--describe", "--group", GROUP,
                  "--state"),
            kafka(GROUP_CMD, "--bootstrap-server", b, "--describe", "--group", GROUP, "--state"))
    # (--members of an empty group: 2.8 prints nothing, 3.x a header.)
    live_group(c)
    console(c)
    reassign(c)
    acls(c)

    # -- GetOffsetShell: the end offsets the partitions really have
    ends = {p: len(c.read_partition(TOPIC, p)) for p in range(3)}
    out = kafka(OFFSET_SHELL, "--bootstrap-server", b, "--topic", TOPIC)
    want = "".join("%s:%d:%d\n" % (TOPIC, p, ends[p]) for p in range(3))
    check_result("GetOffsetShell latest", out == want, "%r vs %r" % (out, want))
    out = kafka(OFFSET_SHELL, "--bootstrap-server", b, "--topic", TOPIC, "--time", "-2")
    want = "".join("%s:%d:0\n" % (TOPIC, p) for p in range(3))
    check_result("GetOffsetShell earliest", out == want, "%r vs %r" % (out, want))

    # -- DumpLogSegments on Samsa's files
    deadline = time.time() + 60
    cd = part_dir(c, COMPACT)
    while not os.path.exists(os.path.join(c.brokers[0].data_dir, "cleaner-offset-checkpoint")) and \
            not os.path.exists(os.path.join(c.brokers[1].data_dir, "cleaner-offset-checkpoint")):
        if time.time() > deadline:
            fail("%s was not compacted within 60 s" % COMPACT)
        time.sleep(0.2)
    # A clean shutdown trims the active segments' preallocated indexes (as
    # Kafka's does); DumpLogSegments cannot check a zero-filled tail.
    for br in c.brokers:
        check(br.stop() == 0, "broker %d did not stop cleanly" % br.id)
    segs = files(part_dir(c, TOPIC), ".log") + files(part_dir(c, GZ), ".log") + files(cd, ".log")
    check(len(files(cd, ".log")) >= 2, "compacted topic has only %s" % files(cd, ".log"))
    for seg in segs:
        label = os.path.relpath(seg, c.root)
        theirs, err = kafka(DUMP, "--deep-iteration", "--print-data-log", "--files", seg, stderr=True)
        # Compaction leaves offset gaps, which DumpLogSegments reports as
        # non-consecutive; anything else on stderr is a finding.
        bad = [x for x in err.splitlines() if x.strip() and not x.startswith(("SLF4J", "log4j:"))
               and not (COMPACT in seg and (x.startswith("Non-consecutive offsets")
                                            or re.match(r"^  \d+ is followed by \d+$", x)))]
        bad += [x for x in theirs.splitlines() if "invalid bytes" in x]
        check_result("DumpLogSegments " + label, not bad, "; ".join(bad[:5]))
        ours = samsa("kafka-dump-log.sh", "--deep-iteration", "--print-data-log", "--files", seg)
        compare("dump " + label, ours, theirs)
        for ext in (".index", ".timeindex"):
            idx = seg[:-4] + ext
            if not os.path.exists(idx):
                continue
            theirs, err = kafka(DUMP, "--deep-iteration", "--files", idx, stderr=True)
            bad = [x for x in (theirs + err).splitlines() if not x.startswith("log4j:")
                   and re.search(r"mismatch|corrupt|Exception|error|not found|out of order", x, re.I)]
            check_result("DumpLogSegments %s" % os.path.relpath(idx, c.root), not bad, "; ".join(bad[:5]))
            ours = samsa("kafka-dump-log.sh", "--deep-iteration", "--files", idx)
            compare("dump " + os.path.relpath(idx, c.root), ours, theirs)

    # .txnindex (the aborted transaction) and .snapshot (the producer)
    td = part_dir(c, TXN)
    extra = files(td, ".txnindex") + files(td, ".snapshot")
    check(any(f.endswith(".txnindex") and os.path.getsize(f) > 0 for f in extra),
          "no aborted transaction in %s: %s" % (td, os.listdir(td)))
    check(any(f.endswith(".snapshot") for f in extra), "no producer snapshot in %s" % td)
    segs = files(td, ".log")
    for f in segs + extra:
        label = os.path.relpath(f, c.root)
        theirs, err = kafka(DUMP, "--deep-iteration", "--print-data-log", "--files", f, stderr=True)
        bad = [x for x in (theirs + err).splitlines() if not x.startswith(("SLF4J", "log4j:"))
               and re.search(r"mismatch|corrupt|Exception|error|invalid", x, re.I)]
        check_result("DumpLogSegments " + label, not bad, "; ".join(bad[:5]))
        ours = samsa("kafka-dump-log.sh", "--deep-iteration", "--print-data-log", "--files", f)
        compare("dump " + label, ours, theirs)

    bad = [name for name, ok, _ in results if not ok]
    log("%d checks, %d differ or failed" % (len(results), len(bad)))
    check(not bad, "Samsa's tools and Kafka %s's differ, or Kafka's tools found errors, in: %s"
          % (VERSION, ", ".join(bad)))


def main():
    global CP
    javautil.require_tools()
    t0 = time.monotonic()
    work = tempfile.mkdtemp(prefix="samsa-java-cli-")
    try:
        CP = javautil.resolve(VERSION, work, profile="cli", what="kafka_2.13/kafka-tools")
        if CP is None:
            sys.exit(0)
        harness.main(test, brokers=2, name=NAME, broker_props={"log.cleaner.backoff.ms": "100"})
    finally:
        shutil.rmtree(work, ignore_errors=True)
        print("==== %d comparisons in %.0fs" % (len(results), time.monotonic() - t0))


if __name__ == "__main__":
    main()
