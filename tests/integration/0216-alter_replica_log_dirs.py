#!/usr/bin/python3
"""Proves a reassignment to another broker with "log_dirs" lands the replica in the named dir there, and a replica moves between a broker's two log dirs (AlterReplicaLogDirs, Kafka's future log and ReplicaAlterLogDirsThread): a raw request naming a dir that is not configured (absolute or relative) answers LOG_DIR_NOT_FOUND and one for a partition the broker does not host REPLICA_NOT_AVAILABLE; kafka-reassign-partitions.sh --execute with "log_dirs" starts the move while an idempotent producer keeps writing, --verify reports it in progress or completed as Kafka prints it, DescribeLogDirs shows the future replica with its lag until the swap; afterwards every acknowledged record is readable exactly once and in order, the partition dir exists only in the new log dir, and all of that survives a restart. Then a broker killed with -9 in the middle of a second move (many small segments, replica.fetch.max.bytes tiny so each copy step moves one batch) restarts with nothing lost and finishes the move. Last, with an ACL denying Alter on the cluster, every partition of a request answers CLUSTER_AUTHORIZATION_FAILED and nothing moves."""
import json
import os
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402

TOPIC = "ard"
DIRS = ("data-a", "data-b")
LOG_DIR_NOT_FOUND = 57
REPLICA_NOT_AVAILABLE = 9
NONE = 0
CLUSTER_AUTHORIZATION_FAILED = 31


