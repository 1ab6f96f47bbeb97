"""SASL helpers for the integration tests: JAAS lines, SCRAM credentials in
Kafka's /config/users format (computed here, RFC 5802), and raw Kafka frames
for driving the broker's SASL state machine byte by byte."""
import base64
import hashlib
import hmac
import json
import os
import socket
import struct

PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"
SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"


def jaas(module, username=None, password=None, users=None):
    parts = [module, "required"]
    if username is not None:
        parts.append('username="%s"' % username)
        parts.append('password="%s"' % password)
    for u, p in (users or {}).items():
        parts.append('user_%s="%s"' % (u, p))
    return " ".join(parts) + ";"


def scram_credential(mech, password, iterations=4096, salt=None):
    h = "sha512" if mech == "SCRAM-SHA-512" else "sha256"
    salt = salt or os.urandom(16)
    salted = hashlib.pbkdf2_hmac(h, password.encode(), salt, iterations)
    ck = hmac.new(salted, b"Client Key", h).digest()
    stored = hashlib.new(h, ck).digest()
    sk = hmac.new(salted, b"Server Key", h).digest()
    b = lambda x: base64.b64encode(x).decode()  # noqa: E731
    return "salt=%s,stored_key=%s,server_key=%s,iterations=%d" % (b(salt), b(stored), b(sk),
                                                                  iterations)


def put_scram_user(zk, user, creds, notify=True):
    """Writes /config/users/<user> ({mech: password}) as kafka-configs.sh
    does, then the change notification."""
    cfg = {m: scram_credential(m, p) for m, p in creds.items()}
    data = json.dumps({"version": 1, "config": cfg}).encode()
    path = "/config/users/" + user
    if zk.exists(path):
        zk.set(path, data)
    else:
        zk.create(path, data, makepath=True)
    if notify:
        zk.create("/config/changes/config_change_",
                  json.dumps({"version": 2, "entity_path": "users/" + user}).encode(),
                  sequence=True, makepath=True)


# ---- raw frames ----

def _str(s):
    if s is None:
        return struct.pack(">h", -1)
    s = s.encode() if isinstance(s, str) else s
    return struct.pack(">h", len(s)) + s


def frame(api_key, version, corr, body, client_id="raw"):
    hdr = struct.pack(">hhi", api_key, version, corr) + _str(client_id)
    if (api_key == 36 and version >= 2) or (api_key == 18 and version >= 3):
        hdr += b"\x00"  # flexible: header v2 tagged fields
    msg = hdr + body
    return struct.pack(">i", len(msg)) + msg


def handshake(mech, version=1, corr=1):
    return frame(17, version, corr, _str(mech))


def authenticate(token, version=1, corr=2):
    return frame(36, version, corr, struct.pack(">i", len(token)) + token)


def recv_frame(s, timeout=20):
    """The next frame's body, or None when the peer closed the connection."""
    s.settimeout(timeout)
    hdr = b""
    while len(hdr) < 4:
        d = s.recv(4 - len(hdr))
        if not d:
            return None
        hdr += d
    n = struct.unpack(">i", hdr)[0]
    body = b""
    while len(body) < n:
        d = s.recv(n - len(body))
        if not d:
            return None
        body += d
    return body


def parse_handshake_resp(body):
    corr, err, n = struct.unpack(">ihi", body[:10])
    pos, mechs = 10, []
    for _ in range(n):
        ln = struct.unpack(">h", body[pos:pos + 2])[0]
        mechs.append(body[pos + 2:pos + 2 + ln].decode())
        pos += 2 + ln
    return corr, err, mechs


def parse_authenticate_resp(body, version=1):
    """(corr, error_code, error_message, auth_bytes) of a v0/v1 answer."""
    corr, err = struct.unpack(">ih", body[:6])
    ln = struct.unpack(">h", body[6:8])[0]
    pos = 8
    msg = None
    if ln >= 0:
        msg = body[pos:pos + ln].decode()
        pos += ln
    bl = struct.unpack(">i", body[pos:pos + 4])[0]
    return corr, err, msg, body[pos + 4:pos + 4 + bl]


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=20)


def closed(s, timeout=20):
    """True when the broker closed s (EOF) without sending anything more."""
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
