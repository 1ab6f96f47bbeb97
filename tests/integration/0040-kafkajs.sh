#!/bin/sh
# Proves kafkajs 2.2.4 produces (acks -1) to explicit partitions with correct base offsets and watermarks, and the records read back identical (kafkajs group consumer when the broker has FindCoordinator, else kcat).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
jsdir="$here/../js"
if [ ! -d "$jsdir/node_modules/kafkajs" ]; then
	(cd "$jsdir" && npm ci --no-audit --no-fund)
fi
# The harness runs ZooKeeper and the broker; the node script is the test.
exec /usr/bin/python3 - "$jsdir" <<'PY'
import os, sys
sys.path.insert(0, os.environ.get("SM_IT_DIR") or os.path.join(sys.argv[1], "..", "integration"))
import harness
from harness import run, log

JSDIR = os.path.abspath(sys.argv[1])

def test(c):
    c.create_topic("js-topic", partitions=3)
    p = run(["node", os.path.join(JSDIR, "roundtrip.js"), c.bootstrap, "js-topic", "3", "3000"],
            timeout=300, env={"NODE_PATH": os.path.join(JSDIR, "node_modules"),
                              "KAFKAJS_NO_PARTITIONER_WARNING": "1"}, what="node roundtrip.js")
    log(p.stdout.decode().strip())

harness.main(test, brokers=1, name="0040-kafkajs")
PY
