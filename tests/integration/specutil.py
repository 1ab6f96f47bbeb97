"""A Kafka wire codec driven by Samsa's own message specs
(src/protocol/specs/*.spec, parsed by src/protocol/gen.py's parse_spec):
encodes the request and decodes the response of any API at any version the
specs define, so a test can speak every API without a hand-written schema.

Values are plain Python: a message or struct is a dict keyed by the field's
snake_case name (as in the generated C), an array a list, a nullable value
None, bytes and records bytes, a uuid a 32-digit hex string. When encoding,
a field the dict lacks takes its spec default (0, false, "", empty array,
null where the spec says default=null, or the spec's default=V). Flexible
versions use compact strings/arrays/bytes and tagged-field sections; a tagged
field is written only when its value differs from its default, and when
decoding an absent tagged field takes its default (so a broker that writes a
default explicitly and one that omits it decode the same). Tags the spec does
not know are kept, as hex, under "_tags".

Headers: request header v1 (v2 in flexible versions, the client id never
compact); response header v0 (v1 in flexible versions, except ApiVersions,
whose response header is always v0 so that any client can read it).

Conn speaks it over one connection to a broker. Standard library only; used
by the oracle tests (0620, 0622, 0623) and 0511, checked by
tests/integration/0621-specutil.py.
"""
import glob
import json
import os
import socket
import struct
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("SM_TOP_SRCDIR") or os.path.dirname(os.path.dirname(_HERE))
sys.path.insert(0, os.path.join(SRC, "src", "protocol"))
import gen  # noqa: E402  (src/protocol/gen.py: only its parser is used)

FIXED = {"bool": ">?", "int8": ">b", "int16": ">h", "uint16": ">H", "int32": ">i",
         "uint32": ">I", "int64": ">q", "float64": ">d"}
API_VERSIONS_KEY = 18


class CodecError(Exception):
    pass


def _in(text, v, hi):
    r = gen.Range(text)
    return r.lo <= v <= (hi if r.hi == gen.TOP else r.hi)


