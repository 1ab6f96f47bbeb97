#!/usr/bin/python3
"""Proves the SSL keystore reload of dynamic broker configs: kafka-configs.sh --entity-type brokers --entity-name 0 --alter --add-config listener.name.ssl.ssl.keystore.location=<new PEM keystore> makes the broker's SSL listener serve the new certificate to new connections without a restart (clients still produce and consume over SSL), DescribeConfigs shows the key as a writable DYNAMIC_BROKER_CONFIG, and Kafka's refusals hold: the default entity ("broker id must be specified"), a key without the listener prefix ("only per-listener"), a keystore that does not load; a keystore password is stored encoded with password.encoder.secret in Kafka's PasswordEncoder format (PBKDF2WithHmacSHA512, AES/CBC/PKCS5Padding) and described as sensitive; a restarted broker decodes it and serves the dynamic keystore from the start."""
import json
import os
import socket
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import tlsutil  # noqa: E402
from harness import BIN, KCAT, check, free_port, log, run, wait_until  # noqa: E402


def served_cert(port, certs):
    """The DER certificate the SSL listener presents to a new connection."""
    ctx = ssl.create_default_context(cafile=certs["ca_crt"])
    ctx.check_hostname = False
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        with ctx.wrap_socket(s) as t:
            return t.getpeercert(binary_form=True)


