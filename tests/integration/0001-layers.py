#!/usr/bin/python3
"""The source tree keeps its layers: every #include in src/, zk/ and tools/ names a header of the including folder or of a folder src/LAYERS lets it use, apart from the known crossings listed there (each of which must still occur). Self-check: a copy of the tree with one forbidden include added, and one with a listed crossing removed, both fail."""
import os
import re
import shutil
import sys
import tempfile

TOP = os.environ.get("SM_TOP_SRCDIR") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROOTS = ("src", "zk", "tools")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def folder_of(top, path):
    rel = os.path.relpath(path, top)
    parts = rel.split(os.sep)
    if parts[0] != "src":
        return parts[0]
    return "/".join(parts[1:-1])


def load_rules(top):
    allowed, allow = {}, set()
    for line in open(os.path.join(top, "src", "LAYERS")):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("allow "):
            _, f, h = line.split()
            allow.add((f, h))
        else:
            name, _, deps = line.partition(":")
            allowed[name.strip()] = set(deps.split()) | {name.strip()}
    return allowed, allow


def check(top):
    """Returns the list of problems found in the tree at top."""
    allowed, allow = load_rules(top)
    problems, headers, sources = [], {}, []
    for root in ROOTS:
        for d, _, files in os.walk(os.path.join(top, root)):
            if "/gen" in d.replace(os.sep, "/"):
                continue
            for f in files:
                if f.endswith((".c", ".h")):
                    p = os.path.join(d, f)
                    sources.append(p)
                    if f.endswith(".h"):
                        headers.setdefault(f, folder_of(top, p))
    folders = {folder_of(top, p) for p in sources}
    for f in sorted(folders):
        if f not in allowed:
            problems.append("folder %s is not in src/LAYERS" % f)
        elif f not in ROOTS and not os.path.exists(os.path.join(top, "src", f, "README.md")):
            problems.append("src/%s has no README.md" % f)
    seen = set()
    for p in sorted(sources):
        rel = os.path.relpath(p, top)
        me = folder_of(top, p)
        for inc in INCLUDE.findall(open(p, errors="replace").read()):
            h = os.path.basename(inc)
            if h in headers:
                there = headers[h]
            elif h.startswith("msg_") or h == "proto_gen.h":
                there = "protocol"  # generated codecs, in the build tree
            elif h == "config.h":
                continue
            else:
                problems.append("%s includes %s, which is nowhere in the tree" % (rel, inc))
                continue
            if there in allowed.get(me, ()):
                continue
            if (rel, h) in allow:
                seen.add((rel, h))
                continue
            problems.append("%s (%s) includes %s (%s): not allowed by src/LAYERS" % (rel, me, h, there))
    for f, h in sorted(allow - seen):
        problems.append("src/LAYERS allows %s -> %s, which no longer occurs: remove the entry" % (f, h))
    return problems


def copy_tree(dst):
    for r in ROOTS:
        shutil.copytree(os.path.join(TOP, r), os.path.join(dst, r),
                        ignore=shutil.ignore_patterns("*.o", "*.a", "gen"))


def self_check():
    """The checker must see a forbidden include and a stale exception."""
    with tempfile.TemporaryDirectory() as tmp:
        copy_tree(tmp)
        with open(os.path.join(tmp, "src", "log", "log.c"), "a") as f:
            f.write('\n#include "kafka_apis.h"\n')
        got = check(tmp)
        want = [p for p in got if p.startswith("src/log/log.c (log) includes kafka_apis.h (server)")]
        if len(want) != 1 or len(got) != 1:
            return "a forbidden include (log -> server) was reported as %r" % got
    with tempfile.TemporaryDirectory() as tmp:
        copy_tree(tmp)
        _, allow = load_rules(tmp)
        if allow:
            f, h = sorted(allow)[0]
            path = os.path.join(tmp, f)
            text = open(path).read()
            open(path, "w").write(re.sub(r'#\s*include\s+"%s"' % re.escape(h), "", text))
        else:
            # no crossing is left: list one that does not occur
            f, h = "src/log/log.c", "kafka_apis.h"
            with open(os.path.join(tmp, "src", "LAYERS"), "a") as lf:
                lf.write("allow %s %s\n" % (f, h))
        got = [p for p in check(tmp) if "no longer occurs" in p]
        if len(got) != 1:
            return "a stale exception (%s -> %s) was reported as %r" % (f, h, got)
    return None


def main():
    problems = check(TOP)
    for p in problems:
        print("LAYER: " + p)
    err = self_check()
    if err:
        print("SELF-CHECK: " + err)
    if problems or err:
        return 1
    print("layers: %d folders, every include within src/LAYERS; self-check caught a forbidden include and a stale exception" % len(load_rules(TOP)[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