class Message:
    """One request or response of the specs."""

    def __init__(self, m):
        self.m = m
        self.name = m.kname
        self.key = m.key
        self.lo, self.hi = m.lo, m.hi
        self.flex = m.flex

    def flexible(self, v):
        return self.flex is not None and v >= self.flex

    # ---- field rules ----
    def present(self, f, v):
        return _in(f.vtext, v, self.hi)

    def tagged(self, f, v):
        return f.tag is not None and self.flexible(v) and _in(f.tagv, v, self.hi)

    def nullable(self, f, v):
        return _in(f.null, v, self.hi)

    def compact(self, f, v):
        if f.flex is not None:
            return _in(f.flex, v, self.hi)
        return self.flexible(v)

    def default(self, f, v):
        d = f.default
        if f.is_array:
            return None if d == "null" else []
        if d == "null":
            return None
        if f.struct is not None:
            return self.defaults(f.struct, v)
        if f.base in FIXED:
            if d is None:
                return False if f.base == "bool" else 0
            if f.base == "bool":
                return d == "true"
            return float(d) if f.base == "float64" else int(d, 0)
        if f.base == "string":
            return "" if d is None else json.loads(d)
        if f.base == "uuid":
            return "0" * 32
        return b""          # bytes, records

    def defaults(self, s, v):
        return {f.name: self.default(f, v) for f in s.fields if self.present(f, v)}

    # ---- encoding ----
    def encode(self, v, value):
        if not self.lo <= v <= self.hi:
            raise CodecError("%s has no version %d" % (self.name, v))
        out = bytearray()
        self._struct(out, self.m.root, v, value or {})
        return bytes(out)

    def _struct(self, out, s, v, d):
        unknown = set(d) - {f.name for f in s.fields} - {"_tags"}
        if unknown:
            raise CodecError("%s: no field %s" % (self.name, ", ".join(sorted(unknown))))
        tags = []
        for f in s.fields:
            if not self.present(f, v):
                continue
            val = d[f.name] if f.name in d else self.default(f, v)
            if self.tagged(f, v):
                if val != self.default(f, v):
                    b = bytearray()
                    self._value(b, f, v, val)
                    tags.append((f.tag, bytes(b)))
                continue
            self._value(out, f, v, val)
        if self.flexible(v):
            for t, raw in sorted(list(d.get("_tags", {}).items())):
                tags.append((t, bytes.fromhex(raw)))
            tags.sort()
            out += uvarint(len(tags))
            for t, b in tags:
                out += uvarint(t) + uvarint(len(b)) + b

    def _len(self, out, f, v, n, elem=False):
        """A length prefix: of the array f (elem false) or of one string,
        bytes or records value of f."""
        if self.compact(f, v):
            out += uvarint(n + 1)
        elif (f.is_array and not elem) or f.base in ("bytes", "records"):
            out += struct.pack(">i", n)
        else:
            out += struct.pack(">h", n)

    def _value(self, out, f, v, val):
        if f.is_array:
            if val is None:
                self._len(out, f, v, -1)
                return
            self._len(out, f, v, len(val))
            for x in val:
                self._one(out, f, v, x)
            return
        self._one(out, f, v, val)

    def _one(self, out, f, v, val):
        if f.struct is not None:
            self._struct(out, f.struct, v, val if val is not None else {})
        elif f.base in FIXED:
            out += struct.pack(FIXED[f.base], val)
        elif f.base == "uuid":
            b = bytes.fromhex(val)
            if len(b) != 16:
                raise CodecError("%s.%s: a uuid is 16 bytes" % (self.name, f.name))
            out += b
        else:
            if val is None:
                self._len(out, f, v, -1, elem=True)
                return
            b = val.encode() if f.base == "string" else bytes(val)
            self._len(out, f, v, len(b), elem=True)
            out += b

    # ---- decoding ----
    def decode(self, v, data, offset=0):
        """(value, offset after it)."""
        r = _Reader(data, offset)
        val = self._rstruct(r, self.m.root, v)
        return val, r.o

    def _rstruct(self, r, s, v):
        d = {}
        tagged = {}
        for f in s.fields:
            if not self.present(f, v):
                continue
            if self.tagged(f, v):
                tagged[f.tag] = f
                d[f.name] = self.default(f, v)
                continue
            d[f.name] = self._rvalue(r, f, v)
        if self.flexible(v):
            for _ in range(r.uvarint()):
                t = r.uvarint()
                raw = r.raw(r.uvarint())
                if t in tagged:
                    sub = _Reader(raw)
                    d[tagged[t].name] = self._rvalue(sub, tagged[t], v)
                    if sub.o != len(raw):
                        raise CodecError("%s: tag %d: %d bytes left" % (self.name, t, len(raw) - sub.o))
                else:
                    d.setdefault("_tags", {})[t] = raw.hex()
        return d

    def _rlen(self, r, f, v, elem=False):
        if self.compact(f, v):
            return r.uvarint() - 1
        if (f.is_array and not elem) or f.base in ("bytes", "records"):
            return r.fixed(">i")
        return r.fixed(">h")

    def _rvalue(self, r, f, v):
        if f.is_array:
            n = self._rlen(r, f, v)
            if n < 0:
                return None
            if n > len(r.b) - r.o:
                raise CodecError("%s.%s: %d entries in %d bytes" % (self.name, f.name, n, len(r.b) - r.o))
            return [self._rone(r, f, v) for _ in range(n)]
        return self._rone(r, f, v)

    def _rone(self, r, f, v):
        if f.struct is not None:
            return self._rstruct(r, f.struct, v)
        if f.base in FIXED:
            return r.fixed(FIXED[f.base])
        if f.base == "uuid":
            return r.raw(16).hex()
        b = r.raw(self._rlen(r, f, v, elem=True))
        if b is None:
            return None
        return b.decode() if f.base == "string" else b


