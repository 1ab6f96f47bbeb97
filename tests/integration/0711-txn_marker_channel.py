#!/usr/bin/python3
"""The transaction marker channel (src/coordinator/transaction/txn_marker_channel.h) against three
real brokers, driven by tests/tools/txn_markers_send as the transaction
coordinator will drive it: two producers' transactions, opened with raw
transactional Produce batches on the three partitions of an RF=3 topic, are
committed and aborted through the channel, which groups the partitions by
leader and sends WriteTxnMarkers over the inter-broker listener. A partition
the metadata does not have (deleted topic) is dropped. Afterwards the LSO
equals the HW on every partition and a read_committed confluent-kafka
consumer sees exactly the committed records. A marker with a stale
coordinator epoch or producer epoch ends the send with
TRANSACTION_COORDINATOR_FENCED / INVALID_PRODUCER_EPOCH and leaves the
transaction open; WriteTxnMarkers v0 (inter.broker.protocol.version 2.7)
then commits it. Retriable errors from a real leader: with both followers of
a partition stopped its ISR falls below min.insync.replicas, the leader
answers NOT_ENOUGH_REPLICAS and the channel keeps retrying until the
followers are back, then the COMMIT lands."""
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402
from produceutil import Conn, array, record_batch, s32, s64, string  # noqa: E402

TOPIC = "txm"
TXN_ID = "tx-channel"
NOT_ENOUGH_REPLICAS = 19
PARTS = (0, 1, 2)


def leaders(c):
    md = c.metadata(TOPIC)
    for t in md.get("topics", []):
        if t.get("topic") == TOPIC:
            return {p["partition"]: p["leader"] for p in t["partitions"]}
    return {}


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


