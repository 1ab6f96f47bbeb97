#!/usr/bin/python3
"""Proves a full disk loses nothing acknowledged: with one of two log dirs on a 4 MiB tmpfs, acks=1 appends to a partition there are accepted until the space runs out, then refused with KAFKA_STORAGE_ERROR (the log names the dir and ENOSPC, the broker stays up and keeps serving the partition on the other dir); after a restart with space freed every acknowledged record is read back at its offset and appends continue at the next offset."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402

TOPIC = "full"
SMALL = "data-small"
BIG = "data-big"
VALUE = "x" * 1000
mounts = []


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", path], check=True)
    mounts.append(path)


def produce(c, partition, prefix, n, batch=100):
    """acks=1, no retries: returns ([(offset, value)], [error names])."""
    from confluent_kafka import Producer
    prod = Producer({"bootstrap.servers": c.bootstrap, "acks": "1", "retries": 0,
                     "enable.idempotence": False, "linger.ms": 5,
                     "message.timeout.ms": 10000})
    acked, errors = [], []

    def dr(err, msg):
        if err is None:
            acked.append((msg.offset(), msg.value().decode()))
        else:
            errors.append(err.name())
    for start in range(0, n, batch):
        for i in range(start, min(n, start + batch)):
            prod.produce(TOPIC, value=("%s-%06d-%s" % (prefix, i, VALUE)).encode(),
                         partition=partition, on_delivery=dr)
        prod.flush(30)
        if errors:
            break
    return acked, errors


def test(c):
    b = c.brokers[0]
    small, big = os.path.join(b.dir, SMALL), os.path.join(b.dir, BIG)
    c.create_topic(TOPIC, partitions=2, extra=["--config", "segment.bytes=1048576"])
    where = {}
    for d in (small, big):
        for p in (0, 1):
            if os.path.isdir(os.path.join(d, "%s-%d" % (TOPIC, p))):
                where[d] = p
    check(len(where) == 2, "partitions not spread over the two dirs: %r" % where)
    full_p, other_p = where[small], where[big]

    # 4 MiB of tmpfs takes a few thousand 1 KiB records; 20,000 would be 20 MiB.
    acked, errors = produce(c, full_p, "fill", 20000)
    log("acknowledged %d records before the disk filled; errors %r" % (len(acked), errors[:3]))
    check(errors, "the 4 MiB dir never filled up")
    check(len(acked) > 500, "only %d records acknowledged before the disk filled" % len(acked))
    check(errors[0] == "KAFKA_STORAGE_ERROR", "first refusal is %s, not KAFKA_STORAGE_ERROR" % errors[0])
    wait_until(lambda: "No space left on device" in b.log_text(), 20, "an ENOSPC line in server.log")
    check(any(" ERROR " in line and small in line for line in b.log_text().splitlines()),
          "no ERROR line names %s" % small)
    _, again = produce(c, full_p, "refused", 1)
    check(again == ["KAFKA_STORAGE_ERROR"], "a produce into the full dir answered %r" % again)
    check(b.alive(), "the broker died when its disk filled up")

    # The other dir keeps serving.
    more, errs = produce(c, other_p, "other", 50)
    check(not errs and len(more) == 50, "partition on %s: %d acked, errors %r" % (big, len(more), errs))
    check([r[2] for r in c.read_partition(TOPIC, other_p)] == list(range(50)),
          "partition %d does not read back 0..49" % other_p)

    # Free space and restart: every acknowledged record is where it was acknowledged.
    check(b.stop() == 0, "clean shutdown exit status")
    subprocess.run(["mount", "-o", "remount,size=64m", small], check=True)
    b.start()
    c.wait_for_leaders(TOPIC, 2)
    recs = c.read_partition(TOPIC, full_p)
    by_offset = {o: v.decode() for (_k, v, o) in recs}
    check([r[2] for r in recs] == list(range(len(recs))), "offsets not contiguous after restart")
    for off, v in acked:
        check(by_offset.get(off) == v, "acknowledged offset %d lost or changed" % off)
    log("all %d acknowledged records read back after the restart (log end %d)" % (len(acked), len(recs)))
    after, errs = produce(c, full_p, "after", 10)
    check(not errs and [o for o, _ in after] == list(range(len(recs), len(recs) + 10)),
          "appends after the restart went to %r (errors %r)" % ([o for o, _ in after], errs))


def _main():
    if os.geteuid() != 0:
        print("FAIL: this test mounts a tmpfs and must run as root (CI does)", flush=True)
        sys.exit(1)
    orig = harness.Broker.__init__

    def init(self, cluster, broker_id, overrides, tag=None):
        orig(self, cluster, broker_id, overrides, tag)
        mount_tmpfs(os.path.join(self.dir, SMALL), "4m")
        self.props["log.dirs"] = ",".join(os.path.join(self.dir, d) for d in (SMALL, BIG))
        self.write_props()
    harness.Broker.__init__ = init
    passed = False
    try:
        harness.main(test, brokers=1)
    except SystemExit as e:
        passed = e.code in (0, None)
        raise
    finally:
        for m in mounts:
            subprocess.run(["umount", "-l", m], check=False)
            if passed:   # the harness keeps a failed run's directory
                shutil.rmtree(os.path.dirname(os.path.dirname(m)), ignore_errors=True)


if __name__ == "__main__":
    _main()
