#!/usr/bin/python3
"""Proves well-framed but hostile requests (CreateTopics whose assignment size wraps, INT32_MAX partitions with and without validate_only, a huge replication factor, malformed manual assignments, 100,000 duplicate topic names, CreatePartitions to INT32_MAX, ElectLeaders for 200,000 partitions, 100,000 config keys, a produced batch claiming base offset INT64_MAX, OffsetCommit with an INT64_MAX retention, Metadata on a cache without topics, garbage in the preferred-election and partition-state znodes) get Kafka's error code or a closed connection, leave the broker up and free of sanitizer reports, and do not disturb acknowledged data."""
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, fail, log, wait_until  # noqa: E402

TOPIC = "hostile-req"
COUNT = 300

NONE = 0
INVALID_PARTITIONS = 37
INVALID_REPLICATION_FACTOR = 38
INVALID_REPLICA_ASSIGNMENT = 39
INVALID_REQUEST = 42
UNKNOWN_TOPIC_OR_PARTITION = 3

INT32_MAX = 2 ** 31 - 1
INT64_MAX = 2 ** 63 - 1


# ---- encoding (non-flexible versions only) ----

def s16(v):
    return struct.pack(">h", v)


def s32(v):
    return struct.pack(">i", v)


def s64(v):
    return struct.pack(">q", v)


def string(v):
    if v is None:
        return s16(-1)
    b = v.encode()
    return s16(len(b)) + b


def array(items):
    if items is None:
        return s32(-1)
    return s32(len(items)) + b"".join(items)


def request(api_key, version, body, corr=7):
    hdr = struct.pack(">hhi", api_key, version, corr) + string("hostile-requests")
    payload = hdr + body
    return s32(len(payload)) + payload


class Reader:
    def __init__(self, data):
        self.d = data
        self.p = 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.d, self.p)[0]
        self.p += struct.calcsize(fmt)
        return v

    def i16(self):
        return self.take(">h")

    def i32(self):
        return self.take(">i")

    def i64(self):
        return self.take(">q")

    def boolean(self):
        return self.take(">b") != 0

    def string(self):
        n = self.i16()
        if n < 0:
            return None
        v = self.d[self.p:self.p + n].decode(errors="replace")
        self.p += n
        return v

    def array(self, fn):
        n = self.i32()
        return [fn() for _ in range(max(n, 0))]


