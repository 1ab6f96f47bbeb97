#!/usr/bin/python3
"""Proves client quotas (Kafka 2.8's ClientQuotaManager, KIP-219) on one broker with a PLAINTEXT
and a SASL_PLAINTEXT listener:

- kafka-configs.sh --zookeeper sets producer_byte_rate=1048576 for client id "slow" while the
  broker runs (the change reaches it through /config/changes); a confluent-kafka producer with
  that client id producing as fast as it can is held to about 1 MB/s over a 20 s window and is
  told throttle_time_ms > 0 (throttle_cb), while a producer with another client id at the same
  time is not throttled and goes well above 1 MB/s. Kafka lets a fresh quota through a burst of
  one quota window (quota x (quota.window.num - 1) seconds) first, so the 20 s window starts
  after 5 s of producing.
- consumer_byte_rate=1048576 for client id "cslow" holds a consumer to about 1 MB/s, again
  measured after the first burst, with throttle_time_ms > 0, while another client id reads at
  full speed unthrottled.
- deleting the quota (--delete-config) lifts it at once: "slow" then produces unthrottled.
- request_percentage=0.01 for client id "rq": its handler time soon takes it over, its Produce
  responses carry throttle_time_ms > 0, at most one quota window.
- over SASL_PLAINTEXT (SCRAM-SHA-512) a quota on user alice beats a larger one on her client id
  (Kafka's precedence), and adding it to /config/users/alice keeps her SCRAM credentials
  (they are merged into the same znode): she still authenticates afterwards.
- kafka-configs.sh prints Kafka's lines for clients, users and user+client entities and writes
  Kafka's znodes and notifications (users/alice/clients/c1).
"""
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import saslutil as su  # noqa: E402
from harness import check, free_port, log, run, wait_until  # noqa: E402
from quotautil import alter, describe  # noqa: E402

MB = 1048576
VALUE = b"q" * 4096
TOPIC = "quota"


def configs(c, *args, check_rc=True):
    p = run([os.path.join(harness.BIN, "kafka-configs.sh"), "--zookeeper", c.zk_connect] +
            list(args), timeout=60, check_rc=check_rc, what="kafka-configs.sh " + " ".join(args))
    return p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")


def bs_configs(b, *args, check_rc=True):
    p = run([os.path.join(harness.BIN, "kafka-configs.sh"), "--bootstrap-server", b.bootstrap] +
            list(args), timeout=60, check_rc=check_rc, what="kafka-configs.sh " + " ".join(args))
    return p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")


def bad_requests(b):
    """Kafka's answers to bad filters and alterations; the broker keeps serving."""
    INVALID_REQUEST, UNSUPPORTED_VERSION, UNKNOWN_SERVER_ERROR = 42, 35, -1
    for comps, want in (
            ([("user", 0, "a"), ("user", 2, None)],
             (INVALID_REQUEST, "Duplicate user filter component entity type")),
            ([("client-id", 2, None), ("client-id", 1, None)],
             (INVALID_REQUEST, "Duplicate client filter component entity type")),
            ([("", 2, None)], (INVALID_REQUEST, "Unexpected empty filter component entity type")),
            ([("group", 2, None)], (UNSUPPORTED_VERSION, "Custom entity type 'group' not supported")),
            ([("user", 7, None)], (UNKNOWN_SERVER_ERROR, "Unexpected match type: 7")),
            ([("user", 2, None), ("ip", 2, None)],
             (INVALID_REQUEST, "Invalid entity filter component combination, IP filter component "
                               "should not be used with user or clientId filter component."))):
        got = describe(b.port, comps)[:2]
        check(got == want, "DescribeClientQuotas %s: %s, want %s" % (comps, got, want))
    for entity, ops, want in (
            ([], [("producer_byte_rate", 1.0, 0)], (INVALID_REQUEST, "Invalid empty client quota entity")),
            ([("user", "")], [("producer_byte_rate", 1.0, 0)], (INVALID_REQUEST, "Empty user not supported")),
            ([("group", "g")], [("producer_byte_rate", 1.0, 0)],
             (INVALID_REQUEST, "Unhandled client quota entity type: group")),
            ([("client-id", "x")], [("no_such", 1.0, 0)],
             (INVALID_REQUEST, "Invalid configuration key no_such")),
            ([("client-id", "x")], [("consumer_byte_rate", 2.5, 0)],
             (INVALID_REQUEST, "Configuration consumer_byte_rate must be a LONG value")),
            ([("client-id", "x")], [("consumer_byte_rate", float("nan"), 0)],
             (INVALID_REQUEST, "Configuration consumer_byte_rate must be a LONG value")),
            ([("client-id", "x/../y")], [("request_percentage", 5.0, 0)], (0, None))):
        got = alter(b.port, entity, ops, validate_only=True)
        check(got == want, "AlterClientQuotas %s %s: %s, want %s" % (entity, ops, got, want))
    # validate_only wrote nothing
    check(not b.cluster.kazoo().exists("/config/clients/x%2F..%2Fy"), "validate_only wrote")


