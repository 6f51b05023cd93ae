#!/usr/bin/env bash
# Runs every test suite (built by `make test-run`) and ends with one line
# "N passed, N failed" that sums them all. Exit status is non-zero if any
# test failed or any suite did not report.
set -uo pipefail
cd "$(dirname "$0")/.."
logs=build/test-logs
mkdir -p "$logs"
total_passed=0
total_failed=0

# count FILE: reads "N passed" / "N failed" / "N error(s)" from the last
# summary line a suite printed (our C runners and pytest both print one).
count() {
	local line passed failed errors
	line=$(grep -E '[0-9]+ (passed|failed)' "$1" | tail -n 1)
	if [ -z "$line" ]; then
		echo "0 1"
		return
	fi
	passed=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || true)
	failed=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || true)
	errors=$(echo "$line" | grep -oE '[0-9]+ errors?' | grep -oE '[0-9]+' || true)
	echo "${passed:-0} $(( ${failed:-0} + ${errors:-0} ))"
}

suite() {
	local name=$1
	shift
	local log="$logs/$name.log" start rc p f
	start=$(date +%s)
	echo "=== $name"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	read -r p f < <(count "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # the suite failed without saying which test
	fi
	total_passed=$((total_passed + p))
	total_failed=$((total_failed + f))
	echo "=== $name: $p passed, $f failed in $(( $(date +%s) - start ))s"
}

suite unit build/asan/unit_tests
suite fuzz-smoke bash tests/fuzz/run.sh build/fuzz
suite integration /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration
suite deploy /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/deploy
suite demo /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/demo

echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
