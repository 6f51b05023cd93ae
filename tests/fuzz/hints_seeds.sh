#!/usr/bin/env bash
# Seeds for fuzz_hints from mkcorpus's Produce/Fetch response seeds: the
# input format is api key, version, chain size, then the body.
set -euo pipefail
corpus=${1:?usage: hints_seeds.sh CORPUS_DIR}
mkdir -p "$corpus/hints"
n=0
for f in "$corpus"/produce/ProduceResponse-v1[01]-* "$corpus"/fetch/FetchResponse-v1[2-7]-*; do
	[[ -f $f ]] || continue
	base=$(basename "$f")
	api=0
	[[ $base == Fetch* ]] && api=1
	v=${base#*-v}
	v=${v%%-*}
	for piece in 1 7 255; do
		{ printf "\\x$(printf %02x $api)\\x$(printf %02x "$v")\\x$(printf %02x $piece)"
		  tail -c +3 "$f"; } >"$corpus/hints/$base-$piece"
		n=$((n + 1))
	done
done
echo "hints_seeds: $n seeds written to $corpus/hints"