def consume(c, isolation):
    """Every value of the topic as a confluent-kafka consumer with the
    isolation level sees it, up to the end of each partition."""
    from confluent_kafka import Consumer, TopicPartition
    cons = Consumer({"bootstrap.servers": c.bootstrap, "group.id": "g-" + isolation,
                     "isolation.level": isolation, "enable.partition.eof": True,
                     "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    cons.assign([TopicPartition(TOPIC, p, 0) for p in PARTS])
    vals, eof, polls = [], set(), 0
    while len(eof) < len(PARTS):
        m = cons.poll(1.0)
        polls += 1
        check(polls < 120, "consumer did not reach the end of every partition")
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


def markers_cmd(c, ldr, txns, ibp=None):
    """txn_markers_send with the cluster's brokers and leaders; txns:
    [(pid, epoch, coordinator epoch, commit, ["topic:partition", ...])]."""
    tool = os.path.join(harness.BUILD, "tests", "tools", "txn_markers_send")
    cmd = [tool]
    if ibp:
        cmd += ["--ibp", ibp]
    for b in c.brokers:
        cmd += ["--broker", "%d:127.0.0.1:%d" % (b.id, b.port)]
    for p, l in sorted(ldr.items()):
        cmd += ["--leader", "%s:%d:%d" % (TOPIC, p, l)]
    for pid, epoch, coord, commit, tps in txns:
        cmd += ["--txn", "%d:%d:%d:%s:%s" % (pid, epoch, coord, "commit" if commit else "abort",
                                             ",".join(tps))]
    return cmd


def results(stdout, n):
    """{pid: error name} from txn_markers_send's output."""
    out = {}
    for line in stdout.decode(errors="replace").splitlines():
        f = line.split()
        if len(f) == 3 and f[0] == "txn":
            out[int(f[1])] = f[2]
    check(len(out) == n, "txn_markers_send printed %r" % stdout[-2000:])
    return out


def send_markers(c, ldr, txns, ibp=None):
    """Runs txn_markers_send; returns {pid: error name}."""
    p = harness.run(markers_cmd(c, ldr, txns, ibp), timeout=180, what="txn_markers_send")
    return results(p.stdout, len(txns))




def test(c):
    c.create_topic(TOPIC, partitions=3, rf=3, extra=["--config", "min.insync.replicas=2"])
    c.wait_for_leaders(TOPIC, 3)
    ldr = leaders(c)
    conns = {b.id: Conn(b.port) for b in c.brokers}
    err, pa, _ = conns[0].init_producer_id()
    check(err == 0, "InitProducerId: %d" % err)
    err, pb, _ = conns[0].init_producer_id()
    check(err == 0 and pb != pa, "second InitProducerId: %d" % err)
    seq = {pa: [0, 0, 0], pb: [0, 0, 0]}
    for pid, tag in ((pa, b"A"), (pb, b"B")):
        for part in PARTS:
            b = record_batch([b"%s-p%d-%d" % (tag, part, i) for i in range(3)], pid=pid,
                             epoch=0, seq=seq[pid][part], attrs=0x10)
            err, _ = conns[ldr[part]].produce(TOPIC, part, b, txn_id=TXN_ID)
            check(err == 0, "transactional produce %s p%d: error %d" % (tag, part, err))
            seq[pid][part] += 3
    for part in PARTS:
        err, _ = conns[ldr[part]].produce(TOPIC, part, record_batch([b"plain-%d" % part]))
        check(err == 0, "plain produce: %d" % err)
        check(list_offset(conns[ldr[part]], part, 1) == 0, "LSO with open transactions")
    log("two open transactions on each of 3 partitions (leaders %r); LSO 0" % ldr)

    tps = ["%s:%d" % (TOPIC, p) for p in PARTS]
    res = send_markers(c, ldr, [(pa, 0, 3, 1, tps + ["%s:7" % TOPIC, "gone:0"]),
                                (pb, 0, 3, 0, tps)])
    check(res == {pa: "NONE", pb: "NONE"}, "channel results %r" % res)
    for part in PARTS:
        conn = conns[ldr[part]]
        hw, lso = list_offset(conn, part, 0), list_offset(conn, part, 1)
        check(hw == 9 and lso == 9, "p%d after the markers: HW %d LSO %d" % (part, hw, lso))
    committed = sorted([b"A-p%d-%d" % (p, i) for p in PARTS for i in range(3)] +
                       [b"plain-%d" % p for p in PARTS])
    got = consume(c, "read_committed")
    check(got == committed, "read_committed consumer saw %r" % got)
    log("COMMIT and ABORT through the channel: LSO = HW = 9, read_committed sees only A")

    # a new transaction of A on partition 0; stale epochs are fenced
    b = record_batch([b"A2-0"], pid=pa, epoch=0, seq=seq[pa][0], attrs=0x10)
    err, base = conns[ldr[0]].produce(TOPIC, 0, b, txn_id=TXN_ID)
    check(err == 0 and base == 9, "second transaction: error %d base %d" % (err, base))
    res = send_markers(c, ldr, [(pa, 0, 2, 1, ["%s:0" % TOPIC])])
    check(res == {pa: "TRANSACTION_COORDINATOR_FENCED"}, "stale coordinator epoch: %r" % res)
    res = send_markers(c, ldr, [(pa, -1, 3, 1, ["%s:0" % TOPIC])])
    check(res == {pa: "INVALID_PRODUCER_EPOCH"}, "stale producer epoch: %r" % res)
    check(list_offset(conns[ldr[0]], 0, 1) == 9, "a fenced marker moved the LSO")
    log("stale coordinator and producer epochs end the send with 52 / 47")
    res = send_markers(c, ldr, [(pa, 0, 3, 1, ["%s:0" % TOPIC])], ibp="2.7-IV2")
    check(res == {pa: "NONE"}, "v0 commit: %r" % res)
    hw, lso = list_offset(conns[ldr[0]], 0, 0), list_offset(conns[ldr[0]], 0, 1)
    check(hw == 11 and lso == 11, "after the v0 COMMIT: HW %d LSO %d" % (hw, lso))
    got = consume(c, "read_committed")
    check(got == sorted(committed + [b"A2-0"]), "read_committed consumer saw %r" % got)
    log("WriteTxnMarkers v0 (IBP 2.7) commits the second transaction")

    # NOT_ENOUGH_REPLICAS from a real leader is retried until the ISR is back
    part, lead = 1, ldr[1]
    b = record_batch([b"A3-1"], pid=pa, epoch=0, seq=seq[pa][part], attrs=0x10)
    err, base = conns[lead].produce(TOPIC, part, b, txn_id=TXN_ID)
    check(err == 0 and base == 9, "third transaction: error %d base %d" % (err, base))
    for x in conns.values():
        x.close()
    followers = [x for x in c.brokers if x.id != lead]
    for f in followers:
        f.stop()
    # The ISR loses the stopped followers (through the controller, or
    # through the leader once its end offset moved: the acks=1 record)
    # until acks=-1 writes get NOT_ENOUGH_REPLICAS.
    leader = [x for x in c.brokers if x.id == lead][0]
    conn = Conn(leader.port)
    err, _ = conn.produce(TOPIC, part, record_batch([b"plain-late"]), acks=1)
    check(err == 0, "acks=1 produce with the followers down: %d" % err)
    wait_until(lambda: conn.produce(TOPIC, part, record_batch([b"probe"]))[0] ==
               NOT_ENOUGH_REPLICAS, 90, "the leader to answer NOT_ENOUGH_REPLICAS")
    out_path = os.path.join(c.root, "txn_markers_send.out")
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(markers_cmd(c, ldr, [(pa, 0, 3, 1, ["%s:%d" % (TOPIC, part)])]),
                                stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, preexec_fn=harness._die_with_parent)
    try:
        def refused():
            with open(out_path, "rb") as f:
                return b"NOT_ENOUGH_REPLICAS, retrying" in f.read()
        wait_until(refused, 60, "the channel to retry after NOT_ENOUGH_REPLICAS")
        check(proc.poll() is None, "the channel gave up on NOT_ENOUGH_REPLICAS")
        for f in followers:
            f.start()
        proc.wait(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    check(proc.returncode == 0, "txn_markers_send exit status %s" % proc.returncode)
    with open(out_path, "rb") as f:
        res = results(f.read(), 1)
    check(res == {pa: "NONE"}, "commit after NOT_ENOUGH_REPLICAS: %r" % res)
    hw, lso = list_offset(conn, part, 0), list_offset(conn, part, 1)
    check(hw == lso and lso > 11, "p%d after the retried COMMIT: HW %d LSO %d" % (part, hw, lso))
    conn.close()
    log("NOT_ENOUGH_REPLICAS retried until the followers came back; the COMMIT landed")


if __name__ == "__main__":
    harness.main(test, brokers=3, broker_props={"replica.lag.time.max.ms": "3000"})
