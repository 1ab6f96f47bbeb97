#!/usr/bin/python3
"""Proves the broker writes Kafka 2.8's ZooKeeper layout (top-level paths, /cluster/id, /brokers/ids, /controller, topics, partition state, configs) and meta.properties, refuses a duplicate broker.id, re-registers after session expiry, and honours a chroot."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, fail, log, wait_until  # noqa: E402

TOP_LEVEL = ["/consumers", "/brokers/ids", "/brokers/topics", "/brokers/seqid", "/config/changes",
             "/config/topics", "/config/clients", "/config/users", "/config/brokers",
             "/config/ips", "/admin/delete_topics", "/isr_change_notification",
             "/latest_producer_id_block", "/log_dir_event_notification", "/cluster/id",
             "/controller", "/controller_epoch"]
TOPIC_ID_RE = re.compile(r"^[A-Za-z0-9_-]{22}$")
SESSION_MS = 6000


def get_json(zk, path):
    data, stat = zk.get(path)
    try:
        return json.loads(data.decode()), stat
    except ValueError:
        fail("%s does not hold JSON: %r" % (path, data))


def check_cluster_id(zk):
    cid, _ = get_json(zk, "/cluster/id")
    check(cid.get("version") == "1", "/cluster/id version must be the string \"1\": %r" % cid)
    check(isinstance(cid.get("id"), str) and TOPIC_ID_RE.match(cid["id"]),
          "/cluster/id id must be a 22-char base64url string: %r" % cid)
    return cid["id"]


def check_broker_registration(zk, b):
    reg, stat = get_json(zk, "/brokers/ids/%d" % b.id)
    check(stat.ephemeralOwner != 0, "/brokers/ids/%d is not ephemeral" % b.id)
    check(reg.get("version") == 5, "broker registration version %r, expected 5" % reg.get("version"))
    ep = "PLAINTEXT://127.0.0.1:%d" % b.port
    check(reg.get("endpoints") == [ep], "endpoints %r, expected [%r]" % (reg.get("endpoints"), ep))
    check(reg.get("listener_security_protocol_map") == {"PLAINTEXT": "PLAINTEXT"},
          "listener_security_protocol_map %r" % reg.get("listener_security_protocol_map"))
    check(reg.get("features") == {}, "features %r, expected {}" % reg.get("features"))
    check(reg.get("host") == "127.0.0.1" and reg.get("port") == b.port,
          "host/port %r/%r" % (reg.get("host"), reg.get("port")))
    check(reg.get("jmx_port") == -1, "jmx_port %r" % reg.get("jmx_port"))
    check(isinstance(reg.get("timestamp"), str) and reg["timestamp"].isdigit(),
          "timestamp must be a string of digits: %r" % reg.get("timestamp"))
    return stat


def check_controller(zk, broker_id):
    ctl, stat = get_json(zk, "/controller")
    check(stat.ephemeralOwner != 0, "/controller is not ephemeral")
    check(ctl.get("version") == 1 and ctl.get("brokerid") == broker_id,
          "/controller %r, expected version 1 brokerid %d" % (ctl, broker_id))
    check(isinstance(ctl.get("timestamp"), str) and ctl["timestamp"].isdigit(),
          "/controller timestamp must be a string of digits: %r" % ctl)
    epoch, _ = zk.get("/controller_epoch")
    check(re.match(rb"^[0-9]+$", epoch) is not None, "/controller_epoch %r is not decimal" % epoch)
    check(int(epoch) >= 1, "/controller_epoch %r: an elected controller has epoch >= 1" % epoch)


def check_topic(zk, topic, partitions, broker_id):
    asg, _ = get_json(zk, "/brokers/topics/%s" % topic)
    check(asg.get("version") == 3, "%s assignment version %r" % (topic, asg.get("version")))
    check(TOPIC_ID_RE.match(asg.get("topic_id") or ""), "%s topic_id %r" % (topic, asg.get("topic_id")))
    check(asg.get("partitions") == {str(p): [broker_id] for p in range(partitions)},
          "%s partitions %r" % (topic, asg.get("partitions")))
    check(asg.get("adding_replicas", {}) == {} and asg.get("removing_replicas", {}) == {},
          "%s adding/removing %r" % (topic, asg))
    for p in range(partitions):
        path = "/brokers/topics/%s/partitions/%d/state" % (topic, p)
        wait_until(lambda: zk.exists(path), 30, path)
        st, _ = get_json(zk, path)
        check(st.get("version") == 1 and st.get("leader") == broker_id and
              st.get("isr") == [broker_id] and st.get("leader_epoch") == 0 and
              isinstance(st.get("controller_epoch"), int),
              "%s state %r" % (path, st))
    cfg, _ = get_json(zk, "/config/topics/%s" % topic)
    check(cfg.get("version") == 1 and isinstance(cfg.get("config"), dict),
          "/config/topics/%s %r" % (topic, cfg))
    return asg["topic_id"]


def check_meta_properties(b, cluster_id):
    path = os.path.join(b.data_dir, "meta.properties")
    check(os.path.exists(path), "%s missing" % path)
    props = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                props[k] = v
    check(props.get("cluster.id") == cluster_id, "meta.properties cluster.id %r != %r"
          % (props.get("cluster.id"), cluster_id))
    check(props.get("broker.id") == str(b.id), "meta.properties broker.id %r" % props.get("broker.id"))
    check(props.get("version") == "0", "meta.properties version %r" % props.get("version"))


def check_duplicate_id(c, zk, first):
    owner = zk.exists("/brokers/ids/%d" % first.id).ephemeralOwner
    dup = c.add_broker(broker_id=first.id, start=False, tag="dup")
    proc = dup.spawn()
    wait_until(lambda: proc.poll() is not None, 60, "the duplicate broker.id=%d to exit" % first.id)
    check(proc.returncode != 0, "duplicate broker exited with status 0")
    text = harness.tail(dup.out_path, 400) + harness.tail(dup.server_log, 400)
    check("/brokers/ids/%d" % first.id in text and re.search(r"(?i)already (exists|registered)", text),
          "duplicate broker's output does not explain the clash:\n%s" % text[-3000:])
    check(first.alive(), "the first broker died when a duplicate id tried to register")
    check(zk.exists("/brokers/ids/%d" % first.id).ephemeralOwner == owner,
          "the duplicate broker replaced the first broker's registration")
    c.brokers.remove(dup)
    log("duplicate broker.id refused")


def check_chroot(c, root_zk):
    b = c.add_broker(broker_id=7, tag="chroot",
                     props={"zookeeper.connect": c.zk.connect + "/samsa"})
    for path in ["/samsa/brokers/ids/7", "/samsa/cluster/id", "/samsa/brokers/topics",
                 "/samsa/config/topics", "/samsa/controller"]:
        wait_until(lambda: root_zk.exists(path), 30, path)
    check(not root_zk.exists("/brokers/ids/7"), "chrooted broker registered outside its chroot")
    ctl, _ = get_json(root_zk, "/samsa/controller")
    check(ctl.get("brokerid") == 7, "/samsa/controller %r" % ctl)
    rc = b.stop()
    check(rc == 0, "chrooted broker exit status %s" % rc)
    c.brokers.remove(b)
    log("chroot ok")


def check_session_expiry(zk, b):
    path = "/brokers/ids/%d" % b.id
    owner = zk.exists(path).ephemeralOwner
    b.pause()
    try:
        wait_until(lambda: zk.exists(path) is None, SESSION_MS / 1000.0 + 30,
                   "%s to vanish while the broker is stopped" % path)
    finally:
        b.resume()
    st = wait_until(lambda: zk.exists(path), 60, "%s to come back after session expiry" % path)
    check(st.ephemeralOwner != owner, "re-registration kept the expired session")
    check_broker_registration(zk, b)
    wait_until(lambda: zk.exists("/controller"), 60, "/controller after session expiry")
    check(b.alive(), "broker died after its ZooKeeper session expired")
    log("re-registered after session expiry")


def test(c):
    b = c.brokers[0]
    zk = c.kazoo()
    for path in TOP_LEVEL:
        check(zk.exists(path) is not None, "missing znode %s" % path)
    cluster_id = check_cluster_id(zk)
    check_broker_registration(zk, b)
    check_controller(zk, b.id)
    c.create_topic("via-zk", partitions=2, via="zookeeper")
    c.create_topic("via-bootstrap", partitions=3, via="bootstrap")
    ids = {check_topic(zk, "via-zk", 2, b.id), check_topic(zk, "via-bootstrap", 3, b.id)}
    check(len(ids) == 2, "two topics share a topic_id")
    check_meta_properties(b, cluster_id)
    log("layout ok")
    check_duplicate_id(c, zk, b)
    check_chroot(c, zk)
    check_session_expiry(zk, b)


if __name__ == "__main__":
    harness.main(test, brokers=1, broker_props={"zookeeper.session.timeout.ms": SESSION_MS})
