#!/usr/bin/python3
"""Proves the operator tools against a live two-broker cluster: kafka-broker-api-versions.sh prints every broker in Kafka 2.8's BrokerApiVersionsCommand format (header with id and rack, one line per API with Kafka's name, range and usable version, UNSUPPORTED for 2.8 APIs the broker does not serve); kafka-get-offsets.sh prints topic:partition:offset for latest, earliest and by-timestamp queries with --topic regexes, --partitions, --topic-partitions and --exclude-internal-topics; kafka-run-class.sh runs the mapped Kafka classes and refuses unknown ones."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log  # noqa: E402


def tool(name, *args, check_rc=True):
    p = harness.run([os.path.join(harness.BIN, name)] + list(args), timeout=120,
                    check_rc=check_rc, what=name)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def test(c):
    c.add_broker(0, props={"broker.rack": "r0"})
    c.add_broker(1, props={"broker.rack": "r1"})
    # ---- kafka-broker-api-versions.sh ----
    rc, out, err = tool("kafka-broker-api-versions.sh", "--bootstrap-server", c.bootstrap)
    log(out)
    blocks = re.findall(r"^(\S+):(\d+) \(id: (\d+) rack: (\S+)\) -> \(\n((?:\t.*\n)+)\)$", out, re.M)
    check(len(blocks) == 2, "expected two broker blocks, got:\n" + out)
    racks = {int(b[2]): b[3] for b in blocks}
    check(racks == {0: "r0", 1: "r1"}, "ids/racks %r" % racks)
    for b in blocks:
        check(int(b[1]) == c.brokers[int(b[2])].port, "port of broker %s" % b[2])
        lines = b[4].rstrip("\n").split("\n")
        check(all(l.startswith("\t") for l in lines), "lines not tab-indented")
        check(all(l.endswith(",") for l in lines[:-1]) and not lines[-1].endswith(","),
              "separators: every line but the last ends with ','")
        text = b[4]
        for want in ("\tProduce(0): 0 to 9 [usable: 9],", "\tFetch(1): 0 to 12 [usable: 12],",
                     "\tApiVersions(18): 0 to 3 [usable: 3],",
                     "\tAlterPartitionReassignments(45): 0 [usable: 0],",
                     "\tDescribeCluster(60): 0 [usable: 0],",
                     "\tSaslHandshake(17): 0 to 1 [usable: 1],",
                     "\tAlterReplicaLogDirs(34): 0 to 2 [usable: 2],",
                     "\tAlterClientQuotas(49): 0 to 1 [usable: 1],",
                     "\tCreateDelegationToken(38): UNSUPPORTED,",
                     "\tDescribeProducers(61): UNSUPPORTED"):
            check(want in text, "%r missing from broker %s's block" % (want, b[2]))
        keys = [int(m) for m in re.findall(r"^\t\w+\((\d+)\):", text, re.M)]
        check(keys == sorted(keys) and len(keys) == len(set(keys)), "APIs not sorted by key")
    rc, out, err = tool("kafka-broker-api-versions.sh", check_rc=False)
    check(rc != 0 and "bootstrap-server" in err, "missing --bootstrap-server accepted")

    # ---- kafka-get-offsets.sh ----
    c.create_topic("orders", partitions=3, rf=1)
    c.create_topic("orders-eu", partitions=1, rf=1)
    c.kcat("-P", "-t", "orders", "-p", "0", input=b"a\nb\nc\n")
    c.kcat("-P", "-t", "orders", "-p", "2", input=b"x\n")
    c.kcat("-P", "-t", "orders-eu", "-p", "0", input=b"e\ne\n")
    rc, out, err = tool("kafka-get-offsets.sh", "--bootstrap-server", c.bootstrap, "--topic", "orders")
    check(out == "orders:0:3\norders:1:0\norders:2:1\n", "latest offsets of orders:\n%s%s" % (out, err))
    rc, out, err = tool("kafka-get-offsets.sh", "--broker-list", c.bootstrap, "--topic", "orders.*",
                        "--partitions", "0", "--time", "-2")
    check(out == "orders:0:0\norders-eu:0:0\n", "earliest offsets of orders.* p0:\n" + out)
    rc, out, err = tool("kafka-get-offsets.sh", "--bootstrap-server", c.bootstrap,
                        "--topic-partitions", "orders:1-,orders-eu")
    check(out == "orders:1:0\norders:2:1\norders-eu:0:2\n", "topic-partitions:\n" + out)
    rc, out, err = tool("kafka-get-offsets.sh", "--bootstrap-server", c.bootstrap,
                        "--topic-partitions", "orders:0", "--time", "0")
    check(out == "orders:0:0\n", "by timestamp 0:\n" + out)
    # Consumer offsets exist once a group commits; the option hides them.
    c.kcat("-G", "g1", "-o", "beginning", "-e", "-q", "orders")
    c.wait_for_leaders("__consumer_offsets", 50)
    rc, out, err = tool("kafka-get-offsets.sh", "--bootstrap-server", c.bootstrap)
    check("__consumer_offsets:0:" in out, "internal topic missing without the option:\n" + out)
    rc, out, err = tool("kafka-get-offsets.sh", "--bootstrap-server", c.bootstrap,
                        "--exclude-internal-topics")
    check("__consumer_offsets" not in out and "orders:0:3" in out,
          "--exclude-internal-topics:\n" + out)
    rc, out, err = tool("kafka-get-offsets.sh", "--bootstrap-server", c.bootstrap, "--topic", "nope",
                        check_rc=False)
    check(rc != 0 and "Could not match any topic-partitions" in err, "no match: %d %r" % (rc, err))
    rc, out, err = tool("kafka-get-offsets.sh", "--bootstrap-server", c.bootstrap, "--topic", "orders",
                        "--topic-partitions", "orders:0", check_rc=False)
    check(rc != 0, "--topic with --topic-partitions accepted")

    # ---- kafka-run-class.sh ----
    rc, out, err = tool("kafka-run-class.sh", "kafka.tools.GetOffsetShell", "--bootstrap-server",
                        c.bootstrap, "--topic", "orders-eu")
    check(out == "orders-eu:0:2\n", "run-class GetOffsetShell:\n" + out)
    rc, out, err = tool("kafka-run-class.sh", "kafka.admin.TopicCommand", "--bootstrap-server",
                        c.bootstrap, "--list")
    check("orders-eu" in out.split(), "run-class TopicCommand --list:\n" + out)
    rc, out, err = tool("kafka-run-class.sh", "kafka.admin.BrokerApiVersionsCommand",
                        "--bootstrap-server", c.bootstrap)
    check(out.count(" -> (") == 2, "run-class BrokerApiVersionsCommand:\n" + out)
    rc, out, err = tool("kafka-run-class.sh", "kafka.tools.MirrorMaker", check_rc=False)
    check(rc == 1 and 'Missing required argument "[consumer.config]"' in err,
          "run-class MirrorMaker: rc %d %r" % (rc, err))
    rc, out, err = tool("kafka-run-class.sh", "kafka.tools.StreamsResetter", check_rc=False)
    check(rc != 0 and "kafka.tools.StreamsResetter is not available" in err,
          "unknown class: rc %d %r" % (rc, err))


if __name__ == "__main__":
    harness.main(test, brokers=0)
