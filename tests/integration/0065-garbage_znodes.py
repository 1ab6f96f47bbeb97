#!/usr/bin/python3
"""Proves garbage JSON in Kafka's znodes (topic assignment, partition state, topic config, ISR change notification, broker registration) is logged and ignored: the broker stays up, keeps serving acknowledged data, and keeps creating topics."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log  # noqa: E402


def roundtrip(c, topic, n):
    lines = "".join("k%d:v%d\n" % (i, i) for i in range(n)).encode()
    c.kcat("-P", "-t", topic, "-p", "0", "-K:", input=lines)
    got = c.read_partition(topic, 0)
    check(len(got) >= n, "read %d of %d records from %s" % (len(got), n, topic))


def test(c):
    c.create_topic("good", partitions=1)
    roundtrip(c, "good", 20)
    zk = c.kazoo()
    # Garbage where the controller reads JSON.
    zk.create("/brokers/topics/garbage-topic", b"{not json")
    zk.create("/brokers/topics/wrong-types", b'{"version":3,"partitions":{"0":"one"}}')
    zk.create("/config/topics/garbage-config", b"\x00\x01\x02")
    zk.create("/isr_change_notification/isr_change_", b"[[[", sequence=True)
    zk.create("/brokers/ids/77", b'{"version":5,"endpoints":42}', ephemeral=True)
    b = c.brokers[0]
    harness.wait_until(lambda: "/brokers/ids/77" in b.log_text(), 15,
                       "a log line naming the garbage broker registration")
    # Topic creation assigns replicas over the registered ids, so the fake
    # broker must go before more topics are made.
    zk.delete("/brokers/ids/77")
    # A real topic whose partition state is then corrupted.
    c.create_topic("victim", partitions=1)
    zk.set("/brokers/topics/victim/partitions/0/state", b'{"leader":"x"')
    c.create_topic("after", partitions=1)
    roundtrip(c, "after", 10)
    roundtrip(c, "good", 5)
    check(b.alive(), "broker died")
    text = b.log_text()
    check("garbage-topic" in text, "no log line names the garbage topic znode")
    deadline = time.time() + 10
    while zk.get_children("/isr_change_notification") and time.time() < deadline:
        time.sleep(0.1)
    check(not zk.get_children("/isr_change_notification"),
          "malformed ISR change notification was not consumed")
    log("broker alive; garbage logged and ignored")


if __name__ == "__main__":
    harness.main(test, brokers=1)
