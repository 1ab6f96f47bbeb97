#!/usr/bin/python3
"""Produce-path cost benchmark: system calls per MiB produced and broker
CPU per GiB, for the network path (socket reads, the hand-off to request
handlers and back, response writes).

Starts ZooKeeper and one broker (num.network.threads=1, num.io.threads=2)
with the integration harness, creates a 1-partition topic and produces to
it with two clients, each case twice:

- "bench_fetch": bench/bench_fetch produce (Produce v8, acks=1, one
  request in flight, SM_BENCH_PRODUCE_BATCH_KB KiB batches, default 512);
- "librdkafka": confluent_kafka's Producer (1 KiB values, acks=1,
  linger.ms=5, up to 5 requests in flight), as a real client pipelines.

Each case produces SM_BENCH_PRODUCE_MB MiB (default 256) once plain, for
the CPU figure (utime+stime of the broker from /proc, and the share of its
network threads "net-proc-*"), and once under `strace -c -f -p BROKER`
(system calls counted over every broker thread; strace slows the broker,
so that run gives no CPU figure). It prints calls per MiB for the calls of
the network path and the total, and the command to rerun it.

Figures only; nothing here passes or fails.
"""
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402
from harness import log, wait_until  # noqa: E402

TOPIC = "bench-produce"
SHOWN = ["read", "readv", "recvfrom", "ioctl", "epoll_wait", "epoll_ctl", "futex",
         "write", "writev", "sendfile", "pwrite64", "fdatasync"]
TICK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid):
    """(whole process, network threads) utime+stime in clock ticks."""
    total = net = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                st = f.read()
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                comm = f.read().strip()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        t = int(fields[11]) + int(fields[12])
        total += t
        if comm.startswith("net-proc"):
            net += t
    return total, net


def produce_bench_fetch(b, mb):
    tool = os.path.join(harness.BUILD, "bench", "bench_fetch")
    env = dict(os.environ, SM_BENCH_FETCH_BATCH_KB=os.environ.get("SM_BENCH_PRODUCE_BATCH_KB", "512"))
    subprocess.run([tool, "produce", b.bootstrap, TOPIC, "0", str(mb)], check=True, env=env,
                   stdout=subprocess.DEVNULL)


def produce_librdkafka(b, mb):
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": b.bootstrap, "acks": "1", "linger.ms": 5,
                  "queue.buffering.max.kbytes": 65536,
                  "max.in.flight.requests.per.connection": 5})
    value = b"x" * 1024
    n = mb * 1024
    errors = []

    def dr(err, msg):
        if err:
            errors.append(err)
    for i in range(n):
        while True:
            try:
                p.produce(TOPIC, value, partition=0, on_delivery=dr)
                break
            except BufferError:
                p.poll(0.01)
        if i % 1024 == 0:
            p.poll(0)
    p.flush(120)
    if errors:
        raise RuntimeError("librdkafka delivery errors: %s" % errors[:3])


CASES = {"bench_fetch": produce_bench_fetch, "librdkafka": produce_librdkafka}


def parse_strace(path):
    calls = {}
    total = 0
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 5 or not parts[0][0].isdigit():
                continue
            name = parts[-1]
            try:
                # % time, seconds, usecs/call, calls, [errors,] syscall
                n = int(parts[3])
            except ValueError:
                continue
            if name == "total":
                total = n
            else:
                calls[name] = n
    return calls, total


def strace_run(pid, fn, b, mb, out):
    st = subprocess.Popen(["strace", "-c", "-f", "-p", str(pid), "-o", out],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # strace attaches to every thread before the first counted call; a
    # short settle avoids counting a half-attached start.
    time.sleep(1.0)
    fn(b, mb)
    st.send_signal(signal.SIGINT)
    st.wait(60)
    return parse_strace(out)


def main():
    mb = int(os.environ.get("SM_BENCH_PRODUCE_MB", "256"))
    only = os.environ.get("SM_BENCH_PRODUCE_ONLY")
    props = {"num.io.threads": "2", "num.network.threads": "1",
             "log.segment.bytes": str(1 << 30), "log.retention.bytes": str(2 << 30)}
    cluster = harness.Cluster(brokers=1, name="bench-produce", broker_props=props)
    rows = []
    with cluster:
        b = cluster.brokers[0]
        pid = b.proc.pid
        cluster.create_topic(TOPIC, partitions=1, rf=1)
        produce_bench_fetch(b, 8)  # warm-up: connections, segment, page cache
        for name, fn in CASES.items():
            if only and only != name:
                continue
            t0, n0 = cpu_ticks(pid)
            w0 = time.monotonic()
            fn(b, mb)
            wall = time.monotonic() - w0
            t1, n1 = cpu_ticks(pid)
            cpu = (t1 - t0) / TICK
            net = (n1 - n0) / TICK
            calls, total = strace_run(pid, fn, b, mb, os.path.join(cluster.root, "strace-%s.txt" % name))
            rows.append((name, mb, wall, cpu, net, calls, total))
            log("%s: %d MiB in %.1f s, broker CPU %.2f s (network threads %.2f s)"
                % (name, mb, wall, cpu, net))
    print()
    print("Broker CPU and system calls while producing %d MiB (acks=1, 1 partition)" % mb)
    for name, mb_, wall, cpu, net, calls, total in rows:
        print()
        print("%s: %.0f MiB/s, broker CPU %.2f s/GiB (network threads %.2f s/GiB, %.0f %%)"
              % (name, mb_ / wall, cpu * 1024 / mb_, net * 1024 / mb_,
                 100.0 * net / cpu if cpu else 0))
        print("  %-12s %10s" % ("syscall", "per MiB"))
        for s in SHOWN:
            if s in calls:
                print("  %-12s %10.1f" % (s, calls[s] / mb_))
        print("  %-12s %10.1f" % ("(all)", total / mb_))
    print()
    print("rerun: SM_TOP_SRCDIR=%s SM_TOP_BUILDDIR=%s SM_BENCH_PRODUCE_MB=%d /usr/bin/python3 %s"
          % (harness.SRC, harness.BUILD, mb, os.path.abspath(__file__)))


if __name__ == "__main__":
    main()
