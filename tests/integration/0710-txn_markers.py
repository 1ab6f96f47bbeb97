#!/usr/bin/python3
"""Proves the partition side of transactions as Kafka 2.8 has it, driving the
brokers with raw requests where no transaction coordinator exists yet:
InitProducerId hands out producer ids, transactional Produce batches
(attribute bit 0x10, a transactional id in the request) to both partitions of
an RF=3 topic open transactions that hold the last stable offset back (Fetch
read_committed and ListOffsets isolation 1 stop there, a read_committed
confluent-kafka consumer sees nothing of them) while read_uncommitted reads
everything; WriteTxnMarkers v0/v1 COMMIT for one producer and ABORT for the
other end them (stale coordinator and producer epochs fenced with 52/47,
requests with counts beyond their bytes closed with a log line); the
read_committed consumer then sees exactly the committed records and a fetch
lists the aborted transaction; after kill -9 of a leader the new leader (which
only replicated the data) has the same LSO, aborted list and open transaction,
and so has the restarted broker; kafka-dump-log.sh prints the markers and the
.txnindex entry."""
import glob
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402
from produceutil import Conn, array, compact_string, record_batch, s16, s32, s64, string  # noqa: E402

TOPIC = "txn"
TXN_ID = "tx-raw"
INVALID_PRODUCER_EPOCH = 47
INVALID_TXN_STATE = 48
TRANSACTION_COORDINATOR_FENCED = 52


def uvarint(v):
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def carray(items):
    return uvarint(len(items) + 1) + b"".join(items)


def leaders(c):
    md = c.metadata(TOPIC)
    for t in md.get("topics", []):
        if t.get("topic") == TOPIC:
            return {p["partition"]: p["leader"] for p in t["partitions"]}
    return {}


def port_of(c, broker_id):
    return [b for b in c.brokers if b.id == broker_id][0].port


def list_offset(conn, partition, isolation):
    """ListOffsets v2 LATEST with the isolation level."""
    body = s32(-1) + struct.pack(">b", isolation) + array(
        [string(TOPIC) + array([s32(partition) + s64(-1)])])
    r = conn.call(2, 2, body)
    p = 4 + 4
    n = struct.unpack_from(">h", r, p)[0]
    p += 2 + n + 4
    _idx, err, _ts, off = struct.unpack_from(">ihqq", r, p)
    check(err == 0, "ListOffsets error %d" % err)
    return off


def fetch(conn, partition, offset, isolation):
    """Fetch v4 of one partition: (error, hw, lso, aborted [(pid, first)], records bytes)."""
    body = (s32(-1) + s32(0) + s32(0) + s32(1 << 20) + struct.pack(">b", isolation) +
            array([string(TOPIC) + array([s32(partition) + s64(offset) + s32(1 << 20)])]))
    r = conn.call(1, 4, body)
    p = 4 + 4
    n = struct.unpack_from(">h", r, p)[0]
    p += 2 + n + 4
    _idx, err, hw, lso = struct.unpack_from(">ihqq", r, p)
    p += 22
    na = struct.unpack_from(">i", r, p)[0]
    p += 4
    aborted = []
    for _ in range(max(na, 0)):
        aborted.append(struct.unpack_from(">qq", r, p))
        p += 16
    rlen = struct.unpack_from(">i", r, p)[0]
    p += 4
    return err, hw, lso, aborted, r[p:p + max(rlen, 0)]


def batch_offsets(records):
    """(base offset, last offset, attributes) of each v2 batch."""
    out, p = [], 0
    while p + 61 <= len(records):
        base, blen = struct.unpack_from(">qi", records, p)
        if p + 12 + blen > len(records):
            break
        attrs, delta = struct.unpack_from(">hi", records, p + 21)
        out.append((base, base + delta, attrs))
        p += 12 + blen
    return out


