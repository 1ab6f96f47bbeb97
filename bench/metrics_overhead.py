#!/usr/bin/python3
"""Metrics overhead benchmark: producer and consumer throughput against a
broker serving metrics.listener (and scraped) as a ratio to a broker
without it, in the same run.

Figures only; nothing here passes or fails. Two one-broker clusters (each
with its own ZooKeeper, so each broker is its own controller and group
coordinator) of the same build and settings, except that the "on" broker
has metrics.listener=http://127.0.0.1:0 and the "off" one has none; each
has one topic of SM_BENCH_METRICS_PARTITIONS (6) partitions, and each case
talks to its own broker only (the other idles).
Each round runs, for each case in turn, the producer perf tool
(bin/kafka-producer-perf-test.sh, acks=1, unthrottled) with
SM_BENCH_METRICS_RECORDS records of SM_BENCH_METRICS_SIZE bytes, then the
consumer perf tool reading the topic from the beginning. While broker 0's
case runs, a thread here GETs its /metrics every SM_BENCH_METRICS_SCRAPE_MS
(1000 ms, fifteen times Prometheus' usual rate), so the "on" figures pay
for rendering scrapes too. The order of the two cases alternates from round
to round; the medians of SM_BENCH_METRICS_ROUNDS (3) rounds are compared.

Throughput on a machine shared with other work moves by tens of percent
from one run to the next, far more than the effect looked for, so the
broker's own CPU time (utime + stime from /proc) per record moved is
printed too: it is what the metrics actually cost, and it does not depend
on how long the broker waited for a core. Last, the broker CPU of 1,000
back-to-back scrapes of the idle "on" broker gives the cost of one scrape
on its own, which no noise hides.

The counters themselves (relaxed atomic adds per request and per partition
of a produce or fetch, never per record) are updated whether or not the
listener runs, so both brokers pay for them; what the listener adds is the
metrics-http thread and the scrapes (the gauges walk the partition table
under the replica manager's lock). Each case first gets 10,000 unmeasured
records.

With SM_BENCH_METRICS_CALLGRIND=1 the cost is also counted rather than
timed, which no other load on the machine can move: each case's broker
runs under valgrind --tool=callgrind, gets 2,000 unmeasured records, has
its counters zeroed (callgrind_control -z), moves
SM_BENCH_METRICS_CALLGRIND_RECORDS (1,000,000) records in and out with the
same perf tools, and is dumped (callgrind_control -d): the instructions
executed (Ir, every thread) per record moved, for both cases, and their
ratio. No scrape runs during that workload (its cost would scale with the
slowed-down wall time); instead the "on" broker's Ir for
SM_BENCH_METRICS_CALLGRIND_SCRAPES (20) scrapes is counted on its own and
compared with the Ir per record: a scrape costs the same at any load, so
the load above which one scrape a second costs under 2 % is printed (and
the cost at the time-based part's median produce rate, unless
SM_BENCH_METRICS_ROUNDS=0 skips that part). The dumps stay in the clusters' directories
(SM_KEEP_TMP=1) for callgrind_annotate.
"""
import glob
import subprocess
import os
import re
import statistics
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from harness import log  # noqa: E402
from replication import perf  # noqa: E402
from tls import consume  # noqa: E402


