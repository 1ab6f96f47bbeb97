#!/usr/bin/python3
"""Produce throughput to a topic of 1,000 partitions as a ratio to a topic of
one partition (goal >= 0.8), with the figures that say where a gap comes
from: the broker's CPU per record, Produce requests per second and records
per request (from the broker's own metrics).

Figures only; nothing here passes or fails. One broker (serving
metrics.listener), topics "p1" (1 partition) and "p1000"
(SM_BENCH_PARTS_PARTITIONS, default 1000), each first given 10,000
unmeasured records; then bin/kafka-producer-perf-test.sh sends
SM_BENCH_PARTS_RECORDS records (default 2,000,000) of 100 bytes
unthrottled, acks=1, librdkafka's defaults (SM_BENCH_PARTS_PROPS adds
producer properties), to each topic in turn, SM_BENCH_PARTS_ROUNDS times
(default 2). The broker's CPU is its utime + stime from /proc over the run.
"""
import os
import re
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402
from harness import BIN, log, run  # noqa: E402

SUMMARY = re.compile(r"^(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\)")
EXTRA = os.environ.get("SM_BENCH_PARTS_PROPS", "").split()


def scrape(url):
    text = urllib.request.urlopen(url, timeout=30).read().decode()
    out = {"reqs": 0, "msgs": 0}
    for line in text.splitlines():
        if line.startswith("kafka_network_requestmetrics_requests_total{") and 'request="Produce"' in line:
            out["reqs"] += int(float(line.split()[-1]))
        elif line.startswith("kafka_server_brokertopicmetrics_messagesin_total") and "topic=" not in line:
            out["msgs"] += int(float(line.split()[-1]))
    return out


def cpu_secs(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def perf(c, topic, records):
    cmd = [os.path.join(BIN, "kafka-producer-perf-test.sh"), "--topic", topic, "--num-records", str(records),
           "--record-size", "100", "--throughput", "-1", "--producer-props",
           "bootstrap.servers=" + c.bootstrap, "acks=1"] + EXTRA
    p = run(cmd, timeout=1800, what="kafka-producer-perf-test.sh (%s)" % topic)
    lines = p.stdout.decode().splitlines()
    m = SUMMARY.match(lines[-1]) if lines else None
    if not m:
        harness.fail("no summary line from the producer perf test: %r" % lines[-3:])
    return float(m.group(2))


def measure(c, url, pid, topic, records):
    m0, c0, t0 = scrape(url), cpu_secs(pid), time.monotonic()
    rps = perf(c, topic, records)
    secs = time.monotonic() - t0
    m1, c1 = scrape(url), cpu_secs(pid)
    reqs = max(1, m1["reqs"] - m0["reqs"])
    return {"rps": rps, "cpu_us": (c1 - c0) * 1e6 / records, "reqs_s": reqs / secs,
            "recs_req": (m1["msgs"] - m0["msgs"]) / reqs}


def main():
    n = int(os.environ.get("SM_BENCH_PARTS_PARTITIONS", "1000"))
    records = int(os.environ.get("SM_BENCH_PARTS_RECORDS", "2000000"))
    rounds = int(os.environ.get("SM_BENCH_PARTS_ROUNDS", "2"))
    mport = harness.free_port()
    url = "http://127.0.0.1:%d/metrics" % mport
    res = {"p1": [], "p%d" % n: []}
    cluster = harness.Cluster(brokers=1, name="bench-parts",
                              broker_props={"metrics.listener": "http://127.0.0.1:%d" % mport})
    with cluster as c:
        pid = c.brokers[0].proc.pid
        c.create_topic("p1", partitions=1, via="bootstrap")
        c.create_topic("p%d" % n, partitions=n, via="bootstrap")
        for t in res:
            perf(c, t, 10000)
        for r in range(rounds):
            for t in res:
                log("partitions benchmark round %d: %s" % (r + 1, t))
                res[t].append(measure(c, url, pid, t, records))
    print("== produce to 1 vs %d partitions (one broker, %d x 100 B, acks=1, unthrottled, one producer)"
          % (n, records))
    print("%-8s %5s %12s %14s %12s %12s" % ("topic", "round", "records/s", "broker us/rec", "requests/s",
                                          "records/req"))
    for t, rs in res.items():
        for i, x in enumerate(rs):
            print("%-8s %5d %12.0f %14.2f %12.1f %12.1f" % (t, i + 1, x["rps"], x["cpu_us"], x["reqs_s"],
                                                            x["recs_req"]))
    best = {t: max(x["rps"] for x in rs) for t, rs in res.items()}
    print("p%d / p1 records/s (best of %d): %.2f (goal >= 0.8)" % (n, rounds, best["p%d" % n] / best["p1"]))
    print("rerun: SM_BENCH_PARTS_RECORDS=%d SM_BENCH_PARTS_ROUNDS=%d%s SM_TOP_BUILDDIR=%s /usr/bin/python3 %s"
          % (records, rounds, " SM_BENCH_PARTS_PROPS='%s'" % " ".join(EXTRA) if EXTRA else "", harness.BUILD,
             os.path.abspath(__file__)))


if __name__ == "__main__":
    main()
