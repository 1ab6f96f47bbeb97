#!/usr/bin/python3
"""One Samsa broker against librdkafka's in-memory mock broker: produce
throughput, CPU per GB and latency at a fixed rate, as ratios in one
interleaved run.

Figures only; nothing here passes or fails. The mock (bench/bench_mock:
librdkafka's mock cluster of one broker in a process of its own, the topic
created with the case's partition count) stores records in memory,
writes nothing to disk and replicates nothing: it is the floor of the
client, the loopback and the scheduler on this machine. Samsa is one
broker started by the integration harness (bin/kafka-server-start.sh with
Kafka's default settings but for the harness's own, such as the offsets
topic's replication factor). Both are reached over loopback by the same
client, bin/kafka-producer-perf-test.sh (librdkafka), acks=1, and both run
in a process of their own, so the CPU seconds of the server process (utime
+ stime from /proc) are read the same way for both.

Cases:
- throughput: records of 100 B and 1 KiB to topics of 1 and 8 partitions,
  unthrottled, librdkafka's default batching; SM_BENCH_MOCK_MB (default
  200) MB of record values per case;
- fixed rate: SM_BENCH_MOCK_RATE (default 100,000) records/s of 100 B for
  SM_BENCH_MOCK_RATE_SECS (default 10) s to a topic of 1 partition with
  linger.ms=0 and 5 requests in flight per connection (the Java
  producer's): p50/p99/p99.9 (the tool's whole milliseconds) and CPU per
  GB.
After each throughput case on Samsa, dd writes as many bytes into a new
file beside the broker's log directory (no sync): the rate at which this
machine fills page cache it has not used recently, the work no broker that
keeps its log in files can skip (on a virtual machine, pages the guest has
not touched lately cost far more to fill than pages it freed a moment
ago; the mock reuses its bounded in-memory buffers). Samsa's MB/s is
printed against it too ("dd" rows).
With SM_BENCH_MOCK_RECYCLE=1, before each throughput case (on both
servers, and before the dd) a file of 1.5 times the case's bytes is
written and removed, and the dd file is removed after it: the writes then
fill pages the guest freed a moment before, as on a host whose page cache
is full and recycles its oldest pages, which is the steady state of a
broker that has run for a while.
SM_BENCH_MOCK_ROUNDS rounds (default 3), every case on both servers in an
order rotated per round, each on a new topic (Samsa) or a new mock process;
each first gets 10,000 unmeasured records. Ratios are taken within a round
and their medians printed, with the issue's targets beside them.
"""
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from harness import log  # noqa: E402
from vs_kafka import cpu_seconds, produce, topics, wait_leaders  # noqa: E402

MB = int(os.environ.get("SM_BENCH_MOCK_MB", "200"))
RATE = int(os.environ.get("SM_BENCH_MOCK_RATE", "100000"))
RATE_SECS = int(os.environ.get("SM_BENCH_MOCK_RATE_SECS", "10"))
ROUNDS = int(os.environ.get("SM_BENCH_MOCK_ROUNDS", "3"))
# SM_BENCH_MOCK_PROPS="key=value ...": broker properties for Samsa's broker
PROPS = dict(kv.split("=", 1) for kv in os.environ.get("SM_BENCH_MOCK_PROPS", "").split())
ONLY = os.environ.get("SM_BENCH_MOCK_ONLY")     # run only the cases whose name starts with it
RECYCLE = os.environ.get("SM_BENCH_MOCK_RECYCLE", "0") != "0"
ENV_NAMES = ("SM_BENCH_MOCK_PROPS", "SM_BENCH_MOCK_ONLY", "SM_BENCH_MOCK_RECYCLE", "SM_BENCH_MOCK_MB", "SM_BENCH_MOCK_RATE", "SM_BENCH_MOCK_RATE_SECS", "SM_BENCH_MOCK_ROUNDS")
RATE_PROPS = ["linger.ms=0", "max.in.flight.requests.per.connection=5"]
# (name, record size, partitions, records/s or -1, producer properties)
CASES = [("100 B, 1 partition", 100, 1, -1, []),
         ("100 B, 8 partitions", 100, 8, -1, []),
         ("1 KiB, 1 partition", 1024, 1, -1, []),
         ("1 KiB, 8 partitions", 1024, 8, -1, []),
         ("%d/s, 100 B, linger 0" % RATE, 100, 1, RATE, RATE_PROPS)]
