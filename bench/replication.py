#!/usr/bin/python3
"""Replication benchmark: producer throughput with acks=all to a topic of
replication factor 3 (min.insync.replicas=2), as a ratio to acks=1 to a
topic of replication factor 1, in the same run, with the p50/p99 produce
latency of each.

Figures only; nothing here passes or fails. The shape is Kafka's own
producer benchmark: three brokers, topics of 6 partitions, one producer
(bin/kafka-producer-perf-test.sh) sending SM_BENCH_REPL_RECORDS records of
100 bytes (SM_BENCH_REPL_SIZE) unthrottled. Kafka's published figures put
acks=all at RF 3 at about half the RF 1 rate; the goal here is >= 0.7.
Latency is per record, from the send call to its delivery report. Each
topic first gets 10,000 unmeasured records, so the figures are those of a
running cluster, not of the followers' first fetches.
"""
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402
from harness import BIN, log, run  # noqa: E402

PARTITIONS = 6
# Extra producer properties for both cases, e.g. the Java producer's
# defaults: "max.in.flight.requests.per.connection=5 linger.ms=0 batch.size=16384".
EXTRA_PROPS = os.environ.get("SM_BENCH_REPL_PROPS", "").split()
SUMMARY = re.compile(r"^(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, "
                     r"([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.$")


# The fixed-rate latency case: acks=all to RF 3 at SM_BENCH_REPL_RATE
# records/s (0 skips it) for SM_BENCH_REPL_RATE_SECS seconds, linger 0 and
# the Java producer's 5 requests in flight, whatever SM_BENCH_REPL_PROPS says.
RATE = int(os.environ.get("SM_BENCH_REPL_RATE", "20000"))
RATE_SECS = int(os.environ.get("SM_BENCH_REPL_RATE_SECS", "10"))
RATE_PROPS = ["linger.ms=0", "max.in.flight.requests.per.connection=5"]


def perf(c, topic, acks, records, size, props=(), throughput=-1, extra=True):
    cmd = [os.path.join(BIN, "kafka-producer-perf-test.sh"), "--topic", topic, "--num-records", str(records),
           "--record-size", str(size), "--throughput", str(throughput), "--producer-props",
           "bootstrap.servers=" + c.bootstrap, "acks=" + acks] + (EXTRA_PROPS if extra else []) + list(props)
    t0 = time.monotonic()
    p = run(cmd, timeout=1800, what="kafka-producer-perf-test.sh (%s, acks=%s)" % (topic, acks))
    secs = time.monotonic() - t0
    lines = p.stdout.decode().splitlines()
    for l in lines:
        log("  " + l)
    m = SUMMARY.match(lines[-1]) if lines else None
    if not m:
        harness.fail("no summary line from the producer perf test: %r" % lines[-3:])
    return {"records": int(m.group(1)), "rps": float(m.group(2)), "mbps": float(m.group(3)),
            "avg": float(m.group(4)), "max": float(m.group(5)), "p50": int(m.group(6)),
            "p99": int(m.group(8)), "secs": secs}


def main():
    records = int(os.environ.get("SM_BENCH_REPL_RECORDS", "8000000"))
    size = int(os.environ.get("SM_BENCH_REPL_SIZE", "100"))
    results = {}
    cluster = harness.Cluster(brokers=3, name="bench-repl",
                              broker_props={"offsets.topic.replication.factor": "1",
                                            "replica.lag.time.max.ms": "30000"})
    with cluster as c:
        c.create_topic("rf1", partitions=PARTITIONS, rf=1)
        c.create_topic("rf3", partitions=PARTITIONS, rf=3, extra=["--config", "min.insync.replicas=2"])
        if RATE > 0:
            c.create_topic("lat", partitions=PARTITIONS, rf=3, extra=["--config", "min.insync.replicas=2"])
        # Warm-up, not measured in the throughput figures: the first
        # acks=all records on a new topic wait for the followers' first
        # fetches; the warm-up's max latency shows how long.
        for topic, acks in (("rf1", "1"), ("rf3", "all")):
            results["warm-" + topic] = perf(c, topic, acks, 10000, size)
        if RATE > 0:
            perf(c, "lat", "all", 10000, size)
            log("replication benchmark: acks=all RF 3 at %d records/s for %d s" % (RATE, RATE_SECS))
            results["lat"] = perf(c, "lat", "all", RATE * RATE_SECS, size, RATE_PROPS, throughput=RATE,
                                  extra=False)
        log("replication benchmark: %d records of %d bytes, RF 1 acks=1" % (records, size))
        results["rf1"] = perf(c, "rf1", "1", records, size)
        log("replication benchmark: %d records of %d bytes, RF 3 acks=all" % (records, size))
        results["rf3"] = perf(c, "rf3", "all", records, size)
    a, b = results["rf1"], results["rf3"]
    print("== replication (3 brokers, %d partitions, %d x %d B records, unthrottled, one producer)"
          % (PARTITIONS, records, size))
    print("%-20s %14s %9s %8s %8s %8s" % ("case", "records/s", "MB/s", "p50 ms", "p99 ms", "secs"))
    for name, r in (("RF 1, acks=1", a), ("RF 3, acks=all", b)):
        print("%-20s %14.1f %9.2f %8d %8d %8.1f" % (name, r["rps"], r["mbps"], r["p50"], r["p99"], r["secs"]))
    print("acks=all RF 3 / acks=1 RF 1 throughput ratio: %.2f (Kafka's published: ~0.5; goal >= 0.7)"
          % (b["rps"] / a["rps"]))
    print("first acks=all records on a new RF 3 topic: max latency %d ms (warm-up of 10,000)"
          % results["warm-rf3"]["max"])
    if RATE > 0:
        r = results["lat"]
        print("acks=all RF 3 at a fixed %d records/s (linger 0, 5 in flight): %.1f records/s, "
              "p50 %d ms, p99 %d ms, max %d ms" % (RATE, r["rps"], r["p50"], r["p99"], r["max"]))
    if EXTRA_PROPS:
        print("producer props: %s" % " ".join(EXTRA_PROPS))
    print("rerun: SM_BENCH_REPL_RECORDS=%d SM_BENCH_REPL_SIZE=%d SM_BENCH_REPL_RATE=%d%s SM_TOP_BUILDDIR=%s "
          "/usr/bin/python3 %s"
          % (records, size, RATE, " SM_BENCH_REPL_PROPS='%s'" % " ".join(EXTRA_PROPS) if EXTRA_PROPS else "",
             harness.BUILD, os.path.abspath(__file__)))


if __name__ == "__main__":
    main()
