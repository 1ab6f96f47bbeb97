#!/usr/bin/python3
"""Transactions benchmark: producer throughput of a transactional producer
committing every 100 ms, as a ratio to an idempotent producer in the same
run, with the commit latency (commit_transaction() call time).

Figures only; nothing here passes or fails. One broker, one topic of 6
partitions, one confluent-kafka producer (librdkafka; the producer perf
tool does not do transactions) sending records of 100 bytes
(SM_BENCH_TXN_SIZE) as fast as a Python loop hands them over, for
SM_BENCH_TXN_SECS seconds per case, acks=all in both cases:

- idempotent: enable.idempotence=true, flushed at the end;
- transactional: transactional.id set, begin_transaction() ..
  commit_transaction() every SM_BENCH_TXN_INTERVAL_MS (default 100) ms, so
  each transaction adds its partitions (AddPartitionsToTxn), ends
  (EndTxn, PrepareCommit and CompleteCommit written to
  __transaction_state) and has its COMMIT markers written (WriteTxnMarkers)
  before the producer may go on.

The Python loop is the same in both cases, so the ratio shows what the
transaction round trips cost a producer on top of idempotence. Records
are counted once acknowledged (flushed or committed). Each case first
runs for one unmeasured second, and its own producer sends one record
(in a transaction of its own for the transactional one) before its
clock starts.
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402
from harness import log  # noqa: E402

from confluent_kafka import Producer  # noqa: E402

PARTITIONS = 6
TOPIC = "txn-bench"


def cpu_secs(pid):
    """utime + stime of pid, in seconds (fields 14 and 15 of /proc/pid/stat,
    counted after the parenthesised command name)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else 0.0


def run_case(c, transactional, secs, size, interval_ms, tid):
    conf = {"bootstrap.servers": c.bootstrap, "acks": "all", "enable.idempotence": True,
            "linger.ms": 5}
    if transactional:
        conf["transactional.id"] = tid
    p = Producer(conf)
    if transactional:
        p.init_transactions(60)
    value = b"x" * size
    # One record through this producer before the clock starts: a new
    # librdkafka producer may wait up to a second for its topic's metadata
    # (the first transaction after init_transactions did, every run), which
    # would be counted against whichever case hits it.
    if transactional:
        p.begin_transaction()
    p.produce(TOPIC, value)
    if transactional:
        p.commit_transaction(60)
    elif p.flush(60):
        harness.fail("the warm-up record is still unacknowledged after the flush")
    sent = 0
    commits = []
    t0 = time.monotonic()
    end = t0 + secs
    interval = interval_ms / 1000.0
    while True:
        if transactional:
            p.begin_transaction()
        txn_end = min(time.monotonic() + interval, end) if transactional else end
        while time.monotonic() < txn_end:
            for _ in range(200):
                try:
                    p.produce(TOPIC, value)
                    sent += 1
                except BufferError:
                    p.poll(0.005)
            p.poll(0)
        if transactional:
            tc = time.monotonic()
            p.commit_transaction(60)
            commits.append((time.monotonic() - tc) * 1000.0)
        if time.monotonic() >= end:
            break
    left = p.flush(60)
    elapsed = time.monotonic() - t0
    if left:
        harness.fail("%d records still unacknowledged after the flush" % left)
    return {"records": sent, "secs": elapsed, "rps": sent / elapsed,
            "mbps": sent * size / elapsed / 1e6, "commits": len(commits),
            "c50": pct(commits, 0.5), "c99": pct(commits, 0.99)}


def main():
    secs = float(os.environ.get("SM_BENCH_TXN_SECS", "30"))
    size = int(os.environ.get("SM_BENCH_TXN_SIZE", "100"))
    interval = int(os.environ.get("SM_BENCH_TXN_INTERVAL_MS", "100"))
    results = {}
    cluster = harness.Cluster(brokers=1, name="bench-txn")
    with cluster as c:
        c.create_topic(TOPIC, partitions=PARTITIONS)
        # warm-up, not measured: creates __transaction_state and loads it
        run_case(c, False, 1, size, interval, None)
        run_case(c, True, 1, size, interval, "bench-warm")
        log("transactions benchmark: %.0f s per case, %d B records, commit every %d ms"
            % (secs, size, interval))
        pid = c.brokers[0].proc.pid
        for name, txn in (("idem", False), ("txn", True)):
            c0 = cpu_secs(pid)
            results[name] = run_case(c, txn, secs, size, interval, "bench-txn" if txn else None)
            results[name]["cpu"] = (cpu_secs(pid) - c0) / results[name]["records"] * 1e6
    a, b = results["idem"], results["txn"]
    print("== transactions (1 broker, %d partitions, %d B records, acks=all, one confluent-kafka "
          "producer, %.0f s per case, commit every %d ms)" % (PARTITIONS, size, secs, interval))
    print("%-28s %12s %8s %9s %8s %12s %12s %11s" % ("case", "records/s", "MB/s", "records",
                                                     "commits", "commit p50", "commit p99",
                                                     "broker s/M"))
    print("%-28s %12.1f %8.2f %9d %8s %12s %12s %11.2f" % ("enable.idempotence=true", a["rps"],
                                                           a["mbps"], a["records"], "-", "-", "-",
                                                           a["cpu"]))
    print("%-28s %12.1f %8.2f %9d %8d %9.1f ms %9.1f ms %11.2f" % (
        "transactional, %d ms commits" % interval, b["rps"], b["mbps"], b["records"],
        b["commits"], b["c50"], b["c99"], b["cpu"]))
    print("transactional / idempotent throughput ratio: %.2f" % (b["rps"] / a["rps"]))
    print("rerun: SM_BENCH_TXN_SECS=%g SM_BENCH_TXN_SIZE=%d SM_BENCH_TXN_INTERVAL_MS=%d "
          "SM_TOP_BUILDDIR=%s /usr/bin/python3 %s"
          % (secs, size, interval, harness.BUILD, os.path.abspath(__file__)))


if __name__ == "__main__":
    main()
