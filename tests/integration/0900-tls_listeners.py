#!/usr/bin/python3
"""Proves TLS listeners: one broker with PLAINTEXT, SSL (PEM keystore) and AUTH (an SSL listener by listener.security.protocol.map, PKCS12 keystore through listener.name.auth.ssl.*, ssl.client.auth=required) listeners registers all three endpoints with their protocols in its znode and answers Metadata with the endpoints of the listener asked; kcat, confluent-kafka and kafka-python produce and consume over SSL; on AUTH a client without a certificate is refused and one with it is served, and the broker logs its principal User:CN=client1,OU=Clients,O=Samsa; a plaintext client on the SSL port fails cleanly, garbage and truncated handshakes are logged and the broker keeps serving; a JKS keystore is refused at startup naming ssl.keystore.type; with inter-broker SSL and https endpoint identification a certificate that does not name the address is refused (IP address mismatch)."""
import json
import os
import re
import socket
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import tlsutil  # noqa: E402
from harness import BIN, KCAT, check, free_port, log, run, wait_until  # noqa: E402

TOPIC = "tls-topic"
N = 300


def kcat_ssl(port, certs, *args, client_cert=True, check_rc=True, timeout=60, input=None):
    cmd = [KCAT, "-b", "127.0.0.1:%d" % port, "-X", "security.protocol=SSL",
           "-X", "ssl.ca.location=" + certs["ca_crt"]]
    if client_cert:
        cmd += ["-X", "ssl.certificate.location=" + certs["client_crt"],
                "-X", "ssl.key.location=" + certs["client_key"]]
    return run(cmd + list(args), timeout=timeout, input=input, check_rc=check_rc,
               what="kcat over SSL " + " ".join(args[:4]))


def confluent_roundtrip(port, certs, topic):
    from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING
    conf = {"bootstrap.servers": "127.0.0.1:%d" % port, "security.protocol": "SSL",
            "ssl.ca.location": certs["ca_crt"],
            "ssl.certificate.location": certs["client_crt"],
            "ssl.key.location": certs["client_key"]}
    prod = Producer(dict(conf, acks="all"))
    errors = []
    for i in range(N):
        prod.produce(topic, value=b"ck-%05d" % i,
                     on_delivery=lambda e, m: errors.append(str(e)) if e else None)
    check(prod.flush(60) == 0, "confluent-kafka: flush left messages")
    check(not errors, "confluent-kafka delivery errors %s" % errors[:3])
    cons = Consumer(dict(conf, **{"group.id": "unused", "enable.auto.commit": False,
                                  "enable.partition.eof": True}))
    cons.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    got = []
    while True:
        m = cons.poll(30)
        check(m is not None, "confluent-kafka consumer got nothing for 30 s")
        if m.error():
            break
        got.append(m.value())
    cons.close()
    check(got == [b"ck-%05d" % i for i in range(N)], "confluent-kafka read back %d records" % len(got))


def kafka_python_roundtrip(port, certs, topic):
    from kafka import KafkaProducer
    conf = dict(bootstrap_servers="127.0.0.1:%d" % port, security_protocol="SSL",
                ssl_cafile=certs["ca_crt"], ssl_certfile=certs["client_crt"],
                ssl_keyfile=certs["client_key"], api_version=(2, 5, 0))
    prod = KafkaProducer(acks="all", **conf)
    futs = [prod.send(topic, b"kp-%05d" % i) for i in range(N)]
    for f in futs:
        f.get(timeout=60)
    prod.close()
    got = harness.kafka_python_read_all(conf, topic, N)
    check(got == [b"kp-%05d" % i for i in range(N)], "kafka-python read back %d records" % len(got))


