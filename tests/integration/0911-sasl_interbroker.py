#!/usr/bin/python3
"""Proves inter-broker SASL_SSL: 3 brokers with PLAINTEXT and SASL_SSL listeners,
inter.broker.listener.name=SASL_SSL, sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512 with
the broker's own username/password from listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config
and its SCRAM credential in /config/users. An RF=3 topic replicates (full ISR); acks=all records
produced over SASL_SSL before and after a kill -9 of the leader are all read back from the new
leader; the request log of the survivors shows the controller's and followers' requests arriving
on listener SASL_SSL with the principal User:broker."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlutil  # noqa: E402
import harness  # noqa: E402
import saslutil as su  # noqa: E402
import tlsutil  # noqa: E402
from harness import BIN, KCAT, check, free_port, log, run, wait_until  # noqa: E402

TOPIC = "sasl-rep"
LINE = re.compile(r"Received request:(\{.*\}) \(kafka\.request\.logger\)$")


def requests(b):
    out = []
    for l in b.log_text().splitlines():
        m = LINE.search(l)
        if m:
            out.append(json.loads(m.group(1)))
    return out


def full_isr(zk):
    return sorted(ctlutil.state(zk, TOPIC, 0)["isr"]) == [0, 1, 2]


def kcat(brokers, certs, *args, input=None, timeout=60):
    return run([KCAT, "-b", brokers, "-X", "security.protocol=SASL_SSL",
                "-X", "sasl.mechanisms=SCRAM-SHA-512", "-X", "sasl.username=alice",
                "-X", "sasl.password=alice-secret", "-X", "ssl.ca.location=" + certs["ca_crt"]]
               + list(args), input=input, timeout=timeout, what="kcat over SASL_SSL")


def test(c):
    certs = tlsutil.make(os.path.join(c.root, "certs"))
    zk = c.kazoo()
    su.put_scram_user(zk, "broker", {"SCRAM-SHA-512": "broker-secret"}, notify=False)
    su.put_scram_user(zk, "alice", {"SCRAM-SHA-512": "alice-secret"}, notify=False)
    props = {"listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL",
             "inter.broker.listener.name": "SASL_SSL",
             "sasl.enabled.mechanisms": "SCRAM-SHA-512",
             "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
             "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config":
             su.jaas(su.SCRAM_MODULE, "broker", "broker-secret"),
             "ssl.endpoint.identification.algorithm": "https",
             "zookeeper.session.timeout.ms": "6000",
             "replica.lag.time.max.ms": "3000",
             "min.insync.replicas": "2",
             "controlled.shutdown.retry.backoff.ms": "200",
             "controlled.shutdown.max.retries": "1"}
    props.update(tlsutil.broker_pem_props(certs))
    for i in range(3):
        b = c.add_broker(props=props, start=False)
        b.sasl_port = free_port()
        b.props["listeners"] = "PLAINTEXT://127.0.0.1:%d,SASL_SSL://127.0.0.1:%d" % (
            b.port, b.sasl_port)
        b.write_props()
    for b in c.brokers:
        b.start()
    ctl = ctlutil.controller(zk)
    order = [ctl] + [i for i in range(3) if i != ctl]
    p = c.topics("--zookeeper", c.zk_connect, "--create", "--topic", TOPIC,
                 "--replica-assignment", ":".join(map(str, order)))
    check(("Created topic %s." % TOPIC) in p.stdout.decode(), "create said %r" % p.stdout)
    c.wait_for_leaders(TOPIC, 1)
    wait_until(lambda: full_isr(zk), 60, "full ISR over the SASL_SSL inter-broker listener")

    for b in c.brokers:
        run([os.path.join(BIN, "kafka-configs.sh"), "--bootstrap-server", b.bootstrap, "--alter",
             "--entity-type", "broker-loggers", "--entity-name", str(b.id), "--add-config",
             "root=DEBUG"], what="kafka-configs.sh root=DEBUG")

    sasl_boot = ",".join("127.0.0.1:%d" % b.sasl_port for b in c.brokers)
    before = ["before-%05d" % i for i in range(300)]
    p = kcat(sasl_boot, certs, "-P", "-t", TOPIC, "-X", "acks=all",
             input=("\n".join(before) + "\n").encode())
    check(b"Delivery failed" not in p.stderr, "produce before the kill: %r" % p.stderr[-500:])
    leader = ctlutil.state(zk, TOPIC, 0)["leader"]
    lb = c.brokers[leader]
    log("killing leader %d" % leader)
    lb.kill9()
    wait_until(lambda: ctlutil.state(zk, TOPIC, 0)["leader"] not in (-1, leader), 60,
               "a new leader")
    survivors = [b for b in c.brokers if b.id != leader]
    alive = ",".join("127.0.0.1:%d" % b.sasl_port for b in survivors)
    after = ["after-%05d" % i for i in range(300)]
    p = kcat(alive, certs, "-P", "-t", TOPIC, "-X", "acks=all", "-X", "message.timeout.ms=30000",
             input=("\n".join(after) + "\n").encode())
    check(b"Delivery failed" not in p.stderr, "produce after the kill: %r" % p.stderr[-500:])
    out = kcat(alive, certs, "-C", "-t", TOPIC, "-p", "0", "-o", "beginning", "-e",
               "-q").stdout.decode().split()
    missing = [v for v in before + after if v not in set(out)]
    check(not missing, "%d acknowledged records lost, e.g. %s" % (len(missing), missing[:3]))
    log("nothing acknowledged lost")

    def inter_broker():
        return [(b.id, r) for b in survivors for r in requests(b)
                if r["requestHeader"]["requestApiKey"] in (4, 6, 23)]
    wait_until(inter_broker, 30, "an inter-broker request in a request log")
    for bid, r in inter_broker():
        check(r.get("listener") == "SASL_SSL" and r.get("principal") == "User:broker",
              "broker %d got API %d on %s as %s" % (bid, r["requestHeader"]["requestApiKey"],
                                                    r.get("listener"), r.get("principal")))
    lb.start()
    wait_until(lambda: full_isr(zk), 60, "full ISR after the restart")


if __name__ == "__main__":
    harness.main(test, brokers=0)
