"""Test certificates made with the openssl CLI: a CA, a broker certificate
(SAN IP:127.0.0.1 and DNS:localhost), a client certificate, each as PEM
(key + chain in one file, as Kafka's PEM keystore) and as PKCS12."""
import os
import subprocess

PASSWORD = "test-pass"


def _ssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _leaf(d, name, subj, san):
    ext = os.path.join(d, name + ".ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth,clientAuth\n")
        if san:
            f.write("subjectAltName=%s\n" % san)
    _ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
         "-subj", subj, cwd=d)
    _ssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key",
         "-CAcreateserial", "-days", "2", "-sha256", "-extfile", ext, "-out", name + ".crt", cwd=d)
    with open(os.path.join(d, name + ".pem"), "w") as out:
        for part in (name + ".key", name + ".crt", "ca.crt"):
            with open(os.path.join(d, part)) as f:
                out.write(f.read())
    _ssl("pkcs12", "-export", "-in", name + ".crt", "-inkey", name + ".key", "-certfile", "ca.crt",
         "-name", name, "-passout", "pass:" + PASSWORD, "-out", name + ".p12", cwd=d)


def make(d):
    """Writes the files under d; returns a dict of their paths."""
    os.makedirs(d, exist_ok=True)
    _ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
         "-days", "2", "-subj", "/CN=samsa-test-ca", cwd=d)
    _leaf(d, "broker", "/O=Samsa/OU=Brokers/CN=localhost", "IP:127.0.0.1,DNS:localhost")
    _leaf(d, "client", "/O=Samsa/OU=Clients/CN=client1", None)
    _leaf(d, "wronghost", "/CN=wronghost", "DNS:elsewhere.invalid")
    _ssl("pkcs12", "-export", "-nokeys", "-in", "ca.crt", "-passout", "pass:" + PASSWORD,
         "-out", "truststore.p12", cwd=d)
    p = {n: os.path.join(d, n) for n in os.listdir(d)}
    return {k.replace(".", "_"): v for k, v in p.items()}


def broker_pem_props(certs, prefix=""):
    return {prefix + "ssl.keystore.type": "PEM",
            prefix + "ssl.keystore.location": certs["broker_pem"],
            prefix + "ssl.truststore.type": "PEM",
            prefix + "ssl.truststore.location": certs["ca_crt"]}


def broker_p12_props(certs, prefix=""):
    return {prefix + "ssl.keystore.type": "PKCS12",
            prefix + "ssl.keystore.location": certs["broker_p12"],
            prefix + "ssl.keystore.password": PASSWORD,
            prefix + "ssl.truststore.type": "PKCS12",
            prefix + "ssl.truststore.location": certs["truststore_p12"],
            prefix + "ssl.truststore.password": PASSWORD}
