#!/usr/bin/python3
"""Proves the plaintext read path frames requests right whatever way the
bytes arrive: a Produce request split into many small writes (its size
prefix split too) is answered as one; 60 requests in one write are all
answered, in order; a frame of exactly socket.request.max.bytes is served
and one byte more closes the connection with the WARN line naming the peer;
clients that close in the middle of a size prefix or a body give back the
request memory they were granted (queued.max.request.bytes equals
socket.request.max.bytes here, so a single leaked grant would leave the
final full-size request waiting forever), and the data produced is all
there, in order."""
import os
import random
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402
from produceutil import array, record_batch, s16, s32, string, Conn  # noqa: E402

TOPIC = "frame-reads"
MAX = 256 * 1024


def produce_frame(values, corr):
    """A whole Produce v3 frame (size prefix included), acks=1."""
    batch = record_batch(values)
    body = (string(None) + s16(1) + s32(30000) +
            array([string(TOPIC) + array([s32(0) + s32(len(batch)) + batch])]))
    payload = struct.pack(">hhi", 0, 3, corr) + string("frame-reads") + body
    return s32(len(payload)) + payload


def api_versions_frame(corr):
    payload = struct.pack(">hhi", 18, 0, corr) + string("frame-reads")
    return s32(len(payload)) + payload


def frame_of_size(size, corr):
    """A one-record Produce frame whose size prefix says exactly size."""
    guess = size - 200
    overhead = len(produce_frame([b"m" * guess], corr)) - 4 - guess
    for vlen in (size - overhead, size - overhead - 1, size - overhead + 1,
                 size - overhead - 2, size - overhead + 2):
        f = produce_frame([b"m" * vlen], corr)
        if len(f) - 4 == size:
            return f
    raise AssertionError("no value length gives a %d-byte frame" % size)


def recv_exact(s, n):
    chunks = []
    while n > 0:
        b = s.recv(n)
        check(b, "broker closed the connection")
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def read_response(s):
    data = recv_exact(s, struct.unpack(">i", recv_exact(s, 4))[0])
    return struct.unpack_from(">i", data, 0)[0], data[4:]


def produce_result(body):
    """(error, base offset) of a one-partition Produce v3 response."""
    p = 4
    n = struct.unpack_from(">h", body, p)[0]
    p += 2 + n + 4
    _idx, err, base = struct.unpack_from(">ihq", body, p)
    return err, base


def connect(c):
    s = socket.create_connection(("127.0.0.1", c.brokers[0].port), timeout=60)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def split_writes(c, expected_offset):
    rnd = random.Random(66)
    letters = "abcdefghijklmnopqrstuvwxyz0123456789"
    values = [("split-%03d-" % i + "".join(rnd.choice(letters) for _ in range(900))).encode()
              for i in range(100)]
    frame = produce_frame(values, corr=11)
    s = connect(c)
    # the size prefix in two pieces, then the body in small random pieces;
    # the short pauses let the broker read each piece on its own
    pieces = [frame[:1], frame[1:4]]
    pos = 4
    while pos < len(frame):
        n = rnd.choice((1, 7, 100, 1500, 4096, 9000))
        pieces.append(frame[pos:pos + n])
        pos += n
    for i, piece in enumerate(pieces):
        s.sendall(piece)
        if i % 8 == 0:
            time.sleep(0.002)
    corr, body = read_response(s)
    check(corr == 11, "split request: correlation id %d, expected 11" % corr)
    err, base = produce_result(body)
    check(err == 0 and base == expected_offset,
          "split request: error %d base offset %d, expected 0 and %d" % (err, base, expected_offset))
    log("a %d-byte Produce request sent in %d writes was answered: base offset %d"
        % (len(frame), len(pieces), base))
    s.close()
    return expected_offset + len(values)


