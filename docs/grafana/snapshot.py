#!/usr/bin/env python3
"""Renders docs/grafana/samsa-dashboard.png: the panels of
docs/grafana/samsa.json, drawn with matplotlib from a real Prometheus that
scraped a loaded 3-broker Samsa cluster while one broker was killed
(kill -9) and restarted.

It starts ZooKeeper and three brokers through the integration-test harness
(tests/integration/harness.py), Debian's /usr/bin/prometheus scraping their
metrics endpoints every second, a producer and a consumer (confluent-kafka)
running throughout, and then asks Prometheus for every panel query of the
dashboard (Grafana's $job and $__rate_interval filled in) over the run.
Everything it started is stopped on the way out.

Rerun from a built tree (needs python3-matplotlib, prometheus,
python3-confluent-kafka):

    SM_TOP_SRCDIR=$PWD SM_TOP_BUILDDIR=$PWD/build /usr/bin/python3 docs/grafana/snapshot.py

It writes docs/grafana/samsa-dashboard.png (or the path given as argument).
"""
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
import harness  # noqa: E402

import matplotlib  # noqa: E402
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.gridspec import GridSpec  # noqa: E402
from confluent_kafka import Consumer, Producer  # noqa: E402

JOB = "samsa"
RATE_INTERVAL = "10s"
PHASE = 45          # seconds: steady, broker 2 dead, recovered
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "samsa-dashboard.png")


def metrics_port(b):
    import re
    text = open(b.server_log, errors="replace").read()
    return int(re.findall(r"Serving Prometheus metrics on http://127\.0\.0\.1:(\d+)/metrics", text)[-1])


def prom_get(port, path, **params):
    url = "http://127.0.0.1:%d%s?%s" % (port, path, urllib.parse.urlencode(params))
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read().decode())


