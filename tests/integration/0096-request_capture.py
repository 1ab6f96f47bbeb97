#!/usr/bin/python3
"""SM_REQUEST_CAPTURE_DIR (fuzz seed capture): a broker started with it writes
the first frame of each API/version/client and its answer in the formats of
the fuzz harnesses, and those frames replay cleanly through fuzz_request and
fuzz_response."""
import glob
import os
import shutil
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, log  # noqa: E402

CAPTURE = tempfile.mkdtemp(prefix="sm-capture-test-")
os.environ["SM_REQUEST_CAPTURE_DIR"] = CAPTURE


def test(c):
    c.kcat("-L")
    c.kcat("-P", "-t", "captured", "-K:", input=b"k:v\n")
    check("SM_REQUEST_CAPTURE_DIR is set" in c.brokers[0].log_text(),
          "no startup warning about SM_REQUEST_CAPTURE_DIR in server.log")
    names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(CAPTURE, "*")))
    log("captured: %s" % " ".join(names))
    for want in ("req-18-v03-rdkafka", "resp-18-v03-rdkafka", "req-03-", "req-00-"):
        check(any(n.startswith(want) for n in names), "no captured %s* file" % want)
    # Requests: the frame as received, header first (api key, version).
    for n in names:
        with open(os.path.join(CAPTURE, n), "rb") as f:
            data = f.read()
        key, ver = struct.unpack(">hh", data[:4])
        check((key, ver) == (int(n[4:6] if n.startswith("req") else n[5:7]),
                             int(n.split("-v")[1][:2])),
              "%s starts with api key %d version %d" % (n, key, ver))
    # One file per name: a second ApiVersions did not grow the directory.
    before = len(names)
    c.kcat("-L")
    after = len(glob.glob(os.path.join(CAPTURE, "*")))
    check(after == before, "a repeated request was captured again (%d -> %d files)"
          % (before, after))
    for kind, prog in (("req", "fuzz_request"), ("resp", "fuzz_response")):
        files = sorted(glob.glob(os.path.join(CAPTURE, kind + "-*")))
        p = harness.run([os.path.join(harness.BUILD, "tests", "fuzz", prog)] + files,
                        timeout=120, what=prog)
        check(p.returncode == 0, "%s failed on captured frames" % prog)


if __name__ == "__main__":
    try:
        harness.main(test, brokers=1)
    finally:
        shutil.rmtree(CAPTURE, ignore_errors=True)
