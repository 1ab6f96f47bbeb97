#!/usr/bin/python3
"""Captures real request and response frames for the fuzz seed corpus.

Starts ZooKeeper and two brokers through tests/integration/harness.py with
SM_REQUEST_CAPTURE_DIR set (the brokers then write the first frame of every
API, version and client id they receive, and their in-memory answer), runs
kcat (modern and legacy protocol, every codec, a consumer group),
confluent-kafka, kafka-python and the bin/ tools against them, and copies
the frames to CORPUS/request/cap-* and CORPUS/response/cap-*. The brokers'
inter-broker traffic (LeaderAndIsr, UpdateMetadata, StopReplica, replica
Fetch, OffsetForLeaderEpoch, ControlledShutdown) is captured too. The first
record batches of each partition's log go to CORPUS/records/cap-*.

Usage: capture_frames.py CORPUS_DIR   (run by `make fuzz-corpus`)
Each client step is best effort: one that fails is reported and skipped,
the frames it sent are still kept.
"""
import glob
import os
import re
import shutil
import struct
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import harness  # noqa: E402
from harness import log  # noqa: E402

CORPUS = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
CAPTURE = tempfile.mkdtemp(prefix="sm-capture-")
os.environ["SM_REQUEST_CAPTURE_DIR"] = CAPTURE
MAX_FRAME = 16384     # larger frames (big produce/fetch) add size, not paths
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


def step(what, fn):
    try:
        fn()
        log("captured: %s" % what)
    except Exception as e:  # noqa: BLE001 - best effort, see the docstring
        log("step failed (kept going): %s: %s" % (what, e))


def bin_tool(c, name, *args, timeout=60):
    return harness.run([os.path.join(harness.BIN, name)] + list(args), timeout=timeout,
                       check_rc=False, what=name)


def kcat_steps(c):
    c.create_topic("cap", partitions=2, rf=2, via="bootstrap")
    lines = "\n".join("k%d:v%d" % (i, i) for i in range(5)) + "\n"
    for codec in CODECS:
        step("kcat produce %s" % codec, lambda codec=codec: c.kcat(
            "-P", "-t", "cap", "-K:", "-z", codec, input=lines.encode()))
    step("kcat consume", lambda: c.kcat("-C", "-t", "cap", "-o", "beginning", "-e", "-q"))
    step("kcat metadata", lambda: c.kcat("-L"))
    for fallback in ("0.9.0", "0.10.0", "0.11.0"):
        extra = ["-X", "api.version.request=false", "-X", "broker.version.fallback=" + fallback]
        step("kcat legacy produce %s" % fallback, lambda extra=extra: c.kcat(
            "-P", "-t", "cap", "-p", "0", "-K:", "-z", "gzip", *extra, input=lines.encode()))
        step("kcat legacy consume %s" % fallback, lambda extra=extra: c.kcat(
            "-C", "-t", "cap", "-p", "0", "-o", "beginning", "-e", "-q", *extra))
    step("kcat group", lambda: c.kcat("-G", "capgroup", "cap", "-o", "beginning", "-e", "-q",
                                      "-X", "enable.auto.commit=true", timeout=60))


def confluent_steps(c):
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic
    conf = {"bootstrap.servers": c.bootstrap}

    def produce():
        p = Producer(dict(conf, **{"compression.type": "lz4", "acks": "all"}))
        for i in range(5):
            p.produce("cap", key=b"ck%d" % i, value=b"cv%d" % i, headers=[("h", b"v")])
        p.flush(30)

    def consume():
        cons = Consumer(dict(conf, **{"group.id": "cgroup", "auto.offset.reset": "earliest"}))
        cons.subscribe(["cap"])
        got = 0
        for _ in range(60):
            m = cons.poll(0.5)
            if m is not None and not m.error():
                got += 1
                if got >= 3:
                    break
        cons.commit(asynchronous=False)
        cons.committed([TopicPartition("cap", 0)], timeout=10)
        cons.get_watermark_offsets(TopicPartition("cap", 0), timeout=10)
        cons.offsets_for_times([TopicPartition("cap", 0, 0)], timeout=10)
        cons.close()

    def admin():
        a = AdminClient(conf)
        for f in a.create_topics([NewTopic("cap-admin", 1, 1, config={"retention.ms": "100000"})],
                                 validate_only=False).values():
            f.result(30)
        for f in a.create_partitions([NewPartitions("cap-admin", 2)]).values():
            f.result(30)
        for f in a.describe_configs([ConfigResource("topic", "cap"),
                                     ConfigResource("broker", "0")]).values():
            f.result(30)
        for f in a.alter_configs([ConfigResource("topic", "cap-admin",
                                                 set_config={"retention.ms": "200000"})]).values():
            f.result(30)
        a.list_groups(timeout=10)
        for f in a.delete_topics(["cap-admin"]).values():
            f.result(30)
    step("confluent-kafka produce", produce)
    step("confluent-kafka consume", consume)
    step("confluent-kafka admin", admin)


