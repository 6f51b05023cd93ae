#!/usr/bin/env bash
# Build the "modern" librdkafka peer (2.15.1) into build/librdkafka-2.15.1.
#
# Why: Debian bookworm ships librdkafka 2.0.2. The integration tests run the
# mock clusters (and later the proxy's peers) against both that and a current
# librdkafka, because the mock broker's protocol versions and group behaviour
# differ between the two. The source comes from the npm tarball of
# @confluentinc/kafka-javascript, which vendors exactly librdkafka 2.15.1;
# `npm pack --ignore-scripts` fetches it without running any install script.
#
# Idempotent: if the headers, the library and a stamp recording the version
# and install prefix are present, nothing is done.
set -euo pipefail

RDK_VERSION=2.15.1
NPM_PKG=@confluentinc/kafka-javascript@1.10.1

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PREFIX=$ROOT/build/librdkafka-$RDK_VERSION
SRCDIR=$ROOT/build/src
STAMP=$PREFIX/.built  # the Makefile depends on this file
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

log() { printf 'build-librdkafka: %s\n' "$*"; }

if [[ -f $PREFIX/include/librdkafka/rdkafka_mock.h &&
	-f $PREFIX/lib/librdkafka.a &&
	-f $PREFIX/lib/pkgconfig/rdkafka-static.pc &&
	-f $STAMP && $(cat "$STAMP") == "$RDK_VERSION $PREFIX" ]]; then
	log "librdkafka $RDK_VERSION already built in ${PREFIX#"$ROOT"/}"
	exit 0
fi

for tool in npm tar make cc pkg-config; do
	command -v "$tool" >/dev/null || { log "missing tool: $tool (run scripts/deps.sh)"; exit 1; }
done

start=$(date +%s)
mkdir -p "$SRCDIR"
cd "$SRCDIR"

tarball=confluentinc-kafka-javascript-1.10.1.tgz
if [[ ! -f $tarball ]]; then
	log "fetching $NPM_PKG (npm pack, no install scripts)"
	npm pack "$NPM_PKG" --ignore-scripts --silent >/dev/null
fi
[[ -f $tarball ]] || { log "npm pack did not produce $tarball"; exit 1; }

# Always unpack afresh: a half-configured tree from an earlier failed run
# must not leak into this one.
rm -rf package
tar -xzf "$tarball"
src=$SRCDIR/package/deps/librdkafka
[[ -x $src/configure ]] || { log "no librdkafka in $tarball"; exit 1; }

vh=$(grep -m1 '^#define RD_KAFKA_VERSION ' "$src/src/rdkafka.h" | awk '{print $3}')
[[ $vh == 0x020f01ff ]] || { log "unexpected librdkafka version $vh in tarball"; exit 1; }

cd "$src"
# mklove treats any file named configure.* in this directory as a module,
# so the logs must not be called configure.out or the like.
log "configuring (prefix ${PREFIX#"$ROOT"/})"
./configure --prefix="$PREFIX" --no-download --disable-lz4-ext \
	--disable-gssapi --disable-curl >mkl-configure.log 2>&1 ||
	{ tail -40 mkl-configure.log; log "configure failed"; exit 1; }

log "compiling with -j$JOBS (takes a few minutes)"
make -j"$JOBS" libs >mkl-make.log 2>&1 || { tail -40 mkl-make.log; log "make failed"; exit 1; }

rm -rf "$PREFIX"
make install-subdirs >mkl-install.log 2>&1 || { tail -40 mkl-install.log; log "install failed"; exit 1; }

for f in include/librdkafka/rdkafka.h include/librdkafka/rdkafka_mock.h \
	lib/librdkafka.a lib/librdkafka.so lib/pkgconfig/rdkafka.pc \
	lib/pkgconfig/rdkafka-static.pc; do
	[[ -e $PREFIX/$f ]] || { log "install did not produce $f"; exit 1; }
done
# The .pc files hold absolute paths, so a moved checkout must rebuild.
echo "$RDK_VERSION $PREFIX" >"$STAMP"

log "librdkafka $RDK_VERSION installed in ${PREFIX#"$ROOT"/} after $(($(date +%s) - start)) s"
