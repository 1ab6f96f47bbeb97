#!/usr/bin/python3
"""Idempotence benchmark: producer throughput with enable.idempotence=true
as a ratio to the same producer without it, in the same run, with the
p50/p99 produce latency of each.

Figures only; nothing here passes or fails. One broker, one topic of 6
partitions per producer setting, acks=all in every case (idempotence
requires it), SM_BENCH_IDEM_RECORDS records of SM_BENCH_IDEM_SIZE bytes
(default 100), unthrottled, one producer at a time. Two clients:

- librdkafka (bin/kafka-producer-perf-test.sh): plain, plain with 5
  requests in flight (librdkafka caps an idempotent producer at 5 per
  connection, 1,000,000 otherwise, so the ratio to it isolates what
  idempotence costs beyond the cap), and idempotent;
- the Java producer (Kafka's own org.apache.kafka.tools.ProducerPerformance
  from the Maven classpath of SM_BENCH_KAFKA_VERSION, default 3.9.2; skipped
  with the reason printed when Java, Maven or the jars are missing, or with
  SM_BENCH_IDEM_JAVA=0), whose default is idempotence: plain and
  idempotent, both at its defaults otherwise (5 in flight, 16 KiB batches);
- the librdkafka plain and idempotent cases once more against one broker of
  real Kafka (kafka.Kafka from the same classpath, IBP 2.8, on the same
  ZooKeeper under a chroot; SM_BENCH_IDEM_KAFKA=0 leaves it out), which
  tells how much of librdkafka's ratio is the client's.

SM_BENCH_IDEM_ROUNDS rounds (default 3), each running every case once in an
order rotated per round, so the machine's load of the moment falls on all
of them; the ratios are taken within a round and their median printed.
Per case: records/s, p50/p99 ms, and the CPU seconds per million records of
the broker (utime + stime from /proc) and of the client process (the
client runs on the same cores, so records/s alone cannot tell the broker's
cost from the client's). Each case's topic first gets unmeasured records.
"""
import os
import resource
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from harness import log  # noqa: E402
import kafkautil  # noqa: E402
from replication import SUMMARY  # noqa: E402
from vs_kafka import cpu_seconds, kafka_classpath, produce, topics, wait_leaders  # noqa: E402

PARTITIONS = 6
RECORDS = int(os.environ.get("SM_BENCH_IDEM_RECORDS", "8000000"))
SIZE = int(os.environ.get("SM_BENCH_IDEM_SIZE", "100"))
ROUNDS = int(os.environ.get("SM_BENCH_IDEM_ROUNDS", "3"))
WITH_JAVA = os.environ.get("SM_BENCH_IDEM_JAVA", "1") != "0"
WITH_KAFKA = os.environ.get("SM_BENCH_IDEM_KAFKA", "1") != "0"
VERSION = os.environ.get("SM_BENCH_KAFKA_VERSION", "3.9.2")
ENV_NAMES = ("SM_BENCH_IDEM_RECORDS", "SM_BENCH_IDEM_SIZE", "SM_BENCH_IDEM_ROUNDS",
             "SM_BENCH_IDEM_JAVA", "SM_BENCH_IDEM_KAFKA", "SM_BENCH_KAFKA_VERSION")
# (name, client, broker, topic, producer properties)
CASES = (("rdkafka plain", "rdkafka", "samsa", "plain", ["enable.idempotence=false"]),
         ("rdkafka plain, 5 in flight", "rdkafka", "samsa", "plain",
          ["enable.idempotence=false", "max.in.flight.requests.per.connection=5"]),
         ("rdkafka idempotent", "rdkafka", "samsa", "idem", ["enable.idempotence=true"]),
         ("java plain", "java", "samsa", "jplain", ["enable.idempotence=false"]),
         ("java idempotent", "java", "samsa", "jidem", ["enable.idempotence=true"]),
         ("kafka: rdkafka plain", "rdkafka", "kafka", "kplain", ["enable.idempotence=false"]),
         ("kafka: rdkafka idempotent", "rdkafka", "kafka", "kidem", ["enable.idempotence=true"]))
RATIOS = (("rdkafka idempotent / plain", "rdkafka idempotent", "rdkafka plain"),
          ("rdkafka idempotent / plain, 5 in flight", "rdkafka idempotent", "rdkafka plain, 5 in flight"),
          ("java idempotent / plain", "java idempotent", "java plain"),
          ("against Kafka: rdkafka idempotent / plain", "kafka: rdkafka idempotent", "kafka: rdkafka plain"))


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def java_perf(cp, boot, topic, records, props):
    """Kafka's ProducerPerformance, acks=all; its summary line parsed as
    replication.perf parses the librdkafka tool's (the same format)."""
    cmd = ["java", "-Xmx1G", "-cp", cp, "org.apache.kafka.tools.ProducerPerformance", "--topic", topic,
           "--num-records", str(records), "--record-size", str(SIZE), "--throughput", "-1",
           "--producer-props", "bootstrap.servers=" + boot, "acks=all"] + list(props)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                       timeout=1800)
    lines = p.stdout.decode(errors="replace").splitlines()
    m = SUMMARY.match(lines[-1]) if lines else None
    if p.returncode != 0 or not m:
        harness.fail("ProducerPerformance (%s) failed: %s" % (topic, "\n".join(lines[-5:])))
    return {"rps": float(m.group(2)), "p50": int(m.group(6)), "p99": int(m.group(8))}


