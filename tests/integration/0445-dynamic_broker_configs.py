#!/usr/bin/python3
"""Proves dynamic broker configs on a two-broker cluster: kafka-configs.sh --entity-type brokers --entity-default --alter --add-config log.retention.ms=... writes Kafka's /config/brokers/<default> znode and change notification and every broker applies it without a restart (old segments deleted), a per-broker value (/config/brokers/<id>) wins over the default until it is deleted, num.io.threads resizes the request handler pool live (the req-handler-N threads in /proc/<pid>/task) while the broker keeps serving, log.cleaner.threads restarts the cleaner with the new count, num.replica.fetchers moves partitions to new fetcher threads, a read-only key and a thread count beyond double are refused with Kafka's messages, max.connections.per.ip changes at run time, validate_only changes nothing, IncrementalAlterConfigs SET/DELETE/APPEND/SUBTRACT work on BROKER resources, kafka-configs.sh --zookeeper refuses dynamic broker configs for running brokers and encodes passwords when bootstrapping, DescribeConfigs reports DYNAMIC_BROKER_CONFIG / DYNAMIC_DEFAULT_BROKER_CONFIG / STATIC_BROKER_CONFIG / DEFAULT_CONFIG sources, synonyms and read_only flags (confluent-kafka's AdminClient), and a restarted broker reads its dynamic configs at start-up."""
import glob
import json
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import BIN, check, log, run, wait_until  # noqa: E402

TOPIC = "dyn"
FETCH = "fetch"   # 6 partitions on both brokers, for the fetcher threads
TOPIC1 = "dyn1"   # on broker 1 only: its retention is broker 1's alone
# Small segments so that a few hundred records make several; retention runs
# every second so that a change shows quickly.
PROPS = {"log.segment.bytes": "2048", "log.retention.check.interval.ms": "500",
         "log.segment.delete.delay.ms": "0", "num.io.threads": "4",
         "log.retention.hours": "100", "offsets.topic.replication.factor": "2"}


def configs(c, *args, check_rc=True):
    p = run([os.path.join(BIN, "kafka-configs.sh"), "--bootstrap-server", c.bootstrap] + list(args),
            check_rc=check_rc, what="kafka-configs.sh " + " ".join(args))
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def brokers_alter(c, entity, *args, check_rc=True):
    ent = ["--entity-default"] if entity is None else ["--entity-name", str(entity)]
    return configs(c, "--entity-type", "brokers", *ent, "--alter", *args, check_rc=check_rc)


def segments(b, topic=TOPIC):
    return sorted(glob.glob(os.path.join(b.data_dir, topic + "-0", "*.log")))


def handlers(b):
    return b.threads("req-handler-")


def produce(c, n, tag, topic=TOPIC):
    from confluent_kafka import Producer
    prod = Producer({"bootstrap.servers": c.bootstrap, "acks": "all", "linger.ms": 0,
                     "batch.num.messages": 1})
    errs = []
    for i in range(n):
        prod.produce(topic, value=("%s-%04d-" % (tag, i)).encode() + b"x" * 100,
                     on_delivery=lambda err, m: errs.append(err))
        prod.poll(0)
    prod.flush(30)
    check(len(errs) == n and not any(errs), "produce %s: %d reports, errors %r" %
          (tag, len(errs), [e for e in errs if e][:3]))


def consume_all(c):
    p = c.kcat("-C", "-t", TOPIC, "-o", "beginning", "-e", "-q", "-f", "%s\n")
    return p.stdout.decode().splitlines()


def describe(c, name):
    from confluent_kafka.admin import AdminClient, ConfigResource
    a = AdminClient({"bootstrap.servers": c.bootstrap})
    r = ConfigResource("broker", name)
    return a.describe_configs([r])[r].result(15)


