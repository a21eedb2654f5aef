#!/usr/bin/env bash
# Installs what svmtest's tests need on a Debian 12 machine: build tools and test frameworks
# (googletest, Catch2, CMake), QEMU for the guest tests, and the npm packages. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  g++ make cmake libgtest-dev catch2            # the real gtest / Catch2+CTest programs the engine tests compile
  qemu-system-x86 qemu-utils busybox-static kmod cpio xz-utils zstd   # the QEMU target (xz, zstd: a kernel's ELF unpacked once)
  build-essential bc bison flex libelf-dev libssl-dev git  # svmtest build (kernel builds)
  # the real suites built from source (svmtest demo --real-suites; src/pipeline/real-suites.ts lists the same)
  pkg-config libdrm-dev libnuma-dev llvm-19-dev
  libhsa-runtime-dev librocm-smi-dev rocm-device-libs clang-15 lld-15 libltdl-dev
  hipcc libamdhip64-dev rocminfo
  openssh-server openssh-client kexec-tools rsync sudo   # the SSH target's lab-in-a-box DUT (sshd, kexec, a sudo login in a QEMU guest)
  postgresql chromium                           # the history store on PostgreSQL; the dashboard in a real browser
  tmux bsdutils                                 # Ctrl-C through a real pseudo-terminal (tmux send-keys, script)
  lava-server lava-dispatcher lavacli           # a real LAVA lab for the LAVA target (scripts/start-lava.sh)
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Debian's real kernel (extracted, not installed) for the QEMU tests and the demo, and Debian's
# linux-source-6.1 as a git repository for the kernel builds: one after the other (each may run
# apt-get update, which two at once would fight over), beside npm's install and the build.
(
  bash scripts/fetch-debian-kernel.sh .cache/debian-kernel
  bash scripts/fetch-linux-source.sh .cache/linux-source
) &
kernels=$!
trap 'kill "$kernels" 2>/dev/null || true' EXIT

npm ci --no-audit --no-fund
npm run build
wait "$kernels"
trap - EXIT
