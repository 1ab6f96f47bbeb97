#!/usr/bin/python3
"""Proves ACL authorization (AclAuthorizer): 3 brokers with authorizer.class.name set, allow.everyone.if.no.acl.found=false, a PLAINTEXT and an SSL listener (ssl.client.auth=required, inter-broker traffic on SSL) and the brokers' certificate principal in super.users, as operators configure Kafka. Clients authenticate with their own certificates (User:CN=alice, User:CN=bob).
- an unknown authorizer.class.name or a bad allow.everyone.if.no.acl.found stops the broker naming the key;
- inter-broker traffic keeps working: an RF=3 topic reaches a full ISR;
- ACLs added with kafka-acls.sh (--authorizer-properties zookeeper.connect) land in /kafka-acl and /kafka-acl-extended in Kafka's JSON with change notifications, and take effect on every broker (each broker, asked alone, shows alice the topic in Metadata);
- alice with --producer ACLs produces; bob without Write gets TOPIC_AUTHORIZATION_FAILED;
- alice with Read on the topic but not the group gets GROUP_AUTHORIZATION_FAILED, and consumes once --consumer grants the group;
- Metadata hides the topics a client may not Describe;
- a PREFIXED ACL grants bob the family fam-* and nothing else;
- the super user (broker certificate) bypasses ACLs;
- Metadata auto-creates a topic only for a client allowed Create on it;
- kafka-acls.sh --bootstrap-server --add/--list/--remove through CreateAcls, DescribeAcls and DeleteAcls, with Kafka's --list output, over PLAINTEXT and over SSL (--command-config);
- CreateAcls answers each invalid creation with Kafka's error and message, fails a request holding a filter-only value and closes the connection on UNKNOWN elements, as Kafka does; controller requests from a client are refused."""
import json
import os
import socket
import ssl
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlutil  # noqa: E402
import harness  # noqa: E402
import tlsutil  # noqa: E402
from harness import BIN, check, free_port, log, run, wait_until  # noqa: E402

from confluent_kafka import Consumer, KafkaError, Producer  # noqa: E402
from kazoo.exceptions import NoNodeError  # noqa: E402

BROKER_PRINCIPAL = "User:CN=localhost,OU=Brokers,O=Samsa"
TOPIC = "acl-t"
TOPIC_AUTHORIZATION_FAILED = 29
GROUP_AUTHORIZATION_FAILED = 30


def state(zk, topic):
    """Partition 0's state znode, {} until the controller has written it."""
    try:
        return ctlutil.state(zk, topic, 0)
    except NoNodeError:
        return {}


def acls(c, *args, bootstrap=None, check_rc=True):
    cmd = [os.path.join(BIN, "kafka-acls.sh")]
    if bootstrap:
        cmd += ["--bootstrap-server", bootstrap]
    else:
        cmd += ["--authorizer-properties", "zookeeper.connect=" + c.zk_connect]
    p = run(cmd + list(args), check_rc=check_rc, what="kafka-acls.sh " + " ".join(args[:4]))
    return p.stdout.decode()


def ssl_ctx(certs, who):
    ctx = ssl.create_default_context(cafile=certs["ca_crt"])
    ctx.load_cert_chain(certs[who + "_crt"], certs[who + "_key"])
    return ctx


def call(port, ctx, key, ver, body):
    """One request (header v1) to one broker, over TLS when ctx is given;
    the response after its correlation id."""
    req = struct.pack(">hhih", key, ver, 7, 4) + b"test" + body
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        s = ctx.wrap_socket(raw, server_hostname="127.0.0.1") if ctx else raw
        s.sendall(struct.pack(">i", len(req)) + req)
        buf = b""
        while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
            chunk = s.recv(65536)
            check(chunk, "broker closed the connection")
            buf += chunk
    return buf[8:]


def string(v):
    if v is None:
        return struct.pack(">h", -1)
    return struct.pack(">h", len(v)) + v.encode()


