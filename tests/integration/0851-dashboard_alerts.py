#!/usr/bin/env python3
"""The Grafana dashboard (docs/grafana/samsa.json) and the Prometheus alert
rules (docs/prometheus/alerts.yml) only use series Samsa exports:

* `promtool check rules` accepts alerts.yml and `promtool test rules`
  passes its unit tests (docs/prometheus/alerts_test.yml: every alert fires
  on its condition and not before its `for`);
* every dashboard query, with Grafana's variables filled in, is valid
  PromQL (promtool checks it as a recording rule);
* every metric name in the dashboard queries and the alert expressions
  appears in a real scrape of a running broker that has served produce,
  consume and metadata traffic. The only exceptions are named below:
  `up` (Prometheus's own scrape health series) and the node exporter's
  filesystem series used for disk space (docs/metrics.md says why).

Without promtool the test fails loudly (it is in .ci/packages)."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import urllib.request

import harness
from harness import check, log

TOPIC = "dash-topic"
DASHBOARD = os.path.join(harness.SRC, "docs", "grafana", "samsa.json")
ALERTS_DIR = os.path.join(harness.SRC, "docs", "prometheus")
# Series the rules use on purpose that a broker cannot export.
NOT_FROM_SAMSA = {
    "up": "Prometheus's scrape health of the broker's endpoint",
    "node_filesystem_avail_bytes": "node exporter: Samsa has no log-size metric yet",
    "node_filesystem_size_bytes": "node exporter: Samsa has no log-size metric yet",
}
# Stand-ins for Grafana's variables when the queries are checked.
GRAFANA_VARS = {"$__rate_interval": "1m", "$job": "samsa"}

PROMQL_WORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
                "group_right", "bool", "offset", "inf", "nan"}


def metric_names(expr):
    """The metric names an expression selects: identifiers left once
    strings, label matchers, ranges, grouping clauses, function calls and
    keywords are removed."""
    e = re.sub(r'"(\\.|[^"\\])*"', "", expr)
    e = re.sub(r"\{[^}]*\}", " ", e)
    e = re.sub(r"\[[^\]]*\]", " ", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    names = set()
    for m in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", e):
        word, call = m.group(1), m.group(2)
        if call or word.lower() in PROMQL_WORDS:
            continue
        names.add(word)
    return names


def promtool():
    p = shutil.which("promtool")
    if not p:
        msg = "!!! promtool NOT FOUND: alerts and dashboard NOT checked (apt-get install prometheus) !!!"
        print(msg, flush=True)
        check(False, msg)
    return p


def run_promtool(args, cwd):
    p = subprocess.run([promtool()] + args, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=120)
    out = p.stdout.decode(errors="replace")
    check(p.returncode == 0, "promtool %s failed:\n%s" % (" ".join(args), out))
    return out


def dashboard_exprs():
    with open(DASHBOARD) as f:
        d = json.load(f)
    check(d.get("schemaVersion", 0) >= 36, "schemaVersion %s" % d.get("schemaVersion"))
    tvars = {v["name"]: v for v in d["templating"]["list"]}
    check(tvars.get("datasource", {}).get("type") == "datasource"
          and tvars["datasource"].get("query") == "prometheus", "no Prometheus datasource variable")
    exprs = []
    for p in d["panels"]:
        if p["type"] == "row":
            continue
        check(p["datasource"]["uid"] == "${datasource}", "panel %r ignores the datasource variable" % p["title"])
        for t in p["targets"]:
            e = t["expr"]
            for k, v in GRAFANA_VARS.items():
                e = e.replace(k, v)
            check("$" not in e, "panel %r uses an unknown variable: %s" % (p["title"], t["expr"]))
            exprs.append((p["title"], e))
    return exprs


def alert_exprs():
    # PyYAML is not needed: promtool has parsed the file; the expressions
    # are the `expr:` values (single line, or a `|` block).
    exprs = []
    lines = open(os.path.join(ALERTS_DIR, "alerts.yml")).read().splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)expr:\s*(.*)$", lines[i])
        if m:
            if m.group(2).strip() == "|":
                indent, body, i = len(m.group(1)), [], i + 1
                while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
                    body.append(lines[i].strip())
                    i += 1
                exprs.append(" ".join(body))
                continue
            exprs.append(m.group(2))
        i += 1
    return exprs


def scraped_names(b):
    with open(b.server_log, errors="replace") as f:
        port = re.findall(r"Serving Prometheus metrics on http://127\.0\.0\.1:(\d+)/metrics", f.read())[-1]
    with urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port, timeout=30) as r:
        text = r.read().decode()
    return {re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
            for line in text.splitlines() if line and not line.startswith("#")}


def test(c):
    # The extraction itself, on the shapes the files use.
    got = metric_names('histogram_quantile(0.99, sum by (request, le) (rate(a_bucket{job="x",'
                       'topic!="y"}[5m]))) / on (job) group_left (instance) b > bool 1e3 and c')
    check(got == {"a_bucket", "b", "c"}, "metric_names extracted %s" % got)

    # --- the rules ---
    out = run_promtool(["check", "rules", "alerts.yml"], ALERTS_DIR)
    check("SUCCESS: 6 rules found" in out, "promtool check rules: %s" % out)
    run_promtool(["test", "rules", "alerts_test.yml"], ALERTS_DIR)
    log("alerts.yml: promtool check rules and its unit tests pass")
    a_exprs = alert_exprs()
    check(len(a_exprs) == 6, "found %d alert expressions" % len(a_exprs))

    # --- the dashboard queries are valid PromQL ---
    d_exprs = dashboard_exprs()
    check(len(d_exprs) >= 15, "only %d dashboard queries" % len(d_exprs))
    tmp = tempfile.mkdtemp(prefix="samsa-dash-", dir=c.root)
    with open(os.path.join(tmp, "dashboard-rules.yml"), "w") as f:
        f.write("groups:\n  - name: dashboard\n    rules:\n")
        for n, (_, e) in enumerate(d_exprs):
            f.write("      - record: dashboard:query%d\n        expr: %s\n" % (n, json.dumps(e)))
    run_promtool(["check", "rules", "dashboard-rules.yml"], tmp)
    log("all %d dashboard queries parse" % len(d_exprs))

    # --- every name is exported by a broker that has seen traffic ---
    c.create_topic(TOPIC, partitions=2, rf=1)
    c.kcat("-P", "-t", TOPIC, input="".join("m%d\n" % i for i in range(50)).encode())
    c.kcat("-C", "-t", TOPIC, "-o", "beginning", "-e", "-q", "-c", "50")
    c.kcat("-L", "-t", TOPIC)
    exported = scraped_names(c.brokers[0])
    check("kafka_server_brokertopicmetrics_messagesin_total" in exported, "scrape: %s" % sorted(exported))
    used = {}
    for title, e in d_exprs:
        for n in metric_names(e):
            used.setdefault(n, "dashboard panel %r" % title)
    for e in a_exprs:
        for n in metric_names(e):
            used.setdefault(n, "alert %r" % e)
    log("names used: %s" % ", ".join(sorted(used)))
    for must in ("kafka_network_requestmetrics_totaltimems_bucket", "kafka_controller_kafkacontroller_activecontrollercount",
                 "process_open_fds", "up", "node_filesystem_avail_bytes"):
        check(must in used, "the name extraction missed %s" % must)
    missing = ["%s (%s)" % (n, where) for n, where in sorted(used.items())
               if n not in exported and n not in NOT_FROM_SAMSA]
    check(not missing, "used but not exported by Samsa: %s" % "; ".join(missing))
    for n in NOT_FROM_SAMSA:
        check(n not in exported, "%s is exported after all: drop it from NOT_FROM_SAMSA" % n)
    log("all %d names used by the dashboard and alerts are exported (%d named exceptions)"
        % (len(used), len(NOT_FROM_SAMSA)))


harness.main(test, brokers=1, broker_props={"metrics.listener": "http://127.0.0.1:0"})
