#!/usr/bin/python3
"""Proves SASL against Kafka's Java client (kafka-clients, first of SM_JAVA_KAFKA_VERSIONS): its
Admin API creates a SCRAM-SHA-512 user with AlterUserScramCredentials and describes it with
DescribeUserScramCredentials (too few iterations: UnacceptableCredentialException; an unknown
user: ResourceNotFoundException); a producer and a consumer round-trip over SASL_PLAINTEXT with
that user and with a PLAIN user; a wrong password gets SaslAuthenticationException.
SKIPs as 0600 does when Maven or a JDK is missing."""
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import javautil  # noqa: E402
import saslutil as su  # noqa: E402
from harness import check, free_port, log, run  # noqa: E402

VERSION = os.environ.get("SM_JAVA_KAFKA_VERSIONS", "3.9.2").split()[0]


def test(c):
    javautil.require_tools()
    work = tempfile.mkdtemp(prefix="samsa-java-sasl-")
    try:
        cp = javautil.resolve(VERSION, work)
        if cp is None:
            javautil.skip("kafka-clients %s not served" % VERSION)
        classes = javautil.compile_sources(VERSION, cp, work)
        port = free_port()
        b = c.add_broker(props={
            "listener.security.protocol.map":
            "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
            "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-512",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config":
            su.jaas(su.PLAIN_MODULE, users={"alice": "alice-secret"})}, start=False)
        b.props["listeners"] = "PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d" % (
            b.port, port)
        b.write_props()
        b.start()
        c.create_topic("jsasl")
        p = run(["java", "-Xmx512m", "-cp", classes + ":" + cp, "org.samsa.interop.SaslCheck",
                 b.bootstrap, "127.0.0.1:%d" % port, "jsasl"], timeout=300, check_rc=False,
                what="SaslCheck")
        out = p.stdout.decode(errors="replace")
        print(out, flush=True)
        results = re.findall(r"^RESULT (PASS|FAIL) (\S+)", out, re.M)
        check(len(results) == 6, "expected 6 results, got %d: %s" % (len(results),
                                                                   p.stderr.decode()[-2000:]))
        check(all(r[0] == "PASS" for r in results) and p.returncode == 0,
              "Java SASL checks failed: %s" % [r for r in results if r[0] != "PASS"])
        log("Java client: SCRAM admin, SCRAM-SHA-512 and PLAIN round trips, wrong password ok")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    harness.main(test, brokers=0)
