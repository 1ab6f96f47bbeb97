#!/usr/bin/env python3
"""Prometheus metrics (docs/metrics.md) on a 3-broker cluster, every broker
serving metrics.listener=http://127.0.0.1:0 (the bound port is read from its
server.log):

* a raw client sends a known number of Produce v3 requests with known
  batches to the leader of a single-replica topic: between rounds, a scrape
  shows kafka_server_brokertopicmetrics_messagesin_total / _bytesin_total
  (topic label and label-less total) advanced by exactly what was sent
  (asserted within 1%), and
  kafka_network_requestmetrics_requests_total{request="Produce",version="3"}
  advanced by the number of requests (ListOffsets v1 too); a kcat consumer then moves
  _bytesout_total by the bytes stored;
* kafka_server_replicamanager_underreplicatedpartitions summed over the
  brokers goes 0 -> 3 -> 0 for a 3-partition RF=3 topic when a broker is
  killed (kill -9) and restarted;
* exactly one broker reports activecontrollercount 1;
* the survivors' kafka_server_replicamanager_isrshrinks_total moves when the
  follower dies and _isrexpands_total by >= 3 when it is back; the
  controller's leaderelectionrateandtimems_count is > 0 and
  preferredreplicaimbalancecount is 1 after the restart;
* kafka_log_log_logendoffset of the single-replica partition equals the
  records produced (size >= the bytes, start offset 0, >= 1 segment);
* every broker's zookeeperrequestlatencyms_count is > 0 and no session
  expired; broker 1, stopped (SIGSTOP) until its session expires and
  resumed, counts zookeeperexpires_total 1;
* a confluent-kafka consumer group that committed one partition shows as
  numgroups 1, numoffsets 1 and numgroupsstable 1 (summed over the
  brokers), then numgroupsempty 1 once it left;
* `promtool check metrics` accepts every broker's output. Without promtool
  the check says so loudly and fails when CI is set."""
import os
import re
import shutil
import subprocess
import urllib.request

from confluent_kafka import Consumer

import harness
from harness import check, log, wait_until
from produceutil import Conn, record_batch

TOPIC = "metrics-in"
URP_TOPIC = "metrics-urp"


def metrics_port(b):
    with open(b.server_log, errors="replace") as f:
        ports = re.findall(r"Serving Prometheus metrics on http://127\.0\.0\.1:(\d+)/metrics", f.read())
    check(ports, "broker %d logged no metrics endpoint" % b.id)
    return int(ports[-1])


def scrape_text(b):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % metrics_port(b), timeout=30) as r:
        check(r.status == 200, "GET /metrics answered %d" % r.status)
        ctype = r.headers.get("Content-Type", "")
        check(ctype.startswith("text/plain; version=0.0.4"), "Content-Type %r" % ctype)
        return r.read().decode()


def parse(text):
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series, value = line.rsplit(" ", 1)
        out[series] = float(value)
    return out


def scrape(b):
    return parse(scrape_text(b))


def near(got, want, what):
    check(abs(got - want) <= want * 0.01, "%s advanced by %s, expected %s (+-1%%)" % (what, got, want))


