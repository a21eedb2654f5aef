#!/bin/sh
# svmtest guest agent: no node in the guest, just this POSIX shell loop. The host's engine
# drives it through files in the shared run directory:
#   req/<n>/argv     the command, one argument per line;  req/<n>/env  NAME=VALUE lines
#   req/<n>/cwd      working directory;   req/<n>/go  the request is complete
#   req/<n>/kill     a signal name: signal the command's process group
#   req/<n>/chan.port  "PORT HEX [SECRET SUITE]": listen on the loopback first (the command's
#                    result channel), what arrives goes to req/<n>/chan.out; with SECRET, each test's
#                    start and end are marked in the kernel log the moment gtest reports them
#   marks/<n>        records for the kernel log (svmtest's marks), written in order n = 1, 2, …
# and answers with req/<n>/pid, stdout, stderr and rc (exit status; 128+N = signal N).
dir=$1
# (The host made it before the boot: no exec for it under emulation.)
[ -d "$dir/req" ] || mkdir -p "$dir/req"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export SVMTEST_GUEST=1 SVMTEST_AGENT_PID=$$
cd /
# init's static busybox on the guest's tmpfs runs the agent's helpers: no dynamic loading, nothing
# read through 9p. Without it, $bb is empty and the root's own programs run.
bb=
[ -x /run/svmtest/busybox ] && bb=/run/svmtest/busybox

# One module name a line, read with builtins: `$(cat …)` would be an exec even when the list is empty.
if [ -f "$dir/modprobe" ]; then
  while IFS= read -r m || [ -n "$m" ]; do
    [ -n "$m" ] || continue
    modprobe "$m" >> "$dir/modprobe.log" 2>&1 || echo "modprobe $m failed" >> "$dir/modprobe.log"
  done < "$dir/modprobe"
fi

# Is anything listening on TCP port $1 (in hex, as /proc/net/tcp shows it)? Builtins only.
listening() {
  for table in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$table" ] || continue
    while read -r _ local _ st _; do
      case "$local" in *":$1") [ "$st" = 0A ] && return 0 ;; esac
    done < "$table"
  done
  return 1
}

# The result channel, relayed line by line: to the host's file, and each test's start and end as
# a mark in the kernel log, in order with the kernel's own records (builtins only).
relay() {
  case_name=
  current=
  exec 3>> "$2"
  while IFS= read -r l; do
    printf '%s\n' "$l" >&3
    case "$l" in
      'event=TestCaseStart&name='*) case_name=${l#*&name=} ;;
      'event=TestStart&name='*)
        current="$4/$case_name.${l#*&name=}"
        printf '<6>svmtest-mark %s start %s\n' "$3" "$current" > /dev/kmsg ;;
      'event=TestEnd&'*) printf '<6>svmtest-mark %s end %s\n' "$3" "$current" > /dev/kmsg ;;
    esac
  done < "$1"
}

