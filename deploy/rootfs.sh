#!/bin/sh
# Assembles the container image's whole filesystem in DEST: turnout, the
# shared libraries it links (from ldd, so nothing else comes along), a
# passwd/group entry for the non-root user 65532, and the CA bundle that
# TLS to the clusters verifies against. Run in the Dockerfile's build stage
# and by tests/deploy/test_image.py, which runs the result under chroot.
#   usage: deploy/rootfs.sh BINARY DEST
set -eu
bin=$1
dest=$2
mkdir -p "$dest/usr/local/bin" "$dest/etc/ssl/certs"
strip --strip-unneeded -o "$dest/usr/local/bin/turnout" "$bin"
chmod 0755 "$dest/usr/local/bin/turnout"
libs=$(ldd "$bin" | awk '/not found/ { print "missing:" $1; next } { for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }')
for lib in $libs; do
	case $lib in missing:*) echo "rootfs.sh: ${lib#missing:} not found" >&2; exit 1 ;; esac
	mkdir -p "$dest$(dirname "$lib")"
	cp -L "$lib" "$dest$lib"
done
echo 'nonroot:x:65532:65532:turnout:/nonexistent:/sbin/nologin' >"$dest/etc/passwd"
echo 'nonroot:x:65532:' >"$dest/etc/group"
cp /etc/ssl/certs/ca-certificates.crt "$dest/etc/ssl/certs/ca-certificates.crt"