def test_default_retention(c, zk):
    from confluent_kafka.admin import ConfigSource
    b0, b1 = c.brokers
    produce(c, 200, "a")
    produce(c, 200, "a", TOPIC1)
    for b in c.brokers:
        wait_until(lambda: len(segments(b)) >= 4, 30, "broker %d to hold several segments" % b.id)
    check(len(segments(b1, TOPIC1)) >= 4, "broker 1 holds %d segments of %s" % (len(segments(b1, TOPIC1)), TOPIC1))
    # broker 1 keeps a day of data whatever the default says
    rc, out, err = brokers_alter(c, 1, "--add-config", "log.retention.ms=86400000")
    check(out == "Completed updating config for broker 1.\n", "per-broker alter said %r %r" % (out, err))
    data, _ = zk.get("/config/brokers/1")
    check(json.loads(data) == {"version": 1, "config": {"log.retention.ms": "86400000"}},
          "/config/brokers/1 is %r" % data)
    wait_until(lambda: describe(c, "1")["log.retention.ms"].value == "86400000", 30,
               "broker 1 to apply its per-broker log.retention.ms")
    n1 = len(segments(b1, TOPIC1))

    rc, out, err = brokers_alter(c, None, "--add-config", "log.retention.ms=1000")
    check(out == "Completed updating default config for brokers in the cluster.\n",
          "default alter said %r %r" % (out, err))
    data, _ = zk.get("/config/brokers/<default>")
    check(json.loads(data) == {"version": 1, "config": {"log.retention.ms": "1000"}},
          "/config/brokers/<default> is %r" % data)
    changes = sorted(zk.get_children("/config/changes"))
    data, _ = zk.get("/config/changes/" + changes[-1])
    check(json.loads(data) == {"version": 2, "entity_path": "brokers/<default>"},
          "last notification is %r" % data)
    wait_until(lambda: len(segments(b0)) == 1, 60, "broker 0 to delete its old segments")
    log("--entity-default log.retention.ms=1000: broker 0 deleted its old segments without a restart")

    # sources as Kafka reports them, once broker 1 applied the default too
    wait_until(lambda: "DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=1000" in
               configs(c, "--entity-type", "brokers", "--entity-name", "1", "--describe")[1], 30,
               "broker 1 to apply the default log.retention.ms")
    d0, d1 = describe(c, "0"), describe(c, "1")
    e = d0["log.retention.ms"]
    check(e.value == "1000" and e.source == ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG.value and
          not e.is_read_only, "broker 0 log.retention.ms: %r" % e)
    e = d1["log.retention.ms"]
    check(e.value == "86400000" and e.source == ConfigSource.DYNAMIC_BROKER_CONFIG.value,
          "broker 1 log.retention.ms: %r" % e)
    # confluent-kafka keys synonyms by name; the tool below prints the chain
    check(set(e.synonyms) == {"log.retention.ms", "log.retention.hours"},
          "broker 1 log.retention.ms synonyms: %r" % e.synonyms)
    e = d0["log.retention.hours"]
    check(e.value == "100" and e.source == ConfigSource.STATIC_BROKER_CONFIG.value and e.is_read_only,
          "log.retention.hours: %r" % e)
    e = d0["replica.fetch.max.bytes"]
    check(e.source == ConfigSource.DEFAULT_CONFIG.value and e.is_read_only,
          "replica.fetch.max.bytes: %r" % e)
    e = d0["num.io.threads"]
    check(e.value == "4" and e.source == ConfigSource.STATIC_BROKER_CONFIG.value and not e.is_read_only,
          "num.io.threads: %r" % e)
    # the default entity lists only its own keys, without per-broker synonyms
    rc, out, err = configs(c, "--entity-type", "brokers", "--entity-default", "--describe")
    check(out == "Default configs for brokers in the cluster are:\n  log.retention.ms=1000 sensitive=false "
          "synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=1000, "
          "STATIC_BROKER_CONFIG:log.retention.hours=100, DEFAULT_CONFIG:log.retention.hours=168}\n",
          "--entity-default --describe printed %r" % out)
    rc, out, err = configs(c, "--entity-type", "brokers", "--entity-name", "1", "--describe")
    check(out.startswith("Dynamic configs for broker 1 are:\n  log.retention.ms=86400000 sensitive=false "
                         "synonyms={DYNAMIC_BROKER_CONFIG:log.retention.ms=86400000, "
                         "DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=1000, "
                         "STATIC_BROKER_CONFIG:log.retention.hours=100, "
                         "DEFAULT_CONFIG:log.retention.hours=168}"),
          "broker 1 --describe printed %r" % out)
    check(len(segments(b1, TOPIC1)) >= n1, "broker 1 lost segments while its own retention is a day")
    log("DescribeConfigs sources, synonyms and read_only flags are Kafka's")

    # deleting the per-broker value lets the default apply on broker 1 too
    rc, out, err = brokers_alter(c, 1, "--delete-config", "log.retention.ms")
    check(out == "Completed updating config for broker 1.\n", "per-broker delete said %r %r" % (out, err))
    wait_until(lambda: len(segments(b1, TOPIC1)) == 1, 60, "broker 1 to delete its old segments")
    log("a per-broker value wins over the default until it is deleted")
    # the data of the tests below must stay
    rc, out, err = brokers_alter(c, None, "--delete-config", "log.retention.ms")
    check(rc == 0, "deleting the default log.retention.ms: %r" % err)
    for b in c.brokers:
        wait_until(lambda: describe(c, str(b.id))["log.retention.ms"].value is None, 30,
                   "broker %d to drop the default log.retention.ms" % b.id)


