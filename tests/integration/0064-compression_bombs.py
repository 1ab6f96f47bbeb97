#!/usr/bin/python3
"""Compression bombs: 16 concurrent clients each Produce (v7, acks=1) a batch
of one record of hundreds of MB of zeros compressed to a few KB (gzip, zstd,
lz4 frames, snappy in xerial framing), or a corrupted / truncated one, while
a kcat client keeps producing and consuming on another topic.

Asserted: valid bombs are accepted iff Kafka 2.8 would accept them (only the
compressed batch is held against max.message.bytes: accepted if it fits,
MESSAGE_TOO_LARGE otherwise); corrupt ones get CORRUPT_MESSAGE and a log line
naming the client; the kcat traffic succeeds throughout; an accepted bomb is
served back by Fetch byte for byte; and the broker's VmRSS, sampled during the
whole run, stays under RSS_BOUND_MB (docs/design/memory.md, "Decompression")
where decoding one bomb whole would take 250 MB.
"""

import os
import shutil
import socket
import struct
import subprocess
import threading
import time
import zlib

import harness
from harness import check, log

RECORD_BYTES = 250 * 1000 * 1000      # the zeros in one bomb record
SNAPPY_RECORD_BYTES = 20 * 1000 * 1000  # snappy peaks near 21:1; stays under 1 MB
MAX_MESSAGE_BYTES = 1048588           # broker default message.max.bytes
RSS_BOUND_MB = 256
CLIENTS = 16
ROUNDS = 2
CORRUPT_MESSAGE = 2
MESSAGE_TOO_LARGE = 10
CHUNK = 1 << 20

# ---- record batch v2 by hand ----

_CRC32C = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC32C.append(_c)


