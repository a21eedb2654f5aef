#!/usr/bin/env bash
# Debian's linux-source-6.1 tarball (downloaded with apt-get, extracted with dpkg -x, not
# installed), unpacked into DIR/linux as a git repository with one commit, tagged `base`.
# The kernel-build end-to-end test builds real variants from it. Idempotent.
set -euo pipefail
DIR=${1:?usage: fetch-linux-source.sh DIR}
if [ -d "$DIR/linux/.git" ] && git -C "$DIR/linux" rev-parse -q --verify base >/dev/null; then exit 0; fi
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
apt-get download linux-source-6.1 >/dev/null 2>&1 || { apt-get update -qq && apt-get download linux-source-6.1 >/dev/null; }
dpkg -x ./linux-source-6.1_*.deb root
rm -rf "$DIR/linux"
mkdir -p "$DIR/linux"
tar -xf root/usr/src/linux-source-6.1.tar.xz -C "$DIR/linux" --strip-components=1
cd "$DIR/linux"
git init -q
# Debian's packaging adds a .gitignore that ignores everything: add the pristine tree by force.
git -c user.name=svmtest -c user.email=svmtest@localhost add -A -f
git -c user.name=svmtest -c user.email=svmtest@localhost commit -q -m "linux-source-6.1 from Debian"
git tag base
echo "linux source in $DIR/linux (tag base)"
