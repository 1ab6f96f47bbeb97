#!/usr/bin/python3
"""Samsa against real Apache Kafka 3.9 on the same machine, in the same run,
with the same clients: Samsa's figures as ratios to Kafka's.

Figures only; nothing here passes or fails. One ZooKeeper (the integration
harness's); then SM_BENCH_KAFKA_PAIRS (default 3) pairs of interleaved runs,
Samsa then Kafka, each on a fresh 3-broker cluster in its own ZooKeeper
chroot and data directories; the median of each figure is reported. Kafka
is kafka.Kafka from the org.apache.kafka:kafka_2.13 classpath Maven resolves
(tests/integration/javautil.py; SM_BENCH_KAFKA_VERSION, default 3.9.2) in
ZooKeeper mode with inter.broker.protocol.version=2.8, started with
bin/kafka-server-start.sh's JVM flags (-Xmx1G -Xms1G, G1, the GC log).
Samsa is bin/kafka-server-start.sh. Both get the same broker properties
(tests/integration/kafkautil.py and harness.Broker: offsets topic RF 1,
group.initial.rebalance.delay.ms=0; everything else default).

Each run, on the same cluster:
- start-to-serving: broker 0 is started alone; seconds from the spawn of
  its process until it answers a Metadata request listing a broker (then
  brokers 1 and 2 are started);
- produce: bin/kafka-producer-perf-test.sh (librdkafka, its defaults),
  SM_BENCH_KAFKA_RECORDS records of 100 B, unthrottled, acks=1, to a topic
  of 6 partitions (RF 1, leaders spread over the 3 brokers), with the
  brokers' CPU seconds (utime+stime of the 3 processes from
  /proc/PID/stat before and after) per GB (10^9 bytes of record values)
  and records per broker CPU-second;
- consume: bin/kafka-consumer-perf-test.sh reading those records back
  (its fetch.nMsg.sec, i.e. without the group join);
- replication: acks=all to a topic of RF 3 (min.insync.replicas=2, 6
  partitions over the 3 brokers, the same leader layout as RF 1),
  SM_BENCH_KAFKA_RF3_RECORDS records, as a ratio to the acks=1 RF 1 rate,
  and its CPU seconds per GB;
- latency: SM_BENCH_KAFKA_RATE records/s (default 20,000) for
  SM_BENCH_KAFKA_LAT_SECS seconds, linger.ms=0 and 5 requests in flight
  per connection (the Java producer's), acks=all, RF 3: the perf
  tool's p50/p99/p99.9 (whole milliseconds, from send to delivery report);
- peak RSS: the largest VmHWM of the three brokers at the end of the run.
Every topic first gets SM_BENCH_KAFKA_WARMUP (default 200,000) unmeasured
records, and the consumer one unmeasured run (which also creates
__consumer_offsets): each cluster is new, and a JVM that has just started
still interprets and JIT-compiles its hot paths during the first seconds
of load, which is not what a running Kafka cluster does.

Prints one table per figure with Samsa/Kafka ratios and the command that
reruns it. Skips, saying why, when Java or Maven is missing, the Kafka
jars cannot be fetched or the perf tools are not built. bench/run.sh runs
it unless SM_BENCH_KAFKA=0.
"""
import os
import shutil
import socket
import statistics
import struct
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import javautil  # noqa: E402
import kafkautil  # noqa: E402
from harness import BIN, KCAT, log, run  # noqa: E402
from replication import SUMMARY  # noqa: E402

