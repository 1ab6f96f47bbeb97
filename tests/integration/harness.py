"""Integration-test harness: real ZooKeeper, real Samsa brokers, real clients.

Every test is a standalone script run with Debian's /usr/bin/python3. It does

    import harness
    def test(c):                   # c is a running Cluster
        ...
    harness.main(test, brokers=1)

and the harness finds free loopback ports, writes zoo.cfg and one
server.properties per broker into a fresh temp directory, starts ZooKeeper
and the brokers, waits for them by polling (never fixed sleeps), and on any
way out stops exactly the processes it started (SIGTERM, then SIGKILL after
a timeout). On failure it prints the tails of every server.log and of the
ZooKeeper log and keeps the temp directory for inspection.

Environment: SM_TOP_SRCDIR and SM_TOP_BUILDDIR (set by tests/run-tests.sh;
default: the repository root) locate bin/ scripts and built binaries;
SM_KEEP_TMP=1 keeps the temp directory even on success.
"""

import atexit
import ctypes
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.environ.get("SM_TOP_SRCDIR") or os.path.join(HERE, "..", ".."))
BUILD = os.path.abspath(os.environ.get("SM_TOP_BUILDDIR") or SRC)
BIN = os.path.join(SRC, "bin")
KCAT = shutil.which("kcat") or "/usr/bin/kcat"

ZK_MAIN = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
ZK_CLASSPATH = ["/etc/zookeeper/conf", "/usr/share/java/zookeeper.jar"]
# Debian's zookeeper.jar has no logging backend; these give it a real log.
ZK_LOG_JARS = ["/usr/share/java/slf4j-log4j12.jar", "/usr/share/java/log4j-1.2.jar"]

START_TIMEOUT = float(os.environ.get("SM_START_TIMEOUT", "60"))
# What a sanitizer or a thread/lock assert writes to a broker's stderr. Any
# of them fails the test, even if the broker carried on (TSan reports and
# exits only at the end unless halt_on_error is set).
SANITIZER_MARKERS = ("WARNING: ThreadSanitizer", "ERROR: AddressSanitizer",
                     "ERROR: LeakSanitizer", "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer",
                     "samsa: thread rule violated", "samsa: lock rule violated")
STOP_TIMEOUT = 30.0


class TestFailure(Exception):
    """A check failed; the message says which and why."""


def fail(msg):
    raise TestFailure(msg)


def check(cond, msg):
    if not cond:
        fail(msg)


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def wait_until(pred, timeout, what, interval=0.05):
    """Polls pred() until it returns a true value, which is returned; fails
    with a message naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            fail("timed out after %.0fs waiting for %s" % (timeout, what))
        time.sleep(interval)
        interval = min(interval * 1.5, 0.5)


_handed_ports = set()


def free_port():
    """A loopback port nobody listens on right now, and not one this process
    was handed before (the kernel may give a just-released ephemeral port
    again, and two listeners of one broker asked for together would then
    share it)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_ports:
            break
    _handed_ports.add(port)
    return port