def der(path):
    with open(path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def configs(b, *args, check_rc=True):
    p = run([os.path.join(BIN, "kafka-configs.sh"), "--bootstrap-server", b.bootstrap,
             "--entity-type", "brokers"] + list(args), check_rc=check_rc,
            what="kafka-configs.sh " + " ".join(args))
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def kcat_ssl(port, certs, *args, input=None):
    cmd = [KCAT, "-b", "127.0.0.1:%d" % port, "-X", "security.protocol=SSL",
           "-X", "ssl.ca.location=" + certs["ca_crt"]] + list(args)
    return run(cmd, input=input, timeout=60, what="kcat over SSL")


def test(c):
    d = os.path.join(c.root, "certs")
    certs = tlsutil.make(d)
    # a second certificate for the same name, signed by the same CA
    tlsutil._leaf(d, "broker2", "/O=Samsa/OU=Brokers/CN=localhost", "IP:127.0.0.1,DNS:localhost")
    new_pem, new_crt = os.path.join(d, "broker2.pem"), os.path.join(d, "broker2.crt")
    sslp = free_port()
    props = {"listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SSL:SSL",
             "password.encoder.secret": "encoder-secret"}
    props.update(tlsutil.broker_pem_props(certs))
    b = c.add_broker(props=props, start=False)
    b.props["listeners"] = "PLAINTEXT://127.0.0.1:%d,SSL://127.0.0.1:%d" % (b.port, sslp)
    b.write_props()
    b.start()
    check(served_cert(sslp, certs) == der(certs["broker_crt"]), "the SSL listener serves another certificate")

    rc, out, err = configs(b, "--entity-default", "--alter", "--add-config",
                           "listener.name.ssl.ssl.keystore.location=" + new_pem, check_rc=False)
    check(rc == 1 and "Invalid config value for resource ConfigResource(type=BROKER, name=''): Cannot update "
          "these configs at default cluster level, broker id must be specified" in err,
          "default entity: rc %d %r" % (rc, err))
    rc, out, err = configs(b, "--entity-name", "0", "--alter", "--add-config",
                           "ssl.keystore.location=" + new_pem, check_rc=False)
    check(rc == 1 and "These security configs can be dynamically updated only per-listener using the "
          "listener prefix" in err, "no prefix: rc %d %r" % (rc, err))
    rc, out, err = configs(b, "--entity-name", "0", "--alter", "--add-config",
                           "listener.name.ssl.ssl.keystore.location=" + certs["ca_crt"], check_rc=False)
    check(rc == 1 and "InvalidRequestException" in err and "ssl.keystore" in err,
          "a keystore without a key: rc %d %r" % (rc, err))
    check(served_cert(sslp, certs) == der(certs["broker_crt"]), "a refused alter changed the certificate")
    log("keystore alters on the default entity, without the prefix and of a bad file are refused")

    rc, out, err = configs(b, "--entity-name", "0", "--alter", "--add-config",
                           "listener.name.ssl.ssl.keystore.location=" + new_pem)
    check(out == "Completed updating config for broker 0.\n", "alter said %r %r" % (out, err))
    wait_until(lambda: served_cert(sslp, certs) == der(new_crt), 30, "the SSL listener to serve the new certificate")
    kcat_ssl(sslp, certs, "-P", "-t", "ks", input=b"after-reload\n")
    got = kcat_ssl(sslp, certs, "-C", "-t", "ks", "-o", "beginning", "-e", "-q").stdout.decode().split()
    check(got == ["after-reload"], "consumed %r over SSL after the reload" % got)
    log("the SSL listener serves the new keystore without a restart; clients still work")

    rc, out, err = configs(b, "--entity-name", "0", "--describe")
    check(out == "Dynamic configs for broker 0 are:\n  listener.name.ssl.ssl.keystore.location=%s sensitive=false "
          "synonyms={DYNAMIC_BROKER_CONFIG:listener.name.ssl.ssl.keystore.location=%s}\n" % (new_pem, new_pem),
          "--describe printed %r" % out)

    # a PKCS12 keystore with another password: the password is a dynamic
    # password config, stored encoded with password.encoder.secret
    tlsutil._leaf(d, "broker3", "/O=Samsa/OU=Brokers/CN=localhost", "IP:127.0.0.1,DNS:localhost")
    p12 = os.path.join(d, "broker3-other.p12")
    tlsutil._ssl("pkcs12", "-export", "-in", "broker3.crt", "-inkey", "broker3.key", "-certfile", "ca.crt",
                 "-passout", "pass:other-pass", "-out", p12, cwd=d)
    b3_crt = os.path.join(d, "broker3.crt")
    rc, out, err = configs(b, "--entity-name", "0", "--alter", "--add-config",
                           "listener.name.ssl.ssl.keystore.type=PKCS12,listener.name.ssl.ssl.keystore.location=%s,"
                           "listener.name.ssl.ssl.keystore.password=other-pass" % p12)
    check(rc == 0, "PKCS12 alter: %r" % err)
    wait_until(lambda: served_cert(sslp, certs) == der(b3_crt), 30, "the SSL listener to serve the PKCS12 keystore")
    zk = c.kazoo()
    stored = json.loads(zk.get("/config/brokers/0")[0])["config"]["listener.name.ssl.ssl.keystore.password"]
    fields = dict(kv.split(":", 1) for kv in stored.split(","))
    check(set(fields) == {"keyFactoryAlgorithm", "cipherAlgorithm", "keyLength", "salt", "iterations",
                          "encryptedPassword", "passwordLength", "initializationVector"} and
          fields["keyFactoryAlgorithm"] == "PBKDF2WithHmacSHA512" and
          fields["cipherAlgorithm"] == "AES/CBC/PKCS5Padding" and fields["keyLength"] == "128" and
          fields["iterations"] == "4096" and fields["passwordLength"] == "10" and "other-pass" not in stored,
          "stored password is %r" % stored)
    rc, out, err = configs(b, "--entity-name", "0", "--describe")
    check("  listener.name.ssl.ssl.keystore.password=null sensitive=true " in out,
          "--describe shows the password as %r" % out)
    rc, out, err = configs(b, "--entity-name", "0", "--alter", "--add-config",
                           "listener.name.ssl.ssl.keystore.type=PEM", check_rc=False)
    check(rc == 1 and "All sensitive broker config entries must be specified for --alter, missing entries: "
          "Set(listener.name.ssl.ssl.keystore.password)" in err, "alter without the password: rc %d %r" % (rc, err))
    log("a keystore password is stored encoded as Kafka's PasswordEncoder does, and described as sensitive")

    b.restart()
    check(served_cert(sslp, certs) == der(b3_crt), "a restarted broker serves the old certificate")
    log("a restarted broker decodes its dynamic keystore password and serves that keystore")


if __name__ == "__main__":
    harness.main(test, brokers=0)
