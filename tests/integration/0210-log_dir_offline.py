#!/usr/bin/python3
"""Proves a failing log dir (a partition directory replaced by a file, so the next roll cannot create its segment) goes offline on its own: appends there answer KAFKA_STORAGE_ERROR, an ERROR line names the dir, a log_dir_event_notification znode is written (and consumed by the controller), kafka-log-dirs.sh reports KafkaStorageException for it, and the partition on the other dir keeps serving."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402

TOPIC = "two-dirs"


def produce(c, partition, n, prefix, check_rc=True):
    lines = "".join("%s-%04d-%s\n" % (prefix, i, "y" * 80) for i in range(n))
    return c.kcat("-P", "-t", TOPIC, "-p", str(partition), "-z", "none",
                  "-X", "batch.num.messages=1", "-X", "message.timeout.ms=4000",
                  input=lines.encode(), check_rc=check_rc, timeout=60)


def test(c):
    b = c.brokers[0]
    dirs = [os.path.join(b.dir, "data-a"), os.path.join(b.dir, "data-b")]
    c.create_topic(TOPIC, partitions=2, extra=["--config", "segment.bytes=2000"])
    where = {}
    for d in dirs:
        for p in (0, 1):
            if os.path.isdir(os.path.join(d, "%s-%d" % (TOPIC, p))):
                where[p] = d
    check(len(where) == 2 and where[0] != where[1], "partitions not spread over dirs: %r" % where)
    produce(c, 0, 5, "before")
    produce(c, 1, 5, "before")
    bad = where[0]
    pdir = os.path.join(bad, "%s-0" % TOPIC)
    os.rename(pdir, pdir + ".moved")
    with open(pdir, "w") as f:
        f.write("not a directory\n")
    p = produce(c, 0, 40, "after", check_rc=False)
    log("kcat into the failed dir: rc %d" % p.returncode)
    wait_until(lambda: "Stopping serving logs in dir %s" % bad in b.log_text(), 20,
               "an ERROR line naming %s" % bad)
    check(any(" ERROR " in line and bad in line for line in b.log_text().splitlines()),
          "no ERROR line names %s" % bad)
    # The controller (this broker) reads the notification, names the broker
    # from its JSON, and deletes it, as Kafka's does.
    wait_until(lambda: "Wrote log dir event notification /log_dir_event_notification/log_dir_event_"
               in b.log_text(), 20, "a log dir event notification")
    ctl_log = os.path.join(b.log_dir, "controller.log")
    wait_until(lambda: "Handling log directory failure for brokers 0" in
               open(ctl_log, errors="replace").read(), 20, "the controller handling the notification")
    zk = c.kazoo()
    wait_until(lambda: not zk.get_children("/log_dir_event_notification"), 20,
               "the controller deleting the notification")
    p = produce(c, 0, 1, "refused", check_rc=False)
    check(p.returncode != 0, "a produce into the offline dir succeeded")
    # the other dir keeps serving
    produce(c, 1, 10, "still")
    recs = c.read_partition(TOPIC, 1)
    check([r[2] for r in recs] == list(range(15)), "partition 1 offsets %r" % [r[2] for r in recs])
    out = harness.run([os.path.join(harness.BIN, "kafka-log-dirs.sh"), "--describe",
                       "--bootstrap-server", c.bootstrap],
                      env=dict(os.environ, SAMSA_BUILD_DIR=harness.BUILD)).stdout.decode()
    doc = json.loads(out.splitlines()[2])
    ld = {d["logDir"]: d for d in doc["brokers"][0]["logDirs"]}
    check(ld[bad]["error"] == "org.apache.kafka.common.errors.KafkaStorageException"
          and ld[bad]["partitions"] == [], "failed dir %r" % ld[bad])
    check(ld[where[1]]["error"] is None and
          [p["partition"] for p in ld[where[1]]["partitions"]] == ["%s-1" % TOPIC],
          "good dir %r" % ld[where[1]])
    log("dir %s offline, %s serving" % (bad, where[1]))


def _main():
    # log.dirs must name two dirs inside the broker's own directory, which
    # exists only once the cluster object is built: patch it before start.
    orig = harness.Broker.__init__

    def init(self, cluster, broker_id, overrides, tag=None):
        orig(self, cluster, broker_id, overrides, tag)
        self.props["log.dirs"] = ",".join(os.path.join(self.dir, d) for d in ("data-a", "data-b"))
        self.write_props()
    harness.Broker.__init__ = init
    harness.main(test, brokers=1)


if __name__ == "__main__":
    _main()