def test_handler_pool(c):
    b0, b1 = c.brokers
    check(handlers(b0) == 4 and handlers(b1) == 4, "start: %d/%d handlers" % (handlers(b0), handlers(b1)))
    rc, out, err = brokers_alter(c, None, "--add-config", "num.io.threads=8")
    check(rc == 0, "num.io.threads=8: %r" % err)
    for b in c.brokers:
        wait_until(lambda: handlers(b) == 8, 30, "broker %d to run 8 handlers" % b.id)
    produce(c, 20, "b")
    rc, out, err = brokers_alter(c, 0, "--add-config", "num.io.threads=5")
    check(rc == 0, "num.io.threads=5 on broker 0: %r" % err)
    wait_until(lambda: handlers(b0) == 5, 30, "broker 0 to run 5 handlers")
    check(handlers(b1) == 8, "broker 1 followed broker 0's own value: %d" % handlers(b1))
    produce(c, 20, "c")
    got = consume_all(c)
    check(sum(1 for v in got if v.startswith(("b-", "c-"))) == 40,
          "consumed %d of the 40 records produced after the resizes" % len(got))
    rc, out, err = brokers_alter(c, 0, "--add-config", "num.io.threads=11", check_rc=False)
    check(rc == 1 and "InvalidRequestException: Invalid config value for resource ConfigResource(type=BROKER, "
          "name='0'): Dynamic thread count update validation failed for num.io.threads=11, value should "
          "not be greater than double the current value 5" in err, "num.io.threads=11: rc %d %r" % (rc, err))
    check(handlers(b0) == 5, "a refused resize changed the pool")
    log("num.io.threads resizes the handler pool live (4 -> 8 -> 5), brokers keep serving")
    check(b0.threads("log-cleaner-") == 1, "%d log cleaner threads" % b0.threads("log-cleaner-"))
    rc, out, err = brokers_alter(c, None, "--add-config", "log.cleaner.threads=2,log.cleaner.backoff.ms=1000")
    check(rc == 0, "log.cleaner.threads=2: %r" % err)
    for b in c.brokers:
        wait_until(lambda: b.threads("log-cleaner-") == 2, 30, "broker %d to run 2 cleaner threads" % b.id)
    rc, out, err = brokers_alter(c, None, "--delete-config", "log.cleaner.threads,log.cleaner.backoff.ms")
    check(rc == 0, "deleting log.cleaner.threads: %r" % err)
    for b in c.brokers:
        wait_until(lambda: b.threads("log-cleaner-") == 1, 30, "broker %d to run 1 cleaner thread" % b.id)
    log("log.cleaner.threads restarts the cleaner with 2 threads, then 1 again")

    # num.replica.fetchers: partitions move to their new fetcher threads
    check(sum(b.threads("fetcher-1-") for b in c.brokers) == 0, "a second fetcher thread before the change")
    rc, out, err = brokers_alter(c, None, "--add-config", "num.replica.fetchers=2")
    check(rc == 0, "num.replica.fetchers=2: %r" % err)
    wait_until(lambda: sum(b.threads("fetcher-1-") for b in c.brokers) >= 1, 30,
               "a broker to start fetcher thread 1")
    for b in c.brokers:
        wait_until(lambda: describe(c, str(b.id))["num.replica.fetchers"].value == "2", 30,
                   "broker %d to apply num.replica.fetchers=2" % b.id)
    produce(c, 60, "f", FETCH)
    p = c.kcat("-C", "-t", FETCH, "-o", "beginning", "-e", "-q", "-f", "%s\n")
    check(len(p.stdout.decode().splitlines()) == 60, "consumed %d of 60 from %s after the resize" %
          (len(p.stdout.decode().splitlines()), FETCH))
    rc, out, err = brokers_alter(c, None, "--add-config", "num.replica.fetchers=5", check_rc=False)
    check(rc == 1 and "value should not be greater than double the current value 2" in err,
          "num.replica.fetchers=5: rc %d %r" % (rc, err))
    log("num.replica.fetchers=2 moves partitions to a second fetcher thread; acks=all produce still works")


