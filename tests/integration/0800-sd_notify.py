#!/usr/bin/python3
"""Proves samsa-server speaks systemd's notify protocol without libsystemd: started with NOTIFY_SOCKET naming a unix datagram socket, it sends READY=1 only once its listener accepts connections and the broker is registered, and STOPPING=1 when SIGTERM begins the clean shutdown, which then exits 0; an unusable NOTIFY_SOCKET is logged and does not stop the broker."""
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log  # noqa: E402


def recv_state(sock):
    """One notification datagram as a dict of its VAR=VALUE lines."""
    data = sock.recv(4096).decode()
    log("notify: %r" % data)
    return dict(l.split("=", 1) for l in data.splitlines() if "=" in l)


def test(c):
    path = os.path.join(c.root, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    # Blocking receive bounded only so a broker that never notifies fails
    # the test instead of hanging it.
    sock.settimeout(harness.START_TIMEOUT)
    os.environ["NOTIFY_SOCKET"] = path
    try:
        b = c.add_broker(start=False)
        b.spawn()
    finally:
        del os.environ["NOTIFY_SOCKET"]
    try:
        st = recv_state(sock)
    except socket.timeout:
        harness.fail("no notification from the broker; server.log tail:\n" + harness.tail(b.server_log))
    check(st.get("READY") == "1", "first notification is not READY=1: %r" % st)
    # Readiness means serving: the port accepts and the broker says started.
    check(harness.port_is_open(b.port), "READY=1 arrived before port %d accepts" % b.port)
    check(b._started_count() == 1, "READY=1 arrived before '[KafkaServer id=0] started'")
    md = c.metadata()
    check(md is not None and len(md["brokers"]) == 1, "metadata after READY=1: %r" % md)

    os.kill(b.proc.pid, 15)
    st = recv_state(sock)
    check(st.get("STOPPING") == "1", "notification on SIGTERM is not STOPPING=1: %r" % st)
    rc = b.stop()
    check(rc == 0, "broker exited with status %s after SIGTERM" % rc)
    sock.close()

    # Not a socket path: logged, and the broker serves regardless.
    os.environ["NOTIFY_SOCKET"] = "relative/notify.sock"
    try:
        b.start()
    finally:
        del os.environ["NOTIFY_SOCKET"]
    check("NOTIFY_SOCKET 'relative/notify.sock' is not a socket path" in b.log_text(),
          "bad NOTIFY_SOCKET not logged")
    rc = b.stop()
    check(rc == 0, "broker exited with status %s after SIGTERM" % rc)


if __name__ == "__main__":
    harness.main(test, brokers=0)
