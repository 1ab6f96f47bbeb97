#!/usr/bin/python3
"""Proves idempotent produce deduplication as Kafka 2.8 does it: producer ids
come in blocks of 1000 from /latest_producer_id_block (Kafka's JSON, the next
block when one is used up, a new block per broker start; garbage in the
znode refused with COORDINATOR_NOT_AVAILABLE and a log line), InitProducerId
answers every version 0-4; a batch
re-sent with the same producer id, epoch and sequences is answered with its
original base offset and stored once (for each of the last five batches),
while gaps, stale retries and new epochs not starting at 0 get
OUT_OF_ORDER_SEQUENCE_NUMBER and older epochs INVALID_PRODUCER_EPOCH; the
producer state survives a kill -9 and a clean restart (.snapshot files,
printed by kafka-dump-log.sh); and librdkafka with enable.idempotence=true,
whose first Produce response is lost by a proxy, retries and leaves exactly
one copy of every message. A transactional id goes to the transaction
coordinator: NOT_COORDINATOR before __transaction_state exists, then a
transactional librdkafka producer initialises (0720-transactions tests the
rest)."""
import glob
import json
import os
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402
from produceutil import Conn, record_batch  # noqa: E402

TOPIC = "dedup"
PROXIED = "dedup-proxied"
INVALID_REQUEST = 42
INVALID_TRANSACTION_TIMEOUT = 50
COORDINATOR_NOT_AVAILABLE = 15
NOT_COORDINATOR = 16
OUT_OF_ORDER = 45
INVALID_PRODUCER_EPOCH = 47
TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53


def create_on(c, topic, broker, *configs):
    """One partition, one replica, on the given broker."""
    args = ["--zookeeper", c.zk_connect, "--create", "--topic", topic,
            "--replica-assignment", str(broker)]
    for cfg in configs:
        args += ["--config", cfg]
    c.topics(*args)
    c.wait_for_leaders(topic, 1)


def block(c):
    data, _ = c.kazoo().get("/latest_producer_id_block")
    return json.loads(data.decode())


def batch(pid, epoch, seq, n, tag):
    return record_batch([b"%s-%d" % (tag, seq + i) for i in range(n)], pid=pid, epoch=epoch,
                        seq=seq)


