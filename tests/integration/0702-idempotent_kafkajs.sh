#!/bin/sh
# Proves kafkajs 2.2.4's idempotent producer (idempotent: true) gets a producer id from Samsa (its batches carry producer id 0, epoch 0, sequences from 0) and every send is acknowledged at consecutive offsets that add up to the count sent.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
jsdir="$here/../js"
if [ ! -d "$jsdir/node_modules/kafkajs" ]; then
	(cd "$jsdir" && npm ci --no-audit --no-fund)
fi
exec /usr/bin/python3 - "$jsdir" <<'PY'
import os, sys
sys.path.insert(0, os.environ.get("SM_IT_DIR") or os.path.join(sys.argv[1], "..", "integration"))
import harness
from harness import check, run, log

JSDIR = os.path.abspath(sys.argv[1])

def test(c):
    c.create_topic("js-idem", partitions=3)
    p = run(["node", os.path.join(JSDIR, "idempotent.js"), c.bootstrap, "js-idem", "3", "3000"],
            timeout=300, env={"NODE_PATH": os.path.join(JSDIR, "node_modules"),
                              "KAFKAJS_NO_PARTITIONER_WARNING": "1"}, what="node idempotent.js")
    log(p.stdout.decode().strip())
    check(b"PASS:" in p.stdout, "no PASS line from idempotent.js")
    seg = os.path.join(c.brokers[0].data_dir, "js-idem-0", "%020d.log" % 0)
    d = run([os.path.join(harness.BIN, "kafka-dump-log.sh"), "--files", seg],
            env=dict(os.environ, SAMSA_BUILD_DIR=harness.BUILD), what="kafka-dump-log.sh")
    out = d.stdout.decode()
    check("producerId: 0 producerEpoch: 0" in out and "baseSequence: 0 " in out,
          "the batches do not carry the producer id: %r" % out[:600])
    log("batches carry producer id 0, epoch 0, sequences from 0")

harness.main(test, brokers=1, name="0702-idempotent_kafkajs")
PY
