#!/usr/bin/python3
"""Proves retention by bytes and by time deletes whole old segments (renamed *.deleted, then removed) and advances the checkpointed log start offset, kafka-delete-records.sh advances it too with Kafka's output, and kafka-dump-log.sh / kafka-log-dirs.sh print Kafka's formats for a known log."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402


def segs(c, topic):
    d = os.path.join(c.brokers[0].data_dir, topic + "-0")
    return sorted(f for f in os.listdir(d) if f.endswith(".log"))


def deleted_files(c, topic):
    d = os.path.join(c.brokers[0].data_dir, topic + "-0")
    return [f for f in os.listdir(d) if f.endswith(".deleted")]


def produce(c, topic, n, prefix):
    lines = "".join("%s-%04d-%s\n" % (prefix, i, "x" * 60) for i in range(n))
    c.kcat("-P", "-t", topic, "-p", "0", "-z", "none", "-X", "batch.num.messages=1",
           "-X", "linger.ms=0", input=lines.encode())


def start_checkpoint(c, topic):
    path = os.path.join(c.brokers[0].data_dir, "log-start-offset-checkpoint")
    try:
        with open(path) as f:
            for line in f.read().splitlines()[2:]:
                t, p, off = line.split()
                if t == topic and p == "0":
                    return int(off)
    except OSError:
        pass
    return None


def retention_bytes(c):
    c.create_topic("rb", extra=["--config", "segment.bytes=1000", "--config",
                                "retention.bytes=2500", "--config", "file.delete.delay.ms=300"])
    produce(c, "rb", 60, "rb")
    # segments hold about 10 records each; retention keeps about 2.5 segments
    wait_until(lambda: len(segs(c, "rb")) <= 4, 20, "retention.bytes to delete segments")
    first = int(segs(c, "rb")[0].split(".")[0])
    check(first > 0, "first segment still at 0")
    recs = c.read_partition("rb", 0)
    check(recs[0][2] == first, "first readable offset %d, first segment %d" % (recs[0][2], first))
    check(recs[-1][2] == 59, "last offset %d" % recs[-1][2])
    # as Kafka: a log start equal to the first segment's base is not checkpointed
    check(start_checkpoint(c, "rb") is None, "rb-0 listed in log-start-offset-checkpoint")
    wait_until(lambda: not deleted_files(c, "rb"), 20, ".deleted files to be removed")
    log("retention.bytes: log starts at %d, %d segments" % (first, len(segs(c, "rb"))))


def retention_time(c):
    c.create_topic("rt", extra=["--config", "segment.bytes=1000", "--config",
                                "retention.ms=1500", "--config", "file.delete.delay.ms=300"])
    produce(c, "rt", 30, "rt")
    # everything expires: even the active segment is rolled and deleted
    wait_until(lambda: segs(c, "rt") == ["%020d.log" % 30], 30,
               "retention.ms to delete every segment (have %s)" % segs(c, "rt"))
    check(c.read_partition("rt", 0) == [], "expired records still readable")
    produce(c, "rt", 1, "later")
    recs = c.read_partition("rt", 0)
    check([r[2] for r in recs] == [30], "append after retention got offsets %r" % recs)
    log("retention.ms: every old segment deleted, appends continue at 30")


def delete_records(c):
    c.create_topic("dr", extra=["--config", "segment.bytes=1000"])
    produce(c, "dr", 40, "dr")
    path = os.path.join(c.root, "offsets.json")
    with open(path, "w") as f:
        json.dump({"partitions": [{"topic": "dr", "partition": 0, "offset": 25},
                                  {"topic": "dr", "partition": 7, "offset": 1}],
                   "version": 1}, f)
    p = harness.run([os.path.join(harness.BIN, "kafka-delete-records.sh"), "--bootstrap-server",
                     c.bootstrap, "--offset-json-file", path],
                    env=dict(os.environ, SAMSA_BUILD_DIR=harness.BUILD))
    out = p.stdout.decode()
    want = ("Executing records delete operation\nRecords delete operation completed:\n"
            "partition: dr-0\tlow_watermark: 25\n"
            "partition: dr-7\terror: This server does not host this topic-partition.\n")
    check(out == want, "kafka-delete-records.sh printed %r" % out)
    recs = c.read_partition("dr", 0)
    check([r[2] for r in recs] == list(range(25, 40)), "after DeleteRecords read %r"
          % [r[2] for r in recs])
    check(int(segs(c, "dr")[0].split(".")[0]) > 0, "no segment below 25 was deleted")
    wait_until(lambda: start_checkpoint(c, "dr") == 25, 20, "checkpointed log start 25")
    with open(path, "w") as f:
        json.dump({"partitions": [{"topic": "dr", "partition": 0, "offset": 41}],
                   "version": 1}, f)
    p = harness.run([os.path.join(harness.BIN, "kafka-delete-records.sh"), "--bootstrap-server",
                     c.bootstrap, "--offset-json-file", path],
                    env=dict(os.environ, SAMSA_BUILD_DIR=harness.BUILD))
    check("partition: dr-0\terror: The requested offset is not within the range of offsets "
          "maintained by the server." in p.stdout.decode(), "beyond HW: %r" % p.stdout)
    log("kafka-delete-records.sh: log start 25")


def dump_log(c):
    c.create_topic("dl")
    c.kcat("-P", "-t", "dl", "-p", "0", "-K:", "-z", "none", input=b"k1:hello\nk2:world\n")
    seg = os.path.join(c.brokers[0].data_dir, "dl-0", "%020d.log" % 0)
    env = dict(os.environ, SAMSA_BUILD_DIR=harness.BUILD)
    tool = os.path.join(harness.BIN, "kafka-dump-log.sh")
    out = harness.run([tool, "--files", seg, "--print-data-log"], env=env).stdout.decode()
    lines = out.splitlines()
    check(lines[0] == "Dumping " + seg and lines[1] == "Starting offset: 0", "header %r" % lines[:2])
    batch = re.compile(r"^baseOffset: (\d+) lastOffset: (\d+) count: (\d+) baseSequence: -?\d+ "
                       r"lastSequence: -?\d+ producerId: -?\d+ producerEpoch: -?\d+ "
                       r"partitionLeaderEpoch: \d+ isTransactional: false isControl: false "
                       r"position: (\d+) CreateTime: \d+ size: (\d+) magic: 2 "
                       r"compresscodec: NONE crc: \d+ isvalid: true$")
    # Kafka 2.8 repeats the batch's fields on every record line.
    rec = re.compile(r"^\| offset: (\d+) isValid: true crc: null keySize: 2 valueSize: 5 CreateTime: \d+ "
                     r"baseOffset: \d+ lastOffset: \d+ baseSequence: -?\d+ lastSequence: -?\d+ "
                     r"producerEpoch: -?\d+ partitionLeaderEpoch: \d+ batchSize: \d+ magic: 2 "
                     r"compressType: NONE position: \d+ sequence: -?\d+ "
                     r"headerKeys: \[\] key: (k\d) payload: (\w+)$")
    batches = [m for m in map(batch.match, lines) if m]
    records = [m.groups() for m in map(rec.match, lines) if m]
    check(batches and batches[0].group(4) == "0", "no batch line at position 0: %r" % lines)
    check(sum(int(b.group(3)) for b in batches) == 2, "batch counts: %r" % lines)
    check(records == [("0", "k1", "hello"), ("1", "k2", "world")], "record lines: %r" % lines)
    check(len(lines) == 2 + len(batches) + 2, "unexpected lines: %r" % lines)
    idx = seg[:-4] + ".index"
    out = harness.run([tool, "--files", idx, "--index-sanity-check"], env=env).stdout.decode()
    check(out == "Dumping %s\n%s passed sanity check.\n" % (idx, idx), "sanity: %r" % out)
    log("kafka-dump-log.sh: %d batch lines, record lines exact" % len(batches))
    c.create_topic("dlz")
    c.kcat("-P", "-t", "dlz", "-p", "0", "-z", "gzip", "-X", "linger.ms=100",
           input=b"".join(b"zipped-%d\n" % i for i in range(20)))
    seg = os.path.join(c.brokers[0].data_dir, "dlz-0", "%020d.log" % 0)
    out = harness.run([tool, "--files", seg, "--deep-iteration"], env=env).stdout.decode()
    check("compresscodec: GZIP" in out and "isvalid: true" in out, "gzip batch: %r" % out)
    offs = re.findall(r"^\| offset: (\d+) isValid: true crc: null keySize: -1 valueSize: \d+ CreateTime: \d+ "
                      r".* compressType: GZIP ", out, re.M)
    check(offs == [str(i) for i in range(20)], "deep iteration of gzip batches: %r" % out)
    check(" payload: " not in out, "--deep-iteration alone printed payloads")


def log_dirs(c):
    env = dict(os.environ, SAMSA_BUILD_DIR=harness.BUILD)
    out = harness.run([os.path.join(harness.BIN, "kafka-log-dirs.sh"), "--describe",
                       "--bootstrap-server", c.bootstrap, "--topic-list", "dl,dr"],
                      env=env).stdout.decode().splitlines()
    check(out[0] == "Querying brokers for log directories information", "line 1 %r" % out)
    check(out[1] == "Received log directory information from brokers 0", "line 2 %r" % out)
    doc = json.loads(out[2])
    check(list(doc) == ["version", "brokers"] and doc["version"] == 1, "json %r" % out[2])
    b = doc["brokers"][0]
    check(b["broker"] == 0 and len(b["logDirs"]) == 1, "brokers %r" % b)
    d = b["logDirs"][0]
    check(d["logDir"] == c.brokers[0].data_dir and d["error"] is None, "dir %r" % d)
    parts = {p["partition"]: p for p in d["partitions"]}
    check(sorted(parts) == ["dl-0", "dr-0"], "partitions %r" % sorted(parts))
    size = sum(os.path.getsize(os.path.join(c.brokers[0].data_dir, "dl-0", f))
               for f in os.listdir(os.path.join(c.brokers[0].data_dir, "dl-0"))
               if f.endswith(".log"))
    check(parts["dl-0"] == {"partition": "dl-0", "size": size, "offsetLag": 0,
                            "isFuture": False}, "dl-0 %r (size on disk %d)" % (parts["dl-0"], size))
    log("kafka-log-dirs.sh: %s" % out[2])


def test(c):
    retention_bytes(c)
    retention_time(c)
    delete_records(c)
    dump_log(c)
    log_dirs(c)


if __name__ == "__main__":
    harness.main(test, brokers=1, broker_props={"log.retention.check.interval.ms": 300,
                                                "log.flush.offset.checkpoint.interval.ms": 500})
