#!/bin/sh
# Proves the bin/ console tools work together: kafka-topics.sh create/list/describe over --bootstrap-server, kafka-console-producer.sh with parse.key, kafka-console-consumer.sh reading keys back, zookeeper-shell.sh ls /brokers/ids ending with [0].
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 - "$here" <<'PY'
import os, sys
sys.path.insert(0, sys.argv[1])
import harness
from harness import BIN, check, run, log

def sh(name, *args, **kw):
    return run([os.path.join(BIN, name)] + list(args), what=name + " " + " ".join(args[:4]), **kw)

def test(c):
    bs = c.bootstrap
    p = sh("kafka-topics.sh", "--bootstrap-server", bs, "--create", "--topic", "console",
           "--partitions", "2", "--replication-factor", "1")
    check("Created topic console." in p.stdout.decode(), "create: %r" % p.stdout)
    c.wait_for_leaders("console", 2)
    p = sh("kafka-topics.sh", "--bootstrap-server", bs, "--list")
    check("console" in p.stdout.decode().split("\n"), "list: %r" % p.stdout)
    p = sh("kafka-topics.sh", "--bootstrap-server", bs, "--describe", "--topic", "console")
    out = p.stdout.decode()
    check(out.startswith("Topic: console\t") and "PartitionCount: 2\tReplicationFactor: 1" in out,
          "describe header: %r" % out)
    for part in (0, 1):
        check("\tTopic: console\tPartition: %d\tLeader: 0\tReplicas: 0\tIsr: 0" % part in out,
              "describe partition %d: %r" % (part, out))

    records = ["key%d:value %d with spaces" % (i % 7, i) for i in range(200)]
    sh("kafka-console-producer.sh", "--bootstrap-server", bs, "--topic", "console",
       "--property", "parse.key=true", "--property", "key.separator=:",
       input="\n".join(records) + "\n", timeout=60)
    p = sh("kafka-console-consumer.sh", "--bootstrap-server", bs, "--topic", "console",
           "--from-beginning", "--max-messages", "200", "--timeout-ms", "30000",
           "--property", "print.key=true", "--property", "key.separator=:", timeout=90)
    got = p.stdout.decode().rstrip("\n").split("\n")
    check(sorted(got) == sorted(records), "consumer output differs: %d lines, first %r"
          % (len(got), got[:3]))
    check("Processed a total of 200 messages" in p.stderr.decode(), "stderr: %r" % p.stderr)
    # Same-key records keep their order (one key, one partition).
    for k in range(7):
        mine = [l for l in got if l.startswith("key%d:" % k)]
        check(mine == [r for r in records if r.startswith("key%d:" % k)], "key%d out of order" % k)

    p = sh("zookeeper-shell.sh", c.zk_connect, "ls", "/brokers/ids")
    last = p.stdout.decode().rstrip("\n").split("\n")[-1]
    check(last == "[0]", "zookeeper-shell last line %r" % last)
    p = sh("kafka-console-producer.sh", check_rc=False)
    check(p.returncode != 0 and p.stderr, "producer without arguments must fail with usage")
    log("console tools ok")

harness.main(test, brokers=1, name="0070-console_tools")
PY
