#!/usr/bin/python3
"""Proves controller_mutation_rate (KIP-599, Kafka 2.8's ControllerMutationQuotaManager) on one
broker with controller.quota.window.num=1 (a bucket that refills to zero partitions, so the
first mutation of a request is admitted and the next ones see it below zero):

- kafka-configs.sh --zookeeper sets controller_mutation_rate=2 for client ids while the broker
  runs; the broker applies it through the change notification.
- a validate_only CreateTopics v6 of three 5-partition topics takes nothing from the bucket.
- CreateTopics v6 (strict) of three 5-partition topics: the first is created, the other two
  answer THROTTLING_QUOTA_EXCEEDED (89) with Kafka's message and are not created, and
  throttle_time_ms > 0; the broker logs the refusal with the peer.
- CreateTopics v5 (permissive) of three topics by another limited client id: all created,
  throttle_time_ms > 0.
- a client id without a quota creates as many partitions as it likes, unthrottled.
- DeleteTopics v5 (strict) of three topics: the first deleted, the others refused with 89 and
  throttle_time_ms > 0; DeleteTopics v4 (permissive) deletes with throttle_time_ms > 0.
- CreatePartitions v3 (strict): the first topic grows, the next one is refused.
- deleting the quota (--delete-config) lifts it live: the refused topics are then created.
- /metrics, scraped right after each CreateTopics of a limited client id (until it shows, as
  the quota window is one second here), has Kafka's kafka.server:type=ControllerMutation
  sensor of that client id as the JMX exporter names it: kafka_server_quota_mutation_rate > 0,
  kafka_server_quota_tokens < 0 and kafka_server_quota_throttle_time > 0; its (delayed)
  CreateTopics responses are charged request handler time (kafka_server_quota_request_time
  > 0); the client id without a quota is measured too (Kafka keeps sensors for every client
  once quotas are enabled), with a mutation-rate and no token bucket.
- a client id whose only requests are Fetches parked until their max_wait_ms (an empty
  partition) and answered by the purgatory is charged their handler time: it has a
  kafka_server_quota_request_time series > 0 (Kafka 2.8 charges a delayed response the
  handler's time when it is sent).
"""
import json
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, run, wait_until  # noqa: E402
from produceutil import compact_string, s16, s32, string, uvarint  # noqa: E402

THROTTLED = 89
MSG = "The throttling quota has been exceeded."


class Reader:
    def __init__(self, data):
        self.d, self.p = data, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.d, self.p)
        self.p += struct.calcsize(fmt)
        return v[0] if len(v) == 1 else v

    def uvarint(self):
        v, shift = 0, 0
        while True:
            b = self.d[self.p]
            self.p += 1
            v |= (b & 0x7F) << shift
            if not b & 0x80:
                return v
            shift += 7

    def cstr(self):
        n = self.uvarint()
        if n == 0:
            return None
        s = self.d[self.p:self.p + n - 1].decode()
        self.p += n - 1
        return s

    def tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.p += self.uvarint()


def call(port, client_id, key, ver, body):
    """One flexible request on a fresh connection (a throttled connection stays muted after its
    response, so each call gets its own); returns a Reader positioned at the body."""
    hdr = struct.pack(">hhi", key, ver, 1) + string(client_id) + b"\0"
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(s32(len(hdr) + len(body)) + hdr + body)
        buf = b""
        while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
            d = s.recv(65536)
            check(d, "broker closed the connection")
            buf += d
    r = Reader(buf[4:])
    check(r.take(">i") == 1, "correlation id")
    r.tags()
    return r


def carray(items):
    return uvarint(len(items) + 1) + b"".join(items)


def create_topics(port, client_id, names, ver=6, partitions=5, validate_only=False):
    """CreateTopics v5+: (throttle_time_ms, {name: (error, message)})."""
    body = carray([compact_string(n) + s32(partitions) + s16(1) + carray([]) + carray([]) + b"\0"
                   for n in names]) + s32(30000) + struct.pack(">b", validate_only) + b"\0"
    r = call(port, client_id, 19, ver, body)
    thr = r.take(">i")
    out = {}
    for _ in range(r.uvarint() - 1):
        name, err, msg = r.cstr(), r.take(">h"), r.cstr()
        r.take(">ih")
        nconf = r.uvarint()
        for _ in range(max(nconf - 1, 0)):
            r.cstr(), r.cstr()
            r.take(">bbb")
            r.tags()
        r.tags()
        out[name] = (err, msg)
    return thr, out


def delete_topics(port, client_id, names, ver=5):
    """DeleteTopics v4/v5: (throttle_time_ms, {name: error})."""
    body = carray([compact_string(n) for n in names]) + s32(30000) + b"\0"
    r = call(port, client_id, 20, ver, body)
    thr = r.take(">i")
    out = {}
    for _ in range(r.uvarint() - 1):
        name, err = r.cstr(), r.take(">h")
        msg = r.cstr() if ver >= 5 else None
        r.tags()
        out[name] = (err, msg)
    return thr, out


