#!/usr/bin/python3
"""kafka-dump-log.sh --offsets-decoder prints the records of __consumer_offsets
segments as Kafka 2.8's offsets decoder does: offset commits as
'key: offset_commit::group=G,partition=T-P payload: offset=N[,metadata=M]',
group metadata as 'key: group_metadata::group=G payload: {"protocolType":
"consumer","protocol":"range","generationId":N,"assignment":"{member=[T-0,
T-1]}"}', tombstones as '<DELETE>'; the option implies --print-data-log;
a record without a key (any ordinary topic's key-less record) stops the
tool with Kafka's message and a non-zero status."""
import glob
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import BIN, check, log, run  # noqa: E402
from confluent_kafka import Consumer, TopicPartition  # noqa: E402
from kafka import KafkaConsumer, OffsetAndMetadata  # noqa: E402
from kafka import TopicPartition as KTopicPartition  # noqa: E402

PROPS = {
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "1",
    "group.initial.rebalance.delay.ms": "0",
    "group.min.session.timeout.ms": "1000",
}
GROUP = "decoded-group"
TOPIC = "decoded"


def dump(files, check_rc=True):
    return run([os.path.join(BIN, "kafka-dump-log.sh"), "--offsets-decoder", "--files",
                ",".join(files)], check_rc=check_rc, what="kafka-dump-log.sh --offsets-decoder")


def test(c):
    c.create_topic(TOPIC, partitions=2)
    k = Consumer({"bootstrap.servers": c.bootstrap, "group.id": GROUP, "client.id": "dec-client",
                  "session.timeout.ms": 6000, "enable.auto.commit": False})
    k.subscribe([TOPIC])
    deadline = time.time() + 30
    while len(k.assignment()) != 2:
        k.poll(0.2)
        check(time.time() < deadline, "no assignment")
    k.commit(offsets=[TopicPartition(TOPIC, 0, 0)], asynchronous=False)
    k.close()
    # A commit with metadata, from a client that is not a group member.
    kp = KafkaConsumer(bootstrap_servers=c.bootstrap, group_id=GROUP, enable_auto_commit=False)
    kp.commit({KTopicPartition(TOPIC, 1): OffsetAndMetadata(7, "m1")})
    kp.close()
    p = run([os.path.join(BIN, "kafka-consumer-groups.sh"), "--bootstrap-server", c.bootstrap,
             "--delete", "--group", GROUP])
    check(b"was successful" in p.stdout, "delete: %r" % p.stdout)

    segs = sorted(glob.glob(os.path.join(c.brokers[0].data_dir, "__consumer_offsets-0", "*.log")))
    check(segs, "no __consumer_offsets segment")
    out = dump(segs).stdout.decode()
    log(out)
    recs = re.findall(r"^\| offset: (\d+) .* headerKeys: \[\] key: (\S+) payload: (.*)$", out, re.M)
    check(recs, "no decoded records")
    mine = [(key, val) for _, key, val in recs if ("group=%s," % GROUP) in key or
            key == "group_metadata::group=%s" % GROUP]
    commits = [(key, val) for key, val in mine if key.startswith("offset_commit::")]
    check(("offset_commit::group=%s,partition=%s-0" % (GROUP, TOPIC), "offset=0") in commits,
          "plain commit: %r" % commits)
    check(("offset_commit::group=%s,partition=%s-1" % (GROUP, TOPIC), "offset=7,metadata=m1")
          in commits, "commit with metadata: %r" % commits)
    check(sorted(key for key, val in commits if val == "<DELETE>") ==
          ["offset_commit::group=%s,partition=%s-%d" % (GROUP, TOPIC, p) for p in (0, 1)],
          "offset tombstones: %r" % commits)
    metas = [val for key, val in mine if key.startswith("group_metadata::")]
    stable = [json.loads(v) for v in metas if v.startswith("{") and "dec-client-" in v]
    check(stable, "no group metadata naming the member: %r" % metas)
    v = stable[-1]
    m = re.match(r"\{(dec-client-[0-9a-f-]{36})=", v["assignment"])
    check(m, "assignment %r" % v)
    member = m.group(1)
    check(list(v) == ["protocolType", "protocol", "generationId", "assignment"],
          "field order %r" % list(v))
    check(v["protocolType"] == "consumer" and v["protocol"] == "range" and v["generationId"] >= 1,
          "group metadata %r" % v)
    check(v["assignment"] == "{%s=[%s-0, %s-1]}" % (member, TOPIC, TOPIC), "assignment %r" % v)
    check(metas[-1] == "<DELETE>", "group tombstone last: %r" % metas[-1:])
    check(re.search(r'payload: \{"protocolType":"consumer","protocol":null,"generationId":\d+,'
                    r'"assignment":"\{\}"\}', out), "the Empty group after the member left")
    # Every record line carries Kafka 2.8's record metadata before the key.
    check(all(" isValid: true crc: null keySize: " in l for l in out.splitlines()
              if l.startswith("| ")), "record metadata missing")

    # A key-less record: Kafka's decoder refuses it and the tool stops.
    run([harness.KCAT, "-P", "-b", c.bootstrap, "-t", TOPIC, "-p", "0"], input=b"no-key\n",
        what="kcat -P")
    data = sorted(glob.glob(os.path.join(c.brokers[0].data_dir, TOPIC + "-0", "*.log")))
    p = dump(data, check_rc=False)
    check(p.returncode != 0, "a key-less record decoded")
    check(b"Failed to decode message using offset topic decoder (message had a missing key)"
          in p.stderr, "stderr: %r" % p.stderr)


harness.main(test, brokers=1, broker_props=PROPS)
