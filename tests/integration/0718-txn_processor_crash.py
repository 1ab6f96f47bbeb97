#!/usr/bin/python3
"""Consume-transform-produce exactly once across a crash of the processor.
A processor process (confluent-kafka: a read_committed group member and a
transactional producer that hands the member's positions to each
transaction with send_offsets_to_transaction) transforms an input topic in
transactions of up to 100 records. It is killed with kill -9 while a
transaction is open: its output records and its pending offsets are in the
logs but neither is committed. A second processor with the same
transactional.id and group fences the first (InitProducerId bumps the epoch
and the coordinator aborts the open transaction), resumes from the group's
committed offsets and finishes the input. Then:
- a read_committed reader of the output sees every input record transformed
  exactly once, and a read_uncommitted reader also sees the aborted copies
  (so the crash did leave uncommitted output behind);
- the group's committed offsets are the input's end offsets;
- no partition of the output is held back: the last stable offset reaches
  the high watermark (a read_committed reader reaches the end)."""
import os
import signal
import struct
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402
from produceutil import Conn, array, s32, s64, string  # noqa: E402

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition  # noqa: E402

IN, OUT, GROUP, TID = "ctpc-in", "ctpc-out", "ctpc", "ctpc-tx"
PARTS = 3
N = 3000
CRASH_AT = 6  # the processor's transaction that is left open for the kill

PROCESSOR = r'''
import sys, time
from confluent_kafka import Consumer, Producer, KafkaException
bootstrap, crash_at = sys.argv[1], int(sys.argv[2])
IN, OUT, GROUP, TID, N = %r, %r, %r, %r, %d
cons = Consumer({"bootstrap.servers": bootstrap, "group.id": GROUP,
                 "isolation.level": "read_committed", "enable.auto.commit": False,
                 "auto.offset.reset": "earliest", "session.timeout.ms": 10000})
prod = Producer({"bootstrap.servers": bootstrap, "transactional.id": TID, "linger.ms": 5})
prod.init_transactions(60)
print("ready", flush=True)
cons.subscribe([IN])
txn, idle = 0, 0
while True:
    batch = cons.consume(100, 0.5)
    batch = [m for m in batch if not m.error()]
    if not batch:
        # done once every assigned partition's position is its end
        asg = cons.assignment()
        if asg:
            pos = cons.position(asg)
            ends = [cons.get_watermark_offsets(tp, 10)[1] for tp in asg]
            if all(p.offset >= e for p, e in zip(pos, ends)) and len(asg) == %d:
                break
        idle += 1
        if idle > 240:
            print("stuck", flush=True)
            sys.exit(2)
        continue
    idle = 0
    txn += 1
    prod.begin_transaction()
    for m in batch:
        prod.produce(OUT, value=b"OUT-" + m.value(), partition=m.partition())
    prod.send_offsets_to_transaction(cons.position(cons.assignment()),
                                     cons.consumer_group_metadata(), 60)
    prod.flush(60)
    if txn == crash_at:
        print("open %%d" %% txn, flush=True)
        time.sleep(3600)
    prod.commit_transaction(60)
    print("committed %%d %%d" %% (txn, len(batch)), flush=True)
cons.close()
print("done", flush=True)
''' % (IN, OUT, GROUP, TID, N, PARTS)


