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
(bin/kafka-consumer-perf-test.sh) reading them back; the consume figure is
the tool's fetch.MB.sec, which leaves out the connection set-up (TLS and
SASL handshakes) and the group join. SM_BENCH_TLS_ROUNDS rounds; the ratios
are per round (each listener against PLAINTEXT of the same round) and
their medians are printed, with the CPU seconds per million records of the
broker process (utime + stime from /proc) and of the client tool (the
reaped children's rusage): the clients share the machine's cores with the
broker, so throughput alone cannot tell whose cost TLS is. The plaintext
listeners serve fetches with sendfile; the TLS ones have the bytes copied
and encrypted by the broker, so the consume ratio is the cost of TLS on
the fetch path. Each listener first sends and reads 10,000 unmeasured
records.

The anchor: the same clients against one broker of real Kafka
(kafka.Kafka from the org.apache.kafka:kafka_2.13 classpath Maven resolves,
SM_BENCH_KAFKA_VERSION, default 3.9.2; IBP 2.8, on the same ZooKeeper
under a chroot) with a PLAINTEXT and a SASL_SSL listener configured with
the same properties, in the same rounds (200,000 warm-up records for its
JIT); its SASL_SSL / PLAINTEXT ratios and Samsa's throughput and broker
CPU against it are printed. Skipped, saying why, when Java, Maven or the
jars are missing, or with SM_BENCH_TLS_KAFKA=0. Both negotiate TLS 1.3
with TLS_AES_256_GCM_SHA384 with these clients (OpenSSL's default order,
and the JDK's, whose server order is used).

kTLS: the broker does not ask OpenSSL for kernel TLS, so records are
encrypted in user space. The benchmark says whether the kernel could do it
(the "tls" upper-layer protocol in /proc/sys/net/ipv4/tcp_available_ulp)
and reads the kernel's own counters (/proc/net/tls_stat, present once the
tls module is loaded) before and after the run: kTLS sockets opened during
the run would show there.
"""
import os
import resource
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import saslutil  # noqa: E402
import tlsutil  # noqa: E402
from harness import BIN, free_port, log, run  # noqa: E402
import kafkautil  # noqa: E402
from replication import perf  # noqa: E402
from vs_kafka import cpu_seconds, kafka_classpath, topics, wait_leaders  # noqa: E402

PARTITIONS = 6
LISTENERS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
KAFKA_LISTENERS = ("PLAINTEXT", "SASL_SSL")
USER, PASSWORD = "bench", "bench-secret"
VERSION = os.environ.get("SM_BENCH_KAFKA_VERSION", "3.9.2")
ENV_NAMES = ("SM_BENCH_TLS_RECORDS", "SM_BENCH_TLS_SIZE", "SM_BENCH_TLS_ROUNDS", "SM_BENCH_TLS_KAFKA",
             "SM_BENCH_KAFKA_VERSION")


def consume(boot, topic, records, config):
    """Reads `records` back with the consumer perf tool; its fetch.MB.sec
    (MB of 2^20 bytes per second once the group is joined: the connection
    set-up, handshakes included, and the join are left out)."""
    cmd = [os.path.join(BIN, "kafka-consumer-perf-test.sh"), "--bootstrap-server", boot,
           "--topic", topic, "--messages", str(records), "--timeout", "60000"]
    if config:
        cmd += ["--consumer.config", config]
    p = run(cmd, timeout=1800, what="kafka-consumer-perf-test.sh (%s)" % topic)
    lines = [x for x in p.stdout.decode().splitlines() if x.strip()]
    fields = [x.strip() for x in lines[-1].split(",")] if lines else []
    if len(fields) != 10 or int(fields[4]) < records:
        harness.fail("consumer perf test (%s): no summary row for %d records: %r"
                     % (topic, records, lines[-3:]))
    return float(fields[8]) * 1024 * 1024 / 1e6


def children_cpu():
    """CPU seconds of every child process reaped so far (the perf tools)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


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


def listener_props(certs):
    """The broker properties both brokers get for the TLS and SASL
    listeners (Kafka's keys: a PEM keystore, SASL/PLAIN users from the
    listener's JAAS config)."""
    jaas = saslutil.jaas(saslutil.PLAIN_MODULE, USER, PASSWORD, users={USER: PASSWORD})
    props = tlsutil.broker_pem_props(certs)
    props.update({"sasl.enabled.mechanisms": "PLAIN",
                  "listener.name.sasl_plaintext.plain.sasl.jaas.config": jaas,
                  "listener.name.sasl_ssl.plain.sasl.jaas.config": jaas})
    return props


def main():
    records = int(os.environ.get("SM_BENCH_TLS_RECORDS", "2000000"))
    size = int(os.environ.get("SM_BENCH_TLS_SIZE", "100"))
    rounds = int(os.environ.get("SM_BENCH_TLS_ROUNDS", "3"))
    with_kafka = os.environ.get("SM_BENCH_TLS_KAFKA", "1") != "0"
    cp, kwhy = kafka_classpath(VERSION) if with_kafka else (None, "SM_BENCH_TLS_KAFKA=0")
    cluster = harness.Cluster(brokers=0, name="bench-tls")
    res = {}
    ktls_before = tls_stat()
    kafka = None
    with cluster as c:
        try:
            certs = tlsutil.make(os.path.join(c.root, "certs"))
            props = listener_props(certs)
            b = c.add_broker(props=props, start=False)
            ports = {"PLAINTEXT": b.port}
            for name in LISTENERS[1:]:
                ports[name] = free_port()
            b.props["listeners"] = ",".join("%s://127.0.0.1:%d" % (n, ports[n]) for n in LISTENERS)
            b.write_props()
            b.start()
            # (case, broker pid, bootstrap, producer props, consumer config,
            # the broker's PLAINTEXT listener for creating topics)
            cases = []
            for name in LISTENERS:
                ccfg = client_config(os.path.join(c.root, "client-%s.properties" % name.lower()),
                                     name, certs)
                cases.append((name, b.proc.pid, "127.0.0.1:%d" % ports[name],
                              producer_props(name, certs), ccfg, "127.0.0.1:%d" % b.port))
            if cp:
                kports = {n: free_port() for n in KAFKA_LISTENERS}
                kprops = dict(props, listeners=",".join("%s://127.0.0.1:%d" % (n, kports[n])
                                                        for n in KAFKA_LISTENERS))
                kafka = kafkautil.start_kafka(cp, "%s/kafka-tls" % c.zk.connect, 0,
                                              os.path.join(c.root, "kafka"), props=kprops)
                for name in KAFKA_LISTENERS:
                    cases.append(("kafka " + name, kafka.pid, "127.0.0.1:%d" % kports[name],
                                  producer_props(name, certs),
                                  os.path.join(c.root, "client-%s.properties" % name.lower()),
                                  "127.0.0.1:%d" % kports["PLAINTEXT"]))

            def one(case, topic, n):
                name, pid, boot, pprops, ccfg, admin = case
                topics(admin, "--create", "--topic", topic, "--partitions", str(PARTITIONS),
                       "--replication-factor", "1")
                wait_leaders(admin, topic, PARTITIONS)
                b0, k0 = cpu_seconds(pid), children_cpu()
                p = perf(Via(boot), topic, "1", n, size, pprops)
                b1, k1 = cpu_seconds(pid), children_cpu()
                mbs = consume(boot, topic, n, ccfg)
                b2, k2 = cpu_seconds(pid), children_cpu()
                return {"rps": p["rps"], "mbps": p["mbps"], "cmbps": mbs,
                        "pcpu": (b1 - b0) * 1e6 / n, "ccpu": (b2 - b1) * 1e6 / n,
                        "pcli": (k1 - k0) * 1e6 / n, "ccli": (k2 - k1) * 1e6 / n}

            # Warm-up: 10,000 records per listener, and for the JVM 200,000
            # (it still compiles its hot paths in the first seconds of load);
            # this also creates __consumer_offsets before anything is timed.
            for case in cases:
                one(case, "warm-" + case[0].lower().replace(" ", "-"),
                    200000 if case[0].startswith("kafka") else 10000)
            for r in range(rounds):
                order = cases[r % len(cases):] + cases[:r % len(cases)]
                for case in order:
                    log("TLS benchmark round %d: %d records of %d bytes over %s"
                        % (r + 1, records, size, case[0]))
                    res.setdefault(case[0], []).append(
                        one(case, "%s-%d" % (case[0].lower().replace(" ", "-"), r), records))
        finally:
            if kafka:
                kafkautil.stop_kafka(kafka)
    ktls_after = tls_stat()
    report(res, records, size, rounds, kwhy)
    print(ktls_report(ktls_before, ktls_after))
    env = " ".join("%s=%s" % (k, os.environ[k]) for k in ENV_NAMES if k in os.environ)
    print("rerun: cd %s && %s%sSM_TOP_BUILDDIR=$PWD /usr/bin/python3 %s"
          % (harness.BUILD, env, " " if env else "", os.path.abspath(__file__)))


def report(res, records, size, rounds, kwhy):
    print("== TLS and SASL (1 broker, %d partitions, %d x %d B records, acks=1, one producer, "
          "one consumer, %d interleaved rounds)" % (PARTITIONS, records, size, rounds))
    print("(consume: the consumer perf tool's fetch.MB.sec, MB = 10^6 B of values; CPU: user + "
          "system seconds per million records of the broker process and of the client tool)")
    if kwhy:
        print("against Kafka %s: skipped (%s)" % (VERSION, kwhy))
    hdr = "%-20s %5s %11s %9s %9s %8s %8s %9s %9s %9s %9s"
    print(hdr % ("listener", "round", "produce", "produce", "consume", "produce", "consume",
                 "broker", "broker", "client", "client"))
    print(hdr % ("", "", "rec/s", "MB/s", "MB/s", "ratio", "ratio", "prod s/M", "cons s/M",
                 "prod s/M", "cons s/M"))
    ratios = {}
    for r in range(rounds):
        for name in res:
            x = res[name][r]
            base = res["kafka PLAINTEXT" if name.startswith("kafka") else "PLAINTEXT"][r]
            pr, cr = x["rps"] / base["rps"], x["cmbps"] / base["cmbps"]
            ratios.setdefault(name, ([], []))
            ratios[name][0].append(pr)
            ratios[name][1].append(cr)
            print("%-20s %5d %11.0f %9.1f %9.1f %8.2f %8.2f %9.2f %9.2f %9.2f %9.2f"
                  % (name, r + 1, x["rps"], x["mbps"], x["cmbps"], pr, cr, x["pcpu"], x["ccpu"],
                     x["pcli"], x["ccli"]))

    def med(name, key):
        return statistics.median(x[key] for x in res[name])
    for name in res:
        if name.endswith(" PLAINTEXT") or name == "PLAINTEXT":
            continue
        base = "kafka PLAINTEXT" if name.startswith("kafka") else "PLAINTEXT"
        print("%s / %s (median of %d rounds): produce %.2f, consume %.2f; CPU per record "
              "(medians, as a ratio to %s) broker produce %.2f, consume %.2f; client produce "
              "%.2f, consume %.2f"
              % (name, base, rounds, statistics.median(ratios[name][0]),
                 statistics.median(ratios[name][1]), base,
                 med(name, "pcpu") / med(base, "pcpu"), med(name, "ccpu") / med(base, "ccpu"),
                 med(name, "pcli") / med(base, "pcli"), med(name, "ccli") / med(base, "ccli")))
    if "kafka PLAINTEXT" in res:
        for name in LISTENERS:
            if "kafka " + name not in res:
                continue
            print("%s, Samsa / Kafka %s (median of %d rounds): produce %.2f, consume %.2f; broker "
                  "CPU per record produce %.2f, consume %.2f"
                  % (name, VERSION, rounds,
                     statistics.median(a["rps"] / b["rps"]
                                       for a, b in zip(res[name], res["kafka " + name])),
                     statistics.median(a["cmbps"] / b["cmbps"]
                                       for a, b in zip(res[name], res["kafka " + name])),
                     med(name, "pcpu") / med("kafka " + name, "pcpu"),
                     med(name, "ccpu") / med("kafka " + name, "ccpu")))


if __name__ == "__main__":
    main()
