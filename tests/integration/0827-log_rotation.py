#!/usr/bin/python3
"""The broker's log files roll as the log4j.properties named by
KAFKA_LOG4J_OPTS says (Kafka's config/log4j.properties form): server.log
with a RollingFileAppender (MaxFileSize 64KB, MaxBackupIndex 2) becomes
server.log.1, .2 and never .3, each rolled file about MaxFileSize; the
state-change and controller logs with a DailyRollingFileAppender whose
DatePattern ends in seconds (so the test need not wait an hour) are renamed
to <file>.<date> when the second changes, and with MaxBackupIndex 2 only
the two newest dated files are kept while more were made. Rolled files
hold whole lines in Kafka's layout; the broker keeps serving throughout."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log  # noqa: E402

MAX = 64 * 1024
LOG4J = """
log4j.rootLogger=INFO, stdout, kafkaAppender
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.kafkaAppender=org.apache.log4j.RollingFileAppender
log4j.appender.kafkaAppender.File=${kafka.logs.dir}/server.log
log4j.appender.kafkaAppender.MaxFileSize=64KB
log4j.appender.kafkaAppender.MaxBackupIndex=2
log4j.appender.stateChangeAppender=org.apache.log4j.DailyRollingFileAppender
log4j.appender.stateChangeAppender.DatePattern='.'yyyy-MM-dd-HH-mm-ss
log4j.appender.stateChangeAppender.MaxBackupIndex=2
log4j.appender.stateChangeAppender.File=${kafka.logs.dir}/state-change.log
log4j.appender.controllerAppender=org.apache.log4j.DailyRollingFileAppender
log4j.appender.controllerAppender.DatePattern='.'yyyy-MM-dd-HH-mm-ss
log4j.appender.controllerAppender.File=${kafka.logs.dir}/controller.log
"""
LINE = re.compile(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL) ")
DATED = re.compile(r"^state-change\.log\.\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$")


def whole_lines(path):
    with open(path, errors="replace") as f:
        text = f.read()
    # A period with no line leaves an empty dated file, as log4j does.
    check(text == "" or text.endswith("\n"), "%s ends inside a line" % path)
    bad = [l for l in text.splitlines() if not LINE.match(l)]
    check(not bad, "%s: lines not in Kafka's layout: %r" % (path, bad[:3]))


def test(c):
    cfg = os.path.join(c.root, "log4j.properties")
    with open(cfg, "w") as f:
        f.write(LOG4J)
    os.environ["KAFKA_LOG4J_OPTS"] = "-Dlog4j.configuration=file:" + cfg
    b = c.add_broker()
    ldir = b.log_dir
    dated_seen, controller_dated = set(), set()
    i = 0
    # Topic creation logs to server.log, state-change.log and
    # controller.log; go on until every policy has acted (bounded by count).
    while i < 60:
        c.create_topic("roll-%03d" % i, partitions=8)
        i += 1
        names = os.listdir(ldir)
        dated = {n for n in names if DATED.match(n)}
        check(len(dated) <= 2, "MaxBackupIndex=2 kept %r" % sorted(dated))
        dated_seen |= dated
        controller_dated |= {n for n in names if n.startswith("controller.log.")}
        check("server.log.3" not in names, "server.log.3 exists with MaxBackupIndex=2")
        if "server.log.2" in names and len(dated_seen) >= 4 and controller_dated:
            break
    names = sorted(os.listdir(ldir))
    log("after %d topics: %s" % (i, " ".join(names)))
    check("server.log.1" in names and "server.log.2" in names,
          "server.log did not roll twice: %r" % names)
    for n in ("server.log.1", "server.log.2"):
        size = os.path.getsize(os.path.join(ldir, n))
        check(MAX <= size <= MAX + 8192, "%s is %d bytes for MaxFileSize 64KB" % (n, size))
        whole_lines(os.path.join(ldir, n))
    check(len(dated_seen) >= 4, "state-change.log rolled only into %r" % sorted(dated_seen))
    check(controller_dated, "controller.log never rolled")
    for n in names:
        if DATED.match(n) or n.startswith("controller.log."):
            whole_lines(os.path.join(ldir, n))
    # The newest backups are the ones kept.
    kept = sorted(n for n in names if DATED.match(n))
    check(kept == sorted(dated_seen)[-len(kept):], "kept %r of %r" % (kept, sorted(dated_seen)))
    whole_lines(os.path.join(ldir, "server.log"))
    check(c.metadata() is not None, "broker stopped answering")


harness.main(test, brokers=0)
