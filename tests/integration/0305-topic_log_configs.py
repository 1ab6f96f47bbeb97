#!/usr/bin/python3
"""Proves three topic configs are applied: max.compaction.lag.ms rolls a compacted topic's active segment and gets its duplicates cleaned although its dirty ratio stays below min.cleanable.dirty.ratio=0.99 (the same writes to a topic without the lag stay uncleaned); preallocate=true creates the active segment file at segment.bytes, and after kill -9 the broker recovers every acknowledged record from the zero-tailed file and appends after them; message.format.version before 0.11.0 is refused (INVALID_CONFIG naming the key, through kafka-configs.sh --alter and kafka-topics.sh --create) while 2.0 is accepted."""
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import BIN, check, log, run, wait_until  # noqa: E402
from segmentutil import segment_records  # noqa: E402

COMPACT = "lagged"
CONTROL = "unlagged"
PREALLOC = "prealloc"
KEYS = 10
SEGMENT_BYTES = 1048576


def segment_keys(path):
    """Keys of every record in an uncompressed .log file, in order."""
    return [k for k, _, _ in segment_records(path)]


def segments(c, topic):
    return sorted(glob.glob(os.path.join(c.brokers[0].data_dir, topic + "-0", "*.log")))


def producer(c):
    from confluent_kafka import Producer
    return Producer({"bootstrap.servers": c.bootstrap, "acks": "all", "linger.ms": 0,
                     "compression.type": "none"})


def produce(p, topic, records):
    acked = []

    def dr(err, msg):
        check(err is None, "produce to %s failed: %s" % (topic, err))
        acked.append(msg.offset())
    for k, v in records:
        p.produce(topic, key=k, value=v, partition=0, on_delivery=dr)
    p.flush(30)
    check(len(acked) == len(records), "only %d of %d acknowledged" % (len(acked), len(records)))
    return acked


def test_max_compaction_lag(c):
    # CONTROL differs only in having no max.compaction.lag.ms (segment.ms
    # rolls it as often): it shows the dirty ratio stays below 0.99.
    c.create_topic(COMPACT, extra=["--config", "cleanup.policy=compact",
                                   "--config", "min.cleanable.dirty.ratio=0.99",
                                   "--config", "max.compaction.lag.ms=500"])
    c.create_topic(CONTROL, extra=["--config", "cleanup.policy=compact",
                                   "--config", "min.cleanable.dirty.ratio=0.99",
                                   "--config", "segment.ms=500"])
    p = producer(c)
    ckpt = os.path.join(c.brokers[0].data_dir, "cleaner-offset-checkpoint")

    def first_dirty(topic):
        if not os.path.exists(ckpt):
            return -1
        for line in open(ckpt).read().split("\n"):
            f = line.split()
            if len(f) == 3 and f[0] == topic and f[1] == "0":
                return int(f[2])
        return -1

    def cleaned_past(topic, offset):
        """A tick record to both topics (their appends roll the active
        segment once it holds data older than the lag / segment.ms), then:
        has the cleaner got past offset in topic and do its inactive
        segments hold each key once?"""
        produce(p, COMPACT, [(b"tick", b"t")])
        produce(p, CONTROL, [(b"tick", b"t")])
        if first_dirty(topic) <= offset:
            return False
        # the ticks' own duplicates come and go with each roll
        keys = [k for s in segments(c, topic)[:-1] for k in segment_keys(s)
                if k != b"tick"]
        return len(keys) == len(set(keys))

    # Round 1: never cleaned, so the whole log is dirty (ratio 1.0).
    last = {}
    for t in (COMPACT, CONTROL):
        last[t] = produce(p, t, [(b"key-%d" % (i % KEYS), b"r1-%d" % i)
                                 for i in range(KEYS * 20)])
    for t in (COMPACT, CONTROL):
        wait_until(lambda: cleaned_past(t, last[t][-1]), 60, "the first cleaning of %s" % t,
                   interval=0.1)
    # Round 2: a few duplicates over a cleaned head keep the dirty ratio well
    # below 0.99; only max.compaction.lag.ms makes the log cleanable.
    for t in (COMPACT, CONTROL):
        last[t] = produce(p, t, [(b"key-%d" % (i % KEYS), b"r2-%d" % i)
                                 for i in range(KEYS * 2)])
    wait_until(lambda: cleaned_past(COMPACT, last[COMPACT][-1]), 60,
               "the cleaning of %s's new duplicates past max.compaction.lag.ms" % COMPACT,
               interval=0.1)
    check(first_dirty(CONTROL) <= last[CONTROL][-1],
          "%s was cleaned by its dirty ratio: the test's premise does not hold" % CONTROL)
    got = c.read_partition(COMPACT, 0)
    latest = {}
    for k, v, o in got:
        latest[k] = v
    for k in range(KEYS):
        key = b"key-%d" % k
        check(latest.get(key) == b"r2-%d" % (KEYS + k), "%s: latest %r" % (key, latest.get(key)))
        check(sum(1 for r in got if r[0] == key) == 1, "%s duplicated after cleaning" % key)
    cleaner_log = open(os.path.join(c.brokers[0].log_dir, "log-cleaner.log")).read()
    check(cleaner_log.count("Beginning cleaning of log %s-0." % COMPACT) >= 2,
          "log-cleaner.log lacks the second cleaning")
    log("max.compaction.lag.ms: rolled and cleaned below min.cleanable.dirty.ratio "
        "(%s, without the lag, was not)" % CONTROL)


