#!/usr/bin/python3
"""Proves inter-broker TLS: 3 brokers with PLAINTEXT and SSL listeners, inter.broker.listener.name=SSL, ssl.client.auth=required on SSL and https endpoint identification (certificates with SAN IP:127.0.0.1). An RF=3 topic replicates (full ISR), acks=all records produced before and after a kill -9 of the leader are all read back from the new leader, and the request log of the surviving brokers shows the controller's LeaderAndIsr and the followers' Fetch requests arriving on listener SSL with the broker certificate's principal."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlutil  # noqa: E402
import harness  # noqa: E402
import tlsutil  # noqa: E402
from harness import BIN, check, free_port, log, run, wait_until  # noqa: E402

TOPIC = "tls-rep"
BROKER_PRINCIPAL = "User:CN=localhost,OU=Brokers,O=Samsa"
LINE = re.compile(r"Received request:(\{.*\}) \(kafka\.request\.logger\)$")


def requests(b):
    out = []
    for l in b.log_text().splitlines():
        m = LINE.search(l)
        if m:
            out.append(json.loads(m.group(1)))
    return out


def full_isr(zk):
    st = ctlutil.state(zk, TOPIC, 0)
    return sorted(st["isr"]) == [0, 1, 2]


def test(c):
    certs = tlsutil.make(os.path.join(c.root, "certs"))
    props = {"inter.broker.listener.name": "SSL",
             "ssl.client.auth": "required",
             "ssl.endpoint.identification.algorithm": "https",
             "zookeeper.session.timeout.ms": "6000",
             "replica.lag.time.max.ms": "3000",
             "min.insync.replicas": "2",
             "controlled.shutdown.retry.backoff.ms": "200",
             "controlled.shutdown.max.retries": "1"}
    props.update(tlsutil.broker_pem_props(certs))
    for i in range(3):
        b = c.add_broker(props=props, start=False)
        b.ssl_port = free_port()
        b.props["listeners"] = "PLAINTEXT://127.0.0.1:%d,SSL://127.0.0.1:%d" % (b.port, b.ssl_port)
        b.write_props()
    for b in c.brokers:
        b.start()
    zk = c.kazoo()
    # The controller leads the partition, so killing the leader also moves
    # the controller.
    ctl = ctlutil.controller(zk)
    order = [ctl] + [i for i in range(3) if i != ctl]
    p = c.topics("--zookeeper", c.zk_connect, "--create", "--topic", TOPIC,
                 "--replica-assignment", ":".join(map(str, order)))
    check(("Created topic %s." % TOPIC) in p.stdout.decode(), "create said %r" % p.stdout)
    c.wait_for_leaders(TOPIC, 1)
    wait_until(lambda: full_isr(zk), 60, "full ISR over the SSL inter-broker listener")

    for b in c.brokers:
        run([os.path.join(BIN, "kafka-configs.sh"), "--bootstrap-server", b.bootstrap, "--alter",
             "--entity-type", "broker-loggers", "--entity-name", str(b.id), "--add-config",
             "root=DEBUG"], what="kafka-configs.sh root=DEBUG")

    before = ctlutil.produce(c, TOPIC, "before", n=300, acks="all")
    leader = ctlutil.state(zk, TOPIC, 0)["leader"]
    check(leader == ctl == ctlutil.controller(zk), "leader %d, controller %d" % (leader, ctl))
    lb = c.brokers[leader]
    log("killing leader %d" % leader)
    lb.kill9()
    wait_until(lambda: ctlutil.state(zk, TOPIC, 0)["leader"] not in (-1, leader), 60,
               "a new leader")
    survivors = [b for b in c.brokers if b.id != leader]
    alive = ",".join(b.bootstrap for b in survivors)
    lines = "".join("after-%05d\n" % i for i in range(300))
    p = run([harness.KCAT, "-b", alive, "-P", "-t", TOPIC, "-X", "acks=all",
             "-X", "message.timeout.ms=30000"], input=lines.encode(), timeout=60,
            what="kcat produce after the kill")
    check(b"Delivery failed" not in p.stderr, "produce after the kill failed: %r" % p.stderr[-500:])
    out = run([harness.KCAT, "-b", alive, "-C", "-t", TOPIC, "-p", "0", "-o", "beginning", "-e",
               "-q"], timeout=60, what="kcat consume").stdout.decode().split()
    expect = before + ["after-%05d" % i for i in range(300)]
    missing = [v for v in expect if v not in set(out)]
    check(not missing, "%d acknowledged records lost, e.g. %s" % (len(missing), missing[:3]))

    # The new controller (the killed leader was the controller) opens its
    # channels to the survivors afresh, and the follower its fetch session to
    # the new leader: both over SSL, authenticated by the broker certificate.
    hs = re.compile(r"SSL handshake with \S+ on listener SSL completed .*principal " +
                    re.escape(BROKER_PRINCIPAL))
    for b in survivors:
        wait_until(lambda: hs.search(b.log_text()), 30,
                   "broker %d logging an inter-broker SSL handshake" % b.id)
    # Requests only brokers send (LeaderAndIsr 4, UpdateMetadata 6,
    # OffsetForLeaderEpoch 23 from followers) arrive on SSL only.
    def inter_broker():
        return [(b.id, r) for b in survivors for r in requests(b)
                if r["requestHeader"]["requestApiKey"] in (4, 6, 23)]
    wait_until(inter_broker, 30, "an inter-broker request in a request log")
    ib = inter_broker()
    for bid, r in ib:
        check(r.get("listener") == "SSL" and r.get("principal") == BROKER_PRINCIPAL,
              "broker %d got API %d on %s as %s" % (bid, r["requestHeader"]["requestApiKey"],
                                                    r.get("listener"), r.get("principal")))
    lb.start()
    wait_until(lambda: full_isr(zk), 60, "full ISR after the restart")


if __name__ == "__main__":
    harness.main(test, brokers=0)