def promtool_check(c):
    promtool = shutil.which("promtool")
    if not promtool:
        msg = ("!!! promtool NOT FOUND: the exposition format was NOT validated "
               "(apt-get install prometheus) !!!")
        print(msg, flush=True)
        check(not os.environ.get("CI"), msg)
        return
    for b in c.brokers:
        text = scrape_text(b)
        p = subprocess.run([promtool, "check", "metrics"], input=text.encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        check(p.returncode == 0, "promtool check metrics on broker %d: %s" % (b.id, p.stdout.decode()))
    log("promtool accepts the output of all %d brokers" % len(c.brokers))


PHASES = ("requestqueuetimems", "localtimems", "remotetimems", "responsequeuetimems", "responsesendtimems")


def phase_count(phase, request):
    return 'kafka_network_requestmetrics_%s_count{request="%s"}' % (phase, request)


ISR_SHRINKS = "kafka_server_replicamanager_isrshrinks_total"
ISR_EXPANDS = "kafka_server_replicamanager_isrexpands_total"
ELECTIONS = "kafka_controller_controllerstats_leaderelectionrateandtimems_count"
IMBALANCE = "kafka_controller_kafkacontroller_preferredreplicaimbalancecount"
UNCLEAN = "kafka_controller_controllerstats_uncleanleaderelections_total"
ZK_LATENCY = "kafka_server_zookeeperclientmetrics_zookeeperrequestlatencyms"
ZK_EXPIRES = "kafka_server_sessionexpirelistener_zookeeperexpires_total"
GM = "kafka_coordinator_group_groupmetadatamanager_"
GROUP = "metrics-group"


def metric_sum(brokers, name):
    return sum(scrape(b).get(name, 0) for b in brokers if b.alive())


def urp_sum(c):
    return sum(scrape(b).get("kafka_server_replicamanager_underreplicatedpartitions", 0)
               for b in c.brokers if b.alive())


def test(c):
    # A single-replica topic on broker 0, so that one broker sees all of it.
    c.topics("--zookeeper", c.zk_connect, "--create", "--topic", TOPIC,
             "--replica-assignment", "0")
    c.wait_for_leaders(TOPIC, 1)
    c.create_topic(URP_TOPIC, partitions=3, rf=3)
    b0 = c.brokers[0]

    # Exactly one active controller.
    active = [scrape(b).get("kafka_controller_kafkacontroller_activecontrollercount") for b in c.brokers]
    check(sorted(active) == [0, 0, 1], "activecontrollercount per broker: %s" % active)

    # --- produce rounds with a raw client, scraping between them ---
    conn = Conn(b0.port)
    m_topic = 'kafka_server_brokertopicmetrics_messagesin_total{topic="%s"}' % TOPIC
    b_topic = 'kafka_server_brokertopicmetrics_bytesin_total{topic="%s"}' % TOPIC
    m_all = "kafka_server_brokertopicmetrics_messagesin_total"
    b_all = "kafka_server_brokertopicmetrics_bytesin_total"
    reqs = 'kafka_network_requestmetrics_requests_total{request="Produce",version="3"}'
    hist = 'kafka_network_requestmetrics_totaltimems_count{request="Produce"}'
    total_bytes = total_records = 0
    for rnd in range(3):
        before = scrape(b0)
        n_req, n_msg, n_bytes = 0, 0, 0
        for i in range(20 + rnd * 7):
            values = [("r%d-%d-%d-%s" % (rnd, i, k, "x" * (k % 13))).encode() for k in range(1 + (i % 9))]
            batch = record_batch(values)
            err, _ = conn.produce(TOPIC, 0, batch, acks=1)
            check(err == 0, "produce error %d" % err)
            n_req += 1
            n_msg += len(values)
            n_bytes += len(batch)
        after = scrape(b0)
        delta = lambda k: after.get(k, 0) - before.get(k, 0)  # noqa: E731
        log("round %d: sent %d requests, %d records, %d bytes; scrape: %d, %d, %d" %
            (rnd, n_req, n_msg, n_bytes, delta(reqs), delta(m_topic), delta(b_topic)))
        near(delta(m_topic), n_msg, m_topic)
        near(delta(b_topic), n_bytes, b_topic)
        near(delta(m_all), n_msg, m_all)
        near(delta(b_all), n_bytes, b_all)
        check(delta(reqs) == n_req, "%s advanced by %s, %d requests were sent" % (reqs, delta(reqs), n_req))
        # each response carried one partition, without error
        none = 'kafka_network_requestmetrics_errors_total{request="Produce",error="NONE"}'
        total_records += n_msg
        check(delta(none) == n_req, "%s advanced by %s, %d requests were sent" % (none, delta(none), n_req))
        check(delta(hist) >= n_req, "%s advanced by %s < %d" % (hist, delta(hist), n_req))

        def produce_phases(before=before, n_req=n_req):
            now = scrape(b0)
            return all(now.get(phase_count(p, "Produce"), 0) - before.get(phase_count(p, "Produce"), 0) == n_req
                       for p in PHASES)
        wait_until(produce_phases, 30, "%d Produce requests in every phase histogram" % n_req)
        total_bytes += n_bytes
    # A Produce to a partition that does not exist: its error is counted.
    unk = 'kafka_network_requestmetrics_errors_total{request="Produce",error="UNKNOWN_TOPIC_OR_PARTITION"}'
    before = scrape(b0).get(unk, 0)
    err, _ = conn.produce(TOPIC, 7, record_batch([b"nowhere"]), acks=1)
    check(err == 3, "produce to partition 7: error %d, expected UNKNOWN_TOPIC_OR_PARTITION" % err)
    got = scrape(b0).get(unk, 0) - before
    check(got == 1, "%s advanced by %s, expected 1" % (unk, got))
    # A batch over max.message.bytes: MESSAGE_TOO_LARGE, its bytes rejected.
    rej = 'kafka_server_brokertopicmetrics_bytesrejected_total{topic="%s"}' % TOPIC
    before = scrape(b0)
    big = record_batch([b"x" * 1100000])
    err, _ = conn.produce(TOPIC, 0, big, acks=1)
    check(err == 10, "an oversized batch: error %d, expected MESSAGE_TOO_LARGE" % err)
    after = scrape(b0)
    for name in (rej, "kafka_server_brokertopicmetrics_bytesrejected_total"):
        got = after.get(name, 0) - before.get(name, 0)
        check(got == len(big), "%s advanced by %s, expected %d" % (name, got, len(big)))

    # Another API, counted the same way; its phase histograms count each
    # request once (recorded when the response's last byte is written, just
    # after the client may have read it: waited for, not raced).
    lo = 'kafka_network_requestmetrics_requests_total{request="ListOffsets",version="1"}'
    before = scrape(b0)
    for _ in range(11):
        conn.end_offset(TOPIC, 0)
    after = scrape(b0)
    got = after.get(lo, 0) - before.get(lo, 0)
    check(got == 11, "%s advanced by %s, 11 requests were sent" % (lo, got))

    def phases_at(n):
        now = scrape(b0)
        d = {p: now.get(phase_count(p, "ListOffsets"), 0) - before.get(phase_count(p, "ListOffsets"), 0)
             for p in PHASES}
        return d if all(v == n for v in d.values()) else None
    wait_until(lambda: phases_at(11), 30, "11 ListOffsets in every phase histogram")
    now = scrape(b0)
    for p in PHASES:
        name = "kafka_network_requestmetrics_%s" % p
        check(now.get('%s_bucket{request="ListOffsets",le="+Inf"}' % name) == now.get(phase_count(p, "ListOffsets")),
              "%s: +Inf bucket differs from _count" % name)
    # Followers' fetches park in the fetch purgatory of a leader with nothing
    # new: remote time shows up (every broker leads a metrics-urp partition).
    wait_until(lambda: scrape(b0).get('kafka_network_requestmetrics_remotetimems_sum{request="Fetch"}', 0) > 0,
               30, "remote time of parked Fetch requests")
    # nothing parks a ListOffsets: no remote time
    check(now.get('kafka_network_requestmetrics_remotetimems_sum{request="ListOffsets"}', -1) == 0,
          "ListOffsets remote time sum %s" % now.get('kafka_network_requestmetrics_remotetimems_sum{request="ListOffsets"}'))
    conn.close()

    # --- consume: bytes out follow the stored bytes ---
    o_topic = 'kafka_server_brokertopicmetrics_bytesout_total{topic="%s"}' % TOPIC
    before = scrape(b0).get(o_topic, 0)
    c.kcat("-C", "-t", TOPIC, "-p", "0", "-o", "beginning", "-e", "-q")
    out = scrape(b0).get(o_topic, 0) - before
    log("consumer fetched %d bytes (%d produced)" % (out, total_bytes))
    check(out >= total_bytes, "%s advanced by %d < %d bytes stored" % (o_topic, out, total_bytes))

    gauges = scrape(b0)
    for name in ("kafka_server_replicamanager_partitioncount", "kafka_server_replicamanager_leadercount",
                 "process_resident_memory_bytes", "process_open_fds", "process_cpu_seconds_total"):
        check(gauges.get(name, 0) > 0, "%s is %s" % (name, gauges.get(name)))
    check(gauges["kafka_server_replicamanager_partitioncount"] >= 4, "partitioncount %s"
          % gauges["kafka_server_replicamanager_partitioncount"])
    # Thread idle ratios: present on every broker, fractions of 1.
    for b in c.brokers:
        g = scrape(b)
        for name in ("kafka_network_socketserver_networkprocessoravgidlepercent",
                     "kafka_server_kafkarequesthandlerpool_requesthandleravgidlepercent"):
            check(name in g and 0 <= g[name] <= 1, "broker %d: %s is %s" % (b.id, name, g.get(name)))

    # Log gauges of the single-replica partition: its end offset is the
    # number of records produced into it.
    lbl = '{topic="%s",partition="0"}' % TOPIC
    check(gauges.get("kafka_log_log_logendoffset" + lbl) == total_records,
          "logendoffset %s, %d records produced" % (gauges.get("kafka_log_log_logendoffset" + lbl), total_records))
    check(gauges.get("kafka_log_log_logstartoffset" + lbl) == 0, "logstartoffset %s"
          % gauges.get("kafka_log_log_logstartoffset" + lbl))
    check(gauges.get("kafka_log_log_size" + lbl, 0) >= total_bytes, "log size %s < %d bytes produced"
          % (gauges.get("kafka_log_log_size" + lbl), total_bytes))
    check(gauges.get("kafka_log_log_numlogsegments" + lbl, 0) >= 1, "numlogsegments %s"
          % gauges.get("kafka_log_log_numlogsegments" + lbl))
    for p in range(3):
        check('kafka_log_log_logendoffset{topic="%s",partition="%d"}' % (URP_TOPIC, p) in gauges,
              "no log gauges for %s-%d on broker 0" % (URP_TOPIC, p))

    promtool_check(c)

    # --- UnderReplicatedPartitions 0 -> 3 -> 0, ISR shrinks and expands ---
    wait_until(lambda: urp_sum(c) == 0, 60, "no under-replicated partitions")
    victim = c.brokers[2]
    survivors = c.brokers[:2]
    shrinks0 = metric_sum(survivors, ISR_SHRINKS)
    expands0 = metric_sum(survivors, ISR_EXPANDS)
    md = c.metadata(URP_TOPIC)
    parts = [t for t in md["topics"] if t["topic"] == URP_TOPIC][0]["partitions"]
    survivor_led = [p["partition"] for p in parts if p["leader"] != victim.id]
    check(survivor_led, "no partition of %s is led by brokers 0 or 1" % URP_TOPIC)
    victim.kill9()
    log("killed broker %d" % victim.id)
    # A follower at the leader's end offset is never out of sync: append to
    # the partitions the survivors lead so that the dead one falls behind.
    for p in survivor_led:
        c.kcat("-P", "-t", URP_TOPIC, "-p", str(p), "-X", "acks=1", input=b"after-kill\n")
    wait_until(lambda: urp_sum(c) == 3, 120, "3 under-replicated partitions with broker 2 dead")
    # The leaders drop the dead follower after replica.lag.time.max.ms (2 s),
    # before its ZooKeeper session (6 s) expires and the controller would.
    wait_until(lambda: metric_sum(survivors, ISR_SHRINKS) > shrinks0, 60,
               "a leader counted an ISR shrink")
    victim.start()
    wait_until(lambda: urp_sum(c) == 0, 120, "no under-replicated partitions after broker 2 is back")
    # Every partition took broker 2 back into its ISR through its leader,
    # all of which are on the survivors now.
    expands = metric_sum(survivors, ISR_EXPANDS) - expands0
    check(expands >= 3, "%s advanced by %s on brokers 0 and 1, expected >= 3" % (ISR_EXPANDS, expands))
    log("ISR shrinks +%d, expands +%d" % (metric_sum(survivors, ISR_SHRINKS) - shrinks0, expands))
    active = [scrape(b).get("kafka_controller_kafkacontroller_activecontrollercount") for b in c.brokers]
    check(sum(active) == 1, "activecontrollercount per broker after the restart: %s" % active)
    # The controller handled broker 2's return (a BrokerChange event, Kafka's
    # LeaderElectionRateAndTimeMs), and the partition broker 2 prefers is led
    # elsewhere until a preferred election.
    elections = metric_sum(c.brokers, ELECTIONS)
    check(elections >= 1, "%s summed to %s" % (ELECTIONS, elections))
    wait_until(lambda: metric_sum(c.brokers, IMBALANCE) == 1, 60,
               "preferredreplicaimbalancecount 1 (the partition broker 2 prefers)")
    check(metric_sum(c.brokers, UNCLEAN) == 0, "no unclean leader election was made")
    # Every broker talks to ZooKeeper from its start.
    for b in c.brokers:
        zk = scrape(b)
        check(zk.get(ZK_LATENCY + "_count", 0) > 0, "broker %d: %s_count is %s"
              % (b.id, ZK_LATENCY, zk.get(ZK_LATENCY + "_count")))
        check(zk.get(ZK_LATENCY + '_bucket{le="+Inf"}') == zk[ZK_LATENCY + "_count"],
              "broker %d: +Inf bucket differs from _count" % b.id)
        check(zk.get(ZK_EXPIRES) == 0, "broker %d: %s is %s" % (b.id, ZK_EXPIRES, zk.get(ZK_EXPIRES)))

    # --- group coordinator gauges (last: __consumer_offsets would add
    # under-replicated partitions to the count above) ---
    k = Consumer({"bootstrap.servers": c.bootstrap, "group.id": GROUP, "session.timeout.ms": 6000,
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    k.subscribe([TOPIC])
    got = []

    def polled():
        m = k.poll(0.2)
        if m is not None and not m.error():
            got.append(m)
        return got
    wait_until(polled, 60, "a record consumed in group %s" % GROUP)
    k.commit(asynchronous=False)
    wait_until(lambda: metric_sum(c.brokers, GM + "numgroupsstable") == 1, 60,
               "one Stable group while the consumer is a member")
    check(metric_sum(c.brokers, GM + "numgroups") == 1, "numgroups summed to %s"
          % metric_sum(c.brokers, GM + "numgroups"))
    check(metric_sum(c.brokers, GM + "numoffsets") == 1, "numoffsets summed to %s (one partition committed)"
          % metric_sum(c.brokers, GM + "numoffsets"))
    k.close()
    wait_until(lambda: metric_sum(c.brokers, GM + "numgroupsempty") == 1, 60,
               "the group Empty once its only member left")
    check(metric_sum(c.brokers, GM + "numgroupsstable") == 0, "a Stable group is left")

    # --- a ZooKeeper session expiry: broker 1 stopped past its session
    # timeout counts one when it resumes and learns of it ---
    b1 = c.brokers[1]
    path = "/brokers/ids/%d" % b1.id
    zk = c.kazoo()
    try:
        b1.pause()
        try:
            wait_until(lambda: zk.exists(path) is None, 60, "%s to vanish while broker 1 is stopped" % path)
        finally:
            b1.resume()
        wait_until(lambda: zk.exists(path), 60, "%s back after the session expiry" % path)
    finally:
        zk.stop()
        zk.close()
    wait_until(lambda: scrape(b1).get(ZK_EXPIRES) == 1, 60, "broker 1 counting its session expiry")
    promtool_check(c)


harness.main(test, brokers=3, broker_props={
    "metrics.listener": "http://127.0.0.1:0",
    # The leader drops a dead follower from the ISR after this long.
    "replica.lag.time.max.ms": "2000",
    "zookeeper.session.timeout.ms": "6000",
})
