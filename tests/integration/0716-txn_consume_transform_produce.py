#!/usr/bin/python3
"""Consume-transform-produce with confluent-kafka: a group member reads
an input topic, a transactional producer writes the transformed records and
hands the consumer's positions to the transaction with
send_offsets_to_transaction (AddOffsetsToTxn, then TxnOffsetCommit v3 with
the member's generation and id). Until the transaction commits the group's
committed offsets do not move (OffsetFetch answers the old ones, with
require_stable UNSTABLE_OFFSET_COMMIT); the commit's marker on the group's
__consumer_offsets partition makes them the committed offsets together with
the output records; an aborted transaction leaves both the output and the
offsets as they were, so a new member of the group re-reads exactly the
aborted input and the output ends up with every input record exactly once."""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402
from produceutil import Conn, compact_string, s32, uvarint  # noqa: E402

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition  # noqa: E402

IN, OUT, GROUP = "ctp-in", "ctp-out", "ctp"
PARTS = 2
N = 20
UNSTABLE_OFFSET_COMMIT = 88


def carray(items):
    return uvarint(len(items) + 1) + b"".join(items)


def offset_fetch(c, require_stable):
    """OffsetFetch v7 of the input partitions at the group's coordinator:
    [(offset, error)] per partition."""
    for b in c.brokers:
        conn = Conn(b.port)
        body = compact_string(GROUP) + carray(
            [compact_string(IN) + carray([s32(p) for p in range(PARTS)]) + b"\0"])
        body += struct.pack(">b", 1 if require_stable else 0) + b"\0"
        r = conn.call(9, 7, body, flexible=True)
        conn.close()
        # throttle, topics: 1 topic named IN, then its partitions
        p = 4
        check(r[p] == 2, "one topic answered")
        p += 1
        n = r[p] - 1
        p += 1 + n
        cnt = r[p] - 1
        p += 1
        out = []
        for _ in range(cnt):
            _idx, off, _ep = struct.unpack_from(">iqi", r, p)
            p += 16
            mlen = r[p] - 1
            p += 1 + max(mlen, 0)
            err = struct.unpack_from(">h", r, p)[0]
            p += 3  # error, tagged fields
            out.append((off, err))
        p += 1  # topic tagged fields
        gerr = struct.unpack_from(">h", r, p)[0]
        if gerr == 16:  # NOT_COORDINATOR: ask the next broker
            continue
        check(gerr == 0, "OffsetFetch group error %d" % gerr)
        return out
    check(False, "no broker coordinates group %s" % GROUP)


def member(c):
    cons = Consumer({"bootstrap.servers": c.bootstrap, "group.id": GROUP,
                     "isolation.level": "read_committed", "enable.auto.commit": False,
                     "auto.offset.reset": "earliest", "session.timeout.ms": 10000})
    cons.subscribe([IN])
    return cons


def take(cons, n):
    """The next n input records (value strings) as the member polls them."""
    got, polls = [], 0
    while len(got) < n:
        polls += 1
        check(polls < 400, "only %d of %d input records consumed" % (len(got), n))
        m = cons.poll(0.5)
        if m is None:
            continue
        if m.error():
            raise KafkaException(m.error())
        got.append(m.value().decode())
    return got


def transform(p, cons, vals):
    p.begin_transaction()
    for v in vals:
        p.produce(OUT, value=v.upper().encode(), partition=int(v.split("-")[1]) % PARTS)
    positions = cons.position(cons.assignment())
    p.send_offsets_to_transaction(positions, cons.consumer_group_metadata(), 60)
    p.flush(60)
    return positions


def sent_offsets(positions):
    """{partition: offset} of the positions send_offsets_to_transaction
    commits (librdkafka leaves out partitions without a position)."""
    return {tp.partition: tp.offset for tp in positions if tp.offset >= 0}


def expect(base, sent, unstable=False):
    """What OffsetFetch answers per partition: base, except the partitions
    in sent (unstable while their transaction is open)."""
    return [((-1, UNSTABLE_OFFSET_COMMIT) if unstable else (sent[i], 0)) if i in sent else base[i]
            for i in range(PARTS)]


