#!/usr/bin/python3
"""Proves CreateTopics validates topic configs as Kafka's LogConfig does: confluent-kafka's AdminClient.create_topics with a bad value or an unknown name is refused with INVALID_CONFIG naming the key (validate_only too), kafka-python's create_topics is refused the same way, and a valid override is created and described as DYNAMIC_TOPIC_CONFIG."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log  # noqa: E402


def ck_create(admin, name, configs, validate_only=False):
    from confluent_kafka.admin import NewTopic
    fs = admin.create_topics([NewTopic(name, 1, 1, config=configs)], operation_timeout=15,
                             validate_only=validate_only)
    try:
        fs[name].result(30)
        return None
    except Exception as e:  # KafkaException carrying a KafkaError
        return e.args[0]


def confluent_checks(c):
    from confluent_kafka import KafkaError
    from confluent_kafka.admin import AdminClient, ConfigResource
    admin = AdminClient({"bootstrap.servers": c.bootstrap})
    for vo in (True, False):
        err = ck_create(admin, "bad-value", {"retention.ms": "soon"}, validate_only=vo)
        check(err is not None and err.code() == KafkaError.INVALID_CONFIG,
              "bad retention.ms (validate_only=%s) gave %r" % (vo, err))
        check("Invalid value soon for configuration retention.ms: Not a number of type LONG" in err.str(),
              "bad value message %r" % err.str())
    err = ck_create(admin, "bad-name", {"retention.msx": "1"})
    check(err is not None and err.code() == KafkaError.INVALID_CONFIG, "unknown name gave %r" % err)
    check("Unknown topic config name: retention.msx" in err.str(), "unknown name message %r" % err.str())
    err = ck_create(admin, "bad-range", {"min.insync.replicas": "0"})
    check(err is not None and err.code() == KafkaError.INVALID_CONFIG, "min.insync.replicas=0 gave %r" % err)
    check("min.insync.replicas" in err.str(), "range message %r" % err.str())
    md = admin.list_topics(timeout=10)
    check(not {"bad-value", "bad-name", "bad-range"} & set(md.topics), "a refused topic exists: %r" % list(md.topics))

    err = ck_create(admin, "good", {"cleanup.policy": "compact", "retention.ms": "3600000"})
    check(err is None, "valid create failed: %r" % err)
    res = ConfigResource(ConfigResource.Type.TOPIC, "good")
    entries = admin.describe_configs([res])[res].result(30)
    for k, v in (("cleanup.policy", "compact"), ("retention.ms", "3600000")):
        e = entries[k]
        check(e.value == v and e.source == 1, "%s described as %r (source %r)" % (k, e.value, e.source))
    check(entries["preallocate"].source == 5, "preallocate source %r" % entries["preallocate"].source)


def kafka_python_checks(c):
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import InvalidConfigurationError
    admin = KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=30000)
    try:
        try:
            admin.create_topics([NewTopic("kp-bad", 1, 1, topic_configs={"segment.bytes": "big"})],
                                timeout_ms=15000)
            check(False, "kafka-python created a topic with segment.bytes=big")
        except InvalidConfigurationError as e:
            check("segment.bytes" in str(e), "kafka-python error %r does not name the key" % str(e))
        admin.create_topics([NewTopic("kp-good", 1, 1, topic_configs={"segment.bytes": "1048576"})],
                            timeout_ms=15000)
        check("kp-good" in admin.list_topics(), "kp-good missing after create")
    finally:
        admin.close()


def test(c):
    confluent_checks(c)
    kafka_python_checks(c)
    log("CreateTopics config validation ok")


harness.main(test, brokers=1)
