"""Shared by the Java interop tests (0600-java_clients, 0610-java_kafka_cli):
the JDK/Maven check and classpath resolution through tests/java/pom.xml.

Maven only resolves a classpath (dependency:build-classpath, downloading into
~/.m2 on a first run); the tests compile and run with javac/java in their
temp directory, so nothing is built in the repository. SKIP (exit 0) only
when a tool is missing outside CI (CI=true fails) or when the repository
answers "not found" for a version; a network failure fails the test.
"""
import os
import re
import shutil
import subprocess
import sys
import time

import harness
from harness import log

JAVA_DIR = os.path.join(harness.SRC, "tests", "java")
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Maven's words for an artifact the repository answered "not found" for,
# as opposed to a repository that could not be reached.
NOT_SERVED = re.compile(r"Could not find artifact|was not found in")


def skip(msg):
    print("SKIP: %s" % msg, flush=True)
    sys.exit(0)


def require_tools():
    missing = [t for t in ("mvn", "java", "javac") if not shutil.which(t)]
    if missing:
        what = "%s missing (Debian packages maven, default-jdk-headless)" % ", ".join(missing)
        if ON_CI:
            print("FAIL: %s; CI must have them" % what, flush=True)
            sys.exit(1)
        skip(what)


def resolve(version, work, profile=None, what="kafka-clients/kafka-streams"):
    """The classpath of tests/java/pom.xml at kafka.version=`version`
    (with Maven profile `profile`), or None after a SKIP line when the Maven
    repository does not serve that version. Any other Maven failure
    (network, repository) fails the test."""
    out = os.path.join(work, "cp-%s-%s.txt" % (profile or "clients", version))
    t0 = time.monotonic()
    cmd = ["mvn", "-B", "-q", "-f", os.path.join(JAVA_DIR, "pom.xml"),
           "-Dkafka.version=" + version, "-Dmdep.outputFile=" + out]
    if profile:
        cmd.append("-P" + profile)
    p = subprocess.run(cmd + ["dependency:build-classpath"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=600)
    text = p.stdout.decode(errors="replace")
    if p.returncode != 0:
        if NOT_SERVED.search(text) and "Could not transfer" not in text:
            print("SKIP: cannot fetch org.apache.kafka:%s:%s: not served by the Maven "
                  "repository\n%s" % (what, version, text[-1500:]), flush=True)
            return None
        harness.fail("Maven could not resolve %s %s (network or repository failure):\n%s"
                     % (what, version, text[-3000:]))
    with open(out) as f:
        cp = f.read().strip()
    log("%s %s classpath resolved in %.1fs" % (what, version, time.monotonic() - t0))
    return cp


def compile_sources(version, cp, work):
    """Compiles tests/java/src/main/java against cp; returns the classes dir."""
    classes = os.path.join(work, "classes-%s" % version)
    os.makedirs(classes)
    srcs = []
    for root, _, files in os.walk(os.path.join(JAVA_DIR, "src", "main", "java")):
        srcs += [os.path.join(root, f) for f in files if f.endswith(".java")]
    harness.run(["javac", "-nowarn", "-d", classes, "-cp", cp] + sorted(srcs), timeout=300,
                what="javac against kafka %s" % version)
    return classes