def api_versions_ok(port):
    """One ApiVersions v0 round trip on a new connection."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            body = struct.pack(">hhih", 18, 0, 7, 4) + b"test"
            s.sendall(struct.pack(">i", len(body)) + body)
            hdr = s.recv(8)
            return len(hdr) == 8 and struct.unpack(">ii", hdr)[1] == 7
    except OSError:
        return False


def closed_by_peer(s):
    s.setblocking(False)             # a socket timeout would make recv wait first
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def test_connections(c):
    b0 = c.brokers[0]
    rc, out, err = brokers_alter(c, 0, "--add-config", "max.connections.per.ip=20")
    check(rc == 0, "max.connections.per.ip=20: %r" % err)
    wait_until(lambda: "max.connections.per.ip=20," in b0.log_text(), 30,
               "broker 0 to apply max.connections.per.ip=20")
    socks = [socket.create_connection(("127.0.0.1", b0.port), timeout=10) for _ in range(40)]
    try:
        # at most 20 from 127.0.0.1 stay open, counting the brokers' own
        wait_until(lambda: sum(closed_by_peer(s) for s in socks) >= 20, 30,
                   "broker 0 to refuse the connections over max.connections.per.ip")
    finally:
        for s in socks:
            s.close()
    # the closes give the address its slots back
    wait_until(lambda: api_versions_ok(b0.port), 30, "broker 0 to accept a connection again")
    rc, out, err = brokers_alter(c, 0, "--delete-config", "max.connections.per.ip")
    check(rc == 0, "deleting max.connections.per.ip: %r" % err)
    wait_until(lambda: "max.connections.per.ip=2147483647," in b0.log_text(), 30,
               "broker 0 to lift max.connections.per.ip")
    socks = [socket.create_connection(("127.0.0.1", b0.port), timeout=10) for _ in range(40)]
    try:
        check(api_versions_ok(b0.port), "broker 0 refuses a connection after the limit was lifted")
        check(not any(closed_by_peer(s) for s in socks), "a connection was closed after the limit was lifted")
    finally:
        for s in socks:
            s.close()
    log("max.connections.per.ip changes at run time (20 refuses the 40-connection burst, deleting it lifts it)")


def kstr(v):
    if v is None:
        return struct.pack(">h", -1)
    return struct.pack(">h", len(v)) + v.encode()


def incremental_alter(port, name, ops, validate_only=False):
    """IncrementalAlterConfigs v0 on BROKER resource name; ops are
    (key, op, value) with op 0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT. Returns
    (error_code, error_message)."""
    body = struct.pack(">hhi", 44, 0, 11) + kstr("test")
    body += struct.pack(">ib", 1, 4) + kstr(name) + struct.pack(">i", len(ops))
    for k, op, v in ops:
        body += kstr(k) + struct.pack(">b", op) + kstr(v)
    body += struct.pack(">b", 1 if validate_only else 0)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(struct.pack(">i", len(body)) + body)
        buf = b""
        while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
            chunk = s.recv(65536)
            check(chunk, "connection closed before the IncrementalAlterConfigs response")
            buf += chunk
    pos = 4 + 4 + 4                                  # size, correlation id, throttle
    (n,) = struct.unpack(">i", buf[pos:pos + 4])
    check(n == 1, "IncrementalAlterConfigs answered %d resources" % n)
    code, mlen = struct.unpack(">hh", buf[pos + 4:pos + 8])
    msg = None if mlen < 0 else buf[pos + 8:pos + 8 + mlen].decode()
    return code, msg


def dyn_znode(zk, entity):
    data, _ = zk.get("/config/brokers/%s" % entity)
    return json.loads(data)["config"]


def test_incremental(c, zk):
    b0 = c.brokers[0]
    before = dyn_znode(zk, "0")
    code, msg = incremental_alter(b0.port, "0", [("log.retention.bytes", 0, "123456789"),
                                                  ("log.cleanup.policy", 2, "compact")])
    check(code == 0, "incremental SET/APPEND: %d %r" % (code, msg))
    want = dict(before, **{"log.retention.bytes": "123456789", "log.cleanup.policy": "delete,compact"})
    check(dyn_znode(zk, "0") == want, "after SET/APPEND: %r" % dyn_znode(zk, "0"))
    wait_until(lambda: describe(c, "0")["log.cleanup.policy"].value == "delete,compact", 30,
               "broker 0 to apply log.cleanup.policy=delete,compact")
    code, msg = incremental_alter(b0.port, "0", [("log.retention.bytes", 2, "1")])
    check(code == 42 and msg == "Config value append is not allowed for config key: log.retention.bytes",
          "APPEND on a long: %d %r" % (code, msg))
    code, msg = incremental_alter(b0.port, "1", [("log.retention.bytes", 0, "1")])
    check(code == 42 and msg == "Unexpected broker id, expected 0, but received 1",
          "resource of another broker: %d %r" % (code, msg))
    code, msg = incremental_alter(b0.port, "", [("socket.request.max.bytes", 0, "200000")])
    check(code == 42 and msg == "Invalid config value for resource ConfigResource(type=BROKER, name=''): "
          "Cannot update these configs dynamically: Set(socket.request.max.bytes)",
          "read-only key: %d %r" % (code, msg))
    code, msg = incremental_alter(b0.port, "0", [("log.cleanup.policy", 3, "compact"),
                                                  ("log.retention.bytes", 1, None)], validate_only=True)
    check(code == 0 and dyn_znode(zk, "0") == want, "validate_only: %d %r %r" % (code, msg, dyn_znode(zk, "0")))
    code, msg = incremental_alter(b0.port, "0", [("log.cleanup.policy", 3, "compact"),
                                                  ("log.retention.bytes", 1, None)])
    check(code == 0, "incremental SUBTRACT/DELETE: %d %r" % (code, msg))
    check(dyn_znode(zk, "0") == dict(before, **{"log.cleanup.policy": "delete"}),
          "after SUBTRACT/DELETE: %r" % dyn_znode(zk, "0"))
    code, msg = incremental_alter(b0.port, "0", [("log.cleanup.policy", 1, None)])
    check(code == 0 and dyn_znode(zk, "0") == before, "DELETE: %d %r" % (code, msg))
    log("IncrementalAlterConfigs SET/DELETE/APPEND/SUBTRACT on a BROKER resource, validate_only, "
        "Kafka's refusals")


def test_sensitive(c, zk):
    from confluent_kafka.admin import AdminClient, ConfigResource
    before = dyn_znode(zk, "0")
    a = AdminClient({"bootstrap.servers": c.bootstrap})
    r = ConfigResource("broker", "0", set_config=dict(before, **{"my.custom.key": "x"}))
    a.alter_configs([r])[r].result(15)
    check(dyn_znode(zk, "0") == dict(before, **{"my.custom.key": "x"}), "custom key: %r" % dyn_znode(zk, "0"))
    # the broker describes what it applied from the change notification
    wait_until(lambda: "my.custom.key" in describe(c, "0"), 30, "broker 0 to apply my.custom.key")
    e = describe(c, "0")["my.custom.key"]
    check(e.is_sensitive and e.value is None, "a custom key is described as %r" % e)
    rc, out, err = brokers_alter(c, 0, "--add-config", "log.retention.bytes=1000000000", check_rc=False)
    check(rc == 1 and err == "All sensitive broker config entries must be specified for --alter, missing "
          "entries: Set(my.custom.key)\n", "alter over a sensitive entry: rc %d %r" % (rc, err))
    check(dyn_znode(zk, "0") == dict(before, **{"my.custom.key": "x"}), "a refused alter wrote the znode")
    rc, out, err = brokers_alter(c, 0, "--delete-config", "my.custom.key")
    check(rc == 0 and dyn_znode(zk, "0") == before, "deleting the custom key: %r %r" % (err, dyn_znode(zk, "0")))
    log("custom broker keys are kept and hidden; kafka-configs will not drop a sensitive entry")


def zk_configs(c, *args, check_rc=True):
    p = run([os.path.join(BIN, "kafka-configs.sh"), "--zookeeper", c.zk_connect, "--entity-type", "brokers"] +
            list(args), check_rc=check_rc, what="kafka-configs.sh --zookeeper " + " ".join(args))
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def test_zookeeper(c, zk):
    info = ("Broker configuration updates using ZooKeeper are supported for bootstrapping before brokers "
            "are started to enable encrypted password configs to be stored in ZooKeeper.\n")
    rc, out, err = zk_configs(c, "--entity-name", "0", "--alter", "--add-config", "log.retention.ms=5",
                              check_rc=False)
    check(rc == 1 and err == "requirement failed: --bootstrap-server option must be specified to update broker "
          "configs Set(log.retention.ms). when broker 0 is running. " + info, "running broker: rc %d %r" % (rc, err))
    rc, out, err = zk_configs(c, "--entity-default", "--alter", "--add-config", "log.retention.ms=5",
                              check_rc=False)
    check(rc == 1 and err == "requirement failed: --bootstrap-server option must be specified to update broker "
          "configs Set(log.retention.ms). for default cluster if any broker is running. " + info,
          "default entity: rc %d %r" % (rc, err))
    # the replication throttles may change through ZooKeeper at any time
    rc, out, err = zk_configs(c, "--entity-name", "0", "--alter", "--add-config",
                              "leader.replication.throttled.rate=1000000")
    check(rc == 0 and dyn_znode(zk, "0").get("leader.replication.throttled.rate") == "1000000",
          "throttle through ZooKeeper: %r %r" % (err, dyn_znode(zk, "0")))
    zk_configs(c, "--entity-name", "0", "--alter", "--delete-config", "leader.replication.throttled.rate")
    # bootstrapping a broker that is not running: passwords are encoded
    rc, out, err = zk_configs(c, "--entity-name", "7", "--alter", "--add-config",
                              "listener.name.ssl.ssl.keystore.password=secret-pw", check_rc=False)
    check(rc == 1 and err.startswith("requirement failed: password.encoder.secret must be specified to update "
                                     "Set(listener.name.ssl.ssl.keystore.password)."), "no secret: %r" % err)
    rc, out, err = zk_configs(c, "--entity-name", "7", "--alter", "--add-config",
                              "listener.name.ssl.ssl.keystore.password=secret-pw,password.encoder.secret=enc")
    stored = dyn_znode(zk, "7")
    check(rc == 0 and set(stored) == {"listener.name.ssl.ssl.keystore.password"} and
          stored["listener.name.ssl.ssl.keystore.password"].startswith("keyFactoryAlgorithm:PBKDF2WithHmacSHA512,") and
          "secret-pw" not in stored["listener.name.ssl.ssl.keystore.password"],
          "bootstrapped password: %r %r" % (err, stored))
    log("--zookeeper: refused for running brokers (throttles excepted), passwords encoded when bootstrapping")


def test_refusals(c, zk):
    from confluent_kafka.admin import AdminClient, ConfigResource
    rc, out, err = brokers_alter(c, None, "--add-config", "log.retention.hours=1", check_rc=False)
    check(rc == 1 and "org.apache.kafka.common.errors.InvalidRequestException: Invalid config value for "
          "resource ConfigResource(type=BROKER, name=''): Cannot update these configs dynamically: "
          "Set(log.retention.hours)" in err, "read-only key: rc %d %r" % (rc, err))
    rc, out, err = brokers_alter(c, 0, "--add-config", "log.retention.bytes=abc", check_rc=False)
    check(rc == 1 and "Invalid value abc for configuration log.retention.bytes" in err,
          "bad value: rc %d %r" % (rc, err))
    before, _ = zk.get("/config/brokers/0")
    a = AdminClient({"bootstrap.servers": c.bootstrap})
    r = ConfigResource("broker", "0", set_config={"log.retention.ms": "5", "num.io.threads": "8"})
    a.alter_configs([r], validate_only=True)[r].result(15)
    after, _ = zk.get("/config/brokers/0")
    check(before == after, "validate_only wrote %r" % after)
    r = ConfigResource("broker", "1", set_config={"log.retention.ms": "5"})
    try:
        a.alter_configs([r], request_timeout=15)[r].result(15)
        fail = None
    except Exception as e:           # noqa: B902 - the client's KafkaException
        fail = e
    # the client routes a per-broker resource to that broker, which accepts it
    check(fail is None, "per-broker alter through confluent-kafka: %r" % fail)
    log("read-only keys and bad values are refused with Kafka's messages; validate_only writes nothing")


def test_restart(c):
    from confluent_kafka.admin import ConfigSource
    b1 = c.brokers[1]
    b1.restart()

    def every_broker_known():
        # An admin client asked right after the restart may get its
        # metadata from a broker the controller has not yet told of broker
        # 1's return (an empty or partial broker list), and then waits for
        # broker 1 past the describe's timeout: Kafka's brokers answer so too.
        for b in c.brokers:
            p = run([harness.KCAT, "-b", b.bootstrap, "-L", "-J", "-m", "5"], timeout=30,
                    check_rc=False, what="kcat -L")
            try:
                if p.returncode != 0 or len(json.loads(p.stdout).get("brokers", [])) != 2:
                    return False
            except ValueError:
                return False
        return True
    wait_until(every_broker_known, 30, "both brokers in each broker's metadata after the restart")
    d = describe(c, "1")
    check(d["log.retention.ms"].value == "5" and
          d["log.retention.ms"].source == ConfigSource.DYNAMIC_BROKER_CONFIG.value,
          "after restart: %r" % d["log.retention.ms"])
    check(d["num.io.threads"].value == "8" and
          d["num.io.threads"].source == ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG.value,
          "after restart: %r" % d["num.io.threads"])
    wait_until(lambda: handlers(b1) == 8, 30, "restarted broker 1 to start 8 handlers")
    log("a restarted broker starts with its dynamic configs")


def test(c):
    zk = c.kazoo()
    c.create_topic(TOPIC, partitions=1, rf=2)
    c.topics("--zookeeper", c.zk_connect, "--create", "--topic", TOPIC1, "--replica-assignment", "1")
    c.create_topic(FETCH, partitions=6, rf=2)
    c.wait_for_leaders(TOPIC1, 1)
    test_default_retention(c, zk)
    test_handler_pool(c)
    test_connections(c)
    test_refusals(c, zk)
    test_incremental(c, zk)
    test_sensitive(c, zk)
    test_zookeeper(c, zk)
    test_restart(c)


if __name__ == "__main__":
    harness.main(test, brokers=2, broker_props=PROPS)