def tools_roundtrip(c, port, certs):
    """bin/*.sh tools with Kafka-style client configs (PEM, then PKCS12
    stores) on the client-auth listener."""
    pem = os.path.join(c.root, "client-pem.properties")
    p12 = os.path.join(c.root, "client-p12.properties")
    with open(pem, "w") as f:
        f.write("security.protocol=SSL\nssl.keystore.type=PEM\nssl.keystore.location=%s\n"
                "ssl.truststore.type=PEM\nssl.truststore.location=%s\n"
                "ssl.endpoint.identification.algorithm=https\n"
                % (certs["client_pem"], certs["ca_crt"]))
    with open(p12, "w") as f:
        f.write("security.protocol=SSL\nssl.keystore.type=PKCS12\nssl.keystore.location=%s\n"
                "ssl.keystore.password=%s\nssl.truststore.type=PKCS12\n"
                "ssl.truststore.location=%s\nssl.truststore.password=%s\n"
                % (certs["client_p12"], tlsutil.PASSWORD, certs["truststore_p12"],
                   tlsutil.PASSWORD))
    boot = "127.0.0.1:%d" % port
    p = run([os.path.join(BIN, "kafka-topics.sh"), "--bootstrap-server", boot, "--command-config",
             pem, "--create", "--topic", "tls-tools", "--partitions", "1",
             "--replication-factor", "1"], what="kafka-topics.sh over SSL")
    check(b"Created topic tls-tools." in p.stdout, "kafka-topics over SSL: %r" % p.stdout)
    vals = ["tool-%04d" % i for i in range(100)]
    run([os.path.join(BIN, "kafka-console-producer.sh"), "--bootstrap-server", boot, "--topic",
         "tls-tools", "--producer.config", p12], input=("\n".join(vals) + "\n").encode(),
        what="kafka-console-producer.sh over SSL (PKCS12)")
    out = run([os.path.join(BIN, "kafka-console-consumer.sh"), "--bootstrap-server", boot,
               "--topic", "tls-tools", "--from-beginning", "--max-messages", "100",
               "--consumer.config", pem], timeout=60,
              what="kafka-console-consumer.sh over SSL (PEM)")
    check(out.stdout.decode().split() == vals, "console consumer over SSL read %r" %
          out.stdout[:200])
    log("bin tools over SSL ok")


