#!/usr/bin/env bash
# `make demo`: the main job on embedded clusters (demo/demo.py, README "The
# demo"). Needs the binaries `make demo` builds; runs under nice because the
# demo's ten processes share the machine with whatever else runs.
#
#   scripts/demo.sh            live view when stdout is a terminal
#   scripts/demo.sh --no-tty   plain lines (tests, CI, a log file)
#
# Exit status 0 only if every step worked and no acknowledged record was lost.
set -euo pipefail
cd "$(dirname "$0")/.."
for bin in build/rel/turnout build/modern/mockcluster build/modern/mm2mirror \
	build/modern/demo_client; do
	[ -x "$bin" ] || { echo "demo: $bin missing; run make demo" >&2; exit 1; }
done
# The system Python: stdlib only, but the same interpreter as the tests.
exec nice -n 5 /usr/bin/python3 demo/demo.py "$@"