def metadata(port, ctx, topics):
    """Metadata v1 sent to one broker alone over TLS: {topic: error code}."""
    if topics is None:
        body = struct.pack(">i", -1)
    else:
        body = struct.pack(">i", len(topics))
        for t in topics:
            body += struct.pack(">h", len(t)) + t.encode()
    buf = call(port, ctx, 3, 1, body)
    pos = 0

    def i32():
        nonlocal pos
        v = struct.unpack(">i", buf[pos:pos + 4])[0]
        pos += 4
        return v

    def i16():
        nonlocal pos
        v = struct.unpack(">h", buf[pos:pos + 2])[0]
        pos += 2
        return v

    def string():
        nonlocal pos
        n = i16()
        if n < 0:
            return None
        v = buf[pos:pos + n].decode()
        pos += n
        return v
    for _ in range(i32()):
        i32(), string(), i32(), string()
    i32()  # controller
    out = {}
    for _ in range(i32()):
        err, name = i16(), string()
        pos += 1  # is_internal
        for _ in range(i32()):
            i16(), i32(), i32()
            for _ in range(i32()):
                i32()
            for _ in range(i32()):
                i32()
        out[name] = err
    return out


def client_conf(c, certs, who):
    return {"bootstrap.servers": ",".join("127.0.0.1:%d" % b.ssl_port for b in c.brokers),
            "security.protocol": "SSL", "ssl.ca.location": certs["ca_crt"],
            "ssl.certificate.location": certs[who + "_crt"],
            "ssl.key.location": certs[who + "_key"]}


def produce(c, certs, who, topic, n=20, idempotent=False):
    """Produces n records; the error codes of the delivery reports."""
    p = Producer(dict(client_conf(c, certs, who), **{"acks": "all",
                                                     "message.timeout.ms": 20000,
                                                     "enable.idempotence": idempotent}))
    errors = []

    def cb(err, msg):
        errors.append(err.code() if err else 0)
    for i in range(n):
        p.produce(topic, ("%s-%d" % (who, i)).encode(), on_delivery=cb)
    p.flush(60)
    check(len(errors) == n, "%d of %d delivery reports" % (len(errors), n))
    return errors


def consume(c, certs, who, topic, group, want):
    """Polls until want records or a group/topic error; (records, error codes)."""
    cons = Consumer(dict(client_conf(c, certs, who), **{"group.id": group,
                                                        "auto.offset.reset": "earliest"}))
    cons.subscribe([topic])
    got, errs = [], []

    def done():
        m = cons.poll(0.5)
        if m is None:
            return False
        if m.error():
            if m.error().code() != KafkaError._PARTITION_EOF:
                errs.append(m.error().code())
        else:
            got.append(m.value().decode())
        return len(got) >= want or bool(errs)
    wait_until(done, 60, "%s consuming %s in group %s" % (who, topic, group))
    cons.close()
    return got, errs


