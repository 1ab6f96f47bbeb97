#!/usr/bin/python3
"""IP client-quota entities (KIP-612) through the Admin API and kafka-configs.sh, and the
client-quota series on the Prometheus endpoint, on one broker:

- AlterClientQuotas (raw v0 frames: confluent-kafka 1.7 has no alter_client_quotas) sets
  connection_creation_rate=1 for ip 127.0.0.2 and 500 for the default ip: Kafka's znodes
  /config/ips/127.0.0.2 and /config/ips/<default> and their "ips/..." notifications; the
  broker applies them at run time, so of six connections opened at once from 127.0.0.2 some
  are throttled (closed unanswered, "Throttled connection" logged) while 127.0.0.1, under the
  default rate's burst, is answered.
- DescribeClientQuotas with ip filters as Kafka's ZkAdminManager answers them: exact, default
  (null name), any (the default included), no component non-strict (ips with the rest),
  strict (nothing), an ip component with a user or client-id one, a duplicate ip component.
- Kafka's errors for ip alterations: ip with user, an unresolvable name, a key other than
  connection_creation_rate, a non-INT value, a 30000-byte name; validate_only writes nothing.
- kafka-configs.sh --entity-type ips with --zookeeper and --bootstrap-server: Kafka's output
  lines and errors; the quota is lifted with --delete-config and 127.0.0.2 connects freely.
- a producer over its producer_byte_rate shows kafka_server_quota_byte_rate and
  kafka_server_quota_throttle_time series for its client id on /metrics.
"""
import json
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import saslutil as su  # noqa: E402
from harness import check, log, run, wait_until  # noqa: E402
from produceutil import Conn, record_batch  # noqa: E402
from quotautil import alter, describe  # noqa: E402

INVALID_REQUEST = 42
TOPIC = "ipq"


def configs(c, mode, *args, check_rc=True):
    target = c.zk_connect if mode == "--zookeeper" else c.brokers[0].bootstrap
    p = run([os.path.join(harness.BIN, "kafka-configs.sh"), mode, target] + list(args),
            timeout=60, check_rc=check_rc, what="kafka-configs.sh " + " ".join(args))
    return p.returncode, p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")


def applied(b, path, count):
    line = "Processing override for entityPath: %s" % path
    wait_until(lambda: b.log_text().count(line) >= count, 30,
               "the broker to apply %s (%d)" % (path, count))


def api_versions_answered(socks):
    """Sends ApiVersions v0 on each socket; which were answered (a throttled connection is
    closed by the broker without being read, so the close may come as a reset)."""
    out = []
    for i, s in enumerate(socks):
        try:
            s.sendall(su.frame(18, 0, 100 + i, b""))
        except OSError:
            pass
    for s in socks:
        try:
            out.append(su.recv_frame(s, timeout=60) is not None)
        except (ConnectionResetError, BrokenPipeError):
            out.append(False)
    return out


def connect_from(src, port, n):
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        socks.append(s)
    return socks