def test_preallocate(c):
    c.create_topic(PREALLOC, extra=["--config", "preallocate=true",
                                    "--config", "segment.bytes=%d" % SEGMENT_BYTES])
    segs = segments(c, PREALLOC)
    check(len(segs) == 1 and os.path.getsize(segs[0]) == SEGMENT_BYTES,
          "the new segment is not preallocated: %r" % [(s, os.path.getsize(s)) for s in segs])
    p = producer(c)
    acked = produce(p, PREALLOC, [(b"k%d" % i, b"value-%05d" % i) for i in range(1000)])
    check(acked == list(range(1000)), "unexpected offsets %r..." % acked[:5])
    check(os.path.getsize(segs[0]) == SEGMENT_BYTES, "the active segment shrank while written")
    del p
    c.brokers[0].kill9()
    check(os.path.getsize(segs[0]) == SEGMENT_BYTES, "kill -9 left no zero tail")
    c.brokers[0].start()
    c.wait_for_leaders(PREALLOC, 1)
    size = os.path.getsize(segs[0])
    check(0 < size < SEGMENT_BYTES, "recovery did not cut the zero tail: %d bytes" % size)
    p = producer(c)
    more = produce(p, PREALLOC, [(b"k", b"after-restart")])
    check(more == [1000], "append after recovery at %r, want [1000]" % more)
    got = c.read_partition(PREALLOC, 0)
    check([o for _, _, o in got] == list(range(1001)), "offsets after recovery: %d records" % len(got))
    check(all(v == b"value-%05d" % o for _, v, o in got[:1000]), "a value changed in recovery")
    log("preallocate: full-size segment file, kill -9 recovered %d records" % len(got))


def test_message_format_version(c):
    def alter(value):
        p = run([os.path.join(BIN, "kafka-configs.sh"), "--bootstrap-server", c.bootstrap,
                 "--entity-type", "topics", "--entity-name", PREALLOC, "--alter",
                 "--add-config", "message.format.version=" + value], check_rc=False,
                what="kafka-configs.sh --alter message.format.version=" + value)
        return p.returncode, p.stderr.decode()
    rc, err = alter("0.10.2")
    check(rc != 0 and "InvalidConfigurationException" in err and
          "Invalid value 0.10.2 for configuration message.format.version: Samsa stores record "
          "batch v2 only" in err, "pre-0.11 format via --alter: rc %d %r" % (rc, err))
    rc, err = alter("2.0")
    check(rc == 0, "message.format.version=2.0 refused: %r" % err)
    p = c.topics("--bootstrap-server", c.bootstrap, "--create", "--topic", "oldformat",
                 "--partitions", "1", "--replication-factor", "1",
                 "--config", "message.format.version=0.10.0", check_rc=False)
    err = p.stderr.decode() + p.stdout.decode()
    check(p.returncode != 0 and "Invalid value 0.10.0 for configuration message.format.version: "
          "Samsa stores record batch v2 only" in err, "pre-0.11 format via --create: %r" % err)
    check(b"oldformat" not in c.topics("--bootstrap-server", c.bootstrap, "--list").stdout,
          "the refused topic exists")
    log("message.format.version: 0.10.x refused, 2.0 accepted")


def test(c):
    test_max_compaction_lag(c)
    test_preallocate(c)
    test_message_format_version(c)


if __name__ == "__main__":
    harness.main(test, brokers=1, broker_props={"log.cleaner.backoff.ms": "100"})