def main():
    cp, why = kafka_classpath(VERSION) if WITH_JAVA or WITH_KAFKA else (None, None)
    jwhy = "SM_BENCH_IDEM_JAVA=0" if not WITH_JAVA else None if cp else why
    kwhy = "SM_BENCH_IDEM_KAFKA=0" if not WITH_KAFKA else None if cp else why
    cases = [x for x in CASES if (x[1] != "java" or not jwhy) and (x[2] != "kafka" or not kwhy)]
    rounds = []
    kafka = None
    with harness.Cluster(brokers=1, name="bench-idem") as c:
        try:
            boots = {"samsa": c.bootstrap}
            pids = {"samsa": c.brokers[0].proc.pid}
            if not kwhy:
                kafka = kafkautil.start_kafka(cp, "%s/kafka-idem" % c.zk.connect, 0,
                                              os.path.join(c.root, "kafka"))
                boots["kafka"], pids["kafka"] = kafka.bootstrap, kafka.pid
            for broker, topic in sorted({(x[2], x[3]) for x in cases}):
                topics(boots[broker], "--create", "--topic", topic, "--partitions", str(PARTITIONS),
                       "--replication-factor", "1")
                wait_leaders(boots[broker], topic, PARTITIONS)

            def one(case, records):
                name, client, broker, topic, props = case
                b0, k0 = cpu_seconds(pids[broker]), children_cpu()
                if client == "java":
                    r = java_perf(cp, boots[broker], topic, records, props)
                else:
                    r = produce(boots[broker], topic, "all", records, props, size=SIZE)
                r["broker"] = (cpu_seconds(pids[broker]) - b0) / records * 1e6
                r["client"] = (children_cpu() - k0) / records * 1e6
                return r

            for case in cases:
                one(case, 10000 if case[1] == "rdkafka" and case[2] == "samsa" else 200000)
            for n in range(ROUNDS):
                order = cases[n % len(cases):] + cases[:n % len(cases)]
                res = {"load": os.getloadavg()[0]}
                for case in order:
                    log("idempotence benchmark, round %d/%d: %s, %d records of %d bytes, %s"
                        % (n + 1, ROUNDS, case[0], RECORDS, SIZE, " ".join(case[4])))
                    res[case[0]] = one(case, RECORDS)
                rounds.append(res)
        finally:
            if kafka:
                kafkautil.stop_kafka(kafka)
    print("== idempotence (1 broker, %d partitions, %d x %d B records, acks=all, unthrottled, one producer "
          "at a time, %d rounds)" % (PARTITIONS, RECORDS, SIZE, ROUNDS))
    if jwhy:
        print("java producer: skipped (%s)" % jwhy)
    if kwhy:
        print("against Kafka %s: skipped (%s)" % (VERSION, kwhy))
    print("%-6s %-30s %12s %7s %7s %10s %10s" % ("round", "case", "records/s", "p50 ms", "p99 ms",
                                                 "broker s/M", "client s/M"))
    for n, res in enumerate(rounds):
        for case in cases:
            r = res[case[0]]
            print("%-6d %-30s %12.0f %7d %7d %10.3f %10.3f" % (n + 1, case[0], r["rps"], r["p50"], r["p99"],
                                                              r["broker"], r["client"]))
        print("%-6d load average %.1f" % (n + 1, res["load"]))
    names = {x[0] for x in cases}
    for label, a, b in RATIOS:
        if a not in names or b not in names:
            continue
        per = [res[a]["rps"] / res[b]["rps"] for res in rounds]
        print("%s: median %.2f (rounds: %s)" % (label, statistics.median(per),
                                                " ".join("%.2f" % x for x in per)))
    for name in sorted(names):
        print("%s: median broker %.3f s/M, client %.3f s/M" % (
            name, statistics.median(res[name]["broker"] for res in rounds),
            statistics.median(res[name]["client"] for res in rounds)))
    env = " ".join("%s=%s" % (k, os.environ[k]) for k in ENV_NAMES if k in os.environ)
    print("rerun: cd %s && %s%sSM_TOP_BUILDDIR=$PWD /usr/bin/python3 %s"
          % (harness.BUILD, env, " " if env else "", os.path.abspath(__file__)))


if __name__ == "__main__":
    main()
