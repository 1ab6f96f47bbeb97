"""OffsetCommit, OffsetFetch and OffsetDelete for topics that do not exist,
as Kafka 2.8's KafkaApis: a commit or delete of an unknown topic-partition
gets UNKNOWN_TOPIC_OR_PARTITION for that partition only (and nothing is
stored), while OffsetFetch answers it with no offset and no error."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import grouputil as gu  # noqa: E402
import harness  # noqa: E402
from harness import check, log  # noqa: E402

NONE, UNKNOWN_TOPIC_OR_PARTITION, GROUP_ID_NOT_FOUND = 0, 3, 69


def test(c):
    c.create_topic("known", partitions=2)
    c.wait_for_leaders("known", 2)
    b = c.bootstrap
    gu.wait_coordinator(b, "oc")

    log("OffsetCommit mixing existing and unknown partitions")
    res = gu.offset_commit(b, "oc", {("known", 0): 5, ("known", 9): 3, ("nosuch", 0): 7})
    check(res == {("known", 0): NONE, ("known", 9): UNKNOWN_TOPIC_OR_PARTITION,
                  ("nosuch", 0): UNKNOWN_TOPIC_OR_PARTITION}, "commit answered %r" % res)

    log("OffsetFetch: unknown partitions have no offset and no error")
    err, res = gu.offset_fetch(b, "oc", [("known", 0), ("known", 9), ("nosuch", 0)])
    check(err == NONE, "fetch group error %d" % err)
    check(res == {("known", 0): (5, NONE), ("known", 9): (-1, NONE), ("nosuch", 0): (-1, NONE)},
          "fetch answered %r" % res)
    err, res = gu.offset_fetch(b, "oc", None)
    check(err == NONE and res == {("known", 0): (5, NONE)}, "fetch of all offsets: %d %r" % (err, res))

    log("Only unknown partitions: answered without the group")
    res = gu.offset_commit(b, "oc", {("nosuch", 1): 1}, generation=4, member_id="nobody")
    check(res == {("nosuch", 1): UNKNOWN_TOPIC_OR_PARTITION}, "commit answered %r" % res)
    # Known partitions of the same request still get the group's error.
    res = gu.offset_commit(b, "oc", {("nosuch", 1): 1, ("known", 1): 1}, generation=4, member_id="nobody")
    check(res[("nosuch", 1)] == UNKNOWN_TOPIC_OR_PARTITION and res[("known", 1)] not in (NONE, 3),
          "commit answered %r" % res)

    log("OffsetDelete: unknown partitions get UNKNOWN_TOPIC_OR_PARTITION")
    err, res = gu.offset_delete(b, "oc", [("known", 0), ("nosuch", 0)])
    check(err == NONE, "delete group error %d" % err)
    check(res == {("known", 0): NONE, ("nosuch", 0): UNKNOWN_TOPIC_OR_PARTITION}, "delete answered %r" % res)
    err, res = gu.offset_fetch(b, "oc", [("known", 0)])
    check(res == {("known", 0): (-1, NONE)}, "offset not deleted: %r" % res)
    # The group is still checked when no known partition is left.
    err, res = gu.offset_delete(b, "no-such-group", [("nosuch", 0)])
    check(err == GROUP_ID_NOT_FOUND, "delete of an unknown group: %d %r" % (err, res))

    log("confluent-kafka commit to an unknown topic")
    from confluent_kafka import Consumer, KafkaException, TopicPartition
    k = Consumer({"bootstrap.servers": b, "group.id": "oc2", "enable.auto.commit": False})
    try:
        k.commit(offsets=[TopicPartition("nosuch", 0, 5)], asynchronous=False)
        fail_msg = "commit to an unknown topic succeeded"
    except KafkaException as e:
        err = e.args[0]
        fail_msg = None if err.code() == UNKNOWN_TOPIC_OR_PARTITION else "commit failed with %s" % err
    finally:
        k.close()
    check(fail_msg is None, fail_msg)

    text = c.brokers[0].log_text()
    check("unknown partition nosuch-0" in text, "no log line for the refused commit")


harness.main(test, brokers=1, broker_props={"offsets.topic.num.partitions": "3"})
