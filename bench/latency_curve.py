#!/usr/bin/python3
"""Produce latency against rate: Samsa beside librdkafka's mock cluster and
real Apache Kafka 3.9, one interleaved run, a table and a chart.

Figures only; nothing here passes or fails. One ZooKeeper (the integration
harness's) and, all started once and kept for the whole run:
- Samsa, one broker (bin/kafka-server-start.sh), topic of RF 1: acks=1;
- Samsa, three brokers, topic of RF 3 (min.insync.replicas=2): acks=all;
- Kafka 3.9 (kafka.Kafka through Maven, tests/integration/kafkautil.py,
  kafka-server-start.sh's JVM flags, IBP 2.8), one broker RF 1 acks=1 and
  three brokers RF 3 acks=all, the same layouts; skipped with the reason
  printed when Java, Maven or the jars are missing (SM_BENCH_CURVE_KAFKA=0
  skips it too);
- librdkafka's in-process mock cluster (test.mock.num.brokers=3, in the
  perf tool's own process, reached over loopback sockets like a broker),
  acks=1 and acks=all: the floor of the client library and the loopback
  with a broker that stores nothing on disk and replicates nothing.
Every topic has 6 partitions (the mock auto-creates its topic with its
default of 4) and first gets SM_BENCH_CURVE_WARMUP (default 100,000)
unmeasured records, since a JVM that has just started still JIT-compiles.

Then for each rate of SM_BENCH_CURVE_RATES (default 1000 5000 20000 50000
100000 msg/s), each case in turn (interleaved per rate): the producer perf
tool (bin/kafka-producer-perf-test.sh, librdkafka) sends rate x
SM_BENCH_CURVE_SECS (default 10) records of 100 B at --throughput rate,
linger.ms=0 and 5 requests in flight per connection (the Java producer's; see
vs_kafka.py for why not librdkafka's 1,000,000), and reports the achieved
rate and p50/p99/p99.9 latency from send to delivery report, in whole
milliseconds (the tool's resolution, as Kafka's). For the real brokers the
CPU seconds (utime+stime from /proc/PID/stat) of the case's broker processes
over the point, per GB of record values (10^9 B), and the load average.

Prints the table and the command that reruns it, and draws the chart
(matplotlib; skipped with a note when it is missing): latency percentile,
log scale, against the achieved rate, one line per system and case, to
SM_BENCH_CURVE_PNG (default docs/bench/latency_curve.png in the source
tree). bench/run.sh runs it unless SM_BENCH_CURVE=0.
"""
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import kafkautil  # noqa: E402
from harness import log  # noqa: E402
import vs_kafka  # noqa: E402
from vs_kafka import cpu_seconds, produce, topics, wait_leaders  # noqa: E402

RATES = [int(x) for x in os.environ.get("SM_BENCH_CURVE_RATES", "1000 5000 20000 50000 100000").split()]
SECS = int(os.environ.get("SM_BENCH_CURVE_SECS", "10"))
WARMUP = int(os.environ.get("SM_BENCH_CURVE_WARMUP", "100000"))
VERSION = os.environ.get("SM_BENCH_KAFKA_VERSION", "3.9.2")
WITH_KAFKA = os.environ.get("SM_BENCH_CURVE_KAFKA", "1") != "0"
SRCDIR = os.environ.get("SM_TOP_SRCDIR", os.path.join(HERE, ".."))
PNG = os.environ.get("SM_BENCH_CURVE_PNG", os.path.join(SRCDIR, "docs", "bench", "latency_curve.png"))
SIZE = 100
PARTITIONS = 6
PROPS = ["linger.ms=0", "max.in.flight.requests.per.connection=5"]
# librdkafka's mock cluster: brokers inside the client; bootstrap.servers is
# required by the perf tool and replaced by the mock's own addresses.
MOCK_PROPS = ["test.mock.num.brokers=3"]
ENV_NAMES = ("SM_BENCH_CURVE_RATES", "SM_BENCH_CURVE_SECS", "SM_BENCH_CURVE_WARMUP",
             "SM_BENCH_CURVE_KAFKA", "SM_BENCH_CURVE_PNG", "SM_BENCH_KAFKA_VERSION")