def load(bootstrap, stop):
    """A producer at a few hundred records a second over two topics of
    different sizes, and a consumer reading both."""
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 20})
    cons = Consumer({"bootstrap.servers": bootstrap, "group.id": "snapshot",
                     "auto.offset.reset": "earliest"})
    cons.subscribe(["orders", "clicks"])
    n = 0
    got = [0]

    def consume():
        while not stop.is_set():
            m = cons.poll(0.2)
            if m is not None and not m.error():
                got[0] += 1
        cons.close()
    t = threading.Thread(target=consume)
    t.start()
    while not stop.is_set():
        for _ in range(20):
            p.produce("orders", ("order-%d " % n).encode() + b"x" * 300)
            if n % 2 == 0:
                p.produce("clicks", ("click-%d" % n).encode() + b"y" * 60)
            n += 1
        p.poll(0)
        time.sleep(0.05)
    p.flush(30)
    t.join()
    print("produced %d, consumed %d" % (n + n // 2, got[0]), flush=True)


def render(dashboard, prom, start, end, events):
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    rows = sorted({p["gridPos"]["y"] for p in panels})
    plt.style.use("dark_background")
    fig = plt.figure(figsize=(16, 3.1 * len(rows)), dpi=72)
    fig.suptitle("Samsa (docs/grafana/samsa.json): 3 brokers under load, broker 2 killed and restarted",
                 fontsize=13)
    gs = GridSpec(len(rows), 24, figure=fig, hspace=0.4, wspace=2.5,
                  left=0.04, right=0.99, top=0.94, bottom=0.05)
    for p in panels:
        g = p["gridPos"]
        ax = fig.add_subplot(gs[rows.index(g["y"]), g["x"]:g["x"] + g["w"]])
        ax.set_title(p["title"], fontsize=10, loc="left")
        drew = 0
        for t in p["targets"]:
            expr = t["expr"].replace("$__rate_interval", RATE_INTERVAL).replace("$job", JOB)
            res = prom_get(prom, "/api/v1/query_range", query=expr, start=start, end=end, step="1")
            for s in res["data"]["result"]:
                legend = t["legendFormat"]
                for k, v in s["metric"].items():
                    legend = legend.replace("{{%s}}" % k, v)
                xs, ys = [], []
                for at, val in s["values"]:
                    # A gap (the broker was down): break the line, as
                    # Grafana does, rather than drawing across it.
                    if xs and float(at) - start - xs[-1] > 2.5:
                        xs.append(xs[-1] + 1)
                        ys.append(float("nan"))
                    xs.append(float(at) - start)
                    ys.append(float(val))
                ax.plot(xs, ys, linewidth=1, label=legend)
                drew += 1
        if not drew:
            raise SystemExit("panel %r has no data" % p["title"])
        for label, at in events:
            ax.axvline(at - start, color="#888888", linestyle=":", linewidth=1)
        ax.tick_params(labelsize=7)
        ax.set_xlim(0, end - start)
        unit = p["fieldConfig"]["defaults"].get("unit", "")
        if unit in ("Bps", "bytes"):
            ax.yaxis.set_major_formatter(matplotlib.ticker.EngFormatter(unit="B/s" if unit == "Bps" else "B"))
        elif unit == "ms":
            ax.set_ylabel("ms", fontsize=7)
        elif unit == "percentunit":
            ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.legend(fontsize=6, loc="upper left", ncol=2 if drew > 4 else 1, framealpha=0.3)
    fig.text(0.5, 0.005, "seconds since start; dotted lines: broker 2 killed, broker 2 restarted",
             ha="center", fontsize=8)
    fig.savefig(OUT, dpi=72)
    print("wrote %s (%d bytes)" % (OUT, os.path.getsize(OUT)))


def main():
    with open(os.path.join(HERE, "samsa.json")) as f:
        dashboard = json.load(f)
    props = {"replica.lag.time.max.ms": "2000", "zookeeper.session.timeout.ms": "6000",
             "min.insync.replicas": "2", "offsets.topic.replication.factor": "3"}
    prom_proc = None
    with harness.Cluster(brokers=0, broker_props=props, name="dashboard-snapshot") as c:
        try:
            # Fixed metrics ports, so that Prometheus finds broker 2 again
            # after its restart.
            for _ in range(3):
                c.add_broker(props={"metrics.listener": "http://127.0.0.1:%d" % harness.free_port()})
            c.create_topic("orders", partitions=6, rf=3)
            c.create_topic("clicks", partitions=3, rf=3)
            c.wait_for_leaders("orders", 6)
            c.wait_for_leaders("clicks", 3)
            targets = ["127.0.0.1:%d" % metrics_port(b) for b in c.brokers]
            prom_port = harness.free_port()
            pdir = os.path.join(c.root, "prometheus")
            os.makedirs(pdir)
            with open(os.path.join(pdir, "prometheus.yml"), "w") as f:
                f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                        "scrape_configs:\n  - job_name: %s\n    static_configs:\n"
                        "      - targets: %s\n" % (JOB, json.dumps(targets)))
            prom_proc = subprocess.Popen(
                ["/usr/bin/prometheus", "--config.file=" + os.path.join(pdir, "prometheus.yml"),
                 "--storage.tsdb.path=" + os.path.join(pdir, "data"),
                 "--web.listen-address=127.0.0.1:%d" % prom_port],
                stdout=open(os.path.join(pdir, "prometheus.log"), "w"), stderr=subprocess.STDOUT,
                preexec_fn=harness._die_with_parent)
            harness.wait_until(lambda: harness.port_is_open(prom_port), 60, "prometheus listening")
            start = time.time()
            stop = threading.Event()
            loader = threading.Thread(target=load, args=(c.bootstrap, stop))
            loader.start()
            events = []
            try:
                time.sleep(PHASE)
                c.brokers[2].kill9()
                events.append(("killed", time.time()))
                time.sleep(PHASE)
                c.brokers[2].start()
                events.append(("restarted", time.time()))
                time.sleep(PHASE)
            finally:
                stop.set()
                loader.join()
            end = time.time()
            time.sleep(3)    # the last scrapes
            render(dashboard, prom_port, start, end, events)
        finally:
            if prom_proc:
                prom_proc.terminate()
                prom_proc.wait(30)


if __name__ == "__main__":
    main()