def cpu_secs(pid):
    """User + system CPU seconds the process has used so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def metrics_port(b):
    with open(b.server_log, errors="replace") as f:
        ports = re.findall(r"Serving Prometheus metrics on http://127\.0\.0\.1:(\d+)/metrics", f.read())
    if not ports:
        harness.fail("broker %d logged no metrics endpoint" % b.id)
    return int(ports[-1])


class Scraper(threading.Thread):
    """GETs /metrics every interval while running is set; counts scrapes."""

    def __init__(self, port, interval):
        super().__init__(daemon=True)
        self.url = "http://127.0.0.1:%d/metrics" % port
        self.interval = interval
        self.running = threading.Event()
        self.stop = threading.Event()
        self.scrapes = 0
        self.bytes = 0

    def run(self):
        while not self.stop.is_set():
            if not self.running.wait(0.1):
                continue
            with urllib.request.urlopen(self.url, timeout=30) as r:
                self.bytes += len(r.read())
            self.scrapes += 1
            self.stop.wait(self.interval)


class Via:
    def __init__(self, boot):
        self.bootstrap = boot


def callgrind_spawn(b, out_dir):
    """Replaces b.spawn: the broker binary itself under callgrind (the
    start script would exec it, but valgrind must be the process)."""
    def spawn(extra_args=()):
        env = dict(os.environ, SAMSA_BUILD_DIR=harness.BUILD, LOG_DIR=b.log_dir,
                   KAFKA_LOG4J_OPTS=os.environ.get("KAFKA_LOG4J_OPTS", ""))
        cmd = ["valgrind", "--tool=callgrind", "--quiet",
               "--callgrind-out-file=" + os.path.join(out_dir, "callgrind.out.%p"),
               os.path.join(harness.BUILD, "src", "samsa-server"), b.props_path] + list(extra_args)
        with open(b.out_path, "ab") as out:
            b.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, cwd=b.dir, env=env)
        return b.proc
    b.spawn = spawn


def callgrind_ctl(pid, flag, out_dir):
    """callgrind_control -z (zero) or -d (dump); for a dump returns the Ir
    total of the new dump file(s)."""
    before = set(glob.glob(os.path.join(out_dir, "callgrind.out.%d*" % pid)))
    harness.run(["callgrind_control", flag, str(pid)], timeout=600, what="callgrind_control " + flag)
    if flag != "-d":
        return None
    total = 0
    for path in sorted(set(glob.glob(os.path.join(out_dir, "callgrind.out.%d*" % pid))) - before):
        with open(path, errors="replace") as f:
            for line in f:
                if line.startswith("totals:") or line.startswith("summary:"):
                    total += int(line.split()[1])
                    break
    if not total:
        harness.fail("no callgrind dump for pid %d in %s" % (pid, out_dir))
    return total


def callgrind_figures(size, parts):
    """Ir per record moved with metrics.listener on and off, and Ir per
    scrape; see the module comment."""
    records = int(os.environ.get("SM_BENCH_METRICS_CALLGRIND_RECORDS", "1000000"))
    n_scrapes = int(os.environ.get("SM_BENCH_METRICS_CALLGRIND_SCRAPES", "20"))
    warm = 2000
    harness.START_TIMEOUT = max(harness.START_TIMEOUT, 300)
    res = {}
    for name in ("off", "on"):
        with harness.Cluster(brokers=0, name="bench-metrics-cg-" + name) as c:
            props = {"metrics.listener": "http://127.0.0.1:0"} if name == "on" else {}
            b = c.add_broker(props=props, start=False)
            callgrind_spawn(b, c.root)
            b.start()
            c.create_topic(name, partitions=parts)
            via = Via(b.bootstrap)
            perf(via, name, "1", warm, size)
            consume(via.bootstrap, name, warm, None)
            pid = b.proc.pid
            callgrind_ctl(pid, "-z", c.root)
            t0 = time.monotonic()
            p = perf(via, name, "1", records, size)
            consume(via.bootstrap, name, warm + records, None)
            secs = time.monotonic() - t0
            ir = callgrind_ctl(pid, "-d", c.root)
            moved = records + warm + records
            res[name] = {"ir": ir, "per": ir / moved, "rps": p["rps"], "secs": secs}
            log("callgrind %s: %d Ir for %d records in+out (%.0f per record, %.0f s)"
                % (name, ir, moved, ir / moved, secs))
            if name == "on":
                url = "http://127.0.0.1:%d/metrics" % metrics_port(b)
                callgrind_ctl(pid, "-z", c.root)
                for _ in range(n_scrapes):
                    with urllib.request.urlopen(url, timeout=120) as r:
                        r.read()
                res["scrape"] = callgrind_ctl(pid, "-d", c.root) / n_scrapes
    return records, n_scrapes, res


def print_callgrind(records, size, parts, n_scrapes, res, native_rps):
    off, on = res["off"]["per"], res["on"]["per"]
    print("== metrics overhead counted by callgrind (instructions executed by the broker, all threads; "
          "%d partitions, %d x %d B records produced (acks=1) then consumed from the start)"
          % (parts, records, size))
    print("%-18s %-20s %-20s" % ("metrics.listener", "Ir total", "Ir per record in+out"))
    for name in ("off", "on"):
        print("%-18s %-20d %-20.0f" % (name, res[name]["ir"], res[name]["per"]))
    print("on / off Ir per record: %.4f (cost %.2f %%; goal < 2 %%)" % (on / off, 100 * (on / off - 1)))
    # A scrape costs the same whatever the load, so its share of the
    # broker's work depends on the load: the break-even load is printed.
    even = res["scrape"] / (0.02 * off)
    print("one scrape: %.0f Ir (mean of %d), the work of %.0f records in+out; one scrape a second costs "
          "under 2 %% above %.0f records/s in+out (at Prometheus' usual 15 s, above %.0f)"
          % (res["scrape"], n_scrapes, res["scrape"] / off, even, even / 15))
    if native_rps:
        per_rec = res["scrape"] / (2 * native_rps)
        print("at one scrape a second and the time-based median of %.0f records/s produced (and as many "
              "consumed) that is %.1f Ir per record, %.2f %% of the off case's Ir per record"
              % (native_rps, per_rec, 100 * per_rec / off))


def main():
    records = int(os.environ.get("SM_BENCH_METRICS_RECORDS", "2000000"))
    size = int(os.environ.get("SM_BENCH_METRICS_SIZE", "100"))
    rounds = int(os.environ.get("SM_BENCH_METRICS_ROUNDS", "3"))
    parts = int(os.environ.get("SM_BENCH_METRICS_PARTITIONS", "6"))
    scrape_ms = int(os.environ.get("SM_BENCH_METRICS_SCRAPE_MS", "1000"))
    cg = None
    if os.environ.get("SM_BENCH_METRICS_CALLGRIND") == "1":
        cg = callgrind_figures(size, parts)
        if rounds <= 0:
            rec, n_scrapes, r = cg
            print_callgrind(rec, size, parts, n_scrapes, r, None)
            return
    res = {"on": {"p": [], "c": [], "cpu": []}, "off": {"p": [], "c": [], "cpu": []}}
    scraper = None
    # Two clusters, so that each broker is its own group coordinator and
    # controller: the cases differ in metrics.listener only.
    with harness.Cluster(brokers=0, name="bench-metrics-on") as con, \
            harness.Cluster(brokers=0, name="bench-metrics-off") as coff:
        on = con.add_broker(props={"metrics.listener": "http://127.0.0.1:0"})
        off = coff.add_broker()
        for topic, c in (("on", con), ("off", coff)):
            c.create_topic(topic, partitions=parts)
        scraper = Scraper(metrics_port(on), scrape_ms / 1000.0)
        scraper.start()
        cases = {"on": Via(on.bootstrap), "off": Via(off.bootstrap)}
        pids = {"on": on.proc.pid, "off": off.proc.pid}
        for name, via in cases.items():
            perf(via, name, "1", 10000, size)
            consume(via.bootstrap, name, 10000, None)
        total = 10000
        for rnd in range(rounds):
            total += records
            order = ("off", "on") if rnd % 2 == 0 else ("on", "off")
            for name in order:
                via = cases[name]
                log("metrics benchmark round %d: %d records of %d bytes, metrics.listener %s"
                    % (rnd + 1, records, size, name))
                if name == "on":
                    scraper.running.set()
                cpu0 = cpu_secs(pids[name])
                try:
                    p = perf(via, name, "1", records, size)
                    secs = consume(via.bootstrap, name, total, None)
                finally:
                    scraper.running.clear()
                # broker CPU per million records, produced and consumed
                res[name]["cpu"].append((cpu_secs(pids[name]) - cpu0) * 1e6 / (records + total))
                res[name]["p"].append(p["rps"])
                res[name]["c"].append(total * size / secs / 2 ** 20)
        scraper.stop.set()
        # The scrape itself, measured alone: broker CPU for back-to-back
        # GETs on the idle "on" broker (its topic and counters populated).
        url = "http://127.0.0.1:%d/metrics" % metrics_port(on)
        n_alone = 1000
        cpu0 = cpu_secs(pids["on"])
        for _ in range(n_alone):
            with urllib.request.urlopen(url, timeout=30) as r:
                r.read()
        scrape_cpu_ms = (cpu_secs(pids["on"]) - cpu0) * 1000.0 / n_alone
    print("== metrics overhead (2 one-broker clusters, one per case, %d partitions, %d x %d B records, acks=1, "
          "one producer then one consumer, %d rounds; /metrics scraped every %d ms in the on case)"
          % (parts, records, size, rounds, scrape_ms))
    print("%-18s %-34s %-34s" % ("metrics.listener", "produce records/s per round",
                                 "consume MB/s per round"))
    for name in ("off", "on"):
        print("%-18s %-34s %-34s" % (name, " ".join("%.0f" % v for v in res[name]["p"]),
                                     " ".join("%.1f" % v for v in res[name]["c"])))
    print("%-18s %-34s" % ("", "broker CPU s per 1M records in+out, per round"))
    for name in ("off", "on"):
        print("%-18s %-34s" % (name, " ".join("%.2f" % v for v in res[name]["cpu"])))
    ratios = {k: [a / b for a, b in zip(res["on"][k], res["off"][k])] for k in ("p", "c", "cpu")}
    print("on / off within each round: produce %s; consume %s; broker CPU %s"
          % tuple(" ".join("%.2f" % v for v in ratios[k]) for k in ("p", "c", "cpu")))
    print("median of the per-round ratios: produce %.3f, consume %.3f, broker CPU per record %.3f"
          % tuple(statistics.median(ratios[k]) for k in ("p", "c", "cpu")))
    pm = {n: statistics.median(res[n]["p"]) for n in res}
    cm = {n: statistics.median(res[n]["c"]) for n in res}
    print("medians: produce %.0f (off) %.0f (on) records/s; consume %.1f (off) %.1f (on) MB/s"
          % (pm["off"], pm["on"], cm["off"], cm["on"]))
    print("on / off: produce %.3f, consume %.3f (cost %.1f %% and %.1f %%; goal < 2 %%)"
          % (pm["on"] / pm["off"], cm["on"] / cm["off"], 100 * (1 - pm["on"] / pm["off"]),
             100 * (1 - cm["on"] / cm["off"])))
    print("scrapes: %d, %.0f bytes each on average" % (scraper.scrapes,
                                                         scraper.bytes / max(1, scraper.scrapes)))
    print("one scrape alone: %.3f ms of broker CPU (%d back-to-back scrapes of the idle broker); "
          "at one scrape per %d ms that is %.3f %% of one core, at Prometheus' usual 15 s %.4f %%"
          % (scrape_cpu_ms, n_alone, scrape_ms, scrape_cpu_ms / scrape_ms * 100,
             scrape_cpu_ms / 15000 * 100))
    if cg:
        rec, n_scrapes, r = cg
        print_callgrind(rec, size, parts, n_scrapes, r, statistics.median(res["off"]["p"]))
    print("rerun: SM_BENCH_METRICS_RECORDS=%d SM_BENCH_METRICS_SIZE=%d SM_BENCH_METRICS_ROUNDS=%d "
          "SM_BENCH_METRICS_SCRAPE_MS=%d SM_TOP_BUILDDIR=%s /usr/bin/python3 %s"
          % (records, size, rounds, scrape_ms, harness.BUILD, os.path.abspath(__file__)))


if __name__ == "__main__":
    main()