def check_create_acls_errors(c, bob):
    """CreateAcls v1 validation answers each creation with Kafka's error and
    message; DescribeAcls without Describe on the cluster is refused."""
    def creation(rtype, name, pattern, principal, op, perm):
        return (struct.pack(">b", rtype) + string(name) + struct.pack(">b", pattern) +
                string(principal) + string("*") + struct.pack(">bb", op, perm))
    def create(port, items):
        body = struct.pack(">i", len(items)) + b"".join(items)
        try:
            buf = call(port, None, 30, 1, body)
        except (harness.TestFailure, OSError):
            return None  # connection closed
        pos, res = 4, []
        n = struct.unpack(">i", buf[pos:pos + 4])[0]
        pos += 4
        for _ in range(n):
            code, ml = struct.unpack(">hh", buf[pos:pos + 4])
            pos += 4
            msg = buf[pos:pos + ml].decode() if ml >= 0 else None
            pos += max(ml, 0)
            res.append((code, msg))
        return res
    port = c.brokers[0].port
    res = create(port, [creation(4, "other", 3, "User:x", 7, 3),  # cluster not kafka-cluster
                        creation(2, "", 3, "User:x", 3, 3),       # empty name
                        creation(3, "a/b", 3, "User:x", 3, 3),    # not a znode name
                        creation(2, "t", 3, "nocolon", 3, 3),     # principal without a type
                        creation(3, "grp", 3, "User:x", 3, 3)])   # fine
    check(res == [(42, "The only valid name for the CLUSTER resource is kafka-cluster"),
                  (42, "Invalid empty resource name"), (42, "Failed to create ACL"),
                  (42, "Failed to create ACL"), (0, None)], "CreateAcls results %r" % res)
    # A filter-only value fails every creation of the request.
    res = create(port, [creation(3, "grp2", 3, "User:x", 3, 3),
                        creation(2, "t", 2, "User:x", 3, 3)])
    check(res == [(-1, "patternType must not be MATCH")] * 2, "MATCH creation: %r" % res)
    # UNKNOWN elements: Kafka cannot parse the request and closes.
    check(create(port, [creation(2, "t", 3, "User:x", 0, 3)]) is None,
          "UNKNOWN operation answered")
    check(create(port, [creation(2, "t", 3, "User:x", 3, 77)]) is None,
          "out-of-range permission answered")
    check(json.loads(c.kazoo().get("/kafka-acl/Group/grp")[0])["acls"][0]["principal"] ==
          "User:x", "the valid creation was not stored")
    check(not c.kazoo().exists("/kafka-acl/Group/grp2"), "a refused request stored an ACL")
    body = (struct.pack(">b", 1) + string(None) + struct.pack(">b", 1) + string(None) +
            string(None) + struct.pack(">bb", 1, 1))
    buf = call(c.brokers[0].ssl_port, bob, 29, 1, body)
    check(struct.unpack(">h", buf[4:6])[0] == 31, "bob's DescribeAcls answered %r" % buf[:8])
    # Controller requests from a client without ClusterAction change nothing
    # and are answered CLUSTER_AUTHORIZATION_FAILED (on every partition).
    buf = call(c.brokers[0].ssl_port, bob, 6, 0, struct.pack(">iiii", 0, 99, 0, 0))
    check(buf[:2] == struct.pack(">h", 31), "bob's UpdateMetadata answered %r" % buf[:8])
    body = struct.pack(">iib", 0, 99, 1) + struct.pack(">i", 1) + string(TOPIC) + \
        struct.pack(">i", 0)
    buf = call(c.brokers[0].ssl_port, bob, 5, 0, body)
    check(buf == struct.pack(">hi", 31, 1) + string(TOPIC) + struct.pack(">ih", 0, 31),
          "bob's StopReplica answered %r" % buf)
    check(sorted(state(c.kazoo(), TOPIC)["isr"]) == [0, 1, 2], "ISR changed")