def one_write(c, expected_offset):
    frames, expect = [], []
    for i in range(60):
        corr = 100 + i
        if i % 3 == 2:
            frames.append(api_versions_frame(corr))
            expect.append((corr, None))
        else:
            frames.append(produce_frame([("pipe-%02d-%d" % (i, k)).encode() for k in range(5)], corr))
            expect.append((corr, expected_offset))
            expected_offset += 5
    s = connect(c)
    s.sendall(b"".join(frames))
    for corr, base in expect:
        got, body = read_response(s)
        check(got == corr, "pipelined: correlation id %d, expected %d" % (got, corr))
        if base is None:
            check(struct.unpack_from(">h", body, 0)[0] == 0, "ApiVersions %d failed" % corr)
        else:
            err, b = produce_result(body)
            check(err == 0 and b == base, "pipelined Produce %d: error %d base offset %d, "
                  "expected 0 and %d" % (corr, err, b, base))
    log("60 requests (40 Produce, 20 ApiVersions) in one %d-byte write: all answered in order"
        % sum(len(f) for f in frames))
    s.close()
    return expected_offset


def at_the_limit(c, expected_offset):
    s = connect(c)
    s.sendall(frame_of_size(MAX, 21))
    corr, body = read_response(s)
    err, base = produce_result(body)
    check(corr == 21 and err == 0 and base == expected_offset,
          "a frame of exactly socket.request.max.bytes: corr %d error %d base %d" % (corr, err, base))
    log("a frame of exactly socket.request.max.bytes (%d) was served" % MAX)
    expected_offset += 1
    # one byte more: closed without an answer, the WARN line names the peer
    peer = "127.0.0.1:%d" % s.getsockname()[1]
    s.sendall(frame_of_size(MAX + 1, 22)[:4096])
    try:
        got = s.recv(16)
    except ConnectionResetError:
        got = b""
    check(got == b"", "a frame over socket.request.max.bytes got an answer")
    s.close()
    line = "Closing connection from %s: request size %d exceeds socket.request.max.bytes %d" % (
        peer, MAX + 1, MAX)
    wait_until(lambda: line in c.brokers[0].log_text(), 30, "the WARN line '%s'" % line)
    log("a frame of socket.request.max.bytes + 1 closed the connection: %s" % line)
    return expected_offset


def closing_mid_frame(c):
    full = frame_of_size(MAX, 31)
    cuts = [1, 2, 3, 4, 5, 100, MAX // 2, MAX + 3]  # MAX + 3: all but the last byte
    for rnd in range(3):
        for cut in cuts:
            s = connect(c)
            s.sendall(full[:cut])
            s.close()
    # a reset instead of an orderly close, in the middle of a body
    s = connect(c)
    s.sendall(full[:MAX // 3])
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    log("%d connections closed in the middle of a size prefix or a body" % (3 * len(cuts) + 1))


def test(c):
    c.create_topic(TOPIC, partitions=1, rf=1)
    c.wait_for_leaders(TOPIC, 1)
    off = split_writes(c, 0)
    off = one_write(c, off)
    off = at_the_limit(c, off)
    closing_mid_frame(c)
    # with queued.max.request.bytes = socket.request.max.bytes a leaked
    # grant would keep this full-size frame waiting for memory forever
    s = connect(c)
    s.sendall(frame_of_size(MAX, 41))
    corr, body = read_response(s)
    err, base = produce_result(body)
    check(corr == 41 and err == 0 and base == off,
          "full-size frame after the aborted ones: corr %d error %d base %d (expected %d)"
          % (corr, err, base, off))
    s.close()
    off += 1
    log("a full-size request after them was granted memory and answered")
    conn = Conn(c.brokers[0].port)
    end = conn.end_offset(TOPIC, 0)
    conn.close()
    check(end == off, "end offset %d, expected %d" % (end, off))
    recs = c.read_partition(TOPIC, 0)
    check([r[2] for r in recs] == list(range(off)), "read %d records back, expected offsets "
          "0..%d" % (len(recs), off - 1))
    check(recs[0][1].startswith(b"split-000-") and recs[99][1].startswith(b"split-099-") and
          recs[100][1] == b"pipe-00-0" and recs[104][1] == b"pipe-00-4" and
          recs[105][1] == b"pipe-01-0",
          "records out of order: %r %r" % (recs[0][1][:12], recs[100][1]))
    log("all %d records read back in order" % off)


if __name__ == "__main__":
    harness.main(test, broker_props={"socket.request.max.bytes": str(MAX),
                                     "queued.max.request.bytes": str(MAX)})
