#!/usr/bin/python3
"""Proves `make install DESTDIR=$tmp prefix=/usr sysconfdir=/etc` lays out Samsa as packagers expect (programs and bin/*.sh scripts in /usr/bin, default configs in /etc/samsa, docs in /usr/share/doc/samsa, systemd units in /usr/lib/systemd/system with the installed paths), that the installed scripts run the installed programs without a build directory (kafka-topics.sh --version, kafka-run-class.sh), and that the units pass `systemd-analyze verify` when systemd-analyze is present."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log  # noqa: E402

EXPECTED = [
    "usr/bin/samsa-server", "usr/bin/kafka-topics", "usr/bin/kafka-topics.sh",
    "usr/bin/samsa-env.sh", "usr/bin/kafka-server-start.sh", "usr/bin/kafka-run-class.sh",
    "usr/bin/kafka-broker-api-versions.sh", "usr/bin/kafka-get-offsets.sh",
    "usr/bin/kafka-console-producer", "usr/bin/kafka-dump-log",
    "etc/samsa/server.properties", "etc/samsa/zookeeper.properties",
    "usr/share/doc/samsa/README.md", "usr/share/doc/samsa/operations.md",
    "usr/lib/systemd/system/samsa.service", "usr/lib/systemd/system/samsa-zookeeper.service",
]


def main():
    tmp = tempfile.mkdtemp(prefix="samsa-it-install-")
    try:
        dest = os.path.join(tmp, "root")
        p = subprocess.run(["make", "-s", "-C", harness.BUILD, "install", "DESTDIR=" + dest,
                            "prefix=/usr", "sysconfdir=/etc"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
        log(p.stdout.decode(errors="replace")[-2000:])
        check(p.returncode == 0, "make install failed")
        for rel in EXPECTED:
            check(os.path.isfile(os.path.join(dest, rel)), "%s not installed" % rel)
        for rel in ("usr/bin/samsa-server", "usr/bin/kafka-topics.sh"):
            check(os.access(os.path.join(dest, rel), os.X_OK), "%s not executable" % rel)

        unit = open(os.path.join(dest, "usr/lib/systemd/system/samsa.service")).read()
        check("ExecStart=/usr/bin/samsa-server /etc/samsa/server.properties" in unit,
              "samsa.service ExecStart does not name the installed paths:\n" + unit)
        check("Type=notify" in unit, "samsa.service is not Type=notify")
        check("@" not in unit.replace("@.", ""), "unsubstituted placeholder in samsa.service")
        env_sh = open(os.path.join(dest, "usr/bin/samsa-env.sh")).read()
        check("SAMSA_INSTALLED=yes" in env_sh and "SAMSA_INSTALLED_CONFDIR=/etc/samsa" in env_sh,
              "installed samsa-env.sh does not know the layout")

        # The installed scripts on their own: no build directory, cwd elsewhere.
        env = {k: v for k, v in os.environ.items() if k != "SAMSA_BUILD_DIR"}
        env["LOG_DIR"] = os.path.join(tmp, "logs")
        bindir = os.path.join(dest, "usr/bin")
        p = subprocess.run([os.path.join(bindir, "kafka-topics.sh"), "--version"], cwd=tmp, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        out = p.stdout.decode(errors="replace")
        log("kafka-topics.sh --version: rc %d %r %r" % (p.returncode, out, p.stderr))
        check(p.returncode == 0 and out.strip(), "installed kafka-topics.sh --version failed")
        p = subprocess.run([os.path.join(bindir, "kafka-run-class.sh"), "kafka.admin.TopicCommand",
                            "--version"], cwd=tmp, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        check(p.returncode == 0 and p.stdout.decode().strip() == out.strip(),
              "installed kafka-run-class.sh kafka.admin.TopicCommand --version: rc %d %r %r"
              % (p.returncode, p.stdout, p.stderr))
        p = subprocess.run([os.path.join(bindir, "samsa-server"), "--version"], env=env,
                           stdout=subprocess.PIPE, timeout=60)
        check(p.returncode == 0 and p.stdout.startswith(b"samsa "), "samsa-server --version")

        sa = shutil.which("systemd-analyze")
        if not sa:
            log("SKIP systemd-analyze verify: systemd-analyze not installed (Debian package systemd)")
        else:
            # verify checks that ExecStart programs exist: check copies
            # naming the staged programs (a staging --root would lack the
            # system's own units).
            units = []
            for u in ("samsa.service", "samsa-zookeeper.service"):
                body = open(os.path.join(dest, "usr/lib/systemd/system", u)).read()
                path = os.path.join(tmp, u)
                with open(path, "w") as f:
                    f.write(body.replace("=/usr/bin/", "=" + bindir + "/")
                            .replace(" /etc/samsa/", " " + dest + "/etc/samsa/"))
                units.append(path)
            p = subprocess.run([sa, "verify"] + units, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
            text = p.stdout.decode(errors="replace")
            log("systemd-analyze verify: rc %d\n%s" % (p.returncode, text))
            check(p.returncode == 0, "systemd-analyze verify failed:\n" + text)
        print("PASS: 0810-make_install")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except harness.TestFailure as e:
        print("FAIL: 0810-make_install: %s" % e)
        sys.exit(1)
