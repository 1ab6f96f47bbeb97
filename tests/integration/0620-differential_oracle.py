#!/usr/bin/python3
"""Differential oracle: real Apache Kafka (kafka.Kafka from
org.apache.kafka:kafka_2.13, default 3.9.2, run in ZooKeeper mode with
inter.broker.protocol.version=2.8 and log.message.format.version=2.8) beside
a Samsa broker on the harness's ZooKeeper, each in its own chroot. Both are
sent the same scripted raw requests (ApiVersions, Metadata, CreateTopics,
Produce, Fetch, ListOffsets, OffsetCommit/OffsetFetch, DeleteTopics); the
responses are decoded with the schemas below and compared field by field,
as are the topic and partition-state znodes each wrote.

Fields that must differ between two clusters (cluster id, hosts, ports,
timestamps, throttle times) are dropped before comparing (IGNORED); both
brokers have id 0, so ids are compared. Error message texts are compared
and printed, and allowed to differ (docs/deviations.md).
Every other difference is printed; the test fails on any that ALLOWED (each
entry citing docs/deviations.md, or naming what Kafka 3.9 changed after
2.8) does not cover.

Environment: SM_ORACLE_KAFKA_VERSION (default 3.9.2). See
docs/testing-java.md, "Differential oracle".
"""
import json
import os
import re
import shutil
import socket
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import javautil  # noqa: E402
import kafkautil  # noqa: E402
from harness import check, fail, log  # noqa: E402
from produceutil import crc32c, record_batch  # noqa: E402

NAME = "0620-differential_oracle"
VERSION = os.environ.get("SM_ORACLE_KAFKA_VERSION", "3.9.2")
CP = None
TOPIC = "oracle"

# Field names dropped everywhere before comparing: what two different
# clusters legitimately answer differently. Both brokers have id 0, so
# node, leader, controller and replica ids are compared.
IGNORED = {"throttle_time_ms", "cluster_id", "host", "port", "log_append_time", "timestamp"}

# Differences that are known and explained: (regex on the difference line,
# where it is documented). A difference line is "<request>: <path>: samsa=...
# kafka=...".
ALLOWED = [
    # Kafka 3.9 advertises the API versions (and keys) added after 2.8 and
    # no longer serves some old ones; Samsa answers as 2.8 does. Not a
    # deviation from 2.8 (an equal version, or a Samsa one beyond Kafka's, is).
    (r"^ApiVersions v\d+: api_keys\[\d+\]\.max_version: .* \(kafka newer\)$", "versions added after 2.8"),
    (r"^ApiVersions v\d+: api_keys\[\d+\]\.min_version: .* \(kafka dropped\)$", "versions removed in 3.x"),
    (r"^ApiVersions v\d+: api_keys: kafka only key \d+ \(after 2\.8\)$", "API keys added after 2.8"),
    (r"^ApiVersions v\d+: api_keys: kafka only key \d+ \(in 2\.8\)$",
     "docs/deviations.md, Wire protocol: ApiVersions lists only what Samsa serves"),
    # 2.8's KafkaApis.errorResponse gives an error partition a null aborted
    # list; 3.x's generated FetchResponseData defaults it to an empty one.
    (r"^Fetch v\d+ unknown partition: .*\.aborted_transactions: samsa=None kafka=\[\]$",
     "Kafka 3.x answers an empty list where 2.8 answers null"),
    (r"^CreateTopics v5 .*\.configs\.(compression\.(gzip|lz4|zstd)\.level|local\.retention\.(ms|bytes)|"
     r"remote\.storage\.enable|remote\.log\.[a-z.]+|message\.timestamp\.(before|after)\.max\.ms): "
     r"samsa='<absent>'", "topic configs added after 2.8 (KIP-390, KIP-405, KIP-937)"),
    (r"^CreateTopics v5 .*\.configs\.message\.format\.version\.value: samsa='2\.8' kafka='2\.8-IV1'$",
     "docs/deviations.md, Wire protocol: message.format.version as configured"),
    # Texts are Samsa's own words; a null where Kafka has a text (or the
    # reverse) is printed too, and allowed the same way.
    (r"\.error_message: samsa=.* kafka=.*$", "docs/deviations.md, Wire protocol: error message texts"),
    (r"^ApiVersions v3: _tags\.", "feature tagged fields of Kafka 3.x (KIP-584 finalized features)"),
]

