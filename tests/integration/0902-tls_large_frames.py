#!/usr/bin/python3
"""Proves the TLS data path with frames far larger than a TLS record and than the broker's staging of a response: over an SSL listener confluent-kafka produces records from 1 byte to 900 KB (produce requests of several MB, each split across hundreds of 16 KB TLS records) to three partitions, then confluent-kafka (librdkafka, CRC checks on) and kafka-python (CRC checks on) read every partition back from offset 0 with a partition fetch size above the partition's size, so one fetch response carries several MB of log file bytes (many times the 64 KB chunks and the 256 KB a connection stages ahead of the socket, refilled as the socket drains); every value comes back byte for byte in order, the broker logs no closed connection and keeps serving. Over a raw TLS socket: 20 ApiVersions requests pipelined in one write, then 20 in a record each, are all answered in order (the requests after the first wait decrypted or read ahead inside the broker while it is muted, and are taken when it unmutes), a request sent one byte per TLS record is answered, and a size prefix over socket.request.max.bytes sent over TLS closes the connection with a WARN line naming the peer and the size while the broker keeps serving."""
import os
import random
import socket
import ssl
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import tlsutil  # noqa: E402
from harness import check, free_port, log, wait_until  # noqa: E402

TOPIC = "tls-large"
PARTITIONS = 3
# sizes around the TLS record (16 KB) and the staging chunk (64 KB) edges
SIZES = [100, 70000, 900000, 5, 250000, 16384, 16385, 1, 65536, 65535, 300001]
ROUNDS = 2
FETCH_BYTES = 16 * 1024 * 1024


def values(p):
    rnd = random.Random(1000 + p)
    return [rnd.randbytes(n) for _ in range(ROUNDS) for n in SIZES]


def confluent_conf(port, certs):
    return {"bootstrap.servers": "127.0.0.1:%d" % port, "security.protocol": "SSL",
            "ssl.ca.location": certs["ca_crt"]}


def produce(port, certs):
    from confluent_kafka import Producer
    prod = Producer(dict(confluent_conf(port, certs), acks="all", **{
        "linger.ms": 50, "message.max.bytes": 1000000, "batch.size": 1000000}))
    errors = []
    for p in range(PARTITIONS):
        for v in values(p):
            prod.produce(TOPIC, value=v, partition=p,
                         on_delivery=lambda e, m: errors.append(str(e)) if e else None)
            prod.poll(0)
    check(prod.flush(60) == 0, "confluent-kafka: flush left messages")
    check(not errors, "confluent-kafka delivery errors %s" % errors[:3])