def test(c):
    certs = tlsutil.make(os.path.join(c.root, "certs"))
    sslp, authp = free_port(), free_port()
    props = {"listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SSL:SSL,AUTH:SSL",
             "listener.name.auth.ssl.client.auth": "required"}
    props.update(tlsutil.broker_pem_props(certs))
    props.update(tlsutil.broker_p12_props(certs, prefix="listener.name.auth."))
    b = c.add_broker(props=props, start=False)
    b.props["listeners"] = "PLAINTEXT://127.0.0.1:%d,SSL://127.0.0.1:%d,AUTH://127.0.0.1:%d" % (
        b.port, sslp, authp)
    b.write_props()
    b.start()

    zk = c.kazoo()
    reg = json.loads(zk.get("/brokers/ids/0")[0])
    check(reg["version"] == 5, "registration version %r" % reg["version"])
    check(reg["endpoints"] == ["PLAINTEXT://127.0.0.1:%d" % b.port, "SSL://127.0.0.1:%d" % sslp,
                               "AUTH://127.0.0.1:%d" % authp], "endpoints %r" % reg["endpoints"])
    check(reg["listener_security_protocol_map"] == {"PLAINTEXT": "PLAINTEXT", "SSL": "SSL",
                                                     "AUTH": "SSL"},
          "protocol map %r" % reg["listener_security_protocol_map"])

    run([os.path.join(BIN, "kafka-configs.sh"), "--bootstrap-server", c.bootstrap, "--alter",
         "--entity-type", "broker-loggers", "--entity-name", "0", "--add-config",
         "root=DEBUG"], what="kafka-configs.sh root=DEBUG")
    c.create_topic(TOPIC)

    # Metadata over each listener names that listener's endpoint.
    md = json.loads(kcat_ssl(sslp, certs, "-L", "-J").stdout)
    check([(x["id"], x["name"]) for x in md["brokers"]] == [(0, "127.0.0.1:%d" % sslp)],
          "SSL metadata brokers %r" % md["brokers"])
    md = json.loads(kcat_ssl(authp, certs, "-L", "-J").stdout)
    check([x["name"] for x in md["brokers"]] == ["127.0.0.1:%d" % authp],
          "AUTH metadata brokers %r" % md["brokers"])

    # kcat produce / consume over SSL (PEM keystore), then on AUTH (PKCS12).
    lines = ["kc-%05d" % i for i in range(N)]
    kcat_ssl(sslp, certs, "-P", "-t", TOPIC, "-p", "0", "-X", "acks=all",
             input=("\n".join(lines) + "\n").encode())
    out = kcat_ssl(authp, certs, "-C", "-t", TOPIC, "-p", "0", "-o", "beginning", "-e", "-q")
    check(out.stdout.decode().split() == lines, "kcat read back over AUTH")
    log("kcat round trip over SSL and AUTH ok")

    tools_roundtrip(c, authp, certs)
    confluent_roundtrip(sslp, certs, "tls-ck")
    confluent_roundtrip(authp, certs, "tls-ck-auth")
    kafka_python_roundtrip(sslp, certs, "tls-kp")
    kafka_python_roundtrip(authp, certs, "tls-kp-auth")
    log("confluent-kafka and kafka-python round trips ok")

    # ssl.client.auth=required: no certificate -> refused; with one -> served.
    p = kcat_ssl(authp, certs, "-L", "-m", "5", client_cert=False, check_rc=False, timeout=30)
    check(p.returncode != 0, "a client without a certificate got metadata on AUTH")
    wait_until(lambda: "Failed authentication with 127.0.0.1" in b.log_text(), 20,
               "the refused handshake in server.log")
    wait_until(lambda: "principal User:CN=client1,OU=Clients,O=Samsa" in b.log_text(), 20,
               "the client's principal in server.log")
    check("principal User:ANONYMOUS" in b.log_text(), "SSL listener without client auth: ANONYMOUS")

    # A plaintext client on the SSL port: it fails, the broker logs and stays up.
    p = run([KCAT, "-b", "127.0.0.1:%d" % sslp, "-L", "-m", "5"], timeout=30, check_rc=False,
            what="plaintext kcat on the SSL port")
    check(p.returncode != 0, "plaintext kcat got metadata from the SSL port")

    # Garbage and truncated handshakes.
    hello = None
    ctx = ssl.create_default_context(cafile=certs["ca_crt"])
    for i in range(50):
        s = socket.create_connection(("127.0.0.1", sslp))
        if i % 3 == 0:
            s.sendall(os.urandom(1 + i * 97))
        elif i % 3 == 1:
            # the first bytes of a real ClientHello, then nothing
            if hello is None:
                inb, outb = ssl.MemoryBIO(), ssl.MemoryBIO()
                obj = ctx.wrap_bio(inb, outb, server_hostname="localhost")
                try:
                    obj.do_handshake()
                except ssl.SSLWantReadError:
                    pass
                hello = outb.read()
            s.sendall(hello[:1 + (i * 13) % (len(hello) - 1)])
        else:
            s.sendall(b"\x16\x03\x01\xff\xff" + os.urandom(64))
        s.close()
    check(b.alive(), "broker died on garbage")
    out = kcat_ssl(sslp, certs, "-C", "-t", TOPIC, "-p", "0", "-o", "beginning", "-e", "-q")
    check(out.stdout.decode().split() == lines, "broker serves SSL after the garbage")
    out = c.kcat("-C", "-t", TOPIC, "-p", "0", "-o", "beginning", "-e", "-q")
    check(out.stdout.decode().split() == lines, "broker serves PLAINTEXT after the garbage")
    check(b.alive(), "broker alive at the end")

    # A JKS keystore (Kafka's default type) cannot be read: refused at start.
    j = c.add_broker(props={"ssl.keystore.location": certs["broker_p12"],
                            "ssl.keystore.password": tlsutil.PASSWORD}, start=False)
    j.props["listeners"] = "SSL://127.0.0.1:%d" % j.port
    j.props["inter.broker.listener.name"] = "SSL"
    j.write_props()
    j.spawn()
    wait_until(lambda: j.proc.poll() is not None, 60, "the JKS broker to exit")
    check(j.proc.returncode != 0, "the JKS broker exited with status 0")
    check(re.search(r"FATAL .*ssl\.keystore\.type.*JKS", j.log_text()),
          "no FATAL line naming ssl.keystore.type: %s" % j.log_text()[-2000:])

    # Inter-broker SSL with https endpoint identification: a broker whose
    # certificate does not name 127.0.0.1 cannot be reached by its own
    # controller (a cluster of its own under another chroot).
    w = c.add_broker(props={"ssl.keystore.type": "PEM",
                            "ssl.keystore.location": certs["wronghost_pem"],
                            "ssl.truststore.type": "PEM",
                            "ssl.truststore.location": certs["ca_crt"],
                            "zookeeper.connect": c.zk_connect + "/wronghost"}, start=False)
    w.props["listeners"] = "SSL://127.0.0.1:%d" % w.port
    w.props["inter.broker.listener.name"] = "SSL"
    w.write_props()
    w.spawn()
    ctl_log = os.path.join(w.log_dir, "controller.log")

    def refused():
        try:
            with open(ctl_log, errors="replace") as f:
                text = f.read()
        except OSError:
            return False
        return re.search(r"connection to broker 127\.0\.0\.1:%d .*was unsuccessful: SSL handshake "
                         r"with .*certificate verify failed.*IP address mismatch" % w.port, text)
    wait_until(refused, 60, "the controller refusing a certificate without the broker's address")
    check(w.alive(), "the broker with the wrong certificate died")


if __name__ == "__main__":
    harness.main(test, brokers=0)