def create_partitions(port, client_id, counts, ver=3):
    """CreatePartitions v2+: (throttle_time_ms, {name: (error, message)})."""
    body = carray([compact_string(n) + s32(c) + b"\0" + b"\0" for n, c in counts]) + \
        s32(30000) + b"\0" + b"\0"
    r = call(port, client_id, 37, ver, body)
    thr = r.take(">i")
    out = {}
    for _ in range(r.uvarint() - 1):
        name, err, msg = r.cstr(), r.take(">h"), r.cstr()
        r.tags()
        out[name] = (err, msg)
    return thr, out


def configs(c, *args):
    p = run([os.path.join(harness.BIN, "kafka-configs.sh"), "--zookeeper", c.zk_connect] +
            list(args), timeout=60, what="kafka-configs.sh " + " ".join(args))
    return p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")


def wait_applied(b, entity_path, count):
    line = "Processing override for entityPath: %s" % entity_path
    wait_until(lambda: b.log_text().count(line) >= count, 30,
               "the broker to apply %s (%d)" % (entity_path, count))


def exists(zk, topic):
    return zk.exists("/brokers/topics/" + topic) is not None


def mutation_metrics(b, port):
    """Creates one 1-partition topic as cm-metrics (limited to 2 partitions/s, a bucket of 0)
    and scrapes at once, until the series show it (a sample lives one 1 s window)."""
    cm = 'resource="ControllerMutation",clientId="cm-metrics"'
    seen = {"n": 0, "text": ""}

    def once():
        seen["n"] += 1
        thr, res = create_topics(port, "cm-metrics", ["mq%d" % seen["n"]], ver=5, partitions=1)
        check(list(res.values()) == [(0, None)] and thr > 0,
              "cm-metrics CreateTopics: %s, throttle %d" % (res, thr))
        text, m = b.scrape_metrics()
        seen["text"], seen["m"] = text, m
        return (m.get("kafka_server_quota_mutation_rate{%s}" % cm, 0) > 0 and
                m.get("kafka_server_quota_tokens{%s}" % cm, 0) < 0 and
                m.get("kafka_server_quota_throttle_time{%s}" % cm, 0) > 0)

    try:
        wait_until(once, 30, "the ControllerMutation series of cm-metrics")
    finally:
        log("\n".join(x for x in seen["text"].splitlines() if "quota" in x))
    m = seen["m"]
    log("cm-metrics after %d CreateTopics: mutation-rate %.2f/s, tokens %.2f, throttle-time "
        "%.0f ms" % (seen["n"], m["kafka_server_quota_mutation_rate{%s}" % cm],
                     m["kafka_server_quota_tokens{%s}" % cm],
                     m["kafka_server_quota_throttle_time{%s}" % cm]))
    for fam in ("mutation_rate", "tokens", "throttle_time"):
        check("# TYPE kafka_server_quota_%s gauge" % fam in seen["text"], fam + " family type")
    rt = m.get('kafka_server_quota_request_time{resource="Request",clientId="cm-metrics"}')
    check(rt is not None and rt > 0, "request-time of cm-metrics: %s" % rt)
    free = 'resource="ControllerMutation",clientId="cm-free"'
    check("kafka_server_quota_mutation_rate{%s}" % free in m,
          "no mutation-rate series for the unlimited client id cm-free")
    check("kafka_server_quota_tokens{%s}" % free not in m, "a token bucket for cm-free")


def parked_fetch_request_time(b, port, topic):
    """Two Fetch v4 of an empty partition (min_bytes 1, max_wait_ms 300) on one connection
    of client id cm-fetch, which sends nothing else: each is parked and answered at its
    deadline, so any request time of cm-fetch is that of parked requests."""
    hdr = struct.pack(">hhi", 1, 4, 7) + string("cm-fetch")
    body = s32(-1) + s32(300) + s32(1) + s32(1 << 20) + b"\0" + \
        s32(1) + string(topic) + s32(1) + s32(0) + struct.pack(">q", 0) + s32(1 << 20)
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        for _ in range(2):
            s.sendall(s32(len(hdr) + len(body)) + hdr + body)
            buf = b""
            while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
                d = s.recv(65536)
                check(d, "broker closed the connection")
                buf += d
            check(struct.unpack_from(">i", buf, 4)[0] == 7, "fetch correlation id")
            # response v4: throttle, topics(1): name, partitions(1): index, error, hw
            p = 8 + 4 + 4
            n = struct.unpack_from(">h", buf, p)[0]
            p += 2 + n + 4
            _idx, err, hw = struct.unpack_from(">ihq", buf, p)
            check(err == 0 and hw == 0, "fetch of empty %s: error %d, hw %d" % (topic, err, hw))
    _text, m = b.scrape_metrics()
    rt = m.get('kafka_server_quota_request_time{resource="Request",clientId="cm-fetch"}')
    log("cm-fetch (parked fetches only): request-time %s%%" % rt)
    check(rt is not None and rt > 0, "parked fetches charged no request time: %s" % rt)