def wait_applied(b, entity_path, count):
    """The broker logged its count-th processing of entity_path."""
    line = "Processing override for entityPath: %s" % entity_path
    wait_until(lambda: b.log_text().count(line) >= count, 30,
               "the broker to apply %s (%d)" % (entity_path, count))


class Producer(threading.Thread):
    """Produces VALUE records as fast as it can for `seconds` (or until max_bytes are acked),
    recording the acked bytes with their time and every throttle time reported."""

    def __init__(self, conf, client_id, seconds, max_bytes=None):
        super().__init__()
        self.conf = dict(conf, **{"client.id": client_id, "acks": "1", "linger.ms": 5,
                                  "batch.size": 131072, "queue.buffering.max.kbytes": 2048,
                                  "throttle_cb": self._throttle})
        self.seconds, self.max_bytes = seconds, max_bytes
        self.acked, self.throttles, self.errors = [], [], []
        self.t0 = None

    def _throttle(self, ev):
        if ev.throttle_time > 0:
            self.throttles.append(ev.throttle_time)

    def _delivered(self, err, msg):
        if err:
            self.errors.append(str(err))
        else:
            self.acked.append((time.monotonic(), len(msg.value())))

    def total(self):
        return sum(n for _, n in self.acked)

    def rate(self, start, end):
        """MB/s acked between start and end seconds after the first record."""
        b = sum(n for t, n in self.acked if self.t0 + start <= t < self.t0 + end)
        return b / (end - start) / MB

    def run(self):
        from confluent_kafka import Producer as P
        p = P(self.conf)
        self.t0 = time.monotonic()
        while time.monotonic() - self.t0 < self.seconds:
            if self.max_bytes is not None and self.total() >= self.max_bytes:
                break
            try:
                p.produce(TOPIC, value=VALUE, on_delivery=self._delivered)
                p.poll(0)
            except BufferError:
                p.poll(0.05)
        self.elapsed = time.monotonic() - self.t0
        # What is still queued would take its time through the quota: drop it.
        p.purge()
        p.flush(30)
        self.errors = [e for e in self.errors if "Purged" not in e]


class Consumer(threading.Thread):
    """Reads TOPIC from the beginning for `seconds` (or max_bytes), like Producer."""

    def __init__(self, conf, client_id, seconds, max_bytes=None):
        super().__init__()
        self.conf = dict(conf, **{"client.id": client_id, "group.id": "g-" + client_id,
                                  "enable.auto.commit": False, "throttle_cb": self._throttle})
        if max_bytes is None:
            # a small prefetch queue: what the application sees is what was fetched
            self.conf["queued.max.messages.kbytes"] = 2048
        self.seconds, self.max_bytes = seconds, max_bytes
        self.got, self.throttles = [], []

    _throttle = Producer._throttle
    total = Producer.total

    @property
    def acked(self):
        return self.got

    def rate(self, start, end):
        b = sum(n for t, n in self.got if self.t0 + start <= t < self.t0 + end)
        return b / (end - start) / MB

    def run(self):
        from confluent_kafka import OFFSET_BEGINNING, Consumer as C, TopicPartition
        cons = C(self.conf)
        cons.assign([TopicPartition(TOPIC, 0, OFFSET_BEGINNING)])
        self.t0 = time.monotonic()
        while time.monotonic() - self.t0 < self.seconds:
            if self.max_bytes is not None and self.total() >= self.max_bytes:
                break
            m = cons.poll(0.2)
            if m is not None and not m.error():
                self.got.append((time.monotonic(), len(m.value())))
        self.elapsed = time.monotonic() - self.t0
        cons.close()