def refuse_config(c, extra, must_mention):
    """A broker with a bad authorizer setting exits non-zero naming the key."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "server.properties")
        with open(path, "w") as f:
            f.write("broker.id=77\nzookeeper.connect=%s\nlog.dirs=%s\nlisteners="
                    "PLAINTEXT://127.0.0.1:%d\n%s\n" % (c.zk_connect, os.path.join(d, "data"),
                                                       free_port(), extra))
        p = subprocess.run([os.path.join(harness.BUILD, "src", "samsa-server"), path],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                           env=dict(os.environ, LOG_DIR=os.path.join(d, "logs")))
        out = (p.stdout + p.stderr).decode(errors="replace")
        check(p.returncode != 0, "broker accepted %r" % extra)
        check(must_mention in out, "error output does not name %r:\n%s" % (must_mention, out))


def test(c):
    refuse_config(c, "authorizer.class.name=com.example.MyAuthorizer", "authorizer.class.name")
    refuse_config(c, "authorizer.class.name=kafka.security.authorizer.AclAuthorizer\n"
                  "allow.everyone.if.no.acl.found=maybe", "allow.everyone.if.no.acl.found")
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
    for i in range(3):
        b = c.add_broker(props=props, start=False)
        b.ssl_port = free_port()
        b.props["listeners"] = "PLAINTEXT://127.0.0.1:%d,SSL://127.0.0.1:%d" % (b.port, b.ssl_port)
        b.write_props()
    for b in c.brokers:
        b.start()
    zk = c.kazoo()
    for t, rf in ((TOPIC, 3), ("secret", 1), ("fam-a", 1), ("fam-b", 1)):
        c.topics("--zookeeper", c.zk_connect, "--create", "--topic", t, "--partitions", "1",
                 "--replication-factor", str(rf))
    # Inter-broker traffic (LeaderAndIsr, follower Fetch) goes on with the
    # authorizer on: the brokers' principal is a super user.
    wait_until(lambda: sorted(state(zk, TOPIC).get("isr", [])) == [0, 1, 2], 60,
               "full ISR of %s with the authorizer on" % TOPIC)
    for t in ("secret", "fam-a", "fam-b"):
        wait_until(lambda: state(zk, t).get("leader", -1) >= 0, 60, "a leader for " + t)
    alice, bob, root = (ssl_ctx(certs, w) for w in ("alice", "bob", "broker"))

    # No ACL at all: nothing is allowed, and Metadata discloses nothing.
    md = metadata(c.brokers[0].ssl_port, alice, None)
    check(md == {}, "alice sees %r without any ACL" % md)
    md = metadata(c.brokers[0].ssl_port, alice, [TOPIC])
    check(md == {TOPIC: TOPIC_AUTHORIZATION_FAILED}, "named topic without ACLs: %r" % md)
    errs = produce(c, certs, "bob", TOPIC, n=5)
    check(set(errs) == {TOPIC_AUTHORIZATION_FAILED}, "bob's produce without ACLs: %r" % errs)

    # The super user bypasses the ACLs.
    md = metadata(c.brokers[1].ssl_port, root, None)
    check({TOPIC, "secret", "fam-a", "fam-b"} <= set(md) and not any(md.values()),
          "super user metadata %r" % md)
    check(produce(c, certs, "broker", "secret", n=5) == [0] * 5, "super user produce refused")

    out = acls(c, "--add", "--allow-principal", "User:CN=alice", "--producer", "--topic", TOPIC)
    log(out)
    check("Adding ACLs for resource `ResourcePattern(resourceType=TOPIC, name=%s, "
          "patternType=LITERAL)`: \n" % TOPIC in out, "kafka-acls --add output: %r" % out)
    for op in ("WRITE", "DESCRIBE", "CREATE"):
        check("\t(principal=User:CN=alice, host=*, operation=%s, permissionType=ALLOW)" % op
              in out, "kafka-acls --add output lacks %s: %r" % (op, out))
    data, _ = zk.get("/kafka-acl/Topic/" + TOPIC)
    node = json.loads(data)
    check(node["version"] == 1 and sorted(a["operation"] for a in node["acls"]) ==
          ["Create", "Describe", "Write"] and
          all(a["principal"] == "User:CN=alice" and a["host"] == "*" and
              a["permissionType"] == "Allow" for a in node["acls"]), "znode %r" % node)
    changes = zk.get_children("/kafka-acl-changes")
    check(changes and all(n.startswith("acl_changes_") for n in changes), "changes %r" % changes)
    check(any(zk.get("/kafka-acl-changes/" + n)[0] == ("TOPIC:" + TOPIC).encode()
              for n in changes), "no literal change notification for %s" % TOPIC)

    # Every broker follows the notification: asked alone, each shows alice
    # the topic (Describe implied by Write) and still hides the rest.
    for b in c.brokers:
        wait_until(lambda: metadata(b.ssl_port, alice, None) == {TOPIC: 0}, 30,
                   "broker %d applying alice's ACLs" % b.id)
    check(produce(c, certs, "alice", TOPIC) == [0] * 20, "alice's produce refused")
    # InitProducerId of an idempotent producer: alice has no IdempotentWrite
    # on the cluster, but Write on a topic is enough (authorizeByResourceType).
    check(produce(c, certs, "alice", TOPIC, n=5, idempotent=True) == [0] * 5,
          "alice's idempotent produce refused")
    errs = produce(c, certs, "bob", TOPIC, n=5)
    check(set(errs) == {TOPIC_AUTHORIZATION_FAILED}, "bob without Write: %r" % errs)

    # Read on the topic but not on the group.
    acls(c, "--add", "--allow-principal", "User:CN=alice", "--operation", "Read", "--topic", TOPIC)
    for b in c.brokers:
        wait_until(lambda: metadata(b.ssl_port, alice, None) == {TOPIC: 0}, 30, "broker up")
    got, errs = consume(c, certs, "alice", TOPIC, "g1", 20)
    check(errs and errs[0] == GROUP_AUTHORIZATION_FAILED,
          "alice without Read on the group: %r / %d records" % (errs, len(got)))
    acls(c, "--add", "--allow-principal", "User:CN=alice", "--consumer", "--topic", TOPIC,
         "--group", "g1")
    check(zk.exists("/kafka-acl/Group/g1"), "no znode for group g1")
    got, errs = consume(c, certs, "alice", TOPIC, "g1", 25)
    check(not errs and sorted(got) == sorted(["alice-%d" % i for i in range(20)] +
                                             ["alice-%d" % i for i in range(5)]),
          "alice consuming with the group ACL: %r / %r" % (errs, got[:5]))

    # A prefixed ACL grants a family of topics.
    acls(c, "--add", "--allow-principal", "User:CN=bob", "--operation", "Write",
         "--resource-pattern-type", "PREFIXED", "--topic", "fam-")
    data, _ = zk.get("/kafka-acl-extended/prefixed/Topic/fam-")
    check(json.loads(data)["acls"][0]["operation"] == "Write", "prefixed znode %r" % data)
    ext = zk.get_children("/kafka-acl-extended-changes")
    evs = [json.loads(zk.get("/kafka-acl-extended-changes/" + n)[0]) for n in ext]
    check({"version": 1, "resourceType": "TOPIC", "name": "fam-", "patternType": "PREFIXED"}
          in evs, "extended change notifications %r" % evs)
    for b in c.brokers:
        wait_until(lambda: metadata(b.ssl_port, bob, None) == {"fam-a": 0, "fam-b": 0}, 30,
                   "broker %d applying bob's prefixed ACL" % b.id)
    check(produce(c, certs, "bob", "fam-a", n=5) == [0] * 5, "bob to fam-a refused")
    check(produce(c, certs, "bob", "fam-b", n=5) == [0] * 5, "bob to fam-b refused")
    check(set(produce(c, certs, "bob", "secret", n=3)) == {TOPIC_AUTHORIZATION_FAILED},
          "bob to secret allowed")

    # kafka-acls.sh over --bootstrap-server (CreateAcls / DescribeAcls /
    # DeleteAcls): the plaintext listener's ANONYMOUS principal first needs
    # Alter and Describe on the cluster.
    plain = c.brokers[2].bootstrap
    out = acls(c, "--list", bootstrap=plain, check_rc=False)
    check("Error while executing ACL command" in out, "list without Describe on the cluster: %r"
          % out)
    acls(c, "--add", "--allow-principal", "User:ANONYMOUS", "--operation", "Alter",
         "--operation", "Describe", "--cluster")
    wait_until(lambda: "Error" not in acls(c, "--list", bootstrap=plain, check_rc=False), 30,
               "broker 2 allowing ANONYMOUS to describe ACLs")
    out = acls(c, "--add", "--deny-principal", "User:CN=bob", "--operation", "Write", "--topic",
               "fam-b", bootstrap=plain)
    check("(principal=User:CN=bob, host=*, operation=WRITE, permissionType=DENY)" in out,
          "add over bootstrap: %r" % out)
    out = acls(c, "--list", "--topic", TOPIC, bootstrap=plain)
    want = ("Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=%s, "
            "patternType=LITERAL)`: \n" % TOPIC)
    check(out.startswith(want), "--list output %r" % out)
    entries = [l for l in out.splitlines() if "(principal=" in l]
    check(sorted(e.strip() for e in entries) == sorted(
        "(principal=User:CN=alice, host=*, operation=%s, permissionType=ALLOW)" % op
        for op in ("WRITE", "DESCRIBE", "CREATE", "READ")), "--list entries %r" % entries)
    # The same over SSL with the super user's certificate (--command-config).
    admin = os.path.join(c.root, "admin.properties")
    with open(admin, "w") as f:
        f.write("security.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location=%s\n"
                "ssl.keystore.type=PEM\nssl.keystore.location=%s\n"
                % (certs["ca_crt"], certs["broker_pem"]))
    out2 = acls(c, "--list", "--topic", TOPIC, "--command-config", admin,
                bootstrap="127.0.0.1:%d" % c.brokers[1].ssl_port)
    check(out2 == out, "--list over SSL %r differs from %r" % (out2, out))
    out = acls(c, "--list", "--principal", "User:CN=bob", bootstrap=plain)
    check("ACLs for principal `User:CN=bob`" in out and "name=fam-, patternType=PREFIXED" in out
          and "alice" not in out, "--list --principal %r" % out)
    # Deny wins over the prefixed allow, on every broker.
    for b in c.brokers:
        wait_until(lambda: metadata(b.ssl_port, bob, None) == {"fam-a": 0, "fam-b": 0} and
                   zk.exists("/kafka-acl/Topic/fam-b"), 30, "deny znode")
    wait_until(lambda: set(produce(c, certs, "bob", "fam-b", n=2)) ==
               {TOPIC_AUTHORIZATION_FAILED}, 30, "bob denied on fam-b")
    check(produce(c, certs, "bob", "fam-a", n=2) == [0, 0], "bob still writes fam-a")
    acls(c, "--remove", "--force", "--topic", "fam-b", bootstrap=plain)
    check_create_acls_errors(c, bob)
    check(not zk.exists("/kafka-acl/Topic/fam-b"), "fam-b ACLs left after --remove")
    wait_until(lambda: produce(c, certs, "bob", "fam-b", n=2) == [0, 0], 30,
               "bob writing fam-b again after the deny is removed")
    # Auto-creation on Metadata needs Create on the cluster or the topic: a
    # fourth broker with auto.create.topics.enable=true.
    b3 = c.add_broker(props=dict(props, **{"auto.create.topics.enable": "true"}), start=False)
    b3.ssl_port = free_port()
    b3.props["listeners"] = "PLAINTEXT://127.0.0.1:%d,SSL://127.0.0.1:%d" % (b3.port, b3.ssl_port)
    b3.write_props()
    b3.start()
    acls(c, "--add", "--allow-principal", "User:CN=alice", "--operation", "Describe",
         "--resource-pattern-type", "PREFIXED", "--topic", "auto-")
    authz_log = os.path.join(os.path.dirname(b3.server_log), "kafka-authorizer.log")

    def refused_create():
        check(metadata(b3.ssl_port, alice, ["auto-x"]) == {"auto-x": TOPIC_AUTHORIZATION_FAILED},
              "auto-x not refused")
        with open(authz_log) as f:
            return ("User:CN=alice is Denied Operation = Create from host = 127.0.0.1 on "
                    "resource = Topic:LITERAL:auto-x" in f.read())
    # Describe allowed (it propagated), Create refused
    wait_until(refused_create, 30, "auto-x refused for lack of Create")
    check(not zk.exists("/brokers/topics/auto-x"), "auto-x created without Create")
    acls(c, "--add", "--allow-principal", "User:CN=alice", "--operation", "Create",
         "--resource-pattern-type", "PREFIXED", "--topic", "auto-")
    wait_until(lambda: metadata(b3.ssl_port, alice, ["auto-x"]).get("auto-x") in (0, 5), 30,
               "auto-x created once alice may Create it")
    check(zk.exists("/brokers/topics/auto-x"), "auto-x not in ZooKeeper")

    # The authorizer's keys are known (no "isn't a known config" warning),
    # and refusals are logged in kafka-authorizer.log naming the principal.
    text = "".join(b.log_text() for b in c.brokers)
    check("isn't a known config" not in text, "a known key was warned about")
    text = ""
    for b in c.brokers:
        with open(os.path.join(os.path.dirname(b.server_log), "kafka-authorizer.log")) as f:
            text += f.read()
    check("Principal = User:CN=bob is Denied Operation = Write from host = 127.0.0.1 on "
          "resource = Topic:LITERAL:fam-b (kafka.authorizer.logger)" in text,
          "no kafka-authorizer.log line for bob's refused produce to fam-b")


if __name__ == "__main__":
    harness.main(test, brokers=0)