start() {
  r=$1
  # The host may have removed a finished request since the loop listed it: skip it, quietly (the
  # braces take the shell's own redirection error too; on a special builtin like ':' it would end the shell).
  { printf '' > "$r/started"; } 2>/dev/null || return 0
  (
    # Built with shell builtins only: every exec is slow in an emulated guest.
    set --
    while IFS= read -r a; do set -- "$@" "$a"; done < "$r/argv"
    if [ -f "$r/builtin" ]; then
      # Answered with builtins only: a run's start asks these before it can list its tests, and
      # every exec (setsid, then the program, through 9p) costs hundreds of ms under emulation.
      IFS= read -r builtin < "$r/builtin"
      : > "$r/stderr"
      : > "$r/stdout"
      if [ "$builtin" = read ]; then
        # `cat FILE…` of text files: each one's lines in turn; 1 if one cannot be read.
        shift
        rc=0
        for f; do
          if [ -f "$f" ] && [ -r "$f" ]; then
            while IFS= read -r l || [ -n "$l" ]; do printf '%s\n' "$l"; done < "$f" >> "$r/stdout"
          else
            rc=1
          fi
        done
      else
        # `ls -1 DIR` (argv's last): the GPU topology is listed before the tests can be.
        for listed; do :; done
        rc=2
        if [ -d "$listed" ]; then
          rc=0
          for f in "$listed"/*; do
            if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\n' "${f##*/}"; fi
          done > "$r/stdout"
        fi
      fi
      echo "$rc" > "$r/rc"
      echo "$r" > /run/svmtest-agent-ended
      exit 0
    fi
    while IFS= read -r kv; do [ -n "$kv" ] && export "$kv"; done < "$r/env"
    IFS= read -r dir < "$r/cwd"
    cd "$dir" 2>/dev/null || cd /
    nc=
    waitfor=
    if [ -f "$r/chan.port" ]; then
      # The listener must be up before the command starts: gtest aborts when it cannot connect.
      read -r port hex secret suite < "$r/chan.port"
      if [ -n "$secret" ]; then
        fifo="/run/svmtest-chan-${r##*/}"
        $bb rm -f "$fifo"
        $bb mkfifo "$fifo"
        relay "$fifo" "$r/chan.out" "$secret" "$suite" &
        waitfor=$!
        ${bb:-busybox} nc -l -p "$port" < /dev/null > "$fifo" 2>/dev/null &
        nc=$!
      else
        ${bb:-busybox} nc -l -p "$port" < /dev/null > "$r/chan.out" 2>/dev/null &
        nc=$!
        waitfor=$nc
      fi
      i=0
      while ! listening "$hex" && [ $i -lt 500 ]; do $bb sleep 0.01; i=$((i + 1)); done
    fi
    $bb setsid "$@" < /dev/null > "$r/stdout" 2> "$r/stderr" &
    cmd=$!
    echo $cmd > "$r/pid"
    wait $cmd
    rc=$?
    if [ -n "$nc" ]; then
      # The command's end closed its side: what it sent is arriving. A listener nobody connected to is stopped.
      # Waited for at once, not polled; a listener still open after 2 s is stopped by the killer.
      ( $bb sleep 2; kill "$nc" 2>/dev/null ) &
      killer=$!
      wait "$waitfor" 2>/dev/null
      kill "$nc" "$killer" 2>/dev/null
      [ -n "$fifo" ] && $bb rm -f "$fifo"
    fi
    # One write of "N\n": the host takes rc as final once it ends with a newline.
    echo "$rc" > "$r/rc"
    # The host's next request follows at once: the loop below polls fast again.
    echo "$r" > /run/svmtest-agent-ended
  ) &
}

echo "<6>svmtest: guest agent ready" > /dev/kmsg
mark=1
read -r up < /proc/uptime; echo "$up" > "$dir/ready"
# Each round ends in `sleep`, an exec: tens of milliseconds of an emulated CPU. At 20 rounds a second
# all the time that is a quarter of a CPU taken from the tests (measured: 0.24 s of host CPU per second
# of an idle guest), so the loop polls fast only for 2 s after something happened (a request started
# or ended, a mark came), and 4 times a second otherwise.
: > /run/svmtest-agent-ended
ended=
fast=0
while :; do
  for r in "$dir"/req/*; do
    [ -f "$r/go" ] || continue
    [ -f "$r/started" ] || { start "$r"; fast=0; }
    if [ -f "$r/kill" ] && [ -f "$r/pid" ]; then
      IFS= read -r sig < "$r/kill"; IFS= read -r pid < "$r/pid"
      kill -s "$sig" -- "-$pid" 2>/dev/null
      $bb rm -f "$r/kill"
    fi
  done
  while [ -f "$dir/marks/$mark" ]; do
    while IFS= read -r l; do printf '%s\n' "$l" > /dev/kmsg; done < "$dir/marks/$mark"
    mark=$((mark + 1))
    fast=0
  done
  # The heartbeat is the guest's clock: it shows progress, and keeps the host's estimate of the
  # guest's kernel time (which timestamps kernel records) in step under emulation.
  read -r up idle < /proc/uptime
  echo "$up" > "$dir/heartbeat"
  last=$ended
  IFS= read -r ended < /run/svmtest-agent-ended
  [ "$ended" = "$last" ] || fast=0
  if [ $fast -lt 40 ]; then
    fast=$((fast + 1))
    $bb sleep 0.05
  else
    $bb sleep 0.25
  fi
done
