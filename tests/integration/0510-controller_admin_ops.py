#!/usr/bin/python3
"""Proves the controller's admin operations on 3 brokers with RF=3: partition addition (kafka-topics --alter in both modes, CreatePartitions), preferred leader election (ElectLeaders via kafka-leader-election, /admin/preferred_replica_election via kafka-preferred-replica-election) restoring the original leaders, a broker's rewritten registration reaching the metadata (BrokerModifications), SIGTERM moving leadership away first (controlled shutdown, no leaderless partition), and delete + re-create of a topic."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log, wait_until  # noqa: E402
from ctlutil import assignment, controller, produce, replication_present, states  # noqa: E402

SESSION_MS = 6000


def leaders(zk, topic, n):
    return [s["leader"] for s in states(zk, topic, n)]


def preferred(zk, topic, n):
    a = assignment(zk, topic)["partitions"]
    return [a[str(p)][0] for p in range(n)]


def test_add_partitions(c, zk):
    c.create_topic("grow", partitions=2, rf=3)
    p = c.topics("--zookeeper", c.zk_connect, "--alter", "--topic", "grow", "--partitions", "4")
    check(b"Adding partitions succeeded!" in p.stdout, "zk-mode alter said %r" % p.stdout)
    c.wait_for_leaders("grow", 4)
    p = c.topics("--bootstrap-server", c.bootstrap, "--alter", "--topic", "grow", "--partitions", "6")
    c.wait_for_leaders("grow", 6)
    a = assignment(zk, "grow")["partitions"]
    check(len(a) == 6 and all(len(set(r)) == 3 for r in a.values()),
          "new partitions not assigned 3 distinct replicas: %r" % a)
    p = c.topics("--bootstrap-server", c.bootstrap, "--alter", "--topic", "grow", "--partitions", "3",
                 check_rc=False)
    out = (p.stdout + p.stderr).decode()
    check("would not be an increase" in out or "currently has 6 partitions" in out,
          "shrinking was not refused with Kafka's message: %r" % out)
    produce(c, "grow", "g", n=60)
    log("partition addition ok")


def test_preferred_election(c, zk):
    topic = "pref"
    n = 6
    c.create_topic(topic, partitions=n, rf=3)
    pref = preferred(zk, topic, n)
    check(leaders(zk, topic, n) == pref, "initial leaders are not the preferred replicas")
    victim = next(b.id for b in c.brokers if b.id != controller(zk))
    log("restarting broker %d to move its leadership away" % victim)
    c.brokers[victim].kill9()
    wait_until(lambda: victim not in leaders(zk, topic, n), SESSION_MS / 1000.0 + 15,
               "leadership moved off broker %d" % victim)
    c.brokers[victim].start()
    # The broker is back but leads nothing (auto rebalance is off here).
    if replication_present(c):
        wait_until(lambda: all(victim in s["isr"] for s in states(zk, topic, n)), 30,
                   "broker %d back in every ISR" % victim)
        return elect_preferred(c, zk, topic, n, pref)
    # Without follower fetching it cannot rejoin the ISR on its own, so the
    # test puts it back the way an in-sync follower would be.
    for p in range(n):
        path = "/brokers/topics/%s/partitions/%d/state" % (topic, p)
        data, st = zk.get(path)
        s = json.loads(data)
        if victim not in s["isr"]:
            s["isr"].append(victim)
            zk.set(path, json.dumps(s).encode(), version=st.version)
    # Leaders announce ISR changes this way; the controller re-reads them.
    zk.create("/isr_change_notification/isr_change_", json.dumps(
        {"version": 1, "partitions": [{"topic": topic, "partition": p} for p in range(n)]}).encode(),
        sequence=True)
    wait_until(lambda: not zk.get_children("/isr_change_notification"), 10,
               "the controller to consume the ISR change notification")
    elect_preferred(c, zk, topic, n, pref)


def elect_preferred(c, zk, topic, n, pref):
    check(leaders(zk, topic, n) != pref, "leaders already preferred before the election")
    moved = [p for p in range(n) if leaders(zk, topic, n)[p] != pref[p]]
    # ElectLeaders through kafka-leader-election for one partition ...
    out = harness.run([os.path.join(harness.BIN, "kafka-leader-election.sh"), "--bootstrap-server",
                       c.brokers[0].bootstrap, "--election-type", "PREFERRED", "--topic", topic,
                       "--partition", str(moved[0])]).stdout.decode()
    check("Successfully completed leader election (PREFERRED) for partitions %s-%d" % (topic, moved[0])
          in out, "kafka-leader-election said %r" % out)
    check(leaders(zk, topic, n)[moved[0]] == pref[moved[0]], "ElectLeaders did not move the leader")
    # ... the rest through the znode the 2.x tool writes with --zookeeper.
    out = harness.run([os.path.join(harness.BIN, "kafka-preferred-replica-election.sh"), "--zookeeper",
                       c.zk_connect]).stdout.decode()
    check("Successfully started preferred replica election" in out,
          "kafka-preferred-replica-election said %r" % out)
    wait_until(lambda: leaders(zk, topic, n) == pref, 20, "preferred leaders restored")
    out = harness.run([os.path.join(harness.BIN, "kafka-leader-election.sh"), "--bootstrap-server",
                       c.brokers[0].bootstrap, "--election-type", "preferred",
                       "--all-topic-partitions"], check_rc=False).stdout.decode()
    done = [ln for ln in out.splitlines() if ln.startswith("Valid replica already elected")]
    check(done and all("%s-%d" % (topic, p) in done[0] for p in range(n)),
          "second election said %r" % out)
    wait_until(lambda: not zk.exists("/admin/preferred_replica_election"), 10,
               "the controller to delete /admin/preferred_replica_election")
    c.wait_for_leaders(topic, n)
    md = c.metadata(topic)
    got = {p["partition"]: p["leader"] for t in md["topics"] for p in t["partitions"]}
    check(all(got[p] == pref[p] for p in range(n)), "metadata leaders %r, expected %r" % (got, pref))
    log("preferred election restored the original leaders")


def test_controlled_shutdown(c, zk):
    topic = "cs"
    n = 6
    c.create_topic(topic, partitions=n, rf=3)
    victim = next(b.id for b in c.brokers if b.id != controller(zk) and b.id in leaders(zk, topic, n))
    led = [p for p, l in enumerate(leaders(zk, topic, n)) if l == victim]
    log("SIGTERM to broker %d (leader of %s)" % (victim, led))
    t0 = time.monotonic()
    rc = c.brokers[victim].stop()
    check(rc == 0, "broker %d exited with %s" % (victim, rc))
    took = time.monotonic() - t0
    # Controlled shutdown: by the time the broker has exited its partitions
    # already have other leaders -- no session timeout wait.
    st = states(zk, topic, n)
    check(all(s["leader"] not in (victim, -1) for s in st),
          "partitions left leaderless or on the stopped broker: %r" % st)
    # (The ISRs lose it too, but a leader may briefly re-add a follower
    # whose last fetch raced with its StopReplica, as in Kafka; the
    # controller takes it out again when the broker's registration goes:
    # 0511-controlled_shutdown_isr.)
    text = c.brokers[victim].log_text()
    check("Controlled shutdown succeeded" in text, "broker log lacks 'Controlled shutdown succeeded'")
    log("controlled shutdown took %.1fs" % took)
    c.brokers[victim].start()


def test_delete_recreate(c, zk):
    c.create_topic("gone", partitions=3, rf=3)
    produce(c, "gone", "x", n=30)
    c.topics("--bootstrap-server", c.bootstrap, "--delete", "--topic", "gone")
    wait_until(lambda: not zk.exists("/brokers/topics/gone"), 30, "topic znode removed")
    wait_until(lambda: not zk.exists("/admin/delete_topics/gone"), 30, "deletion marker removed")
    for b in c.brokers:
        wait_until(lambda: not any(d.startswith("gone-") for d in os.listdir(b.data_dir)), 30,
                   "log dirs of gone removed on broker %d" % b.id)
    c.create_topic("gone", partitions=2, rf=3)
    check(len(assignment(zk, "gone")["partitions"]) == 2, "re-created topic has the old shape")
    log("delete and re-create ok")


def test_broker_modifications(c, zk):
    """A live broker's rewritten registration (same session) reaches every
    broker's metadata (BrokerModifications -> UpdateMetadata)."""
    from kafka import KafkaAdminClient
    bid = c.brokers[-1].id
    path = "/brokers/ids/%d" % bid
    data, _ = zk.get(path)
    reg = json.loads(data)
    reg["rack"] = "moved-rack"
    zk.set(path, json.dumps(reg).encode())

    def rack():
        adm = KafkaAdminClient(bootstrap_servers=c.brokers[0].bootstrap)
        try:
            return [b["rack"] for b in adm.describe_cluster()["brokers"] if b["node_id"] == bid]
        finally:
            adm.close()
    wait_until(lambda: rack() == ["moved-rack"], 20, "the new rack of broker %d in the metadata" % bid)
    # Back as it was: a rack on one broker only would make assignment
    # refuse to create topics (Kafka's rule).
    del reg["rack"]
    zk.set(path, json.dumps(reg).encode())
    wait_until(lambda: rack() == [None], 20, "the rack of broker %d gone again" % bid)
    log("broker modifications propagated")


def test(c):
    zk = c.kazoo()
    test_broker_modifications(c, zk)
    test_add_partitions(c, zk)
    test_delete_recreate(c, zk)
    test_controlled_shutdown(c, zk)
    test_preferred_election(c, zk)


harness.main(test, brokers=3, broker_props={"zookeeper.session.timeout.ms": SESSION_MS,
                                            "controlled.shutdown.retry.backoff.ms": 500,
                                            "auto.leader.rebalance.enable": "false"})
