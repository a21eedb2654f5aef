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
# A lab user as the README asks of a DUT: key login, a light shell, passwordless sudo.
if ! grep -q '^ci:' /etc/passwd; then
  echo 'ci:x:1500:1500:svmtest lab:/tmp/ci-home:/bin/sh' >> /etc/passwd
  echo 'ci:x:1500:' >> /etc/group
  echo 'ci:*:19000:0:99999:7:::' >> /etc/shadow
  mkdir -p /tmp/ci-home && chown 1500:1500 /tmp/ci-home
fi
mkdir -p /etc/sudoers.d
echo 'ci ALL=(root) NOPASSWD: ALL' > /etc/sudoers.d/svmtest-lab
chmod 0440 /etc/sudoers.d/svmtest-lab
echo "<6>svmtest-lab: sshd starting" > /dev/kmsg
exec /usr/sbin/sshd -D -e -f "@LAB@/sshd_config"
