#!/usr/bin/python3
"""Controller benchmark: seconds until every partition has a leader again,
and the ZooKeeper requests used, after kill -9 of the controller and of a
leader broker, for 1,000 and 10,000 partitions (SM_BENCH_CTRL_PARTITIONS).

Figures only; nothing here passes or fails. Each case runs a fresh cluster
of SM_BENCH_CTRL_BROKERS brokers (default 4) with one topic of replication
factor 2 (10,000 partitions x RF 3 on 3 brokers would need more open files
per broker than this machine allows). Times come from the controller's own
log lines ("Ready to serve as the new controller ..." and "Handled broker
change ..."), which report the milliseconds from the start of the event to
the last state write and the ZooKeeper requests sent meanwhile; "from kill"
adds the ZooKeeper session timeout (6 s) the failure takes to be noticed.
"""
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402
from harness import log, wait_until  # noqa: E402

SESSION_MS = 6000
READY = re.compile(r"Ready to serve as the new controller with epoch (\d+) \((\d+) partitions, (\d+) ms, "
                   r"(\d+) ZooKeeper requests\)")
CHANGE = re.compile(r"Handled broker change \((\d+) failed, (\d+) new\) in (\d+) ms with (\d+) ZooKeeper requests")


def ctl_log(b):
    try:
        with open(os.path.join(b.log_dir, "controller.log"), errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def controller_id(zk):
    import json
    return json.loads(zk.get("/controller")[0])["brokerid"]


def all_led(zk, topic, n, live):
    import json
    for p in range(n):
        data, _ = zk.get("/brokers/topics/%s/partitions/%d/state" % (topic, p))
        if json.loads(data)["leader"] not in live:
            return False
    return True


def run_case(n_parts, n_brokers):
    results = {}

    def test(c):
        zk = c.kazoo()
        t0 = time.monotonic()
        c.topics("--zookeeper", c.zk_connect, "--create", "--topic", "b", "--partitions", str(n_parts),
                 "--replication-factor", "2", timeout=600)
        wait_until(lambda: zk.exists("/brokers/topics/b/partitions/%d/state" % (n_parts - 1)), 600,
                   "partition states")
        wait_until(lambda: all_led(zk, "b", n_parts, [b.id for b in c.brokers]), 600, "leaders")
        results["create"] = time.monotonic() - t0
        # controller failover
        ctl = controller_id(zk)
        live = [b for b in c.brokers if b.id != ctl]
        before = {b.id: len(READY.findall(ctl_log(b))) for b in live}
        t0 = time.monotonic()
        c.brokers[ctl].kill9()

        def ready():
            for b in live:
                m = READY.findall(ctl_log(b))
                if len(m) > before[b.id]:
                    return m[-1]
            return None
        m = wait_until(ready, 600, "a new controller")
        results["ctl"] = (time.monotonic() - t0, int(m[2]), int(m[3]))
        wait_until(lambda: all_led(zk, "b", n_parts, [b.id for b in live]), 600, "leaders after failover")
        results["ctl_all"] = time.monotonic() - t0
        c.brokers[ctl].start()
        wait_until(lambda: all_led(zk, "b", n_parts, [b.id for b in c.brokers if b.alive()]), 600, "rejoin")
        # broker failover: a broker that is not the controller
        ctl = controller_id(zk)
        cb = c.brokers[ctl]
        victim = next(b for b in c.brokers if b.id != ctl)
        nb = len(CHANGE.findall(ctl_log(cb)))
        t0 = time.monotonic()
        victim.kill9()

        def handled():
            m = [x for x in CHANGE.findall(ctl_log(cb)) if x[0] != "0"]
            return m[-1] if len(CHANGE.findall(ctl_log(cb))) > nb and m else None
        m = wait_until(handled, 600, "the broker change")
        results["broker"] = (time.monotonic() - t0, int(m[2]), int(m[3]))
        wait_until(lambda: all_led(zk, "b", n_parts, [b.id for b in c.brokers if b.alive()]), 600,
                   "leaders after broker failure")
        results["broker_all"] = time.monotonic() - t0

    cluster = harness.Cluster(brokers=n_brokers, name="bench-ctl",
                              broker_props={"zookeeper.session.timeout.ms": SESSION_MS,
                                            "controlled.shutdown.enable": "false",
                                            "num.io.threads": "2", "num.network.threads": "1"})
    with cluster:
        test(cluster)
    return results


def main():
    sizes = [int(x) for x in os.environ.get("SM_BENCH_CTRL_PARTITIONS", "1000 10000").split()]
    n_brokers = int(os.environ.get("SM_BENCH_CTRL_BROKERS", "4"))
    rows = []
    for n in sizes:
        log("controller failover benchmark: %d partitions on %d brokers" % (n, n_brokers))
        r = run_case(n, n_brokers)
        rows.append((n, r))
    print("== controller failover (%d brokers, RF 2; times in s; ZK = ZooKeeper requests by the broker)"
          % n_brokers)
    print("%-10s %-22s %-10s %-8s %-22s %-10s %-8s" % ("partitions", "case", "event", "ZK", "", "", ""))
    for n, r in rows:
        print("%-10d %-22s %-10.2f %-8d (from kill: %.1f; all leaders seen: %.1f)"
              % (n, "controller kill -9", r["ctl"][1] / 1000.0, r["ctl"][2], r["ctl"][0], r["ctl_all"]))
        print("%-10d %-22s %-10.2f %-8d (from kill: %.1f; all leaders seen: %.1f)"
              % (n, "leader broker kill -9", r["broker"][1] / 1000.0, r["broker"][2], r["broker"][0],
                 r["broker_all"]))
        print("%-10d %-22s %-10.2f" % (n, "topic creation", r["create"]))


if __name__ == "__main__":
    main()
