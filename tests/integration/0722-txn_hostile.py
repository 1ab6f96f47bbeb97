#!/usr/bin/python3
"""Hostile and malformed requests to the transaction coordinator get Kafka's
answers and leave the broker up and free of sanitizer reports:
AddPartitionsToTxn claiming INT32_MAX topics (or partitions) in a few bytes
closes the connection with a log line naming the peer; 100,000 partitions
of an unknown topic are each answered UNKNOWN_TOPIC_OR_PARTITION, 100,000
entries repeating two real partitions are added as two; an
internal topic is refused with TOPIC_AUTHORIZATION_FAILED and the rest of
the request OPERATION_NOT_ATTEMPTED; an empty transactional id is
INVALID_REQUEST in AddPartitionsToTxn, AddOffsetsToTxn and EndTxn;
FindCoordinator key type 2 is INVALID_REQUEST; unknown producers get
INVALID_PRODUCER_ID_MAPPING and a stale epoch INVALID_PRODUCER_EPOCH (v0-1)
or PRODUCER_FENCED (v2+); EndTxn of a transaction that never started is
INVALID_TXN_STATE. After a restart with another
transaction.state.log.num.partitions the coordinator keeps the topic's own
partition count, so transactional ids keep their partition."""
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402
from produceutil import Conn, array, s16, s32, s64, string  # noqa: E402

TOPIC = "txn-hostile"
TID = "tx-hostile"
UNKNOWN_TOPIC_OR_PARTITION = 3
TOPIC_AUTHORIZATION_FAILED = 29
INVALID_REQUEST = 42
INVALID_PRODUCER_EPOCH = 47
INVALID_TXN_STATE = 48
INVALID_PRODUCER_ID_MAPPING = 49
OPERATION_NOT_ATTEMPTED = 55
PRODUCER_FENCED = 90
INT32_MAX = 2 ** 31 - 1


def add_partitions_v1(tid, pid, epoch, topics):
    return (string(tid) + s64(pid) + s16(epoch) +
            array([string(t) + array([s32(p) for p in ps]) for t, ps in topics]))


def add_partitions_result(r):
    """{(topic, partition): error}"""
    pos = 4
    out = {}
    (nt,) = struct.unpack_from(">i", r, pos)
    pos += 4
    for _ in range(nt):
        (ln,) = struct.unpack_from(">h", r, pos)
        name = r[pos + 2:pos + 2 + ln].decode()
        pos += 2 + ln
        (np_,) = struct.unpack_from(">i", r, pos)
        pos += 4
        for _ in range(np_):
            part, err = struct.unpack_from(">ih", r, pos)
            pos += 6
            out[(name, part)] = err
    return out


def single_error(r):
    return struct.unpack_from(">h", r, 4)[0]


def closed_on(port, key, ver, body):
    """The broker closes the connection instead of answering."""
    conn = Conn(port, timeout=30)
    try:
        conn.call(key, ver, body)
    except (harness.TestFailure, OSError, struct.error):
        return True
    finally:
        conn.close()
    return False