# The last API key Kafka 2.8 defines (DescribeProducers).
LAST_28_KEY = 61

# ---------------------------------------------------------------- codec


def s8(v):
    return struct.pack(">b", v)


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
    return s32(len(items)) + b"".join(items)


def uvarint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


class Reader:
    def __init__(self, b):
        self.b = b
        self.o = 0

    def fixed(self, fmt):
        v = struct.unpack_from(fmt, self.b, self.o)[0]
        self.o += struct.calcsize(fmt)
        return v

    def uvarint(self):
        shift = v = 0
        while True:
            c = self.b[self.o]
            self.o += 1
            v |= (c & 0x7F) << shift
            if not c & 0x80:
                return v
            shift += 7

    def raw(self, n):
        if n < 0:
            return None
        v = self.b[self.o:self.o + n]
        check(len(v) == n, "response truncated")
        self.o += n
        return v


FIXED = {"i8": ">b", "i16": ">h", "i32": ">i", "i64": ">q", "bool": ">?"}


def decode(r, schema):
    """schema: [(name, type)]; type is a FIXED key, str, cstr, bytes,
    records, uuid, tags, ("arr", schema), ("carr", schema)."""
    out = {}
    for name, t in schema:
        if isinstance(t, tuple):
            n = r.fixed(">i") if t[0] == "arr" else r.uvarint() - 1
            out[name] = None if n < 0 else [decode(r, t[1]) for _ in range(n)]
        elif t in FIXED:
            out[name] = r.fixed(FIXED[t])
        elif t == "str":
            s = r.raw(r.fixed(">h"))
            out[name] = None if s is None else s.decode()
        elif t == "cstr":
            s = r.raw(r.uvarint() - 1)
            out[name] = None if s is None else s.decode()
        elif t in ("bytes", "records"):
            b = r.raw(r.fixed(">i"))
            out[name] = b if t == "bytes" else decode_records(b)
        elif t == "uuid":
            out[name] = r.raw(16).hex()
        elif t == "tags":
            tags = {}
            for _ in range(r.uvarint()):
                tag = r.uvarint()
                tags[tag] = r.raw(r.uvarint()).hex()
            out[name] = tags
        else:
            raise ValueError(t)
    return out


def decode_records(b):
    """v2 record batches: the fields a client sees (offsets, counts, crc
    validity, attributes, values); not timestamps."""
    if b is None:
        return None
    out = []
    o = 0
    while o + 12 <= len(b):
        base, length = struct.unpack_from(">qi", b, o)
        if o + 12 + length > len(b):
            out.append({"partial_tail": len(b) - o})
            break
        magic = b[o + 16]
        batch = {"base_offset": base, "length": length, "magic": magic}
        if magic == 2:
            crc, attrs, last_delta = struct.unpack_from(">Ihi", b, o + 17)
            batch.update(crc_ok=crc == crc32c(b[o + 21:o + 12 + length]), attributes=attrs,
                         last_offset_delta=last_delta,
                         producer=struct.unpack_from(">qhi", b, o + 43), count=struct.unpack_from(">i", b, o + 57)[0])
        out.append(batch)
        o += 12 + length
    return out


# ---------------------------------------------------------------- schemas
# Response bodies (after the correlation id, and for flexible versions the
# header's tags) of the versions sent below.

PART_META = [("error_code", "i16"), ("partition_index", "i32"), ("leader_id", "i32")]
TOPIC_META = [("error_code", "i16"), ("name", "str"), ("is_internal", "bool")]


def metadata_schema(v):
    broker = [("node_id", "i32"), ("host", "str"), ("port", "i32"), ("rack", "str")]
    part = list(PART_META)
    if v >= 7:
        part.append(("leader_epoch", "i32"))
    part += [("replica_nodes", ("arr", [("n", "i32")])), ("isr_nodes", ("arr", [("n", "i32")]))]
    if v >= 5:
        part.append(("offline_replicas", ("arr", [("n", "i32")])))
    topic = TOPIC_META + [("partitions", ("arr", part))]
    if v >= 8:
        topic.append(("topic_authorized_operations", "i32"))
    s = [("throttle_time_ms", "i32")] if v >= 3 else []
    s += [("brokers", ("arr", broker))] + ([("cluster_id", "str")] if v >= 2 else [])
    s += [("controller_id", "i32"), ("topics", ("arr", topic))]
    if v >= 8:
        s.append(("cluster_authorized_operations", "i32"))
    return s


