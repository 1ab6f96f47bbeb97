"""Helpers shared by the controller tests (05xx): znode readers, a raw
ApiVersions probe and kcat produce/consume wrappers."""

import json
import socket
import struct

from harness import KCAT, check, log, run, wait_until  # noqa: F401


def controller(zk):
    data, _ = zk.get("/controller")
    return json.loads(data)["brokerid"]


def epoch(zk):
    data, _ = zk.get("/controller_epoch")
    return int(data)


def state(zk, topic, p):
    data, _ = zk.get("/brokers/topics/%s/partitions/%d/state" % (topic, p))
    return json.loads(data)


def states(zk, topic, n):
    return [state(zk, topic, p) for p in range(n)]


def assignment(zk, topic):
    data, _ = zk.get("/brokers/topics/%s" % topic)
    return json.loads(data)


def api_keys(bootstrap):
    """The API keys a broker advertises (ApiVersions v0 over a raw socket)."""
    host, port = bootstrap.split(",")[0].rsplit(":", 1)
    body = struct.pack(">hhih", 18, 0, 1, 4) + b"test"
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(struct.pack(">i", len(body)) + body)
        buf = b""
        while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    _, _, err, n = struct.unpack(">iihi", buf[:14])
    check(err == 0, "ApiVersions error %d" % err)
    return {struct.unpack(">hhh", buf[14 + 6 * i:20 + 6 * i])[0] for i in range(n)}


def replication_present(c):
    """Followers fetch from leaders once the broker answers
    OffsetForLeaderEpoch (key 23); until then an RF>1 partition's high
    watermark does not move and consume-side assertions must wait."""
    return 23 in api_keys(c.bootstrap)


def produce(c, topic, tag, n=200, acks="1", partition=None):
    lines = "".join("%s-%05d\n" % (tag, i) for i in range(n))
    args = ["-P", "-t", topic, "-X", "acks=%s" % acks, "-X", "message.timeout.ms=30000"]
    if partition is not None:
        args += ["-p", str(partition)]
    p = c.kcat(*args, input=lines, timeout=60)
    check(b"Delivery failed" not in p.stderr and b"Failed to produce" not in p.stderr,
          "kcat produce to %s reported failures: %r" % (topic, p.stderr[-1000:]))
    return ["%s-%05d" % (tag, i) for i in range(n)]


def consume_values(c, topic, partitions):
    vals = []
    for p in range(partitions):
        vals += [v.decode() for _, v, _ in c.read_partition(topic, p, timeout=60)]
    return vals
