#!/usr/bin/python3
"""Proves the controller creates a new topic's partition znodes in batches with Kafka 2.8's layout: a 200-partition topic made with kafka-topics.sh takes a handful of ZooKeeper requests (not one per znode) and every partitions/<p>/state holds leader 0, leader epoch 0, ISR [0], and each partition directory (the logs made on several threads) holds a new partition's files with leader epoch 0 in its leader-epoch-checkpoint; a topic whose partitions/70/state an earlier controller already wrote (and partitions/199 without its state) still gets every partition, the existing state adopted as it is (leader epoch 5 kept), and the adopted partition and a fresh one take and serve records, which a kill -9 and restart of the broker right after keeps."""
import base64
import json
import os
import re
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402

N = 200
STARTED = re.compile(r"Started (\d+) new partitions of topic (\S+) in \d+ ms with (\d+) ZooKeeper requests")


def started(c, topic):
    """ZooKeeper requests the controller's line for topic's creation names,
    or None before it is written."""
    with open(os.path.join(c.brokers[0].log_dir, "controller.log"), errors="replace") as f:
        for m in STARTED.finditer(f.read()):
            if m.group(2) == topic:
                return int(m.group(1)), int(m.group(3))
    return None


def states(zk, topic):
    out = {}
    for p in range(N):
        path = "/brokers/topics/%s/partitions/%d/state" % (topic, p)
        data, _ = zk.get(path)
        out[p] = json.loads(data.decode())
    return out


def all_states(zk, topic):
    path = "/brokers/topics/%s/partitions" % topic
    return zk.exists(path) and all(zk.exists("%s/%d/state" % (path, p)) for p in range(N))


def produce_and_read(c, topic, partition, value):
    c.kcat("-P", "-t", topic, "-p", str(partition), input=(value + "\n").encode())
    recs = c.read_partition(topic, partition)
    check([r[1] for r in recs] == [value.encode()], "%s-%d holds %r, expected [%r]" % (topic, partition, recs, value))


def test(c):
    zk = c.kazoo()
    # 1. a plain creation: few requests, Kafka's state znodes
    c.create_topic("plain", partitions=N, via="bootstrap")
    wait_until(lambda: started(c, "plain"), 30, "the controller's line for plain")
    n, reqs = started(c, "plain")
    check(n == N, "controller started %d partitions of plain, expected %d" % (n, N))
    # the partitions/ parent, then one multi per 64 partitions (4 here)
    check(reqs <= 10, "plain's %d partitions took %d ZooKeeper requests, expected at most 10" % (N, reqs))
    sts = states(zk, "plain")
    for p, st in sts.items():
        check(st.get("version") == 1 and st.get("leader") == 0 and st.get("leader_epoch") == 0 and
              st.get("isr") == [0] and isinstance(st.get("controller_epoch"), int),
              "plain-%d state %r" % (p, st))
    ctrl_epoch = sts[0]["controller_epoch"]
    # the broker made the 200 logs on several threads: each directory holds
    # what a new partition's holds, its leader epoch 0 checkpointed
    data = c.brokers[0].data_dir
    for p in range(N):
        d = os.path.join(data, "plain-%d" % p)
        files = sorted(os.listdir(d))
        check(files == ["00000000000000000000.index", "00000000000000000000.log",
                        "00000000000000000000.timeindex", "leader-epoch-checkpoint"],
              "plain-%d holds %r" % (p, files))
        with open(os.path.join(d, "leader-epoch-checkpoint")) as f:
            lec = f.read()
        check(lec == "0\n1\n0 0\n", "plain-%d leader-epoch-checkpoint %r" % (p, lec))
    log("plain: %d partitions with %d ZooKeeper requests" % (N, reqs))

    # 2. an earlier controller's partial work: the topic appears with
    # partitions/70/state and partitions/199 already there
    topic_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    asg = {"version": 3, "topic_id": topic_id, "partitions": {str(p): [0] for p in range(N)},
           "adding_replicas": {}, "removing_replicas": {}}
    old = {"controller_epoch": ctrl_epoch, "leader": 0, "version": 1, "leader_epoch": 5, "isr": [0]}
    tx = zk.transaction()
    tx.create("/brokers/topics/adopt", json.dumps(asg).encode())
    tx.create("/brokers/topics/adopt/partitions", b"")
    tx.create("/brokers/topics/adopt/partitions/70", b"")
    tx.create("/brokers/topics/adopt/partitions/70/state", json.dumps(old).encode())
    tx.create("/brokers/topics/adopt/partitions/199", b"")
    res = tx.commit()
    check(all(not isinstance(r, Exception) for r in res), "transaction failed: %r" % res)
    wait_until(lambda: all_states(zk, "adopt"), 60, "every state znode of adopt")
    c.wait_for_leaders("adopt", N)
    sts = states(zk, "adopt")
    check(sts[70].get("leader_epoch") == 5 and sts[70].get("leader") == 0,
          "adopt-70's existing state was not kept: %r" % sts[70])
    for p, st in sts.items():
        if p != 70:
            check(st.get("leader") == 0 and st.get("leader_epoch") == 0 and st.get("isr") == [0],
                  "adopt-%d state %r" % (p, st))
    n, reqs = started(c, "adopt")
    check(n == N, "controller started %d partitions of adopt, expected %d" % (n, N))
    log("adopt: %d partitions with %d ZooKeeper requests (the batches holding 70 and 199 redone)" % (N, reqs))
    produce_and_read(c, "adopt", 70, "adopted")
    produce_and_read(c, "adopt", 199, "last")
    produce_and_read(c, "plain", 131, "plain")

    # 3. a crash right after: every partition comes back with its records
    c.brokers[0].kill9()
    c.brokers[0].start()
    c.wait_for_leaders("plain", N, timeout=60)
    c.wait_for_leaders("adopt", N, timeout=60)
    for topic, part, value in (("plain", 131, "plain"), ("adopt", 70, "adopted"), ("adopt", 199, "last")):
        recs = c.read_partition(topic, part)
        check([r[1] for r in recs] == [value.encode()],
              "after kill -9, %s-%d holds %r, expected [%r]" % (topic, part, recs, value))
    for p in range(N):
        check(os.path.isdir(os.path.join(data, "plain-%d" % p)), "plain-%d's directory is gone after kill -9" % p)


if __name__ == "__main__":
    # a short session: the restart after kill -9 waits for it to expire
    harness.main(test, broker_props={"zookeeper.session.timeout.ms": "6000"})