def test(c):
    c.create_topic(TOPIC, partitions=2)
    port = c.brokers[0].port
    conn = Conn(port)
    # a real producer: FindCoordinator type 1 (v1) creates the topic, then
    # InitProducerId is retried until the partition is loaded
    body = string(TID) + struct.pack(">b", 1)
    wait_until(lambda: struct.unpack_from(">h", conn.call(10, 1, body), 4)[0] == 0, 60,
               "a transaction coordinator for %s" % TID)
    r = wait_until(lambda: (lambda e: e if e[0] == 0 else None)(
        conn.init_producer_id(ver=1, txn_id=TID, timeout_ms=60000)), 60, "InitProducerId")
    _, pid, epoch = r
    log("producer id %d epoch %d" % (pid, epoch))

    # counts beyond the bytes sent: closed, with a log line
    bad = string(TID) + s64(pid) + s16(epoch) + s32(INT32_MAX)
    check(closed_on(port, 24, 1, bad), "INT32_MAX topics in 24 bytes answered")
    bad = string(TID) + s64(pid) + s16(epoch) + s32(1) + string(TOPIC) + s32(INT32_MAX)
    check(closed_on(port, 24, 1, bad), "INT32_MAX partitions in a few bytes answered")
    check(closed_on(port, 26, 1, string(TID) + s64(pid)), "a truncated EndTxn answered")
    wait_until(lambda: "Closing connection from 127.0.0.1:" in c.brokers[0].log_text() and
               "invalid AddPartitionsToTxn request body" in c.brokers[0].log_text(), 30,
               "a log line naming the peer and the malformed request")

    # many partitions of an unknown topic: each answered, nothing added
    res = add_partitions_result(conn.call(24, 1, add_partitions_v1(
        TID, pid, epoch, [("no-such-topic", list(range(100000)))])))
    check(len(res) == 100000 and set(res.values()) == {UNKNOWN_TOPIC_OR_PARTITION},
          "unknown partitions: %d answers, errors %r" % (len(res), set(res.values())))
    # an internal topic beside a real one
    res = add_partitions_result(conn.call(24, 1, add_partitions_v1(
        TID, pid, epoch, [("__consumer_offsets", [0]), (TOPIC, [0])])))
    check(res == {("__consumer_offsets", 0): TOPIC_AUTHORIZATION_FAILED,
                  (TOPIC, 0): OPERATION_NOT_ATTEMPTED}, "internal topic: %r" % res)
    # empty transactional ids
    res = add_partitions_result(conn.call(24, 1, add_partitions_v1("", pid, epoch, [(TOPIC, [0])])))
    check(set(res.values()) == {INVALID_REQUEST}, "empty id in AddPartitionsToTxn: %r" % res)
    check(single_error(conn.call(25, 1, string("") + s64(pid) + s16(epoch) + string("g")))
          == INVALID_REQUEST, "empty id in AddOffsetsToTxn")
    check(single_error(conn.call(26, 1, string("") + s64(pid) + s16(epoch) + b"\x01"))
          == INVALID_REQUEST, "empty id in EndTxn")
    # FindCoordinator key type 2
    check(struct.unpack_from(">h", conn.call(10, 1, string(TID) + struct.pack(">b", 2)), 4)[0]
          == INVALID_REQUEST, "FindCoordinator key type 2")
    # producer checks
    check(single_error(conn.call(26, 1, string(TID) + s64(pid + 1) + s16(epoch) + b"\x01"))
          == INVALID_PRODUCER_ID_MAPPING, "EndTxn with another producer id")
    check(single_error(conn.call(26, 1, string("never-seen") + s64(pid) + s16(epoch) + b"\x01"))
          == INVALID_PRODUCER_ID_MAPPING, "EndTxn with an unknown transactional id")
    check(single_error(conn.call(26, 1, string(TID) + s64(pid) + s16(epoch + 1) + b"\x01"))
          == INVALID_PRODUCER_EPOCH, "EndTxn v1 with another epoch")
    check(single_error(conn.call(26, 2, string(TID) + s64(pid) + s16(epoch + 1) + b"\x01"))
          == PRODUCER_FENCED, "EndTxn v2 with another epoch")
    check(single_error(conn.call(26, 1, string(TID) + s64(pid) + s16(epoch) + b"\x01"))
          == INVALID_TXN_STATE, "EndTxn without a transaction")
    # 100,000 entries naming the two real partitions over and over: one
    # answer each, the transaction holds two partitions
    res = add_partitions_result(conn.call(24, 1, add_partitions_v1(
        TID, pid, epoch, [(TOPIC, [i % 2 for i in range(100000)])])))
    check(set(res.values()) == {0}, "repeated partitions: %r" % set(res.values()))
    # and the coordinator still works
    res = add_partitions_result(conn.call(24, 1, add_partitions_v1(TID, pid, epoch, [(TOPIC, [0, 1])])))
    check(set(res.values()) == {0}, "AddPartitionsToTxn after the abuse: %r" % res)
    check(single_error(conn.call(26, 1, string(TID) + s64(pid) + s16(epoch) + b"\x00")) == 0,
          "EndTxn abort after the abuse")
    conn.close()
    check(c.brokers[0].alive(), "the broker died")

    # a restart with another transaction.state.log.num.partitions keeps the
    # topic's own count (50): the id still maps to its partition (15, not 2
    # of 7), so its producer id is found and its epoch bumped
    b = c.brokers[0]
    b.stop()
    b.props["transaction.state.log.num.partitions"] = "7"
    b.write_props()
    b.start()
    check("__transaction_state has 50 partitions (transaction.state.log.num.partitions is 7)"
          in b.log_text(), "no log line about the partition count from ZooKeeper")
    conn = Conn(b.port)
    r = wait_until(lambda: (lambda e: e if e[0] == 0 else None)(
        conn.init_producer_id(ver=1, txn_id=TID, timeout_ms=60000)), 60, "InitProducerId after restart")
    check(r[1] == pid and r[2] == epoch + 1, "after the restart: %r, was pid %d epoch %d" % (r, pid, epoch))
    conn.close()


harness.main(test, brokers=1)