class _Reader:
    def __init__(self, b, o=0):
        self.b = b
        self.o = o

    def fixed(self, fmt):
        n = struct.calcsize(fmt)
        if self.o + n > len(self.b):
            raise CodecError("truncated at %d" % self.o)
        v = struct.unpack_from(fmt, self.b, self.o)[0]
        self.o += n
        return v

    def uvarint(self):
        shift = v = 0
        while True:
            if self.o >= len(self.b) or shift > 28:
                raise CodecError("bad varint at %d" % self.o)
            c = self.b[self.o]
            self.o += 1
            v |= (c & 0x7F) << shift
            if not c & 0x80:
                return v
            shift += 7

    def raw(self, n):
        if n < 0:
            return None
        if self.o + n > len(self.b):
            raise CodecError("truncated: %d bytes wanted at %d of %d" % (n, self.o, len(self.b)))
        v = self.b[self.o:self.o + n]
        self.o += n
        return v


def uvarint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _load():
    req, resp, names = {}, {}, {}
    for path in sorted(glob.glob(os.path.join(SRC, "src", "protocol", "specs", "*.spec"))):
        for m in gen.parse_spec(path):
            if m.kind == "request":
                req[m.key] = Message(m)
                names[m.key] = m.kname[:-len("Request")]
            elif m.kind == "response":
                resp[m.key] = Message(m)
    return req, resp, names


REQUESTS, RESPONSES, NAMES = _load()


def encode_request(key, v, corr, value, client_id="oracle"):
    """A whole request frame (without the length prefix)."""
    m = REQUESTS[key]
    cid = client_id.encode()
    hdr = struct.pack(">hhi", key, v, corr) + struct.pack(">h", len(cid)) + cid
    if m.flexible(v):
        hdr += b"\0"
    return hdr + m.encode(v, value)


def response_header_flexible(key, v):
    return key != API_VERSIONS_KEY and RESPONSES[key].flexible(v)


def decode_response(key, v, frame):
    """(correlation id, body dict) of a response frame (without its length
    prefix); raises CodecError when it does not decode exactly."""
    r = _Reader(frame)
    corr = r.fixed(">i")
    if response_header_flexible(key, v):
        for _ in range(r.uvarint()):
            r.uvarint()
            r.raw(r.uvarint())
    val, end = RESPONSES[key].decode(v, frame, r.o)
    if end != len(frame):
        raise CodecError("%s v%d: %d bytes left after decoding" % (NAMES[key], v, len(frame) - end))
    return corr, val


class Conn:
    """One connection to a broker at 127.0.0.1:port, requests one at a time;
    `who` names it in errors."""

    def __init__(self, port, who="broker", timeout=20):
        self.port = port
        self.who = who
        self.timeout = timeout
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.corr = 0

    def close(self):
        self.s.close()

    def reconnect(self):
        self.s.close()
        self.s = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)

    def _recv(self, n):
        chunks = []
        while n > 0:
            b = self.s.recv(n)
            if not b:
                raise EOFError("%s closed the connection" % self.who)
            chunks.append(b)
            n -= len(b)
        return b"".join(chunks)

    def call(self, key, ver, value, header_ver=None):
        """Sends a request; returns the decoded response body. header_ver
        overrides the version the header names (the body is still encoded
        at ver), for a version the broker does not support."""
        self.corr += 1
        frame = encode_request(key, ver, self.corr, value)
        if header_ver is not None:
            frame = frame[:2] + struct.pack(">h", header_ver) + frame[4:]
        self.s.sendall(struct.pack(">i", len(frame)) + frame)
        data = self._recv(struct.unpack(">i", self._recv(4))[0])
        if header_ver is not None:
            ver = 0
        corr, body = decode_response(key, ver, data)
        if corr != self.corr:
            raise CodecError("%s: wrong correlation id %d (sent %d)" % (self.who, corr, self.corr))
        return body
