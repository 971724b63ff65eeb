#!/bin/sh
# Run every Criterion suite in BUILD (default build/) and fail when any test
# fails, crashes, or when a suite ran no test at all.
#
#   scripts/run-tests.sh [--unit] [BUILD]
#
# --unit (make unit): the unit suite alone, which needs no root; a unit test
# that does is skipped, and the count of skipped tests is shown.
set -u

suites="unit-tests integration-tests"
if [ "${1:-}" = --unit ]; then
	suites=unit-tests
	shift
fi
build=${1:-build}
status=0
total=0

if [ "$suites" != unit-tests ] && [ "$(id -u)" -ne 0 ]; then
	echo "run-tests: the integration tests need root (they drop to nobody themselves);" \
	     "make unit runs the unit tests alone" >&2
	exit 1
fi
# A user without a writable home (nobody's is /nonexistent) gets one for the
# run, so nothing the tests start fails on writing there.
if ! [ -d "${HOME:-}" ] || ! [ -w "${HOME:-}" ]; then
	HOME=$(mktemp -d) || exit 1
	export HOME
	trap 'rm -rf "$HOME"' EXIT
fi

# Sanitizer runs: the environment is given to the test binaries only (and so
# to everything they start), not to the tools this script uses.
san_env=""
if [ "${FDB_SANITIZER:-0}" = 1 ]; then
	# The shim is instrumented: the ASan runtime must be loaded before it in
	# every preloaded program, which fdbroker run keeps first in LD_PRELOAD.
	san_env="LD_PRELOAD=$(gcc -print-file-name=libasan.so)
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
LSAN_OPTIONS=suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
fi

for suite in $suites; do
	bin="$build/tests/$suite"
	log=$(mktemp)
	echo "== $suite"
	(
		IFS='
'
		# shellcheck disable=SC2086
		exec env $san_env "$bin" --jobs 2 --short-filename --verbose
	) >"$log" 2>&1
	rc=$?
	# --verbose for the [SKIP] lines and their reasons, which Criterion
	# prints nowhere else; not the line of every test begun and passed
	grep -Ev '^\[(RUN |PASS)\]|^\[====\] Running |^\[----\] Criterion v' "$log"
	skipped=$(grep -c '^\[SKIP\]' "$log")
	line=$(grep 'Synthesis:' "$log" | tail -n 1)
	rm -f "$log"
	tested=$(printf '%s\n' "$line" | sed -n 's/.*Tested: \([0-9]*\).*/\1/p')
	if [ -z "$tested" ] || [ "$tested" -eq 0 ]; then
		echo "run-tests: $suite ran no test" >&2
		status=1
	fi
	[ "$rc" -ne 0 ] && status=1
	[ "$skipped" -gt 0 ] && echo "run-tests: $suite skipped $skipped tests (their [SKIP] lines say why)"
	total=$((total + ${tested:-0}))
done

echo "run-tests: $total tests, $([ $status -eq 0 ] && echo passed || echo FAILED)"
exit $status