VERSION = os.environ.get("SM_BENCH_KAFKA_VERSION", "3.9.2")
PAIRS = int(os.environ.get("SM_BENCH_KAFKA_PAIRS", "3"))
RECORDS = int(os.environ.get("SM_BENCH_KAFKA_RECORDS", "2000000"))
RF3_RECORDS = int(os.environ.get("SM_BENCH_KAFKA_RF3_RECORDS", "1000000"))
RATE = int(os.environ.get("SM_BENCH_KAFKA_RATE", "20000"))
LAT_SECS = int(os.environ.get("SM_BENCH_KAFKA_LAT_SECS", "30"))
SIZE = 100
PARTITIONS = 6
BROKERS = 3
WARMUP = int(os.environ.get("SM_BENCH_KAFKA_WARMUP", "200000"))
CLK_TCK = os.sysconf("SC_CLK_TCK")
# The latency case's producer: no lingering, and the Java producer's 5
# requests in flight per connection. With librdkafka's own limit (1,000,000)
# and linger.ms=0 every record leaves in a request of its own, and at a
# fixed rate of thousands a second both brokers fall behind on requests,
# not on records (at 5,000/s on this shared machine: p50 0.85 s for Samsa,
# 14 s for Kafka, rising through the run).
LAT_PROPS = ["linger.ms=0", "max.in.flight.requests.per.connection=5"]
ENV_NAMES = ("SM_BENCH_KAFKA_VERSION", "SM_BENCH_KAFKA_PAIRS", "SM_BENCH_KAFKA_RECORDS",
             "SM_BENCH_KAFKA_RF3_RECORDS", "SM_BENCH_KAFKA_RATE", "SM_BENCH_KAFKA_LAT_SECS",
             "SM_BENCH_KAFKA_WARMUP")


def skip(why):
    print("== samsa vs kafka %s: skipped (%s)" % (VERSION, why), flush=True)
    sys.exit(0)


# ------------------------------------------------------------ measuring

def cpu_seconds(pid):
    """utime+stime of one process, in seconds (/proc/PID/stat fields 14, 15;
    the command name in field 2 may hold spaces, so split after it)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def vm_hwm_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def metadata_answered(port):
    """True when the broker on `port` answers Metadata v1 (no topics) with
    a broker list that is not empty: it has its metadata and serves."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
    except OSError:
        return False
    try:
        s.settimeout(2)
        client = b"vs-kafka"
        req = struct.pack(">hhih", 3, 1, 4242, len(client)) + client + struct.pack(">i", 0)
        s.sendall(struct.pack(">i", len(req)) + req)
        buf = b""
        while len(buf) < 12:
            chunk = s.recv(65536)
            if not chunk:
                return False
            buf += chunk
        size, cid, nbrokers = struct.unpack(">iii", buf[:12])
        return size >= 8 and cid == 4242 and nbrokers > 0
    except OSError:
        return False
    finally:
        s.close()


def wait_serving(proc, port, t_spawn, what):
    def ok():
        if proc.poll() is not None:
            harness.fail("%s exited with status %s during startup" % (what, proc.returncode))
        return metadata_answered(port)
    harness.wait_until(ok, 120, "%s to answer Metadata" % what, interval=0.02)
    return time.monotonic() - t_spawn


def produce(boot, topic, acks, records, props=(), throughput=-1, size=SIZE):
    cmd = [os.path.join(BIN, "kafka-producer-perf-test.sh"), "--topic", topic, "--num-records",
           str(records), "--record-size", str(size), "--throughput", str(throughput),
           "--producer-props", "bootstrap.servers=" + boot, "acks=" + acks] + list(props)
    p = run(cmd, timeout=1800, what="kafka-producer-perf-test.sh (%s, acks=%s)" % (topic, acks))
    lines = p.stdout.decode().splitlines()
    m = SUMMARY.match(lines[-1]) if lines else None
    if not m:
        harness.fail("no summary line from the producer perf test: %r" % lines[-3:])
    log("  " + lines[-1])
    return {"rps": float(m.group(2)), "p50": int(m.group(6)), "p99": int(m.group(8)),
            "p999": int(m.group(9))}