API_VERSIONS = {
    0: [("error_code", "i16"), ("api_keys", ("arr", [("api_key", "i16"), ("min_version", "i16"),
                                                    ("max_version", "i16")]))],
    3: [("error_code", "i16"), ("api_keys", ("carr", [("api_key", "i16"), ("min_version", "i16"),
                                                     ("max_version", "i16"), ("_tags", "tags")])),
        ("throttle_time_ms", "i32"), ("_tags", "tags")],
}
API_VERSIONS[1] = API_VERSIONS[0] + [("throttle_time_ms", "i32")]
API_VERSIONS[2] = API_VERSIONS[1]

CREATE_TOPICS = [("throttle_time_ms", "i32"),
                 ("topics", ("arr", [("name", "str"), ("error_code", "i16"), ("error_message", "str")]))]
CREATE_TOPICS_5 = [("throttle_time_ms", "i32"), ("topics", ("carr", [
    ("name", "cstr"), ("error_code", "i16"), ("error_message", "cstr"), ("num_partitions", "i32"),
    ("replication_factor", "i16"), ("configs", ("carr", [
        ("name", "cstr"), ("value", "cstr"), ("read_only", "bool"), ("config_source", "i8"),
        ("is_sensitive", "bool"), ("_tags", "tags")])), ("_tags", "tags")])), ("_tags", "tags")]
DELETE_TOPICS = [("throttle_time_ms", "i32"), ("responses", ("arr", [("name", "str"), ("error_code", "i16")]))]


def produce_schema(v):
    part = [("index", "i32"), ("error_code", "i16"), ("base_offset", "i64"), ("log_append_time", "i64")]
    if v >= 5:
        part.append(("log_start_offset", "i64"))
    if v >= 8:
        part += [("record_errors", ("arr", [("batch_index", "i32"), ("message", "str")])),
                 ("error_message", "str")]
    return [("responses", ("arr", [("name", "str"), ("partitions", ("arr", part))])),
            ("throttle_time_ms", "i32")]


def fetch_schema(v):
    part = [("partition_index", "i32"), ("error_code", "i16"), ("high_watermark", "i64"),
            ("last_stable_offset", "i64")]
    if v >= 5:
        part.append(("log_start_offset", "i64"))
    part.append(("aborted_transactions", ("arr", [("producer_id", "i64"), ("first_offset", "i64")])))
    if v >= 11:
        part.append(("preferred_read_replica", "i32"))
    part.append(("records", "records"))
    s = [("throttle_time_ms", "i32")]
    if v >= 7:
        s += [("error_code", "i16"), ("session_id", "i32")]
    return s + [("responses", ("arr", [("topic", "str"), ("partitions", ("arr", part))]))]


def list_offsets_schema(v):
    part = [("partition_index", "i32"), ("error_code", "i16"), ("timestamp", "i64"), ("offset", "i64")]
    if v >= 4:
        part.append(("leader_epoch", "i32"))
    s = [("throttle_time_ms", "i32")] if v >= 2 else []
    return s + [("topics", ("arr", [("name", "str"), ("partitions", ("arr", part))]))]


OFFSET_COMMIT = [("throttle_time_ms", "i32"), ("topics", ("arr", [("name", "str"), (
    "partitions", ("arr", [("partition_index", "i32"), ("error_code", "i16")]))]))]
OFFSET_FETCH = [("throttle_time_ms", "i32"), ("topics", ("arr", [("name", "str"), (
    "partitions", ("arr", [("partition_index", "i32"), ("committed_offset", "i64"),
                           ("committed_leader_epoch", "i32"), ("metadata", "str"),
                           ("error_code", "i16")]))])), ("error_code", "i16")]


# ---------------------------------------------------------------- transport

class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.corr = 0

    def close(self):
        self.s.close()

    def _recv(self, n):
        chunks = []
        while n > 0:
            b = self.s.recv(n)
            check(b, "broker closed the connection")
            chunks.append(b)
            n -= len(b)
        return b"".join(chunks)

    def call(self, key, ver, body, flexible=False, flex_response_header=None):
        self.corr += 1
        hdr = struct.pack(">hhi", key, ver, self.corr) + string("oracle")
        if flexible:
            hdr += b"\0"
        frame = hdr + body
        self.s.sendall(s32(len(frame)) + frame)
        data = self._recv(struct.unpack(">i", self._recv(4))[0])
        check(struct.unpack_from(">i", data, 0)[0] == self.corr, "wrong correlation id")
        if flex_response_header is None:
            flex_response_header = flexible and key != 18   # ApiVersions: header v0
        return Reader(data[5:] if flex_response_header else data[4:])


