#!/usr/bin/python3
"""Every codec round-trips through kcat, a topic with compression.type=zstd stores zstd batches whatever the producer sent, and Fetch below v10 of such a topic is refused with UNSUPPORTED_COMPRESSION_TYPE (v10+ served)."""

import os
import socket
import struct
import subprocess

import harness
from harness import check

CODECS = {"gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
N = 2000


def batch_codecs(path):
    """Codec bits (attributes at byte 21, low 3 bits) of every batch in a .log file."""
    with open(path, "rb") as f:
        data = f.read()
    out, pos = [], 0
    while pos + 61 <= len(data):
        length = struct.unpack_from(">i", data, pos + 8)[0]
        out.append(struct.unpack_from(">h", data, pos + 21)[0] & 7)
        pos += 12 + length
    return out


def log_files(c, topic):
    d = os.path.join(c.brokers[0].data_dir, topic + "-0")
    return [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith(".log")]


def produce_and_check(c, topic, codec):
    lines = b"".join(b"k%d:%s-value-%d-%s\n" % (i, topic.encode(), i, b"x" * (i % 50))
                     for i in range(N))
    c.kcat("-P", "-t", topic, "-p", "0", "-K", ":", "-z", codec, input=lines)
    got = c.read_partition(topic, 0)
    check(len(got) == N, "%s: read %d of %d records" % (topic, len(got), N))
    for i, (k, v, o) in enumerate(got):
        check(k == b"k%d" % i and v == b"%s-value-%d-%s" % (topic.encode(), i, b"x" * (i % 50))
              and o == i, "%s: record %d is %r %r @%d" % (topic, i, k, v[:40], o))


UNSUPPORTED_COMPRESSION_TYPE = 76


def _str(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        check(chunk, "connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def fetch_raw(c, topic, ver):
    """Fetch (v4-v11) of partition 0 from offset 0 over a raw socket:
    (error_code, high_watermark, record bytes)."""
    part = struct.pack(">i", 0)
    if ver >= 9:
        part += struct.pack(">i", -1)                # current_leader_epoch
    part += struct.pack(">q", 0)                     # fetch_offset
    if ver >= 5:
        part += struct.pack(">q", -1)                # log_start_offset
    part += struct.pack(">i", 1 << 20)
    body = struct.pack(">iiiib", -1, 0, 1, 1 << 20, 0)
    if ver >= 7:
        body += struct.pack(">ii", 0, -1)            # session id, epoch
    body += struct.pack(">i", 1) + _str(topic) + struct.pack(">i", 1) + part
    if ver >= 7:
        body += struct.pack(">i", 0)                 # forgotten topics
    if ver >= 11:
        body += _str("")                             # rack_id
    req = struct.pack(">hhi", 1, ver, 7) + _str("zstd-probe") + body
    host, port = c.bootstrap.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(struct.pack(">i", len(req)) + req)
        size = struct.unpack(">i", _recv_exact(sock, 4))[0]
        r = _recv_exact(sock, size)
    pos = 4 + 4                                      # correlation id, throttle
    if ver >= 7:
        pos += 2 + 4                                 # error_code, session_id
    check(struct.unpack_from(">i", r, pos)[0] == 1, "v%d: not one topic" % ver)
    pos += 4
    pos += 2 + struct.unpack_from(">h", r, pos)[0]
    check(struct.unpack_from(">i", r, pos)[0] == 1, "v%d: not one partition" % ver)
    pos += 4 + 4                                     # count, partition_index
    err, hw = struct.unpack_from(">hq", r, pos)
    pos += 2 + 8 + 8                                 # error, hw, last stable offset
    if ver >= 5:
        pos += 8                                     # log_start_offset
    naborted = struct.unpack_from(">i", r, pos)[0]
    pos += 4 + 16 * max(naborted, 0)
    if ver >= 11:
        pos += 4                                     # preferred_read_replica
    rlen = struct.unpack_from(">i", r, pos)[0]
    return err, hw, r[pos + 4:pos + 4 + max(rlen, 0)]


def check_zstd_fetch_versions(c):
    """Kafka refuses Fetch < v10 for a partition whose topic has
    compression.type=zstd (by the configuration, not the batches)."""
    for ver in (4, 9):
        err, hw, recs = fetch_raw(c, "forced-zstd", ver)
        check(err == UNSUPPORTED_COMPRESSION_TYPE and hw == -1 and not recs,
              "forced-zstd Fetch v%d: error %d hw %d, %d record bytes" % (ver, err, hw, len(recs)))
    for ver in (10, 11):
        err, hw, recs = fetch_raw(c, "forced-zstd", ver)
        check(err == 0 and hw == N and len(recs) > 61 and recs[21 + 1] & 7 == 4,
              "forced-zstd Fetch v%d: error %d hw %d, %d record bytes" % (ver, err, hw, len(recs)))
    # compression.type=producer with zstd batches: served, as by Kafka
    err, hw, recs = fetch_raw(c, "codec-zstd", 9)
    check(err == 0 and hw == N and recs,
          "codec-zstd Fetch v9: error %d hw %d, %d record bytes" % (err, hw, len(recs)))


def test(c):
    for name, bits in CODECS.items():
        topic = "codec-" + name
        c.create_topic(topic)
        c.wait_for_leaders(topic, 1)
        produce_and_check(c, topic, name)
        codecs = [b for f in log_files(c, topic) for b in batch_codecs(f)]
        # librdkafka sends a batch uncompressed when compressing would not
        # make it smaller (e.g. a small tail batch), so codec 0 may appear
        # beside the producer's codec; the broker keeps each as sent.
        check(bits in codecs and all(b in (bits, 0) for b in codecs),
              "%s: stored batch codecs %r" % (topic, sorted(set(codecs))))

    topic = "forced-zstd"
    c.create_topic(topic, extra=["--config", "compression.type=zstd"])
    c.wait_for_leaders(topic, 1)
    produce_and_check(c, topic, "none")
    files = log_files(c, topic)
    codecs = [b for f in files for b in batch_codecs(f)]
    check(codecs and all(b == 4 for b in codecs),
          "compression.type=zstd stored codecs %r" % sorted(set(codecs)))
    dump = os.path.join(harness.BIN, "kafka-dump-log.sh")
    p = subprocess.run([dump, "--files", files[0]], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60,
                       env=dict(os.environ, SAMSA_BUILD_DIR=harness.BUILD))
    out = p.stdout.decode(errors="replace")
    check(p.returncode == 0 and "compresscodec: zstd" in out.lower()
          and "compresscodec: none" not in out.lower(),
          "kafka-dump-log.sh does not show zstd batches: %s" % out[:600])
    check_zstd_fetch_versions(c)


harness.main(test, brokers=1)
