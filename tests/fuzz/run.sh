#!/usr/bin/env bash
# Runs every libFuzzer target in DIR for FUZZ_TIME seconds each, starting from
# a scratch copy of its seeds, and prints one line per target and a final
# "N passed, N failed". A crash leaves its reproducer in DIR/crashes/.
set -uo pipefail
dir=${1:?usage: run.sh FUZZ_DIR}
time_each=${FUZZ_TIME:-3}
passed=0
failed=0
total_execs=0
mkdir -p "$dir/crashes"
for target in "$dir"/fuzz_*; do
	[ -x "$target" ] || continue
	name=$(basename "$target")
	stem=${name#fuzz_}
	work=$(mktemp -d)
	if [ -d "$dir/corpus/$stem" ]; then
		cp "$dir/corpus/$stem"/* "$work"/ 2>/dev/null
	fi
	log="$dir/$name.log"
	if "$target" -max_total_time="$time_each" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$dir/crashes/$name-" "$work" >"$log" 2>&1; then
		execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
		execs=${execs:-0}
		total_execs=$((total_execs + execs))
		echo "fuzz $stem: ok, $execs executions in ${time_each}s"
		passed=$((passed + 1))
	else
		echo "fuzz $stem: FAILED (see $log)"
		tail -n 30 "$log" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
	rm -rf "$work"
done
echo "fuzz: $total_execs executions in total"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
