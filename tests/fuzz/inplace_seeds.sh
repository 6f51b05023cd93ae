#!/usr/bin/env bash
# Seeds for fuzz_inplace from mkcorpus's Metadata/Produce/Fetch response
# seeds: the input format is api key, version, chain size, then the body.
set -euo pipefail
corpus=${1:?usage: inplace_seeds.sh CORPUS_DIR}
mkdir -p "$corpus/inplace"
n=0
for f in "$corpus"/metadata/MetadataResponse-v* "$corpus"/produce/ProduceResponse-v1[01]-* \
	"$corpus"/fetch/FetchResponse-v1[2-7]-*; do
	[[ -f $f ]] || continue
	base=$(basename "$f")
	case $base in
	Metadata*) api=3 ;;
	Fetch*) api=1 ;;
	*) api=0 ;;
	esac
	v=${base#*-v}
	v=${v%%-*}
	for piece in 1 7 255; do
		{ printf "\\x$(printf %02x $api)\\x$(printf %02x "$v")\\x$(printf %02x $piece)"
		  tail -c +3 "$f"; } >"$corpus/inplace/$base-$piece"
		n=$((n + 1))
	done
done
echo "inplace_seeds: $n seeds written to $corpus/inplace"
