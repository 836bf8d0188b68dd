#!/usr/bin/env bash
# Start a throw-away PostgreSQL 15 on 127.0.0.1 for tests, as root on a fresh machine of this kind.
# Usage:  source scripts/start-postgres.sh   (exports DATABASE_URL_PG; stops and cleans up on exit)
# (copied from the workplace recipe in ../shared/ci)
# initdb refuses to run as root, so the server runs as the 'postgres' user (Debian's package).
# Sourced: the caller's shell options are saved here and given back at the end, so a caller running
# under `set -euo pipefail` keeps failing on the first failing command after this (an earlier version
# ended with `set +euo pipefail`, which silently let a failing test run pass).
_start_pg_flags=$-; _start_pg_pipefail=$(shopt -qo pipefail && echo -o || echo +o)
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGPORT=${PGPORT:-54329}
if [ ! -x "$PGBIN/initdb" ]; then
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
fi
PGDATA=$(mktemp -d -t test-pg.XXXXXX)
chown postgres:postgres "$PGDATA"
# set the trap before starting, so a failed start leaves nothing behind
trap 'runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$PGDATA"' EXIT
runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 30 start \
  -o "-p $PGPORT -c listen_addresses=127.0.0.1 -k $PGDATA -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null
runuser -u postgres -- "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres app_test
export DATABASE_URL_PG="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/app_test"
case $_start_pg_flags in *e*) ;; *) set +e ;; esac
case $_start_pg_flags in *u*) ;; *) set +u ;; esac
set "$_start_pg_pipefail" pipefail; unset _start_pg_flags _start_pg_pipefail
