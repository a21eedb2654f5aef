#!/bin/busybox sh
# svmtest initramfs /init: load what the kernel needs to mount the host's root over 9p
# (virtio and 9p are modules in distribution kernels), mount it read-only with writable
# tmpfs where a system needs to write, share the run directory, and start the guest agent.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# The loopback carries the tests' result channels (gtest streams to a socket on it).
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up 2>/dev/null

say() { echo "svmtest-init: $*" > /dev/console; }

for m in $(cat /modules/order); do
  [ -f "/modules/$m.ko" ] && insmod "/modules/$m.ko" 2>/dev/null
done

if grep -q 'svmtest.probe=1' /proc/cmdline; then
  say "SVMTEST-PROBE-OK"
  reboot -f
fi

RUN=
AGENT=.agent
BOOT=0
MODULES=
# Read with builtins: each exec is tens of ms under emulation, between the boot and the first test.
read -r cmdline < /proc/cmdline
for w in $cmdline; do
  case "$w" in
    svmtest.run=*) RUN=${w#svmtest.run=} ;;
    svmtest.agent=*) AGENT=${w#svmtest.agent=} ;;
    svmtest.boot=*) BOOT=${w#svmtest.boot=} ;;
    svmtest.modules=1) MODULES=1 ;;
  esac
done
mkdir -p /newroot /lower /rw /staging
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro hostroot /lower; then
  say "SVMTEST-BOOT-FAILED cannot mount the host root over 9p"
  reboot -f
fi
# The run directory first, at a staging point: it names the host paths the run needs.
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 svmrun /staging; then
  say "SVMTEST-BOOT-FAILED cannot mount the run directory $RUN"
  reboot -f
fi
# The kernel's own config, part of the run's proof, copied now (busybox, from the initramfs): the host
# reads it from the run directory instead of asking the agent for it, an exec under emulation.
if [ -r /proc/config.gz ]; then
  cp /proc/config.gz "/staging/$AGENT/boot-$BOOT/config.gz"
else
  : > "/staging/$AGENT/boot-$BOOT/no-config.gz"
fi
# The host root, read-only, under a writable tmpfs overlay: the guest can write anywhere, the host sees none of it.
mount -t tmpfs tmpfs /rw
mkdir -p /rw/upper /rw/work
FRESH="/run"
if ! mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot 2>/dev/null; then
  say "no overlayfs: the root stays read-only"
  mount -o bind /lower /newroot
  FRESH="/tmp /var/tmp $FRESH"
fi
# Under the overlay the host's /tmp and /var/tmp stay visible (checkouts, test programs and kernels
# live there) while writes land in the guest's tmpfs; /run starts empty, as on any boot.
for d in $FRESH; do mount -t tmpfs tmpfs "/newroot$d"; done
# The agent's helpers (sleep, setsid, nc…) from this static busybox on the guest's tmpfs: an exec that
# reads nothing through 9p and loads no library, where each is tens of ms of an emulated CPU.
mkdir -p /newroot/run/svmtest && cp /bin/busybox /newroot/run/svmtest/busybox
mount -t proc proc /newroot/proc
mount -t sysfs sys /newroot/sys
mount -t devtmpfs dev /newroot/dev
mkdir -p /newroot/dev/shm /newroot/dev/pts
mount -t tmpfs tmpfs /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
# Host paths the run needs that a fresh tmpfs hides come back, read-only, at the same path.
if [ -f "/staging/$AGENT/boot-$BOOT/expose" ]; then
  while IFS= read -r p; do
    for d in $FRESH /dev/shm; do
      case "$p" in
        "$d"/*) [ -e "/lower$p" ] && mkdir -p "/newroot$p" 2>/dev/null && mount -o bind "/lower$p" "/newroot$p" ;;
      esac
    done
  done < "/staging/$AGENT/boot-$BOOT/expose"
fi
if [ -n "$MODULES" ]; then
  mkdir -p /newroot/lib/modules 2>/dev/null
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro modules /newroot/lib/modules
fi
mkdir -p "/newroot$RUN" 2>/dev/null
if ! mount --move /staging "/newroot$RUN"; then
  say "SVMTEST-BOOT-FAILED cannot mount the run directory $RUN"
  reboot -f
fi
# The agent is not PID 1: a stopped or dead agent must look like what it is (a hang the
# watchdog catches), not kill the kernel ("Attempted to kill init").
while :; do
  say "starting the agent (boot $BOOT)"
  chroot /newroot /bin/sh "$RUN/$AGENT/agent.sh" "$RUN/$AGENT/boot-$BOOT"
  say "the agent exited with status $?; restarting it"
  sleep 1
done