def producer_ids(c, port):
    b = block(c)
    check(b == {"version": 1, "broker": 0, "block_start": "0", "block_end": "999"},
          "producer id block after the first start: %r" % b)
    raw = c.kazoo().get("/latest_producer_id_block")[0]
    check(raw == b'{"version":1,"broker":0,"block_start":"0","block_end":"999"}',
          "znode bytes %r" % raw)
    conn = Conn(port)
    pids = []
    for ver in range(5):
        err, pid, epoch = conn.init_producer_id(ver=ver, timeout_ms=2147483647 if ver else -1)
        check(err == 0 and epoch == 0, "InitProducerId v%d: error %d epoch %d" % (ver, err, epoch))
        pids.append(pid)
    check(pids == [0, 1, 2, 3, 4], "producer ids %r" % pids)
    check(conn.init_producer_id(ver=3, pid=7, epoch=-1) == (INVALID_REQUEST, -1, -1),
          "half-set producer id/epoch not refused")
    check(conn.init_producer_id(ver=4, txn_id="")[0] == INVALID_REQUEST, "empty txn id")
    check(conn.init_producer_id(ver=4, txn_id="t", timeout_ms=0)[0] == INVALID_TRANSACTION_TIMEOUT,
          "transaction timeout 0 accepted")
    check(conn.init_producer_id(ver=4, txn_id="t", timeout_ms=900001)[0]
          == INVALID_TRANSACTION_TIMEOUT, "transaction timeout 900001 accepted")
    # no __transaction_state yet: this broker coordinates no transactional
    # id (the request has the topic created)
    check(conn.init_producer_id(ver=4, txn_id="t", timeout_ms=60000)
          == (NOT_COORDINATOR, -1, -1), "transactional id without a coordinator not refused")
    wait_until(lambda: any(t.get("topic") == "__transaction_state" and not t.get("err")
                           for t in (c.metadata("__transaction_state") or {}).get("topics", [])),
               30, "__transaction_state created by InitProducerId")
    log("producer ids 0-4 from block 0-999, version 0-4, bad requests refused")
    for want in range(5, 1000):
        err, pid, _ = conn.init_producer_id(ver=4)
        check((err, pid) == (0, want), "producer id %d: %r" % (want, (err, pid)))
    # the block is used up; garbage in the znode stops the next claim
    # without harm, a valid block after it is continued
    zk = c.kazoo()
    zk.set("/latest_producer_id_block", b'{"version":1,"broker":0,"block_start":"x"}')
    check(conn.init_producer_id(ver=4) == (COORDINATOR_NOT_AVAILABLE, -1, -1),
          "a claim over a garbage znode succeeded")
    check("/latest_producer_id_block holds garbage" in c.brokers[0].log_text(),
          "no log line names the garbage znode")
    zk.set("/latest_producer_id_block", raw)
    err, pid, _ = conn.init_producer_id(ver=4)
    check((err, pid) == (0, 1000), "producer id after the block 0-999: %r" % ((err, pid),))
    check(block(c) == {"version": 1, "broker": 0, "block_start": "1000", "block_end": "1999"},
          "second block %r" % block(c))
    log("block used up: the next claim refused over a garbage znode, then block 1000-1999")
    conn.close()
    from confluent_kafka import KafkaException, Producer
    txp = Producer({"bootstrap.servers": c.bootstrap, "transactional.id": "tx-probe"})
    try:
        txp.init_transactions(60)
    except KafkaException as e:
        check(False, "a transactional producer did not initialise: %s" % e.args[0].str())
    del txp
    log("transactional librdkafka producer initialised through the coordinator")


def dedup_rules(c, port):
    conn = Conn(port)
    _, pid, _ = conn.init_producer_id(ver=4)
    err, base = conn.produce(TOPIC, 0, batch(pid, 0, 0, 10, b"a"))
    check((err, base) == (0, 0), "first batch: %r" % ((err, base),))
    check(conn.produce(TOPIC, 0, batch(pid, 0, 0, 10, b"a")) == (0, 0),
          "lost-ack retry not answered with the original offset")
    check(conn.end_offset(TOPIC, 0) == 10, "duplicate appended")
    bases = {}
    for seq in (10, 20, 30, 40, 50):
        err, bases[seq] = conn.produce(TOPIC, 0, batch(pid, 0, seq, 10, b"a"))
        check(err == 0, "batch %d: error %d" % (seq, err))
    for seq in (10, 20, 30, 40, 50):
        check(conn.produce(TOPIC, 0, batch(pid, 0, seq, 10, b"a")) == (0, bases[seq]),
              "retry of seq %d not deduplicated" % seq)
    check(conn.produce(TOPIC, 0, batch(pid, 0, 0, 10, b"a"))[0] == OUT_OF_ORDER,
          "retry older than the five cached batches accepted")
    check(conn.produce(TOPIC, 0, batch(pid, 0, 70, 10, b"a"))[0] == OUT_OF_ORDER, "gap accepted")
    check(conn.produce(TOPIC, 0, batch(pid, 1, 5, 1, b"b"))[0] == OUT_OF_ORDER,
          "new epoch not starting at 0 accepted")
    err, b1 = conn.produce(TOPIC, 0, batch(pid, 1, 0, 3, b"b"))
    check(err == 0, "epoch bump refused: %d" % err)
    check(conn.produce(TOPIC, 0, batch(pid, 0, 60, 1, b"a"))[0] == INVALID_PRODUCER_EPOCH,
          "older epoch accepted")
    err, _ = conn.produce(TOPIC, 0, batch(4242, 0, 17, 2, b"u"))
    check(err == 0, "unknown producer with sequence 17 refused: %d" % err)
    txn = record_batch([b"t"], pid=pid, epoch=1, seq=3, attrs=0x10)
    check(conn.produce(TOPIC, 0, txn)[0] == TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
          "transactional batch without transactional id accepted")
    end = conn.end_offset(TOPIC, 0)
    check(end == 60 + 3 + 2, "log end %d" % end)
    log("duplicates answered with original offsets, gaps/stale/fenced refused, end %d" % end)
    conn.close()
    return pid, b1, end


