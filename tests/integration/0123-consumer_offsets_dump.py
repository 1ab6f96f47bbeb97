"""The __consumer_offsets segments on disk decode as Kafka's OffsetCommitKey/Value and GroupMetadataKey/Value records (tests/tools/offsets_dump over src/protocol/group_records.h): committed offsets, the group's generation/protocol/members, and the tombstones a group deletion writes."""

import glob
import json
import os
import time

import harness
from harness import BIN, check, log, run
from confluent_kafka import Consumer, TopicPartition

PROPS = {
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "3",
    "group.initial.rebalance.delay.ms": "0",
    "group.min.session.timeout.ms": "1000",
}
GROUP = "dump-group"


def dump(c):
    segs = sorted(glob.glob(os.path.join(c.brokers[0].data_dir, "__consumer_offsets-*", "*.log")))
    check(segs, "no __consumer_offsets segments")
    p = run([os.path.join(harness.BUILD, "tests", "tools", "offsets_dump")] + segs,
            check_rc=False, what="offsets_dump")
    check(p.returncode == 0, "records do not decode: %s" % p.stderr.decode())
    return [json.loads(l) for l in p.stdout.decode().split("\n") if l]


def test(c):
    c.create_topic("dumped", partitions=2)
    k = Consumer({"bootstrap.servers": c.bootstrap, "group.id": GROUP, "client.id": "dump-client",
                  "session.timeout.ms": 6000, "enable.auto.commit": False})
    k.subscribe(["dumped"])
    deadline = time.time() + 30
    while len(k.assignment()) != 2:
        k.poll(0.2)
        check(time.time() < deadline, "no assignment")
    k.commit(offsets=[TopicPartition("dumped", 0, 0), TopicPartition("dumped", 1, 0)],
             asynchronous=False)
    k.close()

    recs = dump(c)
    commits = [r for r in recs if r["key"]["type"] == "offset_commit" and r["key"]["group"] == GROUP]
    check(sorted((r["key"]["topic"], r["key"]["partition"]) for r in commits if r["value"]) ==
          [("dumped", 0), ("dumped", 1)], "offset commits: %r" % commits)
    check(all(r["value"]["offset"] == 0 and r["value"]["commitTimestamp"] > 0 for r in commits),
          "offset values: %r" % commits)
    metas = [r for r in recs if r["key"]["type"] == "group_metadata" and r["key"]["group"] == GROUP]
    stable = [r for r in metas if r["value"] and r["value"]["members"]]
    check(stable, "no group metadata with members: %r" % metas)
    v = stable[-1]["value"]
    check(v["protocolType"] == "consumer" and v["protocol"] == "range" and v["generation"] >= 1,
          "group metadata: %r" % v)
    m = v["members"][0]
    check(m["clientId"] == "dump-client" and m["clientHost"] == "/127.0.0.1" and
          m["sessionTimeout"] == 6000 and m["assignmentBytes"] > 0 and m["memberId"] == v["leader"],
          "member metadata: %r" % m)
    check(metas[-1]["value"] is not None and metas[-1]["value"]["members"] == [],
          "after the member left the group is stored Empty: %r" % metas[-1])

    # Deleting the group writes tombstones for its offsets and its metadata.
    p = run([os.path.join(BIN, "kafka-consumer-groups.sh"), "--bootstrap-server", c.bootstrap,
             "--delete", "--group", GROUP])
    check(b"was successful" in p.stdout, "delete: %r" % p.stdout)
    recs = dump(c)
    mine = [r for r in recs if r["key"]["group"] == GROUP]
    tomb = [r for r in mine if r["value"] is None]
    check(any(r["key"]["type"] == "group_metadata" for r in tomb) and
          sorted(r["key"]["partition"] for r in tomb if r["key"]["type"] == "offset_commit") == [0, 1],
          "tombstones: %r" % tomb)
    log("%d records decoded, %d for %s" % (len(recs), len(mine), GROUP))


harness.main(test, brokers=1, broker_props=PROPS)