MOCK = os.path.join(harness.BUILD, "bench", "bench_mock")


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class Mock:
    """bench_mock in a process of its own, serving one topic."""

    def __init__(self, topic, partitions):
        self.proc = subprocess.Popen([MOCK, topic, str(partitions)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, preexec_fn=harness._die_with_parent)
        self.bootstrap = self.proc.stdout.readline().decode().strip()
        if not self.bootstrap:
            self.proc.kill()
            self.proc.wait()
            harness.fail("bench_mock printed no bootstrap servers")

    def close(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def dd_new_file(path, mb):
    """MB/s (10^6 B) and CPU seconds per GB of dd writing `mb` MB of zeros into a new file in the
    page cache, without a sync: the machine's rate for the work a broker's
    log append cannot avoid. The file is kept (until the run's directory
    is removed): freeing it would hand its pages to the next case's writes,
    which are much cheaper to fill on a virtual machine than pages the
    guest has not touched recently."""
    c0 = children_cpu()
    p = subprocess.run(["dd", "if=/dev/zero", "of=" + path, "bs=1000000", "count=%d" % mb],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=True)
    m = re.search(r", ([\d.]+) s, ", p.stdout.decode())
    return {"mbps": mb / float(m.group(1)), "cpu": (children_cpu() - c0) / (mb / 1000.0)}


def recycle_pages(path, mb):
    """Writes `mb` MB into a new file and removes it, so that the next
    writes into the page cache reuse pages the guest has just freed."""
    subprocess.run(["dd", "if=/dev/zero", "of=" + path, "bs=1000000", "count=%d" % mb],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    os.unlink(path)


def one(server, boot, case, topic, records):
    """Produces `records` of the case to `topic`; the perf tool's figures
    with the server's and the client's CPU seconds."""
    name, size, parts, rate, props = case
    mock = None
    if server == "mock":
        mock = Mock(topic, parts)
        boot, pid = mock.bootstrap, mock.proc.pid
    else:
        pid = boot[1]
        boot = boot[0]
        topics(boot, "--create", "--topic", topic, "--partitions", str(parts), "--replication-factor", "1")
        wait_leaders(boot, topic, parts)
    try:
        produce(boot, topic, "1", 10000, props, size=size)
        s0, c0 = cpu_seconds(pid), children_cpu()
        r = produce(boot, topic, "1", records, props, throughput=rate, size=size)
        s1, c1 = cpu_seconds(pid), children_cpu()
    finally:
        if mock:
            mock.close()
    gb = records * size / 1e9
    r.update({"mbps": r["rps"] * size / 1e6, "server": (s1 - s0) / gb, "client": (c1 - c0) / gb})
    return r


def main():
    if not os.access(MOCK, os.X_OK) or not os.access(os.path.join(harness.BUILD, "tools",
                                                                  "kafka-producer-perf-test"), os.X_OK):
        print("== Samsa against librdkafka's mock: skipped (bench/bench_mock or the perf tool not built; "
              "run make first)")
        return
    rounds = []
    cases = [x for x in CASES if not ONLY or x[0].startswith(ONLY)]
    with harness.Cluster(brokers=1, name="bench-mock", broker_props=PROPS) as c:
        samsa = (c.bootstrap, c.brokers[0].proc.pid)
        runs = [(server, case) for case in cases for server in ("samsa", "mock")]
        for n in range(ROUNDS):
            order = runs[n % len(runs):] + runs[:n % len(runs)]
            res = {"load": os.getloadavg()[0]}
            for server, case in order:
                name, size, parts, rate, props = case
                records = rate * RATE_SECS if rate > 0 else MB * 1000000 // size
                log("vs mock, round %d/%d: %s, %s, %d records" % (n + 1, ROUNDS, server, name, records))
                topic = "m%d-%d-%d-%d" % (n, size, parts, max(rate, 0))
                if RECYCLE and rate < 0:
                    recycle_pages(os.path.join(c.root, "recycle"), records * size * 3 // 2000000)
                res[(server, name)] = one(server, samsa, case, topic, records)
                if server == "samsa" and rate < 0:
                    if RECYCLE:
                        recycle_pages(os.path.join(c.root, "recycle"), records * size * 3 // 2000000)
                    res[("dd", name)] = dd_new_file(os.path.join(c.root, "dd-" + topic), records * size // 1000000)
                    if RECYCLE:
                        os.unlink(os.path.join(c.root, "dd-" + topic))
            rounds.append(res)
    report(rounds, cases)


def report(rounds, cases):
    print("== Samsa (1 broker) against librdkafka's mock broker (1 mock broker in its own process), acks=1, "
          "%d rounds, %s" % (len(rounds), "page cache filled with pages just freed (SM_BENCH_MOCK_RECYCLE=1)"
                             if RECYCLE else "page cache filled with pages not used lately"))
    print("(CPU: user + system seconds per GB (10^9 B of record values) of the server process and of the "
          "client tool; latency: whole ms)")
    print("%-5s %-24s %-6s %11s %9s %6s %6s %7s %10s %10s" % (
        "round", "case", "server", "records/s", "MB/s", "p50", "p99", "p99.9", "server s/GB",
        "client s/GB"))
    for n, res in enumerate(rounds):
        for case in cases:
            for server in ("samsa", "mock"):
                r = res[(server, case[0])]
                print("%-5d %-24s %-6s %11.0f %9.1f %6d %6d %7d %10.2f %10.2f" % (
                    n + 1, case[0], server, r["rps"], r["mbps"], r["p50"], r["p99"], r["p999"],
                    r["server"], r["client"]))
            if ("dd", case[0]) in res:
                dd = res[("dd", case[0])]
                print("%-5d %-24s %-6s %11s %9.1f %6s %6s %7s %10.2f" % (n + 1, case[0], "dd", "", dd["mbps"], "",
                                                                       "", "", dd["cpu"]))
        print("%-5d load average %.1f" % (n + 1, res["load"]))

    def med(server, name, key):
        return statistics.median(res[(server, name)][key] for res in rounds)
    for case in cases:
        name, rate = case[0], case[3]
        per = [res[("samsa", name)]["rps"] / res[("mock", name)]["rps"] for res in rounds]
        line = "%s: Samsa / mock records/s median %.2f (rounds %s); server CPU s/GB Samsa %.2f, mock %.2f" % (
            name, statistics.median(per), " ".join("%.2f" % x for x in per),
            med("samsa", name, "server"), med("mock", name, "server"))
        if rate < 0:
            lim = [res[("samsa", name)]["mbps"] / res[("dd", name)]["mbps"] for res in rounds]
            line += "; Samsa MB/s / dd into a new file %.2f (rounds %s), dd's CPU s/GB %.2f" % (
                statistics.median(lim), " ".join("%.2f" % x for x in lim),
                statistics.median(res[("dd", name)]["cpu"] for res in rounds))
        if rate > 0:
            line += "; p50/p99/p99.9 ms Samsa %d/%d/%d, mock %d/%d/%d" % (
                med("samsa", name, "p50"), med("samsa", name, "p99"), med("samsa", name, "p999"),
                med("mock", name, "p50"), med("mock", name, "p99"), med("mock", name, "p999"))
        print(line)
    print("targets: produce >= 1.0 of the mock at 100 B and 1 KiB, 1 and 8 partitions; broker CPU <= 1.0 s/GB "
          "at 100 B batched and <= 5 s/GB at %d/s linger 0; p99 at %d/s no worse than the mock's" % (RATE, RATE))
    env = " ".join("%s=%s" % (k, shlex.quote(os.environ[k])) for k in ENV_NAMES if k in os.environ)
    print("rerun: cd %s && %s%sSM_TOP_BUILDDIR=$PWD /usr/bin/python3 %s"
          % (harness.BUILD, env, " " if env else "", os.path.abspath(__file__)))


if __name__ == "__main__":
    main()