def survives_restarts(c, pid, b1, end):
    b = c.brokers[0]
    pdir = os.path.join(b.data_dir, TOPIC + "-0")
    snaps = sorted(glob.glob(os.path.join(pdir, "*.snapshot")))
    check(len(snaps) >= 1, "no snapshot written on segment roll: %r" % os.listdir(pdir))
    b.kill9()
    zk = c.kazoo()
    wait_until(lambda: not zk.exists("/brokers/ids/0"), 30, "the killed broker's session to expire")
    b.start()
    c.wait_for_leaders(TOPIC, 1)
    conn = Conn(b.port)
    check(conn.produce(TOPIC, 0, batch(pid, 1, 0, 3, b"b")) == (0, b1),
          "duplicate after kill -9 not detected")
    check(conn.produce(TOPIC, 0, batch(4242, 0, 17, 2, b"u"))[0] == 0, "unknown-producer retry")
    check(conn.end_offset(TOPIC, 0) == end, "duplicate appended after kill -9")
    check(block(c)["block_start"] == "2000", "restart did not claim a new block: %r" % block(c))
    err, npid, _ = conn.init_producer_id(ver=4)
    check(err == 0 and npid == 2000, "first producer id after a restart: %d" % npid)
    conn.close()
    log("kill -9: producer state recovered, duplicate detected, next producer id 2000")
    b.stop()
    snaps = sorted(glob.glob(os.path.join(pdir, "*.snapshot")))
    check(snaps and snaps[-1].endswith("%020d.snapshot" % end),
          "no snapshot at the log end after a clean shutdown: %r" % snaps)
    p = harness.run([os.path.join(harness.BIN, "kafka-dump-log.sh"), "--files", snaps[-1]],
                    env=dict(os.environ, SAMSA_BUILD_DIR=harness.BUILD))
    out = p.stdout.decode()
    want = ("producerId: %d producerEpoch: 1 coordinatorEpoch: -1 currentTxnFirstOffset: None "
            "firstSequence: 0 lastSequence: 2 lastOffset: %d offsetDelta: 2 timestamp: "
            % (pid, b1 + 2))
    check(want in out, "kafka-dump-log.sh on the snapshot printed %r" % out[:500])
    b.start()
    c.wait_for_leaders(TOPIC, 1)
    conn = Conn(b.port)
    check(conn.produce(TOPIC, 0, batch(pid, 1, 0, 3, b"b")) == (0, b1),
          "duplicate after a clean restart not detected")
    check(conn.produce(TOPIC, 0, batch(pid, 1, 3, 1, b"b")) == (0, end),
          "next sequence after a clean restart refused")
    conn.close()
    log("clean restart: snapshot at the log end loaded, dump-log prints it")