def consume(boot, topic, records):
    """fetch.nMsg.sec of kafka-consumer-perf-test reading `records`."""
    cmd = [os.path.join(BIN, "kafka-consumer-perf-test.sh"), "--bootstrap-server", boot,
           "--topic", topic, "--messages", str(records), "--timeout", "60000"]
    p = run(cmd, timeout=1800, what="kafka-consumer-perf-test.sh (%s)" % topic)
    lines = [l for l in p.stdout.decode().splitlines() if l.strip()]
    row = [v.strip() for v in lines[-1].split(",")] if lines else []
    if len(row) < 10 or int(row[4]) < records:
        harness.fail("consumer perf test read too little or printed no summary: %r" % lines[-3:])
    log("  " + lines[-1])
    return float(row[9])


def topics(boot, *args):
    return run([os.path.join(BIN, "kafka-topics.sh"), "--bootstrap-server", boot] + list(args),
               timeout=120, what="kafka-topics.sh " + " ".join(args))


def wait_leaders(boot, topic, n):
    import json

    def ok():
        p = run([KCAT, "-b", boot, "-L", "-J", "-m", "10", "-t", topic], timeout=30, check_rc=False)
        if p.returncode != 0:
            return False
        try:
            md = json.loads(p.stdout)
        except ValueError:
            return False
        for t in md.get("topics", []):
            if t.get("topic") == topic and not t.get("err"):
                parts = t.get("partitions", [])
                return len(parts) == n and all(x.get("leader", -1) >= 0 and not x.get("err")
                                               and len(x.get("isrs", [])) == len(x.get("replicas", []))
                                               for x in parts)
        return False
    harness.wait_until(ok, 60, "leaders and full ISRs for %s" % topic, interval=0.2)


# ------------------------------------------------------------ one run

def workload(boot, pids):
    """The measured figures of one run on a started cluster of the
    brokers `pids`."""
    r = {}
    topics(boot, "--create", "--topic", "rf1", "--partitions", str(PARTITIONS),
           "--replication-factor", "1")
    for t in ("rf3", "lat"):
        topics(boot, "--create", "--topic", t, "--partitions", str(PARTITIONS),
               "--replication-factor", str(BROKERS), "--config", "min.insync.replicas=2")
    for t in ("rf1", "rf3", "lat"):
        wait_leaders(boot, t, PARTITIONS)
    produce(boot, "rf1", "1", WARMUP)
    produce(boot, "rf3", "all", WARMUP)
    produce(boot, "lat", "all", WARMUP, LAT_PROPS)
    consume(boot, "rf1", WARMUP)

    r["load"] = os.getloadavg()[0]
    c0 = sum(cpu_seconds(x) for x in pids)
    p = produce(boot, "rf1", "1", RECORDS)
    cpu = sum(cpu_seconds(x) for x in pids) - c0
    gb = RECORDS * SIZE / 1e9
    r["produce"] = p["rps"]
    r["cpu_gb"] = cpu / gb
    r["rec_cpu"] = RECORDS / cpu if cpu > 0 else float("inf")
    r["consume"] = consume(boot, "rf1", RECORDS + WARMUP)

    c0 = sum(cpu_seconds(x) for x in pids)
    p = produce(boot, "rf3", "all", RF3_RECORDS)
    cpu = sum(cpu_seconds(x) for x in pids) - c0
    r["rf3"] = p["rps"]
    r["rf3_cpu_gb"] = cpu / (RF3_RECORDS * SIZE / 1e9)

    p = produce(boot, "lat", "all", RATE * LAT_SECS, LAT_PROPS, throughput=RATE)
    r["lat_rps"] = p["rps"]
    r["p50"], r["p99"], r["p999"] = p["p50"], p["p99"], p["p999"]
    r["rss"] = max(vm_hwm_mb(x) for x in pids)
    return r