def output(c):
    cons = Consumer({"bootstrap.servers": c.bootstrap, "group.id": "ctp-reader",
                     "isolation.level": "read_committed", "enable.auto.commit": False,
                     "auto.offset.reset": "earliest", "enable.partition.eof": True})
    cons.assign([TopicPartition(OUT, p, 0) for p in range(PARTS)])
    got, eof, polls = [], set(), 0
    while len(eof) < PARTS:
        polls += 1
        check(polls < 400, "the output reader did not reach the end")
        m = cons.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF
                eof.add(m.partition())
                continue
            raise KafkaException(m.error())
        eof.discard(m.partition())
        got.append(m.value().decode())
    cons.close()
    return sorted(got)


def test(c):
    c.create_topic(IN, partitions=PARTS)
    c.create_topic(OUT, partitions=PARTS)
    src = Producer({"bootstrap.servers": c.bootstrap})
    for i in range(N):
        src.produce(IN, value=("rec-%d" % i).encode(), partition=i % PARTS)
    src.flush(60)

    p = Producer({"bootstrap.servers": c.bootstrap, "transactional.id": "ctp-tx",
                  "linger.ms": 5})
    p.init_transactions(60)
    cons = member(c)

    # first transaction: committed. A partition the member has not read
    # from yet has no position and is not part of the offsets sent.
    first = take(cons, N // 2)
    sent = sent_offsets(transform(p, cons, first))
    check(sent, "no offsets sent with the first transaction")
    none = [(-1, 0)] * PARTS
    check(offset_fetch(c, False) == none,
          "offsets visible before the commit: %r" % offset_fetch(c, False))
    check(offset_fetch(c, True) == expect(none, sent, unstable=True),
          "require_stable before the commit: %r (sent %r)" % (offset_fetch(c, True), sent))
    p.commit_transaction(60)
    # the coordinator writes the markers after answering EndTxn
    want1 = expect(none, sent)
    wait_until(lambda: offset_fetch(c, True) == want1, 60,
               "the committed offsets %r" % want1)
    wait_until(lambda: output(c) == sorted(v.upper() for v in first), 60,
               "the first transaction's output")
    log("committed transaction: offsets %r with %d output records" % (want1, len(first)))

    # second transaction: aborted; offsets and output stay
    second = take(cons, N // 2)
    sent2 = sent_offsets(transform(p, cons, second))
    check(offset_fetch(c, True) == expect(want1, sent2, unstable=True),
          "require_stable in the second transaction: %r" % offset_fetch(c, True))
    check(offset_fetch(c, False) == want1, "plain OffsetFetch in the second transaction")
    p.abort_transaction(60)
    wait_until(lambda: offset_fetch(c, True) == want1, 60, "the offsets after the abort")
    check(output(c) == sorted(v.upper() for v in first), "output after the abort")
    cons.close()
    log("aborted transaction: offsets and output unchanged")

    # a new member resumes at the committed offsets: the aborted input again
    cons = member(c)
    again = take(cons, N // 2)
    check(sorted(again) == sorted(second), "the new member read %r, not the aborted input"
          % sorted(again))
    sent3 = sent_offsets(transform(p, cons, again))
    p.commit_transaction(60)
    cons.close()
    want2 = expect(want1, sent3)
    check(want2 == [(N // PARTS, 0)] * PARTS, "final positions %r" % want2)
    wait_until(lambda: offset_fetch(c, True) == want2, 60, "the final offsets %r" % want2)
    wait_until(lambda: output(c) == sorted("REC-%d" % i for i in range(N)), 60,
               "every input record once in the output")
    log("new member re-read the aborted input; output has every record exactly once")


if __name__ == "__main__":
    harness.main(test, brokers=1, broker_props={"transaction.state.log.num.partitions": "2",
                                                "offsets.topic.num.partitions": "2"})