def crc32c(data):
    crc = 0xFFFFFFFF
    tab = _CRC32C
    for b in data:
        crc = tab[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def varint(v):
    v = (v << 1) ^ (v >> 63)       # zigzag
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def record_pieces(n):
    """The uncompressed records of the bomb batch as (prefix, zeros, suffix):
    one record, null key, a value of n zero bytes, no headers."""
    body_prefix = b"\x00" + varint(0) + varint(0) + varint(-1) + varint(n)
    body_len = len(body_prefix) + n + 1
    return varint(body_len) + body_prefix, n, varint(0)


def stream_pieces(n):
    prefix, zeros, suffix = record_pieces(n)
    yield prefix
    zero = bytes(CHUNK)
    while zeros:
        k = min(CHUNK, zeros)
        yield zero[:k]
        zeros -= k
    yield suffix


def batch(codec, payload, count=1):
    now = int(time.time() * 1000)
    after_crc = struct.pack(">hiqqqhii", codec, count - 1, now, now, -1, -1, -1, count) + payload
    crc = crc32c(after_crc)
    head = struct.pack(">bI", 2, crc) + after_crc
    return struct.pack(">qii", 0, 4 + len(head), -1) + head


def gzip_bomb(n):
    z = zlib.compressobj(6, zlib.DEFLATED, 31)
    out = [z.compress(p) for p in stream_pieces(n)]
    out.append(z.flush())
    return b"".join(out)


def cli_bomb(cmd, n):
    """Compresses the records with a codec's command-line tool reading stdin
    (so the frame carries no content size, as a streaming producer's)."""
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out = []
    reader = threading.Thread(target=lambda: out.append(p.stdout.read()))
    reader.start()
    for piece in stream_pieces(n):
        p.stdin.write(piece)
    p.stdin.close()
    reader.join()
    check(p.wait() == 0, "%s failed" % cmd[0])
    return out[0]


def snappy_literal(data):
    check(0 < len(data) <= 60, "literal too long")
    return bytes([(len(data) - 1) << 2]) + data


def snappy_zero_block(n):
    """Raw snappy of n zero bytes: one literal zero, then copies at offset 1."""
    out = bytearray()
    u = n                          # decoded length, an unsigned varint
    while True:
        b = u & 0x7F
        u >>= 7
        out.append(b | (0x80 if u else 0))
        if not u:
            break
    out += snappy_literal(b"\x00")
    left = n - 1
    while left:
        k = min(64, left)
        out += bytes([((k - 1) << 2) | 2, 1, 0])
        left -= k
    return bytes(out)


def snappy_raw_literal_block(data):
    return bytes([len(data)]) + snappy_literal(data)


def snappy_bomb(n):
    """snappy-java's xerial framing: magic, version 1, compatible 1, then
    (be32 length, raw snappy block) pairs of at most 32 KiB decoded."""
    prefix, zeros, suffix = record_pieces(n)
    blocks = [snappy_raw_literal_block(prefix)]
    full = snappy_zero_block(32768)
    blocks += [full] * (zeros // 32768)
    if zeros % 32768:
        blocks.append(snappy_zero_block(zeros % 32768))
    blocks.append(snappy_raw_literal_block(suffix))
    out = [b"\x82SNAPPY\x00", struct.pack(">ii", 1, 1)]
    for b in blocks:
        out.append(struct.pack(">i", len(b)) + b)
    return b"".join(out)


def corrupt(payload):
    """Flips 16 bytes in the middle of a compressed stream."""
    mid = len(payload) // 2
    return payload[:mid] + bytes(b ^ 0xFF for b in payload[mid:mid + 16]) + payload[mid + 16:]


# ---- Produce v7 / Fetch v11 over a socket ----

def _str(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def _recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        check(chunk, "connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return bytes(buf)


def produce(sock, topic, records, corr, client):
    body = struct.pack(">hhi", -1, 1, 60000)            # null txn id, acks=1, timeout
    body += struct.pack(">i", 1) + _str(topic) + struct.pack(">i", 1)
    body += struct.pack(">ii", 0, len(records)) + records
    req = struct.pack(">hhi", 0, 7, corr) + _str(client) + body
    sock.sendall(struct.pack(">i", len(req)) + req)
    size = struct.unpack(">i", _recv_exact(sock, 4))[0]
    r = _recv_exact(sock, size)
    check(struct.unpack_from(">i", r, 0)[0] == corr, "correlation id mismatch")
    pos = 4 + 4
    pos += 2 + struct.unpack_from(">h", r, pos)[0]
    pos += 4 + 4                                         # partitions, index
    err, base = struct.unpack_from(">hq", r, pos)
    return err, base


def fetch_first_batch(c, topic, offset):
    part = struct.pack(">iiqqi", 0, -1, offset, -1, 2 << 20)
    body = struct.pack(">iiiibii", -1, 0, 1, 2 << 20, 0, 0, -1)
    body += struct.pack(">i", 1) + _str(topic) + struct.pack(">i", 1) + part
    body += struct.pack(">i", 0) + _str("")
    req = struct.pack(">hhi", 1, 11, 9) + _str("bomb-fetch") + body
    host, port = c.bootstrap.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(struct.pack(">i", len(req)) + req)
        size = struct.unpack(">i", _recv_exact(sock, 4))[0]
        r = _recv_exact(sock, size)
    pos = 4 + 4 + 2 + 4 + 4
    pos += 2 + struct.unpack_from(">h", r, pos)[0]
    pos += 4 + 4
    err = struct.unpack_from(">h", r, pos)[0]
    pos += 2 + 8 + 8 + 8
    naborted = struct.unpack_from(">i", r, pos)[0]
    pos += 4 + 16 * max(naborted, 0) + 4
    rlen = struct.unpack_from(">i", r, pos)[0]
    recs = r[pos + 4:pos + 4 + max(rlen, 0)]
    check(err == 0 and len(recs) >= 61, "fetch at %d: error %d, %d bytes" % (offset, err, len(recs)))
    blen = struct.unpack_from(">i", recs, 8)[0]
    return recs[:12 + blen]


# ---- the test ----

def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def build_kinds():
    """kind -> (batch bytes, expected error code)."""
    def valid(b):
        return b, (0 if len(b) <= MAX_MESSAGE_BYTES else MESSAGE_TOO_LARGE)
    gz = gzip_bomb(RECORD_BYTES)
    kinds = {"gzip": valid(batch(1, gz)),
             "gzip-corrupt": (batch(1, corrupt(gz)), CORRUPT_MESSAGE)}
    # zstd and lz4 frames come from the command-line tools (Debian's zstd
    # and lz4 packages, in .ci/packages)
    for tool in ("zstd", "lz4"):
        check(shutil.which(tool), "the %s command is missing (apt-get install %s)" % (tool, tool))
    zs = cli_bomb(["zstd", "-q", "-c", "-3"], RECORD_BYTES)
    kinds["zstd"] = valid(batch(4, zs))
    kinds["zstd-truncated"] = (batch(4, zs[:len(zs) * 2 // 3]), CORRUPT_MESSAGE)
    kinds["lz4"] = valid(batch(3, cli_bomb(["lz4", "-q", "-c"], RECORD_BYTES)))
    kinds["snappy"] = valid(batch(2, snappy_bomb(SNAPPY_RECORD_BYTES)))
    for k, (b, e) in kinds.items():
        log("bomb %s: %d bytes, expect error %d" % (k, len(b), e))
    return kinds


def test(c):
    broker = c.brokers[0]
    pid = broker.proc.pid
    for t in ("bombs", "steady"):
        c.create_topic(t)
        c.wait_for_leaders(t, 1)
    kinds = build_kinds()
    check("gzip" in kinds and kinds["gzip"][1] == 0, "the gzip bomb does not fit max.message.bytes")

    base_kb = rss_kb(pid)
    peak = [base_kb]
    done = threading.Event()

    def sample():
        while not done.is_set():
            try:
                peak[0] = max(peak[0], rss_kb(pid))
            except OSError:
                return
            time.sleep(0.01)

    names = sorted(kinds)
    results, errors = [], []
    lock = threading.Lock()

    def client(i):
        kind = names[i % len(names)]
        records, want = kinds[kind]
        try:
            host, port = c.bootstrap.rsplit(":", 1)
            with socket.create_connection((host, int(port)), timeout=600) as sock:
                for r in range(ROUNDS):
                    err, base = produce(sock, "bombs", records, r + 1, "bomb-%d-%s" % (i, kind))
                    with lock:
                        results.append((kind, want, err, base))
        except Exception as e:            # noqa: B902 - reported below
            with lock:
                errors.append("client %d (%s): %r" % (i, kind, e))

    sampler = threading.Thread(target=sample)
    sampler.start()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    # Normal traffic keeps working while the bombs are validated.
    produced, rounds = 0, 0
    while True:
        lines = b"".join(b"s%d-%d:value-%d\n" % (rounds, i, i) for i in range(200))
        c.kcat("-P", "-t", "steady", "-p", "0", "-K", ":", input=lines)
        produced += 200
        got = c.read_partition("steady", 0)
        check(len(got) == produced, "steady: read %d of %d records" % (len(got), produced))
        check(got[-1][:2] == (b"s%d-199" % rounds, b"value-199"), "steady: last record %r" % (got[-1],))
        rounds += 1
        if not any(t.is_alive() for t in threads):
            break
    for t in threads:
        t.join()
    done.set()
    sampler.join()
    log("steady rounds %d; broker RSS %d kB before, peak %d kB" % (rounds, base_kb, peak[0]))

    check(not errors, "clients failed: %s" % errors)
    check(len(results) == CLIENTS * ROUNDS, "%d results" % len(results))
    for kind, want, err, base in results:
        check(err == want, "%s bomb: error %d, Kafka gives %d" % (kind, err, want))
    check(broker.alive(), "broker died")
    check(peak[0] < RSS_BOUND_MB * 1024,
          "broker RSS peaked at %d kB (bound %d MB)" % (peak[0], RSS_BOUND_MB))

    # An accepted bomb is served as stored: the bytes the client sent.
    for kind in ("gzip", "zstd"):
        if kind not in kinds:
            continue
        base = min(b for k, w, e, b in results if k == kind)
        got = fetch_first_batch(c, "bombs", base)
        sent = kinds[kind][0]
        check(len(got) == len(sent) and got[16:] == sent[16:] and
              struct.unpack_from(">q", got, 0)[0] == base,
              "%s bomb at %d not served as sent (%d vs %d bytes)" % (kind, base, len(got), len(sent)))

    # Corrupt ones are logged with the client's address.
    lines = [ln for ln in broker.log_text().splitlines()
             if "bombs-0" in ln and "CORRUPT_MESSAGE" in ln and "127.0.0.1" in ln]
    check(lines, "no log line naming the client for the corrupt bombs")


if __name__ == "__main__":
    harness.main(test)