def port_is_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def four_letter(port, cmd, timeout=2.0):
    """Sends a ZooKeeper four-letter command; returns the answer or ''."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(cmd.encode())
            chunks = []
            while True:
                b = s.recv(4096)
                if not b:
                    break
                chunks.append(b)
            return b"".join(chunks).decode(errors="replace")
    except OSError:
        return ""


def tail(path, lines=60):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return "(cannot read %s: %s)" % (path, e)
    text = data.decode(errors="replace").splitlines()
    return "\n".join(text[-lines:])


_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    # PR_SET_DEATHSIG: if the harness itself is SIGKILLed, its children do
    # not outlive it. Survives exec, so it also covers exec'ing scripts.
    _libc.prctl(1, signal.SIGKILL)


def run(cmd, timeout=60, input=None, check_rc=True, env=None, what=None):
    """Runs a command, captures stdout/stderr (bytes), enforces a timeout.
    Fails (with the output) on timeout, or on a non-zero status when
    check_rc."""
    what = what or " ".join(str(c) for c in cmd[:4])
    full_env = dict(os.environ)
    full_env["SAMSA_BUILD_DIR"] = BUILD
    if env:
        full_env.update(env)
    if isinstance(input, str):
        input = input.encode()
    try:
        p = subprocess.run([str(c) for c in cmd], input=input, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout, env=full_env,
                           stdin=None if input is not None else subprocess.DEVNULL,
                           preexec_fn=_die_with_parent)
    except subprocess.TimeoutExpired as e:
        fail("%s: timed out after %ss\nstdout tail: %r\nstderr tail: %r"
             % (what, timeout, (e.stdout or b"")[-2000:], (e.stderr or b"")[-2000:]))
    if check_rc and p.returncode != 0:
        fail("%s: exit status %d\nstdout: %s\nstderr: %s"
             % (what, p.returncode, p.stdout[-3000:].decode(errors="replace"),
                p.stderr[-3000:].decode(errors="replace")))
    return p


def _stop_process(proc, name, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
    """Signals one process we started and reaps it; SIGKILL if it lingers.
    Returns its exit status."""
    if proc.poll() is not None:
        return proc.returncode
    try:
        os.kill(proc.pid, signal.SIGCONT)   # a stopped process cannot exit
        os.kill(proc.pid, sig)
    except ProcessLookupError:
        pass
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log("%s (pid %d) did not exit %.0fs after signal %d; killing it"
            % (name, proc.pid, timeout, sig))
        proc.kill()
        return proc.wait()


class ZooKeeper:
    """One ZooKeeper server in its own directory: standalone, or (myid set)
    member `myid` of an ensemble whose write_config() names all members."""

    def __init__(self, root, myid=None):
        self.myid = myid
        self.dir = os.path.join(root, "zookeeper" if myid is None else "zookeeper-%d" % myid)
        self.data = os.path.join(self.dir, "data")
        os.makedirs(self.data)
        self.port = free_port()
        self.quorum_ports = (free_port(), free_port())
        self.cfg = os.path.join(self.dir, "zoo.cfg")
        self.out = os.path.join(self.dir, "zookeeper.out")
        self.proc = None
        self.write_config([])

    def write_config(self, members):
        """members: every ZooKeeper of the ensemble (empty: standalone)."""
        with open(self.cfg, "w") as f:
            f.write("tickTime=2000\ninitLimit=5\nsyncLimit=2\n"
                    "dataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n"
                    "maxClientCnxns=0\nadmin.enableServer=false\n"
                    "4lw.commands.whitelist=*\n" % (self.data, self.port))
            for m in members:
                f.write("server.%d=127.0.0.1:%d:%d\n" % ((m.myid,) + m.quorum_ports))
        if members:
            with open(os.path.join(self.data, "myid"), "w") as f:
                f.write("%d\n" % self.myid)

    @property
    def connect(self):
        return "127.0.0.1:%d" % self.port

    def start(self, wait=True):
        cp = ZK_CLASSPATH + [j for j in ZK_LOG_JARS if os.path.exists(j)]
        cmd = ["java", "-Xmx256M", "-Dzookeeper.log.dir=" + self.dir,
               "-Dzookeeper.root.logger=INFO,CONSOLE",
               "-Dzookeeper.admin.enableServer=false",
               "-cp", ":".join(cp), ZK_MAIN, self.cfg]
        with open(self.out, "ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.dir,
                                         preexec_fn=_die_with_parent)
        log("zookeeper pid %d on port %d" % (self.proc.pid, self.port))
        if wait:
            self.wait_serving()

    def wait_serving(self):
        def serving():
            if self.proc.poll() is not None:
                fail("ZooKeeper exited with status %s during startup; log tail:\n%s"
                     % (self.proc.returncode, tail(self.out)))
            return four_letter(self.port, "srvr").startswith("Zookeeper version")
        wait_until(serving, START_TIMEOUT, "ZooKeeper on port %d to serve" % self.port)

    def kill9(self):
        if self.proc is not None:
            _stop_process(self.proc, "zookeeper", sig=signal.SIGKILL)
            self.proc = None

    def stop(self):
        if self.proc is not None:
            rc = _stop_process(self.proc, "zookeeper")
            self.proc = None
            return rc
        return None


class Broker:
    """One Samsa broker: its properties file, log dir and process."""

    def __init__(self, cluster, broker_id, overrides, tag=None):
        self.cluster = cluster
        self.id = broker_id
        self.dir = os.path.join(cluster.root, "broker-%d%s" % (broker_id, "-" + tag if tag else ""))
        self.log_dir = os.path.join(self.dir, "logs")        # log4j output
        self.data_dir = os.path.join(self.dir, "data")       # log.dirs
        os.makedirs(self.log_dir, exist_ok=True)
        os.makedirs(self.data_dir, exist_ok=True)
        self.port = free_port()
        self.props_path = os.path.join(self.dir, "server.properties")
        self.out_path = os.path.join(self.dir, "broker.out")
        self.proc = None
        self._killed = False
        self.props = {
            "broker.id": str(broker_id),
            "listeners": "PLAINTEXT://127.0.0.1:%d" % self.port,
            "log.dirs": self.data_dir,
            "zookeeper.connect": cluster.zk_connect,
            "zookeeper.connection.timeout.ms": "18000",
            "num.partitions": "1",
            "auto.create.topics.enable": "true",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            # Controlled shutdown retries while partitions cannot move (the
            # last brokers of a cluster); Kafka's 5 s back-off would slow
            # every multi-broker teardown.
            "controlled.shutdown.retry.backoff.ms": "300",
        }
        self.props.update({k: str(v) for k, v in (overrides or {}).items()})
        self.write_props()

    @property
    def server_log(self):
        return os.path.join(self.log_dir, "server.log")

    @property
    def bootstrap(self):
        return "127.0.0.1:%d" % self.port

    def write_props(self):
        with open(self.props_path, "w") as f:
            for k, v in self.props.items():
                f.write("%s=%s\n" % (k, v))

    def _started_count(self):
        pat = "[KafkaServer id=%d] started" % self.id
        try:
            with open(self.server_log, errors="replace") as f:
                return f.read().count(pat)
        except OSError:
            return 0

    def spawn(self, extra_args=()):
        """Starts the process without waiting for readiness."""
        # One file per log unless a test asks for rolling: tests read
        # server.log and must not see it rolled at the top of an hour.
        env = dict(os.environ, SAMSA_BUILD_DIR=BUILD, LOG_DIR=self.log_dir,
                   KAFKA_LOG4J_OPTS=os.environ.get("KAFKA_LOG4J_OPTS", ""))
        cmd = [os.path.join(BIN, "kafka-server-start.sh"), self.props_path] + list(extra_args)
        with open(self.out_path, "ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.dir, env=env,
                                         preexec_fn=_die_with_parent)
        return self.proc

    def start(self, extra_args=()):
        """Starts the broker and waits for its '[KafkaServer id=N] started'
        line (a restart waits for a new one). After kill -9 it first waits
        for the dead process's ZooKeeper session to expire: until then its
        ephemeral /brokers/ids/N is still there and the broker, as Kafka's,
        refuses to start with that id."""
        if self._killed:
            self._wait_registration_gone()
            self._killed = False
        before = self._started_count()
        self.spawn(extra_args)
        log("broker %d pid %d on port %d" % (self.id, self.proc.pid, self.port))

        def ready():
            if self.proc.poll() is not None:
                fail("broker %d exited with status %s during startup; output tail:\n%s"
                     "\nserver.log tail:\n%s" % (self.id, self.proc.returncode,
                                                 tail(self.out_path), tail(self.server_log)))
            return self._started_count() > before
        wait_until(ready, START_TIMEOUT,
                   "'[KafkaServer id=%d] started' in %s" % (self.id, self.server_log))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=STOP_TIMEOUT):
        """Clean shutdown (SIGTERM); returns the exit status."""
        if self.proc is None:
            return None
        rc = _stop_process(self.proc, "broker %d" % self.id, timeout=timeout)
        self.proc = None
        return rc

    def kill9(self):
        if self.proc is None:
            return None
        rc = _stop_process(self.proc, "broker %d" % self.id, sig=signal.SIGKILL)
        self.proc = None
        self._killed = True
        return rc

    def _wait_registration_gone(self):
        path = "/brokers/ids/%d" % self.id
        try:
            zk = self.cluster.kazoo()
        except Exception as e:  # ZooKeeper itself may be down in the test
            log("not waiting for %s to expire: %s" % (path, e))
            return
        try:
            wait_until(lambda: zk.exists(path) is None, 60,
                       "the ZooKeeper session of the killed broker %d to expire" % self.id)
        finally:
            zk.stop()
            zk.close()

    def restart(self):
        rc = self.stop()
        check(rc == 0, "broker %d exited with status %s on SIGTERM (expected 0)" % (self.id, rc))
        self.start()

    def pause(self):
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self):
        os.kill(self.proc.pid, signal.SIGCONT)

    def log_text(self):
        try:
            with open(self.server_log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def threads(self, prefix):
        """How many of the broker's threads have a name starting with prefix."""
        n = 0
        for path in glob.glob("/proc/%d/task/*/comm" % self.proc.pid):
            try:
                with open(path) as f:
                    n += f.read().startswith(prefix)
            except OSError:
                pass                     # a thread that just left
        return n

    def scrape_metrics(self):
        """GET /metrics of the broker's metrics.listener (its port as the
        broker logged it): (text, {series: value})."""
        ports = re.findall(r"Serving Prometheus metrics on http://127\.0\.0\.1:(\d+)/metrics",
                           self.log_text())
        check(ports, "no metrics endpoint logged")
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % int(ports[-1]), timeout=30) as r:
            check(r.status == 200, "GET /metrics answered %d" % r.status)
            text = r.read().decode()
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                series, value = line.rsplit(" ", 1)
                out[series] = float(value)
        return text, out

    def sanitizer_reports(self):
        """Lines of broker.out (the process's stdout and stderr over all its
        runs) that start a sanitizer report or a thread/lock rule abort."""
        try:
            with open(self.out_path, errors="replace") as f:
                return [l.rstrip("\n") for l in f if any(m in l for m in SANITIZER_MARKERS)]
        except OSError:
            return []


