#!/usr/bin/python3
"""Every codec round-trips through kcat, and a topic with compression.type=zstd stores zstd batches whatever the producer sent."""

import os
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


harness.main(test, brokers=1)
