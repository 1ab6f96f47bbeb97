#!/usr/bin/python3
"""kafka-mirror-maker.sh copies the topics matching --whitelist from one
Samsa cluster to another (each with its own ZooKeeper) and loses nothing
when the target cluster's broker is killed (SIGKILL) while records flow
and started again:
every record produced to the source (key, value, headers) is found on the
target afterwards (duplicates allowed, at least once), a topic outside the
whitelist is not copied, and after a clean stop the group's committed
offsets on the source are the source partitions' end offsets. The ignored
--message.handler is warned about. With --abort.on.send.failure (the
default) a record the target refuses for good stops the tool with status
1 and no offset at or past that record is committed."""
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import BIN, check, log  # noqa: E402
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

TOPIC = "mm-orders"
OTHER = "unmirrored"
PARTS = 3
GROUP = "mm-group"
BIG = "mm-big"
BIG_GROUP = "mm-big-group"
N1, N2, N3 = 3000, 6000, 2000


target_count_cached = [0]


def target_count(boot):
    """Records on the target topic (sum of the high watermarks)."""
    c = Consumer({"bootstrap.servers": boot, "group.id": "mm-count"})
    try:
        n = sum(c.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=10)[1]
                for p in range(PARTS))
    except Exception:  # noqa: B902 - the target may be restarting
        n = 0
    finally:
        c.close()
    target_count_cached[0] = n
    return n


