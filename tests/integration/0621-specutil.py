#!/usr/bin/python3
"""specutil (the spec-driven codec of the differential oracle) gives the
same results as the hand-written schemas 0620-differential_oracle.py used
before it: the request bodies that test built by hand encode to the same
bytes, and responses of every version it decoded (filled with distinct
values in every field, nulls and empty arrays included) decode to the same
values. Then a round trip of every request and response version of every
spec, and a truncated response that must not decode. No broker is started.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import specutil  # noqa: E402
from harness import check  # noqa: E402
from produceutil import crc32c, record_batch  # noqa: E402

# ------------------------------------------------ the former hand-written codec

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



# ------------------------------------------------ checks


def sample(msg, s, v, seed, null_every=3):
    """A value of struct s at version v with a distinct value in every
    field (tagged fields keep their defaults, as the old schemas kept tags
    raw); every null_every-th nullable field is null."""
    d = {}
    for f in s.fields:
        if not msg.present(f, v):
            continue
        if msg.tagged(f, v):
            d[f.name] = msg.default(f, v)
            continue
        seed[0] += 1
        n = seed[0]
        if msg.nullable(f, v) and n % null_every == 0:
            d[f.name] = None
            continue

        def one():
            seed[0] += 1
            m = seed[0]
            if f.struct is not None:
                return sample(msg, f.struct, v, seed, null_every)
            if f.base == "bool":
                return m % 2 == 0
            if f.base in specutil.FIXED:
                return m % 100
            if f.base == "string":
                return "s%d" % m
            if f.base == "uuid":
                return "%032x" % m
            if f.base == "records":
                return record_batch([b"r%d" % m, b"x"], ts=1000 + m)
            return b"b%d" % m
        d[f.name] = [one() for _ in range(n % 3)] if f.is_array else one()
    return d


def old_form(v, records_decoder):
    """The old decoder's shape: arrays of primitives were [{"n": x}], records
    were decoded batches, empty tag sections were {}."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if k == "_tags":
                continue
            if isinstance(x, list) and x and not isinstance(x[0], dict):
                x = [{"n": y} for y in x]
            out[k] = old_form(x, records_decoder)
        return out
    if isinstance(v, list):
        return [old_form(x, records_decoder) for x in v]
    if isinstance(v, (bytes, bytearray)):
        return records_decoder(v)
    return v


# The old schemas' names for fields the specs name otherwise, per API key.
RENAMED = {0: {"partitions": "partition_responses", "log_append_time": "log_append_time_ms"}}


def drop_tags(v, renamed):
    if isinstance(v, dict):
        return {renamed.get(k, k): drop_tags(x, renamed) for k, x in v.items() if k != "_tags"}
    if isinstance(v, list):
        return [drop_tags(x, renamed) for x in v]
    return v


OLD_RESPONSES = [
    (18, 0, API_VERSIONS[0]), (18, 1, API_VERSIONS[1]), (18, 2, API_VERSIONS[2]), (18, 3, API_VERSIONS[3]),
    (3, 1, metadata_schema(1)), (3, 4, metadata_schema(4)), (3, 8, metadata_schema(8)),
    (19, 2, CREATE_TOPICS), (19, 3, CREATE_TOPICS), (19, 4, CREATE_TOPICS), (19, 5, CREATE_TOPICS_5),
    (20, 3, DELETE_TOPICS), (0, 3, produce_schema(3)), (0, 7, produce_schema(7)), (0, 8, produce_schema(8)),
    (1, 4, fetch_schema(4)), (1, 11, fetch_schema(11)), (2, 1, list_offsets_schema(1)),
    (2, 2, list_offsets_schema(2)), (2, 5, list_offsets_schema(5)), (8, 7, OFFSET_COMMIT),
    (9, 5, OFFSET_FETCH),
]


def check_responses():
    n = 0
    for key, v, schema in OLD_RESPONSES:
        msg = specutil.RESPONSES[key]
        for null_every in (3, 1000):
            val = sample(msg, msg.m.root, v, [key * 100 + v], null_every)
            frame = msg.encode(v, val)
            r = Reader(frame)
            old = decode(r, schema)
            check(r.o == len(frame), "%s v%d: the old schema left %d bytes" % (msg.name, v, len(frame) - r.o))
            new, end = msg.decode(v, frame)
            check(end == len(frame), "%s v%d: specutil left %d bytes" % (msg.name, v, len(frame) - end))
            check(new == val, "%s v%d: round trip changed the value" % (msg.name, v))
            got = old_form({k: x for k, x in new.items() if not msg.tagged(
                next(f for f in msg.m.root.fields if f.name == k), v)}, decode_records)
            check(got == drop_tags(old, RENAMED.get(key, {})), "%s v%d: specutil %r, old schema %r" % (msg.name, v, got, old))
            n += 1
    return n


