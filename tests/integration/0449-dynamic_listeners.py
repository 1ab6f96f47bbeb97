#!/usr/bin/python3
"""Proves the dynamic listener and network-thread broker configs without a restart: kafka-configs.sh --entity-type brokers --entity-name 0 --alter --add-config listeners=[...],listener.security.protocol.map=[...] adds a second PLAINTEXT listener, a SASL_PLAINTEXT one and an SSL one set up by the listener.name.<l>.* keys of the same alter and the bare ssl.client.auth=required (a per-broker fallback) (bound and served; kcat produces through all three, PLAIN with a wrong password and TLS without a client certificate are refused, Metadata names the new advertised endpoint; /brokers/ids/0 is rewritten with the four endpoints) while a confluent-kafka producer keeps producing on the old one; deleting the keys removes it again (an open connection on it is dropped, new ones are refused, the registration loses the endpoint); advertised.listeners alone rewrites the registration and Metadata; Kafka's refusals hold (removing the inter-broker listener, a listeners change at the cluster-default level, a new protocol or new SASL settings for an existing listener, a listener missing from the protocol map); num.network.threads is raised and lowered live (the net-proc-N threads in /proc/<pid>/task follow, a cut below half is refused) with the producer delivering every message exactly once; background.threads is accepted within Kafka's bounds; DescribeConfigs reports these keys as writable DYNAMIC_BROKER_CONFIG entries; a restarted broker binds its dynamic listeners and runs its dynamic processor count."""
import json
import os
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import saslutil as su  # noqa: E402
import tlsutil  # noqa: E402
from harness import BIN, KCAT, check, free_port, log, run, wait_until  # noqa: E402

TOPIC = "dl"


def configs(c, *args, check_rc=True):
    p = run([os.path.join(BIN, "kafka-configs.sh"), "--bootstrap-server", c.bootstrap,
             "--entity-type", "brokers"] + list(args), check_rc=check_rc,
            what="kafka-configs.sh " + " ".join(args))
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def registration(zk):
    return json.loads(zk.get("/brokers/ids/0")[0])


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        return False
    except ConnectionRefusedError:
        return True


class Producer(threading.Thread):
    """Produces numbered messages through the first listener until stopped,
    counting what was acknowledged and what failed."""

    def __init__(self, bootstrap):
        super().__init__(daemon=True)
        from confluent_kafka import Producer as P
        self.p = P({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
                    "linger.ms": 5, "message.timeout.ms": 60000})
        self.stop = threading.Event()
        self.sent = 0
        self.acked = 0
        self.failed = []

    def _cb(self, err, msg):
        if err:
            self.failed.append(str(err))
        else:
            self.acked += 1

    def run(self):
        while not self.stop.is_set():
            self.p.produce(TOPIC, b"m-%d" % self.sent, callback=self._cb)
            self.sent += 1
            self.p.poll(0.01)
        self.p.flush(60)

    def progress(self, n):
        """Waits until n more messages than now are acknowledged."""
        want = self.acked + n
        wait_until(lambda: self.acked >= want, 30, "%d more acknowledged messages" % n)


def describe(c):
    from confluent_kafka.admin import AdminClient, ConfigResource
    a = AdminClient({"bootstrap.servers": c.bootstrap})
    r = ConfigResource("broker", "0")
    return a.describe_configs([r])[r].result(15)


