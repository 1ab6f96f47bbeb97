#!/usr/bin/python3
"""TLS benchmark: producer and consumer throughput over an SSL listener as a
ratio to the PLAINTEXT listener of the same broker, in the same run.

Figures only; nothing here passes or fails. One broker with a PLAINTEXT and
an SSL listener (PEM keystore, certificates made with the openssl CLI), one
topic of 6 partitions per listener, one producer
(bin/kafka-producer-perf-test.sh, acks=1, unthrottled) sending
SM_BENCH_TLS_RECORDS records of SM_BENCH_TLS_SIZE bytes, then one consumer
(bin/kafka-consumer-perf-test.sh) reading them back. The plaintext consumer
gets file bytes with sendfile; the SSL one has them copied and encrypted by
the broker, so the consume ratio is the cost of TLS on the fetch path.
Each case first sends and reads 10,000 unmeasured records.
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import tlsutil  # noqa: E402
from harness import BIN, free_port, log, run  # noqa: E402
from replication import perf  # noqa: E402

PARTITIONS = 6


def consume(boot, topic, records, config):
    cmd = [os.path.join(BIN, "kafka-consumer-perf-test.sh"), "--bootstrap-server", boot,
           "--topic", topic, "--messages", str(records), "--timeout", "60000"]
    if config:
        cmd += ["--consumer.config", config]
    t0 = time.monotonic()
    run(cmd, timeout=1800, what="kafka-consumer-perf-test.sh (%s)" % topic)
    return time.monotonic() - t0


def main():
    records = int(os.environ.get("SM_BENCH_TLS_RECORDS", "2000000"))
    size = int(os.environ.get("SM_BENCH_TLS_SIZE", "100"))
    cluster = harness.Cluster(brokers=0, name="bench-tls")
    res = {}
    with cluster as c:
        certs = tlsutil.make(os.path.join(c.root, "certs"))
        b = c.add_broker(props=tlsutil.broker_pem_props(certs), start=False)
        sslp = free_port()
        b.props["listeners"] = "PLAINTEXT://127.0.0.1:%d,SSL://127.0.0.1:%d" % (b.port, sslp)
        b.write_props()
        b.start()
        cfg = os.path.join(c.root, "client-ssl.properties")
        with open(cfg, "w") as f:
            f.write("security.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location=%s\n"
                    % certs["ca_crt"])
        ssl_props = ["security.protocol=SSL", "ssl.ca.location=" + certs["ca_crt"]]
        c.create_topic("plain", partitions=PARTITIONS)
        c.create_topic("tls", partitions=PARTITIONS)

        class Via:
            def __init__(self, boot):
                self.bootstrap = boot
        cases = (("PLAINTEXT", "plain", Via(b.bootstrap), [], None),
                 ("SSL", "tls", Via("127.0.0.1:%d" % sslp), ssl_props, cfg))
        for _name, topic, via, props, ccfg in cases:
            perf(via, topic, "1", 10000, size, props)
            # also creates __consumer_offsets before anything is timed
            consume(via.bootstrap, topic, 10000, ccfg)
        for name, topic, via, props, ccfg in cases:
            log("TLS benchmark: %d records of %d bytes over %s" % (records, size, name))
            p = perf(via, topic, "1", records, size, props)
            secs = consume(via.bootstrap, topic, records + 10000, ccfg)
            res[name] = (p, (records + 10000) * size / secs / 1e6, secs)
    a, s = res["PLAINTEXT"], res["SSL"]
    print("== TLS (1 broker, %d partitions, %d x %d B records, acks=1, one producer, one consumer)"
          % (PARTITIONS, records, size))
    print("%-10s %14s %12s %14s %10s" % ("listener", "produce rec/s", "produce MB/s", "consume MB/s",
                                          "consume s"))
    for name, (p, cmbps, secs) in (("PLAINTEXT", a), ("SSL", s)):
        print("%-10s %14.0f %12.1f %14.1f %10.1f" % (name, p["rps"], p["mbps"], cmbps, secs))
    print("SSL / PLAINTEXT: produce %.2f, consume %.2f" % (s[0]["rps"] / a[0]["rps"], s[1] / a[1]))


if __name__ == "__main__":
    main()
