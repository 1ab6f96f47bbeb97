#!/usr/bin/python3
"""Proves reassignment throttles on 2 brokers: kafka-reassign-partitions --execute --throttle 200000 writes the topic's leader/follower.replication.throttled.replicas and both brokers' leader/follower.replication.throttled.rate as Kafka 2.8 does, the new replica then grows at no more than about the throttle (a behaviour bound: under 2x the rate over at least 5 s), and --verify removes every throttle once the reassignment completed, through a broker and through ZooKeeper. Then each side alone, with rates set live by kafka-configs.sh: a partition throttled only on the leader's side and one throttled only on the follower's side both grow at about the rate. Last, a replica in the ISR is never throttled: with both rates at 1 B/s and "*" in both lists, an in-sync follower copies 600 KB without ever leaving the ISR."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402
from ctlutil import assignment, replication_present, state  # noqa: E402

TOPIC = "thr"
RATE = 200000
TOOL = os.path.join(harness.BIN, "kafka-reassign-partitions.sh")
# Two windows of 1 s: the measured rate reacts within a second, so the
# first seconds of the move are throttled too (Kafka's default 11 windows
# let the first 10 s worth of the rate through at once).
PROPS = {"replication.quota.window.num": "2", "replication.quota.window.size.seconds": "1",
         "replica.fetch.max.bytes": "65536", "replica.fetch.backoff.ms": "100",
         # a throttled in-sync follower would leave the ISR soon (last phase)
         "replica.lag.time.max.ms": "8000"}


def tool(*args, check_rc=True):
    p = harness.run([TOOL] + list(args), check_rc=check_rc, timeout=60)
    return p.stdout.decode() + p.stderr.decode()


def plan(c, name, replicas):
    path = os.path.join(c.root, name)
    with open(path, "w") as f:
        json.dump({"version": 1, "partitions": [{"topic": TOPIC, "partition": 0, "replicas": replicas}]}, f)
    return path


def zk_config(zk, kind, name):
    if not zk.exists("/config/%s/%s" % (kind, name)):
        return {}
    return json.loads(zk.get("/config/%s/%s" % (kind, name))[0].decode())["config"]


def replica_bytes(b, tp=TOPIC + "-0"):
    d = os.path.join(b.data_dir, tp)
    if not os.path.isdir(d):
        return 0
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d) if f.endswith(".log"))


def verify_until_done(conn, path):
    out = [""]

    def done():
        out[0] = tool(*(conn + ["--verify", "--reassignment-json-file", path]), check_rc=False)
        return "is complete." in out[0] and "still in progress" not in out[0]
    wait_until(done, 60, "the reassignment to complete")
    return out[0]


def test(c):
    zk = c.kazoo()
    check(replication_present(c), "throttles need follower replication")
    c.topics("--zookeeper", c.zk_connect, "--create", "--topic", TOPIC, "--replica-assignment", "0")
    c.wait_for_leaders(TOPIC, 1)
    # about 2.5 MB on broker 0
    payload = "".join("%06d-%s\n" % (i, "x" * 993) for i in range(2500))
    # small batches: a follower fetch takes at least one whole batch
    c.kcat("-P", "-t", TOPIC, "-p", "0", "-X", "acks=all", "-z", "none", "-X", "batch.num.messages=32",
           input=payload)
    total = replica_bytes(c.brokers[0])
    check(total >= 2500 * 1000, "broker 0 holds only %d bytes" % total)

    conn = ["--bootstrap-server", c.bootstrap]
    p1 = plan(c, "add.json", [0, 1])
    out = tool(*(conn + ["--execute", "--throttle", str(RATE), "--reassignment-json-file", p1]))
    check("Warning: You must run --verify periodically, until the reassignment completes, to ensure "
          "the throttle is removed.\n" in out, "--execute said %r" % out)
    check("The inter-broker throttle limit was set to %d B/s\n" % RATE in out, "--execute said %r" % out)
    check("Successfully started partition reassignment for %s-0" % TOPIC in out, "--execute said %r" % out)
    # sources (current replicas) in the leader list, new replicas in the
    # follower list, the rate on every broker of either list
    tc = zk_config(zk, "topics", TOPIC)
    check(tc.get("leader.replication.throttled.replicas") == "0:0" and
          tc.get("follower.replication.throttled.replicas") == "0:1", "topic configs %r" % tc)
    for b in (0, 1):
        bc = zk_config(zk, "brokers", str(b))
        check(bc.get("leader.replication.throttled.rate") == str(RATE) and
              bc.get("follower.replication.throttled.rate") == str(RATE), "broker %d configs %r" % (b, bc))

    # The new replica's growth over at least 5 s stays under twice the rate.
    b1 = c.brokers[1]
    wait_until(lambda: replica_bytes(b1) > 0, 30, "broker 1 to start copying")
    t0, s0 = time.monotonic(), replica_bytes(b1)
    wait_until(lambda: time.monotonic() - t0 >= 5 or replica_bytes(b1) >= total, 30, "5 s of copying")
    t1, s1 = time.monotonic(), replica_bytes(b1)
    check(s1 < total, "broker 1 copied everything (%d of %d bytes) within %.1f s: not throttled"
          % (s1, total, t1 - t0))
    rate = (s1 - s0) / (t1 - t0)
    log("broker 1 copied %d bytes in %.1f s: %.0f B/s (throttle %d B/s)" % (s1 - s0, t1 - t0, rate, RATE))
    check(s1 > s0, "broker 1 made no progress")
    check(rate < 2 * RATE, "broker 1 grew at %.0f B/s, over twice the throttle" % rate)

    out = verify_until_done(conn, p1)
    check("Clearing broker-level throttles on brokers 0,1\n" in out and
          "Clearing topic-level throttles on topic %s\n" % TOPIC in out, "--verify said %r" % out)
    check(assignment(zk, TOPIC)["partitions"]["0"] == [0, 1], "assignment %r" % assignment(zk, TOPIC))
    check(replica_bytes(b1) == total, "broker 1 holds %d of %d bytes" % (replica_bytes(b1), total))
    tc = zk_config(zk, "topics", TOPIC)
    check(not any(k.endswith(".replication.throttled.replicas") for k in tc), "topic configs left %r" % tc)
    for b in (0, 1):
        bc = zk_config(zk, "brokers", str(b))
        check(not any(k.endswith(".replication.throttled.rate") for k in bc), "broker %d left %r" % (b, bc))
    log("throttles set by --execute and removed by --verify (--bootstrap-server)")

    # Through ZooKeeper: moving off broker 0 adds no replica, so the
    # follower list is empty and the leader list names both sources.
    conn = ["--zookeeper", c.zk_connect]
    p2 = plan(c, "drop.json", [1])
    out = tool(*(conn + ["--execute", "--throttle", "300000", "--reassignment-json-file", p2]))
    check("The inter-broker throttle limit was set to 300000 B/s" in out, "--execute said %r" % out)
    tc = zk_config(zk, "topics", TOPIC)
    check(tc.get("leader.replication.throttled.replicas") == "0:0,0:1" and
          tc.get("follower.replication.throttled.replicas") == "", "topic configs %r" % tc)
    check(zk_config(zk, "brokers", "1").get("follower.replication.throttled.rate") == "300000",
          "broker 1 configs %r" % zk_config(zk, "brokers", "1"))
    out = verify_until_done(conn, p2)
    check("Clearing topic-level throttles on topic %s" % TOPIC in out, "--verify said %r" % out)
    check(not any(k.endswith(".replication.throttled.replicas") for k in zk_config(zk, "topics", TOPIC)),
          "topic configs left %r" % zk_config(zk, "topics", TOPIC))
    for b in (0, 1):
        bc = zk_config(zk, "brokers", str(b))
        check(not any(k.endswith(".replication.throttled.rate") for k in bc), "broker %d left %r" % (b, bc))
    # --replica-alter-log-dirs-throttle goes only to brokers with a log dir
    # move in the file (0448 throttles a real one): p2 has none, so no
    # broker config changes. p2's replicas are the current ones, so this
    # reassignment completes at once.
    out = tool("--bootstrap-server", c.bootstrap, "--execute", "--replica-alter-log-dirs-throttle", "1",
               "--reassignment-json-file", p2)
    check("The replica-alter-dir throttle limit was set to 1 B/s" in out and "not applied" not in out,
          "--replica-alter-log-dirs-throttle: %r" % out)
    for b in (0, 1):
        bc = zk_config(zk, "brokers", str(b))
        check("replica.alter.log.dirs.io.max.bytes.per.second" not in bc, "broker %d configs %r" % (b, bc))
    log("throttles set and removed through ZooKeeper")
    test_one_side_each(c)


def test_one_side_each(c):
    """Partition 0 of t2 is throttled on its leader only (0:0 in the leader
    list), partition 1 on its new follower only (1:1 in the follower list),
    partition 2 not at all; the rates are set on the running brokers with
    kafka-configs.sh."""
    # different rates, so that each partition shows its own side's limit
    rates = {0: 100000, 1: 200000}  # leader rate of broker 0, follower rate of broker 1
    t2 = "t2"
    c.topics("--zookeeper", c.zk_connect, "--create", "--topic", t2, "--replica-assignment", "0,0,0",
             "--config", "leader.replication.throttled.replicas=0:0",
             "--config", "follower.replication.throttled.replicas=1:1")
    c.wait_for_leaders(t2, 3)
    payload = "".join("%06d-%s\n" % (i, "y" * 993) for i in range(2000))
    for part in (0, 1, 2):
        c.kcat("-P", "-t", t2, "-p", str(part), "-X", "acks=all", "-z", "none", "-X", "batch.num.messages=32",
               input=payload)
    total = [replica_bytes(c.brokers[0], "%s-%d" % (t2, part)) for part in (0, 1, 2)]
    for b in (0, 1):
        harness.run([os.path.join(harness.BIN, "kafka-configs.sh"), "--bootstrap-server", c.brokers[b].bootstrap,
                     "--entity-type", "brokers", "--entity-name", str(b), "--alter", "--add-config",
                     "leader.replication.throttled.rate=%d,follower.replication.throttled.rate=%d"
                     % (rates[b], rates[b])],
                    timeout=60)
    path = os.path.join(c.root, "t2.json")
    with open(path, "w") as f:
        json.dump({"version": 1, "partitions": [{"topic": t2, "partition": p, "replicas": [0, 1]} for p in (0, 1, 2)]}, f)
    tool("--bootstrap-server", c.bootstrap, "--execute", "--reassignment-json-file", path)
    b1 = c.brokers[1]

    def size(part):
        return replica_bytes(b1, "%s-%d" % (t2, part))
    # the unlisted partition is copied at full speed, ahead of the others
    wait_until(lambda: size(2) >= total[2], 30, "broker 1 to copy the unthrottled partition")
    check(size(0) < total[0] and size(1) < total[1],
          "the throttled partitions were copied as fast as the unthrottled one")
    wait_until(lambda: size(0) > 0 and size(1) > 0, 30, "broker 1 to start copying both partitions")
    t0, s0 = time.monotonic(), [size(0), size(1)]
    wait_until(lambda: time.monotonic() - t0 >= 5 or size(0) >= total[0] or size(1) >= total[1], 30,
               "5 s of copying")
    t1, s1 = time.monotonic(), [size(0), size(1)]
    for part, side in ((0, "leader"), (1, "follower")):
        r = (s1[part] - s0[part]) / (t1 - t0)
        log("%s-%d (%s side throttled): %d bytes in %.1f s, %.0f B/s (throttle %d B/s)"
            % (t2, part, side, s1[part] - s0[part], t1 - t0, r, rates[part]))
        check(s1[part] < total[part], "%s-%d copied within %.1f s: not throttled" % (t2, part, t1 - t0))
        check(s1[part] > s0[part], "%s-%d made no progress" % (t2, part))
        check(r < 2 * rates[part], "%s-%d grew at %.0f B/s, over twice the throttle" % (t2, part, r))
    out = verify_until_done(["--bootstrap-server", c.bootstrap], path)
    check(out.count("is complete.") == 3, "--verify said %r" % out)
    log("leader-side and follower-side throttles each hold a partition to about the rate")
    test_isr_never_throttled(c)


def set_rates(c, rate):
    for b in (0, 1):
        harness.run([os.path.join(harness.BIN, "kafka-configs.sh"), "--bootstrap-server", c.brokers[b].bootstrap,
                     "--entity-type", "brokers", "--entity-name", str(b), "--alter", "--add-config",
                     "leader.replication.throttled.rate=%d,follower.replication.throttled.rate=%d" % (rate, rate)],
                    timeout=60)


def test_isr_never_throttled(c):
    """Were an in-sync follower throttled at 1 B/s (in effect one 64 KB
    fetch every two windows), 600 KB written with acks=1 would take it about
    20 s to copy, and the leader would drop it from the ISR after
    replica.lag.time.max.ms (8 s): the partition state znode would change."""
    zk = c.kazoo()
    set_rates(c, 1)
    t3 = "t3"
    c.topics("--zookeeper", c.zk_connect, "--create", "--topic", t3, "--replica-assignment", "0:1",
             "--config", "leader.replication.throttled.replicas=*",
             "--config", "follower.replication.throttled.replicas=*")
    c.wait_for_leaders(t3, 1)
    wait_until(lambda: sorted(state(zk, t3, 0)["isr"]) == [0, 1], 30, "both replicas of t3-0 in the ISR")
    spath = "/brokers/topics/%s/partitions/0/state" % t3
    version = zk.get(spath)[1].version
    payload = "".join("%06d-%s\n" % (i, "z" * 993) for i in range(600))
    c.kcat("-P", "-t", t3, "-p", "0", "-X", "acks=1", "-z", "none", "-X", "batch.num.messages=32",
           input=payload)
    n0 = replica_bytes(c.brokers[0], t3 + "-0")
    check(n0 >= 600 * 1000, "t3-0 holds only %d bytes" % n0)
    wait_until(lambda: replica_bytes(c.brokers[1], t3 + "-0") == n0, 60, "the follower to copy t3-0")
    data, st = zk.get(spath)
    check(st.version == version and sorted(json.loads(data.decode())["isr"]) == [0, 1],
          "the ISR of t3-0 changed while its in-sync follower copied: %s (version %d, was %d)"
          % (data.decode(), st.version, version))
    log("an in-sync replica listed in both throttles kept up at 1 B/s rates")


harness.main(test, brokers=2, broker_props=PROPS)
