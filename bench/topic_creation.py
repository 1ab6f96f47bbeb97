#!/usr/bin/python3
"""Topic creation benchmark: seconds from `kafka-topics.sh --bootstrap-server
... --create` of one topic of many partitions until every broker's Metadata
shows a leader for every partition, with the time broken down.

Figures only; nothing here passes or fails. Cases (SM_BENCH_TOPIC_CASES,
"partitions:brokers:rf" separated by spaces, default
"1000:1:1 10000:1:1 1000:3:3 10000:3:2"), each on a fresh cluster started with
the integration harness. The breakdown comes from the brokers' own log
lines:

- controller: "Started N new partitions of topic T in X ms with Y ZooKeeper
  requests" (controller.log: the partition state znodes written and the
  requests to the brokers queued);
- brokers: "Handled LeaderAndIsr request ... for N partitions in X ms (K logs
  created in Y ms)" (server.log), summed per broker; the log creation part
  is the partition directories and their files;
- the machine's own figure for the same files: a directory with the empty
  .log, a 10 MiB sparse .index and .timeindex (ftruncate), and the
  leader-epoch-checkpoint per partition, created by this script on the same
  disk, so the broker's file creation can be compared with it.
"""
import os
import re
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402
from harness import log, wait_until  # noqa: E402

CTRL = re.compile(r"Started (\d+) new partitions of topic (\S+) in (\d+) ms with (\d+) ZooKeeper requests")
LAI = re.compile(r"Handled LeaderAndIsr request from controller \d+ epoch \d+ for (\d+) partitions in (\d+) ms "
                 r"\((\d+) logs created in (\d+) ms\)")
TOPIC = "many"


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def all_led(c, n):
    """Every broker's Metadata shows n partitions of TOPIC, each with a
    leader."""
    for b in c.brokers:
        p = harness.run([harness.KCAT, "-b", b.bootstrap, "-L", "-J", "-t", TOPIC, "-m", "30"], timeout=60,
                        check_rc=False, what="kcat -L")
        if p.returncode != 0:
            return False
        import json
        try:
            md = json.loads(p.stdout)
        except ValueError:
            return False
        ok = False
        for t in md.get("topics", []):
            if t.get("topic") == TOPIC and not t.get("err"):
                parts = t.get("partitions", [])
                ok = len(parts) == n and all(x.get("leader", -1) >= 0 and not x.get("err") for x in parts)
        if not ok:
            return False
    return True


def plain_files(n, where):
    """Seconds to create n partition directories with the files a new
    partition gets, in a scratch directory on the same disk."""
    d = tempfile.mkdtemp(prefix="bench-files-", dir=where)
    t0 = time.monotonic()
    for i in range(n):
        p = os.path.join(d, "%s-%d" % (TOPIC, i))
        os.mkdir(p)
        open(os.path.join(p, "00000000000000000000.log"), "wb").close()
        for ext in ("index", "timeindex"):
            with open(os.path.join(p, "00000000000000000000." + ext), "wb") as f:
                f.truncate(10485760)
        with open(os.path.join(p, "leader-epoch-checkpoint"), "w") as f:
            f.write("0\n0\n")
    secs = time.monotonic() - t0
    shutil.rmtree(d, ignore_errors=True)
    return secs


def run_case(n, brokers, rf):
    r = {}
    cluster = harness.Cluster(brokers=brokers, name="bench-topic",
                              broker_props={"num.io.threads": "2", "num.network.threads": "1"})
    with cluster as c:
        t0 = time.monotonic()
        # The tool gives up after its 30 s timeout while the creation goes
        # on (the topic's znodes are written before the broker answers);
        # the figure is the time until the leaders show, whatever it says.
        p = c.topics("--bootstrap-server", c.bootstrap, "--create", "--topic", TOPIC, "--partitions", str(n),
                     "--replication-factor", str(rf), timeout=600, check_rc=False)
        r["cmd"] = time.monotonic() - t0
        r["cmd_rc"] = p.returncode
        wait_until(lambda: all_led(c, n), 900, "leaders for all %d partitions in every broker's Metadata" % n,
                   interval=0.2)
        r["total"] = time.monotonic() - t0
        ctrl = []
        for b in c.brokers:
            ctrl += CTRL.findall(read(os.path.join(b.log_dir, "controller.log")))
        ctrl = [m for m in ctrl if m[1] == TOPIC]
        r["ctrl_ms"] = sum(int(m[2]) for m in ctrl)
        r["ctrl_zk"] = sum(int(m[3]) for m in ctrl)
        lai = []
        for b in c.brokers:
            ms = [m for m in LAI.findall(read(b.server_log)) if int(m[2]) > 0]
            lai.append((b.id, sum(int(m[0]) for m in ms), sum(int(m[1]) for m in ms),
                        sum(int(m[2]) for m in ms), sum(int(m[3]) for m in ms), len(ms)))
        r["lai"] = lai
        r["plain"] = plain_files((n * rf + brokers - 1) // brokers, c.brokers[0].data_dir)
    return r


def main():
    cases = [tuple(int(x) for x in s.split(":")) for s in
             os.environ.get("SM_BENCH_TOPIC_CASES", "1000:1:1 10000:1:1 1000:3:3 10000:3:2").split()]
    rows = []
    for n, brokers, rf in cases:
        log("topic creation benchmark: %d partitions, %d brokers, RF %d" % (n, brokers, rf))
        rows.append((n, brokers, rf, run_case(n, brokers, rf)))
    print("== topic creation (kafka-topics.sh --bootstrap-server --create until every broker's Metadata "
          "shows every leader; times in s)")
    print("%-10s %-7s %-3s %-7s %-8s %-9s %-7s  %s" % ("partitions", "brokers", "RF", "total", "command",
                                                       "ctrl", "ZK", "per broker: LeaderAndIsr s "
                                                       "(requests) / logs created in s / same files by hand"))
    for n, brokers, rf, r in rows:
        per = "; ".join("b%d %.2f (%d) / %d in %.2f" % (bid, ms / 1000.0, nreq, created, cms / 1000.0)
                        for bid, parts, ms, created, cms, nreq in r["lai"])
        print("%-10d %-7d %-3d %-7.2f %-8s %-9.2f %-7d  %s / %.2f" % (n, brokers, rf, r["total"],
                                                                    "%.2f%s" % (r["cmd"], "" if r["cmd_rc"] == 0
                                                                                else "(t/o)"),
                                                                      r["ctrl_ms"] / 1000.0, r["ctrl_zk"],
                                                                      per, r["plain"]))
    print("rerun: SM_BENCH_TOPIC_CASES='%s' SM_TOP_BUILDDIR=%s /usr/bin/python3 %s"
          % (" ".join("%d:%d:%d" % x for x in cases), harness.BUILD, os.path.abspath(__file__)))


if __name__ == "__main__":
    main()
