#!/usr/bin/python3
"""Proves the perf tools: kafka-producer-perf-test.sh sends exactly N records of the given size (its summary line, in Kafka's ProducerPerformance format, says N, and the topic's end offsets add up to N), kafka-consumer-perf-test.sh reads exactly those N in a consumer group and prints Kafka 2.8's CSV header and a row whose nMsg is N and whose MB matches N x size, and, asked for more records than exist, it prints Kafka's timeout warning."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import BIN, check, log, run  # noqa: E402

TOPIC = "perf"
TOPIC2 = "perf-payloads"
N = 20000
SIZE = 100
NUM = r"\d+\.\d+"
WINDOW = re.compile(r"^\d+ records sent, %s records/sec \(%s MB/sec\), %s ms avg latency, %s ms max latency\.$"
                    % (r"\d+\.\d", r"\d+\.\d\d", r"\d+\.\d", r"\d+\.0"))
TOTAL = re.compile(r"^(\d+) records sent, (\d+\.\d{6}) records/sec \((\d+\.\d\d) MB/sec\), (\d+\.\d\d) ms avg "
                   r"latency, (\d+)\.00 ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, "
                   r"(\d+) ms 99\.9th\.$")
HEADER = ("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
          "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec")
DATE = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}"
ROW = re.compile(r"^(%s), (%s), (%s), (%s), (\d+), (%s), (\d+), (-?\d+), (%s|NaN|Infinity), (%s|NaN|Infinity)$"
                 % (DATE, DATE, NUM, NUM, NUM, NUM, NUM))
WARNING = ("WARNING: Exiting before consuming the expected number of messages: timeout (%d ms) exceeded. "
           "You can use the --timeout option to increase the timeout.")


def end_offsets(c, topic, partitions):
    """Sum of the partitions' end offsets, from kcat -Q (ListOffsets)."""
    total = 0
    for p in range(partitions):
        out = c.kcat("-Q", "-t", "%s:%d:-1" % (topic, p), timeout=30).stdout.decode()
        m = re.search(r"\[%d\] offset (\d+)" % p, out)
        check(m, "kcat -Q said %r" % out)
        total += int(m.group(1))
    return total


def producer(c):
    p = run([os.path.join(BIN, "kafka-producer-perf-test.sh"), "--topic", TOPIC, "--num-records", str(N),
             "--record-size", str(SIZE), "--throughput", "-1", "--producer-props",
             "bootstrap.servers=" + c.bootstrap, "acks=all"], timeout=120, what="kafka-producer-perf-test.sh")
    lines = p.stdout.decode().splitlines()
    log("producer perf test said: %r" % lines[-1:])
    check(lines, "no output")
    for l in lines[:-1]:
        check(WINDOW.match(l), "progress line not in Kafka's format: %r" % l)
    m = TOTAL.match(lines[-1])
    check(m, "summary line not in Kafka's format: %r" % lines[-1])
    check(int(m.group(1)) == N, "summary says %s records" % m.group(1))
    p50, p95, p99, p999, mx = (int(m.group(i)) for i in (6, 7, 8, 9, 5))
    check(p50 <= p95 <= p99 <= p999 <= mx, "percentiles out of order: %r" % lines[-1])
    check(float(m.group(2)) > 0, "rate %s" % m.group(2))
    total = end_offsets(c, TOPIC, 3)
    check(total == N, "end offsets add up to %d, expected %d" % (total, N))

    # Throttled, from a payload file (another topic): the rate stays near
    # the target.
    c.create_topic(TOPIC2, partitions=1, rf=1)
    pf = os.path.join(c.root, "payloads.txt")
    with open(pf, "w") as f:
        f.write("alpha\nbeta\ngamma\n")
    p = run([os.path.join(BIN, "kafka-producer-perf-test.sh"), "--topic", TOPIC2, "--num-records", "300",
             "--payload-file", pf, "--throughput", "200", "--producer-props",
             "bootstrap.servers=" + c.bootstrap], timeout=60, what="producer perf test, payload file")
    lines = p.stdout.decode().splitlines()
    check(lines[0] == "Reading payloads from: " + os.path.realpath(pf), "first line %r" % lines[0])
    check(lines[1] == "Number of messages read: 3", "second line %r" % lines[1])
    m = TOTAL.match(lines[-1])
    check(m and int(m.group(1)) == 300, "throttled summary %r" % lines[-1])
    check(float(m.group(2)) < 260, "throttled to 200/s but ran at %s" % m.group(2))
    check(end_offsets(c, TOPIC2, 1) == 300, "end offsets after the payload-file run")

    p = run([os.path.join(BIN, "kafka-producer-perf-test.sh"), "--topic", TOPIC, "--num-records", "1",
             "--record-size", "1", "--throughput", "-1"], timeout=30, check_rc=False, what="no props")
    check(p.returncode == 1 and b"Either --producer-props or --producer.config must be specified."
          in p.stderr, "missing props: rc %d %r" % (p.returncode, p.stderr[-300:]))


def consumer(c):
    p = run([os.path.join(BIN, "kafka-consumer-perf-test.sh"), "--bootstrap-server", c.bootstrap, "--topic",
             TOPIC, "--messages", str(N), "--group", "perf-g1", "--threads", "1", "--timeout", "20000"],
            timeout=120, what="kafka-consumer-perf-test.sh")
    lines = p.stdout.decode().splitlines()
    log("consumer perf test said: %r" % lines)
    check(lines[0] == HEADER, "header %r" % lines[0])
    check(len(lines) == 2, "expected header and one row, got %r" % lines)
    m = ROW.match(lines[1])
    check(m, "row not in Kafka's format: %r" % lines[1])
    check(int(m.group(5)) == N, "nMsg %s, expected %d" % (m.group(5), N))
    check(m.group(3) == "%.4f" % (N * SIZE / 1048576.0), "MB %s" % m.group(3))
    fetch_ms = int(m.group(8))
    check(fetch_ms >= 0, "fetch.time.ms %d" % fetch_ms)

    # More than exist: it gives up after --timeout and says so.
    want = N + 1000
    p = run([os.path.join(BIN, "kafka-consumer-perf-test.sh"), "--broker-list", c.bootstrap, "--topic",
             TOPIC, "--messages", str(want), "--timeout", "5000", "--hide-header"], timeout=120,
            what="consumer perf test with a timeout")
    lines = p.stdout.decode().splitlines()
    log("consumer perf test (timeout) said: %r" % lines)
    check(WARNING % 5000 in lines, "no timeout warning in %r" % lines)
    check(HEADER not in lines, "--hide-header still printed the header")
    m = ROW.match(lines[-1])
    check(m and int(m.group(5)) == N, "row after timeout %r" % lines[-1:])


def test(c):
    c.create_topic(TOPIC, partitions=3, rf=1)
    producer(c)
    consumer(c)


harness.main(test, brokers=1, broker_props={"offsets.topic.replication.factor": "1",
                                             "offsets.topic.num.partitions": "3",
                                             "group.initial.rebalance.delay.ms": "0"})