class DropFirstProduceResponse:
    """A loopback TCP proxy in front of a broker that swallows the first
    Produce response and cuts that connection: the broker has appended the
    batch but the producer never hears of it, as when an ack is lost."""

    def __init__(self, target_port):
        self.target = target_port
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(16)
        self.port = self.ls.getsockname()[1]
        self.dropped = 0
        self.produce_seqs = []  # (pid, epoch, base seq) of every Produce
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                cs, _ = self.ls.accept()
            except OSError:
                return
            bs = socket.create_connection(("127.0.0.1", self.target))
            keys = {}
            threading.Thread(target=self._up, args=(cs, bs, keys), daemon=True).start()
            threading.Thread(target=self._down, args=(bs, cs, keys), daemon=True).start()

    @staticmethod
    def _frame(s):
        hdr = b""
        while len(hdr) < 4:
            d = s.recv(4 - len(hdr))
            if not d:
                return None
            hdr += d
        n = struct.unpack(">i", hdr)[0]
        body = b""
        while len(body) < n:
            d = s.recv(n - len(body))
            if not d:
                return None
            body += d
        return hdr + body

    def _note_produce(self, f):
        # Produce v3-v8 (non-flexible): header, txn id, acks, timeout, topics
        try:
            p = 4 + 8
            p += 2 + max(struct.unpack_from(">h", f, p)[0], 0)
            p += 2 + max(struct.unpack_from(">h", f, p)[0], 0) + 2 + 4
            p += 4
            p += 2 + struct.unpack_from(">h", f, p)[0]
            p += 4 + 4 + 4  # partitions count, index, records length
            pid, epoch, seq = struct.unpack_from(">qhi", f, p + 43)
            with self.lock:
                self.produce_seqs.append((pid, epoch, seq))
        except struct.error:
            pass

    def _up(self, src, dst, keys):
        try:
            while True:
                f = self._frame(src)
                if f is None:
                    break
                key, ver, corr = struct.unpack_from(">hhi", f, 4)
                keys[corr] = key
                if key == 0 and 3 <= ver <= 8:
                    self._note_produce(f)
                dst.sendall(f)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _down(self, src, dst, keys):
        try:
            while True:
                f = self._frame(src)
                if f is None:
                    break
                corr = struct.unpack_from(">i", f, 4)[0]
                with self.lock:
                    drop = keys.get(corr) == 0 and self.dropped == 0
                    if drop:
                        self.dropped += 1
                if drop:
                    break
                dst.sendall(f)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def librdkafka_lost_ack(c):
    from confluent_kafka import Producer
    target = c.brokers[1]
    proxy = DropFirstProduceResponse(target.port)
    # broker 1 advertises the proxy, so every client connection to it
    # (librdkafka's and the controller's) passes through the proxy
    target.props["advertised.listeners"] = "PLAINTEXT://127.0.0.1:%d" % proxy.port
    target.write_props()
    target.start()
    create_on(c, PROXIED, 1)
    n = 2000
    prod = Producer({"bootstrap.servers": "127.0.0.1:%d" % proxy.port,
                     "enable.idempotence": True, "linger.ms": 20,
                     "message.timeout.ms": 120000})
    errors = []

    def dr(err, msg):
        if err is not None:
            errors.append(err)
    for i in range(n):
        while True:
            try:
                prod.produce(PROXIED, value=b"m-%05d" % i, partition=0, on_delivery=dr)
                break
            except BufferError:
                prod.poll(0.05)
        prod.poll(0)
    check(prod.flush(120) == 0, "messages still queued")
    check(not errors, "delivery errors: %r" % errors[:3])
    check(proxy.dropped == 1, "proxy dropped %d Produce responses" % proxy.dropped)
    seqs = proxy.produce_seqs
    check(len(seqs) > len(set(seqs)), "librdkafka did not resend the unacknowledged batch")
    recs = c.read_partition(PROXIED, 0)
    vals = [r[1] for r in recs]
    check(vals == [b"m-%05d" % i for i in range(n)],
          "%d records in the log for %d produced (duplicates or gaps)" % (len(vals), n))
    log("librdkafka retried after a lost response; %d messages stored exactly once" % n)


def test(c):
    port = c.brokers[0].port
    producer_ids(c, port)
    create_on(c, TOPIC, 0, "segment.bytes=1000")
    pid, b1, end = dedup_rules(c, port)
    c.add_broker(1, start=False)
    survives_restarts(c, pid, b1, end)
    librdkafka_lost_ack(c)


if __name__ == "__main__":
    harness.main(test, brokers=1, broker_props={"zookeeper.session.timeout.ms": 4000})
