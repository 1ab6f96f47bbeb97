#!/usr/bin/env bash
# Installs what is missing, builds Samsa, and runs every test: the unit
# programs and the hostile-input tests under AddressSanitizer/UBSan, the unit
# programs and the threaded integration tests under ThreadSanitizer, every
# libFuzzer harness for a short bounded time, the unit programs under
# valgrind, then the unit and integration tests (real ZooKeeper and broker
# processes on free loopback ports). Ends with "N passed, N failed"; exits
# non-zero on any failure.
set -euo pipefail
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"
.ci/install-deps
jobs=$(nproc 2>/dev/null || echo 2)
if [ ! -d tests/js/node_modules/kafkajs ]; then
	(cd tests/js && npm ci --no-audit --no-fund)
fi
autoreconf -fi

build() { # dir configure-args...
	local dir=$1
	shift
	mkdir -p "$dir"
	(cd "$dir" && "$top/configure" -q "$@" && make -s -j"$jobs")
}

echo "== unit tests under AddressSanitizer and UBSan"
build "$top/build-asan" --enable-sanitizers
make -s -C "$top/build-asan" check-unit

echo "== hostile-input integration tests against the ASan/UBSan broker"
make -s -C "$top/build-asan" check-hostile

echo "== unit and threading integration tests under ThreadSanitizer"
build "$top/build-tsan" --enable-tsan
make -s -C "$top/build-tsan" check-tsan

echo "== libFuzzer harnesses (clang, ASan/UBSan), each for a bounded time"
build "$top/build-fuzz" --enable-fuzz CC=clang
make -s -C "$top/build-fuzz" fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-20}"

echo "== unit tests under valgrind"
build "$top/build"
make -s -C "$top/build" check-valgrind

echo "== unit and integration tests, with the long replication matrix"
SM_WITH_LONG=1 make -s -C "$top/build" check
