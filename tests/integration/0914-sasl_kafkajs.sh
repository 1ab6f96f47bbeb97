#!/bin/sh
# Proves kafkajs 2.2.4 over SASL: it produces and consumes (with a group) over SASL_PLAINTEXT with PLAIN and SCRAM-SHA-512 and over SASL_SSL with SCRAM-SHA-256 (SCRAM users in /config/users), and a wrong password fails with KafkaJSSASLAuthenticationError.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
jsdir="$here/../js"
if [ ! -d "$jsdir/node_modules/kafkajs" ]; then
	(cd "$jsdir" && npm ci --no-audit --no-fund)
fi
exec /usr/bin/python3 - "$jsdir" <<'PY'
import os, sys
sys.path.insert(0, os.environ.get("SM_IT_DIR") or os.path.join(sys.argv[1], "..", "integration"))
import harness
import saslutil as su
import tlsutil
from harness import check, free_port, run, log

JSDIR = os.path.abspath(sys.argv[1])

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
             su.jaas(su.PLAIN_MODULE, users={"alice": "alice-secret"}),
             "listener.name.sasl_ssl.sasl.enabled.mechanisms": "SCRAM-SHA-256"}
    props.update(tlsutil.broker_pem_props(certs))
    b = c.add_broker(props=props, start=False)
    b.props["listeners"] = "PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d," \
                           "SASL_SSL://127.0.0.1:%d" % (b.port, saslp, sslp)
    b.write_props()
    b.start()
    env = {"NODE_PATH": os.path.join(JSDIR, "node_modules"), "KAFKAJS_NO_PARTITIONER_WARNING": "1"}
    for mech, port, ca, topic in (("plain", saslp, None, "js-plain"),
                                  ("scram-sha-512", saslp, None, "js-scram512"),
                                  ("scram-sha-256", sslp, certs["ca_crt"], "js-scram256")):
        c.create_topic(topic)
        args = ["node", os.path.join(JSDIR, "sasl.js"), "127.0.0.1:%d" % port, mech, "alice",
                "alice-secret", topic, "200"] + ([ca] if ca else [])
        p = run(args, timeout=300, env=env, check_rc=False, what="node sasl.js " + mech)
        log((p.stdout + p.stderr).decode().strip())
        check(p.returncode == 0 and b"PASS:" in p.stdout, "kafkajs %s failed" % mech)

harness.main(test, brokers=0, name="0914-sasl_kafkajs")
PY
