#!/usr/bin/python3
"""Proves authorization of the transactional APIs as Kafka 2.8's KafkaApis does it: one broker with authorizer.class.name, allow.everyone.if.no.acl.found=false, an SSL listener with ssl.client.auth=required and the broker's certificate principal in super.users. Clients authenticate with their own certificates (User:CN=alice, User:CN=bob).
- a confluent-kafka transactional producer with --producer ACLs on its topic but none on its transactional id is refused (TRANSACTIONAL_ID_AUTHORIZATION_FAILED); once kafka-acls.sh --producer --transactional-id grants it, it commits a transaction a read_committed consumer reads;
- InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn and TxnOffsetCommit from a client without Write on the transactional id get TRANSACTIONAL_ID_AUTHORIZATION_FAILED (for every partition where the answer has partitions);
- AddPartitionsToTxn: a topic without Write gets TOPIC_AUTHORIZATION_FAILED and the others OPERATION_NOT_ATTEMPTED, nothing is added;
- AddOffsetsToTxn and TxnOffsetCommit without Read on the group get GROUP_AUTHORIZATION_FAILED; TxnOffsetCommit with the group but without Read on a topic gets TOPIC_AUTHORIZATION_FAILED for that topic;
- the refusals are logged in kafka-authorizer.log naming the principal and the resource."""
import os
import socket
import ssl
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import tlsutil  # noqa: E402
from harness import BIN, check, free_port, log, run, wait_until  # noqa: E402

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer  # noqa: E402

BROKER_PRINCIPAL = "User:CN=localhost,OU=Brokers,O=Samsa"
TOPIC = "txn-acl-t"
SECRET = "txn-acl-secret"
TID = "tx-alice"
GROUP = "txn-acl-g"
TOPIC_AUTHORIZATION_FAILED = 29
GROUP_AUTHORIZATION_FAILED = 30
TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53
OPERATION_NOT_ATTEMPTED = 55


def acls(c, *args):
    p = run([os.path.join(BIN, "kafka-acls.sh"), "--authorizer-properties",
             "zookeeper.connect=" + c.zk_connect] + list(args),
            what="kafka-acls.sh " + " ".join(args[:6]))
    return p.stdout.decode()


def ssl_ctx(certs, who):
    ctx = ssl.create_default_context(cafile=certs["ca_crt"])
    ctx.load_cert_chain(certs[who + "_crt"], certs[who + "_key"])
    return ctx


class Reader:
    def __init__(self, buf):
        self.buf, self.pos = buf, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.buf, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return v

    def string(self):
        n = self.take(">h")
        v = self.buf[self.pos:self.pos + max(n, 0)].decode()
        self.pos += max(n, 0)
        return v if n >= 0 else None


def call(port, ctx, key, ver, body):
    """One request (header v1) over TLS; a Reader on the response after its
    correlation id."""
    req = struct.pack(">hhih", key, ver, 7, 4) + b"test" + body
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        s.sendall(struct.pack(">i", len(req)) + req)
        buf = b""
        while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
            chunk = s.recv(65536)
            check(chunk, "broker closed the connection")
            buf += chunk
    return Reader(buf[8:])


def string(v):
    if v is None:
        return struct.pack(">h", -1)
    return struct.pack(">h", len(v)) + v.encode()


def init_producer_id(port, ctx, tid):
    """InitProducerId v1: (error, producer id)."""
    r = call(port, ctx, 22, 1, string(tid) + struct.pack(">i", 60000))
    r.take(">i")
    return r.take(">h"), r.take(">q")


def add_partitions(port, ctx, tid, topics):
    """AddPartitionsToTxn v1 of {topic: [partitions]}: {(topic, p): error}."""
    body = string(tid) + struct.pack(">qhi", 1000, 0, len(topics))
    for t, parts in topics.items():
        body += string(t) + struct.pack(">i", len(parts))
        for p in parts:
            body += struct.pack(">i", p)
    r = call(port, ctx, 24, 1, body)
    r.take(">i")
    out = {}
    for _ in range(r.take(">i")):
        t = r.string()
        for _ in range(r.take(">i")):
            p = r.take(">i")
            out[(t, p)] = r.take(">h")
    return out


def add_offsets(port, ctx, tid, group):
    """AddOffsetsToTxn v1: its error."""
    r = call(port, ctx, 25, 1, string(tid) + struct.pack(">qh", 1000, 0) + string(group))
    r.take(">i")
    return r.take(">h")