def admin_api(c, b):
    zk = c.kazoo()
    port = b.port
    check(alter(port, [("ip", "127.0.0.2")], [("connection_creation_rate", 1.0, 0)]) == (0, None),
          "AlterClientQuotas ip 127.0.0.2")
    check(alter(port, [("ip", None)], [("connection_creation_rate", 500.0, 0)]) == (0, None),
          "AlterClientQuotas default ip")
    check(alter(port, [("client-id", "produceutil")], [("producer_byte_rate", 1024.0, 0)]) ==
          (0, None), "AlterClientQuotas client-id")
    data, _ = zk.get("/config/ips/127.0.0.2")
    check(json.loads(data) == {"version": 1, "config": {"connection_creation_rate": "1"}},
          "/config/ips/127.0.0.2 holds %r" % data)
    data, _ = zk.get("/config/ips/<default>")
    check(json.loads(data)["config"] == {"connection_creation_rate": "500"}, "default ip znode")
    paths = set()
    for kid in zk.get_children("/config/changes"):
        paths.add(json.loads(zk.get("/config/changes/" + kid)[0])["entity_path"])
    check({"ips/127.0.0.2", "ips/<default>"} <= paths, "notifications: %s" % sorted(paths))
    applied(b, "ips/127.0.0.2", 1)
    applied(b, "ips/<default>", 1)
    applied(b, "clients/produceutil", 1)

    ip2 = (("ip", "127.0.0.2"),)
    dflt = (("ip", None),)
    client = (("client-id", "produceutil"),)
    rate = "connection_creation_rate"
    for comps, strict, want in (
            ([("ip", 0, "127.0.0.2")], True, {ip2: {rate: 1.0}}),
            ([("ip", 1, None)], True, {dflt: {rate: 500.0}}),
            ([("ip", 2, None)], True, {ip2: {rate: 1.0}, dflt: {rate: 500.0}}),
            ([("ip", 2, None)], False, {ip2: {rate: 1.0}, dflt: {rate: 500.0}}),
            ([("ip", 0, "127.0.0.9")], True, {}),
            ([], False, {ip2: {rate: 1.0}, dflt: {rate: 500.0},
                         client: {"producer_byte_rate": 1024.0}}),
            ([], True, {}),
            ([("client-id", 2, None)], False, {client: {"producer_byte_rate": 1024.0}})):
        got = describe(port, comps, strict)
        check(got == (0, None, want), "DescribeClientQuotas %s strict=%s: %s, want %s" %
              (comps, strict, got, want))
    for comps, msg in (
            ([("client-id", 2, None), ("ip", 0, "127.0.0.2")],
             "Invalid entity filter component combination, IP filter component should not be "
             "used with user or clientId filter component."),
            ([("ip", 2, None), ("ip", 1, None)], "Duplicate ip filter component entity type")):
        got = describe(port, comps, True)
        check(got == (INVALID_REQUEST, msg, None), "DescribeClientQuotas %s: %s" % (comps, got))
    for entity, ops, want in (
            ([("ip", "127.0.0.2"), ("user", "u")], [(rate, 1.0, 0)],
             "Invalid quota entity combination, IP entity should not be used with user/client "
             "ID entity."),
            ([("ip", "no such host")], [(rate, 1.0, 0)],
             "no%20such%20host is not a valid IP or resolvable host."),
            ([("ip", "127.0.0.4")], [("producer_byte_rate", 1.0, 0)],
             "Invalid configuration key producer_byte_rate"),
            ([("ip", "127.0.0.4")], [(rate, 2.5, 0)],
             "Configuration connection_creation_rate must be a INT value"),
            ([("ip", "")], [(rate, 1.0, 0)], "Empty ip not supported"),
            # Kafka 2.8 checks the sanitized name, which an IPv6 address is not
            ([("ip", "::1")], [(rate, 1.0, 0)], "%3A%3A1 is not a valid IP or resolvable host.")):
        got = alter(port, entity, ops, validate_only=True)
        check(got == (INVALID_REQUEST, want), "AlterClientQuotas %s %s: %s" % (entity, ops, got))
    check(alter(port, [("ip", "127.0.0.4")], [(rate, 3.0, 0)], validate_only=True) == (0, None),
          "validate_only ip alteration")
    # hostile sizes: a long name is looked up (nothing there) or refused without a lookup
    long_name = "a" * 30000
    check(describe(port, [("ip", 0, long_name)], True) == (0, None, {}), "long exact ip filter")
    err, msg = alter(port, [("ip", long_name)], [(rate, 3.0, 0)])
    check(err == INVALID_REQUEST and msg.endswith("is not a valid IP or resolvable host."),
          "long ip name: %s %.80s" % (err, msg))
    check(not zk.exists("/config/ips/127.0.0.4"), "validate_only wrote /config/ips/127.0.0.4")


def throttling(b):
    """127.0.0.2 may open one connection a second: most of six opened at once are throttled;
    127.0.0.1 (the default's 500) is not."""
    before = b.log_text().count("Throttled connection from 127.0.0.2")
    socks = connect_from("127.0.0.2", b.port, 6)
    local = connect_from("127.0.0.1", b.port, 3)
    try:
        got = api_versions_answered(socks)
        check(not all(got), "no connection from 127.0.0.2 was throttled: %s" % got)
        check(all(api_versions_answered(local)), "a connection from 127.0.0.1 was throttled")
    finally:
        for s in socks + local:
            s.close()
    check(b.log_text().count("Throttled connection from 127.0.0.2") > before,
          "no throttled connection logged for 127.0.0.2")
    return len(got) - sum(got)


