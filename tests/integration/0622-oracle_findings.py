#!/usr/bin/python3
"""Samsa answers as Kafka 2.8 does where the differential oracle (0620)
found it did not, checked without a JVM: FindCoordinator v1+ carries
Errors.message() ("NONE" on success); an incremental Fetch (session epoch
above 0) answers FETCH_SESSION_ID_NOT_FOUND, as Samsa creates no sessions;
a v2 record batch in Produce v0-v2 is taken as it is (2.8's ProduceRequest
checks the magic only from v3 on); a partition refused after parsing (here
a batch whose record count exceeds its records, INVALID_RECORD) answers the
partition's log start offset, while records refused while parsing (a
partial batch, two batches, zstd before v7) answer -1; DescribeConfigs v0
never sets IsDefault, and v3+ type KafkaConfig's SHORT configs SHORT;
CreateAcls writes one change notification per resource of a request;
LeaderAndIsr, UpdateMetadata and StopReplica naming an older broker epoch
answer STALE_BROKER_EPOCH; ControlledShutdown v2+ of an unregistered broker
fails as 2.8's does (UNKNOWN_SERVER_ERROR), and so do ElectLeaders with an
unknown election type and IncrementalAlterConfigs with an unknown operation.
Requests are encoded by specutil from Samsa's specs.
"""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import specutil  # noqa: E402
from harness import check, log  # noqa: E402
from produceutil import crc32c, record_batch  # noqa: E402

TOPIC = "refusals"


def produce(c, v, part, batch):
    r = c.call(0, v, {"acks": 1, "timeout_ms": 30000, "topic_data": [
        {"name": TOPIC, "partition_data": [{"index": part, "records": batch}]}]})
    return r["responses"][0]["partition_responses"][0]


