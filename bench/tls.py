#!/usr/bin/python3
"""TLS and SASL benchmark: producer and consumer throughput over SSL,
SASL_PLAINTEXT and SASL_SSL listeners as ratios to the PLAINTEXT listener of
the same broker, in the same interleaved run.

Figures only; nothing here passes or fails. One broker with four listeners
(PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL; PEM keystore, certificates made
with the openssl CLI; SASL/PLAIN, whose cost is one exchange per connection),
and per listener and round a fresh topic of 6 partitions. Each round runs,
for each listener in turn (the order rotating between rounds), one producer
(bin/kafka-producer-perf-test.sh, acks=1, unthrottled) sending
SM_BENCH_TLS_RECORDS records of SM_BENCH_TLS_SIZE bytes, then one consumer
(bin/kafka-consumer-perf-test.sh) reading them back. SM_BENCH_TLS_ROUNDS
rounds; the ratios are per round (each listener against PLAINTEXT of the
same round) and their medians are printed. The plaintext listeners serve
fetches with sendfile; the TLS ones have the bytes copied and encrypted by
the broker, so the consume ratio is the cost of TLS on the fetch path.
Each listener first sends and reads 10,000 unmeasured records.

kTLS: the broker does not ask OpenSSL for kernel TLS, so records are
encrypted in user space. The benchmark says whether the kernel could do it
(the "tls" upper-layer protocol in /proc/sys/net/ipv4/tcp_available_ulp)
and reads the kernel's own counters (/proc/net/tls_stat, present once the
tls module is loaded) before and after the run: kTLS sockets opened during
the run would show there.
"""
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import saslutil  # noqa: E402
import tlsutil  # noqa: E402
from harness import BIN, free_port, log, run  # noqa: E402
from replication import perf  # noqa: E402

PARTITIONS = 6
LISTENERS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
USER, PASSWORD = "bench", "bench-secret"


def consume(boot, topic, records, config):
    cmd = [os.path.join(BIN, "kafka-consumer-perf-test.sh"), "--bootstrap-server", boot,
           "--topic", topic, "--messages", str(records), "--timeout", "60000"]
    if config:
        cmd += ["--consumer.config", config]
    t0 = time.monotonic()
    run(cmd, timeout=1800, what="kafka-consumer-perf-test.sh (%s)" % topic)
    return time.monotonic() - t0


