"""Raw Kafka protocol calls for the group tests: what confluent-kafka 1.7
does not expose (member ids, DeleteGroups, OffsetCommit/OffsetDelete to
arbitrary topics, Heartbeat as another instance). Non-flexible versions
only, so every encoding here is plain big-endian fields."""

import socket
import struct

from harness import check


class Reader:
    def __init__(self, b):
        self.b = b
        self.o = 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.b, self.o)
        self.o += struct.calcsize(fmt)
        return v[0]

    def i16(self):
        return self.take(">h")

    def i32(self):
        return self.take(">i")

    def i64(self):
        return self.take(">q")

    def string(self):
        n = self.i16()
        if n < 0:
            return None
        s = self.b[self.o:self.o + n].decode()
        self.o += n
        return s

    def bytes_(self):
        n = self.i32()
        if n < 0:
            return None
        s = self.b[self.o:self.o + n]
        self.o += n
        return s

    def array(self, item):
        n = self.i32()
        return [item() for _ in range(max(n, 0))]


def s16(s):
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def arr(items, enc):
    return struct.pack(">i", len(items)) + b"".join(enc(x) for x in items)


_corr = [0]


def call(bootstrap, api_key, version, body, timeout=30):
    """Sends one request (header v1) and returns a Reader on the response
    body (after the correlation id)."""
    host, port = bootstrap.split(":")
    _corr[0] += 1
    req = struct.pack(">hhi", api_key, version, _corr[0]) + s16("grouputil") + body
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(struct.pack(">i", len(req)) + req)
        buf = b""
        while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
            chunk = s.recv(65536)
            check(chunk, "connection closed before the response to api %d" % api_key)
            buf += chunk
    r = Reader(buf[4:])
    check(r.i32() == _corr[0], "correlation id mismatch")
    return r


def describe_group(bootstrap, group):
    """DescribeGroups v4: (error, state, [(member_id, instance_id)])."""
    r = call(bootstrap, 15, 4, arr([group], s16) + b"\x00")
    r.i32()

    def member():
        m = (r.string(), r.string())
        r.string()
        r.string()
        r.bytes_()
        r.bytes_()
        return m

    def grp():
        err = r.i16()
        r.string()
        state = r.string()
        r.string()
        r.string()
        members = r.array(member)
        r.i32()
        return err, state, members
    return r.array(grp)[0]


def heartbeat(bootstrap, group, generation, member_id, instance_id):
    """Heartbeat v3: the error code."""
    r = call(bootstrap, 12, 3, s16(group) + struct.pack(">i", generation) + s16(member_id) + s16(instance_id))
    r.i32()
    return r.i16()


def delete_groups(bootstrap, groups):
    """DeleteGroups v1: {group: error}."""
    r = call(bootstrap, 42, 1, arr(groups, s16))
    r.i32()
    return dict(r.array(lambda: (r.string(), r.i16())))


def offset_commit(bootstrap, group, offsets, generation=-1, member_id="", instance_id=None):
    """OffsetCommit v7 of {(topic, partition): offset}: {(topic, partition): error}."""
    topics = {}
    for (t, p), o in offsets.items():
        topics.setdefault(t, []).append((p, o))
    body = s16(group) + struct.pack(">i", generation) + s16(member_id) + s16(instance_id)
    body += arr(list(topics.items()), lambda tp: s16(tp[0]) + arr(
        tp[1], lambda po: struct.pack(">iqi", po[0], po[1], -1) + s16("")))
    r = call(bootstrap, 8, 7, body)
    r.i32()
    out = {}
    for name, parts in r.array(lambda: (r.string(), r.array(lambda: (r.i32(), r.i16())))):
        for p, e in parts:
            out[(name, p)] = e
    return out


def offset_fetch(bootstrap, group, partitions):
    """OffsetFetch v5 of [(topic, partition)] (None: all):
    (group error, {(topic, partition): (offset, error)})."""
    if partitions is None:
        tbody = struct.pack(">i", -1)
    else:
        topics = {}
        for t, p in partitions:
            topics.setdefault(t, []).append(p)
        tbody = arr(list(topics.items()), lambda tp: s16(tp[0]) + arr(tp[1], lambda p: struct.pack(">i", p)))
    r = call(bootstrap, 9, 5, s16(group) + tbody)
    r.i32()
    out = {}

    def part():
        p = r.i32()
        off = r.i64()
        r.i32()
        r.string()
        return p, off, r.i16()
    for name, parts in r.array(lambda: (r.string(), r.array(part))):
        for p, off, e in parts:
            out[(name, p)] = (off, e)
    return r.i16(), out


def offset_delete(bootstrap, group, partitions):
    """OffsetDelete v0 of [(topic, partition)]: (group error, {(topic, partition): error})."""
    topics = {}
    for t, p in partitions:
        topics.setdefault(t, []).append(p)
    body = s16(group) + arr(list(topics.items()), lambda tp: s16(tp[0]) + arr(
        tp[1], lambda p: struct.pack(">i", p)))
    r = call(bootstrap, 47, 0, body)
    err = r.i16()
    r.i32()
    out = {}
    for name, parts in r.array(lambda: (r.string(), r.array(lambda: (r.i32(), r.i16())))):
        for p, e in parts:
            out[(name, p)] = e
    return err, out


def find_coordinator(bootstrap, group):
    """FindCoordinator v1: (error, node id)."""
    r = call(bootstrap, 10, 1, s16(group) + b"\x00")
    r.i32()
    err = r.i16()
    r.string()
    return err, r.i32()


def wait_coordinator(bootstrap, group, timeout=60):
    """Waits until the group's coordinator is known and has loaded it."""
    from harness import wait_until

    def ready():
        if find_coordinator(bootstrap, group)[0] != 0:
            return False
        return describe_group(bootstrap, group)[0] == 0
    wait_until(ready, timeout, "the coordinator of group %s" % group)