class Cluster:
    """ZooKeeper plus N brokers in one temp directory. Use as a context
    manager; cleanup also runs from atexit and on SIGTERM/SIGINT."""

    def __init__(self, brokers=1, chroot="", broker_props=None, start=True, name=None,
                 zk_nodes=1):
        self.root = tempfile.mkdtemp(prefix="samsa-it-%s-" % (name or "test"))
        self.chroot = chroot
        if zk_nodes == 1:
            self.zks = [ZooKeeper(self.root)]
        else:
            self.zks = [ZooKeeper(self.root, myid=i + 1) for i in range(zk_nodes)]
            for z in self.zks:
                z.write_config(self.zks)
        self.zk = self.zks[0]
        self.brokers = []
        self._n = brokers
        self._props = broker_props or {}
        self._start = start
        self.failed = False
        self.sanitizer_failed = False
        self._closed = False
        self._kazoos = []
        atexit.register(self.close)

    @property
    def zk_connect(self):
        return ",".join(z.connect for z in self.zks) + self.chroot

    @property
    def bootstrap(self):
        return ",".join(b.bootstrap for b in self.brokers)

    def add_broker(self, broker_id=None, props=None, start=True, tag=None):
        """A new broker (own port, dirs); tag distinguishes directories of
        brokers sharing an id."""
        bid = broker_id if broker_id is not None else len(self.brokers)
        merged = dict(self._props)
        merged.update(props or {})
        b = Broker(self, bid, merged, tag=tag)
        self.brokers.append(b)
        if start:
            b.start()
        return b

    def __enter__(self):
        try:
            for z in self.zks:          # an ensemble serves once a quorum is up
                z.start(wait=False)
            for z in self.zks:
                z.wait_serving()
            if self._start:
                for _ in range(self._n):
                    self.add_broker()
        except BaseException:
            self.failed = True
            self.close()
            raise
        return self

    def __exit__(self, etype, e, tb):
        if etype is not None:
            self.failed = True
        self.close()
        return False

    def dump_logs(self):
        for b in self.brokers:
            print("---- broker %d server.log (tail) %s" % (b.id, b.server_log))
            print(tail(b.server_log, 80))
            print("---- broker %d console output (tail) %s" % (b.id, b.out_path))
            print(tail(b.out_path, 30))
        for z in self.zks:
            print("---- zookeeper (tail) %s" % z.out)
            print(tail(z.out, 40))
        sys.stdout.flush()

    def close(self):
        if self._closed:
            return
        self._closed = True
        if self.failed:
            self.dump_logs()
        for zk in self._kazoos:
            try:
                zk.stop()
                zk.close()
            except Exception:
                pass
        for b in reversed(self.brokers):
            b.stop(timeout=15)
        for z in self.zks:
            z.stop()
        reports = [(b, r) for b in self.brokers for r in b.sanitizer_reports()]
        if reports:
            for b, r in reports:
                print("FAIL: broker %d (%s): %s" % (b.id, b.out_path, r), flush=True)
            if not self.failed:
                self.failed = True
                self.dump_logs()
            self.sanitizer_failed = True
        if self.failed or os.environ.get("SM_KEEP_TMP") == "1":
            log("kept %s" % self.root)
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    # -- client helpers --

    def kazoo(self, chroot=True):
        """A connected kazoo client (stopped automatically at exit)."""
        from kazoo.client import KazooClient
        hosts = self.zk_connect if chroot else ",".join(z.connect for z in self.zks)
        zk = KazooClient(hosts=hosts, timeout=10)
        zk.start(timeout=15)
        self._kazoos.append(zk)
        return zk

    def topics(self, *args, timeout=60, check_rc=True):
        """bin/kafka-topics.sh with the given arguments."""
        return run([os.path.join(BIN, "kafka-topics.sh")] + list(args), timeout=timeout,
                   check_rc=check_rc, what="kafka-topics.sh " + " ".join(args))

    def create_topic(self, topic, partitions=1, rf=1, via="zookeeper", extra=()):
        conn = (["--zookeeper", self.zk_connect] if via == "zookeeper"
                else ["--bootstrap-server", self.bootstrap])
        p = self.topics(*(conn + ["--create", "--topic", topic, "--partitions", str(partitions),
                                  "--replication-factor", str(rf)] + list(extra)))
        check(("Created topic %s." % topic) in p.stdout.decode(),
              "kafka-topics --create said: %r" % p.stdout)
        self.wait_for_leaders(topic, partitions)

    def metadata(self, topic=None):
        cmd = [KCAT, "-b", self.bootstrap, "-L", "-J", "-m", "10"]
        if topic:
            cmd += ["-t", topic]
        p = run(cmd, timeout=30, check_rc=False, what="kcat -L")
        if p.returncode != 0:
            return None
        try:
            return json.loads(p.stdout)
        except ValueError:
            return None

    def wait_for_leaders(self, topic, partitions, timeout=30):
        """Waits until the brokers' metadata shows every partition with a
        leader."""
        def ok():
            md = self.metadata(topic)
            if not md:
                return False
            for t in md.get("topics", []):
                if t.get("topic") == topic and not t.get("err"):
                    parts = t.get("partitions", [])
                    return (len(parts) == partitions and
                            all(p.get("leader", -1) >= 0 and not p.get("err") for p in parts))
            return False
        wait_until(ok, timeout, "leaders for all %d partitions of %s" % (partitions, topic))

    def kcat(self, *args, timeout=120, input=None, check_rc=True):
        return run([KCAT, "-b", self.bootstrap] + list(args), timeout=timeout, input=input,
                   check_rc=check_rc, what="kcat " + " ".join(args[:6]))

    def read_partition(self, topic, partition, extra=(), timeout=120):
        """All records of one partition as (key, value, offset) byte tuples,
        read with kcat from the beginning to the end. Keys and values must
        not contain tabs or newlines (kcat's format has no binary-safe
        framing); the tests only produce printable text."""
        p = self.kcat("-C", "-t", topic, "-p", str(partition), "-o", "beginning", "-e", "-q",
                      "-f", "%k\\t%s\\t%o\\n", *extra, timeout=timeout)
        out = []
        for rec in p.stdout.split(b"\n"):
            if not rec:
                continue
            parts = rec.split(b"\t")
            check(len(parts) == 3, "unparsable kcat record %r" % rec[:200])
            out.append((parts[0], parts[1], int(parts[2])))
        return out


