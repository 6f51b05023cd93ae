#!/usr/bin/env bash
# `make demo` for now: starts the two embedded Kafka clusters (legacy and
# target, librdkafka 2.15.1 mock brokers), writes and reads records on each
# with kcat, shows that they are independent, and cleans up. The proxy and
# the live cutover join this demo as they are built (see README, "Status").
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/modern/mockcluster
[ -x "$bin" ] || { echo "demo: $bin missing; run make demo" >&2; exit 1; }

work=$(mktemp -d)
fifo="$work/ctl"
mkfifo "$fifo"
cleanup() {
	exec 3>&- 2>/dev/null || true
	[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$bin" --topic orders:3 <"$fifo" >"$work/out" 2>"$work/err" &
pid=$!
exec 3>"$fifo" # keeps the cluster's stdin open; closing it stops the cluster
for _ in $(seq 100); do
	grep -q '^READY' "$work/out" && break
	sleep 0.1
done
grep -q '^READY' "$work/out" || { echo "demo: clusters did not start"; cat "$work/err"; exit 1; }

legacy=$(awk '/^BOOTSTRAP legacy/{print $3}' "$work/out")
target=$(awk '/^BOOTSTRAP target/{print $3}' "$work/out")
echo "turnout demo: two embedded clusters are up (3 brokers each, ids 1-3 on both)"
echo "  legacy  $legacy"
echo "  target  $target"
echo

produce() { # cluster bootstrap count prefix
	seq 1 "$3" | sed "s/^/$4-/" | kcat -P -b "$2" -t orders -X broker.address.family=v4 2>/dev/null
}
consume() { # bootstrap -> count
	kcat -C -b "$1" -t orders -o beginning -e -q -X broker.address.family=v4 2>/dev/null | wc -l
}
produce legacy "$legacy" 500 legacy
produce target "$target" 200 target
printf '  %-8s %s records in topic "orders"\n' legacy "$(consume "$legacy")"
printf '  %-8s %s records in topic "orders"\n' target "$(consume "$target")"
echo
echo "Both clusters number their brokers from 1, as a self-managed cluster and MSK do;"
echo "turnout will present them to clients as one set of virtual brokers."
echo "The proxy, offset translation and the live cutover are not built yet:"
echo "this demo grows into the full migration as those land (see README, Status)."
