#!/usr/bin/python3
"""Proves SASL listeners: one broker with PLAINTEXT, SASL_PLAINTEXT (PLAIN with users from
listener.name.sasl_plaintext.plain.sasl.jaas.config, and SCRAM-SHA-512) and SASL_SSL
(SCRAM-SHA-256) listeners. SCRAM users come from /config/users (one present at startup, one
added later through a change notification). kcat, confluent-kafka and kafka-python produce and
consume over each mechanism; a wrong password gets SASL_AUTHENTICATION_FAILED with Kafka's
message and the connection closes; hostile SASL bytes on a raw socket get Kafka's answers
(UNSUPPORTED_SASL_MECHANISM with the enabled list, requests before authentication close the
connection, oversized frames, truncated and forged SCRAM messages) and the broker keeps serving;
the v0 handshake with raw tokens authenticates too; the principal User:<name> is logged."""
import os
import re
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import saslutil as su  # noqa: E402
import tlsutil  # noqa: E402
from harness import KCAT, check, free_port, log, run, wait_until  # noqa: E402

N = 200
USERS = {"admin": "admin-secret", "alice": "alice-secret"}


def kcat(port, mech, user, pw, *args, certs=None, check_rc=True, input=None, timeout=60):
    cmd = [KCAT, "-b", "127.0.0.1:%d" % port,
           "-X", "security.protocol=" + ("SASL_SSL" if certs else "SASL_PLAINTEXT"),
           "-X", "sasl.mechanisms=" + mech, "-X", "sasl.username=" + user,
           "-X", "sasl.password=" + pw]
    if certs:
        cmd += ["-X", "ssl.ca.location=" + certs["ca_crt"]]
    return run(cmd + list(args), timeout=timeout, input=input, check_rc=check_rc,
               what="kcat %s %s" % (mech, " ".join(args[:4])))


def kcat_roundtrip(port, mech, user, pw, topic, certs=None):
    lines = ["%s-%05d" % (mech, i) for i in range(N)]
    kcat(port, mech, user, pw, "-P", "-t", topic, "-p", "0", "-X", "acks=all", certs=certs,
         input=("\n".join(lines) + "\n").encode())
    out = kcat(port, mech, user, pw, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q",
               certs=certs)
    check(out.stdout.decode().split() == lines, "kcat %s read back %d lines" %
          (mech, len(out.stdout.decode().split())))


def confluent_roundtrip(port, mech, user, pw, topic, certs=None):
    from confluent_kafka import Consumer, Producer
    conf = {"bootstrap.servers": "127.0.0.1:%d" % port,
            "security.protocol": "SASL_SSL" if certs else "SASL_PLAINTEXT",
            "sasl.mechanisms": mech, "sasl.username": user, "sasl.password": pw}
    if certs:
        conf["ssl.ca.location"] = certs["ca_crt"]
    prod = Producer(dict(conf, acks="all"))
    errors = []
    for i in range(N):
        prod.produce(topic, value=b"ck-%05d" % i,
                     on_delivery=lambda e, m: errors.append(str(e)) if e else None)
    check(prod.flush(60) == 0, "confluent-kafka: flush left messages")
    check(not errors, "confluent-kafka delivery errors %s" % errors[:3])
    cons = Consumer(dict(conf, **{"group.id": "g-" + topic, "enable.partition.eof": True,
                                  "auto.offset.reset": "earliest"}))
    cons.subscribe([topic])
    got = []
    while True:
        m = cons.poll(30)
        check(m is not None, "confluent-kafka consumer got nothing for 30 s")
        if m.error():
            break
        got.append(m.value())
    cons.close()
    check(got == [b"ck-%05d" % i for i in range(N)], "confluent-kafka %s read back %d records" %
          (mech, len(got)))


