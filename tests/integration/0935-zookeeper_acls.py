#!/usr/bin/python3
"""Proves zookeeper.set.acl: a broker (ZooKeeper chroot /samsa-acl) whose KAFKA_OPTS names a
JAAS login file with a Client section (DigestLoginModule username/password) logs in to
ZooKeeper with the digest scheme and creates every znode with Kafka's ACLs (ZkData.defaultAcls).
- zookeeper.set.acl=true without a JAAS login refuses to start with Kafka's message, a login
  file without the section -Dzookeeper.sasl.clientconfig names and
  zookeeper.ssl.client.enable=true refuse to start naming the problem;
- the chroot, /brokers/topics/<t>, its partition state, /brokers/ids/<id> and /controller
  (ephemeral), /config/topics/<t>, /cluster/id carry creator-all (digest:<user>:<hash>) plus
  world READ; the sensitive paths (/config/users, /config/brokers and what the tools write
  below them) carry creator-all only; /consumers stays open to all;
- an unauthenticated client reads /brokers/topics/<t> but can neither change, delete nor add
  below it, and cannot read /config/users;
- produce and consume work; after its session expired the broker logs in again and its
  ephemerals come back with the secure ACLs;
- the --zookeeper tools (kafka-topics, kafka-configs, kafka-acls --authorizer-properties with
  zookeeper.set.acl=true, preferred election, reassignment) log in from the same KAFKA_OPTS
  and write with the secure ACLs; without the login they fail naming ZooKeeper's refusal and
  write nothing;
- zookeeper-security-migration.sh (Kafka's ZkSecurityMigrator) refuses to run without the login,
  opens every ACL below Kafka's root paths with --zookeeper.acl=unsecure (an anonymous client can
  then write) and restores the secure ones with --zookeeper.acl=secure."""
import base64
import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import BIN, check, log, run, wait_until  # noqa: E402

from kazoo.client import KazooClient  # noqa: E402
from kazoo.exceptions import NoAuthError, NoNodeError  # noqa: E402

CHROOT = "/samsa-acl"
USER, PASSWORD = "kafka", "kafka-secret"
TOPIC = "zkacl-t"
SESSION_MS = 6000
DIGEST_ID = "%s:%s" % (USER, base64.b64encode(
    hashlib.sha1(("%s:%s" % (USER, PASSWORD)).encode()).digest()).decode())
PUBLIC = {(31, "digest", DIGEST_ID), (1, "world", "anyone")}
PRIVATE = {(31, "digest", DIGEST_ID)}
OPEN = {(31, "world", "anyone")}


def acl_set(zk, path):
    acls, _ = zk.get_acls(path)
    return {(a.perms, a.id.scheme, a.id.id) for a in acls}


def expect_acls(zk, path, want, what):
    got = acl_set(zk, path)
    check(got == want, "%s (%s): ACLs %r, expected %r" % (path, what, sorted(got), sorted(want)))


def refused(c, tag, props, env_opts, needle):
    """A broker that must exit at startup with needle in its log."""
    old = os.environ.pop("KAFKA_OPTS", None)
    if env_opts is not None:
        os.environ["KAFKA_OPTS"] = env_opts
    try:
        b = c.add_broker(broker_id=7, props=props, start=False, tag=tag)
        b.spawn()
    finally:
        os.environ.pop("KAFKA_OPTS", None)
        if old is not None:
            os.environ["KAFKA_OPTS"] = old
    rc = b.proc.wait(timeout=60)
    check(rc != 0, "broker %s started (rc %d) though it must refuse" % (tag, rc))
    check(rc > 0, "broker %s died of signal %d instead of refusing" % (tag, -rc))
    text = b.log_text()
    check(needle in text, "broker %s log does not say %r:\n%s" % (tag, needle, text[-2000:]))
    b.proc = None


def tool(name, args, env, check_rc=True):
    return run([os.path.join(BIN, name)] + args, env=env, check_rc=check_rc,
               what="%s %s" % (name, " ".join(args[:5])))


