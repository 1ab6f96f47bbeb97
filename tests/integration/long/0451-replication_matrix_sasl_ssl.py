#!/usr/bin/python3
"""Proves the replication matrix of 0450 (matrix.py) with every listener SASL_SSL: 3 brokers each with one SASL_SSL listener (SCRAM-SHA-256, PEM keystore from tlsutil) and security.inter.broker.protocol=SASL_SSL, so the controller's requests and the followers' fetches authenticate as User:broker over TLS; the verifiable producer and consumer get the client settings through --producer.config / --consumer.config. Nothing acknowledged is lost and each partition keeps acknowledgement order. The full matrix takes about as long as 0450's (under 2 minutes each on a shared 2-core machine), so it runs whole under `make check-long` and in CI's SM_WITH_LONG=1 run alike."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import matrix  # noqa: E402
import saslutil as su  # noqa: E402
import tlsutil  # noqa: E402
from harness import check, log  # noqa: E402

MECH = "SCRAM-SHA-256"


def test(c):
    certs = tlsutil.make(os.path.join(c.root, "certs"))
    zk = c.kazoo()
    # Credentials exist before any broker starts, so no change
    # notification is needed.
    su.put_scram_user(zk, "broker", {MECH: "broker-secret"}, notify=False)
    su.put_scram_user(zk, "client", {MECH: "client-secret"}, notify=False)
    props = dict(matrix.PROPS)
    props.update(tlsutil.broker_pem_props(certs))
    props.update({"security.inter.broker.protocol": "SASL_SSL",
                  "sasl.enabled.mechanisms": MECH,
                  "sasl.mechanism.inter.broker.protocol": MECH,
                  "listener.name.sasl_ssl.%s.sasl.jaas.config" % MECH.lower():
                  su.jaas(su.SCRAM_MODULE, "broker", "broker-secret"),
                  "ssl.endpoint.identification.algorithm": "https"})
    for _ in range(3):
        b = c.add_broker(props=props, start=False)
        # The harness's port (b.bootstrap, c.bootstrap) is the only
        # listener, so every client and every broker-to-broker request
        # goes over it.
        b.props["listeners"] = "SASL_SSL://127.0.0.1:%d" % b.port
        b.write_props()
    for b in c.brokers:
        b.start()
    for b in c.brokers:
        reg = json.loads(zk.get("/brokers/ids/%d" % b.id)[0])
        check(reg["endpoints"] == ["SASL_SSL://127.0.0.1:%d" % b.port],
              "broker %d registered %s" % (b.id, reg["endpoints"]))
    client = {"security.protocol": "SASL_SSL",
              "sasl.mechanism": MECH,
              "sasl.jaas.config": su.jaas(su.SCRAM_MODULE, "client", "client-secret"),
              "ssl.truststore.type": "PEM",
              "ssl.truststore.location": certs["ca_crt"]}
    log("SASL_SSL replication matrix: all %d cases" % len(matrix.FULL))
    matrix.run_matrix(c, matrix.FULL, client)


if __name__ == "__main__":
    harness.main(test, brokers=0)
