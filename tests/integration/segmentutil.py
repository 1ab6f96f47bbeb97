"""Reading a partition's segment files from a test: the zigzag varint of
record batch v2 and the records of an uncompressed .log file."""
import struct

from harness import check


def varint(buf, pos):
    """Zigzag varint as in record batch v2; returns (value, new position)."""
    shift = raw = 0
    while True:
        b = buf[pos]
        pos += 1
        raw |= (b & 0x7F) << shift
        if not b & 0x80:
            break
        shift += 7
    return (raw >> 1) ^ -(raw & 1), pos


def segment_records(path):
    """(key, value, offset) of every record in an uncompressed .log file,
    up to its end or to the zero tail of a preallocated segment."""
    with open(path, "rb") as f:
        data = f.read()
    out, pos = [], 0
    while pos + 61 <= len(data):
        base, length = struct.unpack_from(">qi", data, pos)
        if length <= 0:
            break
        attrs = struct.unpack_from(">h", data, pos + 21)[0]
        count = struct.unpack_from(">i", data, pos + 57)[0]
        check(attrs & 7 == 0, "%s: unexpected compressed batch" % path)
        rp = pos + 61
        for _ in range(count):
            _, rp = varint(data, rp)           # record length
            rp += 1                            # attributes
            _, rp = varint(data, rp)           # timestamp delta
            delta, rp = varint(data, rp)
            klen, rp = varint(data, rp)
            key = data[rp:rp + klen] if klen >= 0 else None
            rp += max(klen, 0)
            vlen, rp = varint(data, rp)
            value = data[rp:rp + vlen] if vlen >= 0 else None
            rp += max(vlen, 0)
            nh, rp = varint(data, rp)
            check(nh == 0, "%s: unexpected record headers" % path)
            out.append((key, value, base + delta))
        pos += 12 + length
    return out
