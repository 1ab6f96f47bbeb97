"""A minimal raw Kafka client for the idempotent-producer tests: v2 record
batches with producer id, epoch and base sequence, Produce v3 (one batch per
request), InitProducerId v0-v4 and ListOffsets v1, over one socket, so a test
can send exactly the bytes a retrying producer sends."""
import socket
import struct
import time

from harness import check

INT32_MAX = 2 ** 31 - 1


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


def compact_string(v):
    if v is None:
        return b"\0"
    b = v.encode()
    return uvarint(len(b) + 1) + b


def array(items):
    return s32(len(items)) + b"".join(items)


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
    return uvarint((v << 1) ^ (v >> 63))


def record_batch(values, pid=-1, epoch=-1, seq=-1, ts=None, attrs=0):
    """ts defaults to now: producer state expires by the batch timestamps
    (transactional.id.expiration.ms), so old ones would be forgotten."""
    if ts is None:
        ts = int(time.time() * 1000)
    recs = b""
    for i, v in enumerate(values):
        body = b"\0" + zigzag(0) + zigzag(i) + zigzag(-1) + zigzag(len(v)) + v + zigzag(0)
        recs += zigzag(len(body)) + body
    after_crc = (struct.pack(">hiqqqhii", attrs, len(values) - 1, ts, ts, pid, epoch, seq,
                             len(values)) + recs)
    tail = struct.pack(">ibI", 0, 2, crc32c(after_crc)) + after_crc
    return struct.pack(">qi", 0, len(tail)) + tail


class Conn:
    """One connection; requests are answered in order."""

    def __init__(self, port, timeout=60):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
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

    def call(self, key, ver, body, flexible=False):
        self.corr += 1
        hdr = struct.pack(">hhi", key, ver, self.corr) + string("produceutil")
        if flexible:
            hdr += b"\0"
        frame = hdr + body
        self.s.sendall(s32(len(frame)) + frame)
        data = self._recv(struct.unpack(">i", self._recv(4))[0])
        check(struct.unpack_from(">i", data, 0)[0] == self.corr, "wrong correlation id")
        return data[5:] if flexible else data[4:]

    def init_producer_id(self, ver=0, txn_id=None, timeout_ms=-1, pid=-1, epoch=-1):
        """Returns (error, producer id, epoch)."""
        flex = ver >= 2
        body = (compact_string(txn_id) if flex else string(txn_id)) + s32(timeout_ms)
        if ver >= 3:
            body += s64(pid) + s16(epoch)
        if flex:
            body += b"\0"
        r = self.call(22, ver, body, flexible=flex)
        _thr, err, got_pid, got_epoch = struct.unpack_from(">ihqh", r, 0)
        return err, got_pid, got_epoch

    def produce(self, topic, partition, batch, acks=-1, txn_id=None):
        """Produce v3 of one batch; returns (error, base offset)."""
        body = (string(txn_id) + s16(acks) + s32(30000) +
                array([string(topic) + array([s32(partition) + s32(len(batch)) + batch])]))
        r = self.call(0, 3, body)
        p = 4
        n = struct.unpack_from(">h", r, p)[0]
        p += 2 + n + 4  # topic name, partition count
        _idx, err, base = struct.unpack_from(">ihq", r, p)
        return err, base

    def end_offset(self, topic, partition):
        """ListOffsets v1 latest."""
        body = s32(-1) + array([string(topic) + array([s32(partition) + s64(-1)])])
        r = self.call(2, 1, body)
        p = 4
        n = struct.unpack_from(">h", r, p)[0]
        p += 2 + n + 4
        _idx, err, _ts, off = struct.unpack_from(">ihqq", r, p)
        check(err == 0, "ListOffsets error %d" % err)
        return off
