#!/bin/sh
# Proves kafkajs 2.2.4 groups: three consumers in one process split a 6-partition topic two each, the survivors own all six within the session timeout when one leaves and, in a second group, when a member in a separate node process is killed with SIGKILL without leaving, a restarted member resumes from the committed offsets, and a kafkajs RoundRobinAssigner member joining a group of librdkafka range members gets INCONSISTENT_GROUP_PROTOCOL while the group stays as it was.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
jsdir="$here/../js"
if [ ! -d "$jsdir/node_modules/kafkajs" ]; then
	(cd "$jsdir" && npm ci --no-audit --no-fund)
fi
exec /usr/bin/python3 - "$jsdir" <<'PY'
import os, subprocess, sys, time
sys.path.insert(0, os.environ.get("SM_IT_DIR") or os.path.join(sys.argv[1], "..", "integration"))
import harness
from harness import BIN, KCAT, check, log, run

JSDIR = os.path.abspath(sys.argv[1])
ENV = {"NODE_PATH": os.path.join(JSDIR, "node_modules"), "KAFKAJS_NO_PARTITIONER_WARNING": "1"}
PROPS = {"offsets.topic.replication.factor": "1", "offsets.topic.num.partitions": "3",
         "group.initial.rebalance.delay.ms": "0", "group.min.session.timeout.ms": "1000"}

def node(c, mode, group):
    p = run(["node", os.path.join(JSDIR, "groups.js"), c.bootstrap, "js-grp", group, mode],
            timeout=180, env=ENV, what="node groups.js " + mode)
    log(p.stdout.decode().strip())

def members(c, group):
    p = run([os.path.join(BIN, "kafka-consumer-groups.sh"), "--bootstrap-server", c.bootstrap,
             "--describe", "--group", group, "--members"])
    return [l.split() for l in p.stdout.decode().split("\n")[2:] if l.strip()]

def test(c):
    c.create_topic("js-grp", partitions=6)
    node(c, "rebalance", "js-g")
    node(c, "killed", "js-g-killed")

    # A librdkafka member using only the range assignor holds the group.
    rk = subprocess.Popen([KCAT, "-b", c.bootstrap, "-q", "-G", "js-mixed",
                           "-X", "partition.assignment.strategy=range", "js-grp"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        before = harness.wait_until(lambda: [m for m in members(c, "js-mixed") if m[-1] == "6"], 30,
                                    "the kcat member to own all six partitions")
        node(c, "inconsistent", "js-mixed")
        after = members(c, "js-mixed")
        check(after == before, "group disturbed: %r -> %r" % (before, after))
        p = run([os.path.join(BIN, "kafka-consumer-groups.sh"), "--bootstrap-server", c.bootstrap,
                 "--describe", "--group", "js-mixed", "--state"])
        check(" range " in p.stdout.decode() and " Stable " in p.stdout.decode(), p.stdout.decode())
    finally:
        rk.kill()
        rk.wait()

harness.main(test, brokers=1, broker_props=PROPS, name="0121-groups_kafkajs")
PY
