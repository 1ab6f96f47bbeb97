#!/usr/bin/python3
"""Proves Kafka's classic replication matrix on 3 brokers (3-partition RF=3 topic, min.insync.replicas=2, acks=all, idempotent verifiable producer and group consumer running throughout): for each of clean shutdown, hard kill, clean bounce x3 and hard bounce x3 of the partition leader and of the controller, every acknowledged record is consumed afterwards and each partition keeps acknowledgement order. Run by `make check-long`."""
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402
from harness import BIN, BUILD, check, log, wait_until  # noqa: E402

PROPS = {
    "zookeeper.session.timeout.ms": "6000",
    "replica.lag.time.max.ms": "4000",
    "min.insync.replicas": "2",
    "unclean.leader.election.enable": "false",
    "offsets.topic.replication.factor": "3",
    "offsets.topic.num.partitions": "3",
    "controlled.shutdown.retry.backoff.ms": "500",
    "group.initial.rebalance.delay.ms": "0",
}
FAILURES = ["clean_shutdown", "hard_shutdown", "clean_bounce", "hard_bounce"]
TARGETS = ["leader", "controller"]


class Tool(threading.Thread):
    """A JSON-line tool; events collected as they arrive."""

    def __init__(self, args):
        super().__init__(daemon=True)
        env = dict(os.environ, SAMSA_BUILD_DIR=BUILD)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        self.events = []
        self.start()

    def run(self):
        for line in self.proc.stdout:
            try:
                self.events.append(json.loads(line))
            except ValueError:
                pass

    def named(self, name):
        return [e for e in list(self.events) if e["name"] == name]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(60)
        self.join(30)


def state(zk, topic, p):
    return json.loads(zk.get("/brokers/topics/%s/partitions/%d/state" % (topic, p))[0])


def isr_full(zk, topic):
    return all(len(state(zk, topic, p)["isr"]) == 3 for p in range(3))


def target_broker(c, zk, topic, target):
    if target == "leader":
        return c.brokers[state(zk, topic, 0)["leader"]]
    return c.brokers[json.loads(zk.get("/controller")[0])["brokerid"]]


def run_case(c, zk, n, failure, target):
    topic = "matrix-%d" % n
    c.create_topic(topic, partitions=3, rf=3)
    wait_until(lambda: isr_full(zk, topic), 30, "full ISR")
    # Order under retries is Kafka's promise only for an idempotent producer
    # (a plain one with several requests in flight may reorder a retried
    # batch behind a later one), so the producer is idempotent.
    pcfg = os.path.join(c.root, "producer-%d.properties" % n)
    with open(pcfg, "w") as f:
        f.write("enable.idempotence=true\n")
    prod = Tool([os.path.join(BIN, "kafka-verifiable-producer.sh"), "--topic", topic,
                 "--bootstrap-server", c.bootstrap, "--throughput", "400", "--acks", "-1",
                 "--producer.config", pcfg])
    cons = Tool([os.path.join(BIN, "kafka-verifiable-consumer.sh"), "--topic", topic,
                 "--bootstrap-server", c.bootstrap, "--group-id", "group-%d" % n, "--verbose",
                 "--session-timeout", "10000"])
    acked = lambda: len(prod.named("producer_send_success"))
    wait_until(lambda: acked() > 300 and cons.named("records_consumed"), 60, "traffic flowing")
    rounds = 3 if "bounce" in failure else 1
    for _ in range(rounds):
        b = target_broker(c, zk, topic, target)
        log("%s of broker %d (%s)" % (failure, b.id, target))
        if failure.startswith("clean"):
            check(b.stop() == 0, "clean stop of broker %d" % b.id)
        else:
            b.kill9()
            wait_until(lambda: not zk.exists("/brokers/ids/%d" % b.id), 30,
                       "broker %d's registration to expire" % b.id)
        before = acked()
        wait_until(lambda: acked() > before + 200, 60, "progress with broker %d down" % b.id)
        b.start()
        wait_until(lambda: isr_full(zk, topic), 60, "broker %d back in the ISRs" % b.id)
    before = acked()
    wait_until(lambda: acked() > before + 200, 60, "progress after the failures")
    prod.stop()
    ok = prod.named("producer_send_success")
    want = {(e["partition"], e["offset"]): e["value"] for e in ok}

    def consumed_all():
        got = {(e["partition"], e["offset"]): e["value"] for e in cons.named("record_data")}
        return all(got.get(k) == v for k, v in want.items())
    wait_until(consumed_all, 90, "consumer to read every acknowledged record")
    cons.stop()
    for p in range(3):
        offs = sorted((o, v) for (pp, o), v in want.items() if pp == p)
        vals = [int(v) for (_o, v) in offs]
        check(vals == sorted(vals), "partition %d: acknowledged values out of offset order" % p)
    log("%s/%s: %d acknowledged, all consumed, order kept (send errors: %d)" %
        (failure, target, len(want), len(prod.named("producer_send_error"))))


def test(c):
    zk = c.kazoo()
    n = 0
    for failure in FAILURES:
        for target in TARGETS:
            run_case(c, zk, n, failure, target)
            n += 1


harness.main(test, brokers=3, broker_props=PROPS)
