#!/bin/sh
# Runs the storage benchmarks and prints their table. Figures only: nothing
# here passes or fails. Rerun with:  make bench   (or sh bench/run.sh from a
# build directory). Volumes: SM_BENCH_MB (per append case, default 256),
# SM_BENCH_RECOVERY_MB (default 1024); scratch dir SM_BENCH_DIR (default
# ./bench-tmp, i.e. the build directory's disk).
set -e
BUILD=${SM_BENCH_BUILDDIR:-$(pwd)}
: "${SM_BENCH_DIR:=$BUILD/bench-tmp}"
export SM_BENCH_DIR
echo "== samsa storage benchmarks ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cpus)"
echo "== rerun: make bench  (SM_BENCH_MB=${SM_BENCH_MB:-256} SM_BENCH_RECOVERY_MB=${SM_BENCH_RECOVERY_MB:-1024})"
"$BUILD/bench/bench_log"
# Controller failover (real ZooKeeper and brokers, a few minutes; see
# bench/README.md). SM_BENCH_CTRL=0 skips it.
if [ "${SM_BENCH_CTRL:-1}" != 0 ]; then
	SM_TOP_BUILDDIR="$BUILD" /usr/bin/python3 "$(dirname "$0")/controller_failover.py"
fi