def kafka_python_steps(c):
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
    from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

    def produce(codec):
        p = KafkaProducer(bootstrap_servers=c.bootstrap, compression_type=codec)
        for i in range(3):
            p.send("cap", key=b"pk%d" % i, value=b"pv%d" % i)
        p.flush(30)
        p.close()

    def consume():
        cons = KafkaConsumer("cap", bootstrap_servers=c.bootstrap, group_id="pgroup",
                             auto_offset_reset="earliest", consumer_timeout_ms=5000)
        for i, _ in enumerate(cons):
            if i >= 3:
                break
        cons.commit()
        cons.close()

    def admin():
        a = KafkaAdminClient(bootstrap_servers=c.bootstrap)
        a.create_topics([NewTopic("cap-py", 1, 1)])
        a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "cap")])
        a.list_consumer_groups()
        a.describe_consumer_groups(["pgroup"])
        a.list_consumer_group_offsets("pgroup")
        a.delete_consumer_groups(["pgroup"])
        a.describe_cluster()
        a.delete_topics(["cap-py"])
        a.close()
    for codec in (None, "gzip", "lz4"):
        step("kafka-python produce %s" % codec, lambda codec=codec: produce(codec))
    step("kafka-python consume", consume)
    step("kafka-python admin", admin)


def tool_steps(c):
    bs = ["--bootstrap-server", c.bootstrap]
    step("kafka-topics", lambda: (bin_tool(c, "kafka-topics.sh", *bs, "--describe"),
                                  bin_tool(c, "kafka-topics.sh", *bs, "--list")))
    step("kafka-configs", lambda: bin_tool(c, "kafka-configs.sh", *bs, "--describe",
                                           "--entity-type", "topics", "--entity-name", "cap"))
    step("kafka-configs alter", lambda: (
        bin_tool(c, "kafka-configs.sh", *bs, "--alter", "--entity-type", "topics",
                 "--entity-name", "cap", "--add-config", "retention.ms=300000"),
        bin_tool(c, "kafka-configs.sh", *bs, "--alter", "--entity-type", "topics",
                 "--entity-name", "cap", "--delete-config", "retention.ms")))
    step("kafka-consumer-groups", lambda: (
        bin_tool(c, "kafka-consumer-groups.sh", *bs, "--list"),
        bin_tool(c, "kafka-consumer-groups.sh", *bs, "--describe", "--group", "cgroup"),
        bin_tool(c, "kafka-consumer-groups.sh", *bs, "--delete-offsets", "--group", "cgroup",
                 "--topic", "cap")))
    step("kafka-log-dirs", lambda: bin_tool(c, "kafka-log-dirs.sh", *bs, "--describe"))
    offsets = CAPTURE + "-offsets.json"
    with open(offsets, "w") as f:
        f.write('{"version":1,"partitions":[{"topic":"cap","partition":1,"offset":1}]}')
    step("kafka-delete-records", lambda: bin_tool(c, "kafka-delete-records.sh", *bs,
                                                  "--offset-json-file", offsets))
    step("kafka-leader-election", lambda: bin_tool(c, "kafka-leader-election.sh", *bs,
                                                   "--election-type", "preferred",
                                                   "--all-topic-partitions"))
    step("kafka-reassign-partitions", lambda: bin_tool(c, "kafka-reassign-partitions.sh", *bs,
                                                       "--list"))


def test(c):
    # A regeneration replaces every earlier capture.
    for old in glob.glob(os.path.join(CORPUS, "*", "cap-*")):
        os.unlink(old)
    kcat_steps(c)
    confluent_steps(c)
    kafka_python_steps(c)
    tool_steps(c)
    # Log batches as stored (after the leader's stamping).
    os.makedirs(os.path.join(CORPUS, "records"), exist_ok=True)
    for b in c.brokers:
        for seg in sorted(glob.glob(os.path.join(b.data_dir, "cap-*", "*.log"))):
            data = open(seg, "rb").read()
            if len(data) < 12:
                continue
            first = 12 + struct.unpack(">i", data[8:12])[0]
            part = os.path.basename(os.path.dirname(seg))
            name = "cap-b%d-%s" % (b.id, part)
            with open(os.path.join(CORPUS, "records", name + "-batch"), "wb") as f:
                f.write(b"\x20" + data[:first])    # validate + iterate, zstd allowed
            with open(os.path.join(CORPUS, "records", name + "-log"), "wb") as f:
                f.write(b"\x03" + data[:MAX_FRAME])


def collect():
    """One frame per API, version and client (client ids that differ only
    by a trailing instance number, producer-1 / producer-2, count once)."""
    n = 0
    seen = set()
    for path in sorted(glob.glob(os.path.join(CAPTURE, "*"))):
        name = os.path.basename(path)
        kind, rest = name.split("-", 1)
        rest = re.sub(r"-[0-9]+$", "", rest)
        if (kind, rest) in seen or os.path.getsize(path) > MAX_FRAME:
            continue
        seen.add((kind, rest))
        dest = os.path.join(CORPUS, "request" if kind == "req" else "response")
        os.makedirs(dest, exist_ok=True)
        shutil.copyfile(path, os.path.join(dest, "cap-" + rest))
        n += 1
    log("%d frames copied to %s" % (n, CORPUS))


if __name__ == "__main__":
    try:
        harness.main(test, brokers=2, name="fuzz-capture")
    except SystemExit as e:
        collect()
        shutil.rmtree(CAPTURE, ignore_errors=True)
        if os.path.exists(CAPTURE + "-offsets.json"):
            os.unlink(CAPTURE + "-offsets.json")
        raise
