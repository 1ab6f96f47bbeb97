#!/usr/bin/python3
"""Proves the background I/O throttles Kafka 2.8 changes at run time: kafka-configs.sh --entity-default sets log.cleaner.io.max.bytes.per.second on a running broker (DescribeConfigs: DYNAMIC_DEFAULT_BROKER_CONFIG) and the cleaner's next pass over about 1.5 MB takes at least the bytes it read divided by the rate (its own "MB of log processed in N seconds" line in log-cleaner.log); kafka-reassign-partitions.sh --execute --replica-alter-log-dirs-throttle 200000 sets replica.alter.log.dirs.io.max.bytes.per.second on the broker with the log dir move (DescribeConfigs: DYNAMIC_BROKER_CONFIG; the cluster default holds the same rate beforehand, so the move is throttled from its first step whenever the tool's change arrives) and the future replica of a 2 MB partition grows at no more than about that rate (DescribeLogDirs samples: under 2x the rate, and the whole move takes at least half of size/rate), then --verify clears the broker's value (the default stays). num.recovery.threads.per.data.dir is accepted per broker within Kafka's half/double bounds; socket.request.max.bytes stays read-only. Behaviour bounds, not benchmarks: only lower bounds on time are asserted."""
import json
import os
import re
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402

DIRS = ("data-a", "data-b")
CLEANER_RATE = 1000000
MOVE_RATE = 200000
CLEANER_KEY = "log.cleaner.io.max.bytes.per.second"
MOVE_KEY = "replica.alter.log.dirs.io.max.bytes.per.second"
# confluent_kafka.admin.ConfigSource values
DYNAMIC_BROKER_CONFIG = 2
DYNAMIC_DEFAULT_BROKER_CONFIG = 3


