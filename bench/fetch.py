#!/usr/bin/python3
"""Read-path benchmark driver: starts ZooKeeper and one broker with the
integration harness, creates a 1-partition topic, fills it with
SM_BENCH_FETCH_MB MiB (default 512) of 1 KiB records in 512 KiB batches
(bench_fetch produce, acks=1), then runs bench_fetch fetch against the
broker and the partition's segment files: Fetch v12 throughput from the
page cache through the broker's sendfile path, as a ratio to a plain
sendfile(2) copy of the same files over loopback in the same run.

Figures only; nothing here passes or fails. The other SM_BENCH_FETCH_*
variables (ROUNDS, BUF_KB, MAX_MB, SNDBUF, BATCH_KB, ONLY) pass through to
bench_fetch; broker properties can be overridden with
SM_BENCH_FETCH_PROPS="key=value key=value". The plain copy's sending socket
gets the broker's socket.send.buffer.bytes (102400 unless overridden) unless
SM_BENCH_FETCH_SNDBUF says otherwise.
"""
import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402
from harness import log, wait_until  # noqa: E402

TOPIC = "bench-fetch"


def segment_files(b):
    return sorted(glob.glob(os.path.join(b.data_dir, TOPIC + "-0", "*.log")))


def data_bytes(b):
    return sum(os.path.getsize(f) for f in segment_files(b))


def main():
    mb = int(os.environ.get("SM_BENCH_FETCH_MB", "512"))
    tool = os.path.join(harness.BUILD, "bench", "bench_fetch")
    props = {"num.io.threads": "2", "num.network.threads": "1"}
    for kv in os.environ.get("SM_BENCH_FETCH_PROPS", "").split():
        k, _, v = kv.partition("=")
        props[k] = v
    cluster = harness.Cluster(brokers=1, name="bench-fetch", broker_props=props)
    with cluster:
        b = cluster.brokers[0]
        cluster.create_topic(TOPIC, partitions=1, rf=1)
        log("filling %s-0 with %d MiB of 1 KiB records" % (TOPIC, mb))
        subprocess.run([tool, "produce", b.bootstrap, TOPIC, "0", str(mb)], check=True)
        # acks=1 answers once the batch is in the log; the segment files
        # already hold it (page cache), this only guards against surprises.
        wait_until(lambda: data_bytes(b) >= mb << 20, 60, "the data in the segment files")
        files = segment_files(b)
        # Write the fresh data back now, so that background writeback of
        # it does not compete with the timed rounds; it stays cached.
        for f in files:
            fd = os.open(f, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)
        log("%d segment file(s), %.0f MiB; props %s" % (len(files), data_bytes(b) / 1048576.0, props))
        sys.stdout.flush()
        # The plain copy's sending socket gets the broker's send buffer.
        env = dict(os.environ)
        env.setdefault("SM_BENCH_FETCH_SNDBUF", props.get("socket.send.buffer.bytes", "102400"))
        subprocess.run([tool, "fetch", b.bootstrap, TOPIC, "0"] + files, check=True, env=env)
    print("rerun (whole benchmark): SM_TOP_BUILDDIR=%s SM_BENCH_FETCH_MB=%d /usr/bin/python3 %s"
          % (harness.BUILD, mb, os.path.abspath(__file__)))


if __name__ == "__main__":
    main()
