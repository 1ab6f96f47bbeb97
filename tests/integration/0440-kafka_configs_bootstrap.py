#!/usr/bin/python3
"""Proves the config APIs end to end: kafka-configs.sh --bootstrap-server --alter sets topic overrides through IncrementalAlterConfigs (Kafka's /config/topics znode and /config/changes notification) and the broker applies them (max.message.bytes rejects a large record, and accepts it again after --delete-config), --describe prints Kafka's lines with sources and synonyms, bad names and values are refused naming the key (INVALID_CONFIG / INVALID_REQUEST as Kafka answers them), read-only broker configs are refused, and confluent-kafka's and kafka-python's admin clients describe and alter configs."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import BIN, check, log, run, wait_until  # noqa: E402

TOPIC = "cfg"
PROPS = {"min.insync.replicas": "1", "log.retention.hours": "100"}
BIG = 5000


def configs(c, *args, check_rc=True):
    p = run([os.path.join(BIN, "kafka-configs.sh"), "--bootstrap-server", c.bootstrap] + list(args),
            check_rc=check_rc, what="kafka-configs.sh " + " ".join(args))
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def topic_configs(c, *args, check_rc=True):
    return configs(c, "--entity-type", "topics", "--entity-name", TOPIC, *args, check_rc=check_rc)


def produce(c, size):
    """Produces one record of size bytes; returns the delivery error or None."""
    from confluent_kafka import Producer
    prod = Producer({"bootstrap.servers": c.bootstrap, "retries": 0, "message.timeout.ms": 10000,
                     "enable.idempotence": False})
    res = []
    prod.produce(TOPIC, value=b"x" * size, on_delivery=lambda err, m: res.append(err))
    prod.flush(15)
    check(len(res) == 1, "no delivery report for a %d-byte record" % size)
    return res[0]


def znode_config(zk):
    data, _ = zk.get("/config/topics/%s" % TOPIC)
    doc = json.loads(data)
    check(set(doc) == {"version", "config"} and doc["version"] == 1,
          "/config/topics/%s is not Kafka's JSON: %r" % (TOPIC, data))
    return doc["config"]


def test_tool_alter(c, zk):
    from confluent_kafka import KafkaError
    rc, out, err = topic_configs(c, "--alter", "--add-config", "max.message.bytes=2000,retention.ms=86400000")
    check(out == "Completed updating config for topic %s.\n" % TOPIC, "alter said %r %r" % (out, err))
    check(znode_config(zk) == {"max.message.bytes": "2000", "retention.ms": "86400000"},
          "znode after --alter: %r" % znode_config(zk))
    changes = sorted(zk.get_children("/config/changes"))
    check(changes and changes[-1].startswith("config_change_"), "no change notification: %r" % changes)
    data, _ = zk.get("/config/changes/" + changes[-1])
    check(json.loads(data) == {"version": 2, "entity_path": "topics/%s" % TOPIC},
          "notification is %r" % data)
    e = wait_until(lambda: produce(c, BIG), 30, "max.message.bytes=2000 to be applied")
    check(e.code() == KafkaError.MSG_SIZE_TOO_LARGE, "large record refused with %r" % e)
    check(produce(c, 100) is None, "a small record is still accepted")
    log("max.message.bytes=2000 applied: a %d-byte record is refused" % BIG)


def test_tool_describe(c):
    rc, out, err = topic_configs(c, "--describe")
    want = ("Dynamic configs for topic %s are:\n"
            "  max.message.bytes=2000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:max.message.bytes=2000, DEFAULT_CONFIG:message.max.bytes=1048588}\n"
            "  retention.ms=86400000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=86400000}\n" % TOPIC)
    check(out == want, "--describe printed:\n%s\nwanted:\n%s" % (out, want))
    rc, out, err = topic_configs(c, "--describe", "--all")
    lines = out.splitlines()
    check(lines[0] == "All configs for topic %s are:" % TOPIC and len(lines) == 27,
          "--describe --all printed %d lines:\n%s" % (len(lines), out))
    for want in ["  cleanup.policy=delete sensitive=false synonyms={DEFAULT_CONFIG:log.cleanup.policy=delete}",
                 "  min.insync.replicas=1 sensitive=false synonyms={STATIC_BROKER_CONFIG:min.insync.replicas=1, DEFAULT_CONFIG:min.insync.replicas=1}",
                 "  max.message.bytes=2000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:max.message.bytes=2000, DEFAULT_CONFIG:message.max.bytes=1048588}",
                 "  min.cleanable.dirty.ratio=0.5 sensitive=false synonyms={DEFAULT_CONFIG:log.cleaner.min.cleanable.ratio=0.5}",
                 "  segment.bytes=1073741824 sensitive=false synonyms={DEFAULT_CONFIG:log.segment.bytes=1073741824}",
                 "  leader.replication.throttled.replicas= sensitive=false synonyms={}"]:
        check(want in lines, "--describe --all lacks %r:\n%s" % (want, out))
    check(sorted(lines[1:]) == lines[1:], "--all is not sorted by name")
    rc, out, err = configs(c, "--entity-type", "brokers", "--entity-name", "0", "--describe")
    check(out == "Dynamic configs for broker 0 are:\n", "broker --describe printed %r" % out)
    rc, out, err = configs(c, "--entity-type", "brokers", "--entity-name", "0", "--describe", "--all")
    for want in ["  log.retention.hours=100 sensitive=false synonyms={STATIC_BROKER_CONFIG:log.retention.hours=100, DEFAULT_CONFIG:log.retention.hours=168}",
                 "  num.io.threads=8 sensitive=false synonyms={DEFAULT_CONFIG:num.io.threads=8}"]:
        check(want in out.splitlines(), "broker --describe --all lacks %r:\n%s" % (want, out))
    rc, out, err = configs(c, "--entity-type", "brokers", "--describe")
    check(out == "Dynamic configs for broker 0 are:\nDefault configs for brokers in the cluster are:\n",
          "brokers --describe printed %r" % out)
    rc, out, err = configs(c, "--entity-type", "broker-loggers", "--entity-name", "0", "--describe")
    check(out.startswith("Dynamic configs for broker-logger 0 are:\n  root=") and
          out.endswith(" sensitive=false synonyms={}\n"), "broker-loggers --describe printed %r" % out)
    log("--describe prints Kafka's lines for topics, brokers and broker-loggers")


def test_tool_errors(c):
    rc, out, err = topic_configs(c, "--alter", "--add-config", "retention.ms=abc", check_rc=False)
    check(rc == 1 and "org.apache.kafka.common.errors.InvalidRequestException: Invalid config value for resource "
          "ConfigResource(type=TOPIC, name='cfg'): Invalid value abc for configuration retention.ms: "
          "Not a number of type LONG" in err, "bad value: rc %d %r" % (rc, err))
    rc, out, err = topic_configs(c, "--alter", "--add-config", "retention.msec=1", check_rc=False)
    check(rc == 1 and "org.apache.kafka.common.errors.InvalidConfigurationException: Unknown topic "
          "config name: retention.msec" in err, "unknown name: rc %d %r" % (rc, err))
    rc, out, err = topic_configs(c, "--alter", "--delete-config", "segment.ms", check_rc=False)
    check(rc == 1 and err == "Invalid config(s): segment.ms\n", "absent delete: rc %d %r" % (rc, err))
    rc, out, err = configs(c, "--entity-type", "brokers", "--entity-name", "0", "--alter",
                           "--add-config", "log.retention.hours=1000", check_rc=False)
    check(rc == 1 and "InvalidRequestException: Invalid config value for resource ConfigResource(type=BROKER, "
          "name='0'): Cannot update these configs dynamically: Set(log.retention.hours)" in err,
          "broker alter: rc %d %r" % (rc, err))
    rc, out, err = configs(c, "--entity-type", "topics", "--entity-name", "nope", "--describe", check_rc=False)
    check(rc == 1 and "UnknownTopicOrPartitionException" in err, "unknown topic: rc %d %r" % (rc, err))
    check(znode_config(c.kazoo()) == {"max.message.bytes": "2000", "retention.ms": "86400000"},
          "a refused alter changed the znode")
    log("bad values, unknown names and broker configs are refused naming the key")


def test_tool_delete(c, zk):
    rc, out, err = topic_configs(c, "--alter", "--delete-config", "max.message.bytes")
    check(out == "Completed updating config for topic %s.\n" % TOPIC, "delete said %r %r" % (out, err))
    check(znode_config(zk) == {"retention.ms": "86400000"}, "znode after delete: %r" % znode_config(zk))
    rc, out, err = topic_configs(c, "--describe")
    check(out == "Dynamic configs for topic %s are:\n"
          "  retention.ms=86400000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=86400000}\n" % TOPIC,
          "--describe after delete printed %r" % out)
    wait_until(lambda: produce(c, BIG) is None, 30, "the large record to be accepted again")
    log("--delete-config removed max.message.bytes; a %d-byte record is accepted again" % BIG)


def test_confluent(c, zk):
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource
    a = AdminClient({"bootstrap.servers": c.bootstrap})
    res = ConfigResource("topic", TOPIC)
    got = a.describe_configs([res])[res].result(15)
    check(got["retention.ms"].value == "86400000" and
          got["retention.ms"].source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value,
          "confluent describe: retention.ms %r" % got["retention.ms"])
    check(got["cleanup.policy"].source == ConfigSource.DEFAULT_CONFIG.value and len(got) == 26,
          "confluent describe: %d configs, cleanup.policy %r" % (len(got), got["cleanup.policy"]))
    new = ConfigResource("topic", TOPIC, set_config={"retention.ms": "3600000", "min.insync.replicas": "1"})
    a.alter_configs([new])[new].result(15)
    check(znode_config(zk) == {"retention.ms": "3600000", "min.insync.replicas": "1"},
          "after confluent alter_configs: %r" % znode_config(zk))
    bad = ConfigResource("topic", TOPIC, set_config={"min.insync.replicas": "zero"})
    try:
        a.alter_configs([bad])[bad].result(15)
        check(False, "confluent alter_configs accepted min.insync.replicas=zero")
    except KafkaException as e:
        check("min.insync.replicas" in str(e) and "INVALID_REQUEST" in str(e.args[0].name()),
              "confluent bad value: %r" % e)
    broker = ConfigResource("broker", "0")
    got = a.describe_configs([broker])[broker].result(15)
    check(got["log.retention.hours"].value == "100" and
          got["log.retention.hours"].source == ConfigSource.STATIC_BROKER_CONFIG.value,
          "confluent broker describe: %r" % got.get("log.retention.hours"))
    log("confluent-kafka describe_configs / alter_configs work")


def test_kafka_python(c):
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient
    a = KafkaAdminClient(bootstrap_servers=c.bootstrap, client_id="configs-test")
    try:
        resp = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, TOPIC)], include_synonyms=True)
        (err, msg, rtype, name, entries), = resp[0].resources
        byname = {e[0]: e for e in entries}
        check(err == 0 and name == TOPIC and len(entries) == 26, "kafka-python describe: %r" % (resp,))
        check(byname["retention.ms"][1] == "3600000" and byname["retention.ms"][3] == 1,
              "kafka-python retention.ms %r" % (byname["retention.ms"],))
        resp = a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, TOPIC,
                                               configs={"retention.ms": "7200000"})])
        check(resp.resources[0][0] == 0, "kafka-python alter_configs: %r" % (resp,))
        resp = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, TOPIC, {"retention.ms": None})])
        entries = resp[0].resources[0][4]
        check(len(entries) == 1 and entries[0][1] == "7200000", "kafka-python re-describe: %r" % (entries,))
    finally:
        a.close()
    log("kafka-python KafkaAdminClient describe_configs / alter_configs work")


def test(c):
    c.create_topic(TOPIC, partitions=1)
    zk = c.kazoo()
    test_tool_alter(c, zk)
    test_tool_describe(c)
    test_tool_errors(c)
    test_tool_delete(c, zk)
    test_confluent(c, zk)
    test_kafka_python(c)


if __name__ == "__main__":
    harness.main(test, brokers=1, broker_props=PROPS)