def run_samsa(c, n):
    chroot = "%s/samsa-r%d" % (c.zk.connect, n)
    brokers = [c.add_broker(broker_id=i, props={"zookeeper.connect": chroot}, start=False,
                            tag="r%d" % n) for i in range(BROKERS)]
    try:
        b0 = brokers[0]
        t0 = time.monotonic()
        b0.spawn()
        start = wait_serving(b0.proc, b0.port, t0, "samsa broker 0")
        for b in brokers[1:]:
            b.start()
        boot = ",".join(b.bootstrap for b in brokers)
        r = workload(boot, [b.proc.pid for b in brokers])
        r["start"] = start
    finally:
        for b in reversed(brokers):
            b.stop(timeout=30)
    for b in brokers:
        shutil.rmtree(b.data_dir, ignore_errors=True)
    return r


def run_kafka(c, n, cp):
    chroot = "%s/kafka-r%d" % (c.zk.connect, n)
    work = tempfile.mkdtemp(prefix="kafka-r%d-" % n, dir=c.root)
    brokers = []
    try:
        k0 = kafkautil.start_kafka(cp, chroot, 0, work, wait=False)
        brokers.append(k0)
        start = wait_serving(k0.proc, k0.port, k0.t_spawn, "kafka broker 0")
        for i in range(1, BROKERS):
            brokers.append(kafkautil.start_kafka(cp, chroot, i, work))
        boot = ",".join(k.bootstrap for k in brokers)
        r = workload(boot, [k.pid for k in brokers])
        r["start"] = start
    except BaseException:
        for k in brokers:
            print("---- kafka broker %d server.log (tail)\n%s" % (k.id, k.log_tail(40)))
        raise
    finally:
        for k in reversed(brokers):
            kafkautil.stop_kafka(k)
    shutil.rmtree(work, ignore_errors=True)
    return r


# ------------------------------------------------------------ report

# (key, title, unit, format, higher is better; None: not a figure of merit)
FIGURES = (
    ("produce", "produce, acks=1 RF 1, 100 B", "msg/s", "%.0f", True),
    ("consume", "consume of the same records (fetch.nMsg.sec)", "msg/s", "%.0f", True),
    ("rf3", "produce, acks=all RF 3 (min.insync.replicas=2)", "msg/s", "%.0f", True),
    ("rf3_ratio", "acks=all RF 3 / acks=1 RF 1", "ratio", "%.2f", True),
    ("p50", "p50 latency at the fixed rate, acks=all RF 3, linger 0", "ms", "%.0f", False),
    ("p99", "p99 latency at the fixed rate", "ms", "%.0f", False),
    ("p999", "p99.9 latency at the fixed rate", "ms", "%.0f", False),
    ("lat_rps", "rate achieved in the latency case", "msg/s", "%.0f", True),
    ("cpu_gb", "broker CPU seconds per GB produced (acks=1 RF 1, 3 brokers)", "s/GB", "%.2f", False),
    ("rf3_cpu_gb", "broker CPU seconds per GB produced (acks=all RF 3, 3 brokers)", "s/GB", "%.2f",
     False),
    ("rec_cpu", "produce msg per broker CPU-second (acks=1 RF 1)", "msg/s", "%.0f", True),
    ("rss", "peak RSS of a broker (largest VmHWM of 3)", "MiB", "%.0f", False),
    ("start", "start-to-serving (spawn to Metadata answered)", "s", "%.2f", False),
    ("load", "load average (1 min) when the measured produce began", "", "%.1f", None),
)