def write_markers(conn, markers, ver=0):
    """markers: [(pid, epoch, commit, coordinator epoch, [partitions])];
    returns {(pid, partition): error}."""
    flex = ver >= 1
    items = []
    for pid, epoch, commit, coord, parts in markers:
        if flex:
            topics = carray([compact_string(TOPIC) + carray([s32(x) for x in parts]) + b"\0"])
        else:
            topics = array([string(TOPIC) + array([s32(x) for x in parts])])
        items.append(s64(pid) + s16(epoch) + struct.pack(">b", commit) + topics + s32(coord) +
                     (b"\0" if flex else b""))
    body = (carray(items) + b"\0") if flex else array(items)
    r = conn.call(27, ver, body, flexible=flex)
    res, p = {}, 0

    def count():
        nonlocal p
        if flex:
            v, shift = 0, 0
            while True:
                b = r[p]
                p += 1
                v |= (b & 0x7F) << shift
                shift += 7
                if not b & 0x80:
                    return v - 1
        v = struct.unpack_from(">i", r, p)[0]
        p += 4
        return v

    for _ in range(count()):
        pid = struct.unpack_from(">q", r, p)[0]
        p += 8
        for _ in range(count()):
            n = count() if flex else struct.unpack_from(">h", r, p)[0]
            p += n if flex else 2 + n
            for _ in range(count()):
                idx, err = struct.unpack_from(">ih", r, p)
                p += 6 + (1 if flex else 0)
                res[(pid, idx)] = err
            p += 1 if flex else 0
        p += 1 if flex else 0
    return res


