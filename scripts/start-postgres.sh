#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster (Debian's postgresql package) for the history-store tests and
# prints the URL to give them as SVMTEST_TEST_POSTGRES. Idempotent: a running cluster is reused.
set -euo pipefail
# Only the URL goes to stdout (the caller captures it); whatever the tools print goes to stderr.
# The work runs with fd 3 closed: a server started here must not hold the caller's pipe open, or
# a caller's $(...) waits for it to exit (CI hung there for 90 minutes).
exec 3>&1 1>&2
{
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$PGBIN" ]; then echo "PostgreSQL is not installed: sudo apt-get install -y postgresql" >&2; exit 1; fi
DIR=${1:-/tmp/svmtest-postgres}
PORT=${SVMTEST_PG_PORT:-55432}
# initdb refuses to run as root: the cluster belongs to the postgres user then.
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
# Reused only if it answers: after a reboot a stale postmaster.pid can name a live process of another
# program, and pg_ctl's status then calls a dead cluster running.
if ! "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U svmtest -d svmtest; then
  as_owner "$PGBIN/pg_ctl" -D "$DIR" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
  mkdir -p "$DIR"
  if [ "$(id -u)" = 0 ]; then chown postgres "$DIR"; fi
  as_owner "$PGBIN/initdb" -D "$DIR" -A trust -U svmtest >/dev/null
  as_owner "$PGBIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w \
    -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  as_owner "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U svmtest svmtest
fi
} 3>&-
echo "postgres://svmtest@127.0.0.1:$PORT/svmtest" >&3
