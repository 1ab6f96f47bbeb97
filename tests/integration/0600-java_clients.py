#!/usr/bin/python3
"""Java interop: the Apache Kafka Java clients (kafka-clients and kafka-streams
3.9 and the newest 4.x) with default settings against ZooKeeper + 3 Samsa
brokers -- producer, consumer groups (range, cooperative-sticky with a member
killed by SIGKILL, static membership), AdminClient and a Kafka Streams word
count. The Java side is tests/java (org.samsa.interop.Interop); Maven only
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
from harness import log  # noqa: E402

NAME = "0600-java_clients"
JAVA_DIR = os.path.join(harness.SRC, "tests", "java")
VERSIONS = os.environ.get("SM_JAVA_KAFKA_VERSIONS", "3.9.2 4.4.0").split()
PARTS = os.environ.get("SM_JAVA_PARTS", "producer consumer admin streams").split()
MAIN = "org.samsa.interop.Interop"
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Maven's words for an artifact the repository answered "not found" for,
# as opposed to a repository that could not be reached.
NOT_SERVED = re.compile(r"Could not find artifact|was not found in|Could not resolve dependencies.*not found",
                        re.S)


def skip(msg):
    print("SKIP: %s" % msg, flush=True)
    sys.exit(0)


def tools():
    missing = [t for t in ("mvn", "java", "javac") if not shutil.which(t)]
    if missing:
        what = "%s missing (Debian packages maven, default-jdk-headless)" % ", ".join(missing)
        if ON_CI:
            print("FAIL: %s; CI must have them" % what, flush=True)
            sys.exit(1)
        skip(what)


def resolve(version, work):
    """The classpath of kafka-clients + kafka-streams `version`, or None with
    a SKIP line when Maven Central does not serve that version. Any other
    Maven failure (network, repository) fails the test."""
    out = os.path.join(work, "cp-%s.txt" % version)
    t0 = time.monotonic()
    p = subprocess.run(["mvn", "-B", "-q", "-f", os.path.join(JAVA_DIR, "pom.xml"),
                        "-Dkafka.version=" + version, "-Dmdep.outputFile=" + out,
                        "dependency:build-classpath"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                       timeout=600)
    text = p.stdout.decode(errors="replace")
    if p.returncode != 0:
        if NOT_SERVED.search(text) and "Could not transfer" not in text:
            print("SKIP: cannot fetch org.apache.kafka:kafka-clients/kafka-streams:%s: "
                  "not served by the Maven repository\n%s" % (version, text[-1500:]), flush=True)
            return None
        harness.fail("Maven could not resolve kafka-clients/kafka-streams %s (network or "
                     "repository failure):\n%s" % (version, text[-3000:]))
    with open(out) as f:
        cp = f.read().strip()
    log("kafka %s classpath resolved in %.1fs" % (version, time.monotonic() - t0))
    return cp


def compile_sources(version, cp, work):
    classes = os.path.join(work, "classes-%s" % version)
    os.makedirs(classes)
    srcs = []
    for root, _, files in os.walk(os.path.join(JAVA_DIR, "src", "main", "java")):
        srcs += [os.path.join(root, f) for f in files if f.endswith(".java")]
    harness.run(["javac", "-nowarn", "-d", classes, "-cp", cp] + sorted(srcs), timeout=300,
                what="javac against kafka %s" % version)
    return classes


def run_java(c, version, cp, work, results):
    """Runs every part with one client version; appends (version, kind, part,
    check, detail) to results."""
    prefix = "j%s-" % version.replace(".", "")
    errlog = os.path.join(work, "java-%s.stderr" % version)
    cmd = ["java", "-Xmx512m", "-cp", cp, MAIN, c.bootstrap, prefix, work] + PARTS
    log("kafka %s: %s" % (version, " ".join(cmd[3:])))
    t0 = time.monotonic()
    seen = 0
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
            rc = proc.wait(timeout=600)
        finally:
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
    tools()
    t_start = time.monotonic()
    work = tempfile.mkdtemp(prefix="samsa-java-")
    results = []
    classpaths = []
    try:
        for v in VERSIONS:
            cp = resolve(v, work)
            if cp is None:
                continue
            classes = compile_sources(v, cp, work)
            classpaths.append((v, classes + ":" + cp))
        t_ready = time.monotonic()
        if not classpaths:
            skip("no Kafka client version could be fetched")
        cluster = harness.Cluster(brokers=3, name=NAME)
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