def kstr(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


class Reader:
    def __init__(self, buf):
        self.b, self.p = buf, 0

    def take(self, fmt):
        v = struct.unpack_from(">" + fmt, self.b, self.p)
        self.p += struct.calcsize(">" + fmt)
        return v[0] if len(v) == 1 else v

    def string(self):
        n = self.take("h")
        s = self.b[self.p:self.p + n].decode()
        self.p += n
        return s


def roundtrip(b, api, ver, body, corr=11):
    req = struct.pack(">hhi", api, ver, corr) + kstr("it-0216") + body
    with socket.create_connection(("127.0.0.1", b.port), timeout=30) as s:
        s.sendall(struct.pack(">i", len(req)) + req)
        buf = b""
        while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
            chunk = s.recv(65536)
            check(chunk, "broker closed the connection (api %d v%d)" % (api, ver))
            buf += chunk
    r = Reader(buf[4:])
    check(r.take("i") == corr, "correlation id")
    return r


def alter_dirs(b, moves, ver=1):
    """AlterReplicaLogDirs v0/v1: moves is [(dir, topic, [partitions])];
    returns {(topic, partition): error_code}."""
    body = struct.pack(">i", len(moves))
    for d, t, parts in moves:
        body += kstr(d) + struct.pack(">i", 1) + kstr(t) + struct.pack(">i", len(parts))
        body += b"".join(struct.pack(">i", p) for p in parts)
    r = roundtrip(b, 34, ver, body)
    r.take("i")  # throttle
    out = {}
    for _ in range(r.take("i")):
        t = r.string()
        for _ in range(r.take("i")):
            p, err = r.take("ih")
            out[(t, p)] = err
    return out


def describe_dirs(b):
    """DescribeLogDirs v1 for every partition: {dir: {(topic, partition,
    is_future): (size, offset_lag)}}, error_code per dir checked zero."""
    r = roundtrip(b, 35, 1, struct.pack(">i", -1))
    r.take("i")
    out = {}
    for _ in range(r.take("i")):
        err = r.take("h")
        d = r.string()
        check(err == 0, "DescribeLogDirs error %d for %s" % (err, d))
        parts = out.setdefault(d, {})
        for _ in range(r.take("i")):
            t = r.string()
            for _ in range(r.take("i")):
                p, size, lag, fut = r.take("iqqb")
                parts[(t, p, bool(fut))] = (size, lag)
    return out


def where(b, dirs):
    """(current dirs, future dirs) of TOPIC-0 by DescribeLogDirs."""
    dd = describe_dirs(b)
    cur = [d for d in dirs if (TOPIC, 0, False) in dd.get(d, {})]
    fut = [d for d in dirs if (TOPIC, 0, True) in dd.get(d, {})]
    return cur, fut, dd


def on_disk(dirs):
    """Every entry of the log dirs that belongs to TOPIC-0."""
    return sorted(os.path.join(os.path.basename(d), n) for d in dirs for n in os.listdir(d)
                  if n.startswith(TOPIC + "-0"))


def produce(c, tag, n):
    vals = ["%s-%05d" % (tag, i) for i in range(n)]
    p = c.kcat("-P", "-t", TOPIC, "-p", "0", "-z", "none", "-X", "acks=all",
               "-X", "batch.num.messages=1", "-X", "linger.ms=0",
               input="".join(v + "\n" for v in vals).encode(), check_rc=False, timeout=90)
    check(p.returncode == 0 and b"Delivery failed" not in p.stderr,
          "produce failed (rc %d): %r" % (p.returncode, p.stderr[-800:]))
    return vals


def check_records(c, acked, what):
    got = [v.decode() for _k, v, _o in c.read_partition(TOPIC, 0)]
    check(len(got) == len(set(got)), "%s: duplicate records" % what)
    pos = {v: i for i, v in enumerate(got)}
    missing = [v for v in acked if v not in pos]
    check(not missing, "%s: %d acknowledged records missing, first %r" %
          (what, len(missing), missing[:3]))
    idx = [pos[v] for v in acked]
    check(idx == sorted(idx), "%s: acknowledged records out of order" % what)
    return got


class Writer:
    """An idempotent confluent-kafka producer writing until stopped; acked
    holds the delivered values in delivery order."""

    def __init__(self, c):
        from confluent_kafka import Producer
        self.p = Producer({"bootstrap.servers": c.bootstrap, "enable.idempotence": True,
                           "acks": "all", "linger.ms": 5,
                           "batch.num.messages": 5})
        self.acked, self.errors = [], []
        self.stop = threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def cb(self, err, msg):
        if err:
            self.errors.append(str(err))
        else:
            self.acked.append(msg.value().decode())

    def run(self):
        i = 0
        while not self.stop.is_set():
            self.p.produce(TOPIC, value=("w-%06d" % i).encode(), partition=0, on_delivery=self.cb)
            i += 1
            self.p.poll(0.002)
        self.p.flush(30)

    def finish(self):
        self.stop.set()
        self.t.join(60)
        self.p = None  # closes its connections before the broker restarts
        check(not self.errors, "producer errors: %r" % self.errors[:3])
        return self.acked


def reassign(c, action, path, *extra):
    p = harness.run([os.path.join(harness.BIN, "kafka-reassign-partitions.sh"),
                     "--bootstrap-server", c.bootstrap, "--reassignment-json-file", path,
                     action] + list(extra), check_rc=False, timeout=60,
                    what="kafka-reassign-partitions.sh " + action)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def cross_broker(c):
    """A reassignment to another broker naming the dir there: --execute
    retries AlterReplicaLogDirs until broker 1 hosts the replica, and the
    replica ends in that dir."""
    b1 = c.brokers[1]
    dirs1 = [os.path.join(b1.dir, d) for d in DIRS]
    c.topics("--zookeeper", c.zk_connect, "--create", "--topic", "ard2", "--replica-assignment", "0")
    c.wait_for_leaders("ard2", 1)
    c.kcat("-P", "-t", "ard2", "-p", "0", input=b"x1\nx2\nx3\n")
    js = os.path.join(c.root, "cross.json")
    with open(js, "w") as f:
        json.dump({"version": 1, "partitions": [{"topic": "ard2", "partition": 0,
                                                  "replicas": [1], "log_dirs": [dirs1[1]]}]}, f)
    rc, out, err = reassign(c, "--execute", js)
    check(rc == 0 and "Successfully started log directory move for: ard2-0-1" in out,
          "cross-broker --execute rc %d: %s %s" % (rc, out, err))

    def done():
        rc, out, _ = reassign(c, "--verify", js)
        return (rc == 0 and "Reassignment of partition ard2-0 is complete." in out and
                "Reassignment of replica ard2-0-1 completed successfully." in out)
    wait_until(done, 60, "the cross-broker reassignment with its log dir")
    dd = describe_dirs(b1)
    check(("ard2", 0, False) in dd[dirs1[1]] and not any(("ard2", 0, True) in v for v in dd.values()),
          "broker 1 log dirs %r" % dd)
    c.wait_for_leaders("ard2", 1)
    got = [v for _k, v, _o in c.read_partition("ard2", 0)]
    check(got == [b"x1", b"x2", b"x3"], "ard2 after the reassignment: %r" % got)
    b1.stop()  # the rest runs on broker 0 alone


def test(c):
    cross_broker(c)
    b = c.brokers[0]
    dirs = [os.path.join(b.dir, d) for d in DIRS]
    c.topics("--zookeeper", c.zk_connect, "--create", "--topic", TOPIC, "--replica-assignment",
             "0", "--config", "segment.bytes=1024")
    c.wait_for_leaders(TOPIC, 1)
    cur, fut, _ = where(b, dirs)
    check(len(cur) == 1 and not fut, "%s-0 in %r, futures %r" % (TOPIC, cur, fut))
    src = cur[0]
    dst = [d for d in dirs if d != src][0]
    acked = produce(c, "a", 1500)

    # Kafka's answers for dirs it does not know and replicas it does not host
    errs = alter_dirs(b, [(os.path.join(b.dir, "nowhere"), TOPIC, [0])])
    check(errs == {(TOPIC, 0): LOG_DIR_NOT_FOUND}, "unknown absolute dir: %r" % errs)
    errs = alter_dirs(b, [(DIRS[1], TOPIC, [0])], ver=0)
    check(errs == {(TOPIC, 0): LOG_DIR_NOT_FOUND}, "relative dir: %r" % errs)
    errs = alter_dirs(b, [(dst, "no-such-topic", [3])])
    check(errs == {("no-such-topic", 3): REPLICA_NOT_AVAILABLE}, "unhosted replica: %r" % errs)
    line = ("cannot move %s-0 to log dir %s: LOG_DIR_NOT_FOUND" %
            (TOPIC, os.path.join(b.dir, "nowhere")))
    check(any("Refused part of AlterReplicaLogDirs request from 127.0.0.1:" in l and line in l
              for l in b.log_text().splitlines()), "no log line naming the peer and the dir")
    check(where(b, dirs)[0] == [src] and on_disk(dirs) == [os.path.join(os.path.basename(src),
                                                                         TOPIC + "-0")],
          "a refused request moved something: %r" % on_disk(dirs))

    # the move through the tool while a producer writes
    w = Writer(c)
    wait_until(lambda: len(w.acked) >= 50 or w.errors, 30, "first produced records")
    js = os.path.join(c.root, "move.json")
    with open(js, "w") as f:
        json.dump({"version": 1, "partitions": [{"topic": TOPIC, "partition": 0,
                                                  "replicas": [0], "log_dirs": [dst]}]}, f)
    rc, out, err = reassign(c, "--execute", js, "--replica-alter-log-dirs-throttle", "100000")
    check(rc == 0, "--execute rc %d: %s %s" % (rc, out, err))
    check("Successfully started log directory move for: %s-0-0" % TOPIC in out,
          "--execute output: %s" % out)
    seen = {"future": False}

    def moved():
        cur, fut, dd = where(b, dirs)
        if fut:
            seen["future"] = True
            check(fut == [dst] and cur == [src], "moving: current %r future %r" % (cur, fut))
            check(dd[dst][(TOPIC, 0, True)][1] >= 0, "future lag %r" % (dd[dst],))
        return cur == [dst] and not fut
    wait_until(moved, 60, "%s-0 to be in %s only (DescribeLogDirs)" % (TOPIC, dst))
    rc, out, err = reassign(c, "--verify", js)
    check("Reassignment of replica %s-0-0 completed successfully." % TOPIC in out,
          "--verify output: %s %s" % (out, err))
    more = w.finish()
    check(len(more) > 50, "the producer wrote only %d records" % len(more))
    acked += more
    check_records(c, acked, "after the move")
    check(on_disk(dirs) == [os.path.join(os.path.basename(dst), TOPIC + "-0")],
          "partition dirs after the move: %r" % on_disk(dirs))
    check(os.path.exists(os.path.join(dst, TOPIC + "-0", "leader-epoch-checkpoint")),
          "no leader-epoch-checkpoint in the new dir")
    log("moved %s-0 from %s to %s with %d records (future seen: %s)" %
        (TOPIC, src, dst, len(acked), seen["future"]))
    b.restart()
    c.wait_for_leaders(TOPIC, 1)
    check(where(b, dirs)[0] == [dst], "after restart %s-0 is in %r" % (TOPIC, where(b, dirs)[0]))
    check_records(c, acked, "after the restart")
    acked += produce(c, "b", 20)

    # kill -9 in the middle of a move back: the copy goes one small batch a
    # step into a new segment every few batches; a future with a lag is seen
    # by DescribeLogDirs before the broker dies
    errs = alter_dirs(b, [(src, TOPIC, [0])])
    check(errs == {(TOPIC, 0): NONE}, "move back: %r" % errs)
    state = {}

    def mid_move():
        cur, fut, dd = where(b, dirs)
        if fut == [src]:
            size, lag = dd[src][(TOPIC, 0, True)]
            if size > 0 and lag > 0:  # part copied, part not
                state["lag"] = lag
                return True
        check(fut or cur != [src], "the second move ended before it was seen in progress")
        return False
    wait_until(mid_move, 30, "the second move in progress", interval=0.005)
    b.kill9()
    left = on_disk(dirs)
    log("killed mid-move (future lag %d): %r" % (state["lag"], left))
    check(any(n.endswith("-future") for n in left), "no -future dir after kill -9: %r" % left)
    b.start()
    c.wait_for_leaders(TOPIC, 1)
    check_records(c, acked, "after kill -9 mid-move")
    wait_until(lambda: where(b, dirs)[0] == [src] and not where(b, dirs)[1], 60,
               "the resumed move to finish")
    check(on_disk(dirs) == [os.path.join(os.path.basename(src), TOPIC + "-0")],
          "partition dirs after the resumed move: %r" % on_disk(dirs))
    check_records(c, acked, "after the resumed move")
    check("Resuming the move of %s-0" % TOPIC in b.log_text(), "no resume line in server.log")

    # without Alter on the cluster every partition is refused (the
    # authorizer allows everything else: no other ACL exists)
    p = harness.run([os.path.join(harness.BIN, "kafka-acls.sh"), "--authorizer-properties",
                     "zookeeper.connect=" + c.zk_connect, "--add", "--deny-principal",
                     "User:ANONYMOUS", "--operation", "Alter", "--cluster"],
                    what="kafka-acls.sh --add")
    # wait for the ACL with a replica the broker does not host (a request
    # sent before the ACL reaches the broker is served, and must not move
    # anything), then ask for the real move once
    wait_until(lambda: alter_dirs(b, [(dst, "no-such-topic", [3])]) ==
               {("no-such-topic", 3): CLUSTER_AUTHORIZATION_FAILED}, 30,
               "the deny ACL in effect")
    errs = alter_dirs(b, [(dst, TOPIC, [0]), (src, "other", [1])])
    check(errs == {(TOPIC, 0): CLUSTER_AUTHORIZATION_FAILED, ("other", 1): CLUSTER_AUTHORIZATION_FAILED},
          "AlterReplicaLogDirs without Alter on the cluster: %r" % errs)
    # (DescribeLogDirs is refused too now: Describe on the cluster has an ACL)
    check(on_disk(dirs) == [os.path.join(os.path.basename(src), TOPIC + "-0")],
          "a refused request moved the replica: %r" % on_disk(dirs))


def _main():
    orig = harness.Broker.__init__

    def init(self, cluster, broker_id, overrides, tag=None):
        orig(self, cluster, broker_id, overrides, tag)
        self.props["log.dirs"] = ",".join(os.path.join(self.dir, d) for d in DIRS)
        # one batch per copy step, so the kill -9 lands mid-move
        self.props["replica.fetch.max.bytes"] = "1"
        self.props["authorizer.class.name"] = "kafka.security.authorizer.AclAuthorizer"
        self.props["allow.everyone.if.no.acl.found"] = "true"
        # the restart after kill -9 waits for the old session to expire
        self.props["zookeeper.session.timeout.ms"] = "6000"
        self.write_props()
    harness.Broker.__init__ = init
    harness.main(test, brokers=2)


if __name__ == "__main__":
    _main()
