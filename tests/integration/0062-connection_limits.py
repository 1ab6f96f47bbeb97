#!/usr/bin/python3
"""Proves the broker's connection bounds behave as Kafka 2.8's while a real
client keeps working: max.connections.per.ip closes the connection over the
limit at once and max.connections.per.ip.overrides gives an address more;
max.connections makes the acceptor wait for a free slot (the held connection
is served once another closes) while the inter-broker listener stays
reachable; listener.name.<l>.max.connections set and deleted at run time
(a dynamic cluster default) holds and then serves a listener's connections;
max.connection.creation.rate slows accepting down without refusing
anyone; a connection_creation_rate quota in /config/ips/<ip> closes the
connections of that address over it, unserved; connections.max.idle.ms
closes idle connections.

Clients bind distinct loopback source addresses (127.0.0.2, 127.0.0.3) so the
per-address limits do not touch kcat on 127.0.0.1."""
import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402

TOPIC = "limits"


def api_versions_v0(corr):
    body = struct.pack(">hhih", 18, 0, corr, 6) + b"limits"
    return struct.pack(">i", len(body)) + body


def connect(port, src="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(60)
    s.connect(("127.0.0.1", port))
    return s


def peer_name(s):
    return "%s:%d" % s.getsockname()


def read_response(s, corr):
    """Reads one response frame; fails unless it answers corr."""
    hdr = s.recv(8, socket.MSG_WAITALL)
    check(len(hdr) == 8, "connection %s closed instead of answering" % peer_name(s))
    size, got = struct.unpack(">ii", hdr)
    check(got == corr, "response correlation id %d, expected %d" % (got, corr))
    left = size - 4
    while left > 0:
        chunk = s.recv(min(left, 65536))
        check(chunk, "response cut short on %s" % peer_name(s))
        left -= len(chunk)


def served(s, corr):
    s.sendall(api_versions_v0(corr))
    read_response(s, corr)


def closed_by_broker(s):
    """True once the broker closed s (EOF or reset); waits up to the socket
    timeout for it."""
    try:
        s.sendall(api_versions_v0(7))
    except OSError:
        return True
    try:
        return s.recv(64) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def roundtrip(c, tag):
    """kcat produce then consume through the broker: it keeps serving."""
    lines = ["%s-%d" % (tag, i) for i in range(20)]
    c.kcat("-P", "-t", TOPIC, "-p", "0", input="\n".join(lines) + "\n")
    got = c.kcat("-C", "-t", TOPIC, "-p", "0", "-o", "beginning", "-e", "-q").stdout.decode()
    check(all(x in got.split("\n") for x in lines), "kcat did not read back %s records" % tag)


def log_has(b, text):
    return text in b.log_text()


def phase_per_ip(c, b):
    log("per-ip: 127.0.0.2 gets max.connections.per.ip=3, 127.0.0.3 its override 6")
    for src, limit in (("127.0.0.2", 3), ("127.0.0.3", 6)):
        socks = [connect(b.port, src) for _ in range(limit)]
        for i, s in enumerate(socks):
            served(s, 100 + i)
        extra = connect(b.port, src)
        name = peer_name(extra)
        check(closed_by_broker(extra), "connection %d from %s (%s) was not closed"
              % (limit + 1, src, name))
        wait_until(lambda: log_has(b, "Rejected connection from %s" % name), 60,
                   "the refusal of %s in server.log" % name)
        check("maximum number of connections %d" % limit in b.log_text(),
              "the refusal names the limit %d" % limit)
        extra.close()
        # The others are untouched by the refusal.
        for i, s in enumerate(socks):
            served(s, 200 + i)
        roundtrip(c, "per-ip-" + src)
        for s in socks:
            s.close()
    # Slots come back once the broker saw the closes.

    def again():
        s = connect(b.port, "127.0.0.2")
        try:
            if closed_by_broker_quick(s):
                return False
            return True
        finally:
            s.close()
    wait_until(again, 60, "127.0.0.2 to be accepted again after its connections closed")


def closed_by_broker_quick(s):
    """Sends ApiVersions; False when answered, True when the broker closed."""
    try:
        served(s, 9)
        return False
    except (OSError, harness.TestFailure):
        return True


def phase_max_connections(c, b, ext_port, maxc):
    log("max.connections=%d: the acceptor of EXTERNAL waits for a slot" % maxc)
    # One more than the limit, so at least one is held whatever else is open.
    socks = []
    for i in range(maxc + 1):
        s = connect(ext_port)   # 127.0.0.1: its override is far away
        s.sendall(api_versions_v0(300 + i))
        socks.append(s)
    wait_until(lambda: log_has(b, "waits for a slot: max.connections reached"), 60,
               "the acceptor to report waiting for a slot")
    held = [s for s in socks if ("Connection from %s on listener EXTERNAL waits" % peer_name(s))
            in b.log_text()]
    check(held, "the held connection is named in the log")
    # The inter-broker listener is protected: kcat on PLAINTEXT still works.
    roundtrip(c, "max-conns")
    # Close answered connections one at a time until everyone was answered:
    # none is refused, the held ones are served as slots free up.
    pending = {s: 300 + i for i, s in enumerate(socks)}
    answered = []
    while pending:
        r, _, _ = select.select(list(pending), [], [], 60)
        check(r, "no connection answered for 60s with %d waiting" % len(pending))
        for s in r:
            read_response(s, pending.pop(s))
            answered.append(s)
        if pending and answered:
            answered.pop(0).close()
    for s in socks:
        s.close()


def configs(c, *args):
    return harness.run([os.path.join(harness.BIN, "kafka-configs.sh"), "--bootstrap-server", c.bootstrap,
                        "--entity-type", "brokers", "--entity-default", "--alter"] + list(args),
                       what="kafka-configs.sh " + " ".join(args))


def phase_dynamic_listener_limit(c, b, ext_port):
    log("listener.name.external.max.connections=3 at the cluster default, at run time")
    configs(c, "--add-config", "listener.name.external.max.connections=3")
    wait_until(lambda: log_has(b, "Listener EXTERNAL connection limits: max.connections=3,"), 60,
               "broker 0 to apply the listener's max.connections")
    socks = [connect(ext_port) for _ in range(4)]
    for i, s in enumerate(socks):
        s.sendall(api_versions_v0(400 + i))
    wait_until(lambda: log_has(b, "waits for a slot: the listener's max.connections reached"), 60,
               "the acceptor to hold the fourth connection")
    pending = {s: 400 + i for i, s in enumerate(socks)}
    r, _, _ = select.select(list(pending), [], [], 5)
    while r and len(pending) > 1:
        for s in r:
            read_response(s, pending.pop(s))
        r, _, _ = select.select(list(pending), [], [], 2)
    check(len(pending) == 1, "%d connections waiting under a limit of 3 (expected 1)" % len(pending))
    # Deleting the key lifts the limit: the held connection is served with
    # no other connection closed.
    configs(c, "--delete-config", "listener.name.external.max.connections")
    (s, corr), = pending.items()
    read_response(s, corr)
    for s in socks:
        s.close()
    check(log_has(b, "Listener EXTERNAL connection limits: max.connections=2147483647,"),
          "no log line for the lifted limit")


def phase_rate(c, b, ext_port, rate, n):
    log("max.connection.creation.rate=%d: %d connections on EXTERNAL" % (rate, n))
    t0 = time.monotonic()
    socks = [connect(ext_port) for i in range(n)]
    for i, s in enumerate(socks):
        s.sendall(api_versions_v0(500 + i))
    # Every one is served: throttled, not refused.
    for i, s in enumerate(socks):
        read_response(s, 500 + i)
    elapsed = time.monotonic() - t0
    check(log_has(b, "Throttling connection from"), "no throttling in server.log")
    # A lower bound only (load can only make it slower): the bucket holds one
    # second's worth, the rest come at `rate` a second.
    floor = (n - rate) / float(rate) * 0.8
    check(elapsed >= floor, "%d connections accepted in %.2fs, faster than %d/s allows"
          % (n, elapsed, rate))
    roundtrip(c, "rate")
    for s in socks:
        s.close()


def phase_ip_rate(c, b, n):
    log("/config/ips/127.0.0.2 connection_creation_rate=2: %d quick connections" % n)
    socks = [connect(b.port, "127.0.0.2") for _ in range(n)]
    for i, s in enumerate(socks):
        s.sendall(api_versions_v0(700 + i))
    served_n, closed = 0, []
    for i, s in enumerate(socks):
        try:
            read_response(s, 700 + i)
            served_n += 1
        except (OSError, harness.TestFailure):
            closed.append(s)     # closed unserved after its throttle time
    # The quota admits two at once and two a second after; the rest are
    # closed by the broker, not served.
    check(served_n >= 1, "no connection from 127.0.0.2 was served")
    check(closed, "all %d connections from 127.0.0.2 were served despite its quota" % n)
    wait_until(lambda: log_has(b, "Throttled connection from 127.0.0.2"), 60,
               "the per-address throttling in server.log")
    roundtrip(c, "ip-rate")      # 127.0.0.1 has no quota
    for s in socks:
        s.close()


def phase_idle(c, b):
    log("connections.max.idle.ms: an idle connection is closed by the broker")
    s = connect(b.port, "127.0.0.2")
    served(s, 1)
    name = peer_name(s)
    s.settimeout(120)
    try:
        data = s.recv(64)
    except ConnectionResetError:
        data = b""
    check(data == b"", "idle connection got data instead of being closed")
    s.close()
    log("%s closed by the broker" % name)
    roundtrip(c, "idle")


def test(c):
    b = c.brokers[0]
    c.create_topic(TOPIC, partitions=1)
    ext_port = harness.free_port()
    b.stop()
    b.props.update({
        "listeners": "PLAINTEXT://127.0.0.1:%d,EXTERNAL://127.0.0.1:%d" % (b.port, ext_port),
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT",
        "inter.broker.listener.name": "PLAINTEXT",
        "max.connections.per.ip": "3",
        "max.connections.per.ip.overrides": "127.0.0.1:1000,127.0.0.3:6",
        "max.connections": "12",
    })
    b.write_props()
    b.start()
    roundtrip(c, "start")
    phase_per_ip(c, b)
    phase_max_connections(c, b, ext_port, 12)
    phase_dynamic_listener_limit(c, b, ext_port)

    zk = c.kazoo()
    zk.create("/config/ips/127.0.0.2",
              b'{"version":1,"config":{"connection_creation_rate":"2"}}', makepath=True)
    b.stop()
    del b.props["max.connections"]
    b.props.update({
        "max.connections.per.ip": "1000",
        "max.connection.creation.rate": "10",
        "connections.max.idle.ms": "2000",
    })
    b.write_props()
    b.start()
    roundtrip(c, "restart")
    phase_rate(c, b, ext_port, 10, 40)
    phase_ip_rate(c, b, 20)
    phase_idle(c, b)


if __name__ == "__main__":
    harness.main(test, brokers=1)