def test(c):
    conn = specutil.Conn(c.brokers[0].port, timeout=30)

    def created():
        # NOT_CONTROLLER until the broker has won the election
        r = conn.call(19, 4, {"topics": [{"name": TOPIC, "num_partitions": 2, "replication_factor": 1}],
                              "timeout_ms": 30000})
        e = r["topics"][0]["error_code"]
        check(e in (0, 36, 41), "CreateTopics: %r" % r)
        return e != 41
    harness.wait_until(created, 60, "CreateTopics %s" % TOPIC, interval=0.1)

    def ready():
        m = conn.call(3, 4, {"topics": [{"name": TOPIC}], "allow_auto_topic_creation": False})
        t = m["topics"][0]
        return t["error_code"] == 0 and len(t["partitions"]) == 2 and all(p["leader_id"] >= 0 for p in t["partitions"])
    harness.wait_until(ready, 60, "%s to have leaders" % TOPIC, interval=0.1)
    good = record_batch([b"a", b"bb", b"ccc"], ts=int(time.time() * 1000))

    # A v2 batch in the legacy versions: appended as it is.
    for i, v in enumerate((0, 1, 2)):
        p = produce(conn, v, 0, good)
        log("Produce v%d of a v2 batch: %r" % (v, p))
        check(p["error_code"] == 0 and p["base_offset"] == 3 * i,
              "Produce v%d of a v2 batch: %r (expected offset %d)" % (v, p, 3 * i))
    f = conn.call(1, 4, {"replica_id": -1, "max_wait_ms": 0, "min_bytes": 1, "max_bytes": 1 << 20,
                         "topics": [{"topic": TOPIC, "partitions": [
                             {"partition": 0, "fetch_offset": 0, "partition_max_bytes": 1 << 20}]}]})
    check(f["responses"][0]["partitions"][0]["high_watermark"] == 9, "fetch after: %r" % f)

    # Refused after parsing: the log start offset; while parsing: -1.
    miscount = bytearray(good)
    struct.pack_into(">i", miscount, 57, 5)
    struct.pack_into(">I", miscount, 17, crc32c(bytes(miscount[21:])))
    for v in (5, 8):
        p = produce(conn, v, 1, bytes(miscount))
        check(p["error_code"] == 87 and p["log_start_offset"] == 0,
              "Produce v%d record count above the records: %r" % (v, p))
        p = produce(conn, v, 1, good[:-5])
        check(p["error_code"] == 87 and p["log_start_offset"] == -1, "Produce v%d partial batch: %r" % (v, p))
        p = produce(conn, v, 1, good + good)
        check(p["error_code"] == 87 and p["log_start_offset"] == -1, "Produce v%d two batches: %r" % (v, p))

    # zstd before Produce v7 is refused while parsing too (the codec bit is
    # all that is looked at).
    zstd = bytearray(good)
    struct.pack_into(">h", zstd, 21, 4)
    struct.pack_into(">I", zstd, 17, crc32c(bytes(zstd[21:])))
    p = produce(conn, 5, 1, bytes(zstd))
    check(p["error_code"] == 76 and p["log_start_offset"] == -1, "Produce v5 zstd: %r" % p)

    # An incremental Fetch names a session Samsa never created.
    for v in (7, 12):
        f = conn.call(1, v, {"replica_id": -1, "max_wait_ms": 0, "min_bytes": 1, "session_id": 12345,
                             "session_epoch": 3, "topics": [{"topic": TOPIC, "partitions": [
                                 {"partition": 0, "fetch_offset": 0, "partition_max_bytes": 1 << 20}]}]})
        check(f["error_code"] == 70 and f["responses"] == [] and f["session_id"] == 0,
              "Fetch v%d in an unknown session: %r" % (v, f))
        f = conn.call(1, v, {"replica_id": -1, "max_wait_ms": 0, "min_bytes": 1, "session_id": 0,
                             "session_epoch": -1, "topics": [{"topic": TOPIC, "partitions": [
                                 {"partition": 0, "fetch_offset": 0, "partition_max_bytes": 1 << 20}]}]})
        check(f["error_code"] == 0 and len(f["responses"]) == 1, "Fetch v%d without a session: %r" % (v, f))

    # Control requests naming an older registration of this broker.
    for key, v, what in ((4, 2, "LeaderAndIsr"), (6, 5, "UpdateMetadata"), (5, 1, "StopReplica")):
        r = conn.call(key, v, {"controller_id": 0, "controller_epoch": 0, "broker_epoch": 0})
        check(r["error_code"] == 77, "%s v%d with broker epoch 0: %r" % (what, v, r))

    # ControlledShutdown of a broker that is not registered: with an epoch
    # (v2+) 2.8's lookup fails unhandled, without one BROKER_NOT_AVAILABLE.
    r = conn.call(7, 3, {"broker_id": 7, "broker_epoch": 0})
    check(r["error_code"] == -1, "ControlledShutdown v3 of broker 7: %r" % r)
    r = conn.call(7, 1, {"broker_id": 7})
    check(r["error_code"] == 8, "ControlledShutdown v1 of broker 7: %r" % r)

    # An unknown election type and an unknown config operation fail as
    # 2.8's unhandled exceptions do (UNKNOWN_SERVER_ERROR).
    r = conn.call(43, 1, {"election_type": 5, "topic_partitions": [{"topic": TOPIC, "partitions": [0, 1]}],
                          "timeout_ms": 30000})
    check(r["error_code"] == -1 and [p["error_code"] for t in r["replica_election_results"]
                                     for p in t["partition_result"]] == [-1, -1], "ElectLeaders type 5: %r" % r)
    r = conn.call(44, 1, {"resources": [{"resource_type": 2, "resource_name": TOPIC, "configs": [
        {"name": "retention.ms", "config_operation": 9, "value": "5"}]}]})
    check(r["responses"][0]["error_code"] == -1, "IncrementalAlterConfigs operation 9: %r" % r)

    # FindCoordinator v1+: the message is set on success too.
    def coordinator():
        r = conn.call(10, 1, {"key": "findings", "key_type": 0})
        return r if r["error_code"] == 0 else None
    r = harness.wait_until(coordinator, 60, "a group coordinator", interval=0.1)
    r = conn.call(10, 3, {"key": "findings", "key_type": 0})
    check(r["error_code"] == 0 and r["error_message"] == "NONE", "FindCoordinator v3: %r" % r)
    r = conn.call(10, 0, {"key": "findings"})
    check(r["error_code"] == 0 and "error_message" not in r, "FindCoordinator v0: %r" % r)

    # CreateAcls: one change notification per resource of a request.
    zk = c.kazoo()
    before = len(zk.get_children("/kafka-acl-changes")) if zk.exists("/kafka-acl-changes") else 0
    acl = {"resource_type": 2, "resource_name": TOPIC, "resource_pattern_type": 3, "principal": "User:findings",
           "host": "*", "operation": 3, "permission_type": 3}
    r = conn.call(30, 1, {"creations": [acl, dict(acl, operation=4), dict(acl, resource_type=3)]})
    check([x["error_code"] for x in r["results"]] == [0, 0, 0], "CreateAcls: %r" % r)
    notes = sorted(zk.get(path)[0].decode() for path in ["/kafka-acl-changes/" + k for k in
                                                          zk.get_children("/kafka-acl-changes")])
    check(len(notes) == before + 2 and notes.count("TOPIC:%s" % TOPIC) == 1,
          "ACL change notifications after one request for two resources: %r" % notes)

    def described():
        r = conn.call(29, 1, {"resource_type_filter": 2, "resource_name_filter": TOPIC, "pattern_type_filter": 3,
                              "principal_filter": None, "host_filter": None, "operation": 1,
                              "permission_type": 1})
        return r if r["resources"] else None
    r = harness.wait_until(described, 30, "the ACLs of %s to be described" % TOPIC, interval=0.1)
    check(len(r["resources"]) == 1 and len(r["resources"][0]["acls"]) == 2, "DescribeAcls: %r" % r)

    # DescribeConfigs v0: IsDefault is never set (v1+ carry the source).
    r = conn.call(32, 0, {"resources": [{"resource_type": 2, "resource_name": TOPIC, "configuration_keys": None}]})
    cfgs = r["results"][0]["configs"]
    check(r["results"][0]["error_code"] == 0 and len(cfgs) > 20, "DescribeConfigs v0: %r" % r)
    check(not any(e["is_default"] for e in cfgs), "DescribeConfigs v0 sets IsDefault: %r"
          % [e["name"] for e in cfgs if e["is_default"]])
    r = conn.call(32, 1, {"resources": [{"resource_type": 2, "resource_name": TOPIC,
                                          "configuration_keys": ["cleanup.policy"]}]})
    check(r["results"][0]["configs"][0]["config_source"] == 5, "DescribeConfigs v1 source: %r" % r)
    # KafkaConfig's SHORT configs are typed SHORT (4), not INT (3).
    r = conn.call(32, 3, {"resources": [{"resource_type": 4, "resource_name": "0", "configuration_keys": [
        "offsets.topic.replication.factor", "num.partitions"]}]})
    types = {e["name"]: e["config_type"] for e in r["results"][0]["configs"]}
    check(types == {"offsets.topic.replication.factor": 4, "num.partitions": 3}, "DescribeConfigs v3 types: %r" % r)


if __name__ == "__main__":
    # The ACL authorizer, open to everyone without an ACL (the test's
    # PLAINTEXT principal a super user).
    harness.main(test, brokers=1, broker_props={
        "authorizer.class.name": "kafka.security.authorizer.AclAuthorizer",
        "allow.everyone.if.no.acl.found": "true", "super.users": "User:ANONYMOUS"})
