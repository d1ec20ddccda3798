#!/bin/sh
# Initialises $PGDATA on first start (user $POSTGRES_USER, database $POSTGRES_DB, password
# $POSTGRES_PASSWORD; SCRAM for every TCP client, trust only on the container's own socket), then runs the server in the foreground.
set -eu
: "${POSTGRES_USER:=chainkms}" "${POSTGRES_DB:=chainkms}"
[ -n "${POSTGRES_PASSWORD:-}" ] || { echo "postgres-start: POSTGRES_PASSWORD is required" >&2; exit 2; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust \
    --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all 0.0.0.0/0 scram-sha-256" >>"$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=/tmp" -w start >/dev/null
  createdb -h /tmp -U "$POSTGRES_USER" "$POSTGRES_DB"
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp
