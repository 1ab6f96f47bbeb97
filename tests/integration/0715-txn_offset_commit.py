#!/usr/bin/python3
"""Proves the group coordinator's side of transactions as Kafka 2.8 has it,
with raw requests (a producer id from InitProducerId without a transactional
id stands in for a transactional producer, which the coordinator's checks
cannot tell apart): TxnOffsetCommit v2/v3 offsets of a producer stay pending
-- an ordinary OffsetFetch answers the last committed offset, OffsetFetch v7
with require_stable answers UNSTABLE_OFFSET_COMMIT (88) -- and they are
written to the group's __consumer_offsets partition as a transactional batch
of the producer (its last stable offset stays behind until the marker); the
request checks answer UNKNOWN_TOPIC_OR_PARTITION, INVALID_GROUP_ID,
OFFSET_METADATA_TOO_LARGE, UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION,
INVALID_PRODUCER_EPOCH and NOT_COORDINATOR (on the broker that does not
coordinate the group); a broker restart keeps the pending offsets pending,
a later WriteTxnMarkers COMMIT to the offsets partition makes them the
committed offsets; another producer's offsets are dropped by its ABORT; and
a restart after both reloads exactly the committed ones with nothing
pending. A request whose counts exceed its bytes is refused with a log
line and the broker goes on."""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402
from grouputil import describe_group, find_coordinator, offset_commit  # noqa: E402
from produceutil import Conn, array, compact_string, s16, s32, s64, string, uvarint  # noqa: E402

TOPIC = "in"
GROUP = "tg"
OFFSETS = "__consumer_offsets"
UNKNOWN_TOPIC_OR_PARTITION = 3
OFFSET_METADATA_TOO_LARGE = 12
NOT_COORDINATOR = 16
ILLEGAL_GENERATION = 22
INVALID_GROUP_ID = 24
UNKNOWN_MEMBER_ID = 25
INVALID_PRODUCER_EPOCH = 47
UNSTABLE_OFFSET_COMMIT = 88


def carray(items):
    return uvarint(len(items) + 1) + b"".join(items)


def cnullable(s):
    return b"\0" if s is None else compact_string(s)


class R:
    """Reads a response body, plain or flexible."""

    def __init__(self, b, flex):
        self.b, self.p, self.flex = b, 0, flex

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.b, self.p)[0]
        self.p += struct.calcsize(fmt)
        return v

    def uvar(self):
        v, shift = 0, 0
        while True:
            c = self.b[self.p]
            self.p += 1
            v |= (c & 0x7F) << shift
            shift += 7
            if not c & 0x80:
                return v

    def count(self):
        return self.uvar() - 1 if self.flex else self.take(">i")

    def string(self):
        n = self.uvar() - 1 if self.flex else self.take(">h")
        if n < 0:
            return None
        s = self.b[self.p:self.p + n].decode()
        self.p += n
        return s

    def tags(self):
        if self.flex:
            for _ in range(self.uvar()):
                self.uvar()
                self.p += self.uvar()


def txn_commit(conn, offsets, pid, epoch, group=GROUP, ver=2, generation=-1, member="",
               instance=None, metadata=""):
    """TxnOffsetCommit of {(topic, partition): offset}: {(topic, partition): error}."""
    topics = {}
    for (t, p), o in offsets.items():
        topics.setdefault(t, []).append((p, o))
    flex = ver >= 3
    if flex:
        body = compact_string("tx") + compact_string(group) + s64(pid) + s16(epoch)
        body += s32(generation) + compact_string(member) + cnullable(instance)
        body += carray([compact_string(t) + carray([s32(p) + s64(o) + s32(-1) +
                                                    cnullable(metadata) + b"\0"
                                                    for p, o in parts]) + b"\0"
                        for t, parts in topics.items()]) + b"\0"
    else:
        body = string("tx") + string(group) + s64(pid) + s16(epoch)
        body += array([string(t) + array([s32(p) + s64(o) + (s32(-1) if ver >= 2 else b"") +
                                          string(metadata) for p, o in parts])
                       for t, parts in topics.items()])
    r = R(conn.call(28, ver, body, flexible=flex), flex)
    r.take(">i")
    out = {}
    for _ in range(r.count()):
        name = r.string()
        for _ in range(r.count()):
            p = r.take(">i")
            out[(name, p)] = r.take(">h")
            r.tags()
        r.tags()
    return out


def offset_fetch(conn, partitions, require_stable, group=GROUP):
    """OffsetFetch v7: (group error, {(topic, partition): (offset, error)})."""
    topics = {}
    for t, p in partitions:
        topics.setdefault(t, []).append(p)
    body = compact_string(group) + carray(
        [compact_string(t) + carray([s32(p) for p in ps]) + b"\0" for t, ps in topics.items()])
    body += struct.pack(">b", 1 if require_stable else 0) + b"\0"
    r = R(conn.call(9, 7, body, flexible=True), True)
    r.take(">i")
    out = {}
    for _ in range(r.count()):
        name = r.string()
        for _ in range(r.count()):
            p = r.take(">i")
            off = r.take(">q")
            r.take(">i")
            r.string()
            out[(name, p)] = (off, r.take(">h"))
            r.tags()
        r.tags()
    return r.take(">h"), out


def write_marker(conn, pid, epoch, commit, partition=0, coord_epoch=0):
    """WriteTxnMarkers v0 of one marker to one offsets partition: its error."""
    body = array([s64(pid) + s16(epoch) + struct.pack(">b", 1 if commit else 0) +
                  array([string(OFFSETS) + array([s32(partition)])]) + s32(coord_epoch)])
    r = R(conn.call(27, 0, body), False)
    check(r.count() == 1, "one marker answered")
    r.take(">q")
    check(r.count() == 1, "one topic answered")
    r.string()
    check(r.count() == 1, "one partition answered")
    check(r.take(">i") == partition, "partition answered")
    return r.take(">h")


def list_offset(conn, topic, partition, isolation):
    """ListOffsets v2 LATEST with the isolation level."""
    body = s32(-1) + struct.pack(">b", isolation) + array(
        [string(topic) + array([s32(partition) + s64(-1)])])
    r = R(conn.call(2, 2, body), False)
    r.take(">i")
    r.count()
    r.string()
    r.count()
    _idx, err, _ts, off = r.take(">i"), r.take(">h"), r.take(">q"), r.take(">q")
    check(err == 0, "ListOffsets %s-%d error %d" % (topic, partition, err))
    return off


def wait_coordinator(c):
    """Waits until some broker is the group's coordinator and has loaded
    its partition (FindCoordinator from any broker names it)."""
    def ready():
        err, node = find_coordinator(c.brokers[0].bootstrap, GROUP)
        if err != 0:
            return False
        b = [x for x in c.brokers if x.id == node]
        return bool(b) and describe_group(b[0].bootstrap, GROUP)[0] == 0
    wait_until(ready, 60, "the coordinator of group %s" % GROUP)


def coordinator(c):
    """(coordinator broker, the other one) of the single offsets partition."""
    md = c.metadata(OFFSETS)
    for t in md.get("topics", []):
        if t.get("topic") == OFFSETS:
            ldr = t["partitions"][0]["leader"]
            co = [b for b in c.brokers if b.id == ldr][0]
            return co, [b for b in c.brokers if b.id != ldr][0]
    check(False, "no %s metadata" % OFFSETS)


def offsets_and_errors(conn, stable):
    err, got = offset_fetch(conn, [(TOPIC, 0), (TOPIC, 1)], stable)
    check(err == 0, "OffsetFetch group error %d" % err)
    return got