def test(c):
    zk = c.kazoo()
    su.put_scram_user(zk, "alice", {"SCRAM-SHA-512": "alice-secret"}, notify=False)
    saslp = free_port()
    b = c.add_broker(props={
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
        "listener.name.sasl_plaintext.sasl.enabled.mechanisms": "SCRAM-SHA-512"}, start=False)
    b.props["listeners"] = "PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d" % (b.port,
                                                                                     saslp)
    b.write_props()
    b.start()
    c.create_topic(TOPIC)
    c.wait_for_leaders(TOPIC, 1)
    plain = {"bootstrap.servers": b.bootstrap}

    # --- the tool: Kafka's lines, znodes and notifications ---
    out = configs(c, "--alter", "--entity-type", "clients", "--entity-name", "slow",
                  "--add-config", "producer_byte_rate=1048576")
    check("Completed updating config for entity: client-id 'slow'." in out, out)
    data = json.loads(zk.get("/config/clients/slow")[0])
    check(data == {"version": 1, "config": {"producer_byte_rate": "1048576"}}, data)
    wait_applied(b, "clients/slow", 1)
    out = configs(c, "--describe", "--entity-type", "clients", "--entity-name", "slow")
    check("Configs for client-id 'slow' are producer_byte_rate=1048576" in out, out)
    out = configs(c, "--alter", "--entity-type", "users", "--entity-name", "bob",
                  "--entity-type", "clients", "--entity-name", "c1",
                  "--add-config", "consumer_byte_rate=2048,request_percentage=50")
    check("Completed updating config for entity: user-principal 'bob', client-id 'c1'." in out,
          out)
    check(json.loads(zk.get("/config/users/bob/clients/c1")[0])["config"] ==
          {"consumer_byte_rate": "2048", "request_percentage": "50"}, "users/bob/clients/c1")
    wait_applied(b, "users/bob/clients/c1", 1)
    out = configs(c, "--alter", "--entity-type", "users", "--entity-default",
                  "--add-config", "producer_byte_rate=1e3", check_rc=False)
    check("producer_byte_rate" in out and "Not a number" in out, "bad value refused: " + out)
    out = configs(c, "--alter", "--entity-type", "clients", "--entity-default",
                  "--add-config", "no_such_quota=1", check_rc=False)
    check("Unknown Dynamic Configuration 'no_such_quota'" in out, out)

    # --- producer_byte_rate: "slow" held to ~1 MB/s, "fast" at the same time is not ---
    slow = Producer(plain, "slow", 25)
    fast = Producer(plain, "fast", 25, max_bytes=30 * MB)
    slow.start()
    fast.start()
    slow.join()
    fast.join()
    check(not slow.errors and not fast.errors, "delivery errors %s %s" % (slow.errors[:3],
                                                                         fast.errors[:3]))
    r = slow.rate(5, 25)
    log("slow producer: %.2f MB/s over [5 s, 25 s], %d MB in all, %d throttles (max %.2f s); "
        "fast: %d MB in %.1f s, %d throttles" % (r, slow.total() // MB, len(slow.throttles),
                                                 max(slow.throttles or [0]), fast.total() // MB,
                                                 fast.elapsed, len(fast.throttles)))
    check(0.5 <= r <= 1.3, "the throttled producer ran at %.2f MB/s" % r)
    check(slow.throttles, "the throttled producer was never told throttle_time_ms > 0")
    check(not fast.throttles, "the unthrottled producer was throttled")
    check(fast.total() / fast.elapsed > 2 * MB, "the other client id ran at only %.2f MB/s" %
          (fast.total() / fast.elapsed / MB))

    # --- consumer_byte_rate ---
    configs(c, "--alter", "--entity-type", "clients", "--entity-name", "cslow",
            "--add-config", "consumer_byte_rate=1048576")
    wait_applied(b, "clients/cslow", 1)
    cslow = Consumer(plain, "cslow", 16)
    cfast = Consumer(plain, "cfast", 16, max_bytes=20 * MB)
    cslow.start()
    cfast.start()
    cslow.join()
    cfast.join()
    r = cslow.rate(4, 16)
    log("slow consumer: %.2f MB/s over [4 s, 16 s], %d throttles; fast: %d MB in %.1f s" %
        (r, len(cslow.throttles), cfast.total() // MB, cfast.elapsed))
    check(0.5 <= r <= 1.3, "the throttled consumer ran at %.2f MB/s" % r)
    check(cslow.throttles, "the throttled consumer was never told throttle_time_ms > 0")
    check(not cfast.throttles, "the unthrottled consumer was throttled")
    check(cfast.total() / cfast.elapsed > 2 * MB, "the other consumer ran at only %.2f MB/s" %
          (cfast.total() / cfast.elapsed / MB))

    # --- deleting the quota lifts it without a restart ---
    out = configs(c, "--alter", "--entity-type", "clients", "--entity-name", "slow",
                  "--delete-config", "producer_byte_rate")
    check("Completed updating config for entity: client-id 'slow'." in out, out)
    wait_applied(b, "clients/slow", 2)
    again = Producer(plain, "slow", 20, max_bytes=8 * MB)
    again.run()
    check(again.total() >= 8 * MB and not again.throttles,
          "after --delete-config: %d MB, throttles %s" % (again.total() // MB,
                                                          again.throttles[:3]))

    # --- request_percentage: handler time; the throttle is at most one window (1 s) ---
    configs(c, "--alter", "--entity-type", "clients", "--entity-name", "rq",
            "--add-config", "request_percentage=0.01")
    wait_applied(b, "clients/rq", 1)
    from confluent_kafka import Producer as P
    rq_throttles = []
    rp = P({"bootstrap.servers": b.bootstrap, "client.id": "rq", "linger.ms": 0, "acks": "1",
            "throttle_cb": lambda ev: ev.throttle_time > 0 and rq_throttles.append(ev.throttle_time)})
    t0 = time.monotonic()
    while not rq_throttles and time.monotonic() - t0 < 30:
        rp.produce(TOPIC, value=b"r")
        rp.flush(10)
    rp.purge()
    rp.flush(10)
    log("request_percentage=0.01: throttled %s s" % rq_throttles[:3])
    check(rq_throttles, "a client over request_percentage was never told throttle_time_ms > 0")
    check(max(rq_throttles) <= 1.0, "request throttle over one window: %s" % rq_throttles)

    # --- a user quota beats the client id's over SASL; SCRAM credentials survive ---
    configs(c, "--alter", "--entity-type", "clients", "--entity-name", "sasl-c",
            "--add-config", "producer_byte_rate=104857600")
    out = configs(c, "--alter", "--entity-type", "users", "--entity-name", "alice",
                  "--add-config", "producer_byte_rate=131072")
    check("Completed updating config for entity: user-principal 'alice'." in out, out)
    cfg = json.loads(zk.get("/config/users/alice")[0])["config"]
    check("SCRAM-SHA-512" in cfg and cfg.get("producer_byte_rate") == "131072",
          "users/alice merged: %s" % sorted(cfg))
    wait_applied(b, "users/alice", 1)
    sasl = {"bootstrap.servers": "127.0.0.1:%d" % saslp, "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "alice",
            "sasl.password": "alice-secret"}
    a = Producer(sasl, "sasl-c", 6)
    a.run()
    log("alice as sasl-c: %d KB in %.1f s, %d throttles" % (a.total() // 1024, a.elapsed,
                                                           len(a.throttles)))
    check(not a.errors, "alice's delivery errors %s" % a.errors[:3])
    # The user's 128 KB/s (a 1.25 MB first burst) applies, not the client id's 100 MB/s.
    check(a.throttles and a.total() < 4 * MB, "alice produced %d KB, throttles %s" %
          (a.total() // 1024, a.throttles[:3]))
    check(a.total() > 0, "alice could not produce (SCRAM credentials lost?)")
    out = configs(c, "--describe", "--entity-type", "users", "--entity-name", "alice")
    check("Configs for user-principal 'alice' are " in out and "producer_byte_rate=131072" in out,
          out)

    # --- --bootstrap-server: DescribeClientQuotas / AlterClientQuotas ---
    bad_requests(b)
    out = bs_configs(b, "--describe", "--entity-type", "users", "--entity-name", "alice")
    check("Quota configs for user-principal 'alice' are producer_byte_rate=131072.0" in out and
          "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-512=iterations=4096"
          in out, out)
    out = bs_configs(b, "--alter", "--entity-type", "users", "--entity-name", "carol",
                     "--entity-type", "clients", "--entity-default",
                     "--add-config", "consumer_byte_rate=4096,request_percentage=12.5")
    check("Completed updating config for user carol." in out, out)
    check(json.loads(zk.get("/config/users/carol/clients/<default>")[0])["config"] ==
          {"consumer_byte_rate": "4096", "request_percentage": "12.5"}, "carol's znode")
    wait_applied(b, "users/carol/clients/<default>", 1)
    out = bs_configs(b, "--describe", "--entity-type", "users", "--entity-name", "carol",
                     "--entity-type", "clients", "--entity-default")
    check("Quota configs for user-principal 'carol', the default client-id are "
          "consumer_byte_rate=4096.0, request_percentage=12.5" in out, out)
    out = bs_configs(b, "--describe", "--entity-type", "clients")
    check("Quota configs for client-id 'cslow' are consumer_byte_rate=1048576.0" in out and
          "client-id 'sasl-c'" in out and "user-principal" not in out, out)
    out = bs_configs(b, "--alter", "--entity-type", "clients", "--entity-name", "cslow",
                     "--delete-config", "producer_byte_rate", check_rc=False)
    check("Invalid config(s): producer_byte_rate" in out, out)
    out = bs_configs(b, "--alter", "--entity-type", "clients", "--entity-name", "cslow",
                     "--add-config", "producer_byte_rate=1.5", check_rc=False)
    check("InvalidRequestException: Configuration producer_byte_rate must be a LONG value" in out,
          out)
    out = bs_configs(b, "--alter", "--entity-type", "clients", "--entity-name", "cslow",
                     "--delete-config", "consumer_byte_rate")
    check("Completed updating config for client cslow." in out, out)
    check(json.loads(zk.get("/config/clients/cslow")[0])["config"] == {}, "cslow emptied")
    wait_applied(b, "clients/cslow", 2)


harness.main(test, brokers=0)
