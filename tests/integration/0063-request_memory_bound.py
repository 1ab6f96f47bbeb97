#!/usr/bin/python3
"""Proves queued.max.request.bytes bounds the broker's memory for requests:
many connections announce ~100 MB frames and trickle bytes, others send
whole ~100 MB frames as fast as they can, and a real producer sends large
batches meanwhile. The broker's peak RSS (VmHWM) stays under the bound that
docs/design/memory.md states (base + queued.max.request.bytes +
socket.request.max.bytes + 64 MiB of buffers and allocator slack); once the
tricklers go away every frame is read, the producer's records are stored and
read back, and nothing crashes.

Kafka requires queued.max.request.bytes >= socket.request.max.bytes, so both
are 100 MiB here: without the bound the six flooders alone would put 600 MB
of frames in memory at once."""
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402

MIB = 1024 * 1024
QUEUED = 100 * MIB
REQ_MAX = 100 * MIB
ANNOUNCED = 100 * 1000 * 1000
TRICKLERS = 20
FLOODERS = 6
SLACK = 64 * MIB
TOPIC = "bigreq"
RECORDS = 24
RECORD_BYTES = 700 * 1024


def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def sanitized(pid):
    """True when the broker runs with AddressSanitizer, whose quarantine of
    freed memory (256 MB) makes RSS say nothing about live memory; the
    functional checks still run then."""
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


def frame_header(size, corr):
    # ApiVersions v0 header; the rest of the announced size is zeros.
    return struct.pack(">ihhih", size, 18, 0, corr, -1)


class Trickler:
    """Announces a frame of ANNOUNCED bytes and sends it a byte at a time."""

    def __init__(self, port, i):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.s.sendall(frame_header(ANNOUNCED, 1000 + i))

    def trickle(self):
        try:
            self.s.send(b"\0", socket.MSG_DONTWAIT)
        except OSError:
            pass    # muted by the broker (kernel buffer full) or closed

    def close(self):
        self.s.close()


def flood(port, i, done, errors):
    """Sends one whole frame of ANNOUNCED bytes, then waits for the broker to
    answer or close; records completion."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=600)
        s.sendall(frame_header(ANNOUNCED, 2000 + i))
        chunk = b"\0" * MIB
        left = ANNOUNCED - 10   # the header counts 10 bytes of the frame
        while left > 0:
            n = min(left, len(chunk))
            s.sendall(chunk[:n])
            left -= n
        try:
            s.recv(64)
        except OSError:
            pass
        s.close()
        done.append(i)
    except Exception as e:      # noqa: B902 - reported by the main thread
        errors.append("flooder %d: %r" % (i, e))


def test(c):
    b = c.brokers[0]
    pid = b.proc.pid
    c.create_topic(TOPIC, partitions=1)
    c.kcat("-P", "-t", TOPIC, "-p", "0", input="warmup\n")
    base = proc_status(pid, "VmRSS")
    bound = base + QUEUED + REQ_MAX + SLACK
    log("base RSS %.1f MiB, bound %.1f MiB" % (base / MIB, bound / MIB))
    if sanitized(pid):
        log("AddressSanitizer build: RSS bound not checked")
        bound = float("inf")

    tricklers = [Trickler(b.port, i) for i in range(TRICKLERS)]
    done, errors = [], []
    flooders = [threading.Thread(target=flood, args=(b.port, i, done, errors), daemon=True)
                for i in range(FLOODERS)]
    for t in flooders:
        t.start()
    payload = "".join("r%03d-%s\n" % (i, "x" * RECORD_BYTES) for i in range(RECORDS))
    produced = {}

    def produce():
        produced["p"] = c.kcat("-P", "-t", TOPIC, "-p", "0", "-X", "message.max.bytes=1000000",
                               input=payload, timeout=600, check_rc=False)
    producer = threading.Thread(target=produce, daemon=True)
    producer.start()

    # The attack runs for 40 trickle rounds; the RSS is sampled throughout.
    peak = 0
    for _ in range(40):
        for t in tricklers:
            t.trickle()
        check(b.alive(), "broker died under the attack")
        peak = max(peak, proc_status(pid, "VmRSS"))
        time.sleep(0.1)
    log("RSS peak while tricklers hold memory: %.1f MiB" % (peak / MIB))
    check(peak <= bound, "RSS %.1f MiB over the bound %.1f MiB" % (peak / MIB, bound / MIB))

    # Memory frees as the tricklers go: every flooder's frame is read.
    for t in tricklers:
        t.close()

    def flooded():
        check(not errors, "; ".join(errors))
        check(b.alive(), "broker died while the flooders ran")
        return len(done) == FLOODERS
    wait_until(flooded, 600, "all %d flooders' frames to be read" % FLOODERS)
    producer.join(600)
    check(not producer.is_alive(), "kcat producer still running")
    p = produced["p"]
    check(p.returncode == 0, "kcat producer failed: %s" % p.stderr[-2000:])
    out = c.kcat("-C", "-t", TOPIC, "-p", "0", "-o", "beginning", "-e", "-q",
                 timeout=300).stdout.decode().split("\n")
    got = sorted(x[:4] for x in out if x.startswith("r") and len(x) == 5 + RECORD_BYTES)
    check(got == ["r%03d" % i for i in range(RECORDS)],
          "read back %d of %d large records" % (len(got), RECORDS))
    hwm = proc_status(pid, "VmHWM")
    log("broker peak RSS (VmHWM) %.1f MiB, bound %.1f MiB" % (hwm / MIB, bound / MIB))
    check(hwm <= bound, "peak RSS %.1f MiB over the bound %.1f MiB"
          % (hwm / MIB, bound / MIB))
    # Still serving small requests normally.
    c.kcat("-P", "-t", TOPIC, "-p", "0", input="after\n")


if __name__ == "__main__":
    harness.main(test, brokers=1, broker_props={
        "socket.request.max.bytes": str(REQ_MAX),
        "queued.max.request.bytes": str(QUEUED),
        "message.max.bytes": "1000000",
    })