def confluent_read(port, certs, n):
    from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
    cons = Consumer(dict(confluent_conf(port, certs), **{
        "group.id": "unused", "enable.auto.commit": False, "enable.partition.eof": True,
        "check.crcs": True, "fetch.max.bytes": 3 * FETCH_BYTES,
        "max.partition.fetch.bytes": FETCH_BYTES, "receive.message.max.bytes": 4 * FETCH_BYTES}))
    cons.assign([TopicPartition(TOPIC, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    got = {p: [] for p in range(PARTITIONS)}
    eof = set()
    while len(eof) < PARTITIONS or sum(len(v) for v in got.values()) < n:
        m = cons.poll(30)
        check(m is not None, "confluent-kafka consumer got nothing for 30 s")
        if m.error():
            check(m.error().code() == -191, "confluent-kafka: %s" % m.error())  # _PARTITION_EOF
            eof.add(m.partition())
            continue
        got[m.partition()].append(m.value())
    cons.close()
    return got


def kafka_python_read(port, certs, n):
    from kafka import KafkaConsumer, TopicPartition
    cons = KafkaConsumer(bootstrap_servers="127.0.0.1:%d" % port, security_protocol="SSL",
                         ssl_cafile=certs["ca_crt"], api_version=(2, 5, 0), check_crcs=True,
                         max_partition_fetch_bytes=FETCH_BYTES, fetch_max_bytes=3 * FETCH_BYTES,
                         receive_buffer_bytes=1 << 20, consumer_timeout_ms=30000)
    tps = [TopicPartition(TOPIC, p) for p in range(PARTITIONS)]
    cons.assign(tps)
    cons.seek_to_beginning(*tps)
    got = {p: [] for p in range(PARTITIONS)}
    count = 0
    for m in cons:
        got[m.partition].append(m.value)
        count += 1
        if count == n:
            break
    cons.close()
    return got


def api_versions(corr):
    """An ApiVersions v0 request frame (size prefix included)."""
    client = b"tls-raw"
    body = struct.pack(">hhih", 18, 0, corr, len(client)) + client
    return struct.pack(">i", len(body)) + body


def tls_socket(port, certs):
    ctx = ssl.create_default_context(cafile=certs["ca_crt"])
    ctx.check_hostname = False
    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    return ctx.wrap_socket(raw)


def read_exact(sock, n):
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        check(chunk, "the broker closed the TLS connection after %d of %d bytes" % (len(out), n))
        out += chunk
    return out


def read_response(sock):
    size = struct.unpack(">i", read_exact(sock, 4))[0]
    body = read_exact(sock, size)
    return struct.unpack(">i", body[:4])[0], struct.unpack(">h", body[4:6])[0]


def raw_tls_checks(b, port, certs):
    s = tls_socket(port, certs)
    s.sendall(b"".join(api_versions(1000 + i) for i in range(20)))
    for i in range(20):
        corr, err = read_response(s)
        check(corr == 1000 + i and err == 0,
              "pipelined ApiVersions %d answered as correlation id %d error %d" % (i, corr, err))
    # one TLS record each, back to back: OpenSSL reads the later ones ahead
    for i in range(20):
        s.sendall(api_versions(2000 + i))
    for i in range(20):
        corr, err = read_response(s)
        check(corr == 2000 + i and err == 0,
              "ApiVersions %d (own record) answered as correlation id %d error %d" % (i, corr, err))
    # one byte per TLS record: the size prefix and the body in pieces
    for byte in api_versions(77):
        s.sendall(bytes([byte]))
    check(read_response(s) == (77, 0), "ApiVersions sent one byte per record answered")
    s.close()
    log("pipelined and byte-per-record requests over TLS answered")
    s = tls_socket(port, certs)
    s.sendall(struct.pack(">i", 0x7fffffff))
    try:
        got = s.recv(10)
    except (ConnectionError, ssl.SSLError):
        got = b""
    check(got == b"", "an oversized size prefix over TLS got %r instead of a close" % got)
    s.close()
    wait_until(lambda: "request size 2147483647 exceeds socket.request.max.bytes" in b.log_text(),
               20, "the oversized TLS frame's WARN line in server.log")
    s = tls_socket(port, certs)
    s.sendall(api_versions(5))
    check(read_response(s) == (5, 0), "the broker serves TLS after the oversized frame")
    s.close()


def main():
    with harness.Cluster(brokers=0, name="tls-large") as c:
        certs = tlsutil.make(os.path.join(c.root, "certs"))
        b = c.add_broker(props=tlsutil.broker_pem_props(certs), start=False)
        port = free_port()
        b.props["listeners"] = "PLAINTEXT://127.0.0.1:%d,SSL://127.0.0.1:%d" % (b.port, port)
        b.write_props()
        b.start()
        c.create_topic(TOPIC, partitions=PARTITIONS)
        want = {p: values(p) for p in range(PARTITIONS)}
        n = sum(len(v) for v in want.values())
        log("producing %d records (%d bytes) over SSL" % (
            n, sum(len(x) for v in want.values() for x in v)))
        produce(port, certs)
        for name, read in (("confluent-kafka", confluent_read), ("kafka-python", kafka_python_read)):
            got = read(port, certs, n)
            for p in range(PARTITIONS):
                check(len(got[p]) == len(want[p]), "%s: partition %d read back %d of %d records"
                      % (name, p, len(got[p]), len(want[p])))
                for i, (g, w) in enumerate(zip(got[p], want[p])):
                    check(g == w, "%s: partition %d record %d differs (%d bytes read, %d "
                          "written)" % (name, p, i, len(g), len(w)))
            log("%s read all %d records back intact" % (name, n))
        text = b.log_text()
        raw_tls_checks(b, port, certs)
        check("Closing connection from" not in text,
              "server.log has a closed connection: %s" % [
                  ln for ln in text.splitlines() if "Closing connection from" in ln][:3])
        check(b.proc.poll() is None, "the broker is still running")


if __name__ == "__main__":
    main()