def cpu_secs(pid):
    """User + system CPU seconds the process has used so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def tls_stat():
    """The kernel's kTLS counters ({name: value}), or None without the tls
    module."""
    text = read("/proc/net/tls_stat")
    if text is None:
        return None
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            out[parts[0]] = int(parts[1])
    return out


def ktls_report(before, after):
    ulp = (read("/proc/sys/net/ipv4/tcp_available_ulp") or "").split()
    if after is None:
        return ("kTLS: not used (no /proc/net/tls_stat: the kernel's tls module is not loaded; "
                "available TCP ULPs: %s)" % (" ".join(ulp) or "none"))
    opened = {k: after.get(k, 0) - (before or {}).get(k, 0)
              for k in ("TlsTxSw", "TlsRxSw", "TlsTxDevice", "TlsRxDevice")}
    used = any(opened.values())
    return "kTLS: %s (kTLS sockets opened during the run: %s)" % (
        "used" if used else "not used",
        ", ".join("%s %d" % kv for kv in sorted(opened.items())))


def client_config(path, proto, certs):
    lines = ["security.protocol=" + proto]
    if proto.endswith("SSL"):
        lines += ["ssl.truststore.type=PEM", "ssl.truststore.location=" + certs["ca_crt"]]
    if proto.startswith("SASL"):
        lines += ["sasl.mechanism=PLAIN",
                  "sasl.jaas.config=" + saslutil.jaas(saslutil.PLAIN_MODULE, USER, PASSWORD)]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def producer_props(proto, certs):
    """The same settings in librdkafka's names (--producer-props passes
    them through as they are)."""
    props = ["security.protocol=" + proto]
    if proto.endswith("SSL"):
        props.append("ssl.ca.location=" + certs["ca_crt"])
    if proto.startswith("SASL"):
        props += ["sasl.mechanisms=PLAIN", "sasl.username=" + USER, "sasl.password=" + PASSWORD]
    return props


class Via:
    def __init__(self, boot):
        self.bootstrap = boot


def main():
    records = int(os.environ.get("SM_BENCH_TLS_RECORDS", "2000000"))
    size = int(os.environ.get("SM_BENCH_TLS_SIZE", "100"))
    rounds = int(os.environ.get("SM_BENCH_TLS_ROUNDS", "3"))
    cluster = harness.Cluster(brokers=0, name="bench-tls")
    res = {name: [] for name in LISTENERS}
    ktls_before = tls_stat()
    with cluster as c:
        certs = tlsutil.make(os.path.join(c.root, "certs"))
        jaas = saslutil.jaas(saslutil.PLAIN_MODULE, USER, PASSWORD, users={USER: PASSWORD})
        props = tlsutil.broker_pem_props(certs)
        props.update({"sasl.enabled.mechanisms": "PLAIN",
                      "listener.name.sasl_plaintext.plain.sasl.jaas.config": jaas,
                      "listener.name.sasl_ssl.plain.sasl.jaas.config": jaas})
        b = c.add_broker(props=props, start=False)
        ports = {"PLAINTEXT": b.port}
        for name in LISTENERS[1:]:
            ports[name] = free_port()
        b.props["listeners"] = ",".join("%s://127.0.0.1:%d" % (n, ports[n]) for n in LISTENERS)
        b.write_props()
        b.start()
        cases = []
        for name in LISTENERS:
            ccfg = client_config(os.path.join(c.root, "client-%s.properties" % name.lower()),
                                 name, certs)
            cases.append((name, Via("127.0.0.1:%d" % ports[name]), producer_props(name, certs),
                          ccfg))
        for name, via, pprops, ccfg in cases:
            topic = "warm-" + name.lower()
            c.create_topic(topic, partitions=PARTITIONS)
            perf(via, topic, "1", 10000, size, pprops)
            # also creates __consumer_offsets before anything is timed
            consume(via.bootstrap, topic, 10000, ccfg)
        for r in range(rounds):
            order = cases[r % len(cases):] + cases[:r % len(cases)]
            for name, via, pprops, ccfg in order:
                topic = "%s-%d" % (name.lower(), r)
                c.create_topic(topic, partitions=PARTITIONS)
                log("TLS benchmark round %d: %d records of %d bytes over %s"
                    % (r + 1, records, size, name))
                cpu0 = cpu_secs(b.proc.pid)
                p = perf(via, topic, "1", records, size, pprops)
                cpu1 = cpu_secs(b.proc.pid)
                secs = consume(via.bootstrap, topic, records, ccfg)
                cpu2 = cpu_secs(b.proc.pid)
                res[name].append((p["rps"], p["mbps"], records * size / secs / 1e6,
                                  (cpu1 - cpu0) * 1e6 / records, (cpu2 - cpu1) * 1e6 / records))
    ktls_after = tls_stat()
    print("== TLS and SASL (1 broker, %d partitions, %d x %d B records, acks=1, one producer, "
          "one consumer, %d interleaved rounds)" % (PARTITIONS, records, size, rounds))
    print("(broker CPU: the broker process's user + system seconds per million records)")
    print("%-15s %5s %13s %12s %12s %9s %9s %9s %9s" % (
        "listener", "round", "produce rec/s", "produce MB/s", "consume MB/s", "produce", "consume",
        "prod CPU", "cons CPU"))
    print("%-15s %5s %13s %12s %12s %9s %9s %9s %9s" % ("", "", "", "", "", "ratio", "ratio",
                                                       "s/M rec", "s/M rec"))
    ratios = {name: ([], []) for name in LISTENERS}
    for r in range(rounds):
        base = res["PLAINTEXT"][r]
        for name in LISTENERS:
            rps, mbps, cmbps, pcpu, ccpu = res[name][r]
            pr, cr = rps / base[0], cmbps / base[2]
            ratios[name][0].append(pr)
            ratios[name][1].append(cr)
            print("%-15s %5d %13.0f %12.1f %12.1f %9.2f %9.2f %9.2f %9.2f"
                  % (name, r + 1, rps, mbps, cmbps, pr, cr, pcpu, ccpu))
    for name in LISTENERS[1:]:
        print("%s / PLAINTEXT (median of %d rounds): produce %.2f, consume %.2f; broker CPU "
              "per record (medians) produce %.2f, consume %.2f"
              % (name, rounds, statistics.median(ratios[name][0]),
                 statistics.median(ratios[name][1]),
                 statistics.median(x[3] for x in res[name]) /
                 statistics.median(x[3] for x in res["PLAINTEXT"]),
                 statistics.median(x[4] for x in res[name]) /
                 statistics.median(x[4] for x in res["PLAINTEXT"])))
    print(ktls_report(ktls_before, ktls_after))


if __name__ == "__main__":
    main()