class Processor:
    """The processor script in its own process; a thread collects what it
    prints."""

    def __init__(self, c, crash_at):
        path = os.path.join(c.root, "processor.py")
        with open(path, "w") as f:
            f.write(PROCESSOR)
        self.proc = subprocess.Popen([sys.executable, path, c.bootstrap, str(crash_at)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            self.lines.append(raw.decode(errors="replace").rstrip())

    def wait_for(self, want, timeout):
        def seen():
            if any(line.startswith(want) for line in self.lines):
                return True
            check(self.proc.poll() is None or self.reader.is_alive(),
                  "the processor exited: %r" % self.lines[-5:])
            return False
        wait_until(seen, timeout, "the processor printing %r" % want)
        return self.lines

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)
        self.reader.join(30)


def end_offsets(c, isolation):
    """ListOffsets v2 (latest) of every output partition at isolation
    level 0 (the high watermark) or 1 (the last stable offset)."""
    conn = Conn(c.brokers[0].port)
    body = s32(-1) + struct.pack(">b", isolation) + array(
        [string(OUT) + array([s32(p) + s64(-1) for p in range(PARTS)])])
    r = conn.call(2, 2, body)
    conn.close()
    pos = 4 + 4  # throttle time, topic count
    pos += 2 + struct.unpack_from(">h", r, pos)[0] + 4  # name, partition count
    out = {}
    for _ in range(PARTS):
        part, err, _ts, off = struct.unpack_from(">ihqq", r, pos)
        pos += 22
        check(err == 0, "ListOffsets error %d on %s-%d" % (err, OUT, part))
        out[part] = off
    return out


def read_all(c, isolation):
    cons = Consumer({"bootstrap.servers": c.bootstrap, "group.id": "ctpc-reader-" + isolation,
                     "isolation.level": isolation, "enable.auto.commit": False,
                     "enable.partition.eof": True})
    cons.assign([TopicPartition(OUT, p, 0) for p in range(PARTS)])
    got, eof, per = [], set(), {}

    def more():
        """Everything the reader has for us now (wait_until sleeps between
        calls)."""
        for m in cons.consume(1000, 0.5):
            if m.error():
                if m.error().code() == -191:  # _PARTITION_EOF
                    eof.add(m.partition())
                else:
                    raise KafkaException(m.error())
                continue
            eof.discard(m.partition())
            got.append(m.value().decode())
            per[m.partition()] = (per.get(m.partition(), (0, 0))[0] + 1, m.offset())
        return len(eof) == PARTS
    try:
        wait_until(more, 120, "a %s reader reaching the end of %s" % (isolation, OUT))
    finally:
        log("%s reader: at the end of %r; (records, last offset) per partition %r"
            % (isolation, sorted(eof), per))
    cons.close()
    return got


def committed(c):
    cons = Consumer({"bootstrap.servers": c.bootstrap, "group.id": GROUP,
                     "enable.auto.commit": False})
    out = {tp.partition: tp.offset
           for tp in cons.committed([TopicPartition(IN, p) for p in range(PARTS)], 30)}
    cons.close()
    return out


def test(c):
    c.create_topic(IN, partitions=PARTS)
    c.create_topic(OUT, partitions=PARTS)
    src = Producer({"bootstrap.servers": c.bootstrap, "linger.ms": 5})
    for i in range(N):
        src.produce(IN, value=("rec-%05d" % i).encode(), partition=i % PARTS)
    src.flush(60)

    first = Processor(c, CRASH_AT)
    try:
        lines = first.wait_for("open", 120)
        log("first processor: %s" % "; ".join(lines[-3:]))
        os.kill(first.proc.pid, signal.SIGKILL)
        first.proc.wait(30)
        log("killed the processor (pid %d) with transaction %d open"
            % (first.proc.pid, CRASH_AT))
    finally:
        first.stop()
    done_before = sum(int(line.split()[2]) for line in lines if line.startswith("committed"))
    check(0 < done_before < N, "%d records committed before the crash" % done_before)

    second = Processor(c, 0)
    try:
        lines = second.wait_for("done", 240)
        second.proc.wait(60)
        check(second.proc.returncode == 0,
              "second processor exit status %r" % second.proc.returncode)
    finally:
        second.stop()
    log("second processor: %d transactions committed"
        % sum(1 for line in lines if line.startswith("committed")))

    hw = end_offsets(c, 0)
    wait_until(lambda: end_offsets(c, 1) == hw, 60,
               "the last stable offsets %r reaching the high watermarks %r"
               % (end_offsets(c, 1), hw))
    want = sorted("OUT-rec-%05d" % i for i in range(N))
    got = sorted(read_all(c, "read_committed"))
    dups = len(got) - len(set(got))
    check(got == want, "read_committed output: %d records, %d distinct, %d duplicates, "
          "%d missing" % (len(got), len(set(got)), dups, len(set(want) - set(got))))
    raw = read_all(c, "read_uncommitted")
    log("output: %d committed records, %d records in the log (aborted copies included)"
        % (len(got), len(raw)))
    check(len(raw) > N, "no aborted output from the crashed transaction in the log")
    ends = {p: N // PARTS + (1 if p < N % PARTS else 0) for p in range(PARTS)}
    wait_until(lambda: committed(c) == ends, 60,
               "the group's committed offsets %r reaching the input ends %r"
               % (committed(c), ends))


if __name__ == "__main__":
    harness.main(test, brokers=1, broker_props={"transaction.state.log.num.partitions": "2",
                                                "offsets.topic.num.partitions": "2"})