class Case:
    """One line of the chart: a system, its acks, where to send, and the
    broker processes whose CPU it costs (none for the mock)."""

    def __init__(self, system, acks, boot, topic, pids, props=()):
        self.system, self.acks, self.boot, self.topic = system, acks, boot, topic
        self.pids, self.props = pids, list(props)
        self.points = []

    @property
    def name(self):
        rf = {"samsa": ("1 broker, RF 1", "3 brokers, RF 3"), "kafka": ("1 broker, RF 1", "3 brokers, RF 3"),
              "mock": ("3 mock brokers", "3 mock brokers")}[self.system][self.acks == "all"]
        label = {"samsa": "Samsa", "kafka": "Kafka %s" % VERSION, "mock": "librdkafka mock"}[self.system]
        return "%s acks=%s (%s)" % (label, self.acks, rf)

    def point(self, rate):
        load = os.getloadavg()[0]
        c0 = sum(cpu_seconds(p) for p in self.pids)
        r = produce(self.boot, self.topic, self.acks, rate * SECS, PROPS + self.props, throughput=rate)
        cpu = sum(cpu_seconds(p) for p in self.pids) - c0
        r["rate"] = rate
        r["load"] = load
        r["cpu_gb"] = cpu / (rate * SECS * SIZE / 1e9) if self.pids else None
        self.points.append(r)


def kafka_classpath():
    """The kafka_2.13 classpath, or (None, why)."""
    if not WITH_KAFKA:
        return None, "SM_BENCH_CURVE_KAFKA=0"
    return vs_kafka.kafka_classpath(VERSION)


def make_topic(boot, topic, rf):
    extra = ["--config", "min.insync.replicas=2"] if rf > 1 else []
    topics(boot, "--create", "--topic", topic, "--partitions", str(PARTITIONS),
           "--replication-factor", str(rf), *extra)
    wait_leaders(boot, topic, PARTITIONS)


def samsa_cluster(c, name, n, started):
    chroot = "%s/%s" % (c.zk.connect, name)
    brokers = []
    for i in range(n):
        b = c.add_broker(broker_id=i, props={"zookeeper.connect": chroot}, start=False, tag=name)
        brokers.append(b)
        started.append(b)
        b.start()
    return ",".join(b.bootstrap for b in brokers), [b.proc.pid for b in brokers]


def kafka_cluster(c, cp, name, n, work, started):
    chroot = "%s/%s" % (c.zk.connect, name)
    d = os.path.join(work, name)
    brokers = []
    for i in range(n):
        k = kafkautil.start_kafka(cp, chroot, i, d)
        brokers.append(k)
        started.append(k)
    return ",".join(k.bootstrap for k in brokers), [k.pid for k in brokers]


def fmt(v, f):
    return "-" if v is None else f % v


def report(cases, kafka_why):
    loads = [p["load"] for cs in cases for p in cs.points]
    print("== produce latency against rate (%d cpus; load average %.1f-%.1f during the run, %.1f at the end)"
          % (os.cpu_count(), min(loads), max(loads), os.getloadavg()[0]))
    print("== perf tool (librdkafka), %d B records, %d partitions, %s, %d s per point, interleaved per rate, "
          "%d unmeasured records per topic first; latency in whole ms (the tool's resolution)"
          % (SIZE, PARTITIONS, " ".join(PROPS), SECS, WARMUP))
    if kafka_why:
        print("== Kafka %s column skipped: %s" % (VERSION, kafka_why))
    print("%-44s %9s %10s %7s %7s %7s %9s %6s" % ("case", "target/s", "achieved/s", "p50 ms", "p99 ms",
                                                 "p99.9 ms", "cpu s/GB", "load"))
    for rate in RATES:
        for cs in cases:
            for p in cs.points:
                if p["rate"] == rate:
                    print("%-44s %9d %10.0f %7d %7d %7d %9s %6.1f" % (
                        cs.name, rate, p["rps"], p["p50"], p["p99"], p["p999"],
                        fmt(p["cpu_gb"], "%.1f"), p["load"]))
    print("cpu s/GB: CPU seconds of the case's broker processes per 10^9 B of record values "
          "(none for the mock, which runs inside the client)")
    env = ["%s='%s'" % (n, os.environ[n]) for n in ENV_NAMES if n in os.environ]
    print("rerun: %s" % " ".join(env + ["SM_TOP_BUILDDIR=" + harness.BUILD, "/usr/bin/python3",
                                        os.path.abspath(__file__)]))


