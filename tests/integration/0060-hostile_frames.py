#!/usr/bin/python3
"""Proves 1,000 hostile frames (garbage, bad sizes, truncated headers, unknown APIs and versions, garbage bodies, early closes) neither crash the broker nor disturb acknowledged data, and that the broker logs the peer and the problem."""
import os
import random
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402

TOPIC = "hostile"
COUNT = 500


def header(api_key, version, corr=1, client=b"hostile"):
    return struct.pack(">hhih", api_key, version, corr, len(client)) + client


def frame(body):
    return struct.pack(">i", len(body)) + body


def api_versions_v0():
    return frame(header(18, 0, corr=99))


def hostile_payloads(rng):
    """Yields (description, bytes) forever, cycling through the kinds."""
    kinds = [
        ("random garbage", lambda: bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300)))),
        ("negative size", lambda: struct.pack(">i", -rng.randint(1, 2 ** 31)) + b"x" * 10),
        ("huge size", lambda: struct.pack(">i", rng.randint(200 * 1024 * 1024, 2 ** 31 - 1)) + b"\0" * 32),
        ("truncated header", lambda: frame(header(3, 1)[:rng.randint(0, 7)])),
        ("unknown api key", lambda: frame(header(rng.choice([-5, 68, 999, 32767]), 0))),
        ("unknown version", lambda: frame(header(rng.choice([0, 1, 3, 19]), rng.choice([-1, 50, 32767])))),
        ("valid header, garbage body", lambda: frame(
            header(rng.choice([0, 1, 2, 3, 8, 9, 10, 11, 19]), rng.randint(0, 4)) +
            bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 200))))),
        ("size larger than sent", lambda: struct.pack(">i", rng.randint(100, 100000)) +
            header(3, 1)),
        ("bad client id length", lambda: frame(struct.pack(">hhih", 3, 1, 1, 30000) + b"ab")),
        ("zero size", lambda: struct.pack(">i", 0)),
    ]
    i = 0
    while True:
        name, make = kinds[i % len(kinds)]
        yield name, make()
        i += 1


def send_one(port, payload, after_api_versions):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        if after_api_versions:
            s.sendall(api_versions_v0())
            size = s.recv(4, socket.MSG_WAITALL)
            check(len(size) == 4, "no ApiVersions response before the hostile frame")
            n = struct.unpack(">i", size)[0]
            while n > 0:
                got = s.recv(min(n, 65536))
                check(got, "ApiVersions response cut short")
                n -= len(got)
        try:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            s.settimeout(2)
            while s.recv(65536):
                pass
        except OSError:
            pass        # the broker is entitled to reset the connection


def test(c):
    b = c.brokers[0]
    c.create_topic(TOPIC, partitions=1)
    lines = harness.unique_lines("h", COUNT)
    c.kcat("-P", "-t", TOPIC, "-K:", "-p", "0", input="\n".join(lines) + "\n")
    before = c.read_partition(TOPIC, 0)
    check(len(before) == COUNT, "read %d of %d before the attack" % (len(before), COUNT))

    rng = random.Random(20240601)
    gen = hostile_payloads(rng)
    for i in range(1000):
        name, payload = next(gen)
        send_one(b.port, payload, after_api_versions=(i % 5 == 0))
        if i % 100 == 99:
            check(b.alive(), "broker died after %d hostile frames (last: %s)" % (i + 1, name))
    log("sent 1000 hostile frames")
    check(b.alive(), "broker process is gone")

    after = c.read_partition(TOPIC, 0)
    check(after == before, "acknowledged messages changed after the attack")
    exp = [tuple(x.encode() for x in l.split(":", 1)) for l in lines]
    check([(k, v) for k, v, _ in after] == exp, "messages are not byte-identical to what was produced")

    # The log must name the peer (127.0.0.1:<port>) next to what was wrong.
    def logged():
        text = b.log_text()
        peer = [l for l in text.splitlines() if "127.0.0.1:" in l and
                any(w in l.lower() for w in ("invalid", "size", "unknown", "unsupported",
                                             "error", "corrupt", "malformed", "closing"))]
        return len(peer) >= 10 and peer
    lines_logged = wait_until(logged, 20, "server.log lines naming the peer and the problem")
    log("e.g. %s" % lines_logged[0])


if __name__ == "__main__":
    harness.main(test, brokers=1)
