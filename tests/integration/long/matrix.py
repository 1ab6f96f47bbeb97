"""The replication matrix shared by the long tests 0450 (PLAINTEXT) and 0451
(SASL_SSL): a 3-partition RF=3 topic on 3 brokers, min.insync.replicas=2,
an idempotent acks=all kafka-verifiable-producer and a group
kafka-verifiable-consumer running throughout, while one failure is applied to
the partition leader or the controller. Afterwards every acknowledged record
must have been consumed and each partition must keep acknowledgement order.

A case is (failure, target): failure one of FAILURES (the bounces repeat
three times), target one of TARGETS. client_props, when given, are written
into the tools' --producer.config / --consumer.config files (Kafka client
property names, which the tools translate for librdkafka)."""
import json
import os
import subprocess
import threading

from harness import BIN, BUILD, check, log, wait_until

# Broker properties the matrix relies on: quick failure detection, no
# unclean elections, a replicated __consumer_offsets.
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
FULL = [(f, t) for f in FAILURES for t in TARGETS]


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
    return all(zk.exists("/brokers/topics/%s/partitions/%d/state" % (topic, p)) and
               len(state(zk, topic, p)["isr"]) == 3 for p in range(3))


def target_broker(c, zk, topic, target):
    if target == "leader":
        return c.brokers[state(zk, topic, 0)["leader"]]
    return c.brokers[json.loads(zk.get("/controller")[0])["brokerid"]]


def write_props(path, props):
    with open(path, "w") as f:
        for k, v in props.items():
            f.write("%s=%s\n" % (k, v))
    return path


def run_case(c, zk, n, failure, target, client_props=None):
    topic = "matrix-%d" % n
    # Created through ZooKeeper and waited for there: c.create_topic would
    # ask for metadata over PLAINTEXT, which a SASL_SSL-only cluster lacks.
    p = c.topics("--zookeeper", c.zk_connect, "--create", "--topic", topic, "--partitions", "3",
                 "--replication-factor", "3")
    check(("Created topic %s." % topic) in p.stdout.decode(), "kafka-topics said %r" % p.stdout)
    wait_until(lambda: isr_full(zk, topic), 30, "full ISR")
    # Order under retries is Kafka's promise only for an idempotent producer
    # (a plain one with several requests in flight may reorder a retried
    # batch behind a later one), so the producer is idempotent.
    pprops = dict(client_props or {})
    pprops["enable.idempotence"] = "true"
    pcfg = write_props(os.path.join(c.root, "producer-%d.properties" % n), pprops)
    prod = Tool([os.path.join(BIN, "kafka-verifiable-producer.sh"), "--topic", topic,
                 "--bootstrap-server", c.bootstrap, "--throughput", "400", "--acks", "-1",
                 "--producer.config", pcfg])
    cargs = [os.path.join(BIN, "kafka-verifiable-consumer.sh"), "--topic", topic,
             "--bootstrap-server", c.bootstrap, "--group-id", "group-%d" % n, "--verbose",
             "--session-timeout", "10000"]
    if client_props:
        cargs += ["--consumer.config",
                  write_props(os.path.join(c.root, "consumer-%d.properties" % n), client_props)]
    cons = Tool(cargs)
    acked = lambda: len(prod.named("producer_send_success"))  # noqa: E731
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


def run_matrix(c, cases=FULL, client_props=None):
    """Runs each (failure, target) case on its own topic, in order."""
    zk = c.kazoo()
    for n, (failure, target) in enumerate(cases):
        run_case(c, zk, n, failure, target, client_props)
