#!/usr/bin/python3
"""Java interop: the Apache Kafka Java clients (kafka-clients and kafka-streams
3.9 and the newest 4.x) with default settings against ZooKeeper + 3 Samsa
brokers -- producer, consumer groups (range, cooperative-sticky with a member
killed by SIGKILL, static membership), AdminClient and a Kafka Streams word
count (exactly_once_v2 also across kill -9 of a broker mid-run: the JVM prints
KILL-BROKER, this driver kills broker 2 and restarts it after that check). The Java side is tests/java (org.samsa.interop.Interop); Maven only
resolves each version's classpath (downloading into ~/.m2 on a first run),
javac and java do the rest in the run's temp directory.

Prints one line per Java check, a summary per version and part, the expected
failures (XFAIL: what Samsa does not serve yet) and, last, "N passed, N
failed". An XPASS (an expected failure that passed) is a failure, so that
its expectation is flipped. SKIP (exit 0) only when a JDK or Maven is missing
outside CI, or when Maven Central does not serve a requested version; a
network failure fails.

Environment: SM_JAVA_KAFKA_VERSIONS (default "3.9.2 4.4.0"), SM_JAVA_PARTS
(default all: "producer consumer admin streams").
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import javautil  # noqa: E402
from harness import log  # noqa: E402

NAME = "0600-java_clients"
VERSIONS = os.environ.get("SM_JAVA_KAFKA_VERSIONS", "3.9.2 4.4.0").split()
PARTS = os.environ.get("SM_JAVA_PARTS", "producer consumer admin streams").split()
MAIN = "org.samsa.interop.Interop"
KILLED = 2  # the broker the Streams check has killed mid-run


def run_java(c, version, cp, work, results):
    """Runs every part with one client version; appends (version, kind, part,
    check, detail) to results."""
    prefix = "j%s-" % version.replace(".", "")
    errlog = os.path.join(work, "java-%s.stderr" % version)
    cmd = ["java", "-Xmx512m", "-cp", cp, MAIN, c.bootstrap, prefix, work] + PARTS
    log("kafka %s: %s" % (version, " ".join(cmd[3:])))
    t0 = time.monotonic()
    seen = 0
    killed = None
    with open(errlog, "wb") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL,
                                preexec_fn=harness._die_with_parent)
        try:
            for raw in proc.stdout:
                line = raw.decode(errors="replace").rstrip("\n")
                m = re.match(r"RESULT (PASS|FAIL|XFAIL|XPASS) (\S+) (\S+)(?: -- (.*))?$", line)
                if m:
                    seen += 1
                    results.append((version, m.group(1), m.group(2), m.group(3), m.group(4) or ""))
                    print("  %-5s kafka %s %s/%s %s" % (m.group(1), version, m.group(2), m.group(3),
                                                        m.group(4) or ""), flush=True)
                elif line.startswith("PART "):
                    log("kafka %s %s" % (version, line))
                elif line.startswith("KILL-BROKER "):
                    # the Streams exactly-once check, mid-run: kill -9 a
                    # broker, say so through the file it names
                    victim = c.brokers[KILLED]
                    victim.kill9()
                    log("kafka %s: killed broker %d (kill -9)" % (version, victim.id))
                    open(line.split(" ", 1)[1], "w").close()
                    killed = victim
                if killed is not None and m and m.group(3).endswith("-broker-killed"):
                    killed.start()
                    log("kafka %s: restarted broker %d" % (version, killed.id))
                    killed = None
            rc = proc.wait(timeout=600)
        finally:
            if killed is not None:  # the JVM ended before that check's result
                killed.start()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    log("kafka %s: JVM exit status %d after %.1fs" % (version, rc, time.monotonic() - t0))
    bad = [r for r in results if r[0] == version and r[1] in ("FAIL", "XPASS")]
    if bad or rc != 0:
        print("---- java stderr (tail) %s" % errlog)
        print(harness.tail(errlog, 80), flush=True)
    if rc != 0 and not bad:
        results.append((version, "FAIL", "jvm", "exit", "exit status %d, %d results" % (rc, seen)))


def main():
    signal.signal(signal.SIGTERM, harness._on_signal)
    javautil.require_tools()
    t_start = time.monotonic()
    work = tempfile.mkdtemp(prefix="samsa-java-")
    results = []
    classpaths = []
    try:
        for v in VERSIONS:
            cp = javautil.resolve(v, work)
            if cp is None:
                continue
            classes = javautil.compile_sources(v, cp, work)
            classpaths.append((v, classes + ":" + cp))
        t_ready = time.monotonic()
        if not classpaths:
            javautil.skip("no Kafka client version could be fetched")
        # Kafka's replication of its internal topics, so that the brokers
        # that stay up after the Streams check's kill -9 take over its
        # transaction and group coordinators.
        cluster = harness.Cluster(brokers=3, name=NAME, broker_props={
            "offsets.topic.replication.factor": "3",
            "transaction.state.log.replication.factor": "3"})
        with cluster as c:
            for v, cp in classpaths:
                run_java(c, v, cp, work, results)
            if any(r[1] in ("FAIL", "XPASS") for r in results):
                cluster.failed = True
    except harness.TestFailure as e:
        print("FAIL: %s" % e, flush=True)
        results.append(("-", "FAIL", "driver", "setup", str(e)))
        t_ready = t_ready if "t_ready" in locals() else time.monotonic()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("==== summary (Maven + javac %.0fs, total %.0fs)"
          % (t_ready - t_start, time.monotonic() - t_start))
    for v in VERSIONS:
        for part in PARTS + ["jvm", "driver"]:
            rs = [r for r in results if r[0] == v and r[2] == part]
            if rs:
                print("kafka %s %-8s: %d passed, %d failed, %d xfail"
                      % (v, part, sum(r[1] == "PASS" for r in rs),
                         sum(r[1] in ("FAIL", "XPASS") for r in rs), sum(r[1] == "XFAIL" for r in rs)))
    for r in results:
        if r[1] != "PASS":
            print("%s: kafka %s %s/%s -- %s" % (r[1], r[0], r[2], r[3], r[4]))
    passed = sum(r[1] == "PASS" for r in results)
    failed = sum(r[1] in ("FAIL", "XPASS") for r in results)
    xfails = sum(r[1] == "XFAIL" for r in results)
    print("%d xfail (expected failures, not counted below)" % xfails)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    sys.exit(0 if failed == 0 and passed > 0 else 1)


if __name__ == "__main__":
    main()