def kafka_python_roundtrip(port, mech, user, pw, topic, certs=None):
    from kafka import KafkaProducer
    conf = dict(bootstrap_servers="127.0.0.1:%d" % port,
                security_protocol="SASL_SSL" if certs else "SASL_PLAINTEXT",
                sasl_mechanism=mech, sasl_plain_username=user, sasl_plain_password=pw,
                api_version=(2, 5, 0))
    if certs:
        conf["ssl_cafile"] = certs["ca_crt"]
        conf["ssl_check_hostname"] = False
    prod = KafkaProducer(acks="all", **conf)
    futs = [prod.send(topic, b"kp-%05d" % i) for i in range(N)]
    for f in futs:
        f.get(timeout=60)
    prod.close()
    got = harness.kafka_python_read_all(conf, topic, N)
    check(got == [b"kp-%05d" % i for i in range(N)], "kafka-python %s read back %d records" %
          (mech, len(got)))


def wrong_password(b, port):
    # kcat: the client gives up with the broker's message.
    p = kcat(port, "PLAIN", "alice", "nope", "-L", "-m", "3", check_rc=False, timeout=30)
    check(p.returncode != 0, "kcat with a wrong password got metadata")
    err = p.stderr.decode(errors="replace")
    check("Authentication failed: Invalid username or password" in err or
          "SASL_AUTHENTICATION_FAILED" in err or "Authentication" in err,
          "kcat stderr without the authentication failure: %s" % err[-600:])
    # raw: SaslHandshake v1, SaslAuthenticate v1 with the wrong password.
    for mech, token, msg in (
            ("PLAIN", b"\0alice\0wrong", "Authentication failed: Invalid username or password"),
            ("SCRAM-SHA-512", b"n,,n=nobody,r=abcdef",
             "Authentication failed during authentication due to invalid credentials with "
             "SASL mechanism SCRAM-SHA-512")):
        s = su.connect(port)
        s.sendall(su.handshake(mech))
        corr, err, mechs = su.parse_handshake_resp(su.recv_frame(s))
        check((corr, err, mechs) == (1, 0, ["PLAIN", "SCRAM-SHA-512"]),
              "handshake answer %r" % ((corr, err, mechs),))
        s.sendall(su.authenticate(token))
        corr, err, emsg, _ = su.parse_authenticate_resp(su.recv_frame(s))
        check((corr, err, emsg) == (2, 58, msg), "wrong %s answer %r" % (mech, (corr, err, emsg)))
        check(su.closed(s), "connection open after SASL_AUTHENTICATION_FAILED")
        s.close()
    wait_until(lambda: "Failed authentication with 127.0.0.1" in b.log_text(), 20,
               "the failed authentication in server.log")
    log("wrong passwords refused with SASL_AUTHENTICATION_FAILED, connection closed")


def scram_client_first(s, user, mech, version=1):
    cnonce = "fyko+d2lbbFgONRv9qkxdawL"
    s.sendall(su.authenticate(("n,,n=%s,r=%s" % (user, cnonce)).encode(), version=version))
    corr, err, emsg, sf = su.parse_authenticate_resp(su.recv_frame(s))
    check(err == 0, "client-first refused: %r" % ((err, emsg),))
    return cnonce, sf.decode()