def kstr(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def describe_dirs(b):
    """DescribeLogDirs v1 for every partition: {dir: {(topic, partition,
    is_future): (size, offset_lag)}}."""
    req = struct.pack(">hhi", 35, 1, 7) + kstr("it-0448") + struct.pack(">i", -1)
    with socket.create_connection(("127.0.0.1", b.port), timeout=30) as s:
        s.sendall(struct.pack(">i", len(req)) + req)
        buf = b""
        while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
            chunk = s.recv(65536)
            check(chunk, "broker closed the connection (DescribeLogDirs)")
            buf += chunk
    data, p = buf[4:], 0

    def take(fmt):
        nonlocal p
        v = struct.unpack_from(">" + fmt, data, p)
        p += struct.calcsize(">" + fmt)
        return v[0] if len(v) == 1 else v

    def string():
        nonlocal p
        n = take("h")
        s = data[p:p + n].decode()
        p += n
        return s
    check(take("i") == 7, "correlation id")
    take("i")  # throttle
    out = {}
    for _ in range(take("i")):
        err = take("h")
        d = string()
        check(err == 0, "DescribeLogDirs error %d for %s" % (err, d))
        parts = out.setdefault(d, {})
        for _ in range(take("i")):
            t = string()
            for _ in range(take("i")):
                part, size, lag, fut = take("iqqb")
                parts[(t, part, bool(fut))] = (size, lag)
    return out


def configs(c, *args, check_rc=True):
    p = harness.run([os.path.join(harness.BIN, "kafka-configs.sh"), "--bootstrap-server", c.bootstrap] +
                    list(args), check_rc=check_rc, what="kafka-configs.sh " + " ".join(args))
    return p.stdout.decode() + p.stderr.decode()


def describe(c, key):
    from confluent_kafka.admin import AdminClient, ConfigResource
    a = AdminClient({"bootstrap.servers": c.bootstrap})
    r = ConfigResource("broker", "0")
    return a.describe_configs([r])[r].result(15).get(key)


def produce(c, topic, n, size):
    lines = "".join("key-%06d:%s\n" % (i, "v" * size) for i in range(n))
    c.kcat("-P", "-t", topic, "-p", "0", "-K", ":", "-z", "none", "-X", "linger.ms=5",
           "-X", "batch.size=65536", input=lines.encode())


def cleaner(c):
    b = c.brokers[0]
    e = describe(c, CLEANER_KEY)
    check(e is not None and e.value == "1.7976931348623157E308" and not e.is_read_only,
          "%s before any change: %r" % (CLEANER_KEY, e))
    out = configs(c, "--entity-type", "brokers", "--entity-default", "--alter", "--add-config",
                  "%s=%d" % (CLEANER_KEY, CLEANER_RATE))
    check("Completed updating default config for brokers in the cluster." in out, "kafka-configs: %r" % out)
    wait_until(lambda: "log.cleaner.io.max.bytes.per.second=1e+06" in b.log_text(), 30,
               "the broker to apply %s" % CLEANER_KEY)
    e = describe(c, CLEANER_KEY)
    # a double, described as Java prints it
    check(e.value == "%d.0" % CLEANER_RATE and e.source == DYNAMIC_DEFAULT_BROKER_CONFIG,
          "%s after the change: value %r source %r" % (CLEANER_KEY, e.value, e.source))
    # Written as a delete-policy topic, then turned compacted: the cleaner
    # sees every inactive segment at once, in one pass.
    c.create_topic("cmp", extra=["--config", "segment.bytes=262144",
                                 "--config", "min.cleanable.dirty.ratio=0.01"])
    c.wait_for_leaders("cmp", 1)
    produce(c, "cmp", 1500, 1000)
    configs(c, "--entity-type", "topics", "--entity-name", "cmp", "--alter", "--add-config",
            "cleanup.policy=compact")
    path = os.path.join(b.log_dir, "log-cleaner.log")
    pat = re.compile(r"cleaned log cmp-0 .*\n\t([0-9.]+) MB of log processed in ([0-9.]+) seconds")

    def stats():
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return pat.search(f.read())
    wait_until(stats, 45, "the cleaner's pass over cmp-0")
    m = stats()
    mb, secs = float(m.group(1)), float(m.group(2))
    want = mb * 1048576 / CLEANER_RATE
    log("cleaner: %.1f MB read in %.1f s at %d B/s (at least %.1f s expected)" % (mb, secs, CLEANER_RATE, want))
    check(mb >= 1.0, "the pass read only %.1f MB" % mb)
    # the throttle counts the offset map's reads and the writes too, so
    # the pass takes longer than its reads alone at the rate
    check(secs >= 0.8 * want, "cleaned %.1f MB in %.1f s, faster than %d B/s" % (mb, secs, CLEANER_RATE))


def move(c):
    b = c.brokers[0]
    dirs = [os.path.join(b.dir, d) for d in DIRS]
    c.topics("--zookeeper", c.zk_connect, "--create", "--topic", "mv", "--replica-assignment", "0",
             "--config", "segment.bytes=524288")
    c.wait_for_leaders("mv", 1)
    produce(c, "mv", 2000, 1000)
    dd = describe_dirs(b)
    src = [d for d in dirs if ("mv", 0, False) in dd.get(d, {})]
    check(len(src) == 1, "mv-0 in %r" % src)
    src = src[0]
    dst = [d for d in dirs if d != src][0]
    total = dd[src][("mv", 0, False)][0]
    check(total >= 2000000, "mv-0 holds only %d bytes" % total)
    # The cluster default is the same rate, applied before the move: the
    # tool's per-broker value reaches the broker through a ZooKeeper
    # notification that may land just after the move starts (as in Kafka).
    configs(c, "--entity-type", "brokers", "--entity-default", "--alter", "--add-config",
            "%s=%d" % (MOVE_KEY, MOVE_RATE))
    wait_until(lambda: "replica.alter.log.dirs.io.max.bytes.per.second=%d" % MOVE_RATE in b.log_text(), 30,
               "the broker to apply %s" % MOVE_KEY)
    js = os.path.join(c.root, "move.json")
    with open(js, "w") as f:
        json.dump({"version": 1, "partitions": [{"topic": "mv", "partition": 0, "replicas": [0],
                                                  "log_dirs": [dst]}]}, f)
    tool = os.path.join(harness.BIN, "kafka-reassign-partitions.sh")
    # as Kafka 2.8: the option needs the brokers' API
    p = harness.run([tool, "--zookeeper", c.zk_connect, "--reassignment-json-file", js, "--execute",
                     "--replica-alter-log-dirs-throttle", str(MOVE_RATE)], check_rc=False, timeout=60)
    check(p.returncode == 1 and p.stderr.decode() == 'You must specify --bootstrap-server when using '
          '"[replica-alter-log-dirs-throttle]"\n', "--zookeeper: rc %d %r" % (p.returncode, p.stderr))
    t0 = time.monotonic()
    p = harness.run([tool, "--bootstrap-server", c.bootstrap, "--reassignment-json-file", js, "--execute",
                     "--replica-alter-log-dirs-throttle", str(MOVE_RATE)], check_rc=False, timeout=60)
    out = p.stdout.decode() + p.stderr.decode()
    check(p.returncode == 0 and "The replica-alter-dir throttle limit was set to %d B/s" % MOVE_RATE in out and
          "Successfully started log directory move for: mv-0-0" in out, "--execute: %r" % out)
    # the broker takes its new per-broker value from the change notification
    wait_until(lambda: describe(c, MOVE_KEY).source == DYNAMIC_BROKER_CONFIG, 30,
               "%s to be a per-broker value" % MOVE_KEY, interval=0.2)
    e = describe(c, MOVE_KEY)
    check(e.value == str(MOVE_RATE), "%s: value %r" % (MOVE_KEY, e.value))
    samples = []

    def done():
        d = describe_dirs(b)
        fut = d.get(dst, {}).get(("mv", 0, True))
        if fut:
            samples.append((time.monotonic(), fut[0], fut[1]))
        return ("mv", 0, False) in d.get(dst, {}) and not fut
    wait_until(done, 50, "mv-0 to move to %s" % dst, interval=0.5)
    elapsed = time.monotonic() - t0
    log("move: %d bytes in %.1f s at %d B/s; %d samples" % (total, elapsed, MOVE_RATE, len(samples)))
    check(elapsed >= 0.5 * total / MOVE_RATE, "moved %d bytes in %.1f s" % (total, elapsed))
    check(len(samples) >= 3, "only %d DescribeLogDirs samples of the future replica" % len(samples))
    (ta, sa, la), (tb, sb, lb) = samples[0], samples[-1]
    check(sb > sa and lb < la, "the future replica did not grow: %r" % samples)
    rate = (sb - sa) / (tb - ta)
    check(rate < 2 * MOVE_RATE, "the future replica grew at %.0f B/s" % rate)
    p = harness.run([tool, "--bootstrap-server", c.bootstrap, "--reassignment-json-file", js, "--verify"],
                    check_rc=False, timeout=60)
    out = p.stdout.decode()
    check("Reassignment of replica mv-0-0 completed successfully." in out and
          "Clearing broker-level throttles on broker 0" in out, "--verify: %r" % out)
    wait_until(lambda: describe(c, MOVE_KEY).source != DYNAMIC_BROKER_CONFIG, 30,
               "the per-broker %s to be removed" % MOVE_KEY, interval=0.2)
    e = describe(c, MOVE_KEY)
    check(e.source == DYNAMIC_DEFAULT_BROKER_CONFIG, "%s still set for broker 0 after --verify: %r (source %r)"
          % (MOVE_KEY, e.value, e.source))


def recovery_threads(c):
    """Accepted at run time as Kafka does (within half and double of the
    current count); only log loading uses it, so it is stored."""
    out = configs(c, "--entity-type", "brokers", "--entity-name", "0", "--alter", "--add-config",
                  "num.recovery.threads.per.data.dir=3", check_rc=False)
    check("Dynamic thread count update validation failed for num.recovery.threads.per.data.dir=3, "
          "value should not be greater than double the current value 1" in out, "triple: %r" % out)
    configs(c, "--entity-type", "brokers", "--entity-name", "0", "--alter", "--add-config",
            "num.recovery.threads.per.data.dir=2")
    wait_until(lambda: describe(c, "num.recovery.threads.per.data.dir").source == DYNAMIC_BROKER_CONFIG, 30,
               "num.recovery.threads.per.data.dir to be a per-broker value", interval=0.2)
    e = describe(c, "num.recovery.threads.per.data.dir")
    check(e.value == "2" and not e.is_read_only, "num.recovery.threads.per.data.dir: %r" % e)
    e = describe(c, "socket.request.max.bytes")
    check(e.is_read_only, "socket.request.max.bytes is described as dynamic: %r" % e)


def test(c):
    # The "started" line can come before the controller's first
    # UpdateMetadata reaches the broker (slow under TSan): the tool below
    # looks broker 0 up in the broker's own metadata.
    wait_until(lambda: any(b.get("id") == 0 for b in (c.metadata() or {}).get("brokers", [])), 30,
               "broker 0 in its own metadata", interval=0.2)
    recovery_threads(c)
    cleaner(c)
    log("log.cleaner.io.max.bytes.per.second applies live")
    move(c)
    log("replica.alter.log.dirs.io.max.bytes.per.second set by the tool, applied and cleared")


def _main():
    orig = harness.Broker.__init__

    def init(self, cluster, broker_id, overrides, tag=None):
        orig(self, cluster, broker_id, overrides, tag)
        self.props["log.dirs"] = ",".join(os.path.join(self.dir, d) for d in DIRS)
        self.props["log.cleaner.backoff.ms"] = "100"
        self.write_props()
    harness.Broker.__init__ = init
    harness.main(test, brokers=1)


if __name__ == "__main__":
    _main()
