#!/usr/bin/python3
"""Proves the harness and the ZooKeeper scripts work: ZooKeeper starts on a free port, kazoo and bin/zookeeper-shell.sh talk to it, bin/zookeeper-server-start.sh runs it in the foreground, and everything started is stopped."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, run, wait_until, free_port, four_letter  # noqa: E402


def shell_checks(c):
    zk = c.kazoo()
    zk.ensure_path("/brokers/ids")
    zk.create("/brokers/ids/0", b'{"x":1}')
    shell = os.path.join(harness.BIN, "zookeeper-shell.sh")
    p = run([shell, c.zk_connect, "ls", "/brokers/ids"], timeout=60)
    lines = p.stdout.decode().rstrip("\n").split("\n")
    check(lines[-1] == "[0]", "zookeeper-shell ls: last line %r, output %r" % (lines[-1], lines))
    check("WatchedEvent state:SyncConnected" in p.stdout.decode(),
          "zookeeper-shell banner missing: %r" % p.stdout)
    check(b"SLF4J" not in p.stderr, "zookeeper-shell leaks slf4j noise: %r" % p.stderr)
    p = run([shell, c.zk_connect, "get", "/brokers/ids/0"], timeout=60)
    check(p.stdout.decode().rstrip("\n").split("\n")[-1] == '{"x":1}', "get: %r" % p.stdout)
    p = run([shell], check_rc=False)
    check(p.returncode == 1 and b"USAGE" in p.stderr, "no-argument usage: %r" % (p.stderr,))


def start_script_checks(c):
    """bin/zookeeper-server-start.sh in the foreground: $! is the java pid."""
    data = os.path.join(c.root, "zk2")
    os.makedirs(data)
    port = free_port()
    props = os.path.join(c.root, "zookeeper2.properties")
    with open(props, "w") as f:
        f.write("dataDir=%s\nclientPort=%d\nmaxClientCnxns=0\nadmin.enableServer=false\n"
                "4lw.commands.whitelist=*\n" % (data, port))
    out = open(os.path.join(c.root, "zk2.out"), "wb")
    proc = subprocess.Popen([os.path.join(harness.BIN, "zookeeper-server-start.sh"), props],
                            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env=dict(os.environ, LOG_DIR=c.root),
                            preexec_fn=harness._die_with_parent)
    try:
        wait_until(lambda: four_letter(port, "srvr").startswith("Zookeeper version"), 60,
                   "zookeeper-server-start.sh server on port %d" % port)
        with open("/proc/%d/cmdline" % proc.pid, "rb") as f:
            cmdline = f.read().split(b"\0")
        check(b"org.apache.zookeeper.server.quorum.QuorumPeerMain" in cmdline,
              "the started pid is not QuorumPeerMain: %r" % cmdline)
    finally:
        harness._stop_process(proc, "zookeeper-server-start.sh")
        out.close()
    check(not harness.port_is_open(port), "second ZooKeeper still listening after stop")
    p = run([os.path.join(harness.BIN, "zookeeper-server-start.sh")], check_rc=False)
    check(p.returncode == 1 and b"USAGE" in p.stderr, "usage: %r" % p.stderr)


def test(c):
    check(four_letter(c.zk.port, "ruok") == "imok", "ruok did not answer imok")
    check(c.bootstrap == "", "no brokers were asked for")
    shell_checks(c)
    start_script_checks(c)


if __name__ == "__main__":
    orig = harness.Cluster.close

    def close_and_check(self):
        port, proc = self.zk.port, self.zk.proc
        orig(self)
        if proc is not None:
            check(proc.poll() is not None, "ZooKeeper pid %d survived cleanup" % proc.pid)
            check(not harness.port_is_open(port), "ZooKeeper port %d open after cleanup" % port)
            check(not os.path.exists(self.root) or self.failed, "temp dir left behind")
    harness.Cluster.close = close_and_check
    harness.main(test, brokers=0)