def test(c):
    b = c.brokers[0]
    zk = c.kazoo()
    port = b.port
    for cid in ("cm-strict", "cm-old", "cm-del", "cm-part", "cm-metrics"):
        out = configs(c, "--alter", "--entity-type", "clients", "--entity-name", cid,
                      "--add-config", "controller_mutation_rate=2")
        check("Completed updating config for entity: client-id '%s'." % cid in out, out)
        wait_applied(b, "clients/" + cid, 1)

    # validate_only takes nothing
    thr, res = create_topics(port, "cm-strict", ["s1", "s2", "s3"], validate_only=True)
    check(all(v == (0, None) for v in res.values()) and len(res) == 3 and thr == 0,
          "validate_only: %s, throttle %d" % (res, thr))

    # strict: the first created, the rest refused
    thr, res = create_topics(port, "cm-strict", ["s1", "s2", "s3"])
    log("CreateTopics v6: %s, throttle %d ms" % (res, thr))
    check(res["s1"][0] == 0, "s1: %s" % (res["s1"],))
    check(res["s2"] == (THROTTLED, MSG) and res["s3"] == (THROTTLED, MSG), "s2/s3: %s" % res)
    check(thr > 0, "strict CreateTopics throttle_time_ms %d" % thr)
    check(exists(zk, "s1") and not exists(zk, "s2") and not exists(zk, "s3"), "s2/s3 created")
    check(any("Refused part of CreateTopics request from 127.0.0.1" in ln and
              "topic s2: " + MSG in ln for ln in b.log_text().splitlines()),
          "no log line naming the peer and the refused topic")

    # permissive: all created, throttled
    thr, res = create_topics(port, "cm-old", ["o1", "o2", "o3"], ver=5)
    log("CreateTopics v5: %s, throttle %d ms" % (res, thr))
    check(all(res[n][0] == 0 for n in ("o1", "o2", "o3")), "permissive refused: %s" % res)
    check(thr > 0, "permissive CreateTopics throttle_time_ms %d" % thr)

    # another client id: unaffected
    thr, res = create_topics(port, "cm-free", ["d1", "d2", "d3", "d4"])
    check(all(res[n][0] == 0 for n in res) and len(res) == 4 and thr == 0,
          "unlimited client: %s, throttle %d" % (res, thr))

    mutation_metrics(b, port)
    parked_fetch_request_time(b, port, "s1")

    # DeleteTopics v5 strict, v4 permissive
    thr, res = delete_topics(port, "cm-del", ["d1", "d2", "d3"])
    log("DeleteTopics v5: %s, throttle %d ms" % (res, thr))
    check(res["d1"] == (0, None), "d1: %s" % (res["d1"],))
    check(res["d2"] == (THROTTLED, MSG) and res["d3"] == (THROTTLED, MSG), "d2/d3: %s" % res)
    check(thr > 0, "strict DeleteTopics throttle_time_ms %d" % thr)
    wait_until(lambda: not exists(zk, "d1"), 30, "d1 to be deleted")
    check(exists(zk, "d2") and not zk.exists("/admin/delete_topics/d2") and
          not zk.exists("/admin/delete_topics/d3"), "d2/d3 marked for deletion")
    thr, res = delete_topics(port, "cm-old", ["d2", "d3"], ver=4)
    check(res == {"d2": (0, None), "d3": (0, None)} and thr > 0,
          "permissive DeleteTopics: %s, throttle %d" % (res, thr))

    # CreatePartitions v3 strict
    thr, res = create_partitions(port, "cm-part", [("d4", 10), ("o1", 10)])
    log("CreatePartitions v3: %s, throttle %d ms" % (res, thr))
    check(res["d4"][0] == 0 and res["o1"] == (THROTTLED, MSG) and thr > 0,
          "CreatePartitions: %s, throttle %d" % (res, thr))
    nparts = {t: len(json.loads(zk.get("/brokers/topics/" + t)[0])["partitions"])
              for t in ("d4", "o1")}
    check(nparts == {"d4": 10, "o1": 5}, "partition counts %s" % nparts)

    # the quota lifted live
    configs(c, "--alter", "--entity-type", "clients", "--entity-name", "cm-strict",
            "--delete-config", "controller_mutation_rate")
    wait_applied(b, "clients/cm-strict", 2)
    thr, res = create_topics(port, "cm-strict", ["s2", "s3"])
    check(res == {"s2": (0, None), "s3": (0, None)} and thr == 0,
          "after --delete-config: %s, throttle %d" % (res, thr))


harness.main(test, brokers=1, broker_props={"controller.quota.window.num": 1,
                                           "metrics.listener": "http://127.0.0.1:0"})