def test(c):
    jaas = os.path.join(c.root, "zk_client_jaas.conf")
    with open(jaas, "w") as f:
        f.write("// the ZooKeeper client's login\n"
                "Client {\n"
                "  org.apache.zookeeper.server.auth.DigestLoginModule required\n"
                "  username=\"%s\"\n  password=\"%s\";\n};\n" % (USER, PASSWORD))
    opts = "-Xmx1G -Djava.security.auth.login.config=%s" % jaas
    env_auth = dict(os.environ, KAFKA_OPTS=opts)
    env_none = {k: v for k, v in os.environ.items() if k != "KAFKA_OPTS"}

    # Refusals first: nothing may have been written to ZooKeeper by them.
    refused(c, "noauth", {"zookeeper.set.acl": "true"}, None,
            "zookeeper.set.acl is true, but ZooKeeper client TLS configuration identifying "
            "at least zookeeper.ssl.client.enable")
    refused(c, "nosection", {"zookeeper.set.acl": "true"},
            "-Djava.security.auth.login.config=%s -Dzookeeper.sasl.clientconfig=Other" % jaas,
            "there is no such section")
    refused(c, "zktls", {"zookeeper.ssl.client.enable": "true"}, opts,
            "zookeeper.ssl.client.enable is true, but TLS to ZooKeeper is not supported")
    root = c.kazoo(chroot=False)
    check(root.exists(CHROOT) is None, "a refused broker created the chroot")
    log("set.acl without a login, a missing JAAS section and ZooKeeper TLS are refused")

    os.environ["KAFKA_OPTS"] = opts
    try:
        b = c.add_broker(broker_id=0, props={"zookeeper.set.acl": "true",
                                             "zookeeper.session.timeout.ms": str(SESSION_MS)})
    finally:
        del os.environ["KAFKA_OPTS"]
    check("Authenticating to zookeeper as kafka (digest scheme)" in b.log_text(),
          "the broker does not say it logs in")

    # The topic through the --zookeeper tool, logged in from KAFKA_OPTS.
    p = tool("kafka-topics.sh", ["--zookeeper", c.zk_connect, "--create", "--topic", TOPIC,
                                 "--partitions", "1", "--replication-factor", "1"], env_auth)
    check(("Created topic %s." % TOPIC) in p.stdout.decode(), "create said %r" % p.stdout)
    c.wait_for_leaders(TOPIC, 1)

    zka = KazooClient(hosts=c.zk_connect, timeout=10, auth_data=[("digest", "%s:%s" % (USER, PASSWORD))])
    zka.start(timeout=15)
    c._kazoos.append(zka)
    zkr = KazooClient(hosts=c.zk.connect, timeout=10,
                      auth_data=[("digest", "%s:%s" % (USER, PASSWORD))])
    zkr.start(timeout=15)
    c._kazoos.append(zkr)
    expect_acls(zkr, CHROOT, PUBLIC, "chroot")
    wait_until(lambda: zka.exists("/brokers/topics/%s/partitions/0/state" % TOPIC), 30,
               "partition state znode")
    for path, what in [("/brokers/topics/%s" % TOPIC, "topic"),
                       ("/brokers/topics/%s/partitions/0/state" % TOPIC, "partition state (multi)"),
                       ("/brokers/ids/0", "ephemeral broker registration"),
                       ("/controller", "ephemeral controller"),
                       ("/controller_epoch", "controller epoch"),
                       ("/config/topics/%s" % TOPIC, "topic config"),
                       ("/cluster/id", "cluster id"),
                       ("/brokers", "top level"),
                       ("/admin/delete_topics", "top level"),
                       ("/config/changes", "top level")]:
        expect_acls(zka, path, PUBLIC, what)
    check(zka.get("/brokers/ids/0")[1].ephemeralOwner != 0, "/brokers/ids/0 is not ephemeral")
    for path in ("/config/users", "/config/brokers"):
        expect_acls(zka, path, PRIVATE, "sensitive")
    expect_acls(zka, "/consumers", OPEN, "old consumers' path")
    log("broker znodes carry creator-all + world read; sensitive paths creator-all only")

    # An unauthenticated client reads but cannot write.
    anon = c.kazoo()
    data, _ = anon.get("/brokers/topics/%s" % TOPIC)
    check(b'"partitions"' in data, "anonymous read of the topic znode gave %r" % data)
    for what, op in [("set", lambda: anon.set("/brokers/topics/%s" % TOPIC, b"{}")),
                     ("delete", lambda: anon.delete("/brokers/topics/%s/partitions/0/state" % TOPIC)),
                     ("create below", lambda: anon.create("/brokers/topics/%s/x" % TOPIC, b"")),
                     ("read sensitive", lambda: anon.get_children("/config/users"))]:
        try:
            op()
        except NoAuthError:
            continue
        check(False, "an unauthenticated client could %s" % what)
    log("an unauthenticated client reads /brokers/topics/%s and is refused writes" % TOPIC)

    # Produce and consume.
    c.kcat("-P", "-t", TOPIC, "-p", "0", input=b"one\ntwo\nthree\n")
    recs = c.read_partition(TOPIC, 0)
    check([r[1] for r in recs] == [b"one", b"two", b"three"], "consumed %r" % recs)

    # The other --zookeeper tools with the login: secure ACLs on what they write.
    p = tool("kafka-configs.sh", ["--zookeeper", c.zk_connect, "--alter", "--entity-type", "topics",
                                  "--entity-name", TOPIC, "--add-config", "retention.ms=123456"],
             env_auth)
    check(b"Completed" in p.stdout, "kafka-configs said %r" % p.stdout)
    check(b"123456" in zka.get("/config/topics/%s" % TOPIC)[0], "topic config not written")
    expect_acls(zka, "/config/topics/%s" % TOPIC, PUBLIC, "topic config after kafka-configs")
    changes = zka.get_children("/config/changes")
    check(changes, "no config change notification")
    for ch in changes:
        expect_acls(zka, "/config/changes/" + ch, PUBLIC, "change notification")
    tool("kafka-configs.sh", ["--zookeeper", c.zk_connect, "--alter", "--entity-type", "users",
                              "--entity-name", "alice", "--add-config",
                              "SCRAM-SHA-256=[iterations=4096,password=alice-secret]"], env_auth)
    expect_acls(zka, "/config/users/alice", PRIVATE, "SCRAM credentials")
    tool("kafka-acls.sh", ["--authorizer-properties", "zookeeper.connect=" + c.zk_connect,
                           "--authorizer-properties", "zookeeper.set.acl=true", "--add",
                           "--allow-principal", "User:alice", "--operation", "Read",
                           "--topic", TOPIC], env_auth)
    expect_acls(zka, "/kafka-acl/Topic/%s" % TOPIC, PUBLIC, "kafka-acls")
    log("kafka-configs and kafka-acls write with the secure ACLs")

    # The admin znodes the tools write are taken and deleted by the
    # controller: it can, as the same identity.
    p = tool("kafka-preferred-replica-election.sh", ["--zookeeper", c.zk_connect], env_auth)
    check(b"Successfully started preferred replica election" in p.stdout,
          "kafka-preferred-replica-election said %r" % p.stdout)
    wait_until(lambda: zka.exists("/admin/preferred_replica_election") is None, 30,
               "the controller to consume /admin/preferred_replica_election")
    plan = os.path.join(c.root, "reassign.json")
    with open(plan, "w") as f:
        f.write('{"version":1,"partitions":[{"topic":"%s","partition":0,"replicas":[0]}]}' % TOPIC)
    # (Creating it below /admin needs the login: the tool succeeding shows it.)
    tool("kafka-reassign-partitions.sh", ["--zookeeper", c.zk_connect, "--execute",
                                          "--reassignment-json-file", plan], env_auth)
    try:
        expect_acls(zka, "/admin/reassign_partitions", PUBLIC, "reassignment")
        zka.delete("/admin/reassign_partitions")
    except NoNodeError:
        pass  # the controller already completed this no-op move
    log("preferred election and reassignment through secured znodes")

    # Without the login the tools fail cleanly and write nothing.
    p = tool("kafka-topics.sh", ["--zookeeper", c.zk_connect, "--create", "--topic", "zkacl-anon",
                                 "--partitions", "1", "--replication-factor", "1"], env_none,
             check_rc=False)
    check(p.returncode > 0, "kafka-topics without login: rc %d" % p.returncode)
    check(b"Created topic" not in p.stdout, "kafka-topics without login said %r" % p.stdout)
    check(b"not authenticated" in p.stderr, "kafka-topics did not name the problem: %r" % p.stderr)
    check(zka.exists("/brokers/topics/zkacl-anon") is None, "topic created without login")
    p = tool("kafka-configs.sh", ["--zookeeper", c.zk_connect, "--alter", "--entity-type", "topics",
                                  "--entity-name", TOPIC, "--add-config", "retention.ms=999"],
             env_none, check_rc=False)
    check(p.returncode > 0, "kafka-configs without login: rc %d" % p.returncode)
    check(b"not authenticated" in p.stderr, "kafka-configs did not name the problem: %r" % p.stderr)
    check(b"999" not in zka.get("/config/topics/%s" % TOPIC)[0], "config changed without login")
    p = tool("kafka-acls.sh", ["--authorizer-properties", "zookeeper.connect=" + c.zk_connect,
                               "--authorizer-properties", "zookeeper.set.acl=true", "--add",
                               "--allow-principal", "User:bob", "--operation", "Read",
                               "--topic", TOPIC], env_none, check_rc=False)
    check(p.returncode > 0, "kafka-acls with set.acl and no login: rc %d" % p.returncode)
    check(b"zookeeper.set.acl is true" in p.stdout + p.stderr,
          "kafka-acls did not name the problem: %r" % (p.stdout + p.stderr))
    log("the tools without the login fail and write nothing")

    # A new session after expiry logs in again: the ephemerals come back
    # with the secure ACLs (an unauthenticated create with them would fail).
    owner = zka.exists("/brokers/ids/0").ephemeralOwner
    b.pause()
    try:
        wait_until(lambda: zka.exists("/brokers/ids/0") is None, SESSION_MS / 1000.0 + 30,
                   "/brokers/ids/0 to vanish while the broker is stopped")
    finally:
        b.resume()
    st = wait_until(lambda: zka.exists("/brokers/ids/0"), 60, "/brokers/ids/0 after expiry")
    check(st.ephemeralOwner != owner, "re-registration kept the expired session")
    expect_acls(zka, "/brokers/ids/0", PUBLIC, "re-registration after session expiry")
    wait_until(lambda: zka.exists("/controller"), 60, "/controller after session expiry")
    expect_acls(zka, "/controller", PUBLIC, "controller after session expiry")
    check(b.alive(), "broker died after its ZooKeeper session expired")
    log("after session expiry the broker logs in again and re-registers with the secure ACLs")

    # zookeeper-security-migration.sh: unsecure, then secure again.
    mig = ["--zookeeper.connect=" + c.zk_connect]
    p = tool("zookeeper-security-migration.sh", mig + ["--zookeeper.acl=unsecure"], env_none,
             check_rc=False)
    check(p.returncode == 1 and b"No JAAS configuration file has been specified" in p.stderr,
          "migration without login: rc %d %r" % (p.returncode, p.stderr))
    p = tool("zookeeper-security-migration.sh", mig + ["--zookeeper.acl=maybe"], env_auth,
             check_rc=False)
    check(p.returncode == 1, "migration with a bad --zookeeper.acl: rc %d" % p.returncode)
    checked = [("/brokers/topics/%s" % TOPIC, PUBLIC), ("/brokers/topics/%s/partitions/0/state" % TOPIC, PUBLIC),
               ("/config/users/alice", PRIVATE), ("/config/users", PRIVATE),
               ("/kafka-acl/Topic/%s" % TOPIC, PUBLIC), ("/brokers/ids/0", PUBLIC),
               ("/controller", PUBLIC)]
    tool("zookeeper-security-migration.sh", mig + ["--zookeeper.acl", "unsecure"], env_auth)
    for path, _ in checked:
        expect_acls(zka, path, OPEN, "after --zookeeper.acl=unsecure")
    expect_acls(zkr, CHROOT, OPEN, "chroot after --zookeeper.acl=unsecure")
    anon.create("/brokers/topics/%s/anon" % TOPIC, b"")
    anon.delete("/brokers/topics/%s/anon" % TOPIC)
    tool("zookeeper-security-migration.sh", mig + ["--zookeeper.acl=secure", "--enable.path.check"],
         env_auth)
    for path, want in checked:
        expect_acls(zka, path, want, "after --zookeeper.acl=secure")
    expect_acls(zkr, CHROOT, PUBLIC, "chroot after --zookeeper.acl=secure")
    try:
        anon.create("/brokers/topics/%s/anon" % TOPIC, b"")
        check(False, "an unauthenticated client could write after --zookeeper.acl=secure")
    except NoAuthError:
        pass
    # The broker still works with the ACLs it did not create itself.
    c.kcat("-P", "-t", TOPIC, "-p", "0", input=b"four\n")
    check([r[1] for r in c.read_partition(TOPIC, 0)][-1] == b"four", "no record after migration")
    log("zookeeper-security-migration.sh opens and re-secures Kafka's znodes")


harness.main(test, brokers=0, chroot=CHROOT)