def consume(c, isolation):
    """Every value of both partitions as a confluent-kafka consumer with
    the isolation level sees it, up to the end (partition EOF, which a
    read_committed consumer reaches at the LSO)."""
    from confluent_kafka import Consumer, TopicPartition
    cons = Consumer({"bootstrap.servers": c.bootstrap, "group.id": "g-" + isolation,
                     "isolation.level": isolation, "enable.partition.eof": True,
                     "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    cons.assign([TopicPartition(TOPIC, 0, 0), TopicPartition(TOPIC, 1, 0)])
    vals, eof = [], set()
    deadline_polls = 0
    while len(eof) < 2:
        m = cons.poll(1.0)
        deadline_polls += 1
        check(deadline_polls < 120, "consumer did not reach the end of both partitions")
        if m is None:
            continue
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF
                eof.add(m.partition())
                continue
            check(False, "consumer error %s" % m.error())
        eof.discard(m.partition())
        vals.append(m.value())
    cons.close()
    return sorted(vals)


def produce_txn(conns, ldr, pid, seqs, tag, n=3):
    for part in (0, 1):
        b = record_batch([b"%s-p%d-%d" % (tag, part, i) for i in range(n)], pid=pid, epoch=0,
                         seq=seqs[part], attrs=0x10)
        err, base = conns[ldr[part]].produce(TOPIC, part, b, txn_id=TXN_ID)
        check(err == 0, "transactional produce %s p%d: error %d" % (tag, part, err))
        seqs[part] += n


def test(c):
    c.create_topic(TOPIC, partitions=2, rf=3, extra=["--config", "min.insync.replicas=2"])
    ldr = leaders(c)
    conns = {b.id: Conn(b.port) for b in c.brokers}
    err, pa, _ = conns[0].init_producer_id()
    check(err == 0, "InitProducerId: %d" % err)
    err, pb, _ = conns[0].init_producer_id()
    check(err == 0 and pb != pa, "second InitProducerId: %d" % err)
    seq_a, seq_b = [0, 0], [0, 0]
    produce_txn(conns, ldr, pa, seq_a, b"A")
    produce_txn(conns, ldr, pb, seq_b, b"B")
    # plain records after the open transactions: HW passes them, LSO does not
    for part in (0, 1):
        err, _ = conns[ldr[part]].produce(TOPIC, part, record_batch([b"plain-%d" % part]))
        check(err == 0, "plain produce: %d" % err)
    # plain data from a producer with an open transaction: 48
    b = record_batch([b"x"], pid=pa, epoch=0, seq=seq_a[0])
    check(conns[ldr[0]].produce(TOPIC, 0, b)[0] == INVALID_TXN_STATE,
          "non-transactional batch inside an open transaction accepted")
    for part in (0, 1):
        conn = conns[ldr[part]]
        check(list_offset(conn, part, 0) == 7, "isolation 0 latest %d" % list_offset(conn, part, 0))
        check(list_offset(conn, part, 1) == 0, "isolation 1 latest %d" % list_offset(conn, part, 1))
        err, hw, lso, ab, recs = fetch(conn, part, 0, 1)
        check(err == 0 and hw == 7 and lso == 0 and recs == b"",
              "read_committed fetch with open txns: err %d hw %d lso %d %d bytes"
              % (err, hw, lso, len(recs)))
        err, hw, lso, ab, recs = fetch(conn, part, 0, 0)
        check(err == 0 and lso == 0 and len(batch_offsets(recs)) == 3,
              "read_uncommitted fetch: err %d lso %d %r" % (err, lso, batch_offsets(recs)))
    check(consume(c, "read_committed") == [], "read_committed consumer saw open transactions")
    log("open transactions hold the LSO at 0 (HW 7); read_committed sees nothing")

    # hostile WriteTxnMarkers: counts far beyond the bytes sent close the
    # connection with a log line; the broker goes on
    for body, ver in ((s32(0x7FFFFFFF), 0),
                      (s32(1) + s64(pa) + s16(0) + b"\1" + s32(0x7FFFFFFF), 0),
                      (uvarint(0x7FFFFFF0) + b"\0", 1)):
        h = Conn(port_of(c, ldr[0]))
        answered = True
        try:
            h.call(27, ver, body, flexible=ver >= 1)
        except (harness.TestFailure, OSError):
            answered = False
        h.close()
        check(not answered, "hostile WriteTxnMarkers v%d answered" % ver)
    victim_log = [x for x in c.brokers if x.id == ldr[0]][0]
    wait_until(lambda: "invalid WriteTxnMarkers request body" in victim_log.log_text(), 30,
               "a log line for the hostile WriteTxnMarkers requests")
    check(list_offset(conns[ldr[0]], 0, 1) == 0, "broker unusable after hostile requests")

    # fencing: a marker from an older producer epoch
    for part in (0, 1):
        res = write_markers(conns[ldr[part]], [(pa, -1, 1, 3, [part])])
        check(res == {(pa, part): INVALID_PRODUCER_EPOCH}, "stale producer epoch: %r" % res)
    # COMMIT A (v0), ABORT B (v1, flexible)
    for part in (0, 1):
        res = write_markers(conns[ldr[part]], [(pa, 0, 1, 3, [part])], ver=0)
        check(res == {(pa, part): 0}, "COMMIT marker p%d: %r" % (part, res))
        res = write_markers(conns[ldr[part]], [(pb, 0, 0, 3, [part])], ver=1)
        check(res == {(pb, part): 0}, "ABORT marker p%d: %r" % (part, res))
        # an older coordinator epoch is fenced
        res = write_markers(conns[ldr[part]], [(pb, 0, 0, 2, [part])])
        check(res == {(pb, part): TRANSACTION_COORDINATOR_FENCED},
              "stale coordinator epoch: %r" % res)
    for part in (0, 1):
        conn = conns[ldr[part]]
        check(list_offset(conn, part, 1) == 9, "LSO after markers %d" % list_offset(conn, part, 1))
        err, hw, lso, ab, recs = fetch(conn, part, 0, 1)
        check(err == 0 and hw == 9 and lso == 9 and ab == [(pb, 3)],
              "read_committed fetch after markers: err %d hw %d lso %d aborted %r"
              % (err, hw, lso, ab))
        offs = batch_offsets(recs)
        check([(o[0], o[2] & 0x30) for o in offs] == [(0, 0x10), (3, 0x10), (6, 0), (7, 0x30),
                                                      (8, 0x30)],
              "batches %r" % offs)
        err, hw, lso, ab, recs = fetch(conn, part, 7, 1)
        check(ab == [(pb, 3)], "aborted list from offset 7: %r" % ab)
        err, hw, lso, ab, recs = fetch(conn, part, 9, 1)
        check(ab == [], "aborted list after the marker: %r" % ab)
    committed = sorted([b"A-p%d-%d" % (p, i) for p in (0, 1) for i in range(3)] +
                       [b"plain-0", b"plain-1"])
    got = consume(c, "read_committed")
    check(got == committed, "read_committed consumer saw %r" % got)
    everything = sorted(committed + [b"B-p%d-%d" % (p, i) for p in (0, 1) for i in range(3)])
    got = consume(c, "read_uncommitted")
    check(got == everything, "read_uncommitted consumer saw %r" % got)
    log("COMMIT/ABORT markers: read_committed sees exactly the committed records")

    # a new transaction of A on partition 0, then the leader dies
    b = record_batch([b"A2-0"], pid=pa, epoch=0, seq=seq_a[0], attrs=0x10)
    err, base = conns[ldr[0]].produce(TOPIC, 0, b, txn_id=TXN_ID)
    check(err == 0 and base == 9, "second transaction: error %d base %d" % (err, base))
    check(list_offset(conns[ldr[0]], 0, 1) == 9, "LSO with the second transaction open")
    old = ldr[0]
    victim = [x for x in c.brokers if x.id == old][0]
    for x in conns.values():
        x.close()
    victim.kill9()
    zk = c.kazoo()
    wait_until(lambda: not zk.exists("/brokers/ids/%d" % old), 60,
               "the killed broker's session to expire")
    wait_until(lambda: leaders(c).get(0, old) not in (old, -1), 60, "a new leader for p0")
    new = leaders(c)[0]
    conn = Conn(port_of(c, new))

    def settled():
        e, h, ls, a, _ = fetch(conn, 0, 0, 1)
        return e == 0 and h == 10
    wait_until(settled, 60, "the new leader's HW to reach 10")
    err, hw, lso, ab, recs = fetch(conn, 0, 0, 1)
    check(lso == 9 and ab == [(pb, 3)],
          "new leader %d: lso %d aborted %r" % (new, lso, ab))
    check(list_offset(conn, 0, 1) == 9, "new leader's ListOffsets isolation 1")
    # the new leader knows the open transaction: plain data from A is 48,
    # and its COMMIT releases the LSO
    b = record_batch([b"x"], pid=pa, epoch=0, seq=seq_a[0] + 1)
    check(conn.produce(TOPIC, 0, b)[0] == INVALID_TXN_STATE,
          "new leader lost the open transaction")
    res = write_markers(conn, [(pb, 0, 0, 2, [0])])
    check(res == {(pb, 0): TRANSACTION_COORDINATOR_FENCED},
          "new leader lost the coordinator epoch: %r" % res)
    victim.start()
    wait_until(lambda: all(len(p["isrs"]) == 3 for t in c.metadata(TOPIC)["topics"]
                           for p in t["partitions"]) if c.metadata(TOPIC) else False,
               90, "the restarted broker back in the ISR")
    res = write_markers(conn, [(pa, 0, 1, 3, [0])])
    check(res == {(pa, 0): 0}, "COMMIT at the new leader: %r" % res)
    err, hw, lso, ab, recs = fetch(conn, 0, 0, 1)
    check(hw == 11 and lso == 11, "after the second COMMIT: hw %d lso %d" % (hw, lso))
    log("after kill -9: new leader has LSO 9, aborted list, open transaction; commit moves it")

    # the restarted broker rebuilt the same state from its files
    pdir = os.path.join(victim.data_dir, TOPIC + "-0")
    txi = sorted(glob.glob(os.path.join(pdir, "*.txnindex")))
    check(len(txi) == 1, "txnindex files %r" % os.listdir(pdir))
    out = harness.run([os.path.join(harness.BIN, "kafka-dump-log.sh"), "--files", txi[0]],
                      timeout=60, what="dump-log txnindex").stdout.decode()
    want = ("version: 0 producerId: %d firstOffset: 3 lastOffset: 8 lastStableOffset: 9"
            % pb)
    check(want in out, "kafka-dump-log.sh on the .txnindex printed %r" % out[:500])
    logs = sorted(glob.glob(os.path.join(pdir, "*.log")))
    out = harness.run([os.path.join(harness.BIN, "kafka-dump-log.sh"), "--deep-iteration",
                       "--files", logs[0]], timeout=60, what="dump-log log").stdout.decode()
    for w in ("endTxnMarker: COMMIT coordinatorEpoch: 3", "endTxnMarker: ABORT coordinatorEpoch: 3",
              "isTransactional: true isControl: true"):
        check(w in out, "kafka-dump-log.sh output lacks %r: %r" % (w, out[:1500]))
    conn.close()
    log("kafka-dump-log.sh shows the markers and the .txnindex entry")


if __name__ == "__main__":
    harness.main(test, brokers=3, broker_props={"zookeeper.session.timeout.ms": 4000})