def test(c):
    c.create_topic(TOPIC, partitions=2)
    wait_coordinator(c)
    co, other = coordinator(c)
    conn = Conn(co.port)
    err, pid, epoch = conn.init_producer_id()
    check(err == 0 and epoch == 0, "InitProducerId: %d" % err)
    err, pid2, _ = conn.init_producer_id()
    check(err == 0 and pid2 != pid, "second InitProducerId: %d" % err)

    # a committed baseline, then the transaction's offsets
    res = offset_commit(co.bootstrap, GROUP, {(TOPIC, 0): 5})
    check(res == {(TOPIC, 0): 0}, "OffsetCommit: %r" % res)
    co_end = list_offset(conn, OFFSETS, 0, 0)
    check(list_offset(conn, OFFSETS, 0, 1) == co_end, "offsets partition stable before")
    res = txn_commit(conn, {(TOPIC, 0): 10, (TOPIC, 1): 20}, pid, epoch)
    check(res == {(TOPIC, 0): 0, (TOPIC, 1): 0}, "TxnOffsetCommit v2: %r" % res)
    want_pending = {(TOPIC, 0): (5, 0), (TOPIC, 1): (-1, 0)}
    want_unstable = {(TOPIC, 0): (-1, UNSTABLE_OFFSET_COMMIT), (TOPIC, 1): (-1, UNSTABLE_OFFSET_COMMIT)}
    got = offsets_and_errors(conn, False)
    check(got == want_pending, "OffsetFetch with a pending transaction: %r" % got)
    got = offsets_and_errors(conn, True)
    check(got == want_unstable, "OffsetFetch require_stable: %r" % got)
    # the batch is the producer's transaction on the offsets partition
    check(list_offset(conn, OFFSETS, 0, 0) == co_end + 2, "offsets partition end")
    check(list_offset(conn, OFFSETS, 0, 1) == co_end,
          "LSO of the offsets partition %d (transaction from %d)"
          % (list_offset(conn, OFFSETS, 0, 1), co_end))
    log("TxnOffsetCommit: offsets pending, OffsetFetch shows 5/-1, require_stable 88, LSO held")

    # request checks
    res = txn_commit(conn, {(TOPIC, 0): 1, ("nosuch", 0): 1, (TOPIC, 7): 1}, pid, epoch,
                     group="tg-checks")
    check(res == {(TOPIC, 0): 0, ("nosuch", 0): UNKNOWN_TOPIC_OR_PARTITION,
                  (TOPIC, 7): UNKNOWN_TOPIC_OR_PARTITION}, "unknown partitions: %r" % res)
    res = txn_commit(conn, {(TOPIC, 0): 1}, pid, epoch, group="")
    check(res == {(TOPIC, 0): INVALID_GROUP_ID}, "empty group id: %r" % res)
    res = txn_commit(conn, {(TOPIC, 0): 1}, pid, epoch, metadata="m" * 5000)
    check(res == {(TOPIC, 0): OFFSET_METADATA_TOO_LARGE}, "large metadata: %r" % res)
    res = txn_commit(conn, {(TOPIC, 0): 1}, pid, epoch, ver=3, member="nobody")
    check(res == {(TOPIC, 0): UNKNOWN_MEMBER_ID}, "unknown member: %r" % res)
    res = txn_commit(conn, {(TOPIC, 0): 1}, pid, epoch, ver=3, generation=4)
    check(res == {(TOPIC, 0): ILLEGAL_GENERATION}, "generation: %r" % res)
    oconn = Conn(other.port)
    res = txn_commit(oconn, {(TOPIC, 0): 1}, pid, epoch)
    check(res == {(TOPIC, 0): NOT_COORDINATOR}, "non-coordinator: %r" % res)
    oconn.close()
    # counts beyond the bytes sent: refused with a log line, broker goes on
    h = Conn(co.port)
    answered = True
    try:
        h.call(28, 2, string("tx") + string(GROUP) + s64(pid) + s16(0) + s32(0x7FFFFFFF))
    except (harness.TestFailure, OSError):
        answered = False
    h.close()
    check(not answered, "hostile TxnOffsetCommit answered")
    wait_until(lambda: "invalid TxnOffsetCommit request body" in co.log_text(), 30,
               "a log line for the hostile TxnOffsetCommit")
    # the failed checks left the transaction as it was
    got = offsets_and_errors(conn, True)
    check(got == want_unstable, "after the refused requests: %r" % got)
    log("checks: 3, 24, 12, 25, 22, 16; hostile request refused")

    # a restart keeps the pending offsets pending
    conn.close()
    co.restart()
    wait_coordinator(c)
    co, other = coordinator(c)
    conn = Conn(co.port)
    wait_until(lambda: offset_fetch(conn, [(TOPIC, 0)], False)[0] == 0, 60, "the group loaded")
    got = offsets_and_errors(conn, False)
    check(got == want_pending, "after restart, OffsetFetch: %r" % got)
    got = offsets_and_errors(conn, True)
    check(got == want_unstable, "after restart, require_stable: %r" % got)
    check(list_offset(conn, OFFSETS, 0, 1) == co_end, "LSO after restart")
    log("restart: still pending")

    # COMMIT materializes them
    check(write_marker(conn, pid, epoch, True) == 0, "COMMIT marker")
    want_committed = {(TOPIC, 0): (10, 0), (TOPIC, 1): (20, 0)}
    got = offsets_and_errors(conn, False)
    check(got == want_committed, "after COMMIT: %r" % got)
    got = offsets_and_errors(conn, True)
    check(got == want_committed, "after COMMIT, require_stable: %r" % got)
    end = list_offset(conn, OFFSETS, 0, 0)
    check(list_offset(conn, OFFSETS, 0, 1) == end, "LSO after COMMIT")
    log("COMMIT: offsets 10/20 committed")

    # ABORT drops another producer's
    res = txn_commit(conn, {(TOPIC, 0): 30}, pid2, 0)
    check(res == {(TOPIC, 0): 0}, "TxnOffsetCommit of the second producer: %r" % res)
    got = offsets_and_errors(conn, True)
    check(got[(TOPIC, 0)] == (-1, UNSTABLE_OFFSET_COMMIT) and got[(TOPIC, 1)] == (20, 0),
          "second producer pending: %r" % got)
    check(write_marker(conn, pid2, 0, False) == 0, "ABORT marker")
    got = offsets_and_errors(conn, True)
    check(got == want_committed, "after ABORT: %r" % got)
    # the offsets partition knows the second producer now: an older epoch
    # is fenced by its producer state
    res = txn_commit(conn, {(TOPIC, 0): 1}, pid2, -1, ver=3)
    check(res == {(TOPIC, 0): INVALID_PRODUCER_EPOCH}, "older producer epoch: %r" % res)
    got = offsets_and_errors(conn, True)
    check(got == want_committed, "after the fenced commit: %r" % got)
    # a plain commit after a transaction committed: the later one wins
    res = txn_commit(conn, {(TOPIC, 1): 40}, pid, epoch)
    check(res == {(TOPIC, 1): 0}, "third TxnOffsetCommit: %r" % res)
    res = offset_commit(co.bootstrap, GROUP, {(TOPIC, 1): 41})
    check(res == {(TOPIC, 1): 0}, "OffsetCommit during the transaction: %r" % res)
    got = offsets_and_errors(conn, False)
    check(got[(TOPIC, 1)] == (41, 0), "plain commit visible: %r" % got)
    check(write_marker(conn, pid, epoch, True) == 0, "second COMMIT marker")
    want_final = {(TOPIC, 0): (10, 0), (TOPIC, 1): (41, 0)}
    got = offsets_and_errors(conn, True)
    check(got == want_final, "the plain commit written after the transaction's: %r" % got)
    log("ABORT drops; 47 for an older epoch; a later plain commit beats an earlier transactional one")

    # a reload replays the markers: committed ones stay, nothing pending
    conn.close()
    co.restart()
    wait_coordinator(c)
    co, other = coordinator(c)
    conn = Conn(co.port)
    wait_until(lambda: offset_fetch(conn, [(TOPIC, 0)], False)[0] == 0, 60, "the group loaded")
    got = offsets_and_errors(conn, True)
    check(got == want_final, "after the second restart: %r" % got)
    conn.close()
    log("second restart: committed offsets reloaded, the aborted one gone, nothing pending")


if __name__ == "__main__":
    harness.main(test, brokers=2, broker_props={"offsets.topic.num.partitions": "1"})
