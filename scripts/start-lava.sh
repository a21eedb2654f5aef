#!/usr/bin/env bash
# Starts a real LAVA instance from Debian's packages (lava-server, lava-dispatcher 2023.01) for the
# LAVA target's tests: its own PostgreSQL database, the API server (gunicorn), the scheduler and one
# worker started directly (no systemd), one `qemu` device type with two TCG devices, and a user whose
# API token is written to a file (mode 0600). Prints the server URL and that file's path as shell
# assignments (SVMTEST_TEST_LAVA_URL, SVMTEST_TEST_LAVA_TOKEN_FILE). Idempotent: a running instance is reused.
# `scripts/start-lava.sh stop` stops it.
set -euo pipefail
# Only the two assignments at the end go to stdout (the caller evals them); everything the tools
# print goes to stderr (pg_ctlcluster's "Removed stale pid file." once broke CI's eval). The work
# runs with fd 3 closed: no daemon started here may hold the caller's pipe open, or a caller's
# $(...) waits for that daemon to exit.
exec 3>&1 1>&2
{
# LAVA's tools are Python programs of Debian's python3: a python3 earlier on the PATH has no Django.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
PORT=${SVMTEST_LAVA_PORT:-58080}
STATE=${SVMTEST_LAVA_STATE:-/tmp/svmtest-lava}
URL="http://127.0.0.1:$PORT/"
WORKER=svmtest-worker
USER_NAME=svmtest
DEVICES=(qemu-01 qemu-02)

stop_all() {
  for pidfile in "$STATE"/*.pid; do
    [ -e "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

if [ "${1:-}" = stop ]; then stop_all; exit 0; fi
if [ "${1:-}" = stop-worker ]; then
  [ -e "$STATE/worker.pid" ] && { kill -KILL -- "-$(cat "$STATE/worker.pid")" 2>/dev/null || true; rm -f "$STATE/worker.pid"; }
  exit 0
fi

for program in lava-server lava-worker gunicorn3 pg_lsclusters; do
  command -v "$program" >/dev/null || { echo "$program not found: sudo apt-get install -y --no-install-recommends lava-server lava-dispatcher postgresql" >&2; exit 1; }
done
mkdir -p "$STATE"
chmod 0700 "$STATE"

# One detached session per daemon, its output in the state directory.
start_daemon() {
  local name=$1
  shift
  # Running already: its pid alive and still one of LAVA's (a pid left from an earlier boot may be
  # reused; gunicorn retitles itself "gunicorn: master [lava_server.wsgi]").
  local running="" cmdline
  if [ -e "$STATE/$name.pid" ]; then
    cmdline=/proc/$(cat "$STATE/$name.pid")/cmdline
    [ -r "$cmdline" ] && running=$(tr '\0' ' ' <"$cmdline" 2>/dev/null || true)
  fi
  case "$running" in *lava*) return ;; esac
  # From /: a daemon must not keep the caller's directory, which may go away (a test's checkout);
  # LAVA's dispatcher calls getcwd() and fails every job when it has.
  (cd / && exec setsid "$@") >"$STATE/$name.log" 2>&1 </dev/null &
  echo $! >"$STATE/$name.pid"
}

manage() { lava-server manage "$@"; }

# PostgreSQL: Debian's cluster, where LAVA's postinst makes its own role and database.
read -r PG_VERSION PG_CLUSTER < <(pg_lsclusters -h | awk 'NR==1 {print $1, $2}')
if [ -z "${PG_VERSION:-}" ]; then
  PG_VERSION=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  PG_CLUSTER=main
  pg_createcluster "$PG_VERSION" "$PG_CLUSTER" >/dev/null
fi
pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" status >/dev/null 2>&1 || pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start
PG_PORT=$(pg_conftool -s "$PG_VERSION" "$PG_CLUSTER" show port 2>/dev/null || echo 5432)
for _ in $(seq 1 60); do
  pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break
  sleep 0.5
done
# A state directory can outlive its database (a machine image, a reinstalled cluster): the marker
# counts only when LAVA's database answers.
if [ ! -e "$STATE/migrated" ] || ! manage users list >/dev/null 2>&1; then
  # Creates the role, the database and settings.d/00-database.yaml, and runs the migrations (re-runnable).
  python3 /usr/share/lava-server/postinst.py >"$STATE/postinst.log" 2>&1 || { tail -n 20 "$STATE/postinst.log" >&2; exit 1; }
  touch "$STATE/migrated"
fi

# Job events (the publisher): the scheduler then starts a job the moment it is queued or a device
# frees up, instead of looking every 20 s.
events=/etc/lava-server/settings.d/01-svmtest-events.yaml
if [ ! -e "$events" ]; then
  printf 'EVENT_NOTIFICATION: true\nEVENT_SOCKET: "tcp://127.0.0.1:%s"\n' "${SVMTEST_LAVA_EVENT_PORT:-58500}" >"$events"
fi
start_daemon publisher lava-server manage lava-publisher --host 127.0.0.1 --port "${SVMTEST_LAVA_PUBLISHER_PORT:-58001}"
start_daemon gunicorn gunicorn3 lava_server.wsgi -u lavaserver -g lavaserver --worker-class eventlet --workers 2 \
  --bind "127.0.0.1:$PORT" --log-file "$STATE/gunicorn-access.log"
# The scheduler logs as the lavaserver user: to its default file under /var/log/lava-server.
start_daemon scheduler lava-server manage lava-scheduler --event-url "tcp://127.0.0.1:${SVMTEST_LAVA_EVENT_PORT:-58500}"

# The user, its API token, the worker, the device type and the devices: each made once. (Lists are
# read whole first: `grep -q` on a pipe would fail the pipe under pipefail.)
has() { grep -qw -- "$2" <<<"$1"; }
users=$(manage users list)
has "$users" "$USER_NAME" || manage users add --superuser --staff --passwd "$(head -c 18 /dev/urandom | base64)" "$USER_NAME" >/dev/null
new_token() { (umask 077 && manage tokens add --user "$USER_NAME" | tail -n 1 | tr -d '[:space:]' >"$STATE/token"); }
[ -s "$STATE/token" ] || new_token
workers=$(manage workers list)
has "$workers" "$WORKER" || manage workers add --health ACTIVE "$WORKER" >/dev/null
(umask 077 && manage shell -c "from lava_scheduler_app.models import Worker; print(Worker.objects.get(hostname='$WORKER').token)" \
  | tail -n 1 | tr -d '[:space:]' >"$STATE/worker-token")
has "$(manage device-types list)" qemu || manage device-types add qemu >/dev/null
devices=$(manage devices list --all)
mac=0
for device in "${DEVICES[@]}"; do
  mac=$((mac + 1))
  dict=/etc/lava-server/dispatcher-config/devices/$device.jinja2
  if [ ! -e "$dict" ]; then
    printf "{%% extends 'qemu.jinja2' %%}\n{%% set mac_addr = '52:54:00:12:34:%02d' %%}\n{%% set no_kvm = True %%}\n" "$mac" >"$dict"
    chown lavaserver:lavaserver "$dict"
  fi
  has "$devices" "$device" || manage devices add --device-type qemu --worker "$WORKER" "$device" >/dev/null
done

for _ in $(seq 1 60); do
  curl -fs "${URL}api/v0.2/system/version/" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fs "${URL}api/v0.2/system/version/" >/dev/null || { echo "LAVA's API did not come up at $URL: see $STATE/gunicorn.log" >&2; exit 1; }
# A token file left from another database is refused: make a new one. (The header is read from
# stdin so the token is never on a command line.)
token_ok() { printf 'Authorization: Token %s\n' "$(cat "$STATE/token")" | curl -fs -H @- "${URL}api/v0.2/system/whoami/" >/dev/null; }
token_ok || { new_token; token_ok || { echo "LAVA refuses the token just made for $USER_NAME" >&2; exit 1; }; }
start_daemon worker lava-worker --level INFO --url "$URL" --token-file "$STATE/worker-token" --name "$WORKER" --ping-interval 2 \
  --log-file "$STATE/worker-internal.log"

} 3>&-
echo "SVMTEST_TEST_LAVA_URL=$URL" >&3
echo "SVMTEST_TEST_LAVA_TOKEN_FILE=$STATE/token" >&3
