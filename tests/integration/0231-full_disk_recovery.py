#!/usr/bin/python3
"""Proves a full disk heals without a restart: the broker's only log dir is a 16 MiB tmpfs; after acknowledged appends a filler file takes every free byte, then acks=1 and acks=all producers are refused with KAFKA_STORAGE_ERROR while the broker stays up, keeps its leadership, still serves reads and reports the dir in DescribeLogDirs with no error; checkpoints written meanwhile fail without damaging the old files. A producer that keeps retrying through the full period is delivered once the filler is removed, with no restart, and later producers append at the next offsets. Every acknowledged record is then read back exactly once, in order, no refused record is stored, kafka-dump-log.sh --deep-iteration finds every batch valid and no torn bytes, and after a kill -9 the recovery truncates nothing."""
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402

TOPIC = "healing"
VALUE = "v" * 1000
mounts = []


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", path], check=True)
    mounts.append(path)


def fill(path):
    """Writes path until the file system has no byte left; returns its size."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    chunk, total = b"\0" * (1 << 20), 0
    try:
        while True:
            try:
                n = os.write(fd, chunk)
            except OSError as e:
                check(e.errno == 28, "filler write failed with %s, not ENOSPC" % e)
                break
            total += n
    finally:
        os.close(fd)
    return total


def producer(c, acks, retries, timeout_ms=30000):
    from confluent_kafka import Producer
    conf = {"bootstrap.servers": c.bootstrap, "acks": acks, "enable.idempotence": False,
            "linger.ms": 5, "message.timeout.ms": timeout_ms, "retry.backoff.ms": 200}
    if retries is not None:
        conf["retries"] = retries
    return Producer(conf)


def value(prefix, i):
    return "%s-%06d-%s" % (prefix, i, VALUE)


def produce(c, prefix, n, acks, retries=0, batch=50, stop_on_error=True):
    """Returns ([(offset, value)], [(error name, value)])."""
    prod = producer(c, acks, retries)
    acked, errors = [], []

    def dr(err, msg):
        if err is None:
            acked.append((msg.offset(), msg.value().decode()))
        else:
            errors.append((err.name(), msg.value().decode()))
    for start in range(0, n, batch):
        for i in range(start, min(n, start + batch)):
            prod.produce(TOPIC, value=value(prefix, i).encode(), partition=0, on_delivery=dr)
        check(prod.flush(60) == 0, "%s: messages still in flight after the flush" % prefix)
        if errors and stop_on_error:
            break
    return acked, errors


def log_dirs(c, b):
    env = dict(os.environ, SAMSA_BUILD_DIR=harness.BUILD)
    out = harness.run([os.path.join(harness.BIN, "kafka-log-dirs.sh"), "--describe",
                       "--bootstrap-server", c.bootstrap, "--topic-list", TOPIC],
                      env=env).stdout.decode().splitlines()
    doc = json.loads(out[2])
    return {d["logDir"]: d for d in doc["brokers"][0]["logDirs"]}


def dump_segments(pdir):
    """--deep-iteration over every segment: (batches seen, problems)."""
    env = dict(os.environ, SAMSA_BUILD_DIR=harness.BUILD)
    tool = os.path.join(harness.BIN, "kafka-dump-log.sh")
    segs = sorted(os.path.join(pdir, f) for f in os.listdir(pdir) if f.endswith(".log"))
    batches, problems = 0, []
    for seg in segs:
        out = harness.run([tool, "--files", seg, "--deep-iteration"], env=env).stdout.decode()
        batches += len(re.findall(r"isvalid: true", out))
        problems += re.findall(r"^.*(?:isvalid: false|invalid bytes).*$", out, re.M)
    return len(segs), batches, problems


def test(c):
    b = c.brokers[0]
    data = b.data_dir
    pdir = os.path.join(data, "%s-0" % TOPIC)
    c.create_topic(TOPIC, extra=["--config", "segment.bytes=262144"])
    c.wait_for_leaders(TOPIC, 1)

    acked, errs = produce(c, "before", 300, "all")
    check(not errs and len(acked) == 300, "before the filler: %d acked, errors %r" % (
        len(acked), errs[:2]))

    filler = os.path.join(data, "filler")
    log("filler took %d bytes" % fill(filler))

    # Producers without retries are refused once the last free bytes are gone.
    refused = []
    for acks in ("1", "all"):
        got, errs = produce(c, "full-acks%s" % acks, 5000, acks)
        acked += got
        refused += [v for _e, v in errs]
        log("acks=%s: %d acknowledged after the filler, then %r" % (
            acks, len(got), sorted(set(e for e, _v in errs))))
        check(errs, "acks=%s: 5000 records of 1 KiB fitted on a full 16 MiB disk" % acks)
        check(set(e for e, _v in errs) == {"KAFKA_STORAGE_ERROR"},
              "acks=%s refused with %r" % (acks, sorted(set(e for e, _v in errs))))
    text = b.log_text()
    check("No space left on device" in text, "no ENOSPC line in server.log")
    check(re.search(r"WARN Log dir %s is full: appends to partitions %s-0" % (re.escape(data), TOPIC),
                    text), "no line says the dir is full")
    check("offline" not in text, "something went offline:\n%s" % "\n".join(
        line for line in text.splitlines() if "offline" in line))
    check(b.alive(), "the broker died with its only log dir full")

    # While full: leadership stays, reads work, DescribeLogDirs has no error,
    # and checkpoint writes fail without touching the old files.
    c.wait_for_leaders(TOPIC, 1)
    ld = log_dirs(c, b)
    check(ld[data]["error"] is None, "DescribeLogDirs while full: %r" % ld[data])
    recs = c.read_partition(TOPIC, 0)
    check(len(recs) == len(acked), "read %d records while full, %d acknowledged" % (
        len(recs), len(acked)))
    wait_until(lambda: "Error while writing to checkpoint file" in b.log_text(), 30,
               "a checkpoint write failing on the full disk")

    # A producer that retries through the full period.
    pending = producer(c, "all", None, timeout_ms=300000)
    retried = []

    def dr(err, msg):
        retried.append((err.name() if err else None, msg.offset(), msg.value().decode()))
    for i in range(100):
        pending.produce(TOPIC, value=value("retried", i).encode(), partition=0, on_delivery=dr)
    # The disk cannot take them: they are still waiting (retrying) after a while.
    check(pending.flush(3) == 100 and not retried, "records went through a full disk: %r" % (
        retried[:3],))

    os.unlink(filler)
    wait_until(lambda: re.search(r"INFO Log dir %s has space again" % re.escape(data),
                                 b.log_text()), 30, "the probe finding space again")
    check(pending.flush(120) == 0, "retried records still undelivered after the space came back")
    check(len(retried) == 100 and all(e is None for e, _o, _v in retried),
          "retried records: %r" % sorted(set(e for e, _o, _v in retried)))
    acked += [(o, v) for _e, o, v in retried]
    log("100 retried records delivered once space returned, offsets %d..%d" % (
        retried[0][1], retried[-1][1]))

    for acks in ("1", "all"):
        got, errs = produce(c, "after-acks%s" % acks, 200, acks)
        check(not errs and len(got) == 200, "after: acks=%s %d acked, errors %r" % (
            acks, len(got), errs[:2]))
        acked += got

    def verify(when):
        recs = c.read_partition(TOPIC, 0)
        offsets = [o for _k, _v, o in recs]
        check(offsets == list(range(len(recs))), "%s: offsets not contiguous" % when)
        by_offset = {o: v.decode() for _k, v, o in recs}
        for off, v in acked:
            check(by_offset.get(off) == v, "%s: acknowledged offset %d lost or changed" % (when, off))
        values = [v.decode() for _k, v, _o in recs]
        check(len(set(values)) == len(values), "%s: a record is stored twice" % when)
        check(len(values) == len(acked), "%s: %d records stored, %d acknowledged" % (
            when, len(values), len(acked)))
        stored = set(values)
        check(not [v for v in refused if v in stored], "%s: a refused record was stored" % when)
        last = {}
        for v in values:  # each producer's records in the order it sent them
            m = re.match(r"^(.*)-(\d{6})-v", v)
            check(m, "%s: unexpected record %r" % (when, v[:40]))
            prefix, seq = m.group(1), int(m.group(2))
            check(seq > last.get(prefix, -1), "%s: %s out of order" % (when, v[:30]))
            last[prefix] = seq
        nsegs, batches, problems = dump_segments(pdir)
        check(not problems, "%s: kafka-dump-log.sh found %r" % (when, problems[:3]))
        check(batches > 0 and nsegs > 1, "%s: %d segments, %d batches" % (when, nsegs, batches))
        log("%s: %d records read back exactly once and in order; %d segments, %d valid batches"
            % (when, len(values), nsegs, batches))
        return len(values)

    end = verify("without a restart")
    check(not os.path.exists(os.path.join(data, ".log-dir-space-probe")), "probe file left behind")

    # A crash now: recovery finds every batch whole and truncates nothing.
    b.kill9()
    before = len(b.log_text())
    zk = c.kazoo()
    wait_until(lambda: not zk.exists("/brokers/ids/0"), 30, "the killed broker's session to expire")
    zk.stop()
    b.start()
    c.wait_for_leaders(TOPIC, 1)
    restart_log = b.log_text()[before:]
    for bad in ("Corruption found", "Error while reading checkpoint file", "truncat"):
        check(bad not in restart_log, "recovery after the crash logged %r:\n%s" % (bad, "\n".join(
            line for line in restart_log.splitlines() if bad in line)))
    check(verify("after a kill -9 and recovery") == end, "the log end moved in recovery")
    got, errs = produce(c, "restarted", 10, "all")
    check(not errs and [o for o, _v in got] == list(range(end, end + 10)),
          "appends after the restart went to %r (errors %r)" % ([o for o, _v in got], errs[:2]))


def _main():
    if os.geteuid() != 0:
        print("FAIL: this test mounts a tmpfs and must run as root (CI does)", flush=True)
        sys.exit(1)
    orig = harness.Broker.__init__

    def init(self, cluster, broker_id, overrides, tag=None):
        orig(self, cluster, broker_id, overrides, tag)
        mount_tmpfs(self.data_dir, "16m")
        # checkpoints are written while the disk is full
        self.props["log.flush.offset.checkpoint.interval.ms"] = "500"
        self.props["replica.high.watermark.checkpoint.interval.ms"] = "500"
        self.write_props()
    harness.Broker.__init__ = init
    passed = False
    try:
        harness.main(test, brokers=1, broker_props={"zookeeper.session.timeout.ms": 4000})
    except SystemExit as e:
        passed = e.code in (0, None)
        raise
    finally:
        for m in mounts:
            subprocess.run(["umount", "-l", m], check=False)
            if passed and not os.environ.get("SM_KEEP_TMP"):   # as the harness keeps it
                shutil.rmtree(os.path.dirname(os.path.dirname(m)), ignore_errors=True)


if __name__ == "__main__":
    _main()