def end_txn(port, ctx, tid):
    """EndTxn v1 (commit): its error."""
    r = call(port, ctx, 26, 1, string(tid) + struct.pack(">qhb", 1000, 0, 1))
    r.take(">i")
    return r.take(">h")


def txn_offset_commit(port, ctx, tid, group, topics):
    """TxnOffsetCommit v1 of {topic: [partitions]} (offset 5):
    {(topic, p): error}."""
    body = string(tid) + string(group) + struct.pack(">qhi", 1000, 0, len(topics))
    for t, parts in topics.items():
        body += string(t) + struct.pack(">i", len(parts))
        for p in parts:
            body += struct.pack(">iq", p, 5) + string(None)
    r = call(port, ctx, 28, 1, body)
    r.take(">i")
    out = {}
    for _ in range(r.take(">i")):
        t = r.string()
        for _ in range(r.take(">i")):
            p = r.take(">i")
            out[(t, p)] = r.take(">h")
    return out


def client_conf(b, certs, who):
    return {"bootstrap.servers": "127.0.0.1:%d" % b.ssl_port, "security.protocol": "SSL",
            "ssl.ca.location": certs["ca_crt"], "ssl.certificate.location": certs[who + "_crt"],
            "ssl.key.location": certs[who + "_key"]}


def transactional_producer(b, certs, who):
    return Producer(dict(client_conf(b, certs, who), **{"transactional.id": TID,
                                                       "transaction.timeout.ms": 60000,
                                                       "message.timeout.ms": 30000}))


