#!/usr/bin/python3
"""Proves a follower whose log dir fills up waits instead of failing: with each broker's log dir on a 16 MiB tmpfs and a filler file taking every free byte of the follower's, the leader keeps taking acks=1 appends, the follower's dir becomes "full" (not offline: no log_dir_event_notification, leadership and the replica assignment unchanged) and its fetcher backs off; once the filler is removed the follower catches up without a restart to a byte-identical copy whose batches kafka-dump-log.sh --deep-iteration finds valid, and after the leader stops the follower leads with every acknowledged record."""
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402
from ctlutil import state  # noqa: E402

TOPIC = "mirror"
VALUE = "m" * 1000
mounts = []


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", path], check=True)
    mounts.append(path)


def fill(path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    chunk = b"\0" * (1 << 20)
    try:
        while True:
            try:
                os.write(fd, chunk)
            except OSError as e:
                check(e.errno == 28, "filler write failed with %s, not ENOSPC" % e)
                return
    finally:
        os.close(fd)


def produce(c, prefix, n, acks):
    from confluent_kafka import Producer
    prod = Producer({"bootstrap.servers": c.bootstrap, "acks": acks, "retries": 0,
                     "enable.idempotence": False, "linger.ms": 5, "message.timeout.ms": 30000,
                     "batch.size": 100000})  # batches below segment.bytes
    acked, errors = [], []

    def dr(err, msg):
        if err is None:
            acked.append((msg.offset(), msg.value().decode()))
        else:
            errors.append(err.name())
    for i in range(n):
        prod.produce(TOPIC, value=("%s-%06d-%s" % (prefix, i, VALUE)).encode(), partition=0,
                     on_delivery=dr)
    check(prod.flush(60) == 0, "%s: messages still in flight" % prefix)
    check(not errors and len(acked) == n, "%s (acks=%s): %d acked, errors %r" % (
        prefix, acks, len(acked), sorted(set(errors))))
    return acked


def partition_sizes(c):
    env = dict(os.environ, SAMSA_BUILD_DIR=harness.BUILD)
    out = harness.run([os.path.join(harness.BIN, "kafka-log-dirs.sh"), "--describe",
                       "--bootstrap-server", c.bootstrap, "--broker-list", "0,1",
                       "--topic-list", TOPIC], env=env).stdout.decode().splitlines()
    sizes = {}
    for b in json.loads(out[2])["brokers"]:
        for d in b["logDirs"]:
            check(d["error"] is None, "broker %d dir %s: %r" % (b["broker"], d["logDir"], d["error"]))
            for p in d["partitions"]:
                sizes[b["broker"]] = p["size"]
    return sizes


def test(c):
    b0, b1 = c.brokers
    zk = c.kazoo()
    c.topics("--zookeeper", c.zk_connect, "--create", "--topic", TOPIC, "--replica-assignment",
             "0:1", "--config", "segment.bytes=262144")
    c.wait_for_leaders(TOPIC, 1)
    wait_until(lambda: sorted(state(zk, TOPIC, 0)["isr"]) == [0, 1], 30, "both replicas in the ISR")
    acked = produce(c, "before", 200, "all")

    filler = os.path.join(b1.data_dir, "filler")
    fill(filler)
    acked += produce(c, "during", 300, "1")
    wait_until(lambda: re.search(r"WARN Log dir %s is full: appends to partitions %s-0" % (
        re.escape(b1.data_dir), TOPIC), b1.log_text()), 30, "the follower's dir becoming full")
    check("Follower append to %s-0" % TOPIC in b1.log_text(), "no failed follower append logged")
    check("offline" not in b1.log_text(), "the follower took something offline")
    check(b1.alive(), "the follower died with its only log dir full")
    st = state(zk, TOPIC, 0)
    check(st["leader"] == 0, "leadership moved while the follower's disk was full: %r" % st)
    events = zk.get_children("/log_dir_event_notification") if zk.exists(
        "/log_dir_event_notification") else []
    check(not events, "log dir event notifications written: %r" % events)
    sizes = partition_sizes(c)
    check(sizes[1] < sizes[0], "the follower kept up on a full disk: %r" % sizes)

    os.unlink(filler)
    wait_until(lambda: re.search(r"INFO Log dir %s has space again" % re.escape(b1.data_dir),
                                 b1.log_text()), 30, "the follower's probe finding space")
    wait_until(lambda: len(set(partition_sizes(c).values())) == 1, 60,
               "the follower catching up to the leader's size")
    wait_until(lambda: sorted(state(zk, TOPIC, 0)["isr"]) == [0, 1], 60,
               "the follower back in (or still in) the ISR")
    acked += produce(c, "after", 100, "all")
    wait_until(lambda: len(set(partition_sizes(c).values())) == 1, 60,
               "the follower copying the last appends")

    # The follower's copy: same bytes as the leader's, every batch valid.
    env = dict(os.environ, SAMSA_BUILD_DIR=harness.BUILD)
    tool = os.path.join(harness.BIN, "kafka-dump-log.sh")
    for b in (b0, b1):
        pdir = os.path.join(b.data_dir, "%s-0" % TOPIC)
        segs = sorted(f for f in os.listdir(pdir) if f.endswith(".log"))
        out = "".join(harness.run([tool, "--files", os.path.join(pdir, s), "--deep-iteration"],
                                  env=env).stdout.decode() for s in segs)
        check("isvalid: false" not in out and "invalid bytes" not in out,
              "broker %d: kafka-dump-log.sh found a bad batch" % b.id)
        offs = [int(o) for o in re.findall(r"^\| offset: (\d+) ", out, re.M)]
        check(offs == list(range(len(acked))), "broker %d holds offsets %s..%s (%d), %d acked" % (
            b.id, offs[:1], offs[-1:], len(offs), len(acked)))
    log("follower holds all %d records, every batch valid" % len(acked))

    # With the leader gone, the follower leads with every acknowledged record.
    check(b0.stop() == 0, "clean shutdown of the leader")
    wait_until(lambda: state(zk, TOPIC, 0)["leader"] == 1, 60, "the follower taking over")
    recs = c.read_partition(TOPIC, 0)
    by_offset = {o: v.decode() for _k, v, o in recs}
    check(len(recs) == len(acked), "new leader has %d records, %d acked" % (len(recs), len(acked)))
    for off, v in acked:
        check(by_offset.get(off) == v, "acknowledged offset %d lost on the follower" % off)
    log("broker 1 leads with all %d acknowledged records" % len(acked))
    zk.stop()


def _main():
    if os.geteuid() != 0:
        print("FAIL: this test mounts a tmpfs and must run as root (CI does)", flush=True)
        sys.exit(1)
    orig = harness.Broker.__init__

    def init(self, cluster, broker_id, overrides, tag=None):
        orig(self, cluster, broker_id, overrides, tag)
        mount_tmpfs(self.data_dir, "16m")
    harness.Broker.__init__ = init
    passed = False
    try:
        harness.main(test, brokers=2)
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
