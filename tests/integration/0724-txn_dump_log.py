#!/usr/bin/python3
"""Proves kafka-dump-log.sh --transaction-log-decoder prints __transaction_state records as Kafka 2.8's DumpLogSegments (TransactionLog.formatRecordKeyAndValue) does: a transaction committed with confluent-kafka on one broker shows up in the __transaction_state segment as "key: transaction_metadata::transactionalId=<id> payload: producerId:<id>,producerEpoch:<e>,state=<State>,partitions=[...],txnLastUpdateTimestamp=<ms>,txnTimeoutMs=<ms>" lines going Empty, Ongoing, PrepareCommit, CompleteCommit, with the transaction's partitions in the order Kafka's (Scala 2.13) HashSet lists them, one producer id throughout; once the id expires (transactional.id.expiration.ms) its tombstone prints "<DELETE>"; without the decoder the same segment prints no decoded keys; a record whose partition list claims more ids than it holds stops the tool with a message (no crash); a segment that is not a transaction log stops the tool with Kafka's message."""
import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402

from confluent_kafka import Producer  # noqa: E402

TOPIC = "dlt"
TID = "dump-me"
PARTS = 5


def java_hash(s):
    h = 0
    for ch in s:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h


def scala_set_order(tps):
    """Iteration order of a Scala 2.13 mutable.HashSet of a few
    TopicPartitions (16 buckets: fewer than 12 elements)."""
    def key(tp):
        t, p = tp
        h = (31 * (31 + p) + java_hash(t)) & 0xFFFFFFFF
        h ^= h >> 16
        signed = h - (1 << 32) if h >= 1 << 31 else h
        return (h & 15, signed)
    assert len(tps) < 12
    return sorted(tps, key=key)


def dump(c, seg, *flags):
    env = dict(os.environ, SAMSA_BUILD_DIR=harness.BUILD)
    p = harness.run([os.path.join(harness.BIN, "kafka-dump-log.sh"), "--files", seg] +
                    list(flags), env=env, check_rc=False)
    err = p.stderr.decode(errors="replace")
    # a sanitizer build reports on stderr; the tool must stay clean
    check(not any(m in err for m in harness.SANITIZER_MARKERS), "sanitizer report: %s" % err)
    return p


LINE = re.compile(r"^\| offset: \d+ .* key: transaction_metadata::transactionalId=(\S+) "
                  r"payload: (.*)$")
PAYLOAD = re.compile(r"^producerId:(\d+),producerEpoch:(\d+),state=(\w+),partitions=\[(.*)\],"
                     r"txnLastUpdateTimestamp=(\d+),txnTimeoutMs=(\d+)$")


def decoded(c, seg):
    p = dump(c, seg, "--transaction-log-decoder")
    check(p.returncode == 0, "kafka-dump-log.sh rc %d: %s" % (p.returncode, p.stderr))
    out = []
    for line in p.stdout.decode().splitlines():
        m = LINE.match(line)
        if m:
            out.append((m.group(1), m.group(2)))
    return out


def test(c):
    c.add_broker(props={"transaction.state.log.num.partitions": "1",
                        "transactional.id.expiration.ms": "5000",
                        "transaction.remove.expired.transaction.cleanup.interval.ms": "500"})
    c.create_topic(TOPIC, partitions=PARTS)
    p = Producer({"bootstrap.servers": c.bootstrap, "transactional.id": TID,
                  "transaction.timeout.ms": 45000})
    p.init_transactions(30)
    p.begin_transaction()
    used = [0, 2, 3]
    for part in used:
        p.produce(TOPIC, b"v", partition=part)
    p.commit_transaction(30)
    p.flush(10)
    del p

    seg = os.path.join(c.brokers[0].data_dir, "__transaction_state-0", "%020d.log" % 0)
    check(os.path.exists(seg), "no %s: %r" % (seg, glob.glob(os.path.join(
        c.brokers[0].data_dir, "__transaction_state*"))))
    # The tombstone is written once the id has been idle 5 s.
    wait_until(lambda: decoded(c, seg) and decoded(c, seg)[-1][1] == "<DELETE>", 60,
               "the expired id's tombstone in %s" % seg)
    recs = decoded(c, seg)
    for r in recs:
        log("%s %s" % r)
    check(all(tid == TID for tid, _ in recs), "records of other ids: %r" % recs)
    parsed = [PAYLOAD.match(v) for _, v in recs[:-1]]
    check(all(parsed), "payloads not in Kafka's format: %r" % recs)
    states = [m.group(3) for m in parsed]
    # Ongoing may be written more than once (partitions added in steps)
    dedup = [s for i, s in enumerate(states) if i == 0 or states[i - 1] != s]
    check(dedup == ["Empty", "Ongoing", "PrepareCommit", "CompleteCommit"], "states %r" % states)
    check(len({m.group(1) for m in parsed}) == 1, "producer ids %r" % recs)
    check(all(m.group(6) == "45000" for m in parsed), "txnTimeoutMs %r" % recs)
    check(all(int(m.group(5)) > 1500000000000 for m in parsed), "timestamps %r" % recs)
    expected = ",".join("%s-%d" % tp for tp in scala_set_order([(TOPIC, q) for q in used]))
    byst = {m.group(3): m.group(4) for m in parsed}
    check(byst["Empty"] == "" and byst["CompleteCommit"] == "",
          "Empty/CompleteCommit partitions %r" % byst)
    check(byst["PrepareCommit"] == expected, "PrepareCommit partitions %r, want [%s]" %
          (byst["PrepareCommit"], expected))
    check(recs[-1] == (TID, "<DELETE>"), "last record %r" % (recs[-1],))

    # Without the decoder no record is decoded.
    out = dump(c, seg, "--print-data-log").stdout.decode(errors="replace")
    check("transaction_metadata::" not in out and "| offset: 0" in out, "plain dump %r" % out)
    # A record whose partition list claims 2^31-1 ids it does not hold:
    # refused with a message, no crash, the tool stops there.
    with open(seg, "rb") as f:
        data = bytearray(f.read())
    at = data.find(b"\x00\x03" + TOPIC.encode())
    check(at > 0, "no partition list in %s" % seg)
    data[at + 5:at + 9] = b"\x7f\xff\xff\xff"
    bad = os.path.join(c.root, "%020d.log" % 0)
    with open(bad, "wb") as f:
        f.write(data)
    p = dump(c, bad, "--transaction-log-decoder")
    err = p.stderr.decode(errors="replace")
    check(p.returncode == 1 and "Failed to decode message using transaction log decoder "
          "(malformed value at offset" in err, "damaged record: rc %d %r" % (p.returncode, err))
    check("state=Empty" in p.stdout.decode(errors="replace"), "records before the damaged one")
    # A segment of another topic is not a transaction log: Kafka's
    # decoder fails on its key and the tool stops.
    c.kcat("-P", "-t", TOPIC, "-p", "1", "-K:", input=b"k:v\n")
    other = os.path.join(c.brokers[0].data_dir, TOPIC + "-1", "%020d.log" % 0)
    p = dump(c, other, "--transaction-log-decoder")
    err = p.stderr.decode(errors="replace")
    check(p.returncode != 0 and "from the transaction log message" in err,
          "foreign segment: rc %d %r" % (p.returncode, err))


if __name__ == "__main__":
    harness.main(test, brokers=0)