def produce(boot, start, n, batches=1):
    """Records start..start+n-1, in batches flushed one after the other
    (so that they keep arriving while the test acts on the target)."""
    p = Producer({"bootstrap.servers": boot, "acks": "all", "linger.ms": 5})
    errs = []
    per = max(1, n // batches)
    for i in range(start, start + n):
        if i > start and (i - start) % per == 0:
            p.flush(60)
            time.sleep(0.05)
        hdrs = [("idx", str(i).encode())] if i % 3 == 0 else None
        p.produce(TOPIC, key=("k%d" % (i % 17)).encode(), value=("v%07d" % i).encode(),
                  headers=hdrs, on_delivery=lambda e, m: e and errs.append(e))
        p.poll(0)
    check(p.flush(60) == 0, "source producer did not flush")
    check(not errs, "source produce errors: %r" % errs[:3])


def read_all(boot, topic, want, deadline_s):
    """Reads the topic from the start until want values were seen (or the
    deadline passes); returns {value: (key, headers)} and the record count."""
    c = Consumer({"bootstrap.servers": boot, "group.id": "mm-reader-%d" % time.time(),
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    c.assign([TopicPartition(topic, p, 0) for p in range(PARTS)])
    seen, count = {}, 0
    deadline = time.time() + deadline_s
    try:
        while len(seen) < want and time.time() < deadline:
            m = c.poll(0.5)
            if m is None or m.error():
                continue
            count += 1
            seen[m.value().decode()] = (m.key().decode(), m.headers())
    finally:
        c.close()
    return seen, count


def test(src):
    with harness.Cluster(brokers=1, name="mm-target") as dst:
        src.create_topic(TOPIC, partitions=PARTS)
        src.create_topic(OTHER, partitions=1)
        dst.create_topic(TOPIC, partitions=PARTS)
        produce(src.bootstrap, 0, N1)
        harness.run([os.path.join(BIN, "kafka-console-producer.sh"), "--bootstrap-server",
                     src.bootstrap, "--topic", OTHER], input=b"not-copied\n", what="producer")

        ccfg = os.path.join(src.root, "mm-consumer.properties")
        with open(ccfg, "w") as f:
            f.write("bootstrap.servers=%s\ngroup.id=%s\nauto.offset.reset=earliest\n"
                    "key.deserializer=org.apache.kafka.common.serialization.ByteArrayDeserializer\n"
                    % (src.bootstrap, GROUP))
        pcfg = os.path.join(src.root, "mm-producer.properties")
        with open(pcfg, "w") as f:
            # The target's port changes on restart unless it is pinned:
            # the broker restarts with the same properties file.
            f.write("bootstrap.servers=%s\n"
                    "key.serializer=org.apache.kafka.common.serialization.ByteArraySerializer\n"
                    % dst.bootstrap)
        mm_log = open(os.path.join(src.root, "mirror-maker.log"), "wb")
        mm = subprocess.Popen([os.path.join(BIN, "kafka-mirror-maker.sh"), "--consumer.config", ccfg,
                               "--producer.config", pcfg, "--whitelist", " 'mm-.*' ",
                               "--num.streams", "2", "--offset.commit.interval.ms", "500",
                               "--message.handler", "com.example.Handler"],
                              stdout=mm_log, stderr=subprocess.STDOUT,
                              env=dict(os.environ, SAMSA_BUILD_DIR=harness.BUILD),
                              preexec_fn=harness._die_with_parent)
        try:
            seen, _ = read_all(dst.bootstrap, TOPIC, N1, 120)
            check(len(seen) == N1, "before the bounce: %d of %d records mirrored" % (len(seen), N1))
            log("first %d records mirrored" % N1)

            # Kill the target's broker while records are flowing through the
            # mirror maker, keep producing to the source while it is down,
            # then start it again.
            b = dst.brokers[0]
            t = threading.Thread(target=produce, args=(src.bootstrap, N1, N2, 60))
            t.start()
            harness.wait_until(lambda: target_count(dst.bootstrap) > N1 + 200, 120,
                               "mirrored records of the second batch on the target")
            b.kill9()
            log("target broker killed with %d records on it" % target_count_cached[0])
            t.join()
            check(mm.poll() is None, "mirror maker exited while the target was down")
            b.start()
            log("target broker back")
            produce(src.bootstrap, N1 + N2, N3)
            total = N1 + N2 + N3
            seen, count = read_all(dst.bootstrap, TOPIC, total, 180)
            missing = [i for i in range(total) if "v%07d" % i not in seen]
            check(not missing, "%d records missing on the target, first %r"
                  % (len(missing), missing[:10]))
            check(count >= total, "read %d records for %d values" % (count, total))
            for i in range(total):
                key, hdrs = seen["v%07d" % i]
                check(key == "k%d" % (i % 17), "key of record %d: %r" % (i, key))
                if i % 3 == 0:
                    check(hdrs == [("idx", str(i).encode())], "headers of %d: %r" % (i, hdrs))
            log("all %d records on the target (%d read, %d duplicates)" % (total, count, count - total))
            md = dst.metadata() or {}
            check(md.get("topics") and OTHER not in [t["topic"] for t in md["topics"]],
                  "topic outside the whitelist was mirrored: %r" % md)
        finally:
            if mm.poll() is None:
                mm.send_signal(signal.SIGTERM)
            try:
                rc = mm.wait(120)
            except subprocess.TimeoutExpired:
                mm.kill()
                mm.wait()
                rc = "killed"
            mm_log.close()
        with open(os.path.join(src.root, "mirror-maker.log"), errors="replace") as f:
            out = f.read()
        log(out[-2000:])
        check(rc == 0, "mirror maker exit status %r" % rc)
        check("Ignoring --message.handler com.example.Handler" in out, "no warning for the handler")

        # The clean stop committed everything the target acknowledged.
        c = Consumer({"bootstrap.servers": src.bootstrap, "group.id": GROUP,
                      "enable.auto.commit": False})
        tps = [TopicPartition(TOPIC, p) for p in range(PARTS)]
        committed = c.committed(tps, timeout=30)
        ends = [c.get_watermark_offsets(tp, timeout=30)[1] for tp in tps]
        c.close()
        check([tp.offset for tp in committed] == ends,
              "committed %r, end offsets %r" % ([tp.offset for tp in committed], ends))

        abort_on_send_failure(src, dst, ccfg, pcfg)


def big_count(boot):
    c = Consumer({"bootstrap.servers": boot, "group.id": "mm-count"})
    try:
        return c.get_watermark_offsets(TopicPartition(BIG, 0), timeout=10)[1]
    except Exception:  # noqa: B902 - not there yet
        return 0
    finally:
        c.close()


def abort_on_send_failure(src, dst, ccfg, pcfg):
    """A record the target refuses for good (too large for the target
    topic) stops the mirror maker with status 1, and the source offset
    committed for its group stays before that record."""
    src.create_topic(BIG, partitions=1)
    dst.create_topic(BIG, partitions=1, extra=["--config", "max.message.bytes=1000"])
    cfg2 = ccfg + ".big"
    with open(ccfg) as f, open(cfg2, "w") as g:
        g.write(f.read().replace("group.id=%s" % GROUP, "group.id=%s" % BIG_GROUP))
    out_path = os.path.join(src.root, "mirror-maker-big.log")
    with open(out_path, "wb") as out:
        mm = subprocess.Popen([os.path.join(BIN, "kafka-mirror-maker.sh"), "--consumer.config", cfg2,
                               "--producer.config", pcfg, "--whitelist", BIG,
                               "--offset.commit.interval.ms", "100"],
                              stdout=out, stderr=subprocess.STDOUT,
                              env=dict(os.environ, SAMSA_BUILD_DIR=harness.BUILD),
                              preexec_fn=harness._die_with_parent)
    try:
        p = Producer({"bootstrap.servers": src.bootstrap})
        p.produce(BIG, value=b"small-0")
        check(p.flush(30) == 0, "source producer did not flush")
        # The first record is acknowledged by the target before the
        # refused one is even produced to the source.
        harness.wait_until(lambda: big_count(dst.bootstrap) >= 1, 120, "small-0 on the target")
        for v in (b"x" * 5000, b"small-2"):
            p.produce(BIG, value=v)
        check(p.flush(30) == 0, "source producer did not flush")
        rc = mm.wait(180)
    finally:
        if mm.poll() is None:
            mm.kill()
            mm.wait()
    with open(out_path, errors="replace") as f:
        err = f.read()
    log(err[-1500:])
    check(rc == 1, "mirror maker exit status %d after a refused record" % rc)
    check("Error when sending message to topic %s" % BIG in err, "no send error logged")
    c = Consumer({"bootstrap.servers": src.bootstrap, "group.id": BIG_GROUP,
                  "enable.auto.commit": False})
    committed = c.committed([TopicPartition(BIG, 0)], timeout=30)[0].offset
    c.close()
    # Offset 0 was acknowledged, offset 1 is the refused record: the
    # commit covers the first and nothing at or past the second.
    check(committed == 1, "committed offset %d, expected 1" % committed)


harness.main(test, brokers=1)