def _on_signal(signum, frame):
    raise SystemExit("killed by signal %d" % signum)


def main(test, brokers=1, chroot="", broker_props=None, name=None, zk_nodes=1):
    """Runs test(cluster) inside a fresh cluster and exits 0 on success,
    1 with the reason (and log tails) on failure. zk_nodes > 1 starts a
    ZooKeeper ensemble (c.zks; c.zk is its first member)."""
    signal.signal(signal.SIGTERM, _on_signal)
    name = name or os.path.basename(sys.argv[0]).split(".")[0]
    cluster = Cluster(brokers=brokers, chroot=chroot, broker_props=broker_props, name=name,
                      zk_nodes=zk_nodes)
    try:
        with cluster:
            test(cluster)
        if cluster.sanitizer_failed:
            fail("a broker reported a sanitizer error or broke a thread/lock rule (see above)")
    except TestFailure as e:
        print("FAIL: %s" % e, flush=True)
        sys.exit(1)
    except BaseException as e:           # noqa: B902 - also report SystemExit from signals
        if isinstance(e, SystemExit) and e.code in (0, None):
            raise
        traceback.print_exc()
        print("FAIL: %s: %s" % (type(e).__name__, e), flush=True)
        if not cluster._closed:
            cluster.failed = True
            cluster.close()
        sys.exit(1)
    print("PASS: %s" % name, flush=True)
    sys.exit(0)


def unique_lines(prefix, n, sep=":"):
    """n distinct printable key/value lines 'key<sep>value' with keys that
    repeat (so per-key order is checked) and values that never do."""
    return ["%sk%05d%s%sv%07d-%s" % (prefix, i % 997, sep, prefix, i, "x" * (i % 50))
            for i in range(n)]



def kafka_python_read_all(conf, topic, n):
    """The values of partition 0 of `topic` from the beginning, read with a
    kafka-python consumer (`conf`: its connection settings) until n records
    came, then checked to be all there is (the partition's end offset is
    the consumer's position), so no idle timeout ends the read."""
    from kafka import KafkaConsumer, TopicPartition
    cons = KafkaConsumer(consumer_timeout_ms=10000, **conf)
    tp = TopicPartition(topic, 0)
    cons.assign([tp])
    cons.seek_to_beginning(tp)
    got = []
    for m in cons:
        got.append(m.value)
        if len(got) == n:
            break
    end = cons.end_offsets([tp])[tp]
    pos = cons.position(tp)
    cons.close()
    check(end == pos, "kafka-python: %s-0 ends at %d, read up to %d" % (topic, end, pos))
    return got
