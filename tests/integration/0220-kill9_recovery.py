#!/usr/bin/python3
"""Proves kill -9 during an acks=1 produce loses no acknowledged record (each is read back at its acknowledged offset, offsets contiguous), and that garbage appended to the active segment plus deleted index files are repaired at restart: the garbage is truncated, indexes rebuilt, a read at an exact middle offset returns that record and appends continue at the next offset."""
import glob
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402

TOPIC = "crash"


def produce_until_killed(c):
    from confluent_kafka import Producer
    prod = Producer({"bootstrap.servers": c.bootstrap, "acks": "1", "linger.ms": 2,
                     "message.timeout.ms": 3000, "retries": 0,
                     "max.in.flight.requests.per.connection": 1})
    acked = {}

    def dr(err, msg):
        if err is None:
            acked[msg.value()] = msg.offset()
    killer = None
    i = 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            prod.produce(TOPIC, value=b"v-%07d" % i, partition=0, on_delivery=dr)
            i += 1
        except BufferError:
            prod.poll(0.01)
        prod.poll(0)
        if killer is None and len(acked) >= 3000:
            killer = threading.Thread(target=c.brokers[0].kill9)
            killer.start()
        if killer is not None and not killer.is_alive() and i % 500 == 0:
            break
    prod.flush(10)
    killer.join()
    return acked, i


def restart_after_kill(c):
    """A killed broker's registration lives until its ZooKeeper session
    expires; start again only then, as an operator would have to."""
    zk = c.kazoo()
    wait_until(lambda: not zk.exists("/brokers/ids/0"), 30, "the killed broker's session to expire")
    c.brokers[0].start()
    c.wait_for_leaders(TOPIC, 1)


def test(c):
    c.create_topic(TOPIC, extra=["--config", "segment.bytes=16000"])
    acked, sent = produce_until_killed(c)
    log("sent %d, acknowledged %d before and around kill -9" % (sent, len(acked)))
    check(len(acked) >= 3000, "only %d acknowledged" % len(acked))
    restart_after_kill(c)
    recs = c.read_partition(TOPIC, 0)
    offs = [r[2] for r in recs]
    check(offs == list(range(len(recs))), "offsets not contiguous after recovery")
    by_value = {r[1]: r[2] for r in recs}
    lost = [v for v, o in acked.items() if by_value.get(v) != o]
    check(not lost, "%d acknowledged records lost or moved, e.g. %r" % (len(lost), lost[:3]))
    log("all %d acknowledged records read back at their offsets (%d in the log)"
        % (len(acked), len(recs)))

    # torn tail and lost indexes
    n = len(recs)
    c.brokers[0].kill9()
    pdir = os.path.join(c.brokers[0].data_dir, TOPIC + "-0")
    logs = sorted(glob.glob(os.path.join(pdir, "*.log")))
    check(len(logs) > 2, "expected several segments, have %d" % len(logs))
    with open(logs[-1], "ab") as f:
        f.write(b"\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x01\x00garbage-garbage-garbage")
    for f in glob.glob(os.path.join(pdir, "*.index")) + glob.glob(os.path.join(pdir, "*.timeindex")):
        os.unlink(f)
    restart_after_kill(c)
    text = c.brokers[0].log_text()
    check("Corruption found in segment" in text, "no truncation logged")
    check(len(glob.glob(os.path.join(pdir, "*.index"))) == len(logs), "indexes not rebuilt")
    mid = n // 2 + 1
    p = c.kcat("-C", "-t", TOPIC, "-p", "0", "-o", str(mid), "-c", "1", "-e", "-q",
               "-f", "%o\\t%s\\n")
    got = p.stdout.decode().split("\n")[0].split("\t")
    check(got == [str(mid), recs[mid][1].decode()], "read at %d gave %r" % (mid, got))
    c.kcat("-P", "-t", TOPIC, "-p", "0", input=b"after-repair\n")
    last = c.read_partition(TOPIC, 0)[-1]
    check(last[1] == b"after-repair" and last[2] == n, "append after repair at %r" % (last,))
    log("garbage truncated, indexes rebuilt, read at %d exact, next append at %d" % (mid, n))


if __name__ == "__main__":
    harness.main(test, brokers=1, broker_props={"zookeeper.session.timeout.ms": 4000})
