#!/bin/sh
# Runs the unit test programs given as arguments, then every integration test
# under tests/integration (NNNN-*.sh / NNNN-*.py, in name order), and prints one
# summary line "N passed, N failed". Exit status is non-zero if anything failed.
#
# Environment: SM_SKIP_INTEGRATION=1 runs the unit programs only;
# SM_VALGRIND=1 runs each unit program under valgrind's leak checker;
# SM_TESTS="pattern ..." restricts integration tests to names matching any of
# the (space-separated) patterns;
# SM_WITH_LONG=1 adds the long tests (tests/integration/long, the replication
# matrix that `make check-long` runs on its own).
set -u
top_src=${SM_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
top_build=${SM_TOP_BUILDDIR:-$top_src}
export SM_TOP_SRCDIR="$top_src" SM_TOP_BUILDDIR="$top_build"
passed=0
failed=0
failures=""
logdir="$top_build/tests/logs"
mkdir -p "$logdir"

run_one() {
	name=$1; shift
	log="$logdir/$(basename "$name").log"
	start=$(date +%s)
	if "$@" >"$log" 2>&1; then
		passed=$((passed + 1))
		echo "PASS: $name ($(( $(date +%s) - start ))s)"
	else
		failed=$((failed + 1))
		failures="$failures $name"
		echo "FAIL: $name ($(( $(date +%s) - start ))s) -- last lines of $log:"
		tail -n 40 "$log" | sed 's/^/    /'
	fi
}

for prog in "$@"; do
	if [ "${SM_VALGRIND:-0}" = 1 ]; then
		run_one "$prog" valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
			--errors-for-leak-kinds=definite,indirect --error-exitcode=99 "$top_build/$prog"
	else
		run_one "$prog" "$top_build/$prog"
	fi
done

if [ "${SM_SKIP_INTEGRATION:-0}" != 1 ]; then
	long=""
	[ "${SM_WITH_LONG:-0}" = 1 ] && long="$top_src/tests/integration/long/[0-9][0-9][0-9][0-9]-*"
	for t in "$top_src"/tests/integration/[0-9][0-9][0-9][0-9]-* $long; do
		[ -e "$t" ] || continue
		case "$t" in
		*.sh) cmd="sh" ;;
		*.py) cmd="/usr/bin/python3" ;;
		*.js) cmd="node" ;;
		*) continue ;;
		esac
		if [ -n "${SM_TESTS:-}" ]; then
			match=0
			for pat in $SM_TESTS; do
				case "$(basename "$t")" in *$pat*) match=1 ;; esac
			done
			[ "$match" = 1 ] || continue
		fi
		run_one "integration/$(basename "$t")" $cmd "$t"
	done
fi

[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
