#!/bin/sh
# svmtest guest agent: no node in the guest, just this POSIX shell loop. The host's engine
# drives it through files in the shared run directory:
#   req/<n>/cmdline  NUL-separated: NAME=VALUE… then sh -c <constant wrapper> sh argv…
#   req/<n>/cwd      working directory;   req/<n>/go  the request is complete
#   req/<n>/kill     a signal name: signal the command's process group
# and answers with req/<n>/pid, stdout, stderr and rc (exit status; 128+N = signal N).
dir=$1
mkdir -p "$dir/req"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export SVMTEST_GUEST=1 SVMTEST_AGENT_PID=$$
cd /

if [ -f "$dir/modprobe" ]; then
  for m in $(cat "$dir/modprobe"); do modprobe "$m" >> "$dir/modprobe.log" 2>&1 || echo "modprobe $m failed" >> "$dir/modprobe.log"; done
fi

start() {
  r=$1
  # (a redirection error on a special builtin like ':' would end the whole shell)
  printf '' > "$r/started" 2>/dev/null || return 0
  (
    cd "$(cat "$r/cwd")" 2>/dev/null || cd /
    SVMTEST_RC="$r/rc.cmd" setsid xargs -0 -x -s 1000000 env < "$r/cmdline" > "$r/stdout" 2> "$r/stderr" &
    echo $! > "$r/pid.w" && mv "$r/pid.w" "$r/pid"
    wait $!
    status=$?
    [ -s "$r/rc.cmd" ] && status=$(cat "$r/rc.cmd")
    echo "$status" > "$r/rc.w" && mv "$r/rc.w" "$r/rc"
  ) &
}

echo "<6>svmtest: guest agent ready" > /dev/kmsg
cat /proc/uptime > "$dir/ready.w" && mv "$dir/ready.w" "$dir/ready"
beat=0
while :; do
  for r in "$dir"/req/*; do
    [ -f "$r/go" ] || continue
    [ -f "$r/started" ] || start "$r"
    if [ -f "$r/kill" ] && [ -f "$r/pid" ]; then
      kill -s "$(cat "$r/kill")" -- "-$(cat "$r/pid")" 2>/dev/null
      rm -f "$r/kill"
    fi
  done
  beat=$((beat + 1))
  echo "$beat" > "$dir/heartbeat"
  sleep 0.05
done
