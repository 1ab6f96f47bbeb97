"""Starts and stops real Apache Kafka brokers (kafka.Kafka from the
org.apache.kafka:kafka_2.13 classpath that javautil.resolve(..., profile="cli")
returns) in ZooKeeper mode, for the differential oracle
(0620-differential_oracle) and the Kafka column of the benchmarks
(bench/vs_kafka.py).

Each broker gets its own directory under the caller's work dir (data,
server.properties, log4j.properties, server.log, kafka.out), a free loopback
port and inter.broker.protocol.version=2.8 / log.message.format.version=2.8,
so it speaks to clients as a 2.8 cluster would. Several brokers sharing one
ZooKeeper chroot form one cluster (different broker ids). The process is
started with the harness's PR_SET_DEATHSIG, so it never outlives the test.
"""
import os
import subprocess
import time

import harness
from harness import fail, log

# What bin/kafka-server-start.sh gives a broker: KAFKA_HEAP_OPTS and
# kafka-run-class.sh's KAFKA_JVM_PERFORMANCE_OPTS (G1). The GC log that
# -loggc adds is written into the broker's directory (see jvm_default()).
JVM_DEFAULT = ["-Xmx1G", "-Xms1G", "-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
               "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent",
               "-XX:MaxInlineLevel=15", "-Djava.awt.headless=true"]
# Small and quick to start, for tests that only send a few requests.
JVM_SMALL = ["-Xmx512m", "-Xms128m", "-XX:+UseSerialGC"]

STARTED = "started (kafka.server.KafkaServer)"


class KafkaBroker:
    """One kafka.Kafka process: proc, id, port, dir, server_log."""

    def __init__(self, proc, broker_id, port, d, t_spawn):
        self.proc = proc
        self.id = broker_id
        self.port = port
        self.dir = d
        self.t_spawn = t_spawn      # time.monotonic() just before Popen
        self.server_log = os.path.join(d, "server.log")
        self.out_path = os.path.join(d, "kafka.out")

    @property
    def pid(self):
        return self.proc.pid

    @property
    def bootstrap(self):
        return "127.0.0.1:%d" % self.port

    def started(self):
        """True once server.log has the 'started' line; fails if the
        process exited."""
        if self.proc.poll() is not None:
            fail("kafka.Kafka (broker %d) exited with %s:\n%s" % (
                self.id, self.proc.returncode,
                harness.tail(self.out_path) + harness.tail(self.server_log)))
        try:
            with open(self.server_log, errors="replace") as f:
                return STARTED in f.read()
        except OSError:
            return False

    def wait_started(self, timeout=90):
        try:
            harness.wait_until(self.started, timeout, "kafka.Kafka (broker %d) to start" % self.id,
                               interval=0.2)
        except BaseException:
            stop_kafka(self)
            print("---- kafka broker %d server.log (tail)\n%s" % (self.id,
                                                                  harness.tail(self.server_log, 60)))
            raise

    def log_tail(self, lines=60):
        return harness.tail(self.server_log, lines)


def jvm_default(d):
    return JVM_DEFAULT + ["-Xlog:gc*:file=%s:time,tags:filecount=10,filesize=100M"
                          % os.path.join(d, "kafkaServer-gc.log")]


def start_kafka(cp, zk_connect, broker_id, work, props=None, jvm=None, wait=True):
    """Starts kafka.Kafka with classpath `cp` as broker `broker_id`, on
    ZooKeeper `zk_connect` (host:port plus chroot, e.g. "127.0.0.1:2181/kafka";
    Kafka creates the chroot), in `work`/kafka-<id>. `props` override the
    defaults below; `jvm` is the JVM flags (default JVM_DEFAULT, i.e.
    kafka-server-start.sh's). Starting the same id in the same `work` again
    restarts it on its data (on a new port). With wait, returns once the broker logged
    that it started (failing after 90 s); the KafkaBroker either way."""
    port = harness.free_port()
    d = os.path.join(work, "kafka-%d" % broker_id)
    os.makedirs(os.path.join(d, "data"), exist_ok=True)   # a restart keeps its data
    conf = {
        "broker.id": str(broker_id), "listeners": "PLAINTEXT://127.0.0.1:%d" % port,
        "log.dirs": os.path.join(d, "data"), "zookeeper.connect": zk_connect,
        "inter.broker.protocol.version": "2.8", "log.message.format.version": "2.8",
        "num.partitions": "1", "auto.create.topics.enable": "true",
        "offsets.topic.replication.factor": "1", "offsets.topic.num.partitions": "50",
        "transaction.state.log.replication.factor": "1", "transaction.state.log.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0", "zookeeper.connection.timeout.ms": "18000",
    }
    conf.update({k: str(v) for k, v in (props or {}).items()})
    with open(os.path.join(d, "server.properties"), "w") as f:
        f.write("".join("%s=%s\n" % kv for kv in conf.items()))
    with open(os.path.join(d, "log4j.properties"), "w") as f:
        f.write("log4j.rootLogger=INFO, F\nlog4j.appender.F=org.apache.log4j.FileAppender\n"
                "log4j.appender.F.File=%s\nlog4j.appender.F.layout=org.apache.log4j.PatternLayout\n"
                "log4j.appender.F.layout.ConversionPattern=[%%d] %%p %%m (%%c)%%n\n"
                % os.path.join(d, "server.log"))
    flags = jvm_default(d) if jvm is None else list(jvm)
    out = open(os.path.join(d, "kafka.out"), "wb")
    t0 = time.monotonic()
    proc = subprocess.Popen(["java"] + flags +
                            ["-Dlog4j.configuration=file:" + os.path.join(d, "log4j.properties"),
                             "-cp", cp, "kafka.Kafka", os.path.join(d, "server.properties")],
                            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            preexec_fn=harness._die_with_parent)
    out.close()
    k = KafkaBroker(proc, broker_id, port, d, t0)
    if wait:
        k.wait_started()
        log("kafka.Kafka broker %d (pid %d) up on %d in %.1fs"
            % (broker_id, proc.pid, port, time.monotonic() - t0))
    return k


def stop_kafka(k, timeout=30):
    """SIGTERM (controlled shutdown), SIGKILL after `timeout` s; returns
    the exit status. Only ever signals the process start_kafka started."""
    proc = k.proc
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log("kafka.Kafka broker %d (pid %d) did not exit %ds after SIGTERM; killing it"
                % (k.id, proc.pid, timeout))
            proc.kill()
            proc.wait()
    return proc.returncode
