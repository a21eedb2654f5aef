#!/usr/bin/env bash
# Downloads Debian's current 6.1 kernel package and extracts it (dpkg -x, not installed) into DIR:
#   DIR/vmlinuz, DIR/config, DIR/modules/lib/modules/<release>/… (depmod run), DIR/release
# The QEMU tests and `svmtest demo` boot this kernel. Idempotent: does nothing when DIR/release exists.
set -euo pipefail
DIR=${1:?usage: fetch-debian-kernel.sh DIR}
if [ -f "$DIR/release" ] && [ -f "$DIR/vmlinuz" ]; then exit 0; fi
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
# linux-image-amd64 is the metapackage; its dependency names the real image package.
PKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [ -z "$PKG" ]; then
  apt-get update -qq
  PKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
fi
# The signed image package depends on the unsigned one's files; download whichever carries them.
apt-get download "$PKG" >/dev/null
UNSIGNED=$(apt-cache depends "$PKG" | awk '/Depends: linux-image-[0-9].*-unsigned/ {print $2; exit}' || true)
if [ -n "${UNSIGNED:-}" ]; then apt-get download "$UNSIGNED" >/dev/null || true; fi
mkdir -p root
for deb in ./*.deb; do dpkg -x "$deb" root; done
RELEASE=$(ls root/lib/modules | head -1)
cp "root/boot/vmlinuz-$RELEASE" "$DIR/vmlinuz"
cp "root/boot/config-$RELEASE" "$DIR/config"
mkdir -p "$DIR/modules/lib/modules"
rm -rf "$DIR/modules/lib/modules/$RELEASE"
mv "root/lib/modules/$RELEASE" "$DIR/modules/lib/modules/"
depmod -b "$DIR/modules" "$RELEASE"
echo "$RELEASE" > "$DIR/release"
echo "extracted $PKG ($RELEASE) to $DIR"