def test(c):
    from confluent_kafka.admin import ConfigSource
    b = c.brokers[0]
    zk = c.kazoo()
    c.create_topic(TOPIC, partitions=2)
    prod = Producer(b.bootstrap)
    prod.start()
    prod.progress(20)

    # -- a second listener, added and served
    ext, sp, sec = free_port(), free_port(), free_port()
    lst = ("listeners=[PLAINTEXT://127.0.0.1:%d,EXTERNAL://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d,"
           "SECURE://127.0.0.1:%d]" % (b.port, ext, sp, sec))
    pmap = ("listener.security.protocol.map=[PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT,"
            "SASL_PLAINTEXT:SASL_PLAINTEXT,SECURE:SSL]")
    certs = tlsutil.make(os.path.join(c.root, "certs"))
    tls_keys = dict(tlsutil.broker_pem_props(certs, "listener.name.secure."))
    # a bare SSL key: per broker, the fallback of listeners added later
    tls_keys["ssl.client.auth"] = "required"
    tls = ",".join("%s=%s" % kv for kv in tls_keys.items())
    # the JAAS entry is a password config: stored encoded, and (as with
    # Kafka's tool) given again with every later alter of broker 0
    jaas = "listener.name.sasl_plaintext.plain.sasl.jaas.config=" + su.jaas(su.PLAIN_MODULE,
                                                                          users={"alice": "alice-secret"})
    sasl = "listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN," + jaas
    rc, out, err = configs(c, "--entity-default", "--alter", "--add-config", lst, check_rc=False)
    check(rc == 1 and "Invalid config value for resource ConfigResource(type=BROKER, name=''): Cannot update "
          "these configs at default cluster level, broker id must be specified: Set(listeners)" in err,
          "cluster-default listeners: rc %d %r" % (rc, err))
    rc, out, err = configs(c, "--entity-name", "0", "--alter", "--add-config", lst, check_rc=False)
    check(rc == 1 and "Listeners 'PLAINTEXT://127.0.0.1:%d,EXTERNAL://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d,"
          "SECURE://127.0.0.1:%d' must be subset of listener map" % (b.port, ext, sp, sec) in err,
          "listener without a protocol: rc %d %r" % (rc, err))
    rc, out, err = configs(c, "--entity-name", "0", "--alter", "--add-config", ",".join([lst, pmap, sasl, tls]))
    check(out == "Completed updating config for broker 0.\n", "alter said %r %r" % (out, err))
    wait_until(lambda: not refused(ext) and not refused(sp) and not refused(sec), 30,
               "the new listeners to accept connections")
    wait_until(lambda: len(registration(zk)["endpoints"]) == 4, 30, "/brokers/ids/0 with four endpoints")
    reg = registration(zk)
    check(reg["endpoints"] == ["PLAINTEXT://127.0.0.1:%d" % b.port, "EXTERNAL://127.0.0.1:%d" % ext,
                               "SASL_PLAINTEXT://127.0.0.1:%d" % sp, "SECURE://127.0.0.1:%d" % sec] and
          reg["listener_security_protocol_map"] == {"PLAINTEXT": "PLAINTEXT", "EXTERNAL": "PLAINTEXT",
                                                    "SASL_PLAINTEXT": "SASL_PLAINTEXT", "SECURE": "SSL"},
          "registration %r" % reg)
    kc_tls = [KCAT, "-b", "127.0.0.1:%d" % sec, "-X", "security.protocol=SSL",
              "-X", "ssl.ca.location=" + certs["ca_crt"]]
    run(kc_tls + ["-X", "ssl.certificate.location=" + certs["client_crt"],
                  "-X", "ssl.key.location=" + certs["client_key"], "-P", "-t", TOPIC, "-p", "0"],
        input=b"via-tls\n", what="kcat produce via SECURE with a client certificate")
    p = run(kc_tls + ["-L", "-m", "3"], check_rc=False, what="kcat -L via SECURE without a certificate")
    check(p.returncode != 0, "ssl.client.auth=required let a client without a certificate in: %r" % p.stdout[:200])
    run([KCAT, "-b", "127.0.0.1:%d" % ext, "-P", "-t", TOPIC, "-p", "0"], input=b"via-external\n",
        what="kcat produce via EXTERNAL")
    kc_sasl = [KCAT, "-b", "127.0.0.1:%d" % sp, "-X", "security.protocol=SASL_PLAINTEXT",
               "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=alice"]
    run(kc_sasl + ["-X", "sasl.password=alice-secret", "-P", "-t", TOPIC, "-p", "1"], input=b"via-sasl\n",
        what="kcat produce via SASL_PLAINTEXT")
    p = run(kc_sasl + ["-X", "sasl.password=wrong", "-L", "-m", "3"], check_rc=False,
            what="kcat -L via SASL_PLAINTEXT with a wrong password")
    check(p.returncode != 0 and b"Authentication failed" in p.stderr,
          "a wrong PLAIN password: rc %d %r" % (p.returncode, p.stderr[-300:]))
    md = json.loads(run([KCAT, "-b", "127.0.0.1:%d" % ext, "-L", "-J"], what="kcat -L via EXTERNAL").stdout)
    check([(x["id"], x["name"]) for x in md["brokers"]] == [(0, "127.0.0.1:%d" % ext)],
          "Metadata through EXTERNAL names %r" % md["brokers"])
    md = json.loads(run([KCAT, "-b", b.bootstrap, "-L", "-J"], what="kcat -L via PLAINTEXT").stdout)
    check([x["name"] for x in md["brokers"]] == ["127.0.0.1:%d" % b.port],
          "Metadata through PLAINTEXT names %r" % md["brokers"])
    prod.progress(20)
    log("a second listener added live: served, advertised in Metadata and /brokers/ids/0; producing went on")

    # -- Kafka's refusals
    stored = json.loads(zk.get("/config/brokers/0")[0])["config"]
    check("alice-secret" not in stored["listener.name.sasl_plaintext.plain.sasl.jaas.config"],
          "the JAAS entry is stored as %r" % stored)
    rc, out, err = configs(c, "--entity-name", "0", "--alter", "--add-config",
                           "listeners=[EXTERNAL://127.0.0.1:%d]," % ext + jaas, check_rc=False)
    check(rc == 1 and "requirement failed: inter.broker.listener.name must be a listener name defined in "
          "advertised.listeners. The valid options based on currently configured listeners are EXTERNAL" in err,
          "removing the inter-broker listener: rc %d %r" % (rc, err))
    rc, out, err = configs(c, "--entity-name", "0", "--alter", "--add-config",
                           "listener.security.protocol.map=[PLAINTEXT:PLAINTEXT,EXTERNAL:SSL,"
                           "SASL_PLAINTEXT:SASL_PLAINTEXT,SECURE:SSL]," + jaas, check_rc=False)
    check(rc == 1 and "Security protocol cannot be updated for existing listener EXTERNAL" in err,
          "a new protocol for EXTERNAL: rc %d %r" % (rc, err))
    rc, out, err = configs(c, "--entity-name", "0", "--alter", "--add-config",
                           "listener.name.sasl_plaintext.sasl.enabled.mechanisms=SCRAM-SHA-256," + jaas,
                           check_rc=False)
    check(rc == 1 and "Configs cannot be updated dynamically for existing listener SASL_PLAINTEXT, restart broker "
          "or create a new listener for update" in err, "new SASL settings for SASL_PLAINTEXT: rc %d %r" % (rc, err))
    check(not refused(ext) and len(registration(zk)["endpoints"]) == 4, "a refused alter changed the listeners")
    log("removing the inter-broker listener, cluster-default listeners and protocol changes are refused")

    # -- DescribeConfigs
    d = describe(c)
    for k in ("listeners", "listener.security.protocol.map"):
        check(d[k].source == ConfigSource.DYNAMIC_BROKER_CONFIG.value and not d[k].is_read_only,
              "%s described as %r" % (k, d[k]))
    e = d["num.network.threads"]
    check(e.value == "3" and e.source == ConfigSource.DEFAULT_CONFIG.value and not e.is_read_only,
          "num.network.threads described as %r" % e)
    check(not d["background.threads"].is_read_only and not d["advertised.listeners"].is_read_only,
          "background.threads / advertised.listeners read-only: %r %r" %
          (d["background.threads"], d["advertised.listeners"]))

    # -- the listener removed: its connections dropped, new ones refused
    held = socket.create_connection(("127.0.0.1", ext), timeout=30)
    configs(c, "--entity-name", "0", "--alter", "--delete-config",
            "listeners,listener.security.protocol.map,listener.name.sasl_plaintext.sasl.enabled.mechanisms,"
            "listener.name.sasl_plaintext.plain.sasl.jaas.config," + ",".join(tls_keys))
    wait_until(lambda: refused(ext) and refused(sp) and refused(sec), 30,
               "the removed listeners to refuse connections")
    check(held.recv(1) == b"", "a connection on the removed listener stayed open")
    held.close()
    wait_until(lambda: len(registration(zk)["endpoints"]) == 1, 30, "/brokers/ids/0 with one endpoint")
    check(registration(zk)["endpoints"] == ["PLAINTEXT://127.0.0.1:%d" % b.port],
          "registration after the removal: %r" % registration(zk))
    prod.progress(20)
    log("the listener removed live: its connection dropped, new ones refused, its endpoint unregistered")

    # -- advertised.listeners alone: the registration and Metadata follow
    configs(c, "--entity-name", "0", "--alter", "--add-config",
            "advertised.listeners=[PLAINTEXT://localhost:%d]" % b.port)
    wait_until(lambda: registration(zk)["endpoints"] == ["PLAINTEXT://localhost:%d" % b.port], 30,
               "/brokers/ids/0 advertising localhost")

    def advertised():
        p = run([KCAT, "-b", b.bootstrap, "-L", "-J"], check_rc=False, what="kcat -L")
        return p.returncode == 0 and [x["name"] for x in json.loads(p.stdout)["brokers"]]
    wait_until(lambda: advertised() == ["localhost:%d" % b.port], 30, "Metadata naming localhost")
    configs(c, "--entity-name", "0", "--alter", "--delete-config", "advertised.listeners")
    wait_until(lambda: advertised() == ["127.0.0.1:%d" % b.port], 30, "Metadata naming 127.0.0.1 again")
    prod.progress(20)
    log("advertised.listeners changed live: /brokers/ids/0 and Metadata follow")

    # -- num.network.threads up and down while producing
    check(b.threads("net-proc-") == 3, "net-proc threads at start: %d" % b.threads("net-proc-"))
    configs(c, "--entity-name", "0", "--alter", "--add-config", "num.network.threads=6")
    wait_until(lambda: b.threads("net-proc-") == 6, 30, "six net-proc threads")
    prod.progress(50)
    rc, out, err = configs(c, "--entity-name", "0", "--alter", "--add-config", "num.network.threads=2",
                           check_rc=False)
    check(rc == 1 and "Dynamic thread count update validation failed for num.network.threads=2, value should "
          "be at least half the current value 6" in err, "a cut below half: rc %d %r" % (rc, err))
    configs(c, "--entity-name", "0", "--alter", "--add-config", "num.network.threads=3")
    wait_until(lambda: b.threads("net-proc-") == 3, 30, "three net-proc threads")
    prod.progress(50)
    # the cluster default counts once the per-broker value is deleted
    configs(c, "--entity-default", "--alter", "--add-config", "num.network.threads=4")
    configs(c, "--entity-name", "0", "--alter", "--delete-config", "num.network.threads")
    wait_until(lambda: b.threads("net-proc-") == 4, 30, "four net-proc threads (cluster default)")
    prod.progress(50)
    log("num.network.threads 3 -> 6 -> 3 -> 4 live, a cut below half refused")

    # -- background.threads
    rc, out, err = configs(c, "--entity-name", "0", "--alter", "--add-config", "background.threads=25",
                           check_rc=False)
    check(rc == 1 and "value should not be greater than double the current value 10" in err,
          "background.threads beyond double: rc %d %r" % (rc, err))
    configs(c, "--entity-name", "0", "--alter", "--add-config", "background.threads=20")
    wait_until(lambda: describe(c)["background.threads"].value == "20", 30, "background.threads=20 described")
    log("background.threads accepted within half and double")

    prod.stop.set()
    prod.join(90)
    check(not prod.is_alive() and not prod.failed and prod.acked == prod.sent,
          "producer: sent %d acked %d failed %r" % (prod.sent, prod.acked, prod.failed[:3]))
    got = run([KCAT, "-b", b.bootstrap, "-C", "-t", TOPIC, "-o", "beginning", "-e", "-q"],
              what="kcat consume").stdout.decode().split()
    want = ["m-%d" % i for i in range(prod.sent)] + ["via-external", "via-sasl", "via-tls"]
    check(sorted(got) == sorted(want), "consumed %d messages, %d distinct, want %d" %
          (len(got), len(set(got)), len(want)))
    log("all %d produced messages read back exactly once" % prod.sent)

    # -- dynamic listeners count from start-up
    ext2 = free_port()
    configs(c, "--entity-name", "0", "--alter", "--add-config",
            "listeners=[PLAINTEXT://127.0.0.1:%d,EXTERNAL://127.0.0.1:%d],%s" % (b.port, ext2, pmap))
    wait_until(lambda: not refused(ext2), 30, "the EXTERNAL listener to accept connections")
    b.restart()
    check(not refused(ext2) and registration(zk)["endpoints"] == [
        "PLAINTEXT://127.0.0.1:%d" % b.port, "EXTERNAL://127.0.0.1:%d" % ext2],
        "after a restart: %r" % registration(zk))
    check(b.threads("net-proc-") == 4, "net-proc threads after a restart: %d" % b.threads("net-proc-"))
    log("a restarted broker binds its dynamic listeners and runs its dynamic processor count")


if __name__ == "__main__":
    harness.main(test, broker_props={"password.encoder.secret": "encoder-secret"})
