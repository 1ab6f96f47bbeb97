#!/usr/bin/python3
"""Proves the broker refuses an invalid config value (a pre-0.11.0 log.message.format.version among them), a malformed --override and a missing required key with a message naming the key, exits non-zero, and leaves no process behind."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log  # noqa: E402

SERVER = os.path.join(harness.BUILD, "src", "samsa-server")


def refuse(props, overrides, must_mention):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "server.properties")
        with open(path, "w") as f:
            f.write(props)
        cmd = [SERVER, path]
        for o in overrides:
            cmd += ["--override", o]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30,
                           env=dict(os.environ, LOG_DIR=os.path.join(d, "logs")))
        out = (p.stdout + p.stderr).decode(errors="replace")
        check(p.returncode != 0, "broker accepted %r %r" % (props, overrides))
        check(must_mention in out, "error output does not name %r:\n%s" % (must_mention, out))
        log("refused (%s): %s" % (must_mention, [l for l in out.splitlines() if must_mention in l][0][:160]))


def test(c):
    base = "broker.id=0\nzookeeper.connect=%s\nlog.dirs=/tmp/unused\n" % c.zk_connect
    refuse("broker.id=0\nlog.dirs=/tmp/unused\n", [], "zookeeper.connect")
    refuse(base + "num.io.threads=zero\n", [], "num.io.threads")
    refuse(base + "num.network.threads=0\n", [], "num.network.threads")
    refuse(base, ["auto.create.topics.enable=maybe"], "auto.create.topics.enable")
    refuse(base, ["compression.type=brotli"], "compression.type")
    refuse(base, ["message.max.bytes=-5"], "message.max.bytes")
    refuse(base, ["noequalsign"], "noequalsign")
    # log.cleanup.policy is a list whose every element must be a known policy
    refuse(base + "log.cleanup.policy=nonsense\n", [], "log.cleanup.policy")
    refuse(base, ["log.cleanup.policy=compact,bogus"], "log.cleanup.policy")
    refuse(base + "listeners=PLAINTEXT://127.0.0.1:notaport\n", [], "listeners")
    # Samsa stores record batch v2 only: no pre-0.11.0 message format
    refuse(base + "log.message.format.version=0.10.2\n", [], "log.message.format.version")
    # A missing properties file is named too.
    p = subprocess.run([SERVER, "/nonexistent/server.properties"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    check(p.returncode != 0 and b"/nonexistent/server.properties" in p.stdout + p.stderr,
          "missing file not reported")


if __name__ == "__main__":
    harness.main(test, brokers=0)