def check_requests():
    ts = 1700000000000
    good = record_batch([b"a", b"bb"], ts=ts)
    cases = []
    for v in (1, 4, 8):
        cases.append((3, v, metadata_body(v, ["a", "b"]),
                      {"topics": [{"name": "a"}, {"name": "b"}], "allow_auto_topic_creation": False}))
    cases.append((3, 1, metadata_body(1, None), {"topics": None}))
    ct = [("t", 3, 1, {"retention.ms": "1"}), ("u", 1, 1, {})]
    ct_value = {"topics": [{"name": "t", "num_partitions": 3, "replication_factor": 1,
                            "configs": [{"name": "retention.ms", "value": "1"}]},
                           {"name": "u", "num_partitions": 1, "replication_factor": 1}],
                "timeout_ms": 30000, "validate_only": True}
    cases.append((19, 4, create_topics_body(ct, validate_only=True), ct_value))
    cases.append((19, 5, create_topics_body_5(ct, validate_only=True), ct_value))
    for v in (3, 7, 8):
        cases.append((0, v, produce_body(v, "t", 1, good),
                      {"acks": 1, "timeout_ms": 30000, "topic_data": [
                          {"name": "t", "partition_data": [{"index": 1, "records": good}]}]}))
    for v in (4, 11):
        cases.append((1, v, fetch_body(v, "t", 2, 7, isolation=1),
                      {"max_wait_ms": 500, "min_bytes": 1, "max_bytes": 1 << 20, "isolation_level": 1,
                       "topics": [{"topic": "t", "partitions": [
                           {"partition": 2, "fetch_offset": 7, "partition_max_bytes": 1 << 20}]}]}))
    for v in (1, 2, 5):
        cases.append((2, v, list_offsets_body(v, "t", [(0, -2), (1, ts)]),
                      {"replica_id": -1, "topics": [{"name": "t", "partitions": [{"partition_index": 0, "timestamp": -2},
                                                              {"partition_index": 1, "timestamp": ts}]}]}))
    # arrays of strings: each string keeps its own (int16 or compact) length
    cases.append((15, 0, array([string("abc"), string("de")]), {"groups": ["abc", "de"]}))
    cases.append((20, 4, uvarint(2) + uvarint(4) + b"abc" + s32(5) + b"\0", {"topic_names": ["abc"], "timeout_ms": 5}))
    for key, v, old, value in cases:
        new = specutil.REQUESTS[key].encode(v, value)
        check(new == old, "%s v%d: specutil %s, by hand %s" % (specutil.NAMES[key], v, new.hex(), old.hex()))
    return len(cases)


def check_all_versions():
    """Every version of every message round-trips; a truncated flexible
    response is refused, not misread."""
    n = 0
    for table in (specutil.REQUESTS, specutil.RESPONSES):
        for key, msg in sorted(table.items()):
            for v in range(msg.lo, msg.hi + 1):
                val = sample(msg, msg.m.root, v, [v])
                frame = msg.encode(v, val)
                back, end = msg.decode(v, frame)
                check(end == len(frame) and back == val, "%s v%d does not round-trip" % (msg.name, v))
                n += 1
    msg = specutil.RESPONSES[18]
    frame = msg.encode(3, {"api_keys": [{"api_key": 1}], "finalized_features_epoch": 5})
    back, _ = msg.decode(3, frame)
    check(back["finalized_features_epoch"] == 5 and back["supported_features"] == [],
          "ApiVersions v3 tagged fields: %r" % back)
    try:
        msg.decode(3, frame[:-3])
        check(False, "a truncated ApiVersions v3 response decoded")
    except specutil.CodecError:
        pass
    return n


def main():
    a = check_requests()
    b = check_responses()
    c = check_all_versions()
    print("specutil: %d request bodies as by hand, %d responses as the old schemas, "
          "%d message versions round-trip" % (a, b, c), flush=True)
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
