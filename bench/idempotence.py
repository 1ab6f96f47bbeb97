#!/usr/bin/python3
"""Idempotence benchmark: producer throughput with enable.idempotence=true
as a ratio to the same producer without it, in the same run, with the
p50/p99 produce latency of each.

Figures only; nothing here passes or fails. One broker, one topic of 6
partitions, one producer (bin/kafka-producer-perf-test.sh, librdkafka)
sending SM_BENCH_IDEM_RECORDS records of 100 bytes (SM_BENCH_IDEM_SIZE)
unthrottled, acks=all in both cases (idempotence requires it), so the
difference is the broker's producer-state work (sequence checks, the
five-batch cache) and the client's ordering rules. librdkafka limits an
idempotent producer to 5 requests in flight per connection (1,000,000
otherwise), so a third case runs the plain producer with that limit too:
the ratio to it isolates what idempotence costs beyond the in-flight cap.
Each case first sends 10,000 unmeasured records. The broker's CPU time
(utime + stime from /proc) per million records is printed per case: the
client runs on the same machine, so records/s alone cannot tell the
broker's cost from the client's.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from harness import log  # noqa: E402
from replication import perf  # noqa: E402

PARTITIONS = 6


def cpu_secs(pid):
    """utime + stime of pid, in seconds (fields 14 and 15 of /proc/pid/stat,
    counted after the parenthesised command name)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    records = int(os.environ.get("SM_BENCH_IDEM_RECORDS", "8000000"))
    size = int(os.environ.get("SM_BENCH_IDEM_SIZE", "100"))
    results = {}
    cluster = harness.Cluster(brokers=1, name="bench-idem")
    with cluster as c:
        c.create_topic("plain", partitions=PARTITIONS)
        c.create_topic("idem", partitions=PARTITIONS)
        cases = (("plain", "plain", ["enable.idempotence=false"]),
                 ("capped", "plain", ["enable.idempotence=false",
                                      "max.in.flight.requests.per.connection=5"]),
                 ("idem", "idem", ["enable.idempotence=true"]))
        for _name, topic, props in cases:
            perf(c, topic, "all", 10000, size, props)
        pid = c.brokers[0].proc.pid
        for name, topic, props in cases:
            log("idempotence benchmark: %d records of %d bytes, %s" % (records, size, " ".join(props)))
            c0 = cpu_secs(pid)
            results[name] = perf(c, topic, "all", records, size, props)
            results[name]["cpu"] = (cpu_secs(pid) - c0) / records * 1e6
    a, m, b = results["plain"], results["capped"], results["idem"]
    print("== idempotence (1 broker, %d partitions, %d x %d B records, acks=all, unthrottled, "
          "one producer)" % (PARTITIONS, records, size))
    print("%-26s %14s %9s %8s %8s %8s %12s" % ("case", "records/s", "MB/s", "p50 ms", "p99 ms", "secs",
                                               "broker s/M"))
    for name, r in (("enable.idempotence=false", a), ("  same, 5 in flight", m),
                    ("enable.idempotence=true", b)):
        print("%-26s %14.1f %9.2f %8d %8d %8.1f %12.2f" % (name, r["rps"], r["mbps"], r["p50"],
                                                           r["p99"], r["secs"], r["cpu"]))
    print("idempotent / plain throughput ratio: %.2f (/ plain with 5 in flight: %.2f)"
          % (b["rps"] / a["rps"], b["rps"] / m["rps"]))
    print("rerun: SM_BENCH_IDEM_RECORDS=%d SM_BENCH_IDEM_SIZE=%d SM_TOP_BUILDDIR=%s /usr/bin/python3 %s"
          % (records, size, harness.BUILD, os.path.abspath(__file__)))


if __name__ == "__main__":
    main()