def tool(c, b):
    zk = c.kazoo()
    rc, out = configs(c, "--zookeeper", "--alter", "--entity-type", "ips", "--entity-name",
                      "127.0.0.3", "--add-config", "connection_creation_rate=7")
    check("Completed updating config for entity: ips '127.0.0.3'." in out, out)
    check(json.loads(zk.get("/config/ips/127.0.0.3")[0])["config"] ==
          {"connection_creation_rate": "7"}, "zk-mode znode")
    applied(b, "ips/127.0.0.3", 1)
    rc, out = configs(c, "--zookeeper", "--describe", "--ip", "127.0.0.3")
    check(out.strip() == "Configs for ips '127.0.0.3' are connection_creation_rate=7", out)
    # --zookeeper writes an IPv6 address as given, and the broker applies it
    rc, out = configs(c, "--zookeeper", "--alter", "--entity-type", "ips", "--entity-name", "::1",
                      "--add-config", "connection_creation_rate=9")
    check("Completed updating config for entity: ips '::1'." in out, out)
    applied(b, "ips/::1", 1)
    rc, out = configs(c, "--zookeeper", "--describe", "--entity-type", "ips")
    for line in ("Configs for ips '127.0.0.2' are connection_creation_rate=1",
                 "Configs for default ips are connection_creation_rate=500"):
        check(line in out.splitlines(), "%r not in %r" % (line, out))
    rc, out = configs(c, "--zookeeper", "--alter", "--entity-type", "ips", "--entity-name",
                      "127.0.0.3", "--add-config", "producer_byte_rate=7", check_rc=False)
    check(rc == 1 and "Unknown Dynamic Configuration" in out, "zk-mode bad key: %s" % out)
    rc, out = configs(c, "--bootstrap-server", "--describe", "--entity-type", "ips",
                      "--entity-name", "127.0.0.2")
    check(out.strip() == "Quota configs for ip '127.0.0.2' are connection_creation_rate=1.0", out)
    rc, out = configs(c, "--bootstrap-server", "--describe", "--entity-type", "ips")
    for line in ("Quota configs for ip '127.0.0.2' are connection_creation_rate=1.0",
                 "Quota configs for ip '127.0.0.3' are connection_creation_rate=7.0",
                 "Quota configs for the default ip are connection_creation_rate=500.0"):
        check(line in out.splitlines(), "%r not in %r" % (line, out))
    rc, out = configs(c, "--bootstrap-server", "--alter", "--ip-defaults",
                      "--add-config", "connection_creation_rate=600")
    check(out.strip() == "Completed updating default config for ips in the cluster.", out)
    applied(b, "ips/<default>", 2)
    rc, out = configs(c, "--bootstrap-server", "--alter", "--entity-type", "ips",
                      "--entity-name", "127.0.0.2", "--add-config", "producer_byte_rate=5",
                      check_rc=False)
    check(rc == 1 and "Only connection quota configs can be added for 'ips' using "
          "--bootstrap-server. Unexpected config names: producer_byte_rate" in out, out)
    rc, out = configs(c, "--bootstrap-server", "--alter", "--entity-type", "ips",
                      "--entity-name", "bad name", "--add-config", "connection_creation_rate=5",
                      check_rc=False)
    check(rc == 1 and "The entity name for ips must be a valid IP or resolvable host, but it is: "
          "bad name" in out, out)
    rc, out = configs(c, "--bootstrap-server", "--alter", "--entity-type", "ips",
                      "--entity-name", "127.0.0.9", "--delete-config", "connection_creation_rate",
                      check_rc=False)
    check(rc == 1 and "Invalid config(s): connection_creation_rate" in out, out)
    # lifting the quota of 127.0.0.2: it falls back to the default's 600 a second
    rc, out = configs(c, "--bootstrap-server", "--alter", "--entity-type", "ips",
                      "--entity-name", "127.0.0.2", "--delete-config", "connection_creation_rate")
    check(out.strip() == "Completed updating config for ip 127.0.0.2.", out)
    applied(b, "ips/127.0.0.2", 2)
    rc, out = configs(c, "--bootstrap-server", "--describe", "--entity-type", "ips",
                      "--entity-name", "127.0.0.2")
    check(out.strip() == "", "127.0.0.2 still described: %r" % out)
    socks = connect_from("127.0.0.2", b.port, 3)
    try:
        check(all(api_versions_answered(socks)), "127.0.0.2 throttled after its quota was lifted")
    finally:
        for s in socks:
            s.close()


def metrics(c, b):
    """produceutil's producer_byte_rate is 1024: 16 KiB in one request is over what ten
    windows allow, so the answer is throttled and the series show it."""
    c.create_topic(TOPIC, partitions=1, rf=1)
    c.wait_for_leaders(TOPIC, 1)
    conn = Conn(b.port)
    try:
        err, _ = conn.produce(TOPIC, 0, record_batch([b"m" * 4096] * 4), acks=1)
        check(err == 0, "produce answered %d" % err)
    finally:
        conn.close()
    text, m = b.scrape_metrics()
    rate = m.get('kafka_server_quota_byte_rate{resource="Produce",clientId="produceutil"}')
    thr = m.get('kafka_server_quota_throttle_time{resource="Produce",clientId="produceutil"}')
    check(rate is not None and rate > 0, "no byte-rate series for produceutil:\n%s" %
          "\n".join(x for x in text.splitlines() if "quota" in x))
    check(thr is not None and thr > 0, "no throttle-time series for produceutil: %s" % thr)
    check("# TYPE kafka_server_quota_byte_rate gauge" in text, "byte_rate family type")
    log("produceutil: byte-rate %.1f B/s, throttle-time %.0f ms" % (rate, thr))


def test(c):
    b = c.brokers[0]
    admin_api(c, b)
    n = throttling(b)
    log("%d of 6 connections from 127.0.0.2 throttled" % n)
    tool(c, b)
    metrics(c, b)


harness.main(test, brokers=1, broker_props={"metrics.listener": "http://127.0.0.1:0"})