def report(res):
    for runs in res.values():
        for r in runs:
            r["rf3_ratio"] = r["rf3"] / r["produce"]
    print("== samsa vs Apache Kafka %s (ZooKeeper mode, IBP 2.8), %d interleaved pairs, medians; "
          "%d cpus, load average %.1f at the end" % (VERSION, len(res["samsa"]), os.cpu_count(),
                                                     os.getloadavg()[0]))
    print("== Kafka JVM: %s (kafka-server-start.sh's defaults)" % " ".join(kafkautil.JVM_DEFAULT))
    print("== client: librdkafka perf tools (bin/kafka-producer-perf-test.sh, "
          "kafka-consumer-perf-test.sh) for both; %d B records, %d partitions, 3 brokers"
          % (SIZE, PARTITIONS))
    print("== records: %d (acks=1 RF 1, consume), %d (acks=all RF 3), after %d unmeasured per topic; "
          "latency case: %d msg/s for %d s, acks=all RF 3, %s"
          % (RECORDS, RF3_RECORDS, WARMUP, RATE, LAT_SECS, " ".join(LAT_PROPS)))
    print("%-62s %-6s %10s %10s %8s  %s" % ("figure", "unit", "samsa", "kafka", "s/k", "runs samsa | kafka"))
    for key, title, unit, fmt, higher in FIGURES:
        a = [r[key] for r in res["samsa"]]
        b = [r[key] for r in res["kafka"]]
        ma, mb = statistics.median(a), statistics.median(b)
        ratio = "%.2f" % (ma / mb) if mb and higher is not None else "-"
        print("%-62s %-6s %10s %10s %8s  %s | %s%s" % (
            title, unit, fmt % ma, fmt % mb, ratio, " ".join(fmt % x for x in a),
            " ".join(fmt % x for x in b), "  (lower is better)" if higher is False else ""))
    s, k = res["samsa"], res["kafka"]
    per_cpu = statistics.median(r["rec_cpu"] for r in s) / statistics.median(r["rec_cpu"] for r in k)
    p99 = statistics.median(r["p99"] for r in s) / max(statistics.median(r["p99"] for r in k), 1e-9)
    print("goals: produce msg per broker CPU-second >= 1.5x Kafka's: %.2fx; p99 at %d msg/s "
          "<= 0.5x Kafka's: %.2fx" % (per_cpu, RATE, p99))
    print("rerun: %s SM_TOP_BUILDDIR=%s /usr/bin/python3 %s" % (
        " ".join("%s=%s" % (n, os.environ[n]) for n in ENV_NAMES if n in os.environ),
        harness.BUILD, os.path.abspath(__file__)))


def kafka_classpath(version):
    """Kafka's kafka_2.13 classpath at `version` with its tools (Maven
    profile "cli"), or (None, why it is not to be had)."""
    missing = [t for t in ("mvn", "java") if not shutil.which(t)]
    if missing:
        return None, "%s missing (Debian packages maven, default-jdk-headless)" % ", ".join(missing)
    cpdir = tempfile.mkdtemp(prefix="samsa-bench-kafka-cp-")
    try:
        cp = javautil.resolve(version, cpdir, profile="cli", what="kafka_2.13")
    except harness.TestFailure as e:
        return None, "cannot fetch org.apache.kafka:kafka_2.13:%s: %s" % (version, str(e)[-300:])
    finally:
        shutil.rmtree(cpdir, ignore_errors=True)
    if cp is None:
        return None, "org.apache.kafka:kafka_2.13:%s is not served by the Maven repository" % version
    return cp, None


def main():
    for tool in ("kafka-producer-perf-test", "kafka-consumer-perf-test"):
        if not os.access(os.path.join(harness.BUILD, "tools", tool), os.X_OK):
            skip("%s/tools/%s not built; run make first" % (harness.BUILD, tool))
    cp, why = kafka_classpath(VERSION)
    if cp is None:
        skip(why)
    res = {"samsa": [], "kafka": []}
    with harness.Cluster(brokers=0, name="bench-vs-kafka") as c:
        for n in range(PAIRS):
            log("vs kafka: pair %d/%d, samsa" % (n + 1, PAIRS))
            res["samsa"].append(run_samsa(c, n))
            log("vs kafka: pair %d/%d, kafka %s" % (n + 1, PAIRS, VERSION))
            res["kafka"].append(run_kafka(c, n, cp))
    report(res)


if __name__ == "__main__":
    main()