def test(c):
    certs = tlsutil.make(os.path.join(c.root, "certs"))
    d = os.path.join(c.root, "certs")
    for who in ("alice", "bob"):
        tlsutil._leaf(d, who, "/CN=" + who, None)
        certs[who + "_crt"] = os.path.join(d, who + ".crt")
        certs[who + "_key"] = os.path.join(d, who + ".key")
    certs["broker_key"] = os.path.join(d, "broker.key")
    certs["broker_crt"] = os.path.join(d, "broker.crt")
    props = {"inter.broker.listener.name": "SSL",
             "ssl.client.auth": "required",
             "authorizer.class.name": "kafka.security.authorizer.AclAuthorizer",
             "super.users": BROKER_PRINCIPAL,
             "allow.everyone.if.no.acl.found": "false",
             "auto.create.topics.enable": "false"}
    props.update(tlsutil.broker_pem_props(certs))
    b = c.add_broker(props=props, start=False)
    b.ssl_port = free_port()
    b.props["listeners"] = "PLAINTEXT://127.0.0.1:%d,SSL://127.0.0.1:%d" % (b.port, b.ssl_port)
    b.write_props()
    b.start()
    for t in (TOPIC, SECRET):
        c.topics("--zookeeper", c.zk_connect, "--create", "--topic", t, "--partitions", "2",
                 "--replication-factor", "1")
    alice, bob = ssl_ctx(certs, "alice"), ssl_ctx(certs, "bob")

    # alice may write the topic but not use her transactional id.
    acls(c, "--add", "--allow-principal", "User:CN=alice", "--producer", "--topic", TOPIC)
    wait_until(lambda: add_partitions(b.ssl_port, alice, TID, {TOPIC: [0]}) ==
               {(TOPIC, 0): TRANSACTIONAL_ID_AUTHORIZATION_FAILED}, 30,
               "the broker applying alice's topic ACLs")
    p = transactional_producer(b, certs, "alice")
    try:
        p.init_transactions(30)
        check(False, "init_transactions succeeded without Write on the transactional id")
    except KafkaException as e:
        log("refused: %s" % e)
        check(e.args[0].code() == KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
              "init_transactions error %r" % e.args[0])
    del p

    # Raw requests without Write on the transactional id.
    check(init_producer_id(b.ssl_port, alice, TID)[0] == TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
          "InitProducerId without the transactional id ACL")
    check(add_offsets(b.ssl_port, alice, TID, GROUP) == TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
          "AddOffsetsToTxn without the transactional id ACL")
    check(end_txn(b.ssl_port, alice, TID) == TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
          "EndTxn without the transactional id ACL")
    got = txn_offset_commit(b.ssl_port, alice, TID, GROUP, {TOPIC: [0, 1]})
    check(got == {(TOPIC, 0): TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
                  (TOPIC, 1): TRANSACTIONAL_ID_AUTHORIZATION_FAILED},
          "TxnOffsetCommit without the transactional id ACL: %r" % got)

    out = acls(c, "--add", "--allow-principal", "User:CN=alice", "--producer", "--topic", TOPIC,
               "--transactional-id", TID)
    log(out)
    check("resourceType=TRANSACTIONAL_ID, name=%s" % TID in out, "kafka-acls output %r" % out)
    wait_until(lambda: init_producer_id(b.ssl_port, alice, TID)[0] == 0, 30,
               "InitProducerId allowed once the transactional id ACL is applied")
    # bob still has nothing.
    check(init_producer_id(b.ssl_port, bob, TID)[0] == TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
          "bob's InitProducerId")
    got = add_partitions(b.ssl_port, bob, TID, {TOPIC: [0, 1]})
    check(got == {(TOPIC, 0): TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
                  (TOPIC, 1): TRANSACTIONAL_ID_AUTHORIZATION_FAILED},
          "bob's AddPartitionsToTxn: %r" % got)

    # A topic without Write fails the request; the others are not attempted.
    got = add_partitions(b.ssl_port, alice, TID, {TOPIC: [0, 1], SECRET: [0],
                                                  "__consumer_offsets": [0]})
    check(got == {(TOPIC, 0): OPERATION_NOT_ATTEMPTED, (TOPIC, 1): OPERATION_NOT_ATTEMPTED,
                  (SECRET, 0): TOPIC_AUTHORIZATION_FAILED,
                  ("__consumer_offsets", 0): TOPIC_AUTHORIZATION_FAILED},
          "alice's AddPartitionsToTxn with an unauthorized topic: %r" % got)
    # The group needs Read.
    check(add_offsets(b.ssl_port, alice, TID, GROUP) == GROUP_AUTHORIZATION_FAILED,
          "AddOffsetsToTxn without Read on the group")
    got = txn_offset_commit(b.ssl_port, alice, TID, GROUP, {TOPIC: [0]})
    check(got == {(TOPIC, 0): GROUP_AUTHORIZATION_FAILED},
          "TxnOffsetCommit without Read on the group: %r" % got)
    acls(c, "--add", "--allow-principal", "User:CN=alice", "--operation", "Read", "--group", GROUP)
    # With the group: Read on each topic (alice has Write, not Read, on TOPIC).
    wait_until(lambda: txn_offset_commit(b.ssl_port, alice, TID, GROUP, {TOPIC: [0]}) ==
               {(TOPIC, 0): TOPIC_AUTHORIZATION_FAILED}, 30,
               "TxnOffsetCommit past the group check, refused on the topic")

    # The confluent-kafka transactional producer now works end to end.
    p = transactional_producer(b, certs, "alice")
    p.init_transactions(30)
    p.begin_transaction()
    for i in range(10):
        p.produce(TOPIC, ("v%d" % i).encode(), partition=i % 2)
    p.commit_transaction(30)
    p.flush(10)
    cons = Consumer(dict(client_conf(b, certs, "broker"), **{
        "group.id": "reader", "auto.offset.reset": "earliest",
        "isolation.level": "read_committed", "enable.partition.eof": True}))
    cons.subscribe([TOPIC])
    got, eofs = [], set()

    def done():
        m = cons.poll(0.5)
        if m is not None and m.error() and m.error().code() == KafkaError._PARTITION_EOF:
            eofs.add(m.partition())
        elif m is not None and not m.error():
            got.append(m.value().decode())
        return len(got) >= 10 and len(eofs) == 2
    wait_until(done, 60, "reading the committed transaction")
    cons.close()
    check(sorted(got) == sorted("v%d" % i for i in range(10)), "committed records %r" % got)

    with open(os.path.join(os.path.dirname(b.server_log), "kafka-authorizer.log")) as f:
        text = f.read()
    for line in ("Principal = User:CN=bob is Denied Operation = Write from host = 127.0.0.1 on "
                 "resource = TransactionalId:LITERAL:%s" % TID,
                 "Principal = User:CN=alice is Denied Operation = Write from host = 127.0.0.1 "
                 "on resource = Topic:LITERAL:%s" % SECRET,
                 "Principal = User:CN=alice is Denied Operation = Read from host = 127.0.0.1 "
                 "on resource = Group:LITERAL:%s" % GROUP):
        check(line in text, "kafka-authorizer.log lacks %r" % line)


if __name__ == "__main__":
    harness.main(test, brokers=0)