def recv_exact(s, n):
    chunks = []
    while n > 0:
        b = s.recv(min(n, 1 << 20))
        if not b:
            return None
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def exchange(port, frame, timeout=120):
    """Sends one request; returns a Reader positioned after the response
    header, or None if the broker closed the connection instead."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(frame)
        except OSError:
            return None
        try:
            size = recv_exact(s, 4)
            if size is None:
                return None
            data = recv_exact(s, struct.unpack(">i", size)[0])
        except OSError:
            return None
        if data is None:
            return None
        r = Reader(data)
        check(r.i32() == 7, "response with the wrong correlation id")
        return r


# ---- CreateTopics v2 / CreatePartitions v1 / OffsetCommit v2 / Metadata v4 ----

def create_topics(topics, validate_only=False, timeout_ms=30000):
    """topics: (name, partitions, rf, assignments [(index, [ids])], configs)"""
    enc = []
    for name, np, rf, assignments, configs in topics:
        enc.append(string(name) + s32(np) + s16(rf) +
                   array([s32(i) + array([s32(b) for b in ids]) for i, ids in assignments]) +
                   array([string(k) + string(v) for k, v in configs]))
    return request(19, 2, array(enc) + s32(timeout_ms) + struct.pack(">b", validate_only))


def create_topics_result(r):
    r.i32()  # throttle
    return r.array(lambda: (r.string(), r.i16(), r.string()))


def create_partitions(name, count, validate_only=False):
    body = array([string(name) + s32(count) + array(None)]) + s32(30000) + \
        struct.pack(">b", validate_only)
    return request(37, 1, body)


def create_partitions_result(r):
    r.i32()
    return r.array(lambda: (r.string(), r.i16(), r.string()))


def offset_commit_v2(group, topic, partition, offset, retention_ms):
    body = (string(group) + s32(-1) + string("") + s64(retention_ms) +
            array([string(topic) + array([s32(partition) + s64(offset) + string("m")])]))
    return request(8, 2, body)


def offset_commit_v1(group, topic, partition, offset, commit_ts):
    body = (string(group) + s32(-1) + string("") +
            array([string(topic) + array([s32(partition) + s64(offset) + s64(commit_ts) +
                                          string("m")])]))
    return request(8, 1, body)


def offset_commit_result(r):
    return r.array(lambda: (r.string(), r.array(lambda: (r.i32(), r.i16()))))


def elect_leaders_v0(topic, partitions):
    body = array([string(topic) + array([s32(p) for p in partitions])]) + s32(30000)
    return request(43, 0, body)


def elect_leaders_result(r):
    r.i32()
    return r.array(lambda: (r.string(), r.array(lambda: (r.i32(), r.i16(), r.string()))))


def incremental_alter_configs_v0(topic, keys, validate_only=True):
    configs = array([string(k) + struct.pack(">b", 0) + string("1") for k in keys])
    body = array([struct.pack(">b", 2) + string(topic) + configs]) + \
        struct.pack(">b", validate_only)
    return request(44, 0, body)


def alter_configs_result(r):
    r.i32()
    return r.array(lambda: (r.i16(), r.string(), r.take(">b"), r.string()))


def _crc32c_table():
    t = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


CRC32C = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = CRC32C[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def zigzag(v):
    v = (v << 1) ^ (v >> 63)
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def record_batch(base_offset, values, ts=1700000000000):
    recs = b""
    for i, v in enumerate(values):
        body = (b"\0" + zigzag(0) + zigzag(i) + zigzag(-1) + zigzag(len(v)) + v + zigzag(0))
        recs += zigzag(len(body)) + body
    after_crc = (struct.pack(">hiqqqhii", 0, len(values) - 1, ts, ts, -1, -1, -1, len(values)) +
                 recs)
    tail = struct.pack(">ibI", 0, 2, crc32c(after_crc)) + after_crc
    return struct.pack(">qi", base_offset, len(tail)) + tail


def produce_v3(topic, partition, batch):
    body = (string(None) + s16(1) + s32(30000) +
            array([string(topic) + array([s32(partition) + s32(len(batch)) + batch])]))
    return request(0, 3, body)


def produce_result(r):
    return r.array(lambda: (r.string(), r.array(lambda: (r.i32(), r.i16(), r.i64(), r.i64()))))


def metadata_v4(topics):
    return request(3, 4, array([string(t) for t in topics]) + struct.pack(">b", 0))


def metadata_topics(r):
    r.i32()
    r.array(lambda: (r.i32(), r.string(), r.i32(), r.string()))
    r.string()
    r.i32()

    def part():
        return (r.i16(), r.i32(), r.i32(), r.array(r.i32), r.array(r.i32), r.array(r.i32))
    return r.array(lambda: (r.i16(), r.string(), r.boolean(), r.array(part)))


# ---- checks ----

def expect_topic_error(port, frame, code, what):
    r = exchange(port, frame)
    if r is None:
        fail("%s: the broker closed the connection instead of answering error %d" % (what, code))
    res = create_topics_result(r)
    check(res and all(e == code for _, e, _ in res),
          "%s: expected error %d for every topic, got %s" % (what, code,
                                                            sorted(set(e for _, e, _ in res))))
    log("%s -> error %d (%s)" % (what, code, res[0][2]))


def test(c):
    b = c.brokers[0]
    port = b.port

    # Metadata for a missing topic while the cache has no topic at all
    # (the cache's topic array is empty).
    r = exchange(port, metadata_v4(["no-such-topic"]))
    check(r is not None, "Metadata on an empty cache closed the connection")
    mt = metadata_topics(r)
    check(len(mt) == 1 and mt[0][0] == UNKNOWN_TOPIC_OR_PARTITION,
          "Metadata for a missing topic on an empty cache: %r" % (mt,))

    c.create_topic(TOPIC, partitions=1)
    lines = harness.unique_lines("r", COUNT)
    c.kcat("-P", "-t", TOPIC, "-K:", "-p", "0", input="\n".join(lines) + "\n")
    before = c.read_partition(TOPIC, 0)
    check(len(before) == COUNT, "read %d of %d before the attack" % (len(before), COUNT))

    # The assignment whose size wrapped in int: 4,097 partitions, the first
    # listing 2^20 broker ids (a 4 MiB frame).
    wrap = [(0, [0] * (1 << 20))] + [(i, [0]) for i in range(1, 4097)]
    expect_topic_error(port, create_topics([("wrap", -1, -1, wrap, [])]),
                       INVALID_REPLICA_ASSIGNMENT, "CreateTopics with a wrapping assignment")
    expect_topic_error(port, create_topics([("wrap", -1, -1, wrap, [])], validate_only=True),
                       INVALID_REPLICA_ASSIGNMENT, "the same, validate_only")
    expect_topic_error(port, create_topics([("uneven", -1, -1, [(0, [0]), (1, [0, 0])], [])]),
                       INVALID_REPLICA_ASSIGNMENT, "replica lists of different lengths")
    expect_topic_error(port, create_topics([("dupbroker", -1, -1, [(0, [0, 0])], [])]),
                       INVALID_REPLICA_ASSIGNMENT, "duplicate broker in one list")
    expect_topic_error(port, create_topics([("negative", -1, -1, [(0, [-1])], [])]),
                       INVALID_REPLICA_ASSIGNMENT, "negative broker id")
    expect_topic_error(port, create_topics([("gap", -1, -1, [(0, [0]), (2, [0])], [])]),
                       INVALID_REPLICA_ASSIGNMENT, "non-consecutive partition ids")
    expect_topic_error(port, create_topics([("twice", -1, -1, [(0, [0]), (0, [0])], [])]),
                       INVALID_REPLICA_ASSIGNMENT, "partition id given twice")
    expect_topic_error(port, create_topics([("neg-part", -1, -1, [(-1, [0])], [])]),
                       INVALID_REPLICA_ASSIGNMENT, "negative partition id")

    # Client-sized counts that reached an aborting allocation.
    for vo in (False, True):
        expect_topic_error(port, create_topics([("huge", INT32_MAX, 1, [], [])], validate_only=vo),
                           INVALID_PARTITIONS, "INT32_MAX partitions (validate_only=%s)" % vo)
    # The replica budget is per request: of 2,000 topics of 2^19 + 1
    # partitions only the first fits.
    r = exchange(port, create_topics([("many-huge-%d" % i, (1 << 19) + 1, 1, [], [])
                                      for i in range(2000)], validate_only=True))
    check(r is not None, "2,000 huge topics closed the connection")
    res = create_topics_result(r)
    check(len(res) == 2000 and res[0][1] == NONE and
          all(e == INVALID_PARTITIONS for _, e, _ in res[1:]),
          "2,000 topics of 2^19+1 partitions: %r" % sorted(set(e for _, e, _ in res)))
    log("2,000 topics of 2^19+1 partitions -> first validated, the rest error %d (%s)"
        % (INVALID_PARTITIONS, res[1][2]))
    expect_topic_error(port, create_topics([("huge-rf", 1, 32767, [], [])]),
                       INVALID_REPLICATION_FACTOR, "replication factor 32767")
    expect_topic_error(port, create_topics([("huge-both", INT32_MAX, 32767, [], [])],
                                           validate_only=True),
                       INVALID_REPLICATION_FACTOR, "INT32_MAX partitions x rf 32767")

    # 100,000 copies of one name: every entry is a duplicate.
    expect_topic_error(port, create_topics([("dup", 1, 1, [], [])] * 100000, validate_only=True),
                       INVALID_REQUEST, "100,000 duplicate topic names")

    # CreatePartitions to INT32_MAX, with and without validate_only.
    for vo in (False, True):
        r = exchange(port, create_partitions(TOPIC, INT32_MAX, validate_only=vo))
        check(r is not None, "CreatePartitions INT32_MAX closed the connection")
        res = create_partitions_result(r)
        check(res and res[0][1] == INVALID_PARTITIONS,
              "CreatePartitions to INT32_MAX partitions: %r" % (res,))
        log("CreatePartitions to INT32_MAX (validate_only=%s) -> error %d (%s)"
            % (vo, res[0][1], res[0][2]))

    # ElectLeaders naming 200,000 partitions of one topic: the answer groups
    # them per topic without a copy per partition.
    n = 200000
    r = exchange(port, elect_leaders_v0(TOPIC, list(range(n))))
    check(r is not None, "ElectLeaders with %d partitions closed the connection" % n)
    res = elect_leaders_result(r)
    check(len(res) == 1 and res[0][0] == TOPIC and len(res[0][1]) == n,
          "ElectLeaders answer does not list the %d partitions of one topic" % n)
    check([p for p, _, _ in res[0][1]] == list(range(n)), "ElectLeaders answer out of order")
    check(all(e == UNKNOWN_TOPIC_OR_PARTITION for p, e, _ in res[0][1] if p > 0),
          "ElectLeaders: partitions that do not exist not answered UNKNOWN_TOPIC_OR_PARTITION")
    log("ElectLeaders for %d partitions answered" % n)

    # IncrementalAlterConfigs with 100,000 keys, the last a duplicate.
    keys = ["k%06d" % i for i in range(100000)] + ["k000000"]
    r = exchange(port, incremental_alter_configs_v0(TOPIC, keys))
    check(r is not None, "IncrementalAlterConfigs with 100,000 keys closed the connection")
    res = alter_configs_result(r)
    check(len(res) == 1 and res[0][0] == INVALID_REQUEST and "k000000" in (res[0][1] or ""),
          "IncrementalAlterConfigs with a duplicate key: %r" % (res,))
    log("IncrementalAlterConfigs with 100,001 keys -> error %d (%s)" % (res[0][0], res[0][1]))

    # A producer's batch claiming base offset INT64_MAX (base + last delta
    # overflowed): the leader assigns the real offsets, as Kafka does.
    r = exchange(port, produce_v3(TOPIC, 0, record_batch(INT64_MAX, [b"late-1", b"late-2"])))
    check(r is not None, "Produce with base offset INT64_MAX closed the connection")
    res = produce_result(r)
    check(res and res[0][1][0][1] == NONE and res[0][1][0][2] == COUNT,
          "Produce with base offset INT64_MAX: %r" % (res,))
    log("Produce with base offset INT64_MAX stored at offset %d" % res[0][1][0][2])

    # OffsetCommit v2 with retention INT64_MAX (now + retention overflowed),
    # and v1 with a commit timestamp of INT64_MAX. Retried until the
    # coordinator has loaded __consumer_offsets.
    def committed(frame):
        def go():
            # FindCoordinator v0 makes the broker create __consumer_offsets
            exchange(port, request(10, 0, string("hostile-group")))
            rr = exchange(port, frame)
            check(rr is not None, "OffsetCommit closed the connection")
            res = offset_commit_result(rr)
            check(len(res) == 1 and len(res[0][1]) == 1, "OffsetCommit answer %r" % (res,))
            return res[0][1][0][1] == NONE and res
        return wait_until(go, 90, "OffsetCommit to be accepted")
    committed(offset_commit_v2("hostile-group", TOPIC, 0, 5, INT64_MAX))
    committed(offset_commit_v2("hostile-group", TOPIC, 0, 6, INT64_MAX - 1))
    committed(offset_commit_v1("hostile-group-v1", TOPIC, 0, 7, INT64_MAX))
    log("OffsetCommit with INT64_MAX retention and commit timestamp accepted")

    # Garbage in the partition state of a real topic, then a preferred
    # election through the znode for it and garbage in the election znode:
    # each logged under its own znode's name.
    zk = c.kazoo()
    c.create_topic("victim", partitions=1)
    state = "/brokers/topics/victim/partitions/0/state"
    zk.set(state, b'{"leader":"x"')
    zk.create("/admin/preferred_replica_election",
              b'{"version":1,"partitions":[{"topic":"victim","partition":0}]}')
    wait_until(lambda: not zk.exists("/admin/preferred_replica_election"), 30,
               "the controller to consume /admin/preferred_replica_election")
    wait_until(lambda: state in b.log_text(), 30, "a log line naming %s" % state)
    zk.create("/admin/preferred_replica_election", b"[[[ not json")
    wait_until(lambda: not zk.exists("/admin/preferred_replica_election"), 30,
               "the controller to delete the malformed election znode")
    ctl_log = os.path.join(b.log_dir, "controller.log")

    def election_logged():
        text = harness.tail(ctl_log, 400) + b.log_text()
        bad = [ln for ln in text.splitlines() if "preferred_replica_election" in ln and
               "alformed" in ln]
        return bad
    bad = wait_until(election_logged, 30, "a log line naming the malformed election znode")
    check(not any("isr change notification" in ln for ln in bad),
          "malformed election znode logged as an ISR change notification: %s" % bad[0])

    check(b.alive(), "broker process is gone")
    after = c.read_partition(TOPIC, 0)
    check(after[:COUNT] == before, "acknowledged messages changed after the attack")
    check([(v, o) for _, v, o in after[COUNT:]] == [(b"late-1", COUNT), (b"late-2", COUNT + 1)],
          "the records produced with base offset INT64_MAX: %r" % (after[COUNT:],))

    # The refusals are logged naming the peer.
    text = b.log_text()
    peer = [ln for ln in text.splitlines() if "127.0.0.1:" in ln and "Refused" in ln]
    check(len(peer) >= 5, "no log lines naming the peer and the refused request")
    log("e.g. %s" % peer[0])

    # A sanitizer build reports to the broker's stderr (broker.out); stop the
    # broker so everything it would print is there.
    rc = b.stop()
    check(rc == 0, "broker exited with status %s on SIGTERM" % rc)
    with open(b.out_path, errors="replace") as f:
        out = f.read()
    for marker in ("runtime error", "AddressSanitizer"):
        check(marker not in out, "sanitizer report in %s:\n%s" % (b.out_path, out[-4000:]))


if __name__ == "__main__":
    harness.main(test, brokers=1)
