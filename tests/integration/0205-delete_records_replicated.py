#!/usr/bin/python3
"""Proves DeleteRecords on an RF=3 topic answers with the requested low watermark only after every replica's log start offset (checkpointed in each broker's data dir) has followed the leader's, and that with one in-sync follower stopped (SIGSTOP) the request waits and answers REQUEST_TIMED_OUT at its timeout_ms, then completes once the follower runs again."""
import json
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlutil  # noqa: E402
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402

TOPIC = "drr"
REQUEST_TIMED_OUT = 7


def start_checkpoint(b):
    path = os.path.join(b.data_dir, "log-start-offset-checkpoint")
    try:
        with open(path) as f:
            for line in f.read().splitlines()[2:]:
                t, p, off = line.split()
                if t == TOPIC and p == "0":
                    return int(off)
    except OSError:
        pass
    return None


def kstr(s):
    return struct.pack(">h", len(s)) + s.encode()


def delete_records(b, offset, timeout_ms):
    """DeleteRecords v1 for TOPIC-0 over a raw socket to broker b; returns
    (error_code, low_watermark, seconds taken)."""
    body = (struct.pack(">hhi", 21, 1, 7) + kstr("it-0205") +
            struct.pack(">i", 1) + kstr(TOPIC) + struct.pack(">iiq", 1, 0, offset) +
            struct.pack(">i", timeout_ms))
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", b.port), timeout=timeout_ms / 1000 + 30) as s:
        s.sendall(struct.pack(">i", len(body)) + body)
        buf = b""
        while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
            chunk = s.recv(65536)
            check(chunk, "broker %d closed the DeleteRecords connection" % b.id)
            buf += chunk
    took = time.monotonic() - t0
    corr, _throttle, ntopics = struct.unpack(">iii", buf[4:16])
    check(corr == 7 and ntopics == 1, "DeleteRecords response header %r" % buf[:16])
    pos = 16
    (tlen,) = struct.unpack(">h", buf[pos:pos + 2])
    pos += 2 + tlen
    nparts, part, low, err = struct.unpack(">iiqh", buf[pos:pos + 18])
    check(nparts == 1 and part == 0, "DeleteRecords response partitions %r" % buf[pos:pos + 18])
    return err, low, took


def test(c):
    c.create_topic(TOPIC, rf=3)
    wait_until(lambda: ctlutil.replication_present(c), 30, "replication support")
    zk = c.kazoo()
    wait_until(lambda: len(ctlutil.state(zk, TOPIC, 0)["isr"]) == 3, 30, "ISR of 3")
    ctlutil.produce(c, TOPIC, "dr", n=40, acks="all", partition=0)
    st = ctlutil.state(zk, TOPIC, 0)
    leader = c.brokers[st["leader"]]
    followers = [b for b in c.brokers if b.id != leader.id]

    # Every replica running: the tool's answer already has the low watermark
    # at 25, so every follower has moved its log start offset by then.
    path = os.path.join(c.root, "offsets.json")
    with open(path, "w") as f:
        json.dump({"partitions": [{"topic": TOPIC, "partition": 0, "offset": 25}],
                   "version": 1}, f)
    p = harness.run([os.path.join(harness.BIN, "kafka-delete-records.sh"), "--bootstrap-server",
                     c.bootstrap, "--offset-json-file", path],
                    env=dict(os.environ, SAMSA_BUILD_DIR=harness.BUILD))
    out = p.stdout.decode()
    check("partition: %s-0\tlow_watermark: 25\n" % TOPIC in out,
          "kafka-delete-records.sh printed %r" % out)
    for b in followers:
        check("Incremented log start offset to 25 due to leader offset increment"
              in b.log_text(), "follower %d did not follow the log start offset" % b.id)
    for b in c.brokers:
        wait_until(lambda: start_checkpoint(b) == 25, 20,
                   "broker %d to checkpoint log start 25" % b.id)
    log("all replicas at log start 25 when DeleteRecords answered")

    # One follower stopped but still in the ISR (replica.lag.time.max.ms is
    # far away): the leader deletes, the request waits for the low
    # watermark and times out with the low watermark it had.
    slow = followers[0]
    slow.pause()
    try:
        err, low, took = delete_records(leader, 30, 2000)
        check(err == REQUEST_TIMED_OUT, "paused follower: error %d, expected REQUEST_TIMED_OUT"
              % err)
        check(low == 25, "timed-out low watermark %d, expected 25" % low)
        check(took >= 1.9, "timed out after %.2fs, before timeout_ms" % took)
        check(start_checkpoint(slow) == 25, "paused follower's log start moved")
    finally:
        slow.resume()
    log("paused follower: REQUEST_TIMED_OUT after %.2fs" % took)

    # Running again, it follows; the same request now completes.
    err, low, took = delete_records(leader, 30, 30000)
    check(err == 0 and low == 30, "after resume: error %d low watermark %d" % (err, low))
    for b in followers:
        check("Incremented log start offset to 30 due to leader offset increment"
              in b.log_text(), "follower %d did not follow to 30" % b.id)
    check(len(ctlutil.state(zk, TOPIC, 0)["isr"]) == 3, "ISR shrank meanwhile")
    recs = c.read_partition(TOPIC, 0)
    check([r[2] for r in recs] == list(range(30, 40)), "after DeleteRecords read %r"
          % [r[2] for r in recs])
    log("after resume: low watermark 30 in %.2fs" % took)


if __name__ == "__main__":
    harness.main(test, brokers=3, broker_props={"log.flush.offset.checkpoint.interval.ms": 500})