def hostile(b, port):
    # An unsupported mechanism: error 33 with the enabled list, then closed.
    s = su.connect(port)
    s.sendall(su.handshake("GSSAPI"))
    corr, err, mechs = su.parse_handshake_resp(su.recv_frame(s))
    check((err, mechs) == (33, ["PLAIN", "SCRAM-SHA-512"]), "GSSAPI answer %r" % ((err, mechs),))
    check(su.closed(s), "open after UNSUPPORTED_SASL_MECHANISM")
    # Metadata before authenticating: closed without an answer.
    s = su.connect(port)
    s.sendall(su.frame(3, 1, 7, struct.pack(">i", -1)))
    check(su.closed(s), "Metadata before SASL was served")
    # SaslAuthenticate before the handshake: closed.
    s = su.connect(port)
    s.sendall(su.authenticate(b"\0alice\0alice-secret"))
    check(su.closed(s), "SaslAuthenticate before SaslHandshake was served")
    # Metadata after the handshake, during authentication: closed.
    s = su.connect(port)
    s.sendall(su.handshake("PLAIN"))
    su.recv_frame(s)
    s.sendall(su.frame(3, 1, 7, struct.pack(">i", -1)))
    check(su.closed(s), "Metadata during SASL authentication was served")
    # A second handshake: closed.
    s = su.connect(port)
    s.sendall(su.handshake("PLAIN"))
    su.recv_frame(s)
    s.sendall(su.handshake("PLAIN", corr=2))
    check(su.closed(s), "a second SaslHandshake was served")
    # An oversized frame before authentication.
    s = su.connect(port)
    s.sendall(struct.pack(">i", 600000) + b"\0" * 100)
    check(su.closed(s), "a 600000-byte frame before SASL was accepted")
    # Garbage instead of a request header.
    s = su.connect(port)
    s.sendall(struct.pack(">i", 12) + b"\x60\x82\xff\xff" + os.urandom(8))
    check(su.closed(s), "garbage before SASL was accepted")
    # A truncated SaslAuthenticate (auth_bytes longer than the frame).
    s = su.connect(port)
    s.sendall(su.handshake("PLAIN"))
    su.recv_frame(s)
    body = struct.pack(">i", 1000) + b"\0alice"
    hdr = struct.pack(">hhi", 36, 1, 2) + struct.pack(">h", 3) + b"raw"
    s.sendall(struct.pack(">i", len(hdr) + len(body)) + hdr + body)
    check(su.closed(s), "a truncated SaslAuthenticate was accepted")
    # SCRAM: truncated and forged client messages get SASL_AUTHENTICATION_FAILED.
    for first in (b"n,,n=alice", b"n,,", b"y,,n=alice,r=x", b"n,,n=al=ice,r=x", b"\xff" * 64, b""):
        s = su.connect(port)
        s.sendall(su.handshake("SCRAM-SHA-512"))
        su.recv_frame(s)
        s.sendall(su.authenticate(first))
        _, err, emsg, _ = su.parse_authenticate_resp(su.recv_frame(s))
        check(err == 58, "client-first %r answered %r" % (first, (err, emsg)))
        check(su.closed(s), "open after a bad client-first")
    for final in ("c=biws,r=%s,p=", "c=biws,r=%sX,p=AAAA", "c=b!ws,r=%s,p=AAAA",
                  "c=biws,r=%s,p=" + "A" * 86 + "==", "c=biws,r=%s", "garbage"):
        s = su.connect(port)
        s.sendall(su.handshake("SCRAM-SHA-512"))
        su.recv_frame(s)
        cnonce, sf = scram_client_first(s, "alice", "SCRAM-SHA-512")
        nonce = re.match(r"r=([^,]+),", sf).group(1)
        check(nonce.startswith(cnonce) and len(nonce) > len(cnonce), "server nonce %r" % nonce)
        s.sendall(su.authenticate((final % nonce if "%s" in final else final).encode(), corr=3))
        _, err, emsg, _ = su.parse_authenticate_resp(su.recv_frame(s))
        check(err == 58, "client-final %r answered %r" % (final, (err, emsg)))
        check(su.closed(s), "open after a bad client-final")
    check(b.alive(), "broker died on hostile SASL input")
    log("hostile SASL input refused with Kafka's errors")


def v0_framing(port):
    """SaslHandshake v0, then the PLAIN token as a raw size-prefixed frame;
    the answer is an empty raw frame and then requests are served."""
    s = su.connect(port)
    s.sendall(su.handshake("PLAIN", version=0))
    _, err, _ = su.parse_handshake_resp(su.recv_frame(s))
    check(err == 0, "v0 handshake error %d" % err)
    tok = b"\0alice\0alice-secret"
    s.sendall(struct.pack(">i", len(tok)) + tok)
    check(su.recv_frame(s) == b"", "v0 PLAIN answer is not an empty token")
    s.sendall(su.frame(3, 1, 9, struct.pack(">i", -1)))
    body = su.recv_frame(s)
    check(body is not None and struct.unpack(">i", body[:4])[0] == 9,
          "Metadata after v0 authentication")
    # after authentication, SaslHandshake is answered ILLEGAL_SASL_STATE
    s.sendall(su.handshake("PLAIN", corr=10))
    corr, err, _ = su.parse_handshake_resp(su.recv_frame(s))
    check((corr, err) == (10, 34), "SaslHandshake after authentication: %r" % ((corr, err),))
    s.close()
    # a wrong v0 token: the connection closes without an answer
    s = su.connect(port)
    s.sendall(su.handshake("PLAIN", version=0))
    su.recv_frame(s)
    tok = b"\0alice\0wrong"
    s.sendall(struct.pack(">i", len(tok)) + tok)
    check(su.closed(s), "wrong v0 token not closed")
    log("v0 framing ok")


