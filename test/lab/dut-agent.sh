#!/bin/sh
# The lab DUT's userspace, run by svmtest's initramfs in place of the guest agent: bring up the
# user-mode network and serve SSH, as a lab machine would. @LAB@ is the lab directory.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
modprobe virtio_net 2>/dev/null
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0 2>/dev/null
ip route add default via 10.0.2.2 2>/dev/null
mkdir -p /run/sshd
# The guest's root is an overlay: this edit stays in the guest. sshd runs every command through
# the user's shell; dash reads no startup files, where this machine's bash runs its ~/.bashrc.
sed -i 's#^\(root:.*\):/bin/bash$#\1:/bin/sh#' /etc/passwd
echo "<6>svmtest-lab: sshd starting" > /dev/kmsg
exec /usr/sbin/sshd -D -e -f "@LAB@/sshd_config"