# ---------------------------------------------------------------- comparing

def normalise(v):
    if isinstance(v, dict):
        return {k: normalise(x) for k, x in v.items() if k not in IGNORED}
    if isinstance(v, list):
        return [normalise(x) for x in v]
    if isinstance(v, bytes):
        return v.hex()
    return v


def differences(path, a, b, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            p = "%s.%s" % (path, k) if path else str(k)
            if k not in a or k not in b:
                out.append("%s: samsa=%r kafka=%r" % (p, a.get(k, "<absent>"), b.get(k, "<absent>")))
            else:
                differences(p, a[k], b[k], out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append("%s: samsa has %d entries, kafka %d: samsa=%r kafka=%r" % (path, len(a), len(b), a, b))
            return
        for i, (x, y) in enumerate(zip(a, b)):
            differences("%s[%d]" % (path, i), x, y, out)
    elif a != b:
        out.append("%s: samsa=%r kafka=%r" % (path, a, b))


found = []       # (line, allowed-by or None)
compared = [0]


def report(what, lines):
    for d in lines:
        line = "%s: %s" % (what, d)
        why = next((w for pat, w in ALLOWED if re.search(pat, line)), None)
        found.append((line, why))
        print("DIFF%s %s" % (" (allowed: %s)" % why if why else "", line), flush=True)


def compare(what, a, b):
    compared[0] += 1
    out = []
    differences("", normalise(a), normalise(b), out)
    report(what, out)


def error_codes(v):
    """Every error_code in a decoded response, in order."""
    if isinstance(v, dict):
        return [x for k, y in v.items() for x in ([y] if k == "error_code" else error_codes(y))]
    if isinstance(v, list):
        return [x for y in v for x in error_codes(y)]
    return []


def both(conns, what, key, ver, body, schema, flexible=False, sort=None, expect=None):
    """Sends one request to both brokers; compares the decoded responses.
    expect: the error codes both must answer (so the script is known to
    exercise what it names, whatever the comparison says)."""
    res = []
    for c in conns:
        who = "samsa" if c is conns[0] else "kafka"
        r = c.call(key, ver, body, flexible=flexible)
        try:
            d = decode(r, schema)
        except (harness.TestFailure, struct.error, IndexError) as e:
            fail("%s: %s's response does not decode (%s): %s" % (what, who, e, r.b.hex()))
        check(r.o == len(r.b), "%s: %d bytes left after decoding %s's response"
              % (what, len(r.b) - r.o, who))
        if sort:
            sort(d)
        res.append(d)
    compare(what, res[0], res[1])
    codes = [error_codes(d) for d in res]
    log("%s: error codes samsa=%s kafka=%s" % (what, codes[0], codes[1]))
    if expect is not None:
        for who, got in zip(("samsa", "kafka"), codes):
            check(got == expect, "%s: %s answered error codes %s, expected %s" % (what, who, got, expect))
    return res


# ---------------------------------------------------------------- Kafka

def start_kafka(c, work):
    """kafka.Kafka on a free port, chroot /oracle of the harness's ZooKeeper."""
    k = kafkautil.start_kafka(CP, c.zk.connect + "/oracle", 0, work, jvm=kafkautil.JVM_SMALL)
    log("kafka.Kafka %s up on %d" % (VERSION, k.port))
    return k


# ---------------------------------------------------------------- the script

def by_name(key, inner=None):
    def sort(d):
        d[key].sort(key=lambda x: x.get("name") or x.get("topic") or "")
        if inner:
            for t in d[key]:
                t[inner].sort(key=lambda p: p.get("partition_index", p.get("index", 0)))
    return sort


def create_topics_body(topics, validate_only=False, timeout=30000):
    """CreateTopics v1-v4 of [(name, partitions, rf, configs)]."""
    return array([string(n) + s32(p) + s16(rf) + array([]) +
                  array([string(k) + string(v) for k, v in cfg.items()])
                  for n, p, rf, cfg in topics]) + s32(timeout) + struct.pack(">?", validate_only)


def create_topics_body_5(topics, validate_only=False, timeout=30000):
    """CreateTopics v5 (flexible) of [(name, partitions, rf, configs)]."""
    def cstr(v):
        b = v.encode()
        return uvarint(len(b) + 1) + b
    body = uvarint(len(topics) + 1)
    for n, p, rf, cfg in topics:
        body += cstr(n) + s32(p) + s16(rf) + uvarint(1) + uvarint(len(cfg) + 1)
        body += b"".join(cstr(k) + cstr(v) + b"\0" for k, v in cfg.items()) + b"\0"
    return body + s32(timeout) + struct.pack(">?", validate_only) + b"\0"


def configs_by_name(d):
    """CreateTopics v5 configs as {name: entry}: their order is a hash
    order in Kafka."""
    for t in d["topics"]:
        if t["configs"] is not None:
            t["configs"] = {c.pop("name"): c for c in t["configs"]}


def metadata_body(v, topics, auto=False):
    body = s32(-1) if topics is None else array([string(t) for t in topics])
    if v >= 4:
        body += struct.pack(">?", auto)
    if v >= 8:
        body += b"\0\0"
    return body


def produce_body(v, topic, part, batch, acks=1):
    return ((string(None) if v >= 3 else b"") + s16(acks) + s32(30000) +
            array([string(topic) + array([s32(part) + s32(len(batch)) + batch])]))


def fetch_body(v, topic, part, offset, isolation=0):
    body = s32(-1) + s32(500) + s32(1) + s32(1 << 20) + s8(isolation)
    if v >= 7:
        body += s32(0) + s32(-1)
    p = s32(part)
    if v >= 9:
        p += s32(-1)
    p += s64(offset)
    if v >= 5:
        p += s64(-1)
    p += s32(1 << 20)
    body += array([string(topic) + array([p])])
    if v >= 7:
        body += array([])
    if v >= 11:
        body += string("")
    return body


def list_offsets_body(v, topic, ts_list):
    body = s32(-1) + (s8(0) if v >= 2 else b"")
    parts = []
    for p, ts in ts_list:
        parts.append(s32(p) + (s32(-1) if v >= 4 else b"") + s64(ts))
    return body + array([string(topic) + array(parts)])


def wait_topic(conns, topic, n):
    for c in conns:
        def ready():
            d = decode(c.call(3, 1, metadata_body(1, [topic])), metadata_schema(1))
            t = d["topics"][0]
            return t["error_code"] == 0 and len(t["partitions"]) == n and \
                all(p["leader_id"] >= 0 for p in t["partitions"])
        harness.wait_until(ready, 60, "%s to have leaders" % topic, interval=0.1)


def script(conns):
    # ApiVersions, every version (v3 flexible; its response header is v0)
    for v in range(4):
        if v == 3:
            body = b"\x07oracle\x05test\0"
        else:
            body = b""
        res = []
        for c in conns:
            r = c.call(18, v, body, flexible=v == 3)
            res.append(decode(r, API_VERSIONS[v]))
        a, b = res
        # Compare per api key: the keys both advertise field by field, the
        # rest as "only" lines.
        ka = {x["api_key"]: x for x in a.pop("api_keys")}
        kb = {x["api_key"]: x for x in b.pop("api_keys")}
        lines = []
        for k in sorted(set(ka) | set(kb)):
            if k not in kb:
                lines.append("api_keys: samsa only key %d" % k)
            elif k not in ka:
                lines.append("api_keys: kafka only key %d (%s)" % (k, "in 2.8" if k <= LAST_28_KEY else "after 2.8"))
            else:
                for f, newer in (("max_version", "kafka newer"), ("min_version", "kafka dropped")):
                    if ka[k][f] != kb[k][f]:
                        later = (ka[k][f] < kb[k][f]) == (f == "max_version")
                        lines.append("api_keys[%d].%s: samsa=%d kafka=%d%s" % (
                            k, f, ka[k][f], kb[k][f], " (%s)" % newer if later else ""))
                differences("api_keys[%d]" % k, {"_tags": ka[k]["_tags"]} if "_tags" in ka[k] else {},
                            {"_tags": kb[k]["_tags"]} if "_tags" in kb[k] else {}, lines)
        differences("", normalise(a), normalise(b), lines)
        compared[0] += 1
        report("ApiVersions v%d" % v, lines)
    # An ApiVersions version neither supports: UNSUPPORTED_VERSION in a v0 body
    res = [decode(c.call(18, 9, b"\x07oracle\x05test\0", flexible=True), API_VERSIONS[0]) for c in conns]
    compare("ApiVersions v9 (unsupported)", {"error_code": res[0]["error_code"]},
            {"error_code": res[1]["error_code"]})

    # CreateTopics
    both(conns, "CreateTopics v4 valid", 19, 4, create_topics_body(
        [(TOPIC, 3, 1, {"retention.ms": "86400000"}), ("oracle-b", 1, 1, {})]), CREATE_TOPICS,
        sort=by_name("topics"), expect=[0, 0])
    wait_topic(conns, TOPIC, 3)
    wait_topic(conns, "oracle-b", 1)
    both(conns, "CreateTopics v4 duplicate", 19, 4, create_topics_body([(TOPIC, 3, 1, {})]), CREATE_TOPICS,
         expect=[36])
    both(conns, "CreateTopics v3 invalid names", 19, 3, create_topics_body(
        [("bad/name", 1, 1, {}), ("..", 1, 1, {}), ("x" * 250, 1, 1, {})]), CREATE_TOPICS,
        sort=by_name("topics"))
    both(conns, "CreateTopics v4 replication factor 3 on one broker", 19, 4,
         create_topics_body([("oracle-rf", 1, 3, {})]), CREATE_TOPICS, expect=[38])
    both(conns, "CreateTopics v4 replication factor 0", 19, 4,
         create_topics_body([("oracle-rf0", 1, 0, {})]), CREATE_TOPICS)
    both(conns, "CreateTopics v4 partitions 0", 19, 4,
         create_topics_body([("oracle-p0", 0, 1, {})]), CREATE_TOPICS)
    both(conns, "CreateTopics v4 unknown config", 19, 4,
         create_topics_body([("oracle-cfg", 1, 1, {"no.such.config": "1"})]), CREATE_TOPICS)
    both(conns, "CreateTopics v4 validate_only", 19, 4,
         create_topics_body([("oracle-vo", 2, 1, {})], validate_only=True), CREATE_TOPICS, expect=[0])
    both(conns, "CreateTopics v2 same name twice in a request", 19, 2,
         create_topics_body([("oracle-twice", 1, 1, {}), ("oracle-twice", 1, 1, {})]), CREATE_TOPICS,
         sort=by_name("topics"))

    # CreateTopics v5 answers the topic's configs (validate_only: nothing
    # is created, so the same request can be compared twice over).
    for vo in (True, False):
        both(conns, "CreateTopics v5%s with configs" % (" validate_only" if vo else ""), 19, 5,
             create_topics_body_5([("oracle-v5", 2, 1, {"cleanup.policy": "compact",
                                                        "min.insync.replicas": "1"})], validate_only=vo),
             CREATE_TOPICS_5, flexible=True, sort=configs_by_name, expect=[0])
    both(conns, "CreateTopics v5 invalid config value", 19, 5,
         create_topics_body_5([("oracle-v5b", 1, 1, {"cleanup.policy": "sometimes"})]),
         CREATE_TOPICS_5, flexible=True, sort=configs_by_name)

    # Metadata
    for v in (1, 4, 8):
        both(conns, "Metadata v%d existing" % v, 3, v, metadata_body(v, [TOPIC, "oracle-b"]),
             metadata_schema(v), sort=by_name("topics", "partitions"))
    for v in (4, 8):
        both(conns, "Metadata v%d unknown topic, no auto-creation" % v, 3, v,
             metadata_body(v, ["oracle-none"]), metadata_schema(v))
    # v1 always asks for auto-creation: both create the topic (how far each
    # got by the answer is a race, so only that it now exists is compared).
    for c in conns:
        c.call(3, 1, metadata_body(1, ["oracle-auto"]))
    wait_topic(conns, "oracle-auto", 1)
    both(conns, "Metadata v4 auto-created topic", 3, 4, metadata_body(4, ["oracle-auto"]), metadata_schema(4))
    both(conns, "Metadata v4 validate_only topic absent", 3, 4, metadata_body(4, ["oracle-vo"]),
         metadata_schema(4))

    # Produce
    ts = int(time.time() * 1000)
    good = record_batch([b"a", b"bb", b"ccc"], ts=ts)
    both(conns, "Produce v3 acks 1", 0, 3, produce_body(3, TOPIC, 0, good), produce_schema(3),
         expect=[0])
    both(conns, "Produce v7 acks 1", 0, 7, produce_body(7, TOPIC, 0, record_batch([b"d"], ts=ts)),
         produce_schema(7))
    bad = bytearray(good)
    bad[-1] ^= 0xFF                          # the CRC no longer matches
    both(conns, "Produce v3 corrupt batch (crc)", 0, 3, produce_body(3, TOPIC, 1, bytes(bad)), produce_schema(3),
         expect=[2])
    both(conns, "Produce v8 corrupt batch (crc)", 0, 8, produce_body(8, TOPIC, 1, bytes(bad)), produce_schema(8))
    trunc = good[:-5]
    both(conns, "Produce v3 truncated batch", 0, 3, produce_body(3, TOPIC, 1, trunc), produce_schema(3))
    both(conns, "Produce v3 unknown partition", 0, 3, produce_body(3, TOPIC, 7, good), produce_schema(3))
    both(conns, "Produce v3 acks 2", 0, 3, produce_body(3, TOPIC, 0, good, acks=2), produce_schema(3),
         expect=[21])
    both(conns, "Produce v3 unknown topic", 0, 3, produce_body(3, "oracle-nowhere", 0, good), produce_schema(3))
    # A record count above the records the batch holds (CRC recomputed, so
    # only the count is wrong).
    miscount = bytearray(good)
    struct.pack_into(">i", miscount, 57, 5)
    struct.pack_into(">I", miscount, 17, crc32c(bytes(miscount[21:])))
    both(conns, "Produce v3 record count above the records", 0, 3,
         produce_body(3, TOPIC, 1, bytes(miscount)), produce_schema(3))
    both(conns, "Produce v3 acks 1 partition 2", 0, 3, produce_body(3, TOPIC, 2, good), produce_schema(3))

    # Fetch
    for v in (4, 11):
        for off in (0, 3, 4, 99):
            both(conns, "Fetch v%d offset %d" % (v, off), 1, v, fetch_body(v, TOPIC, 0, off), fetch_schema(v))
        both(conns, "Fetch v%d unknown partition" % v, 1, v, fetch_body(v, TOPIC, 9, 0), fetch_schema(v))
        both(conns, "Fetch v%d read_committed" % v, 1, v, fetch_body(v, TOPIC, 0, 0, isolation=1),
             fetch_schema(v))

    # ListOffsets
    for v in (1, 2, 5):
        both(conns, "ListOffsets v%d earliest/latest/timestamp" % v, 2, v,
             list_offsets_body(v, TOPIC, [(0, -2), (1, -1), (2, ts)]),
             list_offsets_schema(v), sort=by_name("topics", "partitions"))
        both(conns, "ListOffsets v%d timestamp past the end" % v, 2, v,
             list_offsets_body(v, TOPIC, [(0, ts + 3600000)]), list_offsets_schema(v))
    both(conns, "ListOffsets v1 partition listed twice", 2, 1,
         list_offsets_body(1, TOPIC, [(0, -2), (0, -1), (1, -1)]), list_offsets_schema(1),
         sort=by_name("topics", "partitions"))
    both(conns, "ListOffsets v1 unknown partition", 2, 1, list_offsets_body(1, TOPIC, [(7, -1)]),
         list_offsets_schema(1), expect=[3])
    both(conns, "ListOffsets v1 unknown topic", 2, 1, list_offsets_body(1, "oracle-none", [(0, -1)]),
         list_offsets_schema(1))

    # OffsetCommit / OffsetFetch for an unknown group and topic, once each
    # broker's group coordinator is up (its first answer is a race).
    for c in conns:
        def coordinator():
            r = c.call(10, 1, string("oracle-group") + s8(0))
            r.fixed(">i")
            return r.fixed(">h") == 0
        harness.wait_until(coordinator, 60, "a group coordinator", interval=0.1)
        def loaded():
            r = c.call(9, 5, string("oracle-warmup") + array([]))
            d = decode(r, OFFSET_FETCH)
            return d["error_code"] == 0
        harness.wait_until(loaded, 60, "the offsets partition to load", interval=0.1)
    commit = (string("oracle-group") + s32(-1) + string("") + string(None) + array([
        string(TOPIC) + array([s32(0) + s64(2) + s32(-1) + string("m")]),
        string("oracle-none") + array([s32(0) + s64(1) + s32(-1) + string("")])]))
    both(conns, "OffsetCommit v7 unknown group", 8, 7, commit, OFFSET_COMMIT, sort=by_name("topics"))
    for g in ("oracle-group", "oracle-never"):
        fetch = string(g) + array([string(TOPIC) + array([s32(0), s32(1)]),
                                   string("oracle-none") + array([s32(0)])])
        both(conns, "OffsetFetch v5 group %s" % g, 9, 5, fetch, OFFSET_FETCH,
             sort=by_name("topics", "partitions"))

    # DeleteTopics
    both(conns, "DeleteTopics v3", 20, 3, array([string("oracle-b"), string("oracle-none")]) + s32(30000),
         DELETE_TOPICS, sort=by_name("responses"), expect=[0, 3])


def znodes(c):
    """The znodes each wrote for topic creation, in its chroot: a topic
    with an override (CreateTopics v4), one with two (v5) and one
    auto-created by Metadata v1."""
    zk = c.kazoo(chroot=False)
    for topic, n, override in ((TOPIC, 3, ("retention.ms", "86400000")),
                               ("oracle-v5", 2, ("cleanup.policy", "compact")),
                               ("oracle-auto", 1, None)):
        res = []
        for chroot in ("/samsa", "/oracle"):
            t = json.loads(zk.get("%s/brokers/topics/%s" % (chroot, topic))[0])
            parts = {}
            for p in range(n):
                parts[p] = json.loads(zk.get("%s/brokers/topics/%s/partitions/%d/state"
                                             % (chroot, topic, p))[0])
            cfg = json.loads(zk.get("%s/config/topics/%s" % (chroot, topic))[0])
            res.append({"topic": t, "state": parts, "config": cfg})
        for r in res:
            r["topic"]["topic_id"] = "present" if r["topic"].get("topic_id") else "absent"   # random
            for st in r["state"].values():
                st.pop("controller_epoch", None)        # a per-cluster counter
        log("znodes of %s: samsa %s, kafka %s" % (topic, json.dumps(res[0], sort_keys=True),
                                                   json.dumps(res[1], sort_keys=True)))
        if override:
            check(res[0]["config"].get("config", {}).get(override[0]) == override[1],
                  "samsa's /config/topics/%s lacks %s=%s" % (topic, override[0], override[1]))
        compare("znode /brokers/topics/%s (+partition state, config)" % topic, res[0], res[1])


def test(c):
    work = tempfile.mkdtemp(prefix="samsa-oracle-", dir=c.root)
    k = start_kafka(c, work)
    ok = False
    try:
        conns = [Conn(c.brokers[0].port), Conn(k.port)]
        script(conns)
        znodes(c)
        ok = True
    finally:
        kafkautil.stop_kafka(k)
        if not ok:
            print("---- kafka server.log (tail)\n" + k.log_tail(60))
    bad = [line for line, why in found if why is None]
    log("%d comparisons, %d differences (%d allowed)" % (compared[0], len(found), len(found) - len(bad)))
    check(not bad, "%d differences from Kafka %s not in the allow-list:\n  %s"
          % (len(bad), VERSION, "\n  ".join(bad)))


def main():
    global CP
    javautil.require_tools()
    work = tempfile.mkdtemp(prefix="samsa-oracle-cp-")
    t0 = time.monotonic()
    try:
        try:
            CP = javautil.resolve(VERSION, work, profile="cli", what="kafka_2.13")
        except harness.TestFailure as e:
            # The repository could not be reached: a finding on CI (which
            # must have the network or a primed ~/.m2), a SKIP elsewhere.
            if javautil.ON_CI:
                print("FAIL: %s" % e, flush=True)
                sys.exit(1)
            javautil.skip("cannot fetch org.apache.kafka:kafka_2.13:%s: %s" % (VERSION, str(e)[-1500:]))
        if CP is None:
            sys.exit(0)
        # The same static settings as Kafka's (config sources compare too).
        harness.main(test, brokers=1, chroot="/samsa", name=NAME,
                     broker_props={"inter.broker.protocol.version": "2.8",
                                   "log.message.format.version": "2.8"})
    finally:
        shutil.rmtree(work, ignore_errors=True)
        print("==== %.0fs" % (time.monotonic() - t0), flush=True)


if __name__ == "__main__":
    main()