def test(c):
    certs = tlsutil.make(os.path.join(c.root, "certs"))
    zk = c.kazoo()
    su.put_scram_user(zk, "alice", {"SCRAM-SHA-256": "alice-secret",
                                    "SCRAM-SHA-512": "alice-secret"}, notify=False)
    saslp, sslp = free_port(), free_port()
    props = {"listener.security.protocol.map":
             "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL",
             "listener.name.sasl_plaintext.sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-512",
             "listener.name.sasl_plaintext.plain.sasl.jaas.config":
             su.jaas(su.PLAIN_MODULE, "admin", "admin-secret", USERS),
             "listener.name.sasl_ssl.sasl.enabled.mechanisms": "SCRAM-SHA-256"}
    props.update(tlsutil.broker_pem_props(certs))
    b = c.add_broker(props=props, start=False)
    b.props["listeners"] = "PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d," \
                           "SASL_SSL://127.0.0.1:%d" % (b.port, saslp, sslp)
    b.write_props()
    b.start()

    def debug_on():
        p = run([os.path.join(harness.BIN, "kafka-configs.sh"), "--bootstrap-server",
                 b.bootstrap, "--alter", "--entity-type", "broker-loggers", "--entity-name", "0",
                 "--add-config", "root=DEBUG"], check_rc=False, what="kafka-configs.sh root=DEBUG")
        return p.returncode == 0
    wait_until(debug_on, 30, "root logger at DEBUG", interval=0.5)

    kcat_roundtrip(saslp, "PLAIN", "alice", "alice-secret", "sasl-plain")
    kcat_roundtrip(saslp, "SCRAM-SHA-512", "alice", "alice-secret", "sasl-scram512")
    kcat_roundtrip(sslp, "SCRAM-SHA-256", "alice", "alice-secret", "sasl-ssl-scram256", certs)
    wait_until(lambda: "as User:alice" in b.log_text(), 20, "the principal User:alice logged")
    log("kcat round trips over PLAIN, SCRAM-SHA-512 and SASL_SSL SCRAM-SHA-256 ok")

    confluent_roundtrip(saslp, "PLAIN", "admin", "admin-secret", "ck-plain")
    confluent_roundtrip(saslp, "SCRAM-SHA-512", "alice", "alice-secret", "ck-scram512")
    confluent_roundtrip(sslp, "SCRAM-SHA-256", "alice", "alice-secret", "ck-scram256", certs)
    kafka_python_roundtrip(saslp, "PLAIN", "alice", "alice-secret", "kp-plain")
    kafka_python_roundtrip(saslp, "SCRAM-SHA-512", "alice", "alice-secret", "kp-scram512")
    kafka_python_roundtrip(sslp, "SCRAM-SHA-256", "alice", "alice-secret", "kp-scram256", certs)
    log("confluent-kafka and kafka-python round trips ok")

    # A user added while the broker runs (change notification).
    p = kcat(saslp, "SCRAM-SHA-512", "bob", "bob-secret", "-L", "-m", "3", check_rc=False,
             timeout=30)
    check(p.returncode != 0, "unknown SCRAM user bob got metadata")
    su.put_scram_user(zk, "bob", {"SCRAM-SHA-512": "bob-secret"})
    wait_until(lambda: "Processing override for entityPath: users/bob" in b.log_text(), 30,
               "the users/bob notification processed")
    kcat(saslp, "SCRAM-SHA-512", "bob", "bob-secret", "-L", "-m", "10")
    log("SCRAM user added through a change notification logs in")

    # kafka-configs.sh --zookeeper creates a SCRAM user that then logs in.
    p = run([os.path.join(harness.BIN, "kafka-configs.sh"), "--zookeeper", c.zk_connect,
             "--alter", "--add-config", "SCRAM-SHA-512=[iterations=8192,password=carol-secret]",
             "--entity-type", "users", "--entity-name", "carol"], what="kafka-configs.sh SCRAM")
    check(p.stdout.decode().strip() ==
          "Completed updating config for entity: user-principal 'carol'.",
          "kafka-configs said %r" % p.stdout)
    p = run([os.path.join(harness.BIN, "kafka-configs.sh"), "--zookeeper", c.zk_connect,
             "--describe", "--entity-type", "users", "--entity-name", "carol"],
            what="kafka-configs.sh --describe")
    check(re.match(r"Configs for user-principal 'carol' are SCRAM-SHA-512=salt=[A-Za-z0-9+/=]+,"
                   r"stored_key=[A-Za-z0-9+/=]+,server_key=[A-Za-z0-9+/=]+,iterations=8192$",
                   p.stdout.decode().strip()), "describe said %r" % p.stdout)
    check(b"carol-secret" not in zk.get("/config/users/carol")[0], "password stored in clear")
    wait_until(lambda: "Processing override for entityPath: users/carol" in b.log_text(), 30,
               "the users/carol notification processed")
    kcat(saslp, "SCRAM-SHA-512", "carol", "carol-secret", "-L", "-m", "10")
    p = kcat(saslp, "SCRAM-SHA-512", "carol", "wrong", "-L", "-m", "3", check_rc=False, timeout=30)
    check(p.returncode != 0, "carol with a wrong password got metadata")
    p = run([os.path.join(harness.BIN, "kafka-configs.sh"), "--zookeeper", c.zk_connect,
             "--alter", "--add-config", "SCRAM-SHA-256=[iterations=100,password=x]",
             "--entity-type", "users", "--entity-name", "carol"], check_rc=False,
            what="kafka-configs.sh SCRAM too few iterations")
    check(p.returncode != 0 and b"Iterations 100 is less than the minimum 4096 required for "
          b"SCRAM-SHA-256" in p.stderr, "too few iterations: %r" % p.stderr)
    log("kafka-configs.sh --zookeeper SCRAM user logs in")

    # kafka-configs.sh --bootstrap-server: AlterUserScramCredentials and
    # DescribeUserScramCredentials.
    kc = [os.path.join(harness.BIN, "kafka-configs.sh"), "--bootstrap-server", b.bootstrap]
    p = run(kc + ["--alter", "--add-config", "SCRAM-SHA-256=[iterations=8192,password=dave-secret],"
                  "SCRAM-SHA-512=[password=dave-secret]", "--entity-type", "users",
                  "--entity-name", "dave"], what="kafka-configs.sh --bootstrap-server SCRAM")
    check(p.stdout.decode().strip() == "Completed updating config for user dave.",
          "alter said %r" % p.stdout)
    p = run(kc + ["--describe", "--entity-type", "users", "--entity-name", "dave"],
            what="kafka-configs.sh --bootstrap-server --describe")
    check(p.stdout.decode().strip() == "SCRAM credential configs for user-principal 'dave' are "
          "SCRAM-SHA-256=iterations=8192, SCRAM-SHA-512=iterations=4096",
          "describe said %r" % p.stdout)
    wait_until(lambda: "Processing override for entityPath: users/dave" in b.log_text(), 30,
               "the users/dave notification processed")
    kcat(sslp, "SCRAM-SHA-256", "dave", "dave-secret", "-L", "-m", "10", certs=certs)
    kcat(saslp, "SCRAM-SHA-512", "dave", "dave-secret", "-L", "-m", "10")
    p = run(kc + ["--describe", "--entity-type", "users"], what="describe all users")
    out = p.stdout.decode().splitlines()
    check([l.split("'")[1] for l in out] == ["alice", "bob", "carol", "dave"],
          "describe all users said %r" % out)
    p = run(kc + ["--alter", "--delete-config", "SCRAM-SHA-256", "--entity-type", "users",
                  "--entity-name", "dave"], what="delete SCRAM-SHA-256 of dave")
    p = run(kc + ["--describe", "--entity-type", "users", "--entity-name", "dave"],
            what="describe dave again")
    check(p.stdout.decode().strip() == "SCRAM credential configs for user-principal 'dave' are "
          "SCRAM-SHA-512=iterations=4096", "describe after delete said %r" % p.stdout)
    p = run(kc + ["--alter", "--delete-config", "SCRAM-SHA-256", "--entity-type", "users",
                  "--entity-name", "dave"], check_rc=False, what="delete a missing credential")
    check(p.returncode != 0 and b"Attempt to delete a user credential that does not exist"
          in p.stderr, "deleting a missing credential: %r" % p.stderr)
    p = run(kc + ["--describe", "--entity-type", "users", "--entity-name", "nobody"],
            what="describe a user without credentials")
    check(p.stdout.decode().strip() == "Error retrieving SCRAM credential configs for "
          "user-principal 'nobody': ResourceNotFoundException: Attempt to describe a user "
          "credential that does not exist: nobody", "describe nobody said %r" % p.stdout)
    wait_until(lambda: kcat(sslp, "SCRAM-SHA-256", "dave", "dave-secret", "-L", "-m", "5",
                            certs=certs, check_rc=False, timeout=30).returncode != 0, 30,
               "the deleted SCRAM-SHA-256 credential refused", interval=0.5)
    log("kafka-configs.sh --bootstrap-server SCRAM alter/describe/delete ok")

    # bin tools with a Kafka client config (sasl.mechanism, sasl.jaas.config).
    cc = os.path.join(c.root, "client-scram.properties")
    with open(cc, "w") as f:
        f.write("security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-256\n"
                "sasl.jaas.config=%s\nssl.truststore.type=PEM\nssl.truststore.location=%s\n"
                % (su.jaas(su.SCRAM_MODULE, "alice", "alice-secret"), certs["ca_crt"]))
    boot = "127.0.0.1:%d" % sslp
    vals = ["tool-%04d" % i for i in range(100)]
    run([os.path.join(harness.BIN, "kafka-console-producer.sh"), "--bootstrap-server", boot,
         "--topic", "sasl-tools", "--producer.config", cc],
        input=("\n".join(vals) + "\n").encode(), what="kafka-console-producer.sh over SASL_SSL")
    out = run([os.path.join(harness.BIN, "kafka-console-consumer.sh"), "--bootstrap-server", boot,
               "--topic", "sasl-tools", "--from-beginning", "--max-messages", "100",
               "--consumer.config", cc], timeout=60, what="kafka-console-consumer.sh over SASL_SSL")
    check(out.stdout.decode().split() == vals, "console consumer over SASL_SSL read %r" %
          out.stdout[:200])
    log("console tools over SASL_SSL SCRAM-SHA-256 ok")

    wrong_password(b, saslp)
    hostile(b, saslp)
    v0_framing(saslp)
    # still serving every listener
    kcat_roundtrip(saslp, "PLAIN", "alice", "alice-secret", "sasl-plain-after")
    out = c.kcat("-C", "-t", "sasl-plain", "-p", "0", "-o", "beginning", "-e", "-q")
    check(len(out.stdout.decode().split()) == N, "PLAINTEXT listener serves the SASL topic")
    check(b.alive(), "broker alive at the end")

    # Kafka's default mechanism, GSSAPI, is not offered: refused at start
    # naming the key; so is a PLAIN listener without a JAAS entry.
    for extra, pattern in (({}, r"FATAL .*sasl\.enabled\.mechanisms.*GSSAPI"),
                           ({"sasl.enabled.mechanisms": "PLAIN"},
                            r"FATAL .*listener\.name\.sasl_plaintext\.plain\.sasl\.jaas\.config")):
        j = c.add_broker(props=extra, start=False)
        j.props["listeners"] = "PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d" % (
            j.port, free_port())
        j.write_props()
        j.spawn()
        wait_until(lambda: j.proc.poll() is not None, 60, "the misconfigured broker to exit")
        check(j.proc.returncode != 0, "a misconfigured SASL broker exited with status 0")
        check(re.search(pattern, j.log_text()), "no FATAL line matching %s: %s" %
              (pattern, j.log_text()[-1500:]))
    log("bad SASL settings refused at startup")


if __name__ == "__main__":
    harness.main(test, brokers=0)