def chart(cases, kafka_why):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("== chart skipped: matplotlib missing (Debian package python3-matplotlib)")
        return
    colors = {"samsa": "tab:blue", "kafka": "tab:red", "mock": "tab:gray"}
    fig, axes = plt.subplots(1, 3, figsize=(15, 5), sharey=True)
    # The tool's percentiles are whole milliseconds: a 0 is "under 1 ms",
    # drawn at 0.5 ms with a hollow marker rather than left off a log axis.
    for ax, (key, title) in zip(axes, (("p50", "p50"), ("p99", "p99"), ("p999", "p99.9"))):
        for cs in cases:
            xs = [p["rps"] for p in cs.points]
            ys = [max(p[key], 0.5) for p in cs.points]
            ls = "-" if cs.acks == "all" else "--"
            ax.plot(xs, ys, ls, color=colors[cs.system], label=cs.name, marker="o")
            zero = [(x, 0.5) for x, p in zip(xs, cs.points) if p[key] == 0]
            if zero:
                ax.plot([z[0] for z in zero], [z[1] for z in zero], "o", color="white",
                        markeredgecolor=colors[cs.system], zorder=3)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title("%s produce latency" % title)
        ax.set_xlabel("achieved rate (msg/s, 100 B, linger.ms=0)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("latency (ms, log; hollow: under 1 ms)")
    axes[0].legend(fontsize=8, loc="upper left")
    loads = [p["load"] for cs in cases for p in cs.points]
    fig.suptitle("Produce latency against rate, %d s per point, interleaved; %d cpus, load average %.1f-%.1f%s"
                 % (SECS, os.cpu_count(), min(loads), max(loads),
                    "" if not kafka_why else "; Kafka skipped"))
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(PNG)), exist_ok=True)
    fig.savefig(PNG, dpi=90)
    print("== chart: %s" % os.path.abspath(PNG))


def main():
    tool = os.path.join(harness.BUILD, "tools", "kafka-producer-perf-test")
    if not os.access(tool, os.X_OK):
        print("== latency curve: skipped (%s not built; run make first)" % tool, flush=True)
        return
    cp, kafka_why = kafka_classpath()
    cases = []
    started = []
    work = None
    with harness.Cluster(brokers=0, name="bench-curve") as c:
        try:
            boot, pids = samsa_cluster(c, "samsa1", 1, started)
            make_topic(boot, "rf1", 1)
            cases.append(Case("samsa", "1", boot, "rf1", pids))
            boot, pids = samsa_cluster(c, "samsa3", 3, started)
            make_topic(boot, "rf3", 3)
            cases.append(Case("samsa", "all", boot, "rf3", pids))
            if cp:
                work = tempfile.mkdtemp(prefix="kafka-curve-", dir=c.root)
                boot, pids = kafka_cluster(c, cp, "kafka1", 1, work, started)
                make_topic(boot, "rf1", 1)
                cases.append(Case("kafka", "1", boot, "rf1", pids))
                boot, pids = kafka_cluster(c, cp, "kafka3", 3, work, started)
                make_topic(boot, "rf3", 3)
                cases.append(Case("kafka", "all", boot, "rf3", pids))
            for acks in ("1", "all"):
                cases.append(Case("mock", acks, "127.0.0.1:9", "mock", [], MOCK_PROPS))
            for cs in cases:
                if not cs.pids:
                    continue        # the mock is new in every perf tool process
                log("latency curve: warm-up, %s" % cs.name)
                produce(cs.boot, cs.topic, cs.acks, WARMUP, PROPS + cs.props)
            for rate in RATES:
                for cs in cases:
                    log("latency curve: %d msg/s, %s" % (rate, cs.name))
                    cs.point(rate)
        finally:
            for x in reversed(started):
                if isinstance(x, kafkautil.KafkaBroker):
                    kafkautil.stop_kafka(x)
                else:
                    x.stop(timeout=30)
            if work:
                shutil.rmtree(work, ignore_errors=True)
    report(cases, kafka_why)
    chart(cases, kafka_why)


if __name__ == "__main__":
    main()
