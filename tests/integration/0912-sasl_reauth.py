#!/usr/bin/python3
"""Proves SASL re-authentication (KIP-368) with connections.max.reauth.ms=2000 on a SASL_PLAINTEXT
listener, on raw sockets: SaslAuthenticate v1 answers session_lifetime_ms=2000; a second
SaslHandshake + SaslAuthenticate on the authenticated connection re-authenticates and requests
go on; re-authenticating as another user is refused with Kafka's "Cannot change principals" message
and the connection closes; so is another mechanism ("not supported for re-authentication"); a
connection that lets its session end is closed at its next request; a SaslAuthenticate v0 client
gets lifetime 0. kcat (which does not re-authenticate) still works."""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import saslutil as su  # noqa: E402
from harness import KCAT, check, free_port, log, run  # noqa: E402

USERS = {"alice": "alice-secret", "bob": "bob-secret"}


def auth(s, mech, token, version=1, corr=1):
    s.sendall(su.handshake(mech, corr=corr))
    _, err, _ = su.parse_handshake_resp(su.recv_frame(s))
    check(err == 0, "handshake error %d" % err)
    s.sendall(su.authenticate(token, version=version, corr=corr + 1))
    body = su.recv_frame(s)
    check(body is not None, "no SaslAuthenticate answer")
    corr_, err, msg, tok = su.parse_authenticate_resp(body)
    lifetime = None
    if version >= 1:
        pos = 8 + (len(msg.encode()) if msg is not None else 0) + 4 + len(tok)
        lifetime = struct.unpack(">q", body[pos:pos + 8])[0]
    return err, msg, lifetime


def metadata_ok(s, corr):
    s.sendall(su.frame(3, 1, corr, struct.pack(">i", -1)))
    body = su.recv_frame(s)
    return body is not None and struct.unpack(">i", body[:4])[0] == corr


def test(c):
    port = free_port()
    b = c.add_broker(props={
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
        "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-512",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config":
        su.jaas(su.PLAIN_MODULE, users=USERS),
        "listener.name.sasl_plaintext.connections.max.reauth.ms": "2000"}, start=False)
    b.props["listeners"] = "PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d" % (b.port, port)
    b.write_props()
    b.start()
    alice = b"\0alice\0alice-secret"

    s = su.connect(port)
    err, msg, life = auth(s, "PLAIN", alice)
    check((err, life) == (0, 2000), "first authentication: %r" % ((err, msg, life),))
    check(metadata_ok(s, 10), "Metadata after authentication")
    err, msg, life = auth(s, "PLAIN", alice, corr=20)
    check((err, life) == (0, 2000), "re-authentication: %r" % ((err, msg, life),))
    check(metadata_ok(s, 30), "Metadata after re-authentication")
    time.sleep(1.2)  # re-authentication is allowed once a second
    err, msg, _ = auth(s, "PLAIN", b"\0bob\0bob-secret", corr=40)
    check((err, msg) == (58, "Cannot change principals during re-authentication from "
                             "User.alice: User.bob"), "principal change: %r" % ((err, msg),))
    check(su.closed(s), "open after a principal change")
    log("re-authentication ok, principal change refused")

    s = su.connect(port)
    auth(s, "PLAIN", alice)
    s.sendall(su.handshake("SCRAM-SHA-512", corr=5))
    _, err, _ = su.parse_handshake_resp(su.recv_frame(s))
    check(err == 0, "re-authentication handshake with another mechanism: %d" % err)
    s.sendall(su.authenticate(b"n,,n=alice,r=abc", corr=6))
    _, err, msg, _ = su.parse_authenticate_resp(su.recv_frame(s))
    check((err, msg) == (58, "SASL mechanism 'SCRAM-SHA-512' requested by client is not "
                             "supported for re-authentication of mechanism 'PLAIN'"),
          "mechanism change: %r" % ((err, msg),))
    check(su.closed(s), "open after a mechanism change")
    log("mechanism change refused")

    s = su.connect(port)
    err, _, life = auth(s, "PLAIN", alice)
    check(metadata_ok(s, 10), "Metadata in the session")
    time.sleep(2.5)  # past the 2000 ms session
    s.sendall(su.frame(3, 1, 11, struct.pack(">i", -1)))
    check(su.closed(s), "a request after the session ended was served")
    log("expired session closed")

    s = su.connect(port)
    err, msg, _ = auth(s, "PLAIN", alice, version=0)
    check(err == 0, "SaslAuthenticate v0: %r" % ((err, msg),))
    s.close()

    run([KCAT, "-b", "127.0.0.1:%d" % port, "-X", "security.protocol=SASL_PLAINTEXT",
         "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=alice",
         "-X", "sasl.password=alice-secret", "-L", "-m", "10"], what="kcat over SASL")
    check(b.alive(), "broker alive")


if __name__ == "__main__":
    harness.main(test, brokers=0)
